"""An idiomatic per-agent Mesa implementation of trustsim's weekly rules.

This is the yardstick for the vectorised engine (:mod:`sim.model`): the same
weekly rules, step order, formulas and defaults, written the way a Mesa user
would write them: one :class:`Consumer` object per person with plain Python
attributes, a :class:`ReferenceModel` seeded with ``rng=``, agents activated
with ``self.agents.shuffle_do(...)``, friends cached as Python lists of agents
(built from a networkx graph), and a :class:`mesa.DataCollector` with
module-level reporters (no lambdas, so the model pickles for ``batch_run``).

Each week has two agent stages, because word of mouth, news and social
contagion are *synchronous* in the model (everyone hears what was said this
week, whatever the activation order):

1. :meth:`Consumer.step` -- incident news from those who learned of it last
   week is passed on to friends; recent churners expose their friends;
   customers reached by the campaign perceive the ad (noise, effective
   threshold), update trust asymmetrically, and complain, post or recommend
   (messages are pushed into friends' inboxes).
2. :meth:`Consumer.respond` -- read the inboxes: buzz and word-of-mouth trust
   change, incident news (media in the incident week, friends after it) with
   its trust loss and stated exit intention, churn (hazard with decaying
   exposure to recently churned friends, or Watts' threshold rule) with the
   stated-to-actual exit conversion, and purchases.

Parameters and their defaults come from :class:`sim.config.Scenario` (the
same validated defaults as ``scenarios/baseline.toml``) and the population is
drawn from the same fitted market (:func:`sim.fit_market`), one agent at a
time with the model's ``random`` generator. Random streams are not shared
with :mod:`sim`, so the two agree in distribution, not draw for draw; run
``python benchmarks/mesa_reference.py --compare`` to see the trajectories side
by side.

Example:
    >>> from benchmarks.mesa_reference import ReferenceModel
    >>> m = ReferenceModel(n=500, weeks=3, seed=1, **{"strategy.reach": 0.8})
    >>> while m.running:
    ...     m.step()
    >>> df = m.datacollector.get_model_vars_dataframe()
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as a script from a source checkout
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.config import Scenario  # noqa: E402
from sim.markets import DISPOSITIONS, SEGMENTS  # noqa: E402

NOT_CHURNED = sys.maxsize
"""``churn_week`` of a consumer who is still a customer."""


# --------------------------------------------------------------------------- parameters


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


_DEFAULT_KEYS = tuple(_flatten(Scenario().to_dict()))
_LEAVES: dict[str, list[str]] = {}
for _key in _DEFAULT_KEYS:
    _LEAVES.setdefault(_key.rsplit(".", 1)[-1], []).append(_key)


def resolve_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Turn keyword parameters into dotted scenario overrides.

    A key may be a dotted scenario path (``"strategy.reach"``), the same path
    with ``__`` for dots (``strategy__reach``, a valid Python identifier for
    ``batch_run``), or a leaf name that is unique in the scenario
    (``reach``, ``asymmetry``, ``contagion_ratio``).

    Args:
        params: Keyword parameters.

    Returns:
        ``{dotted key: value}``.

    Raises:
        ValueError: For an unknown or ambiguous leaf name.
    """
    out: dict[str, Any] = {}
    for key, val in params.items():
        if "." in key:
            out[key] = val
        elif "__" in key:
            out[key.replace("__", ".")] = val
        elif len(_LEAVES.get(key, [])) == 1:
            out[_LEAVES[key][0]] = val
        elif key in _LEAVES:
            raise ValueError(f"parameter {key!r} is ambiguous; use one of {_LEAVES[key]}")
        else:
            raise ValueError(
                f"unknown parameter {key!r}; use a dotted scenario key such as "
                "'strategy.reach' (see sim.config.Scenario)"
            )
    return out


def _ws_k(mean_degree: float, n: int) -> int:
    """Even lattice degree nearest ``mean_degree`` (as :mod:`sim.network` maps it)."""
    k = 2 * max(1, math.floor(mean_degree / 2.0 + 0.5))
    return min(k, n - n % 2)


