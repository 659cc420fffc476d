"""The validated sweep: its factors, design and seeds, as the machinery uses them.

:func:`sim.sweep.spec.load_spec` builds a :class:`SweepSpec` from a sweep file
(checked against :mod:`sim.sweep.schema` and the base scenario);
:meth:`SweepSpec.to_dict` gives it back as plain data, which is what a sweep
folder's ``spec.json`` holds.

Layer: sweep computation (plain data types); in sim.sweep: spec_types.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.posterior import Posterior

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Design kinds: full factorial grid, Latin hypercube, Sobol (Saltelli), Morris."""

ROLES = ("lever", "uncertainty")
"""Factor roles: the brand's choice, or what we do not know."""

TRUSTSIM = "trustsim"
"""Model name of the trust simulation (the default)."""

RESERVED_COLUMNS = ("run_id", "point", "replicate", "seed")
"""Columns of the results table that factor names must not take."""

DEFAULT_KPIS = ("retention", "revenue_cumulative", "mean_trust")
"""KPIs analysed when a sweep of the trust model names none."""

MAX_RUNS = 10_000_000
"""Most runs a sweep may have unless a larger limit is given (``--max-runs``)."""

Value = str | int | float | bool


def count(values: Sequence[Value]) -> int:
    """Number of values, also of a ``range`` too long for ``len``."""
    return values.stop - values.start if isinstance(values, range) else len(values)


@dataclass(frozen=True)
class Factor:
    """One swept parameter.

    Attributes:
        name: Short column name in result tables (default: last part of ``key``).
        key: Dotted scenario key path (or argument name of a function model).
        role: ``"lever"`` or ``"uncertainty"``.
        values: The discrete values (a list, or every integer of an integer range:
            a lazy ``range`` when there are more than :data:`LAZY_INTEGER_VALUES`),
            or None for a continuous range.
        low: Lower end of a continuous range.
        high: Upper end of a continuous range.
        steps: Grid points over a continuous range (grid designs only).
        label: Human label for figures (default: ``name``).
    """

    name: str
    key: str
    role: str
    values: Sequence[Value] | None = None
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    label: str = ""

    @property
    def discrete(self) -> bool:
        """Whether the factor takes values from a finite list."""
        return self.values is not None

    def grid_values(self) -> Sequence[Value]:
        """Values of the factor in a full factorial grid, in order.

        Returns:
            The listed values, or ``steps`` evenly spaced points of the range.
        """
        if self.values is not None:
            return self.values
        assert self.low is not None and self.high is not None and self.steps
        return tuple(float(v) for v in np.linspace(self.low, self.high, self.steps))

    def n_grid_values(self) -> int:
        """Number of grid values, computed without building them."""
        return count(self.values) if self.values is not None else int(self.steps or 0)

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
            k = count(self.values)
            return [self.values[min(int(x * k), k - 1)] for x in arr.tolist()]
        assert self.low is not None and self.high is not None
        return (self.low + arr * (self.high - self.low)).tolist()

    def to_dict(self) -> dict[str, Any]:
        """Return the factor as canonical spec data."""
        out: dict[str, Any] = {"key": self.key, "name": self.name, "role": self.role}
        if isinstance(self.values, range):
            out["range"] = [self.values.start, self.values.stop - 1]
            out["integer"] = True
        elif self.values is not None:
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
        posterior: Posterior sample each replicate draws its parameters from
            (replicate ``r`` takes ``posterior.draw_index(seed, r)`` at every point).
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
    posterior: Posterior | None = None

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
        } | ({"posterior": self.posterior.path} if self.posterior is not None else {})

    def fingerprint(self) -> str:
        """Hash of everything that determines the runs' results (not name or description).

        Returns:
            16 hex digits; a resumed sweep must have the same fingerprint.
        """
        data = self.to_dict()
        data.pop("name")
        data.pop("description")
        data.pop("kpis")
        if self.posterior is not None:  # its content, wherever the file is
            data["posterior"] = self.posterior.digest
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


    def n_points(self) -> int:
        """Points of the design, computed from the spec alone (nothing is allocated).

        Returns:
            The grid's product of value counts; LHS ``samples``; Sobol
            ``N (D + 2)`` (``N (2D + 2)`` with second order); Morris ``r (D + 1)``.
        """
        d, k = self.design, len(self.factors)
        if d.kind == "grid":
            return math.prod(f.n_grid_values() for f in self.factors)
        n = int(d.samples or 0)
        if d.kind == "sobol":
            return n * ((2 * k + 2) if d.second_order else (k + 2))
        if d.kind == "morris":
            return n * (k + 1)
        return n

    def n_runs(self) -> int:
        """Runs of the sweep: points times replicates."""
        return self.n_points() * self.replicates

    def check_size(self, max_runs: int = MAX_RUNS) -> None:
        """Refuse a sweep with more than ``max_runs`` runs, before anything is built.

        Args:
            max_runs: The limit.

        Raises:
            ScenarioError: Naming the size, how it arises and the limit.
        """
        points, runs = self.n_points(), self.n_runs()
        if runs <= max_runs:
            return
        if self.design.kind == "grid":
            key, how = "factors", " x ".join(str(f.n_grid_values()) for f in self.factors)
            how = f"a grid of {how} = {points:,} points"
        else:
            key, how = "design.samples", f"{points:,} {self.design.kind} points"
        if self.replicates > max_runs or points <= max_runs < runs:
            key = "replicates"
        raise ScenarioError.one(
            key, f"the sweep has {runs:,} runs ({how} x {self.replicates:,} replicates), more "
            f"than the limit of {max_runs:,}; make it smaller, or raise the limit with "
            "--max-runs (max_runs=) if you mean it", None, self.path)


def safe_name(name: str) -> str:
    """A sweep name as a folder name: no path separators, no leading dots.

    Characters other than letters, digits, ``-``, ``_`` and ``.`` become ``_``
    (as in run folders' names), and leading dots are dropped, so that a name
    such as ``"../../x"`` or ``"/abs/x"`` cannot point a write outside the
    results folder.

    Args:
        name: The name as written.

    Returns:
        The cleaned name (``"sweep"`` if nothing is left).
    """
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return safe.lstrip(".") or "sweep"
