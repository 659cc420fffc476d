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
