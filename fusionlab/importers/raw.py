"""What a reader returns (:class:`RawScores`), the domain guess, and decoding score arrays.

The array helpers turn a decoded payload (an ndarray or a list of numbers) into
checked ``(segments, classes)`` score arrays and stack them into
``(videos, segments, classes)`` with a segment mask; the pickle helpers refuse
a pickle unless it is allowed and read it with the restricted unpickler
(:mod:`fusionlab.importers._unpickle`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import scores as _scores
from ..errors import FusionlabError
from ..kernels import logsumexp
from ._unpickle import PickleDataError, RefusedPickle, restricted_load
from ._util import (
    DECODE_ERRORS,
    INT64_MAX,
    INT64_MIN,
    FloatArray,
    PathArg,
    fail,
    fspath,
    printable,
    quoted,
    read_bytes,
)

__all__ = ["RawScores", "infer_kind"]


def infer_kind(
    scores: npt.ArrayLike, segment_mask: npt.ArrayLike | None = None
) -> _scores.ScoreKind:
    """Guess the domain of imported scores.

    Parameters
    ----------
    scores : array-like of shape (n_videos, n_segments, n_classes)
    segment_mask : array-like of bool, shape (n_videos, n_segments), optional
        Only True segments are looked at.

    Returns
    -------
    {"prob", "logprob", "logit"}
        ``"prob"`` when every value is >= 0 and every row sums to 1 (within
        the tolerance :func:`fusionlab.scores.load` uses for the dtype),
        ``"logprob"`` when every value is <= 0 and every row's log-sum-exp is 0
        (same tolerance), else ``"logit"`` (also when a value is not finite;
        validation then reports it).

    Examples
    --------
    >>> infer_kind([[[0.25, 0.75]]]), infer_kind([[[2.0, -1.0]]])
    ('prob', 'logit')
    """
    raw = np.asarray(scores)
    x = raw.astype(np.float64)
    if x.ndim == 2:
        x = x[:, None, :]
    rows = x.reshape(-1, x.shape[-1])
    if segment_mask is not None:
        rows = x[np.asarray(segment_mask, dtype=bool)]
    if rows.size == 0 or not np.isfinite(rows).all():
        return "logit"
    tol = _scores.PROB_SUM_TOL_F16 if raw.dtype == np.float16 else _scores.PROB_SUM_TOL
    with np.errstate(all="ignore"):  # huge finite values overflow the sums: not a prob then
        if (rows >= -_scores.PROB_NEG_TOL).all() and (np.abs(rows.sum(axis=-1) - 1.0) <= tol).all():
            return "prob"
        if (rows <= tol).all():
            lse = logsumexp(rows, axis=-1)
            if (np.abs(lse) <= tol).all():
                return "logprob"
    return "logit"


@dataclass(frozen=True, eq=False)
class RawScores:
    """Arrays read from another tool's file, ready for :func:`fusionlab.scores.save`.

    Attributes
    ----------
    scores : ndarray of shape (n_videos, n_segments, n_classes), float
        In the domain the tool wrote (see ``kind``); masked-out segments hold 0.
    labels : ndarray of shape (n_videos,), int64
        -1 where unknown.
    video_ids : ndarray of shape (n_videos,), str
        Normalised ids (see :func:`normalize_video_id`).
    class_names : ndarray of shape (n_classes,), str, or None
    segment_mask : ndarray of shape (n_videos, n_segments), bool, or None
        False where a video has fewer segments; None when all are present.
    kind : {"prob", "logit", "logprob"} or None
        The domain when the format fixes it, else None (inferred on import).
    meta : dict
        Extra ``meta`` entries describing the conversion (e.g. ``"crops"``).
    """

    scores: FloatArray
    labels: npt.NDArray[np.int64]
    video_ids: npt.NDArray[np.str_]
    class_names: npt.NDArray[np.str_] | None = None
    segment_mask: npt.NDArray[np.bool_] | None = None
    kind: _scores.ScoreKind | None = None
    meta: dict[str, Any] | None = None


def float_array(obj: Any, what: str, path: PathArg) -> FloatArray:
    """A numeric score array from a decoded payload: ndarray or flat list of numbers."""
    if isinstance(obj, np.ndarray):
        arr = obj
    elif isinstance(obj, (list, tuple)) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
        for v in obj
    ):
        try:
            arr = np.asarray(obj, dtype=np.float64)
        except OverflowError:  # a Python int beyond float64 (10**400)
            fail(path, f"{what} holds an integer too large for a float64 score")
    else:
        fail(
            path,
            f"{what} is a {printable(type(obj).__name__)}, expected an array of class scores",
        )
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        fail(path, f"{what} has dtype {arr.dtype}, expected numbers")
    if arr.dtype.kind != "f" or arr.dtype.type not in (np.float16, np.float32, np.float64):
        # e.g. float128 beyond float64 becomes inf (reported by validation), without the
        # RuntimeWarning that would add a second line on stderr
        with np.errstate(all="ignore"):
            arr = arr.astype(np.float64)
    return np.asarray(arr)


def int_label(obj: Any, what: str, path: PathArg) -> int:
    """A label from a payload: int, integer numpy scalar, or 0-d / 1-element array.

    The value must fit int64 (its range against the classes is checked on save).
    """
    value: int | None = None
    if isinstance(obj, np.ndarray) and obj.size == 1 and obj.dtype.kind in "iu":
        value = int(obj.reshape(-1)[0])
    elif isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
        value = int(obj)
    elif isinstance(obj, float) and obj.is_integer():
        value = int(obj)
    if value is not None:
        if INT64_MIN <= value <= INT64_MAX:
            return value
        fail(path, f"{what} is an integer out of range (beyond int64), expected a class label")
    fail(
        path,
        f"{what} is {quoted(obj) if isinstance(obj, (str, float)) else type(obj).__name__}, "
        "expected one integer class label",
    )


def stack_segments(
    per_video: Sequence[FloatArray], path: PathArg
) -> tuple[FloatArray, npt.NDArray[np.bool_] | None]:
    """Stack (S_i, C) arrays into (N, S, C) with a mask when S_i differ."""
    n_classes = {a.shape[-1] for a in per_video}
    if len(n_classes) != 1:
        sizes = sorted(n_classes)
        first = next(i for i, a in enumerate(per_video) if a.shape[-1] != per_video[0].shape[-1])
        fail(
            path,
            f"videos have different numbers of classes ({sizes[0]} and {sizes[-1]}), "
            f"first different: row {first}",
        )
    c = n_classes.pop()
    s = max(a.shape[0] for a in per_video)
    dtype = np.result_type(*[a.dtype for a in per_video])
    out = np.zeros((len(per_video), s, c), dtype=dtype)
    mask = np.zeros((len(per_video), s), dtype=bool)
    for i, a in enumerate(per_video):
        out[i, : a.shape[0]] = a
        mask[i, : a.shape[0]] = True
    return out, (None if mask.all() else mask)


def as_segments(arr: FloatArray, what: str, path: PathArg, *, crops_axis: bool) -> FloatArray:
    """One video's scores as (S, C): (C,) -> (1, C); (S, C); (S, crops, C) -> crop mean."""
    if arr.ndim == 1:
        arr = arr[None, :]
    elif arr.ndim == 3 and crops_axis:
        if arr.shape[1] == 0:
            fail(path, f"{what} has no crops (shape {arr.shape})")
        arr = arr.mean(axis=1, dtype=np.float64).astype(arr.dtype)
    elif arr.ndim != 2:
        want = (
            "(segments, crops, classes), (segments, classes) or (classes,)"
            if crops_axis
            else "(segments, classes) or (classes,)"
        )
        fail(path, f"{what} has shape {arr.shape}, expected {want}")
    if arr.shape[0] == 0 or arr.shape[1] < 2:
        fail(path, f"{what} has shape {arr.shape}, expected at least 1 segment and 2 classes")
    return arr


