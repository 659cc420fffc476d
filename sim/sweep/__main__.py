"""``python -m sim.sweep sweep SPEC ...`` / ``python -m sim.sweep analyze DIR``.

A Ctrl-C at any moment once this module runs exits 130 with one line, no
traceback.

Layer: command line; in sim.sweep: __main__ (the top, over cli).
"""

import sys

from sim.errors import EXIT_INTERRUPTED


def _main() -> int:
    try:
        from sim.sweep.cli import main

        return main()
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(_main())
