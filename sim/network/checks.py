"""Range checks of network parameters, each naming its ``network.*`` key."""

from __future__ import annotations

import math
from numbers import Integral, Real

from sim.errors import ScenarioError
from sim.network.kinds import BACKENDS, INT32_MAX, KINDS, MAX_ENTRIES


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_n(n: object, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if not _is_int(n) or not low <= int(n) <= INT32_MAX:
        raise ScenarioError.one(
            "population.size",
            f"the number of consumers must be a whole number from {low} to {INT32_MAX}",
            n,
        )
    return int(n)


def _check_unit(key: str, value: object) -> float:
    if not _is_real(value) or not 0.0 <= float(value) <= 1.0:
        raise ScenarioError.one(key, "must be a number in [0, 1]", value)
    return float(value)


def _check_mean_degree(mean_degree: object, n: int) -> float:
    if not _is_real(mean_degree) or not 0.0 < float(mean_degree) < n:
        raise ScenarioError.one(
            "network.mean_degree",
            f"must be a number greater than 0 and less than the number of consumers ({n})",
            mean_degree,
        )
    md = float(mean_degree)
    if n * md > MAX_ENTRIES:
        raise ScenarioError.one(
            "network.mean_degree",
            f"would give about {n * md:.3g} adjacency entries for {n} consumers; "
            f"at most {MAX_ENTRIES} are supported",
            mean_degree,
        )
    return md


def _check_blocks(blocks: object, n: int) -> int:
    if not _is_int(blocks) or not 1 <= int(blocks) <= n:
        raise ScenarioError.one(
            "network.blocks",
            f"must be a whole number from 1 to the number of consumers ({n})",
            blocks,
        )
    return int(blocks)


def _check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise ScenarioError.one(
            "network.kind", f"unknown network kind; allowed: {', '.join(KINDS)}", kind
        )
    return str(kind)


def _check_backend(backend: object) -> str:
    if backend not in BACKENDS:
        raise ScenarioError.one(
            "network.backend", f"must be one of: {', '.join(BACKENDS)}", backend
        )
    return str(backend)
