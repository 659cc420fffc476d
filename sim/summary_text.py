"""A run's results as plain text: what ``trustsim run`` prints."""

from __future__ import annotations

from typing import Any

from sim import kpis
from sim.config import Scenario


def percent(x: float) -> str:
    """A share as a percentage with one decimal: ``0.8312`` -> ``83.1%``."""
    return f"{100 * x:.1f}%"


def format_summary(summary: dict[str, Any], scenario: Scenario | None = None) -> str:
    """A short plain-text table of a run's final KPIs.

    Args:
        summary: :attr:`sim.RunResult.summary`.
        scenario: The run's scenario (for the header line).

    Returns:
        The table.
    """
    s = summary
    lines = []
    if scenario is not None:
        lines.append(
            f"{scenario.name}: {s['consumers']:,} consumers, {s['weeks']} weeks, "
            f"market {scenario.population.market}, seed {scenario.run.seed}, "
            f"replicate {scenario.run.replicate}"
        )
    f = {k: kpis.format_value(k, v) for k, v in s.items() if k in kpis.KPIS}
    rows = [
        ("customers at the end", f["customers"], f"retention {f['retention']}"),
        ("churned", f["churned_cumulative"], f"{f['churn_rate']} of initial customers"),
        ("revenue", f["revenue_cumulative"], f"{f['purchases']} purchases"),
        ("mean trust", f["mean_trust"], f"customers {f['mean_trust_customers']}"),
        ("crossed the line", f["crossed_share"], "of exposures"),
        ("complaints", f["complaints"], f"recommendations {f['recommendations']}"),
        ("incident awareness", f["incident_aware"], "of consumers"),
        ("opted in", f["opt_ins"], "customers with specific consent"),
        ("final level", f["final_level"], ""),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines += [f"  {a.ljust(w0)}  {b.rjust(w1)}  {c}".rstrip() for a, b, c in rows]
    return "\n".join(lines)


def format_survey(survey: Any) -> str:
    """The survey-fit table (target, fitted, simulated) as plain text.

    Args:
        survey: :attr:`sim.RunResult.survey`.

    Returns:
        The table.
    """
    market = survey.attrs.get("market", "")
    lines = [f"survey fit{f' ({market})' if market else ''}:"]
    w = max(len(str(q)) for q in survey["question"])
    lines.append(f"  {'question'.ljust(w)}  target  fitted  simulated")
    for _, r in survey.iterrows():
        lines.append(
            f"  {str(r['question']).ljust(w)}  {percent(r['target']).rjust(6)}  "
            f"{percent(r['fitted']).rjust(6)}  {percent(r['simulated']).rjust(9)}"
        )
    return "\n".join(lines)
