"""What one run of a sweep does: the pluggable run function.

A *runner* is a picklable callable ``runner(task) -> outputs`` that takes a
:class:`RunTask` and returns its final KPIs as a mapping (or a
:class:`RunOutput` that also carries a weekly table). The default,
:class:`ScenarioRunner`, runs the trust model; :class:`FunctionRunner` wraps
any importable function ``f(task) -> mapping``, which is how a sweep file's
``[model] function = "package.module:function"`` is run and how the machinery
is checked against :func:`ishigami`, whose Sobol indices are known.
Such a function is code named by a data file: :func:`make_runner` imports it
only when the user allows it (``--allow-model-code``), and never from the
current folder (:func:`resolve_function`).

Runners and functions must live at module level in an importable module:
worker processes (``spawn``) and Dask workers import them by name.

Layer: sweep computation (one run, over sim.results.run); in sim.sweep: analysis |
runners | designs.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.posterior import Posterior
from sim.results import run
from sim.scenario_io import scenario_from_dict
from sim.sweep.errors import SweepError
from sim.sweep.spec import TRUSTSIM, SweepSpec

BUILTIN_FUNCTIONS = frozenset({"sim.sweep.runners:ishigami"})
"""Function models shipped with trustsim, which run without ``allow_model_code``."""


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep.

    Attributes:
        run_id: ``point * replicates + replicate``.
        point: Design point.
        replicate: Replicate number.
        seed: The run's seed (see :func:`sim.sweep.designs.run_seed`).
        values: Factor values keyed by factor key (scenario key path, or the
            argument name of a function model).
        params: The same values keyed by factor name (result-table columns).
    """

    run_id: int
    point: int
    replicate: int
    seed: int
    values: dict[str, Any]
    params: dict[str, Any]


@dataclass
class RunOutput:
    """What a run returns.

    Attributes:
        kpis: Final KPIs (plain numbers or strings).
        weekly: Optional weekly table (one row per week).
    """

    kpis: dict[str, Any]
    weekly: pd.DataFrame | None = None


Runner = Callable[[RunTask], "Mapping[str, Any] | RunOutput"]


class ScenarioRunner:
    """Runs the trust model: base scenario + factor values + the run's seed.

    With a posterior, replicate ``r`` first takes the posterior's draw
    ``posterior.draw_index(root_seed, r)`` (the same at every point), and the
    run's outputs record it: ``posterior_draw`` (the posterior's row, from 0)
    and ``posterior.KEY`` for each drawn value.

    Args:
        base: The base scenario as plain data (``Scenario.to_dict()``).
        weekly: Also return the weekly table.
        posterior: Posterior sample to draw each replicate's parameters from.
        root_seed: The sweep's root seed (seeds the draws; required with a posterior).
    """

    def __init__(self, base: Mapping[str, Any], weekly: bool = False,
                 posterior: Posterior | None = None, root_seed: int = 0) -> None:
        self.base = dict(base)
        self.weekly = weekly
        self.posterior = posterior
        self.root_seed = root_seed

    def __call__(self, task: RunTask) -> RunOutput:
        """Build the run's scenario, run it and return its summary.

        Args:
            task: The run.

        Returns:
            ``RunResult.summary`` and, if asked, the weekly table.
        """
        drawn: dict[str, Any] = {}
        if self.posterior is not None:
            i = self.posterior.draw_index(self.root_seed, task.replicate)
            drawn = self.posterior.row(i)
        overrides = {**drawn, **task.values}
        overrides["run.seed"] = task.seed
        overrides["run.replicate"] = task.replicate
        scenario = scenario_from_dict(self.base, overrides)
        res = run(scenario)
        kpis = dict(res.summary)
        if self.posterior is not None:
            kpis["posterior_draw"] = i
            kpis.update({f"posterior.{k}": v for k, v in drawn.items()})
        return RunOutput(kpis, res.weekly if self.weekly else None)


def _implicit_folder(entry: str, cwd: str) -> bool:
    """Whether a ``sys.path`` entry is the current folder ('' or its path)."""
    if entry in ("", "."):
        return True
    try:
        return os.path.realpath(entry) == cwd
    except (OSError, ValueError):
        return False


def _find_top(name: str, path: list[str]) -> Any:
    """Where the top-level module ``name`` would be imported from, searching ``path``."""
    saved = list(sys.path)
    sys.path[:] = path
    try:
        return importlib.util.find_spec(name)
    finally:
        sys.path[:] = saved


