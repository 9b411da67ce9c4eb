"""Checks of the test-time views of an evaluation: duplicate and missing views per stream.

:func:`view_checks` reads each stream whose file declares ``views`` chunk by
chunk (memory-mapped files stay on disk) and counts the videos holding
duplicate views (a view whose score vector is identical to an earlier view of
the same video: a known bug of some samplers and of distributed test loaders
that pad, or a video too short for distinct clips) and those missing views
(``segment_mask`` False; the rules then use the views present).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..scores import Evaluation
from ..views import duplicate_views, middle_clip

__all__ = ["EXAMPLE_IDS", "view_checks", "view_note"]

#: Video ids quoted in a note (all of them are in ``Results.extra["views"]``'s
#: ``duplicate_ids``, capped at ``MAX_LISTED_IDS``).
EXAMPLE_IDS = 3
MAX_LISTED_IDS = 1000
#: Elements (videos x views x classes) read at a time.
CHUNK_ELEMENTS = 2_000_000


def view_checks(ev: Evaluation) -> list[dict[str, Any]]:
    """Layout, duplicate and missing views of each stream (latest epoch) that declares views.

    Returns
    -------
    list of dict
        One per such stream, in ``ev.streams`` order: ``stream, epoch, clips,
        crops, middle_clip, n_videos, duplicate_videos, duplicate_views,
        duplicate_ids`` (ids of the videos with duplicates, file order, at most
        ``MAX_LISTED_IDS``), ``missing_videos, missing_views, note`` (one line).
        Empty when no file declares views.
    """
    out: list[dict[str, Any]] = []
    for stream in ev.streams:
        epoch = ev.epochs(stream)[-1]
        s = ev.sets[(stream, epoch)]
        layout = s.views
        if layout is None:
            continue
        n, v, c = s.scores.shape
        step = max(1, CHUNK_ELEMENTS // max(1, v * c))
        dup_per_video = np.zeros(n, dtype=np.int64)
        for i in range(0, n, step):
            sl = slice(i, min(i + step, n))
            dup_per_video[sl] = duplicate_views(s.scores[sl], s.mask_rows(sl)).sum(axis=1)
        missing = (
            np.zeros(n, dtype=np.int64) if s.segment_mask is None else (~s.segment_mask).sum(1)
        )
        rec: dict[str, Any] = {
            "stream": stream,
            "epoch": epoch,
            "clips": layout[0],
            "crops": layout[1],
            "middle_clip": middle_clip(layout[0]),
            "n_videos": int(n),
            "duplicate_videos": int((dup_per_video > 0).sum()),
            "duplicate_views": int(dup_per_video.sum()),
            "duplicate_ids": [str(x) for x in ev.video_ids[dup_per_video > 0][:MAX_LISTED_IDS]],
            "missing_videos": int((missing > 0).sum()),
            "missing_views": int(missing.sum()),
        }
        rec["note"] = view_note(rec)
        out.append(rec)
    return out


def _examples(ids: list[str]) -> str:
    shown = ", ".join(ids[:EXAMPLE_IDS])
    return f" (e.g. {shown}{', ...' if len(ids) > EXAMPLE_IDS else ''})" if ids else ""


def view_note(rec: dict[str, Any]) -> str:
    """One line about one stream's views: layout, duplicates, missing views.

    >>> note = view_note({"stream": "rgb", "clips": 10, "crops": 3, "middle_clip": 5,
    ...     "n_videos": 9, "duplicate_videos": 0, "duplicate_views": 0, "duplicate_ids": [],
    ...     "missing_videos": 0, "missing_views": 0})
    >>> note.startswith("rgb: 30 test-time views (10 clips x 3 crops; 1 clip = clip 6 of 10)")
    True
    >>> note.endswith("; no duplicate or missing views")
    True
    """
    t, k = rec["clips"], rec["crops"]
    head = (
        f"{rec['stream']}: {t * k} test-time views ({t} clips x {k} crops; "
        f"1 clip = clip {rec['middle_clip'] + 1} of {t})"
    )
    parts = []
    if rec["duplicate_views"]:
        parts.append(
            f"{rec['duplicate_videos']:,} of {rec['n_videos']:,} videos hold duplicate views "
            f"({rec['duplicate_views']:,} views identical to an earlier view of the same video"
            f"{_examples(rec['duplicate_ids'])}: a sampler or padding bug, or very short videos; "
            "consensus counts them again)"
        )
    if rec["missing_views"]:
        parts.append(
            f"{rec['missing_videos']:,} videos miss views ({rec['missing_views']:,} views masked "
            "out by segment_mask; consensus uses the views present)"
        )
    return f"{head}; " + ("; ".join(parts) if parts else "no duplicate or missing views")
