"""Recovery study and wall time of a six-parameter calibration (reported, not asserted).

Usage::

    python benchmarks/bench_calibrate.py            # the shipped example at its default budget
    python benchmarks/bench_calibrate.py --quick    # 1,000 consumers, 12 trials (smoke test)

Fits ``scenarios/calibration/example_spec.toml`` (six behavioural parameters,
52 weeks, 10,000 simulated consumers, 2 replicates per candidate, the spec's
Optuna budget) to the SYNTHETIC ``example_data.csv``, made by
``scenarios/calibration/make_example.py`` from stated true values, on the
local executor with one worker per core. Reported: wall time, and per
parameter the true value, the estimate, the near-best range, the prior 90%
interval, whether the range covers the truth and the identifiability flag;
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    ap.add_argument("--method", default="optuna", choices=("optuna", "abc"))
    args = ap.parse_args()
    sys.path.insert(0, str(EXAMPLE))
    from make_example import TRUE

    import sim

    sets = ["population=1000", "optuna.trials=12", "replicates=1"] if args.quick else []
    out = Path(tempfile.mkdtemp(prefix="bench-calibrate-")) / "cal"
    t0 = time.perf_counter()
    res = sim.calibrate(EXAMPLE / "example_spec.toml", EXAMPLE / "example_data.csv", out=out,
                        workers=args.workers, overrides=sets, method=args.method)
    wall = time.perf_counter() - t0
    rows = []
    for r in res.identifiability.itertuples():
        truth = TRUE[r.key]
        rows.append({"key": r.key, "true": truth, "estimate": res.best[r.key],
                     "range": [r.fit_low, r.fit_high], "prior_90": [r.prior_low, r.prior_high],
                     "covers_truth": bool(r.fit_low <= truth <= r.fit_high),
                     "identified": r.identified})
    print(f"calibration ({res.method}): {wall:.0f} s wall on {os.cpu_count()} cores, "
          f"{len(res.trace)} trials/generations, load {os.getloadavg()[0]:.1f}")
    print(f"{'parameter':26} {'true':>9} {'estimate':>9} {'range':>21} {'prior 90%':>21} "
          "covers identified")
    for r in rows:
        print(f"{r['key']:26} {r['true']:9.4g} {r['estimate']:9.4g} "
              f"{r['range'][0]:9.4g} - {r['range'][1]:9.4g} "
              f"{r['prior_90'][0]:9.4g} - {r['prior_90'][1]:9.4g} "
              f"{r['covers_truth']!s:>6} {r['identified']!s:>10}")
    print(f"posterior-predictive coverage: {res.coverage}")
    doc = {"wall_s": wall, "method": res.method, "quick": args.quick, "cores": os.cpu_count(),
           "loadavg": os.getloadavg(), "trials": len(res.trace), "rows": rows,
           "coverage": res.coverage, "folder": str(out)}
    dest = HERE / "out" / f"bench_calibrate{'_quick' if args.quick else ''}.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(doc, indent=1, default=str))
    print(f"written to {dest}")


if __name__ == "__main__":
    main()
