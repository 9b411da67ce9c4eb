"""The overview across evaluations (with split means), each evaluation's summary, the notes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...evaluate import Results, split_title
from ...evaluate.clusters import groups_note
from ...fused import FusionSpec, row_label
from .blocks import Block, Column, Paragraph, Section, table
from .context import FUSION_LEVELS, EvalContext, fmt


def overview_section(results: Results) -> Section:
    import pandas as pd

    rows = []
    for ev in results.evaluations:
        rs = results.rows(ev.name)
        latest = {(s, ev.epochs(s)[-1]) for s in ev.streams}
        singles = [r for r in rs if r["level"] == "single" and r["spec"].streams[0] in latest]
        fusions = [r for r in rs if r["level"] in FUSION_LEVELS]
        bs = singles[0] if singles else None
        bf = fusions[0] if fusions else None
        rows.append(
            {
                "evaluation": ev.name,
                "videos": int((ev.labels >= 0).sum()),
                "single": row_label(bs) if bs else "",
                "single_top1": bs["top1"] if bs else math.nan,
                "fusion": row_label(bf) if bf else "",
                "fusion_top1": bf["top1"] if bf else math.nan,
                "gain": bf["top1"] - bs["top1"] if bf and bs else math.nan,
            }
        )
    cols = [
        Column("evaluation", "evaluation"),
        Column("videos", "videos", "int"),
        Column("single", "best single stream"),
        Column("single_top1", "top-1 %", "pct"),
        Column("fusion", "best fusion"),
        Column("fusion_top1", "top-1 %", "pct"),
        Column("gain", "gain", "signed_pct"),
    ]
    blocks: list[Block] = [table(rows, cols, "Best rows of each evaluation.")]
    # Means over the splits of one dataset and subset (never across datasets or
    # subsets): rows matched by rule, streams and weights (evaluate.split_means).
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in results.extra.get("split_means", []):
        groups.setdefault(split_title(m), []).append(m)
    for title, means in groups.items():
        df = pd.DataFrame(
            [
                {
                    "label": _split_label(m),
                    "level": m["level"],
                    "mean": m.get("honest_top1_mean", m["top1_mean"]),
                    "std": m.get("honest_top1_std", m["top1_std"]),
                    **{
                        f"e{j}": a
                        for j, a in enumerate(m.get("honest_top1_per_split", m["top1_per_split"]))
                    },
                }
                for m in means
            ]
        )
        df["_order"] = np.arange(len(df))
        top = df[df["level"].isin((*FUSION_LEVELS, "grid", "learned"))].head(10)
        single = (
            df[df["level"] == "single"]
            .groupby(df["label"].str.split(" ").str[0], sort=False)
            .head(1)
        )
        shown = pd.concat([top, single]).drop_duplicates("_order").sort_values("_order")
        splits = means[0]["splits"]
        cols2 = [
            Column("label", "rule"),
            Column("mean", "mean top-1 %", "pct"),
            Column("std", "std %", "pct"),
        ]
        cols2 += [Column(f"e{j}", f"split {n} %", "pct") for j, n in enumerate(splits)]
        blocks.append(
            table(
                shown.to_dict("records"),
                cols2,
                f"{title}: rows present in all {len(splits)} splits, matched by rule, streams "
                "and weights; the ten best fusion rows and the best rule of each single stream. "
                "Mean and sample standard deviation over splits; tuned rows (tuned on each "
                "split separately) by their honest top-1.",
            )
        )
    return Section("Overview", blocks)


def _split_label(m: Mapping[str, Any]) -> str:
    """A readable label of a :func:`~fusionlab.evaluate.split_means` row (no epochs)."""
    spec: FusionSpec | None = m.get("spec")
    if spec is not None:
        return row_label({"spec": spec}).replace(spec.streams_label, "+".join(m["streams"]), 1)
    dom = f" ({m['domain']})"
    over = f" over {m['over']}" if m.get("over") else ""
    return f"{'+'.join(m['streams'])} {m['fusion']}{over}{dom}"


def summary_section(ctx: EvalContext) -> Section:
    ev = ctx.ev
    # File names only (sorted), so that reports do not depend on folders.
    names = sorted(Path(s.path).name for s in ev.sets.values() if s.path)
    items: list[tuple[str, str]] = [("files", ", ".join(names) or "(in memory)")]
    items.append(("streams", ", ".join(ev.streams)))
    for s in ev.streams:
        eps = [e for e in ev.epochs(s) if e is not None]
        if eps:
            items.append((f"epochs of {s}", ", ".join(map(str, eps))))
    known = int(ctx.y.size)
    vids = f"{known}" if known == ev.n_videos else f"{known} with a label, of {ev.n_videos}"
    items.append(("videos", vids))
    items.append(("classes", str(ev.n_classes)))
    segs = sorted({s.n_segments for s in ev.sets.values()})
    per = [f"{k}: {ev.latest(k).n_segments}" for k in ev.streams]
    items.append(("segments", str(segs[0]) if len(segs) == 1 else ", ".join(per)))
    kinds = sorted({s.kind for s in ev.sets.values()})
    items.append(("score kind", ", ".join(kinds)))
    dataset, split, subset = ev.key
    for label, v in (("dataset", dataset), ("split", split), ("subset", subset)):
        if v is not None:
            items.append((label, v))
    if ev.report.n_dropped:
        items.append(("dropped by --allow-partial", str(ev.report.n_dropped)))
    ginfo = ctx.results.extra.get("groups", {}).get(ev.name)
    if ginfo is not None:
        items.append(("grouped videos", groups_note(ginfo)))
    items += _best_of_many_items(ctx)
    cols = [Column("item", "item"), Column("value", "value")]
    t = table([{"item": k, "value": v} for k, v in items], cols, sortable=False)
    return Section("Summary", [t])


def _best_of_many_items(ctx: EvalContext) -> list[tuple[str, str]]:
    """The naive best untuned rule and the cross-fitted accuracy of choosing it."""
    b = ctx.results.extra.get("best_of_many", {}).get(ctx.ev.name)
    if not b:
        return []
    top = b["chosen"][0]
    return [
        (
            f"best of {b['n_rules']} untuned rules",
            f"{b['naive_label']}: {fmt(b['naive_top1'], 'pct')} % (chosen on these labels: "
            "optimistic)",
        ),
        (
            "choosing the best rule, honestly",
            f"{fmt(b['honest_top1'], 'pct')} ± {fmt(b['honest_top1_std'], 'pct')} % top-1 when "
            f"the rule is chosen on {b['folds'] - 1} of {b['folds']} folds and scored on the "
            f"held-out one ({b['repeats']} repeats); most often chosen: {top['label']} "
            f"({top['count']} of {b['n_choices']})",
        ),
    ]


def _adjust_words(method: str) -> str:
    return {
        "holm": "Holm-adjusted (family-wise error)",
        "bh": "Benjamini-Hochberg-adjusted (false discovery rate)",
        "none": "not adjusted",
    }[method]


def notes_section(results: Results) -> Section:
    o = results.options
    conf = round(100 * o.confidence)
    lines = [
        "Accuracies are top-1, top-5 and mean-class accuracy (mean per-class recall) over the "
        "videos with a known label. Ties in scores go to the lowest class index.",
        (
            f"Intervals are {conf}% percentile bootstrap intervals over videos "
            f"({o.bootstrap} resamples, seed {o.seed}); every row of an evaluation uses the same "
            "resamples, so intervals are paired."
            if o.bootstrap
            else "Bootstrap intervals were turned off (bootstrap = 0)."
        ),
        "Domain prob fuses probabilities (the mean is the sum rule); logit fuses "
        "log-probabilities (the mean is the product rule). Rules whose decisions do not depend "
        "on the domain (max, min, vote, single segments) are listed once, as any.",
        "Best rows are chosen by looking at the test labels, so their accuracy is optimistic; "
        "honest (cross-fitted) estimates come from the grid search and learned fusion when "
        "they are part of the results, and the summary gives the cross-fitted accuracy of "
        "choosing the best untuned rule (chosen on k-1 folds, scored on the held-out one).",
        "Every fusion row is compared with the best single stream on the same videos "
        "(McNemar's test, exact below 25 discordant videos; and a two-sided paired-bootstrap "
        "p-value of the gain, min(1, 2 min(P(d ≤ 0), P(d ≥ 0))) with each probability "
        "(1 + count) / (1 + resamples), so never below 2 / (resamples + 1)); the p-values "
        f"are {_adjust_words(o.adjust)} over the rows compared in each evaluation. Wilson "
        f"score intervals ({conf}%) stand beside the bootstrap intervals.",
    ]
    for name, info in results.extra.get("groups", {}).items():
        lines.append(f"{name}: {groups_note(info)}.")
    return Section("Notes", [Paragraph(t) for t in lines])
