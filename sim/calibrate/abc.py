"""A posterior by ABC-SMC: approximate Bayesian computation with sequential Monte Carlo.

Why written here and not pyabc: pyabc 0.13 installs on Python 3.12 without a
deep-learning framework and runs, but (measured 2026-11-30) it adds
scikit-learn, SQLAlchemy, redis, GitPython, jabbar and click, its overhead was
about 30 ms per trivial simulation on this machine (33 s for 1,000 one-line
simulations on one core), and its samplers accept particles in the order
workers finish them from numpy's global generator, so a run is not repeatable
from its seed across executors or after a resume. This project promises exact
reproducibility, so the algorithm (about 300 lines) is written out here.

The algorithm (Beaumont et al. 2009, "Adaptive approximate Bayesian
computation"; adaptive tolerance after Del Moral et al. 2012):

* **Unit space.** Each parameter moves to ``[0, 1]`` through its prior's CDF
  (:meth:`Prior.to_unit`); there every prior is uniform on the box, so the
  prior density of a particle is 1 inside the box and 0 outside.
* **Generation 0** draws ``population_size`` particles from the prior and
  accepts them all (epsilon is infinite).
* **Distance** (default): Euclidean distance between simulated and observed
  statistics, each statistic divided by its scale, the median absolute
  deviation (times 1.4826) of that statistic over every simulation of the
  previous generation (its standard deviation where the MAD is 0, and 1 where
  that is 0 too). The scale is refitted after each generation (adaptive
  scaling, Prangle 2017), so a statistic counts for its spread under the
  current proposal, not for its units. A caller's ``distance(simulated,
  observed) -> float`` replaces it (no scaling then).
* **Tolerance.** Epsilon of generation t is the ``epsilon_quantile`` (default:
  the median) of the previous generation's accepted distances, recomputed
  with the new scale. A particle is accepted when its distance is at most
  epsilon.
* **Proposal.** A parent is drawn by weight from the previous generation and
  moved by a Gaussian kernel whose covariance is twice the weighted sample
  covariance of that generation in unit space. A proposal outside the box has
  prior density 0: it is rejected without simulating (no redraw, which would
  bias weights near the bounds).
* **Importance weights**: prior / kernel mixture, i.e.
  ``1 / sum_j w_j K(u | u_j)``, normalised; the effective sample size is
  ``(sum w)^2 / sum w^2``.
* **Stops** after a generation when epsilon is at most ``min_epsilon``, after
  ``max_generations`` generations, or when the generation's acceptance rate
  (accepted / simulations) fell below ``min_acceptance_rate``. A generation
  that would need more than ``population_size / min_acceptance_rate``
  simulations, or that runs out of ``max_simulations`` or ``max_seconds``, is
  abandoned and the previous generation is the result.

**Reproducibility.** A generation is filled in batches of proposals; the
batch starting at proposal k of generation t draws its parents and moves from
``SeedSequence(seed, spawn_key=(t, k, 0))`` and its simulation seeds from
``(t, k, 1)``. A generation keeps the first ``population_size`` acceptable
proposals in proposal order (never in the order workers finish), and batch
sizes depend only on earlier results. The same seed gives the same draws on
any executor and any number of workers, and a resumed run (which restarts at
a batch boundary) gives the draws of an uninterrupted one. Only
``max_seconds`` depends on the clock (it changes where a run stops, never
what a generation holds).

**Checkpoint and resume.** With ``db_path``, the state (last complete
generation, the accepted part of the current one, the trace) is written
atomically after every batch of simulations. Ctrl-C raises
``KeyboardInterrupt`` after cancelling pending work; the file on disk is the
state after the last finished batch, and ``resume=True`` continues from it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.abc_state import (
    AbcError,
    AbcProgress,
    AbcResult,
    Generation,
    load_state,
    save_state,
)
from sim.calibrate.priors import Prior
from sim.calibrate.smc_math import ess, kernel_chol, log_mixture, robust_scale, scaled_euclidean

Simulate = Callable[[dict[str, float], int], Any]
Distance = Callable[[np.ndarray, np.ndarray], float]


def _chunk_run(simulate: Simulate, items: list[tuple[int, dict[str, float], int]],
               ) -> list[tuple[int, np.ndarray | None, str | None]]:
    """Run a chunk of simulations (in a worker): ``(k, statistics or None, error or None)``."""
    out: list[tuple[int, np.ndarray | None, str | None]] = []
    for k, params, seed in items:
        try:
            s = np.asarray(simulate(params, seed), dtype=float).ravel()
        except Exception as exc:  # one failed simulation is a rejected particle
            out.append((k, None, f"{type(exc).__name__}: {exc}"))
            continue
        out.append((k, s, None))
    return out


class _Run:
    """One ABC-SMC run: the state, the proposals, the batches and the checkpoint."""

    def __init__(self, priors: Sequence[Prior], simulate: Simulate, observed: np.ndarray,
                 opts: dict[str, Any]) -> None:
        self.priors = list(priors)
        self.simulate = simulate
        self.observed = observed
        self.o = opts
        self.n = int(opts["population_size"])
        self.trace: list[dict[str, Any]] = []
        self.total_sims = 0
        self.prev: Generation | None = None
        self.cur: Generation | None = None
        self.stop_reason = ""
        self.first_error = ""
        self.started = time.monotonic()

    # -- parameters and distances ---------------------------------------------
    def params(self, u: np.ndarray) -> list[dict[str, float]]:
        """Unit-space points (rows) to ``{key: value}`` dicts (one quantile call per prior)."""
        cols = [p.from_unit(u[:, i]) for i, p in enumerate(self.priors)] if len(u) else []
        return [{p.key: float(c[j]) for p, c in zip(self.priors, cols, strict=True)}
                for j in range(len(u))]

    def distances(self, stats: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
        """Distances of rows of statistics under the current distance."""
        stats = np.atleast_2d(stats)
        if self.o["distance"] is None:
            return scaled_euclidean(stats, self.observed, scale)  # type: ignore[arg-type]
        d = np.array([float(self.o["distance"](s, self.observed)) for s in stats])
        return np.where(np.isnan(d), np.inf, d)

    # -- proposals --------------------------------------------------------------
    def propose(self, t: int, k0: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Proposals ``k0 .. k0+m-1`` of generation ``t``: unit points, inside-box mask, seeds."""
        p = len(self.priors)
        rng = np.random.default_rng(np.random.SeedSequence(self.o["seed"], spawn_key=(t, k0, 0)))
        seeds = np.random.SeedSequence(self.o["seed"], spawn_key=(t, k0, 1)).generate_state(m)
        if t == 0:
            return rng.random((m, p)), np.ones(m, dtype=bool), seeds
        prev = self.prev
        assert prev is not None
        cdf = np.cumsum(prev.weights)
        j = np.minimum(np.searchsorted(cdf, rng.random(m) * cdf[-1], side="right"), self.n - 1)
        u = prev.u[j] + rng.standard_normal((m, p)) @ kernel_chol(prev.u, prev.weights).T
        return u, np.all((u >= 0.0) & (u <= 1.0), axis=1), seeds

    # -- running simulations ------------------------------------------------------
    def evaluate(self, items: list[tuple[int, dict[str, float], int]],
                 ) -> list[tuple[int, np.ndarray | None, str | None]]:
        """Simulate ``items`` on the executor (in order), or here without one."""
        ex: Executor | None = self.o["executor"]
        if not items:
            return []
        if ex is None:
            return _chunk_run(self.simulate, items)
        size = self.o["chunk_size"] or max(
            1, math.ceil(len(items) / (4 * (getattr(ex, "_max_workers", None) or 2))))
        futures: list[Future] = []
        try:
            for a in range(0, len(items), size):
                futures.append(ex.submit(_chunk_run, self.simulate, items[a:a + size]))
            return [r for f in futures for r in f.result()]
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def batch_size(self, g: Generation) -> int:
        """Proposals in the next batch: enough for the particles still needed at the past rate."""
        need = self.n - len(g.u)
        if g.t == 0:
            return need
        if g.tried:
            rate = max(len(g.u), 1) / g.tried
        else:
            last = self.trace[-1]
            rate = max(last["accepted"], 1) / max(last["proposals"], 1)
        return int(min(max(math.ceil(need / rate * 1.1), need), 4 * self.n))

    def limit(self, g: Generation) -> str:
        """Why the generation must be abandoned now, or ''."""
        o = self.o
        if o["max_simulations"] is not None and self.total_sims >= o["max_simulations"]:
            return f"simulation budget ({o['max_simulations']}) used up"
        if o["max_seconds"] is not None and time.monotonic() - self.started > o["max_seconds"]:
            return f"time budget ({o['max_seconds']} s) used up"
        rate = o["min_acceptance_rate"]
        if rate and g.t > 0 and g.simulations >= self.n / rate:
            return (f"acceptance rate fell below {rate} (generation {g.t} needed more than "
                    f"{math.ceil(self.n / rate)} simulations)")
        return ""

    def fill(self, g: Generation) -> bool:
        """Fill generation ``g`` batch by batch; False if it had to be abandoned."""
        while len(g.u) < self.n:
            why = self.limit(g)
            if why:
                self.stop_reason = why
                return False
            size = self.batch_size(g)
            if self.o["max_simulations"] is not None:
                size = min(size, self.o["max_simulations"] - self.total_sims)
            u, inside, seeds = self.propose(g.t, g.tried, size)
            ks = np.flatnonzero(inside)
            items = [(g.tried + int(k), par, int(seeds[k]))
                     for k, par in zip(ks, self.params(u[inside]), strict=True)]
            self.absorb(g, u, inside, self.evaluate(items))
            self.checkpoint()
            self.report(g, done=len(g.u) >= self.n)
        return True

    def absorb(self, g: Generation, u: np.ndarray, inside: np.ndarray,
               results: list[tuple[int, np.ndarray | None, str | None]]) -> None:
        """Add a batch's results to generation ``g``, keeping proposal order."""
        errors = [err for _, _, err in results if err]
        self.first_error = self.first_error or (errors[0] if errors else "")
        if errors and len(errors) == len(results) and self.prev is None and not g.every_stat:
            raise AbcError(f"every simulation so far failed; the first: {errors[0]}")
        for _, st, _ in results:
            if st is not None and st.shape != self.observed.shape:
                raise AbcError(f"the simulator returned {st.size} statistics, the observed data "
                               f"has {self.observed.size}; they must match")
        # Simulations after the one that completes the generation ran but are not used.
        self.total_sims += len(results)
        g.simulations += len(results)
        ok = [(k, st) for k, st, _ in results if st is not None and np.all(np.isfinite(st))]
        stats = np.array([st for _, st in ok]).reshape(-1, self.observed.size)
        dist = (np.full(len(ok), math.inf) if math.isinf(g.epsilon)
                else self.distances(stats, g.scale) if ok else np.zeros(0))
        row = {k: i for i, (k, _) in enumerate(ok)}
        k0, accepted = g.tried, []
        for k in range(k0, k0 + len(u)):
            if len(g.u) + len(accepted) == self.n:
                break
            g.tried = k + 1
            if not inside[k - k0]:
                continue
            if k not in row:
                g.failed += 1
                continue
            i = row[k]
            g.every_stat.append(stats[i])
            if dist[i] <= g.epsilon:
                accepted.append(i)
        if accepted:
            g.u = np.vstack([g.u, u[[ok[i][0] - k0 for i in accepted]]])
            g.stats = np.vstack([g.stats, stats[accepted]])
            g.distances = np.concatenate([g.distances, dist[accepted]])

    def report(self, g: Generation, done: bool) -> None:
        """Tell the progress callback."""
        if self.o["progress"] is not None:
            self.o["progress"](AbcProgress(g.t, g.epsilon, len(g.u), self.n, self.total_sims,
                                           done))

    # -- generations ----------------------------------------------------------------
    def new_gen(self, t: int) -> Generation:
        """An empty generation ``t`` with its scale and tolerance from the previous one."""
        p, k = len(self.priors), self.observed.size
        empty = dict(u=np.zeros((0, p)), stats=np.zeros((0, k)), distances=np.zeros(0))
        if t == 0:
            return Generation(0, math.inf, None, **empty)
        prev = self.prev
        assert prev is not None
        scale = robust_scale(np.vstack(prev.every_stat)) if self.o["distance"] is None else None
        d = self.distances(prev.stats, scale)
        eps = float(np.quantile(d, self.o["epsilon_quantile"]))
        return Generation(t, eps, scale, **empty)

    def finish(self, g: Generation) -> None:
        """Weight a complete generation and add its row to the trace."""
        if g.t == 0:
            g.weights = np.full(self.n, 1.0 / self.n)
            default = self.o["distance"] is None
            g.distances = self.distances(
                g.stats, robust_scale(np.vstack(g.every_stat)) if default else None)
        else:
            prev = self.prev
            assert prev is not None
            logm = log_mixture(g.u, prev.u, prev.weights, kernel_chol(prev.u, prev.weights))
            w = np.exp(-(logm - logm.min()))
            g.weights = w / w.sum()
        self.trace.append(dict(
            generation=g.t, epsilon=g.epsilon, accepted=len(g.u), simulations=g.simulations,
            proposals=g.tried, failed=g.failed,
            acceptance_rate=len(g.u) / max(g.simulations, 1), ess=ess(g.weights)))

    def stop_after(self, g: Generation) -> str:
        """Why to stop after complete generation ``g``, or ''."""
        o = self.o
        if g.epsilon <= o["min_epsilon"]:
            return f"epsilon reached {o['min_epsilon']}"
        if g.t + 1 >= o["max_generations"]:
            return f"{o['max_generations']} generations done"
        rate = self.trace[-1]["acceptance_rate"]
        if g.t > 0 and rate < o["min_acceptance_rate"]:
            return f"acceptance rate {rate:.4f} fell below {o['min_acceptance_rate']}"
        return ""

    def run(self) -> AbcResult:
        """Run generations until a stop rule holds."""
        while True:
            if self.cur is None:
                if self.prev is not None:
                    why = self.stop_after(self.prev)
                    if why:
                        self.stop_reason = why
                        break
                self.cur = self.new_gen(0 if self.prev is None else self.prev.t + 1)
            if not self.fill(self.cur):
                if self.prev is None:
                    raise AbcError(f"no complete generation: {self.stop_reason}; generation 0 "
                                   f"needs {self.n} simulations")
                break
            self.finish(self.cur)
            self.prev, self.cur = self.cur, None
            self.checkpoint()
        return self.result()

    def result(self) -> AbcResult:
        """The result from the last complete generation."""
        g = self.prev
        assert g is not None
        draws = pd.DataFrame({p.key: p.from_unit(g.u[:, i]) for i, p in enumerate(self.priors)})
        draws["weight"] = g.weights
        return AbcResult(draws, pd.DataFrame(self.trace), g.epsilon, self.stop_reason,
                         self.total_sims, g.stats, g.distances, self.first_error)

    # -- checkpoint ---------------------------------------------------------------------
    # -- checkpoint ---------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this run."""
        dist = self.o["distance"]
        return dict(
            priors=[p.as_dict() for p in self.priors], observed=self.observed.tolist(),
            population_size=self.n, seed=self.o["seed"],
            epsilon_quantile=self.o["epsilon_quantile"],
            distance=None if dist is None else getattr(dist, "__qualname__", repr(dist)))

    def checkpoint(self) -> None:
        """Write the state atomically to ``db_path`` (if given)."""
        if self.o["db_path"] is not None:
            save_state(self.o["db_path"], dict(fingerprint=self.fingerprint(), trace=self.trace,
                                               total_sims=self.total_sims),
                       {"prev": self.prev, "cur": self.cur}, self.observed.size)

    def restore(self, path: Path) -> None:
        """Continue from the checkpoint at ``path``."""
        try:
            meta, gens = load_state(path)
        except ValueError as exc:
            raise AbcError(str(exc)) from None
        theirs, ours = meta["fingerprint"], self.fingerprint()
        differ = [k for k in ours if theirs.get(k) != ours[k]]
        if differ:
            raise AbcError(f"{path}: the checkpoint was written by a run with other "
                           f"{', '.join(differ)}; resume with the same settings, or delete it "
                           "to start afresh")
        self.trace, self.total_sims = meta["trace"], meta["total_sims"]
        self.prev, self.cur = gens.get("prev"), gens.get("cur")


