"""Market presets: survey targets as data, and the fit of a population to them.

A market file (``scenarios/markets/*.toml``) lists the privacy segments with
their shares and logit-scale offsets, and the survey shares the synthetic
population must reproduce. :func:`fit_market` finds the population
parameters that answer those questions as the real population did:

* privacy thresholds: segment ``s`` has a Beta distribution with mean
  ``expit(mu + threshold_offset_s)`` and concentration ``kappa``; ``mu`` (and
  ``kappa`` when two or more crossing targets are given) is fitted so that the
  mixture's CDF at each target intrusiveness equals the target share;
* dispositions (would stop, wants consent, reads terms): ``P(yes | s) =
  expit(alpha + sign * concern_offset_s)``, with ``alpha`` fitted per question
  (reading terms is a concerned answer too, so the sign is +1 throughout).

The fit is exact in expectation (root finding on analytic shares), so the
sampled population differs from the targets only by sampling noise.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import special

from sim.errors import InputWarning, Problem, ScenarioError
from sim.files import atomic_path, read_toml
from sim.paths import builtin_file, builtin_names

SEGMENTS = ("fundamentalist", "pragmatist", "unconcerned")
DISPOSITIONS = ("would_stop", "wants_consent", "reads_terms")

_Share = Annotated[float, Field(gt=0.0, lt=1.0)]
_Offset = Annotated[float, Field(ge=-10.0, le=10.0)]
"""A logit-scale offset: 10 moves a share of 50% to 99.995%, which is plenty."""

MISS_WARN = 0.005
"""A fitted share further than this (half a percentage point) from its target is warned about."""


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class SegmentSpec(_M):
    """One privacy segment of a market."""

    share: Annotated[float, Field(ge=0.0, le=1.0)]
    threshold_offset: _Offset = 0.0
    concern_offset: _Offset = 0.0
    trust_offset: _Offset = 0.0


class CrossingTarget(_M):
    """Share of consumers whose threshold lies below ``intrusiveness``."""

    intrusiveness: Annotated[float, Field(gt=0.0, lt=1.0)]
    share: _Share


class Targets(_M):
    """Survey shares the fitted population must reproduce."""

    boundary_crossing: list[CrossingTarget] = Field(min_length=1)
    would_stop: _Share
    wants_consent: _Share
    reads_terms: _Share

    @model_validator(mode="after")
    def _crossing_possible(self) -> Targets:
        # The crossing share is a CDF: it cannot fall as intrusiveness rises.
        pts = sorted((t.intrusiveness, t.share) for t in self.boundary_crossing)
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if y1 < y0 or (x1 == x0 and y1 != y0):
                raise ValueError(
                    f"boundary_crossing: no population answers {y0:g} at intrusiveness "
                    f"{x0:g} and {y1:g} at {x1:g}; the share crossed must not fall as "
                    "intrusiveness rises"
                )
        return self


class FitSettings(_M):
    """Settings of the fit."""

    threshold_concentration: Annotated[float, Field(gt=0.0, le=1000.0)] = 4.0


class MarketSpec(_M):
    """A market preset as read from its file."""

    name: str
    source: str = ""
    segments: dict[str, SegmentSpec]
    targets: Targets
    fit: FitSettings = FitSettings()

    @model_validator(mode="after")
    def _segments_ok(self) -> MarketSpec:
        if set(self.segments) != set(SEGMENTS):
            raise ValueError(
                f"segments must be exactly {list(SEGMENTS)}, got {list(self.segments)}"
            )
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must add up to 1, got {total:.6f}")
        return self


@dataclass(frozen=True)
class FittedMarket:
    """Population parameters fitted to a market's survey targets.

    Attributes:
        spec: The market as read from its file.
        path: The file it came from.
        shares: Segment shares, in :data:`SEGMENTS` order.
        threshold_a: Beta ``a`` per segment.
        threshold_b: Beta ``b`` per segment.
        disposition_p: ``P(yes | segment)`` per disposition, in SEGMENTS order.
        fitted: Analytic share the fitted population gives for each survey question.
        targets: The target share of each survey question.
    """

    spec: MarketSpec
    path: str
    shares: np.ndarray
    threshold_a: np.ndarray
    threshold_b: np.ndarray
    disposition_p: dict[str, np.ndarray]
    fitted: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)

    def trust_offsets(self) -> np.ndarray:
        """Logit-scale initial-trust offset per segment."""
        return np.array([self.spec.segments[s].trust_offset for s in SEGMENTS])


def list_markets() -> list[str]:
    """Names of the built-in market presets."""
    return builtin_names("markets")


def market_path(ref: str) -> Path:
    """Resolve a market name or path to its file.

    Args:
        ref: A built-in name (``denmark_dsi2020``) or a path to a TOML file.

    Returns:
        The file.

    Raises:
        ScenarioError: If no such market exists (lists the built-in ones).
    """
    p = Path(ref)
    if p.suffix == ".toml" or "/" in ref:
        if p.is_file():
            return p
        raise ScenarioError.one("population.market", "market file not found", ref)
    cand = builtin_file(f"{ref}.toml", "markets")
    if cand is not None:
        return cand
    raise ScenarioError.one(
        "population.market",
        f"unknown market; allowed: {', '.join(list_markets())}, or a path to a market "
        ".toml file",
        ref,
    )


def load_market(ref: str) -> MarketSpec:
    """Read and validate a market file.

    Args:
        ref: Market name or path.

    Returns:
        The validated market.

    Raises:
        ScenarioError: Naming the market file and the bad key.
    """
    path = market_path(ref)
    return validate_market(read_toml(path), str(path))


def validate_market(data: Mapping[str, Any], file: str | None = None) -> MarketSpec:
    """Validate market data (as read from a market file).

    Args:
        data: Nested tables: ``name``, ``source``, ``segments``, ``targets``, ``fit``.
        file: File the data came from or goes to, for error messages.

    Returns:
        The validated market.

    Raises:
        ScenarioError: Listing every bad key with what is allowed.
    """
    try:
        return MarketSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(
            [
                Problem(".".join(str(x) for x in e["loc"]), e["msg"].lower(), e.get("input"),
                        file)
                for e in exc.errors()
            ]
        ) from None


def write_market(
    market: MarketSpec | Mapping[str, Any],
    path: str | Path,
    *,
    comment: str = "",
    overwrite: bool = False,
) -> Path:
    """Write a market file that ``population.market`` and :func:`fit_market` accept.

    The data are validated first, so a file is only written if it loads; the
    file appears whole or not at all (written to a temporary name, then
    renamed).

    Args:
        market: A :class:`MarketSpec`, or plain data in the same shape (for
            example ``load_market("denmark_dsi2020").model_dump()`` with some
            targets changed).
        path: The ``.toml`` file to write.
        comment: Text for a comment block at the top of the file.
        overwrite: Replace an existing file.

    Returns:
        The file written.

    Raises:
        ScenarioError: If the data are not a valid market (nothing is written).
        FileExistsError: If the file exists and ``overwrite`` is false.
        ValueError: If the path does not end in ``.toml``.
    """
    path = Path(path)
    if path.suffix != ".toml":
        raise ValueError(f"a market file must end in .toml (population.market reads it by "
                         f"its suffix): {path}")
    spec = market if isinstance(market, MarketSpec) else validate_market(market, str(path))
    if path.exists() and not overwrite:
        raise FileExistsError(f"market file already exists: {path} (pass overwrite=True)")
    head = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
    with atomic_path(path) as tmp:
        tmp.write_text(head + ("\n" if head else "") + tomli_w.dumps(spec.model_dump()))
    return path


def _beta_params(mu: float, kappa: float, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Clipped so that both parameters stay positive whatever the offsets (numpy's
    # Beta draw raises "b <= 0" otherwise); no change for means within (1e-9, 1 - 1e-9).
    mean = np.clip(special.expit(mu + offsets), 1e-9, 1.0 - 1e-9)
    return mean * kappa, (1.0 - mean) * kappa


def crossing_share(
    shares: np.ndarray, a: np.ndarray, b: np.ndarray, intrusiveness: float
) -> float:
    """Expected share of consumers whose threshold is below ``intrusiveness``.

    Args:
        shares: Segment shares.
        a: Beta ``a`` per segment.
        b: Beta ``b`` per segment.
        intrusiveness: The level's intrusiveness.

    Returns:
        The mixture CDF at ``intrusiveness``.
    """
    return float(np.sum(shares * special.betainc(a, b, intrusiveness)))


def _fit_thresholds(
    shares: np.ndarray, offsets: np.ndarray, targets: list[CrossingTarget], kappa0: float
) -> tuple[np.ndarray, np.ndarray]:
    from scipy import optimize  # imported here: it costs a second at start-up

    xs = np.array([t.intrusiveness for t in targets])
    ys = np.array([t.share for t in targets])

    def resid(mu: float, kappa: float) -> np.ndarray:
        a, b = _beta_params(mu, kappa, offsets)
        return np.array([crossing_share(shares, a, b, x) for x in xs]) - ys

    if len(targets) == 1:
        # The CDF at x falls monotonically as mu rises: one root.
        mu = optimize.brentq(lambda m: resid(m, kappa0)[0], -30.0, 30.0, xtol=1e-12)
        return _beta_params(mu, kappa0, offsets)
    sol = optimize.least_squares(
        lambda p: resid(p[0], np.exp(p[1])), x0=[0.0, np.log(kappa0)], xtol=1e-12, ftol=1e-12
    )
    return _beta_params(sol.x[0], float(np.exp(sol.x[1])), offsets)


def _fit_disposition(shares: np.ndarray, offsets: np.ndarray, target: float) -> np.ndarray:
    from scipy import optimize

    alpha = optimize.brentq(
        lambda al: float(np.sum(shares * special.expit(al + offsets))) - target,
        -40.0, 40.0, xtol=1e-12,
    )
    return special.expit(alpha + offsets)


@lru_cache(maxsize=32)
def _fit_cached(path: str, mtime: float) -> FittedMarket:
    spec = load_market(path)
    segs = [spec.segments[s] for s in SEGMENTS]
    shares = np.array([s.share for s in segs])
    t_off = np.array([s.threshold_offset for s in segs])
    c_off = np.array([s.concern_offset for s in segs])
    a, b = _fit_thresholds(shares, t_off, spec.targets.boundary_crossing,
                           spec.fit.threshold_concentration)
    disp = {d: _fit_disposition(shares, c_off, getattr(spec.targets, d)) for d in DISPOSITIONS}
    fitted: dict[str, float] = {}
    targets: dict[str, float] = {}
    for t in spec.targets.boundary_crossing:
        key = f"boundary_crossing@{t.intrusiveness:g}"
        fitted[key] = crossing_share(shares, a, b, t.intrusiveness)
        targets[key] = t.share
    for d in DISPOSITIONS:
        fitted[d] = float(np.sum(shares * disp[d]))
        targets[d] = getattr(spec.targets, d)
    return FittedMarket(spec, path, shares, a, b, disp, fitted, targets)


def _warn_misses(path: str, fitted: dict[str, float], targets: dict[str, float]) -> None:
    """Warn (:class:`~sim.errors.InputWarning`) of each target missed by over 0.5 points."""
    import warnings

    for key, target in targets.items():
        if abs(fitted[key] - target) > MISS_WARN:
            warnings.warn(
                f"{path}: targets.{key}: the fitted population gives "
                f"{fitted[key]:.1%} against a target of {target:.1%} (more than 0.5 "
                "points off; the segment offsets may not allow this target)",
                InputWarning, stacklevel=3,
            )


def fit_market(ref: str) -> FittedMarket:
    """Fit population parameters to a market's survey targets.

    Results are cached per file and modification time.

    Args:
        ref: Market name or path.

    Returns:
        The fitted market.

    Raises:
        ScenarioError: If the market is unknown or its file invalid.

    Warns:
        InputWarning: For each survey target the fit misses by more than half a point.
    """
    path = market_path(ref).resolve()
    fm = _fit_cached(str(path), path.stat().st_mtime)
    _warn_misses(fm.path, fm.fitted, fm.targets)
    return fm
