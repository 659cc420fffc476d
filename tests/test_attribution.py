"""Attribution (``sim.attribution``, ``trustsim explain``).

Shares that add up, zeros where a mechanism does nothing, draws that stay put,
reproducibility, and the command line.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.attribution import measure, shapley, switched_off
from sim.attribution_text import BACKGROUND, OUTCOMES, TOTAL, rounded_to_total, shown_values
from sim.cli import main
from sim.rng import Streams
from sim.switches import MECHANISMS
from tests.helpers import BASELINE, SCENARIOS

TINY = {"population.size": 500, "run.weeks": 10}
"""Small enough for 32 runs in about a second."""
BREACH = {"population.size": 600, "run.weeks": 12, "incidents.events.0.week": 4}
"""The data breach, small, with the breach early enough to matter."""


@pytest.fixture(scope="module")
def breach() -> sim.Attribution:
    return sim.attribution(SCENARIOS / "data_breach.toml", overrides=BREACH)


def parts(att: sim.Attribution, outcome: str) -> tuple[list[float], float, float]:
    t = att.table
    shares = t.loc[t["status"] == "on", outcome].to_list()
    background = float(t.loc[t["status"] == BACKGROUND, outcome].iloc[0])
    total = float(t.loc[t["status"] == TOTAL, outcome].iloc[0])
    return shares, background, total


# --------------------------------------------------------------------------- Shapley


def test_shapley_known_answer_and_null_player() -> None:
    # v(none)=0, v({a})=1, v({b})=2, v({a,b})=6: a gets (1 + 4)/2, b gets (2 + 5)/2
    assert shapley({0: 0.0, 1: 1.0, 2: 2.0, 3: 6.0}, 2) == [2.5, 3.5]
    # a third player that changes nothing gets exactly zero
    v = {m: float(m & 3) ** 2 for m in range(8)}
    assert shapley(v, 3)[2] == 0.0


def test_shapley_adds_up_exactly_in_rationals() -> None:
    rng = np.random.default_rng(5)
    v = {m: float(x) for m, x in enumerate(rng.random(1 << 6))}
    phi = shapley(v, 6)
    assert sum(Fraction(p) for p in phi) == pytest.approx(v[63] - v[0], abs=1e-15)
    assert math.fsum(phi) == pytest.approx(v[63] - v[0], abs=1e-15)


def test_rounded_shares_add_up_to_the_rounded_total() -> None:
    assert rounded_to_total([1.4, 1.4, 1.2], 4.0, 1.0) == [2.0, 1.0, 1.0]
    assert rounded_to_total([-0.25, 0.75], 0.5, 0.1) == pytest.approx([-0.2, 0.7])
    rng = np.random.default_rng(1)
    for _ in range(200):
        values = list(rng.normal(0, 0.05, size=6))
        total = math.fsum(values)
        got = rounded_to_total(values, total, 0.0001)
        assert round(sum(got) / 0.0001) == round(total / 0.0001)
        assert all(abs(g - v) < 0.0001 + 1e-12 for g, v in zip(got, values, strict=True))


# --------------------------------------------------------------------------- the split


def test_shares_and_background_add_up_to_the_total(breach: sim.Attribution) -> None:
    assert breach.mechanisms == list(MECHANISMS)  # all five act in the breach
    assert len(breach.runs) == 2 ** 5
    for outcome in OUTCOMES:
        shares, background, total = parts(breach, outcome)
        assert math.fsum([*shares, background]) == pytest.approx(total, abs=1e-12)
        shown = shown_values(breach.table, outcome)
        on = [v for v, s in zip(shown, breach.table["status"], strict=True)
              if s in ("on", BACKGROUND)]
        assert round(math.fsum(on), 6) == round(shown[-1], 6)  # as printed, too


def test_total_is_the_scenario_as_it_is(breach: sim.Attribution) -> None:
    res = sim.run(breach.scenario)
    assert parts(breach, "churn")[2] == res.summary["churn_rate"]
    model = sim.TrustModel(breach.scenario)
    model.setup()
    start = float(np.mean(model.population.trust, dtype=np.float64))
    assert parts(breach, "trust_loss")[2] == pytest.approx(start - res.summary["mean_trust"],
                                                          abs=1e-9)


def test_switch_off_effect_is_read_from_the_runs(breach: sim.Attribution) -> None:
    runs = breach.runs
    full = runs[runs[breach.mechanisms].all(axis=1)]["churn"].iloc[0]
    for name in breach.mechanisms:
        others = [m for m in breach.mechanisms if m != name]
        alone_off = runs[runs[others].all(axis=1) & ~runs[name]]["churn"].iloc[0]
        row = breach.table[breach.table["mechanism"] == name].iloc[0]
        assert row["churn_if_off"] == alone_off - full
    incidents = breach.table.set_index("mechanism").loc["incidents"]
    assert incidents["churn"] > 0 and incidents["churn_if_off"] < 0  # the breach costs churn


def test_a_mechanism_off_in_the_scenario_gets_zero_and_is_not_run() -> None:
    att = sim.attribution(BASELINE, overrides={**TINY, "wom.enabled": False})
    row = att.table.set_index("mechanism").loc["wom"]
    assert row["status"] == "off in scenario"
    assert row["churn"] == 0.0 and row["trust_loss"] == 0.0 and row["churn_if_off"] == 0.0
    assert "wom" not in att.mechanisms and "wom" not in att.runs.columns
    assert "incidents" in att.inactive  # the baseline has none
    assert len(att.runs) == 2 ** len(att.mechanisms)


def test_a_mechanism_that_changes_nothing_gets_exactly_zero() -> None:
    # baseline: interest level = the consent gate, so no one's consent is violated
    att = sim.attribution(BASELINE, overrides=TINY)
    assert "consent" in att.mechanisms
    row = att.table.set_index("mechanism").loc["consent"]
    for outcome in OUTCOMES:
        assert row[outcome] == 0.0 and row[f"{outcome}_if_off"] == 0.0


def test_switching_off_incidents_without_incidents_changes_nothing() -> None:
    sc = sim.load_scenario(BASELINE, TINY)
    assert measure(switched_off(sc, ["incidents"])) == measure(sc)
    a = sim.run(sc).weekly
    b = sim.run(switched_off(sc, ["incidents"])).weekly
    pd.testing.assert_frame_equal(a, b)


def test_no_ad_crosses_the_line_when_crossings_are_off() -> None:
    sc = sim.load_scenario(BASELINE, {**TINY, "strategy.escalation.level": "personal"})
    on, off = sim.run(sc).weekly, sim.run(switched_off(sc, ["crossings"])).weekly
    assert on["crossed"].sum() > 0 and off["crossed"].sum() == 0
    assert off["complaints"].sum() == 0
    assert on["reached"].iloc[0] == off["reached"].iloc[0]  # the same exposure draws


STREAMS_OF = {"crossings": set(), "wom": {"wom"}, "incidents": {"incidents"},
              "contagion": set(), "consent": set()}
"""The random streams a mechanism's switch may stop drawing from (its own)."""
LABELS = {"churn_cause"}
"""Streams that only label what happened (a leaver's cause, drawn in weeks when several
causes act), so they follow the outcome; they never feed back into any outcome."""


