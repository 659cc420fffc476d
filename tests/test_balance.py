"""Balance of the mechanisms (issue 12): the targets for the defaults, at small sizes.

The same measurements as ``benchmarks/bench_balance.py`` (which reports them at
20,000 consumers, seed 3), on 4,000 consumers:

* under ``personal`` all year and after an irresponsibly handled severe (0.8)
  breach, the median trust loss is ordered fundamentalists > pragmatists >
  unconcerned (privacy concern moderates the loss, Bansal 2012);
* without word of mouth the unconcerned keep most of their trust under
  ``personal``; with it they lose less than half of what pragmatists lose;
* a severity-0.3 incident with 2% media reach is known to at most 15% of
  consumers by week 52; a severity-0.8 one with 30% reach to more than half.

Margins at 4,000 consumers (seeds 1 and 3, measured): the orderings hold with
gaps of at least 0.07 in trust; the unconcerned lose about 0.36 of the
pragmatists' loss; the minor incident reaches 3-4%, the severe one about 70%.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_balance import breach_losses, incident_reach, personal_losses

pytestmark = pytest.mark.slow  # each test runs a few 4,000-consumer years

SIZE = 4000
SEED = 3
ALIKE = {"wom.concern_weight": 0.0, "incidents.concern_weight": 0.0}
"""Every hearer alike: the model without the concern moderation."""


def _ordered(loss: dict[str, float]) -> bool:
    return loss["fundamentalist"] > loss["pragmatist"] > loss["unconcerned"]


def test_personal_all_year_loss_ordered_by_privacy_concern():
    loss, _ = personal_losses(SIZE, SEED)
    assert _ordered(loss), loss


def test_breach_loss_ordered_by_privacy_concern():
    loss = breach_losses(SIZE, SEED)["loss"]
    assert _ordered(loss), loss


def test_without_moderation_the_breach_hits_the_trusting_hardest():
    """The ordering comes from the concern weights.

    At weight 0 the unconcerned, who trust most, lose most to the breach (the
    model before issue 12).
    """
    loss = breach_losses(SIZE, SEED, ALIKE)["loss"]
    assert loss["unconcerned"] > loss["fundamentalist"], loss


def test_unconcerned_lose_little_to_hearsay():
    no_wom, _ = personal_losses(SIZE, SEED, wom=False)
    with_wom, _ = personal_losses(SIZE, SEED, wom=True)
    # without word of mouth they keep most of their trust (initial median about 0.68)
    assert no_wom["unconcerned"] < 0.1, no_wom
    # with it, they lose less than half of what pragmatists lose
    assert with_wom["unconcerned"] < 0.5 * with_wom["pragmatist"], with_wom


def test_minor_news_stays_contained_and_severe_news_spreads():
    assert incident_reach(SIZE, SEED, 0.3, 0.02) <= 0.15
    assert incident_reach(SIZE, SEED, 0.8, 0.3) > 0.5


def test_news_that_never_ages_spreads_further():
    fresh = {"incidents.news_half_life": 1000.0}
    assert incident_reach(SIZE, SEED, 0.5, 0.05, fresh) > incident_reach(SIZE, SEED, 0.5, 0.05)
