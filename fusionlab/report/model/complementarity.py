"""Why fusion helps: the complementarity sections (from ``evaluate.diversity.diversity_for``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .blocks import Block, Column, FigureBlock, Link, Paragraph, Section, table
from .context import EvalContext, fmt

if TYPE_CHECKING:
    import pandas as pd


#: The CSV of the videos the best fusion fixes and breaks, written beside the report.
VIDEOS_CSV = "fixed_broken_videos.csv"


#: Most subsets of the flat stream x segment set listed in the report.
MAX_FLAT_SUBSETS = 10


def _weights_text(w: Any) -> str:
    if w is None or (isinstance(w, float) and math.isnan(w)):
        return ""
    return ":".join(f"{float(v):g}" for v in w)


def diversity_section(ctx: EvalContext, tables: Mapping[str, Any], n_top: int) -> Section:
    """Complementarity of the components (:func:`fusionlab.evaluate.diversity.diversity_for`)."""
    sec = Section(
        "Why fusion helps: complementarity",
        [
            Paragraph(
                "How the errors of the streams, segments and epochs relate, over the videos "
                "with a known label. Yule's Q is near 1 when two components are right and "
                "wrong on the same videos and low or negative when their errors fall on "
                "different videos, which is what lets fusion pay off. The oracle accuracy "
                "counts a video as right when any component gets it right: it bounds max "
                "fusion, majority vote and every single component, but averaging rules can "
                "exceed it."
            )
        ],
    )
    children = [
        _pairwise_section(ctx, tables["pairwise"]),
        _oracle_section(tables["oracle"]),
        _subsets_section(ctx, tables["subsets"]),
        _wins_section(tables["summary"], tables["wins"], n_top),
        _complementarity_section(ctx, tables["per_class"], n_top),
    ]
    sec.children = [c for c in children if c is not None]
    sec.blocks.extend(Paragraph(f"Note: {n}") for n in tables.get("notes", ()))
    return sec


def _pairwise_section(ctx: EvalContext, df: pd.DataFrame) -> Section | None:
    if df.empty:
        return None
    cols = [
        Column("group", "components"),
        Column("domain", "domain"),
        Column("a", "a"),
        Column("b", "b"),
        Column("n11", "both right", "int"),
        Column("n10", "only a", "int"),
        Column("n01", "only b", "int"),
        Column("n00", "both wrong", "int"),
        Column("disagreement", "disagree %", "pct"),
        Column("double_fault", "double fault %", "pct"),
        Column("q", "Q", "decimal"),
        Column("correlation", "correlation", "decimal"),
        Column("oracle", "oracle %", "pct"),
    ]
    cap = (
        "Every pair of streams (mean segment consensus, per domain), of stream × segment "
        "components (each segment alone) and of epochs: videos both get right, only one gets "
        "right, both get wrong; Q and the correlation of the correctness lie in [-1, 1] "
        "(blank: undefined)."
    )
    blocks: list[Block] = [table(df.to_dict("records"), cols, cap)]
    group = "segments" if (df["group"] == "segments").any() else str(df["group"].iloc[0])
    blocks.append(
        FigureBlock(
            ctx.fig("q-heatmap"),
            "Pairwise Yule's Q",
            f"Yule's Q between every pair of "
            f"{'stream × segment' if group == 'segments' else group} components; low values "
            "mark components whose errors fall on different videos.",
            "q_heatmap",
            {"frame": df, "group": group, "title": f"Pairwise Yule's Q — {ctx.ev.name}"},
        )
    )
    return Section("Pairwise complementarity", blocks)


def _oracle_section(df: pd.DataFrame) -> Section | None:
    if df.empty:
        return None
    rows = [
        {**r, "headroom": r["oracle"] - r["best_single"], "components": r["components"]}
        for r in df.to_dict("records")
    ]
    cols = [
        Column("group", "components"),
        Column("set", "set"),
        Column("domain", "domain"),
        Column("components", "members"),
        Column("best_component", "best member"),
        Column("best_single", "best member %", "pct"),
        Column("oracle", "oracle %", "pct"),
        Column("headroom", "oracle − best", "signed_pct"),
    ]
    cap = (
        "Oracle accuracy of each set of components: a video counts as right when any member "
        "gets it right."
    )
    return Section("Oracle bound", [table(rows, cols, cap)])


#: What fusionlab.diversity.subset_accuracy searches, and how it breaks ties.
_SUBSET_TIES = (
    "The weights searched are the step-0.1 grid plus equal weights on the subset and on each of "
    "its subsets (which the grid misses where it cannot express 1/3), so the best is never "
    "below the mean. Ties between equally accurate weights go, as in the grid search, to the "
    "weights closest to equal, then to the first in enumeration order."
)


def _subsets_section(ctx: EvalContext, df: pd.DataFrame) -> Section | None:
    if df.empty:
        return None
    flat = df.reset_index()
    domains = list(dict.fromkeys(str(d) for d in flat["domain"]))
    sets = list(dict.fromkeys(str(s) for s in flat["set"]))
    blocks: list[Block] = []
    cols = [Column("set", "set"), Column("subset", "segments")]
    for d in domains:
        cols += [
            Column(f"mean_{d}", f"mean {d} %", "pct"),
            Column(f"best_{d}", f"best {d} %", "pct"),
            Column(f"w_{d}", f"best weights {d}"),
        ]
    rows: list[dict[str, Any]] = []
    flat_rows: list[dict[str, Any]] = []
    for s in sets:
        sub = flat[flat["set"] == s]
        for subset in dict.fromkeys(sub["subset"]):
            rec: dict[str, Any] = {"set": s, "subset": subset}
            for d in domains:
                hit = sub[(sub["subset"] == subset) & (sub["domain"] == d)]
                if len(hit):
                    rec[f"mean_{d}"] = float(hit["mean_acc"].iloc[0])
                    rec[f"best_{d}"] = float(hit["best_acc"].iloc[0])
                    rec[f"w_{d}"] = _weights_text(hit["best_weights"].iloc[0])
            (flat_rows if s == "flat" else rows).append(rec)
    d0 = domains[0]
    if rows:
        blocks.append(
            table(
                rows,
                cols,
                "Accuracy of each subset of a stream's segments (1+2: segments 1 and 2 "
                "only): mean fusion, and the best fixed weights on the subset (an oracle, "
                f"tuned on these videos). {_SUBSET_TIES}",
            )
        )
    if flat_rows:
        order = sorted(
            range(len(flat_rows)), key=lambda i: (-flat_rows[i].get(f"mean_{d0}", -1.0), i)
        )
        shown = [flat_rows[i] for i in order[:MAX_FLAT_SUBSETS]]
        blocks.append(
            table(
                shown,
                cols,
                f"The {len(shown)} best of the {len(flat_rows)} subsets of all stream × segment "
                f"components by mean accuracy ({d0} domain); best fixed weights"
                + (
                    " searched and ties broken as in the table above."
                    if rows
                    else f" (an oracle, tuned on these videos). {_SUBSET_TIES}"
                ),
            )
        )
    streams = [s for s in sets if s != "flat"]
    if streams:
        blocks.append(
            FigureBlock(
                ctx.fig("subsets"),
                "Segment subsets",
                "Top-1 accuracy of mean fusion over every subset of each stream's segments "
                f"({d0} domain), with the best fixed weights on the subset (oracle).",
                "subset_accuracy",
                {
                    "frame": df,
                    "sets": streams,
                    "domain": d0,
                    "title": f"Segment subsets ({d0}) — {ctx.ev.name}",
                },
            )
        )
    return Section("Segment subsets", blocks)


def _classes(n: int) -> str:
    return f"{n} class" if n == 1 else f"{n} classes"


def _wins_section(
    summary: Mapping[str, Any] | None, wins: pd.DataFrame, n_top: int
) -> Section | None:
    if summary is None:
        return None
    s = summary
    text = (
        f"The best fusion ({s['fusion']}, {fmt(s['fusion_top1'], 'pct')} %) against the best "
        f"single stream ({s['single']}, {fmt(s['single_top1'], 'pct')} %) on {s['n_videos']} "
        f"videos: it fixes {s['fixed']} videos the single stream gets wrong and breaks "
        f"{s['broken']} it gets right, a net change of {s['net']:+d} videos "
        f"({fmt(s['fusion_top1'] - s['single_top1'], 'signed_pct')} points). "
        f"{s['fixed_all_wrong']} videos come out right although every fused component is "
        "wrong (these need not be among the fixed ones: a stream's consensus can be right "
        "when each of its segments is wrong)."
    )
    blocks: list[Block] = [Paragraph(text)]
    changed = wins[(wins["fixed"] > 0) | (wins["broken"] > 0)] if not wins.empty else wins
    if not changed.empty:
        recs = changed.to_dict("records")
        recs.sort(key=lambda r: (-abs(int(r["net"])), -int(r["fixed"]), int(r["class"])))
        cols = [
            Column("class_name", "class"),
            Column("n_videos", "videos", "int"),
            Column("fixed", "fixed", "int"),
            Column("fixed_all_wrong", "right, every component wrong", "int"),
            Column("broken", "broken", "int"),
            Column("net", "net", "int"),
        ]
        blocks.append(
            table(
                recs[: 2 * n_top],
                cols,
                f"The {min(len(recs), 2 * n_top)} of {len(recs)} changed classes with the "
                "largest net change.",
            )
        )
    blocks.append(
        Link(
            "Every fixed and broken video, with its id, true class and both predictions, "
            "for all evaluations:",
            VIDEOS_CSV,
            VIDEOS_CSV,
        )
    )
    return Section("Where fusion wins and loses", blocks)


def _complementarity_section(ctx: EvalContext, df: pd.DataFrame, n_top: int) -> Section | None:
    if df.empty:
        return None
    streams = [c[len("acc_") :] for c in df.columns if c.startswith("acc_")]
    present = df[df["n_videos"] > 0]
    parts = []
    if len(streams) > 1:
        tie = present["margin"] == 0
        for s in streams:
            n_better = int(((present["better"] == s) & ~tie).sum())
            parts.append(f"{s} is better on {n_better}")
        parts.append(f"they tie on {int(tie.sum())}")
    gain = present["gain"].round(12)
    text = (
        ("Of the classes with videos, " + ", ".join(parts) + "; " if parts else "")
        + f"the best fusion beats the better stream on {_classes(int((gain > 0).sum()))}, "
        f"matches it on {_classes(int((gain == 0).sum()))} and loses on "
        f"{_classes(int((gain < 0).sum()))}."
    )
    text = text[0].upper() + text[1:]
    recs = present.to_dict("records")
    recs.sort(key=lambda r: (-(r["margin"] if r["margin"] == r["margin"] else -1.0), r["class"]))
    cols = [Column("class_name", "class"), Column("n_videos", "videos", "int")]
    cols += [Column(f"acc_{s}", f"{s} %", "pct") for s in streams]
    if len(streams) > 1:
        cols += [Column("better", "better"), Column("margin", "margin", "pct")]
    cols += [
        Column("fused_acc", "fusion %", "pct"),
        Column("gain", "fusion − better", "signed_pct"),
    ]
    shown = recs[: 2 * n_top]
    cap = (
        f"The {len(shown)} classes where the streams differ most (of {len(recs)}); gain of the "
        "best fusion over the better stream."
    )
    return Section("Per-class complementarity", [Paragraph(text), table(shown, cols, cap)])
