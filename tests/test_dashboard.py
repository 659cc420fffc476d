"""The dashboard without a browser: controls from the schema, stepping, A/B, export, sweeps.

Components are rendered headlessly with ``solara.render`` (as Mesa's own
``tests/visualization/test_solara_viz.py`` does) and driven through their widgets.
"""

from __future__ import annotations

import time
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

solara = pytest.importorskip("solara", reason="the dashboard extra is not installed")
import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402
from conftest import small  # noqa: E402

from sim.config import ConsentConfig, Scenario  # noqa: E402
from sim.dashboard import charts, export, neighbourhood, schema, sweeps  # noqa: E402
from sim.dashboard.app import Dashboard, ScenarioControls  # noqa: E402
from sim.dashboard.cli import add_parser, main  # noqa: E402
from sim.dashboard.session import LiveRun, PairedRun, side_b  # noqa: E402
from sim.errors import ScenarioError  # noqa: E402
from sim.keyref import key_reference  # noqa: E402
from sim.scenario_io import load_scenario, with_overrides  # noqa: E402


def _control(key: str) -> schema.Control:
    return next(c for c in schema.schema_controls() if c.key == key)


# --------------------------------------------------------------------------- schema


def test_every_scalar_key_of_the_schema_has_a_control() -> None:
    keys = {c.key.replace(".0.", "[].") for c in schema.schema_controls()}
    items = tuple(f"{lst}[]." for lst in schema.ITEM_LISTS)
    scalar = {k.key for k in key_reference()
              if not k.type.startswith("list") and ("[]" not in k.key or k.key.startswith(items))}
    assert scalar <= keys
    assert "incidents.events[].severity" in keys and "strategy.ladder[].name" not in keys
    # and nothing else: no control is written by hand
    assert keys <= {k.key for k in key_reference()}


def test_controls_take_type_range_choices_and_help_from_the_schema() -> None:
    reach = _control("strategy.reach")
    assert (reach.kind, reach.low, reach.high, reach.slider) == ("float", 0.0, 1.0, True)
    assert reach.help.startswith("Probability that a customer is reached")
    size = _control("population.size")
    assert (size.kind, size.low, size.high, size.slider) == ("int", 1.0, 20_000_000.0, False)
    design = _control("strategy.consent.design")
    assert design.kind == "choice"
    assert design.choices == typing.get_args(ConsentConfig.model_fields["design"].annotation)
    level = _control("strategy.escalation.level")
    sc = Scenario()
    assert level.kind == "level"
    assert schema.choices_for(level, sc) == [lv.name for lv in sc.strategy.ladder]
    assert "denmark_dsi2020" in schema.choices_for(_control("population.market"), sc)
    # levers first, in the order
    assert [c.key for c in schema.schema_controls()[:2]] == list(schema.LEVERS[:2])


def test_apply_validates_and_adds_an_incident_item() -> None:
    sc = small()
    assert sc.incidents.events == []
    with_incident = schema.apply(sc, "incidents.events.0.severity", 0.8)
    ev = with_incident.incidents.events[0]
    assert (ev.week, ev.severity) == (schema.NEW_ITEM["incidents.events"]["week"], 0.8)
    assert schema.remove_item(with_incident, "incidents.events").incidents.events == []
    with pytest.raises(ScenarioError, match=r"strategy\.reach"):
        schema.apply(sc, "strategy.reach", 1.5)


def test_rendered_controls_edit_the_scenario_and_show_errors() -> None:
    scenario = solara.reactive(small())
    _box, rc = solara.render(ScenarioControls(scenario), handle_error=False)
    design = rc.find(v.Select, label="consent.design").widget
    assert design.items == ["none", "blanket", "specific"]
    design.v_model = "specific"
    assert scenario.value.strategy.consent.design == "specific"
    weeks = rc.find(v.TextField, label="weeks").widget
    weeks.v_model = "0"  # below run.weeks >= 1
    weeks.fire_event("focusout")
    assert scenario.value.run.weeks == 20
    rc.find(v.Alert).assert_single()
    assert "run.weeks" in rc.find(v.Alert).widget.children[0]


