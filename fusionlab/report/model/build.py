"""The report of a :class:`~fusionlab.evaluate.Results`: :func:`build_model` assembles it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from ...evaluate import Results
from ..format import Slugger
from .blocks import EvaluationFacts, ExplorerBlock, Paragraph, ReportModel, Section
from .classes import (
    confusion_section,
    learning_curve_section,
    per_class_section,
    reliability_section,
)
from .complementarity import VIDEOS_CSV, diversity_section
from .context import FUSION_LEVELS, EvalContext
from .extras import extra_section
from .overview import notes_section, overview_section, summary_section
from .rows import (
    comparison_section,
    fixed_weights_section,
    fusion_rules_section,
    singles_section,
    tuned_section,
)
from .segments import importance_section, segments_section
from .views import VIEW_EXTRAS, coverage_section, views_section
from .weight_curve import weight_curve_section

#: Entries of ``Results.extra`` that the complementarity section already shows
#: (the pair statistics of the streams, a subset of its pairwise table).
COVERED_EXTRAS = frozenset({"complementarity"})
#: Entries of ``Results.extra`` shown in the summary and comparison sections.
SHOWN_EXTRAS = frozenset({"comparisons", "best_of_many"})


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
    from ... import __version__

    if n_top_classes < 1:
        from ...errors import UsageError

        raise UsageError(f"n_top_classes must be >= 1, got {n_top_classes}")
    steps = 1.0 / weight_step if weight_step > 0 else math.inf
    if not (math.isfinite(steps) and abs(steps - round(steps)) < 1e-9 and 1 <= round(steps)):
        from ...errors import UsageError

        raise UsageError(f"weight_step must divide 1 evenly (e.g. 0.05), got {weight_step}")

    from ...evaluate.diversity import diversity_for
    from ...render.diversity import videos_csv

    evs = results.evaluations
    sections: list[Section] = []
    facts: list[EvaluationFacts] = []
    extras_by_ev, extras_global = _split_extras(results.extra, [ev.name for ev in evs])
    # diversity analyses the rule rows (those with a FusionSpec), not the tuned rows.
    plain = dataclasses.replace(
        results, records=[r for r in results.records if r.get("spec") is not None]
    )
    div = diversity_for(plain)
    blocks = _explorer_blocks(results) if explorer else None
    if len(evs) > 1:
        sections.append(overview_section(results))
    for i, ev in enumerate(evs):
        prefix = "" if len(evs) == 1 else f"e{i + 1}-"
        ctx = EvalContext(results, ev, prefix)
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
            sec.children.append(extra_section(name, value, level=3, prefix="x-"))
        sections.append(sec)
    sections.append(notes_section(results))

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
        files={VIDEOS_CSV: videos_csv(div)},
        explorer=None if blocks is None else blocks[1],
        explorer_json="" if blocks is None else blocks[2],
    )


def _explorer_blocks(results: Results) -> tuple[list[ExplorerBlock], Any, str]:
    """One :class:`ExplorerBlock` per evaluation, the explorer data and the report's JSON."""
    from ... import explorer as fx

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
    ctx: EvalContext,
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
    sec.children.append(summary_section(ctx))
    cov = coverage_section(ctx, extras.get("coverage"))
    if cov is not None:
        sec.children.append(cov)
    if best_single is not None and best_fusion is not None:
        sec.children.append(comparison_section(ctx, fact, best_single, best_fusion))
    sec.children.append(singles_section(ctx, singles))
    views = views_section(ctx, extras.get("views"))
    if views is not None:
        sec.children.append(views)
    if fusions:
        sec.children.append(fusion_rules_section(ctx, fusions, singles))
    weighted = [r for r in fusions if r["spec"].fusion == "weighted"]
    if weighted:
        sec.children.append(fixed_weights_section(ctx, weighted))
    if ctx.tuned:
        sec.children.append(tuned_section(ctx))
    seg = segments_section(ctx, fact)
    if seg is not None:
        sec.children.append(seg)
    imp = importance_section(ctx, extras.get("importance"), best_fusion)
    if imp is not None:
        sec.children.append(imp)
    # The report draws its own weight curve even when a grid search is among the
    # extras: those are rendered generically (tables), not plotted.
    wc = weight_curve_section(ctx, fact, best_fusion, steps)
    if wc is not None:
        sec.children.append(wc)
    if explorer is not None:
        sec.children.append(Section("Fusion explorer", [explorer]))
    ref = best_fusion or best_single
    if best_single is not None and best_fusion is not None:
        sec.children.append(per_class_section(ctx, fact, best_single, best_fusion, n_top))
    if diversity is not None:
        fact.diversity = dict(diversity)
        sec.children.append(diversity_section(ctx, diversity, n_top))
    if ref is not None:
        sec.children.append(confusion_section(ctx, fact, ref, is_fusion=best_fusion is not None))
        sec.children.append(reliability_section(ctx, fact, singles, best_fusion))
    lc = learning_curve_section(ctx, fact, best_fusion)
    if lc is not None:
        sec.children.append(lc)
    for name, value in extras.items():
        if name in SHOWN_EXTRAS:
            continue
        if name in COVERED_EXTRAS and diversity is not None:
            continue  # the complementarity section shows these (and more)
        if name == "importance" and imp is not None:
            continue  # shown above, formatted
        if name == "groups" or name in VIEW_EXTRAS:
            continue  # groups: in the summary and the notes; views, coverage: their sections
        sec.children.append(extra_section(name, value, level=3, prefix=ctx.fig("x-")))
    for child in sec.children:
        for s in child.walk():
            s.level = 3 if s is child else max(s.level, 4)
    return sec, fact
