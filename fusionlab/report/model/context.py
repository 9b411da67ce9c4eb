"""What the section builders of one evaluation share: its rows, fused scores and metric columns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ... import rules
from ...evaluate import ADJUST_NAMES, Results
from ...fused import FusionSpec, LogProbCache, known_labels
from ...scores import Evaluation
from ..format import CellKind
from .blocks import BoolArray, Column, FloatArray, IntArray

#: Levels of the rows that fuse several streams.
FUSION_LEVELS = ("two-level", "flat")


def row_ci(r: Mapping[str, Any]) -> tuple[float, float] | None:
    lo, hi = r["top1_ci_low"], r["top1_ci_high"]
    return None if math.isnan(lo) else (lo, hi)


def row_wilson(r: Mapping[str, Any]) -> tuple[float, float] | None:
    lo, hi = r.get("top1_wilson_low"), r.get("top1_wilson_high")
    return None if lo is None or hi is None else (lo, hi)


def adjusted_how(ctx: EvalContext) -> str:
    """``Holm-adjusted over 42 comparisons`` (or ``not adjusted (42 comparisons)``)."""
    comp = ctx.results.extra.get("comparisons", {}).get(ctx.ev.name, {})
    n = int(comp.get("n_mcnemar", 0))
    method = str(comp.get("adjust", ctx.opts.adjust))
    many = f"{n} comparison{'s' if n != 1 else ''}"
    if method == "none":
        return f"not adjusted ({many})"
    return f"{ADJUST_NAMES[method]}-adjusted over {many}"


def _class_names(ev: Evaluation) -> list[str]:
    if ev.class_names is not None:
        return [str(c) for c in ev.class_names]
    return [f"class {i}" for i in range(ev.n_classes)]


_METRIC_COLUMNS = [
    Column("top1", "top-1 %", "pct"),
    Column("ci", "top-1 95% CI", "ci"),
    Column("wilson", "Wilson 95% CI", "ci"),
    Column("top5", "top-5 %", "pct"),
    Column("mean_class_acc", "mean-class %", "pct"),
    Column("nll", "NLL", "decimal"),
    Column("ece", "ECE %", "pct"),
]


def metric_columns(confidence: float) -> list[Column]:
    conf = round(100 * confidence)
    names = {"ci": f"top-1 {conf}% CI", "wilson": f"Wilson {conf}% CI"}
    return [Column(c.key, names[c.key], c.kind) if c.key in names else c for c in _METRIC_COLUMNS]


def metric_values(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "top1": r["top1"],
        "ci": row_ci(r),
        "wilson": row_wilson(r),
        "top5": r["top5"],
        "mean_class_acc": r["mean_class_acc"],
        "nll": r["nll"],
        "ece": r["ece"],
    }


def fmt(v: Any, kind: CellKind) -> str:
    from ..format import format_cell

    return format_cell(v, kind)


def best_per_stream(ctx: EvalContext, singles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in ctx.ev.streams:
        mine = [r for r in singles if r["streams"][0] == s]
        if mine:
            out.append(mine[0])
    return out


class EvalContext:
    """What the builders of one evaluation share."""

    def __init__(self, results: Results, ev: Evaluation, prefix: str) -> None:
        self.results = results
        self.opts = results.options
        self.ev = ev
        self.prefix = prefix
        every = results.rows(ev.name)
        # Rows of the table computed from a FusionSpec; tuned rows (grid search, learned
        # fusion: no spec) are shown in their own section.
        self.rows = [r for r in every if r.get("spec") is not None]
        self.tuned = [r for r in every if r.get("spec") is None]
        self.known, self.y = known_labels(ev)
        self.cache = LogProbCache(ev)
        self.n_classes = ev.n_classes
        self.class_names = _class_names(ev)
        self.latest = {(s, ev.epochs(s)[-1]) for s in ev.streams}
        self._fused: dict[FusionSpec, FloatArray] = {}

    def fused(self, spec: FusionSpec) -> FloatArray:
        """Raw fused scores of the known-label videos, (n_known, n_classes)."""
        if spec not in self._fused:
            self._fused[spec] = spec.fused(self.ev, self.cache)[self.known]
        return self._fused[spec]

    def correct(self, spec: FusionSpec) -> BoolArray:
        return np.asarray(np.argmax(self.fused(spec), axis=1) == self.y)

    def predict(self, spec: FusionSpec) -> IntArray:
        return np.asarray(np.argmax(self.fused(spec), axis=1), dtype=np.int64)

    def log_probs(self, spec: FusionSpec) -> FloatArray:
        return rules.to_log_probs(self.fused(spec), spec.output_domain)

    def fig(self, stem: str) -> str:
        return f"{self.prefix}{stem}"
