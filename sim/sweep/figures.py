"""Figures of a sweep: sensitivity-index bars, lever heatmaps, the escalation curve.

Built with matplotlib's object-oriented API (no ``pyplot``, no global
backend or state). Nothing here writes a file: :func:`figures_of` yields the
figures and :func:`sim.sweep.analyze.analyze_sweep` saves them.

* ``<method>_<kpi>``: one bar chart per KPI: Sobol S1 and ST, Morris mu* and
  sigma, or LHS RBD-FAST S1, with their confidence intervals; factors are
  marked as lever or uncertainty and sorted by importance; Sobol estimates
  not trustworthy at the sample size hatched, Morris effects signed;
* ``heatmap_<x>_<y>``: for a grid over two (or more) factors, the mean of
  revenue, churn and trust over the first two levers (other factors averaged);
* ``revenue_vs_escalation``: mean cumulative revenue (95% interval) against
  the escalation level, one line per market (or per value of the other grid
  factors), each line's highest level and the levels tied with it starred
  (:mod:`sim.ties`).

KPI names and units on the axes come from :data:`sim.kpis.KPIS`.

Layer: figures (pure drawing of a computed Analysis); in sim.sweep: store | figures.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.kpis import axis_label
from sim.plotting import StepFormatter, compact_number, note_axis_origin
from sim.sweep.analysis import Analysis, morris_direction, small_design_note
from sim.sweep.verdicts import band_of
from sim.ties import Band, Ranking, is_share, join_words, rank

ESCALATION_KEY = "strategy.escalation.level"
MARKET_KEY = "population.market"
MAX_LINES = 6
"""Most lines in the escalation curve before other factors are averaged."""

ROLE_COLOUR = {"lever": "#1f4e79", "uncertainty": "#a04000"}
WARN_COLOUR = "#a93226"
TRUST_HALF_WIDTH = 0.1
"""A Sobol estimate with a wider 95% half-interval is marked as not trustworthy."""
SOBOL_VIEW = 0.5
"""How far beyond [0, 1] a Sobol axis shows intervals (arrows mark longer ones)."""
SOBOL_SMALL = 64
"""Fewer Sobol base samples than this is a small sample (see sim.sweep.analysis)."""
BAR_COLOURS = ("#5b9bd5", "#1f4e79")
HEATMAP_KPIS = ("revenue_cumulative", "churn_rate", "mean_trust")


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.3g}"
    return str(v)


def _reps(n: int) -> str:
    return f"{n} replicate" + ("" if n == 1 else "s")


def _weeks(an: Analysis) -> int | None:
    base = an.sweep.spec.base
    return int(base["run"]["weeks"]) if base else None


def _factor_text(an: Analysis, name: str) -> str:
    f = an.sweep.spec.factor(name)
    return f"{f.label or f.name}  [{f.role}]"


# --------------------------------------------------------------------------- indices

_INDEX_BARS = {
    "sobol": (("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST")),
    "morris": (("sigma", None, "sigma (interactions, non-linearity)"),
               ("mu_star", "mu_star_conf", "mu* (overall influence)")),
    "rbd_fast": (("S1", "S1_conf", "first order S1 (RBD-FAST)"),),
}


def fig_indices(an: Analysis, kpi: str) -> Figure:
    """Bar chart of one KPI's sensitivity indices, factors sorted by importance.

    Sobol bars carry their 95% intervals, and estimates that are not
    trustworthy at the design's size are hatched (:func:`sobol_bars`); Morris
    bars show the sign of the effect (:func:`morris_bars`).

    Args:
        an: The analysis (with indices).
        kpi: The KPI.

    Returns:
        The figure.
    """
    assert an.indices is not None
    df = an.indices[an.indices["kpi"] == kpi].copy()
    sort_col = _INDEX_BARS[an.method][-1][0]
    df = df.sort_values(sort_col, ascending=True, na_position="first")
    n = len(df)
    fig = Figure(figsize=(8.5, 1.6 + 0.55 * n), layout="constrained")
    ax = fig.add_subplot()
    sp = an.sweep.spec
    labels = [_factor_text(an, f) for f in df["factor"]]
    warning = ""
    if an.method == "sobol":
        warning = sobol_bars(ax, df, labels, sp.design.samples)
        ax.set_xlabel(f"share of the variance of {axis_label(kpi, _weeks(an), unit=False)}")
        design = f"Sobol (Saltelli), N = {sp.design.samples}"
    elif an.method == "morris":
        morris_bars(ax, df, labels)
        warning = small_design_note(sp)
        if is_share(kpi):  # effects on a share, in percentage points
            ax.set_xlabel(f"elementary effect on {axis_label(kpi, _weeks(an), unit=False)} "
                          "(percentage points)\nper full range of the factor")
            ax.xaxis.set_major_formatter(StepFormatter(" pp", signed=True, scale=100.0))
        else:
            ax.set_xlabel(f"elementary effect on {axis_label(kpi, _weeks(an))}\n"
                          "per full range of the factor")
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
        design = f"Morris, {sp.design.samples} trajectories, {sp.design.levels} levels"
    else:
        _bars(ax, df, _INDEX_BARS[an.method], labels)
        ax.set_xlabel("first-order share of the variance of "
                      f"{axis_label(kpi, _weeks(an), unit=False)}")
        design = f"Latin hypercube, {sp.design.samples} points"
    for tick, role in zip(ax.get_yticklabels(), df["role"], strict=True):
        tick.set_color(ROLE_COLOUR.get(role, "black"))
    handles, labels_ = ax.get_legend_handles_labels()  # top bar first, as drawn
    fig.legend(handles[::-1], labels_[::-1], loc="outside lower center", ncols=2, fontsize=8,
               frameon=False)
    ax.set_title(
        f"What drives {axis_label(kpi, _weeks(an), unit=False)}?\n"
        f"{design}; {len(an.sweep.results)} runs, {_reps(sp.replicates)} per point",
        fontsize=11,
    )
    if warning:  # above the title, where it is read first
        fig.suptitle(textwrap.fill(warning, 110), fontsize=8.5, color=WARN_COLOUR)
    return fig


def _bars(ax: Axes, df: pd.DataFrame, bars: Sequence[tuple[str, str | None, str]],
          labels: Sequence[str]) -> list[Any]:
    """Horizontal bars of ``bars`` columns with their intervals; one container per column."""
    y = np.arange(len(df))
    h = 0.76 / len(bars)
    drawn = []
    for j, (col, conf, label) in enumerate(bars):
        vals = df[col].to_numpy(dtype=float)
        err = df[conf].to_numpy(dtype=float) if conf else None
        drawn.append(ax.barh(
            y + (j - (len(bars) - 1) / 2) * h, np.nan_to_num(vals), height=h,
            color=BAR_COLOURS[j + 2 - len(bars)], xerr=err, capsize=3,
            error_kw={"elinewidth": 1, "ecolor": "#333333"},
            label=label + (" with 95% CI" if conf else "")))
    ax.set_yticks(y, list(labels))
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    return drawn


def untrustworthy(value: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Sobol estimates not to be trusted: a 95% interval wider than +-0.1, or outside [0, 1].

    Args:
        value: The estimates.
        conf: Half-widths of their 95% intervals.

    Returns:
        One flag per estimate (NaN estimates are flagged).
    """
    v, c = np.asarray(value, dtype=float), np.asarray(conf, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(v) | ~(np.nan_to_num(c, nan=np.inf) <= TRUST_HALF_WIDTH) | (
            v < -TRUST_HALF_WIDTH) | (v > 1 + TRUST_HALF_WIDTH)


def sobol_bars(ax: Axes, df: pd.DataFrame, labels: Sequence[str],
               samples: int | None) -> str:
    """S1 and ST bars with 95% intervals; untrustworthy estimates hatched; nothing clipped.

    Args:
        ax: The axis.
        df: One row per factor with ``S1, S1_conf, ST, ST_conf``, in drawing order.
        labels: Tick labels, one per row.
        samples: Base samples N of the design (for the warning).

    Returns:
        A warning for the figure ("" if every estimate is trustworthy).
    """
    bars = _INDEX_BARS["sobol"]
    drawn = _bars(ax, df, bars, labels)
    shaky = 0
    for container, (col, conf, _label) in zip(drawn, bars, strict=True):
        flags = untrustworthy(df[col].to_numpy(float), df[conf].to_numpy(float))
        shaky += int(flags.sum())
        for patch, bad in zip(container.patches, flags, strict=True):
            if bad:
                patch.set_hatch("////")
                patch.set_edgecolor("white")
                patch.set_alpha(0.55)
    vals = np.concatenate([df[c].to_numpy(float) for c in ("S1", "ST")])
    conf = np.nan_to_num(np.concatenate([df[f"{c}_conf"].to_numpy(float) for c in ("S1", "ST")]))
    # Every estimate is inside the axis; intervals too, up to SOBOL_VIEW beyond [0, 1].
    lo = np.nanmin(np.concatenate([[0.0], vals, np.maximum(vals - conf, -SOBOL_VIEW)]))
    hi = np.nanmax(np.concatenate([[1.0], vals, np.minimum(vals + conf, 1 + SOBOL_VIEW)]))
    ax.set_xlim(lo - 0.03, hi + 0.03)
    _mark_cut_intervals(ax, drawn, vals, conf, lo, hi)
    ax.axvline(1, color="#888888", ls=":", lw=1)
    if not shaky:
        return ""
    ax.bar(0, 0, color="#bbbbbb", hatch="////", edgecolor="white",
           label="hatched: not trustworthy (interval wider than +-0.1, or outside 0-1)")
    small = samples is not None and samples < SOBOL_SMALL
    return (f"{shaky} of {2 * len(df)} estimates are not trustworthy at N = {samples}"
            + (f" (a small sample: use N >= {SOBOL_SMALL})" if small else "")
            + "; an index above 1 or below 0 is estimation noise; arrows: interval runs on")


def _mark_cut_intervals(ax: Axes, drawn: list[Any], vals: np.ndarray, conf: np.ndarray,
                        lo: float, hi: float) -> None:
    """Arrows at the axis edge where an interval runs beyond it."""
    ys = np.concatenate([[p.get_y() + p.get_height() / 2 for p in c.patches] for c in drawn])
    for y, v, c in zip(ys, vals, conf, strict=True):
        if np.isfinite(v) and v + c > hi + 1e-9:
            ax.annotate("", (hi + 0.03, y), xytext=(hi - 0.04, y),
                        arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 1})
        if np.isfinite(v) and v - c < lo - 1e-9:
            ax.annotate("", (lo - 0.03, y), xytext=(lo + 0.04, y),
                        arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 1})


