"""Mechanism 3: word of mouth over the social network.

Consumers who felt crossed complain: each tells their friends with
probability ``p_tell_negative`` (InMoment: about 1 in 5) and, among those,
posts publicly with probability ``p_post_public`` (1 in 10). Reached consumers
who found the ad acceptable recommend with ``p_tell_positive``, set so that
positive word of mouth is about three times as frequent as negative at the
baseline (East, Hammond & Wright 2007). What a consumer hears accumulates as
*buzz* that decays each week; negative buzz decays more slowly (it lasts
longer, Hornik et al. 2015) and also travels beyond friends through public
posts, each seen by ``public_reach`` random consumers; attention is finite, so
however many posts there are, at most a share ``public_attention`` of
consumers sees one in a week, and seeing several counts as seeing one. How
much the buzz hurts depends on the hearer's own privacy concern
(:func:`sim.mechanisms.perception.concern_sensitivity`).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from sim.graph_ops import neighbour_sum
from sim.rng import below


def speakers(
    crossed: np.ndarray,
    satisfied: np.ndarray,
    u_neg: np.ndarray,
    u_pos: np.ndarray,
    *,
    p_tell_negative: float,
    p_post_public: float,
    p_tell_positive: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who complains, who posts publicly, who recommends.

    Args:
        crossed: Felt crossed this week (bool).
        satisfied: Reached with an acceptable ad (bool).
        u_neg: Draws for complaints (public posters are the lowest): uniforms
            on [0, 1) or raw uint32 words (see :func:`sim.rng.below`).
        u_pos: Draws for recommendations, likewise.
        p_tell_negative: Complaint probability.
        p_post_public: Public-post probability (at most ``p_tell_negative``).
        p_tell_positive: Recommendation probability.

    Returns:
        ``(complain, post, recommend)`` boolean masks.
    """
    complain = crossed & below(u_neg, p_tell_negative)
    post = crossed & below(u_neg, p_post_public)
    recommend = satisfied & below(u_pos, p_tell_positive)
    return complain, post, recommend


def buzz(
    adj: sp.csr_array,
    complain: np.ndarray,
    recommend: np.ndarray,
    n_posts: int,
    u_public: np.ndarray | None,
    neg_buzz: np.ndarray,
    pos_buzz: np.ndarray,
    *,
    public_reach: float,
    public_attention: float,
    negative_decay: float,
    positive_decay: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Update the buzz each consumer has heard.

    Negative input is the number of complaining friends plus one if the
    consumer saw a public post (:func:`public_exposure`); positive input is
    the number of recommending friends.

    Args:
        adj: Symmetric adjacency (CSR).
        complain: Complainers (bool).
        recommend: Recommenders (bool).
        n_posts: Public posts this week.
        u_public: Draws for seeing a public post (needed when ``n_posts > 0``),
            uniforms or raw uint32 words.
        neg_buzz: Negative buzz so far.
        pos_buzz: Positive buzz so far.
        public_reach: Consumers reached per public post.
        public_attention: Most a week's posts can reach, as a share of consumers.
        negative_decay: Weekly persistence of negative buzz.
        positive_decay: Weekly persistence of positive buzz.

    Returns:
        ``(neg_buzz, pos_buzz)`` after this week (float32).
    """
    n = complain.shape[0]
    neg_in = neighbour_sum(adj, complain)
    if n_posts:
        neg_in += below(u_public, public_exposure(n_posts, n, public_reach, public_attention))
    pos_in = neighbour_sum(adj, recommend)
    neg = np.multiply(neg_buzz, np.float32(negative_decay), dtype=np.float32)
    neg += neg_in
    pos = np.multiply(pos_buzz, np.float32(positive_decay), dtype=np.float32)
    pos += pos_in
    return neg, pos


def public_exposure(n_posts: int, n: int, public_reach: float, public_attention: float) -> float:
    """Chance that a consumer sees at least one public post about the brand this week.

    ``a * (1 - exp(-n_posts * public_reach / (a * n)))`` with ``a =
    public_attention``: among the share ``a`` of consumers who pay attention to
    talk about the brand, posts land at random (Poisson), ``n_posts *
    public_reach / a`` views over ``a * n`` readers. A few posts reach about
    ``n_posts * public_reach / n`` consumers, as if attention were unlimited;
    many posts saturate at ``a``.

    Args:
        n_posts: Public posts this week.
        n: Number of consumers.
        public_reach: Views per post.
        public_attention: Share of consumers who can see any post (0: nobody).

    Returns:
        Probability in [0, public_attention].
    """
    if public_attention <= 0 or n <= 0:
        return 0.0
    return public_attention * -math.expm1(-n_posts * public_reach / (public_attention * n))


def wom_trust_update(
    trust: np.ndarray,
    neg_buzz: np.ndarray,
    pos_buzz: np.ndarray,
    sensitivity: np.ndarray | float,
    *,
    negative_effect: float,
    positive_effect: float,
) -> np.ndarray:
    """Trust after hearing word of mouth.

    ``T <- T * exp(-negative_effect * s * neg_buzz)`` with ``s`` the hearer's
    sensitivity to bad news (:func:`sim.mechanisms.perception.concern_sensitivity`),
    then ``T <- 1 - (1 - T) * exp(-positive_effect * pos_buzz)``; stays in [0, 1].

    Args:
        trust: Current trust.
        neg_buzz: Negative buzz.
        pos_buzz: Positive buzz.
        sensitivity: Multiplier of the negative effect per consumer (or one for all).
        negative_effect: Loss rate per unit of negative buzz.
        positive_effect: Gain rate per unit of positive buzz.

    Returns:
        New trust (float32).
    """
    f32 = np.float32
    t = np.multiply(neg_buzz, f32(-negative_effect), dtype=f32)
    t *= sensitivity
    np.exp(t, out=t)
    t *= trust
    # t <- 1 - (1 - t) * exp(-positive_effect * pos_buzz), in place
    keep = np.multiply(pos_buzz, f32(-positive_effect), dtype=f32)
    np.exp(keep, out=keep)
    np.subtract(f32(1.0), t, out=t)
    t *= keep
    np.subtract(f32(1.0), t, out=t)
    return np.clip(t, 0.0, 1.0, out=t)