def build_graph(kind: str, n: int, mean_degree: float, rewire_p: float, seed: int) -> nx.Graph:
    """Build the social network with networkx.

    Args:
        kind: ``watts_strogatz``, ``erdos_renyi``, ``barabasi_albert`` or ``none``.
        n: Number of consumers.
        mean_degree: Mean degree (mapped to each family's parameter as in
            :func:`sim.network.build_network`).
        rewire_p: Watts–Strogatz rewiring probability.
        seed: networkx seed.

    Returns:
        An undirected graph on nodes ``0..n-1``.

    Raises:
        ValueError: For a kind the reference does not build.
    """
    if kind == "none" or n < 2:
        return nx.empty_graph(n)
    if kind == "watts_strogatz":
        return nx.watts_strogatz_graph(n, _ws_k(mean_degree, n), rewire_p, seed=seed)
    if kind == "erdos_renyi":
        return nx.fast_gnp_random_graph(n, mean_degree / (n - 1), seed=seed)
    if kind == "barabasi_albert":
        m = min(max(1, round(mean_degree / 2.0)), n - 1)
        return nx.barabasi_albert_graph(n, m, seed=seed)
    raise ValueError(f"the Mesa reference does not build network.kind = {kind!r}")


# --------------------------------------------------------------------------- reporters


def week(model: ReferenceModel) -> int:
    """Week just simulated (0-based, as in ``sim``'s weekly table)."""
    return model.week


def level(model: ReferenceModel) -> int:
    """Campaign ladder level this week."""
    return model.level


def customers(model: ReferenceModel) -> int:
    """Current customers."""
    return model.customers


def churned(model: ReferenceModel) -> int:
    """Customers who left this week."""
    return model.churned_now


def churned_cumulative(model: ReferenceModel) -> int:
    """Consumers who are not customers."""
    return model.n - model.customers


def retention(model: ReferenceModel) -> float:
    """Customers over customers at the start."""
    return model.customers / max(model.initial_customers, 1)


def mean_trust(model: ReferenceModel) -> float:
    """Mean trust over all consumers."""
    return sum(a.trust for a in model.agents) / model.n


def mean_trust_customers(model: ReferenceModel) -> float:
    """Mean trust over current customers."""
    ts = [a.trust for a in model.agents if a.customer]
    return sum(ts) / len(ts) if ts else math.nan


def reached(model: ReferenceModel) -> int:
    """Customers reached this week."""
    return model.reached_now


def crossed(model: ReferenceModel) -> int:
    """Exposures that crossed the line this week."""
    return model.crossed_now


def crossed_share(model: ReferenceModel) -> float:
    """Share of this week's exposures that crossed the line."""
    return model.crossed_now / model.reached_now if model.reached_now else 0.0


def complaints(model: ReferenceModel) -> int:
    """Consumers who complained to friends this week."""
    return model.complaints_now


def public_posts(model: ReferenceModel) -> int:
    """Public complaint posts this week."""
    return model.posts_now


def recommendations(model: ReferenceModel) -> int:
    """Positive word-of-mouth speakers this week."""
    return model.recommendations_now


def incident_aware(model: ReferenceModel) -> float:
    """Share of consumers aware of the current incident."""
    return sum(1 for a in model.agents if a.aware_week >= 0) / model.n


def opt_ins(model: ReferenceModel) -> int:
    """Customers who gave specific consent."""
    return sum(1 for a in model.agents if a.opted_in and a.customer)


def purchases(model: ReferenceModel) -> int:
    """Purchases this week."""
    return model.purchases_now


def revenue(model: ReferenceModel) -> float:
    """Revenue this week."""
    return model.revenue_now


def revenue_cumulative(model: ReferenceModel) -> float:
    """Revenue so far."""
    return model.revenue_cum


def seed(model: ReferenceModel) -> int:
    """Seed the run used (recorded so that a drawn seed is never silent)."""
    return model.seed


