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
from fusionlab.report.format import Slugger, format_cell, md_escape
from fusionlab.report.model import Table

GOLDEN = Path(__file__).parent / "golden" / "report.md"
#: Figures of the small report: 8 of the evaluation (importance included), 2 of the
#: diversity section.
N_FIGURES = 10
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
        "### Segment and stream importance",
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
    for weights in (
        "| rgb 1 : flow 1 |",
        "| rgb 1 : flow 1.5 |",
        "| rgb 2 : flow 1 |",
        "| rgb 1 : flow 2 |",
    ):
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


def test_report_shows_adjusted_p_wilson_and_the_best_of_many(
    small_results: Results, report_dir: Path
) -> None:
    from fusionlab.fused import row_label
    from fusionlab.report.format import format_cell

    md = (report_dir / "report.md").read_text("utf-8")
    name = small_results.evaluations[0].name
    comp = small_results.extra["comparisons"][name]
    n = comp["n_mcnemar"]
    assert n > 1 and f"Holm-adjusted over {n} comparisons" in md
    fusion = next(r for r in small_results.rows(name) if r["level"] in ("two-level", "flat"))
    p_adj = format_cell(fusion["mcnemar_p_adjusted"], "pvalue")
    assert f"Holm-adjusted over {n} comparisons: p = {p_adj} |" in md
    assert md.count("Wilson 95% CI") >= 3  # singles, fusion rules, fixed weights
    bom = small_results.extra["best_of_many"][name]
    assert f"| best of {bom['n_rules']} untuned rules | {bom['naive_label']}: " in md
    top = next(r for r in small_results.rows(name) if r["spec"] is not None)
    assert bom["naive_label"] == row_label(top)
    honest = format_cell(bom["honest_top1"], "pct")
    assert f"| choosing the best rule, honestly | {honest} ± " in md
    # the generic renderer of extras does not repeat them
    assert "best_of_many" not in md and "n_mcnemar" not in md


def test_diversity_tables_in_the_report(small_results: Results) -> None:
    """Issue 7: complementarity, oracle bound, subsets, wins/losses and per-class tables."""
    from fusionlab.evaluate.diversity import diversity_for
    from fusionlab.render.diversity import videos_csv

    model = build_model(small_results, explorer=False)
    (fact,) = model.facts
    tables = fact.diversity
    assert tables is not None
    want = diversity_for(small_results)["toy/split1/test"]
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
    assert model.files["fixed_broken_videos.csv"] == videos_csv({"toy/split1/test": want})


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


def _section(model: Any, title: str) -> Any:
    return next(s for s in model.walk() if s.title == title)


def test_weight_curve_breaks_ties_like_the_grid_search(small_results: Results) -> None:
    """The report's own curve picks its optimum as fusionlab.search does, and says so."""
    model = build_model(small_results, explorer=False)
    (fact,) = model.facts
    wc = fact.weight_curve
    assert wc is not None
    sec = _section(model, "Stream weights (computed by the report, oracle)")
    cap = sec.blocks[0].text
    assert "step 0.05" in cap and "closest to equal weights" in cap
    assert "the flow weight α" in cap and "RGB weight is 1 − α" in cap
    assert "tuned table's grid uses step 0.1" in cap
    table = sec.blocks[1]
    tuned = {
        r["domain"]: r
        for r in small_results.rows()
        if r.get("level") == "grid" and r.get("over") == "streams"
    }
    assert set(tuned) == {"prob", "logit"}

    def choose(sub: pd.DataFrame) -> Any:
        # independent of the code: most right, then |w - 1/2| smallest, then larger flow weight
        top = sub[sub["top1"] == sub["top1"].max()]
        key = (top["w_flow"] - 0.5).abs().round(9)
        top = top[key == key.min()]
        return top.sort_values("w_flow", ascending=False).iloc[0]

    for i, d in enumerate(("prob", "logit")):
        sub = wc[wc["domain"] == d]
        assert int(sub["best"].sum()) == 1
        chosen = sub[sub["best"]].iloc[0]
        want = choose(sub)
        assert (chosen["w_rgb"], chosen["w_flow"]) == (want["w_rgb"], want["w_flow"]), d
        assert table.data["w_flow"].iloc[i] == want["w_flow"]
        # on the tuned table's points (step 0.1) the same rule gives the tuned table's weights
        coarse = sub[np.isclose(sub["w_flow"] * 10, np.round(sub["w_flow"] * 10))]
        got = choose(coarse)
        np.testing.assert_allclose(
            [got["w_rgb"], got["w_flow"]], tuned[d]["weights"], rtol=0, atol=1e-12
        )
        # ... and the caption says so
        assert f"{got['w_rgb']:g}:{got['w_flow']:g} ({d})" in cap
    subsets = _section(model, "Segment subsets").blocks
    # the subset table searches the grid plus equal weights and breaks ties the same way
    cap0 = subsets[0].caption
    assert "step-0.1 grid plus equal weights" in cap0 and "never below the mean" in cap0
    assert "as in the grid search, to the weights closest to equal" in cap0


