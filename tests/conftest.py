"""Shared fixtures: small, valid score files written the way other tools would write them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def raw_arrays(
    n: int = 12,
    s: int = 3,
    c: int = 4,
    *,
    seed: int = 0,
    stream: str = "rgb",
    kind: str = "prob",
    **meta: Any,
) -> dict[str, Any]:
    """Arrays of a valid score file, before writing (tests corrupt them)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % c
    logits = rng.normal(size=(n, s, c)) + 2.0 * np.eye(c)[labels][:, None, :]
    scores = softmax(logits) if kind == "prob" else logits
    m = {
        "format": "fusionlab.scores",
        "version": 1,
        "stream": stream,
        "kind": kind,
        "dataset": "toy",
        "split": "1",
        "subset": "test",
    }
    m.update(meta)
    return {
        "scores": scores.astype(np.float32),
        "labels": labels.astype(np.int64),
        "video_ids": np.array([f"vid{i:03d}" for i in range(n)]),
        "class_names": np.array([f"c{j}" for j in range(c)]),
        "meta": np.array(json.dumps(m)),
    }


def write_raw(path: Path, arrays: dict[str, Any]) -> Path:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """``make_file(name, **raw_arrays kwargs, drop=(...), replace={...})`` -> path of an npz."""

    def _make(
        name: str = "rgb.npz",
        *,
        drop: tuple[str, ...] = (),
        replace: dict[str, Any] | None = None,
        **kw: Any,
    ) -> Path:
        arrays = raw_arrays(**kw)
        for k in drop:
            arrays.pop(k)
        arrays.update(replace or {})
        return write_raw(tmp_path / name, arrays)

    return _make
