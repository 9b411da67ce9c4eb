"""``fusionlab grid``: grid search (or greedy ensemble selection) over fusion weights.

Both report the oracle accuracy and the honest, cross-fitted one.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..evaluate import val_partners
from ..groups import group_codes, spec_kind
from ..output import write_output
from ..render.grid import render_grid
from ..scores import Evaluation, group, load, resolve_paths
from ..search import (
    Components,
    GreedyResult,
    GridResult,
    components,
    greedy_selection,
    grid_search,
)
from .evaluate import add_groups_argument

__all__ = ["add_arguments", "run"]


def _parse_assignments(items: Sequence[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for it in items or []:
        if "=" not in it:
            raise UsageError(f"{what} expects NAME=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``fusionlab grid``."""
    parser.epilog = (
        "Every grid point is evaluated exactly; the best weights are reported with the "
        "oracle accuracy (tuned on the same videos) and the honest, cross-fitted one "
        "(tuned on k-1 folds, scored on the held-out fold; mean and spread over repeats). "
        '--format json writes one object {"schema": 1, "command": "grid", "results": [...]} '
        "with one result per evaluation. --method greedy runs ensemble selection instead "
        "(Caruana et al. 2004: greedy forward selection with replacement, optionally bagged), "
        "scales to many components (checkpoints, models, streams) and is cross-fitted the same way."
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILES", help="score files (.npz), globs allowed"
    )
    parser.add_argument(
        "--over",
        choices=["streams", "segments", "components", "epochs"],
        default="streams",
        help="what to weigh: streams (after segment consensus), the segments of one stream, "
        "every stream x segment pair, or the checkpoints of one stream (default: streams)",
    )
    parser.add_argument("--stream", default=None, help="the stream for --over segments/epochs")
    parser.add_argument(
        "--method",
        choices=["grid", "greedy"],
        default="grid",
        help="exhaustive simplex grid (default) or greedy ensemble selection",
    )
    _add_greedy_arguments(parser)
    parser.add_argument(
        "--step", type=float, default=0.05, help="grid step; 1/step must be an integer"
    )
    parser.add_argument("--domain", choices=["prob", "logit"], default="prob")
    parser.add_argument("--consensus", default="mean", help="segment-consensus rule (default mean)")
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds (0 = none)")
    parser.add_argument("--repeats", type=int, default=10, help="cross-fitting repeats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fixed", action="append", metavar="NAME=W", help="pin a component's weight (repeatable)"
    )
    parser.add_argument(
        "--bound",
        action="append",
        metavar="NAME=LO:HI",
        help="bound a component's weight (repeatable)",
    )
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--allow-partial", action="store_true", help="keep only the common videos")
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = standard output)")
    parser.add_argument(
        "--jobs", type=int, default=1, help="parallel workers for the grid (-1 = one per core)"
    )
    parser.add_argument(
        "--backend",
        choices=["loky", "threading", "dask"],
        default=None,
        help="joblib backend for --jobs (dask: a dask.distributed cluster at --scheduler)",
    )
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://...)")
    add_groups_argument(parser)


