"""Interactive fusion explorer: move the weights, see the accuracy respond, exactly.

``report.html`` holds one explorer per evaluation and ``explorer.html`` (written
beside it) is the same explorer on its own page. For each evaluation: a slider
per stream weight (integers 0..20), on request a slider per stream x segment,
a switch between the probability and the logit domain, the segment-consensus
rule (mean, max, variance-weighted), and live read-outs of top-1, top-5, mean
class accuracy, the change against the best single stream, per-class accuracy
bars, the grid-search optimum with its oracle and honest accuracy when the
results hold a grid search, and the current setting as a command line (the
score files' paths as they were given to fusionlab, e.g. ``scores/x.npz``,
shell-quoted: run it from the folder the report was made in). No
server, no network, no framework: hand-written JavaScript inlined into the
page, standard APIs only (``DecompressionStream``, typed arrays, canvas), from
``file://`` in Chromium (80+) and Firefox (113+).

``python -m fusionlab.explorer FILES --weights rgb=7,flow=13 --domain prob --consensus max``
prints the same numbers (:func:`page_numbers`); ``--html OUT`` writes the page.

What is computed
----------------
Stream weights ``w`` (one per stream): two-level fusion, the computation of an
evaluate row ``two-level / consensus / weighted``::

    rules.two_level(streams, masks, consensus=c, fusion="weighted",
                    fusion_params={"weights": w}, domain=d)

Per-segment weights: ``rules.fuse("weighted", x, mask, domain=d, weights=W)``
over every stream x segment component, ``W[s, j] = w[s] * u[s, j]``.

Exactness: the page never disagrees with the package
----------------------------------------------------
1. *No exp or log in the page.* ``rules.weighted`` computes
   ``f[n, c] = sum_k w_k * v[n, k, c]`` (left to right) with ``v = exp(x)``
   (probability domain) or ``v = x``, where ``x`` is each stream's consensus
   output normalised by ``rules.to_log_probs`` (two-level) or each segment's
   log-probabilities (flat). fusionlab computes ``v`` once with numpy and embeds
   those float64 values (:func:`~fusionlab.explorer._data.stream_values`), so the
   page starts from the very operands of the package's sum.
2. *The same IEEE operations.* ``rules.normalize_weights`` turns weights into
   ``float(Fraction(w_k) / sum(Fraction(w)))``; for the page's integer weights
   that is ``i_k / S`` with ``S`` the integer sum, rounded once, which is what
   JavaScript's ``i_k / S`` returns (IEEE division of two exact integers is
   correctly rounded). Products and sums are double-precision operations done in
   the same order (JavaScript has no extended precision and does not fuse
   multiply-adds). Decisions follow ``metrics.correct_top_k``: the true class
   ``y`` is in the top k when fewer than k classes rank above it (a larger score,
   or an equal score and a lower index). Per-video weights of masked components
   are renormalised with numpy's pairwise summation, which the page replicates;
   the mean class accuracy is ``np.mean`` (pairwise summation) of hits / videos
   over the classes present, also replicated.
3. *Compact, and still exact: only what can change is embedded.* For each video
   and class ``c`` fusionlab checks, with ``d_k = v_kc - v_ky`` over the valid
   components, whether ``c`` ranks above ``y`` for **every** non-negative weight
   vector (``min_k d_k > T``), for **none** (``max_k d_k < -T``), or ties with it
   bit for bit (all ``d_k == 0``: the tie goes to the lower index). ``T = 2
   gamma_K max_k(|v_kc| + |v_ky|) + 8 K 2**-1074`` (``gamma_K = K u / (1 - K u)``,
   ``u = 2**-53``) bounds the rounding error of the two K-term sums, the
   normalised weights (which sum to 1 within a few ``u``) and underflow, so the
   float64 comparison the package makes always agrees. Only the classes whose
   ranking can change are embedded, with the true class's values; a class that is
   above at least ``k`` (top-k) other classes for every weight vector is dropped too:
   if it outranks ``y``, so do those, and the count of embedded classes above
   ``y`` still reaches ``k`` (take a dropped class that no dropped class
   dominates: its dominators are embedded or always above). Videos whose top-1 and
   top-k outcomes are fixed carry one status byte. The page therefore counts
   exactly the videos the package counts, for every weight vector.
4. *Checked.* The page checks itself on load against the report's fixed-weight
   rows (bit for bit, otherwise it says so and logs an error), and
   ``tests/test_explorer.py`` compares the numbers the page shows in Chromium
   with :func:`page_numbers`, exactly, for many weight vectors.

Size
----
Embedded values are float64, compressed with zlib (byte planes first) and
base64-encoded; the page inflates them with ``DecompressionStream``. For an
HMDB51-sized evaluation (1530 videos, 51 classes, 2 streams x 3 segments,
``fusionlab.synth.hmdb51_like``) the stream-level data of 2 domains x 3
consensus rules take about 0.8 MB and the per-segment data about 2.2 MB: the
standalone page is about 3 MB. A page embeds data greedily in evaluation order
within its budget (``explorer.html``: :data:`PAGE_BUDGET`; ``report.html``,
which also holds the figures: :data:`REPORT_BUDGET`): first the stream-level
data of every evaluation, then per-segment data; what is left out is named in a
note on the page. Evaluations with more than :data:`MAX_CELLS` known videos x
classes get no explorer (a note says so).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..weights import (
    WELL_KNOWN_STREAMS,
    component_name,
    format_weights,
    parse_weights,
    resolve_weights,
)
from ._data import (
    CONSENSUS,
    EXPLORER_FILE,
    MAX_CELLS,
    PAGE_BUDGET,
    REPORT_BUDGET,
    SLIDER_MAX,
    EvaluationData,
    ExplorerData,
    Family,
    build_data,
    page_numbers,
)
from ._page import EXACTNESS, assets, data_json, render_page, write_page

__all__ = [
    "CONSENSUS",
    "EXACTNESS",
    "EXPLORER_FILE",
    "MAX_CELLS",
    "PAGE_BUDGET",
    "REPORT_BUDGET",
    "SLIDER_MAX",
    "EvaluationData",
    "ExplorerData",
    "Family",
    "add_arguments",
    "assets",
    "build_data",
    "data_json",
    "page_numbers",
    "render_page",
    "run",
    "write_page",
]


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


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab explorer``: the page's numbers for the given setting."""
    from ..evaluate import EvaluateOptions, evaluate, load_evaluations
    from ..output import write_output
    from ..report.format import format_cell

    # parsed here, not by argparse, so a bad value is a one-line error (exit 2)
    wspec = None if args.weights is None else parse_weights(args.weights)
    uspec = None if args.segment_weights is None else parse_weights(args.segment_weights)
    _, evs = load_evaluations(args.files, allow_partial=args.allow_partial)
    # The best single stream needs the rule rows only: no bootstrap, no tuned rows.
    kw: dict[str, Any] = {"bootstrap": 0, "allow_partial": args.allow_partial}
    if "tuned" in EvaluateOptions.__dataclass_fields__:
        kw["tuned"] = "never"
    results = evaluate(evs, options=EvaluateOptions(**kw), progress=False)
    names = [ev.name for ev in evs if args.evaluation in (None, ev.name)]
    if not names:
        from ..errors import UsageError

        raise UsageError(f"no evaluation {args.evaluation!r} among {[ev.name for ev in evs]}")
    docs: list[dict[str, Any]] = []
    lines: list[str] = []
    for ev in evs:
        if ev.name not in names:
            continue
        where = f"evaluation {ev.name}"
        w: tuple[float, ...] = (
            resolve_weights(wspec, ev.streams, where=where)
            if wspec is not None
            else (1.0,) * len(ev.streams)
        )
        conventional = tuple(ev.streams) == WELL_KNOWN_STREAMS or len(ev.streams) == 1
        comp_names = [
            component_name(s, j) for s in ev.streams for j in range(ev.latest(s).n_segments)
        ]
        seg_w = (
            None
            if uspec is None
            else resolve_weights(
                uspec,
                comp_names,
                where=where,
                what="component",
                conventional=conventional,
            )
        )
        nums = page_numbers(
            results,
            evaluation=ev.name,
            weights=w,
            domain=args.domain,
            consensus=args.consensus,
            segment_weights=seg_w,
        )
        wtxt = format_weights(ev.streams, w, digits=6)
        how = (
            f"{args.consensus} consensus"
            if seg_w is None
            else "components " + format_weights(comp_names, seg_w, digits=6)
        )
        docs.append({"evaluation": ev.name, **nums})
        delta = (
            ""
            if nums["delta_top1"] is None
            else f"; vs best single stream ({nums['best_single']}) "
            f"{format_cell(nums['delta_top1'], 'signed_pct')}"
        )
        lines.append(
            f"{ev.name}: {wtxt}, {args.domain} domain, {how}, "
            f"{nums['n_videos']} videos\n"
            f"  top-1 {_pct(nums['top1'])} % ({nums['n_top1']} videos){delta}\n"
            f"  top-{min(5, ev.n_classes)} {_pct(nums['top5'])} % ({nums['n_top5']} videos)\n"
            f"  mean class {_pct(nums['mean_class_acc'])} %"
        )
    if args.html:
        data = build_data(results)
        write_page(data, args.html, names=[ev.name for ev in evs])
    if args.fmt == "json":
        from ..jsonio import json_value as _json_value

        plain = _json_value(docs[0] if len(docs) == 1 else docs)
        text = json.dumps(plain, indent=2, allow_nan=False) + "\n"
    else:
        text = "\n".join(lines) + "\n"
    write_output(args.output, text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m fusionlab.explorer`` (works before the subcommand is registered in the CLI)."""
    from .. import cli

    if "explorer" in cli.SUBCOMMANDS:
        return cli.run_subcommand("explorer", argv, prog="python -m fusionlab.explorer")
    parser = cli._Parser(prog="python -m fusionlab.explorer", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return cli._guarded(args, __name__)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
