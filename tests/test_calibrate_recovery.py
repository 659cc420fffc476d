"""Recovery by ABC-SMC: data simulated from known values come back inside the posterior.

The brand is the baseline scenario at 1,000 consumers over 20 weeks; its
SYNTHETIC data are one model run (seed 4242, not the spec's) at known values
that are not the defaults. Three parameters are fitted to the weekly
purchases and churned customers: two the data inform (the purchase rate and
the churn hazard) and one they cannot (the basket value, which moves revenue
only, and revenue is not fitted). The 90% posterior interval must cover the
truth for the two identified ones, and the third must be flagged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.calibrate.data import SERIES
from tests.helpers import BASELINE

TRUE = {"purchase.base_rate": 0.14, "churn.base_hazard": 0.004, "purchase.basket_value": 70.0}
"""The values the data come from (defaults 0.1, 0.001 and 50)."""

SIZE, WEEKS = 1000, 20


def _brand(folder: Path) -> Path:
    path = folder / "brand.toml"
    path.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "recovery_brand"\n'
                    f"[population]\nsize = {SIZE}\n[run]\nweeks = {WEEKS}\n")
    return path


def _data(folder: Path) -> Path:
    sc = sim.load_scenario(_brand(folder), {**TRUE, "run.seed": 4242})
    path = folder / "data.csv"
    sim.run(sc).weekly[["week", *SERIES]].to_csv(path, index=False)
    return path


def _spec(folder: Path) -> Path:
    path = folder / "spec.toml"
    path.write_text(
        'name = "recovery"\nscenario = "brand.toml"\nseed = 11\n'
        f"population = {SIZE}\nreplicates = 1\nmethod = \"abc\"\n"
        "[parameters]\n"
        '"purchase.base_rate" = { low = 0.05, high = 0.25 }\n'
        '"churn.base_hazard" = { low = 0.0005, high = 0.02, log = true }\n'
        '"purchase.basket_value" = { low = 20.0, high = 100.0 }\n'
        '[observed.series.purchases]\nlikelihood = "poisson"\n'
        '[observed.series.churned]\nlikelihood = "binomial"\n'
        "[abc]\npopulation_size = 50\nmax_generations = 5\n")
    return path


@pytest.mark.slow
def test_abc_recovers_identified_parameters_and_flags_the_uninformed_one(tmp_path):
    data = _data(tmp_path)
    res = sim.calibrate(_spec(tmp_path), data, workers=0, predictive_draws=10)
    table = res.identifiability.set_index("key")
    assert set(table["interval"]) == {"posterior 90% interval"}
    for key in ("purchase.base_rate", "churn.base_hazard"):
        r = table.loc[key]
        assert r.identified, f"{key} should be pinned down: {r.to_dict()}"
        assert r.fit_low <= TRUE[key] <= r.fit_high, f"{key}: {r.to_dict()}"
    basket = table.loc["purchase.basket_value"]
    assert basket.identified is False or not basket.identified
    assert basket.width_ratio > 0.5
    print(res.identifiability.to_string())
    text = res.summary_text()
    assert "NOT identified" in text and "`purchase.basket_value`" in text.split(
        "**Not pinned down:**")[1]
