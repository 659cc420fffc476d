"""Property-based: valid scenarios run with invariants intact; invalid ones name their key.

The strategies are read from the schema (:class:`sim.config.Scenario`): every
numeric leaf is drawn inside its own ``ge``/``gt``/``le``/``lt`` bounds, every
``Literal`` from its options, every level reference from the ladder. Sizes are
capped so that an example runs in milliseconds. So nearly every generated
scenario is valid and the invariants are checked on it, rather than on the
few that survive random junk. Separately, one key at a time gets a value
outside its bounds or of the wrong type (among otherwise valid overrides), and
the error must name exactly that key path and the file.

How many examples run depends on the Hypothesis profile (``tests/conftest.py``).
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
from sim.config import DEFAULT_LADDER, Scenario
from tests.helpers import BASELINE, SCENARIOS, check_invariants

LEVELS = [lv.name for lv in DEFAULT_LADDER]
MARKETS = sorted(p.stem for p in (SCENARIOS / "markets").glob("*.toml"))

SKIP = {"name", "description", "network.path", "strategy.ladder",
        "strategy.escalation.schedule", "incidents.events"}
"""Leaves not drawn from their type: free text, files, and lists (drawn separately)."""

CAPS: dict[str, tuple[float, float]] = {
    "population.size": (30, 300),
    "run.weeks": (1, 8),
    "network.blocks": (1, 12),
    "network.mean_degree": (0.01, 12),
    "churn.initial_churned": (0, 30),
    "strategy.escalation.over_weeks": (1, 20),
    "strategy.escalation.step_every": (1, 6),
    "strategy.escalation.cooldown": (0, 6),
}
"""Narrower draws than the schema allows, for speed (the schema's bounds still apply)."""


def leaves(model: type[BaseModel] = Scenario, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar leaf of the schema as ``(dotted key, field info)``."""
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from leaves(ann, f"{prefix}{name}.")
        elif f"{prefix}{name}" not in SKIP:
            yield f"{prefix}{name}", field


def bounds(field: Any) -> tuple[float | None, bool, float | None, bool]:
    """``(low, low is open, high, high is open)`` from a field's constraints."""
    lo = hi = None
    lo_open = hi_open = False
    for m in field.metadata:
        if isinstance(m, Ge):
            lo = m.ge
        elif isinstance(m, Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, Le):
            hi = m.le
        elif isinstance(m, Lt):
            hi, hi_open = m.lt, True
    return lo, lo_open, hi, hi_open


def is_level_ref(field: Any) -> bool:
    return typing.get_origin(field.annotation) in (typing.Union, getattr(typing, "UnionType", ()))


def valid_values(key: str, field: Any) -> st.SearchStrategy:
    """Values of one leaf inside the schema's bounds (and :data:`CAPS`)."""
    ann = field.annotation
    if typing.get_origin(ann) is typing.Literal:
        options = [o for o in typing.get_args(ann) if o != "edgelist"]  # needs a file
        return st.sampled_from(options)
    if is_level_ref(field):
        return st.sampled_from([*LEVELS, *range(len(LEVELS))])
    if key == "population.market":
        return st.sampled_from(MARKETS)
    if ann is bool:
        return st.booleans()
    lo, lo_open, hi, hi_open = bounds(field)
    cap_lo, cap_hi = CAPS.get(key, (lo, hi))
    lo = cap_lo if lo is None else max(lo, cap_lo)
    hi = cap_hi if hi is None else min(hi, cap_hi)
    if ann is int:
        return st.integers(int(lo), int(hi))
    return st.floats(lo, hi, exclude_min=lo_open, exclude_max=hi_open)


LEAVES = dict(leaves())
VALID = {key: valid_values(key, field) for key, field in LEAVES.items()}
incident = st.fixed_dictionaries({"week": st.integers(0, 9), "severity": st.floats(0.01, 1),
                                  "responsible": st.booleans(), "media_reach": st.floats(0, 1)})


@st.composite
def valid_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """A subset of the leaves with in-range values that also meet the cross-key rules."""
    ov: dict[str, Any] = {"population.size": 200, "run.weeks": 6}
    ov.update(draw(st.fixed_dictionaries({}, optional=VALID)))
    size = ov["population.size"]
    if ov.get("network.kind", "watts_strogatz") != "none":  # fewer friends than consumers
        ov["network.mean_degree"] = min(ov.get("network.mean_degree", 10.0), size - 1)
    if ov.get("network.kind") == "sbm":  # blocks of at least 15: room for 12 friends inside
        ov["network.blocks"] = min(max(ov.get("network.blocks", 20), 2), size // 15)
    ov["churn.initial_churned"] = min(ov.get("churn.initial_churned", 0), size)
    tell = ov.get("wom.p_tell_negative", 0.2)  # public posters are among those who complain
    ov["wom.p_post_public"] = min(ov.get("wom.p_post_public", 0.1), tell)
    if ov.get("strategy.escalation.mode") == "schedule":
        ov["strategy.escalation.schedule"] = draw(st.lists(st.fixed_dictionaries(
            {"week": st.integers(0, 9), "level": st.sampled_from(LEVELS)}), min_size=1,
            max_size=3))
    ov["incidents.events"] = draw(st.lists(incident, max_size=3))
    return ov


@pytest.mark.slow  # 60 runs: about 3-8 s
@given(valid_overrides())
def test_in_range_scenarios_are_valid_and_run_with_invariants(ov):
    """Every in-range scenario validates (100% of examples) and keeps the invariants."""
    sc = sim.load_scenario(BASELINE, overrides=ov)
    check_invariants(sim.run(sc))


@pytest.mark.parametrize("trust", [5e-324, 0.9999999999999999])
def test_initial_trust_at_the_edge_of_its_range_runs(trust):
    sc = sim.load_scenario(BASELINE, overrides={"population.initial_trust": trust,
                                                "population.size": 200, "run.weeks": 2})
    check_invariants(sim.run(sc))


@pytest.mark.parametrize("kind, degree, mixing", [
    ("erdos_renyi", 1e-190, 0.1), ("sbm", 1e-190, 0.1), ("sbm", 4.0, 1e-190)])
def test_tiny_tie_probability_on_the_networkx_backend_runs(kind, degree, mixing):
    sc = sim.load_scenario(BASELINE, overrides={
        "network.kind": kind, "network.backend": "networkx", "network.mean_degree": degree,
        "network.mixing": mixing, "network.blocks": 10, "population.size": 200,
        "run.weeks": 2})
    check_invariants(sim.run(sc))


def test_every_numeric_key_has_finite_bounds():
    numeric = {k: f for k, f in LEAVES.items()
               if f.annotation in (int, float) and k not in SKIP}
    assert len(numeric) > 50
    unbounded = [k for k, f in numeric.items()
                 if bounds(f)[0] is None or bounds(f)[2] is None
                 or not all(math.isfinite(b) for b in (bounds(f)[0], bounds(f)[2]))]
    assert unbounded == []


def invalid_values(key: str) -> st.SearchStrategy:
    """Values of one leaf that the schema must refuse: out of bounds, or of the wrong type."""
    field = LEAVES[key]
    ann = field.annotation
    if typing.get_origin(ann) is typing.Literal:
        return st.text(max_size=8).filter(lambda s: s not in typing.get_args(ann))
    if ann is bool:
        return st.sampled_from([0, 1, "yes", 0.5])
    wrong_type = st.sampled_from(["high", [1], True] + ([1.5, 2.0] if ann is int else []))
    lo, lo_open, hi, hi_open = bounds(field)
    out: list[st.SearchStrategy] = [wrong_type]
    if lo is not None:
        out.append(st.just(lo) if lo_open else st.integers(max_value=int(lo) - 1)
                   if ann is int else st.floats(max_value=lo, exclude_max=True))
    if hi is not None:
        out.append(st.just(hi) if hi_open else st.integers(min_value=int(hi) + 1)
                   if ann is int else st.floats(min_value=hi, exclude_min=True))
    return st.one_of(out).filter(lambda v: not (isinstance(v, float) and math.isnan(v)))


CHECKED = sorted(k for k, f in LEAVES.items()
                 if not is_level_ref(f) and k not in ("population.market",))
"""Leaves whose invalid values the schema itself refuses (level names are checked later)."""


@st.composite
def invalid_overrides(draw: st.DrawFn) -> tuple[list[str], dict[str, Any]]:
    """Valid overrides with one to three keys given invalid values; returns those keys."""
    keys = draw(st.lists(st.sampled_from(CHECKED), min_size=1, max_size=3, unique=True))
    ov = draw(valid_overrides())
    ov.update({k: draw(invalid_values(k)) for k in keys})
    return keys, ov


@given(invalid_overrides())
def test_invalid_values_are_refused_naming_exactly_their_keys(case):
    keys, ov = case
    try:
        sim.load_scenario(BASELINE, overrides=ov)
    except sim.ScenarioError as err:
        assert sorted(p.key for p in err.problems) == sorted(keys), str(err)
        for key in keys:
            assert f"baseline.toml: {key}: " in str(err)
    else:
        raise AssertionError(f"accepted: { {k: ov[k] for k in keys} }")
