"""``--from tsn``: TSN and tsn-pytorch ``--save_scores`` files (:func:`read_tsn`)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import FusionlabError
from ._util import (
    DECODE_ERRORS,
    DEFAULT_MAX_BYTES,
    INT64_MAX,
    FloatArray,
    PathArg,
    RowOrder,
    check_max_bytes,
    fail,
    printable,
    quoted,
    read_bytes,
    shown_path,
)
from .ids import normalized_ids
from .lists import SplitEntry, align_to_list, read_class_index, read_split_list
from .raw import (
    RawScores,
    as_segments,
    float_array,
    int_label,
    refuse_pickle_unless,
    stack_segments,
    unpickle,
)

__all__ = ["TSN_NAME_MEMBERS", "read_tsn"]


def _read_npy_member(
    zf: zipfile.ZipFile, name: str, path: PathArg, *, allow_pickle: bool, max_bytes: int
) -> npt.NDArray[Any]:
    try:
        info = zf.getinfo(name)
        if info.file_size > max_bytes:
            fail(
                path,
                f"member {name!r} expands to {info.file_size} bytes, over the limit of "
                f"{max_bytes} bytes (max_bytes, --max-bytes)",
            )
        data = zf.read(name)
    except FusionlabError:
        raise
    except DECODE_ERRORS as exc:
        fail(
            path,
            f"truncated or corrupt npz member {name!r} ({type(exc).__name__}: "
            f"{printable(str(exc))[:200]})",
        )
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            fail(path, f"member {name!r} has unsupported .npy version {version}")
        if not dtype.hasobject:
            fh.seek(0)
            return np.asarray(np.lib.format.read_array(fh, allow_pickle=False))
    except FusionlabError:
        raise
    except DECODE_ERRORS as exc:
        fail(
            path,
            f"member {name!r} is not a readable .npy array ({type(exc).__name__}: "
            f"{printable(str(exc))[:200]})",
        )
    if not allow_pickle:
        refuse_pickle_unless(False, path, "TSN --save_scores")
    obj = unpickle(fh, path, max_bytes=max_bytes)
    if not isinstance(obj, np.ndarray) or obj.shape != shape:
        fail(path, f"member {name!r} does not hold the {shape} array its header announces")
    return obj


#: Members of a TSN-style ``.npz`` that name the videos of its rows (at most one may be present).
TSN_NAME_MEMBERS: tuple[str, ...] = ("names", "video_names", "video_ids", "ids")


def read_tsn(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    row_order: RowOrder | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a TSN / tsn-pytorch ``--save_scores`` file.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` written by ``--save_scores``.
    split_list : str or path-like, optional
        The test list given to the tool. When the file holds a names member
        (one of :data:`TSN_NAME_MEMBERS`), rows are matched to the list by name:
        both must hold the same videos, and labels must agree per video. Without
        names the list is required and gives the ids by position (see
        ``row_order``), cross-checked against the file's labels.
    class_index : str or path-like, optional
        Class names; also labels one-column split lists.
    allow_pickle : bool, default False
        The file's ``scores`` member is a pickled object array: refused unless
        True, then read with the restricted unpickler.
    row_order : {"sorted", "list"}, optional
        Only for a file without names: its rows follow the sorted first column
        of the list (tsn-pytorch, the default) or the list order (Caffe TSN
        ``eval_net.py``). Ignored when the file names its rows.
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, n_segments, n_classes): logits with crops
        averaged. ``meta`` records ``crops``; ``names_member`` when the file
        names its rows; with a split list, ``row_match`` (``"name"`` or
        ``"position"``), and ``row_order`` when matched by position.
    """
    check_max_bytes(max_bytes)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    listed = (
        None
        if split_list is None
        else (
            split_list,
            read_split_list(
                split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
            ),
        )
    )
    raw, file_labels, member, file_names = _read_npz(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes
    )
    per_video, row_labels, crops = _tsn_rows(raw, path)
    n = len(per_video)
    labels = _tsn_labels(file_labels, row_labels, n, path)
    meta: dict[str, Any] = {"crops": crops}
    if file_names is not None and member is not None:
        video_names = _tsn_names(file_names, member, n, path)
        ids = normalized_ids(video_names, path, lambda i: f"'{member}'[{i}]")
        meta["names_member"] = member
        if listed is not None:
            lpath, entries = listed
            order, ids, labels = align_to_list(path, video_names, labels, entries, lpath)
            per_video = [per_video[int(k)] for k in order]
            meta["row_match"] = "name"
    elif listed is None:
        fail(
            path,
            f"holds no video names (no member {', '.join(map(repr, TSN_NAME_MEMBERS[:-1]))} "
            f"or {TSN_NAME_MEMBERS[-1]!r}): "
            "pass the test list given to the tool with --split-list (split_list=...); rows "
            "are then matched to it by position",
        )
    else:
        order_used: RowOrder = row_order or "sorted"
        ids = _tsn_by_position(path, labels, *listed, order_used)
        meta.update(row_match="position", row_order=order_used)
    scores, mask = stack_segments(per_video, path)
    return RawScores(
        scores=scores,
        labels=labels,
        video_ids=np.asarray(ids, dtype=str),
        class_names=None if names is None else np.asarray(names, dtype=str),
        segment_mask=mask,
        kind=None,
        meta=meta,
    )


