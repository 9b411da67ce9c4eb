"""Groups of correlated videos: which videos were cut from one source clip.

Videos of one source clip are not independent: UCF101's ``v_<Class>_g<NN>_c<MM>``
clips of one group ``g<NN>`` share actors and scene, and HMDB51 clips cut from
one source video share its name up to a trailing counter (``..._goo_0``,
``..._goo_1``). A bootstrap that resamples such videos one by one is too
narrow, and cross-fitting folds that split a group leak it between tuning and
scoring. :func:`video_groups` maps the video ids of an evaluation to groups,
from one ``spec``:

* a **preset**: ``ucf101`` (``v_<Class>_g<NN>_c<MM>`` -> ``<Class>_g<NN>``; a
  ``v_`` prefix and folders are optional; every id must match), ``hmdb51`` (the
  id without its trailing ``_<digits>`` counter and without a ``<class>/``
  folder prefix, if any; an id that would keep no letter is its own group) or
  ``auto`` (``ucf101`` where the id matches it, ``hmdb51`` elsewhere);
* a **CSV file** of ``video_id,group`` rows (the spec names an existing file or
  ends in ``.csv``; a first row whose first cell is ``video_id`` is a header;
  ids go through :func:`fusionlab.importers.normalize_video_id`); every video
  must have a group;
* otherwise a **regular expression** searched in every id (``re.search``): its
  named group ``group``, else its first capture group, else the whole match
  names the group; every id must match.

Group codes are integers in ``[0, n_groups)``, numbered in sorted order of the
group names, so they do not depend on the order of the videos.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from .errors import UsageError

__all__ = ["PRESETS", "Grouping", "group_codes", "group_names", "spec_kind", "video_groups"]

#: The built-in group presets.
PRESETS: tuple[str, ...] = ("ucf101", "hmdb51", "auto")

_UCF101 = re.compile(r"^(?:.*/)?(?:v_)?(?P<group>[^/]*?[A-Za-z][^/]*?_g\d+)_c\d+$")
_HMDB51_COUNTER = re.compile(r"_\d+$")

SpecKind = Literal["preset", "csv", "regex"]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Grouping:
    """The groups of the videos of one evaluation.

    Attributes
    ----------
    spec : str
        The spec as given (preset name, CSV path or regex).
    kind : {"preset", "csv", "regex"}
    codes : ndarray of shape (n_videos,), int64
        Group code of each video, in [0, n_groups), aligned with the ids given.
    names : tuple of str
        The name of each group code (sorted).
    """

    spec: str
    kind: SpecKind
    codes: IntArray
    names: tuple[str, ...]

    @property
    def n_groups(self) -> int:
        """Number of distinct groups."""
        return len(self.names)

    @property
    def n_videos(self) -> int:
        """Number of videos."""
        return int(self.codes.size)


def spec_kind(spec: str) -> SpecKind:
    """What ``spec`` names: a preset, a CSV file or a regular expression.

    Raises
    ------
    UsageError
        ``spec`` is empty, or neither a preset, a file nor a valid regex.

    Examples
    --------
    >>> spec_kind("ucf101"), spec_kind("groups.csv"), spec_kind(r"^(\\w+)_\\d+$")
    ('preset', 'csv', 'regex')
    """
    if not spec:
        raise UsageError("--groups needs a preset (ucf101, hmdb51, auto), a CSV file or a regex")
    if spec in PRESETS:
        return "preset"
    if spec.lower().endswith(".csv") or os.path.isfile(spec):
        return "csv"
    try:
        re.compile(spec)
    except re.error as e:
        raise UsageError(
            f"--groups {spec!r}: not a preset ({', '.join(PRESETS)}), not a file, and not a "
            f"valid regular expression ({e})"
        ) from None
    return "regex"


def group_names(video_ids: Sequence[str] | npt.ArrayLike, spec: str) -> list[str]:
    """The group name of each video id under ``spec`` (see the module docstring).

    Parameters
    ----------
    video_ids : sequence of str, length n_videos
    spec : str
        Preset (``ucf101``, ``hmdb51``, ``auto``), CSV file or regex.

    Returns
    -------
    list of str, length n_videos

    Raises
    ------
    UsageError
        A video has no group (an id the regex or the ucf101 preset does not
        match, a video missing from the CSV file) or the CSV file cannot be
        read; the message names the file or the pattern and the first such video.

    Examples
    --------
    >>> group_names(["v_ApplyEyeMakeup_g01_c01", "v_ApplyEyeMakeup_g01_c02"], "ucf101")
    ['ApplyEyeMakeup_g01', 'ApplyEyeMakeup_g01']
    >>> group_names(["brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_2"], "hmdb51")
    ['April_09_brush_hair_u_nm_np1_ba_goo']
    >>> group_names(["s01_take3", "s02_take1"], r"^(?P<group>s\\d+)_")
    ['s01', 's02']
    """
    ids = [str(v) for v in np.asarray(video_ids, dtype=object).ravel()]
    kind = spec_kind(spec)
    if kind == "csv":
        return _from_csv(ids, Path(spec))
    if kind == "preset":
        return [_preset(v, spec) for v in ids]
    rx = re.compile(spec)
    out = []
    for v in ids:
        name = _regex_group(rx, v)
        if not name:
            raise UsageError(
                f"--groups regex {spec!r} names no group for video {v!r} "
                "(every video id must match; its named group 'group', first capture group or "
                "whole match names the group)"
            )
        out.append(name)
    return out


def video_groups(video_ids: Sequence[str] | npt.ArrayLike, spec: str) -> Grouping:
    """The :class:`Grouping` of ``video_ids`` under ``spec`` (see :func:`group_names`).

    Examples
    --------
    >>> g = video_groups(["v_A_g01_c01", "v_A_g01_c02", "v_A_g02_c01"], "ucf101")
    >>> g.codes.tolist(), g.names, g.n_groups
    ([0, 0, 1], ('A_g01', 'A_g02'), 2)
    """
    names = group_names(video_ids, spec)
    uniq, codes = np.unique(np.asarray(names, dtype=object), return_inverse=True)
    return Grouping(
        spec=spec,
        kind=spec_kind(spec),
        codes=np.asarray(codes, dtype=np.int64).reshape(-1),
        names=tuple(str(u) for u in uniq),
    )


def group_codes(video_ids: Sequence[str] | npt.ArrayLike, spec: str) -> IntArray:
    """Integer group code of each video, aligned with ``video_ids`` (sorted group names).

    The ``groups=`` argument of :func:`fusionlab.metrics.bootstrap_ci` and of
    the cross-fitting folds (:func:`fusionlab.search.stratified_folds`).

    Examples
    --------
    >>> ids = ["v_Drumming_g02_c01", "v_Archery_g07_c03", "v_Drumming_g02_c04"]
    >>> group_codes(ids, "ucf101").tolist()
    [1, 0, 1]
    """
    return video_groups(video_ids, spec).codes


def _regex_group(rx: re.Pattern[str], video_id: str) -> str | None:
    m = rx.search(video_id)
    if m is None:
        return None
    if "group" in rx.groupindex:
        return m.group("group")
    return m.group(1) if rx.groups >= 1 else m.group(0)


def _hmdb51(video_id: str) -> str:
    rest = video_id.rsplit("/", 1)[-1]
    rest = _HMDB51_COUNTER.sub("", rest)
    return rest if any(ch.isalpha() for ch in rest) else video_id


def _preset(video_id: str, preset: str) -> str:
    m = _UCF101.match(video_id)
    if m is not None and preset in ("ucf101", "auto"):
        return m.group("group")
    if preset == "ucf101":
        raise UsageError(
            f"--groups ucf101: video id {video_id!r} is not of the form v_<Class>_g<NN>_c<MM> "
            "(use --groups auto, hmdb51, a regex or a CSV file)"
        )
    return _hmdb51(video_id)


def _from_csv(ids: list[str], path: Path) -> list[str]:
    """Groups of ``ids`` from a ``video_id,group`` CSV file (header optional)."""
    from .importers import normalize_video_id

    table = _read_csv(path)
    out = []
    for v in ids:
        g = table.get(v)
        if g is None:
            g = table.get(normalize_video_id(v))
        if g is None:
            missing = sum(1 for u in ids if u not in table and normalize_video_id(u) not in table)
            raise UsageError(
                f"groups file {path}: no group for video {v!r} ({missing} of {len(ids)} videos "
                "have none; every video needs a video_id,group row)"
            )
        out.append(g)
    return out


def _read_csv(path: Path) -> dict[str, str]:
    from .importers import normalize_video_id

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"groups file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"groups file {path}: cannot read it ({e})") from None
    table: dict[str, str] = {}
    first = True
    for line_no, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if first and cells[0].lower() == "video_id":
            first = False
            continue
        first = False
        if len(cells) != 2 or not cells[0] or not cells[1]:
            raise UsageError(
                f"groups file {path}, line {line_no}: expected video_id,group, got {row!r}"
            )
        vid = normalize_video_id(cells[0])
        if table.setdefault(vid, cells[1]) != cells[1]:
            raise UsageError(
                f"groups file {path}, line {line_no}: video {vid!r} is given two groups "
                f"({table[vid]!r} and {cells[1]!r})"
            )
    if not table:
        raise UsageError(f"groups file {path}: no video_id,group rows")
    return table
