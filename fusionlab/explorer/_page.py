"""The explorer's HTML: the data script, the inlined assets and the standalone page."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from importlib import resources
from typing import Any

from ._data import PAGE_BUDGET, EvaluationData, ExplorerData

__all__ = ["CSP", "EXACTNESS", "assets", "data_json", "render_page", "write_page"]

#: The page may run its inline scripts and styles and show data: images; nothing else.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
#: One paragraph stating the guarantee, shown in the pages.
EXACTNESS = (
    "The page recomputes fused predictions from data that fusionlab embedded: the float64 "
    "operands of its weighted sum (each stream's segment consensus, already normalised by "
    "fusionlab, and their exponentials in the probability domain) for every (video, class) "
    "pair whose ranking against the true class can depend on the weights; pairs whose "
    "ranking is the same for every weight vector are settled by fusionlab with a rigorous "
    "rounding-error bound. The page divides integer weights by their integer sum once, adds "
    "the products left to right and breaks ties to the lowest class index, the same IEEE "
    "operations fusionlab performs, so top-1, top-5 and mean class accuracy are exactly "
    "those of `python -m fusionlab.explorer` (and of the evaluate rows with the same weights)."
)


def assets() -> tuple[str, str]:
    """The explorer's CSS and JavaScript, to inline into a page."""
    pkg = resources.files("fusionlab.explorer")
    return (
        pkg.joinpath("explorer.css").read_text("utf-8"),
        pkg.joinpath("explorer.js").read_text("utf-8"),
    )


def _meta(ed: EvaluationData, with_segments: bool) -> dict[str, Any]:
    fams = ed.stream_families + (ed.segment_families if with_segments else [])
    return {**ed.meta, "families": [f.to_json() for f in fams]}


def data_json(selection: Sequence[tuple[EvaluationData, bool]]) -> str:
    """The content of the ``<script type="application/json" id="fx-data">`` element.

    ``<``, ``>`` and ``&`` are escaped (``\\u003c`` ...), so no text from a
    score file can close the script element.
    """
    doc = {"evaluations": [_meta(ed, seg) for ed, seg in selection]}
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(
    data: ExplorerData,
    *,
    names: Sequence[str],
    title: str = "fusionlab fusion explorer",
    budget: int = PAGE_BUDGET,
    version: str | None = None,
) -> str:
    """The standalone explorer page (one self-contained HTML file).

    Parameters
    ----------
    data : ExplorerData
    names : sequence of str
        Evaluation names, in the order of ``data.evaluations``.
    title : str
    budget : int
        Characters of embedded data allowed (see :meth:`ExplorerData.select`).
    version : str, optional
        fusionlab version shown in the footer (default: the installed one).
    """
    if version is None:
        from .. import __version__

        version = __version__
    css, js = assets()
    selection, notes = data.select(budget)
    index = {id(ed): i for i, (ed, _) in enumerate(selection)}
    parts = []
    for k, name in enumerate(names):
        ed = data.evaluations[k]
        parts.append(f"<section>\n<h2>{html.escape(name)}</h2>")
        if notes[k]:
            parts.append(f'<p class="fx-muted">{html.escape(notes[k])}</p>')
        if ed is not None and id(ed) in index:
            parts.append(f'<div class="fx-root" data-fx-index="{index[id(ed)]}"></div>')
        parts.append("</section>")
    body = "\n".join(parts)
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="generator" content="fusionlab {esc(version)}">
<title>{esc(title)}</title>
<link rel="icon" href="data:,">
<style>
{css}
</style>
</head>
<body class="fx-page">
<header>
<h1>{esc(title)}</h1>
<p>Move the weights and watch top-1, top-5 and mean class accuracy respond. Stream weights
act after the chosen segment consensus (two-level fusion, as in the report's tables);
with per-segment weights, one weighted mean runs over every stream × segment component
(weight = stream weight × segment weight). Only videos with a known label are counted.</p>
<p>{esc(EXACTNESS)}</p>
</header>
<main>
{body}
</main>
<footer><p>Written by fusionlab {esc(version)}. No server and no network: everything is in
this file.</p></footer>
<script type="application/json" id="fx-data">{data_json(selection)}</script>
<script>
{js}
</script>
</body>
</html>
"""


def write_page(
    data: ExplorerData,
    path: str | os.PathLike[str],
    *,
    names: Sequence[str],
    title: str = "fusionlab fusion explorer",
    budget: int = PAGE_BUDGET,
) -> None:
    """Write :func:`render_page` to ``path`` atomically."""
    from ..output import atomic_write_text

    atomic_write_text(path, render_page(data, names=names, title=title, budget=budget))
