"""Strategy comparisons with common random numbers and paired t intervals."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import sim
from sim.app.comparison_folder import write_comparison
from sim.compare import FINAL_METRICS, WEEKLY_METRICS, compare, paired_interval
from sim.files import OutputExistsError
from sim.posterior import load_posterior
from sim.scenario_diff import describe, differences
from tests.helpers import QUICK, SCENARIOS


def test_identical_strategies_differ_by_exactly_zero():
    cmp = compare(SCENARIOS / "baseline.toml", SCENARIOS / "baseline.toml", replicates=3,
                  overrides=QUICK)
    assert cmp.labels == ("A: baseline", "B: baseline")
    assert set(cmp.table["metric"]) == set(FINAL_METRICS)
    assert (cmp.table["diff"] == 0.0).all()
    assert (cmp.table["ci_low"] == 0.0).all() and (cmp.table["ci_high"] == 0.0).all()
    assert (cmp.per_replicate["diff"] == 0.0).all()
    assert (cmp.weekly["diff"] == 0.0).all()
    # ... while the replicates themselves do differ (they are not copies of one run)
    assert cmp.per_replicate.query("metric == 'revenue_cumulative'")["a"].nunique() == 3


def test_paired_interval_known_answer():
    mean, lo, hi = paired_interval(np.array([1.0, 2.0, 3.0]), 0.95)
    half = 4.30265272975 / math.sqrt(3)  # t(0.975, df=2) * sd / sqrt(n), sd = 1
    assert mean == 2.0
    assert lo == pytest.approx(2.0 - half, rel=1e-10)
    assert hi == pytest.approx(2.0 + half, rel=1e-10)
    m90, lo90, hi90 = paired_interval(np.array([1.0, 2.0, 3.0]), 0.90)
    assert m90 == 2.0 and lo < lo90 < hi90 < hi


def test_paired_interval_edge_cases():
    mean, lo, hi = paired_interval(np.array([0.4]))
    assert mean == 0.4 and math.isnan(lo) and math.isnan(hi)
    assert paired_interval(np.array([0.5, 0.5, 0.5])) == (0.5, 0.5, 0.5)


def test_replicate_r_is_run_replicate_r_on_both_sides():
    cmp = compare(SCENARIOS / "escalation_ramp.toml", SCENARIOS / "transparent_brand.toml",
                  replicates=2,                  overrides=QUICK)
    for r in range(2):
        for side, path in (("a", "escalation_ramp"), ("b", "transparent_brand")):
            sc = sim.load_scenario(SCENARIOS / f"{path}.toml", {**QUICK, "run.replicate": r})
            res = sim.run(sc)
            got = cmp.per_replicate.query("replicate == @r").set_index("metric")[side]
            for metric in FINAL_METRICS:
                assert got[metric] == pytest.approx(float(res.summary[metric]), abs=0.0)
            wk = cmp.runs.query("side == @side and replicate == @r")
            np.testing.assert_array_equal(wk["revenue_cumulative"].to_numpy(),
                                          res.weekly["revenue_cumulative"].to_numpy())


def test_table_is_the_mean_of_paired_differences():
    cmp = compare(SCENARIOS / "escalation_ramp.toml", SCENARIOS / "transparent_brand.toml",
                  replicates=4,                  overrides=QUICK)
    for metric in FINAL_METRICS:
        d = cmp.per_replicate.query("metric == @metric")
        row = cmp.row(metric)
        assert row["diff"] == pytest.approx((d["b"] - d["a"]).mean(), rel=1e-12, abs=1e-12)
        assert row["n"] == 4
        assert row["ci_low"] <= row["diff"] <= row["ci_high"]
    # transparency and value exchange help on the same consumers
    assert cmp.row("mean_trust")["ci_low"] > 0
    assert cmp.row("revenue_cumulative")["diff"] > 0
    with pytest.raises(KeyError):
        cmp.row("happiness")


def test_common_random_numbers_make_the_difference_precise():
    """Paired differences vary far less than the runs themselves."""
    cmp = compare(SCENARIOS / "baseline.toml", SCENARIOS / "transparent_brand.toml", replicates=5,
                  overrides=QUICK)
    rev = cmp.per_replicate.query("metric == 'revenue_cumulative'")
    assert rev["diff"].std() < rev["a"].std()


def test_b_seed_is_aligned_with_a(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{SCENARIOS / "baseline.toml"}"\n[run]\nseed = 99\n')
    cmp = compare(SCENARIOS / "baseline.toml", other, replicates=1, overrides=QUICK)
    assert cmp.b.run.seed == cmp.a.run.seed == 20201
    assert any("seed" in n for n in cmp.notes)
    assert (cmp.table["diff"] == 0.0).all()  # same strategy once the seed is shared
    assert math.isnan(cmp.table["ci_low"].iloc[0])


def test_population_difference_is_noted():
    a = sim.load_scenario(SCENARIOS / "baseline.toml", QUICK)
    b = sim.with_overrides(a, {"population.initial_trust": 0.7})
    cmp = compare(a, b, replicates=1)
    assert any("[population]" in n for n in cmp.notes)
    assert "same consumers" not in cmp.format_table().splitlines()[0]
    assert "same consumers" in compare(a, a, replicates=1).format_table().splitlines()[0]


def test_unpairable_and_bad_arguments():
    a = sim.load_scenario(SCENARIOS / "baseline.toml", QUICK)
    b = sim.with_overrides(a, {"run.weeks": 10})
    with pytest.raises(sim.ScenarioError, match=r"run\.weeks"):
        compare(a, b)
    with pytest.raises(ValueError, match="replicates"):
        compare(a, a, replicates=0)
    with pytest.raises(ValueError, match="confidence"):
        compare(a, a, confidence=1.0)


def test_executor_gives_the_same_result_and_progress_is_reported():
    calls = []
    seq = compare(SCENARIOS / "baseline.toml", SCENARIOS / "consent_first.toml", replicates=2,
                  overrides=QUICK, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with ThreadPoolExecutor(2) as ex:
        par = compare(SCENARIOS / "baseline.toml", SCENARIOS / "consent_first.toml", replicates=2,
                      overrides=QUICK, executor=ex)
    pd.testing.assert_frame_equal(seq.table, par.table, check_exact=True)
    pd.testing.assert_frame_equal(seq.weekly, par.weekly, check_exact=True)


def test_weekly_table_shape():
    a = sim.load_scenario(SCENARIOS / "baseline.toml", QUICK)
    b = sim.load_scenario(SCENARIOS / "data_breach.toml", {**QUICK, "incidents.events.0.week": 5})
    cmp = compare(a, b, replicates=2)
    assert set(cmp.weekly["metric"]) == set(WEEKLY_METRICS)
    assert len(cmp.weekly) == len(WEEKLY_METRICS) * QUICK["run.weeks"]
    ret = cmp.weekly.query("metric == 'retention'").sort_values("week")
    assert (ret["diff"].iloc[:5] == 0).all()  # identical until the breach
    assert ret["diff"].iloc[-1] < 0  # the breach costs customers
    assert (ret["a_min"] <= ret["a_mean"]).all() and (ret["a_mean"] <= ret["a_max"]).all()


def test_format_and_write(tmp_path):
    cmp = compare(SCENARIOS / "baseline.toml", SCENARIOS / "adaptive_backoff.toml", replicates=2,
                  overrides=QUICK)
    text = cmp.format_table()
    assert text.splitlines()[0].startswith("adaptive_backoff (B) vs baseline (A): 2 paired")
    for word in ("retention", "revenue", "trust (all)", "95% CI", " pp"):
        assert word in text
    out = tmp_path / "cmp"
    written = write_comparison(cmp, out, figures=False)
    assert {p.name for p in written} == {"scenario_a.toml", "scenario_b.toml", "comparison.csv",
                                         "per_replicate.csv", "weekly.csv", "comparison.json"}
    back = pd.read_csv(out / "comparison.csv")
    np.testing.assert_allclose(back["diff"], cmp.table["diff"], rtol=1e-12)
    assert sim.load_scenario(out / "scenario_b.toml") == cmp.b
    with pytest.raises(OutputExistsError):
        write_comparison(cmp, out, figures=False)
    write_comparison(cmp, out, figures=False, force=True)


def _weekly(customers, initial):
    customers = np.asarray(customers, dtype=float)
    return pd.DataFrame({"week": range(len(customers)), "customers": customers,
                         "retention": customers / initial})


def test_abnormal_churn_is_the_ponemon_share():
    without = _weekly([99, 98, 97, 96, 95], 100)
    with_incident = _weekly([99, 98, 90, 88, 86], 100)
    ab = sim.abnormal_churn(without, with_incident, 2)
    # customers just before the incident (end of week 1): 98
    assert np.allclose(ab.to_numpy(), [0, 0, 7 / 98, 8 / 98, 9 / 98])
    assert ab.index.name == "week"
    # week 0: the customers before the run, from customers / retention
    assert np.isclose(sim.abnormal_churn(without, with_incident, 0).iloc[-1], 9 / 100)
    # a bare customers column has no count before week 0
    assert np.isnan(sim.abnormal_churn(without["customers"], with_incident["customers"], 0)).all()


def test_abnormal_churn_rejects_mismatched_runs_and_weeks():
    a, b = _weekly([9, 8], 10), _weekly([9, 8, 7], 10)
    with pytest.raises(ValueError, match="differ in length"):
        sim.abnormal_churn(a, b, 1)
    with pytest.raises(ValueError, match="incident_week must be a week of the runs, 0 to 1"):
        sim.abnormal_churn(a, a, 5)
    with pytest.raises(ValueError, match="no 'customers' column"):
        sim.abnormal_churn(a.drop(columns="customers"), a, 0)
    with pytest.raises(TypeError, match="must be a RunResult"):
        sim.abnormal_churn([1, 2], a, 0)


@pytest.mark.slow
def test_comparison_gives_abnormal_churn_per_replicate():
    base = sim.load_scenario(SCENARIOS / "baseline.toml",
                             overrides={"population.size": 3000, "run.weeks": 12})
    breach = sim.with_overrides(base, {"incidents.events": [
        {"week": 6, "severity": 0.8, "responsible": False, "media_reach": 0.5}]})
    cmp = sim.compare(base, breach, replicates=2)
    table = cmp.abnormal_churn(6)
    assert list(table.columns) == [0, 1] and len(table) == 12
    assert (table.iloc[:6] == 0).all().all()
    assert (table.iloc[-1] > 0).all()
    for r in range(2):
        o = {"run.replicate": r}
        want = sim.abnormal_churn(sim.run(sim.with_overrides(base, o)),
                                  sim.run(sim.with_overrides(cmp.b, o)), 6)
        assert np.allclose(table[r].to_numpy(), want.to_numpy())
    # only B has an incident: the comparison reports what it cost
    ic = cmp.incident_cost
    assert ic["side"] == "b" and ic["week"] == 6
    assert np.allclose(ic["per_replicate"], table.iloc[-1].to_numpy())
    assert ic["ci_low"] <= ic["mean"] <= ic["ci_high"]
    assert "abnormal churn from B's incident (week 6)" in cmp.format_table()
    # swapped sides: A's incident, the same cost
    rev = sim.compare(breach, base, replicates=2)
    assert rev.incident_cost["side"] == "a"
    assert np.allclose(rev.incident_cost["per_replicate"], ic["per_replicate"])
    # no incident on either side: nothing to report
    assert sim.compare(base, base, replicates=2).incident_cost is None


# -- the incident cost: which comparisons report one ------------------------------------


@pytest.fixture(scope="module")
def incident_base() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "baseline.toml",
                             overrides={"population.size": 1000, "run.weeks": 10})


def breach(base: sim.Scenario, *weeks: int, **more: object) -> sim.Scenario:
    events = [{"week": w, "severity": 0.8, "responsible": False} for w in weeks]
    return sim.with_overrides(base, {"incidents.events": events, **more})


def test_both_sides_with_incidents_give_the_extra_churn_of_b_over_a(incident_base):
    """Both sides breached (even in different weeks): B's incidents against A's, from the first."""
    a, b = breach(incident_base, 4), breach(incident_base, 7)
    cmp = sim.compare(a, b, replicates=1)
    ic = cmp.incident_cost
    assert ic["kind"] == "extra" and ic["side"] == "b" and ic["week"] == 4
    assert np.allclose(ic["per_replicate"], cmp.abnormal_churn(4, "b").iloc[-1].to_numpy())
    assert "abnormal churn, B's incidents against A's (from week 4)" in cmp.format_table()


def test_incidents_switched_off_or_after_the_run_do_not_count(incident_base):
    off = breach(incident_base, 4, **{"incidents.enabled": False})
    late = breach(incident_base, 10)  # run.weeks = 10: weeks 0..9
    for quiet in (off, late):
        cmp = sim.compare(incident_base, quiet, replicates=1)
        assert cmp.incident_cost is None
        assert (cmp.table["diff"] == 0).all()  # and indeed nothing happened
    # a quiet side does not hide the other side's incident
    cmp = sim.compare(off, breach(incident_base, 5), replicates=1)
    assert cmp.incident_cost["side"] == "b" and cmp.incident_cost["week"] == 5


def test_several_incidents_are_costed_from_the_first(incident_base):
    """Abnormal churn is measured against the customers just before the first incident."""
    two = breach(incident_base, 8, 3)
    cmp = sim.compare(incident_base, two, replicates=1)
    ic = cmp.incident_cost
    assert ic["week"] == 3
    table = cmp.abnormal_churn(3)
    assert np.allclose(ic["per_replicate"], table.iloc[-1].to_numpy())
    assert (table.iloc[:3] == 0).all().all()
    one = sim.compare(incident_base, breach(incident_base, 3), replicates=1).incident_cost
    assert ic["mean"] > one["mean"]  # the second breach costs more customers


def test_no_incident_cost_when_the_sides_differ_in_more_than_the_incident(incident_base):
    """The strategy's effect is not booked as the incident's cost."""
    b = breach(incident_base, 4, **{"strategy.escalation.level": "personal"})
    cmp = sim.compare(incident_base, b, replicates=1)
    assert cmp.incident_cost is None
    assert 'strategy.escalation.level: "interest" in A, "personal" in B' in cmp.format_table()


# -- attribution: what the difference includes ------------------------------------------


def test_scenario_differences_are_named_key_by_key(incident_base):
    b = breach(incident_base, 4, **{"strategy.transparency": 0.8})
    diffs = differences(incident_base, b)
    keys = [k for k, _, _ in diffs]
    assert keys == ["strategy.transparency", "incidents.events.0.week",
                    "incidents.events.0.severity", "incidents.events.0.responsible",
                    "incidents.events.0.media_reach"]
    assert diffs[0] == ("strategy.transparency", incident_base.strategy.transparency, 0.8)
    text = describe(diffs, most=2)
    assert text == (f"strategy.transparency: {incident_base.strategy.transparency:g} in A, 0.8 "
                    "in B; incidents.events.0.week: not set in A, 4 in B; and 3 more")
    assert differences(incident_base, sim.with_overrides(incident_base, {"name": "x"})) == []


def test_abnormal_churn_only_when_the_incident_is_the_only_difference(incident_base):
    alone = sim.compare(incident_base, breach(incident_base, 4), replicates=1)
    assert alone.incident_cost["kind"] == "abnormal"
    assert "abnormal churn from B's incident (week 4)" in alone.format_table()

    mixed = sim.compare(incident_base, breach(incident_base, 4, **{"strategy.transparency": 0.8}),
                        replicates=1)
    assert mixed.incident_cost is None
    text = mixed.format_table()
    assert "abnormal churn from" not in text
    assert "B's incident (week 4) is not costed alone: the sides also differ in " \
           f"strategy.transparency: {incident_base.strategy.transparency:g} in A, 0.8 in B;" in text
    assert "incidents.events" not in text.split("differ in")[1].split(";")[0]


def test_side_overrides_compare_good_and_bad_handling_of_one_breach(incident_base):
    bad = breach(incident_base, 4, **{"incidents.events.0.media_reach": 0.5})
    cmp = sim.compare(bad, bad, replicates=2,
                      overrides_b={"incidents.events.0.responsible": True})
    assert cmp.differences == [("incidents.events.0.responsible", False, True)]
    assert cmp.a.incidents.events[0].responsible is False
    assert cmp.b.incidents.events[0].responsible is True
    ic = cmp.incident_cost
    assert ic["kind"] == "extra" and ic["week"] == 4
    assert ic["mean"] < 0  # responsible handling loses fewer customers than irresponsible
    assert cmp.row("churn_rate")["diff"] < 0
    # overrides_a applies after the common overrides, on A only
    one = sim.compare(incident_base, incident_base, replicates=1,
                      overrides={"strategy.transparency": 0.5},
                      overrides_a={"strategy.transparency": 0.9})
    assert (one.a.strategy.transparency, one.b.strategy.transparency) == (0.9, 0.5)
    # the replicate a side was loaded with is not a difference: each replicate sets it
    rep = sim.compare(bad, bad, replicates=1, overrides_a={"run.replicate": 3})
    assert rep.differences == [] and rep.incident_cost is None
    assert (rep.table["diff"] == 0).all()


# -- decisions under a posterior ----------------------------------------------------------


@pytest.fixture
def posterior_file(tmp_path):
    p = tmp_path / "posterior.csv"
    p.write_text("trust.gain_rate,churn.base_hazard,weight\n"
                 "0.01,0.001,1\n0.04,0.004,1\n0.02,0.002,2\n")
    return p


def test_identical_strategies_under_a_posterior_differ_by_exactly_zero(posterior_file):
    cmp = sim.compare(SCENARIOS / "baseline.toml", SCENARIOS / "baseline.toml", replicates=4,
                      overrides=QUICK, posterior=posterior_file)
    assert (cmp.per_replicate["diff"] == 0.0).all()
    assert (cmp.table["p_b_better"].dropna() == 0.5).all()
    assert (cmp.table[["draws_low", "draws_high"]] == 0.0).all().all()
    text = cmp.format_table()
    assert "parameters drawn from posterior.csv" in text.splitlines()[0]
    assert "revenue: no difference in any of the 4 draws" in text
    # the replicates ran with different draws, so their results differ
    assert cmp.per_replicate.query("metric == 'revenue_cumulative'")["a"].nunique() > 1


def test_both_sides_run_each_replicate_with_the_same_draw(posterior_file):
    cmp = sim.compare(SCENARIOS / "escalation_ramp.toml", SCENARIOS / "transparent_brand.toml",
                      replicates=3, overrides=QUICK, posterior=posterior_file)
    post = load_posterior(posterior_file)
    want = [post.draw_index(cmp.a.run.seed, r) for r in range(3)]
    assert cmp.draws["draw"].tolist() == want
    for r in range(3):
        vals = post.row(want[r])
        for side, sc in (("a", cmp.a), ("b", cmp.b)):
            res = sim.run(sim.with_overrides(sc, {**vals, "run.replicate": r}))
            got = cmp.per_replicate.query("replicate == @r").set_index("metric")[side]
            assert got["revenue_cumulative"] == float(res.summary["revenue_cumulative"])
    rev = cmp.row("revenue_cumulative")
    per = cmp.per_replicate.query("metric == 'revenue_cumulative'")["diff"]
    assert rev["p_b_better"] == pytest.approx(((per > 0) + 0.5 * (per == 0)).mean())
    assert rev["draws_low"] <= rev["diff"] <= rev["draws_high"]
    assert "revenue: B did better in" in cmp.format_table()


def test_posterior_that_would_erase_the_strategy_or_an_override_is_refused(tmp_path):
    p = tmp_path / "post.csv"
    p.write_text("strategy.transparency,weight\n0.5,1\n")
    p.with_name("gain.csv").write_text("trust.gain_rate,weight\n0.02,1\n")
    with pytest.raises(sim.ScenarioError, match=r"the posterior sets strategy\.transparency, on "
                                                r"which A and B differ"):
        sim.compare(SCENARIOS / "baseline.toml", SCENARIOS / "transparent_brand.toml",
                    replicates=1, overrides=QUICK, posterior=p)
    with pytest.raises(sim.ScenarioError, match=r"trust\.gain_rate is set by an override .* and "
                                                r"drawn from the posterior"):
        sim.compare(SCENARIOS / "baseline.toml", SCENARIOS / "baseline.toml", replicates=1,
                    overrides=QUICK, overrides_b={"trust.gain_rate": 0.03},
                    posterior=p.with_name("gain.csv"))
