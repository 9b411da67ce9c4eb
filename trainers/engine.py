"""A model-agnostic training loop with callbacks (in the manner of minGPT's trainer).

The :class:`Trainer` knows nothing of the network or the data: it takes a
module whose output is class logits ``(batch, n_classes)`` or per-segment
logits ``(batch, n_segments, n_classes)``, an optimizer, a learning-rate
function of the global step, and batches ``(x, y)``. Logging, evaluation,
score writing and checkpointing are callbacks registered for events.

Robustness:

* **Out of memory.** A batch is run as micro-batches whose gradients are
  accumulated (each micro-batch loss weighted by its share of the batch), so
  the effective batch size never changes. When a forward or backward pass
  raises a CUDA out-of-memory error (``torch.cuda.OutOfMemoryError``, or a
  ``RuntimeError`` whose message contains "out of memory"), the step is
  restarted with half the micro-batch, the event is reported to the
  ``on_oom`` callbacks, and the smaller micro-batch is kept. The restart
  begins from the state the step began in: the gradients, the module buffers
  (batch-norm running statistics) and torch's random generators (dropout)
  are restored, so training goes on exactly as if the smaller micro-batch
  had been used from that step on. (Batch-norm batch statistics are computed
  per micro-batch, so a run with another micro-batch is not the same run.)
  The parameters and the optimizer are only changed after the last
  micro-batch; an out-of-memory error in the optimizer step itself is not
  retried, as a smaller micro-batch would not make that step smaller.
* **Resume.** :meth:`Trainer.state_dict` holds the model, optimizer, global
  step, micro-batch size and the random states of torch (CPU and CUDA),
  numpy's and Python's global generators.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

__all__ = [
    "EpochStats",
    "Trainer",
    "consensus",
    "consensus_cross_entropy",
    "get_rng_state",
    "is_oom_error",
    "set_rng_state",
    "topk_correct",
]

Batch = tuple[torch.Tensor, torch.Tensor]
Callback = Callable[["Trainer"], None]
EVENTS = ("on_batch_end", "on_epoch_end", "on_oom", "on_train_end")


def consensus(output: torch.Tensor) -> torch.Tensor:
    """Video logits ``(batch, n_classes)``: the mean over segments when output is 3-D."""
    return output.mean(dim=1) if output.dim() == 3 else output


def consensus_cross_entropy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the segmental consensus (mean logits), averaged over the batch.

    Parameters
    ----------
    output : Tensor of shape (batch, n_segments, n_classes) or (batch, n_classes)
        Logits.
    target : Tensor of shape (batch,), int64
    """
    return nn.functional.cross_entropy(consensus(output), target)


def topk_correct(logits: torch.Tensor, target: torch.Tensor, ks: Iterable[int]) -> dict[int, int]:
    """How many rows have the target among the top k, ties to the lowest class index.

    Parameters
    ----------
    logits : Tensor of shape (batch, n_classes)
    target : Tensor of shape (batch,), int64
    ks : iterable of int

    Returns
    -------
    dict mapping k to a count

    Examples
    --------
    >>> topk_correct(torch.tensor([[1.0, 1.0, 0.0]]), torch.tensor([1]), [1, 2])
    {1: 0, 2: 1}
    """
    t = logits.gather(1, target[:, None])
    idx = torch.arange(logits.shape[1], device=logits.device)[None, :]
    ahead = (logits > t) | ((logits == t) & (idx < target[:, None]))
    rank = ahead.sum(dim=1)
    return {k: int((rank < k).sum()) for k in ks}


def is_oom_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a (CUDA) out-of-memory error."""
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc)


def _cuda_initialized() -> bool:
    fn = cast(Callable[[], bool], torch.cuda.is_initialized)
    return torch.cuda.is_available() and fn()


def get_rng_state() -> dict[str, Any]:
    """Random states of torch (CPU, CUDA), numpy's and Python's global generators.

    The result holds only tensors, lists, tuples, ints and strings, so it
    loads with ``torch.load(..., weights_only=True)``.
    """
    np_state = np.random.get_state(legacy=False)  # noqa: NPY002 (saved, not used)
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if _cuda_initialized() else None,
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            "key": [int(v) for v in np_state["state"]["key"]],
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "python": random.getstate(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`get_rng_state` returned."""
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state(  # noqa: NPY002 (restored, not used)
        {
            "bit_generator": n["bit_generator"],
            "state": {"key": np.asarray(n["key"], dtype=np.uint32), "pos": n["pos"]},
            "has_gauss": n["has_gauss"],
            "gauss": n["gauss"],
        }
    )
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))