REPORTERS = {
    f.__name__: f
    for f in (
        week, level, customers, churned, churned_cumulative, retention, mean_trust,
        mean_trust_customers, reached, crossed, crossed_share, complaints, public_posts,
        recommendations, incident_aware, opt_ins, purchases, revenue, revenue_cumulative, seed,
    )
}
"""Weekly model reporters, named like the columns of ``sim``'s weekly table."""


# --------------------------------------------------------------------------- agents


class Consumer(mesa.Agent):
    """One consumer: privacy disposition, trust, and customer status.

    Args:
        model: The model.
        segment: Privacy segment index into :data:`sim.markets.SEGMENTS`.
        threshold: Privacy threshold in [0, 1].
        trust: Initial trust in [0, 1].
        would_stop: Would stop buying after irresponsible data use.
        wants_consent: Finds specific consent important.
        reads_terms: Reads terms and conditions.
        social_threshold: Watts rule: churned-friend share that makes them leave.

    Attributes:
        friends: Neighbouring consumers (a list, cached after the network is built).
        customer: Still a customer.
        churn_week: Week they left (:data:`NOT_CHURNED` while a customer).
        aware_week: Week they learned of the current incident (-1: not aware).
        neg_buzz: Decayed negative word of mouth heard.
        pos_buzz: Decayed positive word of mouth heard.
    """

    def __init__(
        self,
        model: ReferenceModel,
        segment: int,
        threshold: float,
        trust: float,
        would_stop: bool,
        wants_consent: bool,
        reads_terms: bool,
        social_threshold: float,
    ) -> None:
        super().__init__(model)
        self.segment = segment
        self.threshold = threshold
        self.trust = trust
        self.would_stop = would_stop
        self.wants_consent = wants_consent
        self.reads_terms = reads_terms
        self.social_threshold = social_threshold
        self.friends: list[Consumer] = []
        self.customer = True
        self.churn_week = NOT_CHURNED
        self.opted_in = False
        self.aware_week = -1
        self.neg_buzz = 0.0
        self.pos_buzz = 0.0
        self.n_crossed = 0
        self.n_purchases = 0
        # this week's state
        self.reached = False
        self.crossed = False
        self.relevance = 0.0
        # inboxes filled by friends in stage 1, read and emptied in stage 2
        self.neg_heard = 0
        self.pos_heard = 0
        self.news_heard = False
        self.exposure = 0.0

    def in_control(self) -> bool:
        """Whether the consumer knows and agreed to the use of their data."""
        design = self.model.consent_design
        if design == "specific":
            return self.opted_in
        if design == "blanket":
            return self.reads_terms
        return False

    # -- stage 1 ------------------------------------------------------------------
    def step(self) -> None:
        """Stage 1: pass on news and churn exposure; see an ad, update trust, talk."""
        m = self.model
        t = m.week
        rnd = self.random.random

        # Incident news: those who learned of it last week tell each friend.
        if m.news_spreads and self.aware_week == t - 1:
            for f in self.friends:
                if rnd() < m.share_now:
                    f.news_heard = True
        # Social exposure: a recent churner weighs on each friend's hazard.
        if m.contagion_exposure:
            age = t - 1 - self.churn_week
            if 0 <= age < m.contagion_window:
                w = m.contagion_decay**age
                for f in self.friends:
                    f.exposure += w

        if not self.customer:
            return
        if t == 0 and m.consent_design == "specific":
            p = min(max(m.opt_in_rate + m.opt_in_slope * (self.trust - 0.5), 0.0), 1.0)
            self.opted_in = rnd() < p
        # 0.-1. exposure and perception
        if not (m.ads_on and rnd() < m.reach):
            return
        self.reached = True
        m.reached_now += 1
        lv = m.level
        if m.consent_design == "specific" and lv > m.gate and not self.opted_in:
            lv = m.gate
        control = self.in_control()
        eff = self.threshold + m.lever_shift + (m.control_shift if control else 0.0)
        eff = min(max(eff, 0.0), 1.0)
        gap = m.intrusiveness[lv] + m.noise_sd * self.random.gauss(0.0, 1.0) - eff
        crossed = gap > 0.0
        self.crossed = crossed
        self.relevance = rel = m.relevance[lv]
        if crossed:
            self.n_crossed += 1
            m.crossed_now += 1

        # 2. asymmetric trust update
        if m.trust_on:
            gain = min(max(m.gain_rate * rel * (0.5 + m.value_exchange), 0.0), 1.0)
            loss = m.base_loss * (1.0 + m.excess_weight * gap) if crossed else 0.0
            if self.wants_consent and lv > m.gate and not control:
                loss += m.consent_penalty * m.base_loss
            loss = min(max(loss, 0.0), 1.0)
            trust = self.trust * (1.0 - loss) ** m.frequency
            if not crossed:
                trust += (1.0 - (1.0 - gain) ** m.frequency) * (1.0 - trust)
            self.trust = min(max(trust, 0.0), 1.0)

        # 3. word of mouth: speak (friends hear it in stage 2)
        if m.wom_on:
            u = rnd()
            if crossed:
                if u < m.p_tell_negative:
                    m.complaints_now += 1
                    for f in self.friends:
                        f.neg_heard += 1
                if u < m.p_post_public:
                    m.posts_now += 1
            elif rnd() < m.p_tell_positive:
                m.recommendations_now += 1
                for f in self.friends:
                    f.pos_heard += 1

    # -- stage 2 ------------------------------------------------------------------
    def respond(self) -> None:
        """Stage 2: hear word of mouth and news, maybe leave, maybe buy."""
        m = self.model
        t = m.week
        rnd = self.random.random

        # 3. word of mouth: buzz and its effect on trust
        if m.wom_on:
            heard = self.neg_heard
            if m.p_seen_post and rnd() < m.p_seen_post:
                heard += 1
            self.neg_buzz = m.negative_decay * self.neg_buzz + heard
            self.pos_buzz = m.positive_decay * self.pos_buzz + self.pos_heard
            sens = m.wom_sens[self.segment]
            trust = self.trust * math.exp(-m.negative_effect * sens * self.neg_buzz)
            trust = 1.0 - (1.0 - trust) * math.exp(-m.positive_effect * self.pos_buzz)
            self.trust = min(max(trust, 0.0), 1.0)
        self.neg_heard = self.pos_heard = 0

        # 4. incidents
        intention = 0.0
        ev = m.incident
        if ev is not None:
            if m.incident_starts:
                self.aware_week = -1
                new = rnd() < ev.media_reach
            else:
                new = self.news_heard and self.aware_week < 0
            if new:
                self.aware_week = t
                self.trust *= 1.0 - min(max(m.incident_loss * m.news_sens[self.segment], 0.0),
                                        1.0)
                if not ev.responsible and self.would_stop:
                    intention = ev.severity
        self.news_heard = False

        # 5. churn, with stated-to-actual exits
        if m.churn_on and self.customer:
            stated = intention + (m.crossing_exit_stated if self.crossed else 0.0)
            direct = min(max(m.exit_conversion * stated, 0.0), 1.0)
            if m.churn_rule == "hazard":
                log_h = m.trust_sensitivity * (1.0 - self.trust)
                if m.contagion_exposure:
                    log_h += m.log_contagion_ratio * self.exposure
                h = m.base_hazard * math.exp(log_h)
                leave = rnd() < 1.0 - math.exp(-h) * (1.0 - direct)
            else:
                social = False
                if m.contagion and self.friends:
                    gone = sum(1 for f in self.friends if f.churn_week < t)
                    social = gone / len(self.friends) >= self.social_threshold
                leave = social or rnd() < direct
            if leave:
                self.customer = False
                self.churn_week = t
                m.customers -= 1
                m.churned_now += 1
        self.exposure = 0.0

        # 6. purchases
        if m.purchase_on and self.customer:
            p = m.base_rate * (m.trust_floor + (1.0 - m.trust_floor) * self.trust)
            if self.crossed:
                p *= m.reactance_drop
            elif self.reached:
                p *= 1.0 + m.relevance_lift_eff * self.relevance
            if rnd() < min(max(p, 0.0), 1.0):
                self.n_purchases += 1
                m.purchases_now += 1
        self.reached = self.crossed = False


