"""A point estimate by Optuna: the parameter set the data make most likely.

The search maximises the log-posterior (the objective's log-likelihood plus
the log prior density; with uniform priors, the likelihood alone) with
Optuna's TPE sampler (default) or CMA-ES. Candidates are evaluated on any
:class:`concurrent.futures.Executor` (the sweep's local processes or a Dask
cluster): one trial per worker is kept in flight, and TPE's *constant liar*
keeps parallel trials apart.

Every finished trial is stored at once in Optuna's storage (an SQLite file
in the calibration folder), so an interrupted search loses nothing but the
trials that were running; :func:`optimize` with the same storage continues
it until the budget of finished trials is reached. Trials left running by
an interruption are marked failed on resume.

Layer: calibration methods (over the objective; the executor is passed in).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.objective import Evaluation, Objective
from sim.calibrate.priors import Prior
from sim.sweep.executors import deferred_sigint

STUDY_NAME = "trustsim-calibration"


@dataclass
class OptunaResult:
    """What the search found.

    Attributes:
        best: The best parameter set (fitted keys to values).
        best_value: Its log-posterior.
        trials: One row per finished trial: ``number``, ``value`` (log-posterior),
            ``loglik``, ``distance`` and the fitted keys.
        complete: Finished trials (all sessions of a resumed study).
    """

    best: dict[str, float]
    best_value: float
    trials: pd.DataFrame
    complete: int


def _sampler(kind: str, seed: int, dims: int) -> Any:
    import warnings

    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    if kind == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=max(10, 2 * dims))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(10, 2 * dims),
                                      multivariate=True, constant_liar=True)


def open_study(storage: str, *, sampler: str = "tpe", seed: int = 0, dims: int = 1,
               resume: bool = False) -> Any:
    """Create (or, to resume, load) the study in ``storage``.

    Args:
        storage: An Optuna storage URL (``sqlite:///DIR/study.sqlite3``).
        sampler: ``tpe`` or ``cmaes``.
        seed: Sampler seed.
        dims: Number of fitted parameters (sets the random start-up trials).
        resume: Load the existing study; its trials left running are marked failed.

    Returns:
        The :class:`optuna.study.Study`.
    """
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with deferred_sigint():  # a Ctrl-C waits until the database is left consistent
        study = optuna.create_study(study_name=STUDY_NAME, storage=storage,
                                    direction="maximize", load_if_exists=resume,
                                    sampler=_sampler(sampler, seed, dims))
        if resume:
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
                study.tell(t.number, state=TrialState.FAIL)
    return study


def _distributions(priors: Sequence[Prior]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution

    return {p.key: FloatDistribution(p.low, p.high, log=p.log) for p in priors}


def _log_prior(priors: Sequence[Prior], params: dict[str, float]) -> float:
    return float(sum(p.logpdf(params[p.key]) for p in priors))


def optimize(
    objective: Objective | Callable[[dict[str, float]], Evaluation],
    priors: Sequence[Prior],
    study: Any,
    *,
    trials: int,
    executor: Executor,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> OptunaResult:
    """Run (or continue) the search until ``trials`` trials have finished.

    Args:
        objective: Scores a parameter dict (picklable for process executors).
        priors: One prior per fitted key (bounds, log scale, density).
        study: From :func:`open_study`.
        trials: Budget of finished trials, counting those of earlier sessions.
        executor: Where evaluations run.
        workers: Trials kept in flight at once.
        progress: Callback ``progress(finished, trials)``.

    Returns:
        The result.

    Raises:
        KeyboardInterrupt: On Ctrl-C, after marking the running trials failed
            (finished ones are already stored).
    """
    from optuna.trial import TrialState

    dists = _distributions(priors)
    with deferred_sigint():
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    running: dict[Future, Any] = {}
    asked: Any = None  # a trial asked for and not yet handed to the executor
    if progress is not None:
        progress(done, trials)
    try:
        while done < trials or running:
            while done + len(running) < trials and len(running) < max(workers, 1):
                with deferred_sigint():  # Ctrl-C lands between database calls, not in one
                    asked = study.ask(dists)
                params = {k: float(v) for k, v in asked.params.items()}
                fut = executor.submit(objective, params)  # in-process: runs it now
                running[fut], asked = asked, None
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                trial = running.pop(fut)
                with deferred_sigint():
                    done += _tell(study, trial, fut, priors)
            if progress is not None:
                progress(done, trials)
    except BaseException:
        with deferred_sigint():
            for fut, trial in running.items():
                fut.cancel()
                study.tell(trial, state=TrialState.FAIL)
            if asked is not None:
                study.tell(asked, state=TrialState.FAIL)
        raise
    with deferred_sigint():
        return result(study)


def _tell(study: Any, trial: Any, fut: Future, priors: Sequence[Prior]) -> int:
    """Store one finished evaluation; 1 if it counts towards the budget."""
    from optuna.trial import TrialState

    try:
        ev: Evaluation = fut.result()
    except Exception as exc:  # a failed evaluation is recorded, never fatal
        trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:2000])
        study.tell(trial, state=TrialState.FAIL)
        return 0
    value = ev.loglik + _log_prior(priors, ev.params)
    if not math.isfinite(value):
        trial.set_user_attr("error", "log-likelihood is not finite")
        study.tell(trial, state=TrialState.FAIL)
        return 0
    trial.set_user_attr("loglik", ev.loglik)
    trial.set_user_attr("distance", ev.distance)
    trial.set_user_attr("terms", {k: float(v) for k, v in ev.terms.items()})
    study.tell(trial, value)
    return 1


def result(study: Any) -> OptunaResult:
    """The finished trials of a study as a table, and the best one.

    Args:
        study: An Optuna study with at least one finished trial.

    Returns:
        The result.

    Raises:
        ValueError: If no trial has finished.
    """
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        rows.append({"number": t.number, "value": t.value,
                     "loglik": t.user_attrs.get("loglik", np.nan),
                     "distance": t.user_attrs.get("distance", np.nan), **t.params})
    if not rows:
        raise ValueError("no trial has finished: nothing to report")
    table = pd.DataFrame(rows).sort_values("number").reset_index(drop=True)
    best = table.loc[table["value"].idxmax()]
    keys = [c for c in table.columns if c not in ("number", "value", "loglik", "distance")]
    return OptunaResult({k: float(best[k]) for k in keys}, float(best["value"]), table,
                        len(rows))


MIN_NEAR_BEST = 10
"""The near-best set keeps at least this many trials (all of them if fewer finished)."""


def near_best(res: OptunaResult, share: float) -> pd.DataFrame:
    """The best ``share`` of the finished trials (at least :data:`MIN_NEAR_BEST`), equally weighted.

    Not a posterior: Optuna samples where it expects good values, not in
    proportion to the posterior. The set shows how flat the fit is around
    the best: TPE concentrates its trials along the directions the data pin
    down and leaves them spread along the ones they do not. It comes in the
    posterior file format (the fitted keys plus ``weight``), best first.

    Args:
        res: The search's result.
        share: Share of the finished trials to keep, in ``(0, 1]``.

    Returns:
        The table.
    """
    t = res.trials.sort_values(["value", "number"], ascending=[False, True])
    n = min(len(t), max(MIN_NEAR_BEST, math.ceil(share * len(t))))
    out = t.head(n)[list(res.best)].reset_index(drop=True)
    out["weight"] = 1.0 / n
    return out
