"""Speed and memory of a whole simulation run (reported, not asserted).

Usage::

    python benchmarks/bench_model.py            # full figures (about 3-5 minutes on 2 cores)
    python benchmarks/bench_model.py --quick    # smaller sizes, a smoke test (under a minute)
    python benchmarks/bench_model.py --profile  # also cProfile one large run

What is measured (all on ``scenarios/baseline.toml`` with every mechanism on
and one irresponsibly handled data incident in week 2, so that incident news
spreads through the network during the run):

a. **Large run.** 1,000,000 consumers, Watts–Strogatz network of mean degree
   10, 52 weeks. Each repetition is a fresh ``python`` subprocess under
   ``/usr/bin/time -v``: the child times ``sim.run(sc)`` end to end (market
   fit, population, network, 52 weeks, result tables) with
   ``time.perf_counter``, and ``time`` reports the peak resident set size of
   the whole process ("Maximum resident set size"). The RSS of a child that
   only imports ``sim`` is reported beside it. Targets: < 30 s, < 1.5 GB.
b. **Throughput against idiomatic Mesa.** 100,000 consumers: ``sim.run`` for
   52 weeks, and :class:`benchmarks.mesa_reference.ReferenceModel` (one Mesa
   agent per consumer, ``shuffle_do``) for 5 weeks, in this process, in 5
   interleaved rounds (sim, Mesa, sim, Mesa, ...). Reported
   in agent-steps per second (consumers x weeks / seconds). The headline ratio
   charges ``sim`` with its whole run (set-up, output tables) and Mesa only
   with its steps (not its set-up); the step-only ratio is given too.
   Target: >= 100x.
c. **Small run.** 10,000 consumers x 52 weeks after ``import sim`` (one
   untimed warm-up run, then the median of the timed runs). Target: < 0.3 s.

Every figure is the median of several repetitions (3 for the 1M runs, 5
rounds for the throughput, 7 for the small run); the raw times are kept.
Results are printed and written as JSON to ``benchmarks/out/bench_model.json``
(``bench_model_quick.json`` with ``--quick``), with the machine, library
versions and the load average.
Other work on the machine slows every wall-clock figure down, so the CPU
(process) time of each measurement is kept beside it: on an idle machine the
two agree (the run is single-threaded); under load the CPU time is the better
estimate of what the code costs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "benchmarks" / "out"
SCENARIO = ROOT / "scenarios" / "baseline.toml"
INCIDENT = [{"week": 2, "severity": 0.6, "responsible": False}]
TARGETS = {"large_wall_s": 30.0, "large_peak_rss_gb": 1.5, "mesa_ratio": 100.0,
           "small_wall_s": 0.3}

for _p in (str(ROOT), str(ROOT / "benchmarks")):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def overrides(n: int, weeks: int = 52) -> dict[str, Any]:
    """Scenario overrides of every benchmark: size, weeks, and the incident.

    Args:
        n: Consumers.
        weeks: Weeks.

    Returns:
        Dotted-key overrides for :func:`sim.load_scenario`.
    """
    return {"population.size": n, "run.weeks": weeks, "incidents.events": INCIDENT}


# --------------------------------------------------------------------------- (a) large run

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import sim
t1 = time.perf_counter()
args = json.loads(sys.argv[1])
out = {"import_s": t1 - t0}
if args["run"]:
    sc = sim.load_scenario(args["scenario"], overrides=args["overrides"])
    t2, c2 = time.perf_counter(), time.process_time()
    res = sim.run(sc)
    out["run_s"] = time.perf_counter() - t2
    out["run_cpu_s"] = time.process_time() - c2
    out["retention"] = res.summary["retention"]
    out["mean_trust"] = res.summary["mean_trust"]
    out["edges"] = int(res.network.nnz // 2)
out["self_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("BENCH_JSON " + json.dumps(out))
"""

_RSS_RE = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")


