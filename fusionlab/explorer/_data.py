"""The explorer's data: exact inputs of the page's weighted sums, and the reference numbers.

See the package docstring (:mod:`fusionlab.explorer`) for the design and the
exactness argument; this module implements it.
"""

from __future__ import annotations

import glob
import math
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import metrics, rules
from ..errors import UsageError
from ..evaluate import FusionSpec, LogProbCache, Results, known_labels
from ..fused import row_label
from ..rules import Domain
from ..scores import Evaluation
from .encoding import (
    Family,
    decode_family,
    emulate,
    encode,
    flat_values,
    latest_keys,
    pack,
    stream_values,
)

__all__ = [
    "CONSENSUS",
    "EXPLORER_FILE",
    "MAX_CELLS",
    "PAGE_BUDGET",
    "REPORT_BUDGET",
    "SLIDER_MAX",
    "EvaluationData",
    "ExplorerData",
    "Family",
    "build_data",
    "decode_family",
    "emulate",
    "files_argument",
    "page_numbers",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Segment-consensus rules offered by the page (registry names).
CONSENSUS: tuple[str, ...] = ("mean", "max", "variance_weighted")
#: Largest integer weight of a slider (weights are integers 0..SLIDER_MAX).
SLIDER_MAX = 20
#: Embedded data (characters of JSON and base64) allowed in ``explorer.html``.
PAGE_BUDGET = 4_750_000
#: Embedded data allowed in ``report.html`` (which also holds the figures).
REPORT_BUDGET = 2_500_000
#: File name of the standalone page written beside the report.
EXPLORER_FILE = "explorer.html"
#: Evaluations with more known videos x classes get no explorer (building it would be slow
#: and its data would not fit the budget anyway).
MAX_CELLS = 2_000_000


# --------------------------------------------------------------------------- the reference


def _pick(
    source: Results | Evaluation, evaluation: str | None
) -> tuple[Evaluation, Results | None]:
    if isinstance(source, Evaluation):
        if evaluation is not None and evaluation != source.name:
            raise UsageError(f"evaluation {evaluation!r} requested, got {source.name!r}")
        return source, None
    evs = source.evaluations
    if not evs:
        raise UsageError("the results hold no evaluation")
    if evaluation is None:
        return evs[0], source
    for ev in evs:
        if ev.name == evaluation:
            return ev, source
    names = ", ".join(ev.name for ev in evs)
    raise UsageError(f"no evaluation {evaluation!r} in the results (evaluations: {names})")


def _check_weights(name: str, w: Sequence[float], k: int) -> list[float]:
    vals = [float(v) for v in w]
    if len(vals) != k:
        raise UsageError(f"{name}: expected {k} weights, got {len(vals)}")
    if any(not math.isfinite(v) or v < 0 for v in vals) or not any(vals):
        raise UsageError(f"{name} must be finite, non-negative and not all 0, got {vals}")
    return vals


def component_weights(
    ev: Evaluation, weights: Sequence[float], segment_weights: Sequence[float]
) -> list[float]:
    """Weights of the flat stream x segment components: stream weight x segment weight."""
    keys = latest_keys(ev)
    w = _check_weights("weights", weights, len(keys))
    n_seg = [ev.sets[k].n_segments for k in keys]
    u = _check_weights("segment_weights", segment_weights, sum(n_seg))
    out: list[float] = []
    j = 0
    for ws, ns in zip(w, n_seg, strict=True):
        for _ in range(ns):
            out.append(ws * u[j])
            j += 1
    if not any(out):
        raise UsageError("stream x segment weights are all 0; give some component a weight")
    return out


def _best_single(results: Results | None, ev: Evaluation) -> dict[str, Any] | None:
    if results is None:
        return None
    latest = set(latest_keys(ev))
    for r in results.rows(ev.name):
        if r["level"] == "single" and r.get("spec") and r["spec"].streams[0] in latest:
            return r
    return None


def page_numbers(
    results_or_evaluation: Results | Evaluation,
    *,
    weights: Sequence[float],
    domain: Domain,
    consensus: str = "mean",
    segment_weights: Sequence[float] | None = None,
    evaluation: str | None = None,
) -> dict[str, Any]:
    """The numbers the explorer page shows, computed by the package's own rules.

    Without ``segment_weights``: two-level fusion, exactly the computation of
    an evaluate row ``two-level / consensus / weighted``::

        rules.two_level(streams, masks, consensus=consensus, fusion="weighted",
                        fusion_params={"weights": weights}, domain=domain)

    With ``segment_weights`` (one per stream x segment component, streams in
    evaluation order): flat weighted fusion over every component,
    ``rules.fuse("weighted", x, mask, domain=domain, weights=w)`` with
    ``w[stream, segment] = weights[stream] * segment_weights[component]``
    (``consensus`` is then unused). Latest epoch of every stream; videos with a
    known label only.

    Parameters
    ----------
    results_or_evaluation : Results or Evaluation
        With a :class:`~fusionlab.evaluate.Results`, ``evaluation`` names the
        evaluation (default: the first) and the change against its best
        single-stream row is reported.
    weights : sequence of float
        One non-negative weight per stream (not all 0).
    domain : {"prob", "logit"}
    consensus : str, default "mean"
        Segment-consensus rule (a registry name).
    segment_weights : sequence of float, optional
    evaluation : str, optional

    Returns
    -------
    dict
        ``top1``, ``top5``, ``mean_class_acc`` (floats in [0, 1]; top-5 means
        top-min(5, n_classes)), ``per_class`` (list of per-class accuracies,
        NaN for classes without videos), ``hits`` (correct top-1 per class),
        ``n_top1``, ``n_top5``, ``n_videos``, ``best_single`` (label or None),
        ``delta_top1`` (``top1`` minus the best single stream's, or None).

    Examples
    --------
    >>> from fusionlab import synth, group
    >>> ev = group(synth.make_scores(n_videos=40, n_classes=4, n_segments=2, seed=1))[0]
    >>> nums = page_numbers(ev, weights=[1, 2], domain="prob", consensus="max")
    >>> nums["n_videos"], 0 <= nums["top1"] <= nums["top5"] <= 1
    (40, True)
    """
    ev, results = _pick(results_or_evaluation, evaluation)
    if domain not in rules.DOMAINS:
        raise UsageError(f"domain must be prob or logit, got {domain!r}")
    rules.get_rule(consensus)
    keys = latest_keys(ev)
    known, y = known_labels(ev)
    cache = LogProbCache(ev)
    c = ev.n_classes
    if segment_weights is None:
        w = _check_weights("weights", weights, len(keys))
        spec = FusionSpec("two-level", keys, consensus, "weighted", domain, tuple(w))
        fused = spec.fused(ev, cache)[known]
    else:
        cw = component_weights(ev, weights, segment_weights)
        x, m, p = cache.flat(keys)
        fused = rules.fuse("weighted", x, m, domain=domain, weights=cw, probs=p)[known]
    k5 = min(5, c)
    c1 = metrics.correct_top_k(y, fused, k=1)
    c5 = metrics.correct_top_k(y, fused, k=k5)
    pred = metrics.predict(fused)
    top1 = float(c1.mean())
    best = _best_single(results, ev)
    return {
        "top1": top1,
        "top5": float(c5.mean()),
        "mean_class_acc": metrics.mean_class_accuracy(y, pred, n_classes=c),
        "per_class": metrics.per_class_accuracy(y, pred, n_classes=c).tolist(),
        "hits": np.bincount(y[pred == y], minlength=c).tolist(),
        "n_top1": int(c1.sum()),
        "n_top5": int(c5.sum()),
        "n_videos": int(y.size),
        "best_single": None if best is None else row_label(best),
        "delta_top1": None if best is None else top1 - best["top1"],
    }


# --------------------------------------------------------------------------- one evaluation


@dataclass
class EvaluationData:
    """Everything the page needs for one evaluation.

    Attributes
    ----------
    name : str
    meta : dict
        JSON-ready description (streams, classes, labels, best single stream,
        presets, grid optima, self-checks).
    stream_families, segment_families : list of Family
    notes : list of str
    segments_left_out : bool
        Per-segment data were not built: they could not fit the page's budget.
    """

    name: str
    meta: dict[str, Any]
    stream_families: list[Family] = field(default_factory=list)
    segment_families: list[Family] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    segments_left_out: bool = False

    @property
    def core_size(self) -> int:
        import json

        return len(json.dumps(self.meta)) + sum(f.size for f in self.stream_families)

    @property
    def segment_size(self) -> int:
        return sum(f.size for f in self.segment_families)


def _int_ratio(weights: Sequence[float], limit: int) -> list[int] | None:
    """Smallest integers proportional to ``weights`` exactly (as binary fractions), or None."""
    fr = [Fraction(float(w)) for w in weights]
    if any(f < 0 for f in fr) or not any(fr):
        return None
    den = math.lcm(*(f.denominator for f in fr))
    ints = [int(f * den) for f in fr]
    g = math.gcd(*ints)
    ints = [i // g for i in ints]
    return ints if max(ints) <= limit else None


def _counts_of(weights: Sequence[float], n_points: int | None) -> tuple[list[int], int] | None:
    """Integer composition ``counts`` with ``counts / m == weights`` on a grid of step 1/m.

    ``m`` is the grid's (when ``n_points``, the size of a full simplex grid,
    gives it) or else the smallest that fits (at most 1000).
    """
    k = len(weights)
    cands = list(range(1, 1001))
    if n_points and k >= 2:
        exact = [m for m in cands if math.comb(m + k - 1, k - 1) == n_points]
        cands = exact + [m for m in cands if m not in exact]
    for m in cands:
        scaled = [float(w) * m for w in weights]
        if all(abs(s - round(s)) < 1e-9 for s in scaled) and sum(round(s) for s in scaled) == m:
            return [round(s) for s in scaled], m
    return None


def _iter_objects(obj: Any, depth: int = 0) -> Iterator[Any]:
    if depth > 4:
        return
    yield obj
    if isinstance(obj, Mapping):
        for v in obj.values():
            yield from _iter_objects(v, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _iter_objects(v, depth + 1)


def grid_markers(
    results: Results | None, ev: Evaluation, *, domains: Sequence[str] = rules.DOMAINS
) -> list[dict[str, Any]]:
    """Grid-search optima of ``ev`` found in ``results`` (objects of :mod:`fusionlab.search`).

    Recognises :class:`fusionlab.search.GridResult` objects anywhere in
    ``results.extra`` (duck-typed) and the grid rows of
    :func:`fusionlab.search.summary_rows` (dicts with ``level == "grid"``) in
    ``results.records`` or ``results.extra``. Only grids over the streams or
    over every stream x segment component of ``ev`` are kept.
    """
    if results is None:
        return []
    keys = latest_keys(ev)
    streams = [s for s, _ in keys]
    comps = [
        f"{s}/seg{j + 1}"
        for s, k in zip(streams, keys, strict=True)
        for j in range(ev.sets[k].n_segments)
    ]
    single = len(results.evaluations) == 1
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for obj in [*_iter_objects(results.extra), *results.records]:
        rec: dict[str, Any] | None = None
        if all(hasattr(obj, a) for a in ("component_names", "best_index", "counts", "oracle_top1")):
            name = getattr(obj, "evaluation", "") or ""
            if name != ev.name and not (name == "" and single):
                continue
            counts = [int(v) for v in np.asarray(obj.counts)[obj.best_index]]
            m = round(1 / float(obj.step)) if getattr(obj, "step", 0) else sum(counts)
            rec = {
                "names": list(obj.component_names),
                "domain": str(obj.domain),
                "consensus": "mean",
                "counts": counts,
                "m": int(m),
                "oracle_top1": float(obj.oracle_top1),
                "honest_top1": None if obj.honest_top1 is None else float(obj.honest_top1),
                "honest_top1_std": None
                if getattr(obj, "honest_top1_std", None) is None
                else float(obj.honest_top1_std),
                "selection": str(getattr(obj, "selection", "")),
            }
        elif isinstance(obj, Mapping) and obj.get("level") == "grid" and obj.get("weights"):
            if obj.get("evaluation") not in (ev.name, None):
                continue
            cm = _counts_of(obj["weights"], obj.get("n_points"))
            if cm is None:
                continue
            rec = {
                "names": list(obj.get("components") or []),
                "domain": str(obj.get("domain")),
                "consensus": str(obj.get("consensus") or "mean"),
                "counts": cm[0],
                "m": cm[1],
                "oracle_top1": float(obj.get("oracle_top1", obj.get("top1"))),
                "honest_top1": None
                if obj.get("honest_top1") is None
                else float(obj["honest_top1"]),
                "honest_top1_std": None
                if obj.get("honest_top1_std") is None
                else float(obj["honest_top1_std"]),
                "selection": str(obj.get("selection") or ""),
            }
        if rec is None or rec["domain"] not in domains:
            continue
        if rec["names"] == streams or (not rec["names"] and len(rec["counts"]) == len(streams)):
            rec["mode"] = "streams"
        elif rec["names"] == comps:
            rec["mode"] = "segments"
            rec["consensus"] = None
        else:
            continue
        key = (rec["mode"], rec["domain"], rec["consensus"], tuple(rec["counts"]))
        if key in seen:
            continue
        seen.add(key)
        out.append(rec)
    return out


def _files(ev: Evaluation) -> list[str]:
    """Score files of the latest epoch of each stream, in stream order (the weights' order).

    Each path exactly as it was given to fusionlab (:attr:`ScoreSet.path
    <fusionlab.scores.ScoreSet.path>`, e.g. ``scores/x_rgb_e012.npz`` after
    ``python -m fusionlab.evaluate scores/*.npz``), so that the page's command
    lines run from the folder the report was made in. Empty when a set was not
    read from a file (then the page shows ``FILES``).
    """
    paths = [ev.sets[k].path for k in latest_keys(ev)]
    return [str(p) for p in paths if p] if all(paths) else []


def files_argument(files: Sequence[str]) -> str:
    """The files as one shell-quoted command-line fragment (:func:`shlex.quote` each).

    fusionlab expands glob patterns itself, so ``*``, ``?`` and ``[`` in a
    path are escaped first (:func:`glob.escape`): the command then names
    exactly that file.

    Examples
    --------
    >>> print(files_argument(["scores/rgb.npz", "my scores/flow's.npz"]))
    scores/rgb.npz 'my scores/flow'"'"'s.npz'
    >>> print(files_argument(["s/rgb[1].npz"]))
    's/rgb[[]1].npz'
    >>> files_argument([])
    'FILES'
    """
    return " ".join(shlex.quote(glob.escape(f)) for f in files) if files else "FILES"


def _add_checks(
    meta: dict[str, Any],
    results: Results,
    ev: Evaluation,
    *,
    consensus: Sequence[str],
    domains: Sequence[Domain],
) -> None:
    """The report's fixed-weight rows the page checks itself against, and its presets."""
    keys = latest_keys(ev)
    for r in results.rows(ev.name):
        spec: FusionSpec | None = r.get("spec")
        if spec is None or spec.level != "two-level" or spec.fusion != "weighted":
            continue
        if spec.weights is None:
            continue
        if spec.streams != keys or spec.consensus not in consensus or spec.domain not in domains:
            continue
        ints = _int_ratio(spec.weights, meta["sliderMax"])
        if ints is None:
            continue
        check = {
            "weights": ints,
            "domain": spec.domain,
            "consensus": spec.consensus,
            "top1": float(r["top1"]),
            "top5": float(r["top5"]),
            "mean_class_acc": float(r["mean_class_acc"]),
            "label": spec.weights_label,
        }
        meta["checks"].append(check)
        if ints not in [p["weights"] for p in meta["presets"]]:
            meta["presets"].append({"label": spec.weights_label, "weights": ints})


def build_evaluation(
    results: Results | None,
    ev: Evaluation,
    *,
    domains: Sequence[Domain],
    consensus: Sequence[str] = CONSENSUS,
    segments: bool = True,
) -> EvaluationData:
    """Build the data of one evaluation (stream families, and segment families if asked)."""
    known, y = known_labels(ev)
    keys = latest_keys(ev)
    c = ev.n_classes
    k5 = min(5, c)
    cache = LogProbCache(ev)
    best = _best_single(results, ev)
    files = _files(ev)
    meta: dict[str, Any] = {
        "name": ev.name,
        "n": int(y.size),
        "c": int(c),
        "k5": int(k5),
        "streams": [s for s, _ in keys],
        "segments": [int(ev.sets[k].n_segments) for k in keys],
        "classes": [str(n) for n in ev.class_names]
        if ev.class_names is not None
        else [f"class {i}" for i in range(c)],
        "files": files,
        # the files as the page's command lines show them (shell-quoted)
        "filesArg": files_argument(files),
        "y": [int(v) for v in y],
        "domains": list(domains),
        "consensus": list(consensus),
        "sliderMax": SLIDER_MAX,
        "best": None,
        "presets": [],
        "checks": [],
        "grids": [
            g
            for g in grid_markers(results, ev, domains=domains)
            if g["mode"] == "segments" or g["consensus"] in consensus
        ],
    }
    # Sliders reach the grid optima (grids up to step 1/100).
    meta["sliderMax"] = max([SLIDER_MAX, *(g["m"] for g in meta["grids"] if g["m"] <= 100)])
    if best is not None:
        pred = np.argmax(best["spec"].fused(ev, cache)[known], axis=1)
        meta["best"] = {
            "label": row_label(best),
            "top1": float(best["top1"]),
            "hits": np.bincount(y[pred == y], minlength=c).tolist(),
        }
    if results is not None:
        _add_checks(meta, results, ev, consensus=consensus, domains=domains)
    data = EvaluationData(ev.name, meta)
    for d in domains:
        for cons in consensus:
            v = stream_values(ev, cache, cons, d)[known]
            if not np.isfinite(v).all():
                raise UsageError(f"{ev.name}: non-finite fused scores ({cons}, {d})")
            enc = encode(np.ascontiguousarray(v), y, None, k5=k5)
            data.stream_families.append(pack(enc, mode="streams", domain=d, consensus=cons))
    if segments:
        add_segment_families(data, ev, domains=domains, cache=cache)
    return data


def add_segment_families(
    data: EvaluationData,
    ev: Evaluation,
    *,
    domains: Sequence[Domain],
    cache: LogProbCache | None = None,
) -> None:
    """Add the flat stream x segment families to ``data``."""
    known, y = known_labels(ev)
    cache = cache or LogProbCache(ev)
    k5 = min(5, ev.n_classes)
    for d in domains:
        v, m = flat_values(ev, cache, d)
        vk = np.ascontiguousarray(v[known])
        if not np.isfinite(vk).all():
            raise UsageError(f"{ev.name}: non-finite log-probabilities")
        enc = encode(vk, y, None if m is None else m[known], k5=k5)
        data.segment_families.append(pack(enc, mode="segments", domain=d, consensus=None))


# --------------------------------------------------------------------------- all evaluations


@dataclass
class ExplorerData:
    """The explorer data of every evaluation of a results object.

    Attributes
    ----------
    evaluations : list of EvaluationData or None
        One per evaluation of the results (None: no explorer, see ``notes``).
    notes : list of str
        One per evaluation (empty when nothing was left out).
    budget : int
        The page budget the data were built for.
    """

    evaluations: list[EvaluationData | None]
    notes: list[str]
    budget: int

    def select(self, budget: int) -> tuple[list[tuple[EvaluationData, bool]], list[str]]:
        """Which evaluations (and whether with their segment data) fit ``budget``.

        Greedy, in evaluation order: first the stream-level data of every
        evaluation, then the segment data. Returns ``[(data, with_segments)]``
        for the evaluations shown (in order) and one note per evaluation of
        the results (empty when nothing is left out).
        """
        left = budget
        chosen: dict[int, bool] = {}
        notes = list(self.notes)
        for i, ed in enumerate(self.evaluations):
            if ed is None:
                continue
            if ed.core_size <= left:
                chosen[i] = False
                left -= ed.core_size
            else:
                notes[i] = (
                    f"The explorer of {ed.name} is not embedded in this page: its data "
                    f"({_mb(ed.core_size)}) exceed the page's budget ({_mb(budget)}) left "
                    "after the evaluations above."
                )
        for i in chosen:
            ed = self.evaluations[i]
            assert ed is not None  # internal invariant
            if ed.segments_left_out and not notes[i]:
                notes[i] = (
                    f"Per-segment weights of {ed.name} are not embedded: the page's budget "
                    f"({_mb(budget)}) is used by the data above."
                )
            if not ed.segment_families:
                continue
            if ed.segment_size <= left:
                chosen[i] = True
                left -= ed.segment_size
            elif not notes[i]:
                notes[i] = (
                    f"Per-segment weights of {ed.name} are not embedded in this page: they "
                    f"would add {_mb(ed.segment_size)} beyond the page's budget ({_mb(budget)})."
                )
        out = []
        for i, with_seg in chosen.items():
            chosen_ed = self.evaluations[i]
            assert chosen_ed is not None  # internal invariant
            out.append((chosen_ed, with_seg))
        return out, notes


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def build_data(
    results: Results,
    *,
    consensus: Sequence[str] = CONSENSUS,
    budget: int = PAGE_BUDGET,
) -> ExplorerData:
    """Build the explorer data of every evaluation of ``results``.

    Stream-level data are built for every evaluation up to ``MAX_CELLS``
    known videos x classes; segment (flat stream x segment) data only while
    the running total stays within ``budget`` (later evaluations would not be
    embedded anyway).

    Parameters
    ----------
    results : Results
    consensus : sequence of str, default ("mean", "max", "variance_weighted")
    budget : int, default PAGE_BUDGET
        Characters of embedded data allowed in one page.

    Returns
    -------
    ExplorerData
    """
    for name in consensus:
        rules.get_rule(name)
    domains = tuple(results.options.domains)
    evs: list[EvaluationData | None] = []
    notes: list[str] = []
    used = 0
    for ev in results.evaluations:
        n_known = int((ev.labels >= 0).sum())
        cells = n_known * ev.n_classes
        if n_known == 0:
            evs.append(None)
            notes.append(f"No explorer for {ev.name}: no video has a known label.")
            continue
        if cells > MAX_CELLS:
            evs.append(None)
            notes.append(
                f"No explorer for {ev.name}: {n_known} videos x {ev.n_classes} classes is more "
                f"than the explorer's limit of {MAX_CELLS} cells."
            )
            continue
        try:
            ed = build_evaluation(results, ev, domains=domains, consensus=consensus, segments=False)
        except UsageError as exc:
            evs.append(None)
            notes.append(f"No explorer for {ev.name}: {exc}")
            continue
        used += ed.core_size
        evs.append(ed)
        notes.append("")
    built: list[int] = []
    for ev, maybe in zip(results.evaluations, evs, strict=True):
        if maybe is None:
            continue
        n_comp = sum(ev.sets[k].n_segments for k in latest_keys(ev))
        if n_comp < 2:
            continue
        # Skip building what cannot fit (estimated from the sizes built so far).
        if used >= budget or (built and budget - used < min(built) // 2):
            maybe.segments_left_out = True
            continue
        try:
            add_segment_families(maybe, ev, domains=domains)
        except UsageError as exc:
            maybe.notes.append(f"per-segment weights unavailable: {exc}")
            continue
        built.append(maybe.segment_size)
        if used + maybe.segment_size <= budget:
            used += maybe.segment_size
    return ExplorerData(evs, notes, budget)
