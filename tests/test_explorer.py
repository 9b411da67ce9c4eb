"""The fusion explorer: exact agreement with the package, compact data, the page in Chromium.

Python checks (always run): the encoded data, decoded and summed the way the
page sums them (:func:`fusionlab.explorer._data.emulate`), give exactly the
numbers of :func:`fusionlab.explorer.page_numbers` (the package's own rules)
for many weight vectors, on evaluations chosen to be hard: float16 scores with
many exact ties and zero probabilities (subnormal products), missing segments
(per-video weight renormalisation), three streams with different segment
counts, videos without a label.

Browser checks (``-m browser``; skipped when Playwright or Chromium is
missing): the page, opened from ``file://``, shows for every setting set
through its controls the numbers of :func:`page_numbers`, exactly (the counts
and the full-precision values in ``data-`` attributes, and the text the report
would print); makes no request other than its own file; logs no error; keeps
an HMDB51-sized page under 5 MB; and the time from an input event to the
updated read-out is printed (not asserted).
"""

from __future__ import annotations

import dataclasses
import glob
import json
import math
import re
import shlex
import shutil
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fusionlab import cli, explorer, scores, synth
from fusionlab.evaluate import EvaluateOptions, Results, evaluate
from fusionlab.explorer import _data as fxd
from fusionlab.explorer import encoding as fxe
from fusionlab.report.format import format_cell
from fusionlab.scores import ScoreSet

# --------------------------------------------------------------------------- inputs


def _explorer_main(argv: list[str]) -> int:
    """``python -m fusionlab.explorer ARGV`` in-process."""
    return cli.run_subcommand("explorer", argv, prog="python -m fusionlab.explorer")


