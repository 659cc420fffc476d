"""Results folders: writing a run's folder, reading it back, rebuilding its report.

A results folder holds one run::

    weekly.parquet, weekly.csv          one row per week
    consumers.parquet, consumers.csv    one row per consumer (final state)
    survey.csv                          survey targets beside fitted and simulated shares
    summary.json                        final KPIs, survey fit and provenance
    scenario.toml                       the resolved scenario: ``sim.run`` of it reproduces the run
    figures/*.png, figures/*.svg        see :mod:`sim.report`

Every file is written atomically, and an existing folder is only replaced with
``force``, as a whole: the new folder is written beside it and swapped in when
complete (see :func:`sim.files.build_folder`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from sim.config import Scenario
from sim.errors import ScenarioError
from sim.files import build_folder, write_csv, write_json, write_text, write_with
from sim.report import FORMATS, rebuild_network, write_figures
from sim.results import RunResult, package_version, summarise
from sim.scenario_io import dumps_scenario, load_scenario

WEEKLY = "weekly"
CONSUMERS = "consumers"
SURVEY = "survey.csv"
SUMMARY = "summary.json"
SCENARIO = "scenario.toml"
FIGURES = "figures"


def write_table(folder: Path, stem: str, df: pd.DataFrame) -> list[Path]:
    """Write a table as ``<stem>.parquet`` and ``<stem>.csv``, atomically.

    Args:
        folder: The results folder.
        stem: File name without suffix.
        df: The table (``df.attrs`` is kept in the Parquet metadata).

    Returns:
        The two written paths.
    """
    pq = write_with(folder / f"{stem}.parquet", lambda p: df.to_parquet(p, index=False))
    csv = write_with(folder / f"{stem}.csv", lambda p: write_csv(df, p))
    return [pq, csv]


def summary_document(res: RunResult) -> dict[str, Any]:
    """The content of ``summary.json`` for a run.

    Args:
        res: The run.

    Returns:
        ``{"summary", "survey", "meta"}``: final KPIs, survey fit rows and provenance.
    """
    meta = {"version": package_version(), **res.meta}
    meta.setdefault("scenario", res.scenario.name)
    meta.setdefault("seed", res.scenario.run.seed)
    meta.setdefault("replicate", res.scenario.run.replicate)
    return {
        "summary": dict(res.summary),
        "survey": res.survey.to_dict(orient="records"),
        "meta": meta,
    }


def write_run(
    res: RunResult,
    folder: str | Path,
    *,
    force: bool = False,
    figures: bool = True,
) -> list[Path]:
    """Write a run's results folder (tables, summary, scenario, figures).

    Args:
        res: The run.
        folder: The results folder to create.
        force: Replace an existing folder, as a whole (see :func:`build_folder`).
        figures: Also draw the figures (:func:`sim.report.write_figures`).

    Returns:
        Every file written.

    Raises:
        OutputExistsError: If the folder exists and ``force`` is false.
    """

    def build(out: Path) -> list[Path]:
        written = [write_text(out / SCENARIO, dumps_scenario(res.scenario))]
        written += write_table(out, WEEKLY, res.weekly)
        written += write_table(out, CONSUMERS, res.consumers)
        written.append(write_with(out / SURVEY, lambda p: res.survey.to_csv(p, index=False)))
        written.append(write_json(out / SUMMARY, summary_document(res)))
        if figures:
            written += write_figures(res, out / FIGURES)
        return written

    return build_folder(folder, build, force=force, marker=SCENARIO)


@dataclass
class SavedRun:
    """A run read back from its results folder.

    Attributes:
        folder: The results folder.
        scenario: The resolved scenario (from ``scenario.toml``).
        weekly: The weekly table.
        consumers: The per-consumer table.
        survey: The survey-fit table.
        document: The content of ``summary.json`` (empty if missing).
    """

    folder: Path
    scenario: Scenario
    weekly: pd.DataFrame
    consumers: pd.DataFrame
    survey: pd.DataFrame
    document: dict[str, Any]


def _read_table(folder: Path, stem: str) -> pd.DataFrame:
    pq, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"
    return pd.read_parquet(pq) if pq.is_file() else pd.read_csv(csv)


def missing_files(folder: Path) -> list[str]:
    """The files a results folder needs that ``folder`` lacks.

    Needed: ``scenario.toml``, ``survey.csv``, and each table as Parquet or
    CSV (``summary.json`` and the figures are rebuilt, so they may be missing).

    Args:
        folder: The results folder.

    Returns:
        Names of the missing files (``weekly.parquet or weekly.csv`` for a table).
    """
    missing = [name for name in (SCENARIO, SURVEY) if not (folder / name).is_file()]
    for stem in (WEEKLY, CONSUMERS):
        if not any((folder / f"{stem}{ext}").is_file() for ext in (".parquet", ".csv")):
            missing.append(f"{stem}.parquet or {stem}.csv")
    return missing


def read_run(folder: str | Path) -> SavedRun:
    """Read a results folder written by :func:`write_run`.

    Args:
        folder: The results folder.

    Returns:
        The saved run.

    Raises:
        FileNotFoundError: If the folder or one of its files is missing (the
            message lists every missing file).
        ScenarioError: If its ``scenario.toml`` is not a valid scenario.
    """
    f = Path(folder)
    if not f.is_dir():
        raise FileNotFoundError(f"results folder not found: {f}")
    missing = missing_files(f)
    if missing:
        raise FileNotFoundError(
            f"{f} is not a results folder: missing {', '.join(missing)} "
            "(run the scenario again with --force to rebuild it)"
        )
    scenario = load_scenario(f / SCENARIO)
    weekly = _read_table(f, WEEKLY)
    consumers = _read_table(f, CONSUMERS)
    survey = pd.read_csv(f / SURVEY)
    doc: dict[str, Any] = {}
    if (f / SUMMARY).is_file():
        doc = json.loads((f / SUMMARY).read_text(encoding="utf-8"))
    return SavedRun(f, scenario, weekly, consumers, survey, doc)


def rebuild_report(folder: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Rebuild the figures and ``summary.json`` of a results folder from its tables.

    The network is rebuilt from ``scenario.toml`` (the same seed gives the same
    graph); if that fails (e.g. a moved edge-list file) the network figure is
    skipped.

    Args:
        folder: A folder written by ``trustsim run`` / :func:`write_run`.
        formats: Figure formats.

    Returns:
        The written paths.

    Raises:
        FileNotFoundError: If the folder is not a results folder.
        ScenarioError: If its ``scenario.toml`` is invalid.
    """
    saved = read_run(folder)
    try:
        network = rebuild_network(saved.scenario)
    except (ScenarioError, OSError):
        network = None
    doc = dict(saved.document)
    doc["summary"] = summarise(saved.weekly, len(saved.consumers))
    doc["survey"] = saved.survey.to_dict(orient="records")
    doc.setdefault("meta", dict(saved.weekly.attrs))
    written = [write_json(saved.folder / SUMMARY, doc)]
    res = SimpleNamespace(weekly=saved.weekly, consumers=saved.consumers,
                          scenario=saved.scenario, network=network)
    written += write_figures(res, saved.folder / FIGURES, formats)
    return written
