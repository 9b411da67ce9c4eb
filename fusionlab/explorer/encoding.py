"""What the explorer page embeds: exact operands, per-video status codes, packed families.

fusionlab embeds the float64 operands of its weighted sums only for the
(video, class) pairs whose ranking against the true class can change with
the weights (:func:`encode`); :func:`pack` compresses them into a
:class:`Family`, :func:`decode_family` reverses it and :func:`emulate`
replays the page's arithmetic in Python (for the tests).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import rules
from ..fused import LogProbCache
from ..rules import Domain
from ..scores import Evaluation

__all__ = [
    "FIXED_RIGHT",
    "FIXED_TOPK",
    "FIXED_WRONG",
    "Encoded",
    "Family",
    "decode_family",
    "emulate",
    "encode",
    "flat_values",
    "latest_keys",
    "pack",
    "pairwise_sum",
    "stream_values",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Mode = Literal["streams", "segments"]


def latest_keys(ev: Evaluation) -> tuple[tuple[str, int | None], ...]:
    """(stream, latest epoch) of every stream, in stream order."""
    return tuple((s, ev.epochs(s)[-1]) for s in ev.streams)


#: Per-video status codes below this are "variable": the value is the number of
#: classes that rank above the true class for every weight vector.
FIXED_WRONG = 250  # top-1 and top-k wrong for every weight vector
FIXED_TOPK = 251  # top-1 wrong, top-k right for every weight vector
FIXED_RIGHT = 252  # top-1 (and top-k) right for every weight vector

_U = 2.0**-53  # unit roundoff of float64
_TINY = 2.0**-1074  # smallest subnormal
_PAIR_BLOCK = 4096  # (video, class) pairs per block of the dominance count


# --------------------------------------------------------------------------- the page's inputs


def stream_values(ev: Evaluation, cache: LogProbCache, consensus: str, domain: Domain) -> Array:
    """The (n_videos, n_streams, n_classes) values the stream-level weighted sum adds up.

    Exactly the operands of ``rules.weighted`` inside ``rules.two_level``: each
    stream's segment consensus normalised to log-probabilities
    (``rules.fuse_log_probs``), stacked, and ``numpy.exp`` of them in the
    probability domain.
    """
    keys = latest_keys(ev)
    per = [
        rules.fuse_log_probs(
            consensus, cache.get(k), cache.mask(k), domain=domain, probs=cache.probs(k)
        )
        for k in keys
    ]
    stacked = np.stack(per, axis=1)
    out: Array = np.exp(stacked) if domain == "prob" else stacked
    return out


def flat_values(
    ev: Evaluation, cache: LogProbCache, domain: Domain
) -> tuple[Array, BoolArray | None]:
    """Values and mask of every stream x segment component, as ``rules.weighted`` reads them."""
    x, m, p = cache.flat(latest_keys(ev))
    return (p if domain == "prob" else x), m


def _gamma(k: int) -> float:
    return k * _U / (1.0 - k * _U)


def _greater(
    d: Array, s: Array, valid: npt.NDArray[np.bool_] | None, k: int
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Over the component axis 1 of ``d = v_a - v_b`` and ``s = |v_a| + |v_b|``.

    Returns ``(a_gt_b, b_gt_a, equal)``: a's fused score exceeds b's for every
    non-negative weight vector; the reverse; bit-identical values everywhere.
    """
    if valid is None:
        dmin, dmax, smax = d.min(axis=1), d.max(axis=1), s.max(axis=1)
        eq = (d == 0).all(axis=1)
    else:
        vm = valid[:, :, None]
        dmin = np.where(vm, d, np.inf).min(axis=1)
        dmax = np.where(vm, d, -np.inf).max(axis=1)
        smax = np.where(vm, s, 0.0).max(axis=1)
        eq = np.where(vm, d == 0, True).all(axis=1)
    thr = 2.0 * _gamma(k) * smax + 8.0 * k * _TINY
    return dmin > thr, -dmax > thr, eq


@dataclass(frozen=True)
class Encoded:
    """One family's per-video classification and stored rows (see the package docstring)."""

    status: npt.NDArray[np.uint8]  # (N,)
    row_start: npt.NDArray[np.int32]  # (N + 1,)
    row_class: npt.NDArray[np.int32]  # (R,), the true class first in each video's rows
    values: Array  # (R, K)
    mask: npt.NDArray[np.uint8] | None  # (N, K)


