"""Posterior samples of behavioural parameters: reading them and drawing paired replicates.

A posterior file (written by ``trustsim calibrate``, or by hand) is a CSV or
Parquet table with one row per draw: one column per scenario parameter, named
by its dotted key (``trust.gain_rate``, ``churn.base_hazard``), and a
``weight`` column (non-negative; normalised here, so ``1`` in every row gives
equal weights). :func:`load_posterior` reads and checks it; every problem
names the file, the column and, for a bad cell, its row.

Replicate ``r`` of a study with root seed ``s`` takes draw
:meth:`Posterior.draw_index` ``(s, r)``: a weighted resample (with
replacement) from the rows, made with its own random stream,
``SeedSequence(s, spawn_key=(DRAW_STREAM, r))``. The draw depends on the seed
and the replicate only, so both sides of a comparison, and every point of a
sweep, run replicate ``r`` with the same parameter values (paired), and a
resumed sweep draws exactly what it drew before.

Layer: scenario reading (over the scenario schema and its key reference); no drawing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import Scenario
from sim.errors import Problem, ScenarioError
from sim.hints import did_you_mean
from sim.keyref import key_reference
from sim.scenario_io import with_overrides

WEIGHT = "weight"
"""The column holding each draw's (unnormalised) weight."""

DRAW_STREAM = 0x706F7374
"""First spawn key of the posterior's random stream ("post"), apart from the model's streams."""

SUFFIXES = (".csv", ".parquet", ".pq")
"""File types a posterior may have."""


def numeric_keys() -> dict[str, bool]:
    """Scenario keys a posterior may set: numeric parameters, not the run's identity.

    Returns:
        Dotted key (``[]`` for list items) -> whether it takes whole numbers.
    """
    return {k.key: k.type == "integer" for k in key_reference()
            if k.type in ("number", "integer") and not k.key.startswith("run.")}


def _pattern(key: str) -> str:
    """``incidents.events.0.severity`` -> ``incidents.events[].severity``."""
    parts = key.split(".")
    out = []
    for part in parts:
        if part.isdigit() and out:
            out[-1] += "[]"
        else:
            out.append(part)
    return ".".join(out)


@dataclass(frozen=True)
class Posterior:
    """A weighted sample of scenario parameters.

    Attributes:
        path: The file it was read from.
        keys: Dotted scenario keys, in column order.
        values: One row per draw, one column per key.
        weights: Normalised weights (sum 1), one per draw.
        integer: Per key, whether its values are whole numbers (set as ``int``).
        digest: Hash of the keys, values and weights (16 hex digits).
    """

    path: str
    keys: tuple[str, ...]
    values: np.ndarray = field(repr=False, compare=False)
    weights: np.ndarray = field(repr=False, compare=False)
    integer: tuple[bool, ...] = ()
    digest: str = ""
    where: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def name_row(self, index: int) -> str:
        """How messages name a row: ``line N`` of a CSV file (header = line 1), else ``row N``.

        Args:
            index: Row index.

        Returns:
            The row's name.
        """
        return self.where[index] if index < len(self.where) else f"row {index + 1}"

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def draw_index(self, seed: int, replicate: int) -> int:
        """The row replicate ``replicate`` of a study with root seed ``seed`` takes.

        Args:
            seed: The study's root seed (``run.seed`` of side A; a sweep's ``seed``).
            replicate: The replicate.

        Returns:
            A row index, drawn with probability proportional to its weight.
        """
        ss = np.random.SeedSequence(int(seed), spawn_key=(DRAW_STREAM, int(replicate)))
        u = np.random.Generator(np.random.PCG64(ss)).random()
        cdf = np.cumsum(self.weights)
        return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), len(self) - 1))

    def row(self, index: int) -> dict[str, float | int]:
        """The parameter values of one row, as scenario overrides.

        Args:
            index: Row index.

        Returns:
            Dotted key -> value (``int`` for whole-number keys).
        """
        return {k: int(v) if whole else float(v)
                for k, v, whole in zip(self.keys, self.values[index], self.integer, strict=True)}

    def draws(self, seed: int, replicates: int) -> Iterator[tuple[int, dict[str, float | int]]]:
        """``(row index, values)`` for replicates ``0 .. replicates - 1``.

        Args:
            seed: The study's root seed.
            replicates: Number of replicates.

        Yields:
            One draw per replicate, in replicate order.
        """
        for r in range(int(replicates)):
            i = self.draw_index(seed, r)
            yield i, self.row(i)

    def check(self, scenario: Scenario, label: str = "the scenario") -> None:
        """Check that every column's smallest and largest value is allowed in ``scenario``.

        Args:
            scenario: The scenario the draws will change.
            label: How to name the scenario in messages.

        Raises:
            ScenarioError: Naming the file, the column, the row and what is allowed.
        """
        problems = []
        for j, key in enumerate(self.keys):
            col = self.values[:, j]
            for row in dict.fromkeys((int(np.argmin(col)), int(np.argmax(col)))):
                try:
                    with_overrides(scenario, {key: self.row(row)[key]})
                except ScenarioError as err:
                    own = [p.message for p in err.problems if p.key.startswith(key)]
                    msg = "; ".join(own or [str(p) for p in err.problems])
                    problems.append(Problem(
                        key, f"{self.name_row(row)}: not allowed in {label}: {msg}",
                        self.row(row)[key], self.path))
                    break
        if problems:
            raise ScenarioError(problems)


