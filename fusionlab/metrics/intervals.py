"""Confidence intervals for a proportion, and p-values adjusted over a family of comparisons.

:func:`wilson_interval` gives the Wilson score interval of an accuracy (k right
out of n), which keeps sensible bounds on small test sets where the bootstrap
collapses (0 or n right). :func:`adjust_pvalues` adjusts the p-values of a
family of comparisons (every row compared with the best single stream in one
evaluation) by Holm's step-down method (the default: it controls the
family-wise error rate under any dependence) or Benjamini-Hochberg's step-up
method (the false discovery rate, for independent or positively dependent
tests).

Both are written here rather than taken from statsmodels: each is a few lines
of numpy, and statsmodels would add a heavy dependency and about a second of
import time to every command; the tests check them against
``statsmodels.stats.multitest.multipletests`` (``method="holm"`` and
``"fdr_bh"``) and ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from ..errors import UsageError
from .checks import check_confidence

__all__ = ["ADJUST_METHODS", "AdjustMethod", "adjust_pvalues", "wilson_interval"]

FloatArray = npt.NDArray[np.float64]
AdjustMethod = Literal["holm", "bh", "none"]
#: Names accepted by :func:`adjust_pvalues` (``--adjust``).
ADJUST_METHODS: tuple[str, ...] = ("holm", "bh", "none")


def wilson_interval(
    k: npt.ArrayLike, n: npt.ArrayLike, *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of a proportion ``k / n`` (e.g. top-1 accuracy).

    Parameters
    ----------
    k : array-like of int
        Successes (videos classified correctly), ``0 <= k <= n``.
    n : array-like of int
        Trials (videos), ``n >= 1``; broadcast against ``k``.
    confidence : float, default=0.95

    Returns
    -------
    low, high : ndarray of float64
        Bounds in [0, 1], of the broadcast shape of ``k`` and ``n``.

    Examples
    --------
    >>> low, high = wilson_interval(7, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.3968, 0.8922)
    >>> [round(float(v), 4) for v in wilson_interval(0, 5)]
    [0.0, 0.4345]
    """
    confidence = check_confidence(confidence)
    ka = np.asarray(k, dtype=np.float64)
    na = np.asarray(n, dtype=np.float64)
    if (na < 1).any() or (ka < 0).any() or (ka > na).any():
        raise UsageError("wilson_interval needs 0 <= k <= n and n >= 1")
    z = float(ndtri(0.5 + confidence / 2.0))
    p = ka / na
    z2 = z * z
    denom = 1.0 + z2 / na
    center = (p + z2 / (2.0 * na)) / denom
    half = z * np.sqrt(p * (1.0 - p) / na + z2 / (4.0 * na * na)) / denom
    low = np.clip(center - half, 0.0, 1.0)
    high = np.clip(center + half, 0.0, 1.0)
    # exact ends: no success gives 0, all successes give 1 (not 1e-17 off)
    low = np.where(ka == 0, 0.0, low)
    high = np.where(ka == na, 1.0, high)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def adjust_pvalues(pvalues: npt.ArrayLike, *, method: str = "holm") -> FloatArray:
    """P-values adjusted over a family of comparisons.

    Parameters
    ----------
    pvalues : array-like of shape (m,), float in [0, 1]
        One per comparison; NaN (no test) stays NaN and does not count in the family.
    method : {"holm", "bh", "none"}, default="holm"
        Holm's step-down (family-wise error), Benjamini-Hochberg's step-up
        (false discovery rate), or no adjustment.

    Returns
    -------
    ndarray of shape (m,), float64
        Adjusted p-values in [0, 1], in the order given. Ties among equal
        p-values get equal adjusted values.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in ADJUST_METHODS:
        raise UsageError(f"method must be one of {', '.join(ADJUST_METHODS)}, got {method!r}")
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1:
        raise UsageError(f"pvalues must be 1-D, got shape {p.shape}")
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise UsageError("pvalues must lie in [0, 1]")
    out = p.copy()
    if method == "none" or not ok.any():
        return out
    q = p[ok]
    m = q.size
    order = np.argsort(q, kind="stable")
    ranked = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ranked[::-1])[::-1]
    adj = np.minimum(adj, 1.0)
    back = np.empty(m)
    back[order] = adj
    out[ok] = back
    return out
