"""Analysis of a sweep's results: point means, Sobol, Morris and RBD-FAST indices.

Replicates of a point are averaged before the indices are estimated (with
common random numbers they share random streams, so the average removes
noise without adding it between points). Indices come from SALib with
bootstrap confidence intervals (95% by default, resampling seeded from the
sweep's root seed, so the analysis is reproducible):

* Sobol (Saltelli) designs: first-order ``S1`` and total ``ST`` indices
  (``S2`` too if the design has second order);
* Morris designs: ``mu``, ``mu_star`` (with its interval) and ``sigma``, in
  KPI units per full range of the factor (factors are sampled on the unit
  interval);
* Latin hypercube designs: first-order ``S1`` by RBD-FAST (Tarantola et al.
  2006), which works on any sample;
* every design: the mean, standard deviation and 95% interval of each KPI
  per point (``points.csv``), the table behind grid heatmaps and curves.

This module computes; :mod:`sim.sweep.analyze` reads the sweep folder and
writes the tables and figures.

Layer: sweep computation (no files); in sim.sweep: analysis | runners | designs.
"""


from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.hints import did_you_mean
from sim.sweep.errors import SweepError
from sim.sweep.spec_types import RESERVED_COLUMNS, SweepSpec
from sim.sweep.verdicts import best_points, kpi_text, number, value_text
from sim.ties import Band, is_share


@dataclass
class Sweep:
    """A sweep folder, loaded.

    Attributes:
        out: The folder.
        spec: The sweep that ran.
        design: One row per point.
        results: One row per finished run, sorted by ``run_id``.
        failures: One row per failed run.
        manifest: Status and provenance.
    """

    out: Path
    spec: SweepSpec
    design: pd.DataFrame
    results: pd.DataFrame
    failures: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)


def select_kpis(sweep: Sweep, kpis: Sequence[str] | None) -> list[str]:
    """The KPIs to analyse: those asked for, else the spec's, else every numeric output.

    Args:
        sweep: The loaded sweep.
        kpis: KPIs asked for, or None.

    Returns:
        KPI column names of the results table.

    Raises:
        SweepError: If one is not in the results, with a hint and the usable names.
    """
    names = list(kpis) if kpis else list(sweep.spec.kpis)
    if not names:  # function model without declared KPIs: every numeric output
        skip = set(RESERVED_COLUMNS) | set(sweep.spec.factor_names)
        names = [c for c in sweep.results.columns
                 if c not in skip and pd.api.types.is_numeric_dtype(sweep.results[c])]
    missing = [k for k in names if k not in sweep.results.columns]
    if missing:
        skip = set(RESERVED_COLUMNS) | set(sweep.spec.factor_names)
        usable = [str(c) for c in sweep.results.columns
                  if c not in skip and pd.api.types.is_numeric_dtype(sweep.results[c])]
        more = did_you_mean(missing[0], usable, cutoff=0.5, prefix="; ")
        raise SweepError(f"KPI not in the results of {sweep.out}: {', '.join(missing)}{more} "
                         f"KPIs: {', '.join(usable)}")
    return names


