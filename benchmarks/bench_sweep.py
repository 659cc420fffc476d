"""Throughput and overhead of the sweep machinery (reported, not asserted).

Usage::

    python benchmarks/bench_sweep.py            # 1,000 runs + a Mesa batch_run subset
    python benchmarks/bench_sweep.py --quick    # 100 runs, 4 Mesa runs (smoke test)

What is measured:

a. **Sweep throughput.** ``sim.sweep.run_sweep`` on a grid of the baseline
   scenario (10,000 consumers x 52 weeks): 5 escalation levels x 5
   transparency levels x 40 replicates = 1,000 runs, on the default local
   executor (one worker process per core, ``forkserver``). Reported: runs per
   second end to end (spec validation, pool start-up, every run, writing each
   run's file, assembling the Parquet table), and the machinery's overhead::

       overhead = 1 - (sum of seconds inside runs) / (wall seconds x workers)

   both end to end and for the pool session alone (pool start to last
   result). "Inside a run" is the worker's time in the run function:
   building the run's scenario and ``sim.run``. The mean in-run time is set
   beside a serial ``sim.run`` in this process, which shows how much the
   runs themselves slow down when both cores are busy (memory bandwidth,
   the parent process, other work on the machine).
b. **Against Mesa's batch_run.** The same runs through ``mesa.batch_run``
   (``number_processes`` = cores) with the idiomatic per-agent model
   :class:`benchmarks.mesa_reference.ReferenceModel` (same rules and
   defaults, one Mesa agent per consumer), on a subset (5 escalation levels x
   4 seeds = 20 runs); the ratio is runs per second of the sweep over runs
   per second of batch_run. ``batch_run`` sets the global start method to
   ``spawn`` when called, so it runs after (a).

Results are printed and written to ``benchmarks/out/bench_sweep.json``
(``bench_sweep_quick.json`` with ``--quick``) with the machine and the load
average, since other work on the machine slows every figure down.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # running as a script from a source checkout
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:  # batch_run's workers import mesa_reference by name
    sys.path.insert(0, str(HERE))

import sim  # noqa: E402
from sim.sweep import run_sweep, spec_from_dict  # noqa: E402
from sim.sweep.executors import default_workers  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"
LEVELS = ["generic", "demographic", "interest", "behavioural", "personal"]


def sweep_spec(replicates: int, n: int, weeks: int) -> sim.sweep.SweepSpec:
    """The benchmark sweep: 5 levels x 5 transparency values x replicates."""
    return spec_from_dict({
        "name": "bench_sweep",
        "base": str(BASELINE),
        "seed": 424242,
        "replicates": replicates,
        "overrides": {"population.size": n, "run.weeks": weeks},
        "design": {"kind": "grid"},
        "factors": [
            {"key": "strategy.escalation.level", "name": "escalation", "role": "lever",
             "values": LEVELS},
            {"key": "strategy.transparency", "name": "transparency", "role": "lever",
             "range": [0.0, 1.0], "steps": 5},
        ],
    })


def serial_run_time(n: int, weeks: int, repeats: int) -> dict[str, Any]:
    """Median seconds of ``sim.run`` in this process (after one warm-up run)."""
    sc = sim.load_scenario(BASELINE, overrides={"population.size": n, "run.weeks": weeks})
    sim.run(sc)
    times = []
    for r in range(repeats):
        sc_r = sim.with_overrides(sc, {"run.replicate": r,
                                       "strategy.escalation.level": LEVELS[r % 5]})
        t0 = time.perf_counter()
        sim.run(sc_r)
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "times_s": times}


def bench_sweep(replicates: int, n: int, weeks: int, workers: int) -> dict[str, Any]:
    """Run the sweep once and measure throughput and overhead."""
    spec = sweep_spec(replicates, n, weeks)
    out = Path(tempfile.mkdtemp(prefix="bench_sweep_")) / "sweep"
    try:
        t0 = time.perf_counter()
        res = run_sweep(spec, out, workers=workers, progress=sys.stderr.isatty())
        total = time.perf_counter() - t0
        runs = len(res.results)
        elapsed = res.timings["elapsed_s"]
        return {
            "runs": runs,
            "failed": len(res.failures),
            "workers": res.workers,
            "executor": res.executor,
            "wall_end_to_end_s": total,
            "wall_pool_session_s": res.wall_s,
            "in_run_sum_s": float(elapsed.sum()),
            "in_run_mean_s": float(elapsed.mean()),
            "in_run_median_s": float(elapsed.median()),
            "first_runs_s": elapsed.iloc[:4].round(3).tolist(),
            "runs_per_s": runs / total,
            "overhead_end_to_end": 1.0 - float(elapsed.sum()) / (total * res.workers),
            "overhead_pool_session": res.overhead,
            "setup_and_assembly_s": total - res.wall_s,
        }
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def bench_batch_run(seeds: int, n: int, weeks: int, workers: int) -> dict[str, Any]:
    """The same kind of runs through Mesa's batch_run with the per-agent reference model."""
    import mesa
    from mesa_reference import ReferenceModel

    params = {"n": n, "weeks": weeks, "strategy__escalation__level": LEVELS}
    t0 = time.perf_counter()
    rows = mesa.batch_run(
        ReferenceModel, parameters=params, number_processes=workers,
        rng=list(range(1, seeds + 1)), data_collection_period=-1, max_steps=weeks,
        display_progress=False,
    )
    total = time.perf_counter() - t0
    return {"runs": len(rows), "wall_s": total, "runs_per_s": len(rows) / total,
            "workers": workers, "mesa": mesa.__version__}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).

    Returns:
        Exit status.
    """
    ap = argparse.ArgumentParser(description="sweep throughput, overhead and batch_run ratio")
    ap.add_argument("--quick", action="store_true", help="100 runs and 4 Mesa runs")
    ap.add_argument("--workers", type=int, default=None, help="default: one per core")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--no-mesa", action="store_true", help="skip the batch_run comparison")
    args = ap.parse_args(argv)
    workers = args.workers or default_workers()
    replicates = 4 if args.quick else 40
    seeds = 1 if args.quick else 4
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "workers": workers, "python": platform.python_version(),
                    "platform": platform.platform(), "trustsim": sim.__version__,
                    "loadavg_start": os.getloadavg()},
        "run": {"consumers": args.n, "weeks": args.weeks},
    }
    print(f"serial sim.run, {args.n:,} consumers x {args.weeks} weeks ...", flush=True)
    report["serial"] = serial_run_time(args.n, args.weeks, 3 if args.quick else 7)
    print(f"  median {report['serial']['median_s']:.3f} s per run", flush=True)

    print(f"sweep: {25 * replicates} runs on {workers} workers ...", flush=True)
    sw = report["sweep"] = bench_sweep(replicates, args.n, args.weeks, workers)
    print(f"  {sw['runs']} runs in {sw['wall_end_to_end_s']:.1f} s end to end: "
          f"{sw['runs_per_s']:.2f} runs/s ({sw['executor']})")
    print(f"  sum inside runs {sw['in_run_sum_s']:.1f} s (mean {sw['in_run_mean_s']:.3f} s "
          f"per run; serial {report['serial']['median_s']:.3f} s)")
    print(f"  overhead: {100 * sw['overhead_end_to_end']:.1f}% end to end, "
          f"{100 * sw['overhead_pool_session']:.1f}% in the pool session; "
          f"set-up + assembly {sw['setup_and_assembly_s']:.1f} s")

    if not args.no_mesa:
        print(f"mesa.batch_run: {5 * seeds} runs of the per-agent reference model ...",
              flush=True)
        mb = report["batch_run"] = bench_batch_run(seeds, args.n, args.weeks, workers)
        ratio = sw["runs_per_s"] / mb["runs_per_s"]
        report["ratio_sweep_over_batch_run"] = ratio
        print(f"  {mb['runs']} runs in {mb['wall_s']:.1f} s: {mb['runs_per_s']:.3f} runs/s")
        print(f"  sweep / batch_run throughput: {ratio:.0f}x")
    report["machine"]["loadavg_end"] = os.getloadavg()
    out = HERE / "out" / ("bench_sweep_quick.json" if args.quick else "bench_sweep.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
