"""The sweep folder: one file per finished run, and the tables assembled from them.

Layout::

    manifest.json        status, fingerprint, counts, provenance
    spec.json            the resolved sweep (base scenario included): what ran
    sweep.toml           a copy of the sweep file as given
    design.parquet       one row per design point (unit coordinates and values)
    runs/run_000012.json             a finished run: identity, seed, factors, KPIs
    runs/run_000012.weekly.parquet   its weekly table (with ``--weekly``)
    failures/run_000012.json         a run that raised: error and traceback
    results.parquet, results.csv     one row per finished run, sorted by run_id
    failures.parquet                 one row per failed run (if any)
    timings.parquet                  seconds inside each run (wall, CPU), and where it ran
    weekly.parquet                   every run's weekly table (with ``--weekly``)

Every file is written to a temporary name in its folder and moved into place
with :func:`os.replace`, so a crash leaves the old file, the new one or none.
JSON files follow the package's one JSON policy (:func:`sim.files.write_json`:
NaN and infinities are written ``null``, as in result folders).
A run record is only taken as finished if it parses, is ``ok``, and carries
the sweep's fingerprint and its run's seed; anything else is run again.

Layer: application (the sweep folder's files); in sim.sweep: store | figures.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.files import write_json, write_text, write_with
from sim.results import package_version
from sim.sweep.errors import SweepError
from sim.sweep.spec import RESERVED_COLUMNS, SweepSpec, spec_from_dict

RUNS = "runs"
FAILURES = "failures"
MANIFEST = "manifest.json"
SPEC = "spec.json"
SOURCE = "sweep.toml"
DESIGN = "design.parquet"
RESULTS = "results"
FAILURES_TABLE = "failures.parquet"
TIMINGS = "timings.parquet"
WEEKLY = "weekly.parquet"


def run_path(out: str | Path, run_id: int) -> Path:
    """File of a finished run."""
    return Path(out) / RUNS / f"run_{run_id:06d}.json"


def weekly_path(out: str | Path, run_id: int) -> Path:
    """Weekly table of a finished run."""
    return Path(out) / RUNS / f"run_{run_id:06d}.weekly.parquet"


def failure_path(out: str | Path, run_id: int) -> Path:
    """File of a failed run."""
    return Path(out) / FAILURES / f"run_{run_id:06d}.json"


def now() -> str:
    """Current UTC time, ISO format, seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_record(out: str | Path, record: Mapping[str, Any], weekly: pd.DataFrame | None) -> None:
    """Save one finished or failed run, atomically.

    The weekly table (if any) is written before the record, so a record's
    presence implies its weekly table is complete.

    Args:
        out: The sweep folder.
        record: The run record (``status`` is ``"ok"`` or ``"failed"``).
        weekly: The run's weekly table, or None.
    """
    rid = int(record["run_id"])
    if record["status"] == "ok":
        if weekly is not None:
            write_with(weekly_path(out, rid), lambda p: weekly.to_parquet(p, index=False))
        write_json(run_path(out, rid), dict(record))
        with contextlib.suppress(FileNotFoundError):
            failure_path(out, rid).unlink()
    else:
        write_json(failure_path(out, rid), dict(record))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


RESUME_HINT = ("`trustsim sweep SPEC --out {out} --resume` with the sweep file and --set "
               "options it was started with (a copy of the file is {out}/sweep.toml)")


def _damaged(path: Path, exc: BaseException | None, how: str) -> SweepError:
    """The error for a damaged file: which file, why, what ``--resume`` does (``how``)."""
    why = f" ({type(exc).__name__}: {str(exc)[:120]})" if exc is not None else ""
    hint = RESUME_HINT.format(out=path.parent)
    return SweepError(f"{path} is damaged{why}; {how}: {hint}")


def read_table(path: Path, how: str) -> pd.DataFrame:
    """Read a parquet table of a sweep folder; a damaged one is a clear error.

    Args:
        path: The file (it must exist).
        how: What ``--resume`` does about it, for the message.

    Returns:
        The table.

    Raises:
        SweepError: Naming the file and how to recover, if it cannot be read.
    """
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # pyarrow's errors for a truncated or foreign file
        raise _damaged(path, exc, how) from None


