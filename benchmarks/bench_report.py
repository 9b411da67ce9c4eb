"""Benchmark: the full report of an HMDB51-shaped evaluation.

Three splits x (rgb + flow) x 3 segments x 1530 videos x 51 classes, generated
with ``fusionlab.synth.hmdb51_like``. The end-to-end command
``python -m fusionlab.report FILES --report DIR`` runs in a fresh interpreter
(imports, evaluation with 1000 bootstrap resamples and, by default, the tuned
rows of the table, the diversity tables, the fusion explorer, 24 figures as
PNG + SVG, Markdown, HTML and explorer.html); the benchmark prints its wall and
CPU time, then the time of each stage measured in this process. Goal: under
20 s on a 2-core machine.

    python benchmarks/bench_report.py [--splits 1 2 3] [--repeat 1] [--tuned auto|never]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fusionlab import synth

GOAL_S = 20.0


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--splits", nargs="+", default=["1", "2", "3"])
    ap.add_argument("--repeat", type=int, default=1, help="end-to-end runs (best is kept)")
    ap.add_argument("--tmp", default=None, help="folder for the generated files")
    ap.add_argument(
        "--tuned",
        choices=["auto", "never"],
        default="auto",
        help="grid-search and learned rows of the evaluate table (when evaluate offers them)",
    )
    args = ap.parse_args()
    from fusionlab.evaluate import EvaluateOptions

    has_tuned = "tuned" in EvaluateOptions.__dataclass_fields__
    extra = ["--tuned", args.tuned] if has_tuned else []
    opts = EvaluateOptions(tuned=args.tuned) if has_tuned else EvaluateOptions()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        files: list[Path] = []
        for i, split in enumerate(args.splits):
            files += synth.write_scores(tmp, synth.hmdb51_like(split=split, seed=i))
        names = [str(p) for p in sorted(files)]

        walls, cpus = [], []
        for r in range(args.repeat):
            out = Path(tmp) / f"report{r}"
            out_args = [str(out), *extra]
            cpu0, t0 = _child_cpu(), time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "fusionlab.report", *names, "-q", "--report", *out_args],
                check=True,
            )
            walls.append(time.perf_counter() - t0)
            cpus.append(_child_cpu() - cpu0)
        wall = min(walls)
        cpu = cpus[walls.index(wall)]

        # Stages, in this process (imports already warm except matplotlib/seaborn).
        from fusionlab import explorer
        from fusionlab.evaluate import evaluate_files
        from fusionlab.evaluate.diversity import diversity_for
        from fusionlab.report import model as report_model
        from fusionlab.report import render

        t0 = time.perf_counter()
        res = evaluate_files(names, options=opts, progress=False)
        t1 = time.perf_counter()
        mdl = report_model.build_model(res)
        t2 = time.perf_counter()
        figs = render.write_figures(mdl, Path(tmp) / "stage-figures", dpi=130)
        t3 = time.perf_counter()
        md = render.render_markdown(mdl)
        doc = render.render_html(mdl, figs)
        page = explorer.render_page(mdl.explorer, names=[ev.name for ev in res.evaluations])
        t4 = time.perf_counter()
        diversity_for(res)
        t5 = time.perf_counter()
        explorer.build_data(res)
        t6 = time.perf_counter()
        explorer_mb = (Path(tmp) / "report0" / "explorer.html").stat().st_size / 1e6

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n_fig = len(figs)
    print(
        f"HMDB51-shaped report: {len(args.splits)} splits x 2 streams x 3 segments, "
        f"1530 videos, 51 classes ({len(names)} files); {cores} cores available"
    )
    print(
        f"  end to end (fresh interpreter): {wall:6.2f} s wall, {cpu:6.2f} s CPU   "
        f"goal < {GOAL_S:.0f} s: {'ok' if wall < GOAL_S else 'MISSED'}"
    )
    print(f"  evaluate (table, bootstrap):    {t1 - t0:6.2f} s")
    print(f"  report model (tables, curves):  {t2 - t1:6.2f} s")
    print(f"    of which diversity tables:    {t5 - t4:6.2f} s")
    print(f"    of which explorer data:       {t6 - t5:6.2f} s")
    print(
        f"  figures ({n_fig} x PNG + SVG):     {t3 - t2:6.2f} s  "
        f"({(t3 - t2) / max(n_fig, 1):.2f} s each)"
    )
    print(
        f"  Markdown + HTML + explorer:     {t4 - t3:6.2f} s  "
        f"(report.md {len(md) / 1e3:.0f} kB, report.html {len(doc) / 1e6:.1f} MB, "
        f"explorer.html {len(page) / 1e6:.1f} MB; written: {explorer_mb:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
