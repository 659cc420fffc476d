"""The network figure marks churners by cause, with a legend that names each cause."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection

import sim
from sim.mechanisms.churn import CHURN_CAUSES
from sim.network_figure import CAUSE_STYLE, LEFT_STYLE, churner_groups, fig_network
from tests.helpers import small


@pytest.fixture(scope="module")
def run() -> sim.RunResult:
    return sim.run(small(**{
        "population.size": 1500, "strategy.escalation.level": "personal",
        "incidents.enabled": True, "incidents.share_prob": 0.15,
        "incidents.events": [{"week": 4, "severity": 0.8, "responsible": False,
                              "media_reach": 0.5}]}))


def legend_texts(fig) -> list[str]:
    legend = fig.axes[0].get_legend()
    assert legend.get_bbox_to_anchor().y1 <= fig.axes[0].bbox.y0 + 1  # below: hides no one
    return [t.get_text() for t in legend.get_texts()]


def test_every_cause_has_its_own_marker_colour_and_words():
    assert len({m for m, _, _ in CAUSE_STYLE.values()}) == len(CAUSE_STYLE)
    assert len({c for _, c, _ in CAUSE_STYLE.values()}) == len(CAUSE_STYLE)
    assert set(CAUSE_STYLE) == set(CHURN_CAUSES)


def test_legend_names_each_cause_present_with_its_count(run):
    fig = fig_network(run.network, run.consumers, run.scenario, size=300)
    texts = legend_texts(fig)
    nodes_drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections
                      if isinstance(c, PathCollection))
    assert nodes_drawn == 300
    counts = [int(t.rsplit("(", 1)[1].rstrip(")")) for t in texts if t != "friendship"]
    assert sum(counts) == 300  # customers plus churners of each cause
    assert texts[0].startswith("customer (")
    left = [t for t in texts if t.startswith("left: ")]
    shown = {name for name, (_, _, words) in CAUSE_STYLE.items()
             if any(t.startswith(f"left: {words} (") for t in left)}
    assert len(left) == len(shown) >= 3
    assert {"background", "crossing"} <= shown
    caption = fig._supxlabel.get_text()
    assert "not word of mouth" in caption and "competing risks" in caption


def test_churner_groups_follow_the_recorded_causes(run):
    nodes = np.arange(len(run.consumers))
    groups = churner_groups(run.consumers, nodes)
    by_words = {style[2]: who for style, who in groups}
    for name, (_, _, words) in CAUSE_STYLE.items():
        expected = (run.consumers["churn_cause"] == name).to_numpy()
        if expected.any():
            np.testing.assert_array_equal(by_words[words], expected)
        else:
            assert words not in by_words


def test_a_table_without_causes_marks_churners_alike(run):
    old = run.consumers.drop(columns="churn_cause")
    fig = fig_network(run.network, old, run.scenario, size=200)
    left = [t for t in legend_texts(fig) if t.startswith("left: ")]
    assert len(left) == 1 and left[0].startswith(f"left: {LEFT_STYLE[2]} (")


def test_caption_counts_every_churner_by_cause(run):
    from sim.network_figure import SHORT_CAUSE, everyone_by_cause

    assert set(SHORT_CAUSE) == set(CAUSE_STYLE) == set(CHURN_CAUSES)

    text = everyone_by_cause(run.consumers)
    left = run.consumers[~run.consumers["customer"]]
    assert text.startswith(f"\nAll {len(left):,} who left, by cause: ")
    for cause, k in left["churn_cause"].astype(object).value_counts().items():
        assert f"{k:,} {SHORT_CAUSE[cause]}" in text
    caption = fig_network(run.network, run.consumers, run.scenario)._supxlabel.get_text()
    assert caption.endswith(text)
    assert everyone_by_cause(run.consumers.drop(columns="churn_cause")) == ""
