"""``--from twostream``: video-level pickles of two-stream repositories (:func:`read_twostream`)."""

from __future__ import annotations

import re

import numpy as np

from ._util import (
    DEFAULT_MAX_BYTES,
    FloatArray,
    PathArg,
    check_max_bytes,
    fail,
    quoted,
    shown_path,
)
from .ids import fold, normalized_ids
from .lists import NameMatcher, read_class_index, read_split_list
from .raw import RawScores, as_segments, finish, float_array, load_pickle_file

__all__ = ["read_twostream"]

_UCF_NAME = re.compile(r"^(?:v_)?(.+)_g[0-9]+_c[0-9]+$", re.IGNORECASE)


def read_twostream(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a two-stream video-level pickle: ``{video name: scores}``.

    Parameters
    ----------
    path : str or path-like
    split_list : str or path-like, optional
        The test list: gives ids, order and (with ``class_index``) labels; the
        pickle must hold exactly its videos.
    class_index : str or path-like, optional
        Class names; without a split list, labels come from UCF101-style names.
    allow_pickle : bool, default False
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        Rows in split-list order (else in sorted id order); ``scores`` of shape
        (n_videos, n_segments, n_classes), usually summed logits.
    """
    check_max_bytes(max_bytes)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    obj = load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="two-stream score"
    )
    if not isinstance(obj, dict) or not obj:
        what = "an empty dict" if isinstance(obj, dict) else f"a {type(obj).__name__}"
        fail(path, f"holds {what}, expected a dict from video name to class scores")
    keys: list[str] = []
    arrays: list[FloatArray] = []
    for key, value in obj.items():
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if not isinstance(key, str) or not key.strip():
            fail(path, f"key {quoted(key)} is not a video name")
        keys.append(key)
        arr = float_array(value, f"scores of video {quoted(key)}", path)
        arrays.append(as_segments(arr, f"scores of video {quoted(key)}", path, crops_axis=False))

    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
        )
        pos = NameMatcher(entries, split_list).match_all(keys, path)
        order = np.argsort(pos, kind="stable")
        ids = [entries[int(pos[k])].video_id for k in order]
        labels = np.asarray([entries[int(pos[k])].label for k in order], dtype=np.int64)
        per_video = [arrays[int(k)] for k in order]
    else:
        ids_all = normalized_ids(keys, path, lambda i: f"key {i}")
        order = np.argsort(np.asarray(ids_all, dtype=str), kind="stable")
        ids = [ids_all[int(k)] for k in order]
        per_video = [arrays[int(k)] for k in order]
        labels = np.full(len(ids), -1, dtype=np.int64)
        if names is not None:
            index = {fold(n): i for i, n in enumerate(names)}
            for j, k in enumerate(order):
                m = _UCF_NAME.match(ids_all[int(k)])
                cls = m.group(1) if m else None
                if cls is None or fold(cls) not in index:
                    fail(
                        path,
                        f"video {quoted(keys[int(k)])}: unknown class name "
                        f"{quoted(cls) if cls else '(none)'} (not in the class index "
                        f"{shown_path(class_index or '')}); pass --split-list",
                    )
                labels[j] = index[fold(cls)]
    return finish(path, per_video, labels, ids, names)
