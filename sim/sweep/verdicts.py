"""The best lever setting per KPI, in words that say only what the numbers support.

Only factors with role ``lever`` are choices; every other factor (an
``uncertainty``) is a condition. :func:`best_points` therefore ranks lever
settings only: per condition when a grid has few condition combinations,
averaged over the conditions otherwise (and it says which). A setting is
*ahead* only when its difference from the next is statistically clear and
larger than the practical threshold of the sweep's ``[analysis]`` table
(:func:`band_of`); otherwise it is *tied*, and the ties are listed
(:mod:`sim.ties`). One replicate gives no interval, so nothing is declared
ahead from it.

A sampling design (Sobol, Morris, Latin hypercube) with uncertainties draws
them anew at every point: no two lever settings are seen under the same
conditions, so it names no best point (its indices say what matters).

Layer: sweep computation (no files); in sim.sweep: verdicts | runners | store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim import kpis as registry
from sim.sweep.errors import SweepError
from sim.sweep.spec_types import SweepSpec
from sim.ties import Band, Ranking, join_words, rank

ESCALATION_KEY = "strategy.escalation.level"
MAX_CONDITIONS = 6
"""Most condition combinations reported one by one; more are averaged over."""


def band_of(spec: SweepSpec, relative: float | None = None,
            points: float | None = None) -> Band:
    """The practical threshold of a sweep (its ``[analysis]`` table), or the one given.

    Args:
        spec: The sweep.
        relative: Override of ``practical_difference`` (share of the value).
        points: Override of ``practical_difference_pp`` (percentage points).

    Returns:
        The tie band.

    Raises:
        SweepError: For a negative or non-finite threshold.
    """
    a = spec.analysis
    rel = relative if relative is not None else a.get("practical_difference", 0.01)
    pp = points if points is not None else a.get("practical_difference_pp", 0.5)
    try:
        return Band(relative=float(rel), share_points=float(pp) / 100.0)
    except ValueError as exc:
        raise SweepError(f"practical difference: {exc}") from None


def value_text(spec: SweepSpec, name: str, v: Any) -> str:
    """A factor value as people read it: ladder levels by name, numbers without exponents."""
    f = spec.factor(name)
    if f.key == ESCALATION_KEY and spec.base is not None and isinstance(v, int | np.integer):
        ladder = spec.base["strategy"]["ladder"]
        if 0 <= int(v) < len(ladder):
            return str(ladder[int(v)]["name"])
    if isinstance(v, float | np.floating):
        return number(float(v))
    return str(v)


def number(v: float) -> str:
    """A plain number for the terminal: 393,300, 0.8775 or -12.5 (never an exponent)."""
    if not np.isfinite(v):
        return "nan"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v == 0 or abs(v) >= 0.001:
        return f"{v:.4g}"
    return f"{v:.6f}".rstrip("0")


def kpi_text(kpi: str, v: float) -> str:
    """A KPI value: percentages for shares, thousands separators for money and counts."""
    if kpi in registry.KPIS and registry.KPIS[kpi].numeric and np.isfinite(v):
        return registry.format_value(kpi, v)
    return number(v)


def diff_text(kpi: str, v: float) -> str:
    """A signed difference: ``+1.25 pp`` for shares, ``+7,300`` for money."""
    if kpi in registry.KPIS and registry.KPIS[kpi].numeric and np.isfinite(v):
        return registry.format_diff(kpi, v)
    return ("+" if v > 0 else "") + number(v)


def levers_and_conditions(spec: SweepSpec) -> tuple[list[str], list[str]]:
    """The sweep's levers (choices) and its other varied factors (conditions)."""
    levers = [f.name for f in spec.factors if f.role == "lever"]
    conditions = [f.name for f in spec.factors if f.role != "lever"]
    return levers, conditions


