"""``python -m sim.sweep sweep SPEC ...`` / ``python -m sim.sweep analyze DIR``.

Layer: command line; in sim.sweep: __main__ (the top, over cli).
"""

import sys

from sim.sweep.cli import main

if __name__ == "__main__":
    sys.exit(main())
