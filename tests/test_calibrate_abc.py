"""ABC-SMC: known posteriors, exact reproducibility, executors, resume, stop rules, errors."""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.calibrate.abc import AbcError, AbcProgress, abc_smc
from sim.calibrate.abc_state import load_state
from sim.calibrate.identify import identifiability, weighted_quantile
from sim.calibrate.priors import Prior
from sim.calibrate.smc_math import (
    ess,
    kernel_chol,
    log_mixture,
    robust_scale,
    scaled_euclidean,
    weighted_cov,
)

N_OBS = 10
"""Observations behind the sample mean: its standard deviation is 1/sqrt(10)."""

PRIORS = [Prior("trust.gain_rate", -5.0, 5.0), Prior("churn.base_hazard", 0.01, 1.0, log=True)]
OBSERVED = [1.0]


def simulate(params: dict[str, float], seed: int) -> np.ndarray:
    """The mean of ten N(mu, 1) observations; the second parameter is ignored."""
    rng = np.random.default_rng(seed)
    return np.array([params["trust.gain_rate"] + rng.normal(0.0, 1.0 / np.sqrt(N_OBS))])


def run(**kw: object) -> object:
    args: dict[str, object] = dict(population_size=60, max_generations=3, seed=3)
    args.update(kw)
    return abc_smc(PRIORS, simulate, OBSERVED, **args)  # type: ignore[arg-type]


def test_normal_mean_posterior_matches_the_analytic_one() -> None:
    # Uniform prior on [-5, 5], ybar = 1 observed: posterior N(1, 1/10) (the bounds are
    # 12 sd away): mean 1, sd 0.316, 90% interval 1 -/+ 0.520.
    res = abc_smc(PRIORS, simulate, OBSERVED, population_size=200, max_generations=7, seed=0)
    w, mu = res.weights, res.draws["trust.gain_rate"].to_numpy()
    mean = float(w @ mu)
    sd = float(np.sqrt(w @ (mu - mean) ** 2))
    lo, hi = weighted_quantile(mu, w, [0.05, 0.95])
    half = stats.norm.ppf(0.95) / np.sqrt(N_OBS)
    assert mean == pytest.approx(1.0, abs=0.08)
    assert sd == pytest.approx(1 / np.sqrt(N_OBS), rel=0.2)
    assert lo == pytest.approx(1 - half, abs=0.15)
    assert hi == pytest.approx(1 + half, abs=0.15)
    assert res.weights.sum() == pytest.approx(1.0)
    table = identifiability(PRIORS, res.draws).set_index("key")
    # The data pin the mean down (about 1.04 of a prior width of 9: ratio about 0.12) ...
    assert table.loc["trust.gain_rate", "identified"]
    assert table.loc["trust.gain_rate", "width_ratio"] < 0.2
    # ... but not the parameter the simulator ignores: it keeps about its prior width.
    assert not table.loc["churn.base_hazard", "identified"]
    assert table.loc["churn.base_hazard", "width_ratio"] > 0.7


def test_tolerance_shrinks_and_trace_is_consistent() -> None:
    res = run(population_size=80, max_generations=5)
    tr = res.trace
    assert list(tr["generation"]) == [0, 1, 2, 3, 4]
    assert np.isinf(tr["epsilon"].iloc[0])
    eps = tr["epsilon"].to_numpy()[1:]
    # Scaled by a spread that itself shrinks, epsilon may rise a little from one generation
    # to the next; over the run it falls.
    assert eps[-1] < eps[0] / 2
    assert res.epsilon == eps[-1]
    assert (tr["accepted"] == 80).all()
    assert tr["simulations"].sum() == res.simulations
    assert tr["acceptance_rate"].iloc[0] == 1.0
    assert ((tr["ess"] > 0) & (tr["ess"] <= 80 + 1e-9)).all()
    assert np.all(res.distances <= res.epsilon)
    assert res.stats.shape == (80, 1)
    assert "5 generations" in res.stop_reason


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    a, b, c = run(), run(), run(seed=4)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_frame_equal(a.trace, b.trace)
    assert not np.allclose(a.draws["trust.gain_rate"], c.draws["trust.gain_rate"])


class Here(Executor):
    """Runs each submission at once, here; counts the submissions."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.submitted += 1
        fut: Future = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut


def test_draws_do_not_depend_on_how_simulations_are_chunked() -> None:
    base = run()
    for chunk in (1, 7):
        ex = Here()
        other = run(executor=ex, chunk_size=chunk)
        assert ex.submitted >= other.simulations / chunk
        pd.testing.assert_frame_equal(base.draws, other.draws)
        pd.testing.assert_frame_equal(base.trace, other.trace)


@pytest.mark.slow
def test_process_pool_gives_the_in_process_draws() -> None:
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
        pooled = run(executor=ex)
    pd.testing.assert_frame_equal(run().draws, pooled.draws)


class InterruptAfter:
    """A simulator that is interrupted (Ctrl-C) at its ``n``-th call."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self, params: dict[str, float], seed: int) -> np.ndarray:
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return simulate(params, seed)


