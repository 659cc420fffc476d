"""Matplotlib figures of the dashboard, drawn from the weekly table.

Each function returns a :class:`matplotlib.figure.Figure` made without
``pyplot`` (no global state, safe from the server's threads). The x axis
spans the whole run from the first week, so a chart grows in place as the
run plays; incident weeks are marked on every panel.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.markets import SEGMENTS
from sim.network_figure import CAUSE_STYLE as RUN_CAUSE_STYLE

SEGMENT_COLOURS = {"fundamentalist": "#d62728", "pragmatist": "#1f77b4", "unconcerned": "#2ca02c"}
INCIDENT_STYLE = {"color": "#7f7f7f", "linestyle": "--", "linewidth": 1.0}
SIZE = (9.0, 5.6)
DPI = 72
MARGINS = {"left": 0.08, "right": 0.92, "top": 0.94, "bottom": 0.09, "wspace": 0.42,
           "hspace": 0.25}
"""Fixed margins: a constrained layout would double the cost of a redraw."""


def _mark_incidents(ax, incident_weeks: Sequence[int]) -> None:
    for w in incident_weeks:
        ax.axvline(w, **INCIDENT_STYLE)


def _frame_axes(ax, weeks: int, title: str) -> None:
    ax.set_xlim(0, max(weeks - 1, 1))
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)


def weekly_figure(
    weekly: pd.DataFrame, weeks: int, incident_weeks: Sequence[int] = ()
) -> Figure:
    """The four weekly panels: customers and churn, trust by segment, crossing, revenue.

    Args:
        weekly: The weekly table so far (:meth:`sim.recorder.WeeklyRecorder.frame`).
        weeks: Weeks of the whole run (the x range).
        incident_weeks: Weeks with an incident (dashed lines).

    Returns:
        The figure.
    """
    fig = Figure(figsize=SIZE, dpi=DPI)
    fig.subplots_adjust(**MARGINS)
    (a1, a2), (a3, a4) = fig.subplots(2, 2, sharex=True)
    w = weekly["week"].to_numpy() if len(weekly) else np.array([])

    _frame_axes(a1, weeks, "Customers and churn")
    if len(w):
        a1.plot(w, weekly["customers"], color="#1f77b4", label="customers")
        a1.set_ylabel("customers", fontsize=8)
        t1 = a1.twinx()
        t1.step(w, weekly["churned"], where="mid", color="#ff7f0e", label="churned this week")
        t1.set_ylabel("churned / week", fontsize=8)
        t1.tick_params(labelsize=8)

    _frame_axes(a2, weeks, "Trust by privacy segment (median, 10-90%)")
    a2.set_ylim(0, 1)
    for name in SEGMENTS:
        if not len(w):
            break
        c = SEGMENT_COLOURS.get(name)
        a2.fill_between(w, weekly[f"trust_p10_{name}"], weekly[f"trust_p90_{name}"],
                        color=c, alpha=0.15, linewidth=0)
        a2.plot(w, weekly[f"trust_p50_{name}"], color=c, label=name)
    if len(w):
        a2.legend(fontsize=7, loc="lower left")

    _frame_axes(a3, weeks, "Crossing the line and complaints")
    if len(w):
        a3.plot(w, 100 * weekly["crossed_share"], color="#9467bd", label="crossed (% of reached)")
        a3.set_ylabel("% of reached", fontsize=8)
        t3 = a3.twinx()
        t3.plot(w, weekly["complaints"], color="#8c564b", label="complaints")
        t3.set_ylabel("complaints / week", fontsize=8)
        t3.tick_params(labelsize=8)

    _frame_axes(a4, weeks, "Revenue")
    if len(w):
        a4.step(w, weekly["revenue"], where="mid", color="#17becf", label="per week")
        a4.set_ylabel("per week", fontsize=8)
        t4 = a4.twinx()
        t4.plot(w, weekly["revenue_cumulative"], color="#000000", label="cumulative")
        t4.set_ylabel("cumulative", fontsize=8)
        t4.tick_params(labelsize=8)
    for ax in (a1, a2, a3, a4):
        _mark_incidents(ax, incident_weeks)
    a3.set_xlabel("week", fontsize=8)
    a4.set_xlabel("week", fontsize=8)
    return fig


class BlitChart:
    """Line panels redrawn cheaply week after week (matplotlib blitting).

    Axes, ticks, labels and static marks are drawn once into a background
    image; a redraw restores it and draws only the data lines on top, then
    encodes the PNG. The background is redrawn only when a series leaves its
    axis limits (which grow with headroom, so that happens a few times per
    run). A full redraw of a figure of several axes costs hundreds of
    milliseconds; a blitted one a few tens (``benchmarks/bench_dashboard.py``).

    Args:
        figure: The figure, axes and static artists in place.
        series: ``(axis, column, scale, colour, drawstyle)`` per line: the
            line draws ``scale * frame[column]`` against ``frame["week"]``.
        extent: Optional ``{column: (low, high)}`` the axis of that column must
            show as well (e.g. a band drawn in the background).
    """

    HEADROOM = 0.5
    """Share of a series' span (at least a fifth of its size) added on each side when
    its axis limits must grow: limits grow geometrically, so the background is redrawn
    a handful of times per run, not every week."""

    def __init__(self, figure: Figure, series: Sequence[tuple[Any, str, float, str, str]],
                 extent: dict[str, tuple[float, float]] | None = None) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self._series = list(series)
        self._lines = [ax.plot([], [], color=c, drawstyle=d, animated=True)[0]
                       for ax, _, _, c, d in self._series]
        self._extent = extent or {}
        self._background = None
        self._fitted: set[str] = set()

    def _fit_limits(self, frame: pd.DataFrame) -> bool:
        """Grow the axis limits that no longer fit their series; True if any changed."""
        changed = False
        for ax, col, scale, *_ in self._series:
            y = frame[col].to_numpy(dtype=np.float64) * scale
            lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
            if col in self._extent:
                lo, hi = min(lo, self._extent[col][0]), max(hi, self._extent[col][1])
            cur_lo, cur_hi = ax.get_ylim()
            if lo < cur_lo or hi > cur_hi or col not in self._fitted:
                pad = self.HEADROOM * max(hi - lo, 0.2 * abs(hi), 1e-9)
                ax.set_ylim(max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad)
                self._fitted.add(col)
                changed = True
        return changed

    def _draw_more(self, frame: pd.DataFrame, w: np.ndarray) -> None:
        """Draw animated artists beyond the lines (none here)."""

    def render(self, frame: pd.DataFrame) -> bytes:
        """The chart of the table so far, as PNG bytes.

        Args:
            frame: One row per week, with ``week`` and the series' columns.

        Returns:
            PNG image data.
        """
        if len(frame) and self._fit_limits(frame):
            self._background = None
        if self._background is None:
            self.canvas.draw()  # animated artists are left out
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        if len(frame):
            w = frame["week"].to_numpy()
            for line, (ax, col, scale, *_) in zip(self._lines, self._series, strict=True):
                line.set_data(w, frame[col].to_numpy(dtype=np.float64) * scale)
                ax.draw_artist(line)
            self._draw_more(frame, w)
        return _png(self.canvas)


class LiveWeeklyChart(BlitChart):
    """The four weekly panels of :func:`weekly_figure`, blitted (see :class:`BlitChart`).

    Args:
        weeks: Weeks of the whole run (the x range).
        incident_weeks: Weeks with an incident (dashed lines).
    """

    def __init__(self, weeks: int, incident_weeks: Sequence[int] = ()) -> None:
        fig = weekly_figure(pd.DataFrame(), weeks, incident_weeks)
        a1, a2, a3, a4 = fig.axes[:4]
        t1, t3, t4 = a1.twinx(), a3.twinx(), a4.twinx()
        for ax in (t1, t3, t4):
            ax.tick_params(labelsize=8)
        a1.set_ylabel("customers (blue)", fontsize=8)
        t1.set_ylabel("churned / week (orange)", fontsize=8)
        a3.set_ylabel("crossed, % of reached (purple)", fontsize=8)
        t3.set_ylabel("complaints / week (brown)", fontsize=8)
        a4.set_ylabel("per week (cyan)", fontsize=8)
        t4.set_ylabel("cumulative (black)", fontsize=8)
        super().__init__(fig, [
            (a1, "customers", 1.0, "#1f77b4", "default"),
            (t1, "churned", 1.0, "#ff7f0e", "steps-mid"),
            (a3, "crossed_share", 100.0, "#9467bd", "default"),
            (t3, "complaints", 1.0, "#8c564b", "default"),
            (a4, "revenue", 1.0, "#17becf", "steps-mid"),
            (t4, "revenue_cumulative", 1.0, "#000000", "default"),
        ])
        self._trust_ax = a2
        self._medians = [a2.plot([], [], color=SEGMENT_COLOURS.get(name), animated=True)[0]
                         for name in SEGMENTS]
        handles = [a2.plot([], [], color=SEGMENT_COLOURS.get(n), label=n)[0] for n in SEGMENTS]
        a2.legend(handles=handles, fontsize=7, loc="lower left")

    def _draw_more(self, frame: pd.DataFrame, w: np.ndarray) -> None:
        """Trust bands and medians per segment (the trust axis is fixed to [0, 1])."""
        a2 = self._trust_ax
        for line, name in zip(self._medians, SEGMENTS, strict=True):
            band = a2.fill_between(w, frame[f"trust_p10_{name}"], frame[f"trust_p90_{name}"],
                                   color=SEGMENT_COLOURS.get(name), alpha=0.15, linewidth=0,
                                   animated=True)
            a2.draw_artist(band)
            band.remove()
            line.set_data(w, frame[f"trust_p50_{name}"])
            a2.draw_artist(line)


class LiveDifferenceChart(BlitChart):
    """The B - A panels of :func:`difference_figure`, blitted (see :class:`BlitChart`).

    Args:
        columns: Metrics to draw (one panel each).
        weeks: Weeks of the whole run.
        band: Paired intervals of replicated runs (``Comparison.weekly``), or None.
        incident_weeks: Weeks with an incident.
    """

    def __init__(self, columns: Sequence[str], weeks: int, band: pd.DataFrame | None = None,
                 incident_weeks: Sequence[int] = ()) -> None:
        empty = pd.DataFrame({"week": [], **{c: [] for c in columns}})
        fig = difference_figure(empty, weeks, band, incident_weeks)
        extent = {}
        if band is not None:
            for col, grp in band.groupby("metric"):
                extent[str(col)] = (float(grp["ci_low"].min()), float(grp["ci_high"].max()))
        super().__init__(fig, [(ax, col, 1.0, "#1f77b4", "default")
                               for ax, col in zip(fig.axes, columns, strict=False)], extent)


def _png(canvas) -> bytes:
    """The canvas's current pixels as PNG (fast zlib level: the image is sent, not stored)."""
    from PIL import Image

    buf = io.BytesIO()
    w, h = canvas.get_width_height()
    Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buf, format="png", compress_level=1)
    return buf.getvalue()


