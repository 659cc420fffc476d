"""Mechanism 4: incident news and trust loss."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.mechanisms import incidents as inc

LOSS = dict(impact=0.3, responsible_factor=0.4, transparency_mitigation=0.5)


def test_media_reach_share_and_only_unaware():
    n = 200_000
    aware = np.full(n, -1, np.int32)
    aware[:1000] = 3
    u = np.random.default_rng(0).random(n, dtype=np.float32)
    new = inc.media_news(aware, u, 0.4)
    assert not new[:1000].any()
    assert abs(new[1000:].mean() - 0.4) < 0.005


def test_network_news_independent_cascade_probability():
    # star: centre 0 with 4 aware leaves who learned last week; centre hears with
    # probability 1 - (1 - q)^4
    n = 5
    rows = np.r_[np.zeros(4, int), np.arange(1, 5)]
    cols = np.r_[np.arange(1, 5), np.zeros(4, int)]
    adj = sp.coo_array((np.ones(8, np.float32), (rows, cols)), shape=(n, n)).tocsr()
    sharers = np.array([False, True, True, True, True])
    aware = np.array([-1, 5, 5, 5, 5], np.int32)
    q = 0.15
    p = 1 - (1 - q) ** 4
    hits = [inc.network_news(adj, sharers, aware, np.array([u, 0, 0, 0, 0], np.float32), q)[0]
            for u in (p - 1e-4, p + 1e-4)]
    assert hits == [True, False]


def test_trust_loss_by_severity_handling_and_transparency():
    t = np.array([0.8, 0.8], np.float32)
    new = np.array([True, False])
    out = inc.incident_trust_loss(t, new, severity=1.0, responsible=False, transparency=0.0,
                                  **LOSS)
    assert out[0] == pytest.approx(0.8 * 0.7) and out[1] == pytest.approx(0.8)
    resp = inc.incident_trust_loss(t, new, severity=1.0, responsible=True, transparency=0.0,
                                   **LOSS)[0]
    transp = inc.incident_trust_loss(t, new, severity=1.0, responsible=False,
                                     transparency=1.0, **LOSS)[0]
    assert resp == pytest.approx(0.8 * (1 - 0.3 * 0.4))
    assert transp == pytest.approx(0.8 * (1 - 0.15))


def test_exit_intention_only_stated_and_irresponsible():
    new = np.array([True, True, False])
    stop = np.array([True, False, True])
    assert inc.exit_intention(new, stop, severity=0.7, responsible=False).tolist() == \
        pytest.approx([0.7, 0, 0])
    assert not inc.exit_intention(new, stop, severity=0.7, responsible=True).any()


def test_trust_loss_scales_with_severity():
    """Mutant: ``severity`` dropped from the loss (or divided instead of multiplied)."""
    t = np.array([0.8, 0.5], np.float32)
    new = np.array([True, True])
    out = inc.incident_trust_loss(t, new, severity=0.5, responsible=False, transparency=0.0,
                                  **LOSS)
    # loss share 0.3 * 0.5 = 0.15
    assert out.tolist() == pytest.approx([0.8 * 0.85, 0.5 * 0.85], rel=1e-6)
    both = inc.incident_trust_loss(t, new, severity=0.5, responsible=True, transparency=0.5,
                                   **LOSS)
    # 0.3 * 0.5 * (1 - 0.5 * 0.5) * 0.4 = 0.045
    assert both.tolist() == pytest.approx([0.8 * 0.955, 0.5 * 0.955], rel=1e-6)


def test_trust_loss_share_is_clipped_to_the_unit_interval():
    t = np.array([0.8, 0.4])
    new = np.array([True, False])
    # a loss share above 1 empties trust; below 0 (mitigation over 100%) leaves it
    out = inc.incident_trust_loss(t, new, severity=1.0, responsible=False, transparency=0.0,
                                  impact=3.0, responsible_factor=1.0, transparency_mitigation=0.0)
    assert out.dtype == np.float32 and out.tolist() == pytest.approx([0.0, 0.4])
    out = inc.incident_trust_loss(t, new, severity=1.0, responsible=False, transparency=1.0,
                                  impact=0.3, responsible_factor=1.0, transparency_mitigation=2.0)
    assert out.tolist() == pytest.approx([0.8, 0.4])


def test_media_news_skips_anyone_aware_since_week_zero_and_is_strict():
    aware = np.array([-1, 0, 2, -1], np.int32)
    u = np.array([0.1, 0.1, 0.1, 0.5], np.float32)
    assert inc.media_news(aware, u, 0.5).tolist() == [True, False, False, False]


def test_network_news_exact_probability_boundary_and_aware_at_zero():
    # path 0 - 1 - 2: 1 learned last week; q = 0.5, one sharer: p = 0.5 exactly
    adj = sp.csr_array((np.ones(4, np.float32), ([0, 1, 1, 2], [1, 0, 2, 1])), shape=(3, 3))
    sharers = np.array([False, True, False])
    aware = np.array([-1, 4, 0], np.int32)
    u = np.array([0.5, 0.0, 0.0], np.float32)
    assert inc.network_news(adj, sharers, aware, u, 0.5).tolist() == [False, False, False]
    u[0] = np.nextafter(np.float32(0.5), np.float32(0))
    assert inc.network_news(adj, sharers, aware, u, 0.5).tolist() == [True, False, False]
    none = inc.network_news(adj, sharers, aware, u, 0.0)
    assert none.dtype == bool and none.shape == (3,) and not none.any()


def test_exit_intention_dtype():
    new = np.array([True, True])
    stop = np.array([True, False])
    got = inc.exit_intention(new, stop, severity=0.5, responsible=False)
    assert got.dtype == np.float32 and got.tolist() == [0.5, 0.0]
    got = inc.exit_intention(new, stop, severity=0.5, responsible=True)
    assert got.dtype == np.float32 and got.shape == (2,) and not got.any()


def test_share_probability_scales_with_severity_and_halves_with_age():
    kw = dict(share_prob=0.2, news_half_life=2.0)
    assert inc.share_probability(0.8, 0, **kw) == pytest.approx(0.16, rel=1e-12)
    assert inc.share_probability(0.3, 0, **kw) == pytest.approx(0.06, rel=1e-12)
    # one half-life later, half; one week later, 2 ** -0.5
    assert inc.share_probability(0.8, 2, **kw) == pytest.approx(0.08, rel=1e-12)
    assert inc.share_probability(0.8, 1, **kw) == pytest.approx(0.16 / np.sqrt(2), rel=1e-12)
    assert inc.share_probability(1.0, 3, share_prob=0.2, news_half_life=3.0) == \
        pytest.approx(0.1, rel=1e-12)


def test_share_probability_is_clipped_to_the_unit_interval():
    assert inc.share_probability(1.0, 0, share_prob=1.0, news_half_life=1.0) == 1.0
    # an age before the first round would give more than 1: clipped
    assert inc.share_probability(1.0, -2, share_prob=0.9, news_half_life=1.0) == 1.0
    assert inc.share_probability(0.5, 0, share_prob=0.0, news_half_life=1.0) == 0.0


def test_trust_loss_scaled_by_each_hearer_sensitivity_and_clipped():
    t = np.array([0.8, 0.8, 0.8, 0.8], np.float32)
    new = np.array([True, True, True, False])
    sens = np.array([0.5, 2.0, 10.0, 3.0], np.float32)
    out = inc.incident_trust_loss(t, new, severity=1.0, responsible=False, transparency=0.0,
                                  sensitivity=sens, **LOSS)
    # base loss share 0.3: halved, doubled, and 3.0 clipped to 1 (trust emptied)
    assert out.dtype == np.float32
    assert out.tolist() == pytest.approx([0.8 * 0.85, 0.8 * 0.4, 0.0, 0.8], rel=1e-6)
    # the scalar default is one: the unscaled loss
    plain = inc.incident_trust_loss(t, new, severity=1.0, responsible=False, transparency=0.0,
                                    **LOSS)
    assert plain.tolist() == pytest.approx([0.8 * 0.7] * 3 + [0.8], rel=1e-6)
    # a negative sensitivity cannot raise trust (the share is clipped at 0)
    up = inc.incident_trust_loss(t, new, severity=1.0, responsible=False, transparency=0.0,
                                 sensitivity=np.full(4, -1.0, np.float32), **LOSS)
    assert up.tolist() == pytest.approx([0.8] * 4)


def test_trust_loss_with_sensitivity_computes_in_float32():
    rng = np.random.default_rng(4)
    t = rng.random(3000, dtype=np.float32)
    sens = (rng.random(3000, dtype=np.float32) * 3).astype(np.float32)
    new = rng.random(3000) < 0.7
    kw = dict(severity=0.7, responsible=False, transparency=0.3, **LOSS)
    a = inc.incident_trust_loss(t, new, sensitivity=sens, **kw)
    b = inc.incident_trust_loss(t, new, sensitivity=sens.astype(np.float64), **kw)
    loss = np.float32(0.3 * 0.7 * (1 - 0.5 * 0.3))
    want = np.where(new, t * (np.float32(1) - np.clip(sens * loss, 0, 1)), t)
    assert a.dtype == b.dtype == np.float32
    assert np.array_equal(a, want) and np.array_equal(b, want)


def test_loss_share_above_one_is_scaled_before_it_is_clipped():
    # impact x severity = 3: a sensitivity of 0.2 takes 0.6 of trust, 0.5 takes it all
    t = np.array([0.5, 0.5], np.float32)
    out = inc.incident_trust_loss(t, np.array([True, True]), severity=1.0, responsible=False,
                                  transparency=0.0, impact=3.0, responsible_factor=1.0,
                                  transparency_mitigation=0.0,
                                  sensitivity=np.array([0.2, 0.5], np.float32))
    assert out.tolist() == pytest.approx([0.5 * 0.4, 0.0], rel=1e-6)
