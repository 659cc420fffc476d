"""Sweep specifications: a base scenario, factors, a design, replicates, a root seed.

A sweep file (``scenarios/sweeps/*.toml``) reads::

    name = "escalation_vs_transparency"
    description = "How far can we personalise, and does transparency move the limit?"
    base = "../baseline.toml"        # relative to this file, or a built-in scenario name
    seed = 20240601                  # root seed of every run (required)
    replicates = 4                   # runs per design point
    kpis = ["retention", "revenue_cumulative", "mean_trust"]

    [overrides]                      # dotted-key overrides of the base scenario
    "population.size" = 10000

    [design]
    kind = "grid"                    # grid | lhs | sobol | morris

    [[factors]]
    key = "strategy.escalation.level"
    name = "escalation"
    role = "lever"                   # lever (the brand's choice) | uncertainty
    values = ["generic", "demographic", "interest", "behavioural", "personal"]

    [[factors]]
    key = "strategy.transparency"
    role = "lever"
    range = [0.0, 1.0]
    steps = 5                        # grid points over the range (grid only)

A factor has either ``values`` (a list of numbers, names or booleans: a
categorical or discrete factor) or ``range = [low, high]`` (continuous; with
``integer = true`` every whole number from low to high). Sampling designs
(LHS, Sobol, Morris) draw in the unit hypercube; :meth:`Factor.from_unit`
maps a unit coordinate to a value: ``low + u (high - low)`` for a range and
item ``floor(u k)`` of the ``k`` values of a list, so integer and categorical
factors get each of their values with equal probability.

Instead of the trust model, ``[model] function = "package.module:function"``
sweeps any importable function of a :class:`~sim.sweep.runners.RunTask`
(factor keys are then its argument names); that is how the machinery is
checked against functions with known sensitivity indices.

Everything is validated by :func:`load_spec` before any run starts; problems
are reported as one :class:`~sim.errors.ScenarioError` naming the sweep file
and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import Scenario, leaf_paths, lookup
from sim.errors import Problem, ScenarioError
from sim.scenario_io import (
    builtin_dir,
    find_file,
    load_scenario,
    normalise_overrides,
    read_toml,
    scenario_from_dict,
    set_path,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Design kinds: full factorial grid, Latin hypercube, Sobol (Saltelli), Morris."""

ROLES = ("lever", "uncertainty")
"""Factor roles: the brand's choice, or what we do not know."""

TRUSTSIM = "trustsim"
"""Model name of the trust simulation (the default)."""

DEFAULT_KPIS = ("retention", "revenue_cumulative", "mean_trust")
"""KPIs analysed when a sweep of the trust model names none."""

TRUSTSIM_KPIS = (
    "weeks", "consumers", "customers", "retention", "churned_cumulative", "churn_rate",
    "revenue_cumulative", "purchases", "mean_trust", "mean_trust_customers",
    "crossed_share", "complaints", "recommendations", "incident_aware", "opt_ins",
)
"""Numeric final KPIs of :func:`sim.run` (``RunResult.summary``) that may be analysed."""

RESERVED_COLUMNS = ("run_id", "point", "replicate", "seed")
"""Columns of the results table that factor names must not take."""

_TOP_KEYS = {
    "name", "description", "base", "overrides", "seed", "replicates", "kpis",
    "common_random_numbers", "design", "factors", "model",
}
_DESIGN_KEYS = {"kind", "samples", "second_order", "levels"}
_FACTOR_KEYS = {"key", "name", "role", "values", "range", "steps", "integer", "label"}
_MODEL_KEYS = {"function"}

Value = str | int | float | bool


