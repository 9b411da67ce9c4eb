"""``--from pyskl``: pyskl skeleton test results (:func:`read_pyskl`).

Produced by ``kennymckormick/pyskl``, one run per stream (joint, bone,
joint-motion, bone-motion configs)::

    bash tools/dist_test.sh configs/stgcn++/stgcn++_ntu60_xsub_hrnet/j.py \\
        work_dirs/stgcn++_ntu60_xsub_hrnet/j/best_top1_acc_epoch_16.pth 8 \\
        --eval top_k_accuracy --out result.pkl

(``tools/test.py CONFIG CHECKPOINT --out result.pkl`` on one GPU). ``result.pkl``
is a pickled list with one score array per test sample, ``(C,)`` (clips
averaged as the config's ``test_cfg.average_clips`` says, ``'prob'`` by default)
or ``(clips, C)``, in the order of the test dataset. That order comes from the
annotation file the config's ``data.test`` names (``ann_file``, e.g.
``ntu60_hrnet.pkl``) and its ``split`` (``xsub_val``): pyskl keeps the
annotations whose ``frame_dir`` (or ``filename``) is in ``split[NAME]``, in
annotation order. Pass that file as ``--split-list`` (a pickle, read only with
``--allow-pickle``, or the same content as ``.json``): either a list of
annotation dicts with ``frame_dir`` and ``label``, or ``{"split": {...},
"annotations": [...]}``, with ``--ann-split NAME`` naming the split (not needed
when the annotations are exactly the test samples). The ids are the
``frame_dir`` values (``S001C001P001R001A001``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UsageError
from ._util import (
    DEFAULT_MAX_BYTES,
    FloatArray,
    PathArg,
    check_max_bytes,
    fail,
    printable,
    quoted,
    safe_str,
    shown_path,
)
from .ids import normalized_ids
from .lists import read_class_index
from .raw import (
    RawScores,
    as_segments,
    finish,
    float_array,
    int_label,
    load_pickle_file,
    load_pickle_or_json,
)

__all__ = ["read_pyskl"]


def read_pyskl(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    ann_split: str | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a pyskl ``--out result.pkl`` with the annotation file it was tested on.

    Parameters
    ----------
    path : str or path-like
        The pickled list of per-sample scores.
    split_list : str or path-like
        The annotation file (pickle or ``.json``); required.
    class_index : str or path-like, optional
    allow_pickle : bool, default False
        Needed for the result and for a pickled annotation file.
    ann_split : str, optional
        The ``split`` of the test dataset config (``xsub_val``).
    label_base : {0, 1}, default 0
        Number of the first class in the annotations' labels.
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_samples, n_segments, n_classes), in annotation order.
    """
    check_max_bytes(max_bytes)
    if ann_split is not None and (not isinstance(ann_split, str) or not ann_split):
        raise UsageError(f"ann_split must be a split name such as 'xsub_val', got {ann_split!r}")
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    if split_list is None:
        fail(
            path,
            "holds no sample names; pass the annotation file of the test config (ann_file) "
            "with --split-list (split_list=...): results follow its order",
        )
    obj = load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="pyskl result"
    )
    if not isinstance(obj, list) or not obj:
        what = "an empty list" if isinstance(obj, list) else f"a {type(obj).__name__}"
        fail(path, f"holds {what}, expected a list of per-sample score arrays (--out result.pkl)")
    per_video: list[FloatArray] = [
        as_segments(float_array(a, f"sample {i}", path), f"sample {i}", path, crops_axis=False)
        for i, a in enumerate(obj)
    ]
    anns = _annotations(split_list, ann_split, allow_pickle=allow_pickle, max_bytes=max_bytes)
    if len(anns) != len(per_video):
        which = f" of split {ann_split!r}" if ann_split is not None else ""
        fail(
            path,
            f"holds {len(per_video)} samples but the annotation file {shown_path(split_list)} has "
            f"{len(anns)}{which}; is it the test set of this run (--ann-split)?",
        )
    ids = normalized_ids([a for a, _ in anns], split_list, lambda i: f"annotation {i}")
    labels = np.asarray([lab - label_base if lab >= 0 else -1 for _, lab in anns], dtype=np.int64)
    if (labels < -1).any():
        fail(split_list, f"a label is below the label base {label_base}")
    return finish(path, per_video, labels, ids, names)


def _annotations(
    path: PathArg, ann_split: str | None, *, allow_pickle: bool, max_bytes: int
) -> list[tuple[str, int]]:
    """(sample name, label) of the test samples, in annotation order."""
    obj = load_pickle_or_json(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="pyskl annotation"
    )
    splits: Any = None
    if isinstance(obj, dict):
        if "annotations" not in obj:
            fail(path, "is a dict without 'annotations'; expected pyskl's {split, annotations}")
        splits, obj = obj.get("split"), obj["annotations"]
    if not isinstance(obj, list) or not obj or not all(isinstance(a, dict) for a in obj):
        fail(path, "expected a non-empty list of annotation dicts (frame_dir, label)")
    key = "filename" if "filename" in obj[0] else "frame_dir"
    if ann_split is not None:
        if not isinstance(splits, dict):
            fail(path, f"has no 'split' dict, so --ann-split {printable(ann_split)} cannot apply")
        if ann_split not in splits:
            shown = ", ".join(sorted(printable(safe_str(s)) for s in splits)[:8])
            fail(path, f"has no split {quoted(ann_split)} (has {shown})")
        chosen = splits[ann_split]
        if not isinstance(chosen, (list, tuple, set)):
            fail(path, f"split {quoted(ann_split)} is not a list of sample names")
        keep = {s for s in chosen if isinstance(s, str)}
        obj = [a for a in obj if a.get(key) in keep]
    out: list[tuple[str, int]] = []
    for i, ann in enumerate(obj):
        name = ann.get(key)
        if not isinstance(name, str) or not name.strip():
            fail(path, f"annotation {i} has no {key!r} sample name")
        label = ann.get("label", -1)
        out.append((name, int_label(label, f"label of annotation {i} ({quoted(name)})", path)))
    return out
