"""The mechanisms attribution switches off: names, labels and the overrides that do it.

Each mechanism is switched off by scenario keys only (no change to the model),
in a way that leaves every other mechanism's random draws as they were
(streams are keyed by name and week, :mod:`sim.rng`):

* **ads crossing the line** (``crossings``): every ladder level's
  intrusiveness set to 0 and ``perception.noise_sd`` to 0, so no ad crosses
  anyone's line (effective thresholds are never below 0). The ads that crossed
  become acceptable ones: no trust loss, walk-outs or complaints from them,
  and the trust gain of an acceptable ad instead. (``trust.asymmetry`` cannot
  go below 1, so "crossing ads without effect" is not expressible by keys.)
* **word of mouth** (``wom``): ``wom.enabled = false``: no complaints, posts or
  recommendations. Under adaptive escalation the brand then sees no
  complaints either, so its path may change: that is part of the effect.
* **data incidents** (``incidents``): ``incidents.enabled = false``.
* **churn contagion** (``contagion``): ``churn.contagion = false``.
* **consent violations** (``consent``): ``strategy.consent.penalty = 0``.

This module is light (no numpy run machinery), so the command line can list
the mechanisms without importing the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.config import Scenario


@dataclass(frozen=True)
class Mechanism:
    """One mechanism that attribution can switch off.

    Attributes:
        name: Short name (``"wom"``), used in tables and ``--mechanisms``.
        label: What a strategist reads (``"word of mouth"``).
        off: What switching it off means, in plain words.
        switch_off: The scenario overrides that switch it off.
        active: Whether it can change anything in a scenario (False: its
            share is zero without running it).
    """

    name: str
    label: str
    off: str
    switch_off: Callable[[Scenario], dict[str, Any]]
    active: Callable[[Scenario], bool]


def _no_crossings(sc: Scenario) -> dict[str, Any]:
    # every level's intrusiveness 0 and no perception noise: no ad crosses anyone's line
    # (effective thresholds are >= 0), while the perception draws are still made
    ladder = {f"strategy.ladder.{i}.intrusiveness": 0.0
              for i in range(len(sc.strategy.ladder))}
    return {**ladder, "perception.noise_sd": 0.0}


MECHANISMS: dict[str, Mechanism] = {m.name: m for m in (
    Mechanism("crossings", "ads crossing the line",
              "no ad crosses anyone's line: the ads that did are acceptable instead "
              "(no trust loss or walk-outs from them, no complaints about them)",
              _no_crossings,
              lambda sc: sc.perception.enabled and sc.strategy.reach > 0),
    Mechanism("wom", "word of mouth",
              "consumers do not talk: no complaints, public posts or recommendations "
              "(wom.enabled = false)",
              lambda sc: {"wom.enabled": False},
              lambda sc: sc.wom.enabled),
    Mechanism("incidents", "data incidents",
              "no incident happens: no news, no trust loss or exit intentions from it "
              "(incidents.enabled = false)",
              lambda sc: {"incidents.enabled": False},
              lambda sc: sc.incidents.enabled and bool(sc.incidents.events)),
    Mechanism("contagion", "churn contagion",
              "friends who left do not raise anyone's chance of leaving "
              "(churn.contagion = false)",
              lambda sc: {"churn.contagion": False},
              lambda sc: sc.churn.enabled and sc.churn.contagion),
    Mechanism("consent", "consent violations",
              "no extra trust loss for personalising above the consent gate without "
              "specific consent (strategy.consent.penalty = 0)",
              lambda sc: {"strategy.consent.penalty": 0.0},
              lambda sc: sc.trust.enabled and sc.strategy.consent.penalty > 0),
)}
"""The mechanisms attribution splits churn and trust loss between, in table order."""
