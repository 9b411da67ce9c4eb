"""Accuracy, calibration and significance metrics over class scores.

A flat set of pure functions over numpy arrays, named and shaped like
``sklearn.metrics``: ``y_true`` holds true class labels of shape
``(n_samples,)``, ``y_score`` class scores of shape ``(n_samples, n_classes)``
in any monotone domain (probability, logit or log-probability: only their order
matters), ``y_pred`` predicted labels, ``log_prob`` normalised
log-probabilities. Options are keyword-only. Nothing here mutates its inputs.

Conventions
-----------
Labels
    ``y_true`` and ``y_pred`` hold known class labels in ``[0, n_classes)``.
    Unknown labels (``-1`` in score files) must be filtered out by the caller;
    a negative label raises :class:`~fusionlab.errors.UsageError`.
Ties
    A tie in score is broken by the lowest class index, everywhere: the
    decision is ``np.argmax``, and for top-k class ``j`` ranks above class
    ``i`` with the same score iff ``j < i``.
Validation
    Every function checks its inputs and raises
    :class:`~fusionlab.errors.UsageError` with a one-line message saying what
    was expected and what came. The functions used in inner loops
    (:func:`correct_top_k`, :func:`bootstrap_ci`) take ``validate_args=False``
    to skip the checks.

Relation to scikit-learn
------------------------
* :func:`top_k_accuracy` equals ``sklearn.metrics.top_k_accuracy_score`` (with
  ``labels=range(n_classes)``) when no two classes tie in score. On ties they
  differ: scikit-learn ranks with a stable ascending ``argsort`` that it then
  reverses, so among equal scores the *highest* class index ranks first (for
  ``k=1`` its decision is then not ``np.argmax``). fusionlab ranks the lowest
  index first, consistently with :func:`predict`. scikit-learn's result on
  tied scores equals ours with the class axis reversed.
* :func:`mean_class_accuracy` has the semantics of
  ``sklearn.metrics.balanced_accuracy_score``: the mean recall over the classes
  present in ``y_true``.
* :func:`confusion_matrix` equals ``sklearn.metrics.confusion_matrix`` with
  ``labels=range(n_classes)`` (rows true, columns predicted).
* :func:`nll` equals ``sklearn.metrics.log_loss`` with
  ``labels=range(n_classes)`` on probabilities away from 0; scikit-learn clips
  probabilities at machine epsilon, fusionlab does not (a true class with
  log-probability ``-inf`` gives ``inf``).
* :func:`ece` is the top-label expected calibration error with equal-width
  bins; scikit-learn has no multiclass counterpart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .errors import UsageError
from .scores import PROB_SUM_TOL

__all__ = [
    "LOGPROB_SUM_TOL",
    "BootstrapDiff",
    "McNemarResult",
    "ReliabilityBins",
    "bootstrap_ci",
    "bootstrap_counts",
    "confusion_matrix",
    "correct_top_k",
    "ece",
    "ece_from_bins",
    "mcnemar",
    "mean_class_accuracy",
    "nll",
    "paired_bootstrap_diff",
    "per_class_accuracy",
    "predict",
    "reliability_bins",
    "reliability_from_confidence",
    "top_k_accuracy",
]

#: Tolerance on the log-sum-exp of each row of ``log_prob`` (it must be 0).
LOGPROB_SUM_TOL = PROB_SUM_TOL

#: Below this many discordant pairs ``mcnemar(exact="auto")`` uses the exact test.
_MCNEMAR_EXACT_BELOW = 25

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BootstrapDiff:
    """Difference of two accuracies on the same videos, with a paired interval.

    Attributes
    ----------
    diff : float
        Accuracy of ``a`` minus accuracy of ``b``, in [-1, 1].
    low, high : float
        Percentile bootstrap interval of ``diff`` at level ``confidence``.
    n_resamples : int
        Number of bootstrap resamples.
    confidence : float
        Level of the interval, in (0, 1).
    """

    diff: float
    low: float
    high: float
    n_resamples: int
    confidence: float


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test of two classifiers on the same videos.

    Attributes
    ----------
    b : int
        Number of videos ``a`` gets right and ``b`` gets wrong.
    c : int
        Number of videos ``a`` gets wrong and ``b`` gets right.
    statistic : float
        ``min(b, c)`` for the exact test; ``(|b - c| - 1)**2 / (b + c)`` for the
        chi-square test (0.0 when ``b + c == 0``).
    pvalue : float
        Two-sided p-value, in [0, 1].
    method : {"exact", "chi2"}
        The test used.
    """

    b: int
    c: int
    statistic: float
    pvalue: float
    method: Literal["exact", "chi2"]


