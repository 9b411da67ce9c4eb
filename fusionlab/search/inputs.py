"""What a search weighs: the components of one evaluation (streams, segments, pairs, epochs).

:func:`components` turns an aligned :class:`~fusionlab.scores.Evaluation` into the
log-probability array of a grid search or learned fusion: one component per
stream (after segment consensus), per segment of one stream, per stream x segment
pair, or per checkpoint of one stream; only videos with a known label are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import rules
from ..errors import UsageError
from ..validation import check_domain
from ..weights import component_name
from .reference import Array, Domain, IntArray, Mask, Over

if TYPE_CHECKING:
    from ..scores import Evaluation

__all__ = ["Components", "components"]


@dataclass(frozen=True, eq=False)
class Components:
    """The components of one evaluation that a grid (or learned fusion) weighs.

    Attributes
    ----------
    x : ndarray of shape (n_videos, K, n_classes)
        Log-probabilities of the videos with a known label.
    mask : ndarray of shape (n_videos, K), bool, or None
    y : ndarray of shape (n_videos,)
    names : tuple of str
        ``rgb`` (streams), ``rgb/seg1`` (segments, components), ``rgb@30`` (epochs).
    over : {"streams", "segments", "components", "epochs"}
    streams : tuple of str
        Streams involved.
    consensus : str or None
        Segment-consensus rule used to make stream-level components.
    evaluation : str
    """

    x: Array
    mask: Mask
    y: IntArray
    names: tuple[str, ...]
    over: Over
    streams: tuple[str, ...]
    consensus: str | None
    evaluation: str


def components(
    evaluation: Evaluation,
    *,
    over: Over = "streams",
    domain: Domain = "prob",
    consensus: str = "mean",
    stream: str | None = None,
) -> Components:
    """Build the components of ``evaluation`` to search over.

    ``streams``: one component per stream (latest epoch), its segments fused by
    ``consensus`` in ``domain`` (normalised to log-probabilities);
    ``segments``: the segments of ``stream`` (default: the first stream);
    ``components``: every stream x segment pair (latest epochs);
    ``epochs``: every checkpoint of ``stream``, each fused by ``consensus``.
    Only videos with a known label are kept.
    """
    dom = check_domain(domain)
    rule = rules.get_rule(consensus)
    if not rule.symmetric:
        raise UsageError(
            f"consensus rule {consensus!r} needs fixed weights; choose one of "
            + ", ".join(n for n, r in rules.RULES.items() if r.symmetric)
        )
    ev = evaluation
    known = ev.labels >= 0
    if not known.any():
        raise UsageError(f"evaluation {ev.name}: no video has a known label (all -1)")
    streams = list(ev.streams)
    if stream is not None and over in ("streams", "components"):
        raise UsageError(f"--stream applies to --over segments or epochs, not --over {over}")
    if stream is not None and stream not in streams:
        raise UsageError(
            f"evaluation {ev.name}: no stream {stream!r} (streams: {', '.join(streams)})"
        )
    builder = _BUILDERS.get(over)
    if builder is None:
        raise UsageError(f"over must be streams, segments, components or epochs, got {over!r}")
    idx = np.flatnonzero(known)
    x, mask, names, used, cons = builder(_Source(ev, idx, dom, consensus), stream)
    if mask is not None and mask.all():
        mask = None
    return Components(
        x=np.ascontiguousarray(x),
        mask=mask,
        y=ev.labels[idx],
        names=names,
        over=over,
        streams=used,
        consensus=cons,
        evaluation=ev.name,
    )


@dataclass(frozen=True)
class _Source:
    """The known-label videos of one evaluation, read per (stream, epoch) file."""

    ev: Evaluation
    idx: IntArray
    domain: Domain
    consensus: str

    def lp(self, key: tuple[str, int | None]) -> tuple[Array, Mask]:
        """Log-probabilities (n, n_segments, C) and segment mask (None when all valid)."""
        s = self.ev.sets[key]
        x = np.asarray(s.log_probs(), dtype=np.float64)[self.idx]
        m = None if s.segment_mask is None else np.asarray(s.segment_mask)[self.idx]
        return x, (None if m is None or m.all() else m)

    def fused(self, key: tuple[str, int | None]) -> Array:
        """The segments of one file fused by the consensus rule (log-probabilities)."""
        x, m = self.lp(key)
        if x.shape[1] == 1:
            return x[:, 0]
        out: Array = rules.fuse_log_probs(self.consensus, x, m, domain=self.domain)
        return out

    def latest(self, stream: str) -> tuple[str, int | None]:
        return (stream, self.ev.epochs(stream)[-1])


#: x, mask, component names, streams used, consensus rule (None when not used).
_Built = tuple[Array, Mask, tuple[str, ...], tuple[str, ...], str | None]


def _over_streams(src: _Source, stream: str | None) -> _Built:
    ev, streams = src.ev, list(src.ev.streams)
    if len(streams) < 2:
        raise UsageError(
            f"evaluation {ev.name}: --over streams needs at least two streams, "
            f"found {', '.join(streams)}"
        )
    x = np.stack([src.fused(src.latest(s)) for s in streams], axis=1)
    return x, None, tuple(streams), tuple(streams), src.consensus


def _over_segments(src: _Source, stream: str | None) -> _Built:
    ev = src.ev
    st = stream or ev.streams[0]
    x, mask = src.lp(src.latest(st))
    if x.shape[1] < 2:
        raise UsageError(f"evaluation {ev.name}: stream {st!r} has one segment, nothing to weigh")
    names = tuple(component_name(st, j) for j in range(x.shape[1]))
    return x, mask, names, (st,), None


def _over_components(src: _Source, stream: str | None) -> _Built:
    streams = list(src.ev.streams)
    parts = [src.lp(src.latest(s)) for s in streams]
    x, mask = rules.flat_components([p[0] for p in parts], [p[1] for p in parts])
    names = tuple(
        component_name(s, j)
        for s, p in zip(streams, parts, strict=True)
        for j in range(p[0].shape[1])
    )
    if x.shape[1] < 2:
        raise UsageError(f"evaluation {src.ev.name}: only one component, nothing to weigh")
    return x, mask, names, tuple(streams), None


def _over_epochs(src: _Source, stream: str | None) -> _Built:
    ev = src.ev
    st = stream or ev.streams[0]
    eps = ev.epochs(st)
    if len(eps) < 2:
        raise UsageError(
            f"evaluation {ev.name}: --over epochs needs at least two checkpoints of stream {st!r}"
        )
    x = np.stack([src.fused((st, e)) for e in eps], axis=1)
    names = tuple(ev.sets[(st, e)].name if e is not None else st for e in eps)
    return x, None, names, (st,), src.consensus


_BUILDERS: dict[str, Callable[[_Source, str | None], _Built]] = {
    "streams": _over_streams,
    "segments": _over_segments,
    "components": _over_components,
    "epochs": _over_epochs,
}
