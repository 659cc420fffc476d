"""``sim.calibrate``: fit a brand's history to its weekly data, end to end.

:func:`calibrate` reads the spec and the data, builds the objective, runs the
method (Optuna's point estimate here; ABC-SMC from :mod:`sim.calibrate.abc`
when that module is installed) on local processes or a Dask cluster, draws
the posterior-predictive band and, with ``out``, writes the calibration
folder (:mod:`sim.calibrate.folder`).

Layer: calibration application (over the sweep executors and the methods).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim.calibrate.folder as cfolder
from sim.calibrate.data import Observed
from sim.calibrate.objective import Evaluation, Objective, euclidean
from sim.calibrate.optimize import near_best, open_study, optimize
from sim.calibrate.predictive import coverage, predictive_band
from sim.calibrate.spec import CalibrationSpec, load_calibration_spec
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.results import package_version
from sim.scenario_io import dumps_scenario, scenario_from_dict
from sim.sweep.executors import executor_handle

NOT_IDENTIFIED = 0.5
"""A parameter whose fitted 90% interval is wider than this share of its prior's is flagged."""

MIN_DRAWS = 10
"""Fewer draws than this (e.g. a sharp Optuna optimum) cannot say how much the data narrowed."""


@dataclass
class CalibrationResult:
    """What a calibration produced.

    Attributes:
        spec: The spec.
        method: ``optuna`` or ``abc``.
        best: The best (Optuna) or posterior-median (ABC) parameter values.
        best_scenario: The brand's scenario at ``best``.
        posterior: Fitted keys plus ``weight`` (see :mod:`sim.calibrate.folder`).
        trace: Trials (Optuna) or generations (ABC).
        identifiability: Per parameter: prior and fitted intervals, narrowing, flag.
        band: Posterior-predictive band.
        coverage: Share of observed points inside the band (overall and per series).
        evaluation: The best parameters scored (log-likelihood terms, distance).
        observed: The data.
        out: The folder written, or None.
        summary: The summary's numbers.
    """

    spec: CalibrationSpec
    method: str
    best: dict[str, float]
    best_scenario: Scenario
    posterior: pd.DataFrame
    trace: pd.DataFrame
    identifiability: pd.DataFrame
    band: pd.DataFrame
    coverage: dict[str, float]
    evaluation: Evaluation
    observed: Observed
    out: Path | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def summary_text(self) -> str:
        """The summary in plain words (as ``summary.md``)."""
        return summary_markdown(self)


