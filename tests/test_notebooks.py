"""The strategist notebooks: committed clean, and each runs end to end at small sizes.

Every notebook in ``notebooks/`` is executed with papermill in a temporary
folder, with small sizes passed through its ``parameters`` cell and its
``output_dir`` pointed at a temporary folder. A test fails on any error in a
cell, on a missing figure, on a file written outside ``output_dir``, or when
the key results the notebook records in ``<output_dir>/answer.json`` are
missing or implausible.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

import sim
from tests.helpers import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

LEVELS = ["generic", "demographic", "interest", "behavioural", "personal"]

# Small sizes for each notebook (papermill parameters), chosen so that the
# whole file runs in about two minutes on two cores.
SIZES: dict[str, dict[str, object]] = {
    "01_quickstart": {"population": 2000, "replicates": 2},
    "02_personalised_or_personal": {
        "population": 2000, "replicates": 2, "workers": 1,
        "value_levels": [0.0, 1.0], "transparency_levels": [0.0, 1.0],
    },
    "03_data_breach_and_word_of_mouth": {
        "population": 2000, "replicates": 2, "network_replicates": 1,
    },
    "04_sensitivity": {"population": 2000, "samples": 4, "replicates": 1, "workers": 1},
    "05_calibrate_your_market": {"population": 2000, "replicates": 2},
    "06_fit_to_your_brand": {"population": 1000, "replicates": 1, "trials": 12, "draws": 8,
                             "decision_draws": 6, "workers": 0},
}

# Figures each notebook must save into <output_dir>/figures.
FIGURES: dict[str, set[str]] = {
    "01_quickstart": {"customers_churn", "trust_by_segment", "revenue", "compare"},
    "02_personalised_or_personal": {"peak_at_current_levers", "peak_by_value_and_transparency",
                                    "revenue_vs_escalation"},
    "03_data_breach_and_word_of_mouth": {"breach_badly_vs_well", "news_and_exits",
                                         "stated_vs_revealed", "network_structure",
                                         "network_breach"},
    "04_sensitivity": {"best_level_share", "sobol_three_outcomes", "best_level_by_assumption"},
    "05_calibrate_your_market": {"fitted_thresholds", "escalation_both_markets"},
    "06_fit_to_your_brand": {"recovery", "predictive", "decision"},
}


def _parameters(nb: nbformat.NotebookNode) -> dict[str, object]:
    cell = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in cell.metadata.get("tags", []), "first code cell must be tagged"
    names: dict[str, object] = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds assignments only"
        for target in node.targets:
            assert isinstance(target, ast.Name)
            names[target.id] = ast.literal_eval(node.value)
    return names


def test_every_notebook_is_known():
    assert {p.stem for p in NOTEBOOKS} == set(SIZES) == set(FIGURES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    """An nbstripout-equivalent check, plus the shape every notebook shares."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs"
            assert cell.execution_count is None, f"cell {i} has an execution count"
    assert "papermill" not in nb.metadata, "an executed notebook was committed"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "question" in nb.cells[0].source.lower()
    params = _parameters(nb)
    assert "population" in params and "output_dir" in params
    assert str(params["output_dir"]).startswith("results/notebooks/")
    assert set(SIZES[path.stem]) <= set(params), "test sizes must be notebook parameters"
    assert any(c.cell_type == "markdown" and "The answer" in c.source for c in nb.cells)


def _execute(path: Path, tmp_path: Path) -> tuple[nbformat.NotebookNode, Path, dict]:
    papermill = pytest.importorskip("papermill")
    cwd = tmp_path / "cwd"
    out = tmp_path / "out"
    cwd.mkdir()
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(path), str(executed), parameters={**SIZES[path.stem], "output_dir": str(out)},
        cwd=str(cwd), kernel_name="python3", progress_bar=False, log_output=False,
    )
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    assert not any(cwd.iterdir()), "the notebook wrote outside its output folder"
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before
    saved = {p.stem for p in (out / "figures").glob("*.png")}
    assert FIGURES[path.stem] <= saved
    shown = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                for o in c.outputs)
    assert shown >= len(FIGURES[path.stem])
    answer = json.loads((out / "answer.json").read_text())
    # The answer is written in words from the numbers, as the notebook's last output.
    in_words = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if "text/markdown" in o.get("data", {})]
    assert in_words, "the notebook must end with its answer in words"
    return nb, out, answer


