"""What runs in a worker process: one chunk of runs, each saved at once.

:func:`run_chunk` is what the executor calls (by reference: workers import
this module); it stops between runs when the sweep is being interrupted
(:func:`worker_init` hands local workers the :class:`StopFlag` and makes them
ignore Ctrl-C, which goes to the parent only).

Layer: application (sweep running); in sim.sweep: worker, below executors.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Sequence
from typing import Any

from sim.sweep import store
from sim.sweep.runners import Runner, RunTask, as_output

_STOP: Any = None  # the sweep's StopFlag, set in worker processes by worker_init


class StopFlag:
    """Asks local workers to stop between runs: a file that exists once set.

    A file rather than a ``multiprocessing.Event``: an event is a named
    semaphore that the parent unlinks when it exits, and a worker still
    starting up then dies with a traceback; a flag's path pickles as a string.

    Args:
        path: The flag's file (absent: not set).
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def set(self) -> None:
        """Raise the flag."""
        with open(self.path, "a"):
            pass

    def is_set(self) -> bool:
        """Whether the flag is raised."""
        return os.path.exists(self.path)

WATCH_INTERVAL_S = 0.5
"""How often a local worker checks that the sweep's process is still there."""

ORPHAN_EXIT_CODE = 70
"""Exit status of a worker that found the sweep's process gone."""


def worker_init(stop: Any, parent: int | None = None) -> None:
    """Initialise a local worker process: Ctrl-C goes to the parent only.

    Args:
        stop: Flag raised when the sweep is being interrupted.
        parent: Pid of the process running the sweep; the worker exits at once
            (even in the middle of a run) when it is gone, so that killing the
            sweep (``kill -9``) leaves no worker running.
    """
    global _STOP
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STOP = stop
    if parent is not None:
        threading.Thread(target=_watch, args=(parent,), name="trustsim-parent-watch",
                         daemon=True).start()


def _watch(parent: int) -> None:
    """Exit this worker once ``parent`` is gone (its unsaved run is redone on resume)."""
    while store.process_alive(parent):
        time.sleep(WATCH_INTERVAL_S)
    os._exit(ORPHAN_EXIT_CODE)


def execute_task(runner: Runner, task: RunTask, fingerprint: str) -> tuple[dict[str, Any], Any]:
    """Run one task, catching its errors.

    Args:
        runner: The run function.
        task: The run.
        fingerprint: The sweep's fingerprint, stored in the record.

    Returns:
        ``(record, weekly)``: the JSON-ready record (``status`` ``"ok"`` or
        ``"failed"``) and the weekly table or None.
    """
    rec: dict[str, Any] = {
        "run_id": task.run_id,
        "point": task.point,
        "replicate": task.replicate,
        "seed": task.seed,
        "fingerprint": fingerprint,
        "params": task.params,
    }
    weekly = None
    t0 = time.perf_counter()
    c0 = time.thread_time()
    try:
        out = as_output(runner(task))
    except Exception as exc:
        rec["status"] = "failed"
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
    else:
        rec["status"] = "ok"
        rec["kpis"] = out.kpis
        weekly = out.weekly
    rec["elapsed_s"] = time.perf_counter() - t0
    # CPU seconds of this thread: unlike elapsed_s, not inflated by waiting for
    # another thread of the process (the GIL) or for other work on the machine
    rec["cpu_s"] = time.thread_time() - c0
    rec["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    rec["finished"] = store.now()
    return rec, weekly


def run_chunk(
    runner: Runner, tasks: Sequence[RunTask], out: str | None, fingerprint: str
) -> list[tuple[dict[str, Any], Any]]:
    """Run a chunk of tasks in a worker; save each run at once if ``out`` is given.

    Stops early (between runs) when the sweep is being interrupted.

    Args:
        runner: The run function.
        tasks: The runs.
        out: The sweep folder if this worker can write it, else None.
        fingerprint: The sweep's fingerprint.

    Returns:
        ``(record, weekly)`` per run done; ``weekly`` is None once written.
    """
    done = []
    for task in tasks:
        if _STOP is not None and _STOP.is_set():
            break
        rec, weekly = execute_task(runner, task, fingerprint)
        if out is not None:
            try:
                store.write_record(out, rec, weekly)
            except Exception as exc:  # e.g. a KPI that JSON cannot hold
                rec = {k: rec[k] for k in ("run_id", "point", "replicate", "seed",
                                           "fingerprint", "params", "elapsed_s", "worker")}
                rec.update(status="failed", error=f"cannot save the run: {exc!r}",
                           traceback=traceback.format_exc())
                store.write_record(out, rec, None)
            weekly = None
        done.append((rec, weekly))
    return done
