"""``--from slowfast``: PySlowFast test results (:func:`read_slowfast`).

Produced by ``facebookresearch/SlowFast``::

    python tools/run_net.py --cfg configs/Kinetics/SLOWFAST_8x8_R50.yaml \\
        DATA.PATH_TO_DATA_DIR k400/ TEST.CHECKPOINT_FILE_PATH model.pyth TRAIN.ENABLE False \\
        TEST.NUM_ENSEMBLE_VIEWS 10 TEST.NUM_SPATIAL_CROPS 3 TEST.SAVE_RESULTS_PATH preds.pkl

``tools/test_net.py`` pickles ``[all_preds, all_labels]`` (torch tensors, or numpy
arrays) to ``OUTPUT_DIR/preds.pkl``. The videos are the lines of the test list
``DATA.PATH_TO_DATA_DIR/test.csv`` (``path label``, space-separated), in that
order; pass it as ``--split-list``. Two layouts are read:

- **video level**, what ``test_net.py`` writes: ``all_preds`` of shape
  ``(N, C)`` is ``TestMeter.video_preds``, the views already ensembled. With
  ``DATA.ENSEMBLE_METHOD sum`` (the default) over the softmax outputs of the
  head, every row sums to the number of views V: such rows are divided by V
  (``meta["views_averaged"]``) and imported as probabilities, one segment. Rows
  that do not (``max`` ensembling, a head without softmax) are kept as they are
  (pass ``--kind``).
- **per view**: ``all_preds`` of shape ``(N * T * K, C)`` and ``all_labels`` of
  ``(N * T * K,)`` in the test loader's index order, as a dump of the per-clip
  ``preds`` and ``labels`` of ``perform_test`` gives them (one GPU). PySlowFast's
  ``Kinetics`` test set repeats every line of ``test.csv`` ``T * K`` times: clip
  index ``i`` is video ``i // (T * K)``, temporal clip ``(i % (T * K)) // K`` and
  spatial crop ``i % K`` (left/top, centre, right/bottom). ``--views TxK``
  (``TEST.NUM_ENSEMBLE_VIEWS x TEST.NUM_SPATIAL_CROPS``) is required; the result
  is ``(N, T * K, C)`` with ``meta["views"]``, clip-major, crop 0 the centre.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..scores import ScoreKind
from ._util import DEFAULT_MAX_BYTES, FloatArray, PathArg, check_max_bytes, fail, shown_path
from .lists import read_class_index, read_split_list
from .raw import RawScores, finish, float_array, load_pickle_file
from .views import ViewsArg, parse_views, to_clip_major, views_meta

__all__ = ["read_slowfast"]

#: How far from the integer V a video-level row's sum may be (float32 sums of V softmaxes).
_SUM_TOL = 1e-3


def read_slowfast(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    views: ViewsArg | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a PySlowFast ``TEST.SAVE_RESULTS_PATH`` pickle.

    Parameters
    ----------
    path : str or path-like
        The pickle of ``[all_preds, all_labels]``.
    split_list : str or path-like
        ``test.csv`` (``path label`` lines): ids and order of the videos. Required.
    class_index : str or path-like, optional
    allow_pickle : bool, default False
    views : "TxK" or (clips, crops), optional
        ``TEST.NUM_ENSEMBLE_VIEWS`` x ``TEST.NUM_SPATIAL_CROPS``; required for a
        per-view dump, and the divisor of a video-level one (else found from the
        row sums).
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, 1, n_classes) (video level) or
        (n_videos, clips * crops, n_classes) with ``meta["views"]`` (per view).
    """
    check_max_bytes(max_bytes)
    tv = parse_views(views)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    if split_list is None:
        fail(
            path,
            "holds no video names; pass PySlowFast's test list (DATA.PATH_TO_DATA_DIR/test.csv) "
            "with --split-list (split_list=...): rows follow its order",
        )
    obj = load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="PySlowFast result"
    )
    preds, labels = _payload(obj, path)
    entries = read_split_list(
        split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
    )
    n, rows = len(entries), preds.shape[0]
    if rows == n:
        per_video, meta, kind = _video_level(preds, tv)
        video_labels = labels
    elif rows % n == 0 and rows > n:
        if tv is None:
            fail(
                path,
                f"holds {rows} rows for the {n} videos of {shown_path(split_list)}: {rows // n} "
                "views per video; pass --views CLIPSxCROPS (TEST.NUM_ENSEMBLE_VIEWS x "
                "TEST.NUM_SPATIAL_CROPS)",
            )
        t, k = tv
        if rows != n * t * k:
            fail(
                path,
                f"holds {rows} rows = {rows // n} views for each of the {n} videos of "
                f"{shown_path(split_list)}, but --views {t}x{k} is {t * k} views",
            )
        per_video, video_labels = _per_view(preds, labels, n, t, k, path)
        meta, kind = views_meta(t, k), None
    else:
        fail(
            path,
            f"holds {rows} rows, but the test list {shown_path(split_list)} has {n} videos "
            "(expected one row per video, or one per view)",
        )
    list_labels = np.asarray([e.label for e in entries], dtype=np.int64)
    bad = np.flatnonzero((list_labels >= 0) & (video_labels >= 0) & (video_labels != list_labels))
    if bad.size:
        i = int(bad[0])
        fail(
            path,
            f"video {i} has label {int(video_labels[i])} but {entries[i].video_id!r} has label "
            f"{int(list_labels[i])} in {shown_path(split_list)} (line {entries[i].line}); is it "
            "the test.csv of this run?",
        )
    merged = np.where(video_labels >= 0, video_labels, list_labels)
    ids = [e.video_id for e in entries]
    return finish(path, per_video, merged, ids, names, meta=meta, kind=kind)


