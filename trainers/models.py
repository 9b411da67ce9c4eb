"""Networks for the two streams, and the TSN cross-modality initialisation.

``smallcnn`` (the default) is a five-layer convolutional network that trains
in seconds per epoch on a CPU at 32-64 pixels. ``resnet18``, ``resnet50`` and
``resnet101`` come from torchvision when it imports (it is optional);
pretrained weights are only ever read from a local file, never downloaded.

A stream network maps one snippet, shape ``(batch, channels, height, width)``
(3 channels for RGB, ``2 L`` for a stack of L flow frames), to class logits
``(batch, n_classes)``. :class:`SegmentalModel` applies it to every segment of
a video and returns per-segment logits ``(batch, n_segments, n_classes)``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .errors import CheckpointError, UsageError

__all__ = [
    "MODELS",
    "SegmentalModel",
    "SmallCNN",
    "build_model",
    "cross_modality_weight",
    "load_pretrained",
    "torchvision_available",
]

#: Model names accepted by :func:`build_model`.
MODELS = ("smallcnn", "resnet18", "resnet50", "resnet101")


class SmallCNN(nn.Module):
    """A small VGG-style network for low-resolution frames.

    Parameters
    ----------
    in_channels : int
        3 for RGB, ``2 L`` for flow.
    n_classes : int
    width : int, default 32
        Channels of the first block; blocks have ``w, 2w, 4w`` channels.
    dropout : float, default 0.5
        Dropout before the classifier.

    Notes
    -----
    Input ``(batch, in_channels, height, width)`` float32, output logits
    ``(batch, n_classes)``. Two 2x2 poolings and a global average pool make
    it work at any input size of at least 4 pixels.
    """

    def __init__(
        self, in_channels: int, n_classes: int, *, width: int = 32, dropout: float = 0.5
    ) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        w = width
        self.features = nn.Sequential(
            *block(in_channels, w),
            *block(w, w),
            nn.MaxPool2d(2),
            *block(w, 2 * w),
            *block(2 * w, 2 * w),
            nn.MaxPool2d(2),
            *block(2 * w, 4 * w),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(4 * w, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_classes)`` of snippets ``(batch, channels, height, width)``."""
        out: torch.Tensor = self.fc(self.dropout(self.features(x)))
        return out