def morris_bars(ax: Axes, df: pd.DataFrame, labels: Sequence[str]) -> None:
    """mu* and sigma bars, and the signed mean effect mu as a diamond with its direction.

    Args:
        ax: The axis.
        df: One row per factor with ``mu, mu_star, mu_star_conf, sigma``, in drawing order.
        labels: Tick labels, one per row.
    """
    _bars(ax, df, _INDEX_BARS["morris"], labels)
    y = np.arange(len(df))
    mu, star = df["mu"].to_numpy(float), df["mu_star"].to_numpy(float)
    reach = star + np.nan_to_num(df["mu_star_conf"].to_numpy(float))
    ax.plot(mu, y + 0.19, "D", color="black", ms=5, ls="none",
            label="mu (signed mean effect); direction said when |mu| > CI of mu* and "
                  ">= mu*/2")
    conf = df["mu_star_conf"].to_numpy(float)
    for yi, m, s, c, end in zip(y, mu, star, conf, reach, strict=True):
        if not (np.isfinite(m) and np.isfinite(s)):
            continue
        ax.annotate(morris_direction(m, s, c), (max(end, m, 0.0), yi + 0.19), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=7.5, color="#333333")
    ax.margins(x=0.15)


# --------------------------------------------------------------------------- grids


def _grid_axes(an: Analysis) -> tuple[str, str] | None:
    sp = an.sweep.spec
    if sp.design.kind != "grid":
        return None
    varying = [f for f in sp.factors if len(f.grid_values()) >= 2]
    ordered = [f for f in varying if f.role == "lever"] + [
        f for f in varying if f.role != "lever"]
    if len(ordered) < 2:
        return None
    return ordered[0].name, ordered[1].name


