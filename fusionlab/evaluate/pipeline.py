"""The evaluation pipeline: score files -> aligned evaluations -> one :class:`Results`.

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

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .. import metrics, rules
from ..errors import UsageError
from ..fused import FusionSpec, LogProbCache, known_labels, row_label
from ..groups import Grouping
from ..scores import Evaluation, ScoreSet, group, load, resolve_paths
from ..views import view_protocols
from .clusters import evaluation_groups, group_info
from .compare import (
    COMPARISON_FIELDS,
    Reference,
    add_wilson,
    adjust_family,
    best_single_index,
    compare_tuned,
    compare_with_best_single,
)
from .coverage import coverage_records, restrict_to_list
from .options import TUNED_MAX_ELEMENTS, EvaluateOptions
from .selection import best_of_many
from .splits import split_means
from .views import view_checks

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHUNK_ELEMENTS",
    "COLUMNS",
    "Results",
    "build_specs",
    "evaluate",
    "evaluate_files",
    "load_evaluations",
    "val_partners",
]

Array = npt.NDArray[np.float64]


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
        top1_ci_low, top1_ci_high, top1_wilson_low, top1_wilson_high, nll,
        ece, n_videos, spec`` (``spec`` is the :class:`FusionSpec` of the row)
        and the comparison with the best single stream (``best_single,
        diff_vs_best_single, diff_ci_low, diff_ci_high, mcnemar_p,
        mcnemar_p_adjusted, gain_p, gain_p_adjusted``; None where a row is
        not compared, see :mod:`fusionlab.evaluate.compare`).
    options : EvaluateOptions
    extra : dict
        Results of later stages keyed by name (grid search, importance, ...);
        per evaluation: ``"comparisons"`` (best single row, adjustment, family
        sizes) and ``"best_of_many"`` (:func:`.selection.best_of_many`).
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
                {c: pd.Series([r[c] for r in self.records], dtype=object) for c in COLUMNS}
            ).infer_objects()
            if self.records
            else pd.DataFrame(columns=COLUMNS)
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
            if latest:
                specs += _view_specs(ev, key, opts, domains_for)
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


def _view_specs(
    ev: Evaluation,
    key: tuple[tuple[str, int | None], ...],
    opts: EvaluateOptions,
    domains_for: Callable[[str], list[Literal["prob", "logit", "any"]]],
) -> list[FusionSpec]:
    """The test-protocol rows of one stream whose file declares views (none otherwise)."""
    layout = ev.sets[key[0]].views
    if layout is None:
        return []
    out: list[FusionSpec] = []
    for protocol, idx in view_protocols(*layout):
        if len(idx) == 1:
            out.append(FusionSpec("views", key, None, None, "any", views=idx, protocol=protocol))
            continue
        for c in opts.view_consensus:
            for d in domains_for(c):
                out.append(FusionSpec("views", key, c, None, d, views=idx, protocol=protocol))
    return out


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
    grouped = evaluation_groups(evaluations, opts.groups)  # a video without a group: fail now
    all_specs = [(ev, build_specs(ev, opts)) for ev in evaluations]
    total = sum(len(s) for _, s in all_specs)
    records: list[dict[str, Any]] = []
    with tqdm(
        total=total, delay=2.0, disable=not progress, file=sys.stderr, unit="row", leave=False
    ) as bar:
        extra: dict[str, Any] = {}
        vals = val_partners(evaluations)
        for ev, specs in all_specs:
            checks = view_checks(ev)
            if checks:
                extra.setdefault("views", {})[ev.name] = checks
                extra.setdefault("notes", []).extend(f"{ev.name}: {c['note']}" for c in checks)
            grouping = grouped.get(id(ev))
            rows, pairs, chosen, ginfo, ref = _evaluate_one(
                ev, specs, opts, bar.update, grouping=grouping
            )
            if ginfo is not None:
                extra.setdefault("groups", {})[ev.name] = ginfo
            if pairs:
                extra.setdefault("complementarity", {})[ev.name] = pairs
            if chosen is not None:
                extra.setdefault("best_of_many", {})[ev.name] = chosen
            rows = _with_tuned(ev, rows, opts, vals.get(id(ev)), extra, grouping, ginfo, ref)
            family = adjust_family(rows, method=opts.adjust)
            best = best_single_index(rows, ev)
            extra.setdefault("comparisons", {})[ev.name] = {
                "best_single": None if best is None else row_label(rows[best]),
                "adjust": opts.adjust,
                "n_mcnemar": family["mcnemar"],
                "n_gain": family["gain"],
            }
            records.extend(rows)
    results = Results(evaluations=list(evaluations), records=records, options=opts, extra=extra)
    means = split_means(results)
    if means:
        extra["split_means"] = means
    return results


def _too_few(n_known: int, ginfo: dict[str, Any] | None, folds: int) -> str:
    """Why cross-fitting cannot run (too few videos, or groups), or "" when it can."""
    if n_known < 2 * folds:
        return f"{n_known} videos with a label are"
    if ginfo is not None and ginfo["n_groups"] < folds:
        return f"{ginfo['n_groups']} groups of videos are"
    return ""


def _with_tuned(
    ev: Evaluation,
    rows: list[dict[str, Any]],
    opts: EvaluateOptions,
    val: Evaluation | None,
    extra: dict[str, Any],
    grouping: Grouping | None = None,
    ginfo: dict[str, Any] | None = None,
    ref: Reference | None = None,
) -> list[dict[str, Any]]:
    """``rows`` with the tuned rows of ``ev`` placed among them (when asked and possible).

    The tuned rows are compared with the table's best single stream ``ref``.
    """
    if not _wants_tuned(ev, opts):
        return rows
    n_known = int((ev.labels >= 0).sum())
    few = _too_few(n_known, ginfo, opts.folds)
    if val is None and few:
        extra.setdefault("notes", []).append(
            f"{ev.name}: no tuned rows: {few} too few to cross-fit with {opts.folds} folds"
        )
        return rows
    codes = None if grouping is None else grouping.codes
    tuned, importance = _tuned_rows(ev, opts, val=val, groups=codes)
    compare_tuned(tuned, ref, confidence=opts.confidence)
    extra.setdefault("importance", {})[ev.name] = importance
    return _sorted_rows(rows + tuned)


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
    ev: Evaluation,
    opts: EvaluateOptions,
    *,
    val: Evaluation | None = None,
    groups: npt.NDArray[np.int64] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Grid, learned rows and importance of ``ev`` (see :func:`fusionlab.search.summary_rows`).

    ``groups`` (aligned with ``ev.video_ids``): cluster bootstrap and group folds.

    Learned combiners are fitted once: learned-linear weights act on
    log-probabilities, so they are fitted on the logit-domain components (mean
    consensus of log-probabilities) and labelled logit; temperature fusion is a
    probability-domain rule. Rows of a domain not asked for are dropped.
    """
    from .. import importance, search

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
            groups=groups,
            greedy=opts.greedy,
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
        for k in COMPARISON_FIELDS:
            r.setdefault(k, None)
    add_wilson(rows, confidence=opts.confidence)
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


