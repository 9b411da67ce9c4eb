"""The diversity tables of one pipeline :class:`~fusionlab.evaluate.Results`.

:func:`diversity_for` chooses, for each evaluation of a result, the fusion to
analyse and its single-stream baselines (rows of the table, by their
:class:`~fusionlab.fused.FusionSpec`) and computes every table of
:mod:`fusionlab.diversity`; :func:`diversity_files` loads score files and
evaluates them first. Rendering is :mod:`fusionlab.render.diversity`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..diversity import (
    MAX_SUBSET_COMPONENTS,
    oracle,
    pairwise,
    per_class,
    spec_label,
    subsets,
    wins_losses,
)
from ..diversity.components import check_domains
from ..fused import FusionSpec
from ..rules import DOMAINS, Domain
from ..scores import Evaluation
from .options import EvaluateOptions
from .pipeline import Results, evaluate, load_evaluations

__all__ = ["diversity_files", "diversity_for"]


def _pick_rows(
    results: Results, ev: Evaluation, fusion: FusionSpec | None
) -> tuple[FusionSpec | None, FusionSpec | None, dict[str, FusionSpec]]:
    """The fusion spec, the single baseline and the best single row of each fused stream."""
    rows = results.rows(ev.name)
    # tuned rows (grid, learned) carry no spec: their weights were chosen on these videos
    specs: list[FusionSpec] = [r["spec"] for r in rows if r.get("spec") is not None]
    if fusion is None:
        multi = len(ev.streams) >= 2
        levels = ("two-level", "flat") if multi else ("single",)
        fusion = next((s for s in specs if s.level in levels), specs[0] if specs else None)
    if fusion is None:
        return None, None, {}
    used = set(fusion.streams)
    per_stream: dict[str, FusionSpec] = {}
    for s in specs:
        if s.level == "single" and s.streams[0] in used and s.streams[0][0] not in per_stream:
            per_stream[s.streams[0][0]] = s
    ordered = {k[0]: per_stream[k[0]] for k in fusion.streams if k[0] in per_stream}
    if len(fusion.streams) >= 2:
        level = "single"
    else:
        level = "segment"
    single = next((s for s in specs if s.level == level and s.streams[0] in used), None)
    return fusion, single, ordered


def diversity_for(
    results: Results,
    *,
    step: float = 0.1,
    max_components: int = MAX_SUBSET_COMPONENTS,
    fusion: FusionSpec | Mapping[str, FusionSpec] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every diversity table for each evaluation of an :func:`~fusionlab.evaluate.evaluate` result.

    Parameters
    ----------
    results : Results
        Its options' domains are used.
    step : float, default 0.1
        Weight-grid step of the subset search.
    max_components : int, default 10
        Larger component sets are skipped for subsets (noted).
    fusion : FusionSpec or mapping of evaluation name to FusionSpec, optional
        The fusion whose wins and losses are analysed. By default the top row
        of the table among the two-level and flat fusions (among the
        single-stream rows for a one-stream evaluation). It is compared with
        the best single-stream row of the streams it fuses (the best single
        segment for a one-stream evaluation).

    Returns
    -------
    dict
        Evaluation name -> dict with DataFrames ``pairwise``, ``oracle``,
        ``subsets``, ``wins`` (per class), ``videos``, ``per_class`` (each
        may be empty), plus ``summary`` (dict or None), ``fusion`` and
        ``single`` (labels or None) and ``notes`` (list of str).
    """
    import pandas as pd

    doms = tuple(results.options.domains)
    out: dict[str, dict[str, Any]] = {}
    for ev in results.evaluations:
        chosen = fusion.get(ev.name) if isinstance(fusion, Mapping) else fusion
        fspec, sspec, per_stream = _pick_rows(results, ev, chosen)
        sub, notes = subsets(ev, domains=doms, step=step, max_components=max_components)
        tables: dict[str, Any] = {
            "pairwise": pairwise(ev, domains=doms),
            "oracle": oracle(ev, domains=doms),
            "subsets": sub,
            "wins": pd.DataFrame(),
            "videos": pd.DataFrame(),
            "per_class": pd.DataFrame(),
            "summary": None,
            "fusion": None if fspec is None else spec_label(fspec),
            "single": None if sspec is None else spec_label(sspec),
            "notes": notes,
        }
        if fspec is not None and sspec is not None:
            wl = wins_losses(ev, fusion=fspec, single=sspec)
            tables.update(wins=wl.per_class, videos=wl.videos, summary=wl.summary)
        else:
            notes.append(f"{ev.name}: no single baseline to compare the fusion with")
        if fspec is not None and per_stream:
            tables["per_class"] = per_class(ev, streams=per_stream, fusion=fspec)
        out[ev.name] = tables
    return out


def diversity_files(
    patterns: Sequence[str],
    *,
    domains: Sequence[Domain] = DOMAINS,
    allow_partial: bool = False,
    step: float = 0.1,
    progress: bool = False,
) -> tuple[Results, dict[str, dict[str, Any]]]:
    """Load score files, compute the main table (no bootstrap) and every diversity table."""
    _, evs = load_evaluations(patterns, allow_partial=allow_partial)
    opts = EvaluateOptions(domains=check_domains(domains), bootstrap=0, allow_partial=allow_partial)
    results = evaluate(evs, options=opts, progress=progress)
    return results, diversity_for(results, step=step)
