"""Comparison folders: the tables, both scenarios and the figure of a comparison."""

from __future__ import annotations

from pathlib import Path

from sim.compare import Comparison
from sim.compare_figure import fig_compare
from sim.files import build_folder, write_json, write_text, write_with
from sim.plotting import save_figure
from sim.scenario_io import dumps_scenario

MARKER = "comparison.json"
"""The file every comparison folder holds (``--force`` replaces only such a folder)."""


def write_comparison(
    cmp: Comparison, folder: str | Path, *, force: bool = False, figures: bool = True
) -> list[Path]:
    """Write a comparison folder: tables, both scenarios, a JSON summary and the figure.

    Files: ``comparison.csv`` (one row per metric), ``per_replicate.csv``,
    ``weekly.csv``, ``comparison.json``, ``scenario_a.toml``, ``scenario_b.toml``,
    with a posterior ``draws.csv`` (each replicate's draw), and
    ``figures/compare.png`` / ``.svg``; each written atomically.

    Args:
        cmp: The comparison.
        folder: The folder to create.
        force: Allow an existing folder.
        figures: Also draw the comparison figure.

    Returns:
        Every file written.

    Raises:
        OutputExistsError: If the folder exists and ``force`` is false.
    """
    return build_folder(folder, lambda out: _build(cmp, out, figures), force=force,
                        marker=MARKER)


def _build(cmp: Comparison, out: Path, figures: bool) -> list[Path]:
    """Write a comparison's files into ``out``."""
    written = [
        write_text(out / "scenario_a.toml", dumps_scenario(cmp.a)),
        write_text(out / "scenario_b.toml", dumps_scenario(cmp.b)),
    ]
    for name, df in (("comparison", cmp.table), ("per_replicate", cmp.per_replicate),
                     ("weekly", cmp.weekly)):
        written.append(write_with(out / f"{name}.csv", lambda p, d=df: d.to_csv(p, index=False)))
    written.append(write_json(out / "comparison.json", {
        "a": cmp.labels[0],
        "b": cmp.labels[1],
        "replicates": cmp.replicates,
        "confidence": cmp.confidence,
        "difference": "B - A",
        "metrics": cmp.table.to_dict(orient="records"),
        "incident_cost": cmp.incident_cost,
        "differences": [{"key": k, "a": a, "b": b} for k, a, b in cmp.differences],
        "posterior": cmp.posterior.path if cmp.posterior is not None else None,
        "notes": cmp.notes,
    }))
    if cmp.draws is not None:
        written.append(write_with(out / "draws.csv",
                                  lambda p: cmp.draws.to_csv(p, index=False)))
    if figures:
        written += save_figure(fig_compare(cmp), out / "figures", "compare")
    return written
