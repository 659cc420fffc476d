"""The attribution figure: each mechanism's share of churn and of trust loss, as bars."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from sim.attribution_text import (
    BACKGROUND,
    OFF,
    OUTCOME_LABELS,
    TOTAL,
    format_value,
    headline,
    shown_values,
    sign_notes,
)
from sim.plotting import DPI, fig_caption, fig_title

if TYPE_CHECKING:
    from sim.attribution import Attribution

_PANELS = (("churn", 100.0, "share of churn, percentage points of the initial customers"),
           ("trust_loss", 1.0, "share of the loss, trust on its 0-1 scale"))
_CAUSE, _RELIEF, _REST = "#c0392b", "#229954", "#95a5a6"


def fig_attribution(att: Attribution) -> Figure:
    """Horizontal bars: each mechanism's share of churn (left) and mean trust loss (right).

    A bar to the right adds to churn (or trust loss), one to the left takes
    away from it; the grey bar is the background (every mechanism off); the
    title of each panel gives the total, which the bars add up to. With
    replicates, whiskers show each share's interval.

    Args:
        att: An attribution from :func:`sim.attribution.attribution`.

    Returns:
        The figure.
    """
    t = att.table[att.table["status"] != TOTAL].reset_index(drop=True)
    status = t["status"].to_list()
    fig = Figure(figsize=(11, 0.55 * len(t) + 2.2), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, len(_PANELS), sharey=True)
    y = np.arange(len(t))[::-1]
    for ax, (outcome, scale, unit) in zip(axes, _PANELS, strict=True):
        shown = shown_values(att.table, outcome)[: len(t)]
        values = scale * np.asarray(shown, dtype=float)
        colours = [_REST if s == BACKGROUND else _CAUSE if v >= 0 else _RELIEF
                   for v, s in zip(values, status, strict=True)]
        ax.barh(y, values, color=colours, height=0.6)
        ends = values  # labels go beyond the bar, or beyond its whisker
        if att.replicates > 1:
            low = scale * t[f"{outcome}_low"].to_numpy(dtype=float)
            high = scale * t[f"{outcome}_high"].to_numpy(dtype=float)
            mean = scale * t[outcome].to_numpy(dtype=float)
            ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="none", ecolor="black",
                        capsize=3, lw=1)
            ends = np.where(values >= 0, np.fmax(values, high), np.fmin(values, low))
        for yi, v, end, text, s in zip(y, values, ends, shown, status, strict=True):
            ax.annotate("off" if s == OFF else format_value(outcome, text), xy=(end, yi),
                        xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                        va="center", fontsize=8, ha="left" if v >= 0 else "right")
        ax.axvline(0, color="black", lw=0.8)
        ax.margins(x=0.25)
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        ax.grid(True, axis="x", alpha=0.3)
        total = float(att.table.loc[att.table["status"] == TOTAL, outcome].iloc[0])
        rose = " (negative: trust rose)" if outcome == "trust_loss" and total < 0 else ""
        ax.set_title(f"{OUTCOME_LABELS[outcome].capitalize()}: total "
                     f"{format_value(outcome, total)}{rose}", fontsize=10)
        ax.set_xlabel(unit)
    axes[0].set_yticks(y, [f"{lab} ({OFF})" if s == OFF else lab
                           for lab, s in zip(t["label"], status, strict=True)])
    fig.suptitle(fig_title(att.scenario, headline(att.table)), fontweight="bold")
    caption = (f"Shapley shares over {len(att.mechanisms)} mechanisms, "
               f"{1 << len(att.mechanisms)} runs per replicate on the same consumers, "
               "network and random draws; bars and background add up to the total"
               + (f"; whiskers: {round(100 * att.confidence)}% interval over "
                  f"{att.replicates} replicates." if att.replicates > 1 else ".")
               + " Red: adds to churn or trust loss; green, left of 0: on balance kept "
                 "customers or raised trust.")
    notes = sign_notes(att.table, [o for o, _, _ in _PANELS])
    fig_caption(fig, "\n".join(textwrap.wrap(" ".join([caption, *notes]), 190)))
    return fig
