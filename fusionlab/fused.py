"""How one row's fused scores are computed from an evaluation: specs, a log-probability cache.

A :class:`FusionSpec` names one row of the table (one stream under a
consensus rule, one segment, two-level or flat fusion, fixed weights); its
``fused`` method computes the fused scores (n_videos, n_classes) with the
registry's rules, reading each stream's log-probabilities once through a
:class:`LogProbCache`. The pipeline, diversity, the report and the explorer
all compute rows this way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import metrics, rules
from .errors import UsageError
from .rules import Domain
from .scores import Evaluation
from .views import PROTOCOL_LABELS, view_index
from .weights import format_weights

__all__ = ["FusionSpec", "LogProbCache", "known_labels", "row_label", "row_labels", "row_metrics"]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FusionSpec:
    """How one row's fused scores are computed from an evaluation.

    Attributes
    ----------
    level : {"single", "segment", "two-level", "flat", "views"}
        One stream under a consensus rule; one segment of one stream; consensus
        per stream then fusion across streams; one rule over all components;
        one stream under a view-consensus rule over the views of a test
        protocol (:mod:`fusionlab.views`).
    streams : tuple of (stream, epoch)
    consensus : str or None
        Segment-consensus rule (None for ``segment`` and ``flat``); the
        view-consensus rule of a ``views`` row (None when it uses one view).
    fusion : str or None
        Stream-fusion rule (None for single streams).
    domain : {"prob", "logit", "any"}
    weights : tuple of float or None
        Fixed stream weights of a ``weighted`` fusion.
    segment : int or None
        0-based segment of a ``segment`` row.
    views : tuple of int or None
        Positions on the segment axis of the views a ``views`` row uses.
    protocol : str or None
        Key of the test protocol of a ``views`` row (``one``, ``clips``,
        ``crops``, ``all``; :data:`fusionlab.views.PROTOCOL_LABELS`).
    """

    level: Literal["single", "segment", "two-level", "flat", "views"]
    streams: tuple[tuple[str, int | None], ...]
    consensus: str | None
    fusion: str | None
    domain: Literal["prob", "logit", "any"]
    weights: tuple[float, ...] | None = None
    segment: int | None = None
    views: tuple[int, ...] | None = None
    protocol: str | None = None

    @property
    def compute_domain(self) -> Domain:
        return "prob" if self.domain == "any" else self.domain

    def fused(self, ev: Evaluation, cache: LogProbCache | None = None) -> Array:
        """Raw fused scores of shape (n_videos, n_classes).

        Over all videos of ``ev``, or over the chunk of videos of ``cache``.
        """
        cache = cache or LogProbCache(ev)
        d = self.compute_domain
        if self.level == "flat":
            assert self.fusion is not None  # internal invariant, not input checking
            x, m, p = cache.flat(self.streams)
            return rules.fuse(self.fusion, x, m, domain=d, probs=p)
        xs = [cache.get(k) for k in self.streams]
        ms = [cache.mask(k) for k in self.streams]
        ps = [cache.probs(k) for k in self.streams]  # weights need them in both domains
        if self.level == "segment":
            assert self.segment is not None
            return rules.fuse("mean", xs[0][:, [self.segment], :], domain=d)
        if self.level == "views":
            return self._fused_views(xs[0], ms[0], ps[0], d)
        if self.level == "single":
            assert self.consensus is not None
            return rules.fuse(self.consensus, xs[0], ms[0], domain=d, probs=ps[0])
        assert self.consensus is not None and self.fusion is not None
        params = {} if self.weights is None else {"weights": self.weights}
        return rules.two_level(
            xs,
            ms,
            consensus=self.consensus,
            fusion=self.fusion,
            domain=d,
            fusion_params=params,
            probs=ps,
        )

    def _fused_views(self, x: Array, m: npt.NDArray[np.bool_] | None, p: Array, d: Domain) -> Array:
        """View consensus over the protocol's views (a video missing them all: uniform)."""
        assert self.views is not None
        idx = view_index(self.views, x.shape[1])
        xv = x[:, idx, :]
        if self.consensus is None or xv.shape[1] == 1:
            return rules.fuse("mean", xv, domain=d)
        mv = None if m is None else m[:, idx]
        if mv is not None:
            if mv.all():
                mv = None
            elif not mv.any(axis=1).all():  # no view of the protocol: present() marks it wrong
                mv = mv | ~mv.any(axis=1, keepdims=True)
        return rules.fuse(self.consensus, xv, mv, domain=d, probs=p[:, idx, :])

    def present(self, cache: LogProbCache) -> npt.NDArray[np.bool_] | None:
        """Videos (of the cache's chunk) that have this row's segment; None = all.

        A video without the segment counts as wrong for a ``segment`` row, as
        in :mod:`fusionlab.diversity`; so does a video without any view of a
        ``views`` row's protocol.
        """
        if self.level == "views" and self.views is not None:
            m = cache.mask(self.streams[0])
            if m is None:
                return None
            return np.asarray(m[:, view_index(self.views, m.shape[1])].any(axis=1))
        if self.level != "segment" or self.segment is None:
            return None
        m = cache.mask(self.streams[0])
        return None if m is None else m[:, self.segment]

    @property
    def computes_as(self) -> FusionSpec:
        """The spec of another level computing the same scores, or this one.

        A ``views`` row over every view is the ``single`` row of its rule; one
        over one view is that view's ``segment`` row. The pipeline computes such
        rows once.
        """
        if self.level != "views" or self.views is None:
            return self
        if len(self.views) == 1:
            return FusionSpec("segment", self.streams, None, None, "any", segment=self.views[0])
        if self.protocol == "all" and self.views == tuple(range(len(self.views))):
            return FusionSpec("single", self.streams, self.consensus, None, self.domain)
        return self

    @property
    def output_domain(self) -> Domain:
        """Domain of the raw fused scores (vote always gives probability-like scores)."""
        rule = rules.get_rule(self.fusion or self.consensus or "mean")
        return rule.output_domain(self.compute_domain)

    def log_probs(self, ev: Evaluation, cache: LogProbCache | None = None) -> Array:
        """Fused scores normalised to log-probabilities, (n_videos, n_classes)."""
        return rules.to_log_probs(self.fused(ev, cache), self.output_domain)

    @property
    def streams_label(self) -> str:
        return "+".join(s if e is None else f"{s}@{e}" for s, e in self.streams)

    @property
    def consensus_label(self) -> str:
        if self.level == "segment":
            return f"segment {(self.segment or 0) + 1}"
        if self.level == "views":
            label = PROTOCOL_LABELS.get(self.protocol or "", self.protocol or "views")
            return label if self.consensus is None else f"{label}: {self.consensus}"
        if self.level == "flat":
            return "flat"
        return self.consensus or ""

    @property
    def weights_label(self) -> str:
        """``rgb 1 : flow 1.5`` (each weight after its stream's name)."""
        if self.weights is None:
            return ""
        return format_weights([s for s, _ in self.streams], self.weights, digits=6)


