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

# Layers of sim.sweep, top to bottom; a module imports only from layers below
# it (modules on one line do not import each other). Each module's docstring
# names its layer of the package too.
#
#   __main__                         python -m sim.sweep (top)
#   cli                              command line
#   analyze | execute                application: analyse a sweep folder / run a sweep into one
#   executors                        where runs execute: local processes, Dask, in-process
#   worker                           what a worker does: run a chunk, save each run
#   store | figures                  the sweep folder's files / pure drawing of an Analysis
#   analysis | runners | designs     sweep computation: indices, one run, design points
#   spec                             reading and checking a sweep file (over the scenario reader)
#   schema                           the sweep file's pydantic models
#   spec_types                       the validated sweep's plain data types
#   errors                           sweep errors (bottom)

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
