"""``--from csv``: CSV (or TSV) files of class scores (:func:`read_csv`).

One row per video, or per video and segment; the accepted columns are listed in
the :mod:`fusionlab.importers` docstring. pandas is imported only when a file
is read.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ._util import (
    DECODE_ERRORS,
    DEFAULT_MAX_BYTES,
    FloatArray,
    PathArg,
    check_max_bytes,
    fail,
    fspath,
    numtext,
    parse_int,
    printable,
    quoted,
    read_text,
    shown_path,
    spelled,
)
from .ids import normalize_video_id
from .lists import align_to_list, read_class_index, read_split_list
from .raw import RawScores

__all__ = ["read_csv"]

_CSV_ID = ("video_id", "video", "video_name", "id", "name", "vid", "filename", "path")
_CSV_LABEL = ("label", "gt_label", "target", "class_id", "true_label", "y")
_CSV_SEGMENT = ("segment", "segment_id", "seg", "clip", "clip_id", "view")
_POSITIONAL = re.compile(r"(?:(?:score|class|prob|logit)_?)?([0-9]+)", re.IGNORECASE)


def read_csv(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a CSV of class scores (one row per video, or per video and segment).

    Parameters
    ----------
    path : str or path-like
        See the module docstring for the accepted columns.
    split_list : str or path-like, optional
        Must hold exactly the CSV's videos; gives the row order and labels
        where the CSV has none (where both give one, they must agree).
    class_index : str or path-like, optional
        Score columns are matched to it by name (or by class number).
    label_base : {0, 1}, default 0
        Number of the first class in numeric labels (CSV and split list).
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, n_segments, n_classes), float64. With a
        segment column, a row's segment number (minus the detected base, 0 or 1,
        recorded as ``meta["segment_base"]``) is its slot on the segment axis;
        ``segment_mask`` is False in the slots a video has no row for.

    Raises
    ------
    ScoreFileError
        Among others: a (video, segment) pair given twice (naming the row), a
        smallest segment number other than 0 or 1, or segment numbers so sparse
        that the score array would exceed ``max_bytes``.
    """
    check_max_bytes(max_bytes)
    names_idx = (
        read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    )
    text = read_text(path, max_bytes=max_bytes, what="CSV file")
    sep = "\t" if fspath(path).lower().endswith(".tsv") else ","
    header = _header(text, sep, path)
    id_col, label_col, seg_col, score_cols = _columns(header, path)
    col_class, class_names = _classes([header[i] for i in score_cols], names_idx, class_index, path)
    special = [c for c in (id_col, label_col, seg_col) if c is not None]
    df = _frame(text, sep, header, special, score_cols, path)
    scores_by_class = _scores_by_class(df, score_cols, col_class, header, path)

    raw_ids = [_cell(v) for v in df[id_col].tolist()]
    for r, v in enumerate(raw_ids):
        if not v:
            fail(path, f"row {r + 2}: empty video id")
    row_labels = np.full(len(df), -1, dtype=np.int64)
    if label_col is not None:
        row_labels = _row_labels(
            df[label_col].tolist(), class_names, len(col_class), label_base, path
        )
    seg_cells = None if seg_col is None else [_cell(v) for v in df[seg_col].tolist()]
    seg_numbers = None if seg_cells is None else _segment_numbers(seg_cells, path)

    # Group rows into videos (order of first appearance).
    ids = [normalize_video_id(v) for v in raw_ids]
    groups: dict[str, list[int]] = {}
    for r, vid in enumerate(ids):
        if not vid:
            fail(path, f"row {r + 2}: empty video id")
        groups.setdefault(vid, []).append(r)

    slots, n_segments, meta = _slots(
        groups, raw_ids, seg_numbers, seg_cells, len(col_class), max_bytes, path
    )
    scores, mask, label_arr, video_names = _videos(
        groups, slots, n_segments, scores_by_class, row_labels, raw_ids, seg_cells, path
    )
    out_ids = list(groups)
    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=class_names, label_base=label_base, max_bytes=max_bytes
        )
        order, out_ids, label_arr = align_to_list(path, video_names, label_arr, entries, split_list)
        scores, mask = scores[order], mask[order]
    return RawScores(
        scores=scores,
        labels=label_arr,
        video_ids=np.asarray(out_ids, dtype=str),
        class_names=None if class_names is None else np.asarray(class_names, dtype=str),
        segment_mask=None if mask.all() else mask,
        kind=None,
        meta=meta,
    )


