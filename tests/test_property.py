"""Property-based: any scenario either fails validation clearly or runs with invariants intact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from tests.conftest import SCENARIOS
from tests.test_invariants import check_invariants

NUMBERS = st.one_of(
    st.floats(min_value=-2, max_value=3, allow_nan=False),
    st.integers(min_value=-3, max_value=60),
)
ANY = st.one_of(NUMBERS, st.booleans(), st.text(max_size=6),
                st.sampled_from(["interest", "personal", "hazard", "threshold", "sbm", "none"]))

KEYS = {
    "population.size": st.one_of(st.integers(-5, 400), ANY),
    "population.initial_trust": ANY,
    "network.kind": st.one_of(st.sampled_from(sim.config.NETWORK_KINDS), ANY),
    "network.mean_degree": ANY,
    "network.rewire_p": ANY,
    "network.blocks": ANY,
    "network.mixing": ANY,
    "strategy.reach": ANY,
    "strategy.frequency": ANY,
    "strategy.value_exchange": ANY,
    "strategy.transparency": ANY,
    "strategy.escalation.mode": st.one_of(
        st.sampled_from(["fixed", "ramp", "adaptive", "schedule"]), ANY),
    "strategy.escalation.level": ANY,
    "strategy.escalation.complaint_limit": ANY,
    "strategy.consent.design": st.one_of(st.sampled_from(["none", "blanket", "specific"]), ANY),
    "trust.asymmetry": ANY,
    "trust.gain_rate": ANY,
    "wom.p_tell_negative": ANY,
    "wom.negative_effect": ANY,
    "churn.rule": st.one_of(st.sampled_from(["hazard", "threshold"]), ANY),
    "churn.contagion_ratio": ANY,
    "churn.base_hazard": ANY,
    "churn.initial_churned": ANY,
    "churn.social_threshold": ANY,
    "churn.exit_conversion": ANY,
    "purchase.base_rate": ANY,
    "run.weeks": st.one_of(st.integers(0, 8), ANY),
    "run.seed": ANY,
}

overrides = st.dictionaries(st.sampled_from(sorted(KEYS)), st.none(), max_size=8).flatmap(
    lambda d: st.fixed_dictionaries({k: KEYS[k] for k in d})
)
incident = st.fixed_dictionaries({"week": NUMBERS, "severity": NUMBERS,
                                  "responsible": st.booleans()})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides, st.lists(incident, max_size=2))
def test_random_scenarios_fail_clearly_or_run_cleanly(ov, incidents):
    ov = {"population.size": 200, "run.weeks": 6, **ov}
    if incidents:
        ov["incidents.events"] = incidents
    fails_clearly_or_runs_cleanly(ov)


def fails_clearly_or_runs_cleanly(ov: dict) -> bool:
    """Validate ``ov`` over the baseline; on success run it and check invariants.

    Returns:
        Whether the scenario ran.
    """
    try:
        sc = sim.load_scenario(SCENARIOS / "baseline.toml", overrides=ov)
    except sim.ScenarioError as err:
        msg = str(err)
        assert "baseline.toml" in msg
        assert any(key in msg for key in [*ov, "incidents.events", "network."]), msg
        return False
    check_invariants(sim.run(sc))
    return True


UNIT = st.floats(0, 1)
IN_RANGE = {
    "population.size": st.integers(30, 400),
    "network.kind": st.sampled_from(["watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm",
                                     "none"]),
    "network.mean_degree": st.floats(1, 12),
    "network.mixing": UNIT,
    "network.blocks": st.integers(1, 10),
    "strategy.reach": UNIT,
    "strategy.frequency": st.integers(1, 5),
    "strategy.value_exchange": UNIT,
    "strategy.transparency": UNIT,
    "strategy.escalation.mode": st.sampled_from(["fixed", "ramp", "adaptive"]),
    "strategy.escalation.level": st.integers(0, 4),
    "strategy.consent.design": st.sampled_from(["none", "blanket", "specific"]),
    "trust.asymmetry": st.floats(1, 10),
    "trust.gain_rate": UNIT,
    "wom.negative_effect": st.floats(0, 10),
    "churn.rule": st.sampled_from(["hazard", "threshold"]),
    "churn.contagion_ratio": st.floats(1, 100),
    "churn.base_hazard": UNIT,
    "churn.initial_churned": st.integers(0, 30),
    "churn.exit_conversion": UNIT,
    "run.seed": st.integers(0, 2**40),
}


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({}, optional=IN_RANGE), st.lists(
    st.fixed_dictionaries({"week": st.integers(0, 8), "severity": st.floats(0.01, 1),
                           "responsible": st.booleans(), "media_reach": UNIT}), max_size=2))
def test_in_range_scenarios_always_run_with_invariants(ov, incidents):
    ov = {"population.size": 200, "run.weeks": 8, **ov, "incidents.events": incidents}
    if ov.get("network.kind") not in (None, "none"):
        size = ov["population.size"]
        ov["network.mean_degree"] = min(ov.get("network.mean_degree", 10), size - 1)
    ran = fails_clearly_or_runs_cleanly(ov)
    # in-range values are only refused for a network that cannot be built
    assert ran or ov.get("network.kind") == "sbm"
