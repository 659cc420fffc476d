"""What a comparison says: side names, posterior counts and remarks, and its figure."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import sim
from sim.app.comparison_folder import write_comparison
from sim.compare_figure import fig_compare
from sim.compare_stats import MIN_DRAWS_FOR_CHANCE, draws_in_words
from sim.errors import InputWarning
from sim.plotting import INCIDENT_COLOUR
from sim.posterior import load_posterior
from sim.scenario_diff import side_labels
from tests.helpers import SCENARIOS

SMALL = {"population.size": 600, "run.weeks": 8}
BREACH = {**SMALL, "incidents.events.0.week": 3}


@pytest.fixture
def gain_posterior(tmp_path):
    p = tmp_path / "posterior.csv"
    p.write_text("trust.gain_rate,weight\n0.01,1\n0.03,1\n")
    return p


def test_draw_counts_never_become_a_bare_certainty():
    few = draws_in_words(0, 2)
    assert few == ("in 0 of 2 draws (too few draws to estimate a chance; use --replicates "
                   f"{MIN_DRAWS_FOR_CHANCE} or more)")
    assert draws_in_words(3, 3).startswith("in 3 of 3 draws (too few")
    assert draws_in_words(40, 40) == "in all 40 draws"
    assert draws_in_words(0, 40) == "in none of the 40 draws"
    assert draws_in_words(13, 40) == "in 13 of 40 draws (estimated chance 32%)"
    assert "%" not in draws_in_words(MIN_DRAWS_FOR_CHANCE, MIN_DRAWS_FOR_CHANCE)


def test_few_posterior_draws_are_counted_not_turned_into_a_chance(gain_posterior):
    cmp = sim.compare(SCENARIOS / "baseline.toml", SCENARIOS / "transparent_brand.toml",
                      replicates=2, overrides=SMALL, posterior=gain_posterior)
    text = cmp.format_table()
    assert "estimated chance" not in text
    ahead = int(cmp.row("revenue_cumulative")["b_better"])
    assert (f"revenue: B did better in {ahead} of 2 draws (too few draws to estimate a chance; "
            "use --replicates 20 or more)") in text
    lines = text.splitlines()
    assert lines[1].rstrip().endswith("B better in")
    for k, (_, r) in enumerate(cmp.table.iterrows()):  # counts, not a share of 2 draws
        assert lines[3 + k].rstrip().endswith(f"  {int(r['b_better'])} of 2")


def test_sides_that_differ_by_overrides_are_named_by_their_differences(tmp_path):
    cmp = sim.compare("data_breach", "data_breach", replicates=2, overrides=BREACH,
                      overrides_b={"incidents.events.0.responsible": True})
    la = "A: data_breach with incidents.events.0.responsible = false"
    lb = "B: data_breach with incidents.events.0.responsible = true"
    assert cmp.labels == (la, lb)
    assert cmp.format_table().splitlines()[0].startswith(f"{lb} vs {la}: 2 paired replicates")
    fig = fig_compare(cmp)
    assert fig._suptitle.get_text().startswith(f"{lb}\nvs {la}: 2 paired")  # long: wrapped
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert la in legend and lb in legend
    write_comparison(cmp, tmp_path / "c", figures=False)
    saved = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert (saved["a"], saved["b"]) == (la, lb)


def test_side_labels_name_at_most_two_differences():
    diffs = [("x.a", 1, 2), ("x.b", None, 0.5), ("x.c", True, False)]
    a, b = side_labels("s", diffs)
    assert a == "A: s with x.a = 1, x.b = not set and 1 more"
    assert b == "B: s with x.a = 2, x.b = 0.5 and 1 more"
    assert side_labels("s", []) == ("A: s", "B: s")


def test_figure_marks_incident_weeks_with_dashed_lines():
    cmp = sim.compare("data_breach", "data_breach", replicates=1, overrides=BREACH,
                      overrides_b={"incidents.events.0.responsible": True})
    fig = fig_compare(cmp)
    for ax in fig.axes:
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"
                  and ln.get_color() == INCIDENT_COLOUR]
        assert [ln.get_xdata()[0] for ln in dashed] == [3]  # once, though both sides have it
    assert "data incident" in [t.get_text() for t in fig.legends[0].get_texts()]
    plain = fig_compare(sim.compare("baseline", "baseline", replicates=1, overrides=SMALL))
    assert not any(ln.get_linestyle() == "--" for ax in plain.axes for ln in ax.get_lines())
    assert "data incident" not in [t.get_text() for t in plain.legends[0].get_texts()]


def test_figure_under_a_posterior_shows_the_range_over_the_draws(gain_posterior):
    cmp = sim.compare(SCENARIOS / "baseline.toml", SCENARIOS / "transparent_brand.toml",
                      replicates=2, overrides=SMALL, posterior=gain_posterior)
    fig = fig_compare(cmp)
    title = fig._suptitle.get_text()
    assert "parameters drawn from the posterior posterior.csv" in title
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "range over the 2 posterior draws" in legend
    d = cmp.weekly[cmp.weekly["metric"] == "mean_trust"]
    assert ((d["diff_min"] <= d["diff"]) & (d["diff"] <= d["diff_max"])).all()
    assert (d["diff_max"] > d["diff_min"]).any()  # the draws do differ


def test_optuna_near_best_set_is_not_called_a_posterior(tmp_path):
    folder = tmp_path / "fit"
    folder.mkdir()
    post = folder / "posterior.csv"
    post.write_text("trust.gain_rate,weight\n0.01,1\n0.03,1\n")
    (folder / "summary.json").write_text(json.dumps({"method": "optuna"}))
    with pytest.warns(InputWarning, match="near-best trials .* not a real posterior"):
        cmp = sim.compare("baseline", "transparent_brand", replicates=1, overrides=SMALL,
                          posterior=post)
    assert any("not a real posterior" in n for n in cmp.notes)
    assert "note: posterior.csv is an Optuna calibration's near-best trials" in cmp.format_table()
    (folder / "summary.json").write_text(json.dumps({"method": "abc"}))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        sim.compare("baseline", "transparent_brand", replicates=1, overrides=SMALL,
                    posterior=post)
    assert not [w for w in seen if issubclass(w.category, InputWarning)]


def test_a_posterior_drawing_a_shared_lever_is_warned_about(tmp_path):
    post = tmp_path / "post.csv"
    post.write_text("strategy.transparency,weight\n0.2,1\n0.6,1\n")
    with pytest.warns(InputWarning, match=r"draws the brand's lever strategy\.transparency"):
        cmp = sim.compare("baseline", "escalation_ramp", replicates=1, overrides=SMALL,
                          posterior=post)
    assert any("a choice of the brand" in n for n in cmp.notes)


def test_posterior_errors_count_csv_lines_and_parquet_rows(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("trust.gain_rate,weight\n0.1,1\n\n0.2,-1\n")  # a blank line is still a line
    with pytest.raises(sim.ScenarioError) as info:
        load_posterior(csv)
    assert str(info.value).endswith(f"{csv}: weight: line 4: weights must be 0 or more (got -1.0)")
    assert "column 'weight'" not in str(info.value)
    pq = tmp_path / "p.parquet"
    pd.DataFrame({"trust.gain_rate": [0.1, 0.2], "weight": [1.0, -1.0]}).to_parquet(pq)
    with pytest.raises(sim.ScenarioError, match=r"weight: row 2: weights must be 0 or more"):
        load_posterior(pq)


def test_a_draw_that_breaks_a_rule_names_its_file_line(tmp_path):
    from sim.compare_stats import replicate_scenario

    p = tmp_path / "post.csv"
    p.write_text("trust.gain_rate,weight\n0.02,1\n-2,1\n")
    post = load_posterior(p)
    draws = pd.DataFrame([{"replicate": 0, "draw": 1, "trust.gain_rate": -2.0}])
    base = sim.load_scenario("baseline", SMALL)
    with pytest.raises(sim.ScenarioError, match=r"trust\.gain_rate: posterior line 3 "
                                                r"\(replicate 0\)") as info:
        replicate_scenario(base, 0, draws, post)
    assert info.value.problems[0].file == str(p)