def abc_smc(
    priors: Sequence[Prior],
    simulate: Simulate,
    observed: Any,
    *,
    population_size: int = 200,
    max_generations: int = 8,
    min_epsilon: float = 0.0,
    epsilon_quantile: float = 0.5,
    min_acceptance_rate: float = 0.01,
    max_simulations: int | None = None,
    max_seconds: float | None = None,
    distance: Distance | None = None,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    db_path: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[AbcProgress], None] | None = None,
    seed: int = 0,
) -> AbcResult:
    """Sample the posterior of ``priors`` given ``observed`` statistics by ABC-SMC.

    Args:
        priors: One prior per fitted parameter (its key names the column).
        simulate: ``simulate(params, seed) -> statistics``: a picklable callable
            (module-level function or instance of a module-level class) giving a
            1-D array as long as ``observed``. An exception or a non-finite value
            rejects that particle (counted as failed in the trace).
        observed: The observed statistics (1-D, finite).
        population_size: Particles per generation.
        max_generations: Most generations, the prior sample included.
        min_epsilon: Stop once a generation's tolerance is at most this.
        epsilon_quantile: Quantile of the previous distances that sets the next tolerance.
        min_acceptance_rate: Stop when a generation's acceptance rate falls below
            this; 0 turns the rule off.
        max_simulations: Budget of simulations over the run (None: no limit).
        max_seconds: Budget of wall-clock seconds (None: no limit).
        distance: ``distance(simulated, observed) -> float`` instead of the
            adaptively scaled Euclidean distance.
        executor: Runs the simulations (a ``ProcessPoolExecutor``, a Dask
            client's ``get_executor()``...); None runs them in this process.
        chunk_size: Simulations per submitted task (default: about four tasks
            per worker and batch).
        db_path: Checkpoint file, rewritten after every batch (None: none).
        resume: Continue from ``db_path`` if it exists; without it an existing
            checkpoint is an error (nothing is overwritten silently).
        progress: Called with an :class:`AbcProgress` after every batch.
        seed: Root seed of every proposal and simulation.

    Returns:
        The last complete generation.

    Raises:
        AbcError: For bad arguments, a simulator whose output does not fit, a
            first batch in which every simulation failed, or a checkpoint that
            does not match these settings.
        KeyboardInterrupt: On Ctrl-C, after pending simulations are cancelled
            (the checkpoint holds the last finished batch).
    """
    obs = np.asarray(observed, dtype=float)
    _check(priors, obs, population_size, max_generations, epsilon_quantile,
           min_acceptance_rate, max_simulations)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise AbcError(f"seed must be a whole number of 0 or more, got {seed!r}")
    opts = dict(population_size=population_size, max_generations=max_generations,
                min_epsilon=min_epsilon, epsilon_quantile=epsilon_quantile,
                min_acceptance_rate=min_acceptance_rate, max_simulations=max_simulations,
                max_seconds=max_seconds, distance=distance, executor=executor,
                chunk_size=chunk_size, db_path=None if db_path is None else Path(db_path),
                progress=progress, seed=int(seed))
    run = _Run(priors, simulate, obs, opts)
    path = opts["db_path"]
    if path is not None and path.exists():
        if not resume:
            raise AbcError(f"{path} exists: pass resume=True to continue that run, or delete "
                           "it to start afresh")
        run.restore(path)
    return run.run()


