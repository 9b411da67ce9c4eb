"""Means over the splits of one dataset and subset (the "mean over 3 splits" of HMDB51/UCF101)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..fused import FusionSpec, row_labels
from ..scores import Evaluation

if TYPE_CHECKING:
    from .pipeline import Results

__all__ = ["SPLIT_MEAN_FIELDS", "split_groups", "split_means", "split_title"]


#: Accuracy fields averaged over splits (those a row has).
SPLIT_MEAN_FIELDS: tuple[str, ...] = (
    "top1",
    "top5",
    "mean_class_acc",
    "oracle_top1",
    "in_sample_top1",
    "honest_top1",
)


def _split_sort_key(split: str) -> tuple[int, int | str]:
    return (0, int(split)) if split.isdigit() else (1, split)


def split_groups(evaluations: Sequence[Evaluation]) -> list[list[Evaluation]]:
    """Evaluations of one dataset and subset over two or more splits, in split order.

    Only evaluations whose meta names a dataset and a split take part: means
    are never taken across datasets or subsets (``test`` and ``val`` apart),
    nor over files that do not say which dataset they are.
    """
    buckets: dict[tuple[str, str | None], list[Evaluation]] = {}
    for ev in evaluations:
        dataset, split, subset = ev.key
        if dataset is None or split is None:
            continue
        buckets.setdefault((dataset, subset), []).append(ev)
    out = []
    for members in buckets.values():
        members = sorted(members, key=lambda e: _split_sort_key(str(e.key[1])))
        if len(members) >= 2:
            out.append(members)
    return out


def _match_key(r: Mapping[str, Any], ev: Evaluation) -> tuple[Any, ...]:
    """What a row is, independent of the split: rule, streams, weights, domain.

    Untuned rows match by their exact fixed weights; tuned rows (weights
    chosen per split) by what was searched. Rows of each stream's latest epoch
    match whatever that epoch's number; learning-curve rows match by epoch.
    """
    spec: FusionSpec | None = r.get("spec")
    if spec is not None:
        latest = all(e == ev.epochs(s)[-1] for s, e in spec.streams)
        epochs = "latest" if latest else tuple(e for _, e in spec.streams)
        return (
            spec.level,
            tuple(s for s, _ in spec.streams),
            spec.consensus_label,
            spec.fusion,
            spec.domain,
            spec.weights,
            epochs,
        )
    return (
        r["level"],
        tuple(r["streams"]),
        r.get("over"),
        r.get("consensus"),
        r.get("fusion"),
        r["domain"],
        tuple(r.get("components") or ()),
        "latest",
    )


def split_means(results: Results) -> list[dict[str, Any]]:
    """Mean and standard deviation over splits of every row present in all splits.

    For each :func:`split_groups` group (one dataset and subset, two or more
    splits), rows are matched across splits by :func:`_match_key` (never by
    position); a row missing from any split of the group is left out. The
    standard deviation is the sample one (``ddof=1``), as papers report
    "mean ± std over the 3 splits".

    Returns
    -------
    list of dict
        One per (group, row), best first within a group (mean honest top-1
        for tuned rows, else mean top-1). Keys: ``dataset, subset, splits,
        n_splits, evaluations, level, streams, epoch, consensus, fusion,
        domain, weights, components, over, label`` and, for each of
        :data:`SPLIT_MEAN_FIELDS` the row has, ``{field}_mean``,
        ``{field}_std`` and ``{field}_per_split`` (fractions, split order).
    """
    out: list[dict[str, Any]] = []
    for members in split_groups(results.evaluations):
        keyed: list[dict[tuple[Any, ...], dict[str, Any]]] = []
        for ev in members:
            rows: dict[tuple[Any, ...], dict[str, Any]] = {}
            for r in results.rows(ev.name):
                rows.setdefault(_match_key(r, ev), r)
            keyed.append(rows)
        group_rows: list[dict[str, Any]] = []
        for key, first in keyed[0].items():
            if not all(key in k for k in keyed[1:]):
                continue
            per = [k[key] for k in keyed]
            epochs = {p.get("epoch") for p in per}
            _, consensus, _ = row_labels(first)
            streams = "+".join(first["streams"])
            rec: dict[str, Any] = {
                "dataset": members[0].key[0],
                "subset": members[0].key[2],
                "splits": [str(ev.key[1]) for ev in members],
                "n_splits": len(members),
                "evaluations": [ev.name for ev in members],
                "level": first["level"],
                "streams": list(first["streams"]),
                "epoch": epochs.pop() if len(epochs) == 1 else None,
                "consensus": first.get("consensus"),
                "fusion": first.get("fusion"),
                "domain": first["domain"],
                "weights": first["weights"] if first.get("spec") is not None else None,
                "components": first.get("components"),
                "over": first.get("over"),
                "label": " ".join(p for p in (streams, consensus, first.get("fusion") or "") if p),
                "spec": first.get("spec"),
            }
            for f in SPLIT_MEAN_FIELDS:
                vals = [p.get(f) for p in per]
                if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
                    continue
                arr = np.asarray(vals, dtype=np.float64)
                rec[f"{f}_mean"] = float(arr.mean())
                rec[f"{f}_std"] = float(arr.std(ddof=1))
                rec[f"{f}_per_split"] = [float(v) for v in arr]
            group_rows.append(rec)
        order = sorted(
            range(len(group_rows)),
            key=lambda i: (
                -group_rows[i].get("honest_top1_mean", group_rows[i]["top1_mean"]),
                -group_rows[i]["top5_mean"],
                i,
            ),
        )
        out.extend(group_rows[i] for i in order)
    return out


def split_title(m: Mapping[str, Any]) -> str:
    """``hmdb51/test: mean over splits 1, 2, 3`` for a :func:`split_means` row."""
    where = m["dataset"] if m["subset"] is None else f"{m['dataset']}/{m['subset']}"
    return f"{where}: mean over splits {', '.join(m['splits'])}"
