"""Accuracy, calibration and significance metrics over class scores.

A flat set of pure functions over numpy arrays, named and shaped like
``sklearn.metrics``: ``y_true`` holds true class labels of shape
``(n_samples,)``, ``y_score`` class scores of shape ``(n_samples, n_classes)``
in any monotone domain (probability, logit or log-probability: only their order
matters), ``y_pred`` predicted labels, ``log_prob`` normalised
log-probabilities. Options are keyword-only. Nothing here mutates its inputs.

Conventions
-----------
Labels
    ``y_true`` and ``y_pred`` hold known class labels in ``[0, n_classes)``.
    Unknown labels (``-1`` in score files) must be filtered out by the caller;
    a negative label raises :class:`~fusionlab.errors.UsageError`.
Ties
    A tie in score is broken by the lowest class index, everywhere: the
    decision is ``np.argmax``, and for top-k class ``j`` ranks above class
    ``i`` with the same score iff ``j < i``.
Validation
    Every function checks its inputs and raises
    :class:`~fusionlab.errors.UsageError` with a one-line message saying what
    was expected and what came. The functions used in inner loops
    (:func:`correct_top_k`, :func:`bootstrap_ci`) take ``validate_args=False``
    to skip the checks.

Relation to scikit-learn
------------------------
* :func:`top_k_accuracy` equals ``sklearn.metrics.top_k_accuracy_score`` (with
  ``labels=range(n_classes)``) when no two classes tie in score. On ties they
  differ: scikit-learn ranks with a stable ascending ``argsort`` that it then
  reverses, so among equal scores the *highest* class index ranks first (for
  ``k=1`` its decision is then not ``np.argmax``). fusionlab ranks the lowest
  index first, consistently with :func:`predict`. scikit-learn's result on
  tied scores equals ours with the class axis reversed.
* :func:`mean_class_accuracy` has the semantics of
  ``sklearn.metrics.balanced_accuracy_score``: the mean recall over the classes
  present in ``y_true``.
* :func:`confusion_matrix` equals ``sklearn.metrics.confusion_matrix`` with
  ``labels=range(n_classes)`` (rows true, columns predicted).
* :func:`nll` equals ``sklearn.metrics.log_loss`` with
  ``labels=range(n_classes)`` on probabilities away from 0; scikit-learn clips
  probabilities at machine epsilon, fusionlab does not (a true class with
  log-probability ``-inf`` gives ``inf``).
* :func:`ece` is the top-label expected calibration error with equal-width
  bins; scikit-learn has no multiclass counterpart.
"""

from __future__ import annotations

from .accuracy import (
    confusion_matrix,
    correct_top_k,
    mean_class_accuracy,
    per_class_accuracy,
    predict,
    top_k_accuracy,
)
from .calibration import ece, ece_from_bins, nll, reliability_bins, reliability_from_confidence
from .checks import LOGPROB_SUM_TOL
from .intervals import ADJUST_METHODS, AdjustMethod, adjust_pvalues, wilson_interval
from .results import BootstrapDiff, BootstrapTest, McNemarResult, ReliabilityBins
from .significance import (
    bootstrap_ci,
    bootstrap_counts,
    mcnemar,
    paired_bootstrap_diff,
    paired_bootstrap_test,
)

__all__ = [
    "ADJUST_METHODS",
    "LOGPROB_SUM_TOL",
    "AdjustMethod",
    "BootstrapDiff",
    "BootstrapTest",
    "McNemarResult",
    "ReliabilityBins",
    "adjust_pvalues",
    "bootstrap_ci",
    "bootstrap_counts",
    "confusion_matrix",
    "correct_top_k",
    "ece",
    "ece_from_bins",
    "mcnemar",
    "mean_class_accuracy",
    "nll",
    "paired_bootstrap_diff",
    "paired_bootstrap_test",
    "per_class_accuracy",
    "predict",
    "reliability_bins",
    "reliability_from_confidence",
    "top_k_accuracy",
    "wilson_interval",
]