@dataclass(frozen=True, eq=False)
class ReliabilityBins:
    """Per-bin summary of top-label confidence, for a reliability diagram.

    Attributes
    ----------
    edges : ndarray of shape (n_bins + 1,)
        Bin edges ``linspace(0, 1, n_bins + 1)``; bin ``i`` is
        ``(edges[i], edges[i + 1]]``, and the first bin also holds 0.
    count : ndarray of shape (n_bins,), int64
        Number of samples whose confidence falls in each bin.
    confidence : ndarray of shape (n_bins,), float64
        Mean top-label confidence (probability) per bin; NaN for empty bins.
    accuracy : ndarray of shape (n_bins,), float64
        Fraction of correct top-label predictions per bin; NaN for empty bins.
    """

    edges: FloatArray
    count: IntArray
    confidence: FloatArray
    accuracy: FloatArray


# --------------------------------------------------------------------------- validation


def _check_int_option(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise UsageError(f"'{name}' must be {what}, got {value!r}.")
    return int(value)


def _check_confidence(confidence: Any) -> float:
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float, np.floating))
        or not 0.0 < confidence < 1.0
    ):
        raise UsageError(f"'confidence' must be a number in (0, 1), got {confidence!r}.")
    return float(confidence)


def _check_labels(name: str, y: npt.ArrayLike) -> IntArray:
    """A 1-D array of non-negative integer labels, as int64."""
    a = np.asarray(y)
    if a.ndim != 1:
        raise UsageError(
            f"'{name}' must be a 1-D array of class labels, got shape {tuple(a.shape)}."
        )
    if a.dtype.kind not in "iu" and a.size:
        raise UsageError(f"'{name}' must hold integer class labels, got dtype {a.dtype}.")
    a = a.astype(np.int64, copy=False)
    if a.size and a.min() < 0:
        i = int(np.argmax(a < 0))
        raise UsageError(
            f"'{name}' contains negative label {a[i]} at index {i}; "
            "unknown labels must be filtered out by the caller."
        )
    return a


def _check_label_range(name: str, y: IntArray, n_classes: int, source: str) -> None:
    if y.size and y.max() >= n_classes:
        i = int(np.argmax(y >= n_classes))
        raise UsageError(
            f"'{name}' contains label {y[i]} at index {i}, outside [0, {n_classes}) for {source}."
        )


def _check_same_rows(name_a: str, n_a: int, name_b: str, n_b: int) -> None:
    if n_a != n_b:
        raise UsageError(
            f"Number of rows in '{name_a}' ({n_a}) not equal to the number of rows "
            f"in '{name_b}' ({n_b})."
        )


def _check_nonempty(name: str, n: int) -> None:
    if n == 0:
        raise UsageError(f"'{name}' is empty; this metric needs at least one sample.")


def _check_scores(name: str, y_score: npt.ArrayLike) -> npt.NDArray[Any]:
    """A 2-D real array with at least one class and no NaN."""
    s = np.asarray(y_score)
    if s.ndim != 2:
        raise UsageError(
            f"'{name}' must be a 2-D array of shape (n_samples, n_classes), "
            f"got shape {tuple(s.shape)}."
        )
    if s.dtype.kind not in "fiu":
        raise UsageError(f"'{name}' must hold real numbers, got dtype {s.dtype}.")
    if s.shape[1] == 0:
        raise UsageError(f"'{name}' must have at least one class (column), got 0.")
    if s.dtype.kind == "f" and np.isnan(s).any():
        i = int(np.argmax(np.isnan(s).any(axis=1)))
        raise UsageError(f"'{name}' contains NaN (first in row {i}).")
    return s


