"""The tuned rows of the evaluate table: grid, greedy and learned fusion, oracle and honest.

:func:`summary_rows` runs the grid search over streams and over every stream x
segment component, and the learned combiners (:mod:`fusionlab.learned`), and
returns one row dict each, with the keys of the evaluate table plus the honest
estimates and a comparison with the best single stream (:func:`significance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .. import metrics, rules
from ..errors import UsageError
from ..fused import row_metrics
from ..validation import check_domain
from .greedy import greedy_selection
from .gridsearch import grid_search
from .inputs import Components, components
from .reference import (
    Array,
    BoolArray,
    Domain,
    IntArray,
    domain_values,
    video_weights,
    weighted_sum,
)

if TYPE_CHECKING:
    from ..scores import Evaluation

__all__ = ["significance", "summary_rows"]


def significance(
    correct_a: BoolArray | None,
    correct_b: BoolArray,
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    groups: IntArray | None = None,
) -> dict[str, Any]:
    """Compare two results on the same videos: accuracy difference, paired interval, McNemar.

    Parameters
    ----------
    correct_a : ndarray of shape (n_videos,), bool, or None
        E.g. the held-out correctness of a tuned fusion (None gives None fields).
    correct_b : ndarray of shape (n_videos,), bool
        E.g. the best single stream.
    groups : ndarray of shape (n_videos,), int, optional
        Resample whole groups of videos for the interval (cluster bootstrap);
        McNemar's test still counts videos as independent.

    Returns
    -------
    dict
        ``diff_vs_best_single`` (accuracy of a minus b), ``diff_ci_low``,
        ``diff_ci_high`` (:func:`fusionlab.metrics.paired_bootstrap_diff`) and
        ``mcnemar_p`` (:func:`fusionlab.metrics.mcnemar`, exact below 25
        discordant videos).
    """
    held, single = correct_a, correct_b
    if held is None:
        return {
            "diff_vs_best_single": None,
            "diff_ci_low": None,
            "diff_ci_high": None,
            "mcnemar_p": None,
        }
    d = metrics.paired_bootstrap_diff(
        held,
        single,
        n_resamples=max(1, bootstrap),
        confidence=confidence,
        seed=seed,
        groups=groups,
    )
    mc = metrics.mcnemar(held, single)
    return {
        "diff_vs_best_single": d.diff,
        "diff_ci_low": d.low,
        "diff_ci_high": d.high,
        "mcnemar_p": mc.pvalue,
    }


def summary_rows(
    evaluation: Evaluation,
    *,
    domain: Domain,
    max_components: int = 6,
    folds: int = 5,
    repeats: int = 10,
    seed: int = 0,
    step: float = 0.05,
    learned: bool = True,
    stacking: bool = False,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    val: Evaluation | None = None,
    groups: npt.ArrayLike | None = None,
    greedy: int = 0,
) -> list[dict[str, Any]]:
    """Rows of tuned results for the main table of ``python -m fusionlab.evaluate``.

    With ``val`` (the ``val`` subset of the same dataset and split, with the same
    streams), weights are tuned and combiners fitted on ``val`` and scored on
    ``evaluation`` (``selection`` "val", std 0) instead of cross-fitted.

    With ``groups`` (array-like of shape (n_videos,), int: the group of each
    video of ``evaluation``, aligned with ``evaluation.video_ids``; see
    :mod:`fusionlab.groups`), the cross-fitting folds never split a group and
    the intervals resample whole groups (cluster bootstrap), on the same
    resamples as the untuned rows of the table with the same seed.

    For ``evaluation`` (an aligned :class:`~fusionlab.scores.Evaluation`):

    * ``grid`` over streams (mean segment consensus) and over every stream x
      segment component, when there are 2 .. ``max_components`` components;
    * with ``learned``: learned-linear weights (logit domain, cross-entropy) over
      the same components, and temperature-scaled probability fusion over streams
      (rows for these have ``domain`` "logit" and "prob" whatever ``domain`` is);
    * with ``stacking``: multinomial logistic regression over streams (slow);
    * with ``greedy`` > 0: greedy ensemble selection (:mod:`fusionlab.search.greedy`,
      ``greedy`` iterations, selected by accuracy) over every stream x segment
      component, or over the streams when each has one segment, whatever
      ``max_components``: a row of level ``grid`` (its weights are chosen by
      accuracy on these labels: ``oracle_top1``), fusion ``greedy-selection``,
      ``n_points`` None.

    Every row holds the keys of the evaluate table (``evaluation, level, streams,
    epoch, consensus, fusion, domain, weights, top1, top5, mean_class_acc, top1_ci,
    top1_ci_low, top1_ci_high, nll, ece, n_videos, spec``) where ``top1`` etc. are
    the oracle values (chosen on the same videos), plus ``components, over,
    oracle_top1, oracle_top5, honest_top1, honest_top1_std, honest_top5,
    selection, folds, repeats, n_points`` and a comparison of the held-out
    (first-repeat) predictions with the best single stream of mean consensus
    in this domain: ``best_single, diff_vs_best_single, diff_ci_low,
    diff_ci_high, mcnemar_p``, and those held-out predictions themselves,
    ``held_out_correct`` (bool, one per video with a label), with which the
    pipeline compares the row with its table's best single stream instead.
    Accuracies are fractions.
    """
    dom = check_domain(domain)
    known = evaluation.labels >= 0
    if not known.any() or len(evaluation.streams) < 1:
        return []
    found = _singles(evaluation, dom)
    if found is None:
        return []
    stream_comp, singles = found
    best_single = max(singles, key=lambda s: (int(singles[s].sum()), -list(singles).index(s)))
    codes = None if groups is None else np.asarray(groups, dtype=np.int64)[known]
    ctx = _Context(
        evaluation=evaluation,
        val=val,
        domain=dom,
        folds=folds,
        repeats=repeats,
        seed=seed,
        kw={"bootstrap": bootstrap, "confidence": confidence, "seed": seed, "groups": codes},
        best_single=best_single,
        single_correct=singles[best_single],
    )
    small_streams = stream_comp is not None and stream_comp.x.shape[1] <= max_components
    comps: list[Components] = []
    if stream_comp is not None and small_streams:
        comps.append(stream_comp)
    flat = (
        components(evaluation, over="components", domain=dom)
        if sum(evaluation.latest(s).n_segments for s in evaluation.streams) >= 2
        else None
    )
    if (
        flat is not None
        and flat.x.shape[1] <= max_components
        and (stream_comp is None or flat.x.shape[1] > stream_comp.x.shape[1])
    ):
        comps.append(flat)
    rows = [_grid_row(ctx, comp, step) for comp in comps]
    methods: list[tuple[Components, _Method]] = []
    if learned:
        methods += [(comp, "linear") for comp in comps]
        if stream_comp is not None and small_streams:
            methods.append((stream_comp, "temperature"))
    if stacking and stream_comp is not None and small_streams:
        methods.append((stream_comp, "stacking"))
    rows += [_learned_row(ctx, comp, method) for comp, method in methods]
    gcomp = flat if flat is not None else stream_comp
    if greedy > 0 and gcomp is not None:
        rows.append(_greedy_row(ctx, gcomp, greedy))
    return rows


_Method = Literal["linear", "stacking", "temperature"]


@dataclass(frozen=True)
class _Context:
    """What every tuned row of one evaluation shares."""

    evaluation: Evaluation
    val: Evaluation | None
    domain: Domain
    folds: int
    repeats: int
    seed: int
    kw: dict[str, Any]  # bootstrap, confidence, seed, groups of the metrics
    best_single: str
    single_correct: BoolArray


def _singles(
    evaluation: Evaluation, dom: Domain
) -> tuple[Components | None, dict[str, BoolArray]] | None:
    """Stream-level components (two streams or more) and each single stream's correctness.

    The best single stream (mean consensus, this domain) is compared with every tuned
    row; None when there is nothing to compare (one stream with one segment).
    """
    singles: dict[str, BoolArray] = {}
    if len(evaluation.streams) >= 2:
        stream_comp = components(evaluation, over="streams", domain=dom)
        for j, s in enumerate(stream_comp.names):
            singles[s] = np.argmax(stream_comp.x[:, j], axis=1) == stream_comp.y
        return stream_comp, singles
    if evaluation.latest(evaluation.streams[0]).n_segments <= 1:
        return None
    comp1 = components(evaluation, over="segments", domain=dom)
    fused1 = rules.fuse("mean", comp1.x, comp1.mask, domain=dom)
    singles[evaluation.streams[0]] = np.argmax(fused1, axis=1) == comp1.y
    return None, singles


def _base(ctx: _Context, comp: Components, level: str, fusion: str, domain: str) -> dict[str, Any]:
    return {
        "evaluation": ctx.evaluation.name,
        "level": level,
        "streams": list(comp.streams),
        "epoch": None,
        "consensus": comp.consensus if comp.over == "streams" else "flat",
        "fusion": fusion,
        "domain": domain,
        "components": list(comp.names),
        "over": comp.over,
        "n_videos": int(comp.y.size),
        "best_single": ctx.best_single,
        "spec": None,
    }


def _val_of(ctx: _Context, comp: Components) -> tuple[Any, ...] | None:
    """The same components of the val subset, when there is one."""
    if ctx.val is None:
        return None
    vc = components(ctx.val, over=comp.over, domain=ctx.domain)
    if vc.names != comp.names:
        raise UsageError(
            f"val subset {ctx.val.name} has components {list(vc.names)}, but "
            f"{ctx.evaluation.name} has {list(comp.names)}"
        )
    return (vc.x, vc.y, vc.mask)


def _grid_row(ctx: _Context, comp: Components, step: float) -> dict[str, Any]:
    dom = ctx.domain
    vcomp = _val_of(ctx, comp)
    g = grid_search(
        comp.x,
        comp.y,
        comp.mask,
        domain=dom,
        component_names=comp.names,
        step=step,
        folds=None if vcomp is not None else ctx.folds,
        repeats=ctx.repeats,
        seed=ctx.seed,
        curve=False,
        val=vcomp,
        groups=ctx.kw["groups"],
    )
    fused = _fused_at(comp, g.weights[g.best_index], dom)
    met = row_metrics(fused, comp.y, dom, **ctx.kw)
    met.pop("correct")
    row = _base(ctx, comp, "grid", "grid-weighted", dom)
    row.update(met)
    row.update(
        {
            "weights": [float(w) for w in g.weights[g.best_index]],
            "oracle_top1": g.oracle_top1,
            "oracle_top5": g.oracle_top5,
            "honest_top1": g.honest_top1,
            "honest_top1_std": g.honest_top1_std,
            "honest_top5": g.honest_top5,
            "selection": g.selection,
            "folds": ctx.folds,
            "repeats": ctx.repeats,
            "n_points": g.n_points,
        }
    )
    row.update(significance(g.held_out_correct, ctx.single_correct, **ctx.kw))
    row["held_out_correct"] = g.held_out_correct
    return row


def _greedy_row(ctx: _Context, comp: Components, n_iter: int) -> dict[str, Any]:
    dom = ctx.domain
    vcomp = _val_of(ctx, comp)
    g = greedy_selection(
        comp.x,
        comp.y,
        comp.mask,
        domain=dom,
        n_iter=n_iter,
        component_names=comp.names,
        folds=None if vcomp is not None else ctx.folds,
        repeats=ctx.repeats,
        seed=ctx.seed,
        val=vcomp,
        groups=ctx.kw.get("groups"),
    )
    met = row_metrics(_fused_at(comp, g.weights, dom), comp.y, dom, **ctx.kw)
    met.pop("correct")
    row = _base(ctx, comp, "grid", "greedy-selection", dom)
    row.update(met)
    row.update(
        {
            "weights": [float(w) for w in g.weights],
            "oracle_top1": g.oracle_top1,
            "oracle_top5": g.oracle_top5,
            "honest_top1": g.honest_top1,
            "honest_top1_std": g.honest_top1_std,
            "honest_top5": g.honest_top5,
            "selection": g.selection,
            "folds": ctx.folds,
            "repeats": ctx.repeats,
            "n_points": None,
        }
    )
    row.update(significance(g.held_out_correct, ctx.single_correct, **ctx.kw))
    row["held_out_correct"] = g.held_out_correct
    return row


def _learned_row(ctx: _Context, comp: Components, method: _Method) -> dict[str, Any]:
    from .. import learned as lrn  # learned uses this package's cross-fitting

    res = lrn.learned_fusion(
        comp.x,
        comp.y,
        comp.mask,
        method=method,
        component_names=comp.names,
        folds=ctx.folds,
        repeats=ctx.repeats,
        seed=ctx.seed,
        val=_val_of(ctx, comp),
        groups=ctx.kw["groups"],
    )
    met = row_metrics(res.in_sample_scores, comp.y, res.domain, **ctx.kw)
    met.pop("correct")
    row = _base(ctx, comp, "learned", res.fusion, res.domain)
    row.update(met)
    row.update(
        {
            "weights": None if res.weights is None else list(res.weights.values()),
            "temperatures": None if res.temperatures is None else dict(res.temperatures),
            "in_sample_top1": res.in_sample_top1,
            "in_sample_top5": res.in_sample_top5,
            "honest_top1": res.honest_top1,
            "honest_top1_std": res.honest_top1_std,
            "honest_top5": res.honest_top5,
            "selection": "cross-fit" if ctx.val is None else "val",
            "folds": ctx.folds,
            "repeats": ctx.repeats,
            "n_points": None,
        }
    )
    row.update(significance(res.held_out_correct, ctx.single_correct, **ctx.kw))
    row["held_out_correct"] = res.held_out_correct
    return row


def _fused_at(comp: Components, w: Array, domain: Domain) -> Array:
    n, kc, _ = comp.x.shape
    v = domain_values(comp.x, domain)
    return weighted_sum(v, video_weights(np.broadcast_to(w, (n, kc)), comp.mask))
