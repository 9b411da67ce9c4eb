"""Result dataclasses of the significance and calibration metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["BootstrapDiff", "BootstrapTest", "McNemarResult", "ReliabilityBins"]

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


@dataclass(frozen=True, eq=False)
class BootstrapTest:
    """Accuracy differences of several results against one reference, on the same resamples.

    Attributes
    ----------
    diff : ndarray of shape (n_results,)
        Accuracy of each result minus the reference's, in [-1, 1].
    low, high : ndarray of shape (n_results,)
        Percentile bootstrap interval of each ``diff`` at level ``confidence``.
    pvalue : ndarray of shape (n_results,)
        Two-sided bootstrap p-value of ``diff == 0``:
        ``min(1, 2 * min(P(d <= 0), P(d >= 0)))`` over the resampled
        differences ``d``, each probability ``(1 + count) / (1 + n_resamples)``.
    n_resamples : int
    confidence : float
    """

    diff: FloatArray
    low: FloatArray
    high: FloatArray
    pvalue: FloatArray
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
