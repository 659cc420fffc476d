"""Mechanism 3: word of mouth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.mechanisms import wom

KW = dict(public_reach=0.0, public_attention=1.0, negative_decay=0.8, positive_decay=0.5)


def _path_graph(n):
    i = np.arange(n - 1)
    a = sp.coo_array((np.ones(2 * (n - 1), np.float32), (np.r_[i, i + 1], np.r_[i + 1, i])),
                     shape=(n, n))
    return a.tocsr()


def test_speaker_shares_match_inmoment_rates():
    n = 400_000
    rng = np.random.default_rng(0)
    crossed = np.ones(n, bool)
    c, p, r = wom.speakers(crossed, ~crossed, rng.random(n), rng.random(n),
                           p_tell_negative=0.2, p_post_public=0.1, p_tell_positive=0.05)
    assert abs(c.mean() - 0.2) < 0.003 and abs(p.mean() - 0.1) < 0.003
    assert not (p & ~c).any(), "public posters are among complainers"
    assert not r.any()


def test_buzz_counts_complaining_friends_and_decays():
    adj = _path_graph(5)
    complain = np.array([False, False, True, False, False])
    none = np.zeros(5, bool)
    neg, pos = wom.buzz(adj, complain, none, 0, np.ones(5, np.float32),
                        np.zeros(5, np.float32), np.zeros(5, np.float32), **KW)
    assert neg.tolist() == [0, 1, 0, 1, 0]
    neg2, _ = wom.buzz(adj, none, none, 0, np.ones(5, np.float32), neg, pos, **KW)
    assert np.allclose(neg2, [0, 0.8, 0, 0.8, 0])


def test_negative_lasts_longer_than_positive():
    adj = _path_graph(3)
    one = np.array([True, False, False])
    z = np.zeros(3, np.float32)
    neg, pos = wom.buzz(adj, one, one, 0, np.ones(3, np.float32), z, z, **KW)
    for _ in range(4):
        neg, pos = wom.buzz(adj, ~one & False, ~one & False, 0, np.ones(3, np.float32), neg,
                            pos, **KW)
    assert neg[1] == pytest.approx(0.8**4) and pos[1] == pytest.approx(0.5**4)
    assert neg[1] > pos[1]


def test_public_posts_reach_expected_share():
    n = 100_000
    adj = sp.csr_array((n, n), dtype=np.float32)
    none = np.zeros(n, bool)
    u = np.random.default_rng(2).random(n, dtype=np.float32)
    z = np.zeros(n, np.float32)
    neg, _ = wom.buzz(adj, none, none, 200, u, z, z, public_reach=50, public_attention=1.0,
                      negative_decay=0.8, positive_decay=0.5)
    assert abs(neg.mean() - (1 - np.exp(-200 * 50 / n))) < 0.005
    # finite attention: the same posts, at most 10% of consumers attending
    neg, _ = wom.buzz(adj, none, none, 200, u, z, z, public_reach=50, public_attention=0.1,
                      negative_decay=0.8, positive_decay=0.5)
    assert abs(neg.mean() - 0.1 * (1 - np.exp(-200 * 50 / (0.1 * n)))) < 0.003


def test_wom_trust_update_bounded_and_directional():
    t = np.array([0.5, 0.5, 0.5], np.float32)
    out = wom.wom_trust_update(t, np.array([0, 2, 0], np.float32),
                               np.array([0, 0, 2], np.float32), 1.0,
                               negative_effect=0.1, positive_effect=0.1)
    assert out[0] == pytest.approx(0.5)
    assert out[1] == pytest.approx(0.5 * np.exp(-0.2))
    assert out[2] == pytest.approx(1 - 0.5 * np.exp(-0.2))
    huge = wom.wom_trust_update(t, np.full(3, 1e6, np.float32), np.full(3, 1e6, np.float32),
                                1.0, negative_effect=5, positive_effect=5)
    assert ((huge >= 0) & (huge <= 1)).all()


def test_buzz_adds_friends_and_public_posts_exactly():
    adj = _path_graph(3)
    complain = np.array([True, False, False])
    recommend = np.array([False, False, True])
    # p_seen = 1 - exp(-1 * 3 / 3) = 0.632: draws 0.1 see the post, 0.9 do not
    u = np.array([0.1, 0.1, 0.9])
    neg, pos = wom.buzz(adj, complain, recommend, 1, u, np.array([1.0, 0.0, 0.0]),
                        np.array([0.0, 2.0, 0.0]), public_reach=3.0, public_attention=1.0,
                        negative_decay=0.8, positive_decay=0.5)
    assert neg.dtype == np.float32 and pos.dtype == np.float32
    assert neg.tolist() == pytest.approx([0.8 + 1, 1 + 1, 0])
    assert pos.tolist() == pytest.approx([0, 1 + 1, 0])


def test_wom_trust_update_float32_and_clipped():
    out = wom.wom_trust_update(np.array([0.5, 1.2, -0.1]), np.array([2.0, 0.0, 0.0]),
                               np.array([2.0, 0.0, 0.0]), 1.0, negative_effect=0.1,
                               positive_effect=0.1)
    assert out.dtype == np.float32
    t = 0.5 * np.exp(-0.2)
    assert out.tolist() == pytest.approx([1 - (1 - t) * np.exp(-0.2), 1.0, 0.0], rel=1e-6)


def test_float64_inputs_compute_as_float32():
    rng = np.random.default_rng(9)
    t, neg, pos = (rng.random(2000, dtype=np.float32) * s for s in (1, 5, 5))
    kw = dict(negative_effect=0.13, positive_effect=0.07)
    a = wom.wom_trust_update(t, neg, pos, 1.0, **kw)
    b = wom.wom_trust_update(t.astype(float), neg.astype(float), pos.astype(float), 1.0, **kw)
    assert b.dtype == np.float32 and np.array_equal(a, b)


def test_public_exposure_exact_and_saturating():
    # a * (1 - exp(-posts * reach / (a * n))): 10 posts x 20 views over 0.1 x 1000 readers
    assert wom.public_exposure(10, 1000, 20.0, 0.1) == pytest.approx(0.1 * (1 - np.exp(-2.0)),
                                                                     rel=1e-12)
    # a few posts: about posts * reach / n, as with unlimited attention
    assert wom.public_exposure(1, 100_000, 10.0, 0.2) == pytest.approx(1e-4, rel=1e-3)
    # many posts saturate at the attending share; ten times the posts is not ten times
    assert wom.public_exposure(10**6, 1000, 50.0, 0.1) == pytest.approx(0.1, rel=1e-12)
    one, ten = (wom.public_exposure(k, 1000, 20.0, 0.1) for k in (5, 50))
    assert one == pytest.approx(0.1 * (1 - np.exp(-1.0))) and ten < 2 * one
    # nobody attending, or nobody to reach: no exposure (not a division by zero)
    assert wom.public_exposure(10, 1000, 20.0, 0.0) == 0.0
    assert wom.public_exposure(10, 0, 20.0, 0.1) == 0.0
    # a single consumer can see a post: 0.5 * (1 - exp(-1 * 1 / (0.5 * 1)))
    assert wom.public_exposure(1, 1, 1.0, 0.5) == pytest.approx(0.5 * (1 - np.exp(-2.0)))
    assert wom.public_exposure(0, 1000, 20.0, 0.1) == 0.0


def test_buzz_public_post_uses_the_attention_cap():
    adj = _path_graph(3)
    none = np.zeros(3, bool)
    z = np.zeros(3, np.float32)
    # p = 0.5 * (1 - exp(-1 * 3 / (0.5 * 3))) = 0.5 * (1 - e^-2) = 0.4323
    p = 0.5 * (1 - np.exp(-2.0))
    u = np.array([p - 1e-4, p + 1e-4, 0.0], np.float32)
    neg, _ = wom.buzz(adj, none, none, 1, u, z, z, public_reach=3.0, public_attention=0.5,
                      negative_decay=0.8, positive_decay=0.5)
    assert neg.tolist() == [1.0, 0.0, 1.0]


def test_negative_buzz_hurts_in_proportion_to_the_hearer_sensitivity():
    t = np.full(3, 0.5, np.float32)
    neg = np.full(3, 2.0, np.float32)
    pos = np.zeros(3, np.float32)
    sens = np.array([0.5, 1.0, 2.0], np.float32)
    out = wom.wom_trust_update(t, neg, pos, sens, negative_effect=0.1, positive_effect=0.3)
    assert out.tolist() == pytest.approx([0.5 * np.exp(-0.1), 0.5 * np.exp(-0.2),
                                          0.5 * np.exp(-0.4)], rel=1e-6)
    # positive buzz is not scaled by it
    up = wom.wom_trust_update(t, pos, neg, sens, negative_effect=0.1, positive_effect=0.3)
    assert up.tolist() == pytest.approx([1 - 0.5 * np.exp(-0.6)] * 3, rel=1e-6)
