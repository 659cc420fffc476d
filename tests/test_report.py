"""Figures: content, readability (no overlapping text), files, and the network sample."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

import sim
from sim import report
from sim.compare import compare
from tests.helpers import SCENARIOS

RUN_FIGURES = ("customers_churn", "trust_by_segment", "crossing_complaints", "revenue", "network")


@pytest.fixture(scope="module")
def breach():
    sc = sim.load_scenario(SCENARIOS / "data_breach.toml",
                           {"population.size": 3000, "run.weeks": 30,
                            "incidents.events.0.week": 12})
    return sim.run(sc)


@pytest.fixture(scope="module")
def adaptive():
    return sim.run(sim.load_scenario(SCENARIOS / "adaptive_backoff.toml",
                                     {"population.size": 3000}))


def _drawn_texts(fig: Figure) -> list[Text]:
    """Texts that are really drawn (not tick labels of hidden axes or outside the view)."""
    hidden = set()
    for ax in fig.axes:
        for axis, lim, k in ((ax.xaxis, ax.get_xlim(), 0), (ax.yaxis, ax.get_ylim(), 1)):
            lo, hi = min(lim), max(lim)
            off = not ax.axison or not axis.get_visible()
            for t in axis.get_ticklabels():
                if off or not lo - 1e-9 <= t.get_position()[k] <= hi + 1e-9:
                    hidden.add(id(t))
    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def _text_problems(fig: Figure) -> list[str]:
    """Pairs of drawn texts that overlap, and texts that leave the figure."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    page = fig.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
    bad = []
    for text, b in boxes:
        if b.x0 < page.x0 - 1 or b.x1 > page.x1 + 1 or b.y0 < page.y0 - 1 or b.y1 > page.y1 + 1:
            bad.append(f"outside the figure: {text!r}")
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        if w > 1 and h > 1:
            bad.append(f"overlap: {ta!r} / {tb!r}")
    return bad


def test_overlap_checker_catches_overlaps():
    fig = Figure(figsize=(4, 3))
    fig.text(0.5, 0.5, "first label")
    fig.text(0.52, 0.5, "second label")
    fig.text(0.95, 0.5, "runs off the edge")
    problems = _text_problems(fig)
    assert any("overlap" in p for p in problems)
    assert any("outside" in p for p in problems)


@pytest.mark.slow
def test_run_figures_are_complete_and_readable(breach, adaptive):
    for res in (breach, adaptive):
        figs = report.run_figures(res.weekly, res.consumers, res.scenario, res.network)
        assert tuple(figs) == RUN_FIGURES
        for name, fig in figs.items():
            assert res.scenario.name in fig.get_suptitle(), name
            assert _text_problems(fig) == [], name
            for ax in fig.axes:
                if ax.axison and ax.get_lines() + ax.patches + ax.collections:
                    assert ax.get_ylabel() or name == "trust_by_segment", (name, ax.get_title())


def test_incidents_are_marked_only_when_there_are_some(breach, adaptive):
    def incident_lines(fig: Figure) -> list[Line2D]:
        return [ln for ax in fig.axes for ln in ax.get_lines()
                if ln.get_color() == report.INCIDENT_COLOUR and ln.get_xdata()[0] == 12]

    fig = report.fig_customers(breach.weekly, breach.scenario)
    assert len(incident_lines(fig)) == 2  # both panels
    texts = " ".join(t.get_text() for t in _drawn_texts(fig))
    assert "severity 0.8" in texts and "irresponsibly" in texts
    assert "data incident" in texts  # legend
    assert incident_lines(report.fig_customers(adaptive.weekly, adaptive.scenario)) == []


def test_trust_figure_has_a_band_and_median_per_segment(breach):
    fig = report.fig_trust(breach.weekly, breach.scenario, breach.consumers)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 3
    for ax, seg in zip(panels, ("fundamentalist", "pragmatist", "unconcerned"), strict=True):
        assert ax.get_ylim() == (0.0, 1.0)
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) == 1
        median = ax.get_lines()[0]
        np.testing.assert_allclose(median.get_ydata(), breach.weekly[f"trust_p50_{seg}"])
        assert "% of consumers" in ax.get_title()


def test_crossing_figure_shows_level_names(adaptive):
    fig = report.fig_crossing(adaptive.weekly, adaptive.scenario)
    level_axis = next(ax for ax in fig.axes if ax.get_ylabel() == "Personalisation level")
    names = [t.get_text() for t in level_axis.get_yticklabels()]
    assert names == [lv.name for lv in adaptive.scenario.strategy.ladder]
    texts = " ".join(t.get_text() for t in _drawn_texts(fig))
    assert "per 1,000 customers" in texts  # the adaptive rule is explained