def _options(**kw: Any) -> EvaluateOptions:
    """Fast options: no bootstrap, and no tuned rows where evaluate offers them."""
    fields = EvaluateOptions.__dataclass_fields__
    if "tuned" in fields and "tuned" not in kw:
        kw["tuned"] = "never"
    return EvaluateOptions(bootstrap=0, **kw)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def ties_sets(n: int = 160, c: int = 6, s: int = 3, seed: int = 5) -> list[ScoreSet]:
    """float16 probabilities quantised to eighths: exact ties, zeros, missing segments."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    ids = np.array([f"t{i:04d}" for i in range(n)])
    mask = rng.random((n, s)) > 0.2
    mask[~mask.any(axis=1), 0] = True
    out = []
    for si, name in enumerate(("rgb", "flow")):
        z = rng.normal(size=(n, s, c)) * 1.5 + (1.5 + 0.3 * si) * np.eye(c)[y][:, None, :]
        q = np.round(_softmax(z) * 8) / 8
        q[q.sum(axis=-1) == 0, 0] = 1.0
        q = (q / q.sum(axis=-1, keepdims=True)).astype(np.float16)
        labels = y.copy()
        labels[[5, 77]] = -1
        out.append(
            scores.build(
                q,
                labels,
                ids,
                kind="prob",
                stream=name,
                segment_mask=mask if si == 0 else None,
                dataset="ties",
            )
        )
    return out


def three_stream_sets(n: int = 140, c: int = 9, seed: int = 11) -> list[ScoreSet]:
    """Logit scores, three streams: rgb and flow with 3 segments, audio with 1."""
    sets = synth.make_scores(
        n_videos=n,
        n_classes=c,
        n_segments=3,
        streams={"rgb": (1.1, 0.9, 0.5), "flow": (1.3, 1.0, 0.7)},
        video_noise={"rgb": 0.6, "flow": 0.6},
        class_spread=0.4,
        kind="logit",
        dataset="three",
        seed=seed,
    )
    rng = np.random.default_rng(seed)
    y = sets[0].labels
    audio = rng.normal(size=(n, 1, c)) + 0.8 * np.eye(c)[y][:, None, :]
    sets.append(
        scores.build(
            audio.astype(np.float32),
            y,
            sets[0].video_ids,
            kind="logit",
            stream="audio",
            dataset="three",
            split="1",
            subset="test",
        )
    )
    return sets


def plain_sets(n: int = 150, c: int = 7, seed: int = 3) -> list[ScoreSet]:
    return synth.make_scores(
        n_videos=n,
        n_classes=c,
        n_segments=3,
        streams={"rgb": (1.2, 1.0, 0.6), "flow": (1.4, 1.1, 0.8)},
        video_noise={"rgb": 0.5, "flow": 0.5},
        class_spread=0.5,
        kind="prob",
        dataset="plain",
        seed=seed,
    )


@pytest.fixture(scope="module")
def small_results() -> Results:
    """Three small evaluations in one results object (one page holds all three)."""
    sets = plain_sets() + ties_sets() + three_stream_sets()
    return evaluate(scores.group(sets), options=_options(), progress=False)


@pytest.fixture(scope="module")
def small_data(small_results: Results) -> explorer.ExplorerData:
    return explorer.build_data(small_results)


def _weight_vectors(k: int, rng: np.random.Generator, n_random: int) -> list[list[int]]:
    out = [[1] * k, [0] * (k - 1) + [20], [20] + [0] * (k - 1), [2, 3] + [1] * (k - 2)]
    out += [[7] + [13] * (k - 1), [20] * k, [1] + [20] * (k - 1)]
    for _ in range(n_random):
        w = rng.integers(0, 21, size=k).tolist()
        out.append(w if any(w) else [1] * k)
    return [w[:k] for w in out]


# --------------------------------------------------------------------------- exactness, Python


def test_numpy_pairwise_summation_is_what_the_page_replicates() -> None:
    rng = np.random.default_rng(0)
    for n in [*range(1, 40), 127, 128, 129, 255, 256, 300, 1000]:
        a = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
        assert fxe.pairwise_sum(a.tolist()) == np.sum(a), n
        assert fxe.pairwise_sum(a.tolist()) / n == np.mean(a), n
    w = rng.random((200, 7)) * 10.0 ** rng.integers(-8, 8, (200, 7))
    for k in range(1, 8):  # rules._row_normalize sums rows of (videos, components)
        sums = w[:, :k].copy().sum(axis=1)
        assert all(fxe.pairwise_sum(r.tolist()) == t for r, t in zip(w[:, :k], sums, strict=True))


@pytest.mark.parametrize("which", [0, 1, 2], ids=["plain", "ties-masks", "three-streams"])
def test_page_arithmetic_equals_the_package(
    small_results: Results, small_data: explorer.ExplorerData, which: int
) -> None:
    ev = small_results.evaluations[which]
    ed = small_data.evaluations[which]
    assert ed is not None
    y = np.asarray(ed.meta["y"])
    rng = np.random.default_rng(which)
    c, k5 = ev.n_classes, min(5, ev.n_classes)
    n_checked = 0
    for fam in ed.stream_families:
        enc = fxe.decode_family(fam)
        for w in _weight_vectors(fam.k, rng, 4):
            got = fxe.emulate(enc, y, w, n_classes=c, k5=k5)
            want = explorer.page_numbers(
                small_results,
                evaluation=ev.name,
                weights=w,
                domain=fam.domain,
                consensus=fam.consensus or "mean",
            )
            for key in ("n_top1", "n_top5", "hits", "top1", "top5", "mean_class_acc"):
                assert got[key] == want[key], (fam.domain, fam.consensus, w, key)
            n_checked += 1
    n_seg = ed.meta["segments"]
    for fam in ed.segment_families:
        enc = fxe.decode_family(fam)
        assert fam.masked == (which == 1)
        for u in _weight_vectors(fam.k, rng, 6):
            sw = rng.integers(1, 4, size=len(n_seg)).tolist()  # stream weights multiply
            comp = [
                sw[s] * u[j]
                for s, j in zip(np.repeat(np.arange(len(n_seg)), n_seg), range(fam.k), strict=True)
            ]
            if not any(comp):
                continue
            got = fxe.emulate(enc, y, comp, n_classes=c, k5=k5)
            want = explorer.page_numbers(
                small_results,
                evaluation=ev.name,
                weights=sw,
                segment_weights=u,
                domain=fam.domain,
            )
            for key in ("n_top1", "n_top5", "hits", "mean_class_acc"):
                assert got[key] == want[key], (fam.domain, sw, u, key)
            n_checked += 1
    assert n_checked >= 60


def test_page_numbers_equal_the_evaluate_rows(small_results: Results) -> None:
    """The fixed-weight rows of the table are the page at the same integer weights."""
    n = 0
    for r in small_results.records:
        spec = r.get("spec")
        if spec is None or spec.fusion != "weighted" or spec.level != "two-level":
            continue
        ints = fxd._int_ratio(spec.weights, 20)
        assert ints is not None
        nums = explorer.page_numbers(
            small_results, evaluation=r["evaluation"], weights=ints, domain=spec.domain
        )
        assert (nums["top1"], nums["top5"], nums["mean_class_acc"]) == (
            r["top1"],
            r["top5"],
            r["mean_class_acc"],
        )
        n += 1
    assert n >= 16


def test_data_are_compact_and_fixed_videos_need_no_rows(small_data: explorer.ExplorerData) -> None:
    for ed in small_data.evaluations:
        assert ed is not None
        for fam in ed.stream_families + ed.segment_families:
            enc = fxe.decode_family(fam)
            fixed = enc.status >= fxe.FIXED_WRONG
            assert (np.diff(enc.row_start)[fixed] == 0).all()
            assert (np.diff(enc.row_start)[~fixed] >= 2).all()  # the true class and a rival
            first = enc.row_start[:-1][~fixed]
            assert (enc.row_class[first] == np.asarray(ed.meta["y"])[~fixed]).all()
            assert fam.n_rows <= len(ed.meta["y"]) * ed.meta["c"]


def test_identical_streams_make_every_video_fixed() -> None:
    sets = plain_sets(n=60, c=5)
    twin = dataclasses.replace(sets[0], meta={**sets[0].meta, "stream": "twin"}, stream="twin")
    res = evaluate(scores.group([sets[0], twin]), options=_options(), progress=False)
    ed = fxd.build_evaluation(res, res.evaluations[0], domains=("prob", "logit"))
    for fam in ed.stream_families:
        assert fam.n_rows == 0 and fam.n_variable == 0  # the weights cannot matter


def test_page_numbers_checks_its_input(small_results: Results) -> None:
    from fusionlab.errors import UsageError

    with pytest.raises(UsageError, match="expected 2 weights"):
        explorer.page_numbers(small_results, weights=[1, 2, 3], domain="prob")
    with pytest.raises(UsageError, match="not all 0"):
        explorer.page_numbers(small_results, weights=[0, 0], domain="prob")
    with pytest.raises(UsageError, match="domain"):
        explorer.page_numbers(small_results, weights=[1, 1], domain="probs")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no evaluation"):
        explorer.page_numbers(small_results, weights=[1, 1], domain="prob", evaluation="nope")
    with pytest.raises(UsageError, match="unknown fusion rule"):
        explorer.page_numbers(small_results, weights=[1, 1], domain="prob", consensus="mode")


def test_budget_leaves_out_what_does_not_fit(small_data: explorer.ExplorerData) -> None:
    full, notes = small_data.select(10**9)
    assert [seg for _, seg in full] == [True, True, True] and notes == ["", "", ""]
    eds = [ed for ed, _ in full]
    core = eds[0].core_size + eds[1].core_size + eds[2].core_size
    chosen, notes = small_data.select(core + eds[0].segment_size)
    assert [seg for _, seg in chosen] == [True, False, False]
    assert notes[0] == "" and "Per-segment weights" in notes[1] and "budget" in notes[2]
    chosen, notes = small_data.select(eds[0].core_size)
    assert len(chosen) == 1 and "not embedded" in notes[1]


def test_too_large_evaluations_get_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    res = evaluate(scores.group(plain_sets(n=40, c=4)), options=_options(), progress=False)
    monkeypatch.setattr(fxd, "MAX_CELLS", 100)
    data = explorer.build_data(res)
    assert data.evaluations == [None] and "limit of 100 cells" in data.notes[0]


def test_json_cannot_close_the_script_element(tmp_path: Path) -> None:
    sets = synth.make_scores(n_videos=30, n_classes=3, n_segments=2, seed=2, dataset="x")
    names = np.array(["</script><script>alert(1)</script>", "a&b", "<!--"])
    sets = [dataclasses.replace(s, class_names=names) for s in sets]
    res = evaluate(scores.group(sets), options=_options(), progress=False)
    page = explorer.render_page(explorer.build_data(res), names=[ev.name for ev in res.evaluations])
    assert page.count("<script") == 2 and page.count("</script>") == 2
    data = page.split('id="fx-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["evaluations"][0]["classes"][0].startswith("</script>")


def test_grid_optima_are_marked_and_reproduced(tmp_path: Path) -> None:
    """Grid rows of the table (fusionlab.search) become markers the page reproduces."""
    sets = plain_sets(n=120, c=5)
    fields = EvaluateOptions.__dataclass_fields__
    if "tuned" not in fields:
        pytest.skip("evaluate has no tuned (grid-search) rows yet")
    opts = EvaluateOptions(bootstrap=0, tuned="always", repeats=1, learned=False)
    res = evaluate(scores.group(sets), options=opts, progress=False)
    ev = res.evaluations[0]
    marks = fxd.grid_markers(res, ev)
    assert {m["mode"] for m in marks} == {"streams", "segments"}
    for m in marks:
        assert sum(m["counts"]) == m["m"]
        if m["mode"] == "streams":
            nums = explorer.page_numbers(res, weights=m["counts"], domain=m["domain"])
        else:
            nums = explorer.page_numbers(
                res, weights=[1, 1], segment_weights=m["counts"], domain=m["domain"]
            )
        assert nums["top1"] == m["oracle_top1"], m


def test_command_line_prints_the_page_numbers(
    small_results: Results, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for s in plain_sets():
        p = tmp_path / f"{s.stream}.npz"
        scores.save(
            p,
            s.scores,
            s.labels,
            s.video_ids,
            kind=s.kind,
            stream=s.stream,
            dataset="plain",
            split="1",
            subset="test",
        )
        paths.append(str(p))
    page = tmp_path / "x.html"
    argv = [
        *paths,
        "--weights",
        "3:5",
        "--domain",
        "logit",
        "--consensus",
        "max",
        "--format",
        "json",
        "--html",
        str(page),
    ]
    assert _explorer_main(argv) == 0
    got = json.loads(capsys.readouterr().out)["results"][0]
    want = explorer.page_numbers(
        small_results,
        evaluation="plain/1/test" if False else small_results.evaluations[0].name,
        weights=[3, 5],
        domain="logit",
        consensus="max",
    )
    assert got["n_top1"] == want["n_top1"] and got["top1"] == want["top1"]
    assert got["mean_class_acc"] == want["mean_class_acc"]
    assert page.is_file() and 'class="fx-root"' in page.read_text()
    assert _explorer_main([*paths, "--weights", "0:0"]) == cli.EXIT_USAGE
    assert "at least one weight must be > 0" in capsys.readouterr().err
    assert _explorer_main([*paths, "--segment-weights", "1:0:2:1:1:0", "--domain", "prob"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"top-1 \d+\.\d\d % \(\d+ videos\)", text)


#: A folder and file names that need shell quoting and glob escaping.
_ODD_FOLDER = "my scores"


def _odd_files(tmp_path: Path) -> list[str]:
    """Two stream files under ``tmp_path/'my scores'``, as relative paths (from ``tmp_path``)."""
    folder = tmp_path / _ODD_FOLDER
    folder.mkdir()
    rel = []
    for s, name in zip(plain_sets(n=90, c=5), ("rgb's e2.npz", "flow [1] e2.npz"), strict=True):
        scores.save(
            folder / name,
            s.scores,
            s.labels,
            s.video_ids,
            kind=s.kind,
            stream=s.stream,
            dataset="odd",
            split="1",
            subset="test",
        )
        rel.append(f"{_ODD_FOLDER}/{name}")
    return rel


def _run_copied(cmd: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Run a copied ``python -m fusionlab.explorer ...`` command in-process; its JSON output."""
    argv = shlex.split(cmd)
    assert argv[:3] == ["python", "-m", "fusionlab.explorer"], argv
    capsys.readouterr()
    assert _explorer_main([*argv[3:], "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == 1 and doc["command"] == "explorer"
    out: dict[str, Any] = doc["results"][0]
    return out


def test_command_lines_use_the_paths_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page's command lines name the files as they were given (relative, shell-quoted)."""
    monkeypatch.chdir(tmp_path)
    rel = _odd_files(tmp_path)
    # as a user would pass them (fusionlab expands globs itself: escape the "[")
    res = evaluate(scores.group([scores.load(p) for p in rel]), options=_options(), progress=False)
    (ed,) = explorer.build_data(res).evaluations
    assert ed is not None
    assert ed.meta["files"] == rel  # stream order, the weights' order; not bare names
    arg = ed.meta["filesArg"]
    assert arg == " ".join(shlex.quote(glob.escape(p)) for p in rel)
    # the command the page builds from it runs from the folder the files were given in
    got = _run_copied(f"python -m fusionlab.explorer {arg} --weights 3:5 --domain logit", capsys)
    want = explorer.page_numbers(res, weights=[3, 5], domain="logit")
    assert (got["n_top1"], got["top1"], got["mean_class_acc"]) == (
        want["n_top1"],
        want["top1"],
        want["mean_class_acc"],
    )
    # and fails from elsewhere, as the bare names used to from the report's folder
    monkeypatch.chdir(tmp_path / _ODD_FOLDER)
    assert _explorer_main([*shlex.split(arg), "--format", "json"]) == cli.EXIT_USAGE
    # sets not read from files: a placeholder, never a partial list
    mem = evaluate(scores.group(plain_sets()), options=_options(), progress=False)
    (ed2,) = explorer.build_data(mem).evaluations
    assert ed2 is not None and ed2.meta["files"] == [] and ed2.meta["filesArg"] == "FILES"


# --------------------------------------------------------------------------- the page in Chromium


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")


_SET = """([index, st]) => {
  const root = document.querySelectorAll('.fx-root')[index];
  const fire = (el, type) => el.dispatchEvent(new Event(type, { bubbles: true }));
  const radio = root.querySelector(`input[type=radio][value="${st.domain}"]`);
  if (!radio.checked) { radio.checked = true; fire(radio, 'change'); }
  const box = root.querySelector('.fx-segmode');
  if (box.checked !== st.seg) { box.checked = st.seg; fire(box, 'change'); }
  const sel = root.querySelector('.fx-consensus');
  if (!st.seg && sel.value !== st.consensus) { sel.value = st.consensus; fire(sel, 'change'); }
  const slide = (sel, ws) => root.querySelectorAll(sel).forEach((inp, i) => {
    inp.value = String(ws[i]);
    fire(inp, 'input');
  });
  slide('input[data-fx-stream]', st.w);
  if (st.seg) { slide('input[data-fx-seg]', st.u); }
  const q = (s) => root.querySelector(s);
  return {
    n1: Number(q('.fx-top1').dataset.count), n5: Number(q('.fx-top5').dataset.count),
    n: Number(q('.fx-top1').dataset.n),
    top1: Number(q('.fx-top1').dataset.value), top5: Number(q('.fx-top5').dataset.value),
    mca: Number(q('.fx-mca').dataset.value), delta: q('.fx-delta').dataset.value,
    texts: ['.fx-top1', '.fx-top5', '.fx-mca', '.fx-delta'].map((s) => q(s).textContent),
    hits: q('.fx-bars').dataset.hits.split(',').map(Number),
    cmd: q('.fx-cmd').textContent, cmdEval: q('.fx-cmd-evaluate').textContent,
    error: q('.fx-bad:not([hidden])') ? q('.fx-bad:not([hidden])').textContent : '',
  };
}"""

_LATENCY = """async ([index, seg]) => {
  const root = document.querySelectorAll('.fx-root')[index];
  const inp = root.querySelector(seg ? 'input[data-fx-seg="2"]' : 'input[data-fx-stream="1"]');
  const out = root.querySelector('.fx-top1');
  const handler = [], frame = [];
  for (let i = 0; i < 40; i++) {
    const before = out.dataset.value + inp.value;
    const t0 = performance.now();
    inp.value = String((i * 7) % 21);
    inp.dispatchEvent(new Event('input', { bubbles: true }));
    const t1 = performance.now();
    await new Promise((r) => requestAnimationFrame(() => r()));
    const t2 = performance.now();
    if (out.dataset.value + inp.value === before && i > 0) { continue; }
    handler.push(t1 - t0); frame.push(t2 - t0);
  }
  return { handler, frame };
}"""


def _expect(nums: dict[str, Any]) -> list[str]:
    return [
        format_cell(nums["top1"], "pct"),
        format_cell(nums["top5"], "pct"),
        format_cell(nums["mean_class_acc"], "pct"),
        "" if nums["delta_top1"] is None else format_cell(nums["delta_top1"], "signed_pct"),
    ]


class _Browser:
    def __init__(self, sync_api: Any) -> None:
        self.pw = sync_api.sync_playwright().start()
        self.browser = self.pw.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )

    def open(self, path: Path) -> tuple[Any, list[str], list[str]]:
        page = self.browser.new_page(viewport={"width": 1280, "height": 1000})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri(), wait_until="load")
        n = page.locator(".fx-root").count()
        for i in range(n):
            page.locator(".fx-root").nth(i).and_(page.locator('[data-ready="1"]')).wait_for(
                timeout=30_000
            )
        return page, requests, errors

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
    )
    _chromium()
    b = _Browser(sync_api)
    yield b
    b.close()