def _fail(file: str, key: str, message: str, value: object = None) -> ScenarioError:
    return ScenarioError.one(key, message, value, file)


def _row_names(p: Path, rows: int) -> list[str]:
    """Per data row: ``line N`` of a CSV file (header = line 1), else ``row N``."""
    if p.suffix.lower() == ".csv":
        text = p.read_text(encoding="utf-8-sig", errors="replace")
        lines = [f"line {i}" for i, ln in enumerate(text.splitlines(), 1) if ln.strip()][1:]
        if len(lines) == rows:
            return lines
    return [f"row {i + 1}" for i in range(rows)]


def _read_table(p: Path) -> Any:
    """The file as a pandas table (CSV or Parquet), or a clear error."""
    import pandas as pd

    if p.suffix.lower() not in SUFFIXES:
        raise _fail(str(p), "", f"a posterior must be a CSV or Parquet file "
                    f"({', '.join(SUFFIXES)})")
    if not p.is_file():
        raise _fail(str(p), "", "posterior file not found")
    try:
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, dtype=str, keep_default_na=False)
        return pd.read_parquet(p)
    except pd.errors.EmptyDataError:
        raise _fail(str(p), "", "the posterior file is empty: it needs a header of dotted "
                    f"scenario keys and {WEIGHT!r}, and one row per draw") from None
    except Exception as exc:  # a damaged Parquet file, an unreadable CSV
        raise _fail(str(p), "", f"cannot read the posterior: {type(exc).__name__}: {exc}") from None


def _numbers(file: str, table: Any, column: str, where: list[str]) -> np.ndarray:
    """A column as finite floats, or an error naming the first bad cell's line or row."""
    import pandas as pd

    cells = table[column]
    values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if cells.dtype == bool:
        bad[:] = True
    if bad.any():
        i = int(np.argmax(bad))
        raise _fail(file, column, f"{where[i]}: must be a finite number",
                    cells.iloc[i])
    return values


def load_posterior(path: str | Path) -> Posterior:
    """Read and check a posterior file.

    Args:
        path: A ``.csv`` or ``.parquet`` file: one row per draw, dotted
            scenario keys as columns, plus ``weight``.

    Returns:
        The posterior, weights normalised.

    Raises:
        ScenarioError: For a missing, unreadable or empty file, no ``weight``
            column, an unknown or non-numeric key (with a "did you mean"),
            a cell that is not a finite number, a fractional value of a
            whole-number key, or a negative weight, or weights that are all zero;
            each names the file, the column and the row.
    """
    p = Path(path)
    file = str(p)
    table = _read_table(p)
    table.columns = [str(c).strip() for c in table.columns]
    allowed = numeric_keys()
    keys = [c for c in table.columns if c != WEIGHT]
    problems = []
    for key in keys:
        pat = _pattern(key)
        if pat in allowed:
            continue
        if pat.startswith("run."):
            why = "is the run's identity (seed, replicate, length), not a parameter to draw"
        elif any(pat == k.key for k in key_reference()):
            why = "is not a numeric scenario parameter (a posterior draws numbers only)"
        else:
            why = "unknown scenario key" + did_you_mean(key, [*allowed, WEIGHT], prefix="; ")
        problems.append(Problem(key, why, None, file))
    if WEIGHT not in table.columns:
        problems.append(Problem(WEIGHT, f"no {WEIGHT!r} column: add one (1 in every row "
                                "gives equal weights)", None, file))
    if not keys:
        problems.append(Problem("", "no parameter columns: name each column by its dotted "
                                "scenario key, e.g. trust.gain_rate", None, file))
    if problems:
        raise ScenarioError(problems)
    if len(table) == 0:
        raise _fail(file, "", "the posterior has no rows (one row per draw is needed)")
    where = _row_names(p, len(table))
    weights = _numbers(file, table, WEIGHT, where)
    if (weights < 0).any():
        i = int(np.argmax(weights < 0))
        raise _fail(file, WEIGHT, f"{where[i]}: weights must be 0 or more",
                    float(weights[i]))
    if weights.sum() <= 0:
        raise _fail(file, WEIGHT, "the weights are all zero")
    values = np.column_stack([_numbers(file, table, k, where) for k in keys])
    integer = tuple(allowed[_pattern(k)] for k in keys)
    for j, whole in enumerate(integer):
        frac = values[:, j] != np.round(values[:, j])
        if whole and frac.any():
            i = int(np.argmax(frac))
            raise _fail(file, keys[j], f"{where[i]}: must be a whole "
                        "number", float(values[i, j]))
    h = hashlib.sha256("\0".join(keys).encode())
    h.update(values.tobytes())
    h.update(weights.tobytes())
    return Posterior(file, tuple(keys), values, weights / weights.sum(), integer,
                     h.hexdigest()[:16], tuple(where))


def as_posterior(x: Posterior | str | Path) -> Posterior:
    """A posterior, read from its file if a path is given.

    Args:
        x: A :class:`Posterior` or the path of a posterior file.

    Returns:
        The posterior.
    """
    return x if isinstance(x, Posterior) else load_posterior(x)


def shared_keys(posterior: Posterior, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Keys the posterior sets on which two scenarios' flat data differ.

    Args:
        posterior: The posterior.
        a: Flat ``{dotted key: value}`` of one side.
        b: The same of the other side.

    Returns:
        The posterior's keys whose values differ between the sides (a draw would erase
        that difference).
    """
    return [k for k in posterior.keys if a.get(k) != b.get(k)]
