"""Sweeps under attack and accident: no code from data, no debris, no orphans, clean errors.

Issue 11, sweep part: a sweep file's ``[model] function`` runs only when the
user allows it (item 12); a bad ``--scheduler`` is refused before the folder
exists (item 7); killing the parent leaves no worker (item 3); a damaged
sweep folder gives one clear message naming the file (item 9); Ctrl-C at any
moment exits 130 quietly (item 10).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.sweep import SweepError, analyze_sweep, load_spec, run_sweep, store
from tests.helpers import ROOT, cli, wait_for_run_files

HERE = Path(__file__).resolve().parent


def sweep_cli(args: list[str], cwd: Path, pythonpath: list[Path] = (), timeout: float = 120,
              ) -> subprocess.CompletedProcess:
    """``python -m sim.sweep ARGS`` in ``cwd`` (a fresh interpreter, as a user runs it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return subprocess.run([sys.executable, "-m", "sim.sweep", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def function_sweep(folder: Path, ref: str, name: str = "fn.toml") -> Path:
    """A two-point grid sweep of the function ``ref`` over ``x``."""
    p = folder / name
    p.write_text(f"""
name = "fn"
seed = 5
kpis = ["y"]
[model]
function = "{ref}"
[design]
kind = "grid"
[[factors]]
key = "x"
role = "uncertainty"
range = [0.0, 1.0]
steps = 2
""")
    return p


def ishigami_sweep(folder: Path, steps: int = 2) -> Path:
    """A small grid sweep of the built-in Ishigami function (no flag needed)."""
    p = function_sweep(folder, "sim.sweep.runners:ishigami", "ish.toml")
    p.write_text(p.read_text().replace('key = "x"', 'key = "x1"')
                 .replace("steps = 2", f"steps = {steps}")
                 + '[[factors]]\nkey = "x2"\nrole = "uncertainty"\nvalues = [0.0, 1.0]\n'
                 + '[[factors]]\nkey = "x3"\nrole = "uncertainty"\nvalues = [0.0]\n')
    return p


def one_line_error(err: str) -> str:
    """The single ``error:`` line of a clean failure (no traceback)."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


# -- item 12: code from data ---------------------------------------------------------------

EVIL = """
from pathlib import Path
Path({marker!r}).write_text("imported")

def f(task):
    Path({marker!r}).write_text("ran")
    return {{"y": 1.0}}
"""


@pytest.fixture
def evil_cwd(tmp_path: Path) -> tuple[Path, Path]:
    """A working folder holding ``evil.py`` (which writes a marker) and a sweep naming it."""
    work = tmp_path / "work"
    work.mkdir()
    marker = tmp_path / "MARKER"
    (work / "evil.py").write_text(EVIL.format(marker=str(marker)))
    function_sweep(work, "evil:f")
    return work, marker


def test_a_sweep_file_runs_no_code_without_the_flag(evil_cwd: tuple[Path, Path]) -> None:
    work, marker = evil_cwd
    # Loading and validating the file imports nothing.
    spec = load_spec(work / "fn.toml")
    assert spec.model == "evil:f" and not marker.exists()
    # Running it from the command line without the flag: a clear refusal, no folder.
    proc = sweep_cli(["sweep", "fn.toml", "--out", "out", "-w", "0"], cwd=work)
    assert proc.returncode == 1
    line = one_line_error(proc.stderr)
    assert "fn.toml" in line and "model.function = 'evil:f'" in line
    assert "names Python code" in line and "--allow-model-code" in line
    assert not marker.exists() and not (work / "out").exists()
    # From Python too.
    with pytest.raises(SweepError, match="allow_model_code=True"):
        run_sweep(spec, work / "out2", workers=0, progress=False)
    assert not marker.exists() and not (work / "out2").exists()


def test_the_current_folder_is_never_searched_for_model_code(
    evil_cwd: tuple[Path, Path],
) -> None:
    work, marker = evil_cwd
    proc = sweep_cli(["sweep", "fn.toml", "--out", "out", "-w", "0", "--allow-model-code"],
                     cwd=work)
    assert proc.returncode == 1
    line = one_line_error(proc.stderr)
    assert "cannot use it: ModuleNotFoundError" in line and "current folder" in line
    assert not marker.exists() and not (work / "out").exists()


def test_allowed_model_code_on_the_python_path_runs(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "mymodel.py").write_text("def f(task):\n    return {'y': 2 * task.values['x']}\n")
    work = tmp_path / "work"
    work.mkdir()
    function_sweep(work, "mymodel:f")
    proc = sweep_cli(["sweep", "fn.toml", "--out", "out", "-w", "0", "--allow-model-code",
                      "-q"], cwd=work, pythonpath=[lib])
    assert proc.returncode == 0, proc.stderr
    assert pd.read_parquet(work / "out" / "results.parquet")["y"].tolist() == [0.0, 2.0]


def test_a_builtin_function_needs_no_flag(tmp_path: Path) -> None:
    res = run_sweep(ishigami_sweep(tmp_path), tmp_path / "out", workers=0, progress=False)
    assert res.complete and len(res.results) == 4


def test_an_allowed_function_that_cannot_be_imported_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_model.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for ref, needle in [("broken_model:f", "RuntimeError: boom at import"),
                        ("sim.sweep.runners:nope", "AttributeError")]:
        spec = load_spec(function_sweep(tmp_path, ref))
        out = tmp_path / "out"
        with pytest.raises(SweepError) as info:
            run_sweep(spec, out, workers=0, progress=False, allow_model_code=True)
        assert needle in str(info.value) and "fn.toml" in str(info.value)
        assert not out.exists()


# -- item 3: killing the sweep's process leaves no worker ----------------------------------


def slow_y(task) -> dict[str, float]:
    """``y = x`` after a pause of ``$TRUSTSIM_TEST_SLOW`` seconds (imported by workers)."""
    time.sleep(float(os.environ.get("TRUSTSIM_TEST_SLOW", "0")))
    return {"y": float(task.values["x"])}


def _stat(pid: int) -> tuple[int, str] | None:
    """``(parent pid, state)`` of a process, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0]


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (children, their children, ...)."""
    parents = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and (st := _stat(int(d.name))) is not None:
            parents[int(d.name)] = st[0]
    found, frontier = set(), {root}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def running(pids: set[int]) -> set[int]:
    """Those of ``pids`` that still run (zombies have ended)."""
    return {p for p in pids if (st := _stat(p)) is not None and st[1] not in "ZX"}


@pytest.mark.slow
def test_killing_the_sweep_leaves_no_worker_running(tmp_path: Path) -> None:
    from tests.test_sweep_execute import SIGINT_WRAPPER

    spec = function_sweep(tmp_path, "test_sweep_hardening:slow_y")
    spec.write_text(spec.read_text().replace("steps = 2", "steps = 400"))
    out = tmp_path / "out"
    env = {**os.environ, "TRUSTSIM_TEST_SLOW": "0.05",
           "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    cmd = [sys.executable, "-c", SIGINT_WRAPPER, "sweep", str(spec), "--out", str(out),
           "--workers", "2", "-q", "--allow-model-code", "--chunk-size", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    workers: set[int] = set()
    try:
        wait_for_run_files(proc, out, 4)
        assert proc.poll() is None, "the sweep ended before it was killed"
        workers = descendants(proc.pid)
        # the workers really exist: two pool processes (and the forkserver, the tracker)
        assert len(running(workers)) >= 3, workers
        proc.kill()
        assert proc.wait(timeout=10) == -signal.SIGKILL  # the kill landed
        deadline = time.monotonic() + 10
        while running(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running(workers) == set(), "workers outlived the sweep's process"
    finally:
        for pid in running(workers):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
    # nothing writes into the folder any more, and it no longer claims to be running
    saved = len(list((out / "runs").glob("run_*.json")))
    assert 4 <= saved < 400
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    with pytest.raises(SweepError, match=r"no results\.parquet yet \(it was interrupted\)"):
        analyze_sweep(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and "killed" in manifest["note"]
    assert len(list((out / "runs").glob("run_*.json"))) == saved


def test_a_folder_whose_process_still_runs_is_not_resumed_under_it(tmp_path: Path) -> None:
    spec = ishigami_sweep(tmp_path)
    out = tmp_path / "out"
    run_sweep(spec, out, workers=0, progress=False)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store.write_manifest(out, status="running", pid=other.pid, host=socket.gethostname())
        with pytest.raises(SweepError, match=rf"being run by process {other.pid}"):
            run_sweep(spec, out, workers=0, progress=False, resume=True)
        with pytest.raises(SweepError, match="still running"):
            analyze_sweep(out)
    finally:
        other.kill()
        other.wait()
    done = run_sweep(spec, out, workers=0, progress=False, resume=True)
    assert done.complete and done.executed == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


# -- item 7: a failed start leaves nothing behind ------------------------------------------


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["--scheduler", "tcp://127.0.0.1:1"], 1, "cannot reach the Dask scheduler at tcp://"),
    (["--scheduler", "not a url"], 2, "'not a url' is not a Dask scheduler address"),
    (["--scheduler", "tcp://host:99999"], 2, "is not a Dask scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], 2, "--workers is for local runs"),
])
def test_a_bad_scheduler_is_refused_before_the_folder_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], code: int, needle: str
) -> None:
    if code == 1:
        pytest.importorskip("distributed")
    spec = function_sweep(tmp_path, "sim.sweep.runners:ishigami")
    out = tmp_path / "out"
    assert cli(["sweep", str(spec), "--out", str(out), *args]) == code
    line = one_line_error(capsys.readouterr().err)
    assert needle in line
    assert not out.exists()


def test_a_bad_scheduler_in_the_environment_names_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTSIM_SCHEDULER", "not a url")
    spec = function_sweep(tmp_path, "sim.sweep.runners:ishigami")
    assert cli(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    assert "$TRUSTSIM_SCHEDULER: 'not a url'" in one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


# -- item 9: a damaged sweep folder --------------------------------------------------------


def truncate(path: Path) -> None:
    """Cut a file to a third of its size, as a crash or a full disk would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.fixture
def finished(tmp_path: Path):
    """A finished small sweep (with weekly tables), its spec file and its results."""
    spec = ishigami_sweep(tmp_path, steps=3)
    out = tmp_path / "out"
    res = run_sweep(spec, out, workers=0, progress=False, runner=_with_weekly, weekly=True)
    return spec, out, res.results


def _with_weekly(task):
    """Ishigami with a one-row weekly table (so the folder has weekly files)."""
    import pandas as pd

    from sim.sweep.runners import RunOutput, ishigami

    return RunOutput(ishigami(task), pd.DataFrame({"week": [0], "y": [1.0]}))


@pytest.mark.parametrize(("name", "how"), [
    ("results.parquet", "--resume rebuilds it from the run files"),
    ("design.parquet", "--resume rebuilds it from the sweep file"),
    ("spec.json", "--resume rewrites it"),
])
def test_a_damaged_file_is_named_and_resume_repairs_it(
    finished, capsys: pytest.CaptureFixture, name: str, how: str
) -> None:
    spec, out, results = finished
    truncate(out / name)
    assert cli(["analyze", str(out), "--no-figures"]) == 1
    line = one_line_error(capsys.readouterr().err)
    assert line.startswith(f"error: {out / name} is damaged") and how in line
    assert f"trustsim sweep SPEC --out {out} --resume" in line
    again = run_sweep(spec, out, workers=0, progress=False, resume=True,
                      runner=_with_weekly, weekly=True)
    assert again.executed == 0 and again.complete
    assert again.repaired == ([] if name == "results.parquet" else [name])
    pd.testing.assert_frame_equal(again.results, results)
    assert cli(["analyze", str(out), "--no-figures", "-q"]) == 0


@pytest.mark.parametrize("name", ["run_000004.json", "run_000004.weekly.parquet"])
def test_a_damaged_run_file_is_run_again(finished, name: str) -> None:
    spec, out, results = finished
    truncate(out / "runs" / name)
    again = run_sweep(spec, out, workers=0, progress=False, resume=True,
                      runner=_with_weekly, weekly=True)
    assert again.executed == 1 and again.complete
    pd.testing.assert_frame_equal(again.results, results)


def test_a_damaged_manifest_is_rebuilt_when_the_spec_shows_the_same_sweep(
    finished, capsys: pytest.CaptureFixture,
) -> None:
    spec, out, _ = finished
    truncate(out / "manifest.json")
    assert cli(["sweep", str(spec), "--out", str(out), "--resume", "-w", "0", "-q"]) == 0
    assert "repaired manifest.json" in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


# -- item 10: Ctrl-C at any moment ---------------------------------------------------------

READY_WRAPPER = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal session
import sim.entry  # the console script's light entry module: nothing heavy is loaded yet
print("ready", file=sys.stderr, flush=True)
sys.exit(sim.entry.main(sys.argv[1:]))
"""
"""Runs ``trustsim sweep ...`` (the console script's entry) with SIGINT's default handler.

It says ``ready`` before the command line and its libraries load, so the
shortest delays land in the imports."""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.2, 0.7, 1.5, 3.0, 6.0])
def test_ctrl_c_at_any_moment_exits_130_quietly(tmp_path: Path, delay: float) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the whole process group, workers included.

    The delays after the imports fall in argument parsing and spec loading,
    the design and the folder, the start of the forkserver and of the
    workers, and the runs.
    """
    spec = function_sweep(tmp_path, "test_sweep_hardening:slow_y")
    spec.write_text(spec.read_text().replace("steps = 2", "steps = 300"))
    out = tmp_path / "out"
    env = {**os.environ, "TRUSTSIM_TEST_SLOW": "0.05",
           "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    cmd = [sys.executable, "-c", READY_WRAPPER, "sweep", str(spec), "--out", str(out),
           "--workers", "2", "-q", "--allow-model-code"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    family: set[int] = set()
    try:
        assert proc.stderr.readline() == "ready\n"
        end = time.monotonic() + delay
        while time.monotonic() < end:
            family |= descendants(proc.pid)
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it was interrupted"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err
    deadline = time.monotonic() + 10
    while running(family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(family) == set()


# -- also measured: counting the runs of a killed worker -----------------------------------


@pytest.mark.slow
def test_runs_saved_by_a_worker_that_died_count_as_done(tmp_path: Path) -> None:
    """Point 3 kills its worker mid-chunk: runs 0-2 were saved and are not run again."""
    from tests.test_sweep_execute import CODE, executions, fn_spec

    res = run_sweep(fn_spec(tmp_path, "crashy", 212, n=8), tmp_path / "out", workers=1,
                    chunk_size=4, progress=False, **CODE)
    assert res.failures["run_id"].tolist() == [3]
    assert res.results["run_id"].tolist() == [0, 1, 2, 4, 5, 6, 7]
    assert res.executed == 8, "every run done in this invocation is counted once"
    assert all(executions(212)[i] == 1 for i in (0, 1, 2))


# -- also measured: a Dask sweep left without workers --------------------------------------


@pytest.mark.slow
def test_a_dask_sweep_without_workers_says_so_and_stops_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    import _thread
    import logging
    import threading

    from sim.sweep import SweepInterrupted, execute
    from tests.test_sweep_execute import CODE, fn_spec

    monkeypatch.setattr(execute, "NO_WORKER_WARN_S", 1.0)
    monkeypatch.setattr(execute, "POLL_S", 0.2)
    monkeypatch.setenv("TRUSTSIM_TEST_SLOW", "0.1")
    notes: list[str] = []
    warned = threading.Event()

    def note(self, message: str) -> None:
        notes.append(message)
        warned.set()

    monkeypatch.setattr(execute._Session, "note", note)
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        def lose_the_worker() -> None:
            deadline = time.monotonic() + 120
            while len(list((out / "runs").glob("run_*.json"))) < 3:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.05)
            cluster.scale(0)  # the last worker goes, none replaces it
            warned.wait(60)  # without the message the test still ends (and fails below)
            _thread.interrupt_main()  # Ctrl-C

        helper = threading.Thread(target=lose_the_worker, daemon=True)
        helper.start()
        with pytest.raises(SweepInterrupted) as info:
            run_sweep(fn_spec(tmp_path, "slow", 313, n=200), out,
                      scheduler=cluster.scheduler_address, progress=False, **CODE)
        helper.join(10)
    assert len(notes) == 1 and notes[0].startswith("no Dask worker for ")
    assert "waiting for one to join" in notes[0] and "--resume" in notes[0]
    assert 3 <= info.value.done < 200 and "--resume" in str(info.value)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


# -- also measured: an overhead figure that sees waiting runs ------------------------------


def test_cpu_time_of_runs_is_recorded_beside_their_wall_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that waits (as for another thread's lock) is busy by wall time, idle by CPU time."""
    from tests.test_sweep_execute import CODE, fn_spec

    monkeypatch.setenv("TRUSTSIM_TEST_SLOW", "0.05")
    res = run_sweep(fn_spec(tmp_path, "slow", 414, n=4), tmp_path / "out", workers=0,
                    progress=False, **CODE)
    timings = pd.read_parquet(tmp_path / "out" / "timings.parquet")
    assert list(timings.columns) == ["run_id", "elapsed_s", "cpu_s", "worker"]
    assert (timings["elapsed_s"] >= 0.05).all()
    assert (timings["cpu_s"] < timings["elapsed_s"] / 2).all()
    assert res.cpu_s == pytest.approx(timings["cpu_s"].sum())
    assert res.cpu_overhead > res.overhead
