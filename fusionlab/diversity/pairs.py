"""Complementarity of two components: the 2x2 correctness table and the statistics of a pair.

See :mod:`fusionlab.diversity` for the definitions and the degenerate cases
(Yule's Q, the phi correlation, the oracle accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PAIR_COLUMNS",
    "PairStats",
    "oracle_accuracy",
    "pair_stats",
    "pairwise_table",
]

Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PairStats:
    """Complementarity of two components on the same videos.

    Attributes
    ----------
    n11, n10, n01, n00 : int
        Videos both right; a right and b wrong; a wrong and b right; both wrong.

    See the module docstring for the definitions and the degenerate cases.
    """

    n11: int
    n10: int
    n01: int
    n00: int

    @property
    def n(self) -> int:
        return self.n11 + self.n10 + self.n01 + self.n00

    @property
    def acc_a(self) -> float:
        return (self.n11 + self.n10) / self.n

    @property
    def acc_b(self) -> float:
        return (self.n11 + self.n01) / self.n

    @property
    def disagreement(self) -> float:
        return (self.n10 + self.n01) / self.n

    @property
    def double_fault(self) -> float:
        return self.n00 / self.n

    @property
    def oracle(self) -> float:
        return (self.n - self.n00) / self.n

    @property
    def q(self) -> float:
        """Yule's Q; 1 when the components agree on every video, NaN when 0/0 otherwise."""
        return float(_yule_q(*_counts_f(self))[()])

    @property
    def correlation(self) -> float:
        """Pearson correlation (phi) of the correctness vectors; NaN if either is constant."""
        return float(_phi(*_counts_f(self))[()])


def _counts_f(p: PairStats) -> tuple[Array, Array, Array, Array]:
    return (
        np.asarray(float(p.n11)),
        np.asarray(float(p.n10)),
        np.asarray(float(p.n01)),
        np.asarray(float(p.n00)),
    )


def _yule_q(n11: Array, n10: Array, n01: Array, n00: Array) -> Array:
    ad, bc = n11 * n00, n10 * n01
    den = ad + bc
    q = np.divide(ad - bc, den, out=np.full(np.shape(den), np.nan), where=den > 0)
    out: Array = np.where((n10 == 0) & (n01 == 0), 1.0, q)
    return out


def _phi(n11: Array, n10: Array, n01: Array, n00: Array) -> Array:
    prod = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    den = np.sqrt(prod)
    out: Array = np.divide(
        n11 * n00 - n10 * n01, den, out=np.full(np.shape(den), np.nan), where=prod > 0
    )
    return out


def _as_correct(name: str, a: npt.ArrayLike) -> BoolArray:
    arr = np.asarray(a)
    if arr.ndim != 1 or arr.dtype != np.bool_:
        raise UsageError(
            f"{name} must be a bool array of shape (n_videos,), got {arr.dtype} {arr.shape}"
        )
    if arr.size == 0:
        raise UsageError(f"{name} is empty: no videos to compare")
    return arr


def pair_stats(correct_a: npt.ArrayLike, correct_b: npt.ArrayLike) -> PairStats:
    """The 2x2 correctness table of two components and the statistics derived from it.

    Parameters
    ----------
    correct_a, correct_b : array-like of shape (n_videos,), bool
        Whether each component's decision is right on each video (the same
        videos in the same order).

    Returns
    -------
    PairStats

    Examples
    --------
    >>> s = pair_stats([True, True, False, False, True], [True, False, True, False, True])
    >>> s.n11, s.n10, s.n01, s.n00
    (2, 1, 1, 1)
    >>> s.disagreement, s.double_fault, s.oracle, s.q
    (0.4, 0.2, 0.8, 0.3333333333333333)
    >>> pair_stats([True, True], [True, True]).q  # always right and identical: Q = 1
    1.0
    """
    a = _as_correct("correct_a", correct_a)
    b = _as_correct("correct_b", correct_b)
    if a.shape != b.shape:
        raise UsageError(
            f"correct_a has {a.size} videos but correct_b has {b.size}; they must be the same"
        )
    n11 = int(np.count_nonzero(a & b))
    n10 = int(np.count_nonzero(a & ~b))
    n01 = int(np.count_nonzero(~a & b))
    return PairStats(n11, n10, n01, a.size - n11 - n10 - n01)


