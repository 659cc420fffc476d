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

from collections.abc import Iterable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.config import Scenario
from sim.output import atomic_path

if TYPE_CHECKING:
    from sim.compare import Comparison

FORMATS = ("png", "svg")
SEGMENT_LABELS = {
    "fundamentalist": "Privacy fundamentalists",
    "pragmatist": "Pragmatists",
    "unconcerned": "Unconcerned",
}
SEGMENT_COLOURS = {"fundamentalist": "#c0392b", "pragmatist": "#2471a3", "unconcerned": "#229954"}
A_COLOUR, B_COLOUR, DIFF_COLOUR = "#2471a3", "#d35400", "#6c3483"
INCIDENT_COLOUR = "#b03a2e"
NETWORK_SAMPLE = 300
"""Number of consumers drawn in the network figure."""

_DPI = 130


# --------------------------------------------------------------------------- helpers


def compact_number(x: float, _pos: Any = None) -> str:
    """Format a number compactly for axes and labels: 0.125, 950, 12.5k, 1.89M.

    Args:
        x: The number.
        _pos: Tick position (ignored; lets the function serve as a
            ``matplotlib.ticker.FuncFormatter``).

    Returns:
        Three significant digits with a k or M suffix from a thousand up;
        whole numbers from 100 to 999.
    """
    ax = abs(x)
    if ax >= 1e6:
        return f"{x / 1e6:.3g}M"
    if ax >= 1e3:
        return f"{x / 1e3:.3g}k"
    if ax >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def _thousands(x: float, _pos: Any = None) -> str:
    return f"{x:,.0f}"


def _title(scenario: Scenario | None, what: str) -> str:
    return f"{what}: {scenario.name}" if scenario is not None else what


