"""The tie band: 'ahead' only when a difference is both statistically clear and practical."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.ties import Band, join_words, rank

NOISE = np.array([0.0, 500.0, -400.0, 250.0])  # shared by every candidate (common random numbers)


def wide(**cols: np.ndarray | list[float]) -> pd.DataFrame:
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in cols.items()})


def test_clear_and_practical_difference_is_ahead() -> None:
    a = 1000.0 + NOISE
    r = rank(wide(a=a, b=a + np.array([20.0, 19.0, 21.0, 20.0])), "revenue_cumulative")
    assert (r.best, r.tied, r.behind, r.decided) == ("b", [], "a", True)
    assert r.diff[0] == pytest.approx(20.0)
    assert 18 < r.diff[1] < 20 < r.diff[2] < 22
    assert r.threshold == pytest.approx(0.01 * r.means["b"])


def test_clear_but_below_the_practical_threshold_is_a_tie() -> None:
    a = 1000.0 + NOISE
    # b beats a by 5 in every replicate: statistically certain, but under 1% (about 10)
    r = rank(wide(a=a, b=a + 5.0, c=a - 200.0), "revenue_cumulative")
    assert (r.best, r.tied, r.behind, r.decided) == ("b", ["a"], "c", False)
    assert r.band == ["b", "a"]
    assert r.diff[0] == pytest.approx(205.0)


def test_practical_but_not_clear_is_a_tie() -> None:
    a = 1000.0 + NOISE
    r = rank(wide(a=a, b=a + np.array([60.0, -50.0, 70.0, -40.0])), "revenue_cumulative")
    assert r.means["b"] - r.means["a"] == pytest.approx(10.0)  # above 1%, but noisy
    assert (r.best, r.tied, r.behind) == ("b", ["a"], None)


def test_the_threshold_is_configurable() -> None:
    a = 1000.0 + NOISE
    r = rank(wide(a=a, b=a + 5.0), "revenue_cumulative", band=Band(relative=0.001))
    assert r.decided and r.behind == "a"


def test_one_replicate_declares_nothing_ahead() -> None:
    # a zero-width 'interval' from one run is no interval
    r = rank(wide(a=[100.0], b=[100.5], c=[50.0]), "revenue_cumulative")
    assert (r.best, r.tied, r.behind, r.replicates) == ("b", ["a"], "c", 1)
    assert not r.decided
    alone = rank(wide(a=[100.0], c=[50.0]), "revenue_cumulative")
    assert alone.tied == [] and not alone.decided
    assert all(math.isnan(x) for x in alone.intervals["a"])


def test_shares_use_percentage_points_and_direction() -> None:
    base = 0.80 + NOISE / 1e5
    # retention: 0.4 points clear in every replicate is under the 0.5-point threshold
    r = rank(wide(a=base, b=base + 0.004), "retention")
    assert r.best == "b" and r.tied == ["a"] and r.threshold == 0.005
    r = rank(wide(a=base, b=base + 0.01), "retention")
    assert r.decided
    # churn is better low
    r = rank(wide(a=base, b=base + 0.01), "churn_rate")
    assert r.best == "a" and r.decided and not r.higher_better
    assert r.diff[0] == pytest.approx(-0.01)


def test_unpaired_verdicts_need_non_overlapping_intervals() -> None:
    a = 1000.0 + NOISE
    b = a + 20.0
    assert rank(wide(a=a, b=b), "revenue_cumulative", paired=False).tied == ["a"]
    far = rank(wide(a=a, b=a + 2000.0), "revenue_cumulative", paired=False)
    assert far.decided and math.isnan(far.diff[1])


def test_missing_runs_and_empty_candidates() -> None:
    r = rank(wide(a=[1.0, np.nan], b=[np.nan, np.nan], c=[0.5, 0.6]), "y")
    assert r.order == ["a", "c"] and r.replicates == 1
    with pytest.raises(ValueError, match="no candidate has a value of y"):
        rank(wide(a=[np.nan]), "y")


def test_band_checks_and_words() -> None:
    with pytest.raises(ValueError, match="relative must be a number >= 0"):
        Band(relative=-0.1)
    with pytest.raises(ValueError, match="share_points"):
        Band(share_points=float("nan"))
    assert Band().describe("revenue_cumulative") == "1% of the value"
    assert Band().describe("retention") == "0.5 percentage points"
    assert Band(relative=0.025).describe("y") == "2.5% of the value"
    assert [join_words(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == [
        "", "a", "a and b", "a, b and c"]
