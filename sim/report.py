"""Figures of a run and of a comparison, readable without the code.

Every function here builds a :class:`matplotlib.figure.Figure` through the
object-oriented API (no ``pyplot``, no global state, no window), so it is safe
in scripts, tests and worker processes; :func:`save_figure` writes PNG and SVG
atomically.

Run figures (:func:`run_figures`):

* ``customers_churn``: customers and cumulative churn over the weeks, weekly
  churn as bars, incidents marked;
* ``trust_by_segment``: median trust and its 10-90% band per privacy segment;
* ``crossing_complaints``: share of exposures that crossed the line, the
  personalisation level used, and complaints per week;
* ``revenue``: weekly and cumulative revenue;
* ``network``: a few hundred neighbouring consumers coloured by trust, churned
  ones marked, so word of mouth can be seen.

Comparison figure (:func:`fig_compare`): both strategies side by side with the
difference and its confidence band.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.compare_figure import fig_compare
from sim.config import Scenario
from sim.model import TrustModel
from sim.network_figure import NETWORK_SAMPLE, fig_network, network_sample
from sim.plotting import (
    A_COLOUR,
    DPI,
    FORMATS,
    INCIDENT_COLOUR,
    SEGMENT_COLOURS,
    SEGMENT_LABELS,
    StepFormatter,
    compact_number,
    fig_caption,
    fig_title,
    incident_events,
    incident_handle,
    mark_incidents,
    nice_ticks,
    note_axis_origin,
    save_figure,
    thousands,
    week_axis,
)

__all__ = [
    "FORMATS",
    "INCIDENT_COLOUR",
    "NETWORK_SAMPLE",
    "SEGMENT_COLOURS",
    "SEGMENT_LABELS",
    "compact_number",
    "fig_compare",
    "fig_crossing",
    "fig_customers",
    "fig_network",
    "fig_revenue",
    "fig_trust",
    "network_sample",
    "rebuild_network",
    "run_figures",
    "save_figure",
    "write_figures",
]


# --------------------------------------------------------------------------- run figures


def fig_customers(weekly: pd.DataFrame, scenario: Scenario | None = None) -> Figure:
    """Customers and cumulative churn over weeks, with incidents marked.

    Args:
        weekly: The weekly table of a run.
        scenario: The run's scenario (for the title and incident weeks).

    Returns:
        The figure (two panels sharing the week axis).
    """
    fig = Figure(figsize=(9, 6.5), dpi=DPI, layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[1.1, 1])
    w = weekly["week"]
    ax1.plot(w, weekly["customers"], color=A_COLOUR, lw=2, label="customers")
    ax1.set_ylabel("Customers (end of week)")
    ax1.yaxis.set_major_formatter(ticker.FuncFormatter(thousands))
    ax1.set_title("Customers")

    churn_pct = 100.0 * (1.0 - weekly["retention"])
    ax2.plot(w, churn_pct, color="#922b21", lw=2, label="cumulative churn (% of initial customers)")
    ax2.set_ylabel("Cumulative churn (% of initial customers)")
    ax2.set_ylim(bottom=0)
    nice_ticks(ax2)
    ax2.yaxis.set_major_formatter(StepFormatter("%"))
    axb = ax2.twinx()
    axb.bar(w, weekly["churned"], color="#aab7b8", alpha=0.6, width=0.8,
            label="customers who left that week")
    axb.set_ylabel("Customers who left that week")
    axb.set_ylim(0, max(1.0, float(weekly["churned"].max()) * 2.2))
    ax2.set_zorder(axb.get_zorder() + 1)
    ax2.patch.set_visible(False)
    ax2.set_title("Churn")
    for ax in (ax1, ax2):
        week_axis(ax, weekly)
    note_axis_origin(ax1, thousands)
    ax1.tick_params(labelbottom=False)
    ax1.set_xlabel("")
    has_inc = mark_incidents((ax1, ax2), scenario, ax1)
    h1, l1 = ax2.get_legend_handles_labels()
    h2, l2 = axb.get_legend_handles_labels()
    handles = h1 + h2 + ([incident_handle()] if has_inc else [])
    ax2.legend(handles, l1 + l2 + (["data incident"] if has_inc else []),
               loc="upper left", fontsize=8, framealpha=0.9)
    fig.suptitle(fig_title(scenario, "Customers and churn"), fontweight="bold")
    return fig


def fig_trust(weekly: pd.DataFrame, scenario: Scenario | None = None,
              consumers: pd.DataFrame | None = None) -> Figure:
    """Trust over weeks per privacy segment: median and 10-90% band.

    Args:
        weekly: The weekly table of a run (``trust_p10_<segment>`` etc.).
        scenario: The run's scenario (title, incidents).
        consumers: Per-consumer table, to show each segment's share.

    Returns:
        The figure (one panel per segment, shared trust axis).
    """
    segments = [s for s in SEGMENT_LABELS if f"trust_p50_{s}" in weekly.columns]
    fig = Figure(figsize=(12, 4.6), dpi=DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(segments), 1), sharey=True))
    shares: dict[str, float] = {}
    if consumers is not None and "segment" in consumers.columns and len(consumers):
        shares = consumers["segment"].astype(str).value_counts(normalize=True).to_dict()
    w = weekly["week"]
    for ax, seg in zip(axes, segments, strict=False):
        col = SEGMENT_COLOURS[seg]
        ax.fill_between(w, weekly[f"trust_p10_{seg}"], weekly[f"trust_p90_{seg}"],
                        color=col, alpha=0.22, lw=0, label="10-90% of the segment")
        ax.plot(w, weekly[f"trust_p50_{seg}"], color=col, lw=2, label="median")
        ax.plot(w, weekly["mean_trust"], color="#333333", lw=1, ls=":",
                label="mean, all consumers")
        title = SEGMENT_LABELS[seg]
        if seg in shares:
            title += f" ({100 * shares[seg]:.0f}% of consumers)"
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 1)
        week_axis(ax, weekly)
        mark_incidents([ax], scenario, ax, short=True)
    axes[0].set_ylabel("Trust in the brand (0 = none, 1 = full)")
    handles = [
        Patch(facecolor="#7f8c8d", alpha=0.3, label="10-90% of the segment"),
        Line2D([], [], color="#7f8c8d", lw=2, label="median of the segment"),
        Line2D([], [], color="#333333", lw=1, ls=":", label="mean, all consumers"),
    ]
    labels = [h.get_label() for h in handles]
    if incident_events(scenario):
        handles.append(incident_handle())
        labels.append("data incident")
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8,
               frameon=False)
    fig.suptitle(fig_title(scenario, "Trust by privacy segment"), fontweight="bold")
    return fig


def fig_crossing(weekly: pd.DataFrame, scenario: Scenario | None = None) -> Figure:
    """Share of exposures that crossed the line, the level used, and complaints.

    Args:
        weekly: The weekly table of a run.
        scenario: The run's scenario (title, ladder level names, incidents).

    Returns:
        The figure (two panels sharing the week axis).
    """
    fig = Figure(figsize=(9, 6.5), dpi=DPI, layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    w = weekly["week"]
    ax1.plot(w, 100.0 * weekly["crossed_share"], color="#922b21", lw=2, marker="o", ms=2.5,
             label="exposures that crossed the line")
    ax1.set_ylabel("Exposures that crossed the line (%)")
    ax1.yaxis.set_major_formatter(ticker.PercentFormatter(decimals=0))
    ax1.set_ylim(bottom=0, top=max(5.0, 100.0 * float(weekly["crossed_share"].max()) * 1.25))
    ax1.set_title("Boundary-crossing ads and the personalisation level used")
    axl = ax1.twinx()
    names = (
        [lv.name for lv in scenario.strategy.ladder]
        if scenario is not None
        else sorted(set(weekly["level_name"]), key=lambda n: weekly.loc[
            weekly["level_name"] == n, "level"].iloc[0])
    )
    axl.step(w, weekly["level"], where="mid", color="#7f8c8d", lw=1.5, ls="-", alpha=0.8,
             label="personalisation level (right axis)")
    axl.set_yticks(range(len(names)), names, fontsize=8)
    axl.set_ylim(-0.5, len(names) - 0.5)
    axl.set_ylabel("Personalisation level")

    ax2.bar(w, weekly["complaints"], color="#e59866", width=0.8,
            label="complained to friends")
    ax2.bar(w, weekly["public_posts"], color="#873600", width=0.8,
            label="of whom posted publicly")
    ax2.set_ylim(0, max(1.0, float(weekly["complaints"].max())) * 1.3)
    ax2.set_ylabel("Consumers per week")
    ax2.yaxis.set_major_formatter(ticker.FuncFormatter(thousands))
    ax2.set_title("Complaints (negative word of mouth)")
    for ax in (ax1, ax2):
        week_axis(ax, weekly)
    ax1.tick_params(labelbottom=False)
    ax1.set_xlabel("")
    has_inc = mark_incidents((ax1, ax2), scenario, ax2)
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = axl.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, framealpha=0.9)
    h, lab = ax2.get_legend_handles_labels()
    if has_inc:
        h.append(incident_handle())
        lab.append("data incident")
    ax2.legend(h, lab, loc="upper left", fontsize=8, framealpha=0.9)
    if scenario is not None and scenario.strategy.escalation.mode == "adaptive":
        e = scenario.strategy.escalation
        fig_caption(fig, f"Adaptive policy: one level up after {e.step_every} calm weeks; one "
                         f"level down when complaints exceed {e.complaint_limit:g} per 1,000 "
                         f"customers in a week, then a {e.cooldown}-week hold.")
    fig.suptitle(fig_title(scenario, "Crossing the line"), fontweight="bold")
    return fig


def fig_revenue(weekly: pd.DataFrame, scenario: Scenario | None = None) -> Figure:
    """Weekly and cumulative revenue.

    Args:
        weekly: The weekly table of a run.
        scenario: The run's scenario (title, basket value, incidents).

    Returns:
        The figure (two panels sharing the week axis).
    """
    fig = Figure(figsize=(9, 6.5), dpi=DPI, layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    w = weekly["week"]
    ax1.bar(w, weekly["revenue"], color="#52be80", width=0.8, label="revenue that week")
    ax1.set_ylim(0, max(1.0, float(weekly["revenue"].max())) * 1.3)
    ax1.set_ylabel("Revenue per week")
    ax1.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
    ax1.set_title("Weekly revenue")
    ax2.plot(w, weekly["revenue_cumulative"], color="#1e8449", lw=2, label="revenue so far")
    ax2.set_ylabel("Cumulative revenue")
    ax2.set_ylim(bottom=0)
    ax2.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
    ax2.set_title("Cumulative revenue")
    for ax in (ax1, ax2):
        week_axis(ax, weekly)
    ax1.tick_params(labelbottom=False)
    ax1.set_xlabel("")
    has_inc = mark_incidents((ax1, ax2), scenario, ax1)
    for ax in (ax1, ax2):
        h, lab = ax.get_legend_handles_labels()
        if has_inc:
            h.append(incident_handle())
            lab.append("data incident")
        ax.legend(h, lab, loc="upper left", fontsize=8, framealpha=0.9)
    if scenario is not None:
        fig_caption(fig, f"Revenue in currency units; one purchase = "
                    f"{scenario.purchase.basket_value:g}.")
    fig.suptitle(fig_title(scenario, "Revenue"), fontweight="bold")
    return fig


def run_figures(
    weekly: pd.DataFrame,
    consumers: pd.DataFrame | None = None,
    scenario: Scenario | None = None,
    network: sp.csr_array | sp.csr_matrix | None = None,
) -> dict[str, Figure]:
    """Build every figure of a run.

    Args:
        weekly: The weekly table.
        consumers: The per-consumer table (needed for the network figure).
        scenario: The run's scenario (titles, incidents, ladder).
        network: The run's adjacency; without it (or without consumers) the
            network figure is skipped.

    Returns:
        ``{file stem: figure}``.
    """
    figs = {
        "customers_churn": fig_customers(weekly, scenario),
        "trust_by_segment": fig_trust(weekly, scenario, consumers),
        "crossing_complaints": fig_crossing(weekly, scenario),
        "revenue": fig_revenue(weekly, scenario),
    }
    if network is not None and consumers is not None and len(consumers):
        figs["network"] = fig_network(network, consumers, scenario)
    return figs


def write_figures(res: Any, folder: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Draw and save every figure of a run.

    Args:
        res: A :class:`~sim.results.RunResult` (or anything with ``weekly``,
            ``consumers``, ``scenario`` and optionally ``network``).
        folder: Target folder.
        formats: File formats.

    Returns:
        The written paths.
    """
    figs = run_figures(res.weekly, getattr(res, "consumers", None), getattr(res, "scenario", None),
                       getattr(res, "network", None))
    written: list[Path] = []
    for stem, fig in figs.items():
        written += save_figure(fig, folder, stem, formats)
    return written


def rebuild_network(scenario: Scenario) -> sp.csr_array:
    """Rebuild a run's network from its resolved scenario (same seed, same graph).

    Args:
        scenario: The resolved scenario of the run.

    Returns:
        The adjacency the run used.
    """
    model = TrustModel(scenario, rng=scenario.run.seed)
    model.setup()
    return model.adjacency
