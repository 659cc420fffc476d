"""Step 0: which personalisation level the brand uses each week.

Four policies: ``fixed`` (one level), ``schedule`` (from each step's week on,
its level), ``ramp`` (evenly from ``start`` to ``end`` over ``over_weeks``) and
``adaptive`` (escalate one level after ``step_every`` calm weeks, back off one
level when weekly complaints per 1,000 customers exceed ``complaint_limit``,
then hold for ``cooldown`` weeks).
"""

from __future__ import annotations

from dataclasses import dataclass


def schedule_level(week: int, steps: list[tuple[int, int]], default: int) -> int:
    """Level of a schedule in ``week``.

    Args:
        week: Current week.
        steps: ``(from_week, level)`` pairs.
        default: Level before the first step.

    Returns:
        The level of the latest step whose week is at most ``week``.
    """
    level, best = default, -1
    for w, lv in steps:
        if best < w <= week:
            level, best = lv, w
    return level


def ramp_level(week: int, start: int, end: int, over_weeks: int) -> int:
    """Level of an even ramp from ``start`` to ``end``.

    Each of the ``|end - start| + 1`` levels is held for an equal share of
    ``over_weeks``; after that the ramp stays at ``end``.

    Args:
        week: Current week.
        start: First level.
        end: Last level.
        over_weeks: Length of the ramp.

    Returns:
        The level in ``week``.
    """
    span = end - start
    steps = abs(span) + 1
    k = min(int(steps * week / over_weeks), steps - 1)
    return start + (k if span >= 0 else -k)


@dataclass(frozen=True)
class AdaptiveState:
    """State of the adaptive policy.

    Attributes:
        level: Current level.
        calm_weeks: Weeks since the last change without a back-off.
        hold: Weeks left to hold after a back-off.
    """

    level: int
    calm_weeks: int = 0
    hold: int = 0


def adaptive_next(
    state: AdaptiveState,
    complaints_per_1000: float,
    *,
    max_level: int,
    complaint_limit: float,
    step_every: int,
    cooldown: int,
) -> AdaptiveState:
    """Next week's state of the adaptive policy.

    Args:
        state: This week's state.
        complaints_per_1000: Complaints this week per 1,000 customers.
        max_level: Highest level allowed.
        complaint_limit: Back off above this complaint rate.
        step_every: Calm weeks before escalating.
        cooldown: Weeks to hold after backing off.

    Returns:
        The new state.
    """
    if complaints_per_1000 > complaint_limit:
        return AdaptiveState(max(state.level - 1, 0), 0, cooldown)
    if state.hold > 0:
        return AdaptiveState(state.level, 0, state.hold - 1)
    calm = state.calm_weeks + 1
    if calm >= step_every and state.level < max_level:
        return AdaptiveState(state.level + 1, 0, 0)
    return AdaptiveState(state.level, calm, 0)
