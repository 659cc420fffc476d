"""The calibration folder: its study file while it runs, and every output when done.

``DIR`` holds, while the calibration runs, ``calibration.json`` (what was
started: spec, data and method fingerprints; the marker of a calibration
folder) and ``study.sqlite3`` (Optuna's storage: every finished trial, so
``--resume`` continues). When it is done it also holds:

=======================  ==============================================================
``best.toml``            the best parameters as a scenario that runs as is
``posterior.parquet``    one row per draw: fitted keys plus ``weight`` (Optuna: the
                         near-best trials, a point estimate's neighbourhood, not a
                         posterior; ABC-SMC: the posterior sample)
``trace.csv``            Optuna: every finished trial; ABC-SMC: one row per generation
``identifiability.csv``  per parameter: prior and fitted 90% intervals, how much the
                         data narrowed it, a flag for what they cannot pin down
``predictive.csv``       the posterior-predictive band (week, series, q05, q50, q95)
``observed.csv``         the data as read (the brand's counts)
``scenario.toml``        the brand's history as simulated; ``spec.toml``: the spec
``summary.md``           the result in plain words; ``summary.json`` the numbers
``figures/``             trace, posterior and posterior-predictive figures
=======================  ==============================================================

Layer: calibration application (writes folders; over methods and objective).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibrate.spec import CalibrationSpec
from sim.errors import ScenarioError
from sim.files import (
    check_output_dir,
    dumps_json,
    read_toml,
    write_json,
    write_text,
    write_with,
)

MARKER = "calibration.json"
"""The file every calibration folder holds (``--force`` replaces only such a folder)."""

STUDY = "study.sqlite3"


def fingerprint(spec: CalibrationSpec, observed: pd.DataFrame, method: str) -> str:
    """A hash of what decides the calibration: spec, data and method (not the budget).

    The budget (``optuna.trials``, ``abc.max_generations``, ``abc.min_epsilon``)
    is left out, so a resumed calibration may be given more.

    Args:
        spec: The spec.
        observed: The data table.
        method: ``optuna`` or ``abc``.

    Returns:
        A hex digest; ``--resume`` refuses a folder started with another.
    """
    h = hashlib.sha256()
    source = {k: v for k, v in spec.source.items() if k not in ("optuna", "abc")}
    h.update(dumps_json(source, indent=None).encode())
    h.update(dumps_json([spec.optuna.sampler, spec.abc.population_size], indent=None).encode())
    h.update(dumps_json(spec.scenario.to_dict(), indent=None).encode())
    h.update(observed.to_csv(index=False).encode())
    h.update(f"{spec.customers_at_start}|{method}".encode())
    return h.hexdigest()


def prepare(out: str | Path, *, start: Mapping[str, Any], resume: bool, force: bool) -> Path:
    """Create (or reopen, to resume) a calibration folder before any work.

    Args:
        out: The folder.
        start: What is being started (with its ``fingerprint``).
        resume: Continue the calibration in ``out`` (same spec, data and method).
        force: Start over, deleting an earlier calibration folder at ``out``.

    Returns:
        The folder.

    Raises:
        OutputExistsError: If it exists and neither ``resume`` nor ``force`` is given.
        ScenarioError: To resume a folder that is not a calibration of the same inputs.
    """
    p = Path(out)
    if resume:
        if not (p / MARKER).is_file():
            raise ScenarioError.one("--resume", f"{p} holds no calibration to resume (no "
                                    f"{MARKER}); drop --resume to start one")
        import json

        old = json.loads((p / MARKER).read_text(encoding="utf-8"))
        if old.get("fingerprint") != start["fingerprint"]:
            raise ScenarioError.one("--resume", f"{p} was started with another spec, data "
                                    "or method; resume with the same ones, or start over "
                                    "with --force")
        return p
    check_output_dir(p, force=force, marker=MARKER)
    if force and p.exists():
        shutil.rmtree(p)
    p.mkdir(parents=True, exist_ok=True)
    write_json(p / MARKER, dict(start))
    return p


def write_outputs(
    out: Path,
    *,
    spec: CalibrationSpec,
    best_toml: str,
    posterior: pd.DataFrame,
    trace: pd.DataFrame,
    identifiability: pd.DataFrame,
    band: pd.DataFrame,
    observed: pd.DataFrame,
    summary_md: str,
    summary: Mapping[str, Any],
    draw: Callable[[Path], list[Path]] | None = None,
) -> list[Path]:
    """Write the finished calibration's files into ``out`` (each atomically).

    Args:
        out: The calibration folder.
        spec: The spec (its source is copied as ``spec.toml``).
        best_toml: The best scenario as TOML text.
        posterior: Fitted keys plus ``weight``.
        trace: Trials or generations.
        identifiability: Per-parameter narrowing table.
        band: Posterior-predictive band.
        observed: The data.
        summary_md: The summary in words.
        summary: The summary's numbers.
        draw: Draws the figures into a folder and returns their paths (None: no figures).

    Returns:
        The files written.
    """
    import tomli_w

    written = [
        write_text(out / "best.toml", best_toml),
        write_with(out / "posterior.parquet", lambda p: posterior.to_parquet(p, index=False)),
        write_with(out / "trace.csv", lambda p: trace.to_csv(p, index=False)),
        write_with(out / "identifiability.csv",
                   lambda p: identifiability.to_csv(p, index=False)),
        write_with(out / "predictive.csv", lambda p: band.to_csv(p, index=False)),
        write_with(out / "observed.csv", lambda p: observed.to_csv(p, index=False)),
        write_text(out / "scenario.toml", tomli_w.dumps(spec.scenario.to_dict())),
        write_text(out / "spec.toml", tomli_w.dumps(spec.source)),
        write_text(out / "summary.md", summary_md),
        write_json(out / "summary.json", dict(summary)),
    ]
    if draw is not None:
        (out / "figures").mkdir(exist_ok=True)
        written += draw(out / "figures")
    return written


def read_spec_copy(out: str | Path) -> dict[str, Any]:
    """The spec a calibration folder was written with (its ``spec.toml``)."""
    return read_toml(Path(out) / "spec.toml")
