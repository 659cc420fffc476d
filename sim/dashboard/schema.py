"""Dashboard controls generated from the scenario schema.

Every control is read from the pydantic fields of :class:`sim.config.Scenario`
(type, range from the field constraints, allowed values from ``Literal``
types, help text from the sections' ``Attributes:`` docstrings through
:mod:`sim.keyref`), so a key added to the schema appears in the dashboard
without a line written here. Level references (``str | int``) offer the
scenario's ladder names; the market preset offers the built-in markets.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.config import Scenario, lookup
from sim.keyref import key_reference
from sim.paths import builtin_names
from sim.scenario_io import scenario_from_dict, set_path

Kind = Literal["bool", "int", "float", "choice", "level", "text"]

LEVERS: tuple[str, ...] = (
    "strategy.escalation.mode",
    "strategy.escalation.level",
    "strategy.escalation.start",
    "strategy.escalation.end",
    "strategy.escalation.over_weeks",
    "strategy.reach",
    "strategy.value_exchange",
    "strategy.transparency",
    "strategy.consent.design",
    "population.market",
    "population.size",
    "network.kind",
    "incidents.events.0.week",
    "incidents.events.0.severity",
    "incidents.events.0.responsible",
    "run.seed",
    "run.weeks",
)
"""Keys shown first, as the levers of the issue; every other key follows by section."""

ITEM_LISTS: tuple[str, ...] = ("incidents.events",)
"""Lists of tables whose first item gets controls (added when a control is set)."""

DYNAMIC_CHOICES: tuple[str, ...] = ("population.market",)
"""String keys whose allowed values come from the installed files, not the schema."""

NEW_ITEM: dict[str, dict[str, Any]] = {"incidents.events": {"week": 26, "severity": 0.5}}
"""Required values of an item added by setting one of its keys."""

SLIDER_STEPS = 100
"""Steps of a slider over its whole range."""


@dataclass(frozen=True)
class Control:
    """One generated control.

    Attributes:
        key: Dotted scenario key (``incidents.events.0.week`` for a list item).
        kind: ``bool``, ``int``, ``float``, ``choice`` (a fixed set), ``level``
            (a ladder level name) or ``text``.
        section: Top-level section (``strategy``, ``run``...).
        help: Meaning of the key, from the schema's docstrings.
        low: Smallest allowed value (numbers), or None if unbounded.
        high: Largest allowed value (numbers), or None if unbounded.
        choices: Allowed values (``choice``); filled from the scenario for ``level``.
        slider: Whether a slider fits (a number with both bounds, not too wide).
    """

    key: str
    kind: Kind
    section: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    slider: bool = False

    @property
    def label(self) -> str:
        """The key without its section, as a short label."""
        return self.key.split(".", 1)[1] if "." in self.key else self.key

    @property
    def step(self) -> float:
        """Slider step: 1 for whole numbers, else a round fraction of the range."""
        if self.kind == "int":
            return 1
        span = (self.high or 1.0) - (self.low or 0.0)
        return 10 ** math.floor(math.log10(span / SLIDER_STEPS)) if span > 0 else 0.01


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    """The type without ``None``, and whether ``None`` was allowed."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _bounds(field: FieldInfo, tp: Any) -> tuple[float | None, float | None]:
    meta = list(field.metadata)
    if typing.get_origin(tp) is typing.Annotated:
        meta += [m for a in typing.get_args(tp)[1:] for m in getattr(a, "metadata", [a])]
    low = high = None
    for m in meta:
        if isinstance(m, Ge):
            low = float(m.ge)
        elif isinstance(m, Gt):
            low = float(m.gt)
        elif isinstance(m, Le):
            high = float(m.le)
        elif isinstance(m, Lt):
            high = float(m.lt)
    return low, high


