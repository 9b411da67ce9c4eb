"""Why fusion helps: complementarity of components, segment subsets, wins and losses.

``fusionlab diversity FILES...`` (or ``python -m fusionlab.diversity``) loads
score files like :mod:`fusionlab.evaluate`, computes its main table, and adds,
per evaluation:

pairwise
    For every pair of components: the 2x2 table of per-video correctness,
    the disagreement and double-fault rates, Yule's Q, the correlation of the
    correctness vectors and the pair's oracle accuracy. Components are the
    streams (each under mean segment consensus, per domain), the segments
    (every stream x segment of the latest epochs; pairs within and across
    streams) and the epochs of each stream (mean consensus, per domain).
oracle
    For each of those component sets: its best single component and its
    oracle accuracy (a video counts as right when any component is right).
subsets
    For every non-empty subset of the segments of each stream, and of the
    flat stream x segment set: the accuracy of mean fusion restricted to the
    subset and of the best fixed-weight fusion on the subset.
wins, videos, summary
    The videos the best fusion fixes and breaks relative to the best single
    stream, counted per class and listed by video id.
per_class
    Per class: each stream's accuracy, which stream is better and by how
    much, and the gain of the fusion over the better stream.

Statistics of a pair
--------------------
For two components a and b with per-video correctness over the same N
videos, ``n11`` counts videos both get right, ``n10`` those a gets right and
b wrong, ``n01`` the reverse and ``n00`` those both get wrong:

* disagreement ``(n10 + n01) / N``; double fault ``n00 / N``;
* Yule's Q ``(n11 n00 - n01 n10) / (n11 n00 + n01 n10)`` in [-1, 1]: positive
  when the components tend to be right and wrong on the same videos, negative
  when their errors fall on different videos (what makes fusion pay off);
* correlation: the Pearson correlation of the two 0/1 correctness vectors
  (the phi coefficient) ``(n11 n00 - n01 n10) / sqrt((n11+n10)(n01+n00)(n11+n01)(n10+n00))``;
* oracle accuracy ``(n11 + n10 + n01) / N``: right when either is right.

Degenerate cases, by definition here:

* **Q = 1 whenever n10 = n01 = 0**: the components agree on every video
  (identical correctness, e.g. identical components), including when the
  formula is 0/0 because both are always right (n00 = 0) or both always
  wrong (n11 = 0).
* Otherwise **Q = NaN when its denominator is 0** (n11 n00 = 0 and
  n01 n10 = 0 while the components disagree somewhere): for instance one
  component always right (n01 = n00 = 0) and the other not, or one never
  right (n11 = n10 = 0) and the other sometimes right. Q says nothing there.
* **The correlation is NaN when either component is constant** (always or
  never right: its correctness has zero variance), even for two identical
  constant components; it equals ``numpy.corrcoef`` everywhere else.

The oracle is not a bound for every rule
----------------------------------------
The oracle accuracy bounds every rule whose decision is always the top-1
class of one of its components: max, majority vote and any single component.
It does **not** bound the other registered rules (mean, weighted mean,
median, min, top-k mean and the per-video weighted means): two components
that both put the true class second can fuse to a score that puts it first.
``fixed_all_wrong`` in the wins table counts exactly those videos (every
component the fusion combines is wrong, the fusion is right).

Subsets
-------
Subsets are labelled by their 1-based members joined with ``+`` (``"1+2"``
for segments 1 and 2 of a stream; ``"rgb:1+flow:2"`` in the flat set) and
indexed by ``(set, domain, subset)``, so "segments 1 and 2 of rgb" is
``df.loc[("rgb", "prob", "1+2")]``. ``mean_acc`` is
``rules.fuse("mean", x[:, members], mask[:, members])``; the full set equals
the main table's mean consensus (single stream) or flat mean row.

``best_acc`` is the best fixed-weight fusion ``rules.fuse("weighted", ...)``
(``sum_k w_k v_k`` with ``v = exp(x)`` or ``x``) over the closed simplex of the
subset's members at the grid ``step`` (0.1: weights are integer compositions
of 10, divided by 10; zero weights allowed, so the best point may use fewer
members) **plus the equal-weight point of the subset and of each of its
subsets** (weights ``1/m`` on ``m`` members, scored as ``rules.fuse("mean")``,
the subset's ``mean_acc``), which a grid misses when ``m`` does not divide
``1/step`` (1/3 at step 0.1). So ``best_acc >= mean_acc`` for every subset,
and a subset's ``best_acc`` is at least that of each of its subsets; the
``best_grid`` column says what was searched (``"step 0.1 + equal weights"``).
It is an **oracle**: the weights are chosen on the same videos
they are scored on. The scan evaluates per-video margins instead of fused
scores and settles every grid point whose count could depend on rounding
(a margin within 1e-12 of its terms' size) with ``rules.fuse`` itself, so
``best_acc`` equals a brute-force scan with ``rules.fuse("weighted")`` on
the members with positive weight (and ``rules.fuse("mean")`` at the
equal-weight points). Ties go, as in :mod:`fusionlab.search`, to the weights
closest to uniform (smallest ``sum_k w_k**2``, in exact rational arithmetic:
the subset's equal-weight point wins every tie it is in), then to the first in
enumeration order (lexicographic in the members' weights, as
:func:`weight_compositions` enumerates the closed grid; an equal-weight point
before a grid point of the same weights). A subset with one member has the
single weight 1. Sets of more than ``max_components`` (10)
components are refused (2^K - 1 subsets); K = 10 takes about 10 s per domain
for 1530 videos x 51 classes, K <= 6 well under a second.

Missing components
------------------
Where a ``segment_mask`` marks a segment missing for a video, that segment
alone counts as wrong on that video (it makes no decision), and a subset
none of whose members is present counts the video as wrong.

Ties in argmax go to the lowest class index, as everywhere in fusionlab.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import metrics, rules
from .errors import UsageError
from .evaluate import (
    EvaluateOptions,
    FusionSpec,
    LogProbCache,
    Results,
    evaluate,
    known_labels,
    load_evaluations,
)
from .output import write_output
from .render import describe
from .rules import DOMAINS, Domain
from .scores import Evaluation

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "MAX_SUBSET_COMPONENTS",
    "TABLES",
    "PairStats",
    "WinsLosses",
    "add_arguments",
    "diversity_files",
    "diversity_for",
    "format_diversity",
    "oracle",
    "oracle_accuracy",
    "pair_stats",
    "pairwise",
    "pairwise_table",
    "per_class",
    "plot_q_heatmap",
    "plot_subset_accuracy",
    "run",
    "subset_accuracy",
    "subsets",
    "videos_csv",
    "weight_compositions",
    "wins_losses",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Format = Literal["table", "json", "csv"]

#: Largest component set whose subsets are enumerated (2^10 - 1 = 1023 subsets).
MAX_SUBSET_COMPONENTS = 10
#: The tables of one evaluation, in output order.
TABLES: tuple[str, ...] = ("pairwise", "oracle", "subsets", "wins", "videos", "per_class")

_SUBSET_INDEX = ("set", "domain", "subset")
_SUBSET_COLUMNS = (
    "members",
    "n_members",
    "mean_acc",
    "best_acc",
    "best_weights",
    "best_grid",
    "n_videos",
)
#: Grid size (closed simplex of all components) above which dominated
#: constraints are pruned before the grid scan (an optimisation only).
_IMPLIED_MIN_POINTS = 5000
#: A margin within this fraction of its terms' magnitude may be a tie
#: (float rounding is ~1e-16): such grid points are settled with rules.fuse.
_EPS = 1e-12
#: Grid points x constraints held in memory at once by the subset search.
_BLOCK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------- pair statistics


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


_PAIR_COLUMNS = [
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
        columns=_PAIR_COLUMNS,
    )
    return df


# --------------------------------------------------------------------------- components


def _stream_keys(ev: Evaluation) -> list[tuple[str, int | None]]:
    return [(s, ev.epochs(s)[-1]) for s in ev.streams]


def _key_label(key: tuple[str, int | None]) -> str:
    s, e = key
    return s if e is None else f"{s}@{e}"


def _mean_correct(
    ev: Evaluation,
    key: tuple[str, int | None],
    domain: Domain,
    known: BoolArray,
    y: IntArray,
    cache: LogProbCache,
) -> BoolArray:
    """Correctness of one (stream, epoch) under mean segment consensus, over known videos."""
    fused = rules.fuse("mean", cache.get(key), ev.sets[key].segment_mask, domain=domain)
    return np.asarray(np.argmax(fused[known], axis=1) == y)


def _segment_correct(
    ev: Evaluation, key: tuple[str, int | None], known: BoolArray, y: IntArray, cache: LogProbCache
) -> BoolArray:
    """Correctness (n_segments, n_known) of each segment alone; missing segments are wrong."""
    x = cache.get(key)[known]
    mask = ev.sets[key].segment_mask
    pred = np.argmax(np.exp(x), axis=2)  # the "any"-domain decision, computed as evaluate does
    out = pred == y[:, None]
    if mask is not None:
        out &= mask[known]
    return np.ascontiguousarray(out.T)


@dataclass(frozen=True)
class _ComponentSet:
    group: Literal["streams", "segments", "epochs"]
    set: str
    domain: str
    labels: list[str]
    correct: BoolArray  # (K, n_known)


def _component_sets(ev: Evaluation, domains: Sequence[Domain]) -> Iterator[_ComponentSet]:
    known, y = known_labels(ev)
    cache = LogProbCache(ev)
    keys = _stream_keys(ev)
    if len(keys) >= 2:
        for d in domains:
            corr = np.stack([_mean_correct(ev, k, d, known, y, cache) for k in keys])
            yield _ComponentSet("streams", "streams", d, [s for s, _ in keys], corr)
    seg_labels: list[str] = []
    seg_rows: list[BoolArray] = []
    for key in keys:
        c = _segment_correct(ev, key, known, y, cache)
        labels = [f"{key[0]}:{j + 1}" for j in range(c.shape[0])]
        yield _ComponentSet("segments", key[0], "any", labels, c)
        seg_labels += labels
        seg_rows.append(c)
    if len(keys) >= 2:
        yield _ComponentSet("segments", "flat", "any", seg_labels, np.concatenate(seg_rows))
    for stream in ev.streams:
        eps = ev.epochs(stream)
        if len(eps) < 2:
            continue
        for d in domains:
            ekeys = [(stream, e) for e in eps]
            corr = np.stack([_mean_correct(ev, k, d, known, y, cache) for k in ekeys])
            yield _ComponentSet("epochs", stream, d, [_key_label(k) for k in ekeys], corr)


def _check_domains(domains: Sequence[str]) -> tuple[Domain, ...]:
    out: list[Domain] = []
    for d in domains:
        if d not in DOMAINS:
            raise UsageError(f"unknown domain {d!r} (expected prob or logit)")
        out.append("prob" if d == "prob" else "logit")
    if not out:
        raise UsageError("no domain given (expected prob and/or logit)")
    return tuple(out)


def pairwise(ev: Evaluation, *, domains: Sequence[Domain] = DOMAINS) -> pd.DataFrame:
    """Pair statistics between streams, segments and epochs of one evaluation.

    Over the videos with a known label. Groups:

    * ``streams``: each stream's latest epoch under mean segment consensus,
      one block per domain (only with two or more streams);
    * ``segments``: every stream x segment of the latest epochs alone
      (domain ``"any"``; labels ``"rgb:1"``), all pairs within and across
      streams;
    * ``epochs``: each epoch of a stream under mean consensus, per domain
      (only for streams with two or more epochs).

    Parameters
    ----------
    ev : Evaluation
    domains : sequence of {"prob", "logit"}

    Returns
    -------
    DataFrame
        Columns ``evaluation, group, domain`` then those of
        :func:`pairwise_table`.
    """
    import pandas as pd

    doms = _check_domains(domains)
    frames = []
    for cs in _component_sets(ev, doms):
        if cs.set != "flat" and cs.group == "segments" and len(ev.streams) >= 2:
            continue  # within-stream pairs are part of the flat set's pairs
        if len(cs.labels) < 2:
            continue
        df = pairwise_table(cs.correct, cs.labels)
        df.insert(0, "domain", cs.domain)
        df.insert(0, "group", cs.group)
        df.insert(0, "evaluation", ev.name)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["evaluation", "group", "domain", *_PAIR_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def oracle(ev: Evaluation, *, domains: Sequence[Domain] = DOMAINS) -> pd.DataFrame:
    """Best single component and oracle accuracy of each component set of ``ev``.

    Sets: the streams (per domain), the segments of each stream and the flat
    stream x segment set (domain ``"any"``), the epochs of each stream (per
    domain). Ties for the best component go to the first in order.

    Returns
    -------
    DataFrame
        Columns ``evaluation, group, set, domain, components, n_components,
        best_component, best_single, oracle``.
    """
    import pandas as pd

    doms = _check_domains(domains)
    rows = []
    for cs in _component_sets(ev, doms):
        acc = cs.correct.mean(axis=1)
        best = int(np.argmax(acc))
        rows.append(
            {
                "evaluation": ev.name,
                "group": cs.group,
                "set": cs.set,
                "domain": cs.domain,
                "components": "+".join(cs.labels),
                "n_components": len(cs.labels),
                "best_component": cs.labels[best],
                "best_single": float(acc[best]),
                "oracle": oracle_accuracy(cs.correct),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "evaluation",
            "group",
            "set",
            "domain",
            "components",
            "n_components",
            "best_component",
            "best_single",
            "oracle",
        ],
    )


# --------------------------------------------------------------------------- subsets


def _grid_total(step: float) -> int:
    if not (isinstance(step, (int, float)) and math.isfinite(step) and 0 < step <= 1):
        raise UsageError(f"weight step must lie in (0, 1], got {step!r}")
    total = round(1 / step)
    if abs(total * step - 1) > 1e-9:
        raise UsageError(f"weight step must divide 1 exactly (0.1, 0.05, 0.25, ...), got {step!r}")
    return int(total)


def weight_compositions(m: int, *, step: float = 0.1, positive: bool = True) -> IntArray:
    """Integer compositions ``k_1 + ... + k_m = 1/step`` of a simplex weight grid.

    The weights are ``k / (1/step)``; they are enumerated as integers and
    divided, never filtered as floats.

    Parameters
    ----------
    m : int
        Number of components (>= 1).
    step : float, keyword-only, default 0.1
        Grid step; ``1/step`` must be an integer.
    positive : bool, keyword-only, default True
        Only interior points (every ``k_i >= 1``); False includes zeros.

    Returns
    -------
    ndarray of shape (n_points, m), int64
        In lexicographic order.

    Examples
    --------
    >>> weight_compositions(2, step=0.25).tolist()
    [[1, 3], [2, 2], [3, 1]]
    >>> len(weight_compositions(3, positive=False))
    66
    """
    total = _grid_total(step)
    if int(m) != m or m < 1:
        raise UsageError(f"need m >= 1 components, got {m!r}")
    m = int(m)
    if m == 1:
        return np.array([[total]], dtype=np.int64)
    shift = 0 if positive else 1
    n = total + shift * m  # stars and bars on k_i + shift >= 1
    if m > n:
        return np.zeros((0, m), dtype=np.int64)
    cuts = np.array(list(itertools.combinations(range(1, n), m - 1)), dtype=np.int64)
    cuts = cuts.reshape(-1, m - 1)
    edges = np.concatenate(
        [np.zeros((cuts.shape[0], 1), np.int64), cuts, np.full((cuts.shape[0], 1), n)], axis=1
    )
    out: IntArray = np.diff(edges, axis=1) - shift
    return out


class _Margins:
    """Per-video constraints deciding whether a weighted fusion is right.

    The weighted fusion of video n is right iff for every competitor class c:
    ``sum_k w_k D[n, k, c] > 0`` (c < y, which wins ties) or ``>= 0`` (c > y),
    with ``D = v[y] - v[c]`` (0 for a missing component) and weights ``w >= 0``
    (positive on the members of a subset, 0 elsewhere).

    Floating-point sums are not associative, so a margin within ``eps`` of 0
    (a bound far above the rounding error of any order of summation) is
    *uncertain*: :meth:`bounds` returns a lower and an upper bound of the
    number of right videos, equal whenever no margin is that close to a tie,
    and the caller settles uncertain grid points with ``rules.fuse`` itself.
    An exact tie (every member's ``D`` is exactly 0) is decided by the tie
    rule. Exact reductions keep the work small:

    * a constraint every component satisfies on its own (certainly) holds for
      all weights and subsets and is dropped once;
    * with ``implied=True`` (worth its cost for large grids only), a
      constraint implied by another of the same video on every component
      (componentwise dominance, respecting the tie rule) is dropped once;
    * per subset, constraints every member satisfies are skipped and a
      constraint every member violates makes the video wrong for all weights.
    """

    def __init__(
        self,
        v: Array,
        y: IntArray,
        mask: BoolArray | None,
        *,
        total: int,
        implied: bool = False,
    ) -> None:
        n, _, c = v.shape
        vy = v[np.arange(n), :, y][:, :, None]
        d = vy - v  # (N, K, C)
        scale = np.abs(vy) + np.abs(v)
        if mask is not None:
            d = np.where(mask[:, :, None], d, 0.0)
            scale = np.where(mask[:, :, None], scale, 0.0)
        eps = _EPS * total * scale.sum(axis=1)  # (N, C)
        strict = np.arange(c)[None, :] < y[:, None]
        zero = d == 0
        ok = (d > eps[:, None, :]) | (zero & ~strict[:, None, :])  # alone: certainly satisfied
        keep = ~ok.all(axis=1)
        keep[np.arange(n), y] = False
        vid, cls = np.nonzero(keep)  # sorted by video
        dl = np.ascontiguousarray(d[vid, :, cls].T)  # (K, L)
        st = strict[vid, cls]
        if implied:
            drop = _implied(dl, vid, st, np.where(st, 0, c) + cls)
        else:
            drop = np.zeros(vid.size, dtype=bool)
        self.vid = vid[~drop]
        strict_l = st[~drop]
        dk = dl[:, ~drop]
        eps_l = np.maximum(eps[vid, cls][~drop], np.finfo(np.float64).tiny)
        # margins in units of eps: |margin| <= 1 is a possible tie
        self.d = np.ascontiguousarray(dk / eps_l)
        z = dk == 0
        self.alone_ok = (self.d > 1) | (z & ~strict_l)  # (K, L)
        self.alone_bad = (self.d < -1) | (z & strict_l)
        self.n = n
        self.total = total

    def bounds(self, members: Sequence[int], valid: BoolArray | None) -> tuple[IntArray, IntArray]:
        """Bounds of the right videos at each interior grid point of ``members``.

        Returns ``lower, upper`` of shape (P,), P the rows of
        ``weight_compositions(len(members), step=1/total)`` in that order.
        """
        n_points = math.comb(self.total - 1, len(members) - 1)
        wrong0 = np.zeros(self.n, dtype=bool) if valid is None else ~valid
        idx = list(members)
        if self.vid.size:
            wrong0[self.vid[self.alone_bad[idx].all(axis=0)]] = True  # wrong for every weight
            active = ~self.alone_ok[idx].all(axis=0) & ~wrong0[self.vid]
        else:
            active = np.zeros(0, dtype=bool)
        base = self.n - int(np.count_nonzero(wrong0))
        if not active.any():
            full = np.full(n_points, base, dtype=np.int64)
            return full, full.copy()
        va = self.vid[active]
        starts = np.flatnonzero(np.r_[True, va[1:] != va[:-1]])
        d = self.d[idx][:, active]
        max_rows = _BLOCK_ELEMENTS // d.shape[1]
        uppers, lowers = [], []
        for margin in _composition_margins(d, self.total, max_rows=max_rows):  # eps units
            worst = np.minimum.reduceat(margin, starts, axis=1)  # (rows, videos)
            wrong = worst < -1
            unsure = ~wrong & (worst <= 1)
            uppers.append(base - wrong.sum(axis=1))
            lowers.append(uppers[-1] - unsure.sum(axis=1))
        lower: IntArray = np.concatenate(lowers).astype(np.int64)
        upper: IntArray = np.concatenate(uppers).astype(np.int64)
        return lower, upper


def _composition_margins(d: Array, total: int, *, max_rows: int) -> Iterator[Array]:
    """``weight_compositions(m, step=1/total) @ d`` for d of shape (m, L), in row blocks.

    Yields blocks of at most ``max_rows`` rows (one buffer, reused: consume
    each block before asking for the next), in the lexicographic order of
    :func:`weight_compositions` (positive parts). Compositions sharing a
    prefix share its partial sum, so the work is about two vector operations
    per composition whatever ``m``, and no BLAS call (multi-threaded BLAS is
    slow for such thin products on a busy machine).
    """
    m, size = d.shape
    n_rows = math.comb(total - 1, m - 1) if total >= m else 0
    block = np.empty((min(max(max_rows, 1), n_rows), size))
    row = 0

    def walk(j: int, remaining: int, prefix: Array | None) -> Iterator[Array]:
        nonlocal row
        if j == m - 1:
            np.multiply(d[j], remaining, out=block[row])
            if prefix is not None:
                block[row] += prefix
            row += 1
            if row == block.shape[0]:
                row = 0
                yield block
            return
        for k in range(1, remaining - (m - 1 - j) + 1):
            part = d[j] * k
            if prefix is not None:
                part += prefix
            yield from walk(j + 1, remaining - k, part)

    if n_rows:
        yield from walk(0, total, None)
        if row:
            yield block[:row]


def _implied(d: Array, vid: IntArray, strict: BoolArray, rank: IntArray) -> BoolArray:
    """Constraints implied by another constraint of the same video (to drop).

    Constraint j implies i when ``D_i >= D_j`` on every component, unless i is
    strict and j is not; of equal vectors the one of lower ``rank`` (strict
    first, then lower class) is kept. The relation is a strict partial order,
    so every dropped constraint is implied by a kept one.
    """
    size = vid.size
    if size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.r_[True, vid[1:] != vid[:-1]])
    lengths = np.diff(np.r_[starts, size])
    seg_len = np.repeat(lengths, lengths)
    drop = np.zeros(size, dtype=bool)
    # all ordered pairs within each video, in chunks of about 4M pairs
    first = np.arange(size)
    cum = np.cumsum(seg_len)
    bounds = np.searchsorted(cum, np.arange(0, int(cum[-1]), 4_000_000), side="right")
    for lo, hi in zip(bounds, [*bounds[1:], size], strict=True):
        if lo >= hi:
            continue
        ii = np.repeat(first[lo:hi], seg_len[lo:hi])
        offset = np.arange(ii.size) - np.repeat(
            np.cumsum(seg_len[lo:hi]) - seg_len[lo:hi], seg_len[lo:hi]
        )
        jj = np.repeat(np.repeat(starts, lengths)[lo:hi], seg_len[lo:hi]) + offset
        di, dj = d[:, ii], d[:, jj]
        imp = (di >= dj).all(axis=0) & ~(strict[ii] & ~strict[jj]) & (ii != jj)
        imp &= ~(di == dj).all(axis=0) | (rank[jj] < rank[ii])
        drop[ii[imp]] = True
    return drop


def _subset_means(
    v: Array, x: Array, mask: BoolArray | None, domain: Domain
) -> Iterator[tuple[tuple[int, ...], Array]]:
    """Mean fused scores of every subset, depth first, members ascending.

    Without a mask the sums are built from cached component values, adding
    components in ascending order, which reproduces ``rules.fuse("mean")``
    bit for bit; with a mask each subset goes through ``rules.fuse``.
    """
    k = v.shape[1]
    if mask is not None:
        for size in range(1, k + 1):
            for sub in itertools.combinations(range(k), size):
                idx = list(sub)
                with np.errstate(invalid="ignore", divide="ignore"):  # no member present: NaN
                    fused = rules.fuse("mean", x[:, idx], mask[:, idx], domain=domain)
                yield sub, fused
        return

    def walk(sub: tuple[int, ...], total: Array) -> Iterator[tuple[tuple[int, ...], Array]]:
        yield sub, total / len(sub)
        for j in range(sub[-1] + 1, k):
            yield from walk((*sub, j), total + v[:, j])

    for j in range(k):
        yield from walk((j,), v[:, j])


def _searched(step: float) -> str:
    """What the ``best_grid`` column says was searched."""
    return f"step {step:g} + equal weights"


@dataclass(frozen=True)
class _Candidate:
    """A weight vector of a subset search: right count, weights over all K components."""

    right: int
    weights: tuple[Fraction, ...]
    key: tuple[Any, ...]


def _candidate(
    right: int, sub: Sequence[int], w: Sequence[Fraction], k: int, *, equal: bool
) -> _Candidate:
    """A candidate whose ``key`` is smallest for the best one.

    Most right, then closest to uniform (smallest ``sum w**2``), then the first
    in enumeration order (lexicographic in the weights), the equal-weight point
    before a grid point of the same weights.
    """
    full = [Fraction(0)] * k
    for j, wj in zip(sub, w, strict=True):
        full[j] = wj
    weights = tuple(full)
    return _Candidate(right, weights, (-right, sum(x * x for x in w), weights, not equal))


def subset_accuracy(
    x: npt.ArrayLike,
    y_true: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    labels: Sequence[str] | None = None,
    domains: Sequence[Domain] = DOMAINS,
    step: float = 0.1,
    set_name: str = "",
    max_components: int = MAX_SUBSET_COMPONENTS,
) -> pd.DataFrame:
    """Accuracy of mean and of the best fixed-weight fusion on every subset of components.

    Parameters
    ----------
    x : array-like of shape (n_videos, n_components, n_classes)
        Log-probabilities of each component.
    y_true : array-like of shape (n_videos,)
        Known true classes in ``[0, n_classes)``.
    mask : array-like of shape (n_videos, n_components), bool, optional
        False where a component is missing.
    labels : sequence of str, optional
        Component labels (default ``"1", "2", ...``).
    domains : sequence of {"prob", "logit"}
        Fusion domains (mean and weighted mean of ``exp(x)`` or of ``x``).
    step : float, default 0.1
        Weight-grid step (``1/step`` an integer); the equal-weight point of
        every subset is searched as well.
    set_name : str
        Value of the ``set`` index level.
    max_components : int, default 10
        More components than this raise :class:`UsageError`.

    Returns
    -------
    DataFrame
        Indexed by ``(set, domain, subset)`` with ``subset`` the member labels
        joined by ``+``; columns ``members`` (tuple of labels), ``n_members``,
        ``mean_acc``, ``best_acc`` (oracle: tuned on these videos; never
        below ``mean_acc``), ``best_weights`` (tuple of weights over
        ``members``, summing to 1; ties to the weights closest to uniform),
        ``best_grid`` (what was searched: ``"step 0.1 + equal weights"``),
        ``n_videos``. Rows by subset size, then members in order.

    Examples
    --------
    >>> x = np.log([[[0.6, 0.4], [0.3, 0.7]], [[0.8, 0.2], [0.45, 0.55]]])
    >>> df = subset_accuracy(x, [0, 0], domains=["prob"], set_name="rgb")
    >>> df.loc[("rgb", "prob", "1+2"), ["mean_acc", "best_acc"]].tolist()
    [0.5, 1.0]
    >>> df.loc[("rgb", "prob", "1+2"), "best_weights"]
    (0.7, 0.3)
    """
    import pandas as pd

    xa = np.asarray(x, dtype=np.float64)
    y = np.asarray(y_true)
    if xa.ndim != 3 or xa.shape[0] == 0 or xa.shape[1] == 0 or xa.shape[2] < 2:
        raise UsageError(
            "x must have shape (n_videos, n_components, n_classes) with videos, components "
            f"and >= 2 classes, got {xa.shape}"
        )
    n, k, c = xa.shape
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise UsageError(f"y_true must be integers of shape ({n},), got {y.dtype} {y.shape}")
    if ((y < 0) | (y >= c)).any():
        raise UsageError(f"y_true must hold known labels in [0, {c}); filter out -1 first")
    y = y.astype(np.int64)
    m_arr: BoolArray | None = None
    if mask is not None:
        m_arr = np.asarray(mask)
        if m_arr.shape != (n, k) or m_arr.dtype != np.bool_:
            raise UsageError(
                f"mask must be bool of shape ({n}, {k}), got {m_arr.dtype} {m_arr.shape}"
            )
        if m_arr.all():
            m_arr = None
    if k > max_components:
        raise UsageError(
            f"{set_name or 'component set'}: {k} components give {2**k - 1} subsets; at most "
            f"{max_components} components are enumerated"
        )
    names = [str(i + 1) for i in range(k)] if labels is None else [str(s) for s in labels]
    if len(names) != k:
        raise UsageError(f"expected {k} component labels, got {len(names)}")
    doms = _check_domains(domains)
    total = _grid_total(step)
    grids = {m: weight_compositions(m, step=step) for m in range(2, k + 1)}
    sumsq = {m: (g * g).sum(axis=1) for m, g in grids.items()}  # tie key: closest to uniform
    searched = _searched(step)

    records: list[dict[str, Any]] = []
    for d in doms:
        v = np.exp(xa) if d == "prob" else xa
        valid_of: dict[tuple[int, ...], BoolArray | None] = {}
        mean_right: dict[tuple[int, ...], int] = {}
        for sub, fused in _subset_means(v, xa, m_arr, d):
            ok = np.argmax(fused, axis=1) == y
            valid: BoolArray | None = None
            if m_arr is not None:
                valid = np.asarray(m_arr[:, list(sub)].any(axis=1))
                ok &= valid
            valid_of[sub] = valid
            mean_right[sub] = int(np.count_nonzero(ok))
        # dominance pruning pays off only when the grid is large (K >= 7 at step 0.1)
        n_points = math.comb(total + k - 1, k - 1)
        margins = None
        if k >= 2:
            margins = _Margins(v, y, m_arr, total=total, implied=n_points > _IMPLIED_MIN_POINTS)
        # Candidates of each subset: its equal-weight point (the mean rule, so that
        # best >= mean) and its best interior grid point; the closed simplex adds
        # the best of each subset with one member fewer.
        best: dict[tuple[int, ...], _Candidate] = {}
        for sub in sorted(valid_of, key=lambda s: (len(s), s)):
            m = len(sub)
            cands = [_candidate(mean_right[sub], sub, [Fraction(1, m)] * m, k, equal=True)]
            if m > 1 and margins is not None and grids[m].shape[0]:
                grid = grids[m]
                lower, upper = margins.bounds(sub, valid_of[sub])
                exact = np.where(lower == upper, lower, -1)
                for q in np.flatnonzero((upper >= lower.max()) & (lower != upper)):
                    exact[q] = _weighted_right(xa, y, m_arr, sub, grid[q].astype(np.float64), d)
                top = np.flatnonzero(exact == exact.max())
                p = int(top[np.argmin(sumsq[m][top])])  # closest to uniform, then the first
                w = [Fraction(int(kj), total) for kj in grid[p]]
                cands.append(_candidate(int(exact[p]), sub, w, k, equal=False))
            for drop in sub if m > 1 else ():
                cands.append(best[tuple(j for j in sub if j != drop)])
            best[sub] = min(cands, key=lambda c: c.key)
        for sub in sorted(valid_of, key=lambda s: (len(s), s)):
            cand = best[sub]
            members = tuple(names[j] for j in sub)
            records.append(
                {
                    "set": set_name,
                    "domain": d,
                    "subset": "+".join(members),
                    "members": members,
                    "n_members": len(sub),
                    "mean_acc": mean_right[sub] / n,
                    "best_acc": cand.right / n,
                    "best_weights": tuple(round(float(cand.weights[j]), 10) for j in sub),
                    "best_grid": searched,
                    "n_videos": n,
                }
            )
    df = pd.DataFrame(records, columns=[*_SUBSET_INDEX, *_SUBSET_COLUMNS])
    return _ordered_index(df.set_index(list(_SUBSET_INDEX)))


def _weighted_right(
    x: Array,
    y: IntArray,
    mask: BoolArray | None,
    members: Sequence[int],
    weights: npt.ArrayLike,
    domain: Domain,
) -> int:
    """Right videos of ``rules.fuse("weighted")`` on ``members`` (none present: wrong)."""
    idx = list(members)
    m = None if mask is None else mask[:, idx]
    with np.errstate(invalid="ignore", divide="ignore"):  # no member present: NaN row
        fused = rules.fuse("weighted", x[:, idx], m, domain=domain, weights=weights)
    ok = np.argmax(fused, axis=1) == y
    if m is not None:
        ok &= m.any(axis=1)
    return int(np.count_nonzero(ok))


def _ordered_index(df: pd.DataFrame) -> pd.DataFrame:
    """Rebuild a MultiIndex with each level's values in order of appearance.

    The codes are then lexsorted in row order, so ``df.loc[(set, domain)]``
    works without a PerformanceWarning while rows keep their table order.
    """
    import pandas as pd

    if df.index.nlevels < 2 or df.empty:
        return df
    arrays = [df.index.get_level_values(i) for i in range(df.index.nlevels)]
    levels = [list(dict.fromkeys(a)) for a in arrays]
    codes = [pd.Index(lv).get_indexer(a) for lv, a in zip(levels, arrays, strict=True)]
    out = df.copy()
    out.index = pd.MultiIndex(levels=levels, codes=codes, names=df.index.names)
    return out


def subsets(
    ev: Evaluation,
    *,
    domains: Sequence[Domain] = DOMAINS,
    step: float = 0.1,
    max_components: int = MAX_SUBSET_COMPONENTS,
) -> tuple[pd.DataFrame, list[str]]:
    """Subset accuracies for the segments of each stream and for the flat set of ``ev``.

    Uses the latest epoch of each stream and the videos with a known label.
    Sets are the stream names (members ``"1"``, ``"2"``, ...) and ``"flat"``
    (every stream x segment, members ``"rgb:1"``, ...; only with two or more
    streams). A set with more than ``max_components`` components is skipped
    and named in the returned notes.

    Returns
    -------
    table : DataFrame
        As :func:`subset_accuracy`, with an ``evaluation`` column.
    notes : list of str
    """
    import pandas as pd

    known, y = known_labels(ev)
    cache = LogProbCache(ev)
    keys = _stream_keys(ev)
    jobs: list[tuple[str, Array, BoolArray | None, list[str]]] = []
    for key in keys:
        st = ev.sets[key]
        m = None if st.segment_mask is None else st.segment_mask[known]
        jobs.append((key[0], cache.get(key)[known], m, [str(j + 1) for j in range(st.n_segments)]))
    if len(keys) >= 2:
        xs = [cache.get(k)[known] for k in keys]
        ms = [None if ev.sets[k].segment_mask is None else ev.sets[k].segment_mask for k in keys]
        x, m = rules.flat_components(xs, [None if mm is None else mm[known] for mm in ms])
        labels = [f"{k[0]}:{j + 1}" for k in keys for j in range(ev.sets[k].n_segments)]
        jobs.append(("flat", x, m, labels))
    frames, notes = [], []
    for name, x, m, labels in jobs:
        if x.shape[1] > max_components:
            notes.append(
                f"{ev.name}: subsets of {name} skipped: {x.shape[1]} components "
                f"(at most {max_components} are enumerated)"
            )
            continue
        df = subset_accuracy(
            x,
            y,
            m,
            labels=labels,
            domains=domains,
            step=step,
            set_name=name,
            max_components=max_components,
        )
        df.insert(0, "evaluation", ev.name)
        frames.append(df)
    if not frames:
        empty = pd.DataFrame(columns=["evaluation", *_SUBSET_INDEX, *_SUBSET_COLUMNS])
        return empty.set_index(list(_SUBSET_INDEX)), notes
    return _ordered_index(pd.concat(frames)), notes


# --------------------------------------------------------------------------- wins and losses


def _spec_label(spec: FusionSpec) -> str:
    parts = [spec.streams_label, spec.consensus_label, spec.fusion or ""]
    label = " ".join(p for p in parts if p)
    if spec.weights is not None:
        label += f" {spec.weights_label}"
    return f"{label} ({spec.domain})"


def _component_correct(
    ev: Evaluation, spec: FusionSpec, known: BoolArray, y: IntArray, cache: LogProbCache
) -> BoolArray:
    """Correctness (K, n_known) of the components ``spec`` combines."""
    d = spec.compute_domain
    if spec.level == "two-level":
        rows = []
        for key in spec.streams:
            fused = rules.fuse(
                spec.consensus or "mean", cache.get(key), ev.sets[key].segment_mask, domain=d
            )
            rows.append(np.argmax(fused[known], axis=1) == y)
        return np.stack(rows)
    segs = np.concatenate([_segment_correct(ev, k, known, y, cache) for k in spec.streams])
    if spec.level == "segment" and spec.segment is not None:
        return segs[[spec.segment]]
    return segs


@dataclass
class WinsLosses:
    """The videos a fusion fixes and breaks relative to a single stream.

    Attributes
    ----------
    fusion, single : str
        Labels of the two rows compared.
    per_class : DataFrame
        Columns ``evaluation, class, class_name, n_videos, fixed,
        fixed_all_wrong, broken, net``: per true class, the videos the single
        stream gets wrong and the fusion right; those where every component
        the fusion combines is wrong and the fusion right; those the single
        stream gets right and the fusion wrong; ``fixed - broken``.
    videos : DataFrame
        One row per video in any of the three categories: ``evaluation,
        video_id, label, true_class, single_pred, fused_pred, fixed,
        fixed_all_wrong, broken`` (classes by name).
    summary : dict
        ``fusion, single, fusion_top1, single_top1, n_videos, fixed,
        fixed_all_wrong, broken, net``; ``fusion_top1 - single_top1 = net /
        n_videos`` exactly.
    """

    fusion: str
    single: str
    per_class: pd.DataFrame
    videos: pd.DataFrame
    summary: dict[str, Any]


def _class_names(ev: Evaluation) -> list[str]:
    if ev.class_names is not None:
        return [str(s) for s in ev.class_names]
    return [str(i) for i in range(ev.n_classes)]


def wins_losses(ev: Evaluation, *, fusion: FusionSpec, single: FusionSpec) -> WinsLosses:
    """Where ``fusion`` wins and loses against ``single`` on the videos of ``ev``.

    Over the videos with a known label. "Components" are what ``fusion``
    combines: each stream's consensus decision for a two-level fusion; each
    stream x segment alone for a flat fusion; each segment for a single
    stream's consensus.

    Parameters
    ----------
    ev : Evaluation
    fusion, single : FusionSpec
        Typically the best fusion row and the best single-stream row of the
        :func:`fusionlab.evaluate.evaluate` table.

    Returns
    -------
    WinsLosses
    """
    import pandas as pd

    known, y = known_labels(ev)
    cache = LogProbCache(ev)
    c = ev.n_classes
    fpred = np.argmax(fusion.fused(ev, cache)[known], axis=1)
    spred = np.argmax(single.fused(ev, cache)[known], axis=1)
    fok, sok = fpred == y, spred == y
    comp = _component_correct(ev, fusion, known, y, cache)
    fixed = fok & ~sok
    fixed_all = fok & ~comp.any(axis=0)
    broken = sok & ~fok
    names = _class_names(ev)
    counts = {
        key: np.bincount(y[sel], minlength=c)
        for key, sel in (("fixed", fixed), ("fixed_all_wrong", fixed_all), ("broken", broken))
    }
    per = pd.DataFrame(
        {
            "evaluation": ev.name,
            "class": np.arange(c),
            "class_name": names,
            "n_videos": np.bincount(y, minlength=c),
            **counts,
            "net": counts["fixed"] - counts["broken"],
        }
    )
    sel = fixed | fixed_all | broken
    nm = np.asarray(names, dtype=object)
    videos = pd.DataFrame(
        {
            "evaluation": ev.name,
            "video_id": ev.video_ids[known][sel].astype(str),
            "label": y[sel],
            "true_class": nm[y[sel]],
            "single_pred": nm[spred[sel]],
            "fused_pred": nm[fpred[sel]],
            "fixed": fixed[sel],
            "fixed_all_wrong": fixed_all[sel],
            "broken": broken[sel],
        }
    )
    n = int(y.size)
    summary: dict[str, Any] = {
        "fusion": _spec_label(fusion),
        "single": _spec_label(single),
        "fusion_top1": float(fok.mean()),
        "single_top1": float(sok.mean()),
        "n_videos": n,
        "fixed": int(fixed.sum()),
        "fixed_all_wrong": int(fixed_all.sum()),
        "broken": int(broken.sum()),
        "net": int(fixed.sum()) - int(broken.sum()),
    }
    return WinsLosses(_spec_label(fusion), _spec_label(single), per, videos, summary)


def per_class(
    ev: Evaluation, *, streams: Mapping[str, FusionSpec], fusion: FusionSpec
) -> pd.DataFrame:
    """Per-class accuracy of each stream, the better stream, and the fusion's gain over it.

    Parameters
    ----------
    ev : Evaluation
    streams : mapping of stream name to FusionSpec
        The single-stream row to use for each stream (in column order).
    fusion : FusionSpec

    Returns
    -------
    DataFrame
        One row per class: ``evaluation, class, class_name, n_videos``,
        ``acc_<stream>`` for each stream, ``better`` (ties go to the first
        stream), ``margin`` (better minus the runner-up; NaN with one stream),
        ``fused_acc`` and ``gain`` (fused minus better). Accuracies are NaN
        for classes without videos.
    """
    import pandas as pd

    if not streams:
        raise UsageError("per_class needs at least one stream")
    known, y = known_labels(ev)
    cache = LogProbCache(ev)
    c = ev.n_classes
    accs = np.stack(
        [
            metrics.per_class_accuracy(
                y, np.argmax(spec.fused(ev, cache)[known], axis=1), n_classes=c
            )
            for spec in streams.values()
        ]
    )  # (n_streams, C)
    names = list(streams)
    fused = metrics.per_class_accuracy(
        y, np.argmax(fusion.fused(ev, cache)[known], axis=1), n_classes=c
    )
    present = np.bincount(y, minlength=c) > 0
    filled = np.where(np.isnan(accs), -np.inf, accs)
    best = np.argmax(filled, axis=0)
    top = accs[best, np.arange(c)]
    if len(names) > 1:
        runner = np.sort(filled, axis=0)[-2]
        margin = np.where(present, top - runner, np.nan)
    else:
        margin = np.full(c, np.nan)
    out = pd.DataFrame(
        {
            "evaluation": ev.name,
            "class": np.arange(c),
            "class_name": _class_names(ev),
            "n_videos": np.bincount(y, minlength=c),
        }
    )
    for name, a in zip(names, accs, strict=True):
        out[f"acc_{name}"] = a
    out["better"] = [names[b] if p else None for b, p in zip(best, present, strict=True)]
    out["margin"] = margin
    out["fused_acc"] = fused
    out["gain"] = fused - top
    return out


# --------------------------------------------------------------------------- one Results


def _pick_rows(
    results: Results, ev: Evaluation, fusion: FusionSpec | None
) -> tuple[FusionSpec | None, FusionSpec | None, dict[str, FusionSpec]]:
    """The fusion spec, the single baseline and the best single row of each fused stream."""
    rows = results.rows(ev.name)
    # tuned rows (grid, learned) carry no spec: their weights were chosen on these videos
    specs: list[FusionSpec] = [r["spec"] for r in rows if r.get("spec") is not None]
    if fusion is None:
        multi = len(ev.streams) >= 2
        levels = ("two-level", "flat") if multi else ("single",)
        fusion = next((s for s in specs if s.level in levels), specs[0] if specs else None)
    if fusion is None:
        return None, None, {}
    used = set(fusion.streams)
    per_stream: dict[str, FusionSpec] = {}
    for s in specs:
        if s.level == "single" and s.streams[0] in used and s.streams[0][0] not in per_stream:
            per_stream[s.streams[0][0]] = s
    ordered = {k[0]: per_stream[k[0]] for k in fusion.streams if k[0] in per_stream}
    if len(fusion.streams) >= 2:
        level = "single"
    else:
        level = "segment"
    single = next((s for s in specs if s.level == level and s.streams[0] in used), None)
    return fusion, single, ordered


def diversity_for(
    results: Results,
    *,
    step: float = 0.1,
    max_components: int = MAX_SUBSET_COMPONENTS,
    fusion: FusionSpec | Mapping[str, FusionSpec] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every diversity table for each evaluation of an :func:`~fusionlab.evaluate.evaluate` result.

    Parameters
    ----------
    results : Results
        Its options' domains are used.
    step : float, default 0.1
        Weight-grid step of the subset search.
    max_components : int, default 10
        Larger component sets are skipped for subsets (noted).
    fusion : FusionSpec or mapping of evaluation name to FusionSpec, optional
        The fusion whose wins and losses are analysed. By default the top row
        of the table among the two-level and flat fusions (among the
        single-stream rows for a one-stream evaluation). It is compared with
        the best single-stream row of the streams it fuses (the best single
        segment for a one-stream evaluation).

    Returns
    -------
    dict
        Evaluation name -> dict with DataFrames ``pairwise``, ``oracle``,
        ``subsets``, ``wins`` (per class), ``videos``, ``per_class`` (each
        may be empty), plus ``summary`` (dict or None), ``fusion`` and
        ``single`` (labels or None) and ``notes`` (list of str).
    """
    import pandas as pd

    doms = tuple(results.options.domains)
    out: dict[str, dict[str, Any]] = {}
    for ev in results.evaluations:
        chosen = fusion.get(ev.name) if isinstance(fusion, Mapping) else fusion
        fspec, sspec, per_stream = _pick_rows(results, ev, chosen)
        sub, notes = subsets(ev, domains=doms, step=step, max_components=max_components)
        tables: dict[str, Any] = {
            "pairwise": pairwise(ev, domains=doms),
            "oracle": oracle(ev, domains=doms),
            "subsets": sub,
            "wins": pd.DataFrame(),
            "videos": pd.DataFrame(),
            "per_class": pd.DataFrame(),
            "summary": None,
            "fusion": None if fspec is None else _spec_label(fspec),
            "single": None if sspec is None else _spec_label(sspec),
            "notes": notes,
        }
        if fspec is not None and sspec is not None:
            wl = wins_losses(ev, fusion=fspec, single=sspec)
            tables.update(wins=wl.per_class, videos=wl.videos, summary=wl.summary)
        else:
            notes.append(f"{ev.name}: no single baseline to compare the fusion with")
        if fspec is not None and per_stream:
            tables["per_class"] = per_class(ev, streams=per_stream, fusion=fspec)
        out[ev.name] = tables
    return out


def diversity_files(
    patterns: Sequence[str],
    *,
    domains: Sequence[Domain] = DOMAINS,
    allow_partial: bool = False,
    step: float = 0.1,
    progress: bool = False,
) -> tuple[Results, dict[str, dict[str, Any]]]:
    """Load score files, compute the main table (no bootstrap) and every diversity table."""
    _, evs = load_evaluations(patterns, allow_partial=allow_partial)
    opts = EvaluateOptions(
        domains=_check_domains(domains), bootstrap=0, allow_partial=allow_partial
    )
    results = evaluate(evs, options=opts, progress=progress)
    return results, diversity_for(results, step=step)


# --------------------------------------------------------------------------- formatting


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (tuple, list)):
        return [_plain(e) for e in v]
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    flat = df.reset_index() if df.index.nlevels > 1 else df
    return [{str(k): _plain(v) for k, v in r.items()} for r in flat.to_dict("records")]