# --------------------------------------------------------------------------- running


def _status(rc, name: str = "run") -> str:
    return rc.find(v.Html, class_=f"trustsim-{name}-status").widget.children[0]


def _chart_bytes(rc, name: str = "run") -> bytes:
    found = [w for w in rc.find(ipywidgets.Image).widgets
             if f"trustsim-{name}-chart" in w._dom_classes]
    assert len(found) == 1
    return bytes(found[0].value)


def test_step_button_advances_the_run_and_redraws_the_chart() -> None:
    _box, rc = solara.render(Dashboard(small(run__weeks=5)), handle_error=False)
    assert _status(rc).startswith("Week 0 of 5")
    before = _chart_bytes(rc)
    rc.find(v.Btn, class_="trustsim-run-step").widget.click()
    assert _status(rc).startswith("Week 1 of 5 · 2,000 consumers")
    after = _chart_bytes(rc)
    assert after != before and after.startswith(b"\x89PNG")
    rc.find(v.Btn, class_="trustsim-run-reset").widget.click()
    assert _status(rc).startswith("Week 0 of 5")


def test_play_runs_to_the_end_and_stops() -> None:
    _box, rc = solara.render(Dashboard(small(run__weeks=3)), handle_error=False)
    play = rc.find(v.Btn, class_="trustsim-run-play")
    play.widget.click()
    deadline = time.monotonic() + 120  # a generous bound, not a speed assertion
    while not _status(rc).startswith("Week 3 of 3") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _status(rc).startswith("Week 3 of 3")
    while play.widget.children != ["Play"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert play.widget.children == ["Play"] and play.widget.disabled


def test_a_scenario_opens_by_name_and_a_bad_name_is_reported() -> None:
    _box, rc = solara.render(Dashboard(small()), handle_error=False)
    field = rc.find(v.TextField, label="open scenario (file or built-in name)").widget
    field.v_model = "data_breach"
    field.fire_event("focusout")
    assert _status(rc).startswith("Week 0 of 52 · 10,000 consumers")
    field.v_model = "no_such_scenario"
    field.fire_event("focusout")
    error = rc.find(v.Alert, type="error").widget.children[0]
    assert "no_such_scenario" in error and "built-in scenarios: adaptive_backoff" in error


def test_live_run_matches_a_whole_run() -> None:
    sc = small(run__weeks=6)
    live = LiveRun(sc)
    assert live.step(4) == 4 and live.step(10) == 2 and not live.running
    import sim

    whole = sim.run(sc).weekly
    pd.testing.assert_frame_equal(live.weekly()[whole.columns], whole, check_dtype=False)


# --------------------------------------------------------------------------- A/B


def test_paired_runs_share_consumers_and_differ_only_by_strategy() -> None:
    a = small(run__weeks=8)
    same = PairedRun(a, a)
    same.step(8)
    assert (same.difference().drop(columns="week").to_numpy() == 0).all()

    b = with_overrides(a, {"strategy.transparency": 1.0, "population.size": 500})
    pair = PairedRun(a, b)
    assert pair.b.scenario.population == a.population  # B's consumers are A's
    assert pair.b.scenario.strategy.transparency == 1.0
    pair.step(1)
    np.testing.assert_array_equal(pair.a.model.population.segment,
                                  pair.b.model.population.segment)
    assert (pair.a.model.adjacency != pair.b.model.adjacency).nnz == 0
    pair.step(7)
    diff = pair.difference()
    assert len(diff) == 8 and diff["mean_trust"].iloc[-1] > 0  # transparency helps trust


def test_paired_replicates_give_an_interval() -> None:
    a = small(run__weeks=6, population__size=500)
    pair = PairedRun(a, with_overrides(a, {"strategy.escalation.level": "personal"}))
    cmp = pair.replicates(3)
    row = cmp.row("mean_trust")
    assert row["n"] == 3 and row["ci_low"] <= row["diff"] <= row["ci_high"] < 0
    assert side_b(a, a).name == f"{a.name}_b"


def test_ab_panel_steps_both_sides() -> None:
    _box, rc = solara.render(Dashboard(small(run__weeks=4)), handle_error=False)
    before = _chart_bytes(rc, "ab")
    rc.find(v.Btn, class_="trustsim-ab-step").widget.click()
    assert _status(rc, "ab").startswith("Week 1 of 4")
    assert _chart_bytes(rc, "ab") != before


def test_blitted_chart_keeps_every_series_inside_its_axis() -> None:
    run = LiveRun(load_scenario("data_breach", {"population.size": 2000, "run.weeks": 30}))
    chart = charts.LiveWeeklyChart(30, [26])
    for _ in range(30):
        run.step(1)
        png = chart.render(run.weekly())
        assert png.startswith(b"\x89PNG")
        for ax, col, scale, *_ in chart._series:
            lo, hi = ax.get_ylim()
            y = run.weekly()[col] * scale
            assert lo <= y.min() and y.max() <= hi, col


# --------------------------------------------------------------------------- network


def test_bfs_sample_follows_the_graph_from_the_seed() -> None:
    # a path 0-1-2-...-9: BFS from 5 reaches 5, 4, 6, 3, 7 ...
    n = 10
    rows = np.arange(n - 1)
    adj = sp.csr_array((np.ones(2 * (n - 1)), (np.r_[rows, rows + 1], np.r_[rows + 1, rows])),
                       shape=(n, n))
    nodes = neighbourhood.bfs_sample(adj, 5, limit=5)
    assert nodes.tolist() == [5, 4, 6, 3, 7]
    edges = neighbourhood.induced_edges(adj, nodes)
    assert sorted(tuple(sorted(e)) for e in nodes[edges].tolist()) == [
        (3, 4), (4, 5), (5, 6), (6, 7)]
    pos = neighbourhood.layout(len(nodes), edges, seed=1)
    np.testing.assert_array_equal(pos, neighbourhood.layout(len(nodes), edges, seed=1))
    with pytest.raises(ValueError, match=r"consumer index 0\.\.9"):
        neighbourhood.bfs_sample(adj, 10)


def test_churn_cause_labels_every_sampled_consumer() -> None:
    run = LiveRun(load_scenario("data_breach", {"population.size": 2000, "run.weeks": 30}))
    run.step(30)
    pop = run.model.population
    nodes = neighbourhood.bfs_sample(run.model.adjacency, 0)
    cause = neighbourhood.churn_cause(pop, nodes)
    assert len(cause) == len(nodes) == neighbourhood.SAMPLE_SIZE
    stays = np.array([c == "customer" for c in cause])
    np.testing.assert_array_equal(stays, pop.customer[nodes])
    assert "incident news" in cause  # the breach in week 26 made some leave
    # each label is the recorded cause, worded as in the run's network figure
    left = [i for i, c in zip(nodes, cause, strict=True) if c != "customer"]
    from sim.mechanisms.churn import CHURN_CAUSES
    from sim.network_figure import CAUSE_STYLE
    assert [cause[list(nodes).index(i)] for i in left] == [
        CAUSE_STYLE[CHURN_CAUSES[pop.churn_cause[i]]][2] for i in left]
    assert set(cause) <= set(charts.CAUSE_STYLE)


# --------------------------------------------------------------------------- export


def test_exported_toml_loads_back_to_the_same_scenario(tmp_path: Path) -> None:
    sc = schema.apply(schema.apply(small(), "strategy.transparency", 0.7),
                      "incidents.events.0.week", 3)
    path = tmp_path / export.scenario_filename(sc)
    path.write_text(export.scenario_toml(sc))
    assert load_scenario(path) == sc
    assert export.run_command(sc) == f"trustsim run {path.name}"
    run = LiveRun(sc)
    run.step(4)
    csv = export.weekly_csv(run.weekly())
    assert len(csv.strip().splitlines()) == 1 + 4 and csv.startswith("week,")


def test_scenario_filename_is_safe() -> None:
    assert export.scenario_filename(Scenario(name="my run/2")) == "my_run_2.toml"


# --------------------------------------------------------------------------- sweeps


def test_kpi_table_averages_other_factors_and_pivots() -> None:
    points = pd.DataFrame({
        "point": range(4), "a": [0, 0, 1, 1], "b": ["x", "y", "x", "y"],
        "k_mean": [1.0, 3.0, 5.0, 7.0], "k_lo": [0.0, 2.0, 4.0, 6.0], "k_hi": [2, 4, 6, 8.0],
    })
    line = sweeps.kpi_table(points, "k", "a")
    assert line["mean"].tolist() == [2.0, 6.0] and line["lo"].tolist() == [1.0, 5.0]
    grid = sweeps.kpi_table(points, "k", "a", "b")
    assert len(grid) == 4 and grid.set_index(["a", "b"]).loc[(1, "y"), "mean"] == 7.0
    with pytest.raises(KeyError, match="'profit_mean'"):
        sweeps.kpi_table(points, "profit", "a")


def test_sweep_panel_opens_a_finished_sweep(tmp_path: Path) -> None:
    from sim.dashboard.app import SweepPanel
    from sim.sweep import run_sweep
    from sim.sweep.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "scenarios" / "sweeps"
                     / "escalation_vs_transparency.toml", {
        "overrides.population.size": 200, "overrides.run.weeks": 4, "replicates": 2,
        "kpis": ["retention", "revenue_cumulative"],
        "factors.0.values": ["generic", "personal"], "factors.1.steps": 2})
    out = tmp_path / "out"
    run_sweep(spec, out, workers=0, progress=False)
    sweep, points = sweeps.open_sweep(out)
    table = sweeps.kpi_table(points, "retention", "escalation")
    assert table["escalation"].tolist() == ["generic", "personal"]
    expect = sweep.results.groupby("point")["retention"].mean()
    generic = points.loc[points["escalation"] == "generic", "point"]
    assert table["mean"].iloc[0] == pytest.approx(expect[generic].mean())

    _box, rc = solara.render(SweepPanel(), handle_error=False)
    field = rc.find(v.TextField, label="sweep folder").widget
    field.v_model = str(out)
    field.fire_event("focusout")
    rc.find(v.Btn, children=["Open"]).widget.click()
    assert len(rc.find(ipywidgets.Image).widgets) == 1
    best = [w.children[0] for w in rc.find(v.Html, class_="trustsim-sweep-best").widgets]
    assert [b.split(" at ")[0] for b in best] == [
        "retention highest", "revenue_cumulative highest"]