class LogProbCache:
    """Log-probabilities (float64) of each (stream, epoch) of an evaluation, computed once.

    Parameters
    ----------
    ev : Evaluation
    rows : slice, optional
        Restrict to a chunk of videos (the large-evaluation path).
    """

    def __init__(self, ev: Evaluation, rows: slice | None = None) -> None:
        self.ev = ev
        self.rows = slice(None) if rows is None else rows
        self._cache: dict[tuple[str, int | None], Array] = {}
        self._extra: dict[tuple[str, tuple[str, int | None]], Array] = {}
        self._flat: dict[
            tuple[str, tuple[tuple[str, int | None], ...]],
            tuple[Array, npt.NDArray[np.bool_] | None, Array],
        ] = {}

    def get(self, key: tuple[str, int | None]) -> Array:
        """Log-probabilities of shape (n_rows, n_segments, n_classes)."""
        if key not in self._cache:
            lp = self.ev.sets[key].log_probs(rows=self.rows)
            self._cache[key] = np.asarray(lp, dtype=np.float64)
        return self._cache[key]

    def mask(self, key: tuple[str, int | None]) -> npt.NDArray[np.bool_] | None:
        """Segment mask of shape (n_rows, n_segments), or None."""
        return self.ev.sets[key].mask_rows(self.rows)

    def probs(self, key: tuple[str, int | None]) -> Array:
        """``exp`` of :meth:`get`, computed once."""
        pkey = ("exp", key)
        if pkey not in self._extra:
            self._extra[pkey] = np.exp(self.get(key))
        return self._extra[pkey]

    def flat(
        self, keys: tuple[tuple[str, int | None], ...]
    ) -> tuple[Array, npt.NDArray[np.bool_] | None, Array]:
        """All stream x segment components of ``keys``: log-probs, mask and probs."""
        fkey = ("flat", keys)
        if fkey not in self._flat:
            x, m = rules.flat_components([self.get(k) for k in keys], [self.mask(k) for k in keys])
            p = np.concatenate([self.probs(k) for k in keys], axis=1)
            self._flat[fkey] = (x, m, p)
        return self._flat[fkey]


