"""Fusion rules: pure functions over a component axis, and their one registry.

Every rule has the signature ``fn(x, mask=None, *, domain, probs=None, **params) -> fused``:

x : ndarray of shape (n_videos, n_components, n_classes)
    LOG-probabilities of each component. A component is a segment of one
    stream, a stream, or one stream x segment pair.
mask : ndarray of shape (n_videos, n_components), bool, or None
    False where a component is missing for a video (fewer segments); such
    components are ignored. Every video must have at least one valid component.
domain : {"prob", "logit"}
    ``"prob"`` fuses the probabilities ``exp(x)`` (the mean is the sum rule);
    ``"logit"`` fuses the log-probabilities ``x`` (the mean is the product rule,
    i.e. the normalised geometric mean of the softmaxes). Log-probabilities
    differ from logits by one constant per component and video, so every rule
    that is linear in its inputs (means, weighted means) makes exactly the
    decisions it would make on raw logits.
probs : ndarray like ``x``, optional
    ``exp(x)``, when the caller already has it (a cache across many rules);
    never required, and only read.
fused : ndarray of shape (n_videos, n_classes)
    Raw fused scores whose argmax is the decision (ties go to the lowest class
    index, as ``numpy.argmax`` does). :func:`to_log_probs` normalises them
    into log-probabilities for likelihood and calibration metrics.

Rules never modify their inputs. ``RULES`` maps each rule name to a
:class:`Rule` that records its label, parameters and properties; the command
line, the grid search, the reports and the tests all read it.

Weighted means normalise their weights as exact rationals
(``Fraction(w_k) / sum(Fraction(w))`` rounded once), so that weights that are
exact multiples of each other (1:1.5 and 2:3, say) give bit-identical fused
scores and therefore identical decisions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .errors import UsageError
from .kernels import log_softmax

__all__ = [
    "DOMAINS",
    "RULES",
    "Domain",
    "Rule",
    "fuse",
    "fuse_log_probs",
    "normalize_weights",
    "to_log_probs",
    "two_level",
]

Domain = Literal["prob", "logit"]
DOMAINS: tuple[Domain, ...] = ("prob", "logit")
Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_] | None


#: ``fn(x, mask=None, *, domain, **params) -> fused``
RuleFn = Callable[..., Array]


@dataclass(frozen=True)
class Rule:
    """A registered fusion rule.

    Attributes
    ----------
    name : str
        Registry key, used on the command line.
    fn : callable
        ``fn(x, mask=None, *, domain, **params) -> fused``.
    label : str
        Short human-readable label for tables and plots.
    description : str
    params : dict
        Parameter names and their defaults.
    domain_invariant : bool
        The decisions are the same in both domains (max, min, vote), so
        tables need only one row for the rule.
    symmetric : bool
        Permuting components never changes the result (all but ``weighted``).
    output : {"domain", "prob"}
        The domain of the raw fused scores: the rule's ``domain`` argument, or
        always probability-like non-negative scores (vote).
    in_default_table : bool
        Part of the default table of ``fusionlab evaluate`` (every symmetric
        rule but the rank rules, which sort every component's classes: on a
        Kinetics-sized evaluation that sort alone would take minutes; ask for
        them with ``--consensus`` / ``--fusion``).
    """

    name: str
    fn: RuleFn
    label: str
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)
    domain_invariant: bool = False
    symmetric: bool = True
    output: Literal["domain", "prob"] = "domain"
    in_default_table: bool = True

    def output_domain(self, domain: Domain) -> Domain:
        """Domain of the raw fused scores when the rule runs in ``domain``."""
        return "prob" if self.output == "prob" else domain


# --------------------------------------------------------------------------- helpers


def _check(x: Array, mask: Mask, domain: str) -> None:
    if domain not in DOMAINS:
        raise UsageError(f"domain must be 'prob' or 'logit', got {domain!r}")
    if x.ndim != 3:
        raise UsageError(f"x must have shape (n_videos, n_components, n_classes), got {x.shape}")
    if mask is not None and mask.shape != x.shape[:2]:
        raise UsageError(f"mask must have shape {x.shape[:2]}, got {mask.shape}")


def _values(x: Array, domain: str, probs: Array | None = None) -> Array:
    if domain != "prob":
        return x
    return np.exp(x) if probs is None else probs


def _masked_weighted_sum(v: Array, w: Array) -> Array:
    """Sum over components of ``w[n, k] * v[n, k, c]``, accumulated left to right.

    ``w`` is (N, K) or (K,) and already normalised; the explicit loop fixes
    the summation order so results are reproducible bit for bit.
    """
    k = v.shape[1]
    wk = w if w.ndim == 2 else np.broadcast_to(w, v.shape[:2])
    out = wk[:, 0, None] * v[:, 0]
    for j in range(1, k):
        out = out + wk[:, j, None] * v[:, j]
    return out


def _row_normalize(w: Array, mask: Mask) -> Array:
    """Normalise per-video component weights (N, K) over valid components.

    Rows whose valid weights are all zero fall back to equal weights. Row sums
    are accumulated left to right (numpy's pairwise ``sum`` differs in the last
    bit beyond 8 components), the order of :mod:`fusionlab.search`'s exact
    reference, so both give bit-identical weights.
    """
    if mask is not None:
        w = np.where(mask, w, 0.0)
    total = _row_sum(w)
    zero = total[:, 0] <= 0
    if zero.any():
        eq = np.ones_like(w[zero]) if mask is None else mask[zero].astype(np.float64)
        w = w.copy()
        w[zero] = eq
        total = _row_sum(w)
    out: Array = w / total
    return out


def _row_sum(w: Array) -> Array:
    """Sum over axis 1, left to right, keeping the axis: (N, K) -> (N, 1)."""
    total = w[:, 0].copy()
    for j in range(1, w.shape[1]):
        total = total + w[:, j]
    out: Array = total[:, None]
    return out


def normalize_weights(weights: Sequence[float] | npt.ArrayLike, k: int) -> Array:
    """Validate fixed component weights and normalise them to sum to 1 exactly-rationally.

    Parameters
    ----------
    weights : sequence of float, length k
        Non-negative, not all zero.
    k : int
        Number of components.

    Returns
    -------
    ndarray of shape (k,)
        ``w_i / sum(w)`` computed in exact rational arithmetic and rounded once.

    Examples
    --------
    >>> normalize_weights([1, 1.5], 2).tolist()
    [0.4, 0.6]
    >>> (normalize_weights([2, 3], 2) == normalize_weights([1, 1.5], 2)).all()
    np.True_
    """
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (k,):
        raise UsageError(f"expected {k} weights (one per component), got {w.size}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise UsageError(f"weights must be finite and non-negative, got {w.tolist()}")
    fr = [Fraction(float(v)) for v in w]
    total = sum(fr, Fraction(0))
    if total == 0:
        raise UsageError("weights must not all be zero")
    return np.array([float(f / total) for f in fr], dtype=np.float64)


# --------------------------------------------------------------------------- rules


def mean(x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None) -> Array:
    """Mean over components: sum rule (prob) or product rule (logit)."""
    _check(x, mask, domain)
    v = _values(x, domain, probs)
    if mask is None:
        out: Array = v.mean(axis=1)
        return out
    w = _row_normalize(np.ones(x.shape[:2]), mask)
    return _masked_weighted_sum(v, w)


def weighted(
    x: Array,
    mask: Mask = None,
    *,
    domain: Domain,
    weights: Sequence[float] | npt.ArrayLike,
    probs: Array | None = None,
) -> Array:
    """Weighted mean with fixed component weights (e.g. RGB:flow 1:1.5).

    ``weights`` has one non-negative entry per component; they are normalised
    (see :func:`normalize_weights`). Missing components drop out and the rest
    are renormalised per video.
    """
    _check(x, mask, domain)
    w = normalize_weights(weights, x.shape[1])
    v = _values(x, domain, probs)
    if mask is None:
        return _masked_weighted_sum(v, w)
    return _masked_weighted_sum(v, _row_normalize(np.broadcast_to(w, mask.shape).copy(), mask))


def max_rule(x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None) -> Array:
    """Maximum over components, class by class."""
    _check(x, mask, domain)
    y = x if mask is None else np.where(mask[:, :, None], x, -np.inf)
    return _values(y.max(axis=1), domain)


def min_rule(x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None) -> Array:
    """Minimum over components, class by class."""
    _check(x, mask, domain)
    y = x if mask is None else np.where(mask[:, :, None], x, np.inf)
    return _values(y.min(axis=1), domain)


def _sorted_valid(v: Array, mask: Mask, fill: float) -> Array:
    """Sort component values ascending along axis 1, masked entries set to ``fill``.

    ``np.sort`` along the component axis is several times faster than
    ``np.median``/``np.nanmedian`` on (videos, components, classes) arrays.
    """
    y = v if mask is None else np.where(mask[:, :, None], v, fill)
    out: Array = np.sort(y, axis=1)
    return out


def median(x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None) -> Array:
    """Median over components, class by class (mean of the middle two for even counts)."""
    _check(x, mask, domain)
    srt = _sorted_valid(_values(x, domain, probs), mask, np.inf)  # masked entries sort last
    k = x.shape[1]
    if mask is None:
        lo_i, hi_i = (k - 1) // 2, k // 2
        out: Array = (srt[:, lo_i] + srt[:, hi_i]) / 2 if lo_i != hi_i else srt[:, lo_i].copy()
        return out
    n_valid = mask.sum(axis=1)
    lo = np.take_along_axis(srt, ((n_valid - 1) // 2)[:, None, None], axis=1)[:, 0]
    hi = np.take_along_axis(srt, (n_valid // 2)[:, None, None], axis=1)[:, 0]
    out = (lo + hi) / 2
    return out


def topk_mean(
    x: Array, mask: Mask = None, *, domain: Domain, k: int = 2, probs: Array | None = None
) -> Array:
    """Mean of the ``k`` largest component scores, class by class.

    With fewer than ``k`` valid components, the mean of the valid ones.
    """
    _check(x, mask, domain)
    if int(k) != k or k < 1:
        raise UsageError(f"top-k mean needs an integer k >= 1, got {k!r}")
    k = min(int(k), x.shape[1])
    srt = _sorted_valid(_values(x, domain, probs), mask, -np.inf)  # masked entries sort first
    top = srt[:, -k:]
    if mask is None:
        out: Array = top.sum(axis=1) / k
        return out
    kk = np.minimum(k, mask.sum(axis=1))
    out = np.where(np.isfinite(top), top, 0.0).sum(axis=1) / kk[:, None]
    return out


def vote(x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None) -> Array:
    """Majority vote of the components' top-1 predictions.

    Returns ``votes + mean_probability / 2``: the vote count decides, ties in
    the count go to the class with the higher mean probability (over valid
    components, whatever ``domain``), then to the lowest class index.
    """
    _check(x, mask, domain)
    n, k, c = x.shape
    pred = x.argmax(axis=2)  # the same in both domains
    counts = np.zeros((n, c))
    valid = np.ones((n, k), dtype=bool) if mask is None else mask
    rows = np.repeat(np.arange(n), k)
    np.add.at(counts, (rows[valid.ravel()], pred.ravel()[valid.ravel()]), 1.0)
    mp = mean(x, mask, domain="prob", probs=probs)
    out: Array = counts + 0.5 * mp
    return out


def _class_ranks(x: Array) -> npt.NDArray[np.int64]:
    """0-based rank of each class within each component, best first; ties to the lower index.

    ``x`` (N, K, C) -> ranks (N, K, C): the class with the highest score has
    rank 0; equal scores rank the lower class index first (a stable sort),
    as argmax does.
    """
    order = np.argsort(-x, axis=2, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(x.shape[2])[None, None, :], axis=2)
    return ranks


def borda(x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None) -> Array:
    """Borda count: each component gives a class ``C - 1 - rank`` points, summed over components.

    Ranks are those of :func:`_class_ranks` (the same in both domains);
    masked components give no points. Returns ``points + mean_probability / 2``:
    the points decide, ties in points go to the higher mean probability (over
    valid components), then to the lowest class index, as :func:`vote` does.
    """
    _check(x, mask, domain)
    c = x.shape[2]
    points = (c - 1 - _class_ranks(x)).astype(np.float64)
    if mask is not None:
        points = np.where(mask[:, :, None], points, 0.0)
    mp = mean(x, mask, domain="prob", probs=probs)
    out: Array = points.sum(axis=1) + 0.5 * mp
    return out


def reciprocal_rank(
    x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None, k: float = 60.0
) -> Array:
    """Reciprocal rank fusion (Cormack et al., 2009): ``sum_k 1 / (k + rank)``, rank from 1.

    Each valid component gives each class ``1 / (k + r)`` where ``r`` is the
    class's 1-based rank in that component (ties to the lower class index);
    ``k = 60`` by default, as in the paper. Only the order of the scores
    matters, so the result is the same in both domains. Ties in the sum go to
    the lowest class index.
    """
    _check(x, mask, domain)
    if not (isinstance(k, int | float) and math.isfinite(k) and k >= 0):
        raise UsageError(f"reciprocal_rank: k must be a finite number >= 0, got {k!r}")
    contrib = 1.0 / (float(k) + 1.0 + _class_ranks(x))
    if mask is not None:
        contrib = np.where(mask[:, :, None], contrib, 0.0)
    out: Array = contrib.sum(axis=1)
    return out


def _probs(x: Array) -> Array:
    out: Array = np.exp(x)
    return out


def variance_weighted(
    x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None
) -> Array:
    """Weight each component, per video, by the variance of its probability vector.

    A peaked (confident) prediction has a high variance over classes. Weights
    are normalised over the valid components of each video; a video whose
    components are all uniform falls back to equal weights.
    """
    _check(x, mask, domain)
    w = (np.exp(x) if probs is None else probs).var(axis=2)
    return _masked_weighted_sum(_values(x, domain, probs), _row_normalize(w, mask))


def _entropy(x: Array, probs: Array | None = None) -> Array:
    p = np.exp(x) if probs is None else probs
    out: Array = -(p * np.where(p > 0, x, 0.0)).sum(axis=2)
    return out


def entropy_weighted(
    x: Array,
    mask: Mask = None,
    *,
    domain: Domain,
    beta: float = 1.0,
    probs: Array | None = None,
) -> Array:
    """Weight each component, per video, by ``exp(-beta * entropy)`` of its probabilities."""
    _check(x, mask, domain)
    if not np.isfinite(beta) or beta < 0:
        raise UsageError(f"entropy weighting needs a finite beta >= 0, got {beta!r}")
    h = _entropy(x, probs)
    if mask is not None:
        h = np.where(mask, h, np.inf)
    h = h - h.min(axis=1, keepdims=True)
    w = np.exp(-beta * h)
    return _masked_weighted_sum(_values(x, domain, probs), _row_normalize(w, mask))


def confidence_weighted(
    x: Array, mask: Mask = None, *, domain: Domain, probs: Array | None = None
) -> Array:
    """Weight each component, per video, by its maximum class probability."""
    _check(x, mask, domain)
    w = _probs(x.max(axis=2))
    return _masked_weighted_sum(_values(x, domain, probs), _row_normalize(w, mask))


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("mean", mean, "mean", "arithmetic mean (sum rule; product rule in the logit domain)"),
        Rule("max", max_rule, "max", "class-wise maximum", domain_invariant=True),
        Rule("min", min_rule, "min", "class-wise minimum", domain_invariant=True),
        Rule("median", median, "median", "class-wise median"),
        Rule("topk_mean", topk_mean, "top-2 mean", "mean of the k largest scores", {"k": 2}),
        Rule(
            "vote",
            vote,
            "vote",
            "majority vote, ties by mean probability",
            domain_invariant=True,
            output="prob",
        ),
        Rule(
            "borda",
            borda,
            "Borda",
            "Borda count of class ranks, ties by mean probability",
            domain_invariant=True,
            output="prob",
            in_default_table=False,
        ),
        Rule(
            "reciprocal_rank",
            reciprocal_rank,
            "RRF",
            "reciprocal rank fusion, sum of 1/(k + rank)",
            {"k": 60.0},
            domain_invariant=True,
            output="prob",
            in_default_table=False,
        ),
        Rule(
            "variance_weighted",
            variance_weighted,
            "variance-weighted",
            "per-video weights by probability variance",
        ),
        Rule(
            "entropy_weighted",
            entropy_weighted,
            "entropy-weighted",
            "per-video weights exp(-beta H)",
            {"beta": 1.0},
        ),
        Rule(
            "confidence_weighted",
            confidence_weighted,
            "confidence-weighted",
            "per-video weights by max probability",
        ),
        Rule(
            "weighted",
            weighted,
            "weighted",
            "fixed weights per component",
            {"weights": None},
            symmetric=False,
        ),
    )
}


def get_rule(name: str) -> Rule:
    """The registered rule ``name``; a clear error for an unknown one."""
    try:
        return RULES[name]
    except KeyError:
        raise UsageError(f"unknown fusion rule {name!r} (known: {', '.join(RULES)})") from None


def fuse(name: str, x: Array, mask: Mask = None, *, domain: Domain, **params: Any) -> Array:
    """Apply the registered rule ``name``; return raw fused scores (N, C).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.log(np.array([[[0.6, 0.4], [0.3, 0.7]]]))  # 1 video, 2 components
    >>> fuse("mean", x, domain="prob").round(3).tolist()
    [[0.45, 0.55]]
    >>> fuse("weighted", x, domain="prob", weights=[2, 1]).round(3).tolist()
    [[0.5, 0.5]]
    """
    return get_rule(name).fn(x, mask, domain=domain, **params)


def to_log_probs(fused: Array, domain: Domain) -> Array:
    """Normalise raw fused scores (N, C) to log-probabilities (N, C).

    ``"prob"``: scores are non-negative, divided by their row sum (clipped at
    the smallest normal float); ``"logit"``: log-softmax.
    """
    if domain == "prob":
        p = np.maximum(fused, 0.0)
        p = p / np.maximum(p.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)
        out: Array = np.log(np.maximum(p, np.finfo(np.float64).tiny))
        return out
    out = log_softmax(fused, axis=1)
    return out


def fuse_log_probs(
    name: str, x: Array, mask: Mask = None, *, domain: Domain, **params: Any
) -> Array:
    """:func:`fuse`, then :func:`to_log_probs` in the rule's output domain."""
    rule = get_rule(name)
    fused = rule.fn(x, mask, domain=domain, **params)
    return to_log_probs(fused, rule.output_domain(domain))