COLUMNS = [
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
    "top1_wilson_low",
    "top1_wilson_high",
    "nll",
    "ece",
    "n_videos",
    "best_single",
    "diff_vs_best_single",
    "diff_ci_low",
    "diff_ci_high",
    "mcnemar_p",
    "mcnemar_p_adjusted",
    "gain_p",
    "gain_p_adjusted",
    "spec",
]


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


@dataclass(frozen=True, eq=False)
class _Scored:
    """Per-row, per-video outcomes of every spec of one evaluation (known labels only)."""

    ev: Evaluation
    correct: npt.NDArray[np.bool_]
    correct5: npt.NDArray[np.bool_]
    pred: npt.NDArray[np.int64]
    true_logp: Array
    conf: Array


def _score(ev: Evaluation, specs: Sequence[FusionSpec], advance: Callable[[float], Any]) -> _Scored:
    """Fuse every spec chunk by chunk; keep only what the rows need per video."""
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
        same: dict[FusionSpec, Array] = {}  # rows that compute the same scores, once
        for i, spec in enumerate(specs):
            fused = same.get(spec.computes_as)
            if fused is None:
                fused = same[spec.computes_as] = spec.fused(ev, cache)
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
    return _Scored(ev, correct, correct5, pred, true_logp, conf)


def _evaluate_one(
    ev: Evaluation,
    specs: Sequence[FusionSpec],
    opts: EvaluateOptions,
    advance: Callable[[float], Any],
    *,
    grouping: Grouping | None = None,
) -> tuple[
    list[dict[str, Any]],
    list[dict[str, Any]],
    dict[str, Any] | None,
    dict[str, Any] | None,
    Reference | None,
]:
    """Untuned rows (best first), stream pairs, best of many, groups, the best single stream.

    With ``grouping`` the paired resamples draw whole groups (cluster bootstrap)
    and the groups' entry says how much the intervals widened (None without).
    """
    known, _ = known_labels(ev)
    codes = None if grouping is None else grouping.codes[known]
    sc = _score(ev, specs, advance)
    y, n, c = sc.ev.labels, sc.ev.labels.size, sc.ev.n_classes
    rows: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        epochs = {e for _, e in spec.streams}
        # ECE uses the decision of the normalised scores, as metrics.ece does.
        bins = metrics.reliability_from_confidence(sc.conf[i], sc.correct[i], n_bins=15)
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
                "top1": float(sc.correct[i].mean()),
                "top5": float(sc.correct5[i].mean()),
                "mean_class_acc": metrics.mean_class_accuracy(y, sc.pred[i], n_classes=c),
                "top1_ci_low": math.nan,
                "top1_ci_high": math.nan,
                "nll": float(-sc.true_logp[i].mean()),
                "ece": metrics.ece_from_bins(bins),
                "n_videos": int(n),
                "spec": spec,
            }
        )
        if spec.level == "views":  # the protocol's key and view positions, for JSON readers
            rows[-1].update(protocol=spec.protocol, views=list(spec.views or ()))
    pairs = _pairs(ev, specs, sc.correct, opts)
    counts, ci = None, None
    if opts.bootstrap > 0 and specs:
        # one set of resamples for every row (paired); whole groups with --groups
        counts = metrics.bootstrap_counts(
            n, n_resamples=opts.bootstrap, seed=opts.seed, groups=codes
        )
        ci = metrics.bootstrap_ci(
            sc.correct, counts=counts, confidence=opts.confidence, validate_args=False
        )
        for row, (lo, hi) in zip(rows, ci, strict=True):
            row["top1_ci_low"], row["top1_ci_high"] = float(lo), float(hi)
    ginfo = None
    if grouping is not None and codes is not None:
        ginfo = group_info(
            grouping,
            codes,
            sc.correct,
            ci,
            n_resamples=opts.bootstrap,
            confidence=opts.confidence,
            seed=opts.seed,
        )
    add_wilson(rows, confidence=opts.confidence)
    ordered = _sorted_rows(rows)
    best = best_single_index(ordered, sc.ev)
    at = None if best is None else next(i for i, r in enumerate(rows) if r is ordered[best])
    compare_with_best_single(rows, sc.correct, at, counts=counts, confidence=opts.confidence)
    ref = None if at is None else Reference(sc.correct[at], row_label(rows[at]), counts)
    return ordered, pairs, _best_of_many(rows, sc, opts, codes), ginfo, ref


