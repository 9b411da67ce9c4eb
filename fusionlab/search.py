"""Weight grids, the fast exact grid evaluator, the exact two-component curve, honest selection.

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

Exactness of :func:`grid_accuracy`
----------------------------------
:func:`grid_accuracy` returns, for every grid point, exactly the number of videos
the per-point reference loop (:func:`naive_grid_accuracy`) finds correct, ties
included. It never relies on two float computations agreeing in the last bit:

1. *Pruning*, per video and class ``c`` against the true class ``y``, with
   ``d_k = v_yk - v_ck`` over valid components and ``a = max_k(|v_yk| + |v_ck|)``:
   ``min_k d_k > 4 gamma a`` means ``c`` never beats ``y`` for any non-negative
   weights, ``max_k d_k < -4 gamma a`` means it always does (``gamma`` is the
   classical bound ``(K+2) u / (1 - (K+2) u)`` on the rounding error of a
   K-term dot product, ``u = 2**-53``); classes with bit-identical valid values
   tie at every point and are decided by the index. Among the remaining classes
   a class dominated component-wise (``v_e >= v_c`` on every valid component) by
   at least ``max(k)`` others is dropped: rounding is monotone, so the rounded
   left-to-right sum of a dominator is never below the dominated class's, and if
   the dropped class beat ``y`` its dominators would already fill the top-k.
   Videos whose answer is then the same at every point are counted once.
2. *Fast pass*: ``R = w~ . (d / a)`` for every point and remaining (video, class)
   pair, by float32 matrix products (``w~`` = the weight row scaled to sum 1).
   A rigorous bound ``T = 2 (gamma32_{K+4} + 3 gamma64_{K+2}) + K 2**-100`` on the
   error of ``R`` relative to the float64 reference comparison splits the pairs
   into "``y`` wins" (``R > T``), "``c`` wins" (``R < -T``) and "near tie". A
   (point, video) is correct for sure when fewer than ``k - A`` pairs are not
   sure wins (``A`` = classes that always win), incorrect for sure when at least
   ``k - A`` are sure losses.
3. *Re-check*: every other (point, video) — a decision that hangs on a near
   tie — is re-evaluated with the reference operations over all classes. Videos
   whose values are so small (``a < 2**-900``) that underflow could break the
   bound are evaluated wholly by the reference.

Speed: videos are grouped in tiers by their number of remaining classes, and each
tier's products are batched small matrix products (at most 4 * 65536
multiply-adds each, which OpenBLAS runs on one thread, so BLAS never spawns or
spin-waits on threads of its own); blocks of 64 points are shared among up to two
worker threads (numpy releases the GIL). On HMDB51-shaped scores (1530 videos,
51 classes, 6 components, 53,130 points, top-1 and top-5) this takes about 0.5 s
on two cores against about 20 s for the per-point loop
(``benchmarks/bench_grid.py``). The work grows with the number of (video, class)
pairs left after pruning, so heavily tied or uninformative scores are slower.

Weights must be finite, non-negative, and each non-zero weight within
``[2**-60, 2**60]`` (underflow guard); every row needs a positive sum.

Grids and selection
-------------------
Grid points are integer compositions ``n_0 + ... + n_{K-1} = m`` with ``m = 1/step``
(stars and bars), enumerated in lexicographic order of ``(n_0, ..., n_{K-1})``
(first point ``(0, ..., 0, m)``), then divided by ``m``; floats are never filtered.
Among grid points with the best training top-1, the selected one is the one
closest to uniform weights (smallest ``sum_k (K n_k - m)**2``, an exact integer),
then the first in enumeration order.

Honest estimates use cross-fitting (:func:`stratified_folds`): for each repeat,
videos are split into ``folds`` stratified folds (scikit-learn
``StratifiedKFold(shuffle=True, random_state=seed + repeat)``, or ``KFold`` when a
class has fewer videos than folds, which is reported); the point is tuned on the
other folds and scored on the held-out fold; the honest accuracy of a repeat is
the held-out correct count over all folds divided by the number of videos. The
mean and the standard deviation (``ddof=1``; 0 with one repeat) over repeats are
reported.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .errors import UsageError
from .fused import row_metrics
from .kernels import compositions
from .validation import check_domain, check_mask, check_x, check_y
from .weights import component_name

if TYPE_CHECKING:
    from .scores import Evaluation

__all__ = [
    "Components",
    "CrossFit",
    "Curve",
    "Folds",
    "GridAccuracy",
    "GridResult",
    "add_arguments",
    "components",
    "cross_fit",
    "format_grid",
    "fuse_weighted",
    "grid_accuracy",
    "grid_counts",
    "grid_search",
    "naive_grid_accuracy",
    "run",
    "select_best",
    "significance",
    "simplex_grid",
    "stratified_folds",
    "summary_rows",
    "two_component_curve",
    "uniform_distance",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Mask = npt.NDArray[np.bool_] | None
Domain = Literal["prob", "logit"]
Over = Literal["streams", "segments", "components", "epochs"]

_U64 = 2.0**-53
_U32 = 2.0**-24
#: Largest grid enumerated (points); larger grids are refused with a message.
MAX_GRID_POINTS = 5_000_000
#: Values below this scale go to the exact path (underflow guard).
_TINY_SCALE = 2.0**-900
#: Non-zero weights must lie in [2**-60, 2**60] (underflow guard).
_W_MIN, _W_MAX = 2.0**-60, 2.0**60
#: Grid points per block of the fast pass.
_POINT_BLOCK = 64
#: Largest m*n*k of one matrix product of the fast pass: OpenBLAS runs products up to
#: 4 * 65536 on one thread, so BLAS never spawns (or spin-waits on) its own threads.
_SMALL_GEMM = 4 * 65536
#: Videos of narrower tiers join the next tier while fewer than this.
_MIN_TIER_VIDEOS = 128
#: Worker threads of the fast pass (numpy releases the GIL in its loops).
_WORKERS = 2


def _gamma(n: int, u: float) -> float:
    return n * u / (1.0 - n * u)


# --------------------------------------------------------------------------- grids


def _step_to_m(step: float) -> int:
    if not isinstance(step, (int, float)) or not math.isfinite(step) or not 0 < step <= 1:
        raise UsageError(f"step must be a number in (0, 1], got {step!r}")
    inv = 1.0 / float(step)
    m = round(inv)
    if abs(inv - m) > 1e-9:
        raise UsageError(f"1/step must be an integer, got step {step!r} (1/step = {inv!r})")
    return int(m)


def _count_compositions(m: int, lo: Sequence[int], hi: Sequence[int]) -> int:
    """Number of compositions of m with lo[i] <= n_i <= hi[i] (dynamic programming)."""
    ways = [1] + [0] * m  # ways[r]: compositions of r by the components seen so far
    for a, b in zip(lo, hi, strict=True):
        # new[t] = sum of ways[t - n] for a <= n <= b, from prefix sums (exact ints)
        pref = [0] * (m + 2)
        for r in range(m + 1):
            pref[r + 1] = pref[r] + ways[r]
        ways = [pref[t - a + 1] - pref[max(0, t - b)] if t >= a else 0 for t in range(m + 1)]
    return ways[m]


def grid_counts(
    k: int,
    *,
    step: float = 0.05,
    fixed: Mapping[int, float] | None = None,
    bounds: Mapping[int, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
) -> tuple[IntArray, int]:
    """Integer compositions of ``m = 1/step`` into ``k`` parts: the simplex grid before division.

    Parameters
    ----------
    k : int
        Number of components (>= 1).
    step : float, default 0.05
        Grid step; ``1/step`` must be an integer (within 1e-9).
    fixed : mapping of component index to weight, optional
        Pinned weights; each must be a multiple of ``step`` (within 1e-9).
    bounds : mapping of index to (lo, hi), or a sequence of k pairs, optional
        Inclusive bounds on each weight, in [0, 1]; converted to integer bounds
        ``ceil(lo m - 1e-9) <= n_i <= floor(hi m + 1e-9)`` (no float filtering).

    Returns
    -------
    counts : ndarray of shape (n_points, k), int64
        Each row sums to ``m``; rows in lexicographic order of ``(n_0, ..., n_{k-1})``.
    m : int

    Raises
    ------
    UsageError
        Bad step, indices, weights or bounds; an empty grid; more than
        ``MAX_GRID_POINTS`` points.

    Examples
    --------
    >>> counts, m = grid_counts(3, step=0.5)
    >>> m, counts.tolist()
    (2, [[0, 0, 2], [0, 1, 1], [0, 2, 0], [1, 0, 1], [1, 1, 0], [2, 0, 0]])
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise UsageError(f"number of components must be an integer >= 1, got {k!r}")
    k = int(k)
    m = _step_to_m(step)
    lo = [0] * k
    hi = [m] * k
    if bounds is not None:
        items = list(bounds.items()) if isinstance(bounds, Mapping) else list(enumerate(bounds))
        if not isinstance(bounds, Mapping) and len(items) != k:
            raise UsageError(
                f"bounds must give one (lo, hi) pair per component ({k}), got {len(items)}"
            )
        for i, pair in items:
            i = _component_index(i, k, "bounds")
            try:
                b_lo, b_hi = (float(pair[0]), float(pair[1]))
            except (TypeError, ValueError, IndexError):
                raise UsageError(
                    f"bounds of component {i} must be a (lo, hi) pair, got {pair!r}"
                ) from None
            if not (0.0 <= b_lo <= b_hi <= 1.0):
                raise UsageError(
                    f"bounds of component {i} must satisfy 0 <= lo <= hi <= 1, got ({b_lo}, {b_hi})"
                )
            lo[i] = max(lo[i], math.ceil(b_lo * m - 1e-9))
            hi[i] = min(hi[i], math.floor(b_hi * m + 1e-9))
    if fixed is not None:
        for i, w in fixed.items():
            i = _component_index(i, k, "fixed")
            wf = float(w)
            if not (0.0 <= wf <= 1.0):
                raise UsageError(f"fixed weight of component {i} must lie in [0, 1], got {w!r}")
            n = round(wf * m)
            if abs(wf * m - n) > 1e-9:
                raise UsageError(
                    f"fixed weight {w!r} of component {i} is not a multiple of step {step!r}"
                )
            if not lo[i] <= n <= hi[i]:
                raise UsageError(f"fixed weight {w!r} of component {i} lies outside its bounds")
            lo[i] = hi[i] = int(n)
    total = _count_compositions(m, lo, hi)
    if total == 0:
        raise UsageError(
            f"the grid is empty: no weights with step {step!r} satisfy the fixed weights and bounds"
        )
    if total > MAX_GRID_POINTS:
        raise UsageError(
            f"the grid has {total} points (k={k}, step={step!r}), more than {MAX_GRID_POINTS}; "
            "use a larger step, fewer components, or fixed weights"
        )
    return compositions(m, lo, hi), m


