"""Shared fixtures and test-session settings.

Plain helpers (paths, small scenarios, the sweep CLI runner, graphs) live in
:mod:`tests.helpers`; the names below are re-exported for modules that import
them from here.

Hypothesis profiles (choose with the ``HYPOTHESIS_PROFILE`` environment variable):

* ``ci`` (default): derandomized, so every run tries the same examples; a
  bounded number of examples; no deadline (a loaded CI machine must not turn
  a slow example into a failure); no example database.
* ``dev``: random examples, ten times as many, with the local example
  database, for a thorough local hunt (``HYPOTHESIS_PROFILE=dev make test``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import ONLY_CHURN_CONTAGION, ROOT, SCENARIOS, small

__all__ = ["ONLY_CHURN_CONTAGION", "ROOT", "SCENARIOS", "small"]

CI_EXAMPLES = 60
"""Examples per property test in the default (``ci``) profile."""

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=CI_EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=10 * CI_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SWEEP_LOG_ENV = "TRUSTSIM_TEST_LOG_DIR"
"""Where sweep-test run functions (in worker processes too) find their log folders."""


@pytest.fixture(scope="session", autouse=True)
def sweep_log_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A session folder, named in ``$TRUSTSIM_TEST_LOG_DIR``, linking seeds to log folders.

    Set before the first test, so before any worker pool or forkserver exists:
    worker processes inherit the environment of the process that started
    them, and a forkserver keeps the one it started with. Each sweep test
    links its own log folder (inside its ``tmp_path``) here under its run
    seed (see ``tests/test_sweep_execute.py``); nothing is logged here
    directly. The variable is restored when the session ends.
    """
    root = tmp_path_factory.mktemp("sweep-logs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SWEEP_LOG_ENV, str(root))
        yield root
