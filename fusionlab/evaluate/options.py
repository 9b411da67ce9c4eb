"""What the pipeline computes: :class:`EvaluateOptions` and the default rules and weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from .. import rules
from ..errors import UsageError
from ..groups import spec_kind
from ..metrics import ADJUST_METHODS, AdjustMethod
from ..rules import Domain
from ..scores import Evaluation
from ..weights import WeightSpec, resolve_weights, weights_arg

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_STREAM_WEIGHTS",
    "DEFAULT_VIEW_RULES",
    "SYMMETRIC_RULES",
    "TUNED_MAX_ELEMENTS",
    "EvaluateOptions",
    "WeightsLike",
]

#: Fixed RGB:flow weights every table shows for two-stream evaluations, in the
#: documented stream order (:func:`fusionlab.weights.stream_order`: rgb, flow,
#: then the rest alphabetically); every row prints the names with the values.
DEFAULT_STREAM_WEIGHTS: tuple[tuple[float, ...], ...] = ((1, 1), (1, 1.5), (2, 1), (1, 2))
WeightsLike = WeightSpec | str | Mapping[str, float] | Sequence[float]
#: Rules used for segment consensus and stream fusion by default: every
#: registered rule that needs no fixed weights.
DEFAULT_RULES: tuple[str, ...] = tuple(
    n for n, r in rules.RULES.items() if r.symmetric and r.in_default_table
)
#: Every rule ``--consensus`` and ``--fusion`` accept (those needing no fixed weights).
SYMMETRIC_RULES: tuple[str, ...] = tuple(n for n, r in rules.RULES.items() if r.symmetric)
#: View-consensus rules of the test-protocol rows (files declaring ``views``):
#: the mean (of probabilities in the prob domain, of scores in the logit
#: domain), the max, and the robust or confidence-aware rules; min (one bad
#: crop vetoes a class), top-2 mean (close to max over many views) and the rank
#: rules (made for few, different components) are left out by default.
DEFAULT_VIEW_RULES: tuple[str, ...] = ("mean", "max", "median", "vote", "confidence_weighted")


@dataclass(frozen=True)
class EvaluateOptions:
    """What :func:`evaluate` computes.

    Attributes
    ----------
    domains : tuple of {"prob", "logit"}
    consensus : tuple of str
        Segment-consensus rules for the single-stream rows.
    fusion : tuple of str
        Stream-fusion rules (two-level, after mean consensus, and flat).
    stream_weights : tuple of weights
        Fixed stream weights for weighted two-level fusion, each by name
        (``{"rgb": 1, "flow": 1.5}`` or ``"rgb=1,flow=1.5"``) or positional
        (``(1, 1.5)``, in the evaluation's stream order; refused where that
        order could be misread, see :mod:`fusionlab.weights`). Weights given
        here must fit every evaluation's streams; the defaults
        (``DEFAULT_STREAM_WEIGHTS``) apply to two-stream evaluations only.
    bootstrap : int
        Resamples for the top-1 interval (0 = no interval).
    confidence : float
    seed : int
        Seed of the bootstrap resamples (all rows share them: paired).
    allow_partial : bool
        Keep only the videos common to all files of an evaluation.
    tuned : {"auto", "always", "never"}
        Add tuned rows (grid search over stream and over stream x segment
        weights, learned-linear and temperature fusion; see
        :func:`fusionlab.search.summary_rows`) and per-segment importance
        (``Results.extra["importance"]``). Each tuned row carries the oracle
        value (tuned on the same videos) and the honest, cross-fitted one.
        ``"auto"`` skips them for evaluations above ``TUNED_MAX_ELEMENTS``
        (videos x segments x classes per stream), whose table is computed in
        chunks; use ``fusionlab grid`` there.
    grid_step, folds, repeats, max_components, learned
        Settings of the tuned rows: simplex step, cross-fitting folds and
        repeats, the largest number of components searched, and whether to
        fit learned combiners.
    groups : str or None
        Groups of correlated videos (:mod:`fusionlab.groups`): a preset
        (``ucf101``, ``hmdb51``, ``auto``), a ``video_id,group`` CSV file or a
        regex over video ids. Given, every interval resamples whole groups
        (cluster bootstrap) and the cross-fitting folds never split a group;
        ``Results.extra["groups"]`` says how much the intervals widened.
    greedy : int
        Iterations of a greedy ensemble-selection row over every stream x
        segment component (:func:`fusionlab.search.greedy_selection`); 0 (the
        default, it costs more than the rest of the tuned rows) adds none.
        fit learned combiners. The folds, repeats and seed also serve the
        cross-fitted best-of-many estimate (``Results.extra["best_of_many"]``).
    adjust : {"holm", "bh", "none"}
        Adjustment of the p-values of every fusion row against the best single
        stream over the rows compared in one evaluation: Holm's step-down
        (family-wise error, the default), Benjamini-Hochberg (false discovery
        rate) or none (:func:`fusionlab.metrics.adjust_pvalues`).
    """

    domains: tuple[Domain, ...] = ("prob", "logit")
    consensus: tuple[str, ...] = DEFAULT_RULES
    fusion: tuple[str, ...] = DEFAULT_RULES
    stream_weights: tuple[WeightsLike, ...] = DEFAULT_STREAM_WEIGHTS
    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    allow_partial: bool = False
    tuned: Literal["auto", "always", "never"] = "auto"
    grid_step: float = 0.1
    folds: int = 5
    repeats: int = 3
    max_components: int = 6
    learned: bool = True
    groups: str | None = None
    greedy: int = 0
    adjust: AdjustMethod = "holm"
    view_consensus: tuple[str, ...] = DEFAULT_VIEW_RULES
    split_list: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "stream_weights", tuple(weights_arg(w) for w in self.stream_weights)
        )
        for d in self.domains:
            if d not in rules.DOMAINS:
                raise UsageError(f"unknown domain {d!r} (expected prob or logit)")
        for name in (*self.consensus, *self.fusion):
            rules.get_rule(name)
        for name in self.view_consensus:
            if not rules.get_rule(name).symmetric:
                raise UsageError(f"view-consensus rule {name!r} needs weights; not a consensus")
        if self.bootstrap < 0:
            raise UsageError(f"--bootstrap must be >= 0, got {self.bootstrap}")
        if not 0 < self.confidence < 1:
            raise UsageError(f"confidence must lie in (0, 1), got {self.confidence}")
        if self.tuned not in ("auto", "always", "never"):
            raise UsageError(f"tuned must be auto, always or never, got {self.tuned!r}")
        if not 0 <= self.seed < 2**32:
            raise UsageError(f"seed must be in [0, 2**32), got {self.seed}")
        if isinstance(self.greedy, bool) or not isinstance(self.greedy, int) or self.greedy < 0:
            raise UsageError(f"--greedy must be an integer >= 0, got {self.greedy!r}")
        if self.adjust not in ADJUST_METHODS:
            raise UsageError(
                f"adjust must be one of {', '.join(ADJUST_METHODS)}, got {self.adjust!r}"
            )
        if self.folds < 2 or self.repeats < 1:
            raise UsageError(f"need folds >= 2 and repeats >= 1, got {self.folds}, {self.repeats}")
        if self.groups is not None:
            spec_kind(self.groups)  # a bad regex fails here, before any file is read

    @property
    def default_weights(self) -> bool:
        """True when ``stream_weights`` are the built-in RGB:flow defaults."""
        return self.stream_weights == tuple(weights_arg(w) for w in DEFAULT_STREAM_WEIGHTS)

    def weights_for(self, ev: Evaluation) -> list[tuple[float, ...]]:
        """The fixed stream weights of ``ev``'s weighted rows, in ``ev.streams`` order.

        Raises
        ------
        UsageError
            Weights given by the user do not fit ``ev``'s streams (see
            :func:`fusionlab.weights.resolve_weights`).
        """
        names = ev.streams
        if self.default_weights:
            if len(names) != 2:
                return []
            return [cast(WeightSpec, w).values for w in self.stream_weights]
        where = f"evaluation {ev.name}"
        return [resolve_weights(w, names, where=where) for w in self.stream_weights]


#: ``tuned="auto"`` computes tuned rows only up to this many elements (videos x
#: segments x classes) per stream; the search holds its components in memory.
TUNED_MAX_ELEMENTS = 20_000_000
