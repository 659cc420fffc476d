"""Prior distributions of the parameters a calibration fits.

A prior works on a *scale*: the value itself, or its natural logarithm for a
log-uniform prior (``log=True``). On that scale it is uniform between the
bounds, or, when ``mean`` and ``sd`` are given, a normal truncated to the
bounds. ``mean`` is a value of the parameter (in its own units); ``sd`` is a
spread on the prior's scale (for a log prior, in natural-log units: ``sd=0.5``
means about a factor of 1.65 either way).

Every prior maps to and from the unit interval through its CDF
(:meth:`Prior.to_unit`, :meth:`Prior.from_unit`), which optimisers and
samplers that work in a box use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats

from sim.errors import Problem, ScenarioError

_KEYS = ("low", "high", "log", "mean", "sd")


@dataclass(frozen=True)
class Prior:
    """The prior of one fitted parameter.

    Attributes:
        key: Dotted scenario key (``"trust.gain_rate"``).
        low: Lower bound (a value the parameter may take).
        high: Upper bound, above ``low``.
        log: Uniform (or normal) in the logarithm; needs ``low > 0``.
        mean: Centre of a truncated-normal prior, between the bounds (None: uniform).
        sd: Spread of the truncated normal on the prior's scale (given with ``mean``).
    """

    key: str
    low: float
    high: float
    log: bool = False
    mean: float | None = None
    sd: float | None = None

    def __post_init__(self) -> None:
        """Check the bounds and the optional mean and spread.

        Raises:
            ScenarioError: Naming the key and what is allowed.
        """
        problems = _problems(self)
        if problems:
            raise ScenarioError(problems)

    # -- the working scale ----------------------------------------------------
    def _w(self, x: Any) -> Any:
        return np.log(x) if self.log else np.asarray(x, dtype=float)

    def _x(self, w: Any) -> Any:
        return np.exp(w) if self.log else w

    @cached_property
    def _frozen(self) -> Any:
        """The scipy distribution on the working scale, built once (it costs milliseconds)."""
        lo, hi = float(self._w(self.low)), float(self._w(self.high))
        if self.mean is None:
            return stats.uniform(loc=lo, scale=hi - lo)
        m = float(self._w(self.mean))
        sd = float(self.sd)  # type: ignore[arg-type]
        return stats.truncnorm((lo - m) / sd, (hi - m) / sd, loc=m, scale=sd)

    # -- public ---------------------------------------------------------------
    @property
    def kind(self) -> str:
        """Plain-words name of the distribution (for reports)."""
        shape = "uniform" if self.mean is None else "truncated normal"
        return f"log-{shape}" if self.log else shape

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values.

        Args:
            rng: Random generator.
            n: Number of draws.

        Returns:
            Values within ``[low, high]`` (float64).
        """
        return self.from_unit(rng.random(n))

    def logpdf(self, x: Any) -> np.ndarray:
        """Log density of values in the parameter's own units.

        A log prior's density includes the Jacobian ``1/x``. Values outside the
        bounds get ``-inf``.

        Args:
            x: Value or array of values.

        Returns:
            Log densities (float64 array, or 0-d for a scalar).
        """
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        safe = np.where(inside, x, self.low)
        out = self._frozen.logpdf(self._w(safe))
        if self.log:
            out = out - np.log(safe)
        return np.where(inside, out, -np.inf)

    def to_unit(self, x: Any) -> np.ndarray:
        """The prior's CDF: values to ``[0, 1]``.

        Args:
            x: Value or array of values (clipped to the bounds).

        Returns:
            Probabilities in ``[0, 1]``.
        """
        x = np.clip(np.asarray(x, dtype=float), self.low, self.high)
        return np.clip(self._frozen.cdf(self._w(x)), 0.0, 1.0)

    def from_unit(self, u: Any) -> np.ndarray:
        """The prior's quantile function: ``[0, 1]`` to values.

        Args:
            u: Probability or array of probabilities (clipped to ``[0, 1]``).

        Returns:
            Values within ``[low, high]``.
        """
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        x = self._x(self._frozen.ppf(u))
        return np.clip(x, self.low, self.high)

    def interval(self, q: float = 0.9) -> tuple[float, float]:
        """Central prior interval holding probability ``q``.

        Args:
            q: Probability in ``(0, 1]``.

        Returns:
            ``(lower, upper)`` in the parameter's units.
        """
        if not 0.0 < q <= 1.0:
            raise ValueError(f"interval probability must be in (0, 1], got {q!r}")
        lo, hi = self.from_unit([(1.0 - q) / 2.0, (1.0 + q) / 2.0])
        return float(lo), float(hi)

    def as_dict(self) -> dict[str, Any]:
        """The prior as a table row (``None`` entries left out)."""
        row: dict[str, Any] = {"key": self.key, "low": self.low, "high": self.high,
                               "log": self.log}
        if self.mean is not None:
            row.update(mean=self.mean, sd=self.sd)
        return row


def _problems(p: Prior) -> list[Problem]:
    """Everything wrong with one prior's settings."""
    out: list[Problem] = []

    def bad(field: str, message: str, value: object) -> None:
        out.append(Problem(f"{p.key}.{field}", message, value))

    for field in ("low", "high", "mean", "sd"):
        v = getattr(p, field)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                              or not math.isfinite(v)):
            bad(field, "must be a finite number", v)
    if out:
        return out
    if not p.high > p.low:
        bad("high", f"must be above low ({p.low!r})", p.high)
    if p.log and p.low <= 0:
        bad("low", "must be above 0 for a log prior (log = true)", p.low)
    if (p.mean is None) != (p.sd is None):
        bad("sd" if p.sd is None else "mean", "mean and sd go together (give both or neither)",
            None)
    elif p.mean is not None:
        if not p.low <= p.mean <= p.high:
            bad("mean", f"must lie between low ({p.low!r}) and high ({p.high!r})", p.mean)
        if not p.sd > 0:  # type: ignore[operator]
            bad("sd", "must be above 0", p.sd)
    return out


def priors_from_table(table: Mapping[str, Mapping[str, Any]],
                      file: str | None = None) -> list[Prior]:
    """Build priors from ``{key: {low, high, log?, mean?, sd?}}`` (a spec's table).

    Args:
        table: One entry per dotted scenario key, in the order to fit them.
        file: The file the table came from (named in errors).

    Returns:
        One :class:`Prior` per key, in the table's order.

    Raises:
        ScenarioError: Every problem found, each naming the key and the file.
    """
    priors: list[Prior] = []
    problems: list[Problem] = []
    for key, entry in table.items():
        if not isinstance(entry, Mapping):
            problems.append(Problem(key, "must be a table with low and high", entry, file))
            continue
        unknown = sorted(set(entry) - set(_KEYS))
        missing = [k for k in ("low", "high") if k not in entry]
        for k in unknown:
            problems.append(Problem(f"{key}.{k}", f"unknown prior setting; allowed: "
                                    f"{', '.join(_KEYS)}", None, file))
        for k in missing:
            problems.append(Problem(f"{key}.{k}", "is required", None, file))
        log = entry.get("log", False)
        if not isinstance(log, bool):
            problems.append(Problem(f"{key}.log", "must be true or false", log, file))
        if unknown or missing or not isinstance(log, bool):
            continue
        try:
            priors.append(Prior(key, entry["low"], entry["high"], log,
                                entry.get("mean"), entry.get("sd")))
        except ScenarioError as err:
            problems += [Problem(p.key, p.message, p.value, file) for p in err.problems]
    if problems:
        raise ScenarioError(problems)
    return priors
