"""The one registry of final KPIs: names, labels, units, formats, direction.

Every table or figure that shows a run's final KPIs (``sim.RunResult.summary``,
``trustsim run``'s summary, ``trustsim compare``, sweep outcomes, analysis and
figures) reads names, labels and formats from :data:`KPIS`.

Example:
    >>> from sim import kpis
    >>> kpis.get("retention").label
    'Retention'
    >>> kpis.format_value("retention", 0.8312)
    '83.1%'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.errors import ScenarioError
from sim.hints import hint_or_allowed

Format = Literal["percent", "money", "count", "trust", "text"]


@dataclass(frozen=True)
class KPI:
    """One final KPI of a run.

    Attributes:
        name: Summary and sweep column, e.g. ``"retention"``.
        label: Human label, e.g. ``"Retention"``.
        short: Short label for tables and comparisons.
        unit: ``"share"``, ``"DKK"``, ``"trust"``, ``"count"`` or ``"level"``.
        fmt: How values are written: ``"percent"``, ``"money"``, ``"count"``,
            ``"trust"`` or ``"text"``.
        better: Which direction is better for the brand: ``"higher"``,
            ``"lower"`` or ``"none"``.
        description: What the number means (one line).
        axis: Name on a figure axis (lower case).
        axis_unit: Unit text on a figure axis (``""`` for none).
        whole_run: Figure axes mention the run length ("over N weeks").
    """

    name: str
    label: str
    short: str
    unit: str
    fmt: Format
    better: Literal["higher", "lower", "none"]
    description: str
    axis: str = ""
    axis_unit: str = ""
    whole_run: bool = False

    @property
    def numeric(self) -> bool:
        """Whether the KPI is a number (usable as a sweep outcome)."""
        return self.fmt != "text"


def _k(name: str, label: str, short: str, unit: str, fmt: Format, better: str,
       description: str, axis: str, axis_unit: str = "", whole_run: bool = False) -> KPI:
    return KPI(name, label, short, unit, fmt, better, description,  # type: ignore[arg-type]
               axis, axis_unit, whole_run)


KPIS: dict[str, KPI] = {k.name: k for k in (
    _k("weeks", "Weeks", "weeks", "count", "count", "none",
       "Number of weeks simulated", "weeks"),
    _k("consumers", "Consumers", "consumers", "count", "count", "none",
       "Population size", "consumers"),
    _k("customers", "Customers", "customers", "count", "count", "higher",
       "Customers at the end", "customers", "final week"),
    _k("retention", "Retention", "retention", "share", "percent", "higher",
       "Retention (share of initial customers kept)",
       "retention", "share of initial customers"),
    _k("churned_cumulative", "Churned", "churned", "count", "count", "lower",
       "Customers lost over the run", "churned cumulative"),
    _k("churn_rate", "Churn", "churn", "share", "percent", "lower",
       "Churn over the run (share of initial customers)",
       "churn", "share of initial customers lost"),
    _k("revenue_cumulative", "Revenue", "revenue", "DKK", "money", "higher",
       "Revenue over the run", "cumulative revenue", "currency units", whole_run=True),
    _k("purchases", "Purchases", "purchases", "count", "count", "higher",
       "Purchases over the run", "purchases", "whole run", whole_run=True),
    _k("mean_trust", "Mean trust", "trust (all)", "trust", "trust", "higher",
       "Mean trust at the end (all consumers)", "mean trust", "final week, 0-1"),
    _k("mean_trust_customers", "Mean trust of customers", "trust (customers)", "trust",
       "trust", "higher", "Mean trust at the end (remaining customers)",
       "mean trust of customers", "final week, 0-1"),
    _k("crossed_share", "Crossed the line", "crossed the line", "share", "percent", "lower",
       "Share of exposures that crossed the line",
       "boundary-crossing exposures", "share of exposures"),
    _k("complaints", "Complaints", "complaints", "count", "count", "lower",
       "Complaints to friends over the run", "complaints", "consumers, whole run",
       whole_run=True),
    _k("recommendations", "Recommendations", "recommendations", "count", "count", "higher",
       "Recommendations to friends over the run", "recommendations"),
    _k("incident_aware", "Incident awareness", "incident aware", "share", "percent", "lower",
       "Share of consumers aware of an incident at the end",
       "incident aware"),
    _k("opt_ins", "Opted in", "opt-ins", "count", "count", "higher",
       "Customers with specific consent at the end", "opt-ins", "customers, final week"),
    _k("final_level", "Final level", "final level", "level", "text", "none",
       "Escalation ladder level at the end", "final level"),
)}
"""Every final KPI, in the order :func:`sim.results.summarise` returns them."""


class UnknownKPIError(ScenarioError, KeyError):
    """A KPI name that is not in :data:`KPIS` (both a ScenarioError and a KeyError)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return ScenarioError.__str__(self)


