"""Identifiability: weighted intervals, width ratios, correlations, plain words, near-best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.identify import (
    NEAR_BEST_LABEL,
    correlations,
    identifiability,
    near_best,
    near_best_text,
    plain_number,
    predictive_band,
    strong_pairs,
    summary_text,
    weighted_quantile,
)
from sim.calibrate.priors import Prior

GAIN = Prior("trust.gain_rate", 0.0, 10.0)
HAZARD = Prior("churn.base_hazard", 0.001, 0.1, log=True)


def test_weighted_quantile_known_answers() -> None:
    x = np.array([3.0, 1.0, 2.0, 4.0, 10.0])
    qs = [0.0, 0.1, 0.33, 0.5, 0.9, 1.0]
    assert weighted_quantile(x, None, qs) == pytest.approx(np.quantile(x, qs, method="hazen"))
    # weights [1, 3] on [0, 1]: midpoints of the CDF at 1/8 and 5/8, so the median is 0.75
    assert weighted_quantile([0.0, 1.0], [1.0, 3.0], 0.5) == pytest.approx(0.75)
    # a draw of weight 0 is left out
    assert weighted_quantile([1.0, 2.0, 5.0, 9.0], [1, 1, 1, 0], [0.05, 0.5, 0.9]) == (
        pytest.approx(np.quantile([1.0, 2.0, 5.0], [0.05, 0.5, 0.9], method="hazen")))
    with pytest.raises(ValueError, match="non-negative"):
        weighted_quantile([1.0, 2.0], [1.0, -1.0], 0.5)
    with pytest.raises(ValueError, match="non-empty"):
        weighted_quantile([], [], 0.5)


def _grid_draws() -> pd.DataFrame:
    n = 2001
    return pd.DataFrame({
        # narrowed: uniform over 2..4 (90% interval 2.1..3.9, width 1.8 of the prior's 9)
        "trust.gain_rate": np.linspace(2.0, 4.0, n),
        # not narrowed: log-uniform over the whole prior (its 90% width on the log scale)
        "churn.base_hazard": np.geomspace(0.001, 0.1, n)[np.random.default_rng(0).permutation(n)],
        "weight": np.full(n, 1.0 / n),
    })


def test_width_ratios_and_flags_on_known_samples() -> None:
    t = identifiability([GAIN, HAZARD], _grid_draws()).set_index("key")
    g, h = t.loc["trust.gain_rate"], t.loc["churn.base_hazard"]
    assert (g.prior_low, g.prior_high) == pytest.approx((0.5, 9.5))
    assert (g.post_low, g.post_median, g.post_high) == pytest.approx((2.1, 3.0, 3.9), abs=1e-3)
    assert g.post_mean == pytest.approx(3.0)
    assert g.width_ratio == pytest.approx(0.2, abs=1e-3)
    assert g.identified
    assert h.width_ratio == pytest.approx(1.0, abs=1e-3)
    assert not h.identified
    # the threshold is a parameter
    strict = identifiability([GAIN], _grid_draws(), threshold=0.1)
    assert not strict["identified"].iloc[0]


def test_weights_count_in_the_intervals() -> None:
    draws = pd.DataFrame({"trust.gain_rate": [1.0, 5.0, 9.0], "weight": [0.0, 1.0, 0.0]})
    row = identifiability([GAIN], draws).iloc[0]
    assert row.post_low == row.post_high == 5.0
    assert row.width_ratio == 0.0
    with pytest.raises(KeyError, match=r"no column 'churn\.base_hazard'"):
        identifiability([HAZARD], draws)


def test_weighted_correlation_known_answer_and_strong_pairs() -> None:
    # Four corners with weights a, a (on the diagonal) and b, b: r = 2 (a - b).
    x = [0.0, 1.0, 0.0, 1.0]
    y = [0.0, 1.0, 1.0, 0.0]
    priors = [Prior("a.x", -1, 2), Prior("a.y", -1, 2), Prior("a.z", -1, 2)]
    draws = pd.DataFrame({"a.x": x, "a.y": y, "a.z": [0.0, 0.0, 1.0, 1.0],
                          "weight": [0.45, 0.45, 0.05, 0.05]})
    corr = correlations(priors, draws)
    assert corr.loc["a.x", "a.y"] == pytest.approx(0.8)
    assert corr.loc["a.y", "a.x"] == pytest.approx(0.8)
    assert np.diag(corr) == pytest.approx([1.0, 1.0, 1.0])
    pairs = strong_pairs(corr)
    assert list(zip(pairs.key_a, pairs.key_b, strict=True)) == [("a.x", "a.y")]
    draws["weight"] = [0.4, 0.4, 0.1, 0.1]
    assert correlations(priors, draws).loc["a.x", "a.y"] == pytest.approx(0.6)
    assert strong_pairs(correlations(priors, draws)).empty


def test_log_priors_correlate_on_the_log_scale() -> None:
    x = np.geomspace(0.001, 0.1, 50)
    draws = pd.DataFrame({"churn.base_hazard": x, "trust.gain_rate": np.log(x) + 10})
    assert correlations([HAZARD, GAIN], draws).iloc[0, 1] == pytest.approx(1.0)


@pytest.mark.parametrize(("x", "text"), [
    (0.000123, "0.000123"), (1e-7, "0.0000001"), (1.5, "1.5"), (0.1, "0.1"),
    (12345.6, "12,346"), (-0.0025, "-0.0025"), (0.0, "0"), (250.0, "250"), (2.0, "2"),
    (float("inf"), "unbounded"),
])
def test_plain_numbers_never_use_scientific_notation(x: float, text: str) -> None:
    assert plain_number(x) == text


def test_summary_names_what_the_data_cannot_pin_down() -> None:
    priors = [GAIN, HAZARD]
    draws = _grid_draws()
    text = summary_text(identifiability(priors, draws), strong_pairs(correlations(priors, draws)))
    assert "The data cannot pin down churn.base_hazard" in text
    assert "trust.gain_rate: most likely 3, 2.1 to 3.9 (prior 0.5 to 9.5); narrowed to 20%" in text
    assert "NOT IDENTIFIED: still 100% of the prior width" in text
    assert "e-0" not in text
    assert "together" not in text  # no strong pair here
    narrowed = summary_text(identifiability([GAIN], draws))
    assert "narrowed every fitted parameter" in narrowed


def test_summary_explains_a_correlated_pair() -> None:
    pairs = pd.DataFrame({"key_a": ["a.x"], "key_b": ["a.y"], "r": [-0.9]})
    table = identifiability([GAIN], _grid_draws())
    text = summary_text(table, pairs)
    assert "a.x and a.y (correlation -0.90): when one is higher the other falls" in text


def _trials() -> pd.DataFrame:
    return pd.DataFrame({
        "number": range(6),
        "value": [10.0, 11.0, 12.5, 13.0, 30.0, np.nan],
        "state": ["COMPLETE"] * 4 + ["COMPLETE", "FAIL"],
        "params_trust.gain_rate": [5.0, 4.0, 6.0, 1.0, 9.0, 0.0],
        "params_churn.base_hazard": [0.01, 0.02, 0.005, 0.05, 0.09, 0.001],
    })


def test_near_best_keeps_trials_within_the_loglik_drop() -> None:
    t = near_best(_trials(), [GAIN, HAZARD]).set_index("key")
    g = t.loc["trust.gain_rate"]
    # best 10; within 1.92: trials 0, 1 (values 10 and 11)
    assert (g.best, g.low, g.high, g.trials) == (5.0, 4.0, 5.0, 2)
    assert g.width_ratio == pytest.approx(1.0 / 9.0)
    assert g.method == NEAR_BEST_LABEL
    wide = near_best(_trials(), [GAIN], loglik_drop=3.0).iloc[0]
    assert (wide.low, wide.high, wide.trials) == (1.0, 6.0, 4)  # values 10 to 13


def test_near_best_maximize_and_top_fraction() -> None:
    trials = _trials().assign(value=lambda d: -d["value"])
    up = near_best(trials, [GAIN], direction="maximize").iloc[0]
    assert (up.best, up.low, up.high) == (5.0, 4.0, 5.0)
    top = near_best(_trials(), [GAIN], top_fraction=0.6).iloc[0]  # best 3 of 5 finished
    assert (top.low, top.high, top.trials) == (4.0, 6.0, 3)
    plain = _trials().rename(columns={"params_trust.gain_rate": "trust.gain_rate"})
    assert near_best(plain, [GAIN]).iloc[0].best == 5.0


def test_near_best_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="direction must be"):
        near_best(_trials(), [GAIN], direction="up")
    with pytest.raises(ValueError, match="top_fraction must be in"):
        near_best(_trials(), [GAIN], top_fraction=0.0)
    with pytest.raises(ValueError, match="no finished trial"):
        near_best(_trials().iloc[5:], [GAIN])
    with pytest.raises(KeyError, match=r"params_other\.key"):
        near_best(_trials(), [Prior("other.key", 0, 1)])


def test_near_best_text_says_it_is_not_a_posterior() -> None:
    text = near_best_text(near_best(_trials(), [GAIN, HAZARD]))
    assert "not a posterior interval" in text
    assert "trust.gain_rate: best 5, near-best 4 to 5 (prior 90%: 0.5 to 9.5)" in text
    assert "churn.base_hazard: best 0.01, near-best 0.01 to 0.02" in text


def test_predictive_band_weighted_quantiles_per_week_and_series() -> None:
    sims = pd.DataFrame({
        "week": [0] * 5 + [1] * 5 + [0] * 2,
        "series": ["churned"] * 10 + ["revenue"] * 2,
        "value": [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 10.0, 10.0, 10.0, 10.0, 7.0, 9.0],
    })
    band = predictive_band(sims)
    assert list(band.columns) == ["week", "series", "q05", "q50", "q95"]
    row = band[(band.week == 0) & (band.series == "churned")].iloc[0]
    assert (row.q05, row.q50, row.q95) == pytest.approx(
        tuple(np.quantile([1, 2, 3, 4, 5], [0.05, 0.5, 0.95], method="hazen")))
    assert band[band.week == 1].q05.iloc[0] == band[band.week == 1].q95.iloc[0] == 10.0
    weighted = predictive_band(sims.iloc[10:].assign(weight=[0.0, 1.0]))
    assert weighted.q50.iloc[0] == 9.0
