"""The evaluate pipeline and command: content, formats, reproducibility."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from fusionlab import cli, metrics, rules, synth
from fusionlab.evaluate import EvaluateOptions, evaluate, evaluate_files
from fusionlab.jsonio import schema
from fusionlab.render import format_results
from fusionlab.scores import group, save


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    sets = synth.make_scores(
        n_videos=90,
        n_classes=6,
        n_segments=3,
        seed=3,
        kind="prob",
        streams={"rgb": (1.2, 1.0, 0.5), "flow": (1.4, 1.1, 0.6)},
    )
    out = []
    for s in sets:
        p = tmp_path / f"{s.stream}.npz"
        meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
        save(p, s.scores, s.labels, s.video_ids, kind=s.kind, stream=s.stream, **meta)
        out.append(str(p))
    return out


def _doc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The whole JSON document of ``evaluate``, checked against the shipped schema."""
    assert cli.main(["evaluate", *argv, "--format", "json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, schema("evaluate"))
    return doc  # type: ignore[no-any-return]


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The accuracy and tuned rows of the JSON output, in table order."""
    doc = _doc(argv, capsys)
    return sorted([*doc["accuracy"], *doc["tuned"]], key=lambda r: (r["evaluation"], r["rank"]))


def test_json_rows_match_hand_computation(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(files, capsys)
    required = {
        "evaluation",
        "streams",
        "consensus",
        "fusion",
        "domain",
        "weights",
        "top1",
        "top5",
        "mean_class_acc",
        "top1_ci",
        "n_videos",
    }
    assert all(required <= set(r) for r in rows)
    ev = group([__import__("fusionlab").load(f) for f in files])[0]
    y = ev.labels
    x_rgb = ev.sets[("rgb", None)].log_probs()
    x_flow = ev.sets[("flow", None)].log_probs()

    def find(**kw: object) -> dict[str, object]:
        hits = [r for r in rows if all(r[k] == v for k, v in kw.items())]
        assert len(hits) == 1, kw
        return hits[0]

    r = find(streams=["rgb"], consensus="mean", domain="prob")
    assert r["top1"] == pytest.approx((np.exp(x_rgb).mean(1).argmax(1) == y).mean())
    r = find(streams=["flow"], consensus="segment 3", domain="any")
    assert r["top1"] == pytest.approx((x_flow[:, 2].argmax(1) == y).mean())
    r = find(
        streams=["rgb", "flow"],
        consensus="mean",
        fusion="weighted",
        weights={"rgb": 1, "flow": 1.5},
        domain="logit",
    )
    fused = 0.4 * x_rgb.mean(1) + 0.6 * x_flow.mean(1)
    assert r["top1"] == pytest.approx((fused.argmax(1) == y).mean())
    assert r["top5"] == pytest.approx(metrics.top_k_accuracy(y, fused, k=5))
    assert r["mean_class_acc"] == pytest.approx(
        metrics.mean_class_accuracy(y, fused.argmax(1), n_classes=6)
    )
    lo, hi = r["top1_ci"]  # type: ignore[misc]
    assert 0 <= lo <= r["top1"] <= hi <= 1
    # all four default fixed weights and the flat rows are there
    weights = {
        tuple(r["weights"].items())  # type: ignore[attr-defined]
        for r in rows
        if r["fusion"] == "weighted"
    }
    assert weights == {(("rgb", a), ("flow", b)) for a, b in ((1, 1), (1, 1.5), (2, 1), (1, 2))}
    assert any(r["level"] == "flat" for r in rows)
    # best first
    # best first: untuned rows by top-1, tuned rows by their honest top-1
    key = [r["top1"] if r.get("honest_top1") is None else r["honest_top1"] for r in rows]
    assert key == sorted(key, reverse=True)
    assert all(0 <= r["top1"] <= 1 and r["n_videos"] == 90 for r in rows)


def test_every_rule_and_domain_present(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(files, capsys)
    for name, rule in rules.RULES.items():
        if name == "weighted" or not rule.in_default_table:  # rank rules: on request
            continue
        doms = {"any"} if rule.domain_invariant else {"prob", "logit"}
        for stream in ("rgb", "flow"):
            got = {r["domain"] for r in rows if r["streams"] == [stream] and r["consensus"] == name}
            assert got == doms, (name, stream)
        got = {r["domain"] for r in rows if r["level"] == "two-level" and r["fusion"] == name}
        assert got == doms


def test_domain_option_and_bootstrap_off(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json([*files, "--domain", "logit", "--bootstrap", "0"], capsys)
    assert {r["domain"] for r in rows} == {"logit", "any"}
    assert all(r["top1_ci"] is None for r in rows)


def test_seeded_bootstrap_reproducible(files: list[str]) -> None:
    a = evaluate_files(files, options=EvaluateOptions(seed=5, bootstrap=200), progress=False)
    b = evaluate_files(files, options=EvaluateOptions(seed=5, bootstrap=200), progress=False)
    c = evaluate_files(files, options=EvaluateOptions(seed=6, bootstrap=200), progress=False)
    assert format_results(a, "json") == format_results(b, "json")
    assert format_results(a, "json") != format_results(c, "json")


def test_formats(files: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.csv"
    assert cli.main(["evaluate", *files, "--format", "csv", "-o", str(out), "-q"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows and 0 <= float(rows[0]["top1"]) <= 1
    assert cli.main(["evaluate", *files, "--format", "markdown", "-q"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("### synthetic/split1/test") and "| 1 | rgb+flow |" in md
    assert cli.main(["evaluate", *files, "-q"]) == 0
    table = capsys.readouterr().out
    assert "top-1 95% CI" in table and "90 videos, 6 classes" in table


def test_unknown_labels_are_not_scored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=(10, 2))
    labels = np.array([0, 1, 2, 0, 1, 2, -1, -1, 0, 1])
    f = save(tmp_path / "a.npz", p, labels, [f"v{i}" for i in range(10)], kind="prob", stream="rgb")
    rows = _json([str(f.path)], capsys)
    assert {r["n_videos"] for r in rows} == {8}
    r = next(r for r in rows if r["consensus"] == "mean" and r["domain"] == "prob")
    known = labels >= 0
    assert r["top1"] == pytest.approx((p.mean(1).argmax(1)[known] == labels[known]).mean())


def test_all_labels_unknown_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = save(
        tmp_path / "a.npz",
        np.full((3, 2), 0.5),
        [-1, -1, -1],
        ["a", "b", "c"],
        kind="prob",
        stream="rgb",
    )
    assert cli.main(["evaluate", str(f.path), "-q"]) == 2
    assert "no video has a known label" in capsys.readouterr().err


def test_several_epochs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for epoch, strength in ((1, 0.3), (5, 1.5)):
        streams = {"rgb": strength, "flow": strength}
        for s in synth.make_scores(n_videos=30, n_classes=3, n_segments=2, seed=1, streams=streams):
            meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
            p = tmp_path / f"{s.stream}{epoch}.npz"
            save(
                p,
                s.scores,
                s.labels,
                s.video_ids,
                kind=s.kind,
                stream=s.stream,
                epoch=epoch,
                **meta,
            )
            paths.append(str(p))
    rows = _json(paths, capsys)
    assert {r["epoch"] for r in rows if r["streams"] == ["rgb"]} == {1, 5}
    fusion = [r for r in rows if len(r["streams"]) == 2]  # type: ignore[arg-type]
    assert fusion and {r["epoch"] for r in fusion} == {5}


def test_results_api(files: list[str]) -> None:
    res = evaluate_files(files, progress=False)
    t = res.table
    assert len(t) == len(res.records) and t["top1"].between(0, 1).all()
    best = next(r for r in res.records if r["spec"] is not None)
    fused = best["spec"].log_probs(res.evaluations[0])
    assert fused.shape == (90, 6)
    np.testing.assert_allclose(np.exp(fused).sum(1), 1.0)


def test_evaluate_takes_evaluations_directly() -> None:
    ev = group(synth.make_scores(n_videos=20, n_classes=4, n_segments=1, seed=0))[0]
    res = evaluate([ev], options=EvaluateOptions(bootstrap=0), progress=False)
    # one segment: one consensus row per stream (rules collapse), no segment rows
    singles = [r for r in res.records if len(r["streams"]) == 1]
    assert len(singles) == 4  # mean x 2 domains x 2 streams
    assert not any(r["level"] == "segment" for r in res.records)


def test_import_is_light() -> None:
    code = (
        "import sys, fusionlab, fusionlab.rules, fusionlab.metrics, fusionlab.evaluate\n"
        "names = ('matplotlib', 'seaborn', 'torch', 'jinja2', 'sklearn')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_chunked_equals_whole(files: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from fusionlab.evaluate import pipeline as ev_mod

    whole = format_results(evaluate_files(files, progress=False), "json")
    monkeypatch.setattr(ev_mod, "CHUNK_ELEMENTS", 7 * 3 * 6)  # chunks of 7 videos
    chunked = format_results(evaluate_files(files, progress=False), "json")
    assert chunked == whole


def test_memory_mapped_scores_give_the_same_table(files: list[str]) -> None:
    from fusionlab.scores import load

    mapped = [load(f, mmap=True) for f in files]
    assert all(isinstance(s.scores, np.memmap) for s in mapped)
    plain = [load(f, mmap=False) for f in files]
    assert not any(isinstance(s.scores, np.memmap) for s in plain)
    a = evaluate(group(mapped), progress=False)
    b = evaluate(group(plain), progress=False)
    assert format_results(a, "json") == format_results(b, "json")


def test_compressed_files_are_read_not_mapped(tmp_path: Path) -> None:
    from fusionlab.scores import load

    p = save(
        tmp_path / "c.npz",
        np.full((3, 2), 0.5),
        [0, 1, 0],
        ["a", "b", "c"],
        kind="prob",
        stream="rgb",
        compress=True,
    )
    s = load(tmp_path / "c.npz", mmap=True)
    assert not isinstance(s.scores, np.memmap)
    np.testing.assert_array_equal(s.scores, p.scores)


def test_missing_segment_counts_as_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every video of class 0 lacks segment 2; segment 2 alone must not get them right
    p = np.full((6, 2, 3), 0.1)
    p[:, :, 0] = 0.8
    labels = np.array([0, 0, 0, 1, 1, 1])
    mask = np.ones((6, 2), bool)
    mask[:3, 1] = False
    f = save(
        tmp_path / "a.npz",
        p,
        labels,
        [f"v{i}" for i in range(6)],
        kind="prob",
        stream="rgb",
        segment_mask=mask,
    )
    rows = _json([str(f.path), "--bootstrap", "0"], capsys)
    seg2 = next(r for r in rows if r["consensus"] == "segment 2")
    seg1 = next(r for r in rows if r["consensus"] == "segment 1")
    assert seg1["top1"] == pytest.approx(0.5) and seg2["top1"] == 0.0
    assert seg2["mean_class_acc"] == 0.0


def test_tuned_rows(files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json([*files, "--bootstrap", "0", "--repeats", "2"], capsys)
    tuned = [r for r in rows if r["level"] in ("grid", "learned")]
    grid = {(r["over"], r["domain"]): r for r in tuned if r["level"] == "grid"}
    assert set(grid) == {(o, d) for o in ("streams", "components") for d in ("prob", "logit")}
    assert grid[("components", "logit")]["n_points"] == 3003  # 6 components, step 0.1
    assert grid[("streams", "prob")]["n_points"] == 11
    for r in tuned:
        # grid weights are chosen by accuracy (an oracle); learned ones are fitted (in-sample)
        key = "oracle_top1" if r["level"] == "grid" else "in_sample_top1"
        other = "in_sample_top1" if r["level"] == "grid" else "oracle_top1"
        assert r[key] == r["top1"] and other not in r
        assert 0 <= r["honest_top1"] <= 1 and r["honest_top1_std"] >= 0
        assert r["selection"] == "cross-fit" and r["repeats"] == 2
    assert any(r["fusion"] == "learned-linear" for r in tuned)
    weights = grid[("streams", "logit")]["weights"]
    assert list(weights) == ["rgb", "flow"] and sum(weights.values()) == pytest.approx(1.0)
    # never: no tuned rows; the untuned rows are unchanged but for their adjusted
    # p-values, whose family holds the tuned rows too
    plain = _json([*files, "--bootstrap", "0", "--tuned", "never"], capsys)
    assert not any(r["level"] in ("grid", "learned") for r in plain)
    adjusted = ("rank", "mcnemar_p_adjusted", "gain_p_adjusted")

    def unranked(rs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in adjusted} for r in rs]

    untuned = [r for r in rows if r["level"] not in ("grid", "learned")]
    assert unranked(untuned) == unranked(plain)
    for a, b in zip(untuned, plain, strict=True):
        if b["mcnemar_p_adjusted"] is not None:
            assert a["mcnemar_p_adjusted"] >= b["mcnemar_p_adjusted"]


def test_tuned_auto_skips_large_evaluations(
    files: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fusionlab.evaluate import pipeline as ev_mod

    monkeypatch.setattr(ev_mod, "TUNED_MAX_ELEMENTS", 10)
    rows = _json([*files, "--bootstrap", "0"], capsys)
    assert not any(r["level"] in ("grid", "learned") for r in rows)
    rows = _json([*files, "--bootstrap", "0", "--tuned", "always", "--repeats", "1"], capsys)
    assert any(r["level"] == "grid" for r in rows)


def test_complementarity_and_importance_rows(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc([*files, "--bootstrap", "0", "--repeats", "1"], capsys)
    required = {
        "evaluation",
        "level",
        "streams",
        "consensus",
        "fusion",
        "domain",
        "weights",
        "top1",
        "top5",
        "mean_class_acc",
        "top1_ci",
        "n_videos",
    }
    assert all(required <= set(r) for r in doc["accuracy"] + doc["tuned"])
    # one shape per section: every accuracy row has a top-1 and a top-5
    assert all(isinstance(r["top5"], float) for r in doc["accuracy"] + doc["tuned"])
    comp = doc["complementarity"]
    assert {r["domain"] for r in comp} == {"prob", "logit"}
    ev = group([__import__("fusionlab").load(f) for f in files])[0]
    for r in comp:
        assert (r["a"], r["b"]) == ("rgb", "flow")
        x = {s: ev.sets[(s, None)].log_probs() for s in ("rgb", "flow")}
        fused = {s: (np.exp(v) if r["domain"] == "prob" else v).mean(1) for s, v in x.items()}
        right = {s: f.argmax(1) == ev.labels for s, f in fused.items()}
        assert r["oracle"] == pytest.approx((right["rgb"] | right["flow"]).mean())
        assert r["double_fault"] == pytest.approx((~right["rgb"] & ~right["flow"]).mean())
        assert r["disagreement"] == pytest.approx((right["rgb"] != right["flow"]).mean())
    imp = doc["importance"]
    names = {r["component"] for r in imp}
    assert {"rgb/seg1", "flow/seg3", "rgb", "flow"} <= names
    seg = next(r for r in imp if r["component"] == "flow/seg3" and r["domain"] == "logit")
    x = ev.sets[("flow", None)].log_probs()
    assert seg["alone_top1"] == pytest.approx((x[:, 2].argmax(1) == ev.labels).mean())
    assert seg["stream"] == "flow" and seg["evaluation"] == ev.name
    # the text table shows both sections
    assert cli.main(["evaluate", *files, "--bootstrap", "0", "--repeats", "1", "-q"]) == 0
    out = capsys.readouterr().out
    assert "Complementarity" in out and "Importance" in out


def _write_subset(tmp_path: Path, subset: str, seed: int) -> list[str]:
    out = []
    sets = synth.make_scores(
        n_videos=80,
        n_classes=5,
        n_segments=2,
        seed=seed,
        subset=subset,
        streams={"rgb": (1.0, 0.6), "flow": (1.3, 0.5)},
    )
    for s in sets:
        p = tmp_path / f"{subset}_{s.stream}.npz"
        meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
        # distinct video ids per subset
        ids = np.array([f"{subset}_{v}" for v in s.video_ids])
        save(p, s.scores, s.labels, ids, kind=s.kind, stream=s.stream, **meta)
        out.append(str(p))
    return out


def test_tuned_on_val_scored_on_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fusionlab.search import components, grid_search

    val = _write_subset(tmp_path, "val", 1)
    test = _write_subset(tmp_path, "test", 2)
    rows = _json([*val, *test, "--bootstrap", "0", "--domain", "logit"], capsys)
    tuned = [r for r in rows if r["evaluation"] == "synthetic/split1/test" and r["level"] == "grid"]
    assert tuned and all(r["selection"] == "val" and r["honest_top1_std"] == 0 for r in tuned)
    # the val evaluation itself is cross-fitted as usual
    assert all(
        r["selection"] == "cross-fit"
        for r in rows
        if r["evaluation"] == "synthetic/split1/val" and r["level"] in ("grid", "learned")
    )
    # by hand: tune on val, score on test
    evs = {e.key[2]: e for e in group([__import__("fusionlab").load(f) for f in val + test])}
    cv = components(evs["val"], over="streams", domain="logit")
    ct = components(evs["test"], over="streams", domain="logit")
    g = grid_search(ct.x, ct.y, domain="logit", step=0.1, folds=None, val=(cv.x, cv.y))
    row = next(r for r in tuned if r["over"] == "streams")
    assert row["honest_top1"] == pytest.approx(g.honest_top1)
    # the grid command does the same and reports one search
    assert (
        cli.main(["grid", *val, *test, "--step", "0.1", "--domain", "logit", "--format", "json"])
        == 0
    )
    (doc,) = json.loads(capsys.readouterr().out)["results"]
    assert doc["selection"] == "val" and doc["honest_top1"] == pytest.approx(g.honest_top1)


def test_too_few_videos_for_cross_fitting_skip_tuned_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: a 4-video val subset stopped the whole evaluate command."""
    files = []
    for stream in ("rgb", "flow"):
        p = np.random.default_rng(0).dirichlet(np.ones(3), size=(4, 2))
        save(
            tmp_path / f"{stream}.npz",
            p,
            [0, 1, 2, 0],
            ["a", "b", "c", "d"],
            kind="prob",
            stream=stream,
            subset="val",
        )
        files.append(str(tmp_path / f"{stream}.npz"))
    assert cli.main(["evaluate", *files, "--format", "json", "--bootstrap", "0"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["tuned"] == []
    assert "too few to cross-fit" in out.err
