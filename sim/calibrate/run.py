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

import pandas as pd

import sim.calibrate.folder as cfolder
from sim.calibrate import identify
from sim.calibrate.data import Observed
from sim.calibrate.objective import Evaluation, Objective, euclidean
from sim.calibrate.optimize import MIN_NEAR_BEST, near_best, open_study, optimize
from sim.calibrate.predictive import coverage, predictive_band
from sim.calibrate.spec import CalibrationSpec, load_calibration_spec
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.results import package_version
from sim.scenario_io import dumps_scenario, scenario_from_dict
from sim.sweep.executors import executor_handle

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
        identifiability: Per parameter: prior and fitted intervals, narrowing, flag
            (see :func:`identification`).
        correlations: Weighted correlations of the fitted parameters' draws.
        pairs: Strongly correlated pairs (``key_a``, ``key_b``, ``r``).
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
    correlations: pd.DataFrame
    pairs: pd.DataFrame
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
    draw: Callable[[CalibrationResult, Path], list[Path]] | bool | None = True,
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
        draw: Draws the figures into ``out/figures`` when a folder is written:
            True (default) the standard ones (:func:`sim.calibrate.figures.write_figures`:
            trace, marginals over the priors, correlations, posterior
            predictive), False or None none, or a function of your own.

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
                table, corr, pairs = identification(spec, posterior, method, trace)
            else:
                best, posterior, trace = _abc(spec, objective, handle, folder, resume,
                                              stage("generations"))
                table, corr, pairs = identification(spec, posterior, method)
            evaluation = objective(best)
            band, _ = predictive_band(objective, posterior, n=predictive_draws, seed=spec.seed,
                                      executor=handle.executor, progress=stage("predictive"))
        except KeyboardInterrupt:
            handle.kill()
            raise
    result = CalibrationResult(
        spec=spec, method=method, best=best, best_scenario=best_scenario(spec, best),
        posterior=posterior, trace=trace, identifiability=table, correlations=corr,
        pairs=pairs,
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
            draw=_drawer(draw, result),
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
        min_epsilon=spec.abc.min_epsilon,
        max_simulations=spec.abc.max_simulations, distance=euclidean, executor=handle.executor,
        db_path=None if folder is None else folder / "abc_checkpoint", resume=resume,
        progress=report, seed=spec.seed)
    post = res.draws
    best = {k: float(identify.weighted_quantile(post[k], post["weight"], 0.5))
            for k in spec.keys}
    return best, post, res.trace


def _drawer(draw: Any, result: CalibrationResult) -> Callable[[Path], list[Path]] | None:
    """The figure writer for ``write_outputs`` (see ``draw`` in :func:`calibrate`)."""
    if draw is None or draw is False:
        return None
    if draw is True:
        from sim.calibrate.figures import write_figures

        return lambda folder: write_figures(result, folder)
    return lambda folder: list(draw(result, folder))


def best_scenario(spec: CalibrationSpec, best: Mapping[str, float]) -> Scenario:
    """The brand's scenario with the fitted values, named ``<spec name>_best``."""
    data = spec.scenario.to_dict()
    data["name"] = f"{spec.name}_best"
    data["description"] = (f"Calibrated by trustsim calibrate ({spec.name}): "
                           + ", ".join(f"{k} = {v:.4g}" for k, v in best.items()))
    return scenario_from_dict(data, {k: float(v) for k, v in best.items()})


