"""Synthetic score sets where the right answer is known.

The generative model, for video ``n`` of class ``y``, stream ``s`` and segment
``j`` (all noise standard normal and independent unless stated)::

    logits[n, s, j, :] = strength[s, j] * class_gain[s, y] * onehot(y)
                         + video_noise[s] * u[n, s, :]      # shared by the segments of a stream
                         + common_noise * g[n, :]           # shared by every stream and segment
                         + e[n, s, j, :]

* ``strength[s, j]`` sets how informative each stream and segment is;
* ``class_gain[s, c]`` (log-normal with spread ``class_spread``, drawn
  independently per stream) makes some classes easier for one stream and
  harder for the other, which is what makes fusion pay off per class;
* ``u`` correlates the errors of the segments of one stream, as real
  segments of one video are correlated; ``g`` correlates the errors of all
  streams (a video that is hard for one stream tends to be hard for all).

**Test-time views.** With ``views=(T, K)`` the S = T x K segments are views,
clip-major (entry ``t * K + k`` = clip ``t`` under crop ``k``, crop 0 the
centre; ``meta["views"]`` is written), and ``clip_noise[s] * w[n, s, t, :]``
adds noise shared by the crops of one clip. :func:`view_strengths` builds
clip- and crop-dependent strengths ``clip[t] * crop[k]``.

With ``video_noise = 0``, ``common_noise = 0`` and ``class_spread = 0`` every component is an
independent Gaussian observation, and the Bayes-optimal fusion is the logit
sum weighted by ``strength`` (weights proportional to the signal strengths):
a known answer for weight search and learned fusion.

``python -m fusionlab.synth OUT_DIR [--splits 1 2 3] [--seed S] [--kind K]`` writes
HMDB51-like files (:func:`hmdb51_like`, :func:`write_scores`); its command line is
:mod:`fusionlab.commands.synth`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..scores import ScoreKind, ScoreSet, build, save

__all__ = ["SynthConfig", "hmdb51_like", "make_scores", "view_strengths", "write_scores"]


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of a synthetic evaluation.

    Attributes
    ----------
    n_videos, n_classes, n_segments : int
        Videos are split as evenly as possible over the classes.
    streams : mapping of stream name to per-segment strengths
        ``{"rgb": (1.6, 1.6, 0.9), "flow": (...)}``: signal strength of each
        segment (a sequence of length ``n_segments``, or one float for all).
    video_noise : mapping of stream name to float
        Standard deviation of the noise shared by the segments of a video.
    common_noise : float
        Standard deviation of the noise shared by all streams of a video.
    class_spread : float
        Log-normal spread of the per-stream class gains (0 = all classes equal).
    kind : {"prob", "logit", "logprob"}
        Domain the scores are stored in.
    dtype : numpy float dtype name
    dataset, split, subset : str
        Written to ``meta``.
    seed : int
    views : (clips, crops) or None
        The segments are test-time views (``n_segments`` must be clips x crops).
    clip_noise : mapping of stream name to float
        Standard deviation of the noise shared by the crops of one clip (views only).
    noise_dtype : {"float64", "float32"}
        Dtype of the per-segment noise draws; ``float32`` halves the memory and
        time of large sets (different draws than ``float64`` for one seed).
    """

    n_videos: int = 1530
    n_classes: int = 51
    n_segments: int = 3
    streams: Mapping[str, float | Sequence[float]] = field(
        default_factory=lambda: {"rgb": 1.0, "flow": 1.0}
    )
    video_noise: Mapping[str, float] = field(default_factory=dict)
    common_noise: float = 0.0
    class_spread: float = 0.0
    kind: ScoreKind = "logit"
    dtype: str = "float32"
    dataset: str = "synthetic"
    split: str = "1"
    subset: str = "test"
    seed: int = 0
    views: tuple[int, int] | None = None
    clip_noise: Mapping[str, float] = field(default_factory=dict)
    noise_dtype: str = "float64"


def view_strengths(clips: Sequence[float], crops: Sequence[float]) -> tuple[float, ...]:
    """Per-view strengths ``clips[t] * crops[k]``, clip-major (entry ``t * K + k``).

    >>> view_strengths([1.0, 2.0], [1.0, 0.5])
    (1.0, 0.5, 2.0, 1.0)
    """
    return tuple(float(a * b) for a in clips for b in crops)


def _strengths(cfg: SynthConfig) -> npt.NDArray[np.float64]:
    rows = []
    for name, val in cfg.streams.items():
        a = np.broadcast_to(np.asarray(val, dtype=np.float64), (cfg.n_segments,))
        if a.shape != (cfg.n_segments,):
            raise UsageError(
                f"stream {name!r}: expected {cfg.n_segments} segment strengths, got {a.size}"
            )
        rows.append(a)
    return np.stack(rows)


