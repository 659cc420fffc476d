"""Figures of a calibration: trace, posterior against prior, correlations, predictive check.

Built with matplotlib's object-oriented API (no ``pyplot``, no global
state); each ``fig_*`` returns a figure and :func:`write_figures` saves them
(PNG and SVG, atomically) into a calibration folder.

* ``trace``: ABC-SMC tolerance and acceptance rate per generation, or the
  Optuna objective per trial with the running best;
* ``posterior``: each parameter's posterior (weighted histogram) over its
  prior, with both 90% intervals and, when known, the true value;
* ``correlations``: the weighted correlation matrix of the fitted parameters,
  strong pairs outlined;
* ``predictive``: the observed weekly series (points) over the simulated
  5-95% band and median, one panel per series.

Layer: calibration figures (pure drawing of computed tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.calibrate.identify import (
    STRONG_CORRELATION,
    correlations,
    identifiability,
)
from sim.calibrate.priors import Prior
from sim.plotting import compact_number, fig_caption, save_figure

POST_COLOUR, PRIOR_COLOUR, TRUE_COLOUR, OBS_COLOUR = "#2471a3", "#9e9e9e", "#c0392b", "#111111"
PRIOR_DRAWS = 20_000
"""Draws that show a prior's shape (from a fixed seed, so figures repeat)."""

SERIES_LABELS = {
    "customers": "customers at the end of the week (people)",
    "churned": "customers lost that week (people)",
    "complaints": "complaints that week (people)",
    "purchases": "purchases that week (count)",
    "revenue": "revenue that week (currency units)",
}


def _series_label(name: str) -> str:
    return SERIES_LABELS.get(name, name.replace("_", " "))


def fig_abc_trace(trace: pd.DataFrame, scaled: bool = True) -> Figure:
    """ABC-SMC progress: tolerance and acceptance rate per generation.

    Args:
        trace: ``AbcResult.trace`` (generation, epsilon, acceptance_rate, ess...).
        scaled: Whether the distance was the ABC engine's adaptively scaled one
            (False: a calibration's distance, the relative error of the weekly
            series, see :meth:`sim.calibrate.objective.Objective.summary`).

    Returns:
        The figure (two panels).
    """
    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    ax_eps, ax_acc = fig.subplots(1, 2, sharex=True)
    fin = trace[np.isfinite(trace["epsilon"].to_numpy(dtype=float))]
    ax_eps.plot(fin["generation"], fin["epsilon"], "o-", color=POST_COLOUR,
                label="tolerance (epsilon)")
    if len(fin) and (fin["epsilon"] > 0).all():
        ax_eps.set_yscale("log")
    for axis in (ax_eps.yaxis.set_major_formatter, ax_eps.yaxis.set_minor_formatter):
        axis(ticker.FuncFormatter(compact_number))  # 0.5, 2 (not 5 x 10^-1)
    ax_eps.set_xlabel("generation")
    ax_eps.set_ylabel("tolerance (distance, scaled statistics)" if scaled else
                      "tolerance (relative error of the series)")
    ax_eps.set_title("How close simulations had to come to the data")
    ax_acc.plot(trace["generation"], 100 * trace["acceptance_rate"], "o-", color="#d35400",
                label="accepted simulations")
    ax_acc.set_xlabel("generation")
    ax_acc.set_ylabel("acceptance rate (% of simulations)")
    ax_acc.set_ylim(0, 105)
    ax_acc.set_title("Share of simulations accepted")
    for ax in (ax_eps, ax_acc):
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    how = ("Statistics are scaled by their spread in the previous generation." if scaled else
           "Distance: relative error of the weekly series (0.1 = 10% off).")
    fig_caption(fig, f"Generation 0 samples the prior (all accepted, no tolerance). {how}")
    fig.suptitle(f"ABC-SMC: {len(trace)} generations, "
                 f"{int(trace['simulations'].sum()):,} simulations")
    return fig


