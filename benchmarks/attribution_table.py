"""The attribution table of ``docs/model.md``: why people leave, in three scenarios.

Runs :func:`sim.attribution` (Shapley shares of churn and mean trust loss over
the mechanisms, common random numbers) for the baseline, the baseline at
``personal`` all year and the data breach, and prints the markdown tables that
``docs/model.md`` ("Attribution: why people leave") shows. Run times go to
stderr, so stdout is the markdown to paste.

Usage::

    python benchmarks/attribution_table.py                 # 20,000 consumers, seed 3
    python benchmarks/attribution_table.py --segments      # also the segments' median loss
    python benchmarks/attribution_table.py --quick         # 2,000 consumers (smoke test)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sim
from sim.attribution_text import OFF, OUTCOME_LABELS, TOTAL, format_value, shown_values
from sim.markets import SEGMENTS
from sim.switches import MECHANISMS

SCENARIOS = (
    ("baseline", "baseline", {}),
    ("personal all year", "baseline", {"strategy.escalation.level": "personal"}),
    ("data breach", "data_breach", {}),
)
"""(column title, built-in scenario, overrides) of each column."""


def markdown(atts: dict[str, sim.Attribution], outcome: str, if_off: bool = False) -> list[str]:
    """One markdown table: a row per mechanism, a column per scenario.

    Args:
        atts: Attribution by column title.
        outcome: The outcome shown (``churn``, ``trust_loss``, ...).
        if_off: Show each mechanism's switch-off effect instead of its share
            (no background or total rows then).

    Returns:
        The table's lines.
    """
    first = next(iter(atts.values())).table
    col = f"{outcome}_if_off" if if_off else outcome
    cols = {title: dict(zip(att.table["mechanism"],
                            att.table[col] if if_off else shown_values(att.table, outcome),
                            strict=True)) for title, att in atts.items()}
    status = {title: dict(zip(att.table["mechanism"], att.table["status"], strict=True))
              for title, att in atts.items()}
    head = f"{OUTCOME_LABELS[outcome]}, if switched off alone" if if_off else \
        f"share of {OUTCOME_LABELS[outcome]}"
    lines = [f"| {head} | " + " | ".join(atts) + " |", "| --- |" + " ---: |" * len(atts)]
    for name, label in zip(first["mechanism"], first["label"], strict=True):
        if if_off and name not in MECHANISMS:
            continue
        cells = []
        for title in atts:
            if status[title][name] == OFF:
                cells.append("off")
            else:
                text = format_value(outcome, cols[title][name])
                cells.append(f"**{text}**" if name == TOTAL else text)
        shown = f"**{label}**" if name == TOTAL else label
        lines.append(f"| {shown} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the three attributions and print the markdown tables.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        0.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=20_000, help="consumers (default 20,000)")
    ap.add_argument("--seed", type=int, default=3, help="run.seed (default 3)")
    ap.add_argument("--replicates", type=int, default=1, help="replicates (default 1)")
    ap.add_argument("--segments", action="store_true",
                    help="also the median trust loss of each privacy segment")
    ap.add_argument("--quick", action="store_true", help="smoke test: 2,000 consumers")
    args = ap.parse_args(argv)
    size = 2_000 if args.quick else args.size
    atts: dict[str, sim.Attribution] = {}
    for title, name, overrides in SCENARIOS:
        t0 = time.perf_counter()
        atts[title] = sim.attribution(name, replicates=args.replicates, overrides={
            **overrides, "population.size": size, "run.seed": args.seed})
        runs = len(atts[title].runs)
        print(f"{title}: {runs} runs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    command = "python benchmarks/attribution_table.py" + ("" if size == 20_000 else
                                                          f" --size {size}")
    print(f"<!-- {size:,} consumers, seed {args.seed}, {args.replicates} replicate(s); "
          f"regenerate: {command} -->")
    print()
    outcomes = ["churn", "trust_loss"]
    if args.segments:
        outcomes += [f"trust_loss_{s}" for s in SEGMENTS]
    tables = [markdown(atts, o) for o in outcomes]
    tables += [markdown(atts, o, if_off=True) for o in ("churn", "trust_loss")]
    print("\n\n".join("\n".join(t) for t in tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
