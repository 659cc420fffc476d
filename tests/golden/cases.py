"""The golden cases: built-in scenarios at small sizes, in one list.

``regenerate.py`` and ``tests/test_golden.py`` both read this list.

Together the cases exercise every mechanism: word of mouth and the hazard rule
with contagion (all cases but ``threshold_rule``), a breach spreading through
the network (``data_breach``), the adaptive escalation policy
(``adaptive_backoff``), specific opt-in consent on a ramp (``consent_first``)
and the Watts threshold churn rule (``threshold_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sim

GOLDEN_DIR = Path(__file__).resolve().parent
"""Where the stored tables live (this folder)."""

SMALL = {"population.size": 2000, "run.seed": 9001}
"""Overrides every case shares: a small population and a fixed seed."""


@dataclass(frozen=True)
class Case:
    """One golden run: a built-in scenario plus dotted-key overrides.

    Attributes:
        name: File stem of the stored table (``<name>.csv``).
        scenario: Built-in scenario name (a file in ``scenarios/``).
        overrides: Dotted-key overrides on top of :data:`SMALL`.
    """

    name: str
    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def all_overrides(self) -> dict[str, Any]:
        """:data:`SMALL` with this case's own overrides on top."""
        return {**SMALL, **self.overrides}

    @property
    def csv_path(self) -> Path:
        """The stored weekly table."""
        return GOLDEN_DIR / f"{self.name}.csv"

    @property
    def sidecar_path(self) -> Path:
        """The stored dtypes, attributes and summary."""
        return GOLDEN_DIR / f"{self.name}.json"

    def describe(self) -> dict[str, Any]:
        """What this case runs, as stored in its sidecar."""
        return {"name": self.name, "scenario": self.scenario, "overrides": self.all_overrides}

    def run(self) -> sim.RunResult:
        """Run the case's scenario afresh."""
        return sim.run(sim.load_scenario(self.scenario, overrides=self.all_overrides))


CASES: tuple[Case, ...] = (
    Case("baseline", "baseline", {"run.weeks": 52}),
    Case("data_breach", "data_breach", {"run.weeks": 40}),
    Case("adaptive_backoff", "adaptive_backoff", {"run.weeks": 52}),
    Case("consent_first", "consent_first", {"run.weeks": 52}),
    Case(
        "threshold_rule",
        "baseline",
        {
            "run.weeks": 30,
            "churn.rule": "threshold",
            "churn.initial_churned": 40,
            "churn.social_threshold_sd": 0.05,
            "network.kind": "erdos_renyi",
            "network.mean_degree": 4,
        },
    ),
)
"""Every golden case, in the order they are generated and tested."""
