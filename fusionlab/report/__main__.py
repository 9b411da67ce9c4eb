"""``python -m fusionlab.report FILES... --report DIR``: the same as ``fusionlab report``."""

import sys

from ..cli import run_subcommand

sys.exit(run_subcommand("report", prog="python -m fusionlab.report"))
