"""Numeric kernels written once and shared: log-softmax, integer compositions, row metrics.

Everything here is a pure function over arrays; the analysis modules, the
pipeline and the renderers call these rather than keeping their own copies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import metrics, rules
from .rules import Domain

__all__ = ["compositions", "log_softmax", "row_metrics"]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def log_softmax(z: npt.ArrayLike, axis: int = -1) -> Array:
    """``z - logsumexp(z)`` along ``axis``, stable for large values; float64.

    ``z`` holds logits of any shape; the result holds log-probabilities of
    the same shape (each slice along ``axis`` sums to 1 after ``exp``).

    >>> bool(np.allclose(np.exp(log_softmax([[1.0, 2.0, 3.0]])).sum(), 1.0))
    True
    """
    a = np.asarray(z, dtype=np.float64)
    mx = a.max(axis=axis, keepdims=True)
    s = a - mx
    out: Array = s - np.log(np.exp(s).sum(axis=axis, keepdims=True))
    return out


def compositions(m: int, lo: Sequence[int], hi: Sequence[int]) -> IntArray:
    """All compositions of m within bounds, lexicographically ascending, shape (P, K)."""
    k = len(lo)
    # suffix[r] holds the compositions of r over components i..K-1, built from the end.
    suffix: list[IntArray | None] = [None] * (m + 1)
    for r in range(m + 1):
        if lo[k - 1] <= r <= hi[k - 1]:
            suffix[r] = np.array([[r]], dtype=np.int64)
    for i in range(k - 2, -1, -1):
        new: list[IntArray | None] = [None] * (m + 1)
        # The first component only ever completes the whole sum m.
        for r in range(m + 1) if i > 0 else (m,):
            parts = []
            for n in range(lo[i], min(hi[i], r) + 1):
                rest = suffix[r - n]
                if rest is not None and rest.shape[0]:
                    head = np.full((rest.shape[0], 1), n, dtype=np.int64)
                    parts.append(np.concatenate([head, rest], axis=1))
            if parts:
                new[r] = np.concatenate(parts, axis=0)
        suffix = new
    out = suffix[m]
    return np.zeros((0, k), dtype=np.int64) if out is None else out


def row_metrics(
    fused: Array, y: IntArray, domain: Domain, *, bootstrap: int, confidence: float, seed: int
) -> dict[str, Any]:
    """Top-1, top-5, mean class accuracy, interval, NLL and ECE of fused scores.

    ``fused`` (n_videos, n_classes) in ``domain``; ``y`` (n_videos,) labels.
    Accuracies are fractions; ``correct`` is the top-1 correctness per video.
    """
    c = fused.shape[1]
    correct = metrics.correct_top_k(y, fused, k=1, validate_args=False)
    correct5 = metrics.correct_top_k(y, fused, k=min(5, c), validate_args=False)
    pred = metrics.predict(fused)
    logp = rules.to_log_probs(fused, domain)
    ci: list[float] | None = None
    if bootstrap > 0:
        lo, hi = metrics.bootstrap_ci(
            correct, n_resamples=bootstrap, confidence=confidence, seed=seed
        )
        ci = [float(lo), float(hi)]
    return {
        "top1": float(correct.mean()),
        "top5": float(correct5.mean()),
        "mean_class_acc": metrics.mean_class_accuracy(y, pred, n_classes=c),
        "top1_ci": ci,
        "top1_ci_low": math.nan if ci is None else ci[0],
        "top1_ci_high": math.nan if ci is None else ci[1],
        "nll": metrics.nll(y, logp),
        "ece": metrics.ece(y, logp),
        "correct": correct,
    }
