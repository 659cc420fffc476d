"""The calibration objective: run the model for a parameter set and score it against the data.

:class:`Objective` is a plain, picklable callable (it holds the scenario as
data), so an executor's worker processes or a Dask cluster can evaluate it.
Every evaluation uses the same seeds (``run.seed`` of the spec, replicates
``0 .. R-1``): the same consumers, network and random draws for every
candidate (common random numbers), so two candidates differ by their
parameters and not by luck, and the same parameters always give the same
log-likelihood.

Simulated series are put on the data's scale as **rates per customer at the
start** (count / customers at the start of week 0) and averaged over the
replicates; the likelihood of the brand's counts is then computed with the
brand's customer base (see :meth:`Objective.loglik`). When the brand has
more customers than the replicates simulate together, count likelihoods are
weighted by ``simulated / brand`` customers: the simulated rates are only
that precise, and a brand's millions of observations would otherwise turn
simulation noise into false certainty.

Layer: calibration objective (over sim.run and the paired incident cost).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from sim.calibrate.data import Observed
from sim.calibrate.spec import CalibrationSpec
from sim.compare import abnormal_churn
from sim.results import run
from sim.scenario_io import scenario_from_dict

WEEKS_PER_YEAR = 52


@dataclass
class Evaluation:
    """One parameter set, scored.

    Attributes:
        params: The fitted keys' values.
        loglik: Total log-likelihood (series terms plus target penalties).
        terms: The log-likelihood of each series and target.
        distance: The ABC distance (standardised root mean square, see
            :meth:`Objective.summary`).
        rates: Simulated weekly rates per customer at the start, mean over
            replicates: ``week`` plus one column per observed series and
            ``at_risk`` (customers at the start of the week, per initial customer).
        targets: Simulated value of each target.
    """

    params: dict[str, float]
    loglik: float
    terms: dict[str, float]
    distance: float
    rates: pd.DataFrame
    targets: dict[str, float] = field(default_factory=dict)


def _weekly_rates(weekly: pd.DataFrame) -> pd.DataFrame:
    """A run's weekly counts as rates per customer at the start."""
    start = weekly["customers"].to_numpy(float) + weekly["churned"].to_numpy(float)
    n0 = max(float(start[0]), 1.0)
    out = pd.DataFrame({"week": weekly["week"].to_numpy()})
    out["at_risk"] = start / n0
    for s in ("customers", "churned", "complaints", "purchases", "revenue"):
        out[s] = weekly[s].to_numpy(float) / n0
    out.attrs["n0"] = n0
    return out


