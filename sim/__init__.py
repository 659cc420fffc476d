"""trustsim: an agent-based simulation of consumer trust under personalised marketing.

The public API::

    import sim
    sc = sim.load_scenario("scenarios/baseline.toml",
                           overrides={"population.size": 100_000, "run.seed": 7})
    res = sim.run(sc)
    res.weekly, res.consumers, res.survey, res.summary, res.network, res.scenario
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

# Public name -> the module that defines it. Imported on first use (PEP 562), so
# that ``import sim`` (and the console script's entry module, :mod:`sim.entry`)
# is quick and a Ctrl-C during start-up can be handled before numpy, pandas and
# mesa load.
_PUBLIC = {
    "Attribution": "sim.attribution",
    "attribution": "sim.attribution",
    "explain": "sim.attribution",
    "Comparison": "sim.compare",
    "abnormal_churn": "sim.compare",
    "calibrate": "sim.calibrate.run",
    "compare": "sim.compare",
    "Scenario": "sim.config",
    "ScenarioError": "sim.errors",
    "fit_market": "sim.markets",
    "list_markets": "sim.markets",
    "ConsumerAgent": "sim.model",
    "TrustModel": "sim.model",
    "builtin_dir": "sim.paths",
    "RunResult": "sim.results",
    "run": "sim.results",
    "dumps_scenario": "sim.scenario_io",
    "load_scenario": "sim.scenario_io",
    "scenario_from_dict": "sim.scenario_io",
    "with_overrides": "sim.scenario_io",
    "load_spec": "sim.sweep",
    "run_sweep": "sim.sweep",
    "analyze_sweep": "sim.sweep.analyze",
    "load_sweep": "sim.sweep.analyze",
}

__all__ = sorted(_PUBLIC)


class _Package(types.ModuleType):
    """The package: a submodule import does not hide the public function of the same name.

    ``sim.compare`` is the function :func:`sim.compare.compare`, as it was when
    this module imported it eagerly; importing the submodule ``sim.compare``
    (which sets the package attribute) must not replace it by the module.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """Import a public name (or ``__version__``) on first use."""
    if name == "__version__":
        value: Any = importlib.import_module("sim.results").package_version()
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, as ``dir(sim)`` lists them."""
    return sorted([*globals(), *_PUBLIC, "__version__"])
