"""Analysis of a finished sweep folder: tables and figures in ``<folder>/analysis``.

:func:`load_sweep` reads a sweep folder; :func:`analyze_sweep` computes the
per-point table and the sensitivity indices (:mod:`sim.sweep.analysis`),
writes them and draws the figures (:mod:`sim.sweep.figures`).

Layer: application (reads and writes sweep folders); in sim.sweep: analyze | execute.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.files import write_json, write_with
from sim.plotting import save_figure
from sim.sweep import store
from sim.sweep.analysis import (
    INDEX_METHODS,
    Analysis,
    Sweep,
    morris_indices,
    point_summary,
    rbd_fast_indices,
    select_kpis,
    sobol_indices,
)
from sim.sweep.errors import SweepError
from sim.sweep.figures import figures_of
from sim.sweep.verdicts import band_of, best_points

ANALYSIS = "analysis"
"""Sub-folder of a sweep folder that the analysis writes."""


def load_sweep(out: str | Path) -> Sweep:
    """Load a sweep folder written by :func:`sim.sweep.run_sweep`.

    Args:
        out: The folder.

    Returns:
        The loaded sweep.

    Raises:
        SweepError: If it is not a sweep folder or has no results yet.
    """
    p = Path(out)
    if not p.is_dir():
        raise SweepError(f"sweep folder not found: {p}")
    spec = store.load_spec_from_folder(p)
    manifest = store.reconcile(p) or {}
    res_path = p / f"{store.RESULTS}.parquet"
    if manifest.get("status") == "running" and store.owner_alive(manifest):
        raise SweepError(f"{p} is still running (process {manifest['pid']}); "
                         "analyse it when it is done")
    if not res_path.is_file():
        why = "it was interrupted" if manifest.get("status") == "interrupted" \
            else "the sweep did not finish"
        raise SweepError(
            f"{p} has no {res_path.name} yet ({why}); "
            "finish it with `trustsim sweep SPEC --out DIR --resume`"
        )
    fail_path = p / store.FAILURES_TABLE
    rebuilt = "--resume rebuilds it from the run files"
    failures = store.read_table(fail_path, rebuilt) if fail_path.is_file() else pd.DataFrame()
    return Sweep(
        out=p,
        spec=spec,
        design=store.read_table(p / store.DESIGN, "--resume rebuilds it from the sweep file"),
        results=store.read_table(res_path, rebuilt),
        failures=failures,
        manifest=manifest,
    )


def analyze_sweep(
    out: str | Path,
    kpis: Sequence[str] | None = None,
    figures: bool = True,
    formats: Sequence[str] = ("png", "svg"),
    practical_difference: float | None = None,
    practical_difference_pp: float | None = None,
) -> Analysis:
    """Analyse a finished sweep and write tables and figures to ``<out>/analysis``.

    Args:
        out: The sweep folder.
        kpis: KPIs (default: the spec's).
        figures: Also draw figures (see :mod:`sim.sweep.figures`).
        formats: Figure file formats.
        practical_difference: The smallest difference that counts, as a share of
            the KPI (default: the sweep's ``[analysis]`` table, else 0.01); smaller
            differences are ties.
        practical_difference_pp: The same for share KPIs, in percentage points
            (default: the sweep's, else 0.5).

    Returns:
        The analysis.

    Raises:
        SweepError: If the folder is not a finished sweep or indices cannot be estimated.
    """
    sweep = load_sweep(out)
    names = select_kpis(sweep, kpis)
    folder = sweep.out / ANALYSIS
    folder.mkdir(exist_ok=True)
    points = point_summary(sweep, names)
    files = [write_with(folder / "points.csv", lambda p: points.to_csv(p, index=False))]
    indices = None
    method = ""
    kind = sweep.spec.design.kind
    if kind in INDEX_METHODS:
        indices = INDEX_METHODS[kind](sweep, names)
        method = "rbd_fast" if kind == "lhs" else kind
        files.append(write_with(folder / f"{method}.csv",
                                lambda p: indices.to_csv(p, index=False)))
    meta = {"kpis": names, "method": method, **store.provenance(sweep.spec)}
    files.append(write_json(folder / "analysis.json", meta))
    band = band_of(sweep.spec, practical_difference, practical_difference_pp)
    result = Analysis(sweep, points, indices, method, files, band)
    if figures:
        for stem, fig in figures_of(result):
            files += save_figure(fig, folder / "figures", stem, formats)
    return result


__all__ = [
    "ANALYSIS",
    "Analysis",
    "Sweep",
    "analyze_sweep",
    "best_points",
    "load_sweep",
    "morris_indices",
    "point_summary",
    "rbd_fast_indices",
    "sobol_indices",
]