def readable_parquet(path: Path) -> bool:
    """Whether a parquet file exists and its footer reads (cheap: the data is not read)."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except Exception:
        return False
    return True


def _valid(rec: dict[str, Any] | None, fingerprint: str, seeds: Mapping[int, int]) -> bool:
    if rec is None:
        return False
    rid = rec.get("run_id")
    return (
        isinstance(rid, int)
        and rec.get("fingerprint") == fingerprint
        and rid in seeds
        and rec.get("seed") == seeds[rid]
    )


def read_records(
    out: str | Path, fingerprint: str, seeds: Mapping[int, int], weekly: bool = False
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """Read the saved runs of a sweep folder.

    Args:
        out: The sweep folder.
        fingerprint: The sweep's fingerprint; records of another sweep are ignored.
        seeds: Expected seed per run id; records with another seed are ignored.
        weekly: Count a run as finished only if its weekly table exists too.

    Returns:
        ``(finished, failed)``: records by run id. A run that finished is not
        also listed as failed.
    """
    ok: dict[int, dict[str, Any]] = {}
    bad: dict[int, dict[str, Any]] = {}
    for path in sorted((Path(out) / RUNS).glob("run_*.json")):
        rec = _read_json(path)
        if _valid(rec, fingerprint, seeds) and rec is not None and rec.get("status") == "ok" \
                and isinstance(rec.get("kpis"), dict):
            rid = rec["run_id"]
            if path.name == run_path(out, rid).name and (
                not weekly or readable_parquet(weekly_path(out, rid))
            ):
                ok[rid] = rec
    for path in sorted((Path(out) / FAILURES).glob("run_*.json")):
        rec = _read_json(path)
        if _valid(rec, fingerprint, seeds) and rec is not None and rec["run_id"] not in ok:
            bad[rec["run_id"]] = rec
    return ok, bad


def clean_temp(out: str | Path) -> int:
    """Remove temporary files left by an interrupted write.

    Args:
        out: The sweep folder.

    Returns:
        Number of files removed.
    """
    n = 0
    for sub in ("", RUNS, FAILURES):
        folder = Path(out) / sub
        if folder.is_dir():
            for p in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
    return n


def read_manifest(out: str | Path) -> dict[str, Any] | None:
    """The folder's manifest, or None if there is none."""
    return _read_json(Path(out) / MANIFEST)


def write_manifest(out: str | Path, **fields: Any) -> dict[str, Any]:
    """Update the manifest with ``fields`` (atomically).

    Args:
        out: The sweep folder.
        **fields: Keys to set.

    Returns:
        The new manifest.
    """
    data = read_manifest(out) or {}
    data.update(fields)
    data["updated"] = now()
    write_json(Path(out) / MANIFEST, data)
    return data


def owner() -> dict[str, Any]:
    """Manifest fields naming the process that runs the sweep (``pid``, ``host``)."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def owner_alive(manifest: Mapping[str, Any]) -> bool | None:
    """Whether the manifest's process still runs (None: unknown, e.g. another machine)."""
    pid = manifest.get("pid")
    if not isinstance(pid, int) or manifest.get("host") != socket.gethostname():
        return None
    return process_alive(pid)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a killed, unreaped zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # killed but not yet reaped by its parent
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def reconcile(out: str | Path) -> dict[str, Any] | None:
    """The manifest, with a ``running`` sweep whose process is gone marked ``interrupted``.

    A sweep whose parent was killed (``kill -9``, a crash, a power cut) never
    wrote its last status; the next look at the folder says what happened.

    Args:
        out: The sweep folder.

    Returns:
        The (updated) manifest, or None if there is none.
    """
    manifest = read_manifest(out)
    if manifest is not None and manifest.get("status") == "running" \
            and owner_alive(manifest) is False:
        manifest = write_manifest(
            out, status="interrupted",
            note=f"process {manifest['pid']} that ran it ended without finishing (killed?)",
        )
    return manifest


