"""The test protocol (test-time views: protocol rows, per-view accuracy) and split-list coverage."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ...fused import FusionSpec
from ...views import PROTOCOL_LABELS, PROTOCOL_ORDER
from .blocks import Block, Column, Paragraph, Section, table
from .context import EvalContext, fmt

#: Entries of ``Results.extra`` these sections show.
VIEW_EXTRAS = frozenset({"views", "coverage"})


def _rule_key(spec: FusionSpec) -> str:
    return "one view" if spec.consensus is None else f"{spec.consensus}|{spec.domain}"


def _rule_label(key: str) -> str:
    if key == "one view":
        return "one view %"
    rule, dom = key.split("|")
    return f"{rule} %" if dom == "any" else f"{rule} ({dom}) %"


def _protocol_table(ctx: EvalContext, stream: str) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per protocol of ``stream``: top-1 under each view-consensus rule."""
    rows: dict[str, dict[str, Any]] = {}
    keys: list[str] = []
    for r in ctx.rows:
        spec: FusionSpec = r["spec"]
        if spec.level != "views" or spec.streams[0][0] != stream or spec.protocol is None:
            continue
        row = rows.setdefault(
            spec.protocol,
            {"protocol": PROTOCOL_LABELS[spec.protocol], "n_views": len(spec.views or ())},
        )
        k = _rule_key(spec)
        row[k] = r["top1"]
        if k not in keys:
            keys.append(k)
    rules = list(ctx.opts.view_consensus)

    def order(k: str) -> tuple[int, int, str]:
        rule = k.split("|")[0]
        return (k != "one view", rules.index(rule) if rule in rules else len(rules), k)

    keys.sort(key=order)
    ordered = [rows[p] for p in PROTOCOL_ORDER if p in rows]
    return ordered, keys


def _per_view_rows(ctx: EvalContext, stream: str, clips: int, crops: int) -> list[dict[str, Any]]:
    """Top-1 of each view alone (the segment rows), one row per clip, one column per crop."""
    acc = {
        r["spec"].segment: r["top1"]
        for r in ctx.rows
        if r["level"] == "segment"
        and r["spec"].streams[0] in ctx.latest
        and r["streams"][0] == stream
    }
    return [
        {
            "clip": f"clip {t + 1}",
            **{f"k{k}": acc.get(t * crops + k, math.nan) for k in range(crops)},
        }
        for t in range(clips)
    ]


def _worth(rows: Sequence[Mapping[str, Any]], stream: str) -> str:
    """``rgb: all views under mean (logit) 80.00 % against 55.00 % for 1 clip, centre crop``."""
    one = next((r for r in rows if r["protocol"] == PROTOCOL_LABELS["one"]), None)
    full = rows[-1] if rows else None
    if one is None or full is None or full is one:
        return ""
    best = max(((k, v) for k, v in full.items() if "|" in k), key=lambda kv: kv[1], default=None)
    if best is None:
        return ""
    gain = best[1] - one["one view"]
    return (
        f"{stream}: {full['protocol']} ({full['n_views']} views) under {_rule_label(best[0])[:-2]} "
        f"reach {fmt(best[1], 'pct')} %, against {fmt(one['one view'], 'pct')} % for "
        f"{PROTOCOL_LABELS['one']}: {fmt(gain, 'signed_pct')} points from the extra views."
    )


def views_section(ctx: EvalContext, value: Any) -> Section | None:
    """``Results.extra["views"]`` of one evaluation and its ``views`` rows; None without views."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    blocks: list[Block] = [
        Paragraph(
            "Streams whose score files declare test-time views (clip-major: view t x crops + k "
            "is clip t under crop k, crop 0 the centre crop). Protocols: 1 clip, centre crop = "
            "the middle clip (clips // 2, 0-based) under crop 0; clips only = every clip under "
            "the centre crop; crops only = every crop of the middle clip; all views. Each "
            "protocol is scored under the view-consensus rules (mean of probabilities in the "
            "prob domain, mean of scores in the logit domain, max, ...); stream fusion uses "
            "all views (the segment consensus of the fusion rows)."
        )
    ]
    for rec in value:
        stream = str(rec["stream"])
        blocks.append(Paragraph(str(rec["note"])))
        rows, keys = _protocol_table(ctx, stream)
        if rows:
            cols = [Column("protocol", "protocol"), Column("n_views", "views", "int")]
            cols += [Column(k, _rule_label(k), "pct") for k in keys]
            cap = f"{stream}: top-1 accuracy of each test protocol under each view-consensus rule."
            worth = _worth(rows, stream)
            blocks.append(table(rows, cols, f"{cap} {worth}".strip()))
        clips, crops = int(rec["clips"]), int(rec["crops"])
        per_view = _per_view_rows(ctx, stream, clips, crops)
        if clips * crops > 1 and any(
            not math.isnan(v) for r in per_view for v in r.values() if isinstance(v, float)
        ):
            cols = [Column("clip", "clip")]
            cols += [
                Column(f"k{k}", "centre crop %" if k == 0 else f"crop {k + 1} %", "pct")
                for k in range(crops)
            ]
            blocks.append(table(per_view, cols, f"{stream}: top-1 accuracy of each view alone."))
    return Section("Test protocol (views)", blocks)


def coverage_section(ctx: EvalContext, value: Any) -> Section | None:
    """``Results.extra["coverage"]`` of one evaluation (``--split-list``); None without it."""
    if not isinstance(value, Mapping) or "streams" not in value:
        return None
    rows = [
        {
            "file": c["stream"] if c["epoch"] is None else f"{c['stream']}@{c['epoch']}",
            "present": c["n_present"],
            "missing": c["n_missing"],
            "first": ", ".join(c["missing"][:5]) + (", ..." if c["n_missing"] > 5 else ""),
            "unlisted": c["n_not_listed"],
        }
        for c in value["streams"]
    ]
    cols = [
        Column("file", "stream"),
        Column("present", "listed, scored", "int"),
        Column("missing", "listed, missing", "int"),
        Column("first", "first missing"),
        Column("unlisted", "scored, not listed (left out)", "int"),
    ]
    return Section(
        "Coverage of the split list",
        [
            Paragraph(str(value["note"])[:1].upper() + str(value["note"])[1:]),
            table(
                rows,
                cols,
                "Listed videos each file scores (every missing id is in the JSON).",
                sortable=False,
            ),
        ],
    )
