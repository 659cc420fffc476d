"""Every kind of bad input gives one clear message: file, key path, bad value, what is allowed.

Each case is checked twice: through the library (:func:`sim.cli.check_scenario`
raises :class:`sim.ScenarioError`) and through ``trustsim validate`` (exit
code 1, the message on stderr, no traceback).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.cli import check_scenario, main
from tests.helpers import BASELINE, write

# name -> (scenario text, extra files {name: text}, substrings the message must contain)
CASES: dict[str, tuple[str, dict[str, str], list[str]]] = {
    "unknown key": (
        "[population]\nsizee = 10\n", {},
        ["bad.toml", "population.sizee", "unknown key"],
    ),
    "unknown top-level section": (
        "[populaton]\nsize = 10\n", {},
        ["bad.toml", "populaton", "unknown key"],
    ),
    "wrong type": (
        '[population]\nsize = "big"\n', {},
        ["bad.toml", "population.size", "must be a whole number", "'big'"],
    ),
    "out of range": (
        "[strategy]\nreach = 1.5\n", {},
        ["bad.toml", "strategy.reach", "less than or equal to 1", "1.5"],
    ),
    "unknown market": (
        '[population]\nmarket = "atlantis"\n', {},
        ["bad.toml", "population.market", "unknown market", "denmark_dsi2020", "'atlantis'"],
    ),
    "unknown network kind": (
        '[network]\nkind = "ring"\n', {},
        ["bad.toml", "network.kind", "must be one of", "watts_strogatz", "'ring'"],
    ),
    "missing edge-list file": (
        '[network]\nkind = "edgelist"\npath = "nope.csv"\n', {},
        ["bad.toml", "network.path", "edge-list file not found"],
    ),
    "malformed edge-list file": (
        '[network]\nkind = "edgelist"\npath = "edges.csv"\n', {"edges.csv": "0 1\n1 2 3\n"},
        ["edges.csv", "network.path", "line 2", "two node ids", "1 2 3"],
    ),
    "edge-list node out of range": (
        '[population]\nsize = 10\n[network]\nkind = "edgelist"\npath = "edges.csv"\n',
        {"edges.csv": "0 1\n1 99\n"},
        ["edges.csv", "network.path", "99", "out of range"],
    ),
    "unknown ladder level": (
        '[strategy.escalation]\nlevel = "psychic"\n', {},
        ["bad.toml", "strategy.escalation.level", "unknown ladder level", "generic", "'psychic'"],
    ),
    "missing extends parent": (
        'extends = "nope.toml"\n', {},
        ["bad.toml", "extends", "parent file not found", "nope.toml"],
    ),
    "bad TOML": (
        "[population]\nsize = = 3\n", {},
        ["bad.toml", "not valid TOML", "line 2"],
    ),
    "edgelist without path": (
        '[network]\nkind = "edgelist"\n', {},
        ["bad.toml", "network", "needs network.path"],
    ),
}


def _write(tmp_path: Path, text: str, extra: dict[str, str]) -> Path:
    for name, body in extra.items():
        write(tmp_path, name, body)
    return write(tmp_path, "bad.toml", text)


@pytest.mark.parametrize("case", list(CASES))
def test_library_message(case, tmp_path):
    text, extra, expected = CASES[case]
    f = _write(tmp_path, text, extra)
    with pytest.raises(sim.ScenarioError) as info:
        check_scenario(f)
    msg = str(info.value)
    for part in expected:
        assert part in msg, f"{case}: {part!r} missing from {msg!r}"


@pytest.mark.parametrize("case", list(CASES))
def test_cli_validate_message(case, tmp_path, capsys):
    text, extra, expected = CASES[case]
    f = _write(tmp_path, text, extra)
    assert main(["validate", str(f)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"FAIL {f}" in err
    for part in expected:
        assert part in err, f"{case}: {part!r} missing from {err!r}"


def test_bad_set_syntax_library():
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(BASELINE,
                          overrides=["population.size"])
    assert "population.size" in str(info.value)
    assert "key.path=value" in str(info.value)


@pytest.mark.parametrize("bad", ["population.size", "=3"])
def test_bad_set_syntax_cli(bad, tmp_path, capsys):
    rc = main(["run", "baseline", "--set", bad, "--out", str(tmp_path / "out"), "-q"])
    assert rc == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "key.path=value" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_set_value_checked_like_the_file(capsys, tmp_path):
    rc = main(["run", "baseline", "--set", "strategy.transparency=2", "--out",
               str(tmp_path / "o")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "strategy.transparency" in err and "less than or equal to 1" in err and "2" in err
    assert "--set: strategy.transparency" in err  # blamed on the override, not the file
    f = BASELINE
    assert main(["validate", str(f), "--set", "run.weeks=x"]) == 1
    assert "--set: run.weeks: must be a whole number (got 'x')" in capsys.readouterr().err


def test_every_problem_listed_at_once(tmp_path, capsys):
    f = tmp_path / "many.toml"
    f.write_text('[population]\nsize = 0\n[run]\nweeks = "a"\n[network]\nkind = "ring"\n')
    assert main(["validate", str(f)]) == 1
    err = capsys.readouterr().err
    for key in ("population.size", "run.weeks", "network.kind"):
        assert key in err


def test_validate_mixed_files(tmp_path, capsys):
    good = BASELINE
    bad = tmp_path / "bad.toml"
    bad.write_text("[strategy]\nreach = -1\n")
    assert main(["validate", str(good), str(bad)]) == 1
    cap = capsys.readouterr()
    assert f"ok   {good}" in cap.out
    assert f"FAIL {bad}" in cap.err
    assert "1 of 2 file(s) invalid" in cap.err
    assert main(["validate", str(good)]) == 0