def _check_log_prob(log_prob: npt.ArrayLike) -> FloatArray:
    """Normalised log-probabilities: no NaN or +inf, each row's log-sum-exp 0."""
    x = _check_scores("log_prob", log_prob).astype(np.float64, copy=False)
    if np.isposinf(x).any():
        i = int(np.argmax(np.isposinf(x).any(axis=1)))
        raise UsageError(
            f"'log_prob' contains +inf (first in row {i}); expected log-probabilities."
        )
    mx = x.max(axis=1)
    shift = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):  # an all -inf row has log-sum-exp -inf
        lse = shift + np.log(np.exp(x - shift[:, None]).sum(axis=1))
    bad = ~(np.abs(lse) <= LOGPROB_SUM_TOL)
    if bad.any():
        i = int(np.argmax(bad))
        raise UsageError(
            "'log_prob' must hold normalised log-probabilities (log-sum-exp of each row 0 "
            f"within {LOGPROB_SUM_TOL}); row {i} has log-sum-exp {lse[i]:.4g}."
        )
    return x


def _check_correct(name: str, correct: npt.ArrayLike, *, ndims: tuple[int, ...]) -> BoolArray:
    a = np.asarray(correct)
    if a.ndim not in ndims:
        shapes = " or ".join(("(n_samples,)", "(n_results, n_samples)")[d - 1] for d in ndims)
        raise UsageError(
            f"'{name}' must be a boolean array of shape {shapes}, got shape {tuple(a.shape)}."
        )
    if a.dtype != np.bool_:
        raise UsageError(f"'{name}' must be a boolean array, got dtype {a.dtype}.")
    return a


def _check_y_true_for(y_true: npt.ArrayLike, s: npt.NDArray[Any], score_name: str) -> IntArray:
    """Labels of ``y_true`` checked against the rows and classes of a 2-D score array."""
    y = _check_labels("y_true", y_true)
    _check_same_rows("y_true", y.shape[0], score_name, s.shape[0])
    _check_label_range("y_true", y, s.shape[1], f"'{score_name}' with {s.shape[1]} classes")
    return y


def _y_true_and_score(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike
) -> tuple[IntArray, npt.NDArray[Any]]:
    s = _check_scores("y_score", y_score)
    return _check_y_true_for(y_true, s, "y_score"), s


def _y_true_and_pred(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_classes: int | None
) -> tuple[IntArray, IntArray, int]:
    y = _check_labels("y_true", y_true)
    p = _check_labels("y_pred", y_pred)
    _check_same_rows("y_true", y.shape[0], "y_pred", p.shape[0])
    if n_classes is None:
        n_classes = 1 + max(int(y.max(initial=-1)), int(p.max(initial=-1)), 0)
    else:
        n_classes = _check_int_option("n_classes", n_classes)
        _check_label_range("y_true", y, n_classes, f"n_classes={n_classes}")
        _check_label_range("y_pred", p, n_classes, f"n_classes={n_classes}")
    return y, p, n_classes


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
    s = _check_scores("y_score", y_score)
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
        k = _check_int_option("k", k)
        y, s = _y_true_and_score(y_true, y_score)
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
    k = _check_int_option("k", k)
    y, s = _y_true_and_score(y_true, y_score)
    _check_nonempty("y_true", y.shape[0])
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
    y, p, c = _y_true_and_pred(y_true, y_pred, n_classes)
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
    y, p, c = _y_true_and_pred(y_true, y_pred, n_classes)
    _check_nonempty("y_true", y.shape[0])
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
    y, p, c = _y_true_and_pred(y_true, y_pred, n_classes)
    return np.bincount(y * c + p, minlength=c * c).reshape(c, c).astype(np.int64, copy=False)


# --------------------------------------------------------------------------- calibration


