"""Parallel grid search: joblib backends and a local Dask cluster equal the single process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fusionlab import cli, synth
from fusionlab.errors import UsageError
from fusionlab.parallel import grid_accuracy_parallel
from fusionlab.scores import save
from fusionlab.search import grid_accuracy, grid_search, simplex_grid


def _data(seed: int = 0, tied: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, k, c = 120, 4, 7
    y = rng.integers(0, c, n)
    z = rng.integers(0, 3, (n, k, c)).astype(float) if tied else rng.normal(size=(n, k, c))
    z[np.arange(n), :, y] += 1.0
    return z - np.log(np.exp(z).sum(-1, keepdims=True)), y


@pytest.mark.parametrize("backend", ["threading", "loky"])
@pytest.mark.parametrize("tied", [False, True])
def test_local_backends_equal_single_process(backend: str, tied: bool) -> None:
    x, y = _data(tied=tied)
    w = simplex_grid(4, step=0.1)
    groups = np.arange(x.shape[0]) % 3
    one = grid_accuracy(x, y, w, domain="prob", k=(1, 5), groups=groups)
    par = grid_accuracy_parallel(
        x, y, w, domain="prob", k=(1, 5), groups=groups, n_jobs=2, backend=backend, n_blocks=5
    )
    np.testing.assert_array_equal(par.correct, one.correct)
    np.testing.assert_array_equal(par.group_correct, one.group_correct)
    np.testing.assert_array_equal(par.weights, w)


def test_grid_search_parallel_same_result() -> None:
    x, y = _data(seed=3)
    a = grid_search(x, y, domain="logit", step=0.1, folds=3, repeats=2, seed=1)
    b = grid_search(
        x, y, domain="logit", step=0.1, folds=3, repeats=2, seed=1, n_jobs=2, backend="threading"
    )
    assert a.to_dict() == b.to_dict()


def test_dask_cluster_equals_single_process() -> None:
    distributed = pytest.importorskip("distributed")
    x, y = _data(seed=5)
    w = simplex_grid(4, step=0.1)
    one = grid_accuracy(x, y, w, domain="logit", k=(1, 5))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        par = grid_accuracy_parallel(
            x, y, w, domain="logit", k=(1, 5), backend="dask", scheduler=cluster.scheduler_address
        )
        res = grid_search(
            x,
            y,
            domain="logit",
            step=0.1,
            folds=3,
            repeats=2,
            backend="dask",
            scheduler=cluster.scheduler_address,
        )
    np.testing.assert_array_equal(par.correct, one.correct)
    assert (
        res.to_dict() == grid_search(x, y, domain="logit", step=0.1, folds=3, repeats=2).to_dict()
    )


def test_cli_backend_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = []
    for s in synth.make_scores(n_videos=60, n_classes=5, n_segments=2, seed=2):
        p = tmp_path / f"{s.stream}.npz"
        meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
        save(p, s.scores, s.labels, s.video_ids, kind=s.kind, stream=s.stream, **meta)
        files.append(str(p))
    base = [
        "grid",
        *files,
        "--over",
        "components",
        "--step",
        "0.1",
        "--repeats",
        "2",
        "--format",
        "json",
    ]
    assert cli.main(base) == 0
    one = json.loads(capsys.readouterr().out)
    assert cli.main([*base, "--jobs", "2", "--backend", "threading"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert one == two
    assert cli.main([*base, "--backend", "loky", "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler is only used with --backend dask" in capsys.readouterr().err


def test_unreachable_scheduler_is_a_usage_error() -> None:
    pytest.importorskip("distributed")
    x, y = _data()
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        grid_accuracy_parallel(
            x,
            y,
            simplex_grid(4, step=0.5),
            domain="prob",
            backend="dask",
            scheduler="tcp://127.0.0.1:9",
        )
