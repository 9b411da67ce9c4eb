"""``fusionlab explorer`` (``python -m fusionlab.explorer``): the page's numbers."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import UsageError
from ..evaluate import EvaluateOptions, evaluate, load_evaluations
from ..explorer import build_data, page_numbers, write_page
from ..jsonio import SCHEMA_VERSION, dumps
from ..output import write_output
from ..report.format import format_cell
from ..scores import Evaluation
from ..weights import (
    WELL_KNOWN_STREAMS,
    WeightSpec,
    component_name,
    format_weights,
    parse_weights,
    resolve_weights,
)

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab explorer``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="score files (.npz); globs ok")
    parser.add_argument(
        "--weights",
        help="stream weights by name, like rgb=7,flow=13 (default equal); positional 7:13 "
        "follows the stream order rgb, flow, then the rest alphabetically",
    )
    parser.add_argument("--domain", choices=["prob", "logit"], default="prob")
    parser.add_argument("--consensus", default="mean", help="segment-consensus rule (mean)")
    parser.add_argument(
        "--segment-weights",
        help="one weight per stream x segment component, by name like rgb/seg1=1,rgb/seg2=2,... "
        "(flat fusion; weight = stream weight x this)",
    )
    parser.add_argument("--evaluation", help="only this evaluation (default: all)")
    parser.add_argument("--format", choices=["table", "json"], default="table", dest="fmt")
    parser.add_argument("--html", metavar="PATH", help="also write the explorer page to PATH")
    parser.add_argument("--allow-partial", action="store_true", help="keep only common videos")
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = stdout)")


def _pct(v: float) -> str:
    return f"{100 * v:.2f}"


def _weights_of(
    ev: Evaluation, wspec: WeightSpec | None, uspec: WeightSpec | None
) -> tuple[tuple[float, ...], tuple[float, ...] | None, list[str]]:
    """Stream weights, component weights (or None) and component names of ``ev``."""
    where = f"evaluation {ev.name}"
    w = (
        resolve_weights(wspec, ev.streams, where=where)
        if wspec is not None
        else (1.0,) * len(ev.streams)
    )
    comp_names = [component_name(s, j) for s in ev.streams for j in range(ev.latest(s).n_segments)]
    if uspec is None:
        return w, None, comp_names
    conventional = tuple(ev.streams) == WELL_KNOWN_STREAMS or len(ev.streams) == 1
    seg_w = resolve_weights(
        uspec, comp_names, where=where, what="component", conventional=conventional
    )
    return w, seg_w, comp_names


def _text(
    ev: Evaluation,
    nums: dict[str, Any],
    args: argparse.Namespace,
    w: tuple[float, ...],
    seg_w: tuple[float, ...] | None,
    comp_names: list[str],
) -> str:
    """The table form of one evaluation's numbers."""
    how = (
        f"{args.consensus} consensus"
        if seg_w is None
        else "components " + format_weights(comp_names, seg_w, digits=6)
    )
    delta = (
        ""
        if nums["delta_top1"] is None
        else f"; vs best single stream ({nums['best_single']}) "
        f"{format_cell(nums['delta_top1'], 'signed_pct')}"
    )
    return (
        f"{ev.name}: {format_weights(ev.streams, w, digits=6)}, {args.domain} domain, {how}, "
        f"{nums['n_videos']} videos\n"
        f"  top-1 {_pct(nums['top1'])} % ({nums['n_top1']} videos){delta}\n"
        f"  top-{min(5, ev.n_classes)} {_pct(nums['top5'])} % ({nums['n_top5']} videos)\n"
        f"  mean class {_pct(nums['mean_class_acc'])} %"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab explorer``: the page's numbers for the given setting.

    ``--format json`` prints one object, ``{"schema": 1, "command": "explorer",
    "results": [...]}``, with one entry per evaluation.
    """
    # parsed here, not by argparse, so a bad value is a one-line error (exit 2)
    wspec = None if args.weights is None else parse_weights(args.weights)
    uspec = None if args.segment_weights is None else parse_weights(args.segment_weights)
    _, evs = load_evaluations(args.files, allow_partial=args.allow_partial)
    # The best single stream needs the rule rows only: no bootstrap, no tuned rows.
    opts = EvaluateOptions(bootstrap=0, allow_partial=args.allow_partial, tuned="never")
    results = evaluate(evs, options=opts, progress=False)
    chosen = [ev for ev in evs if args.evaluation in (None, ev.name)]
    if not chosen:
        raise UsageError(f"no evaluation {args.evaluation!r} among {[ev.name for ev in evs]}")
    docs: list[dict[str, Any]] = []
    lines: list[str] = []
    for ev in chosen:
        w, seg_w, comp_names = _weights_of(ev, wspec, uspec)
        nums = page_numbers(
            results,
            evaluation=ev.name,
            weights=w,
            domain=args.domain,
            consensus=args.consensus,
            segment_weights=seg_w,
        )
        docs.append({"evaluation": ev.name, **nums})
        lines.append(_text(ev, nums, args, w, seg_w, comp_names))
    if args.html:
        write_page(build_data(results), args.html, names=[ev.name for ev in evs])
    if args.fmt == "json":
        text = dumps({"schema": SCHEMA_VERSION, "command": "explorer", "results": docs})
    else:
        text = "\n".join(lines) + "\n"
    write_output(args.output, text)
    return 0
