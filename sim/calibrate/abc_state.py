"""The state of an ABC-SMC run, its checkpoint file, and what a run reports.

A checkpoint is one ``.npz`` file (no pickles): the run's fingerprint, trace
and simulation count as JSON, and per generation (the last complete one,
``prev``, and the one being filled, ``cur``) its particles, statistics,
distances, weights and every statistic simulated so far (for the next scale).
It is written atomically, so a Ctrl-C or a crash leaves the previous file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.files import atomic_path

CHECKPOINT_VERSION = 1
_COUNTS = ("t", "epsilon", "tried", "simulations", "failed")
_ARRAYS = ("u", "stats", "distances", "weights", "every")


class AbcError(ValueError):
    """Bad arguments, a simulator that breaks its contract, or a checkpoint that does not fit."""


@dataclass(frozen=True)
class AbcProgress:
    """What a progress callback is told after each batch of simulations.

    Attributes:
        generation: Generation being filled (0 = the prior).
        epsilon: Its tolerance (``inf`` for generation 0).
        accepted: Particles accepted so far in it.
        population_size: Particles it needs.
        simulations: Simulations run so far, over all generations.
        done: Whether the generation is complete.
    """

    generation: int
    epsilon: float
    accepted: int
    population_size: int
    simulations: int
    done: bool


@dataclass
class AbcResult:
    """The last complete generation of an ABC-SMC run.

    Attributes:
        draws: One row per particle: the parameters (dotted keys as columns, in
            their own units) and ``weight`` (normalised to sum to 1).
        trace: One row per generation: generation, epsilon, accepted,
            simulations, proposals, failed, acceptance_rate, ess.
        epsilon: The final tolerance.
        stop_reason: Why the run stopped, in plain words.
        simulations: Simulations run in total.
        stats: Summary statistics of the accepted particles (one row each).
        distances: Their distances to the observed statistics.
        first_error: The first failed simulation's error in this session ('' if none).
    """

    draws: pd.DataFrame
    trace: pd.DataFrame
    epsilon: float
    stop_reason: str
    simulations: int
    stats: np.ndarray
    distances: np.ndarray
    first_error: str = ""

    @property
    def weights(self) -> np.ndarray:
        """The particles' normalised weights."""
        return self.draws["weight"].to_numpy(dtype=float)


@dataclass
class Generation:
    """A generation, complete or being filled.

    Attributes:
        t: Its number (0 = the prior sample).
        epsilon: Its tolerance.
        scale: Per-statistic scale of the default distance (None for a caller's distance).
        u: Accepted particles in unit space, one row each.
        stats: Their statistics.
        distances: Their distances.
        weights: Their normalised weights (empty until complete).
        every_stat: Every finite statistic simulated in it, accepted or not.
        tried: Proposals looked at so far.
        simulations: Simulations run so far.
        failed: Simulations that raised or gave non-finite statistics.
    """

    t: int
    epsilon: float
    scale: np.ndarray | None
    u: np.ndarray
    stats: np.ndarray
    distances: np.ndarray
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    every_stat: list[np.ndarray] = field(default_factory=list)
    tried: int = 0
    simulations: int = 0
    failed: int = 0


def save_state(path: Path, meta: dict[str, Any], gens: dict[str, Generation | None],
               n_stats: int) -> None:
    """Write a checkpoint atomically.

    Args:
        path: The file.
        meta: JSON-able run data (fingerprint, trace, totals).
        gens: Generations by name (``prev``, ``cur``); None entries are left out.
        n_stats: Number of statistics (shapes an empty statistics table).
    """
    meta = dict(meta, version=CHECKPOINT_VERSION)
    arrays: dict[str, np.ndarray] = {}
    for name, g in gens.items():
        if g is None:
            continue
        meta[name] = {k: getattr(g, k) for k in _COUNTS}
        every = np.array(g.every_stat, dtype=float).reshape(-1, n_stats)
        for key, arr in zip(_ARRAYS, (g.u, g.stats, g.distances, g.weights, every),
                            strict=True):
            arrays[f"{name}_{key}"] = arr
        if g.scale is not None:
            arrays[f"{name}_scale"] = g.scale
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)


def load_state(path: Path) -> tuple[dict[str, Any], dict[str, Generation]]:
    """Read a checkpoint written by :func:`save_state`.

    Args:
        path: The file.

    Returns:
        The run data and the generations found in it, by name.

    Raises:
        ValueError: If the file is not a checkpoint of this version.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = json.loads(str(data.pop("meta")))
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not an ABC-SMC checkpoint ({exc})") from None
    if meta.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: checkpoint version {meta.get('version')!r}, this trustsim "
                         f"reads version {CHECKPOINT_VERSION}")
    gens: dict[str, Generation] = {}
    for name in ("prev", "cur"):
        if name in meta:
            m = meta[name]
            u, stats, dist, w, every = (data[f"{name}_{k}"] for k in _ARRAYS)
            gens[name] = Generation(
                m["t"], float(m["epsilon"]), data.get(f"{name}_scale"), u, stats, dist, w,
                list(every), m["tried"], m["simulations"], m["failed"])
    return meta, gens
