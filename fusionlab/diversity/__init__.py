"""Why fusion helps: complementarity of components, segment subsets, wins and losses.

Plain functions over an :class:`~fusionlab.scores.Evaluation`, its
:class:`~fusionlab.fused.FusionSpec` rows and arrays (this package reads no
file and renders nothing). ``fusionlab diversity FILES...`` (or ``python -m
fusionlab.diversity``; :mod:`fusionlab.commands.diversity`) loads score files
like :mod:`fusionlab.evaluate`, computes its main table
(:func:`fusionlab.evaluate.diversity.diversity_for` picks the rows of one
``Results``) and renders (:mod:`fusionlab.render.diversity`), per evaluation:

pairwise
    For every pair of components: the 2x2 table of per-video correctness,
    the disagreement and double-fault rates, Yule's Q, the correlation of the
    correctness vectors and the pair's oracle accuracy. Components are the
    streams (each under mean segment consensus, per domain), the segments
    (every stream x segment of the latest epochs; pairs within and across
    streams) and the epochs of each stream (mean consensus, per domain).
oracle
    For each of those component sets: its best single component and its
    oracle accuracy (a video counts as right when any component is right).
subsets
    For every non-empty subset of the segments of each stream, and of the
    flat stream x segment set: the accuracy of mean fusion restricted to the
    subset and of the best fixed-weight fusion on the subset.
wins, videos, summary
    The videos the best fusion fixes and breaks relative to the best single
    stream, counted per class and listed by video id.
per_class
    Per class: each stream's accuracy, which stream is better and by how
    much, and the gain of the fusion over the better stream.

Statistics of a pair
--------------------
For two components a and b with per-video correctness over the same N
videos, ``n11`` counts videos both get right, ``n10`` those a gets right and
b wrong, ``n01`` the reverse and ``n00`` those both get wrong:

* disagreement ``(n10 + n01) / N``; double fault ``n00 / N``;
* Yule's Q ``(n11 n00 - n01 n10) / (n11 n00 + n01 n10)`` in [-1, 1]: positive
  when the components tend to be right and wrong on the same videos, negative
  when their errors fall on different videos (what makes fusion pay off);
* correlation: the Pearson correlation of the two 0/1 correctness vectors
  (the phi coefficient) ``(n11 n00 - n01 n10) / sqrt((n11+n10)(n01+n00)(n11+n01)(n10+n00))``;
* oracle accuracy ``(n11 + n10 + n01) / N``: right when either is right.

Degenerate cases, by definition here:

* **Q = 1 whenever n10 = n01 = 0**: the components agree on every video
  (identical correctness, e.g. identical components), including when the
  formula is 0/0 because both are always right (n00 = 0) or both always
  wrong (n11 = 0).
* Otherwise **Q = NaN when its denominator is 0** (n11 n00 = 0 and
  n01 n10 = 0 while the components disagree somewhere): for instance one
  component always right (n01 = n00 = 0) and the other not, or one never
  right (n11 = n10 = 0) and the other sometimes right. Q says nothing there.
* **The correlation is NaN when either component is constant** (always or
  never right: its correctness has zero variance), even for two identical
  constant components; it equals ``numpy.corrcoef`` everywhere else.

The oracle is not a bound for every rule
----------------------------------------
The oracle accuracy bounds every rule whose decision is always the top-1
class of one of its components: max, majority vote and any single component.
It does **not** bound the other registered rules (mean, weighted mean,
median, min, top-k mean and the per-video weighted means): two components
that both put the true class second can fuse to a score that puts it first.
``fixed_all_wrong`` in the wins table counts exactly those videos (every
component the fusion combines is wrong, the fusion is right).

Subsets
-------
Subsets are labelled by their 1-based members joined with ``+`` (``"1+2"``
for segments 1 and 2 of a stream; ``"rgb/seg1+flow/seg2"`` in the flat set, components named as
:func:`fusionlab.weights.component_name` spells them) and
indexed by ``(set, domain, subset)``, so "segments 1 and 2 of rgb" is
``df.loc[("rgb", "prob", "1+2")]``. ``mean_acc`` is
``rules.fuse("mean", x[:, members], mask[:, members])``; the full set equals
the main table's mean consensus (single stream) or flat mean row. It is
computed by :func:`mean_subset_right`, the one engine of "mean fusion over
every subset" (:func:`fusionlab.importance.subset_accuracies` uses it too).

``best_acc`` is the best fixed-weight fusion ``rules.fuse("weighted", ...)``
(``sum_k w_k v_k`` with ``v = exp(x)`` or ``x``) over the closed simplex of the
subset's members at the grid ``step`` (0.1: weights are integer compositions
of 10, divided by 10; zero weights allowed, so the best point may use fewer
members) **plus the equal-weight point of the subset and of each of its
subsets** (weights ``1/m`` on ``m`` members, scored as ``rules.fuse("mean")``,
the subset's ``mean_acc``), which a grid misses when ``m`` does not divide
``1/step`` (1/3 at step 0.1). So ``best_acc >= mean_acc`` for every subset,
and a subset's ``best_acc`` is at least that of each of its subsets; the
``best_grid`` column says what was searched (``"step 0.1 + equal weights"``).
It is an **oracle**: the weights are chosen on the same videos
they are scored on. The scan evaluates per-video margins instead of fused
scores and settles every grid point whose count could depend on rounding
(a margin within 1e-12 of its terms' size) with ``rules.fuse`` itself, so
``best_acc`` equals a brute-force scan with ``rules.fuse("weighted")`` on
the members with positive weight (and ``rules.fuse("mean")`` at the
equal-weight points). Ties go, as in :mod:`fusionlab.search`, to the weights
closest to uniform (smallest ``sum_k w_k**2``, in exact rational arithmetic:
the subset's equal-weight point wins every tie it is in), then to the first in
enumeration order (lexicographic in the members' weights, as
:func:`weight_compositions` enumerates the closed grid; an equal-weight point
before a grid point of the same weights). A subset with one member has the
single weight 1. Sets of more than ``max_components`` (10)
components are refused (2^K - 1 subsets); K = 10 takes about 10 s per domain
for 1530 videos x 51 classes, K <= 6 well under a second.

Missing components
------------------
Where a ``segment_mask`` marks a segment missing for a video, that segment
alone counts as wrong on that video (it makes no decision), and a subset
none of whose members is present counts the video as wrong.

Ties in argmax go to the lowest class index, as everywhere in fusionlab.
"""

from __future__ import annotations

from .components import oracle, pairwise
from .grid import weight_compositions
from .pairs import PairStats, oracle_accuracy, pair_stats, pairwise_table
from .plots import plot_q_heatmap, plot_subset_accuracy
from .subset_search import MAX_SUBSET_COMPONENTS, mean_subset_right, subset_accuracy, subsets
from .wins import WinsLosses, per_class, spec_label, wins_losses

__all__ = [
    "MAX_SUBSET_COMPONENTS",
    "TABLES",
    "PairStats",
    "WinsLosses",
    "mean_subset_right",
    "oracle",
    "oracle_accuracy",
    "pair_stats",
    "pairwise",
    "pairwise_table",
    "per_class",
    "plot_q_heatmap",
    "plot_subset_accuracy",
    "spec_label",
    "subset_accuracy",
    "subsets",
    "weight_compositions",
    "wins_losses",
]

#: The tables of one evaluation, in output order.
TABLES: tuple[str, ...] = ("pairwise", "oracle", "subsets", "wins", "videos", "per_class")
