"""The model's escalation, consent and churn wiring, checked against the mechanisms.

Each test runs a small model a few weeks and checks what :class:`sim.TrustModel`
passes to a mechanism (recorded by a spy that calls the real function) or what
comes out, against values computed here from the population, the network and
the documented random streams. The mechanisms themselves are pinned by
``test_mech_*.py``; these tests pin that the model feeds them the right inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.mechanisms import churn as ch
from sim.mechanisms import consent as cs
from sim.mechanisms import escalation as esc
from sim.mechanisms import perception as pc
from sim.mechanisms import trust as tr
from sim.population import SEED_CHURN_WEEK
from sim.rng import Streams
from tests.conftest import ONLY_CHURN_CONTAGION, small

N = 300
QUIET = {"incidents.enabled": False, "purchase.enabled": False}


def _model(**overrides: object) -> sim.TrustModel:
    m = sim.TrustModel(small(**{"population.size": N, "run.weeks": 8, **overrides}))
    m.setup()
    return m


def _spy(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[dict]:
    """Record every call of ``module.name`` (args, kwargs, result); still call it."""
    real = getattr(module, name)
    calls: list[dict] = []

    def wrapper(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append({"args": args, "kwargs": kwargs, "out": out})
        return out

    monkeypatch.setattr(module, name, wrapper)
    return calls


# -- escalation -------------------------------------------------------------------------------
def _levels(m: sim.TrustModel, weeks: int) -> list[int]:
    return [m.brand_level(w) for w in range(weeks)]


def test_brand_level_fixed_schedule_and_ramp():
    assert _levels(_model(**{"strategy.escalation.level": "behavioural"}), 3) == [3, 3, 3]
    sched = _model(**{"strategy.escalation.mode": "schedule",
                      "strategy.escalation.schedule": [{"week": 2, "level": "interest"},
                                                       {"week": 4, "level": 4}]})
    assert _levels(sched, 6) == [0, 0, 2, 2, 4, 4]  # level 0 before the first step
    ramp = _model(**{"strategy.escalation.mode": "ramp", "strategy.escalation.start": "demographic",
                     "strategy.escalation.end": "behavioural", "strategy.escalation.over_weeks": 6})
    assert _levels(ramp, 8) == [1, 1, 2, 2, 3, 3, 3, 3]


def test_schedule_and_ramp_levels_follow_the_week_inside_the_model():
    # step() asks for the level of the week it simulates (week 0 first)
    sched = _model(**{"strategy.escalation.mode": "schedule",
                      "strategy.escalation.schedule": [{"week": 2, "level": "interest"},
                                                       {"week": 4, "level": 4}], **QUIET})
    ramp = _model(**{"strategy.escalation.mode": "ramp", "strategy.escalation.start": "demographic",
                     "strategy.escalation.end": "behavioural", "strategy.escalation.over_weeks": 6,
                     **QUIET})
    for m in (sched, ramp):
        for _ in range(8):
            m.step()
    assert sched.recorder.frame()["level"].tolist() == [0, 0, 2, 2, 4, 4, 4, 4]
    assert ramp.recorder.frame()["level"].tolist() == [1, 1, 2, 2, 3, 3, 3, 3]


@pytest.mark.parametrize(("mode", "field", "key"), [
    ("fixed", "level", "strategy.escalation.level"),
    ("ramp", "start", "strategy.escalation.start"),
    ("ramp", "end", "strategy.escalation.end"),
    ("schedule", "schedule", "strategy.escalation.schedule"),
])
def test_brand_level_names_the_key_of_a_bad_level(mode, field, key):
    m = _model(**{"strategy.escalation.mode": mode,
                  "strategy.escalation.schedule": [{"week": 0, "level": 1}]})
    st = m.config.strategy
    bad = [st.escalation.schedule[0].model_copy(update={"level": "nope"})] \
        if field == "schedule" else "nope"
    e = st.escalation.model_copy(update={field: bad})
    m.config = m.config.model_copy(update={"strategy": st.model_copy(update={"escalation": e})})
    with pytest.raises(ScenarioError) as err:
        m.brand_level(0)
    assert [pb.key for pb in err.value.problems] == [key]


def _adaptive(**overrides: object) -> sim.TrustModel:
    """Adaptive policy where only the top level (0.95) crosses: thresholds 0.8, no noise."""
    m = _model(**{
        "strategy.escalation.mode": "adaptive", "strategy.reach": 1.0,
        "strategy.value_exchange": 0.0, "strategy.consent.design": "none",
        "perception.noise_sd": 0.0, "wom.p_tell_negative": 1.0, "wom.p_post_public": 0.0,
        "churn.enabled": False, **QUIET, **overrides})
    m.population.threshold[:] = np.float32(0.8)
    return m


def test_adaptive_backs_off_holds_and_returns_inside_the_model():
    m = _adaptive(**{"strategy.escalation.level": "personal", "strategy.escalation.step_every": 1,
                     "strategy.escalation.cooldown": 2})
    for _ in range(8):
        m.step()
    f = m.recorder.frame()
    # every reached customer crosses at level 4 and complains: back off, hold 2, step up
    assert f["level"].tolist() == [4, 3, 3, 3, 4, 3, 3, 3]
    assert (f["complaints"][f["level"] == 4] > 0).all()
    assert (f["complaints"][f["level"] == 3] == 0).all()


def test_adaptive_climbs_to_its_cap_inside_the_model():
    m = _adaptive(**{"strategy.escalation.level": "generic", "strategy.escalation.step_every": 2,
                     "strategy.escalation.max_level": "behavioural", "run.weeks": 10})
    for _ in range(10):
        m.step()
    assert m.recorder.frame()["level"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]


def test_adaptive_reads_the_weekly_complaint_rate_per_1000_customers(monkeypatch):
    calls = _spy(monkeypatch, esc, "adaptive_next")
    m = _adaptive(**{"strategy.escalation.level": "personal", "strategy.reach": 0.3,
                     "strategy.escalation.complaint_limit": 7.5,
                     "strategy.escalation.step_every": 3, "strategy.escalation.cooldown": 5,
                     "strategy.escalation.max_level": "behavioural", "churn.enabled": True,
                     "churn.base_hazard": 0.05})
    for _ in range(3):
        m.step()
    f = m.recorder.frame()
    customers = m._initial_customers - f["churned"].cumsum()
    assert f["complaints"].iloc[0] > 0 and f["churned"].sum() > 0
    for week, call in enumerate(calls):
        assert call["args"][1] == 1000.0 * f["complaints"].iloc[week] / customers.iloc[week]
        assert call["kwargs"] == {"max_level": 3, "complaint_limit": 7.5, "step_every": 3,
                                  "cooldown": 5}
    assert len(calls) == 3 and m.week == 3 and m.running
    for _ in range(5):
        m.step()
    assert m.running is False and m.week == 8


def test_adaptive_rate_with_a_single_customer():
    # one customer left, who crosses and complains: 1,000 per 1,000 > 700, back off
    m = _adaptive(**{"strategy.escalation.level": "personal", "churn.initial_churned": N - 1,
                     "strategy.escalation.complaint_limit": 700.0})
    m.step()
    assert m.recorder.frame()["complaints"].tolist() == [1]
    assert m.brand_level(m.week) == 3  # next week's level: the policy backed off


def test_adaptive_bad_max_level_names_its_key():
    m = _adaptive()
    st = m.config.strategy
    e = st.escalation.model_copy(update={"max_level": "nope"})
    m.config = m.config.model_copy(update={"strategy": st.model_copy(update={"escalation": e})})
    with pytest.raises(ScenarioError) as err:
        m.step()
    assert [pb.key for pb in err.value.problems] == ["strategy.escalation.max_level"]


# -- consent ----------------------------------------------------------------------------------
def test_specific_consent_opt_ins_are_drawn_once_in_week_zero():
    m = _model(**{"strategy.consent.design": "specific", "strategy.consent.opt_in_rate": 0.4,
                  "strategy.consent.opt_in_trust_slope": 2.0, "churn.initial_churned": 30,
                  **QUIET})
    p = m.population
    trust0, customer0 = p.trust.copy(), p.customer.copy()
    m.step()
    u = Streams(m.config.run.seed, m.config.run.replicate).uniform("consent", 0, N)
    want = customer0 & (u < np.clip(0.4 + 2.0 * (trust0 - 0.5), 0.0, 1.0))
    assert 0 < want.sum() < customer0.sum() and not want[~customer0].any()
    assert np.array_equal(p.opted_in, want)
    m.step()
    m.step()
    assert np.array_equal(p.opted_in, want)


@pytest.mark.parametrize("design", ["specific", "blanket", "none"])
def test_levels_control_and_violations_reach_the_mechanisms(monkeypatch, design):
    perceive = _spy(monkeypatch, pc, "perceive")
    control = _spy(monkeypatch, cs, "in_control")
    trust = _spy(monkeypatch, tr, "ad_trust_update")
    m = _model(**{"strategy.consent.design": design, "strategy.escalation.level": "personal",
                  "strategy.consent.gate_level": "interest", "strategy.consent.penalty": 0.7,
                  "strategy.frequency": 2, **QUIET})
    p = m.population
    m.step()
    m.step()
    st = m.config.strategy
    intr = np.array([lv.intrusiveness for lv in st.ladder], np.float32)
    rel = np.array([lv.relevance for lv in st.ladder], np.float32)
    levels = np.where(p.opted_in, 4, 2) if design == "specific" else np.full(N, 4)
    ctrl = {"specific": p.opted_in, "blanket": p.reads_terms, "none": np.zeros(N, bool)}[design]
    for week in range(2):
        assert control[week]["args"] == (design, p.opted_in, p.reads_terms)
        assert np.array_equal(control[week]["out"], ctrl)
        assert np.array_equal(np.broadcast_to(perceive[week]["args"][0], N), intr[levels])
        args, kw = trust[week]["args"], trust[week]["kwargs"]
        assert np.array_equal(np.broadcast_to(args[4], N), rel[levels])
        violation = np.broadcast_to(args[5], N)
        assert np.array_equal(violation, p.wants_consent & (levels > 2) & ~ctrl)
        assert kw["consent_penalty"] == 0.7 and kw["frequency"] == 2
    if design == "specific":
        assert 0 < p.opted_in.sum() < N
    else:
        assert trust[0]["args"][5].any()


def test_no_violation_at_or_below_the_gate(monkeypatch):
    trust = _spy(monkeypatch, tr, "ad_trust_update")
    m = _model(**{"strategy.consent.design": "none", "strategy.escalation.level": "interest",
                  "strategy.consent.gate_level": "interest", **QUIET})
    m.step()
    assert not np.any(trust[0]["args"][5])


# -- churn ------------------------------------------------------------------------------------
def _exposure(m: sim.TrustModel, week: int, window: int, decay: float) -> np.ndarray:
    """Decayed count of friends who left in the ``window`` weeks before ``week``."""
    p, adj = m.population, m.adjacency.toarray()
    left = np.where(p.customer, np.nan, p.churn_week.astype(float))
    left[(~p.customer) & (p.churn_week == SEED_CHURN_WEEK)] = SEED_CHURN_WEEK
    age = week - 1 - left
    x = np.where((age >= 0) & (age < window), decay ** np.nan_to_num(age), 0.0)
    return adj @ x


def test_hazard_churn_with_contagion_matches_the_rule_week_by_week():
    window, decay, ratio = 2, 0.5, 6.0
    m = _model(**{**ONLY_CHURN_CONTAGION, "churn.base_hazard": 0.03,
                  "churn.trust_sensitivity": 1.5, "churn.contagion_ratio": ratio,
                  "churn.contagion_window": window, "churn.contagion_decay": decay,
                  "churn.initial_churned": 20})
    p = m.population
    s = Streams(m.config.run.seed, m.config.run.replicate)
    total = 0
    for t in range(8):
        before = p.customer.copy()
        e = _exposure(m, t, window, decay)
        h = 0.03 * np.exp(1.5 * (1 - p.trust.astype(float))) * ratio ** e
        want = before & (s.uniform("churn", t, N) < -np.expm1(-h))
        m.step()
        left = before & ~p.customer
        assert np.array_equal(left, want), t
        assert (p.churn_week[left] == t).all()
        assert m.recorder.frame()["churned"].iloc[t] == want.sum()
        total += want.sum()
    assert total > 20  # the rule was exercised


def test_threshold_churn_follows_the_watts_rule():
    m = _model(**{**ONLY_CHURN_CONTAGION, "churn.rule": "threshold",
                  "churn.social_threshold": 0.2, "churn.initial_churned": 40})
    p = m.population
    deg = np.diff(m.adjacency.indptr)
    total = 0
    for t in range(4):
        before = p.customer.copy()
        # the share in float32, as the thresholds are stored (2 of 10 is exactly 0.2)
        k = (m.adjacency @ (~before).astype(float)).astype(np.float32)
        share = np.divide(k, deg.astype(np.float32), where=deg > 0, out=np.zeros(N, np.float32))
        want = before & (deg > 0) & (share >= p.social_threshold)
        m.step()
        assert np.array_equal(before & ~p.customer, want), t
        total += want.sum()
    assert total > 0


@pytest.mark.parametrize("rule", ["hazard", "threshold"])
def test_stated_exits_from_crossing_and_incidents_are_converted(monkeypatch, rule):
    perceive = _spy(monkeypatch, pc, "perceive")
    intent = _spy(monkeypatch, sim.model.inc, "exit_intention")
    stated = _spy(monkeypatch, ch, "stated_to_actual")
    m = _model(**{"churn.rule": rule, "churn.contagion": False, "churn.exit_conversion": 0.5,
                  "churn.crossing_exit_stated": 0.6, "churn.base_hazard": 0.0,
                  "strategy.escalation.level": "personal", "purchase.enabled": False,
                  "incidents.events": [{"week": 1, "severity": 0.8, "media_reach": 0.9}]})
    p = m.population
    s = Streams(m.config.run.seed, m.config.run.replicate)
    for t in range(3):
        before = p.customer.copy()
        calls = len(intent)
        m.step()
        crossed = perceive[t]["out"][0]
        want_stated = crossed * np.float32(0.6)
        assert (len(intent) > calls) == (t >= 1)  # the media in week 1, friends after
        for call in intent[calls:]:
            want_stated = want_stated + call["out"]
        args = stated[t]["args"]
        assert np.array_equal(args[0], want_stated.astype(np.float32)) and args[1] == 0.5
        direct = np.clip(want_stated * 0.5, 0, 1)
        want = before & (s.uniform("churn", t, N) < direct)
        assert np.array_equal(before & ~p.customer, want), t
        assert want.sum() > 0


def test_churn_disabled_nobody_leaves():
    m = _model(**{"churn.enabled": False, "churn.base_hazard": 1.0, **QUIET})
    before = m.population.customer.copy()
    for _ in range(3):
        m.step()
    assert np.array_equal(m.population.customer, before)
    assert m.recorder.frame()["churned"].tolist() == [0, 0, 0]


def test_hazard_without_contagion_ignores_churned_friends(monkeypatch):
    hz = _spy(monkeypatch, ch, "hazard")
    m = _model(**{**ONLY_CHURN_CONTAGION, "churn.contagion": False, "churn.initial_churned": 50,
                  "churn.contagion_ratio": 9.0})
    m.step()
    args, kw = hz[0]["args"], hz[0]["kwargs"]
    assert not args[1].any() and args[1].shape == (N,) and kw["contagion_ratio"] == 1.0
    assert kw["base_hazard"] == m.config.churn.base_hazard
    assert kw["trust_sensitivity"] == m.config.churn.trust_sensitivity


@pytest.mark.parametrize("rule", ["hazard", "threshold"])
def test_a_draw_equal_to_the_exit_probability_stays(monkeypatch, rule):
    m = _model(**{**ONLY_CHURN_CONTAGION, "churn.rule": rule, "churn.base_hazard": 0.0})
    real = m.streams.uniform
    monkeypatch.setattr(m.streams, "uniform",
                        lambda name, *a, **k: np.zeros(N, np.float32) if name == "churn"
                        else real(name, *a, **k))
    before = m.population.customer.copy()
    m.step()  # exit probability 0, draws 0: nobody leaves
    assert np.array_equal(m.population.customer, before)
