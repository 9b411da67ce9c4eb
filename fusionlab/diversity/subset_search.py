"""Subset accuracy: mean fusion and the best fixed weights on every subset of components.

:func:`mean_subset_right` is the one engine of "mean fusion over every subset"
(also used by :func:`fusionlab.importance.subset_accuracies`);
:func:`subset_accuracy` adds the best fixed-weight fusion of each subset (see
:mod:`fusionlab.diversity` for the search and its tie rules) and
:func:`subsets` applies both to the segments of an evaluation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import rules
from ..errors import UsageError
from ..fused import LogProbCache, known_labels
from ..rules import DOMAINS, Domain
from ..scores import Evaluation
from ..weights import component_name
from .components import check_domains, stream_keys
from .grid import Margins, grid_total, weight_compositions

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_SUBSET_COMPONENTS",
    "SUBSET_COLUMNS",
    "SUBSET_INDEX",
    "mean_subset_right",
    "ordered_index",
    "subset_accuracy",
    "subsets",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Largest component set whose subsets are enumerated (2^10 - 1 = 1023 subsets).
MAX_SUBSET_COMPONENTS = 10
#: Index levels and columns of a :func:`subset_accuracy` table.
SUBSET_INDEX = ("set", "domain", "subset")
SUBSET_COLUMNS = (
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


# --------------------------------------------------------------------------- mean of every subset


def mean_subset_right(
    x: Array, y: IntArray, mask: BoolArray | None = None, *, domain: Domain
) -> IntArray:
    """Videos that mean fusion gets right, for every subset of the components.

    Parameters
    ----------
    x : ndarray of shape (n_videos, K, n_classes), float64
        Log-probabilities (already validated).
    y : ndarray of shape (n_videos,), int
        Known labels in ``[0, n_classes)``.
    mask : ndarray of shape (n_videos, K), bool, optional
        False where a component is missing.
    domain : {"prob", "logit"}

    Returns
    -------
    ndarray of shape (2**K,), int64
        ``out[s]``: the videos on which ``rules.fuse("mean", x[:, S], mask[:, S])``
        is right, ``S`` the members of bitmask ``s`` (bit j = component j),
        exactly (bit for bit the rule's scores, ties to the lowest class); a
        video none of whose members is present counts as wrong. ``out[0] = 0``.

    Without a mask (or an all-True one) the sums are built once per subset from
    those of its prefix, adding members in ascending order as ``numpy.mean``
    does; with a mask the rule is a weighted mean with per-video weights, which
    :func:`fusionlab.search.grid_accuracy` scores exactly for all subsets at once.

    Examples
    --------
    >>> x = np.log(np.array([[[0.6, 0.4], [0.3, 0.7]], [[0.2, 0.8], [0.45, 0.55]]]))
    >>> mean_subset_right(x, np.array([0, 1]), domain="prob").tolist()
    [0, 2, 1, 1]
    """
    if mask is None or mask.all():
        return _right_unmasked(x, y, domain)
    return _right_masked(x, y, mask, domain)


def _right_unmasked(x: Array, y: IntArray, domain: Domain) -> IntArray:
    k = x.shape[1]
    v = np.exp(x) if domain == "prob" else x
    out = np.zeros(1 << k, dtype=np.int64)

    def walk(bits: int, last: int, size: int, total: Array) -> None:
        out[bits] = np.count_nonzero(np.argmax(total / size, axis=1) == y)
        for j in range(last + 1, k):
            walk(bits | (1 << j), j, size + 1, total + v[:, j])

    for j in range(k):
        walk(1 << j, j, 1, v[:, j])
    return out


def _right_masked(x: Array, y: IntArray, mask: BoolArray, domain: Domain) -> IntArray:
    from ..search import fuse_weighted, grid_accuracy

    k = x.shape[1]
    out = np.zeros(1 << k, dtype=np.int64)
    keep = mask.any(axis=1)  # a video without any component is wrong in every subset
    if not keep.any():
        return out
    xk, yk, mk = x[keep], y[keep], mask[keep]
    bits = ((np.arange(1, 1 << k)[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)
    if mk.all():
        # rules.mean weighs the members 1/|S| (the masked path of the rule)
        ga = grid_accuracy(xk, yk, bits / bits.sum(axis=1, keepdims=True), domain=domain, k=1)
        out[1:] = ga.correct[0]
        return out
    # 0/1 weights renormalised per video over the present members: 1/count, as the rule
    out[1:] = grid_accuracy(xk, yk, bits, mk, domain=domain, k=1).correct[0]
    # Where no member of a subset is present, the weighted rules fall back to all of
    # the video's present components: take back the videos that fallback got right.
    fallback = np.argmax(fuse_weighted(xk, np.ones(k), mk, domain=domain), axis=1) == yk
    absent = (mk.astype(np.int64) @ bits.T.astype(np.int64)) == 0  # (N, 2^K - 1)
    out[1:] -= (fallback[:, None] & absent).sum(axis=0)
    return out


# --------------------------------------------------------------------------- best fixed weights


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


def _check_subset_inputs(
    x: npt.ArrayLike,
    y_true: npt.ArrayLike,
    mask: npt.ArrayLike | None,
    labels: Sequence[str] | None,
    set_name: str,
    max_components: int,
) -> tuple[Array, IntArray, BoolArray | None, list[str]]:
    """``x``, ``y``, the mask (None where all True) and the labels of :func:`subset_accuracy`."""
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
    return xa, y, m_arr, names


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

    xa, y, m_arr, names = _check_subset_inputs(x, y_true, mask, labels, set_name, max_components)
    doms = check_domains(domains)
    search = _SubsetSearch(xa, y, m_arr, step)
    records: list[dict[str, Any]] = []
    for d in doms:
        best, mean_right = search.run(d)
        for sub in search.order:
            cand = best[sub]
            members = tuple(names[j] for j in sub)
            records.append(
                {
                    "set": set_name,
                    "domain": d,
                    "subset": "+".join(members),
                    "members": members,
                    "n_members": len(sub),
                    "mean_acc": mean_right[sub] / search.n,
                    "best_acc": cand.right / search.n,
                    "best_weights": tuple(round(float(cand.weights[j]), 10) for j in sub),
                    "best_grid": _searched(step),
                    "n_videos": search.n,
                }
            )
    df = pd.DataFrame(records, columns=[*SUBSET_INDEX, *SUBSET_COLUMNS])
    return ordered_index(df.set_index(list(SUBSET_INDEX)))


class _SubsetSearch:
    """The best fixed weights of every subset of K components, one domain at a time."""

    def __init__(self, x: Array, y: IntArray, mask: BoolArray | None, step: float) -> None:
        self.x, self.y, self.mask, self.total = x, y, mask, grid_total(step)
        self.n, self.k = x.shape[0], x.shape[1]
        k = self.k
        self.order = [s for m in range(1, k + 1) for s in itertools.combinations(range(k), m)]
        self.grids = {m: weight_compositions(m, step=step) for m in range(2, k + 1)}
        # tie key: closest to uniform
        self.sumsq = {m: (g * g).sum(axis=1) for m, g in self.grids.items()}

    def run(
        self, d: Domain
    ) -> tuple[dict[tuple[int, ...], _Candidate], dict[tuple[int, ...], int]]:
        """Best candidate and mean right count of every subset (members ascending)."""
        x, y, m_arr, k = self.x, self.y, self.mask, self.k
        right = mean_subset_right(x, y, m_arr, domain=d)
        mean_right = {sub: int(right[sum(1 << j for j in sub)]) for sub in self.order}
        v = np.exp(x) if d == "prob" else x
        # dominance pruning pays off only when the grid is large (K >= 7 at step 0.1)
        n_points = math.comb(self.total + k - 1, k - 1)
        margins = None
        if k >= 2:
            implied = n_points > _IMPLIED_MIN_POINTS
            margins = Margins(v, y, m_arr, total=self.total, implied=implied)
        # Candidates of each subset: its equal-weight point (the mean rule, so that
        # best >= mean) and its best interior grid point; the closed simplex adds
        # the best of each subset with one member fewer.
        best: dict[tuple[int, ...], _Candidate] = {}
        for sub in self.order:
            m = len(sub)
            cands = [_candidate(mean_right[sub], sub, [Fraction(1, m)] * m, k, equal=True)]
            if m > 1 and margins is not None and self.grids[m].shape[0]:
                cands.append(self._grid_best(margins, sub, d))
            for drop in sub if m > 1 else ():
                cands.append(best[tuple(j for j in sub if j != drop)])
            best[sub] = min(cands, key=lambda c: c.key)
        return best, mean_right

    def _grid_best(self, margins: Margins, sub: tuple[int, ...], d: Domain) -> _Candidate:
        """The best interior grid point of ``sub``; near ties settled with rules.fuse."""
        m = len(sub)
        grid = self.grids[m]
        valid = None if self.mask is None else np.asarray(self.mask[:, list(sub)].any(axis=1))
        lower, upper = margins.bounds(sub, valid)
        exact = np.where(lower == upper, lower, -1)
        for q in np.flatnonzero((upper >= lower.max()) & (lower != upper)):
            w = grid[q].astype(np.float64)
            exact[q] = _weighted_right(self.x, self.y, self.mask, sub, w, d)
        top = np.flatnonzero(exact == exact.max())
        p = int(top[np.argmin(self.sumsq[m][top])])  # closest to uniform, then the first
        w = [Fraction(int(kj), self.total) for kj in grid[p]]
        return _candidate(int(exact[p]), sub, w, self.k, equal=False)


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


def ordered_index(df: pd.DataFrame) -> pd.DataFrame:
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
    (every stream x segment, members ``"rgb/seg1"``, ...; only with two or more
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
    keys = stream_keys(ev)
    jobs: list[tuple[str, Array, BoolArray | None, list[str]]] = []
    for key in keys:
        st = ev.sets[key]
        m = None if st.segment_mask is None else st.segment_mask[known]
        jobs.append((key[0], cache.get(key)[known], m, [str(j + 1) for j in range(st.n_segments)]))
    if len(keys) >= 2:
        xs = [cache.get(k)[known] for k in keys]
        ms = [None if ev.sets[k].segment_mask is None else ev.sets[k].segment_mask for k in keys]
        x, m = rules.flat_components(xs, [None if mm is None else mm[known] for mm in ms])
        labels = [component_name(k[0], j) for k in keys for j in range(ev.sets[k].n_segments)]
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
        empty = pd.DataFrame(columns=["evaluation", *SUBSET_INDEX, *SUBSET_COLUMNS])
        return empty.set_index(list(SUBSET_INDEX)), notes
    return ordered_index(pd.concat(frames)), notes
