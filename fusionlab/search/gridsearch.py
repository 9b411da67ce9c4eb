"""The grid search: every grid point evaluated exactly, the best one picked, honest estimates.

:func:`grid_search` enumerates the grid (:mod:`fusionlab.search.grids`), counts
every point's correct videos (:mod:`fusionlab.search.fast`, or
:mod:`fusionlab.parallel` with ``n_jobs``/``backend``), picks the oracle point and
estimates it honestly by cross-fitting or on a val subset
(:mod:`fusionlab.search.crossfit`); with two components it adds the exact curve
(:mod:`fusionlab.search.curve`). The result is a :class:`GridResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..validation import check_domain, check_mask, check_x, check_y
from .crossfit import Folds, select_best, stratified_folds, uniform_distance
from .curve import Curve, two_component_curve
from .fast import GridAccuracy, grid_accuracy
from .grids import grid_counts
from .reference import Array, BoolArray, Domain, IntArray, Mask, correct_at

__all__ = ["GridResult", "grid_search"]

Selection = Literal["cross-fit", "val", "none"]


@dataclass(frozen=True, eq=False)
class GridResult:
    """Exhaustive weight search over a simplex grid, with oracle and honest accuracies.

    Accuracies are fractions in [0, 1]. ``top5`` means top-``min(5, n_classes)``.

    Attributes
    ----------
    component_names : tuple of str
    domain : {"prob", "logit"}
    step : float
    counts : ndarray of shape (n_points, K), int64
        Integer compositions of ``m = 1/step`` (lexicographic order).
    weights : ndarray of shape (n_points, K)
        ``counts / m``.
    top1, top5 : ndarray of shape (n_points,)
        Accuracy of every point on all videos.
    best_index : int
        The oracle choice (best top-1; ties: closest to uniform, then first).
    oracle_top1, oracle_top5 : float
        Accuracy at ``best_index`` on the videos it was chosen on (optimistic).
    honest_top1, honest_top1_std, honest_top5 : float or None
        Cross-fitted (or val-tuned) accuracy, its spread over repeats, and the
        top-5 of the same held-out choices. None without honest selection.
    honest_per_repeat : ndarray of shape (n_repeats,) or None
    held_out_correct : ndarray of shape (n_videos,), bool, or None
        Held-out top-1 correctness of every video in the first repeat (for
        significance tests against other results on the same videos).
    selection : {"cross-fit", "val", "none"}
    folds : Folds or None
    curve : Curve or None
        The exact curve when K = 2 (alpha = weight of the second component).
    n_videos, n_classes : int
    notes : tuple of str
    evaluation, over : str
        Labels set by callers (the command line, :func:`summary_rows`).
    """

    component_names: tuple[str, ...]
    domain: Domain
    step: float
    counts: IntArray
    weights: Array
    top1: Array
    top5: Array
    best_index: int
    oracle_top1: float
    oracle_top5: float
    honest_top1: float | None
    honest_top1_std: float | None
    honest_top5: float | None
    honest_per_repeat: Array | None
    held_out_correct: BoolArray | None
    selection: Selection
    folds: Folds | None
    curve: Curve | None
    n_videos: int
    n_classes: int
    n_rechecked: int = 0
    notes: tuple[str, ...] = ()
    evaluation: str = ""
    over: str = ""

    @property
    def n_points(self) -> int:
        return int(self.weights.shape[0])

    @property
    def best_weights(self) -> dict[str, float]:
        """Component name -> weight of the oracle choice."""
        return {
            n: float(w)
            for n, w in zip(self.component_names, self.weights[self.best_index], strict=True)
        }

    @property
    def best_counts(self) -> list[int]:
        """The integer composition of the oracle choice (pass to ``rules.fuse("weighted")``)."""
        return [int(c) for c in self.counts[self.best_index]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no per-point arrays; the curve's breakpoints when K = 2)."""
        fo = self.folds
        return {
            "evaluation": self.evaluation,
            "over": self.over,
            "components": list(self.component_names),
            "domain": self.domain,
            "step": self.step,
            "n_points": self.n_points,
            "n_videos": self.n_videos,
            "n_classes": self.n_classes,
            "best_weights": self.best_weights,
            "oracle_top1": self.oracle_top1,
            "oracle_top5": self.oracle_top5,
            "honest_top1": self.honest_top1,
            "honest_top1_std": self.honest_top1_std,
            "honest_top5": self.honest_top5,
            "honest_per_repeat": None
            if self.honest_per_repeat is None
            else self.honest_per_repeat.tolist(),
            "selection": self.selection,
            "folds": None if fo is None else fo.folds,
            "repeats": None if fo is None else fo.repeats,
            "seed": None if fo is None else fo.seed,
            "stratified": None if fo is None else fo.stratified,
            "tie_break": "closest to uniform weights, then first in enumeration order",
            "curve": None if self.curve is None else self.curve.to_dict(),
            "notes": list(self.notes),
        }


