"""A brand's weekly observations: reading, checking and putting them on the model's scale.

The file is a CSV (or Parquet) table with one row per week::

    week,customers,churned,complaints,purchases,revenue
    0,119712,288,41,11890,594500
    1,119420,292,38,12010,600500

* ``week`` counts from **0**, as the model's weeks do: week 0 is the first
  simulated week, the week a ``strategy.escalation.schedule`` step or an
  incident at ``week = 0`` happens. Rows must cover consecutive weeks (any
  order); a week of the file must be a week of the scenario.
* Any subset of :data:`SERIES`: ``customers`` (customers at the *end* of the
  week, of the cohort present at the start: the model has no new customers, so
  the column may not rise), ``churned`` (customers who left that week),
  ``complaints`` (people who complained that week), ``purchases`` and
  ``revenue`` (that week's). An empty cell means "not observed that week".
* Counts are whole numbers, every value is finite and not negative.

The brand's customer base at the start (``customers_at_start``) sets the
scale: observed counts are compared with the model's as *rates per customer
at the start* (count / customers at the start), so a simulation of 5,000
consumers can be fitted to a brand of 250,000. It is given in the
calibration spec, or taken as ``customers + churned`` of week 0.

Layer: calibration data (over the error types only).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.hints import hint_or_allowed

SERIES = ("customers", "churned", "complaints", "purchases", "revenue")
"""The observed weekly series a data file may hold (besides ``week``)."""

COUNTS = ("customers", "churned", "complaints", "purchases")
"""Series that are counts (whole numbers)."""


@dataclass(frozen=True)
class Observed:
    """A brand's checked weekly observations.

    Attributes:
        table: ``week`` (int, sorted, consecutive) and the observed series
            (float; NaN where a week was not observed), in brand counts.
        customers_at_start: The brand's customers at the start of the first week.
        path: The file it came from (None if built in memory).
    """

    table: pd.DataFrame
    customers_at_start: float
    path: str | None = None

    @property
    def series(self) -> list[str]:
        """The observed series, in :data:`SERIES` order."""
        return [s for s in SERIES if s in self.table.columns]

    @property
    def weeks(self) -> np.ndarray:
        """The observed weeks (from 0)."""
        return self.table["week"].to_numpy()

    def rates(self) -> pd.DataFrame:
        """The series per customer at the start: ``week`` plus one rate column each."""
        out = self.table.copy()
        for s in self.series:
            out[s] = out[s] / self.customers_at_start
        return out

    def churn_counts(self) -> np.ndarray | None:
        """Customers lost each observed week, or None without ``churned`` or ``customers``.

        ``churned`` when the file has it; otherwise the week-to-week fall of
        ``customers`` (week 0 from ``customers_at_start``); NaN where unknown.
        """
        if "churned" in self.table:
            return self.table["churned"].to_numpy(dtype=float)
        if "customers" not in self.table:
            return None
        cust = self.table["customers"].to_numpy(dtype=float)
        before = np.concatenate([[np.nan], cust[:-1]])
        if self.weeks[0] == 0:
            before[0] = self.customers_at_start
        return before - cust

    def at_risk(self) -> np.ndarray:
        """Customers at the start of each observed week (NaN where the data cannot say).

        From ``customers`` of the week before when observed, else from the
        customers at the start minus the losses of every earlier week when
        those are all known.
        """
        weeks = self.weeks
        out = np.full(len(weeks), np.nan)
        lost = self.churn_counts()
        if lost is not None and weeks[0] == 0:
            before = np.concatenate([[0.0], np.cumsum(lost)[:-1]])  # NaN once one is unknown
            out = self.customers_at_start - before
        if "customers" in self.table:
            cust = self.table["customers"].to_numpy(dtype=float)
            prev = np.concatenate([[np.nan], cust[:-1]])
            out = np.where(np.isnan(prev), out, prev)
        return out


def _fail(file: str | None, problems: list[Problem]) -> None:
    if problems:
        raise ScenarioError([Problem(p.key, p.message, p.value, file) for p in problems])


def _where(row: str, col: str) -> str:
    """How a cell is named in messages: the line of a CSV file or the row of a table."""
    return f"{row}, column {col!r}"


def read_table(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a data file: CSV cells as text, Parquet as stored.

    CSV lines starting with ``#`` and blank lines are skipped; every row keeps
    the number of its line in the file, for messages.

    Args:
        path: A ``.csv`` or ``.parquet`` file.

    Returns:
        The raw table and, per row, how messages name it (``"line 7"``, ``"row 3"``).

    Raises:
        ScenarioError: If the file is missing, unreadable or has ragged rows.
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError.one("", "data file not found", None, str(p))
    if p.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(p)
        except (ValueError, OSError) as exc:
            raise ScenarioError.one("", f"cannot read the data file as Parquet: {exc}", None,
                                    str(p)) from None
        return df, [f"row {i + 1}" for i in range(len(df))]
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError.one("", f"cannot read the data file as UTF-8 CSV text: {exc}", None,
                                str(p)) from None
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ScenarioError.one("", "the data file is empty (no header line)", None, str(p))
    parsed = list(csv.reader([ln for _, ln in lines], skipinitialspace=True))
    header, body = parsed[0], parsed[1:]
    for (i, _), cells in zip(lines[1:], body, strict=True):
        if len(cells) != len(header):
            raise ScenarioError.one(f"line {i}", f"has {len(cells)} cells, the header has "
                                    f"{len(header)} ({', '.join(header)})", None, str(p))
    df = pd.DataFrame(body, columns=header, dtype=object) if body else \
        pd.DataFrame(columns=header, dtype=object)
    return df, [f"line {i}" for i, _ in lines[1:]]


def read_observed(path: str | Path, *, weeks: int | None = None,
                  customers_at_start: float | None = None,
                  spec_key: str = "observed.customers_at_start") -> Observed:
    """Read and check a brand's weekly data file.

    Args:
        path: CSV or Parquet file (see the module docstring for the format).
        weeks: The scenario's ``run.weeks``: later weeks are refused (None: no check).
        customers_at_start: The brand's customer base at the start (None:
            ``customers + churned`` of week 0).
        spec_key: Where ``customers_at_start`` is set, for the message when it is needed.

    Returns:
        The checked observations.

    Raises:
        ScenarioError: Naming the file, the row (CSV: its line) and the column of
            every bad cell.
    """
    raw, rows = read_table(path)
    return check_observed(raw, file=str(path), weeks=weeks,
                          customers_at_start=customers_at_start, rows=rows,
                          spec_key=spec_key)


def check_observed(raw: pd.DataFrame, *, file: str | None = None, weeks: int | None = None,
                   customers_at_start: float | None = None, rows: Sequence[str] | None = None,
                   spec_key: str = "observed.customers_at_start") -> Observed:
    """Check a table of weekly observations (see :func:`read_observed`).

    Args:
        raw: The table: cells as text (CSV) or numbers.
        file: Its file, for messages.
        weeks: The scenario's ``run.weeks`` (None: no check).
        customers_at_start: The brand's customers at the start, or None.
        rows: How messages name each row (default ``"row 1"``, ``"row 2"``...).
        spec_key: Where ``customers_at_start`` is set, for messages.

    Returns:
        The checked observations.

    Raises:
        ScenarioError: Every problem found, naming file, row and column.
    """
    cols = [str(c).strip() for c in raw.columns]
    raw = raw.set_axis(cols, axis=1)
    problems: list[Problem] = []
    for c in cols:
        if c != "week" and c not in SERIES:
            problems.append(Problem(f"column {c!r}", "unknown column; "
                                    + hint_or_allowed(c, ["week", *SERIES])))
    if len(set(cols)) < len(cols):
        problems.append(Problem("", "a column name is repeated", cols))
    if "week" not in cols:
        problems.append(Problem("column 'week'", "required: the week of each row, from 0"))
    if not any(c in SERIES for c in cols):
        problems.append(Problem("", f"no observed series; give at least one of "
                                f"{', '.join(SERIES)}"))
    if raw.empty:
        problems.append(Problem("", "the data file has no rows"))
    _fail(file, problems)
    rows = list(rows) if rows is not None else [f"row {i + 1}" for i in range(len(raw))]
    table = pd.DataFrame(index=raw.index)
    for c in ["week", *[s for s in SERIES if s in cols]]:
        table[c] = _numbers(raw[c], c, rows, problems)
    _fail(file, problems)
    problems += _week_problems(table["week"], rows, weeks)
    _fail(file, problems)
    table["week"] = table["week"].astype(np.int64)
    table = table.sort_values("week", kind="stable").reset_index(drop=True)
    problems += _cohort_problems(table)
    base = _customers_at_start(table, customers_at_start, spec_key, problems)
    _fail(file, problems)
    return Observed(table, float(base), file)


def _numbers(cells: pd.Series, col: str, rows: Sequence[str],
             problems: list[Problem]) -> pd.Series:
    """One column as floats; non-numbers, negatives and fractional counts are problems."""
    text = cells.astype(str).str.strip() if cells.dtype == object else None
    values = pd.to_numeric(cells if text is None else text.replace("", np.nan),
                           errors="coerce").astype(float)
    blank = cells.isna() if text is None else text.eq("")
    for i in np.flatnonzero(values.isna().to_numpy() & ~blank.to_numpy()):
        problems.append(Problem(_where(rows[i], col), "must be a number "
                                "(leave the cell empty for a week not observed)",
                                cells.iloc[i]))
    arr = values.to_numpy()
    ok = np.isfinite(arr)
    for i in np.flatnonzero(~ok & ~np.isnan(arr)):
        problems.append(Problem(_where(rows[i], col), "must be a finite number",
                                cells.iloc[i]))
    for i in np.flatnonzero(ok & (arr < 0)):
        what = "a week" if col == "week" else "a count" if col in COUNTS else "revenue"
        problems.append(Problem(_where(rows[i], col),
                                f"must not be negative ({what})", cells.iloc[i]))
    if col == "week" or col in COUNTS:
        for i in np.flatnonzero(ok & (arr >= 0) & (arr != np.round(arr))):
            problems.append(Problem(_where(rows[i], col),
                                    "must be a whole number", cells.iloc[i]))
    if col == "week":
        for i in np.flatnonzero(blank.to_numpy()):
            problems.append(Problem(_where(rows[i], col), "must not be empty"))
    return values


def _week_problems(week: pd.Series, rows: Sequence[str],
                   weeks: int | None) -> list[Problem]:
    """Repeated weeks, gaps and weeks after the scenario's last one."""
    out: list[Problem] = []
    w = week.to_numpy().astype(np.int64)
    seen: dict[int, int] = {}
    for i, x in enumerate(w):
        if x in seen:
            out.append(Problem(_where(rows[i], "week"),
                               f"week {x} is repeated (first on {rows[seen[int(x)]]})", int(x)))
        seen.setdefault(int(x), i)
    present = np.unique(w)
    gaps = np.setdiff1d(np.arange(present.min(), present.max() + 1), present)
    if gaps.size:
        shown = ", ".join(map(str, gaps[:10])) + (" ..." if gaps.size > 10 else "")
        out.append(Problem("column 'week'", f"missing weeks {shown}: rows must cover "
                           "consecutive weeks (keep a row with empty cells for a week not "
                           "observed)"))
    if weeks is not None:
        for i in np.flatnonzero(w >= weeks):
            out.append(Problem(_where(rows[i], "week"),
                               f"week {w[i]} is beyond the scenario's last week ({weeks - 1}; "
                               f"run.weeks = {weeks}, weeks count from 0)", int(w[i])))
    return out


