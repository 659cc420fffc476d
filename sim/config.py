"""The typed, frozen scenario: every parameter of a run, validated once.

A :class:`Scenario` is built from a TOML file (plus ``--set key=value``
overrides) by :func:`sim.scenario_io.load_scenario`, or directly from a dict
with :meth:`Scenario.from_dict`. Unknown keys, wrong types and out-of-range
values are rejected with a :class:`~sim.errors.ScenarioError` that names the
file, the dotted key path and what is allowed.

Every mechanism section has an ``enabled`` switch so that a single mechanism
can be studied alone. ``docs/model.md`` gives the meaning, unit and source of
every default below.

Every way of building a :class:`Scenario` (``Scenario(...)``,
``Scenario.model_validate``, :meth:`Scenario.from_dict`, a TOML file, a sweep
point, ``--set``) runs every check: types and ranges, cross-checks, ladder
level names, and the market preset and edge-list files. Relative file
references are read against the validation context's ``base`` folder
(``Scenario.model_validate(data, context={"base": folder})``), else against
the current folder.

Size: over 500 lines because this is the schema itself: one class per
scenario section, each default documented where it is declared (the key
reference ``docs/scenario_keys.md`` is generated from these classes).
Helpers live elsewhere: :mod:`sim.schema_errors` (error wording),
:mod:`sim.schema_walk` (key paths), :mod:`sim.hints` (suggestions).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.errors import InputWarning, Problem, ScenarioError
from sim.hints import did_you_mean
from sim.markets import fit_market
from sim.network import check_parameters
from sim.network.kinds import DEFAULTS, Backend, NetworkKind
from sim.schema_errors import pydantic_problems

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
LevelRef = str | Annotated[int, Field(ge=0, le=1_000)]
MAX_WEEKS = 5_200
"""Longest run, in weeks (100 years); every week-valued key is bounded by it."""
MAX_SIZE = 20_000_000
"""Largest population; counts of consumers are bounded by it."""
Week = Annotated[int, Field(ge=0, le=MAX_WEEKS)]


def _resolve(path: str, info: ValidationInfo) -> str:
    """``path`` made absolute against the validation context's ``base`` folder, if given.

    ``Scenario.model_validate(data, context={"base": folder})`` reads relative
    file references as relative to ``folder``; without a base they stay
    relative to the current folder.
    """
    base = (info.context or {}).get("base")
    if base is None or Path(path).is_absolute():
        return path
    return str((Path(base) / path).resolve())


def _is_market_path(ref: str) -> bool:
    """Whether ``population.market`` names a file (else a built-in preset)."""
    return ref.endswith(".toml") or "/" in ref


class _Section(BaseModel):
    """Base of every scenario section: frozen, strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class PopulationConfig(_Section):
    """Who the consumers are.

    Attributes:
        size: Number of consumers.
        market: Market preset: a name in ``scenarios/markets/`` or a path to a TOML file.
        initial_trust: Mean initial trust in the brand (pragmatist segment, before offsets).
        trust_concentration: Beta concentration (a + b) of initial trust; larger is less spread.
    """

    size: int = Field(10_000, ge=1, le=MAX_SIZE)
    market: str = "denmark_dsi2020"
    initial_trust: float = Field(0.6, gt=0.0, lt=1.0)
    trust_concentration: float = Field(20.0, ge=0.01, le=10_000.0)

    @field_validator("market")
    @classmethod
    def _market_file(cls, market: str, info: ValidationInfo) -> str:
        return _resolve(market, info) if _is_market_path(market) else market


class NetworkConfig(_Section):
    """The social network word of mouth, news and churn travel on.

    Attributes:
        kind: Graph family, or ``edgelist`` to load ``path``, or ``none``.
        mean_degree: Mean number of friends.
        rewire_p: Watts–Strogatz rewiring probability.
        blocks: Number of communities (``sbm``).
        mixing: Share of a consumer's ties outside their community (``sbm``).
        path: Edge-list file (``edgelist``), relative to the scenario file.
        backend: ``numpy`` (vectorised, any size) or ``networkx`` (small graphs).
    """

    kind: NetworkKind = DEFAULTS.kind  # type: ignore[assignment]
    mean_degree: float = Field(DEFAULTS.mean_degree, gt=0.0, le=10_000.0)
    rewire_p: Unit = DEFAULTS.rewire_p
    blocks: int = Field(DEFAULTS.blocks, ge=1, le=100_000)
    mixing: Unit = DEFAULTS.mixing
    path: str | None = None
    backend: Backend = DEFAULTS.backend  # type: ignore[assignment]

    @field_validator("path")
    @classmethod
    def _edge_list_file(cls, path: str | None, info: ValidationInfo) -> str | None:
        return None if path is None else _resolve(path, info)

    @model_validator(mode="after")
    def _edgelist_needs_path(self) -> NetworkConfig:
        if self.kind == "edgelist" and not self.path:
            raise ValueError("network.kind = 'edgelist' needs network.path (an edge-list file)")
        return self