def test_switching_one_mechanism_off_leaves_the_other_draws_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log: dict[tuple[str, int], bytes] = {}
    real = Streams.bits

    def logged(self: Streams, name: str, week: int, n: int, k: int = 1) -> np.ndarray:
        out = real(self, name, week, n, k)
        log[(name, week)] = out.tobytes()
        return out

    monkeypatch.setattr(Streams, "bits", logged)
    sc = sim.load_scenario(SCENARIOS / "data_breach.toml", BREACH)
    measure(sc)
    full = dict(log)
    assert {"exposure", "perception", "wom", "incidents", "churn"} <= {s for s, _ in full}
    for name, own in STREAMS_OF.items():
        log.clear()
        measure(switched_off(sc, [name]))
        kept = {key for key in full if key[0] not in own | LABELS}
        assert kept <= set(log), f"{name}: draws of other streams went missing"
        assert all(log[key] == full[key] for key in kept), f"{name}: other draws changed"
        assert {k for k in log if k[0] not in LABELS} <= set(full), f"{name}: new draws appeared"


def test_reproducible(breach: sim.Attribution) -> None:
    again = sim.attribution(SCENARIOS / "data_breach.toml", overrides=BREACH)
    pd.testing.assert_frame_equal(breach.table, again.table)
    pd.testing.assert_frame_equal(breach.runs, again.runs)
    assert sim.explain is sim.attribution


