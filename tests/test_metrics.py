"""Tests of fusionlab.metrics against scikit-learn, plain definitions and hand-computed cases."""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pytest
from sklearn import metrics as skm

from fusionlab import metrics
from fusionlab.errors import UsageError

N_CLASSES = 7


def _scores(seed: int, n: int = 300, c: int = N_CLASSES, *, tied: bool) -> np.ndarray:
    """Random scores; ``tied`` gives integer scores in {0, 1, 2} (ties in most rows)."""
    rng = np.random.default_rng(seed)
    if tied:
        return rng.integers(0, 3, size=(n, c)).astype(np.float64)
    return rng.normal(size=(n, c))


def _labels(seed: int, n: int = 300, c: int = N_CLASSES) -> np.ndarray:
    return np.random.default_rng(seed + 1000).integers(0, c, size=n)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    out: np.ndarray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


def _ref_correct_top_k(y_true: np.ndarray, y_score: np.ndarray, k: int) -> np.ndarray:
    """The plain definition: order classes by (-score, index), take the first k."""
    out = []
    for y, row in zip(y_true, y_score, strict=True):
        ranking = sorted(range(len(row)), key=lambda j: (-row[j], j))
        out.append(int(y) in ranking[:k])
    return np.array(out, dtype=bool)


def _sk_top_k(y_true: np.ndarray, y_score: np.ndarray, k: int) -> float:
    return float(skm.top_k_accuracy_score(y_true, y_score, k=k, labels=np.arange(y_score.shape[1])))


# --------------------------------------------------------------------------- accuracy


@pytest.mark.parametrize("tied", [False, True])
def test_predict_is_argmax_with_lowest_index_ties(tied: bool) -> None:
    s = _scores(0, tied=tied)
    pred = metrics.predict(s)
    assert pred.dtype == np.int64
    expected = [min(j for j in range(s.shape[1]) if row[j] == row.max()) for row in s]
    np.testing.assert_array_equal(pred, expected)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3, 5, N_CLASSES, N_CLASSES + 2])
def test_correct_top_k_matches_definition(tied: bool, k: int) -> None:
    s, y = _scores(1, tied=tied), _labels(1)
    got = metrics.correct_top_k(y, s, k=k)
    assert got.dtype == np.bool_ and got.shape == y.shape
    np.testing.assert_array_equal(got, _ref_correct_top_k(y, s, k))
    np.testing.assert_array_equal(metrics.correct_top_k(y, s, k=k, validate_args=False), got)
    assert metrics.top_k_accuracy(y, s, k=k) == pytest.approx(got.mean())


def test_correct_top_k_explicit_ties() -> None:
    s = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    y = np.array([0, 1, 2, 2])
    np.testing.assert_array_equal(metrics.correct_top_k(y, s, k=1), [True, False, False, False])
    np.testing.assert_array_equal(metrics.correct_top_k(y, s, k=2), [True, True, True, False])
    np.testing.assert_array_equal(metrics.correct_top_k(y, s, k=3), [True, True, True, True])


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracy_matches_sklearn_without_ties(k: int) -> None:
    s, y = _scores(2, tied=False), _labels(2)
    assert metrics.top_k_accuracy(y, s, k=k) == pytest.approx(_sk_top_k(y, s, k))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_sklearn_breaks_ties_to_highest_index(k: int) -> None:
    """Documented difference: on ties sklearn ranks the highest class index first.

    sklearn's result equals ours on the reversed class axis, and differs from
    ours on heavily tied scores.
    """
    s, y = _scores(3, tied=True), _labels(3)
    c = s.shape[1]
    ours = metrics.top_k_accuracy(y, s, k=k)
    assert _sk_top_k(y, s, k) == pytest.approx(metrics.top_k_accuracy(c - 1 - y, s[:, ::-1], k=k))
    assert _sk_top_k(y, s, k) != pytest.approx(ours)
    # On a single tied row: ours says class 0 wins, sklearn says class 1.
    one = np.array([[1.0, 1.0, 0.0]])
    assert metrics.top_k_accuracy([0], one, k=1) == 1.0
    assert _sk_top_k(np.array([0]), one, 1) == 0.0


def test_per_class_accuracy_matches_confusion_reference() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 5, size=200)  # classes 5, 6 absent from y_true
    p = rng.integers(0, N_CLASSES, size=200)
    got = metrics.per_class_accuracy(y, p, n_classes=N_CLASSES)
    cm = skm.confusion_matrix(y, p, labels=np.arange(N_CLASSES))
    np.testing.assert_allclose(got[:5], np.diag(cm)[:5] / cm.sum(axis=1)[:5])
    assert np.isnan(got[5:]).all()


