"""Pydantic's validation errors as :class:`~sim.errors.Problem` entries.

Each error becomes a problem with a dotted key path and plain words ("must
be a whole number", "unknown key; did you mean 'strategy.reach'?"), so that
scenario errors read the same whatever pydantic's wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from sim.errors import Problem, ScenarioError
from sim.hints import close_matches
from sim.schema_walk import key_paths, list_item, model_of

KEYS_DOC = "docs/scenario_keys.md"
"""Where every key is listed, unless the schema names its own (a ``KEYS_DOC`` class variable)."""

_TYPE_WORDS = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "model_type": "a table",
    "dict_type": "a table",
}


def _key_hint(loc: list[str], schema: type[BaseModel]) -> str:
    """``; did you mean 'a.b'?`` for a mistyped key, from the keys at the same level."""
    parent = ".".join(loc[:-1])
    parent = re.sub(r"\.(\d+)(?=\.|$)", "[]", parent)  # incidents.events.0 -> events[]
    siblings = [k.rsplit(".", 1)[-1] for k in key_paths(schema)
                if (k.rsplit(".", 1)[0] if "." in k else "") == parent]
    hit = close_matches(loc[-1], siblings, n=1, cutoff=0.6)
    return f"; did you mean {'.'.join([*loc[:-1], hit[0]])!r}?" if hit else ""


def keys_doc(schema: type[BaseModel]) -> str:
    """The page that lists every key of ``schema``.

    Args:
        schema: A model class.

    Returns:
        Its ``KEYS_DOC`` class variable, or :data:`KEYS_DOC`.
    """
    return str(getattr(schema, "KEYS_DOC", KEYS_DOC))


def unknown_key_problem(key: str, schema: type[BaseModel]) -> Problem | None:
    """The problem with an override's dotted key that ``schema`` has no place for.

    Checked before the key is set, so that a mistyped table (``strategi.transparency``)
    is reported as the whole key with the key meant, not as an unknown table in the file.
    Only tables that forbid unknown keys are checked; list items are numbers
    (``incidents.events.0.week``); below a value or a free-form table nothing is checked.

    Args:
        key: Dotted key path, list items as ``.n``.
        schema: The model the data will be validated against.

    Returns:
        An "unknown key; did you mean" problem (with no file), or None if the key may exist.
    """
    parts = key.split(".")
    model: type[BaseModel] | None = schema
    i = 0
    while model is not None and i < len(parts) and model.model_config.get("extra") == "forbid":
        fields = model.model_fields
        if parts[i] not in fields:
            hit = close_matches(parts[i], fields, n=1, cutoff=0.6)
            meant = ".".join([*parts[:i], hit[0], *parts[i + 1:]]) if hit else ""
            hint = f"; did you mean {meant!r}?" if hit else ""
            return Problem(key, f"unknown key{hint} (every key: {keys_doc(schema)})")
        tp = fields[parts[i]].annotation
        model, i = model_of(tp), i + 1
        item = list_item(tp)
        if model is None and item is not None and i < len(parts) and parts[i].isdigit():
            model, i = model_of(item), i + 1
    return None


def pydantic_problems(err: Mapping[str, Any], file: str | None,
                      schema: type[BaseModel]) -> list[Problem]:
    """Turn one pydantic error into Problems with dotted key paths.

    A :class:`~sim.errors.ScenarioError` raised by a validator (level names,
    files) keeps its own problems and keys.

    Args:
        err: One entry of ``ValidationError.errors()``.
        file: The file the data came from, for messages.
        schema: The model validated (for "did you mean" hints on unknown keys).

    Returns:
        The problems.
    """
    cause = err.get("ctx", {}).get("error") if err["type"] == "value_error" else None
    if isinstance(cause, ScenarioError):
        return [Problem(p.key, p.message, p.value, p.file or file) for p in cause.problems]
    return [_problem(err, file, schema)]


def _problem(err: Mapping[str, Any], file: str | None,
             schema: type[BaseModel]) -> Problem:
    """Turn one pydantic error into a Problem with a dotted key path."""
    loc = [str(p) for p in err["loc"] if not str(p).startswith("function-after")]
    # Union members (str | int) add their type name to the path; drop those.
    loc = [p for p in loc if p not in ("str", "int", "constrained-int")]
    key = ".".join(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        hint = _key_hint(loc, schema)
        return Problem(key, f"unknown key{hint} (every key: {keys_doc(schema)})", None, file)
    if kind == "missing":
        return Problem(key, "required key is missing", None, file)
    if kind == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return Problem(key, f"must be one of {allowed}", err.get("input"), file)
    if kind in _TYPE_WORDS:
        return Problem(key, f"must be {_TYPE_WORDS[kind]}", err.get("input"), file)
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return Problem(key, msg, None, file)
    return Problem(key, err["msg"].lower(), err.get("input"), file)
