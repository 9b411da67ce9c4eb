"""The evaluation pipeline: score files -> aligned evaluations -> one :class:`Results`.

``evaluate(evaluations)`` (or ``evaluate_files(patterns)``) computes, for each
evaluation (files sharing dataset, split and subset), every row of the
default table and the tuned rows, importance and complementarity, plus the
means over splits; it renders nothing (see :mod:`fusionlab.render` and
:mod:`fusionlab.report`). ``python -m fusionlab.evaluate`` is the command
(:mod:`fusionlab.commands.evaluate`).
"""

from __future__ import annotations

from ..fused import FusionSpec, LogProbCache, known_labels, row_labels
from .compare import ADJUST_NAMES, COMPARISON_FIELDS
from .options import (
    DEFAULT_RULES,
    DEFAULT_STREAM_WEIGHTS,
    DEFAULT_VIEW_RULES,
    SYMMETRIC_RULES,
    TUNED_MAX_ELEMENTS,
    EvaluateOptions,
    WeightsLike,
)
from .pipeline import (
    CHUNK_ELEMENTS,
    COLUMNS,
    Results,
    build_specs,
    evaluate,
    evaluate_files,
    load_evaluations,
    val_partners,
)
from .splits import SPLIT_MEAN_FIELDS, split_groups, split_means, split_title

__all__ = [
    "ADJUST_NAMES",
    "CHUNK_ELEMENTS",
    "COLUMNS",
    "COMPARISON_FIELDS",
    "DEFAULT_RULES",
    "DEFAULT_STREAM_WEIGHTS",
    "DEFAULT_VIEW_RULES",
    "SPLIT_MEAN_FIELDS",
    "SYMMETRIC_RULES",
    "TUNED_MAX_ELEMENTS",
    "EvaluateOptions",
    "FusionSpec",
    "LogProbCache",
    "Results",
    "WeightsLike",
    "build_specs",
    "evaluate",
    "evaluate_files",
    "known_labels",
    "load_evaluations",
    "row_labels",
    "split_groups",
    "split_means",
    "split_title",
    "val_partners",
]
