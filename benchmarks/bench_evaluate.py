"""Benchmark: the full default table for an HMDB51-shaped evaluation, end to end.

3 splits x 2 streams x 3 segments x 1530 videos x 51 classes, 1000 bootstrap
resamples, through ``python -m fusionlab.evaluate`` in a fresh interpreter
(imports included). Goal: under 5 s of wall time on a 2-core machine.

    python benchmarks/bench_evaluate.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fusionlab import synth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files: list[Path] = []
        for i, split in enumerate(("1", "2", "3")):
            files += synth.write_scores(tmp, synth.hmdb51_like(split=split, seed=i))
        cmd = [sys.executable, "-m", "fusionlab.evaluate", *map(str, files), "--bootstrap", "1000"]
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - t0)
        rows = sum(1 for line in out.stdout.splitlines() if line.strip()[:1].isdigit())
    best, worst = min(times), max(times)
    print(f"rows per run: {rows} (3 evaluations)")
    print(
        f"evaluate 3 splits x 2 streams x 3 segments x 1530 videos x 51 classes, 1000 bootstrap: "
        f"best {best:.2f} s, worst {worst:.2f} s over {args.repeats} runs (goal < 5 s)"
    )
    return 0 if best < 5.0 else 1


if __name__ == "__main__":
    sys.exit(main())
