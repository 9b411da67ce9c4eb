"""Where a fusion wins and loses: videos fixed and broken, per class, against single streams.

:func:`wins_losses` compares a fusion with a single row (videos the fusion
fixes, breaks, and fixes although every component is wrong);
:func:`per_class` sets each stream's per-class accuracy beside the fusion's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import metrics, rules
from ..errors import UsageError
from ..fused import FusionSpec, LogProbCache, known_labels
from ..scores import Evaluation
from .components import segment_correct

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WinsLosses", "per_class", "spec_label", "wins_losses"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def spec_label(spec: FusionSpec) -> str:
    """``rgb+flow mean weighted rgb 1 : flow 1.5 (logit)``: a row's label in the tables."""
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
    segs = np.concatenate([segment_correct(ev, k, known, y, cache) for k in spec.streams])
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
        "fusion": spec_label(fusion),
        "single": spec_label(single),
        "fusion_top1": float(fok.mean()),
        "single_top1": float(sok.mean()),
        "n_videos": n,
        "fixed": int(fixed.sum()),
        "fixed_all_wrong": int(fixed_all.sum()),
        "broken": int(broken.sum()),
        "net": int(fixed.sum()) - int(broken.sum()),
    }
    return WinsLosses(spec_label(fusion), spec_label(single), per, videos, summary)


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
