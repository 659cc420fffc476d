"""TrustModel as Mesa's own tools drive it: batch_run, DataCollector, rng, clock, parameters."""

from __future__ import annotations

import re
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim.model import AGENT_VIEW_LIMIT, param_key
from tests.conftest import small

DOC = Path(__file__).resolve().parent.parent / "docs" / "mesa.md"


def run_to_end(model: sim.TrustModel) -> pd.DataFrame:
    """Step a model until it stops; its DataCollector's model-variables table."""
    while model.running:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_batch_run_rows_equal_sim_run():
    rows = mesa.batch_run(
        sim.TrustModel,
        parameters={"population__size": 2000, "strategy__transparency": [0.0, 0.8]},
        rng=[1], number_processes=1, data_collection_period=-1, display_progress=False,
    )
    assert [r["strategy__transparency"] for r in rows] == [0.0, 0.8]
    lasts = []
    for r in rows:
        sc = sim.load_scenario("baseline", {"population.size": 2000, "run.seed": 1,
                                            "strategy.transparency": r["strategy__transparency"]})
        last = sim.run(sc).weekly.iloc[-1]
        assert r["Step"] == sc.run.weeks and r["rng"] == 1
        got = pd.Series({k: r[k] for k in last.index}, name=last.name)
        pd.testing.assert_series_equal(got, last, check_exact=True, check_dtype=False)
        lasts.append(last)
    assert lasts[0]["revenue_cumulative"] != lasts[1]["revenue_cumulative"], "the lever acts"


def test_batch_run_every_week_is_the_weekly_table():
    rows = mesa.batch_run(sim.TrustModel, parameters={"size": 800, "weeks": 6}, rng=[4],
                          number_processes=1, data_collection_period=1, display_progress=False)
    weekly = sim.run(small(population__size=800, run__weeks=6, run__seed=4)).weekly
    got = pd.DataFrame(rows)[list(weekly.columns)]
    pd.testing.assert_frame_equal(got, weekly, check_exact=True)
    assert [r["Step"] for r in rows] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_datacollector_table_equals_sim_run_weekly():
    sc = small(run__seed=11)
    model = sim.TrustModel(sc)
    assert isinstance(model.datacollector, mesa.DataCollector)
    table = run_to_end(model)
    pd.testing.assert_frame_equal(table, sim.run(sc).weekly, check_exact=True)
    assert model.recorder is model.datacollector
    assert table.attrs["seed"] == 11


def test_rng_sets_the_seed_of_mesa_and_of_the_streams():
    model = sim.TrustModel(small(), rng=5)
    assert model.config.run.seed == 5 and model.streams.seed == 5
    assert model.scenario.rng == 5
    assert model.rng.random() == np.random.default_rng(5).random()
    assert model.random.random() == __import__("random").Random(5).random()
    pd.testing.assert_frame_equal(run_to_end(model), sim.run(small(run__seed=5)).weekly,
                                  check_exact=True)


def test_rng_none_keeps_the_scenarios_seed():
    assert sim.TrustModel(small(run__seed=17)).config.run.seed == 17
    assert sim.TrustModel().config.run.seed == sim.load_scenario("baseline").run.seed


def test_seed_like_rng_draws_a_seed_and_records_it():
    a = sim.TrustModel(small(run__weeks=3), rng=np.random.SeedSequence(99))
    b = sim.TrustModel(small(run__weeks=3), rng=np.random.default_rng(np.random.SeedSequence(99)))
    assert a.config.run.seed == b.config.run.seed != small().run.seed
    assert a.scenario.rng == a.config.run.seed
    table = run_to_end(a)
    assert table.attrs["seed"] == a.config.run.seed
    pd.testing.assert_frame_equal(table, sim.run(a.config).weekly, check_exact=True)


def test_a_scenario_without_a_seed_gets_one_drawn_and_recorded():
    bare = sim.Scenario(population={"size": 400}, run={"weeks": 3})
    assert "seed" not in bare.run.model_fields_set
    models = [sim.TrustModel(bare) for _ in range(2)]
    seeds = [m.config.run.seed for m in models]
    assert seeds[0] != seeds[1], "fresh entropy each time (as Mesa's rng=None)"
    for m in models:
        table = run_to_end(m)
        assert table.attrs["seed"] == m.config.run.seed
        pd.testing.assert_frame_equal(table, sim.run(m.config).weekly, check_exact=True)
    assert sim.run(bare).meta["seed"] == bare.run.seed, "sim.run keeps the scenario's seed"


def test_params_by_dotted_and_leaf_names():
    by_dots = sim.TrustModel(population__size=500, strategy__transparency=0.8,
                             network__mean_degree=6, rng=2)
    by_leaf = sim.TrustModel(size=500, transparency=0.8, mean_degree=6, rng=2)
    assert by_dots.config == by_leaf.config
    c = by_dots.config
    assert (c.population.size, c.strategy.transparency, c.network.mean_degree) == (500, 0.8, 6)
    assert c.name == "baseline"
    breach = sim.TrustModel("data_breach", incidents__events__0__week=5, size=np.int64(500))
    assert breach.config.incidents.events[0].week == 5
    assert breach.config.name == "data_breach" and breach.config.population.size == 500
    assert param_key("transparency") == "strategy.transparency"
    assert param_key("churn__contagion_ratio") == "churn.contagion_ratio"


