"""Figures of a sweep: sensitivity-index bars, lever heatmaps, the escalation curve.

Built with matplotlib's object-oriented API (no ``pyplot``, no global
backend or state). Nothing here writes a file: :func:`figures_of` yields the
figures and :func:`sim.sweep.analyze.analyze_sweep` saves them.

* ``<method>_<kpi>``: one bar chart per KPI: Sobol S1 and ST, Morris mu* and
  sigma, or LHS RBD-FAST S1, with their confidence intervals; factors are
  marked as lever or uncertainty and sorted by importance;
* ``heatmap_<x>_<y>``: for a grid over two (or more) factors, the mean of
  revenue, churn and trust over the first two levers (other factors averaged);
* ``revenue_vs_escalation``: mean cumulative revenue (95% interval) against
  the escalation level, one line per market (or per value of the other grid
  factors), each line's peak marked.

KPI names and units on the axes come from :data:`sim.kpis.KPIS`.

Layer: figures (pure drawing of a computed Analysis); in sim.sweep: store | figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from sim.kpis import axis_label
from sim.plotting import compact_number
from sim.sweep.analysis import Analysis

ESCALATION_KEY = "strategy.escalation.level"
MARKET_KEY = "population.market"
MAX_LINES = 6
"""Most lines in the escalation curve before other factors are averaged."""

ROLE_COLOUR = {"lever": "#1f4e79", "uncertainty": "#a04000"}
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

    Args:
        an: The analysis (with indices).
        kpi: The KPI.

    Returns:
        The figure.
    """
    assert an.indices is not None
    df = an.indices[an.indices["kpi"] == kpi].copy()
    bars = _INDEX_BARS[an.method]
    sort_col = bars[-1][0]
    df = df.sort_values(sort_col, ascending=True, na_position="first")
    n = len(df)
    fig = Figure(figsize=(8.5, 1.2 + 0.55 * n), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)
    h = 0.76 / len(bars)
    for j, (col, conf, label) in enumerate(bars):
        vals = df[col].to_numpy(dtype=float)
        err = df[conf].to_numpy(dtype=float) if conf else None
        ax.barh(y + (j - (len(bars) - 1) / 2) * h, np.nan_to_num(vals), height=h,
                color=BAR_COLOURS[j + 2 - len(bars)],
                xerr=err, capsize=3, error_kw={"elinewidth": 1, "ecolor": "#333333"},
                label=label + (" with 95% CI" if conf else ""))
    ax.set_yticks(y, [_factor_text(an, f) for f in df["factor"]])
    for tick, role in zip(ax.get_yticklabels(), df["role"], strict=True):
        tick.set_color(ROLE_COLOUR.get(role, "black"))
    ax.axvline(0, color="black", lw=0.8)
    sp = an.sweep.spec
    if an.method == "sobol":
        ax.set_xlabel(f"share of the variance of {axis_label(kpi, _weeks(an), unit=False)}")
        lows = (df["S1"] - df["S1_conf"]).to_numpy(float)
        highs = np.concatenate([(df[c] + df[f"{c}_conf"]).to_numpy(float) for c in ("S1", "ST")])
        left = float(np.nanmin(lows)) - 0.02 if np.isfinite(lows).any() else 0.0
        right = float(np.nanmax(highs)) + 0.02 if np.isfinite(highs).any() else 1.0
        ax.set_xlim(min(0.0, left), max(1.0, right))
        design = f"Sobol (Saltelli), N = {sp.design.samples}"
    elif an.method == "morris":
        ax.set_xlabel(f"elementary effect on {axis_label(kpi, _weeks(an))}\n"
                      "per full range of the factor")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
        design = f"Morris, {sp.design.samples} trajectories, {sp.design.levels} levels"
    else:
        ax.set_xlabel("first-order share of the variance of "
                      f"{axis_label(kpi, _weeks(an), unit=False)}")
        design = f"Latin hypercube, {sp.design.samples} points"
    handles, labels = ax.get_legend_handles_labels()  # top bar first, as drawn
    ax.legend(handles[::-1], labels[::-1], loc="lower right", fontsize=8, framealpha=0.9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        f"What drives {axis_label(kpi, _weeks(an), unit=False)}?\n"
        f"{design}; {len(an.sweep.results)} runs, {_reps(sp.replicates)} per point",
        fontsize=11,
    )
    return fig


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
                    ax.text(j, i, compact_number(v) if abs(v) >= 100 else f"{v:.3f}",
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
        cb.ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
    sp = an.sweep.spec
    note = f"mean of {_reps(sp.replicates)} per cell"
    if others:
        note += f"; averaged over {', '.join(others)}"
    fig.suptitle(f"{sp.name}: {sp.factor(x).label or x} x {sp.factor(y).label or y}\n{note}",
                 fontsize=11)
    return fig


def fig_escalation_curve(an: Analysis, kpi: str = "revenue_cumulative") -> Figure | None:
    """Mean KPI against escalation level, one line per market or group, peaks marked.

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
        top = sel.loc[sel["mean"].idxmax()]
        peak = levels[int(top["x"])]
        peak = peak if isinstance(peak, str) else _value_text(an, esc.name, peak).split()[0]
        ax.plot(sel["x"], sel["mean"], "-o", color=c, lw=1.8, ms=4,
                label=f"{label}: peak at {peak} ({compact_number(top['mean'])})")
        ax.fill_between(sel["x"], sel["mean"] - sel["half"], sel["mean"] + sel["half"],
                        color=c, alpha=0.15, lw=0)
        ax.plot([top["x"]], [top["mean"]], marker="*", ms=16, color=c, mec="black", mew=0.6,
                zorder=5)
    ax.set_xticks(range(len(levels)), [_value_text(an, esc.name, v) for v in levels])
    ax.set_xlabel("escalation level (intrusiveness)")
    ax.set_ylabel(axis_label(kpi, _weeks(an)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
    ax.grid(alpha=0.3)
    title = ", ".join(sp.factor(g).label or g for g in groups) if groups else (
        "market" if sp.base else "")
    ax.legend(fontsize=8, title=title, title_fontsize=8, loc="lower left", framealpha=0.9)
    averaged = [f.name for f in others if f.name not in groups]
    note = f"mean of {_reps(sp.replicates)}, band: 95% interval; star: peak"
    if averaged:
        note += f"; averaged over {', '.join(averaged)}"
    ax.set_title(f"{axis_label(kpi, _weeks(an), unit=False).capitalize()} vs escalation level"
                 f" ({sp.name})\n{note}", fontsize=11)
    return fig


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