class SegmentalModel(nn.Module):
    """Apply a snippet network to every segment of a batch of videos.

    Parameters
    ----------
    net : nn.Module
        Maps ``(n, channels, height, width)`` to logits ``(n, n_classes)``.

    Notes
    -----
    Input ``(batch, n_segments, channels, height, width)``, output per-segment
    logits ``(batch, n_segments, n_classes)``. The TSN segmental consensus
    (the mean over segments) is taken by the loss, so that the per-segment
    scores remain available for the score files.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s = x.shape[:2]
        out: torch.Tensor = self.net(x.reshape(b * s, *x.shape[2:]))
        return out.reshape(b, s, -1)


def torchvision_available() -> bool:
    """Whether torchvision imports beside this torch (it is optional)."""
    try:
        importlib.import_module("torchvision")
    except Exception:  # an ABI mismatch raises more than ImportError
        return False
    return True


def _resnet(name: str, in_channels: int, n_classes: int, dropout: float) -> nn.Module:
    try:
        tvm: Any = importlib.import_module("torchvision.models")
    except Exception as exc:
        raise UsageError(
            f"model {name!r} needs torchvision, which does not import here ({type(exc).__name__}); "
            "install a torchvision build matching this torch, or use --model smallcnn"
        ) from None
    net: Any = getattr(tvm, name)(weights=None)
    if in_channels != 3:
        old = net.conv1
        net.conv1 = nn.Conv2d(
            in_channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False
        )
    net.fc = nn.Sequential(nn.Dropout(dropout), nn.Linear(net.fc.in_features, n_classes))
    module: nn.Module = net
    return module


def build_model(
    name: str,
    *,
    in_channels: int,
    n_classes: int,
    width: int = 32,
    dropout: float = 0.5,
) -> nn.Module:
    """A snippet network by name.

    Parameters
    ----------
    name : {"smallcnn", "resnet18", "resnet50", "resnet101"}
    in_channels : int
        3 for RGB, ``2 L`` for flow.
    n_classes : int
    width : int, default 32
        First-block width of ``smallcnn`` (ignored by ResNets).
    dropout : float, default 0.5
        Dropout before the classifier.

    Returns
    -------
    nn.Module
        Maps ``(batch, in_channels, height, width)`` to logits ``(batch, n_classes)``.

    Raises
    ------
    UsageError
        Unknown name, or a ResNet without torchvision.
    """
    if name == "smallcnn":
        return SmallCNN(in_channels, n_classes, width=width, dropout=dropout)
    if name in MODELS:
        return _resnet(name, in_channels, n_classes, dropout)
    raise UsageError(f"unknown model {name!r}, expected one of {', '.join(MODELS)}")


def cross_modality_weight(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """TSN cross-modality initialisation of a first convolution.

    The filters of an RGB network are averaged over their input channels and
    the average is replicated ``in_channels`` times, so that a flow network
    (``2 L`` input channels) starts from the RGB network's filters.

    Parameters
    ----------
    weight : Tensor of shape (out_channels, 3, kh, kw)
    in_channels : int

    Returns
    -------
    Tensor of shape (out_channels, in_channels, kh, kw)

    Examples
    --------
    >>> w = torch.arange(6.0).reshape(1, 3, 1, 2)
    >>> cross_modality_weight(w, 4)[0, :, 0].tolist()
    [[2.0, 3.0], [2.0, 3.0], [2.0, 3.0], [2.0, 3.0]]
    """
    mean = weight.mean(dim=1, keepdim=True)
    return mean.repeat(1, in_channels, 1, 1).contiguous()


def _first_conv_key(state: Mapping[str, torch.Tensor]) -> str | None:
    for k, v in state.items():
        if k.endswith("weight") and v.dim() == 4:
            return k
    return None


#: Keys under which checkpoints commonly keep their weights, tried in this order.
_STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "weights")
#: Name prefixes of wrappers, removed before tensors are matched by name:
#: DataParallel / DDP, :class:`SegmentalModel`, Lightning modules, torch.compile.
_PREFIXES = ("module.", "net.", "model.", "_orig_mod.")


def _is_state_dict(obj: object) -> bool:
    return (
        isinstance(obj, Mapping)
        and len(obj) > 0
        and all(isinstance(v, torch.Tensor) for v in obj.values())
    )


def _find_state_dict(obj: object) -> Mapping[str, torch.Tensor] | None:
    """The weights inside a loaded checkpoint, or None.

    Accepts a plain state dict, a ``checkpoint.pt`` of :mod:`trainers.train`
    (``state["trainer"]["model"]``), and dictionaries holding the weights
    under one of :data:`_STATE_KEYS` (``{"state_dict": ...}``, ``{"model": ...}``),
    nested at most three levels deep.
    """
    for _ in range(4):
        if _is_state_dict(obj):
            return obj  # type: ignore[return-value]  # checked: str keys, tensor values
        if not isinstance(obj, Mapping):
            return None
        if obj.get("format") == "trainers.checkpoint" and isinstance(obj.get("trainer"), Mapping):
            obj = obj["trainer"].get("model")
            continue
        inner = next((obj[k] for k in _STATE_KEYS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            # Some files mix tensors with counters ({"epoch": 3, "conv.weight": ...}).
            tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
            return tensors or None
        obj = inner
    return None


def _strip_prefixes(name: str) -> str:
    """``name`` without leading wrapper prefixes (:data:`_PREFIXES`), repeatedly.

    Examples
    --------
    >>> _strip_prefixes("module.net.features.0.weight")
    'features.0.weight'
    """
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix):
                name = name[len(prefix) :]
                changed = True
    return name


def load_pretrained(net: nn.Module, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Initialise ``net`` from a local weights file.

    The file is loaded with ``torch.load(..., weights_only=True)`` and may be
    a plain state dict (a torchvision checkpoint), a ``checkpoint.pt`` of
    :mod:`trainers.train` (the trained model of the run, e.g. an RGB stream
    that initialises a flow stream), or a dictionary holding the weights
    under ``"state_dict"``, ``"model_state_dict"``, ``"model"`` or ``"net"``.
    Tensors are matched by name once wrapper prefixes (``module.``, ``net.``,
    ``model.``, ``_orig_mod.``) are removed from both sides; a first
    convolution with 3 input channels feeding a network with more (a flow
    stream) gets the cross-modality initialisation; tensors whose shapes
    differ otherwise (a classifier for another number of classes) are skipped.
    Nothing is ever downloaded.

    Parameters
    ----------
    net : nn.Module
    path : path

    Returns
    -------
    dict
        ``{"loaded": n, "skipped": [names], "cross_modality": name or None}``.

    Raises
    ------
    CheckpointError
        The file is missing or unreadable, or no tensor matches.
    """
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise CheckpointError(f"{p}: pretrained weights file not found")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"{p}: unreadable weights file ({type(exc).__name__}: {exc})"
        ) from None
    found = _find_state_dict(obj)
    if found is None:
        raise CheckpointError(
            f"{p}: expected a state dict (or a checkpoint holding one), got {type(obj).__name__}"
        )
    src = {_strip_prefixes(str(k)): v for k, v in found.items()}
    own = net.state_dict()
    first = _first_conv_key(own)
    new: dict[str, torch.Tensor] = {}
    skipped: list[str] = []
    cross: str | None = None
    for k, v in own.items():
        w = src.get(_strip_prefixes(k))
        if w is None:
            skipped.append(k)
        elif w.shape == v.shape:
            new[k] = w
        elif (
            k == first
            and w.dim() == 4
            and w.shape[1] == 3
            and w.shape[0] == v.shape[0]
            and w.shape[2:] == v.shape[2:]
        ):
            new[k] = cross_modality_weight(w, int(v.shape[1]))
            cross = k
        else:
            skipped.append(k)
    if not new:
        raise CheckpointError(f"{p}: no tensor matches the network (wrong model or file?)")
    net.load_state_dict(new, strict=False)
    return {"loaded": len(new), "skipped": skipped, "cross_modality": cross}