@dataclass(frozen=True)
class Factor:
    """One swept parameter.

    Attributes:
        name: Short column name in result tables (default: last part of ``key``).
        key: Dotted scenario key path (or argument name of a function model).
        role: ``"lever"`` or ``"uncertainty"``.
        values: The discrete values (a list, or every integer of an integer range),
            or None for a continuous range.
        low: Lower end of a continuous range.
        high: Upper end of a continuous range.
        steps: Grid points over a continuous range (grid designs only).
        label: Human label for figures (default: ``name``).
    """

    name: str
    key: str
    role: str
    values: tuple[Value, ...] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    label: str = ""

    @property
    def discrete(self) -> bool:
        """Whether the factor takes values from a finite list."""
        return self.values is not None

    def grid_values(self) -> tuple[Value, ...]:
        """Values of the factor in a full factorial grid, in order.

        Returns:
            The listed values, or ``steps`` evenly spaced points of the range.
        """
        if self.values is not None:
            return self.values
        assert self.low is not None and self.high is not None and self.steps
        return tuple(float(v) for v in np.linspace(self.low, self.high, self.steps))

    def from_unit(self, u: Sequence[float] | np.ndarray) -> list[Value]:
        """Map unit-interval coordinates to factor values.

        Args:
            u: Coordinates in [0, 1].

        Returns:
            One plain Python value per coordinate: ``low + u (high - low)`` for a
            range, item ``min(floor(u k), k - 1)`` of ``k`` listed values.
        """
        arr = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((arr * k).astype(np.int64), k - 1)
            return [self.values[i] for i in idx.tolist()]
        assert self.low is not None and self.high is not None
        return (self.low + arr * (self.high - self.low)).tolist()

    def to_dict(self) -> dict[str, Any]:
        """Return the factor as canonical spec data."""
        out: dict[str, Any] = {"key": self.key, "name": self.name, "role": self.role}
        if self.values is not None:
            out["values"] = list(self.values)
        else:
            out["range"] = [self.low, self.high]
            if self.steps is not None:
                out["steps"] = self.steps
        if self.label and self.label != self.name:
            out["label"] = self.label
        return out


