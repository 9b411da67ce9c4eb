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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from .reference import Array, BoolArray, IntArray

__all__ = ["CrossFit", "Folds", "cross_fit", "select_best", "stratified_folds", "uniform_distance"]


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
