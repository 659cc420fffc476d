"""Sweeps under attack and accident: no code from data, no debris, no orphans, clean errors.

Issue 11, sweep part: a sweep file's ``[model] function`` runs only when the
user allows it (item 12); a bad ``--scheduler`` is refused before the folder
exists (item 7); killing the parent leaves no worker (item 3); a damaged
sweep folder gives one clear message naming the file (item 9); Ctrl-C at any
moment exits 130 quietly (item 10).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.sweep import SweepError, load_spec, run_sweep

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
    import pandas as pd

    assert pd.read_parquet(work / "out" / "results.parquet")["y"].tolist() == [0.0, 2.0]


def test_a_builtin_function_needs_no_flag(tmp_path: Path) -> None:
    p = function_sweep(tmp_path, "sim.sweep.runners:ishigami")
    p.write_text(p.read_text().replace('key = "x"', 'key = "x1"').replace('["y"]', '["y"]')
                 + '[[factors]]\nkey = "x2"\nrole = "uncertainty"\nvalues = [0.0]\n'
                 + '[[factors]]\nkey = "x3"\nrole = "uncertainty"\nvalues = [0.0]\n')
    res = run_sweep(p, tmp_path / "out", workers=0, progress=False)
    assert res.complete and len(res.results) == 2


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