# --------------------------------------------------------------------------- model


class ReferenceModel(mesa.Model):
    """Per-agent Mesa model of consumer trust under personalised marketing.

    Args:
        n: Number of consumers.
        mean_degree: Mean number of friends.
        weeks: Weeks to simulate (``running`` turns false after them).
        seed: Root seed (``rng=`` of :class:`mesa.Model`). ``None`` (as
            ``batch_run`` passes with ``iterations=``) draws a fresh seed and
            records it in the ``seed`` reporter.
        **params: Further scenario parameters: dotted keys
            (``**{"strategy.reach": 0.8}``), ``__``-separated keys
            (``strategy__reach=0.8``) or unique leaf names (``reach=0.8``);
            see :func:`resolve_params`. ``config=`` passes a whole
            :class:`sim.Scenario` as the base (``n``, ``mean_degree``,
            ``weeks`` and ``seed`` still override it).

    Attributes:
        config: The validated scenario the run follows.
        graph: The networkx social network.
        datacollector: Weekly model reporters (:data:`REPORTERS`).
    """

    def __init__(
        self,
        n: int = 1000,
        mean_degree: float = 10,
        weeks: int = 52,
        seed: int | None = 0,
        **params: Any,
    ) -> None:
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % 2**63)
        super().__init__(rng=seed)
        self.seed = int(seed)
        base: Scenario | None = params.pop("config", None)
        data = base.to_dict() if base is not None else {}
        overrides = resolve_params(params)
        overrides.update({
            "population.size": int(n), "network.mean_degree": float(mean_degree),
            "run.weeks": int(weeks), "run.seed": self.seed,
        })
        self.config = c = sim.scenario_from_dict(data, overrides)
        self.n = n = c.population.size
        self.weeks = c.run.weeks
        self.week = 0
        self._read_parameters(c)
        self._create_agents(c)
        self.graph = build_graph(
            c.network.kind, n, c.network.mean_degree, c.network.rewire_p,
            int(self.rng.integers(2**31)),
        )
        agents = self.consumers
        for i, a in enumerate(agents):
            a.friends = [agents[j] for j in self.graph.adj[i]]
        self.initial_customers = self.customers = sum(1 for a in agents if a.customer)
        self.revenue_cum = 0.0
        self._calm = self._hold = 0
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.running = True

    # -- set-up ---------------------------------------------------------------------
    def _read_parameters(self, c: Scenario) -> None:
        """Copy the scenario's parameters into plain attributes the agents read."""
        st = c.strategy
        self.ladder_names = [lv.name for lv in st.ladder]
        self.intrusiveness = [lv.intrusiveness for lv in st.ladder]
        self.relevance = [lv.relevance for lv in st.ladder]
        self.gate = st.level_index(st.consent.gate_level, "strategy.consent.gate_level")
        e = st.escalation
        self.level = st.level_index(e.level, "strategy.escalation.level")
        self.consent_design = st.consent.design
        self.opt_in_rate = st.consent.opt_in_rate
        self.opt_in_slope = st.consent.opt_in_trust_slope
        self.consent_penalty = st.consent.penalty
        self.control_shift = st.consent.control_shift
        self.reach = st.reach
        self.frequency = st.frequency
        self.value_exchange = st.value_exchange
        self.transparency = st.transparency
        pc = c.perception
        self.ads_on = pc.enabled and st.reach > 0
        self.noise_sd = pc.noise_sd
        self.lever_shift = (pc.value_shift * st.value_exchange
                            + pc.transparency_shift * st.transparency)
        tc = c.trust
        self.trust_on = tc.enabled
        self.gain_rate = tc.gain_rate
        self.base_loss = tc.asymmetry * tc.gain_rate
        self.excess_weight = tc.excess_weight
        w = c.wom
        self.wom_on = w.enabled
        self.p_tell_negative = w.p_tell_negative
        self.p_post_public = w.p_post_public
        self.p_tell_positive = w.p_tell_positive
        self.public_reach = w.public_reach
        self.negative_effect = w.negative_effect
        self.positive_effect = w.positive_effect
        self.negative_decay = w.negative_decay
        self.positive_decay = w.positive_decay
        self.public_attention = w.public_attention
        self.share_prob = c.incidents.share_prob
        self.share_now = 0.0
        ch = c.churn
        self.churn_on = ch.enabled
        self.churn_rule = ch.rule
        self.base_hazard = ch.base_hazard
        self.trust_sensitivity = ch.trust_sensitivity
        self.contagion = ch.contagion
        self.contagion_exposure = ch.enabled and ch.rule == "hazard" and ch.contagion
        self.log_contagion_ratio = math.log(ch.contagion_ratio)
        self.contagion_window = ch.contagion_window
        self.contagion_decay = ch.contagion_decay
        self.exit_conversion = ch.exit_conversion
        self.crossing_exit_stated = ch.crossing_exit_stated
        pu = c.purchase
        self.purchase_on = pu.enabled
        self.base_rate = pu.base_rate
        self.trust_floor = pu.trust_floor
        self.reactance_drop = (1.0 - pu.reactance) * (1.0 - pu.transparency_penalty
                                                      * st.transparency)
        self.relevance_lift_eff = (pu.relevance_lift * (0.5 + st.value_exchange)
                                   * (1.0 + pu.transparency_lift * st.transparency))
        self.basket_value = pu.basket_value
        # per-week state
        self.incident: Any = None
        self.incident_starts = False
        self.incident_loss = 0.0
        self.news_spreads = False
        self.p_seen_post = 0.0
        self._reset_counters()

    def _create_agents(self, c: Scenario) -> None:
        """Draw each consumer from the fitted market, one agent at a time."""
        market = sim.fit_market(c.population.market)
        rnd = self.random
        cum_shares = np.cumsum(market.shares).tolist()
        a_thr, b_thr = market.threshold_a.tolist(), market.threshold_b.tolist()
        logit0 = math.log(c.population.initial_trust / (1.0 - c.population.initial_trust))
        conc = c.population.trust_concentration
        mean_t = [1.0 / (1.0 + math.exp(-(logit0 + off))) for off in market.trust_offsets()]
        disp = {d: market.disposition_p[d].tolist() for d in DISPOSITIONS}
        ch = c.churn
        concern = [market.spec.segments[s].concern_offset for s in SEGMENTS]
        self.wom_sens = [math.exp(c.wom.concern_weight * o) for o in concern]
        self.news_sens = [math.exp(c.incidents.concern_weight * o) for o in concern]
        self.consumers: list[Consumer] = []
        for _ in range(c.population.size):
            u = rnd.random()
            s = next((i for i, cs in enumerate(cum_shares) if u < cs), len(SEGMENTS) - 1)
            soc = ch.social_threshold
            if ch.social_threshold_sd > 0:
                soc = min(max(rnd.gauss(soc, ch.social_threshold_sd), 0.0), 1.0)
            agent = Consumer(
                self,
                segment=s,
                threshold=rnd.betavariate(a_thr[s], b_thr[s]),
                trust=rnd.betavariate(mean_t[s] * conc, (1.0 - mean_t[s]) * conc),
                would_stop=rnd.random() < disp["would_stop"][s],
                wants_consent=rnd.random() < disp["wants_consent"][s],
                reads_terms=rnd.random() < disp["reads_terms"][s],
                social_threshold=soc,
            )
            self.consumers.append(agent)
        for a in rnd.sample(self.consumers, ch.initial_churned):
            a.customer = False
            a.churn_week = -1

    def _reset_counters(self) -> None:
        self.reached_now = self.crossed_now = self.complaints_now = 0
        self.posts_now = self.recommendations_now = 0
        self.churned_now = self.purchases_now = 0
        self.revenue_now = 0.0

    # -- one week ---------------------------------------------------------------------
    def brand_level(self) -> int:
        """The campaign's ladder level this week (fixed, schedule, ramp or adaptive)."""
        st = self.config.strategy
        e = st.escalation
        idx = st.level_index
        if e.mode == "fixed":
            return idx(e.level, "level")
        if e.mode == "schedule":
            lv, best = 0, -1
            for s in e.schedule:
                if best < s.week <= self.week:
                    lv, best = idx(s.level, "schedule"), s.week
            return lv
        if e.mode == "ramp":
            start, end = idx(e.start, "start"), idx(e.end, "end")
            steps = abs(end - start) + 1
            k = min(int(steps * self.week / e.over_weeks), steps - 1)
            return start + (k if end >= start else -k)
        return self.level  # adaptive: updated at the end of each week

    def _adapt(self) -> None:
        """Adaptive escalation: back off above the complaint limit, else creep up."""
        st = self.config.strategy
        e = st.escalation
        rate = 1000.0 * self.complaints_now / max(self.customers, 1)
        if rate > e.complaint_limit:
            self.level, self._calm, self._hold = max(self.level - 1, 0), 0, e.cooldown
        elif self._hold > 0:
            self._calm, self._hold = 0, self._hold - 1
        else:
            self._calm += 1
            if self._calm >= e.step_every and self.level < st.level_index(e.max_level, "max"):
                self.level, self._calm = self.level + 1, 0

    def _incident_news(self) -> None:
        """Which incident is current this week and how its news travels."""
        ic = self.config.incidents
        self.incident_starts = False
        if not ic.enabled:
            return
        for ev in ic.events:
            if ev.week == self.week:
                self.incident, self.incident_starts = ev, True
        ev = self.incident
        if ev is not None and not self.incident_starts:
            age = self.week - ev.week - 1
            self.share_now = min(ic.share_prob * ev.severity * 2.0 ** (-age / ic.news_half_life),
                                 1.0)
        self.news_spreads = (ev is not None and not self.incident_starts
                             and self.share_now > 0)
        if ev is not None:
            loss = ic.impact * ev.severity * (1.0 - ic.transparency_mitigation
                                              * self.transparency)
            if ev.responsible:
                loss *= ic.responsible_factor
            self.incident_loss = min(max(loss, 0.0), 1.0)

    def step(self) -> None:
        """Simulate one week."""
        self._reset_counters()
        self.level = self.brand_level()
        self._incident_news()
        self.agents.shuffle_do("step")
        a = self.public_attention
        if self.posts_now and a > 0:
            self.p_seen_post = a * (1.0 - math.exp(-self.posts_now * self.public_reach
                                                   / (a * self.n)))
        else:
            self.p_seen_post = 0.0
        self.agents.shuffle_do("respond")
        self.revenue_now = self.purchases_now * self.basket_value
        self.revenue_cum += self.revenue_now
        self.datacollector.collect(self)
        if self.config.strategy.escalation.mode == "adaptive":
            self._adapt()
        self.week += 1
        if self.week >= self.weeks:
            self.running = False