def test_scenario_as_object_path_or_name():
    sc = small()
    assert sim.TrustModel(sc).config is sc, "nothing to change: the same scenario"
    path = Path(sim.builtin_dir()) / "data_breach.toml"
    assert sim.TrustModel(path).config == sim.TrustModel("data_breach").config
    with pytest.raises(sim.ScenarioError, match=r"file not found; built-in scenarios: .*baseline"):
        sim.TrustModel("no_such_scenario")
    with pytest.raises(TypeError, match=r"takes a sim\.Scenario.*not Scenario"):
        sim.TrustModel(mesa.experimental.scenarios.Scenario(rng=1))


@pytest.mark.parametrize(("params", "message"), [
    ({"transparncy": 0.8},
     r"TrustModel parameters: transparncy: not a scenario key; did you mean "
     r"'transparency' \(strategy__transparency\)[,?]"),
    ({"enabled": False},
     r"enabled: names several scenario keys; give one in full: perception__enabled, "
     r"trust__enabled"),
    ({"strategy__transparncy": 0.8},
     r"TrustModel parameters: strategy\.transparncy: unknown key; did you mean "
     r"'strategy\.transparency'\?"),
    ({"transparency": 2.0}, r"TrustModel parameters: strategy\.transparency: .*1"),
    ({"week": 3}, r"week: not a scenario key; did you mean 'weeks' \(run__weeks\)\?.*index"),
    ({"run__seed": 3, "rng": 4}, r"run\.seed: given twice: rng=4 and run\.seed=3"),
    ({"rng": -1}, r"TrustModel parameters: run\.seed: .*0"),
])
def test_bad_params_name_the_key(params, message):
    with pytest.raises(sim.ScenarioError, match=message):
        sim.TrustModel(small(), **params)


def test_mesa_clock_advances_one_week_per_step():
    model = sim.TrustModel(small(run__weeks=4))
    assert (model.steps, model.time, model.week) == (0, 0.0, 0)
    for k in (1, 2):
        model.step()
        assert (model.steps, model.time, model.week) == (k, float(k), k)
    assert model.datacollector._collection_steps == [1.0, 2.0]
    assert model.datacollector.get_model_vars_dataframe()["week"].tolist() == [0, 1]
    with pytest.raises(AttributeError):
        model.week = 7  # read-only: Mesa's clock is the only one


def test_step_after_the_end_is_a_no_op():
    model = sim.TrustModel(small(run__weeks=3))
    table = run_to_end(model)
    state = model.population.trust.copy()
    for _ in range(2):
        model.step()
    assert not model.running
    assert (model.steps, model.time) == (3, 3.0)
    pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(), table)
    assert table["week"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(model.population.trust, state)


def test_collect_before_the_first_week_or_twice_in_a_week_is_ignored():
    model = sim.TrustModel(small(run__weeks=3))
    model.datacollector.collect(model)  # Mesa habit: collect in __init__; no row yet
    model.step()
    model.datacollector.collect(model)
    assert len(model.datacollector.get_model_vars_dataframe()) == 1


def test_model_scenario_is_mesas_and_config_is_trustsims():
    model = sim.TrustModel(small(), rng=8)
    assert isinstance(model.scenario, mesa.experimental.scenarios.Scenario)
    assert model.scenario.model is model
    assert isinstance(model.config, sim.Scenario) and model.config.run.seed == 8


def test_agent_and_extra_model_reporters():
    model = sim.TrustModel(small(population__size=200, run__weeks=4), rng=1,
                           agent_reporters={"trust": "trust", "customer": "customer"},
                           model_reporters={"agents": lambda m: len(m.agents)})
    table = run_to_end(model)
    assert table.columns[-1] == "agents" and table["agents"].tolist() == [200] * 4
    pd.testing.assert_frame_equal(table.drop(columns="agents"),
                                  sim.run(model.config).weekly, check_exact=True)
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 200 * 4
    last = agents.xs(4.0, level="Step").sort_index()
    rows = [a.index for a in sorted(model.agents, key=lambda a: a.unique_id)]
    np.testing.assert_array_equal(last["trust"].to_numpy(), model.population.trust[rows])
    np.testing.assert_array_equal(last["customer"].to_numpy(), model.population.customer[rows])
    assert isinstance(last["trust"].iloc[0], float)


def test_agent_reporters_refused_on_large_populations():
    model = sim.TrustModel(small(population__size=AGENT_VIEW_LIMIT + 1, network__kind="none"),
                           agent_reporters={"trust": "trust"})
    with pytest.raises(ValueError, match="agent views are for populations up to"):
        model.step()


def test_mesa_md_code_blocks_run_as_written():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # our own docs, run as a reader would
    assert len(namespace["rows"]) == 4
    assert namespace["res"].weekly.equals(namespace["weekly"])


def test_batch_run_gives_agent_rows_with_agent_reporters():
    rows = mesa.batch_run(sim.TrustModel, parameters={
        "size": 150, "weeks": 3, "agent_reporters": [{"trust": "trust"}]},
        rng=[2], number_processes=1, data_collection_period=-1, display_progress=False)
    assert len(rows) == 150 and {r["AgentID"] for r in rows} == set(range(1, 151))
    model = sim.TrustModel(size=150, weeks=3, rng=2, agent_reporters={"trust": "trust"})
    model.run_model()
    by_id = {a.unique_id: a.trust for a in model.agents}
    assert all(r["trust"] == by_id[r["AgentID"]] for r in rows)
    assert all(r["Step"] == 3.0 and r["retention"] == rows[0]["retention"] for r in rows)
