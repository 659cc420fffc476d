"""Weekly recorder: segment trust statistics against exact numpy answers."""

from __future__ import annotations

import numpy as np

from sim.recorder import SegmentIndex, group_trust_sums, segment_trust_stats


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


def test_group_sums_split_segments_by_customer_status():
    rng = np.random.default_rng(1)
    n = 20_000
    seg = rng.integers(0, 3, n).astype(np.int8)
    trust = rng.random(n, dtype=np.float32)
    customer = rng.random(n) < 0.8
    sums = group_trust_sums(trust, SegmentIndex(seg), customer)
    assert sums.shape == (2, 3)
    for s in range(3):
        for row, mask in ((0, ~customer), (1, customer)):
            want = trust[(seg == s) & mask].sum(dtype=np.float64)
            assert np.isclose(sums[row, s], want, rtol=1e-12)
    means, _ = segment_trust_stats(trust, SegmentIndex(seg), sums=sums.sum(axis=0))
    assert np.allclose(means, [trust[seg == s].mean(dtype=np.float64) for s in range(3)],
                       rtol=1e-12)
