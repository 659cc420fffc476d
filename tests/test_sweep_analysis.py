"""Sensitivity analysis through the sweep machinery, against known answers; figures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.sweep import SweepError, run_sweep
from sim.sweep.analyze import analyze_sweep, load_sweep, sobol_indices
from sim.sweep.runners import RunTask
from tests.helpers import BASELINE, cli

PI = math.pi


def linear(task: RunTask) -> dict[str, float]:
    """Return y = 3 a - 2 b + 0 c: elementary effects per full range are 3, -4 and 0."""
    v = task.values
    return {"y": 3.0 * v["a"] - 2.0 * v["b"] + 0.0 * v["c"]}


def broken_ishigami(task: RunTask) -> dict[str, float]:
    if task.point == 7:
        raise RuntimeError("solver diverged")
    from sim.sweep.runners import ishigami

    return ishigami(task)


def ishigami_spec(tmp_path: Path, samples: int, fn: str = "sim.sweep.runners:ishigami") -> Path:
    p = tmp_path / "ishigami.toml"
    factors = "".join(
        f'\n[[factors]]\nkey = "x{i}"\nrole = "uncertainty"\nrange = [{-PI!r}, {PI!r}]\n'
        for i in (1, 2, 3)
    )
    p.write_text(f"""
name = "ishigami"
seed = 12345
kpis = ["y"]
[model]
function = "{fn}"
[design]
kind = "sobol"
samples = {samples}
{factors}""")
    return p


def linear_spec(tmp_path: Path, kind: str, samples: int) -> Path:
    p = tmp_path / f"linear_{kind}.toml"
    p.write_text(f"""
name = "linear_{kind}"
seed = 99
kpis = ["y"]
[model]
function = "test_sweep_analysis:linear"
[design]
kind = "{kind}"
samples = {samples}
[[factors]]
key = "a"
role = "lever"
range = [0.0, 1.0]
[[factors]]
key = "b"
role = "uncertainty"
range = [0.0, 2.0]
[[factors]]
key = "c"
role = "uncertainty"
range = [0.0, 1.0]
""")
    return p


@pytest.mark.slow
def test_ishigami_sobol_indices_through_the_sweep(tmp_path: Path) -> None:
    """The published indices of the Ishigami function (a = 7, b = 0.1)."""
    res = run_sweep(ishigami_spec(tmp_path, 1024), tmp_path / "out", workers=2, progress=False)
    assert res.complete and len(res.results) == 1024 * 5
    an = analyze_sweep(tmp_path / "out")
    idx = an.indices.set_index("factor")
    np.testing.assert_allclose(idx["S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(idx["ST"], [0.558, 0.442, 0.244], atol=0.05)
    assert (idx["S1_conf"] > 0).all() and (idx["S1_conf"] < 0.1).all()
    assert (tmp_path / "out" / "analysis" / "sobol.csv").is_file()
    for fmt in ("png", "svg"):
        assert (tmp_path / "out" / "analysis" / "figures" / f"sobol_y.{fmt}").stat().st_size > 5000
    # The analysis is reproducible (bootstrap seeded from the root seed).
    again = sobol_indices(load_sweep(tmp_path / "out"))
    pd.testing.assert_frame_equal(again, an.indices)


def test_morris_elementary_effects_of_a_linear_function(tmp_path: Path) -> None:
    run_sweep(linear_spec(tmp_path, "morris", 10), tmp_path / "out", workers=0, progress=False,
              allow_model_code=True)
    an = analyze_sweep(tmp_path / "out", figures=False)
    idx = an.indices.set_index("factor")
    np.testing.assert_allclose(idx["mu"], [3.0, -4.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(idx["mu_star"], [3.0, 4.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(idx["sigma"], [0.0, 0.0, 0.0], atol=1e-9)


@pytest.mark.slow
def test_lhs_rbd_fast_first_order_indices(tmp_path: Path) -> None:
    run_sweep(linear_spec(tmp_path, "lhs", 400), tmp_path / "out", workers=0, progress=False,
              allow_model_code=True)
    an = analyze_sweep(tmp_path / "out", figures=False)
    s1 = an.indices.set_index("factor")["S1"]
    # Var(3a) = 9/12, Var(2b) = 16/12: S1 = 9/25, 16/25, 0.
    np.testing.assert_allclose(s1, [0.36, 0.64, 0.0], atol=0.08)
    assert an.method == "rbd_fast"


def test_indices_need_every_point(tmp_path: Path) -> None:
    spec = ishigami_spec(tmp_path, 8, fn="test_sweep_analysis:broken_ishigami")
    res = run_sweep(spec, tmp_path / "out", workers=0, progress=False, allow_model_code=True)
    assert res.failures["run_id"].tolist() == [7]
    with pytest.raises(SweepError, match=r"1 of 40 design points have no finished run"):
        analyze_sweep(tmp_path / "out")


@pytest.mark.slow
def test_grid_figures_and_point_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "grid.toml"
    spec.write_text(f"""
