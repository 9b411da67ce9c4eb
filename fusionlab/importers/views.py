"""Test-time views: ``--views CLIPSxCROPS``, and laying views out the way score files do.

A score file that declares ``meta["views"] = {"clips": T, "crops": K}`` holds
``T * K`` views on its segment axis **clip-major** with **crop 0 the centre
crop** (see :func:`fusionlab.scores.check_views`). The tools write them in
other orders:

- PySlowFast and VideoMAE number a video's views clip-major already (PySlowFast:
  view ``t * K + k``; VideoMAE: ``chunk_nb`` = clip, ``split_nb`` = crop);
- MMAction2 stacks them **crop-major** (``FormatShape``: ``N_crops x N_clips``);
- all three take three crops as left/top, centre, right/bottom
  (PySlowFast ``uniform_crop`` index 0, 1, 2; MMAction2 ``ThreeCrop``; VideoMAE's
  ``split_nb * spatial_step``).

:func:`to_clip_major` turns one video's views into the file's order; with three
crops they become centre, left/top, right/bottom (:func:`centre_first`). Other
crop counts keep the tool's crop order.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np

from ..errors import UsageError
from ._util import FloatArray

__all__ = ["ViewsArg", "centre_first", "parse_views", "to_clip_major", "views_meta"]

ViewsArg = str | tuple[int, int]
ViewOrder = Literal["clip-major", "crop-major"]

_VIEWS = re.compile(r"([0-9]{1,6})[xX]([0-9]{1,6})")


def parse_views(views: ViewsArg | None) -> tuple[int, int] | None:
    """``"10x3"`` (or ``(10, 3)``) as ``(clips, crops)``; None stays None.

    Examples
    --------
    >>> parse_views("10x3"), parse_views((4, 1)), parse_views(None)
    ((10, 3), (4, 1), None)
    """
    if views is None:
        return None
    if isinstance(views, str):
        m = _VIEWS.fullmatch(views.strip())
        if m is None:
            raise UsageError(
                f"views must be CLIPSxCROPS with positive integers (--views 10x3), got {views!r}"
            )
        t, k = int(m.group(1)), int(m.group(2))
    elif (
        isinstance(views, tuple)
        and len(views) == 2
        and all(type(v) is int for v in views)  # bool is not a count
    ):
        t, k = views
    else:
        raise UsageError(f"views must be 'CLIPSxCROPS' or (clips, crops), got {views!r}")
    if t < 1 or k < 1:
        raise UsageError(f"views needs positive clip and crop counts, got {t}x{k}")
    return t, k


def centre_first(crops: int) -> list[int]:
    """The tool's crop index for each crop of the file: three crops -> centre first.

    Examples
    --------
    >>> centre_first(3), centre_first(1)
    ([1, 0, 2], [0])
    """
    return [1, 0, 2] if crops == 3 else list(range(crops))


def to_clip_major(arr: FloatArray, clips: int, crops: int, *, order: ViewOrder) -> FloatArray:
    """One video's ``(clips * crops, C)`` views in the file's order (clip-major, centre first).

    ``order`` is how the tool stacks them: ``"clip-major"`` (view ``t * K + k``) or
    ``"crop-major"`` (view ``k * T + t``, MMAction2).

    Examples
    --------
    >>> x = np.arange(6.0).reshape(6, 1)  # crop-major: left t0, t1; centre t0, t1; right t0, t1
    >>> to_clip_major(x, 2, 3, order="crop-major").ravel().tolist()
    [2.0, 0.0, 4.0, 3.0, 1.0, 5.0]
    """
    c = arr.shape[-1]
    if order == "clip-major":
        grid = arr.reshape(clips, crops, c)
    else:
        grid = arr.reshape(crops, clips, c).transpose(1, 0, 2)
    out = grid[:, centre_first(crops)].reshape(clips * crops, c)
    return np.ascontiguousarray(out)


def views_meta(clips: int, crops: int) -> dict[str, Any]:
    """``{"views": {"clips": T, "crops": K}}`` for a reader's ``meta``."""
    return {"views": {"clips": clips, "crops": crops}}
