"""The evaluation pipeline: score files -> aligned evaluations -> one results table.

``python -m fusionlab.evaluate scores/*.npz`` (or ``fusionlab evaluate``)
prints, for each evaluation (files sharing dataset, split and subset), one row
per single stream under every segment-consensus rule and per single segment,
and one row per stream-fusion rule: two-level (segment consensus inside each
stream, then fusion across streams), flat (one rule over every stream x
segment component) and fixed stream weights (RGB:flow 1:1, 1:1.5, 2:1, 1:2).
Each row has top-1, top-5, mean class accuracy and a paired bootstrap
interval for top-1; rows are sorted best first (top-1, then top-5, then mean
class accuracy, then the order of generation).

Only videos with a known label (label >= 0) are scored; ``n_videos`` counts
them. Rules whose decisions are the same in both domains (max, min, vote,
single segments) get one row with domain ``"any"``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from . import metrics, rules
from ._io import write_output
from .errors import UsageError
from .jsonio import SCHEMA_VERSION, dumps, file_sha256, json_value
from .rules import Domain
from .scores import Evaluation, ScoreSet, group, load, resolve_paths
from .weights import (
    WeightSpec,
    format_weights,
    named_weights,
    parse_weights,
    resolve_weights,
    weights_arg,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_STREAM_WEIGHTS",
    "EvaluateOptions",
    "FusionSpec",
    "Results",
    "evaluate",
    "evaluate_files",
    "format_results",
]

Array = npt.NDArray[np.float64]
Format = Literal["table", "markdown", "csv", "json"]
#: Fixed RGB:flow weights every table shows for two-stream evaluations, in the
#: documented stream order (:func:`fusionlab.weights.stream_order`: rgb, flow,
#: then the rest alphabetically); every row prints the names with the values.
DEFAULT_STREAM_WEIGHTS: tuple[tuple[float, ...], ...] = ((1, 1), (1, 1.5), (2, 1), (1, 2))
WeightsLike = WeightSpec | str | Mapping[str, float] | Sequence[float]
#: Rules used for segment consensus and stream fusion by default: every
#: registered rule that needs no fixed weights.
DEFAULT_RULES: tuple[str, ...] = tuple(n for n, r in rules.RULES.items() if r.symmetric)


@dataclass(frozen=True)
class EvaluateOptions:
    """What :func:`evaluate` computes.

    Attributes
    ----------
    domains : tuple of {"prob", "logit"}
    consensus : tuple of str
        Segment-consensus rules for the single-stream rows.
    fusion : tuple of str
        Stream-fusion rules (two-level, after mean consensus, and flat).
    stream_weights : tuple of weights
        Fixed stream weights for weighted two-level fusion, each by name
        (``{"rgb": 1, "flow": 1.5}`` or ``"rgb=1,flow=1.5"``) or positional
        (``(1, 1.5)``, in the evaluation's stream order; refused where that
        order could be misread, see :mod:`fusionlab.weights`). Weights given
        here must fit every evaluation's streams; the defaults
        (``DEFAULT_STREAM_WEIGHTS``) apply to two-stream evaluations only.
    bootstrap : int
        Resamples for the top-1 interval (0 = no interval).
    confidence : float
    seed : int
        Seed of the bootstrap resamples (all rows share them: paired).
    allow_partial : bool
        Keep only the videos common to all files of an evaluation.
    tuned : {"auto", "always", "never"}
        Add tuned rows (grid search over stream and over stream x segment
        weights, learned-linear and temperature fusion; see
        :func:`fusionlab.search.summary_rows`) and per-segment importance
        (``Results.extra["importance"]``). Each tuned row carries the oracle
        value (tuned on the same videos) and the honest, cross-fitted one.
        ``"auto"`` skips them for evaluations above ``TUNED_MAX_ELEMENTS``
        (videos x segments x classes per stream), whose table is computed in
        chunks; use ``fusionlab grid`` there.
    grid_step, folds, repeats, max_components, learned
        Settings of the tuned rows: simplex step, cross-fitting folds and
        repeats, the largest number of components searched, and whether to
        fit learned combiners.
    """

    domains: tuple[Domain, ...] = ("prob", "logit")
    consensus: tuple[str, ...] = DEFAULT_RULES
    fusion: tuple[str, ...] = DEFAULT_RULES
    stream_weights: tuple[WeightsLike, ...] = DEFAULT_STREAM_WEIGHTS
    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    allow_partial: bool = False
    tuned: Literal["auto", "always", "never"] = "auto"
    grid_step: float = 0.1
    folds: int = 5
    repeats: int = 3
    max_components: int = 6
    learned: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "stream_weights", tuple(weights_arg(w) for w in self.stream_weights)
        )
        for d in self.domains:
            if d not in rules.DOMAINS:
                raise UsageError(f"unknown domain {d!r} (expected prob or logit)")
        for name in (*self.consensus, *self.fusion):
            rules.get_rule(name)
        if self.bootstrap < 0:
            raise UsageError(f"--bootstrap must be >= 0, got {self.bootstrap}")
        if not 0 < self.confidence < 1:
            raise UsageError(f"confidence must lie in (0, 1), got {self.confidence}")
        if self.tuned not in ("auto", "always", "never"):
            raise UsageError(f"tuned must be auto, always or never, got {self.tuned!r}")
        if not 0 <= self.seed < 2**32:
            raise UsageError(f"seed must be in [0, 2**32), got {self.seed}")
        if self.folds < 2 or self.repeats < 1:
            raise UsageError(f"need folds >= 2 and repeats >= 1, got {self.folds}, {self.repeats}")

    @property
    def default_weights(self) -> bool:
        """True when ``stream_weights`` are the built-in RGB:flow defaults."""
        return self.stream_weights == tuple(weights_arg(w) for w in DEFAULT_STREAM_WEIGHTS)

    def weights_for(self, ev: Evaluation) -> list[tuple[float, ...]]:
        """The fixed stream weights of ``ev``'s weighted rows, in ``ev.streams`` order.

        Raises
        ------
        UsageError
            Weights given by the user do not fit ``ev``'s streams (see
            :func:`fusionlab.weights.resolve_weights`).
        """
        names = ev.streams
        if self.default_weights:
            if len(names) != 2:
                return []
            return [cast(WeightSpec, w).values for w in self.stream_weights]
        where = f"evaluation {ev.name}"
        return [resolve_weights(w, names, where=where) for w in self.stream_weights]


@dataclass(frozen=True)
class FusionSpec:
    """How one row's fused scores are computed from an evaluation.

    Attributes
    ----------
    level : {"single", "segment", "two-level", "flat"}
        One stream under a consensus rule; one segment of one stream; consensus
        per stream then fusion across streams; one rule over all components.
    streams : tuple of (stream, epoch)
    consensus : str or None
        Segment-consensus rule (None for ``segment`` and ``flat``).
    fusion : str or None
        Stream-fusion rule (None for single streams).
    domain : {"prob", "logit", "any"}
    weights : tuple of float or None
        Fixed stream weights of a ``weighted`` fusion.
    segment : int or None
        0-based segment of a ``segment`` row.
    """

    level: Literal["single", "segment", "two-level", "flat"]
    streams: tuple[tuple[str, int | None], ...]
    consensus: str | None
    fusion: str | None
    domain: Literal["prob", "logit", "any"]
    weights: tuple[float, ...] | None = None
    segment: int | None = None

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

    def present(self, cache: LogProbCache) -> npt.NDArray[np.bool_] | None:
        """Videos (of the cache's chunk) that have this row's segment; None = all.

        A video without the segment counts as wrong for a ``segment`` row, as
        in :mod:`fusionlab.diversity`.
        """
        if self.level != "segment" or self.segment is None:
            return None
        m = cache.mask(self.streams[0])
        return None if m is None else m[:, self.segment]

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


@dataclass
class Results:
    """Everything :func:`evaluate` computed.

    Attributes
    ----------
    evaluations : list of Evaluation
    records : list of dict
        One dict per row, best first within each evaluation; accuracies as
        fractions in [0, 1]. Keys: ``evaluation, level, streams, epoch,
        consensus, fusion, domain, weights, top1, top5, mean_class_acc,
        top1_ci_low, top1_ci_high, nll, ece, n_videos, spec`` (``spec`` is the
        :class:`FusionSpec` of the row).
    options : EvaluateOptions
    extra : dict
        Results of later stages keyed by name (grid search, importance, ...).
    """

    evaluations: list[Evaluation]
    records: list[dict[str, Any]]
    options: EvaluateOptions
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The records as a DataFrame (object columns keep None as None)."""
        import pandas as pd

        return (
            pd.DataFrame(
                {c: pd.Series([r[c] for r in self.records], dtype=object) for c in _COLUMNS}
            ).infer_objects()
            if self.records
            else pd.DataFrame(columns=_COLUMNS)
        )

    def rows(self, evaluation: str | None = None) -> list[dict[str, Any]]:
        """The records of one evaluation (all when None), best first."""
        return [r for r in self.records if evaluation is None or r["evaluation"] == evaluation]


# --------------------------------------------------------------------------- specs


def build_specs(ev: Evaluation, opts: EvaluateOptions) -> list[FusionSpec]:
    """Every row of the default table for ``ev``, in generation order."""

    def domains_for(rule: str) -> list[Literal["prob", "logit", "any"]]:
        if rules.RULES[rule].domain_invariant:
            return ["any"]
        return list(opts.domains)

    specs: list[FusionSpec] = []
    for stream in ev.streams:
        epochs = ev.epochs(stream)
        for epoch in epochs:
            key = ((stream, epoch),)
            latest = epoch == epochs[-1]
            n_seg = ev.sets[(stream, epoch)].n_segments
            names = opts.consensus if (latest and n_seg > 1) else ("mean",)
            for c in names:
                for d in domains_for(c):
                    specs.append(FusionSpec("single", key, c, None, d))
            if latest and n_seg > 1:
                for j in range(n_seg):
                    specs.append(FusionSpec("segment", key, None, None, "any", segment=j))
    if len(ev.streams) < 2:
        return specs
    keys = tuple((s, ev.epochs(s)[-1]) for s in ev.streams)
    for f in opts.fusion:
        for d in domains_for(f):
            specs.append(FusionSpec("two-level", keys, "mean", f, d))
    for f in opts.fusion:
        for d in domains_for(f):
            specs.append(FusionSpec("flat", keys, None, f, d))
    for w in opts.weights_for(ev):
        for d in opts.domains:
            specs.append(FusionSpec("two-level", keys, "mean", "weighted", d, tuple(w)))
    return specs


# --------------------------------------------------------------------------- evaluate


def evaluate(
    evaluations: Sequence[Evaluation],
    *,
    options: EvaluateOptions | None = None,
    progress: bool = True,
) -> Results:
    """Compute the default table for already grouped and aligned evaluations.

    Parameters
    ----------
    evaluations : sequence of Evaluation
        From :func:`fusionlab.scores.group`.
    options : EvaluateOptions, optional
    progress : bool, default True
        Show a progress bar on stderr once work has run for two seconds.

    Returns
    -------
    Results
    """
    from tqdm.auto import tqdm

    opts = options or EvaluateOptions()
    for ev in evaluations:
        opts.weights_for(ev)  # user weights that do not fit: fail before any work
    all_specs = [(ev, build_specs(ev, opts)) for ev in evaluations]
    total = sum(len(s) for _, s in all_specs)
    records: list[dict[str, Any]] = []
    with tqdm(
        total=total, delay=2.0, disable=not progress, file=sys.stderr, unit="row", leave=False
    ) as bar:
        extra: dict[str, Any] = {}
        vals = val_partners(evaluations)
        for ev, specs in all_specs:
            rows, pairs = _evaluate_one(ev, specs, opts, bar.update)
            if pairs:
                extra.setdefault("complementarity", {})[ev.name] = pairs
            if _wants_tuned(ev, opts):
                val = vals.get(id(ev))
                n_known = int((ev.labels >= 0).sum())
                if val is None and n_known < 2 * opts.folds:
                    extra.setdefault("notes", []).append(
                        f"{ev.name}: no tuned rows: {n_known} videos with a label are too few "
                        f"to cross-fit with {opts.folds} folds"
                    )
                    records.extend(rows)
                    continue
                tuned, importance = _tuned_rows(ev, opts, val=val)
                rows = _sorted_rows(rows + tuned)
                extra.setdefault("importance", {})[ev.name] = importance
            records.extend(rows)
    results = Results(evaluations=list(evaluations), records=records, options=opts, extra=extra)
    means = split_means(results)
    if means:
        extra["split_means"] = means
    return results


# --------------------------------------------------------------------------- split means

#: Accuracy fields averaged over splits (those a row has).
SPLIT_MEAN_FIELDS: tuple[str, ...] = (
    "top1",
    "top5",
    "mean_class_acc",
    "oracle_top1",
    "in_sample_top1",
    "honest_top1",
)


def _split_sort_key(split: str) -> tuple[int, int | str]:
    return (0, int(split)) if split.isdigit() else (1, split)


def split_groups(evaluations: Sequence[Evaluation]) -> list[list[Evaluation]]:
    """Evaluations of one dataset and subset over two or more splits, in split order.

    Only evaluations whose meta names a dataset and a split take part: means
    are never taken across datasets or subsets (``test`` and ``val`` apart),
    nor over files that do not say which dataset they are.
    """
    buckets: dict[tuple[str, str | None], list[Evaluation]] = {}
    for ev in evaluations:
        dataset, split, subset = ev.key
        if dataset is None or split is None:
            continue
        buckets.setdefault((dataset, subset), []).append(ev)
    out = []
    for members in buckets.values():
        members = sorted(members, key=lambda e: _split_sort_key(str(e.key[1])))
        if len(members) >= 2:
            out.append(members)
    return out


def _match_key(r: Mapping[str, Any], ev: Evaluation) -> tuple[Any, ...]:
    """What a row is, independent of the split: rule, streams, weights, domain.

    Untuned rows match by their exact fixed weights; tuned rows (weights
    chosen per split) by what was searched. Rows of each stream's latest epoch
    match whatever that epoch's number; learning-curve rows match by epoch.
    """
    spec: FusionSpec | None = r.get("spec")
    if spec is not None:
        latest = all(e == ev.epochs(s)[-1] for s, e in spec.streams)
        epochs = "latest" if latest else tuple(e for _, e in spec.streams)
        return (
            spec.level,
            tuple(s for s, _ in spec.streams),
            spec.consensus_label,
            spec.fusion,
            spec.domain,
            spec.weights,
            epochs,
        )
    return (
        r["level"],
        tuple(r["streams"]),
        r.get("over"),
        r.get("consensus"),
        r.get("fusion"),
        r["domain"],
        tuple(r.get("components") or ()),
        "latest",
    )


def split_means(results: Results) -> list[dict[str, Any]]:
    """Mean and standard deviation over splits of every row present in all splits.

    For each :func:`split_groups` group (one dataset and subset, two or more
    splits), rows are matched across splits by :func:`_match_key` (never by
    position); a row missing from any split of the group is left out. The
    standard deviation is the sample one (``ddof=1``), as papers report
    "mean ± std over the 3 splits".

    Returns
    -------
    list of dict
        One per (group, row), best first within a group (mean honest top-1
        for tuned rows, else mean top-1). Keys: ``dataset, subset, splits,
        n_splits, evaluations, level, streams, epoch, consensus, fusion,
        domain, weights, components, over, label`` and, for each of
        :data:`SPLIT_MEAN_FIELDS` the row has, ``{field}_mean``,
        ``{field}_std`` and ``{field}_per_split`` (fractions, split order).
    """
    out: list[dict[str, Any]] = []
    for members in split_groups(results.evaluations):
        keyed: list[dict[tuple[Any, ...], dict[str, Any]]] = []
        for ev in members:
            rows: dict[tuple[Any, ...], dict[str, Any]] = {}
            for r in results.rows(ev.name):
                rows.setdefault(_match_key(r, ev), r)
            keyed.append(rows)
        group_rows: list[dict[str, Any]] = []
        for key, first in keyed[0].items():
            if not all(key in k for k in keyed[1:]):
                continue
            per = [k[key] for k in keyed]
            epochs = {p.get("epoch") for p in per}
            _, consensus, _ = row_labels(first)
            streams = "+".join(first["streams"])
            rec: dict[str, Any] = {
                "dataset": members[0].key[0],
                "subset": members[0].key[2],
                "splits": [str(ev.key[1]) for ev in members],
                "n_splits": len(members),
                "evaluations": [ev.name for ev in members],
                "level": first["level"],
                "streams": list(first["streams"]),
                "epoch": epochs.pop() if len(epochs) == 1 else None,
                "consensus": first.get("consensus"),
                "fusion": first.get("fusion"),
                "domain": first["domain"],
                "weights": first["weights"] if first.get("spec") is not None else None,
                "components": first.get("components"),
                "over": first.get("over"),
                "label": " ".join(p for p in (streams, consensus, first.get("fusion") or "") if p),
                "spec": first.get("spec"),
            }
            for f in SPLIT_MEAN_FIELDS:
                vals = [p.get(f) for p in per]
                if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
                    continue
                arr = np.asarray(vals, dtype=np.float64)
                rec[f"{f}_mean"] = float(arr.mean())
                rec[f"{f}_std"] = float(arr.std(ddof=1))
                rec[f"{f}_per_split"] = [float(v) for v in arr]
            group_rows.append(rec)
        order = sorted(
            range(len(group_rows)),
            key=lambda i: (
                -group_rows[i].get("honest_top1_mean", group_rows[i]["top1_mean"]),
                -group_rows[i]["top5_mean"],
                i,
            ),
        )
        out.extend(group_rows[i] for i in order)
    return out


#: ``tuned="auto"`` computes tuned rows only up to this many elements (videos x
#: segments x classes) per stream; the search holds its components in memory.
TUNED_MAX_ELEMENTS = 20_000_000


def _wants_tuned(ev: Evaluation, opts: EvaluateOptions) -> bool:
    if opts.tuned == "never":
        return False
    if opts.tuned == "always":
        return True
    size = max(s.n_videos * s.n_segments * s.n_classes for s in ev.sets.values())
    return size <= TUNED_MAX_ELEMENTS


def val_partners(evaluations: Sequence[Evaluation]) -> dict[int, Evaluation]:
    """For each ``test`` evaluation, the ``val`` evaluation of the same dataset and split.

    Keyed by ``id(test_evaluation)``; only pairs with the same streams. Tuned rows
    of a test evaluation are then tuned on its val partner and scored on test.
    """
    by_key = {ev.key: ev for ev in evaluations}
    out: dict[int, Evaluation] = {}
    for ev in evaluations:
        dataset, split, subset = ev.key
        if subset != "test":
            continue
        partner = by_key.get((dataset, split, "val"))
        if partner is not None and partner.streams == ev.streams:
            out[id(ev)] = partner
    return out


def _tuned_rows(
    ev: Evaluation, opts: EvaluateOptions, *, val: Evaluation | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Grid, learned rows and importance of ``ev`` (see :func:`fusionlab.search.summary_rows`).

    Learned combiners are fitted once: learned-linear weights act on
    log-probabilities, so they are fitted on the logit-domain components (mean
    consensus of log-probabilities) and labelled logit; temperature fusion is a
    probability-domain rule. Rows of a domain not asked for are dropped.
    """
    from . import importance, search

    rows: list[dict[str, Any]] = []
    imp: list[dict[str, Any]] = []
    learned_domain = "logit" if "logit" in opts.domains else opts.domains[0]
    for d in opts.domains:
        rows += search.summary_rows(
            ev,
            domain=d,
            max_components=opts.max_components,
            folds=opts.folds,
            repeats=opts.repeats,
            seed=opts.seed,
            step=opts.grid_step,
            learned=opts.learned and d == learned_domain,
            bootstrap=opts.bootstrap,
            confidence=opts.confidence,
            val=val,
        )
        imp += importance.summary(
            ev, domain=d, max_components=opts.max_components, learned=opts.learned
        )
    rows = [r for r in rows if r["domain"] in opts.domains]
    latest = {ev.epochs(s)[-1] for s in ev.streams}
    for r in rows:
        # the search uses each stream's latest epoch
        r["epoch"] = next(iter(latest)) if len(latest) == 1 else None
        r.setdefault("top1_ci_low", math.nan)
        r.setdefault("top1_ci_high", math.nan)
        if r["top1_ci_low"] is None:
            r["top1_ci_low"] = r["top1_ci_high"] = math.nan
    return rows, imp


def _sort_key(r: dict[str, Any]) -> float:
    """Untuned rows by top-1; tuned rows by their honest (cross-fitted) top-1."""
    honest = r.get("honest_top1")
    return float(r["top1"] if honest is None else honest)


def _sorted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = sorted(
        range(len(rows)),
        key=lambda i: (-_sort_key(rows[i]), -rows[i]["top5"], -rows[i]["mean_class_acc"], i),
    )
    return [rows[i] for i in order]


_COLUMNS = [
    "evaluation",
    "level",
    "streams",
    "epoch",
    "consensus",
    "fusion",
    "domain",
    "weights",
    "top1",
    "top5",
    "mean_class_acc",
    "top1_ci_low",
    "top1_ci_high",
    "nll",
    "ece",
    "n_videos",
    "spec",
]


def known_labels(ev: Evaluation) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Mask of the videos with a known label, and those labels."""
    known = ev.labels >= 0
    if not known.any():
        raise UsageError(
            f"evaluation {ev.name}: no video has a known label (all -1); accuracy is not defined"
        )
    return known, ev.labels[known]


#: Elements (videos x segments x classes) of one stream's log-probabilities per
#: chunk. Every rule of the table runs on one chunk while it is still in the
#: processor's cache; measured on a 2-core machine, chunks of about 250k
#: elements ran twice as fast as chunks of 8M, and 30k-element chunks lose to
#: per-call overhead. Memory stays flat whatever the number of videos.
CHUNK_ELEMENTS = 250_000


def _chunks(ev: Evaluation, n_rows: int) -> list[slice]:
    per_video = max(s.n_segments * s.n_classes for s in ev.sets.values())
    step = max(1, CHUNK_ELEMENTS // per_video)
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _evaluate_one(
    ev: Evaluation,
    specs: Sequence[FusionSpec],
    opts: EvaluateOptions,
    advance: Callable[[float], Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    known, _ = known_labels(ev)
    if not known.all():  # score only the videos with a known label
        ev = _restrict(ev, np.flatnonzero(known))
    y = ev.labels
    n, c, r = y.size, ev.n_classes, len(specs)
    k5 = min(5, c)
    correct = np.zeros((r, n), dtype=bool)
    correct5 = np.zeros((r, n), dtype=bool)
    pred = np.zeros((r, n), dtype=np.int64)
    true_logp = np.zeros((r, n))
    conf = np.zeros((r, n))
    chunks = _chunks(ev, n)
    for sl in chunks:
        cache = LogProbCache(ev, sl)
        yc = y[sl]
        for i, spec in enumerate(specs):
            fused = spec.fused(ev, cache)
            c1 = metrics.correct_top_k(yc, fused, k=1, validate_args=False)
            c5 = metrics.correct_top_k(yc, fused, k=k5, validate_args=False)
            pr = metrics.predict(fused)
            present = spec.present(cache)
            if present is not None:  # a missing segment counts as a wrong prediction
                c1 &= present
                c5 &= present
                pr = np.where(present, pr, (yc + 1) % c)
            correct[i, sl], correct5[i, sl], pred[i, sl] = c1, c5, pr
            logp = rules.to_log_probs(fused, spec.output_domain)
            true_logp[i, sl] = logp[np.arange(yc.size), yc]
            conf[i, sl] = np.exp(logp.max(axis=1))
        advance(r / len(chunks))
    rows: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        epochs = {e for _, e in spec.streams}
        # ECE uses the decision of the normalised scores, as metrics.ece does.
        bins = metrics.reliability_from_confidence(conf[i], correct[i], n_bins=15)
        rows.append(
            {
                "evaluation": ev.name,
                "level": spec.level,
                "streams": [s for s, _ in spec.streams],
                "epoch": next(iter(epochs)) if len(epochs) == 1 else None,
                "consensus": spec.consensus_label,
                "fusion": spec.fusion,
                "domain": spec.domain,
                "weights": None if spec.weights is None else list(spec.weights),
                "top1": float(correct[i].mean()),
                "top5": float(correct5[i].mean()),
                "mean_class_acc": metrics.mean_class_accuracy(y, pred[i], n_classes=c),
                "top1_ci_low": math.nan,
                "top1_ci_high": math.nan,
                "nll": float(-true_logp[i].mean()),
                "ece": metrics.ece_from_bins(bins),
                "n_videos": int(n),
                "spec": spec,
            }
        )
    pairs = _pairs(ev, specs, correct, opts)
    if opts.bootstrap > 0 and specs:
        ci = metrics.bootstrap_ci(
            correct,
            n_resamples=opts.bootstrap,
            confidence=opts.confidence,
            seed=opts.seed,
            validate_args=False,
        )
        for row, (lo, hi) in zip(rows, ci, strict=True):
            row["top1_ci_low"], row["top1_ci_high"] = float(lo), float(hi)
    return _sorted_rows(rows), pairs


def _pairs(
    ev: Evaluation,
    specs: Sequence[FusionSpec],
    correct: npt.NDArray[np.bool_],
    opts: EvaluateOptions,
) -> list[dict[str, Any]]:
    """Complementarity of every pair of streams (latest epoch, mean consensus), per domain."""
    from .diversity import pair_stats

    out: list[dict[str, Any]] = []
    if len(ev.streams) < 2:
        return out
    latest = {(s, ev.epochs(s)[-1]) for s in ev.streams}
    for d in opts.domains:
        idx = [
            i
            for i, sp in enumerate(specs)
            if sp.level == "single"
            and sp.consensus == "mean"
            and sp.domain == d
            and sp.streams[0] in latest
        ]
        for a_pos, i in enumerate(idx):
            for j in idx[a_pos + 1 :]:
                st = pair_stats(correct[i], correct[j])
                out.append(
                    {
                        "domain": d,
                        "a": specs[i].streams[0][0],
                        "b": specs[j].streams[0][0],
                        "n_videos": st.n,
                        "n11": st.n11,
                        "n10": st.n10,
                        "n01": st.n01,
                        "n00": st.n00,
                        "acc_a": st.acc_a,
                        "acc_b": st.acc_b,
                        "disagreement": st.disagreement,
                        "double_fault": st.double_fault,
                        "q": st.q,
                        "correlation": st.correlation,
                        "oracle": st.oracle,
                    }
                )
    return out


def _restrict(ev: Evaluation, index: npt.NDArray[np.intp]) -> Evaluation:
    """The same evaluation restricted to the videos ``index`` (same name and key)."""
    return Evaluation(
        key=ev.key,
        sets={k: s.take(index) for k, s in ev.sets.items()},
        labels=ev.labels[index],
        video_ids=ev.video_ids[index],
        class_names=ev.class_names,
        report=ev.report,
    )


def load_evaluations(
    patterns: Sequence[str], *, allow_partial: bool = False
) -> tuple[list[ScoreSet], list[Evaluation]]:
    """Resolve globs, load every file, group and align them."""
    paths = resolve_paths(patterns)
    if not paths:
        raise UsageError("no score files given")
    sets = [load(p) for p in paths]
    return sets, group(sets, allow_partial=allow_partial)


def evaluate_files(
    patterns: Sequence[str],
    *,
    options: EvaluateOptions | None = None,
    progress: bool = True,
) -> Results:
    """Load, group, align and evaluate score files (globs allowed).

    Examples
    --------
    >>> import glob
    >>> res = evaluate_files(sorted(glob.glob("scores/*.npz")), progress=False)  # doctest: +SKIP
    >>> res.table[["streams", "consensus", "fusion", "top1"]].head()  # doctest: +SKIP
    """
    opts = options or EvaluateOptions()
    _, evs = load_evaluations(patterns, allow_partial=opts.allow_partial)
    return evaluate(evs, options=opts, progress=progress)


# --------------------------------------------------------------------------- formatting


def _pct(v: float) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}"


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


def _honest(r: dict[str, Any]) -> str:
    h = r.get("honest_top1")
    if h is None:
        return ""
    sd = r.get("honest_top1_std")
    return _pct(h) if sd is None or sd == 0 else f"{_pct(h)}±{100 * sd:.2f}"


def _display_rows(results: Results, evaluation: str) -> list[list[str]]:
    out = []
    for i, r in enumerate(results.rows(evaluation), start=1):
        streams, consensus, weights = row_labels(r)
        lo, hi = r["top1_ci_low"], r["top1_ci_high"]
        ci = "" if math.isnan(lo) else f"[{_pct(lo)}, {_pct(hi)}]"
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
                ci,
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
    sections = [
        (
            ev.name,
            describe(ev),
            headers,
            _display_rows(results, ev.name),
            _extra_sections(results, ev.name),
        )
        for ev in results.evaluations
    ]
    for title, desc, hdr, body in _split_sections(results):
        sections.append((title, desc, hdr, body, []))
    for name, desc, hdr, rows, extra in sections:
        if fmt == "markdown":
            lines = [f"### {name}", "", desc, ""]
            lines.append("| " + " | ".join(hdr) + " |")
            lines.append("|" + "|".join("---:" if h[0] in "#tmhn" else "---" for h in hdr) + "|")
            lines.extend(_md_row(r) for r in rows)
            for title, h2, body in extra:
                lines += ["", f"**{title}**", "", "| " + " | ".join(h2) + " |"]
                lines.append(
                    "|" + "|".join("---" if j == 0 else "---:" for j in range(len(h2))) + "|"
                )
                lines.extend(_md_row(r) for r in body)
            chunks.append("\n".join(lines) + "\n")
        else:
            widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(hdr)]
            lines = [desc, _fmt_row(hdr, widths), _fmt_row(["-" * w for w in widths], widths)]
            lines.extend(_fmt_row(r, widths) for r in rows)
            for title, h2, body in extra:
                w2 = [max(len(h), *(len(r[j]) for r in body)) for j, h in enumerate(h2)]
                lines += ["", title]
                lines += [_plain_row(h2, w2), _plain_row(["-" * w for w in w2], w2)]
                lines.extend(_plain_row(r, w2) for r in body)
            chunks.append("\n".join(lines) + "\n")
    return "\n".join(chunks)


def split_title(m: Mapping[str, Any]) -> str:
    """``hmdb51/test: mean over splits 1, 2, 3`` for a :func:`split_means` row."""
    where = m["dataset"] if m["subset"] is None else f"{m['dataset']}/{m['subset']}"
    return f"{where}: mean over splits {', '.join(m['splits'])}"


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


#: CSV columns: the table's, the tuned rows', and the split-mean ones.
_CSV_COLUMNS = [
    *(c for c in _COLUMNS if c != "spec"),
    "oracle_top1",
    "in_sample_top1",
    "honest_top1",
    "honest_top1_std",
    "n_points",
    "n_splits",
    "top1_std_over_splits",
    "top5_std_over_splits",
    "mean_class_acc_std_over_splits",
    "oracle_top1_std_over_splits",
    "in_sample_top1_std_over_splits",
    "honest_top1_std_over_splits",
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
        row["streams"] = _csv_list(r["streams"])
        row["weights"] = _csv_weights(r.get("components") or r["streams"], r["weights"])
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


def _num(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _fmt_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    right = {0, 6, 7, 8, 9}
    return "  ".join(
        c.rjust(w) if j in right else c.ljust(w)
        for j, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _json_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One accuracy or tuned row as JSON: weights as ``{name: weight}``, ``top1_ci`` a pair."""
    streams, consensus, _ = row_labels(rec)
    r = {k: json_value(v) for k, v in rec.items() if k != "spec"}
    lo, hi = r.pop("top1_ci_low"), r.pop("top1_ci_high")
    r["top1_ci"] = None if lo is None else [lo, hi]
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
    cross-fitted or val-tuned one), ``importance``, ``complementarity`` and
    ``split_means``. Accuracies are fractions in [0, 1]; no NaN (null).
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
    }


#: Row levels of tuned (weights chosen on labels) rows.
TUNED_LEVELS = ("grid", "learned")


def _document_meta(results: Results) -> dict[str, Any]:
    from dataclasses import asdict

    from . import __version__

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
            }
        )
    return {
        "fusionlab_version": __version__,
        "command": "evaluate",
        "options": json_value(opts),
        "files": files,
        "evaluations": evs,
        "notes": list(results.extra.get("notes", [])),
    }


def _csv_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6f}"
    return v


# --------------------------------------------------------------------------- command line


def _rule_list(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for n in names:
        if n not in DEFAULT_RULES:
            raise argparse.ArgumentTypeError(
                f"unknown rule {n!r} (known: {', '.join(DEFAULT_RULES)})"
            )
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab evaluate``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="score files (.npz); globs ok")
    parser.add_argument(
        "--domain", choices=["prob", "logit", "both"], default="both", help="fusion domain"
    )
    parser.add_argument(
        "--format", choices=["table", "markdown", "csv", "json"], default="table", dest="fmt"
    )
    parser.add_argument("--output", "-o", default="-", help="output file ('-' = stdout)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (0=off)")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resamples")
    parser.add_argument(
        "--consensus", type=_rule_list, default=DEFAULT_RULES, help="comma-separated rules"
    )
    parser.add_argument(
        "--fusion", type=_rule_list, default=DEFAULT_RULES, help="comma-separated rules"
    )
    parser.add_argument(
        "--weights",
        action="append",
        help="fixed stream weights by name, like rgb=1,flow=1.5 (repeatable; replaces the "
        "defaults rgb 1:1, 1:1.5, 2:1, 1:2); positional 1:1.5 follows the stream order rgb, "
        "flow, then the rest alphabetically, and is refused where it could be misread",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="keep only the videos common to all files instead of failing",
    )
    parser.add_argument(
        "--tuned",
        choices=["auto", "always", "never"],
        default="auto",
        help="grid-search and learned rows with oracle and honest accuracy (auto: skipped "
        f"above {TUNED_MAX_ELEMENTS} videos x segments x classes per stream)",
    )
    parser.add_argument(
        "--step", type=float, default=0.1, help="grid step of the tuned rows (fusionlab grid: 0.05)"
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds")
    parser.add_argument("--repeats", type=int, default=3, help="cross-fitting repeats")
    parser.add_argument(
        "--max-components", type=int, default=6, help="largest weight search in the table"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or notes")
    from .report import add_report_argument

    add_report_argument(parser)


def options_from_args(args: argparse.Namespace) -> EvaluateOptions:
    domains: tuple[Domain, ...] = ("prob", "logit") if args.domain == "both" else (args.domain,)
    return EvaluateOptions(
        domains=domains,
        consensus=tuple(args.consensus),
        fusion=tuple(args.fusion),
        stream_weights=tuple(parse_weights(w) for w in args.weights)
        if args.weights
        else DEFAULT_STREAM_WEIGHTS,
        bootstrap=args.bootstrap,
        confidence=args.confidence,
        seed=args.seed,
        allow_partial=args.allow_partial,
        tuned=args.tuned,
        grid_step=args.step,
        folds=args.folds,
        repeats=args.repeats,
        max_components=args.max_components,
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab evaluate``; returns the exit status."""
    report_dir = getattr(args, "report", None)
    if report_dir is not None:
        from .report import check_out_dir

        check_out_dir(report_dir)  # a bad DIR fails before any work: exit 2, nothing written
    opts = options_from_args(args)
    results = evaluate_files(args.files, options=opts, progress=not args.quiet)
    if not args.quiet:
        for note in results.extra.get("notes", []):
            print(f"note: {note}", file=sys.stderr)
        if len(results.evaluations) > 1:
            print(
                f"note: {len(results.evaluations)} evaluations (files are grouped by the "
                "dataset, split and subset in their meta): "
                + "; ".join(
                    f"{ev.name} ({len(ev.sets)} file{'s' if len(ev.sets) > 1 else ''})"
                    for ev in results.evaluations
                ),
                file=sys.stderr,
            )
        for ev in results.evaluations:
            if ev.report.n_dropped:
                print(
                    f"note: {ev.name}: kept {ev.report.n_common} common videos; dropped "
                    + ", ".join(f"{n} from {p}" for p, n in ev.report.dropped.items() if n),
                    file=sys.stderr,
                )
    write_output(args.output, format_results(results, args.fmt))
    if report_dir is not None:
        from .report import write_report

        path = write_report(results, report_dir, progress=not args.quiet)
        if not args.quiet:
            print(f"wrote {path / 'report.md'} and {path / 'report.html'}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    from .cli import run_subcommand

    sys.exit(run_subcommand("evaluate", prog="python -m fusionlab.evaluate"))