def test_revenue_figure_values(breach):
    fig = report.fig_revenue(breach.weekly, breach.scenario)
    cum = next(ax for ax in fig.axes if ax.get_title() == "Cumulative revenue")
    np.testing.assert_allclose(cum.get_lines()[0].get_ydata(),
                               breach.weekly["revenue_cumulative"])
    weekly = next(ax for ax in fig.axes if ax.get_title() == "Weekly revenue")
    heights = [p.get_height() for p in weekly.patches]
    np.testing.assert_allclose(heights, breach.weekly["revenue"])


def test_network_sample_is_a_connected_neighbourhood():
    n = 2000
    rng = np.random.default_rng(1)
    adj = sim.network.watts_strogatz(n, 6, 0.05, rng)
    churned = np.zeros(n, dtype=bool)
    churned[[500, 501, 502, 1500]] = True
    nodes = report.network_sample(adj, churned, 300)
    assert len(nodes) == 300 and len(np.unique(nodes)) == 300
    assert 501 in nodes  # starts at the churned consumer with most churned friends
    sub = sp.csr_array(adj)[nodes][:, nodes]
    n_comp, _ = sp.csgraph.connected_components(sub, directed=False)
    assert n_comp == 1
    np.testing.assert_array_equal(nodes, report.network_sample(adj, churned, 300))


def test_network_sample_small_and_edgeless():
    assert list(report.network_sample(sim.network.empty_graph(5), np.zeros(5, bool), 300)) == [
        0, 1, 2, 3, 4]
    nodes = report.network_sample(sim.network.empty_graph(1000), np.zeros(1000, bool), 10)
    assert list(nodes) == list(range(10))


@pytest.mark.slow
def test_network_figure_for_a_tiny_population():
    sc = sim.load_scenario(SCENARIOS / "baseline.toml",
                           {"population.size": 60, "network.mean_degree": 4})
    res = sim.run(sc)
    fig = report.fig_network(res.network, res.consumers, res.scenario)
    ax = fig.axes[0]
    assert "60 neighbouring consumers of 60" in ax.get_title()
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == 60  # customers + churned
    assert _text_problems(fig) == []


@pytest.mark.slow
def test_compare_figure_side_by_side():
    cmp = compare(SCENARIOS / "escalation_ramp.toml", SCENARIOS / "transparent_brand.toml",
                  replicates=2, overrides={"population.size": 1500, "run.weeks": 15})
    fig = report.fig_compare(cmp)
    axes = [ax for ax in fig.axes if ax.get_ylabel()]
    assert len(axes) == 6
    assert "transparent_brand vs escalation_ramp" in fig.get_suptitle()
    legend = " ".join(t.get_text() for lg in fig.legends for t in lg.get_texts())
    assert "escalation_ramp" in legend and "minus" in legend and "95% confidence" in legend
    assert _text_problems(fig) == []
    diff_axes = [ax for ax in axes if "difference" in ax.get_ylabel()]
    assert len(diff_axes) == 3
    ret = cmp.weekly.query("metric == 'retention'").sort_values("week")
    np.testing.assert_allclose(diff_axes[0].get_lines()[-1].get_ydata(), 100 * ret["diff"])
    # Tick labels are their gridlines' values (they read 100% 98% 95% on 2.5-point lines).
    fig.canvas.draw()
    for ax, suffix in ((axes[0], "%"), (diff_axes[0], " pp")):
        lo, hi = ax.get_ylim()
        ticks = [t for t in ax.get_yticklabels() if lo <= t.get_position()[1] <= hi]
        shown = [float(t.get_text().replace("\u2212", "-").removesuffix(suffix)) for t in ticks]
        np.testing.assert_allclose(shown, [t.get_position()[1] for t in ticks])


@pytest.mark.slow
def test_save_figure_writes_png_and_svg_atomically(tmp_path, breach):
    fig = report.fig_revenue(breach.weekly, breach.scenario)
    paths = report.save_figure(fig, tmp_path / "figs", "revenue")
    assert [p.name for p in paths] == ["revenue.png", "revenue.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths[1].read_bytes()[:2000]
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == ["revenue.png", "revenue.svg"]


def test_rebuilt_network_is_the_runs_network(breach):
    rebuilt = report.rebuild_network(breach.scenario)
    assert (rebuilt != breach.network).nnz == 0


@pytest.mark.slow
def test_report_does_not_touch_pyplot():
    code = "import sys, sim.report, sim.cli; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "False"
