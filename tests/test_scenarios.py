"""The scenario library: every file validates, runs, documents its question and tells its story."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.cli import check_scenario
from sim.errors import ScenarioError
from tests.helpers import SCENARIOS, SMALL

FILES = sorted(SCENARIOS.glob("*.toml"))
LIBRARY = ("baseline", "escalation_ramp", "transparent_brand", "consent_first", "data_breach",
           "adaptive_backoff")


def test_the_library_is_complete():
    assert {f.stem for f in FILES} >= set(LIBRARY)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_validates_and_runs_small(path):
    sc = check_scenario(path, SMALL)
    assert sc.name == path.stem
    assert sc.description
    res = sim.run(sc)
    assert len(res.weekly) == 20 and len(res.consumers) == 2000
    assert 0.0 < res.summary["retention"] <= 1.0
    assert res.summary["revenue_cumulative"] > 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_header_says_what_question_it_answers(path):
    lines = path.read_text().splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 3, f"{path.name}: needs a header comment"
    assert "Question" in " ".join(header), f"{path.name}: header must state its question"


def test_variants_extend_and_state_only_what_differs():
    base = sim.load_scenario(SCENARIOS / "baseline.toml")
    ramp = sim.load_scenario(SCENARIOS / "escalation_ramp.toml")
    transparent = sim.load_scenario(SCENARIOS / "transparent_brand.toml")
    consent = sim.load_scenario(SCENARIOS / "consent_first.toml")
    breach = sim.load_scenario(SCENARIOS / "data_breach.toml")
    adaptive = sim.load_scenario(SCENARIOS / "adaptive_backoff.toml")
    for sc in (ramp, transparent, consent, breach, adaptive):
        assert sc.population == base.population and sc.network == base.network
        assert sc.run == base.run
        assert "extends" in (SCENARIOS / f"{sc.name}.toml").read_text()
    # two levels of extends: transparent_brand -> escalation_ramp -> baseline
    assert transparent.strategy.escalation == ramp.strategy.escalation
    assert ramp.strategy.escalation.mode == "ramp"
    assert (ramp.strategy.escalation.start, ramp.strategy.escalation.end) == ("generic",
                                                                              "personal")
    assert transparent.strategy.transparency == 0.8 > ramp.strategy.transparency
    assert transparent.strategy.value_exchange == 0.8 > ramp.strategy.value_exchange
    assert transparent.strategy.reach == base.strategy.reach
    assert consent.strategy.consent.design == "specific"
    assert consent.strategy.consent.gate_level == "interest"
    assert consent.strategy.escalation == ramp.strategy.escalation
    assert [(e.week, e.responsible) for e in breach.incidents.events] == [(26, False)]
    assert breach.strategy == base.strategy
    assert adaptive.strategy.escalation.mode == "adaptive"


def test_extends_merges_tables_and_replaces_values(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "parent.toml").write_text(
        'name = "parent"\n[population]\nsize = 500\ninitial_trust = 0.7\n'
        '[strategy]\nreach = 0.3\n[strategy.escalation]\nmode = "fixed"\nlevel = "generic"\n'
        "[[incidents.events]]\nweek = 3\nseverity = 0.5\n"
        "[[incidents.events]]\nweek = 9\nseverity = 0.5\n"
    )
    (tmp_path / "sub" / "child.toml").write_text(
        'extends = "../parent.toml"\nname = "child"\n[population]\nsize = 800\n'
        '[strategy.escalation]\nlevel = "personal"\n'
        "[[incidents.events]]\nweek = 5\nseverity = 0.9\n"
    )
    (tmp_path / "grandchild.toml").write_text(
        'extends = "sub/child.toml"\n[strategy]\nreach = 0.9\n'
    )
    sc = sim.load_scenario(tmp_path / "grandchild.toml")
    assert sc.name == "child"  # inherited: the file's own name only when none is given
    assert sc.population.size == 800  # child over parent
    assert sc.population.initial_trust == 0.7  # kept from parent (tables merge)
    assert sc.strategy.reach == 0.9  # grandchild over everyone
    assert sc.strategy.escalation.mode == "fixed" and sc.strategy.escalation.level == "personal"
    assert [e.week for e in sc.incidents.events] == [5]  # lists are replaced, not appended
    # overrides come last
    sc = sim.load_scenario(tmp_path / "grandchild.toml", ["population.size=1000"])
    assert sc.population.size == 1000


def test_edge_list_path_is_relative_to_the_file_that_names_it(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "ring.csv").write_text("".join(f"{i},{(i + 1) % 50}\n" for i in range(50)))
    (tmp_path / "nets" / "parent.toml").write_text(
        '[population]\nsize = 50\n[network]\nkind = "edgelist"\npath = "ring.csv"\n'
    )
    (tmp_path / "child.toml").write_text('extends = "nets/parent.toml"\n[run]\nweeks = 3\n')
    sc = check_scenario(tmp_path / "child.toml")
    res = sim.run(sc)
    assert res.network.nnz == 100  # 50 undirected ties, stored both ways


# --------------------------------------------------------------------------- the story


def _run(name: str, **extra: object) -> sim.RunResult:
    return sim.run(sim.load_scenario(SCENARIOS / f"{name}.toml", extra or None))


@pytest.mark.slow
def test_story_escalation_crosses_the_line_more_and_transparency_helps():
    base, ramp, transparent = _run("baseline"), _run("escalation_ramp"), _run("transparent_brand")
    assert ramp.weekly["level_name"].iloc[0] == "generic"
    assert ramp.weekly["level_name"].iloc[-1] == "personal"
    assert ramp.summary["crossed_share"] > base.summary["crossed_share"]
    assert ramp.summary["complaints"] > base.summary["complaints"]
    assert ramp.summary["mean_trust"] < base.summary["mean_trust"]
    assert transparent.summary["mean_trust"] > ramp.summary["mean_trust"]
    assert transparent.summary["revenue_cumulative"] > ramp.summary["revenue_cumulative"]


def test_story_consent_first_gates_personal_ads():
    ramp, consent = _run("escalation_ramp"), _run("consent_first")
    assert consent.summary["opt_ins"] > 0 and ramp.summary["opt_ins"] == 0
    assert consent.summary["crossed_share"] < ramp.summary["crossed_share"]
    assert consent.summary["mean_trust"] > ramp.summary["mean_trust"]


def test_story_breach_costs_customers_after_week_26():
    base, breach = _run("baseline"), _run("data_breach")
    w = breach.weekly
    same_before = (w["customers"].iloc[:26] == base.weekly["customers"].iloc[:26]).all()
    assert same_before  # common random numbers: identical until the breach
    assert w["incident_aware"].iloc[25] == 0 and w["incident_aware"].iloc[-1] > 0.3
    assert w["incident_aware"].iloc[-1] > w["incident_aware"].iloc[26]  # news spreads on
    abnormal = base.summary["retention"] - breach.summary["retention"]
    assert 0.02 <= abnormal <= 0.07  # the Ponemon/IBM band


def test_story_adaptive_escalates_and_backs_off():
    levels = _run("adaptive_backoff").weekly["level"].diff().dropna()
    assert (levels > 0).any() and (levels < 0).any()


def test_builtin_scenarios_load_by_name_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sim.load_scenario("baseline").name == "baseline"
    assert sim.load_scenario("data_breach.toml").name == "data_breach"
    with pytest.raises(sim.ScenarioError, match=r"built-in scenarios: .*baseline"):
        sim.load_scenario("basline")
    with pytest.raises(sim.ScenarioError, match=r"file not found$"):
        sim.load_scenario("somewhere/basline.toml")


def test_extends_takes_a_built_in_name(tmp_path: Path) -> None:
    child = tmp_path / "mine.toml"
    child.write_text('extends = "baseline"\n[population]\nsize = 1234\n', encoding="utf-8")
    sc = sim.load_scenario(child)
    base = sim.load_scenario("baseline")
    assert sc.population.size == 1234
    assert sc.strategy == base.strategy and sc.network == base.network


def test_extends_names_the_built_ins_when_the_parent_is_missing(tmp_path: Path) -> None:
    child = tmp_path / "mine.toml"
    child.write_text('extends = "basline"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(child)
    text = str(info.value)
    assert "mine.toml" in text and "extends" in text and "baseline" in text