@pytest.mark.parametrize(("stop_at", "saved"), [
    (30, None),  # in the first batch: nothing finished, nothing saved
    (61, (0, 0)),  # generation 0 complete, generation 1 not started
    (150, (0, 1)),  # generation 1 part-filled: its finished batches are kept
])
def test_resume_after_ctrl_c_gives_the_uninterrupted_result(
        tmp_path: Path, stop_at: int, saved: tuple[int, int] | None) -> None:
    db = tmp_path / "abc.npz"
    kw = dict(population_size=60, max_generations=3, seed=3)
    with pytest.raises(KeyboardInterrupt):
        abc_smc(PRIORS, InterruptAfter(stop_at), OBSERVED, db_path=db, **kw)
    if saved is None:
        assert not db.exists()
    else:
        _, gens = load_state(db)
        assert gens["prev"].t == saved[0]
        assert ("cur" in gens and len(gens["cur"].u) > 0) == (saved[1] == 1)
    resumed = abc_smc(PRIORS, simulate, OBSERVED, db_path=db, resume=True, **kw)
    whole = abc_smc(PRIORS, simulate, OBSERVED, **kw)
    pd.testing.assert_frame_equal(resumed.draws, whole.draws)
    pd.testing.assert_frame_equal(resumed.trace, whole.trace)
    assert resumed.simulations == whole.simulations


def test_ctrl_c_between_generations_keeps_the_finished_ones(tmp_path: Path) -> None:
    db = tmp_path / "abc.npz"

    def stop_after_generation_1(p: AbcProgress) -> None:
        if p.done and p.generation == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(db_path=db, progress=stop_after_generation_1)
    seen: list[int] = []
    resumed = run(db_path=db, resume=True, progress=lambda p: seen.append(p.generation))
    assert set(seen) == {2}  # generations 0 and 1 came from the checkpoint
    pd.testing.assert_frame_equal(resumed.draws, run().draws)


def test_a_finished_run_continues_with_a_larger_budget(tmp_path: Path) -> None:
    db = tmp_path / "abc.npz"
    run(db_path=db, max_generations=2)
    again = run(db_path=db, resume=True, max_generations=2)  # nothing left to do
    assert len(again.trace) == 2
    longer = run(db_path=db, resume=True, max_generations=4)
    pd.testing.assert_frame_equal(longer.draws, run(max_generations=4).draws)


def test_checkpoint_is_never_overwritten_or_mixed_up(tmp_path: Path) -> None:
    db = tmp_path / "abc.npz"
    run(db_path=db, max_generations=1)
    with pytest.raises(AbcError, match="exists: pass resume=True"):
        run(db_path=db)
    with pytest.raises(AbcError, match="other seed"):
        run(db_path=db, resume=True, seed=99)
    bad = tmp_path / "bad.npz"
    bad.write_text("not a checkpoint")
    with pytest.raises(AbcError, match="not an ABC-SMC checkpoint"):
        run(db_path=bad, resume=True)


def test_resume_without_a_checkpoint_starts_afresh(tmp_path: Path) -> None:
    res = run(db_path=tmp_path / "new.npz", resume=True)
    pd.testing.assert_frame_equal(res.draws, run().draws)
    assert (tmp_path / "new.npz").exists()


def test_min_epsilon_stops_the_run() -> None:
    res = run(max_generations=20, min_epsilon=0.5)
    assert res.epsilon <= 0.5
    assert res.trace["epsilon"].iloc[-2] > 0.5
    assert "epsilon reached 0.5" in res.stop_reason


def test_simulation_budget_keeps_the_last_complete_generation() -> None:
    res = run(max_generations=20, max_simulations=300)
    assert "budget (300)" in res.stop_reason
    assert res.simulations <= 300
    assert (res.trace["accepted"] == 60).all()
    with pytest.raises(AbcError, match="generation 0 needs that many"):
        run(max_simulations=10)


def test_low_acceptance_abandons_the_generation() -> None:
    res = run(max_generations=30, min_acceptance_rate=0.3)
    assert "acceptance rate" in res.stop_reason
    assert (res.trace["accepted"] == 60).all()


