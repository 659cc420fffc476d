"""The sweep file's schema: typed, frozen pydantic models of what a user writes.

:class:`SweepFile` mirrors a sweep file (``scenarios/sweeps/*.toml``) table
by table: types, allowed values, unknown keys and the rules between keys of
one table (a grid has no ``samples``, a Sobol ``samples`` is a power of 2, a
factor has ``values`` or ``range``) are checked here, all at once. Rules that
need the base scenario (factor key paths and values) are checked by
:func:`sim.sweep.spec.spec_from_dict`, which turns a valid file into the
:class:`~sim.sweep.spec.SweepSpec` the machinery runs.

Validation takes a context (:func:`context`) holding the raw design kind and
model, so that a factor's rules can depend on the design even when another
table is invalid. :func:`problems` turns pydantic's errors into
:class:`~sim.errors.Problem` entries that name the dotted key
(``factors[1].steps``), the bad value and what is allowed, with a "did you
mean" hint for a mistyped key or KPI.

Layer: sweep computation (over the KPI registry and hints); in sim.sweep: schema.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from sim import kpis as kpi_registry
from sim.errors import Problem
from sim.hints import hint_or_allowed
from sim.sweep.spec_types import DESIGNS, RESERVED_COLUMNS, TRUSTSIM

MAX_SEED = 2**63 - 1

_POINTS_WORD = {"lhs": "points", "sobol": "base samples N", "morris": "trajectories"}


FUNCTION_REF = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
"""The shape of a ``"package.module:function"`` reference (checked without importing it)."""


def _rule(message: str, key: str = "", value: object = None) -> PydanticCustomError:
    """A broken rule; ``key`` is appended to the validated item's key path."""
    return PydanticCustomError("sweep_rule", message.replace("{", "(").replace("}", ")"),
                               {"key": key, "value": value})


def _is_num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


