"""The posterior-predictive check: what the fitted model says the data should look like.

Draws are taken from the posterior table (by weight, with replacement); each
draw is simulated once with its own replicate number (so the band holds the
model's own randomness as well as the parameters' uncertainty), put on the
brand's scale (rate x customers at the start) and given the observation
noise of the series' likelihood (binomial losses, Poisson or negative
binomial counts, log-normal revenue). The band is the 5-95% range of those
simulated observations, week by week, in the data's own units.

Layer: calibration methods (over the objective).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.objective import Objective

QUANTILES = (0.05, 0.5, 0.95)


def _simulate_one(objective: Objective, params: dict[str, float], replicate: int,
                  ) -> pd.DataFrame:
    tables, _ = objective.simulate(params, range(replicate, replicate + 1))
    return tables[0]


def observe(objective: Objective, rates: pd.DataFrame, rng: np.random.Generator,
            ) -> pd.DataFrame:
    """Simulated observations at the brand's scale from one run's rates.

    Args:
        objective: Holds the data and each series' likelihood.
        rates: One run's weekly rates (see :class:`~sim.calibrate.objective.Evaluation`).
        rng: Random generator for the observation noise.

    Returns:
        ``week`` plus one column per observed series, in the data's units.
    """
    obs = objective.observed
    base = obs.customers_at_start
    sim = rates.set_index("week").reindex(obs.weeks)
    out = pd.DataFrame({"week": obs.weeks})
    hazard = (sim["churned"] / sim["at_risk"].clip(lower=1e-12)).clip(0, 1).to_numpy()
    at_risk = np.round(base * sim["at_risk"].to_numpy()).astype(np.int64)
    lost = rng.binomial(at_risk, hazard)
    for s in obs.series:
        cfg = objective.series.get(s, {"likelihood": "none", "sigma": 0.1, "dispersion": 20.0})
        kind = cfg["likelihood"]
        mu = np.maximum(sim["churned" if s == "churned" else s].to_numpy() * base, 1e-9)
        if s == "churned":
            out[s] = lost
        elif s == "customers":
            out[s] = base - np.cumsum(lost) if obs.weeks[0] == 0 else mu
        elif kind == "negbin":
            size = cfg["dispersion"]
            out[s] = rng.negative_binomial(size, size / (size + mu))
        elif kind == "lognormal":
            out[s] = np.exp(rng.normal(np.log(mu), cfg["sigma"]))
        elif kind == "normal":
            out[s] = rng.normal(mu, cfg["sigma"] * max(float(np.nanmean(obs.table[s])), 1e-9))
        elif s in ("complaints", "purchases"):
            out[s] = rng.poisson(mu)
        else:
            out[s] = mu
    return out


def predictive_band(objective: Objective, draws: pd.DataFrame, *, n: int = 40, seed: int = 0,
                    executor: Executor | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate ``n`` draws of the posterior and summarise them as a weekly band.

    Args:
        objective: The calibration's objective.
        draws: Posterior table: fitted keys plus ``weight``.
        n: Draws to simulate (one run each).
        seed: Seeds the choice of draws and the observation noise.
        executor: Where to run them (None: here, one after the other).
        progress: Callback ``progress(done, n)``.

    Returns:
        ``(band, samples)``: the band (``week``, ``series``, ``q05``, ``q50``,
        ``q95``, in the data's units) and every simulated observation
        (``draw`` plus the data's columns).
    """
    rng = np.random.default_rng([seed, 6])
    w = draws["weight"].to_numpy(float)
    pick = rng.choice(len(draws), size=n, p=w / w.sum())
    keys = list(objective.keys)
    params = [{k: float(draws.iloc[i][k]) for k in keys} for i in pick]
    if executor is None:
        tables = []
        for j, p in enumerate(params):
            tables.append(_simulate_one(objective, p, j))
            if progress is not None:
                progress(j + 1, n)
    else:
        futs = [executor.submit(_simulate_one, objective, p, j) for j, p in enumerate(params)]
        tables = []
        for j, f in enumerate(futs):
            tables.append(f.result())
            if progress is not None:
                progress(j + 1, n)
    samples = pd.concat([observe(objective, t, rng).assign(draw=j)
                         for j, t in enumerate(tables)], ignore_index=True)
    return band_of(samples, objective.observed.series), samples


def band_of(samples: pd.DataFrame, series: list[str]) -> pd.DataFrame:
    """Weekly 5%, 50% and 95% quantiles of simulated observations, long format.

    Args:
        samples: ``week`` plus series columns, many rows per week.
        series: The series to summarise.

    Returns:
        ``week``, ``series``, ``q05``, ``q50``, ``q95``.
    """
    long = samples.melt(id_vars="week", value_vars=series, var_name="series")
    q = long.groupby(["series", "week"])["value"].quantile(list(QUANTILES)).unstack()
    q.columns = ["q05", "q50", "q95"]
    out = q.reset_index()[["week", "series", "q05", "q50", "q95"]]
    order = {s: i for i, s in enumerate(series)}
    return out.sort_values(["series", "week"], key=lambda c: c.map(order) if c.name == "series"
                           else c).reset_index(drop=True)


def coverage(band: pd.DataFrame, observed: pd.DataFrame) -> dict[str, Any]:
    """Share of observed weekly points inside the band, per series and overall.

    Args:
        band: From :func:`predictive_band`.
        observed: The data table (``week`` plus series).

    Returns:
        ``{"overall": share, "<series>": share, ...}``, over observed points only.
    """
    long = observed.melt(id_vars="week", var_name="series").dropna()
    m = long.merge(band, on=["week", "series"])
    inside = (m["value"] >= m["q05"]) & (m["value"] <= m["q95"])
    out: dict[str, Any] = {"overall": float(inside.mean()) if len(m) else float("nan")}
    for s, grp in m.assign(inside=inside).groupby("series", sort=False):
        out[str(s)] = float(grp["inside"].mean())
    return out