def _ordered_values(an: Analysis, name: str) -> list[Any]:
    """Values of a factor in display order (ladder order for escalation levels)."""
    f = an.sweep.spec.factor(name)
    vals = list(f.grid_values())
    if f.key == ESCALATION_KEY and an.sweep.spec.base is not None:
        ladder = [lv["name"] for lv in an.sweep.spec.base["strategy"]["ladder"]]
        return sorted(vals, key=lambda v: ladder.index(v) if isinstance(v, str) else v)
    return vals


def _value_text(an: Analysis, name: str, v: Any) -> str:
    f = an.sweep.spec.factor(name)
    if f.key == ESCALATION_KEY and an.sweep.spec.base is not None:
        ladder = an.sweep.spec.base["strategy"]["ladder"]
        lv = ladder[v] if isinstance(v, int) else next(x for x in ladder if x["name"] == v)
        return f"{lv['name']}\n({lv['intrusiveness']:.2f})"
    if f.key == MARKET_KEY:
        return str(v).replace("_", " ")
    return _fmt(v)


def _cell(kpi: str, v: float) -> str:
    """A heatmap cell's value: a share in percent, money and counts compact, trust 0.642."""
    if is_share(kpi):
        return f"{100 * v:.1f}%"
    return compact_number(v) if abs(v) >= 100 else f"{v:.3f}"


