"""Running sweeps: same table on any executor, nothing lost, failures kept, clean Ctrl-C.

The run functions below are module-level so that worker processes (and the
CLI subprocesses, with this folder on PYTHONPATH) can import them by name.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.sweep import SweepError, execute, load_spec, run_seed, run_sweep
from sim.sweep.execute import dask_executor
from sim.sweep.runners import RunTask
from tests.conftest import SWEEP_LOG_ENV
from tests.helpers import BASELINE, ROOT, cli, wait_for_run_files

HERE = Path(__file__).resolve().parent
CODE = {"allow_model_code": True}
"""The sweeps below run functions of this module: code named by a sweep file."""
ALLOW = "--allow-model-code"


# -- run functions (imported by workers) ---------------------------------------------


def log_dir_of(run_seed_: int) -> Path:
    """The log folder of the sweep whose replicate-0 run seed is ``run_seed_``.

    A link in the session's registry (``$TRUSTSIM_TEST_LOG_DIR``, set by the
    ``sweep_log_registry`` fixture before any worker exists) to the folder the
    test chose with :func:`use_log_dir`; workers and the test resolve it alike.
    """
    return Path(os.environ[SWEEP_LOG_ENV]) / str(run_seed_)


def use_log_dir(root: int, folder: Path) -> Path:
    """Send the logs of the sweep with root seed ``root`` to ``folder`` (made if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = log_dir_of(run_seed(root, 0))
    if link.is_symlink():
        link.unlink()
    link.symlink_to(folder, target_is_directory=True)
    return folder


def _log(task: RunTask) -> None:
    with (log_dir_of(task.seed) / "runs.log").open("a") as fh:
        fh.write(f"{task.run_id}\n")


def det(task: RunTask) -> dict[str, float]:
    """Deterministic in (values, seed); logs every execution."""
    _log(task)
    rng = np.random.default_rng(task.seed + 1000 * task.point)
    return {"y": 10.0 * float(task.values["x"]) + rng.random(), "draw": float(rng.random())}


def slow(task: RunTask) -> dict[str, float]:
    """``det`` after a pause of ``$TRUSTSIM_TEST_SLOW`` seconds (none if unset)."""
    time.sleep(float(os.environ.get("TRUSTSIM_TEST_SLOW", "0")))
    return det(task)


def fail_marker(root: int) -> Path:
    """While this file exists, points 2 and 5 of the sweep with root seed ``root`` fail."""
    return log_dir_of(run_seed(root, 0)) / "fail"


def flaky(task: RunTask) -> dict[str, float]:
    if (log_dir_of(task.seed) / "fail").exists() and task.point in (2, 5):
        raise ValueError(f"bad point {task.point}")
    return det(task)


def crashy(task: RunTask) -> dict[str, float]:
    if task.point == 3:
        os._exit(3)  # the worker process dies
    return det(task)


def crashy_1_2(task: RunTask) -> dict[str, float]:
    """Points 1 and 2 kill their worker: two crashes in a row."""
    if task.point in (1, 2):
        os._exit(3)
    return det(task)


def crashy_1_6(task: RunTask) -> dict[str, float]:
    """Points 1 and 6 kill their worker, with good runs between them."""
    if task.point in (1, 6):
        os._exit(3)
    return det(task)


# -- helpers ---------------------------------------------------------------------------


def fn_spec(tmp_path: Path, fn: str, seed: int, n: int = 12, name: str = "spec.toml") -> Path:
    """A grid sweep of ``fn`` over ``x`` in [0, 1]; its runs log into ``tmp_path/log-<seed>``."""
    use_log_dir(seed, tmp_path / f"log-{seed}")
    p = tmp_path / name
    p.write_text(f"""
name = "fn"
seed = {seed}
kpis = ["y", "draw"]
[model]
function = "test_sweep_execute:{fn}"
[design]
kind = "grid"
[[factors]]
key = "x"
role = "uncertainty"
range = [0.0, 1.0]
steps = {n}
""")
    return p


def executions(root: int) -> collections.Counter:
    """How often each run of the sweep with root seed ``root`` (one replicate) ran."""
    path = log_dir_of(run_seed(root, 0)) / "runs.log"
    lines = path.read_text().split() if path.exists() else []
    return collections.Counter(int(x) for x in lines)


def sim_spec(tmp_path: Path) -> Path:
    p = tmp_path / "small.toml"
    p.write_text(f"""
name = "small"
base = "{BASELINE}"
seed = 11
replicates = 2
[overrides]
"population.size" = 300
"run.weeks" = 6
[design]
kind = "grid"
[[factors]]
key = "strategy.escalation.level"
name = "escalation"
role = "lever"
values = ["generic", "interest", "personal"]
[[factors]]
key = "strategy.transparency"
role = "lever"
range = [0.0, 1.0]
steps = 2
""")
    return p


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory):
    """The small trust-model sweep run in this process (no pool)."""
    tmp = tmp_path_factory.mktemp("ref")
    spec = load_spec(sim_spec(tmp))
    return run_sweep(spec, tmp / "out", workers=0, weekly=True, progress=False)


