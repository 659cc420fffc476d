"""Batch parameter sweeps and sensitivity analysis.

Local worker processes by default; a Dask cluster when one machine is not
enough (``scheduler="tcp://host:8786"`` or ``TRUSTSIM_SCHEDULER``). See
``docs/sweeps.md``.

Example:
    >>> from sim.sweep import run_sweep, analyze_sweep
    >>> res = run_sweep("scenarios/sweeps/escalation_vs_transparency.toml",
    ...                 out="results/sweeps/evt")           # doctest: +SKIP
    >>> analyze_sweep("results/sweeps/evt")                 # doctest: +SKIP
"""

from sim.sweep.analyze import Analysis, analyze_sweep, load_sweep
from sim.sweep.designs import build_design, run_seed
from sim.sweep.errors import SweepError, SweepInterrupted
from sim.sweep.execute import SCHEDULER_ENV, SweepResult, open_executor, plan, run_sweep
from sim.sweep.runners import FunctionRunner, RunOutput, RunTask, ScenarioRunner, ishigami
from sim.sweep.spec import DesignSpec, Factor, SweepSpec, load_spec, spec_from_dict

__all__ = [
    "SCHEDULER_ENV",
    "Analysis",
    "DesignSpec",
    "Factor",
    "FunctionRunner",
    "RunOutput",
    "RunTask",
    "ScenarioRunner",
    "SweepError",
    "SweepInterrupted",
    "SweepResult",
    "SweepSpec",
    "analyze_sweep",
    "build_design",
    "ishigami",
    "load_spec",
    "load_sweep",
    "open_executor",
    "plan",
    "run_seed",
    "run_sweep",
    "spec_from_dict",
]
