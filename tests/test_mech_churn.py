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
    cw = np.array([NOT_CHURNED, 9, 8, 5, 10], np.int32)  # ages 0, 1, 4(out of window 4)
    e = ch.social_exposure(adj, cw, week, window=4, decay=0.5)
    assert e[0] == pytest.approx(1 + 0.5)
    cw_old = np.array([NOT_CHURNED, 3, NOT_CHURNED, NOT_CHURNED, NOT_CHURNED], np.int32)
    assert ch.social_exposure(adj, cw_old, week, window=4, decay=0.5)[0] == 0


def test_hazard_ratio_per_exposure_and_trust_sensitivity():
    t = np.array([1.0, 1.0, 0.5], np.float32)
    e = np.array([0.0, 1.0, 0.0], np.float32)
    h = ch.hazard(t, e, base_hazard=0.01, trust_sensitivity=2.0, contagion_ratio=1.8)
    assert h[0] == pytest.approx(0.01)
    assert h[1] / h[0] == pytest.approx(1.8, rel=1e-5)
    assert h[2] / h[0] == pytest.approx(np.exp(1.0), rel=1e-5)


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


def test_stated_to_actual_and_combination():
    intent = np.array([0.0, 1.0, 0.5], np.float32)
    p = ch.stated_to_actual(intent, 0.05)
    assert np.allclose(p, [0, 0.05, 0.025])
    comb = ch.exit_probability(np.array([0.1], np.float32), np.array([0.2], np.float32))
    assert comb[0] == pytest.approx(1 - np.exp(-0.1) * 0.8, rel=1e-6)
