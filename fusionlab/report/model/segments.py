"""Per-segment accuracy and segment and stream importance."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ...fused import FusionSpec
from .blocks import Block, Column, EvaluationFacts, FigureBlock, Section, table
from .context import EvalContext, fmt


def segments_section(ctx: EvalContext, fact: EvaluationFacts) -> Section | None:
    import pandas as pd

    seg_rows = [r for r in ctx.rows if r["level"] == "segment"]
    if not seg_rows:
        return None
    recs = []
    for r in seg_rows:
        spec: FusionSpec = r["spec"]
        recs.append(
            {
                "stream": spec.streams[0][0],
                "segment": (spec.segment or 0) + 1,
                "top1": r["top1"],
                "low": r["top1_ci_low"],
                "high": r["top1_ci_high"],
            }
        )
    df = pd.DataFrame(recs).sort_values(["segment"], kind="stable")
    order = {s: i for i, s in enumerate(ctx.ev.streams)}
    df = df.sort_values(["stream"], key=lambda c: c.map(order), kind="stable").reset_index(
        drop=True
    )
    fact.segments = df
    n_seg = int(df["segment"].max())
    cols = [Column("stream", "stream")]
    cols += [Column(f"s{j}", f"segment {j} %", "pct") for j in range(1, n_seg + 1)]
    cols.append(Column("all", "mean consensus %", "pct"))
    rows = []
    reference: dict[str, float] = {}
    for s in ctx.ev.streams:
        sub = df[df["stream"] == s]
        if sub.empty:
            continue
        means = [
            r["top1"]
            for r in ctx.rows
            if r["level"] == "single"
            and r["spec"].streams[0] in ctx.latest
            and r["streams"][0] == s
            and r["consensus"] == "mean"
        ]
        ref = max(means) if means else math.nan
        reference[s] = ref
        row: dict[str, Any] = {"stream": s, "all": ref}
        for _, rr in sub.iterrows():
            row[f"s{int(rr['segment'])}"] = rr["top1"]
        rows.append(row)
    cap = (
        "Top-1 accuracy of each segment alone, and of all segments under mean consensus "
        "(the better domain)."
    )
    fig = FigureBlock(
        ctx.fig("segments"),
        "Per-segment accuracy",
        "Top-1 accuracy of each segment alone with bootstrap intervals; dashed lines show mean "
        "consensus over all segments.",
        "segments",
        {
            "frame": df,
            "reference": reference,
            "streams": list(ctx.ev.streams),
            "title": f"Per-segment accuracy — {ctx.ev.name}",
        },
    )
    return Section("Per-segment accuracy", [table(rows, cols, cap), fig])


#: Keys of an importance row (:func:`fusionlab.importance.summary`) the report needs.
_IMPORTANCE_KEYS = frozenset(
    {
        "over",
        "stream",
        "domain",
        "component",
        "alone_top1",
        "drop_top1",
        "shapley",
        "learned_weight",
        "most_confident_rate",
        "full_top1",
        "empty_value",
    }
)


def _importance_rows(value: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The table rows of :func:`fusionlab.importance.summary` rows."""
    rows: list[dict[str, Any]] = []
    for r in value:
        group = f"segments of {r['stream']}" if r["over"] == "segments" else str(r["over"])
        lw = r["learned_weight"]
        rows.append(
            {
                "group": group,
                "component": str(r["component"]),
                "domain": r["domain"],
                "alone": r["alone_top1"],
                "full": r["full_top1"],
                "drop": r["drop_top1"],
                "shapley": r["shapley"],
                "learned": math.nan if lw is None else float(lw),
                "confident": r["most_confident_rate"],
            }
        )
    return rows


_IMPORTANCE_COLUMNS = [
    Column("group", "components"),
    Column("component", "component"),
    Column("domain", "domain"),
    Column("alone", "alone %", "pct"),
    Column("full", "all, mean fusion %", "pct"),
    Column("drop", "leave-one-out drop (points)", "signed_pct"),
    Column("shapley", "Shapley value (points)", "signed_pct"),
    Column("learned", "learned weight", "decimal"),
    Column("confident", "most confident %", "pct"),
]


