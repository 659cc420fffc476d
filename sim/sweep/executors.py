"""Where a sweep's runs execute: local processes, a Dask cluster, or in-process.

:func:`open_executor` gives an :class:`ExecutorHandle`: the
:class:`concurrent.futures.Executor` plus what the driver in
:mod:`sim.sweep.execute` needs to know (slots, whether workers share the
sweep folder, how to stop, restart or kill them); :class:`ChunkSizer` sizes the
chunks of runs sent to them.

Local worker processes are started with an explicit ``forkserver`` (or
``spawn``) context passed to the executor (the global start method is never
touched) and ignore SIGINT, so Ctrl-C reaches the parent only.

Layer: application (sweep running); in sim.sweep: executors, below execute.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sim.results import package_version
from sim.sweep.errors import SweepError, SweepUsageError
from sim.sweep.worker import StopFlag, worker_init

START_METHODS = ("forkserver", "spawn")
"""Start methods for local worker processes, in order of preference.

The context is passed to the executor; the global start method is never set.
With ``forkserver`` the server process imports trustsim once (preload) and
workers are forked from it, which halves the pool's start-up here (about 7 s
instead of 14 s for two workers on a busy two-core machine); ``spawn`` is the
fallback where there is no forkserver (Windows).
"""

PRELOAD = ["sim.sweep.worker"]
"""Modules the forkserver imports once before forking workers."""

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a Dask scheduler to answer (a wrong address fails this fast)."""

WORKER_TIMEOUT = 30.0
"""Seconds to wait for a Dask cluster's first worker and its trustsim check."""

_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$"
    r"|^(?:inproc|ucx)://\S+$"
)

TARGET_CHUNK_SECONDS = 1.0
"""Work per chunk the sizer aims at, once run times are known."""


class ChunkSizer:
    """Chunk sizes from the measured time per run (guided self-scheduling).

    Args:
        workers: Parallel slots.
        target_s: Seconds of work per chunk, once run times are known.
        fixed: A fixed chunk size instead (``--chunk-size``), or None.
    """

    def __init__(self, workers: int, target_s: float, fixed: int | None) -> None:
        self.workers = max(workers, 1)
        self.target_s = target_s
        self.fixed = fixed
        self.runs = 0
        self.seconds = 0.0

    def observe(self, records: Sequence[dict[str, Any]]) -> None:
        """Learn from finished runs' records (their ``elapsed_s``)."""
        self.runs += len(records)
        self.seconds += sum(r.get("elapsed_s", 0.0) for r in records)

    def next(self, remaining: int) -> int:
        """Size of the next chunk, with ``remaining`` runs left to submit."""
        if self.fixed:
            return max(1, min(self.fixed, remaining))
        if not self.runs:
            return 1
        per_run = max(self.seconds / self.runs, 1e-9)
        cap = max(1, math.ceil(remaining / (2 * self.workers)))
        return max(1, min(cap, int(self.target_s / per_run)))


def _probe() -> str:
    """Run on a Dask worker to check that it can import trustsim."""
    return package_version()


