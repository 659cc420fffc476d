"""A bad ``--set`` key is blamed on the flag, by its whole dotted key, with the key meant.

Every command that takes overrides goes through :func:`sim.scenario_io.set_path`,
which checks the key against the schema before it creates any table; so a
mistyped table (``strategi.transparency``) never reaches validation as an
unknown table "in" a scenario file the user did not touch.
"""

from __future__ import annotations

import pytest

from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario_io import load_scenario, normalise_overrides
from tests.helpers import ROOT

SPEC = str(ROOT / "scenarios" / "calibration" / "example_spec.toml")


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The one ``error:`` line a failing command prints."""
    assert main(argv) != 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("argv, flag", [
    (["run", "baseline", "-q", "--set", "strategi.transparency=0.8"], "--set"),
    (["compare", "baseline", "baseline", "--set-b", "strategi.transparency=0.8"], "--set-b"),
    (["explain", "baseline", "--set", "strategi.transparency=0.8"], "--set"),
])
def test_mistyped_table_blames_the_flag_with_the_key_meant(capsys, argv, flag):
    line = _error(capsys, argv)
    assert line.startswith(f"error: {flag}: strategi.transparency: unknown key")
    assert "did you mean 'strategy.transparency'?" in line
    assert "baseline.toml" not in line


def test_calibrate_spec_key_blames_set_and_points_to_the_calibration_doc(capsys, tmp_path):
    line = _error(capsys, ["calibrate", SPEC, "--data", str(tmp_path / "none.csv"),
                           "--out", str(tmp_path / "o"), "--set", "optuna.trial=2"])
    assert line.startswith("error: --set: optuna.trial: unknown key; did you mean "
                           "'optuna.trials'?")
    assert "docs/calibration.md" in line and "scenario_keys" not in line
    assert "example_spec.toml" not in line


def test_calibrate_bad_value_from_set_blames_set(capsys, tmp_path):
    line = _error(capsys, ["calibrate", SPEC, "--data", str(tmp_path / "none.csv"),
                           "--out", str(tmp_path / "o"), "--set", "optuna.trials=0"])
    assert line.startswith("error: --set: optuna.trials:")
    assert "example_spec.toml" not in line


def test_bracket_index_is_accepted_as_the_dotted_form():
    assert load_scenario("data_breach").incidents.events[0].responsible is False
    sc = load_scenario("data_breach", ["incidents.events[0].responsible=true"])
    assert sc.incidents.events[0].responsible is True
    assert normalise_overrides(["a.b[2].c[10]=1"]) == {"a.b.2.c.10": 1}


def test_mistyped_key_inside_a_list_item_names_the_item(capsys):
    line = _error(capsys, ["run", "data_breach", "-q",
                           "--set", "incidents.events[0].responsibel=true"])
    assert line.startswith("error: --set: incidents.events.0.responsibel: unknown key; "
                           "did you mean 'incidents.events.0.responsible'?")
    assert "data_breach.toml" not in line


@pytest.mark.parametrize("key, meant", [
    ("strategi.transparency", "strategy.transparency"),
    ("population.sise", "population.size"),
])
def test_python_api_names_the_key_but_no_file(key, meant):
    # The file does not hold the key (the override does), so it is not named.
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {key: 1})
    (problem,) = info.value.problems
    assert problem.key == key and problem.file is None
    assert f"did you mean {meant!r}?" in problem.message


def test_unknown_key_with_nothing_close_has_no_hint():
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"zzzz.qqqq": 1})
    assert "did you mean" not in str(info.value)
    assert str(info.value).startswith("zzzz.qqqq: unknown key")
