"""A finished sweep folder, reduced to the table a chart needs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.sweep.analyze import Sweep, best_points, load_sweep, point_summary


def open_sweep(folder: str | Path) -> tuple[Sweep, pd.DataFrame]:
    """Load a sweep folder and its per-point summary.

    Args:
        folder: A folder written by ``trustsim sweep``.

    Returns:
        The sweep and :func:`sim.sweep.analyze.point_summary` of it.

    Raises:
        SweepError: If it is not a finished sweep folder.
    """
    sweep = load_sweep(folder)
    return sweep, point_summary(sweep)


def kpi_names(sweep: Sweep) -> list[str]:
    """The KPIs of the sweep (those the point summary has)."""
    return list(sweep.spec.kpis)


def kpi_table(points: pd.DataFrame, kpi: str, x: str, y: str | None = None) -> pd.DataFrame:
    """Mean and interval of one KPI over one or two factors.

    Points that share the chosen factors' values (differing in other factors)
    are averaged, intervals too.

    Args:
        points: From :func:`open_sweep`.
        kpi: A KPI of the sweep.
        x: A factor.
        y: A second factor, or None.

    Returns:
        One row per value (pair) with the factor column(s), ``mean``, ``lo``, ``hi``.

    Raises:
        KeyError: For a KPI or factor the table does not have, naming those it has.
    """
    keys = [x] if y is None else [x, y]
    missing = [k for k in [*keys, f"{kpi}_mean"] if k not in points.columns]
    if missing:
        raise KeyError(f"sweep table has no column {missing[0]!r}; columns: "
                       f"{', '.join(map(str, points.columns))}")
    g = points.groupby(keys, sort=True)
    return pd.DataFrame({
        "mean": g[f"{kpi}_mean"].mean(),
        "lo": g[f"{kpi}_lo"].mean(),
        "hi": g[f"{kpi}_hi"].mean(),
    }).reset_index()


def ranking(sweep: Sweep, points: pd.DataFrame) -> list[str]:
    """The best lever setting per KPI and its ties (what ``analyze`` prints)."""
    kpis = [c.removesuffix("_mean") for c in points.columns if c.endswith("_mean")]
    heading, lines = best_points(sweep.results, sweep.spec, kpis)
    return lines or [heading]