@dataclass(frozen=True)
class DesignSpec:
    """How points are chosen.

    Attributes:
        kind: One of :data:`DESIGNS`.
        samples: LHS points; Sobol base samples N (a power of 2; the design has
            ``N (D + 2)`` points, ``N (2D + 2)`` with second order); Morris
            trajectories (``r (D + 1)`` points). Unused by grids.
        second_order: Sobol: also estimate second-order indices.
        levels: Morris: number of grid levels ``p`` (even).
    """

    kind: str
    samples: int | None = None
    second_order: bool = False
    levels: int = 4

    def to_dict(self) -> dict[str, Any]:
        """Return the design as canonical spec data."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind != "grid":
            out["samples"] = self.samples
        if self.kind == "sobol":
            out["second_order"] = self.second_order
        if self.kind == "morris":
            out["levels"] = self.levels
        return out


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: what to run, how many times, with which seeds.

    Attributes:
        name: Short name (default result folder name).
        description: The question the sweep answers.
        model: ``"trustsim"`` or ``"package.module:function"``.
        base: The resolved base scenario as plain data (trust model only).
        factors: The swept factors, in column order.
        design: How points are chosen.
        replicates: Runs per point (different random streams).
        seed: Root seed.
        common_random_numbers: If true (default), replicate ``r`` of every point
            uses the same run seed, so points are compared under common random
            numbers; if false every (point, replicate) gets its own seed.
        kpis: KPIs the analysis reports.
        path: The sweep file, if loaded from one.
        source: The sweep file's text, if loaded from one.
    """

    name: str
    description: str
    model: str
    base: dict[str, Any] | None
    factors: tuple[Factor, ...]
    design: DesignSpec
    replicates: int
    seed: int
    common_random_numbers: bool = True
    kpis: tuple[str, ...] = DEFAULT_KPIS
    path: str | None = None
    source: str | None = field(default=None, compare=False, repr=False)

    @property
    def factor_names(self) -> list[str]:
        """Factor column names, in order."""
        return [f.name for f in self.factors]

    def factor(self, name: str) -> Factor:
        """Return the factor called ``name``.

        Raises:
            KeyError: If there is none.
        """
        for f in self.factors:
            if f.name == name:
                return f
        raise KeyError(name)

    def problem(self) -> dict[str, Any]:
        """The SALib problem: every factor on the unit interval (see :meth:`Factor.from_unit`)."""
        return {
            "num_vars": len(self.factors),
            "names": self.factor_names,
            "bounds": [[0.0, 1.0]] * len(self.factors),
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved spec as plain data (JSON-serialisable).

        :func:`spec_from_dict` of it gives back an equal spec; the base scenario
        is included in full, so the data stands alone.
        """
        return {
            "name": self.name,
            "description": self.description,
            "model": {"function": self.model},
            "base": self.base,
            "seed": self.seed,
            "replicates": self.replicates,
            "common_random_numbers": self.common_random_numbers,
            "kpis": list(self.kpis),
            "design": self.design.to_dict(),
            "factors": [f.to_dict() for f in self.factors],
        }

    def fingerprint(self) -> str:
        """Hash of everything that determines the runs' results (not name or description).

        Returns:
            16 hex digits; a resumed sweep must have the same fingerprint.
        """
        data = self.to_dict()
        data.pop("name")
        data.pop("description")
        data.pop("kpis")
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_spec(
    path: str | Path, overrides: Mapping[str, Any] | Sequence[str] | None = None
) -> SweepSpec:
    """Read and validate a sweep file.

    Args:
        path: The TOML sweep file, or the name of a built-in sweep.
        overrides: Changes to the file's values by dotted key, as a mapping or
            ``key=value`` strings (the command line's ``--set``):
            ``design.samples=16``, ``replicates=1``; a key starting with
            ``overrides.`` sets a value of the base scenario, e.g.
            ``overrides.population.size=2000``.

    Returns:
        The validated spec; the base scenario is resolved (``extends`` merged,
        overrides applied) and every design point's scenario validated.

    Raises:
        ScenarioError: Naming the file and the key of every problem found.
    """
    p = find_file(path, "sweeps")
    data = read_toml(p)
    for key, val in normalise_overrides(overrides).items():
        if key.startswith("overrides."):  # the base scenario's overrides are a flat table
            scenario_key = key.removeprefix("overrides.")
            table = data.setdefault("overrides", {})
            if not isinstance(table, dict):
                raise ScenarioError.one("overrides", "must be a table", table, str(p))
            table[scenario_key] = val
        else:
            set_path(data, key, val)
    spec = spec_from_dict(data, file=str(p), base_dir=p.resolve().parent)
    return dataclasses.replace(spec, path=str(p), source=p.read_text(encoding="utf-8"))


def spec_from_dict(
    data: Mapping[str, Any], file: str | None = None, base_dir: str | Path | None = None
) -> SweepSpec:
    """Validate sweep data (as read from TOML, or :meth:`SweepSpec.to_dict`).

    Args:
        data: The sweep table.
        file: The file it came from, for error messages.
        base_dir: Folder against which a relative ``base`` path is resolved.

    Returns:
        The validated spec.

    Raises:
        ScenarioError: Listing every problem, each with ``file`` and key.
    """
    v = _Validator(file)
    data = dict(data)
    v.unknown(data, _TOP_KEYS, "")

    name = data.get("name", Path(file).stem if file else "sweep")
    if not isinstance(name, str) or not name:
        v.add("name", "must be a non-empty string", name)
        name = "sweep"
    description = data.get("description", "")
    if not isinstance(description, str):
        v.add("description", "must be a string", description)
        description = ""

    model = _model(data.get("model"), v)
    seed = data.get("seed")
    if seed is None:
        v.add("seed", "a root seed is required (e.g. seed = 20240601); runs are never unseeded")
    elif not _is_int(seed) or not 0 <= seed <= 2**63 - 1:
        v.add("seed", "must be a whole number in 0..2**63-1", seed)
    replicates = data.get("replicates", 1)
    if not _is_int(replicates) or replicates < 1:
        v.add("replicates", "must be a whole number of at least 1", replicates)
    crn = data.get("common_random_numbers", True)
    if not isinstance(crn, bool):
        v.add("common_random_numbers", "must be true or false", crn)

    design = _design(data.get("design"), v)
    base = _base(data, model, v, base_dir)
    factors = _factors(data.get("factors"), design, v)
    kpis = _kpis(data.get("kpis"), model, factors, v)
    items = data.get("factors")
    if base is not None and isinstance(items, list) and len(factors) == len(items):
        # key paths and values too, so that one error lists every problem
        _check_factor_values(factors, base, v)
    v.raise_if_any()

    spec = SweepSpec(
        name=name,
        description=description,
        model=model,
        base=base.to_dict() if base is not None else None,
        factors=tuple(factors),
        design=design,
        replicates=int(replicates),
        seed=int(seed),  # type: ignore[arg-type]
        common_random_numbers=bool(crn),
        kpis=tuple(kpis),
        path=file,
    )
    return spec


def check_points(spec: SweepSpec, points: Sequence[Mapping[str, Value]]) -> None:
    """Validate the scenario of every design point before anything runs.

    Args:
        spec: The sweep (a trust-model sweep; other models are not checked).
        points: Factor values per point, keyed by factor name.

    Raises:
        ScenarioError: Naming the sweep file, the first bad point and its problems.
    """
    if spec.base is None:
        return
    seen: set[tuple[Any, ...]] = set()
    for i, pt in enumerate(points):
        sig = tuple(pt[f.name] for f in spec.factors)
        if sig in seen:
            continue
        seen.add(sig)
        try:
            scenario_from_dict(spec.base, {f.key: pt[f.name] for f in spec.factors})
        except ScenarioError as err:
            shown = ", ".join(f"{f.name}={pt[f.name]!r}" for f in spec.factors)
            raise ScenarioError(
                [
                    Problem(p.key, f"design point {i} ({shown}): {p.message}", p.value, spec.path)
                    for p in err.problems
                ]
            ) from None


def resolve_function(ref: str) -> Callable[..., Any]:
    """Import ``"package.module:function"``.

    Args:
        ref: Module path and attribute, separated by a colon.

    Returns:
        The callable.

    Raises:
        ImportError: If the module cannot be imported.
        AttributeError: If it has no such attribute.
        TypeError: If the attribute is not callable.
    """
    mod_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{ref} is not callable")
    return obj


# -- validation helpers ------------------------------------------------------


class _Validator:
    """Collects problems so that one error lists them all."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, key: str, message: str, value: object = None) -> None:
        self.problems.append(Problem(key, message, value, self.file))

    def unknown(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for k in table:
            if k not in allowed:
                hint = difflib.get_close_matches(k, sorted(allowed), n=1)
                more = f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {sorted(allowed)}"
                self.add(f"{prefix}{k}", "unknown key" + more)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(list(self.problems))


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_num(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _model(table: object, v: _Validator) -> str:
    if table is None:
        return TRUSTSIM
    if not isinstance(table, Mapping):
        v.add("model", 'must be a table, e.g. [model] function = "package.module:function"')
        return TRUSTSIM
    v.unknown(table, _MODEL_KEYS, "model.")
    ref = table.get("function", TRUSTSIM)
    if ref == TRUSTSIM:
        return TRUSTSIM
    if not isinstance(ref, str) or ":" not in ref:
        v.add("model.function", 'must be "trustsim" or "package.module:function"', ref)
        return TRUSTSIM
    try:
        resolve_function(ref)
    except (ImportError, AttributeError, TypeError) as exc:
        v.add("model.function", f"cannot use it: {exc}", ref)
    return ref


def _design(table: object, v: _Validator) -> DesignSpec:
    if not isinstance(table, Mapping):
        v.add("design", 'a [design] table is required (kind = "grid", "lhs", "sobol" or "morris")')
        return DesignSpec("grid")
    v.unknown(table, _DESIGN_KEYS, "design.")
    kind = table.get("kind")
    if kind not in DESIGNS:
        v.add("design.kind", f"unknown design; choose one of {', '.join(DESIGNS)}", kind)
        return DesignSpec(str(kind))  # no design rules apply: only this problem is reported
    samples = table.get("samples")
    if kind == "grid":
        if samples is not None:
            v.add("design.samples", "a grid has no samples (set steps or values per factor)")
        return DesignSpec("grid")
    what = {"lhs": "points", "sobol": "base samples N", "morris": "trajectories"}[kind]
    if samples is None:
        v.add("design.samples", f"required for a {kind} design (number of {what})")
        samples = 2
    elif not _is_int(samples) or samples < 2:
        v.add("design.samples", f"must be a whole number of {what} of at least 2", samples)
        samples = 2
    elif kind == "sobol" and samples & (samples - 1):
        v.add("design.samples", "Sobol base samples N must be a power of 2 (e.g. 64, 128, 256)",
              samples)
    second = table.get("second_order", False)
    if not isinstance(second, bool):
        v.add("design.second_order", "must be true or false", second)
        second = False
    elif second and kind != "sobol":
        v.add("design.second_order", "only Sobol designs have second-order indices")
    levels = table.get("levels", 4)
    if kind != "morris" and "levels" in table:
        v.add("design.levels", "only Morris designs have levels")
    elif not _is_int(levels) or levels < 2 or levels % 2:
        v.add("design.levels", "must be an even whole number of at least 2", levels)
        levels = 4
    return DesignSpec(kind, int(samples), bool(second), int(levels))


def _base(
    data: Mapping[str, Any], model: str, v: _Validator, base_dir: str | Path | None
) -> Scenario | None:
    base = data.get("base")
    overrides = data.get("overrides", {})
    if model != TRUSTSIM:
        if base is not None or overrides:
            v.add("base", "a sweep of a function model has no base scenario")
        return None
    if base is None:
        v.add("base", 'required: the base scenario file (e.g. base = "../baseline.toml")')
        return None
    if not isinstance(overrides, Mapping):
        v.add("overrides", 'must be a table of dotted keys, e.g. "population.size" = 10000')
        overrides = {}
    try:
        if isinstance(base, Mapping):
            return scenario_from_dict(base, overrides)
        if not isinstance(base, str):
            v.add("base", "must be a scenario file name", base)
            return None
        path = _find_base(base, base_dir)
        if path is None:
            v.add("base", "scenario file not found (relative to the sweep file, or a built-in "
                  "name such as 'baseline')", base)
            return None
        return load_scenario(path, overrides=overrides)
    except ScenarioError as err:
        for p in err.problems:
            key = f"overrides.{p.key}" if p.key in overrides else p.key
            v.add(key, f"in base scenario {p.file or ''}: {p.message}".replace(" : ", ": "),
                  p.value)
        return None


def _find_base(ref: str, base_dir: str | Path | None) -> Path | None:
    cands = []
    if base_dir is not None:
        cands.append(Path(base_dir) / ref)
    cands += [Path(ref), builtin_dir() / ref, builtin_dir() / f"{ref}.toml"]
    for c in cands:
        if c.is_file():
            return c.resolve()
    return None


def _factors(items: object, design: DesignSpec, v: _Validator) -> list[Factor]:
    if not isinstance(items, list) or not items:
        v.add("factors", "at least one [[factors]] table is required")
        return []
    out: list[Factor] = []
    names: set[str] = set()
    for i, item in enumerate(items):
        where = f"factors[{i}]"
        if not isinstance(item, Mapping):
            v.add(where, "must be a table with key, role and values or range")
            continue
        n_before = len(v.problems)
        v.unknown(item, _FACTOR_KEYS, f"{where}.")
        key = item.get("key")
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            v.add(f"{where}.key", "must be a dotted key path such as 'strategy.transparency'",
                  key)
            continue
        name = item.get("name", key.rsplit(".", 1)[-1])
        if not isinstance(name, str) or not name.isidentifier():
            v.add(f"{where}.name", "must be a simple name (letters, digits, _)", name)
        elif name in names:
            v.add(f"{where}.name", "two factors have this name; give one a different name", name)
        elif name in RESERVED_COLUMNS:
            v.add(f"{where}.name", f"is reserved for a result column ({RESERVED_COLUMNS})", name)
        names.add(str(name))
        role = item.get("role")
        if role not in ROLES:
            v.add(f"{where}.role", "must be 'lever' (the brand's choice) or 'uncertainty'", role)
        label = item.get("label", name)
        if not isinstance(label, str):
            v.add(f"{where}.label", "must be a string", label)
        values, low, high, steps = _factor_domain(item, where, design, v)
        if len(v.problems) == n_before:
            out.append(Factor(str(name), key, str(role), values, low, high, steps, str(label)))
    return out


def _factor_domain(
    item: Mapping[str, Any], where: str, design: DesignSpec, v: _Validator
) -> tuple[tuple[Value, ...] | None, float | None, float | None, int | None]:
    has_values, has_range = "values" in item, "range" in item
    if has_values == has_range:
        v.add(where, "give exactly one of values = [...] or range = [low, high]")
        return None, None, None, None
    integer = item.get("integer", False)
    if not isinstance(integer, bool):
        v.add(f"{where}.integer", "must be true or false", integer)
        integer = False
    steps = item.get("steps")
    if has_values:
        vals = item["values"]
        if "steps" in item or integer:
            v.add(where, "steps and integer go with range, not values")
        if not isinstance(vals, list) or not vals:
            v.add(f"{where}.values", "must be a non-empty list", vals)
            return None, None, None, None
        if not all(isinstance(x, str | int | float | bool) for x in vals):
            v.add(f"{where}.values", "must hold numbers, names or true/false (not tables)")
            return None, None, None, None
        kinds = {("bool" if isinstance(x, bool) else "num" if _is_num(x) else "str")
                 for x in vals}
        if len(kinds) > 1:
            v.add(f"{where}.values", "must all be of one type (numbers, names or true/false)",
                  vals)
            return None, None, None, None
        if kinds == {"num"} and not all(_is_int(x) for x in vals):
            vals = [float(x) for x in vals]
        if len(set(vals)) != len(vals):
            v.add(f"{where}.values", "has repeated values", vals)
        return tuple(vals), None, None, None
    rng = item["range"]
    if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) for x in rng)):
        v.add(f"{where}.range", "must be [low, high] (two numbers)", rng)
        return None, None, None, None
    lo, hi = rng
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        v.add(f"{where}.range", "empty range: high must be greater than low", rng)
        return None, None, None, None
    if integer:
        if not (_is_int(lo) and _is_int(hi)):
            v.add(f"{where}.range", "an integer range needs whole-number ends", rng)
            return None, None, None, None
        if steps is not None:
            v.add(f"{where}.steps", "an integer range takes every whole number; drop steps")
        return tuple(range(lo, hi + 1)), None, None, None
    if design.kind == "grid":
        if steps is None:
            v.add(f"{where}.steps", "a grid needs steps (points over the range) or values")
            return None, None, None, None
    elif steps is not None and design.kind in DESIGNS:
        v.add(f"{where}.steps", f"steps are for grids; a {design.kind} design samples the range")
        return None, None, None, None
    if steps is not None and (not _is_int(steps) or steps < 2):
        v.add(f"{where}.steps", "must be a whole number of at least 2", steps)
        return None, None, None, None
    return None, float(lo), float(hi), steps


def _kpis(items: object, model: str, factors: Sequence[Factor], v: _Validator) -> list[str]:
    if items is None:
        return list(DEFAULT_KPIS) if model == TRUSTSIM else []
    if not isinstance(items, list) or not all(isinstance(k, str) for k in items) or not items:
        v.add("kpis", "must be a non-empty list of KPI names", items)
        return []
    for k in items:
        if model == TRUSTSIM and k not in TRUSTSIM_KPIS:
            hint = difflib.get_close_matches(k, TRUSTSIM_KPIS, n=1)
            more = f"did you mean {hint[0]!r}?" if hint else f"allowed: {list(TRUSTSIM_KPIS)}"
            v.add("kpis", f"unknown KPI; {more}", k)
        if k in {f.name for f in factors} or k in RESERVED_COLUMNS:
            v.add("kpis", "a KPI name must differ from factor and reserved column names", k)
    return list(items)


def _check_factor_values(factors: Sequence[Factor], base: Scenario, v: _Validator) -> None:
    """Check each factor's key path and each of its values (or range ends) alone."""
    data = base.to_dict()
    leaves = leaf_paths(data)
    for i, f in enumerate(factors):
        where = f"factors[{i}]"
        found, node = lookup(data, f.key)
        if found and isinstance(node, Mapping | list):
            v.add(f"{where}.key", "is a table or list of the scenario, not a single value; "
                  "sweep one of its keys", f.key)
            continue
        if not found:
            try:  # keys whose default is empty (None) are absent from the data
                scenario_from_dict(data, {f.key: f.grid_values()[0] if f.discrete else f.low})
            except ScenarioError:
                hint = difflib.get_close_matches(f.key, leaves, n=1, cutoff=0.6)
                more = f"; did you mean {hint[0]!r}?" if hint else " (see sim/config.py)"
                v.add(f"{where}.key", "unknown scenario key path" + more, f.key)
                continue
        tried = f.values if f.discrete else (f.low, f.high)
        for val in tried or ():
            try:
                scenario_from_dict(data, {f.key: val})
            except ScenarioError as err:
                # Only the value's own problems: rules across keys (e.g. one share not
                # above another) depend on the other factors and are checked per point.
                own = [p for p in err.problems if p.key == f.key or p.key.startswith(f.key)]
                if not own:
                    continue
                msgs = "; ".join(p.message for p in own)
                if "whole number" in msgs and not f.discrete:
                    msgs += " (for a whole-number key use integer = true)"
                v.add(f"{where}", f"value {val!r} for {f.key} is not allowed: {msgs}")
                break
