"""Tables of the result rows: best fusion vs best single, single streams, fusion rules,
fixed weights and tuned (grid-search and learned) rows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ... import metrics
from ...fused import row_label
from ...weights import format_weights
from .blocks import (
    Block,
    Column,
    Comparison,
    EvaluationFacts,
    FigureBlock,
    Paragraph,
    Section,
    table,
)
from .context import (
    EvalContext,
    adjusted_how,
    best_per_stream,
    fmt,
    metric_columns,
    metric_values,
    row_ci,
)


def comparison_section(
    ctx: EvalContext, fact: EvaluationFacts, single: dict[str, Any], fusion: dict[str, Any]
) -> Section:
    cf, cs = ctx.correct(fusion["spec"]), ctx.correct(single["spec"])
    opts = ctx.opts
    diff = metrics.paired_bootstrap_diff(
        cf,
        cs,
        n_resamples=opts.bootstrap or 1000,
        confidence=opts.confidence,
        seed=opts.seed,
        groups=ctx.results.extra.get("groups", {}).get(ctx.ev.name, {}).get("codes"),
    )
    test = metrics.mcnemar(cf, cs)
    comp = Comparison(
        row_label(fusion), row_label(single), fusion["top1"], single["top1"], diff, test
    )
    fact.comparison = comp
    conf = round(100 * opts.confidence)
    how = adjusted_how(ctx)
    gain_p = fusion.get("gain_p")
    gain_test = (
        ""
        if gain_p is None
        else f"; bootstrap p = {fmt(gain_p, 'pvalue')}, "
        f"{how}: p = {fmt(fusion.get('gain_p_adjusted'), 'pvalue')}"
    )
    adj = fusion.get("mcnemar_p_adjusted")
    mc_adj = "" if adj is None else f"; {how}: p = {fmt(adj, 'pvalue')}"
    items = [
        (
            "best fusion",
            f"{comp.fusion}: {fmt(comp.fusion_top1, 'pct')} % {fmt(row_ci(fusion), 'ci')}".rstrip(),
        ),
        (
            "best single stream",
            f"{comp.single}: {fmt(comp.single_top1, 'pct')} % {fmt(row_ci(single), 'ci')}".rstrip(),
        ),
        (
            "gain (fusion − single)",
            f"{fmt(diff.diff, 'signed_pct')} points, paired bootstrap "
            f"{conf}% CI [{fmt(diff.low, 'signed_pct')}, {fmt(diff.high, 'signed_pct')}]"
            f"{gain_test}",
        ),
        (
            "McNemar test",
            f"{test.b} videos right only with the fusion, {test.c} only with the "
            f"single stream; p = {fmt(test.pvalue, 'pvalue')} ({test.method}){mc_adj}",
        ),
    ]
    cols = [Column("item", "comparison"), Column("value", "value")]
    t = table([{"item": k, "value": v} for k, v in items], cols, sortable=False)
    text = (
        f"Both rows are evaluated on the same {ctx.y.size} videos. Each is the best of many "
        "rows compared on these videos, so the gain is an optimistic (oracle) estimate. "
        "Every fusion row is compared with the same best single stream; the p-values are "
        f"{how} (the rows compared in this evaluation)."
    )
    return Section("Best fusion vs best single stream", [Paragraph(text), t])


def singles_section(ctx: EvalContext, singles: list[dict[str, Any]]) -> Section:
    cols = [
        Column("stream", "stream"),
        Column("consensus", "consensus"),
        Column("domain", "domain"),
        *metric_columns(ctx.opts.confidence),
    ]
    ordered = [r for s in ctx.ev.streams for r in singles if r["streams"][0] == s]
    rows = [
        {
            "stream": r["spec"].streams_label,
            "consensus": r["consensus"],
            "domain": r["domain"],
            **metric_values(r),
        }
        for r in ordered
    ]
    cap = "Each stream alone, its segments combined by each consensus rule (best first per stream)."
    return Section("Single streams: segment consensus", [table(rows, cols, cap)])


def fusion_rules_section(
    ctx: EvalContext, fusions: list[dict[str, Any]], singles: list[dict[str, Any]]
) -> Section:
    best = singles[0]["top1"] if singles else math.nan
    plain = [r for r in fusions if r["spec"].fusion != "weighted"]
    cols = [
        Column("rank", "#", "int"),
        Column("level", "level"),
        Column("consensus", "consensus"),
        Column("fusion", "fusion"),
        Column("domain", "domain"),
        *metric_columns(ctx.opts.confidence),
        Column("gain", "vs best single", "signed_pct"),
        Column("p", "McNemar p adj.", "pvalue"),
    ]
    rows = [
        {
            "rank": i,
            "level": r["level"],
            "consensus": "" if r["level"] == "flat" else r["consensus"],
            "fusion": r["fusion"],
            "domain": r["domain"],
            **metric_values(r),
            "gain": r["top1"] - best,
            "p": r.get("mcnemar_p_adjusted"),
        }
        for i, r in enumerate(plain, start=1)
    ]
    conf = round(100 * ctx.opts.confidence)
    cap = (
        "Stream fusion: two-level (segment consensus inside each stream, then the rule across "
        "streams) and flat (one rule over every stream × segment component); "
        f"{conf}% percentile bootstrap and Wilson score intervals over videos; McNemar "
        f"p against the best single stream, {adjusted_how(ctx)}."
    )
    blocks: list[Block] = [table(rows, cols, cap)]
    data = [
        {
            "label": row_label(r),
            "group": _group(r),
            "top1": r["top1"],
            "low": r["top1_ci_low"],
            "high": r["top1_ci_high"],
        }
        for r in [*fusions, *best_per_stream(ctx, singles)]
    ]
    data.sort(key=lambda d: -d["top1"])
    blocks.append(
        FigureBlock(
            ctx.fig("rules"),
            "Fusion rules compared",
            f"Top-1 accuracy of every fusion row and of the best rule of each single stream, "
            f"with {conf}% bootstrap intervals; the dashed line is the best single stream.",
            "rule_comparison",
            {"rows": data, "reference": best, "title": f"Fusion rules — {ctx.ev.name}"},
        )
    )
    return Section("Stream fusion rules", blocks)


def _group(r: Mapping[str, Any]) -> str:
    if r["level"] == "single":
        return "single stream"
    if r["spec"].fusion == "weighted":
        return "fixed weights"
    return str(r["level"])


def fixed_weights_section(ctx: EvalContext, weighted: list[dict[str, Any]]) -> Section:
    cols = [
        Column("weights", "stream weights"),
        Column("domain", "domain"),
        *metric_columns(ctx.opts.confidence),
    ]
    order = {tuple(w): i for i, w in enumerate(ctx.opts.weights_for(ctx.ev))}
    dorder = {d: i for i, d in enumerate(ctx.opts.domains)}
    srt = sorted(
        weighted,
        key=lambda r: (order.get(tuple(r["spec"].weights or ()), 99), dorder.get(r["domain"], 9)),
    )
    rows = [
        {"weights": r["spec"].weights_label, "domain": r["domain"], **metric_values(r)} for r in srt
    ]
    cap = (
        "Fixed stream weights (weighted mean after mean segment consensus), in the order "
        "the options list them."
    )
    return Section("Fixed stream weights", [table(rows, cols, cap)])


def tuned_section(ctx: EvalContext) -> Section:
    """Grid-search and learned rows (:func:`fusionlab.search.summary_rows`): oracle and honest."""
    rows = []
    for r in ctx.tuned:
        w = r.get("weights")
        lo, hi = r.get("diff_ci_low"), r.get("diff_ci_high")
        rows.append(
            {
                "level": r["level"],
                "over": r.get("over") or "",
                "fusion": r.get("fusion") or "",
                "domain": r["domain"],
                "weights": ""
                if w is None
                else format_weights(r.get("components") or r["streams"], w, digits=3),
                "tuned": r["top1"],
                "value": "in-sample" if r["level"] == "learned" else "oracle",
                "honest": r.get("honest_top1"),
                "std": r.get("honest_top1_std"),
                "top5": r["top5"],
                "mean_class_acc": r["mean_class_acc"],
                "diff": r.get("diff_vs_best_single"),
                "ci": None if lo is None or hi is None else (lo, hi),
                "p": r.get("mcnemar_p"),
                "p_adj": r.get("mcnemar_p_adjusted"),
            }
        )
    cols = [
        Column("level", "level"),
        Column("over", "weights over"),
        Column("fusion", "fusion"),
        Column("domain", "domain"),
        Column("weights", "weights"),
        Column("tuned", "tuned top-1 %", "pct"),
        Column("value", "which"),
        Column("honest", "honest top-1 %", "pct"),
        Column("std", "± %", "pct"),
        Column("top5", "top-5 %", "pct"),
        Column("mean_class_acc", "mean-class %", "pct"),
        Column("diff", "held-out − best single", "signed_pct"),
        Column("ci", f"{round(100 * ctx.opts.confidence)}% CI", "ci"),
        Column("p", "McNemar p", "pvalue"),
        Column("p_adj", "adjusted", "pvalue"),
    ]
    first = ctx.tuned[0]
    folds, repeats = first.get("folds"), first.get("repeats")
    how = f"{folds}-fold cross-fitting repeated {repeats} times" if folds else "cross-fitting"
    text = (
        "Weights tuned on the labels: the grid search over stream weights (after mean "
        "segment consensus) and over every stream × segment component, and learned "
        "combiners. The tuned top-1 is measured on the videos the weights were tuned on: "
        "for the grid it is the oracle (weights chosen by their accuracy on these labels, "
        "optimistic); for learned combiners it is the in-sample value (fitted by "
        "likelihood, not accuracy: no upper bound, and the honest value can exceed it). "
        f"The honest top-1 comes from {how} (± its spread over repeats). The "
        "held-out predictions of the first repeat are compared with the best single stream of "
        "the search (mean consensus, same domain; paired bootstrap interval and McNemar test); "
        f"the McNemar p-values are {adjusted_how(ctx)}, with the fusion rules'."
    )
    return Section(
        "Tuned fusion: oracle / in-sample and honest", [Paragraph(text), table(rows, cols)]
    )