def nll(y_true: npt.ArrayLike, log_prob: npt.ArrayLike) -> float:
    """Mean negative log-likelihood of the true class (cross-entropy, in nats).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    log_prob : array-like of shape (n_samples, n_classes)
        Normalised log-probabilities (each row's log-sum-exp is 0 within
        ``LOGPROB_SUM_TOL``); ``-inf`` is allowed.

    Returns
    -------
    nll : float
        In [0, inf]; ``inf`` when a true class has log-probability ``-inf``.

    Raises
    ------
    UsageError
        If the shapes disagree, a label is out of range, there are no samples,
        or ``log_prob`` is not normalised (or holds NaN or +inf).

    Examples
    --------
    >>> import numpy as np
    >>> round(nll([0, 1], np.log([[0.5, 0.5], [0.2, 0.8]])), 4)
    0.4581
    """
    x = _check_log_prob(log_prob)
    y = _check_y_true_for(y_true, x, "log_prob")
    _check_nonempty("y_true", y.shape[0])
    return float(-np.mean(x[np.arange(y.shape[0]), y]))


def reliability_bins(
    y_true: npt.ArrayLike, log_prob: npt.ArrayLike, *, n_bins: int = 15
) -> ReliabilityBins:
    """Top-label confidence and accuracy in equal-width confidence bins.

    The confidence of a sample is its largest probability ``exp(max log_prob)``
    and its prediction the argmax (ties to the lowest class index). Bin ``i``
    is ``(i / n_bins, (i + 1) / n_bins]``; the first bin also holds confidence 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    log_prob : array-like of shape (n_samples, n_classes)
        Normalised log-probabilities.
    n_bins : int, default=15
        Number of bins over [0, 1].

    Returns
    -------
    ReliabilityBins
        ``edges``, and per bin ``count``, mean ``confidence`` and ``accuracy``
        (NaN for empty bins).

    Raises
    ------
    UsageError
        As :func:`nll`, and if ``n_bins < 1``.

    Examples
    --------
    >>> import numpy as np
    >>> bins = reliability_bins([0, 1, 1], np.log([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]]), n_bins=2)
    >>> bins.count
    array([0, 3])
    >>> bins.accuracy
    array([       nan, 0.66666667])
    """
    n_bins = _check_int_option("n_bins", n_bins)
    x = _check_log_prob(log_prob)
    y = _check_y_true_for(y_true, x, "log_prob")
    conf = np.clip(np.exp(x.max(axis=1)), 0.0, 1.0)
    correct = np.argmax(x, axis=1) == y
    return reliability_from_confidence(conf, correct, n_bins=n_bins)


def reliability_from_confidence(
    confidence: npt.ArrayLike, correct: npt.ArrayLike, *, n_bins: int = 15
) -> ReliabilityBins:
    """:func:`reliability_bins` from per-sample top-label confidences and correctness.

    For callers that process samples in chunks and keep only these two
    vectors (the large-evaluation path of ``fusionlab.evaluate``).

    Parameters
    ----------
    confidence : array-like of shape (n_samples,)
        Top-label probabilities in [0, 1].
    correct : array-like of shape (n_samples,), bool
        Whether the top-label prediction is right.
    n_bins : int, default=15

    Examples
    --------
    >>> reliability_from_confidence([0.9, 0.6, 0.7], [True, False, True], n_bins=2).count
    array([0, 3])
    """
    n_bins = _check_int_option("n_bins", n_bins)
    conf = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    hits = np.asarray(correct, dtype=np.float64)
    if conf.ndim != 1 or hits.shape != conf.shape:
        raise UsageError(
            f"'confidence' and 'correct' must be 1-d of equal length, got {conf.shape} and "
            f"{hits.shape}."
        )
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # searchsorted(side="left") gives i with edges[i-1] < conf <= edges[i]: bins (lo, hi].
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(np.int64, copy=False)
    conf_sum = np.bincount(idx, weights=conf, minlength=n_bins)
    hit_sum = np.bincount(idx, weights=hits, minlength=n_bins)
    mean_conf = np.full(n_bins, np.nan)
    accuracy = np.full(n_bins, np.nan)
    np.divide(conf_sum, count, out=mean_conf, where=count > 0)
    np.divide(hit_sum, count, out=accuracy, where=count > 0)
    return ReliabilityBins(edges=edges, count=count, confidence=mean_conf, accuracy=accuracy)


def ece_from_bins(bins: ReliabilityBins) -> float:
    """Expected calibration error of precomputed reliability bins.

    Examples
    --------
    >>> round(ece_from_bins(reliability_from_confidence([0.9, 0.6], [True, False], n_bins=2)), 4)
    0.25
    """
    n = int(bins.count.sum())
    _check_nonempty("y_true", n)
    full = bins.count > 0
    gap = np.abs(bins.accuracy[full] - bins.confidence[full])
    return float(np.sum(bins.count[full] * gap) / n)