def _flat_cells(df: pd.DataFrame) -> pd.DataFrame:
    flat = (df.reset_index() if df.index.nlevels > 1 else df).copy()
    for col in flat.columns:
        if flat[col].dtype == object:
            flat[col] = flat[col].map(
                lambda v: (
                    ":".join(f"{e:g}" if isinstance(e, float) else str(e) for e in v)
                    if isinstance(v, tuple)
                    else v
                )
            )
    return flat


def _pct_frame(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = _flat_cells(df)
    for col in out.columns:
        if col in cols or col.startswith("acc_"):
            out[col] = out[col].map(lambda v: "" if v is None or v != v else f"{100 * v:.2f}")
        elif col in ("q", "correlation"):
            out[col] = out[col].map(lambda v: "nan" if v != v else f"{v:+.3f}")
    return out.drop(columns=[c for c in ("evaluation", "members", "n_videos") if c in out.columns])


_PCT = (
    "acc_a",
    "acc_b",
    "disagreement",
    "double_fault",
    "oracle",
    "best_single",
    "mean_acc",
    "best_acc",
    "margin",
    "fused_acc",
    "gain",
)


def _subset_grid(df: pd.DataFrame) -> str:
    """``the step 0.1 grid plus equal weights``, from a subsets table's ``best_grid``."""
    grids = list(dict.fromkeys(str(g) for g in df["best_grid"])) if "best_grid" in df else []
    if not grids:
        return "a weight grid plus equal weights"
    steps = " / ".join(g.removesuffix(" + equal weights") for g in grids)
    return f"the {steps} grid plus equal weights"


def _text_section(title: str, df: pd.DataFrame) -> str:
    if df.empty:
        return f"{title}: none\n"
    frame = _pct_frame(df, _PCT)
    body: str = frame.drop(columns=[c for c in ("best_grid",) if c in frame]).to_string(index=False)
    return f"{title}\n{body}\n"


def format_diversity(
    tables: Mapping[str, Mapping[str, Any]],
    fmt: Format = "table",
    *,
    which: Sequence[str] = TABLES,
    evaluations: Sequence[Evaluation] = (),
) -> str:
    """Render :func:`diversity_for` tables as a text table, JSON or CSV.

    ``table`` shows percentages; ``json`` and ``csv`` hold fractions in
    [0, 1]. JSON is a list with one object per evaluation (tables as lists of
    row objects, NaN as null). CSV is one long table: a ``table`` column
    naming the source table, then the union of the tables' columns (tuples
    joined with ``:``).
    """
    import pandas as pd

    for w in which:
        if w not in TABLES:
            raise UsageError(f"unknown table {w!r} (known: {', '.join(TABLES)})")
    which = [w for w in TABLES if w in which]  # always in table order
    if fmt == "json":
        doc = []
        for name, t in tables.items():
            obj: dict[str, Any] = {"evaluation": name}
            obj.update({k: t[k] for k in ("fusion", "single", "summary", "notes")})
            obj.update({w: _records(t[w]) for w in which})
            doc.append(obj)
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        frames = []
        for t in tables.values():
            for w in which:
                if not t[w].empty:
                    frames.append(_flat_cells(t[w]).assign(table=w))
        if not frames:
            return "table\n"
        df = pd.concat(frames, ignore_index=True)
        df = df[["table", *[c for c in df.columns if c != "table"]]]
        out: str = df.to_csv(index=False, lineterminator="\n", float_format="%.6f")
        return out
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r} (expected table, json or csv)")
    by_name = {ev.name: ev for ev in evaluations}
    chunks = []
    for name, t in tables.items():
        head = describe(by_name[name]) if name in by_name else name
        parts = [head, ""]
        titles = {
            "pairwise": "Pairwise complementarity (%; Q and correlation in [-1, 1])",
            "oracle": "Oracle accuracy (%): a video is right when any component is right",
            "subsets": "Segment subsets (%; best_acc: best fixed weights, an oracle tuned on "
            f"these videos, searched over {_subset_grid(t['subsets'])})",
            "per_class": "Per-class complementarity (%; gain = fusion minus the better stream)",
        }
        for w in which:
            if w == "wins":
                s = t["summary"]
                if s is None:
                    parts.append("Where fusion wins and loses: no single baseline\n")
                    continue
                parts.append(
                    f"Where fusion wins and loses: {s['fusion']} ({100 * s['fusion_top1']:.2f}%) "
                    f"vs {s['single']} ({100 * s['single_top1']:.2f}%): fixed {s['fixed']} "
                    f"(single wrong, fusion right), broken {s['broken']}, net {s['net']:+d} of "
                    f"{s['n_videos']} videos; {s['fixed_all_wrong']} right although every "
                    "component is wrong"
                )
                wins = t["wins"]
                changed = wins[(wins["fixed"] > 0) | (wins["broken"] > 0)]
                body = changed.drop(columns=["evaluation"]).to_string(index=False)
                parts.append(body + "\n" if not changed.empty else "")
            elif w == "videos":
                continue  # listed with --videos-csv
            else:
                parts.append(_text_section(titles[w], t[w]))
        for note in t["notes"]:
            parts.append(f"note: {note}")
        chunks.append("\n".join(parts).rstrip("\n") + "\n")
    return "\n".join(chunks)