def _best_of_many(
    rows: Sequence[dict[str, Any]],
    sc: _Scored,
    opts: EvaluateOptions,
    codes: npt.NDArray[np.int64] | None = None,
) -> dict[str, Any] | None:
    """:func:`.selection.best_of_many` over the untuned rows; None with too few videos."""
    n = sc.ev.labels.size
    if not rows or n < 2 * opts.folds:
        return None
    if codes is not None and np.unique(codes).size < opts.folds:
        return None  # too few groups for group folds
    return best_of_many(
        [row_label(r) for r in rows],
        sc.correct,
        sc.correct5,
        sc.ev.labels,
        n_classes=sc.ev.n_classes,
        folds=opts.folds,
        repeats=opts.repeats,
        seed=opts.seed,
        groups=codes,
    )


def _pairs(
    ev: Evaluation,
    specs: Sequence[FusionSpec],
    correct: npt.NDArray[np.bool_],
    opts: EvaluateOptions,
) -> list[dict[str, Any]]:
    """Complementarity of every pair of streams (latest epoch, mean consensus), per domain."""
    from ..diversity import pair_stats

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

    With ``options.split_list``, every file is restricted to the listed videos
    (ids normalised as the importers do) and each evaluation runs on the listed
    videos present in all its files; ``Results.extra["coverage"]`` says, per
    evaluation and file, how many listed videos are scored and which are
    missing (:mod:`fusionlab.evaluate.coverage`), and a note states it.

    Examples
    --------
    >>> import glob
    >>> res = evaluate_files(sorted(glob.glob("scores/*.npz")), progress=False)  # doctest: +SKIP
    >>> res.table[["streams", "consensus", "fusion", "top1"]].head()  # doctest: +SKIP
    """
    opts = options or EvaluateOptions()
    if opts.split_list is None:
        _, evs = load_evaluations(patterns, allow_partial=opts.allow_partial)
        return evaluate(evs, options=opts, progress=progress)
    paths = resolve_paths(patterns)
    if not paths:
        raise UsageError("no score files given")
    sets, cov = restrict_to_list([load(p) for p in paths], opts.split_list)
    evs = group(sets, allow_partial=True)  # the common set: listed and in every file
    coverage = coverage_records(evs, cov, opts.split_list)
    results = evaluate(evs, options=opts, progress=progress)
    results.extra["coverage"] = coverage
    notes = [f"{name}: {c['note']}" for name, c in coverage.items()]
    results.extra["notes"] = notes + list(results.extra.get("notes", []))
    return results
