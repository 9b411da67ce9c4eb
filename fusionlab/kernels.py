"""Numeric kernels written once and shared: log-softmax, log-sum-exp, integer compositions.

Pure numpy functions with no fusionlab dependency (the base floor), so every
floor above (score files, rules, metrics, search, the report) calls these
rather than keeping its own copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["compositions", "log_softmax", "logsumexp"]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def log_softmax(z: npt.ArrayLike, axis: int = -1, *, out: Any = None) -> npt.NDArray[Any]:
    """``z - logsumexp(z)`` along ``axis``: logits to log-probabilities, stable for large values.

    Parameters
    ----------
    z : array-like
        Logits of any shape.
    axis : int, default=-1
        The class axis.
    out : ndarray, optional
        ``z`` itself (a float array) to normalise in place, keeping its dtype
        (the memory-light path for large score files); by default a new
        float64 array.

    Returns
    -------
    ndarray
        Log-probabilities of the shape of ``z``: each slice along ``axis``
        sums to 1 after ``exp``. Computed as ``s = z - max(z)``, then
        ``s - log(sum(exp(s)))``, the same operations everywhere.

    >>> bool(np.allclose(np.exp(log_softmax([[1.0, 2.0, 3.0]])).sum(), 1.0))
    True
    """
    a: npt.NDArray[Any] = np.array(z, dtype=np.float64) if out is None else out
    a -= a.max(axis=axis, keepdims=True)
    a -= np.log(np.exp(a).sum(axis=axis, keepdims=True))
    return a


def logsumexp(x: npt.ArrayLike, axis: int = -1) -> npt.NDArray[Any]:
    """``log(sum(exp(x)))`` along ``axis``, shifted by the maximum; rows of only -inf give -inf.

    Used to check that log-probabilities are normalised (it is 0 for them).

    >>> float(logsumexp(np.log([0.25, 0.75])))
    0.0
    """
    a = np.asarray(x)
    mx = a.max(axis=axis, keepdims=True)
    shift = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):  # an all -inf row has log-sum-exp -inf
        lse = np.log(np.exp(a - shift).sum(axis=axis, keepdims=True)) + shift
    out: npt.NDArray[Any] = np.squeeze(lse, axis=axis)
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
