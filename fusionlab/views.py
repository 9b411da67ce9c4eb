"""Test-time views: the protocols of a view layout, duplicate and missing views.

A score file whose ``meta`` holds ``"views": {"clips": T, "crops": K}`` (see
:func:`fusionlab.scores.check_views`) stores S = T x K test-time views on its
segment axis, **clip-major**: entry ``t * K + k`` is temporal clip ``t`` under
spatial crop ``k``, crop 0 being the centre crop. A *protocol* is the set of
views a test procedure uses:

==========  ===========================  ==========================================
key         label                        views
==========  ===========================  ==========================================
``one``     1 clip, centre crop          the middle clip ``T // 2`` (0-based; for an
                                         even T the later of the two middle clips),
                                         crop 0
``clips``   clips only (centre crop)     every clip, crop 0
``crops``   crops only (middle clip)     clip ``T // 2``, every crop
``all``     all views                    every view
==========  ===========================  ==========================================

Protocols holding the same views as an earlier one in this order are left out
(with one crop, ``crops`` is ``one`` and ``clips`` is ``all``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "PROTOCOL_LABELS",
    "PROTOCOL_ORDER",
    "duplicate_views",
    "middle_clip",
    "view_index",
    "view_protocols",
]

#: Display label of each protocol key.
PROTOCOL_LABELS: dict[str, str] = {
    "one": "1 clip, centre crop",
    "clips": "clips only (centre crop)",
    "crops": "crops only (middle clip)",
    "all": "all views",
}
#: Protocols in the order they are generated (and de-duplicated).
PROTOCOL_ORDER: tuple[str, ...] = ("one", "clips", "crops", "all")


def middle_clip(clips: int) -> int:
    """The clip of the one-clip protocols: ``clips // 2`` (0-based).

    >>> middle_clip(10), middle_clip(3), middle_clip(1)
    (5, 1, 0)
    """
    return clips // 2


def view_protocols(clips: int, crops: int) -> list[tuple[str, tuple[int, ...]]]:
    """The protocols of a ``clips`` x ``crops`` layout: ``(key, view indices)``.

    Indices are positions on the segment axis (clip-major, ``t * crops + k``),
    in increasing order; protocols repeating the views of an earlier one are
    left out.

    Examples
    --------
    >>> view_protocols(2, 2)
    [('one', (2,)), ('clips', (0, 2)), ('crops', (2, 3)), ('all', (0, 1, 2, 3))]
    >>> [k for k, _ in view_protocols(4, 1)]
    ['one', 'clips']
    """
    m = middle_clip(clips)
    sets = {
        "one": (m * crops,),
        "clips": tuple(t * crops for t in range(clips)),
        "crops": tuple(m * crops + k for k in range(crops)),
        "all": tuple(range(clips * crops)),
    }
    out: list[tuple[str, tuple[int, ...]]] = []
    for key in PROTOCOL_ORDER:
        if all(sets[key] != v for _, v in out):
            out.append((key, sets[key]))
    return out


def view_index(views: tuple[int, ...], n_segments: int) -> slice | list[int]:
    """``views`` as a basic slice where they are evenly spaced (no copy), else a list."""
    if views == tuple(range(n_segments)):
        return slice(None)
    if len(views) == 1:
        return slice(views[0], views[0] + 1)
    step = views[1] - views[0]
    if step > 0 and views == tuple(range(views[0], views[-1] + 1, step)):
        return slice(views[0], views[-1] + 1, step)
    return list(views)


def _multipliers(n: int) -> npt.NDArray[np.uint64]:
    """Odd 64-bit multipliers of the view hash (fixed seed: the same on every run)."""
    rng = np.random.default_rng(0x5EED)
    m: npt.NDArray[np.uint64] = rng.integers(0, 2**63, size=n, dtype=np.uint64) * 2 + 1
    return m


def duplicate_views(
    scores: npt.NDArray[Any], mask: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.bool_]:
    """Views identical to an earlier valid view of the same video.

    Parameters
    ----------
    scores : ndarray of shape (n_videos, n_views, n_classes)
        Scores as stored (any domain, any float dtype).
    mask : ndarray of bool, shape (n_videos, n_views), optional
        False = missing view; missing views are never duplicates nor originals.

    Returns
    -------
    ndarray of bool, shape (n_videos, n_views)
        True where view ``j`` has the same score vector (every class equal) as
        some valid view ``i < j`` of the same video; the first of a group of
        identical views is not counted, so ``sum()`` is the number of views
        that add nothing.

    Notes
    -----
    Candidates are found by an exact integer hash of the scores' bits (wrapping
    64-bit arithmetic) and confirmed by comparing the values, so the result is
    exact.

    Examples
    --------
    >>> x = np.array([[[0.1, 0.9], [0.1, 0.9], [0.8, 0.2], [0.1, 0.9]]])
    >>> duplicate_views(x).astype(int).tolist()
    [[0, 1, 0, 1]]
    """
    x = np.ascontiguousarray(scores)
    n, s, c = x.shape
    out = np.zeros((n, s), dtype=bool)
    if s < 2 or n == 0:
        return out
    bits = x.view(np.dtype(f"u{x.dtype.itemsize}")).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = (bits * _multipliers(c)).sum(axis=2, dtype=np.uint64)
    cand = h[:, :, None] == h[:, None, :]
    cand &= np.triu(np.ones((s, s), dtype=bool), k=1)  # pairs i < j
    if mask is not None:
        cand &= mask[:, :, None] & mask[:, None, :]
    v, i, j = np.nonzero(cand)
    same = (x[v, i] == x[v, j]).all(axis=1)
    out[v[same], j[same]] = True
    return out
