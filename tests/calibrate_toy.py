"""A tiny calibration problem for the calibration tests: files written into a folder.

The toy brand is the baseline scenario at 400 consumers over 16 weeks; its
SYNTHETIC data come from one model run (seed 99, not the spec's seed) with
``purchase.base_rate`` at :data:`TRUE_RATE` (default 0.1), so a fit of that one
parameter has a known answer.
"""

from __future__ import annotations

from pathlib import Path

import sim
from sim.calibrate.data import SERIES
from tests.helpers import BASELINE

TRUE_RATE = 0.14
TOY_SIZE = 400
TOY_WEEKS = 16


def toy_scenario(folder: Path) -> Path:
    """The toy brand's scenario file."""
    path = folder / "toy_brand.toml"
    path.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "toy_brand"\n'
                    f"[population]\nsize = {TOY_SIZE}\n[run]\nweeks = {TOY_WEEKS}\n")
    return path


def toy_data(folder: Path, rate: float = TRUE_RATE, seed: int = 99) -> Path:
    """The toy brand's weekly data (one model run), as a CSV file."""
    sc = sim.load_scenario(toy_scenario(folder), {"purchase.base_rate": rate, "run.seed": seed})
    weekly = sim.run(sc).weekly[["week", *SERIES]]
    path = folder / "toy_data.csv"
    weekly.to_csv(path, index=False)
    return path


def toy_spec(folder: Path, extra: str = "", trials: int = 24, series: str = "") -> Path:
    """A spec fitting ``purchase.base_rate`` of the toy brand (purchases, Poisson)."""
    toy_scenario(folder)
    body = series or '[observed.series.purchases]\nlikelihood = "poisson"\n'
    path = folder / "toy_spec.toml"
    path.write_text(
        'name = "toy"\nscenario = "toy_brand.toml"\nseed = 5\npopulation = 400\n'
        "replicates = 1\n"
        '[parameters]\n"purchase.base_rate" = { low = 0.05, high = 0.25 }\n'
        f"{body}[optuna]\ntrials = {trials}\n{extra}")
    return path
