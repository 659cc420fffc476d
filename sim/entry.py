"""The ``trustsim`` console script's entry point: Ctrl-C at any moment exits 130 quietly.

The command line (:mod:`sim.cli`) imports numpy, pandas and mesa, which takes
about a second; a Ctrl-C in that second used to print a ``KeyboardInterrupt``
traceback from deep inside an import. This module imports nothing heavy (and
``sim/__init__.py`` imports its public names lazily), so the handling below is
in place before the heavy imports start.
"""

from __future__ import annotations

import sys

from sim.errors import EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    """Run the command line; a Ctrl-C while it loads or runs exits 130 without a traceback.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).

    Returns:
        The exit code of :func:`sim.cli.main`, or 130 if interrupted.
    """
    try:
        from sim.cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