@pytest.mark.browser
def test_page_shows_exactly_the_package_numbers(
    browser: Any, small_results: Results, small_data: explorer.ExplorerData, tmp_path: Path
) -> None:
    names = [ev.name for ev in small_results.evaluations]
    path = tmp_path / "explorer.html"
    path.write_text(explorer.render_page(small_data, names=names), "utf-8")
    page, requests, errors = browser.open(path)
    rng = np.random.default_rng(42)
    n_checked = 0
    for i, ev in enumerate(small_results.evaluations):
        k = len(ev.streams)
        n_seg = [ev.sets[(s, ev.epochs(s)[-1])].n_segments for s in ev.streams]
        settings: list[dict[str, Any]] = []
        for domain in ("prob", "logit"):
            for consensus in explorer.CONSENSUS:
                for w in _weight_vectors(k, rng, 0)[:5]:
                    settings.append(
                        {"domain": domain, "consensus": consensus, "seg": False, "w": w}
                    )
            for _ in range(3):
                u = rng.integers(0, 21, size=sum(n_seg)).tolist()
                u[0] = max(u[0], 1)
                w = rng.integers(1, 21, size=k).tolist()
                settings.append(
                    {"domain": domain, "consensus": "mean", "seg": True, "w": w, "u": u}
                )
            settings.append(
                {
                    "domain": domain,
                    "consensus": "mean",
                    "seg": True,
                    "w": [0] * (k - 1) + [3],
                    "u": [20] * sum(n_seg),
                }
            )
        for st in settings:
            shown = page.evaluate(_SET, [i, {"u": [], **st}])
            nums = explorer.page_numbers(
                small_results,
                evaluation=ev.name,
                weights=st["w"],
                domain=st["domain"],
                consensus=st["consensus"],
                segment_weights=st["u"] if st["seg"] else None,
            )
            where = (ev.name, st)
            assert shown["error"] == "", where
            assert (shown["n1"], shown["n5"], shown["n"]) == (
                nums["n_top1"],
                nums["n_top5"],
                nums["n_videos"],
            ), where
            assert shown["top1"] == nums["top1"] and shown["top5"] == nums["top5"], where
            assert shown["mca"] == nums["mean_class_acc"], where
            assert float(shown["delta"]) == nums["delta_top1"], where
            assert shown["hits"] == nums["hits"], where
            assert shown["texts"] == _expect(nums), where
            n_checked += 1
        # the copied command lines
        # weights by name, in the page's stream order
        wtxt = ",".join(f"{n}={v}" for n, v in zip(ev.streams, st["w"], strict=True))
        assert shown["cmd"].startswith("python -m fusionlab.explorer ")
        assert f"--weights {wtxt} --domain {st['domain']} --segment-weights " in shown["cmd"]
        assert shown["cmdEval"].startswith("python -m fusionlab.evaluate ")
    # all weights zero: a message, and the last numbers stay
    stuck = page.evaluate(
        _SET, [0, {"domain": "prob", "consensus": "mean", "seg": False, "w": [0, 0], "u": []}]
    )
    assert "All weights are 0" in stuck["error"]
    checks = page.eval_on_selector_all(".fx-check", "els => els.map(e => e.textContent)")
    page.close()
    assert n_checked >= 100
    # three streams: the table has no fixed-weight rows to check against
    assert ["reproduces the report's" in c for c in checks] == [True, True, False], checks
    assert not errors, errors
    assert [u for u in requests if not u.startswith("data:")] == [path.resolve().as_uri()]


