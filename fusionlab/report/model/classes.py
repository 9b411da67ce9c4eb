"""Per-class gains and losses, the confusion matrix, calibration and the learning curve."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, cast

import numpy as np

from ... import metrics
from ...fused import FusionSpec, row_label
from ...rules import Domain
from .blocks import Block, Column, EvaluationFacts, FigureBlock, Paragraph, Section, table
from .context import FUSION_LEVELS, EvalContext, best_per_stream


def per_class_section(
    ctx: EvalContext,
    fact: EvaluationFacts,
    single: dict[str, Any],
    fusion: dict[str, Any],
    n_top: int,
) -> Section:
    import pandas as pd

    c = ctx.n_classes
    ps, pf = ctx.predict(single["spec"]), ctx.predict(fusion["spec"])
    acc_s = metrics.per_class_accuracy(ctx.y, ps, n_classes=c)
    acc_f = metrics.per_class_accuracy(ctx.y, pf, n_classes=c)
    counts = np.bincount(ctx.y, minlength=c)
    df = pd.DataFrame(
        {
            "class": ctx.class_names,
            "index": np.arange(c),
            "videos": counts,
            "single": acc_s,
            "fusion": acc_f,
            "gain": acc_f - acc_s,
        }
    )
    fact.per_class = df
    present = df[df["videos"] > 0].assign(_g=lambda d: d["gain"].round(12))
    gains = present[present["_g"] > 0].sort_values(
        ["_g", "index"], ascending=[False, True], kind="stable"
    )
    losses = present[present["_g"] < 0].sort_values(
        ["_g", "index"], ascending=[True, True], kind="stable"
    )
    n_up, n_down = len(gains), len(losses)
    n_same = len(present) - n_up - n_down
    cols = [
        Column("class", "class"),
        Column("videos", "videos", "int"),
        Column("single", "best single %", "pct"),
        Column("fusion", "best fusion %", "pct"),
        Column("gain", "gain", "signed_pct"),
    ]
    text = (
        f"Per-class top-1 accuracy of the best fusion ({row_label(fusion)}) against the best "
        f"single stream ({row_label(single)}): {n_up} classes gain, {n_down} lose, "
        f"{n_same} are unchanged."
    )
    blocks: list[Block] = [Paragraph(text)]
    if n_up:
        blocks.append(
            table(gains.head(n_top).to_dict("records"), cols, "Classes that gain the most.")
        )
    if n_down:
        blocks.append(
            table(losses.head(n_top).to_dict("records"), cols, "Classes that lose the most.")
        )
    else:
        blocks.append(Paragraph("No class loses accuracy."))
    blocks.append(
        FigureBlock(
            ctx.fig("per-class"),
            "Per-class accuracy",
            "Each point is a class: accuracy of the best single stream (x) and of the best fusion "
            "(y); points above the diagonal gain. The classes that gain and lose most are named.",
            "per_class",
            {
                "frame": df,
                "single": row_label(single),
                "fusion": row_label(fusion),
                "n_label": min(n_top, 3),
                "title": f"Per-class accuracy — {ctx.ev.name}",
            },
        )
    )
    return Section("Classes that gain and lose", blocks)


def confusion_section(
    ctx: EvalContext, fact: EvaluationFacts, ref: dict[str, Any], *, is_fusion: bool
) -> Section:
    cm = metrics.confusion_matrix(ctx.y, ctx.predict(ref["spec"]), n_classes=ctx.n_classes)
    fact.confusion = cm
    which = "best fusion" if is_fusion else "best single stream"
    off = cm.copy()
    np.fill_diagonal(off, 0)
    blocks: list[Block] = []
    if off.any():
        flat = off.ravel()
        order = np.lexsort((np.arange(flat.size), -flat))[:5]
        rows = [
            {
                "true": ctx.class_names[int(i) // ctx.n_classes],
                "pred": ctx.class_names[int(i) % ctx.n_classes],
                "count": int(flat[i]),
                "share": flat[i] / max(1, cm[int(i) // ctx.n_classes].sum()),
            }
            for i in order
            if flat[i] > 0
        ]
        cols = [
            Column("true", "true class"),
            Column("pred", "predicted as"),
            Column("count", "videos", "int"),
            Column("share", "% of the class", "pct"),
        ]
        blocks.append(table(rows, cols, f"Most frequent confusions of the {which}."))
    blocks.append(
        FigureBlock(
            ctx.fig("confusion"),
            "Confusion matrix",
            f"Confusion matrix of the {which} ({row_label(ref)}), rows normalised to the "
            "fraction of each true class.",
            "confusion",
            {
                "matrix": cm,
                "class_names": ctx.class_names,
                "title": f"Confusion matrix, {which} — {ctx.ev.name}",
            },
        )
    )
    return Section(f"Confusion matrix of the {which}", blocks)


def reliability_section(
    ctx: EvalContext,
    fact: EvaluationFacts,
    singles: list[dict[str, Any]],
    fusion: dict[str, Any] | None,
) -> Section:
    chosen = best_per_stream(ctx, singles)
    if fusion is not None:
        chosen.append(fusion)
    cols = [
        Column("label", "scores"),
        Column("nll", "NLL", "decimal"),
        Column("ece", "ECE %", "pct"),
        Column("top1", "top-1 %", "pct"),
        Column("conf", "mean confidence %", "pct"),
    ]
    rows = []
    series = []
    for r in chosen:
        logp = ctx.log_probs(r["spec"])
        bins = metrics.reliability_bins(ctx.y, logp, n_bins=15)
        label = row_label(r)
        fact.reliability[label] = bins
        conf = float(np.mean(np.exp(logp.max(axis=1))))
        rows.append(
            {"label": label, "nll": r["nll"], "ece": r["ece"], "top1": r["top1"], "conf": conf}
        )
        key = "fused" if r["level"] in FUSION_LEVELS else r["streams"][0]
        series.append({"label": label, "key": key, "bins": bins, "ece": r["ece"]})
    cap = (
        "Calibration of the best rule of each stream and of the best fusion: a confidence above "
        "the accuracy means over-confidence. ECE: top-label expected calibration error, "
        "15 equal-width bins."
    )
    fig = FigureBlock(
        ctx.fig("reliability"),
        "Reliability diagram",
        "Accuracy against top-label confidence in 15 bins, per stream and fused; the diagonal "
        "is perfect calibration. The lower panel counts the videos per bin.",
        "reliability",
        {"series": series, "title": f"Reliability — {ctx.ev.name}"},
    )
    return Section("Calibration", [table(rows, cols, cap), fig])


def learning_curve_section(
    ctx: EvalContext, fact: EvaluationFacts, best_fusion: dict[str, Any] | None
) -> Section | None:
    import pandas as pd

    ev = ctx.ev
    multi = [s for s in ev.streams if len([e for e in ev.epochs(s) if e is not None]) > 1]
    if not multi:
        return None
    domain = "prob"
    if best_fusion is not None and best_fusion["domain"] != "any":
        domain = best_fusion["domain"]
    epochs = sorted({e for s in ev.streams for e in ev.epochs(s) if e is not None})
    recs: list[dict[str, Any]] = []
    for e in epochs:
        rec: dict[str, Any] = {"epoch": e}
        for s in ev.streams:
            if (s, e) not in ev.sets:
                rec[s] = math.nan
                continue
            spec = FusionSpec("single", ((s, e),), "mean", None, cast(Domain, domain))
            rec[s] = float(np.mean(ctx.correct(spec)))
        if best_fusion is not None:
            bspec: FusionSpec = best_fusion["spec"]
            keys = tuple((s, e) for s, _ in bspec.streams)
            if all(k in ev.sets for k in keys):
                rec["fused"] = float(np.mean(ctx.correct(dataclasses.replace(bspec, streams=keys))))
            else:
                rec["fused"] = math.nan
        recs.append(rec)
    df = pd.DataFrame(recs)
    fact.learning_curve = df
    cols = [Column("epoch", "epoch", "int")]
    cols += [Column(s, f"{s} %", "pct") for s in ev.streams]
    fused_label = ""
    if best_fusion is not None:
        fused_label = row_label(best_fusion).split(" ", 1)[1]
        cols.append(Column("fused", "fused %", "pct"))
    text = (
        f"Top-1 accuracy at each evaluated epoch: each stream under mean consensus ({domain} "
        "domain)"
        + (
            f", and the best fusion rule ({fused_label}) applied to the same epoch of every stream"
            if best_fusion is not None
            else ""
        )
        + "."
    )
    fig = FigureBlock(
        ctx.fig("learning-curve"),
        "Learning curve",
        "Top-1 accuracy per evaluated epoch, per stream and fused.",
        "learning_curve",
        {"frame": df, "streams": list(ev.streams), "title": f"Learning curve — {ev.name}"},
    )
    return Section("Learning curve", [Paragraph(text), table(df.to_dict("records"), cols), fig])
