"""The dashboard's Solara components.

:func:`Dashboard` is the top component: ``solara run sim.dashboard.app``
serves :func:`Page` (which starts from the scenario named in the
``TRUSTSIM_DASHBOARD_SCENARIO`` environment variable), and in a notebook
``Dashboard("baseline")`` as a cell's last line displays the same app.

Every panel reads a :mod:`sim.dashboard.session` run and draws it with
:mod:`sim.dashboard.charts`; the widgets hold no model state of their own.
Charts are matplotlib images drawn from the weekly table, not Mesa's
per-agent portrayal, which calls Python once per agent per frame; the Run
panel's weekly chart is blitted (:class:`sim.dashboard.charts.LiveWeeklyChart`)
so that a redraw costs tens of milliseconds, not hundreds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara
import solara.lab

from sim.compare import Comparison
from sim.config import Scenario
from sim.dashboard import charts, export, neighbourhood, schema, sweeps
from sim.dashboard.session import DIFF_COLUMNS, SIDE_SECTIONS, LiveRun, PairedRun
from sim.errors import ScenarioError
from sim.scenario_io import load_scenario

ENV_SCENARIO = "TRUSTSIM_DASHBOARD_SCENARIO"
"""Environment variable naming the scenario :func:`Page` starts from."""

DEFAULT_SCENARIO = "baseline"
FORMAT = "png"
"""Image format of the charts (PNG is smaller on the wire than SVG for line charts)."""


def initial_scenario(scenario: Scenario | str | Path | None = None) -> Scenario:
    """The scenario to start from: given, or named in the environment, or ``baseline``.

    Args:
        scenario: A Scenario, a TOML file or a built-in name, or None.

    Returns:
        The validated scenario.
    """
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario or os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO)


def incident_weeks(scenario: Scenario) -> list[int]:
    """Weeks with an incident, if incidents are enabled."""
    ic = scenario.incidents
    return [e.week for e in ic.events] if ic.enabled else []


class Runner:
    """A run plus a lock, so the play thread and the redraws never meet mid-step.

    Args:
        run: A :class:`LiveRun` or :class:`PairedRun`.
    """

    def __init__(self, run: LiveRun | PairedRun) -> None:
        self.run = run
        self.lock = threading.Lock()
        self.last_ms = 0.0
        self.retired = False

    def retire(self) -> None:
        """Mark the runner replaced (new settings, reset): its play loop stops."""
        self.retired = True

    def step(self, weeks: int) -> int:
        """Step under the lock; remembers the time it took."""
        t0 = time.perf_counter()
        with self.lock:
            done = self.run.step(weeks)
        self.last_ms = 1000.0 * (time.perf_counter() - t0) / max(done, 1)
        return done

    def read(self, fn: Callable[[Any], Any]) -> Any:
        """Call ``fn(run)`` under the lock."""
        with self.lock:
            return fn(self.run)


# --------------------------------------------------------------------------- controls


@solara.component
def ControlWidget(
    control: schema.Control,
    scenario: solara.Reactive[Scenario],
    error: solara.Reactive[str | None],
) -> None:
    """One generated control, bound to a dotted key of the scenario.

    Args:
        control: The control (from :func:`sim.dashboard.schema.schema_controls`).
        scenario: The scenario it edits.
        error: Where a rejected value's message goes.
    """
    sc = scenario.value
    value = schema.value_of(sc, control.key)

    def set_value(v: Any) -> None:
        try:
            scenario.value = schema.apply(scenario.value, control.key, v)
            error.value = None
        except ScenarioError as err:
            error.value = str(err)

    label = control.label
    with solara.Tooltip(control.help or control.key):
        if control.kind == "bool":
            solara.Checkbox(label=label, value=bool(value), on_value=set_value)
        elif control.kind in ("choice", "level"):
            solara.Select(label=label, values=schema.choices_for(control, sc), value=value,
                          on_value=set_value)
        elif control.kind == "int" and control.slider:
            solara.SliderInt(f"{label}: {value}", value=int(value), min=int(control.low or 0),
                             max=int(control.high or 0), on_value=set_value, thumb_label=True)
        elif control.kind == "float" and control.slider:
            solara.SliderFloat(f"{label}: {value:g}", value=float(value),
                               min=control.low or 0.0, max=control.high or 1.0,
                               step=control.step, on_value=set_value, thumb_label=True)
        elif control.kind == "int":
            solara.InputInt(label, value=int(value), on_value=set_value,
                            continuous_update=False)
        elif control.kind == "float":
            solara.InputFloat(label, value=float(value), on_value=set_value,
                              continuous_update=False)
        else:
            solara.InputText(label, value="" if value is None else str(value),
                             on_value=lambda v: set_value(v or None), continuous_update=False)


@solara.component
def ScenarioControls(
    scenario: solara.Reactive[Scenario],
    sections: tuple[str, ...] | None = None,
) -> None:
    """Every control of the schema (levers first, the rest by section, folded).

    Args:
        scenario: The scenario the controls edit.
        sections: Only keys of these top-level sections (None: all).
    """
    error = solara.use_reactive(None)
    controls = solara.use_memo(schema.schema_controls, [])
    sc = scenario.value
    shown = [c for c in controls if sections is None or c.section in sections]
    has_item = {lst: bool(schema.value_of(sc, lst)) for lst in schema.ITEM_LISTS}

    def visible(c: schema.Control) -> bool:
        return all(has_item[lst] or not c.key.startswith(f"{lst}.0.")
                   for lst in schema.ITEM_LISTS)

    def toggle(lst: str, on: bool) -> None:
        if on:
            first = next(c for c in controls if c.key.startswith(f"{lst}.0."))
            value = schema.NEW_ITEM.get(lst, {}).get(first.key.rsplit(".", 1)[1])
            scenario.value = schema.apply(scenario.value, first.key, value)
        else:
            scenario.value = schema.remove_item(scenario.value, lst)

    if error.value:
        solara.Error(error.value, dense=True)
    levers = [c for c in shown if c.key in schema.LEVERS]
    for lst in schema.ITEM_LISTS:
        if sections is None or lst.split(".")[0] in sections:
            solara.Checkbox(label=f"{lst} (first item)", value=has_item[lst],
                            on_value=lambda on, lst=lst: toggle(lst, on))
    for c in levers:
        if visible(c):
            ControlWidget(c, scenario, error)
    rest = [c for c in shown if c.key not in schema.LEVERS and visible(c)]
    for section in dict.fromkeys(c.section for c in rest):
        with solara.Details(summary=f"more: {section}"):
            for c in rest:
                if c.section == section:
                    ControlWidget(c, scenario, error)


# --------------------------------------------------------------------------- play


@solara.component
def PlayControls(
    runner: Runner, tick: solara.Reactive[int], on_reset: Callable[[], None], name: str
) -> None:
    """Play, pause, step and reset, at a chosen speed.

    Args:
        runner: The run to step.
        tick: Bumped after every step, so the charts redraw.
        on_reset: Rebuilds the run from the current settings.
        name: Prefix of the buttons' CSS classes (``trustsim-<name>-play``...),
            by which tests find them.
    """
    playing = solara.use_reactive(False)
    delay_ms = solara.use_reactive(100)
    per_frame = solara.use_reactive(1)

    def loop() -> None:
        while playing.value and runner.run.running and not runner.retired:
            runner.step(per_frame.value)
            tick.value += 1
            time.sleep(delay_ms.value / 1000.0)
        if not runner.retired:  # a replaced run leaves playing to its successor
            playing.value = False

    solara.use_thread(loop, dependencies=[playing.value, runner])

    def step_once() -> None:
        runner.step(per_frame.value)
        tick.value += 1

    def reset() -> None:
        playing.value = False
        on_reset()

    running = runner.run.running
    with solara.Row():
        solara.Button("Pause" if playing.value else "Play", color="primary",
                      on_click=lambda: playing.set(not playing.value), disabled=not running,
                      classes=[f"trustsim-{name}-play"])
        solara.Button("Step", on_click=step_once, disabled=playing.value or not running,
                      classes=[f"trustsim-{name}-step"])
        solara.Button("Reset", on_click=reset, classes=[f"trustsim-{name}-reset"])
    with solara.Row():
        solara.SliderInt("delay between frames (ms)", value=delay_ms, min=0, max=1000, step=50)
        solara.SliderInt("weeks per frame", value=per_frame, min=1, max=10)


def _use_runner(make: Callable[[], LiveRun | PairedRun], key: Any) -> tuple[Runner, Any]:
    """A runner rebuilt whenever ``key`` changes, and a tick that counts its steps."""
    tick = solara.use_reactive(0)
    runner = solara.use_memo(lambda: Runner(make()), [key])
    solara.use_effect(lambda: runner.retire, [runner])  # cleanup: when replaced or unmounted
    return runner, tick


def _status(runner: Runner, weeks: int, n: int) -> str:
    return (f"Week {runner.run.week} of {weeks} · {n:,} consumers · "
            f"last step {runner.last_ms:.0f} ms/week")


# --------------------------------------------------------------------------- panels


@solara.component
def RunPanel(scenario: Scenario) -> None:
    """One run, week by week: the four weekly charts and the network sample.

    Args:
        scenario: The scenario (a new one starts a new run).
    """
    generation = solara.use_reactive(0)
    runner, tick = _use_runner(lambda: LiveRun(scenario), (scenario, generation.value))
    weeks = scenario.run.weeks
    marks = incident_weeks(scenario)
    chart = solara.use_memo(lambda: charts.LiveWeeklyChart(weeks, marks), [runner])
    png = solara.use_memo(lambda: chart.render(runner.read(lambda r: r.weekly())),
                          [runner, tick.value])
    PlayControls(runner, tick, lambda: generation.set(generation.value + 1), "run")
    solara.Text(_status(runner, weeks, scenario.population.size),
                classes=["trustsim-run-status"])
    solara.Image(png, classes=["trustsim-run-chart"])
    with solara.lab.Tabs():
        with solara.lab.Tab("Network sample"):
            NetworkPanel(runner, tick.value)
        with solara.lab.Tab("Export"):
            ExportPanel(scenario, runner)


@solara.component
def NetworkPanel(runner: Runner, tick: int) -> None:
    """A BFS sample of a few hundred consumers around a seed consumer, coloured by trust.

    Args:
        runner: The single run.
        tick: Redraw counter.
    """
    if getattr(runner.run.model, "adjacency", None) is None:
        solara.Info("Step once to build the network, then its neighbourhood shows here.")
    else:
        NetworkView(runner, tick)


@solara.component
def NetworkView(runner: Runner, tick: int) -> None:
    """The drawing of :func:`NetworkPanel`, once the network exists.

    Args:
        runner: The single run.
        tick: Redraw counter.
    """
    start = solara.use_reactive(0)
    model = runner.run.model

    def sample() -> tuple[Any, Any, Any]:
        nodes = neighbourhood.bfs_sample(model.adjacency, min(start.value,
                                                              model.adjacency.shape[0] - 1))
        edges = neighbourhood.induced_edges(model.adjacency, nodes)
        return nodes, edges, neighbourhood.layout(len(nodes), edges, seed=start.value)

    nodes, edges, pos = solara.use_memo(sample, [model, start.value])
    solara.InputInt("seed consumer", value=start, continuous_update=False)

    chart = solara.use_memo(lambda: charts.LiveNetworkChart(pos, edges), [model, start.value])

    def draw() -> bytes:
        trust, cause = runner.read(lambda r: (
            r.model.population.trust[nodes].copy(),
            neighbourhood.churn_cause(r.model.population, nodes)))
        return chart.render(trust, cause)

    png = solara.use_memo(draw, [model, start.value, tick])
    solara.Image(png, classes=["trustsim-network-chart"])


@solara.component
def ExportPanel(scenario: Scenario, runner: Runner) -> None:
    """The settings as scenario TOML and its command; the weekly table as CSV.

    Args:
        scenario: The current settings.
        runner: The run whose weekly table is exported.
    """
    text = export.scenario_toml(scenario)
    name = export.scenario_filename(scenario)
    solara.FileDownload(text, filename=name, label=f"Download {name}")
    solara.FileDownload(lambda: export.weekly_csv(runner.read(lambda r: r.weekly())),
                        filename=f"{Path(name).stem}_weekly.csv", label="Download weekly CSV")
    solara.Markdown(f"Reproduce this run:\n\n```\n{export.run_command(scenario)}\n```")
    solara.Markdown(f"```toml\n{text}```")


@solara.component
def ABPanel(scenario: Scenario) -> None:
    """Strategy A (the settings on the left) against strategy B on the same consumers.

    Args:
        scenario: Scenario A.
    """
    b_settings = solara.use_reactive(scenario)
    generation = solara.use_reactive(0)
    replicates = solara.use_reactive(5)
    comparison: solara.Reactive[Comparison | None] = solara.use_reactive(None)
    busy = solara.use_reactive(False)
    runner, tick = _use_runner(lambda: PairedRun(scenario, b_settings.value),
                               (scenario, b_settings.value, generation.value))
    weeks = scenario.run.weeks
    band = comparison.value.weekly if comparison.value is not None else None
    marks = sorted(set(incident_weeks(scenario)) | set(incident_weeks(b_settings.value)))
    chart = solara.use_memo(
        lambda: charts.LiveDifferenceChart(DIFF_COLUMNS, weeks, band, marks),
        [runner, comparison.value])
    png = solara.use_memo(lambda: chart.render(runner.read(lambda r: r.difference())),
                          [runner, tick.value, comparison.value])

    def run_replicates() -> None:
        busy.value = True
        try:
            comparison.value = runner.run.replicates(replicates.value)
        finally:
            busy.value = False

    with solara.Columns([1, 3]):
        with solara.Column(classes=["trustsim-b-settings"]):
            solara.Markdown("**Strategy B** (strategy and incidents; consumers, network "
                            "and seed are A's)")
            ScenarioControls(b_settings, sections=SIDE_SECTIONS)
        with solara.Column():
            PlayControls(runner, tick, lambda: generation.set(generation.value + 1), "ab")
            solara.Text(_status(runner, weeks, scenario.population.size),
                        classes=["trustsim-ab-status"])
            solara.Image(png, classes=["trustsim-ab-chart"])
            with solara.Row():
                solara.InputInt("replicates", value=replicates, continuous_update=False)
                solara.Button("Run replicates (paired interval)", on_click=run_replicates,
                              disabled=busy.value)
            if busy.value:
                solara.ProgressLinear(True)
            if comparison.value is not None:
                solara.Markdown(f"```\n{comparison.value.format_table()}\n```")


@solara.component
def SweepPanel() -> None:
    """Open a finished sweep folder; a KPI over one factor (line) or two (heatmap)."""
    folder = solara.use_reactive("")
    loaded = solara.use_reactive(None)
    error = solara.use_reactive(None)
    kpi = solara.use_reactive(None)
    x = solara.use_reactive(None)
    y = solara.use_reactive("(none)")

    def open_folder() -> None:
        try:
            sweep, points = sweeps.open_sweep(folder.value)
        except Exception as err:  # any unreadable folder: say why, keep the app up
            error.value, loaded.value = str(err), None
            return
        kpi.value = sweeps.kpi_names(sweep)[0]  # choices first: the chart reads them
        x.value = sweep.spec.factor_names[0]
        error.value, loaded.value = None, (sweep, points)

    with solara.Row():
        solara.InputText("sweep folder", value=folder, continuous_update=False)
        solara.Button("Open", on_click=open_folder)
    if error.value:
        solara.Error(error.value)
    if loaded.value is None:
        return
    sweep, points = loaded.value
    factors = list(sweep.spec.factor_names)
    with solara.Row():
        solara.Select("KPI", values=sweeps.kpi_names(sweep), value=kpi)
        solara.Select("x factor", values=factors, value=x)
        solara.Select("y factor", values=["(none)", *[f for f in factors if f != x.value]],
                      value=y)
    second = None if y.value in ("(none)", x.value) else y.value
    table = sweeps.kpi_table(points, kpi.value, x.value, second)
    solara.FigureMatplotlib(charts.sweep_figure(table, kpi.value, x.value, second),
                            format=FORMAT)
    for line in sweeps.ranking(sweep, points):
        solara.Text(line, classes=["trustsim-sweep-best"])


@solara.component
def Dashboard(scenario: Scenario | str | Path | None = None) -> None:
    """The whole dashboard: settings on the left, run, A/B and sweep tabs on the right.

    Args:
        scenario: Where to start: a Scenario, a TOML file or a built-in name
            (default: ``$TRUSTSIM_DASHBOARD_SCENARIO`` or ``baseline``).
    """
    start = solara.use_memo(lambda: initial_scenario(scenario), [])
    settings = solara.use_reactive(start)
    load_error = solara.use_reactive(None)

    def open_scenario(ref: str) -> None:
        try:
            settings.value, load_error.value = load_scenario(ref), None
        except ScenarioError as err:
            load_error.value = str(err)

    solara.Title("trustsim dashboard")
    with solara.Columns([1, 3]):
        with solara.Column():
            solara.Markdown(f"**Settings** · {settings.value.name}")
            solara.InputText("open scenario (file or built-in name)", value="",
                             on_value=open_scenario, continuous_update=False)
            if load_error.value:
                solara.Error(load_error.value, dense=True)
            ScenarioControls(settings)
        with solara.Column():
            with solara.lab.Tabs():
                with solara.lab.Tab("Run"):
                    RunPanel(settings.value)
                with solara.lab.Tab("A/B"):
                    ABPanel(settings.value)
                with solara.lab.Tab("Sweep results"):
                    SweepPanel()


@solara.component
def Page() -> None:
    """What ``solara run sim.dashboard.app`` serves."""
    Dashboard()
