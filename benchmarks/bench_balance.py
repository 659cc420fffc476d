"""Balance of the mechanisms (issue 12): who loses trust, from what, and how far news goes.

Usage::

    python benchmarks/bench_balance.py              # 20,000 consumers, seed 3 (a minute or two)
    python benchmarks/bench_balance.py --size 2000  # a quick look

Each figure is one run (or one pair of runs sharing population, network and
draws) of the built-in ``baseline`` scenario with the overrides named below;
the ``before`` column is the same measurement on the model before the balance
change (commit e05a3e1, 20,000 consumers, seed 3). ``tests/test_balance.py``
asserts the targets with these same functions at small sizes.

Measures:
* ``personal_*``: escalation fixed at ``personal`` all year, with and without
  word of mouth: mean final trust, per segment, and the per-segment median of
  each consumer's trust loss (initial minus final).
* ``breach_*``: the ``data_breach`` scenario (severity 0.8, irresponsible,
  week 26, media reach 0.3) against the same run without the breach: the
  per-segment median final trust, and the median of each consumer's paired
  loss (without minus with).
* ``reach_*``: share of consumers aware of an incident by week 52, for a
  severity-0.3 incident with 2% media reach and a severity-0.8 one with 30%,
  both in week 0 (the most time to spread).
* ``asymmetry_*``: mean final trust at ``interest`` and at ``personal`` with
  ``trust.asymmetry`` 1 and 5.
* ``exposure_*``: mean weekly share of consumers who see a public post about
  the brand, at ``interest`` and ``personal`` (:func:`sim.mechanisms.wom.public_exposure`).
* ``churn_*``: cumulative churn (1 - retention) at ``interest`` and ``personal``,
  and the breach's abnormal churn.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

import sim
from sim.markets import SEGMENTS
from sim.mechanisms import wom

BEFORE: dict[str, Any] = {
    "personal_mean_trust_wom": 0.107,
    "personal_mean_trust_no_wom": 0.425,
    "personal_loss_wom": {"fundamentalist": 0.464, "pragmatist": 0.488, "unconcerned": 0.52},
    "personal_loss_no_wom": {"fundamentalist": 0.343, "pragmatist": 0.138, "unconcerned": 0.032},
    "personal_trust_unconcerned_wom": 0.156,
    "personal_trust_unconcerned_no_wom": 0.61,
    "breach_loss": {"fundamentalist": 0.087, "pragmatist": 0.108, "unconcerned": 0.118},
    "breach_p50_unconcerned_without": 0.654,
    "breach_p50_unconcerned_with": 0.546,
    "breach_p50_fundamentalist_without": 0.518,
    "breach_p50_fundamentalist_with": 0.437,
    "breach_p50_pragmatist_without": 0.607,
    "breach_p50_pragmatist_with": 0.508,
    "breach_abnormal_churn": 0.04,
    "reach_minor": 0.382,
    "reach_severe": 0.788,
    "asymmetry_interest_1": 0.593,
    "asymmetry_interest_5": 0.587,
    "asymmetry_personal_1": 0.122,
    "asymmetry_personal_5": 0.088,
    "churn_interest": 0.13,
    "churn_personal": 0.36,
}
"""This script's figures on the model before the change (commit e05a3e1, 20,000 consumers,
seed 3); they agree with the issue's within 0.03 (the issue read some from other columns)."""

PERSONAL = {"strategy.escalation.level": "personal"}
NO_WOM = {"wom.enabled": False}
BREACH_WEEK = 26


def scenario(size: int, seed: int, overrides: dict[str, Any] | None = None,
             name: str = "baseline") -> sim.Scenario:
    """A built-in scenario at ``size`` consumers and ``seed``, with overrides."""
    return sim.load_scenario(name, overrides={"population.size": size, "run.seed": seed,
                                              **(overrides or {})})


def segment_medians(values: np.ndarray, segment: np.ndarray) -> dict[str, float]:
    """Median of ``values`` per privacy segment."""
    seg = np.asarray(segment)
    return {s: float(np.median(values[seg == s])) for s in SEGMENTS}


def personal_losses(size: int, seed: int, wom: bool = True,
                    overrides: dict[str, Any] | None = None) -> tuple[dict[str, float], float]:
    """Median trust loss per segment under ``personal`` all year, and the mean final trust."""
    extra = {**PERSONAL, **({} if wom else NO_WOM), **(overrides or {})}
    c = sim.run(scenario(size, seed, extra)).consumers
    loss = (c["initial_trust"] - c["trust"]).to_numpy()
    return segment_medians(loss, c["segment"]), float(c["trust"].mean())


