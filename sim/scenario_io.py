"""Reading scenarios from TOML: ``extends``, ``--set`` overrides, path resolution.

A scenario file is TOML with the sections of :class:`sim.config.Scenario`.
``extends = "other.toml"`` (relative to the file, or the name of a built-in
scenario such as ``"baseline"``) merges the file over its parent, table by
table, so variants state only what differs. Overrides are
``"dotted.key=value"`` strings whose value is read as a TOML value (``3``,
``0.5``, ``true``, ``"text"``, ``[1, 2]``); a bare word is taken as a string.
"""

from __future__ import annotations

import copy
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel

from sim.config import Scenario
from sim.errors import InputWarning, ScenarioError, dotted_key
from sim.files import read_toml
from sim.paths import builtin_file, builtin_names, find_file
from sim.schema_errors import unknown_key_problem

_MAX_EXTENDS_DEPTH = 20


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base`` table by table (lists and values replace).

    Args:
        base: The parent table.
        top: The child table.

    Returns:
        A new merged dict; the inputs are not changed.
    """
    out = copy.deepcopy(dict(base))
    for key, val in top.items():
        if isinstance(val, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


def read_scenario_data(path: str | Path, _depth: int = 0) -> dict[str, Any]:
    """Read a scenario file and everything it extends, merged, paths resolved.

    Args:
        path: Scenario file.
        _depth: Recursion guard.

    Returns:
        The merged raw data (not yet validated).

    Raises:
        ScenarioError: On a missing file, bad TOML, or an ``extends`` cycle.
    """
    p = Path(path).resolve()
    if _depth > _MAX_EXTENDS_DEPTH:
        raise ScenarioError.one("extends", "too deep (a cycle?)", None, p)
    data = read_toml(p)
    if not data:
        warnings.warn(f"{p}: the file sets no keys (it is empty), so every key takes its "
                      "default value", InputWarning, stacklevel=2)
    _resolve_paths(data, p.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError.one("extends", "must be a file name (a string)", parent, p)
    parent_path = (p.parent / parent).resolve()
    if not parent_path.is_file():
        builtin = builtin_file(parent)  # a bare built-in name, as everywhere else
        if builtin is None:
            raise ScenarioError.one(
                "extends", f"parent file not found: {parent_path} (nor a built-in scenario: "
                f"{', '.join(builtin_names())})", parent, p)
        parent_path = builtin.resolve()
    return deep_merge(read_scenario_data(parent_path, _depth + 1), data)


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Make file references in ``data`` absolute, relative to ``base``."""
    net = data.get("network")
    if isinstance(net, dict) and isinstance(net.get("path"), str):
        net["path"] = str((base / net["path"]).resolve())
    pop = data.get("population")
    if isinstance(pop, dict) and isinstance(pop.get("market"), str):
        market = pop["market"]
        if market.endswith(".toml") or "/" in market:
            pop["market"] = str((base / market).resolve())


def parse_value(text: str) -> Any:
    """Read an override value as TOML, falling back to a plain string.

    Args:
        text: The text after ``=``.

    Returns:
        The typed value.
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def normalise_overrides(
    overrides: Mapping[str, Any] | Iterable[str] | None,
) -> dict[str, Any]:
    """Accept overrides as a mapping or as ``key=value`` strings.

    Args:
        overrides: ``{"a.b": 1}`` or ``["a.b=1"]`` or None.

    Returns:
        A mapping from dotted key to typed value; list items are written
        ``.n`` (``incidents.events[0].week`` becomes ``incidents.events.0.week``).

    Raises:
        ScenarioError: For a string without ``=``.
    """
    if overrides is None:
        return {}
    if isinstance(overrides, Mapping):
        return {dotted_key(str(k)): v for k, v in overrides.items()}
    out: dict[str, Any] = {}
    for item in overrides:
        key, sep, val = str(item).partition("=")
        if not sep or not key.strip():
            raise ScenarioError.one(
                str(item), "an override must look like key.path=value (e.g. run.seed=7)"
            )
        out[dotted_key(key)] = parse_value(val.strip())
    return out


def set_path(data: dict[str, Any], key: str, value: Any,
             schema: type[BaseModel] | None = None) -> None:
    """Set ``data[a][b][c] = value`` for ``key = "a.b.c"``, creating tables.

    Numeric parts index into lists (``incidents.events.0.week``, or
    ``incidents.events[0].week``).

    Args:
        data: Nested dict changed in place.
        key: Dotted key path.
        value: New value.
        schema: The model ``data`` is for; given, a key it has no place for is
            refused before any table is created (so the error names the whole key).

    Raises:
        ScenarioError: If the key is unknown to ``schema``, or the path runs
            through a value that is not a table/list.
    """
    key = dotted_key(key)
    problem = None if schema is None else unknown_key_problem(key, schema)
    if problem is not None:
        raise ScenarioError([problem])
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        where = ".".join(parts[: i + 1])
        if isinstance(node, list):
            node = node[_list_index(key, ".".join(parts[:i]), part, len(node))]
        elif isinstance(node, dict):
            if part not in node and parts[i + 1].isdigit():
                raise ScenarioError.one(
                    key, f"{where} has no item {parts[i + 1]} (it is empty or not set); set "
                    f"the whole list, e.g. {where}=[{{...}}]"
                )
            node = node.setdefault(part, {})
        else:
            raise ScenarioError.one(key, f"{where} is a value, not a table")
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(key, ".".join(parts[:-1]), last, len(node))] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError.one(key, "cannot set a key inside a value")


def _list_index(key: str, where: str, part: str, size: int) -> int:
    """The list index ``part`` of ``where``, or a clear error."""
    if not part.isdigit() or int(part) >= size:
        allowed = f"0 to {size - 1}" if size else "none: the list is empty"
        raise ScenarioError.one(key, f"{where} is a list of {size}; item indices: {allowed}")
    return int(part)


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: The TOML scenario file, or the name of a built-in scenario
            (``"baseline"``, ``"data_breach"``...).
        overrides: Dotted-key overrides, as a mapping or ``key=value`` strings.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: Naming the file and every bad key.

    Example:
        >>> sc = load_scenario("scenarios/baseline.toml",
        ...                    overrides={"population.size": 1000, "run.seed": 7})
    """
    path = find_file(path)
    data = read_scenario_data(path)
    for key, val in normalise_overrides(overrides).items():
        set_path(data, key, val, Scenario)
    data.setdefault("name", Path(path).stem)
    return Scenario.from_dict(data, file=str(path))


def scenario_from_dict(
    data: Mapping[str, Any],
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Validate a scenario from a dict, with optional dotted overrides.

    Args:
        data: Nested dict of sections (may be empty: all defaults).
        overrides: Dotted-key overrides.

    Returns:
        The validated scenario.
    """
    raw = copy.deepcopy(dict(data))
    for key, val in normalise_overrides(overrides).items():
        set_path(raw, key, val, Scenario)
    return Scenario.from_dict(raw)


def with_overrides(
    scenario: Scenario, overrides: Mapping[str, Any] | Iterable[str] | None
) -> Scenario:
    """Return a copy of ``scenario`` with dotted overrides applied and revalidated.

    Args:
        scenario: The base scenario.
        overrides: Dotted-key overrides.

    Returns:
        The new scenario.
    """
    return scenario_from_dict(scenario.to_dict(), overrides)


def dumps_scenario(scenario: Scenario) -> str:
    """Serialise a scenario to TOML text that loads back to an equal scenario.

    Args:
        scenario: The scenario.

    Returns:
        TOML text.
    """
    return tomli_w.dumps(scenario.to_dict())
