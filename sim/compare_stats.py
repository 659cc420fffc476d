"""The statistics of a paired comparison: intervals, weekly differences, posterior draws.

:func:`paired_interval` is the t interval of the mean of paired differences;
:func:`weekly_differences` applies it week by week. With a posterior
(:mod:`sim.posterior`), :func:`paired_draws` gives each replicate its draw
(the same on both sides), :func:`replicate_scenario` builds a side's
replicate, and :func:`spread_over_draws` says how far the difference ranges
over the draws and how often B does better.

Layer: results (under :mod:`sim.compare`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from sim import kpis
from sim.config import Scenario
from sim.errors import Problem, ScenarioError
from sim.posterior import Posterior
from sim.scenario_diff import flat
from sim.scenario_io import with_overrides

MIN_DRAWS_FOR_CHANCE = 20
"""Fewest posterior draws for which a comparison states a chance that B does better."""

WEEKLY_METRICS: tuple[str, ...] = ("retention", "mean_trust", "revenue_cumulative", "customers")
"""Weekly columns kept for each replicate (for the comparison figure)."""


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



def paired_draws(post: Posterior, a: Scenario, b: Scenario, replicates: int,
                 overridden: Iterable[str] = ()) -> pd.DataFrame:
    """One draw per replicate (row index and values), checked against both sides.

    Args:
        post: The posterior.
        a: Side A (its ``run.seed`` seeds the draws).
        b: Side B.
        replicates: Number of replicates.
        overridden: Keys the caller set by overrides (none may be drawn too).

    Returns:
        One row per replicate: ``replicate``, ``draw`` (the posterior's row) and
        one column per posterior key.

    Raises:
        ScenarioError: If the posterior sets a key on which A and B differ or that
            an override sets, or a value that either side does not allow.
    """
    both = [k for k in post.keys if k in set(overridden)]
    if both:
        raise ScenarioError([Problem(
            k, f"{k} is set by an override (--set, --set-a or --set-b) and drawn from the "
            "posterior: a key is one or the other", None, post.path) for k in both])
    fa, fb = flat(a), flat(b)
    split = [k for k in post.keys if fa.get(k) != fb.get(k)]
    if split:
        raise ScenarioError([Problem(
            k, f"the posterior sets {k}, on which A and B differ ({fa.get(k)!r} and "
            f"{fb.get(k)!r}): every draw would give both sides the same value; compare "
            "strategies that differ in other keys", None, post.path) for k in split])
    post.check(a, "scenario A")
    post.check(b, "scenario B")
    rows = [{"replicate": r, "draw": i, **vals}
            for r, (i, vals) in enumerate(post.draws(a.run.seed, replicates))]
    return pd.DataFrame(rows)


def replicate_scenario(sc: Scenario, r: int, draws: pd.DataFrame | None,
                       post: Posterior | None = None) -> Scenario:
    """Replicate ``r`` of a side: ``run.replicate = r`` and, with a posterior, its draw.

    Args:
        sc: The side's scenario.
        r: The replicate.
        draws: As from :func:`paired_draws`, or None without a posterior.
        post: The posterior (names the draw's row by its file line); optional.

    Returns:
        The scenario to run.

    Raises:
        ScenarioError: If the draw breaks a rule of the scenario (naming the row).
    """
    if draws is None:
        return with_overrides(sc, {"run.replicate": r})
    row = draws.iloc[r].to_dict()
    values = {k: v for k, v in row.items() if k not in ("replicate", "draw")}
    i = int(row["draw"])
    where = post.name_row(i) if post is not None else f"row {i + 1}"
    try:
        return with_overrides(sc, {**values, "run.replicate": r})
    except ScenarioError as err:
        raise ScenarioError([
            Problem(p.key, f"posterior {where} (replicate {r}): {p.message}", p.value,
                    post.path if post else None) for p in err.problems]) from None


def spread_over_draws(metric: str, diffs: np.ndarray, confidence: float) -> dict[str, float]:
    """Range of ``B - A`` over the draws and the probability that B does better.

    Args:
        metric: A KPI name (its ``better`` direction decides what "better" is).
        diffs: ``B - A``, one per replicate.
        confidence: Share of the draws the range covers (central quantiles).

    Returns:
        ``draws_low``, ``draws_high``, ``p_b_better`` (ties count half; NaN for a
        KPI with no better direction), ``b_better`` and ``tied`` (counts of draws).
    """
    tail = (1.0 - confidence) / 2.0
    better = kpis.get(metric).better
    sign = 1.0 if better == "higher" else -1.0 if better == "lower" else math.nan
    wins = float(np.mean(np.sign(sign * diffs) + 1.0) / 2.0)  # ties count half
    return {"draws_low": float(np.quantile(diffs, tail)),
            "draws_high": float(np.quantile(diffs, 1.0 - tail)), "p_b_better": wins,
            "b_better": int((sign * diffs > 0).sum()), "tied": int((diffs == 0).sum())}


def draws_in_words(ahead: int, n: int) -> str:
    """How many draws B did better in, as counts: never a bare 0% or 100% from few draws.

    Args:
        ahead: Draws in which B did better.
        n: Draws.

    Returns:
        E.g. ``in 0 of 2 draws (too few draws ...)``, ``in all 40 draws``,
        ``in 13 of 40 draws (estimated chance 33%)``.
    """
    if n < MIN_DRAWS_FOR_CHANCE:
        return (f"in {ahead} of {n} draw{'s' if n != 1 else ''} (too few draws to estimate a "
                f"chance; use --replicates {MIN_DRAWS_FOR_CHANCE} or more)")
    if ahead == n:
        return f"in all {n} draws"
    if ahead == 0:
        return f"in none of the {n} draws"
    return f"in {ahead} of {n} draws (estimated chance {100 * ahead / n:.0f}%)"


def posterior_remarks(post: Posterior, a: Scenario) -> list[str]:
    """What a reader of the comparison must know about its posterior.

    An Optuna calibration's ``posterior.parquet`` holds its near-best trials, not
    a posterior: the calibration folder's ``summary.json`` (or ``calibration.json``)
    says ``"method": "optuna"``. A column under ``strategy.`` draws one of the
    brand's levers, which both sides then share draw by draw.

    Args:
        post: The posterior.
        a: Side A (the levers' values).

    Returns:
        Remarks in plain words (empty when there is nothing to say).
    """
    import json
    from pathlib import Path

    out = []
    folder = Path(post.path).parent
    method = None
    for name in ("summary.json", "calibration.json"):
        try:
            method = json.loads((folder / name).read_text(encoding="utf-8")).get("method")
        except (OSError, ValueError, AttributeError):
            continue
        if method:
            break
    if method == "optuna":
        out.append(f"{Path(post.path).name} is an Optuna calibration's near-best trials "
                   f"({folder / 'summary.json'} says method optuna): the neighbourhood of a "
                   "point estimate, not a real posterior; the spread over its draws "
                   "understates what we do not know (calibrate with method abc for a posterior)")
    levers = [k for k in post.keys if k.startswith("strategy.")]
    if levers:
        out.append(f"the posterior draws the brand's lever{'s' if len(levers) > 1 else ''} "
                   f"{', '.join(levers)} (both sides share it; A's scenario has "
                   f"{', '.join(repr(flat(a).get(k)) for k in levers)}): the comparison then "
                   "varies a choice of the brand, not only what we do not know about consumers")
    return out



def weekly_differences(runs: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per-week means of A and B and the paired difference with its interval.

    Args:
        runs: One row per (side, replicate, week) with :data:`WEEKLY_METRICS`.
        confidence: Confidence level of the intervals.

    Returns:
        One row per (metric, week).
    """
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
                "diff_min": float((vb[i] - va[i]).min()),
                "diff_max": float((vb[i] - va[i]).max()),
            })
    return pd.DataFrame(out)