def _add_greedy_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``--method greedy`` (:func:`fusionlab.search.greedy_selection`)."""
    parser.add_argument(
        "--iterations", type=int, default=50, help="greedy: components picked (default 50)"
    )
    parser.add_argument(
        "--bags", type=int, default=0, help="greedy: bags of components (default 0: no bagging)"
    )
    parser.add_argument(
        "--bag-fraction",
        type=float,
        default=0.5,
        help="greedy: share of the components in each bag (at least 2; default 0.5)",
    )
    parser.add_argument(
        "--metric",
        choices=["accuracy", "nll"],
        default="accuracy",
        help="greedy: select by accuracy (ties: NLL, then lowest index) or by NLL",
    )
    parser.add_argument(
        "--init",
        choices=["best", "sorted"],
        default="best",
        help="greedy: start from the best component, or the best N sorted (Caruana 2006)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab grid``: one grid search per evaluation (files sharing dataset/split/subset).

    A ``test`` evaluation with a ``val`` partner (same dataset and split) is tuned on
    it; ``--format json`` writes one object when there is one evaluation and a list
    of objects (one per evaluation, in order of first appearance) otherwise.
    """
    if not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must be in [0, 2**32), got {args.seed}")
    if args.jobs == 0 or args.jobs < -1:
        raise UsageError(
            f"--jobs must be a positive number of workers or -1 (all cores), got {args.jobs}"
        )
    if args.groups is not None:
        spec_kind(args.groups)  # a bad regex fails before any file is read
    sets = [load(p) for p in resolve_paths(list(args.files))]
    evaluations = group(sets, allow_partial=bool(args.allow_partial))
    if args.folds not in (0, None) and args.folds < 2:
        raise UsageError(f"--folds must be 0 (none) or >= 2, got {args.folds}")
    fixed_s = _parse_assignments(args.fixed, "--fixed")
    bound_s = _parse_assignments(args.bound, "--bound")
    partners = val_partners(evaluations)
    used_as_val = {id(v) for v in partners.values()}
    if args.method == "greedy" and (fixed_s or bound_s):
        raise UsageError("--fixed and --bound apply to --method grid, not --method greedy")
    results: list[GridResult | GreedyResult] = []
    for ev in evaluations:
        if id(ev) in used_as_val:
            continue  # it tunes its test partner below
        comp = _components(ev, args)
        vpart = partners.get(id(ev))
        vcomp = None if vpart is None else _components(vpart, args)
        if vpart is not None and vcomp is not None and vcomp.names != comp.names:
            raise UsageError(
                f"val subset {vpart.name} has components {list(vcomp.names)}, "
                f"but {ev.name} has {list(comp.names)}"
            )
        vtuple = None if vcomp is None else (vcomp.x, vcomp.y, vcomp.mask)
        folds = None if vcomp is not None else (args.folds or None)
        res: GridResult | GreedyResult
        if args.method == "greedy":
            res = greedy_selection(
                comp.x,
                comp.y,
                comp.mask,
                domain=args.domain,
                n_iter=args.iterations,
                metric=args.metric,
                bagging=args.bags,
                bag_fraction=args.bag_fraction,
                seed=args.seed,
                init=args.init,
                component_names=comp.names,
                folds=folds,
                repeats=args.repeats,
                val=vtuple,
                groups=None if args.groups is None else _known_codes(ev, args.groups),
            )
        else:
            res = grid_search(
                comp.x,
                comp.y,
                comp.mask,
                domain=args.domain,
                component_names=comp.names,
                step=args.step,
                fixed=_fixed(fixed_s) or None,
                bounds=_bounds(bound_s) or None,
                folds=folds,
                repeats=args.repeats,
                seed=args.seed,
                val=vtuple,
                n_jobs=args.jobs,
                backend=args.backend,
                scheduler=args.scheduler,
                groups=None if args.groups is None else _known_codes(ev, args.groups),
            )
        results.append(replace(res, evaluation=ev.name, over=args.over))
    write_output(args.output, render_grid(results, args.format))
    return 0


def _known_codes(ev: Evaluation, spec: str) -> npt.NDArray[np.int64]:
    """Group codes of the videos with a known label (those :func:`components` keeps)."""
    return group_codes(ev.video_ids, spec)[ev.labels >= 0]


def _components(ev: Evaluation, args: argparse.Namespace) -> Components:
    return components(
        ev, over=args.over, domain=args.domain, consensus=args.consensus, stream=args.stream
    )


def _fixed(assignments: dict[str, str]) -> dict[int | str, float]:
    out: dict[int | str, float] = {}
    for k, v in assignments.items():
        try:
            out[k] = float(v)
        except ValueError:
            raise UsageError(f"--fixed {k}: weight must be a number, got {v!r}") from None
    return out


def _bounds(assignments: dict[str, str]) -> dict[int | str, tuple[float, float]]:
    out: dict[int | str, tuple[float, float]] = {}
    for k, v in assignments.items():
        try:
            lo, hi = (float(t) for t in v.split(":"))
        except ValueError:
            raise UsageError(f"--bound {k}: expected LO:HI, got {v!r}") from None
        out[k] = (lo, hi)
    return out
