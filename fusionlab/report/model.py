"""The report's data: everything computed from a :class:`~fusionlab.evaluate.Results`.

:func:`build_model` turns a results object into a :class:`ReportModel`: a
tree of :class:`Section` objects holding :class:`Paragraph`, :class:`Table`
and :class:`FigureBlock` blocks. Tables hold raw numbers in a pandas
DataFrame (fractions in [0, 1] for accuracies) and a format per column; the
Markdown and HTML renderers only format them (through the same
:func:`~fusionlab.report.format.format_cell`), so the two documents cannot
disagree. Figure blocks hold the data of a plot and the name of the function
in :mod:`fusionlab.report.figures` that draws it; nothing here imports
matplotlib or jinja2.

Per evaluation, :class:`EvaluationFacts` keeps the main computed quantities
for use from Python: the best single stream and best fusion rows, their
comparison (:class:`Comparison`), per-class accuracies, the confusion matrix
of the best fusion, reliability bins, per-segment accuracies, the weight curve
and the learning curve.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt

from .. import metrics, rules
from ..evaluate import FusionSpec, LogProbCache, Results, known_labels, split_title
from ..fused import row_label
from ..rules import Domain
from ..scores import Evaluation
from ..weights import format_weights
from .format import CellKind, Slugger

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Column",
    "Comparison",
    "EvaluationFacts",
    "FigureBlock",
    "Paragraph",
    "ReportModel",
    "Section",
    "Table",
    "build_model",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Levels of the rows that fuse several streams.
FUSION_LEVELS = ("two-level", "flat")
#: Headings of the well-known entries of ``Results.extra``.
EXTRA_TITLES = {
    "grid": "Grid search over stream weights",
    "learned": "Learned fusion",
    "importance": "Segment and stream importance",
}
#: Entries of ``Results.extra`` that the complementarity section already shows
#: (the pair statistics of the streams, a subset of its pairwise table).
COVERED_EXTRAS = frozenset({"complementarity"})
#: Most rows shown for a table rendered generically from ``Results.extra``.
MAX_GENERIC_ROWS = 60
#: The CSV of the videos the best fusion fixes and breaks, written beside the report.
VIDEOS_CSV = "fixed_broken_videos.csv"
#: Most subsets of the flat stream x segment set listed in the report.
MAX_FLAT_SUBSETS = 10


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Table`.

    Attributes
    ----------
    key : str
        Column of ``Table.data``.
    label : str
        Header text.
    kind : CellKind
        How values are formatted (see :func:`~fusionlab.report.format.format_cell`).
    """

    key: str
    label: str
    kind: CellKind = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(eq=False)
class Table:
    """A table of raw values and the format of each column.

    Attributes
    ----------
    columns : list of Column
    data : pandas.DataFrame
        One column per ``Column.key``, raw values (accuracies as fractions,
        intervals as ``(low, high)`` tuples).
    caption : str
        One sentence shown above the table.
    sortable : bool
        The HTML table can be sorted by clicking a header.
    """

    columns: list[Column]
    data: pd.DataFrame
    caption: str = ""
    sortable: bool = True
    kind: Literal["table"] = "table"

    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def cells(self) -> list[list[tuple[str, str]]]:
        """``(text, sort key)`` of every cell, row by row."""
        from .format import format_cell, sort_key

        out = []
        cols = [(c, list(self.data[c.key])) for c in self.columns]
        for i in range(len(self.data)):
            out.append([(format_cell(v[i], c.kind), sort_key(v[i], c.kind)) for c, v in cols])
        return out


@dataclass(frozen=True)
class Paragraph:
    """Plain text; ``code`` in backticks is shown as code."""

    text: str
    kind: Literal["paragraph"] = "paragraph"


@dataclass(eq=False)
class FigureBlock:
    """A figure: its data and the plot function that draws it.

    Attributes
    ----------
    name : str
        File stem, unique within the report (``figures/{name}.png``).
    title : str
    caption : str
    plot : str
        Name of the function in :data:`fusionlab.report.figures.PLOTS`.
    data : object
        The argument of the plot function.
    """

    name: str
    title: str
    caption: str
    plot: str
    data: Any
    kind: Literal["figure"] = "figure"


@dataclass(frozen=True)
class Link:
    """A sentence ending in a link to a file written beside the report.

    Attributes
    ----------
    text : str
        The sentence before the link.
    label : str
        Link text.
    href : str
        Relative path of the file (inside the report folder).
    """

    text: str
    label: str
    href: str
    kind: Literal["link"] = "link"


@dataclass(frozen=True)
class ExplorerBlock:
    """The interactive fusion explorer of one evaluation (HTML only).

    Attributes
    ----------
    index : int
        Position of the evaluation in the explorer data of the page, or -1
        when its explorer is not embedded (``note`` says why).
    note : str
        Shown in both documents (Markdown has no explorer).
    href : str
        The standalone explorer page holding this evaluation ("" if none).
    """

    index: int
    note: str
    href: str = ""
    kind: Literal["explorer"] = "explorer"


Block = Paragraph | Table | FigureBlock | Link | ExplorerBlock


@dataclass(eq=False)
class Section:
    """A heading with its blocks and subsections.

    Attributes
    ----------
    title : str
    anchor : str
        Unique heading anchor (GitHub's algorithm), filled by :func:`build_model`.
    level : int
        Heading level (2 = evaluation, 3 = part of one).
    """

    title: str
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    level: int = 2
    anchor: str = ""

    def walk(self) -> list[Section]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out


@dataclass(frozen=True)
class Comparison:
    """The best fusion against the best single stream, on the same videos.

    Attributes
    ----------
    fusion, single : str
        Row labels.
    fusion_top1, single_top1 : float
        Top-1 accuracies in [0, 1].
    diff : metrics.BootstrapDiff
        ``fusion - single`` with a paired bootstrap interval.
    mcnemar : metrics.McNemarResult
        ``b``: videos only the fusion gets right; ``c``: only the single stream.
    """

    fusion: str
    single: str
    fusion_top1: float
    single_top1: float
    diff: metrics.BootstrapDiff
    mcnemar: metrics.McNemarResult


@dataclass(eq=False)
class EvaluationFacts:
    """The computed quantities of one evaluation (see the module docstring)."""

    name: str
    n_videos: int
    n_known: int
    class_names: list[str]
    best_single: dict[str, Any] | None
    best_fusion: dict[str, Any] | None
    comparison: Comparison | None = None
    per_class: pd.DataFrame | None = None
    confusion: IntArray | None = None
    reliability: dict[str, metrics.ReliabilityBins] = field(default_factory=dict)
    segments: pd.DataFrame | None = None
    weight_curve: pd.DataFrame | None = None
    learning_curve: pd.DataFrame | None = None
    diversity: dict[str, Any] | None = None


@dataclass(eq=False)
class ReportModel:
    """Everything the renderers show.

    Attributes
    ----------
    title : str
    intro : list of Paragraph
    sections : list of Section
        Top-level sections (level 2), in document order.
    facts : list of EvaluationFacts
        One per evaluation.
    version : str
        fusionlab version that computed the report.
    files : dict of str to str
        Text files written beside the report (name -> content), e.g. the
        CSV of the videos the fusion fixes and breaks.
    explorer : fusionlab.explorer.ExplorerData or None
        The explorer data of every evaluation (None: no explorer); ``explorer.html``
        is rendered from it.
    explorer_json : str
        The explorer data embedded in ``report.html`` (empty: none).
    """

    title: str
    intro: list[Paragraph]
    sections: list[Section]
    facts: list[EvaluationFacts]
    version: str
    files: dict[str, str] = field(default_factory=dict)
    explorer: Any = None
    explorer_json: str = ""

    def walk(self) -> list[Section]:
        out: list[Section] = []
        for s in self.sections:
            out.extend(s.walk())
        return out

    def figures(self) -> list[FigureBlock]:
        return [b for s in self.walk() for b in s.blocks if isinstance(b, FigureBlock)]


# --------------------------------------------------------------------------- helpers


def _frame(rows: Sequence[Mapping[Any, Any]], columns: Sequence[Column]) -> pd.DataFrame:
    import pandas as pd

    keys = [c.key for c in columns]
    return pd.DataFrame(
        {k: pd.Series([r.get(k) for r in rows], dtype=object) for k in keys}, columns=keys
    )


def _table(
    rows: Sequence[Mapping[Any, Any]],
    columns: Sequence[Column],
    caption: str = "",
    *,
    sortable: bool = True,
) -> Table:
    return Table(list(columns), _frame(rows, columns), caption, sortable)


def _ci(r: Mapping[str, Any]) -> tuple[float, float] | None:
    lo, hi = r["top1_ci_low"], r["top1_ci_high"]
    return None if math.isnan(lo) else (lo, hi)


def _class_names(ev: Evaluation) -> list[str]:
    if ev.class_names is not None:
        return [str(c) for c in ev.class_names]
    return [f"class {i}" for i in range(ev.n_classes)]


