"""Weight search: grids, the exact fast evaluator, the exact two-component curve, honest selection.

Components are log-probabilities ``x`` of shape (n_videos, n_components,
n_classes) with an optional mask of valid components and known labels ``y``;
``domain="prob"`` fuses ``exp(x)``, ``domain="logit"`` fuses ``x``. The package
is plain functions and dataclasses (no command line, no printing, no files):

* :mod:`~fusionlab.search.grids`: the simplex grid as integer compositions of
  ``1/step`` (:func:`grid_counts`, :func:`simplex_grid`);
* :mod:`~fusionlab.search.reference`: the reference weighted fusion of one
  weight vector (:func:`fuse_weighted`) and the per-point loop
  (:func:`naive_grid_accuracy`);
* :mod:`~fusionlab.search.fast`: the fast evaluator, equal to the loop count for
  count, ties included (:func:`grid_accuracy`, :class:`GridAccuracy`);
* :mod:`~fusionlab.search.curve`: the exact accuracy curve of two components
  (:func:`two_component_curve`, :class:`Curve`);
* :mod:`~fusionlab.search.crossfit`: folds, cross-fitting and the tie-break
  (:func:`stratified_folds`, :func:`cross_fit`, :func:`select_best`,
  :func:`uniform_distance`);
* :mod:`~fusionlab.search.gridsearch`: the search with oracle and honest
  estimates (:func:`grid_search`, :class:`GridResult`);
* :mod:`~fusionlab.search.greedy`: ensemble selection (Caruana et al. 2004),
  greedy forward selection with replacement, bagged, cross-fitted
  (:func:`greedy_selection`, :class:`GreedyResult`);
* :mod:`~fusionlab.search.inputs`: the components of an evaluation
  (:func:`components`, :class:`Components`);
* :mod:`~fusionlab.search.rows`: the tuned rows of the evaluate table
  (:func:`summary_rows`, :func:`significance`).

The ``fusionlab grid`` command is :mod:`fusionlab.commands.grid`; its text and
JSON output are :mod:`fusionlab.render.grid`.
"""

from __future__ import annotations

from .crossfit import (
    CrossFit,
    Folds,
    cross_fit,
    group_folds,
    select_best,
    stratified_folds,
    uniform_distance,
)
from .curve import Curve, two_component_curve
from .fast import GridAccuracy, grid_accuracy
from .greedy import GreedyResult, GreedyStep, greedy_selection
from .grids import MAX_GRID_POINTS, grid_counts, simplex_grid
from .gridsearch import GridResult, grid_search
from .inputs import Components, components
from .reference import fuse_weighted, naive_grid_accuracy
from .rows import significance, summary_rows

__all__ = [
    "MAX_GRID_POINTS",
    "Components",
    "CrossFit",
    "Curve",
    "Folds",
    "GreedyResult",
    "GreedyStep",
    "GridAccuracy",
    "GridResult",
    "components",
    "cross_fit",
    "fuse_weighted",
    "greedy_selection",
    "grid_accuracy",
    "grid_counts",
    "grid_search",
    "group_folds",
    "naive_grid_accuracy",
    "select_best",
    "significance",
    "simplex_grid",
    "stratified_folds",
    "summary_rows",
    "two_component_curve",
    "uniform_distance",
]