@pytest.mark.browser
def test_page_formatting_and_summation_match_python(
    browser: Any, small_data: explorer.ExplorerData, small_results: Results, tmp_path: Path
) -> None:
    path = tmp_path / "explorer.html"
    path.write_text(
        explorer.render_page(small_data, names=[e.name for e in small_results.evaluations]), "utf-8"
    )
    page, _, errors = browser.open(path)
    rng = np.random.default_rng(7)
    values = [
        0.125,
        0.00125,
        0.01125,
        1.125,
        0.005,
        0.015,
        0.025,
        0.6947712418300653,
        -0.0001,
        -0.0125,
        0.0,
        1.0,
        2.675,
    ]
    values += (rng.random(300) * 2 - 0.5).tolist()
    values += [k / 1530 for k in range(0, 1531, 17)] + [-(k / 58) for k in range(12)]
    got = page.evaluate(
        "(vs) => { const F = FusionlabExplorer; "
        "return vs.map(v => [F.pct(v), F.signedPct(v), F.fixed(v, 3)]); }",
        values,
    )
    assert got == [
        [format_cell(v, "pct"), format_cell(v, "signed_pct"), f"{v:.3f}"] for v in values
    ]
    vecs = [
        (rng.random(n) * 10.0 ** rng.integers(-6, 6, n)).tolist()
        for n in [*range(1, 20), 64, 127, 128, 129, 300, 1000]
    ]
    sums = page.evaluate("(vs) => vs.map(v => FusionlabExplorer.pairwiseSum(v))", vecs)
    assert sums == [float(np.sum(np.array(v))) for v in vecs]
    page.close()
    assert not errors, errors