def test_progress_reports_every_batch_and_each_generation_once() -> None:
    seen: list[AbcProgress] = []
    res = run(progress=seen.append)
    done = [p.generation for p in seen if p.done]
    assert done == [0, 1, 2]
    assert seen[-1].simulations == res.simulations
    assert all(p.accepted <= p.population_size == 60 for p in seen)


def test_a_callers_distance_replaces_the_scaled_one() -> None:
    res = run(distance=lambda s, o: float(abs(s[0] - o[0])), max_generations=4)
    assert np.all(res.distances <= res.epsilon)
    # An unscaled distance on ybar: epsilon is in the statistic's own units.
    assert res.epsilon < 1.0
    assert abs(float(res.weights @ res.draws["trust.gain_rate"]) - 1.0) < 0.4


def flaky(params: dict[str, float], seed: int) -> np.ndarray:
    if params["trust.gain_rate"] < -2.5:
        raise RuntimeError("model blew up")
    if params["trust.gain_rate"] > 4.0:
        return np.array([np.nan])
    return simulate(params, seed)


def test_failed_simulations_are_rejected_and_counted() -> None:
    res = abc_smc(PRIORS, flaky, OBSERVED, population_size=60, max_generations=2, seed=1)
    assert res.trace["failed"].iloc[0] > 0
    assert res.trace["simulations"].iloc[0] == 60 + res.trace["failed"].iloc[0]
    assert (res.draws["trust.gain_rate"] >= -2.5).all()
    assert res.first_error == "RuntimeError: model blew up"