def make_scores(config: SynthConfig | None = None, /, **overrides: Any) -> list[ScoreSet]:
    """Generate one :class:`ScoreSet` per stream, aligned, in memory.

    Parameters
    ----------
    config : SynthConfig, optional
    **overrides
        Fields of :class:`SynthConfig` to replace.

    Returns
    -------
    list of ScoreSet
        One per stream, in ``config.streams`` order; scores of shape
        (n_videos, n_segments, n_classes) in the domain ``config.kind``.

    Examples
    --------
    >>> sets = make_scores(n_videos=20, n_classes=4, n_segments=2, seed=1)
    >>> [s.stream for s in sets], sets[0].scores.shape
    (['rgb', 'flow'], (20, 2, 4))
    """
    cfg = config or SynthConfig()
    if overrides:
        cfg = SynthConfig(**{**cfg.__dict__, **overrides})
    if cfg.n_videos < 1 or cfg.n_classes < 2 or cfg.n_segments < 1 or not cfg.streams:
        raise UsageError("need n_videos >= 1, n_classes >= 2, n_segments >= 1 and a stream")
    if cfg.noise_dtype not in ("float32", "float64"):
        raise UsageError(f"noise_dtype must be float32 or float64, got {cfg.noise_dtype!r}")
    if cfg.views is not None and (min(cfg.views) < 1 or math.prod(cfg.views) != cfg.n_segments):
        raise UsageError(f"views {cfg.views} must be positive and multiply to n_segments")
    rng = np.random.default_rng(cfg.seed)
    n, c, s = cfg.n_videos, cfg.n_classes, cfg.n_segments
    strength = _strengths(cfg)
    labels = np.arange(n) % c
    rng.shuffle(labels)
    video_ids = np.array([f"v{i:06d}_c{labels[i]:03d}" for i in range(n)])
    class_names = np.array([f"class_{k:03d}" for k in range(c)])
    common = cfg.common_noise * rng.standard_normal((n, 1, c))
    out = []
    for si, name in enumerate(cfg.streams):
        gain = np.exp(cfg.class_spread * rng.standard_normal(c) - cfg.class_spread**2 / 2)
        signal = strength[si][None, :, None] * gain[labels][:, None, None]
        onehot = np.zeros((n, 1, c))
        onehot[np.arange(n), 0, labels] = 1.0
        shared = cfg.video_noise.get(name, 0.0) * rng.standard_normal((n, 1, c))
        nd = np.dtype(cfg.noise_dtype)
        logits = (signal * onehot + shared + common).astype(nd, copy=False)
        logits = logits + rng.standard_normal((n, s, c), dtype=nd)
        if cfg.views is not None and cfg.clip_noise.get(name, 0.0):
            t, k = cfg.views
            w = rng.standard_normal((n, t, 1, c), dtype=nd)
            w *= cfg.clip_noise[name]
            logits.reshape(n, t, k, c)[...] += w  # shared by the crops of a clip
        views = None if cfg.views is None else {"clips": cfg.views[0], "crops": cfg.views[1]}
        scores = _to_kind(logits, cfg.kind).astype(cfg.dtype)
        out.append(
            build(
                scores,
                labels,
                video_ids,
                kind=cfg.kind,
                stream=name,
                class_names=class_names,
                model="fusionlab.synth",
                dataset=cfg.dataset,
                split=cfg.split,
                subset=cfg.subset,
                sampling=f"synthetic, {s} segments",
                views=views,
                created_by="fusionlab.synth",
                synth={
                    "seed": cfg.seed,
                    "strength": strength[si].tolist(),
                    "video_noise": cfg.video_noise.get(name, 0.0),
                    "common_noise": cfg.common_noise,
                    "class_spread": cfg.class_spread,
                },
            )
        )
    return out


def _to_kind(logits: npt.NDArray[np.float64], kind: str) -> npt.NDArray[np.float64]:
    if kind == "logit":
        return logits
    z = logits - logits.max(axis=-1, keepdims=True)
    logp: npt.NDArray[np.float64] = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    if kind == "logprob":
        return logp
    p = np.exp(logp)
    out: npt.NDArray[np.float64] = p / p.sum(axis=-1, keepdims=True)
    return out


def hmdb51_like(*, split: str = "1", seed: int = 0, kind: ScoreKind = "prob") -> SynthConfig:
    """An HMDB51 split-1-shaped evaluation: 1530 test videos, 51 classes, rgb + flow, 3 segments.

    Strengths are set so that single streams land near the accuracies of the
    TSN paper on HMDB51 (RGB ~50 %, flow ~57 %, mean fusion ~69 %), with the
    third segment less informative than the first two.
    """
    return SynthConfig(
        n_videos=1530,
        n_classes=51,
        n_segments=3,
        streams={"rgb": (3.2, 3.1, 2.6), "flow": (3.5, 3.4, 2.9)},
        video_noise={"rgb": 0.9, "flow": 0.9},
        common_noise=0.7,
        class_spread=0.35,
        kind=kind,
        dtype="float32",
        dataset="hmdb51-sim",
        split=split,
        subset="test",
        seed=seed,
    )


def write_scores(
    out_dir: str | os.PathLike[str], config: SynthConfig, *, prefix: str | None = None
) -> list[Path]:
    """Generate ``config`` and write one file per stream into ``out_dir``.

    Files are named ``{prefix}_{stream}.npz`` with ``prefix`` defaulting to
    ``{dataset}_split{split}_{subset}``.
    """
    sets = make_scores(config)
    prefix = prefix or f"{config.dataset}_split{config.split}_{config.subset}"
    paths = []
    for s in sets:
        p = Path(out_dir) / f"{prefix}_{s.stream}.npz"
        meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
        save(
            p,
            s.scores,
            s.labels,
            s.video_ids,
            kind=s.kind,
            stream=s.stream,
            class_names=s.class_names,
            **meta,
        )
        paths.append(p)
    return paths