@pytest.mark.slow
def test_01_quickstart(tmp_path):
    _, _, a = _execute(NOTEBOOK_DIR / "01_quickstart.ipynb", tmp_path)
    assert 0.5 < a["baseline"]["retention"] <= 1.0
    assert a["baseline"]["revenue_cumulative"] > 0
    assert (a["old_value"], a["new_value"]) == ("interest", "behavioural")
    # Behavioural ads cross far more lines than interest ads: revenue and trust fall.
    assert a["revenue_diff"] < 0 and a["trust_diff"] < 0
    assert a["revenue_verdict"] == "lower"


@pytest.mark.slow
def test_02_personalised_or_personal(tmp_path):
    _, _, a = _execute(NOTEBOOK_DIR / "02_personalised_or_personal.ipynb", tmp_path)
    assert a["levels"] == LEVELS
    assert a["peak_level"] in LEVELS[1:3]
    rev = a["revenue_by_level"]
    assert rev[-1] < 0.8 * max(rev), "personal content costs far more than it earns"
    assert a["crossed_by_level"] == sorted(a["crossed_by_level"])
    assert len(a["peaks"]) == 3 * 2  # value exchange {0, 0.5, 1} x transparency {0, 1}
    best = max(a["peaks"], key=lambda r: (r["value exchange"], r["transparency"]))
    worst = min(a["peaks"], key=lambda r: (r["value exchange"], r["transparency"]))
    assert LEVELS.index(best["peak level"]) >= LEVELS.index(worst["peak level"])
    assert best["revenue at peak"] > worst["revenue at peak"]


@pytest.mark.slow
def test_03_data_breach_and_word_of_mouth(tmp_path):
    _, _, a = _execute(NOTEBOOK_DIR / "03_data_breach_and_word_of_mouth.ipynb", tmp_path)
    bad, good = a["abnormal_churn_badly"]["mean"], a["abnormal_churn_well"]["mean"]
    assert 0.01 < bad < 0.10
    assert 0 <= good < bad / 2
    assert abs(a["stated_would_stop"] - 0.77) < 0.05
    assert 0 < a["acted_among_aware_would_stop"] < 0.25
    assert len(a["networks"]) == 3 * 2  # three structures x loud/quiet media


@pytest.mark.slow
def test_04_sensitivity(tmp_path):
    _, out, a = _execute(NOTEBOOK_DIR / "04_sensitivity.ipynb", tmp_path)
    assert a["base_best"] in a["levels"]
    assert a["worlds"] == 4 * (7 + 2)
    assert abs(sum(a["share_best"].values()) - 1) < 1e-9
    assert len(a["ST_best_level"]) == len(a["ST_revenue"]) == 7
    assert set(a["changes_recommendation"]).isdisjoint(a["does_not_change"])
    assert (out / "sobol_indices.csv").is_file()


@pytest.mark.slow
def test_05_calibrate_your_market(tmp_path):
    _, out, a = _execute(NOTEBOOK_DIR / "05_calibrate_your_market.ipynb", tmp_path)
    market_file = Path(a["market_file"])
    assert market_file.parent == out / "markets"
    fitted = sim.fit_market(str(market_file))
    assert fitted.spec.name == a["market"]
    assert a["fit_error_pp"] < 1e-3
    assert a["simulated_error_pp"] < 5
    for market, levels in a["tied_with_peak"].items():
        assert a["peak"][market] in levels
    # The new market is the more privacy-minded one at every rung above generic.
    new, ref = a["crossing_by_level"][a["market"]], a["crossing_by_level"][a["compare_with"]]
    assert all(new[lv] >= ref[lv] for lv in LEVELS[1:])


@pytest.mark.slow
def test_06_fit_to_your_brand(tmp_path):
    _, out, a = _execute(NOTEBOOK_DIR / "06_fit_to_your_brand.ipynb", tmp_path)
    assert a["parameters"] == len(a["true"]) == 6 and a["trials"] == 12
    from sim.calibrate.spec import load_calibration_spec

    spec = load_calibration_spec(ROOT / "scenarios" / "calibration" / "example_spec.toml")
    for p in spec.priors:  # every estimate lies within its prior, every truth too
        assert p.low <= a["best"][p.key] <= p.high and p.low <= a["true"][p.key] <= p.high
    assert 0 <= a["covers_truth"] <= 6 and 0 <= a["coverage"]["overall"] <= 1
    assert 0 <= a["p_behavioural_better"] <= 1
    lo, hi = a["revenue_diff_90"]
    assert lo <= a["revenue_diff_mean"] <= hi
    assert (Path(a["calibration_folder"]) / "best.toml").is_file()
    assert Path(a["calibration_folder"]).parent == out
