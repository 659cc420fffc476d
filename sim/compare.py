"""Comparing two strategies with common random numbers.

:func:`compare` runs strategy A and strategy B on the *same* population,
network and random draws (same ``run.seed`` and ``run.replicate``; see
:mod:`sim.rng`), for ``R`` replicates (replicate ``r`` sets
``run.replicate = r`` on both sides). Because both sides share every draw, the
paired difference ``B - A`` of a replicate is the strategy's effect on that
simulated market and not sampling noise; its mean over replicates gets a
paired, t-based confidence interval.

Example:
    >>> import sim
    >>> cmp = sim.compare("scenarios/baseline.toml", "scenarios/transparent_brand.toml",
    ...                   replicates=5, overrides={"population.size": 2000})  # doctest: +SKIP
    >>> cmp.table  # one row per metric: a_mean, b_mean, diff, ci_low, ci_high  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import kpis
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.results import RunResult, run
from sim.scenario_io import load_scenario, with_overrides

COMPARED: tuple[str, ...] = (
    "retention", "revenue_cumulative", "mean_trust", "mean_trust_customers", "churn_rate",
    "crossed_share", "complaints",
)
"""Final KPIs compared (keys of :data:`sim.kpis.KPIS`), in table order."""

FINAL_METRICS: dict[str, str] = {k: kpis.get(k).description for k in COMPARED}
"""Final KPIs compared (keys of :attr:`sim.RunResult.summary`) and their meaning."""

WEEKLY_METRICS: tuple[str, ...] = ("retention", "mean_trust", "revenue_cumulative", "customers")
"""Weekly columns kept for each replicate (for the comparison figure)."""


Overrides = Mapping[str, Any] | Iterable[str] | None


@dataclass
class Comparison:
    """Result of :func:`compare`: tidy tables of strategy B against strategy A.

    Attributes:
        a: Scenario A as run (replicate 0).
        b: Scenario B as run (replicate 0), with A's seed.
        labels: Display names of A and B.
        replicates: Number of paired replicates.
        confidence: Confidence level of the intervals.
        table: One row per final metric: ``metric``, ``a_mean``, ``b_mean``,
            ``diff`` (mean of ``B - A``), ``diff_sd``, ``ci_low``, ``ci_high``,
            ``n``. The interval is NaN for a single replicate.
        per_replicate: One row per (replicate, metric): ``a``, ``b``, ``diff``.
        weekly: One row per (metric, week): ``a_mean``, ``b_mean``, ``diff``,
            ``ci_low``, ``ci_high`` over replicates.
        runs: One row per (side, replicate, week) with :data:`WEEKLY_METRICS`.
        notes: Remarks about the pairing (e.g. a seed that was aligned).
        incident_cost: When exactly one side has incidents: the abnormal churn
            they cause by the end of the run (see :func:`abnormal_churn`), as
            ``{"side", "week", "mean", "ci_low", "ci_high", "per_replicate"}``;
            else None.
    """

    a: Scenario
    b: Scenario
    labels: tuple[str, str]
    replicates: int
    confidence: float
    table: pd.DataFrame
    per_replicate: pd.DataFrame
    weekly: pd.DataFrame
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    incident_cost: dict[str, Any] | None = None

    def row(self, metric: str) -> pd.Series:
        """The :attr:`table` row of one metric.

        Args:
            metric: A key of :data:`FINAL_METRICS`.

        Returns:
            The row.

        Raises:
            KeyError: For a metric that was not compared.
        """
        hit = self.table[self.table["metric"] == metric]
        if hit.empty:
            raise KeyError(f"metric {metric!r} not compared; metrics: {list(FINAL_METRICS)}")
        return hit.iloc[0]

    def abnormal_churn(self, incident_week: int, side: str = "b") -> pd.DataFrame:
        """Abnormal churn of one side against the other, week by week, per replicate.

        For a comparison of a scenario without an incident against the same
        scenario with one: see :func:`abnormal_churn`.

        Args:
            incident_week: The week the incident happened.
            side: The side with the incident, ``"b"`` (default) or ``"a"``.

        Returns:
            One row per week, one column per replicate.

        Raises:
            ValueError: For a side other than ``"a"`` or ``"b"``.
        """
        if side not in ("a", "b"):
            raise ValueError(f"side must be 'a' or 'b', got {side!r}")
        other = "a" if side == "b" else "b"
        runs = self.runs.set_index(["side", "replicate"]).sort_index()
        return pd.DataFrame({
            r: abnormal_churn(runs.loc[(other, r)].sort_values("week"),
                              runs.loc[(side, r)].sort_values("week"), incident_week)
            for r in range(self.replicates)
        })

    def format_table(self) -> str:
        """The comparison as a plain-text table (what ``trustsim compare`` prints).

        Returns:
            Several lines: a header, one line per metric, and any notes.
        """
        la, lb = self.labels
        pct = round(100 * self.confidence)
        shared = ("same consumers, network and draws"
                  if self.a.population == self.b.population and self.a.network == self.b.network
                  else "same seeds and draws, but different population or network (see notes)")
        tag_a = "" if la.startswith("A: ") else " (A)"
        tag_b = "" if lb.startswith("B: ") else " (B)"
        head = (f"{lb}{tag_b} vs {la}{tag_a}: {self.replicates} paired replicate"
                f"{'s' if self.replicates != 1 else ''}, {shared}")
        rows = [("metric", "A", "B", "B - A", f"{pct}% CI (paired t)")]
        for _, r in self.table.iterrows():
            m = r["metric"]
            ci = "n/a (1 replicate)" if math.isnan(r["ci_low"]) else (
                f"[{kpis.format_diff(m, r['ci_low'], unit=False)}, "
                f"{kpis.format_diff(m, r['ci_high'], unit=False)}]{kpis.diff_unit(m)}")
            rows.append((
                kpis.get(m).short,
                kpis.format_value(m, r["a_mean"]),
                kpis.format_value(m, r["b_mean"]),
                kpis.format_diff(m, r["diff"]),
                ci,
            ))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [head]
        for k, row in enumerate(rows):
            lines.append("  " + "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)).rstrip())
            if k == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        ic = self.incident_cost
        if ic is not None:
            ci = ("" if math.isnan(ic["ci_low"]) else
                  f" [{100 * ic['ci_low']:.2f}%, {100 * ic['ci_high']:.2f}%]")
            side = "B" if ic["side"] == "b" else "A"
            lines.append(f"  abnormal churn from {side}'s incident (week {ic['week']}): "
                         f"{100 * ic['mean']:.2f}%{ci} of the customers just before it "
                         "(measured after real breaches: 2-7%)")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


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


def paired_interval(diffs: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences with a two-sided t-based confidence interval.

    Args:
        diffs: One difference per replicate.
        confidence: Confidence level in (0, 1).

    Returns:
        ``(mean, low, high)``. With fewer than two replicates the bounds are
        NaN; when every difference is equal the interval has zero width.
    """
    d = np.asarray(diffs, dtype=np.float64)
    n = d.size
    mean = float(d.mean()) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return mean, mean, mean
    from scipy import stats  # lazy: scipy.stats costs about a second to import

    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def _as_scenario(x: Scenario | str | Path, overrides: Overrides) -> Scenario:
    if isinstance(x, Scenario):
        return with_overrides(x, overrides) if overrides else x
    return load_scenario(x, overrides)


