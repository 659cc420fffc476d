"""Calibration figures: the panels, labels and legends each one promises, and the files."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.figures import (
    fig_abc_trace,
    fig_correlations,
    fig_marginals,
    fig_optuna_trace,
    fig_predictive,
    write_figures,
)
from sim.calibrate.priors import Prior

PRIORS = [Prior("trust.gain_rate", 0.0, 1.0), Prior("churn.base_hazard", 0.001, 0.1, log=True),
          Prior("wom.weight", 0.0, 2.0)]


def _draws(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    gain = rng.normal(0.4, 0.03, n)
    return pd.DataFrame({
        "trust.gain_rate": gain,
        "churn.base_hazard": np.exp(rng.uniform(np.log(0.001), np.log(0.1), n)),
        "wom.weight": 2.0 - 4.0 * gain + rng.normal(0, 0.01, n),  # strongly tied to the gain
        "weight": np.full(n, 1.0 / n),
    })


def _trace() -> pd.DataFrame:
    return pd.DataFrame({"generation": [0, 1, 2], "epsilon": [np.inf, 2.0, 0.7],
                         "accepted": [100] * 3, "simulations": [100, 180, 320],
                         "acceptance_rate": [1.0, 0.55, 0.31], "ess": [100.0, 90.0, 85.0]})


def _band_and_observed() -> tuple[pd.DataFrame, pd.DataFrame]:
    weeks = np.arange(4)
    band = pd.concat([
        pd.DataFrame({"week": weeks, "series": "churned", "q05": 10.0, "q50": 15.0,
                      "q95": 20.0}),
        pd.DataFrame({"week": weeks, "series": "revenue", "q05": 900.0, "q50": 1000.0,
                      "q95": 1100.0}),
    ])
    observed = pd.DataFrame({"week": weeks, "churned": [12.0, 25.0, 14.0, np.nan],
                             "revenue": [950.0, 1000.0, 1050.0, 1080.0]})
    return band, observed


def _legend_texts(obj: object) -> list[str]:
    legend = obj.get_legend() if hasattr(obj, "get_legend") else None  # type: ignore[union-attr]
    return [t.get_text() for t in legend.get_texts()] if legend else []


def test_abc_trace_shows_tolerance_and_acceptance() -> None:
    fig = fig_abc_trace(_trace())
    eps, acc = fig.axes
    assert eps.get_yscale() == "log"
    assert eps.get_xlabel() == "generation"
    assert "tolerance" in eps.get_ylabel()
    assert acc.get_ylabel() == "acceptance rate (% of simulations)"
    assert list(acc.lines[0].get_ydata()) == pytest.approx([100.0, 55.0, 31.0])
    assert list(eps.lines[0].get_xdata()) == [1, 2]  # generation 0 has no finite tolerance
    assert _legend_texts(eps) == ["tolerance (epsilon)"]
    assert "600 simulations" in fig.get_suptitle()
    fig.canvas.draw()
    ticks = [t.get_text() for t in eps.get_yticklabels(minor=True) + eps.get_yticklabels()]
    assert not any("10^" in t or "times" in t for t in ticks)


def test_optuna_trace_has_trials_and_running_best() -> None:
    trials = pd.DataFrame({"number": [0, 1, 2, 3], "value": [-50.0, -20.0, -30.0, -10.0]})
    ax = fig_optuna_trace(trials).axes[0]
    assert list(ax.lines[1].get_ydata()) == [-50.0, -20.0, -20.0, -10.0]
    assert _legend_texts(ax) == ["trial", "best so far"]
    assert ax.get_xlabel() == "trial"
    assert "log-likelihood" in ax.get_ylabel()
    low = fig_optuna_trace(trials.assign(value=[5.0, 3.0, 4.0, 1.0]), direction="minimize")
    assert list(low.axes[0].lines[1].get_ydata()) == [5.0, 3.0, 3.0, 1.0]


def test_marginals_one_panel_per_parameter_with_prior_and_truth() -> None:
    fig = fig_marginals(PRIORS, _draws(), truth={"trust.gain_rate": 0.4})
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    gain, hazard, _ = visible
    assert "narrowed to" in gain.get_title()
    assert "NOT identified" in hazard.get_title()
    assert hazard.get_xscale() == "log"
    assert hazard.get_xlabel() == "value of churn.base_hazard (log scale)"
    assert gain.get_ylabel() == "share of draws"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["prior", "posterior", "prior 90% interval", "posterior 90% interval",
                      "true value"]
    assert "posterior over prior" in fig.get_suptitle()


def test_correlations_outline_the_strong_pair() -> None:
    fig = fig_correlations(PRIORS, _draws())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [p.key for p in PRIORS]
    outlined = [(p.get_x(), p.get_y()) for p in ax.patches]
    assert sorted(outlined) == [(-0.5, 1.5), (1.5, -0.5)]  # gain x wom, both halves
    texts = {t.get_text() for t in ax.texts}
    assert "-1.00" in texts or "-0.99" in texts
    assert fig.axes[1].get_ylabel() == "correlation between draws (-1 to 1)"
    assert fig.get_suptitle() == "Which parameters trade off against each other"


def test_predictive_panels_count_points_inside_the_band() -> None:
    band, observed = _band_and_observed()
    fig = fig_predictive(band, observed)
    churn, revenue = fig.axes
    assert churn.get_title() == "customers lost that week: 2 of 3 observed weeks inside the band"
    assert revenue.get_title() == "revenue that week: 4 of 4 observed weeks inside the band"
    assert churn.get_ylabel() == "customers lost that week (people)"
    assert revenue.get_ylabel() == "revenue that week (currency units)"
    assert revenue.get_xlabel() == "week"
    assert sorted(_legend_texts(churn)) == ["observed", "simulated 5-95% band",
                                            "simulated median"]
    assert "86% of observed points" in fig.get_suptitle()  # 6 of 7


@pytest.mark.slow
@pytest.mark.parametrize("method", ["abc", "optuna"])
def test_write_figures_saves_every_figure(tmp_path: Path, method: str) -> None:
    band, observed = _band_and_observed()
    trace = _trace() if method == "abc" else pd.DataFrame({"number": [0, 1], "value": [-3.0, -1]})
    res = SimpleNamespace(method=method, trace=trace, posterior=_draws(),
                          spec=SimpleNamespace(priors=PRIORS), band=band,
                          observed=SimpleNamespace(table=observed))
    paths = write_figures(res, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(f"{stem}.{ext}" for stem in
                           ("trace", "posterior", "correlations", "predictive")
                           for ext in ("png", "svg"))
    assert all(p.stat().st_size > 1000 for p in paths)
