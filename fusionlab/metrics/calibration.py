"""Negative log-likelihood, reliability bins and the expected calibration error."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from .checks import (
    check_int_option,
    check_log_prob,
    check_nonempty,
    check_y_true_for,
)
from .results import ReliabilityBins

__all__ = ["ece", "ece_from_bins", "nll", "reliability_bins", "reliability_from_confidence"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
    x = check_log_prob(log_prob)
    y = check_y_true_for(y_true, x, "log_prob")
    check_nonempty("y_true", y.shape[0])
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
    n_bins = check_int_option("n_bins", n_bins)
    x = check_log_prob(log_prob)
    y = check_y_true_for(y_true, x, "log_prob")
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
    n_bins = check_int_option("n_bins", n_bins)
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
    check_nonempty("y_true", n)
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