def _stream_title(name: str) -> str:
    return "RGB" if name.lower() == "rgb" else name


_METRIC_COLUMNS = [
    Column("top1", "top-1 %", "pct"),
    Column("ci", "top-1 95% CI", "ci"),
    Column("top5", "top-5 %", "pct"),
    Column("mean_class_acc", "mean-class %", "pct"),
    Column("nll", "NLL", "decimal"),
    Column("ece", "ECE %", "pct"),
]


def _metric_columns(confidence: float) -> list[Column]:
    conf = round(100 * confidence)
    return [
        Column(c.key, f"top-1 {conf}% CI", c.kind) if c.key == "ci" else c for c in _METRIC_COLUMNS
    ]


def _metric_values(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "top1": r["top1"],
        "ci": _ci(r),
        "top5": r["top5"],
        "mean_class_acc": r["mean_class_acc"],
        "nll": r["nll"],
        "ece": r["ece"],
    }


class _Ctx:
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


# --------------------------------------------------------------------------- build


def build_model(
    results: Results,
    *,
    title: str = "fusionlab report",
    n_top_classes: int = 5,
    weight_step: float = 0.05,
    explorer: bool = True,
) -> ReportModel:
    """Compute the report of ``results``.

    Parameters
    ----------
    results : Results
        From :func:`fusionlab.evaluate.evaluate`; ``results.extra`` entries
        (``"grid"``, ``"learned"``, ``"importance"``, others) are rendered
        when present.
    title : str, default "fusionlab report"
    n_top_classes : int, default 5
        Classes listed among those that gain and those that lose most.
    weight_step : float, default 0.05
        Grid step of the weight curve computed when ``results.extra`` holds
        no grid search (two streams: ``alpha`` in ``[0, 1]``; three streams:
        the simplex at twice that step).
    explorer : bool, default True
        Build the interactive fusion explorer (:mod:`fusionlab.explorer`).

    Returns
    -------
    ReportModel
    """
    from .. import __version__

    if n_top_classes < 1:
        from ..errors import UsageError

        raise UsageError(f"n_top_classes must be >= 1, got {n_top_classes}")
    steps = 1.0 / weight_step if weight_step > 0 else math.inf
    if not (math.isfinite(steps) and abs(steps - round(steps)) < 1e-9 and 1 <= round(steps)):
        from ..errors import UsageError

        raise UsageError(f"weight_step must divide 1 evenly (e.g. 0.05), got {weight_step}")

    from .. import diversity

    evs = results.evaluations
    sections: list[Section] = []
    facts: list[EvaluationFacts] = []
    extras_by_ev, extras_global = _split_extras(results.extra, [ev.name for ev in evs])
    # diversity analyses the rule rows (those with a FusionSpec), not the tuned rows.
    plain = dataclasses.replace(
        results, records=[r for r in results.records if r.get("spec") is not None]
    )
    div = diversity.diversity_for(plain)
    blocks = _explorer_blocks(results) if explorer else None
    if len(evs) > 1:
        sections.append(_overview_section(results))
    for i, ev in enumerate(evs):
        prefix = "" if len(evs) == 1 else f"e{i + 1}-"
        ctx = _Ctx(results, ev, prefix)
        sec, fact = _evaluation_section(
            ctx,
            n_top=n_top_classes,
            steps=round(steps),
            extras=extras_by_ev[ev.name],
            diversity=div.get(ev.name),
            explorer=None if blocks is None else blocks[0][i],
        )
        sections.append(sec)
        facts.append(fact)
    if extras_global:
        sec = Section("Further results", level=2)
        for name, value in extras_global.items():
            sec.children.append(_extra_section(name, value, level=3, prefix="x-"))
        sections.append(sec)
    sections.append(_notes_section(results))

    slug = Slugger()
    slug(title)
    slug("Contents")
    for s in sections:
        for sub in s.walk():
            sub.anchor = slug(sub.title)
    intro = [
        Paragraph(
            f"Offline fusion analysis of {sum(len(ev.sets) for ev in evs)} score files in "
            f"{len(evs)} evaluation{'s' if len(evs) != 1 else ''}, computed by fusionlab "
            f"{__version__}. Accuracies are percentages of the videos with a known label."
        )
    ]
    return ReportModel(
        title=title,
        intro=intro,
        sections=sections,
        facts=facts,
        version=__version__,
        files={VIDEOS_CSV: diversity.videos_csv(div)},
        explorer=None if blocks is None else blocks[1],
        explorer_json="" if blocks is None else blocks[2],
    )


def _explorer_blocks(results: Results) -> tuple[list[ExplorerBlock], Any, str]:
    """One :class:`ExplorerBlock` per evaluation, the explorer data and the report's JSON."""
    from .. import explorer as fx

    data = fx.build_data(results, budget=fx.PAGE_BUDGET)
    in_report, report_notes = data.select(fx.REPORT_BUDGET)
    on_page, page_notes = data.select(fx.PAGE_BUDGET)
    rep = {id(ed): (i, seg) for i, (ed, seg) in enumerate(in_report)}
    page = {id(ed): seg for ed, seg in on_page}
    out = []
    for k, ed in enumerate(data.evaluations):
        if ed is None:
            out.append(ExplorerBlock(-1, page_notes[k] or report_notes[k], ""))
            continue
        index, seg = rep.get(id(ed), (-1, False))
        parts = []
        if index >= 0:
            parts.append(
                "Interactive in the HTML report: move the stream weights (and, on request, "
                "per-segment weights), switch domain and segment consensus, and top-1, top-5 "
                "and mean class accuracy follow, computed in the page exactly as fusionlab "
                "computes them."
            )
        elif report_notes[k]:
            parts.append(report_notes[k])
        has_seg = bool(ed.segment_families)
        if index >= 0 and has_seg and not seg and page.get(id(ed)):
            parts.append("With per-segment weights, on a page of its own:")
        elif id(ed) in page:
            parts.append("The same explorer on a page of its own:")
        elif page_notes[k]:
            parts.append(page_notes[k])
        href = fx.EXPLORER_FILE if id(ed) in page else ""
        out.append(ExplorerBlock(index, " ".join(parts), href))
    return out, data, (fx.data_json(in_report) if in_report else "")


