"""``trustsim dashboard [SCENARIO] [--host 127.0.0.1] [--port N]``: serve the dashboard.

The server is Solara's (``solara run sim.dashboard.app``), started as a child
process on the given host and port; the scenario travels in the
``TRUSTSIM_DASHBOARD_SCENARIO`` environment variable. The command checks the
scenario first, so a bad file fails here with the usual message, prints the
local URL and serves until interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sim.errors import ScenarioError
from sim.paths import find_file
from sim.scenario_io import load_scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "sim.dashboard.app"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``dashboard`` on the ``trustsim`` subcommands.

    Args:
        subparsers: The ``add_subparsers()`` object of the main parser.

    Returns:
        The subcommand's parser (its ``func`` is :func:`main`).
    """
    p = subparsers.add_parser(
        "dashboard", help="serve the interactive dashboard on this machine",
        description="Serve the interactive dashboard (Solara) on this machine: levers, "
                    "live weekly charts, A/B on the same consumers, network sample, "
                    "export, sweep results.",
    )
    p.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                   help="scenario TOML file or built-in name to start from (default: baseline)")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default: {DEFAULT_HOST}, this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                   help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)")
    p.set_defaults(func=main)
    return p


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port that is free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_command(host: str, port: int) -> list[str]:
    """The command line of the Solara server.

    Args:
        host: Address to listen on.
        port: Port.

    Returns:
        Arguments for :class:`subprocess.Popen`.
    """
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version", "--log-level", "warning"]


def server_env(scenario: str | Path) -> dict[str, str]:
    """The environment of the server: the caller's plus the scenario to start from."""
    return {**os.environ, "TRUSTSIM_DASHBOARD_SCENARIO": str(scenario)}


def main(args: argparse.Namespace) -> int:
    """Check the scenario, start the server, print its URL and wait for it.

    Args:
        args: Parsed arguments (``scenario``, ``host``, ``port``).

    Returns:
        0 after a clean stop, 1 for a bad scenario or a missing ``solara``,
        else the server's exit code.
    """
    try:
        import solara  # noqa: F401 - only to say clearly when the extra is missing
    except ImportError:
        print("error: the dashboard needs the 'dashboard' extra: "
              "pip install 'trustsim[dashboard]'", file=sys.stderr)
        return 1
    try:
        path = find_file(args.scenario)
        load_scenario(path)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    port = args.port or free_port(args.host)
    print(f"trustsim dashboard: http://{args.host}:{port}/ (scenario {path}); Ctrl-C stops it",
          flush=True)
    proc = subprocess.Popen(server_command(args.host, port), env=server_env(path.resolve()))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a TERM stops the server too
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
