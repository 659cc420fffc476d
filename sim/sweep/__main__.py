"""``python -m sim.sweep sweep SPEC ...`` / ``python -m sim.sweep analyze DIR``."""

import sys

from sim.sweep.cli import main

if __name__ == "__main__":
    sys.exit(main())