@pytest.mark.browser
def test_hmdb51_sized_page_size_and_latency(browser: Any, tmp_path: Path) -> None:
    res = evaluate(
        scores.group(synth.make_scores(synth.hmdb51_like())), options=_options(), progress=False
    )
    data = explorer.build_data(res)
    html = explorer.render_page(data, names=[ev.name for ev in res.evaluations])
    path = tmp_path / "explorer.html"
    path.write_text(html, "utf-8")
    size = path.stat().st_size
    assert size < 5_000_000
    ed = data.evaluations[0]
    assert ed is not None and ed.segment_families  # everything embedded
    page, requests, errors = browser.open(path)
    stream = page.evaluate(_LATENCY, [0, False])
    seg_on = page.evaluate(
        _SET, [0, {"domain": "logit", "consensus": "mean", "seg": True, "w": [1, 1], "u": [1] * 6}]
    )
    assert seg_on["error"] == ""
    seg = page.evaluate(_LATENCY, [0, True])
    # exact at a few settings, HMDB51 size included
    settings: list[dict[str, Any]] = [
        {"domain": "prob", "consensus": "variance_weighted", "seg": False, "w": [7, 13], "u": []},
        {"domain": "logit", "consensus": "max", "seg": False, "w": [0, 20], "u": []},
        {"domain": "prob", "consensus": "mean", "seg": True, "w": [2, 3], "u": [5, 4, 1, 6, 3, 0]},
    ]
    for st in settings:
        shown = page.evaluate(_SET, [0, st])
        nums = explorer.page_numbers(
            res,
            weights=st["w"],
            domain=st["domain"],
            consensus=st["consensus"],
            segment_weights=st["u"] or None,
        )
        assert (shown["n1"], shown["n5"], shown["mca"]) == (
            nums["n_top1"],
            nums["n_top5"],
            nums["mean_class_acc"],
        ), st
    page.close()
    assert not errors, errors
    assert [u for u in requests if not u.startswith("data:")] == [path.resolve().as_uri()]

    def fmt(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.2f} ms, max {max(xs):.2f} ms"

    print(
        f"\nHMDB51-sized explorer page: {size / 1e6:.2f} MB "
        f"(stream data {ed.core_size / 1e6:.2f} MB, per-segment {ed.segment_size / 1e6:.2f} MB)\n"
        f"  stream slider -> read-out updated: {fmt(stream['handler'])}; "
        f"-> next frame: {fmt(stream['frame'])}\n"
        f"  segment slider -> read-out updated: {fmt(seg['handler'])}; "
        f"-> next frame: {fmt(seg['frame'])}"
    )
    assert stream["handler"] and seg["handler"]
    assert all(math.isfinite(t) for t in stream["frame"] + seg["frame"])


