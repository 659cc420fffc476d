"""Shared fixtures: small scenarios built from the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

ONLY_CHURN_CONTAGION = {
    "perception.enabled": False,
    "trust.enabled": False,
    "wom.enabled": False,
    "incidents.enabled": False,
    "purchase.enabled": False,
}
"""Overrides that switch off every mechanism but churn."""


def small(**overrides: object) -> sim.Scenario:
    """The baseline scenario at a small size, with dotted-key overrides."""
    base = {"population.size": 2000, "run.weeks": 20}
    base.update({k.replace("__", "."): v for k, v in overrides.items()})
    return sim.load_scenario(SCENARIOS / "baseline.toml", overrides=base)


@pytest.fixture
def baseline_small() -> sim.Scenario:
    """Baseline at 2,000 consumers and 20 weeks."""
    return small()
