"""Mechanism 1: exposure and perception."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from sim.mechanisms import perception as pc


def test_exposed_only_customers_at_reach():
    rng = np.random.default_rng(0)
    n = 200_000
    customer = rng.random(n) < 0.7
    reached = pc.exposed(customer, rng.random(n, dtype=np.float32), 0.3)
    assert not (reached & ~customer).any()
    # reached share of customers: 0.3, standard error sqrt(0.3 * 0.7 / 140,000) = 0.0012
    assert abs(reached.sum() / customer.sum() - 0.3) < 0.005
    # exactly the customers whose draw is below the reach
    u = np.array([0.0, 0.29, 0.3, 0.5, 0.1], np.float32)
    cust = np.array([True, True, True, True, False])
    assert pc.exposed(cust, u, np.float32(0.3)).tolist() == [True, True, False, False, False]


def test_effective_threshold_shifts_and_clips():
    thr = np.array([0.0, 0.5, 0.98], dtype=np.float32)
    control = np.array([False, True, True])
    eff = pc.effective_threshold(thr, control, value_exchange=0.5, transparency=1.0,
                                 value_shift=0.1, transparency_shift=0.05, control_shift=0.1)
    assert np.allclose(eff, [0.1, 0.7, 1.0])
    assert eff.dtype == np.float32


def test_perceive_without_noise_is_a_strict_threshold():
    intr = np.full(4, 0.65, dtype=np.float32)
    reached = np.array([True, True, True, False])
    eff = np.array([0.5, 0.65, 0.9, 0.1], dtype=np.float32)
    crossed, excess = pc.perceive(intr, reached, eff, np.full(4, 0.5, np.float32), 0.0)
    assert crossed.tolist() == [True, False, False, False]
    assert np.allclose(excess, [0.15, 0, 0, 0])
    # the median draw (z = 0) gives the same answer with noise
    crossed, excess = pc.perceive(intr, reached, eff, np.full(4, 0.5, np.float32), 0.05)
    assert crossed.tolist() == [True, False, False, False]
    assert np.allclose(excess, [0.15, 0, 0, 0], atol=1e-6)


def test_perception_noise_gives_normal_cdf_crossing_rate():
    n = 400_000
    u = np.random.default_rng(1).random(n, dtype=np.float32)
    intr = np.full(n, 0.5, dtype=np.float32)
    eff = np.full(n, 0.55, dtype=np.float32)
    crossed, excess = pc.perceive(intr, np.ones(n, bool), eff, u, 0.05)
    # P(0.5 + 0.05 Z > 0.55) = P(Z > 1) = 0.1587
    assert abs(crossed.mean() - 0.1587) < 0.003
    # E[0.05 (Z - 1) | Z > 1] = 0.05 (phi(1) / (1 - Phi(1)) - 1) = 0.05 * 0.5251
    assert abs(excess[crossed].mean() - 0.05 * 0.5251) < 0.001


def test_far_thresholds_are_never_evaluated_and_never_cross():
    intr = np.float32(0.0)
    eff = np.array([0.9, 0.01], np.float32)
    u = np.array([0.999999, 0.999999], np.float32)  # z about 4.75
    crossed, _ = pc.perceive(intr, np.ones(2, bool), eff, u, 0.05)
    assert crossed.tolist() == [False, True]


def test_cutoff_is_the_normal_cdf_of_the_margin_and_reusable():
    eff = np.array([0.55, 0.5, 0.45, 0.9], np.float32)
    cut = pc.crossing_cutoff(np.float32(0.5), eff, 0.05)
    assert np.allclose(cut, [0.841345, 0.5, 0.158655, 1.0], atol=1e-6)
    assert cut.dtype == np.float32
    # no noise: 0 (always crosses) below the ad, 1 (never) at or above it
    assert pc.crossing_cutoff(np.float32(0.5), eff, 0.0).tolist() == [1.0, 1.0, 0.0, 1.0]
    u = np.random.default_rng(2).random((50, 4), dtype=np.float32)
    reached = np.array([True, True, True, False])
    for row in u:
        fresh = pc.perceive(np.float32(0.5), reached, eff, row, 0.05)
        kept = pc.perceive(np.float32(0.5), reached, eff, row, 0.05, cut)
        assert np.array_equal(fresh[0], kept[0]) and np.array_equal(fresh[1], kept[1])
        assert (fresh[1] >= 0).all() and not fresh[0][3]


def test_effective_threshold_exact_shift_formula():
    """Mutant: the value/transparency shift altered (e.g. ``* transparency`` -> ``/``)."""
    thr = np.array([0.2, 0.4])  # float64 in, float32 out
    eff = pc.effective_threshold(thr, np.array([False, True]), value_exchange=0.5,
                                 transparency=0.5, value_shift=0.2, transparency_shift=0.1,
                                 control_shift=0.3)
    # 0.2 * 0.5 + 0.1 * 0.5 = 0.15; plus 0.3 in control
    assert eff.dtype == np.float32
    assert eff.tolist() == pytest.approx([0.35, 0.85], abs=1e-7)
    # a negative shift is clipped at 0
    low = pc.effective_threshold(thr, np.zeros(2, bool), value_exchange=1.0, transparency=0.0,
                                 value_shift=-0.3, transparency_shift=0.1, control_shift=0.3)
    assert low.tolist() == pytest.approx([0.0, 0.1], abs=1e-7)


def test_cutoff_margin_is_computed_in_float32():
    # 1e-12 below the ad is the ad itself in float32: never crosses, without noise
    eff = np.array([0.5 - 1e-12, 0.4])
    assert pc.crossing_cutoff(np.float32(0.5), eff, 0.0).tolist() == [1.0, 0.0]


def test_no_noise_crossing_includes_the_zero_draw():
    intr = np.full(2, 0.6, np.float32)
    eff = np.array([0.5, 0.7], np.float32)
    u = np.zeros(2, np.float32)
    crossed, excess = pc.perceive(intr, np.ones(2, bool), eff, u, 0.0)
    assert crossed.tolist() == [True, False]
    assert excess.dtype == np.float32
    assert excess.tolist() == pytest.approx([0.1, 0.0], abs=1e-7)


def test_excess_is_the_float64_gap_rounded_once():
    rng = np.random.default_rng(5)
    n = 2000
    u = rng.random(n, dtype=np.float32)
    # thresholds from 1e-6 to 1: most gaps are not exact in float32
    eff = (10 ** rng.uniform(-6, 0, n)).astype(np.float32)
    intr = np.float32(0.6)
    crossed, excess = pc.perceive(intr, np.ones(n, bool), eff, u, 0.2)
    z = special.ndtri(u.astype(np.float64))
    gap = np.float64(intr) - eff.astype(np.float64) + 0.2 * z
    want = np.where(crossed, np.maximum(gap, 0.0), 0.0).astype(np.float32)
    assert crossed.sum() > 500
    assert np.array_equal(excess, want)


def test_concern_sensitivity_is_exp_of_weight_times_segment_offset():
    seg = np.array([0, 1, 2, 2, 0], np.int8)
    offs = [1.2, 0.0, -1.2]
    got = pc.concern_sensitivity(seg, offs, 0.5)
    assert got.dtype == np.float32
    e = np.exp(np.float32(0.6))
    assert got.tolist() == pytest.approx([e, 1.0, 1 / e, 1 / e, e], rel=1e-6)
    # the weight multiplies the offset (not adds): weight 2 doubles the log
    assert pc.concern_sensitivity(seg[:1], offs, 2.0)[0] == pytest.approx(np.exp(2.4), rel=1e-6)
    # weight 0: every hearer alike
    assert pc.concern_sensitivity(seg, offs, 0.0).tolist() == [1.0] * 5
