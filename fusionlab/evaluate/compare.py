"""Every fusion row against the best single stream, with p-values adjusted over the family.

In each evaluation the *best single stream* is the first ``single`` row of the
streams' latest epochs in table order (top-1, then top-5, mean class accuracy,
generation order): the row the report compares the best fusion with. Every
fusion row (two-level, flat, fixed weights) is compared with it on the same
videos: the gain in top-1 (``diff_vs_best_single``), its paired percentile
bootstrap interval (``diff_ci_low``, ``diff_ci_high``) and a two-sided
bootstrap p-value (``gain_p``), all from the resamples of the rows' top-1
intervals (:func:`fusionlab.metrics.paired_bootstrap_test`), and McNemar's
test (``mcnemar_p``, :func:`fusionlab.metrics.mcnemar`, exact below 25
discordant videos). Tuned rows are compared with the same best single stream
through their held-out predictions (first repeat of the cross-fitting, or the
test predictions of weights tuned on val; :func:`compare_tuned`), on the same
resamples.

Both p-values are then adjusted over the family of rows compared in the
evaluation (:func:`fusionlab.metrics.adjust_pvalues`: Holm by default,
Benjamini-Hochberg or none, ``EvaluateOptions.adjust``) into
``mcnemar_p_adjusted`` and ``gain_p_adjusted``; a row without a p-value is no
member of the family. Every accuracy row also gets the Wilson score interval of
its top-1 (``top1_wilson_low``, ``top1_wilson_high``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import metrics
from ..fused import row_label
from ..scores import Evaluation

__all__ = [
    "ADJUST_NAMES",
    "COMPARISON_FIELDS",
    "FUSION_LEVELS",
    "Reference",
    "add_wilson",
    "adjust_family",
    "best_single_index",
    "compare_tuned",
    "compare_with_best_single",
]

#: How each ``EvaluateOptions.adjust`` method is named in the outputs
#: ("Holm-adjusted over 42 comparisons").
ADJUST_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "not"}
#: Levels of the untuned rows that fuse several streams.
FUSION_LEVELS = ("two-level", "flat")
#: Fields every row carries (None where the row is not compared).
COMPARISON_FIELDS = (
    "best_single",
    "diff_vs_best_single",
    "diff_ci_low",
    "diff_ci_high",
    "mcnemar_p",
    "mcnemar_p_adjusted",
    "gain_p",
    "gain_p_adjusted",
)

BoolArray = npt.NDArray[np.bool_]


def best_single_index(rows: Sequence[dict[str, Any]], ev: Evaluation) -> int | None:
    """Index in ``rows`` (best first) of the best single-stream row of the latest epochs."""
    latest = {(s, ev.epochs(s)[-1]) for s in ev.streams}
    for i, r in enumerate(rows):
        spec = r.get("spec")
        if r["level"] == "single" and spec is not None and spec.streams[0] in latest:
            return i
    return None


def add_wilson(rows: Sequence[dict[str, Any]], *, confidence: float) -> None:
    """Set ``top1_wilson_low`` / ``top1_wilson_high`` of every row (k = top-1 x videos)."""
    if not rows:
        return
    n = np.array([r["n_videos"] for r in rows], dtype=np.int64)
    k = np.rint(np.array([r["top1"] for r in rows]) * n).astype(np.int64)
    low, high = metrics.wilson_interval(k, n, confidence=confidence)
    for r, lo, hi in zip(rows, low, high, strict=True):
        r["top1_wilson_low"], r["top1_wilson_high"] = float(lo), float(hi)


def compare_with_best_single(
    rows: Sequence[dict[str, Any]],
    correct: BoolArray,
    best: int | None,
    *,
    counts: npt.NDArray[np.int32] | None,
    confidence: float,
) -> None:
    """Set the comparison fields of untuned rows (generation order, ``correct[i]`` row i's).

    ``best`` indexes the best single row in ``rows``; ``counts`` are the
    bootstrap resamples of the top-1 intervals (None: no interval, no
    ``gain_p``). Rows that are not fusion rows get None fields.
    """
    for r in rows:
        r.update(dict.fromkeys(COMPARISON_FIELDS))
    if best is None:
        return
    idx = [i for i, r in enumerate(rows) if r["level"] in FUSION_LEVELS]
    if not idx:
        return
    ref = correct[best]
    label = row_label(rows[best])
    test = None
    if counts is not None:
        test = metrics.paired_bootstrap_test(
            correct[idx], ref, counts=counts, confidence=confidence, validate_args=False
        )
    for j, i in enumerate(idx):
        r = rows[i]
        r["best_single"] = label
        r["diff_vs_best_single"] = float(correct[i].mean() - ref.mean())
        r["mcnemar_p"] = metrics.mcnemar(correct[i], ref).pvalue
        if test is not None:
            r["diff_ci_low"] = float(test.low[j])
            r["diff_ci_high"] = float(test.high[j])
            r["gain_p"] = float(test.pvalue[j])


@dataclass(frozen=True, eq=False)
class Reference:
    """The best single stream of one evaluation, for comparing rows with it.

    Attributes
    ----------
    correct : ndarray of shape (n_videos,), bool
        Its top-1 correctness on the scored videos (known labels, table order).
    label : str
        Its row label.
    counts : ndarray of shape (n_resamples, n_videos), int, or None
        The bootstrap resamples of the rows' intervals (None: bootstrap off).
    """

    correct: BoolArray
    label: str
    counts: npt.NDArray[np.int32] | None


def compare_tuned(
    rows: Sequence[dict[str, Any]], ref: Reference | None, *, confidence: float
) -> None:
    """Compare tuned rows with the best single stream through their held-out predictions.

    Every row's ``held_out_correct`` (bool, one per scored video, from
    :func:`fusionlab.search.summary_rows`) is removed; where it is there and
    ``ref`` is given, the row's comparison fields are those of its held-out
    predictions against ``ref`` on ``ref.counts``, as :func:`compare_with_best_single`
    sets them for the untuned rows.
    """
    held = [r.pop("held_out_correct", None) for r in rows]
    if ref is None:
        return
    idx = [i for i, h in enumerate(held) if h is not None and h.shape == ref.correct.shape]
    if not idx:
        return
    a = np.stack([held[i] for i in idx]).astype(bool)
    test = None
    if ref.counts is not None:
        test = metrics.paired_bootstrap_test(
            a, ref.correct, counts=ref.counts, confidence=confidence, validate_args=False
        )
    for j, i in enumerate(idx):
        r = rows[i]
        r["best_single"] = ref.label
        r["diff_vs_best_single"] = float(a[j].mean() - ref.correct.mean())
        r["mcnemar_p"] = metrics.mcnemar(a[j], ref.correct).pvalue
        r["diff_ci_low"] = None if test is None else float(test.low[j])
        r["diff_ci_high"] = None if test is None else float(test.high[j])
        r["gain_p"] = None if test is None else float(test.pvalue[j])


def adjust_family(rows: Sequence[dict[str, Any]], *, method: str) -> dict[str, int]:
    """Adjust ``mcnemar_p`` and ``gain_p`` over the rows of one evaluation, in place.

    Returns the size of each family: ``{"mcnemar": m, "gain": g}`` (rows with
    that p-value).
    """
    sizes = {}
    for name in ("mcnemar", "gain"):
        p = np.array([_nan(r.get(f"{name}_p")) for r in rows], dtype=np.float64)
        adj = metrics.adjust_pvalues(p, method=method) if p.size else p
        for r, v in zip(rows, adj, strict=True):
            r[f"{name}_p_adjusted"] = None if math.isnan(v) else float(v)
        sizes[name] = int(np.count_nonzero(~np.isnan(p)))
    return sizes


def _nan(v: Any) -> float:
    return math.nan if v is None else float(v)
