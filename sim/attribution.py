"""Attribution: how much of a scenario's churn and trust loss each mechanism causes.

:func:`attribution` (also :func:`explain`) runs a scenario with every subset
of its mechanisms switched off, all on the *same* population, network and
random draws (common random numbers: same ``run.seed`` and ``run.replicate``;
every stream is keyed by name and week, :mod:`sim.rng`, so switching one
mechanism off never moves another's draws), and splits the outcome into the
mechanisms' **Shapley values**:

    share_i = sum over sets S of the other mechanisms of
              |S|! (k - |S| - 1)! / k! * (v(S + i) - v(S))

where ``v(S)`` is the outcome with only the mechanisms in ``S`` on and ``k``
the number of mechanisms. Shapley values are the one split that adds up
(the shares sum to ``v(all) - v(none)`` exactly, computed here in exact
rational arithmetic), treats mechanisms symmetrically and gives a mechanism
that changes nothing a share of zero. A mechanism's *switch-off effect*
(``v(all minus i) - v(all)``) is reported beside its share: the two differ by
the mechanism's interactions (complaints need both a crossing ad and word of
mouth, so each gets half of that channel's share but all of it in its
switch-off effect). With ``k`` mechanisms this takes ``2**k`` runs per
replicate: 32 for the five built-in ones, less when some are off in the
scenario (they are skipped and get exactly zero).

The *background* row is ``v(none)``: the churn and trust change with every
listed mechanism off (the trust-linked weekly hazard on its own, and trust
gains from acceptable ads). Background + shares = total, the scenario as it
is. The hazard is not itself a mechanism here because it is what turns lost
trust into exits: as a Shapley player it would take half of every
trust-driven exit.

Outcomes: ``churn`` (share of initial customers lost by the end, the
``churn_rate`` KPI), ``trust_loss`` (mean trust of all consumers at the start
minus at the end) and ``trust_loss_<segment>`` (median trust of the segment
at the start minus at the end).

Example:
    >>> import sim
    >>> att = sim.attribution("data_breach",
    ...                       overrides={"population.size": 2000})  # doctest: +SKIP
    >>> print(att.format_table())  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.attribution_text import BACKGROUND, OFF, OUTCOMES, TOTAL, format_attribution
from sim.compare_stats import paired_interval
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.hints import hint_or_allowed
from sim.markets import SEGMENTS
from sim.model import TrustModel
from sim.scenario_io import load_scenario, with_overrides
from sim.switches import MECHANISMS

Overrides = Mapping[str, Any] | None


MAX_MECHANISMS = 7
"""Most mechanisms at once: ``2**7 = 128`` runs per replicate."""


@dataclass
class Attribution:
    """The split of a scenario's churn and trust loss between its mechanisms.

    Attributes:
        scenario: The scenario as given (every mechanism on).
        mechanisms: Names of the mechanisms split between (the Shapley players).
        inactive: Names of mechanisms off in this scenario (share exactly zero).
        table: One row per chosen mechanism of :data:`MECHANISMS` (in that order), then
            ``background`` and ``total``. Columns ``mechanism``, ``label``,
            ``status`` (``on``, ``off in scenario``, ``background``, ``total``)
            and per outcome ``<outcome>`` (the share; for background and total
            their value), ``<outcome>_if_off`` (the switch-off effect: change of
            the outcome when only this mechanism is switched off) and, with two
            or more replicates, ``<outcome>_low`` / ``<outcome>_high`` (t interval
            over replicates).
        runs: One row per run: ``replicate``, one boolean column per mechanism
            (on or off in that run) and the outcomes.
        replicates: Replicates run.
        confidence: Level of the intervals.
        notes: Caveats for the reader (printed under the table).
    """

    scenario: Scenario
    mechanisms: list[str]
    inactive: list[str]
    table: pd.DataFrame
    runs: pd.DataFrame
    replicates: int
    confidence: float = 0.95
    notes: list[str] = field(default_factory=list)

    def format_table(self, outcomes: Sequence[str] = ("churn", "trust_loss"), *,
                     if_off: bool = True, header: bool = True) -> str:
        """The table in plain words, as ``trustsim explain`` prints it.

        Shares are rounded so that the printed rows add up to the printed total.

        Args:
            outcomes: Which outcomes to show (columns), from :data:`OUTCOMES`.
            if_off: Also show each mechanism's switch-off effect.
            header: With the scenario, the method and how to read it (False:
                the table only).

        Returns:
            The text.
        """
        return format_attribution(self.table, self.scenario, mechanisms=len(self.mechanisms),
                                  replicates=self.replicates, confidence=self.confidence,
                                  outcomes=outcomes, if_off=if_off, header=header,
                                  notes=self.notes)


# --------------------------------------------------------------------------- runs


def measure(scenario: Scenario, network: Any = None) -> dict[str, float]:
    """Run a scenario and return the attributed outcomes.

    Args:
        scenario: The scenario.
        network: Optional adjacency or networkx graph, as for :func:`sim.run`.

    Returns:
        ``{outcome: value}`` for every name of :data:`OUTCOMES`.
    """
    model = TrustModel(scenario, rng=scenario.run.seed, network=network)
    model.setup()
    p = model.population
    start = p.trust.copy()
    initial = int(np.count_nonzero(p.customer))
    while model.running:
        model.step()
    customers = int(np.count_nonzero(p.customer))
    out = {
        "churn": 1.0 - customers / max(initial, 1),  # as the churn_rate KPI
        "trust_loss": float(np.mean(start, dtype=np.float64) - np.mean(p.trust, dtype=np.float64)),
    }
    for s, name in enumerate(SEGMENTS):
        members = p.segment == s
        out[f"trust_loss_{name}"] = (
            float(np.median(start[members]) - np.median(p.trust[members]))
            if members.any() else math.nan
        )
    return out


def switched_off(scenario: Scenario, names: Iterable[str]) -> Scenario:
    """The scenario with the named mechanisms switched off.

    Args:
        scenario: The scenario.
        names: Names of :data:`MECHANISMS`.

    Returns:
        The scenario with their overrides applied (itself if none).
    """
    overrides: dict[str, Any] = {}
    for name in names:
        overrides.update(MECHANISMS[name].switch_off(scenario))
    return with_overrides(scenario, overrides) if overrides else scenario


def shapley(values: Mapping[int, float], k: int) -> list[float]:
    """Exact Shapley values of ``k`` players from the value of every coalition.

    Computed in rational arithmetic (each float is exact as a fraction), so the
    values add up to ``values[all] - values[none]`` up to the final rounding of
    each to a float.

    Args:
        values: Value of each coalition, keyed by bit mask (bit ``i`` set: player
            ``i`` is in), for all ``2**k`` masks.
        k: Number of players.

    Returns:
        One value per player.
    """
    full = math.factorial(k)
    weights = [Fraction(math.factorial(s) * math.factorial(k - s - 1), full) for s in range(k)]
    exact = {m: Fraction(v) for m, v in values.items()}
    out = []
    for i in range(k):
        bit = 1 << i
        phi = sum((weights[m.bit_count()] * (exact[m | bit] - exact[m])
                   for m in range(1 << k) if not m & bit), Fraction(0))
        out.append(float(phi))
    return out


def _choose(scenario: Scenario, names: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Split the chosen mechanisms into those to run and those off in the scenario."""
    if isinstance(names, str):
        names = names.split(",")
    chosen = list(MECHANISMS) if names is None else list(dict.fromkeys(names))
    for name in chosen:
        if name not in MECHANISMS:
            raise ScenarioError.one("mechanisms", f"unknown mechanism; "
                                    f"{hint_or_allowed(name, MECHANISMS)}", name)
    if len(chosen) > MAX_MECHANISMS:
        raise ScenarioError.one("mechanisms", f"at most {MAX_MECHANISMS} at once "
                                f"(2**k runs each), got {len(chosen)}", ",".join(chosen))
    active = [n for n in chosen if MECHANISMS[n].active(scenario)]
    return active, [n for n in chosen if n not in active]