def fig_heatmaps(an: Analysis, x: str, y: str, kpis: Sequence[str]) -> Figure:
    """Heatmaps of mean KPIs over two grid factors.

    Args:
        an: The analysis of a grid sweep.
        x: Factor on the horizontal axis.
        y: Factor on the vertical axis.
        kpis: One panel per KPI.

    Returns:
        The figure.
    """
    res = an.sweep.results
    xs, ys = _ordered_values(an, x), _ordered_values(an, y)
    others = [n for n in an.sweep.spec.factor_names if n not in (x, y)]
    fig = Figure(figsize=(5.6 * len(kpis) + 0.5, 4.9), layout="constrained")
    axes = fig.subplots(1, len(kpis), squeeze=False)[0]
    cmaps = {"churn_rate": "Reds", "retention": "Greens", "mean_trust": "Blues"}
    for ax, kpi in zip(axes, kpis, strict=True):
        table = res.groupby([y, x])[kpi].mean().unstack(x).reindex(index=ys, columns=xs)
        z = table.to_numpy(dtype=float)
        im = ax.imshow(z, origin="lower", aspect="auto", cmap=cmaps.get(kpi, "viridis"))
        rgba = im.cmap(im.norm(z))
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                if np.isfinite(z[i, j]):
                    r, g, b, _ = rgba[i, j]
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                    v = z[i, j]
                    ax.text(j, i, _cell(kpi, v),
                            ha="center", va="center", fontsize=7.5,
                            color="white" if dark else "black")
        ax.set_xticks(range(len(xs)), [_value_text(an, x, v) for v in xs], fontsize=8)
        ax.set_yticks(range(len(ys)), [_value_text(an, y, v).replace("\n", " ") for v in ys],
                      fontsize=8)
        ax.set_xlabel(an.sweep.spec.factor(x).label or x)
        ax.set_ylabel(an.sweep.spec.factor(y).label or y)
        ax.set_title(axis_label(kpi, _weeks(an), unit=False), fontsize=10)
        cb = fig.colorbar(im, ax=ax, shrink=0.85)
        cb.set_label(axis_label(kpi, _weeks(an)), fontsize=8)
        cb.ax.yaxis.set_major_formatter(
            StepFormatter("%", scale=100.0) if is_share(kpi) else
            ticker.FuncFormatter(compact_number))
    sp = an.sweep.spec
    note = f"mean of {_reps(sp.replicates)} per cell"
    if others:
        note += f"; averaged over {', '.join(others)}"
    fig.suptitle(f"{sp.name}: {sp.factor(x).label or x} x {sp.factor(y).label or y}\n{note}",
                 fontsize=11)
    return fig


