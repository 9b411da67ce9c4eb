"""``python -m fusionlab.synth OUT_DIR [--splits 1 2 3] [--seed S]``: HMDB51-like files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..synth import hmdb51_like, write_scores

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m fusionlab.synth``."""
    parser.add_argument("out_dir")
    parser.add_argument("--splits", nargs="+", default=["1"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", choices=["prob", "logit", "logprob"], default="prob")


def run(args: argparse.Namespace) -> int:
    """Write one file per stream and split; print each path."""
    for i, split in enumerate(args.splits):
        cfg = hmdb51_like(split=split, seed=args.seed + i, kind=args.kind)
        for p in write_scores(args.out_dir, cfg):
            print(p)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fusionlab.synth OUT_DIR [--splits 1 2 3] [--seed S]``: HMDB51-like files."""
    parser = argparse.ArgumentParser(prog="python -m fusionlab.synth", description=main.__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
