"""Benchmark: the fusion explorer of an HMDB51-shaped evaluation.

2 streams x 3 segments x 1530 videos x 51 classes
(``fusionlab.synth.hmdb51_like``, probability and logit score files). Prints
the time to build the explorer data, the size of each embedded family (rows
kept, compressed size) and of the standalone page (goal: under 5 MB), and, when
Playwright and Chromium are installed, the time from an input event on a slider
to the updated read-out and to the next frame (goal: within a frame or two).

    python benchmarks/bench_explorer.py [--kind prob logit] [--moves 200]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from fusionlab import explorer, group, synth
from fusionlab.evaluate import EvaluateOptions, evaluate

GOAL_MB = 5.0

_MOVE = """async ([sel, n]) => {
  const root = document.querySelector('.fx-root');
  const inp = root.querySelector(sel);
  const out = root.querySelector('.fx-top1');
  const handler = [], frame = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    inp.value = String((i * 7) % 21);
    inp.dispatchEvent(new Event('input', { bubbles: true }));
    const t1 = performance.now();
    await new Promise((r) => requestAnimationFrame(() => r()));
    handler.push(t1 - t0);
    frame.push(performance.now() - t0);
    if (!out.dataset.value) { throw new Error('no read-out'); }
  }
  return { handler, frame };
}"""

_SEG_ON = """() => {
  const box = document.querySelector('.fx-root .fx-segmode');
  box.checked = true;
  box.dispatchEvent(new Event('change', { bubbles: true }));
}"""


def _stats(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    return f"median {statistics.median(xs):5.2f} ms, p95 {p95:5.2f} ms, max {xs[-1]:5.2f} ms"


def _browser(path: Path, moves: int) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  (Playwright not installed: no latency measurement)")
        return
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("  (Chromium not installed: no latency measurement)")
        return
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        t0 = time.perf_counter()
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.locator('.fx-root[data-ready="1"]').wait_for(timeout=60_000)
        print(f"  page load to ready:  {1e3 * (time.perf_counter() - t0):7.1f} ms (Chromium)")
        r = page.evaluate(_MOVE, ['input[data-fx-stream="1"]', moves])
        print(f"  stream slider -> read-out:    {_stats(r['handler'])}")
        print(f"  stream slider -> next frame:  {_stats(r['frame'])}")
        page.evaluate(_SEG_ON)
        r = page.evaluate(_MOVE, ['input[data-fx-seg="2"]', moves])
        print(f"  segment slider -> read-out:   {_stats(r['handler'])}")
        print(f"  segment slider -> next frame: {_stats(r['frame'])}")
        browser.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kind", nargs="+", default=["prob", "logit"], choices=["prob", "logit"])
    ap.add_argument("--moves", type=int, default=200, help="slider moves per measurement")
    args = ap.parse_args()
    for kind in args.kind:
        sets = synth.make_scores(synth.hmdb51_like(kind=kind))
        res = evaluate(group(sets), options=EvaluateOptions(bootstrap=0), progress=False)
        t0 = time.perf_counter()
        data = explorer.build_data(res)
        t1 = time.perf_counter()
        html = explorer.render_page(data, names=[ev.name for ev in res.evaluations])
        ed = data.evaluations[0]
        assert ed is not None
        mb = len(html.encode()) / 1e6
        print(f"HMDB51-shaped explorer, {kind} score files: data built in {t1 - t0:.2f} s")
        for fam in ed.stream_families + ed.segment_families:
            what = fam.consensus or "per segment"
            print(
                f"  {fam.mode:8s} {fam.domain:5s} {what:17s} K={fam.k}: "
                f"{fam.n_variable:4d} of {ed.meta['n']} videos depend on the weights, "
                f"{fam.n_rows:5d} rows, {fam.size / 1e6:.2f} MB embedded"
            )
        verdict = "ok" if mb < GOAL_MB else "MISSED"
        print(f"  page: {mb:.2f} MB   goal < {GOAL_MB:.0f} MB: {verdict}")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "explorer.html"
            path.write_text(html, "utf-8")
            _browser(path, args.moves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
