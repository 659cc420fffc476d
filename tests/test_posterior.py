"""Posterior files: reading, checking, and seeded weighted draws per replicate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.posterior import Posterior, load_posterior, numeric_keys
from tests.helpers import BASELINE, QUICK


def write_csv(folder: Path, text: str, name: str = "post.csv") -> Path:
    p = folder / name
    p.write_text(text)
    return p


@pytest.fixture
def two_rows(tmp_path: Path) -> Posterior:
    return load_posterior(write_csv(tmp_path, "trust.gain_rate,weight\n0.01,0.9\n0.05,0.1\n"))


def test_reads_csv_and_parquet_alike(tmp_path: Path):
    table = pd.DataFrame({"trust.gain_rate": [0.01, 0.02, 0.03],
                          "churn.base_hazard": [0.001, 0.002, 0.003],
                          "weight": [1.0, 2.0, 1.0]})
    table.to_csv(tmp_path / "p.csv", index=False)
    table.to_parquet(tmp_path / "p.parquet", index=False)
    a, b = load_posterior(tmp_path / "p.csv"), load_posterior(tmp_path / "p.parquet")
    assert a.keys == b.keys == ("trust.gain_rate", "churn.base_hazard")
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_allclose(a.weights, [0.25, 0.5, 0.25])
    assert a.digest == b.digest and len(a) == 3
    assert a.row(1) == {"trust.gain_rate": 0.02, "churn.base_hazard": 0.002}


def test_same_seed_same_draws_and_draws_do_not_depend_on_the_count(two_rows):
    first = [two_rows.draw_index(7, r) for r in range(50)]
    assert first == [two_rows.draw_index(7, r) for r in range(50)]
    assert [i for i, _ in two_rows.draws(7, 10)] == first[:10]  # replicate r: one draw
    assert first != [two_rows.draw_index(8, r) for r in range(50)]


def test_weights_are_respected(two_rows):
    """Weights 0.9 / 0.1: 4,000 draws give row 0 in 90% +- 2% (binomial sd 0.47%)."""
    idx = np.array([two_rows.draw_index(3, r) for r in range(4000)])
    assert set(idx) == {0, 1}
    assert abs((idx == 0).mean() - 0.9) < 0.02


def test_zero_weight_rows_are_never_drawn(tmp_path: Path):
    post = load_posterior(write_csv(tmp_path, "trust.gain_rate,weight\n0.01,0\n0.05,1\n0.06,0\n"))
    assert {post.draw_index(1, r) for r in range(200)} == {1}


def test_whole_number_keys_become_ints(tmp_path: Path):
    post = load_posterior(write_csv(tmp_path, "incidents.events.0.week,weight\n26,1\n30.0,1\n"))
    assert post.row(1) == {"incidents.events.0.week": 30}
    assert isinstance(post.row(1)["incidents.events.0.week"], int)
    with pytest.raises(sim.ScenarioError, match=r"week: line 3: must be a whole number"):
        load_posterior(write_csv(tmp_path, "incidents.events.0.week,weight\n26,1\n30.5,1\n"))


@pytest.mark.parametrize(("text", "match"), [
    ("trust.gain_rat,weight\n0.1,1\n", r"trust\.gain_rat.*unknown scenario key; did you mean "
                                       r"'trust\.gain_rate'\?"),
    ("trust.gain_rate,weights\n0.1,1\n", r"did you mean 'weight'\?.*\n.*no 'weight' column"),
    ("strategy.escalation.level,weight\n1,1\n", "not a numeric scenario parameter"),
    ("run.seed,weight\n1,1\n", "the run's identity"),
    ("weight\n1\n", "no parameter columns"),
    ("trust.gain_rate,weight\n", "no rows"),
    ("", "the posterior file is empty"),
    ("trust.gain_rate,weight\n0.1,1\nabc,1\n", r"gain_rate: line 3: must be a finite "
                                               r"number \(got 'abc'\)"),
    ("trust.gain_rate,weight\n0.1,1\n,1\n", r"trust\.gain_rate: line 3: must be a finite number"),
    ("trust.gain_rate,weight\n0.1,1\n0.2,-0.5\n", r"weight: line 3: weights must be 0 or more"),
    ("trust.gain_rate,weight\n0.1,x\n", r"weight: line 2: must be a finite number"),
    ("trust.gain_rate,weight\n0.1,0\n0.2,0\n", "the weights are all zero"),
])
def test_bad_files_give_clear_errors(tmp_path: Path, text: str, match: str):
    path = write_csv(tmp_path, text)
    with pytest.raises(sim.ScenarioError, match=match) as info:
        load_posterior(path)
    assert str(path) in str(info.value)  # every problem names the file


def test_missing_and_wrongly_typed_files(tmp_path: Path):
    with pytest.raises(sim.ScenarioError, match="posterior file not found"):
        load_posterior(tmp_path / "nope.csv")
    with pytest.raises(sim.ScenarioError, match="must be a CSV or Parquet file"):
        load_posterior(write_csv(tmp_path, "x", name="post.json"))
    with pytest.raises(sim.ScenarioError, match="cannot read the posterior"):
        load_posterior(write_csv(tmp_path, "not parquet", name="post.parquet"))


def test_values_out_of_range_name_column_and_row(tmp_path: Path):
    post = load_posterior(write_csv(tmp_path, "trust.gain_rate,weight\n0.1,1\n-2,1\n"))
    base = sim.load_scenario(BASELINE, QUICK)
    with pytest.raises(sim.ScenarioError, match=r"trust\.gain_rate: line 3: not allowed "
                                                r"in the base") as info:
        post.check(base, "the base")
    assert info.value.problems[0].file == str(tmp_path / "post.csv")


def test_numeric_keys_are_numbers_and_not_the_run():
    keys = numeric_keys()
    assert "trust.gain_rate" in keys and keys["trust.gain_rate"] is False
    assert keys["incidents.events[].week"] is True
    assert not any(k.startswith("run.") for k in keys)
    assert "strategy.escalation.level" not in keys  # a level name or number: not drawn


def test_parquet_cells_must_be_numbers_too(tmp_path: Path):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"trust.gain_rate": [0.1, 0.2], "weight": [True, False]}).to_parquet(path)
    with pytest.raises(sim.ScenarioError, match=r"weight: row 1: must be a finite number"):
        load_posterior(path)
    pd.DataFrame({"trust.gain_rate": [0.1, float("nan")], "weight": [1, 1]}).to_parquet(path)
    with pytest.raises(sim.ScenarioError, match=r"trust\.gain_rate: row 2: must be a finite"):
        load_posterior(path)
