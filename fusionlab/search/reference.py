"""The reference decision: weighted fusion of one weight vector, ranks, the per-point loop.

Representation
--------------
Components are held as log-probabilities ``x`` of shape (n_videos, n_components,
n_classes) (float64), with an optional mask (n_videos, n_components) of valid
components and known labels ``y`` (n_videos,) (>= 0). ``domain="prob"`` fuses
``v = exp(x)``; ``domain="logit"`` fuses ``v = x`` (log-probabilities differ from
logits by a constant per component and video, which no linear fusion notices).

The reference decision
----------------------
For one weight vector ``w`` (non-negative, not all zero) the fused score of the
video ``n`` is :func:`fuse_weighted`::

    f = w[0] * v[:, 0] + w[1] * v[:, 1] + ... + w[K-1] * v[:, K-1]

accumulated left to right in float64, where ``v = numpy.exp(x)`` (computed once
on the whole array) or ``v = x``. With a mask, each video's weights are first
renormalised over its valid components exactly as :mod:`fusionlab.rules` does
(``w_k * mask_k`` divided by their left-to-right sum; equal weights over the valid
components when that sum is 0). These are the operations of
``rules.fuse("weighted", x, mask, domain=..., weights=counts)`` called with the
integer composition ``counts`` of a grid point, so a grid point's accuracy is
exactly the accuracy of that rule. Decisions: the true class ranks below every
class with a larger fused score and every class with an equal score and a lower
index (ties go to the lowest class index); top-k is correct iff fewer than k
classes rank above the true class.

:func:`naive_grid_accuracy` applies these operations point by point (slow); the
fast evaluator (:mod:`fusionlab.search.fast`) equals it exactly and re-checks its
near ties with the functions here. Weights must be finite, non-negative, and each
non-zero weight within ``[2**-60, 2**60]`` (underflow guard); every row needs a
positive sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..validation import check_domain, check_mask, check_x, check_y

__all__ = [
    "Array",
    "BoolArray",
    "Domain",
    "IntArray",
    "Mask",
    "Over",
    "check_ks",
    "check_weights",
    "correct_at",
    "domain_values",
    "fuse_weighted",
    "naive_grid_accuracy",
    "rank_of_true",
    "video_weights",
    "weighted_sum",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Mask = npt.NDArray[np.bool_] | None
Domain = Literal["prob", "logit"]
Over = Literal["streams", "segments", "components", "epochs"]

#: Non-zero weights must lie in [2**-60, 2**60] (underflow guard).
_W_MIN, _W_MAX = 2.0**-60, 2.0**60


def check_weights(weights: npt.ArrayLike, k: int) -> Array:
    """Weight rows as a contiguous (n_points, k) float64 array, or a UsageError."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != k:
        raise UsageError(f"weights must have shape (n_points, {k}), got {np.shape(weights)}")
    if w.shape[0] == 0:
        raise UsageError("weights must hold at least one point")
    if not np.isfinite(w).all() or (w < 0).any():
        raise UsageError("weights must be finite and non-negative")
    nz = w[w != 0]
    if nz.size and (nz.min() < _W_MIN or nz.max() > _W_MAX):
        raise UsageError("non-zero weights must lie in [2**-60, 2**60]")
    if (w.sum(axis=1) <= 0).any():
        i = int(np.flatnonzero(w.sum(axis=1) <= 0)[0])
        raise UsageError(f"weights of point {i} are all zero")
    return np.ascontiguousarray(w)


def check_ks(k: int | Sequence[int], c: int) -> tuple[int, ...]:
    """The top-k values asked for, as distinct integers >= 1."""
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k)
    if not ks:
        raise UsageError("k must name at least one top-k")
    out = []
    for kk in ks:
        if isinstance(kk, bool) or not isinstance(kk, (int, np.integer)) or kk < 1:
            raise UsageError(f"k must be integers >= 1, got {kk!r}")
        out.append(int(kk))
    if len(set(out)) != len(out):
        raise UsageError(f"k must not repeat values, got {out}")
    return tuple(out)


def domain_values(x: Array, domain: Domain) -> Array:
    """The values fused in ``domain``: ``exp(x)`` (prob) or ``x`` (logit)."""
    v: Array = np.exp(x) if domain == "prob" else x
    if np.abs(v).max() > 1e300:
        raise UsageError("scores are too large for exact fusion (|value| > 1e300)")
    return v


