"""The consumer-trust model: a Mesa model whose state is arrays.

:class:`TrustModel` subclasses :class:`mesa.Model` so that Mesa's own tools
drive it (``docs/mesa.md``): it takes a scenario, scenario keys as keyword
parameters and a seed as ``rng=``, advances one week on Mesa's clock per
:meth:`~TrustModel.step`, and collects weekly metrics in its
``datacollector``. Each step is a few vectorised passes, one per mechanism, in the order
of ``docs/model.md``:

0. escalation (which level) and consent,
1. exposure and perception,
2. asymmetric trust update,
3. word of mouth,
4. incidents and their news,
5. churn (hazard with contagion, or the Watts rule) with stated-to-actual exits,
6. purchases and revenue,
7. recording; the adaptive policy reads this week's complaints.

Consumers are rows of :class:`~sim.population.Population`; Mesa agents
(:class:`ConsumerAgent`) are thin views created on request for small
populations only.

Over 500 lines, on purpose: the step wires every mechanism in one place, to be
read top to bottom beside ``docs/model.md``, and the keyword parameters and
seed handling (:func:`resolve_config`) are the model's public signature.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import scipy.sparse as sp

from sim import network as netmod
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.hints import close_matches
from sim.keyref import scenario_keys
from sim.markets import SEGMENTS, FittedMarket, fit_market
from sim.mechanisms import churn as ch
from sim.mechanisms import consent as cs
from sim.mechanisms import escalation as esc
from sim.mechanisms import incidents as inc
from sim.mechanisms import perception as pc
from sim.mechanisms import purchase as pu
from sim.mechanisms import trust as tr
from sim.mechanisms import wom
from sim.memory import check_fits
from sim.population import SEED_CHURN_WEEK, Population, sample_population
from sim.recorder import WeeklyRecorder
from sim.rng import Streams
from sim.scenario_io import load_scenario, with_overrides

AGENT_VIEW_LIMIT = 20_000
"""Largest population for which :meth:`TrustModel.agent_views` creates Mesa agents."""

CUTOFF_CACHE = 2
"""Ladder levels whose perception cut-offs a run keeps (adaptive back-off moves
between two neighbouring levels; more would cost 4 bytes per consumer each)."""


PARAMS_SOURCE = "TrustModel parameters"
"""What errors name as the origin of a bad ``TrustModel(**params)`` value."""


@lru_cache(maxsize=1)
def _keys_by_leaf() -> dict[str, list[str]]:
    """Dotted scenario keys by their last part (items of lists left out)."""
    out: dict[str, list[str]] = {}
    for key in scenario_keys():
        if "[]" not in key:
            out.setdefault(key.rsplit(".", 1)[-1], []).append(key)
    return out


def param_key(name: str) -> str:
    """The dotted scenario key a ``TrustModel`` keyword names.

    Args:
        name: ``strategy__transparency`` (a double underscore for each dot) or
            a leaf name unique among the scenario keys (``transparency``).

    Returns:
        The dotted key (``"strategy.transparency"``). Dotted keys are returned
        as given: validating the scenario reports an unknown one, with the
        closest keys.

    Raises:
        ScenarioError: For a leaf name that is no key's, or several keys'.

    Example:
        >>> param_key("transparency"), param_key("network__mean_degree")
        ('strategy.transparency', 'network.mean_degree')
    """
    if "__" in name:
        return name.replace("__", ".")
    leaves = _keys_by_leaf()
    keys = leaves.get(name, [])
    if len(keys) == 1:
        return keys[0]
    if keys:
        spelled = ", ".join(k.replace(".", "__") for k in keys)
        raise ScenarioError.one(
            name, f"names several scenario keys; give one in full: {spelled}", None,
            PARAMS_SOURCE,
        )
    near = close_matches(name, leaves, n=3)
    hint = ", ".join(f"{k!r} ({leaves[k][0].replace('.', '__')})" for k in near
                     if len(leaves[k]) == 1)
    raise ScenarioError.one(
        name, f"not a scenario key{'; did you mean ' + hint + '?' if hint else ''} "
        "(dotted keys take __ for each dot, as strategy__transparency=0.8, list items "
        "their index, as incidents__events__0__week=5; every key: docs/scenario_keys.md)",
        None, PARAMS_SOURCE,
    )


def resolve_config(scenario: Scenario | str | Path | None, rng: Any,
                   params: dict[str, Any]) -> Scenario:
    """The scenario a :class:`TrustModel` runs: its parameters and seed applied.

    Args:
        scenario: A Scenario, a scenario file or built-in name, or None (``baseline``).
        rng: As for :class:`TrustModel`.
        params: Keyword overrides, as for :class:`TrustModel`.

    Returns:
        The validated scenario, ``run.seed`` set.

    Raises:
        ScenarioError: For a bad key or value, a missing file, or two different
            seeds (``rng`` and ``run__seed``).
    """
    if not isinstance(scenario, Scenario | str | Path | None):
        raise TypeError(
            "TrustModel(scenario=...) takes a sim.Scenario, a scenario file or a built-in "
            f"scenario's name, not {type(scenario).__name__}; set parameters as keywords "
            "(strategy__transparency=0.8) and the seed with rng="
        )
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario or "baseline")
    overrides = {param_key(k): v.item() if isinstance(v, np.generic) else v
                 for k, v in params.items()}
    seed = _seed_from(rng)
    if seed is not None and overrides.get("run.seed", seed) != seed:
        raise ScenarioError.one("run.seed", f"given twice: rng={seed} and run.seed="
                                f"{overrides['run.seed']}; give one", None, PARAMS_SOURCE)
    if seed is None and "run.seed" not in overrides and "seed" not in base.run.model_fields_set:
        seed = _seed_from(np.random.SeedSequence())  # Mesa's rng=None: fresh, recorded
    if seed is not None and seed != base.run.seed:
        overrides["run.seed"] = seed
    if not overrides:
        return base
    try:
        return with_overrides(base, overrides)
    except ScenarioError as err:
        raise err.blaming(overrides, PARAMS_SOURCE) from None


def _seed_from(rng: Any) -> int | None:
    """An int seed from Mesa's ``rng`` argument: itself if an int, else drawn from it."""
    if rng is None:
        return None
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return int(rng)
    return int(np.random.default_rng(rng).integers(2**63 - 1))


