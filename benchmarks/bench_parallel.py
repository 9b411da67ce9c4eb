"""Benchmark: when does a parallel grid search pay off?

Times the exact grid evaluator on HMDB51-shaped scores (1530 videos, 51
classes) in one process and through joblib (loky processes, threads), for the
6-component simplex at step 0.05 (53,130 points) and an 8-component one at
step 0.1 (19,448 points) and step 0.05 (888,030 points, only with --large),
checking that every run gives the same counts.

    python benchmarks/bench_parallel.py [--jobs 2] [--large]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from fusionlab import synth
from fusionlab.parallel import grid_accuracy_parallel
from fusionlab.scores import group
from fusionlab.search import grid_accuracy, simplex_grid


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--large", action="store_true")
    args = ap.parse_args()
    ev = group(synth.make_scores(synth.hmdb51_like()))[0]
    x6 = np.concatenate([ev.sets[(s, None)].log_probs() for s in ev.streams], axis=1)
    x8 = np.concatenate([x6, x6[:, :2] * 0.9], axis=1)  # two extra (weaker) components
    x8 = x8 - np.log(np.exp(x8).sum(-1, keepdims=True))
    y = ev.labels
    cases = [("6 components, step 0.05", x6, 0.05), ("8 components, step 0.1", x8, 0.1)]
    if args.large:
        cases.append(("8 components, step 0.05", x8, 0.05))
    for name, x, step in cases:
        w = simplex_grid(x.shape[1], step=step)
        t0 = time.perf_counter()
        ref = grid_accuracy(x, y, w, domain="prob", k=(1, 5))
        t_one = time.perf_counter() - t0
        line = [f"{name} ({w.shape[0]} points): one process {t_one:.2f} s"]
        for backend in ("loky", "threading"):
            t0 = time.perf_counter()
            par = grid_accuracy_parallel(
                x, y, w, domain="prob", k=(1, 5), n_jobs=args.jobs, backend=backend
            )
            t = time.perf_counter() - t0
            if not np.array_equal(par.correct, ref.correct):
                print(f"MISMATCH with backend {backend}", file=sys.stderr)
                return 1
            line.append(f"{backend} x{args.jobs} {t:.2f} s ({t_one / t:.2f}x)")
        print(", ".join(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
