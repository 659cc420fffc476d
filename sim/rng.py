"""Random streams split by purpose (common random numbers).

Every draw of a run comes from a stream named for the mechanism that uses it,
and within a stream from a generator keyed by the week. The generator for
(stream, week) is built from ``SeedSequence(seed, spawn_key=(replicate,
stream, week))``, so the draws a mechanism gets in week ``t`` do not depend on
what any other mechanism drew, nor on what happened in earlier weeks. Two
strategies run with the same seed and replicate therefore share population,
network and every draw: their difference is the strategy's effect, not noise.
Mechanisms draw one number per consumer (the whole population), so consumer
``i`` always gets the ``i``-th draw.
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "population",
    "network",
    "consent",
    "exposure",
    "perception",
    "wom",
    "incidents",
    "churn",
    "purchase",
)
SETUP_WEEK = -1


class Streams:
    """Factory of per-mechanism, per-week generators for one run.

    Args:
        seed: Root seed of the run.
        replicate: Replicate number.
    """

    def __init__(self, seed: int, replicate: int = 0) -> None:
        self.seed = int(seed)
        self.replicate = int(replicate)

    def get(self, name: str, week: int = SETUP_WEEK) -> np.random.Generator:
        """Return the generator of stream ``name`` for ``week``.

        Args:
            name: One of :data:`STREAMS`.
            week: Week number, or :data:`SETUP_WEEK` for set-up draws.

        Returns:
            A fresh generator; the same arguments always give the same draws.

        Raises:
            KeyError: For an unknown stream name.
        """
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r}; streams: {STREAMS}")
        ss = np.random.SeedSequence(
            self.seed, spawn_key=(self.replicate, STREAMS.index(name), week + 1)
        )
        return np.random.Generator(np.random.PCG64(ss))

    def uniform(self, name: str, week: int, n: int, k: int = 1) -> np.ndarray:
        """Draw ``k`` float32 uniforms per consumer from one stream-week.

        Args:
            name: Stream name.
            week: Week.
            n: Population size.
            k: Draws per consumer.

        Returns:
            Array of shape ``(n,)`` if ``k == 1`` else ``(k, n)``.
        """
        g = self.get(name, week)
        out = g.random((k, n), dtype=np.float32)
        return out[0] if k == 1 else out