def identification(spec: CalibrationSpec, posterior: pd.DataFrame, method: str,
                   trials: pd.DataFrame | None = None,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """How much the data narrowed each parameter, and which ones trade off.

    ABC-SMC: :func:`sim.calibrate.identify.identifiability` of the posterior
    (weighted 90% interval against the prior's, widths on the prior's scale).
    Optuna: :func:`sim.calibrate.identify.near_best` over the trials, with the
    best-share rule (the spec's ``optuna.near_best`` share of the finished
    trials, at least :data:`MIN_NEAR_BEST`): the min-max range of each
    parameter over those trials, a profile-style range, not a posterior.
    (The likelihood-drop rule of ``near_best`` is not used: the objective is a
    tempered log-likelihood of simulated noise, so a fixed drop of 1.92 keeps
    one or two trials of a short search, and a range of two trials says
    nothing.)

    Args:
        spec: The spec (priors, Optuna's near-best share).
        posterior: Fitted keys plus ``weight`` (ABC draws or near-best trials).
        method: ``optuna`` or ``abc``.
        trials: Optuna's finished trials (``number``, ``value``, keys); needed
            for ``optuna``.

    Returns:
        ``(table, correlations, pairs)``: one row per key with ``key``,
        ``prior_low``, ``prior_high``, ``estimate`` (ABC: posterior median;
        Optuna: best trial), ``fit_low``, ``fit_high``, ``width_ratio`` (fitted
        over prior 90% width, on the prior's scale), ``identified`` (None with
        fewer than :data:`MIN_DRAWS` draws), ``interval`` (what the range is);
        the weighted correlation matrix of the draws; and the pairs correlated
        above :data:`sim.calibrate.identify.STRONG_CORRELATION` in size.
    """
    priors = list(spec.priors)
    if method == "optuna":
        if trials is None:
            raise ValueError("identification: Optuna's trials are needed")
        n = len(trials)
        share = min(1.0, max(spec.optuna.near_best, MIN_NEAR_BEST / max(n, 1)))
        nb = identify.near_best(trials, priors, direction="maximize", top_fraction=share)
        table = nb.rename(columns={"best": "estimate", "low": "fit_low", "high": "fit_high"})
        table["interval"] = f"range over {int(nb['trials'].iloc[0])} near-best trials " \
                            "(profile-style, not a posterior)"
        enough = n >= MIN_DRAWS
    else:
        ident = identify.identifiability(priors, posterior)
        table = ident.rename(columns={"post_median": "estimate", "post_low": "fit_low",
                                      "post_high": "fit_high"})
        table["interval"] = "posterior 90% interval"
        enough = len(posterior) >= MIN_DRAWS
    table["identified"] = [bool(r <= identify.NOT_IDENTIFIED_RATIO) if enough else None
                           for r in table["width_ratio"]]
    table = table[["key", "prior_low", "prior_high", "estimate", "fit_low", "fit_high",
                   "width_ratio", "identified", "interval"]]
    if len(priors) > 1 and len(posterior) > 2:
        corr = identify.correlations(priors, posterior)
        pairs = identify.strong_pairs(corr)
    else:
        corr = pd.DataFrame(index=[p.key for p in priors], columns=[p.key for p in priors],
                            dtype=float)
        pairs = pd.DataFrame(columns=["key_a", "key_b", "r"])
    return table, corr, pairs


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
        "correlated_pairs": res.pairs.to_dict(orient="records"),
    }


def _verdict(r: Any) -> str:
    if r.identified is None:
        return "cannot tell: too few draws"
    share = identify.plain_number(100 * r.width_ratio, 2)
    return (f"narrowed to {share}% of the prior width" if r.identified else
            f"NOT identified: still {share}% of the prior width")


