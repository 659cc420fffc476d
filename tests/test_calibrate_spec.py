"""Calibration specs: the shipped example loads; each mistake names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibrate.spec import load_calibration_spec
from sim.errors import ScenarioError
from tests.calibrate_toy import toy_scenario
from tests.helpers import ROOT

EXAMPLE = ROOT / "scenarios" / "calibration" / "example_spec.toml"


def spec_text(params: str = '"purchase.base_rate" = { low = 0.05, high = 0.25 }',
              head: str = "", tail: str = "") -> str:
    return ('name = "t"\nscenario = "toy_brand.toml"\nseed = 1\n' + head
            + f"[parameters]\n{params}\n" + tail)


def load(tmp_path: Path, text: str):
    toy_scenario(tmp_path)
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return load_calibration_spec(path)


def test_the_shipped_example_is_valid():
    spec = load_calibration_spec(EXAMPLE)
    assert len(spec.keys) == 6 and spec.method == "optuna"
    assert spec.scenario.population.size == 10000 and spec.scenario.run.seed == 7
    assert spec.targets[0].kind == "annual_churn" and spec.optuna.sampler == "cmaes"


def test_overrides_change_the_budget_and_size(tmp_path):
    spec = load_calibration_spec(EXAMPLE, ["optuna.trials=3", "population=500"])
    assert spec.optuna.trials == 3 and spec.scenario.population.size == 500


@pytest.mark.parametrize("params, tail, message", [
    ('"trust.gain_rat" = { low = 0.01, high = 0.05 }', "",
     r"spec\.toml: parameters\.trust\.gain_rat: unknown scenario key; did you mean "
     r"'trust\.gain_rate'\?"),
    ('"churn.enabled" = { low = 0, high = 1 }', "", r"parameters\.churn\.enabled: is not a number"),
    ('"churn.contagion_window" = { low = 1, high = 9 }', "", r"is a whole-number key"),
    ('"population.size" = { low = 100, high = 900 }', "", r"population\.size: sets the experiment"),
    ('"trust.asymmetry" = { low = 0.5, high = 3 }', "",
     r"parameters\.trust\.asymmetry\.low: the scenario refuses this value"),
    ('"trust.gain_rate" = { low = 0.05, high = 0.01 }', "",
     r"parameters\.trust\.gain_rate\.high: must be above low"),
    ('"trust.gain_rate" = { low = 0, high = 0.1, log = true }', "",
     r"gain_rate\.low: must be above 0 for a log prior"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1, mean = 0.02 }', "",
     r"mean and sd go together"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1 }',
     '[observed.series.complaints]\nlikelihood = "binomial"\n',
     r"observed\.series\.complaints\.likelihood: must be one of poisson, negbin, normal"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1 }', "[observed.series.complains]\n",
     r"observed\.series\.complains: unknown series; did you mean 'complaints'\?"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1 }',
     '[[targets]]\nkind = "abnormal_churn"\nlow = 0.02\nhigh = 0.07\n',
     r"targets\[0\]\.incident: the scenario has 0 incident"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1 }', "[optuna]\ntrials = 0\n",
     r"optuna\.trials"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1 }', '[optuna]\nsampler = "grid"\n',
     r"optuna\.sampler"),
    ('"trust.gain_rate" = { low = 0.01, high = 0.1 }', "[optuna]\ntrails = 5\n",
     r"optuna\.trails: unknown key"),
])
def test_each_mistake_names_file_and_key(tmp_path, params, tail, message):
    with pytest.raises(ScenarioError) as exc:
        load(tmp_path, spec_text(params, tail=tail))
    assert exc.match(message)
    assert "spec.toml" in str(exc.value)


def test_a_missing_scenario_and_method_are_reported(tmp_path):
    text = spec_text(head='method = "mcmc"\n').replace("toy_brand.toml", "nowhere.toml")
    with pytest.raises(ScenarioError, match=r"method"):
        load(tmp_path, text)
    with pytest.raises(ScenarioError, match=r"scenario: scenario file not found"):
        load(tmp_path, spec_text().replace("toy_brand.toml", "nowhere.toml"))


def test_a_series_the_data_lack_is_named(tmp_path):
    spec = load(tmp_path, spec_text(tail='[observed.series.revenue]\n'))
    data = tmp_path / "d.csv"
    data.write_text("week,customers,churned\n0,99,1\n")
    with pytest.raises(ScenarioError, match=r"observed\.series\.revenue: the data file has no "
                                            r"'revenue' column"):
        spec.read_data(data)