def run_reference(n: int = 1000, weeks: int = 52, seed: int = 0, **params: Any) -> pd.DataFrame:
    """Run the reference model to the end and return its weekly table.

    Args:
        n: Number of consumers.
        weeks: Weeks.
        seed: Root seed.
        **params: Scenario parameters (see :class:`ReferenceModel`).

    Returns:
        One row per week, columns as :data:`REPORTERS`.
    """
    model = ReferenceModel(n=n, weeks=weeks, seed=seed, **params)
    while model.running:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


# --------------------------------------------------------------------------- comparison

COMPARE_SCENARIOS: dict[str, dict[str, Any]] = {
    "baseline+incident": {
        "incidents.events": [{"week": 20, "severity": 0.6, "responsible": False}],
    },
    "behavioural+specific consent+incident": {
        "strategy.escalation.level": "behavioural",
        "strategy.consent.design": "specific",
        "strategy.reach": 0.7,
        "incidents.events": [{"week": 10, "severity": 0.8, "responsible": False}],
    },
    "adaptive+transparency": {
        "strategy.escalation.mode": "adaptive",
        "strategy.escalation.level": "demographic",
        "strategy.escalation.complaint_limit": 3.0,
        "strategy.transparency": 0.8,
    },
}
"""Scenarios of the reference-versus-vectorised comparison (overrides of the baseline)."""

