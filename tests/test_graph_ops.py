"""Fast neighbour sums equal the sparse product."""

from __future__ import annotations

import numpy as np
import pytest

from sim.graph_ops import neighbour_sum
from sim.network import build_network


@pytest.mark.parametrize("share", [0.0, 0.001, 0.03, 0.5])
@pytest.mark.parametrize("kind", ["watts_strogatz", "barabasi_albert", "erdos_renyi"])
def test_neighbour_sum_equals_matvec(kind, share):
    rng = np.random.default_rng(4)
    adj = build_network(kind, 5000, rng, mean_degree=8)
    mask = rng.random(5000) < share
    assert np.array_equal(neighbour_sum(adj, mask), adj @ mask.astype(np.float32))
    w = np.where(mask, rng.random(5000), 0).astype(np.float32)
    assert np.allclose(neighbour_sum(adj, w), adj @ w, rtol=1e-5)
