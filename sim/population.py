"""The consumers: a struct of arrays, one row per consumer.

A consumer is a slice through these arrays (as in Starsim's ``People``).
:func:`sample_population` draws a population from a fitted market.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import special

from sim.markets import DISPOSITIONS, SEGMENTS, FittedMarket
from sim.mechanisms.churn import CHURN_CAUSES, NO_CAUSE, SEED

NOT_CHURNED = np.iinfo(np.int32).max
"""``churn_week`` of a consumer who is still a customer."""
SEED_CHURN_WEEK = -1
"""``churn_week`` of a consumer churned before the first week (a cascade seed)."""


@dataclass
class Population:
    """State arrays of all consumers (length ``n`` each).

    Attributes:
        segment: Privacy segment index into :data:`sim.markets.SEGMENTS` (int8).
        threshold: Privacy threshold: the intrusiveness an ad may have before it
            crosses the line, in [0, 1].
        trust: Current trust in the brand, in [0, 1].
        initial_trust: Trust at the start.
        would_stop: Says they would stop buying after irresponsible data use.
        wants_consent: Finds specific consent important.
        reads_terms: Actually reads terms and conditions.
        social_threshold: Watts rule: churned-friend share that makes them leave.
        customer: Still a customer.
        churn_week: Week they left (:data:`NOT_CHURNED` if still a customer).
        churn_cause: Why they left: an int8 code into
            :data:`sim.mechanisms.churn.CHURN_CAUSES` (``NO_CAUSE``, -1, if still
            a customer).
        opted_in: Gave specific consent.
        aware_week: Week they learned of the latest incident (-1: not aware).
        neg_buzz: Decayed amount of negative word of mouth heard.
        pos_buzz: Decayed amount of positive word of mouth heard.
        crossed: Number of boundary-crossing exposures so far.
        purchases: Number of purchases so far.
    """

    segment: np.ndarray
    threshold: np.ndarray
    trust: np.ndarray
    initial_trust: np.ndarray
    would_stop: np.ndarray
    wants_consent: np.ndarray
    reads_terms: np.ndarray
    social_threshold: np.ndarray
    customer: np.ndarray
    churn_week: np.ndarray
    churn_cause: np.ndarray
    opted_in: np.ndarray
    aware_week: np.ndarray
    neg_buzz: np.ndarray
    pos_buzz: np.ndarray
    crossed: np.ndarray
    purchases: np.ndarray

    @property
    def n(self) -> int:
        """Number of consumers."""
        return int(self.segment.shape[0])

    def survey_shares(self, intrusiveness: dict[str, float]) -> dict[str, float]:
        """Answer the survey questions as this sampled population does.

        Args:
            intrusiveness: ``{question key: intrusiveness}`` for crossing questions.

        Returns:
            Share answering yes, per question.
        """
        out = {k: float(np.mean(self.threshold < x)) for k, x in intrusiveness.items()}
        for d in DISPOSITIONS:
            out[d] = float(np.mean(getattr(self, d)))
        return out

    def to_frame(self) -> pd.DataFrame:
        """Per-consumer table (one row per consumer, ``consumer_id`` first)."""
        data = {"consumer_id": np.arange(self.n, dtype=np.int32)}
        for f in fields(self):
            data[f.name] = getattr(self, f.name)
        df = pd.DataFrame(data)
        df["segment"] = pd.Categorical.from_codes(df["segment"], categories=list(SEGMENTS))
        cw = df["churn_week"].astype("Int32")
        df["churn_week"] = cw.mask(cw == NOT_CHURNED)
        code = df["churn_cause"].to_numpy()
        df["churn_cause"] = pd.Categorical.from_codes(code, categories=list(CHURN_CAUSES))
        aw = df["aware_week"].astype("Int32")
        df["aware_week"] = aw.mask(aw < 0)
        return df

MEAN_EPS = 1e-9
"""Closest a Beta mean may come to 0 or 1 (its parameters must stay positive)."""


def sample_population(
    market: FittedMarket,
    n: int,
    rng: np.random.Generator,
    *,
    initial_trust: float,
    trust_concentration: float,
    social_threshold: float,
    social_threshold_sd: float,
    initial_churned: int,
) -> Population:
    """Draw ``n`` consumers from a fitted market.

    Args:
        market: The fitted market preset.
        n: Number of consumers.
        rng: The population stream.
        initial_trust: Mean initial trust of the reference segment.
        trust_concentration: Beta concentration of initial trust.
        social_threshold: Mean Watts social threshold.
        social_threshold_sd: Its spread (normal, clipped to [0, 1]).
        initial_churned: Number of consumers churned before week 0.

    Returns:
        The population, all customers except the initial churned.
    """
    seg = rng.choice(len(SEGMENTS), size=n, p=market.shares).astype(np.int8)
    u = rng.random((len(DISPOSITIONS), n))
    thr = rng.beta(market.threshold_a[seg], market.threshold_b[seg]).astype(np.float32)
    mean_t = special.expit(special.logit(initial_trust) + market.trust_offsets()[seg])
    # Away from 0 and 1 so that both Beta parameters stay positive (numpy raises
    # "a <= 0" otherwise); an unchanged value for every mean not within 1e-9 of an end.
    mean_t = np.clip(mean_t, MEAN_EPS, 1.0 - MEAN_EPS)
    trust = rng.beta(mean_t * trust_concentration, (1 - mean_t) * trust_concentration)
    trust = trust.astype(np.float32)
    disp = {d: u[i] < market.disposition_p[d][seg] for i, d in enumerate(DISPOSITIONS)}
    if social_threshold_sd > 0:
        soc = rng.normal(social_threshold, social_threshold_sd, n)
        soc = np.clip(soc, 0.0, 1.0).astype(np.float32)
    else:
        soc = np.full(n, social_threshold, dtype=np.float32)
    customer = np.ones(n, dtype=bool)
    churn_week = np.full(n, NOT_CHURNED, dtype=np.int32)
    churn_cause = np.full(n, NO_CAUSE, dtype=np.int8)
    if initial_churned:
        seeds = rng.choice(n, size=initial_churned, replace=False)
        customer[seeds] = False
        churn_week[seeds] = SEED_CHURN_WEEK
        churn_cause[seeds] = SEED
    return Population(
        segment=seg,
        threshold=thr,
        trust=trust,
        initial_trust=trust.copy(),
        social_threshold=soc,
        customer=customer,
        churn_week=churn_week,
        churn_cause=churn_cause,
        opted_in=np.zeros(n, dtype=bool),
        aware_week=np.full(n, -1, dtype=np.int32),
        neg_buzz=np.zeros(n, dtype=np.float32),
        pos_buzz=np.zeros(n, dtype=np.float32),
        crossed=np.zeros(n, dtype=np.int32),
        purchases=np.zeros(n, dtype=np.int32),
        **disp,
    )
