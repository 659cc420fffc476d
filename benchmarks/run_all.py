"""Run every benchmark script in ``benchmarks/`` in sequence (``make bench``).

Usage::

    python benchmarks/run_all.py            # full figures
    python benchmarks/run_all.py --quick    # smoke test: each script's quick sizes

Runs ``bench_model.py``, then ``bench_network.py``, ``bench_sweep.py`` and
``bench_calibrate.py`` (both calibration methods on the shipped example, about
20 minutes) when they exist, each in its own interpreter (so one benchmark's memory does not
inflate the next one's peak RSS) and one after the other (so they do not
compete for the cores). A failing script is reported and the others still
run; the exit status is non-zero if any failed. Each script prints its own
figures and writes its JSON under ``benchmarks/out/``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("bench_model.py", "bench_network.py", "bench_sweep.py", "bench_calibrate.py")
"""Benchmark scripts, in the order they run."""

QUICK_FALLBACK = {"bench_network.py": ["--n", "100000", "--nx-n", "10000", "--no-edgelist"]}
"""Smoke-test arguments for scripts that have no ``--quick`` option."""


def quick_args(script: Path) -> list[str]:
    """Arguments that make ``script`` a quick smoke test.

    Args:
        script: A benchmark script.

    Returns:
        ``["--quick"]`` if the script accepts it, else its known fallback.
    """
    if '"--quick"' in script.read_text():
        return ["--quick"]
    return QUICK_FALLBACK.get(script.name, [])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark scripts that exist.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        0 if every script succeeded, else 1.
    """
    ap = argparse.ArgumentParser(description="run all trustsim benchmarks in sequence")
    ap.add_argument("--quick", action="store_true", help="smoke test: small sizes everywhere")
    args = ap.parse_args(argv)
    status: dict[str, str] = {}
    for name in SCRIPTS:
        script = HERE / name
        if not script.is_file():
            status[name] = "not present, skipped"
            continue
        extra = quick_args(script) if args.quick else []
        print(f"\n===== {name} {' '.join(extra)}".rstrip(), flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent,
                            check=False).returncode
        took = time.perf_counter() - t0
        status[name] = f"ok ({took:.0f} s)" if rc == 0 else f"FAILED with exit code {rc}"
    print("\n===== summary")
    for name, s in status.items():
        print(f"{name:18s} {s}")
    print(f"results: {HERE / 'out'}")
    return 1 if any(s.startswith("FAILED") for s in status.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
