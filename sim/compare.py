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

Each side can take its own overrides (``overrides_a``, ``overrides_b``), e.g.
the same built-in breach handled well on one side and badly on the other. An
incident's abnormal churn is reported only when the two sides differ in their
incidents alone (:func:`sim.scenario_diff.differences`); otherwise the
comparison says which other differences the churn figure would include.

With a ``posterior`` (see :mod:`sim.posterior`), replicate ``r`` draws the
behavioural parameters from it (the same draw on both sides), so the spread
of the paired differences over replicates includes what we do not know about
the brand; the table then also gives the range of the difference over the
draws and the probability that B does better than A.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import kpis
from sim.abnormal_churn import abnormal_churn, first_incident, incident_side
from sim.compare_stats import (
    WEEKLY_METRICS,
    draws_in_words,
    paired_draws,
    paired_interval,
    posterior_remarks,
    replicate_scenario,
    spread_over_draws,
    weekly_differences,
)
from sim.config import Scenario
from sim.errors import InputWarning, ScenarioError
from sim.posterior import Posterior, as_posterior
from sim.results import run
from sim.scenario_diff import describe, differences, side_labels
from sim.scenario_io import load_scenario, normalise_overrides, with_overrides

COMPARED: tuple[str, ...] = (
    "retention", "revenue_cumulative", "mean_trust", "mean_trust_customers", "churn_rate",
    "crossed_share", "complaints",
)
"""Final KPIs compared (keys of :data:`sim.kpis.KPIS`), in table order."""

