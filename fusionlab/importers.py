"""Import other tools' score files into format version 1.

``fusionlab import --from SOURCE INPUT -o OUT.npz --stream S`` (or
:func:`import_scores` from Python) reads one of these and writes a score file
through :func:`fusionlab.scores.save`, so that the written file is validated
exactly like any other:

``tsn``
    ``--save_scores`` files of TSN (``yjxiong/temporal-segment-networks``
    ``tools/eval_net.py``) and tsn-pytorch (``test_models.py``): an ``.npz``
    whose ``scores`` member is an object array with one ``(scores, label)`` row
    per video and whose ``labels`` member holds the labels. Each video's array
    has shape ``(segments, crops, classes)`` (TSN: 25 frames x 10 crops;
    tsn-pytorch: ``(test_segments, 1, classes)`` with crops already averaged),
    ``(segments, classes)`` or ``(classes,)``. **Crops are averaged** (the
    arithmetic mean of the stored values, as TSN's ``eval_scores.py`` does by
    default); segments are kept as the segment axis. The scores are the raw
    ``fc-action`` outputs, i.e. logits. A plain numeric ``scores`` array of shape
    ``(N, S, crops, C)``, ``(N, S, C)`` or ``(N, C)`` is accepted as well.

    **Names.** Some tools' test scripts also save the video of every row: a
    member ``names``, ``video_names``, ``video_ids`` or ``ids``
    (:data:`TSN_NAME_MEMBERS`; at most one of them), an array of ``N`` strings
    (str, UTF-8 bytes, or an object array of either). Those names are then
    the ids (through :func:`normalize_video_id`; two names giving one id are an
    error), and a ``--split-list``, which is optional, is matched to them *by
    name*: both must hold the same videos (a difference is reported with the
    count on each side and the first odd ids), and where both give a label
    they must agree for every video. Row order then does not matter.

    **No names.** Original TSN and tsn-pytorch save none, and then
    ``--split-list`` (the test list given to the tool) is required and the
    rows are matched to it *by position*: tsn-pytorch writes rows in the
    *sorted* order of the list's first column (the default,
    ``row_order="sorted"``); Caffe TSN writes them in list order
    (``row_order="list"``). The file's labels are cross-checked row by row,
    which catches a wrong order but not two videos of one class swapped, so
    ``fusionlab import`` says on its summary line that rows were matched by
    position (``meta["row_match"]`` is ``"position"``).
``mmaction2``
    ``tools/test.py --dump results.pkl`` of MMAction2 1.x: a pickle of a list of
    per-sample dicts with ``pred_score`` (or 1.0rc's ``pred_scores`` ->
    ``item``) and ``gt_label`` (or ``gt_labels`` -> ``item``), which are torch
    tensors; and ``--out results.pkl`` of MMAction2 0.x: a pickled list of
    score arrays. A score of shape ``(C,)`` is one segment; ``(S, C)`` (from
    ``average_clips=None``) keeps S clips as segments. Rows are in the order
    of the annotation file, which ``--split-list`` must give (``path label`` or
    ``frame_dir total_frames label`` lines); its labels are checked against
    ``gt_label``. When every sample dict names its video (``filename`` or
    ``frame_dir``), rows are matched to the list by name instead, as for TSN
    files with names (the split list is then optional). ``average_clips='prob'``
    dumps hold probabilities, ``'score'`` logits: leave ``kind`` unset to infer it.
``twostream``
    Video-level pickles of two-stream repositories (e.g.
    ``jeffreyyihuang/two-stream-action-recognition``
    ``record/spatial/spatial_video_preds.pickle``): a dict from video name
    (``"ApplyEyeMakeup_g01_c01"``) to a class-score vector ``(C,)`` or
    ``(S, C)``. Labels come from ``--split-list`` (UCF101
    ``testlist01.txt``: ``ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi``) and
    ``--class-index`` (``classInd.txt``: ``1 ApplyEyeMakeup``); without a split
    list, from the class name in a UCF101-style name (``<Class>_gNN_cNN``)
    when a class index is given (the ids are then the pickle's names, without
    UCF101's ``v_``, and do not align with other tools' ids: pass the split
    list). Note that these tools sum per-frame logits, which is a logit scaled
    by the number of frames.
``csv``
    One row per video, or per video and segment. Columns (names matched
    case-insensitively; exactly one video-id column, at most one of the others):

    - video id: ``video_id``, ``video``, ``video_name``, ``id``, ``name``,
      ``vid``, ``filename``, ``path``;
    - label (optional): ``label``, ``gt_label``, ``target``, ``class_id``,
      ``true_label``, ``y``; an integer (``-1`` or empty = unknown) or a
      class name;
    - segment (optional): ``segment``, ``segment_id``, ``seg``, ``clip``,
      ``clip_id``, ``view``; the segment *number*, which is the video's slot
      on the segment axis (so segment 2 of one video lines up with segment 2
      of every other video). Numbering starts at 0 or 1: the smallest number
      in the file is taken as the first segment (a file whose numbers start
      anywhere else is refused), recorded as ``meta["segment_base"]``. The
      number of segments is the largest segment index + 1 over the file;
      a video's missing segments are False in ``segment_mask`` (and hold 0).
      A (video, segment) pair given twice is an error;
    - every other column is a class score, in class order; its header is the
      class name. Headers ``0``, ``1``, ... or ``score_0``, ``class_1``, ...
      (``score``/``class``/``prob``/``logit`` and a 0-based class number in
      ASCII digits) mean "class number" rather than a name. With ``--class-index`` the score
      columns are matched to the index by name and reordered.

    The file must be UTF-8 (a BOM is allowed), comma-separated (tab-separated
    when the name ends in ``.tsv``).

Video ids
---------
Every name, from every importer and from split lists alike, is normalised by
:func:`normalize_video_id`, so the same video gets the same id from every tool:

- the last path component (``/`` or ``\\``) without a video-file extension, so
  that ``ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi``,
  ``/data/ucf101/frames/v_ApplyEyeMakeup_g01_c01`` and
  ``v_ApplyEyeMakeup_g01_c01.mp4`` all become ``v_ApplyEyeMakeup_g01_c01``;
- **class folder rule**: when that component holds no letter (``100``,
  ``00042``), it names no video on its own and the folder above it is kept,
  joined by ``/``: ``brush_hair/100.avi`` and ``/data/hmdb51/brush_hair/100``
  both become ``brush_hair/100`` (score files accept ``/`` in ids);
- **punctuation rule**: whitespace and the ASCII punctuation characters
  ``! " # $ % & ' ( ) * + , : ; < = > ? @ [ ] ^ ` { | } ~`` (all but ``_ - .``
  and the path separators) become ``_``, one character for one, so
  ``Boom_Snap_Clap!_clap_u_nm_np1_fr_goo_0`` and
  ``Boom_Snap_Clap__clap_u_nm_np1_fr_goo_0`` are one id. Case is kept.

Two names in one file (split-list lines, TSN names, pickle keys, MMAction2 file
names) that give the same id are an error naming both; CSV rows of one id are
that video's segments.
When names from the input are matched against a split list, a name that is not
found exactly is looked up case-insensitively and with a ``v_`` prefix added
(two-stream tools drop UCF101's ``v_`` and spell ``HandStandPushups`` as
``HandstandPushups``), and an id with a class folder (``frames/12345``) is
matched to a list id without one (``12345``) or the reverse, where that is
unambiguous (two different folders never match); the split list's id is
written. So the same video imported from two tools with the same split list
gets the same id. Rows are matched to a split list by name wherever the input
names its videos (two-stream pickles, CSV, TSN files with a names member,
MMAction2 dumps with file names), and by position only where it does not.

Split lists and class indexes
-----------------------------
A split list has one video per line: ``path`` (label from the first folder of
the path through ``--class-index``, UCF101 testlists), ``path label`` (UCF101
trainlists, MMAction2 video lists) or ``path num_frames label`` (TSN and
MMAction2 rawframe lists). Numeric labels are 0-based unless ``label_base=1``
(``--label-base 1``, UCF101 trainlists). A class index has either
``number name`` lines (``classInd.txt``; numbering from 0 or 1, detected) or one
name per line (MMAction2 / Kinetics label maps). Numbers everywhere (labels,
class and segment numbers) are ASCII digits ``0-9`` with an optional sign;
other Unicode digits (``²``, ``٣``) are not numbers.

Pickles
-------
``tsn``, ``mmaction2`` and ``twostream`` inputs are pickles (TSN's npz holds a
pickled object array). Loading a pickle can run arbitrary code, so these are
refused unless ``allow_pickle=True`` (``--allow-pickle``), and even then they
are read by a restricted unpickler (:mod:`fusionlab._unpickle`) that admits
only NumPy arrays, dtypes and scalars, plain containers, and PyTorch CPU
tensors, which it decodes itself without importing torch. Anything else stops
the import with an error naming the refused global. ``np.load(...,
allow_pickle=True)`` and ``pickle.load`` are never used.

Every input file must be at most ``max_bytes`` bytes (default 2 GiB,
``--max-bytes``), and so must the score array a CSV with sparse segment
numbers expands to. The output must be a file path: ``-`` (standard output)
is refused, as is an existing path that is not a regular file. Every error is
a :class:`~fusionlab.errors.ScoreFileError` or
:class:`~fusionlab.errors.UsageError` with a one-line, printable message, and
nothing is written when the import fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal, NoReturn, get_args

import numpy as np
import numpy.typing as npt

from . import scores as _scores
from ._unpickle import PickleDataError, RefusedPickle, restricted_load
from .errors import FusionlabError, ScoreFileError, UsageError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SOURCES",
    "TSN_NAME_MEMBERS",
    "RawScores",
    "Source",
    "SplitEntry",
    "add_arguments",
    "import_scores",
    "infer_kind",
    "normalize_video_id",
    "read_class_index",
    "read_csv",
    "read_mmaction2",
    "read_split_list",
    "read_tsn",
    "read_twostream",
    "run",
]

Source = Literal["tsn", "mmaction2", "twostream", "csv"]
SOURCES: tuple[str, ...] = get_args(Source)
RowOrder = Literal["sorted", "list"]
#: Largest input file accepted by default (2 GiB); see ``max_bytes``.
DEFAULT_MAX_BYTES = 2 * 1024**3

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]
FloatArray = npt.NDArray[np.floating[Any]]

_VIDEO_EXTENSIONS = frozenset(
    ".avi .mp4 .mkv .webm .mov .mpg .mpeg .m4v .flv .wmv .3gp .ogv .ogg .gif".split()
)
#: What decoding untrusted bytes through numpy, zipfile, zlib, pickle and pandas can raise
#: is wide and version-dependent (zlib.error, tokenize.TokenError from .npy headers,
#: NotImplementedError and RuntimeError from zip flags, struct.error, MemoryError, ...); all
#: of it is caused by the input. Only calls into those libraries are wrapped with it, and
#: FusionlabError is always re-raised first.
_DECODE_ERRORS: tuple[type[Exception], ...] = (Exception,)

_CSV_ID = ("video_id", "video", "video_name", "id", "name", "vid", "filename", "path")
_CSV_LABEL = ("label", "gt_label", "target", "class_id", "true_label", "y")
_CSV_SEGMENT = ("segment", "segment_id", "seg", "clip", "clip_id", "view")
_POSITIONAL = re.compile(r"(?:(?:score|class|prob|logit)_?)?([0-9]+)", re.IGNORECASE)
_UCF_NAME = re.compile(r"^(?:v_)?(.+)_g[0-9]+_c[0-9]+$", re.IGNORECASE)
_INT_TOKEN = re.compile(r"[+-]?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
#: What normalize_video_id turns into "_": whitespace and ASCII punctuation but "_-./\\".
_ID_PUNCTUATION = re.compile(r"[\s!\"#$%&'()*+,:;<=>?@\[\]^`{|}~]")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


# --------------------------------------------------------------------------- small helpers


def _printable(text: str) -> str:
    """``text`` with undecodable bytes and control characters escaped (one printable line)."""
    out: list[str] = []
    for ch in text:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{o - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def _fspath(path: PathArg) -> str:
    return os.fsdecode(path)


def _shown(path: PathArg) -> str:
    return _printable(_fspath(path))


def _err(path: PathArg, problem: str) -> NoReturn:
    raise ScoreFileError(_shown(path), problem)


def _q(value: object, *, limit: int = 300) -> str:
    """A quoted, printable rendering of a value from the input (at most ``limit`` characters).

    Never raises: ``repr`` of a huge int (over Python's 4300-digit limit) does, and a
    pickle can hold one.
    """
    try:
        text = repr(value)
    except Exception:  # ValueError for huge ints; any repr failure alike
        return f"<{_printable(type(value).__name__)}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return _printable(text)


def _safe_str(value: object) -> str:
    """``str(value)``, or its type name where that raises (a huge int)."""
    try:
        return str(value)
    except Exception:  # see _q
        return f"<{type(value).__name__}>"


def _numtext(token: str) -> str:
    """An integer token as written, shortened when long (for messages)."""
    return token if len(token) <= 40 else f"{token[:20]}...({len(token)} digits)"


def _parse_int(token: str) -> int | None:
    """The integer an ASCII ``[+-]digits`` token spells, else None.

    Other Unicode digits (``"²"``, ``"٣"``) are not accepted. A value outside int64 is
    clamped to ``-2**63`` or ``2**63``, which every caller's range check refuses, so
    no huge int is built (``int()`` itself refuses over 4300 digits).
    """
    if _INT_TOKEN.fullmatch(token) is None:
        return None
    sign = -1 if token[0] == "-" else 1
    digits = token.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        return sign * 2**63
    return sign * min(int(digits), 2**63)


def _read_bytes(path: PathArg, *, max_bytes: int, what: str = "file") -> bytes:
    p = _fspath(path)
    if "\0" in p:
        _err(p, f"the {what} name holds a NUL byte")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        _err(p, f"no such {what}")
    except OSError as exc:
        _err(p, f"cannot read the {what} ({exc.strerror or exc})")
    if os.path.isdir(p):
        _err(p, f"is a directory, expected a {what}")
    if st.st_size > max_bytes:
        _err(
            p,
            f"is {st.st_size} bytes, over the limit of {max_bytes} bytes (max_bytes, --max-bytes)",
        )
    try:
        with open(p, "rb") as fh:
            # read(n) allocates n bytes first: size it from the file, not from max_bytes
            # (which may be huge), and read on in chunks only for a file that is longer
            # than stat said (it grew, or it is a pipe or /proc file).
            data = fh.read(min(max_bytes, st.st_size) + 1)
            if len(data) > st.st_size:
                parts, total = [data], len(data)
                while total <= max_bytes:
                    chunk = fh.read(min(1 << 24, max_bytes + 1 - total))
                    if not chunk:
                        break
                    parts.append(chunk)
                    total += len(chunk)
                data = b"".join(parts)
    except OSError as exc:
        _err(p, f"cannot read the {what} ({exc.strerror or exc})")
    if len(data) > max_bytes:
        _err(p, f"is over the limit of {max_bytes} bytes (max_bytes, --max-bytes)")
    if not data:
        _err(p, f"is empty, expected a {what}")
    return data


def _read_text(path: PathArg, *, max_bytes: int, what: str) -> str:
    data = _read_bytes(path, max_bytes=max_bytes, what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _err(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})")


def _check_max_bytes(max_bytes: int) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise UsageError(f"max_bytes must be a positive integer, got {max_bytes!r}")


def normalize_video_id(name: str) -> str:
    """The alignment id of a video, from a path, frame folder or name.

    Every importer applies this one function to every name it reads (split-list
    entries, names in score files, pickle keys, CSV cells), so the same video
    gets the same id from every tool.

    Parameters
    ----------
    name : str
        A video path, frame folder or name as another tool writes it.

    Returns
    -------
    str
        The id, built in four steps:

        1. Surrounding whitespace is removed, ``\\`` counts as ``/``, and empty,
           ``.`` and ``..`` path components are dropped.
        2. The last component loses one video extension among ``.avi .mp4 .mkv
           .webm .mov .mpg .mpeg .m4v .flv .wmv .3gp .ogv .ogg .gif`` (any case).
        3. **Class folder rule**: when that last component holds no letter (no
           character for which ``str.isalpha`` is true: ``100``, ``00042``,
           ``3-1``) it does not name a video on its own, and the folder above it
           is kept: ``brush_hair/100.avi`` becomes ``brush_hair/100``. Otherwise
           only the last component is kept.
        4. **Punctuation rule**: every whitespace character and every ASCII
           punctuation character except ``_ - .`` (that is, any of
           ``! " # $ % & ' ( ) * + , : ; < = > ? @ [ ] ^ ` { | } ~``) becomes
           ``_``, one for one, so ``Boom_Snap_Clap!_clap`` and
           ``Boom_Snap_Clap__clap`` are one id. ``/`` is kept (step 3's joiner).

        Nothing else changes: case and a ``v_`` prefix are kept.

    Examples
    --------
    >>> normalize_video_id("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi")
    'v_ApplyEyeMakeup_g01_c01'
    >>> normalize_video_id("/data/ucf101/frames/v_ApplyEyeMakeup_g01_c01/")
    'v_ApplyEyeMakeup_g01_c01'
    >>> normalize_video_id("abseiling/0wR5jVB-WPk_000417_000427.mp4")
    '0wR5jVB-WPk_000417_000427'
    >>> normalize_video_id("/data/hmdb51/videos/brush_hair/100.avi")
    'brush_hair/100'
    >>> normalize_video_id("clap/Boom_Snap_Clap!_clap_u_nm_np1_fr_goo_0.avi")
    'Boom_Snap_Clap__clap_u_nm_np1_fr_goo_0'
    """
    parts = [p for p in name.strip().replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if not parts:
        return ""
    last = parts[-1]
    stem, dot, ext = last.rpartition(".")
    if dot and stem and f".{ext.lower()}" in _VIDEO_EXTENSIONS:
        last = stem
    if len(parts) > 1 and not any(ch.isalpha() for ch in last):
        last = f"{parts[-2]}/{last}"
    return _ID_PUNCTUATION.sub("_", last)


def _last_component(video_id: str) -> str:
    return video_id.rsplit("/", 1)[-1]


def _fold(video_id: str) -> str:
    return video_id.casefold()


def _strip_v(video_id: str) -> str:
    return video_id[2:] if video_id[:2].casefold() == "v_" else video_id


def infer_kind(
    scores: npt.ArrayLike, segment_mask: npt.ArrayLike | None = None
) -> _scores.ScoreKind:
    """Guess the domain of imported scores.

    Parameters
    ----------
    scores : array-like of shape (n_videos, n_segments, n_classes)
    segment_mask : array-like of bool, shape (n_videos, n_segments), optional
        Only True segments are looked at.

    Returns
    -------
    {"prob", "logprob", "logit"}
        ``"prob"`` when every value is >= 0 and every row sums to 1 (within
        the tolerance :func:`fusionlab.scores.load` uses for the dtype),
        ``"logprob"`` when every value is <= 0 and every row's log-sum-exp is 0
        (same tolerance), else ``"logit"`` (also when a value is not finite;
        validation then reports it).

    Examples
    --------
    >>> infer_kind([[[0.25, 0.75]]]), infer_kind([[[2.0, -1.0]]])
    ('prob', 'logit')
    """
    raw = np.asarray(scores)
    x = raw.astype(np.float64)
    if x.ndim == 2:
        x = x[:, None, :]
    rows = x.reshape(-1, x.shape[-1])
    if segment_mask is not None:
        rows = x[np.asarray(segment_mask, dtype=bool)]
    if rows.size == 0 or not np.isfinite(rows).all():
        return "logit"
    tol = _scores.PROB_SUM_TOL_F16 if raw.dtype == np.float16 else _scores.PROB_SUM_TOL
    with np.errstate(all="ignore"):  # huge finite values overflow the sums: not a prob then
        if (rows >= -_scores.PROB_NEG_TOL).all() and (np.abs(rows.sum(axis=-1) - 1.0) <= tol).all():
            return "prob"
        if (rows <= tol).all():
            mx = rows.max(axis=-1, keepdims=True)
            lse = np.log(np.exp(rows - mx).sum(axis=-1)) + mx[:, 0]
            if (np.abs(lse) <= tol).all():
                return "logprob"
    return "logit"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class RawScores:
    """Arrays read from another tool's file, ready for :func:`fusionlab.scores.save`.

    Attributes
    ----------
    scores : ndarray of shape (n_videos, n_segments, n_classes), float
        In the domain the tool wrote (see ``kind``); masked-out segments hold 0.
    labels : ndarray of shape (n_videos,), int64
        -1 where unknown.
    video_ids : ndarray of shape (n_videos,), str
        Normalised ids (see :func:`normalize_video_id`).
    class_names : ndarray of shape (n_classes,), str, or None
    segment_mask : ndarray of shape (n_videos, n_segments), bool, or None
        False where a video has fewer segments; None when all are present.
    kind : {"prob", "logit", "logprob"} or None
        The domain when the format fixes it, else None (inferred on import).
    meta : dict
        Extra ``meta`` entries describing the conversion (e.g. ``"crops"``).
    """

    scores: FloatArray
    labels: npt.NDArray[np.int64]
    video_ids: npt.NDArray[np.str_]
    class_names: npt.NDArray[np.str_] | None = None
    segment_mask: npt.NDArray[np.bool_] | None = None
    kind: _scores.ScoreKind | None = None
    meta: dict[str, Any] | None = None


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


# ------------------------------------------------------------------ split lists, class index


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
    text = _read_text(path, max_bytes=max_bytes, what="class index file")
    lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if not lines:
        _err(path, "holds no class names")
    split = [(i, ln.split(maxsplit=1)) for i, ln in lines]
    numbered = all(len(p) == 2 and _DIGITS.fullmatch(p[0]) for _, p in split)
    if not numbered and all(len(p) == 2 and p[0].isnumeric() for _, p in split):
        # Every line starts with a number, but not all in ASCII digits ("² cat"): a
        # classInd.txt with a typo, not a label map whose names all start with numbers.
        i, p = next((i, p) for i, p in split if not _DIGITS.fullmatch(p[0]))
        _err(
            path,
            f"line {i}: class number {_q(p[0])} is not a plain integer (expected ASCII digits "
            "0-9 in 'number name' lines)",
        )
    names: list[str]
    if numbered:
        pairs = [(_parse_int(p[0]) or 0, p[1].strip()) for _, p in split]
        numbers = sorted(n for n, _ in pairs)
        base = numbers[0]
        if base not in (0, 1) or numbers != list(range(base, base + len(numbers))):
            shown = ", ".join(_safe_str(n) for n in numbers[:5])
            _err(
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
            _err(path, f"class name {_q(name)} appears twice (classes {seen[name]} and {i})")
        seen[name] = i
    if len(names) < 2:
        _err(path, f"needs at least 2 classes, got {len(names)}")
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
    text = _read_text(path, max_bytes=max_bytes, what="split list")
    index = {name: i for i, name in enumerate(class_names or ())}
    out: list[SplitEntry] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) > 3:
            _err(
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
                    _err(
                        path,
                        f"line {lineno}: unknown class name {_q(folder)} (not in the class index)",
                    )
                label = index[folder]
        else:
            if len(parts) == 3 and not _is_int(parts[1]):
                _err(path, f"line {lineno}: number of frames {_q(parts[1])} is not an integer")
            token = parts[-1]
            number = _parse_int(token)
            if number is not None:
                label = number - label_base
                if label < 0:
                    _err(
                        path,
                        f"line {lineno}: label {_numtext(token)} is below the label base "
                        f"{label_base}",
                    )
                if index and label >= len(index):
                    _err(
                        path,
                        f"line {lineno}: label {_numtext(token)} is out of range for {len(index)} "
                        "classes",
                    )
                if label > _INT64_MAX:
                    _err(path, f"line {lineno}: label {_numtext(token)} is out of range")
            elif token in index:
                label = index[token]
            else:
                _err(
                    path,
                    f"line {lineno}: label {_q(token)} is neither an integer nor a class name",
                )
        vid = normalize_video_id(video)
        if not vid:
            _err(path, f"line {lineno}: empty video name")
        if vid in seen:
            first = out[seen[vid]]
            _err(
                path,
                f"video id {_q(vid)} appears twice (lines {first.line} and {lineno})"
                f"{_spelled(first.path, video)}",
            )
        seen[vid] = len(out)
        out.append(SplitEntry(path=video, video_id=vid, label=label, line=lineno))
    if not out:
        _err(path, "holds no videos")
    return out


def _is_int(token: str) -> bool:
    return _parse_int(token) is not None


class _Matcher:
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
            for key in {_fold(e.video_id), _fold(_strip_v(e.video_id))}
        )
        self.by_last = self._unambiguous(
            (_last_component(e.video_id), i) for i, e in enumerate(entries) if "/" in e.video_id
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
        for key in (_fold(vid), _fold(_strip_v(vid))):
            if key in self.loose:
                return self.loose[key]
        if "/" in vid:  # "frames/12345" -> "12345" (a list id holds "/" only with its folder)
            return self.exact.get(_last_component(vid))
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
                _err(
                    input_path,
                    f"videos {_q(names[taken[i]])} and {_q(name)} are both video "
                    f"{_q(self.entries[i].video_id)} of the split list {_shown(self.split_path)}",
                )
            taken[i] = k
            pos[k] = i
        missing = [e for i, e in enumerate(self.entries) if i not in taken]
        if extra or missing:
            n_list = len(self.entries)
            parts = [
                f"{len(extra)} of its {len(names)} videos {_are(len(extra))} not in the split list"
                + _first(_q(v, limit=80) for v in extra),
                f"{len(missing)} of the {n_list} videos of the split list {_are(len(missing))} "
                "missing from it"
                + _first(f"{_q(e.video_id, limit=80)} (line {e.line})" for e in missing),
            ]
            _err(
                input_path,
                f"holds other videos than the split list {_shown(self.split_path)} (matched by "
                f"name): {'; '.join(parts)}",
            )
        return pos


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def _first(shown: Iterable[str], *, at_most: int = 3) -> str:
    """`` (first: a, b, c)`` for the first ``at_most`` items of ``shown``, else ``""``."""
    items: list[str] = []
    for item in shown:
        if len(items) == at_most:
            items.append("...")
            break
        items.append(item)
    return f" (first: {', '.join(items)})" if items else ""


def _normalized_ids(names: Sequence[str], path: PathArg, where: Callable[[int], str]) -> list[str]:
    """``normalize_video_id`` of every name; two names may not give one id.

    ``where(i)`` says where name ``i`` is in the file (for messages).
    """
    ids: list[str] = []
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        vid = normalize_video_id(name)
        if not vid:
            _err(path, f"{where(i)}: empty video name {_q(name)}")
        if vid in first:
            j = first[vid]
            if names[j] == name:
                _err(path, f"video name {_q(name)} appears twice ({where(j)} and {where(i)})")
            _err(
                path,
                f"{where(j)} {_q(names[j])} and {where(i)} {_q(name)} are both video id "
                f"{_q(vid)} (ids are normalised: folder and extension dropped, punctuation "
                "made '_'; see normalize_video_id)",
            )
        first[vid] = i
        ids.append(vid)
    return ids


def _align_to_list(
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
    pos = _Matcher(entries, split_list).match_all(names, path)
    list_labels = np.asarray([entries[int(p)].label for p in pos], dtype=np.int64)
    bad = np.flatnonzero((labels >= 0) & (list_labels >= 0) & (labels != list_labels))
    if bad.size:
        k = int(bad[0])
        e = entries[int(pos[k])]
        _err(
            path,
            f"video {_q(e.video_id)} has {label_word} {int(labels[k])} in this file but label "
            f"{int(list_labels[k])} in the split list {_shown(split_list)} (line {e.line})",
        )
    merged = np.where(labels >= 0, labels, list_labels)
    order = np.argsort(pos, kind="stable")
    return order, [entries[int(pos[int(k)])].video_id for k in order], merged[order]


# --------------------------------------------------------------------------- array helpers


def _float_array(obj: Any, what: str, path: PathArg) -> FloatArray:
    """A numeric score array from a decoded payload: ndarray or flat list of numbers."""
    if isinstance(obj, np.ndarray):
        arr = obj
    elif isinstance(obj, (list, tuple)) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
        for v in obj
    ):
        try:
            arr = np.asarray(obj, dtype=np.float64)
        except OverflowError:  # a Python int beyond float64 (10**400)
            _err(path, f"{what} holds an integer too large for a float64 score")
    else:
        _err(
            path,
            f"{what} is a {_printable(type(obj).__name__)}, expected an array of class scores",
        )
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        _err(path, f"{what} has dtype {arr.dtype}, expected numbers")
    if arr.dtype.kind != "f" or arr.dtype.type not in (np.float16, np.float32, np.float64):
        # e.g. float128 beyond float64 becomes inf (reported by validation), without the
        # RuntimeWarning that would add a second line on stderr
        with np.errstate(all="ignore"):
            arr = arr.astype(np.float64)
    return np.asarray(arr)


def _int_label(obj: Any, what: str, path: PathArg) -> int:
    """A label from a payload: int, integer numpy scalar, or 0-d / 1-element array.

    The value must fit int64 (its range against the classes is checked on save).
    """
    value: int | None = None
    if isinstance(obj, np.ndarray) and obj.size == 1 and obj.dtype.kind in "iu":
        value = int(obj.reshape(-1)[0])
    elif isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
        value = int(obj)
    elif isinstance(obj, float) and obj.is_integer():
        value = int(obj)
    if value is not None:
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
        _err(path, f"{what} is an integer out of range (beyond int64), expected a class label")
    _err(
        path,
        f"{what} is {_q(obj) if isinstance(obj, (str, float)) else type(obj).__name__}, "
        "expected one integer class label",
    )


def _stack_segments(
    per_video: Sequence[FloatArray], path: PathArg
) -> tuple[FloatArray, npt.NDArray[np.bool_] | None]:
    """Stack (S_i, C) arrays into (N, S, C) with a mask when S_i differ."""
    n_classes = {a.shape[-1] for a in per_video}
    if len(n_classes) != 1:
        sizes = sorted(n_classes)
        first = next(i for i, a in enumerate(per_video) if a.shape[-1] != per_video[0].shape[-1])
        _err(
            path,
            f"videos have different numbers of classes ({sizes[0]} and {sizes[-1]}), "
            f"first different: row {first}",
        )
    c = n_classes.pop()
    s = max(a.shape[0] for a in per_video)
    dtype = np.result_type(*[a.dtype for a in per_video])
    out = np.zeros((len(per_video), s, c), dtype=dtype)
    mask = np.zeros((len(per_video), s), dtype=bool)
    for i, a in enumerate(per_video):
        out[i, : a.shape[0]] = a
        mask[i, : a.shape[0]] = True
    return out, (None if mask.all() else mask)


def _as_segments(arr: FloatArray, what: str, path: PathArg, *, crops_axis: bool) -> FloatArray:
    """One video's scores as (S, C): (C,) -> (1, C); (S, C); (S, crops, C) -> crop mean."""
    if arr.ndim == 1:
        arr = arr[None, :]
    elif arr.ndim == 3 and crops_axis:
        if arr.shape[1] == 0:
            _err(path, f"{what} has no crops (shape {arr.shape})")
        arr = arr.mean(axis=1, dtype=np.float64).astype(arr.dtype)
    elif arr.ndim != 2:
        want = (
            "(segments, crops, classes), (segments, classes) or (classes,)"
            if crops_axis
            else "(segments, classes) or (classes,)"
        )
        _err(path, f"{what} has shape {arr.shape}, expected {want}")
    if arr.shape[0] == 0 or arr.shape[1] < 2:
        _err(path, f"{what} has shape {arr.shape}, expected at least 1 segment and 2 classes")
    return arr


def _load_pickle_file(path: PathArg, *, allow_pickle: bool, max_bytes: int, tool: str) -> Any:
    _refuse_pickle_unless(allow_pickle, path, tool)
    data = _read_bytes(path, max_bytes=max_bytes, what="pickle file")
    return _unpickle(io.BytesIO(data), path, max_bytes=max_bytes)


def _refuse_pickle_unless(allow_pickle: bool, path: PathArg, tool: str) -> None:
    if not allow_pickle:
        _err(
            path,
            f"{tool} files are Python pickles, and loading a pickle can run arbitrary code; "
            "refused. If you trust the file, pass --allow-pickle (allow_pickle=True): it is then "
            "read by a restricted unpickler that admits only numpy arrays, torch CPU tensors "
            "and plain containers",
        )


def _unpickle(fh: io.BytesIO, path: PathArg, *, max_bytes: int) -> Any:
    try:
        return restricted_load(fh, max_bytes=max_bytes)
    except RefusedPickle as exc:
        hint = ""
        if exc.name.startswith("torch"):
            hint = (
                "; only plain CPU tensors are decoded (no subclasses, sparse or quantised "
                "tensors): convert them to numpy arrays (tensor.numpy()) and dump again"
            )
        _err(
            path,
            f"{exc} (the restricted unpickler admits only numpy arrays, torch CPU "
            f"tensors and plain containers; it never imports what a pickle names){hint}",
        )
    except PickleDataError as exc:
        _err(path, f"unusable pickle payload ({exc})")
    except FusionlabError:
        raise
    except _DECODE_ERRORS as exc:
        _err(path, f"not a readable pickle ({type(exc).__name__}: {_printable(str(exc))[:200]})")


# --------------------------------------------------------------------------- TSN


def _read_npy_member(
    zf: zipfile.ZipFile, name: str, path: PathArg, *, allow_pickle: bool, max_bytes: int
) -> npt.NDArray[Any]:
    try:
        info = zf.getinfo(name)
        if info.file_size > max_bytes:
            _err(
                path,
                f"member {name!r} expands to {info.file_size} bytes, over the limit of "
                f"{max_bytes} bytes (max_bytes, --max-bytes)",
            )
        data = zf.read(name)
    except FusionlabError:
        raise
    except _DECODE_ERRORS as exc:
        _err(
            path,
            f"truncated or corrupt npz member {name!r} ({type(exc).__name__}: "
            f"{_printable(str(exc))[:200]})",
        )
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            _err(path, f"member {name!r} has unsupported .npy version {version}")
        if not dtype.hasobject:
            fh.seek(0)
            return np.asarray(np.lib.format.read_array(fh, allow_pickle=False))
    except FusionlabError:
        raise
    except _DECODE_ERRORS as exc:
        _err(
            path,
            f"member {name!r} is not a readable .npy array ({type(exc).__name__}: "
            f"{_printable(str(exc))[:200]})",
        )
    if not allow_pickle:
        _refuse_pickle_unless(False, path, "TSN --save_scores")
    obj = _unpickle(fh, path, max_bytes=max_bytes)
    if not isinstance(obj, np.ndarray) or obj.shape != shape:
        _err(path, f"member {name!r} does not hold the {shape} array its header announces")
    return obj


#: Members of a TSN-style ``.npz`` that name the videos of its rows (at most one may be present).
TSN_NAME_MEMBERS: tuple[str, ...] = ("names", "video_names", "video_ids", "ids")


def read_tsn(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    row_order: RowOrder | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a TSN / tsn-pytorch ``--save_scores`` file.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` written by ``--save_scores``.
    split_list : str or path-like, optional
        The test list given to the tool. When the file holds a names member
        (one of :data:`TSN_NAME_MEMBERS`), rows are matched to the list by name:
        both must hold the same videos, and labels must agree per video. Without
        names the list is required and gives the ids by position (see
        ``row_order``), cross-checked against the file's labels.
    class_index : str or path-like, optional
        Class names; also labels one-column split lists.
    allow_pickle : bool, default False
        The file's ``scores`` member is a pickled object array: refused unless
        True, then read with the restricted unpickler.
    row_order : {"sorted", "list"}, optional
        Only for a file without names: its rows follow the sorted first column
        of the list (tsn-pytorch, the default) or the list order (Caffe TSN
        ``eval_net.py``). Ignored when the file names its rows.
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, n_segments, n_classes): logits with crops
        averaged. ``meta`` records ``crops``; ``names_member`` when the file
        names its rows; with a split list, ``row_match`` (``"name"`` or
        ``"position"``), and ``row_order`` when matched by position.
    """
    _check_max_bytes(max_bytes)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    listed = (
        None
        if split_list is None
        else (
            split_list,
            read_split_list(
                split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
            ),
        )
    )
    data = _read_bytes(path, max_bytes=max_bytes, what="npz file")
    if not data.startswith(b"PK"):
        _err(path, "not an npz file (not a zip archive); expected a TSN --save_scores .npz")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = set(zf.namelist())
    except _DECODE_ERRORS as exc:
        _err(
            path,
            f"truncated or corrupt npz file ({type(exc).__name__}: {_printable(str(exc))[:200]})",
        )
    with zf:
        if "scores.npy" not in members:
            _err(
                path,
                f"missing member 'scores' (has {', '.join(sorted(members)) or 'none'}); "
                "expected a TSN --save_scores file",
            )
        raw = _read_npy_member(
            zf, "scores.npy", path, allow_pickle=allow_pickle, max_bytes=max_bytes
        )
        file_labels = None
        if "labels.npy" in members:
            file_labels = _read_npy_member(
                zf, "labels.npy", path, allow_pickle=allow_pickle, max_bytes=max_bytes
            )
        name_members = [m for m in TSN_NAME_MEMBERS if f"{m}.npy" in members]
        if len(name_members) > 1:
            _err(
                path,
                f"has several video-name members ({', '.join(map(repr, name_members))}); "
                f"expected at most one of {', '.join(TSN_NAME_MEMBERS)}",
            )
        file_names = (
            _read_npy_member(
                zf, f"{name_members[0]}.npy", path, allow_pickle=allow_pickle, max_bytes=max_bytes
            )
            if name_members
            else None
        )

    per_video, row_labels, crops = _tsn_rows(raw, path)
    n = len(per_video)
    labels = _tsn_labels(file_labels, row_labels, n, path)
    meta: dict[str, Any] = {"crops": crops}
    if file_names is not None:
        member = name_members[0]
        video_names = _tsn_names(file_names, member, n, path)
        ids = _normalized_ids(video_names, path, lambda i: f"'{member}'[{i}]")
        meta["names_member"] = member
        if listed is not None:
            lpath, entries = listed
            order, ids, labels = _align_to_list(path, video_names, labels, entries, lpath)
            per_video = [per_video[int(k)] for k in order]
            meta["row_match"] = "name"
    elif listed is None:
        _err(
            path,
            f"holds no video names (no member {', '.join(map(repr, TSN_NAME_MEMBERS[:-1]))} "
            f"or {TSN_NAME_MEMBERS[-1]!r}): "
            "pass the test list given to the tool with --split-list (split_list=...); rows "
            "are then matched to it by position",
        )
    else:
        order_used: RowOrder = row_order or "sorted"
        ids = _tsn_by_position(path, labels, *listed, order_used)
        meta.update(row_match="position", row_order=order_used)
    scores, mask = _stack_segments(per_video, path)
    return RawScores(
        scores=scores,
        labels=labels,
        video_ids=np.asarray(ids, dtype=str),
        class_names=None if names is None else np.asarray(names, dtype=str),
        segment_mask=mask,
        kind=None,
        meta=meta,
    )


def _tsn_labels(
    file_labels: npt.NDArray[Any] | None,
    row_labels: npt.NDArray[np.int64] | None,
    n: int,
    path: PathArg,
) -> npt.NDArray[np.int64]:
    """Labels from the ``labels`` member and/or the ``(scores, label)`` rows (-1 unknown)."""
    if file_labels is None:
        return row_labels if row_labels is not None else np.full(n, -1, dtype=np.int64)
    fl = np.asarray(file_labels)
    if fl.dtype.hasobject:
        fl_list = [_int_label(v, f"labels[{i}]", path) for i, v in enumerate(fl.reshape(-1))]
        fl = np.asarray(fl_list, dtype=np.int64)
    if fl.dtype.kind not in "iu" or fl.shape != (n,):
        _err(
            path,
            f"'labels' must be {n} integers (one per row of 'scores'), got {fl.dtype} {fl.shape}",
        )
    if fl.dtype.kind == "u" and n and int(fl.max()) > _INT64_MAX:
        # astype(int64) would wrap 2**64-1 around to -1 ("unknown") silently
        k = int(np.argmax(fl > _INT64_MAX))
        _err(path, f"'labels'[{k}] is {int(fl[k])}, out of range (beyond int64)")
    labels = fl.astype(np.int64)
    if row_labels is not None:
        bad = np.flatnonzero(row_labels != labels)
        if bad.size:
            _err(
                path,
                f"row {int(bad[0])}: label {int(row_labels[bad[0]])} in 'scores' but "
                f"{int(labels[bad[0]])} in 'labels'",
            )
    return labels


def _tsn_names(arr: npt.NDArray[Any], member: str, n: int, path: PathArg) -> list[str]:
    """The video name of every row, from a names member (str, bytes or object array)."""
    what = f"'{member}'"
    if arr.dtype.kind not in "USO":
        _err(path, f"{what} has dtype {arr.dtype}, expected video names (strings)")
    if arr.shape != (n,):
        _err(
            path,
            f"{what} must hold {n} video names (one per row of 'scores'), got shape {arr.shape}",
        )
    out: list[str] = []
    for i, value in enumerate(arr.tolist()):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                _err(path, f"{what}[{i}] is not UTF-8 text")
        if not isinstance(value, str):
            _err(
                path,
                f"{what}[{i}] is a {_printable(type(value).__name__)}, expected a video name",
            )
        out.append(value)
    return out


def _tsn_by_position(
    path: PathArg,
    labels: npt.NDArray[np.int64],
    split_list: PathArg,
    entries: Sequence[SplitEntry],
    row_order: RowOrder,
) -> list[str]:
    """Ids of an unnamed file's rows: the split list's, by position, checked by label."""
    n = len(labels)
    if len(entries) != n:
        _err(path, f"holds {n} videos but the split list {_shown(split_list)} has {len(entries)}")
    order = (
        sorted(range(n), key=lambda i: entries[i].path) if row_order == "sorted" else list(range(n))
    )
    rows = [entries[i] for i in order]
    list_labels = np.asarray([e.label for e in rows], dtype=np.int64)
    known = list_labels >= 0
    bad = np.flatnonzero(known & (list_labels != labels))
    if bad.size:
        i = int(bad[0])
        other = "list" if row_order == "sorted" else "sorted"
        _err(
            path,
            f"row {i} has label {int(labels[i])} but video {_q(rows[i].video_id)} has label "
            f"{int(list_labels[i])} in the split list (line {rows[i].line}); wrong split list, "
            f"or rows in {other} order (row_order={other!r}, --row-order {other})?",
        )
    return [e.video_id for e in rows]


def _tsn_rows(
    raw: npt.NDArray[Any], path: PathArg
) -> tuple[list[FloatArray], npt.NDArray[np.int64] | None, int]:
    """Per-video (S, C) arrays, per-row labels (or None) and the crop count."""
    if not raw.dtype.hasobject:
        arr = _float_array(raw, "'scores'", path)
        if arr.ndim == 4:
            crops = int(arr.shape[2])
            arr = arr.mean(axis=2, dtype=np.float64).astype(arr.dtype)
        elif arr.ndim in (2, 3):
            crops = 1
            arr = arr if arr.ndim == 3 else arr[:, None, :]
        else:
            _err(
                path,
                f"'scores' has shape {arr.shape}, expected (N, S, crops, C), (N, S, C) or (N, C)",
            )
        if arr.shape[0] == 0:
            _err(path, "'scores' holds no videos")
        return (
            [
                _as_segments(a, f"'scores' row {i}", path, crops_axis=False)
                for i, a in enumerate(arr)
            ],
            None,
            crops,
        )
    if raw.ndim == 2 and raw.shape[1] == 2:
        cells = [(raw[i, 0], raw[i, 1]) for i in range(raw.shape[0])]
    elif raw.ndim == 1:
        cells = []
        for i, item in enumerate(raw):
            if isinstance(item, (tuple, list)) and len(item) == 2:
                cells.append((item[0], item[1]))
            elif isinstance(item, np.ndarray):
                cells.append((item, None))
            else:
                _err(
                    path,
                    f"'scores' row {i} is a {type(item).__name__}, expected a (scores, label) pair",
                )
    else:
        _err(
            path,
            f"'scores' is an object array of shape {raw.shape}, expected (N, 2) "
            "(scores, label) rows",
        )
    if not cells:
        _err(path, "'scores' holds no videos")
    per_video: list[FloatArray] = []
    labels: list[int] = []
    crops_seen: set[int] = set()
    for i, (arr_obj, label) in enumerate(cells):
        arr = _float_array(arr_obj, f"'scores' row {i}", path)
        if arr.ndim == 3:
            crops_seen.add(int(arr.shape[1]))
        per_video.append(_as_segments(arr, f"'scores' row {i}", path, crops_axis=True))
        if label is not None:
            labels.append(_int_label(label, f"label of 'scores' row {i}", path))
    row_labels = np.asarray(labels, dtype=np.int64) if len(labels) == len(cells) else None
    crops = crops_seen.pop() if len(crops_seen) == 1 else 1
    return per_video, row_labels, crops


# --------------------------------------------------------------------------- mmaction2


def _dig(sample: dict[Any, Any], flat: str, nested: str) -> Any:
    if flat in sample:
        return sample[flat]
    inner = sample.get(nested)
    if isinstance(inner, dict) and "item" in inner:
        return inner["item"]
    return None


def read_mmaction2(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    row_order: RowOrder = "list",
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read an MMAction2 result dump (1.x ``--dump`` dicts or a 0.x ``--out`` list).

    Parameters
    ----------
    path : str or path-like
        The pickle.
    split_list : str or path-like
        The test annotation file; required unless every sample dict names its
        video (``filename`` or ``frame_dir``). Named samples are matched to it by
        name (same videos, labels agreeing per video), others by position.
    class_index : str or path-like, optional
        Class names (a label map).
    allow_pickle : bool, default False
        Refused unless True; read with the restricted unpickler (torch CPU
        tensors are decoded without torch).
    row_order : {"list", "sorted"}, default "list"
        Order of unnamed samples against the split list; not used for named ones.
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        ``scores`` of shape (n_videos, n_segments, n_classes) as dumped
        (probabilities for ``average_clips='prob'``, logits for ``'score'``).
        With a split list, ``meta`` records ``row_match`` (``"name"`` or
        ``"position"``, then with ``row_order``).
    """
    _check_max_bytes(max_bytes)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    obj = _load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="MMAction2 result"
    )
    if not isinstance(obj, list) or not obj:
        what = "an empty list" if isinstance(obj, list) else f"a {type(obj).__name__}"
        _err(path, f"holds {what}, expected a list of per-sample results")
    per_video: list[FloatArray] = []
    dump_labels: list[int] = []
    dump_names: list[str] = []
    for i, item in enumerate(obj):
        if isinstance(item, dict):
            score = _dig(item, "pred_score", "pred_scores")
            if score is None:
                _err(
                    path,
                    f"sample {i} has no 'pred_score' (keys: "
                    f"{_printable(', '.join(sorted(map(_safe_str, item)))[:120])})",
                )
            if isinstance(score, dict):
                _err(path, f"sample {i}: 'pred_score' is a dict (multi-head model); not supported")
            arr = _float_array(score, f"'pred_score' of sample {i}", path)
            label = _dig(item, "gt_label", "gt_labels")
            if label is not None:
                if isinstance(label, np.ndarray) and label.size > 1:
                    _err(path, f"sample {i} has {label.size} labels (multi-label); not supported")
                dump_labels.append(_int_label(label, f"'gt_label' of sample {i}", path))
            name = item.get("filename", item.get("frame_dir"))
            if isinstance(name, str) and name.strip():
                dump_names.append(name)
        else:
            arr = _float_array(item, f"sample {i}", path)
        per_video.append(_as_segments(arr, f"scores of sample {i}", path, crops_axis=False))
    n = len(per_video)
    labels = (
        np.asarray(dump_labels, dtype=np.int64)
        if len(dump_labels) == n
        else np.full(n, -1, dtype=np.int64)
    )
    if 0 < len(dump_labels) < n:
        _err(path, f"only {len(dump_labels)} of {n} samples have 'gt_label'")
    if 0 < len(dump_names) < n:
        _err(
            path,
            f"only {len(dump_names)} of {n} samples name their video ('filename' or "
            "'frame_dir'); expected all or none",
        )
    has_names = len(dump_names) == n
    meta: dict[str, Any] = {}
    if has_names:
        ids = _normalized_ids(dump_names, path, lambda i: f"sample {i}")

    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
        )
        if has_names:  # by name: the dump's order does not matter
            order, ids, labels = _align_to_list(
                path, dump_names, labels, entries, split_list, label_word="gt_label"
            )
            per_video = [per_video[int(k)] for k in order]
            meta = {"row_match": "name"}
        else:
            ids, labels = _mm_by_position(path, labels, entries, split_list, row_order)
            meta = {"row_match": "position", "row_order": row_order}
    elif not has_names:
        _err(
            path,
            "holds no video names; pass the test annotation file with --split-list "
            "(split_list=...): rows follow its order",
        )
    return _finish(path, per_video, labels, ids, names, meta=meta)


def _mm_by_position(
    path: PathArg,
    labels: npt.NDArray[np.int64],
    entries: Sequence[SplitEntry],
    split_list: PathArg,
    row_order: RowOrder,
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Ids and labels of an unnamed dump's rows: the annotation file's, by position."""
    n = len(labels)
    if len(entries) != n:
        _err(path, f"holds {n} samples but the split list {_shown(split_list)} has {len(entries)}")
    rows = sorted(entries, key=lambda e: e.path) if row_order == "sorted" else list(entries)
    list_labels = np.asarray([e.label for e in rows], dtype=np.int64)
    both = (labels >= 0) & (list_labels >= 0)
    bad = np.flatnonzero(both & (labels != list_labels))
    if bad.size:
        i = int(bad[0])
        _err(
            path,
            f"sample {i} has gt_label {int(labels[i])} but video {_q(rows[i].video_id)} "
            f"has label {int(list_labels[i])} in the split list (line {rows[i].line}); is it "
            "the annotation file of this test run?",
        )
    return [e.video_id for e in rows], np.where(labels >= 0, labels, list_labels)


def _finish(
    path: PathArg,
    per_video: Sequence[FloatArray],
    labels: npt.NDArray[np.int64],
    ids: Sequence[str],
    names: Sequence[str] | None,
    *,
    meta: dict[str, Any] | None = None,
    kind: _scores.ScoreKind | None = None,
) -> RawScores:
    scores, mask = _stack_segments(per_video, path)
    return RawScores(
        scores=scores,
        labels=np.asarray(labels, dtype=np.int64),
        video_ids=np.asarray(list(ids), dtype=str),
        class_names=None if names is None else np.asarray(names, dtype=str),
        segment_mask=mask,
        kind=kind,
        meta=meta,
    )


# --------------------------------------------------------------------------- two-stream


def read_twostream(
    path: PathArg,
    *,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RawScores:
    """Read a two-stream video-level pickle: ``{video name: scores}``.

    Parameters
    ----------
    path : str or path-like
    split_list : str or path-like, optional
        The test list: gives ids, order and (with ``class_index``) labels; the
        pickle must hold exactly its videos.
    class_index : str or path-like, optional
        Class names; without a split list, labels come from UCF101-style names.
    allow_pickle : bool, default False
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB

    Returns
    -------
    RawScores
        Rows in split-list order (else in sorted id order); ``scores`` of shape
        (n_videos, n_segments, n_classes), usually summed logits.
    """
    _check_max_bytes(max_bytes)
    names = read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    obj = _load_pickle_file(
        path, allow_pickle=allow_pickle, max_bytes=max_bytes, tool="two-stream score"
    )
    if not isinstance(obj, dict) or not obj:
        what = "an empty dict" if isinstance(obj, dict) else f"a {type(obj).__name__}"
        _err(path, f"holds {what}, expected a dict from video name to class scores")
    keys: list[str] = []
    arrays: list[FloatArray] = []
    for key, value in obj.items():
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if not isinstance(key, str) or not key.strip():
            _err(path, f"key {_q(key)} is not a video name")
        keys.append(key)
        arr = _float_array(value, f"scores of video {_q(key)}", path)
        arrays.append(_as_segments(arr, f"scores of video {_q(key)}", path, crops_axis=False))

    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=names, label_base=label_base, max_bytes=max_bytes
        )
        pos = _Matcher(entries, split_list).match_all(keys, path)
        order = np.argsort(pos, kind="stable")
        ids = [entries[int(pos[k])].video_id for k in order]
        labels = np.asarray([entries[int(pos[k])].label for k in order], dtype=np.int64)
        per_video = [arrays[int(k)] for k in order]
    else:
        ids_all = _normalized_ids(keys, path, lambda i: f"key {i}")
        order = np.argsort(np.asarray(ids_all, dtype=str), kind="stable")
        ids = [ids_all[int(k)] for k in order]
        per_video = [arrays[int(k)] for k in order]
        labels = np.full(len(ids), -1, dtype=np.int64)
        if names is not None:
            index = {_fold(n): i for i, n in enumerate(names)}
            for j, k in enumerate(order):
                m = _UCF_NAME.match(ids_all[int(k)])
                cls = m.group(1) if m else None
                if cls is None or _fold(cls) not in index:
                    _err(
                        path,
                        f"video {_q(keys[int(k)])}: unknown class name "
                        f"{_q(cls) if cls else '(none)'} (not in the class index "
                        f"{_shown(class_index or '')}); pass --split-list",
                    )
                labels[j] = index[_fold(cls)]
    return _finish(path, per_video, labels, ids, names)


# --------------------------------------------------------------------------- CSV


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
    _check_max_bytes(max_bytes)
    names_idx = (
        read_class_index(class_index, max_bytes=max_bytes) if class_index is not None else None
    )
    text = _read_text(path, max_bytes=max_bytes, what="CSV file")
    sep = "\t" if _fspath(path).lower().endswith(".tsv") else ","
    try:
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=sep))
    except (csv.Error, StopIteration) as exc:
        _err(path, f"unreadable CSV header ({exc})")
    header = [h.strip() for h in header]
    if not any(header):
        _err(path, "has an empty header line; expected column names")
    dup = next((h for i, h in enumerate(header) if h in header[:i]), None)
    if dup is not None:
        _err(path, f"column {_q(dup)} appears twice in the header")
    if any(not h for h in header):
        _err(path, f"column {header.index('') + 1} has an empty name")

    def pick(accepted: tuple[str, ...], role: str) -> int | None:
        hits = [i for i, h in enumerate(header) if h.lower() in accepted]
        if len(hits) > 1:
            _err(path, f"several {role} columns ({', '.join(_q(header[i]) for i in hits)})")
        return hits[0] if hits else None

    id_col = pick(_CSV_ID, "video id")
    if id_col is None:
        _err(
            path,
            f"no video id column; name one of: {', '.join(_CSV_ID)} "
            f"(header: {_printable(', '.join(header))[:200]})",
        )
    label_col = pick(_CSV_LABEL, "label")
    seg_col = pick(_CSV_SEGMENT, "segment")
    special = {c for c in (id_col, label_col, seg_col) if c is not None}
    score_cols = [i for i in range(len(header)) if i not in special]
    if len(score_cols) < 2:
        _err(path, f"has {len(score_cols)} class score column(s), expected at least 2")

    # Class of each score column: by number ("0", "score_1") or by name.
    headers = [header[i] for i in score_cols]
    positional = [_POSITIONAL.fullmatch(h) for h in headers]
    class_names: list[str] | None
    if all(positional):
        numbers = [_parse_int(m.group(1)) or 0 for m in positional if m]
        if sorted(numbers) != list(range(len(numbers))):
            tokens = sorted((m.group(1) for m in positional if m), key=lambda t: _parse_int(t) or 0)
            shown = ", ".join(_numtext(t.lstrip("0") or "0") for t in tokens[:6])
            _err(
                path,
                f"score columns are numbered [{shown}]..., expected 0 to {len(numbers) - 1}",
            )
        col_class = numbers
        class_names = names_idx
        if names_idx is not None and len(names_idx) != len(numbers):
            _err(
                path,
                f"has {len(numbers)} score columns, the class index {len(names_idx)} classes",
            )
    elif names_idx is not None:
        index = {n: i for i, n in enumerate(names_idx)}
        col_class = []
        for h in headers:
            if h not in index:
                _err(
                    path,
                    f"score column {_q(h)} is an unknown class name (not in the class "
                    f"index {_shown(class_index or '')})",
                )
            col_class.append(index[h])
        if len(headers) != len(names_idx):
            missing = [n for n in names_idx if n not in headers]
            _err(path, f"has no score column for class {_q(missing[0])} of the class index")
        class_names = names_idx
    else:
        col_class = list(range(len(headers)))
        class_names = headers

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
        _err(path, f"malformed CSV: rows have more fields than the {len(header)} header columns")
    except ValueError as exc:
        if isinstance(exc, pd.errors.ParserError):
            _err(path, f"malformed CSV ({_printable(str(exc).strip())[:200]})")
        df = _csv_as_text(text, sep, len(header), path)
        _report_bad_number(df, score_cols, header, path)
        _err(path, f"unreadable CSV ({_printable(str(exc))[:200]})")
    except _DECODE_ERRORS as exc:  # EmptyDataError, csv.Error, MemoryError, ...
        _err(path, f"unreadable CSV ({type(exc).__name__}: {_printable(str(exc))[:200]})")
    if len(df) == 0:
        _err(path, "has a header but no rows")

    values = df[score_cols].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        _err(
            path,
            f"row {r + 2}: score in column {_q(header[score_cols[c]])} is missing, NaN or infinite",
        )
    scores_by_class = np.empty_like(values)
    scores_by_class[:, col_class] = values

    raw_ids = [_cell(v) for v in df[id_col].tolist()]
    for r, v in enumerate(raw_ids):
        if not v:
            _err(path, f"row {r + 2}: empty video id")
    row_labels = np.full(len(df), -1, dtype=np.int64)
    if label_col is not None:
        lookup = {n: i for i, n in enumerate(class_names or ())}
        for r, v in enumerate(df[label_col].tolist()):
            cell = _cell(v)
            if cell == "" or cell == "-1":
                continue
            number = _parse_int(cell)
            if number is not None:
                lab = number - label_base
                if lab < 0 or lab >= len(col_class):
                    _err(
                        path,
                        f"row {r + 2}: label {_numtext(cell)} is out of range for "
                        f"{len(col_class)} classes (label base {label_base})",
                    )
                row_labels[r] = lab
            elif cell in lookup:
                row_labels[r] = lookup[cell]
            else:
                _err(
                    path,
                    f"row {r + 2}: label {_q(cell)} is neither an integer nor a known class name",
                )
    seg_numbers: list[int] | None = None
    if seg_col is not None:
        seg_numbers = []
        for r, v in enumerate(df[seg_col].tolist()):
            cell = _cell(v)
            number = _parse_int(cell)
            if number is None:
                _err(path, f"row {r + 2}: segment {_q(cell)} is not an integer")
            seg_numbers.append(number)

    # Group rows into videos (order of first appearance).
    ids = [normalize_video_id(v) for v in raw_ids]
    groups: dict[str, list[int]] = {}
    for r, vid in enumerate(ids):
        if not vid:
            _err(path, f"row {r + 2}: empty video id")
        groups.setdefault(vid, []).append(r)
    n_videos, n_classes = len(groups), len(col_class)

    # The slot of every row on the segment axis: its segment number minus the base.
    meta: dict[str, Any] | None = None
    if seg_numbers is None:
        for vid, rows in groups.items():
            if len(rows) > 1:
                _err(
                    path,
                    f"video id {_q(vid)} appears in rows {rows[0] + 2} and {rows[1] + 2}"
                    f"{_spelled(raw_ids[rows[0]], raw_ids[rows[1]])}; add a segment column "
                    f"({', '.join(_CSV_SEGMENT)}) for one row per segment",
                )
        slots = [0] * len(df)
        n_segments = 1
    else:
        base = min(seg_numbers)
        if base not in (0, 1):
            r = seg_numbers.index(base)
            _err(
                path,
                f"row {r + 2}: segment {_numtext(_cell(df[seg_col].iloc[r]))} is the smallest "
                "segment number; segments are numbered from 0 or 1",
            )
        slots = [n - base for n in seg_numbers]
        n_segments = max(slots) + 1
        n_bytes = n_videos * n_segments * n_classes * 8
        if n_bytes > max_bytes:
            r = slots.index(n_segments - 1)
            _err(
                path,
                f"row {r + 2}: segment {_numtext(_cell(df[seg_col].iloc[r]))} makes "
                f"{n_segments} segments per video, and {n_videos} videos x {n_segments} "
                f"segments x {n_classes} classes of float64 is {n_bytes} bytes, over the limit "
                f"of {max_bytes} bytes (max_bytes, --max-bytes)",
            )
        meta = {"segment_base": base}

    scores = np.zeros((n_videos, n_segments, n_classes), dtype=np.float64)
    mask = np.zeros((n_videos, n_segments), dtype=bool)
    labels: list[int] = []
    video_names: list[str] = []
    for k, (vid, rows) in enumerate(groups.items()):
        first: dict[int, int] = {}
        for r in rows:
            slot = slots[r]
            if slot in first:
                _err(
                    path,
                    f"row {r + 2}: video id {_q(vid)} segment "
                    f"{_numtext(_cell(df[seg_col].iloc[r]))} appears again (first in row "
                    f"{first[slot] + 2}){_spelled(raw_ids[first[slot]], raw_ids[r])}; each "
                    "(video, segment) pair must be given once",
                )
            first[slot] = r
            scores[k, slot] = scores_by_class[r]
            mask[k, slot] = True
        labs = {int(row_labels[r]) for r in rows} - {-1}
        if len(labs) > 1:
            _err(path, f"video id {_q(vid)} has different labels in its rows: {sorted(labs)}")
        labels.append(labs.pop() if labs else -1)
        video_names.append(raw_ids[rows[0]])

    label_arr = np.asarray(labels, dtype=np.int64)
    out_ids = list(groups)
    if split_list is not None:
        entries = read_split_list(
            split_list, class_names=class_names, label_base=label_base, max_bytes=max_bytes
        )
        order, out_ids, label_arr = _align_to_list(
            path, video_names, label_arr, entries, split_list
        )
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


def _spelled(a: str, b: str) -> str:
    """`` (spelled 'a' and 'b')`` when two names of one id differ, else ``""``."""
    if a == b:
        return ""
    return f" (spelled {_q(a, limit=80)} and {_q(b, limit=80)}; see normalize_video_id)"


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
    except _DECODE_ERRORS as exc:
        _err(path, f"malformed CSV ({_printable(str(exc).strip())[:200]})")


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
            what = "empty or missing score" if empty else f"non-numeric score {_q(cell)}"
            _err(path, f"row {r + 2}: {what} in column {_q(header[c])}")


# --------------------------------------------------------------------------- import_scores


_READERS: dict[str, Callable[..., RawScores]] = {
    "tsn": read_tsn,
    "mmaction2": read_mmaction2,
    "twostream": read_twostream,
    "csv": read_csv,
}
_PICKLED = ("tsn", "mmaction2", "twostream")


def import_scores(
    input: PathArg,
    *,
    source: Source,
    out: PathArg,
    stream: str,
    kind: _scores.ScoreKind | None = None,
    dataset: str | None = None,
    split: str | None = None,
    subset: str | None = None,
    model: str | None = None,
    epoch: int | None = None,
    split_list: PathArg | None = None,
    class_index: PathArg | None = None,
    allow_pickle: bool = False,
    row_order: RowOrder | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    compress: bool = False,
) -> _scores.ScoreSet:
    """Convert another tool's score file to format version 1 and write it.

    Parameters
    ----------
    input : str or path-like
        The file to import.
    source : {"tsn", "mmaction2", "twostream", "csv"}
        Its format (see the module docstring).
    out : str or path-like
        The ``.npz`` to write (through :func:`fusionlab.scores.save`).
    stream : str
        ``meta["stream"]``, e.g. ``"rgb"`` or ``"flow"``.
    kind : {"prob", "logit", "logprob"}, optional
        Domain of the scores; inferred by :func:`infer_kind` when None.
    dataset, split, subset, model : str, optional
        ``meta`` entries (files sharing dataset, split and subset are one evaluation).
    epoch : int, optional
    split_list, class_index : str or path-like, optional
        Video ids, order and labels (see the module docstring).
    allow_pickle : bool, default False
        Needed for ``tsn``, ``mmaction2`` and ``twostream``; the restricted
        unpickler is used even then.
    row_order : {"sorted", "list"}, optional
        Row order of a ``tsn`` file or ``mmaction2`` dump that names no videos
        (matched to ``split_list`` by position): ``tsn`` default ``"sorted"``
        (tsn-pytorch), ``mmaction2`` default ``"list"``. Not used where rows are
        matched by name.
    label_base : {0, 1}, default 0
    max_bytes : int, default 2 GiB
        Largest input file accepted.
    compress : bool, default False

    Returns
    -------
    ScoreSet
        The written set, as :func:`fusionlab.scores.load` would return it. Its
        ``meta`` holds ``created_by`` (``"fusionlab import --from SOURCE"``),
        ``source_file`` (the input's file name), the given ``dataset``,
        ``split``, ``subset``, ``model``, ``epoch``, ``kind_inferred: true`` when
        ``kind`` was inferred, for ``tsn`` ``crops`` (and ``names_member`` when
        the file names its rows), and for ``tsn`` and ``mmaction2`` with a split
        list ``row_match``: ``"name"``, or ``"position"`` with ``row_order``.

    Raises
    ------
    ScoreFileError
        The input (or a list file) is unreadable, refused or inconsistent; the
        message names that file. Nothing is written.
    UsageError
        An option is invalid or ``out`` cannot be written.
    """
    try:
        return _import_scores(
            input,
            source=source,
            out=out,
            stream=stream,
            kind=kind,
            dataset=dataset,
            split=split,
            subset=subset,
            model=model,
            epoch=epoch,
            split_list=split_list,
            class_index=class_index,
            allow_pickle=allow_pickle,
            row_order=row_order,
            label_base=label_base,
            max_bytes=max_bytes,
            compress=compress,
        )
    except ScoreFileError as exc:
        raise ScoreFileError(
            None if exc.path is None else _printable(exc.path), _printable(exc.problem)
        ) from None
    except UsageError as exc:
        raise UsageError(_printable(str(exc))) from None


def _check_output_path(out_path: str) -> None:
    """Refuse an output path that :func:`fusionlab.scores.save` cannot (or must not) write."""
    shown = _printable(out_path)
    if out_path == "-":
        raise UsageError(
            "-o -: a score file (.npz) cannot be written to standard output; give a file path"
        )
    if not out_path:
        raise UsageError("the output path is empty; give the .npz file to write")
    if "\0" in out_path:
        raise UsageError(f"{shown}: the output path holds a NUL byte")
    if os.path.isdir(out_path):
        raise UsageError(f"{shown}: is a directory, expected the output .npz path")
    if os.path.exists(out_path) and not os.path.isfile(out_path):
        # the atomic rename would replace a device, pipe or socket (e.g. /dev/null) by a file
        raise UsageError(
            f"{shown}: exists and is not a regular file (a device, pipe or socket); "
            "refusing to replace it"
        )
    # The nearest existing folder above it must be a folder (the missing ones are created).
    parent = os.path.dirname(out_path)
    while parent and not os.path.exists(parent):
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
    if parent and os.path.exists(parent) and not os.path.isdir(parent):
        raise UsageError(f"{shown}: cannot write, {_printable(parent)} is not a directory")


def _import_scores(
    input: PathArg,
    *,
    source: str,
    out: PathArg,
    stream: str,
    kind: _scores.ScoreKind | None,
    dataset: str | None,
    split: str | None,
    subset: str | None,
    model: str | None,
    epoch: int | None,
    split_list: PathArg | None,
    class_index: PathArg | None,
    allow_pickle: bool,
    row_order: RowOrder | None,
    label_base: int,
    max_bytes: int,
    compress: bool,
) -> _scores.ScoreSet:
    if source not in _READERS:
        raise UsageError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    if kind is not None and kind not in get_args(_scores.ScoreKind):
        raise UsageError(f"kind must be one of prob, logit, logprob, got {kind!r}")
    if row_order is not None and row_order not in ("sorted", "list"):
        raise UsageError(f"row_order must be 'sorted' or 'list', got {row_order!r}")
    if row_order is not None and source not in ("tsn", "mmaction2"):
        raise UsageError(f"row_order applies to --from tsn and mmaction2 only, not {source}")
    if label_base not in (0, 1):
        raise UsageError(f"label_base must be 0 or 1, got {label_base!r}")
    if not isinstance(stream, str) or not stream.strip():
        raise UsageError("stream must be a non-empty string (--stream rgb, --stream flow, ...)")
    _check_max_bytes(max_bytes)
    out_path = _fspath(out)
    _check_output_path(out_path)
    kwargs: dict[str, Any] = {
        "split_list": split_list,
        "class_index": class_index,
        "label_base": label_base,
        "max_bytes": max_bytes,
    }
    if source in _PICKLED:
        kwargs["allow_pickle"] = allow_pickle
    if row_order is not None:
        kwargs["row_order"] = row_order
    raw = _READERS[source](input, **kwargs)

    final_kind = kind or raw.kind or infer_kind(raw.scores, raw.segment_mask)
    meta: dict[str, Any] = dict(raw.meta or {})
    meta.update(
        created_by=f"fusionlab import --from {source}",
        source_file=os.path.basename(_printable(_fspath(input))),
        dataset=dataset,
        split=None if split is None else str(split),
        subset=subset,
        model=model,
        epoch=epoch,
    )
    if kind is None:
        meta["kind_inferred"] = True
    try:
        return _scores.save(
            out_path,
            raw.scores,
            raw.labels,
            raw.video_ids,
            kind=final_kind,
            stream=stream,
            class_names=raw.class_names,
            segment_mask=raw.segment_mask,
            compress=compress,
            **meta,
        )
    except ScoreFileError as exc:
        hint = "" if kind is None else " (check --kind)"
        _err(input, f"imported scores are not a valid score file: {exc.problem}{hint}")


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``fusionlab import``."""
    parser.add_argument("input", metavar="INPUT", help="the file to import")
    parser.add_argument(
        "--from", dest="source", required=True, choices=SOURCES, help="format of INPUT"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.npz",
        help="score file to write (format version 1)",
    )
    parser.add_argument("--stream", required=True, help="stream name, e.g. rgb or flow")
    parser.add_argument(
        "--kind",
        choices=get_args(_scores.ScoreKind),
        default=None,
        help="domain of the scores (default: inferred)",
    )
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--split", default=None)
    parser.add_argument("--subset", default=None, help="test, val or train")
    parser.add_argument("--model", default=None)
    parser.add_argument("--epoch", type=int, default=None)
    parser.add_argument(
        "--split-list",
        default=None,
        metavar="FILE",
        help="test/annotation list: video ids, order and labels",
    )
    parser.add_argument(
        "--class-index",
        default=None,
        metavar="FILE",
        help="class names (classInd.txt or one name per line)",
    )
    parser.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read pickle-based inputs (with a restricted unpickler)",
    )
    parser.add_argument(
        "--row-order",
        choices=("sorted", "list"),
        default=None,
        help="row order of tsn (default sorted) and mmaction2 (default list) files that name "
        "no videos (rows matched to --split-list by position)",
    )
    parser.add_argument(
        "--label-base",
        type=int,
        choices=(0, 1),
        default=0,
        help="number of the first class in numeric labels (default 0)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help="largest input file accepted (default 2 GiB)",
    )
    parser.add_argument("--compress", action="store_true", help="deflate the written file")


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab import``; print one summary line."""
    s = import_scores(
        args.input,
        source=args.source,
        out=args.output,
        stream=args.stream,
        kind=args.kind,
        dataset=args.dataset,
        split=args.split,
        subset=args.subset,
        model=args.model,
        epoch=args.epoch,
        split_list=args.split_list,
        class_index=args.class_index,
        allow_pickle=args.allow_pickle,
        row_order=args.row_order,
        label_base=args.label_base,
        max_bytes=args.max_bytes,
        compress=args.compress,
    )
    masked = "" if s.segment_mask is None else ", some segments missing"
    print(
        f"wrote {_printable(_fspath(args.output))}: {s.n_videos} videos, {s.n_segments} segments, "
        f"{s.n_classes} classes, kind {s.kind}, stream {_printable(s.stream)}{masked}"
        f"{_row_match_note(s.meta)}"
    )
    return 0


def _row_match_note(meta: Mapping[str, Any]) -> str:
    """What the summary line says about how rows were matched to the split list."""
    if meta.get("row_match") != "position":
        return ""
    return (
        f"; rows matched to the split list by position ({meta.get('row_order')} order): "
        "the file holds no video names"
    )


if __name__ == "__main__":  # pragma: no cover
    from . import cli

    sys.exit(cli.run_subcommand("import"))
