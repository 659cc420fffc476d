"""Running a sweep over any :class:`concurrent.futures.Executor`.

One code path serves every executor: local worker processes (the default), a
Dask cluster (``scheduler="tcp://host:8786"`` or the ``TRUSTSIM_SCHEDULER``
environment variable), a thread pool, or in-process (``workers=0``). The
runner submits *chunks* of runs, keeps about two chunks per worker in flight
and sizes chunks from the measured run time (about a second of work each), so
the machinery's overhead stays small for 0.1 s runs and for 10 us functions
alike.

Nothing is lost:

* every finished run is written to its own file at once (by the worker
  process when it shares the folder, else by this process), atomically;
* ``resume=True`` skips runs already finished; failed runs are retried;
* a run that raises is recorded with its error and traceback and the others
  go on; a run that kills its worker process is isolated and recorded too;
* Ctrl-C stops cleanly: no new runs start, running ones finish their current
  run and are saved (Ctrl-C again abandons them), and the message says how to
  resume.

Where runs execute is :mod:`sim.sweep.executors`; what a worker does is
:mod:`sim.sweep.worker`; this module drives them and assembles the tables.

Layer: application (runs a sweep into its folder); in sim.sweep: analyze | execute.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.sweep import store
from sim.sweep.designs import build_design, design_points, run_seed
from sim.sweep.errors import SweepError, SweepInterrupted
from sim.sweep.executors import (
    ChunkSizer,
    ExecutorHandle,
    InlineExecutor,
    check_target,
    dask_executor,
    deferred_sigint,
    executor_handle,
    local_executor,
    open_executor,
)
from sim.sweep.runners import Runner, RunTask, make_runner
from sim.sweep.spec import MAX_RUNS, SweepSpec, check_points, load_spec, safe_name
from sim.sweep.worker import run_chunk

SCHEDULER_ENV = "TRUSTSIM_SCHEDULER"
"""Environment variable naming a Dask scheduler (``tcp://host:port``) to run sweeps on."""

NO_WORKER_WARN_S = 60.0
"""Seconds without any Dask worker before the sweep says it is waiting for one."""

POLL_S = 2.0
"""How often the driver looks at the cluster while it waits for results."""

MAX_CONSECUTIVE_CRASHES = 5
"""Isolated runs in a row that kill their worker before the sweep stops (systematic fault)."""

# -- driving the runs ------------------------------------------------------------

@dataclass
class _Session:
    """State of the runs submitted in this session."""

    handle: ExecutorHandle
    runner: Runner
    out: Path
    fingerprint: str
    sizer: ChunkSizer
    bar: Any
    queue: deque[RunTask] = field(default_factory=deque)
    suspects: deque[RunTask] = field(default_factory=deque)
    inflight: dict[Future, tuple[list[RunTask], bool]] = field(default_factory=dict)
    done: int = 0
    failed: int = 0
    busy_s: float = 0.0
    cpu_s: float = 0.0
    broken: bool = False
    crashes: int = 0
    started: float = field(default_factory=time.time)
    no_worker_since: float | None = None
    warned: bool = False

    def submit(self, chunk: list[RunTask], isolated: bool = False) -> None:
        out = str(self.out) if self.handle.shared_folder else None
        with deferred_sigint():  # never interrupt the start of a worker process
            fut = self.handle.executor.submit(run_chunk, self.runner, chunk, out,
                                              self.fingerprint)
        self.inflight[fut] = (chunk, isolated)

    def fill(self) -> None:
        if self.broken:
            return
        if self.suspects:
            if not self.inflight:
                self.submit([self.suspects.popleft()], isolated=True)
            return
        window = 2 * self.handle.workers
        while self.queue and len(self.inflight) < window:
            n = self.sizer.next(len(self.queue))
            self.submit([self.queue.popleft() for _ in range(min(n, len(self.queue)))])

    def collect(self, fut: Future) -> None:
        chunk, isolated = self.inflight.pop(fut)
        try:
            results = fut.result()
        except BrokenProcessPool:
            self.broken = True
            lost = self.recover(chunk)
            if isolated:
                self.record_crash(lost, "the worker process died while running this run "
                                  "(a crash, os._exit or out of memory)")
                self.crashes += 1
                if self.crashes >= MAX_CONSECUTIVE_CRASHES:
                    raise SweepError(
                        f"{self.crashes} runs in a row killed their worker process; stopping. "
                        "If you start sweeps from a script, guard it with "
                        "`if __name__ == '__main__':`; see failures/ in the sweep folder"
                    ) from None
            else:
                self.suspects.extend(lost)
            return
        except Exception as exc:  # the executor failed the chunk (e.g. a Dask KilledWorker)
            lost = self.recover(chunk)
            self.record_crash(lost, f"{type(exc).__name__}: {exc}")
            return
        self.handle_results(results, write=not self.handle.shared_folder)

    def recover(self, chunk: Sequence[RunTask]) -> list[RunTask]:
        """Count the runs of a failed chunk that its worker saved; return the others.

        The worker writes each run as it finishes, so a chunk whose worker died
        may hold runs done in this session: they count as done here (the
        summary's count of runs executed), and only the rest are run again.
        """
        saved, lost = [], []
        for t in chunk:
            rec = None
            for path in (store.run_path(self.out, t.run_id),
                         store.failure_path(self.out, t.run_id)):
                with contextlib.suppress(OSError, ValueError):
                    # not a stale file (file times lag the clock by a tick at most)
                    if path.stat().st_mtime >= self.started - 0.1:
                        rec = json.loads(path.read_text(encoding="utf-8"))
                        break
            if isinstance(rec, dict) and rec.get("seed") == t.seed \
                    and rec.get("fingerprint") == self.fingerprint:
                saved.append((rec, None))
            else:
                lost.append(t)
        if saved:
            self.handle_results(saved, write=False)
        return lost

    def handle_results(self, results: list[tuple[dict[str, Any], Any]], write: bool) -> None:
        if results and any(r["status"] == "ok" for r, _ in results):
            self.crashes = 0
        recs = []
        for rec, weekly in results:
            if write:
                store.write_record(self.out, rec, weekly)
            recs.append(rec)
        self.sizer.observe(recs)
        nfail = sum(r["status"] != "ok" for r in recs)
        self.done += len(recs)
        self.failed += nfail
        self.busy_s += sum(r.get("elapsed_s", 0.0) for r in recs)
        self.cpu_s += sum(r.get("cpu_s", 0.0) for r in recs)
        self.bar.update(len(recs))
        if nfail:
            self.bar.set_postfix(failed=self.failed, refresh=True)

    def record_crash(self, tasks: Sequence[RunTask], message: str) -> None:
        recs = []
        for t in tasks:
            rec = {
                "run_id": t.run_id, "point": t.point, "replicate": t.replicate,
                "seed": t.seed, "fingerprint": self.fingerprint, "params": t.params,
                "status": "failed", "error": message, "traceback": "",
                "elapsed_s": 0.0, "worker": "", "finished": store.now(),
            }
            recs.append((rec, None))
        self.handle_results(recs, write=True)

    def run(self) -> None:
        while self.queue or self.inflight or self.suspects:
            self.fill()
            if not self.inflight:
                if self.broken:
                    self.restart()
                    continue
                break
            timeout = POLL_S if self.handle.live_workers is not None else None
            finished, _ = wait(list(self.inflight), timeout=timeout,
                               return_when=FIRST_COMPLETED)
            if not finished:
                self.watch_workers()
            for fut in finished:
                self.collect(fut)
            if self.broken and not self.inflight:
                self.restart()

    def watch_workers(self) -> None:
        """Say so when the cluster has had no worker for a while (and when one is back)."""
        assert self.handle.live_workers is not None
        if self.handle.live_workers() > 0:
            if self.warned:
                self.note("a Dask worker is connected again; the sweep goes on")
            self.no_worker_since, self.warned = None, False
            return
        now = time.monotonic()
        if self.no_worker_since is None:
            self.no_worker_since = now
        elif not self.warned and now - self.no_worker_since >= NO_WORKER_WARN_S:
            self.warned = True
            self.note(
                f"no Dask worker for {now - self.no_worker_since:.0f} s on "
                f"{self.handle.description}: waiting for one to join (start a worker, or "
                "press Ctrl-C: finished runs are kept and --resume continues)"
            )

    def note(self, message: str) -> None:
        """A message on stderr that does not break the progress bar."""
        self.bar.write(message, file=sys.stderr)

    def restart(self) -> None:
        if self.handle.restart is None:
            raise SweepError(
                "a worker process died and this executor cannot be restarted; "
                "rerun with --resume to continue"
            )
        self.handle.executor = self.handle.restart()
        self.broken = False

    def interrupt(self) -> None:
        """Stop: cancel queued chunks, let running ones finish their current run."""
        if self.handle.stop is not None:
            self.handle.stop.set()
        for fut in list(self.inflight):
            if fut.cancel():
                self.inflight.pop(fut)
        if self.handle.stop is None:  # cannot ask workers to stop (Dask): keep what is done
            for fut in [f for f in self.inflight if f.done()]:
                self._collect_quietly(fut)
            self.handle.kill()
            return
        try:
            while self.inflight:
                finished, _ = wait(list(self.inflight), timeout=60)
                if not finished:
                    break
                for fut in finished:
                    self._collect_quietly(fut)
        except KeyboardInterrupt:
            pass
        self.handle.kill()

    def _collect_quietly(self, fut: Future) -> None:
        self.inflight.pop(fut)
        with contextlib.suppress(Exception):
            self.handle_results(fut.result(), write=not self.handle.shared_folder)


@dataclass
class SweepResult:
    """What a sweep produced.

    Attributes:
        out: The sweep folder.
        spec: The sweep.
        results: One row per finished run, sorted by ``run_id``.
        failures: One row per failed run, sorted by ``run_id``.
        timings: Seconds inside each run and where it ran.
        total: Runs in the sweep.
        executed: Runs executed in this session (finished or failed).
        wall_s: Wall time of this session's runs (executor open to last result).
        busy_s: Sum of time inside this session's runs.
        cpu_s: Sum of CPU time of the threads running them (see :attr:`cpu_overhead`).
        workers: Parallel slots used.
        executor: Description of the executor.
        repaired: Files of the folder that ``resume`` found damaged and rewrote.
    """

    out: Path
    spec: SweepSpec
    results: pd.DataFrame
    failures: pd.DataFrame
    timings: pd.DataFrame
    total: int
    executed: int = 0
    wall_s: float = 0.0
    busy_s: float = 0.0
    cpu_s: float = 0.0
    workers: int = 1
    executor: str = ""
    repaired: list[str] = field(default_factory=list)

    @property
    def overhead(self) -> float:
        """Share of worker time not spent inside runs: ``1 - busy / (wall x workers)``."""
        cap = self.wall_s * self.workers
        return 1.0 - self.busy_s / cap if cap > 0 else 0.0

    @property
    def cpu_overhead(self) -> float:
        """Share of the slots' time not spent computing runs: ``1 - cpu / (wall x workers)``.

        Counts what :attr:`overhead` cannot see: runs slowed down by other
        threads of their process (several threads per Dask worker share one
        GIL), or by other work on the machine. Runs that wait (I/O, sleep)
        count as overhead here.
        """
        cap = self.wall_s * self.workers
        return 1.0 - self.cpu_s / cap if cap > 0 else 0.0

    @property
    def complete(self) -> bool:
        """Whether every run finished without error."""
        return len(self.results) == self.total


def plan(spec: SweepSpec, design: pd.DataFrame) -> list[RunTask]:
    """Every run of the sweep, in run-id order.

    Args:
        spec: The sweep.
        design: Its design table.

    Returns:
        One task per (point, replicate).
    """
    keys = {f.name: f.key for f in spec.factors}
    tasks = []
    for pt, params in enumerate(design_points(design, spec)):
        values = {keys[n]: v for n, v in params.items()}
        for r in range(spec.replicates):
            seed = run_seed(spec.seed, r, None if spec.common_random_numbers else pt)
            tasks.append(RunTask(pt * spec.replicates + r, pt, r, seed, values, dict(params)))
    return tasks


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    resume: bool = False,
    weekly: bool = False,
    runner: Runner | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    resume_hint: str | None = None,
    max_runs: int = MAX_RUNS,
    allow_model_code: bool = False,
) -> SweepResult:
    """Run a sweep (or the rest of one) and assemble its tables.

    Args:
        spec: The sweep, or the path of a sweep file.
        out: Sweep folder (default ``results/sweeps/<name>``).
        workers: Local worker processes (default: one per core; 0: in-process).
        scheduler: Dask scheduler address (default: ``$TRUSTSIM_SCHEDULER`` when
            neither ``workers`` nor ``executor`` is given); ``"local"`` forces
            local processes.
        executor: Any :class:`~concurrent.futures.Executor` to use instead
            (not closed here). Its workers write the run files into ``out``
            (a Dask ``client.get_executor()`` returns results to this process,
            which writes them).
        resume: Continue the sweep in ``out``: finished runs are skipped,
            failed runs retried.
        weekly: Keep every run's weekly table (``weekly.parquet``).
        runner: Run function (default: from the spec; see :mod:`sim.sweep.runners`).
        chunk_size: Runs per submitted chunk (default: sized from run times).
        progress: Show a progress bar on stderr.
        resume_hint: Command shown to resume after Ctrl-C.
        max_runs: Most runs the sweep may have; a larger one is refused before
            anything is built (:meth:`~sim.sweep.spec.SweepSpec.check_size`).
        allow_model_code: Allow the sweep's ``[model] function`` (code named by
            a data file) to be imported and run; built-in functions need not.

    Returns:
        The sweep's tables and this session's timings.

    Raises:
        ScenarioError: If the spec is invalid or too large (before any run starts).
        SweepError: If the folder holds something else or the executor fails.
        SweepInterrupted: On Ctrl-C, after saving what finished.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec, max_runs=max_runs)
    out = Path(out) if out is not None else Path("results") / "sweeps" / safe_name(spec.name)
    design = build_design(spec, max_runs)
    check_points(spec, design_points(design, spec))
    if runner is None:
        runner = make_runner(spec, weekly=weekly, allow_model_code=allow_model_code)
    source = "--scheduler"
    if scheduler is None and workers is None and executor is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
        source = f"${SCHEDULER_ENV}"
    if executor is None:
        check_target(workers, scheduler, source)
    hint = resume_hint or (
        f"trustsim sweep {spec.path} --out {out} --resume" if spec.path
        else f"run_sweep(spec, {str(out)!r}, resume=True)"
    )

    session: _Session | None = None
    wall = 0.0
    info = ("", 1)
    with contextlib.ExitStack() as stack:
        handle = None
        if executor is None and scheduler and scheduler != "local":
            # reach the cluster before the folder exists: a wrong address leaves nothing
            handle = stack.enter_context(open_executor(workers, scheduler))
        repaired: list[str] = []
        design = store.prepare_folder(out, spec, design, resume, repaired)
        tasks = plan(spec, design)
        seeds = {t.run_id: t.seed for t in tasks}
        ok, _ = store.read_records(out, spec.fingerprint(), seeds, weekly=weekly)
        pending = [t for t in tasks if t.run_id not in ok]
        for t in pending:  # stale or foreign files of runs about to run
            for p in (store.run_path(out, t.run_id), store.weekly_path(out, t.run_id)):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
        if pending:
            if handle is None:
                handle = stack.enter_context(executor_handle(executor, workers, scheduler))
            info = (handle.description, handle.workers)
            store.write_manifest(out, status="running", executor=handle.description,
                                 **store.owner())
            bar = _progress_bar(spec.name, len(tasks), len(tasks) - len(pending), progress)
            session = _Session(
                handle, runner, out, spec.fingerprint(),
                ChunkSizer(handle.workers, handle.target_chunk_s, chunk_size), bar,
                queue=deque(pending),
            )
            if handle.advice and progress:
                session.note(handle.advice)
            t0 = time.perf_counter()
            try:
                session.run()
            except KeyboardInterrupt:
                session.interrupt()
                bar.close()
                ok, _ = store.read_records(out, spec.fingerprint(), seeds, weekly=weekly)
                store.write_manifest(out, status="interrupted", finished=len(ok))
                raise SweepInterrupted(str(out), len(ok), len(tasks), hint) from None
            wall = time.perf_counter() - t0
            bar.close()
    results, failures, timings = store.assemble(out, spec, design, seeds, weekly=weekly)
    status = "complete" if len(results) == len(tasks) else "complete with failures"
    store.write_manifest(out, status=status, finished=len(results), failed=len(failures))
    return SweepResult(
        out=out, spec=spec, results=results, failures=failures, timings=timings,
        total=len(tasks), executed=session.done if session else 0, wall_s=wall,
        busy_s=session.busy_s if session else 0.0, cpu_s=session.cpu_s if session else 0.0,
        workers=info[1], executor=info[0],
        repaired=repaired,
    )


def _progress_bar(name: str, total: int, initial: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, desc=name, unit="run", file=sys.stderr,
        disable=not enabled, dynamic_ncols=True, smoothing=0.0,
        postfix={"failed": 0},
    )


__all__ = [
    "SCHEDULER_ENV",
    "ExecutorHandle",
    "InlineExecutor",
    "SweepResult",
    "dask_executor",
    "local_executor",
    "open_executor",
    "plan",
    "run_sweep",
]