def test_flat_weight_curve_chooses_equal_weights() -> None:
    """Two identical streams: every weight ties, so the optimum is 1:1 (not the first point)."""
    from fusionlab.evaluate import evaluate

    (rgb,) = synth.make_scores(
        n_videos=40, n_classes=4, n_segments=2, streams={"rgb": (1.0, 0.8)}, seed=2
    )
    flow = dataclasses.replace(rgb, stream="flow", meta={**rgb.meta, "stream": "flow"})
    res = evaluate(scores.group([rgb, flow]), options=EvaluateOptions(bootstrap=0), progress=False)
    (fact,) = build_model(res, explorer=False).facts
    wc = fact.weight_curve
    assert wc is not None and (wc.groupby("domain")["top1"].nunique() == 1).all()
    assert wc.loc[wc["best"], "w_flow"].tolist() == [0.5, 0.5]


def test_weight_plot_stars_the_chosen_point() -> None:
    """Two equally good weights: the star goes to the one closest to equal weights."""
    df = pd.DataFrame(
        {
            "domain": ["prob"] * 5,
            "w_rgb": [0.0, 0.25, 0.5, 0.75, 1.0],
            "w_flow": [1.0, 0.75, 0.5, 0.25, 0.0],
            "top1": [0.9, 0.7, 0.9, 0.6, 0.5],
            "best": [False, False, True, False, False],
        }
    )
    with figures.style():
        fig = figures.weight_curve({"frame": df, "streams": ["rgb", "flow"], "title": "t"})
    star = [ln for ln in fig.axes[0].lines if ln.get_marker() == "*"]
    assert [np.asarray(ln.get_xdata(), dtype=float).tolist() for ln in star] == [[0.5]]


def test_importance_section_is_formatted_and_plotted(small_results: Results) -> None:
    """Percentages, readable headers, a caption, and a bar plot of the Shapley values."""
    from fusionlab.report.render import render_markdown

    imp_rows = small_results.extra["importance"]["toy/split1/test"]
    model = build_model(small_results, explorer=False)
    titles = [s.title for s in model.walk()]
    assert titles.count("Segment and stream importance") == 1
    assert titles.index("Segment and stream importance") == titles.index("Per-segment accuracy") + 1
    sec = _section(model, "Segment and stream importance")
    table, fig = sec.blocks
    assert isinstance(table, Table) and len(table.data) == len(imp_rows)
    kinds = {c.label: c.kind for c in table.columns}
    assert kinds["alone %"] == "pct" and kinds["most confident %"] == "pct"
    assert kinds["Shapley value (points)"] == "signed_pct"
    assert kinds["leave-one-out drop (points)"] == "signed_pct"
    assert not any("_" in c.label for c in table.columns)
    for word in (
        "Alone",
        "Leave-one-out drop",
        "Shapley value",
        "1/C = 1/5 = 20.00 %",
        "Learned weight",
        "Most confident",
    ):
        assert word in table.caption, word
    md = render_markdown(model)
    assert "alone_top1" not in md and "most_confident_rate" not in md
    first = imp_rows[0]
    alone = format_cell(first["alone_top1"], "pct")
    assert f"| segments of rgb | rgb/seg1 | {first['domain']} | {alone} |" in md
    # the figure: one panel per group, Shapley values add up to all - chance (efficiency)
    assert fig.plot == "importance" and fig.name == "importance"
    groups = fig.data["groups"]
    assert [g["title"] for g in groups] == ["segments of rgb", "segments of flow", "streams"]
    for g in groups:
        assert sum(g["shapley"]) == pytest.approx(g["full"] - g["chance"], abs=1e-12)
    assert groups[0]["components"] == ["1", "2", "3"]
    with figures.style():
        png, svg = figures.render(figures.importance(fig.data))
    assert png.startswith(b"\x89PNG") and b"<svg" in svg
    # an importance entry of another form is still shown, generically
    odd = dataclasses.replace(
        small_results, extra={"importance": {"toy/split1/test": pd.DataFrame({"a": [1]})}}
    )
    titles = [s.title for s in build_model(odd, explorer=False).walk()]
    assert "Segment and stream importance" in titles


_LONG_NAMES = [
    "c00_red_stripes_right_slow",
    "c01_red_stripes_upright_fast",
    "c02_yellow_bars_up_slow",
    "c03_lime_checks_up_slow",
    "c04_teal_dots_upleft_fast_wave",
    "c05_teal_dots_left_slow",
    "c06_azure_stripes_downleft_fast",
    "c07_violet_bars_downleft_fast",
    "c08_magenta_checks_down_slow",
    "c09_magenta_checks_downright_fast_wave",
]


