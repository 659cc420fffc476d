"""Escalation policies and consent design."""

from __future__ import annotations

import itertools

import numpy as np

from sim.mechanisms import consent as cs
from sim.mechanisms import escalation as esc


def test_schedule_and_ramp():
    steps = [(0, 0), (10, 2), (30, 4)]
    assert [esc.schedule_level(w, steps, 0) for w in (0, 9, 10, 29, 30, 51)] == [0, 0, 2, 2, 4, 4]
    levels = [esc.ramp_level(w, 0, 4, 50) for w in range(60)]
    assert levels[0] == 0 and levels[-1] == 4
    assert all(b - a in (0, 1) for a, b in itertools.pairwise(levels))
    assert [levels.count(k) for k in range(5)][:4] == [10, 10, 10, 10]
    assert esc.ramp_level(0, 4, 1, 8) == 4 and esc.ramp_level(7, 4, 1, 8) == 1


def test_adaptive_escalates_when_calm_and_backs_off():
    kw = dict(max_level=3, complaint_limit=5.0, step_every=2, cooldown=2)
    s = esc.AdaptiveState(0)
    path = []
    for rate in [0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]:
        s = esc.adaptive_next(s, rate, **kw)
        path.append(s.level)
    assert path[:4] == [0, 1, 1, 2]
    assert path[4] == 1                     # backed off
    assert path[5:7] == [1, 1]              # cooldown
    assert max(path) <= 3


def test_consent_caps_non_opted_in_at_gate():
    opted = np.array([True, False])
    assert cs.consumer_levels(4, 2, "specific", opted).tolist() == [4, 2]
    assert cs.consumer_levels(1, 2, "specific", opted).tolist() == [1, 1]
    assert cs.consumer_levels(4, 2, "blanket", opted).tolist() == [4, 4]


def test_in_control_and_opt_in():
    opted = np.array([True, False, False])
    reads = np.array([False, True, False])
    assert cs.in_control("specific", opted, reads).tolist() == [True, False, False]
    assert cs.in_control("blanket", opted, reads).tolist() == [False, True, False]
    assert not cs.in_control("none", opted, reads).any()
    n = 100_000
    u = np.random.default_rng(0).random(n)
    share = cs.opt_in(np.full(n, 0.7), u, rate=0.5, slope=1.0).mean()
    assert abs(share - 0.7) < 0.005


ADAPT = dict(max_level=2, complaint_limit=5.0, step_every=2, cooldown=3)


def _adapt(level, calm, hold, rate, **kw):
    return esc.adaptive_next(esc.AdaptiveState(level, calm, hold), rate, **{**ADAPT, **kw})


def test_adaptive_exact_states_calm_backoff_and_hold():
    S = esc.AdaptiveState
    assert _adapt(0, 0, 0, 0.0) == S(0, 1, 0)          # first calm week: counted
    assert _adapt(0, 1, 0, 0.0) == S(1, 0, 0)          # second: escalate, reset
    assert _adapt(1, 1, 0, 9.0) == S(0, 0, 3)          # complaints: back off, hold 3
    assert _adapt(0, 4, 0, 9.0) == S(0, 0, 3)          # never below level 0
    assert _adapt(1, 0, 3, 0.0) == S(1, 0, 2)          # holding: count down
    assert _adapt(1, 5, 1, 0.0) == S(1, 0, 0)          # last hold week: no escalation
    assert _adapt(1, 0, 0, 0.0) == S(1, 1, 0)          # hold over: calm weeks count again


def test_adaptive_complaint_limit_is_exclusive():
    S = esc.AdaptiveState
    assert _adapt(1, 0, 0, 5.0) == S(1, 1, 0)          # exactly at the limit: calm
    assert _adapt(1, 0, 0, 5.000001) == S(0, 0, 3)


def test_adaptive_never_escalates_past_max_level():
    """Mutant: dropping ``and state.level < max_level``."""
    S = esc.AdaptiveState
    assert _adapt(2, 1, 0, 0.0) == S(2, 2, 0)          # calm at the cap: stays, counts
    assert _adapt(2, 9, 0, 0.0) == S(2, 10, 0)
    s = S(0)
    for _ in range(20):
        s = esc.adaptive_next(s, 0.0, **ADAPT)
    assert s.level == 2


def test_adaptive_hold_counts_down_to_zero():
    """Mutant: ``state.hold - 1`` -> ``state.hold + 1`` (the hold would never end)."""
    s = _adapt(2, 0, 0, 9.0)
    holds = []
    for _ in range(5):
        s = esc.adaptive_next(s, 0.0, **ADAPT)
        holds.append((s.level, s.hold))
    # hold 3 -> 2 -> 1 -> 0, then two calm weeks escalate again
    assert holds == [(1, 2), (1, 1), (1, 0), (1, 0), (2, 0)]


def test_schedule_from_week_zero_and_ties():
    assert esc.schedule_level(0, [(0, 3)], default=1) == 3
    assert esc.schedule_level(1, [(1, 2)], default=0) == 2
    assert esc.schedule_level(0, [(1, 2)], default=4) == 4
    # unsorted steps: the latest week wins; two steps in one week: the first listed
    assert esc.schedule_level(12, [(10, 2), (5, 1)], default=0) == 2
    assert esc.schedule_level(6, [(5, 1), (5, 3)], default=0) == 1


def test_ramp_exact_levels():
    # 3 levels over 6 weeks: 2 weeks each, then the end level
    assert [esc.ramp_level(w, 1, 3, 6) for w in range(8)] == [1, 1, 2, 2, 3, 3, 3, 3]
    assert [esc.ramp_level(w, 3, 1, 6) for w in range(8)] == [3, 3, 2, 2, 1, 1, 1, 1]
    assert [esc.ramp_level(w, 2, 2, 4) for w in range(5)] == [2] * 5


def test_consent_levels_dtype_and_gate_boundary():
    opted = np.array([True, False, True])
    for lv, want in [(4, [4, 2, 4]), (2, [2, 2, 2]), (1, [1, 1, 1])]:
        got = cs.consumer_levels(lv, 2, "specific", opted)
        assert got.dtype == np.int8 and got.tolist() == want
    assert cs.consumer_levels(4, 2, "none", opted).dtype == np.int8


def test_in_control_none_is_all_false_of_the_right_shape():
    opted = np.array([True, False, True])
    got = cs.in_control("none", opted, opted)
    assert got.dtype == bool and got.shape == (3,) and not got.any()


def test_opt_in_exact_probability_boundary():
    # p = 0.25 + 1.0 * (0.5 - 0.5) = 0.25; u == p does not opt in
    t = np.full(4, 0.5)
    u = np.array([0.0, 0.2499, 0.25, 0.9])
    assert cs.opt_in(t, u, rate=0.25, slope=1.0).tolist() == [True, True, False, False]
    # p = 0.25 + 2 * (0.6 - 0.5) = 0.45
    assert cs.opt_in(np.full(2, 0.6), np.array([0.4499, 0.4501]), rate=0.25, slope=2.0).tolist() \
        == [True, False]
