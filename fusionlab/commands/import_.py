"""``fusionlab import`` (and ``python -m fusionlab.importers``): other tools' files to version 1."""

from __future__ import annotations

import argparse
from typing import get_args

from ..importers import DEFAULT_MAX_BYTES, SOURCES, import_scores, summary_line
from ..scores import ScoreKind

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``fusionlab import``."""
    parser.add_argument("input", metavar="INPUT", help="the file to import")
    parser.add_argument(
        "--from", dest="source", required=True, choices=SOURCES, help="format of INPUT"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.npz",
        help="score file to write (format version 1)",
    )
    parser.add_argument("--stream", required=True, help="stream name, e.g. rgb or flow")
    parser.add_argument(
        "--kind",
        choices=get_args(ScoreKind),
        default=None,
        help="domain of the scores (default: inferred)",
    )
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--split", default=None)
    parser.add_argument("--subset", default=None, help="test, val or train")
    parser.add_argument("--model", default=None)
    parser.add_argument("--epoch", type=int, default=None)
    parser.add_argument(
        "--split-list",
        default=None,
        metavar="FILE",
        help="test/annotation list: video ids, order and labels (pyskl: the annotation "
        "file; ctrgcn: val_label.pkl or the NTU .npz)",
    )
    parser.add_argument(
        "--class-index",
        default=None,
        metavar="FILE",
        help="class names (classInd.txt or one name per line)",
    )
    parser.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read pickle-based inputs (with a restricted unpickler)",
    )
    parser.add_argument(
        "--row-order",
        choices=("sorted", "list"),
        default=None,
        help="row order of tsn (default sorted) and mmaction2 (default list) files that name "
        "no videos (rows matched to --split-list by position)",
    )
    parser.add_argument(
        "--views",
        default=None,
        metavar="CLIPSxCROPS",
        help="test-time views per video of mmaction2 (average_clips=None), slowfast and "
        "videomae inputs, e.g. 10x3; written clip-major with the centre crop first",
    )
    parser.add_argument(
        "--ann-split",
        default=None,
        metavar="NAME",
        help="pyskl: the split of the annotation file the test used (e.g. xsub_val)",
    )
    parser.add_argument(
        "--label-base",
        type=int,
        choices=(0, 1),
        default=0,
        help="number of the first class in numeric labels (default 0)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help="largest input file accepted (default 2 GiB)",
    )
    parser.add_argument("--compress", action="store_true", help="deflate the written file")


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab import``; print one summary line."""
    s = import_scores(
        args.input,
        source=args.source,
        out=args.output,
        stream=args.stream,
        kind=args.kind,
        dataset=args.dataset,
        split=args.split,
        subset=args.subset,
        model=args.model,
        epoch=args.epoch,
        split_list=args.split_list,
        class_index=args.class_index,
        allow_pickle=args.allow_pickle,
        row_order=args.row_order,
        views=args.views,
        ann_split=args.ann_split,
        label_base=args.label_base,
        max_bytes=args.max_bytes,
        compress=args.compress,
    )
    print(summary_line(s, args.output))
    return 0
