"""Every scenario key, with its type, default, allowed values and meaning.

The reference is read from the typed scenario itself (:class:`sim.config.Scenario`
and its sections: field types, defaults, bounds, and the ``Attributes:``
sections of their docstrings), so it cannot drift from what the loader
accepts. ``docs/scenario_keys.md`` is this module's output (a test checks that
it is current); regenerate it with::

    python -m sim.keyref > docs/scenario_keys.md
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.config import Scenario
from sim.schema_walk import SchemaKey, key_paths, model_of, strip_optional, walk


@dataclass(frozen=True)
class KeyInfo:
    """One scenario key.

    Attributes:
        key: Dotted path; ``[]`` marks an item of a list (``incidents.events[].week``).
        type: Value type, in TOML terms.
        default: Default value as TOML would write it ("" if required or empty).
        allowed: Allowed values or range ("" if any value of the type).
        meaning: What the key sets.
    """

    key: str
    type: str
    default: str
    allowed: str
    meaning: str


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name: text`` entries of a class docstring's ``Attributes:`` section."""
    doc = inspect.getdoc(cls) or ""
    out: dict[str, str] = {}
    section = doc.split("Attributes:", 1)[1] if "Attributes:" in doc else ""
    current = None
    for line in section.splitlines():
        m = re.match(r"^    (\w+): (.*)$", line)
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
        elif current and line.startswith("        "):
            out[current] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break
    return out


def _type_name(tp: Any) -> str:
    tp = strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "string"
    if origin is typing.Annotated:
        return _type_name(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_type_name(a) for a in typing.get_args(tp)))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if tp in names:
        return names[tp]
    if model_of(tp) is not None:
        return "table"
    return getattr(tp, "__name__", str(tp))


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) >= 1000 else f"{x:g}"


def _bounds(meta: list[Any]) -> str:
    parts = []
    for m in meta:
        if isinstance(m, Ge):
            parts.append(f">= {_num(m.ge)}")
        elif isinstance(m, Gt):
            parts.append(f"> {_num(m.gt)}")
        elif isinstance(m, Le):
            parts.append(f"<= {_num(m.le)}")
        elif isinstance(m, Lt):
            parts.append(f"< {_num(m.lt)}")
    return ", ".join(parts)


def _allowed(field: FieldInfo) -> str:
    tp = strip_optional(field.annotation)
    if typing.get_origin(tp) is Literal:
        return ", ".join(f'"{a}"' for a in typing.get_args(tp))
    meta = list(field.metadata)
    if typing.get_origin(tp) is typing.Annotated:
        meta += [m for a in typing.get_args(tp)[1:] for m in getattr(a, "metadata", [a])]
    return _bounds(meta)


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is PydanticUndefined or value is None or isinstance(value, BaseModel):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[]" if not value else f"{len(value)} items"
    return _num(value) if isinstance(value, float) else str(value)


def _info(k: SchemaKey, docs: dict[type, dict[str, str]]) -> KeyInfo:
    meaning = docs.setdefault(k.owner, _attribute_docs(k.owner)).get(k.name, "")
    if k.table_list:
        return KeyInfo(k.key, "list of tables", _default(k.field), "", meaning)
    return KeyInfo(k.key, _type_name(k.field.annotation), _default(k.field),
                   _allowed(k.field), meaning)


def key_reference() -> list[KeyInfo]:
    """Every key a scenario file accepts, in file order.

    Returns:
        One entry per key.
    """
    docs: dict[type, dict[str, str]] = {}
    return [_info(k, docs) for k in walk(Scenario)]


def scenario_keys() -> list[str]:
    """Every dotted key, with ``[]`` for list items (for suggestions)."""
    return key_paths(Scenario)


def key_reference_markdown() -> str:
    """The reference as a Markdown page (``docs/scenario_keys.md``).

    Returns:
        The page text.
    """
    lines = [
        "# Scenario keys",
        "",
        "Every key a scenario file (or `--set KEY=VALUE`, or a sweep factor) accepts:",
        "its type, default, allowed values and meaning. `[]` marks an item of a list,",
        "so `incidents.events[].week` is the `week` of each `[[incidents.events]]`",
        "table; with `--set`, give the index: `incidents.events.0.week=30`.",
        "Generated from `sim/config.py` by `python -m sim.keyref > docs/scenario_keys.md`;",
        "`docs/model.md` gives the equations each key enters.",
        "",
    ]
    section = None
    for k in key_reference():
        top = k.key.split(".")[0] if "." in k.key else ""
        if top != section:
            section = top
            lines += ["", f"## `{top}`" if top else "## Top level", "",
                      "| key | type | default | allowed | meaning |",
                      "| --- | --- | --- | --- | --- |"]
        meaning = k.meaning.replace("``", "`").replace("|", "\\|")
        cells = [f"`{k.key}`", k.type, f"`{k.default}`" if k.default else "", k.allowed, meaning]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - the docs generator
    print(key_reference_markdown(), end="")