name = "grid"
base = "{BASELINE}"
seed = 5
replicates = 2
kpis = ["retention", "revenue_cumulative", "mean_trust", "churn_rate"]
[overrides]
"population.size" = 300
"run.weeks" = 6
[design]
kind = "grid"
[[factors]]
key = "strategy.escalation.level"
name = "escalation"
role = "lever"
values = ["generic", "demographic", "interest", "behavioural", "personal"]
[[factors]]
key = "strategy.transparency"
role = "lever"
range = [0.0, 1.0]
steps = 2
""")
    out = tmp_path / "out"
    assert cli(["sweep", str(spec), "--out", str(out), "-w", "0", "-q", "--analyze"]) == 0
    figs = out / "analysis" / "figures"
    for stem in ("heatmap_escalation_transparency", "revenue_vs_escalation"):
        for fmt in ("png", "svg"):
            assert (figs / f"{stem}.{fmt}").stat().st_size > 5000
    points = pd.read_csv(out / "analysis" / "points.csv")
    assert len(points) == 10 and points["n"].eq(2).all()
    res = pd.read_parquet(out / "results.parquet")
    first = res[res["point"] == 0]["revenue_cumulative"].mean()
    assert points.loc[0, "revenue_cumulative_mean"] == pytest.approx(first)
    assert (points["revenue_cumulative_lo"] <= points["revenue_cumulative_mean"]).all()

    capsys.readouterr()
    assert cli(["analyze", str(out), "--no-figures"]) == 0
    shown = capsys.readouterr().out
    assert "mean KPIs per point" in shown
    assert "best lever setting per KPI" in shown and "revenue_cumulative highest at " in shown
    assert cli(["analyze", str(tmp_path / "nowhere")]) == 1
    assert "sweep folder not found" in capsys.readouterr().err
    assert cli(["analyze", str(out), "--kpi", "revenue"]) == 1
    assert "did you mean 'revenue_cumulative'?" in capsys.readouterr().err
    assert cli(["analyze", str(out), "--kpi", "profit"]) == 1
    assert "KPI not in the results" in capsys.readouterr().err


def test_small_designs_get_a_note() -> None:
    from types import SimpleNamespace

    from sim.sweep.analysis import small_design_note

    def spec(kind: str, n: int) -> SimpleNamespace:
        return SimpleNamespace(design=SimpleNamespace(kind=kind, samples=n))

    assert "8 Sobol base samples is small" in small_design_note(spec("sobol", 8))
    assert small_design_note(spec("sobol", 256)) == ""
    assert "4 Morris trajectories is few" in small_design_note(spec("morris", 4))
    assert small_design_note(spec("lhs", 4)) == ""


def test_best_points_use_the_paired_difference_under_common_random_numbers() -> None:
    import dataclasses

    from sim.sweep import spec_from_dict
    from sim.sweep.verdicts import best_points

    # two settings whose replicates move together: the intervals overlap, yet B is
    # ahead of A in every replicate by 30 +- 1 (more than 1% of about 1,000)
    rep_noise = np.array([0.0, 500.0, -400.0, 250.0])
    a = 1000.0 + rep_noise
    b = a + np.array([30.0, 29.0, 31.0, 30.0])
    results = pd.DataFrame({"point": [0] * 4 + [1] * 4, "replicate": [0, 1, 2, 3] * 2,
                            "x": ["A"] * 4 + ["B"] * 4, "y": np.concatenate([a, b])})
    spec = spec_from_dict({"seed": 1, "replicates": 4, "kpis": ["y"],
                           "model": {"function": "m:f"}, "design": {"kind": "grid"},
                           "factors": [{"key": "x", "role": "lever", "values": ["A", "B"]}]})
    heading, lines = best_points(results, spec, ["y"])
    assert heading.startswith("best lever setting per KPI (paired differences")
    assert lines[0].startswith("y highest at x=B: 1,118 [")
    assert "ahead of the next, x=A (1,088 [" in lines[0]
    assert lines[0].endswith("paired difference +30 [+28.7, +31.3]")
    unpaired = dataclasses.replace(spec, common_random_numbers=False)
    _, lines = best_points(results, unpaired, ["y"])
    assert "tied with x=A" in lines[0] and "ahead" not in lines[0]


def test_nan_kpis_are_saved_as_null_and_read_back_as_nan(tmp_path: Path) -> None:
    import json

    def nan_kpis(task: RunTask) -> dict[str, float]:
        return {"y": float("nan") if task.point % 2 else 1.0, "z": float("nan")}

    out = tmp_path / "out"
    res = run_sweep(ishigami_spec(tmp_path, 2), out, workers=0, progress=False,
                    runner=nan_kpis)
    record = (out / "runs" / "run_000001.json").read_text()
    assert "NaN" not in record and json.loads(record)["kpis"] == {"y": None, "z": None}
    for table in (res.results, load_sweep(out).results):
        assert table["y"].dtype == np.float64 and table["z"].dtype == np.float64
        assert table["y"].isna().tolist() == [p % 2 == 1 for p in table["point"]]
        assert table["z"].isna().all()


def test_morris_direction_rule_and_significant_digits() -> None:
    from sim.sweep.analysis import morris_direction, significant

    assert morris_direction(3.0, 3.0, 0.1) == "raises"
    assert morris_direction(-4.0, 4.0, 0.0) == "lowers"
    assert morris_direction(1.0, 4.0, 0.1) == "mixed or unclear"  # effects of both signs
    assert morris_direction(2.0, 3.0, 2.5) == "mixed or unclear"  # within the noise of mu*
    assert morris_direction(0.0, 0.0, 0.0) == "mixed or unclear"
    assert [significant(v) for v in (0.8141, 2.113, 393_312.0, -0.05, 0.0)] == [
        "0.814", "2.11", "393,000", "-0.0500", "0"]


def test_small_morris_design_warns_on_the_figure_and_table_has_roles(tmp_path: Path) -> None:
    from sim.sweep.figures import fig_indices

    run_sweep(linear_spec(tmp_path, "morris", 4), tmp_path / "out", workers=0, progress=False,
              allow_model_code=True)
    an = analyze_sweep(tmp_path / "out", figures=False)
    fig = fig_indices(an, "y")
    assert "4 Morris trajectories is few" in fig.get_suptitle()
    assert sorted(t.get_text() for t in fig.axes[0].texts) == [
        "lowers", "mixed or unclear", "raises"]
    text = an.format()
    head, *rows = text.split("morris indices for y, 3 significant digits:\n")[1].splitlines()[:4]
    assert head.split() == ["factor", "role", "direction", "mu", "mu_star", "mu_star_conf",
                            "sigma"]
    assert rows[0].split()[:4] == ["a", "lever", "raises", "3.00"]
    assert rows[1].split()[:4] == ["b", "uncertainty", "lowers", "-4.00"]
    assert "4 Morris trajectories is few" in text