def _component_index(i: Any, k: int, what: str) -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < k:
        raise UsageError(f"{what}: component index must be an integer in [0, {k}), got {i!r}")
    return int(i)


def simplex_grid(
    k: int,
    *,
    step: float = 0.05,
    fixed: Mapping[int, float] | None = None,
    bounds: Mapping[int, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
) -> Array:
    """Every point of the weight simplex on a grid of ``step``: ``grid_counts(...) / m``.

    Parameters are those of :func:`grid_counts`.

    Returns
    -------
    weights : ndarray of shape (n_points, k), float64
        Lexicographic order of the integer compositions (see the module docstring).

    Examples
    --------
    >>> simplex_grid(6, step=0.05).shape
    (53130, 6)
    >>> simplex_grid(2, step=0.25).tolist()
    [[0.0, 1.0], [0.25, 0.75], [0.5, 0.5], [0.75, 0.25], [1.0, 0.0]]
    """
    counts, m = grid_counts(k, step=step, fixed=fixed, bounds=bounds)
    out: Array = counts / float(m)
    return out


# --------------------------------------------------------------------------- checks


def _check_weights(weights: npt.ArrayLike, k: int) -> Array:
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


def _check_ks(k: int | Sequence[int], c: int) -> tuple[int, ...]:
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


def _values(x: Array, domain: Domain) -> Array:
    v: Array = np.exp(x) if domain == "prob" else x
    if np.abs(v).max() > 1e300:
        raise UsageError("scores are too large for exact fusion (|value| > 1e300)")
    return v


# --------------------------------------------------------------------------- reference


def _video_weights(w: Array, mask_rows: Mask) -> Array:
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


def _weighted_sum(v: Array, w: Array) -> Array:
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
    w = _check_weights(weights, k)
    if w.shape[0] != 1:
        raise UsageError(f"weights must have shape ({k},), got {np.shape(weights)}")
    m = check_mask(mask, n, k)
    v = _values(xa, dom)
    wr = _video_weights(np.broadcast_to(w, (n, k)), m)
    return _weighted_sum(v, wr)


def _rank_of_true(f: Array, y: IntArray) -> IntArray:
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
    w = _check_weights(weights, kc)
    m = check_mask(mask, n, kc)
    ks = _check_ks(k, c)
    v = _values(xa, dom)
    out = np.zeros((len(ks), w.shape[0]), dtype=np.int64)
    for p in range(w.shape[0]):
        wr = _video_weights(np.broadcast_to(w[p], (n, kc)), m)
        rank = _rank_of_true(_weighted_sum(v, wr), ya)
        for i, kk in enumerate(ks):
            out[i, p] = np.count_nonzero(rank < kk)
    return out


# --------------------------------------------------------------------------- fast evaluator


@dataclass(frozen=True, eq=False)
class GridAccuracy:
    """Correct counts of every grid point (the result of :func:`grid_accuracy`).

    Attributes
    ----------
    weights : ndarray of shape (n_points, n_components)
    k : tuple of int
        The top-k values, in the order of the first axis of ``correct``.
    correct : ndarray of shape (len(k), n_points), int64
        Number of videos correct at each point.
    n_videos : int
    group_correct : ndarray or None
        With ``groups`` of shape (n_videos,) and values in [0, G):
        (len(k), n_points, G); with ``groups`` of shape (R, n_videos):
        (len(k), n_points, R, G). Correct counts per group.
    n_rechecked : int
        (point, video) pairs decided by the exact re-check (near ties).
    n_fast_pairs : int
        (video, class) pairs in the fast pass after pruning.
    """

    weights: Array
    k: tuple[int, ...]
    correct: IntArray
    n_videos: int
    group_correct: IntArray | None = None
    n_rechecked: int = 0
    n_fast_pairs: int = 0

    def accuracy(self, k: int = 1) -> Array:
        """Top-k accuracy (fraction) of every point, shape (n_points,)."""
        if k not in self.k:
            raise UsageError(f"top-{k} was not computed (computed: {list(self.k)})")
        out: Array = self.correct[self.k.index(k)] / float(self.n_videos)
        return out


@dataclass
class _Plan:
    """Pruning result for one (x, y, mask, domain, kmax)."""

    static_correct: BoolArray  # (len(ks), N): correct at every point (static videos only)
    static: BoolArray  # (N,) decided at every point
    exact: IntArray  # videos evaluated wholly by the reference
    tiers: list[tuple[IntArray, int, npt.NDArray[np.float32]]]  # (videos, width, D (width, K, n_t))
    always: IntArray  # (N,) number of classes that beat y at every point
    n_pairs: int


def _prepare(v: Array, y: IntArray, mask: Mask, ks: tuple[int, ...], *, max_videos: int) -> _Plan:
    n, kc, c = v.shape
    kmax = max(ks)
    rows = np.arange(n)
    vy = v[rows, :, y]  # (N, K)
    # Per (video, class) over valid components: min and max of d = v_y - v_c, the scale
    # a = max(|v_y| + |v_c|), and whether the values are bit-identical. In chunks of
    # videos, so that no (N, K, C) temporary is held.
    dmin = np.empty((n, c))
    dmax = np.empty((n, c))
    a = np.empty((n, c))
    ident = np.empty((n, c), dtype=bool)
    step = max(1, (1 << 22) // (kc * c))
    for s0 in range(0, n, step):
        sl = slice(s0, s0 + step)
        vc = v[sl]
        vyc = vy[sl][:, :, None]
        delta = vyc - vc
        sc = np.abs(vyc) + np.abs(vc)
        same = vc == vyc
        if mask is not None:
            valid = mask[sl][:, :, None]
            delta_lo = np.where(valid, delta, np.inf)
            delta = np.where(valid, delta, -np.inf)
            sc = np.where(valid, sc, 0.0)
            same |= ~valid
        else:
            delta_lo = delta
        dmin[sl] = delta_lo.min(axis=1)
        dmax[sl] = delta.max(axis=1)
        a[sl] = sc.max(axis=1)
        ident[sl] = same.all(axis=1)
    thr = 4.0 * _gamma(kc + 2, _U64)
    cls = np.arange(c)
    is_y = cls[None, :] == y[:, None]
    lower = cls[None, :] < y[:, None]
    tiny = a < _TINY_SCALE
    never = is_y | (ident & ~lower) | (~ident & ~tiny & (dmin > thr * a))
    always_m = ~is_y & ((ident & lower) | (~ident & ~tiny & (dmax < -thr * a)))
    unc = ~never & ~always_m
    always = always_m.sum(axis=1).astype(np.int64)
    exact_v = (unc & tiny).any(axis=1)

    # Component-wise dominance among the candidates (uncertain or always-winning classes).
    cand = unc | always_m
    ndom = np.zeros((n, c), dtype=np.int64)
    todo = np.flatnonzero((always < kmax) & unc.any(axis=1) & ~exact_v)
    chunk = max(1, (1 << 22) // (c * c))
    low_idx = cls[:, None] < cls[None, :]  # [e, c]: e < c
    for start in range(0, todo.size, chunk):
        idx = todo[start : start + chunk]
        ge = np.ones((idx.size, c, c), dtype=bool)
        eq = np.ones((idx.size, c, c), dtype=bool)
        for j in range(kc):
            col = v[idx, j, :]
            g = col[:, :, None] >= col[:, None, :]
            e = col[:, :, None] == col[:, None, :]
            if mask is not None:
                inval = ~mask[idx, j][:, None, None]
                g |= inval
                e |= inval
            ge &= g
            eq &= e
        strict = ge & (~eq | low_idx[None]) & cand[idx][:, :, None]
        ndom[idx] = strict.sum(axis=1)
    kept = unc & (ndom < kmax)
    nk = kept.sum(axis=1)

    ks_arr = np.asarray(ks)
    lo_k = always[:, None] < ks_arr[None, :]
    hi_k = ks_arr[None, :] <= (always + nk)[:, None]
    needs = (lo_k & hi_k).any(axis=1) & ~exact_v
    static = ~needs & ~exact_v
    static_correct = ((always + nk)[None, :] < ks_arr[:, None]) & static[None, :]

    # Fast-pass columns: videos by number of kept classes, in tiers of similar width;
    # tier ``t`` holds D of shape (width, K, n_t): slot j of every video of the tier.
    fast = np.flatnonzero(needs)
    tiers: list[tuple[IntArray, int, npt.NDArray[np.float32]]] = []
    if fast.size:
        order = fast[np.argsort(-nk[fast], kind="stable")]
        sizes = nk[order]
        edges = [1]
        while edges[-1] < sizes.max():
            edges.append(max(edges[-1] + 1, math.ceil(edges[-1] * 1.5)))
        prev = 0
        carry = order[:0]
        for j, e in enumerate(edges):
            group = np.concatenate([order[(sizes > prev) & (sizes <= e)], carry])
            prev = e
            if group.size < _MIN_TIER_VIDEOS and j < len(edges) - 1:
                carry = group  # too few videos for a tier of their own: pad them wider
                continue
            carry = order[:0]
            for g0 in range(0, group.size, max_videos):
                sel = group[g0 : g0 + max_videos]
                width = int(nk[sel].max())
                r_idx, c_idx = np.nonzero(kept[sel])
                starts = np.searchsorted(r_idx, np.arange(sel.size))
                slot = np.arange(r_idx.size) - starts[r_idx]
                vid = sel[r_idx]
                dd = vy[vid] - v[vid, :, c_idx]  # (Q, K): the float64 differences d
                dd = dd / a[vid, c_idx][:, None]
                if mask is not None:
                    dd = np.where(mask[vid], dd, 0.0)
                d3 = np.ones((width, kc, sel.size), dtype=np.float32)  # padding: y wins
                d3[slot, :, r_idx] = dd.astype(np.float32)
                tiers.append((sel, width, d3))
    return _Plan(
        static_correct=static_correct,
        static=static,
        exact=np.flatnonzero(exact_v),
        tiers=tiers,
        always=always,
        n_pairs=int(nk[fast].sum()) if fast.size else 0,
    )


def _group_matrix(
    groups: npt.ArrayLike | None, n: int
) -> tuple[npt.NDArray[np.float32] | None, IntArray | None, tuple[int, ...]]:
    """One-hot membership (n, G_total) float32, flat group ids (n, R), output group shape."""
    if groups is None:
        return None, None, ()
    g = np.asarray(groups)
    if g.dtype == np.bool_ or g.dtype.kind not in "iu":
        raise UsageError(f"groups must hold integers, got dtype {g.dtype}")
    two_d = g.ndim == 2
    g2 = g[None, :] if g.ndim == 1 else g
    if g2.ndim != 2 or g2.shape[1] != n:
        raise UsageError(f"groups must have shape ({n},) or (n_repeats, {n}), got {g.shape}")
    if (g2 < 0).any():
        raise UsageError("groups must be >= 0")
    n_g = int(g2.max()) + 1
    r = g2.shape[0]
    flat = (g2.astype(np.int64) + (np.arange(r) * n_g)[:, None]).T  # (n, R)
    mem = np.zeros((n, r * n_g), dtype=np.float32)
    for j in range(r):
        mem[np.arange(n), flat[:, j]] = 1.0
    shape = (r, n_g) if two_d else (n_g,)
    return mem, np.ascontiguousarray(flat), shape


def _add_exact(
    v: Array,
    y: IntArray,
    wn: Array,
    mask: Mask,
    p_idx: IntArray,
    n_idx: IntArray,
    ks: tuple[int, ...],
    kflags: npt.NDArray[np.bool_],
    correct: IntArray,
    gflat: IntArray | None,
    gcorrect: IntArray | None,
) -> None:
    """Re-check (point, video) pairs with the reference operations; add their correct counts."""
    if p_idx.size == 0:
        return
    kc, c = v.shape[1], v.shape[2]
    chunk = max(1, (1 << 21) // (kc * c))
    for s in range(0, p_idx.size, chunk):
        pp = p_idx[s : s + chunk]
        nn = n_idx[s : s + chunk]
        wr = _video_weights(wn[pp], None if mask is None else mask[nn])
        rank = _rank_of_true(_weighted_sum(v[nn], wr), y[nn])
        for i, kk in enumerate(ks):
            ok = (rank < kk) & kflags[s : s + chunk, i]
            if ok.any():
                np.add.at(correct[i], pp[ok], 1)
                if gflat is not None and gcorrect is not None:
                    for r in range(gflat.shape[1]):
                        np.add.at(gcorrect[i], (pp[ok], gflat[nn[ok], r]), 1)


def _cpu_count() -> int:
    """CPUs this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _fast_pass(
    blocks: Sequence[int],
    plan: _Plan,
    w32: npt.NDArray[np.float32],
    ks: tuple[int, ...],
    kc: int,
    n_points: int,
    mem: npt.NDArray[np.float32] | None,
    n_first: int,
    correct: IntArray,
    gcorrect: IntArray | None,
) -> tuple[list[IntArray], list[IntArray], list[npt.NDArray[np.bool_]]]:
    """Fast pass over some blocks of points; adds certain decisions to ``correct``.

    Returns the (point, video, k-flags) triples that need the exact re-check. Each
    worker writes only the columns of its own blocks.
    """
    pb = _POINT_BLOCK
    tol = 2.0 * (_gamma(kc + 4, _U32) + 3.0 * _gamma(kc + 2, _U64)) + kc * 2.0**-100
    t_pos = np.float32(tol)
    t_neg = np.float32(-tol)
    ks_arr = np.asarray(ks, dtype=np.int64)
    sizes = [width * pb * sel.size for sel, width, _ in plan.tiers]
    offsets = np.cumsum([0, *sizes])
    r_all = np.empty(int(offsets[-1]), dtype=np.float32)
    le_all = np.empty(int(offsets[-1]), dtype=bool)
    lt_all = np.empty(int(offsets[-1]), dtype=bool)
    diff_all = np.empty(int(offsets[-1]), dtype=bool)
    views = []
    for t, (sel, width, _) in enumerate(plan.tiers):
        c0, c1 = int(offsets[t]), int(offsets[t + 1])
        shape = (width, pb, sel.size)
        cnt_dtype = np.int8 if width < 127 else np.int32
        room = np.clip(ks_arr[:, None] - plan.always[sel][None, :], -1, width + 1)
        views.append(
            (
                r_all[c0:c1].reshape(shape),
                le_all[c0:c1].reshape(shape),
                lt_all[c0:c1].reshape(shape),
                diff_all[c0:c1].reshape(shape),
                np.empty((pb, sel.size), dtype=cnt_dtype),
                room.astype(cnt_dtype)[:, None, :],
                None if mem is None else mem[sel],
            )
        )
    amb_p: list[IntArray] = []
    amb_n: list[IntArray] = []
    amb_f: list[npt.NDArray[np.bool_]] = []
    for b in blocks:
        p0 = b * pb
        q = min(n_points, p0 + pb) - p0
        wb = w32[None, p0 : p0 + pb]
        # Small products (one per slot of a tier), so that BLAS stays single-threaded.
        for (_, _, d3), (r, *_) in zip(plan.tiers, views, strict=True):
            np.matmul(wb, d3, out=r)
        np.less_equal(r_all, t_pos, out=le_all)
        for (sel, _, _), (r, le, lt, diff, cnt, room, mem_t) in zip(plan.tiers, views, strict=True):
            np.add.reduce(le, axis=0, dtype=cnt.dtype, out=cnt)
            ok = cnt[None, :q] < room  # (n_k, q, n_t)
            if mem_t is not None and gcorrect is not None:
                part = (ok.astype(np.float32) @ mem_t).astype(np.int64)  # (n_k, q, G)
                gcorrect[:, p0 : p0 + q] += part
                correct[:, p0 : p0 + q] += part[:, :, :n_first].sum(axis=2)
            else:
                correct[:, p0 : p0 + q] += ok.sum(axis=2, dtype=np.int32)
            # Near ties: elements in [-T, T] are counted in ``cnt`` as possible losses.
            np.less(r, t_neg, out=lt)
            if np.count_nonzero(lt) == int(cnt.sum(dtype=np.int64)):
                continue
            # Few elements lie in the band: re-examine only their (point, video) pairs.
            flat = np.flatnonzero(np.not_equal(le, lt, out=diff))
            key = np.unique(flat % (pb * sel.size))  # (point row, video) of band elements
            key = key[key < q * sel.size]
            pi, vi = key // sel.size, key % sel.size
            sure = lt[:, pi, vi].sum(axis=0)  # certain losses of those pairs
            amb = ~ok[:, pi, vi] & (sure[None, :] < room[:, 0, vi])  # (n_k, pairs)
            keep = amb.any(axis=0)
            if keep.any():
                amb_p.append(pi[keep].astype(np.int64) + p0)
                amb_n.append(sel[vi[keep]])
                amb_f.append(amb[:, keep].T.copy())
    return amb_p, amb_n, amb_f


def grid_accuracy(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    weights: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
    k: int | Sequence[int] = (1, 5),
    groups: npt.ArrayLike | None = None,
) -> GridAccuracy:
    """Top-k correct counts of every weight vector of a grid, exactly as the per-point loop.

    Parameters
    ----------
    x : array-like of shape (n_videos, n_components, n_classes)
        Log-probabilities (finite).
    y : array-like of shape (n_videos,)
        Known labels in [0, n_classes).
    weights : array-like of shape (n_points, n_components)
        Non-negative weight rows, each with a positive sum (see the module
        docstring for the exact limits); not normalised.
    mask : array-like of shape (n_videos, n_components), bool, optional
        Valid components (weights are renormalised per video, as in the rules).
    domain : {"prob", "logit"}
    k : int or sequence of int, default (1, 5)
    groups : array-like of shape (n_videos,) or (n_repeats, n_videos), int, optional
        Group (fold) of each video; counts are also returned per group.

    Returns
    -------
    GridAccuracy
        ``correct[i, p]`` equals ``naive_grid_accuracy(...)[i, p]`` exactly, ties
        included (see the module docstring for why).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.log(rng.dirichlet(np.ones(4), size=(30, 3)))
    >>> y = rng.integers(0, 4, 30)
    >>> w = simplex_grid(3, step=0.1)
    >>> fast = grid_accuracy(x, y, w, domain="prob", k=(1, 2))
    >>> bool((fast.correct == naive_grid_accuracy(x, y, w, domain="prob", k=(1, 2))).all())
    True
    """
    dom = check_domain(domain)
    xa = check_x(x)
    n, kc, c = xa.shape
    ya = check_y(y, n, c)
    w = _check_weights(weights, kc)
    m = check_mask(mask, n, kc)
    ks = _check_ks(k, c)
    mem, gflat, gshape = _group_matrix(groups, n)
    v = _values(xa, dom)
    n_points = w.shape[0]
    pb = _POINT_BLOCK
    plan = _prepare(v, ya, m, ks, max_videos=max(16, _SMALL_GEMM // (pb * kc)))
    n_k = len(ks)
    correct = np.zeros((n_k, n_points), dtype=np.int64)
    gtotal = 0 if mem is None else mem.shape[1]
    gcorrect = None if mem is None else np.zeros((n_k, n_points, gtotal), dtype=np.int64)

    # Static videos: the same answer at every point.
    for i in range(n_k):
        correct[i] += int(np.count_nonzero(plan.static_correct[i]))
        if mem is not None and gcorrect is not None:
            gcorrect[i] += (plan.static_correct[i].astype(np.float32) @ mem).astype(np.int64)

    amb_p: list[IntArray] = []
    amb_n: list[IntArray] = []
    amb_f: list[npt.NDArray[np.bool_]] = []
    if plan.tiers:
        # Row-normalised weights: the fast pass compares signs, scaling is free. Padded
        # to whole blocks with copies of the first row (their results are dropped).
        n_blocks = -(-n_points // pb)
        w32 = np.empty((n_blocks * pb, kc), dtype=np.float32)
        w32[:n_points] = w / w.sum(axis=1, keepdims=True)
        w32[n_points:] = w32[0]
        blocks = list(range(n_blocks))
        n_workers = max(1, min(_WORKERS, _cpu_count(), n_blocks // 8))
        parts = [blocks[j::n_workers] for j in range(n_workers)]
        n_first = 0 if mem is None else mem.shape[1] // (gshape[0] if len(gshape) == 2 else 1)
        args = (plan, w32, ks, kc, n_points, mem, n_first, correct, gcorrect)
        if n_workers == 1:
            results = [_fast_pass(parts[0], *args)]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=n_workers) as pool:
                results = list(pool.map(lambda part: _fast_pass(part, *args), parts))
        for ap, an, af in results:
            amb_p.extend(ap)
            amb_n.extend(an)
            amb_f.extend(af)

    n_rechecked = 0
    if amb_p:
        pp = np.concatenate(amb_p)
        nn = np.concatenate(amb_n)
        ff = np.concatenate(amb_f)
        n_rechecked = int(pp.size)
        _add_exact(v, ya, w, m, pp, nn, ks, ff, correct, gflat, gcorrect)
    if plan.exact.size:
        pp = np.repeat(np.arange(n_points, dtype=np.int64), plan.exact.size)
        nn = np.tile(plan.exact, n_points)
        ff = np.ones((pp.size, n_k), dtype=bool)
        n_rechecked += int(pp.size)
        _add_exact(v, ya, w, m, pp, nn, ks, ff, correct, gflat, gcorrect)

    gout = None
    if gcorrect is not None:
        gout = gcorrect.reshape((n_k, n_points, *gshape))
    return GridAccuracy(
        weights=w,
        k=ks,
        correct=correct,
        n_videos=n,
        group_correct=gout,
        n_rechecked=n_rechecked,
        n_fast_pairs=plan.n_pairs,
    )


# --------------------------------------------------------------------------- exact curve


@dataclass(frozen=True, eq=False)
class Curve:
    """Exact accuracy of ``(1 - alpha) * v0 + alpha * v1`` as a function of alpha in [0, 1].

    The accuracy is piecewise constant: constant on each open interval between
    consecutive breakpoints, with its own value at each breakpoint.

    Attributes
    ----------
    breakpoints : ndarray of shape (B,), float64
        Sorted; the first is 0.0 and the last 1.0 (nearest floats of ``exact``).
    exact : tuple of Fraction
        The breakpoints as exact rationals (crossings of the score lines of the
        float inputs, computed in rational arithmetic).
    correct_at : ndarray of shape (B,), int64
        Videos correct at each breakpoint.
    correct_between : ndarray of shape (B - 1,), int64
        Videos correct on each open interval ``(breakpoints[i], breakpoints[i + 1])``.
    n_videos : int
    """

    breakpoints: Array
    exact: tuple[Fraction, ...]
    correct_at: IntArray
    correct_between: IntArray
    n_videos: int

    @property
    def best_correct(self) -> int:
        vals = [int(self.correct_at.max())]
        if self.correct_between.size:
            vals.append(int(self.correct_between.max()))
        return max(vals)

    @property
    def best_accuracy(self) -> float:
        return self.best_correct / self.n_videos

    @property
    def optimum(self) -> list[tuple[float, float, bool, bool]]:
        """Maximal intervals where the accuracy is best: ``(lo, hi, lo_closed, hi_closed)``.

        A single optimal point is ``(a, a, True, True)``. Intervals are in increasing order.
        """
        best = self.best_correct
        pieces: list[tuple[Fraction, Fraction, bool, bool]] = []
        nb = len(self.exact)
        for i in range(nb):
            if self.correct_at[i] == best:
                pieces.append((self.exact[i], self.exact[i], True, True))
            if i < nb - 1 and self.correct_between[i] == best:
                pieces.append((self.exact[i], self.exact[i + 1], False, False))
        merged: list[tuple[Fraction, Fraction, bool, bool]] = []
        for lo, hi, lc, hc in pieces:
            if merged:
                mlo, mhi, mlc, mhc = merged[-1]
                if mhi == lo and (mhc or lc):
                    merged[-1] = (mlo, hi, mlc, hc if hi != mhi else (hc or mhc))
                    continue
            merged.append((lo, hi, lc, hc))
        return [(float(a), float(b), lc, hc) for a, b, lc, hc in merged]

    @property
    def best_alpha(self) -> float:
        """Midpoint of the widest optimal interval (the first on ties)."""
        opt = self.optimum
        widths = [hi - lo for lo, hi, _, _ in opt]
        lo, hi, _, _ = opt[int(np.argmax(widths))]
        return (lo + hi) / 2.0

    def correct_count_at(self, alpha: float | Fraction) -> int:
        """Videos correct at ``alpha`` (exact comparison with the breakpoints)."""
        a = Fraction(alpha)
        if not 0 <= a <= 1:
            raise UsageError(f"alpha must lie in [0, 1], got {alpha!r}")
        import bisect

        i = bisect.bisect_left(self.exact, a)
        if i < len(self.exact) and self.exact[i] == a:
            return int(self.correct_at[i])
        return int(self.correct_between[i - 1])

    def to_dict(self) -> dict[str, Any]:
        return {
            "breakpoints": self.breakpoints.tolist(),
            "correct_at": self.correct_at.tolist(),
            "correct_between": self.correct_between.tolist(),
            "n_videos": self.n_videos,
            "best_accuracy": self.best_accuracy,
            "best_alpha": self.best_alpha,
            "optimum": [list(o) for o in self.optimum],
        }


def two_component_curve(
    x0: npt.ArrayLike, x1: npt.ArrayLike, y: npt.ArrayLike, *, domain: Domain
) -> Curve:
    """Exact top-1 accuracy curve of two-component weighted fusion.

    For ``fused(alpha) = (1 - alpha) * v0 + alpha * v1`` (``v = exp(x)`` or ``x``),
    the true class ``y`` of a video beats class ``c`` where the line
    ``(1 - alpha) (v0_y - v0_c) + alpha (v1_y - v1_c)`` is positive, and at a zero
    (an exact tie) iff ``y < c``. Each video is correct on one interval (possibly
    empty or a single point); the crossing points are computed in exact rational
    arithmetic from the float values, so breakpoints, the value at each breakpoint
    and the optimum are exact for real-valued weights (a float evaluation at a
    point within rounding error of a breakpoint may differ).

    Parameters
    ----------
    x0, x1 : array-like of shape (n_videos, n_classes)
        Log-probabilities of the two components.
    y : array-like of shape (n_videos,)
        Known labels.
    domain : {"prob", "logit"}

    Returns
    -------
    Curve

    Examples
    --------
    >>> import numpy as np
    >>> x0 = np.log(np.array([[0.7, 0.3], [0.4, 0.6]]))
    >>> x1 = np.log(np.array([[0.2, 0.8], [0.1, 0.9]]))
    >>> c = two_component_curve(x0, x1, [0, 1], domain="prob")
    >>> c.breakpoints.tolist(), c.correct_at.tolist(), c.correct_between.tolist()
    ([0.0, 0.4, 1.0], [2, 2, 1], [2, 1])
    >>> c.optimum
    [(0.0, 0.4, True, True)]
    """
    dom = check_domain(domain)
    a0 = np.asarray(x0)
    a1 = np.asarray(x1)
    if a0.ndim != 2 or a0.shape != a1.shape:
        raise UsageError(
            "x0 and x1 must have the same shape (n_videos, n_classes), "
            f"got {a0.shape} and {a1.shape}"
        )
    xa = check_x(np.stack([a0, a1], axis=1))
    n, _, c = xa.shape
    ya = check_y(y, n, c)
    v = _values(xa, dom)
    rows = np.arange(n)
    v0, v1 = v[:, 0], v[:, 1]
    y0 = v0[rows, ya][:, None]
    y1 = v1[rows, ya][:, None]
    gt0, lt0 = y0 > v0, y0 < v0
    gt1, lt1 = y1 > v1, y1 < v1
    cls = np.arange(c)
    not_y = cls[None, :] != ya[:, None]
    both0 = ~gt0 & ~lt0 & ~gt1 & ~lt1
    never = not_y & ((lt0 & lt1) | (both0 & (cls[None, :] < ya[:, None])))
    crossing = not_y & ~never & ~(gt0 & gt1) & ~both0
    dead = never.any(axis=1)

    zero, one = Fraction(0), Fraction(1)
    intervals: list[tuple[Fraction, Fraction, bool, bool]] = []
    for i in np.flatnonzero(~dead):
        lo, hi, lc, hc = zero, one, True, True
        yi = int(ya[i])
        fy0, fy1 = Fraction(float(y0[i, 0])), Fraction(float(y1[i, 0]))
        for cc in np.flatnonzero(crossing[i]):
            d0 = fy0 - Fraction(float(v0[i, cc]))
            d1 = fy1 - Fraction(float(v1[i, cc]))
            slope = d1 - d0
            at = d0 / (d0 - d1)  # where (1 - a) d0 + a d1 = 0, in [0, 1]
            closed = yi < int(cc)
            if slope > 0:  # y wins for alpha > at
                if at > lo:
                    lo, lc = at, closed
                elif at == lo:
                    lc = lc and closed
            else:  # y wins for alpha < at
                if at < hi:
                    hi, hc = at, closed
                elif at == hi:
                    hc = hc and closed
        if lo < hi or (lo == hi and lc and hc):
            intervals.append((lo, hi, lc, hc))

    points = sorted({zero, one, *(iv[0] for iv in intervals), *(iv[1] for iv in intervals)})
    index = {p: j for j, p in enumerate(points)}
    nb = len(points)
    at_diff = np.zeros(nb + 1, dtype=np.int64)
    between_diff = np.zeros(nb, dtype=np.int64)
    at_count = np.zeros(nb, dtype=np.int64)
    for lo, hi, lc, hc in intervals:
        a, b = index[lo], index[hi]
        if a == b:
            at_count[a] += 1
            continue
        at_diff[a + 1] += 1  # strictly inside: breakpoints a+1 .. b-1
        at_diff[b] -= 1
        at_count[a] += int(lc)
        at_count[b] += int(hc)
        between_diff[a] += 1  # open intervals a .. b-1
        between_diff[b] -= 1
    correct_at = np.cumsum(at_diff)[:nb] + at_count
    correct_between = np.cumsum(between_diff)[: nb - 1]
    return Curve(
        breakpoints=np.array([float(p) for p in points], dtype=np.float64),
        exact=tuple(points),
        correct_at=correct_at.astype(np.int64),
        correct_between=correct_between.astype(np.int64),
        n_videos=n,
    )


# --------------------------------------------------------------------------- honest selection


@dataclass(frozen=True, eq=False)
class Folds:
    """Fold assignments of cross-fitting.

    Attributes
    ----------
    ids : ndarray of shape (n_repeats, n_videos), int64
        Fold of each video in each repeat, in [0, folds).
    folds, repeats, seed : int
    stratified : bool
        False when a class has fewer videos than folds (plain shuffled KFold).
    note : str
        One line describing the scheme, for reports.
    """

    ids: IntArray
    folds: int
    repeats: int
    seed: int
    stratified: bool
    note: str


def stratified_folds(
    y: npt.ArrayLike, *, folds: int = 5, repeats: int = 10, seed: int = 0
) -> Folds:
    """Repeated stratified k-fold assignment of videos (scikit-learn, seeded per repeat).

    Repeat ``r`` uses ``StratifiedKFold(folds, shuffle=True, random_state=seed + r)``;
    when some class has fewer than ``folds`` videos, ``KFold`` with the same
    arguments is used instead and ``stratified`` is False.

    Examples
    --------
    >>> f = stratified_folds([0, 0, 0, 1, 1, 1], folds=3, repeats=2, seed=0)
    >>> f.ids.shape, sorted(f.ids[0].tolist()), f.stratified
    ((2, 6), [0, 0, 1, 1, 2, 2], True)
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    ya = np.asarray(y)
    n = ya.shape[0]
    for name, val, lo in (("folds", folds, 2), ("repeats", repeats, 1)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < lo:
            raise UsageError(f"{name} must be an integer >= {lo}, got {val!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise UsageError(f"seed must be an integer, got {seed!r}")
    if n < folds:
        raise UsageError(f"cross-fitting needs at least folds={folds} videos, got {n}")
    _, counts = np.unique(ya, return_counts=True)
    stratified = bool(counts.min() >= folds)
    ids = np.zeros((repeats, n), dtype=np.int64)
    for r in range(repeats):
        rs = int(seed) + r
        splitter: Any = (
            StratifiedKFold(n_splits=folds, shuffle=True, random_state=rs)
            if stratified
            else KFold(n_splits=folds, shuffle=True, random_state=rs)
        )
        for f, (_, test) in enumerate(splitter.split(np.zeros(n), ya)):
            ids[r, test] = f
    how = "stratified" if stratified else "unstratified (a class has fewer videos than folds)"
    note = f"{folds}-fold {how} cross-fitting, {repeats} repeat(s), seed {seed}"
    return Folds(
        ids=ids,
        folds=int(folds),
        repeats=int(repeats),
        seed=int(seed),
        stratified=stratified,
        note=note,
    )


@dataclass(frozen=True, eq=False)
class CrossFit:
    """Honest (held-out) accuracies from cross-fitting.

    Attributes
    ----------
    per_repeat : ndarray of shape (n_repeats, n_metrics)
        Held-out correct count over all folds / n_videos, per repeat.
    mean, std : ndarray of shape (n_metrics,)
        Over repeats; ``std`` with ddof=1 (0 for one repeat).
    held_out : ndarray of shape (n_metrics, n_videos), bool
        Held-out correctness of every video in the first repeat.
    folds : Folds
    """

    per_repeat: Array
    mean: Array
    std: Array
    held_out: BoolArray
    folds: Folds


def cross_fit(
    select_fn: Callable[[IntArray, IntArray], npt.ArrayLike],
    y: npt.ArrayLike,
    *,
    folds: int = 5,
    repeats: int = 10,
    seed: int = 0,
) -> CrossFit:
    """Tune on k-1 folds, score the held-out fold, for every fold and repeat.

    Parameters
    ----------
    select_fn : callable ``(train_idx, test_idx) -> correct``
        Tunes (selects weights, fits a combiner) on the videos ``train_idx`` and
        returns whether each video of ``test_idx`` is classified correctly: a bool
        array of shape (len(test_idx),) or (n_metrics, len(test_idx)).
    y : array-like of shape (n_videos,)
        Labels (for stratification).
    folds, repeats, seed : int
        See :func:`stratified_folds`.

    Returns
    -------
    CrossFit

    Examples
    --------
    >>> import numpy as np
    >>> y = np.arange(20) % 2
    >>> res = cross_fit(lambda tr, te: y[te] == 0, y, folds=2, repeats=3)
    >>> res.mean.tolist(), res.std.tolist()
    ([0.5], [0.0])
    """
    ya = np.asarray(y)
    fo = stratified_folds(ya, folds=folds, repeats=repeats, seed=seed)
    n = ya.shape[0]
    per: list[Array] = []
    held = np.zeros((0, n), dtype=bool)
    for r in range(fo.repeats):
        hits = np.zeros(0)
        for f in range(fo.folds):
            test = np.flatnonzero(fo.ids[r] == f)
            train = np.flatnonzero(fo.ids[r] != f)
            out = np.asarray(select_fn(train, test))
            if out.dtype != np.bool_ or out.shape[-1] != test.size or out.ndim not in (1, 2):
                raise UsageError(
                    f"select_fn must return a bool array of shape ({test.size},) or "
                    f"(n_metrics, {test.size}), got {out.dtype} {out.shape}"
                )
            out2 = out.reshape(-1, test.size)
            if hits.size == 0:
                hits = np.zeros(out2.shape[0])
            if out2.shape[0] != hits.size:
                raise UsageError("select_fn returned a different number of metrics across folds")
            hits = hits + out2.sum(axis=1)
            if r == 0:
                if held.shape[0] == 0:
                    held = np.zeros((out2.shape[0], n), dtype=bool)
                held[:, test] = out2
        per.append(hits / n)
    arr = np.stack(per)
    std = arr.std(axis=0, ddof=1) if arr.shape[0] > 1 else np.zeros(arr.shape[1])
    return CrossFit(per_repeat=arr, mean=arr.mean(axis=0), std=std, held_out=held, folds=fo)


def select_best(correct: npt.ArrayLike, tie_key: npt.ArrayLike | None = None) -> int:
    """Index of the best grid point: most correct, then smallest ``tie_key``, then first.

    Examples
    --------
    >>> select_best([3, 5, 5, 5], [9, 4, 1, 1])
    2
    """
    c = np.asarray(correct)
    cand = np.flatnonzero(c == c.max())
    if tie_key is not None and cand.size > 1:
        key = np.asarray(tie_key)[cand]
        cand = cand[key == key.min()]
    return int(cand[0])


def uniform_distance(counts: npt.ArrayLike, m: int) -> IntArray:
    """Exact tie-break key of grid points: ``sum_k (K n_k - m)**2`` (0 = uniform weights)."""
    n = np.asarray(counts, dtype=np.int64)
    out: IntArray = ((n.shape[1] * n - m) ** 2).sum(axis=1)
    return out


# --------------------------------------------------------------------------- grid search


@dataclass(frozen=True, eq=False)
class GridResult:
    """Exhaustive weight search over a simplex grid, with oracle and honest accuracies.

    Accuracies are fractions in [0, 1]. ``top5`` means top-``min(5, n_classes)``.

    Attributes
    ----------
    component_names : tuple of str
    domain : {"prob", "logit"}
    step : float
    counts : ndarray of shape (n_points, K), int64
        Integer compositions of ``m = 1/step`` (lexicographic order).
    weights : ndarray of shape (n_points, K)
        ``counts / m``.
    top1, top5 : ndarray of shape (n_points,)
        Accuracy of every point on all videos.
    best_index : int
        The oracle choice (best top-1; ties: closest to uniform, then first).
    oracle_top1, oracle_top5 : float
        Accuracy at ``best_index`` on the videos it was chosen on (optimistic).
    honest_top1, honest_top1_std, honest_top5 : float or None
        Cross-fitted (or val-tuned) accuracy, its spread over repeats, and the
        top-5 of the same held-out choices. None without honest selection.
    honest_per_repeat : ndarray of shape (n_repeats,) or None
    held_out_correct : ndarray of shape (n_videos,), bool, or None
        Held-out top-1 correctness of every video in the first repeat (for
        significance tests against other results on the same videos).
    selection : {"cross-fit", "val", "none"}
    folds : Folds or None
    curve : Curve or None
        The exact curve when K = 2 (alpha = weight of the second component).
    n_videos, n_classes : int
    notes : tuple of str
    evaluation, over : str
        Labels set by callers (the command line, :func:`summary_rows`).
    """

    component_names: tuple[str, ...]
    domain: Domain
    step: float
    counts: IntArray
    weights: Array
    top1: Array
    top5: Array
    best_index: int
    oracle_top1: float
    oracle_top5: float
    honest_top1: float | None
    honest_top1_std: float | None
    honest_top5: float | None
    honest_per_repeat: Array | None
    held_out_correct: BoolArray | None
    selection: Literal["cross-fit", "val", "none"]
    folds: Folds | None
    curve: Curve | None
    n_videos: int
    n_classes: int
    n_rechecked: int = 0
    notes: tuple[str, ...] = ()
    evaluation: str = ""
    over: str = ""

    @property
    def n_points(self) -> int:
        return int(self.weights.shape[0])

    @property
    def best_weights(self) -> dict[str, float]:
        """Component name -> weight of the oracle choice."""
        return {
            n: float(w)
            for n, w in zip(self.component_names, self.weights[self.best_index], strict=True)
        }

    @property
    def best_counts(self) -> list[int]:
        """The integer composition of the oracle choice (pass to ``rules.fuse("weighted")``)."""
        return [int(c) for c in self.counts[self.best_index]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-point arrays; the curve's breakpoints when K = 2)."""
        fo = self.folds
        return {
            "evaluation": self.evaluation,
            "over": self.over,
            "components": list(self.component_names),
            "domain": self.domain,
            "step": self.step,
            "n_points": self.n_points,
            "n_videos": self.n_videos,
            "n_classes": self.n_classes,
            "best_weights": self.best_weights,
            "oracle_top1": self.oracle_top1,
            "oracle_top5": self.oracle_top5,
            "honest_top1": self.honest_top1,
            "honest_top1_std": self.honest_top1_std,
            "honest_top5": self.honest_top5,
            "honest_per_repeat": None
            if self.honest_per_repeat is None
            else self.honest_per_repeat.tolist(),
            "selection": self.selection,
            "folds": None if fo is None else fo.folds,
            "repeats": None if fo is None else fo.repeats,
            "seed": None if fo is None else fo.seed,
            "stratified": None if fo is None else fo.stratified,
            "tie_break": "closest to uniform weights, then first in enumeration order",
            "curve": None if self.curve is None else self.curve.to_dict(),
            "notes": list(self.notes),
        }


def _as_index_map(
    spec: Mapping[int | str, Any] | Sequence[Any] | None, names: Sequence[str], what: str
) -> Any:
    if spec is None or not isinstance(spec, Mapping):
        return spec
    out: dict[int, Any] = {}
    for key, val in spec.items():
        if isinstance(key, str):
            if key not in names:
                raise UsageError(
                    f"{what}: unknown component {key!r} (components: {', '.join(names)})"
                )
            out[names.index(key)] = val
        else:
            out[key] = val
    return out


def grid_search(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
    component_names: Sequence[str] | None = None,
    step: float = 0.05,
    fixed: Mapping[int | str, float] | None = None,
    bounds: Mapping[int | str, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
    folds: int | None = 5,
    repeats: int = 10,
    seed: int = 0,
    val: tuple[Any, ...] | None = None,
    curve: bool = True,
    n_jobs: int = 1,
    backend: str | None = None,
    scheduler: str | None = None,
) -> GridResult:
    """Evaluate every grid point, pick the best, and estimate its accuracy honestly.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities of the K components.
    y : array-like of shape (n_videos,)
        Known labels.
    mask : array-like of shape (n_videos, K), bool, optional
    domain : {"prob", "logit"}
    component_names : sequence of str, optional
        Default ``c0, c1, ...``.
    step, fixed, bounds
        See :func:`grid_counts`; ``fixed`` and ``bounds`` may name components.
    folds, repeats, seed : int
        Cross-fitting (:func:`stratified_folds`); ``folds=None`` skips it.
    val : tuple (x_val, y_val) or (x_val, y_val, mask_val), optional
        Tune on this separate subset instead of cross-fitting; the honest
        accuracy is then that of the val-tuned point on ``x`` (std 0).
    curve : bool, default True
        Compute the exact curve when K = 2 (without a mask).
    n_jobs, backend, scheduler
        Evaluate the grid points in parallel (:mod:`fusionlab.parallel`):
        ``n_jobs`` workers on ``backend`` ("loky", "threading", or "dask" at
        ``scheduler``). The results equal the single-process ones exactly.

    Returns
    -------
    GridResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(60) % 3
    >>> x = np.log(rng.dirichlet(np.ones(3), size=(60, 2)))
    >>> res = grid_search(x, y, domain="prob", step=0.1, folds=3, repeats=2)
    >>> res.n_points, sorted(res.best_weights)
    (11, ['c0', 'c1'])
    """
    dom = check_domain(domain)
    xa = check_x(x)
    n, kc, c = xa.shape
    ya = check_y(y, n, c)
    m_arr = check_mask(mask, n, kc)
    names = (
        tuple(component_names) if component_names is not None else tuple(f"c{i}" for i in range(kc))
    )
    if len(names) != kc or len(set(names)) != kc:
        raise UsageError(f"component_names must be {kc} distinct names, got {list(names)}")
    counts, m = grid_counts(
        kc,
        step=step,
        fixed=_as_index_map(fixed, names, "fixed"),
        bounds=_as_index_map(bounds, names, "bounds"),
    )
    weights: Array = counts / float(m)
    tie = uniform_distance(counts, m)
    k5 = min(5, c)
    ks = (1, k5) if k5 > 1 else (1,)
    notes: list[str] = []

    fo: Folds | None = None
    if val is None and folds is not None:
        fo = stratified_folds(ya, folds=folds, repeats=repeats, seed=seed)
        if not fo.stratified:
            notes.append("a class has fewer videos than folds: folds are not stratified")
    if n_jobs == 1 and backend is None:
        ga = grid_accuracy(
            xa, ya, weights, m_arr, domain=dom, k=ks, groups=None if fo is None else fo.ids
        )
    else:
        from .parallel import grid_accuracy_parallel

        ga = grid_accuracy_parallel(
            xa,
            ya,
            weights,
            m_arr,
            domain=dom,
            k=ks,
            groups=None if fo is None else fo.ids,
            n_jobs=n_jobs,
            backend=backend or "loky",
            scheduler=scheduler,
        )
    top1 = ga.correct[0] / n
    top5 = ga.correct[-1] / n
    best = select_best(ga.correct[0], tie)

    honest: float | None = None
    honest_std: float | None = None
    honest5: float | None = None
    per_rep: Array | None = None
    held: BoolArray | None = None
    selection: Literal["cross-fit", "val", "none"] = "none"
    if fo is not None and ga.group_correct is not None:
        selection = "cross-fit"
        gc = ga.group_correct  # (len(ks), P, R, F)
        per = np.zeros(fo.repeats)
        per5 = np.zeros(fo.repeats)
        held = np.zeros(n, dtype=bool)
        for r in range(fo.repeats):
            for f in range(fo.folds):
                train = ga.correct[0] - gc[0, :, r, f]
                sel = select_best(train, tie)
                per[r] += gc[0, sel, r, f]
                per5[r] += gc[-1, sel, r, f]
                if r == 0:
                    test = np.flatnonzero(fo.ids[0] == f)
                    held[test] = _correct_at(
                        xa[test],
                        ya[test],
                        weights[sel],
                        None if m_arr is None else m_arr[test],
                        dom,
                    )
        per /= n
        per5 /= n
        per_rep = per
        honest = float(per.mean())
        honest_std = float(per.std(ddof=1)) if fo.repeats > 1 else 0.0
        honest5 = float(per5.mean())
    elif val is not None:
        selection = "val"
        if len(val) not in (2, 3):
            raise UsageError("val must be (x_val, y_val) or (x_val, y_val, mask_val)")
        xv = check_x(val[0], "x_val")
        if xv.shape[1:] != xa.shape[1:]:
            raise UsageError(f"x_val must have shape (n, {kc}, {c}), got {xv.shape}")
        yv = check_y(val[1], xv.shape[0], c)
        mv = check_mask(val[2] if len(val) == 3 else None, xv.shape[0], kc)
        gv = grid_accuracy(xv, yv, weights, mv, domain=dom, k=(1,))
        sel = select_best(gv.correct[0], tie)
        honest = float(top1[sel])
        honest_std = 0.0
        honest5 = float(top5[sel])
        per_rep = np.array([honest])
        held = _correct_at(xa, ya, weights[sel], m_arr, dom)
        notes.append(f"tuned on a separate val subset ({xv.shape[0]} videos)")

    crv: Curve | None = None
    if curve and kc == 2:
        if fixed or bounds:
            notes.append("no exact curve: it spans all weights, but --fixed/--bound restrict them")
        elif m_arr is None:
            crv = two_component_curve(xa[:, 0], xa[:, 1], ya, domain=dom)
        else:
            notes.append("no exact curve: some components are missing for some videos")
    return GridResult(
        component_names=names,
        domain=dom,
        step=float(step),
        counts=counts,
        weights=weights,
        top1=top1,
        top5=top5,
        best_index=best,
        oracle_top1=float(top1[best]),
        oracle_top5=float(top5[best]),
        honest_top1=honest,
        honest_top1_std=honest_std,
        honest_top5=honest5,
        honest_per_repeat=per_rep,
        held_out_correct=held,
        selection=selection,
        folds=fo,
        curve=crv,
        n_videos=n,
        n_classes=c,
        n_rechecked=ga.n_rechecked,
        notes=tuple(notes),
    )


def _correct_at(x: Array, y: IntArray, w: Array, mask: Mask, domain: Domain) -> BoolArray:
    """Top-1 correctness of every video at one weight vector (reference operations)."""
    n, kc, _ = x.shape
    v = _values(x, domain)
    wr = _video_weights(np.broadcast_to(w, (n, kc)), mask)
    out: BoolArray = _rank_of_true(_weighted_sum(v, wr), y) == 0
    return out


# --------------------------------------------------------------------------- components


@dataclass(frozen=True, eq=False)
class Components:
    """The components of one evaluation that a grid (or learned fusion) weighs.

    Attributes
    ----------
    x : ndarray of shape (n_videos, K, n_classes)
        Log-probabilities of the videos with a known label.
    mask : ndarray of shape (n_videos, K), bool, or None
    y : ndarray of shape (n_videos,)
    names : tuple of str
        ``rgb`` (streams), ``rgb/seg1`` (segments, components), ``rgb@30`` (epochs).
    over : {"streams", "segments", "components", "epochs"}
    streams : tuple of str
        Streams involved.
    consensus : str or None
        Segment-consensus rule used to make stream-level components.
    evaluation : str
    """

    x: Array
    mask: Mask
    y: IntArray
    names: tuple[str, ...]
    over: Over
    streams: tuple[str, ...]
    consensus: str | None
    evaluation: str


def components(
    evaluation: Evaluation,
    *,
    over: Over = "streams",
    domain: Domain = "prob",
    consensus: str = "mean",
    stream: str | None = None,
) -> Components:
    """Build the components of ``evaluation`` to search over.

    ``streams``: one component per stream (latest epoch), its segments fused by
    ``consensus`` in ``domain`` (normalised to log-probabilities);
    ``segments``: the segments of ``stream`` (default: the first stream);
    ``components``: every stream x segment pair (latest epochs);
    ``epochs``: every checkpoint of ``stream``, each fused by ``consensus``.
    Only videos with a known label are kept.
    """
    from . import rules

    dom = check_domain(domain)
    rule = rules.get_rule(consensus)
    if not rule.symmetric:
        raise UsageError(
            f"consensus rule {consensus!r} needs fixed weights; choose one of "
            + ", ".join(n for n, r in rules.RULES.items() if r.symmetric)
        )
    ev = evaluation
    known = ev.labels >= 0
    if not known.any():
        raise UsageError(f"evaluation {ev.name}: no video has a known label (all -1)")
    idx = np.flatnonzero(known)
    streams = list(ev.streams)
    if stream is not None and over in ("streams", "components"):
        raise UsageError(f"--stream applies to --over segments or epochs, not --over {over}")
    if stream is not None and stream not in streams:
        raise UsageError(
            f"evaluation {ev.name}: no stream {stream!r} (streams: {', '.join(streams)})"
        )

    def lp(key: tuple[str, int | None]) -> tuple[Array, Mask]:
        s = ev.sets[key]
        x = np.asarray(s.log_probs(), dtype=np.float64)[idx]
        m = None if s.segment_mask is None else np.asarray(s.segment_mask)[idx]
        return x, (None if m is None or m.all() else m)

    def fused(key: tuple[str, int | None]) -> Array:
        x, m = lp(key)
        if x.shape[1] == 1:
            return x[:, 0]
        out: Array = rules.fuse_log_probs(consensus, x, m, domain=dom)
        return out

    mask: Mask = None
    cons: str | None = None
    if over == "streams":
        if len(streams) < 2:
            raise UsageError(
                f"evaluation {ev.name}: --over streams needs at least two streams, "
                f"found {', '.join(streams)}"
            )
        keys = [(s, ev.epochs(s)[-1]) for s in streams]
        x = np.stack([fused(k) for k in keys], axis=1)
        names = tuple(streams)
        used = tuple(streams)
        cons = consensus
    elif over == "segments":
        st = stream or streams[0]
        x, mask = lp((st, ev.epochs(st)[-1]))
        if x.shape[1] < 2:
            raise UsageError(
                f"evaluation {ev.name}: stream {st!r} has one segment, nothing to weigh"
            )
        names = tuple(component_name(st, j) for j in range(x.shape[1]))
        used = (st,)
    elif over == "components":
        parts = [lp((s, ev.epochs(s)[-1])) for s in streams]
        x, mask = rules.flat_components([p[0] for p in parts], [p[1] for p in parts])
        names = tuple(
            component_name(s, j)
            for s, p in zip(streams, parts, strict=True)
            for j in range(p[0].shape[1])
        )
        used = tuple(streams)
        if x.shape[1] < 2:
            raise UsageError(f"evaluation {ev.name}: only one component, nothing to weigh")
    elif over == "epochs":
        st = stream or streams[0]
        eps = ev.epochs(st)
        if len(eps) < 2:
            raise UsageError(
                f"evaluation {ev.name}: --over epochs needs at least two checkpoints "
                f"of stream {st!r}"
            )
        x = np.stack([fused((st, e)) for e in eps], axis=1)
        names = tuple(ev.sets[(st, e)].name if e is not None else st for e in eps)
        used = (st,)
        cons = consensus
    else:
        raise UsageError(f"over must be streams, segments, components or epochs, got {over!r}")
    if mask is not None and mask.all():
        mask = None
    return Components(
        x=np.ascontiguousarray(x),
        mask=mask,
        y=ev.labels[idx],
        names=names,
        over=over,
        streams=used,
        consensus=cons,
        evaluation=ev.name,
    )


# --------------------------------------------------------------------------- command line


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100.0 * v:.2f} %"


def format_grid(result: GridResult) -> str:
    """Plain-text summary of one grid search (the ``--format table`` output)."""
    r = result
    lines = [
        f"{r.evaluation or 'scores'}: grid over {r.over or 'components'} "
        f"({', '.join(r.component_names)}), domain {r.domain}, step {r.step:g}: "
        f"{r.n_points} points, {r.n_videos} videos",
        "  best weights   " + "  ".join(f"{k} {v:.2f}" for k, v in r.best_weights.items()),
        f"  oracle         top-1 {_pct(r.oracle_top1)}   "
        f"top-{min(5, r.n_classes)} {_pct(r.oracle_top5)}   (tuned on the same videos: optimistic)",
    ]
    if r.honest_top1 is not None:
        how = r.folds.note if r.folds is not None else "tuned on val, scored on test"
        std = "" if r.honest_top1_std is None else f" ± {100.0 * r.honest_top1_std:.2f}"
        lines.append(
            f"  honest         top-1 {_pct(r.honest_top1)}{std}   "
            f"top-{min(5, r.n_classes)} {_pct(r.honest_top5)}   ({how})"
        )
    if r.curve is not None:
        lo, hi, lc, hc = r.curve.optimum[0]
        iv = f"{'[' if lc else '('}{lo:.4f}, {hi:.4f}{']' if hc else ')'}"
        more = f" (+{len(r.curve.optimum) - 1} more)" if len(r.curve.optimum) > 1 else ""
        lines.append(
            f"  exact curve    best top-1 {_pct(r.curve.best_accuracy)} for weight of "
            f"{r.component_names[1]} in {iv}{more}; {len(r.curve.exact)} breakpoints"
        )
    lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines) + "\n"


def _parse_assignments(items: Sequence[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items or []:
        if "=" not in it:
            raise UsageError(f"{what} expects NAME=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``fusionlab grid``."""
    parser.epilog = (
        "Every grid point is evaluated exactly; the best weights are reported with the "
        "oracle accuracy (tuned on the same videos) and the honest, cross-fitted one "
        "(tuned on k-1 folds, scored on the held-out fold; mean and spread over repeats). "
        "--format json writes one object per evaluation (a list when there are several)."
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILES", help="score files (.npz), globs allowed"
    )
    parser.add_argument(
        "--over",
        choices=["streams", "segments", "components", "epochs"],
        default="streams",
        help="what to weigh: streams (after segment consensus), the segments of one stream, "
        "every stream x segment pair, or the checkpoints of one stream (default: streams)",
    )
    parser.add_argument("--stream", default=None, help="the stream for --over segments/epochs")
    parser.add_argument(
        "--step", type=float, default=0.05, help="grid step; 1/step must be an integer"
    )
    parser.add_argument("--domain", choices=["prob", "logit"], default="prob")
    parser.add_argument("--consensus", default="mean", help="segment-consensus rule (default mean)")
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds (0 = none)")
    parser.add_argument("--repeats", type=int, default=10, help="cross-fitting repeats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fixed", action="append", metavar="NAME=W", help="pin a component's weight (repeatable)"
    )
    parser.add_argument(
        "--bound",
        action="append",
        metavar="NAME=LO:HI",
        help="bound a component's weight (repeatable)",
    )
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--allow-partial", action="store_true", help="keep only the common videos")
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = standard output)")
    parser.add_argument(
        "--jobs", type=int, default=1, help="parallel workers for the grid (-1 = one per core)"
    )
    parser.add_argument(
        "--backend",
        choices=["loky", "threading", "dask"],
        default=None,
        help="joblib backend for --jobs (dask: a dask.distributed cluster at --scheduler)",
    )
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://...)")


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab grid``: one grid search per evaluation (files sharing dataset/split/subset).

    ``--format json`` writes one object when there is one evaluation and a list
    of objects (one per evaluation, in order of first appearance) otherwise.
    """
    from .output import write_output
    from .scores import group, load, resolve_paths

    if not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must be in [0, 2**32), got {args.seed}")
    if args.jobs == 0 or args.jobs < -1:
        raise UsageError(
            f"--jobs must be a positive number of workers or -1 (all cores), got {args.jobs}"
        )
    sets = [load(p) for p in resolve_paths(list(args.files))]
    evaluations = group(sets, allow_partial=bool(args.allow_partial))
    if args.folds not in (0, None) and args.folds < 2:
        raise UsageError(f"--folds must be 0 (none) or >= 2, got {args.folds}")
    fixed_s = _parse_assignments(args.fixed, "--fixed")
    bound_s = _parse_assignments(args.bound, "--bound")
    from .evaluate import val_partners

    partners = val_partners(evaluations)
    used_as_val = {id(v) for v in partners.values()}
    results: list[GridResult] = []
    for ev in evaluations:
        if id(ev) in used_as_val:
            continue  # it tunes its test partner below
        comp = components(
            ev, over=args.over, domain=args.domain, consensus=args.consensus, stream=args.stream
        )
        vpart = partners.get(id(ev))
        vcomp = (
            None
            if vpart is None
            else components(
                vpart,
                over=args.over,
                domain=args.domain,
                consensus=args.consensus,
                stream=args.stream,
            )
        )
        if vcomp is not None and vcomp.names != comp.names:
            raise UsageError(
                f"val subset {vpart.name if vpart else ''} has components {list(vcomp.names)}, "
                f"but {ev.name} has {list(comp.names)}"
            )
        fixed: dict[int | str, float] = {}
        for k, v in fixed_s.items():
            try:
                fixed[k] = float(v)
            except ValueError:
                raise UsageError(f"--fixed {k}: weight must be a number, got {v!r}") from None
        bounds: dict[int | str, tuple[float, float]] = {}
        for k, v in bound_s.items():
            try:
                lo, hi = (float(t) for t in v.split(":"))
            except ValueError:
                raise UsageError(f"--bound {k}: expected LO:HI, got {v!r}") from None
            bounds[k] = (lo, hi)
        res = grid_search(
            comp.x,
            comp.y,
            comp.mask,
            domain=args.domain,
            component_names=comp.names,
            step=args.step,
            fixed=fixed or None,
            bounds=bounds or None,
            folds=None if vcomp is not None else (args.folds or None),
            repeats=args.repeats,
            seed=args.seed,
            val=None if vcomp is None else (vcomp.x, vcomp.y, vcomp.mask),
            n_jobs=args.jobs,
            backend=args.backend,
            scheduler=args.scheduler,
        )
        from dataclasses import replace

        results.append(replace(res, evaluation=ev.name, over=args.over))
    if args.format == "json":
        docs = [r.to_dict() for r in results]
        from .jsonio import json_value as _json_value

        plain = _json_value(docs[0] if len(docs) == 1 else docs)
        text = json.dumps(plain, indent=2, allow_nan=False) + "\n"
    else:
        text = "\n".join(format_grid(r) for r in results)
    write_output(args.output, text)
    return 0


# --------------------------------------------------------------------------- summary rows


def significance(
    correct_a: BoolArray | None,
    correct_b: BoolArray,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare two results on the same videos: accuracy difference, paired interval, McNemar.

    Parameters
    ----------
    correct_a : ndarray of shape (n_videos,), bool, or None
        E.g. the held-out correctness of a tuned fusion (None gives None fields).
    correct_b : ndarray of shape (n_videos,), bool
        E.g. the best single stream.

    Returns
    -------
    dict
        ``diff_vs_best_single`` (accuracy of a minus b), ``diff_ci_low``,
        ``diff_ci_high`` (:func:`fusionlab.metrics.paired_bootstrap_diff`) and
        ``mcnemar_p`` (:func:`fusionlab.metrics.mcnemar`, exact below 25
        discordant videos).
    """
    from . import metrics

    held, single = correct_a, correct_b
    if held is None:
        return {
            "diff_vs_best_single": None,
            "diff_ci_low": None,
            "diff_ci_high": None,
            "mcnemar_p": None,
        }
    d = metrics.paired_bootstrap_diff(
        held, single, n_resamples=max(1, bootstrap), confidence=confidence, seed=seed
    )
    mc = metrics.mcnemar(held, single)
    return {
        "diff_vs_best_single": d.diff,
        "diff_ci_low": d.low,
        "diff_ci_high": d.high,
        "mcnemar_p": mc.pvalue,
    }


def summary_rows(
    evaluation: Evaluation,
    *,
    domain: Domain,
    max_components: int = 6,
    folds: int = 5,
    repeats: int = 10,
    seed: int = 0,
    step: float = 0.05,
    learned: bool = True,
    stacking: bool = False,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    val: Evaluation | None = None,
) -> list[dict[str, Any]]:
    """Rows of tuned results for the main table of ``python -m fusionlab.evaluate``.

    With ``val`` (the ``val`` subset of the same dataset and split, with the same
    streams), weights are tuned and combiners fitted on ``val`` and scored on
    ``evaluation`` (``selection`` "val", std 0) instead of cross-fitted.

    For ``evaluation`` (an aligned :class:`~fusionlab.scores.Evaluation`):

    * ``grid`` over streams (mean segment consensus) and over every stream x
      segment component, when there are 2 .. ``max_components`` components;
    * with ``learned``: learned-linear weights (logit domain, cross-entropy) over
      the same components, and temperature-scaled probability fusion over streams
      (rows for these have ``domain`` "logit" and "prob" whatever ``domain`` is);
    * with ``stacking``: multinomial logistic regression over streams (slow).

    Every row holds the keys of the evaluate table (``evaluation, level, streams,
    epoch, consensus, fusion, domain, weights, top1, top5, mean_class_acc, top1_ci,
    top1_ci_low, top1_ci_high, nll, ece, n_videos, spec``) where ``top1`` etc. are
    the oracle values (chosen on the same videos), plus ``components, over,
    oracle_top1, oracle_top5, honest_top1, honest_top1_std, honest_top5,
    selection, folds, repeats, n_points`` and a comparison of the held-out
    (first-repeat) predictions with the best single stream: ``best_single,
    diff_vs_best_single, diff_ci_low, diff_ci_high, mcnemar_p``. Accuracies are
    fractions.
    """
    dom = check_domain(domain)
    rows: list[dict[str, Any]] = []
    known = evaluation.labels >= 0
    if not known.any() or len(evaluation.streams) < 1:
        return rows
    kw: dict[str, Any] = {"bootstrap": bootstrap, "confidence": confidence, "seed": seed}
    # Best single stream (mean consensus, this domain) for the significance columns.
    singles: dict[str, BoolArray] = {}
    stream_comp: Components | None = None
    if len(evaluation.streams) >= 2:
        stream_comp = components(evaluation, over="streams", domain=dom)
        for j, s in enumerate(stream_comp.names):
            singles[s] = np.argmax(stream_comp.x[:, j], axis=1) == stream_comp.y
    else:
        comp1 = (
            components(evaluation, over="segments", domain=dom)
            if evaluation.latest(evaluation.streams[0]).n_segments > 1
            else None
        )
        if comp1 is None:
            return rows
        from . import rules

        fused1 = rules.fuse("mean", comp1.x, comp1.mask, domain=dom)
        singles[evaluation.streams[0]] = np.argmax(fused1, axis=1) == comp1.y
    best_single = max(singles, key=lambda s: (int(singles[s].sum()), -list(singles).index(s)))
    single_correct = singles[best_single]

    comps: list[Components] = []
    if stream_comp is not None and stream_comp.x.shape[1] <= max_components:
        comps.append(stream_comp)
    flat = (
        components(evaluation, over="components", domain=dom)
        if sum(evaluation.latest(s).n_segments for s in evaluation.streams) >= 2
        else None
    )
    if (
        flat is not None
        and flat.x.shape[1] <= max_components
        and (stream_comp is None or flat.x.shape[1] > stream_comp.x.shape[1])
    ):
        comps.append(flat)

    def base(comp: Components, level: str, fusion: str, row_domain: str) -> dict[str, Any]:
        return {
            "evaluation": evaluation.name,
            "level": level,
            "streams": list(comp.streams),
            "epoch": None,
            "consensus": comp.consensus if comp.over == "streams" else "flat",
            "fusion": fusion,
            "domain": row_domain,
            "components": list(comp.names),
            "over": comp.over,
            "n_videos": int(comp.y.size),
            "best_single": best_single,
            "spec": None,
        }

    def val_of(comp: Components) -> tuple[Any, ...] | None:
        if val is None:
            return None
        vc = components(val, over=comp.over, domain=dom)
        if vc.names != comp.names:
            raise UsageError(
                f"val subset {val.name} has components {list(vc.names)}, but "
                f"{evaluation.name} has {list(comp.names)}"
            )
        return (vc.x, vc.y, vc.mask)

    for comp in comps:
        vcomp = val_of(comp)
        g = grid_search(
            comp.x,
            comp.y,
            comp.mask,
            domain=dom,
            component_names=comp.names,
            step=step,
            folds=None if vcomp is not None else folds,
            repeats=repeats,
            seed=seed,
            curve=False,
            val=vcomp,
        )
        fused = _fused_at(comp, g.weights[g.best_index], dom)
        met = row_metrics(fused, comp.y, dom, **kw)
        met.pop("correct")
        row = base(comp, "grid", "grid-weighted", dom)
        row.update(met)
        row.update(
            {
                "weights": [float(w) for w in g.weights[g.best_index]],
                "oracle_top1": g.oracle_top1,
                "oracle_top5": g.oracle_top5,
                "honest_top1": g.honest_top1,
                "honest_top1_std": g.honest_top1_std,
                "honest_top5": g.honest_top5,
                "selection": g.selection,
                "folds": folds,
                "repeats": repeats,
                "n_points": g.n_points,
            }
        )
        row.update(significance(g.held_out_correct, single_correct, **kw))
        rows.append(row)

    if learned or stacking:
        from . import learned as lrn

        methods: list[tuple[Components, Literal["linear", "stacking", "temperature"]]] = []
        if learned:
            methods += [(comp, "linear") for comp in comps]
            if stream_comp is not None and stream_comp.x.shape[1] <= max_components:
                methods.append((stream_comp, "temperature"))
        if stacking and stream_comp is not None and stream_comp.x.shape[1] <= max_components:
            methods.append((stream_comp, "stacking"))
        for comp, method in methods:
            res = lrn.learned_fusion(
                comp.x,
                comp.y,
                comp.mask,
                method=method,
                component_names=comp.names,
                folds=folds,
                repeats=repeats,
                seed=seed,
                val=val_of(comp),
            )
            met = row_metrics(res.in_sample_scores, comp.y, res.domain, **kw)
            met.pop("correct")
            row = base(comp, "learned", res.fusion, res.domain)
            row.update(met)
            row.update(
                {
                    "weights": None if res.weights is None else list(res.weights.values()),
                    "temperatures": None if res.temperatures is None else dict(res.temperatures),
                    "in_sample_top1": res.in_sample_top1,
                    "in_sample_top5": res.in_sample_top5,
                    "honest_top1": res.honest_top1,
                    "honest_top1_std": res.honest_top1_std,
                    "honest_top5": res.honest_top5,
                    "selection": "cross-fit" if val is None else "val",
                    "folds": folds,
                    "repeats": repeats,
                    "n_points": None,
                }
            )
            row.update(significance(res.held_out_correct, single_correct, **kw))
            rows.append(row)
    return rows


def _fused_at(comp: Components, w: Array, domain: Domain) -> Array:
    n, kc, _ = comp.x.shape
    v = _values(comp.x, domain)
    return _weighted_sum(v, _video_weights(np.broadcast_to(w, (n, kc)), comp.mask))


if __name__ == "__main__":  # pragma: no cover
    from . import cli

    sys.exit(cli.run_subcommand("grid"))