@pytest.mark.parametrize(
    "names",
    [
        _LONG_NAMES,
        [f"action_{i:02d}_{'x' * (i % 9)}" for i in range(51)],
        [f"Class{i:03d}{'LongerName' * (i % 3)}" for i in range(101)],
        ["a", "b", "c"],
        [f"class {i} " + "very long name " * 6 for i in range(12)],
    ],
    ids=["10-long", "51", "101", "3-short", "12-too-long"],
)
def test_confusion_matrix_fits_its_figure(names: list[str]) -> None:
    """Nothing is clipped (title, names, colour-bar label) and the matrix fills the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    c = len(names)
    rng = np.random.default_rng(c)
    y = np.repeat(np.arange(c), 4)
    pred = np.where(rng.random(y.size) < 0.7, y, rng.integers(0, c, y.size))
    cm = np.zeros((c, c), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    title = "Confusion matrix, best fusion — synthetic-small/split1/test"
    with figures.style():
        fig = figures.confusion({"matrix": cm, "class_names": names, "title": title})
        FigureCanvasAgg(fig)
        fig.canvas.draw()
        r = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        box = fig.bbox
        texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        assert len(texts) >= 2 * c + 4
        for t in texts:
            e = t.get_window_extent(r)
            assert e.x0 >= box.x0 - 1 and e.x1 <= box.x1 + 1, t.get_text()
            assert e.y0 >= box.y0 - 1 and e.y1 <= box.y1 + 1, t.get_text()
        ax = fig.axes[0]
        m = ax.get_window_extent(r)
        assert min(m.width / box.width, m.height / box.height) >= 0.45
        labels = [t.get_text() for t in ax.get_yticklabels()]
        n = figures.MAX_LABEL_CHARS
        assert labels == [t if len(t) <= n else t[: n - 1] + "…" for t in names]
        assert " ".join(ax.get_title().split()) in (title, title.replace(" — ", " "))
        png, svg = figures.render(fig)
    assert png.startswith(b"\x89PNG") and b"<svg" in svg


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

    from fusionlab.commands import evaluate

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


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX only")
def test_stale_temporary_folders_are_removed(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from fusionlab import report

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(done.stdout)
    host = report._host_tag()
    target = tmp_path / "report"
    old_time = time.time() - 2 * report.STALE_AFTER_S

    def make(name: str, *, age: float | None = None) -> Path:
        d = tmp_path / name
        (d / "figures").mkdir(parents=True)
        (d / "figures" / "a.png").write_bytes(b"x")
        if age is not None:
            for q in (d / "figures" / "a.png", d / "figures", d):
                os.utime(q, (age, age))
        return d

    gone = [
        make(f".report.tmp-{dead}-{host}-0123456789ab"),  # its process has ended
        make(".report.tmp-89abcdef0123", age=old_time),  # older form, an hour untouched
        make(".report.tmp-1-ffffffff-0123456789ab", age=old_time),  # other host, old
    ]
    kept = [
        make(f".report.tmp-{os.getpid()}-{host}-0123456789ab"),  # this process
        make(".report.tmp-fedcba987654"),  # older form, recent
        make(f".report.tmp-{dead}-ffffffff-0123456789ab"),  # other host: pid says nothing
        make(f".report.old-{dead}-{host}-0123456789ab"),  # DIR missing: the old report
        make(f".reports.tmp-{dead}-{host}-0123456789ab"),  # another DIR
        make("report.tmp-notes", age=old_time),  # not hidden: not ours
    ]
    (tmp_path / f".report.tmp-{dead}-{host}-aaaaaaaaaaaa").symlink_to(kept[-1])
    kept.append(tmp_path / f".report.tmp-{dead}-{host}-aaaaaaaaaaaa")
    assert sorted(report.remove_stale_temporaries(target)) == sorted(gone)
    assert all(not p.exists() for p in gone) and all(p.exists() for p in kept)
    target.mkdir()
    assert report.remove_stale_temporaries(target) == [kept[3]]  # DIR exists now


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_run_leaves_a_folder_the_next_run_removes(
    small_results: Results, tmp_path: Path
) -> None:
    """A SIGKILLed report run cannot clean up; the next run of the same DIR does."""
    import signal
    import subprocess
    import sys

    paths = [str(p) for p in write_small_scores(tmp_path / "s")]
    out = tmp_path / "out"
    out.mkdir()
    target = out / "report"
    script = (
        "import os, signal, sys\n"
        "from fusionlab.evaluate import EvaluateOptions, evaluate_files\n"
        "from fusionlab.report import figures, write_report\n"
        "res = evaluate_files(sys.argv[2:], options=EvaluateOptions(bootstrap=0, "
        "tuned='never'), progress=False)\n"
        "def die(data, *, ax=None):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "figures.PLOTS['confusion'] = die\n"
        "write_report(res, sys.argv[1])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(target), *paths], capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    left = _siblings(out)
    assert len(left) == 1 and re.fullmatch(r"\.report\.tmp-\d+-[0-9a-f]{8}-[0-9a-f]{12}", left[0])
    assert (out / left[0] / "figures").is_dir()  # half written
    write_report(small_results, target)
    assert _siblings(out) == ["report"]


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
