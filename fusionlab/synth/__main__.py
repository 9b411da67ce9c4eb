"""``python -m fusionlab.synth OUT_DIR [--splits 1 2 3] [--seed S]``: HMDB51-like files."""

import sys

from ..commands.synth import main

sys.exit(main())
