"""Train one stream (RGB or flow) with TSN sampling and write fusionlab score files.

Command line::

    python -m trainers.train --stream rgb --data data/small --split 1 --segments 3 \\
        --epochs 12 --out runs/small-rgb

A run folder holds::

    RUN_DIR/config.json            the TrainConfig, the command line and the frame size used
    RUN_DIR/log.csv, log.jsonl     one row per epoch and phase: batch time, data time,
                                   loss, Prec@1, Prec@5, learning rate, micro-batch
    RUN_DIR/checkpoint.pt          the latest epoch (model, optimizer, random states)
    RUN_DIR/scores/<dataset>_split<N>_<stream>_e<EPOCH>.npz          test scores
    RUN_DIR/scores/<dataset>_split<N>_<stream>_<subset>_e<EPOCH>.npz  val / train scores

Score files are written only through :func:`fusionlab.scores.save`: per-video,
per-segment logits ``(n_videos, n_segments, n_classes)`` of the centre snippet
of every segment, ``kind="logit"``.

Everything random is seeded from ``--seed``: model initialisation and
dropout (torch), the data sampler (numpy, a generator per epoch), and the
global Python / numpy generators. ``--resume`` continues from the latest
checkpoint and produces the same scores as an uninterrupted run; it first
removes the temporary files (``.NAME.<random>[.ext].tmp``) that a run killed
while writing leaves beside its outputs.

Frames are resized to one size (``--resize N`` for N x N; by default the size
of the first frame of the first training video), so that videos of different
sizes (HMDB51 has several frame widths) batch together; data whose frames all
have one size is read unchanged.

Errors in the data (an unreadable frame) reach the command line as one line,
also when ``--num-workers`` loader processes read the frames.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import random
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.utils.data import DataLoader

import fusionlab
from fusionlab import scores as fscores
from fusionlab.output import atomic_path, atomic_write_text

from . import data as tdata
from .engine import EpochStats, Trainer, consensus, get_rng_state, set_rng_state
from .errors import CheckpointError, DataError, FusionlabError, UsageError
from .models import MODELS, SegmentalModel, build_model, load_pretrained

__all__ = ["RunResult", "TrainConfig", "lr_schedule", "main", "run"]

CHECKPOINT = "checkpoint.pt"
CHECKPOINT_FORMAT = "trainers.checkpoint"
#: Config fields that may differ between a run and its resumption.
RESUMABLE_CHANGES = frozenset(
    {
        "epochs",
        "eval_every",
        "save_train_scores",
        "num_workers",
        "device",
        "progress",
        "resume",
        "keep_checkpoints",
        "out",
        "data",
    }
)
LOG_FIELDS = (
    "epoch",
    "phase",
    "n",
    "loss",
    "prec1",
    "prec5",
    "batch_time",
    "data_time",
    "lr",
    "micro_batch",
    "seconds",
)


@dataclass
class TrainConfig:
    """Everything a run depends on, with defaults (written to ``RUN_DIR/config.json``).

    Attributes
    ----------
    stream : {"rgb", "flow"}
        RGB: one frame per segment (3 channels). Flow: a stack of
        ``flow_length`` x/y flow frames per segment (``2 * flow_length`` channels).
    data : str
        Data root (frame folders and split lists, see :mod:`trainers.data`).
    out : str
        Run folder.
    split : int
        Official split, 1-based.
    segments : int
        TSN segments per video (S).
    flow_length : int
        L, flow frames per snippet.
    model : {"smallcnn", "resnet18", "resnet50", "resnet101"}
    width : int
        First-block width of ``smallcnn``.
    dropout : float
    pretrained : str or None
        Local weights file; a flow stream gets the TSN cross-modality
        initialisation of its first layer from 3-channel weights.
    epochs, batch_size : int
        Batch size in videos (each gives S snippets).
    micro_batch : int or None
        Videos per forward pass (gradients accumulated); None = whole batch.
        Halved automatically on a CUDA out-of-memory error.
    optimizer : {"adamw", "sgd"}
    lr, min_lr, weight_decay, momentum : float
    schedule : {"cosine", "step", "constant"}
        After ``warmup_epochs`` of linear warm-up: cosine decay to ``min_lr``,
        or multiplication by ``gamma`` at each epoch in ``milestones``.
    warmup_epochs : float
    milestones : list of int
    gamma : float
    grad_clip : float or None
    label_smoothing : float
    resize : int or None
        Resize frames to ``resize x resize``. None: resize every frame to the
        (height, width) of the first frame of the first training video, so
        that frames of other sizes fit in one batch (frames of that size are
        read unchanged). The size used is ``frame_size`` in ``config.json``.
    crop : int or None
        Crop ``crop x crop`` (random in training, centre in testing); it must
        fit in the (resized) frames.
    flip : bool
        Random horizontal flips in training (off by default: they swap
        left/right motion classes).
    eval_every : int
        Evaluate and write score files every this many epochs (and after the last).
    save_train_scores : bool
        Also write scores of the training videos (subset "train").
    val_fraction : float
        Carve a stratified validation subset out of the training list and
        write its scores (subset "val").
    seed : int
    device : {"auto", "cpu", "cuda"}
    num_workers : int
        DataLoader worker processes (results do not depend on it).
    progress : bool
    keep_checkpoints : bool
        Keep ``checkpoint_e<EPOCH>.pt`` of every epoch, not only the latest.
    score_dtype : {"float32", "float16"}
    dataset : str or None
        Dataset name for score files (default: ``dataset.json`` name or the split format).
    rgb_dir, flow_x_dir, flow_y_dir, split_dir, rgb_glob, flow_x_glob, flow_y_glob : str or None
        Layout overrides, see :func:`trainers.data.find_layout`.
    split_format : {"auto", "hmdb51", "ucf101"}
    resume : bool
        Continue from ``RUN_DIR/checkpoint.pt``.
    """

    stream: Literal["rgb", "flow"] = "rgb"
    data: str = ""
    out: str = "runs/run"
    split: int = 1
    segments: int = 3
    flow_length: int = 10
    model: str = "smallcnn"
    width: int = 32
    dropout: float = 0.5
    pretrained: str | None = None
    epochs: int = 10
    batch_size: int = 16
    micro_batch: int | None = None
    optimizer: Literal["adamw", "sgd"] = "adamw"
    lr: float = 2e-3
    min_lr: float = 1e-5
    weight_decay: float = 1e-4
    momentum: float = 0.9
    schedule: Literal["cosine", "step", "constant"] = "cosine"
    warmup_epochs: float = 1.0
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    grad_clip: float | None = None
    label_smoothing: float = 0.0
    resize: int | None = None
    crop: int | None = None
    flip: bool = False
    eval_every: int = 1
    save_train_scores: bool = False
    val_fraction: float = 0.0
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    num_workers: int = 0
    progress: bool = True
    keep_checkpoints: bool = False
    score_dtype: Literal["float32", "float16"] = "float32"
    dataset: str | None = None
    rgb_dir: str | None = None
    flow_x_dir: str | None = None
    flow_y_dir: str | None = None
    split_dir: str | None = None
    rgb_glob: str | None = None
    flow_x_glob: str | None = None
    flow_y_glob: str | None = None
    split_format: Literal["auto", "hmdb51", "ucf101"] = "auto"
    resume: bool = False

    def validate(self) -> None:
        """Raise :class:`UsageError` naming the first option with an unusable value."""
        choices: dict[str, Sequence[Any]] = {
            "stream": ("rgb", "flow"),
            "model": MODELS,
            "optimizer": ("adamw", "sgd"),
            "schedule": ("cosine", "step", "constant"),
            "device": ("auto", "cpu", "cuda"),
            "score_dtype": ("float32", "float16"),
            "split_format": ("auto", "hmdb51", "ucf101"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise UsageError(
                    f"--{name.replace('_', '-')}: expected one of {', '.join(allowed)}, "
                    f"got {getattr(self, name)!r}"
                )
        positive = (
            "split",
            "segments",
            "flow_length",
            "width",
            "epochs",
            "batch_size",
            "eval_every",
        )
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise UsageError(
                    f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}"
                )
        for name in ("micro_batch", "resize", "crop"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {v}")
        if not self.data:
            raise UsageError("--data is required (a folder with frame folders and split lists)")
        if not self.lr > 0 or self.min_lr < 0 or self.weight_decay < 0:
            raise UsageError(
                f"--lr must be > 0 and --min-lr, --weight-decay >= 0, got {self.lr}, "
                f"{self.min_lr}, {self.weight_decay}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise UsageError(f"--dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise UsageError(f"--val-fraction must be in [0, 1), got {self.val_fraction}")
        if self.warmup_epochs < 0 or self.num_workers < 0:
            raise UsageError("--warmup-epochs and --num-workers must be >= 0")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise UsageError("--device cuda: no CUDA device is available here")


def lr_schedule(cfg: TrainConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """The learning rate of every global step (0-based), a pure function.

    Linear warm-up from ``lr / warmup_steps`` to ``lr`` over ``warmup_epochs``,
    then cosine decay to ``min_lr`` at the end of training, a step decay
    (``lr * gamma ** k`` after the k-th milestone epoch), or constant.

    Examples
    --------
    >>> f = lr_schedule(TrainConfig(data="d", lr=1.0, min_lr=0.0, epochs=2, warmup_epochs=1), 2)
    >>> [round(f(s), 3) for s in range(4)]
    [0.5, 1.0, 1.0, 0.5]
    """
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = round(cfg.warmup_epochs * steps_per_epoch)
    milestones = sorted(m * steps_per_epoch for m in cfg.milestones)

    def at(step: int) -> float:
        if step < warm:
            return cfg.lr * (step + 1) / warm
        if cfg.schedule == "cosine":
            span = max(1, total - warm)
            p = min(1.0, (step - warm) / span)
            return cfg.min_lr + (cfg.lr - cfg.min_lr) * 0.5 * (1.0 + math.cos(math.pi * p))
        if cfg.schedule == "step":
            k = sum(1 for m in milestones if step >= m)
            return float(cfg.lr * cfg.gamma**k)
        return cfg.lr

    return at


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    out : Path
        The run folder.
    score_files : list of Path
        Score files written by this call, in order.
    log : list of dict
        Every log row (also of earlier, resumed parts of the run).
    epochs : int
        Epochs completed.
    """

    out: Path
    score_files: list[Path]
    log: list[dict[str, Any]]
    epochs: int


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _scoped_global_rng(seed: int) -> Iterator[None]:
    """Seed torch, numpy and Python's global generators; restore them on exit."""
    saved = get_rng_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (for user code; restored on exit)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        set_rng_state(saved)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "data"