class FailsLater:
    """Fails every call after the first ``n`` (a batch late in the run fails whole)."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self, params: dict[str, float], seed: int) -> np.ndarray:
        self.calls += 1
        if self.calls > self.n:
            raise RuntimeError("cluster node lost")
        return simulate(params, seed)


def test_a_failed_batch_after_good_ones_stops_at_the_budget_not_with_an_error() -> None:
    res = abc_smc(PRIORS, FailsLater(100), OBSERVED, population_size=60, max_generations=5,
                  seed=1, min_acceptance_rate=0.1)
    assert len(res.trace) >= 1
    assert "acceptance rate" in res.stop_reason
    assert res.first_error == "RuntimeError: cluster node lost"


def always_fails(params: dict[str, float], seed: int) -> np.ndarray:
    raise RuntimeError("no model here")


def wrong_length(params: dict[str, float], seed: int) -> np.ndarray:
    return np.zeros(3)


def test_broken_simulators_give_clear_errors() -> None:
    with pytest.raises(AbcError, match=r"every simulation so far failed.*no model here"):
        abc_smc(PRIORS, always_fails, OBSERVED, population_size=10)
    with pytest.raises(AbcError, match="returned 3 statistics, the observed data has 1"):
        abc_smc(PRIORS, wrong_length, OBSERVED, population_size=10)


@pytest.mark.parametrize(("kw", "message"), [
    (dict(population_size=1), "population_size must be at least 2"),
    (dict(max_generations=0), "max_generations must be at least 1"),
    (dict(epsilon_quantile=1.0), "epsilon_quantile must be between 0 and 1"),
    (dict(min_acceptance_rate=-0.1), "min_acceptance_rate must be in"),
    (dict(seed=-1), "seed must be a whole number of 0 or more"),
    (dict(seed=1.5), "seed must be a whole number"),
])
def test_bad_arguments_are_refused(kw: dict[str, object], message: str) -> None:
    with pytest.raises(AbcError, match=message):
        abc_smc(PRIORS, simulate, OBSERVED, **kw)  # type: ignore[arg-type]


def test_bad_priors_or_observed_are_refused() -> None:
    with pytest.raises(AbcError, match="observed: must be a non-empty 1-D"):
        abc_smc(PRIORS, simulate, [np.nan])
    with pytest.raises(AbcError, match="each key once"):
        abc_smc([PRIORS[0], PRIORS[0]], simulate, OBSERVED)
    with pytest.raises(AbcError, match="at least one parameter"):
        abc_smc([], simulate, OBSERVED)


# -- the arithmetic (sim.calibrate.smc_math) --------------------------------------


def test_robust_scale_is_mad_then_sd_then_one() -> None:
    x = np.array([[1.0, 5.0, 2.0], [2.0, 5.0, 2.0], [3.0, 5.0, 2.0], [4.0, 5.0, 2.0],
                  [100.0, 5.0, 10.0]])
    # column 0: median 3, deviations 2,1,0,1,97 -> MAD 1; column 1 constant; column 2: MAD 0,
    # standard deviation 3.2 (four 2s and one 10)
    assert robust_scale(x) == pytest.approx([1.4826, 1.0, 3.2])
    d = scaled_euclidean(np.array([[4.0, 2.0], [np.nan, 0.0]]), np.array([1.0, 2.0]),
                         np.array([3.0, 1.0]))
    assert d[0] == pytest.approx(1.0)
    assert np.isinf(d[1])


def test_kernel_and_weights_match_scipy() -> None:
    rng = np.random.default_rng(0)
    old, new = rng.random((7, 2)), rng.random((5, 2))
    w = rng.random(7)
    w /= w.sum()
    cov = np.cov(old.T, aweights=w, bias=True)
    assert weighted_cov(old, w) == pytest.approx(cov)
    chol = kernel_chol(old, w)
    assert chol @ chol.T == pytest.approx(2 * cov)
    dens = np.array([sum(wj * stats.multivariate_normal(o, 2 * cov).pdf(x)
                         for wj, o in zip(w, old, strict=True)) for x in new])
    got = log_mixture(new, old, w, chol)
    # equal up to the kernel's normalising constant
    assert got - np.log(dens) == pytest.approx(np.full(5, (got - np.log(dens))[0]))
    assert ess(np.ones(4)) == 4.0
    assert ess(np.array([1.0, 0.0, 0.0])) == 1.0


def test_collapsed_population_still_gives_a_kernel() -> None:
    chol = kernel_chol(np.full((5, 2), 0.3), np.full(5, 0.2))
    assert np.all(np.isfinite(chol))
    assert np.all(np.diag(chol) > 0)


@pytest.mark.slow
def test_a_dask_client_executor_gives_the_in_process_draws() -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        pooled = run(executor=client.get_executor(pure=False))
    pd.testing.assert_frame_equal(run().draws, pooled.draws)


def sum_only(params: dict[str, float], seed: int) -> np.ndarray:
    """Sees only a + b: the data pin down the sum, not each."""
    rng = np.random.default_rng(seed)
    return np.array([params["a.one"] + params["a.two"] + rng.normal(0.0, 0.05)])


def test_a_pair_seen_only_as_its_sum_is_flagged_as_correlated() -> None:
    from sim.calibrate.identify import correlations, strong_pairs, summary_text

    priors = [Prior("a.one", 0.0, 1.0), Prior("a.two", 0.0, 1.0)]
    res = abc_smc(priors, sum_only, [1.0], population_size=150, max_generations=5, seed=2)
    pairs = strong_pairs(correlations(priors, res.draws))
    assert list(pairs[["key_a", "key_b"]].iloc[0]) == ["a.one", "a.two"]
    assert pairs["r"].iloc[0] < -0.8
    total = res.draws["a.one"] + res.draws["a.two"]
    assert abs(float(res.weights @ total) - 1.0) < 0.05
    text = summary_text(identifiability(priors, res.draws), pairs)
    assert "a.one and a.two" in text


def two_units(params: dict[str, float], seed: int) -> np.ndarray:
    """Two statistics a thousand times apart in size, one per parameter."""
    rng = np.random.default_rng(seed)
    return np.array([params["a.one"] + rng.normal(0.0, 0.05),
                     1000.0 * (params["a.two"] + rng.normal(0.0, 0.05))])


def test_adaptive_scaling_lets_a_small_statistic_count() -> None:
    # Unscaled, the second statistic (in thousands) would decide every acceptance and
    # the first parameter would stay near its prior.
    priors = [Prior("a.one", 0.0, 1.0), Prior("a.two", 0.0, 1.0)]
    res = abc_smc(priors, two_units, [0.3, 700.0], population_size=150, max_generations=5,
                  seed=2)
    table = identifiability(priors, res.draws).set_index("key")
    assert table["identified"].all()
    assert table.loc["a.one", "post_median"] == pytest.approx(0.3, abs=0.07)
    assert table.loc["a.two", "post_median"] == pytest.approx(0.7, abs=0.07)


def test_no_time_for_one_generation_is_an_error() -> None:
    with pytest.raises(AbcError, match=r"no complete generation: time budget \(0 s\)"):
        run(max_seconds=0)


def test_an_ignored_parameter_keeps_a_normal_prior_shape() -> None:
    # Proposals move in the priors' CDF space, where every prior is uniform; an ignored
    # parameter with a (truncated) normal prior must come back with that normal's shape.
    priors = [PRIORS[0], Prior("wom.weight", 0.0, 10.0, mean=3.0, sd=1.0)]
    res = abc_smc(priors, simulate, OBSERVED, population_size=300, max_generations=4, seed=5)
    x, w = res.draws["wom.weight"].to_numpy(), res.weights
    mean = float(w @ x)
    assert mean == pytest.approx(3.0, abs=0.2)
    assert float(np.sqrt(w @ (x - mean) ** 2)) == pytest.approx(1.0, abs=0.15)
