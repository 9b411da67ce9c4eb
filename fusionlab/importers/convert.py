""":func:`import_scores`: read another tool's file with its reader and write format version 1."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from .. import scores as _scores
from ..errors import ScoreFileError, UsageError
from ._util import (
    DEFAULT_MAX_BYTES,
    PathArg,
    RowOrder,
    check_max_bytes,
    fail,
    fspath,
    printable,
)
from .csv import read_csv
from .ctrgcn import read_ctrgcn
from .mmaction2 import read_mmaction2
from .pyskl import read_pyskl
from .raw import RawScores, infer_kind
from .slowfast import read_slowfast
from .tsn import read_tsn
from .twostream import read_twostream
from .videomae import read_videomae
from .views import ViewsArg, parse_views

__all__ = ["SOURCES", "Source", "import_scores", "summary_line"]

Source = Literal["tsn", "mmaction2", "twostream", "csv", "slowfast", "videomae", "pyskl", "ctrgcn"]
SOURCES: tuple[str, ...] = get_args(Source)


_READERS: dict[str, Callable[..., RawScores]] = {
    "tsn": read_tsn,
    "mmaction2": read_mmaction2,
    "twostream": read_twostream,
    "csv": read_csv,
    "slowfast": read_slowfast,
    "videomae": read_videomae,
    "pyskl": read_pyskl,
    "ctrgcn": read_ctrgcn,
}
_PICKLED = ("tsn", "mmaction2", "twostream", "slowfast", "pyskl", "ctrgcn")
#: Sources that read test-time views (``views``) and pyskl's annotation split (``ann_split``).
_TAKES_VIEWS = ("mmaction2", "slowfast", "videomae")
_TAKES_ANN_SPLIT = ("pyskl",)


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
    views: ViewsArg | None = None,
    ann_split: str | None = None,
    label_base: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    compress: bool = False,
) -> _scores.ScoreSet:
    """Convert another tool's score file to format version 1 and write it.

    Parameters
    ----------
    input : str or path-like
        The file to import.
    source : {"tsn", "mmaction2", "twostream", "csv", "slowfast", "videomae", "pyskl", "ctrgcn"}
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
        Needed for ``tsn``, ``mmaction2``, ``twostream``, ``slowfast``, ``pyskl``
        and ``ctrgcn`` (and a pickled label file); the restricted unpickler is
        used even then.
    row_order : {"sorted", "list"}, optional
        Row order of a ``tsn`` file or ``mmaction2`` dump that names no videos
        (matched to ``split_list`` by position): ``tsn`` default ``"sorted"``
        (tsn-pytorch), ``mmaction2`` default ``"list"``. Not used where rows are
        matched by name.
    views : "TxK" or (clips, crops), optional
        Test-time views per video (``mmaction2``, ``slowfast``, ``videomae``):
        written as ``meta["views"]``, clip-major with the centre crop first.
    ann_split : str, optional
        ``pyskl``: the split of the annotation file (``xsub_val``).
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
            views=views,
            ann_split=ann_split,
            label_base=label_base,
            max_bytes=max_bytes,
            compress=compress,
        )
    except ScoreFileError as exc:
        raise ScoreFileError(
            None if exc.path is None else printable(exc.path), printable(exc.problem)
        ) from None
    except UsageError as exc:
        raise UsageError(printable(str(exc))) from None


def _check_output_path(out_path: str) -> None:
    """Refuse an output path that :func:`fusionlab.scores.save` cannot (or must not) write."""
    shown = printable(out_path)
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
        raise UsageError(f"{shown}: cannot write, {printable(parent)} is not a directory")


def _check_options(
    source: str,
    kind: _scores.ScoreKind | None,
    row_order: RowOrder | None,
    label_base: int,
    stream: str,
    views: ViewsArg | None,
    ann_split: str | None,
) -> None:
    """Refuse an option of :func:`import_scores` that is not one of its documented values."""
    if source not in _READERS:
        raise UsageError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    if kind is not None and kind not in get_args(_scores.ScoreKind):
        raise UsageError(f"kind must be one of prob, logit, logprob, got {kind!r}")
    if row_order is not None and row_order not in ("sorted", "list"):
        raise UsageError(f"row_order must be 'sorted' or 'list', got {row_order!r}")
    if row_order is not None and source not in ("tsn", "mmaction2"):
        raise UsageError(f"row_order applies to --from tsn and mmaction2 only, not {source}")
    if views is not None:
        parse_views(views)
        if source not in _TAKES_VIEWS:
            raise UsageError(f"views apply to --from {', '.join(_TAKES_VIEWS)} only, not {source}")
    if ann_split is not None and source not in _TAKES_ANN_SPLIT:
        raise UsageError(f"ann_split applies to --from pyskl only, not {source}")
    if label_base not in (0, 1):
        raise UsageError(f"label_base must be 0 or 1, got {label_base!r}")
    if not isinstance(stream, str) or not stream.strip():
        raise UsageError("stream must be a non-empty string (--stream rgb, --stream flow, ...)")


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
    views: ViewsArg | None,
    ann_split: str | None,
    label_base: int,
    max_bytes: int,
    compress: bool,
) -> _scores.ScoreSet:
    _check_options(source, kind, row_order, label_base, stream, views, ann_split)
    check_max_bytes(max_bytes)
    out_path = fspath(out)
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
    if views is not None:
        kwargs["views"] = views
    if ann_split is not None:
        kwargs["ann_split"] = ann_split
    raw = _READERS[source](input, **kwargs)

    final_kind = kind or raw.kind or infer_kind(raw.scores, raw.segment_mask)
    meta: dict[str, Any] = dict(raw.meta or {})
    meta.update(
        created_by=f"fusionlab import --from {source}",
        source_file=os.path.basename(printable(fspath(input))),
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
        fail(input, f"imported scores are not a valid score file: {exc.problem}{hint}")


def summary_line(s: _scores.ScoreSet, out: PathArg) -> str:
    """The line ``fusionlab import`` prints for the set :func:`import_scores` wrote to ``out``.

    ``wrote OUT: N videos, S segments, C classes, kind K, stream X`` (the
    segments followed by ``(T clips x K crops)`` where they are views), then
    whether segments are missing and, where rows were matched to the split
    list by position, that the file holds no video names.
    """
    masked = "" if s.segment_mask is None else ", some segments missing"
    views = "" if s.views is None else f" ({s.views[0]} clips x {s.views[1]} crops)"
    return (
        f"wrote {printable(fspath(out))}: {s.n_videos} videos, {s.n_segments} segments{views}, "
        f"{s.n_classes} classes, kind {s.kind}, stream {printable(s.stream)}{masked}"
        f"{_row_match_note(s.meta)}"
    )


def _row_match_note(meta: Mapping[str, Any]) -> str:
    """What the summary line says about how rows were matched to the split list."""
    if meta.get("row_match") != "position":
        return ""
    return (
        f"; rows matched to the split list by position ({meta.get('row_order')} order): "
        "the file holds no video names"
    )