def fig_escalation_curve(an: Analysis, kpi: str = "revenue_cumulative") -> Figure | None:
    """Mean KPI against escalation level, one line per market or group, tied bests starred.

    Args:
        an: The analysis of a grid sweep with an escalation-level factor.
        kpi: The KPI (cumulative revenue by default).

    Returns:
        The figure, or None if the sweep has no escalation factor.
    """
    sp = an.sweep.spec
    esc = next((f for f in sp.factors if f.key == ESCALATION_KEY), None)
    if esc is None or sp.design.kind != "grid" or len(esc.grid_values()) < 3:
        return None
    others = [f for f in sp.factors if f is not esc and len(f.grid_values()) >= 2]
    market = next((f for f in others if f.key == MARKET_KEY), None)
    combos = int(np.prod([len(f.grid_values()) for f in others])) if others else 1
    if combos <= MAX_LINES:
        groups = [f.name for f in others]
    else:
        groups = [market.name] if market is not None else []
    levels = _ordered_values(an, esc.name)
    pos = {v: i for i, v in enumerate(levels)}

    res = an.sweep.results
    # Mean over replicates (and averaged-out factors) per group and level, with a
    # 95% interval from the replicate means.
    rep = res.groupby([*groups, esc.name, "replicate"], sort=False)[kpi].mean().reset_index()
    stats = rep.groupby([*groups, esc.name], sort=False)[kpi].agg(["mean", "std", "count"])
    stats = stats.reset_index()
    stats["half"] = (1.96 * stats["std"] / np.sqrt(stats["count"])).fillna(0.0)
    stats["x"] = stats[esc.name].map(pos)

    fig = Figure(figsize=(8.5, 5.2), layout="constrained")
    ax = fig.add_subplot()
    one = False
    keys = [()] if not groups else list(
        stats[groups].drop_duplicates().itertuples(index=False, name=None))
    colours = ["#1f4e79", "#c0392b", "#229954", "#8e44ad", "#d68910", "#17a589"]
    for i, key in enumerate(keys):
        sel = stats
        for g, v in zip(groups, key, strict=True):
            sel = sel[sel[g] == v]
        sel = sel.sort_values("x")
        c = colours[i % len(colours)]
        label = ", ".join(_value_text(an, g, v).replace("\n", " ")
                          for g, v in zip(groups, key, strict=True)) or (
            str(sp.base["population"]["market"]).replace("_", " ") if sp.base else "all points")
        r = _level_ranking(an, rep, groups, key, esc.name, kpi)
        band = [pos[v] for v in r.band]
        names = join_words([_level_name(an, esc.name, levels[i]) for i in band])
        tie = " (tied)" if len(band) > 1 else ""
        ax.plot(sel["x"], sel["mean"], "-o", color=c, lw=1.8, ms=4,
                label=f"{label}: highest at {names}{tie} ({compact_number(r.means[r.best])})")
        ax.fill_between(sel["x"], sel["mean"] - sel["half"], sel["mean"] + sel["half"],
                        color=c, alpha=0.15, lw=0)
        at = sel.set_index("x")["mean"]
        ax.plot(band, at.reindex(band).to_numpy(), ls="none", marker="*", ms=16, color=c,
                mec="black", mew=0.6, zorder=5)
        one = one or r.replicates < 2
    ax.set_xticks(range(len(levels)), [_value_text(an, esc.name, v) for v in levels])
    ax.set_xlabel("escalation level (intrusiveness)")
    ax.set_ylabel(axis_label(kpi, _weeks(an)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
    ax.grid(alpha=0.3)
    note_axis_origin(ax)
    title = ", ".join(sp.factor(g).label or g for g in groups) if groups else (
        "market" if sp.base else "")
    ax.legend(fontsize=8, title=title, title_fontsize=8, loc="lower left", framealpha=0.9)
    averaged = [f.name for f in others if f.name not in groups]
    tied = (f"within {_band(an).describe(kpi)} of it (one replicate: no interval)" if one else
            f"levels tied with it (gap under {_band(an).describe(kpi)} or not clear)")
    band_word = "" if one else ", band: 95% interval"
    note = f"mean of {_reps(sp.replicates)}{band_word}; stars: highest, and {tied}"
    if averaged:
        note += f"; averaged over {', '.join(averaged)}"
    ax.set_title(f"{axis_label(kpi, _weeks(an), unit=False).capitalize()} vs escalation level"
                 f" ({sp.name})\n{textwrap.fill(note, 100)}", fontsize=10)
    return fig


def _band(an: Analysis) -> Band:
    return an.band or band_of(an.sweep.spec)


def _level_name(an: Analysis, name: str, v: Any) -> str:
    return v if isinstance(v, str) else _value_text(an, name, v).split()[0]


def _level_ranking(an: Analysis, rep: pd.DataFrame, groups: list[str], key: tuple[Any, ...],
                   level: str, kpi: str) -> Ranking:
    """The tie band of the levels of one line, from its per-replicate means."""
    sel = rep
    for g, v in zip(groups, key, strict=True):
        sel = sel[sel[g] == v]
    wide = sel.pivot_table(index="replicate", columns=level, values=kpi, aggfunc="mean")
    return rank(wide, kpi, paired=an.sweep.spec.common_random_numbers, band=_band(an))


# --------------------------------------------------------------------------- all


def figures_of(an: Analysis) -> Iterator[tuple[str, Figure]]:
    """Draw every figure that fits the sweep's design, one at a time.

    Args:
        an: The analysis.

    Yields:
        ``(stem, figure)``: the file name without suffix, and the figure
        (:func:`sim.sweep.analyze.analyze_sweep` saves them).
    """
    if an.indices is not None:
        for kpi in an.indices["kpi"].unique():
            yield f"{an.method}_{kpi}", fig_indices(an, kpi)
    axes = _grid_axes(an)
    if axes is not None:
        cols = set(an.sweep.results.columns)
        kpis = [k for k in HEATMAP_KPIS if k in cols] or [
            k for k in an.sweep.spec.kpis if k in cols][:3]
        if kpis:
            x, y = axes
            yield f"heatmap_{x}_{y}", fig_heatmaps(an, x, y, kpis)
    if "revenue_cumulative" in an.sweep.results.columns:
        fig = fig_escalation_curve(an)
        if fig is not None:
            yield "revenue_vs_escalation", fig


__all__ = ["fig_escalation_curve", "fig_heatmaps", "fig_indices", "figures_of"]
