"""Memory a run will need, estimated before anything is allocated.

Layer: beside the population (reads only the scenario schema). The model
calls :func:`check_fits` before it samples consumers or builds the network, so
a run that cannot fit in this machine's memory is refused at once, with the
estimate, instead of swapping or dying with ``MemoryError`` minutes later.

The estimate is deliberately simple and errs high. Its constants were measured
with ``benchmarks/bench_model.py`` (1,000,000 consumers on a small world of
mean degree 10, 52 weeks: 0.47 GB peak, of which about 0.2 GB is the imported
libraries):

- :data:`BYTES_PER_CONSUMER`: the consumer arrays, perception cut-offs, the
  per-consumer result table and temporaries of one week's passes;
- :data:`BYTES_PER_EDGE`: one direction of one friendship in the CSR
  adjacency (int32 index and float32 weight) plus the builder's temporaries;
  the networkx backend keeps Python objects per edge and costs about 20 times
  as much (:data:`NETWORKX_EDGE_FACTOR`);
- :data:`BYTES_PER_WEEK`: one row of the weekly table (negligible, kept for
  honesty).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.config import Scenario
from sim.errors import ScenarioError

BYTES_PER_CONSUMER = 240
"""Consumer arrays, cut-off caches, the result table and per-week temporaries."""
BYTES_PER_EDGE = 16
"""One direction of one edge in the CSR adjacency, with the builder's temporaries."""
NETWORKX_EDGE_FACTOR = 20
"""How many times more an edge costs when the graph is built through networkx."""
BYTES_PER_WEEK = 2_048
"""One row of the weekly table."""
BASE_BYTES = 250 * 2**20
"""The interpreter and imported libraries (numpy, scipy, pandas, mesa)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run is expected to need at its peak.

    Attributes:
        consumers: The consumer arrays and tables.
        network: The adjacency (and its construction).
        weekly: The weekly table.
        base: The interpreter and libraries.
    """

    consumers: int
    network: int
    weekly: int
    base: int = BASE_BYTES

    @property
    def total(self) -> int:
        """All parts together."""
        return self.consumers + self.network + self.weekly + self.base

    def describe(self) -> str:
        """The estimate in words, e.g. ``"about 3.1 GB (consumers 2.4 GB, network 0.5 GB)"``."""
        return (f"about {gigabytes(self.total)} (consumers {gigabytes(self.consumers)}, "
                f"network {gigabytes(self.network)})")


def gigabytes(n: float) -> str:
    """``n`` bytes as GB with one decimal (two below 1 GB)."""
    gb = n / 1e9
    return f"{gb:.1f} GB" if gb >= 1 else f"{gb:.2f} GB"


def estimate(scenario: Scenario) -> MemoryEstimate:
    """The peak memory a run of ``scenario`` is expected to need.

    Args:
        scenario: The validated scenario.

    Returns:
        The estimate, by part.

    Example:
        >>> from sim.config import Scenario
        >>> est = estimate(Scenario())
        >>> est.total > est.base
        True
    """
    n = scenario.population.size
    net = scenario.network
    if net.kind in ("none", "edgelist"):
        # an edge list's size is not known before it is read; the file itself bounds it
        edges = 0.0
    else:
        edges = float(n) * float(net.mean_degree)
    per_edge = BYTES_PER_EDGE * (NETWORKX_EDGE_FACTOR if net.backend == "networkx" else 1)
    return MemoryEstimate(
        consumers=int(n * BYTES_PER_CONSUMER),
        network=int(edges * per_edge),
        weekly=int(scenario.run.weeks * BYTES_PER_WEEK),
    )


def available_bytes() -> int | None:
    """Memory this machine can give a new run now (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(scenario: Scenario, available: int | None = None) -> MemoryEstimate:
    """Refuse a run whose memory estimate exceeds what the machine has.

    Args:
        scenario: The validated scenario.
        available: Bytes available; None reads them from the machine.

    Returns:
        The estimate, when the run fits (or the machine's memory is unknown).

    Raises:
        ScenarioError: Naming ``population.size`` (and ``network.mean_degree``
            when the network dominates), the estimate and the memory available.
    """
    est = estimate(scenario)
    free = available_bytes() if available is None else available
    if free is None or est.total <= free:
        return est
    key = "network.mean_degree" if est.network > est.consumers else "population.size"
    value = (scenario.network.mean_degree if key == "network.mean_degree"
             else scenario.population.size)
    raise ScenarioError.one(
        key,
        f"this run needs {est.describe()} of memory and the machine has "
        f"{gigabytes(free)} available; lower population.size or network.mean_degree "
        "(or run it on a larger machine)",
        value,
        scenario.name,
    )
