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
from sim.schema_walk import key_paths

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
        return Problem(key, f"unknown key{hint} (every key: docs/scenario_keys.md)", None, file)
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
