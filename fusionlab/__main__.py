"""``python -m fusionlab COMMAND ...``: the same as the ``fusionlab`` console command."""

import sys

from .cli import main

sys.exit(main())
