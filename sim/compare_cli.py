"""The ``trustsim compare`` subcommand: strategy B against strategy A, paired.

:func:`add_parser` adds it to the ``trustsim`` command line; :func:`cmd_compare`
handles it. Each side can take its own overrides (``--set-a``, ``--set-b``,
applied after ``--set``, which applies to both), and ``--posterior FILE``
draws the behavioural parameters of each replicate from a posterior sample.

Layer: command line (under sim.cli).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.argtypes import whole_number
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.scenario_io import load_scenario, normalise_overrides

REPLICATES = 5
"""Paired replicates by default."""

REPLICATES_POSTERIOR = 20
"""Paired replicates by default with ``--posterior`` (one draw each)."""

_EPILOG = """\
examples:
  trustsim compare scenarios/escalation_ramp.toml scenarios/transparent_brand.toml
  trustsim compare baseline data_breach --replicates 10 --set population.size=20000
  trustsim compare data_breach data_breach --set-b incidents.events.0.responsible=true
  trustsim compare baseline consent_first --jobs 4 --out results/consent
  trustsim compare baseline escalation_ramp --posterior fit/posterior.csv

Both sides use A's run.seed; replicate r sets run.replicate=r on both, so each
pair shares population, network and random draws (common random numbers).
Differences are B - A with a paired t confidence interval. --set applies to
both sides, --set-a and --set-b to one (after --set); list items are
addressed by index: incidents.events.0.responsible=true. The abnormal churn
of an incident is given only when the sides differ in their incidents alone.
With --posterior, replicate r draws the posterior's parameters (the same on
both sides); the table adds the range of B - A over the draws and in how many
B does better (default 20 replicates; a chance is estimated from 20 or more)."""

_positive_int = whole_number(1)


def _confidence(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {v}")
    return v


def add_parser(subparsers: Any) -> None:
    """Add the ``compare`` subcommand.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers()``.
    """
    p = subparsers.add_parser(
        "compare", help="compare two strategies on the same consumers",
        description="Compare strategy B against strategy A with common random numbers and "
                    "paired confidence intervals.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", metavar="A", help="reference scenario (file or built-in name)")
    p.add_argument("b", metavar="B", help="alternative scenario (file or built-in name)")
    p.add_argument("-r", "--replicates", type=_positive_int, metavar="R",
                   help=f"paired replicates (default {REPLICATES}, {REPLICATES_POSTERIOR} with "
                        "--posterior; at least 2 for an interval)")
    p.add_argument("--confidence", type=_confidence, default=0.95, metavar="LEVEL",
                   help="confidence level of the intervals (default 0.95)")
    p.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N",
                   help="runs in parallel processes (default 1)")
    for flag, who, example in (
            ("--set", "both sides", "population.size=2000"),
            ("--set-a", "side A only (after --set)", "strategy.transparency=0.8"),
            ("--set-b", "side B only (after --set)", "incidents.events.0.responsible=true")):
        p.add_argument(flag, action="append", default=[], metavar="KEY=VALUE",
                       help=f"override a scenario value of {who} by its dotted key "
                            f"(repeatable), e.g. {example}")
    p.add_argument("--seed", type=whole_number(0), metavar="N",
                   help="root random seed (sets run.seed)")
    p.add_argument("--posterior", metavar="FILE",
                   help="draw each replicate's behavioural parameters from this posterior "
                        "sample (CSV or Parquet: dotted scenario keys and 'weight')")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default: results/compare-<A>-vs-<B>-<timestamp>/)")
    p.add_argument("--force", action="store_true",
                   help="write into an existing output folder, replacing files of the same "
                        "name")
    p.add_argument("--no-figures", action="store_true", help="skip drawing the figures")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar or tables; print only the output folder")
    p.set_defaults(func=cmd_compare)


def side_overrides(args: argparse.Namespace, side: str) -> tuple[dict[str, Any], dict[str, str]]:
    """One side's overrides and, per key, the flag that set it.

    Args:
        args: Parsed arguments (``set``, ``set_a``, ``set_b``, ``seed``).
        side: ``"a"`` or ``"b"``.

    Returns:
        ``(overrides, flag per key)``; a side's own flag wins over ``--set``.

    Raises:
        ScenarioError: For an item without ``=``, naming its flag.
    """
    flag = f"--set-{side}"
    out: dict[str, Any] = {}
    source: dict[str, str] = {}
    for name, items in (("--set", args.set), (flag, getattr(args, f"set_{side}"))):
        try:
            ov = normalise_overrides(items)
        except ScenarioError as err:
            raise err.blaming([p.key for p in err.problems], name) from None
        out.update(ov)
        source.update(dict.fromkeys(ov, name))
    if args.seed is not None:
        out["run.seed"] = args.seed
        source["run.seed"] = "--seed"
    return out, source


def load_side(path: str, args: argparse.Namespace, side: str) -> Scenario:
    """Load one side with its overrides; a problem an override caused names its flag.

    Args:
        path: The scenario file or built-in name.
        args: Parsed arguments.
        side: ``"a"`` or ``"b"``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: Naming the file, or the flag, and the key.
    """
    overrides, source = side_overrides(args, side)
    try:
        return load_scenario(path, overrides)
    except ScenarioError as err:
        for flag in dict.fromkeys(source.values()):
            err = err.blaming([k for k, f in source.items() if f == flag], flag)
        raise err from None


def cmd_compare(args: argparse.Namespace) -> int:
    """Handle ``trustsim compare``.

    Args:
        args: Parsed arguments.

    Returns:
        0 (errors are raised and turned into exit codes by the caller).
    """
    from tqdm import tqdm

    from sim.app.comparison_folder import MARKER, write_comparison
    from sim.compare import compare
    from sim.files import check_output_dir, default_output_dir
    from sim.posterior import load_posterior

    sa, sb = load_side(args.a, args, "a"), load_side(args.b, args, "b")
    post = load_posterior(args.posterior) if args.posterior else None
    replicates = args.replicates or (REPLICATES_POSTERIOR if post else REPLICATES)
    out = Path(args.out) if args.out else default_output_dir(f"compare-{sa.name}-vs-{sb.name}")
    check_output_dir(out, force=args.force, marker=MARKER)
    executor = None
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=args.jobs)
    bar = tqdm(total=2 * replicates, desc="runs", unit="run", file=sys.stderr, leave=False,
               disable=args.quiet or not sys.stderr.isatty(), dynamic_ncols=True)
    try:
        with bar:
            cmp = compare(sa, sb, replicates=replicates, confidence=args.confidence,
                          progress=lambda done, _total: bar.update(done - bar.n),
                          executor=executor, posterior=post)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    write_comparison(cmp, out, force=args.force, figures=not args.no_figures)
    if args.quiet:
        print(out)
        return 0
    print(cmp.format_table())
    print(f"results written to {out}/")
    return 0
