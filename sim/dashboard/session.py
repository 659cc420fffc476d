"""Live runs behind the dashboard: step a model week by week, pair two on the same consumers.

These classes hold no widgets, so the tests drive them directly and the
Solara components only draw what they hold. A :class:`LiveRun` wraps one
:class:`~sim.model.TrustModel` (``TrustModel(scenario)``, ``step()``,
``running`` and its weekly recorder); a :class:`PairedRun` runs strategy A and
strategy B with the same population, network, seed and replicate, so every
random draw is shared (common random numbers, as :func:`sim.compare.compare`
pairs its runs) and the difference ``B - A`` is the strategy's effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from sim.compare import Comparison, compare
from sim.config import Scenario
from sim.model import TrustModel
from sim.scenario_io import scenario_from_dict

DIFF_COLUMNS: tuple[str, ...] = ("customers", "mean_trust", "revenue_cumulative", "complaints")
"""Weekly columns whose B - A difference the A/B view draws."""

SIDE_SECTIONS: tuple[str, ...] = ("strategy", "incidents")
"""Sections where B may differ from A; everything else (consumers, network, seeds) is A's."""


class LiveRun:
    """One model stepped on demand.

    Args:
        scenario: The scenario to run.

    Attributes:
        scenario: The scenario.
        model: The model (rebuilt by :meth:`reset`).
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.model = TrustModel(scenario)
        self._frame: pd.DataFrame | None = None

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return len(self.model.recorder.columns.get("week", ()))

    @property
    def running(self) -> bool:
        """Whether weeks remain."""
        return bool(self.model.running)

    def step(self, weeks: int = 1) -> int:
        """Simulate up to ``weeks`` weeks (fewer at the end of the run).

        Args:
            weeks: Weeks to simulate.

        Returns:
            Weeks actually simulated.
        """
        done = 0
        while done < weeks and self.model.running:
            self.model.step()
            done += 1
        if done:
            self._frame = None
        return done

    def reset(self, scenario: Scenario | None = None) -> None:
        """Start again at week 0, with a new scenario if given.

        Args:
            scenario: The new scenario (default: the current one).
        """
        self.scenario = scenario or self.scenario
        self.model = TrustModel(self.scenario)
        self._frame = None

    def weekly(self) -> pd.DataFrame:
        """The weekly table so far (cached between steps)."""
        if self._frame is None:
            self._frame = self.model.recorder.frame()
        return self._frame


def side_b(a: Scenario, b: Scenario) -> Scenario:
    """Scenario B on A's consumers: A with B's :data:`SIDE_SECTIONS`.

    Args:
        a: Scenario A (population, network, run and every other section).
        b: Scenario whose strategy and incidents B uses.

    Returns:
        The paired scenario B.
    """
    data = a.to_dict()
    other = b.to_dict()
    for section in SIDE_SECTIONS:
        data[section] = other[section]
    data["name"] = b.name if b.name != a.name else f"{a.name}_b"
    return scenario_from_dict(data)


class PairedRun:
    """Strategy A and strategy B stepped together on the same consumers.

    Args:
        a: Scenario A.
        b: Scenario B; only its :data:`SIDE_SECTIONS` are used (see :func:`side_b`).

    Attributes:
        a: The run of A.
        b: The run of B.
    """

    def __init__(self, a: Scenario, b: Scenario) -> None:
        self.a = LiveRun(a)
        self.b = LiveRun(side_b(a, b))

    @property
    def running(self) -> bool:
        """Whether weeks remain (both sides have the same number of weeks)."""
        return self.a.running

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.a.week

    def step(self, weeks: int = 1) -> int:
        """Simulate up to ``weeks`` weeks on both sides.

        Args:
            weeks: Weeks to simulate.

        Returns:
            Weeks simulated.
        """
        done = self.a.step(weeks)
        self.b.step(done)
        return done

    def reset(self, a: Scenario | None = None, b: Scenario | None = None) -> None:
        """Start both sides again, with new scenarios if given.

        Args:
            a: New scenario A (default: the current one).
            b: New scenario B (default: the current one).
        """
        sa = a or self.a.scenario
        self.a.reset(sa)
        self.b.reset(side_b(sa, b or self.b.scenario))

    def difference(self, columns: Sequence[str] = DIFF_COLUMNS) -> pd.DataFrame:
        """Weekly ``B - A`` of the given columns so far.

        Args:
            columns: Weekly columns.

        Returns:
            One row per week: ``week`` and one column per metric.
        """
        fa, fb = self.a.weekly(), self.b.weekly()
        out = pd.DataFrame({"week": fa["week"]}) if len(fa) else pd.DataFrame({"week": []})
        for c in columns:
            out[c] = (fb[c] - fa[c]) if len(fa) else []
        return out

    def replicates(
        self, replicates: int, progress: Callable[[int, int], None] | None = None
    ) -> Comparison:
        """Whole paired runs over replicates, for the paired intervals.

        Args:
            replicates: Paired replicates (2 or more for an interval).
            progress: Optional ``progress(done, total)``.

        Returns:
            The comparison of :func:`sim.compare.compare`.
        """
        a, b = self.a.scenario, self.b.scenario
        return compare(a, b, replicates=replicates, labels=("A", "B"), progress=progress)