@dataclass(frozen=True)
class Objective:
    """Scores parameter sets against a brand's data (picklable).

    Build it with :meth:`from_spec`. Call it with a ``{key: value}`` mapping
    to get an :class:`Evaluation`.

    Attributes:
        base: The brand's scenario as plain data (population size set).
        keys: The fitted keys.
        observed: The observations.
        series: Likelihood settings per series (plain dicts).
        targets: Stylised-fact targets (plain dicts).
        replicates: Runs per evaluation.
        seed: Root seed (``run.seed``).
    """

    base: dict[str, Any]
    keys: tuple[str, ...]
    observed: Observed
    series: dict[str, dict[str, Any]]
    targets: tuple[dict[str, Any], ...] = ()
    replicates: int = 2
    seed: int = 0

    @classmethod
    def from_spec(cls, spec: CalibrationSpec, observed: Observed) -> Objective:
        """The objective of a spec and its data.

        Args:
            spec: The validated spec.
            observed: The brand's data (from :meth:`CalibrationSpec.read_data`).

        Returns:
            The objective.
        """
        return cls(
            base=spec.scenario.to_dict(), keys=tuple(spec.keys), observed=observed,
            series={s: t.model_dump() for s, t in spec.series_settings(observed).items()},
            targets=tuple(t.model_dump() for t in spec.targets),
            replicates=spec.replicates, seed=spec.seed,
        )

    # -- simulation -------------------------------------------------------------------
    def scenario(self, params: Mapping[str, float], replicate: int = 0) -> Any:
        """The brand's scenario with ``params`` applied, at replicate ``replicate``."""
        ov = {k: float(v) for k, v in params.items()}
        ov.update({"run.seed": self.seed, "run.replicate": int(replicate)})
        return scenario_from_dict(self.base, ov)

    def simulate(self, params: Mapping[str, float], replicates: range | None = None,
                 ) -> tuple[list[pd.DataFrame], dict[str, float]]:
        """Run the model: weekly rates of each replicate, and the targets' values.

        Args:
            params: Values of the fitted keys.
            replicates: Which replicates (default ``range(self.replicates)``).

        Returns:
            ``(rates, targets)``: one rate table per replicate (see
            :class:`Evaluation`), and each target's value (mean over replicates).
        """
        reps = range(self.replicates) if replicates is None else replicates
        tables, values = [], {}
        found: dict[str, list[float]] = {}
        for r in reps:
            sc = self.scenario(params, r)
            res = run(sc)
            tables.append(_weekly_rates(res.weekly))
            for i, t in enumerate(self.targets):
                found.setdefault(_target_name(i, t), []).append(
                    self._target_value(t, sc, res.weekly))
        values = {k: float(np.mean(v)) for k, v in found.items()}
        return tables, values

    def _target_value(self, t: Mapping[str, Any], sc: Any, weekly: pd.DataFrame) -> float:
        events = sc.incidents.events
        if t["kind"] == "annual_churn":
            first = min((e.week for e in events), default=len(weekly)) \
                if sc.incidents.enabled else len(weekly)
            pre = weekly.iloc[:max(first, 1)]
            at_risk = (pre["customers"] + pre["churned"]).sum()
            h = float(pre["churned"].sum() / at_risk) if at_risk else 0.0
            return 1.0 - (1.0 - h) ** WEEKS_PER_YEAR
        ev = events[t["incident"]]
        data = sc.to_dict()
        data["incidents"]["events"] = [e for i, e in enumerate(data["incidents"]["events"])
                                       if i != t["incident"]]
        without = run(scenario_from_dict(data)).weekly
        return float(abnormal_churn(without, weekly, ev.week).iloc[-1])

    # -- scoring ----------------------------------------------------------------------
    def __call__(self, params: Mapping[str, float]) -> Evaluation:
        """Simulate ``params`` and score them.

        Args:
            params: Values of the fitted keys.

        Returns:
            The evaluation.
        """
        params = {k: float(params[k]) for k in self.keys}
        tables, targets = self.simulate(params)
        rates = mean_rates(tables)
        terms = self.loglik(rates)
        terms.update(self.target_terms(targets))
        return Evaluation(params, float(sum(terms.values())), terms,
                          float(np.sqrt(np.sum(self.summary(rates, targets) ** 2))),
                          rates, targets)

    def summary_of(self, params: Mapping[str, float], seed: int | None = None) -> np.ndarray:
        """Simulate ``params`` and return the ABC summary (see :meth:`summary`).

        Args:
            params: Values of the fitted keys.
            seed: Root seed for this simulation (ABC-SMC gives each particle its
                own); None: the spec's seed (common random numbers).

        Returns:
            The summary vector.
        """
        obj = self if seed is None else dataclasses.replace(self, seed=int(seed) % 2**63)
        ev = obj(params)
        return obj.summary(ev.rates, ev.targets)

    def observed_summary(self) -> np.ndarray:
        """The data's own summary: zeros (the summary holds differences from the data)."""
        n = sum(len(self.observed.weeks) for _ in self.series) + len(self.targets)
        return np.zeros(n)

    def _sim_at_observed(self, rates: pd.DataFrame) -> pd.DataFrame:
        return rates.set_index("week").reindex(self.observed.weeks)

    def temper(self, rates: pd.DataFrame) -> float:
        """Weight of count likelihoods: simulated customers / brand customers, at most 1."""
        n_sim = rates.attrs.get("n0", 1.0) * rates.attrs.get("replicates", 1)
        return min(1.0, n_sim / self.observed.customers_at_start)

    def loglik(self, rates: pd.DataFrame) -> dict[str, float]:
        """Log-likelihood of each observed series given simulated mean rates.

        * ``binomial``: the customers lost each week out of those at risk
          (observed, else implied by the simulated retention), with the
          simulated weekly churn hazard;
        * ``poisson`` / ``negbin``: counts with mean ``rate x customers at the start``;
        * ``lognormal``: ``log(observed) ~ Normal(log(simulated), sigma)``;
        * ``normal``: on the rate, sd ``sigma x`` the observed series' mean rate.

        Args:
            rates: Mean simulated rates (see :func:`mean_rates`).

        Returns:
            ``{series: log-likelihood}`` (weighted).
        """
        obs = self.observed
        base = obs.customers_at_start
        sim = self._sim_at_observed(rates)
        floor = 0.5 / (rates.attrs.get("n0", 1.0) * rates.attrs.get("replicates", 1))
        temper = self.temper(rates)
        out: dict[str, float] = {}
        for s, cfg in self.series.items():
            kind, w = cfg["likelihood"], cfg["weight"]
            if s in ("churned", "customers") and kind == "binomial":
                k = obs.churn_counts()
                n = obs.at_risk()
                n = np.where(np.isnan(n), base * sim["at_risk"].to_numpy(), n)
                p = sim["churned"].to_numpy() / np.maximum(sim["at_risk"].to_numpy(), floor)
                ok = ~np.isnan(k)
                p = np.clip(p[ok], floor, 1 - floor)
                kk, nn = k[ok], np.maximum(n[ok], k[ok])
                ll = (special.gammaln(nn + 1) - special.gammaln(kk + 1)
                      - special.gammaln(nn - kk + 1) + kk * np.log(p) + (nn - kk) * np.log1p(-p))
                out[s] = w * temper * float(ll.sum())
                continue
            col = "churned" if s == "customers" else s
            x = obs.table[s].to_numpy(float) if s != "customers" else obs.churn_counts()
            ok = ~np.isnan(x)
            mu_rate = np.maximum(sim[col].to_numpy()[ok], floor)
            x = x[ok]
            if kind == "poisson":
                mu = mu_rate * base
                ll = x * np.log(mu) - mu - special.gammaln(x + 1)
                out[s] = w * temper * float(ll.sum())
            elif kind == "negbin":
                mu, size = mu_rate * base, cfg["dispersion"]
                ll = stats.nbinom.logpmf(x, size, size / (size + mu))
                out[s] = w * temper * float(ll.sum())
            elif kind == "lognormal":
                ll = stats.norm.logpdf(np.log(np.maximum(x, floor * base)),
                                       np.log(mu_rate * base), cfg["sigma"])
                out[s] = w * float(ll.sum())
            else:  # normal on the rate
                xr = x / base
                sd = cfg["sigma"] * max(float(np.mean(np.abs(xr))), floor)
                out[s] = w * float(stats.norm.logpdf(xr, mu_rate, sd).sum())
        return out

    def target_terms(self, values: Mapping[str, float]) -> dict[str, float]:
        """Penalty of each target: 0 inside its band, ``-z^2 / 2`` outside."""
        return {name: -0.5 * z ** 2 for name, z in self._target_z(values).items()}

    def _target_z(self, values: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for i, t in enumerate(self.targets):
            name = _target_name(i, t)
            v = values.get(name, math.nan)
            sd = t.get("sd") or max((t["high"] - t["low"]) / 4, 0.0025)
            gap = max(t["low"] - v, 0.0, v - t["high"]) if math.isfinite(v) else 10 * sd
            out[name] = gap / sd
        return out

    def summary(self, rates: pd.DataFrame, targets: Mapping[str, float] | None = None,
                ) -> np.ndarray:
        """The ABC summary: standardised differences from the data (0 = a perfect fit).

        Each series contributes its weekly differences (simulated minus
        observed rate) divided by the observed series' mean rate and by the
        square root of its number of weeks, times the square root of its share
        of the weights; each target its distance outside the band in units of
        its ``sd``. The Euclidean norm of this vector is the ABC distance: the
        root of the weighted mean squared relative error of the series, plus
        the targets' squared distances.

        Args:
            rates: Mean simulated rates.
            targets: Simulated target values.

        Returns:
            The vector (same length for every parameter set).
        """
        obs = self.observed
        sim = self._sim_at_observed(rates)
        total_w = sum(cfg["weight"] for cfg in self.series.values()) or 1.0
        parts = []
        for s, cfg in self.series.items():
            x = (obs.churn_counts() if s == "customers" else obs.table[s].to_numpy(float))
            x = x / obs.customers_at_start
            col = "churned" if s == "customers" else s
            ok = ~np.isnan(x)
            scale = max(float(np.mean(np.abs(x[ok]))) if ok.any() else 0.0, 1e-12)
            d = np.where(ok, (sim[col].to_numpy() - np.nan_to_num(x)) / scale, 0.0)
            parts.append(d * math.sqrt(cfg["weight"] / total_w / max(ok.sum(), 1)))
        z = self._target_z(targets or {})
        parts.append(np.array(list(z.values()), dtype=float))
        return np.concatenate(parts)


def _target_name(i: int, t: Mapping[str, Any]) -> str:
    return f"target {i}: {t['kind']}"


def mean_rates(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean of replicate rate tables (each replicate's customers at the start weigh the same).

    Args:
        tables: One :func:`_weekly_rates` table per replicate.

    Returns:
        The mean table; ``attrs`` hold ``n0`` (simulated customers at the
        start, per replicate) and ``replicates``.
    """
    out = pd.concat(tables).groupby("week", sort=True).mean().reset_index()
    out.attrs["n0"] = float(np.mean([t.attrs["n0"] for t in tables]))
    out.attrs["replicates"] = len(tables)
    return out


def euclidean(simulated: np.ndarray, observed: np.ndarray) -> float:
    """The ABC distance between two summaries (see :meth:`Objective.summary`)."""
    return float(np.sqrt(np.sum((np.asarray(simulated) - np.asarray(observed)) ** 2)))
