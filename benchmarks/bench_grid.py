"""Benchmark: the fast exact grid evaluator against the straightforward per-point numpy loop.

HMDB51-shaped scores (``fusionlab.synth.hmdb51_like``: 1530 videos, 51 classes,
2 streams x 3 segments = 6 components, stored as probabilities), the full simplex
at step 0.05 (53,130 points), top-1 and top-5 of every point, probability domain.

* fusionlab: :func:`fusionlab.search.grid_accuracy`, best wall time of
  ``--repeats`` runs in this process;
* naive: :func:`fusionlab.search.naive_grid_accuracy`, the per-point loop (for
  each point: the left-to-right weighted sum over components, then the rank of
  the true class). It is timed over the full grid when a seeded probe of 200
  points predicts at most ``--naive-limit`` seconds, otherwise over a seeded
  sample of ``--sample`` points and scaled to the full grid; the output says which.

The counts of both are compared on every point the naive loop evaluated; a
mismatch is a failure (exit status 1). The last line reads::

    grid 53130 points: fusionlab X.XXX s, naive Y.YYY s, speedup Z.Zx

Goal: under 1 s and at least 10x the naive loop on a 2-core machine.

    python benchmarks/bench_grid.py [--domain prob|logit] [--repeats 3] [--naive-limit 60]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from fusionlab import search, synth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--domain", choices=["prob", "logit"], default="prob")
    ap.add_argument("--step", type=float, default=0.05)
    ap.add_argument("--repeats", type=int, default=3, help="runs of the fast evaluator (best kept)")
    ap.add_argument("--naive-limit", type=float, default=60.0, help="seconds for a full naive run")
    ap.add_argument("--sample", type=int, default=2000, help="naive points when the limit is hit")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    sets = synth.make_scores(synth.hmdb51_like(seed=args.seed, kind="prob"))
    x = np.concatenate([s.log_probs() for s in sets], axis=1)  # (1530, 6, 51) log-probabilities
    y = sets[0].labels
    w = search.simplex_grid(x.shape[1], step=args.step)
    n_points = w.shape[0]
    ks = (1, 5)
    print(
        f"scores: {x.shape[0]} videos x {x.shape[1]} components x {x.shape[2]} classes; "
        f"grid: {n_points} points (step {args.step:g}); domain {args.domain}; top-1 and top-5"
    )

    times = []
    fast = None
    for _ in range(max(1, args.repeats)):
        t0 = time.perf_counter()
        fast = search.grid_accuracy(x, y, w, domain=args.domain, k=ks)
        times.append(time.perf_counter() - t0)
    assert fast is not None
    t_fast = min(times)
    print(
        f"fusionlab: best {t_fast:.3f} s, worst {max(times):.3f} s over {len(times)} runs; "
        f"{fast.n_fast_pairs} (video, class) pairs after pruning, "
        f"{fast.n_rechecked} (point, video) near ties re-checked exactly"
    )
    best = int(np.argmax(fast.correct[0]))
    top1, top5 = fast.correct[:, best] / x.shape[0]
    print(f"best point {np.round(w[best], 2).tolist()}: top-1 {top1:.4f}, top-5 {top5:.4f}")

    rng = np.random.default_rng(args.seed)
    probe = np.sort(rng.choice(n_points, size=min(200, n_points), replace=False))
    t0 = time.perf_counter()
    search.naive_grid_accuracy(x, y, w[probe], domain=args.domain, k=ks)
    estimate = (time.perf_counter() - t0) / probe.size * n_points
    if estimate <= args.naive_limit:
        points = np.arange(n_points)
        how = f"timed over all {n_points} points"
    else:
        points = np.sort(rng.choice(n_points, size=min(args.sample, n_points), replace=False))
        how = (
            f"timed over a seeded sample of {points.size} points and scaled by "
            f"{n_points}/{points.size} (a full run was predicted to take {estimate:.0f} s)"
        )
    t0 = time.perf_counter()
    naive = search.naive_grid_accuracy(x, y, w[points], domain=args.domain, k=ks)
    t_naive = (time.perf_counter() - t0) * n_points / points.size
    print(f"naive: {how}")
    if not np.array_equal(naive, fast.correct[:, points]):
        bad = int((naive != fast.correct[:, points]).any(axis=0).sum())
        print(f"MISMATCH: the fast evaluator differs from the naive loop at {bad} points")
        return 1
    print(f"equal: the fast and naive counts agree on all {points.size} timed points")
    print(
        f"grid {n_points} points: fusionlab {t_fast:.3f} s, naive {t_naive:.3f} s, "
        f"speedup {t_naive / t_fast:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