def summary_markdown(res: CalibrationResult) -> str:
    """The calibration's result in plain words."""
    spec, ident, num = res.spec, res.identifiability, identify.plain_number
    obs = res.observed
    optuna = res.method == "optuna"
    lines = [f"# Calibration of {spec.name}", ""]
    if spec.description:
        lines += [spec.description, ""]
    fitted = list(spec.series) if spec.series is not None else list(obs.series)
    checks = [c for c in obs.series if c not in fitted]
    lines += [f"Data: {len(obs.weeks)} weeks (week {obs.weeks[0]} to {obs.weeks[-1]}) for a "
              f"brand of {obs.customers_at_start:,.0f} customers at the start; fitted to "
              f"{', '.join(fitted)}" + (f" ({', '.join(checks)} only checked against the fit)"
                                        if checks else "")
              + f"; simulated with {spec.scenario.population.size:,} consumers, "
              f"{spec.replicates} replicate(s) per candidate.", ""]
    small = _small_budget(res)
    if small:
        lines += [f"**Small budget:** {small}. Read the ranges and flags below as a first "
                  "look, not a result.", ""]
    if optuna:
        n = len(res.posterior)
        lines += ["**Method: Optuna (point estimate).** The fitted values are the single "
                  "best parameter set found, not a posterior. The ranges are those of the "
                  f"{n} near-best trials (the best {100 * spec.optuna.near_best:g}% of the "
                  f"{len(res.trace)} finished trials, at least {MIN_NEAR_BEST}): a "
                  "profile-style range that shows how flat the fit is around the best, "
                  "not a credible interval. Use `--method abc` for a posterior.", ""]
    else:
        lines += ["**Method: ABC-SMC (posterior).** The fitted values are posterior "
                  "medians; the ranges are 90% posterior intervals.", ""]
    rng = "near-best range" if optuna else "90% posterior interval"
    lines += ["How much the data narrowed each parameter (widths on the prior's scale: "
              "logarithmic for a log prior):", "",
              f"| parameter | fitted | {rng} | prior 90% | how much the data narrowed it |",
              "| --- | --- | --- | --- | --- |"]
    for r in ident.itertuples():
        lines.append(f"| `{r.key}` | {num(r.estimate)} | {num(r.fit_low)} to {num(r.fit_high)}"
                     f" | {num(r.prior_low)} to {num(r.prior_high)} | {_verdict(r)} |")
    weak = [r.key for r in ident.itertuples() if r.identified is False]
    lines += [""]
    if weak:
        lines += [f"**Not pinned down:** the data cannot tell {_join_keys(weak)} apart from "
                  "their prior range (the range left is more than half the prior's). Their "
                  "fitted values come mostly from the prior: read any answer that depends "
                  "on them as uncertain, and carry their whole range into decisions.", ""]
    elif ident["identified"].notna().all():
        lines += ["The data narrowed every fitted parameter to at most half of its prior "
                  "width.", ""]
    if len(res.pairs):
        lines += ["**Parameters the data pin down only together** (correlation of the "
                  + ("near-best trials" if optuna else "posterior draws") + " above "
                  f"{identify.STRONG_CORRELATION:g} in size):", ""]
        for p in res.pairs.itertuples():
            how = "rises" if p.r > 0 else "falls"
            lines.append(f"- `{p.key_a}` and `{p.key_b}` (correlation {p.r:.2f}): when one is "
                         f"higher the other {how} to fit the data equally well.")
        lines += [""]
    cov = res.coverage.get("overall", math.nan)
    lines += [f"**Posterior-predictive check.** {100 * cov:.0f}% of the observed weekly points "
              "lie inside the simulated 90% band ("
              + ", ".join(f"{k} {100 * v:.0f}%" for k, v in res.coverage.items()
                          if k != "overall") + ").", ""]
    if res.evaluation.targets:
        facts = []
        for t, v in zip(spec.targets, res.evaluation.targets.values(), strict=False):
            met = "met" if t.low <= v <= t.high else "missed"
            facts.append(f"{t.kind.replace('_', ' ')} {100 * v:.2f}% (band {100 * t.low:g}% "
                         f"to {100 * t.high:g}%: {met})")
        lines += ["**Stylised facts** at the fitted values: " + "; ".join(facts) + ".", ""]
    where = Path(".") if res.out is None else Path(res.out)
    lines += [f"Run the fitted brand with `trustsim run {where / 'best.toml'}`; carry the "
              "uncertainty into a decision with the draws in `posterior.parquet` (fitted keys "
              f"plus `weight`), e.g. `trustsim compare A B --posterior "
              f"{where / 'posterior.parquet'}`.", ""]
    return "\n".join(lines)


SMALL_TRIALS = 50
"""Fewer finished Optuna trials than this is a small budget for a few parameters."""
SMALL_SIMULATIONS = 500
"""Fewer ABC simulations than this is a small budget."""


def _small_budget(res: CalibrationResult) -> str:
    """Why the budget is too small to read the result as one ("" if it is not)."""
    if res.method == "optuna":
        n = len(res.trace)
        return (f"only {n} trials for {len(res.spec.priors)} parameters (below {SMALL_TRIALS})"
                if n < SMALL_TRIALS else "")
    sims = int(res.trace["simulations"].sum()) if "simulations" in res.trace else SMALL_SIMULATIONS
    return (f"only {sims:,} simulations (below {SMALL_SIMULATIONS:,})"
            if sims < SMALL_SIMULATIONS else "")


def _join_keys(keys: Sequence[str]) -> str:
    q = [f"`{k}`" for k in keys]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " and " + q[-1]
