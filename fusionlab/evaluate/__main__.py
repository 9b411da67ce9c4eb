"""``python -m fusionlab.evaluate``: the same as ``fusionlab evaluate``."""

import sys

from ..cli import run_subcommand

sys.exit(run_subcommand("evaluate", prog="python -m fusionlab.evaluate"))
