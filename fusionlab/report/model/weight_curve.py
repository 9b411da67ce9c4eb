"""The report's own grid over two or three stream weights (an oracle curve)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...fused import FusionSpec
from .blocks import Block, Column, EvaluationFacts, FigureBlock, Paragraph, Section, table
from .context import EvalContext


def _stream_title(name: str) -> str:
    return "RGB" if name.lower() == "rgb" else name


def _compositions(total: int, k: int) -> list[tuple[int, ...]]:
    """All k-tuples of non-negative integers summing to ``total``, lexicographic."""
    if k == 1:
        return [(total,)]
    out = []
    for first in range(total + 1):
        for rest in _compositions(total - first, k - 1):
            out.append((first, *rest))
    return out


def weight_curve_section(
    ctx: EvalContext, fact: EvaluationFacts, best_fusion: dict[str, Any] | None, steps: int
) -> Section | None:
    """The report's own weight grid over two or three streams.

    The optimum is chosen as :mod:`fusionlab.search` chooses it
    (:func:`~fusionlab.search.select_best`): most videos right, ties to the point
    closest to uniform weights (:func:`~fusionlab.search.uniform_distance`), then
    to the first in lexicographic order of the integer weights.
    """
    import pandas as pd

    from ...search import select_best, uniform_distance

    streams = list(ctx.ev.streams)
    if len(streams) not in (2, 3):
        return None
    keys = tuple((s, ctx.ev.epochs(s)[-1]) for s in streams)
    domains = list(ctx.opts.domains)
    total = steps if len(streams) == 2 else max(1, steps // 2)
    comps = _compositions(total, len(streams))
    tie_key = uniform_distance(np.array(comps, dtype=np.int64), total)
    recs = []
    best_of: dict[str, int] = {}
    rights: dict[str, list[int]] = {}
    for d in domains:
        n_right = rights[d] = []
        for comp in comps:
            # Integer weights: normalised exactly (rules.normalize_weights), so the 1:1
            # point equals the table's 1:1 row bit for bit.
            spec = FusionSpec("two-level", keys, "mean", "weighted", d, tuple(map(float, comp)))
            fused = spec.fused(ctx.ev, ctx.cache)[ctx.known]
            right = np.argmax(fused, axis=1) == ctx.y
            n_right.append(int(np.count_nonzero(right)))
            w = [c / total for c in comp]
            recs.append(
                {
                    "domain": d,
                    **{f"w_{s}": wi for s, wi in zip(streams, w, strict=True)},
                    "top1": float(np.mean(right)),
                }
            )
        best_of[d] = len(recs) - len(comps) + select_best(n_right, tie_key)
    df = pd.DataFrame(recs)
    df["best"] = [i in best_of.values() for i in range(len(df))]
    fact.weight_curve = df
    wcols = [f"w_{s}" for s in streams]
    cols = [Column("domain", "domain")]
    cols += [
        Column(c, f"{_stream_title(s)} weight", "float")
        for c, s in zip(wcols, streams, strict=True)
    ]
    cols += [Column("top1", "top-1 %", "pct"), Column("equal", "equal weights %", "pct")]
    rows = []
    for d in domains:
        br = df.iloc[best_of[d]]
        sub = df[df["domain"] == d]
        eq = sub[np.isclose(sub[wcols].to_numpy(), 1 / len(streams)).all(axis=1)]
        rows.append(
            {
                "domain": d,
                **{c: br[c] for c in wcols},
                "top1": br["top1"],
                "equal": float(eq["top1"].iloc[0]) if len(eq) else math.nan,
            }
        )
    step = 1 / total
    names = [_stream_title(s) for s in streams]
    if len(streams) == 2:
        what = (
            f"the {names[1]} weight α in [0, 1] at step {step:g} (the {names[0]} weight is "
            f"1 − α; {total + 1} points)"
        )
        order = (
            f"then to the first in fusionlab.search's enumeration order, which counts the "
            f"{names[0]} weight up from 0 (so the larger α)"
        )
    else:
        what = f"the simplex of weights at step {step:g} ({len(comps)} points)"
        order = (
            "then to the first in fusionlab.search's enumeration order (lexicographic in the "
            f"{':'.join(names)} weights)"
        )
    cap = (
        f"Weighted mean of the streams (after mean segment consensus) over {what}, computed "
        "by the report on the test videos themselves: the best weight is an oracle choice, "
        "optimistic by construction. As in the grid search (fusionlab.search), ties between "
        f"equally accurate weights go to the point closest to equal weights, {order}."
    )
    grid_step = getattr(ctx.opts, "grid_step", None)
    tuned_grid = any(r.get("level") == "grid" and r.get("over") == "streams" for r in ctx.tuned)
    if tuned_grid and grid_step is not None and not math.isclose(float(grid_step), step):
        cap += f" The tuned table's grid uses step {float(grid_step):g}"
        coarse = round(1 / float(grid_step))
        if math.isclose(coarse * float(grid_step), 1.0) and coarse < total and total % coarse == 0:
            # the tuned grid's points are among these: the same rule on them alone
            on = np.flatnonzero((np.array(comps) % (total // coarse) == 0).all(axis=1))
            picks = []
            for d in domains:
                j = on[select_best([rights[d][i] for i in on], tie_key[on])]
                picks.append(f"{':'.join(f'{c / total:g}' for c in comps[j])} ({d})")
            cap += (
                f"; on its points alone the same rule picks {':'.join(names)} {', '.join(picks)}."
            )
        else:
            cap += ", so its best weights can differ where the accuracy is flat."
    plot = "weight_curve" if len(streams) == 2 else "weight_heatmap"
    dom = None
    if best_fusion is not None and best_fusion["domain"] in domains:
        dom = best_fusion["domain"]
    fig_cap = (
        f"Top-1 accuracy against the {names[1]} weight α (the {names[0]} weight is 1 − α), "
        "oracle: tuned on the test videos; the star marks the best weight of each domain "
        "(ties as in the table)."
        if len(streams) == 2
        else "Top-1 accuracy over the stream weights (oracle: tuned on the test videos); the "
        "star marks the best point (ties as in the table)."
    )
    fig = FigureBlock(
        ctx.fig("weights"),
        "Stream weights" if len(streams) == 2 else "Stream weights (simplex)",
        fig_cap,
        plot,
        {
            "frame": df,
            "streams": streams,
            "domain": dom or domains[0],
            "title": f"Stream weights — {ctx.ev.name}",
        },
    )
    blocks: list[Block] = [Paragraph(cap), table(rows, cols, sortable=False), fig]
    return Section("Stream weights (computed by the report, oracle)", blocks)