def ece(y_true: npt.ArrayLike, log_prob: npt.ArrayLike, *, n_bins: int = 15) -> float:
    """Top-label expected calibration error with equal-width confidence bins.

    ``ECE = sum_b (n_b / n) * |accuracy_b - confidence_b|`` over the bins of
    :func:`reliability_bins`: bin ``i`` is ``(i / n_bins, (i + 1) / n_bins]``,
    the first bin also holds 0, and empty bins contribute nothing.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels in ``[0, n_classes)``.
    log_prob : array-like of shape (n_samples, n_classes)
        Normalised log-probabilities.
    n_bins : int, default=15
        Number of bins over [0, 1].

    Returns
    -------
    ece : float
        In [0, 1].

    Raises
    ------
    UsageError
        As :func:`nll`, and if ``n_bins < 1``.

    Examples
    --------
    >>> import numpy as np
    >>> log_prob = np.log([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    >>> round(ece([0, 1, 1], log_prob, n_bins=2), 4)
    0.0667
    """
    return ece_from_bins(reliability_bins(y_true, log_prob, n_bins=n_bins))


# --------------------------------------------------------------------------- bootstrap


def bootstrap_counts(
    n: int, *, n_resamples: int = 1000, seed: int | None = 0
) -> npt.NDArray[np.int32]:
    """Multiplicity of each sample in each bootstrap resample.

    Resample ``b`` draws ``n`` sample indices uniformly with replacement from
    ``np.random.default_rng(seed)``; ``counts[b, i]`` is how often sample ``i``
    was drawn. A statistic that is a mean over samples is then one matrix
    product away (see :func:`bootstrap_ci`), and several statistics computed
    from the same ``counts`` are paired.

    Parameters
    ----------
    n : int
        Number of samples (videos), >= 1.
    n_resamples : int, default=1000
        Number of resamples B.
    seed : int or None, default=0
        Seed of ``np.random.default_rng``; None draws fresh entropy.

    Returns
    -------
    counts : ndarray of shape (n_resamples, n), int32
        Non-negative; every row sums to ``n``.

    Raises
    ------
    UsageError
        If ``n`` or ``n_resamples`` is not a positive integer.

    Examples
    --------
    >>> counts = bootstrap_counts(4, n_resamples=3, seed=0)
    >>> counts.shape, counts.sum(axis=1).tolist()
    ((3, 4), [4, 4, 4])
    """
    n = _check_int_option("n", n)
    n_resamples = _check_int_option("n_resamples", n_resamples)
    rng = np.random.default_rng(seed)
    draw_dtype = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    idx = rng.integers(0, n, size=(n_resamples, n), dtype=draw_dtype)
    flat = (idx + (np.arange(n_resamples, dtype=np.int64) * n)[:, None]).ravel()
    counts = np.bincount(flat, minlength=n_resamples * n).reshape(n_resamples, n)
    return counts.astype(np.int32, copy=False)


def _resampled_means(counts: npt.NDArray[np.integer[Any]], values: npt.NDArray[Any]) -> FloatArray:
    """``counts @ values / n`` for values of shape (n, r) in {-1, 0, 1}, as float64 (B, r).

    float32 sums of integers are exact below 2**24, so float32 BLAS is used there.
    """
    n = counts.shape[1]
    dtype = np.float32 if n < 2**24 else np.float64
    sums = counts.astype(dtype, copy=False) @ values.astype(dtype, copy=False)
    total: FloatArray = np.asarray(sums, dtype=np.float64)
    return np.asarray(total / n, dtype=np.float64)


def _percentile_interval(stat: FloatArray, confidence: float) -> FloatArray:
    """(2, r) percentile interval over axis 0 of (B, r) resampled statistics."""
    alpha = (1.0 - confidence) / 2.0
    return np.asarray(np.quantile(stat, [alpha, 1.0 - alpha], axis=0), dtype=np.float64)


