"""Where a Dask sweep's time goes, against two local processes (reported, not asserted).

Usage::

    python benchmarks/bench_sweep_dask.py              # 100 runs of 5,000 consumers per setup
    python benchmarks/bench_sweep_dask.py --quick      # 20 runs per setup (smoke test)

The same sweep (the baseline at 5,000 consumers x 52 weeks, 5 escalation
levels x 5 transparency values x replicates) runs on:

* ``local2``: two local worker processes (the default executor);
* ``dask_1w2t``: a local Dask cluster with one worker of two threads (what
  ``dask worker`` starts by default on a two-core machine);
* ``dask_2w1t``: two Dask workers of one thread each;
* ``dask_1w1t``: one worker of one thread.

Reported per setup: runs per second (this session: executor open to last
result), the overhead the sweep reports (``1 - in-run seconds / (wall x
slots)``, which counts a run slowed down by another thread of its process as
work), the CPU overhead it now reports beside it (``1 - CPU seconds in runs /
(wall x slots)``, which does not), the *true* overhead against a run alone in this process
(``1 - runs x serial run time / (wall x cores used)``, which counts it as
lost), the mean in-run time against the serial one, and for Dask: the size of
a pickled task (runner and a chunk of runs) and of a run's result, and the
scheduler's round trip for an empty task.

Results are printed and written to ``benchmarks/out/bench_sweep_dask.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_sweep import serial_run_time, sweep_spec  # noqa: E402

from sim.sweep import run_sweep  # noqa: E402
from sim.sweep.execute import plan  # noqa: E402
from sim.sweep.runners import make_runner  # noqa: E402
from sim.sweep.worker import execute_task  # noqa: E402

N = 5_000
WEEKS = 52
SETUPS = {  # name: (Dask workers, threads per worker), None for local processes
    "local2": None,
    "dask_1w2t": (1, 2),
    "dask_2w1t": (2, 1),
    "dask_1w1t": (1, 1),
}


def _noop() -> int:
    return 0


def sizes(spec: Any) -> dict[str, int]:
    """Bytes of a pickled task (runner + a chunk of 8 runs) and of one run's result."""
    from sim.sweep.designs import build_design

    tasks = plan(spec, build_design(spec))
    runner = make_runner(spec)
    result = execute_task(runner, tasks[0], spec.fingerprint())
    return {"task_bytes_8_runs": len(pickle.dumps((runner, tasks[:8]))),
            "result_bytes_per_run": len(pickle.dumps(result))}


def round_trip(address: str, n: int = 50) -> float:
    """Median seconds for an empty task: submit, run on a worker, result back."""
    from distributed import Client

    with Client(address) as client:
        client.submit(_noop, pure=False).result()
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            client.submit(_noop, pure=False).result()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def one_setup(name: str, spec: Any, serial_s: float) -> dict[str, Any]:
    """Run the sweep on one setup and measure it."""
    shape = SETUPS[name]
    with tempfile.TemporaryDirectory() as tmp:
        if shape is None:
            res = run_sweep(spec, Path(tmp) / "out", workers=2, progress=False)
            cores, rt = 2, None
        else:
            from distributed import LocalCluster

            nw, nt = shape
            with LocalCluster(n_workers=nw, threads_per_worker=nt, processes=True,
                              host="127.0.0.1", dashboard_address=None,
                              silence_logs=logging.ERROR) as cluster:
                rt = round_trip(cluster.scheduler_address)
                res = run_sweep(spec, Path(tmp) / "out", scheduler=cluster.scheduler_address,
                                progress=False)
            cores = nw * nt
    mean_run = float(res.timings["elapsed_s"].mean())
    true = 1.0 - res.executed * serial_s / (res.wall_s * cores)
    return {
        "runs": res.executed, "wall_s": round(res.wall_s, 2),
        "runs_per_s": round(res.executed / res.wall_s, 2),
        "reported_overhead": round(res.overhead, 3), "cpu_overhead": round(res.cpu_overhead, 3),
        "true_overhead": round(true, 3),
        "mean_run_s": round(mean_run, 4), "run_slowdown": round(mean_run / serial_s, 2),
        "round_trip_s": None if rt is None else round(rt, 4), "executor": res.executor,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every setup; print and save the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20 runs per setup")
    ap.add_argument("--only", nargs="*", choices=list(SETUPS), help="setups to run")
    args = ap.parse_args(argv)
    spec = sweep_spec(1 if args.quick else 4, N, WEEKS)
    serial = serial_run_time(N, WEEKS, 5)["median_s"]
    out: dict[str, Any] = {
        "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_avg_before": os.getloadavg(), "population": N, "weeks": WEEKS,
        "serial_run_s": round(serial, 4), **sizes(spec), "setups": {},
    }
    print(f"serial run: {serial:.3f} s; task (8 runs): {out['task_bytes_8_runs']} B; "
          f"result: {out['result_bytes_per_run']} B/run")
    for name in args.only or SETUPS:
        r = one_setup(name, spec, serial)
        out["setups"][name] = r
        print(f"{name:10s} {r['runs_per_s']:6.2f} runs/s  reported overhead "
              f"{100 * r['reported_overhead']:5.1f}%  CPU overhead "
              f"{100 * r['cpu_overhead']:5.1f}%  true overhead "
              f"{100 * r['true_overhead']:5.1f}%  run x{r['run_slowdown']:.2f}  "
              f"round trip {r['round_trip_s']}")
    out["load_avg_after"] = os.getloadavg()
    dest = HERE / "out" / "bench_sweep_dask.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(out, indent=2))
    print(f"written: {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
