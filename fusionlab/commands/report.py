"""``fusionlab report`` (and ``python -m fusionlab.report``): the Markdown and HTML report."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ..evaluate import evaluate_files
from ..output import write_output
from ..render import format_results
from ..report import check_out_dir, write_report
from .evaluate import add_arguments as add_evaluate_arguments
from .evaluate import add_report_argument, options_from_args

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab report``: those of ``fusionlab evaluate`` and ``--report DIR``.

    The accuracy table is printed only when ``--output`` is given.
    """
    add_evaluate_arguments(parser)
    try:
        add_report_argument(parser, required=True)
    except argparse.ArgumentError:  # evaluate's options already include --report
        pass
    parser.add_argument("--title", default="fusionlab report", help="title of the report")
    parser.set_defaults(output=None)


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab report``; returns the exit status."""
    if getattr(args, "report", None) is None:
        raise UsageError("the report command needs --report DIR")
    target = check_out_dir(args.report)
    opts = options_from_args(args)
    results = evaluate_files(args.files, options=opts, progress=not args.quiet)
    if args.output is not None:
        write_output(args.output, format_results(results, args.fmt))
    path = write_report(results, target, title=args.title, progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {path / 'report.md'} and {path / 'report.html'}", file=sys.stderr)
    return 0