def _cohort_problems(table: pd.DataFrame) -> list[Problem]:
    """``customers`` may not rise: the model follows the customers at the start."""
    if "customers" not in table:
        return []
    cust = table["customers"].to_numpy()
    out = []
    for i in range(1, len(cust)):
        if cust[i] > cust[i - 1]:  # NaN compares False: unobserved weeks are skipped
            w0, w1 = table["week"].iloc[i - 1], table["week"].iloc[i]
            out.append(Problem("column 'customers'", f"rises from {cust[i - 1]:g} in week {w0} "
                               f"to {cust[i]:g} in week {w1}; the model follows the customers "
                               "present at the start (a closed cohort, no new customers): "
                               "give that cohort's count"))
            break
    return out


def _customers_at_start(table: pd.DataFrame, given: float | None, spec_key: str,
                        problems: list[Problem]) -> float:
    """The brand's customers at the start: given, or customers + churned of week 0."""
    if given is not None:
        if not np.isfinite(given) or given <= 0:
            problems.append(Problem(spec_key, "must be a positive number", given))
        return float(given)
    row = table.iloc[0]
    if row["week"] == 0 and {"customers", "churned"} <= set(table.columns) \
            and np.isfinite(row["customers"]) and np.isfinite(row["churned"]):
        base = float(row["customers"] + row["churned"])
        if base > 0:
            return base
    problems.append(Problem(spec_key, "required: the brand's customers at the start of week 0 "
                            "(or give 'customers' and 'churned' for week 0 in the data)"))
    return 1.0


def observed_from_frame(df: pd.DataFrame, customers_at_start: float | None = None,
                        weeks: int | None = None) -> Observed:
    """Check an in-memory table (as :func:`read_observed` does a file).

    Args:
        df: ``week`` plus observed series.
        customers_at_start: The brand's customers at the start, or None.
        weeks: The scenario's ``run.weeks``, or None.

    Returns:
        The checked observations.
    """
    return check_observed(df, customers_at_start=customers_at_start, weeks=weeks)


def template(weeks: int, series: Sequence[str] = SERIES) -> pd.DataFrame:
    """An empty data table (every cell blank) to fill in.

    Args:
        weeks: Number of weeks (rows), from week 0.
        series: Columns besides ``week``.

    Returns:
        The table.
    """
    return pd.DataFrame({"week": np.arange(weeks), **{s: np.nan for s in series}})