def fig_optuna_trace(trials: pd.DataFrame, value: str = "value",
                     direction: str = "maximize") -> Figure:
    """Optuna progress: the objective of each trial and the best so far.

    Args:
        trials: One row per finished trial (``number`` and ``value`` columns).
        value: The objective column.
        direction: ``"maximize"`` (a log-likelihood) or ``"minimize"``.

    Returns:
        The figure.
    """
    t = trials.sort_values("number") if "number" in trials else trials.reset_index(drop=True)
    x = t["number"].to_numpy() if "number" in t else np.arange(len(t))
    v = t[value].to_numpy(dtype=float)
    best = np.fmax.accumulate(v) if direction == "maximize" else np.fmin.accumulate(v)
    fig = Figure(figsize=(8.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(x, v, "o", ms=3.5, color=PRIOR_COLOUR, label="trial")
    ax.plot(x, best, "-", color=POST_COLOUR, lw=2, label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("log-likelihood of the data (higher fits better)" if direction == "maximize"
                  else f"{value} (lower fits better)")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
    fin = v[np.isfinite(v)]
    title = f"Optuna search: {len(t)} trials"
    if len(fin) >= 10:  # a few very poor early trials would flatten the part that matters
        worst, top = (np.percentile(fin, 20), fin.max()) if direction == "maximize" else \
            (np.percentile(fin, 80), fin.min())
        pad = 0.05 * abs(top - worst) or 1.0
        lim = (worst - pad, top + pad) if direction == "maximize" else (top - pad, worst + pad)
        ax.set_ylim(*lim)
        hidden = int(np.sum((fin < lim[0]) | (fin > lim[1])))
        title += f" ({hidden} poorer trials below the axis)" if hidden else ""
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig


def _bins(p: Prior, n: int = 30) -> np.ndarray:
    return np.geomspace(p.low, p.high, n + 1) if p.log else np.linspace(p.low, p.high, n + 1)


def fig_marginals(priors: Sequence[Prior], draws: pd.DataFrame,
                  truth: Mapping[str, float] | None = None, label: str = "posterior",
                  table: pd.DataFrame | None = None) -> Figure:
    """Each parameter's posterior (weighted histogram) over its prior.

    Args:
        priors: The fitted parameters' priors.
        draws: Posterior draws (keys and ``weight``).
        truth: True values to mark (a recovery study), or None.
        label: What the draws are (``"posterior"``, or e.g. ``"near-best trials"``).
        table: The calibration's identifiability table (``key``, ``fit_low``,
            ``fit_high``, ``width_ratio``, ``identified``) to mark its ranges
            (None: the draws' weighted 90% intervals).

    Returns:
        The figure (one panel per parameter, one legend for all).
    """
    n = len(priors)
    cols = min(3, n)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.2 * cols, 3.3 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    if table is None:
        table = identifiability(priors, draws).rename(
            columns={"post_low": "fit_low", "post_high": "fit_high"})
    table = table.set_index("key")
    span = "90% interval" if label == "posterior" else "range"
    w = draws["weight"].to_numpy(dtype=float) if "weight" in draws else np.ones(len(draws))
    rng = np.random.default_rng(0)
    for ax, p in zip(axes, priors, strict=False):
        bins = _bins(p)
        prior_share = np.histogram(p.sample(rng, PRIOR_DRAWS), bins)[0] / PRIOR_DRAWS
        post_share = np.histogram(draws[p.key], bins, weights=w)[0] / w.sum()
        ax.stairs(prior_share, bins, fill=True, color=PRIOR_COLOUR, alpha=0.35, label="prior")
        ax.stairs(post_share, bins, fill=True, color=POST_COLOUR, alpha=0.75, label=label)
        r = table.loc[p.key]
        ax.axvspan(r.prior_low, r.prior_high, color=PRIOR_COLOUR, alpha=0.08,
                   label="prior 90% interval")
        for i, edge in enumerate((r.fit_low, r.fit_high)):
            ax.axvline(edge, color=POST_COLOUR, ls="--", lw=1.2,
                       label=f"{label} {span}" if i == 0 else None)
        if truth is not None and p.key in truth:
            ax.axvline(truth[p.key], color=TRUE_COLOUR, lw=2, label="true value")
        if p.log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())  # no 2x10^-3 pile-ups
        share = round(100 * r.width_ratio)
        verdict = ("too few draws to tell" if r.identified is None else
                   f"{label} span {share}% of the prior width" if label != "posterior" else
                   f"narrowed to {share}% of the prior width" if r.identified
                   else f"NOT identified (still {share}% of the prior width)")
        ax.set_title(f"{p.key}\n{verdict}", fontsize=9.5)
        ax.set_xlabel(f"value of {p.key}" + (" (log scale)" if p.log else ""))
        ax.set_ylabel("share of draws" if label == "posterior" else f"share of {label}")
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    fig.suptitle(f"What the data say about each parameter: {label} over prior"
                 + ("" if label == "posterior" else
                    " (an optimiser's neighbourhood of the best fit, not a posterior)"))
    return fig


def fig_correlations(priors: Sequence[Prior], draws: pd.DataFrame,
                     threshold: float = STRONG_CORRELATION) -> Figure:
    """Weighted correlations between the fitted parameters, strong pairs outlined.

    Args:
        priors: The fitted parameters' priors.
        draws: Posterior draws (keys and ``weight``).
        threshold: Correlations larger than this in size are outlined.

    Returns:
        The figure.
    """
    corr = correlations(priors, draws)
    keys = list(corr.index)
    n = len(keys)
    fig = Figure(figsize=(max(6.0, 2.8 + 1.1 * n), 1.8 + 1.0 * n), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(n):
        for j in range(n):
            r = corr.iloc[i, j]
            ax.text(j, i, "" if np.isnan(r) else f"{r:.2f}", ha="center", va="center",
                    fontsize=8, color="white" if abs(r) > 0.6 else "black")
            if i != j and abs(r) > threshold:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2,
                                       ec="black"))
    ax.set_xticks(range(n), keys, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(n), keys, fontsize=8)
    fig.colorbar(im, ax=ax, label="correlation between draws (-1 to 1)")
    fig.suptitle("Which parameters trade off against each other", fontsize=11)
    ax.set_title(f"outlined: correlation above {threshold} in size (the data pin down\n"
                 "the pair's combination, not each one)", fontsize=8.5)
    return fig


def fig_predictive(band: pd.DataFrame, observed: pd.DataFrame,
                   fitted: Sequence[str] | None = None) -> Figure:
    """Observed weekly series over the simulated 5-95% band and median.

    Args:
        band: Columns week, series, q05, q50, q95.
        observed: Column week plus one column per observed series (NaN: not observed).
        fitted: The series the fit used (others are marked "not fitted: a check");
            None: no marks.

    Returns:
        The figure (one panel per series in ``band``).
    """
    series = [s for s in dict.fromkeys(band["series"]) if s in observed]
    fig = Figure(figsize=(9.0, 2.9 * len(series) + 0.7), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(series), 1, sharex=True, squeeze=False)).ravel()
    inside_total = points_total = 0
    for ax, s in zip(axes, series, strict=True):
        b = band[band["series"] == s].sort_values("week")
        ax.fill_between(b["week"], b["q05"], b["q95"], color=POST_COLOUR, alpha=0.25,
                        step=None, label="simulated 5-95% band")
        ax.plot(b["week"], b["q50"], color=POST_COLOUR, lw=1.5, label="simulated median")
        obs = observed[["week", s]].dropna()
        ax.plot(obs["week"], obs[s], "o", ms=3.5, color=OBS_COLOUR, label="observed")
        joined = obs.merge(b, on="week")
        inside = int(((joined[s] >= joined["q05"]) & (joined[s] <= joined["q95"])).sum())
        inside_total += inside
        points_total += len(joined)
        role = ("" if fitted is None else " (fitted)" if s in fitted
                else " (not fitted: a check)")
        ax.set_title(f"{_series_label(s).split(' (')[0]}{role}: {inside} of {len(joined)} "
                     "observed weeks inside the band", fontsize=10)
        ax.set_ylabel(_series_label(s), fontsize=8.5)
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(compact_number))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    axes[-1].set_xlabel("week")
    share = 100 * inside_total / points_total if points_total else float("nan")
    fig.suptitle(f"Does the fitted model reproduce the data? {share:.0f}% of observed points "
                 "inside the simulated band")
    return fig