def _header(text: str, sep: str, path: PathArg) -> list[str]:
    """The column names of the first line; unique and non-empty."""
    try:
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=sep))
    except (csv.Error, StopIteration) as exc:
        fail(path, f"unreadable CSV header ({exc})")
    header = [h.strip() for h in header]
    if not any(header):
        fail(path, "has an empty header line; expected column names")
    dup = next((h for i, h in enumerate(header) if h in header[:i]), None)
    if dup is not None:
        fail(path, f"column {quoted(dup)} appears twice in the header")
    if any(not h for h in header):
        fail(path, f"column {header.index('') + 1} has an empty name")
    return header


def _columns(header: Sequence[str], path: PathArg) -> tuple[int, int | None, int | None, list[int]]:
    """The video id, label and segment columns (or None), and the class score columns."""

    def pick(accepted: tuple[str, ...], role: str) -> int | None:
        hits = [i for i, h in enumerate(header) if h.lower() in accepted]
        if len(hits) > 1:
            fail(path, f"several {role} columns ({', '.join(quoted(header[i]) for i in hits)})")
        return hits[0] if hits else None

    id_col = pick(_CSV_ID, "video id")
    if id_col is None:
        fail(
            path,
            f"no video id column; name one of: {', '.join(_CSV_ID)} "
            f"(header: {printable(', '.join(header))[:200]})",
        )
    label_col = pick(_CSV_LABEL, "label")
    seg_col = pick(_CSV_SEGMENT, "segment")
    special = {c for c in (id_col, label_col, seg_col) if c is not None}
    score_cols = [i for i in range(len(header)) if i not in special]
    if len(score_cols) < 2:
        fail(path, f"has {len(score_cols)} class score column(s), expected at least 2")
    return id_col, label_col, seg_col, score_cols


def _classes(
    headers: Sequence[str],
    names_idx: list[str] | None,
    class_index: PathArg | None,
    path: PathArg,
) -> tuple[list[int], list[str] | None]:
    """Class of each score column (by number: ``0``, ``score_1``; or by name), class names."""
    positional = [_POSITIONAL.fullmatch(h) for h in headers]
    class_names: list[str] | None
    if all(positional):
        numbers = [parse_int(m.group(1)) or 0 for m in positional if m]
        if sorted(numbers) != list(range(len(numbers))):
            tokens = sorted((m.group(1) for m in positional if m), key=lambda t: parse_int(t) or 0)
            shown = ", ".join(numtext(t.lstrip("0") or "0") for t in tokens[:6])
            fail(
                path,
                f"score columns are numbered [{shown}]..., expected 0 to {len(numbers) - 1}",
            )
        col_class = numbers
        class_names = names_idx
        if names_idx is not None and len(names_idx) != len(numbers):
            fail(
                path,
                f"has {len(numbers)} score columns, the class index {len(names_idx)} classes",
            )
    elif names_idx is not None:
        index = {n: i for i, n in enumerate(names_idx)}
        col_class = []
        for h in headers:
            if h not in index:
                fail(
                    path,
                    f"score column {quoted(h)} is an unknown class name (not in the class "
                    f"index {shown_path(class_index or '')})",
                )
            col_class.append(index[h])
        if len(headers) != len(names_idx):
            missing = [n for n in names_idx if n not in headers]
            fail(path, f"has no score column for class {quoted(missing[0])} of the class index")
        class_names = names_idx
    else:
        col_class = list(range(len(headers)))
        class_names = list(headers)
    return col_class, class_names