def calibrate(
    spec: str | Path | CalibrationSpec,
    data: str | Path | Observed,
    *,
    out: str | Path | None = None,
    method: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    resume: bool = False,
    force: bool = False,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    predictive_draws: int = 40,
    progress: Callable[[str, int, int], None] | None = None,
    draw: Callable[[CalibrationResult, Path], list[Path]] | None = None,
) -> CalibrationResult:
    """Fit the spec's parameters to the brand's weekly data.

    Args:
        spec: A spec file (or a loaded :class:`CalibrationSpec`).
        data: The brand's weekly data file (or checked :class:`Observed`).
        out: Folder to write (None: nothing written; an Optuna study then
            lives in memory and cannot be resumed).
        method: ``optuna`` or ``abc`` (default: the spec's).
        workers: Local processes (default one per core; 0: in this process).
        scheduler: A Dask scheduler address.
        executor: An executor of your own (not closed here).
        resume: Continue the calibration in ``out``.
        force: Start over in an existing calibration folder ``out``.
        overrides: Changes to the spec by dotted key (``optuna.trials=20``).
        predictive_draws: Runs behind the posterior-predictive band.
        progress: Callback ``progress(stage, done, total)``.
        draw: Draws the figures into a folder (see :mod:`sim.calibrate.folder`).

    Returns:
        The result.

    Raises:
        ScenarioError: For a bad spec or data (naming file, key, row, column).
        KeyboardInterrupt: On Ctrl-C; finished trials are kept in ``out``.
    """
    if not isinstance(spec, CalibrationSpec):
        spec = load_calibration_spec(spec, overrides)
    method = method or spec.method
    if method not in ("optuna", "abc"):
        raise ScenarioError.one("method", "must be 'optuna' or 'abc'", method)
    obs = data if isinstance(data, Observed) else spec.read_data(data)
    objective = Objective.from_spec(spec, obs)
    folder = None
    if out is not None:
        start = {"fingerprint": cfolder.fingerprint(spec, obs.table, method),
                 "spec": spec.path, "method": method, "trustsim": package_version()}
        folder = cfolder.prepare(out, start=start, resume=resume, force=force)

    def stage(name: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda d, t: progress(name, d, t))

    with executor_handle(executor, workers, scheduler) as handle:
        try:
            if method == "optuna":
                storage = (f"sqlite:///{(folder / cfolder.STUDY).resolve()}" if folder
                           else None)
                study = open_study(storage, sampler=spec.optuna.sampler, seed=spec.seed,
                                   dims=len(spec.priors), resume=resume)
                res = optimize(objective, spec.priors, study, trials=spec.optuna.trials,
                               executor=handle.executor, workers=handle.workers,
                               progress=stage("trials"))
                best, posterior, trace = res.best, near_best(res, spec.optuna.near_best), \
                    res.trials
            else:
                best, posterior, trace = _abc(spec, objective, handle, folder, resume,
                                              stage("generations"))
            evaluation = objective(best)
            band, _ = predictive_band(objective, posterior, n=predictive_draws, seed=spec.seed,
                                      executor=handle.executor, progress=stage("predictive"))
        except KeyboardInterrupt:
            handle.kill()
            raise
    result = CalibrationResult(
        spec=spec, method=method, best=best, best_scenario=best_scenario(spec, best),
        posterior=posterior, trace=trace,
        identifiability=narrowing(spec, posterior, method),
        band=band, coverage=coverage(band, obs.table), evaluation=evaluation, observed=obs,
        out=folder,
    )
    result.summary = summary_numbers(result)
    if folder is not None:
        cfolder.write_outputs(
            folder, spec=spec, best_toml=dumps_scenario(result.best_scenario),
            posterior=posterior, trace=trace, identifiability=result.identifiability,
            band=band, observed=obs.table, summary_md=summary_markdown(result),
            summary=result.summary,
            draw=None if draw is None else (lambda p: draw(result, p)),
        )
    return result


def _abc(spec: CalibrationSpec, objective: Objective, handle: Any, folder: Path | None,
         resume: bool, progress: Callable[[int, int], None] | None,
         ) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """ABC-SMC through :mod:`sim.calibrate.abc` (posterior median as the best)."""
    try:
        from sim.calibrate import abc  # type: ignore[attr-defined]
    except ImportError:
        raise ScenarioError.one("method", "ABC-SMC is not available in this build "
                                "(sim.calibrate.abc); use method = 'optuna'", "abc") from None
    max_gen = spec.abc.max_generations

    def report(p: Any) -> None:  # an AbcProgress after every batch
        if progress is not None:
            progress(p.generation + int(p.done), max_gen)

    res = abc.abc_smc(
        spec.priors, objective.summary_of, objective.observed_summary(),
        population_size=spec.abc.population_size, max_generations=max_gen,
        min_epsilon=spec.abc.min_epsilon, distance=euclidean, executor=handle.executor,
        db_path=None if folder is None else folder / "abc_checkpoint", resume=resume,
        progress=report, seed=spec.seed)
    post = res.draws
    best = {k: weighted_quantile(post[k].to_numpy(), post["weight"].to_numpy(), 0.5)
            for k in spec.keys}
    return best, post, res.trace


