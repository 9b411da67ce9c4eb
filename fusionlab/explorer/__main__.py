"""``python -m fusionlab.explorer FILES... --weights rgb=7,flow=13``: as ``fusionlab explorer``."""

import sys

from ..cli import run_subcommand

sys.exit(run_subcommand("explorer", prog="python -m fusionlab.explorer"))