@dataclass
class EpochStats:
    """Averages over one pass.

    Attributes
    ----------
    n : int
        Videos seen.
    loss : float
        Mean loss per video.
    prec1, prec5 : float
        Top-1 / top-5 accuracy of the segmental consensus, in percent.
    batch_time, data_time : float
        Mean seconds per batch: all of it, and waiting for data.
    seconds : float
        Wall time of the pass.
    lr : float
        Learning rate at the end of the pass.
    """

    n: int = 0
    loss: float = 0.0
    prec1: float = 0.0
    prec5: float = 0.0
    batch_time: float = 0.0
    data_time: float = 0.0
    seconds: float = 0.0
    lr: float = 0.0


@dataclass
class _Meter:
    n: int = 0
    batches: int = 0
    loss: float = 0.0
    c1: int = 0
    c5: int = 0
    batch_time: float = 0.0
    data_time: float = 0.0

    def stats(self, seconds: float, lr: float) -> EpochStats:
        n, b = max(self.n, 1), max(self.batches, 1)
        return EpochStats(
            n=self.n,
            loss=self.loss / n,
            prec1=100.0 * self.c1 / n,
            prec5=100.0 * self.c5 / n,
            batch_time=self.batch_time / b,
            data_time=self.data_time / b,
            seconds=seconds,
            lr=lr,
        )


@dataclass
class _StepState:
    """The state a training step starts from, restored before an out-of-memory retry.

    Attributes
    ----------
    buffers : list of (Tensor, Tensor)
        Every module buffer (batch-norm running statistics, counters) and a copy of it.
    cpu_rng, cuda_rng : Tensor or None
        torch's CPU generator state and that of the CUDA device trained on.
    """

    buffers: list[tuple[torch.Tensor, torch.Tensor]]
    cpu_rng: torch.Tensor
    cuda_rng: torch.Tensor | None


