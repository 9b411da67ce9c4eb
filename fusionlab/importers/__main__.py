"""``python -m fusionlab.importers``: the same as ``fusionlab import``."""

import sys

from ..cli import run_subcommand

sys.exit(run_subcommand("import"))