def _pair(a: Scenario, b: Scenario) -> tuple[Scenario, Scenario, list[str]]:
    """Align B's seed with A's and check that the two can be paired."""
    notes: list[str] = []
    if a.run.weeks != b.run.weeks:
        raise ScenarioError.one(
            "run.weeks",
            f"A and B must simulate the same number of weeks (A: {a.run.weeks}, "
            f"B: {b.run.weeks}); set it on both, e.g. --set run.weeks={a.run.weeks}",
        )
    if b.run.seed != a.run.seed:
        notes.append(
            f"B's run.seed {b.run.seed} was replaced by A's {a.run.seed} so that both "
            "sides share population, network and random draws"
        )
        b = with_overrides(b, {"run.seed": a.run.seed})
    for section in ("population", "network"):
        if getattr(a, section) != getattr(b, section):
            notes.append(
                f"A and B differ in [{section}]: they do not share the same {section}, "
                "so the difference includes that change, not the strategy alone"
            )
    return a, b, notes


def _run_one(scenario: Scenario) -> tuple[dict[str, Any], pd.DataFrame]:
    res = run(scenario)
    return res.summary, res.weekly[["week", *WEEKLY_METRICS]].copy()


def compare(
    a: Scenario | str | Path,
    b: Scenario | str | Path,
    *,
    replicates: int = 5,
    confidence: float = 0.95,
    overrides: Overrides = None,
    labels: tuple[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> Comparison:
    """Compare strategy B against strategy A with common random numbers.

    Both scenarios are run with A's ``run.seed``; replicate ``r`` sets
    ``run.replicate = r`` on both sides, so each pair shares population,
    network and every random draw. Differences are ``B - A``.

    Args:
        a: Scenario A (the reference), or a path to its TOML file.
        b: Scenario B, or a path.
        replicates: Number of paired replicates (at least 1; 2 or more for an interval).
        confidence: Confidence level of the intervals, in (0, 1).
        overrides: Dotted-key overrides applied to both sides (e.g.
            ``{"population.size": 2000}``).
        labels: Display names (default: the scenario names, prefixed ``A:``/``B:``
            when equal).
        progress: Optional callback ``progress(runs_done, runs_total)``.
        executor: Optional :class:`concurrent.futures.Executor` to run the
            ``2 * replicates`` runs in parallel (results are the same).

    Returns:
        The comparison's tidy tables.

    Raises:
        ScenarioError: For invalid scenarios or overrides, or sides that cannot
            be paired (different ``run.weeks``).
        ValueError: For ``replicates < 1`` or a confidence outside (0, 1).
    """
    if int(replicates) < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    replicates = int(replicates)
    sa, sb, notes = _pair(_as_scenario(a, overrides), _as_scenario(b, overrides))
    if labels is None:
        labels = (sa.name, sb.name) if sa.name != sb.name else (f"A: {sa.name}", f"B: {sb.name}")

    tasks = [
        with_overrides(sc, {"run.replicate": r}) for r in range(replicates) for sc in (sa, sb)
    ]
    total = len(tasks)
    if executor is None:
        outputs = []
        for i, sc in enumerate(tasks):
            outputs.append(_run_one(sc))
            if progress is not None:
                progress(i + 1, total)
    else:
        outputs = []
        for i, out in enumerate(executor.map(_run_one, tasks)):
            outputs.append(out)
            if progress is not None:
                progress(i + 1, total)

    rows, frames = [], []
    for r in range(replicates):
        (sum_a, wk_a), (sum_b, wk_b) = outputs[2 * r], outputs[2 * r + 1]
        for metric in COMPARED:
            va, vb = float(sum_a[metric]), float(sum_b[metric])
            rows.append({"replicate": r, "metric": metric, "a": va, "b": vb, "diff": vb - va})
        for side, wk in (("a", wk_a), ("b", wk_b)):
            frames.append(wk.assign(side=side, replicate=r))
    per_rep = pd.DataFrame(rows)
    runs = pd.concat(frames, ignore_index=True)[["side", "replicate", "week", *WEEKLY_METRICS]]

    table_rows = []
    for metric, grp in per_rep.groupby("metric", sort=False):
        mean, lo, hi = paired_interval(grp["diff"].to_numpy(), confidence)
        table_rows.append({
            "metric": metric,
            "a_mean": float(grp["a"].mean()),
            "b_mean": float(grp["b"].mean()),
            "diff": mean,
            "diff_sd": float(grp["diff"].std(ddof=1)) if len(grp) > 1 else math.nan,
            "ci_low": lo,
            "ci_high": hi,
            "n": len(grp),
        })
    table = pd.DataFrame(table_rows)

    weekly = _weekly_differences(runs, confidence)
    table.attrs.update({"a": labels[0], "b": labels[1], "confidence": confidence})
    cmp = Comparison(sa, sb, labels, replicates, confidence, table, per_rep, weekly, runs, notes)
    cmp.incident_cost = _incident_cost(cmp)
    return cmp


def _first_incident(sc: Scenario) -> int | None:
    """Week of the scenario's first incident within the run, or None."""
    ic = sc.incidents
    weeks = [e.week for e in ic.events if e.week < sc.run.weeks] if ic.enabled else []
    return min(weeks) if weeks else None


def _incident_cost(cmp: Comparison) -> dict[str, Any] | None:
    """Abnormal churn of the side with incidents, when only one side has any."""
    wa, wb = _first_incident(cmp.a), _first_incident(cmp.b)
    if (wa is None) == (wb is None):
        return None
    side, week = ("b", wb) if wb is not None else ("a", wa)
    final = cmp.abnormal_churn(week, side).iloc[-1].to_numpy(dtype=np.float64)
    mean, lo, hi = paired_interval(final, cmp.confidence)
    return {"side": side, "week": int(week), "mean": mean, "ci_low": lo, "ci_high": hi,
            "per_replicate": final.tolist()}


def _weekly_differences(runs: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per-week means of A and B and the paired difference with its interval."""
    a = runs[runs["side"] == "a"].set_index(["replicate", "week"]).sort_index()
    b = runs[runs["side"] == "b"].set_index(["replicate", "week"]).sort_index()
    out = []
    for metric in WEEKLY_METRICS:
        va = a[metric].unstack("replicate").to_numpy(dtype=np.float64)  # weeks x replicates
        vb = b[metric].unstack("replicate").to_numpy(dtype=np.float64)
        weeks = a[metric].unstack("replicate").index.to_numpy()
        for i, week in enumerate(weeks):
            mean, lo, hi = paired_interval(vb[i] - va[i], confidence)
            out.append({
                "metric": metric,
                "week": int(week),
                "a_mean": float(va[i].mean()),
                "b_mean": float(vb[i].mean()),
                "a_min": float(va[i].min()),
                "a_max": float(va[i].max()),
                "b_min": float(vb[i].min()),
                "b_max": float(vb[i].max()),
                "diff": mean,
                "ci_low": lo,
                "ci_high": hi,
            })
    return pd.DataFrame(out)