def score_file_name(dataset: str, split: int, stream: str, subset: str, epoch: int) -> str:
    """File name of a score file inside ``RUN_DIR/scores``.

    Examples
    --------
    >>> score_file_name("synthetic-small", 1, "rgb", "test", 12)
    'synthetic-small_split1_rgb_e012.npz'
    >>> score_file_name("hmdb51", 2, "flow", "val", 3)
    'hmdb51_split2_flow_val_e003.npz'
    """
    sub = "" if subset == "test" else f"_{subset}"
    return f"{_safe(dataset)}_split{split}_{stream}{sub}_e{epoch:03d}.npz"


def _versions() -> dict[str, str]:
    out = {"fusionlab": fusionlab.__version__, "torch": torch.__version__, "numpy": np.__version__}
    with contextlib.suppress(Exception):
        import cv2

        out["opencv"] = str(cv2.__version__)
    return out


class _RunLog:
    """Per-epoch rows written as CSV and JSONL (rewritten atomically each time)."""

    def __init__(self, out: Path, rows: list[dict[str, Any]]) -> None:
        self.out = out
        self.rows = rows

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)

    def write(self) -> None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=LOG_FIELDS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for row in self.rows:
            if "phase" in row:
                w.writerow({k: _fmt(row.get(k)) for k in LOG_FIELDS})
        atomic_write_text(self.out / "log.csv", buf.getvalue())
        atomic_write_text(
            self.out / "log.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.rows)
        )