def write_figures(res: Any, folder: str | Path) -> list[Path]:
    """Draw and save a calibration's figures into ``folder``.

    Args:
        res: A calibration result with ``method`` (``"abc"`` or ``"optuna"``),
            ``trace``, ``posterior`` (keys and ``weight``), ``spec.priors``,
            ``band`` and ``observed.table`` (week and series columns); an
            optional ``truth`` mapping marks true values.
        folder: Where to write ``trace``, ``posterior``, ``correlations`` and
            ``predictive`` (PNG and SVG).

    Returns:
        The written paths.
    """
    priors = list(res.spec.priors)
    abc = res.method == "abc"
    label = "posterior" if abc else "near-best trials"
    figs = {"trace": fig_abc_trace(res.trace, scaled=False) if abc
            else fig_optuna_trace(res.trace)}
    if len(res.posterior):
        figs["posterior"] = fig_marginals(priors, res.posterior, getattr(res, "truth", None),
                                          label, getattr(res, "identifiability", None))
        if len(priors) > 1 and len(res.posterior) > 2:
            figs["correlations"] = fig_correlations(priors, res.posterior)
    if res.band is not None and len(res.band):
        observed = getattr(res.observed, "table", res.observed)
        series = getattr(res.spec, "series", None)
        figs["predictive"] = fig_predictive(res.band, observed,
                                            None if series is None else list(series))
    out: list[Path] = []
    for stem, fig in figs.items():
        out += save_figure(fig, folder, stem)
    return out

