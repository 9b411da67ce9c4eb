"""Benchmark: a Kinetics-700-validation-sized evaluation on one machine.

About 35,000 videos x 700 classes x 10 segments x 2 streams, float16 scores
(two files of 490 MB), generated with ``fusionlab.synth``. The default table
(1000 bootstrap resamples) runs through ``python -m fusionlab.evaluate`` in a
fresh interpreter; the benchmark prints its wall time and peak resident
memory. Goal: under 60 s and 8 GB on a 2-core, 24 GB machine. Score files are
read memory-mapped and processed in chunks of videos.

    python benchmarks/bench_scale.py [--videos 35000] [--classes 700] [--segments 10]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fusionlab import synth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--videos", type=int, default=35_000)
    ap.add_argument("--classes", type=int, default=700)
    ap.add_argument("--segments", type=int, default=10)
    ap.add_argument("--tmp", default=None, help="folder for the generated files")
    args = ap.parse_args()
    cfg = synth.SynthConfig(
        n_videos=args.videos,
        n_classes=args.classes,
        n_segments=args.segments,
        streams={"rgb": 3.0, "flow": 3.2},
        video_noise={"rgb": 0.8, "flow": 0.8},
        common_noise=0.5,
        class_spread=0.3,
        kind="logit",
        dtype="float16",
        dataset="kinetics700-sim",
        split="val",
        subset="val",
        seed=0,
    )
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        t0 = time.perf_counter()
        # Generate in a child process: a forked child inherits the parent's peak
        # resident memory, which would then be counted as the evaluation's.
        gen_code = (
            "import sys, json; from fusionlab import synth; "
            "cfg = synth.SynthConfig(**json.loads(sys.argv[1])); "
            "print('\\n'.join(map(str, synth.write_scores(sys.argv[2], cfg))))"
        )
        out = subprocess.run(
            [sys.executable, "-c", gen_code, json.dumps(dataclasses.asdict(cfg)), tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        files = out.stdout.split()
        gen = time.perf_counter() - t0
        size = sum(Path(f).stat().st_size for f in files) / 2**20
        print(f"generated {len(files)} files, {size:.0f} MiB, in {gen:.1f} s")
        # The child reports its own peak resident memory (VmHWM of its address
        # space, which exec starts afresh; ru_maxrss of the children would include
        # the generator's peak).
        argv = [*files, "-q", "--bootstrap", "1000", "--output", str(Path(tmp) / "table.txt")]
        code = (
            "import sys, json; from fusionlab import cli; "
            "rc = cli.main(['evaluate', *json.loads(sys.argv[1])]); "
            "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]; "
            "print(int(hwm.split()[1]) * 1024, file=sys.stderr); sys.exit(rc)"
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        wall = time.perf_counter() - t0
        peak_gib = int(proc.stderr.strip().splitlines()[-1]) / 2**30
        rows = sum(
            1
            for line in (Path(tmp) / "table.txt").read_text().splitlines()
            if line.strip()[:1].isdigit()
        )
    print(f"rows: {rows}")
    print(
        f"scale {args.videos} videos x {args.classes} classes x {args.segments} segments x 2 "
        f"streams (float16): evaluate {wall:.1f} s, peak memory {peak_gib:.2f} GiB "
        f"(goal < 60 s, < 8 GiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