def videos_csv(tables: Mapping[str, Mapping[str, Any]]) -> str:
    """The videos each fusion fixes or breaks, all evaluations, as CSV text."""
    import pandas as pd

    frames = [t["videos"] for t in tables.values() if not t["videos"].empty]
    cols = [
        "evaluation",
        "video_id",
        "label",
        "true_class",
        "single_pred",
        "fused_pred",
        "fixed",
        "fixed_all_wrong",
        "broken",
    ]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    text: str = df[cols].to_csv(index=False, lineterminator="\n")
    return text


# --------------------------------------------------------------------------- plots


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    if ax is not None:
        fig = ax.get_figure()
        if fig is None:  # pragma: no cover - axes always belong to a figure
            raise UsageError("ax does not belong to a figure")
        return fig, ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _first(df: pd.DataFrame, col: str, value: str | None) -> pd.DataFrame:
    if col not in df.columns or df.empty:
        return df
    pick = value if value is not None else df[col].iloc[0]
    return df[df[col] == pick]


def plot_q_heatmap(
    df: pd.DataFrame,
    *,
    ax: Axes | None = None,
    group: str | None = None,
    domain: str | None = None,
    evaluation: str | None = None,
) -> Figure:
    """Heatmap of Yule's Q between every pair of components.

    Parameters
    ----------
    df : DataFrame
        A :func:`pairwise` table. One component set is drawn: ``evaluation``,
        ``group`` and ``domain`` select it (default: the first evaluation; the
        ``segments`` group if present, else the first; the first domain).
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        The diagonal is 1 (a component with itself); NaN cells are blank.
    """
    sel = _first(df, "evaluation", evaluation)
    if group is None and "group" in sel.columns and (sel["group"] == "segments").any():
        group = "segments"
    sel = _first(_first(sel, "group", group), "domain", domain)
    labels: list[str] = []
    for a, b in zip(sel["a"], sel["b"], strict=True):
        for s in (a, b):
            if s not in labels:
                labels.append(s)
    k = len(labels)
    mat = np.eye(k)
    pos = {s: i for i, s in enumerate(labels)}
    for a, b, q in zip(sel["a"], sel["b"], sel["q"], strict=True):
        mat[pos[a], pos[b]] = mat[pos[b], pos[a]] = q
    fig, axes = _new_axes(ax, (1.2 + 0.6 * max(k, 2), 1.0 + 0.5 * max(k, 2)))
    im = axes.imshow(np.ma.masked_invalid(mat), cmap="RdBu_r", vmin=-1, vmax=1)
    axes.set_xticks(range(k), labels, rotation=45, ha="right")
    axes.set_yticks(range(k), labels)
    for i in range(k):
        for j in range(k):
            if math.isfinite(mat[i, j]):
                color = "white" if abs(mat[i, j]) > 0.6 else "black"
                axes.text(
                    j, i, f"{mat[i, j]:.2f}", ha="center", va="center", fontsize=8, color=color
                )
    fig.colorbar(im, ax=axes, label="Yule's Q")
    axes.set_title("Pairwise Yule's Q (low = complementary errors)")
    return fig


