"""Fuzz suite: malformed input at every entry point gets one clean error and leaves nothing.

Hypothesis drives malformed scenarios (one key given a bad value, or broken
bytes and TOML), market files, edge lists, sweep files and command-line
arguments through ``trustsim`` in this process (:func:`sim.cli.main`), and
checks what a user sees: exit code 1 (bad input) or 2 (bad usage), a message
that names the file and the key, no traceback, and no output folder left
behind. A few inputs also go through the installed console script in a
subprocess (marked slow), with a timeout (a hang) and a memory ceiling.

Every input tried is counted (:data:`COUNTS`); set ``TRUSTSIM_FUZZ_COUNTS`` to
a file name to have the counts written there as JSON at the end of the module.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from sim.cli import main
from tests.helpers import BASELINE, SCENARIOS
from tests.test_property import CHECKED, invalid_values

COUNTS: Counter[str] = Counter()
"""Inputs ``tried``, ``clean`` errors, ``traceback``s, ``hang``s, ``leftover`` folders."""

DENMARK = SCENARIOS / "markets" / "denmark_dsi2020.toml"
SWEEP = SCENARIOS / "sweeps" / "escalation_by_market.toml"


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    target = os.environ.get("TRUSTSIM_FUZZ_COUNTS")
    if target:
        Path(target).write_text(json.dumps(dict(COUNTS)) + "\n")


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    """A fresh temporary working folder (Hypothesis examples cannot share ``tmp_path``)."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        try:
            yield Path(d)
        finally:
            os.chdir(old)


def trustsim(argv: list[str]) -> tuple[int, str]:
    """Run ``trustsim`` in this process; return the exit code and stderr."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    except BaseException:  # a user would have seen a traceback
        COUNTS["tried"] += 1
        COUNTS["traceback"] += 1
        raise
    return code, err.getvalue()


def check_clean(code: int, err: str, *, names: tuple[str, ...] = (), work: Path | None = None,
                inputs: frozenset[str] = frozenset()) -> None:
    """Assert one clean refusal, counting the outcome.

    Args:
        code: Exit code.
        err: Standard error.
        names: Texts the message must contain (the file, the key).
        work: The working folder: nothing but ``inputs`` may be left in it.
        inputs: Names of the input files in ``work``.
    """
    COUNTS["tried"] += 1
    if "Traceback" in err:
        COUNTS["traceback"] += 1
    left = sorted(p.name for p in work.iterdir() if p.name not in inputs) if work else []
    if left:
        COUNTS["leftover"] += 1
    assert "Traceback" not in err, err
    assert code in (1, 2), (code, err)
    assert not left, f"left behind: {left}"
    for name in names:
        assert name in err, (name, err)
    COUNTS["clean"] += 1


def _toml(data: dict[str, Any]) -> str:
    return tomli_w.dumps(data)


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key (a number indexes a list; missing tables are created)."""
    *head, last = key.split(".")
    node: Any = data
    for part in head:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def write_changed(source: Path, name: str, key: str, value: Any) -> None:
    """Write ``source`` with one dotted key changed to ``name`` in the working folder."""
    data = tomllib.loads(source.read_text())
    _set(data, key, value)
    Path(name).write_text(_toml(data))


# --------------------------------------------------------------------------- scenarios

# TOML cannot hold None; a list of mixed types is fine.
TOML_VALUES = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                        st.text(max_size=10), st.booleans(), st.lists(st.integers(), max_size=2))


@st.composite
def bad_scenario_key(draw: st.DrawFn) -> tuple[str, Any]:
    """A schema key and a value the schema must refuse (TOML-representable)."""
    key = draw(st.sampled_from(CHECKED))
    value = draw(invalid_values(key).filter(lambda v: v is not None))
    return key, value


@given(bad_scenario_key())
def test_a_scenario_with_one_bad_value_is_refused_naming_file_and_key(case):
    key, value = case
    with _workdir() as work:
        data: dict[str, Any] = {"extends": str(BASELINE)}
        _set(data, key, value)
        Path("s.toml").write_text(_toml(data))
        for argv in (["validate", "s.toml"],
                     ["run", "s.toml", "--out", "out", "-q", "--no-figures"]):
            code, err = trustsim(argv)
            check_clean(code, err, names=("s.toml", key), work=work,
                        inputs=frozenset({"s.toml"}))