@dataclass
class Trainer:
    """Train any module on batches ``(x, y)`` with callbacks.

    Parameters
    ----------
    model : nn.Module
        Output logits ``(batch, n_classes)`` or ``(batch, n_segments, n_classes)``.
    optimizer : torch.optim.Optimizer
    lr_at : callable int -> float
        Learning rate of global step ``step`` (0-based); set before every step.
    device : torch.device
    loss_fn : callable, default :func:`consensus_cross_entropy`
        ``loss_fn(output, target)`` -> mean loss over the (micro-)batch.
    micro_batch : int, optional
        Videos per forward pass; None runs each batch whole (halved on OOM,
        see the module docstring).
    grad_clip : float, optional
        Clip the gradient norm to this value.
    progress : bool, default True
        tqdm progress bars on stderr.
    log : callable str -> None, optional
        Where messages (out-of-memory fallbacks) go; default: stderr.

    Attributes
    ----------
    epoch : int
        Training epochs completed.
    step : int
        Optimizer steps taken.
    last : dict
        What the latest event is about, for callbacks (``"train"``: the last
        :class:`EpochStats`; ``"oom"``: details of an out-of-memory fallback).
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    lr_at: Callable[[int], float]
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = consensus_cross_entropy
    micro_batch: int | None = None
    grad_clip: float | None = None
    progress: bool = True
    log: Callable[[str], None] | None = None
    epoch: int = 0
    step: int = 0
    last: dict[str, Any] = field(default_factory=dict)
    callbacks: dict[str, list[Callback]] = field(default_factory=lambda: defaultdict(list))

    # ------------------------------------------------------------------ callbacks

    def add_callback(self, event: str, fn: Callback) -> None:
        """Call ``fn(trainer)`` on ``event`` (one of ``EVENTS``)."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}, expected one of {', '.join(EVENTS)}")
        self.callbacks[event].append(fn)

    def trigger(self, event: str) -> None:
        for fn in self.callbacks.get(event, []):
            fn(self)

    def _say(self, msg: str) -> None:
        if self.log is not None:
            self.log(msg)
        else:
            import sys

            print(msg, file=sys.stderr)

    # ------------------------------------------------------------------ one step

    def _set_lr(self) -> float:
        lr = float(self.lr_at(self.step))
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def _halve(self, size: int, where: str) -> int:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if size <= 1:
            raise RuntimeError(
                f"out of memory during {where} with a micro-batch of 1 video; reduce the input "
                "size, the number of segments or the model"
            )
        new = size // 2
        self.micro_batch = new
        self.last["oom"] = {
            "epoch": self.epoch + 1,
            "step": self.step,
            "where": where,
            "from": size,
            "to": new,
        }
        self._say(
            f"out of memory during {where} (micro-batch {size}); retrying with micro-batch {new} "
            "and gradient accumulation (effective batch unchanged)"
        )
        self.trigger("on_oom")
        return new

    def _snapshot(self) -> _StepState:
        """What a partial step changes besides gradients: buffers and torch's generators."""
        return _StepState(
            buffers=[(b, b.detach().clone()) for b in self.model.buffers()],
            cpu_rng=torch.get_rng_state(),
            cuda_rng=(
                torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
            ),
        )

    def _restore(self, state: _StepState) -> None:
        with torch.no_grad():
            for buf, saved in state.buffers:
                buf.copy_(saved)
        torch.set_rng_state(state.cpu_rng)
        if state.cuda_rng is not None:
            torch.cuda.set_rng_state(state.cuda_rng, self.device)

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
        """One optimizer step on a batch, in micro-batches, halving them on OOM.

        After an out-of-memory error in a forward or backward pass, the
        gradients, module buffers and torch's random generators are put back
        as they were when the step began, and the step is run again with half
        the micro-batch: the result is that of a step run with the smaller
        micro-batch in the first place.

        Parameters
        ----------
        x : Tensor of shape (batch, ...)
        y : Tensor of shape (batch,), int64

        Returns
        -------
        loss : float
            Mean loss over the batch.
        logits : Tensor of shape (batch, n_classes)
            Consensus logits, detached, on the CPU.
        """
        b = int(x.shape[0])
        size = min(self.micro_batch or b, b)
        # A retry is possible only while the micro-batch can be halved.
        saved = self._snapshot() if size > 1 else None
        while True:
            try:
                total, logits = self._accumulate(x, y, size)
                break
            except Exception as exc:
                if not is_oom_error(exc):
                    raise
            # Outside the except clause, so the failed pass's tensors are freed first.
            self.optimizer.zero_grad(set_to_none=True)
            size = min(self._halve(size, "training"), b)
            if saved is not None:
                self._restore(saved)
        if self.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        return total, logits

    def _accumulate(
        self, x: torch.Tensor, y: torch.Tensor, size: int
    ) -> tuple[float, torch.Tensor]:
        """Forward and backward passes in micro-batches of ``size``; gradients accumulated."""
        b = int(x.shape[0])
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        outs = []
        for start in range(0, b, size):
            xb = x[start : start + size].to(self.device, non_blocking=True)
            yb = y[start : start + size].to(self.device, non_blocking=True)
            out = self.model(xb)
            loss = self.loss_fn(out, yb) * (xb.shape[0] / b)
            loss.backward()  # type: ignore[no-untyped-call]
            total += float(loss.detach())
            outs.append(consensus(out.detach()).float().cpu())
        return total, torch.cat(outs)

    # ------------------------------------------------------------------ epochs

    def _bar(self, loader: Any, desc: str) -> Any:
        from tqdm import tqdm

        return tqdm(loader, desc=desc, leave=False, disable=not self.progress, dynamic_ncols=True)

    def train_epoch(self, loader: Iterable[Batch]) -> EpochStats:
        """Train one epoch; runs ``on_batch_end`` callbacks; returns its averages."""
        self.model.train()
        meter = _Meter()
        t0 = tend = time.perf_counter()
        lr = self._set_lr()
        bar = self._bar(loader, f"epoch {self.epoch + 1} train")
        for x, y in bar:
            tdata = time.perf_counter()
            lr = self._set_lr()
            loss, logits = self.train_step(x, y)
            self.step += 1
            counts = topk_correct(logits, y.cpu(), (1, 5))
            n = int(y.shape[0])
            meter.n += n
            meter.batches += 1
            meter.loss += loss * n
            meter.c1 += counts[1]
            meter.c5 += counts[5]
            now = time.perf_counter()
            meter.data_time += tdata - tend
            meter.batch_time += now - tend
            tend = now
            bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.2e}")
            self.last["batch"] = {"loss": loss, "n": n}
            self.trigger("on_batch_end")
        self.epoch += 1
        stats = meter.stats(time.perf_counter() - t0, lr)
        self.last["train"] = stats
        return stats

    @torch.no_grad()
    def predict(
        self, loader: Iterable[Batch], *, desc: str = "eval"
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], EpochStats]:
        """Outputs of every sample of ``loader`` in evaluation mode.

        Returns
        -------
        outputs : ndarray of shape (n_videos, n_segments, n_classes), float32
            The model's logits, in loader order ((n_videos, n_classes) for a
            model without segments).
        labels : ndarray of shape (n_videos,), int64
        stats : EpochStats
            Loss and Prec@1 / Prec@5 of the segmental consensus.
        """
        self.model.eval()
        meter = _Meter()
        outs: list[torch.Tensor] = []
        labels: list[torch.Tensor] = []
        t0 = tend = time.perf_counter()
        for x, y in self._bar(loader, desc):
            tdata = time.perf_counter()
            b = int(x.shape[0])
            while True:
                size = min(self.micro_batch or b, b)
                try:
                    parts = [
                        self.model(x[s : s + size].to(self.device)).float().cpu()
                        for s in range(0, b, size)
                    ]
                    break
                except Exception as exc:
                    if not is_oom_error(exc):
                        raise
                self._halve(size, "evaluation")
            out = torch.cat(parts)
            logits = consensus(out)
            yc = y.cpu()
            counts = topk_correct(logits, yc, (1, 5))
            meter.n += b
            meter.batches += 1
            meter.loss += float(nn.functional.cross_entropy(logits, yc, reduction="sum"))
            meter.c1 += counts[1]
            meter.c5 += counts[5]
            now = time.perf_counter()
            meter.data_time += tdata - tend
            meter.batch_time += now - tend
            tend = now
            outs.append(out)
            labels.append(yc)
        lr = float(self.optimizer.param_groups[0]["lr"])
        stats = meter.stats(time.perf_counter() - t0, lr)
        return (
            torch.cat(outs).numpy().astype(np.float32),
            torch.cat(labels).numpy().astype(np.int64),
            stats,
        )

    def fit(self, loader_for_epoch: Callable[[int], Iterable[Batch]], *, epochs: int) -> None:
        """Train from :attr:`epoch` up to ``epochs``.

        Parameters
        ----------
        loader_for_epoch : callable int -> iterable of (x, y)
            The batches of a (1-based) epoch.
        epochs : int
            Total epochs; training resumes at ``self.epoch + 1``.

        Notes
        -----
        Runs ``on_epoch_end`` after every epoch (evaluation, logging and
        checkpointing callbacks, in the order they were added), then
        ``on_train_end``.
        """
        while self.epoch < epochs:
            self.train_epoch(loader_for_epoch(self.epoch + 1))
            self.trigger("on_epoch_end")
        self.trigger("on_train_end")

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Model, optimizer, counters, micro-batch and global random states."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "micro_batch": self.micro_batch,
            "rng": get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (random states included)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        mb = state.get("micro_batch")
        self.micro_batch = None if mb is None else int(mb)
        set_rng_state(state["rng"])
