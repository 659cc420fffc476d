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

``posterior = "fit/posterior.csv"`` (relative to the sweep file; or the
command line's ``--posterior FILE``) makes replicate ``r`` of every point run
with draw ``r`` of a posterior sample (:mod:`sim.posterior`), so that the
sweep's answers include what is not known about the brand. Its columns must
be numeric scenario keys that no factor sweeps.

Instead of the trust model, ``[model] function = "package.module:function"``
sweeps any importable function of a :class:`~sim.sweep.runners.RunTask`
(factor keys are then its argument names); that is how the machinery is
checked against functions with known sensitivity indices.

Everything is validated by :func:`load_spec` before any run starts: the
file's schema (:mod:`sim.sweep.schema`), then the base scenario, every
factor's key path and values, and the design's size (at most
:data:`MAX_RUNS` runs unless a larger limit is given), computed before
anything is allocated. Problems are reported as one
:class:`~sim.errors.ScenarioError` naming the sweep file and the key.

Layer: sweep computation (over the scenario reader); in sim.sweep: spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config import Scenario, leaf_paths, lookup
from sim.errors import Problem, ScenarioError
from sim.files import read_toml
from sim.hints import did_you_mean
from sim.paths import builtin_file, builtin_names, find_file
from sim.posterior import Posterior, load_posterior
from sim.scenario_io import load_scenario, normalise_overrides, scenario_from_dict, set_path
from sim.sweep import schema
from sim.sweep.schema import FactorTable, SweepFile
from sim.sweep.spec_types import (
    DEFAULT_KPIS,
    DESIGNS,
    MAX_RUNS,
    RESERVED_COLUMNS,
    ROLES,
    TRUSTSIM,
    DesignSpec,
    Factor,
    SweepSpec,
    Value,
    count,
    safe_name,
)

LAZY_INTEGER_VALUES = 100_000
"""An integer factor with more whole numbers than this keeps them as a lazy ``range``."""

CHECKED_VALUES = 1_000
"""A discrete factor with more values than this has only its first and last
checked against the scenario up front (every point is checked before it runs)."""


def load_spec(
    path: str | Path,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    max_runs: int = MAX_RUNS,
    posterior: str | Path | None = None,
) -> SweepSpec:
    """Read and validate a sweep file.

    Args:
        path: The TOML sweep file, or the name of a built-in sweep.
        overrides: Changes to the file's values by dotted key, as a mapping or
            ``key=value`` strings (the command line's ``--set``):
            ``design.samples=16``, ``replicates=1``; a key starting with
            ``overrides.`` sets a value of the base scenario, e.g.
            ``overrides.population.size=2000``.
        max_runs: Most runs the sweep may have.
        posterior: A posterior file (relative to the current folder) to use
            instead of the file's ``posterior``.

    Returns:
        The validated spec; the base scenario is resolved (``extends`` merged,
        overrides applied) and every factor's key path and values checked.

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
            set_path(data, key, val, SweepFile)
    if posterior is not None:
        data["posterior"] = str(Path(posterior).resolve())
    spec = spec_from_dict(data, file=str(p), base_dir=p.resolve().parent, max_runs=max_runs)
    return dataclasses.replace(spec, path=str(p), source=p.read_text(encoding="utf-8"))


def spec_from_dict(
    data: Mapping[str, Any],
    file: str | None = None,
    base_dir: str | Path | None = None,
    max_runs: int = MAX_RUNS,
) -> SweepSpec:
    """Validate sweep data (as read from TOML, or :meth:`SweepSpec.to_dict`).

    Args:
        data: The sweep table.
        file: The file it came from, for error messages.
        base_dir: Folder against which a relative ``base`` path is resolved.
        max_runs: Most runs the sweep may have (see :meth:`SweepSpec.check_size`).

    Returns:
        The validated spec.

    Raises:
        ScenarioError: Listing every problem, each with ``file`` and key.
    """
    data = dict(data)
    ctx = schema.context(data)
    try:
        sweep: SweepFile | None = SweepFile.model_validate(data, context=ctx)
        found: list[Problem] = []
    except ValidationError as exc:
        sweep, found = None, schema.problems(exc, file)
    base = _base(data, ctx["model"], base_dir, file, found)
    if base is not None:  # the factors' key paths and values too: one error lists all
        tables = list(enumerate(sweep.factors)) if sweep else schema.valid_factors(data)
        found += _factor_problems([(i, _factor(t)) for i, t in tables], base, file)
    post = None
    if isinstance(data.get("posterior"), str):
        post = _posterior(data, base, ctx["model"], sweep, base_dir, file, found)
    if found:
        raise ScenarioError(found)
    assert sweep is not None
    d = sweep.design
    kpis = sweep.kpis if sweep.kpis is not None else (
        DEFAULT_KPIS if sweep.model.function == TRUSTSIM else ())
    spec = SweepSpec(
        name=safe_name(sweep.name if sweep.name is not None else
                       Path(file).stem if file else "sweep"),
        description=sweep.description,
        model=sweep.model.function,
        base=base.to_dict() if base is not None else None,
        factors=tuple(_factor(f) for f in sweep.factors),
        design=DesignSpec(d.kind, d.samples, d.second_order, d.levels or 4),
        replicates=sweep.replicates,
        seed=sweep.seed,
        common_random_numbers=sweep.common_random_numbers,
        kpis=tuple(kpis),
        path=file,
        posterior=post,
        analysis=sweep.analysis.model_dump(exclude_unset=True),
    )
    spec.check_size(max_runs)
    return spec


def _factor(t: FactorTable) -> Factor:
    """The runtime factor of a valid factor table."""
    label = t.label if t.label is not None else t.name
    if t.values is not None:
        return Factor(t.name, t.key, t.role, tuple(t.values), label=label)
    assert t.range is not None
    lo, hi = t.range
    if t.integer:
        whole = range(lo, hi + 1)
        lazy = count(whole) > LAZY_INTEGER_VALUES
        return Factor(t.name, t.key, t.role, whole if lazy else tuple(whole), label=label)
    return Factor(t.name, t.key, t.role, None, float(lo), float(hi), t.steps, label)


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


# -- checks that need the base scenario ----------------------------------------------


def _base(
    data: Mapping[str, Any], model: str, base_dir: str | Path | None, file: str | None,
    found: list[Problem],
) -> Scenario | None:
    """Resolve the base scenario (with its overrides); add its problems to ``found``."""
    base = data.get("base")
    overrides = data.get("overrides", {})

    def add(key: str, message: str, value: object = None) -> None:
        if all(p.key != key for p in found):  # the schema may have named it already
            found.append(Problem(key, message, value, file))

    if model != TRUSTSIM:
        if base is not None or overrides:
            add("base", "a sweep of a function model has no base scenario")
        return None
    if base is None:
        add("base", 'required: the base scenario file (e.g. base = "../baseline.toml")')
        return None
    if not isinstance(overrides, Mapping) or not isinstance(base, str | Mapping):
        return None  # the schema named the problem
    try:
        if isinstance(base, Mapping):
            return scenario_from_dict(base, overrides)
        path = _find_base(base, base_dir)
        if path is None:
            add("base", "scenario file not found (relative to the sweep file, or a built-in "
                f"name: {', '.join(builtin_names())})", base)
            return None
        return load_scenario(path, overrides=overrides)
    except ScenarioError as err:
        for p in err.problems:
            key = f"overrides.{p.key}" if p.key in overrides else p.key
            add(key, f"in base scenario {p.file or ''}: {p.message}".replace(" : ", ": "),
                p.value)
        return None


def _posterior(
    data: Mapping[str, Any], base: Scenario | None, model: str, sweep: SweepFile | None,
    base_dir: str | Path | None, file: str | None, found: list[Problem],
) -> Posterior | None:
    """Read the sweep's posterior; check it against the base, its overrides and the factors."""
    ref = data["posterior"]
    if model != TRUSTSIM:
        found.append(Problem("posterior", "a sweep of a function model has no posterior "
                             "(it has no scenario parameters to draw)", ref, file))
        return None
    path = Path(ref) if base_dir is None else Path(base_dir) / ref
    try:
        post = load_posterior(path)
        if base is not None:
            post.check(base, "the base scenario")
    except ScenarioError as err:
        found += [p if p.key else Problem("posterior", f"{p.message}: {p.file}", ref, file)
                  for p in err.problems]  # a column's problem names the posterior file
        return None
    overrides = data.get("overrides")
    for key in overrides if isinstance(overrides, Mapping) else ():
        if key in post.keys:
            found.append(Problem("posterior", f"column {key!r} is also set in [overrides]: a "
                                 "key is either fixed or drawn from the posterior, not both",
                                 None, file))
    for f in sweep.factors if sweep is not None else ():
        if f.key in post.keys:
            found.append(Problem("posterior", f"column {f.key!r} is also swept by factor "
                                 f"{f.name!r}: a key is either swept or drawn from the "
                                 "posterior, not both", None, file))
    return post


def _find_base(ref: str, base_dir: str | Path | None) -> Path | None:
    """A base scenario: relative to the sweep file, else as given, else a built-in name."""
    for cand in ([Path(base_dir) / ref] if base_dir is not None else []) + [Path(ref)]:
        if cand.is_file():
            return cand.resolve()
    found = builtin_file(ref)
    return found.resolve() if found is not None else None


def _factor_problems(
    factors: Sequence[tuple[int, Factor]], base: Scenario, file: str | None
) -> list[Problem]:
    """Check each factor's key path and each of its values (or range ends) alone."""
    data = base.to_dict()
    leaves = leaf_paths(data)
    found = []
    for i, f in factors:
        where = f"factors[{i}]"
        ok, node = lookup(data, f.key)
        if ok and isinstance(node, Mapping | list):
            found.append(Problem(f"{where}.key", "is a table or list of the scenario, not a "
                                 "single value; sweep one of its keys", f.key, file))
            continue
        if not ok:
            try:  # keys whose default is empty (None) are absent from the data
                scenario_from_dict(data, {f.key: f.values[0] if f.values else f.low})
            except ScenarioError:
                hint = did_you_mean(f.key, leaves, prefix="; ") or " (see sim/config.py)"
                found.append(Problem(f"{where}.key", "unknown scenario key path" + hint,
                                     f.key, file))
                continue
        tried = f.values if f.values is not None else (f.low, f.high)
        if count(tried) > CHECKED_VALUES:
            tried = (tried[0], tried[-1])
        for val in tried:
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
                found.append(Problem(where, f"value {val!r} for {f.key} is not allowed: {msgs}",
                                     None, file))
                break
    return found


__all__ = [
    "DEFAULT_KPIS",
    "DESIGNS",
    "MAX_RUNS",
    "RESERVED_COLUMNS",
    "ROLES",
    "TRUSTSIM",
    "DesignSpec",
    "Factor",
    "SweepSpec",
    "check_points",
    "load_spec",
    "safe_name",
    "spec_from_dict",
]
