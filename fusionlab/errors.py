"""The one error hierarchy of fusionlab.

Every error a user can cause (a bad file, a bad option, streams that do not
align) is a :class:`FusionlabError`. The command line turns these into a single
line on stderr and exit status 2; any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations

import os

__all__ = [
    "AlignmentError",
    "FusionlabError",
    "ScoreFileError",
    "UsageError",
]


class FusionlabError(Exception):
    """Base class of every error caused by input rather than by a bug."""


class UsageError(FusionlabError, ValueError):
    """An option or argument has a value that cannot be used."""


class ScoreFileError(FusionlabError, ValueError):
    """A score file is missing, unreadable or violates the format.

    The message always starts with the file name, so that one line on stderr
    says which file is wrong and what is wrong with it.

    Examples
    --------
    >>> str(ScoreFileError("scores/rgb.npz", "missing required key 'labels'"))
    "scores/rgb.npz: missing required key 'labels'"
    """

    def __init__(self, path: str | os.PathLike[str] | None, problem: str) -> None:
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        super().__init__(problem if self.path is None else f"{self.path}: {problem}")


class AlignmentError(FusionlabError, ValueError):
    """Several score files cannot be aligned into one evaluation."""