def child_run(n: int, weeks: int, *, run: bool = True) -> dict[str, Any]:
    """Run ``sim.run`` once in a fresh interpreter under ``/usr/bin/time -v``.

    Args:
        n: Consumers.
        weeks: Weeks.
        run: False to only import ``sim`` (the interpreter's own footprint).

    Returns:
        The child's timings plus ``peak_rss_kb`` (from ``time -v`` when
        available, else the child's own ``ru_maxrss``) and ``wall_s``, the
        subprocess's wall time including interpreter start and imports.

    Raises:
        RuntimeError: If the child fails.
    """
    payload = json.dumps({"scenario": str(SCENARIO), "overrides": overrides(n, weeks),
                          "run": run})
    cmd = [sys.executable, "-c", _CHILD, payload]
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        cmd = [str(gnu_time), "-v", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON "))
    out = json.loads(line.removeprefix("BENCH_JSON "))
    m = _RSS_RE.search(proc.stderr)
    out["peak_rss_kb"] = int(m.group(1)) if m else int(out["self_maxrss_kb"])
    out["rss_source"] = "/usr/bin/time -v" if m else "ru_maxrss"
    out["wall_s"] = wall
    return out


def bench_large(n: int, weeks: int, repeats: int) -> dict[str, Any]:
    """(a) Wall time and peak RSS of a large run, each in a fresh subprocess.

    Args:
        n: Consumers.
        weeks: Weeks.
        repeats: Subprocess runs.

    Returns:
        Medians, raw values and the import-only footprint.
    """
    base = child_run(n, weeks, run=False)
    runs = []
    for i in range(repeats):
        r = child_run(n, weeks)
        runs.append(r)
        print(f"  [a] run {i + 1}/{repeats}: sim.run {r['run_s']:.2f} s "
              f"(CPU {r['run_cpu_s']:.2f} s), "
              f"peak RSS {r['peak_rss_kb'] / 1e6:.3f} GB", flush=True)
    run_s = [r["run_s"] for r in runs]
    rss_gb = [r["peak_rss_kb"] / 1e6 for r in runs]
    return {
        "n": n, "weeks": weeks, "network": "watts_strogatz, mean degree 10, rewire_p 0.1",
        "repeats": repeats,
        "run_s_median": statistics.median(run_s), "run_s": run_s,
        "run_cpu_s_median": statistics.median(r["run_cpu_s"] for r in runs),
        "run_cpu_s": [r["run_cpu_s"] for r in runs],
        "process_wall_s_median": statistics.median(r["wall_s"] for r in runs),
        "import_s_median": statistics.median(r["import_s"] for r in runs),
        "peak_rss_gb_median": statistics.median(rss_gb), "peak_rss_gb": rss_gb,
        "rss_source": runs[0]["rss_source"],
        "import_only_rss_gb": base["peak_rss_kb"] / 1e6,
        "edges": runs[0]["edges"], "retention": runs[0]["retention"],
        "mean_trust": runs[0]["mean_trust"],
    }


# --------------------------------------------------------------------------- (b) vs Mesa


def time_setup_and_steps(build: Callable[[], Any]) -> tuple[float, float, float]:
    """Time building a model and then stepping it until it stops.

    Both models of (b) are timed by this one function, so that their figures
    mean the same thing.

    Args:
        build: Returns a ready model (its set-up done) with ``running`` and ``step()``.

    Returns:
        ``(set-up wall s, steps wall s, steps CPU s)``.
    """
    t0 = time.perf_counter()
    model = build()
    t1, c1 = time.perf_counter(), time.process_time()
    while model.running:
        model.step()
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, t2 - t1, c2 - c1


def _set_up(model: Any) -> Any:
    model.setup()
    return model


def bench_sim_inprocess(n: int, weeks: int, repeats: int) -> dict[str, Any]:
    """Time ``sim.run`` end to end, and set-up versus steps, in this process.

    Args:
        n: Consumers.
        weeks: Weeks.
        repeats: Repetitions of each measurement.

    Returns:
        Medians and raw times.
    """
    import sim

    sc = sim.load_scenario(SCENARIO, overrides=overrides(n, weeks))
    sim.run(sim.with_overrides(sc, {"population.size": 1000}))  # warm caches (market fit)
    run_s, run_cpu, setup_s, steps_s, steps_cpu = [], [], [], [], []
    for _ in range(repeats):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        sim.run(sc)
        run_s.append(time.perf_counter() - t0)
        run_cpu.append(time.process_time() - c0)
        gc.collect()
        setup, steps, cpu = time_setup_and_steps(lambda: _set_up(sim.TrustModel(sc)))
        setup_s.append(setup)
        steps_s.append(steps)
        steps_cpu.append(cpu)
    agent_steps = n * weeks
    med_run, med_steps = statistics.median(run_s), statistics.median(steps_s)
    return {
        "n": n, "weeks": weeks, "repeats": repeats,
        "run_s_median": med_run, "run_s": run_s,
        "setup_s_median": statistics.median(setup_s), "setup_s": setup_s,
        "steps_s_median": med_steps, "steps_s": steps_s,
        "run_cpu_s_median": statistics.median(run_cpu), "run_cpu_s": run_cpu,
        "steps_cpu_s_median": statistics.median(steps_cpu), "steps_cpu_s": steps_cpu,
        "agent_steps_per_s_run": agent_steps / med_run,
        "agent_steps_per_s_steps": agent_steps / med_steps,
        "agent_steps_per_cpu_s_run": agent_steps / statistics.median(run_cpu),
    }


def bench_mesa(n: int, weeks: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """Time the per-agent Mesa reference: construction and steps.

    Args:
        n: Consumers.
        weeks: Weeks.
        repeats: Repetitions.
        seed: Seed of the first repetition (then seed + 1, ...).

    Returns:
        Medians and raw times.
    """
    from mesa_reference import ReferenceModel

    setup_s, steps_s, steps_cpu = [], [], []
    for i in range(repeats):
        gc.collect()
        setup, steps, cpu = time_setup_and_steps(
            lambda i=i: ReferenceModel(n=n, weeks=weeks, seed=seed + i,
                                       **{"incidents.events": INCIDENT}))
        setup_s.append(setup)
        steps_s.append(steps)
        steps_cpu.append(cpu)
        print(f"  [b] Mesa run (seed {seed + i}): set-up {setup:.2f} s, "
              f"{weeks} weeks {steps:.2f} s", flush=True)
    gc.collect()
    med_steps = statistics.median(steps_s)
    med_setup = statistics.median(setup_s)
    return {
        "n": n, "weeks": weeks, "repeats": repeats,
        "setup_s_median": med_setup, "setup_s": setup_s,
        "steps_s_median": med_steps, "steps_s": steps_s,
        "steps_cpu_s_median": statistics.median(steps_cpu), "steps_cpu_s": steps_cpu,
        "agent_steps_per_s_steps": n * weeks / med_steps,
        "agent_steps_per_cpu_s_steps": n * weeks / statistics.median(steps_cpu),
        "agent_steps_per_s_run": n * weeks / (med_setup + med_steps),
    }


def _pool(rounds: list[dict[str, Any]], agent_steps: int, *, sim: bool) -> dict[str, Any]:
    """Merge single-round measurements into medians over rounds."""
    out: dict[str, Any] = {k: v for k, v in rounds[0].items() if not isinstance(v, list)}
    out["repeats"] = len(rounds)
    for key in [k for k, v in rounds[0].items() if isinstance(v, list)]:
        out[key] = [x for r in rounds for x in r[key]]
        out[f"{key}_median"] = statistics.median(out[key])
    steps = out["steps_s_median"]
    out["agent_steps_per_s_steps"] = agent_steps / steps
    if sim:
        out["agent_steps_per_s_run"] = agent_steps / out["run_s_median"]
        out["agent_steps_per_cpu_s_run"] = agent_steps / out["run_cpu_s_median"]
    else:
        out["agent_steps_per_cpu_s_steps"] = agent_steps / out["steps_cpu_s_median"]
        out["agent_steps_per_s_run"] = agent_steps / (out["setup_s_median"] + steps)
    return out


def bench_throughput(n: int, sim_weeks: int, mesa_weeks: int, repeats: int) -> dict[str, Any]:
    """(b) Agent-steps per second of ``sim.run`` and of the Mesa reference.

    Args:
        n: Consumers.
        sim_weeks: Weeks of the ``sim`` runs.
        mesa_weeks: Weeks of the Mesa runs.
        repeats: Repetitions of each.

    Returns:
        Both measurements and their ratios.
    """
    # Interleave the two models round by round, so that both see the same moments of
    # this shared machine's load (its speed drifts by up to 1.5x over minutes).
    sims, mesas = [], []
    for r in range(repeats):
        sims.append(bench_sim_inprocess(n, sim_weeks, 1))
        print(f"  [b] round {r + 1}/{repeats}: sim.run {sims[-1]['run_s_median']:.2f} s for "
              f"{sim_weeks} weeks", flush=True)
        mesas.append(bench_mesa(n, mesa_weeks, 1, seed=r))
    s = _pool(sims, n * sim_weeks, sim=True)
    m = _pool(mesas, n * mesa_weeks, sim=False)
    print(f"  [b] sim.run: {s['run_s_median']:.2f} s for {sim_weeks} weeks "
          f"({s['agent_steps_per_s_run'] / 1e6:.2f} M agent-steps/s)", flush=True)
    return {
        "sim": s, "mesa": m,
        "ratio": s["agent_steps_per_s_run"] / m["agent_steps_per_s_steps"],
        "ratio_steps_only": s["agent_steps_per_s_steps"] / m["agent_steps_per_s_steps"],
        "ratio_cpu": s["agent_steps_per_cpu_s_run"] / m["agent_steps_per_cpu_s_steps"],
        "ratio_definition": ("ratio = sim.run end to end (set-up + steps + result tables) "
                             "over Mesa steps only, wall time; ratio_steps_only = steps over "
                             "steps; ratio_cpu = as ratio, with CPU (process) time"),
    }


# --------------------------------------------------------------------------- (c) small run


def bench_small(n: int, weeks: int, repeats: int) -> dict[str, Any]:
    """(c) ``sim.run`` of a small scenario after the package is imported.

    Args:
        n: Consumers.
        weeks: Weeks.
        repeats: Timed runs (after one untimed warm-up).

    Returns:
        Median, raw times and the first (cold) run.
    """
    t0 = time.perf_counter()
    import sim

    import_s = time.perf_counter() - t0
    sc = sim.load_scenario(SCENARIO, overrides=overrides(n, weeks))
    t0 = time.perf_counter()
    sim.run(sc)
    first = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        sim.run(sc)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"n": n, "weeks": weeks, "repeats": repeats,
            "run_s_median": statistics.median(times), "run_s": times,
            "run_cpu_s_median": statistics.median(cpu), "run_cpu_s": cpu,
            "first_run_s": first, "import_s_in_this_process": import_s}


# --------------------------------------------------------------------------- profile


def profile_large(n: int, weeks: int, out: Path) -> Path:
    """Profile one ``sim.run`` with cProfile and write the top functions.

    Args:
        n: Consumers.
        weeks: Weeks.
        out: Text file for the report.

    Returns:
        The report file.
    """
    import cProfile
    import io
    import pstats

    import sim

    sc = sim.load_scenario(SCENARIO, overrides=overrides(n, weeks))
    prof = cProfile.Profile()
    prof.enable()
    sim.run(sc)
    prof.disable()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("tottime").print_stats(35)
    st.sort_stats("cumulative").print_stats(45)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(buf.getvalue())
    return out


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    """Describe the machine and the library versions."""
    import mesa
    import numpy as np
    import scipy

    cpu = platform.processor() or ""
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        kb = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem_gb = round(kb / 1e6, 1)
    except (OSError, AttributeError):
        pass
    commit = None
    if shutil.which("git"):
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
        commit = r.stdout.strip() or None
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb,
        "platform": platform.platform(), "python": platform.python_version(),
        "numpy": np.__version__, "scipy": scipy.__version__, "mesa": mesa.__version__,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "git_commit": commit,
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write JSON atomically (temp file, then ``os.replace``).

    Args:
        data: The results.
        path: Destination.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def _mark(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print them and write the JSON.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        Exit status (0; timings are reported, not asserted).
    """
    ap = argparse.ArgumentParser(description="trustsim model benchmarks")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one large run (benchmarks/out/profile_model.txt)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file for the results")
    args = ap.parse_args(argv)
    q = args.quick
    sizes = {
        "large_n": 100_000 if q else 1_000_000, "large_repeats": 3,
        "mesa_n": 20_000 if q else 100_000, "mesa_weeks": 2 if q else 5,
        "mesa_repeats": 3 if q else 5,
        "small_n": 10_000, "small_repeats": 5 if q else 7,
    }
    out_path = args.out or OUT_DIR / ("bench_model_quick.json" if q else "bench_model.json")
    load0 = os.getloadavg()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"trustsim model benchmarks{' (quick)' if q else ''}; load average {load0[0]:.2f}",
          flush=True)

    print(f"(c) {sizes['small_n']:,} consumers x 52 weeks, in process", flush=True)
    small = bench_small(sizes["small_n"], 52, sizes["small_repeats"])
    print(f"    median {small['run_s_median']:.3f} s of {small['repeats']} "
          f"(CPU {small['run_cpu_s_median']:.3f} s; first run {small['first_run_s']:.3f} s)",
          flush=True)

    print(f"(a) {sizes['large_n']:,} consumers x 52 weeks, fresh subprocesses", flush=True)
    large = bench_large(sizes["large_n"], 52, sizes["large_repeats"])

    print(f"(b) {sizes['mesa_n']:,} consumers: sim.run (52 weeks) vs Mesa reference "
          f"({sizes['mesa_weeks']} weeks)", flush=True)
    thr = bench_throughput(sizes["mesa_n"], 52, sizes["mesa_weeks"], sizes["mesa_repeats"])

    prof_file = None
    if args.profile:
        print("profiling one large run ...", flush=True)
        prof_file = str(profile_large(sizes["large_n"], 52,
                                      OUT_DIR / "profile_model.txt").relative_to(ROOT))

    load1 = os.getloadavg()
    checks = {
        "large_wall_s": large["run_s_median"] < TARGETS["large_wall_s"],
        "large_peak_rss_gb": large["peak_rss_gb_median"] < TARGETS["large_peak_rss_gb"],
        "mesa_ratio": thr["ratio"] >= TARGETS["mesa_ratio"],
        "small_wall_s": small["run_s_median"] < TARGETS["small_wall_s"],
    }
    result = {
        "benchmark": "bench_model", "quick": q, "started": started,
        "scenario": str(SCENARIO.relative_to(ROOT)), "incidents": INCIDENT,
        "machine": machine(), "load_average_start": load0, "load_average_end": load1,
        "targets": TARGETS, "meets_target": checks,
        "large_run": large, "throughput": thr, "small_run": small,
        "profile": prof_file,
    }
    write_json(result, out_path)

    s, m = thr["sim"], thr["mesa"]
    print("\n== results (medians)")
    print(f"(a) {large['n']:,} x {large['weeks']} weeks: sim.run {large['run_s_median']:.2f} s "
          f"(CPU {large['run_cpu_s_median']:.2f} s) "
          f"[{_mark(checks['large_wall_s'])} < {TARGETS['large_wall_s']:g} s]; peak RSS "
          f"{large['peak_rss_gb_median']:.3f} GB [{_mark(checks['large_peak_rss_gb'])} < "
          f"{TARGETS['large_peak_rss_gb']:g} GB] (import alone {large['import_only_rss_gb']:.3f} "
          f"GB)")
    print(f"(b) {s['n']:,} consumers: sim.run {s['agent_steps_per_s_run'] / 1e6:.2f} M "
          f"agent-steps/s end to end ({s['agent_steps_per_s_steps'] / 1e6:.2f} M steps only); "
          f"Mesa {m['agent_steps_per_s_steps'] / 1e3:.1f} k agent-steps/s; ratio "
          f"{thr['ratio']:.0f}x [{_mark(checks['mesa_ratio'])} >= {TARGETS['mesa_ratio']:g}x] "
          f"(steps only {thr['ratio_steps_only']:.0f}x; by CPU time {thr['ratio_cpu']:.0f}x)")
    print(f"(c) {small['n']:,} x {small['weeks']} weeks: {small['run_s_median']:.3f} s "
          f"(CPU {small['run_cpu_s_median']:.3f} s) "
          f"[{_mark(checks['small_wall_s'])} < {TARGETS['small_wall_s']:g} s]")
    print(f"load average {load0[0]:.2f} -> {load1[0]:.2f}; wrote {out_path}")
    if prof_file:
        print(f"profile: {prof_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
