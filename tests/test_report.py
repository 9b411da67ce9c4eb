"""The Markdown and HTML report: golden file, reproducibility, atomic output, browser check.

Regenerate the golden file after an intended change with::

    FUSIONLAB_UPDATE_GOLDEN=1 python -m pytest tests/test_report.py -q
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fusionlab import cli, scores, synth
from fusionlab.errors import UsageError
from fusionlab.evaluate import EvaluateOptions, Results, evaluate_files
from fusionlab.report import build_model, check_out_dir, figures, write_report
from fusionlab.report._format import Slugger, format_cell, md_escape
from fusionlab.report.model import Table

GOLDEN = Path(__file__).parent / "golden" / "report.md"
#: Figures of the small report: 7 of the evaluation, 2 of the diversity section.
N_FIGURES = 9
#: Files beside report.html that it links to.
BESIDE = ("explorer.html", "fixed_broken_videos.csv")
UPDATE = os.environ.get("FUSIONLAB_UPDATE_GOLDEN") == "1"
CLASSES = ["brush_hair", "cartwheel", "catch", "chew", "clap"]
OPTIONS = EvaluateOptions(bootstrap=200)


# --------------------------------------------------------------------------- inputs


def write_small_scores(folder: Path, *, streams: dict[str, Any] | None = None) -> list[Path]:
    """Two streams x two epochs, 60 videos (two without label), 5 classes, 3 segments."""
    folder.mkdir(parents=True, exist_ok=True)
    streams = streams or {"rgb": (1.3, 1.1, 0.7), "flow": (1.5, 1.3, 0.9)}
    paths = []
    for epoch, scale in ((1, 0.6), (2, 1.0)):
        sets = synth.make_scores(
            n_videos=60,
            n_classes=5,
            n_segments=3,
            streams={k: tuple(scale * v for v in vals) for k, vals in streams.items()},
            video_noise={k: 0.5 for k in streams},
            class_spread=0.5,
            kind="prob",
            dataset="toy",
            seed=7,
        )
        for s in sets:
            labels = s.labels.copy()
            labels[[3, 17]] = -1
            p = folder / f"toy_{s.stream}_e{epoch}.npz"
            scores.save(
                p,
                s.scores,
                labels,
                s.video_ids,
                kind=s.kind,
                stream=s.stream,
                class_names=np.array(CLASSES),
                dataset="toy",
                split="1",
                subset="test",
                epoch=epoch,
            )
            paths.append(p)
    return paths


@pytest.fixture(scope="module")
def small_results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = tmp_path_factory.mktemp("scores")
    paths = write_small_scores(folder)
    return evaluate_files([str(p) for p in paths], options=OPTIONS, progress=False)


@pytest.fixture(scope="module")
def report_dir(small_results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(small_results, tmp_path_factory.mktemp("out") / "report")


def scrub(text: str) -> str:
    """Remove what may change without the report changing: the fusionlab version."""
    return re.sub(
        r"fusionlab \d+\.\d+\.\d+(?:[.+-]?(?:dev|a|b|rc|post)\d+)*", "fusionlab X.Y.Z", text
    )


# --------------------------------------------------------------------------- golden, determinism


def test_markdown_matches_golden_file(report_dir: Path) -> None:
    got = scrub((report_dir / "report.md").read_text("utf-8"))
    if UPDATE:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(got, "utf-8")
        pytest.skip("golden file regenerated")
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} is missing; run with FUSIONLAB_UPDATE_GOLDEN=1 to create it")
    want = GOLDEN.read_text("utf-8")
    assert got == want, "report.md differs from the golden file (FUSIONLAB_UPDATE_GOLDEN=1)"


def test_same_inputs_give_identical_files(
    small_results: Results, report_dir: Path, tmp_path: Path
) -> None:
    again = write_report(small_results, tmp_path / "again")
    names = sorted(p.relative_to(report_dir).as_posix() for p in report_dir.rglob("*"))
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*"))
    for name in names:
        a, b = report_dir / name, again / name
        if a.is_file():
            assert a.read_bytes() == b.read_bytes(), name
    md = (report_dir / "report.md").read_text("utf-8")
    assert str(report_dir) not in md and str(tmp_path) not in md
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", md)


def test_report_contents(report_dir: Path) -> None:
    md = (report_dir / "report.md").read_text("utf-8")
    for heading in (
        "## toy/split1/test",
        "### Summary",
        "### Best fusion vs best single stream",
        "### Single streams: segment consensus",
        "### Stream fusion rules",
        "### Fixed stream weights",
        "### Per-segment accuracy",
        "### Stream weights (computed by the report, oracle)",
        "### Fusion explorer",
        "### Classes that gain and lose",
        "### Why fusion helps: complementarity",
        "#### Pairwise complementarity",
        "#### Oracle bound",
        "#### Segment subsets",
        "#### Where fusion wins and loses",
        "#### Per-class complementarity",
        "### Confusion matrix of the best fusion",
        "### Calibration",
        "### Learning curve",
        "## Notes",
    ):
        assert f"\n{heading}\n" in md, heading
    for weights in ("| 1:1 |", "| 1:1.5 |", "| 2:1 |", "| 1:2 |"):
        assert weights in md
    assert "| videos | 58 with a label, of 60 |" in md
    assert "McNemar" in md and "paired bootstrap" in md
    # every image link points at a file that exists, PNG and SVG
    links = re.findall(r"\]\((figures/[^)]+)\)", md)
    assert {Path(link).suffix for link in links} == {".png", ".svg"}
    for link in links:
        assert (report_dir / link).stat().st_size > 1000, link
    assert len(list((report_dir / "figures").glob("*.png"))) == N_FIGURES
    # files beside the report, linked from it
    assert "[fixed_broken_videos.csv](fixed_broken_videos.csv)" in md
    assert "[explorer.html](explorer.html)" in md
    assert (report_dir / "explorer.html").stat().st_size > 10_000
    rows = (report_dir / "fixed_broken_videos.csv").read_text("utf-8").splitlines()
    assert rows[0] == (
        "evaluation,video_id,label,true_class,single_pred,fused_pred,fixed,fixed_all_wrong,broken"
    )
    assert len(rows) > 1 and all(r.startswith("toy/split1/test,") for r in rows[1:])


def test_diversity_tables_in_the_report(small_results: Results) -> None:
    """Issue 7: complementarity, oracle bound, subsets, wins/losses and per-class tables."""
    from fusionlab import diversity

    model = build_model(small_results, explorer=False)
    (fact,) = model.facts
    tables = fact.diversity
    assert tables is not None
    want = diversity.diversity_for(small_results)["toy/split1/test"]
    assert tables["summary"] == want["summary"]
    sec = next(s for s in model.walk() if s.title == "Why fusion helps: complementarity")
    titles = [c.title for c in sec.children]
    assert titles == [
        "Pairwise complementarity",
        "Oracle bound",
        "Segment subsets",
        "Where fusion wins and loses",
        "Per-class complementarity",
    ]
    pair = sec.children[0].blocks[0]
    assert isinstance(pair, Table) and len(pair.data) == len(want["pairwise"])
    assert {f.plot for f in model.figures()} >= {"q_heatmap", "subset_accuracy"}
    subsets = sec.children[2].blocks[0]
    assert isinstance(subsets, Table)
    rgb12 = subsets.data[(subsets.data["set"] == "rgb") & (subsets.data["subset"] == "1+2")]
    assert rgb12["mean_prob"].iloc[0] == want["subsets"].loc[("rgb", "prob", "1+2"), "mean_acc"]
    assert model.files["fixed_broken_videos.csv"] == diversity.videos_csv({"toy/split1/test": want})


def _md_cells(md: str) -> list[str]:
    cells: list[str] = []
    for line in md.splitlines():
        if line.startswith("| ") and not re.fullmatch(r"\|(---:?\|)+", line):
            parts = re.split(r"(?<!\\) \| ", line[2:-2])
            cells.extend(re.sub(r"\\(.)", r"\1", p) for p in parts)
    return cells


def _html_cells(doc: str) -> list[str]:
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", doc, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_markdown_and_html_show_the_same_tables(report_dir: Path) -> None:
    md = (report_dir / "report.md").read_text("utf-8")
    doc = (report_dir / "report.html").read_text("utf-8")
    assert _md_cells(md) == _html_cells(doc)
    titles = re.findall(r"^#{2,4} (.+)$", md, flags=re.M)
    html_titles = [
        html.unescape(t).strip()
        for t in re.findall(r"<h[2-4]>(.*?) <a class=\"anchor\"", doc, flags=re.S)
    ]
    assert [t.replace("\\", "") for t in titles if t != "Contents"] == html_titles


def test_html_is_self_contained(report_dir: Path) -> None:
    doc = (report_dir / "report.html").read_text("utf-8")
    srcs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", doc)
    assert srcs
    assert all(s.startswith(("data:", "#")) or s in BESIDE for s in srcs), [
        s for s in srcs if not s.startswith(("data:", "#"))
    ]
    assert "Content-Security-Policy" in doc and "default-src 'none'" in doc
    assert doc.count("<img ") == N_FIGURES
    assert "http://" not in doc and "https://" not in doc
    assert '<table class="sortable">' in doc and "<script>" in doc
    assert '<nav class="toc"' in doc
    assert '<div class="fx-root" data-fx-index="0"></div>' in doc
    assert doc.count('<script type="application/json" id="fx-data">') == 1
    page = (report_dir / "explorer.html").read_text("utf-8")
    assert "Content-Security-Policy" in page and "http://" not in page and "https://" not in page
    assert re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", page) == ["data:,"]


# --------------------------------------------------------------------------- the model


def test_model_facts(small_results: Results) -> None:
    model = build_model(small_results)
    (fact,) = model.facts
    assert fact.n_known == 58 and fact.n_videos == 60
    assert fact.best_fusion is not None and fact.best_single is not None
    comp = fact.comparison
    assert comp is not None
    assert comp.diff.diff == pytest.approx(comp.fusion_top1 - comp.single_top1)
    assert comp.diff.low <= comp.diff.diff <= comp.diff.high
    assert 0.0 <= comp.mcnemar.pvalue <= 1.0
    pc = fact.per_class
    assert pc is not None and list(pc["class"]) == CLASSES and pc["videos"].sum() == 58
    assert fact.confusion is not None and fact.confusion.sum() == 58
    np.testing.assert_allclose(
        np.trace(fact.confusion) / 58, fact.best_fusion["top1"], rtol=0, atol=1e-12
    )
    wc = fact.weight_curve
    assert wc is not None and len(wc) == 2 * 21
    # the 1:1 point of the weight curve is the table's 1:1 row, bit for bit
    for d in ("prob", "logit"):
        row = next(
            r for r in small_results.records if r["weights"] == [1.0, 1.0] and r["domain"] == d
        )
        point = wc[(wc["domain"] == d) & np.isclose(wc["w_flow"], 0.5)]
        assert float(point["top1"].iloc[0]) == row["top1"]
    lc = fact.learning_curve
    assert lc is not None and list(lc["epoch"]) == [1, 2]
    assert set(lc.columns) == {"epoch", "rgb", "flow", "fused"}
    assert lc["fused"].iloc[-1] == pytest.approx(fact.best_fusion["top1"])
    anchors = [s.anchor for s in model.walk()]
    assert len(anchors) == len(set(anchors))


def test_extras_are_rendered_generically(small_results: Results) -> None:
    @dataclasses.dataclass
    class GridResult:
        evaluation: str
        best_weights: tuple[float, ...]
        oracle_top1: float
        honest_top1: float
        table: pd.DataFrame

    grid = GridResult(
        "toy/split1/test",
        (0.4, 0.6),
        0.7123,
        0.6987,
        pd.DataFrame({"w_rgb": [0.4, 0.6], "w_flow": [0.6, 0.4], "top1": [0.71, 0.69]}),
    )
    res = dataclasses.replace(
        small_results,
        extra={
            "grid": grid,
            "learned": {"toy/split1/test": {"oracle": 0.72, "honest": 0.70, "folds": 5}},
            "something_else": pd.DataFrame({"a": [1, 2]}),
        },
    )
    model = build_model(res)
    titles = [s.title for s in model.walk()]
    assert "Grid search over stream weights" in titles
    assert "Learned fusion" in titles
    assert "Further results" in titles and "Something else" in titles
    assert "Stream weights (computed by the report, oracle)" in titles
    from fusionlab.report.render import render_markdown

    md = render_markdown(model)
    assert "| best_weights | [0.4, 0.6] |" in md
    assert "| honest | 0.7 |" in md and "| folds | 5 |" in md
    assert "| w_rgb | w_flow | top1 |" in md


def test_single_stream_and_three_streams(tmp_path: Path) -> None:
    one = write_small_scores(tmp_path / "one", streams={"rgb": (1.3, 1.1, 0.7)})
    res = evaluate_files([str(p) for p in one], options=OPTIONS, progress=False)
    model = build_model(res)
    titles = [s.title for s in model.walk()]
    assert "Confusion matrix of the best single stream" in titles
    assert "Stream fusion rules" not in titles

    three = write_small_scores(
        tmp_path / "three",
        streams={"rgb": (1.0, 1.0, 0.6), "flow": (1.2,) * 3, "depth": (0.8,) * 3},
    )
    res3 = evaluate_files(
        [str(p) for p in three if "_e2" in p.name],
        options=EvaluateOptions(bootstrap=0, domains=("logit",)),
        progress=False,
    )
    model3 = build_model(res3)
    heat = [f for f in model3.figures() if f.plot == "weight_heatmap"]
    assert len(heat) == 1
    with figures.style():
        fig = figures.PLOTS["weight_heatmap"](heat[0].data)
        png, svg = figures.render(fig)
    assert png.startswith(b"\x89PNG") and b"<svg" in svg


def test_plot_functions_draw_into_a_given_axes(small_results: Results) -> None:
    from matplotlib.figure import Figure

    model = build_model(small_results)
    for block in model.figures():
        fig = Figure()
        ax = fig.add_subplot()
        with figures.style():
            out = figures.PLOTS[block.plot](block.data, ax=ax)
        assert out is fig, block.plot
        assert ax.get_title() and (ax.get_xlabel() or ax.get_ylabel()), block.plot


def test_names_from_files_are_escaped(tmp_path: Path) -> None:
    from fusionlab.report.render import RenderedFigure, render_html, render_markdown

    sets = synth.make_scores(n_videos=30, n_classes=3, n_segments=2, seed=3, dataset="x")
    names = np.array(["kick|ball", "<script>alert(1)</script>", "*star*"])
    paths = []
    for s in sets:
        p = tmp_path / f"{s.stream}.npz"
        scores.save(
            p,
            s.scores,
            s.labels,
            s.video_ids,
            kind=s.kind,
            stream=s.stream,
            class_names=names,
            dataset="x",
        )
        paths.append(str(p))
    res = evaluate_files(paths, options=EvaluateOptions(bootstrap=0), progress=False)
    model = build_model(res, title="A <b>bold</b> | title")
    md = render_markdown(model)
    fake = RenderedFigure(b"\x89PNG", b"<svg/>", 1, 1)
    doc = render_html(model, {f.name: fake for f in model.figures()})
    assert doc.count("<script>") == 2  # the sortable-table script and the explorer
    assert doc.count("</script>") == 3  # and the explorer's data (JSON, escaped)
    assert "<script>alert" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "A &lt;b&gt;bold&lt;/b&gt; | title" in doc
    assert r"# A \<b\>bold\</b\> \| title" in md
    assert "<script>" not in md
    assert _md_cells(md) == _html_cells(doc)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (0.70523, "pct", "70.52"),
        (float("nan"), "pct", ""),
        (-0.0131, "signed_pct", "-1.31"),
        (0.00001, "signed_pct", "0.00"),
        ((0.6817, 0.7281), "ci", "[68.17, 72.81]"),
        (None, "ci", ""),
        (3.2e-05, "pvalue", "3.2e-05"),
        (0.0046, "pvalue", "0.0046"),
        (1.0, "pvalue", "1"),
        (float("inf"), "float", "inf"),
        (0.98999, "decimal", "0.990"),
        (7, "int", "7"),
    ],
)
def test_format_cell(value: Any, kind: Any, text: str) -> None:
    assert format_cell(value, kind) == text


def test_markdown_escaping_and_anchors() -> None:
    assert md_escape("kick|ball <b> *x* brush_hair") == r"kick\|ball \<b\> \*x\* brush_hair"
    assert md_escape("[a](http://x)") == r"[a\](http://x)"
    assert md_escape("[68.17, 72.81]") == "[68.17, 72.81]"
    slug = Slugger()
    assert [slug("Calibration"), slug("Calibration"), slug("Stream weights (a, b)")] == [
        "calibration",
        "calibration-1",
        "stream-weights-a-b",
    ]


# --------------------------------------------------------------------------- output folder


def _siblings(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_existing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = write_small_scores(tmp_path / "s")
    target = tmp_path / "taken.txt"
    target.write_text("keep me\n")
    before = _siblings(tmp_path)
    code = cli.main(["report", *map(str, paths), "--report", str(target), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "taken.txt" in err and "not a folder" in err
    assert target.read_text() == "keep me\n"
    assert _siblings(tmp_path) == before


@pytest.mark.parametrize("case", ["below-a-file", "non-report-folder"])
def test_unusable_folders_are_refused(tmp_path: Path, case: str) -> None:
    (tmp_path / "afile").write_text("x")
    if case == "below-a-file":
        target = tmp_path / "afile" / "sub" / "report"
        match = "is a file"
    else:
        target = tmp_path / "notes"
        target.mkdir()
        (target / "todo.txt").write_text("mine")
        match = "holds no earlier report"
    before = _siblings(tmp_path)
    with pytest.raises(UsageError, match=match):
        check_out_dir(target)
    assert _siblings(tmp_path) == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_unwritable_parent_is_refused(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(UsageError, match="permission denied"):
            check_out_dir(ro / "report")
    finally:
        ro.chmod(0o755)


def test_cli_writes_report_and_replaces_an_old_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_small_scores(tmp_path / "s")
    target = tmp_path / "deep" / "out"
    (target / "figures").mkdir(parents=True)
    (target / "report.md").write_text("old report\n")
    (target / "figures" / "stale.png").write_bytes(b"old")
    code = cli.main(
        ["report", *map(str, paths), "--report", str(target), "--bootstrap", "100", "-q"]
    )
    assert code == 0, capsys.readouterr().err
    assert (target / "report.md").read_text().startswith("# fusionlab report")
    assert (target / "report.html").is_file()
    assert not (target / "figures" / "stale.png").exists()
    assert _siblings(target.parent) == ["out"]  # no temporary or old folder left


def test_evaluate_command_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from fusionlab import evaluate

    probe = argparse.ArgumentParser()
    evaluate.add_arguments(probe)
    if "report" not in vars(probe.parse_args(["x.npz"])):
        pytest.skip("fusionlab evaluate has no --report option yet")
    paths = [str(p) for p in write_small_scores(tmp_path / "s")]
    taken = tmp_path / "taken"
    taken.write_text("x")
    assert cli.main(["evaluate", *paths, "--report", str(taken), "-q"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    out = tmp_path / "r"
    assert cli.main(["evaluate", *paths, "--report", str(out), "--bootstrap", "50", "-q"]) == 0
    assert (out / "report.md").is_file() and (out / "report.html").is_file()


def test_failure_half_way_leaves_no_report(
    small_results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: Any, *, ax: Any = None) -> Any:
        raise RuntimeError("injected failure")

    monkeypatch.setitem(figures.PLOTS, "confusion", broken)
    fresh = tmp_path / "new" / "report"
    with pytest.raises(RuntimeError, match="injected"):
        write_report(small_results, fresh)
    assert not fresh.exists() and not fresh.parent.exists()
    assert _siblings(tmp_path) == []

    old = tmp_path / "old"
    old.mkdir()
    (old / "report.md").write_text("previous\n")
    monkeypatch.setitem(figures.PLOTS, "rule_comparison", broken)  # fail sooner this time
    with pytest.raises(RuntimeError, match="injected"):
        write_report(small_results, old)
    assert _siblings(old) == ["report.md"]
    assert (old / "report.md").read_text() == "previous\n"
    assert _siblings(tmp_path) == ["old"]


# --------------------------------------------------------------------------- browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")


@pytest.mark.browser
def test_html_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
    )
    from PIL import Image, ImageStat

    exe = _chromium()
    url = (report_dir / "report.html").resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    shot = tmp_path / "report.png"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="load")
            page.locator('.fx-root[data-ready="1"]').wait_for(timeout=20_000)
            explorer_ready = page.locator(".fx-root").get_attribute("data-ready")
            explorer_top1 = page.locator(".fx-root .fx-top1").text_content()
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
            )
            # sorting: the first click on a numeric header sorts best first, the second reverses
            table = page.locator("table.sortable").nth(1)
            header = table.locator("th button", has_text="top-1 %").first
            col = int(
                header.evaluate("b => Array.from(b.closest('tr').cells).indexOf(b.parentElement)")
            )

            def column() -> list[float]:
                return [
                    float(v)
                    for v in table.locator(f"tbody tr td:nth-child({col + 1})").evaluate_all(
                        "tds => tds.map(td => td.dataset.sort)"
                    )
                ]

            header.click()
            desc = column()
            header.click()
            asc = column()
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert images and all(ok and w > 0 and h > 0 for ok, w, h in images), images
    assert len(images) == N_FIGURES
    assert explorer_ready == "1" and explorer_top1
    assert desc == sorted(desc, reverse=True) and asc == sorted(asc)
    foreign = [u for u in requests if not u.startswith(("file://", "data:"))]
    assert not foreign, foreign
    assert [u for u in requests if u.startswith("file://")] == [url]
    assert not errors, errors
    with Image.open(shot) as img:
        stat = ImageStat.Stat(img.convert("L"))
        assert img.size == (1200, 900)
        assert stat.var[0] > 50.0, "the screenshot is blank"