def _read_npz(
    path: PathArg, *, allow_pickle: bool, max_bytes: int
) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None, str | None, npt.NDArray[Any] | None]:
    """The ``scores`` and ``labels`` members and the names member (its name and array)."""
    data = read_bytes(path, max_bytes=max_bytes, what="npz file")
    if not data.startswith(b"PK"):
        fail(path, "not an npz file (not a zip archive); expected a TSN --save_scores .npz")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = set(zf.namelist())
    except DECODE_ERRORS as exc:
        fail(
            path,
            f"truncated or corrupt npz file ({type(exc).__name__}: {printable(str(exc))[:200]})",
        )
    with zf:
        if "scores.npy" not in members:
            fail(
                path,
                f"missing member 'scores' (has {', '.join(sorted(members)) or 'none'}); "
                "expected a TSN --save_scores file",
            )
        raw = _read_npy_member(
            zf, "scores.npy", path, allow_pickle=allow_pickle, max_bytes=max_bytes
        )
        file_labels = None
        if "labels.npy" in members:
            file_labels = _read_npy_member(
                zf, "labels.npy", path, allow_pickle=allow_pickle, max_bytes=max_bytes
            )
        name_members = [m for m in TSN_NAME_MEMBERS if f"{m}.npy" in members]
        if len(name_members) > 1:
            fail(
                path,
                f"has several video-name members ({', '.join(map(repr, name_members))}); "
                f"expected at most one of {', '.join(TSN_NAME_MEMBERS)}",
            )
        file_names = (
            _read_npy_member(
                zf, f"{name_members[0]}.npy", path, allow_pickle=allow_pickle, max_bytes=max_bytes
            )
            if name_members
            else None
        )
    return raw, file_labels, (name_members[0] if name_members else None), file_names


def _tsn_labels(
    file_labels: npt.NDArray[Any] | None,
    row_labels: npt.NDArray[np.int64] | None,
    n: int,
    path: PathArg,
) -> npt.NDArray[np.int64]:
    """Labels from the ``labels`` member and/or the ``(scores, label)`` rows (-1 unknown)."""
    if file_labels is None:
        return row_labels if row_labels is not None else np.full(n, -1, dtype=np.int64)
    fl = np.asarray(file_labels)
    if fl.dtype.hasobject:
        fl_list = [int_label(v, f"labels[{i}]", path) for i, v in enumerate(fl.reshape(-1))]
        fl = np.asarray(fl_list, dtype=np.int64)
    if fl.dtype.kind not in "iu" or fl.shape != (n,):
        fail(
            path,
            f"'labels' must be {n} integers (one per row of 'scores'), got {fl.dtype} {fl.shape}",
        )
    if fl.dtype.kind == "u" and n and int(fl.max()) > INT64_MAX:
        # astype(int64) would wrap 2**64-1 around to -1 ("unknown") silently
        k = int(np.argmax(fl > INT64_MAX))
        fail(path, f"'labels'[{k}] is {int(fl[k])}, out of range (beyond int64)")
    labels = fl.astype(np.int64)
    if row_labels is not None:
        bad = np.flatnonzero(row_labels != labels)
        if bad.size:
            fail(
                path,
                f"row {int(bad[0])}: label {int(row_labels[bad[0]])} in 'scores' but "
                f"{int(labels[bad[0]])} in 'labels'",
            )
    return labels


