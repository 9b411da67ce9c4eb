"""``fusionlab grid`` output: a text summary per grid search, or one versioned JSON object.

``--format json`` prints ``{"schema": 1, "command": "grid", "results": [...]}``
with one :meth:`~fusionlab.search.GridResult.to_dict` object per evaluation (in
order of first appearance), whatever their number (with ``--method greedy``, one
:meth:`~fusionlab.search.GreedyResult.to_dict` object each, ``"method": "greedy"``);
the shipped schema is
``fusionlab/schemas/grid.schema.json`` (``fusionlab.jsonio.schema("grid")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..jsonio import SCHEMA_VERSION, dumps
from ..search import GreedyResult, GridResult

__all__ = ["format_greedy", "format_grid", "grid_document", "render_grid"]


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100.0 * v:.2f} %"


def format_grid(result: GridResult) -> str:
    """Plain-text summary of one grid search (the ``--format table`` output)."""
    r = result
    lines = [
        f"{r.evaluation or 'scores'}: grid over {r.over or 'components'} "
        f"({', '.join(r.component_names)}), domain {r.domain}, step {r.step:g}: "
        f"{r.n_points} points, {r.n_videos} videos",
        "  best weights   " + "  ".join(f"{k} {v:.2f}" for k, v in r.best_weights.items()),
        f"  oracle         top-1 {_pct(r.oracle_top1)}   "
        f"top-{min(5, r.n_classes)} {_pct(r.oracle_top5)}   (tuned on the same videos: optimistic)",
    ]
    if r.honest_top1 is not None:
        how = r.folds.note if r.folds is not None else "tuned on val, scored on test"
        std = "" if r.honest_top1_std is None else f" ± {100.0 * r.honest_top1_std:.2f}"
        lines.append(
            f"  honest         top-1 {_pct(r.honest_top1)}{std}   "
            f"top-{min(5, r.n_classes)} {_pct(r.honest_top5)}   ({how})"
        )
    if r.curve is not None:
        lo, hi, lc, hc = r.curve.optimum[0]
        iv = f"{'[' if lc else '('}{lo:.4f}, {hi:.4f}{']' if hc else ')'}"
        more = f" (+{len(r.curve.optimum) - 1} more)" if len(r.curve.optimum) > 1 else ""
        lines.append(
            f"  exact curve    best top-1 {_pct(r.curve.best_accuracy)} for weight of "
            f"{r.component_names[1]} in {iv}{more}; {len(r.curve.exact)} breakpoints"
        )
    lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines) + "\n"


def _honest_line(r: GridResult | GreedyResult) -> list[str]:
    if r.honest_top1 is None:
        return []
    how = r.folds.note if r.folds is not None else "tuned on val, scored on test"
    std = "" if r.honest_top1_std is None else f" ± {100.0 * r.honest_top1_std:.2f}"
    return [
        f"  honest         top-1 {_pct(r.honest_top1)}{std}   "
        f"top-{min(5, r.n_classes)} {_pct(r.honest_top5)}   ({how})"
    ]


def format_greedy(result: GreedyResult) -> str:
    """Plain-text summary of one greedy ensemble selection (``--method greedy``)."""
    r = result
    bags = f", {r.bagging} bags of {len(r.bags[0])}" if r.bagging else ""
    picked = [f"{k} {v:.3f}" for k, v in r.best_weights.items() if v > 0]
    trace = " ".join(s.name for s in r.trace[:12]) + (" ..." if len(r.trace) > 12 else "")
    lines = [
        f"{r.evaluation or 'scores'}: greedy ensemble selection over {r.over or 'components'} "
        f"({len(r.component_names)} components), domain {r.domain}, by {r.metric}, "
        f"{r.n_iter} iterations{bags}, init {r.init}: {r.n_videos} videos",
        "  weights        " + "  ".join(picked),
        f"  selection      {trace}" + ("" if not r.bagging else "   (first bag)"),
        f"  oracle         top-1 {_pct(r.oracle_top1)}   "
        f"top-{min(5, r.n_classes)} {_pct(r.oracle_top5)}   NLL {r.oracle_nll:.4f}   "
        "(selected on the same videos: optimistic)",
        *_honest_line(r),
    ]
    lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines) + "\n"


def grid_document(results: Sequence[GridResult | GreedyResult]) -> dict[str, Any]:
    """The JSON document of ``fusionlab grid``: schema version, command, one object per search."""
    return {
        "schema": SCHEMA_VERSION,
        "command": "grid",
        "results": [r.to_dict() for r in results],
    }


def render_grid(
    results: Sequence[GridResult | GreedyResult], fmt: Literal["table", "json"] = "table"
) -> str:
    """The whole output of ``fusionlab grid`` in ``fmt``."""
    if fmt == "json":
        return dumps(grid_document(results))
    return "\n".join(
        format_greedy(r) if isinstance(r, GreedyResult) else format_grid(r) for r in results
    )
