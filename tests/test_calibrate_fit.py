"""The objective and the Optuna point estimate: exact reproducibility, recovery, resume."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pytest

import sim
from sim.calibrate.objective import Objective
from sim.calibrate.optimize import near_best, open_study, optimize
from sim.calibrate.spec import load_calibration_spec
from sim.sweep.executors import InlineExecutor
from tests.calibrate_toy import TRUE_RATE, toy_data, toy_spec


@pytest.fixture
def toy(tmp_path):
    spec = load_calibration_spec(toy_spec(tmp_path))
    obs = spec.read_data(toy_data(tmp_path))
    return spec, obs, Objective.from_spec(spec, obs)


def test_same_parameters_same_loglik_common_random_numbers(toy):
    _, _, obj = toy
    a, b = obj({"purchase.base_rate": 0.12}), obj({"purchase.base_rate": 0.12})
    assert a.loglik == b.loglik and a.distance == b.distance
    assert a.rates.equals(b.rates)
    # Common random numbers: the parameter moves purchases only, not the consumers' churn.
    c = obj({"purchase.base_rate": 0.2})
    assert c.rates["churned"].equals(a.rates["churned"])
    assert not c.rates["purchases"].equals(a.rates["purchases"])


def test_the_loglik_peaks_near_the_truth_and_the_summary_is_zero_length_consistent(toy):
    _, _, obj = toy
    ll = {r: obj({"purchase.base_rate": r}).loglik for r in (0.06, TRUE_RATE, 0.24)}
    assert ll[TRUE_RATE] > ll[0.06] and ll[TRUE_RATE] > ll[0.24]
    ev = obj({"purchase.base_rate": TRUE_RATE})
    vec = obj.summary(ev.rates, ev.targets)
    assert vec.shape == obj.observed_summary().shape
    assert math.isclose(float(np.sqrt((vec ** 2).sum())), ev.distance)


def test_targets_measure_the_incident_cost_and_the_annual_churn(tmp_path):
    events = ('[[incidents.events]]\nweek = 8\nseverity = 0.9\nresponsible = false\n'
              'media_reach = 0.5\n')
    targets = ('[[targets]]\nkind = "abnormal_churn"\nlow = 0.5\nhigh = 0.9\n'
               '[[targets]]\nkind = "annual_churn"\nlow = 0.0\nhigh = 1.0\n')
    path = toy_spec(tmp_path, extra=targets)
    brand = tmp_path / "toy_brand.toml"
    brand.write_text(brand.read_text() + events)
    spec = load_calibration_spec(path)
    obj = Objective.from_spec(spec, spec.read_data(toy_data(tmp_path)))
    ev = obj({"purchase.base_rate": 0.1})
    cost, annual = ev.targets.values()
    # A bad breach costs customers (paired run without it, same draws), far below a 50% band.
    assert 0 < cost < 0.5
    assert ev.terms["target 0: abnormal_churn"] < 0 == ev.terms["target 1: annual_churn"]
    sd = (0.9 - 0.5) / 4
    assert ev.terms["target 0: abnormal_churn"] == pytest.approx(-0.5 * ((0.5 - cost) / sd) ** 2)
    assert 0 < annual < 1


def test_the_objective_is_picklable_for_worker_processes(toy):
    import pickle

    _, _, obj = toy
    again = pickle.loads(pickle.dumps(obj))
    assert again({"purchase.base_rate": 0.1}).loglik == obj({"purchase.base_rate": 0.1}).loglik


@pytest.mark.slow
def test_optuna_recovers_a_known_purchase_rate(toy):
    spec, _, obj = toy
    study = open_study(None, seed=3, dims=1)
    res = optimize(obj, spec.priors, study, trials=24, executor=InlineExecutor())
    assert res.complete == 24
    assert abs(res.best["purchase.base_rate"] - TRUE_RATE) < 0.015
    table = near_best(res, 0.25)  # a quarter of 24 is 6: at least 10 are kept
    assert len(table) == 10 and math.isclose(table["weight"].sum(), 1.0)
    assert table.iloc[0]["purchase.base_rate"] == res.best["purchase.base_rate"]
    assert abs(table["purchase.base_rate"].median() - TRUE_RATE) < 0.03
    assert len(near_best(res, 1.0)) == 24


@pytest.mark.slow
def test_a_resumed_study_keeps_its_trials_and_continues(tmp_path, toy):
    spec, _, obj = toy
    url = f"sqlite:///{tmp_path / 'study.sqlite3'}"
    first = optimize(obj, spec.priors, open_study(url, seed=3), trials=5,
                     executor=InlineExecutor())
    # A crash leaves a trial running: resuming marks it failed, and it does not count.
    open_study(url, seed=3, resume=True).ask()
    again = optimize(obj, spec.priors, open_study(url, seed=3, resume=True), trials=8,
                     executor=InlineExecutor())
    assert again.complete == 8
    assert again.trials.iloc[:5][["number", "value"]].equals(first.trials[["number", "value"]])
    with sqlite3.connect(tmp_path / "study.sqlite3") as db:
        states = dict(db.execute("select state, count(*) from trials group by state"))
    assert states == {"COMPLETE": 8, "FAIL": 1}


@pytest.mark.slow
def test_an_interrupted_search_marks_running_trials_failed(tmp_path, toy):
    spec, _, obj = toy
    url = f"sqlite:///{tmp_path / 'study.sqlite3'}"
    calls = []

    def stop_on_third(params):
        calls.append(params)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return obj(params)

    with pytest.raises(KeyboardInterrupt):
        optimize(stop_on_third, spec.priors, open_study(url, seed=3), trials=10,
                 executor=InlineExecutor())
    assert len(calls) == 3  # the interrupt landed in the third evaluation
    res = optimize(obj, spec.priors, open_study(url, seed=3, resume=True), trials=4,
                   executor=InlineExecutor())
    assert res.complete == 4 and res.trials["number"].tolist()[:2] == [0, 1]


@pytest.mark.slow
def test_sim_calibrate_writes_a_folder_whose_best_scenario_runs(tmp_path):
    spec = toy_spec(tmp_path, trials=6)
    res = sim.calibrate(spec, toy_data(tmp_path), out=tmp_path / "cal", workers=0,
                        predictive_draws=6)
    out = tmp_path / "cal"
    best = sim.load_scenario(out / "best.toml")
    assert best.get("purchase.base_rate") == pytest.approx(res.best["purchase.base_rate"])
    assert sim.run(best).weekly["purchases"].sum() > 0
    post = __import__("pandas").read_parquet(out / "posterior.parquet")
    assert list(post.columns) == ["purchase.base_rate", "weight"]
    band = __import__("pandas").read_csv(out / "predictive.csv")
    assert list(band.columns) == ["week", "series", "q05", "q50", "q95"]
    assert (band["q05"] <= band["q50"]).all() and (band["q50"] <= band["q95"]).all()
    text = (out / "summary.md").read_text()
    assert "point estimate" in text
    # 6 trials is a toy budget, and it says so; the run command names the folder
    assert "**Small budget:** only 6 trials for 1 parameters (below 50)" in text
    assert f"`trustsim run {out / 'best.toml'}`" in text
    assert f"--posterior {out / 'posterior.parquet'}" in text
    assert 0 <= res.coverage["overall"] <= 1
    for stem in ("trace", "posterior", "predictive"):  # drawn by default into figures/
        assert (out / "figures" / f"{stem}.png").is_file(), stem


def test_optuna_identification_is_a_near_best_range_never_a_posterior(tmp_path):
    import pandas as pd

    from sim.calibrate.run import identification

    spec = load_calibration_spec(toy_spec(tmp_path), ["optuna.near_best=0.1"])
    x = np.linspace(0.05, 0.25, 50)  # the objective peaks just above x[25]
    trials = pd.DataFrame({"number": range(50), "value": -((x - x[25] - 0.001) ** 2),
                           "purchase.base_rate": x})
    table, _, pairs = identification(spec, trials.head(0).assign(weight=[]), "optuna", trials)
    r = table.iloc[0]
    # The best 10% of 50 trials would be 5: at least 10 are kept, x[21] to x[30].
    assert r.estimate == pytest.approx(x[25])
    assert (r.fit_low, r.fit_high) == pytest.approx((x[21], x[30]))
    assert "not a posterior" in r.interval and r.identified
    assert pairs.empty


@pytest.mark.slow
def test_summary_names_fitted_and_checked_series_and_says_whether_targets_were_met(tmp_path):
    spec = toy_spec(tmp_path, trials=3,
                    extra='[[targets]]\nkind = "annual_churn"\nlow = 0.9\nhigh = 1.0\n')
    data = toy_data(tmp_path)
    res = sim.calibrate(spec, data, out=tmp_path / "cal", workers=0, predictive_draws=3,
                        draw=False)
    text = (tmp_path / "cal" / "summary.md").read_text()
    checked = [c for c in res.observed.series if c != "purchases"]
    assert "fitted to purchases" in text
    if checked:
        assert f"({', '.join(checked)} only checked against the fit)" in text
    churn = next(iter(res.evaluation.targets.values()))
    assert churn < 0.9  # a toy brand does not lose 90% a year: the band is missed
    assert f"annual churn {100 * churn:.2f}% (band 90% to 100%: missed)" in text
