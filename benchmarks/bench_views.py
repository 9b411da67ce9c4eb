"""Benchmark: a Kinetics-400-validation-sized evaluation with 30 test-time views.

19,796 videos x 400 classes x 30 views (10 clips x 3 crops, clip-major) per
stream, float16 logits written uncompressed with ``fusionlab.save`` (so they
are memory-mapped), generated with ``fusionlab.synth`` (clip- and
crop-dependent strengths, noise shared by the crops of a clip). The default
table (protocol rows, duplicate and missing view checks, 1000 bootstrap
resamples) runs through ``python -m fusionlab.evaluate ... --format json`` in
a fresh interpreter; the benchmark prints its wall time and peak resident
memory (VmHWM of the child). Goal: within 8 GB. The files go to a temporary
folder that is removed.

    python benchmarks/bench_views.py [--videos 19796] [--classes 400] [--streams 2]
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

CLIPS, CROPS = 10, 3


def _config(videos: int, classes: int, streams: int) -> synth.SynthConfig:
    # Later clips and the centre crop carry more signal, as in real test-time views.
    rgb = synth.view_strengths([4.0 + 0.2 * t for t in range(CLIPS)], [1.0, 0.93, 0.93])
    flow = synth.view_strengths([4.2 + 0.15 * t for t in range(CLIPS)], [1.0, 0.95, 0.95])
    names = {"rgb": rgb, "flow": flow}
    chosen = dict(list(names.items())[:streams])
    return synth.SynthConfig(
        n_videos=videos,
        n_classes=classes,
        n_segments=CLIPS * CROPS,
        views=(CLIPS, CROPS),
        streams=chosen,
        video_noise={s: 1.0 for s in chosen},
        clip_noise={s: 0.4 for s in chosen},
        common_noise=0.4,
        class_spread=0.3,
        kind="logit",
        dtype="float16",
        noise_dtype="float32",  # half the generation time and memory
        dataset="kinetics400-sim",
        split="val",
        subset="val",
        seed=0,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--videos", type=int, default=19_796)
    ap.add_argument("--classes", type=int, default=400)
    ap.add_argument("--streams", type=int, choices=(1, 2), default=2)
    ap.add_argument("--tmp", default=None, help="folder for the generated files")
    args = ap.parse_args()
    cfg = _config(args.videos, args.classes, args.streams)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        t0 = time.perf_counter()
        # Generate in a child process: its memory is not the evaluation's.
        gen_code = (
            "import sys, json; from fusionlab import synth; "
            "d = json.loads(sys.argv[1]); d['views'] = tuple(d['views']); "
            "cfg = synth.SynthConfig(**d); "
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
        doc_path = Path(tmp) / "table.json"
        argv = [*files, "-q", "--bootstrap", "1000", "--format", "json", "-o", str(doc_path)]
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
        doc = json.loads(doc_path.read_text())
    rows = doc["accuracy"]
    views = [r for r in rows if r["level"] == "views"]
    print(f"rows: {len(rows)} ({len(views)} test-protocol rows)")
    for r in sorted(views, key=lambda r: -r["top1"])[:4]:
        print(f"  {r['label']} ({r['domain']}): top-1 {100 * r['top1']:.2f} %")
    print(
        f"views {args.videos} videos x {args.classes} classes x {CLIPS * CROPS} views "
        f"({CLIPS} clips x {CROPS} crops) x {args.streams} stream(s) (float16): evaluate "
        f"{wall:.1f} s, peak memory {peak_gib:.2f} GiB (goal < 8 GiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