def _as_index_map(
    spec: Mapping[int | str, Any] | Sequence[Any] | None, names: Sequence[str], what: str
) -> Any:
    if spec is None or not isinstance(spec, Mapping):
        return spec
    out: dict[int, Any] = {}
    for key, val in spec.items():
        if isinstance(key, str):
            if key not in names:
                raise UsageError(
                    f"{what}: unknown component {key!r} (components: {', '.join(names)})"
                )
            out[names.index(key)] = val
        else:
            out[key] = val
    return out


def grid_search(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
    component_names: Sequence[str] | None = None,
    step: float = 0.05,
    fixed: Mapping[int | str, float] | None = None,
    bounds: Mapping[int | str, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
    folds: int | None = 5,
    repeats: int = 10,
    seed: int = 0,
    val: tuple[Any, ...] | None = None,
    curve: bool = True,
    n_jobs: int = 1,
    backend: str | None = None,
    scheduler: str | None = None,
    groups: npt.ArrayLike | None = None,
) -> GridResult:
    """Evaluate every grid point, pick the best, and estimate its accuracy honestly.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities of the K components.
    y : array-like of shape (n_videos,)
        Known labels.
    mask : array-like of shape (n_videos, K), bool, optional
    domain : {"prob", "logit"}
    component_names : sequence of str, optional
        Default ``c0, c1, ...``.
    step, fixed, bounds
        See :func:`grid_counts`; ``fixed`` and ``bounds`` may name components.
    folds, repeats, seed : int
        Cross-fitting (:func:`stratified_folds`); ``folds=None`` skips it.
    val : tuple (x_val, y_val) or (x_val, y_val, mask_val), optional
        Tune on this separate subset instead of cross-fitting; the honest
        accuracy is then that of the val-tuned point on ``x`` (std 0).
    curve : bool, default True
        Compute the exact curve when K = 2 (without a mask).
    n_jobs, backend, scheduler
        Evaluate the grid points in parallel (:mod:`fusionlab.parallel`):
        ``n_jobs`` workers on ``backend`` ("loky", "threading", or "dask" at
        ``scheduler``). The results equal the single-process ones exactly.
    groups : array-like of shape (n_videos,), int, optional
        Group of each video (:mod:`fusionlab.groups`): the cross-fitting folds
        never split a group (:func:`stratified_folds`, stratified group folds).

    Returns
    -------
    GridResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(60) % 3
    >>> x = np.log(rng.dirichlet(np.ones(3), size=(60, 2)))
    >>> res = grid_search(x, y, domain="prob", step=0.1, folds=3, repeats=2)
    >>> res.n_points, sorted(res.best_weights)
    (11, ['c0', 'c1'])
    """
    dom = check_domain(domain)
    xa = check_x(x)
    n, kc, c = xa.shape
    ya = check_y(y, n, c)
    m_arr = check_mask(mask, n, kc)
    names = _component_names(component_names, kc)
    counts, m = grid_counts(
        kc,
        step=step,
        fixed=_as_index_map(fixed, names, "fixed"),
        bounds=_as_index_map(bounds, names, "bounds"),
    )
    weights: Array = counts / float(m)
    tie = uniform_distance(counts, m)
    ks = (1, min(5, c)) if c > 1 else (1,)
    notes: list[str] = []

    fo: Folds | None = None
    if val is None and folds is not None:
        fo = stratified_folds(ya, folds=folds, repeats=repeats, seed=seed, groups=groups)
        if groups is not None:
            n_groups = int(np.unique(np.asarray(groups)).size)
            notes.append(f"folds never split a group of videos ({n_groups} groups)")
        if not fo.stratified:
            notes.append("a class has fewer videos than folds: folds are not stratified")
    ga = _count_correct(
        xa, ya, weights, m_arr, dom, ks, fo, n_jobs=n_jobs, backend=backend, scheduler=scheduler
    )
    top1 = ga.correct[0] / n
    top5 = ga.correct[-1] / n
    best = select_best(ga.correct[0], tie)

    honest = _Honest()
    if fo is not None and ga.group_correct is not None:
        honest = _cross_fitted(ga, fo, tie, xa, ya, weights, m_arr, dom)
    elif val is not None:
        honest, n_val = _val_tuned(val, xa, ya, m_arr, weights, tie, (top1, top5), dom)
        notes.append(f"tuned on a separate val subset ({n_val} videos)")

    crv = _exact_curve(xa, ya, m_arr, dom, bool(fixed or bounds), notes) if curve else None
    return GridResult(
        component_names=names,
        domain=dom,
        step=float(step),
        counts=counts,
        weights=weights,
        top1=top1,
        top5=top5,
        best_index=best,
        oracle_top1=float(top1[best]),
        oracle_top5=float(top5[best]),
        **honest.fields(),
        folds=fo,
        curve=crv,
        n_videos=n,
        n_classes=c,
        n_rechecked=ga.n_rechecked,
        notes=tuple(notes),
    )


def _component_names(names: Sequence[str] | None, kc: int) -> tuple[str, ...]:
    out = tuple(names) if names is not None else tuple(f"c{i}" for i in range(kc))
    if len(out) != kc or len(set(out)) != kc:
        raise UsageError(f"component_names must be {kc} distinct names, got {list(out)}")
    return out


def _count_correct(
    xa: Array,
    ya: IntArray,
    weights: Array,
    m_arr: Mask,
    dom: Domain,
    ks: tuple[int, ...],
    fo: Folds | None,
    *,
    n_jobs: int,
    backend: str | None,
    scheduler: str | None,
) -> GridAccuracy:
    """Correct counts of every point (per fold with ``fo``): in this process, or in parallel."""
    groups = None if fo is None else fo.ids
    if n_jobs == 1 and backend is None:
        return grid_accuracy(xa, ya, weights, m_arr, domain=dom, k=ks, groups=groups)
    from ..parallel import grid_accuracy_parallel

    out: GridAccuracy = grid_accuracy_parallel(
        xa,
        ya,
        weights,
        m_arr,
        domain=dom,
        k=ks,
        groups=groups,
        n_jobs=n_jobs,
        backend=backend or "loky",
        scheduler=scheduler,
    )
    return out


@dataclass(frozen=True)
class _Honest:
    """The honest estimate of a grid search (all None without honest selection)."""

    top1: float | None = None
    top1_std: float | None = None
    top5: float | None = None
    per_repeat: Array | None = None
    held: BoolArray | None = None
    selection: Selection = "none"

    def fields(self) -> dict[str, Any]:
        """The honest fields of a :class:`GridResult`."""
        return {
            "honest_top1": self.top1,
            "honest_top1_std": self.top1_std,
            "honest_top5": self.top5,
            "honest_per_repeat": self.per_repeat,
            "held_out_correct": self.held,
            "selection": self.selection,
        }


def _cross_fitted(
    ga: GridAccuracy,
    fo: Folds,
    tie: IntArray,
    xa: Array,
    ya: IntArray,
    weights: Array,
    m_arr: Mask,
    dom: Domain,
) -> _Honest:
    """Tune on the other folds (from the per-fold counts), score the held-out fold."""
    assert ga.group_correct is not None
    n = xa.shape[0]
    gc = ga.group_correct  # (len(ks), P, R, F)
    per = np.zeros(fo.repeats)
    per5 = np.zeros(fo.repeats)
    held = np.zeros(n, dtype=bool)
    for r in range(fo.repeats):
        for f in range(fo.folds):
            train = ga.correct[0] - gc[0, :, r, f]
            sel = select_best(train, tie)
            per[r] += gc[0, sel, r, f]
            per5[r] += gc[-1, sel, r, f]
            if r == 0:
                test = np.flatnonzero(fo.ids[0] == f)
                held[test] = correct_at(
                    xa[test],
                    ya[test],
                    weights[sel],
                    None if m_arr is None else m_arr[test],
                    dom,
                )
    per /= n
    per5 /= n
    return _Honest(
        top1=float(per.mean()),
        top1_std=float(per.std(ddof=1)) if fo.repeats > 1 else 0.0,
        top5=float(per5.mean()),
        per_repeat=per,
        held=held,
        selection="cross-fit",
    )


def _val_tuned(
    val: tuple[Any, ...],
    xa: Array,
    ya: IntArray,
    m_arr: Mask,
    weights: Array,
    tie: IntArray,
    tops: tuple[Array, Array],
    dom: Domain,
) -> tuple[_Honest, int]:
    """Tune on the val subset, score on ``xa`` (``tops``: its top-1, top-5 of every point).

    Also returns the number of val videos.
    """
    top1, top5 = tops
    _, kc, c = xa.shape
    if len(val) not in (2, 3):
        raise UsageError("val must be (x_val, y_val) or (x_val, y_val, mask_val)")
    xv = check_x(val[0], "x_val")
    if xv.shape[1:] != xa.shape[1:]:
        raise UsageError(f"x_val must have shape (n, {kc}, {c}), got {xv.shape}")
    yv = check_y(val[1], xv.shape[0], c)
    mv = check_mask(val[2] if len(val) == 3 else None, xv.shape[0], kc)
    gv = grid_accuracy(xv, yv, weights, mv, domain=dom, k=(1,))
    sel = select_best(gv.correct[0], tie)
    honest = float(top1[sel])
    out = _Honest(
        top1=honest,
        top1_std=0.0,
        top5=float(top5[sel]),
        per_repeat=np.array([honest]),
        held=correct_at(xa, ya, weights[sel], m_arr, dom),
        selection="val",
    )
    return out, int(xv.shape[0])


def _exact_curve(
    xa: Array, ya: IntArray, m_arr: Mask, dom: Domain, restricted: bool, notes: list[str]
) -> Curve | None:
    """The exact curve of two components (None otherwise, with a note why not)."""
    if xa.shape[1] != 2:
        return None
    if restricted:
        notes.append("no exact curve: it spans all weights, but --fixed/--bound restrict them")
    elif m_arr is None:
        return two_component_curve(xa[:, 0], xa[:, 1], ya, domain=dom)
    else:
        notes.append("no exact curve: some components are missing for some videos")
    return None
