"""Scenario validation: every bad input names the key, the file and what is allowed."""

from __future__ import annotations

import pytest

import sim
from tests.helpers import SCENARIOS


def _err(overrides: dict) -> str:
    with pytest.raises(sim.ScenarioError) as exc:
        sim.load_scenario(SCENARIOS / "baseline.toml", overrides=overrides)
    msg = str(exc.value)
    assert "baseline.toml" in msg, msg
    return msg


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        ({"population.size": "many"}, ["population.size", "whole number", "many"]),
        ({"population.size": 0}, ["population.size", "greater than or equal to 1"]),
        ({"strategy.reach": 1.5}, ["strategy.reach", "less than or equal to 1", "1.5"]),
        ({"network.kind": "lattice"}, ["network.kind", "watts_strogatz", "lattice"]),
        ({"churn.rule": "magic"}, ["churn.rule", "'hazard'", "'threshold'"]),
        ({"population.market": "atlantis"}, ["population.market", "denmark_dsi2020"]),
        ({"strategy.escalation.level": "telepathic"}, ["strategy.escalation.level", "interest"]),
        ({"network.kind": "edgelist"}, ["network.path"]),
        ({"network.kind": "edgelist", "network.path": "/nonexistent/edges.csv"},
         ["network.path", "not found"]),
        ({"churn.initial_churned": 10**6}, ["churn.initial_churned", "population.size"]),
        ({"trust.asymmetry": 0.5}, ["trust.asymmetry", "greater than or equal to 1"]),
        ({"perception.enabled": "yes"}, ["perception.enabled", "true or false"]),
        ({"incidents.events": [{"week": 3}]}, ["incidents.events.0.severity", "missing"]),
    ],
)
def test_bad_values_are_named(overrides, needles):
    msg = _err(overrides)
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_all_problems_listed_at_once():
    msg = _err({"population.size": -1, "strategy.reach": 2, "run.weeks": 0})
    assert "3 problems" in msg
    for key in ("population.size", "strategy.reach", "run.weeks"):
        assert key in msg


def test_override_strings_are_typed_like_toml():
    sc = sim.load_scenario(SCENARIOS / "baseline.toml",
                           overrides=["population.size=123", "strategy.transparency=0.5",
                                      "wom.enabled=false", "network.kind=erdos_renyi"])
    assert sc.population.size == 123 and sc.strategy.transparency == 0.5
    assert sc.wom.enabled is False and sc.network.kind == "erdos_renyi"


def test_bad_override_syntax():
    with pytest.raises(sim.ScenarioError, match=r"key\.path=value"):
        sim.load_scenario(SCENARIOS / "baseline.toml", overrides=["population.size"])


def test_bad_toml_and_missing_file(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[population\nsize = 3")
    with pytest.raises(sim.ScenarioError, match=r"broken\.toml.*not valid TOML"):
        sim.load_scenario(f)
    with pytest.raises(sim.ScenarioError, match="file not found"):
        sim.load_scenario(tmp_path / "nope.toml")


def test_extends_merges_tables(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{SCENARIOS / "baseline.toml"}"\n'
                     "[strategy]\ntransparency = 0.9\n")
    sc = sim.load_scenario(child)
    assert sc.strategy.transparency == 0.9
    assert sc.strategy.escalation.level == "interest"   # from the parent
    assert sc.name == "baseline"                        # parent's name kept unless overridden


def test_extends_cycle_is_reported(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(sim.ScenarioError, match="extends"):
        sim.load_scenario(tmp_path / "a.toml")


def test_scenario_is_frozen():
    sc = sim.load_scenario(SCENARIOS / "baseline.toml")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        sc.population.size = 5  # type: ignore[misc]


def test_dumped_scenario_round_trips():
    sc = sim.load_scenario(SCENARIOS / "baseline.toml",
                           overrides={"incidents.events": [{"week": 2, "severity": 0.3}]})
    import tomllib

    again = sim.Scenario.from_dict(tomllib.loads(sim.dumps_scenario(sc)))
    assert again == sc


def test_get_reads_dotted_key_paths():
    sc = sim.load_scenario(SCENARIOS / "data_breach.toml")
    assert sc.get("strategy.reach") == sc.strategy.reach
    assert sc.get("incidents.events.0.week") == sc.incidents.events[0].week
    assert sc.get("strategy.escalation")["mode"] == sc.strategy.escalation.mode
    with pytest.raises(KeyError, match=r"no key 'strategy\.rech'; did you mean 'strategy\.reach'"):
        sc.get("strategy.rech")
    with pytest.raises(KeyError, match=r"no key 'incidents\.events\.5\.week'"):
        sc.get("incidents.events.5.week")


def test_overrides_into_lists_name_the_list_and_its_indices():
    with pytest.raises(sim.ScenarioError, match=r"incidents\.events has no item 0 .*set the whole"):
        sim.load_scenario(SCENARIOS / "baseline.toml",
                          overrides={"incidents.events.0.responsible": True})
    with pytest.raises(sim.ScenarioError, match=r"incidents\.events is a list of 1; item indices: "
                                            r"0 to 0"):
        sim.load_scenario(SCENARIOS / "data_breach.toml",
                          overrides={"incidents.events.3.week": 4})
    sc = sim.load_scenario(SCENARIOS / "data_breach.toml",
                           overrides={"incidents.events.0.week": 4})
    assert sc.incidents.events[0].week == 4


def test_an_unknown_market_is_listed_beside_other_problems(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[population]\nsize = "big"\nmarket = "sweden"\n')
    with pytest.raises(sim.ScenarioError) as exc:
        sim.load_scenario(path)
    keys = [p.key for p in exc.value.problems]
    assert keys == ["population.size", "population.market"]
    assert "unknown market" in str(exc.value) and "bad.toml" in str(exc.value)
