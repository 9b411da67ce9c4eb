"""The component sets of one evaluation and their pair statistics and oracle accuracies.

Components are the streams (each under mean segment consensus, per domain),
the segments (every stream x segment of the latest epochs, named
``rgb/seg1`` as :func:`fusionlab.weights.component_name` spells them) and the
epochs of each stream (mean consensus, per domain), over the videos with a
known label.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from .. import rules
from ..errors import UsageError
from ..fused import LogProbCache, known_labels
from ..rules import DOMAINS, Domain
from ..scores import Evaluation
from ..weights import component_name
from .pairs import PAIR_COLUMNS, oracle_accuracy, pairwise_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ComponentSet",
    "check_domains",
    "component_sets",
    "oracle",
    "pairwise",
    "segment_correct",
    "stream_keys",
]

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def stream_keys(ev: Evaluation) -> list[tuple[str, int | None]]:
    """``(stream, latest epoch)`` of every stream of ``ev``, in stream order."""
    return [(s, ev.epochs(s)[-1]) for s in ev.streams]


def _key_label(key: tuple[str, int | None]) -> str:
    s, e = key
    return s if e is None else f"{s}@{e}"


def _mean_correct(
    ev: Evaluation,
    key: tuple[str, int | None],
    domain: Domain,
    known: BoolArray,
    y: IntArray,
    cache: LogProbCache,
) -> BoolArray:
    """Correctness of one (stream, epoch) under mean segment consensus, over known videos."""
    fused = rules.fuse("mean", cache.get(key), ev.sets[key].segment_mask, domain=domain)
    return np.asarray(np.argmax(fused[known], axis=1) == y)


def segment_correct(
    ev: Evaluation, key: tuple[str, int | None], known: BoolArray, y: IntArray, cache: LogProbCache
) -> BoolArray:
    """Correctness (n_segments, n_known) of each segment alone; missing segments are wrong."""
    x = cache.get(key)[known]
    mask = ev.sets[key].segment_mask
    pred = np.argmax(np.exp(x), axis=2)  # the "any"-domain decision, computed as evaluate does
    out = pred == y[:, None]
    if mask is not None:
        out &= mask[known]
    return np.ascontiguousarray(out.T)


@dataclass(frozen=True)
class ComponentSet:
    """One set of components of an evaluation and their correctness on the known videos."""

    group: Literal["streams", "segments", "epochs"]
    set: str
    domain: str
    labels: list[str]
    correct: BoolArray  # (K, n_known)


def component_sets(ev: Evaluation, domains: Sequence[Domain]) -> Iterator[ComponentSet]:
    """The streams (per domain), the segments of each stream, the flat set, the epochs."""
    known, y = known_labels(ev)
    cache = LogProbCache(ev)
    keys = stream_keys(ev)
    if len(keys) >= 2:
        for d in domains:
            corr = np.stack([_mean_correct(ev, k, d, known, y, cache) for k in keys])
            yield ComponentSet("streams", "streams", d, [s for s, _ in keys], corr)
    seg_labels: list[str] = []
    seg_rows: list[BoolArray] = []
    for key in keys:
        c = segment_correct(ev, key, known, y, cache)
        labels = [component_name(key[0], j) for j in range(c.shape[0])]
        yield ComponentSet("segments", key[0], "any", labels, c)
        seg_labels += labels
        seg_rows.append(c)
    if len(keys) >= 2:
        yield ComponentSet("segments", "flat", "any", seg_labels, np.concatenate(seg_rows))
    for stream in ev.streams:
        eps = ev.epochs(stream)
        if len(eps) < 2:
            continue
        for d in domains:
            ekeys = [(stream, e) for e in eps]
            corr = np.stack([_mean_correct(ev, k, d, known, y, cache) for k in ekeys])
            yield ComponentSet("epochs", stream, d, [_key_label(k) for k in ekeys], corr)


def check_domains(domains: Sequence[str]) -> tuple[Domain, ...]:
    """The domains as a tuple of ``"prob"``/``"logit"``; UsageError if unknown or none."""
    out: list[Domain] = []
    for d in domains:
        if d not in DOMAINS:
            raise UsageError(f"unknown domain {d!r} (expected prob or logit)")
        out.append("prob" if d == "prob" else "logit")
    if not out:
        raise UsageError("no domain given (expected prob and/or logit)")
    return tuple(out)


def pairwise(ev: Evaluation, *, domains: Sequence[Domain] = DOMAINS) -> pd.DataFrame:
    """Pair statistics between streams, segments and epochs of one evaluation.

    Over the videos with a known label. Groups:

    * ``streams``: each stream's latest epoch under mean segment consensus,
      one block per domain (only with two or more streams);
    * ``segments``: every stream x segment of the latest epochs alone
      (domain ``"any"``; labels ``"rgb/seg1"``), all pairs within and across
      streams;
    * ``epochs``: each epoch of a stream under mean consensus, per domain
      (only for streams with two or more epochs).

    Parameters
    ----------
    ev : Evaluation
    domains : sequence of {"prob", "logit"}

    Returns
    -------
    DataFrame
        Columns ``evaluation, group, domain`` then those of
        :func:`pairwise_table`.
    """
    import pandas as pd

    doms = check_domains(domains)
    frames = []
    for cs in component_sets(ev, doms):
        if cs.set != "flat" and cs.group == "segments" and len(ev.streams) >= 2:
            continue  # within-stream pairs are part of the flat set's pairs
        if len(cs.labels) < 2:
            continue
        df = pairwise_table(cs.correct, cs.labels)
        df.insert(0, "domain", cs.domain)
        df.insert(0, "group", cs.group)
        df.insert(0, "evaluation", ev.name)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["evaluation", "group", "domain", *PAIR_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def oracle(ev: Evaluation, *, domains: Sequence[Domain] = DOMAINS) -> pd.DataFrame:
    """Best single component and oracle accuracy of each component set of ``ev``.

    Sets: the streams (per domain), the segments of each stream and the flat
    stream x segment set (domain ``"any"``), the epochs of each stream (per
    domain). Ties for the best component go to the first in order.

    Returns
    -------
    DataFrame
        Columns ``evaluation, group, set, domain, components, n_components,
        best_component, best_single, oracle``.
    """
    import pandas as pd

    doms = check_domains(domains)
    rows = []
    for cs in component_sets(ev, doms):
        acc = cs.correct.mean(axis=1)
        best = int(np.argmax(acc))
        rows.append(
            {
                "evaluation": ev.name,
                "group": cs.group,
                "set": cs.set,
                "domain": cs.domain,
                "components": "+".join(cs.labels),
                "n_components": len(cs.labels),
                "best_component": cs.labels[best],
                "best_single": float(acc[best]),
                "oracle": oracle_accuracy(cs.correct),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "evaluation",
            "group",
            "set",
            "domain",
            "components",
            "n_components",
            "best_component",
            "best_single",
            "oracle",
        ],
    )