FINAL_METRICS: dict[str, str] = {k: kpis.get(k).description for k in COMPARED}
"""Final KPIs compared (keys of :attr:`sim.RunResult.summary`) and their meaning."""


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
        incident_cost: When the sides differ in their incidents alone: if one
            side has incidents, the abnormal churn they cause by the end of the
            run (see :func:`abnormal_churn`); if both have, the difference of
            B's against A's. As ``{"side", "week", "mean", "ci_low", "ci_high",
            "per_replicate", "kind"}`` (``kind`` ``"abnormal"`` or ``"extra"``);
            else None.
        differences: Every key on which the two scenarios differ, as
            ``(key, value in A, value in B)`` (see :mod:`sim.scenario_diff`).
        posterior: The posterior the replicates drew from, or None.
        draws: With a posterior: one row per replicate, ``replicate``, ``draw``
            (the posterior's row) and the drawn values; else None.
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
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)
    posterior: Posterior | None = None
    draws: pd.DataFrame | None = None

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
        if self.posterior is not None:
            head += f"; parameters drawn from {Path(self.posterior.path).name}"
        rows = [("metric", "A", "B", "B - A", f"{pct}% CI (paired t)")]
        if self.posterior is not None:
            rows[0] += (f"{pct}% of draws", "B better in")
        for _, r in self.table.iterrows():
            m = r["metric"]
            row = (
                kpis.get(m).short,
                kpis.format_value(m, r["a_mean"]),
                kpis.format_value(m, r["b_mean"]),
                kpis.format_diff(m, r["diff"]),
                _interval(m, r["ci_low"], r["ci_high"]),
            )
            if self.posterior is not None:
                p = r["p_b_better"]
                row += (_interval(m, r["draws_low"], r["draws_high"]),
                        "n/a" if math.isnan(p) else f"{int(r['b_better'])} of {self.replicates}")
            rows.append(row)
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [head]
        for k, row in enumerate(rows):
            lines.append("  " + "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)).rstrip())
            if k == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        lines += self._incident_lines()
        if self.posterior is not None:
            lines += [f"  {t}" for t in self._posterior_lines()]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


    def _incident_lines(self) -> list[str]:
        """The incident's cost, or why it is not given."""
        ic = self.incident_cost
        if ic is not None:
            ci = ("" if math.isnan(ic["ci_low"]) else
                  f" [{100 * ic['ci_low']:+.2f}, {100 * ic['ci_high']:+.2f}] pp")
            if ic["kind"] == "extra":
                return [f"  abnormal churn, B's incidents against A's (from week {ic['week']}): "
                        f"{100 * ic['mean']:+.2f} pp{ci} of the customers just before "
                        "(the sides differ in their incidents alone)"]
            ci = ci.replace(" pp", "%").replace("+", "")
            side = "B" if ic["side"] == "b" else "A"
            return [f"  abnormal churn from {side}'s incident (week {ic['week']}): "
                    f"{100 * ic['mean']:.2f}%{ci} of the customers just before it "
                    "(measured after real breaches: 2-7%)"]
        first = incident_side(self.a, self.b)
        others = [d for d in self.differences if not d[0].startswith("incidents.")]
        if first is None or not others:
            return []
        side, week = first
        return [f"  {side.upper()}'s incident (week {week}) is not costed alone: the sides also "
                f"differ in {describe(others)}; the churn difference above includes those "
                "differences too (make the incident the only difference, e.g. with --set-a / "
                "--set-b, for its abnormal churn)"]

    def _posterior_lines(self) -> list[str]:
        """The decision under the posterior, in plain words, for revenue, churn and trust."""
        n, post = self.replicates, self.posterior
        pct = round(100 * self.confidence)
        src = Path(post.path).name if post else ""
        lines = [f"under the posterior ({len(post or ())} rows in {src}; each of the {n} "
                 "replicates drew one, the same on both sides):"]
        for m in ("revenue_cumulative", "churn_rate", "mean_trust"):
            r = self.row(m)
            per = self.per_replicate[self.per_replicate["metric"] == m]["diff"].to_numpy()
            name = kpis.get(m).short
            if (per == 0).all():
                lines.append(f"  {name}: no difference in any of the {n} draws")
                continue
            ahead, tied = int(r["b_better"]), int(r["tied"])
            ties = f"; the same in {tied}" if tied else ""
            lines.append(
                f"  {name}: B did better {draws_in_words(ahead, n)}{ties}; "
                f"B - A is between {kpis.format_diff(m, r['draws_low'])} and "
                f"{kpis.format_diff(m, r['draws_high'])} in the middle {pct}% of draws")
        return lines


def _interval(metric: str, low: float, high: float) -> str:
    """``[low, high] unit`` of a difference, or n/a for one replicate."""
    if math.isnan(low):
        return "n/a (1 replicate)"
    return (f"[{kpis.format_diff(metric, low, unit=False)}, "
            f"{kpis.format_diff(metric, high, unit=False)}]{kpis.diff_unit(metric)}")


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
    overrides_a: Overrides = None,
    overrides_b: Overrides = None,
    posterior: Posterior | str | Path | None = None,
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
        overrides_a: Overrides of side A only, applied after ``overrides``
            (e.g. ``{"incidents.events.0.responsible": True}``).
        overrides_b: Overrides of side B only, likewise.
        posterior: A posterior sample (:class:`~sim.posterior.Posterior` or its
            file): replicate ``r`` runs both sides with draw
            ``posterior.draw_index(A's run.seed, r)``.

    Returns:
        The comparison's tidy tables.

    Raises:
        ScenarioError: For invalid scenarios or overrides, or sides that cannot
            be paired (different ``run.weeks``), or a posterior that does not
            fit them (a bad file, a value out of range, a key on which A and B
            differ).
        ValueError: For ``replicates < 1`` or a confidence outside (0, 1).
    """
    if int(replicates) < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    replicates = int(replicates)
    both = dict(normalise_overrides(overrides))
    sa, sb, notes = _pair(_as_scenario(a, {**both, **normalise_overrides(overrides_a)}),
                          _as_scenario(b, {**both, **normalise_overrides(overrides_b)}))
    diffs = [d for d in differences(sa, sb) if d[0] != "run.replicate"]
    if labels is None:
        labels = (sa.name, sb.name) if sa.name != sb.name else side_labels(sa.name, diffs)
    post = as_posterior(posterior) if posterior is not None else None
    sides = [*both, *normalise_overrides(overrides_a), *normalise_overrides(overrides_b)]
    draws = paired_draws(post, sa, sb, replicates, sides) if post is not None else None
    for remark in posterior_remarks(post, sa) if post is not None else []:
        warnings.warn(remark, InputWarning, stacklevel=2)
        notes.append(remark)
    tasks = [
        replicate_scenario(sc, r, draws, post) for r in range(replicates) for sc in (sa, sb)
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
        spread = spread_over_draws(metric, grp["diff"].to_numpy(), confidence) if post else {}
        table_rows.append({
            "metric": metric,
            "a_mean": float(grp["a"].mean()),
            "b_mean": float(grp["b"].mean()),
            "diff": mean,
            "diff_sd": float(grp["diff"].std(ddof=1)) if len(grp) > 1 else math.nan,
            "ci_low": lo,
            "ci_high": hi,
            "n": len(grp),
            **spread,
        })
    table = pd.DataFrame(table_rows)

    weekly = weekly_differences(runs, confidence)
    table.attrs.update({"a": labels[0], "b": labels[1], "confidence": confidence})
    cmp = Comparison(sa, sb, labels, replicates, confidence, table, per_rep, weekly, runs, notes,
                     differences=diffs, posterior=post, draws=draws)
    alone = bool(cmp.differences) and all(k.startswith("incidents.") for k, _, _ in cmp.differences)
    cmp.incident_cost = _incident_cost(cmp) if alone else None
    return cmp


def _incident_cost(cmp: Comparison) -> dict[str, Any] | None:
    """Abnormal churn of the side with incidents (or of B's against A's, when both have)."""
    wa, wb = first_incident(cmp.a), first_incident(cmp.b)
    if wa is None and wb is None:
        return None
    one = incident_side(cmp.a, cmp.b)
    side, week = one if one is not None else ("b", min(wa, wb))  # type: ignore[type-var]
    final = cmp.abnormal_churn(week, side).iloc[-1].to_numpy(dtype=np.float64)
    mean, lo, hi = paired_interval(final, cmp.confidence)
    return {"side": side, "week": int(week), "mean": mean, "ci_low": lo, "ci_high": hi,
            "per_replicate": final.tolist(), "kind": "abnormal" if one else "extra"}