def _fmt(v: Any) -> Any:
    return round(v, 6) if isinstance(v, float) else ("" if v is None else v)


def _row(epoch: int, phase: str, s: EpochStats, micro_batch: int | None) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "phase": phase,
        "n": s.n,
        "loss": s.loss,
        "prec1": s.prec1,
        "prec5": s.prec5,
        "batch_time": s.batch_time,
        "data_time": s.data_time,
        "lr": s.lr,
        "micro_batch": micro_batch,
        "seconds": s.seconds,
    }


@dataclass(frozen=True)
class _Failure:
    """A :class:`FusionlabError` raised in a loader worker, sent to the main process as data.

    DataLoader workers re-raise exceptions as the same type but with the
    worker's whole traceback as the message; carrying the type and the
    message instead lets the main process raise the original one-line error.
    """

    kind: type[FusionlabError]
    message: str

    def error(self) -> FusionlabError:
        """The original error (a :class:`DataError` if its type needs other arguments)."""
        try:
            return self.kind(self.message)
        except TypeError:
            return DataError(self.message)


class _WorkerSafe:
    """A dataset for loader workers that returns a :class:`_Failure` instead of raising."""

    def __init__(self, dataset: tdata.SnippetDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tdata.SampleKey) -> tuple[npt.NDArray[np.float32], int] | _Failure:
        try:
            return self.dataset[key]
        except FusionlabError as exc:
            return _Failure(type(exc), str(exc))