@pytest.mark.parametrize("seed", [5, 6])
@pytest.mark.parametrize("n_classes", [None, N_CLASSES + 3])
def test_mean_class_accuracy_matches_balanced_accuracy(seed: int, n_classes: int | None) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=150)  # predictions include classes absent from y_true
    p = np.where(rng.random(150) < 0.6, y, rng.integers(0, N_CLASSES, size=150))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
        expected = skm.balanced_accuracy_score(y, p)
    got = metrics.mean_class_accuracy(y, p, n_classes=n_classes)
    assert got == pytest.approx(expected)
    assert got == pytest.approx(np.nanmean(metrics.per_class_accuracy(y, p, n_classes=N_CLASSES)))


@pytest.mark.parametrize("tied", [False, True])
def test_confusion_matrix_matches_sklearn(tied: bool) -> None:
    s, y = _scores(7, tied=tied), _labels(7)
    p = metrics.predict(s)
    got = metrics.confusion_matrix(y, p, n_classes=N_CLASSES + 1)
    assert got.dtype == np.int64 and got.shape == (N_CLASSES + 1, N_CLASSES + 1)
    np.testing.assert_array_equal(got, skm.confusion_matrix(y, p, labels=np.arange(N_CLASSES + 1)))
    assert np.trace(got) / len(y) == pytest.approx(metrics.top_k_accuracy(y, s))


# --------------------------------------------------------------------------- calibration


@pytest.mark.parametrize("tied", [False, True])
def test_nll_matches_sklearn_log_loss(tied: bool) -> None:
    lp, y = _log_softmax(_scores(8, tied=tied)), _labels(8)
    expected = skm.log_loss(y, np.exp(lp), labels=np.arange(N_CLASSES))
    assert metrics.nll(y, lp) == pytest.approx(expected, rel=1e-10)


def test_nll_is_infinite_for_impossible_true_class() -> None:
    with np.errstate(divide="ignore"):
        lp = np.log(np.array([[1.0, 0.0], [0.5, 0.5]]))
    assert metrics.nll([1, 0], lp) == math.inf
    assert metrics.nll([0, 0], lp) == pytest.approx(math.log(2) / 2)


def _ref_ece(y_true: np.ndarray, log_prob: np.ndarray, n_bins: int) -> float:
    """Hand computation: bins (lo, hi], the first one also holding 0."""
    prob = np.exp(log_prob)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total = 0.0
    for b in range(n_bins):
        lo, hi = edges[b], edges[b + 1]
        conf, hits = [], []
        for y, row in zip(y_true, prob, strict=True):
            c = row.max()
            if lo < c <= hi or (b == 0 and c == 0.0):
                conf.append(c)
                hits.append(int(np.argmax(row)) == y)
        if conf:
            total += len(conf) / len(y_true) * abs(np.mean(hits) - np.mean(conf))
    return total


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("n_bins", [1, 4, 15])
def test_ece_matches_hand_computation(tied: bool, n_bins: int) -> None:
    lp, y = _log_softmax(2.0 * _scores(9, tied=tied)), _labels(9)
    assert metrics.ece(y, lp, n_bins=n_bins) == pytest.approx(_ref_ece(y, lp, n_bins), abs=1e-12)


