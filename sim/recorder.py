"""Weekly metrics, recorded column by column (a columnar DataCollector).

Trust summaries per segment come from one histogram pass (``np.bincount`` over
segment x 1,000 trust bins), so recording costs O(n) per week whatever the
number of statistics; quantiles are exact to 0.001.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from mesa import DataCollector

from sim.markets import SEGMENTS

if TYPE_CHECKING:
    from sim.model_view import ModelView as TrustModel

BINS = 1000
QUANTILES = (0.1, 0.5, 0.9)


class SegmentIndex:
    """Per-segment look-ups computed once (segments never change in a run).

    Args:
        segment: Segment index per consumer.
        n_segments: Number of segments.
    """

    def __init__(self, segment: np.ndarray, n_segments: int = len(SEGMENTS)) -> None:
        self.n_segments = n_segments
        self.segment = segment.astype(np.intp)
        self.key = (self.segment * BINS).astype(np.float32)  # bin offset, added as float


def group_trust_sums(
    trust: np.ndarray, segments: SegmentIndex, customer: np.ndarray
) -> np.ndarray:
    """Total trust per segment, apart for former and current customers.

    One ``np.bincount`` over the keys ``segment + n_segments * customer``.

    Args:
        trust: Trust per consumer.
        segments: Segment look-ups of the population.
        customer: Still a customer (bool).

    Returns:
        float64 array of shape ``(2, n_segments)``: row 0 former customers,
        row 1 customers.
    """
    s = segments.n_segments
    key = np.multiply(customer, s, dtype=np.intp)
    key += segments.segment
    return np.bincount(key, weights=trust, minlength=2 * s).reshape(2, s)


def segment_trust_stats(
    trust: np.ndarray,
    segment: np.ndarray | SegmentIndex,
    n_segments: int = len(SEGMENTS),
    sums: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 10/50/90% quantiles of trust per segment.

    Args:
        trust: Trust per consumer, in [0, 1].
        segment: Segment index per consumer, or a precomputed :class:`SegmentIndex`.
        n_segments: Number of segments (ignored with a SegmentIndex).
        sums: Total trust per segment, if already known (as from
            :func:`group_trust_sums`, summed over its rows).

    Returns:
        ``(means, quantiles)`` of shapes ``(S,)`` and ``(S, 3)``; NaN for an
        empty segment. Quantiles are bin midpoints of a 1,000-bin histogram.
    """
    idx = segment if isinstance(segment, SegmentIndex) else SegmentIndex(segment, n_segments)
    n_segments = idx.n_segments
    # bin = segment * BINS + floor(trust * BINS), trust 1.0 in the top bin; float32 until
    # the one cast (exact: every value is an integer below 2**24)
    f = np.minimum(trust, np.float32(1.0 - 0.5 / BINS), dtype=np.float32)
    f *= np.float32(BINS)
    f += idx.key
    counts = np.bincount(f.astype(np.intp), minlength=n_segments * BINS)
    counts = counts.reshape(n_segments, BINS)
    if sums is None:
        # bincount, not a BLAS product: OpenBLAS threads cost more than they save here
        sums = np.bincount(idx.segment, weights=trust, minlength=n_segments)
    sizes = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / sizes
    cum = np.cumsum(counts, axis=1)
    # per segment and quantile: the first bin whose cumulative count reaches q * size
    # (searchsorted 'left', vectorised over segments)
    target = np.outer(sizes, QUANTILES)
    first = (cum[:, None, :] < target[:, :, None]).sum(axis=2)
    qs = (np.minimum(first, BINS - 1) + 0.5) / BINS
    qs[sizes == 0] = np.nan
    return means, qs