def test_an_executor_gives_the_same_split() -> None:
    from concurrent.futures import ThreadPoolExecutor

    kw = {"overrides": TINY, "mechanisms": ["crossings", "wom"]}
    with ThreadPoolExecutor(2) as pool:
        parallel = sim.attribution(BASELINE, executor=pool, **kw)
    pd.testing.assert_frame_equal(parallel.table, sim.attribution(BASELINE, **kw).table)


def test_replicates_give_intervals_around_the_mean() -> None:
    att = sim.attribution(BASELINE, overrides=TINY, mechanisms=["crossings", "wom"],
                          replicates=2)
    assert sorted(att.runs["replicate"].unique()) == [0, 1]
    t = att.table.set_index("mechanism")
    for name in ("crossings", "wom", BACKGROUND, TOTAL):
        assert t.loc[name, "churn_low"] <= t.loc[name, "churn"] <= t.loc[name, "churn_high"]
    shares, background, total = parts(att, "churn")
    assert math.fsum([*shares, background]) == pytest.approx(total, abs=1e-12)
    assert "contagion" not in t.index  # not chosen: stays on, in the background
    one = sim.attribution(BASELINE, overrides=TINY, mechanisms="crossings,wom")
    assert (att.runs[att.runs["replicate"] == 0].drop(columns="replicate").reset_index(drop=True)
            .equals(one.runs.drop(columns="replicate")))


def test_adaptive_escalation_is_flagged() -> None:
    att = sim.attribution(SCENARIOS / "adaptive_backoff.toml", overrides=TINY,
                          mechanisms=["wom"])
    assert "adaptive escalation reads complaints" in att.format_table()
    assert not sim.attribution(BASELINE, overrides=TINY, mechanisms=["wom"]).notes


def test_bad_input_is_named() -> None:
    hint = r"mechanisms: unknown mechanism; did you mean 'wom'\? \(got 'wmo'\)"
    with pytest.raises(sim.ScenarioError, match=hint):
        sim.attribution(BASELINE, overrides=TINY, mechanisms=["wmo"])
    with pytest.raises(sim.ScenarioError, match="replicates"):
        sim.attribution(BASELINE, overrides=TINY, replicates=0)
    with pytest.raises(sim.ScenarioError, match=r"population\.siz"):
        sim.attribution(BASELINE, overrides={"population.siz": 10})


# --------------------------------------------------------------------------- text and CLI


SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def test_table_in_plain_words(breach: sim.Attribution) -> None:
    text = breach.format_table()
    for m in MECHANISMS.values():
        assert m.label in text
    assert "background (none of these)" in text and " pp" in text
    assert not SCIENTIFIC.search(text)
    total_line = next(line for line in text.splitlines() if line.strip().startswith("total"))
    assert f"{100 * parts(breach, 'churn')[2]:+.2f} pp" in total_line
    seg = breach.format_table([f"trust_loss_{s}" for s in ("fundamentalist", "unconcerned")],
                              if_off=False)
    assert "Median trust loss by privacy segment" in seg and "unconcerned" in seg
    assert "if off alone" not in seg
    with pytest.raises(sim.ScenarioError, match="outcome"):
        breach.format_table(["churm"])


