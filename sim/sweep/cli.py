"""The ``trustsim sweep`` and ``trustsim analyze`` subcommands.

:func:`add_parsers` adds both to an :mod:`argparse` subparsers object (the
``trustsim`` command line calls it); each subcommand sets
``func(args) -> int`` returning the exit code: 0 ok, 1 a user error (printed
as one clear message) or failed runs, 2 a bad option, 130 interrupted. ``python -m sim.sweep``
offers the same two commands on their own.

Layer: command line; in sim.sweep: cli (the top).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from sim.argtypes import whole_number
from sim.errors import EXIT_INTERRUPTED, ScenarioError
from sim.scenario_io import normalise_overrides
from sim.sweep.analyze import analyze_sweep
from sim.sweep.errors import SweepError, SweepInterrupted, SweepUsageError
from sim.sweep.execute import run_sweep
from sim.sweep.spec import MAX_RUNS, load_spec

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

_SWEEP_EPILOG = """\
examples:
  trustsim sweep scenarios/sweeps/escalation_vs_transparency.toml
  trustsim sweep sensitivity --workers 2 --out results/sweeps/sens
  trustsim sweep sensitivity --out results/sweeps/sens --resume     # after Ctrl-C
  trustsim sweep sensitivity --scheduler tcp://10.0.0.5:8786        # on a Dask cluster
  TRUSTSIM_SCHEDULER=tcp://10.0.0.5:8786 trustsim sweep sensitivity
  trustsim sweep escalation_vs_transparency --posterior fit/posterior.csv

Every finished run is saved at once in DIR/runs/; Ctrl-C stops cleanly and
--resume continues where it stopped (failed runs are retried). The results
table (DIR/results.parquet) has one row per run, sorted by run id, and is the
same whatever the number of workers. With --posterior (or posterior = FILE in
the sweep file), replicate r of every point draws the same row of the
posterior; results.parquet records it (posterior_draw, posterior.KEY).
"""

_ANALYZE_EPILOG = """\
examples:
  trustsim analyze results/sweeps/sensitivity
  trustsim analyze results/sweeps/escalation_vs_transparency --kpi revenue_cumulative

Writes DIR/analysis/: points.csv (KPI mean and 95% interval per design point),
sobol.csv / morris.csv / rbd_fast.csv (indices with confidence intervals) and
figures/ (PNG and SVG).
"""


_workers = whole_number(0, "0 runs in this process")
_chunk = whole_number(1)
_max_runs = whole_number(1)


def add_parsers(subparsers: Any) -> None:
    """Add the ``sweep`` and ``analyze`` subcommands.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "sweep", help="run a batch sweep (grid, LHS, Sobol, Morris) locally or on Dask",
        description="Run every run of a sweep file; local processes by default, a Dask "
                    "cluster with --scheduler.",
        epilog=_SWEEP_EPILOG, formatter_class=fmt,
    )
    p.add_argument("spec", metavar="SPEC",
                   help="sweep TOML file, or the name of a built-in sweep (scenarios/sweeps/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change a value of the sweep file by its dotted key (repeatable), "
                        "e.g. --set design.samples=16 --set replicates=1; "
                        "overrides.KEY sets a base-scenario value, e.g. "
                        "--set overrides.population.size=2000")
    p.add_argument("-w", "--workers", type=_workers, metavar="N",
                   help="local worker processes (default: one per core; 0: in this process)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address, e.g. tcp://host:8786 (default: "
                        "$TRUSTSIM_SCHEDULER if set and --workers is not given; "
                        "'local' forces local processes)")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep in --out: skip finished runs, retry failed ones")
    p.add_argument("-o", "--out", metavar="DIR",
                   help="sweep folder (default: results/sweeps/<name>)")
    p.add_argument("--weekly", action="store_true",
                   help="also keep every run's weekly table (weekly.parquet)")
    p.add_argument("--chunk-size", type=_chunk, metavar="K",
                   help="runs per task sent to a worker (default: sized to about 1 s of work)")
    p.add_argument("--max-runs", type=_max_runs, default=MAX_RUNS, metavar="N",
                   help=f"refuse a sweep of more than N runs before anything starts "
                        f"(default: {MAX_RUNS:,})")
    p.add_argument("--allow-model-code", action="store_true",
                   help="let the sweep file's [model] function (Python code it names) be "
                        "imported and run; only for sweep files you trust")
    p.add_argument("--posterior", metavar="FILE",
                   help="draw each replicate's parameters from this posterior sample (CSV or "
                        "Parquet: dotted scenario keys and 'weight'); replaces the sweep "
                        "file's posterior")
    p.add_argument("--analyze", action="store_true", help="analyse the sweep when it is done")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar; print only the sweep folder")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "analyze", help="sensitivity indices, tables and figures of a finished sweep",
        description="Analyse a finished sweep folder: Sobol / Morris / RBD-FAST indices with "
                    "confidence intervals, per-point KPI table, figures.",
        epilog=_ANALYZE_EPILOG, formatter_class=fmt,
    )
    p.add_argument("dir", metavar="DIR", help="a folder written by 'trustsim sweep'")
    p.add_argument("--kpi", action="append", metavar="NAME",
                   help="KPI to analyse (repeatable; default: the sweep file's kpis)")
    p.add_argument("--no-figures", action="store_true", help="skip drawing the figures")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the analysis folder")
    p.set_defaults(func=cmd_analyze)


