"""Random streams: raw draws, their uniforms, and exact Bernoulli comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.rng import Streams, below, to_unit


def test_bits_are_keyed_by_stream_and_week_only():
    s = Streams(7)
    a = s.bits("churn", 3, 1001)
    assert a.dtype == np.uint32 and a.shape == (1001,)
    assert np.array_equal(a, Streams(7).bits("churn", 3, 1001))
    assert not np.array_equal(a, s.bits("churn", 4, 1001))
    assert not np.array_equal(a, s.bits("purchase", 3, 1001))
    assert not np.array_equal(a, Streams(7, replicate=1).bits("churn", 3, 1001))
    two = s.bits("wom", 0, 1001, k=2)
    assert two.shape == (2, 1001)
    # consumer i gets the i-th draw whatever the population size
    assert np.array_equal(s.bits("churn", 3, 500), a[:500])


def test_uniforms_are_float32_on_the_unit_interval_and_uniform():
    u = Streams(1).uniform("purchase", 0, 200_000)
    assert u.dtype == np.float32
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    bits = Streams(1).bits("purchase", 0, 200_000)
    assert np.array_equal(u, (bits >> 8).astype(np.float64) / 2**24)
    assert np.array_equal(to_unit(np.array([0, 2**32 - 1], np.uint32)),
                          np.array([0.0, 1 - 2**-24], np.float32))


@pytest.mark.parametrize("p", [0.0, 1e-9, 0.001, 0.3, 0.5, 1 - 1e-12, 1.0, 1.5, -0.1])
def test_below_on_raw_words_is_exact(p):
    bits = Streams(3).bits("exposure", 0, 100_000)
    edge = np.array([0, 1, 2**31 - 1, 2**31, 2**32 - 1], dtype=np.uint32)
    for u in (bits, edge):
        want = u.astype(np.float64) / 2**32 < p
        assert np.array_equal(below(u, p), want)


def test_below_matches_floats_and_arrays_of_probabilities():
    rng = np.random.default_rng(0)
    u = rng.random(1000, dtype=np.float32)
    p = rng.random(1000, dtype=np.float32)
    assert np.array_equal(below(u, p), u < p)
    assert np.array_equal(below(u, 0.25), u < 0.25)
    bits = Streams(4).bits("churn", 2, 400_000)
    p = np.full(bits.size, 0.013, dtype=np.float32)
    assert abs(below(bits, p).mean() - 0.013) < 5 * np.sqrt(0.013 / bits.size)


def test_generator_is_the_documented_seed_sequence():
    want = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(11, spawn_key=(2, 7, 5)))).bit_generator.random_raw(3)
    got = Streams(11, replicate=2).get("churn", 4).bit_generator.random_raw(3)
    assert np.array_equal(got, want)  # "churn" is stream 7; week 4 is key 5
    setup = Streams(11).get("population").bit_generator.random_raw(1)
    assert setup[0] == np.random.PCG64(np.random.SeedSequence(11, spawn_key=(0, 0, 0))).random_raw()


def test_unknown_stream_message_names_it_and_the_choices():
    with pytest.raises(KeyError, match=r"unknown random stream 'chrun'.*'churn'"):
        Streams(1).get("chrun")


def test_uniform_keeps_k_rows():
    u = Streams(1).uniform("wom", 0, 5, k=2)
    assert u.shape == (2, 5) and u.dtype == np.float32
    assert np.array_equal(u, to_unit(Streams(1).bits("wom", 0, 5, k=2)))


def test_below_exact_boundaries_and_dtypes():
    words = np.array([0, 1, 2**31, 2**32 - 1], np.uint32)
    # p = 1e-10: cut = ceil(0.43) = 1, so only the zero word is below
    assert below(words, 1e-10).tolist() == [True, False, False, False]
    for p, want in [(0.0, False), (1.0, True)]:
        got = below(words, p)
        assert got.dtype == bool and got.tolist() == [want] * 4
    # a draw equal to the probability is not below it (floats and per-consumer arrays)
    assert below(np.array([0.25, 0.5], np.float32), 0.25).tolist() == [False, False]
    assert below(words, np.full(4, 0.5, np.float32)).tolist() == [True, True, False, False]