def two_level(
    streams: Sequence[Array],
    masks: Sequence[Mask] | None = None,
    *,
    consensus: str = "mean",
    fusion: str = "mean",
    domain: Domain,
    consensus_params: Mapping[str, Any] | None = None,
    fusion_params: Mapping[str, Any] | None = None,
    probs: Sequence[Array | None] | None = None,
) -> Array:
    """Segment consensus inside each stream, then fusion across streams.

    Parameters
    ----------
    streams : sequence of ndarray of shape (n_videos, n_segments_i, n_classes)
        Log-probabilities of each stream (segment counts may differ).
    masks : sequence of (n_videos, n_segments_i) bool or None, optional
    consensus, fusion : str
        Registered rule names.
    domain : {"prob", "logit"}
        Used at both levels.
    consensus_params, fusion_params : mapping, optional
        Parameters of the two rules (e.g. ``fusion_params={"weights": [1, 1.5]}``).
    probs : sequence of ndarray or None, optional
        ``exp`` of each stream, when the caller has it cached.

    Returns
    -------
    ndarray of shape (n_videos, n_classes)
        Raw fused scores of the stream-level rule.
    """
    n = len(streams)
    masks = list(masks) if masks is not None else [None] * n
    pr = list(probs) if probs is not None else [None] * n
    per_stream = [
        fuse_log_probs(consensus, s, m, domain=domain, probs=p, **dict(consensus_params or {}))
        for s, m, p in zip(streams, masks, pr, strict=True)
    ]
    stacked = np.stack(per_stream, axis=1)
    return fuse(fusion, stacked, domain=domain, **dict(fusion_params or {}))


def flat_components(
    streams: Sequence[Array], masks: Sequence[Mask] | None = None
) -> tuple[Array, Mask]:
    """Concatenate all stream x segment components along the component axis.

    Returns ``x`` of shape (n_videos, sum of n_segments, n_classes) and the
    matching mask (None when nothing is masked).
    """
    x = np.concatenate(list(streams), axis=1)
    if masks is None or all(m is None for m in masks):
        return x, None
    full = [
        np.ones(s.shape[:2], dtype=bool) if m is None else m
        for s, m in zip(streams, masks, strict=True)
    ]
    return x, np.concatenate(full, axis=1)
