"""The diversity tables as a text table, JSON or CSV, and the fixed/broken videos as CSV.

Renders the tables of :func:`fusionlab.evaluate.diversity.diversity_for`
(computed by :mod:`fusionlab.diversity`); computes nothing. List cells (a
subset's members, its best weights) are joined with ``;`` in CSV and text,
as everywhere in fusionlab's CSV (stream names cannot hold ``;``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..diversity import TABLES
from ..errors import UsageError
from ..jsonio import dumps, json_value
from ..scores import Evaluation
from .table import describe

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LIST_SEPARATOR", "Format", "format_diversity", "videos_csv"]

Format = Literal["table", "json", "csv"]
#: Separator of the items of a list cell (tuple) in CSV and text tables.
LIST_SEPARATOR = ";"


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    flat = df.reset_index() if df.index.nlevels > 1 else df
    return [{str(k): json_value(v) for k, v in r.items()} for r in flat.to_dict("records")]


def _flat_cells(df: pd.DataFrame) -> pd.DataFrame:
    flat = (df.reset_index() if df.index.nlevels > 1 else df).copy()
    for col in flat.columns:
        if flat[col].dtype == object:
            flat[col] = flat[col].map(
                lambda v: (
                    LIST_SEPARATOR.join(f"{e:g}" if isinstance(e, float) else str(e) for e in v)
                    if isinstance(v, tuple)
                    else v
                )
            )
    return flat


def _pct_frame(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = _flat_cells(df)
    for col in out.columns:
        if col in cols or col.startswith("acc_"):
            out[col] = out[col].map(lambda v: "" if v is None or v != v else f"{100 * v:.2f}")
        elif col in ("q", "correlation"):
            out[col] = out[col].map(lambda v: "nan" if v != v else f"{v:+.3f}")
    return out.drop(columns=[c for c in ("evaluation", "members", "n_videos") if c in out.columns])


_PCT = (
    "acc_a",
    "acc_b",
    "disagreement",
    "double_fault",
    "oracle",
    "best_single",
    "mean_acc",
    "best_acc",
    "margin",
    "fused_acc",
    "gain",
)


def _subset_grid(df: pd.DataFrame) -> str:
    """``the step 0.1 grid plus equal weights``, from a subsets table's ``best_grid``."""
    grids = list(dict.fromkeys(str(g) for g in df["best_grid"])) if "best_grid" in df else []
    if not grids:
        return "a weight grid plus equal weights"
    steps = " / ".join(g.removesuffix(" + equal weights") for g in grids)
    return f"the {steps} grid plus equal weights"


def _text_section(title: str, df: pd.DataFrame) -> str:
    if df.empty:
        return f"{title}: none\n"
    frame = _pct_frame(df, _PCT)
    body: str = frame.drop(columns=[c for c in ("best_grid",) if c in frame]).to_string(index=False)
    return f"{title}\n{body}\n"


def format_diversity(
    tables: Mapping[str, Mapping[str, Any]],
    fmt: Format = "table",
    *,
    which: Sequence[str] = TABLES,
    evaluations: Sequence[Evaluation] = (),
) -> str:
    """The tables of :func:`~fusionlab.evaluate.diversity.diversity_for` as text, JSON or CSV.

    ``table`` shows percentages; ``json`` and ``csv`` hold fractions in
    [0, 1]. JSON is a list with one object per evaluation (tables as lists of
    row objects, NaN as null). CSV is one long table: a ``table`` column
    naming the source table, then the union of the tables' columns (tuples
    joined with ``;``).
    """
    import pandas as pd

    for w in which:
        if w not in TABLES:
            raise UsageError(f"unknown table {w!r} (known: {', '.join(TABLES)})")
    which = [w for w in TABLES if w in which]  # always in table order
    if fmt == "json":
        doc = []
        for name, t in tables.items():
            obj: dict[str, Any] = {"evaluation": name}
            obj.update({k: t[k] for k in ("fusion", "single", "summary", "notes")})
            obj.update({w: _records(t[w]) for w in which})
            doc.append(obj)
        return dumps(doc)
    if fmt == "csv":
        frames = []
        for t in tables.values():
            for w in which:
                if not t[w].empty:
                    frames.append(_flat_cells(t[w]).assign(table=w))
        if not frames:
            return "table\n"
        df = pd.concat(frames, ignore_index=True)
        df = df[["table", *[c for c in df.columns if c != "table"]]]
        out: str = df.to_csv(index=False, lineterminator="\n", float_format="%.6f")
        return out
    if fmt != "table":
        raise UsageError(f"unknown format {fmt!r} (expected table, json or csv)")
    by_name = {ev.name: ev for ev in evaluations}
    chunks = []
    for name, t in tables.items():
        head = describe(by_name[name]) if name in by_name else name
        parts = [head, ""]
        titles = {
            "pairwise": "Pairwise complementarity (%; Q and correlation in [-1, 1])",
            "oracle": "Oracle accuracy (%): a video is right when any component is right",
            "subsets": "Segment subsets (%; best_acc: best fixed weights, an oracle tuned on "
            f"these videos, searched over {_subset_grid(t['subsets'])})",
            "per_class": "Per-class complementarity (%; gain = fusion minus the better stream)",
        }
        for w in which:
            if w == "wins":
                s = t["summary"]
                if s is None:
                    parts.append("Where fusion wins and loses: no single baseline\n")
                    continue
                parts.append(
                    f"Where fusion wins and loses: {s['fusion']} ({100 * s['fusion_top1']:.2f}%) "
                    f"vs {s['single']} ({100 * s['single_top1']:.2f}%): fixed {s['fixed']} "
                    f"(single wrong, fusion right), broken {s['broken']}, net {s['net']:+d} of "
                    f"{s['n_videos']} videos; {s['fixed_all_wrong']} right although every "
                    "component is wrong"
                )
                wins = t["wins"]
                changed = wins[(wins["fixed"] > 0) | (wins["broken"] > 0)]
                body = changed.drop(columns=["evaluation"]).to_string(index=False)
                parts.append(body + "\n" if not changed.empty else "")
            elif w == "videos":
                continue  # listed with --videos-csv
            else:
                parts.append(_text_section(titles[w], t[w]))
        for note in t["notes"]:
            parts.append(f"note: {note}")
        chunks.append("\n".join(parts).rstrip("\n") + "\n")
    return "\n".join(chunks)


def videos_csv(tables: Mapping[str, Mapping[str, Any]]) -> str:
    """The videos each fusion fixes or breaks, all evaluations, as CSV text."""
    import pandas as pd

    frames = [t["videos"] for t in tables.values() if not t["videos"].empty]
    cols = [
        "evaluation",
        "video_id",
        "label",
        "true_class",
        "single_pred",
        "fused_pred",
        "fixed",
        "fixed_all_wrong",
        "broken",
    ]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    text: str = df[cols].to_csv(index=False, lineterminator="\n")
    return text
