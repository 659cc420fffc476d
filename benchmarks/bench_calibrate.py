"""Recovery study and wall time of a six-parameter calibration (reported, not asserted).

Usage::

    python benchmarks/bench_calibrate.py            # the shipped example at its default budget
    python benchmarks/bench_calibrate.py --quick    # 1,000 consumers, 12 trials (smoke test)

Fits ``scenarios/calibration/example_spec.toml`` (six behavioural parameters,
52 weeks, 10,000 simulated consumers, 2 replicates per candidate, the spec's
budget; by default both methods, Optuna then ABC-SMC) to the SYNTHETIC
``example_data.csv``, made by
``scenarios/calibration/make_example.py`` from stated true values, on the
local executor with one worker per core. Reported: wall time, and per
parameter the true value, the estimate, the 90% posterior interval (ABC) or
near-best range (Optuna), the prior 90% interval, their width ratio, whether
the interval covers the truth and the identifiability flag; strongly
correlated pairs;
plus the posterior-predictive coverage of the observed weekly points.
Written to ``benchmarks/out/bench_calibrate.json`` (``_quick`` with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "scenarios" / "calibration"


def _flag(identified: bool | None) -> str:
    return {True: "identified", False: "NOT identified", None: "too few draws"}[identified]


def bench(method: str, quick: bool, workers: int | None) -> dict:
    """Fit the example with ``method``, print the recovery table and return the record."""
    sys.path.insert(0, str(EXAMPLE))
    from make_example import TRUE

    import sim

    sets = (["population=1000", "optuna.trials=12", "replicates=1", "abc.population_size=20",
             "abc.max_generations=2"] if quick else [])
    out = Path(tempfile.mkdtemp(prefix="bench-calibrate-")) / "cal"
    t0 = time.perf_counter()
    res = sim.calibrate(EXAMPLE / "example_spec.toml", EXAMPLE / "example_data.csv", out=out,
                        workers=workers, overrides=sets, method=method)
    wall = time.perf_counter() - t0
    rows = []
    for r in res.identifiability.itertuples():
        truth = TRUE[r.key]
        rows.append({"key": r.key, "true": truth, "estimate": r.estimate,
                     "range": [r.fit_low, r.fit_high], "prior_90": [r.prior_low, r.prior_high],
                     "width_ratio": r.width_ratio,
                     "covers_truth": bool(r.fit_low <= truth <= r.fit_high),
                     "flag": _flag(r.identified)})
    sims = (int(res.trace["simulations"].sum()) if "simulations" in res.trace
            else len(res.trace))
    print(f"\ncalibration ({res.method}): {wall:.0f} s wall on {os.cpu_count()} cores, "
          f"{len(res.trace)} trials/generations, {sims} simulations, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'parameter':24} {'true':>8} {'estimate':>8} {'interval (range)':>19} "
          f"{'prior 90%':>19} {'ratio':>5} covers flag")
    for r in rows:
        print(f"{r['key']:24} {r['true']:8.4g} {r['estimate']:8.4g} "
              f"{r['range'][0]:8.4g} - {r['range'][1]:8.4g} "
              f"{r['prior_90'][0]:8.4g} - {r['prior_90'][1]:8.4g} {r['width_ratio']:5.2f} "
              f"{r['covers_truth']!s:>6} {r['flag']}")
    print("posterior-predictive coverage: "
          + ", ".join(f"{k} {100 * v:.0f}%" for k, v in res.coverage.items()))
    print(f"strongly correlated pairs: {res.pairs.round(2).to_dict(orient='records')}")
    return {"wall_s": wall, "method": res.method, "quick": quick,
            "cores": os.cpu_count(),
            "loadavg": os.getloadavg(), "trials_or_generations": len(res.trace),
            "simulations": sims, "rows": rows, "coverage": res.coverage, "folder": str(out),
            "pairs": res.pairs.to_dict(orient="records")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    ap.add_argument("--method", default="both", choices=("both", "optuna", "abc"))
    args = ap.parse_args()
    methods = ("optuna", "abc") if args.method == "both" else (args.method,)
    doc = {m: bench(m, args.quick, args.workers) for m in methods}
    dest = HERE / "out" / f"bench_calibrate{'_quick' if args.quick else ''}.json"
    dest.parent.mkdir(exist_ok=True)
    old = json.loads(dest.read_text()) if dest.exists() else {}
    dest.write_text(json.dumps({**old, **doc}, indent=1, default=str))
    print(f"written to {dest}")


if __name__ == "__main__":
    main()
