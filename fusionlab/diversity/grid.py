"""The weight grid of the subset search and the per-video margins that score it fast.

:func:`weight_compositions` enumerates a simplex grid as integer compositions
(:func:`fusionlab.kernels.compositions`); :class:`Margins` turns the videos
into linear constraints on the weights, so the right count of every grid
point of a subset is a few vector operations (see
:func:`fusionlab.diversity.subset_accuracy`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..kernels import compositions

__all__ = ["Margins", "composition_margins", "grid_total", "weight_compositions"]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: A margin within this fraction of its terms' magnitude may be a tie
#: (float rounding is ~1e-16): such grid points are settled with rules.fuse.
_EPS = 1e-12
#: Grid points x constraints held in memory at once by the subset search.
_BLOCK_ELEMENTS = 4_000_000


def grid_total(step: float) -> int:
    if not (isinstance(step, (int, float)) and math.isfinite(step) and 0 < step <= 1):
        raise UsageError(f"weight step must lie in (0, 1], got {step!r}")
    total = round(1 / step)
    if abs(total * step - 1) > 1e-9:
        raise UsageError(f"weight step must divide 1 exactly (0.1, 0.05, 0.25, ...), got {step!r}")
    return int(total)


def weight_compositions(m: int, *, step: float = 0.1, positive: bool = True) -> IntArray:
    """Integer compositions ``k_1 + ... + k_m = 1/step`` of a simplex weight grid.

    The weights are ``k / (1/step)``; they are enumerated as integers and
    divided, never filtered as floats.

    Parameters
    ----------
    m : int
        Number of components (>= 1).
    step : float, keyword-only, default 0.1
        Grid step; ``1/step`` must be an integer.
    positive : bool, keyword-only, default True
        Only interior points (every ``k_i >= 1``); False includes zeros.

    Returns
    -------
    ndarray of shape (n_points, m), int64
        In lexicographic order.

    Examples
    --------
    >>> weight_compositions(2, step=0.25).tolist()
    [[1, 3], [2, 2], [3, 1]]
    >>> len(weight_compositions(3, positive=False))
    66
    """
    total = grid_total(step)
    if int(m) != m or m < 1:
        raise UsageError(f"need m >= 1 components, got {m!r}")
    m = int(m)
    return compositions(total, [1 if positive else 0] * m, [total] * m)


class Margins:
    """Per-video constraints deciding whether a weighted fusion is right.

    The weighted fusion of video n is right iff for every competitor class c:
    ``sum_k w_k D[n, k, c] > 0`` (c < y, which wins ties) or ``>= 0`` (c > y),
    with ``D = v[y] - v[c]`` (0 for a missing component) and weights ``w >= 0``
    (positive on the members of a subset, 0 elsewhere).

    Floating-point sums are not associative, so a margin within ``eps`` of 0
    (a bound far above the rounding error of any order of summation) is
    *uncertain*: :meth:`bounds` returns a lower and an upper bound of the
    number of right videos, equal whenever no margin is that close to a tie,
    and the caller settles uncertain grid points with ``rules.fuse`` itself.
    An exact tie (every member's ``D`` is exactly 0) is decided by the tie
    rule. Exact reductions keep the work small:

    * a constraint every component satisfies on its own (certainly) holds for
      all weights and subsets and is dropped once;
    * with ``implied=True`` (worth its cost for large grids only), a
      constraint implied by another of the same video on every component
      (componentwise dominance, respecting the tie rule) is dropped once;
    * per subset, constraints every member satisfies are skipped and a
      constraint every member violates makes the video wrong for all weights.
    """

    def __init__(
        self,
        v: Array,
        y: IntArray,
        mask: BoolArray | None,
        *,
        total: int,
        implied: bool = False,
    ) -> None:
        n, _, c = v.shape
        vy = v[np.arange(n), :, y][:, :, None]
        d = vy - v  # (N, K, C)
        scale = np.abs(vy) + np.abs(v)
        if mask is not None:
            d = np.where(mask[:, :, None], d, 0.0)
            scale = np.where(mask[:, :, None], scale, 0.0)
        eps = _EPS * total * scale.sum(axis=1)  # (N, C)
        strict = np.arange(c)[None, :] < y[:, None]
        zero = d == 0
        ok = (d > eps[:, None, :]) | (zero & ~strict[:, None, :])  # alone: certainly satisfied
        keep = ~ok.all(axis=1)
        keep[np.arange(n), y] = False
        vid, cls = np.nonzero(keep)  # sorted by video
        dl = np.ascontiguousarray(d[vid, :, cls].T)  # (K, L)
        st = strict[vid, cls]
        if implied:
            drop = _implied(dl, vid, st, np.where(st, 0, c) + cls)
        else:
            drop = np.zeros(vid.size, dtype=bool)
        self.vid = vid[~drop]
        strict_l = st[~drop]
        dk = dl[:, ~drop]
        eps_l = np.maximum(eps[vid, cls][~drop], np.finfo(np.float64).tiny)
        # margins in units of eps: |margin| <= 1 is a possible tie
        self.d = np.ascontiguousarray(dk / eps_l)
        z = dk == 0
        self.alone_ok = (self.d > 1) | (z & ~strict_l)  # (K, L)
        self.alone_bad = (self.d < -1) | (z & strict_l)
        self.n = n
        self.total = total

    def bounds(self, members: Sequence[int], valid: BoolArray | None) -> tuple[IntArray, IntArray]:
        """Bounds of the right videos at each interior grid point of ``members``.

        Returns ``lower, upper`` of shape (P,), P the rows of
        ``weight_compositions(len(members), step=1/total)`` in that order.
        """
        n_points = math.comb(self.total - 1, len(members) - 1)
        wrong0 = np.zeros(self.n, dtype=bool) if valid is None else ~valid
        idx = list(members)
        if self.vid.size:
            wrong0[self.vid[self.alone_bad[idx].all(axis=0)]] = True  # wrong for every weight
            active = ~self.alone_ok[idx].all(axis=0) & ~wrong0[self.vid]
        else:
            active = np.zeros(0, dtype=bool)
        base = self.n - int(np.count_nonzero(wrong0))
        if not active.any():
            full = np.full(n_points, base, dtype=np.int64)
            return full, full.copy()
        va = self.vid[active]
        starts = np.flatnonzero(np.r_[True, va[1:] != va[:-1]])
        d = self.d[idx][:, active]
        max_rows = _BLOCK_ELEMENTS // d.shape[1]
        uppers, lowers = [], []
        for margin in composition_margins(d, self.total, max_rows=max_rows):  # eps units
            worst = np.minimum.reduceat(margin, starts, axis=1)  # (rows, videos)
            wrong = worst < -1
            unsure = ~wrong & (worst <= 1)
            uppers.append(base - wrong.sum(axis=1))
            lowers.append(uppers[-1] - unsure.sum(axis=1))
        lower: IntArray = np.concatenate(lowers).astype(np.int64)
        upper: IntArray = np.concatenate(uppers).astype(np.int64)
        return lower, upper


def composition_margins(d: Array, total: int, *, max_rows: int) -> Iterator[Array]:
    """``weight_compositions(m, step=1/total) @ d`` for d of shape (m, L), in row blocks.

    Yields blocks of at most ``max_rows`` rows (one buffer, reused: consume
    each block before asking for the next), in the lexicographic order of
    :func:`weight_compositions` (positive parts). Compositions sharing a
    prefix share its partial sum, so the work is about two vector operations
    per composition whatever ``m``, and no BLAS call (multi-threaded BLAS is
    slow for such thin products on a busy machine).
    """
    m, size = d.shape
    n_rows = math.comb(total - 1, m - 1) if total >= m else 0
    block = np.empty((min(max(max_rows, 1), n_rows), size))
    row = 0

    def walk(j: int, remaining: int, prefix: Array | None) -> Iterator[Array]:
        nonlocal row
        if j == m - 1:
            np.multiply(d[j], remaining, out=block[row])
            if prefix is not None:
                block[row] += prefix
            row += 1
            if row == block.shape[0]:
                row = 0
                yield block
            return
        for k in range(1, remaining - (m - 1 - j) + 1):
            part = d[j] * k
            if prefix is not None:
                part += prefix
            yield from walk(j + 1, remaining - k, part)

    if n_rows:
        yield from walk(0, total, None)
        if row:
            yield block[:row]


def _implied(d: Array, vid: IntArray, strict: BoolArray, rank: IntArray) -> BoolArray:
    """Constraints implied by another constraint of the same video (to drop).

    Constraint j implies i when ``D_i >= D_j`` on every component, unless i is
    strict and j is not; of equal vectors the one of lower ``rank`` (strict
    first, then lower class) is kept. The relation is a strict partial order,
    so every dropped constraint is implied by a kept one.
    """
    size = vid.size
    if size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, vid[1:] != vid[:-1]])
    lengths = np.diff(np.r_[starts, size])
    seg_len = np.repeat(lengths, lengths)
    drop = np.zeros(size, dtype=bool)
    # all ordered pairs within each video, in chunks of about 4M pairs
    first = np.arange(size)
    cum = np.cumsum(seg_len)
    bounds = np.searchsorted(cum, np.arange(0, int(cum[-1]), 4_000_000), side="right")
    for lo, hi in zip(bounds, [*bounds[1:], size], strict=True):
        if lo >= hi:
            continue
        ii = np.repeat(first[lo:hi], seg_len[lo:hi])
        offset = np.arange(ii.size) - np.repeat(
            np.cumsum(seg_len[lo:hi]) - seg_len[lo:hi], seg_len[lo:hi]
        )
        jj = np.repeat(np.repeat(starts, lengths)[lo:hi], seg_len[lo:hi]) + offset
        di, dj = d[:, ii], d[:, jj]
        imp = (di >= dj).all(axis=0) & ~(strict[ii] & ~strict[jj]) & (ii != jj)
        imp &= ~(di == dj).all(axis=0) | (rank[jj] < rank[ii])
        drop[ii[imp]] = True
    return drop
