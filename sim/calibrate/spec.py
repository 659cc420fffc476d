"""Calibration specs: what to fit, to which data, how, and with what budget.

A spec file (TOML) reads::

    name = "example_brand"
    scenario = "brand_history.toml"   # the brand's history; relative to this file
    seed = 20261130                    # common random numbers: every candidate, same seeds
    population = 5000                  # simulated consumers per evaluation
    replicates = 2                     # runs per evaluation, averaged
    method = "optuna"                  # or "abc"

    [parameters]                       # dotted scenario keys and their priors
    "trust.gain_rate" = { low = 0.005, high = 0.08, log = true }
    "churn.base_hazard" = { low = 0.0005, high = 0.01, log = true, mean = 0.002, sd = 0.5 }

    [observed]
    customers_at_start = 250000        # optional: else customers + churned of week 0

    [observed.series.churned]          # optional: default every series in the data
    likelihood = "binomial"
    [observed.series.complaints]
    likelihood = "negbin"
    dispersion = 20

    [[targets]]                        # stylised facts, as penalties
    kind = "abnormal_churn"
    incident = 0
    low = 0.02
    high = 0.07

    [optuna]
    sampler = "tpe"                    # or "cmaes"
    trials = 200

    [abc]
    population_size = 200
    max_generations = 8

Everything is checked before any simulation: the schema, the scenario (with
its own errors), that each fitted key exists in it and is a number, and
that both ends of each prior range are values the scenario accepts.
Problems come as one :class:`~sim.errors.ScenarioError` naming the spec
file and the key.

Layer: calibration spec (over the scenario reader, data and priors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.calibrate.data import SERIES, Observed, read_observed
from sim.calibrate.priors import Prior, priors_from_table
from sim.config import Scenario, leaf_paths
from sim.errors import Problem, ScenarioError
from sim.files import read_toml
from sim.hints import did_you_mean, hint_or_allowed
from sim.paths import builtin_file
from sim.scenario_io import load_scenario, normalise_overrides, scenario_from_dict, set_path
from sim.schema_errors import pydantic_problems

METHODS = ("optuna", "abc")
LIKELIHOODS = {
    "churned": ("binomial", "normal"),
    "customers": ("binomial", "normal"),
    "complaints": ("poisson", "negbin", "normal"),
    "purchases": ("poisson", "negbin", "normal"),
    "revenue": ("lognormal", "normal"),
}
"""Allowed likelihoods per observed series; the first is the default."""

TARGETS = ("abnormal_churn", "annual_churn")
FIXED_KEYS = ("population.size", "run.seed", "run.replicate", "run.weeks")
"""Scenario keys a calibration may not fit (they set the experiment, not the brand)."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeriesTable(_Table):
    """How one observed series enters.

    Attributes:
        likelihood: ``binomial`` (churn: losses out of the customers at risk),
            ``poisson`` or ``negbin`` (complaints, purchases), ``lognormal``
            (revenue: normal on the log), or ``normal`` (on the rate per
            customer at the start, with ``sigma`` as a share of the series' mean).
        weight: Multiplier of the series' log-likelihood (and its share of the
            ABC distance).
        dispersion: ``negbin`` size k (variance mu + mu^2 / k).
        sigma: ``lognormal``: sd of log values; ``normal``: sd as a share of the
            observed series' mean.
    """

    likelihood: str | None = None
    weight: float = Field(1.0, ge=0, le=1e6, allow_inf_nan=False)
    dispersion: float = Field(20.0, gt=0, le=1e9, allow_inf_nan=False)
    sigma: float = Field(0.1, gt=0, le=100, allow_inf_nan=False)


class ObservedTable(_Table):
    """The data's scale and which series enter."""

    customers_at_start: float | None = Field(None, gt=0, allow_inf_nan=False)
    series: dict[str, SeriesTable] | None = None


class TargetTable(_Table):
    """A stylised fact the fitted model should reproduce (a band of a simulated share).

    Attributes:
        kind: ``abnormal_churn`` (customers lost because of incident
            ``incident`` by the end of the run, as a share of those just before
            it: a paired run without it) or ``annual_churn`` (weekly churn before
            the first incident, annualised: ``1 - (1 - h)^52``).
        low: Lower end of the band.
        high: Upper end.
        sd: Softness outside the band (default a quarter of its width).
        incident: Index in ``incidents.events`` (``abnormal_churn``).
    """

    kind: Literal["abnormal_churn", "annual_churn"]
    low: float = Field(ge=0, le=1, allow_inf_nan=False)
    high: float = Field(ge=0, le=1, allow_inf_nan=False)
    sd: float | None = Field(None, gt=0, allow_inf_nan=False)
    incident: int = Field(0, ge=0)


class OptunaTable(_Table):
    """Optuna settings.

    Attributes:
        sampler: ``tpe`` or ``cmaes``.
        trials: Finished trials in all (a resumed search counts earlier ones).
        near_best: Share of the finished trials kept as the near-best set
            (the best ones, at least 10, equally weighted).
    """

    sampler: Literal["tpe", "cmaes"] = "tpe"
    trials: int = Field(200, ge=1, le=1_000_000)
    near_best: float = Field(0.1, gt=0, le=1, allow_inf_nan=False)