def _as_scenario(scenario: Scenario | str | Path, overrides: Overrides) -> Scenario:
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, dict(overrides)) if overrides else scenario
    return load_scenario(scenario, dict(overrides or {}))


def attribution(
    scenario: Scenario | str | Path,
    *,
    overrides: Overrides = None,
    mechanisms: Sequence[str] | None = None,
    replicates: int = 1,
    confidence: float = 0.95,
    network: Any = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> Attribution:
    """Split a scenario's churn and trust loss between its mechanisms (Shapley values).

    Every run shares the scenario's population, network and random draws; only
    the switched-off mechanisms differ. Replicate ``r`` (0-based) runs with
    ``run.replicate`` = the scenario's replicate + ``r``.

    Args:
        scenario: A Scenario, a scenario file or a built-in scenario's name.
        overrides: Dotted-key overrides applied first (``{"population.size": 2000}``).
        mechanisms: Names from :data:`MECHANISMS` to split between (default: all;
            a string is split at commas).
            Mechanisms left out stay on in every run and count in the background.
        replicates: Independent replicates; two or more give intervals.
        confidence: Level of the intervals, in (0, 1).
        network: Optional adjacency or networkx graph used by every run.
        progress: Optional callback ``progress(runs_done, runs)``.
        executor: Optional :class:`concurrent.futures.Executor` to run in parallel.

    Returns:
        The :class:`Attribution`.

    Raises:
        ScenarioError: For a bad scenario or override, an unknown mechanism, or
            fewer than one replicate.
    """
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 1:
        raise ScenarioError.one("replicates", "must be a whole number of at least 1",
                                replicates)
    if not 0.0 < confidence < 1.0:
        raise ScenarioError.one("confidence", "must be between 0 and 1", confidence)
    base = _as_scenario(scenario, overrides)
    players, inactive = _choose(base, mechanisms)
    k = len(players)
    jobs = []
    for r in range(replicates):
        sc_r = with_overrides(base, {"run.replicate": base.run.replicate + r}) if r else base
        for mask in range(1 << k):
            off = [name for i, name in enumerate(players) if not mask >> i & 1]
            jobs.append((r, mask, switched_off(sc_r, off)))
    results = _run_all([j[2] for j in jobs], network, progress, executor)
    rows = [{"replicate": r, **{n: bool(mask >> i & 1) for i, n in enumerate(players)}, **res}
            for (r, mask, _), res in zip(jobs, results, strict=True)]
    runs = pd.DataFrame(rows)
    table = _table(runs, players, inactive, replicates, confidence)
    notes = []
    if base.strategy.escalation.mode == "adaptive" and {"crossings", "wom"} & set(players):
        notes.append("The brand's adaptive escalation reads complaints: switching off ads "
                     "crossing the line or word of mouth silences them, so the brand's "
                     "levels change too (part of those mechanisms' effect).")
    return Attribution(base, players, inactive, table, runs, replicates, confidence, notes)


explain = attribution
"""Another name for :func:`attribution` (the command is ``trustsim explain``)."""


def _run_all(scenarios: list[Scenario], network: Any,
             progress: Callable[[int, int], None] | None,
             executor: Executor | None) -> list[dict[str, float]]:
    total = len(scenarios)
    if executor is None:
        out = []
        for i, sc in enumerate(scenarios):
            out.append(measure(sc, network))
            if progress is not None:
                progress(i + 1, total)
        return out
    futures = [executor.submit(measure, sc, network) for sc in scenarios]
    out = []
    for i, fut in enumerate(futures):  # in submission order: the same result every time
        out.append(fut.result())
        if progress is not None:
            progress(i + 1, total)
    return out


def _table(runs: pd.DataFrame, players: list[str], inactive: list[str], replicates: int,
           confidence: float) -> pd.DataFrame:
    """Shares, switch-off effects, background and total, with intervals over replicates."""
    k = len(players)
    full = (1 << k) - 1
    per_rep: dict[str, list[dict[str, float]]] = {}  # row name -> one dict per replicate
    for r in range(replicates):
        rep = runs[runs["replicate"] == r].reset_index(drop=True)  # rows in mask order
        row_values: dict[str, dict[str, float]] = {n: {} for n in (*players, BACKGROUND, TOTAL)}
        for o in OUTCOMES:
            v = dict(enumerate(rep[o].to_list()))
            for name, phi in zip(players, shapley(v, k), strict=True):
                row_values[name][o] = phi
            for i, name in enumerate(players):
                row_values[name][f"{o}_if_off"] = v[full & ~(1 << i)] - v[full]
            row_values[BACKGROUND][o] = v[0]
            row_values[TOTAL][o] = v[full]
        for name, vals in row_values.items():
            per_rep.setdefault(name, []).append(vals)
    rows = []
    for name in (*MECHANISMS, BACKGROUND, TOTAL):
        if name in players:
            status = "on"
        elif name in inactive:
            status = OFF
        elif name in MECHANISMS:
            continue  # not chosen: stays on, part of the background
        else:
            status = name
        label = MECHANISMS[name].label if name in MECHANISMS else (
            "background (none of these)" if name == BACKGROUND else "total")
        row: dict[str, Any] = {"mechanism": name, "label": label, "status": status}
        for o in OUTCOMES:
            cols = [o, f"{o}_if_off"] if name in MECHANISMS else [o]
            for col in cols:
                samples = [d.get(col, 0.0) for d in per_rep.get(name, [{}] * replicates)]
                mean, low, high = paired_interval(np.array(samples), confidence)
                row[col] = mean
                if replicates > 1 and col == o:
                    row[f"{o}_low"], row[f"{o}_high"] = low, high
        rows.append(row)
    return pd.DataFrame(rows)
