"""``--from mmaction2``: MMAction2 result dumps (:func:`read_mmaction2`).

Produced by ``open-mmlab/mmaction2`` 1.x::

    python tools/test.py CONFIG CHECKPOINT --dump result.pkl

(0.x: ``--out result.pkl``). To keep every test-time view, add
``--cfg-options model.cls_head.average_clips=None`` and import with ``--views
CLIPSxCROPS`` (``num_clips`` of the test ``SampleFrames`` x 1 for ``CenterCrop``
or 3 for ``ThreeCrop``): ``pred_score`` is then ``(num_clips * num_crops, C)``
logits, stacked crop-major, and is written clip-major with the centre crop
first (``ThreeCrop`` takes left/top, centre, right/bottom).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._util import (
    DEFAULT_MAX_BYTES,
    FloatArray,
    PathArg,
    RowOrder,
    check_max_bytes,
    fail,
    printable,
    quoted,
    safe_str,
    shown_path,
)
from .ids import normalized_ids
from .lists import SplitEntry, align_to_list, read_class_index, read_split_list
from .raw import RawScores, as_segments, finish, float_array, int_label, load_pickle_file
from .views import ViewsArg, parse_views, to_clip_major, views_meta

__all__ = ["read_mmaction2"]


def _dig(sample: dict[Any, Any], flat: str, nested: str) -> Any:
    if flat in sample:
        return sample[flat]
    inner = sample.get(nested)
    if isinstance(inner, dict) and "item" in inner:
        return inner["item"]
    return None


def read_mmaction2(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    row_order: RowOrder = "list",
    views: ViewsArg | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read an MMAction2 result dump (1.x ``--dump`` dicts or a 0.x ``--out`` list).

    Parameters
    ----------
    path : str or path-like
        The pickle.
    split_list : str or path-like
        The test annotation file; required unless every sample dict names its
        video (``filename`` or ``frame_dir``). Named samples are matched to it by
        name (same videos, labels agreeing per video), others by position.
    class_index : str or path-like, optional
        Class names (a label map).
    allow_pickle : bool, default False
        Refused unless True; read with the restricted unpickler (torch CPU
        tensors are decoded without torch).
    row_order : {"list", "sorted"}, default "list"
        Order of unnamed samples against the split list; not used for named ones.
    views : "TxK" or (clips, crops), optional
        ``num_clips`` of the test pipeline's ``SampleFrames`` x crops (1 for
        ``CenterCrop``, 3 for ``ThreeCrop``) of a dump made with
        ``model.cls_head.average_clips=None``; needed unless every sample says
        ``num_clips``. The views are then laid out clip-major with the centre
        crop first (``meta["views"]``).
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, n_segments, n_classes) as dumped
        (probabilities for ``average_clips='prob'``, logits for ``'score'``).
        With a split list, ``meta`` records ``row_match`` (``"name"`` or
        ``"position"``, then with ``row_order``); with views, ``views``.
    """
    check_max_bytes(max_bytes)
    tv = parse_views(views)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    obj = load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="MMAction2 result"
    )
    if not isinstance(obj, list) or not obj:
        what = "an empty list" if isinstance(obj, list) else f"a {type(obj).__name__}"
        fail(path, f"holds {what}, expected a list of per-sample results")
    per_video, dump_labels, dump_names = _samples(obj, path)
    per_video, view_meta = _views(obj, per_video, tv, path)
    n = len(per_video)
    labels = (
        np.asarray(dump_labels, dtype=np.int64)
        if len(dump_labels) == n
        else np.full(n, -1, dtype=np.int64)
    )
    if 0 < len(dump_labels) < n:
        fail(path, f"only {len(dump_labels)} of {n} samples have 'gt_label'")
    if 0 < len(dump_names) < n:
        fail(
            path,
            f"only {len(dump_names)} of {n} samples name their video ('filename' or "
            "'frame_dir'); expected all or none",
        )
    has_names = len(dump_names) == n
    meta: dict[str, Any] = {}
    if has_names:
        ids = normalized_ids(dump_names, path, lambda i: f"sample {i}")

    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
        )
        if has_names:  # by name: the dump's order does not matter
            order, ids, labels = align_to_list(
                path, dump_names, labels, entries, split_list, label_word="gt_label"
            )
            per_video = [per_video[int(k)] for k in order]
            meta = {"row_match": "name"}
        else:
            ids, labels = _mm_by_position(path, labels, entries, split_list, row_order)
            meta = {"row_match": "position", "row_order": row_order}
    elif not has_names:
        fail(
            path,
            "holds no video names; pass the test annotation file with --split-list "
            "(split_list=...): rows follow its order",
        )
    return finish(path, per_video, labels, ids, names, meta={**meta, **view_meta})


