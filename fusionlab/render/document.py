"""The results as one versioned JSON document (``fusionlab/schemas/evaluate.schema.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..evaluate import Results, split_title
from ..evaluate.clusters import GROUP_FIELDS, groups_note
from ..fused import row_labels
from ..jsonio import SCHEMA_VERSION, file_sha256, json_value
from ..weights import named_weights

__all__ = ["TUNED_LEVELS", "to_document"]


def _json_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One accuracy or tuned row as JSON: weights as ``{name: weight}``, ``top1_ci`` a pair."""
    streams, consensus, _ = row_labels(rec)
    r = {k: json_value(v) for k, v in rec.items() if k != "spec"}
    lo, hi = r.pop("top1_ci_low"), r.pop("top1_ci_high")
    r["top1_ci"] = None if lo is None else [lo, hi]
    lo, hi = r.pop("top1_wilson_low", None), r.pop("top1_wilson_high", None)
    r["top1_wilson"] = None if lo is None else [lo, hi]
    if r.get("weights") is not None:
        r["weights"] = named_weights(rec.get("components") or rec["streams"], r["weights"])
    r["label"] = " ".join(p for p in (streams, consensus, r["fusion"] or "") if p)
    return r


def to_document(results: Results) -> dict[str, Any]:
    """The results as one JSON-ready object (schema ``fusionlab/schemas/evaluate.schema.json``).

    Keys: ``schema`` (1), ``meta`` (package version, options, input files
    with SHA-256 checksums, evaluations, notes), ``accuracy`` (untuned rows,
    best first within each evaluation; ``rank`` is the row's place in the
    evaluation's table, tuned rows included), ``tuned`` (grid and learned rows:
    ``top1`` is the oracle value of a grid row, ``oracle_top1``, or the
    in-sample value of a learned row, ``in_sample_top1``; ``honest_top1`` the
    cross-fitted or val-tuned one), ``importance``, ``complementarity``,
    ``split_means`` and ``best_of_many`` (per evaluation: the naive best
    untuned rule and the cross-fitted accuracy of choosing it). Every row
    has ``top1_wilson`` and the comparison with the best single stream
    (``diff_vs_best_single, diff_ci_low, diff_ci_high, mcnemar_p,
    mcnemar_p_adjusted, gain_p, gain_p_adjusted``; null where not compared),
    adjusted by ``meta.adjust``; ``views`` (streams declaring test-time
    views: layout, duplicate and missing views) and ``coverage``
    (``--split-list``: listed, evaluated and missing videos per file).
    Accuracies are fractions in [0, 1]; no NaN (null).
    """
    accuracy: list[dict[str, Any]] = []
    tuned: list[dict[str, Any]] = []
    rank: dict[str, int] = {}
    for rec in results.records:
        rank[rec["evaluation"]] = rank.get(rec["evaluation"], 0) + 1
        row = {"rank": rank[rec["evaluation"]], **_json_row(rec)}
        (tuned if rec["level"] in TUNED_LEVELS else accuracy).append(row)
    extra: dict[str, list[dict[str, Any]]] = {}
    for kind in ("importance", "complementarity"):
        extra[kind] = [
            {"evaluation": ev_name, **{k: json_value(v) for k, v in row.items()}}
            for ev_name, rows in results.extra.get(kind, {}).items()
            for row in rows
        ]
    means = []
    for m in results.extra.get("split_means", []):
        d = {k: json_value(v) for k, v in m.items() if k != "spec"}
        if d["weights"] is not None:
            d["weights"] = named_weights(m["streams"], m["weights"])
        d["title"] = split_title(m)
        means.append(d)
    return {
        "schema": SCHEMA_VERSION,
        "meta": _document_meta(results),
        "accuracy": accuracy,
        "tuned": tuned,
        "importance": extra["importance"],
        "complementarity": extra["complementarity"],
        "split_means": means,
        "best_of_many": [
            {"evaluation": ev_name, **json_value(b)}
            for ev_name, b in results.extra.get("best_of_many", {}).items()
        ],
        **_views_and_coverage(results),
    }


def _views_and_coverage(results: Results) -> dict[str, list[dict[str, Any]]]:
    """``views`` (one row per stream declaring views: layout, duplicates, missing views) and
    ``coverage`` (one row per evaluation run with ``--split-list``: every missing id)."""
    views = [
        {"evaluation": ev_name, **{k: json_value(v) for k, v in rec.items()}}
        for ev_name, recs in results.extra.get("views", {}).items()
        for rec in recs
    ]
    coverage = [
        {"evaluation": ev_name, **{k: json_value(v) for k, v in rec.items()}}
        for ev_name, rec in results.extra.get("coverage", {}).items()
    ]
    return {"views": views, "coverage": coverage}


#: Row levels of tuned (weights chosen on labels) rows.
TUNED_LEVELS = ("grid", "learned")


def _document_meta(results: Results) -> dict[str, Any]:
    from dataclasses import asdict

    from .. import __version__

    opts = asdict(results.options)
    opts["stream_weights"] = [str(w) for w in results.options.stream_weights]
    files = []
    evs = []
    for ev in results.evaluations:
        for (stream, epoch), s in sorted(
            ev.sets.items(), key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1])
        ):
            path = s.path
            files.append(
                {
                    "path": None if path is None else str(path),
                    "sha256": None
                    if path is None or not Path(path).is_file()
                    else file_sha256(path),
                    "evaluation": ev.name,
                    "stream": stream,
                    "epoch": epoch,
                    "kind": s.kind,
                    "n_videos": s.n_videos,
                    "n_segments": s.n_segments,
                    "n_classes": s.n_classes,
                }
            )
        dataset, split, subset = ev.key
        comp = results.extra.get("comparisons", {}).get(ev.name, {})
        evs.append(
            {
                "name": ev.name,
                "dataset": dataset,
                "split": split,
                "subset": subset,
                "n_videos": int((ev.labels >= 0).sum()),
                "n_classes": ev.n_classes,
                "streams": ev.streams,
                "dropped": dict(ev.report.dropped),
                "best_single": comp.get("best_single"),
                "n_mcnemar_tests": comp.get("n_mcnemar", 0),
                "n_gain_tests": comp.get("n_gain", 0),
            }
        )
    return {
        "fusionlab_version": __version__,
        "command": "evaluate",
        "options": json_value(opts),
        "adjust": results.options.adjust,
        "files": files,
        "evaluations": evs,
        "notes": list(results.extra.get("notes", [])),
        **_groups_meta(results),
    }


def _groups_meta(results: Results) -> dict[str, Any]:
    """``{"groups": {evaluation: {spec, n_groups, ...}}}`` with ``--groups``, else ``{}``."""
    groups = results.extra.get("groups")
    if not groups:
        return {}
    return {
        "groups": {
            name: {
                **{k: json_value(info[k]) for k in GROUP_FIELDS},
                "note": groups_note(info),
            }
            for name, info in groups.items()
        }
    }
