"""``trustsim explain SCENARIO``: why customers left and trust fell, mechanism by mechanism.

Runs :func:`sim.attribution.attribution` (every subset of the scenario's
mechanisms switched off, on the same consumers, network and random draws),
prints the Shapley shares of churn and mean trust loss in plain words and,
with ``--out``, writes the table, every run, a JSON summary and a bar figure.
Errors are those of the other commands: a bad scenario, ``--set`` or
mechanism name is one ``error:`` line and exit code 1 (raised as
:class:`~sim.errors.ScenarioError` for ``trustsim``'s dispatcher).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from sim.argtypes import whole_number
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.markets import SEGMENTS
from sim.paths import locate
from sim.scenario_io import load_scenario, normalise_overrides
from sim.switches import MECHANISMS

_EPILOG = """\
examples:
  trustsim explain baseline
  trustsim explain data_breach --size 20000 --seed 3
  trustsim explain baseline --set strategy.escalation.level=personal --segments
  trustsim explain data_breach --replicates 5 --jobs 2 --out results/why-breach

{mechanisms}.
Each is switched off in turn and in every combination (2**k runs per replicate, k the
mechanisms active in the scenario), all on the same consumers, network and random
draws; the shares are Shapley values and add up, with the background (everything
off), to the total. The folder (--out) holds attribution.csv, runs.csv,
attribution.json, attribution.txt, scenario.toml and figures/attribution.png/.svg."""

_positive = whole_number(1)
_nonneg = whole_number(0)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``explain`` on the ``trustsim`` subcommands.

    Args:
        subparsers: The ``add_subparsers()`` object of the main parser.

    Returns:
        The subcommand's parser (its ``func`` is :func:`cmd_explain`).
    """
    names = textwrap.fill(", ".join(f"{n} ({m.label})" for n, m in MECHANISMS.items()), 88,
                          initial_indent="mechanisms: ")
    p = subparsers.add_parser(
        "explain", help="split a scenario's churn and trust loss between its mechanisms",
        description="Why customers left and trust fell (or rose): each mechanism's share of "
                    "churn and trust loss (Shapley values under common random numbers).",
        epilog=_EPILOG.format(mechanisms=names),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenario", metavar="SCENARIO",
                   help="scenario TOML file, or the name of a built-in scenario")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario value by its dotted key (repeatable)")
    p.add_argument("--size", type=_positive, metavar="N",
                   help="consumers (sets population.size; default: the scenario's)")
    p.add_argument("--seed", type=_nonneg, metavar="S", help="root random seed (sets run.seed)")
    p.add_argument("-r", "--replicates", type=_positive, default=1, metavar="R",
                   help="replicates (default 1; two or more give 95%% intervals)")
    p.add_argument("--mechanisms", metavar="NAME,...",
                   help="only these mechanisms (comma-separated); the others stay on and "
                        "count in the background")
    p.add_argument("--segments", action="store_true",
                   help="also split the median trust loss of each privacy segment")
    p.add_argument("-j", "--jobs", type=_positive, default=1, metavar="N",
                   help="runs in parallel processes (default 1)")
    p.add_argument("--out", metavar="DIR", help="also write the table, runs and figure here")
    p.add_argument("--force", action="store_true",
                   help="replace an existing attribution folder at --out")
    p.add_argument("--no-figures", action="store_true", help="skip drawing the figure")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar; with --out print only the folder")
    p.set_defaults(func=cmd_explain)
    return p


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--set`` values plus ``--size`` and ``--seed`` as one mapping of dotted keys."""
    ov = normalise_overrides(args.set or [])
    if args.size is not None:
        ov["population.size"] = args.size
    if args.seed is not None:
        ov["run.seed"] = args.seed
    return ov


def load(ref: str, overrides: dict[str, Any]) -> Scenario:
    """Load the scenario; problems an override caused are blamed on ``--set``."""
    try:
        return load_scenario(locate(ref), overrides)
    except ScenarioError as err:
        raise err.blaming(overrides) from None


def _mechanisms(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ScenarioError.one("--mechanisms", "names no mechanism; allowed: "
                                + ", ".join(MECHANISMS), text)
    return names


def cmd_explain(args: argparse.Namespace) -> int:
    """Handle ``trustsim explain``: run, print, and write the folder if asked.

    Returns:
        0 on success (errors are raised as :class:`ScenarioError` / ``OSError``
        for the dispatcher of :mod:`sim.cli`).
    """
    from tqdm import tqdm

    from sim.attribution import attribution

    sc = load(args.scenario, overrides_of(args))
    names = _mechanisms(args.mechanisms)
    out = Path(args.out) if args.out else None
    if out is not None:
        from sim.app.attribution_folder import MARKER
        from sim.files import check_output_dir

        check_output_dir(out, force=args.force, marker=MARKER)  # before the runs, not after
    executor = None
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=args.jobs)
    bar = tqdm(total=None, desc=f"explain {sc.name}", unit="run", file=sys.stderr, leave=False,
               disable=args.quiet or not sys.stderr.isatty(), dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        att = attribution(sc, mechanisms=names, replicates=args.replicates, progress=progress,
                          executor=executor)
    finally:
        bar.close()
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    if out is not None:
        from sim.app.attribution_folder import write_attribution

        write_attribution(att, out, force=args.force, figures=not args.no_figures)
        if args.quiet:
            print(out)
            return 0
    print(att.format_table())
    if args.segments:
        print()
        print(att.format_table([f"trust_loss_{s}" for s in SEGMENTS], if_off=False,
                               header=False))
    if out is not None:
        print(f"results written to {out}/")
    return 0
