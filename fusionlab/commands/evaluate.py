"""``fusionlab evaluate`` (and ``python -m fusionlab.evaluate``): the accuracy table."""

from __future__ import annotations

import argparse
import sys

from ..evaluate import (
    DEFAULT_RULES,
    DEFAULT_STREAM_WEIGHTS,
    DEFAULT_VIEW_RULES,
    SYMMETRIC_RULES,
    TUNED_MAX_ELEMENTS,
    EvaluateOptions,
    evaluate_files,
)
from ..evaluate.clusters import groups_note
from ..output import write_output
from ..render import format_results
from ..rules import Domain
from ..weights import parse_weights

__all__ = [
    "add_arguments",
    "add_groups_argument",
    "add_report_argument",
    "options_from_args",
    "run",
]


def _rule_list(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for n in names:
        if n not in SYMMETRIC_RULES:
            raise argparse.ArgumentTypeError(
                f"unknown rule {n!r} (known: {', '.join(SYMMETRIC_RULES)})"
            )
    return names


def add_report_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """Add ``--report DIR`` to a command's options (``fusionlab evaluate`` uses it)."""
    parser.add_argument(
        "--report",
        metavar="DIR",
        default=None,
        required=required,
        help="write report.md, report.html and figures/ into DIR (replacing an earlier report "
        "there)",
    )


def add_groups_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--groups SPEC`` (``fusionlab evaluate``, ``report`` and ``grid`` use it)."""
    parser.add_argument(
        "--groups",
        metavar="SPEC",
        default=None,
        help="groups of correlated videos: a preset (ucf101: v_<Class>_g<NN>_c<MM> -> "
        "<Class>_g<NN>; hmdb51: the id without its trailing _<digits> counter; auto: ucf101 "
        "where it matches, else hmdb51), a CSV file of video_id,group, or a regex over video "
        "ids (its named group 'group', first group or whole match names the group); intervals "
        "then resample whole groups and cross-fitting folds never split one",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab evaluate``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="score files (.npz); globs ok")
    parser.add_argument(
        "--domain", choices=["prob", "logit", "both"], default="both", help="fusion domain"
    )
    parser.add_argument(
        "--format", choices=["table", "markdown", "csv", "json"], default="table", dest="fmt"
    )
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = stdout)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (0=off)")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resamples")
    parser.add_argument(
        "--consensus", type=_rule_list, default=DEFAULT_RULES, help="comma-separated rules"
    )
    parser.add_argument(
        "--fusion", type=_rule_list, default=DEFAULT_RULES, help="comma-separated rules"
    )
    parser.add_argument(
        "--weights",
        action="append",
        help="fixed stream weights by name, like rgb=1,flow=1.5 (repeatable; replaces the "
        "defaults rgb 1:1, 1:1.5, 2:1, 1:2); positional 1:1.5 follows the stream order rgb, "
        "flow, then the rest alphabetically, and is refused where it could be misread",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="keep only the videos common to all files instead of failing",
    )
    parser.add_argument(
        "--tuned",
        choices=["auto", "always", "never"],
        default="auto",
        help="grid-search and learned rows with oracle and honest accuracy (auto: skipped "
        f"above {TUNED_MAX_ELEMENTS} videos x segments x classes per stream)",
    )
    parser.add_argument(
        "--step", type=float, default=0.1, help="grid step of the tuned rows (fusionlab grid: 0.05)"
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds")
    parser.add_argument("--repeats", type=int, default=3, help="cross-fitting repeats")
    parser.add_argument(
        "--max-components", type=int, default=6, help="largest weight search in the table"
    )
    add_groups_argument(parser)
    parser.add_argument(
        "--greedy",
        type=int,
        default=0,
        metavar="N",
        help="add a greedy ensemble-selection row (N iterations) over every stream x segment "
        "component, cross-fitted like the grid rows (default 0: none)",
    )
    parser.add_argument(
        "--adjust",
        choices=["holm", "bh", "none"],
        default="holm",
        help="adjust the p-values of the fusion rows against the best single stream over the "
        "rows compared in each evaluation: Holm (default), Benjamini-Hochberg or none",
    )
    parser.add_argument(
        "--view-consensus",
        type=_rule_list,
        default=DEFAULT_VIEW_RULES,
        help="comma-separated view-consensus rules of the test-protocol rows (files declaring "
        "views)",
    )
    parser.add_argument(
        "--split-list",
        metavar="LIST",
        default=None,
        help="official split list (path, 'path label' or 'path frames label' lines): report "
        "per file the listed videos it has and lacks, and evaluate the listed videos present "
        "in every file",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or notes")
    add_report_argument(parser)


def options_from_args(args: argparse.Namespace) -> EvaluateOptions:
    domains: tuple[Domain, ...] = ("prob", "logit") if args.domain == "both" else (args.domain,)
    return EvaluateOptions(
        domains=domains,
        consensus=tuple(args.consensus),
        fusion=tuple(args.fusion),
        stream_weights=tuple(parse_weights(w) for w in args.weights)
        if args.weights
        else DEFAULT_STREAM_WEIGHTS,
        bootstrap=args.bootstrap,
        confidence=args.confidence,
        seed=args.seed,
        allow_partial=args.allow_partial,
        tuned=args.tuned,
        grid_step=args.step,
        folds=args.folds,
        repeats=args.repeats,
        max_components=args.max_components,
        groups=args.groups,
        greedy=args.greedy,
        adjust=args.adjust,
        view_consensus=tuple(args.view_consensus),
        split_list=args.split_list,
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab evaluate``; returns the exit status."""
    report_dir = getattr(args, "report", None)
    if report_dir is not None:
        from ..report import check_out_dir

        check_out_dir(report_dir)  # a bad DIR fails before any work: exit 2, nothing written
    opts = options_from_args(args)
    results = evaluate_files(args.files, options=opts, progress=not args.quiet)
    if not args.quiet:
        for note in results.extra.get("notes", []):
            print(f"note: {note}", file=sys.stderr)
        if args.fmt in ("csv", "json"):  # the table and Markdown print it under each table
            for name, info in results.extra.get("groups", {}).items():
                print(f"note: {name}: {groups_note(info)}", file=sys.stderr)
        if len(results.evaluations) > 1:
            print(
                f"note: {len(results.evaluations)} evaluations (files are grouped by the "
                "dataset, split and subset in their meta): "
                + "; ".join(
                    f"{ev.name} ({len(ev.sets)} file{'s' if len(ev.sets) > 1 else ''})"
                    for ev in results.evaluations
                ),
                file=sys.stderr,
            )
        for ev in results.evaluations:
            if ev.report.n_dropped:
                print(
                    f"note: {ev.name}: kept {ev.report.n_common} common videos; dropped "
                    + ", ".join(f"{n} from {p}" for p, n in ev.report.dropped.items() if n),
                    file=sys.stderr,
                )
    write_output(args.output, format_results(results, args.fmt))
    if report_dir is not None:
        from ..report import write_report

        path = write_report(results, report_dir, progress=not args.quiet)
        if not args.quiet:
            print(f"wrote {path / 'report.md'} and {path / 'report.html'}", file=sys.stderr)
    return 0
