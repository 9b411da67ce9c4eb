"""Renderers: a :class:`~fusionlab.report.model.ReportModel` to figures, Markdown and HTML.

Both documents come from the same model through jinja2 templates
(``templates/report.md.j2`` and ``templates/report.html.j2``, the latter
autoescaped), and every number is formatted once by the model's tables. The
HTML is self-contained: the package's CSS and sortable-table script are
inlined and figures are embedded as base64 PNG ``data:`` URIs; a
Content-Security-Policy forbids any other request.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..output import atomic_write_bytes
from .format import Slugger, md_escape

if TYPE_CHECKING:
    import jinja2

    from .model import FigureBlock, ReportModel

__all__ = ["RenderedFigure", "render_figure", "render_html", "render_markdown", "write_figures"]


@dataclass(frozen=True)
class RenderedFigure:
    """A drawn figure: PNG and SVG bytes and the PNG's size in pixels."""

    png: bytes
    svg: bytes
    width: int
    height: int

    @property
    def png_base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def render_figure(block: FigureBlock, *, dpi: int) -> RenderedFigure:
    """Draw one figure block and return its PNG and SVG bytes."""
    from . import figures

    with figures.style():
        fig = figures.PLOTS[block.plot](block.data)
        png, svg = figures.render(fig, dpi=dpi)
    w, h = _png_size(png)
    return RenderedFigure(png, svg, w, h)


def write_figures(
    model: ReportModel,
    folder: Path,
    *,
    dpi: int,
    progress: Callable[[str], Any] | None = None,
) -> dict[str, RenderedFigure]:
    """Draw every figure of ``model`` into ``folder`` as ``{name}.png`` and ``{name}.svg``."""
    out: dict[str, RenderedFigure] = {}
    for block in model.figures():
        if progress is not None:
            progress(block.name)
        r = render_figure(block, dpi=dpi)
        atomic_write_bytes(folder / f"{block.name}.png", r.png)
        atomic_write_bytes(folder / f"{block.name}.svg", r.svg)
        out[block.name] = r
    return out


def _md_filter(text: Any) -> str:
    return md_escape(str(text))


_BLANKS = re.compile(r"\n{3,}")


def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fusionlab.report", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "html"), default_for_string=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md_filter
    return env


def _static(name: str) -> str:
    return resources.files("fusionlab.report").joinpath("static", name).read_text("utf-8")


def render_markdown(model: ReportModel) -> str:
    """The Markdown report (GitHub Flavored Markdown, images linked from ``figures/``)."""
    text = _env().get_template("report.md.j2").render(model=model)
    return _BLANKS.sub("\n\n", text).strip("\n") + "\n"


def render_html(model: ReportModel, figures: dict[str, RenderedFigure]) -> str:
    """The self-contained HTML report; ``figures`` maps figure names to drawn figures."""
    explorer_css = explorer_js = ""
    if model.explorer_json:
        from ..explorer import assets

        explorer_css, explorer_js = assets()
    text = (
        _env()
        .get_template("report.html.j2")
        .render(
            model=model,
            figures=figures,
            css=_static("report.css"),
            js=_static("sortable.js"),
            explorer_json=model.explorer_json,
            explorer_css=explorer_css,
            explorer_js=explorer_js,
            title_anchor=Slugger()(model.title),
        )
    )
    return _BLANKS.sub("\n\n", text).strip("\n") + "\n"
