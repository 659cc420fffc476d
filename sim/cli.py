"""The ``trustsim`` command line.

Subcommands::

    trustsim run SCENARIO [--set key=value ...] [--seed N] [--out DIR] [--force]
    trustsim compare A.toml B.toml [--replicates R] [--set[-a|-b] key=value ...] [--posterior F]
    trustsim validate FILE...
    trustsim markets [NAME...]
    trustsim report DIR
    trustsim explain SCENARIO [--set key=value ...] [--size N] [--seed S]   (sim.explain_cli)
    trustsim sweep ... / trustsim analyze ...   (from sim.sweep.cli, when installed)

Exit codes a shell script can trust: 0 success; 1 a user error (invalid
scenario, existing output folder, missing file), printed as one clear message
without a traceback; 2 a usage error (bad arguments); 130 interrupted (Ctrl-C).
Every subcommand takes ``--quiet`` (no progress bar, only essential output).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim.argtypes import whole_number
from sim.config import Scenario
from sim.errors import EXIT_INTERRUPTED, InputWarning, Problem, ScenarioError
from sim.paths import locate
from sim.scenario_io import load_scenario, normalise_overrides
from sim.summary_text import format_summary, format_survey, percent

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2

_FORMATTER = argparse.RawDescriptionHelpFormatter


# --------------------------------------------------------------------------- helpers


def _with_file(err: ScenarioError, file: str | Path) -> ScenarioError:
    """Attach ``file`` to every problem of ``err`` that does not name one."""
    return ScenarioError(
        [p if p.file else Problem(p.key, p.message, p.value, str(file)) for p in err.problems]
    )


def check_scenario(
    path: str | Path, overrides: Sequence[str] | dict[str, Any] | None = None
) -> Scenario:
    """Load a scenario and check everything a run would need, without running it.

    Beyond :func:`sim.load_scenario` (TOML, ``extends``, keys, types, ranges,
    ladder levels) this fits the market preset and reads the edge-list file,
    so that an unknown market or a malformed edge list is found now.

    Args:
        path: The scenario file.
        overrides: ``key=value`` strings or a mapping.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: Listing the problems, each naming its file and key.
    """
    from sim.markets import fit_market
    from sim.network import load_edgelist

    sc = load_with_overrides(path, normalise_overrides(overrides))
    problems: list[Problem] = []
    try:
        fit_market(sc.population.market)
    except ScenarioError as err:
        problems += _with_file(err, path).problems
    if sc.network.kind == "edgelist" and sc.network.path:
        try:
            load_edgelist(sc.network.path, sc.population.size)
        except ScenarioError as err:
            problems += _with_file(err, path).problems
    if problems:
        raise ScenarioError(problems)
    return sc


def load_with_overrides(path: str | Path, overrides: dict[str, Any]) -> Scenario:
    """Load a scenario; problems caused by an override are attributed to ``--set``.

    Args:
        path: The scenario file.
        overrides: Dotted-key overrides (from ``--set``, ``--seed``...).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With ``--set`` as the "file" of problems whose key was overridden.
    """
    try:
        return load_scenario(path, overrides)
    except ScenarioError as err:
        raise err.blaming(overrides) from None


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--set`` values plus ``--seed`` / ``--replicate`` as one mapping."""
    ov = normalise_overrides(getattr(args, "set", None) or [])
    if getattr(args, "seed", None) is not None:
        ov["run.seed"] = args.seed
    if getattr(args, "replicate", None) is not None:
        ov["run.replicate"] = args.replicate
    return ov


def _progress_bar(total: int, desc: str, quiet: bool, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                disable=quiet or not sys.stderr.isatty(), dynamic_ncols=True)


def _callback(bar: Any) -> Callable[[int, int], None]:
    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return update


# --------------------------------------------------------------------------- handlers


def cmd_run(args: argparse.Namespace) -> int:
    """Handle ``trustsim run``."""
    from sim.app.run_folder import SCENARIO, write_run
    from sim.files import check_output_dir, default_output_dir
    from sim.results import run

    path = locate(args.scenario)  # the file, named in errors found while running
    sc = load_with_overrides(path, _overrides(args))
    out = Path(args.out) if args.out else default_output_dir(sc.name)
    check_output_dir(out, force=args.force, marker=SCENARIO)
    with _progress_bar(sc.run.weeks, sc.name, args.quiet, "week") as bar:
        try:
            res = run(sc, progress=_callback(bar))
        except ScenarioError as err:
            raise _with_file(err, path) from None
    if not args.quiet and sys.stderr.isatty():
        print(f"writing {out}/ ...", file=sys.stderr)
    write_run(res, out, force=args.force, figures=not args.no_figures)
    if args.quiet:
        print(out)
        return EXIT_OK
    print(format_summary(res.summary, sc))
    print(format_survey(res.survey))
    print(f"results written to {out}/")
    return EXIT_OK