def default_workers() -> int:
    """Number of CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class InlineExecutor(Executor):
    """Runs each submission at once in this process (``workers=0``; debugging)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` now and return a finished future."""
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:
            fut.set_exception(exc)
        return fut


@dataclass
class ExecutorHandle:
    """An executor and what the runner needs to know about it.

    Attributes:
        executor: The executor.
        workers: Parallel slots (processes or Dask threads).
        shared_folder: Whether workers write run files themselves.
        description: For messages and the manifest.
        target_chunk_s: Seconds of work per chunk.
        stop: Flag that asks local workers to stop between runs, or None.
        restart: Builds a fresh executor after a worker process died, or None.
        close: Releases the executor.
        kill: Abandons running work at once (a second Ctrl-C).
        live_workers: Counts the workers connected now (Dask), or None: a
            sweep left with none says so and keeps waiting for one.
        advice: A note shown when the sweep starts (e.g. on threaded workers).
    """

    executor: Executor
    workers: int
    shared_folder: bool
    description: str
    target_chunk_s: float = TARGET_CHUNK_SECONDS
    stop: Any = None
    restart: Callable[[], Executor] | None = None
    close: Callable[[], None] = lambda: None
    kill: Callable[[], None] = lambda: None
    live_workers: Callable[[], int] | None = None
    advice: str = ""


@contextlib.contextmanager
def deferred_sigint() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is done, then raise it.

    Submitting to a local pool may start a worker process; a Ctrl-C that
    interrupts the start leaves a half-started worker that fails with a
    traceback once this process is gone. Outside the main thread, or if
    SIGINT is not Python's own handler, the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def _start_forkserver() -> None:
    """Start the forkserver now, with SIGINT ignored from its first instruction.

    A Ctrl-C in a terminal reaches the whole process group. The forkserver
    (and so every worker forked from it, until :func:`worker_init` runs)
    would otherwise take it while importing trustsim and print a traceback;
    an ignored signal stays ignored across ``exec``, so the server is started
    with SIGINT ignored here and restored at once in this process.
    """
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, old)


def local_executor(workers: int) -> ExecutorHandle:
    """Local worker processes started with ``spawn``, or in-process for ``workers=0``.

    Args:
        workers: Number of processes (0: run in this process).

    Returns:
        The handle.
    """
    if workers == 0:
        return ExecutorHandle(InlineExecutor(), 1, True, "in-process")
    method = next(m for m in START_METHODS if m in mp.get_all_start_methods())
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
        _start_forkserver()
    flags = tempfile.mkdtemp(prefix="trustsim-sweep-")
    stop = StopFlag(os.path.join(flags, "stop"))
    box: dict[str, ProcessPoolExecutor] = {}

    def make() -> ProcessPoolExecutor:
        old = box.get("ex")
        if old is not None:
            old.shutdown(wait=True, cancel_futures=True)
        box["ex"] = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=worker_init,
            initargs=(stop, os.getpid()),
        )
        return box["ex"]

    def kill() -> None:
        ex = box.get("ex")
        if ex is None:
            return
        procs = list((getattr(ex, "_processes", None) or {}).values())
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in procs:  # gone before this process releases what they share
            with contextlib.suppress(Exception):
                proc.join(timeout=5)
        ex.shutdown(wait=False, cancel_futures=True)

    def close() -> None:
        ex = box.get("ex")
        try:
            if ex is not None:
                ex.shutdown(wait=True, cancel_futures=True)
        finally:
            shutil.rmtree(flags, ignore_errors=True)

    return ExecutorHandle(
        make(), workers, True, f"{workers} local processes ({method})",
        stop=stop, restart=make, close=close, kill=kill,
    )


def check_target(workers: int | None, scheduler: str | None, source: str = "--scheduler") -> None:
    """Refuse a bad executor choice before anything is created.

    Args:
        workers: Local processes asked for, or None.
        scheduler: Dask scheduler address, ``"local"`` or None.
        source: Where the address came from, for the message.

    Raises:
        SweepUsageError: For ``--workers`` with a Dask scheduler, a negative
            ``--workers`` or an address that is not ``[tcp://]host:port``.
    """
    if scheduler and scheduler != "local":
        if workers is not None:
            raise SweepUsageError(
                "--workers is for local runs; a Dask cluster's size is set by its workers "
                "(drop --workers, or use --scheduler local)"
            )
        match = _ADDRESS.match(scheduler)
        port = match.group(1) if match else None
        if match is None or (port is not None and not 0 < int(port) < 65536):
            raise SweepUsageError(
                f"{source}: {scheduler!r} is not a Dask scheduler address; expected "
                "tcp://host:port (e.g. tcp://10.0.0.5:8786), or 'local' for local processes"
            )
    elif workers is not None and workers < 0:
        raise SweepUsageError(f"--workers must be 0 (in-process) or more, got {workers}")


def dask_executor(address: str, timeout: float = WORKER_TIMEOUT,
                  connect_timeout: float = CONNECT_TIMEOUT) -> ExecutorHandle:
    """Connect to a Dask distributed scheduler and use its workers.

    Run files are written by this process (cluster workers need not share its
    disk); workers must be able to ``import sim`` (install trustsim on them).

    Args:
        address: Scheduler address, e.g. ``tcp://10.0.0.5:8786``.
        timeout: Seconds to wait for at least one worker and its trustsim check.
        connect_timeout: Seconds to wait for the scheduler to answer.

    Returns:
        The handle.

    Raises:
        SweepError: If Dask is missing, the scheduler cannot be reached, no
            worker joins, or the workers cannot import trustsim.
    """
    try:
        from distributed import Client
    except ImportError:
        raise SweepError(
            "--scheduler needs Dask distributed: pip install 'trustsim[sweep]'"
        ) from None
    try:
        client = Client(address, timeout=min(timeout, connect_timeout))
    except Exception as exc:  # OSError, TimeoutError, or a ValueError for a strange address
        raise SweepError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
        version = client.submit(_probe, pure=False).result(timeout=timeout)
    except Exception as exc:
        client.close()
        raise SweepError(
            f"the Dask cluster at {address} cannot run trustsim ({type(exc).__name__}: {exc}); "
            "install trustsim on every worker (e.g. pip install -e .) and check it has workers"
        ) from None
    threads = client.nthreads()
    nthreads = sum(threads.values()) or 1
    advice = ""
    if max(threads.values(), default=1) > 1:
        advice = (
            f"note: Dask workers at {address} run several threads each; trustsim runs in "
            "one process share one interpreter lock, so they take turns: start workers "
            "with `dask worker ADDR --nthreads 1 --nworkers N` (one process per core)"
        )
    ex = client.get_executor(pure=False)

    def kill() -> None:
        with contextlib.suppress(Exception):
            ex.shutdown(wait=False)  # cancels this executor's pending and running tasks

    def live_workers() -> int:
        try:
            return len(client.scheduler_info(n_workers=-1).get("workers", {}))
        except TypeError:  # older distributed: no n_workers
            return len(client.scheduler_info().get("workers", {}))
        except Exception:  # the scheduler itself is gone: no worker either
            return 0

    return ExecutorHandle(
        ex, nthreads, False,
        f"Dask cluster {address} ({nthreads} threads, trustsim {version})",
        target_chunk_s=2.0, close=client.close, kill=kill, live_workers=live_workers,
        advice=advice,
    )


@contextlib.contextmanager
def open_executor(
    workers: int | None = None, scheduler: str | None = None
) -> Iterator[ExecutorHandle]:
    """Open the executor a sweep runs on, and close it afterwards.

    Args:
        workers: Local processes (default: one per core; 0: in-process).
        scheduler: Dask scheduler address; ``"local"`` or None for local processes.

    Yields:
        The handle.

    Raises:
        SweepError: For a bad combination or an unreachable cluster.
    """
    check_target(workers, scheduler)
    if scheduler and scheduler != "local":
        handle = dask_executor(scheduler)
    else:
        handle = local_executor(default_workers() if workers is None else workers)
    try:
        yield handle
    finally:
        handle.close()


@contextlib.contextmanager
def executor_handle(
    executor: Executor | None, workers: int | None, scheduler: str | None
) -> Iterator[ExecutorHandle]:
    """An executor given by the caller (not closed here), or one opened for the sweep.

    Args:
        executor: The caller's executor, or None.
        workers: Local processes (or the caller's executor's size).
        scheduler: Dask scheduler address, or None.

    Yields:
        The handle.
    """
    if executor is None:
        with open_executor(workers, scheduler) as handle:
            yield handle
        return
    n = workers or getattr(executor, "_max_workers", None) or default_workers()
    # Dask workers may be on other machines: this process writes the run files then.
    shared = not type(executor).__module__.startswith("distributed")
    yield ExecutorHandle(executor, int(n), shared, f"{type(executor).__name__} ({n} workers)")
