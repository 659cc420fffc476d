"""Write the calibration example's SYNTHETIC data set and the blank template.

Usage (from the repository root)::

    .venv/bin/python scenarios/calibration/make_example.py

The data are not a real brand's: they are one run of the model at the
brand's scale (50,000 consumers, seed 20261130: not the spec's seed, so the
fit does not share the data's draws) of ``brand_history.toml`` with the
behavioural parameters set to :data:`TRUE` (not the model's defaults). A
calibration of ``example_spec.toml`` should find these values again. Writes
``example_data.csv`` (week, customers, churned, complaints, purchases,
revenue) and ``template.csv`` (the same columns, empty, to fill in).
"""

from __future__ import annotations

from pathlib import Path

import sim
from sim.calibrate.data import SERIES, template

HERE = Path(__file__).resolve().parent
TRUE = {
    "trust.gain_rate": 0.03,            # default 0.02
    "trust.asymmetry": 3.0,             # default 2.25
    "churn.base_hazard": 0.0015,        # default 0.001
    "churn.trust_sensitivity": 2.5,     # default 2
    "wom.negative_effect": 0.02,        # default 0.01
    "purchase.base_rate": 0.12,         # default 0.1
}
"""The stated parameter values the synthetic data come from."""

BRAND_CUSTOMERS = 50_000
DATA_SEED = 20261130


def make_data(true: dict[str, float] = TRUE, size: int = BRAND_CUSTOMERS,
              seed: int = DATA_SEED, scenario: str | Path = HERE / "brand_history.toml"):
    """One model run of the brand's history at ``true``, as a weekly data table.

    Args:
        true: Parameter values.
        size: Consumers (the brand's customers at the start).
        seed: Run seed.
        scenario: The brand's history.

    Returns:
        ``week`` plus the five observed series, in counts.
    """
    sc = sim.load_scenario(scenario, {**true, "population.size": size, "run.seed": seed})
    weekly = sim.run(sc).weekly
    return weekly[["week", *SERIES]].copy()


def main() -> None:
    """Write example_data.csv and template.csv beside this script."""
    data = make_data()
    header = ("# SYNTHETIC example data, not a real brand: one trustsim run of brand_history.toml\n"
              f"# at {BRAND_CUSTOMERS} consumers (seed {DATA_SEED}) with "
              + ", ".join(f"{k} = {v}" for k, v in TRUE.items())
              + "\n# (scenarios/calibration/make_example.py). Weeks count from 0.\n")
    (HERE / "example_data.csv").write_text(header + data.to_csv(index=False),
                                           encoding="utf-8")
    (HERE / "template.csv").write_text(
        "# Your brand's weekly data: one row per week from week 0 (the first week of the\n"
        "# scenario). Keep the columns you have, delete the others; leave a cell empty for\n"
        "# a week not observed. See docs/calibration.md.\n"
        + template(4).to_csv(index=False), encoding="utf-8")
    print(f"wrote {HERE / 'example_data.csv'} ({len(data)} weeks) and template.csv")


if __name__ == "__main__":
    main()