def get(name: str) -> KPI:
    """The KPI called ``name``.

    Args:
        name: A key of :data:`KPIS`.

    Returns:
        Its registry entry.

    Raises:
        UnknownKPIError: For an unknown name, with a "did you mean" hint.
    """
    try:
        return KPIS[name]
    except KeyError:
        err = ScenarioError.one("kpis", f"unknown KPI; {hint_or_allowed(name, KPIS)}", name)
        raise UnknownKPIError(err.problems) from None


def numeric() -> list[str]:
    """Names of the numeric KPIs (usable as sweep outcomes), in registry order."""
    return [k.name for k in KPIS.values() if k.numeric]


def format_value(name: str, value: float | str) -> str:
    """A KPI value as people read it: ``83.1%``, ``1,234,567``, ``0.642``.

    Args:
        name: A key of :data:`KPIS`.
        value: The value (a share for percent KPIs, not yet times 100).

    Returns:
        The formatted text.
    """
    fmt = get(name).fmt
    if fmt == "text" or isinstance(value, str):
        return str(value)
    if fmt == "percent":
        return f"{100 * value:.1f}%"
    if fmt == "trust":
        return f"{value:.3f}"
    return f"{value:,.0f}"


_DIFF = {  # format of a difference, its scale and its unit
    "percent": ("{:+.2f}", 100.0, " pp"),
    "money": ("{:+,.0f}", 1.0, ""),
    "count": ("{:+,.1f}", 1.0, ""),
    "trust": ("{:+.3f}", 1.0, ""),
}


def format_diff(name: str, value: float, *, unit: bool = True) -> str:
    """A difference of two KPI values, signed: ``+1.25 pp``, ``-3,400``, ``+0.012``.

    A difference that rounds to zero is written ``+0`` (never ``-0``).

    Args:
        name: A key of :data:`KPIS` (a numeric one).
        value: The difference (a share difference for percent KPIs).
        unit: Append the unit (``" pp"`` for percent KPIs).

    Returns:
        The formatted text.
    """
    fmt, scale, u = _DIFF.get(get(name).fmt, ("{:+,.3f}", 1.0, ""))
    text = fmt.format(scale * value)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = "+" + text[1:]
    return text + (u if unit else "")


def diff_unit(name: str) -> str:
    """The unit written after a difference of ``name`` (``" pp"`` or ``""``)."""
    return _DIFF.get(get(name).fmt, ("", 1.0, ""))[2]


def axis_label(name: str, weeks: int | None = None, unit: bool = True) -> str:
    """Readable name of a KPI for a figure axis, with its unit.

    Args:
        name: Column name (an unknown name is shown with spaces for underscores).
        weeks: Run length, mentioned for whole-run KPIs.
        unit: Append the unit in parentheses.

    Returns:
        E.g. ``"cumulative revenue over 52 weeks (currency units)"``.
    """
    k = KPIS.get(name)
    text, u = (k.axis, k.axis_unit) if k else (name.replace("_", " "), "")
    if weeks and k is not None and k.whole_run:
        text = f"{text} over {weeks} weeks"
    return f"{text} ({u})" if unit and u else text
