"""Grid searches beyond one process: joblib workers, or a Dask cluster.

The fast grid evaluator (:func:`fusionlab.search.grid_accuracy`) is exact per
grid point, so splitting the points into blocks and evaluating the blocks
anywhere gives results identical to the single-process run: the blocks are
concatenated in grid order, and the best point is then chosen by the same
documented tie-break.

Backends (``backend=``):

``"loky"``
    joblib's default: worker processes on this machine (``n_jobs`` of them;
    -1 = one per core).
``"threading"``
    Threads in this process; numpy releases the GIL in the heavy parts.
``"dask"``
    joblib's Dask backend on a ``dask.distributed`` cluster at
    ``scheduler`` (``tcp://host:8786``); needs ``pip install
    "dask[distributed]"`` (the ``cluster`` extra). The scores are sent to the
    workers once per block.

When it is worth it: only when the workers bring cores that one process does
not have. The evaluator already runs its blocks on all local cores (threads),
so on one machine joblib adds only overhead: on the 2-core development
machine (``benchmarks/bench_parallel.py``) two loky workers ran the
6-component, step-0.05 search (53,130 points) at 0.58x and the 8-component,
step-0.05 one (888,030 points, 10.9 s in one process) at 0.75x. On a Dask
cluster each worker evaluates whole blocks of points independently, so a grid
of millions of points (8 to 10 components at fine steps, or Kinetics-sized
sets) scales with the cluster's cores; the scores are shipped to the workers
with every block, which is small next to the work for grids that size.
``fusionlab grid --jobs N --backend loky|threading|dask --scheduler ADDRESS``.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from .errors import UsageError
from .search.fast import GridAccuracy, grid_accuracy

__all__ = ["BACKENDS", "Backend", "backend_context", "grid_accuracy_parallel"]

Backend = Literal["loky", "threading", "dask"]
BACKENDS: tuple[str, ...] = ("loky", "threading", "dask")


@contextlib.contextmanager
def backend_context(
    backend: str = "loky", *, scheduler: str | None = None, n_jobs: int = -1
) -> Iterator[None]:
    """Run the joblib calls inside on ``backend``.

    For ``"dask"``, connect a ``dask.distributed.Client`` to ``scheduler``
    for the duration (None starts an in-process local cluster).
    """
    import joblib

    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend != "dask":
        if scheduler is not None:
            raise UsageError("--scheduler is only used with --backend dask")
        with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
            yield
        return
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            'the dask backend needs dask.distributed: pip install "dask[distributed]" '
            '(or pip install "fusionlab[cluster]")'
        ) from None
    try:
        client = (
            Client(scheduler, timeout="3s")  # type: ignore[no-untyped-call]
            if scheduler
            else Client(processes=False)  # type: ignore[no-untyped-call]
        )
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        with joblib.parallel_config(backend="dask"):
            yield
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _blocks(n_points: int, n_blocks: int) -> list[slice]:
    n_blocks = max(1, min(n_blocks, n_points))
    edges = np.linspace(0, n_points, n_blocks + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def grid_accuracy_parallel(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    weights: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Literal["prob", "logit"],
    k: int | Sequence[int] = (1, 5),
    groups: npt.ArrayLike | None = None,
    n_jobs: int = -1,
    backend: str = "loky",
    scheduler: str | None = None,
    n_blocks: int | None = None,
) -> GridAccuracy:
    """:func:`fusionlab.search.grid_accuracy`, with the grid points split over workers.

    Parameters
    ----------
    x, y, weights, mask, domain, k, groups
        As :func:`fusionlab.search.grid_accuracy` (``x``: log-probabilities of
        shape (n_videos, n_components, n_classes); ``weights``: (n_points,
        n_components)).
    n_jobs : int, default -1
        Workers for the local backends (-1: one per core).
    backend : {"loky", "threading", "dask"}
    scheduler : str, optional
        Address of the Dask scheduler (``backend="dask"``).
    n_blocks : int, optional
        Blocks of grid points (default: 4 per worker, at least 2).

    Returns
    -------
    GridAccuracy
        Equal, count for count, to the single-process result.
    """
    import joblib

    xa = np.ascontiguousarray(x, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2:
        raise UsageError(f"weights must have shape (n_points, n_components), got {w.shape}")
    workers = joblib.cpu_count() if n_jobs in (-1, None) else max(1, int(n_jobs))
    parts = _blocks(w.shape[0], n_blocks or max(2, 4 * workers))
    with backend_context(backend, scheduler=scheduler, n_jobs=workers):
        results: list[GridAccuracy] = joblib.Parallel()(
            joblib.delayed(grid_accuracy)(xa, y, w[sl], mask, domain=domain, k=k, groups=groups)
            for sl in parts
        )
    first = results[0]
    group_correct = (
        None
        if first.group_correct is None
        else np.concatenate([r.group_correct for r in results], axis=1)
    )
    return GridAccuracy(
        weights=w,
        k=first.k,
        correct=np.concatenate([r.correct for r in results], axis=1),
        n_videos=first.n_videos,
        group_correct=group_correct,
        n_rechecked=sum(r.n_rechecked for r in results),
        n_fast_pairs=first.n_fast_pairs,
    )
