"""Which candidates are best, and which are tied with the best: the tie band.

A candidate (a lever setting, a ladder level) is *ahead* of another only when
the difference is both statistically clear and larger than a practical
threshold; anything else is a tie. :func:`rank` applies that rule to one
KPI's per-replicate values of several candidates and returns a
:class:`Ranking`: the best candidate, the ones tied with it (the *tie band*)
and, if any, the first candidate clearly behind.

* Statistically clear: with common random numbers (``paired``), the 95%
  t-interval of the per-replicate differences excludes zero; otherwise the
  two candidates' 95% intervals do not overlap. One replicate gives no
  interval, so nothing is ever clear from one replicate: the band is then the
  candidates within the practical threshold, and :attr:`Ranking.decided` is
  false.
* Practically larger: more than :class:`Band`'s threshold, by default 1% of
  the best value, or 0.5 percentage points for a share (retention, churn).

Example:
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"a": [100.0, 110.0, 90.0], "b": [100.5, 110.4, 90.6],
    ...                      "c": [80.0, 85.0, 75.0]})
    >>> r = rank(wide, "revenue_cumulative")
    >>> r.best, r.tied, r.behind
    ('b', ['a'], 'c')
    >>> join_words(r.band)
    'b and a'

Layer: computation over the KPI registry (no files, no drawing).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.compare import paired_interval
from sim.kpis import KPIS

DEFAULT_RELATIVE = 0.01
"""Default practical threshold: differences below 1% of the KPI are ties."""
DEFAULT_SHARE_POINTS = 0.005
"""Default practical threshold for shares: 0.5 percentage points."""


@dataclass(frozen=True)
class Band:
    """The practical threshold below which a difference is a tie.

    Attributes:
        relative: Share of the best value (0.01: 1%), for every KPI but shares.
        share_points: Absolute threshold for share KPIs (0.005: 0.5 percentage points).
    """

    relative: float = DEFAULT_RELATIVE
    share_points: float = DEFAULT_SHARE_POINTS

    def __post_init__(self) -> None:
        for name in ("relative", "share_points"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"tie band {name} must be a number >= 0 (got {v!r})")

    def threshold(self, kpi: str, reference: float) -> float:
        """The smallest difference in ``kpi`` that counts, near the value ``reference``."""
        if is_share(kpi):
            return self.share_points
        return self.relative * abs(float(reference))

    def describe(self, kpi: str) -> str:
        """The threshold in words: ``"1% of the value"`` or ``"0.5 percentage points"``."""
        if is_share(kpi):
            return f"{100 * self.share_points:.2g} percentage points"
        return f"{100 * self.relative:.2g}% of the value"


def is_share(kpi: str) -> bool:
    """Whether ``kpi`` is a share (its practical threshold is in percentage points)."""
    k = KPIS.get(kpi)
    return k is not None and k.unit == "share"


def higher_is_better(kpi: str) -> bool:
    """Whether a strategist wants ``kpi`` high (unknown or neutral KPIs: yes)."""
    k = KPIS.get(kpi)
    return k is None or k.better != "lower"


@dataclass(frozen=True)
class Ranking:
    """One KPI's candidates ranked, with the tie band.

    Attributes:
        kpi: The KPI.
        order: Candidates, best first (by mean over replicates).
        means: Mean over replicates of each candidate.
        best: The candidate with the best mean.
        tied: Candidates tied with the best, in rank order (not clearly and
            practically behind it; with one replicate: within the threshold).
        behind: The best-ranked candidate clearly behind the best, or None.
        diff: ``(mean, low, high)`` of best minus ``behind`` (NaN without ``behind``);
            with ``paired`` the paired interval, else the means' difference.
        replicates: Fewest replicates of any candidate.
        paired: Whether the verdicts come from paired differences.
        threshold: The practical threshold used (KPI units).
        higher_better: The direction the ranking used.
        intervals: Normal 95% interval of each candidate's mean (NaN below two replicates).
        noisy: Tied candidates whose gap to the best is above the threshold but not
            statistically clear (tied because too noisy to separate, not because close).
    """

    kpi: str
    order: list[Hashable]
    means: dict[Hashable, float]
    best: Hashable
    tied: list[Hashable]
    behind: Hashable | None
    diff: tuple[float, float, float]
    replicates: int
    paired: bool
    threshold: float
    higher_better: bool = True
    intervals: dict[Hashable, tuple[float, float]] = field(default_factory=dict)
    noisy: list[Hashable] = field(default_factory=list)

    @property
    def band(self) -> list[Hashable]:
        """The best candidate and those tied with it."""
        return [self.best, *self.tied]

    @property
    def decided(self) -> bool:
        """Whether the best is ahead of every other candidate (clear and practical)."""
        return self.replicates >= 2 and not self.tied


def rank(
    wide: pd.DataFrame, kpi: str, *, paired: bool = True, band: Band | None = None,
    higher_better: bool | None = None,
) -> Ranking:
    """Rank candidates on one KPI and find the tie band.

    Args:
        wide: One column per candidate, one row per replicate (row ``r`` of
            every column shares its random numbers when ``paired``); NaN for a
            missing run.
        kpi: The KPI (sets the direction and whether the threshold is in points).
        paired: Verdicts from paired differences (common random numbers).
        band: The practical threshold (default :class:`Band`).
        higher_better: Override the KPI's direction.

    Returns:
        The ranking.

    Raises:
        ValueError: If there is no candidate with a value.
    """
    band = band or Band()
    up = higher_is_better(kpi) if higher_better is None else higher_better
    means = wide.mean(axis=0, skipna=True).dropna()
    if means.empty:
        raise ValueError(f"no candidate has a value of {kpi}")
    order = list(means.sort_values(ascending=not up, kind="stable").index)
    best = order[0]
    sign = 1.0 if up else -1.0
    counts = wide[order].count(axis=0)
    n = int(counts.min())
    threshold = band.threshold(kpi, float(means[best]))
    intervals = {c: _interval(wide[c].dropna().to_numpy(float)) for c in order}
    tied: list[Hashable] = []
    noisy: list[Hashable] = []
    behind, diff = None, (math.nan, math.nan, math.nan)
    for c in order[1:]:
        d = _difference(wide, best, c, paired)
        practical = sign * d[0] > threshold
        # One replicate gives no interval: the band is then what lies within the threshold.
        clear = n < 2 or _clear(d, sign, paired, intervals[best], intervals[c])
        if not (practical and clear):
            tied.append(c)
            if practical:
                noisy.append(c)
        elif behind is None:
            behind, diff = c, d
    return Ranking(kpi, order, {c: float(means[c]) for c in order}, best, tied, behind, diff,
                   n, paired, threshold, up, intervals, noisy)


def _interval(x: np.ndarray) -> tuple[float, float]:
    """Normal 95% interval of a mean (as in the sweeps' point tables); NaN below two values."""
    if x.size < 2:
        return math.nan, math.nan
    half = 1.96 * float(x.std(ddof=1)) / math.sqrt(x.size)
    m = float(x.mean())
    return m - half, m + half


def _difference(wide: pd.DataFrame, a: Hashable, b: Hashable,
                paired: bool) -> tuple[float, float, float]:
    """``a - b``: paired mean and t-interval, or the difference of means (NaN interval)."""
    if paired:
        d = (wide[a] - wide[b]).dropna().to_numpy(float)
        if d.size:
            return paired_interval(d)
    m = float(wide[a].mean() - wide[b].mean())
    return m, math.nan, math.nan


def _clear(d: tuple[float, float, float], sign: float, paired: bool,
           ia: tuple[float, float], ib: tuple[float, float]) -> bool:
    """Whether the difference ``d`` (best minus other) is statistically clear."""
    if paired and np.isfinite(d[1:]).all():
        return d[1] > 0 if sign > 0 else d[2] < 0
    if not np.isfinite([*ia, *ib]).all():
        return False
    return ia[0] > ib[1] if sign > 0 else ia[1] < ib[0]


def join_words(items: Sequence[object]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"`` (an empty list: ``""``)."""
    words = [str(x) for x in items]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


__all__ = ["DEFAULT_RELATIVE", "DEFAULT_SHARE_POINTS", "Band", "Ranking", "higher_is_better",
           "is_share", "join_words", "rank"]
