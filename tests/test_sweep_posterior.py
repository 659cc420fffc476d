"""Sweeps under a posterior: replicate r draws the same row at every point, recorded, resumable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.posterior import load_posterior
from sim.sweep import SweepError, load_spec, run_sweep
from sim.sweep.spec import spec_from_dict
from tests.helpers import BASELINE, cli

SPEC = f"""
name = "post"
base = "{BASELINE}"
seed = 5
replicates = 3
{{posterior}}
[overrides]
"population.size" = 300
"run.weeks" = 6
[design]
kind = "grid"
[[factors]]
key = "strategy.transparency"
role = "lever"
values = [0.0, 0.8]
"""


def write_spec(folder: Path, posterior: str = 'posterior = "post.csv"') -> Path:
    (folder / "post.csv").write_text("trust.gain_rate,churn.base_hazard,weight\n"
                                     "0.01,0.001,1\n0.05,0.004,1\n0.02,0.002,1\n")
    p = folder / "sweep.toml"
    p.write_text(SPEC.replace("{posterior}", posterior))
    return p


def test_spec_reads_the_posterior_relative_to_the_sweep_file(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    assert spec.posterior is not None
    assert spec.posterior.path == str(tmp_path / "post.csv")
    assert spec.posterior.keys == ("trust.gain_rate", "churn.base_hazard")
    back = spec_from_dict(spec.to_dict())  # spec.json stands alone
    assert back.posterior == spec.posterior and back.fingerprint() == spec.fingerprint()
    plain = load_spec(write_spec(tmp_path, ""))
    assert plain.posterior is None and "posterior" not in plain.to_dict()
    assert plain.fingerprint() != spec.fingerprint()
    # the command line's file replaces the sweep file's (relative to the current folder)
    other = tmp_path / "other.csv"
    other.write_text("trust.gain_rate,weight\n0.03,1\n")
    assert load_spec(write_spec(tmp_path), posterior=other).posterior.keys == ("trust.gain_rate",)


@pytest.mark.parametrize(("posterior", "csv", "match"), [
    ('posterior = "nope.csv"', None,
     r"sweep\.toml: posterior: posterior file not found: .*nope\.csv \(got 'nope\.csv'\)"),
    ('posterior = "bad.csv"', "trust.gain_rat,weight\n0.1,1\n",
     r"bad\.csv: trust\.gain_rat: .*did you mean 'trust\.gain_rate'"),
    ('posterior = "bad.csv"', "strategy.transparency,weight\n0.1,1\n",
     r"column 'strategy\.transparency' is also swept by factor 'transparency'"),
    ('posterior = "bad.csv"', "trust.gain_rate,weight\n2.0,1\n",
     r"trust\.gain_rate: line 2: not allowed in the base scenario"),
    ('posterior = "bad.csv"', "population.size,weight\n300,1\n",
     r"column 'population\.size' is also set in \[overrides\]"),
    ("posterior = 3", None, r"posterior: .*string"),
])
def test_bad_posteriors_are_named_in_the_spec_error(tmp_path, posterior, csv, match):
    p = write_spec(tmp_path, posterior)
    if csv is not None:
        (tmp_path / "bad.csv").write_text(csv)
    with pytest.raises(sim.ScenarioError, match=match):
        load_spec(p)


def test_function_models_take_no_posterior(tmp_path):
    (tmp_path / "post.csv").write_text("trust.gain_rate,weight\n0.1,1\n")
    p = tmp_path / "f.toml"
    p.write_text('seed = 1\nposterior = "post.csv"\n[model]\nfunction = '
                 '"sim.sweep.runners:ishigami"\n[design]\nkind = "grid"\n'
                 '[[factors]]\nkey = "x1"\nvalues = [0.0]\n[[factors]]\nkey = "x2"\n'
                 'values = [0.0]\n[[factors]]\nkey = "x3"\nvalues = [0.0]\n')
    with pytest.raises(sim.ScenarioError, match="a sweep of a function model has no posterior"):
        load_spec(p)


def test_each_replicate_draws_the_same_row_at_every_point_and_records_it(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    res = run_sweep(spec, tmp_path / "out", workers=0, progress=False)
    table = res.results
    post = load_posterior(tmp_path / "post.csv")
    want = {r: post.draw_index(5, r) for r in range(3)}
    assert table["posterior_draw"].tolist() == [want[r] for r in table["replicate"]]
    assert table.groupby("replicate")["posterior_draw"].nunique().eq(1).all()
    for key in post.keys:
        drawn = table[f"posterior.{key}"].tolist()
        assert drawn == [post.row(i)[key] for i in table["posterior_draw"]]
    # a run is the base scenario with its draw and its factor values
    row = table.iloc[4]
    sc = sim.scenario_from_dict(spec.base, {
        **post.row(int(row["posterior_draw"])), "strategy.transparency": row["transparency"],
        "run.seed": int(row["seed"]), "run.replicate": int(row["replicate"])})
    assert float(sim.run(sc).summary["revenue_cumulative"]) == row["revenue_cumulative"]
    # resuming draws nothing new and gives the same table
    again = run_sweep(spec, tmp_path / "out", workers=0, resume=True, progress=False)
    assert again.executed == 0
    pd.testing.assert_frame_equal(again.results, table)


def test_resume_with_another_posterior_is_refused(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    out = tmp_path / "out"
    run_sweep(spec, out, workers=0, progress=False)
    (tmp_path / "post.csv").write_text("trust.gain_rate,churn.base_hazard,weight\n"
                                       "0.03,0.001,1\n")
    with pytest.raises(SweepError, match="holds a different sweep"):
        run_sweep(load_spec(write_spec_keep(tmp_path)), out, workers=0, resume=True,
                  progress=False)


def write_spec_keep(folder: Path) -> Path:
    """The sweep file, leaving the posterior file as it is."""
    p = folder / "sweep.toml"
    p.write_text(SPEC.replace("{posterior}", 'posterior = "post.csv"'))
    return p


def test_command_line_posterior_and_resume_hint(tmp_path, capsys):
    p = write_spec(tmp_path, "")
    out = tmp_path / "out"
    assert cli(["sweep", str(p), "--workers", "0", "--out", str(out), "-q",
                "--posterior", str(tmp_path / "post.csv")]) == 0
    table = pd.read_parquet(out / "results.parquet")
    assert {"posterior_draw", "posterior.trust.gain_rate"} <= set(table.columns)
    assert cli(["sweep", str(p), "--workers", "0", "--out", str(tmp_path / "x"),
                "--posterior", str(tmp_path / "missing.csv")]) == 1
    assert "posterior file not found: " in capsys.readouterr().err