def prepare_folder(
    out: str | Path, spec: SweepSpec, design: pd.DataFrame, resume: bool,
    repaired: list[str] | None = None,
) -> pd.DataFrame:
    """Create or reopen a sweep folder.

    A new sweep needs a folder that does not exist or is empty. Resuming needs
    the folder of the same sweep (same fingerprint); its saved design is used.
    Resuming where there is nothing yet starts the sweep. Resuming repairs
    what the sweep file can rebuild: a damaged ``manifest.json`` (when
    ``spec.json`` shows it is the same sweep), ``spec.json`` and
    ``design.parquet`` (the design is a function of the file).

    Args:
        out: The folder.
        spec: The sweep.
        design: The freshly built design table.
        resume: Whether to continue a sweep started earlier.
        repaired: Names of the files rewritten on resume are appended here.

    Returns:
        The design to run (the saved one when resuming).

    Raises:
        SweepError: If the folder holds something else, or a different sweep.
    """
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise SweepError(f"sweep output path exists and is not a folder: {p}")
    manifest = reconcile(p) if p.is_dir() else None
    busy = p.is_dir() and any(p.iterdir())
    fixed = repaired if repaired is not None else []
    if manifest is None and resume and busy and _same_sweep(p, spec):
        manifest = _write_new_manifest(p, spec, design, status="interrupted")
        fixed.append(MANIFEST)
    if manifest is not None and resume:
        if manifest.get("status") == "running" and owner_alive(manifest) \
                and manifest.get("pid") != os.getpid():
            raise SweepError(
                f"{p} is being run by process {manifest['pid']} on this machine; wait for it "
                "to finish, or stop it (Ctrl-C) and then resume"
            )
        if manifest.get("fingerprint") != spec.fingerprint():
            raise SweepError(
                f"{p} holds a different sweep (the spec, its base scenario or the design changed "
                "since it started); choose another --out, or restore the original spec to resume"
            )
        clean_temp(p)
        (p / RUNS).mkdir(exist_ok=True)
        (p / FAILURES).mkdir(exist_ok=True)
        if not _same_sweep(p, spec):
            write_json(p / SPEC, spec.to_dict())
            fixed.append(SPEC)
        try:
            return pd.read_parquet(p / DESIGN)
        except Exception:  # missing or damaged: the design is a function of the spec
            write_with(p / DESIGN, lambda q: design.to_parquet(q, index=False))
            fixed.append(DESIGN)
            return design
    if busy:
        what = "a sweep" if manifest is not None else "other files"
        hint = " (pass --resume to continue it)" if manifest is not None else ""
        raise SweepError(f"output folder {p} already holds {what}; choose another --out{hint}")
    p.mkdir(parents=True, exist_ok=True)
    (p / RUNS).mkdir(exist_ok=True)
    (p / FAILURES).mkdir(exist_ok=True)
    write_json(p / SPEC, spec.to_dict())
    if spec.source is not None:
        write_text(p / SOURCE, spec.source)
    write_with(p / DESIGN, lambda q: design.to_parquet(q, index=False))
    _write_new_manifest(p, spec, design, status="created")
    return design


def _same_sweep(p: Path, spec: SweepSpec) -> bool:
    """Whether the folder's ``spec.json`` reads and is ``spec``."""
    data = _read_json(p / SPEC)
    if data is None:
        return False
    try:
        return spec_from_dict(data).fingerprint() == spec.fingerprint()
    except Exception:
        return False


def _write_new_manifest(p: Path, spec: SweepSpec, design: pd.DataFrame,
                        status: str) -> dict[str, Any]:
    return write_manifest(
        p, name=spec.name, fingerprint=spec.fingerprint(), version=package_version(),
        created=now(), status=status, model=spec.model, design=spec.design.kind,
        seed=spec.seed, replicates=spec.replicates, points=len(design),
        runs=len(design) * spec.replicates, spec_file=spec.path,
    )


def load_spec_from_folder(out: str | Path) -> SweepSpec:
    """The sweep that ran in a folder (from its ``spec.json``).

    Args:
        out: The sweep folder.

    Returns:
        The spec.

    Raises:
        SweepError: If the folder is not a sweep folder.
    """
    p = Path(out)
    if not (p / SPEC).is_file() or not (p / DESIGN).is_file():
        raise SweepError(f"{p} is not a sweep folder (no {SPEC} / {DESIGN}); "
                         "run `trustsim sweep SPEC --out DIR` first")
    data = _read_json(p / SPEC)
    if data is None:
        raise _damaged(p / SPEC, None, "--resume rewrites it")
    try:
        return spec_from_dict(data, file=str(p / SPEC))
    except Exception as exc:  # valid JSON that is no longer a valid sweep
        raise _damaged(p / SPEC, exc, "--resume rewrites it") from None