def point_summary(sweep: Sweep, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean, spread and 95% interval of each KPI per design point.

    Args:
        sweep: The loaded sweep.
        kpis: KPIs (default: the spec's).

    Returns:
        One row per point with factor values, ``n`` (finished replicates) and
        for each KPI ``<kpi>_mean``, ``<kpi>_sd``, ``<kpi>_lo``, ``<kpi>_hi``
        (normal 95% interval of the mean; equal to the mean when ``n = 1``).
    """
    names = select_kpis(sweep, kpis)
    g = sweep.results.groupby("point", sort=True)
    out = sweep.design[["point", *sweep.spec.factor_names]].set_index("point")
    out = out.join(g.size().rename("n"), how="left")
    out["n"] = out["n"].fillna(0).astype(np.int64)
    for k in names:
        mean = g[k].mean()
        sd = g[k].std(ddof=1)
        half = 1.96 * (sd / np.sqrt(g[k].count())).fillna(0.0)
        out[f"{k}_mean"] = mean
        out[f"{k}_sd"] = sd
        out[f"{k}_lo"] = mean - half
        out[f"{k}_hi"] = mean + half
    return out.reset_index()


def _complete_means(sweep: Sweep, kpi: str) -> np.ndarray:
    """KPI means per point in point order; every point must have a run."""
    means = sweep.results.groupby("point")[kpi].mean()
    n = len(sweep.design)
    missing = sorted(set(range(n)) - set(means.index.tolist()))
    if missing:
        raise SweepError(
            f"{len(missing)} of {n} design points have no finished run (first: point "
            f"{missing[0]}), so the indices cannot be estimated; see failures.parquet, fix "
            "the cause and rerun the sweep with --resume to retry the failed runs"
        )
    return means.reindex(range(n)).to_numpy(dtype=np.float64)


def _unit_matrix(sweep: Sweep) -> np.ndarray:
    cols = [f"u_{n}" for n in sweep.spec.factor_names]
    return sweep.design[cols].to_numpy(dtype=np.float64)


def _tidy(sweep: Sweep, kpi: str, res: Mapping[str, Any], keys: Sequence[str]) -> pd.DataFrame:
    roles = {f.name: f.role for f in sweep.spec.factors}
    df = pd.DataFrame({k: np.asarray(res[k], dtype=np.float64) for k in keys})
    df.insert(0, "factor", sweep.spec.factor_names)
    df.insert(0, "kpi", kpi)
    df.insert(2, "role", [roles[n] for n in sweep.spec.factor_names])
    return df


def _per_kpi(
    sweep: Sweep,
    kpis: Sequence[str] | None,
    columns: Sequence[str],
    analyze: Callable[[np.ndarray], Mapping[str, Any]],
) -> pd.DataFrame:
    """Run one SALib analysis on each KPI's per-point means; one tidy table.

    SALib's runtime warnings (e.g. a KPI that barely varies) are silenced: the
    intervals in the table say how well each index is estimated.
    """
    rows = []
    for k in select_kpis(sweep, kpis):
        y = _complete_means(sweep, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = analyze(y)
        rows.append(_tidy(sweep, k, res, tuple(columns)))
    return pd.concat(rows, ignore_index=True)


def sobol_indices(
    sweep: Sweep, kpis: Sequence[str] | None = None, num_resamples: int = 1000,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Sobol first-order and total indices per KPI (Sobol designs).

    Args:
        sweep: The loaded sweep.
        kpis: KPIs (default: the spec's).
        num_resamples: Bootstrap resamples for the intervals.
        conf_level: Confidence level of the intervals.

    Returns:
        Tidy table: ``kpi, factor, role, S1, S1_conf, ST, ST_conf`` (half-widths
        of the intervals). A KPI that does not vary gets NaN indices.

    Raises:
        SweepError: If the design is not Sobol or points are missing.
    """
    from SALib.analyze import sobol

    spec = sweep.spec
    if spec.design.kind != "sobol":
        raise SweepError(f"Sobol indices need a sobol design; this sweep is {spec.design.kind}")
    columns = ("S1", "S1_conf", "ST", "ST_conf")

    def analyze(y: np.ndarray) -> dict[str, Any]:
        if np.nanstd(y) == 0 or not np.all(np.isfinite(y)):
            return {key: [np.nan] * len(spec.factors) for key in columns}
        return sobol.analyze(
            spec.problem(), y, calc_second_order=spec.design.second_order,
            num_resamples=num_resamples, conf_level=conf_level, seed=spec.seed,
        )

    return _per_kpi(sweep, kpis, columns, analyze)


def morris_indices(
    sweep: Sweep, kpis: Sequence[str] | None = None, num_resamples: int = 1000,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Morris elementary-effect statistics per KPI (Morris designs).

    Args:
        sweep: The loaded sweep.
        kpis: KPIs (default: the spec's).
        num_resamples: Bootstrap resamples for the ``mu_star`` interval.
        conf_level: Confidence level.

    Returns:
        Tidy table: ``kpi, factor, role, mu, mu_star, mu_star_conf, sigma`` in
        KPI units per full factor range.

    Raises:
        SweepError: If the design is not Morris or points are missing.
    """
    from SALib.analyze import morris

    spec = sweep.spec
    if spec.design.kind != "morris":
        raise SweepError(f"Morris indices need a morris design; this sweep is {spec.design.kind}")
    x = _unit_matrix(sweep)
    return _per_kpi(
        sweep, kpis, ("mu", "mu_star", "mu_star_conf", "sigma"),
        lambda y: morris.analyze(
            spec.problem(), x, y, num_resamples=num_resamples, conf_level=conf_level,
            num_levels=spec.design.levels, seed=spec.seed,
        ),
    )


def rbd_fast_indices(
    sweep: Sweep, kpis: Sequence[str] | None = None, num_resamples: int = 200,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """RBD-FAST first-order indices per KPI (Latin hypercube designs).

    Args:
        sweep: The loaded sweep.
        kpis: KPIs (default: the spec's).
        num_resamples: Bootstrap resamples.
        conf_level: Confidence level.

    Returns:
        Tidy table: ``kpi, factor, role, S1, S1_conf``.

    Raises:
        SweepError: If the design is not LHS or points are missing.
    """
    from SALib.analyze import rbd_fast

    spec = sweep.spec
    if spec.design.kind != "lhs":
        raise SweepError(f"RBD-FAST indices need an lhs design; this sweep is "
                         f"{spec.design.kind}")
    x = _unit_matrix(sweep)
    return _per_kpi(
        sweep, kpis, ("S1", "S1_conf"),
        lambda y: rbd_fast.analyze(spec.problem(), x, y, num_resamples=num_resamples,
                                   conf_level=conf_level, seed=spec.seed),
    )


INDEX_METHODS = {"sobol": sobol_indices, "morris": morris_indices, "lhs": rbd_fast_indices}
"""Index estimator per design kind (grids have none: see their point table)."""


@dataclass
class Analysis:
    """What :func:`analyze_sweep` produced.

    Attributes:
        sweep: The loaded sweep.
        points: Per-point KPI summary.
        indices: Sensitivity indices (None for grids).
        method: ``"sobol"``, ``"morris"``, ``"rbd_fast"`` or ``""`` (grids).
        files: Tables and figures written.
        band: The practical threshold of "ahead" (default: the sweep's ``[analysis]``).
    """

    sweep: Sweep
    points: pd.DataFrame
    indices: pd.DataFrame | None
    method: str
    files: list[Path] = field(default_factory=list)
    band: Band | None = None

    def format(self) -> str:
        """A short plain-text report for the terminal."""
        sp = self.sweep.spec
        lines = [
            f"sweep {sp.name}: {sp.design.kind} design, {len(self.sweep.design)} points x "
            f"{sp.replicates} replicates; {len(self.sweep.results)} runs finished, "
            f"{len(self.sweep.failures)} failed",
        ]
        if self.indices is not None:
            cols = [c for c in self.indices.columns if c != "kpi"]
            for k, df in self.indices.groupby("kpi", sort=False):
                pp = self.method == "morris" and is_share(str(k))  # effects of a share
                lines.append(f"\n{self.method} indices for {k}"
                             f"{' (in percentage points)' if pp else ''}"
                             f"{', 3 significant digits' if self.method == 'morris' else ''}:")
                if self.method == "morris":
                    lines.append(morris_table(df, 100.0 if pp else 1.0))
                    continue
                lines.append(df[cols].to_string(index=False, float_format=number))
            small = small_design_note(sp)
            if small:
                lines.append(f"\nnote: {small}")
        else:
            means = [c for c in self.points.columns if c.endswith("_mean")]
            show = self.points[[*sp.factor_names, *means]].copy()
            for f in sp.factor_names:
                show[f] = [value_text(sp, f, v) for v in show[f]]
            lines.append("\nmean KPIs per point:")
            lines.append(show.to_string(index=False, formatters={
                c: functools.partial(kpi_text, c.removesuffix("_mean"))
                for c in means if pd.api.types.is_numeric_dtype(show[c])}))
        kpis = [c.removesuffix("_mean") for c in self.points.columns if c.endswith("_mean")]
        heading, best = best_points(self.sweep.results, sp, kpis, self.band)
        lines.append(f"\n{heading}")
        lines += [f"  {line}" for line in best]
        lines.append(f"\nwritten: {self.files[0].parent if self.files else ''}")
        return "\n".join(lines)


def morris_direction(mu: float, mu_star: float, conf: float) -> str:
    """The direction of a factor's effect in words, said only when it is clear.

    Rule: ``raises`` or ``lowers`` (the sign of ``mu``) when ``|mu|`` is both
    larger than the bootstrap half-width of ``mu_star`` (the signed effect stands
    out of the noise) and at least half of ``mu_star`` (most elementary effects
    share the sign: ``|mu| = mu_star`` when all do); otherwise ``mixed or unclear``.

    Args:
        mu: Signed mean elementary effect.
        mu_star: Mean absolute elementary effect.
        conf: Half-width of the 95% bootstrap interval of ``mu_star`` (NaN: 0).

    Returns:
        ``"raises"``, ``"lowers"`` or ``"mixed or unclear"``.
    """
    if not (np.isfinite(mu) and np.isfinite(mu_star)) or mu_star == 0:
        return "mixed or unclear"
    noise = float(np.nan_to_num(conf))
    if abs(mu) > noise and abs(mu) >= 0.5 * mu_star:
        return "raises" if mu > 0 else "lowers"
    return "mixed or unclear"


def significant(v: float, digits: int = 3) -> str:
    """``v`` to ``digits`` significant digits, never an exponent: 0.814, 2.11, 393,000."""
    if not np.isfinite(v):
        return "nan"
    if v == 0:
        return "0"
    decimals = digits - 1 - int(np.floor(np.log10(abs(v))))
    return f"{round(v, decimals):,.{max(decimals, 0)}f}"


def morris_table(df: pd.DataFrame, scale: float = 1.0) -> str:
    """Morris indices of one KPI as text: role, direction, effects to 3 significant digits.

    Args:
        df: Rows ``factor, role, mu, mu_star, mu_star_conf, sigma`` of one KPI.
        scale: Multiplier of the effects (100 for a share, in percentage points).

    Returns:
        The table.
    """
    show = df[["factor", "role"]].copy()
    show["direction"] = [morris_direction(m, s, c) for m, s, c in
                         zip(df["mu"], df["mu_star"], df["mu_star_conf"], strict=True)]
    for c in ("mu", "mu_star", "mu_star_conf", "sigma"):
        show[c] = [significant(scale * float(v)) for v in df[c]]
    return show.to_string(index=False)


def small_design_note(spec: SweepSpec) -> str:
    """A warning when the design is too small for trustworthy indices, else ""."""
    n = spec.design.samples
    if spec.design.kind == "sobol" and n is not None and n < 64:
        return (f"{n} Sobol base samples is small: the intervals will be wide and indices "
                "can fall outside [0, 1]; use design.samples = 256 or more for results "
                "(docs/sweeps.md)")
    if spec.design.kind == "morris" and n is not None and n < 10:
        return (f"{n} Morris trajectories is few: the ranking may change with more; use 10 "
                "to 20 (docs/sweeps.md)")
    return ""
