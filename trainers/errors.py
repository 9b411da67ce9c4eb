"""Errors of the trainers, inside fusionlab's one error hierarchy.

Every error a user can cause (a missing frame folder, a split list in the
wrong format, a checkpoint that does not match the run) is a
:class:`fusionlab.errors.FusionlabError`; the command lines print it as one
line on stderr and exit with status 2. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

from fusionlab.errors import FusionlabError, UsageError

__all__ = ["CheckpointError", "DataError", "FusionlabError", "UsageError"]


class DataError(FusionlabError, ValueError):
    """A data folder, frame file or split list is missing, empty or unreadable.

    Examples
    --------
    >>> str(DataError("data/rgb: no such folder (expected per-video frame folders)"))
    'data/rgb: no such folder (expected per-video frame folders)'
    """


class CheckpointError(FusionlabError, ValueError):
    """A checkpoint is missing, unreadable, or belongs to a different run configuration."""
