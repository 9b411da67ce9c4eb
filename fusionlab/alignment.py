"""Aligning score sets on their video ids, and grouping them into evaluations.

:func:`align` matches rows by video id, never by position, and returns them in
the canonical order of sorted ids; :func:`group` buckets score sets by
(dataset, split, subset) into :class:`Evaluation` objects, each aligned.
Alignment errors name the odd file, with counts and example ids. The score
sets themselves are :class:`fusionlab.scores.ScoreSet` (this module only reads
them, so it imports that class for type checking only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .errors import AlignmentError, UsageError
from .weights import stream_order

if TYPE_CHECKING:
    from .scores import ScoreSet

__all__ = ["AlignReport", "Evaluation", "align", "group"]


@dataclass(frozen=True)
class AlignReport:
    """What alignment kept and dropped."""

    n_common: int
    dropped: dict[str, int]

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())


#: Example video ids quoted on each side of an alignment error.
_N_EXAMPLES = 3


def _set_name(s: ScoreSet, i: int) -> str:
    return str(s.path) if s.path is not None else f"set {i + 1} ({s.stream})"


def _examples(ids: npt.NDArray[np.str_]) -> str:
    """``(e.g. 'a', 'b', 'c')`` from sorted ids; all of them, without "e.g.", when few."""
    shown = ", ".join(repr(str(v)) for v in ids[:_N_EXAMPLES])
    return f"(e.g. {shown})" if ids.size > _N_EXAMPLES else f"({shown})"


def _count_ids(ids: npt.NDArray[np.str_], what: str) -> str:
    """``5 missing (e.g. 'a', 'b', 'c')``, or ``0 missing``."""
    return f"{ids.size} {what} {_examples(ids)}" if ids.size else f"0 {what}"


def _majority(ids: Sequence[npt.NDArray[np.str_]]) -> list[int] | None:
    """Indices of the files sharing one id set, if more than half of all files do."""
    for a in ids:
        same = [j for j, b in enumerate(ids) if np.array_equal(a, b)]
        if 2 * len(same) > len(ids):
            return same
    return None


def _id_mismatch_message(sets: Sequence[ScoreSet]) -> str:
    """One line naming the file(s) whose videos differ, with counts and example ids.

    With a majority (more than half of the files hold the same videos) the
    other files are named, each with the ids it lacks and those only it has;
    with two files the one holding fewer videos (both when they hold as many);
    otherwise every file, against the videos of all the others.
    """
    ids = [np.unique(s.video_ids) for s in sets]  # sorted
    names = [_set_name(s, i) for i, s in enumerate(sets)]
    major = _majority(ids)
    if major is not None:
        ref = ids[major[0]]
        odd = [i for i in range(len(sets)) if i not in major]
        parts = []
        for i in odd:
            missing, extra = np.setdiff1d(ref, ids[i]), np.setdiff1d(ids[i], ref)
            parts.append(
                f"{names[i]} has {ids[i].size} videos, "
                f"{_count_ids(missing, 'missing')}, "
                f"{_count_ids(extra, 'extra')}"
            )
        agree = ", ".join(names[j] for j in major)
        return (
            f"{', '.join(names[i] for i in odd)}: video ids differ from those of the other "
            f"{len(major)} files ({agree}; the same {ref.size} videos in each): " + "; ".join(parts)
        )
    if len(sets) == 2:
        a, b = (0, 1) if ids[0].size <= ids[1].size else (1, 0)
        only_b, only_a = np.setdiff1d(ids[b], ids[a]), np.setdiff1d(ids[a], ids[b])
        if ids[a].size < ids[b].size:
            return (
                f"{names[a]}: video ids differ from those of {names[b]} ({ids[b].size} videos): "
                f"{names[a]} has {ids[a].size} videos, "
                f"{_count_ids(only_b, 'missing')}, "
                f"{_count_ids(only_a, 'extra')}"
            )
        return (
            f"{names[0]}, {names[1]}: video ids differ: {ids[0].size} videos in each, "
            f"{_count_ids(only_a, 'only in ' + names[a])}, "
            f"{_count_ids(only_b, 'only in ' + names[b])}"
        )
    parts = []
    for i in sorted(range(len(sets)), key=lambda i: (ids[i].size, i)):
        others = np.unique(np.concatenate([ids[j] for j in range(len(sets)) if j != i]))
        missing, extra = np.setdiff1d(others, ids[i]), np.setdiff1d(ids[i], others)
        parts.append(
            f"{names[i]} has {ids[i].size} videos, "
            f"{_count_ids(missing, 'missing that other files have')}, "
            f"{_count_ids(extra, 'only in ' + names[i])}"
        )
    return (
        f"{', '.join(names)}: video ids differ, and no more than half of the files hold the "
        "same videos: " + "; ".join(parts)
    )


def _no_common_message(sets: Sequence[ScoreSet]) -> str:
    """One line for sets sharing no video: each file's count and first ids."""
    ids = [np.unique(s.video_ids) for s in sets]
    names = [_set_name(s, i) for i, s in enumerate(sets)]
    major = _majority(ids)
    items = [
        f"{names[i]} ({ids[i].size} videos, {_examples(ids[i])[1:-1]})"
        for i in range(len(sets))
        if major is None or i not in major
    ]
    if major is not None:  # the odd files first, then the files that agree, once
        agree = ", ".join(names[j] for j in major)
        ref = ids[major[0]]
        items.append(f"{agree} (the same {ref.size} videos in each, {_examples(ref)[1:-1]})")
    listed = "; ".join(items)
    return f"no video id is common to all of: {listed}"


