"""``fusionlab diversity`` (and ``python -m fusionlab.diversity``): complementarity tables.

Arguments in, one :func:`~fusionlab.evaluate.diversity.diversity_files` call,
its tables to :func:`~fusionlab.render.diversity.format_diversity`.
"""

from __future__ import annotations

import argparse
import sys

from ..diversity import TABLES
from ..evaluate.diversity import diversity_files
from ..output import write_output
from ..render.diversity import format_diversity, videos_csv
from ..rules import Domain

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab diversity``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="score files (.npz); globs ok")
    parser.add_argument("--format", choices=["table", "json", "csv"], default="table", dest="fmt")
    parser.add_argument(
        "--domain", choices=["prob", "logit", "both"], default="both", help="fusion domain"
    )
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = stdout)")
    parser.add_argument(
        "--videos-csv", metavar="PATH", help="write the videos the fusion fixes and breaks"
    )
    parser.add_argument(
        "--table",
        action="append",
        choices=list(TABLES),
        help="only these tables (repeatable; default all)",
    )
    parser.add_argument("--step", type=float, default=0.1, help="weight-grid step of subsets")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="keep only the videos common to all files instead of failing",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or notes")


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab diversity``; returns the exit status."""
    domains: tuple[Domain, ...] = ("prob", "logit") if args.domain == "both" else (args.domain,)
    results, tables = diversity_files(
        args.files,
        domains=domains,
        allow_partial=args.allow_partial,
        step=args.step,
        progress=not args.quiet,
    )
    which = tuple(args.table) if args.table else TABLES
    text = format_diversity(tables, args.fmt, which=which, evaluations=results.evaluations)
    if args.videos_csv:
        write_output(args.videos_csv, videos_csv(tables))
    write_output(args.output, text)
    if not args.quiet and args.fmt != "table":
        for t in tables.values():
            for note in t["notes"]:
                print(f"note: {note}", file=sys.stderr)
    return 0
