"""What two scenarios differ in, key by key, in plain words.

:func:`differences` compares two resolved scenarios value by value (every
dotted key, list items by index: ``incidents.events.0.responsible``) and
:func:`describe` writes the differences as people read them
(``incidents.events.0.responsible: false in A, true in B``). A comparison
uses them to say what its difference can be attributed to.

Layer: scenario reading (over the scenario schema).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.config import Scenario, leaf_paths, lookup

LABELS = ("name", "description")
"""Keys that name a scenario without changing what it does (never a difference)."""

_MISSING = object()


def flat(scenario: Scenario) -> dict[str, Any]:
    """Every value of a scenario by its dotted key (list items by index).

    Args:
        scenario: The scenario.

    Returns:
        Dotted key -> value.
    """
    data = scenario.to_dict()
    return {k: lookup(data, k)[1] for k in leaf_paths(data)}


def differences(a: Scenario, b: Scenario) -> list[tuple[str, Any, Any]]:
    """The keys whose values differ between two scenarios, with both values.

    Labels (:data:`LABELS`) are not differences. A key set on one side only
    (e.g. an incident the other side does not have) has :data:`None` on the other.

    Args:
        a: One scenario.
        b: The other.

    Returns:
        ``(key, value in a, value in b)`` in the order of ``a``'s keys, then ``b``'s.
    """
    fa, fb = flat(a), flat(b)
    keys = list(dict.fromkeys([*fa, *fb]))

    def listed(k: str) -> bool:  # an empty list on one side, its items on the other
        return any(x.startswith(k + ".") for x in keys)

    return [(k, fa.get(k), fb.get(k)) for k in keys
            if k not in LABELS and fa.get(k, _MISSING) != fb.get(k, _MISSING)
            and not listed(k)]


def _value(v: Any) -> str:
    if v is None:
        return "not set"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[]" if not v else f"a list of {len(v)}"
    return f"{v:g}" if isinstance(v, float) else str(v)


def describe(diffs: Sequence[tuple[str, Any, Any]], most: int = 6) -> str:
    """Differences in plain words: ``key: x in A, y in B; ...``.

    Args:
        diffs: As from :func:`differences`.
        most: Name at most this many, then say how many more there are.

    Returns:
        One line.
    """
    parts = [f"{k}: {_value(va)} in A, {_value(vb)} in B" for k, va, vb in diffs[:most]]
    if len(diffs) > most:
        parts.append(f"and {len(diffs) - most} more")
    return "; ".join(parts)


def side_labels(name: str, diffs: Sequence[tuple[str, Any, Any]],
                most: int = 2) -> tuple[str, str]:
    """Names of two sides of one scenario that differ by overrides: ``A: name with key = x``.

    Args:
        name: The scenario's name (the same on both sides).
        diffs: As from :func:`differences`.
        most: Name at most this many differences, then say how many more there are.

    Returns:
        ``(label of A, label of B)``; ``A: name`` / ``B: name`` without differences.
    """
    if not diffs:
        return f"A: {name}", f"B: {name}"
    more = f" and {len(diffs) - most} more" if len(diffs) > most else ""

    def label(side: str, i: int) -> str:
        parts = ", ".join(f"{d[0]} = {_value(d[i])}" for d in diffs[:most])
        return f"{side}: {name} with {parts}{more}"

    return label("A", 1), label("B", 2)