@pytest.mark.browser
def test_copied_command_lines_run_from_where_the_files_were_given(
    browser: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue: the copied commands named bare files and failed from the repository root."""
    import argparse

    from fusionlab.commands import evaluate as fl_evaluate

    monkeypatch.chdir(tmp_path)
    rel = _odd_files(tmp_path)
    res = evaluate(scores.group([scores.load(p) for p in rel]), options=_options(), progress=False)
    path = tmp_path / "out" / "explorer.html"
    path.parent.mkdir()
    path.write_text(
        explorer.render_page(explorer.build_data(res), names=[e.name for e in res.evaluations]),
        "utf-8",
    )
    page, _, errors = browser.open(path)
    st = {"domain": "prob", "consensus": "max", "seg": False, "w": [7, 13], "u": []}
    shown = page.evaluate(_SET, [0, st])
    seg = page.evaluate(
        _SET, [0, {"domain": "logit", "consensus": "mean", "seg": True, "w": [2, 3], "u": [1] * 6}]
    )
    mean = page.evaluate(
        _SET, [0, {"domain": "logit", "consensus": "mean", "seg": False, "w": [1, 2], "u": []}]
    )
    page.close()
    assert not errors, errors
    for cmd, n1 in ((shown["cmd"], shown["n1"]), (seg["cmd"], seg["n1"])):
        assert shlex.split(cmd)[3:5] == [glob.escape(p) for p in rel], cmd
        assert _run_copied(cmd, capsys)["n_top1"] == n1, cmd
    # the evaluate command: the same quoted paths, and options evaluate accepts
    argv = shlex.split(mean["cmdEval"])
    assert argv[:3] == ["python", "-m", "fusionlab.evaluate"]
    assert argv[3:5] == [glob.escape(p) for p in rel]
    parser = argparse.ArgumentParser()
    fl_evaluate.add_arguments(parser)
    parser.parse_args(argv[3:])
    assert [str(p) for p in scores.resolve_paths(argv[3:5])] == rel


def test_json_output_is_strict_json_with_absent_classes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: per-class accuracy of a class without videos was written as NaN."""
    import json as _json

    from fusionlab import cli
    from fusionlab.scores import save as _save

    rng = np.random.default_rng(0)
    files = []
    for stream in ("rgb", "flow"):
        p = rng.dirichlet(np.ones(6), size=(12, 2))
        labels = np.arange(12) % 4  # classes 4 and 5 have no video
        _save(
            tmp_path / f"{stream}.npz",
            p,
            labels,
            [f"v{i}" for i in range(12)],
            kind="prob",
            stream=stream,
        )
        files.append(str(tmp_path / f"{stream}.npz"))
    assert cli.main(["explorer", *files, "--weights", "1:2", "--format", "json"]) == 0
    doc = _json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(c))
    doc = doc["results"][0]
    assert doc["per_class"][4] is None
