"""``python -m fusionlab.report FILES... --report DIR``."""

from __future__ import annotations

import sys

from . import _main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