def _checked_with_warnings(
    path: Path, overrides: dict[str, Any]
) -> tuple[Scenario | None, list[str], ScenarioError | None]:
    """:func:`check_scenario`, with the :class:`InputWarning` messages it raised (once each)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        try:
            sc, err = check_scenario(path, overrides), None
        except ScenarioError as exc:
            sc, err = None, exc
    messages = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    return sc, list(dict.fromkeys(messages)), err


def cmd_validate(args: argparse.Namespace) -> int:
    """Handle ``trustsim validate``."""
    failed = 0
    overrides = normalise_overrides(args.set or [])
    for ref in args.files:
        path = locate(ref)  # the file itself, shown in the ok / FAIL lines
        sc, notes, err = _checked_with_warnings(path, overrides)
        if err is not None or sc is None:
            failed += 1
            print(f"FAIL {path}", file=sys.stderr)
            for p in err.problems if err else []:
                print(f"  - {p}", file=sys.stderr)
        elif not args.quiet:
            print(f"ok   {path} ({sc.name})")
        for note in notes:
            print(f"  warning: {note}", file=sys.stderr)
    if failed and not args.quiet:
        print(f"{failed} of {len(args.files)} file(s) invalid", file=sys.stderr)
    return EXIT_USER_ERROR if failed else EXIT_OK


def cmd_markets(args: argparse.Namespace) -> int:
    """Handle ``trustsim markets``."""
    from sim.markets import SEGMENTS, fit_market, list_markets

    names = args.names or list_markets()
    for i, name in enumerate(names):
        try:
            fm = fit_market(name)
        except ScenarioError as err:  # name the argument, not a scenario key
            raise ScenarioError([Problem("NAME", p.message, name, p.file)
                                 for p in err.problems]) from None
        if args.quiet:
            print(name)
            continue
        if i:
            print()
        print(f"{name}: {fm.spec.name}")
        if fm.spec.source:
            print(f"  source: {fm.spec.source}")
        shares = ", ".join(f"{s} {percent(x)}" for s, x in zip(SEGMENTS, fm.shares, strict=True))
        print(f"  segments: {shares}")
        w = max(len(q) for q in fm.targets)
        print(f"  {'survey question'.ljust(w)}  target  fitted")
        for q, t in fm.targets.items():
            print(f"  {q.ljust(w)}  {percent(t).rjust(6)}  {percent(fm.fitted[q]).rjust(6)}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Handle ``trustsim report``."""
    from sim.app.run_folder import rebuild_report

    written = rebuild_report(args.dir)
    if args.quiet:
        print(args.dir)
    else:
        print(f"rebuilt {len(written)} files in {args.dir}/ (summary.json and figures/)")
    return EXIT_OK


# --------------------------------------------------------------------------- parser

_MAIN_EPILOG = """\
examples:
  trustsim run scenarios/baseline.toml
  trustsim run escalation_ramp --set population.size=50000 --seed 7
  trustsim compare scenarios/escalation_ramp.toml scenarios/transparent_brand.toml
  trustsim validate scenarios/*.toml
  trustsim markets
  trustsim report results/baseline-20240131-154502

exit codes: 0 ok, 1 invalid input or refused output, 2 usage error, 130 interrupted.
Run 'trustsim COMMAND --help' for the options of a command."""

_RUN_EPILOG = """\
examples:
  trustsim run scenarios/baseline.toml
  trustsim run baseline                              # a built-in scenario by name
  trustsim run scenarios/data_breach.toml --set incidents.events.0.responsible=true
  trustsim run escalation_ramp --set population.size=2000 --set run.weeks=20 --seed 7
  trustsim run baseline --out results/mine --force   # replace files in results/mine
  dir=$(trustsim run baseline --quiet)               # scripts: prints only the folder

The folder holds weekly.parquet/.csv, consumers.parquet/.csv, survey.csv,
summary.json, scenario.toml (the resolved scenario: 'trustsim run
DIR/scenario.toml' reproduces the run exactly) and figures/*.png/.svg.
--set values are TOML: numbers, true/false, "text" (a bare word is text too)."""

_VALIDATE_EPILOG = """\
examples:
  trustsim validate scenarios/*.toml
  trustsim validate my_variant.toml --set population.size=1000000

Checks TOML syntax, 'extends' parents, keys, types and ranges, ladder levels,
the market preset (fitted) and any edge-list file. Exit code 0 if every file
is valid, 1 otherwise; every problem is listed with its file and key."""