def _caption(fig: Figure, text: str) -> None:
    """A small note under the figure (a supxlabel, so the layout makes room for it)."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize=7.5, color="#555555")


def _incident_events(scenario: Scenario | None) -> list[Any]:
    if scenario is None or not scenario.incidents.enabled:
        return []
    return [e for e in scenario.incidents.events if e.week < scenario.run.weeks]


def _mark_incidents(axes: Iterable[Axes], scenario: Scenario | None, label_axis: Axes,
                    short: bool = False) -> bool:
    """Draw a dashed line at each incident week; label them on ``label_axis``.

    Labels do not take part in the layout; one in the right third of the axis
    is written to the left of its line so that it stays inside the panel.
    """
    events = _incident_events(scenario)
    for ax in axes:
        for ev in events:
            ax.axvline(ev.week, color=INCIDENT_COLOUR, ls="--", lw=1.2, zorder=1)
    if not events:
        return False
    lo, hi = label_axis.get_xlim()
    for ev in events:
        how = "handled responsibly" if ev.responsible else "handled irresponsibly"
        text = "incident" if short else f"incident (severity {ev.severity:g}, {how})"
        right = (ev.week - lo) / max(hi - lo, 1e-9) > 0.62
        ann = label_axis.annotate(
            text, xy=(ev.week, 1.0), xycoords=("data", "axes fraction"),
            xytext=(-4 if right else 4, -4), textcoords="offset points",
            ha="right" if right else "left", va="top", fontsize=8, color=INCIDENT_COLOUR,
        )
        ann.set_in_layout(False)
    return True


def _incident_handle() -> Line2D:
    return Line2D([], [], color=INCIDENT_COLOUR, ls="--", lw=1.2, label="data incident")


def _week_axis(ax: Axes, weekly: pd.DataFrame) -> None:
    weeks = weekly["week"].to_numpy()
    if weeks.size:
        ax.set_xlim(weeks.min() - 0.5, weeks.max() + 0.5)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
    ax.set_xlabel("Week")
    ax.grid(True, alpha=0.3)


# --------------------------------------------------------------------------- run figures


def fig_customers(weekly: pd.DataFrame, scenario: Scenario | None = None) -> Figure:
    """Customers and cumulative churn over weeks, with incidents marked.

    Args:
        weekly: The weekly table of a run.
        scenario: The run's scenario (for the title and incident weeks).

    Returns:
        The figure (two panels sharing the week axis).
    """
    fig = Figure(figsize=(9, 6.5), dpi=_DPI, layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[1.1, 1])
    w = weekly["week"]
    ax1.plot(w, weekly["customers"], color=A_COLOUR, lw=2, label="customers")
    ax1.set_ylabel("Customers (end of week)")
    ax1.yaxis.set_major_formatter(ticker.FuncFormatter(_thousands))
    ax1.set_title("Customers")

    churn_pct = 100.0 * (1.0 - weekly["retention"])
    ax2.plot(w, churn_pct, color="#922b21", lw=2, label="cumulative churn (% of initial customers)")
    ax2.set_ylabel("Cumulative churn (% of initial customers)")
    ax2.set_ylim(bottom=0)
    ax2.yaxis.set_major_formatter(ticker.PercentFormatter(decimals=1))
    axb = ax2.twinx()
    axb.bar(w, weekly["churned"], color="#aab7b8", alpha=0.6, width=0.8,
            label="customers who left that week")
    axb.set_ylabel("Customers who left that week")
    axb.set_ylim(0, max(1.0, float(weekly["churned"].max()) * 2.2))
    ax2.set_zorder(axb.get_zorder() + 1)
    ax2.patch.set_visible(False)
    ax2.set_title("Churn")
    for ax in (ax1, ax2):
        _week_axis(ax, weekly)
    ax1.tick_params(labelbottom=False)
    ax1.set_xlabel("")
    has_inc = _mark_incidents((ax1, ax2), scenario, ax1)
    h1, l1 = ax2.get_legend_handles_labels()
    h2, l2 = axb.get_legend_handles_labels()
    handles = h1 + h2 + ([_incident_handle()] if has_inc else [])
    ax2.legend(handles, l1 + l2 + (["data incident"] if has_inc else []),
               loc="upper left", fontsize=8, framealpha=0.9)
    fig.suptitle(_title(scenario, "Customers and churn"), fontweight="bold")
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
    fig = Figure(figsize=(12, 4.6), dpi=_DPI, layout="constrained")
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
        _week_axis(ax, weekly)
        _mark_incidents([ax], scenario, ax, short=True)
    axes[0].set_ylabel("Trust in the brand (0 = none, 1 = full)")
    handles = [
        Patch(facecolor="#7f8c8d", alpha=0.3, label="10-90% of the segment"),
        Line2D([], [], color="#7f8c8d", lw=2, label="median of the segment"),
        Line2D([], [], color="#333333", lw=1, ls=":", label="mean, all consumers"),
    ]
    labels = [h.get_label() for h in handles]
    if _incident_events(scenario):
        handles.append(_incident_handle())
        labels.append("data incident")
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8,
               frameon=False)
    fig.suptitle(_title(scenario, "Trust by privacy segment"), fontweight="bold")
    return fig


def fig_crossing(weekly: pd.DataFrame, scenario: Scenario | None = None) -> Figure:
    """Share of exposures that crossed the line, the level used, and complaints.

    Args:
        weekly: The weekly table of a run.
        scenario: The run's scenario (title, ladder level names, incidents).

    Returns:
        The figure (two panels sharing the week axis).
    """
    fig = Figure(figsize=(9, 6.5), dpi=_DPI, layout="constrained")
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
    ax2.yaxis.set_major_formatter(ticker.FuncFormatter(_thousands))
    ax2.set_title("Complaints (negative word of mouth)")
    for ax in (ax1, ax2):
        _week_axis(ax, weekly)
    ax1.tick_params(labelbottom=False)
    ax1.set_xlabel("")
    has_inc = _mark_incidents((ax1, ax2), scenario, ax2)
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = axl.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, framealpha=0.9)
    h, lab = ax2.get_legend_handles_labels()
    if has_inc:
        h.append(_incident_handle())
        lab.append("data incident")
    ax2.legend(h, lab, loc="upper left", fontsize=8, framealpha=0.9)
    if scenario is not None and scenario.strategy.escalation.mode == "adaptive":
        e = scenario.strategy.escalation
        _caption(fig, f"Adaptive policy: one level up after {e.step_every} calm weeks; one level "
                      f"down when complaints exceed {e.complaint_limit:g} per 1,000 customers "
                      f"in a week, then a {e.cooldown}-week hold.")
    fig.suptitle(_title(scenario, "Crossing the line"), fontweight="bold")
    return fig


def fig_revenue(weekly: pd.DataFrame, scenario: Scenario | None = None) -> Figure:
    """Weekly and cumulative revenue.

    Args:
        weekly: The weekly table of a run.
        scenario: The run's scenario (title, basket value, incidents).

    Returns:
        The figure (two panels sharing the week axis).
    """
    fig = Figure(figsize=(9, 6.5), dpi=_DPI, layout="constrained")
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
        _week_axis(ax, weekly)
    ax1.tick_params(labelbottom=False)
    ax1.set_xlabel("")
    has_inc = _mark_incidents((ax1, ax2), scenario, ax1)
    for ax in (ax1, ax2):
        h, lab = ax.get_legend_handles_labels()
        if has_inc:
            h.append(_incident_handle())
            lab.append("data incident")
        ax.legend(h, lab, loc="upper left", fontsize=8, framealpha=0.9)
    if scenario is not None:
        _caption(fig, f"Revenue in currency units; one purchase = "
                      f"{scenario.purchase.basket_value:g}.")
    fig.suptitle(_title(scenario, "Revenue"), fontweight="bold")
    return fig


def network_sample(
    adjacency: sp.csr_array | sp.csr_matrix, churned: np.ndarray, size: int = NETWORK_SAMPLE
) -> np.ndarray:
    """Pick a connected neighbourhood of about ``size`` consumers to draw.

    A breadth-first "snowball" from the churned consumer with the most
    churned friends (where word of mouth and contagion are easiest to see);
    from consumer 0 if nobody churned. If the component is smaller than
    ``size``, further snowballs start from the lowest unpicked index.

    Args:
        adjacency: The run's symmetric adjacency.
        churned: Boolean per consumer.
        size: Number of consumers wanted.

    Returns:
        Sorted consumer indices (deterministic for a given run).
    """
    adj = sp.csr_array(adjacency)
    n = adj.shape[0]
    size = min(size, n)
    if size <= 0:
        return np.empty(0, dtype=np.int64)
    if churned.any():
        churned_friends = adj @ churned.astype(np.float64)
        score = np.where(churned, churned_friends, -1.0)
        start = int(np.argmax(score))
    else:
        start = 0
    picked = np.zeros(n, dtype=bool)
    order: list[int] = []
    frontier = [start]
    picked[start] = True
    order.append(start)
    next_free = 0
    while len(order) < size:
        if not frontier:
            while picked[next_free]:
                next_free += 1
            frontier = [next_free]
            picked[next_free] = True
            order.append(next_free)
            continue
        new: list[int] = []
        for node in frontier:
            nbrs = adj.indices[adj.indptr[node]: adj.indptr[node + 1]]
            for j in nbrs[~picked[nbrs]]:
                if len(order) >= size:
                    break
                picked[j] = True
                order.append(int(j))
                new.append(int(j))
        frontier = new
    return np.sort(np.array(order[:size], dtype=np.int64))


def fig_network(
    adjacency: sp.csr_array | sp.csr_matrix,
    consumers: pd.DataFrame,
    scenario: Scenario | None = None,
    size: int = NETWORK_SAMPLE,
) -> Figure:
    """The network at a glance: a neighbourhood coloured by trust, churned marked.

    Args:
        adjacency: The run's adjacency.
        consumers: Final per-consumer table (``trust``, ``customer``).
        scenario: The run's scenario (title).
        size: Number of consumers to draw (a few hundred reads best).

    Returns:
        The figure.
    """
    import networkx as nx

    trust = consumers["trust"].to_numpy(dtype=np.float64)
    churned = ~consumers["customer"].to_numpy(dtype=bool)
    nodes = network_sample(adjacency, churned, size)
    sub = sp.csr_array(adjacency)[nodes][:, nodes]
    graph = nx.from_scipy_sparse_array(sub)
    pos = nx.spring_layout(graph, seed=7, iterations=100)
    xy = np.array([pos[i] for i in range(len(nodes))]) if len(nodes) else np.zeros((0, 2))

    fig = Figure(figsize=(9, 7.8), dpi=_DPI, layout="constrained")
    ax = fig.subplots()
    rows, cols = sub.nonzero()
    keep = rows < cols
    if keep.any():
        from matplotlib.collections import LineCollection

        segs = np.stack([xy[rows[keep]], xy[cols[keep]]], axis=1)
        ax.add_collection(LineCollection(segs, colors="#b3b6b7", linewidths=0.5, zorder=1))
    stay = ~churned[nodes]
    sc = ax.scatter(xy[stay, 0], xy[stay, 1], c=trust[nodes][stay], cmap="RdYlGn",
                    vmin=0, vmax=1, s=36, edgecolors="#333333", linewidths=0.3, zorder=2)
    ax.scatter(xy[~stay, 0], xy[~stay, 1], marker="X", s=60, c=trust[nodes][~stay],
               cmap="RdYlGn", vmin=0, vmax=1, edgecolors="black", linewidths=0.9, zorder=3)
    cbar = fig.colorbar(sc, ax=ax, shrink=0.8, pad=0.01)
    cbar.set_label("Trust in the brand at the end (0 = none, 1 = full)")
    handles = [
        Line2D([], [], marker="o", ls="", markerfacecolor="#f7dc6f", markeredgecolor="#333333",
               ms=7, label=f"customer ({int(stay.sum())})"),
        Line2D([], [], marker="X", ls="", markerfacecolor="#f7dc6f", markeredgecolor="black",
               ms=8, label=f"churned ({int((~stay).sum())})"),
        Line2D([], [], color="#b3b6b7", lw=1, label="friendship"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    ax.set_axis_off()
    if len(xy):
        pad = 0.05
        ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
        ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
    n = len(trust)
    ax.set_title(
        f"{len(nodes)} neighbouring consumers of {n:,} (mean trust here "
        f"{trust[nodes].mean():.2f}, everyone {trust.mean():.2f})", fontsize=10)
    _caption(fig, "Neighbourhood grown friend by friend from the churned consumer with the most "
                  "churned friends; colour = final trust; X = left the brand.")
    fig.suptitle(_title(scenario, "Word of mouth at a glance"), fontweight="bold")
    return fig


# --------------------------------------------------------------------------- comparison


_COMPARE_PANELS = (
    ("retention", "Retention (% of initial customers)", 100.0),
    ("mean_trust", "Mean trust (0-1)", 1.0),
    ("revenue_cumulative", "Cumulative revenue", 1.0),
)


def fig_compare(cmp: Comparison) -> Figure:
    """Two strategies side by side (left) and their difference B - A (right).

    Args:
        cmp: A comparison from :func:`sim.compare.compare`.

    Returns:
        The figure: one row per metric (retention, trust, revenue).
    """
    fig = Figure(figsize=(11, 9.5), dpi=_DPI, layout="constrained")
    axes = fig.subplots(len(_COMPARE_PANELS), 2, sharex=True)
    la, lb = cmp.labels
    pct = round(100 * cmp.confidence)
    for i, (metric, label, scale) in enumerate(_COMPARE_PANELS):
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
        axd.plot(w, scale * d["diff"], color=DIFF_COLOUR, lw=2, label=f"{lb} minus {la}")
        if cmp.replicates > 1:
            axd.fill_between(w, scale * d["ci_low"], scale * d["ci_high"], color=DIFF_COLOUR,
                             alpha=0.25, lw=0, label=f"{pct}% confidence band (paired t)")
        axd.set_ylabel(f"Difference in {label[0].lower() + label[1:]}")
        axd.yaxis.set_major_locator(ticker.MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
        if metric == "retention":
            ax.yaxis.set_major_formatter(ticker.PercentFormatter(decimals=0))
            axd.yaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _p: f"{x:+.1f} pp"))
        elif metric == "revenue_cumulative":
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
            axd.yaxis.set_major_formatter(ticker.FuncFormatter(
                lambda x, _p: ("+" if x > 0 else "") + compact_number(x)))
        else:
            axd.yaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _p: f"{x:+.2f}"))
        for a_ in (ax, axd):
            a_.grid(True, alpha=0.3)
            a_.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
        if i == 0:
            ax.set_title("The two strategies (mean of replicates; band: min-max)", fontsize=10)
            axd.set_title("Difference, same consumers and random draws", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("Week")
    h1, l1 = axes[0][0].get_legend_handles_labels()
    h2, l2 = axes[0][1].get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncols=len(l1 + l2), fontsize=9,
               frameon=False)
    fig.suptitle(f"{lb} vs {la}: {cmp.replicates} paired replicate"
                 f"{'s' if cmp.replicates != 1 else ''}", fontweight="bold")
    return fig


# --------------------------------------------------------------------------- writing


def save_figure(fig: Figure, folder: str | Path, stem: str,
                formats: Sequence[str] = FORMATS) -> list[Path]:
    """Save a figure as ``<stem>.png`` / ``<stem>.svg``, each written atomically.

    Args:
        fig: The figure.
        folder: Target folder (created if missing).
        stem: File name without suffix.
        formats: File formats.

    Returns:
        The written paths.
    """
    out = []
    for fmt in formats:
        path = Path(folder) / f"{stem}.{fmt}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=_DPI)
        out.append(path)
    return out


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
    from sim.model import TrustModel

    model = TrustModel(scenario, rng=scenario.run.seed)
    model.setup()
    return model.adjacency


def rebuild_report(folder: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Rebuild the figures and ``summary.json`` of a results folder from its tables.

    The network is rebuilt from ``scenario.toml`` (the same seed gives the same
    graph); if that fails (e.g. a moved edge-list file) the network figure is
    skipped.

    Args:
        folder: A folder written by ``trustsim run`` / :func:`sim.output.write_run`.
        formats: Figure formats.

    Returns:
        The written paths.

    Raises:
        FileNotFoundError: If the folder is not a results folder.
        ScenarioError: If its ``scenario.toml`` is invalid.
    """
    from sim.errors import ScenarioError
    from sim.output import FIGURES, SUMMARY, read_run, write_json
    from sim.results import summarise

    saved = read_run(folder)
    try:
        network = rebuild_network(saved.scenario)
    except (ScenarioError, OSError):
        network = None
    doc = dict(saved.document)
    doc["summary"] = summarise(saved.weekly, len(saved.consumers))
    if not saved.survey.empty:
        doc["survey"] = saved.survey.to_dict(orient="records")
    doc.setdefault("meta", dict(saved.weekly.attrs))
    written = [write_json(saved.folder / SUMMARY, doc)]
    res = SimpleNamespace(weekly=saved.weekly, consumers=saved.consumers,
                          scenario=saved.scenario, network=network)
    written += write_figures(res, saved.folder / FIGURES, formats)
    return written
