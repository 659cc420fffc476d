"""Numbers on figures as people read them: ticks on their gridlines, honest axes, signs, ties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib import ticker
from matplotlib.figure import Figure

from sim.plotting import StepFormatter, nice_ticks, note_axis_origin, step_decimals
from sim.sweep.figures import morris_bars, sobol_bars, untrustworthy


def _ticks(ax, fmt) -> tuple[list[float], list[str]]:
    lo, hi = ax.get_ylim()
    locs = [float(t) for t in ax.get_yticks() if lo <= t <= hi]
    fmt.set_locs(locs)
    return locs, [fmt(t) for t in locs]


@pytest.mark.parametrize(("locs", "decimals"), [
    ([80, 85, 90, 95, 100], 0), ([97.5, 100, 102.5], 1), ([0.1, 0.2, 0.30000000000000004], 1),
    ([0.25, 0.5], 2), ([5], 0), ([], 0),
])
def test_step_decimals(locs: list[float], decimals: int) -> None:
    assert step_decimals(locs) == decimals


def test_percent_ticks_match_their_gridlines() -> None:
    """Retention from 80% to 100% was labelled 100% 98% 95% ... on 2.5-point gridlines."""
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 51], [99.8, 80.9])
    nice_ticks(ax)
    fmt = StepFormatter("%")
    ax.yaxis.set_major_formatter(fmt)
    locs, labels = _ticks(ax, fmt)
    assert len(labels) >= 3
    # every label is its gridline's value, exactly
    np.testing.assert_allclose([float(x.rstrip("%")) for x in labels], locs)
    assert np.diff(locs)[0] in (1, 2, 5, 10)  # steps of 1, 2 or 5 times a power of ten
    signed = StepFormatter(" pp", signed=True)
    signed.set_locs([-2.0, 0.0, 2.0])
    assert [signed(x) for x in (-2.0, 0.0, 2.0)] == ["-2 pp", "0 pp", "+2 pp"]
    tenth = StepFormatter("%", scale=100)
    tenth.set_locs([0.05, 0.075, 0.1])
    assert tenth(0.075) == "7.5%"


def test_count_axes_that_do_not_start_at_zero_say_so() -> None:
    fig = Figure()
    ax, bx = fig.subplots(1, 2)
    ax.plot([0, 1], [2650, 3000])
    ax.set_ylabel("Customers")
    assert note_axis_origin(ax, ticker.FuncFormatter(lambda x, _p: f"{x:,.0f}"))
    assert ax.get_ylabel().startswith("Customers\naxis starts at 2,6")
    assert ax.get_ylabel().endswith(", not 0")
    bx.plot([0, 1], [0, 3000])
    bx.set_ylim(bottom=0)
    assert not note_axis_origin(bx)


def test_sobol_bars_mark_untrustworthy_estimates_and_clip_nothing() -> None:
    assert untrustworthy(np.array([0.4, 0.4, 1.2, -0.2, np.nan]),
                         np.array([0.05, 0.3, 0.05, 0.05, 0.01])).tolist() == [
        False, True, True, True, True]
    df = pd.DataFrame({"S1": [0.1, 0.5], "S1_conf": [0.02, 0.05],
                       "ST": [0.2, 1.25], "ST_conf": [0.03, 4.0]})
    fig = Figure()
    ax = fig.add_subplot()
    warning = sobol_bars(ax, df, ["a", "b"], samples=8)
    lo, hi = ax.get_xlim()
    assert lo <= 0 and hi >= 1.25  # the estimate above 1 is inside the axis
    assert hi < 2.0  # a huge interval does not squash the bars; an arrow marks it
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1 + 1  # ST of b, and the legend's sample patch
    assert warning.startswith("1 of 4 estimates are not trustworthy at N = 8 (a small sample")
    assert "above 1 or below 0 is estimation noise" in warning
    ok = pd.DataFrame({"S1": [0.3], "S1_conf": [0.02], "ST": [0.35], "ST_conf": [0.03]})
    assert sobol_bars(Figure().add_subplot(), ok, ["a"], samples=512) == ""


def test_morris_bars_say_a_direction_only_when_it_is_clear() -> None:
    # c: effects of both signs (|mu| < mu*/2); d: |mu| inside the noise of mu*.
    df = pd.DataFrame({"mu": [-393_300.0, 5.0, 1.0, 2.0], "mu_star": [393_300.0, 5.0, 4.0, 3.0],
                       "mu_star_conf": [1000.0, 1.0, 1.0, 2.5], "sigma": [10.0, 1.0, 3.0, 1.0]})
    fig = Figure()
    ax = fig.add_subplot()
    morris_bars(ax, df, ["a", "b", "c", "d"])
    words = [t.get_text() for t in ax.texts]
    assert words == ["lowers", "raises", "mixed or unclear", "mixed or unclear"]
    assert ax.get_xlim()[0] < -393_300  # the negative mean effect is on the axis


def test_the_escalation_curve_stars_every_tied_level(tmp_path) -> None:
    from sim.sweep import spec_from_dict
    from sim.sweep.analysis import Analysis, Sweep
    from sim.sweep.figures import fig_escalation_curve
    from tests.helpers import BASELINE

    levels = ["generic", "demographic", "interest", "behavioural", "personal"]
    spec = spec_from_dict({"base": str(BASELINE), "seed": 1, "replicates": 3,
                           "design": {"kind": "grid"}, "factors": [
                               {"key": "strategy.escalation.level", "name": "escalation",
                                "role": "lever", "values": levels}]})
    revenue = {"generic": 360_000.0, "demographic": 393_000.0, "interest": 394_000.0,
               "behavioural": 330_000.0, "personal": 200_000.0}
    noise = [0.0, 4000.0, -3000.0]  # shared by every level (common random numbers)
    results = pd.DataFrame([{"point": i, "replicate": r, "escalation": lv,
                             "revenue_cumulative": revenue[lv] + noise[r] + 50.0 * r * i}
                            for i, lv in enumerate(levels) for r in range(3)])
    design = pd.DataFrame({"point": range(5), "escalation": levels})
    an = Analysis(Sweep(tmp_path, spec, design, results, pd.DataFrame()), pd.DataFrame(),
                  None, "")
    fig = fig_escalation_curve(an)
    ax = fig.axes[0]
    stars = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert len(stars) == 1 and list(stars[0].get_xdata()) == [2, 1]  # interest, demographic
    label = ax.get_legend().get_texts()[0].get_text()
    assert "highest at interest and demographic (tied)" in label
    assert "axis starts at" in ax.get_ylabel()


def test_one_replicate_escalation_title_has_no_band_and_fits(tmp_path) -> None:
    from sim.sweep import spec_from_dict
    from sim.sweep.analysis import Analysis, Sweep
    from sim.sweep.figures import fig_escalation_curve
    from tests.helpers import BASELINE

    levels = ["generic", "demographic", "interest", "behavioural", "personal"]
    spec = spec_from_dict({"base": str(BASELINE), "seed": 1, "replicates": 1,
                           "design": {"kind": "grid"}, "factors": [
                               {"key": "strategy.escalation.level", "name": "escalation",
                                "role": "lever", "values": levels}]})
    results = pd.DataFrame([{"point": i, "replicate": 0, "escalation": lv,
                             "revenue_cumulative": 300_000.0 + 1000.0 * i}
                            for i, lv in enumerate(levels)])
    design = pd.DataFrame({"point": range(5), "escalation": levels})
    an = Analysis(Sweep(tmp_path, spec, design, results, pd.DataFrame()), pd.DataFrame(),
                  None, "")
    title = fig_escalation_curve(an).axes[0].get_title()
    assert "one replicate: no interval" in title
    assert "band" not in title  # a single replicate draws no interval band
    assert max(len(line) for line in title.splitlines()) <= 100  # wrapped, not cut off
