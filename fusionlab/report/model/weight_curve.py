"""The report's own grid over two or three stream weights (an oracle curve)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import kernels
from ...fused import FusionSpec
from .blocks import Block, Column, EvaluationFacts, FigureBlock, IntArray, Paragraph, Section, table
from .context import EvalContext

if TYPE_CHECKING:
    import pandas as pd


def _stream_title(name: str) -> str:
    return "RGB" if name.lower() == "rgb" else name


@dataclass(eq=False)
class _Grid:
    """The weight grid of one evaluation and its accuracies.

    ``comps`` (P, K) integer weights summing to ``total``, in fusionlab.search's
    (lexicographic) order; ``tie_key`` their distance to equal weights; ``rights``
    the videos right at each point, per domain; ``best_of`` the row of ``frame``
    of each domain's best point.
    """

    streams: list[str]
    domains: Sequence[str]
    total: int
    comps: IntArray
    tie_key: IntArray
    rights: dict[str, list[int]]
    best_of: dict[str, int]
    frame: pd.DataFrame


def _grid(ctx: EvalContext, steps: int) -> _Grid:
    """Top-1 accuracy of the weighted mean (after mean consensus) at every grid point.

    The optimum is chosen as :mod:`fusionlab.search` chooses it
    (:func:`~fusionlab.search.select_best`): most videos right, ties to the point
    closest to uniform weights (:func:`~fusionlab.search.uniform_distance`), then
    to the first in lexicographic order of the integer weights.
    """
    import pandas as pd

    from ...search import select_best, uniform_distance

    streams = list(ctx.ev.streams)
    keys = tuple((s, ctx.ev.epochs(s)[-1]) for s in streams)
    domains = list(ctx.opts.domains)
    total = steps if len(streams) == 2 else max(1, steps // 2)
    k = len(streams)
    comps = kernels.compositions(total, [0] * k, [total] * k)
    tie_key = uniform_distance(comps, total)
    recs = []
    best_of: dict[str, int] = {}
    rights: dict[str, list[int]] = {}
    for d in domains:
        n_right = rights[d] = []
        for comp in comps.tolist():
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
    return _Grid(streams, domains, total, comps, tie_key, rights, best_of, df)


def _best_table(g: _Grid) -> Block:
    """The best point of each domain, and the accuracy at equal weights."""
    df, streams = g.frame, g.streams
    wcols = [f"w_{s}" for s in streams]
    cols = [Column("domain", "domain")]
    cols += [
        Column(c, f"{_stream_title(s)} weight", "float")
        for c, s in zip(wcols, streams, strict=True)
    ]
    cols += [Column("top1", "top-1 %", "pct"), Column("equal", "equal weights %", "pct")]
    rows = []
    for d in g.domains:
        br = df.iloc[g.best_of[d]]
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
    return table(rows, cols, sortable=False)


def _caption(ctx: EvalContext, g: _Grid) -> str:
    """What the grid is, how ties are broken, and how it relates to the tuned table's grid."""
    from ...search import select_best

    step = 1 / g.total
    names = [_stream_title(s) for s in g.streams]
    if len(g.streams) == 2:
        what = (
            f"the {names[1]} weight α in [0, 1] at step {step:g} (the {names[0]} weight is "
            f"1 − α; {g.total + 1} points)"
        )
        order = (
            f"then to the first in fusionlab.search's enumeration order, which counts the "
            f"{names[0]} weight up from 0 (so the larger α)"
        )
    else:
        what = f"the simplex of weights at step {step:g} ({len(g.comps)} points)"
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
    if not (tuned_grid and grid_step is not None and not math.isclose(float(grid_step), step)):
        return cap
    cap += f" The tuned table's grid uses step {float(grid_step):g}"
    coarse, total = round(1 / float(grid_step)), g.total
    nested = math.isclose(coarse * float(grid_step), 1.0) and coarse < total
    if not (nested and total % coarse == 0):
        return cap + ", so its best weights can differ where the accuracy is flat."
    # the tuned grid's points are among these: the same rule on them alone
    on = np.flatnonzero((g.comps % (total // coarse) == 0).all(axis=1))
    picks = []
    for d in g.domains:
        j = on[select_best([g.rights[d][i] for i in on], g.tie_key[on])]
        picks.append(f"{':'.join(f'{c / total:g}' for c in g.comps[j].tolist())} ({d})")
    return cap + f"; on its points alone the same rule picks {':'.join(names)} {', '.join(picks)}."


def weight_curve_section(
    ctx: EvalContext, fact: EvaluationFacts, best_fusion: dict[str, Any] | None, steps: int
) -> Section | None:
    """The report's own weight grid over two or three streams (see :func:`_grid`)."""
    if len(ctx.ev.streams) not in (2, 3):
        return None
    g = _grid(ctx, steps)
    fact.weight_curve = g.frame
    streams, domains = g.streams, g.domains
    names = [_stream_title(s) for s in streams]
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
            "frame": g.frame,
            "streams": streams,
            "domain": dom or domains[0],
            "title": f"Stream weights — {ctx.ev.name}",
        },
    )
    blocks: list[Block] = [Paragraph(_caption(ctx, g)), _best_table(g), fig]
    return Section("Stream weights (computed by the report, oracle)", blocks)