def _collate(
    batch: list[tuple[npt.NDArray[np.float32], int] | _Failure],
) -> tuple[torch.Tensor, torch.Tensor] | _Failure:
    items: list[tuple[npt.NDArray[np.float32], int]] = []
    for b in batch:
        if isinstance(b, _Failure):
            return b
        items.append(b)
    x = torch.from_numpy(np.stack([b[0] for b in items]))
    y = torch.tensor([b[1] for b in items], dtype=torch.int64)
    return x, y


class _Checked:
    """Iterate a DataLoader, raising the original error of a failed worker batch."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        it = iter(self.loader)
        for batch in it:
            if isinstance(batch, _Failure):
                err = batch.error()
                del it  # stop the workers now, not when the traceback goes
                raise err
            yield batch


#: Temporary files of fusionlab.output.atomic_path: ``.NAME.<8 random>[.ext].tmp``.
_TEMPORARY = re.compile(r"^\.(?P<dest>.+)\.[a-z0-9_]{8}(?:\.[A-Za-z0-9]+)?\.tmp$")
_RUN_FILES = re.compile(r"^(config\.json|log\.csv|log\.jsonl|checkpoint(_e\d+)?\.pt)$")


def _remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove the temporary files that a killed run left beside its outputs.

    Only temporaries of the run's own files are removed: ``config.json``,
    ``log.csv``, ``log.jsonl``, ``checkpoint*.pt`` in ``out`` and ``*.npz``
    score files in ``out/scores``.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed: list[Path] = []
    for folder, own in ((out, _RUN_FILES), (out / "scores", re.compile(r".+\.npz$"))):
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            m = _TEMPORARY.match(p.name)
            if m and own.match(m.group("dest")) and p.is_file():
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
                    removed.append(p)
    return removed


@dataclass
class _Subset:
    """Videos evaluated after an epoch, and the loader of their centre snippets."""

    name: str
    videos: list[tdata.VideoRecord]
    loader: _Checked


@dataclass
class _Data:
    """Everything :func:`run` reads: layout, split, loaders."""

    layout: tdata.DataLayout
    split: tdata.Split
    channels: int
    frame_size: tuple[int, int]
    train_sampler: tdata.TSNBatchSampler
    train_loader: _Checked
    subsets: list[_Subset]
    n_videos: dict[str, int]


def _prepare_data(cfg: TrainConfig, *, pin_memory: bool) -> _Data:
    layout = tdata.find_layout(
        cfg.data,
        rgb_dir=cfg.rgb_dir,
        flow_x_dir=cfg.flow_x_dir,
        flow_y_dir=cfg.flow_y_dir,
        split_dir=cfg.split_dir,
        rgb_glob=cfg.rgb_glob,
        flow_x_glob=cfg.flow_x_glob,
        flow_y_glob=cfg.flow_y_glob,
        split_format=cfg.split_format,
        dataset=cfg.dataset,
    )
    split = tdata.read_split(layout, cfg.split)
    length = 1 if cfg.stream == "rgb" else cfg.flow_length
    train = tdata.load_videos(layout, split.train, stream=cfg.stream)
    test = tdata.load_videos(layout, split.test, stream=cfg.stream)
    # One frame size for every video (and every subset), checked here, in the
    # main process, before any loader worker starts.
    size = (
        (cfg.resize, cfg.resize)
        if cfg.resize is not None
        else tdata.frame_size(train[0], stream=cfg.stream)
    )
    if cfg.crop is not None and (cfg.crop > size[0] or cfg.crop > size[1]):
        how = "--resize" if cfg.resize is not None else f"the first video {train[0].video_id!r}"
        raise UsageError(
            f"--crop {cfg.crop} is larger than the frames ({size[0]}x{size[1]}, from {how}); "
            "choose a smaller --crop or a larger --resize"
        )
    val: list[tdata.VideoRecord] = []
    if cfg.val_fraction > 0:
        tr, va = tdata.validation_split(
            [v.label for v in train], fraction=cfg.val_fraction, seed=cfg.seed
        )
        train, val = [train[i] for i in tr], [train[i] for i in va]

    def loader(
        videos: list[tdata.VideoRecord], *, training: bool
    ) -> tuple[tdata.TSNBatchSampler, _Checked, int]:
        ds = tdata.SnippetDataset(
            videos, stream=cfg.stream, length=length, resize=size, crop=cfg.crop
        )
        sampler = tdata.TSNBatchSampler(
            [v.n_frames(cfg.stream) for v in videos],
            n_segments=cfg.segments,
            length=length,
            batch_size=cfg.batch_size,
            train=training,
            seed=cfg.seed,
            flip=cfg.flip and training,
        )
        dl: DataLoader[Any] = DataLoader(
            # map-style: any object with __getitem__ / __len__
            _WorkerSafe(ds) if cfg.num_workers > 0 else ds,  # type: ignore[arg-type]
            batch_sampler=sampler,
            num_workers=cfg.num_workers,
            collate_fn=_collate,
            pin_memory=pin_memory,
        )
        return sampler, _Checked(dl), ds.channels

    train_sampler, train_loader, channels = loader(train, training=True)
    subsets = [_Subset("test", test, loader(test, training=False)[1])]
    if val:
        subsets.append(_Subset("val", val, loader(val, training=False)[1]))
    if cfg.save_train_scores:
        subsets.append(_Subset("train", train, loader(train, training=False)[1]))
    return _Data(
        layout=layout,
        split=split,
        channels=channels,
        frame_size=size,
        train_sampler=train_sampler,
        train_loader=train_loader,
        subsets=subsets,
        n_videos={"train": len(train), "val": len(val), "test": len(test)},
    )


def _optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def _load_checkpoint(path: Path, cfg: TrainConfig) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"{path}: unreadable checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a checkpoint of trainers.train")
    now = asdict(cfg)
    for k, v in state["config"].items():
        if k not in RESUMABLE_CHANGES and k in now and now[k] != v:
            raise CheckpointError(
                f"{path}: the checkpoint was made with {k}={v!r}, this run has {k}={now[k]!r}; "
                "resume with the same options or choose another --out"
            )
    return state


class _Callbacks:
    """The built-in callbacks of a run: evaluate + write scores + log, checkpoint, OOM log."""

    def __init__(
        self, cfg: TrainConfig, data: _Data, runlog: _RunLog, say: Callable[[str], None]
    ) -> None:
        self.cfg = cfg
        self.data = data
        self.runlog = runlog
        self.say = say
        self.written: list[Path] = []
        what = (
            "1 RGB frame" if cfg.stream == "rgb" else f"{cfg.flow_length} stacked x/y flow frames"
        )
        crop = f"; centre crop {cfg.crop}" if cfg.crop else ""
        self.sampling = f"tsn: centre snippet of each of {cfg.segments} segments; {what}{crop}"
        self.created_by = (
            f"trainers.train (fusionlab {fusionlab.__version__}, torch {torch.__version__})"
        )

    def evaluate(self, tr: Trainer) -> None:
        """Log the training epoch; every ``eval_every`` epochs score all subsets and save them."""
        cfg, e = self.cfg, tr.epoch
        stats: EpochStats = tr.last["train"]
        self.runlog.add(_row(e, "train", stats, tr.micro_batch))
        msg = f"epoch {e}/{cfg.epochs} train loss {stats.loss:.4f} prec@1 {stats.prec1:.2f}"
        if e % cfg.eval_every == 0 or e == cfg.epochs:
            for sub in self.data.subsets:
                logits, labels, ev = tr.predict(sub.loader, desc=f"epoch {e} {sub.name}")
                self.runlog.add(_row(e, sub.name, ev, tr.micro_batch))
                self._save(sub, logits, labels, e)
                msg += f" | {sub.name} loss {ev.loss:.4f} prec@1 {ev.prec1:.2f}"
                msg += f" prec@5 {ev.prec5:.2f}"
        self.say(msg + f" | lr {stats.lr:.3g} | {stats.seconds:.1f} s")
        self.runlog.write()

    def _save(
        self,
        sub: _Subset,
        logits: npt.NDArray[np.float32],
        labels: npt.NDArray[np.int64],
        epoch: int,
    ) -> None:
        cfg, layout = self.cfg, self.data.layout
        name = score_file_name(layout.dataset, cfg.split, cfg.stream, sub.name, epoch)
        path = Path(cfg.out) / "scores" / name
        fscores.save(
            path,
            logits.astype(cfg.score_dtype),
            labels,
            [v.video_id for v in sub.videos],
            kind="logit",
            stream=cfg.stream,
            class_names=self.data.split.class_names,
            model=cfg.model,
            dataset=layout.dataset,
            split=str(cfg.split),
            subset=sub.name,
            epoch=epoch,
            sampling=self.sampling,
            created_by=self.created_by,
        )
        self.written.append(path)

    def checkpoint(self, tr: Trainer) -> None:
        """Write ``checkpoint.pt`` (and ``checkpoint_e<EPOCH>.pt`` when keeping them)."""
        state = {
            "format": CHECKPOINT_FORMAT,
            "version": 1,
            "config": asdict(self.cfg),
            "trainer": tr.state_dict(),
            "sampler": self.data.train_sampler.state_dict(),
            "log": self.runlog.rows,
        }
        names = [CHECKPOINT]
        if self.cfg.keep_checkpoints:
            names.append(f"checkpoint_e{tr.epoch:03d}.pt")
        for name in names:
            with atomic_path(Path(self.cfg.out) / name, suffix=".pt") as tmp:
                torch.save(state, tmp)

    def oom(self, tr: Trainer) -> None:
        """Record an out-of-memory fallback in the JSONL log."""
        self.runlog.add({"event": "oom", **tr.last["oom"]})
        self.runlog.write()


# --------------------------------------------------------------------------- the run


def run(
    cfg: TrainConfig,
    *,
    model: nn.Module | None = None,
    argv: Sequence[str] | None = None,
    callbacks: dict[str, list[Callable[[Trainer], None]]] | None = None,
    log: Callable[[str], None] | None = None,
) -> RunResult:
    """Train one stream and write its score files; the API behind ``python -m trainers.train``.

    Parameters
    ----------
    cfg : TrainConfig
    model : nn.Module, optional
        A snippet network ``(n, channels, h, w) -> (n, n_classes)`` to use
        instead of ``build_model(cfg.model, ...)`` (``--pretrained`` still
        applies). It is wrapped in a :class:`~trainers.models.SegmentalModel`.
    argv : sequence of str, optional
        The command line, recorded in ``config.json``.
    callbacks : dict mapping event to list of callables, optional
        Extra :class:`~trainers.engine.Trainer` callbacks, run after the
        built-in ones (``on_epoch_end`` ones after the checkpoint is written).
    log : callable str -> None, optional
        Where progress messages go (default: stderr).

    Returns
    -------
    RunResult

    Raises
    ------
    UsageError, DataError, CheckpointError
        Bad options, a wrong data layout, or a checkpoint that does not fit.

    Notes
    -----
    Global random generators (torch, numpy, Python) are seeded for the run
    and restored when it ends; thread counts and other global settings are
    left alone (the command line sets them).
    """
    cfg.validate()
    say = log or (lambda m: print(m, file=sys.stderr))
    out = Path(cfg.out)
    ckpt_path = out / CHECKPOINT
    if ckpt_path.exists() and not cfg.resume:
        raise UsageError(
            f"{out}: holds a checkpoint of an earlier run; pass --resume to continue it or "
            "choose another --out"
        )
    state = _load_checkpoint(ckpt_path, cfg) if cfg.resume and ckpt_path.exists() else None
    if cfg.resume:
        stale = _remove_stale_temporaries(out)
        if stale:
            say(f"removed {len(stale)} temporary files left by the interrupted run")
    use_cuda = cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    data = _prepare_data(cfg, pin_memory=use_cuda)
    n_classes = len(data.split.class_names)
    with _scoped_global_rng(cfg.seed):
        net = model
        if net is None:
            net = build_model(
                cfg.model,
                in_channels=data.channels,
                n_classes=n_classes,
                width=cfg.width,
                dropout=cfg.dropout,
            )
        if cfg.pretrained:
            info = load_pretrained(net, cfg.pretrained)
            cm = info["cross_modality"]
            say(f"loaded {info['loaded']} tensors from {cfg.pretrained}")
            if cm:
                say(f"cross-modality initialisation of {cm} for {data.channels} channels")
        seg = SegmentalModel(net).to(device)
        smoothing = cfg.label_smoothing

        def loss_fn(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return nn.functional.cross_entropy(consensus(output), target, label_smoothing=smoothing)

        trainer = Trainer(
            model=seg,
            optimizer=_optimizer(cfg, seg),
            lr_at=lr_schedule(cfg, len(data.train_sampler)),
            device=device,
            loss_fn=loss_fn,
            micro_batch=cfg.micro_batch,
            grad_clip=cfg.grad_clip,
            progress=cfg.progress,
            log=say,
        )
        rows: list[dict[str, Any]] = []
        if state is not None:
            trainer.load_state_dict(state["trainer"])
            data.train_sampler.load_state_dict(state["sampler"])
            rows = list(state["log"])
            say(f"resumed {out} after epoch {trainer.epoch} (step {trainer.step})")
        elif cfg.resume:
            say(f"no checkpoint in {out}; starting from epoch 0")
        argv_list = list(sys.argv if argv is None else argv)
        record = {
            "config": asdict(cfg),
            "argv": argv_list,
            "command": shlex.join(argv_list),
            "versions": _versions(),
            "device": str(device),
            "dataset": data.layout.dataset,
            "split_format": data.layout.split_format,
            "n_classes": n_classes,
            "n_videos": data.n_videos,
            "frame_size": list(data.frame_size),
        }
        atomic_write_text(out / "config.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
        runlog = _RunLog(out, rows)
        cbs = _Callbacks(cfg, data, runlog, say)
        trainer.add_callback("on_epoch_end", cbs.evaluate)
        trainer.add_callback("on_epoch_end", cbs.checkpoint)
        trainer.add_callback("on_oom", cbs.oom)
        for event, fns in (callbacks or {}).items():
            for fn in fns:
                trainer.add_callback(event, fn)

        def loader_for_epoch(epoch: int) -> _Checked:
            data.train_sampler.set_epoch(epoch)
            return data.train_loader

        trainer.fit(loader_for_epoch, epochs=cfg.epochs)
        runlog.write()
    return RunResult(out=out, score_files=cbs.written, log=runlog.rows, epochs=trainer.epoch)


# --------------------------------------------------------------------------- command line


def _opt_int(s: str) -> int | None:
    return None if s.lower() in ("none", "") else int(s)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m trainers.train`` (one per :class:`TrainConfig` field)."""
    d = TrainConfig()
    g = parser.add_argument_group("data")
    g.add_argument("--stream", choices=["rgb", "flow"], required=True, help="which stream to train")
    g.add_argument("--data", required=True, help="data root: frame folders and split lists")
    g.add_argument("--split", type=int, default=d.split, help="official split, 1-based (default 1)")
    g.add_argument(
        "--segments", type=int, default=d.segments, help="TSN segments per video (default 3)"
    )
    g.add_argument(
        "--flow-length", type=int, default=d.flow_length, help="L, stacked flow frames (default 10)"
    )
    g.add_argument(
        "--resize",
        type=_opt_int,
        default=d.resize,
        help="resize frames to N x N (default: to the first training video's frame size)",
    )
    g.add_argument(
        "--crop",
        type=_opt_int,
        default=d.crop,
        help="crop N x N (random in training, centre in testing)",
    )
    g.add_argument("--flip", action="store_true", help="random horizontal flips in training")
    g.add_argument(
        "--val-fraction",
        type=float,
        default=d.val_fraction,
        help="stratified validation share of the training list; writes 'val' scores",
    )
    g.add_argument("--dataset", default=None, help="dataset name in score files")
    g.add_argument("--split-format", choices=["auto", "hmdb51", "ucf101"], default="auto")
    for name in (
        "rgb-dir",
        "flow-x-dir",
        "flow-y-dir",
        "split-dir",
        "rgb-glob",
        "flow-x-glob",
        "flow-y-glob",
    ):
        g.add_argument(
            f"--{name}", default=None, help="layout override (default: found automatically)"
        )
    m = parser.add_argument_group("model and optimisation")
    m.add_argument(
        "--model", choices=list(MODELS), default=d.model, help="network (default smallcnn)"
    )
    m.add_argument("--width", type=int, default=d.width, help="smallcnn width (default 32)")
    m.add_argument("--dropout", type=float, default=d.dropout, help="dropout before the classifier")
    m.add_argument("--pretrained", default=None, help="local weights file (never downloaded)")
    m.add_argument("--epochs", type=int, default=d.epochs)
    m.add_argument("--batch-size", type=int, default=d.batch_size, help="videos per batch")
    m.add_argument(
        "--micro-batch",
        type=_opt_int,
        default=d.micro_batch,
        help="videos per forward pass, gradients accumulated (halved on CUDA OOM)",
    )
    m.add_argument("--optimizer", choices=["adamw", "sgd"], default=d.optimizer)
    m.add_argument("--lr", type=float, default=d.lr)
    m.add_argument("--min-lr", type=float, default=d.min_lr)
    m.add_argument("--weight-decay", type=float, default=d.weight_decay)
    m.add_argument("--momentum", type=float, default=d.momentum)
    m.add_argument("--schedule", choices=["cosine", "step", "constant"], default=d.schedule)
    m.add_argument("--warmup-epochs", type=float, default=d.warmup_epochs)
    m.add_argument("--milestones", type=int, nargs="*", default=[], help="step schedule epochs")
    m.add_argument("--gamma", type=float, default=d.gamma)
    m.add_argument("--grad-clip", type=float, default=None)
    m.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    r = parser.add_argument_group("run")
    r.add_argument("--out", required=True, help="run folder")
    r.add_argument("--seed", type=int, default=d.seed)
    r.add_argument(
        "--eval-every", type=int, default=d.eval_every, help="epochs between evaluations"
    )
    r.add_argument(
        "--save-train-scores", action="store_true", help="also write 'train' subset scores"
    )
    r.add_argument("--score-dtype", choices=["float32", "float16"], default=d.score_dtype)
    r.add_argument("--device", choices=["auto", "cpu", "cuda"], default=d.device)
    r.add_argument("--num-workers", type=int, default=d.num_workers, help="DataLoader workers")
    r.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: min(4, CPU count))"
    )
    r.add_argument("--keep-checkpoints", action="store_true", help="keep a checkpoint per epoch")
    r.add_argument("--resume", action="store_true", help="continue from RUN_DIR/checkpoint.pt")
    r.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` of parsed command-line options."""
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    return TrainConfig(**values)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m trainers.train``; returns the exit status.

    Sets the process-wide options a library must not: torch CPU threads and
    deterministic algorithms.
    """
    parser = argparse.ArgumentParser(
        prog="python -m trainers.train",
        description="Train an RGB or flow stream with TSN sampling; write fusionlab score files.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads or min(4, os.cpu_count() or 1))
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    with contextlib.suppress(Exception):
        import cv2

        cv2.setNumThreads(1)
    t0 = time.perf_counter()
    try:
        result = run(
            config_from_args(args),
            argv=[
                sys.executable,
                "-m",
                "trainers.train",
                *(sys.argv[1:] if argv is None else argv),
            ],
        )
    except FusionlabError as exc:
        print(f"trainers.train: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("trainers.train: interrupted; continue with --resume", file=sys.stderr)
        return 130
    print(
        f"{result.epochs} epochs in {time.perf_counter() - t0:.1f} s; "
        f"{len(result.score_files)} score files in {result.out / 'scores'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
