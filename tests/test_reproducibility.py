"""Reproducibility and common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim
from sim.rng import SETUP_WEEK, STREAMS, Streams
from tests.helpers import small


def test_same_scenario_and_seed_bit_identical():
    a, b = sim.run(small()), sim.run(small())
    pd.testing.assert_frame_equal(a.weekly, b.weekly, check_exact=True)
    pd.testing.assert_frame_equal(a.consumers, b.consumers, check_exact=True)
    assert (a.network != b.network).nnz == 0


def test_resolved_scenario_reproduces_run(tmp_path):
    res = sim.run(small(**{"incidents.events": [{"week": 3, "severity": 0.5}]}))
    f = tmp_path / "resolved.toml"
    f.write_text(sim.dumps_scenario(res.scenario))
    again = sim.run(sim.load_scenario(f))
    pd.testing.assert_frame_equal(res.weekly, again.weekly, check_exact=True)


def test_different_seeds_differ():
    a = sim.run(small(**{"run.seed": 1}))
    b = sim.run(small(**{"run.seed": 2}))
    assert not a.weekly["revenue"].equals(b.weekly["revenue"])
    assert not np.array_equal(a.consumers["threshold"], b.consumers["threshold"])


def test_replicates_differ_but_share_nothing_else():
    """Replicates draw a different population and network, from streams no other one uses."""
    a = sim.run(small(**{"run.replicate": 0}))
    b = sim.run(small(**{"run.replicate": 1}))
    for col in ("threshold", "initial_trust"):
        assert not np.array_equal(a.consumers[col], b.consumers[col])
        # independent, not shifted or mirrored: correlation within 4 standard errors of 0
        r = np.corrcoef(a.consumers[col], b.consumers[col])[0, 1]
        assert abs(r) < 4 / np.sqrt(len(a.consumers)), (col, r)
    assert (a.network != b.network).nnz > 0
    assert not a.weekly["revenue"].equals(b.weekly["revenue"])


def test_every_stream_week_and_replicate_has_its_own_draws():
    """No two (replicate, stream, week) triples share a draw sequence, nor a shifted copy."""
    n = 2048
    triples = [(rep, name, week) for rep in range(3) for name in STREAMS
               for week in (SETUP_WEEK, 0, 1, 7)]
    windows, heads = [], []
    for rep, name, week in triples:
        bits = Streams(5, rep).bits(name, week, n).astype(np.uint64)
        w = (bits[:-1] << np.uint64(32)) | bits[1:]  # every pair of consecutive words
        windows.append(w)
        heads.append(w[0])
    values, counts = np.unique(np.concatenate(windows), return_counts=True)
    # A triple whose draws repeat another's (at any offset) would find its first pair twice;
    # by chance, among ~2e5 64-bit values, that has probability about 1e-9.
    repeated = counts[np.searchsorted(values, heads)] > 1
    assert not repeated.any(), [t for t, r in zip(triples, repeated, strict=True) if r]
    u0, u1 = Streams(5, 0).uniform("churn", 3, n), Streams(5, 1).uniform("churn", 3, n)
    assert abs(np.corrcoef(u0, u1)[0, 1]) < 4 / np.sqrt(n)  # standard error 1/sqrt(n)


def test_two_strategies_share_population_network_and_draws():
    a = sim.run(small(**{"strategy.transparency": 0.0}))
    b = sim.run(small(**{"strategy.transparency": 1.0, "strategy.escalation.level": "personal"}))
    for col in ("segment", "threshold", "initial_trust", "would_stop", "wants_consent",
                "social_threshold"):
        assert a.consumers[col].equals(b.consumers[col])
    assert (a.network != b.network).nnz == 0


def test_incident_does_not_reshuffle_other_draws():
    """A breach in week 10 leaves weeks 0..9 exactly as without it."""
    a = sim.run(small())
    b = sim.run(small(**{"incidents.events": [{"week": 10, "severity": 1.0}]}))
    pd.testing.assert_frame_equal(a.weekly.iloc[:10], b.weekly.iloc[:10], check_exact=True)
    assert not a.weekly.iloc[10:].equals(b.weekly.iloc[10:])


def test_stream_draws_are_keyed_not_sequential():
    s = Streams(5, 0)
    x1 = s.uniform("churn", 3, 10)
    s.uniform("wom", 3, 10, k=3)
    x2 = s.uniform("churn", 3, 10)
    assert np.array_equal(x1, x2)
    assert not np.array_equal(x1, s.uniform("churn", 4, 10))
    assert not np.array_equal(x1, Streams(5, 1).uniform("churn", 3, 10))
