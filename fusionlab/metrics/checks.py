"""Argument checks of the metrics: each raises UsageError with a one-line message."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..kernels import logsumexp
from ..scores import PROB_SUM_TOL

__all__ = [
    "check_confidence",
    "check_correct",
    "check_int_option",
    "check_label_range",
    "check_labels",
    "check_log_prob",
    "check_nonempty",
    "check_same_rows",
    "check_scores",
    "check_y_true_for",
    "y_true_and_pred",
    "y_true_and_score",
]

#: Tolerance on the log-sum-exp of each row of ``log_prob`` (it must be 0).
LOGPROB_SUM_TOL = PROB_SUM_TOL

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------- validation


def check_int_option(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise UsageError(f"'{name}' must be {what}, got {value!r}.")
    return int(value)


def check_confidence(confidence: Any) -> float:
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float, np.floating))
        or not 0.0 < confidence < 1.0
    ):
        raise UsageError(f"'confidence' must be a number in (0, 1), got {confidence!r}.")
    return float(confidence)


def check_labels(name: str, y: npt.ArrayLike) -> IntArray:
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


def check_label_range(name: str, y: IntArray, n_classes: int, source: str) -> None:
    if y.size and y.max() >= n_classes:
        i = int(np.argmax(y >= n_classes))
        raise UsageError(
            f"'{name}' contains label {y[i]} at index {i}, outside [0, {n_classes}) for {source}."
        )


def check_same_rows(name_a: str, n_a: int, name_b: str, n_b: int) -> None:
    if n_a != n_b:
        raise UsageError(
            f"Number of rows in '{name_a}' ({n_a}) not equal to the number of rows "
            f"in '{name_b}' ({n_b})."
        )


def check_nonempty(name: str, n: int) -> None:
    if n == 0:
        raise UsageError(f"'{name}' is empty; this metric needs at least one sample.")


def check_scores(name: str, y_score: npt.ArrayLike) -> npt.NDArray[Any]:
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


def check_log_prob(log_prob: npt.ArrayLike) -> FloatArray:
    """Normalised log-probabilities: no NaN or +inf, each row's log-sum-exp 0."""
    x = check_scores("log_prob", log_prob).astype(np.float64, copy=False)
    if np.isposinf(x).any():
        i = int(np.argmax(np.isposinf(x).any(axis=1)))
        raise UsageError(
            f"'log_prob' contains +inf (first in row {i}); expected log-probabilities."
        )
    lse = logsumexp(x, axis=1)
    bad = ~(np.abs(lse) <= LOGPROB_SUM_TOL)
    if bad.any():
        i = int(np.argmax(bad))
        raise UsageError(
            "'log_prob' must hold normalised log-probabilities (log-sum-exp of each row 0 "
            f"within {LOGPROB_SUM_TOL}); row {i} has log-sum-exp {lse[i]:.4g}."
        )
    return x


def check_correct(name: str, correct: npt.ArrayLike, *, ndims: tuple[int, ...]) -> BoolArray:
    a = np.asarray(correct)
    if a.ndim not in ndims:
        shapes = " or ".join(("(n_samples,)", "(n_results, n_samples)")[d - 1] for d in ndims)
        raise UsageError(
            f"'{name}' must be a boolean array of shape {shapes}, got shape {tuple(a.shape)}."
        )
    if a.dtype != np.bool_:
        raise UsageError(f"'{name}' must be a boolean array, got dtype {a.dtype}.")
    return a


def check_y_true_for(y_true: npt.ArrayLike, s: npt.NDArray[Any], score_name: str) -> IntArray:
    """Labels of ``y_true`` checked against the rows and classes of a 2-D score array."""
    y = check_labels("y_true", y_true)
    check_same_rows("y_true", y.shape[0], score_name, s.shape[0])
    check_label_range("y_true", y, s.shape[1], f"'{score_name}' with {s.shape[1]} classes")
    return y


def y_true_and_score(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike
) -> tuple[IntArray, npt.NDArray[Any]]:
    s = check_scores("y_score", y_score)
    return check_y_true_for(y_true, s, "y_score"), s


def y_true_and_pred(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_classes: int | None
) -> tuple[IntArray, IntArray, int]:
    y = check_labels("y_true", y_true)
    p = check_labels("y_pred", y_pred)
    check_same_rows("y_true", y.shape[0], "y_pred", p.shape[0])
    if n_classes is None:
        n_classes = 1 + max(int(y.max(initial=-1)), int(p.max(initial=-1)), 0)
    else:
        n_classes = check_int_option("n_classes", n_classes)
        check_label_range("y_true", y, n_classes, f"n_classes={n_classes}")
        check_label_range("y_pred", p, n_classes, f"n_classes={n_classes}")
    return y, p, n_classes