def _tsn_names(arr: npt.NDArray[Any], member: str, n: int, path: PathArg) -> list[str]:
    """The video name of every row, from a names member (str, bytes or object array)."""
    what = f"'{member}'"
    if arr.dtype.kind not in "USO":
        fail(path, f"{what} has dtype {arr.dtype}, expected video names (strings)")
    if arr.shape != (n,):
        fail(
            path,
            f"{what} must hold {n} video names (one per row of 'scores'), got shape {arr.shape}",
        )
    out: list[str] = []
    for i, value in enumerate(arr.tolist()):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                fail(path, f"{what}[{i}] is not UTF-8 text")
        if not isinstance(value, str):
            fail(
                path,
                f"{what}[{i}] is a {printable(type(value).__name__)}, expected a video name",
            )
        out.append(value)
    return out


def _tsn_by_position(
    path: PathArg,
    labels: npt.NDArray[np.int64],
    split_list: PathArg,
    entries: Sequence[SplitEntry],
    row_order: RowOrder,
) -> list[str]:
    """Ids of an unnamed file's rows: the split list's, by position, checked by label."""
    n = len(labels)
    if len(entries) != n:
        fail(
            path, f"holds {n} videos but the split list {shown_path(split_list)} has {len(entries)}"
        )
    order = (
        sorted(range(n), key=lambda i: entries[i].path) if row_order == "sorted" else list(range(n))
    )
    rows = [entries[i] for i in order]
    list_labels = np.asarray([e.label for e in rows], dtype=np.int64)
    known = list_labels >= 0
    bad = np.flatnonzero(known & (list_labels != labels))
    if bad.size:
        i = int(bad[0])
        other = "list" if row_order == "sorted" else "sorted"
        fail(
            path,
            f"row {i} has label {int(labels[i])} but video {quoted(rows[i].video_id)} has label "
            f"{int(list_labels[i])} in the split list (line {rows[i].line}); wrong split list, "
            f"or rows in {other} order (row_order={other!r}, --row-order {other})?",
        )
    return [e.video_id for e in rows]


def _tsn_rows(
    raw: npt.NDArray[Any], path: PathArg
) -> tuple[list[FloatArray], npt.NDArray[np.int64] | None, int]:
    """Per-video (S, C) arrays, per-row labels (or None) and the crop count."""
    if not raw.dtype.hasobject:
        arr = float_array(raw, "'scores'", path)
        if arr.ndim == 4:
            crops = int(arr.shape[2])
            arr = arr.mean(axis=2, dtype=np.float64).astype(arr.dtype)
        elif arr.ndim in (2, 3):
            crops = 1
            arr = arr if arr.ndim == 3 else arr[:, None, :]
        else:
            fail(
                path,
                f"'scores' has shape {arr.shape}, expected (N, S, crops, C), (N, S, C) or (N, C)",
            )
        if arr.shape[0] == 0:
            fail(path, "'scores' holds no videos")
        return (
            [
                as_segments(a, f"'scores' row {i}", path, crops_axis=False)
                for i, a in enumerate(arr)
            ],
            None,
            crops,
        )
    if raw.ndim == 2 and raw.shape[1] == 2:
        cells = [(raw[i, 0], raw[i, 1]) for i in range(raw.shape[0])]
    elif raw.ndim == 1:
        cells = []
        for i, item in enumerate(raw):
            if isinstance(item, (tuple, list)) and len(item) == 2:
                cells.append((item[0], item[1]))
            elif isinstance(item, np.ndarray):
                cells.append((item, None))
            else:
                fail(
                    path,
                    f"'scores' row {i} is a {type(item).__name__}, expected a (scores, label) pair",
                )
    else:
        fail(
            path,
            f"'scores' is an object array of shape {raw.shape}, expected (N, 2) "
            "(scores, label) rows",
        )
    if not cells:
        fail(path, "'scores' holds no videos")
    per_video: list[FloatArray] = []
    labels: list[int] = []
    crops_seen: set[int] = set()
    for i, (arr_obj, label) in enumerate(cells):
        arr = float_array(arr_obj, f"'scores' row {i}", path)
        if arr.ndim == 3:
            crops_seen.add(int(arr.shape[1]))
        per_video.append(as_segments(arr, f"'scores' row {i}", path, crops_axis=True))
        if label is not None:
            labels.append(int_label(label, f"label of 'scores' row {i}", path))
    row_labels = np.asarray(labels, dtype=np.int64) if len(labels) == len(cells) else None
    crops = crops_seen.pop() if len(crops_seen) == 1 else 1
    return per_video, row_labels, crops
