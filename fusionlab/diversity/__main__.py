"""``python -m fusionlab.diversity``: the ``fusionlab diversity`` command."""

import sys

from ..cli import run_subcommand

sys.exit(run_subcommand("diversity", prog="python -m fusionlab.diversity"))
