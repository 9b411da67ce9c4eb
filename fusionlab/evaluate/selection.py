"""The best of many rules, honestly: the table's top rule re-chosen by cross-fitting.

The top untuned row of a table is the best of R rules compared on the test
labels, so its top-1 overstates what choosing a rule this way gives on new
videos. :func:`best_of_many` repeats the choice inside cross-fitting (the
stratified k-fold folds of the tuned rows, :func:`fusionlab.search.cross_fit`
with ``EvaluateOptions.folds``, ``repeats`` and ``seed``): in each fold it
picks the best of the R untuned rows on the k-1 training folds, with the
table's tie-break (top-1, then top-5, then mean class accuracy, then
generation order), and scores that row on the held-out fold. The honest top-1
is the held-out accuracy, averaged over repeats (± their sample standard
deviation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["best_of_many", "choose_row"]

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def choose_row(
    correct: BoolArray,
    correct5: BoolArray,
    y: IntArray,
    *,
    n_classes: int,
    index: npt.NDArray[np.intp] | None = None,
) -> int:
    """The row the table ranks first on the videos ``index`` (all when None).

    Parameters
    ----------
    correct, correct5 : ndarray of shape (n_rows, n_videos), bool
        Top-1 and top-5 correctness of every row, in generation order.
    y : ndarray of shape (n_videos,)
        Labels, for the mean class accuracy (mean recall over the classes present).
    n_classes : int
    index : ndarray of int, optional

    Returns
    -------
    int
        Most top-1 right, then most top-5 right, then highest mean class
        accuracy, then the first row. Counts are integers and class recalls are
        computed the same way for every row, so ties are exact.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([[1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 1, 1]], dtype=bool)
    >>> choose_row(c, c, np.array([0, 0, 1, 1]), n_classes=2, index=np.arange(3))
    0
    """
    return _pick(*_tallies(correct, correct5, y, n_classes, index))


Tallies = tuple[npt.NDArray[np.float64], ...]


def _tallies(
    correct: BoolArray,
    correct5: BoolArray,
    y: IntArray,
    n_classes: int,
    index: npt.NDArray[np.intp] | None = None,
) -> Tallies:
    """Top-1 and top-5 right counts per row, right counts per row and class, class sizes.

    All are integers held as float64 (exact), so the tallies of a training set
    are those of all videos minus those of the held-out fold.
    """
    if index is not None:
        correct, correct5, y = correct[:, index], correct5[:, index], y[index]
    onehot = np.zeros((y.size, n_classes))
    onehot[np.arange(y.size), y] = 1.0
    return (
        correct.sum(axis=1, dtype=np.float64),
        correct5.sum(axis=1, dtype=np.float64),
        correct.astype(np.float64) @ onehot,
        onehot.sum(axis=0),
    )


def _pick(
    top1: npt.NDArray[np.float64],
    top5: npt.NDArray[np.float64],
    per_class: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.float64],
) -> int:
    present = sizes > 0
    mca = (per_class[:, present] / sizes[present]).mean(axis=1)
    order = np.lexsort((np.arange(top1.size), -mca, -top5, -top1))
    return int(order[0])


def best_of_many(
    labels: Sequence[str],
    correct: BoolArray,
    correct5: BoolArray,
    y: IntArray,
    *,
    n_classes: int,
    folds: int,
    repeats: int,
    seed: int,
    groups: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """Naive and cross-fitted accuracy of choosing the best of the rows.

    Parameters
    ----------
    labels : sequence of str
        One label per row (generation order), e.g. ``rgb@12+flow@12 mean→max (prob)``.
    correct, correct5 : ndarray of shape (n_rows, n_videos), bool
    y : ndarray of shape (n_videos,)
    n_classes, folds, repeats, seed : int
        Folds as in :func:`fusionlab.search.stratified_folds`.
    groups : array-like of shape (n_videos,), int, optional
        Groups of videos: the folds never split one (``--groups``).

    Returns
    -------
    dict
        ``naive_label, naive_top1`` (the best row on all videos), ``honest_top1,
        honest_top1_std`` (cross-fitted; std over repeats, ddof 1),
        ``honest_per_repeat``, ``n_rules`` (R), ``folds, repeats, seed,
        stratified``, ``n_choices`` (folds x repeats) and ``chosen``: a list of
        ``{"label", "count"}``, most often chosen first (then generation order).
    """
    from ..search import cross_fit

    chosen: list[int] = []

    everything = _tallies(correct, correct5, y, n_classes)

    def select(train: IntArray, test: IntArray) -> BoolArray:
        # the training folds' tallies: all videos' minus the (smaller) held-out fold's
        held = _tallies(correct, correct5, y, n_classes, test)
        i = _pick(*(a - b for a, b in zip(everything, held, strict=True)))
        chosen.append(i)
        return np.asarray(correct[i, test], dtype=bool)

    naive = _pick(*everything)
    fit = cross_fit(select, y, folds=folds, repeats=repeats, seed=seed, groups=groups)
    tally = Counter(chosen)
    return {
        "naive_label": labels[naive],
        "naive_top1": float(correct[naive].mean()),
        "honest_top1": float(fit.mean[0]),
        "honest_top1_std": float(fit.std[0]),
        "honest_per_repeat": [float(v) for v in fit.per_repeat[:, 0]],
        "n_rules": len(labels),
        "folds": fit.folds.folds,
        "repeats": fit.folds.repeats,
        "seed": fit.folds.seed,
        "stratified": fit.folds.stratified,
        "n_choices": len(chosen),
        "chosen": [
            {"label": labels[i], "count": tally[i]}
            for i in sorted(tally, key=lambda i: (-tally[i], i))
        ],
    }
