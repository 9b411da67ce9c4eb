"""A quick numpy check of score files: per-stream, per-segment and mean-fused top-1.

Independent of ``fusionlab.evaluate`` on purpose (a cross-check written with
numpy only). Files are loaded with :func:`fusionlab.scores.load` and grouped
by ``(dataset, split, subset)`` and epoch; streams are aligned by video id.

Command line::

    python -m trainers.quickcheck runs/example/scores/*.npz
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fusionlab import scores as fscores
from fusionlab.errors import FusionlabError

__all__ = ["Check", "check", "main"]


@dataclass(frozen=True)
class Check:
    """Top-1 accuracies (in [0, 1]) of one epoch of one evaluation.

    Attributes
    ----------
    name : str
        ``dataset/split/subset@epoch``.
    n_videos, n_classes : int
    streams : dict mapping stream to float
        Mean of the segments' softmax probabilities.
    segments : dict mapping stream to list of float
        Each segment alone.
    fused : float
        Mean of the streams' segment-mean probabilities (equal weights).
    """

    name: str
    n_videos: int
    n_classes: int
    streams: dict[str, float]
    segments: dict[str, list[float]]
    fused: float


def check(paths: Sequence[str]) -> list[Check]:
    """Load score files and compute :class:`Check` for every (evaluation, epoch).

    Parameters
    ----------
    paths : sequence of str
        Score files (format version 1).

    Returns
    -------
    list of Check
        Sorted by evaluation name and epoch; only videos with known labels count.
    """
    sets = fscores.load_many(paths)
    out: list[Check] = []
    for ev in fscores.group(sets):
        epochs = sorted({e for (_, e) in ev.sets}, key=lambda e: -1 if e is None else e)
        known = ev.labels >= 0
        y = ev.labels[known]
        for epoch in epochs:
            members = {s: ev.sets[(s, epoch)] for s in ev.streams if (s, epoch) in ev.sets}
            probs = {s: np.exp(m.log_probs())[known] for s, m in members.items()}
            streams = {
                s: float(np.mean(p.mean(axis=1).argmax(axis=1) == y)) for s, p in probs.items()
            }
            segs = {
                s: [float(np.mean(p[:, j].argmax(axis=1) == y)) for j in range(p.shape[1])]
                for s, p in probs.items()
            }
            fused_p = np.mean([p.mean(axis=1) for p in probs.values()], axis=0)
            suffix = "" if epoch is None else f"@{epoch}"
            out.append(
                Check(
                    name=ev.name + suffix,
                    n_videos=int(y.size),
                    n_classes=ev.n_classes,
                    streams=streams,
                    segments=segs,
                    fused=float(np.mean(fused_p.argmax(axis=1) == y)),
                )
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the checks of the given files; exit status 2 on a bad file."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m trainers.quickcheck FILE.npz ...", file=sys.stderr)
        return 2
    try:
        results = check(args)
    except FusionlabError as exc:
        print(f"trainers.quickcheck: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    for c in results:
        chance = 100.0 / c.n_classes
        parts = [f"{s} {100 * a:.1f}%" for s, a in c.streams.items()]
        print(f"{c.name}: {c.n_videos} videos, chance {chance:.1f}% | " + " | ".join(parts), end="")
        if len(c.streams) > 1:
            best = max(c.streams.values())
            print(f" | mean fusion {100 * c.fused:.1f}% ({100 * (c.fused - best):+.1f} vs best)")
        else:
            print()
        for s, seg in c.segments.items():
            print(f"    {s} per segment: " + ", ".join(f"{100 * a:.1f}%" for a in seg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
