"""Benchmark: all pairwise and subset statistics of an HMDB51-shaped evaluation.

2 streams x 3 segments x 1530 videos x 51 classes
(``fusionlab.synth.make_scores(fusionlab.synth.hmdb51_like())``). Times
:func:`fusionlab.diversity.pairwise`, :func:`~fusionlab.diversity.oracle` and
:func:`~fusionlab.diversity.subsets` (every subset of each stream's segments
and of the 6 flat stream x segment components, mean and best fixed weights at
step 0.1 plus equal weights, prob and logit domains). Target: under 1 second.

The baseline is the plain way to get the subset tables of each stream and of
the flat set: one ``rules.fuse("weighted")`` call per grid point. Its results
are compared with the fast path (they must agree) and the ratio is printed
(the flat set's baseline takes a few seconds).

Usage: ``python benchmarks/bench_diversity.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import functools
import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fusionlab import diversity, rules, synth
from fusionlab.evaluate import known_labels
from fusionlab.rules import Domain
from fusionlab.scores import Evaluation, group


def _best_time(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _all_stats(ev: Evaluation, domains: Sequence[Domain]) -> None:
    diversity.pairwise(ev, domains=domains)
    diversity.oracle(ev, domains=domains)
    diversity.subsets(ev, domains=domains)


def _baseline_set(x: np.ndarray, y: np.ndarray, domain: Domain) -> list[int]:
    """Best right-count over the closed 0.1 simplex plus equal weights, by brute force.

    One ``rules.fuse("weighted")`` call per interior grid point of every
    subset (each closed-simplex point is the interior point of exactly one
    subset) and one ``rules.fuse("mean")`` (its equal-weight point, which the
    grid misses for 3 members), then the best over each subset's sub-subsets.
    """
    k = x.shape[1]
    subs = [s for m in range(1, k + 1) for s in itertools.combinations(range(k), m)]
    interior: dict[tuple[int, ...], int] = {}
    for sub in subs:
        mean = rules.fuse("mean", x[:, list(sub)], domain=domain)
        top = int(np.count_nonzero(np.argmax(mean, axis=1) == y))
        for w in diversity.weight_compositions(len(sub), step=0.1):
            fused = rules.fuse("weighted", x[:, list(sub)], domain=domain, weights=w)
            top = max(top, int(np.count_nonzero(np.argmax(fused, axis=1) == y)))
        interior[sub] = top
    return [
        max(interior[t] for m in range(1, len(s) + 1) for t in itertools.combinations(s, m))
        for s in subs
    ]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    ev = group(synth.make_scores(synth.hmdb51_like()))[0]
    known, y = known_labels(ev)
    shape = (ev.n_videos, len(ev.streams), ev.latest(ev.streams[0]).n_segments, ev.n_classes)
    print(
        f"evaluation: {shape[0]} videos x {shape[1]} streams x {shape[2]} segments x "
        f"{shape[3]} classes"
    )
    _all_stats(ev, rules.DOMAINS)  # warm up imports and caches

    for doms in (("prob",), ("logit",), rules.DOMAINS):
        t = _best_time(functools.partial(_all_stats, ev, doms), args.repeat)
        print(
            f"pairwise + oracle + subsets, domains {'+'.join(doms)}: {t:.3f} s "
            f"(best of {args.repeat}; target < 1 s)"
        )

    sets = [(s, ev.latest(s).log_probs()[known]) for s in ev.streams]
    sets.append(("flat", np.concatenate([x for _, x in sets], axis=1)))
    for name, x in sets:
        for d in rules.DOMAINS:
            t0 = time.perf_counter()
            ref = _baseline_set(x, y, d)
            t_base = time.perf_counter() - t0
            t0 = time.perf_counter()
            fast = diversity.subset_accuracy(x, y, domains=[d], set_name=name)
            t_fast = time.perf_counter() - t0
            # rows come in the same order: by size, then members (itertools.combinations)
            got = np.rint(fast["best_acc"].to_numpy() * y.size).astype(int).tolist()
            agree = got == ref
            print(
                f"subsets of {name} ({d}): brute force {t_base:.3f} s, fast {t_fast:.3f} s, "
                f"ratio {t_base / t_fast:.1f}x, best accuracies agree: {agree}"
            )
            if not agree:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