def bootstrap_ci(
    correct: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    counts: npt.ArrayLike | None = None,
    validate_args: bool = True,
) -> FloatArray:
    """Percentile bootstrap confidence interval of accuracy, paired across results.

    All rows of ``correct`` are evaluated on the same resamples of the videos
    (``counts``, drawn once), so intervals of different results on the same
    videos are paired, and identical rows get identical intervals. The
    resampled accuracies are ``counts @ correct.T / n_samples`` (one matrix
    product); the interval is given by their ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles (``np.quantile``, linear interpolation).

    Parameters
    ----------
    correct : array-like of shape (n_samples,) or (n_results, n_samples), bool
        Whether each video is classified correctly, for one or several results.
    n_resamples : int, default=1000
        Number of resamples B; ignored when ``counts`` is given.
    confidence : float, default=0.95
        Level of the interval, in (0, 1).
    seed : int or None, default=0
        Seed for :func:`bootstrap_counts`; ignored when ``counts`` is given.
        Calls with the same seed and ``n_resamples`` share their resamples.
    counts : array-like of shape (n_resamples, n_samples), int, optional
        Resample multiplicities from :func:`bootstrap_counts`, to share
        resamples between calls without drawing them again.
    validate_args : bool, default=True
        Check the inputs. Pass False only in inner loops over checked inputs.

    Returns
    -------
    interval : ndarray of shape (2,) or (n_results, 2), float64
        ``[low, high]`` accuracy bounds in [0, 1], per row of ``correct``.

    Raises
    ------
    UsageError
        If ``correct`` is not a 1-D or 2-D bool array or is empty, an option is
        out of range, or ``counts`` does not have one column per video.

    Examples
    --------
    >>> import numpy as np
    >>> correct = np.arange(100) % 4 != 0          # 75 % accuracy
    >>> low, high = bootstrap_ci(correct, seed=0)
    >>> bool(low < 0.75 < high)
    True
    >>> bootstrap_ci(np.stack([correct, correct])).shape
    (2, 2)
    """
    if validate_args:
        confidence = _check_confidence(confidence)
        a = _check_correct("correct", correct, ndims=(1, 2))
        _check_nonempty("correct", a.shape[-1])
    else:
        a = np.asarray(correct)
    rows = a.reshape(-1, a.shape[-1])
    n = rows.shape[1]
    if counts is None:
        cnt = bootstrap_counts(n, n_resamples=n_resamples, seed=seed)
    else:
        cnt = np.asarray(counts)
        if validate_args:
            if cnt.ndim != 2 or cnt.dtype.kind not in "iu" or cnt.shape[0] == 0:
                raise UsageError(
                    "'counts' must be an integer array of shape (n_resamples, n_samples), "
                    f"got dtype {cnt.dtype} and shape {tuple(cnt.shape)}."
                )
            if cnt.shape[1] != n:
                raise UsageError(
                    f"Number of columns in 'counts' ({cnt.shape[1]}) not equal to the "
                    f"number of samples in 'correct' ({n})."
                )
    interval = _percentile_interval(_resampled_means(cnt, rows.T), confidence).T
    return np.asarray(interval[0] if a.ndim == 1 else interval, dtype=np.float64)