def load_pickle_file(path: PathArg, *, allow_pickle: bool, max_bytes: int, tool: str) -> Any:
    refuse_pickle_unless(allow_pickle, path, tool)
    data = read_bytes(path, max_bytes=max_bytes, what="pickle file")
    return unpickle(io.BytesIO(data), path, max_bytes=max_bytes)


def load_pickle_or_json(path: PathArg, *, allow_pickle: bool, max_bytes: int, tool: str) -> Any:
    """A JSON file (name ending in ``.json``) or else a pickle (restricted, if allowed)."""
    if not fspath(path).lower().endswith(".json"):
        return load_pickle_file(path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool=tool)
    text = read_bytes(path, max_bytes=max_bytes, what="JSON file")
    try:
        return json.loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        fail(path, f"not a readable JSON file ({type(exc).__name__}: {printable(str(exc))[:200]})")


def refuse_pickle_unless(allow_pickle: bool, path: PathArg, tool: str) -> None:
    if not allow_pickle:
        fail(
            path,
            f"{tool} files are Python pickles, and loading a pickle can run arbitrary code; "
            "refused. If you trust the file, pass --allow-pickle (allow_pickle=True): it is then "
            "read by a restricted unpickler that admits only numpy arrays, torch CPU tensors "
            "and plain containers",
        )


def unpickle(fh: io.BytesIO, path: PathArg, *, max_bytes: int) -> Any:
    try:
        return restricted_load(fh, max_bytes=max_bytes)
    except RefusedPickle as exc:
        hint = ""
        if exc.name.startswith("torch"):
            hint = (
                "; only plain CPU tensors are decoded (no subclasses, sparse or quantised "
                "tensors): convert them to numpy arrays (tensor.numpy()) and dump again"
            )
        fail(
            path,
            f"{exc} (the restricted unpickler admits only numpy arrays, torch CPU "
            f"tensors and plain containers; it never imports what a pickle names){hint}",
        )
    except PickleDataError as exc:
        fail(path, f"unusable pickle payload ({exc})")
    except FusionlabError:
        raise
    except DECODE_ERRORS as exc:
        fail(path, f"not a readable pickle ({type(exc).__name__}: {printable(str(exc))[:200]})")


def finish(
    path: PathArg,
    per_video: Sequence[FloatArray],
    labels: npt.NDArray[np.int64],
    ids: Sequence[str],
    names: Sequence[str] | None,
    *,
    meta: dict[str, Any] | None = None,
    kind: _scores.ScoreKind | None = None,
) -> RawScores:
    scores, mask = stack_segments(per_video, path)
    return RawScores(
        scores=scores,
        labels=np.asarray(labels, dtype=np.int64),
        video_ids=np.asarray(list(ids), dtype=str),
        class_names=None if names is None else np.asarray(names, dtype=str),
        segment_mask=mask,
        kind=kind,
        meta=meta,
    )
