"""Validation: the Watts (2002) global-cascade window on Erdős–Rényi graphs.

Threshold rule alone (every other mechanism off), 10,000 nodes, social
threshold 0.18, one random consumer churned at the start. Watts' analytic
window for phi = 0.18 is about 1 < z < 6: global cascades are frequent inside
and vanish steeply above it.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.helpers import ONLY_CHURN_CONTAGION

pytestmark = pytest.mark.slow  # every study here takes several seconds

TRIALS = 16


def cascade_sizes(z: float, trials: int = TRIALS) -> np.ndarray:
    sizes = []
    for seed in range(trials):
        sc = sim.scenario_from_dict({}, {
            **ONLY_CHURN_CONTAGION,
            "population.size": 10_000, "network.kind": "erdos_renyi",
            "network.mean_degree": float(z), "churn.rule": "threshold",
            "churn.social_threshold": 0.18, "churn.initial_churned": 1,
            "run.weeks": 100, "run.seed": 1000 + seed,
        })
        sizes.append(1.0 - sim.run(sc).summary["retention"])
    return np.array(sizes)


@pytest.mark.parametrize("z", [2, 3, 4])
def test_global_cascades_frequent_inside_window(z):
    sizes = cascade_sizes(z)
    assert np.mean(sizes > 0.10) >= 0.5, sizes


@pytest.mark.parametrize("z", [8, 10])
def test_global_cascades_vanish_above_window(z):
    sizes = cascade_sizes(z)
    assert np.mean(sizes > 0.10) <= 1 / TRIALS, sizes


def test_below_percolation_no_global_cascade():
    assert np.mean(cascade_sizes(0.8) > 0.10) == 0.0