def paired_bootstrap_diff(
    correct_a: npt.ArrayLike,
    correct_b: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> BootstrapDiff:
    """Accuracy of ``a`` minus accuracy of ``b`` on the same videos, with a paired interval.

    Both results are evaluated on the same resamples
    (:func:`bootstrap_counts` with ``seed``; the same resamples as
    :func:`bootstrap_ci` with that seed), so the interval reflects the
    correlation between them. The interval is the percentile interval of the
    resampled differences.

    Parameters
    ----------
    correct_a, correct_b : array-like of shape (n_samples,), bool
        Whether each video is classified correctly by ``a`` and by ``b``.
    n_resamples : int, default=1000
        Number of resamples.
    confidence : float, default=0.95
        Level of the interval, in (0, 1).
    seed : int or None, default=0
        Seed of the resamples.

    Returns
    -------
    BootstrapDiff
        ``diff`` in [-1, 1] and its interval ``[low, high]``.

    Raises
    ------
    UsageError
        If the inputs are not 1-D bool arrays of the same non-zero length, or an
        option is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(200) % 5 != 0                # 80 % accuracy
    >>> b = a.copy(); b[:20] = False               # 70 % accuracy
    >>> res = paired_bootstrap_diff(a, b)
    >>> round(res.diff, 3), bool(0 < res.low < res.diff < res.high)
    (0.1, True)
    """
    confidence = _check_confidence(confidence)
    n_resamples = _check_int_option("n_resamples", n_resamples)
    a = _check_correct("correct_a", correct_a, ndims=(1,))
    b = _check_correct("correct_b", correct_b, ndims=(1,))
    _check_same_rows("correct_a", a.shape[0], "correct_b", b.shape[0])
    _check_nonempty("correct_a", a.shape[0])
    n = a.shape[0]
    delta = a.astype(np.int8) - b.astype(np.int8)
    counts = bootstrap_counts(n, n_resamples=n_resamples, seed=seed)
    stat = _resampled_means(counts, delta[:, None])
    low, high = _percentile_interval(stat, confidence)[:, 0]
    return BootstrapDiff(
        diff=float(np.mean(delta)),
        low=float(low),
        high=float(high),
        n_resamples=n_resamples,
        confidence=confidence,
    )


# --------------------------------------------------------------------------- McNemar


def mcnemar(
    correct_a: npt.ArrayLike,
    correct_b: npt.ArrayLike,
    *,
    exact: bool | Literal["auto"] = "auto",
) -> McNemarResult:
    """McNemar's test that two classifiers have the same accuracy on the same videos.

    Only discordant videos count: ``b`` (a right, b wrong) and ``c`` (a wrong,
    b right). The exact test is the two-sided binomial test of ``b`` successes
    in ``b + c`` trials with p = 0.5 (``scipy.stats.binomtest``); the chi-square
    test uses Edwards' continuity correction, ``(|b - c| - 1)**2 / (b + c)``
    with 1 degree of freedom. With ``b + c == 0`` the classifiers never
    disagree and the p-value is 1.0 (statistic 0.0).

    Parameters
    ----------
    correct_a, correct_b : array-like of shape (n_samples,), bool
        Whether each video is classified correctly by ``a`` and by ``b``.
    exact : bool or "auto", default="auto"
        True for the exact test, False for chi-square; ``"auto"`` uses the
        exact test when ``b + c < 25`` and chi-square otherwise.

    Returns
    -------
    McNemarResult
        ``b``, ``c``, ``statistic``, two-sided ``pvalue`` and ``method``.

    Raises
    ------
    UsageError
        If the inputs are not 1-D bool arrays of the same length, or ``exact``
        is not True, False or "auto".

    Examples
    --------
    >>> res = mcnemar([True, True, True, False, True], [False, False, True, True, True])
    >>> res.b, res.c, res.method, round(res.pvalue, 4)
    (2, 1, 'exact', 1.0)
    """
    if not (isinstance(exact, bool) or (isinstance(exact, str) and exact == "auto")):
        raise UsageError(f"'exact' must be True, False or 'auto', got {exact!r}.")
    a = _check_correct("correct_a", correct_a, ndims=(1,))
    b_ = _check_correct("correct_b", correct_b, ndims=(1,))
    _check_same_rows("correct_a", a.shape[0], "correct_b", b_.shape[0])
    b = int(np.count_nonzero(a & ~b_))
    c = int(np.count_nonzero(~a & b_))
    m = b + c
    use_exact = m < _MCNEMAR_EXACT_BELOW if exact == "auto" else bool(exact)
    method: Literal["exact", "chi2"] = "exact" if use_exact else "chi2"
    if m == 0:
        return McNemarResult(b=b, c=c, statistic=0.0, pvalue=1.0, method=method)

    import scipy.stats

    if use_exact:
        statistic = float(min(b, c))
        pvalue = float(scipy.stats.binomtest(b, m, 0.5).pvalue)
    else:
        statistic = (abs(b - c) - 1) ** 2 / m
        pvalue = float(scipy.stats.chi2.sf(statistic, 1))
    return McNemarResult(b=b, c=c, statistic=statistic, pvalue=min(pvalue, 1.0), method=method)