def _base(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def _is_level_ref(tp: Any) -> bool:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    return {_base(a) for a in typing.get_args(tp)} == {str, int}


def _model(tp: Any) -> type[BaseModel] | None:
    return tp if inspect.isclass(tp) and issubclass(tp, BaseModel) else None


def _control(key: str, field: FieldInfo, help_text: str) -> Control | None:
    tp, _ = _strip_optional(field.annotation)
    section = key.split(".", 1)[0]
    base = _base(tp)
    if typing.get_origin(tp) is Literal:
        return Control(key, "choice", section, help_text, choices=typing.get_args(tp))
    if _is_level_ref(tp):
        return Control(key, "level", section, help_text)
    if base is bool:
        return Control(key, "bool", section, help_text)
    if base in (int, float):
        low, high = _bounds(field, tp)
        wide = low is None or high is None or high - low > (1000 if base is int else 10)
        return Control(key, "int" if base is int else "float", section, help_text,
                       low, high, slider=not wide)
    if base is str:
        kind: Kind = "choice" if key in DYNAMIC_CHOICES else "text"
        return Control(key, kind, section, help_text)
    return None  # lists of plain values: edit them in the TOML file


def _walk(cls: type[BaseModel], prefix: str, helps: dict[str, str]) -> list[Control]:
    out: list[Control] = []
    for name, field in cls.model_fields.items():
        key = f"{prefix}{name}"
        tp, _ = _strip_optional(field.annotation)
        sub = _model(tp)
        if sub is not None:
            out += _walk(sub, f"{key}.", helps)
            continue
        if typing.get_origin(tp) is list:
            item = _model(typing.get_args(tp)[0])
            if item is not None and key in ITEM_LISTS:
                out += _walk(item, f"{key}.0.", helps)
            continue
        ref = key.replace(".0.", "[].")
        c = _control(key, field, helps.get(ref, ""))
        if c is not None:
            out.append(c)
    return out


def schema_controls() -> list[Control]:
    """Every control the schema gives, levers first, then by section in file order.

    Returns:
        One :class:`Control` per scalar key (and per key of the first item
        of each list in :data:`ITEM_LISTS`).
    """
    helps = {k.key: k.meaning for k in key_reference()}
    found = _walk(Scenario, "", helps)
    rank = {k: i for i, k in enumerate(LEVERS)}
    return sorted(found, key=lambda c: rank.get(c.key, len(rank)))


def market_names() -> list[str]:
    """Names of the built-in market presets."""
    return builtin_names("markets")


def choices_for(control: Control, scenario: Scenario) -> list[Any]:
    """The values a choice-like control offers for this scenario.

    Args:
        control: The control.
        scenario: The current scenario (its ladder names the levels).

    Returns:
        Allowed values: the ``Literal`` values, the ladder's level names, or
        for the market the built-in presets plus the current value.
    """
    if control.kind == "level":
        return [lv.name for lv in scenario.strategy.ladder]
    if control.key == "population.market":
        current = scenario.population.market
        names = market_names()
        return names if current in names else [*names, current]
    return list(control.choices)


def value_of(scenario: Scenario, key: str) -> Any:
    """The current value of a control's key, or None where a list item is absent.

    Args:
        scenario: The scenario.
        key: Dotted key.

    Returns:
        The value; a level given by index comes back as its name.
    """
    try:
        value = scenario.get(key)
    except KeyError:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith(
            ("level", "start", "end", "max_level", "gate_level")) and key.startswith("strategy"):
        return scenario.strategy.ladder[value].name
    return value


def apply(scenario: Scenario, key: str, value: Any) -> Scenario:
    """The scenario with one control's key set, validated.

    Setting a key of the first item of a list in :data:`ITEM_LISTS` that is
    empty adds the item (with :data:`NEW_ITEM` values for its required keys).

    Args:
        scenario: The current scenario.
        key: Dotted key of the control.
        value: The new value.

    Returns:
        The new scenario.

    Raises:
        ScenarioError: Naming the key and what is allowed, if the value is not.
    """
    data = scenario.to_dict()
    for lst in ITEM_LISTS:
        if key.startswith(f"{lst}.0."):
            found, items = lookup(data, lst)
            if not found or not items:
                set_path(data, lst, [dict(NEW_ITEM.get(lst, {}))])
    set_path(data, key, value)
    return scenario_from_dict(data)


def remove_item(scenario: Scenario, key: str) -> Scenario:
    """The scenario with the first item of the list at ``key`` removed.

    Args:
        scenario: The current scenario.
        key: A list in :data:`ITEM_LISTS` (``incidents.events``).

    Returns:
        The new scenario.
    """
    data = scenario.to_dict()
    found, items = lookup(data, key)
    if found and items:
        set_path(data, key, items[1:])
    return scenario_from_dict(data)
