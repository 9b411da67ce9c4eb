"""Weight grids: the points of the simplex as integer compositions of ``m = 1/step``.

Grid points are integer compositions ``n_0 + ... + n_{K-1} = m`` with ``m = 1/step``
(stars and bars, :func:`fusionlab.kernels.compositions`), enumerated in
lexicographic order of ``(n_0, ..., n_{K-1})`` (first point ``(0, ..., 0, m)``),
then divided by ``m``; floats are never filtered. Fixed weights and bounds become
integer bounds on the parts before enumeration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import UsageError
from ..kernels import compositions
from .reference import Array, IntArray

__all__ = ["MAX_GRID_POINTS", "grid_counts", "simplex_grid"]

#: Largest grid enumerated (points); larger grids are refused with a message.
MAX_GRID_POINTS = 5_000_000


def _step_to_m(step: float) -> int:
    if not isinstance(step, (int, float)) or not math.isfinite(step) or not 0 < step <= 1:
        raise UsageError(f"step must be a number in (0, 1], got {step!r}")
    inv = 1.0 / float(step)
    m = round(inv)
    if abs(inv - m) > 1e-9:
        raise UsageError(f"1/step must be an integer, got step {step!r} (1/step = {inv!r})")
    return int(m)


def _count_compositions(m: int, lo: Sequence[int], hi: Sequence[int]) -> int:
    """Number of compositions of m with lo[i] <= n_i <= hi[i] (dynamic programming)."""
    ways = [1] + [0] * m  # ways[r]: compositions of r by the components seen so far
    for a, b in zip(lo, hi, strict=True):
        # new[t] = sum of ways[t - n] for a <= n <= b, from prefix sums (exact ints)
        pref = [0] * (m + 2)
        for r in range(m + 1):
            pref[r + 1] = pref[r] + ways[r]
        ways = [pref[t - a + 1] - pref[max(0, t - b)] if t >= a else 0 for t in range(m + 1)]
    return ways[m]


def grid_counts(
    k: int,
    *,
    step: float = 0.05,
    fixed: Mapping[int, float] | None = None,
    bounds: Mapping[int, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
) -> tuple[IntArray, int]:
    """Integer compositions of ``m = 1/step`` into ``k`` parts: the simplex grid before division.

    Parameters
    ----------
    k : int
        Number of components (>= 1).
    step : float, default 0.05
        Grid step; ``1/step`` must be an integer (within 1e-9).
    fixed : mapping of component index to weight, optional
        Pinned weights; each must be a multiple of ``step`` (within 1e-9).
    bounds : mapping of index to (lo, hi), or a sequence of k pairs, optional
        Inclusive bounds on each weight, in [0, 1]; converted to integer bounds
        ``ceil(lo m - 1e-9) <= n_i <= floor(hi m + 1e-9)`` (no float filtering).

    Returns
    -------
    counts : ndarray of shape (n_points, k), int64
        Each row sums to ``m``; rows in lexicographic order of ``(n_0, ..., n_{k-1})``.
    m : int

    Raises
    ------
    UsageError
        Bad step, indices, weights or bounds; an empty grid; more than
        ``MAX_GRID_POINTS`` points.

    Examples
    --------
    >>> counts, m = grid_counts(3, step=0.5)
    >>> m, counts.tolist()
    (2, [[0, 0, 2], [0, 1, 1], [0, 2, 0], [1, 0, 1], [1, 1, 0], [2, 0, 0]])
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise UsageError(f"number of components must be an integer >= 1, got {k!r}")
    k = int(k)
    m = _step_to_m(step)
    lo = [0] * k
    hi = [m] * k
    if bounds is not None:
        items = list(bounds.items()) if isinstance(bounds, Mapping) else list(enumerate(bounds))
        if not isinstance(bounds, Mapping) and len(items) != k:
            raise UsageError(
                f"bounds must give one (lo, hi) pair per component ({k}), got {len(items)}"
            )
        for i, pair in items:
            i = _component_index(i, k, "bounds")
            try:
                b_lo, b_hi = (float(pair[0]), float(pair[1]))
            except (TypeError, ValueError, IndexError):
                raise UsageError(
                    f"bounds of component {i} must be a (lo, hi) pair, got {pair!r}"
                ) from None
            if not (0.0 <= b_lo <= b_hi <= 1.0):
                raise UsageError(
                    f"bounds of component {i} must satisfy 0 <= lo <= hi <= 1, got ({b_lo}, {b_hi})"
                )
            lo[i] = max(lo[i], math.ceil(b_lo * m - 1e-9))
            hi[i] = min(hi[i], math.floor(b_hi * m + 1e-9))
    if fixed is not None:
        for i, w in fixed.items():
            i = _component_index(i, k, "fixed")
            wf = float(w)
            if not (0.0 <= wf <= 1.0):
                raise UsageError(f"fixed weight of component {i} must lie in [0, 1], got {w!r}")
            n = round(wf * m)
            if abs(wf * m - n) > 1e-9:
                raise UsageError(
                    f"fixed weight {w!r} of component {i} is not a multiple of step {step!r}"
                )
            if not lo[i] <= n <= hi[i]:
                raise UsageError(f"fixed weight {w!r} of component {i} lies outside its bounds")
            lo[i] = hi[i] = int(n)
    total = _count_compositions(m, lo, hi)
    if total == 0:
        raise UsageError(
            f"the grid is empty: no weights with step {step!r} satisfy the fixed weights and bounds"
        )
    if total > MAX_GRID_POINTS:
        raise UsageError(
            f"the grid has {total} points (k={k}, step={step!r}), more than {MAX_GRID_POINTS}; "
            "use a larger step, fewer components, or fixed weights"
        )
    return compositions(m, lo, hi), m


def _component_index(i: Any, k: int, what: str) -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < k:
        raise UsageError(f"{what}: component index must be an integer in [0, {k}), got {i!r}")
    return int(i)


def simplex_grid(
    k: int,
    *,
    step: float = 0.05,
    fixed: Mapping[int, float] | None = None,
    bounds: Mapping[int, tuple[float, float]] | Sequence[tuple[float, float]] | None = None,
) -> Array:
    """Every point of the weight simplex on a grid of ``step``: ``grid_counts(...) / m``.

    Parameters are those of :func:`grid_counts`.

    Returns
    -------
    weights : ndarray of shape (n_points, k), float64
        Lexicographic order of the integer compositions (see the module docstring).

    Examples
    --------
    >>> simplex_grid(6, step=0.05).shape
    (53130, 6)
    >>> simplex_grid(2, step=0.25).tolist()
    [[0.0, 1.0], [0.25, 0.75], [0.5, 0.5], [0.75, 0.25], [1.0, 0.0]]
    """
    counts, m = grid_counts(k, step=step, fixed=fixed, bounds=bounds)
    out: Array = counts / float(m)
    return out
