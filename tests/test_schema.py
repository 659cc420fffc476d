"""The schema is the guarantee: every way of building a Scenario runs every check."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import sim
from sim.config import Scenario
from sim.errors import ScenarioError
from tests.helpers import SCENARIOS

BAD = {"strategy": {"escalation": {"level": "nope"}}, "population": {"market": "no_such_market"}}


def test_model_validate_runs_level_and_market_checks() -> None:
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(BAD)
    text = str(info.value)
    assert "strategy.escalation.level" in text and "unknown ladder level" in text
    assert "population.market" in text and "unknown market" in text


def test_the_constructor_runs_them_too() -> None:
    with pytest.raises(ValidationError, match=r"strategy\.escalation\.level"):
        Scenario(strategy={"escalation": {"level": "nope"}})


def test_from_dict_lists_both_problems_with_their_keys() -> None:
    with pytest.raises(ScenarioError) as info:
        sim.scenario_from_dict(BAD)
    assert [p.key for p in info.value.problems] == [
        "strategy.escalation.level", "population.market"]


def test_overrides_run_every_check() -> None:
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(SCENARIOS / "baseline.toml",
                          overrides={"strategy.consent.gate_level": "nope"})
    assert info.value.problems[0].key == "strategy.consent.gate_level"
    base = sim.load_scenario(SCENARIOS / "baseline.toml")
    with pytest.raises(ScenarioError, match=r"population\.market"):
        sim.with_overrides(base, ["population.market=nowhere.toml"])


def test_edge_list_file_is_checked_against_the_base_folder(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "friends.txt").write_text("0 1\n1 2\n")
    data = {"population": {"size": 50},
            "network": {"kind": "edgelist", "path": "friends.txt"}}
    sc = Scenario.model_validate(data, context={"base": tmp_path})
    assert sc.network.path == str((tmp_path / "friends.txt").resolve())
    monkeypatch.chdir(tmp_path.parent)  # relative to the current folder: not there
    with pytest.raises(ValidationError, match=r"network\.path: edge-list file not found"):
        Scenario.model_validate(data)
    monkeypatch.chdir(tmp_path)  # now it is
    assert Scenario.model_validate(data).network.path == "friends.txt"


def test_market_file_is_resolved_against_the_base_folder(tmp_path: Path) -> None:
    src = sim.builtin_dir() / "markets" / "denmark_dsi2020.toml"
    (tmp_path / "my_market.toml").write_text(src.read_text())
    sc = Scenario.from_dict({"population": {"market": "my_market.toml"}}, base=tmp_path)
    assert sc.population.market == str((tmp_path / "my_market.toml").resolve())
    with pytest.raises(ScenarioError, match=r"population\.market: market file not found"):
        Scenario.from_dict({"population": {"market": "other.toml"}}, base=tmp_path)


def test_defaults_are_valid() -> None:
    assert Scenario().network.blocks == sim.network.DEFAULTS.blocks
