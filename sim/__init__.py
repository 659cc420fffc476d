"""trustsim: an agent-based simulation of consumer trust under personalised marketing.

The public API::

    import sim
    sc = sim.load_scenario("scenarios/baseline.toml",
                           overrides={"population.size": 100_000, "run.seed": 7})
    res = sim.run(sc)
    res.weekly, res.consumers, res.survey, res.summary, res.network, res.scenario
"""

from sim.compare import Comparison, abnormal_churn, compare
from sim.config import Scenario
from sim.errors import ScenarioError
from sim.markets import fit_market, list_markets
from sim.model import ConsumerAgent, TrustModel
from sim.paths import builtin_dir
from sim.results import RunResult, package_version, run
from sim.scenario_io import dumps_scenario, load_scenario, scenario_from_dict, with_overrides
from sim.sweep import load_spec, run_sweep
from sim.sweep.analyze import analyze_sweep, load_sweep

__version__ = package_version()

__all__ = [
    "Comparison",
    "ConsumerAgent",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "TrustModel",
    "abnormal_churn",
    "analyze_sweep",
    "builtin_dir",
    "compare",
    "dumps_scenario",
    "fit_market",
    "list_markets",
    "load_scenario",
    "load_spec",
    "load_sweep",
    "run",
    "run_sweep",
    "scenario_from_dict",
    "with_overrides",
]