@given(st.one_of(
    st.binary(max_size=60).filter(lambda b: _not_toml(b)),
    st.text(max_size=60).map(str.encode).filter(lambda b: _not_toml(b)),
    st.builds(lambda k, v: f"{k} = {v}\n".encode(),
              st.sampled_from(["population", "run", "strategy.consent", "wom"]),
              st.sampled_from(["3", '"x"', "[1, 2]", "true"])),
    st.builds(lambda k: f"[{k}]\nx = 1\n".encode(),
              st.text(alphabet="abcdefghij_", min_size=1, max_size=8)),
    st.sampled_from([b'extends = "nowhere.toml"\n', b"extends = 3\n",
                     b'extends = "s.toml"\n', b"\xff\xfe[run]\n"]),
))
def test_a_broken_scenario_file_is_refused_naming_the_file(raw):
    with _workdir() as work:
        Path("s.toml").write_bytes(raw)
        code, err = trustsim(["run", "s.toml", "--out", "out", "-q", "--no-figures"])
        check_clean(code, err, names=("s.toml",), work=work, inputs=frozenset({"s.toml"}))


def _not_toml(raw: bytes) -> bool:
    """Whether ``raw`` is not a valid (and so possibly runnable) TOML document."""
    try:
        tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    return False


# --------------------------------------------------------------------------- markets

MARKET_KEYS = {
    "segments.pragmatist.share": st.one_of(st.floats(1.0001, 10), st.floats(-10, -0.001)),
    "segments.fundamentalist.threshold_offset": st.one_of(
        st.floats(10.001, 1e300), st.floats(-1e300, -10.001), st.just(float("inf"))),
    "segments.unconcerned.concern_offset": st.one_of(st.floats(10.001, 1e6),
                                                     st.just(float("nan"))),
    "segments.unconcerned.trust_offset": st.sampled_from(["high", [1.0], float("-inf")]),
    "targets.would_stop": st.one_of(st.floats(1.0, 1e9), st.floats(-1e9, 0.0)),
    "targets.reads_terms": st.sampled_from([0, 1, "x", float("nan")]),
    "fit.threshold_concentration": st.one_of(st.floats(1000.001, 1e300), st.just(0.0)),
}


@given(st.sampled_from(sorted(MARKET_KEYS)).flatmap(
    lambda k: st.tuples(st.just(k), MARKET_KEYS[k])))
def test_a_market_with_one_bad_value_is_refused_naming_file_and_key(case):
    key, value = case
    with _workdir() as work:
        write_changed(DENMARK, "m.toml", key, value)
        code, err = trustsim(["run", str(BASELINE), "--set", "population.market=m.toml",
                              "--out", "out", "-q"])
        check_clean(code, err, names=("m.toml", key), work=work, inputs=frozenset({"m.toml"}))


@given(st.lists(st.tuples(st.floats(0.01, 0.99), st.floats(0.01, 0.99)), min_size=2,
                max_size=4).filter(lambda pts: any(
                    y1 < y0 for (x0, y0), (x1, y1) in zip(sorted(pts), sorted(pts)[1:],
                                                            strict=False) if x1 > x0)))
def test_impossible_crossing_targets_are_refused(points):
    with _workdir() as work:
        data = tomllib.loads(DENMARK.read_text())
        data["targets"]["boundary_crossing"] = [{"intrusiveness": x, "share": y}
                                                for x, y in points]
        Path("m.toml").write_text(_toml(data))
        code, err = trustsim(["validate", str(BASELINE), "--set", "population.market=m.toml"])
        check_clean(code, err, names=("m.toml", "targets"), work=work,
                    inputs=frozenset({"m.toml"}))


# --------------------------------------------------------------------------- edge lists

EDGE_LINE = st.one_of(
    st.builds(lambda a, b: f"{a},{b}", st.integers(-5, 500), st.integers(-5, 500)),
    st.builds(lambda a, b: f"{a} {b}", st.integers(0, 99), st.integers(0, 99)),
    st.sampled_from(["12,1O", "0.5,1", "source,target", "a,b,c", "", "1", "1,2,3,4", "#",
                     "nan,1", "1e3,2", "-1,2", "99999999999999999999,1"]),
    st.text(max_size=12).filter(lambda s: "\n" not in s and "\r" not in s),
)


@given(st.lists(EDGE_LINE, max_size=8))
def test_edge_lists_are_read_or_refused_cleanly(lines):
    with _workdir() as work:
        Path("edges.csv").write_text("\n".join(lines) + "\n")
        code, err = trustsim(["validate", str(BASELINE), "--set", "network.kind=edgelist",
                              "--set", "network.path=edges.csv",
                              "--set", "population.size=100"])
        COUNTS["tried"] += 1
        assert "Traceback" not in err, err
        assert code in (0, 1), err
        if code == 1:
            assert "edges.csv" in err and "network.path" in err, err
            COUNTS["clean"] += 1
        else:
            COUNTS["accepted"] += 1
        assert sorted(p.name for p in work.iterdir()) == ["edges.csv"]


# --------------------------------------------------------------------------- sweep files

