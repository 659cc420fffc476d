"""Why people left: each churner's recorded cause, and the weekly counts by cause."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.mechanisms.churn import CHURN_CAUSES
from sim.results import churn_by_cause
from tests.helpers import ONLY_CHURN_CONTAGION, small

BREACH = {
    "incidents.enabled": True, "incidents.share_prob": 0.15,
    "incidents.events": [{"week": 5, "severity": 0.8, "responsible": False,
                          "media_reach": 0.4}],
}
"""An irresponsibly handled severe breach in week 5 of a small baseline."""


def causes(res: sim.RunResult) -> pd.Series:
    return res.consumers["churn_cause"]


@pytest.fixture(scope="module")
def personal_breach() -> sim.RunResult:
    """Every cause at work: crossing ads (personal level), a breach, contagion, background."""
    return sim.run(small(**{"strategy.escalation.level": "personal",
                            "churn.contagion_ratio": 3.0, **BREACH}))


def test_causes_sum_to_the_churned_counts(personal_breach):
    res = personal_breach
    by = res.churn_by_cause()
    assert list(by.columns) == ["week", "crossing", "incident", "contagion", "trust_loss",
                                "background"]
    assert by["week"].tolist() == list(range(len(res.weekly)))
    np.testing.assert_array_equal(by.drop(columns="week").sum(axis=1), res.weekly["churned"])
    cause = causes(res)
    assert isinstance(cause.dtype, pd.CategoricalDtype)
    assert list(cause.cat.categories) == list(CHURN_CAUSES)
    left = ~res.consumers["customer"]
    assert cause[left].notna().all() and cause[~left].isna().all()
    assert left.sum() == res.summary["churned_cumulative"]
    counts = cause.value_counts()
    for name in ("crossing", "incident", "contagion", "trust_loss", "background"):
        assert counts[name] > 0, name  # every cause is at work in this scenario
    assert counts["seed"] == 0


def test_incident_exits_start_with_the_incident(personal_breach):
    by = personal_breach.churn_by_cause()
    assert by.loc[by["week"] < 5, "incident"].sum() == 0
    assert by.loc[by["week"] >= 5, "incident"].sum() > 0


def test_no_contagion_cause_when_contagion_is_off():
    res = sim.run(small(**{"strategy.escalation.level": "personal", "churn.contagion": False,
                           **BREACH}))
    counts = causes(res).value_counts()
    assert counts["contagion"] == 0
    assert counts["crossing"] > 0 and counts["incident"] > 0 and counts["background"] > 0


def test_no_incident_cause_without_incidents_nor_crossing_cause_without_stated_exits():
    res = sim.run(small(**{"strategy.escalation.level": "personal"}))
    counts = causes(res).value_counts()
    assert counts["incident"] == 0 and counts["crossing"] > 0
    res = sim.run(small(**{"strategy.escalation.level": "personal",
                           "churn.crossing_exit_stated": 0.0}))
    counts = causes(res).value_counts()
    assert counts["incident"] == 0 and counts["crossing"] == 0
    assert counts["background"] > 0 and counts["contagion"] > 0


def test_only_background_when_trust_never_moves_and_nothing_else_acts():
    res = sim.run(small(**ONLY_CHURN_CONTAGION, **{"churn.contagion": False}))
    assert res.summary["churned_cumulative"] > 0
    assert set(causes(res).dropna()) == {"background"}


def test_trust_loss_only_where_trust_fell_below_its_start():
    model = sim.TrustModel(small(**{"strategy.escalation.level": "personal"}))
    p = None
    lost_total = 0
    while model.running:
        before = None if p is None else (p.trust.copy(), p.churn_cause.copy())
        model.step()
        p = model.population
        if before is not None:
            new = (before[1] < 0) & (p.churn_cause == 4)  # left this week for trust loss
            # the trust they left with (this week's, set before churn) is below their start
            assert (p.trust[new] < p.initial_trust[new]).all()
            lost_total += int(new.sum())
    assert lost_total > 0


def test_threshold_rule_exits_are_contagion_or_direct_never_background():
    sc = small(**ONLY_CHURN_CONTAGION, **{
        "churn.rule": "threshold", "churn.initial_churned": 40,
        "churn.social_threshold": 0.1, "churn.social_threshold_sd": 0.0,
        "network.mean_degree": 10})
    res = sim.run(sc)
    cause = causes(res)
    seeds = res.consumers["churn_week"] == -1
    assert seeds.sum() == 40 and (cause[seeds] == "seed").all()
    later = cause[~seeds & ~res.consumers["customer"]]
    assert len(later) > 40  # a cascade
    assert set(later) == {"contagion"}
    assert res.churn_by_cause()["contagion"].sum() == len(later)
    # with crossing ads stated exits come true too; those at their threshold stay contagion
    res2 = sim.run(small(**{
        "churn.rule": "threshold", "churn.initial_churned": 40,
        "churn.social_threshold": 0.1, "churn.social_threshold_sd": 0.0,
        "strategy.escalation.level": "personal", "incidents.enabled": False}))
    c2 = causes(res2).dropna()
    assert set(c2) <= {"seed", "contagion", "crossing"}
    assert (c2 == "crossing").any() and (c2 == "contagion").any()


def test_threshold_rule_without_contagion_has_only_direct_exits():
    res = sim.run(small(**{"churn.rule": "threshold", "churn.contagion": False,
                           "churn.initial_churned": 40, "strategy.escalation.level": "personal",
                           **BREACH}))
    later = causes(res)[res.consumers["churn_week"] >= 0]
    assert set(later) == {"crossing", "incident"}


def test_hazard_rule_counts_cascade_seeds_apart():
    res = sim.run(small(**{"churn.initial_churned": 25}))
    seeds = res.consumers["churn_week"] == -1
    assert (causes(res)[seeds] == "seed").all() and seeds.sum() == 25
    by = res.churn_by_cause()
    assert by.drop(columns="week").to_numpy().sum() == res.summary["churned_cumulative"] - 25


def test_causes_are_reproducible():
    # (that recording causes changes no other draw is tests/test_golden.py's job)
    sc = small(**{"strategy.escalation.level": "personal", **BREACH})
    pd.testing.assert_series_equal(causes(sim.run(sc)), causes(sim.run(sc)))


def test_churn_by_cause_reads_a_saved_table_with_string_causes():
    table = pd.DataFrame({
        "churn_week": pd.array([0, 2, 2, None, -1], dtype="Int32"),
        "churn_cause": ["crossing", "contagion", "contagion", None, "seed"],
    })
    by = churn_by_cause(table, 3)
    assert by.to_dict("list") == {"week": [0, 1, 2], "crossing": [1, 0, 0],
                                  "incident": [0, 0, 0], "contagion": [0, 0, 2],
                                  "trust_loss": [0, 0, 0], "background": [0, 0, 0]}
