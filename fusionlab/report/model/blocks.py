"""The blocks of a report: columns, tables, paragraphs, figures, links, sections, the model.

A :class:`ReportModel` is a tree of :class:`Section` objects holding
:class:`Paragraph`, :class:`Table`, :class:`FigureBlock`, :class:`Link` and
:class:`ExplorerBlock` blocks; :func:`table` builds a table from rows of dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ... import metrics
from ..format import CellKind

if TYPE_CHECKING:
    import pandas as pd


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


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
        from ..format import format_cell, sort_key

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


def frame(rows: Sequence[Mapping[Any, Any]], columns: Sequence[Column]) -> pd.DataFrame:
    import pandas as pd

    keys = [c.key for c in columns]
    return pd.DataFrame(
        {k: pd.Series([r.get(k) for r in rows], dtype=object) for k in keys}, columns=keys
    )


def table(
    rows: Sequence[Mapping[Any, Any]],
    columns: Sequence[Column],
    caption: str = "",
    *,
    sortable: bool = True,
) -> Table:
    return Table(list(columns), frame(rows, columns), caption, sortable)
