"""The attribution table in plain words: outcome names, rounding that adds up, layout.

:mod:`sim.attribution` computes the shares; this module only words them, reading
labels and number formats from the KPI registry (:mod:`sim.kpis`): churn in
percentage points (``+1.25 pp``), trust on its 0-1 scale (``+0.012``), never
in scientific notation.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import pandas as pd

from sim import kpis
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.hints import hint_or_allowed
from sim.markets import SEGMENTS

BACKGROUND = "background"
"""Row of the outcome with every attributed mechanism off."""
TOTAL = "total"
"""Row of the outcome of the scenario as it is."""
OFF = "off in scenario"
"""Status of a mechanism that is off in the scenario (share zero, not run)."""

OUTCOMES = ("churn", "trust_loss", *(f"trust_loss_{s}" for s in SEGMENTS))
"""What is attributed, each a number per run: churn (share of the initial
customers lost), mean trust loss (all consumers, start minus end) and the
median trust loss of each privacy segment (median at the start minus at the end)."""

_PLURAL = {"fundamentalist": "fundamentalists", "pragmatist": "pragmatists",
           "unconcerned": "the unconcerned"}

OUTCOME_LABELS = {
    "churn": kpis.get("churn_rate").short,  # "churn"
    "trust_loss": f"{kpis.get('mean_trust').label.lower()} loss",  # "mean trust loss"
    **{f"trust_loss_{s}": f"median trust loss of {_PLURAL.get(s, s)}" for s in SEGMENTS},
}
"""Each outcome in words."""

_HEADERS = {**OUTCOME_LABELS, **{f"trust_loss_{s}": _PLURAL.get(s, s).removeprefix("the ")
                                 for s in SEGMENTS}}

_KPI_OF = {"churn": "churn_rate"}  # the others are trust differences: the mean_trust format
_STEP = {"percent": 0.0001, "trust": 0.001}  # the precision kpis.format_diff prints


def outcome_kpi(outcome: str) -> str:
    """The registry KPI whose format an outcome takes (``churn_rate`` or ``mean_trust``)."""
    return _KPI_OF.get(outcome, "mean_trust")


def check_outcomes(outcomes: Sequence[str]) -> None:
    """Refuse an unknown outcome name, with the allowed ones.

    Raises:
        ScenarioError: Naming the outcome and what is allowed.
    """
    for o in outcomes:
        if o not in OUTCOMES:
            raise ScenarioError.one("outcomes", f"unknown outcome; "
                                    f"{hint_or_allowed(o, OUTCOMES)}", o)


def rounded_to_total(values: Sequence[float], total: float, step: float) -> list[float]:
    """Round values to multiples of ``step`` so that they add up to ``total`` rounded.

    Largest-remainder rounding: each value is rounded down, then the steps still
    missing go to the values with the largest remainders.

    Args:
        values: The values (their sum is ``total`` up to float rounding).
        total: Their total.
        step: The rounding step (``0.0001`` for 0.01 percentage points).

    Returns:
        The rounded values, in the same order.

    Example:
        >>> rounded_to_total([1.4, 1.4, 1.2], 4.0, 1.0)
        [2.0, 1.0, 1.0]
    """
    units = [v / step for v in values]
    floors = [math.floor(u + 1e-9) for u in units]  # 1e-9: a float just below a whole step
    missing = round(total / step) - sum(floors)
    order = sorted(range(len(units)), key=lambda i: floors[i] - units[i])
    for i in order[:max(missing, 0)]:
        floors[i] += 1
    return [f * step for f in floors]


def shown_values(table: pd.DataFrame, outcome: str) -> list[float]:
    """An outcome's column rounded as printed, the parts adding up to the printed total.

    Args:
        table: An attribution table (:attr:`sim.attribution.Attribution.table`).
        outcome: A name of :data:`OUTCOMES`.

    Returns:
        One value per row of ``table``; unrounded if any is NaN.
    """
    step = _STEP[kpis.get(outcome_kpi(outcome)).fmt]
    values = table[outcome].astype(float).to_list()
    if any(math.isnan(v) for v in values):
        return values
    status = table["status"].to_list()
    parts = [i for i, s in enumerate(status) if s in ("on", BACKGROUND)]
    total_i = status.index(TOTAL)
    total = round(values[total_i] / step) * step
    for i, v in zip(parts, rounded_to_total([values[i] for i in parts], total, step),
                    strict=True):
        values[i] = v
    values[total_i] = total
    return values


def format_value(outcome: str, value: float, unit: bool = True) -> str:
    """A share or change as people read it: ``+1.25 pp`` (churn), ``+0.012`` (trust)."""
    if math.isnan(value):
        return "n/a"
    return kpis.format_diff(outcome_kpi(outcome), value, unit=unit)


def _interval(outcome: str, low: float, high: float) -> str:
    if math.isnan(low):
        return ""
    unit = kpis.diff_unit(outcome_kpi(outcome))
    return f"[{format_value(outcome, low, False)}, {format_value(outcome, high, False)}]{unit}"


def format_attribution(
    table: pd.DataFrame, scenario: Scenario, *, mechanisms: int, replicates: int = 1,
    confidence: float = 0.95, outcomes: Sequence[str] = ("churn", "trust_loss"),
    if_off: bool = True, header: bool = True, notes: Sequence[str] = (),
) -> str:
    """The attribution table in plain words.

    Args:
        table: An attribution table (:attr:`sim.attribution.Attribution.table`).
        scenario: The scenario attributed (named in the header).
        mechanisms: Number of mechanisms split between.
        replicates: Replicates run (two or more: interval columns).
        confidence: Level of the intervals.
        outcomes: Outcomes to show, from :data:`OUTCOMES`.
        if_off: Also show each mechanism's switch-off effect.
        header: Start with the scenario and method and end with how to read it
            (False: only the table, under a caption for segment outcomes).
        notes: Caveats printed at the end (with the header).

    Returns:
        The text.

    Raises:
        ScenarioError: For an unknown outcome.
    """
    check_outcomes(outcomes)
    t = table
    status = t["status"].to_list()
    cols: list[tuple[str, list[str]]] = [("", list(t["label"]))]
    for o in outcomes:
        cols.append((_HEADERS[o], ["off" if s == OFF else format_value(o, v)
                                   for v, s in zip(shown_values(t, o), status, strict=True)]))
        if replicates > 1:
            cols.append((f"{round(100 * confidence)}% interval",
                         ["" if s == OFF else _interval(o, lo, hi) for lo, hi, s in
                          zip(t[f"{o}_low"], t[f"{o}_high"], status, strict=True)]))
        if if_off:
            cols.append(("if off alone", [format_value(o, v) if s == "on" else "" for v, s in
                                          zip(t[f"{o}_if_off"], status, strict=True)]))
    widths = [max(len(h), *(len(v) for v in vals)) for h, vals in cols]

    def line(cells: list[str]) -> str:
        text = "  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                         for j, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  " + text.rstrip()

    rule = line(["-" * w for w in widths])
    lines = [line([h for h, _ in cols]), rule]
    for i, s in enumerate(status):
        if s == TOTAL:
            lines.append(rule)
        lines.append(line([vals[i] for _, vals in cols]))
    if any(o.startswith("trust_loss_") for o in outcomes):
        lines.insert(0, "  Median trust loss by privacy segment (median at the start minus "
                        "at the end):")
    if not header:
        return "\n".join(lines)
    inactive = [lab for lab, s in zip(t["label"], status, strict=True) if s == OFF]
    return "\n".join([*_header(scenario, mechanisms, replicates, headline(t)), "", *lines, "",
                      *_reading(if_off, inactive),
                      *(w for n in sign_notes(t, outcomes) for w in textwrap.wrap(n, 100)),
                      *notes])


def _total(table: pd.DataFrame, outcome: str) -> float:
    """An outcome's total as printed (rounded), NaN if unknown."""
    return shown_values(table, outcome)[table["status"].to_list().index(TOTAL)]


