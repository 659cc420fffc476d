"""Mechanism 7: purchase probability."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms.purchase import purchase_probability

KW = dict(value_exchange=0.5, transparency=0.0, base_rate=0.1, trust_floor=0.2,
          relevance_lift=0.6, reactance=0.3, transparency_lift=0.11, transparency_penalty=0.17)


def _p(trust, reached, crossed, relevance=0.5, **kw):
    return purchase_probability(np.array([trust], np.float32), np.array([reached]),
                                np.array([crossed]), np.array([relevance], np.float32),
                                **{**KW, **kw})[0]


def test_trust_raises_purchase():
    assert _p(0.0, False, False) == pytest.approx(0.1 * 0.2)
    assert _p(1.0, False, False) == pytest.approx(0.1)


def test_relevant_ad_lifts_crossing_ad_drops():
    base = _p(0.5, False, False)
    assert _p(0.5, True, False, relevance=1.0) == pytest.approx(base * 1.6)
    assert _p(0.5, True, True) == pytest.approx(base * 0.7)


def test_transparency_effects_kim_barasz_john():
    ok0 = _p(0.5, True, False, relevance=1.0)
    ok1 = _p(0.5, True, False, relevance=1.0, transparency=1.0)
    assert (ok1 - _p(0.5, False, False)) / (ok0 - _p(0.5, False, False)) == \
        pytest.approx(1.11, rel=1e-5)
    bad0 = _p(0.5, True, True)
    bad1 = _p(0.5, True, True, transparency=1.0)
    assert bad1 / bad0 == pytest.approx(0.83, rel=1e-5)


def test_lift_term_exact_at_other_value_and_relevance():
    """Mutant: the lift term altered (``*`` -> ``/`` in value or relevance)."""
    base = 0.1 * (0.2 + 0.8 * 0.5)  # 0.06 at trust 0.5
    # lift 0.6 * (0.5 + 1.0) * (1 + 0.11 * 0.5) = 0.9495; times relevance 0.5
    got = _p(0.5, True, False, relevance=0.5, value_exchange=1.0, transparency=0.5)
    assert got == pytest.approx(base * (1 + 0.9495 * 0.5), rel=1e-6)
    # crossing: (1 - 0.3) * (1 - 0.17 * 0.5)
    got = _p(0.5, True, True, value_exchange=1.0, transparency=0.5)
    assert got == pytest.approx(base * 0.7 * 0.915, rel=1e-6)


def test_probability_is_clipped_and_float32():
    p = purchase_probability(
        np.array([1.0, 1.0, 0.5]), np.array([True, True, False]), np.array([False, True, False]),
        np.array([1.0, 1.0, 1.0]),
        **{**KW, "base_rate": 0.9, "relevance_lift": 5.0, "reactance": 1.5})
    assert p.dtype == np.float32
    # 0.9 * 6 > 1 -> 1; crossing drop 1 - 1.5 < 0 -> 0; unreached 0.9 * (0.2 + 0.8 * 0.5)
    assert p.tolist() == pytest.approx([1.0, 0.0, 0.54], rel=1e-6)


def test_float64_inputs_compute_as_float32():
    rng = np.random.default_rng(10)
    n = 2000
    t, rel = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    reached = rng.random(n) < 0.5
    crossed = reached & (rng.random(n) < 0.3)
    kw = {**KW, "value_exchange": 0.3, "transparency": 0.7}
    a = purchase_probability(t, reached, crossed, rel, **kw)
    b = purchase_probability(t.astype(float), reached, crossed, rel.astype(float), **kw)
    assert b.dtype == np.float32 and np.array_equal(a, b)
