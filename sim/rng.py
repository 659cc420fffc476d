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

import math

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
    "churn_cause",
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

    def bits(self, name: str, week: int, n: int, k: int = 1) -> np.ndarray:
        """Draw ``k`` raw 32-bit random integers per consumer from one stream-week.

        The cheapest draw there is: ``n / 2`` raw 64-bit outputs of the
        generator, viewed as ``n`` 32-bit words.

        Args:
            name: Stream name.
            week: Week.
            n: Population size.
            k: Draws per consumer.

        Returns:
            uint32 array of shape ``(n,)`` if ``k == 1`` else ``(k, n)``.
        """
        m = k * n
        raw = self.get(name, week).bit_generator.random_raw((m + 1) // 2)
        out = raw.view(np.uint32)[:m]
        return out if k == 1 else out.reshape(k, n)

    def uniform(self, name: str, week: int, n: int, k: int = 1) -> np.ndarray:
        """Draw ``k`` float32 uniforms on [0, 1) per consumer from one stream-week.

        Each uniform is the top 24 bits of a raw 32-bit draw (:meth:`bits`) times
        ``2**-24``: the construction numpy's ``Generator.random(dtype=float32)``
        uses, at about 60% of its cost. Arguments as for :meth:`bits`.

        Returns:
            Array of shape ``(n,)`` if ``k == 1`` else ``(k, n)``.
        """
        return to_unit(self.bits(name, week, n, k))


def to_unit(bits: np.ndarray) -> np.ndarray:
    """Map raw 32-bit draws to float32 uniforms on [0, 1) (24 significant bits).

    Args:
        bits: uint32 draws, as from :meth:`Streams.bits`.

    Returns:
        float32 array of the same shape, each value ``(bits >> 8) * 2**-24``.
    """
    u = np.right_shift(bits, np.uint32(8)).astype(np.float32)
    u *= np.float32(2.0**-24)
    return u


def below(u: np.ndarray, p: float | np.ndarray) -> np.ndarray:
    """Bernoulli outcomes ``u < p`` for draws given as floats or as raw bits.

    Mechanisms take their draws either as uniforms on [0, 1) or as raw uint32
    words from :meth:`Streams.bits`, read as ``u / 2**32``. Against a scalar
    probability a raw word is compared as an integer, exactly: ``u / 2**32 < p``
    holds if and only if ``u < ceil(p * 2**32)``, with no conversion pass.

    Args:
        u: Draws: floats on [0, 1), or uint32 words.
        p: Probability (scalar or per consumer).

    Returns:
        Boolean array of ``u``'s shape.
    """
    if u.dtype != np.uint32:
        return u < p
    if np.ndim(p) == 0:
        cut = math.ceil(float(p) * 2.0**32)
        if cut <= 0:
            return np.zeros(u.shape, dtype=bool)
        if cut >= 2**32:
            return np.ones(u.shape, dtype=bool)
        return u < np.uint32(cut)
    return to_unit(u) < p