def resolve_function(ref: str) -> Callable[..., Any]:
    """Import ``"package.module:function"``, never from the current folder.

    The current folder (``''`` or its path on ``sys.path``, which ``python -m``
    and ``python -c`` put there) is not searched for the module's top-level
    package, so a file in the folder a sweep is started from is never picked
    up implicitly: the module must be installed or on ``PYTHONPATH`` by another
    path. Only where the module is found is checked (nothing is executed to
    check it); it is then imported as usual.

    Args:
        ref: Module path and attribute, separated by a colon.

    Returns:
        The callable.

    Raises:
        ImportError: If the module cannot be imported, or only from the current folder.
        AttributeError: If it has no such attribute.
        TypeError: If the attribute is not callable.
    """
    mod_name, _, attr = ref.partition(":")
    top = mod_name.split(".")[0]
    if top not in sys.modules:
        cwd = os.path.realpath(os.getcwd())
        found = _find_top(top, [e for e in sys.path if not _implicit_folder(e, cwd)])
        if found is None:
            raise ModuleNotFoundError(f"No module named {top!r} outside the current folder")
        if getattr(_find_top(top, list(sys.path)), "origin", None) != found.origin:
            raise ImportError(f"{top!r} in the current folder shadows the one on the path")
    obj: Any = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{ref} is not callable")
    return obj


class FunctionRunner:
    """Runs an importable function ``f(task) -> mapping of KPIs``.

    The function is held by reference (``"package.module:function"``) so the
    runner pickles cheaply and resolves the function once per worker.

    Args:
        ref: ``"package.module:function"``.
    """

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self._fn: Callable[[RunTask], Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"ref": self.ref}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.ref = state["ref"]
        self._fn = None

    def __call__(self, task: RunTask) -> Mapping[str, Any] | RunOutput:
        """Call the function on the task.

        Args:
            task: The run.

        Returns:
            Whatever the function returns (a mapping of KPIs or a RunOutput).
        """
        if self._fn is None:
            self._fn = resolve_function(self.ref)
        return self._fn(task)


def make_runner(spec: SweepSpec, weekly: bool = False, allow_model_code: bool = False) -> Runner:
    """The runner a sweep file asks for.

    A ``[model] function`` other than the trust model or a built-in one is
    code named by a data file: it is imported (here, to report a broken one
    before anything starts) only when the user allows it.

    Args:
        spec: The sweep.
        weekly: Keep each run's weekly table (trust model only).
        allow_model_code: Allow importing and running the sweep file's function
            (the command line's ``--allow-model-code``).

    Returns:
        A picklable runner.

    Raises:
        SweepError: If the function is not allowed, or cannot be imported.
    """
    if spec.model == TRUSTSIM:
        assert spec.base is not None
        return ScenarioRunner(spec.base, weekly=weekly, posterior=spec.posterior,
                              root_seed=spec.seed)
    where = f"{spec.path}: " if spec.path else ""
    if spec.model not in BUILTIN_FUNCTIONS:
        if not allow_model_code:
            raise SweepError(
                f"{where}model.function = {spec.model!r} names Python code, which a sweep "
                "file only runs when you allow it: if you trust this file, rerun with "
                "--allow-model-code (Python: allow_model_code=True)"
            )
        try:
            resolve_function(spec.model)
        except Exception as exc:  # the module's own import errors too: one clear message
            raise SweepError(
                f"{where}model.function = {spec.model!r}: cannot use it: "
                f"{type(exc).__name__}: {exc} (the module must be installed or on "
                "PYTHONPATH; the current folder is never searched)"
            ) from None
    return FunctionRunner(spec.model)


def as_output(out: Mapping[str, Any] | RunOutput) -> RunOutput:
    """Normalise a runner's return value.

    Args:
        out: A mapping of KPIs, or a RunOutput.

    Returns:
        A RunOutput whose KPIs are plain Python values.

    Raises:
        TypeError: If the value is neither.
    """
    if isinstance(out, RunOutput):
        res = out
    elif isinstance(out, Mapping):
        res = RunOutput(dict(out))
    else:
        raise TypeError(
            f"a run function must return a mapping of KPIs, got {type(out).__name__}"
        )
    res.kpis = {str(k): (v.item() if hasattr(v, "item") else v) for k, v in res.kpis.items()}
    return res


ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami(task: RunTask) -> dict[str, float]:
    """The Ishigami function, a known-answer test of sensitivity analysis.

    ``y = sin x1 + a sin^2 x2 + b x3^4 sin x1`` with ``x_i`` uniform on
    [-pi, pi], ``a = 7``, ``b = 0.1``. Its Sobol indices are known exactly:
    S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244).

    Args:
        task: A run whose values hold ``x1``, ``x2``, ``x3``.

    Returns:
        ``{"y": value}``.
    """
    x1, x2, x3 = (float(task.values[k]) for k in ("x1", "x2", "x3"))
    y = math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * math.sin(x1)
    return {"y": y}