def encode(v: Array, y: IntArray, valid: BoolArray | None, *, k5: int) -> Encoded:
    """Classify every (video, class) and keep the exact values the page needs.

    Parameters
    ----------
    v : ndarray of shape (n_videos, K, n_classes)
        The operands of the weighted sum (probabilities or log-probabilities).
    y : ndarray of shape (n_videos,)
    valid : ndarray of shape (n_videos, K), bool, or None
        Valid components (the weighted rule renormalises over them).
    k5 : int
        The k of top-k.
    """
    n, k, c = v.shape
    idx = np.arange(n)
    vy = v[idx, :, y]  # (N, K)
    d = v - vy[:, :, None]
    s = np.abs(v) + np.abs(vy)[:, :, None]
    c_gt_y, y_gt_c, eq = _greater(d, s, valid, k)
    lower = np.arange(c)[None, :] < y[:, None]
    above = c_gt_y | (eq & lower)
    below = y_gt_c | (eq & ~lower)
    above[idx, y] = False
    below[idx, y] = True
    uncertain = ~(above | below)
    # A class that is strictly above at least k5 other classes for every weight
    # vector can be dropped (package docstring, "dominance").
    pn, pc = np.nonzero(uncertain)
    dominated = np.zeros(pn.size, dtype=np.int64)
    for lo in range(0, pn.size, _PAIR_BLOCK):
        bn, bc = pn[lo : lo + _PAIR_BLOCK], pc[lo : lo + _PAIR_BLOCK]
        vv = v[bn]  # (P, K, C)
        vc = vv[np.arange(bn.size), :, bc]  # (P, K)
        gt, _, _ = _greater(
            vv - vc[:, :, None],
            np.abs(vv) + np.abs(vc)[:, :, None],
            None if valid is None else valid[bn],
            k,
        )
        dominated[lo : lo + _PAIR_BLOCK] = gt.sum(axis=1)
    keep = np.zeros_like(uncertain)
    keep[pn[dominated < k5], pc[dominated < k5]] = True
    n_above = above.sum(axis=1)
    n_keep = keep.sum(axis=1)
    wrong = n_above >= k5
    topk = ~wrong & (n_above >= 1) & (n_above + n_keep < k5)
    right = ~wrong & (n_above == 0) & (n_keep == 0)
    variable = ~(wrong | topk | right)
    status = np.where(variable, n_above, 0)
    status = np.where(wrong, FIXED_WRONG, np.where(topk, FIXED_TOPK, status))
    status = np.where(right, FIXED_RIGHT, status).astype(np.uint8)
    keep &= variable[:, None]
    counts = np.where(variable, 1 + keep.sum(axis=1), 0)
    row_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=row_start[1:])
    r = int(row_start[-1])
    row_class = np.empty(r, dtype=np.int64)
    row_video = np.empty(r, dtype=np.int64)
    vn = np.flatnonzero(variable)
    row_class[row_start[vn]] = y[vn]
    row_video[row_start[vn]] = vn
    kn, kc = np.nonzero(keep)
    before = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=before[1:])
    pos = row_start[kn] + 1 + (np.arange(kn.size) - before[kn])
    row_class[pos] = kc
    row_video[pos] = kn
    values = np.ascontiguousarray(v[row_video, :, row_class])  # (R, K)
    return Encoded(
        status=status,
        row_start=row_start.astype(np.int32),
        row_class=row_class.astype(np.int32),
        values=values,
        mask=None if valid is None else valid.astype(np.uint8),
    )


# --------------------------------------------------------------------------- packing


@dataclass(frozen=True)
class Family:
    """The page's data for one mode x domain (x consensus).

    Attributes
    ----------
    mode : {"streams", "segments"}
        Stream weights after segment consensus, or flat stream x segment weights.
    domain : {"prob", "logit"}
    consensus : str or None
    k : int
        Components of the weighted sum.
    masked : bool
        Per-video weights are renormalised over valid components.
    n_rows, n_variable : int
        Stored rows; videos whose decisions depend on the weights.
    sections : dict
        Name -> ``[byte offset, count]`` in the decompressed buffer.
    data : str
        base64 of the zlib-compressed buffer.
    raw_bytes : int
    """

    mode: Mode
    domain: Domain
    consensus: str | None
    k: int
    masked: bool
    n_rows: int
    n_variable: int
    sections: dict[str, list[int]]
    data: str
    raw_bytes: int

    @property
    def size(self) -> int:
        """Characters this family adds to a page."""
        return len(self.data) + 300

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "domain": self.domain,
            "consensus": self.consensus,
            "k": self.k,
            "masked": self.masked,
            "rows": self.n_rows,
            "variable": self.n_variable,
            "sections": self.sections,
            "rawBytes": self.raw_bytes,
            "data": self.data,
        }


def _shuffle(a: Array) -> bytes:
    """Bytes of a little-endian float64 array, byte planes first (compresses better)."""
    b = np.ascontiguousarray(a, dtype="<f8").view(np.uint8).reshape(-1, 8)
    return bytes(np.ascontiguousarray(b.T).tobytes())