SWEEP_CHANGES = st.sampled_from([
    ("replicates", 0), ("replicates", -3), ("replicates", "five"), ("replicates", 10**12),
    ("seed", -1), ("seed", "x"), ("design.kind", "nope"), ("design", 3),
    ("kpis", ["no_such_kpi"]), ("kpis", "revenue"), ("base", "no_such_scenario"),
    ("factors.0.key", "no.such.key"), ("factors.0.values", []),
    ("factors.0.values", ["x", "y"]), ("factors.0.role", "boss"), ("name", 5),
    ("unknown_key", 1), ("factors", "all"),
])


@given(SWEEP_CHANGES)
def test_a_sweep_file_with_one_bad_value_is_refused_cleanly(change):
    key, value = change
    with _workdir() as work:
        write_changed(SWEEP, "sw.toml", key, value)
        code, err = trustsim(["sweep", "sw.toml", "--out", "out", "--workers", "0", "-q"])
        check_clean(code, err, names=("sw.toml",), work=work, inputs=frozenset({"sw.toml"}))


@given(st.binary(max_size=40).filter(_not_toml))
def test_a_sweep_file_that_is_not_toml_is_refused_cleanly(raw):
    with _workdir() as work:
        Path("sw.toml").write_bytes(raw)
        code, err = trustsim(["sweep", "sw.toml", "--out", "out", "--workers", "0", "-q"])
        check_clean(code, err, names=("sw.toml",), work=work, inputs=frozenset({"sw.toml"}))


# --------------------------------------------------------------------------- arguments

JUNK_ARGS = st.sampled_from([
    ["--seed", "-1"], ["--seed", "x"], ["--seed"], ["--replicate", "-2"], ["--bogus"],
    ["--set", "no.such.key=1"], ["--set", "noequals"], ["--set", "population.size=0"],
    ["--set", "run.weeks=1e9"], ["--out"], ["--jobs", "0"], ["--replicates", "0"],
    ["--confidence", "2"], ["missing.toml"], ["-q"], ["--no-figures"], ["--force"],
])
ALWAYS_BAD = st.sampled_from([["--set", "run.weeks=0"], ["--seed", "-5"], ["no_such.toml"],
                              ["--set", "strategy.consent.penalty=inf"]])


@given(st.sampled_from(["run", "compare", "validate", "markets", "report", "sweep",
                        "analyze", "nope"]),
       st.lists(JUNK_ARGS, max_size=4), ALWAYS_BAD, st.integers(0, 4))
def test_bad_command_lines_are_refused_cleanly(sub, junk, bad, where):
    args = [a for chunk in junk for a in chunk]
    args[min(where, len(args)):min(where, len(args))] = bad
    with _workdir() as work:
        code, err = trustsim([sub, *args])
        check_clean(code, err, work=work)


# --------------------------------------------------------------------------- subprocess


SUBPROCESS_CASES = [
    (b"name = \"caf\xe9\"\n", ["run", "s.toml", "--out", "o"], "not UTF-8 text"),
    (b"[wom]\npublic_reach = inf\n", ["run", "s.toml", "--out", "o"], "wom.public_reach"),
    (b"[strategy.consent]\npenalty = 1e39\n", ["validate", "s.toml"],
     "strategy.consent.penalty"),
    (b"[run]\nweeks = 1000000000\n", ["run", "s.toml", "--out", "o"], "run.weeks"),
    (b"[population]\ninitial_trust = 1.0\n", ["run", "s.toml", "--out", "o"],
     "population.initial_trust"),
    (b"", ["run", "s.toml", "--out", "x" * 300], "too long"),
    (b"", ["run", "s.toml", "--out", "/proc/no/out"], "not writable"),
    (b"", ["report", "nowhere"], "results folder not found"),
]


PEAK_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[2:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(peak))\n"
    "sys.exit(code)\n"
)
"""Runs a command as its only child and writes that child's peak RSS (KiB) to a file.

``RUSAGE_CHILDREN`` of the test process itself would report the largest child
any earlier test in the same worker waited for (a sweep, a notebook kernel)."""


@pytest.mark.slow
@pytest.mark.parametrize("raw, argv, expect", SUBPROCESS_CASES)
def test_the_console_script_refuses_cleanly_within_limits(tmp_path, raw, argv, expect):
    (tmp_path / "s.toml").write_bytes(raw)
    script = Path(sys.executable).with_name("trustsim")
    peak_file = tmp_path.parent / f"{tmp_path.name}.peak"
    try:
        proc = subprocess.run([sys.executable, "-c", PEAK_RSS_WRAPPER, str(peak_file),
                               str(script), *argv], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
    except subprocess.TimeoutExpired:
        COUNTS["tried"] += 1
        COUNTS["hang"] += 1
        raise
    rss_mb = int(peak_file.read_text()) / 1024
    check_clean(proc.returncode, proc.stderr, names=(expect,), work=tmp_path,
                inputs=frozenset({"s.toml"}))
    assert sum(expect in ln for ln in proc.stderr.splitlines()) == 1, proc.stderr  # one message
    assert rss_mb < 500, rss_mb
