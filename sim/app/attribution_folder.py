"""Attribution folders: the table, every run, the scenario, a JSON summary and the figure."""

from __future__ import annotations

from pathlib import Path

from sim.attribution import Attribution
from sim.attribution_figure import fig_attribution
from sim.attribution_text import OFF
from sim.files import build_folder, write_csv, write_json, write_text, write_with
from sim.plotting import save_figure
from sim.scenario_io import dumps_scenario
from sim.switches import MECHANISMS

MARKER = "attribution.json"
"""The file every attribution folder holds (``--force`` replaces only such a folder)."""


def write_attribution(
    att: Attribution, folder: str | Path, *, force: bool = False, figures: bool = True
) -> list[Path]:
    """Write an attribution folder.

    Files: ``attribution.csv`` (one row per mechanism, then background and
    total), ``runs.csv`` (one row per run: which mechanisms were on, the
    outcomes), ``attribution.json`` (the table, the mechanisms and what
    switching each off means), ``attribution.txt`` (the table as printed),
    ``scenario.toml`` and ``figures/attribution.png`` / ``.svg``; each written
    atomically, the folder as a whole.

    Args:
        att: The attribution.
        folder: The folder to create.
        force: Allow replacing an existing attribution folder.
        figures: Also draw the figure.

    Returns:
        Every file written.

    Raises:
        OutputExistsError: If the folder exists and ``force`` is false.
    """
    return build_folder(folder, lambda out: _build(att, out, figures), force=force,
                        marker=MARKER)


def _build(att: Attribution, out: Path, figures: bool) -> list[Path]:
    written = [
        write_text(out / "scenario.toml", dumps_scenario(att.scenario)),
        write_text(out / "attribution.txt", att.format_table() + "\n"),
        write_with(out / "attribution.csv", lambda p: write_csv(att.table, p)),
        write_with(out / "runs.csv", lambda p: write_csv(att.runs, p)),
        write_json(out / MARKER, {
            "scenario": att.scenario.name,
            "seed": att.scenario.run.seed,
            "consumers": att.scenario.population.size,
            "replicates": att.replicates,
            "confidence": att.confidence,
            "method": "Shapley values over the mechanisms, exact (every subset run), "
                      "common random numbers",
            "mechanisms": {n: {"label": MECHANISMS[n].label, "switched_off": MECHANISMS[n].off,
                               "status": "on" if n in att.mechanisms else OFF}
                           for n in (*att.mechanisms, *att.inactive)},
            "table": att.table.to_dict(orient="records"),
        }),
    ]
    if figures:
        written += save_figure(fig_attribution(att), out / "figures", "attribution")
    return written
