"""The fast exact grid evaluator: top-k correct counts of every grid point at once.

Exactness
---------
:func:`grid_accuracy` returns, for every grid point, exactly the number of videos
the per-point reference loop
(:func:`~fusionlab.search.reference.naive_grid_accuracy`) finds correct, ties
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

Weights: as :mod:`fusionlab.search.reference` (finite, non-negative, each non-zero
weight within ``[2**-60, 2**60]``, every row with a positive sum).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..validation import check_domain, check_mask, check_x, check_y
from .reference import (
    Array,
    BoolArray,
    Domain,
    IntArray,
    Mask,
    check_ks,
    check_weights,
    domain_values,
    rank_of_true,
    video_weights,
    weighted_sum,
)

__all__ = ["GridAccuracy", "grid_accuracy"]

_U64 = 2.0**-53
_U32 = 2.0**-24
#: Values below this scale go to the exact path (underflow guard).
_TINY_SCALE = 2.0**-900
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
    vy = v[np.arange(n), :, y]  # (N, K)
    dmin, dmax, a, ident = _pair_bounds(v, vy, mask)
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
    todo = np.flatnonzero((always < kmax) & unc.any(axis=1) & ~exact_v)
    ndom = _dominators(v, mask, unc | always_m, todo)
    kept = unc & (ndom < kmax)
    nk = kept.sum(axis=1)

    ks_arr = np.asarray(ks)
    lo_k = always[:, None] < ks_arr[None, :]
    hi_k = ks_arr[None, :] <= (always + nk)[:, None]
    needs = (lo_k & hi_k).any(axis=1) & ~exact_v
    static = ~needs & ~exact_v
    static_correct = ((always + nk)[None, :] < ks_arr[:, None]) & static[None, :]
    fast = np.flatnonzero(needs)
    return _Plan(
        static_correct=static_correct,
        static=static,
        exact=np.flatnonzero(exact_v),
        tiers=_tiers(v, vy, a, mask, kept, fast, max_videos=max_videos),
        always=always,
        n_pairs=int(nk[fast].sum()) if fast.size else 0,
    )


def _pair_bounds(v: Array, vy: Array, mask: Mask) -> tuple[Array, Array, Array, BoolArray]:
    """Per (video, class) over valid components: min and max of ``d = v_y - v_c``, the scale
    ``a = max(|v_y| + |v_c|)``, and whether the values are bit-identical.

    In chunks of videos, so that no (N, K, C) temporary is held.
    """
    n, kc, c = v.shape
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
    return dmin, dmax, a, ident


def _dominators(v: Array, mask: Mask, cand: BoolArray, todo: IntArray) -> IntArray:
    """Per (video, class): candidates that dominate it component-wise (videos ``todo`` only).

    ``e`` dominates ``c`` when ``v_e >= v_c`` on every valid component, and is not equal
    to it everywhere or has the lower index (it wins the tie).
    """
    n, kc, c = v.shape
    ndom = np.zeros((n, c), dtype=np.int64)
    chunk = max(1, (1 << 22) // (c * c))
    cls = np.arange(c)
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
    return ndom


def _tiers(
    v: Array,
    vy: Array,
    a: Array,
    mask: Mask,
    kept: BoolArray,
    fast: IntArray,
    *,
    max_videos: int,
) -> list[tuple[IntArray, int, npt.NDArray[np.float32]]]:
    """Fast-pass columns: the videos ``fast`` by number of kept classes, in tiers of similar
    width; tier ``t`` holds D of shape (width, K, n_t): slot j of every video of the tier.
    """
    tiers: list[tuple[IntArray, int, npt.NDArray[np.float32]]] = []
    if not fast.size:
        return tiers
    kc = v.shape[1]
    nk = kept.sum(axis=1)
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
    return tiers


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
        wr = video_weights(wn[pp], None if mask is None else mask[nn])
        rank = rank_of_true(weighted_sum(v[nn], wr), y[nn])
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
    >>> from fusionlab.search import naive_grid_accuracy, simplex_grid
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
    w = check_weights(weights, kc)
    m = check_mask(mask, n, kc)
    ks = check_ks(k, c)
    mem, gflat, gshape = _group_matrix(groups, n)
    v = domain_values(xa, dom)
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
        n_first = 0 if mem is None else mem.shape[1] // (gshape[0] if len(gshape) == 2 else 1)
        for ap, an, af in _threaded_fast_pass(plan, w, ks, mem, n_first, correct, gcorrect):
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


def _threaded_fast_pass(
    plan: _Plan,
    w: Array,
    ks: tuple[int, ...],
    mem: npt.NDArray[np.float32] | None,
    n_first: int,
    correct: IntArray,
    gcorrect: IntArray | None,
) -> list[tuple[list[IntArray], list[IntArray], list[npt.NDArray[np.bool_]]]]:
    """:func:`_fast_pass` over all blocks of points, shared among up to ``_WORKERS`` threads."""
    n_points, kc = w.shape
    pb = _POINT_BLOCK
    # Row-normalised weights: the fast pass compares signs, scaling is free. Padded
    # to whole blocks with copies of the first row (their results are dropped).
    n_blocks = -(-n_points // pb)
    w32 = np.empty((n_blocks * pb, kc), dtype=np.float32)
    w32[:n_points] = w / w.sum(axis=1, keepdims=True)
    w32[n_points:] = w32[0]
    blocks = list(range(n_blocks))
    n_workers = max(1, min(_WORKERS, _cpu_count(), n_blocks // 8))
    parts = [blocks[j::n_workers] for j in range(n_workers)]
    args = (plan, w32, ks, kc, n_points, mem, n_first, correct, gcorrect)
    if n_workers == 1:
        return [_fast_pass(parts[0], *args)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        return list(pool.map(lambda part: _fast_pass(part, *args), parts))
