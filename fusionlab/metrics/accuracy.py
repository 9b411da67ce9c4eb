"""Top-k, per-class and mean class accuracy, predictions and the confusion matrix."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .checks import (
    check_int_option,
    check_nonempty,
    check_scores,
    y_true_and_pred,
    y_true_and_score,
)

__all__ = [
    "confusion_matrix",
    "correct_top_k",
    "mean_class_accuracy",
    "per_class_accuracy",
    "predict",
    "top_k_accuracy",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------- accuracy


def predict(y_score: npt.ArrayLike) -> IntArray:
    """Predicted class of each sample: the argmax, ties to the lowest class index.

    Parameters
    ----------
    y_score : array-like of shape (n_samples, n_classes)
        Class scores in any monotone domain (probability, logit, log-probability).

    Returns
    -------
    y_pred : ndarray of shape (n_samples,), int64
        Class index in ``[0, n_classes)``.

    Raises
    ------
    UsageError
        If ``y_score`` is not 2-D, not real, has no class, or contains NaN.

    Examples
    --------
    >>> predict([[0.2, 0.5, 0.3], [0.4, 0.2, 0.4]])
    array([1, 0])
    """
    s = check_scores("y_score", y_score)
    return np.asarray(np.argmax(s, axis=1), dtype=np.int64)


def correct_top_k(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    k: int = 1,
    validate_args: bool = True,
) -> BoolArray:
    """Whether the true class of each sample is among its ``k`` top-scored classes.

    Ties are broken by the lowest class index: class ``j`` ranks above class
    ``i`` with the same score iff ``j < i``. The true class is in the top ``k``
    iff fewer than ``k`` classes rank above it. Runs in O(n_samples * n_classes).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    y_score : array-like of shape (n_samples, n_classes)
        Class scores in any monotone domain (probability, logit, log-probability).
    k : int, default=1
        Number of top classes that count as correct; ``k >= n_classes`` makes
        every sample correct.
    validate_args : bool, default=True
        Check the inputs. Pass False only in inner loops over inputs already
        checked; invalid inputs then give undefined results or numpy errors.

    Returns
    -------
    correct : ndarray of shape (n_samples,), bool

    Raises
    ------
    UsageError
        If the shapes disagree, a label is negative or ``>= n_classes``,
        ``y_score`` contains NaN, or ``k < 1``.

    Examples
    --------
    >>> y_score = [[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [0.1, 0.3, 0.6]]
    >>> correct_top_k([1, 1, 1], y_score)
    array([False, False, False])
    >>> correct_top_k([1, 1, 1], y_score, k=2)
    array([ True,  True,  True])
    """
    if validate_args:
        k = check_int_option("k", k)
        y, s = y_true_and_score(y_true, y_score)
    else:
        y, s = np.asarray(y_true), np.asarray(y_score)
    if k == 1:  # same ranking, cheaper: np.argmax breaks ties to the lowest index
        return np.asarray(np.argmax(s, axis=1) == y)
    rows = np.arange(s.shape[0])
    true_score = s[rows, y][:, None]
    above = np.count_nonzero(s > true_score, axis=1)
    tied_lower = np.count_nonzero((s == true_score) & (np.arange(s.shape[1]) < y[:, None]), axis=1)
    return np.asarray(above + tied_lower < k)


def top_k_accuracy(y_true: npt.ArrayLike, y_score: npt.ArrayLike, *, k: int = 1) -> float:
    """Fraction of samples whose true class is among the ``k`` top-scored classes.

    Ties are broken by the lowest class index (see :func:`correct_top_k`); this
    differs from ``sklearn.metrics.top_k_accuracy_score`` on tied scores only
    (see the module docstring).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    y_score : array-like of shape (n_samples, n_classes)
        Class scores in any monotone domain (probability, logit, log-probability).
    k : int, default=1

    Returns
    -------
    accuracy : float
        In [0, 1].

    Raises
    ------
    UsageError
        As :func:`correct_top_k`, and if there are no samples.

    Examples
    --------
    >>> y_score = [[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [0.1, 0.3, 0.6], [0.2, 0.7, 0.1]]
    >>> top_k_accuracy([0, 1, 2, 1], y_score)
    0.75
    >>> top_k_accuracy([0, 1, 2, 1], y_score, k=2)
    1.0
    """
    k = check_int_option("k", k)
    y, s = y_true_and_score(y_true, y_score)
    check_nonempty("y_true", y.shape[0])
    return float(np.mean(correct_top_k(y, s, k=k, validate_args=False)))


def per_class_accuracy(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, n_classes: int
) -> FloatArray:
    """Accuracy (recall) of each class: the fraction of its samples predicted right.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    y_pred : array-like of shape (n_samples,)
        Predicted class labels in ``[0, n_classes)``.
    n_classes : int
        Number of classes C.

    Returns
    -------
    accuracy : ndarray of shape (n_classes,), float64
        In [0, 1]; NaN for classes absent from ``y_true``.

    Raises
    ------
    UsageError
        If the lengths disagree, a label is negative or ``>= n_classes``, or
        ``n_classes < 1``.

    Examples
    --------
    >>> per_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1], n_classes=3)
    array([0.5, 1. , nan])
    """
    y, p, c = y_true_and_pred(y_true, y_pred, n_classes)
    total = np.bincount(y, minlength=c)
    hits = np.bincount(y[y == p], minlength=c)
    out = np.full(c, np.nan)
    np.divide(hits, total, out=out, where=total > 0)
    return out


def mean_class_accuracy(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, n_classes: int | None = None
) -> float:
    """Mean over classes of the per-class accuracy (recall).

    Same semantics as ``sklearn.metrics.balanced_accuracy_score`` (without
    ``adjusted``): the mean recall over the classes **present in** ``y_true``;
    classes that are only predicted, or absent altogether, do not count.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    y_pred : array-like of shape (n_samples,)
        Predicted class labels in ``[0, n_classes)``.
    n_classes : int, optional
        Number of classes, used to check the labels' range. Inferred from the
        labels when not given (it does not change the result).

    Returns
    -------
    accuracy : float
        In [0, 1].

    Raises
    ------
    UsageError
        If the lengths disagree, a label is negative or out of range, or there
        are no samples.

    Examples
    --------
    >>> mean_class_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    >>> mean_class_accuracy([0, 0, 1, 1], [0, 1, 1, 1], n_classes=3)
    0.75
    """
    y, p, c = y_true_and_pred(y_true, y_pred, n_classes)
    check_nonempty("y_true", y.shape[0])
    total = np.bincount(y, minlength=c)
    hits = np.bincount(y[y == p], minlength=c)
    present = total > 0
    return float(np.mean(hits[present] / total[present]))


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, n_classes: int) -> IntArray:
    """Confusion matrix: entry ``[i, j]`` counts samples of true class i predicted as j.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    y_pred : array-like of shape (n_samples,)
        Predicted class labels in ``[0, n_classes)``.
    n_classes : int
        Number of classes C.

    Returns
    -------
    matrix : ndarray of shape (n_classes, n_classes), int64
        Rows are true classes, columns predicted classes.

    Raises
    ------
    UsageError
        If the lengths disagree, a label is negative or ``>= n_classes``, or
        ``n_classes < 1``.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], n_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    """
    y, p, c = y_true_and_pred(y_true, y_pred, n_classes)
    return np.bincount(y * c + p, minlength=c * c).reshape(c, c).astype(np.int64, copy=False)