def breach_losses(size: int, seed: int,
                  overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Paired median trust loss per segment from the ``data_breach`` scenario's breach."""
    sc = scenario(size, seed, overrides, "data_breach")
    with_b, without = sim.run(sc), sim.run(sim.with_overrides(sc, {"incidents.events": []}))
    a, b = without.consumers, with_b.consumers
    loss = (a["trust"] - b["trust"]).to_numpy()
    return {
        "loss": segment_medians(loss, b["segment"]),
        "p50_without": segment_medians(a["trust"].to_numpy(), a["segment"]),
        "p50_with": segment_medians(b["trust"].to_numpy(), b["segment"]),
        "abnormal_churn": float(sim.abnormal_churn(without, with_b, BREACH_WEEK).iloc[-1]),
    }


def incident_reach(size: int, seed: int, severity: float, media_reach: float,
                   overrides: dict[str, Any] | None = None) -> float:
    """Share of consumers aware of a week-0 incident by the end of week 52."""
    ev = {"week": 0, "severity": severity, "responsible": False, "media_reach": media_reach}
    res = sim.run(scenario(size, seed, {"incidents.events": [ev], **(overrides or {})}))
    return float(res.consumers["aware_week"].notna().mean())


def public_exposure(size: int, seed: int, overrides: dict[str, Any]) -> float:
    """Mean weekly share of consumers who see at least one public post about the brand."""
    sc = scenario(size, seed, overrides)
    posts = sim.run(sc).weekly["public_posts"].to_numpy()
    w = sc.wom
    return float(np.mean([wom.public_exposure(int(k), size, w.public_reach, w.public_attention)
                          for k in posts]))


def mean_trust(size: int, seed: int, overrides: dict[str, Any]) -> float:
    """Mean final trust of a baseline run with overrides."""
    return float(sim.run(scenario(size, seed, overrides)).summary["mean_trust"])


def churn(size: int, seed: int, overrides: dict[str, Any]) -> float:
    """Cumulative churn (1 - retention) of a baseline run with overrides."""
    return 1.0 - float(sim.run(scenario(size, seed, overrides)).summary["retention"])


def measure(size: int, seed: int) -> dict[str, Any]:
    """Every figure of this benchmark."""
    out: dict[str, Any] = {}
    pl_wom, out["personal_mean_trust_wom"] = personal_losses(size, seed, wom=True)
    pl_none, out["personal_mean_trust_no_wom"] = personal_losses(size, seed, wom=False)
    out["personal_loss_wom"], out["personal_loss_no_wom"] = pl_wom, pl_none
    for w, ov in (("wom", PERSONAL), ("no_wom", {**PERSONAL, **NO_WOM})):
        c = sim.run(scenario(size, seed, ov)).consumers
        out[f"personal_trust_unconcerned_{w}"] = float(
            c.loc[c["segment"] == "unconcerned", "trust"].mean())
    br = breach_losses(size, seed)
    out["breach_loss"] = br["loss"]
    for s in ("unconcerned", "fundamentalist", "pragmatist"):
        out[f"breach_p50_{s}_without"] = br["p50_without"][s]
        out[f"breach_p50_{s}_with"] = br["p50_with"][s]
    out["breach_abnormal_churn"] = br["abnormal_churn"]
    out["reach_minor"] = incident_reach(size, seed, 0.3, 0.02)
    out["reach_severe"] = incident_reach(size, seed, 0.8, 0.3)
    for lv in ("interest", "personal"):
        for a in (1.0, 5.0):
            out[f"asymmetry_{lv}_{a:g}"] = mean_trust(
                size, seed, {"strategy.escalation.level": lv, "trust.asymmetry": a})
    out["exposure_interest"] = public_exposure(size, seed, {})
    out["exposure_personal"] = public_exposure(size, seed, PERSONAL)
    out["churn_interest"] = churn(size, seed, {})
    out["churn_personal"] = churn(size, seed, PERSONAL)
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict):
        return "  ".join(f"{k[:5]} {x:.3f}" for k, x in v.items())
    return f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    """Print the figures beside the pre-change ones; write them as JSON with ``--json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    got = measure(args.size, args.seed)
    print(f"figures at {args.size:,} consumers, seed {args.seed}; before: 20,000, seed 3")
    for k, v in got.items():
        print(f"{k:<34} before {_fmt(BEFORE.get(k))}")
        print(f"{'':<34} after  {_fmt(v)}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"size": args.size, "seed": args.seed, "after": got, "before": BEFORE},
                      fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
