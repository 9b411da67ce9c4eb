"""The accuracy table as plain text, Markdown and CSV (JSON: :mod:`.document`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ..evaluate import ADJUST_NAMES, COLUMNS, SPLIT_MEAN_FIELDS, Results, split_title
from ..evaluate.clusters import groups_note
from ..fused import row_labels
from ..jsonio import dumps
from ..scores import Evaluation
from ..weights import format_weights
from .document import to_document

__all__ = [
    "Format",
    "best_of_many_note",
    "comparison_note",
    "describe",
    "evaluation_notes",
    "format_results",
]

Format = Literal["table", "markdown", "csv", "json"]


def _pct(v: float) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}"


def _honest(r: dict[str, Any]) -> str:
    h = r.get("honest_top1")
    if h is None:
        return ""
    sd = r.get("honest_top1_std")
    return _pct(h) if sd is None or sd == 0 else f"{_pct(h)}±{100 * sd:.2f}"


def _interval(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None or math.isnan(lo):
        return ""
    return f"[{_pct(lo)}, {_pct(hi)}]"


def _signed(v: float | None) -> str:
    return "" if v is None or math.isnan(v) else f"{100 * v:+.2f}"


def _pvalue(p: float | None) -> str:
    if p is None or math.isnan(p):
        return ""
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def comparison_note(results: Results, evaluation: str) -> str:
    """One line: what the gain and p-value columns compare, and how p is adjusted."""
    comp = results.extra.get("comparisons", {}).get(evaluation)
    if not comp or comp["best_single"] is None or not comp["n_mcnemar"]:
        return ""
    how = ADJUST_NAMES[comp["adjust"]]
    n = comp["n_mcnemar"]
    tuned = any(r["level"] in ("grid", "learned") for r in results.rows(evaluation))
    aside = (
        " (tuned rows: held-out predictions vs the stream named in their best_single)"
        if tuned
        else ""
    )
    many = f"{n} comparison{'s' if n != 1 else ''}"
    adjusted = (
        f"not adjusted ({many})" if comp["adjust"] == "none" else f"{how}-adjusted over {many}"
    )
    return (
        f"gain = top-1 points over the best single stream, {comp['best_single']}{aside}; "
        f"McNemar p {adjusted} (--adjust {comp['adjust']})"
    )


def best_of_many_note(results: Results, evaluation: str) -> str:
    """One line: the naive best untuned rule and the cross-fitted value of choosing it."""
    b = results.extra.get("best_of_many", {}).get(evaluation)
    if not b:
        return ""
    chosen = ", ".join(f"{c['label']} {c['count']}/{b['n_choices']}" for c in b["chosen"][:3])
    more = f", {len(b['chosen']) - 3} more" if len(b["chosen"]) > 3 else ""
    return (
        f"best of {b['n_rules']} untuned rules: {b['naive_label']} {_pct(b['naive_top1'])} % "
        f"(chosen on these labels, optimistic); chosen by {b['folds']}-fold cross-fitting "
        f"({b['repeats']} repeats): {_pct(b['honest_top1'])}±{100 * b['honest_top1_std']:.2f} % "
        f"honest (chosen: {chosen}{more})"
    )


def _display_rows(results: Results, evaluation: str) -> list[list[str]]:
    out = []
    for i, r in enumerate(results.rows(evaluation), start=1):
        streams, consensus, weights = row_labels(r)
        out.append(
            [
                str(i),
                streams,
                consensus,
                r["fusion"] or "",
                r["domain"],
                weights,
                _pct(r["top1"]),
                _honest(r),
                _pct(r["top5"]),
                _pct(r["mean_class_acc"]),
                _interval(r["top1_ci_low"], r["top1_ci_high"]),
                _interval(r.get("top1_wilson_low"), r.get("top1_wilson_high")),
                _signed(r.get("diff_vs_best_single")),
                _pvalue(r.get("mcnemar_p_adjusted")),
            ]
        )
    return out


_HEADERS = [
    "#",
    "streams",
    "consensus",
    "fusion",
    "domain",
    "weights",
    "top-1 %",
    "honest top-1 %",
    "top-5 %",
    "mean-class %",
    "top-1 CI",
    "Wilson CI",
    "gain",
    "McNemar p adj.",
]


def describe(ev: Evaluation) -> str:
    """One line: videos, classes, streams and segments of an evaluation."""
    parts = []
    for s in ev.streams:
        st = ev.latest(s)
        eps = [e for e in ev.epochs(s) if e is not None]
        ep = f", epochs {','.join(map(str, eps))}" if eps else ""
        parts.append(f"{s} ({st.n_segments} seg, {st.kind}{ep})")
    known = int((ev.labels >= 0).sum())
    dropped = ev.report.n_dropped
    drop = f"; {dropped} rows dropped by --allow-partial" if dropped else ""
    return f"{ev.name}: {known} videos, {ev.n_classes} classes; streams {', '.join(parts)}{drop}"


def evaluation_notes(results: Results, evaluation: str) -> list[str]:
    """The notes every output shows for one evaluation: split-list coverage, test-time views."""
    out = []
    cov = results.extra.get("coverage", {}).get(evaluation)
    if cov is not None:
        out.append(str(cov["note"]))
    out += [str(c["note"]) for c in results.extra.get("views", {}).get(evaluation, [])]
    return out


def format_results(results: Results, fmt: Format = "table") -> str:
    """Render the results as text, Markdown, CSV or JSON.

    ``table`` and ``markdown`` show percentages; ``csv`` and ``json`` hold
    fractions in [0, 1]. The JSON is one object (:func:`to_document`, schema
    ``fusionlab/schemas/evaluate.schema.json``). Every format ends with the
    means over splits (:func:`split_means`) when several splits of one
    dataset were given.
    """
    if fmt == "json":
        return dumps(to_document(results))
    if fmt == "csv":
        return _csv(results)
    chunks = []
    conf = round(results.options.confidence * 100)
    headers = [h if h != "top-1 CI" else f"top-1 {conf}% CI" for h in _HEADERS]
    headers = [h if h != "Wilson CI" else f"Wilson {conf}% CI" for h in headers]
    sections = [
        (
            ev.name,
            "\n".join(p for p in (describe(ev), comparison_note(results, ev.name)) if p),
            headers,
            _display_rows(results, ev.name),
            _extra_sections(results, ev.name),
            best_of_many_note(results, ev.name),
        )
        for ev in results.evaluations
    ]
    for title, desc, hdr, body in _split_sections(results):
        sections.append((title, desc, hdr, body, [], ""))
    for name, desc, hdr, rows, extra, after in sections:
        notes = [f"note: {n}" for n in evaluation_notes(results, name)]
        if fmt == "markdown":
            lines = [
                f"### {name}",
                "",
                desc.replace("\n", "\n\n"),
                "",
                *(x for n in notes for x in (n, "")),
            ]
            lines.append("| " + " | ".join(hdr) + " |")
            lines.append("|" + "|".join("---:" if _right(h) else "---" for h in hdr) + "|")
            lines.extend(_md_row(r) for r in rows)
            lines += _groups_lines(results, name, fmt)
            if after:
                lines += ["", after[0].upper() + after[1:] + "."]
            for title, h2, body in extra:
                lines += ["", f"**{title}**", "", "| " + " | ".join(h2) + " |"]
                lines.append(
                    "|" + "|".join("---" if j == 0 else "---:" for j in range(len(h2))) + "|"
                )
                lines.extend(_md_row(r) for r in body)
            chunks.append("\n".join(lines) + "\n")
        else:
            widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(hdr)]
            lines = [
                desc,
                *notes,
                _fmt_row(hdr, widths),
                _fmt_row(["-" * w for w in widths], widths),
            ]
            lines.extend(_fmt_row(r, widths) for r in rows)
            lines += _groups_lines(results, name, fmt)
            if after:
                lines.append(after)
            for title, h2, body in extra:
                w2 = [max(len(h), *(len(r[j]) for r in body)) for j, h in enumerate(h2)]
                lines += ["", title]
                lines += [_plain_row(h2, w2), _plain_row(["-" * w for w in w2], w2)]
                lines.extend(_plain_row(r, w2) for r in body)
            chunks.append("\n".join(lines) + "\n")
    return "\n".join(chunks)


def _groups_lines(results: Results, evaluation: str, fmt: Format) -> list[str]:
    """The note under an evaluation's table when its videos are grouped (``--groups``)."""
    info = results.extra.get("groups", {}).get(evaluation)
    if info is None:
        return []
    note = f"note: {groups_note(info)}"
    return ["", note] if fmt == "markdown" else [note]


