"""How much the data pinned each parameter down: interval widths, correlations, plain words.

For a posterior sample (ABC-SMC draws with weights), :func:`identifiability`
puts each parameter's weighted 90% posterior interval beside its prior 90%
interval. Widths are measured on the prior's own scale: the value itself, or
its logarithm for a log prior (so a log-uniform prior over 0.001 to 0.1 counts
each factor of ten alike). The ratio posterior width / prior width says how
much the data narrowed the parameter:

* ratio above :data:`NOT_IDENTIFIED_RATIO` (0.5): **not identified**: the data
  left more than half of the prior's range plausible, so the fitted value is
  mostly the prior speaking;
* otherwise identified (the smaller, the sharper).

Correlations between fitted parameters (weighted, on the same scales) above
:data:`STRONG_CORRELATION` in size are flagged: the data pin down a
combination of the two, not each one.

For Optuna trials there is no posterior; :func:`near_best` gives the range of
each parameter over the trials whose objective is close to the best (a
profile-style range, labelled as such and never as a posterior interval).

Weighted quantiles interpolate the weighted empirical CDF at the midpoints of
each draw's weight, draws of weight 0 left out (with equal weights this is
numpy's ``"hazen"`` method).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.calibrate.priors import Prior
from sim.calibrate.smc_math import weighted_cov

NOT_IDENTIFIED_RATIO = 0.5
"""Posterior 90% width above this share of the prior 90% width: not identified."""

STRONG_CORRELATION = 0.7
"""Posterior correlations larger than this in size are flagged."""

LOGLIK_DROP = 1.92
"""Near-best trials: objective within this many log-likelihood units of the best
(half the 95% point of a chi-square with one degree of freedom, the usual
profile-likelihood cut for one parameter)."""

NEAR_BEST_LABEL = "range over near-best trials (profile-style, not a posterior)"


def weighted_quantile(x: Sequence[float] | np.ndarray, w: Sequence[float] | np.ndarray | None,
                      q: float | Sequence[float]) -> np.ndarray:
    """Quantiles of weighted draws (midpoint interpolation of the weighted CDF).

    Args:
        x: Values.
        w: Non-negative weights (None: equal).
        q: Probability or probabilities in ``[0, 1]``.

    Returns:
        The quantiles (an array shaped like ``q``).

    Raises:
        ValueError: For no draws, negative weights or weights summing to 0.
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    if x.size == 0 or x.shape != w.shape:
        raise ValueError("weighted_quantile: values and weights must be non-empty and alike")
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weighted_quantile: weights must be non-negative with a positive sum")
    keep = w > 0  # a draw of weight 0 is no draw (it would stretch the CDF's ends)
    order = np.argsort(x[keep], kind="stable")
    xs, ws = x[keep][order], w[keep][order]
    cdf = (np.cumsum(ws) - ws / 2.0) / ws.sum()
    return np.interp(np.asarray(q, dtype=float), cdf, xs)


def _scale(prior: Prior, x: np.ndarray) -> np.ndarray:
    """Values on the prior's own scale (log for a log prior)."""
    return np.log(x) if prior.log else np.asarray(x, dtype=float)


def _weights(draws: pd.DataFrame) -> np.ndarray:
    if "weight" not in draws:
        return np.full(len(draws), 1.0 / max(len(draws), 1))
    w = draws["weight"].to_numpy(dtype=float)
    return w / w.sum()


def identifiability(priors: Sequence[Prior], draws: pd.DataFrame, q: float = 0.9,
                    threshold: float = NOT_IDENTIFIED_RATIO) -> pd.DataFrame:
    """Prior against posterior interval of each parameter.

    Args:
        priors: The fitted parameters' priors.
        draws: Posterior draws: a column per key and an optional ``weight``.
        q: Interval probability.
        threshold: Width ratio above which a parameter is "not identified".

    Returns:
        One row per parameter: key, prior_low, prior_high, post_low,
        post_median, post_mean, post_high, width_ratio, identified.

    Raises:
        KeyError: If a prior's key is not a column of ``draws``.
    """
    w = _weights(draws)
    rows = []
    lo_q, hi_q = (1.0 - q) / 2.0, (1.0 + q) / 2.0
    for p in priors:
        if p.key not in draws:
            raise KeyError(f"posterior draws have no column {p.key!r} (columns: "
                           f"{', '.join(map(str, draws.columns))})")
        x = draws[p.key].to_numpy(dtype=float)
        plo, phi = p.interval(q)
        lo, med, hi = weighted_quantile(x, w, [lo_q, 0.5, hi_q])
        prior_w = float(np.diff(_scale(p, np.array([plo, phi])))[0])
        post_w = float(np.diff(_scale(p, np.array([lo, hi])))[0])
        ratio = post_w / prior_w if prior_w > 0 else math.nan
        rows.append(dict(key=p.key, prior_low=plo, prior_high=phi, post_low=float(lo),
                         post_median=float(med), post_mean=float(w @ x), post_high=float(hi),
                         width_ratio=ratio, identified=bool(ratio <= threshold)))
    return pd.DataFrame(rows)


