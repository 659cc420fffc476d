"""Mechanism 2: asymmetric trust update."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms.trust import ad_trust_update

KW = dict(value_exchange=0.5, gain_rate=0.02, asymmetry=2.25, excess_weight=0.0,
          consent_penalty=0.0)


def _one(trust, reached, crossed, relevance=1.0, excess=0.0, violation=False, **kw):
    args = {**KW, **kw}
    return ad_trust_update(
        np.array([trust], np.float32), np.array([reached]), np.array([crossed]),
        np.array([excess], np.float32), np.array([relevance], np.float32),
        np.array([violation]), **args,
    )[0]


def test_gain_closes_share_of_gap():
    assert _one(0.5, True, False) == pytest.approx(0.5 + 0.02 * 0.5, rel=1e-6)


def test_loss_to_gain_ratio_equals_asymmetry_at_reference():
    t = 0.5  # gap and level are equal, so the absolute changes compare directly
    gain = _one(t, True, False) - t
    loss = t - _one(t, True, True)
    assert loss / gain == pytest.approx(2.25, rel=1e-5)


@pytest.mark.parametrize("ratio", [1.0, 3.0, 5.0])
def test_asymmetry_parameter_sweeps(ratio):
    t = 0.5
    gain = _one(t, True, False, asymmetry=ratio) - t
    loss = t - _one(t, True, True, asymmetry=ratio)
    assert loss / gain == pytest.approx(ratio, rel=1e-5)


def test_unreached_unchanged_and_value_exchange_scales_gain():
    assert _one(0.3, False, False) == pytest.approx(0.3)
    g_low = _one(0.5, True, False, value_exchange=0.0) - 0.5
    g_high = _one(0.5, True, False, value_exchange=1.0) - 0.5
    assert g_high == pytest.approx(3 * g_low, rel=1e-5)


def test_excess_and_consent_violation_deepen_loss():
    base = _one(0.8, True, True)
    assert _one(0.8, True, True, excess=0.3, excess_weight=1.0) < base
    assert _one(0.8, True, False, violation=True, consent_penalty=1.0) < _one(0.8, True, False)


def test_frequency_compounds():
    once = _one(0.5, True, True)
    twice = _one(0.5, True, True, frequency=2)
    assert twice == pytest.approx(0.5 * (once / 0.5) ** 2, rel=1e-5)


def test_trust_stays_in_unit_interval_under_extremes():
    rng = np.random.default_rng(3)
    n = 10_000
    t = rng.random(n, dtype=np.float32)
    out = ad_trust_update(
        t, rng.random(n) < 0.9, rng.random(n) < 0.5, rng.random(n, dtype=np.float32) * 5,
        rng.random(n, dtype=np.float32), rng.random(n) < 0.5,
        value_exchange=1.0, gain_rate=1.0, asymmetry=10.0, excess_weight=20.0,
        consent_penalty=5.0, frequency=7,
    )
    assert out.min() >= 0.0 and out.max() <= 1.0