def _mean_std(m: Mapping[str, Any], field: str) -> str:
    if f"{field}_mean" not in m:
        return ""
    return f"{_pct(m[f'{field}_mean'])}±{100 * m[f'{field}_std']:.2f}"


_SPLIT_HEADERS = [
    "#",
    "streams",
    "consensus",
    "fusion",
    "domain",
    "weights",
    "top-1 %",
    "honest top-1 %",
    "top-5 %",
    "mean-class %",
    "n splits",
]


def _split_sections(results: Results) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """One display table per split group: mean ± std (sample std over splits)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in results.extra.get("split_means", []):
        groups.setdefault(split_title(m), []).append(m)
    out = []
    for title, rows in groups.items():
        body = []
        for i, m in enumerate(rows, start=1):
            _, consensus, _ = row_labels(m)
            body.append(
                [
                    str(i),
                    "+".join(m["streams"]),
                    consensus,
                    m["fusion"] or "",
                    m["domain"],
                    _weights_cell(m),
                    _mean_std(m, "top1"),
                    _mean_std(m, "honest_top1"),
                    _mean_std(m, "top5"),
                    _mean_std(m, "mean_class_acc"),
                    str(m["n_splits"]),
                ]
            )
        desc = (
            f"{title} ({', '.join(rows[0]['evaluations'])}): rows present in every split, "
            "matched by rule, streams and weights; mean ± sample standard deviation over splits; "
            "tuned rows are tuned on each split separately"
        )
        out.append((title, desc, _SPLIT_HEADERS, body))
    return out


def _weights_cell(m: Mapping[str, Any]) -> str:
    w = m.get("weights")
    if w is None:
        return "tuned per split" if m["level"] in ("grid", "learned") else ""
    return format_weights(m["streams"], w, digits=6)


#: CSV columns: the table's, the tuned rows', the split-mean ones and those of the
#: best-of-many rows (``level`` "best-of-many", one per evaluation: ``top1`` the
#: naive best untuned rule's, named in ``rule``, ``honest_top1`` the cross-fitted
#: value of choosing it, ``n_rules`` and ``chosen``: ``label=count;...``). ``adjust``
#: names the adjustment of ``mcnemar_p_adjusted`` and ``gain_p_adjusted``.
_CSV_COLUMNS = [
    *(c for c in COLUMNS if c != "spec"),
    "oracle_top1",
    "in_sample_top1",
    "honest_top1",
    "honest_top1_std",
    "n_points",
    "adjust",
    "n_splits",
    "top1_std_over_splits",
    "top5_std_over_splits",
    "mean_class_acc_std_over_splits",
    "oracle_top1_std_over_splits",
    "in_sample_top1_std_over_splits",
    "honest_top1_std_over_splits",
    "rule",
    "n_rules",
    "chosen",
]


def _csv_list(items: Sequence[str]) -> str:
    """A list in one CSV cell, joined by ``;`` (which no stream name may hold)."""
    return ";".join(items)


def _csv_weights(names: Sequence[str] | None, w: Sequence[float] | None) -> str:
    """``rgb=1;flow=1.5`` (names and values; ``;`` cannot occur in a name)."""
    if w is None:
        return ""
    if not names or len(names) != len(w):
        return _csv_list([f"{v:.6g}" for v in w])
    return _csv_list([f"{n}={v:.6g}" for n, v in zip(names, w, strict=True)])


def _csv(results: Results) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in results.records:
        row = {k: _csv_cell(r.get(k)) for k in _CSV_COLUMNS}
        for k in ("mcnemar_p", "mcnemar_p_adjusted", "gain_p", "gain_p_adjusted"):
            if r.get(k) is not None:
                row[k] = f"{r[k]:.6g}"  # small p-values keep their digits
        row["streams"] = _csv_list(r["streams"])
        row["weights"] = _csv_weights(r.get("components") or r["streams"], r["weights"])
        if r.get("mcnemar_p") is not None or r.get("gain_p") is not None:
            row["adjust"] = results.options.adjust
        writer.writerow(row)
    for ev_name, b in results.extra.get("best_of_many", {}).items():
        row = {k: "" for k in _CSV_COLUMNS}
        row.update(
            evaluation=ev_name,
            level="best-of-many",
            top1=_csv_cell(b["naive_top1"]),
            honest_top1=_csv_cell(b["honest_top1"]),
            honest_top1_std=_csv_cell(b["honest_top1_std"]),
            rule=b["naive_label"],
            n_rules=b["n_rules"],
            chosen=_csv_list([f"{c['label']}={c['count']}" for c in b["chosen"]]),
        )
        writer.writerow(row)
    for m in results.extra.get("split_means", []):
        row = {k: "" for k in _CSV_COLUMNS}
        row.update(
            evaluation=split_title(m),
            level=m["level"],
            streams=_csv_list(m["streams"]),
            epoch=_csv_cell(m["epoch"]),
            consensus=_csv_cell(m["consensus"]),
            fusion=_csv_cell(m["fusion"]),
            domain=m["domain"],
            weights=_csv_weights(m["streams"], m["weights"]),
            n_splits=m["n_splits"],
        )
        for f in SPLIT_MEAN_FIELDS:
            if f"{f}_mean" in m:
                row[f] = _csv_cell(m[f"{f}_mean"])
                row[f"{f}_std_over_splits"] = _csv_cell(m[f"{f}_std"])
        writer.writerow(row)
    return buf.getvalue()


def _md_row(cells: Sequence[str]) -> str:
    """A Markdown table row; a ``|`` inside a cell is escaped."""
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _plain_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """First column left-aligned, the others right-aligned."""
    return "  ".join(
        c.ljust(w) if j == 0 else c.rjust(w)
        for j, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _extra_sections(
    results: Results, evaluation: str
) -> list[tuple[str, list[str], list[list[str]]]]:
    """Complementarity and importance tables of one evaluation, as display cells."""
    out: list[tuple[str, list[str], list[list[str]]]] = []
    comp = results.extra.get("complementarity", {}).get(evaluation, [])
    if comp:
        hdr = ["pair", "domain", "disagree %", "double fault %", "Q", "corr", "oracle %"]
        body = [
            [
                f"{r['a']} vs {r['b']}",
                r["domain"],
                _pct(r["disagreement"]),
                _pct(r["double_fault"]),
                _num(r["q"]),
                _num(r["correlation"]),
                _pct(r["oracle"]),
            ]
            for r in comp
        ]
        out.append(
            ("Complementarity (mean consensus; oracle = right when any stream is)", hdr, body)
        )
    imp = results.extra.get("importance", {}).get(evaluation, [])
    if imp:
        hdr = ["component", "domain", "alone %", "drop %", "Shapley %", "learned w", "most conf %"]
        body = [
            [
                r["component"],
                r["domain"],
                _pct(r["alone_top1"]),
                _pct(r["drop_top1"]),
                _pct(r["shapley"]),
                _num(r.get("learned_weight")),
                _pct(r["most_confident_rate"]),
            ]
            for r in imp
        ]
        out.append(("Importance (accuracy of mean fusion; Shapley from chance 1/C)", hdr, body))
    return out


def _right(header: str) -> bool:
    """Markdown columns aligned right: the numbers (and ``#``)."""
    return header[0] in "#tmhn" or header.startswith(("gain", "McNemar", "Wilson"))


def _num(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _fmt_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    right = {0, 6, 7, 8, 9, 12, 13}
    return "  ".join(
        c.rjust(w) if j in right else c.ljust(w)
        for j, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6f}"
    return v