def test_sweep_panel_reports_a_folder_that_is_not_a_sweep(tmp_path: Path) -> None:
    from sim.dashboard.app import SweepPanel

    _box, rc = solara.render(SweepPanel(), handle_error=False)
    field = rc.find(v.TextField, label="sweep folder").widget
    field.v_model = str(tmp_path / "nowhere")
    field.fire_event("focusout")
    rc.find(v.Btn, children=["Open"]).widget.click()
    assert "sweep folder not found" in rc.find(v.Alert).widget.children[0]


# --------------------------------------------------------------------------- CLI


def test_cli_parses_and_rejects_a_bad_scenario(capsys: pytest.CaptureFixture) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["dashboard", "nosuch_scenario", "--port", "0"])
    assert (args.scenario, args.host, args.port, args.func) == (
        "nosuch_scenario", "127.0.0.1", 0, main)
    assert main(args) == 1
    assert "nosuch_scenario" in capsys.readouterr().err


# --------------------------------------------------------------------------- notebook


@pytest.mark.slow
def test_the_dashboard_displays_in_a_notebook() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sim\nfrom sim.dashboard import Dashboard\n"
        'Dashboard(sim.load_scenario("baseline", overrides={"population.size": 1000}))'))
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    views = [o for o in nb.cells[0].outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1