def best_scenario(spec: CalibrationSpec, best: Mapping[str, float]) -> Scenario:
    """The brand's scenario with the fitted values, named ``<spec name>_best``."""
    data = spec.scenario.to_dict()
    data["name"] = f"{spec.name}_best"
    data["description"] = (f"Calibrated by trustsim calibrate ({spec.name}): "
                           + ", ".join(f"{k} = {v:.4g}" for k, v in best.items()))
    return scenario_from_dict(data, {k: float(v) for k, v in best.items()})


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile ``q`` of values ``x`` with weights ``w`` (inverse of the weighted CDF)."""
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, x))


def narrowing(spec: CalibrationSpec, posterior: pd.DataFrame, method: str) -> pd.DataFrame:
    """How much the data narrowed each parameter: fitted against prior 90% interval.

    Args:
        spec: The spec (priors).
        posterior: Fitted keys plus ``weight``.
        method: ``optuna`` (near-best range) or ``abc`` (posterior interval).

    Returns:
        One row per key: ``key``, ``prior_low``, ``prior_high``, ``fit_low``,
        ``fit_median``, ``fit_high``, ``width_ratio`` (fitted over prior width,
        on the prior's scale) and ``identified`` (ratio below :data:`NOT_IDENTIFIED`).
    """
    rows = []
    w = posterior["weight"].to_numpy(float)
    for p in spec.priors:
        x = posterior[p.key].to_numpy(float)
        lo, med, hi = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        plo, phi = p.interval(0.9)
        scale = np.log if p.log else (lambda v: v)
        ratio = float((scale(hi) - scale(lo)) / (scale(phi) - scale(plo)))
        rows.append({"key": p.key, "prior": p.kind, "prior_low": plo, "prior_high": phi,
                     "fit_low": lo, "fit_median": med, "fit_high": hi,
                     "width_ratio": ratio,
                     "identified": bool(ratio < NOT_IDENTIFIED) if len(x) >= MIN_DRAWS else None,
                     "interval": "near-best range" if method == "optuna" else "posterior 90%"})
    return pd.DataFrame(rows)


def summary_numbers(res: CalibrationResult) -> dict[str, Any]:
    """The numbers behind the summary (``summary.json``)."""
    ev = res.evaluation
    return {
        "name": res.spec.name, "method": res.method, "trustsim": package_version(),
        "best": res.best, "loglik": ev.loglik, "terms": ev.terms, "distance": ev.distance,
        "targets": ev.targets, "coverage": res.coverage,
        "customers_at_start": res.observed.customers_at_start,
        "weeks": [int(res.observed.weeks[0]), int(res.observed.weeks[-1])],
        "series": res.observed.series,
        "draws": len(res.posterior), "trials_or_generations": len(res.trace),
        "identifiability": res.identifiability.to_dict(orient="records"),
    }


def summary_markdown(res: CalibrationResult) -> str:
    """The calibration's result in plain words."""
    spec, ident = res.spec, res.identifiability
    obs = res.observed
    lines = [f"# Calibration of {spec.name}", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"Data: {len(obs.weeks)} weeks (week {obs.weeks[0]} to {obs.weeks[-1]}) of "
              f"{', '.join(obs.series)}, for a brand of {obs.customers_at_start:,.0f} customers "
              f"at the start; simulated with {spec.scenario.population.size:,} consumers, "
              f"{spec.replicates} replicate(s) per candidate on the same seeds.", ""]
    if res.method == "optuna":
        lines += ["**Method: Optuna (point estimate).** The values below are the single "
                  "best parameter set found, not a posterior. The ranges are those of the "
                  f"near-best trials (the best {100 * spec.optuna.near_best:g}% of the "
                  "trials, at least 10): they show how flat the fit is around the best, but "
                  "they are not credible intervals. Use `--method abc` for a posterior.", ""]
    else:
        lines += ["**Method: ABC-SMC (posterior).** Ranges are 90% posterior intervals.", ""]
    lines += ["| parameter | fitted | range | prior 90% | narrowed to | verdict |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in ident.itertuples():
        verdict = ("cannot tell: too few draws" if r.identified is None else
                   "pinned down by the data" if r.identified else
                   "NOT identified: the data barely narrow it")
        lines.append(f"| `{r.key}` | {res.best[r.key]:.4g} | {r.fit_low:.4g} - {r.fit_high:.4g}"
                     f" | {r.prior_low:.4g} - {r.prior_high:.4g} | {100 * r.width_ratio:.0f}% "
                     f"of the prior width | {verdict} |")
    weak = [r.key for r in ident.itertuples() if r.identified is not None and not r.identified]
    lines += [""]
    if weak:
        lines += [f"The data cannot tell {', '.join(f'`{k}`' for k in weak)} apart from "
                  "their prior range: read any answer that depends on them as uncertain.", ""]
    cov = res.coverage.get("overall", math.nan)
    lines += [f"**Posterior-predictive check.** {100 * cov:.0f}% of the observed weekly points "
              "lie inside the simulated 90% band ("
              + ", ".join(f"{k} {100 * v:.0f}%" for k, v in res.coverage.items()
                          if k != "overall") + ").", ""]
    if res.evaluation.targets:
        lines += ["**Stylised facts** at the best values: " + "; ".join(
            f"{k} = {100 * v:.2f}%" for k, v in res.evaluation.targets.items()) + ".", ""]
    lines += ["Run the fitted brand with `trustsim run best.toml`; carry the uncertainty into "
              "a decision with the draws in `posterior.parquet` (fitted keys plus `weight`).", ""]
    return "\n".join(lines)
