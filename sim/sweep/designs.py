"""Design points and run seeds.

A design is a table with one row per point: ``point`` (0-based, in the order
SALib's analysers expect), the unit-hypercube coordinates ``u_<factor>`` of
sampling designs, and the factor values (``<factor>``) the runs use.

Seeds
-----
A run is identified by its point and replicate; its ``run_id`` is
``point * replicates + replicate``. Its seed comes from the sweep's root seed
and that identity through :class:`numpy.random.SeedSequence` — never from a
worker or the order in which runs finish — so the result table is the same
with one worker, many workers or a cluster.

By default (``common_random_numbers = true``) the seed depends on the
replicate only: replicate ``r`` of *every* point runs with the same
``run.seed`` and ``run.replicate = r``, hence the same population, network and
random streams (see :mod:`sim.rng`). Differences between points are then the
factors' effect, not sampling noise, which sharpens grid contrasts and
sensitivity indices. With ``common_random_numbers = false`` each (point,
replicate) gets an independent seed.

Layer: sweep computation; in sim.sweep: analysis | runners | designs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.sweep.spec_types import MAX_RUNS, SweepSpec

_RUN_KEY = 0
_DESIGN_KEY = 1


def run_seed(root: int, replicate: int, point: int | None = None) -> int:
    """Seed of a run, from the root seed and the run's identity.

    Args:
        root: The sweep's root seed.
        replicate: Replicate number.
        point: Design point, or None for common random numbers (the seed is
            then shared by every point's replicate ``replicate``).

    Returns:
        A seed in ``0..2**63-1``.
    """
    key = (_RUN_KEY, replicate) if point is None else (_RUN_KEY, replicate, point)
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state) >> 1


def sampler_rng(spec: SweepSpec) -> np.random.Generator:
    """Generator for the design sampler, split from the run seeds' stream.

    Args:
        spec: The sweep.

    Returns:
        A generator seeded from the root seed.
    """
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(_DESIGN_KEY,)))


def unit_sample(spec: SweepSpec) -> np.ndarray | None:
    """Unit-hypercube sample of a sampling design (None for a grid).

    Args:
        spec: The sweep.

    Returns:
        Array of shape ``(points, factors)`` in SALib's order.
    """
    d = spec.design
    problem = spec.problem()
    rng = sampler_rng(spec)
    if d.kind == "grid":
        return None
    if d.kind == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, d.samples, seed=rng))
    if d.kind == "sobol":
        from SALib.sample import sobol

        return np.asarray(
            sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=rng)
        )
    if d.kind == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, d.samples, num_levels=d.levels, seed=rng))
    raise ValueError(f"unknown design kind {d.kind!r}")


def build_design(spec: SweepSpec, max_runs: int = MAX_RUNS) -> pd.DataFrame:
    """Build the design table.

    Args:
        spec: The sweep.
        max_runs: Most runs allowed; the size is checked before anything is built.

    Returns:
        One row per point: ``point``, ``u_<factor>`` (sampling designs) and
        ``<factor>`` values. A grid varies the last factor fastest.

    Raises:
        ScenarioError: If the sweep has more than ``max_runs`` runs.
    """
    spec.check_size(max_runs)
    names = spec.factor_names
    unit = unit_sample(spec)
    cols: dict[str, list[object]] = {}
    if unit is None:
        rows = list(itertools.product(*(f.grid_values() for f in spec.factors)))
        cols["point"] = list(range(len(rows)))
        for j, name in enumerate(names):
            cols[name] = [r[j] for r in rows]
    else:
        cols["point"] = list(range(unit.shape[0]))
        for j, name in enumerate(names):
            cols[f"u_{name}"] = unit[:, j].tolist()
        for j, f in enumerate(spec.factors):
            cols[f.name] = f.from_unit(unit[:, j])
    df = pd.DataFrame(cols)
    df["point"] = df["point"].astype(np.int64)
    return df


def design_points(design: pd.DataFrame, spec: SweepSpec) -> list[dict[str, object]]:
    """Factor values per point as plain Python values.

    Args:
        design: The design table.
        spec: The sweep.

    Returns:
        One ``{factor name: value}`` dict per point, in point order.
    """
    cols = {n: design[n].tolist() for n in spec.factor_names}
    return [{n: _plain(cols[n][i]) for n in cols} for i in range(len(design))]


def n_runs(spec: SweepSpec, n_points: int) -> int:
    """Number of runs of a sweep with ``n_points`` points."""
    return n_points * spec.replicates


def _plain(x: object) -> object:
    return x.item() if isinstance(x, np.generic) else x
