"""The network figure: a neighbourhood of consumers coloured by trust, churners by cause."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.config import Scenario
from sim.plotting import DPI, fig_caption, fig_title

NETWORK_SAMPLE = 300
"""Number of consumers drawn in the network figure."""

CAUSE_STYLE = {
    "contagion": ("X", "#6c3483", "friends left (contagion)"),
    "crossing": ("D", "#1f618d", "an ad crossed the line"),
    "incident": ("s", "#17202a", "incident news"),
    "trust_loss": ("^", "#85c1e9", "trust lost since the start (ads, word of mouth, news)"),
    "background": ("v", "#aab7b8", "background (would leave at their starting trust)"),
    "seed": ("*", "#f5b041", "left before week 0 (seed)"),
}
"""Marker, colour and legend text of churners by cause (``consumers["churn_cause"]``)."""
SHORT_CAUSE = {"contagion": "contagion", "crossing": "an ad crossed the line",
               "incident": "incident news", "trust_loss": "trust lost",
               "background": "background", "seed": "seed"}
"""Short words for each cause, for the caption's counts of everyone who left."""
LEFT_STYLE = ("X", "#566573", "left the brand")
"""Churners of a table without causes (saved before causes were recorded)."""


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


def churner_groups(
    consumers: pd.DataFrame, nodes: np.ndarray
) -> list[tuple[tuple[str, str, str], np.ndarray]]:
    """The drawn churners, grouped by cause.

    Args:
        consumers: Final per-consumer table (``customer``; ``churn_cause`` if recorded).
        nodes: The drawn consumers.

    Returns:
        ``(marker, colour, legend text)`` and a mask over ``nodes``, per cause
        present among them, in :data:`CAUSE_STYLE` order (one group of
        :data:`LEFT_STYLE` for a table without causes).
    """
    left = ~consumers["customer"].to_numpy(dtype=bool)[nodes]
    if "churn_cause" not in consumers.columns:
        return [(LEFT_STYLE, left)] if left.any() else []
    cause = consumers["churn_cause"].astype(object).to_numpy()[nodes]
    groups = [(style, left & (cause == name)) for name, style in CAUSE_STYLE.items()]
    return [(style, who) for style, who in groups if who.any()]


def everyone_by_cause(consumers: pd.DataFrame) -> str:
    """A caption line with every churner of the run counted by cause (not just those drawn).

    Args:
        consumers: Final per-consumer table (``customer``; ``churn_cause`` if recorded).

    Returns:
        A new line "All N who left, by cause: ..." (largest first), or ``""``
        for a table without causes or without churners.
    """
    if "churn_cause" not in consumers.columns:
        return ""
    left = ~consumers["customer"].to_numpy(dtype=bool)
    if not left.any():
        return ""
    counts = consumers.loc[left, "churn_cause"].astype(object).value_counts()
    parts = [f"{int(k):,} {SHORT_CAUSE[c]}" for c, k in counts.items() if c in SHORT_CAUSE]
    return f"\nAll {int(left.sum()):,} who left, by cause: " + ", ".join(parts) + "."


def fig_network(
    adjacency: sp.csr_array | sp.csr_matrix,
    consumers: pd.DataFrame,
    scenario: Scenario | None = None,
    size: int = NETWORK_SAMPLE,
) -> Figure:
    """The network at a glance: a neighbourhood coloured by trust, churners marked by cause.

    Args:
        adjacency: The run's adjacency.
        consumers: Final per-consumer table (``trust``, ``customer``, and
            ``churn_cause`` if recorded).
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

    fig = Figure(figsize=(9, 7.8), dpi=DPI, layout="constrained")
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
    cbar = fig.colorbar(sc, ax=ax, shrink=0.8, pad=0.01)
    cbar.set_label("Trust in the brand at the end, customers (0 = none, 1 = full)")
    handles = [
        Line2D([], [], marker="o", ls="", markerfacecolor="#f7dc6f", markeredgecolor="#333333",
               ms=7, label=f"customer ({int(stay.sum())})"),
    ]
    for style, who in churner_groups(consumers, nodes):
        marker, colour, text = style
        ax.scatter(xy[who, 0], xy[who, 1], marker=marker, s=70 if marker == "*" else 48,
                   c=colour, edgecolors="black", linewidths=0.6, zorder=3)
        handles.append(Line2D([], [], marker=marker, ls="", markerfacecolor=colour,
                              markeredgecolor="black", ms=8,
                              label=f"left: {text} ({int(who.sum())})"))
    handles.append(Line2D([], [], color="#b3b6b7", lw=1, label="friendship"))
    # outside the drawing, so that it hides no consumer
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2,
              fontsize=8, frameon=False)
    ax.set_axis_off()
    if len(xy):
        pad = 0.05
        ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
        ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)
    n = len(trust)
    ax.set_title(
        f"{len(nodes)} neighbouring consumers of {n:,} (mean trust here "
        f"{trust[nodes].mean():.2f}, everyone {trust.mean():.2f})", fontsize=10)
    fig_caption(fig, "Neighbourhood grown friend by friend from the churned consumer with the most "
                "churned friends; colour = final trust of customers; marker = why a churner left."
                "\nBackground = the weekly attrition a customer has at their starting trust, not "
                "word of mouth; trust lost = the extra hazard since their trust fell.\nWhere "
                "several causes acted in the same week, one was drawn in proportion to its hazard "
                "(competing risks)." + everyone_by_cause(consumers))
    fig.suptitle(fig_title(scenario, "Word of mouth at a glance"), fontweight="bold")
    return fig