class Level(_Section):
    """One rung of the personalisation ladder.

    Attributes:
        name: Level name (``generic``, ``interest``, ...).
        intrusiveness: How private the data behind the ad feels, in [0, 1].
        relevance: How useful the ad is to the consumer, in [0, 1].
    """

    name: str = Field(min_length=1)
    intrusiveness: Unit
    relevance: Unit


DEFAULT_LADDER = [
    Level(name="generic", intrusiveness=0.0, relevance=0.2),
    Level(name="demographic", intrusiveness=0.2, relevance=0.35),
    Level(name="interest", intrusiveness=0.4, relevance=0.55),
    Level(name="behavioural", intrusiveness=0.65, relevance=0.75),
    Level(name="personal", intrusiveness=0.95, relevance=0.9),
]


class ScheduleStep(_Section):
    """From ``week`` on, use ``level``.

    Attributes:
        week: First week of the step.
        level: Ladder level (name or index) from that week on.
    """

    week: Week
    level: LevelRef


class EscalationConfig(_Section):
    """Which ladder level the brand uses each week.

    Attributes:
        mode: ``fixed``, ``schedule``, ``ramp`` or ``adaptive``.
        level: The level (name or index) for ``fixed``; the start for ``adaptive``.
        schedule: Steps for ``schedule``: from each step's week on, its level.
        start: First level of a ``ramp``.
        end: Last level of a ``ramp``.
        over_weeks: Weeks a ``ramp`` takes from ``start`` to ``end``.
        max_level: Highest level ``adaptive`` may reach.
        complaint_limit: ``adaptive`` backs off one level when weekly complaints per
            1,000 customers exceed this.
        step_every: ``adaptive`` escalates one level after this many calm weeks.
        cooldown: Weeks ``adaptive`` holds after backing off.
    """

    mode: Literal["fixed", "schedule", "ramp", "adaptive"] = "fixed"
    level: LevelRef = "interest"
    schedule: list[ScheduleStep] = []
    start: LevelRef = "generic"
    end: LevelRef = "personal"
    over_weeks: int = Field(52, ge=1, le=MAX_WEEKS)
    max_level: LevelRef = "personal"
    complaint_limit: float = Field(5.0, ge=0.0, le=1_000.0)
    step_every: int = Field(4, ge=1, le=MAX_WEEKS)
    cooldown: int = Field(8, ge=0, le=MAX_WEEKS)

    @model_validator(mode="after")
    def _schedule_nonempty(self) -> EscalationConfig:
        if self.mode == "schedule" and not self.schedule:
            raise ValueError("escalation.mode = 'schedule' needs at least one schedule step")
        return self


class ConsentConfig(_Section):
    """How the brand asks for consent.

    Attributes:
        design: ``none``, ``blanket`` (terms and conditions) or ``specific`` (opt-in).
        gate_level: Levels above this one need consent.
        opt_in_rate: Probability that a customer of trust 0.5 opts in when asked.
        opt_in_trust_slope: Change of that probability per unit of trust.
        control_shift: Rise of the effective threshold for consumers in control
            (specific opt-in, or blanket terms actually read); Tucker 2014.
        penalty: Extra trust loss, in units of the base loss, for consent-valuing
            consumers personalised above the gate without specific consent.
    """

    design: Literal["none", "blanket", "specific"] = "blanket"
    gate_level: LevelRef = "interest"
    opt_in_rate: Unit = 0.5
    opt_in_trust_slope: float = Field(1.0, ge=0.0, le=10.0)
    control_shift: Unit = 0.1
    penalty: float = Field(0.5, ge=0.0, le=100.0)