def video_weights(w: Array, mask_rows: Mask) -> Array:
    """Per-row weights (Q, K): ``w`` itself, or renormalised over valid components.

    The renormalisation is that of :mod:`fusionlab.rules`: ``w * mask`` divided by
    its sum (accumulated left to right); equal weights over the valid components
    where that sum is 0.
    """
    if mask_rows is None:
        return w
    wm = np.where(mask_rows, w, 0.0)
    total = wm[:, 0].copy()
    for j in range(1, wm.shape[1]):
        total = total + wm[:, j]
    zero = total <= 0
    if zero.any():
        wm = wm.copy()
        wm[zero] = mask_rows[zero].astype(np.float64)
        total = wm[:, 0].copy()
        for j in range(1, wm.shape[1]):
            total = total + wm[:, j]
    out: Array = wm / total[:, None]
    return out


def weighted_sum(v: Array, w: Array) -> Array:
    """``sum_k w[:, k] * v[:, k]`` accumulated left to right; v (Q, K, C), w (Q, K) -> (Q, C)."""
    out: Array = w[:, 0, None] * v[:, 0]
    for j in range(1, v.shape[1]):
        out = out + w[:, j, None] * v[:, j]
    return out


def fuse_weighted(
    x: npt.ArrayLike,
    weights: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
) -> Array:
    """The reference weighted fusion of one weight vector (see the module docstring).

    Parameters
    ----------
    x : array-like of shape (n_videos, n_components, n_classes)
        Log-probabilities.
    weights : array-like of shape (n_components,)
        Non-negative, not all zero. Not normalised (scaling never changes a
        decision); with a mask, renormalised per video as :mod:`fusionlab.rules` does.
    mask : array-like of shape (n_videos, n_components), bool, optional
    domain : {"prob", "logit"}

    Returns
    -------
    fused : ndarray of shape (n_videos, n_classes)
        Raw fused scores: probabilities (``prob``) or log-probabilities (``logit``)
        weighted and summed.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.log(np.array([[[0.6, 0.4], [0.3, 0.7]]]))
    >>> fuse_weighted(x, [0.5, 0.5], domain="prob").round(3).tolist()
    [[0.45, 0.55]]
    """
    dom = check_domain(domain)
    xa = check_x(x)
    n, k, _ = xa.shape
    w = check_weights(weights, k)
    if w.shape[0] != 1:
        raise UsageError(f"weights must have shape ({k},), got {np.shape(weights)}")
    m = check_mask(mask, n, k)
    v = domain_values(xa, dom)
    wr = video_weights(np.broadcast_to(w, (n, k)), m)
    return weighted_sum(v, wr)


def rank_of_true(f: Array, y: IntArray) -> IntArray:
    """Number of classes ranked above the true class (lowest index wins ties)."""
    rows = np.arange(f.shape[0])
    fy = f[rows, y][:, None]
    above = np.count_nonzero(f > fy, axis=1)
    tied_lower = np.count_nonzero((f == fy) & (np.arange(f.shape[1]) < y[:, None]), axis=1)
    return np.asarray(above + tied_lower, dtype=np.int64)


def naive_grid_accuracy(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    weights: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
    k: int | Sequence[int] = (1, 5),
) -> IntArray:
    """The straightforward per-point loop: :func:`fuse_weighted` then ranks, point by point.

    The reference that :func:`grid_accuracy` equals exactly; slow.

    Returns
    -------
    counts : ndarray of shape (len(k), n_points), int64
        Number of videos correct at each point for each k.
    """
    dom = check_domain(domain)
    xa = check_x(x)
    n, kc, c = xa.shape
    ya = check_y(y, n, c)
    w = check_weights(weights, kc)
    m = check_mask(mask, n, kc)
    ks = check_ks(k, c)
    v = domain_values(xa, dom)
    out = np.zeros((len(ks), w.shape[0]), dtype=np.int64)
    for p in range(w.shape[0]):
        wr = video_weights(np.broadcast_to(w[p], (n, kc)), m)
        rank = rank_of_true(weighted_sum(v, wr), ya)
        for i, kk in enumerate(ks):
            out[i, p] = np.count_nonzero(rank < kk)
    return out


def correct_at(x: Array, y: IntArray, w: Array, mask: Mask, domain: Domain) -> BoolArray:
    """Top-1 correctness of every video at one weight vector (reference operations)."""
    n, kc, _ = x.shape
    v = domain_values(x, domain)
    wr = video_weights(np.broadcast_to(w, (n, kc)), mask)
    out: BoolArray = rank_of_true(weighted_sum(v, wr), y) == 0
    return out
