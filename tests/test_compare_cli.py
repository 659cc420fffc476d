"""``trustsim compare``: per-side overrides, attribution lines and ``--posterior``."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

import sim
from sim.cli import main
from tests.helpers import QUICK, as_set

PLAIN = [*as_set(QUICK), "--no-figures"]
SMALL = [*PLAIN, "--set", "incidents.events.0.week=4"]  # the built-in breach within the run


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_good_against_bad_handling_of_the_built_in_breach(in_tmp, capsys):
    out = in_tmp / "cmp"
    rc = main(["compare", "data_breach", "data_breach", "-r", "1", *SMALL,
               "--set-b", "incidents.events.0.responsible=true", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "abnormal churn, B's incidents against A's (from week 4)" in text
    assert "not costed alone" not in text
    assert sim.load_scenario(out / "scenario_b.toml").incidents.events[0].responsible is True
    assert sim.load_scenario(out / "scenario_a.toml").incidents.events[0].responsible is False
    saved = json.loads((out / "comparison.json").read_text())
    assert saved["differences"] == [{"key": "incidents.events.0.responsible", "a": False,
                                     "b": True}]
    assert saved["incident_cost"]["kind"] == "extra"


@pytest.mark.parametrize(("extra", "message"), [
    (["--set-a", "incidents.events.3.responsible=true"],
     "--set-a: incidents.events.3.responsible: incidents.events is a list of 1; item "
     "indices: 0 to 0"),
    (["--set-b", "trust.gain_rate=7"], "--set-b: trust.gain_rate:"),
    (["--set-b", "trust.gain_rat=0.1"], "did you mean 'trust.gain_rate'?"),
    (["--set-a", "trust.gain_rate"], "--set-a: trust.gain_rate: an override must look like"),
    (["--set", "trust.asymmetry=0"], "--set: trust.asymmetry:"),
])
def test_side_override_errors_name_the_flag_and_key(in_tmp, capsys, extra, message):
    rc = main(["compare", "data_breach", "data_breach", "-r", "1", *SMALL, *extra,
               "--out", str(in_tmp / "x")])
    assert rc == 1
    assert message in capsys.readouterr().err
    assert not (in_tmp / "x").exists()


def test_a_side_flag_wins_over_set_for_its_side(in_tmp):
    out = in_tmp / "cmp"
    assert main(["compare", "baseline", "baseline", "-r", "1", *PLAIN, "-q",
                 "--set", "strategy.transparency=0.5", "--set-a", "strategy.transparency=0.9",
                 "--out", str(out)]) == 0
    assert sim.load_scenario(out / "scenario_a.toml").strategy.transparency == 0.9
    assert sim.load_scenario(out / "scenario_b.toml").strategy.transparency == 0.5


def test_posterior_option(in_tmp, capsys, monkeypatch):
    post = in_tmp / "post.csv"
    post.write_text("trust.gain_rate,weight\n0.01,1\n0.03,1\n")
    out = in_tmp / "cmp"
    rc = main(["compare", "baseline", "baseline", "-r", "2", *PLAIN, "--posterior", str(post),
               "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "revenue: no difference in any of the 2 draws" in text
    draws = pd.read_csv(out / "draws.csv")
    assert list(draws.columns) == ["replicate", "draw", "trust.gain_rate"]
    assert json.loads((out / "comparison.json").read_text())["posterior"] == str(post)

    seen = {}

    def fake(*args, **kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["sim.compare"], "compare", fake)
    main(["compare", "baseline", "baseline", "--posterior", str(post), "--out", "y"])
    assert seen["replicates"] == 20  # the default with a posterior
    main(["compare", "baseline", "baseline", "--out", "z"])
    assert seen["replicates"] == 5 and seen["posterior"] is None


def test_bad_posterior_is_a_user_error(in_tmp, capsys):
    post = in_tmp / "post.csv"
    post.write_text("trust.gain_rate,weight\n0.01,-1\n")
    rc = main(["compare", "baseline", "baseline", *PLAIN, "--posterior", str(post),
               "--out", str(in_tmp / "x")])
    assert rc == 1
    err = capsys.readouterr().err
    assert f"{post}: weight: line 2: weights must be 0 or more (got -1.0)" in err
