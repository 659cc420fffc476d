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
    # gain share 0.02 * (0.5 + v) closes that share of the gap 0.5
    assert g_low == pytest.approx(0.02 * 0.5 * 0.5, rel=1e-4)
    assert g_high == pytest.approx(0.02 * 1.5 * 0.5, rel=1e-4)
    # relevance scales the gain share: 0.02 * 1.0 * 0.25 of the gap 0.5
    assert _one(0.5, True, False, relevance=0.25) == pytest.approx(0.5 + 0.0025, rel=1e-6)


def test_excess_and_consent_violation_exact_losses():
    base = 2.25 * 0.02  # base loss share 0.045
    # crossing with excess 0.3 at weight 1: share 0.045 * 1.3
    assert _one(0.8, True, True, excess=0.3, excess_weight=1.0) == \
        pytest.approx(0.8 * (1 - base * 1.3), rel=1e-6)
    # an acceptable ad with a violation: loses penalty * base, then gains 0.02
    t = 0.8 * (1 - 2.0 * base)
    assert _one(0.8, True, False, violation=True, consent_penalty=2.0) == \
        pytest.approx(t + 0.02 * (1 - t), rel=1e-6)
    # crossing and violation add up
    assert _one(0.8, True, True, violation=True, consent_penalty=2.0) == \
        pytest.approx(0.8 * (1 - 3.0 * base), rel=1e-6)


def test_consent_penalty_only_for_reached_violations():
    """Mutant: ``(consent_violation & reached)`` -> ``consent_violation`` (or ``|``)."""
    trust = np.full(4, 0.8, np.float32)
    reached = np.array([True, True, False, True])
    crossed = np.array([True, False, False, False])
    violation = np.array([False, True, True, False])
    out = ad_trust_update(trust, reached, crossed, np.zeros(4, np.float32),
                          np.ones(4, np.float32), violation, **{**KW, "consent_penalty": 2.0})
    base = 2.25 * 0.02
    t1 = 0.8 * (1 - 2.0 * base)
    want = [0.8 * (1 - base), t1 + 0.02 * (1 - t1), 0.8, 0.8 + 0.02 * 0.2]
    assert out.dtype == np.float32
    assert out.tolist() == pytest.approx(want, rel=1e-6)


def test_frequency_compounds_gains_and_losses():
    """Mutant: the ``frequency != 1`` branch altered."""
    g = 0.02
    # three acceptable ads: the gap shrinks by (1 - g) ** 3
    assert _one(0.4, True, False, frequency=3) == pytest.approx(1 - 0.6 * (1 - g) ** 3, rel=1e-6)
    # two crossing ads: trust keeps (1 - l) ** 2
    assert _one(0.4, True, True, frequency=2) == pytest.approx(0.4 * (1 - 2.25 * g) ** 2,
                                                                rel=1e-6)
    # a violation penalty compounds with the gain, per ad
    t = 0.4 * (1 - 2.25 * g) ** 2
    assert _one(0.4, True, False, frequency=2, violation=True, consent_penalty=1.0) == \
        pytest.approx(t + (1 - (1 - g) ** 2) * (1 - t), rel=1e-6)


def test_shares_above_one_are_capped_per_ad():
    # gain share 1 * (0.5 + 1) * 1 = 1.5 is capped at 1: full trust after any number of ads
    assert _one(0.3, True, False, gain_rate=1.0, value_exchange=1.0, frequency=2) == 1.0
    # loss share 10 * 0.2 = 2 is capped at 1: trust 0, also with two ads
    assert _one(0.3, True, True, gain_rate=0.2, asymmetry=10.0, frequency=2) == 0.0
    # a violation penalty above 1 empties trust before the gain
    assert _one(0.3, True, False, violation=True, consent_penalty=30.0) == \
        pytest.approx(0.02, rel=1e-6)


def test_output_is_float32_and_clipped_even_for_inputs_off_the_interval():
    out = ad_trust_update(np.array([1.2, -0.1, 0.5]), np.zeros(3, bool), np.zeros(3, bool),
                          np.zeros(3), np.ones(3), np.zeros(3, bool), **KW)
    assert out.dtype == np.float32 and out.tolist() == [1.0, 0.0, 0.5]


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


def test_float64_inputs_compute_as_float32():
    rng = np.random.default_rng(8)
    n = 2000
    f32 = [rng.random(n, dtype=np.float32) for _ in range(3)]  # trust, excess, relevance
    masks = [rng.random(n) < 0.6, rng.random(n) < 0.3, rng.random(n) < 0.2]
    masks[1] &= masks[0]
    kw = dict(value_exchange=0.3, gain_rate=0.07, asymmetry=2.25, excess_weight=1.3,
              consent_penalty=0.5)
    for freq in (1, 3):
        a = ad_trust_update(f32[0], masks[0], masks[1], f32[1], f32[2], masks[2], **kw,
                            frequency=freq)
        b = ad_trust_update(*(x.astype(np.float64) for x in f32[:1]), masks[0], masks[1],
                            f32[1].astype(np.float64), f32[2].astype(np.float64), masks[2],
                            **kw, frequency=freq)
        assert b.dtype == np.float32 and np.array_equal(a, b)
