"""Grouped videos in the pipeline: the groups of each evaluation and how much intervals widen.

With ``EvaluateOptions.groups`` (a spec of :mod:`fusionlab.groups`), every
evaluation's videos are mapped to groups before any work; the bootstrap of
every row then resamples groups (a cluster bootstrap) and the cross-fitting
folds never split a group. :func:`group_info` compares the grouped intervals
with plain ones computed on the same correctness matrix, and :func:`groups_note`
says it in one line for the table, the JSON and the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import metrics
from ..groups import Grouping, video_groups
from ..scores import Evaluation

__all__ = ["GROUP_FIELDS", "evaluation_groups", "group_info", "groups_note"]

#: The keys of ``Results.extra["groups"][evaluation]`` written to JSON.
GROUP_FIELDS = (
    "spec",
    "kind",
    "n_groups",
    "n_videos",
    "mean_ci_width_plain",
    "mean_ci_width_grouped",
    "widening",
)


def evaluation_groups(evaluations: Sequence[Evaluation], spec: str | None) -> dict[int, Grouping]:
    """The :class:`~fusionlab.groups.Grouping` of every evaluation's videos, keyed by ``id(ev)``.

    Codes are aligned with ``ev.video_ids`` (all videos, labelled or not).
    Empty when ``spec`` is None. Raises the one-line
    :class:`~fusionlab.errors.UsageError` of :func:`fusionlab.groups.video_groups`
    when a video has no group.
    """
    if spec is None:
        return {}
    return {id(ev): video_groups(ev.video_ids, spec) for ev in evaluations}


def group_info(
    grouping: Grouping,
    codes: npt.NDArray[np.int64],
    correct: npt.NDArray[np.bool_],
    grouped_ci: npt.NDArray[np.float64] | None,
    *,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """What ``Results.extra["groups"][evaluation]`` holds.

    Parameters
    ----------
    grouping : Grouping
        The evaluation's groups (its spec and kind).
    codes : ndarray of shape (n_videos,), int64
        Group code of each scored (known-label) video.
    correct : ndarray of shape (n_rows, n_videos), bool
        Top-1 correctness of every row of the table.
    grouped_ci : ndarray of shape (n_rows, 2), or None
        The rows' cluster-bootstrap intervals (None: no bootstrap).
    n_resamples, confidence, seed
        Those of the grouped intervals; the plain intervals use the same.

    Returns
    -------
    dict
        ``spec, kind, n_groups, n_videos, mean_ci_width_plain,
        mean_ci_width_grouped, widening`` (grouped / plain mean width; None
        without intervals or when the plain width is 0) and ``codes``.
    """
    info: dict[str, Any] = {
        "spec": grouping.spec,
        "kind": grouping.kind,
        "n_groups": int(np.unique(codes).size),
        "n_videos": int(codes.size),
        "mean_ci_width_plain": None,
        "mean_ci_width_grouped": None,
        "widening": None,
        "codes": codes,
    }
    if grouped_ci is None or correct.shape[0] == 0:
        return info
    plain = metrics.bootstrap_ci(
        correct, n_resamples=n_resamples, confidence=confidence, seed=seed, validate_args=False
    )
    w_plain = float(np.mean(plain[:, 1] - plain[:, 0]))
    w_grouped = float(np.mean(grouped_ci[:, 1] - grouped_ci[:, 0]))
    info["mean_ci_width_plain"] = w_plain
    info["mean_ci_width_grouped"] = w_grouped
    info["widening"] = w_grouped / w_plain if w_plain > 0 else None
    return info


def groups_note(info: Mapping[str, Any]) -> str:
    """One line on the groups of an evaluation, e.g. for the table and the report.

    Examples
    --------
    >>> groups_note({"spec": "ucf101", "kind": "preset", "n_groups": 95, "n_videos": 400,
    ...              "widening": 1.62})  # doctest: +NORMALIZE_WHITESPACE
    "intervals resample 95 groups of 400 videos (cluster bootstrap, preset ucf101); they are
    1.6x as wide as the plain bootstrap's; cross-fitting folds never split a group"
    """
    how = {"preset": "preset ", "regex": "regex ", "csv": "groups file "}.get(
        str(info.get("kind")), ""
    )
    w = info.get("widening")
    if w is None and info.get("mean_ci_width_grouped") is None:
        return (
            f"the {info['n_videos']} videos form {info['n_groups']} groups ({how}{info['spec']}); "
            "cross-fitting folds never split a group"
        )
    head = (
        f"intervals resample {info['n_groups']} groups of {info['n_videos']} videos "
        f"(cluster bootstrap, {how}{info['spec']})"
    )
    mid = "" if w is None else f"; they are {w:.1f}x as wide as the plain bootstrap's"
    return f"{head}{mid}; cross-fitting folds never split a group"