class StrategyConfig(_Section):
    """The brand's levers.

    Attributes:
        ladder: Personalisation levels, in increasing intrusiveness.
        escalation: Which level is used each week.
        reach: Probability that a customer is reached by the campaign in a week.
        frequency: Ads a reached customer sees in that week.
        value_exchange: Real benefit a relevant ad brings, in [0, 1].
        transparency: "Why am I seeing this?" and clear data communication, in [0, 1].
        consent: Consent design.
    """

    ladder: list[Level] = DEFAULT_LADDER
    escalation: EscalationConfig = EscalationConfig()
    reach: Unit = 0.5
    frequency: int = Field(1, ge=1, le=100)
    value_exchange: Unit = 0.5
    transparency: Unit = 0.0
    consent: ConsentConfig = ConsentConfig()

    @model_validator(mode="after")
    def _ladder_ok(self) -> StrategyConfig:
        if not self.ladder:
            raise ValueError("strategy.ladder needs at least one level")
        names = [lv.name for lv in self.ladder]
        if len(set(names)) != len(names):
            raise ValueError(f"strategy.ladder level names must be unique, got {names}")
        xs = [lv.intrusiveness for lv in self.ladder]
        if any(b < a for a, b in itertools.pairwise(xs)):
            raise ValueError("strategy.ladder levels must be in non-decreasing intrusiveness")
        return self

    def level_index(self, ref: str | int, key: str) -> int:
        """Resolve a level name or index against the ladder.

        Args:
            ref: Level name or 0-based index.
            key: Key path used in the error message.

        Returns:
            The 0-based ladder index.

        Raises:
            ScenarioError: If the level is not on the ladder.
        """
        names = [lv.name for lv in self.ladder]
        if isinstance(ref, int):
            if 0 <= ref < len(names):
                return ref
        elif ref in names:
            return names.index(ref)
        raise ScenarioError.one(
            key, f"unknown ladder level; allowed: {names} or an index 0..{len(names) - 1}", ref
        )


class PerceptionConfig(_Section):
    """Exposure and perception of ads (mechanism 1).

    Attributes:
        enabled: Switch ads off entirely when false.
        noise_sd: Standard deviation of perceived intrusiveness around the level's.
        value_shift: Rise of the effective threshold per unit of value exchange.
        transparency_shift: Rise of the effective threshold per unit of transparency.
    """

    enabled: bool = True
    noise_sd: float = Field(0.05, ge=0.0, le=1.0)
    value_shift: float = Field(0.1, ge=0.0, le=1.0)
    transparency_shift: float = Field(0.05, ge=0.0, le=1.0)


class TrustConfig(_Section):
    """Asymmetric trust update from ads (mechanism 2).

    Attributes:
        enabled: Freeze trust against ads when false.
        gain_rate: Share of the gap to full trust closed by one fully relevant,
            fully valuable acceptable ad.
        asymmetry: Loss-to-gain ratio of a boundary-crossing ad (2.25: loss aversion).
        excess_weight: Extra loss per unit by which perceived intrusiveness exceeds
            the threshold.
    """

    enabled: bool = True
    gain_rate: float = Field(0.02, ge=0.0, le=1.0)
    asymmetry: float = Field(2.25, ge=1.0, le=10.0)
    excess_weight: float = Field(1.0, ge=0.0, le=20.0)