def _frame(
    text: str,
    sep: str,
    header: Sequence[str],
    special: Sequence[int],
    score_cols: Sequence[int],
    path: PathArg,
) -> Any:
    """The rows as a pandas DataFrame: score columns float64, the others str."""
    import pandas as pd

    usecols_dtype: dict[int, Any] = {i: str for i in special}
    try:
        with warnings.catch_warnings():
            # index_col=False + this: a row longer than the header is an error, where pandas
            # would otherwise shift it into an index or drop its last fields.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                header=0,
                names=list(range(len(header))),
                index_col=False,
                dtype={**usecols_dtype, **{i: np.float64 for i in score_cols}},
                keep_default_na=False,
                na_values=[],
                skipinitialspace=True,
                engine="c",
            )
    except pd.errors.ParserWarning:
        fail(path, f"malformed CSV: rows have more fields than the {len(header)} header columns")
    except ValueError as exc:
        if isinstance(exc, pd.errors.ParserError):
            fail(path, f"malformed CSV ({printable(str(exc).strip())[:200]})")
        df = _csv_as_text(text, sep, len(header), path)
        _report_bad_number(df, score_cols, header, path)
        fail(path, f"unreadable CSV ({printable(str(exc))[:200]})")
    except DECODE_ERRORS as exc:  # EmptyDataError, csv.Error, MemoryError, ...
        fail(path, f"unreadable CSV ({type(exc).__name__}: {printable(str(exc))[:200]})")
    if len(df) == 0:
        fail(path, "has a header but no rows")
    return df


def _scores_by_class(
    df: Any,
    score_cols: Sequence[int],
    col_class: Sequence[int],
    header: Sequence[str],
    path: PathArg,
) -> FloatArray:
    """The score columns, finite, reordered into class order."""
    values: FloatArray = df[list(score_cols)].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        fail(
            path,
            f"row {r + 2}: score in column {quoted(header[score_cols[c]])} is missing, NaN or "
            "infinite",
        )
    scores_by_class: FloatArray = np.empty_like(values)
    scores_by_class[:, list(col_class)] = values
    return scores_by_class


def _row_labels(
    values: Sequence[Any],
    class_names: Sequence[str] | None,
    n_classes: int,
    label_base: int,
    path: PathArg,
) -> npt.NDArray[np.int64]:
    """The label of every row (-1 where empty or -1): an integer or a class name."""
    row_labels = np.full(len(values), -1, dtype=np.int64)
    lookup = {n: i for i, n in enumerate(class_names or ())}
    for r, v in enumerate(values):
        cell = _cell(v)
        if cell == "" or cell == "-1":
            continue
        number = parse_int(cell)
        if number is not None:
            lab = number - label_base
            if lab < 0 or lab >= n_classes:
                fail(
                    path,
                    f"row {r + 2}: label {numtext(cell)} is out of range for "
                    f"{n_classes} classes (label base {label_base})",
                )
            row_labels[r] = lab
        elif cell in lookup:
            row_labels[r] = lookup[cell]
        else:
            fail(
                path,
                f"row {r + 2}: label {quoted(cell)} is neither an integer nor a known class name",
            )
    return row_labels


def _segment_numbers(cells: Sequence[str], path: PathArg) -> list[int]:
    """The segment number of every row."""
    seg_numbers = []
    for r, cell in enumerate(cells):
        number = parse_int(cell)
        if number is None:
            fail(path, f"row {r + 2}: segment {quoted(cell)} is not an integer")
        seg_numbers.append(number)
    return seg_numbers


