"""Coverage of an official split list: which listed videos each score file holds.

:func:`restrict_to_list` reads the list with
:func:`fusionlab.importers.read_split_list` (ids normalised with
:func:`fusionlab.importers.normalize_video_id`, exactly as the importers do),
normalises every file's ids the same way, keeps only the listed videos of
each file and counts, per file, the listed videos it has and those it lacks.
The evaluation then runs on the common set: the listed videos present in
every file of the evaluation (``--allow-partial`` restricted to the list).
Labels in the list are not used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ScoreFileError
from ..importers import SplitEntry, normalize_video_id, read_split_list
from ..scores import Evaluation, ScoreSet

__all__ = ["EXAMPLE_IDS", "coverage_note", "coverage_records", "read_list", "restrict_to_list"]

#: Missing ids quoted in a note (every one is in the record's ``missing``).
EXAMPLE_IDS = 5


def read_list(path: str, sets: Sequence[ScoreSet]) -> list[SplitEntry]:
    """The entries of split list ``path``.

    A label column holding class names is read with the class names of the
    first file that has them (the labels themselves are not used).
    """
    try:
        return read_split_list(path)
    except ScoreFileError as exc:
        names = next((s.class_names for s in sets if s.class_names is not None), None)
        if names is None or "class name" not in str(exc):
            raise
        return read_split_list(path, class_names=[str(c) for c in names])


def _normalized(s: ScoreSet) -> np.ndarray[Any, Any]:
    ids = [normalize_video_id(str(v)) for v in s.video_ids]
    first: dict[str, int] = {}
    for i, v in enumerate(ids):
        if v in first:
            raise ScoreFileError(
                s.path,
                f"videos {str(s.video_ids[first[v]])!r} and {str(s.video_ids[i])!r} are both "
                f"video id {v!r} once normalised (see normalize_video_id); cannot match them "
                "to the split list",
            )
        first[v] = i
    return np.asarray(ids, dtype=str)


def restrict_to_list(
    sets: Sequence[ScoreSet], path: str
) -> tuple[list[ScoreSet], list[dict[str, Any]]]:
    """Each set restricted to the listed videos, ids normalised, and its coverage.

    Returns
    -------
    sets : list of ScoreSet
        Same order; rows in file order, ``video_ids`` normalised.
    coverage : list of dict
        One per set: ``key`` (its evaluation key), ``stream, epoch, path,
        n_listed, n_present, n_missing, missing`` (listed ids it lacks, list
        order), ``n_not_listed`` (its videos the list does not hold, left out).

    Raises
    ------
    ScoreFileError
        A file holds none of the listed videos, or two of its ids normalise to one.
    """
    entries = read_list(path, sets)
    listed = np.asarray([e.video_id for e in entries], dtype=str)
    out: list[ScoreSet] = []
    cov: list[dict[str, Any]] = []
    for s in sets:
        ids = _normalized(s)
        keep = np.flatnonzero(np.isin(ids, listed))
        if keep.size == 0:
            raise ScoreFileError(
                s.path,
                f"none of its {s.n_videos} videos is in the split list {path} "
                f"({listed.size} listed; ids compared after normalize_video_id, e.g. "
                f"{str(ids[0])!r} and {str(listed[0])!r})",
            )
        missing = listed[~np.isin(listed, ids)]
        sub = s.take(keep)
        out.append(dataclasses.replace(sub, video_ids=ids[keep]))
        cov.append(
            {
                "key": s.eval_key,
                "stream": s.stream,
                "epoch": s.epoch,
                "path": None if s.path is None else str(s.path),
                "n_listed": int(listed.size),
                "n_present": int(keep.size),
                "n_missing": int(missing.size),
                "missing": [str(v) for v in missing],
                "n_not_listed": int(s.n_videos - keep.size),
            }
        )
    return out, cov


def coverage_records(
    evaluations: Sequence[Evaluation], coverage: Sequence[Mapping[str, Any]], path: str
) -> dict[str, dict[str, Any]]:
    """Coverage per evaluation name: ``list, n_listed, n_evaluated, streams, note``."""
    out: dict[str, dict[str, Any]] = {}
    for ev in evaluations:
        order = {s: i for i, s in enumerate(ev.streams)}
        mine = [c for c in coverage if c["key"] == ev.key]
        mine.sort(key=lambda c: (order.get(c["stream"], len(order)), c["epoch"] or -1))
        streams = [{k: v for k, v in c.items() if k != "key"} for c in mine]
        n_listed = streams[0]["n_listed"] if streams else 0
        rec = {
            "list": path,
            "n_listed": n_listed,
            "n_evaluated": ev.n_videos,
            "streams": streams,
        }
        rec["note"] = coverage_note(rec)
        out[ev.name] = rec
    return out


def coverage_note(rec: Mapping[str, Any]) -> str:
    """``evaluated on 17,747 of 19,907 listed videos (...); rgb lacks 1,204 (first: ...)``."""
    parts = []
    for c in rec["streams"]:
        name = c["stream"] if c["epoch"] is None else f"{c['stream']}@{c['epoch']}"
        if c["n_missing"]:
            shown = ", ".join(c["missing"][:EXAMPLE_IDS])
            more = ", ..." if c["n_missing"] > EXAMPLE_IDS else ""
            parts.append(
                f"{name} has {c['n_present']:,} and lacks {c['n_missing']:,} (first: {shown}{more})"
            )
        else:
            parts.append(f"{name} has all {c['n_present']:,}")
        if c["n_not_listed"]:
            parts[-1] += f", {c['n_not_listed']:,} unlisted left out"
    return (
        f"evaluated on {rec['n_evaluated']:,} of {rec['n_listed']:,} listed videos (split list "
        f"{rec['list']}: the listed videos scored by every file); " + "; ".join(parts)
    )
