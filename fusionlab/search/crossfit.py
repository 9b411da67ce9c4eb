"""Honest selection: repeated stratified folds, cross-fitting, and the grid's tie-break.

Among grid points with the best training top-1, the selected one is the one
closest to uniform weights (smallest ``sum_k (K n_k - m)**2``, an exact integer,
:func:`uniform_distance`), then the first in enumeration order (:func:`select_best`).

Honest estimates use cross-fitting (:func:`stratified_folds`): for each repeat,
videos are split into ``folds`` stratified folds (scikit-learn
``StratifiedKFold(shuffle=True, random_state=seed + repeat)``, or ``KFold`` when a
class has fewer videos than folds, which is reported); the point is tuned on the
other folds and scored on the held-out fold; the honest accuracy of a repeat is
the held-out correct count over all folds divided by the number of videos. The
mean and the standard deviation (``ddof=1``; 0 with one repeat) over repeats are
reported. :func:`cross_fit` runs any tune-then-score function this way
(:mod:`fusionlab.learned` uses it for fitted combiners).

With ``groups`` (correlated videos, :mod:`fusionlab.groups`) the folds are
stratified *group* folds (:func:`group_folds`): no group is split across folds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from .reference import Array, BoolArray, IntArray

__all__ = [
    "CrossFit",
    "Folds",
    "cross_fit",
    "group_folds",
    "select_best",
    "stratified_folds",
    "uniform_distance",
]


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
    y: npt.ArrayLike,
    *,
    folds: int = 5,
    repeats: int = 10,
    seed: int = 0,
    groups: npt.ArrayLike | None = None,
) -> Folds:
    """Repeated stratified k-fold assignment of videos (scikit-learn, seeded per repeat).

    Repeat ``r`` uses ``StratifiedKFold(folds, shuffle=True, random_state=seed + r)``;
    when some class has fewer than ``folds`` videos, ``KFold`` with the same
    arguments is used instead and ``stratified`` is False.

    With ``groups`` (array-like of shape (n_videos,), int: the group code of each
    video, see :func:`fusionlab.groups.group_codes`), repeat ``r`` is
    :func:`group_folds` with seed ``seed + r``: every group lies in one fold,
    stratified by label as far as the groups allow (``stratified`` is True).

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
    if groups is not None:
        return _grouped_folds(ya, np.asarray(groups), int(folds), int(repeats), int(seed))
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


def _grouped_folds(
    y: npt.NDArray[Any], g: npt.NDArray[Any], folds: int, repeats: int, seed: int
) -> Folds:
    if g.shape != y.shape or g.dtype.kind not in "iu":
        raise UsageError(
            f"groups must be an integer array of shape {y.shape} (one group per video), "
            f"got dtype {g.dtype} and shape {g.shape}"
        )
    ids = np.stack([group_folds(y, g, folds=folds, seed=seed + r) for r in range(repeats)])
    n_groups = int(np.unique(g).size)
    note = (
        f"{folds}-fold stratified group cross-fitting ({n_groups} groups), "
        f"{repeats} repeat(s), seed {seed}"
    )
    return Folds(ids=ids, folds=folds, repeats=repeats, seed=seed, stratified=True, note=note)


def group_folds(
    y: npt.ArrayLike, groups: npt.ArrayLike, *, folds: int = 5, seed: int = 0
) -> IntArray:
    """Stratified group k-fold: the fold of each video, no group in two folds.

    The algorithm (deterministic for a seed; integer arithmetic only):

    1. The groups are put in a random order (``np.random.default_rng(seed)``
       permutation), then stably sorted by size, largest first.
    2. The first ``folds`` groups of that order go to folds 0, 1, ..., so that
       no fold is empty.
    3. Every further group goes to the fold holding the fewest videos of the
       group's classes (``sum_c n_group[c] * n_fold[c]``, which is the fold whose
       per-class counts move least far from the per-class targets
       ``n_class[c] / folds`` in squared distance); ties go to the fold with
       the fewest videos, then to the lowest fold index.

    With one video per group this is a greedy stratified k-fold.

    Parameters
    ----------
    y : array-like of shape (n_videos,), int
        Labels.
    groups : array-like of shape (n_videos,), int
        Group code of each video.
    folds : int, default 5
        Number of folds, at most the number of groups.
    seed : int, default 0

    Returns
    -------
    ndarray of shape (n_videos,), int64
        Fold of each video, in [0, folds); every fold holds at least one group.

    Raises
    ------
    UsageError
        Fewer groups than folds.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> g = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    >>> f = group_folds(y, g, folds=2, seed=0)
    >>> [len(set(f[g == k])) for k in range(4)]  # each group in one fold
    [1, 1, 1, 1]
    >>> [np.bincount(y[f == k]).tolist() for k in range(2)]  # stratified
    [[2, 2], [2, 2]]
    """
    ya = np.asarray(y)
    _, gcode = np.unique(np.asarray(groups), return_inverse=True)
    gcode = gcode.reshape(-1)
    _, ycode = np.unique(ya, return_inverse=True)
    ycode = ycode.reshape(-1)
    n_groups, n_cls = int(gcode.max(initial=-1)) + 1, int(ycode.max(initial=-1)) + 1
    if n_groups < folds:
        raise UsageError(
            f"cross-fitting by group needs at least folds={folds} groups, got {n_groups}"
        )
    per_group = np.zeros((n_groups, n_cls), dtype=np.int64)
    np.add.at(per_group, (gcode, ycode), 1)
    size = per_group.sum(axis=1)
    order = np.random.default_rng(seed).permutation(n_groups)
    order = order[np.argsort(-size[order], kind="stable")]
    in_fold = np.zeros((folds, n_cls), dtype=np.int64)
    fold_of = np.zeros(n_groups, dtype=np.int64)
    for pos, gi in enumerate(order):
        cls = np.flatnonzero(per_group[gi])
        if pos < folds:
            f = pos
        else:
            cost = in_fold[:, cls] @ per_group[gi, cls]
            total = in_fold.sum(axis=1)
            f = int(np.lexsort((np.arange(folds), total, cost))[0])
        fold_of[gi] = f
        in_fold[f, cls] += per_group[gi, cls]
    out: IntArray = fold_of[gcode]
    return out


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
    groups: npt.ArrayLike | None = None,
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
    groups : array-like of shape (n_videos,), int, optional
        Group of each video: folds never split a group (:func:`group_folds`).

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
    fo = stratified_folds(ya, folds=folds, repeats=repeats, seed=seed, groups=groups)
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
