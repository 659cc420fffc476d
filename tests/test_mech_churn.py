"""Mechanisms 5 and 6: churn hazard, contagion, Watts rule, exit conversion."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.mechanisms import churn as ch
from sim.population import NOT_CHURNED


def _star(leaves):
    n = leaves + 1
    rows = np.r_[np.zeros(leaves, int), np.arange(1, n)]
    cols = np.r_[np.arange(1, n), np.zeros(leaves, int)]
    return sp.coo_array((np.ones(2 * leaves, np.float32), (rows, cols)), shape=(n, n)).tocsr()


def test_social_exposure_weights_by_age_within_window():
    adj = _star(4)
    week = 10
    # leaves 1, 2, 3 left in weeks 9, 8, 5: ages 0, 1 and 4 (out of a 4-week window)
    leavers = {9: np.array([1]), 8: np.array([2]), 5: np.array([3]), 10: np.array([], int)}
    e = ch.social_exposure(adj, leavers, week, window=4, decay=0.5)
    assert e[0] == pytest.approx(1 + 0.5)
    assert e[1:].tolist() == [0, 0, 0, 0]
    assert ch.social_exposure(adj, {3: np.array([1])}, week, window=4, decay=0.5)[0] == 0


def test_social_exposure_equals_matrix_product():
    rng = np.random.default_rng(1)
    n = 400
    a = sp.random_array((n, n), density=0.02, random_state=2, format="csr")
    adj = ((a + a.T) > 0).astype(np.float32).tocsr()
    adj.setdiag(0)
    adj.eliminate_zeros()
    cw = np.where(rng.random(n) < 0.2, rng.integers(0, 12, n), NOT_CHURNED)
    leavers = {w: np.flatnonzero(cw == w) for w in range(12)}
    week = 12
    age = week - 1 - cw
    x = np.where((age >= 0) & (age < 5), 0.7 ** np.clip(age, 0, None), 0.0)
    e = ch.social_exposure(adj, leavers, week, window=5, decay=0.7)
    assert np.allclose(e, adj @ x, rtol=1e-5)


def test_hazard_ratio_per_exposure_and_trust_sensitivity():
    t = np.array([1.0, 1.0, 0.5], np.float32)
    e = np.array([0.0, 1.0, 0.0], np.float32)
    h = ch.hazard(t, e, base_hazard=0.01, trust_sensitivity=2.0, contagion_ratio=1.8)
    assert h[0] == pytest.approx(0.01)
    assert h[1] / h[0] == pytest.approx(1.8, rel=1e-5)
    assert h[2] / h[0] == pytest.approx(np.exp(1.0), rel=1e-5)
    # no exposure given, or the default ratio of 1: no churned friends count
    alone = ch.hazard(t, base_hazard=0.01, trust_sensitivity=2.0)
    np.testing.assert_array_equal(alone, ch.hazard(t, e * 0, base_hazard=0.01,
                                                    trust_sensitivity=2.0, contagion_ratio=1.8))
    np.testing.assert_array_equal(alone, ch.hazard(t, e, base_hazard=0.01, trust_sensitivity=2.0))
    np.testing.assert_array_equal(alone, ch.hazard(t, base_hazard=0.01, trust_sensitivity=2.0,
                                                   contagion_ratio=1.8))


def test_threshold_rule_fraction_and_isolated():
    adj = _star(5)
    churned = np.array([False, True, False, False, False, False])
    deg = np.diff(adj.indptr).astype(np.float32)
    thr = np.full(6, 0.18, np.float32)
    leave = ch.threshold_rule(adj, churned, deg, thr)
    assert leave[0]                      # 1/5 = 0.2 >= 0.18
    assert not leave[2:].any()           # leaves see 0 of 1
    thr[0] = 0.25
    assert not ch.threshold_rule(adj, churned, deg, thr)[0]
    iso = sp.csr_array((3, 3), dtype=np.float32)
    assert not ch.threshold_rule(iso, np.ones(3, bool), np.zeros(3, np.float32),
                                 np.zeros(3, np.float32)).any()


def test_threshold_rule_does_not_depend_on_the_degree_dtype():
    # 1 of the centre's 3 friends left: the share 1/3 is a float32, like the thresholds
    # it is compared with, whether the degrees come as float32 (the model) or as the
    # integer counts np.diff(indptr) gives; a float64 share (0.33333333) would fall
    # just below float32(1/3) = 0.33333334 and the centre would stay
    adj = _star(3)
    churned = np.array([False, True, False, False])
    thr = np.full(4, 1 / 3, np.float32)
    counts = np.diff(adj.indptr)
    assert counts.dtype.kind == "i"
    want = [True, False, False, False]
    assert ch.threshold_rule(adj, churned, counts.astype(np.float32), thr).tolist() == want
    assert ch.threshold_rule(adj, churned, counts, thr).tolist() == want


def test_stated_to_actual_and_combination():
    intent = np.array([0.0, 1.0, 0.5], np.float32)
    p = ch.stated_to_actual(intent, 0.05)
    assert np.allclose(p, [0, 0.05, 0.025])
    comb = ch.exit_probability(np.array([0.1], np.float32), np.array([0.2], np.float32))
    assert comb[0] == pytest.approx(1 - np.exp(-0.1) * 0.8, rel=1e-6)


def test_hazard_extremes_stay_finite():
    t = np.zeros(3, np.float32)
    e = np.array([0.0, 50.0, 500.0], np.float32)
    with np.errstate(all="raise"):
        h = ch.hazard(t, e, base_hazard=0.5, trust_sensitivity=20.0, contagion_ratio=100.0)
    assert np.isfinite(h).all() and h[2] >= h[1] >= h[0] > 0
    assert ch.exit_probability(h)[2] == 1.0
    zero = ch.hazard(t, e, base_hazard=0.0, trust_sensitivity=20.0, contagion_ratio=100.0)
    assert not zero.any()


def test_exit_probability_is_precise_for_small_hazards():
    from sim.mechanisms.churn import exit_probability

    h = np.array([1e-6, 1e-4, 0.002, 0.5, 30.0], dtype=np.float32)
    want = -np.expm1(-h.astype(np.float64))
    assert np.allclose(exit_probability(h), want, rtol=1e-6, atol=0)
    d = np.array([0.0, 0.5, 0.01, 1.0, 0.2], dtype=np.float32)
    both = 1 - np.exp(-h.astype(np.float64)) * (1 - d)
    assert np.allclose(exit_probability(h, d), both, rtol=1e-6, atol=1e-7)


def test_watts_rule_is_inclusive_exactly_at_the_threshold():
    """Mutant: Watts rule ``>=`` -> ``>``; 1 of 4 friends is exactly 0.25."""
    adj = _star(4)
    churned = np.array([False, True, False, False, False])
    deg = np.diff(adj.indptr).astype(np.float32)
    thr = np.full(5, 0.25, np.float32)
    assert ch.threshold_rule(adj, churned, deg, thr).tolist() == [True, False, False, False, False]
    thr[0] = np.nextafter(np.float32(0.25), np.float32(1))
    assert not ch.threshold_rule(adj, churned, deg, thr)[0]


def test_watts_rule_single_friend_and_isolated_without_warnings():
    # leaf 1's only friend (the centre) left: share 1 >= 0.5; isolated node 3 never leaves
    adj = sp.csr_array(
        (np.ones(4, np.float32), ([0, 1, 0, 2], [1, 0, 2, 0])), shape=(4, 4))
    churned = np.array([True, False, False, False])
    deg = np.diff(adj.indptr).astype(np.float32)
    with np.errstate(all="raise"):
        leave = ch.threshold_rule(adj, churned, deg, np.full(4, 0.5, np.float32))
    assert leave.tolist() == [False, True, True, False]


def test_hazard_exact_values_cap_and_dtype():
    t = np.array([1.0, 0.0, 0.5, 0.0])
    e = np.array([0.0, 0.0, 2.0, 100.0])
    h = ch.hazard(t, e, base_hazard=0.01, trust_sensitivity=2.0, contagion_ratio=2.0)
    assert h.dtype == np.float32 and h.shape == (4,)
    want = [0.01, 0.01 * np.exp(2.0), 0.01 * np.exp(1.0) * 4.0, np.exp(60.0)]
    assert h.tolist() == pytest.approx(want, rel=1e-5)
    # ratio 1: exposure is ignored
    h1 = ch.hazard(t, e, base_hazard=0.01, trust_sensitivity=2.0, contagion_ratio=1.0)
    assert h1[3] == pytest.approx(0.01 * np.exp(2.0), rel=1e-5)


def test_zero_base_hazard_is_exactly_zero_without_log_of_zero():
    t = np.array([0.2, 0.9])
    with np.errstate(all="raise"):
        h = ch.hazard(t, np.zeros(2), base_hazard=0.0, trust_sensitivity=3.0, contagion_ratio=2.0)
    assert h.dtype == np.float32 and h.shape == (2,) and not h.any()


def test_float64_inputs_give_float32_outputs():
    h = np.array([0.1, 0.2])
    p = np.array([0.5, 0.0])
    q = ch.exit_probability(h, p)
    assert q.dtype == np.float32
    assert q.tolist() == pytest.approx([1 - np.exp(-0.1) * 0.5, 1 - np.exp(-0.2)], rel=1e-6)
    s = ch.stated_to_actual(np.array([1.0, 0.3]), 0.05)
    assert s.dtype == np.float32 and s.tolist() == pytest.approx([0.05, 0.015], rel=1e-6)
    e = ch.social_exposure(_star(2), {}, 5, window=3, decay=0.5)
    assert e.dtype == np.float32 and e.shape == (3,) and not e.any()


# --------------------------------------------------------------------------- causes


def test_cause_codes_name_the_causes_in_order():
    assert ch.CHURN_CAUSES == ("seed", "crossing", "incident", "contagion", "trust_loss",
                               "background")
    assert (ch.SEED, ch.CROSSING, ch.INCIDENT, ch.CONTAGION, ch.TRUST_LOSS,
            ch.BACKGROUND) == (0, 1, 2, 3, 4, 5)
    assert ch.DRAWN_CAUSES == (1, 2, 3, 4, 5)
    assert ch.NO_CAUSE == -1


def test_split_background_measures_trust_loss_from_the_start():
    lost, bg = ch.split_background(np.array([0.03, 0.01, 0.02], np.float32),
                                   np.array([0.01, 0.03, 0.02], np.float32))
    np.testing.assert_array_equal(bg, np.float32([0.01, 0.01, 0.02]))
    np.testing.assert_array_equal(lost, [np.float32(0.03) - np.float32(0.01), 0, 0])


def test_cause_weights_are_the_competing_hazards():
    f = np.float32
    cross, told = f([0.1, 0.0, 0.0]), f([0.2, 0.0, 2.0])
    w = ch.cause_weights(
        f([0.01, 0.02, 0.03]),      # background
        f([0.04, 0.0, 0.05]),       # trust loss
        f([0.02, 0.0, -1e-9]),      # contagion (a rounding negative -> 0)
        f([0.1, 0.0, 0.5]),         # direct exit probability
        cross, told,                # crossing and incident intentions
    )
    assert w.shape == (5, 3) and w.dtype == np.float64
    h1 = -np.log(1 - np.float64(f(0.1)))
    share = np.float64(cross[0]) / (np.float64(cross[0]) + np.float64(told[0]))  # 1/3, in f64
    np.testing.assert_allclose(w[:, 0], [share * h1, (1 - share) * h1, f(0.02), f(0.04),
                                         f(0.01)], rtol=1e-14)
    np.testing.assert_array_equal(w[:, 1], [0.0, 0.0, 0.0, 0.0, f(0.02)])
    np.testing.assert_allclose(w[:, 2], [0.0, np.log(2.0), 0.0, f(0.05), f(0.03)], rtol=1e-14)


def test_cause_weights_without_stated_intentions_give_direct_exits_no_weight():
    w = ch.cause_weights(np.zeros(2), np.zeros(2), np.zeros(2), np.array([0.0, 0.3]),
                         np.zeros(2), np.zeros(2))
    assert not np.isnan(w).any()
    np.testing.assert_array_equal(w[0], [0.0, 0.0])
    np.testing.assert_allclose(w[1], [0.0, -np.log(0.7)])  # no intention on record: incident


def test_cause_weights_of_a_certain_direct_exit_leave_hazards_no_share():
    w = ch.cause_weights(np.array([0.5, 0.5]), np.array([0.1, 0.1]), np.array([2.0, 2.0]),
                         np.array([1.0, 1.0]), np.array([0.3, 0.0]), np.array([0.1, 0.4]))
    np.testing.assert_allclose(w[:, 0], [0.75, 0.25, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(w[:, 1], [0.0, 1.0, 0.0, 0.0, 0.0])
    assert np.isfinite(w).all()


def test_cause_hazards_add_up_to_the_exit_probability():
    rng = np.random.default_rng(5)
    bg, lost, extra = rng.uniform(0, 0.05, (3, 50)).astype(np.float32)
    direct = rng.uniform(0, 0.9, 50).astype(np.float32)
    w = ch.cause_weights(bg, lost, extra, direct, direct, direct)
    q = ch.exit_probability(bg + lost + extra, direct)
    np.testing.assert_allclose(1 - np.exp(-w.sum(axis=0)), q, rtol=2e-5)
    np.testing.assert_allclose(w[0], w[1])  # equal intentions split the direct hazard evenly


def test_draw_cause_picks_by_cumulative_share():
    w = np.array([[1.0, 1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0, 0.0],
                  [3.0, 3.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0]])
    u = np.array([0.2499, 0.25, 0.9999, 0.0, 0.7], np.float32)
    got = ch.draw_cause(w, u)
    assert got.dtype == np.int8
    assert got.tolist() == [ch.CROSSING, ch.CONTAGION, ch.CONTAGION, ch.INCIDENT,
                            ch.BACKGROUND]  # all-zero weights: background


def test_draw_cause_frequencies_follow_the_weights():
    m = 40_000
    w = np.tile(np.array([[0.1], [0.2], [0.3], [0.15], [0.25]]), (1, m))
    u = np.random.default_rng(2).random(m)
    got = ch.draw_cause(w, u)
    share = np.bincount(got, minlength=6)[1:] / m
    np.testing.assert_allclose(share, [0.1, 0.2, 0.3, 0.15, 0.25], atol=0.01)