def _err(msg: object) -> None:
    print(f"error: {msg}", file=sys.stderr)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Handle ``trustsim sweep``.

    Args:
        args: Parsed arguments.

    Returns:
        0 if every run finished, 1 on a user error or failed runs, 2 for a bad
        option (e.g. a malformed ``--scheduler``), 130 if interrupted.
    """
    try:
        try:
            # a path or a built-in name
            spec = load_spec(args.spec, overrides=args.set, max_runs=args.max_runs,
                             posterior=args.posterior)
        except ScenarioError as err:
            raise err.blaming(normalise_overrides(args.set)) from None
        out = Path(args.out) if args.out else Path("results") / "sweeps" / spec.name
        hint = f"trustsim sweep {args.spec} --out {out} --resume"
        if args.workers is not None:
            hint += f" --workers {args.workers}"
        if args.scheduler:
            hint += f" --scheduler {args.scheduler}"
        if args.max_runs != MAX_RUNS:
            hint += f" --max-runs {args.max_runs}"
        if args.allow_model_code:
            hint += " --allow-model-code"
        if args.posterior:
            hint += f" --posterior {shlex.quote(args.posterior)}"
        hint += "".join(f" --set {shlex.quote(item)}" for item in args.set)
        res = run_sweep(
            spec, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
            weekly=args.weekly, chunk_size=args.chunk_size, max_runs=args.max_runs,
            # a bar on a terminal only: in a log file its redraws are clutter
            progress=not args.quiet and sys.stderr.isatty(),
            resume_hint=hint, allow_model_code=args.allow_model_code,
        )
    except SweepInterrupted as exc:
        print(f"\n{exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("\ninterrupted before any run started", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SweepUsageError as exc:
        _err(exc)
        return EXIT_USAGE
    except (ScenarioError, SweepError, OSError) as exc:
        _err(exc)
        return EXIT_ERROR
    if res.repaired:
        print(f"repaired {', '.join(res.repaired)} in {res.out} (they were missing or damaged)",
              file=sys.stderr)
    if args.quiet:
        print(res.out)
    else:
        rate = res.executed / res.wall_s if res.wall_s > 0 else 0.0
        print(
            f"{len(res.results)} of {res.total} runs finished ("
            + (f"{res.executed} in this session on {res.executor}" if res.executed
               else "nothing left to run")
            + (f", {rate:.2f} runs/s, {100 * res.overhead:.1f}% overhead, "
               f"{100 * res.cpu_overhead:.1f}% of CPU time outside runs" if res.executed
               else "")
            + f")\nresults: {res.out / 'results.parquet'}"
        )
    if len(res.failures):
        first = res.failures.iloc[0]
        _err(
            f"{len(res.failures)} of {res.total} runs failed (first: run {first['run_id']}: "
            f"{first['error']}); see {res.out / 'failures.parquet'}; fix the cause and rerun "
            f"with --resume to retry them"
        )
        return EXIT_ERROR
    if args.analyze:
        return _analyze(res.out, None, True, args.quiet)
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    """Handle ``trustsim analyze``.

    Args:
        args: Parsed arguments.

    Returns:
        0 ok, 1 on a user error, 130 if interrupted.
    """
    return _analyze(Path(args.dir), args.kpi, not args.no_figures, args.quiet)


def _analyze(out: Path, kpis: list[str] | None, figures: bool, quiet: bool) -> int:
    try:
        an = analyze_sweep(out, kpis=kpis, figures=figures)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ScenarioError, SweepError, OSError) as exc:
        _err(exc)
        return EXIT_ERROR
    print(out / "analysis" if quiet else an.format())
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.sweep``: the two subcommands without the rest of the CLI.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m sim.sweep",
                                     description="trustsim sweeps and their analysis")
    add_parsers(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    return int(args.func(args))