def headline(table: pd.DataFrame) -> str:
    """The question the table answers, worded from its totals.

    Args:
        table: An attribution table (:attr:`sim.attribution.Attribution.table`).

    Returns:
        E.g. ``"Why customers left and trust fell"``, or ``"... and trust rose"``
        when the mean trust loss is negative.
    """
    churn, loss = _total(table, "churn"), _total(table, "trust_loss")
    left = "Why no customers left" if churn == 0 else "Why customers left"
    trust = "trust rose" if loss < 0 else "trust held" if loss == 0 else "trust fell"
    return f"{left} and {trust}"


def sign_notes(table: pd.DataFrame, outcomes: Sequence[str] = ("churn", "trust_loss")
               ) -> list[str]:
    """What the negative numbers of the table mean, and how the incident share is measured.

    Args:
        table: An attribution table (:attr:`sim.attribution.Attribution.table`).
        outcomes: The outcomes shown.

    Returns:
        Sentences, one per line (none when nothing needs saying).
    """
    status = table["status"].to_list()
    notes = []
    if "trust_loss" in outcomes and _total(table, "trust_loss") < 0:
        notes.append("Mean trust loss is negative: trust rose over the run (mean trust at "
                     "the end above the start).")
    for o in outcomes:
        shown = shown_values(table, o)
        bg = shown[status.index(BACKGROUND)]
        if bg < 0:
            notes.append(f"The background {OUTCOME_LABELS[o]} is negative "
                         f"({format_value(o, bg)}): with every mechanism off, "
                         + ("trust would rise." if o != "churn" else "customers would grow."))
        neg = [f"{lab} {format_value(o, v)} of {OUTCOME_LABELS[o]}"
               for lab, v, st in zip(table["label"], shown, status, strict=True)
               if st == "on" and v < 0]
        if neg:
            notes.append(f"A negative share ({', '.join(neg)}): on balance that mechanism kept "
                         "customers or raised trust (e.g. recommendations), offsetting part "
                         "of the others.")
    if "churn" in outcomes and "on" == dict(zip(table["mechanism"], status,
                                                 strict=True)).get("incidents"):
        notes.append("The data incidents' churn share is in points of the initial customers, "
                     "its interactions split evenly (Shapley); 'trustsim compare' reports "
                     "abnormal churn, the paired difference with and without the breach over "
                     "the customers just before it, so the two numbers differ.")
    return notes


def _header(sc: Scenario, k: int, replicates: int, title: str) -> list[str]:
    reps = f", {replicates} replicates" if replicates > 1 else ""
    return [
        f"{title}: {sc.name} ({sc.population.size:,} consumers, "
        f"{sc.run.weeks} weeks, seed {sc.run.seed}{reps})",
        f"Shapley shares over {k} mechanism{'s' if k != 1 else ''}: {1 << k} runs per "
        "replicate on the same consumers, network and random draws.",
    ]


def _reading(if_off: bool, inactive: list[str]) -> list[str]:
    lines = [
        "How to read it: a share is the part of the total a mechanism causes, its "
        "interactions with the",
        "others split evenly; the background is the outcome with all of them off. Shares "
        "and background add",
        "up to the total. Churn is in percentage points of the initial customers, trust on "
        "its 0-1 scale.",
    ]
    if if_off:
        lines.append("'if off alone': how the outcome would change if only that mechanism "
                     "were switched off.")
    if inactive:
        lines.append(f"Off in this scenario (share zero, not run): {', '.join(inactive)}.")
    return lines
