"""Benchmark the network builders.

Prints the median build time (and peak numpy memory, from tracemalloc) of every
generated kind at one million consumers with mean degree 10 on the vectorised
``numpy`` backend, the time to load the same Watts–Strogatz network from a
five-million-line edge-list file, and the ``networkx`` backend at 100,000
consumers for comparison (one build each by default: networkx's block model
walks all n^2/2 consumer pairs and takes about two minutes at that size).
Figures are reported, not asserted.

Usage::

    python benchmarks/bench_network.py [--n 1000000] [--nx-n 100000] [--repeats 3]
    python benchmarks/bench_network.py --n 100000 --nx-n 10000 --no-edgelist  # quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim import network as net

KINDS = ("watts_strogatz", "erdos_renyi", "barabasi_albert", "sbm")


def measure(
    build: Callable[[int], sp.csr_array], repeats: int, *, memory: bool = True
) -> tuple[float, float | None, float]:
    """Return (median seconds, peak MB or None, mean degree) of ``build(seed)``."""
    times = []
    adj = None
    for seed in range(repeats):
        del adj
        start = time.perf_counter()
        adj = build(seed)
        times.append(time.perf_counter() - start)
    mean_degree = adj.nnz / adj.shape[0]
    del adj
    if not memory:
        return statistics.median(times), None, mean_degree
    tracemalloc.start()
    build(repeats)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return statistics.median(times), peak, mean_degree


def row(label: str, n: int, seconds: float, peak: float | None, mean_degree: float) -> None:
    peak_text = f"{peak:10.0f}" if peak is not None else f"{'-':>10}"
    print(f"{label:<34}{n:>10,}{seconds:>10.3f}{peak_text}{mean_degree:>9.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="consumers, numpy backend")
    parser.add_argument("--nx-n", type=int, default=100_000, help="consumers, networkx backend")
    parser.add_argument("--mean-degree", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nx-repeats", type=int, default=1)
    parser.add_argument("--no-edgelist", action="store_true", help="skip the edge-list load")
    parser.add_argument("--no-networkx", action="store_true", help="skip the networkx backend")
    args = parser.parse_args()
    md = args.mean_degree

    print(
        f"median of {args.repeats} builds ({args.nx_repeats} for networkx); "
        "peak = tracemalloc peak of one more build"
    )
    print(f"{'builder':<34}{'n':>10}{'seconds':>10}{'peak MB':>10}{'mean deg':>9}")
    for kind in KINDS:
        seconds, peak, degree = measure(
            lambda seed, kind=kind: net.build_network(
                kind, args.n, np.random.default_rng(seed), mean_degree=md
            ),
            args.repeats,
        )
        row(f"{kind} (numpy)", args.n, seconds, peak, degree)

    if not args.no_edgelist:
        adj = net.build_network("watts_strogatz", args.n, np.random.default_rng(0), mean_degree=md)
        upper = sp.triu(adj, 1).tocoo()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "network.csv"
            with path.open("w") as out:
                out.write("source,target\n")
                step = 1_000_000
                for lo in range(0, upper.nnz, step):
                    rows = upper.row[lo : lo + step].tolist()
                    cols = upper.col[lo : lo + step].tolist()
                    out.write("".join(f"{a},{b}\n" for a, b in zip(rows, cols, strict=True)))
            del adj, upper
            seconds, peak, degree = measure(lambda _: net.load_edgelist(path, args.n), 1)
            row(
                f"edgelist load ({path.stat().st_size / 1e6:.0f} MB csv)",
                args.n,
                seconds,
                peak,
                degree,
            )

    if not args.no_networkx:
        for kind in KINDS:
            seconds, _, degree = measure(
                lambda seed, kind=kind: net.build_network(
                    kind, args.nx_n, np.random.default_rng(seed), mean_degree=md,
                    backend="networkx",
                ),
                args.nx_repeats,
                memory=False,
            )  # fmt: skip
            row(f"{kind} (networkx)", args.nx_n, seconds, None, degree)


if __name__ == "__main__":
    main()
