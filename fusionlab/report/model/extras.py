"""Generic, deterministic tables and text for the other entries of ``Results.extra``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..format import CellKind
from .blocks import Block, Column, Paragraph, Section, Table, table

if TYPE_CHECKING:
    import pandas as pd


#: Headings of the well-known entries of ``Results.extra``.
EXTRA_TITLES = {
    "grid": "Grid search over stream weights",
    "learned": "Learned fusion",
    "importance": "Segment and stream importance",
}


#: Most rows shown for a table rendered generically from ``Results.extra``.
MAX_GENERIC_ROWS = 60


def extra_section(name: str, value: Any, *, level: int, prefix: str) -> Section:
    title = EXTRA_TITLES.get(name, name.replace("_", " ").capitalize())
    sec = Section(title, level=level)
    sec.blocks.extend(_generic_blocks(value, path=name, depth=0))
    if not sec.blocks:
        sec.blocks.append(Paragraph("(empty)"))
    return sec


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.generic))


def _scalar_text(v: Any) -> tuple[Any, CellKind]:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool) or v is None:
        return ("" if v is None else str(v)), "text"
    if isinstance(v, int):
        return v, "int"
    if isinstance(v, float):
        return v, "float"
    return str(v), "text"


def _short(v: Any) -> str:
    """A readable, deterministic one-line text of a small value."""
    if _is_scalar(v):
        from ..format import format_cell

        val, kind = _scalar_text(v)
        return format_cell(val, kind)
    if isinstance(v, np.ndarray) and v.ndim <= 1 and v.size <= 16:
        return "[" + ", ".join(_short(x) for x in v.tolist()) + "]"
    if isinstance(v, (list, tuple)) and len(v) <= 16 and all(_is_scalar(x) for x in v):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    if isinstance(v, np.ndarray):
        return f"array of shape {tuple(v.shape)}"
    return f"({type(v).__name__})"


def _as_items(value: Any) -> list[tuple[str, Any]] | None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    return None


def _frame_table(df: pd.DataFrame, caption: str) -> Table:
    import pandas as pd

    cols = []
    data = {}
    shown = df.head(MAX_GENERIC_ROWS)
    if not isinstance(shown.index, pd.RangeIndex):
        shown = shown.reset_index()
    for j, c in enumerate(shown.columns):
        key = f"c{j}"
        s = shown[c]
        kind: CellKind
        vals: list[Any]
        if pd.api.types.is_bool_dtype(s):
            kind, vals = "text", [str(bool(x)) for x in s]
        elif pd.api.types.is_integer_dtype(s):
            kind, vals = "int", [int(x) for x in s]
        elif pd.api.types.is_float_dtype(s):
            kind, vals = "float", [float(x) for x in s]
        else:
            kind, vals = "text", [_short(x) for x in s]
        cols.append(Column(key, str(c), kind))
        data[key] = pd.Series(vals, dtype=object)
    if len(df) > MAX_GENERIC_ROWS:
        caption = (
            caption + " " if caption else ""
        ) + f"First {MAX_GENERIC_ROWS} of {len(df)} rows."
    return Table(cols, pd.DataFrame(data, columns=[c.key for c in cols]), caption)


def _generic_blocks(value: Any, *, path: str, depth: int) -> list[Block]:
    """Tables and text for an arbitrary result object, deterministically."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [_frame_table(value, "")]
    if isinstance(value, pd.Series):
        return [_frame_table(value.to_frame(name=value.name or "value"), "")]
    if (
        isinstance(value, (list, tuple))
        and value
        and all(
            (dataclasses.is_dataclass(v) and not isinstance(v, type)) or isinstance(v, Mapping)
            for v in value
        )
    ):
        recs = []
        for v in value:
            items = _as_items(v) or []
            recs.append({k: (x if _is_scalar(x) else _short(x)) for k, x in items})
        return [_frame_table(pd.DataFrame(recs), "")]
    maybe_items = _as_items(value)
    if maybe_items is None:
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.size <= 400:
            return [_frame_table(pd.DataFrame(value), "")]
        return [Paragraph(f"{path}: {_short(value)}")]
    items = maybe_items
    scalars = [(k, v) for k, v in items if not _nested(v)]
    nested = [(k, v) for k, v in items if _nested(v)]
    blocks: list[Block] = []
    if scalars:
        cols = [Column("item", "item"), Column("value", "value")]
        blocks.append(
            table([{"item": k, "value": _short(v)} for k, v in scalars], cols, sortable=False)
        )
    for k, v in nested:
        if depth >= 3:
            blocks.append(Paragraph(f"{k}: {_short(v)}"))
            continue
        inner = _generic_blocks(v, path=f"{path}.{k}", depth=depth + 1)
        for b in inner:
            if isinstance(b, Table) and not b.caption:
                b.caption = k
        blocks.extend(inner)
    return blocks


def _nested(v: Any) -> bool:
    import pandas as pd

    if isinstance(v, (pd.DataFrame, pd.Series)):
        return True
    if isinstance(v, np.ndarray):
        return v.ndim == 2 and v.size <= 400
    if isinstance(v, Mapping) or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
        return True
    return isinstance(v, (list, tuple)) and bool(v) and not all(_is_scalar(x) for x in v)