_MARKETS_EPILOG = """\
examples:
  trustsim markets
  trustsim markets denmark_dsi2020

Add a market by copying a file of scenarios/markets/ and editing its targets;
use it with --set population.market=path/to/market.toml."""

_REPORT_EPILOG = """\
examples:
  trustsim report results/baseline-20240131-154502

Redraws figures/ and rewrites summary.json from the folder's tables and
scenario.toml (e.g. after upgrading trustsim)."""


_nonneg_int = whole_number(0)


def _add_common(p: argparse.ArgumentParser, *, sets: bool = True, seed: bool = True,
                out: bool = True, out_default: str = "results/<name>-<timestamp>/",
                quiet_help: str = "no progress bar or tables; print only the output folder",
                ) -> None:
    if sets:
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a scenario value by its dotted key (repeatable), "
                            "e.g. --set population.size=2000")
    if seed:
        p.add_argument("--seed", type=_nonneg_int, metavar="N",
                       help="root random seed (sets run.seed)")
    if out:
        p.add_argument("--out", metavar="DIR",
                       help=f"output folder (default: {out_default})")
        p.add_argument("--force", action="store_true",
                       help="write into an existing output folder, replacing files of the "
                            "same name")
        p.add_argument("--no-figures", action="store_true", help="skip drawing the figures")
    p.add_argument("-q", "--quiet", action="store_true", help=quiet_help)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``trustsim`` argument parser (with the sweep commands if available).

    Returns:
        The parser; each subcommand sets ``func(args) -> int``.
    """
    from sim.results import package_version

    parser = argparse.ArgumentParser(
        prog="trustsim",
        description="Agent-based simulation of consumer trust under personalised marketing.",
        epilog=_MAIN_EPILOG,
        formatter_class=_FORMATTER,
    )
    parser.add_argument("--version", action="version", version=f"trustsim {package_version()}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its results folder",
                       description="Run one scenario and write its results folder.",
                       epilog=_RUN_EPILOG, formatter_class=_FORMATTER)
    p.add_argument("scenario", metavar="SCENARIO",
                   help="scenario TOML file, or the name of a built-in scenario")
    _add_common(p)
    p.add_argument("--replicate", type=_nonneg_int, metavar="R",
                   help="replicate number (sets run.replicate)")
    p.set_defaults(func=cmd_run)

    from sim.compare_cli import add_parser as add_compare
    add_compare(sub)

    p = sub.add_parser("validate", help="check scenario files without running them",
                       description="Check scenario files; list every problem.",
                       epilog=_VALIDATE_EPILOG, formatter_class=_FORMATTER)
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files")
    _add_common(p, seed=False, out=False,
                quiet_help="print nothing for valid files; problems still go to stderr")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("markets", help="list market presets with targets and fitted shares",
                       description="List market presets: survey targets beside the shares "
                                   "the fitted population gives.",
                       epilog=_MARKETS_EPILOG, formatter_class=_FORMATTER)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="markets to show (default: all built-in presets)")
    _add_common(p, sets=False, seed=False, out=False,
                quiet_help="print only the market names")
    p.set_defaults(func=cmd_markets)

    p = sub.add_parser("report", help="rebuild figures and summary of a results folder",
                       description="Rebuild the figures and summary.json of a results folder.",
                       epilog=_REPORT_EPILOG, formatter_class=_FORMATTER)
    p.add_argument("dir", metavar="DIR", help="a folder written by 'trustsim run'")
    _add_common(p, sets=False, seed=False, out=False, quiet_help="print only the folder")
    p.set_defaults(func=cmd_report)

    from sim.calibrate.cli import add_parser as add_calibrate
    from sim.dashboard.cli import add_parser as add_dashboard
    add_dashboard(sub)
    from sim.explain_cli import add_parser as add_explain
    add_explain(sub)
    add_calibrate(sub)
    try:
        from sim.sweep.cli import add_parsers
    except ImportError:
        pass
    else:
        add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``trustsim`` console script.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 ok, 1 user error, 2 usage error, 130 interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help / --version (0) or a usage error (2)
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    with warnings.catch_warnings():
        warnings.simplefilter("default", InputWarning)  # each message once
        warnings.showwarning = _show_warning
        return _dispatch(args)


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """Print an :class:`InputWarning` as one ``warning:`` line; others as Python would."""
    if issubclass(category, InputWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line),
              file=sys.stderr, end="")


def _dispatch(args: argparse.Namespace) -> int:
    """Run the subcommand's handler; user errors become one message and an exit code."""
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as err:  # existing output folder, missing results folder, disk full...
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