def pack(enc: Encoded, *, mode: Mode, domain: Domain, consensus: str | None) -> Family:
    """Lay out an :class:`Encoded` family in one buffer, compress and base64 it."""
    parts: list[tuple[str, bytes, int]] = [
        ("values", _shuffle(enc.values), enc.values.size),
        ("rowStart", enc.row_start.astype("<i4").tobytes(), enc.row_start.size),
        ("rowClass", enc.row_class.astype("<i4").tobytes(), enc.row_class.size),
        ("status", enc.status.tobytes(), enc.status.size),
    ]
    if enc.mask is not None:
        parts.append(("mask", enc.mask.tobytes(), enc.mask.size))
    buf = bytearray()
    sections: dict[str, list[int]] = {}
    for name, raw, count in parts:
        buf.extend(b"\0" * (-len(buf) % 8))
        sections[name] = [len(buf), int(count)]
        buf.extend(raw)
    data = base64.b64encode(zlib.compress(bytes(buf), 6)).decode("ascii")
    k = int(enc.values.shape[1]) if enc.values.ndim == 2 else 0
    return Family(
        mode=mode,
        domain=domain,
        consensus=consensus,
        k=k,
        masked=enc.mask is not None,
        n_rows=int(enc.row_class.size),
        n_variable=int((enc.status < FIXED_WRONG).sum()),
        sections=sections,
        data=data,
        raw_bytes=len(buf),
    )


def decode_family(fam: Family) -> Encoded:
    """Unpack a :class:`Family` (what the page does; used by tests and :func:`emulate`)."""
    buf = zlib.decompress(base64.b64decode(fam.data))
    sec = fam.sections

    def part(name: str, dtype: str) -> npt.NDArray[Any]:
        off, count = sec[name]
        return np.frombuffer(buf, dtype=dtype, count=count, offset=off)

    off, count = sec["values"]
    planes = np.frombuffer(buf, dtype=np.uint8, count=8 * count, offset=off).reshape(8, count)
    values = np.ascontiguousarray(planes.T).view("<f8").reshape(-1, fam.k).astype(np.float64)
    return Encoded(
        status=part("status", "u1").copy(),
        row_start=part("rowStart", "<i4").astype(np.int32),
        row_class=part("rowClass", "<i4").astype(np.int32),
        values=values,
        mask=part("mask", "u1").reshape(-1, fam.k).copy() if "mask" in sec else None,
    )


def pairwise_sum(a: Sequence[float]) -> float:
    """numpy's pairwise summation of a float64 vector (what ``np.sum`` does), in Python."""
    n = len(a)
    if n < 8:
        res = 0.0
        for v in a:
            res = res + v
        return res
    if n <= 128:
        r = [float(v) for v in a[:8]]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] = r[j] + a[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res = res + a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a[:n2]) + pairwise_sum(a[n2:])


def emulate(
    enc: Encoded, y: IntArray, int_weights: Sequence[int], *, n_classes: int, k5: int
) -> dict[str, Any]:
    """What the page computes from a decoded family, in Python, operation for operation.

    Used by the tests (fast, many weight vectors); the browser test checks the
    JavaScript itself.
    """
    k = len(int_weights)
    total = sum(int(w) for w in int_weights)
    w = np.array([int(v) / total for v in int_weights])  # one correctly rounded division each
    n1 = n5 = 0
    hits = np.zeros(n_classes, dtype=np.int64)
    for n in range(y.size):
        code = int(enc.status[n])
        yc = int(y[n])
        if code >= FIXED_WRONG:
            if code == FIXED_RIGHT:
                n1, n5 = n1 + 1, n5 + 1
                hits[yc] += 1
            elif code == FIXED_TOPK:
                n5 += 1
            continue
        wr = w
        if enc.mask is not None:
            m = enc.mask[n]
            wv = [float(w[j]) if m[j] else 0.0 for j in range(k)]
            tot = pairwise_sum(wv)
            if tot <= 0:
                wv = [1.0 if m[j] else 0.0 for j in range(k)]
                tot = pairwise_sum(wv)
            wr = np.array([x / tot for x in wv])
        r0, r1 = int(enc.row_start[n]), int(enc.row_start[n + 1])
        vals = enc.values[r0:r1]
        f = wr[0] * vals[:, 0]
        for j in range(1, k):
            f = f + wr[j] * vals[:, j]
        cls = enc.row_class[r0:r1]
        above = code + int(np.count_nonzero((f[1:] > f[0]) | ((f[1:] == f[0]) & (cls[1:] < yc))))
        if above == 0:
            n1 += 1
            hits[yc] += 1
        if above < k5:
            n5 += 1
    totals = np.bincount(y, minlength=n_classes)
    present = totals > 0
    per = [float(h / t) for h, t in zip(hits[present], totals[present], strict=True)]
    return {
        "n_top1": n1,
        "n_top5": n5,
        "hits": hits.tolist(),
        "top1": n1 / y.size,
        "top5": n5 / y.size,
        "mean_class_acc": pairwise_sum(per) / len(per),
    }
