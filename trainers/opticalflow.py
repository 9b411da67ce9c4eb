"""Optical flow from frames, and the TSN quantisation of flow into JPEG images.

Flow is computed between consecutive frames with OpenCV: TV-L1
(``cv2.optflow.DualTVL1OpticalFlow``, in the ``opencv-contrib-python-headless``
build) when asked for or available, else Farneback (in every OpenCV build).
A flow field is stored as two 8-bit grey images, ``u`` (x) and ``v`` (y),
with the convention of TSN's ``dense_flow`` tool: values are clipped to
``[-bound, bound]`` pixels per frame and mapped linearly onto ``0..255``
(``128`` is about zero motion).
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt

from .errors import UsageError

__all__ = [
    "DEFAULT_BOUND",
    "FlowMethod",
    "compute_flow",
    "dequantize_flow",
    "quantize_flow",
    "resolve_method",
    "tvl1_available",
]

#: The TSN / dense_flow default clipping bound, in pixels per frame.
DEFAULT_BOUND = 20.0
FlowMethod = Literal["auto", "tvl1", "farneback"]


def tvl1_available() -> bool:
    """Whether this OpenCV build has TV-L1 (``cv2.optflow``, the contrib build)."""
    import cv2

    optflow = getattr(cv2, "optflow", None)  # only in the contrib build
    return optflow is not None and hasattr(optflow, "DualTVL1OpticalFlow_create")


def resolve_method(method: str) -> Literal["tvl1", "farneback"]:
    """Turn ``"auto"`` into ``"tvl1"`` where available, else ``"farneback"``.

    Raises
    ------
    UsageError
        ``method`` is unknown, or ``"tvl1"`` is asked for and this OpenCV
        build lacks it.
    """
    if method == "auto":
        return "tvl1" if tvl1_available() else "farneback"
    if method == "tvl1":
        if not tvl1_available():
            raise UsageError(
                "flow method 'tvl1' needs cv2.optflow (pip install opencv-contrib-python-headless "
                "instead of opencv-python-headless); use --flow-method farneback"
            )
        return "tvl1"
    if method == "farneback":
        return "farneback"
    raise UsageError(f"unknown flow method {method!r}, expected auto, tvl1 or farneback")


def compute_flow(frames: npt.NDArray[np.uint8], *, method: str = "auto") -> npt.NDArray[np.float32]:
    """Dense optical flow between consecutive frames.

    Parameters
    ----------
    frames : ndarray of shape (n_frames, height, width, 3) or (n_frames, height, width), uint8
        RGB (or grey) frames in time order; ``n_frames >= 2``.
    method : {"auto", "tvl1", "farneback"}, default "auto"
        ``"auto"`` uses TV-L1 when ``cv2.optflow`` exists, else Farneback.

    Returns
    -------
    ndarray of shape (n_frames - 1, height, width, 2), float32
        Flow ``(dx, dy)`` in pixels from frame ``t`` to frame ``t + 1``.

    Raises
    ------
    UsageError
        Fewer than two frames, or an unavailable ``method``.
    """
    import cv2

    resolved = resolve_method(method)
    arr = np.asarray(frames)
    if arr.ndim not in (3, 4) or arr.shape[0] < 2:
        raise UsageError(
            f"compute_flow needs frames of shape (T >= 2, H, W[, 3]), got {tuple(arr.shape)}"
        )
    if arr.ndim == 4:
        grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in arr]
    else:
        grey = [np.ascontiguousarray(f) for f in arr]
    out = np.empty((arr.shape[0] - 1, arr.shape[1], arr.shape[2], 2), dtype=np.float32)
    tvl1: Any = None
    if resolved == "tvl1":
        optflow: Any = getattr(cv2, "optflow", None)
        tvl1 = optflow.DualTVL1OpticalFlow_create()
    for t in range(arr.shape[0] - 1):
        if tvl1 is not None:
            flow = tvl1.calc(grey[t], grey[t + 1], None)
        else:
            flow = cv2.calcOpticalFlowFarneback(
                grey[t], grey[t + 1], cast(Any, None), 0.5, 3, 11, 3, 5, 1.1, 0
            )
        out[t] = flow
    return out


def quantize_flow(flow: npt.ArrayLike, *, bound: float = DEFAULT_BOUND) -> npt.NDArray[np.uint8]:
    """Map flow in pixels onto 8-bit grey levels (TSN convention).

    Parameters
    ----------
    flow : array-like of float, any shape
        Flow components in pixels per frame.
    bound : float, default 20
        Values are clipped to ``[-bound, bound]`` first.

    Returns
    -------
    ndarray of uint8, same shape
        ``round((clip(flow) + bound) * 255 / (2 * bound))``.

    Examples
    --------
    >>> quantize_flow([-30.0, -20.0, 0.0, 20.0], bound=20).tolist()
    [0, 0, 128, 255]
    """
    if not bound > 0:
        raise UsageError(f"flow bound must be > 0, got {bound}")
    f = np.clip(np.asarray(flow, dtype=np.float64), -bound, bound)
    return np.round((f + bound) * (255.0 / (2.0 * bound))).astype(np.uint8)


def dequantize_flow(
    grey: npt.ArrayLike, *, bound: float = DEFAULT_BOUND
) -> npt.NDArray[np.float32]:
    """Inverse of :func:`quantize_flow` (up to the quantisation step).

    Parameters
    ----------
    grey : array-like of uint8, any shape
    bound : float, default 20

    Returns
    -------
    ndarray of float32, same shape
        Flow in pixels per frame.

    Examples
    --------
    >>> dequantize_flow([0, 255], bound=20).tolist()
    [-20.0, 20.0]
    """
    g = np.asarray(grey, dtype=np.float32)
    return (g * np.float32(2.0 * bound / 255.0) - np.float32(bound)).astype(np.float32)