def known_labels(ev: Evaluation) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Mask of the videos with a known label, and those labels."""
    known = ev.labels >= 0
    if not known.any():
        raise UsageError(
            f"evaluation {ev.name}: no video has a known label (all -1); accuracy is not defined"
        )
    return known, ev.labels[known]


def row_labels(r: Mapping[str, Any]) -> tuple[str, str, str]:
    """Display labels (streams, consensus, weights) of a result row."""
    spec: FusionSpec | None = r.get("spec")
    if spec is not None:
        return spec.streams_label, spec.consensus_label, spec.weights_label
    w = r.get("weights")
    names = r.get("components") or r["streams"]
    weights = "" if w is None else format_weights(names, w, digits=3)
    epoch = r.get("epoch")
    streams = "+".join(s if epoch is None else f"{s}@{epoch}" for s in r["streams"])
    return streams, str(r.get("consensus") or ""), weights


def row_metrics(
    fused: Array,
    y: IntArray,
    domain: Domain,
    *,
    bootstrap: int,
    confidence: float,
    seed: int,
    groups: IntArray | None = None,
) -> dict[str, Any]:
    """Top-1, top-5, mean class accuracy, interval, NLL and ECE of fused scores.

    ``fused`` (n_videos, n_classes) in ``domain``; ``y`` (n_videos,) labels.
    Accuracies are fractions; ``correct`` is the top-1 correctness per video.
    ``groups`` (n_videos,) int: resample whole groups of videos for the
    interval (cluster bootstrap, :func:`fusionlab.metrics.bootstrap_counts`).
    """
    c = fused.shape[1]
    correct = metrics.correct_top_k(y, fused, k=1, validate_args=False)
    correct5 = metrics.correct_top_k(y, fused, k=min(5, c), validate_args=False)
    pred = metrics.predict(fused)
    logp = rules.to_log_probs(fused, domain)
    ci: list[float] | None = None
    if bootstrap > 0:
        lo, hi = metrics.bootstrap_ci(
            correct, n_resamples=bootstrap, confidence=confidence, seed=seed, groups=groups
        )
        ci = [float(lo), float(hi)]
    return {
        "top1": float(correct.mean()),
        "top5": float(correct5.mean()),
        "mean_class_acc": metrics.mean_class_accuracy(y, pred, n_classes=c),
        "top1_ci": ci,
        "top1_ci_low": math.nan if ci is None else ci[0],
        "top1_ci_high": math.nan if ci is None else ci[1],
        "nll": metrics.nll(y, logp),
        "ece": metrics.ece(y, logp),
        "correct": correct,
    }


def row_label(r: Mapping[str, Any]) -> str:
    """A short readable label of a results row, e.g. ``rgb+flow mean→mean (logit)``."""
    spec: FusionSpec = r["spec"]
    dom = "" if spec.domain == "any" else f" ({spec.domain})"
    if spec.level == "segment":
        return f"{spec.streams_label} {spec.consensus_label}"
    if spec.level in ("single", "views"):
        return f"{spec.streams_label} {spec.consensus_label}{dom}"
    fusion = spec.fusion or ""
    if spec.weights is not None:
        fusion = f"{fusion} {spec.weights_label}"
    if spec.level == "flat":
        return f"{spec.streams_label} flat {fusion}{dom}"
    return f"{spec.streams_label} {spec.consensus_label}→{fusion}{dom}"