def oracle_accuracy(correct: npt.ArrayLike) -> float:
    """Fraction of videos that at least one component gets right.

    Parameters
    ----------
    correct : array-like of shape (n_components, n_videos), bool

    Returns
    -------
    float
        In [0, 1]. It bounds the accuracy of max fusion, majority vote and
        every single component, but not of averaging rules (see the module
        docstring).

    Examples
    --------
    >>> oracle_accuracy([[True, False, False, False], [False, True, False, False]])
    0.5
    """
    c = np.asarray(correct)
    if c.ndim != 2 or c.dtype != np.bool_ or c.shape[0] == 0 or c.shape[1] == 0:
        raise UsageError(
            "correct must be a non-empty bool array of shape (n_components, n_videos), "
            f"got {c.dtype} {c.shape}"
        )
    return float(c.any(axis=0).mean())


#: Columns of :func:`pairwise_table`, in order.
PAIR_COLUMNS = [
    "a",
    "b",
    "n_videos",
    "n11",
    "n10",
    "n01",
    "n00",
    "acc_a",
    "acc_b",
    "disagreement",
    "double_fault",
    "q",
    "correlation",
    "oracle",
]


def pairwise_table(correct: npt.ArrayLike, labels: Sequence[str]) -> pd.DataFrame:
    """Pair statistics of every pair of components (i < j, in the given order).

    Parameters
    ----------
    correct : array-like of shape (n_components, n_videos), bool
    labels : sequence of str, length n_components

    Returns
    -------
    DataFrame
        One row per pair; columns ``a, b, n_videos, n11, n10, n01, n00, acc_a,
        acc_b, disagreement, double_fault, q, correlation, oracle`` (rates as
        fractions in [0, 1]).

    Examples
    --------
    >>> df = pairwise_table([[True, False, True], [True, True, False]], ["rgb", "flow"])
    >>> df[["a", "b", "n11", "n10", "n01", "n00", "q"]].to_dict("records")
    [{'a': 'rgb', 'b': 'flow', 'n11': 1, 'n10': 1, 'n01': 1, 'n00': 0, 'q': -1.0}]
    """
    import pandas as pd

    c = np.asarray(correct)
    if c.ndim != 2 or c.dtype != np.bool_ or c.shape[1] == 0:
        raise UsageError(
            "correct must be a bool array of shape (n_components, n_videos) with videos, "
            f"got {c.dtype} {c.shape}"
        )
    if len(labels) != c.shape[0]:
        raise UsageError(f"expected {c.shape[0]} component labels, got {len(labels)}")
    k, n = c.shape
    ci = c.astype(np.int64)
    both = ci @ ci.T
    right = ci.sum(axis=1)
    iu, ju = np.triu_indices(k, 1)
    n11 = both[iu, ju]
    n10 = right[iu] - n11
    n01 = right[ju] - n11
    n00 = n - n11 - n10 - n01
    f = [v.astype(np.float64) for v in (n11, n10, n01, n00)]
    df = pd.DataFrame(
        {
            "a": [labels[int(i)] for i in iu],
            "b": [labels[int(j)] for j in ju],
            "n_videos": np.full(iu.size, n, dtype=np.int64),
            "n11": n11,
            "n10": n10,
            "n01": n01,
            "n00": n00,
            "acc_a": right[iu] / n,
            "acc_b": right[ju] / n,
            "disagreement": (n10 + n01) / n,
            "double_fault": n00 / n,
            "q": _yule_q(*f),
            "correlation": _phi(*f),
            "oracle": (n - n00) / n,
        },
        columns=PAIR_COLUMNS,
    )
    return df
