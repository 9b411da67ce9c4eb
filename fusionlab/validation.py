"""Input validators shared by the analysis modules (search, learned, importance).

Each checks one array argument and returns it in the canonical dtype and
layout, or raises :class:`~fusionlab.errors.UsageError` with a message that
names the argument, the expected shape and what came.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .errors import UsageError
from .rules import Domain

__all__ = ["check_domain", "check_mask", "check_x", "check_y"]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_] | None


def check_x(x: npt.ArrayLike, name: str = "x") -> Array:
    """Log-probabilities ``x`` of shape (n_videos, n_components, n_classes), finite, float64."""
    a = np.asarray(x)
    if a.ndim != 3:
        raise UsageError(
            f"{name} must have shape (n_videos, n_components, n_classes), got shape {a.shape}"
        )
    if a.dtype.kind not in "fiu":
        raise UsageError(f"{name} must hold real numbers, got dtype {a.dtype}")
    out = np.ascontiguousarray(a, dtype=np.float64)
    if out.shape[0] == 0 or out.shape[1] == 0 or out.shape[2] < 2:
        raise UsageError(
            f"{name} needs >= 1 video, >= 1 component and >= 2 classes, got {out.shape}"
        )
    if not np.isfinite(out).all():
        raise UsageError(f"{name} must be finite (log-probabilities), found NaN or infinity")
    return out


def check_y(y: npt.ArrayLike, n: int, c: int) -> IntArray:
    """Labels ``y`` of shape (n,), integers in [0, c), as int64."""
    a = np.asarray(y)
    if a.ndim != 1 or a.shape[0] != n:
        raise UsageError(f"y must have shape ({n},) (one label per video), got {a.shape}")
    if a.dtype == np.bool_ or a.dtype.kind not in "iu":
        raise UsageError(f"y must hold integer labels, got dtype {a.dtype}")
    out = a.astype(np.int64)
    bad = (out < 0) | (out >= c)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UsageError(
            f"label {int(out[i])} of video {i} is outside [0, {c}) (unknown labels must be "
            "filtered out first)"
        )
    return out


def check_mask(mask: npt.ArrayLike | None, n: int, k: int) -> Mask:
    """A component mask of shape (n, k), bool, each video with a valid component; None if all."""
    if mask is None:
        return None
    a = np.asarray(mask)
    if a.dtype != np.bool_ or a.shape != (n, k):
        raise UsageError(f"mask must be a bool array of shape ({n}, {k}), got {a.dtype} {a.shape}")
    if not a.any(axis=1).all():
        i = int(np.flatnonzero(~a.any(axis=1))[0])
        raise UsageError(f"mask: video {i} has no valid component")
    return None if a.all() else np.ascontiguousarray(a)


def check_domain(domain: str) -> Domain:
    """``"prob"`` or ``"logit"``."""
    if domain == "prob":
        return "prob"
    if domain == "logit":
        return "logit"
    raise UsageError(f"domain must be 'prob' or 'logit', got {domain!r}")