def provenance(spec: SweepSpec) -> dict[str, Any]:
    """Metadata stored with every table of a sweep."""
    return {
        "sweep": spec.name,
        "root_seed": spec.seed,
        "fingerprint": spec.fingerprint(),
        "design": spec.design.kind,
        "replicates": spec.replicates,
        "common_random_numbers": spec.common_random_numbers,
        "model": spec.model,
        "version": package_version(),
    }


def _identity_frame(
    recs: Iterable[Mapping[str, Any]], design: pd.DataFrame, spec: SweepSpec
) -> pd.DataFrame:
    recs = list(recs)
    ident = pd.DataFrame(
        {c: pd.Series([r[c] for r in recs], dtype="int64") for c in RESERVED_COLUMNS}
    )
    fac = design.set_index("point").loc[ident["point"], spec.factor_names].reset_index(drop=True)
    return pd.concat([ident, fac], axis=1)


def assemble(
    out: str | Path, spec: SweepSpec, design: pd.DataFrame, seeds: Mapping[int, int],
    weekly: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build and write the sweep's tables from its run files.

    Args:
        out: The sweep folder.
        spec: The sweep.
        design: Its design table.
        seeds: Seed per run id.
        weekly: Also concatenate the weekly tables into ``weekly.parquet``.

    Returns:
        ``(results, failures, timings)``; each sorted by ``run_id``.
    """
    p = Path(out)
    ok, bad = read_records(p, spec.fingerprint(), seeds, weekly=weekly)
    meta = provenance(spec)
    recs = [ok[k] for k in sorted(ok)]
    results = _identity_frame(recs, design, spec)
    kpis = pd.DataFrame.from_records([r["kpis"] for r in recs], index=results.index)
    # NaN is saved as null (the one JSON policy): a KPI null in every run is NaN again
    empty = [c for c in kpis.columns if kpis[c].dtype == object and kpis[c].isna().all()]
    kpis[empty] = kpis[empty].astype("float64")
    results = pd.concat([results, kpis], axis=1)
    results.attrs.update(meta)
    write_with(p / f"{RESULTS}.parquet", lambda q: results.to_parquet(q, index=False))
    write_with(p / f"{RESULTS}.csv", lambda q: results.to_csv(q, index=False))

    frecs = [bad[k] for k in sorted(bad)]
    failures = _identity_frame(frecs, design, spec)
    failures["error"] = pd.Series([r.get("error", "") for r in frecs], dtype="str")
    failures["traceback"] = pd.Series([r.get("traceback", "") for r in frecs], dtype="str")
    failures.attrs.update(meta)
    if frecs:
        write_with(p / FAILURES_TABLE, lambda q: failures.to_parquet(q, index=False))
    else:
        with contextlib.suppress(FileNotFoundError):
            (p / FAILURES_TABLE).unlink()

    timings = pd.DataFrame(
        {
            "run_id": pd.Series([r["run_id"] for r in recs], dtype="int64"),
            "elapsed_s": pd.Series([r.get("elapsed_s", float("nan")) for r in recs],
                                   dtype="float64"),
            "cpu_s": pd.Series([r.get("cpu_s", float("nan")) for r in recs], dtype="float64"),
            "worker": pd.Series([r.get("worker", "") for r in recs], dtype="str"),
        }
    )
    write_with(p / TIMINGS, lambda q: timings.to_parquet(q, index=False))

    if weekly:
        parts = []
        for i, r in enumerate(recs):
            wk = read_table(weekly_path(p, r["run_id"]), "--resume runs it again")
            ident = results.iloc[[i] * len(wk), : len(RESERVED_COLUMNS) + len(spec.factors)]
            parts.append(pd.concat([ident.reset_index(drop=True), wk], axis=1))
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        table.attrs.update(meta)
        write_with(p / WEEKLY, lambda q: table.to_parquet(q, index=False))
    return results, failures, timings