def _payload(obj: Any, path: PathArg) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """``all_preds`` as (rows, C) floats and ``all_labels`` as (rows,) integers."""
    if not isinstance(obj, (list, tuple)) or len(obj) != 2:
        what = f"a {type(obj).__name__}" + (
            f" of {len(obj)} items" if isinstance(obj, (list, tuple)) else ""
        )
        fail(path, f"holds {what}, expected [all_preds, all_labels] (TEST.SAVE_RESULTS_PATH)")
    preds = float_array(obj[0], "all_preds", path)
    if preds.ndim != 2 or preds.shape[0] == 0 or preds.shape[1] < 2:
        fail(path, f"all_preds has shape {preds.shape}, expected (rows, classes) with 2+ classes")
    raw_labels = obj[1]
    if not isinstance(raw_labels, np.ndarray):
        raw_labels = np.asarray(raw_labels) if isinstance(raw_labels, (list, tuple)) else None
    if raw_labels is None or raw_labels.dtype.kind not in "iu":
        fail(path, "all_labels is not an array of integer labels")
    if raw_labels.ndim != 1:
        fail(
            path,
            f"all_labels has shape {raw_labels.shape}, expected one label per row "
            "(multi-label results, DATA.MULTI_LABEL, are not supported)",
        )
    if raw_labels.shape[0] != preds.shape[0]:
        fail(
            path,
            f"all_preds has {preds.shape[0]} rows but all_labels has {raw_labels.shape[0]}",
        )
    if raw_labels.size and (raw_labels.min() < -1 or raw_labels.max() >= preds.shape[1]):
        fail(path, f"all_labels holds a label outside [0, {preds.shape[1]})")
    return preds, raw_labels.astype(np.int64)


def _video_level(
    preds: FloatArray, tv: tuple[int, int] | None
) -> tuple[list[FloatArray], dict[str, Any], ScoreKind | None]:
    """One segment per video; rows summing to V views of softmax are divided by V."""
    sums = preds.astype(np.float64).sum(axis=1)
    v = round(float(sums[0])) if np.isfinite(sums[0]) else 0
    if tv is not None:
        v = tv[0] * tv[1]
    meta: dict[str, Any] = {}
    kind: ScoreKind | None = None
    if v >= 1 and (preds >= 0).all() and np.all(np.abs(sums - v) <= _SUM_TOL * v):
        preds = (preds.astype(np.float64) / v).astype(preds.dtype)
        kind = "prob"
        if v > 1:
            meta = {"views_averaged": v}
    return [row[None, :] for row in preds], meta, kind


def _per_view(
    preds: FloatArray, labels: npt.NDArray[np.int64], n: int, t: int, k: int, path: PathArg
) -> tuple[list[FloatArray], npt.NDArray[np.int64]]:
    """(N * T * K, C) clip rows -> N arrays of (T * K, C) views, clip-major, centre first."""
    v = t * k
    by_video = labels.reshape(n, v)
    odd = np.flatnonzero((by_video != by_video[:, :1]).any(axis=1))
    if odd.size:
        i = int(odd[0])
        fail(
            path,
            f"the views of video {i} (rows {i * v} to {i * v + v - 1}) have different labels "
            f"{sorted(set(by_video[i].tolist()))}; rows are not in the test loader's order",
        )
    per_video = [
        to_clip_major(preds[i * v : (i + 1) * v], t, k, order="clip-major") for i in range(n)
    ]
    return per_video, by_video[:, 0].copy()