class WomConfig(_Section):
    """Word of mouth over the network (mechanism 3).

    Attributes:
        enabled: No word of mouth when false.
        p_tell_negative: Probability a crossed consumer tells friends (InMoment: 1 in 5).
        p_post_public: Probability a crossed consumer posts publicly (1 in 10).
        p_tell_positive: Probability a satisfied, reached consumer recommends.
        public_reach: Views one public post gets, among the consumers who attend.
        public_attention: Most consumers a week's public posts can reach, as a share
            (attention is finite: seeing several posts counts as seeing one).
        concern_weight: How far a hearer's privacy concern scales the trust lost to
            negative buzz: a multiplier exp(weight * concern offset of their segment),
            0 for every hearer alike.
        negative_effect: Trust loss rate per unit of negative buzz.
        positive_effect: Trust gain rate per unit of positive buzz.
        negative_decay: Weekly persistence of negative buzz (lasts longer).
        positive_decay: Weekly persistence of positive buzz.
    """

    enabled: bool = True
    p_tell_negative: Unit = 0.2
    p_post_public: Unit = 0.1
    p_tell_positive: Unit = 0.02
    public_reach: float = Field(50.0, ge=0.0, le=MAX_SIZE)
    public_attention: Unit = 0.1
    concern_weight: float = Field(1.0, ge=0.0, le=5.0)
    negative_effect: float = Field(0.005, ge=0.0, le=10.0)
    positive_effect: float = Field(0.005, ge=0.0, le=10.0)
    negative_decay: float = Field(0.8, ge=0.0, lt=1.0)
    positive_decay: float = Field(0.5, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _nested(self) -> WomConfig:
        if self.p_post_public > self.p_tell_negative:
            raise ValueError(
                "wom.p_post_public must not exceed wom.p_tell_negative "
                "(public posters are among those who complain)"
            )
        return self


class Incident(_Section):
    """A data incident.

    Attributes:
        week: Week it becomes public.
        severity: How bad it is, in (0, 1].
        responsible: Whether the brand handled it responsibly.
        media_reach: Share of consumers who learn of it from the media that week.
    """

    week: Week
    severity: float = Field(gt=0.0, le=1.0)
    responsible: bool = False
    media_reach: Unit = 0.3


class IncidentsConfig(_Section):
    """Data incidents and their news (mechanism 4).

    Attributes:
        enabled: Ignore incidents when false.
        events: The incidents.
        share_prob: Probability that a newly aware consumer tells each friend, for a
            severity-1 incident in the week after it became public; it scales with the
            severity and halves every news_half_life weeks.
        news_half_life: Weeks over which the chance of passing the news on halves.
        concern_weight: How far a hearer's privacy concern scales the trust lost on
            learning of an incident: a multiplier exp(weight * concern offset of their
            segment), 0 for every hearer alike.
        impact: Trust loss share of a severity-1 incident, irresponsibly handled.
        responsible_factor: Multiplier of the loss when handled responsibly.
        transparency_mitigation: Share of the loss removed at full transparency.
    """

    enabled: bool = True
    events: list[Incident] = []
    share_prob: Unit = 0.2
    news_half_life: float = Field(2.0, gt=0.0, le=1_000.0)
    concern_weight: float = Field(1.0, ge=0.0, le=5.0)
    impact: Unit = 0.3
    responsible_factor: Unit = 0.4
    transparency_mitigation: Unit = 0.5


class ChurnConfig(_Section):
    """Churn: a hazard with social contagion, or the Watts threshold rule (mechanism 5).

    Attributes:
        enabled: No one leaves when false.
        rule: ``hazard`` or ``threshold``.
        base_hazard: Weekly hazard of a customer at full trust with no churned friends.
        trust_sensitivity: Log-hazard increase per unit of trust lost.
        contagion: Whether churned neighbours raise the hazard.
        contagion_ratio: Hazard ratio per recently churned neighbour (Nitzan & Libai 2011).
        contagion_window: Weeks a churn counts as recent (Haenlein 2013).
        contagion_decay: Weight multiplier per week of a churn's age.
        social_threshold: Watts rule: churned-neighbour share that makes one leave.
        social_threshold_sd: Spread of personal social thresholds.
        initial_churned: Consumers who have left at the start (cascade seeds).
        exit_conversion: Stated-to-actual conversion of exit intentions.
        crossing_exit_stated: Share who say they would stop buying after a bad,
            boundary-crossing experience (InMoment: 1 in 4).
    """

    enabled: bool = True
    rule: Literal["hazard", "threshold"] = "hazard"
    base_hazard: float = Field(0.001, ge=0.0, le=1.0)
    trust_sensitivity: float = Field(2.0, ge=0.0, le=20.0)
    contagion: bool = True
    contagion_ratio: float = Field(1.8, ge=1.0, le=100.0)
    contagion_window: int = Field(5, ge=1, le=520)
    contagion_decay: float = Field(0.7, gt=0.0, le=1.0)
    social_threshold: Unit = 0.18
    social_threshold_sd: float = Field(0.0, ge=0.0, le=1.0)
    initial_churned: int = Field(0, ge=0, le=MAX_SIZE)
    exit_conversion: Unit = 0.06
    crossing_exit_stated: Unit = 0.25


class PurchaseConfig(_Section):
    """Purchases and revenue (mechanism 7).

    Attributes:
        enabled: No purchases when false.
        base_rate: Weekly purchase probability of a fully trusting, unreached customer.
        trust_floor: Share of the base rate kept at zero trust.
        relevance_lift: Relative lift of a fully relevant acceptable ad at value exchange 0.5.
        reactance: Relative drop after a boundary-crossing ad (White et al. 2008).
        transparency_lift: Lift of acceptable ads at full transparency (Kim et al. 2019: 11%).
        transparency_penalty: Drop of crossing ads at full transparency (Kim et al.: 17%).
        basket_value: Revenue per purchase.
    """

    enabled: bool = True
    base_rate: Unit = 0.1
    trust_floor: Unit = 0.2
    relevance_lift: float = Field(0.6, ge=0.0, le=10.0)
    reactance: Unit = 0.3
    transparency_lift: float = Field(0.11, ge=0.0, le=10.0)
    transparency_penalty: Unit = 0.17
    basket_value: float = Field(50.0, ge=0.0, le=1e9)


class RunConfig(_Section):
    """How long and with which randomness.

    Attributes:
        weeks: Number of weekly steps.
        seed: Root seed of every random stream (always explicit, recorded).
        replicate: Replicate number; with ``seed`` it selects the random streams.
    """

    weeks: int = Field(52, ge=1, le=MAX_WEEKS)
    seed: int = Field(20_201, ge=0, le=2**63 - 1)
    replicate: int = Field(0, ge=0, le=2**31 - 1)


class Scenario(_Section):
    """A whole scenario: everything needed to reproduce a run exactly.

    Attributes:
        name: Short name (used for result folders).
        description: What question the scenario answers.
    """

    name: str = "scenario"
    description: str = ""
    population: PopulationConfig = PopulationConfig()
    network: NetworkConfig = NetworkConfig()
    strategy: StrategyConfig = StrategyConfig()
    perception: PerceptionConfig = PerceptionConfig()
    trust: TrustConfig = TrustConfig()
    wom: WomConfig = WomConfig()
    incidents: IncidentsConfig = IncidentsConfig()
    churn: ChurnConfig = ChurnConfig()
    purchase: PurchaseConfig = PurchaseConfig()
    run: RunConfig = RunConfig()

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        n = self.population.size
        if self.churn.initial_churned > n:
            raise ValueError(
                f"churn.initial_churned must be at most population.size ({n}), "
                f"got {self.churn.initial_churned}"
            )
        if self.network.kind not in ("none", "edgelist") and self.network.mean_degree >= n:
            raise ValueError(
                f"network.mean_degree must be below population.size ({n}), "
                f"got {self.network.mean_degree}"
            )
        return self

    def _warn_late_incidents(self, file: str | None) -> None:
        """Warn (:class:`~sim.errors.InputWarning`) about incidents that never happen."""
        weeks = self.run.weeks
        for i, ev in enumerate(self.incidents.events):
            if self.incidents.enabled and ev.week >= weeks:
                warnings.warn(
                    f"{file + ': ' if file else ''}"
                    f"incidents.events[{i}].week: week {ev.week} is after the last week "
                    f"of the run ({weeks - 1}, weeks count from 0), so this incident "
                    "never happens",
                    InputWarning, stacklevel=2,
                )

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Scenario:
        """Ladder level names, the market preset, the edge-list file and the network."""
        file = (info.context or {}).get("file")
        problems = self._level_problems(file) + self._file_problems(file)
        if problems:
            raise ScenarioError(problems)
        self._warn_late_incidents(file)
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any], file: str | None = None, *,
                  base: str | Path | None = None) -> Scenario:
        """Validate a plain dict (as read from TOML) into a Scenario.

        Every check runs here as in any other way of building a scenario
        (``Scenario(...)``, ``Scenario.model_validate``); this method only turns
        pydantic's errors into one :class:`~sim.errors.ScenarioError`.

        Args:
            data: Nested dict of sections.
            file: File the data came from, for error messages.
            base: Folder that relative market and edge-list paths are relative
                to (default: the current folder).

        Returns:
            The frozen scenario.

        Raises:
            ScenarioError: Listing every problem with its key path.
        """
        context = {"file": file, "base": None if base is None else str(base)}
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            problems = [p for err in exc.errors() for p in pydantic_problems(err, file, cls)]
            pop = data.get("population")
            market = pop.get("market") if isinstance(pop, Mapping) else None
            if isinstance(market, str) and all(p.key != "population.market" for p in problems):
                if base is not None and _is_market_path(market):
                    market = str(Path(base) / market)
                problems += _market_problems(market, file)  # one error lists them all
            raise ScenarioError(problems) from None

    def check_files(self, file: str | None = None) -> None:
        """Check the market preset, the edge-list file and that the network can be built.

        Validation runs this already; it is here for callers that want the
        check again (a file may have gone since).

        Args:
            file: Scenario file for error messages.

        Raises:
            ScenarioError: Naming the key and the missing or invalid file.
        """
        problems = self._file_problems(file)
        if problems:
            raise ScenarioError(problems)

    def _file_problems(self, file: str | None) -> list[Problem]:
        problems = _market_problems(self.population.market, file)
        nc = self.network
        if nc.kind == "edgelist" and nc.path and not Path(nc.path).is_file():
            problems.append(Problem("network.path", "edge-list file not found", nc.path, file))
        try:
            check_parameters(nc.kind, self.population.size, mean_degree=nc.mean_degree,
                             blocks=nc.blocks, mixing=nc.mixing)
        except ScenarioError as err:
            problems += [Problem(p.key, p.message, p.value, file) for p in err.problems]
        return problems

    def check_levels(self, file: str | None = None) -> None:
        """Check that every level reference names a rung of the ladder.

        Validation runs this already.

        Args:
            file: File for error messages.

        Raises:
            ScenarioError: Listing every unknown level.
        """
        problems = self._level_problems(file)
        if problems:
            raise ScenarioError(problems)

    def _level_problems(self, file: str | None) -> list[Problem]:
        st = self.strategy
        esc = st.escalation
        refs = [
            ("strategy.escalation.level", esc.level),
            ("strategy.escalation.start", esc.start),
            ("strategy.escalation.end", esc.end),
            ("strategy.escalation.max_level", esc.max_level),
            ("strategy.consent.gate_level", st.consent.gate_level),
        ] + [
            (f"strategy.escalation.schedule.{i}.level", s.level)
            for i, s in enumerate(esc.schedule)
        ]
        problems = []
        for key, ref in refs:
            try:
                st.level_index(ref, key)
            except ScenarioError as err:
                problems += [Problem(p.key, p.message, p.value, file) for p in err.problems]
        return problems

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario as plain data (TOML-serialisable, no ``None``)."""
        return _drop_none(self.model_dump(mode="json"))

    def get(self, key: str) -> Any:
        """The value at a dotted key path, as in overrides and sweep factors.

        Args:
            key: Dotted path such as ``"strategy.reach"``; numeric parts index
                into lists (``"incidents.events.0.week"``).

        Returns:
            The value as plain data (a table comes back as a dict).

        Raises:
            KeyError: For a path the scenario does not have, with the closest
                key paths it does have.

        Example:
            >>> Scenario().get("churn.contagion_ratio")
            1.8
        """
        data = self.to_dict()
        found, value = lookup(data, key)
        if not found:
            more = did_you_mean(key, leaf_paths(data), n=3, prefix="; ")
            raise KeyError(f"the scenario has no key {key!r}{more}")
        return value


def leaf_paths(node: Any, prefix: str = "") -> list[str]:
    """Every dotted key path to a single value in nested tables and lists of tables.

    Args:
        node: Plain data, as from :meth:`Scenario.to_dict`.
        prefix: Path of ``node`` itself followed by a dot ("" at the top).

    Returns:
        The paths, in the data's order.
    """
    if isinstance(node, Mapping):
        return [p for k, val in node.items() for p in leaf_paths(val, f"{prefix}{k}.")]
    if isinstance(node, list) and node and all(isinstance(x, Mapping) for x in node):
        return [p for i, val in enumerate(node) for p in leaf_paths(val, f"{prefix}{i}.")]
    return [prefix[:-1]]


def lookup(node: Any, key: str) -> tuple[bool, Any]:
    """Follow a dotted key path through nested tables and lists.

    Args:
        node: Plain data.
        key: Dotted path; numeric parts index into lists.

    Returns:
        ``(True, value)`` if the path exists, else ``(False, None)``.
    """
    for part in key.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def _market_problems(market: str, file: str | None) -> list[Problem]:
    """Problems of a market preset (unknown, missing or invalid file), else none."""
    try:
        fit_market(market)
    except ScenarioError as err:
        return [Problem(p.key, p.message, p.value, p.file or file) for p in err.problems]
    return []


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj
