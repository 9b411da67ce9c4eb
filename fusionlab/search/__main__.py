"""``python -m fusionlab.search``: the same as ``fusionlab grid``."""

import sys

from ..cli import run_subcommand

sys.exit(run_subcommand("grid", prog="python -m fusionlab.search"))
