"""fusionlab: offline score fusion for two-stream and TSN-style video recognition.

``import fusionlab`` is light: it loads numpy and the score-file modules only;
plotting, reporting and torch are imported by the functions that need them.
"""

from __future__ import annotations

from .alignment import Evaluation, align, group
from .errors import AlignmentError, FusionlabError, ScoreFileError, UsageError
from .scores import ScoreSet, load, save

__version__ = "0.1.0"

__all__ = [
    "AlignmentError",
    "Evaluation",
    "FusionlabError",
    "ScoreFileError",
    "ScoreSet",
    "UsageError",
    "__version__",
    "align",
    "group",
    "load",
    "save",
]
