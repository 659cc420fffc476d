"""The scenario key reference: complete, documented and current."""

from __future__ import annotations

import re

import pytest

import sim
from sim.config import Scenario, leaf_paths
from sim.keyref import key_reference, key_reference_markdown, scenario_keys
from tests.helpers import ROOT


def test_every_key_of_a_scenario_is_in_the_reference():
    keys = set(scenario_keys())
    data = sim.load_scenario("data_breach").to_dict()  # has incidents, unlike the default
    for path in leaf_paths(data) + leaf_paths(Scenario().to_dict()):
        assert re.sub(r"\.(\d+)(?=\.|$)", "[]", path) in keys


def test_every_key_says_what_it_sets():
    assert [k.key for k in key_reference() if not k.meaning] == []
    ref = {k.key: k for k in key_reference()}
    assert ref["population.size"].allowed == ">= 1, <= 20,000,000"
    assert ref["churn.rule"].allowed == '"hazard", "threshold"'
    assert ref["strategy.reach"].default == "0.5"


def test_docs_page_is_current():
    page = (ROOT / "docs" / "scenario_keys.md").read_text(encoding="utf-8")
    assert page == key_reference_markdown(), (
        "docs/scenario_keys.md is stale: run python -m sim.keyref > docs/scenario_keys.md")


@pytest.mark.parametrize(("key", "hint"), [
    ("strategy.rech", "strategy.reach"),
    ("incidents.events.0.sevrity", "incidents.events.0.severity"),
])
def test_mistyped_keys_get_the_closest_key(key, hint):
    with pytest.raises(sim.ScenarioError, match=re.escape(f"did you mean {hint!r}?")):
        sim.load_scenario("data_breach", overrides={key: 0.3})
