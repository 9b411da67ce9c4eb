"""``--from videomae``: VideoMAE per-rank test dumps (:func:`read_videomae`).

Produced by ``MCG-NJU/VideoMAE`` (and its derivatives, e.g. VideoMAE V2,
UniFormerV2, InternVideo)::

    OMP_NUM_THREADS=1 python -m torch.distributed.launch --nproc_per_node=8 \\
        run_class_finetuning.py --model vit_base_patch16_224 --data_set Kinetics-400 \\
        --nb_classes 400 --data_path list_kinetics-400 --finetune checkpoint.pth \\
        --output_dir OUT --batch_size 8 --num_frames 16 --sampling_rate 4 \\
        --test_num_segment 5 --test_num_crop 3 --eval --dist_eval

``--eval`` runs ``engine_for_finetuning.final_test``, which writes ``OUT/{rank}.txt``
for every process: a first line with the rank's accuracies, then one line per
test view, ``{id} {scores} {label} {chunk_nb} {split_nb}``, where ``id`` is the
video file name without extension, ``scores`` the model's output (logits) as a
Python list ``[0.1, -2.3, ...]``, ``chunk_nb`` the temporal clip and
``split_nb`` the spatial crop (0 = left/top, then centre, right/bottom for
``--test_num_crop 3``).

Give the folder (``OUT``; every ``N.txt`` in it, which must be numbered 0, 1, ...
without gaps, as ``merge`` reads ``range(num_tasks)``) or one rank file. Lines
are merged as ``merge`` does: the first line of a video's (chunk, split) view
wins, in rank order then line order, and later ones are dropped (the
``DistributedSampler`` pads the last batch with repeats); ``merge`` keys a view
by the *string* ``chunk_nb + split_nb``, which conflates chunk 1 split 12 with
chunk 11 split 2, while this reader keys it by the pair. A video's lines must
agree on its label. The result is ``(N, T * K, C)`` with ``meta["views"]``
``{"clips": T, "crops": K}`` (T = ``--test_num_segment``, K =
``--test_num_crop``, from the largest chunk and split numbers unless ``--views
TxK`` is given), clip-major with the centre crop first; a view no rank wrote is
False in ``segment_mask``. Rows are in the order videos first appear, or the
``--split-list``'s (matched by name).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._util import (
    DEFAULT_MAX_BYTES,
    FloatArray,
    PathArg,
    check_max_bytes,
    fail,
    fspath,
    parse_int,
    quoted,
    read_text,
    shown_path,
)
from .ids import normalized_ids
from .lists import align_to_list, read_class_index, read_split_list
from .raw import RawScores
from .views import ViewsArg, centre_first, parse_views, views_meta

__all__ = ["read_videomae"]

_LINE = re.compile(r"(?P<name>[^\[]*)\[(?P<data>[^\]]*)\](?P<rest>.*)")
_RANK_FILE = re.compile(r"([0-9]{1,6})\.txt")


@dataclass
class _Video:
    """One video's views as read: label, where it first appears, scores by (chunk, split)."""

    label: int
    where: str
    views: dict[tuple[int, int], FloatArray] = field(default_factory=dict)


