"""``trustsim calibrate``: end to end at a tiny size, errors, and Ctrl-C with a resume hint."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main as cli
from tests.calibrate_toy import toy_data, toy_spec
from tests.helpers import ROOT

READY_WRAPPER = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal session
import sim.entry
print("ready", file=sys.stderr, flush=True)
sys.exit(sim.entry.main(sys.argv[1:]))
"""


def finished_trials(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return dict(con.execute("select state, count(*) from trials group by state"))
    except sqlite3.Error:  # the study's tables are still being created
        return {}


@pytest.mark.slow
def test_calibrate_end_to_end_writes_the_folder(tmp_path, capsys):
    spec, data = toy_spec(tmp_path, trials=4), toy_data(tmp_path)
    out = tmp_path / "cal"
    args = ["calibrate", str(spec), "--data", str(data), "--out", str(out), "--workers", "0",
            "--draws", "4"]
    assert cli(args) == 0
    printed = capsys.readouterr().out
    assert "Calibration of toy" in printed and "point estimate" in printed
    for name in ("best.toml", "posterior.parquet", "trace.csv", "identifiability.csv",
                 "predictive.csv", "observed.csv", "summary.md", "summary.json",
                 "calibration.json", "study.sqlite3"):
        assert (out / name).is_file(), name
    assert cli(["run", str(out / "best.toml"), "--out", str(tmp_path / "run"), "-q",
                "--no-figures"]) == 0
    # An existing folder is refused; --resume with more trials continues it.
    assert cli(args) == 1
    assert "exists" in capsys.readouterr().err
    assert cli([*args, "--resume", "--set", "optuna.trials=6", "-q"]) == 0
    assert finished_trials(out / "study.sqlite3") == {"COMPLETE": 6}


def test_bad_data_and_bad_options_exit_clearly(tmp_path, capsys):
    spec = toy_spec(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("week,purchases\n0,5\n1,oops\n")
    assert cli(["calibrate", str(spec), "--data", str(bad), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "bad.csv: line 3, column 'purchases': must be a number" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing written before the input is checked
    assert cli(["calibrate", str(spec), "--data", str(bad), "--method", "mcmc"]) == 2
    assert cli(["calibrate", str(spec), "--data", str(toy_data(tmp_path)), "--out",
                str(tmp_path / "o"), "--resume"]) == 1
    assert "holds no calibration to resume" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_keeps_trials_and_says_how_to_resume(tmp_path):
    spec, data = toy_spec(tmp_path, trials=500), toy_data(tmp_path)
    out = tmp_path / "cal"
    db = out / "study.sqlite3"
    cmd = [sys.executable, "-c", READY_WRAPPER, "calibrate", str(spec), "--data", str(data),
           "--out", str(out), "--workers", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stderr.readline() == "ready\n"
        deadline = time.monotonic() + 120
        while finished_trials(db).get("COMPLETE", 0) < 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the calibration ended before it was interrupted"
            time.sleep(0.05)
        assert proc.poll() is None
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "resume with: trustsim calibrate" in err and "--resume" in err
    states = finished_trials(db)
    kept = states.get("COMPLETE", 0)
    assert 3 <= kept < 500 and "RUNNING" not in states  # the interrupt landed mid-search
    assert not (out / "summary.md").exists()
    hint = err.split("resume with: ")[1].split()
    assert cli([*hint[1:], "--set", f"optuna.trials={kept + 1}", "--draws", "3", "-q"]) == 0
    assert finished_trials(db)["COMPLETE"] == kept + 1


def test_an_abc_error_is_one_clear_line(tmp_path, capsys, monkeypatch):
    import importlib

    from sim.calibrate.abc_state import AbcError

    run = importlib.import_module("sim.calibrate.run")  # sim.calibrate is also a function

    def fail(*_args, **_kwargs):
        raise AbcError("every simulation of the first batch failed: bad parameter")

    monkeypatch.setattr(run, "_abc", fail)
    spec, data = toy_spec(tmp_path), toy_data(tmp_path)
    code = cli(["calibrate", str(spec), "--data", str(data), "--out", str(tmp_path / "o"),
                "--method", "abc", "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == "error: every simulation of the first batch failed: bad parameter"
