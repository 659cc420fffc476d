"""The memory estimate refuses a run that cannot fit, before anything is allocated."""

from __future__ import annotations

import tracemalloc

import pytest

import sim
from sim.errors import ScenarioError
from sim.memory import (
    BASE_BYTES,
    BYTES_PER_CONSUMER,
    BYTES_PER_EDGE,
    NETWORKX_EDGE_FACTOR,
    check_fits,
    estimate,
)


def scenario(**overrides: object) -> sim.Scenario:
    return sim.load_scenario("baseline", overrides=overrides)


def test_estimate_adds_up_its_parts_exactly() -> None:
    sc = scenario(**{"population.size": 1000, "network.mean_degree": 10, "run.weeks": 10})
    est = estimate(sc)
    assert est.consumers == 1000 * BYTES_PER_CONSUMER
    assert est.network == 1000 * 10 * BYTES_PER_EDGE
    assert est.total == est.consumers + est.network + est.weekly + BASE_BYTES


def test_networkx_backend_costs_more_per_edge() -> None:
    base = {"population.size": 1000, "network.mean_degree": 10}
    numpy_net = estimate(scenario(**base)).network
    nx_net = estimate(scenario(**base, **{"network.backend": "networkx"})).network
    assert nx_net == NETWORKX_EDGE_FACTOR * numpy_net


def test_the_measured_million_run_is_estimated_above_what_it_used() -> None:
    # bench_model: 1M consumers, mean degree 10 peaked at 0.47 GB; the estimate errs high
    est = estimate(scenario(**{"population.size": 1_000_000, "network.mean_degree": 10}))
    assert 0.47e9 < est.total < 1.5e9


def test_a_run_over_the_machine_is_refused_naming_the_key_and_estimate() -> None:
    sc = scenario(**{"population.size": 20_000_000, "network.mean_degree": 50})
    with pytest.raises(ScenarioError) as info:
        check_fits(sc, available=8 * 2**30)
    text = str(info.value)
    assert "network.mean_degree" in text and "GB" in text and "available" in text


def test_the_model_refuses_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sim.memory.available_bytes", lambda: 10 * 2**20)  # 10 MB
    model = sim.TrustModel("baseline", rng=1, population__size=5000)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match=r"population\.size"):
            model.setup()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model.population is None
    assert peak < 1_000_000  # nothing of the population was allocated


def test_a_run_that_fits_passes() -> None:
    sc = scenario(**{"population.size": 2000})
    assert check_fits(sc, available=64 * 2**30).total < 64 * 2**30
