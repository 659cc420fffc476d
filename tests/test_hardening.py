"""Hardening of the entry points (issue 11): bounded input, clean errors, whole folders.

One test (or a few) per defect: every numeric scenario key is bounded and
finite (item 4), impossible or badly fitted inputs are refused or warned about
(item 5), files that are not UTF-8 give one clean line (item 6), ``--force``
replaces a folder as a whole and ``report`` names missing files (item 8),
Ctrl-C while loading exits 130 quietly (item 10) and the output location is
checked before any work (item 11). The fuzz suite is ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import files
from sim.cli import main
from sim.errors import InputWarning, ScenarioError
from sim.markets import fit_market
from tests.helpers import BASELINE, QUICK, ROOT, as_set, check_invariants, write

SMALL = as_set(QUICK)
TINY = {"population.size": 200, "run.weeks": 2}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run with the temporary folder as working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


DENMARK = ROOT / "scenarios/markets/denmark_dsi2020.toml"
CROSSING = "boundary_crossing = [{ intrusiveness = 0.95, share = 0.42 }]"


def denmark_with(folder: Path, *changes: tuple[str, str]) -> Path:
    """The Denmark market file with text replacements, written to ``folder/m.toml``."""
    text = DENMARK.read_text()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return write(folder, "m.toml", text)


# --------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("key, value, allowed", [
    ("strategy.consent.penalty", 1e39, "less than or equal to 100"),
    ("strategy.consent.penalty", 1e300, "less than or equal to 100"),
    ("purchase.basket_value", 1e10, "less than or equal to 1000000000"),
    ("wom.public_reach", 1e8, "less than or equal to 20000000"),
    ("run.replicate", 2**40, "less than or equal to 2147483647"),
    ("strategy.escalation.cooldown", 10**6, "less than or equal to 5200"),
    ("network.blocks", 10**9, "less than or equal to 100000"),
])
def test_each_numeric_key_has_an_upper_bound(key, value, allowed):
    with pytest.raises(ScenarioError) as exc:
        sim.load_scenario(BASELINE, overrides={key: value})
    assert key in str(exc.value) and allowed in str(exc.value)


@pytest.mark.parametrize("key", ["strategy.consent.penalty", "purchase.basket_value",
                                 "wom.public_reach", "population.initial_trust",
                                 "trust.gain_rate"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_no_infinity_or_nan_anywhere(key, value):
    with pytest.raises(ScenarioError) as exc:
        sim.load_scenario(BASELINE, overrides={key: value})
    assert key in str(exc.value)


def test_infinity_in_a_scenario_file_is_refused_with_file_and_key(tmp_path):
    f = write(tmp_path, "s.toml", f'extends = "{BASELINE}"\n[wom]\npublic_reach = inf\n')
    with pytest.raises(ScenarioError) as exc:
        sim.load_scenario(f)
    assert str(f) in str(exc.value) and "wom.public_reach" in str(exc.value)
    assert "finite" in str(exc.value)


@pytest.mark.parametrize("trust", [5e-324, 0.9999999999999999])
def test_initial_trust_at_the_edge_of_its_range_runs(trust):
    sc = sim.load_scenario(BASELINE, overrides={"population.initial_trust": trust, **TINY})
    res = sim.run(sc)
    check_invariants(res)
    assert res.consumers["trust"].between(0, 1).all()


def test_largest_penalty_and_basket_value_run_to_finite_kpis():
    sc = sim.load_scenario(BASELINE, overrides={
        "strategy.consent.penalty": 100.0, "purchase.basket_value": 1e9,
        "wom.public_reach": 20_000_000.0, **TINY})
    res = sim.run(sc)
    check_invariants(res)
    assert all(pd.notna(v) for v in res.summary.values())


def test_market_offset_beyond_its_range_is_refused_with_key_and_range(tmp_path):
    f = denmark_with(tmp_path, ("threshold_offset = 3.0", "threshold_offset = 40"))
    with pytest.raises(ScenarioError) as exc:
        fit_market(str(f))
    msg = str(exc.value)
    assert str(f) in msg and "segments.unconcerned.threshold_offset" in msg
    assert "less than or equal to 10" in msg


def test_market_offsets_at_the_ends_of_their_range_run(tmp_path):
    f = denmark_with(tmp_path, ("threshold_offset = 3.0", "threshold_offset = 10"),
                     ("threshold_offset = -1.5", "threshold_offset = -10"),
                     ("trust_offset = 0.3", "trust_offset = 10"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        sc = sim.load_scenario(BASELINE, overrides={"population.market": str(f), **TINY})
        check_invariants(sim.run(sc))


# --------------------------------------------------------------------------- item 5


def test_impossible_crossing_targets_are_refused(tmp_path):
    falling = ("boundary_crossing = [{ intrusiveness = 0.5, share = 0.9 }, "
               "{ intrusiveness = 0.95, share = 0.1 }]")
    f = denmark_with(tmp_path, (CROSSING, falling))
    with pytest.raises(ScenarioError) as exc:
        fit_market(str(f))
    msg = str(exc.value)
    assert str(f) in msg and "targets" in msg and "boundary_crossing" in msg
    assert "must not fall as intrusiveness rises" in msg


def test_a_fit_that_misses_a_target_is_warned_about(tmp_path):
    # Possible as a CDF, but not for segments this far apart at this concentration.
    steep = ("boundary_crossing = [{ intrusiveness = 0.3, share = 0.05 }, "
             "{ intrusiveness = 0.31, share = 0.95 }]")
    f = denmark_with(tmp_path, (CROSSING, steep))
    with pytest.warns(InputWarning, match=r"targets\.boundary_crossing@0\.3.*0\.5 points"):
        fit_market(str(f))


def test_the_shipped_markets_fit_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        for name in sim.list_markets():
            fit_market(name)


def test_an_incident_after_the_last_week_is_warned_about(tmp_path, capsys):
    f = write(tmp_path, "s.toml", f'extends = "{BASELINE}"\n[run]\nweeks = 10\n'
              "[incidents]\nevents = [{ week = 10, severity = 0.5 }]\n")
    with pytest.warns(InputWarning, match=r"incidents\.events\[0\]\.week.*after the last week"):
        sim.load_scenario(f)
    assert main(["validate", str(f)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and str(f) in err and "incidents.events[0].week" in err


def test_an_incident_in_the_last_week_is_not_warned_about(tmp_path):
    f = write(tmp_path, "s.toml", f'extends = "{BASELINE}"\n[run]\nweeks = 10\n'
              "[incidents]\nevents = [{ week = 9, severity = 0.5 }]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        sim.load_scenario(f)


def test_an_empty_scenario_file_is_warned_about(tmp_path, capsys):
    f = write(tmp_path, "empty.toml", "")
    with pytest.warns(InputWarning, match="empty"):
        sim.load_scenario(f)
    assert main(["validate", str(f)]) == 0
    out, err = capsys.readouterr()
    assert f"ok   {f}" in out
    assert f"warning: {f}: the file sets no keys (it is empty)" in err


# --------------------------------------------------------------------------- item 6

LATIN1 = "name = \"caf\xe9\"\n".encode("latin-1")  # byte 11 (from 0) is 0xe9, not UTF-8


def _one_clean_line(err: str, file: Path) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and "UnicodeDecodeError" not in err
    assert any(str(file) in ln and "not UTF-8 text" in ln and "byte 11" in ln for ln in lines)


def test_a_scenario_that_is_not_utf8_is_one_clean_error(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_bytes(LATIN1)
    assert main(["run", str(f), "-q", "--out", str(tmp_path / "o")]) == 1
    _one_clean_line(capsys.readouterr().err, f)
    assert not (tmp_path / "o").exists()


def test_an_extends_parent_that_is_not_utf8_is_one_clean_error(tmp_path, capsys):
    parent = tmp_path / "parent.toml"
    parent.write_bytes(LATIN1)
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n')
    assert main(["validate", str(child)]) == 1
    _one_clean_line(capsys.readouterr().err, parent)


def test_a_market_file_that_is_not_utf8_is_one_clean_error(tmp_path, capsys):
    m = tmp_path / "m.toml"
    m.write_bytes(LATIN1)
    assert main(["validate", str(BASELINE), "--set", f"population.market={m}"]) == 1
    _one_clean_line(capsys.readouterr().err, m)


def test_a_sweep_file_that_is_not_utf8_is_one_clean_error(tmp_path):
    from sim.sweep import load_spec

    f = tmp_path / "sw.toml"
    f.write_bytes(LATIN1)
    with pytest.raises(ScenarioError) as exc:
        load_spec(f)
    assert str(exc.value) == f"{f}: not UTF-8 text (byte 11: 0xe9)"


# --------------------------------------------------------------------------- item 8


def _run(out: Path, *extra: str) -> int:
    return main(["run", "baseline", *SMALL, "--out", str(out), "--no-figures", "-q", *extra])


def test_force_replaces_the_folder_as_a_whole(in_tmp):
    out = in_tmp / "out"
    assert _run(out, "--seed", "1") == 0
    (out / "figures").mkdir()
    (out / "figures" / "old.png").write_bytes(b"x")
    assert _run(out, "--seed", "2", "--force") == 0
    assert not (out / "figures").exists()  # nothing of the old run is left
    assert sim.load_scenario(out / "scenario.toml").run.seed == 2
    assert sorted(p.name for p in in_tmp.iterdir()) == ["out"]  # no staging folder left


def test_a_crash_during_a_forced_rewrite_leaves_the_old_folder_whole(in_tmp, monkeypatch):
    from sim.app import run_folder

    out = in_tmp / "out"
    assert _run(out, "--seed", "1") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def crash(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_folder, "write_json", crash)  # after the tables are written
    assert _run(out, "--seed", "2", "--force") == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in in_tmp.iterdir()) == ["out"]


def test_force_does_not_replace_a_folder_trustsim_did_not_write(in_tmp, capsys):
    out = in_tmp / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert _run(out, "--force") == 1
    err = capsys.readouterr().err
    assert "not a folder trustsim wrote" in err and "scenario.toml" in err
    assert (out / "thesis.tex").read_text() == "years of work"


def test_force_fills_an_empty_folder(in_tmp):
    (in_tmp / "empty").mkdir()
    assert _run(in_tmp / "empty", "--force") == 0
    assert (in_tmp / "empty" / "survey.csv").is_file()


def test_force_fills_the_empty_current_folder_but_never_replaces_it(in_tmp, capsys):
    assert _run(Path("."), "--force") == 0
    assert (in_tmp / "scenario.toml").is_file() and Path.cwd() == in_tmp
    assert _run(Path("."), "--force") == 1
    assert "holds the current folder" in capsys.readouterr().err
    assert (in_tmp / "survey.csv").is_file()


@pytest.mark.parametrize("gone", ["survey.csv", "scenario.toml", "weekly"])
def test_report_names_the_missing_file(in_tmp, capsys, gone):
    out = in_tmp / "out"
    assert _run(out) == 0
    for p in out.glob(f"{gone}*"):
        p.unlink()
    capsys.readouterr()
    assert main(["report", str(out)]) == 1
    err = capsys.readouterr().err
    assert "missing" in err and gone in err and "Traceback" not in err
    assert not (out / "figures").exists()  # nothing written


def test_orphaned_tmp_files_are_cleaned_at_the_next_write(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_SWEPT", set())
    old = tmp_path / ".summary.json.0123456789ab.tmp"
    young = tmp_path / ".weekly.csv.ba9876543210.tmp"  # maybe another process's write
    mine = tmp_path / ".notes.txt.tmp"  # not one of ours
    for f in (old, young, mine):
        f.write_text("half")
    stale = time.time() - files.ORPHAN_AGE - 10
    os.utime(old, (stale, stale))
    os.utime(mine, (stale, stale))
    files.write_text(tmp_path / "a.txt", "x")
    assert not old.exists() and young.exists() and mine.exists()


# --------------------------------------------------------------------------- item 11


def test_a_too_long_out_fails_before_the_run(in_tmp, capsys, monkeypatch):
    import sim.results

    def must_not_run(*_a, **_k):
        raise AssertionError("the simulation ran before the output location was checked")

    monkeypatch.setattr(sim.results, "run", must_not_run)
    assert main(["run", "baseline", *SMALL, "-q", "--out", "x" * 300]) == 1
    err = capsys.readouterr().err
    assert "too long" in err and "at most 255" in err
    assert main(["run", "baseline", *SMALL, "-q", "--out", "/proc/trustsim/out"]) == 1
    assert "not writable" in capsys.readouterr().err
    assert list(in_tmp.iterdir()) == []


def test_a_long_run_name_gets_a_shortened_folder(in_tmp, capsys):
    name = "n" * 300
    assert main(["run", "baseline", *SMALL, "-q", "--no-figures", "--set", f"name={name}"]) == 0
    (folder,) = (in_tmp / "results").iterdir()
    assert folder.name.startswith("n" * 100 + "-") and len(folder.name) < 130


# --------------------------------------------------------------------------- item 10


def _wait_until_loading(proc: subprocess.Popen, fragment: str = "numpy",
                        timeout: float = 60) -> None:
    """Wait until the child has mapped a library of ``fragment`` (its heavy imports began).

    A fixed sleep is not enough on a loaded machine: the signal can land before Python
    has even imported ``sim.entry``, where no program can catch it.
    """
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the child ended before its heavy imports began"
        try:
            if fragment in maps.read_text():
                return
        except OSError:
            pass
        time.sleep(0.005)
    pytest.fail(f"the child never mapped {fragment} in {timeout} s")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("delay", [0.0, 0.2, 0.6])
def test_ctrl_c_while_loading_exits_130_quietly(tmp_path, delay):
    script = Path(sys.executable).with_name("trustsim")
    # The child resets SIGINT to its default disposition and execs the console script.
    wrapper = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "os.execv(sys.argv[1], sys.argv[1:])")
    proc = subprocess.Popen(
        # a run long enough (300,000 consumers, five years) that no delay outlasts it
        [sys.executable, "-c", wrapper, str(script), "run", "baseline", "--out",
         str(tmp_path / "o"), "-q", "--no-figures", "--set", "population.size=300000",
         "--set", "run.weeks=260"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_loading(proc)  # inside the guarded imports (sim.cli imports numpy)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # the interrupt landed, and was handled
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert not (tmp_path / "o").exists()