def _split_extras(
    extra: Mapping[str, Any], names: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Assign ``Results.extra`` entries to evaluations where they say which one they belong to."""
    per: dict[str, dict[str, Any]] = {n: {} for n in names}
    rest: dict[str, Any] = {}
    for key, value in extra.items():
        if isinstance(value, Mapping) and value and set(map(str, value)) <= set(names):
            for ev_name, v in value.items():
                per[str(ev_name)][key] = v
        elif isinstance(getattr(value, "evaluation", None), str) and value.evaluation in per:
            per[value.evaluation][key] = value
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(getattr(v, "evaluation", None) in per for v in value)
        ):
            for v in value:
                per[v.evaluation].setdefault(key, []).append(v)
            for ev_name in names:
                items = per[ev_name].get(key)
                if isinstance(items, list) and len(items) == 1:
                    per[ev_name][key] = items[0]
        else:
            rest[key] = value
    return per, rest


def _evaluation_section(
    ctx: _Ctx,
    *,
    n_top: int,
    steps: int,
    extras: Mapping[str, Any],
    diversity: Mapping[str, Any] | None = None,
    explorer: ExplorerBlock | None = None,
) -> tuple[Section, EvaluationFacts]:
    ev, rows = ctx.ev, ctx.rows
    singles = [r for r in rows if r["level"] == "single" and r["spec"].streams[0] in ctx.latest]
    fusions = [r for r in rows if r["level"] in FUSION_LEVELS]
    best_single = singles[0] if singles else None
    best_fusion = fusions[0] if fusions else None
    fact = EvaluationFacts(
        name=ev.name,
        n_videos=ev.n_videos,
        n_known=int(ctx.y.size),
        class_names=ctx.class_names,
        best_single=best_single,
        best_fusion=best_fusion,
    )
    sec = Section(ev.name, level=2)
    sec.children.append(_summary(ctx))
    if best_single is not None and best_fusion is not None:
        sec.children.append(_comparison(ctx, fact, best_single, best_fusion))
    sec.children.append(_singles(ctx, singles))
    if fusions:
        sec.children.append(_fusion_rules(ctx, fusions, singles))
    weighted = [r for r in fusions if r["spec"].fusion == "weighted"]
    if weighted:
        sec.children.append(_fixed_weights(ctx, weighted))
    if ctx.tuned:
        sec.children.append(_tuned(ctx))
    seg = _segments(ctx, fact)
    if seg is not None:
        sec.children.append(seg)
    imp = _importance(ctx, extras.get("importance"), best_fusion)
    if imp is not None:
        sec.children.append(imp)
    # The report draws its own weight curve even when a grid search is among the
    # extras: those are rendered generically (tables), not plotted.
    wc = _weight_curve(ctx, fact, best_fusion, steps)
    if wc is not None:
        sec.children.append(wc)
    if explorer is not None:
        sec.children.append(Section("Fusion explorer", [explorer]))
    ref = best_fusion or best_single
    if best_single is not None and best_fusion is not None:
        sec.children.append(_per_class(ctx, fact, best_single, best_fusion, n_top))
    if diversity is not None:
        fact.diversity = dict(diversity)
        sec.children.append(_diversity(ctx, diversity, n_top))
    if ref is not None:
        sec.children.append(_confusion(ctx, fact, ref, is_fusion=best_fusion is not None))
        sec.children.append(_reliability(ctx, fact, singles, best_fusion))
    lc = _learning_curve(ctx, fact, best_fusion)
    if lc is not None:
        sec.children.append(lc)
    for name, value in extras.items():
        if name in COVERED_EXTRAS and diversity is not None:
            continue  # the complementarity section shows these (and more)
        if name == "importance" and imp is not None:
            continue  # shown above, formatted
        sec.children.append(_extra_section(name, value, level=3, prefix=ctx.fig("x-")))
    for child in sec.children:
        for s in child.walk():
            s.level = 3 if s is child else max(s.level, 4)
    return sec, fact


# --------------------------------------------------------------------------- sections


def _summary(ctx: _Ctx) -> Section:
    ev = ctx.ev
    # File names only (sorted), so that reports do not depend on folders.
    names = sorted(Path(s.path).name for s in ev.sets.values() if s.path)
    items: list[tuple[str, str]] = [("files", ", ".join(names) or "(in memory)")]
    items.append(("streams", ", ".join(ev.streams)))
    for s in ev.streams:
        eps = [e for e in ev.epochs(s) if e is not None]
        if eps:
            items.append((f"epochs of {s}", ", ".join(map(str, eps))))
    known = int(ctx.y.size)
    vids = f"{known}" if known == ev.n_videos else f"{known} with a label, of {ev.n_videos}"
    items.append(("videos", vids))
    items.append(("classes", str(ev.n_classes)))
    segs = sorted({s.n_segments for s in ev.sets.values()})
    per = [f"{k}: {ev.latest(k).n_segments}" for k in ev.streams]
    items.append(("segments", str(segs[0]) if len(segs) == 1 else ", ".join(per)))
    kinds = sorted({s.kind for s in ev.sets.values()})
    items.append(("score kind", ", ".join(kinds)))
    dataset, split, subset = ev.key
    for label, v in (("dataset", dataset), ("split", split), ("subset", subset)):
        if v is not None:
            items.append((label, v))
    if ev.report.n_dropped:
        items.append(("dropped by --allow-partial", str(ev.report.n_dropped)))
    cols = [Column("item", "item"), Column("value", "value")]
    t = _table([{"item": k, "value": v} for k, v in items], cols, sortable=False)
    return Section("Summary", [t])


def _comparison(
    ctx: _Ctx, fact: EvaluationFacts, single: dict[str, Any], fusion: dict[str, Any]
) -> Section:
    cf, cs = ctx.correct(fusion["spec"]), ctx.correct(single["spec"])
    opts = ctx.opts
    diff = metrics.paired_bootstrap_diff(
        cf,
        cs,
        n_resamples=opts.bootstrap or 1000,
        confidence=opts.confidence,
        seed=opts.seed,
    )
    test = metrics.mcnemar(cf, cs)
    comp = Comparison(
        row_label(fusion), row_label(single), fusion["top1"], single["top1"], diff, test
    )
    fact.comparison = comp
    conf = round(100 * opts.confidence)
    items = [
        (
            "best fusion",
            f"{comp.fusion}: {_fmt(comp.fusion_top1, 'pct')} % {_fmt(_ci(fusion), 'ci')}".rstrip(),
        ),
        (
            "best single stream",
            f"{comp.single}: {_fmt(comp.single_top1, 'pct')} % {_fmt(_ci(single), 'ci')}".rstrip(),
        ),
        (
            "gain (fusion − single)",
            f"{_fmt(diff.diff, 'signed_pct')} points, paired bootstrap "
            f"{conf}% CI [{_fmt(diff.low, 'signed_pct')}, {_fmt(diff.high, 'signed_pct')}]",
        ),
        (
            "McNemar test",
            f"{test.b} videos right only with the fusion, {test.c} only with the "
            f"single stream; p = {_fmt(test.pvalue, 'pvalue')} ({test.method})",
        ),
    ]
    cols = [Column("item", "comparison"), Column("value", "value")]
    t = _table([{"item": k, "value": v} for k, v in items], cols, sortable=False)
    text = (
        f"Both rows are evaluated on the same {ctx.y.size} videos. Each is the best of many "
        "rows compared on these videos, so the gain is an optimistic (oracle) estimate."
    )
    return Section("Best fusion vs best single stream", [Paragraph(text), t])


def _fmt(v: Any, kind: CellKind) -> str:
    from .format import format_cell

    return format_cell(v, kind)


def _singles(ctx: _Ctx, singles: list[dict[str, Any]]) -> Section:
    cols = [
        Column("stream", "stream"),
        Column("consensus", "consensus"),
        Column("domain", "domain"),
        *_metric_columns(ctx.opts.confidence),
    ]
    ordered = [r for s in ctx.ev.streams for r in singles if r["streams"][0] == s]
    rows = [
        {
            "stream": r["spec"].streams_label,
            "consensus": r["consensus"],
            "domain": r["domain"],
            **_metric_values(r),
        }
        for r in ordered
    ]
    cap = "Each stream alone, its segments combined by each consensus rule (best first per stream)."
    return Section("Single streams: segment consensus", [_table(rows, cols, cap)])


def _fusion_rules(
    ctx: _Ctx, fusions: list[dict[str, Any]], singles: list[dict[str, Any]]
) -> Section:
    best = singles[0]["top1"] if singles else math.nan
    plain = [r for r in fusions if r["spec"].fusion != "weighted"]
    cols = [
        Column("rank", "#", "int"),
        Column("level", "level"),
        Column("consensus", "consensus"),
        Column("fusion", "fusion"),
        Column("domain", "domain"),
        *_metric_columns(ctx.opts.confidence),
        Column("gain", "vs best single", "signed_pct"),
    ]
    rows = [
        {
            "rank": i,
            "level": r["level"],
            "consensus": "" if r["level"] == "flat" else r["consensus"],
            "fusion": r["fusion"],
            "domain": r["domain"],
            **_metric_values(r),
            "gain": r["top1"] - best,
        }
        for i, r in enumerate(plain, start=1)
    ]
    conf = round(100 * ctx.opts.confidence)
    cap = (
        "Stream fusion: two-level (segment consensus inside each stream, then the rule across "
        "streams) and flat (one rule over every stream × segment component); "
        f"{conf}% percentile bootstrap intervals over videos."
    )
    blocks: list[Block] = [_table(rows, cols, cap)]
    data = [
        {
            "label": row_label(r),
            "group": _group(r),
            "top1": r["top1"],
            "low": r["top1_ci_low"],
            "high": r["top1_ci_high"],
        }
        for r in [*fusions, *_best_per_stream(ctx, singles)]
    ]
    data.sort(key=lambda d: -d["top1"])
    blocks.append(
        FigureBlock(
            ctx.fig("rules"),
            "Fusion rules compared",
            f"Top-1 accuracy of every fusion row and of the best rule of each single stream, "
            f"with {conf}% bootstrap intervals; the dashed line is the best single stream.",
            "rule_comparison",
            {"rows": data, "reference": best, "title": f"Fusion rules — {ctx.ev.name}"},
        )
    )
    return Section("Stream fusion rules", blocks)


def _group(r: Mapping[str, Any]) -> str:
    if r["level"] == "single":
        return "single stream"
    if r["spec"].fusion == "weighted":
        return "fixed weights"
    return str(r["level"])


def _best_per_stream(ctx: _Ctx, singles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in ctx.ev.streams:
        mine = [r for r in singles if r["streams"][0] == s]
        if mine:
            out.append(mine[0])
    return out


def _fixed_weights(ctx: _Ctx, weighted: list[dict[str, Any]]) -> Section:
    cols = [
        Column("weights", "stream weights"),
        Column("domain", "domain"),
        *_metric_columns(ctx.opts.confidence),
    ]
    order = {tuple(w): i for i, w in enumerate(ctx.opts.weights_for(ctx.ev))}
    dorder = {d: i for i, d in enumerate(ctx.opts.domains)}
    srt = sorted(
        weighted,
        key=lambda r: (order.get(tuple(r["spec"].weights or ()), 99), dorder.get(r["domain"], 9)),
    )
    rows = [
        {"weights": r["spec"].weights_label, "domain": r["domain"], **_metric_values(r)}
        for r in srt
    ]
    cap = (
        "Fixed stream weights (weighted mean after mean segment consensus), in the order "
        "the options list them."
    )
    return Section("Fixed stream weights", [_table(rows, cols, cap)])


def _tuned(ctx: _Ctx) -> Section:
    """Grid-search and learned rows (:func:`fusionlab.search.summary_rows`): oracle and honest."""
    rows = []
    for r in ctx.tuned:
        w = r.get("weights")
        lo, hi = r.get("diff_ci_low"), r.get("diff_ci_high")
        rows.append(
            {
                "level": r["level"],
                "over": r.get("over") or "",
                "fusion": r.get("fusion") or "",
                "domain": r["domain"],
                "weights": ""
                if w is None
                else format_weights(r.get("components") or r["streams"], w, digits=3),
                "tuned": r["top1"],
                "value": "in-sample" if r["level"] == "learned" else "oracle",
                "honest": r.get("honest_top1"),
                "std": r.get("honest_top1_std"),
                "top5": r["top5"],
                "mean_class_acc": r["mean_class_acc"],
                "diff": r.get("diff_vs_best_single"),
                "ci": None if lo is None or hi is None else (lo, hi),
                "p": r.get("mcnemar_p"),
            }
        )
    cols = [
        Column("level", "level"),
        Column("over", "weights over"),
        Column("fusion", "fusion"),
        Column("domain", "domain"),
        Column("weights", "weights"),
        Column("tuned", "tuned top-1 %", "pct"),
        Column("value", "which"),
        Column("honest", "honest top-1 %", "pct"),
        Column("std", "± %", "pct"),
        Column("top5", "top-5 %", "pct"),
        Column("mean_class_acc", "mean-class %", "pct"),
        Column("diff", "held-out − best single", "signed_pct"),
        Column("ci", f"{round(100 * ctx.opts.confidence)}% CI", "ci"),
        Column("p", "McNemar p", "pvalue"),
    ]
    first = ctx.tuned[0]
    folds, repeats = first.get("folds"), first.get("repeats")
    how = f"{folds}-fold cross-fitting repeated {repeats} times" if folds else "cross-fitting"
    text = (
        "Weights tuned on the labels: the grid search over stream weights (after mean "
        "segment consensus) and over every stream × segment component, and learned "
        "combiners. The tuned top-1 is measured on the videos the weights were tuned on: "
        "for the grid it is the oracle (weights chosen by their accuracy on these labels, "
        "optimistic); for learned combiners it is the in-sample value (fitted by "
        "likelihood, not accuracy: no upper bound, and the honest value can exceed it). "
        f"The honest top-1 comes from {how} (± its spread over repeats). The "
        "held-out predictions are compared with the best single stream (paired bootstrap "
        "interval and McNemar test)."
    )
    return Section(
        "Tuned fusion: oracle / in-sample and honest", [Paragraph(text), _table(rows, cols)]
    )


def _segments(ctx: _Ctx, fact: EvaluationFacts) -> Section | None:
    import pandas as pd

    seg_rows = [r for r in ctx.rows if r["level"] == "segment"]
    if not seg_rows:
        return None
    recs = []
    for r in seg_rows:
        spec: FusionSpec = r["spec"]
        recs.append(
            {
                "stream": spec.streams[0][0],
                "segment": (spec.segment or 0) + 1,
                "top1": r["top1"],
                "low": r["top1_ci_low"],
                "high": r["top1_ci_high"],
            }
        )
    df = pd.DataFrame(recs).sort_values(["segment"], kind="stable")
    order = {s: i for i, s in enumerate(ctx.ev.streams)}
    df = df.sort_values(["stream"], key=lambda c: c.map(order), kind="stable").reset_index(
        drop=True
    )
    fact.segments = df
    n_seg = int(df["segment"].max())
    cols = [Column("stream", "stream")]
    cols += [Column(f"s{j}", f"segment {j} %", "pct") for j in range(1, n_seg + 1)]
    cols.append(Column("all", "mean consensus %", "pct"))
    rows = []
    reference: dict[str, float] = {}
    for s in ctx.ev.streams:
        sub = df[df["stream"] == s]
        if sub.empty:
            continue
        means = [
            r["top1"]
            for r in ctx.rows
            if r["level"] == "single"
            and r["spec"].streams[0] in ctx.latest
            and r["streams"][0] == s
            and r["consensus"] == "mean"
        ]
        ref = max(means) if means else math.nan
        reference[s] = ref
        row: dict[str, Any] = {"stream": s, "all": ref}
        for _, rr in sub.iterrows():
            row[f"s{int(rr['segment'])}"] = rr["top1"]
        rows.append(row)
    cap = (
        "Top-1 accuracy of each segment alone, and of all segments under mean consensus "
        "(the better domain)."
    )
    fig = FigureBlock(
        ctx.fig("segments"),
        "Per-segment accuracy",
        "Top-1 accuracy of each segment alone with bootstrap intervals; dashed lines show mean "
        "consensus over all segments.",
        "segments",
        {
            "frame": df,
            "reference": reference,
            "streams": list(ctx.ev.streams),
            "title": f"Per-segment accuracy — {ctx.ev.name}",
        },
    )
    return Section("Per-segment accuracy", [_table(rows, cols, cap), fig])


#: Keys of an importance row (:func:`fusionlab.importance.summary`) the report needs.
_IMPORTANCE_KEYS = frozenset(
    {
        "over",
        "stream",
        "domain",
        "component",
        "alone_top1",
        "drop_top1",
        "shapley",
        "learned_weight",
        "most_confident_rate",
        "full_top1",
        "empty_value",
    }
)


def _component_label(name: str) -> str:
    """``rgb/seg1`` -> ``rgb:1`` (as in the complementarity tables); other names as they are."""
    head, sep, tail = name.rpartition("/seg")
    return f"{head}:{tail}" if sep and head and tail.isdigit() else name


def _importance(ctx: _Ctx, value: Any, best_fusion: dict[str, Any] | None) -> Section | None:
    """Per-segment and per-stream importance (``Results.extra["importance"]``, a list of
    :func:`fusionlab.importance.summary` rows): a formatted table and a bar plot.

    Returns None when ``value`` is missing or not in that form (it is then shown generically).
    """
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if not all(isinstance(r, Mapping) and _IMPORTANCE_KEYS <= set(r) for r in value):
        return None
    rows: list[dict[str, Any]] = []
    for r in value:
        group = f"segments of {r['stream']}" if r["over"] == "segments" else str(r["over"])
        lw = r["learned_weight"]
        rows.append(
            {
                "group": group,
                "component": _component_label(str(r["component"])),
                "domain": r["domain"],
                "alone": r["alone_top1"],
                "full": r["full_top1"],
                "drop": r["drop_top1"],
                "shapley": r["shapley"],
                "learned": math.nan if lw is None else float(lw),
                "confident": r["most_confident_rate"],
            }
        )
    cols = [
        Column("group", "components"),
        Column("component", "component"),
        Column("domain", "domain"),
        Column("alone", "alone %", "pct"),
        Column("full", "all, mean fusion %", "pct"),
        Column("drop", "leave-one-out drop (points)", "signed_pct"),
        Column("shapley", "Shapley value (points)", "signed_pct"),
        Column("learned", "learned weight", "decimal"),
        Column("confident", "most confident %", "pct"),
    ]
    chance = float(value[0]["empty_value"])
    n_classes = round(1 / chance) if chance > 0 else ctx.n_classes
    cap = (
        "Importance of each segment within its stream and of each stream, for the top-1 "
        "accuracy of mean fusion (sum rule in the prob domain, product rule in logit). "
        "Alone: the component by itself. All: mean fusion of every component of the group. "
        "Leave-one-out drop: all minus mean fusion without this component, in points "
        "(negative: the others do better without it). Shapley value: the component's exact "
        "Shapley value in the game whose value is the accuracy of mean fusion over a subset "
        f"of the group, the empty subset being worth chance (1/C = 1/{n_classes} = "
        f"{_fmt(chance, 'pct')} %), in points; a group's values add up to its all accuracy "
        "minus chance. Learned weight: the learned-linear weight of the component fitted on "
        "all videos (an oracle, weights summing to 1; blank when not fitted). Most "
        "confident: the share of videos on which the component has the highest top-class "
        "probability (ties to the first component)."
    )
    blocks: list[Block] = [_table(rows, cols, cap)]
    domains = list(dict.fromkeys(str(r["domain"]) for r in value))
    dom = domains[0]
    if best_fusion is not None and best_fusion["domain"] in domains:
        dom = str(best_fusion["domain"])
    groups: list[dict[str, Any]] = []
    for r, row in zip(value, rows, strict=True):
        if r["domain"] != dom:
            continue
        if not groups or groups[-1]["title"] != row["group"]:
            groups.append(
                {
                    "title": row["group"],
                    "stream": r["stream"] if r["over"] == "segments" else None,
                    "components": [],
                    "alone": [],
                    "shapley": [],
                    "full": float(r["full_top1"]),
                    "chance": float(r["empty_value"]),
                }
            )
        g = groups[-1]
        label = row["component"]
        if g["stream"] is not None and label.startswith(f"{g['stream']}:"):
            label = label[len(str(g["stream"])) + 1 :]  # the panel names the stream
        g["components"].append(label)
        g["alone"].append(float(r["alone_top1"]))
        g["shapley"].append(float(r["shapley"]))
    if groups:
        blocks.append(
            FigureBlock(
                ctx.fig("importance"),
                "Importance",
                f"Shapley value (solid) and accuracy alone (light) of each segment of each "
                f"stream and of each stream, for mean fusion in the {dom} domain; dashed: "
                "mean fusion of the whole group, dotted: chance (the value of the empty "
                "subset). The Shapley values of a group add up to the distance between the "
                "two lines.",
                "importance",
                {
                    "groups": groups,
                    "streams": list(ctx.ev.streams),
                    "domain": dom,
                    "title": f"Importance ({dom}) — {ctx.ev.name}",
                },
            )
        )
    return Section("Segment and stream importance", blocks)


def _compositions(total: int, k: int) -> list[tuple[int, ...]]:
    """All k-tuples of non-negative integers summing to ``total``, lexicographic."""
    if k == 1:
        return [(total,)]
    out = []
    for first in range(total + 1):
        for rest in _compositions(total - first, k - 1):
            out.append((first, *rest))
    return out


def _weight_curve(
    ctx: _Ctx, fact: EvaluationFacts, best_fusion: dict[str, Any] | None, steps: int
) -> Section | None:
    """The report's own weight grid over two or three streams.

    The optimum is chosen as :mod:`fusionlab.search` chooses it
    (:func:`~fusionlab.search.select_best`): most videos right, ties to the point
    closest to uniform weights (:func:`~fusionlab.search.uniform_distance`), then
    to the first in lexicographic order of the integer weights.
    """
    import pandas as pd

    from ..search import select_best, uniform_distance

    streams = list(ctx.ev.streams)
    if len(streams) not in (2, 3):
        return None
    keys = tuple((s, ctx.ev.epochs(s)[-1]) for s in streams)
    domains = list(ctx.opts.domains)
    total = steps if len(streams) == 2 else max(1, steps // 2)
    comps = _compositions(total, len(streams))
    tie_key = uniform_distance(np.array(comps, dtype=np.int64), total)
    recs = []
    best_of: dict[str, int] = {}
    rights: dict[str, list[int]] = {}
    for d in domains:
        n_right = rights[d] = []
        for comp in comps:
            # Integer weights: normalised exactly (rules.normalize_weights), so the 1:1
            # point equals the table's 1:1 row bit for bit.
            spec = FusionSpec("two-level", keys, "mean", "weighted", d, tuple(map(float, comp)))
            fused = spec.fused(ctx.ev, ctx.cache)[ctx.known]
            right = np.argmax(fused, axis=1) == ctx.y
            n_right.append(int(np.count_nonzero(right)))
            w = [c / total for c in comp]
            recs.append(
                {
                    "domain": d,
                    **{f"w_{s}": wi for s, wi in zip(streams, w, strict=True)},
                    "top1": float(np.mean(right)),
                }
            )
        best_of[d] = len(recs) - len(comps) + select_best(n_right, tie_key)
    df = pd.DataFrame(recs)
    df["best"] = [i in best_of.values() for i in range(len(df))]
    fact.weight_curve = df
    wcols = [f"w_{s}" for s in streams]
    cols = [Column("domain", "domain")]
    cols += [
        Column(c, f"{_stream_title(s)} weight", "float")
        for c, s in zip(wcols, streams, strict=True)
    ]
    cols += [Column("top1", "top-1 %", "pct"), Column("equal", "equal weights %", "pct")]
    rows = []
    for d in domains:
        br = df.iloc[best_of[d]]
        sub = df[df["domain"] == d]
        eq = sub[np.isclose(sub[wcols].to_numpy(), 1 / len(streams)).all(axis=1)]
        rows.append(
            {
                "domain": d,
                **{c: br[c] for c in wcols},
                "top1": br["top1"],
                "equal": float(eq["top1"].iloc[0]) if len(eq) else math.nan,
            }
        )
    step = 1 / total
    names = [_stream_title(s) for s in streams]
    if len(streams) == 2:
        what = (
            f"the {names[1]} weight α in [0, 1] at step {step:g} (the {names[0]} weight is "
            f"1 − α; {total + 1} points)"
        )
        order = (
            f"then to the first in fusionlab.search's enumeration order, which counts the "
            f"{names[0]} weight up from 0 (so the larger α)"
        )
    else:
        what = f"the simplex of weights at step {step:g} ({len(comps)} points)"
        order = (
            "then to the first in fusionlab.search's enumeration order (lexicographic in the "
            f"{':'.join(names)} weights)"
        )
    cap = (
        f"Weighted mean of the streams (after mean segment consensus) over {what}, computed "
        "by the report on the test videos themselves: the best weight is an oracle choice, "
        "optimistic by construction. As in the grid search (fusionlab.search), ties between "
        f"equally accurate weights go to the point closest to equal weights, {order}."
    )
    grid_step = getattr(ctx.opts, "grid_step", None)
    tuned_grid = any(r.get("level") == "grid" and r.get("over") == "streams" for r in ctx.tuned)
    if tuned_grid and grid_step is not None and not math.isclose(float(grid_step), step):
        cap += f" The tuned table's grid uses step {float(grid_step):g}"
        coarse = round(1 / float(grid_step))
        if math.isclose(coarse * float(grid_step), 1.0) and coarse < total and total % coarse == 0:
            # the tuned grid's points are among these: the same rule on them alone
            on = np.flatnonzero((np.array(comps) % (total // coarse) == 0).all(axis=1))
            picks = []
            for d in domains:
                j = on[select_best([rights[d][i] for i in on], tie_key[on])]
                picks.append(f"{':'.join(f'{c / total:g}' for c in comps[j])} ({d})")
            cap += (
                f"; on its points alone the same rule picks {':'.join(names)} {', '.join(picks)}."
            )
        else:
            cap += ", so its best weights can differ where the accuracy is flat."
    plot = "weight_curve" if len(streams) == 2 else "weight_heatmap"
    dom = None
    if best_fusion is not None and best_fusion["domain"] in domains:
        dom = best_fusion["domain"]
    fig_cap = (
        f"Top-1 accuracy against the {names[1]} weight α (the {names[0]} weight is 1 − α), "
        "oracle: tuned on the test videos; the star marks the best weight of each domain "
        "(ties as in the table)."
        if len(streams) == 2
        else "Top-1 accuracy over the stream weights (oracle: tuned on the test videos); the "
        "star marks the best point (ties as in the table)."
    )
    fig = FigureBlock(
        ctx.fig("weights"),
        "Stream weights" if len(streams) == 2 else "Stream weights (simplex)",
        fig_cap,
        plot,
        {
            "frame": df,
            "streams": streams,
            "domain": dom or domains[0],
            "title": f"Stream weights — {ctx.ev.name}",
        },
    )
    blocks: list[Block] = [Paragraph(cap), _table(rows, cols, sortable=False), fig]
    return Section("Stream weights (computed by the report, oracle)", blocks)


def _per_class(
    ctx: _Ctx,
    fact: EvaluationFacts,
    single: dict[str, Any],
    fusion: dict[str, Any],
    n_top: int,
) -> Section:
    import pandas as pd

    c = ctx.n_classes
    ps, pf = ctx.predict(single["spec"]), ctx.predict(fusion["spec"])
    acc_s = metrics.per_class_accuracy(ctx.y, ps, n_classes=c)
    acc_f = metrics.per_class_accuracy(ctx.y, pf, n_classes=c)
    counts = np.bincount(ctx.y, minlength=c)
    df = pd.DataFrame(
        {
            "class": ctx.class_names,
            "index": np.arange(c),
            "videos": counts,
            "single": acc_s,
            "fusion": acc_f,
            "gain": acc_f - acc_s,
        }
    )
    fact.per_class = df
    present = df[df["videos"] > 0].assign(_g=lambda d: d["gain"].round(12))
    gains = present[present["_g"] > 0].sort_values(
        ["_g", "index"], ascending=[False, True], kind="stable"
    )
    losses = present[present["_g"] < 0].sort_values(
        ["_g", "index"], ascending=[True, True], kind="stable"
    )
    n_up, n_down = len(gains), len(losses)
    n_same = len(present) - n_up - n_down
    cols = [
        Column("class", "class"),
        Column("videos", "videos", "int"),
        Column("single", "best single %", "pct"),
        Column("fusion", "best fusion %", "pct"),
        Column("gain", "gain", "signed_pct"),
    ]
    text = (
        f"Per-class top-1 accuracy of the best fusion ({row_label(fusion)}) against the best "
        f"single stream ({row_label(single)}): {n_up} classes gain, {n_down} lose, "
        f"{n_same} are unchanged."
    )
    blocks: list[Block] = [Paragraph(text)]
    if n_up:
        blocks.append(
            _table(gains.head(n_top).to_dict("records"), cols, "Classes that gain the most.")
        )
    if n_down:
        blocks.append(
            _table(losses.head(n_top).to_dict("records"), cols, "Classes that lose the most.")
        )
    else:
        blocks.append(Paragraph("No class loses accuracy."))
    blocks.append(
        FigureBlock(
            ctx.fig("per-class"),
            "Per-class accuracy",
            "Each point is a class: accuracy of the best single stream (x) and of the best fusion "
            "(y); points above the diagonal gain. The classes that gain and lose most are named.",
            "per_class",
            {
                "frame": df,
                "single": row_label(single),
                "fusion": row_label(fusion),
                "n_label": min(n_top, 3),
                "title": f"Per-class accuracy — {ctx.ev.name}",
            },
        )
    )
    return Section("Classes that gain and lose", blocks)


# --------------------------------------------------------------------------- diversity


def _weights_text(w: Any) -> str:
    if w is None or (isinstance(w, float) and math.isnan(w)):
        return ""
    return ":".join(f"{float(v):g}" for v in w)


def _diversity(ctx: _Ctx, tables: Mapping[str, Any], n_top: int) -> Section:
    """Complementarity of the components (:func:`fusionlab.diversity.diversity_for`)."""
    sec = Section(
        "Why fusion helps: complementarity",
        [
            Paragraph(
                "How the errors of the streams, segments and epochs relate, over the videos "
                "with a known label. Yule's Q is near 1 when two components are right and "
                "wrong on the same videos and low or negative when their errors fall on "
                "different videos, which is what lets fusion pay off. The oracle accuracy "
                "counts a video as right when any component gets it right: it bounds max "
                "fusion, majority vote and every single component, but averaging rules can "
                "exceed it."
            )
        ],
    )
    children = [
        _pairwise_section(ctx, tables["pairwise"]),
        _oracle_section(tables["oracle"]),
        _subsets_section(ctx, tables["subsets"]),
        _wins_section(tables["summary"], tables["wins"], n_top),
        _complementarity_section(ctx, tables["per_class"], n_top),
    ]
    sec.children = [c for c in children if c is not None]
    sec.blocks.extend(Paragraph(f"Note: {n}") for n in tables.get("notes", ()))
    return sec


def _pairwise_section(ctx: _Ctx, df: pd.DataFrame) -> Section | None:
    if df.empty:
        return None
    cols = [
        Column("group", "components"),
        Column("domain", "domain"),
        Column("a", "a"),
        Column("b", "b"),
        Column("n11", "both right", "int"),
        Column("n10", "only a", "int"),
        Column("n01", "only b", "int"),
        Column("n00", "both wrong", "int"),
        Column("disagreement", "disagree %", "pct"),
        Column("double_fault", "double fault %", "pct"),
        Column("q", "Q", "decimal"),
        Column("correlation", "correlation", "decimal"),
        Column("oracle", "oracle %", "pct"),
    ]
    cap = (
        "Every pair of streams (mean segment consensus, per domain), of stream × segment "
        "components (each segment alone) and of epochs: videos both get right, only one gets "
        "right, both get wrong; Q and the correlation of the correctness lie in [-1, 1] "
        "(blank: undefined)."
    )
    blocks: list[Block] = [_table(df.to_dict("records"), cols, cap)]
    group = "segments" if (df["group"] == "segments").any() else str(df["group"].iloc[0])
    blocks.append(
        FigureBlock(
            ctx.fig("q-heatmap"),
            "Pairwise Yule's Q",
            f"Yule's Q between every pair of "
            f"{'stream × segment' if group == 'segments' else group} components; low values "
            "mark components whose errors fall on different videos.",
            "q_heatmap",
            {"frame": df, "group": group, "title": f"Pairwise Yule's Q — {ctx.ev.name}"},
        )
    )
    return Section("Pairwise complementarity", blocks)


def _oracle_section(df: pd.DataFrame) -> Section | None:
    if df.empty:
        return None
    rows = [
        {**r, "headroom": r["oracle"] - r["best_single"], "components": r["components"]}
        for r in df.to_dict("records")
    ]
    cols = [
        Column("group", "components"),
        Column("set", "set"),
        Column("domain", "domain"),
        Column("components", "members"),
        Column("best_component", "best member"),
        Column("best_single", "best member %", "pct"),
        Column("oracle", "oracle %", "pct"),
        Column("headroom", "oracle − best", "signed_pct"),
    ]
    cap = (
        "Oracle accuracy of each set of components: a video counts as right when any member "
        "gets it right."
    )
    return Section("Oracle bound", [_table(rows, cols, cap)])


#: What fusionlab.diversity.subset_accuracy searches, and how it breaks ties.
_SUBSET_TIES = (
    "The weights searched are the step-0.1 grid plus equal weights on the subset and on each of "
    "its subsets (which the grid misses where it cannot express 1/3), so the best is never "
    "below the mean. Ties between equally accurate weights go, as in the grid search, to the "
    "weights closest to equal, then to the first in enumeration order."
)


def _subsets_section(ctx: _Ctx, df: pd.DataFrame) -> Section | None:
    if df.empty:
        return None
    flat = df.reset_index()
    domains = list(dict.fromkeys(str(d) for d in flat["domain"]))
    sets = list(dict.fromkeys(str(s) for s in flat["set"]))
    blocks: list[Block] = []
    cols = [Column("set", "set"), Column("subset", "segments")]
    for d in domains:
        cols += [
            Column(f"mean_{d}", f"mean {d} %", "pct"),
            Column(f"best_{d}", f"best {d} %", "pct"),
            Column(f"w_{d}", f"best weights {d}"),
        ]
    rows: list[dict[str, Any]] = []
    flat_rows: list[dict[str, Any]] = []
    for s in sets:
        sub = flat[flat["set"] == s]
        for subset in dict.fromkeys(sub["subset"]):
            rec: dict[str, Any] = {"set": s, "subset": subset}
            for d in domains:
                hit = sub[(sub["subset"] == subset) & (sub["domain"] == d)]
                if len(hit):
                    rec[f"mean_{d}"] = float(hit["mean_acc"].iloc[0])
                    rec[f"best_{d}"] = float(hit["best_acc"].iloc[0])
                    rec[f"w_{d}"] = _weights_text(hit["best_weights"].iloc[0])
            (flat_rows if s == "flat" else rows).append(rec)
    d0 = domains[0]
    if rows:
        blocks.append(
            _table(
                rows,
                cols,
                "Accuracy of each subset of a stream's segments (1+2: segments 1 and 2 "
                "only): mean fusion, and the best fixed weights on the subset (an oracle, "
                f"tuned on these videos). {_SUBSET_TIES}",
            )
        )
    if flat_rows:
        order = sorted(
            range(len(flat_rows)), key=lambda i: (-flat_rows[i].get(f"mean_{d0}", -1.0), i)
        )
        shown = [flat_rows[i] for i in order[:MAX_FLAT_SUBSETS]]
        blocks.append(
            _table(
                shown,
                cols,
                f"The {len(shown)} best of the {len(flat_rows)} subsets of all stream × segment "
                f"components by mean accuracy ({d0} domain); best fixed weights"
                + (
                    " searched and ties broken as in the table above."
                    if rows
                    else f" (an oracle, tuned on these videos). {_SUBSET_TIES}"
                ),
            )
        )
    streams = [s for s in sets if s != "flat"]
    if streams:
        blocks.append(
            FigureBlock(
                ctx.fig("subsets"),
                "Segment subsets",
                "Top-1 accuracy of mean fusion over every subset of each stream's segments "
                f"({d0} domain), with the best fixed weights on the subset (oracle).",
                "subset_accuracy",
                {
                    "frame": df,
                    "sets": streams,
                    "domain": d0,
                    "title": f"Segment subsets ({d0}) — {ctx.ev.name}",
                },
            )
        )
    return Section("Segment subsets", blocks)


def _classes(n: int) -> str:
    return f"{n} class" if n == 1 else f"{n} classes"


def _wins_section(
    summary: Mapping[str, Any] | None, wins: pd.DataFrame, n_top: int
) -> Section | None:
    if summary is None:
        return None
    s = summary
    text = (
        f"The best fusion ({s['fusion']}, {_fmt(s['fusion_top1'], 'pct')} %) against the best "
        f"single stream ({s['single']}, {_fmt(s['single_top1'], 'pct')} %) on {s['n_videos']} "
        f"videos: it fixes {s['fixed']} videos the single stream gets wrong and breaks "
        f"{s['broken']} it gets right, a net change of {s['net']:+d} videos "
        f"({_fmt(s['fusion_top1'] - s['single_top1'], 'signed_pct')} points). "
        f"{s['fixed_all_wrong']} videos come out right although every fused component is "
        "wrong (these need not be among the fixed ones: a stream's consensus can be right "
        "when each of its segments is wrong)."
    )
    blocks: list[Block] = [Paragraph(text)]
    changed = wins[(wins["fixed"] > 0) | (wins["broken"] > 0)] if not wins.empty else wins
    if not changed.empty:
        recs = changed.to_dict("records")
        recs.sort(key=lambda r: (-abs(int(r["net"])), -int(r["fixed"]), int(r["class"])))
        cols = [
            Column("class_name", "class"),
            Column("n_videos", "videos", "int"),
            Column("fixed", "fixed", "int"),
            Column("fixed_all_wrong", "right, every component wrong", "int"),
            Column("broken", "broken", "int"),
            Column("net", "net", "int"),
        ]
        blocks.append(
            _table(
                recs[: 2 * n_top],
                cols,
                f"The {min(len(recs), 2 * n_top)} of {len(recs)} changed classes with the "
                "largest net change.",
            )
        )
    blocks.append(
        Link(
            "Every fixed and broken video, with its id, true class and both predictions, "
            "for all evaluations:",
            VIDEOS_CSV,
            VIDEOS_CSV,
        )
    )
    return Section("Where fusion wins and loses", blocks)


def _complementarity_section(ctx: _Ctx, df: pd.DataFrame, n_top: int) -> Section | None:
    if df.empty:
        return None
    streams = [c[len("acc_") :] for c in df.columns if c.startswith("acc_")]
    present = df[df["n_videos"] > 0]
    parts = []
    if len(streams) > 1:
        tie = present["margin"] == 0
        for s in streams:
            n_better = int(((present["better"] == s) & ~tie).sum())
            parts.append(f"{s} is better on {n_better}")
        parts.append(f"they tie on {int(tie.sum())}")
    gain = present["gain"].round(12)
    text = (
        ("Of the classes with videos, " + ", ".join(parts) + "; " if parts else "")
        + f"the best fusion beats the better stream on {_classes(int((gain > 0).sum()))}, "
        f"matches it on {_classes(int((gain == 0).sum()))} and loses on "
        f"{_classes(int((gain < 0).sum()))}."
    )
    text = text[0].upper() + text[1:]
    recs = present.to_dict("records")
    recs.sort(key=lambda r: (-(r["margin"] if r["margin"] == r["margin"] else -1.0), r["class"]))
    cols = [Column("class_name", "class"), Column("n_videos", "videos", "int")]
    cols += [Column(f"acc_{s}", f"{s} %", "pct") for s in streams]
    if len(streams) > 1:
        cols += [Column("better", "better"), Column("margin", "margin", "pct")]
    cols += [
        Column("fused_acc", "fusion %", "pct"),
        Column("gain", "fusion − better", "signed_pct"),
    ]
    shown = recs[: 2 * n_top]
    cap = (
        f"The {len(shown)} classes where the streams differ most (of {len(recs)}); gain of the "
        "best fusion over the better stream."
    )
    return Section("Per-class complementarity", [Paragraph(text), _table(shown, cols, cap)])


def _confusion(
    ctx: _Ctx, fact: EvaluationFacts, ref: dict[str, Any], *, is_fusion: bool
) -> Section:
    cm = metrics.confusion_matrix(ctx.y, ctx.predict(ref["spec"]), n_classes=ctx.n_classes)
    fact.confusion = cm
    which = "best fusion" if is_fusion else "best single stream"
    off = cm.copy()
    np.fill_diagonal(off, 0)
    blocks: list[Block] = []
    if off.any():
        flat = off.ravel()
        order = np.lexsort((np.arange(flat.size), -flat))[:5]
        rows = [
            {
                "true": ctx.class_names[int(i) // ctx.n_classes],
                "pred": ctx.class_names[int(i) % ctx.n_classes],
                "count": int(flat[i]),
                "share": flat[i] / max(1, cm[int(i) // ctx.n_classes].sum()),
            }
            for i in order
            if flat[i] > 0
        ]
        cols = [
            Column("true", "true class"),
            Column("pred", "predicted as"),
            Column("count", "videos", "int"),
            Column("share", "% of the class", "pct"),
        ]
        blocks.append(_table(rows, cols, f"Most frequent confusions of the {which}."))
    blocks.append(
        FigureBlock(
            ctx.fig("confusion"),
            "Confusion matrix",
            f"Confusion matrix of the {which} ({row_label(ref)}), rows normalised to the "
            "fraction of each true class.",
            "confusion",
            {
                "matrix": cm,
                "class_names": ctx.class_names,
                "title": f"Confusion matrix, {which} — {ctx.ev.name}",
            },
        )
    )
    return Section(f"Confusion matrix of the {which}", blocks)


def _reliability(
    ctx: _Ctx, fact: EvaluationFacts, singles: list[dict[str, Any]], fusion: dict[str, Any] | None
) -> Section:
    chosen = _best_per_stream(ctx, singles)
    if fusion is not None:
        chosen.append(fusion)
    cols = [
        Column("label", "scores"),
        Column("nll", "NLL", "decimal"),
        Column("ece", "ECE %", "pct"),
        Column("top1", "top-1 %", "pct"),
        Column("conf", "mean confidence %", "pct"),
    ]
    rows = []
    series = []
    for r in chosen:
        logp = ctx.log_probs(r["spec"])
        bins = metrics.reliability_bins(ctx.y, logp, n_bins=15)
        label = row_label(r)
        fact.reliability[label] = bins
        conf = float(np.mean(np.exp(logp.max(axis=1))))
        rows.append(
            {"label": label, "nll": r["nll"], "ece": r["ece"], "top1": r["top1"], "conf": conf}
        )
        key = "fused" if r["level"] in FUSION_LEVELS else r["streams"][0]
        series.append({"label": label, "key": key, "bins": bins, "ece": r["ece"]})
    cap = (
        "Calibration of the best rule of each stream and of the best fusion: a confidence above "
        "the accuracy means over-confidence. ECE: top-label expected calibration error, "
        "15 equal-width bins."
    )
    fig = FigureBlock(
        ctx.fig("reliability"),
        "Reliability diagram",
        "Accuracy against top-label confidence in 15 bins, per stream and fused; the diagonal "
        "is perfect calibration. The lower panel counts the videos per bin.",
        "reliability",
        {"series": series, "title": f"Reliability — {ctx.ev.name}"},
    )
    return Section("Calibration", [_table(rows, cols, cap), fig])


def _learning_curve(
    ctx: _Ctx, fact: EvaluationFacts, best_fusion: dict[str, Any] | None
) -> Section | None:
    import pandas as pd

    ev = ctx.ev
    multi = [s for s in ev.streams if len([e for e in ev.epochs(s) if e is not None]) > 1]
    if not multi:
        return None
    domain = "prob"
    if best_fusion is not None and best_fusion["domain"] != "any":
        domain = best_fusion["domain"]
    epochs = sorted({e for s in ev.streams for e in ev.epochs(s) if e is not None})
    recs: list[dict[str, Any]] = []
    for e in epochs:
        rec: dict[str, Any] = {"epoch": e}
        for s in ev.streams:
            if (s, e) not in ev.sets:
                rec[s] = math.nan
                continue
            spec = FusionSpec("single", ((s, e),), "mean", None, cast(Domain, domain))
            rec[s] = float(np.mean(ctx.correct(spec)))
        if best_fusion is not None:
            bspec: FusionSpec = best_fusion["spec"]
            keys = tuple((s, e) for s, _ in bspec.streams)
            if all(k in ev.sets for k in keys):
                rec["fused"] = float(np.mean(ctx.correct(dataclasses.replace(bspec, streams=keys))))
            else:
                rec["fused"] = math.nan
        recs.append(rec)
    df = pd.DataFrame(recs)
    fact.learning_curve = df
    cols = [Column("epoch", "epoch", "int")]
    cols += [Column(s, f"{s} %", "pct") for s in ev.streams]
    fused_label = ""
    if best_fusion is not None:
        fused_label = row_label(best_fusion).split(" ", 1)[1]
        cols.append(Column("fused", "fused %", "pct"))
    text = (
        f"Top-1 accuracy at each evaluated epoch: each stream under mean consensus ({domain} "
        "domain)"
        + (
            f", and the best fusion rule ({fused_label}) applied to the same epoch of every stream"
            if best_fusion is not None
            else ""
        )
        + "."
    )
    fig = FigureBlock(
        ctx.fig("learning-curve"),
        "Learning curve",
        "Top-1 accuracy per evaluated epoch, per stream and fused.",
        "learning_curve",
        {"frame": df, "streams": list(ev.streams), "title": f"Learning curve — {ev.name}"},
    )
    return Section("Learning curve", [Paragraph(text), _table(df.to_dict("records"), cols), fig])


def _overview_section(results: Results) -> Section:
    import pandas as pd

    rows = []
    for ev in results.evaluations:
        rs = results.rows(ev.name)
        latest = {(s, ev.epochs(s)[-1]) for s in ev.streams}
        singles = [r for r in rs if r["level"] == "single" and r["spec"].streams[0] in latest]
        fusions = [r for r in rs if r["level"] in FUSION_LEVELS]
        bs = singles[0] if singles else None
        bf = fusions[0] if fusions else None
        rows.append(
            {
                "evaluation": ev.name,
                "videos": int((ev.labels >= 0).sum()),
                "single": row_label(bs) if bs else "",
                "single_top1": bs["top1"] if bs else math.nan,
                "fusion": row_label(bf) if bf else "",
                "fusion_top1": bf["top1"] if bf else math.nan,
                "gain": bf["top1"] - bs["top1"] if bf and bs else math.nan,
            }
        )
    cols = [
        Column("evaluation", "evaluation"),
        Column("videos", "videos", "int"),
        Column("single", "best single stream"),
        Column("single_top1", "top-1 %", "pct"),
        Column("fusion", "best fusion"),
        Column("fusion_top1", "top-1 %", "pct"),
        Column("gain", "gain", "signed_pct"),
    ]
    blocks: list[Block] = [_table(rows, cols, "Best rows of each evaluation.")]
    # Means over the splits of one dataset and subset (never across datasets or
    # subsets): rows matched by rule, streams and weights (evaluate.split_means).
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in results.extra.get("split_means", []):
        groups.setdefault(split_title(m), []).append(m)
    for title, means in groups.items():
        df = pd.DataFrame(
            [
                {
                    "label": _split_label(m),
                    "level": m["level"],
                    "mean": m.get("honest_top1_mean", m["top1_mean"]),
                    "std": m.get("honest_top1_std", m["top1_std"]),
                    **{
                        f"e{j}": a
                        for j, a in enumerate(m.get("honest_top1_per_split", m["top1_per_split"]))
                    },
                }
                for m in means
            ]
        )
        df["_order"] = np.arange(len(df))
        top = df[df["level"].isin((*FUSION_LEVELS, "grid", "learned"))].head(10)
        single = (
            df[df["level"] == "single"]
            .groupby(df["label"].str.split(" ").str[0], sort=False)
            .head(1)
        )
        shown = pd.concat([top, single]).drop_duplicates("_order").sort_values("_order")
        splits = means[0]["splits"]
        cols2 = [
            Column("label", "rule"),
            Column("mean", "mean top-1 %", "pct"),
            Column("std", "std %", "pct"),
        ]
        cols2 += [Column(f"e{j}", f"split {n} %", "pct") for j, n in enumerate(splits)]
        blocks.append(
            _table(
                shown.to_dict("records"),
                cols2,
                f"{title}: rows present in all {len(splits)} splits, matched by rule, streams "
                "and weights; the ten best fusion rows and the best rule of each single stream. "
                "Mean and sample standard deviation over splits; tuned rows (tuned on each "
                "split separately) by their honest top-1.",
            )
        )
    return Section("Overview", blocks)


def _split_label(m: Mapping[str, Any]) -> str:
    """A readable label of a :func:`~fusionlab.evaluate.split_means` row (no epochs)."""
    spec: FusionSpec | None = m.get("spec")
    if spec is not None:
        return row_label({"spec": spec}).replace(spec.streams_label, "+".join(m["streams"]), 1)
    dom = f" ({m['domain']})"
    over = f" over {m['over']}" if m.get("over") else ""
    return f"{'+'.join(m['streams'])} {m['fusion']}{over}{dom}"


def _short_names(names: list[str]) -> list[str]:
    """Evaluation names without the parts they all share (``split1`` for ``d/split1/test``)."""
    parts = [n.split("/") for n in names]
    if len({len(p) for p in parts}) != 1:
        return names
    keep = [j for j in range(len(parts[0])) if len({p[j] for p in parts}) > 1]
    if not keep:
        return names
    return ["/".join(p[j] for j in keep) for p in parts]


def _notes_section(results: Results) -> Section:
    o = results.options
    conf = round(100 * o.confidence)
    lines = [
        "Accuracies are top-1, top-5 and mean-class accuracy (mean per-class recall) over the "
        "videos with a known label. Ties in scores go to the lowest class index.",
        (
            f"Intervals are {conf}% percentile bootstrap intervals over videos "
            f"({o.bootstrap} resamples, seed {o.seed}); every row of an evaluation uses the same "
            "resamples, so intervals are paired."
            if o.bootstrap
            else "Bootstrap intervals were turned off (bootstrap = 0)."
        ),
        "Domain prob fuses probabilities (the mean is the sum rule); logit fuses "
        "log-probabilities (the mean is the product rule). Rules whose decisions do not depend "
        "on the domain (max, min, vote, single segments) are listed once, as any.",
        "Best rows are chosen by looking at the test labels, so their accuracy is optimistic; "
        "honest (cross-fitted) estimates come from the grid search and learned fusion when "
        "they are part of the results.",
    ]
    return Section("Notes", [Paragraph(t) for t in lines])


# --------------------------------------------------------------------------- extras


def _extra_section(name: str, value: Any, *, level: int, prefix: str) -> Section:
    title = EXTRA_TITLES.get(name, name.replace("_", " ").capitalize())
    sec = Section(title, level=level)
    sec.blocks.extend(_generic_blocks(value, path=name, depth=0))
    if not sec.blocks:
        sec.blocks.append(Paragraph("(empty)"))
    return sec


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.generic))


def _scalar_text(v: Any) -> tuple[Any, CellKind]:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool) or v is None:
        return ("" if v is None else str(v)), "text"
    if isinstance(v, int):
        return v, "int"
    if isinstance(v, float):
        return v, "float"
    return str(v), "text"


def _short(v: Any) -> str:
    """A readable, deterministic one-line text of a small value."""
    if _is_scalar(v):
        from .format import format_cell

        val, kind = _scalar_text(v)
        return format_cell(val, kind)
    if isinstance(v, np.ndarray) and v.ndim <= 1 and v.size <= 16:
        return "[" + ", ".join(_short(x) for x in v.tolist()) + "]"
    if isinstance(v, (list, tuple)) and len(v) <= 16 and all(_is_scalar(x) for x in v):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    if isinstance(v, np.ndarray):
        return f"array of shape {tuple(v.shape)}"
    return f"({type(v).__name__})"


def _as_items(value: Any) -> list[tuple[str, Any]] | None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    return None


def _frame_table(df: pd.DataFrame, caption: str) -> Table:
    import pandas as pd

    cols = []
    data = {}
    shown = df.head(MAX_GENERIC_ROWS)
    if not isinstance(shown.index, pd.RangeIndex):
        shown = shown.reset_index()
    for j, c in enumerate(shown.columns):
        key = f"c{j}"
        s = shown[c]
        kind: CellKind
        vals: list[Any]
        if pd.api.types.is_bool_dtype(s):
            kind, vals = "text", [str(bool(x)) for x in s]
        elif pd.api.types.is_integer_dtype(s):
            kind, vals = "int", [int(x) for x in s]
        elif pd.api.types.is_float_dtype(s):
            kind, vals = "float", [float(x) for x in s]
        else:
            kind, vals = "text", [_short(x) for x in s]
        cols.append(Column(key, str(c), kind))
        data[key] = pd.Series(vals, dtype=object)
    if len(df) > MAX_GENERIC_ROWS:
        caption = (
            caption + " " if caption else ""
        ) + f"First {MAX_GENERIC_ROWS} of {len(df)} rows."
    return Table(cols, pd.DataFrame(data, columns=[c.key for c in cols]), caption)


def _generic_blocks(value: Any, *, path: str, depth: int) -> list[Block]:
    """Tables and text for an arbitrary result object, deterministically."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [_frame_table(value, "")]
    if isinstance(value, pd.Series):
        return [_frame_table(value.to_frame(name=value.name or "value"), "")]
    if (
        isinstance(value, (list, tuple))
        and value
        and all(
            (dataclasses.is_dataclass(v) and not isinstance(v, type)) or isinstance(v, Mapping)
            for v in value
        )
    ):
        recs = []
        for v in value:
            items = _as_items(v) or []
            recs.append({k: (x if _is_scalar(x) else _short(x)) for k, x in items})
        return [_frame_table(pd.DataFrame(recs), "")]
    maybe_items = _as_items(value)
    if maybe_items is None:
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.size <= 400:
            return [_frame_table(pd.DataFrame(value), "")]
        return [Paragraph(f"{path}: {_short(value)}")]
    items = maybe_items
    scalars = [(k, v) for k, v in items if not _nested(v)]
    nested = [(k, v) for k, v in items if _nested(v)]
    blocks: list[Block] = []
    if scalars:
        cols = [Column("item", "item"), Column("value", "value")]
        blocks.append(
            _table([{"item": k, "value": _short(v)} for k, v in scalars], cols, sortable=False)
        )
    for k, v in nested:
        if depth >= 3:
            blocks.append(Paragraph(f"{k}: {_short(v)}"))
            continue
        inner = _generic_blocks(v, path=f"{path}.{k}", depth=depth + 1)
        for b in inner:
            if isinstance(b, Table) and not b.caption:
                b.caption = k
        blocks.extend(inner)
    return blocks


def _nested(v: Any) -> bool:
    import pandas as pd

    if isinstance(v, (pd.DataFrame, pd.Series)):
        return True
    if isinstance(v, np.ndarray):
        return v.ndim == 2 and v.size <= 400
    if isinstance(v, Mapping) or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
        return True
    return isinstance(v, (list, tuple)) and bool(v) and not all(_is_scalar(x) for x in v)