def _importance_caption(chance: float, n_classes: int) -> str:
    return (
        "Importance of each segment within its stream and of each stream, for the top-1 "
        "accuracy of mean fusion (sum rule in the prob domain, product rule in logit). "
        "Alone: the component by itself. All: mean fusion of every component of the group. "
        "Leave-one-out drop: all minus mean fusion without this component, in points "
        "(negative: the others do better without it). Shapley value: the component's exact "
        "Shapley value in the game whose value is the accuracy of mean fusion over a subset "
        f"of the group, the empty subset being worth chance (1/C = 1/{n_classes} = "
        f"{fmt(chance, 'pct')} %), in points; a group's values add up to its all accuracy "
        "minus chance. Learned weight: the learned-linear weight of the component fitted on "
        "all videos (an oracle, weights summing to 1; blank when not fitted). Most "
        "confident: the share of videos on which the component has the highest top-class "
        "probability (ties to the first component)."
    )


def _importance_groups(
    value: Sequence[Mapping[str, Any]], rows: list[dict[str, Any]], dom: str
) -> list[dict[str, Any]]:
    """The panels of the importance figure: one per group of components, in domain ``dom``."""
    groups: list[dict[str, Any]] = []
    for r, row in zip(value, rows, strict=True):
        if r["domain"] != dom:
            continue
        if not groups or groups[-1]["title"] != row["group"]:
            groups.append(
                {
                    "title": row["group"],
                    "stream": r["stream"] if r["over"] == "segments" else None,
                    "components": [],
                    "alone": [],
                    "shapley": [],
                    "full": float(r["full_top1"]),
                    "chance": float(r["empty_value"]),
                }
            )
        g = groups[-1]
        label = row["component"]
        prefix = f"{g['stream']}/seg"  # the spelling of fusionlab.weights.component_name
        if g["stream"] is not None and label.startswith(prefix) and label[len(prefix) :].isdigit():
            label = label[len(prefix) :]  # the panel names the stream, its axis the segment
        g["components"].append(label)
        g["alone"].append(float(r["alone_top1"]))
        g["shapley"].append(float(r["shapley"]))
    return groups


def importance_section(
    ctx: EvalContext, value: Any, best_fusion: dict[str, Any] | None
) -> Section | None:
    """Per-segment and per-stream importance (``Results.extra["importance"]``, a list of
    :func:`fusionlab.importance.summary` rows): a formatted table and a bar plot.

    Returns None when ``value`` is missing or not in that form (it is then shown generically).
    """
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if not all(isinstance(r, Mapping) and _IMPORTANCE_KEYS <= set(r) for r in value):
        return None
    rows = _importance_rows(value)
    chance = float(value[0]["empty_value"])
    n_classes = round(1 / chance) if chance > 0 else ctx.n_classes
    cap = _importance_caption(chance, n_classes)
    blocks: list[Block] = [table(rows, _IMPORTANCE_COLUMNS, cap)]
    domains = list(dict.fromkeys(str(r["domain"]) for r in value))
    dom = domains[0]
    if best_fusion is not None and best_fusion["domain"] in domains:
        dom = str(best_fusion["domain"])
    groups = _importance_groups(value, rows, dom)
    if groups:
        blocks.append(
            FigureBlock(
                ctx.fig("importance"),
                "Importance",
                f"Shapley value (solid) and accuracy alone (light) of each segment of each "
                f"stream and of each stream, for mean fusion in the {dom} domain; dashed: "
                "mean fusion of the whole group, dotted: chance (the value of the empty "
                "subset). The Shapley values of a group add up to the distance between the "
                "two lines.",
                "importance",
                {
                    "groups": groups,
                    "streams": list(ctx.ev.streams),
                    "domain": dom,
                    "title": f"Importance ({dom}) — {ctx.ev.name}",
                },
            )
        )
    return Section("Segment and stream importance", blocks)
