"""Weekly recorder: segment trust statistics against exact numpy answers."""

from __future__ import annotations

import numpy as np

from sim.recorder import SegmentIndex, segment_trust_stats


def test_segment_means_and_quantiles_match_numpy():
    rng = np.random.default_rng(0)
    n = 50_000
    seg = rng.integers(0, 3, n).astype(np.int8)
    trust = rng.beta(2 + seg, 3, n).astype(np.float32)
    means, qs = segment_trust_stats(trust, SegmentIndex(seg))
    for s in range(3):
        x = trust[seg == s]
        assert np.isclose(means[s], x.mean(dtype=np.float64), rtol=1e-9)
        assert np.allclose(qs[s], np.quantile(x, [0.1, 0.5, 0.9]), atol=1.5e-3)


def test_empty_segment_is_nan():
    means, qs = segment_trust_stats(np.array([0.2, 0.4], np.float32), np.array([0, 0]))
    assert np.isnan(means[1:]).all() and np.isnan(qs[1:]).all()
    assert means[0] == np.float64(np.float32(0.2)) / 2 + np.float64(np.float32(0.4)) / 2