# -- identical tables on every executor ---------------------------------------------------


@pytest.mark.slow
def test_reference_table_is_tidy(reference) -> None:
    res = reference.results
    assert len(res) == 12 and reference.complete
    assert res["run_id"].tolist() == list(range(12))
    assert list(res.columns[:6]) == ["run_id", "point", "replicate", "seed", "escalation",
                                     "transparency"]
    assert {"retention", "revenue_cumulative", "mean_trust"} <= set(res.columns)
    # Common random numbers: one seed per replicate, shared by all points.
    assert res.groupby("replicate")["seed"].nunique().tolist() == [1, 1]
    assert res.attrs["root_seed"] == 11 and res.attrs["sweep"] == "small"
    weekly = pd.read_parquet(reference.out / "weekly.parquet")
    assert len(weekly) == 12 * 6
    assert weekly.groupby("run_id")["week"].apply(list).map(len).eq(6).all()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_local_workers_give_identical_tables(tmp_path: Path, reference, workers: int) -> None:
    res = run_sweep(sim_spec(tmp_path), tmp_path / "out", workers=workers, weekly=True,
                    progress=False)
    pd.testing.assert_frame_equal(res.results, reference.results)
    assert res.results.attrs == reference.results.attrs
    pd.testing.assert_frame_equal(pd.read_parquet(res.out / "weekly.parquet"),
                                  pd.read_parquet(reference.out / "weekly.parquet"))
    assert res.workers == workers
    assert len(set(res.timings["worker"])) <= workers


@pytest.mark.slow
def test_dask_cluster_gives_identical_table(tmp_path: Path, reference,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=logging.ERROR,
    ) as cluster:
        # The scheduler comes from the environment: nothing else changes.
        monkeypatch.setenv("TRUSTSIM_SCHEDULER", cluster.scheduler_address)
        code = cli(["sweep", str(sim_spec(tmp_path)), "--out", str(tmp_path / "out"), "-q",
                    "--weekly"])
        assert code == 0
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
        assert manifest["executor"].startswith("Dask cluster tcp://127.0.0.1")
    res = pd.read_parquet(tmp_path / "out" / "results.parquet")
    pd.testing.assert_frame_equal(res, reference.results)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "weekly.parquet"),
                                  pd.read_parquet(reference.out / "weekly.parquet"))
    workers = pd.read_parquet(tmp_path / "out" / "timings.parquet")["worker"]
    assert os.getpid() not in {int(w.rsplit(":", 1)[1]) for w in workers}