def _slots(
    groups: dict[str, list[int]],
    raw_ids: Sequence[str],
    seg_numbers: list[int] | None,
    seg_cells: Sequence[str] | None,
    n_classes: int,
    max_bytes: int,
    path: PathArg,
) -> tuple[list[int], int, dict[str, Any] | None]:
    """The slot of every row on the segment axis (its segment number minus the base).

    Also the number of segments and the ``meta`` to record (``segment_base``).
    """
    n_videos = len(groups)
    if seg_numbers is None or seg_cells is None:
        for vid, rows in groups.items():
            if len(rows) > 1:
                fail(
                    path,
                    f"video id {quoted(vid)} appears in rows {rows[0] + 2} and {rows[1] + 2}"
                    f"{spelled(raw_ids[rows[0]], raw_ids[rows[1]])}; add a segment column "
                    f"({', '.join(_CSV_SEGMENT)}) for one row per segment",
                )
        return [0] * len(raw_ids), 1, None
    base = min(seg_numbers)
    if base not in (0, 1):
        r = seg_numbers.index(base)
        fail(
            path,
            f"row {r + 2}: segment {numtext(seg_cells[r])} is the smallest "
            "segment number; segments are numbered from 0 or 1",
        )
    slots = [n - base for n in seg_numbers]
    n_segments = max(slots) + 1
    n_bytes = n_videos * n_segments * n_classes * 8
    if n_bytes > max_bytes:
        r = slots.index(n_segments - 1)
        fail(
            path,
            f"row {r + 2}: segment {numtext(seg_cells[r])} makes "
            f"{n_segments} segments per video, and {n_videos} videos x {n_segments} "
            f"segments x {n_classes} classes of float64 is {n_bytes} bytes, over the limit "
            f"of {max_bytes} bytes (max_bytes, --max-bytes)",
        )
    return slots, n_segments, {"segment_base": base}


def _videos(
    groups: dict[str, list[int]],
    slots: Sequence[int],
    n_segments: int,
    scores_by_class: FloatArray,
    row_labels: npt.NDArray[np.int64],
    raw_ids: Sequence[str],
    seg_cells: Sequence[str] | None,
    path: PathArg,
) -> tuple[FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.int64], list[str]]:
    """Scores (videos, segments, classes), segment mask, one label and one name per video."""
    n_classes = scores_by_class.shape[1]
    scores = np.zeros((len(groups), n_segments, n_classes), dtype=np.float64)
    mask = np.zeros((len(groups), n_segments), dtype=bool)
    labels: list[int] = []
    video_names: list[str] = []
    for k, (vid, rows) in enumerate(groups.items()):
        first: dict[int, int] = {}
        for r in rows:
            slot = slots[r]
            if slot in first:
                seg = "" if seg_cells is None else seg_cells[r]
                fail(
                    path,
                    f"row {r + 2}: video id {quoted(vid)} segment "
                    f"{numtext(seg)} appears again (first in row "
                    f"{first[slot] + 2}){spelled(raw_ids[first[slot]], raw_ids[r])}; each "
                    "(video, segment) pair must be given once",
                )
            first[slot] = r
            scores[k, slot] = scores_by_class[r]
            mask[k, slot] = True
        labs = {int(row_labels[r]) for r in rows} - {-1}
        if len(labs) > 1:
            fail(path, f"video id {quoted(vid)} has different labels in its rows: {sorted(labs)}")
        labels.append(labs.pop() if labs else -1)
        video_names.append(raw_ids[rows[0]])
    return scores, mask, np.asarray(labels, dtype=np.int64), video_names


def _cell(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def _csv_as_text(text: str, sep: str, n_cols: int, path: PathArg) -> Any:
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.StringIO(text),
                sep=sep,
                header=0,
                names=list(range(n_cols)),
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_values=[],
                skipinitialspace=True,
            )
    except DECODE_ERRORS as exc:
        fail(path, f"malformed CSV ({printable(str(exc).strip())[:200]})")


def _report_bad_number(
    df: Any, score_cols: Sequence[int], header: Sequence[str], path: PathArg
) -> None:
    import pandas as pd

    for c in score_cols:
        col = df[c]
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna()
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            cell = col.iloc[r]
            empty = _cell(cell) == ""
            what = "empty or missing score" if empty else f"non-numeric score {quoted(cell)}"
            fail(path, f"row {r + 2}: {what} in column {quoted(header[c])}")
