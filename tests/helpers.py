"""Helpers shared by the test modules: paths, small sizes, the sweep CLI runner, graphs.

Fixtures live in ``tests/conftest.py``; plain functions and constants live
here, so that a test module imports them by name (``from tests.helpers import
BASELINE, cli``) instead of redefining them.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import sim

ROOT = Path(__file__).resolve().parents[1]
"""The source checkout."""
SCENARIOS = ROOT / "scenarios"
"""The scenario library."""
BASELINE = SCENARIOS / "baseline.toml"
"""The baseline scenario every small test scenario starts from."""

SMALL: dict[str, object] = {"population.size": 2000, "run.weeks": 20}
"""Overrides that make the baseline small enough for a unit test (about 0.1 s a run)."""

QUICK: dict[str, object] = {"population.size": 1500, "run.weeks": 12}
"""Smaller still, for tests that run many scenarios (command line, comparisons)."""

ONLY_CHURN_CONTAGION = {
    "perception.enabled": False,
    "trust.enabled": False,
    "wom.enabled": False,
    "incidents.enabled": False,
    "purchase.enabled": False,
}
"""Overrides that switch off every mechanism but churn."""


def small(**overrides: object) -> sim.Scenario:
    """The baseline scenario at :data:`SMALL` size, with dotted-key overrides.

    Args:
        **overrides: Dotted keys (``**{"run.seed": 3}``) or the same with ``__``
            for dots (``run__seed=3``).

    Returns:
        The validated scenario.
    """
    base = dict(SMALL)
    base.update({k.replace("__", "."): v for k, v in overrides.items()})
    return sim.load_scenario(BASELINE, overrides=base)


def as_set(overrides: Mapping[str, object]) -> list[str]:
    """Dotted-key overrides as ``--set key=value`` command-line arguments.

    Args:
        overrides: ``{dotted key: value}``.

    Returns:
        ``["--set", "key=value", ...]``.
    """
    return [arg for k, v in overrides.items() for arg in ("--set", f"{k}={v}")]


def cli(argv: list[str]) -> int:
    """Run a ``trustsim`` sweep subcommand (``sweep``, ``analyze``) in this process.

    Args:
        argv: Arguments after ``trustsim``.

    Returns:
        The command's exit status.
    """
    from sim.sweep.cli import add_parsers

    parser = argparse.ArgumentParser(prog="trustsim")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder / name`` (creating sub-folders) and return the path.

    Args:
        folder: Usually ``tmp_path``.
        name: File name, possibly with sub-folders.
        text: Content.

    Returns:
        The file's path.
    """
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def star(leaves: int) -> sp.csr_array:
    """Symmetric adjacency of a star: consumer 0 is every other consumer's only friend.

    Args:
        leaves: Number of leaves (consumers ``1..leaves``).

    Returns:
        ``(leaves + 1) x (leaves + 1)`` float32 CSR adjacency, stored both ways.
    """
    n = leaves + 1
    rows = np.r_[np.zeros(leaves, np.int64), np.arange(1, n)]
    cols = np.r_[np.arange(1, n), np.zeros(leaves, np.int64)]
    return sp.coo_array((np.ones(2 * leaves, np.float32), (rows, cols)), shape=(n, n)).tocsr()


def check_invariants(res: sim.RunResult) -> None:
    """Assert the invariants of a finished run."""
    w, c = res.weekly, res.consumers
    n = res.summary["consumers"]
    assert c["trust"].between(0, 1).all() and c["initial_trust"].between(0, 1).all()
    trust_cols = [col for col in w if col.startswith("trust_") or col.startswith("mean_trust")]
    vals = w[trust_cols].to_numpy(float)
    assert np.all((vals[~np.isnan(vals)] >= 0) & (vals[~np.isnan(vals)] <= 1))
    # counts conserved: customers + everyone who left = population, every week
    assert (w["customers"] + w["churned_cumulative"] == n).all()
    assert (w["customers"].diff().fillna(0) <= 0).all(), "no one comes back"
    assert (w["churned"] == -w["customers"].diff().fillna(w["churned"].iloc[0] * -1)).all()
    assert (w["crossed"] <= w["reached"]).all()
    assert (w["reached"] <= w["customers"] + w["churned"]).all()
    assert (w["complaints"] <= w["crossed"]).all()
    assert (w["public_posts"] <= w["complaints"]).all()
    assert w["revenue_cumulative"].is_monotonic_increasing
    assert w["week"].tolist() == list(range(len(w)))
    churned = c["churn_week"].notna()
    assert (churned == ~c["customer"]).all()
    assert int(churned.sum()) == int(w["churned_cumulative"].iloc[-1])


def wait_for_run_files(proc: subprocess.Popen, out: Path, count: int,
                       timeout: float = 120.0) -> None:
    """Wait until a sweep subprocess has saved ``count`` run files (or ended, or timed out).

    Args:
        proc: The running sweep.
        out: Its output folder.
        count: How many ``runs/run_*.json`` files to wait for.
        timeout: Seconds to wait at most.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / "runs").glob("run_*.json"))) >= count:
            return
        time.sleep(0.05)