class _Table(BaseModel):
    """Base of every sweep-file table: frozen, strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ModelTable(_Table):
    """``[model]``: what one run is.

    Attributes:
        function: ``"trustsim"`` or an importable ``"package.module:function"``.
    """

    function: str = TRUSTSIM

    @field_validator("function")
    @classmethod
    def _reference(cls, ref: str) -> str:
        # Only its shape: importing it would run code named by a data file.
        if ref != TRUSTSIM and not FUNCTION_REF.match(ref):
            raise _rule('must be "trustsim" or "package.module:function"', value=ref)
        return ref


class DesignTable(_Table):
    """``[design]``: how points are chosen.

    Attributes:
        kind: One of :data:`DESIGNS`.
        samples: LHS points, Sobol base samples N (a power of 2) or Morris
            trajectories; none for a grid.
        second_order: Sobol only: also estimate second-order indices.
        levels: Morris only: grid levels ``p`` (even; default 4).
    """

    kind: Literal["grid", "lhs", "sobol", "morris"]
    samples: int | None = Field(None, validate_default=True)
    second_order: bool = False
    levels: int | None = None

    @field_validator("samples")
    @classmethod
    def _samples(cls, n: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "grid" and n is not None:
            raise _rule("a grid has no samples (set steps or values per factor)")
        if kind is None or kind == "grid":
            return n
        what = _POINTS_WORD[kind]
        if n is None:
            raise _rule(f"required for a {kind} design (number of {what})")
        if n < 2:
            raise _rule(f"must be a whole number of {what} of at least 2", value=n)
        if kind == "sobol" and n & (n - 1):
            raise _rule("Sobol base samples N must be a power of 2 (e.g. 64, 128, 256)", value=n)
        return n

    @field_validator("second_order")
    @classmethod
    def _second_order(cls, flag: bool, info: ValidationInfo) -> bool:
        if flag and info.data.get("kind") not in (None, "sobol"):
            raise _rule("only Sobol designs have second-order indices")
        return flag

    @field_validator("levels")
    @classmethod
    def _levels(cls, p: int | None, info: ValidationInfo) -> int | None:
        if p is not None and info.data.get("kind") not in (None, "morris"):
            raise _rule("only Morris designs have levels")
        if p is not None and (p < 2 or p % 2):
            raise _rule("must be an even whole number of at least 2", value=p)
        return p


class AnalysisTable(_Table):
    """``[analysis]``: how ``trustsim analyze`` states its verdicts.

    A setting is called *ahead* of another only when the difference is
    statistically clear and larger than the practical threshold; otherwise the
    two are *tied* (see :mod:`sim.ties`).

    Attributes:
        practical_difference: Practical threshold as a share of the KPI's
            value (0.01: differences below 1% are ties).
        practical_difference_pp: Practical threshold for share KPIs
            (retention, churn, ...), in percentage points.
    """

    practical_difference: float = Field(0.01, ge=0, le=1)
    practical_difference_pp: float = Field(0.5, ge=0, le=100)


class FactorTable(_Table):
    """One ``[[factors]]`` table: a swept parameter as written.

    Attributes:
        key: Dotted scenario key path (or argument name of a function model).
        name: Column name in result tables (default: last part of ``key``).
        role: ``"lever"`` or ``"uncertainty"``.
        label: Human label for figures (default: ``name``).
        values: The values (numbers, names or booleans, all of one type).
        range: ``[low, high]`` of a continuous (or, with ``integer``, whole-number) factor.
        integer: Take every whole number of ``range``.
        steps: Grid points over ``range`` (grid designs only).
    """

    key: str
    name: str
    role: Literal["lever", "uncertainty"]
    label: str | None = None
    values: list[Any] | None = None
    range: list[Any] | None = None
    integer: bool = False
    steps: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "name" not in data and isinstance(data.get("key"), str):
            return {**data, "name": data["key"].rsplit(".", 1)[-1]}
        return data

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not key or any(not part for part in key.split(".")):
            raise _rule("must be a dotted key path such as 'strategy.transparency'", value=key)
        return key

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not name.isidentifier():
            raise _rule("must be a simple name (letters, digits, _)", value=name)
        if name in RESERVED_COLUMNS:
            raise _rule(f"is reserved for a result column ({RESERVED_COLUMNS})", value=name)
        return name

    @field_validator("values")
    @classmethod
    def _values(cls, vals: list[Any] | None) -> list[Any] | None:
        if vals is None:
            return None
        if not vals:
            raise _rule("must be a non-empty list", value=vals)
        if not all(isinstance(x, str | int | float | bool) for x in vals):
            raise _rule("must hold numbers, names or true/false (not tables)")
        kinds = {"bool" if isinstance(x, bool) else "num" if _is_num(x) else "str" for x in vals}
        if len(kinds) > 1:
            raise _rule("must all be of one type (numbers, names or true/false)", value=vals)
        if kinds == {"num"} and not all(isinstance(x, int) for x in vals):
            vals = [float(x) for x in vals]
        if len(set(vals)) != len(vals):
            raise _rule("has repeated values", value=vals)
        return vals

    @field_validator("range")
    @classmethod
    def _range(cls, ends: list[Any] | None) -> list[Any] | None:
        if ends is None:
            return None
        if not (len(ends) == 2 and all(_is_num(x) for x in ends)):
            raise _rule("must be [low, high] (two numbers)", value=ends)
        lo, hi = ends
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            raise _rule("empty range: high must be greater than low", value=ends)
        return ends

    @model_validator(mode="after")
    def _domain(self, info: ValidationInfo) -> FactorTable:
        """The rules between ``values``, ``range``, ``integer``, ``steps`` and the design."""
        if (self.values is None) == (self.range is None):
            raise _rule("give exactly one of values = [...] or range = [low, high]")
        if self.values is not None:
            if self.steps is not None or self.integer:
                raise _rule("steps and integer go with range, not values")
            return self
        assert self.range is not None
        if self.integer:
            if not all(isinstance(x, int) for x in self.range):
                raise _rule("an integer range needs whole-number ends", "range", self.range)
            if self.steps is not None:
                raise _rule("an integer range takes every whole number; drop steps", "steps")
            return self
        kind = (info.context or {}).get("kind")
        if kind == "grid" and self.steps is None:
            raise _rule("a grid needs steps (points over the range) or values", "steps")
        if kind in DESIGNS and kind != "grid" and self.steps is not None:
            raise _rule(f"steps are for grids; a {kind} design samples the range", "steps")
        if self.steps is not None and self.steps < 2:
            raise _rule("must be a whole number of at least 2", "steps", self.steps)
        return self


class SweepFile(_Table):
    """A sweep file as written (see :mod:`sim.sweep.spec` for an example).

    Attributes:
        name: Short name (default: the file's stem); cleaned to a safe folder name.
        description: The question the sweep answers.
        model: What one run is (default: the trust model).
        base: The base scenario: a file (relative to the sweep file) or a
            built-in name, or the scenario as a table (trust model only).
        overrides: Dotted-key overrides of the base scenario.
        seed: Root seed of every run (required).
        replicates: Runs per design point.
        common_random_numbers: Replicate ``r`` of every point shares its seed.
        design: How points are chosen.
        factors: The swept parameters.
        kpis: KPIs the analysis reports (default: retention, revenue, trust; for
            a function model, every numeric output).
        posterior: A posterior sample (CSV or Parquet, relative to the sweep
            file) from which each replicate draws its parameters (trust model only).
        analysis: How the analysis states verdicts (the practical threshold).
    """

    KEYS_DOC: ClassVar[str] = "docs/sweeps.md"

    name: str | None = None
    description: str = ""
    model: ModelTable = ModelTable()
    base: str | dict[str, Any] | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(ge=0, le=MAX_SEED)
    replicates: int = Field(1, ge=1)
    common_random_numbers: bool = True
    design: DesignTable
    factors: list[FactorTable] = Field(min_length=1)
    kpis: list[str] | None = None
    posterior: str | None = None
    analysis: AnalysisTable = AnalysisTable()

    @field_validator("name")
    @classmethod
    def _name(cls, name: str | None) -> str | None:
        if name is not None and not name:
            raise _rule("must be a non-empty string", value=name)
        return name

    @field_validator("factors")
    @classmethod
    def _unique_names(cls, factors: list[FactorTable]) -> list[FactorTable]:
        seen: set[str] = set()
        for i, f in enumerate(factors):
            if f.name in seen:
                raise _rule("two factors have this name; give one a different name",
                            f"[{i}].name", f.name)
            seen.add(f.name)
        return factors

    @field_validator("kpis")
    @classmethod
    def _kpis(cls, names: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if names is None:
            return None
        trustsim = (info.context or {}).get("model", TRUSTSIM) == TRUSTSIM
        if trustsim and not names:  # a function model's [] means: every numeric output
            raise _rule("must be a non-empty list of KPI names", value=names)
        taken = {f.name for f in info.data.get("factors") or ()} | set(RESERVED_COLUMNS)
        known = kpi_registry.numeric()
        for i, k in enumerate(names):
            if trustsim and k not in known:
                raise _rule(f"unknown KPI; {hint_or_allowed(k, known)}", f"[{i}]", k)
            if k in taken:
                raise _rule("a KPI name must differ from factor and reserved column names",
                            f"[{i}]", k)
        return names


def context(data: Mapping[str, Any]) -> dict[str, Any]:
    """The validation context of raw sweep data: its design kind and model, if valid.

    Args:
        data: The sweep table as read.

    Returns:
        ``{"kind": ..., "model": ...}``; ``kind`` is None when it is not a known design.
    """
    design = data.get("design")
    kind = design.get("kind") if isinstance(design, Mapping) else None
    model = data.get("model")
    ref = model.get("function", TRUSTSIM) if isinstance(model, Mapping) else TRUSTSIM
    return {"kind": kind if kind in DESIGNS else None,
            "model": ref if isinstance(ref, str) else TRUSTSIM}


def valid_factors(data: Mapping[str, Any]) -> list[tuple[int, FactorTable]]:
    """The factors of raw sweep data that are valid on their own, with their index.

    Used when the file as a whole is not valid, so that one error can still
    list the problems the base scenario finds in the other factors.

    Args:
        data: The sweep table as read.

    Returns:
        ``(index, factor)`` pairs.
    """
    items = data.get("factors")
    ctx = context(data)
    out = []
    for i, item in enumerate(items if isinstance(items, list) else ()):
        try:
            out.append((i, FactorTable.model_validate(item, context=ctx)))
        except ValidationError:
            continue
    return out


# -- pydantic errors as problems ---------------------------------------------------

_TABLES: dict[str, type[_Table]] = {
    "": SweepFile, "model": ModelTable, "design": DesignTable, "factors[]": FactorTable,
    "analysis": AnalysisTable,
}

_MISSING = {
    "seed": "a root seed is required (e.g. seed = 20240601); runs are never unseeded",
    "design": 'a [design] table is required (kind = "grid", "lhs", "sobol" or "morris")',
    "design.kind": 'required: "grid", "lhs", "sobol" or "morris"',
    "factors": "at least one [[factors]] table is required",
    "factors[].key": "required: a dotted key path such as 'strategy.transparency'",
    "factors[].role": "required: 'lever' (the brand's choice) or 'uncertainty'",
}

_EXPECTED = {  # what a key must be, for type and range errors
    "name": "a non-empty string",
    "base": "a scenario file name",
    "overrides": 'a table of dotted keys, e.g. "population.size" = 10000',
    "seed": "a whole number in 0..2**63-1",
    "replicates": "a whole number of at least 1",
    "kpis": "a non-empty list of KPI names",
    "factors": "at least one [[factors]] table (a list of tables)",
    "model": 'a table, e.g. [model] function = "package.module:function"',
    "design": 'a table (kind = "grid", "lhs", "sobol" or "morris")',
    "design.samples": "a whole number of at least 2",
    "design.levels": "an even whole number of at least 2",
    "analysis": "a table, e.g. [analysis] practical_difference = 0.01",
    "analysis.practical_difference": "a share of the KPI's value in 0..1 (0.01: 1%)",
    "analysis.practical_difference_pp": "percentage points in 0..100 (e.g. 0.5)",
    "factors[]": "a table with key, role and values or range",
    "factors[].role": "'lever' (the brand's choice) or 'uncertainty'",
    "factors[].values": "a non-empty list",
    "factors[].range": "[low, high] (two numbers)",
    "factors[].steps": "a whole number of at least 2",
}

_TYPE_WORDS = {
    "int_type": "a whole number", "float_type": "a number", "bool_type": "true or false",
    "string_type": "a string", "dict_type": "a table", "model_type": "a table",
    "list_type": "a list",
}

_UNION_TAGS = ("str", "int", "float", "bool")


def _key(loc: tuple[Any, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part in _UNION_TAGS or str(part).startswith(("dict[", "list[", "function-")):
            continue  # a union member's or validator's name, not a key
        else:
            key += f".{part}" if key else str(part)
    return key


def _pattern(key: str) -> str:
    """``factors[1].steps`` -> ``factors[].steps`` (the table's key in the tables above)."""
    return re.sub(r"\[\d+\]", "[]", key)


def _problem(err: Mapping[str, Any], file: str | None) -> Problem:
    kind = err["type"]
    key = _key(tuple(err["loc"]))
    ctx = err.get("ctx") or {}
    if kind == "sweep_rule":
        sub = ctx.get("key") or ""
        sep = "." if sub and not sub.startswith("[") else ""
        return Problem(f"{key}{sep}{sub}", err["msg"], ctx.get("value"), file)
    pat = _pattern(key)
    if kind == "extra_forbidden":
        parent, _, word = key.rpartition(".")
        table = _TABLES.get(_pattern(parent), SweepFile)
        return Problem(key, f"unknown key; {hint_or_allowed(word, sorted(table.model_fields))}",
                       None, file)
    if kind == "missing":
        return Problem(key, _MISSING.get(pat, "required key is missing"), None, file)
    value = err.get("input")
    if pat == "design.kind" and kind == "literal_error":
        return Problem(key, f"unknown design; choose one of {', '.join(DESIGNS)}", value, file)
    if pat in _EXPECTED:
        return Problem(key, f"must be {_EXPECTED[pat]}", value, file)
    if kind in _TYPE_WORDS:
        return Problem(key, f"must be {_TYPE_WORDS[kind]}", value, file)
    if kind == "literal_error":
        return Problem(key, f"must be one of {ctx.get('expected', '')}", value, file)
    return Problem(key, str(err["msg"]).lower(), value, file)


def problems(exc: ValidationError, file: str | None = None) -> list[Problem]:
    """Pydantic's errors as problems, one per key (a union's members give one).

    Args:
        exc: The validation error of :class:`SweepFile` or one of its tables.
        file: The sweep file, for the messages.

    Returns:
        The problems, in the order of the schema's keys.
    """
    out: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors():
        p = _problem(err, file)
        if p.key not in seen:
            seen.add(p.key)
            out.append(p)
    return out
