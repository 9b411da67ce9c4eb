"""The exact accuracy curve of two-component weighted fusion (rational breakpoints).

For two components the top-1 accuracy of ``(1 - alpha) * v0 + alpha * v1`` is
piecewise constant in ``alpha``; :func:`two_component_curve` finds its breakpoints
in exact rational arithmetic from the float scores, so the optimum interval is
exact (see :class:`Curve`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..validation import check_domain, check_x, check_y
from .reference import Array, Domain, IntArray, domain_values

__all__ = ["Curve", "two_component_curve"]


@dataclass(frozen=True, eq=False)
class Curve:
    """Exact accuracy of ``(1 - alpha) * v0 + alpha * v1`` as a function of alpha in [0, 1].

    The accuracy is piecewise constant: constant on each open interval between
    consecutive breakpoints, with its own value at each breakpoint.

    Attributes
    ----------
    breakpoints : ndarray of shape (B,), float64
        Sorted; the first is 0.0 and the last 1.0 (nearest floats of ``exact``).
    exact : tuple of Fraction
        The breakpoints as exact rationals (crossings of the score lines of the
        float inputs, computed in rational arithmetic).
    correct_at : ndarray of shape (B,), int64
        Videos correct at each breakpoint.
    correct_between : ndarray of shape (B - 1,), int64
        Videos correct on each open interval ``(breakpoints[i], breakpoints[i + 1])``.
    n_videos : int
    """

    breakpoints: Array
    exact: tuple[Fraction, ...]
    correct_at: IntArray
    correct_between: IntArray
    n_videos: int

    @property
    def best_correct(self) -> int:
        vals = [int(self.correct_at.max())]
        if self.correct_between.size:
            vals.append(int(self.correct_between.max()))
        return max(vals)

    @property
    def best_accuracy(self) -> float:
        return self.best_correct / self.n_videos

    @property
    def optimum(self) -> list[tuple[float, float, bool, bool]]:
        """Maximal intervals where the accuracy is best: ``(lo, hi, lo_closed, hi_closed)``.

        A single optimal point is ``(a, a, True, True)``. Intervals are in increasing order.
        """
        best = self.best_correct
        pieces: list[tuple[Fraction, Fraction, bool, bool]] = []
        nb = len(self.exact)
        for i in range(nb):
            if self.correct_at[i] == best:
                pieces.append((self.exact[i], self.exact[i], True, True))
            if i < nb - 1 and self.correct_between[i] == best:
                pieces.append((self.exact[i], self.exact[i + 1], False, False))
        merged: list[tuple[Fraction, Fraction, bool, bool]] = []
        for lo, hi, lc, hc in pieces:
            if merged:
                mlo, mhi, mlc, mhc = merged[-1]
                if mhi == lo and (mhc or lc):
                    merged[-1] = (mlo, hi, mlc, hc if hi != mhi else (hc or mhc))
                    continue
            merged.append((lo, hi, lc, hc))
        return [(float(a), float(b), lc, hc) for a, b, lc, hc in merged]

    @property
    def best_alpha(self) -> float:
        """Midpoint of the widest optimal interval (the first on ties)."""
        opt = self.optimum
        widths = [hi - lo for lo, hi, _, _ in opt]
        lo, hi, _, _ = opt[int(np.argmax(widths))]
        return (lo + hi) / 2.0

    def correct_count_at(self, alpha: float | Fraction) -> int:
        """Videos correct at ``alpha`` (exact comparison with the breakpoints)."""
        a = Fraction(alpha)
        if not 0 <= a <= 1:
            raise UsageError(f"alpha must lie in [0, 1], got {alpha!r}")
        i = bisect.bisect_left(self.exact, a)
        if i < len(self.exact) and self.exact[i] == a:
            return int(self.correct_at[i])
        return int(self.correct_between[i - 1])

    def to_dict(self) -> dict[str, Any]:
        return {
            "breakpoints": self.breakpoints.tolist(),
            "correct_at": self.correct_at.tolist(),
            "correct_between": self.correct_between.tolist(),
            "n_videos": self.n_videos,
            "best_accuracy": self.best_accuracy,
            "best_alpha": self.best_alpha,
            "optimum": [list(o) for o in self.optimum],
        }


def two_component_curve(
    x0: npt.ArrayLike, x1: npt.ArrayLike, y: npt.ArrayLike, *, domain: Domain
) -> Curve:
    """Exact top-1 accuracy curve of two-component weighted fusion.

    For ``fused(alpha) = (1 - alpha) * v0 + alpha * v1`` (``v = exp(x)`` or ``x``),
    the true class ``y`` of a video beats class ``c`` where the line
    ``(1 - alpha) (v0_y - v0_c) + alpha (v1_y - v1_c)`` is positive, and at a zero
    (an exact tie) iff ``y < c``. Each video is correct on one interval (possibly
    empty or a single point); the crossing points are computed in exact rational
    arithmetic from the float values, so breakpoints, the value at each breakpoint
    and the optimum are exact for real-valued weights (a float evaluation at a
    point within rounding error of a breakpoint may differ).

    Parameters
    ----------
    x0, x1 : array-like of shape (n_videos, n_classes)
        Log-probabilities of the two components.
    y : array-like of shape (n_videos,)
        Known labels.
    domain : {"prob", "logit"}

    Returns
    -------
    Curve

    Examples
    --------
    >>> import numpy as np
    >>> x0 = np.log(np.array([[0.7, 0.3], [0.4, 0.6]]))
    >>> x1 = np.log(np.array([[0.2, 0.8], [0.1, 0.9]]))
    >>> c = two_component_curve(x0, x1, [0, 1], domain="prob")
    >>> c.breakpoints.tolist(), c.correct_at.tolist(), c.correct_between.tolist()
    ([0.0, 0.4, 1.0], [2, 2, 1], [2, 1])
    >>> c.optimum
    [(0.0, 0.4, True, True)]
    """
    dom = check_domain(domain)
    a0 = np.asarray(x0)
    a1 = np.asarray(x1)
    if a0.ndim != 2 or a0.shape != a1.shape:
        raise UsageError(
            "x0 and x1 must have the same shape (n_videos, n_classes), "
            f"got {a0.shape} and {a1.shape}"
        )
    xa = check_x(np.stack([a0, a1], axis=1))
    n, _, c = xa.shape
    ya = check_y(y, n, c)
    v = domain_values(xa, dom)
    rows = np.arange(n)
    v0, v1 = v[:, 0], v[:, 1]
    y0 = v0[rows, ya][:, None]
    y1 = v1[rows, ya][:, None]
    gt0, lt0 = y0 > v0, y0 < v0
    gt1, lt1 = y1 > v1, y1 < v1
    cls = np.arange(c)
    not_y = cls[None, :] != ya[:, None]
    both0 = ~gt0 & ~lt0 & ~gt1 & ~lt1
    never = not_y & ((lt0 & lt1) | (both0 & (cls[None, :] < ya[:, None])))
    crossing = not_y & ~never & ~(gt0 & gt1) & ~both0
    dead = never.any(axis=1)

    zero, one = Fraction(0), Fraction(1)
    intervals: list[tuple[Fraction, Fraction, bool, bool]] = []
    for i in np.flatnonzero(~dead):
        lo, hi, lc, hc = zero, one, True, True
        yi = int(ya[i])
        fy0, fy1 = Fraction(float(y0[i, 0])), Fraction(float(y1[i, 0]))
        for cc in np.flatnonzero(crossing[i]):
            d0 = fy0 - Fraction(float(v0[i, cc]))
            d1 = fy1 - Fraction(float(v1[i, cc]))
            slope = d1 - d0
            at = d0 / (d0 - d1)  # where (1 - a) d0 + a d1 = 0, in [0, 1]
            closed = yi < int(cc)
            if slope > 0:  # y wins for alpha > at
                if at > lo:
                    lo, lc = at, closed
                elif at == lo:
                    lc = lc and closed
            else:  # y wins for alpha < at
                if at < hi:
                    hi, hc = at, closed
                elif at == hi:
                    hc = hc and closed
        if lo < hi or (lo == hi and lc and hc):
            intervals.append((lo, hi, lc, hc))

    points = sorted({zero, one, *(iv[0] for iv in intervals), *(iv[1] for iv in intervals)})
    index = {p: j for j, p in enumerate(points)}
    nb = len(points)
    at_diff = np.zeros(nb + 1, dtype=np.int64)
    between_diff = np.zeros(nb, dtype=np.int64)
    at_count = np.zeros(nb, dtype=np.int64)
    for lo, hi, lc, hc in intervals:
        a, b = index[lo], index[hi]
        if a == b:
            at_count[a] += 1
            continue
        at_diff[a + 1] += 1  # strictly inside: breakpoints a+1 .. b-1
        at_diff[b] -= 1
        at_count[a] += int(lc)
        at_count[b] += int(hc)
        between_diff[a] += 1  # open intervals a .. b-1
        between_diff[b] -= 1
    correct_at = np.cumsum(at_diff)[:nb] + at_count
    correct_between = np.cumsum(between_diff)[: nb - 1]
    return Curve(
        breakpoints=np.array([float(p) for p in points], dtype=np.float64),
        exact=tuple(points),
        correct_at=correct_at.astype(np.int64),
        correct_between=correct_between.astype(np.int64),
        n_videos=n,
    )
