"""Abnormal churn: the customers an incident has cost, as a share of those before it.

:func:`abnormal_churn` is the Ponemon/IBM measure for two runs that share
everything but the incident; :func:`first_incident` and :func:`incident_side`
find the incidents a comparison can cost.

Layer: results (under :mod:`sim.compare`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.results import RunResult


def abnormal_churn(
    without: RunResult | pd.DataFrame | pd.Series,
    with_incident: RunResult | pd.DataFrame | pd.Series,
    incident_week: int,
) -> pd.Series:
    """Customers an incident has cost so far, as a share of those just before it.

    The Ponemon/IBM definition of abnormal churn: customers lost with the
    incident minus customers lost without it, over the customers the brand
    had just before the incident. Pass two runs that share population,
    network and draws (same ``run.seed`` and ``run.replicate``; only the
    incident differs), so that the difference is the incident's effect.

    Args:
        without: The run without the incident: a :class:`~sim.RunResult`, its
            ``weekly`` table, or that table's ``customers`` column.
        with_incident: The same run with the incident, likewise.
        incident_week: The week the incident happened.

    Returns:
        Abnormal churn per week (0 before the incident), indexed by week.

    Raises:
        ValueError: If the runs differ in length, or ``incident_week`` is not
            one of their weeks.
    """
    a, _ = _customers(without, "without")
    b, start = _customers(with_incident, "with_incident")
    if len(a) != len(b):
        raise ValueError(f"abnormal_churn: the runs differ in length ({len(a)} and {len(b)} "
                         "weeks); compare two runs of the same scenario")
    if not 0 <= int(incident_week) < len(b):
        raise ValueError(f"abnormal_churn: incident_week must be a week of the runs, 0 to "
                         f"{len(b) - 1}; got {incident_week!r}")
    before = start if incident_week == 0 else b[incident_week - 1]
    lost = (a - b) / before if before > 0 else np.full(len(b), np.nan)
    return pd.Series(lost, index=pd.RangeIndex(len(b), name="week"), name="abnormal_churn")


def _customers(x: RunResult | pd.DataFrame | pd.Series, name: str) -> tuple[np.ndarray, float]:
    """Customers after each week, and before week 0 (NaN if unknown)."""
    weekly = x.weekly if isinstance(x, RunResult) else x
    if isinstance(weekly, pd.Series):
        return weekly.to_numpy(dtype=np.float64), math.nan
    if not isinstance(weekly, pd.DataFrame):
        raise TypeError(f"abnormal_churn: {name} must be a RunResult, a weekly table or its "
                        f"'customers' column, not {type(x).__name__}")
    if "customers" not in weekly:
        raise ValueError(f"abnormal_churn: {name} has no 'customers' column; pass a "
                         "RunResult or its weekly table")
    cust = weekly["customers"].to_numpy(dtype=np.float64)
    start = math.nan
    if len(cust) and "retention" in weekly and weekly["retention"].iloc[0] > 0:
        start = float(round(cust[0] / weekly["retention"].iloc[0]))  # customers / retention
    return cust, start


def first_incident(sc: Scenario) -> int | None:
    """Week of the scenario's first incident within the run, or None.

    Args:
        sc: The scenario.

    Returns:
        The week, if an enabled incident happens before the run ends.
    """
    ic = sc.incidents
    weeks = [e.week for e in ic.events if e.week < sc.run.weeks] if ic.enabled else []
    return min(weeks) if weeks else None


def incident_side(a: Scenario, b: Scenario) -> tuple[str, int] | None:
    """``(side, week)`` of the first incident when only one side has any, else None.

    Args:
        a: Side A.
        b: Side B.

    Returns:
        ``("a", week)`` or ``("b", week)``, or None when both or neither have incidents.
    """
    wa, wb = first_incident(a), first_incident(b)
    if (wa is None) == (wb is None):
        return None
    return ("b", wb) if wb is not None else ("a", wa)  # type: ignore[return-value]
