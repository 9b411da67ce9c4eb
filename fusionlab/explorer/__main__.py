"""``python -m fusionlab.explorer FILES... --weights 7:13 --domain prob --consensus max``."""

from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