DIFF_TITLES = {
    "customers": "Customers, B - A",
    "mean_trust": "Mean trust, B - A",
    "revenue_cumulative": "Cumulative revenue, B - A",
    "complaints": "Complaints per week, B - A",
}


def difference_figure(
    diff: pd.DataFrame,
    weeks: int,
    band: pd.DataFrame | None = None,
    incident_weeks: Sequence[int] = (),
) -> Figure:
    """The weekly ``B - A`` difference of each metric, with the paired band if known.

    Args:
        diff: From :meth:`sim.dashboard.session.PairedRun.difference`.
        weeks: Weeks of the whole run.
        band: ``Comparison.weekly`` of replicated runs (``metric``, ``week``,
            ``diff``, ``ci_low``, ``ci_high``), or None.
        incident_weeks: Weeks with an incident.

    Returns:
        The figure.
    """
    cols = [c for c in diff.columns if c != "week"]
    fig = Figure(figsize=(SIZE[0], 2.4 * ((len(cols) + 1) // 2)), dpi=DPI)
    fig.subplots_adjust(**MARGINS)
    axes = np.atleast_1d(fig.subplots((len(cols) + 1) // 2, 2, sharex=True)).ravel()
    for ax, col in zip(axes, cols, strict=False):
        _frame_axes(ax, weeks, DIFF_TITLES.get(col, f"{col}, B - A"))
        ax.axhline(0, color="black", linewidth=0.8)
        if band is not None and col in set(band["metric"]):
            b = band[band["metric"] == col].sort_values("week")
            ax.fill_between(b["week"], b["ci_low"], b["ci_high"], color="#1f77b4", alpha=0.2,
                            linewidth=0, label="paired 95% interval (replicates)")
            ax.legend(fontsize=7, loc="best")
        if len(diff):
            ax.plot(diff["week"], diff[col], color="#1f77b4")
        _mark_incidents(ax, incident_weeks)
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    return fig


CAUSE_STYLE = {"customer": ("o", None)} | {
    text: (marker, colour) for marker, colour, text in RUN_CAUSE_STYLE.values()
}
"""Marker and edge colour by label: customers, then churners by their recorded cause
(the same markers, colours and words as the run's network figure)."""


class LiveNetworkChart:
    """A sampled neighbourhood: nodes coloured by trust, churners marked by cause.

    Edges, axes, colour bar and legend are drawn once into a background image
    (the layout is fixed for a sample); a redraw restores it and draws only the
    nodes, whose colours and markers change week by week.

    Args:
        pos: ``(k, 2)`` positions of the sampled consumers.
        edges: ``(m, 2)`` edges between them, as indices into ``pos``.
    """

    def __init__(self, pos: np.ndarray, edges: np.ndarray) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.cm import ScalarMappable
        from matplotlib.collections import LineCollection
        from matplotlib.colors import Normalize
        from matplotlib.lines import Line2D

        self.pos = pos
        self.figure = Figure(figsize=(6.0, 5.4), dpi=DPI)
        self.figure.subplots_adjust(left=0.02, right=0.98, top=0.93, bottom=0.02)
        self.canvas = FigureCanvasAgg(self.figure)
        ax = self.ax = self.figure.subplots()
        ax.set_axis_off()
        pad = 0.05 * max(float(np.ptp(pos)), 1e-9) if len(pos) else 1.0
        if len(pos):
            ax.set_xlim(pos[:, 0].min() - pad, pos[:, 0].max() + pad)
            ax.set_ylim(pos[:, 1].min() - pad, pos[:, 1].max() + pad)
        if len(edges):
            ax.add_collection(LineCollection(pos[edges], colors="#bbbbbb", linewidths=0.4))
        self.norm = Normalize(0.0, 1.0)
        self.figure.colorbar(ScalarMappable(self.norm, "RdYlGn"), ax=ax, shrink=0.7,
                             label="trust")
        ax.legend(handles=[Line2D([], [], marker=m, linestyle="", color="#999999",
                                  markeredgecolor=e or "none", label=name)
                           for name, (m, e) in CAUSE_STYLE.items()],
                  fontsize=7, loc="lower left")
        ax.set_title(f"{len(pos)} consumers around a seed consumer", fontsize=10)
        self._background = None

    def render(self, trust: np.ndarray, cause: Sequence[str]) -> bytes:
        """The sample with this week's trust and churners, as PNG bytes.

        Args:
            trust: Trust of each sampled consumer.
            cause: ``"customer"`` or the churn cause of each (:data:`CAUSE_STYLE` keys).

        Returns:
            PNG image data.
        """
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        cause_arr = np.asarray(cause)
        for name, (marker, edge) in CAUSE_STYLE.items():
            m = cause_arr == name
            if not m.any():
                continue
            sc = self.ax.scatter(self.pos[m, 0], self.pos[m, 1], c=trust[m], cmap="RdYlGn",
                                 norm=self.norm, marker=marker,
                                 s=28 if name == "customer" else 60,
                                 edgecolors=edge or "none", linewidths=0.6, animated=True)
            self.ax.draw_artist(sc)
            sc.remove()
        return _png(self.canvas)


def sweep_figure(table: pd.DataFrame, kpi: str, x: str, y: str | None = None) -> Figure:
    """A sweep's KPI over one factor (line with 95% intervals) or two (heatmap).

    Args:
        table: From :func:`sim.dashboard.sweeps.kpi_table`: ``x`` (and ``y``)
            and ``mean``, ``lo``, ``hi``.
        kpi: KPI name, for the labels.
        x: Factor on the x axis.
        y: Second factor (rows of the heatmap), or None for a line chart.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(7.0, 4.2), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    if y is None:
        labels = [str(v) for v in table[x]]
        pos = np.arange(len(table))
        ax.errorbar(pos, table["mean"], yerr=[table["mean"] - table["lo"],
                                              table["hi"] - table["mean"]],
                    marker="o", capsize=3)
        ax.set_xticks(pos, labels, fontsize=8)
        ax.set_xlabel(x)
        ax.set_ylabel(kpi)
        ax.grid(alpha=0.3)
    else:
        grid = table.pivot(index=y, columns=x, values="mean")
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis",
                       origin="lower")
        ax.set_xticks(range(grid.shape[1]), [str(v) for v in grid.columns], fontsize=8)
        ax.set_yticks(range(grid.shape[0]), [str(v) for v in grid.index], fontsize=8)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white")
        fig.colorbar(im, ax=ax, label=kpi)
    ax.set_title(f"{kpi} (mean over replicates" + (", 95% interval)" if y is None else ")"),
                 fontsize=10)
    return fig
