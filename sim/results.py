"""Running a scenario and what a run returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.config import Scenario
from sim.kpis import KPIS
from sim.mechanisms.churn import CHURN_CAUSES
from sim.model import TrustModel
from sim.network import edgelist_labels, node_labels


def package_version() -> str:
    """Installed version of trustsim (``"unknown"`` from a bare checkout)."""
    try:
        return version("trustsim")
    except PackageNotFoundError:
        return "unknown"


@dataclass
class RunResult:
    """Everything one run produced, with its provenance.

    Attributes:
        weekly: One row per week, one column per metric.
        consumers: Final per-consumer table: ``churn_cause`` says why each
            churner left (see :data:`sim.mechanisms.churn.CHURN_CAUSES`; empty
            for customers) and, for a run on a networkx graph or an edge-list
            file of labels, ``label`` holds each consumer's node.
        survey: The market's survey targets beside the fitted and simulated shares.
        summary: Final KPIs.
        network: The adjacency the run used (CSR, consumer ids as rows).
        scenario: The resolved scenario; ``sim.run(res.scenario)`` reproduces the run.
        meta: Provenance: scenario name, seed, replicate, package version.
    """

    weekly: pd.DataFrame
    consumers: pd.DataFrame
    survey: pd.DataFrame
    summary: dict[str, Any]
    network: sp.csr_array
    scenario: Scenario
    meta: dict[str, Any] = field(default_factory=dict)

    def churn_by_cause(self) -> pd.DataFrame:
        """Customers who left each week, by cause (see :func:`churn_by_cause`)."""
        return churn_by_cause(self.consumers, len(self.weekly))


def churn_by_cause(consumers: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """Weekly counts of leavers by cause.

    Kept apart from the weekly table, whose columns the golden tables fix.

    Args:
        consumers: A run's consumer table (``churn_week``, ``churn_cause``).
        weeks: Number of weeks run.

    Returns:
        One row per week (``week`` 0 .. weeks-1), one int column per cause of
        :data:`sim.mechanisms.churn.CHURN_CAUSES` except ``seed`` (seeds left
        before week 0); each row sums to the weekly table's ``churned``.
    """
    cw = consumers["churn_week"]
    left = (cw.notna() & (cw >= 0)).to_numpy(dtype=bool)
    week = cw[left].to_numpy(dtype=np.int64)
    code = pd.Categorical(consumers["churn_cause"][left], categories=CHURN_CAUSES).codes
    counts = np.zeros((weeks, len(CHURN_CAUSES)), dtype=np.int64)
    np.add.at(counts, (week, code), 1)
    table = pd.DataFrame(counts, columns=list(CHURN_CAUSES)).drop(columns="seed")
    table.insert(0, "week", np.arange(weeks, dtype=np.int64))
    return table


def label_column(labels: list[Any]) -> pd.Series:
    """The consumer table's ``label`` column from a graph's nodes.

    Labels of one plain kind (all strings, all integers...) are kept as they
    are; mixed or composite labels (tuples) become their ``str`` so that the
    table can be written to Parquet. Consumers beyond the graph's nodes have none.

    Args:
        labels: One label (or None) per consumer.

    Returns:
        An object column.
    """
    col = pd.Series(labels, dtype=object)
    if pd.api.types.infer_dtype(col, skipna=True) not in ("string", "integer", "empty"):
        col = pd.Series([None if x is None else str(x) for x in labels], dtype=object)
    return col


def survey_table(model: TrustModel) -> pd.DataFrame:
    """Survey targets, the fit's analytic shares and the sampled population's.

    Args:
        model: A set-up model.

    Returns:
        One row per survey question with ``target``, ``fitted``, ``simulated``
        and ``error_pp`` (simulated minus target, percentage points).
    """
    m = model.market
    xs = {f"boundary_crossing@{t.intrusiveness:g}": t.intrusiveness
          for t in m.spec.targets.boundary_crossing}
    sim_shares = model.population.survey_shares(xs)
    rows = [
        {"question": q, "target": m.targets[q], "fitted": m.fitted[q], "simulated": sim_shares[q]}
        for q in m.targets
    ]
    df = pd.DataFrame(rows)
    df["error_pp"] = 100 * (df["simulated"] - df["target"])
    df.attrs["market"] = m.spec.name
    return df


def summarise(weekly: pd.DataFrame, consumers: int) -> dict[str, Any]:
    """Final KPIs of a run.

    Args:
        weekly: The weekly table.
        consumers: Population size.

    Returns:
        A flat dict of plain Python numbers, one per :data:`sim.kpis.KPIS`
        entry, in that order.
    """
    last = weekly.iloc[-1]
    reached = weekly["reached"].sum()
    values = {
        "weeks": len(weekly),
        "consumers": int(consumers),
        "customers": int(last["customers"]),
        "retention": float(last["retention"]),
        "churned_cumulative": int(last["churned_cumulative"]),
        "churn_rate": float(1.0 - last["retention"]),
        "revenue_cumulative": float(last["revenue_cumulative"]),
        "purchases": int(weekly["purchases"].sum()),
        "mean_trust": float(last["mean_trust"]),
        "mean_trust_customers": float(last["mean_trust_customers"]),
        "crossed_share": float(weekly["crossed"].sum() / reached) if reached else 0.0,
        "complaints": int(weekly["complaints"].sum()),
        "recommendations": int(weekly["recommendations"].sum()),
        "incident_aware": float(last["incident_aware"]),
        "opt_ins": int(last["opt_ins"]),
        "final_level": str(last["level_name"]),
    }
    return {name: values[name] for name in KPIS}  # the registry's order


def run(
    scenario: Scenario,
    *,
    network: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run a scenario to the end.

    Args:
        scenario: The validated scenario (see :func:`sim.load_scenario`).
        network: Optional network to use instead of the scenario's: a scipy
            sparse adjacency, or an undirected networkx graph with at most
            ``population.size`` nodes (a directed one is refused); consumers
            take the graph's nodes in :func:`sim.network.node_order` and
            ``consumers["label"]`` holds each consumer's node.
        progress: Optional callback ``progress(week_done, weeks)``.

    Returns:
        The run's tables, KPIs and provenance.

    Example:
        >>> import sim
        >>> res = sim.run(sim.load_scenario("scenarios/baseline.toml"))
        >>> res.summary["retention"]  # doctest: +SKIP
    """
    model = TrustModel(scenario, rng=scenario.run.seed, network=network)
    model.setup()
    weeks = scenario.run.weeks
    while model.running:
        model.step()
        if progress is not None:
            progress(model.week, weeks)
    weekly = model.datacollector.get_model_vars_dataframe()
    meta = {
        "scenario": scenario.name,
        "seed": scenario.run.seed,
        "replicate": scenario.run.replicate,
        "version": package_version(),
        "market": model.market.spec.name,
    }
    weekly.attrs.update(meta)
    consumers = model.population.to_frame()
    consumers["degree"] = model.degree.astype(np.int32)
    n = model.population.n
    labels = node_labels(network, n)
    if network is None and scenario.network.kind == "edgelist":
        labels = edgelist_labels(scenario.network.path, n)
    if labels is not None:
        consumers.insert(1, "label", label_column(labels))
    consumers.attrs.update(meta)
    return RunResult(
        weekly=weekly,
        consumers=consumers,
        survey=survey_table(model),
        summary=summarise(weekly, model.population.n),
        network=model.adjacency,
        scenario=scenario,
        meta=meta,
    )