def correlations(priors: Sequence[Prior], draws: pd.DataFrame) -> pd.DataFrame:
    """Weighted correlation matrix of the fitted parameters (on the priors' scales).

    Args:
        priors: The fitted parameters' priors.
        draws: Posterior draws with an optional ``weight`` column.

    Returns:
        A square table indexed and labelled by key (NaN for a constant parameter).
    """
    keys = [p.key for p in priors]
    x = np.column_stack([_scale(p, draws[p.key].to_numpy(dtype=float)) for p in priors])
    cov = weighted_cov(x, _weights(draws))
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.outer(sd, sd)
    return pd.DataFrame(np.clip(r, -1.0, 1.0), index=keys, columns=keys)


def strong_pairs(corr: pd.DataFrame, threshold: float = STRONG_CORRELATION) -> pd.DataFrame:
    """Pairs of parameters whose correlation is larger than ``threshold`` in size.

    Args:
        corr: A matrix from :func:`correlations`.
        threshold: The size that counts as strong.

    Returns:
        Rows key_a, key_b, r, strongest first.
    """
    keys = list(corr.index)
    rows = [dict(key_a=a, key_b=b, r=float(corr.loc[a, b]))
            for i, a in enumerate(keys) for b in keys[i + 1:]
            if abs(corr.loc[a, b]) > threshold]
    out = pd.DataFrame(rows, columns=["key_a", "key_b", "r"])
    return out.reindex(out["r"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def plain_number(x: float, digits: int = 3) -> str:
    """A number in plain notation with about ``digits`` significant digits (never 1e-05).

    Args:
        x: The number.
        digits: Significant digits.

    Returns:
        For example ``"0.000123"``, ``"1.5"``, ``"12,300"``.
    """
    if not math.isfinite(x):
        return "unbounded" if math.isinf(x) else "unknown"
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{round(x, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _range(lo: float, hi: float) -> str:
    return f"{plain_number(lo)} to {plain_number(hi)}"


def summary_text(table: pd.DataFrame, pairs: pd.DataFrame | None = None) -> str:
    """The identifiability report in plain words.

    Args:
        table: From :func:`identifiability`.
        pairs: From :func:`strong_pairs` (None: no correlation paragraph).

    Returns:
        A few paragraphs: what the data pinned down, what they could not, and
        which parameters trade off against each other.
    """
    lines = ["How much the data narrowed each parameter (90% intervals):"]
    for r in table.itertuples():
        share = plain_number(100 * r.width_ratio, 2)
        verdict = "narrowed to" if r.identified else "NOT IDENTIFIED: still"
        lines.append(f"- {r.key}: most likely {plain_number(r.post_median)}, "
                     f"{_range(r.post_low, r.post_high)} (prior {_range(r.prior_low, r.prior_high)}"
                     f"); {verdict} {share}% of the prior width.")
    loose = list(table.loc[~table["identified"], "key"])
    if loose:
        lines += ["", f"The data cannot pin down {_join(loose)}: their values come mostly from "
                  "the prior ranges you gave, not from the data. Treat any single value for "
                  "them as unknown, and let decisions carry their whole range."]
    else:
        lines += ["", "The data narrowed every fitted parameter to at most half of its prior "
                  "width."]
    if pairs is not None and len(pairs):
        lines += ["", "Parameters the data can only pin down together:"]
        for p in pairs.itertuples():
            how = "rises" if p.r > 0 else "falls"
            lines.append(f"- {p.key_a} and {p.key_b} (correlation {p.r:.2f}): when one is "
                         f"higher the other {how} to fit the data equally well.")
    return "\n".join(lines)


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _trial_column(trials: pd.DataFrame, key: str) -> str:
    for col in (key, f"params_{key}"):
        if col in trials:
            return col
    raise KeyError(f"trials have no column {key!r} or 'params_{key}' (columns: "
                   f"{', '.join(map(str, trials.columns))})")


def near_best(trials: pd.DataFrame, priors: Sequence[Prior], *, value: str = "value",
              direction: str = "minimize", loglik_drop: float = LOGLIK_DROP,
              top_fraction: float | None = None) -> pd.DataFrame:
    """Ranges of each parameter over the trials close to the best (not a posterior).

    With an objective that is a negative log-likelihood (``direction="minimize"``)
    or a log-likelihood (``"maximize"``), near-best trials are those within
    ``loglik_drop`` of the best. With another objective (a distance), pass
    ``top_fraction`` to keep the best share of the trials instead.

    Args:
        trials: One row per trial: the objective in ``value`` and the
            parameters as ``key`` or Optuna's ``params_<key>`` columns; rows
            with a ``state`` other than COMPLETE, or no value, are ignored.
        priors: The fitted parameters' priors.
        value: The objective column.
        direction: ``"minimize"`` or ``"maximize"``.
        loglik_drop: Log-likelihood units from the best that count as near.
        top_fraction: Keep this best share of trials instead (0 < f <= 1).

    Returns:
        One row per parameter: key, best, low, high, prior_low, prior_high,
        width_ratio, trials (how many are near-best), method.

    Raises:
        ValueError: For a bad direction or fraction, or no finished trial.
    """
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    if top_fraction is not None and not 0.0 < top_fraction <= 1.0:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction!r}")
    done = trials
    if "state" in done:
        done = done[done["state"].astype(str).str.upper().str.endswith("COMPLETE")]
    done = done[np.isfinite(done[value].to_numpy(dtype=float))]
    if done.empty:
        raise ValueError("no finished trial with a finite objective")
    v = done[value].to_numpy(dtype=float) * (1.0 if direction == "minimize" else -1.0)
    best = int(np.argmin(v))
    if top_fraction is not None:
        keep = v <= np.quantile(v, top_fraction, method="inverted_cdf")
    else:
        keep = v <= v[best] + loglik_drop
    rows = []
    for p in priors:
        x = done[_trial_column(done, p.key)].to_numpy(dtype=float)
        lo, hi = float(x[keep].min()), float(x[keep].max())
        plo, phi = p.interval(0.9)
        ratio = (float(np.diff(_scale(p, np.array([lo, hi])))[0])
                 / float(np.diff(_scale(p, np.array([plo, phi])))[0]))
        rows.append(dict(key=p.key, best=float(x[best]), low=lo, high=hi, prior_low=plo,
                         prior_high=phi, width_ratio=ratio, trials=int(keep.sum()),
                         method=NEAR_BEST_LABEL))
    return pd.DataFrame(rows)


def near_best_text(table: pd.DataFrame) -> str:
    """The near-best ranges in plain words, said to be no posterior.

    Args:
        table: From :func:`near_best`.

    Returns:
        A short paragraph per parameter.
    """
    n = int(table["trials"].iloc[0]) if len(table) else 0
    lines = [f"Best fit, and the range of each parameter over the {n} trials that fit almost "
             "as well (a profile-style range from the optimiser, not a posterior interval):"]
    for r in table.itertuples():
        lines.append(f"- {r.key}: best {plain_number(r.best)}, near-best "
                     f"{_range(r.low, r.high)} (prior 90%: {_range(r.prior_low, r.prior_high)}).")
    return "\n".join(lines)


def predictive_band(sims: pd.DataFrame, q: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """Weighted quantile band of simulated weekly series (posterior predictive).

    Args:
        sims: Long table: week, series, value and an optional weight (one row
            per draw, week and series).
        q: Lower and upper probabilities of the band.

    Returns:
        Columns week, series, q05, q50, q95 (named for the default ``q``).
    """
    names = [f"q{round(100 * q[0]):02d}", "q50", f"q{round(100 * q[1]):02d}"]
    rows = []
    for (week, series), grp in sims.groupby(["week", "series"], sort=True):
        w = grp["weight"].to_numpy(dtype=float) if "weight" in grp else None
        vals = weighted_quantile(grp["value"].to_numpy(dtype=float), w, [q[0], 0.5, q[1]])
        rows.append(dict(zip(["week", "series", *names], [week, series, *vals], strict=True)))
    return pd.DataFrame(rows, columns=["week", "series", *names])