def plot_subset_accuracy(
    df: pd.DataFrame,
    *,
    ax: Axes | None = None,
    which: str | None = None,
    domain: str | None = None,
    evaluation: str | None = None,
) -> Figure:
    """Bar plot of the accuracy of mean fusion on every subset, with the best-weight oracle.

    Parameters
    ----------
    df : DataFrame
        A :func:`subsets` (or :func:`subset_accuracy`) table. One set is drawn:
        ``evaluation``, ``which`` (the set: a stream or ``"flat"``) and
        ``domain`` select it (default: the first of each).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    flat = df.reset_index() if df.index.nlevels > 1 else df
    sel = _first(_first(_first(flat, "evaluation", evaluation), "set", which), "domain", domain)
    n = len(sel)
    fig, axes = _new_axes(ax, (6.0, 1.0 + 0.28 * max(n, 3)))
    ypos = np.arange(n)[::-1]
    axes.barh(ypos, 100 * sel["mean_acc"].to_numpy(), color="#4c72b0", label="mean fusion")
    axes.scatter(
        100 * sel["best_acc"].to_numpy(),
        ypos,
        marker="|",
        s=120,
        color="#dd8452",
        zorder=3,
        label="best fixed weights (grid + equal weights, oracle)",
    )
    axes.set_yticks(ypos, [str(s) for s in sel["subset"]])
    lo = 100 * float(np.nanmin(sel[["mean_acc", "best_acc"]].to_numpy())) if n else 0.0
    axes.set_xlim(max(0.0, lo - 5), 100)
    axes.set_xlabel("top-1 accuracy (%)")
    title = "Accuracy of each subset"
    if n:
        title += f" ({sel['set'].iloc[0]}, {sel['domain'].iloc[0]})"
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)
    return fig


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab diversity``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="score files (.npz); globs ok")
    parser.add_argument("--format", choices=["table", "json", "csv"], default="table", dest="fmt")
    parser.add_argument(
        "--domain", choices=["prob", "logit", "both"], default="both", help="fusion domain"
    )
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = stdout)")
    parser.add_argument(
        "--videos-csv", metavar="PATH", help="write the videos the fusion fixes and breaks"
    )
    parser.add_argument(
        "--table",
        action="append",
        choices=list(TABLES),
        help="only these tables (repeatable; default all)",
    )
    parser.add_argument("--step", type=float, default=0.1, help="weight-grid step of subsets")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="keep only the videos common to all files instead of failing",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or notes")


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab diversity``; returns the exit status."""
    domains: tuple[Domain, ...] = ("prob", "logit") if args.domain == "both" else (args.domain,)
    results, tables = diversity_files(
        args.files,
        domains=domains,
        allow_partial=args.allow_partial,
        step=args.step,
        progress=not args.quiet,
    )
    which = tuple(args.table) if args.table else TABLES
    text = format_diversity(tables, args.fmt, which=which, evaluations=results.evaluations)
    if args.videos_csv:
        write_output(args.videos_csv, videos_csv(tables))
    write_output(args.output, text)
    if not args.quiet and args.fmt != "table":
        for t in tables.values():
            for note in t["notes"]:
                print(f"note: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    from .cli import run_subcommand

    sys.exit(run_subcommand("diversity", prog="python -m fusionlab.diversity"))
