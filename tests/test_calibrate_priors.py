"""Priors of calibrated parameters: densities, quantiles and errors with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.calibrate.priors import Prior, priors_from_table
from sim.errors import ScenarioError


def test_uniform_density_interval_and_round_trip() -> None:
    p = Prior("trust.gain_rate", 0.0, 0.04)
    assert p.logpdf(0.01) == pytest.approx(-math.log(0.04))
    assert p.logpdf([-0.001, 0.05]).tolist() == [-math.inf, -math.inf]
    assert p.interval(0.9) == pytest.approx((0.002, 0.038))
    assert p.from_unit(p.to_unit(0.013)) == pytest.approx(0.013)
    assert p.kind == "uniform"


def test_log_uniform_density_has_the_jacobian() -> None:
    p = Prior("churn.base_hazard", 1e-4, 1e-2, log=True)
    # density 1 / (x ln(high/low)) at x = 1e-3
    assert p.logpdf(1e-3) == pytest.approx(-math.log(1e-3 * math.log(100.0)))
    assert p.to_unit(1e-3) == pytest.approx(0.5)
    assert p.interval(0.5) == pytest.approx((10 ** -3.5, 10 ** -2.5))
    assert p.kind == "log-uniform"


def test_truncated_normal_is_normalised_on_the_bounds() -> None:
    p = Prior("trust.asymmetry", 1.0, 5.0, mean=2.0, sd=0.5)
    xs = np.linspace(1.0, 5.0, 20001)
    area = np.trapezoid(np.exp(p.logpdf(xs)), xs)
    assert area == pytest.approx(1.0, abs=1e-6)
    assert p.to_unit(2.0) == pytest.approx(0.5, abs=0.03)  # truncation is one-sided and small
    assert p.kind == "truncated normal"


def test_samples_follow_the_prior_and_are_reproducible() -> None:
    p = Prior("wom.negative_effect", 0.001, 0.1, log=True)
    a = p.sample(np.random.default_rng(7), 20000)
    b = p.sample(np.random.default_rng(7), 20000)
    assert np.array_equal(a, b)
    assert a.min() >= 0.001 and a.max() <= 0.1
    # half the mass of a log-uniform on [1e-3, 1e-1] is below 1e-2
    assert np.mean(a < 0.01) == pytest.approx(0.5, abs=0.015)


@pytest.mark.parametrize(("kwargs", "key", "words"), [
    ({"low": 1.0, "high": 0.5}, "x.high", "must be above low"),
    ({"low": 0.0, "high": 1.0, "log": True}, "x.low", "above 0 for a log prior"),
    ({"low": 0.0, "high": 1.0, "mean": 0.5}, "x.sd", "go together"),
    ({"low": 0.0, "high": 1.0, "mean": 2.0, "sd": 0.1}, "x.mean", "between low"),
    ({"low": 0.0, "high": 1.0, "mean": 0.5, "sd": 0.0}, "x.sd", "above 0"),
    ({"low": float("nan"), "high": 1.0}, "x.low", "finite number"),
])
def test_bad_priors_name_the_key(kwargs: dict, key: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        Prior("x", **kwargs)
    assert [p.key for p in err.value.problems] == [key]
    assert words in str(err.value)


def test_table_collects_every_problem_with_the_file() -> None:
    with pytest.raises(ScenarioError) as err:
        priors_from_table({"a": {"low": 0, "high": 1, "shape": "beta"}, "b": {"high": 1},
                           "c": {"low": 0, "high": 1, "log": "yes"}, "d": 3}, "fit.toml")
    keys = [p.key for p in err.value.problems]
    assert keys == ["a.shape", "b.low", "c.log", "d"]
    assert all(p.file == "fit.toml" for p in err.value.problems)


def test_table_keeps_order_and_settings() -> None:
    got = priors_from_table({"b": {"low": 1, "high": 5, "mean": 2, "sd": 1},
                             "a": {"low": 0.1, "high": 1, "log": True}})
    assert [p.key for p in got] == ["b", "a"]
    assert got[0].as_dict() == {"key": "b", "low": 1, "high": 5, "log": False, "mean": 2, "sd": 1}
    assert got[1].log
