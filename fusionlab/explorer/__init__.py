"""Interactive fusion explorer: move the weights, see the accuracy respond, exactly.

``report.html`` holds one explorer per evaluation and ``explorer.html`` (written
beside it) is the same explorer on its own page. For each evaluation: a slider
per stream weight (integers 0..20), on request a slider per stream x segment,
a switch between the probability and the logit domain, the segment-consensus
rule (mean, max, variance-weighted), and live read-outs of top-1, top-5, mean
class accuracy, the change against the best single stream, per-class accuracy
bars, the grid-search optimum with its oracle and honest accuracy when the
results hold a grid search, and the current setting as a command line (the
score files' paths as they were given to fusionlab, e.g. ``scores/x.npz``,
shell-quoted: run it from the folder the report was made in). No
server, no network, no framework: hand-written JavaScript inlined into the
page, standard APIs only (``DecompressionStream``, typed arrays, canvas), from
``file://`` in Chromium (80+) and Firefox (113+).

``python -m fusionlab.explorer FILES --weights rgb=7,flow=13 --domain prob --consensus max``
prints the same numbers (:func:`page_numbers`); ``--html OUT`` writes the page.

What is computed
----------------
Stream weights ``w`` (one per stream): two-level fusion, the computation of an
evaluate row ``two-level / consensus / weighted``::

    rules.two_level(streams, masks, consensus=c, fusion="weighted",
                    fusion_params={"weights": w}, domain=d)

Per-segment weights: ``rules.fuse("weighted", x, mask, domain=d, weights=W)``
over every stream x segment component, ``W[s, j] = w[s] * u[s, j]``.

Exactness: the page never disagrees with the package
----------------------------------------------------
1. *No exp or log in the page.* ``rules.weighted`` computes
   ``f[n, c] = sum_k w_k * v[n, k, c]`` (left to right) with ``v = exp(x)``
   (probability domain) or ``v = x``, where ``x`` is each stream's consensus
   output normalised by ``rules.to_log_probs`` (two-level) or each segment's
   log-probabilities (flat). fusionlab computes ``v`` once with numpy and embeds
   those float64 values (:func:`~fusionlab.explorer._data.stream_values`), so the
   page starts from the very operands of the package's sum.
2. *The same IEEE operations.* ``rules.normalize_weights`` turns weights into
   ``float(Fraction(w_k) / sum(Fraction(w)))``; for the page's integer weights
   that is ``i_k / S`` with ``S`` the integer sum, rounded once, which is what
   JavaScript's ``i_k / S`` returns (IEEE division of two exact integers is
   correctly rounded). Products and sums are double-precision operations done in
   the same order (JavaScript has no extended precision and does not fuse
   multiply-adds). Decisions follow ``metrics.correct_top_k``: the true class
   ``y`` is in the top k when fewer than k classes rank above it (a larger score,
   or an equal score and a lower index). Per-video weights of masked components
   are renormalised with numpy's pairwise summation, which the page replicates;
   the mean class accuracy is ``np.mean`` (pairwise summation) of hits / videos
   over the classes present, also replicated.
3. *Compact, and still exact: only what can change is embedded.* For each video
   and class ``c`` fusionlab checks, with ``d_k = v_kc - v_ky`` over the valid
   components, whether ``c`` ranks above ``y`` for **every** non-negative weight
   vector (``min_k d_k > T``), for **none** (``max_k d_k < -T``), or ties with it
   bit for bit (all ``d_k == 0``: the tie goes to the lower index). ``T = 2
   gamma_K max_k(|v_kc| + |v_ky|) + 8 K 2**-1074`` (``gamma_K = K u / (1 - K u)``,
   ``u = 2**-53``) bounds the rounding error of the two K-term sums, the
   normalised weights (which sum to 1 within a few ``u``) and underflow, so the
   float64 comparison the package makes always agrees. Only the classes whose
   ranking can change are embedded, with the true class's values; a class that is
   above at least ``k`` (top-k) other classes for every weight vector is dropped too:
   if it outranks ``y``, so do those, and the count of embedded classes above
   ``y`` still reaches ``k`` (take a dropped class that no dropped class
   dominates: its dominators are embedded or always above). Videos whose top-1 and
   top-k outcomes are fixed carry one status byte. The page therefore counts
   exactly the videos the package counts, for every weight vector.
4. *Checked.* The page checks itself on load against the report's fixed-weight
   rows (bit for bit, otherwise it says so and logs an error), and
   ``tests/test_explorer.py`` compares the numbers the page shows in Chromium
   with :func:`page_numbers`, exactly, for many weight vectors.

Size
----
Embedded values are float64, compressed with zlib (byte planes first) and
base64-encoded; the page inflates them with ``DecompressionStream``. For an
HMDB51-sized evaluation (1530 videos, 51 classes, 2 streams x 3 segments,
``fusionlab.synth.hmdb51_like``) the stream-level data of 2 domains x 3
consensus rules take about 0.8 MB and the per-segment data about 2.2 MB: the
standalone page is about 3 MB. A page embeds data greedily in evaluation order
within its budget (``explorer.html``: :data:`PAGE_BUDGET`; ``report.html``,
which also holds the figures: :data:`REPORT_BUDGET`): first the stream-level
data of every evaluation, then per-segment data; what is left out is named in a
note on the page. Evaluations with more than :data:`MAX_CELLS` known videos x
classes get no explorer (a note says so).
"""

from __future__ import annotations

from ._data import (
    CONSENSUS,
    EXPLORER_FILE,
    MAX_CELLS,
    PAGE_BUDGET,
    REPORT_BUDGET,
    SLIDER_MAX,
    EvaluationData,
    ExplorerData,
    Family,
    build_data,
    page_numbers,
)
from ._page import EXACTNESS, assets, data_json, render_page, write_page

__all__ = [
    "CONSENSUS",
    "EXACTNESS",
    "EXPLORER_FILE",
    "MAX_CELLS",
    "PAGE_BUDGET",
    "REPORT_BUDGET",
    "SLIDER_MAX",
    "EvaluationData",
    "ExplorerData",
    "Family",
    "assets",
    "build_data",
    "data_json",
    "page_numbers",
    "render_page",
    "write_page",
]
