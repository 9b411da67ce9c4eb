"""Score files (format version 1): load, validate and save.

One ``.npz`` file holds one stream of one model at one checkpoint on one
split/subset (see ``DESIGN.md``):

========================  =========================  ==================================
key                       dtype, shape               meaning
========================  =========================  ==================================
``scores``                float16/32/64, (N, S, C)   N videos, S segments, C classes;
                                                     (N, C) is read as S = 1
``labels``                integer, (N,)              true class in [0, C); -1 = unknown
``video_ids``             str, (N,)                  unique, non-empty alignment key
``class_names``           str, (C,)                  optional
``segment_mask``          bool, (N, S)               optional; False = missing segment
``meta``                  0-d str                    JSON object
========================  =========================  ==================================

Files are always read with ``allow_pickle=False``: object arrays and pickled
data are refused, never loaded. Several files are aligned by ``video_ids``,
never by row order: :func:`align`, :func:`group` and :class:`Evaluation` live in
:mod:`fusionlab.alignment` and are re-exported here.

Validation tolerances (documented, relied upon by tests):

* ``kind: "prob"``: every valid score is >= ``-PROB_NEG_TOL`` and every row sums
  to 1 within ``PROB_SUM_TOL`` (``PROB_SUM_TOL_F16`` for float16 files);
* ``kind: "logprob"``: every row's log-sum-exp is 0 within the same tolerance;
* scores of masked-out segments (``segment_mask`` False) are not checked and
  never used.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt

from .alignment import AlignReport, Evaluation, align, group
from .errors import ScoreFileError
from .kernels import log_softmax, logsumexp
from .output import atomic_path

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MMAP_MIN_BYTES",
    "PROB_NEG_TOL",
    "PROB_SUM_TOL",
    "PROB_SUM_TOL_F16",
    "AlignReport",
    "Evaluation",
    "ScoreKind",
    "ScoreSet",
    "align",
    "build",
    "group",
    "load",
    "load_many",
    "save",
    "write",
]

FORMAT_NAME = "fusionlab.scores"
FORMAT_VERSION = 1
PROB_SUM_TOL = 1e-3
PROB_SUM_TOL_F16 = 1e-2
PROB_NEG_TOL = 1e-6
ScoreKind = Literal["prob", "logit", "logprob"]
_KINDS: tuple[str, ...] = get_args(ScoreKind)
_REQUIRED = ("scores", "labels", "video_ids", "meta")
_FLOAT_DTYPES = (np.float16, np.float32, np.float64)
#: Characters a stream name may not hold: they separate names and values in
#: weights (``rgb=1,flow=1.5``, ``1:1.5``), components (``rgb/seg1``), row
#: labels (``rgb+flow``, ``rgb@12``) and CSV list cells (``;``).
STREAM_NAME_FORBIDDEN = frozenset("=,:;/+@ \t")


FloatArray = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True, eq=False)
class ScoreSet:
    """The scores of one stream of one model on one set of videos.

    Attributes
    ----------
    scores : ndarray of shape (n_videos, n_segments, n_classes)
        Class scores as stored, in the domain given by ``kind``.
    labels : ndarray of shape (n_videos,), int64
        True class in ``[0, n_classes)``, or -1 where unknown.
    video_ids : ndarray of shape (n_videos,), str
        Unique, non-empty identifiers; the key for aligning streams.
    kind : {"prob", "logit", "logprob"}
        Domain of ``scores``: softmax outputs, pre-softmax logits, or log-softmax.
    stream : str
        Stream name, e.g. ``"rgb"`` or ``"flow"``.
    class_names : ndarray of shape (n_classes,), str, or None
    segment_mask : ndarray of shape (n_videos, n_segments), bool, or None
        False where a video has fewer segments than ``n_segments``.
    meta : dict
        The parsed ``meta`` JSON object.
    path : str or None
        The file this set was loaded from, for messages.
    """

    scores: FloatArray
    labels: npt.NDArray[np.int64]
    video_ids: npt.NDArray[np.str_]
    kind: ScoreKind
    stream: str
    class_names: npt.NDArray[np.str_] | None = None
    segment_mask: npt.NDArray[np.bool_] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None

    @property
    def n_videos(self) -> int:
        return int(self.scores.shape[0])

    @property
    def n_segments(self) -> int:
        return int(self.scores.shape[1])

    @property
    def n_classes(self) -> int:
        return int(self.scores.shape[2])

    @property
    def views(self) -> tuple[int, int] | None:
        """(clips, crops) when the segment axis holds test-time views (see :func:`check_views`)."""
        v = self.meta.get("views")
        return None if v is None else (int(v["clips"]), int(v["crops"]))

    @property
    def epoch(self) -> int | None:
        e = self.meta.get("epoch")
        return None if e is None else int(e)

    @property
    def eval_key(self) -> tuple[str | None, str | None, str | None]:
        """``(dataset, split, subset)``: files sharing it form one evaluation."""
        m = self.meta
        return (
            _opt_str(m.get("dataset")),
            _opt_str(m.get("split")),
            _opt_str(m.get("subset")),
        )

    @property
    def name(self) -> str:
        """``stream`` or ``stream@epoch`` when the epoch is known."""
        return self.stream if self.epoch is None else f"{self.stream}@{self.epoch}"

    def log_probs(
        self, dtype: npt.DTypeLike = np.float64, *, rows: slice | None = None
    ) -> FloatArray:
        """Log-probabilities of shape (n_videos, n_segments, n_classes).

        ``prob`` scores are clipped at the smallest positive normal number of
        ``dtype`` before the log; ``logit`` scores go through log-softmax;
        ``logprob`` scores are returned as they are (converted to ``dtype``).
        Masked-out segments hold ``-log(n_classes)`` (a uniform distribution),
        so that they are finite; rules ignore them through the mask.

        Parameters
        ----------
        dtype : numpy float dtype, default float64
        rows : slice, optional
            Only these videos (a chunk): memory-mapped files are then read
            chunk by chunk.
        """
        sl = slice(None) if rows is None else rows
        x = np.array(self.scores[sl], dtype=dtype)
        if self.kind == "prob":
            np.maximum(x, np.finfo(x.dtype).tiny, out=x)
            np.log(x, out=x)
        elif self.kind == "logit":
            log_softmax(x, axis=-1, out=x)
        mask = self.mask_rows(sl)
        if mask is not None and not mask.all():
            x[~mask] = -np.log(self.n_classes)
        out: FloatArray = x
        return out

    def mask_rows(self, rows: slice) -> npt.NDArray[np.bool_] | None:
        """``segment_mask[rows]``, or None when no segment is missing."""
        return None if self.segment_mask is None else self.segment_mask[rows]

    def take(self, index: npt.ArrayLike) -> ScoreSet:
        """A new set holding the rows ``index`` (integer positions), in that order."""
        idx = np.asarray(index, dtype=np.intp)
        return ScoreSet(
            scores=self.scores[idx],
            labels=self.labels[idx],
            video_ids=self.video_ids[idx],
            kind=self.kind,
            stream=self.stream,
            class_names=self.class_names,
            segment_mask=None if self.segment_mask is None else self.segment_mask[idx],
            meta=self.meta,
            path=self.path,
        )


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


# --------------------------------------------------------------------------- load


#: ``load(mmap=None)`` memory-maps an uncompressed ``scores`` member at least this large.
MMAP_MIN_BYTES = 32 * 2**20


def load(path: str | os.PathLike[str], *, mmap: bool | None = None) -> ScoreSet:
    """Load and validate one score file.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` file in format version 1.
    mmap : bool or None, default None
        Memory-map the ``scores`` member instead of reading it, when it is
        stored uncompressed (``fusionlab.save`` writes uncompressed files by
        default). None: map members of at least ``MMAP_MIN_BYTES``. A mapped
        file is read chunk by chunk by the evaluation, so large evaluations do
        not need their scores in memory at once.

    Returns
    -------
    ScoreSet

    Raises
    ------
    ScoreFileError
        With a one-line message naming the file and the problem, for every
        violation of the format (see the module docstring). Pickled data and
        object arrays are refused without being loaded.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise ScoreFileError(p, "no such file")
    if os.path.isdir(p):
        raise ScoreFileError(p, "is a directory, expected a .npz score file")
    if not zipfile.is_zipfile(p):
        with open(p, "rb") as fh:
            head = fh.read(4)
        if head.startswith(b"PK"):
            raise ScoreFileError(p, "truncated or corrupt npz file (incomplete zip archive)")
        raise ScoreFileError(p, "not an npz file (not a zip archive)")
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    try:
        mapped = _mmap_scores(p, mmap)
        if mapped is not None:
            arrays["scores"] = mapped
        with np.load(p, allow_pickle=False) as z:
            for key in z.files:
                if key in arrays:
                    continue
                if key in _REQUIRED or key in ("class_names", "segment_mask"):
                    value = z[key]
                    if not isinstance(value, np.ndarray):
                        raise ScoreFileError(p, f"member {key!r} is not a .npy array")
                    arrays[key] = value
    except ScoreFileError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise ScoreFileError(
                p, "contains object arrays or pickled data, which are never loaded"
            ) from None
        raise ScoreFileError(p, f"unreadable npz member ({exc})") from None
    except Exception as exc:  # zipfile, zlib and .npy header parsing: all caused by the file
        raise ScoreFileError(
            p, f"truncated or corrupt npz file ({type(exc).__name__}: {exc})"
        ) from None
    return _from_arrays(arrays, path=p)


def _mmap_scores(p: str, mmap: bool | None) -> np.ndarray[Any, Any] | None:
    """Memory-map the uncompressed ``scores.npy`` member of ``p``, or return None."""
    if mmap is False:
        return None
    import struct

    from numpy.lib import format as npformat

    with zipfile.ZipFile(p) as zf:
        try:
            info = zf.getinfo("scores.npy")
        except KeyError:
            return None
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        if mmap is None and info.file_size < MMAP_MIN_BYTES:
            return None
    with open(p, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise ScoreFileError(p, "truncated or corrupt npz file (bad local header)")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        version = npformat.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = npformat.read_array_header_2_0(fh)
        if dtype.hasobject:
            raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
        offset = fh.tell()
    size = int(np.prod(shape)) * dtype.itemsize
    if offset + size > os.path.getsize(p):
        raise ScoreFileError(p, "truncated or corrupt npz file (scores member cut short)")
    return np.memmap(
        p, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C"
    )


def load_many(paths: Iterable[str | os.PathLike[str]]) -> list[ScoreSet]:
    """Load several files; raise on the first bad one."""
    return [load(p) for p in paths]


def _from_arrays(arrays: Mapping[str, np.ndarray[Any, Any]], *, path: str | None) -> ScoreSet:
    for key in _REQUIRED:
        if key not in arrays:
            raise ScoreFileError(path, f"missing required key {key!r}")
    meta = _parse_meta(arrays["meta"], path)
    kind = cast(ScoreKind, meta["kind"])

    scores = arrays["scores"]
    if scores.dtype.type not in _FLOAT_DTYPES:
        raise ScoreFileError(
            path, f"'scores' must be float16, float32 or float64, got {scores.dtype}"
        )
    if scores.ndim == 2:
        scores = scores[:, None, :]
    elif scores.ndim != 3:
        raise ScoreFileError(
            path,
            f"'scores' must have shape (N, S, C) or (N, C), got {scores.ndim} dimensions "
            f"{tuple(scores.shape)}",
        )
    n, s, c = scores.shape
    if n == 0 or s == 0 or c < 2:
        raise ScoreFileError(
            path,
            f"'scores' needs N >= 1 videos, S >= 1 segments and C >= 2 classes, got {scores.shape}",
        )

    labels = _check_labels(arrays["labels"], n, c, path)

    video_ids = _str_array(arrays["video_ids"], "video_ids", (n,), path)
    empty = np.char.str_len(np.char.strip(video_ids)) == 0
    if empty.any():
        raise ScoreFileError(path, f"empty video id in row {int(np.flatnonzero(empty)[0])}")
    uniq, counts = np.unique(video_ids, return_counts=True)
    if (counts > 1).any():
        raise ScoreFileError(path, f"duplicate video id {str(uniq[counts > 1][0])!r}")

    class_names = None
    if "class_names" in arrays:
        class_names = _str_array(arrays["class_names"], "class_names", (c,), path)

    check_views(meta.get("views"), s, path)
    mask = None
    if "segment_mask" in arrays:
        mask = _check_mask(arrays["segment_mask"], (n, s), video_ids, path)

    _check_scores(scores, kind, mask, video_ids, path)

    return ScoreSet(
        scores=scores,
        labels=labels,
        video_ids=video_ids,
        kind=kind,
        stream=str(meta["stream"]),
        class_names=class_names,
        segment_mask=mask,
        meta=meta,
        path=path,
    )


def _check_labels(
    labels: np.ndarray[Any, Any], n: int, c: int, path: str | None
) -> npt.NDArray[np.int64]:
    """``labels`` as int64: shape (n,), each in [0, c) or -1 (unknown)."""
    if labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.integer):
        raise ScoreFileError(path, f"'labels' must be integers, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ScoreFileError(path, f"'labels' must have shape ({n},), got {labels.shape}")
    if labels.dtype.kind == "u" and labels.size and int(labels.max()) >= c:
        i = int(np.argmax(labels))
        raise ScoreFileError(
            path, f"label {int(labels[i])} of row {i} is out of range [0, {c}) (-1 = unknown)"
        )
    out = labels.astype(np.int64)
    bad = (out < -1) | (out >= c)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScoreFileError(
            path, f"label {int(out[i])} of row {i} is out of range [0, {c}) (-1 = unknown)"
        )
    return out


def check_views(views: Any, n_segments: int, path: str | None) -> tuple[int, int] | None:
    """``meta["views"]``: how the segment axis is laid out in test-time views, or None.

    ``{"clips": T, "crops": K}`` says the S = T x K entries of the segment
    axis are views, **clip-major**: entry ``t * K + k`` is temporal clip ``t``
    (0-based, in time order) under spatial crop ``k`` (0-based; crop 0 is the
    centre crop where the protocol has one: mmaction2's ``ThreeCrop`` order is
    left/top, centre, right/bottom, so importers reorder it to centre first).
    A file without ``views`` holds one view per segment (TSN segments).

    Returns
    -------
    (clips, crops) or None
    """
    if views is None:
        return None
    if not isinstance(views, dict) or set(views) != {"clips", "crops"}:
        raise ScoreFileError(
            path, f'meta \'views\' must be an object {{"clips": T, "crops": K}}, got {views!r}'
        )
    t, k = views["clips"], views["crops"]
    if type(t) is not int or type(k) is not int or t < 1 or k < 1:
        raise ScoreFileError(path, f"meta 'views' needs positive integers, got {views!r}")
    if t * k != n_segments:
        raise ScoreFileError(
            path,
            f"meta 'views' says {t} clips x {k} crops = {t * k} views, but the scores hold "
            f"{n_segments} entries on the segment axis",
        )
    return t, k


def _check_mask(
    mask: np.ndarray[Any, Any],
    shape: tuple[int, int],
    video_ids: npt.NDArray[np.str_],
    path: str | None,
) -> npt.NDArray[np.bool_] | None:
    """``segment_mask``: bool of ``shape``, a valid segment per video; None when all are valid."""
    n, s = shape
    if mask.dtype != np.bool_:
        raise ScoreFileError(path, f"'segment_mask' must be bool, got {mask.dtype}")
    if mask.shape != (n, s):
        raise ScoreFileError(path, f"'segment_mask' must have shape ({n}, {s}), got {mask.shape}")
    none = ~mask.any(axis=1)
    if none.any():
        i = int(np.flatnonzero(none)[0])
        raise ScoreFileError(
            path, f"video {str(video_ids[i])!r} has no valid segment in 'segment_mask'"
        )
    return None if mask.all() else mask


def _str_array(
    a: np.ndarray[Any, Any], key: str, shape: tuple[int, ...], path: str | None
) -> npt.NDArray[np.str_]:
    if a.dtype.kind != "U":
        raise ScoreFileError(path, f"{key!r} must be a str array, got dtype {a.dtype}")
    if a.shape != shape:
        raise ScoreFileError(path, f"{key!r} must have shape {shape}, got {a.shape}")
    return a


def _parse_meta(a: np.ndarray[Any, Any], path: str | None) -> dict[str, Any]:
    if a.dtype.kind != "U" or a.ndim != 0:
        raise ScoreFileError(
            path, f"'meta' must be a 0-d str array holding JSON, got {a.dtype} {a.shape}"
        )
    try:
        meta = json.loads(str(a[()]))
    except json.JSONDecodeError as exc:
        raise ScoreFileError(
            path, f"'meta' is not valid JSON ({exc.msg} at char {exc.pos})"
        ) from None
    if not isinstance(meta, dict):
        raise ScoreFileError(path, f"'meta' must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT_NAME:
        raise ScoreFileError(
            path, f"unknown meta format {meta.get('format')!r}, expected {FORMAT_NAME!r}"
        )
    version = meta.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ScoreFileError(
            path,
            f"unsupported format version {meta.get('version')!r}; this fusionlab reads version "
            f"{FORMAT_VERSION}",
        )
    stream = meta.get("stream")
    if not isinstance(stream, str) or not stream.strip():
        raise ScoreFileError(path, "meta 'stream' must be a non-empty string")
    if not stream.isprintable():
        raise ScoreFileError(path, f"meta 'stream' must be printable text, got {stream!r}")
    bad = sorted(set(stream) & STREAM_NAME_FORBIDDEN)
    if bad:
        raise ScoreFileError(
            path,
            f"meta 'stream' {stream!r} holds {''.join(bad)!r}; stream names may not hold any of "
            "= , : ; / + @ or spaces (they separate names in weights and components)",
        )
    if meta.get("kind") not in _KINDS:
        raise ScoreFileError(
            path, f"meta 'kind' must be one of {', '.join(_KINDS)}, got {meta.get('kind')!r}"
        )
    epoch = meta.get("epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)):
        raise ScoreFileError(path, f"meta 'epoch' must be an integer, got {epoch!r}")
    return meta


def _check_scores(
    scores: np.ndarray[Any, Any],
    kind: str,
    mask: npt.NDArray[np.bool_] | None,
    video_ids: npt.NDArray[np.str_],
    path: str | None,
) -> None:
    # Work in chunks of videos so that large float16 files are not upcast whole.
    n = scores.shape[0]
    tol = PROB_SUM_TOL_F16 if scores.dtype == np.float16 else PROB_SUM_TOL
    chunk = max(1, 4_000_000 // max(1, scores.shape[1] * scores.shape[2]))
    for start in range(0, n, chunk):
        block = np.asarray(scores[start : start + chunk], dtype=np.float64)
        valid = None if mask is None else mask[start : start + chunk]
        finite = np.isfinite(block)
        if valid is not None:
            finite |= ~valid[:, :, None]
        if not finite.all():
            i = start + int(np.argwhere(~finite)[0][0])
            raise ScoreFileError(
                path, f"non-finite (NaN or infinite) score for video {str(video_ids[i])!r}"
            )
        if kind == "logit":
            continue
        if kind == "prob":
            neg = block < -PROB_NEG_TOL
            if valid is not None:
                neg &= valid[:, :, None]
            if neg.any():
                i = start + int(np.argwhere(neg)[0][0])
                raise ScoreFileError(
                    path,
                    f"negative probability for video {str(video_ids[i])!r} (kind 'prob' scores "
                    "must lie in [0, 1])",
                )
            value = block.sum(axis=-1)
            target, what = 1.0, "probabilities sum"
        else:
            value = logsumexp(block, axis=-1)
            target, what = 0.0, "log-sum-exp of log-probabilities is"
        off = np.abs(value - target) > tol
        if valid is not None:
            off &= valid
        if off.any():
            i, j = (int(v) for v in np.argwhere(off)[0])
            raise ScoreFileError(
                path,
                f"{what} {value[i, j]:.6g} for video {str(video_ids[start + i])!r} segment {j}, "
                f"expected {target:g} within {tol:g} (kind {kind!r})",
            )


# --------------------------------------------------------------------------- save


def build(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    video_ids: Sequence[str] | npt.ArrayLike,
    *,
    kind: ScoreKind,
    stream: str,
    class_names: Sequence[str] | npt.ArrayLike | None = None,
    segment_mask: npt.ArrayLike | None = None,
    path: str | os.PathLike[str] | None = None,
    **meta: Any,
) -> ScoreSet:
    """Validate arrays into a :class:`ScoreSet` in memory (no file is touched).

    Parameters are those of :func:`save`; ``path`` is used only in messages.
    ``meta`` entries whose value is None are left out.

    Examples
    --------
    >>> s = build([[0.9, 0.1], [0.2, 0.8]], [0, 1], ["v1", "v2"], kind="prob", stream="rgb")
    >>> s.scores.shape, s.stream, s.meta["version"]
    ((2, 1, 2), 'rgb', 1)
    """
    p = None if path is None else os.fspath(path)
    return _from_arrays(
        _to_arrays(
            scores,
            labels,
            video_ids,
            kind=kind,
            stream=stream,
            class_names=class_names,
            segment_mask=segment_mask,
            path=p,
            meta=meta,
        ),
        path=p,
    )


def _to_arrays(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    video_ids: Sequence[str] | npt.ArrayLike,
    *,
    kind: str,
    stream: str,
    class_names: Sequence[str] | npt.ArrayLike | None,
    segment_mask: npt.ArrayLike | None,
    path: str | None,
    meta: Mapping[str, Any],
) -> dict[str, np.ndarray[Any, Any]]:
    meta_obj: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    meta_obj.update({"stream": stream, "kind": kind})
    meta_obj.update(
        {k: v for k, v in meta.items() if v is not None and k not in ("format", "version")}
    )
    try:
        meta_json = json.dumps(meta_obj, sort_keys=True)
    except TypeError as exc:
        raise ScoreFileError(path, f"meta is not JSON-serialisable ({exc})") from None
    vid = np.asarray(video_ids)
    if vid.dtype.kind not in "UO" or vid.size == 0:
        vid = vid.astype(str)
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "scores": np.asarray(scores),
        "labels": np.asarray(labels),
        "video_ids": vid.astype(str),
        "meta": np.asarray(meta_json),
    }
    if class_names is not None:
        arrays["class_names"] = np.asarray(class_names, dtype=str)
    if segment_mask is not None:
        arrays["segment_mask"] = np.asarray(segment_mask)
    return arrays


def save(
    path: str | os.PathLike[str],
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    video_ids: Sequence[str] | npt.ArrayLike,
    *,
    kind: ScoreKind,
    stream: str,
    class_names: Sequence[str] | npt.ArrayLike | None = None,
    segment_mask: npt.ArrayLike | None = None,
    compress: bool = False,
    **meta: Any,
) -> ScoreSet:
    """Validate and write one score file atomically; return it as loaded.

    Parameters
    ----------
    path : str or path-like
        Destination ``.npz``. Parent folders are created.
    scores : array-like of shape (n_videos, n_segments, n_classes) or (n_videos, n_classes)
        Float scores in the domain ``kind``.
    labels : array-like of shape (n_videos,)
        Integer true classes, -1 where unknown.
    video_ids : sequence of str, length n_videos
    kind : {"prob", "logit", "logprob"}
    stream : str
    class_names : sequence of str of length n_classes, optional
    segment_mask : array-like of bool, shape (n_videos, n_segments), optional
    compress : bool, default False
        Deflate members. Uncompressed files (the default) read faster.
    **meta
        Further ``meta`` entries: ``model``, ``dataset``, ``split``, ``subset``,
        ``epoch``, ``sampling``, ``created_by``, ... (JSON-serialisable).

    Returns
    -------
    ScoreSet
        The validated set, as :func:`load` would return it.

    Raises
    ------
    ScoreFileError
        If the arrays violate the format; nothing is written then.
    """
    p = os.fspath(path)
    arrays = _to_arrays(
        scores,
        labels,
        video_ids,
        kind=kind,
        stream=stream,
        class_names=class_names,
        segment_mask=segment_mask,
        path=p,
        meta=meta,
    )
    s = _from_arrays(arrays, path=p)  # validate before anything is written
    _write(p, arrays, compress=compress)
    return s


def write(path: str | os.PathLike[str], s: ScoreSet, *, compress: bool = False) -> None:
    """Write an existing :class:`ScoreSet` to ``path`` atomically."""
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "scores": s.scores,
        "labels": s.labels,
        "video_ids": s.video_ids,
        "meta": np.asarray(json.dumps(dict(s.meta), sort_keys=True)),
    }
    if s.class_names is not None:
        arrays["class_names"] = s.class_names
    if s.segment_mask is not None:
        arrays["segment_mask"] = s.segment_mask
    _write(os.fspath(path), arrays, compress=compress)


def _write(p: str, arrays: Mapping[str, np.ndarray[Any, Any]], *, compress: bool) -> None:
    with atomic_path(p, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        if compress:
            np.savez_compressed(fh, allow_pickle=False, **arrays)
        else:
            np.savez(fh, allow_pickle=False, **arrays)


def resolve_paths(patterns: Sequence[str]) -> list[Path]:
    """Expand globs the shell left alone; a pattern that matches nothing is an error."""
    import glob

    out: list[Path] = []
    for pat in patterns:
        if glob.has_magic(pat):
            hits = sorted(glob.glob(pat))
            if not hits:
                raise ScoreFileError(pat, "the pattern matched no file")
            out.extend(Path(h) for h in hits)
        else:
            out.append(Path(pat))
    return out