def read_videomae(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    views: ViewsArg | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read VideoMAE ``final_test`` rank files (a folder of ``{rank}.txt``, or one of them).

    Parameters
    ----------
    path : str or path-like
        The ``--output_dir`` folder, or one ``{rank}.txt``.
    split_list : str or path-like, optional
        The test list; rows are then matched to it by name, in its order.
    class_index : str or path-like, optional
    views : "TxK" or (clips, crops), optional
        ``--test_num_segment`` x ``--test_num_crop``; by default the largest
        ``chunk_nb`` + 1 and ``split_nb`` + 1 written.
    label_base : {0, 1}, default 0
        Applies to the split list's labels.
    max_bytes : int, default 2 GiB
        Per rank file.

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, clips * crops, n_classes), logits as written.
    """
    check_max_bytes(max_bytes)
    tv = parse_views(views)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    videos: dict[str, _Video] = {}
    n_classes = [0]
    dropped = 0
    for rank_file in _rank_files(path):
        dropped += _read_rank_file(rank_file, videos, n_classes, max_bytes=max_bytes)
    if not videos:
        fail(path, "holds no score lines ('{id} [scores] {label} {chunk_nb} {split_nb}')")
    t = max(c for v in videos.values() for c, _ in v.views) + 1
    k = max(s for v in videos.values() for _, s in v.views) + 1
    if tv is not None:
        if t > tv[0] or k > tv[1]:
            fail(
                path,
                f"has chunk_nb up to {t - 1} and split_nb up to {k - 1}, more than --views "
                f"{tv[0]}x{tv[1]} allows",
            )
        t, k = tv
    keys = list(videos)
    grid = np.zeros((len(keys), t, k, n_classes[0]), dtype=np.float32)
    mask = np.zeros((len(keys), t, k), dtype=bool)
    for i, key in enumerate(keys):
        for (c, s), arr in videos[key].views.items():
            grid[i, c, s], mask[i, c, s] = arr, True
    perm = centre_first(k)
    scores = grid[:, :, perm].reshape(len(keys), t * k, -1)
    flat_mask = mask[:, :, perm].reshape(len(keys), t * k)
    labels = np.asarray([videos[key].label for key in keys], dtype=np.int64)
    ids = normalized_ids(keys, path, lambda i: videos[keys[i]].where)
    meta = views_meta(t, k)
    if dropped:
        meta["duplicate_views_dropped"] = dropped
    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
        )
        order, ids, labels = align_to_list(path, keys, labels, entries, split_list)
        scores, flat_mask = scores[order], flat_mask[order]
        meta["row_match"] = "name"
    return RawScores(
        scores=np.ascontiguousarray(scores),
        labels=labels,
        video_ids=np.asarray(ids, dtype=str),
        class_names=None if names is None else np.asarray(names, dtype=str),
        segment_mask=None if flat_mask.all() else flat_mask,
        meta=meta,
    )


def _rank_files(path: PathArg) -> Sequence[str]:
    """The rank files of a folder (0.txt, 1.txt, ... without gaps), or the one file given."""
    p = fspath(path)
    if not os.path.isdir(p):
        return [p]
    try:
        listing = os.listdir(p)
    except OSError as exc:
        fail(p, f"cannot list the folder ({exc.strerror or exc})")
    ranks = sorted(int(m.group(1)) for f in listing if (m := _RANK_FILE.fullmatch(f)))
    if not ranks:
        fail(p, "holds no rank files (0.txt, 1.txt, ...); expected VideoMAE's --output_dir")
    if ranks != list(range(len(ranks))):
        missing = sorted(set(range(ranks[-1] + 1)) - set(ranks))
        fail(
            p,
            f"has rank files up to {ranks[-1]}.txt but no {missing[0]}.txt (ranks run "
            "0, 1, ... without gaps)"
            if missing
            else "has two rank files of one number",
        )
    return [os.path.join(p, f"{r}.txt") for r in ranks]


def _read_rank_file(
    path: str, videos: dict[str, _Video], n_classes: list[int], *, max_bytes: int
) -> int:
    """Add one rank file's views to ``videos`` (first one wins); the number dropped."""
    text = read_text(path, max_bytes=max_bytes, what="VideoMAE rank file")
    dropped = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or (lineno == 1 and "[" not in line):  # the accuracy line
            continue
        m = _LINE.fullmatch(line)
        rest = m.group("rest").split() if m else []
        if m is None or len(rest) != 3 or not m.group("name").strip():
            fail(path, f"line {lineno}: expected '{{id}} [scores] {{label}} {{chunk}} {{split}}'")
        name = m.group("name").strip()
        counts: list[int] = []
        for word, tok in zip(("label", "chunk_nb", "split_nb"), rest, strict=True):
            value = parse_int(tok)
            if value is None or not 0 <= value < 10**6:
                fail(path, f"line {lineno}: {word} {quoted(tok, limit=40)} is not a count >= 0")
            counts.append(value)
        label, chunk, split = counts
        try:
            arr = np.asarray(m.group("data").split(","), dtype=np.float64)
        except ValueError:
            fail(path, f"line {lineno}: the scores are not a list of numbers")
        if arr.size < 2:
            fail(path, f"line {lineno}: {arr.size} score(s), expected at least 2 classes")
        if n_classes[0] and arr.size != n_classes[0]:
            fail(path, f"line {lineno}: {arr.size} scores, but earlier lines have {n_classes[0]}")
        n_classes[0] = arr.size
        video = videos.setdefault(name, _Video(label, f"{shown_path(path)} line {lineno}"))
        if video.label != label:
            fail(
                path,
                f"line {lineno}: video {quoted(name)} has label {label}, but {video.label} at "
                f"{video.where}",
            )
        if (chunk, split) in video.views:
            dropped += 1
            continue
        with np.errstate(over="ignore"):  # beyond float32: inf, reported on save
            video.views[(chunk, split)] = arr.astype(np.float32)
    return dropped
