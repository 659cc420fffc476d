"""Shared style of every figure, and saving figures atomically.

Figures are built through matplotlib's object-oriented API (no ``pyplot``, no
global state, no window), so they are safe in scripts, tests and worker
processes; :func:`save_figure` writes PNG and SVG atomically.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.config import Scenario
from sim.files import atomic_path

FORMATS = ("png", "svg")
SEGMENT_LABELS = {
    "fundamentalist": "Privacy fundamentalists",
    "pragmatist": "Pragmatists",
    "unconcerned": "Unconcerned",
}
SEGMENT_COLOURS = {"fundamentalist": "#c0392b", "pragmatist": "#2471a3", "unconcerned": "#229954"}
A_COLOUR, B_COLOUR, DIFF_COLOUR = "#2471a3", "#d35400", "#6c3483"
INCIDENT_COLOUR = "#b03a2e"

DPI = 130
"""Resolution of every figure."""


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


def step_decimals(locs: Sequence[float]) -> int:
    """Decimals that tell ticks ``locs`` apart: 0 for steps of 1 or more, 1 for 0.5, 2 for 0.25."""
    vals = sorted({float(v) for v in locs})
    steps = [b - a for a, b in itertools.pairwise(vals) if b - a > 0]
    if not steps:
        return 0
    step = min(steps)
    for d in range(7):
        if abs(step * 10**d - round(step * 10**d)) < 1e-6 * max(1.0, step * 10**d):
            return d
    return max(0, 1 - math.floor(math.log10(step)))


class StepFormatter(ticker.Formatter):
    """Tick labels with as many decimals as the tick step needs, never more.

    Args:
        suffix: Text after the number (``"%"``, ``" pp"``).
        signed: Write ``+`` before positive numbers.
        scale: Multiply values by this before writing them.
    """

    def __init__(self, suffix: str = "", signed: bool = False, scale: float = 1.0) -> None:
        self.suffix, self.signed, self.scale = suffix, signed, scale
        self.ticks: list[float] = []

    def set_locs(self, locs: Sequence[float]) -> None:
        """Remember the tick positions (matplotlib calls this before labelling them)."""
        self.ticks = [float(v) for v in locs]

    def __call__(self, x: float, pos: Any = None) -> str:
        """The label of the tick at ``x``."""
        d = step_decimals([self.scale * v for v in self.ticks])
        v = self.scale * x
        if abs(v) < 0.5 * 10**-d:  # zero: never "-0" or "+0"
            return f"{0:.{d}f}{self.suffix}"
        return f"{v:{'+' if self.signed else ''}.{d}f}{self.suffix}"


def nice_ticks(ax: Axes, axis: str = "y", nbins: int = 8) -> None:
    """Ticks at 1, 2 or 5 times a power of ten, so that labels and gridlines agree."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 5, 10]))


def note_axis_origin(ax: Axes, fmt: Any = None) -> bool:
    """Say in the y label when an axis of positive values does not start at zero.

    A line chart of counts cut above zero makes small changes look large; a
    second line of the axis label says where the axis starts.

    Args:
        ax: The axis (after drawing, so that its limits are final).
        fmt: Formatter of the start value (default: :func:`compact_number`).

    Returns:
        Whether the note was added.
    """
    lo, hi = ax.get_ylim()
    if lo <= 0 or hi <= 0:
        return False
    note = f"axis starts at {(fmt or compact_number)(lo)}, not 0"
    label = ax.get_ylabel()
    ax.set_ylabel(f"{label}\n{note}" if label else note)
    return True


def thousands(x: float, _pos: Any = None) -> str:
    """Format a number with thousands separators (an axis formatter)."""
    return f"{x:,.0f}"


def fig_title(scenario: Scenario | None, what: str) -> str:
    """A figure title naming the scenario, if there is one."""
    return f"{what}: {scenario.name}" if scenario is not None else what


def fig_caption(fig: Figure, text: str) -> None:
    """A small note under the figure (a supxlabel, so the layout makes room for it)."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize=7.5, color="#555555")


def incident_events(scenario: Scenario | None) -> list[Any]:
    """The scenario's incidents within the run (none without a scenario)."""
    if scenario is None or not scenario.incidents.enabled:
        return []
    return [e for e in scenario.incidents.events if e.week < scenario.run.weeks]


def mark_incidents(axes: Iterable[Axes], scenario: Scenario | None, label_axis: Axes,
                    short: bool = False) -> bool:
    """Draw a dashed line at each incident week; label them on ``label_axis``.

    Labels do not take part in the layout; one in the right third of the axis
    is written to the left of its line so that it stays inside the panel.
    """
    events = incident_events(scenario)
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


def incident_handle() -> Line2D:
    """A legend entry for the incident lines."""
    return Line2D([], [], color=INCIDENT_COLOUR, ls="--", lw=1.2, label="data incident")


def week_axis(ax: Axes, weekly: pd.DataFrame) -> None:
    """Label and limit an axis to the run's weeks, with a light grid."""
    weeks = weekly["week"].to_numpy()
    if weeks.size:
        ax.set_xlim(weeks.min() - 0.5, weeks.max() + 0.5)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
    ax.set_xlabel("Week")
    ax.grid(True, alpha=0.3)


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
            fig.savefig(tmp, format=fmt, dpi=DPI)
        out.append(path)
    return out
