"""Ensemble selection (Caruana et al. 2004): greedy forward selection with replacement, bagged.

:func:`greedy_selection` builds an ensemble of many components (checkpoints,
models, streams, segments) by adding, at each of ``n_iter`` steps, the component
whose addition gives the best ensemble on the selection videos; a component may
be added several times (selection *with replacement*), so its weight is the
number of times it was picked divided by ``n_iter``. The ensemble is the
weighted mean of the components in the chosen domain: the mean of probabilities
(``domain="prob"``) or of log-probabilities (``domain="logit"``), exactly
``rules.fuse("weighted", x, mask, domain=..., weights=weights)``.

The score of a candidate ensemble (``metric``):

* ``"accuracy"`` (default): the number of selection videos it classifies
  correctly (top-1); among equally accurate candidates the one with the lower
  NLL of the ensemble wins (its normalised mean probabilities, or the softmax of
  its mean log-probabilities), then the **lowest component index**;
* ``"nll"``: the lower NLL wins, then the lowest component index.

``init="best"`` starts from the best single component (the first greedy step);
``init="sorted"`` is the *sorted ensemble initialisation* of Caruana et al.
(2006): the components are ranked by their own score and the best ``N`` are
added once each, ``N`` chosen by the score of the prefix ensembles (ties: the
smallest ``N``); the remaining ``n_iter - N`` steps are greedy.

Bagging (``bagging=n_bags``): the selection is repeated on ``n_bags`` random
subsets of the components (``bag_fraction`` of K, at least 2 and at most K,
drawn without replacement by ``numpy.random.default_rng(seed)``) and the weight
vectors are averaged (Caruana's bagged ensemble selection). It works for every
K >= 1 (a bag of K = 2 components holds both).

Because the selection chooses by accuracy on the labels it is given,
``oracle_top1`` (the selection on all videos, scored on the same videos) is an
oracle value, optimistic like the grid's; the honest estimate is cross-fitted
(:func:`~fusionlab.search.crossfit.cross_fit`: select on k-1 folds, score the
held-out fold, repeated with seeds) or tuned on a separate val subset.

Speed: a video whose current top class leads every other class by more than
any single candidate can change (``max_c v_k - v_k[top]``) keeps its decision
whichever component is added; only the other videos are re-ranked per
candidate. Candidate scores are running sums in selection order; the reported
accuracies are recomputed with the reference weighted fusion
(:func:`~fusionlab.search.reference.fuse_weighted`), so they equal the
``weighted`` rule's to the bit (a trace value can differ from them only through
rounding at an exact tie).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..validation import check_domain, check_mask, check_x, check_y
from .crossfit import Folds, cross_fit
from .reference import (
    Array,
    BoolArray,
    Domain,
    IntArray,
    Mask,
    domain_values,
    rank_of_true,
    video_weights,
    weighted_sum,
)

__all__ = ["TIE_BREAK", "GreedyResult", "GreedyStep", "bag_members", "greedy_selection"]

Metric = Literal["accuracy", "nll"]
Init = Literal["best", "sorted"]
Selection = Literal["cross-fit", "val", "none"]

#: How ties between candidates are broken (also written into the JSON document).
TIE_BREAK = {
    "accuracy": "most correct videos, then lower NLL of the ensemble, then lowest component index",
    "nll": "lower NLL of the ensemble, then lowest component index",
}


@dataclass(frozen=True)
class GreedyStep:
    """One step of a selection: the component added and the ensemble's score after it.

    Attributes
    ----------
    index : int
        Component index (into all K components, also inside a bag).
    name : str
    top1 : float
        Top-1 of the ensemble after this step on the selection videos.
    nll : float
        NLL (nats per video) of that ensemble on the selection videos.
    """

    index: int
    name: str
    top1: float
    nll: float


@dataclass(frozen=True, eq=False)
class GreedyResult:
    """Greedy ensemble selection with oracle and honest accuracies.

    Accuracies are fractions in [0, 1]; ``top5`` means top-``min(5, n_classes)``.

    Attributes
    ----------
    component_names : tuple of str
    domain : {"prob", "logit"}
    metric : {"accuracy", "nll"}
    init : {"best", "sorted"}
    n_iter : int
        Components picked per selection (per bag).
    bagging : int
        Number of bags (0 = no bagging).
    bag_fraction : float
    seed : int
    weights : ndarray of shape (K,)
        Non-negative, summing to 1: times picked / ``n_iter`` (mean over bags).
    counts : ndarray of shape (K,), int64
        Times each component was picked (summed over bags).
    traces : tuple of tuple of GreedyStep
        The selection on all videos: one trace (no bagging) or one per bag.
    bags : tuple of tuple of int
        The component indices of each bag (all components without bagging).
    oracle_top1, oracle_top5, oracle_nll : float
        The selection on all videos scored on the same videos (optimistic).
    honest_top1, honest_top1_std, honest_top5 : float or None
        Cross-fitted (or val-tuned) accuracy, its spread over repeats (ddof=1),
        the top-5 of the same held-out selections; None without honest selection.
    honest_per_repeat : ndarray of shape (n_repeats,) or None
    held_out_correct : ndarray of shape (n_videos,), bool, or None
        Held-out top-1 correctness of every video in the first repeat.
    selection : {"cross-fit", "val", "none"}
    folds : Folds or None
    n_videos, n_classes : int
    notes : tuple of str
    evaluation, over : str
        Labels set by callers (the command line, :func:`summary_rows`).
    """

    component_names: tuple[str, ...]
    domain: Domain
    metric: Metric
    init: Init
    n_iter: int
    bagging: int
    bag_fraction: float
    seed: int
    weights: Array
    counts: IntArray
    traces: tuple[tuple[GreedyStep, ...], ...]
    bags: tuple[tuple[int, ...], ...]
    oracle_top1: float
    oracle_top5: float
    oracle_nll: float
    honest_top1: float | None
    honest_top1_std: float | None
    honest_top5: float | None
    honest_per_repeat: Array | None
    held_out_correct: BoolArray | None
    selection: Selection
    folds: Folds | None
    n_videos: int
    n_classes: int
    notes: tuple[str, ...] = ()
    evaluation: str = ""
    over: str = ""

    @property
    def trace(self) -> tuple[GreedyStep, ...]:
        """The trace of the selection (the first bag's with bagging)."""
        return self.traces[0]

    @property
    def best_weights(self) -> dict[str, float]:
        """Component name -> weight of the selected ensemble."""
        return {n: float(w) for n, w in zip(self.component_names, self.weights, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``method`` "greedy"; the traces as lists of steps)."""
        fo = self.folds
        return {
            "method": "greedy",
            "evaluation": self.evaluation,
            "over": self.over,
            "components": list(self.component_names),
            "domain": self.domain,
            "metric": self.metric,
            "init": self.init,
            "n_iter": self.n_iter,
            "bagging": self.bagging,
            "bag_fraction": self.bag_fraction,
            "n_videos": self.n_videos,
            "n_classes": self.n_classes,
            "best_weights": self.best_weights,
            "counts": {n: int(c) for n, c in zip(self.component_names, self.counts, strict=True)},
            "traces": [
                [{"component": s.name, "top1": s.top1, "nll": s.nll} for s in t]
                for t in self.traces
            ],
            "bags": [[self.component_names[i] for i in b] for b in self.bags],
            "oracle_top1": self.oracle_top1,
            "oracle_top5": self.oracle_top5,
            "oracle_nll": self.oracle_nll,
            "honest_top1": self.honest_top1,
            "honest_top1_std": self.honest_top1_std,
            "honest_top5": self.honest_top5,
            "honest_per_repeat": None
            if self.honest_per_repeat is None
            else self.honest_per_repeat.tolist(),
            "selection": self.selection,
            "folds": None if fo is None else fo.folds,
            "repeats": None if fo is None else fo.repeats,
            "seed": self.seed,
            "stratified": None if fo is None else fo.stratified,
            "tie_break": TIE_BREAK[self.metric],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Settings:
    """What every selection of one call shares (validated)."""

    domain: Domain
    metric: Metric
    init: Init
    n_iter: int
    bagging: int
    bag_fraction: float
    seed: int


def greedy_selection(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
    n_iter: int = 50,
    metric: Metric = "accuracy",
    bagging: int = 0,
    bag_fraction: float = 0.5,
    seed: int = 0,
    init: Init = "best",
    component_names: Sequence[str] | None = None,
    folds: int | None = 5,
    repeats: int = 10,
    val: tuple[Any, ...] | None = None,
    groups: npt.ArrayLike | None = None,
) -> GreedyResult:
    """Greedy forward selection with replacement (optionally bagged), with honest estimates.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities of the K components.
    y : array-like of shape (n_videos,)
        Known labels.
    mask : array-like of shape (n_videos, K), bool, optional
        Valid components; the ensemble of a video is the weighted mean over its
        valid components (as :mod:`fusionlab.rules` renormalises).
    domain : {"prob", "logit"}
        Mean of probabilities or mean of log-probabilities.
    n_iter : int, default 50
        Components picked per selection (with replacement).
    metric : {"accuracy", "nll"}, default "accuracy"
        Score of a candidate ensemble (see the module docstring for ties).
    bagging : int, default 0
        Number of bags of components (0 = no bagging).
    bag_fraction : float in (0, 1], default 0.5
        Share of the K components in each bag (at least 2, at most K).
    seed : int, default 0
        Seed of the bags and of the cross-fitting folds.
    init : {"best", "sorted"}, default "best"
        Start from the best single component, or from the best N sorted ones.
    component_names : sequence of str, optional
        Default ``c0, c1, ...``.
    folds, repeats : int
        Cross-fitting (``folds=None`` skips it).
    val : tuple (x_val, y_val) or (x_val, y_val, mask_val), optional
        Select on this separate subset instead of cross-fitting; the honest
        accuracy is that of the val-selected ensemble on ``x`` (std 0).
    groups : array-like of shape (n_videos,), int, optional
        Group of each video (:mod:`fusionlab.groups`): the cross-fitting folds
        never split a group.

    Returns
    -------
    GreedyResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(60) % 3
    >>> x = np.log(rng.dirichlet(np.ones(3), size=(60, 4)))
    >>> res = greedy_selection(x, y, domain="prob", n_iter=10, folds=3, repeats=2)
    >>> float(res.weights.sum()), len(res.trace), res.oracle_top1 >= res.trace[0].top1
    (1.0, 10, True)
    """
    st = _settings(domain, metric, init, n_iter, bagging, bag_fraction, seed)
    xa = check_x(x)
    n, kc, c = xa.shape
    ya = check_y(y, n, c)
    m_arr = check_mask(mask, n, kc)
    names = _names(component_names, kc)
    counts, weights, traces, bags = _select(xa, ya, m_arr, st, names, record=True)
    o1, o5, onll = _scores(xa, ya, weights, m_arr, st.domain)
    honest: dict[str, Any] = {
        "honest_top1": None,
        "honest_top1_std": None,
        "honest_top5": None,
        "honest_per_repeat": None,
        "held_out_correct": None,
        "selection": "none",
        "folds": None,
    }
    notes: list[str] = []
    if val is not None:
        honest = _val_selected(val, xa, ya, m_arr, st)
        notes.append(f"selected on a separate val subset ({honest.pop('n_val')} videos)")
    elif folds is not None:
        honest = _cross_fitted(xa, ya, m_arr, st, folds=folds, repeats=repeats, groups=groups)
        if not honest["folds"].stratified:
            notes.append("a class has fewer videos than folds: folds are not stratified")
    return GreedyResult(
        component_names=names,
        domain=st.domain,
        metric=st.metric,
        init=st.init,
        n_iter=st.n_iter,
        bagging=st.bagging,
        bag_fraction=st.bag_fraction,
        seed=st.seed,
        weights=weights,
        counts=counts,
        traces=traces,
        bags=bags,
        oracle_top1=o1,
        oracle_top5=o5,
        oracle_nll=onll,
        **honest,
        n_videos=n,
        n_classes=c,
        notes=tuple(notes),
    )


def _is_int(v: object) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def _settings(
    domain: str,
    metric: str,
    init: str,
    n_iter: int,
    bagging: int,
    bag_fraction: float,
    seed: int,
) -> _Settings:
    dom = check_domain(domain)
    if metric not in TIE_BREAK:
        raise UsageError(f"metric must be 'accuracy' or 'nll', got {metric!r}")
    if init not in ("best", "sorted"):
        raise UsageError(f"init must be 'best' or 'sorted', got {init!r}")
    if not _is_int(n_iter) or n_iter < 1:
        raise UsageError(f"n_iter (--iterations) must be an integer >= 1, got {n_iter!r}")
    if not _is_int(bagging) or bagging < 0:
        raise UsageError(f"bagging (--bags) must be an integer >= 0, got {bagging!r}")
    try:
        frac = float(bag_fraction)
    except (TypeError, ValueError):
        frac = float("nan")
    if not 0.0 < frac <= 1.0:
        raise UsageError(f"bag_fraction (--bag-fraction) must lie in (0, 1], got {bag_fraction!r}")
    if not _is_int(seed):
        raise UsageError(f"seed must be an integer, got {seed!r}")
    return _Settings(
        dom, cast(Metric, metric), cast(Init, init), int(n_iter), int(bagging), frac, int(seed)
    )


def _names(names: Sequence[str] | None, kc: int) -> tuple[str, ...]:
    out = tuple(names) if names is not None else tuple(f"c{i}" for i in range(kc))
    if len(out) != kc or len(set(out)) != kc:
        raise UsageError(f"component_names must be {kc} distinct names, got {list(out)}")
    return out


def bag_members(k: int, *, bagging: int, bag_fraction: float, seed: int) -> list[IntArray]:
    """The component indices of each bag (sorted), or all components without bagging.

    A bag holds ``round(bag_fraction * k)`` components (Python's ``round``, half to
    even), at least 2 and at most k,
    drawn without replacement by ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> [b.tolist() for b in bag_members(2, bagging=3, bag_fraction=0.1, seed=0)]
    [[0, 1], [0, 1], [0, 1]]
    """
    if bagging == 0:
        return [np.arange(k, dtype=np.int64)]
    size = min(k, max(2, round(bag_fraction * k)))
    rng = np.random.default_rng(seed)
    return [
        np.sort(rng.choice(k, size=size, replace=False)).astype(np.int64) for _ in range(bagging)
    ]


def _select(
    xa: Array, ya: IntArray, m_arr: Mask, st: _Settings, names: tuple[str, ...], *, record: bool
) -> tuple[IntArray, Array, tuple[tuple[GreedyStep, ...], ...], tuple[tuple[int, ...], ...]]:
    """Counts, weights, traces and bags of the (bagged) selection on these videos."""
    kc = xa.shape[1]
    members = bag_members(kc, bagging=st.bagging, bag_fraction=st.bag_fraction, seed=st.seed)
    counts = np.zeros(kc, dtype=np.int64)
    weights = np.zeros(kc)
    traces = []
    used: list[IntArray] = []
    for idx in members:
        xb, yb, mb = xa[:, idx], ya, None
        if m_arr is not None:
            # videos with none of this bag's components cannot tell them apart
            keep = np.flatnonzero(m_arr[:, idx].any(axis=1))
            if keep.size == 0:
                continue
            xb, yb, mb = xa[keep][:, idx], ya[keep], m_arr[keep][:, idx]
        sel = _Greedy(xb, yb, mb, st.domain, st.metric, record=record)
        picks, steps = sel.run(st.n_iter, st.init)
        used.append(idx)
        bag_counts = np.bincount(idx[picks], minlength=kc).astype(np.int64)
        counts += bag_counts
        weights += bag_counts / float(st.n_iter)
        traces.append(
            tuple(
                GreedyStep(index=int(idx[p]), name=names[int(idx[p])], top1=t, nll=ll)
                for p, (t, ll) in zip(picks, steps, strict=True)
            )
        )
    if not used:
        raise UsageError("greedy selection: no bag holds a valid component of any video")
    weights /= len(used)
    return counts, weights, tuple(traces), tuple(tuple(int(i) for i in b) for b in used)


class _Greedy:
    """The selection engine on one set of videos and components.

    Holds ``V`` (K, n, C): the domain values with invalid components set to 0,
    the running sum ``S`` (n, C) of the picked components and the number of
    valid picked components per video ``cnt`` (n,). Argmax decisions use the
    sums (a positive scale per video changes no decision); NLL uses the means.
    """

    def __init__(
        self, x: Array, y: IntArray, mask: Mask, domain: Domain, metric: Metric, *, record: bool
    ) -> None:
        n, kc, c = x.shape
        v = domain_values(x, domain)
        if mask is not None:
            v = np.where(mask[:, :, None], v, 0.0)
        self.V: Array = np.ascontiguousarray(v.transpose(1, 0, 2))
        self.M: BoolArray = (
            np.ones((kc, n), dtype=bool) if mask is None else np.ascontiguousarray(mask.T)
        )
        self.mf: Array = self.M.astype(np.float64)
        self.y = y
        self.domain: Domain = domain
        self.metric: Metric = metric
        self.record = record
        self.rows = np.arange(n)
        self.vy: Array = self.V[:, self.rows, y]  # (K, n)
        self.vmax: Array = self.V.max(axis=2)  # (K, n)
        self.vabs: Array = np.abs(self.V).max(axis=(0, 2))  # (n,)
        self.rsum: Array = self.V.sum(axis=2)  # (K, n)
        # the ensemble of a video none of whose valid components is picked yet:
        # equal weights over its valid components (video_weights' fallback)
        self.nvalid: Array = self.mf.sum(axis=0)
        self.fallback: Array = self.V.sum(axis=0)
        self.S: Array = np.zeros((n, c))
        self.s_tot: Array = np.zeros(n)  # S summed over classes
        self.s_y: Array = np.zeros(n)  # S at the true class
        self.cnt: Array = np.zeros(n)
        # the current top class, a lower bound of its lead over the second class,
        # and how far one added component can move that lead (see _refreeze)
        self.top: IntArray = np.zeros(n, dtype=np.int64)
        self.lead: Array = np.zeros(n)
        self.reach: Array = np.full(n, np.inf)
        self.frozen: BoolArray = np.zeros(n, dtype=bool)
        self.frozen_correct = 0

    def run(self, n_iter: int, init: Init) -> tuple[list[int], list[tuple[float, float]]]:
        """Pick ``n_iter`` components; the picks and (top1, nll) after each pick."""
        picks: list[int] = []
        steps: list[tuple[float, float]] = []
        if init == "sorted":
            for k in self._sorted_prefix(n_iter):
                self._add(k, picks, steps)
        while len(picks) < n_iter:
            self._add(self._best(), picks, steps)
        return picks, steps

    def _add(self, k: int, picks: list[int], steps: list[tuple[float, float]]) -> None:
        self.S += self.V[k]
        self.s_tot += self.rsum[k]
        self.s_y += self.vy[k]
        self.cnt += self.mf[k]
        picks.append(int(k))
        self._refreeze(k)
        if self.record:
            steps.append(self._score(self.S, self.cnt))
        else:
            steps.append((float("nan"), float("nan")))

    def _score(self, s: Array, cnt: Array) -> tuple[float, float]:
        """Top-1 and NLL of the ensemble with sums ``s`` and valid counts ``cnt``."""
        pred = np.argmax(s, axis=1)
        zero = cnt == 0
        if zero.any():
            pred[zero] = np.argmax(self.fallback[zero], axis=1)
        top1 = float(np.count_nonzero(pred == self.y)) / self.y.size
        f = None if self.domain == "prob" else s[None]
        nll = self._nll(f, cnt[None], s.sum(axis=1)[None], s[self.rows, self.y][None])
        return top1, float(nll[0])

    def _refreeze(self, k: int) -> None:
        """Mark the videos whose decision no single added component can change.

        Adding component ``j`` changes the lead of the top class ``a`` over a class
        ``b`` by ``v_j[a] - v_j[b] >= -(max_c v_j - v_j[a])``, so a video whose
        lead exceeds ``reach = max_j (max_c v_j - v_j[a])`` keeps ``a`` whatever is
        added. After adding ``k`` the lead of a frozen video drops by at most
        ``max_c v_k - v_k[a]`` (a lower bound kept in ``lead``); only the videos
        not frozen or whose bound no longer holds are re-ranked exactly.
        """
        rows = self.rows
        self.lead -= self.vmax[k] - self.V[k, rows, self.top]
        tol = 1e-9 * ((self.cnt + 1.0) * self.vabs + 1.0)
        check = np.flatnonzero(~self.frozen | (self.lead <= self.reach + tol))
        if check.size:
            s = self.S[check]
            top = np.argmax(s, axis=1)
            r = np.arange(check.size)
            s_top = s[r, top]
            if s.shape[1] > 1:
                s[r, top] = -np.inf
                lead = s_top - s.max(axis=1)
            else:
                lead = np.full(check.size, np.inf)
            self.top[check] = top
            self.lead[check] = lead
            self.reach[check] = (self.vmax[:, check] - self.V[:, check, top]).max(axis=0)
        self.frozen = (self.cnt > 0) & (self.lead > self.reach + tol)
        self.frozen_correct = int(np.count_nonzero(self.frozen & (self.top == self.y)))

    def _correct_counts(self) -> IntArray:
        """Correct videos of the ensemble with each candidate added, (K,)."""
        kc = self.V.shape[0]
        if self.frozen.all():
            return np.full(kc, self.frozen_correct, dtype=np.int64)
        act = np.flatnonzero(~self.frozen)
        f = self.V[:, act]  # a copy (K, A, C)
        f += self.S[act][None, :, :]
        pred = np.argmax(f, axis=2)
        zero = (self.cnt[act] == 0)[None, :] & ~self.M[:, act]
        if zero.any():
            fb = np.broadcast_to(np.argmax(self.fallback[act], axis=1), zero.shape)
            pred = np.where(zero, fb, pred)
        got = np.count_nonzero(pred == self.y[act][None, :], axis=1)
        return np.asarray(got + self.frozen_correct, dtype=np.int64)

    def _cand_nll(self, cand: IntArray) -> Array:
        """NLL of the ensemble with each candidate of ``cand`` added, (T,)."""
        cnt = self.cnt[None, :] + self.mf[cand]
        tot = self.s_tot[None, :] + self.rsum[cand]
        sy = self.s_y[None, :] + self.vy[cand]
        f = None if self.domain == "prob" else self.S[None, :, :] + self.V[cand]
        return self._nll(f, cnt, tot, sy)

    def _nll(self, f: Array | None, cnt: Array, tot: Array, sy: Array) -> Array:
        """NLL (T,) of T ensembles: sums ``f`` (T, n, C) (logit only), counts, totals, true sums.

        Videos with no valid picked component use the equal-weight fallback.
        """
        zero = cnt == 0
        if self.domain == "prob":
            fb_y = self.fallback[self.rows, self.y][None, :]
            fb_t = self.fallback.sum(axis=1)[None, :]
            num = np.where(zero, fb_y, sy)
            den = np.where(zero, fb_t, tot)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(-np.log(num / den).mean(axis=1), dtype=np.float64)
        f = cast(Array, f)  # logit: the sums themselves
        denom = np.where(zero, self.nvalid[None, :], cnt)
        z = np.where(zero[:, :, None], self.fallback[None, :, :], f) / denom[:, :, None]
        mx = z.max(axis=2, keepdims=True)
        lse = np.log(np.exp(z - mx).sum(axis=2)) + mx[:, :, 0]
        return np.asarray((lse - z[:, self.rows, self.y]).mean(axis=1), dtype=np.float64)

    def _best(self) -> int:
        """The candidate to add: best score, ties as the module docstring says."""
        kc = self.V.shape[0]
        if self.metric == "nll":
            return int(np.argmin(self._cand_nll(np.arange(kc))))
        counts = self._correct_counts()
        tied = np.flatnonzero(counts == counts.max())
        if tied.size == 1:
            return int(tied[0])
        return int(tied[int(np.argmin(self._cand_nll(tied)))])

    def _sorted_prefix(self, n_iter: int) -> list[int]:
        """Caruana's sorted initialisation: the best N components by their own score.

        Called on the empty ensemble, where adding a candidate is the candidate alone.
        """
        kc = self.V.shape[0]
        idx = np.arange(kc)
        own_nll = self._cand_nll(idx)
        if self.metric == "nll":
            order = np.lexsort((idx, own_nll))
        else:
            order = np.lexsort((idx, own_nll, -self._correct_counts()))
        best_n, best_key = 1, (np.inf, np.inf)
        s = np.zeros_like(self.S)
        cnt = np.zeros_like(self.cnt)
        for size in range(1, min(kc, n_iter) + 1):
            s = s + self.V[order[size - 1]]
            cnt = cnt + self.mf[order[size - 1]]
            top1, nll = self._score(s, cnt)
            key = (nll, 0.0) if self.metric == "nll" else (-top1, nll)
            if key < best_key:
                best_n, best_key = size, key
        return [int(k) for k in order[:best_n]]


def _scores(
    xa: Array, ya: IntArray, w: Array, m_arr: Mask, domain: Domain
) -> tuple[float, float, float]:
    """Top-1, top-5 and NLL of the weighted mean with weights ``w`` (reference fusion)."""
    fused = _fused(xa, w, m_arr, domain)
    rank = rank_of_true(fused, ya)
    c = xa.shape[2]
    if domain == "prob":
        logp = np.log(np.maximum(fused, 1e-300)) - np.log(fused.sum(axis=1, keepdims=True))
    else:
        mx = fused.max(axis=1, keepdims=True)
        logp = fused - (np.log(np.exp(fused - mx).sum(axis=1, keepdims=True)) + mx)
    nll = float(-logp[np.arange(ya.size), ya].mean())
    return float((rank == 0).mean()), float((rank < min(5, c)).mean()), nll


def _fused(xa: Array, w: Array, m_arr: Mask, domain: Domain) -> Array:
    """The reference weighted fusion (:func:`fuse_weighted`'s operations) of one weight vector."""
    n, kc, _ = xa.shape
    v = domain_values(xa, domain)
    return weighted_sum(v, video_weights(np.broadcast_to(w, (n, kc)), m_arr))


def _held_out(xa: Array, ya: IntArray, w: Array, m_arr: Mask, domain: Domain) -> BoolArray:
    """Top-1 and top-5 correctness (2, n) of the ensemble ``w`` on these videos."""
    rank = rank_of_true(_fused(xa, w, m_arr, domain), ya)
    out: BoolArray = np.stack([rank == 0, rank < min(5, xa.shape[2])])
    return out


def _cross_fitted(
    xa: Array,
    ya: IntArray,
    m_arr: Mask,
    st: _Settings,
    *,
    folds: int,
    repeats: int,
    groups: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """Select on k-1 folds, score the held-out fold (:func:`cross_fit`)."""
    names = tuple(f"c{i}" for i in range(xa.shape[1]))

    def select(train: IntArray, test: IntArray) -> BoolArray:
        mt = None if m_arr is None else m_arr[train]
        _, w, _, _ = _select(xa[train], ya[train], mt, st, names, record=False)
        return _held_out(xa[test], ya[test], w, None if m_arr is None else m_arr[test], st.domain)

    cf = cross_fit(select, ya, folds=folds, repeats=repeats, seed=st.seed, groups=groups)
    return {
        "honest_top1": float(cf.mean[0]),
        "honest_top1_std": float(cf.std[0]),
        "honest_top5": float(cf.mean[1]),
        "honest_per_repeat": cf.per_repeat[:, 0].copy(),
        "held_out_correct": cf.held_out[0].copy(),
        "selection": "cross-fit",
        "folds": cf.folds,
    }


def _val_selected(
    val: tuple[Any, ...], xa: Array, ya: IntArray, m_arr: Mask, st: _Settings
) -> dict[str, Any]:
    """Select on the val subset, score on ``xa``; also returns ``n_val``."""
    _, kc, c = xa.shape
    if len(val) not in (2, 3):
        raise UsageError("val must be (x_val, y_val) or (x_val, y_val, mask_val)")
    xv = check_x(val[0], "x_val")
    if xv.shape[1:] != xa.shape[1:]:
        raise UsageError(f"x_val must have shape (n, {kc}, {c}), got {xv.shape}")
    yv = check_y(val[1], xv.shape[0], c)
    mv = check_mask(val[2] if len(val) == 3 else None, xv.shape[0], kc)
    names = tuple(f"c{i}" for i in range(kc))
    _, w, _, _ = _select(xv, yv, mv, st, names, record=False)
    held = _held_out(xa, ya, w, m_arr, st.domain)
    top1 = float(held[0].mean())
    return {
        "honest_top1": top1,
        "honest_top1_std": 0.0,
        "honest_top5": float(held[1].mean()),
        "honest_per_repeat": np.array([top1]),
        "held_out_correct": held[0].copy(),
        "selection": "val",
        "folds": None,
        "n_val": int(xv.shape[0]),
    }
