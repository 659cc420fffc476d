"""What the dashboard exports: the settings as a scenario file, its command, the weekly table."""

from __future__ import annotations

import re

import pandas as pd

from sim.config import Scenario
from sim.scenario_io import dumps_scenario


def scenario_filename(scenario: Scenario) -> str:
    """A file name for the scenario: its name, made safe, with ``.toml``.

    Args:
        scenario: The scenario.

    Returns:
        Such as ``baseline.toml``.
    """
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario.name).strip("._") or "scenario"
    return f"{stem}.toml"


def scenario_toml(scenario: Scenario) -> str:
    """The current settings as scenario TOML (the project's own dump; loads back equal).

    Args:
        scenario: The scenario.

    Returns:
        TOML text.
    """
    return dumps_scenario(scenario)


def run_command(scenario: Scenario) -> str:
    """The command that reproduces the dashboard's run from the exported file.

    The file holds every setting, the seed and the replicate included, so
    ``trustsim run`` on it simulates the same weeks the dashboard showed.

    Args:
        scenario: The scenario.

    Returns:
        A shell command.
    """
    return f"trustsim run {scenario_filename(scenario)}"


def weekly_csv(weekly: pd.DataFrame) -> str:
    """The weekly table as CSV text.

    Args:
        weekly: The weekly table.

    Returns:
        CSV with a header row, one row per week.
    """
    return weekly.to_csv(index=False)