class WeeklyRecorder(DataCollector):
    """The weekly metrics: a :class:`mesa.DataCollector` backed by columns.

    :meth:`collect` appends one row of the built-in weekly metrics per week
    (from the model's ``tally`` and arrays, in O(n) vectorised passes), then
    whatever extra Mesa reporters were given. ``model_vars`` is the built-in
    columns followed by the extra ones, so ``get_model_vars_dataframe()`` is
    the weekly table of :func:`sim.run`, and ``mesa.batch_run`` reads it as it
    reads any DataCollector. A model collects once per week: a second
    ``collect`` in the same week is ignored.

    Args:
        model_reporters: Extra model reporters, as for :class:`mesa.DataCollector`.
        agent_reporters: Agent reporters, read over the model's agents (for
            :class:`~sim.model.TrustModel`, the consumer views).
        agenttype_reporters: Agent-type reporters.
        tables: Tables, as for :class:`mesa.DataCollector`.

    Attributes:
        columns: The built-in metrics, one list per column.
        attrs: Provenance (scenario, seed, replicate) put on the table's ``attrs``.
    """

    def __init__(
        self,
        model_reporters: dict[str, Any] | None = None,
        agent_reporters: dict[str, Any] | None = None,
        agenttype_reporters: dict[type, dict[str, Any]] | None = None,
        tables: dict[str, list[str]] | None = None,
    ) -> None:
        self.columns: dict[str, list[Any]] = defaultdict(list)
        self.attrs: dict[str, Any] = {}
        self._extra: dict[str, list[Any]] = {}
        self._segments: SegmentIndex | None = None
        super().__init__(model_reporters, agent_reporters, agenttype_reporters, tables)

    @property
    def model_vars(self) -> dict[str, list[Any]]:
        """Every model-level column: the built-in metrics, then the extra reporters'."""
        return {**self.columns, **self._extra}

    @model_vars.setter
    def model_vars(self, value: dict[str, list[Any]]) -> None:
        self._extra = value  # DataCollector.__init__ starts it empty

    def _new_model_reporter(self, name: str, reporter: Any) -> None:
        self.model_reporters[name] = reporter
        self._extra[name] = []

    def collect(self, model: TrustModel) -> None:
        """Record this week's row, then the extra and agent reporters.

        Does nothing before the first week (there is no row yet: the table's
        first row is the state after week 0) or a second time in one week.

        Args:
            model: The model, after its week's step (its ``tally`` is read).
        """
        if not model.tally or (self._collection_steps
                               and self._collection_steps[-1] == model.time):
            return
        self.record(model, **model.tally)
        super().collect(model)
        if not self.model_reporters:  # Mesa counts collections only with its reporters
            self._collection_steps.append(model.time)

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The weekly table, one row per week in week order (with extra columns)."""
        df = pd.DataFrame(self.model_vars)
        df.attrs.update(self.attrs)
        return df

    frame = get_model_vars_dataframe

    def record(
        self,
        model: TrustModel,
        *,
        week: int,
        level: int,
        reached: int,
        crossed: int,
        complaints: int,
        posts: int,
        recommendations: int,
        churned: int,
        purchases: int,
        revenue: float,
    ) -> None:
        """Append one row of the built-in metrics.

        Args:
            model: The model (its population is read).
            week: The week simulated (from 0).
            level: The campaign's ladder level.
            reached: Customers reached.
            crossed: Exposures that crossed the line.
            complaints: Consumers who complained to friends.
            posts: Public complaint posts.
            recommendations: Positive word-of-mouth speakers.
            churned: Customers who left this week.
            purchases: Purchases this week.
            revenue: Revenue this week.
        """
        p = model.population
        n = p.n
        customers = int(np.count_nonzero(p.customer))
        if self._segments is None:
            self._segments = SegmentIndex(p.segment)
            run = model.config.run
            self.attrs = {"scenario": model.config.name, "seed": run.seed,
                          "replicate": run.replicate}
        col = self.columns
        col["week"].append(week)
        col["level"].append(level)
        col["level_name"].append(model.config.strategy.ladder[level].name)
        col["customers"].append(customers)
        col["churned"].append(churned)
        col["churned_cumulative"].append(n - customers)
        col["retention"].append(customers / max(model._initial_customers, 1))
        sums = group_trust_sums(p.trust, self._segments, p.customer)
        col["mean_trust"].append(float(sums.sum()) / n)
        col["mean_trust_customers"].append(float(sums[1].sum()) / customers
                                           if customers else np.nan)
        means, qs = segment_trust_stats(p.trust, self._segments, sums=sums.sum(axis=0))
        for s, name in enumerate(SEGMENTS):
            col[f"trust_{name}"].append(means[s])
            for j, q in enumerate(QUANTILES):
                col[f"trust_p{round(q * 100)}_{name}"].append(qs[s, j])
        col["reached"].append(reached)
        col["crossed"].append(crossed)
        col["crossed_share"].append(crossed / reached if reached else 0.0)
        col["complaints"].append(complaints)
        col["public_posts"].append(posts)
        col["recommendations"].append(recommendations)
        col["incident_aware"].append(np.count_nonzero(p.aware_week >= 0) / n)
        col["opt_ins"].append(int(np.count_nonzero(p.opted_in & p.customer)))
        col["purchases"].append(purchases)
        col["revenue"].append(revenue)
        so_far = col["revenue_cumulative"][-1] if col["revenue_cumulative"] else 0.0
        col["revenue_cumulative"].append(so_far + revenue)