def test_unreachable_scheduler_is_a_clear_user_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(SweepError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        dask_executor("tcp://127.0.0.1:9", timeout=1)


# -- nothing lost ------------------------------------------------------------------------


@pytest.mark.slow
def test_failing_runs_are_recorded_and_retried_on_resume(tmp_path: Path) -> None:
    seed = 101
    spec = fn_spec(tmp_path, "flaky", seed)
    marker = fail_marker(seed)
    marker.touch()
    res = run_sweep(spec, tmp_path / "out", workers=2, progress=False, **CODE)
    assert res.results["run_id"].tolist() == [0, 1, 3, 4, 6, 7, 8, 9, 10, 11]
    assert res.failures["run_id"].tolist() == [2, 5]
    assert res.failures["error"].tolist() == ["ValueError: bad point 2",
                                              "ValueError: bad point 5"]
    assert "in flaky" in res.failures["traceback"][0]
    table = pd.read_parquet(tmp_path / "out" / "failures.parquet")
    assert table["run_id"].tolist() == [2, 5] and table.loc[0, "x"] == pytest.approx(2 / 11)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "complete with failures"

    marker.unlink()  # the cause is fixed: resume retries the failed runs only
    again = run_sweep(spec, tmp_path / "out", workers=2, resume=True, progress=False, **CODE)
    assert again.complete and again.executed == 2 and len(again.failures) == 0
    assert not (tmp_path / "out" / "failures.parquet").exists()
    counts = executions(seed)
    assert all(counts[i] == 1 for i in range(12) if i not in (2, 5))


@pytest.mark.slow
def test_a_run_that_kills_its_worker_is_isolated_and_recorded(tmp_path: Path) -> None:
    res = run_sweep(fn_spec(tmp_path, "crashy", 202), tmp_path / "out", workers=2,
                    progress=False, **CODE)
    assert res.failures["run_id"].tolist() == [3]
    assert "worker process died" in res.failures["error"][0]
    assert res.results["run_id"].tolist() == [i for i in range(12) if i != 3]
    ref = run_sweep(fn_spec(tmp_path, "det", 202, name="d.toml"), tmp_path / "ref",
                    workers=0, progress=False, **CODE)
    pd.testing.assert_frame_equal(
        res.results.reset_index(drop=True),
        ref.results[ref.results["run_id"] != 3].reset_index(drop=True),
        check_exact=True,
    )


@pytest.mark.slow
def test_too_many_crashes_in_a_row_stop_the_sweep(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A systematic fault (every run kills its worker) stops the sweep; scattered ones do not.

    One worker and one run per chunk make the isolation order fixed: after a
    crash the lost runs are retried one at a time, so two crashing points in
    a row give two isolated crashes in a row, and a good run between two
    crashing points resets the count.
    """
    monkeypatch.setattr(execute, "MAX_CONSECUTIVE_CRASHES", 2)
    with pytest.raises(SweepError, match=r"^2 runs in a row killed their worker process; "
                                         r"stopping\."):
        run_sweep(fn_spec(tmp_path, "crashy_1_2", 808, n=8), tmp_path / "stop", workers=1,
                  chunk_size=1, progress=False, **CODE)
    assert executions(808)[3] == 0, "no run after the crashes was started"

    res = run_sweep(fn_spec(tmp_path, "crashy_1_6", 809, n=8, name="apart.toml"),
                    tmp_path / "apart", workers=1, chunk_size=1, progress=False, **CODE)
    assert res.failures["run_id"].tolist() == [1, 6]
    assert res.results["run_id"].tolist() == [0, 2, 3, 4, 5, 7]


def test_half_written_files_are_never_taken_for_results(tmp_path: Path) -> None:
    seed = 303
    spec = fn_spec(tmp_path, "det", seed, n=6)
    out = tmp_path / "out"
    first = run_sweep(spec, out, workers=0, progress=False, **CODE)
    # A truncated record, a stray temporary file, and a record of another sweep.
    rec = out / "runs" / "run_000002.json"
    rec.write_text(rec.read_text()[:40])
    (out / "runs" / ".run_000004.abc.json.tmp").write_text("{")
    other = json.loads((out / "runs" / "run_000005.json").read_text())
    other["fingerprint"] = "0" * 16
    (out / "runs" / "run_000005.json").write_text(json.dumps(other))
    again = run_sweep(spec, out, workers=0, resume=True, progress=False, **CODE)
    assert again.executed == 2
    pd.testing.assert_frame_equal(again.results, first.results)
    assert not list((out / "runs").glob(".*.tmp"))
    counts = executions(seed)
    assert counts == collections.Counter({0: 1, 1: 1, 2: 2, 3: 1, 4: 1, 5: 2})


def test_folder_is_never_silently_overwritten(tmp_path: Path) -> None:
    spec = fn_spec(tmp_path, "det", 404, n=3)
    run_sweep(spec, tmp_path / "out", workers=0, progress=False, **CODE)
    with pytest.raises(SweepError, match=r"already holds a sweep.*--resume"):
        run_sweep(spec, tmp_path / "out", workers=0, progress=False, **CODE)
    changed = fn_spec(tmp_path, "det", 405, n=3, name="other.toml")
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(changed, tmp_path / "out", workers=0, resume=True, progress=False, **CODE)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="other files"):
        run_sweep(spec, tmp_path / "busy", workers=0, progress=False, **CODE)
    done = run_sweep(spec, tmp_path / "out", workers=0, resume=True, progress=False, **CODE)
    assert done.executed == 0 and done.complete


SIGINT_WRAPPER = """
import runpy, signal, sys
# An ignored SIGINT is inherited across fork and exec, and Python then keeps ignoring it
# (as in a background job): restore the default, whatever the parent left behind.
signal.signal(signal.SIGINT, signal.default_int_handler)
print("sigint:", signal.getsignal(signal.SIGINT).__name__, file=sys.stderr, flush=True)
sys.argv = ["sim.sweep", *sys.argv[1:]]
runpy.run_module("sim.sweep", run_name="__main__", alter_sys=True)
"""
"""Runs ``python -m sim.sweep ...`` with SIGINT's default handler, like a terminal session.

A wrapper instead of ``preexec_fn``, which is unsafe once the parent has threads."""


@pytest.mark.slow
def test_ctrl_c_then_resume_gives_the_uninterrupted_table(tmp_path: Path) -> None:
    seed = 505
    # Slow runs only in the interrupted process (200 x 0.1 s on 2 workers: ~10 s, far
    # longer than it takes to see 8 results and send SIGINT, even on a loaded machine);
    # the resume and the reference run at full speed.
    n = 200
    spec = fn_spec(tmp_path, "slow", seed, n=n)
    out = tmp_path / "out"
    env = {**os.environ, "TRUSTSIM_TEST_SLOW": "0.1",
           "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT),
                                          os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-c", SIGINT_WRAPPER, "sweep", str(spec), "--out", str(out),
           "--workers", "2", "-q", ALLOW]
    # Its own session: a Ctrl-C typed at pytest does not reach it, only ours does.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        wait_for_run_files(proc, out, 8)
        assert proc.poll() is None, "the sweep ended before it was interrupted"
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    # The interrupt landed: the child had the default handler, and the sweep stopped early.
    assert err.startswith("sigint: default_int_handler\n"), err
    saved = len(list((out / "runs").glob("run_*.json")))
    assert 8 <= saved < n
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "--resume" in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"

    resumed = run_sweep(spec, out, workers=2, resume=True, progress=False, **CODE)
    assert resumed.executed == n - saved and resumed.complete
    counts = executions(seed)
    assert sorted(counts) == list(range(n))
    assert set(counts.values()) == {1}, "every run executed exactly once"

    use_log_dir(seed, tmp_path / "ref-log")  # the reference logs elsewhere
    ref = run_sweep(spec, tmp_path / "ref", workers=0, progress=False, **CODE)
    pd.testing.assert_frame_equal(resumed.results, ref.results)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), ref.results)


# -- the command line --------------------------------------------------------------------


def test_cli_exit_codes_and_messages(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = fn_spec(tmp_path, "det", 606, n=4)
    assert cli(["sweep", str(spec), "--out", str(tmp_path / "out"), "-w", "0", "-q", ALLOW]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out")

    assert cli(["sweep", str(spec), "--out", str(tmp_path / "out"), "-w", "0", "-q", ALLOW]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--resume" in err and err.count("\n") == 1

    bad = tmp_path / "bad.toml"
    bad.write_text(spec.read_text().replace('kind = "grid"', 'kind = "full"'))
    assert cli(["sweep", str(bad), "--out", str(tmp_path / "b"), "-w", "0"]) == 1
    err = capsys.readouterr().err
    assert "bad.toml: design.kind: unknown design" in err
    assert not (tmp_path / "b").exists()

    assert cli(["sweep", str(tmp_path / "missing.toml"), "-w", "0"]) == 1
    assert "file not found" in capsys.readouterr().err

    seed = 707
    flaky_spec = fn_spec(tmp_path, "flaky", seed, name="f.toml")
    fail_marker(seed).touch()
    f_out = str(tmp_path / "f")
    assert cli(["sweep", str(flaky_spec), "--out", f_out, "-w", "0", "-q", ALLOW]) == 1
    assert "2 of 12 runs failed" in capsys.readouterr().err
