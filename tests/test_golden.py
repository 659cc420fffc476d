"""Golden tables: small built-in runs reproduce their stored weekly tables bit for bit.

tests/golden/README.md says when and how to regenerate them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.golden.cases import CASES, GOLDEN_DIR, Case
from tests.golden.tables import (
    first_difference,
    parse_table,
    read_sidecar,
    render_csv,
    render_sidecar,
)

HINT = ("if this change is meant to alter behaviour, run `make golden` and say why in the "
        "commit message")

BY_NAME = {c.name: c for c in CASES}


def stored(case: Case) -> pd.DataFrame:
    """The golden table of ``case``, read back from its files."""
    if not case.csv_path.exists() or not case.sidecar_path.exists():
        pytest.fail(f"golden files of {case.name!r} are missing in {GOLDEN_DIR}; "
                    "run `make golden` to create them")
    return parse_table(case.csv_path.read_text(encoding="utf-8"),
                       case.sidecar_path.read_text(encoding="utf-8"))


def canonical(data: object) -> str:
    """JSON text that compares exactly (floats by repr, NaN included)."""
    return json.dumps(data, sort_keys=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fresh_run_reproduces_golden_table_exactly(case: Case):
    expected = stored(case)
    side = read_sidecar(case.sidecar_path)
    res = case.run()
    diff = first_difference(expected, res.weekly)
    assert diff is None, f"golden table {case.name}.csv changed: {diff}. {HINT}"
    fresh = json.loads(render_sidecar(res.weekly, res.summary, case.describe()))
    for part in ("case", "attrs", "summary"):
        if canonical(fresh[part]) != canonical(side[part]):
            keys = sorted(k for k in fresh[part].keys() | side[part].keys()
                          if canonical(fresh[part].get(k)) != canonical(side[part].get(k)))
            pytest.fail(f"golden {case.name}.json: {part} differs in {keys}: stored "
                        f"{ {k: side[part].get(k) for k in keys} }, fresh "
                        f"{ {k: fresh[part].get(k) for k in keys} }. {HINT}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_stored_text_round_trips_exactly(case: Case):
    text = case.csv_path.read_text(encoding="utf-8")
    assert render_csv(stored(case)) == text


def test_golden_folder_holds_exactly_the_cases():
    on_disk = {p.stem for p in GOLDEN_DIR.glob("*.csv")} | {
        p.stem for p in GOLDEN_DIR.glob("*.json")}
    assert on_disk == set(BY_NAME), "stale or missing golden files: run `make golden`"


def test_cases_exercise_every_mechanism():
    base = stored(BY_NAME["baseline"])
    assert base["complaints"].sum() > 0 and base["recommendations"].sum() > 0  # word of mouth
    assert base["churned"].sum() > 0  # hazard rule
    assert stored(BY_NAME["data_breach"])["incident_aware"].iloc[-1] > 0
    assert stored(BY_NAME["consent_first"])["opt_ins"].iloc[-1] > 0
    steps = np.diff(stored(BY_NAME["adaptive_backoff"])["level"].to_numpy())
    assert (steps > 0).any() and (steps < 0).any()  # escalates and backs off
    threshold = BY_NAME["threshold_rule"]
    assert threshold.all_overrides["churn.rule"] == "threshold"
    assert stored(threshold)["churned"].sum() > threshold.all_overrides["churn.initial_churned"]


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "week": np.array([0, 1, 2], dtype=np.int64),
        "x": np.array([0.1, np.nan, 0.0]),
        "name": pd.Series(["a", "b,\"c\"", ""], dtype="str"),
        "flag": np.array([True, False, True]),
    })


def test_format_round_trips_awkward_values():
    df = small_frame()
    df["x"] = [np.nextafter(0.1, 1.0), np.nan, -0.0]
    back = parse_table(render_csv(df), render_sidecar(df, {}, {}))
    assert first_difference(df, back) is None
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert np.signbit(back["x"].iloc[2])


def test_first_difference_reports_earliest_week_and_column():
    a = small_frame()
    assert first_difference(a, small_frame()) is None  # NaN equals NaN
    b = small_frame()
    b.loc[2, "x"] = -0.0
    assert "week 2" in first_difference(a, b) and "'x'" not in first_difference(a, b)
    assert "x: expected 0.0, got -0.0" in first_difference(a, b)
    b.loc[0, "x"] = np.nextafter(0.1, 1.0)
    assert first_difference(a, b).startswith("first difference at week 0 (row 0) in 1 column")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.assign(x=d["x"].astype("float32")), "column 'x': dtype differs"),
        (lambda d: d.iloc[:2], "row count differs"),
        (lambda d: d.drop(columns="flag"), "missing ['flag']"),
    ],
)
def test_first_difference_reports_shape_and_dtype_changes(change, words):
    assert words in first_difference(small_frame(), change(small_frame()))


def test_unsupported_columns_are_refused_by_name():
    df = small_frame().assign(cat=pd.Categorical(["u", "v", "u"]))
    with pytest.raises(TypeError, match="column 'cat'"):
        render_csv(df)