def _check_classes(sets: Sequence[ScoreSet]) -> None:
    """The sets must have as many classes, and the same names where they name them."""
    first = sets[0]
    for s in sets[1:]:
        if s.n_classes != first.n_classes:
            raise AlignmentError(
                f"{s.path}: {s.n_classes} classes, but {first.path} has {first.n_classes}"
            )
    named = [(s, s.class_names) for s in sets if s.class_names is not None]
    for s, cn in named[1:]:
        ref, ref_cn = named[0]
        if not np.array_equal(cn, ref_cn):
            j = int(np.flatnonzero(cn != ref_cn)[0])
            raise AlignmentError(
                f"{s.path}: class {j} is named {str(cn[j])!r}, but {str(ref_cn[j])!r} in {ref.path}"
            )


def align(
    sets: Sequence[ScoreSet], *, allow_partial: bool = False
) -> tuple[list[ScoreSet], AlignReport]:
    """Align several score sets on their common ``video_ids``.

    Rows are matched by video id, never by position. The result is in the
    canonical order of sorted video ids (restricted to the common ones), so
    nothing computed from it depends on the files' row order or on the order
    in which the files are given.

    Parameters
    ----------
    sets : sequence of ScoreSet
    allow_partial : bool, default False
        Keep only the common videos when the sets do not hold the same videos;
        otherwise that is an error.

    Returns
    -------
    aligned : list of ScoreSet
        The same sets, rows reordered and restricted to the common videos.
    report : AlignReport
        How many videos each file lost.

    Raises
    ------
    AlignmentError
        Class counts or class names differ; a video's label differs between
        files (the first such video is named); no video is common (each file's
        count and first ids are given); the video sets differ and
        ``allow_partial`` is False. That message names the odd file: the one
        not holding the videos that more than half of the files hold, or, of
        two files, the one holding fewer videos (both when they hold as many;
        every file when no majority exists), with its video count, how many
        ids it lacks and how many only it has, and up to three of each.
    """
    if not sets:
        raise UsageError("no score sets to align")
    _check_classes(sets)
    first = sets[0]
    # Canonical order: sorted video ids, so that results (bootstrap resamples,
    # cross-fitting folds) never depend on the files' row order or file order.
    common = np.sort(first.video_ids)
    for s in sets[1:]:
        common = common[np.isin(common, s.video_ids)]
    if common.size == 0:
        raise AlignmentError(_no_common_message(sets))
    dropped = {str(s.path): s.n_videos - int(common.size) for s in sets}
    if any(dropped.values()) and not allow_partial:
        raise AlignmentError(
            f"{_id_mismatch_message(sets)}; {common.size} common; pass --allow-partial "
            "(allow_partial=True) to keep only the common videos"
        )
    out: list[ScoreSet] = []
    for s in sets:
        order = np.argsort(s.video_ids, kind="stable")
        pos = order[np.searchsorted(s.video_ids, common, sorter=order)]
        out.append(s.take(pos) if not np.array_equal(pos, np.arange(s.n_videos)) else s)
    labels = out[0].labels.copy()
    for s in out[1:]:
        both = (labels >= 0) & (s.labels >= 0)
        diff = both & (labels != s.labels)
        if diff.any():
            i = int(np.flatnonzero(diff)[0])
            raise AlignmentError(
                f"{s.path}: label of video {str(common[i])!r} is {int(s.labels[i])}, but "
                f"{int(labels[i])} in {out[0].path}"
            )
        labels = np.where(labels >= 0, labels, s.labels)
    return out, AlignReport(n_common=int(common.size), dropped=dropped)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Aligned score sets sharing dataset, split and subset.

    Streams and epochs are separate axes: ``sets[(stream, epoch)]``.

    Attributes
    ----------
    key : (dataset, split, subset)
    sets : dict mapping (stream, epoch) to ScoreSet
        All aligned: same videos in the same order.
    labels : ndarray of shape (n_videos,), int64
        Labels merged over files (-1 only where no file knows the label).
    video_ids : ndarray of shape (n_videos,), str
    class_names : ndarray of shape (n_classes,), str, or None
    report : AlignReport
    label : str or None
        Set by :func:`group` when two keys would print the same name (split "1"
        and split "split1"): the raw key then names the evaluation.
    """

    key: tuple[str | None, str | None, str | None]
    sets: dict[tuple[str, int | None], ScoreSet]
    labels: npt.NDArray[np.int64]
    video_ids: npt.NDArray[np.str_]
    class_names: npt.NDArray[np.str_] | None
    report: AlignReport
    label: str | None = None

    @property
    def name(self) -> str:
        """``dataset/splitN/subset``; unique among the evaluations of one :func:`group`."""
        if self.label is not None:
            return self.label
        dataset, split, subset = self.key
        parts = [dataset or "scores"]
        if split is not None:
            parts.append(split if not split.isdigit() else f"split{split}")
        if subset is not None:
            parts.append(subset)
        return "/".join(parts)

    @property
    def streams(self) -> list[str]:
        """Stream names: ``rgb``, ``flow``, then the rest alphabetically (never file order)."""
        seen: list[str] = []
        for stream, _ in self.sets:
            if stream not in seen:
                seen.append(stream)
        return stream_order(seen)

    def epochs(self, stream: str) -> list[int | None]:
        eps = [e for (s, e) in self.sets if s == stream]
        return sorted(eps, key=lambda e: -1 if e is None else e)

    def latest(self, stream: str) -> ScoreSet:
        """The set of ``stream`` at its latest epoch."""
        return self.sets[(stream, self.epochs(stream)[-1])]

    @property
    def n_videos(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        return next(iter(self.sets.values())).n_classes


def group(sets: Sequence[ScoreSet], *, allow_partial: bool = False) -> list[Evaluation]:
    """Group score sets into evaluations by (dataset, split, subset) and align each.

    Parameters
    ----------
    sets : sequence of ScoreSet
    allow_partial : bool, default False
        Passed to :func:`align`.

    Returns
    -------
    list of Evaluation
        In order of first appearance.

    Raises
    ------
    AlignmentError
        Two files claim the same (stream, epoch) in one evaluation, or
        :func:`align` fails.
    """
    buckets: dict[tuple[str | None, str | None, str | None], list[ScoreSet]] = {}
    for s in sets:
        buckets.setdefault(s.eval_key, []).append(s)
    out: list[Evaluation] = []
    for key, members in buckets.items():
        seen: dict[tuple[str, int | None], ScoreSet] = {}
        for s in members:
            k = (s.stream, s.epoch)
            if k in seen:
                raise AlignmentError(
                    f"{s.path}: stream {s.stream!r} epoch {s.epoch} is also given by "
                    f"{seen[k].path} in the same evaluation"
                )
            seen[k] = s
        aligned, report = align(members, allow_partial=allow_partial)
        labels = aligned[0].labels.copy()
        for s in aligned[1:]:
            labels = np.where(labels >= 0, labels, s.labels)
        names = next((s.class_names for s in aligned if s.class_names is not None), None)
        out.append(
            Evaluation(
                key=key,
                sets={(s.stream, s.epoch): s for s in aligned},
                labels=labels,
                video_ids=aligned[0].video_ids,
                class_names=names,
                report=report,
            )
        )
    counts: dict[str, int] = {}
    for ev in out:
        counts[ev.name] = counts.get(ev.name, 0) + 1
    return [
        ev
        if counts[ev.name] == 1
        else replace(
            ev, label="/".join(f"{k}={v}" for k, v in zip(_KEY_NAMES, ev.key, strict=True))
        )
        for ev in out
    ]


_KEY_NAMES = ("dataset", "split", "subset")
