"""Split lists and class indexes, and matching a file's video names to a split list."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import numpy.typing as npt

from ._util import (
    DEFAULT_MAX_BYTES,
    INT64_MAX,
    PathArg,
    are,
    fail,
    first_few,
    is_int,
    numtext,
    parse_int,
    quoted,
    read_text,
    safe_str,
    shown_path,
    spelled,
)
from .ids import fold, last_component, normalize_video_id, strip_v

__all__ = [
    "NameMatcher",
    "SplitEntry",
    "align_to_list",
    "read_class_index",
    "read_split_list",
]

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class SplitEntry:
    """One line of a split list.

    Attributes
    ----------
    path : str
        The first column as written.
    video_id : str
        ``normalize_video_id(path)``.
    label : int
        0-based class, or -1 when the line gives none.
    line : int
        1-based line number, for messages.
    """

    path: str
    video_id: str
    label: int
    line: int


def read_class_index(path: PathArg, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[str]:
    """Read a class index: ``number name`` lines or one name per line.

    Parameters
    ----------
    path : str or path-like
        ``classInd.txt`` style (``1 ApplyEyeMakeup``; numbering from 0 or 1,
        contiguous, any line order) or a label map with one class name per line
        (names may contain spaces).
    max_bytes : int, default 2 GiB

    Returns
    -------
    list of str
        Class names in class order (index 0 first).
    """
    text = read_text(path, max_bytes=max_bytes, what="class index file")
    lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if not lines:
        fail(path, "holds no class names")
    split = [(i, ln.split(maxsplit=1)) for i, ln in lines]
    numbered = all(len(p) == 2 and _DIGITS.fullmatch(p[0]) for _, p in split)
    if not numbered and all(len(p) == 2 and p[0].isnumeric() for _, p in split):
        # Every line starts with a number, but not all in ASCII digits ("² cat"): a
        # classInd.txt with a typo, not a label map whose names all start with numbers.
        i, p = next((i, p) for i, p in split if not _DIGITS.fullmatch(p[0]))
        fail(
            path,
            f"line {i}: class number {quoted(p[0])} is not a plain integer (expected ASCII digits "
            "0-9 in 'number name' lines)",
        )
    names: list[str]
    if numbered:
        pairs = [(parse_int(p[0]) or 0, p[1].strip()) for _, p in split]
        numbers = sorted(n for n, _ in pairs)
        base = numbers[0]
        if base not in (0, 1) or numbers != list(range(base, base + len(numbers))):
            shown = ", ".join(safe_str(n) for n in numbers[:5])
            fail(
                path,
                f"class numbers must run from 0 or 1 without gaps or repeats, got {shown}...",
            )
        names = [""] * len(pairs)
        for n, name in pairs:
            names[n - base] = name
    else:
        names = [ln for _, ln in lines]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            fail(path, f"class name {quoted(name)} appears twice (classes {seen[name]} and {i})")
        seen[name] = i
    if len(names) < 2:
        fail(path, f"needs at least 2 classes, got {len(names)}")
    return names


def read_split_list(
    path: PathArg,
    *,
    class_names: Sequence[str] | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[SplitEntry]:
    """Read a split (annotation) list: ``path``, ``path label`` or ``path frames label``.

    Parameters
    ----------
    path : str or path-like
    class_names : sequence of str, optional
        From :func:`read_class_index`; gives the label of a one-column line from
        the first folder of its path, and lets a label column hold a class name.
    label_base : {0, 1}, default 0
        Number of the first class in numeric labels.
    max_bytes : int, default 2 GiB

    Returns
    -------
    list of SplitEntry
        In file order; ids are unique.
    """
    text = read_text(path, max_bytes=max_bytes, what="split list")
    index = {name: i for i, name in enumerate(class_names or ())}
    out: list[SplitEntry] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) > 3:
            fail(
                path,
                f"line {lineno} has {len(parts)} columns; expected 'path', 'path label' or "
                "'path num_frames label' (multi-label lists are not supported)",
            )
        video = parts[0]
        label = -1
        if len(parts) == 1:
            folder = PurePosixPath(video.replace("\\", "/")).parent.name
            if index and folder:
                if folder not in index:
                    fail(
                        path,
                        f"line {lineno}: unknown class name {quoted(folder)} (not in the class "
                        "index)",
                    )
                label = index[folder]
        else:
            if len(parts) == 3 and not is_int(parts[1]):
                fail(path, f"line {lineno}: number of frames {quoted(parts[1])} is not an integer")
            token = parts[-1]
            number = parse_int(token)
            if number is not None:
                label = number - label_base
                if label < 0:
                    fail(
                        path,
                        f"line {lineno}: label {numtext(token)} is below the label base "
                        f"{label_base}",
                    )
                if index and label >= len(index):
                    fail(
                        path,
                        f"line {lineno}: label {numtext(token)} is out of range for {len(index)} "
                        "classes",
                    )
                if label > INT64_MAX:
                    fail(path, f"line {lineno}: label {numtext(token)} is out of range")
            elif token in index:
                label = index[token]
            else:
                fail(
                    path,
                    f"line {lineno}: label {quoted(token)} is neither an integer nor a class name",
                )
        vid = normalize_video_id(video)
        if not vid:
            fail(path, f"line {lineno}: empty video name")
        if vid in seen:
            first = out[seen[vid]]
            fail(
                path,
                f"video id {quoted(vid)} appears twice (lines {first.line} and {lineno})"
                f"{spelled(first.path, video)}",
            )
        seen[vid] = len(out)
        out.append(SplitEntry(path=video, video_id=vid, label=label, line=lineno))
    if not out:
        fail(path, "holds no videos")
    return out


class NameMatcher:
    """Resolves names from an input file to split-list entries.

    A name is normalised (:func:`normalize_video_id`) and looked up exactly; failing
    that, where the split list makes it unambiguous: case-insensitively and with or
    without a ``v_`` prefix, and a folder-qualified id (``frames/12345``) against a
    list id without a folder (``12345``) or the reverse. Two different folders never
    match (``a/100`` is not ``b/100``).
    """

    def __init__(self, entries: Sequence[SplitEntry], split_path: PathArg) -> None:
        self.entries = entries
        self.split_path = split_path
        self.exact = {e.video_id: i for i, e in enumerate(entries)}
        self.loose = self._unambiguous(
            (key, i)
            for i, e in enumerate(entries)
            for key in {fold(e.video_id), fold(strip_v(e.video_id))}
        )
        self.by_last = self._unambiguous(
            (last_component(e.video_id), i) for i, e in enumerate(entries) if "/" in e.video_id
        )

    @staticmethod
    def _unambiguous(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
        out: dict[str, int] = {}
        ambiguous: set[str] = set()
        for key, i in pairs:
            if key in out and out[key] != i:
                ambiguous.add(key)
            out[key] = i
        for key in ambiguous:
            del out[key]
        return out

    def find(self, name: str) -> int | None:
        vid = normalize_video_id(name)
        if vid in self.exact:
            return self.exact[vid]
        for key in (fold(vid), fold(strip_v(vid))):
            if key in self.loose:
                return self.loose[key]
        if "/" in vid:  # "frames/12345" -> "12345" (a list id holds "/" only with its folder)
            return self.exact.get(last_component(vid))
        return self.by_last.get(vid)  # "12345" -> "frames/12345"

    def match_all(self, names: Sequence[str], input_path: PathArg) -> npt.NDArray[np.intp]:
        """Position in the split list of every name; both sides must hold the same videos.

        A difference is reported with the count on each side and the first few
        names that have no partner.
        """
        pos = np.full(len(names), -1, dtype=np.intp)
        taken: dict[int, int] = {}
        extra: list[str] = []
        for k, name in enumerate(names):
            i = self.find(name)
            if i is None:
                extra.append(name)
                continue
            if i in taken:
                fail(
                    input_path,
                    f"videos {quoted(names[taken[i]])} and {quoted(name)} are both video "
                    f"{quoted(self.entries[i].video_id)} of the split list "
                    f"{shown_path(self.split_path)}",
                )
            taken[i] = k
            pos[k] = i
        missing = [e for i, e in enumerate(self.entries) if i not in taken]
        if extra or missing:
            n_list = len(self.entries)
            parts = [
                f"{len(extra)} of its {len(names)} videos {are(len(extra))} not in the split list"
                + first_few(quoted(v, limit=80) for v in extra),
                f"{len(missing)} of the {n_list} videos of the split list {are(len(missing))} "
                "missing from it"
                + first_few(f"{quoted(e.video_id, limit=80)} (line {e.line})" for e in missing),
            ]
            fail(
                input_path,
                f"holds other videos than the split list {shown_path(self.split_path)} (matched by "
                f"name): {'; '.join(parts)}",
            )
        return pos


def align_to_list(
    path: PathArg,
    names: Sequence[str],
    labels: npt.NDArray[np.int64],
    entries: Sequence[SplitEntry],
    split_list: PathArg,
    *,
    label_word: str = "label",
) -> tuple[npt.NDArray[np.intp], list[str], npt.NDArray[np.int64]]:
    """Match rows to the split list by name (never by position).

    Parameters
    ----------
    names : sequence of str, length n_rows
        The name of every row as the file writes it.
    labels : ndarray of shape (n_rows,), int64
        The file's labels (-1 unknown); where the list knows one too, they must agree.

    Returns
    -------
    order : ndarray of shape (n_rows,)
        Row indexes in split-list order.
    ids : list of str
        The split list's id of each row, in that order.
    labels : ndarray of shape (n_rows,), int64
        The file's label, else the list's, in that order.
    """
    pos = NameMatcher(entries, split_list).match_all(names, path)
    list_labels = np.asarray([entries[int(p)].label for p in pos], dtype=np.int64)
    bad = np.flatnonzero((labels >= 0) & (list_labels >= 0) & (labels != list_labels))
    if bad.size:
        k = int(bad[0])
        e = entries[int(pos[k])]
        fail(
            path,
            f"video {quoted(e.video_id)} has {label_word} {int(labels[k])} in this file but label "
            f"{int(list_labels[k])} in the split list {shown_path(split_list)} (line {e.line})",
        )
    merged = np.where(labels >= 0, labels, list_labels)
    order = np.argsort(pos, kind="stable")
    return order, [entries[int(pos[int(k)])].video_id for k in order], merged[order]
