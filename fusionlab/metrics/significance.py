"""Paired bootstrap intervals and McNemar's test on the same videos."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from .checks import (
    check_confidence,
    check_correct,
    check_int_option,
    check_nonempty,
    check_same_rows,
)
from .results import BootstrapDiff, BootstrapTest, McNemarResult

__all__ = [
    "bootstrap_ci",
    "bootstrap_counts",
    "mcnemar",
    "paired_bootstrap_diff",
    "paired_bootstrap_test",
]

#: Below this many discordant pairs ``mcnemar(exact="auto")`` uses the exact test.
_MCNEMAR_EXACT_BELOW = 25

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------- bootstrap


def bootstrap_counts(
    n: int,
    *,
    n_resamples: int = 1000,
    seed: int | None = 0,
    groups: npt.ArrayLike | None = None,
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
    groups : array-like of shape (n,), int, optional
        Group code of each sample (e.g. the source clip of each video, see
        :func:`fusionlab.groups.group_codes`). Given, the bootstrap resamples
        whole groups (a cluster bootstrap): each resample draws as many groups
        as there are, uniformly with replacement, and every sample counts as
        often as its group was drawn. Correlated videos of one group then move
        together, and the interval widens when the group effect is strong. With
        singleton groups it is the ordinary bootstrap.

    Returns
    -------
    counts : ndarray of shape (n_resamples, n), int32
        Non-negative; every row sums to ``n`` (without ``groups``) or to the
        number of samples in the drawn groups (with them; statistics divide by
        each row's sum).

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
    n = check_int_option("n", n)
    n_resamples = check_int_option("n_resamples", n_resamples)
    if groups is not None:
        return _cluster_counts(n, n_resamples, seed, groups)
    rng = np.random.default_rng(seed)
    draw_dtype = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    idx = rng.integers(0, n, size=(n_resamples, n), dtype=draw_dtype)
    flat = (idx + (np.arange(n_resamples, dtype=np.int64) * n)[:, None]).ravel()
    counts = np.bincount(flat, minlength=n_resamples * n).reshape(n_resamples, n)
    return counts.astype(np.int32, copy=False)


def _cluster_counts(
    n: int, n_resamples: int, seed: int | None, groups: npt.ArrayLike
) -> npt.NDArray[np.int32]:
    """Per-sample multiplicities of a bootstrap that resamples whole groups."""
    g = np.asarray(groups)
    if g.shape != (n,) or g.dtype.kind not in "iu":
        raise UsageError(
            f"'groups' must be an integer array of shape ({n},) (one group per sample), "
            f"got dtype {g.dtype} and shape {tuple(g.shape)}."
        )
    _, codes = np.unique(g, return_inverse=True)
    n_groups = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, n_groups, size=(n_resamples, n_groups))
    flat = (drawn + (np.arange(n_resamples, dtype=np.int64) * n_groups)[:, None]).ravel()
    per_group = np.bincount(flat, minlength=n_resamples * n_groups).reshape(n_resamples, n_groups)
    return per_group[:, codes].astype(np.int32, copy=False)


def _resampled_means(counts: npt.NDArray[np.integer[Any]], values: npt.NDArray[Any]) -> FloatArray:
    """``counts @ values / counts.sum(1)`` for values (n, r) in {-1, 0, 1}, float64 (B, r).

    Each resample's mean divides by its own number of draws (n for the plain
    bootstrap; the drawn groups' sizes for the cluster bootstrap). float32
    sums of integers are exact below 2**24, so float32 BLAS is used there.
    """
    sizes = counts.sum(axis=1, dtype=np.int64)
    dtype = np.float32 if int(sizes.max(initial=0)) < 2**24 else np.float64
    sums = counts.astype(dtype, copy=False) @ values.astype(dtype, copy=False)
    total: FloatArray = np.asarray(sums, dtype=np.float64)
    sizes = sizes.astype(np.float64)
    return np.asarray(total / np.maximum(sizes, 1.0)[:, None], dtype=np.float64)


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
    groups: npt.ArrayLike | None = None,
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
    groups : array-like of shape (n_samples,), int, optional
        Resample whole groups (cluster bootstrap; see :func:`bootstrap_counts`);
        ignored when ``counts`` is given.
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
        confidence = check_confidence(confidence)
        a = check_correct("correct", correct, ndims=(1, 2))
        check_nonempty("correct", a.shape[-1])
    else:
        a = np.asarray(correct)
    rows = a.reshape(-1, a.shape[-1])
    n = rows.shape[1]
    if counts is None:
        cnt = bootstrap_counts(n, n_resamples=n_resamples, seed=seed, groups=groups)
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
    groups: npt.ArrayLike | None = None,
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
    groups : array-like of shape (n_samples,), int, optional
        Resample whole groups (cluster bootstrap; see :func:`bootstrap_counts`).

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
    confidence = check_confidence(confidence)
    n_resamples = check_int_option("n_resamples", n_resamples)
    a = check_correct("correct_a", correct_a, ndims=(1,))
    b = check_correct("correct_b", correct_b, ndims=(1,))
    check_same_rows("correct_a", a.shape[0], "correct_b", b.shape[0])
    check_nonempty("correct_a", a.shape[0])
    n = a.shape[0]
    delta = a.astype(np.int8) - b.astype(np.int8)
    counts = bootstrap_counts(n, n_resamples=n_resamples, seed=seed, groups=groups)
    stat = _resampled_means(counts, delta[:, None])
    low, high = _percentile_interval(stat, confidence)[:, 0]
    return BootstrapDiff(
        diff=float(np.mean(delta)),
        low=float(low),
        high=float(high),
        n_resamples=n_resamples,
        confidence=confidence,
    )


def paired_bootstrap_test(
    correct: npt.ArrayLike,
    reference: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
    counts: npt.ArrayLike | None = None,
    validate_args: bool = True,
) -> BootstrapTest:
    """Accuracy gain of each result over one reference, its interval and a bootstrap p-value.

    Every row of ``correct`` and ``reference`` are evaluated on the same
    resamples (``counts``, or :func:`bootstrap_counts` with ``seed``: the same
    resamples as :func:`bootstrap_ci` and :func:`paired_bootstrap_diff` with
    that seed), so each ``diff``, ``low`` and ``high`` equals what
    :func:`paired_bootstrap_diff` gives for that row. The p-value is two-sided,
    from the same resampled differences ``d_b``:
    ``p = min(1, 2 * min(P(d <= 0), P(d >= 0)))`` with
    ``P(d <= 0) = (1 + #{b: d_b <= 0}) / (1 + B)`` (the +1 keeps it above 0:
    with B resamples no p-value is below ``2 / (B + 1)``). It is the level at
    which the percentile interval just reaches 0.

    Parameters
    ----------
    correct : array-like of shape (n_results, n_samples) or (n_samples,), bool
    reference : array-like of shape (n_samples,), bool
        E.g. the best single stream.
    n_resamples : int, default=1000
        Ignored when ``counts`` is given.
    confidence : float, default=0.95
    seed : int or None, default=0
        Ignored when ``counts`` is given.
    counts : array-like of shape (n_resamples, n_samples), int, optional
        Resample multiplicities from :func:`bootstrap_counts`.
    validate_args : bool, default=True

    Returns
    -------
    BootstrapTest
        Arrays of shape (n_results,) (a 1-D ``correct`` counts as one result).

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.arange(200) % 5 != 0               # 80 % accuracy
    >>> better = ref.copy(); better[:40:5] = True   # 84 %
    >>> res = paired_bootstrap_test(np.stack([better, ref]), ref, seed=0)
    >>> res.diff.round(2).tolist(), bool(res.pvalue[0] < 0.05), res.pvalue[1].item()
    ([0.04, 0.0], True, 1.0)
    """
    if validate_args:
        confidence = check_confidence(confidence)
        a = check_correct("correct", correct, ndims=(1, 2))
        ref = check_correct("reference", reference, ndims=(1,))
        check_same_rows("correct", a.shape[-1], "reference", ref.shape[0])
        check_nonempty("reference", ref.shape[0])
    else:
        a, ref = np.asarray(correct), np.asarray(reference)
    rows = a.reshape(-1, a.shape[-1])
    n = ref.shape[0]
    if counts is None:
        cnt = bootstrap_counts(n, n_resamples=n_resamples, seed=seed)
    else:
        cnt = np.asarray(counts)
        if cnt.ndim != 2 or cnt.shape[1] != n:
            raise UsageError(
                f"'counts' must have shape (n_resamples, {n}), got {tuple(cnt.shape)}."
            )
    delta = rows.astype(np.int8) - ref.astype(np.int8)[None, :]
    stat = _resampled_means(cnt, delta.T)
    low, high = _percentile_interval(stat, confidence)
    b = stat.shape[0]
    p_le = (1.0 + np.count_nonzero(stat <= 0.0, axis=0)) / (b + 1.0)
    p_ge = (1.0 + np.count_nonzero(stat >= 0.0, axis=0)) / (b + 1.0)
    pvalue = np.minimum(1.0, 2.0 * np.minimum(p_le, p_ge))
    return BootstrapTest(
        diff=np.asarray(delta.mean(axis=1), dtype=np.float64),
        low=np.asarray(low, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
        pvalue=np.asarray(pvalue, dtype=np.float64),
        n_resamples=int(b),
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
    a = check_correct("correct_a", correct_a, ndims=(1,))
    b_ = check_correct("correct_b", correct_b, ndims=(1,))
    check_same_rows("correct_a", a.shape[0], "correct_b", b_.shape[0])
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