COMPARE_COLUMNS = ("mean_trust", "retention", "crossed_share", "complaints", "purchases",
                   "incident_aware")


def compare(
    n: int = 5000, replicates: int = 10, weeks: int = 52,
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Run ``sim.run`` and the reference on the same scenarios and compare.

    Args:
        n: Consumers.
        replicates: Seeds per scenario and implementation.
        weeks: Weeks.
        scenarios: ``{name: overrides}``; defaults to :data:`COMPARE_SCENARIOS`.

    Returns:
        One row per scenario, metric and week with the mean and standard
        deviation over replicates of each implementation and the difference
        in units of its standard error (``z``).
    """
    scenarios = COMPARE_SCENARIOS if scenarios is None else scenarios
    base = ROOT / "scenarios" / "baseline.toml"
    rows = []
    for name, ov in scenarios.items():
        frames: dict[str, list[pd.DataFrame]] = {"sim": [], "mesa": []}
        for r in range(replicates):
            sc = sim.load_scenario(base, overrides={
                **ov, "population.size": n, "run.weeks": weeks, "run.seed": 1000 + r})
            frames["sim"].append(sim.run(sc).weekly)
            frames["mesa"].append(run_reference(n=n, weeks=weeks, seed=2000 + r, config=sc))
        for col in COMPARE_COLUMNS:
            a = np.array([f[col].to_numpy(float) for f in frames["sim"]])
            b = np.array([f[col].to_numpy(float) for f in frames["mesa"]])
            se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
            with np.errstate(invalid="ignore", divide="ignore"):
                z = np.where(se > 0, (b.mean(0) - a.mean(0)) / se, 0.0)
            for w in range(weeks):
                rows.append({
                    "scenario": name, "metric": col, "week": w,
                    "sim_mean": a[:, w].mean(), "sim_sd": a[:, w].std(ddof=1),
                    "mesa_mean": b[:, w].mean(), "mesa_sd": b[:, w].std(ddof=1),
                    "z": z[w],
                })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the reference once, or ``--compare`` it with ``sim.run``.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Exit status.
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare", action="store_true", help="compare with sim.run")
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None, help="CSV for the comparison table")
    args = ap.parse_args(argv)
    if not args.compare:
        t0 = time.perf_counter()
        df = run_reference(n=args.n, weeks=args.weeks, seed=args.seed)
        print(df[["week", "customers", "mean_trust", "retention", "crossed_share"]].to_string())
        print(f"{time.perf_counter() - t0:.2f} s")
        return 0
    cmp = compare(n=args.n, replicates=args.replicates, weeks=args.weeks)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        cmp.to_csv(args.out, index=False)
    show = [0, 5, 10, 11, 20, 21, 25, 35, args.weeks - 1]
    pd.set_option("display.width", 160)
    for (name, col), g in cmp.groupby(["scenario", "metric"], sort=False):
        g = g[g["week"].isin(show)]
        print(f"\n== {name}: {col} (mean ± sd over {args.replicates} replicates, n={args.n})")
        print(g[["week", "sim_mean", "sim_sd", "mesa_mean", "mesa_sd", "z"]]
              .to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    summary = cmp.groupby(["scenario", "metric"], sort=False)["z"].agg(
        max_abs_z=lambda z: float(np.abs(z).max()), mean_z="mean")
    print("\n== |z| of mesa minus sim, over all weeks")
    print(summary.to_string(float_format=lambda x: f"{x:.2f}"))
    z = cmp.loc[(cmp["sim_sd"] > 0) | (cmp["mesa_sd"] > 0), "z"].abs()
    print(f"\n{len(z)} weekly comparisons: |z| > 2 in {(z > 2).mean():.1%}, |z| > 3 in "
          f"{(z > 3).mean():.1%} (about 5% and 0.3-0.6% if the two agree in distribution)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
