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