def test_cli_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "baseline", "--size", "500", "--set", "run.weeks=10", "--seed", "4",
                 "--segments", "--mechanisms", "crossings,wom"])
    out = capsys.readouterr().out
    assert code == 0
    assert "baseline (500 consumers, 10 weeks, seed 4)" in out
    assert "ads crossing the line" in out and "word of mouth" in out
    assert "churn contagion" not in out  # not chosen
    assert "Median trust loss by privacy segment" in out and "pragmatists" in out
    assert not SCIENTIFIC.search(out)


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["--set", "population.siz=10"], 1, "error: --set: population.siz"),
    (["--mechanisms", "crossings,nope"], 1, "unknown mechanism; allowed:"),
    (["--mechanisms", ","], 1, "names no mechanism"),
    (["--size", "0"], 2, "must be at least 1"),
    (["--replicates", "x"], 2, "must be a whole number"),
])
def test_cli_errors(argv: list[str], code: int, message: str,
                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "baseline", "--size", "300", *argv]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_cli_missing_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "no_such_scenario"]) == 1
    assert "error:" in capsys.readouterr().err


def test_cli_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "why"
    argv = ["explain", "baseline", "--size", "400", "--set", "run.weeks=8",
            "--mechanisms", "wom", "--out", str(out), "--no-figures", "-q"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == str(out)
    for name in ("attribution.csv", "runs.csv", "attribution.json", "attribution.txt",
                 "scenario.toml"):
        assert (out / name).is_file()
    meta = json.loads((out / "attribution.json").read_text())
    assert meta["mechanisms"]["wom"]["status"] == "on"
    assert len(pd.read_csv(out / "runs.csv")) == 2
    assert main(argv) == 1  # exists: refused before any run
    assert "already exists" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0


@pytest.mark.slow
def test_figure_is_drawn(tmp_path: Path, breach: sim.Attribution) -> None:
    from sim.app.attribution_folder import write_attribution

    written = write_attribution(breach, tmp_path / "fig")
    assert (tmp_path / "fig" / "figures" / "attribution.png").stat().st_size > 10_000
    assert any(p.suffix == ".svg" for p in written)


def test_negative_numbers_are_worded_from_the_totals(breach: sim.Attribution) -> None:
    import dataclasses

    from sim.attribution_figure import fig_attribution

    t = breach.table.copy()
    on = t["status"] == "on"
    assert on[t["mechanism"] == "wom"].all() and on[t["mechanism"] == "incidents"].all()
    t.loc[on, ["churn", "trust_loss"]] = 0.0
    by = t.set_index("mechanism")
    by.loc["wom", "churn"], by.loc["incidents", ["churn", "trust_loss"]] = -0.0003, 0.01
    by.loc["incidents", "churn"] = 0.02
    by.loc[BACKGROUND, ["churn", "trust_loss"]] = [0.05, -0.05]
    by.loc[TOTAL, ["churn", "trust_loss"]] = [0.0697, -0.04]
    att = dataclasses.replace(breach, table=by.reset_index())
    text = att.format_table()
    assert text.startswith("Why customers left and trust rose: data_breach")
    assert "Mean trust loss is negative: trust rose over the run" in text
    assert "The background mean trust loss is negative (-0.050)" in text
    assert "A negative share (word of mouth -0.03 pp of churn): on balance" in text
    assert "abnormal churn" in text and "just before it" in text
    fig = fig_attribution(att)
    assert "trust rose" in fig.get_suptitle()
    assert fig.axes[1].get_title().endswith("total -0.040 (negative: trust rose)")
    caption = fig.get_supxlabel()
    assert "word of mouth -0.03 pp of churn" in caption.replace("\n", " ")
    assert "green, left of 0" in caption.replace("\n", " ")
    wom_bar = fig.axes[0].patches[list(t["mechanism"][t["status"] != TOTAL]).index("wom")]
    assert wom_bar.get_width() < 0 and wom_bar.get_facecolor()[1] > 0.5  # green, to the left
    assert breach.format_table().startswith("Why customers left and trust fell")
