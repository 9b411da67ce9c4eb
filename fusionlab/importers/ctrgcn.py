"""``--from ctrgcn``: CTR-GCN / 2s-AGCN score pickles (:func:`read_ctrgcn`).

Produced by ``Uason-Chen/CTR-GCN`` (and ``lshiwjx/2s-AGCN``, MS-G3D, InfoGCN,
which share its ``main.py``), one run per stream (``--config`` of the joint,
bone, joint-motion or bone-motion test config)::

    python main.py --config config/nturgbd-cross-subject/default.yaml \\
        --work-dir work_dir/ntu60/xsub/ctrgcn_bone --phase test --save-score True \\
        --weights work_dir/ntu60/xsub/ctrgcn_bone/runs-65-40000.pt --device 0

``--save-score True`` pickles ``{sample_name: scores}`` (one ``(C,)`` vector of
the classifier's logits per sample, in the test set's order) to
``work_dir/.../epoch1_test_score.pkl``. The labels come from ``--split-list``:

- 2s-AGCN and MS-G3D ``val_label.pkl``: a pickled ``(sample_names, labels)``
  pair (``S001C001P001R001A001.skeleton``, 0-based labels); read with
  ``--allow-pickle``, or give the same pair as ``.json``; samples are matched
  by name;
- CTR-GCN's NTU ``.npz`` (``NTU60_CS.npz``): ``y_test`` (one-hot, or integer
  labels), whose sample ``i`` CTR-GCN names ``test_i``; only that member is read.

Without a split list the ids are the dict's names and the labels unknown.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import FusionlabError
from ._util import (
    DECODE_ERRORS,
    DEFAULT_MAX_BYTES,
    FloatArray,
    PathArg,
    check_max_bytes,
    fail,
    fspath,
    printable,
    quoted,
)
from .ids import normalize_video_id, normalized_ids
from .lists import SplitEntry, align_to_list, read_class_index
from .raw import (
    RawScores,
    as_segments,
    finish,
    float_array,
    int_label,
    load_pickle_file,
    load_pickle_or_json,
)

__all__ = ["read_ctrgcn"]


def read_ctrgcn(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a CTR-GCN / 2s-AGCN ``epoch1_test_score.pkl``.

    Parameters
    ----------
    path : str or path-like
        The pickled ``{sample_name: scores}`` dict.
    split_list : str or path-like, optional
        ``val_label.pkl`` / ``.json`` ``(names, labels)``, or CTR-GCN's ``.npz``.
    class_index : str or path-like, optional
    allow_pickle : bool, default False
    label_base : {0, 1}, default 0
        Number of the first class in the label file.
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_samples, 1, n_classes), in the label file's order
        (else the dict's).
    """
    check_max_bytes(max_bytes)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    obj = load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="CTR-GCN score"
    )
    if not isinstance(obj, dict) or not obj:
        what = "an empty dict" if isinstance(obj, dict) else f"a {type(obj).__name__}"
        fail(path, f"holds {what}, expected a dict from sample name to class scores")
    keys: list[str] = []
    per_video: list[FloatArray] = []
    for key, value in obj.items():
        if not isinstance(key, str) or not key.strip():
            fail(path, f"key {quoted(key)} is not a sample name")
        keys.append(key)
        what = f"scores of sample {quoted(key)}"
        per_video.append(as_segments(float_array(value, what, path), what, path, crops_axis=False))
    unknown = np.full(len(keys), -1, dtype=np.int64)
    if split_list is None:
        ids = normalized_ids(keys, path, lambda i: f"key {i}")
        return finish(path, per_video, unknown, ids, names)
    entries = _label_entries(split_list, allow_pickle=allow_pickle, max_bytes=max_bytes)
    if label_base:
        entries = [
            SplitEntry(e.path, e.video_id, e.label - label_base if e.label >= 0 else -1, e.line)
            for e in entries
        ]
    order, ids, labels = align_to_list(path, keys, unknown, entries, split_list)
    return finish(path, [per_video[int(k)] for k in order], labels, ids, names)


def _label_entries(path: PathArg, *, allow_pickle: bool, max_bytes: int) -> list[SplitEntry]:
    """The samples of a label file as split-list entries (``line`` = 1-based sample number)."""
    if fspath(path).lower().endswith(".npz"):
        labels = _npz_labels(path, max_bytes=max_bytes)
        sample_names: Sequence[Any] = [f"test_{i}" for i in range(len(labels))]
    else:
        obj = load_pickle_or_json(
            path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="label"
        )
        if not isinstance(obj, (list, tuple)) or len(obj) != 2:
            fail(path, "expected a (sample_names, labels) pair (2s-AGCN val_label.pkl)")
        sample_names, raw = obj
        if not isinstance(sample_names, (list, tuple, np.ndarray)) or not isinstance(
            raw, (list, tuple, np.ndarray)
        ):
            fail(path, "expected a (sample_names, labels) pair of lists")
        if len(sample_names) != len(raw) or not len(raw):
            fail(path, f"has {len(sample_names)} sample names but {len(raw)} labels")
        labels = [int_label(v, f"label {i}", path) for i, v in enumerate(raw)]
    out: list[SplitEntry] = []
    for i, (name, label) in enumerate(zip(sample_names, labels, strict=True)):
        if isinstance(name, np.str_):
            name = str(name)
        if not isinstance(name, str) or not name.strip():
            fail(path, f"sample {i} has no name ({quoted(name)})")
        out.append(SplitEntry(name, normalize_video_id(name), label, i + 1))
    normalized_ids([e.path for e in out], path, lambda i: f"sample {i}")  # one id each
    return out


def _npz_labels(path: PathArg, *, max_bytes: int) -> list[int]:
    """``y_test`` of CTR-GCN's npz: one-hot rows or integer labels (other members unread)."""
    p = fspath(path)
    try:
        with zipfile.ZipFile(p) as zf:
            info = zf.getinfo("y_test.npy") if "y_test.npy" in zf.namelist() else None
            if info is None:
                fail(p, "has no 'y_test' member; expected CTR-GCN's NTU npz (x_test, y_test)")
            if info.file_size > max_bytes:
                fail(p, f"'y_test' is {info.file_size} bytes, over the limit of {max_bytes}")
            with zf.open(info) as fh:
                y: npt.NDArray[Any] = np.lib.format.read_array(fh, allow_pickle=False)
    except FusionlabError:
        raise
    except FileNotFoundError:
        fail(p, "no such label file")
    except DECODE_ERRORS as exc:
        fail(p, f"not a readable npz ({type(exc).__name__}: {printable(str(exc))[:200]})")
    if y.ndim == 2 and y.dtype.kind in "fiub" and y.shape[0] > 0:
        hot = y > 0
        if not (hot.sum(axis=1) == 1).all():
            fail(p, "'y_test' rows are not one-hot")
        return [int(v) for v in hot.argmax(axis=1)]
    if y.ndim == 1 and y.dtype.kind in "iu" and y.size:
        return [int(v) for v in y]
    fail(p, f"'y_test' has dtype {y.dtype} and shape {y.shape}, expected one-hot rows or labels")