def best_points(
    results: pd.DataFrame, spec: SweepSpec, kpis: Sequence[str], band: Band | None = None,
) -> tuple[str, list[str]]:
    """The best lever setting per KPI, with its ties, in words.

    Args:
        results: Per-run table (``point``, ``replicate``, factor and KPI columns).
        spec: The sweep (roles, design, replicates, common random numbers).
        kpis: The KPIs.
        band: The practical threshold (default: the sweep's, :func:`band_of`).

    Returns:
        ``(heading, lines)``: how the verdicts were reached, then one line per
        KPI (and per condition when reported per condition). ``lines`` is
        empty when no best point can be named, and ``heading`` then says why.
    """
    band = band or band_of(spec)
    levers, conditions = levers_and_conditions(spec)
    if not levers:
        return ("best point: none; every factor is an uncertainty (a condition, not a "
                "choice), so there is no setting to choose"), []
    if conditions and spec.design.kind != "grid":
        return (f"best point: none; a {spec.design.kind} design draws the uncertainties "
                f"({', '.join(conditions)}) anew at every point, so no two lever settings "
                "are seen under the same conditions; the indices above say what matters, "
                "and a grid over the levers answers which setting is best"), []
    varied = [c for c in conditions if results[c].nunique(dropna=False) > 1]
    per_condition = bool(varied) and len(results[varied].drop_duplicates()) <= MAX_CONDITIONS
    paired = spec.common_random_numbers
    how = ("paired differences over replicates that share their random numbers" if paired
           else "overlapping 95% intervals")
    one = int(results.groupby("point").size().min()) < 2 if len(results) else True
    heading = (f"best lever setting per KPI ({how}; 'ahead' needs a clear difference larger "
               f"than {band.describe('revenue_cumulative')}, or "
               f"{band.describe('retention')} for shares")
    if one:
        heading += "; one replicate per point gives no interval, so nothing is declared ahead"
    if varied and per_condition:
        heading += f"; per condition of {', '.join(varied)}: conditions, not choices"
    elif varied:
        heading += f"; averaged over {', '.join(varied)}: conditions, not choices"
    heading += "):"
    groups: list[tuple[str, pd.DataFrame]] = [("", results)]
    if per_condition:
        groups = [(", ".join(f"{c}={value_text(spec, c, v)}" for c, v in
                             zip(varied, key, strict=True)), df)
                  for key, df in results.groupby(varied, sort=False)]
    lines = []
    for kpi in kpis:
        for where, df in groups:
            wide = _settings(df, spec, levers, kpi)
            if wide.shape[1] < 2 or wide.notna().sum().sum() == 0:
                continue
            r = rank(wide, kpi, paired=paired, band=band)
            lines.append((f"at {where}: " if where else "") + verdict_text(r, band))
    return heading, lines


def _settings(df: pd.DataFrame, spec: SweepSpec, levers: list[str], kpi: str) -> pd.DataFrame:
    """One column per lever setting, one row per replicate (mean over other factors)."""
    label = df[levers].apply(
        lambda row: ", ".join(f"{n}={value_text(spec, n, row[n])}" for n in levers), axis=1)
    keyed = df.assign(_setting=label.to_numpy())
    wide = keyed.groupby(["replicate", "_setting"], sort=False)[kpi].mean().unstack("_setting")
    return wide.sort_index()


def verdict_text(r: Ranking, band: Band) -> str:
    """One ranking in words: the best, its ties or what it is ahead of.

    Args:
        r: The ranking.
        band: The practical threshold it used.

    Returns:
        E.g. ``revenue_cumulative highest at escalation=interest: 393,300 [391,000,
        395,600]; tied with escalation=demographic (392,100 [...]): not both clear and
        above 1% of the value; clearly behind: escalation=generic (362,100 [...]),
        paired difference +31,200 [...]``.
    """
    k = r.kpi
    word = "highest" if r.higher_better else "lowest"
    head = f"{k} {word} at {r.best}: {_value(r, r.best)}"
    limit = band.describe(k)
    if r.replicates < 2:
        near = (f"within {limit}: " + join_words([f"{c} ({_value(r, c)})" for c in r.tied])
                if r.tied else f"no other setting within {limit}")
        return f"{head}; one replicate, no interval: not declared ahead; {near}"
    if r.tied:
        ties = join_words([f"{c} ({_value(r, c)}"
                           + (", too noisy to separate)" if c in r.noisy else ")")
                           for c in r.tied])
        text = (f"{head}; tied with {ties} (difference not both statistically clear and "
                f"above {limit})")
        if r.behind is not None:
            text += f"; clearly behind: {r.behind} ({_value(r, r.behind)}), {_diff(r)}"
            if r.order.index(r.behind) < max(r.order.index(c) for c in r.tied):
                text += ("; a tied setting can have a worse mean than one clearly behind "
                         "when its runs vary more")
        return text
    if r.behind is None:
        return head
    return f"{head}; ahead of the next, {r.behind} ({_value(r, r.behind)}): {_diff(r)}"


def _value(r: Ranking, c: Any) -> str:
    lo, hi = r.intervals.get(c, (np.nan, np.nan))
    mean = kpi_text(r.kpi, r.means[c])
    if np.isfinite([lo, hi]).all():
        return f"{mean} [{kpi_text(r.kpi, lo)}, {kpi_text(r.kpi, hi)}]"
    return mean


def _diff(r: Ranking) -> str:
    m, lo, hi = r.diff
    what = "paired difference" if r.paired and np.isfinite([lo, hi]).all() else "difference"
    span = (f" [{diff_text(r.kpi, lo)}, {diff_text(r.kpi, hi)}]"
            if np.isfinite([lo, hi]).all() else "")
    return f"{what} {diff_text(r.kpi, m)}{span}"


__all__ = ["band_of", "best_points", "diff_text", "kpi_text", "levers_and_conditions",
           "number", "value_text", "verdict_text"]
