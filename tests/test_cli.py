"""The ``trustsim`` command line end to end, in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import files
from sim.cli import main
from tests.helpers import BASELINE, QUICK, ROOT, as_set

SMALL = as_set(QUICK)
FIGURE_STEMS = ("customers_churn", "trust_by_segment", "crossing_complaints", "revenue", "network")


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run with the temporary folder as working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_run_writes_the_whole_folder_and_nothing_else(in_tmp, capsys):
    out = in_tmp / "out"
    assert main(["run", str(BASELINE), *SMALL, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "customers at the end" in text and "survey fit" in text
    assert f"results written to {out}/" in text
    files = _tree(out)
    for name in ("weekly.parquet", "weekly.csv", "consumers.parquet", "consumers.csv",
                 "survey.csv", "summary.json", "scenario.toml"):
        assert name in files
    for stem in FIGURE_STEMS:
        for ext in ("png", "svg"):
            f = out / "figures" / f"{stem}.{ext}"
            assert f.stat().st_size > 1000, f
    assert not [f for f in files if f.endswith(".tmp")], "temporary files left behind"
    assert _tree(in_tmp) == {"out"} | {f"out/{f}" for f in files}, "wrote outside --out"
    weekly = pd.read_parquet(out / "weekly.parquet")
    assert len(weekly) == 12 and weekly.attrs["scenario"] == "baseline"
    assert len(pd.read_csv(out / "consumers.csv")) == 1500
    assert (out / "figures" / "network.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_set_and_seed_overrides_are_applied(in_tmp, capsys):
    out = in_tmp / "o"
    rc = main(["run", "baseline", *SMALL, "--set", "strategy.transparency=0.7",
               "--seed", "7", "--replicate", "2", "--out", str(out), "--no-figures", "-q"])
    assert rc == 0
    assert capsys.readouterr().out.strip() == str(out)
    doc = json.loads((out / "summary.json").read_text())
    assert doc["summary"]["consumers"] == 1500 and doc["summary"]["weeks"] == 12
    assert doc["meta"]["seed"] == 7 and doc["meta"]["replicate"] == 2
    sc = sim.load_scenario(out / "scenario.toml")
    assert sc.strategy.transparency == 0.7
    assert sc.population.size == 1500 and sc.run.seed == 7 and sc.run.replicate == 2
    assert not (out / "figures").exists()


def test_resolved_scenario_reproduces_bit_identical_tables(in_tmp):
    first, second = in_tmp / "first", in_tmp / "second"
    extra = ["--set", "incidents.events=[{week = 4, severity = 0.6}]"]
    assert main(["run", "data_breach", *SMALL, *extra, "--out", str(first), "--no-figures",
                 "-q"]) == 0
    assert main(["run", str(first / "scenario.toml"), "--out", str(second), "--no-figures",
                 "-q"]) == 0
    for stem in ("weekly", "consumers"):
        a = pd.read_parquet(first / f"{stem}.parquet")
        b = pd.read_parquet(second / f"{stem}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert (first / f"{stem}.csv").read_bytes() == (second / f"{stem}.csv").read_bytes()
    assert (first / "scenario.toml").read_text() == (second / "scenario.toml").read_text()
    # and a library run of the resolved scenario gives the same table
    res = sim.run(sim.load_scenario(first / "scenario.toml"))
    pd.testing.assert_frame_equal(res.weekly, pd.read_parquet(first / "weekly.parquet"),
                                  check_exact=True)


def test_refuses_to_overwrite_unless_forced(in_tmp, capsys):
    out = in_tmp / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["run", "baseline", *SMALL, "--out", str(out), "--no-figures", "-q"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert _tree(out) == {"keep.txt"}
    assert main([*args, "--force"]) == 1  # not a folder trustsim wrote: never deleted
    assert "not a folder trustsim wrote" in capsys.readouterr().err
    assert _tree(out) == {"keep.txt"}
    (out / "keep.txt").unlink()
    assert main([*args, "--force"]) == 0  # an empty folder is filled
    assert (out / "weekly.parquet").is_file()
    assert main(args) == 1  # still refused without --force


def test_output_path_that_is_a_file_is_a_user_error(in_tmp, capsys):
    (in_tmp / "f").write_text("x")
    assert main(["run", "baseline", *SMALL, "--out", str(in_tmp / "f"), "-q"]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_default_output_folder(in_tmp, capsys):
    assert main(["run", "escalation_ramp", *SMALL, "--no-figures", "-q"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.parent == Path("results")
    assert printed.name.startswith("escalation_ramp-")
    assert (in_tmp / printed / "summary.json").is_file()
    # a second run in the same second gets a fresh folder, never the same one
    assert main(["run", "escalation_ramp", *SMALL, "--no-figures", "-q"]) == 0
    assert len(list((in_tmp / "results").iterdir())) == 2


def test_interrupt_exits_130_and_writes_nothing(in_tmp, capsys, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.results.run", interrupted)  # imports sim.results if not yet
    assert main(["run", "baseline", *SMALL, "--out", str(in_tmp / "o")]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (in_tmp / "o").exists()


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path):
    f = tmp_path / "table.csv"
    files.write_text(f, "old")

    def half_then_interrupt(p: Path) -> None:
        p.write_text("half a fi")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.write_with(f, half_then_interrupt)
    assert f.read_text() == "old"
    assert os.listdir(tmp_path) == ["table.csv"]
    files.write_with(f, lambda p: p.write_text("new"))
    assert f.read_text() == "new" and os.listdir(tmp_path) == ["table.csv"]


@pytest.mark.parametrize(
    "argv",
    [["--bogus"], ["run"], ["run", "baseline", "--seed", "-1"], ["compare", "a.toml"],
     ["compare", "a", "b", "--replicates", "0"], ["nosuchcommand"], []],
)
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", ["run", "compare", "validate", "markets", "report"])
def test_help_everywhere_with_examples(cmd, capsys):
    assert main([cmd, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"trustsim {cmd}" in text and "--quiet" in text


def test_top_level_help_and_version(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for cmd in ("run", "compare", "validate", "markets", "report", "exit codes"):
        assert cmd in text
    assert main(["--version"]) == 0
    assert "trustsim" in capsys.readouterr().out


def test_sweep_commands_are_wired_when_available(capsys):
    pytest.importorskip("sim.sweep.cli")
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "sweep" in text and "analyze" in text


def test_user_errors_exit_1_without_traceback(in_tmp, capsys):
    assert main(["run", "no_such_scenario.toml"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "file not found" in err and "Traceback" not in err
    assert main(["report", str(in_tmp / "missing")]) == 1
    assert "results folder not found" in capsys.readouterr().err
    (in_tmp / "empty").mkdir()
    assert main(["report", str(in_tmp / "empty")]) == 1
    assert "not a results folder" in capsys.readouterr().err


def test_markets_lists_targets_and_fitted_shares(capsys):
    assert main(["markets"]) == 0
    text = capsys.readouterr().out
    for name in sim.list_markets():
        assert name in text
    assert "Denmark (Dentsu DSI 2020)" in text
    assert "would_stop" in text and "77.0%" in text and "42.0%" in text
    assert "fundamentalist 23.0%" in text
    assert main(["markets", "global_dsi2020", "-q"]) == 0
    assert capsys.readouterr().out.split() == ["global_dsi2020"]
    assert main(["markets", "atlantis"]) == 1
    assert "unknown market" in capsys.readouterr().err


def test_validate_every_builtin_scenario(capsys):
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count("ok   ") == len(files)


@pytest.mark.slow
def test_report_rebuilds_figures_and_summary(in_tmp, capsys):
    out = in_tmp / "r"
    assert main(["run", "data_breach", *SMALL, "--set", "incidents.events.0.week=5",
                 "--out", str(out), "--no-figures", "-q"]) == 0
    before = json.loads((out / "summary.json").read_text())
    (out / "summary.json").unlink()
    assert main(["report", str(out)]) == 0
    assert "rebuilt" in capsys.readouterr().out
    after = json.loads((out / "summary.json").read_text())
    assert after == before
    for stem in FIGURE_STEMS:
        assert (out / "figures" / f"{stem}.png").is_file()
        assert (out / "figures" / f"{stem}.svg").is_file()


@pytest.mark.slow
def test_compare_command(in_tmp, capsys):
    out = in_tmp / "cmp"
    rc = main(["compare", "escalation_ramp", "transparent_brand", "-r", "2", *SMALL,
               "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "transparent_brand (B) vs escalation_ramp (A)" in text
    for word in ("retention", "revenue", "trust", "95% CI"):
        assert word in text
    for name in ("comparison.csv", "per_replicate.csv", "weekly.csv", "comparison.json",
                 "scenario_a.toml", "scenario_b.toml", "figures/compare.png",
                 "figures/compare.svg"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["metric"]) >= {"retention", "revenue_cumulative", "mean_trust"}
    assert (table["n"] == 2).all()
    assert main(["compare", "baseline", "baseline", "-r", "1", *SMALL, "--out", str(out),
                 "-q"]) == 1  # refuses the existing folder


@pytest.mark.slow
def test_console_script_exit_codes(tmp_path):
    exe = Path(sys.executable).with_name("trustsim")
    if not exe.is_file():
        pytest.skip("console script not installed")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nweeks = 0\n")
    proc = subprocess.run([str(exe), "validate", str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and "run.weeks" in proc.stderr and "Traceback" not in proc.stderr