def _samples(obj: list[Any], path: PathArg) -> tuple[list[FloatArray], list[int], list[str]]:
    """Each sample's (S, C) scores, and the labels and video names of those that give them."""
    per_video: list[FloatArray] = []
    dump_labels: list[int] = []
    dump_names: list[str] = []
    for i, item in enumerate(obj):
        if isinstance(item, dict):
            score = _dig(item, "pred_score", "pred_scores")
            if score is None:
                fail(
                    path,
                    f"sample {i} has no 'pred_score' (keys: "
                    f"{printable(', '.join(sorted(map(safe_str, item)))[:120])})",
                )
            if isinstance(score, dict):
                fail(path, f"sample {i}: 'pred_score' is a dict (multi-head model); not supported")
            arr = float_array(score, f"'pred_score' of sample {i}", path)
            label = _dig(item, "gt_label", "gt_labels")
            if label is not None:
                if isinstance(label, np.ndarray) and label.size > 1:
                    fail(path, f"sample {i} has {label.size} labels (multi-label); not supported")
                dump_labels.append(int_label(label, f"'gt_label' of sample {i}", path))
            name = item.get("filename", item.get("frame_dir"))
            if isinstance(name, str) and name.strip():
                dump_names.append(name)
        else:
            arr = float_array(item, f"sample {i}", path)
        per_video.append(as_segments(arr, f"scores of sample {i}", path, crops_axis=False))
    return per_video, dump_labels, dump_names


def _views(
    obj: list[Any], per_video: list[FloatArray], tv: tuple[int, int] | None, path: PathArg
) -> tuple[list[FloatArray], dict[str, Any]]:
    """Per-view scores (``average_clips=None``) laid out clip-major, centre crop first.

    MMAction2 stacks a sample's views crop-major (``FormatShape``: ``N_crops x
    N_clips``) and ``ThreeCrop`` takes left/top, centre, right/bottom. A score of
    shape ``(T * K * C,)`` (the flattened form) is split into its ``T * K`` views.
    """
    said_raw = [item.get("num_clips") if isinstance(item, dict) else None for item in obj]
    said = [v for v in said_raw if type(v) is int and v > 0]
    said_all = len(said) == len(said_raw)
    if tv is None and not said_all:
        return per_video, {}
    if tv is None:
        t = int(said[0])
        sizes = {a.shape[0] for a in per_video}
        if len(set(said)) != 1 or len(sizes) != 1 or sizes.pop() % t:
            fail(
                path,
                "samples say 'num_clips' but their view counts do not divide into it; "
                "pass --views CLIPSxCROPS",
            )
        tv = (t, per_video[0].shape[0] // t)
    t, k = tv
    v = t * k
    if said_all and int(said[0]) != t:
        fail(path, f"samples say num_clips {said[0]}, but --views {t}x{k} says {t} clips")
    out: list[FloatArray] = []
    for i, a in enumerate(per_video):
        if a.shape[0] == 1 and v > 1 and a.shape[1] % v == 0 and a.shape[1] // v >= 2:
            a = a.reshape(v, a.shape[1] // v)  # the flattened form
        if a.shape[0] != v:
            fail(
                path,
                f"sample {i} has {a.shape[0]} views of {a.shape[1]} classes, but --views {t}x{k} "
                f"is {v} views (dump with model.cls_head.average_clips=None)",
            )
        out.append(to_clip_major(a, t, k, order="crop-major"))
    return out, views_meta(t, k) if v > 1 else {}


def _mm_by_position(
    path: PathArg,
    labels: npt.NDArray[np.int64],
    entries: Sequence[SplitEntry],
    split_list: PathArg,
    row_order: RowOrder,
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Ids and labels of an unnamed dump's rows: the annotation file's, by position."""
    n = len(labels)
    if len(entries) != n:
        fail(
            path,
            f"holds {n} samples but the split list {shown_path(split_list)} has {len(entries)}",
        )
    rows = sorted(entries, key=lambda e: e.path) if row_order == "sorted" else list(entries)
    list_labels = np.asarray([e.label for e in rows], dtype=np.int64)
    both = (labels >= 0) & (list_labels >= 0)
    bad = np.flatnonzero(both & (labels != list_labels))
    if bad.size:
        i = int(bad[0])
        fail(
            path,
            f"sample {i} has gt_label {int(labels[i])} but video {quoted(rows[i].video_id)} "
            f"has label {int(list_labels[i])} in the split list (line {rows[i].line}); is it "
            "the annotation file of this test run?",
        )
    return [e.video_id for e in rows], np.where(labels >= 0, labels, list_labels)
