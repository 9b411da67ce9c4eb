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

The package holds one module per concern: :mod:`.blocks` (the dataclasses
of the tree and the table helpers), :mod:`.context` (what the builders of one
evaluation share), :mod:`.build` (:func:`build_model`), and one module per
group of sections (:mod:`.overview`, :mod:`.rows`, :mod:`.segments`,
:mod:`.weight_curve`, :mod:`.classes`, :mod:`.complementarity`,
:mod:`.extras`).
"""

from __future__ import annotations

from ...fused import row_label as row_label
from .blocks import Block as Block
from .blocks import (
    Column,
    Comparison,
    EvaluationFacts,
    FigureBlock,
    Paragraph,
    ReportModel,
    Section,
    Table,
)
from .blocks import ExplorerBlock as ExplorerBlock
from .blocks import Link as Link
from .build import COVERED_EXTRAS as COVERED_EXTRAS
from .build import build_model
from .complementarity import MAX_FLAT_SUBSETS as MAX_FLAT_SUBSETS
from .complementarity import VIDEOS_CSV as VIDEOS_CSV
from .context import FUSION_LEVELS as FUSION_LEVELS
from .extras import EXTRA_TITLES as EXTRA_TITLES
from .extras import MAX_GENERIC_ROWS as MAX_GENERIC_ROWS

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