def test_reliability_bins_edge_convention() -> None:
    # Confidences 0.25, 0.5, 0.75, 1.0 lie exactly on edges: each goes to the bin below it.
    prob = np.array([[0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0, 0], [0.75, 0.25, 0, 0], [0, 1, 0, 0]])
    with np.errstate(divide="ignore"):
        lp = np.log(prob)
    y = np.array([1, 0, 1, 1])  # tied rows predict class 0
    bins = metrics.reliability_bins(y, lp, n_bins=4)
    np.testing.assert_array_equal(bins.edges, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(bins.count, [1, 1, 1, 1])
    np.testing.assert_allclose(bins.confidence, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(bins.accuracy, [0, 1, 0, 1])
    ece = (0.25 + 0.5 + 0.75 + 0.0) / 4
    assert metrics.ece(y, lp, n_bins=4) == pytest.approx(ece)


def test_reliability_bins_empty_bins_are_nan() -> None:
    lp, y = _log_softmax(_scores(10, n=50, tied=False)), _labels(10, n=50)
    bins = metrics.reliability_bins(y, lp, n_bins=15)
    assert bins.count.sum() == 50 and bins.count.dtype == np.int64
    empty = bins.count == 0
    assert empty.any()
    assert np.isnan(bins.confidence[empty]).all() and np.isnan(bins.accuracy[empty]).all()
    assert not np.isnan(bins.confidence[~empty]).any()
    inside = (bins.confidence[~empty] > bins.edges[:-1][~empty]) & (
        bins.confidence[~empty] <= bins.edges[1:][~empty]
    )
    assert inside.all()


# --------------------------------------------------------------------------- McNemar


def _pairs(b: int, c: int, both_right: int = 5, both_wrong: int = 3) -> tuple[Any, Any]:
    a = [True] * b + [False] * c + [True] * both_right + [False] * both_wrong
    bb = [False] * b + [True] * c + [True] * both_right + [False] * both_wrong
    return np.array(a), np.array(bb)


def test_mcnemar_exact_small_case() -> None:
    res = metrics.mcnemar(*_pairs(5, 1))
    assert (res.b, res.c, res.method) == (5, 1, "exact")
    assert res.statistic == 1.0
    assert res.pvalue == pytest.approx(2 * (1 + 6) / 2**6)  # 2 * P(X <= 1), X ~ Bin(6, 1/2)
    assert metrics.mcnemar(*_pairs(3, 0)).pvalue == pytest.approx(0.25)
    assert metrics.mcnemar(*_pairs(2, 2)).pvalue == pytest.approx(1.0)


def test_mcnemar_chi2_large_case() -> None:
    res = metrics.mcnemar(*_pairs(30, 10))
    assert (res.b, res.c, res.method) == (30, 10, "chi2")
    assert res.statistic == pytest.approx(19**2 / 40)
    assert res.pvalue == pytest.approx(math.erfc(math.sqrt(res.statistic / 2)))  # chi2(1) sf


def test_mcnemar_no_discordant_pairs() -> None:
    a, b = _pairs(0, 0)
    cases: list[tuple[bool | Literal["auto"], str]] = [
        ("auto", "exact"),
        (True, "exact"),
        (False, "chi2"),
    ]
    for exact, method in cases:
        res = metrics.mcnemar(a, b, exact=exact)
        assert (res.b, res.c, res.statistic, res.pvalue, res.method) == (0, 0, 0.0, 1.0, method)


def test_mcnemar_auto_threshold_and_forcing() -> None:
    assert metrics.mcnemar(*_pairs(14, 10)).method == "exact"  # b + c = 24
    assert metrics.mcnemar(*_pairs(15, 10)).method == "chi2"  # b + c = 25
    forced = metrics.mcnemar(*_pairs(30, 10), exact=True)
    assert forced.method == "exact" and forced.statistic == 10.0
    assert metrics.mcnemar(*_pairs(5, 1), exact=False).method == "chi2"


def test_mcnemar_is_symmetric() -> None:
    a, b = _pairs(12, 4)
    ab, ba = metrics.mcnemar(a, b), metrics.mcnemar(b, a)
    assert (ab.b, ab.c) == (ba.c, ba.b)
    assert ab.pvalue == pytest.approx(ba.pvalue)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ab.pvalue = 0.0  # type: ignore[misc]


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_counts_definition_and_seed() -> None:
    counts = metrics.bootstrap_counts(37, n_resamples=50, seed=3)
    assert counts.shape == (50, 37) and counts.dtype == np.int32
    np.testing.assert_array_equal(counts.sum(axis=1), 37)
    assert counts.min() >= 0
    rng = np.random.default_rng(3)  # pinned: the same seed gives the same resamples forever
    idx = rng.integers(0, 37, size=(50, 37), dtype=np.int32)
    np.testing.assert_array_equal(counts, [np.bincount(r, minlength=37) for r in idx])
    np.testing.assert_array_equal(counts, metrics.bootstrap_counts(37, n_resamples=50, seed=3))
    assert not np.array_equal(counts, metrics.bootstrap_counts(37, n_resamples=50, seed=4))


def _correct(seed: int, n: int = 400, r: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((r, n)) < np.linspace(0.4, 0.9, r)[:, None]


def test_bootstrap_ci_matches_resampling_reference() -> None:
    correct = _correct(11)
    n = correct.shape[1]
    got = metrics.bootstrap_ci(correct, n_resamples=200, confidence=0.9, seed=5)
    idx = np.random.default_rng(5).integers(0, n, size=(200, n), dtype=np.int32)
    acc = correct[:, idx].mean(axis=2)  # (R, B)
    expected = np.quantile(acc, [0.05, 0.95], axis=1).T
    assert got.shape == (5, 2) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_bootstrap_ci_is_paired_and_reproducible() -> None:
    correct = _correct(12)
    correct[3] = correct[1]
    ci = metrics.bootstrap_ci(correct)
    np.testing.assert_array_equal(ci[3], ci[1])
    np.testing.assert_array_equal(ci, metrics.bootstrap_ci(correct))
    np.testing.assert_array_equal(metrics.bootstrap_ci(correct[2]), ci[2])
    counts = metrics.bootstrap_counts(correct.shape[1], n_resamples=1000, seed=0)
    np.testing.assert_array_equal(metrics.bootstrap_ci(correct, counts=counts), ci)
    np.testing.assert_array_equal(
        metrics.bootstrap_ci(correct, counts=counts, validate_args=False), ci
    )
    point = correct.mean(axis=1)
    assert ((ci[:, 0] <= point) & (point <= ci[:, 1]) & (ci[:, 0] < ci[:, 1])).all()
    assert ((ci >= 0) & (ci <= 1)).all()


def test_bootstrap_ci_degenerate_and_confidence() -> None:
    np.testing.assert_array_equal(metrics.bootstrap_ci(np.ones(30, dtype=bool)), [1.0, 1.0])
    correct = _correct(13)[0]
    wide = metrics.bootstrap_ci(correct, confidence=0.99)
    narrow = metrics.bootstrap_ci(correct, confidence=0.5)
    assert wide[0] <= narrow[0] <= narrow[1] <= wide[1]


def test_paired_bootstrap_diff() -> None:
    correct = _correct(14, r=2)
    a, b = correct[1], correct[0]
    res = metrics.paired_bootstrap_diff(a, b, n_resamples=300, confidence=0.9, seed=2)
    assert res.diff == pytest.approx(a.mean() - b.mean())
    assert (res.n_resamples, res.confidence) == (300, 0.9)
    assert res.low <= res.diff <= res.high
    counts = metrics.bootstrap_counts(a.size, n_resamples=300, seed=2)
    diffs = (counts @ a - counts @ b) / a.size
    low, high = np.quantile(diffs, [0.05, 0.95])
    assert (res.low, res.high) == pytest.approx((low, high), abs=1e-12)
    swapped = metrics.paired_bootstrap_diff(b, a, n_resamples=300, confidence=0.9, seed=2)
    assert (swapped.low, swapped.high) == pytest.approx((-res.high, -res.low), abs=1e-12)
    same = metrics.paired_bootstrap_diff(a, a)
    assert (same.diff, same.low, same.high) == (0.0, 0.0, 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.diff = 0.0  # type: ignore[misc]


# --------------------------------------------------------------------------- invariances


_LP, _Y = _log_softmax(_scores(20, n=60, tied=True)), _labels(20, n=60)
_PRED = metrics.predict(_LP)
_PER_SAMPLE: dict[str, Callable[[np.ndarray], Any]] = {
    "top_k_accuracy": lambda i: metrics.top_k_accuracy(_Y[i], _LP[i], k=2),
    "mean_class_accuracy": lambda i: metrics.mean_class_accuracy(_Y[i], _PRED[i]),
    "per_class_accuracy": lambda i: metrics.per_class_accuracy(_Y[i], _PRED[i], n_classes=7),
    "confusion_matrix": lambda i: metrics.confusion_matrix(_Y[i], _PRED[i], n_classes=7),
    "nll": lambda i: metrics.nll(_Y[i], _LP[i]),
    "ece": lambda i: metrics.ece(_Y[i], _LP[i]),
}


@pytest.mark.parametrize("name", sorted(_PER_SAMPLE))
def test_invariant_to_sample_order(name: str) -> None:
    fn = _PER_SAMPLE[name]
    perm = np.random.default_rng(0).permutation(_Y.size)
    np.testing.assert_allclose(fn(perm), fn(np.arange(_Y.size)), rtol=1e-12)


def test_inputs_are_not_mutated() -> None:
    lp, y = _LP.copy(), _Y.copy()
    metrics.correct_top_k(y, lp, k=3)
    metrics.ece(y, lp)
    metrics.nll(y, lp)
    np.testing.assert_array_equal(lp, _LP)
    np.testing.assert_array_equal(y, _Y)


# --------------------------------------------------------------------------- validation

_S = np.zeros((3, 4))
_LP3 = np.full((3, 4), np.log(0.25))
_C = np.array([True, False, True])

_ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    (
        "rows",
        lambda: metrics.top_k_accuracy([0, 1, 2, 3], _S),
        "Number of rows in 'y_true' (4) not equal to the number of rows in 'y_score' (3).",
    ),
    (
        "label range",
        lambda: metrics.correct_top_k([0, 4, 1], _S),
        "'y_true' contains label 4 at index 1, outside [0, 4) for 'y_score' with 4 classes.",
    ),
    (
        "negative label",
        lambda: metrics.top_k_accuracy([0, -1, 1], _S),
        "'y_true' contains negative label -1 at index 1; unknown labels must be filtered out "
        "by the caller.",
    ),
    (
        "float labels",
        lambda: metrics.top_k_accuracy([0.0, 1.0, 2.0], _S),
        "'y_true' must hold integer class labels, got dtype float64.",
    ),
    (
        "2-D labels",
        lambda: metrics.top_k_accuracy([[0], [1], [2]], _S),
        "'y_true' must be a 1-D array of class labels, got shape (3, 1).",
    ),
    (
        "k zero",
        lambda: metrics.top_k_accuracy([0, 1, 2], _S, k=0),
        "'k' must be a positive integer, got 0.",
    ),
    (
        "k float",
        lambda: metrics.correct_top_k([0, 1, 2], _S, k=1.5),  # type: ignore[arg-type]
        "'k' must be a positive integer, got 1.5.",
    ),
    (
        "k bool",
        lambda: metrics.correct_top_k([0, 1, 2], _S, k=True),
        "'k' must be a positive integer, got True.",
    ),
    (
        "1-D scores",
        lambda: metrics.predict([0.1, 0.9]),
        "'y_score' must be a 2-D array of shape (n_samples, n_classes), got shape (2,).",
    ),
    (
        "no classes",
        lambda: metrics.predict(np.zeros((3, 0))),
        "'y_score' must have at least one class (column), got 0.",
    ),
    (
        "object scores",
        lambda: metrics.predict(np.array([["a", "b"]], dtype=object)),
        "'y_score' must hold real numbers, got dtype object.",
    ),
    (
        "nan scores",
        lambda: metrics.correct_top_k([0, 1], [[0.5, 0.5], [np.nan, 1.0]]),
        "'y_score' contains NaN (first in row 1).",
    ),
    (
        "empty",
        lambda: metrics.top_k_accuracy(np.array([], dtype=int), np.zeros((0, 4))),
        "'y_true' is empty; this metric needs at least one sample.",
    ),
    (
        "pred rows",
        lambda: metrics.confusion_matrix([0, 1], [0, 1, 1], n_classes=2),
        "Number of rows in 'y_true' (2) not equal to the number of rows in 'y_pred' (3).",
    ),
    (
        "pred range",
        lambda: metrics.per_class_accuracy([0, 1], [0, 5], n_classes=3),
        "'y_pred' contains label 5 at index 1, outside [0, 3) for n_classes=3.",
    ),
    (
        "true range n_classes",
        lambda: metrics.mean_class_accuracy([3, 1], [0, 1], n_classes=3),
        "'y_true' contains label 3 at index 0, outside [0, 3) for n_classes=3.",
    ),
    (
        "negative pred",
        lambda: metrics.mean_class_accuracy([0, 1], [0, -1]),
        "'y_pred' contains negative label -1 at index 1; unknown labels must be filtered out "
        "by the caller.",
    ),
    (
        "n_classes",
        lambda: metrics.confusion_matrix([0], [0], n_classes=0),
        "'n_classes' must be a positive integer, got 0.",
    ),
    (
        "mean class empty",
        lambda: metrics.mean_class_accuracy([], []),
        "'y_true' is empty; this metric needs at least one sample.",
    ),
    (
        "log_prob rows",
        lambda: metrics.nll([0, 1], _LP3),
        "Number of rows in 'y_true' (2) not equal to the number of rows in 'log_prob' (3).",
    ),
    (
        "log_prob label",
        lambda: metrics.ece([0, 1, 9], _LP3),
        "'y_true' contains label 9 at index 2, outside [0, 4) for 'log_prob' with 4 classes.",
    ),
    (
        "not normalised",
        lambda: metrics.nll([0, 1, 2], np.zeros((3, 4))),
        "'log_prob' must hold normalised log-probabilities (log-sum-exp of each row 0 within "
        "0.001); row 0 has log-sum-exp 1.386.",
    ),
    (
        "all -inf row",
        lambda: metrics.nll([0], [[-np.inf, -np.inf]]),
        "'log_prob' must hold normalised log-probabilities (log-sum-exp of each row 0 within "
        "0.001); row 0 has log-sum-exp -inf.",
    ),
    (
        "+inf",
        lambda: metrics.ece([0, 0], [[0.0, -np.inf], [np.inf, 0.0]]),
        "'log_prob' contains +inf (first in row 1); expected log-probabilities.",
    ),
    (
        "n_bins",
        lambda: metrics.ece([0, 1, 2], _LP3, n_bins=0),
        "'n_bins' must be a positive integer, got 0.",
    ),
    (
        "reliability n_bins",
        lambda: metrics.reliability_bins([0, 1, 2], _LP3, n_bins=2.0),  # type: ignore[arg-type]
        "'n_bins' must be a positive integer, got 2.0.",
    ),
    ("counts n", lambda: metrics.bootstrap_counts(0), "'n' must be a positive integer, got 0."),
    (
        "counts n_resamples",
        lambda: metrics.bootstrap_counts(5, n_resamples=-1),
        "'n_resamples' must be a positive integer, got -1.",
    ),
    (
        "ci dtype",
        lambda: metrics.bootstrap_ci([1, 0, 1]),
        "'correct' must be a boolean array, got dtype int64.",
    ),
    (
        "ci ndim",
        lambda: metrics.bootstrap_ci(np.zeros((2, 2, 2), dtype=bool)),
        "'correct' must be a boolean array of shape (n_samples,) or (n_results, n_samples), "
        "got shape (2, 2, 2).",
    ),
    (
        "ci empty",
        lambda: metrics.bootstrap_ci(np.zeros(0, dtype=bool)),
        "'correct' is empty; this metric needs at least one sample.",
    ),
    (
        "ci confidence",
        lambda: metrics.bootstrap_ci(_C, confidence=95),
        "'confidence' must be a number in (0, 1), got 95.",
    ),
    (
        "ci n_resamples",
        lambda: metrics.bootstrap_ci(_C, n_resamples=0),
        "'n_resamples' must be a positive integer, got 0.",
    ),
    (
        "ci counts columns",
        lambda: metrics.bootstrap_ci(_C, counts=np.ones((5, 4), dtype=np.int32)),
        "Number of columns in 'counts' (4) not equal to the number of samples in 'correct' (3).",
    ),
    (
        "ci counts dtype",
        lambda: metrics.bootstrap_ci(_C, counts=np.ones((5, 3))),
        "'counts' must be an integer array of shape (n_resamples, n_samples), got dtype "
        "float64 and shape (5, 3).",
    ),
    (
        "diff rows",
        lambda: metrics.paired_bootstrap_diff(_C, _C[:2]),
        "Number of rows in 'correct_a' (3) not equal to the number of rows in 'correct_b' (2).",
    ),
    (
        "diff 2-D",
        lambda: metrics.paired_bootstrap_diff(_C[None], _C),
        "'correct_a' must be a boolean array of shape (n_samples,), got shape (1, 3).",
    ),
    (
        "diff confidence",
        lambda: metrics.paired_bootstrap_diff(_C, _C, confidence=1.0),
        "'confidence' must be a number in (0, 1), got 1.0.",
    ),
    (
        "mcnemar exact",
        lambda: metrics.mcnemar(_C, _C, exact="yes"),  # type: ignore[arg-type]
        "'exact' must be True, False or 'auto', got 'yes'.",
    ),
    (
        "mcnemar dtype",
        lambda: metrics.mcnemar(_C, [1, 0, 1]),
        "'correct_b' must be a boolean array, got dtype int64.",
    ),
    (
        "mcnemar rows",
        lambda: metrics.mcnemar(_C[:1], _C),
        "Number of rows in 'correct_a' (1) not equal to the number of rows in 'correct_b' (3).",
    ),
]


@pytest.mark.parametrize(("case", "call", "message"), _ERRORS, ids=[e[0] for e in _ERRORS])
def test_validation_messages(case: str, call: Callable[[], Any], message: str) -> None:
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        call()
