"""The comparison figure: two strategies side by side and their difference B - A."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib import ticker
from matplotlib.figure import Figure

from sim.plotting import (
    A_COLOUR,
    B_COLOUR,
    DIFF_COLOUR,
    DPI,
    StepFormatter,
    compact_number,
    incident_events,
    incident_handle,
    mark_incidents,
    nice_ticks,
    note_axis_origin,
)

if TYPE_CHECKING:
    from sim.compare import Comparison


_COMPARE_PANELS = (  # metric, axis label, label of the difference's axis, scale
    ("retention", "Retention (% of initial customers)", "Retention difference (pp)", 100.0),
    ("mean_trust", "Mean trust (0-1)", "Mean trust difference", 1.0),
    ("revenue_cumulative", "Cumulative revenue", "Cumulative revenue difference", 1.0),
)


def fig_compare(cmp: Comparison) -> Figure:
    """Two strategies side by side (left) and their difference B - A (right).

    Args:
        cmp: A comparison from :func:`sim.compare.compare`.

    Returns:
        The figure: one row per metric (retention, trust, revenue).
    """
    fig = Figure(figsize=(11, 9.5), dpi=DPI, layout="constrained")
    axes = fig.subplots(len(_COMPARE_PANELS), 2, sharex=True)
    la, lb = cmp.labels
    long = len(la) + len(lb) > 60  # sides named by their differences
    pct = round(100 * cmp.confidence)
    for i, (metric, label, diff_label, scale) in enumerate(_COMPARE_PANELS):
        d = cmp.weekly[cmp.weekly["metric"] == metric].sort_values("week")
        w = d["week"]
        ax, axd = axes[i]
        for side, name, col in (("a", la, A_COLOUR), ("b", lb, B_COLOUR)):
            ax.plot(w, scale * d[f"{side}_mean"], color=col, lw=2, label=name)
            if cmp.replicates > 1:
                ax.fill_between(w, scale * d[f"{side}_min"], scale * d[f"{side}_max"],
                                color=col, alpha=0.15, lw=0)
        ax.set_ylabel(label)
        axd.axhline(0, color="black", lw=0.8)
        axd.plot(w, scale * d["diff"], color=DIFF_COLOUR, lw=2,
                 label="B minus A" if long else f"{lb} minus {la}")
        if cmp.replicates > 1:
            axd.fill_between(w, scale * d["ci_low"], scale * d["ci_high"], color=DIFF_COLOUR,
                             alpha=0.25, lw=0, label=f"{pct}% confidence band (paired t)")
        if cmp.posterior is not None:
            axd.fill_between(w, scale * d["diff_min"], scale * d["diff_max"], color=DIFF_COLOUR,
                             alpha=0.1, lw=0, label=f"range over the {cmp.replicates} "
                                                    "posterior draws")
        axd.set_ylabel(diff_label)
        for a_ in (ax, axd):
            nice_ticks(a_)
            a_.grid(True, alpha=0.3)
            a_.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
        if metric == "retention":
            ax.yaxis.set_major_formatter(StepFormatter("%"))
            axd.yaxis.set_major_formatter(StepFormatter(" pp", signed=True))
        elif metric == "revenue_cumulative":
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
            axd.yaxis.set_major_formatter(ticker.FuncFormatter(
                lambda x, _p: ("+" if x > 0 else "") + compact_number(x)))
        else:
            ax.yaxis.set_major_formatter(StepFormatter())
            axd.yaxis.set_major_formatter(StepFormatter(signed=True))
        if metric != "mean_trust":  # trust is a 0-1 scale; the others are counts and shares
            note_axis_origin(ax, ax.yaxis.get_major_formatter())
        if i == 0:
            ax.set_title("The two strategies (mean of replicates; band: min-max)", fontsize=10)
            axd.set_title("Difference, same consumers and random draws", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("Week")
    marked = _mark_incidents(cmp, axes)
    h1, l1 = axes[0][0].get_legend_handles_labels()
    h2, l2 = axes[0][1].get_legend_handles_labels()
    handles = h1 + h2 + ([incident_handle()] if marked else [])
    labels = l1 + l2 + (["data incident"] if marked else [])
    fig.legend(handles, labels, loc="outside lower center", ncols=2 if long else 3,
               fontsize=9, frameon=False)
    title = (f"{lb}{chr(10) if long else ' '}vs {la}: {cmp.replicates} paired replicate"
             f"{'s' if cmp.replicates != 1 else ''}")
    if cmp.posterior is not None:
        title += (f"\nparameters drawn from the posterior {Path(cmp.posterior.path).name} "
                  "(one draw per replicate, the same on both sides)")
    fig.suptitle(title, fontweight="bold")
    return fig


def _mark_incidents(cmp: Comparison, axes: Any) -> bool:
    """Dashed lines at A's incident weeks, and at B's where they differ; True if any."""
    every = list(axes.flat)
    marked = mark_incidents(every, cmp.a, axes[0][0], short=True)
    weeks_a = {e.week for e in incident_events(cmp.a)}
    if {e.week for e in incident_events(cmp.b)} - weeks_a:
        marked = mark_incidents(every, cmp.b, axes[0][1], short=True) or marked
    return marked