def _check(priors: Sequence[Prior], obs: np.ndarray, population_size: int,
           max_generations: int, epsilon_quantile: float, min_acceptance_rate: float,
           max_simulations: int | None) -> None:
    """Refuse bad arguments with a message naming the argument and what is allowed."""
    keys = [p.key for p in priors]
    if not keys:
        raise AbcError("priors: at least one parameter to fit is needed")
    if len(set(keys)) != len(keys):
        raise AbcError(f"priors: each key once, got {keys}")
    if obs.ndim != 1 or obs.size == 0 or not np.all(np.isfinite(obs)):
        raise AbcError("observed: must be a non-empty 1-D array of finite numbers")
    if population_size < 2:
        raise AbcError(f"population_size must be at least 2, got {population_size}")
    if max_generations < 1:
        raise AbcError(f"max_generations must be at least 1, got {max_generations}")
    if not 0.0 < epsilon_quantile < 1.0:
        raise AbcError(f"epsilon_quantile must be between 0 and 1, got {epsilon_quantile}")
    if not 0.0 <= min_acceptance_rate < 1.0:
        raise AbcError(f"min_acceptance_rate must be in [0, 1), got {min_acceptance_rate}")
    if max_simulations is not None and max_simulations < population_size:
        raise AbcError(f"max_simulations ({max_simulations}) must be at least "
                       f"population_size ({population_size}): generation 0 needs that many")