class AbcTable(_Table):
    """ABC-SMC settings.

    Attributes:
        population_size: Particles per generation.
        max_generations: Most generations, the prior sample included.
        min_epsilon: Stop once a generation's tolerance is at most this.
        max_simulations: Budget of simulations over the run (None: no limit); a
            generation that would exceed it is abandoned and the previous one
            is the posterior.
    """

    population_size: int = Field(200, ge=2, le=1_000_000)
    max_generations: int = Field(8, ge=1, le=1000)
    min_epsilon: float = Field(0.0, ge=0, allow_inf_nan=False)
    max_simulations: int | None = Field(None, ge=1)


class SpecFile(_Table):
    """A calibration spec file's schema."""

    KEYS_DOC: ClassVar[str] = "docs/calibration.md"
    name: str | None = None
    description: str = ""
    scenario: str
    seed: int = Field(ge=0, le=2**63 - 1)
    population: int = Field(5000, ge=10, le=20_000_000)
    replicates: int = Field(2, ge=1, le=1000)
    method: Literal["optuna", "abc"] = "optuna"
    parameters: dict[str, Any]
    observed: ObservedTable = ObservedTable()
    targets: list[TargetTable] = []
    optuna: OptunaTable = OptunaTable()
    abc: AbcTable = AbcTable()


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec.

    Attributes:
        name: Short name (folders, figures).
        scenario: The brand's history with ``population.size`` set to ``population``.
        priors: One prior per fitted key, in the file's order.
        series: Likelihood settings per observed series (None: every series in the data).
        targets: Stylised-fact targets.
        seed: Root seed of every evaluation.
        replicates: Runs per evaluation.
        method: ``optuna`` or ``abc``.
        optuna: Optuna settings.
        abc: ABC-SMC settings.
        customers_at_start: The brand's customer base, or None (from the data).
        path: The spec file.
        description: What the calibration is for.
    """

    name: str
    scenario: Scenario
    priors: tuple[Prior, ...]
    series: Mapping[str, SeriesTable] | None
    targets: tuple[TargetTable, ...]
    seed: int
    replicates: int
    method: str
    optuna: OptunaTable
    abc: AbcTable
    customers_at_start: float | None = None
    path: str | None = None
    description: str = ""
    source: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def keys(self) -> list[str]:
        """The fitted keys, in order."""
        return [p.key for p in self.priors]

    def read_data(self, path: str | Path) -> Observed:
        """Read the brand's data for this spec and check it against the spec.

        Args:
            path: CSV or Parquet file.

        Returns:
            The observations.

        Raises:
            ScenarioError: For bad data, or a series the spec names that the data lacks.
        """
        obs = read_observed(path, weeks=self.scenario.run.weeks,
                            customers_at_start=self.customers_at_start)
        if self.series is not None:
            missing = [s for s in self.series if s not in obs.series]
            if missing:
                raise ScenarioError([Problem(f"observed.series.{s}", "the data file has no "
                                             f"{s!r} column (it has: "
                                             f"{', '.join(obs.series)})", None, self.path)
                                     for s in missing])
        return obs

    def series_settings(self, obs: Observed) -> dict[str, SeriesTable]:
        """The likelihood settings of each series that enters, defaults filled in.

        ``customers`` enters as the weekly losses it implies only when the
        data has no ``churned`` column (never both: the same losses twice).
        """
        chosen = dict(self.series) if self.series is not None else {
            s: SeriesTable() for s in obs.series}
        if "churned" in chosen:
            chosen.pop("customers", None)
        return {s: t if t.likelihood else t.model_copy(update={"likelihood": LIKELIHOODS[s][0]})
                for s, t in chosen.items()}


def load_calibration_spec(path: str | Path,
                          overrides: Mapping[str, Any] | Sequence[str] | None = None,
                          ) -> CalibrationSpec:
    """Read and validate a calibration spec file.

    Args:
        path: The TOML spec.
        overrides: Changes by dotted key (``optuna.trials=20``, ``population=2000``).

    Returns:
        The validated spec.

    Raises:
        ScenarioError: Naming the file and the key of every problem found.
    """
    p = Path(path)
    data = read_toml(p)
    changes = normalise_overrides(overrides)
    for key, val in changes.items():
        if key.startswith("parameters."):  # prior keys are dotted themselves
            raise ScenarioError.one(key, "change priors in the spec file", val, "--set")
    try:
        for key, val in changes.items():
            set_path(data, key, val, SpecFile)
        return spec_from_dict(data, file=str(p), base_dir=p.resolve().parent)
    except ScenarioError as err:
        raise err.blaming(changes) from None


def spec_from_dict(data: Mapping[str, Any], file: str | None = None,
                   base_dir: str | Path | None = None) -> CalibrationSpec:
    """Validate spec data (as read from TOML).

    Args:
        data: The spec table.
        file: Its file, for messages.
        base_dir: Folder a relative ``scenario`` path is resolved against.

    Returns:
        The validated spec.

    Raises:
        ScenarioError: Every problem, each naming ``file`` and the key.
    """
    try:
        sf = SpecFile.model_validate(dict(data))
    except ValidationError as exc:
        found = [q for e in exc.errors() for q in pydantic_problems(e, file, SpecFile)]
        raise ScenarioError(_unique(found)) from None
    problems: list[Problem] = []
    scenario = _scenario(sf, base_dir, file, problems)
    try:
        priors = priors_from_table(sf.parameters, file)
    except ScenarioError as err:
        priors = []
        problems += [Problem(f"parameters.{q.key}", q.message, q.value, file)
                     for q in err.problems]
    if scenario is not None:
        problems += _prior_problems(priors, scenario, file)
        problems += _target_problems(sf.targets, scenario, file)
    problems += _series_problems(sf.observed.series, file)
    for i, t in enumerate(sf.targets):
        if t.high < t.low:
            problems.append(Problem(f"targets[{i}].high", f"must be at least low ({t.low})",
                                    t.high, file))
    if not priors and not problems:
        problems.append(Problem("parameters", "give at least one scenario key to fit", None,
                                file))
    if problems:
        raise ScenarioError(_unique(problems))
    assert scenario is not None
    name = sf.name or (Path(file).stem if file else "calibration")
    return CalibrationSpec(
        name=name, scenario=scenario, priors=tuple(priors), series=sf.observed.series,
        targets=tuple(sf.targets), seed=sf.seed, replicates=sf.replicates, method=sf.method,
        optuna=sf.optuna, abc=sf.abc, customers_at_start=sf.observed.customers_at_start,
        path=file, description=sf.description, source=dict(data),
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _scenario(sf: SpecFile, base_dir: str | Path | None, file: str | None,
              problems: list[Problem]) -> Scenario | None:
    """The brand's scenario at the spec's population size, or None (with its problems)."""
    ref = sf.scenario
    cands = ([Path(base_dir) / ref] if base_dir is not None else []) + [Path(ref)]
    path = next((c for c in cands if c.is_file()), None) or builtin_file(ref)
    if path is None:
        problems.append(Problem("scenario", "scenario file not found (relative to the spec "
                                "file, or a built-in name)", ref, file))
        return None
    try:
        return load_scenario(path, {"population.size": sf.population, "run.seed": sf.seed})
    except ScenarioError as err:
        problems += [Problem(f"scenario: {q.key}" if q.key else "scenario",
                             q.message, q.value, q.file or str(path)) for q in err.problems]
        return None


def _prior_problems(priors: Sequence[Prior], sc: Scenario, file: str | None) -> list[Problem]:
    """Each fitted key exists, is a number the calibration may change, and takes both ends."""
    data = sc.to_dict()
    out: list[Problem] = []
    for p in priors:
        where = f"parameters.{p.key}"
        if p.key in FIXED_KEYS:
            out.append(Problem(where, "sets the experiment, not the brand: it cannot be "
                               "fitted (population and seed are spec settings)", None, file))
            continue
        try:
            value = sc.get(p.key)
        except KeyError:
            hint = did_you_mean(p.key, leaf_paths(data), prefix="; ")
            out.append(Problem(where, f"unknown scenario key{hint}", None, file))
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(Problem(where, "is not a number in the scenario; only numeric keys "
                               "can be fitted", value, file))
            continue
        if isinstance(value, int):
            out.append(Problem(where, "is a whole-number key; calibration fits continuous "
                               "parameters only", value, file))
            continue
        for end in ("low", "high"):
            try:
                scenario_from_dict(data, {p.key: getattr(p, end)})
            except ScenarioError as err:
                msg = err.problems[0].message
                out.append(Problem(f"{where}.{end}", f"the scenario refuses this value: {msg}",
                                   getattr(p, end), file))
    return out


def _target_problems(targets: Sequence[TargetTable], sc: Scenario,
                     file: str | None) -> list[Problem]:
    out = []
    events = sc.incidents.events
    for i, t in enumerate(targets):
        if t.kind == "abnormal_churn" and t.incident >= len(events):
            out.append(Problem(f"targets[{i}].incident", f"the scenario has {len(events)} "
                               "incident(s) (incidents.events); abnormal churn needs one",
                               t.incident, file))
    return out


def _series_problems(series: Mapping[str, SeriesTable] | None,
                     file: str | None) -> list[Problem]:
    out = []
    for name, t in (series or {}).items():
        if name not in LIKELIHOODS:
            out.append(Problem(f"observed.series.{name}",
                               f"unknown series; {hint_or_allowed(name, SERIES)}", None, file))
        elif t.likelihood is not None and t.likelihood not in LIKELIHOODS[name]:
            out.append(Problem(f"observed.series.{name}.likelihood", "must be one of "
                               f"{', '.join(LIKELIHOODS[name])}", t.likelihood, file))
    return out