class ConsumerAgent(mesa.Agent):
    """A thin Mesa view of one consumer: every attribute reads the model's arrays.

    Args:
        model: The model.
        index: Row of the consumer in the population arrays.
    """

    def __init__(self, model: TrustModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __getattr__(self, name: str) -> Any:
        pop = self.__dict__.get("model") and self.model.population
        column = getattr(pop, name, None) if pop is not None else None
        if isinstance(column, np.ndarray):
            return column[self.index].item()  # a Python number, as Mesa reporters expect
        raise AttributeError(name)

    @property
    def segment_name(self) -> str:
        """Privacy segment name."""
        return SEGMENTS[int(self.model.population.segment[self.index])]

    @property
    def neighbours(self) -> np.ndarray:
        """Row indices of this consumer's friends."""
        adj = self.model.adjacency
        return adj.indices[adj.indptr[self.index] : adj.indptr[self.index + 1]]


class TrustModel(mesa.Model):
    """Agent-based model of consumer trust under personalised marketing.

    A Mesa model that Mesa's own tools drive: ``mesa.batch_run(TrustModel,
    parameters={"strategy__transparency": [0.0, 0.8]}, rng=[1, 2])`` runs it,
    ``model.datacollector`` is a :class:`mesa.DataCollector` whose
    model-variables table is the weekly table of :func:`sim.run`, and each
    :meth:`step` is one week on Mesa's clock (``model.steps``, ``model.time``).

    The constructor only resolves the scenario and the seed; :meth:`setup`
    (called by the first :meth:`step`) fits the market, samples the population
    and builds the network.

    Randomness: the seed is the scenario's ``run.seed``. Every draw of the
    simulation comes from :class:`sim.rng.Streams`, one generator per
    (seed, replicate, mechanism, week), so two strategies run with the same seed
    share every draw (common random numbers) and their difference is the
    strategy's effect, not noise; one sequential generator would not give that,
    since any extra draw would shift all later ones. ``model.rng`` and
    ``model.random`` (Mesa's) are seeded from the same seed and left for user
    extensions; the built-in mechanisms never draw from them.

    Args:
        scenario: A :class:`~sim.config.Scenario`, the path of a scenario file,
            the name of a built-in scenario (``"data_breach"``), or None for the
            built-in ``baseline``.
        rng: Seed of the run: an int sets ``run.seed``. Any other seed-like
            value (a ``numpy`` Generator, SeedSequence, list of ints) draws an
            int seed from it. None keeps the scenario's ``run.seed`` if the
            scenario sets one (every built-in scenario does) and otherwise draws
            one from fresh entropy. A drawn seed is written into
            ``model.config.run.seed`` (and the data collector's table
            ``attrs``), so ``sim.run(model.config)`` reproduces the run.
        network: Optional adjacency to use instead of building one: a scipy
            sparse matrix or a networkx graph with ``population.size`` nodes.
        model_reporters: Extra Mesa model reporters, added as columns after the
            weekly metrics.
        agent_reporters: Mesa agent reporters, collected every week over the
            :class:`ConsumerAgent` views (so only up to :data:`AGENT_VIEW_LIMIT`
            consumers; keep to a few thousand, as each costs a Python call per
            consumer per week).
        **params: Scenario keys to override, dotted with a double underscore
            (``strategy__transparency=0.8``, ``incidents__events__0__week=5``)
            or by a leaf name that is unique among the keys (``transparency=0.8``).

    Raises:
        ScenarioError: For an unknown or ambiguous key (with the closest keys),
            an invalid value, or a missing scenario file.

    Attributes:
        config: The trustsim scenario of the run, seed included. (``scenario``
            is Mesa's own: a :class:`mesa.experimental.scenarios.Scenario` holding
            the same seed as ``rng``.)
        streams: Per-mechanism random streams.
        datacollector: The weekly metrics (a :class:`~sim.recorder.WeeklyRecorder`,
            which is a :class:`mesa.DataCollector`).
        tally: This week's counts (level, reached, crossed, ...), which the data
            collector records.
        population: Consumer arrays (after :meth:`setup`).
        adjacency: Symmetric CSR adjacency (after :meth:`setup`).
        market: The fitted market (after :meth:`setup`).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng: Any = None,
        network: Any = None,
        model_reporters: dict[str, Any] | None = None,
        agent_reporters: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.config = resolve_config(scenario, rng, params)
        super().__init__(rng=self.config.run.seed)
        self.streams = Streams(self.config.run.seed, self.config.run.replicate)
        self._network_in = network
        self.population: Population | None = None
        self.adjacency: sp.csr_array | None = None
        self.market: FittedMarket | None = None
        self.tally: dict[str, Any] = {}
        self.datacollector = WeeklyRecorder(model_reporters, agent_reporters)
        self.datacollector.meta = {"scenario": self.config.name, "seed": self.config.run.seed,
                                   "replicate": self.config.run.replicate}
        self.running = True

    @property
    def week(self) -> int:
        """Weeks simulated so far: Mesa's ``steps`` (read-only)."""
        return self.steps

    @property
    def recorder(self) -> WeeklyRecorder:
        """The weekly metrics: the same object as ``datacollector``."""
        return self.datacollector

    # -- set-up ---------------------------------------------------------------
    def setup(self) -> None:
        """Fit the market, sample the population and build the network (once)."""
        if self.population is not None:
            return
        c = self.config
        n = c.population.size
        check_fits(c)  # refuse a run that cannot fit in memory before allocating any of it
        self.market = fit_market(c.population.market)
        self.population = sample_population(
            self.market,
            n,
            self.streams.get("population"),
            initial_trust=c.population.initial_trust,
            trust_concentration=c.population.trust_concentration,
            social_threshold=c.churn.social_threshold,
            social_threshold_sd=c.churn.social_threshold_sd,
            initial_churned=c.churn.initial_churned,
        )
        self.adjacency = self._build_network()
        self.degree = np.diff(self.adjacency.indptr).astype(np.float32)
        st = c.strategy
        self._intr = np.array([lv.intrusiveness for lv in st.ladder], dtype=np.float32)
        self._rel = np.array([lv.relevance for lv in st.ladder], dtype=np.float32)
        self._gate = st.level_index(st.consent.gate_level, "strategy.consent.gate_level")
        e = st.escalation
        self._adaptive = esc.AdaptiveState(st.level_index(e.level, "strategy.escalation.level"))
        self._initial_customers = int(self.population.customer.sum())
        self._incident_idx = -1
        concern = [self.market.spec.segments[s].concern_offset for s in SEGMENTS]
        seg = self.population.segment
        self._wom_sens = pc.concern_sensitivity(seg, concern, c.wom.concern_weight)
        self._news_sens = pc.concern_sensitivity(seg, concern, c.incidents.concern_weight)
        self._eff: np.ndarray | None = None
        self._cutoffs: dict[int, np.ndarray] = {}
        # who left in which week (recent weeks only): the contagion's input
        self._leavers = {SEED_CHURN_WEEK: np.flatnonzero(~self.population.customer)}
        if self.datacollector.agent_reporters:
            self.agent_views()

    def _build_network(self) -> sp.csr_array:
        n = self.config.population.size
        if self._network_in is not None:
            return netmod.as_adjacency(self._network_in, n)
        nc = self.config.network
        return netmod.build_network(
            nc.kind,
            n,
            self.streams.get("network"),
            mean_degree=nc.mean_degree,
            rewire_p=nc.rewire_p,
            blocks=nc.blocks,
            mixing=nc.mixing,
            path=nc.path,
            backend=nc.backend,
        )

    # -- one week -------------------------------------------------------------
    def brand_level(self, week: int) -> int:
        """The campaign's ladder level in ``week`` (0 is the first week)."""
        st = self.config.strategy
        e = st.escalation
        idx = st.level_index
        if e.mode == "fixed":
            return idx(e.level, "strategy.escalation.level")
        if e.mode == "schedule":
            steps = [(s.week, idx(s.level, "strategy.escalation.schedule")) for s in e.schedule]
            return esc.schedule_level(week, steps, default=0)
        if e.mode == "ramp":
            return esc.ramp_level(
                week,
                idx(e.start, "strategy.escalation.start"),
                idx(e.end, "strategy.escalation.end"),
                e.over_weeks,
            )
        return self._adaptive.level

    def _perception_inputs(
        self, level: int, levels: int | np.ndarray, control: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Effective thresholds and crossing cut-offs for this week's ads.

        The effective thresholds depend only on the thresholds and levers (fixed)
        and on who is in control (fixed after the week-0 consent ask): they are
        computed once. The cut-offs depend on the level too (per-consumer levels
        under specific consent are a function of the level and the fixed
        opt-ins): they are kept for the :data:`CUTOFF_CACHE` most recent levels,
        4 bytes per consumer each.
        """
        c, st = self.config, self.config.strategy
        if self._eff is None:
            self._eff = pc.effective_threshold(
                self.population.threshold, control,
                value_exchange=st.value_exchange, transparency=st.transparency,
                value_shift=c.perception.value_shift,
                transparency_shift=c.perception.transparency_shift,
                control_shift=st.consent.control_shift,
            )
        cut = self._cutoffs.pop(level, None)
        if cut is None:
            cut = pc.crossing_cutoff(self._intr[levels], self._eff, c.perception.noise_sd)
            while len(self._cutoffs) >= CUTOFF_CACHE:
                self._cutoffs.pop(next(iter(self._cutoffs)))  # the least recently used
        self._cutoffs[level] = cut  # (re)inserted last: most recently used
        return self._eff, cut

    def _wrapped_step(self) -> None:
        """Mesa's ``step()``: advance the clock one week, unless the run has ended.

        Mesa replaces ``model.step`` by this method (which advances ``time`` and
        ``steps`` and then calls :meth:`step`); after the last week
        (``running`` is False) it does nothing, so the clock stops at ``run.weeks``.
        """
        if self.running:
            super()._wrapped_step()

    def step(self) -> None:
        """Simulate one week (Mesa has already counted it in ``steps``).

        Does nothing once the run has ended (``running`` is False).
        """
        if not self.running:
            return
        self.setup()
        c = self.config
        p = self.population
        adj = self.adjacency
        n = p.n
        t = self.steps - 1  # the week being simulated, from 0
        st = c.strategy
        S = self.streams

        # 0. escalation and consent
        level = self.brand_level(t)
        if st.consent.design == "specific" and t == 0:
            u = S.uniform("consent", t, n)
            p.opted_in = p.customer & cs.opt_in(
                p.trust, u, rate=st.consent.opt_in_rate, slope=st.consent.opt_in_trust_slope
            )
            self._eff = None  # who is in control has changed
            self._cutoffs.clear()
        if st.consent.design == "specific" and level > self._gate:
            levels = cs.consumer_levels(level, self._gate, st.consent.design, p.opted_in)
        else:
            levels = level  # everyone gets the same level: scalars broadcast
        control = cs.in_control(st.consent.design, p.opted_in, p.reads_terms)

        # 1. exposure and perception
        if c.perception.enabled and st.reach > 0:
            reached = pc.exposed(p.customer, S.bits("exposure", t, n), st.reach)
            eff, cutoff = self._perception_inputs(level, levels, control)
            u = S.uniform("perception", t, n)
            crossed, excess = pc.perceive(self._intr[levels], reached, eff, u,
                                          c.perception.noise_sd, cutoff)
        else:
            reached = np.zeros(n, dtype=bool)
            crossed = reached
            excess = np.zeros(n, dtype=np.float32)
        relevance = self._rel[levels]
        p.crossed += crossed
        n_reached = int(np.count_nonzero(reached))
        n_crossed = int(np.count_nonzero(crossed))

        # 2. trust update from ads
        if c.trust.enabled:
            above_gate = levels > self._gate
            violation = (p.wants_consent & above_gate & ~control) if np.any(above_gate) else False
            p.trust = tr.ad_trust_update(
                p.trust, reached, crossed, excess, relevance, violation,
                value_exchange=st.value_exchange, gain_rate=c.trust.gain_rate,
                asymmetry=c.trust.asymmetry, excess_weight=c.trust.excess_weight,
                consent_penalty=st.consent.penalty, frequency=st.frequency,
            )

        # 3. word of mouth
        complaints = posts = recommendations = 0
        if c.wom.enabled:
            w = c.wom
            # row 0 decides complaints and recommendations: one draw serves both, since
            # complainers (crossed) and recommenders (reached, not crossed) are disjoint;
            # row 1 decides who sees a public post
            u = S.bits("wom", t, n, k=2)
            complain, post, recommend = wom.speakers(
                crossed, reached & ~crossed, u[0], u[0],
                p_tell_negative=w.p_tell_negative, p_post_public=w.p_post_public,
                p_tell_positive=w.p_tell_positive,
            )
            complaints, posts = int(np.count_nonzero(complain)), int(np.count_nonzero(post))
            recommendations = int(np.count_nonzero(recommend))
            u_public = u[1] if posts else None
            p.neg_buzz, p.pos_buzz = wom.buzz(
                adj, complain, recommend, posts, u_public, p.neg_buzz, p.pos_buzz,
                public_reach=w.public_reach, public_attention=w.public_attention,
                negative_decay=w.negative_decay, positive_decay=w.positive_decay,
            )
            p.trust = wom.wom_trust_update(
                p.trust, p.neg_buzz, p.pos_buzz, self._wom_sens,
                negative_effect=w.negative_effect, positive_effect=w.positive_effect,
            )

        # 4. incidents
        intention = self._incidents_step(t, n)

        # 5. churn
        churned_now = self._churn_step(t, n, crossed, intention)

        # 6. purchases and revenue
        purchases = 0
        revenue = 0.0
        if c.purchase.enabled:
            pr = c.purchase
            prob = pu.purchase_probability(
                p.trust, reached, crossed, relevance,
                value_exchange=st.value_exchange, transparency=st.transparency,
                base_rate=pr.base_rate, trust_floor=pr.trust_floor,
                relevance_lift=pr.relevance_lift, reactance=pr.reactance,
                transparency_lift=pr.transparency_lift,
                transparency_penalty=pr.transparency_penalty,
            )
            bought = p.customer & (S.uniform("purchase", t, n) < prob)
            p.purchases += bought
            purchases = int(np.count_nonzero(bought))
            revenue = purchases * pr.basket_value

        # 7. record, then let the adaptive policy react
        customers = int(np.count_nonzero(p.customer))
        self.tally = {
            "week": t, "level": level, "reached": n_reached, "crossed": n_crossed,
            "complaints": complaints, "posts": posts, "recommendations": recommendations,
            "churned": churned_now, "purchases": purchases, "revenue": revenue,
        }
        self.datacollector.collect(self)
        if st.escalation.mode == "adaptive":
            e = st.escalation
            rate = 1000.0 * complaints / max(customers, 1)
            self._adaptive = esc.adaptive_next(
                self._adaptive, rate,
                max_level=st.level_index(e.max_level, "strategy.escalation.max_level"),
                complaint_limit=e.complaint_limit, step_every=e.step_every, cooldown=e.cooldown,
            )
        if t + 1 >= c.run.weeks:
            self.running = False

    def _incidents_step(self, t: int, n: int) -> np.ndarray | None:
        """News of incidents; returns the exit intention it creates this week (None: none)."""
        c = self.config
        p = self.population
        ic = c.incidents
        if not ic.enabled or not ic.events:
            return None
        starting = [i for i, e in enumerate(ic.events) if e.week == t]
        if starting:
            self._incident_idx = starting[-1]
            p.aware_week[:] = -1
        if self._incident_idx < 0:
            return None
        ev = ic.events[self._incident_idx]
        if starting:
            u = self.streams.uniform("incidents", t, n)
            new = inc.media_news(p.aware_week, u, ev.media_reach)
        else:
            sharers = p.aware_week == t - 1
            q = inc.share_probability(ev.severity, t - ev.week - 1, share_prob=ic.share_prob,
                                      news_half_life=ic.news_half_life)
            if q <= 0 or not sharers.any():
                return None  # no one can learn of it: skip the draws (keyed by week)
            u = self.streams.uniform("incidents", t, n)
            new = inc.network_news(self.adjacency, sharers, p.aware_week, u, q)
        if not new.any():
            return None
        p.aware_week[new] = t
        p.trust = inc.incident_trust_loss(
            p.trust, new, severity=ev.severity, responsible=ev.responsible,
            transparency=c.strategy.transparency, impact=ic.impact,
            responsible_factor=ic.responsible_factor,
            transparency_mitigation=ic.transparency_mitigation, sensitivity=self._news_sens,
        )
        return inc.exit_intention(new, p.would_stop, severity=ev.severity,
                                  responsible=ev.responsible)

    def _churn_step(
        self, t: int, n: int, crossed: np.ndarray, intention: np.ndarray | None
    ) -> int:
        """Apply churn and record each leaver's cause; returns the number who left this week."""
        cc = self.config.churn
        p = self.population
        if not cc.enabled:
            return 0
        stated = np.multiply(crossed, np.float32(cc.crossing_exit_stated), dtype=np.float32)
        if intention is not None:
            stated += intention
        direct = ch.stated_to_actual(stated, cc.exit_conversion)
        np.clip(direct, 0.0, 1.0, out=direct)
        u = self.streams.uniform("churn", t, n)
        if cc.rule == "hazard":
            if cc.contagion:
                expo = ch.social_exposure(self.adjacency, self._leavers, t,
                                          window=cc.contagion_window, decay=cc.contagion_decay)
                ratio = cc.contagion_ratio
            else:
                expo, ratio = np.zeros(n, dtype=np.float32), 1.0
            h = ch.hazard(p.trust, expo, base_hazard=cc.base_hazard,
                          trust_sensitivity=cc.trust_sensitivity, contagion_ratio=ratio)
            leave = p.customer & (u < ch.exit_probability(h, direct))
        else:
            social = ch.threshold_rule(self.adjacency, ~p.customer, self.degree,
                                       p.social_threshold) if cc.contagion else False
            leave = p.customer & (social | (u < direct))
            h = None
        idx = np.flatnonzero(leave)
        p.customer[idx] = False
        p.churn_week[idx] = t
        if idx.size:
            # competing risks among this week's causes, drawn from a stream of its own
            # so that every other draw (and who leaves) is as without the causes
            cross = crossed[idx] * np.float32(cc.crossing_exit_stated)
            told = stated[idx] - cross  # the incident's part
            if h is not None:
                alone = {"base_hazard": cc.base_hazard, "trust_sensitivity": cc.trust_sensitivity}
                now = ch.hazard(p.trust[idx], **alone)  # as if no friend had left
                lost, bg = ch.split_background(now, ch.hazard(p.initial_trust[idx], **alone))
                extra = h[idx] - now
            else:
                bg = lost = extra = np.zeros(idx.size)
            weights = ch.cause_weights(bg, lost, extra, direct[idx], cross, told)
            uc = self.streams.uniform("churn_cause", t, n)[idx]
            cause = ch.draw_cause(weights, uc)
            if h is None and cc.contagion:  # at the Watts threshold: certain, so contagion
                cause[social[idx]] = ch.CONTAGION
            p.churn_cause[idx] = cause
        self._leavers[t] = idx
        for old in [w for w in self._leavers if w < t - cc.contagion_window]:
            del self._leavers[old]
        return int(idx.size)

    # -- inspection -------------------------------------------------------------
    def agent_views(self) -> mesa.AgentSet:
        """Create (once) and return thin Mesa agents over the consumer rows.

        Returns:
            The model's agent set, one :class:`ConsumerAgent` per consumer.

        Raises:
            ValueError: For populations above :data:`AGENT_VIEW_LIMIT`, where
                per-consumer Python objects would cost more than the model.
        """
        self.setup()
        if len(self.agents) == 0:
            n = self.population.n
            if n > AGENT_VIEW_LIMIT:
                raise ValueError(
                    f"agent views are for populations up to {AGENT_VIEW_LIMIT:,}; this one has "
                    f"{n:,}. Use model.population (arrays) or RunResult.consumers instead."
                )
            for i in range(n):
                ConsumerAgent(self, i)
        return self.agents
