"""``trustsim calibrate SPEC --data FILE --out DIR``: fit the model to a brand's weekly data.

:func:`add_parser` registers the subcommand on the ``trustsim`` command
line; :func:`main` is its handler. Exit codes: 0 done, 1 bad spec, data or
output folder (one message naming file, key, row and column), 2 bad options,
130 interrupted (finished trials are kept; the message says how to resume).

Layer: calibration command line (the top of sim.calibrate).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from sim.argtypes import whole_number
from sim.calibrate.abc_state import AbcError
from sim.calibrate.run import calibrate
from sim.errors import EXIT_INTERRUPTED, ScenarioError
from sim.files import default_output_dir
from sim.sweep.errors import SweepError, SweepUsageError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

_EPILOG = """\
examples:
  trustsim calibrate scenarios/calibration/example_spec.toml \\
      --data scenarios/calibration/example_data.csv --out results/calibration/example
  trustsim calibrate my_spec.toml --data weekly.csv --out results/cal --workers 2
  trustsim calibrate my_spec.toml --data weekly.csv --out results/cal --resume  # after Ctrl-C
  trustsim calibrate my_spec.toml --data weekly.csv --out results/cal --set optuna.trials=400
  trustsim calibrate my_spec.toml --data weekly.csv --scheduler tcp://10.0.0.5:8786

The data file has a 'week' column (from 0, as the scenario's weeks) and any of
customers, churned, complaints, purchases, revenue (docs/calibration.md).
DIR gets best.toml ('trustsim run DIR/best.toml' runs the fitted brand),
posterior.parquet (keys + weight), trace.csv, identifiability.csv,
predictive.csv, summary.md and figures/. Every finished Optuna trial is stored
at once in DIR/study.sqlite3: Ctrl-C stops cleanly and --resume continues."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``calibrate`` on the ``trustsim`` subcommands.

    Args:
        subparsers: The ``add_subparsers()`` object of the main parser.

    Returns:
        The subcommand's parser (its ``func`` is :func:`main`).
    """
    p = subparsers.add_parser(
        "calibrate", help="fit behavioural parameters to a brand's weekly data",
        description="Fit a scenario's behavioural parameters to a brand's weekly data "
                    "(Optuna point estimate or ABC-SMC posterior).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", metavar="SPEC", help="calibration spec (TOML)")
    p.add_argument("--data", required=True, metavar="FILE",
                   help="weekly observations (CSV or Parquet)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: results/calibration-<name>-<timestamp>/)")
    p.add_argument("--method", choices=("optuna", "abc"),
                   help="optuna (point estimate) or abc (posterior); default: the spec's")
    p.add_argument("--workers", type=whole_number(0, "0 runs in this process"), metavar="N",
                   help="local worker processes (default: one per core; 0: in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster (tcp://host:port)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change a spec value (repeatable), e.g. --set optuna.trials=50 "
                        "--set population=2000")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted calibration in --out")
    p.add_argument("--force", action="store_true",
                   help="start over in an existing calibration folder (deletes it first)")
    p.add_argument("--draws", type=whole_number(1), default=40, metavar="N",
                   help="runs behind the posterior-predictive band (default 40)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar or summary; print only the output folder")
    p.set_defaults(func=main)
    return p


def _progress(quiet: bool) -> tuple[Any, Any]:
    """A tqdm bar per stage (stderr, terminals only) and the callback feeding it."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    enabled = not quiet and sys.stderr.isatty()

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for old in bars.values():
                old.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False,
                                     disable=not enabled, dynamic_ncols=True)
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return update, close


def resume_hint(args: argparse.Namespace, out: Path) -> str:
    """The command that continues an interrupted calibration."""
    words = ["trustsim", "calibrate", args.spec, "--data", args.data, "--out", str(out)]
    if args.method:
        words += ["--method", args.method]
    for s in args.set:
        words += ["--set", s]
    return " ".join(shlex.quote(w) for w in [*words, "--resume"])


def main(args: argparse.Namespace) -> int:
    """Handle ``trustsim calibrate``.

    Args:
        args: The parsed arguments.

    Returns:
        The exit code.
    """
    out = Path(args.out) if args.out else None
    if out is None:
        from sim.calibrate.spec import load_calibration_spec

        name = load_calibration_spec(args.spec, args.set).name
        out = default_output_dir(f"calibration-{name}")
    update, close = _progress(args.quiet)
    try:
        res = calibrate(args.spec, args.data, out=out, method=args.method,
                        workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                        force=args.force, overrides=args.set, predictive_draws=args.draws,
                        progress=update)
    except KeyboardInterrupt:
        close()
        print(f"\ninterrupted: finished work (trials, or ABC batches) is kept in {out}/\n"
              f"resume with: {resume_hint(args, out)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SweepUsageError as err:
        close()
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (SweepError, ScenarioError, AbcError) as err:
        close()
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    close()
    if args.quiet:
        print(out)
        return EXIT_OK
    print(res.summary_text())
    print(f"results written to {out}/")
    return EXIT_OK

