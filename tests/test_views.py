"""Test-time views: protocol rows, duplicate and missing views, split-list coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from fusionlab import cli, synth
from fusionlab.errors import ScoreFileError, UsageError
from fusionlab.evaluate import EvaluateOptions, evaluate, evaluate_files
from fusionlab.jsonio import schema
from fusionlab.render import format_results
from fusionlab.report.model import build_model
from fusionlab.scores import build, group, save
from fusionlab.views import duplicate_views, view_index, view_protocols

# Six videos of class 0, two classes, 2 clips x 2 crops: the probability of class 0 in each
# view (clip-major: clip 0 crop 0, clip 0 crop 1, clip 1 crop 0, clip 1 crop 1). The middle
# clip is clip 1, so: 1 clip = view 2; clips only = views 0, 2; crops only = views 2, 3.
P0 = np.array(
    [
        [0.2, 0.2, 0.9, 0.2],
        [0.9, 0.9, 0.4, 0.4],
        [0.3, 0.8, 0.3, 0.8],
        [0.45, 0.45, 0.45, 0.45],
        [0.6, 0.6, 0.6, 0.6],
        [0.9, 0.4, 0.4, 0.4],
    ]
)
# Right (class 0 wins) per video, worked out by hand from P0:
#   mean of probabilities: 1 clip (view 2): videos 1, 5; clips (0, 2): 1 (0.55), 2 (0.65), 5,
#   6 (0.65); crops (2, 3): 1 (0.55), 3 (0.55), 5; all: 2 (0.65), 3 (0.55), 5, 6 (0.525).
#   The logit mean (geometric mean) decides the same on these videos.
#   max: class 0 wins when its largest probability beats class 1's: 1 clip as above;
#   clips: 1 (0.9 > 0.8), 2, 5, 6; crops: 1, 3 (0.8 > 0.7), 5; all: 1, 2, 3, 5, 6.
MEAN = {"one": 2 / 6, "clips": 4 / 6, "crops": 3 / 6, "all": 4 / 6}
MAX = {"one": 2 / 6, "clips": 4 / 6, "crops": 3 / 6, "all": 5 / 6}


def _hand_set(mask: np.ndarray | None = None, stream: str = "rgb") -> Any:
    scores = np.stack([P0, 1 - P0], axis=-1)
    return build(
        scores,
        np.zeros(6, dtype=int),
        [f"v{i}" for i in range(6)],
        kind="prob",
        stream=stream,
        segment_mask=mask,
        dataset="toy",
        split="1",
        subset="test",
        views={"clips": 2, "crops": 2},
    )


def _views_rows(res: Any, stream: str = "rgb") -> dict[tuple[str, str | None, str], float]:
    return {
        (r["protocol"], r["spec"].consensus, r["domain"]): r["top1"]
        for r in res.records
        if r["level"] == "views" and r["streams"] == [stream]
    }


def test_view_protocols_and_index() -> None:
    assert view_protocols(2, 2) == [
        ("one", (2,)),
        ("clips", (0, 2)),
        ("crops", (2, 3)),
        ("all", (0, 1, 2, 3)),
    ]
    assert view_protocols(10, 3)[0] == ("one", (15,))  # clip 5 (= 10 // 2), centre crop
    assert [k for k, _ in view_protocols(1, 3)] == ["one", "crops"]  # clips == one, crops == all
    assert [k for k, _ in view_protocols(5, 1)] == ["one", "clips"]
    assert view_index((0, 3, 6), 9) == slice(0, 7, 3)
    assert view_index((0, 1, 5), 9) == [0, 1, 5]
    assert view_index(tuple(range(9)), 9) == slice(None)


def test_protocol_rows_match_hand_computation() -> None:
    res = evaluate(group([_hand_set()]), options=EvaluateOptions(bootstrap=0, tuned="never"))
    got = _views_rows(res)
    assert got[("one", None, "any")] == pytest.approx(MEAN["one"])
    for p in ("clips", "crops", "all"):
        assert got[(p, "mean", "prob")] == pytest.approx(MEAN[p]), p
        assert got[(p, "mean", "logit")] == pytest.approx(MEAN[p]), p
        assert got[(p, "max", "any")] == pytest.approx(MAX[p]), p
    # all views under a rule is the stream's segment consensus under that rule
    single = {
        (r["consensus"], r["domain"]): r["top1"] for r in res.records if r["level"] == "single"
    }
    assert single[("mean", "prob")] == got[("all", "mean", "prob")]
    assert single[("max", "any")] == got[("all", "max", "any")]
    labels = {r["consensus"] for r in res.records if r["level"] == "views"}
    assert {"1 clip, centre crop", "clips only (centre crop): mean"} <= labels
    assert {"crops only (middle clip): max", "all views: median"} <= labels


def test_missing_views_are_masked_and_counted() -> None:
    mask = np.ones((6, 4), dtype=bool)
    mask[0, 2] = False  # video 1 loses the one view that made it right
    mask[3, [0, 1]] = False
    res = evaluate(group([_hand_set(mask)]), options=EvaluateOptions(bootstrap=0, tuned="never"))
    got = _views_rows(res)
    # video 1 now: 1 clip missing (wrong), clips (0.2) wrong, crops (0.2) wrong, all wrong
    assert got[("one", None, "any")] == pytest.approx(1 / 6)
    assert got[("clips", "mean", "prob")] == pytest.approx(3 / 6)
    assert got[("crops", "mean", "prob")] == pytest.approx(2 / 6)
    assert got[("all", "mean", "prob")] == pytest.approx(4 / 6)
    (rec,) = res.extra["views"]["toy/split1/test"]
    assert (rec["missing_videos"], rec["missing_views"]) == (2, 3)
    assert "2 videos miss views (3 views masked out" in rec["note"]


def test_duplicate_views_exact() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((5, 6, 7)).astype(np.float16)
    x[1, 4] = x[1, 1]
    x[2, 1:4] = x[2, 0]
    x[3, 5] = x[3, 2]
    x[4, 3] = x[4, 0]
    x[4, 3, 6] = np.nextafter(x[4, 0, 6], np.float16(1))  # one ulp apart: not a duplicate
    mask = np.ones((5, 6), dtype=bool)
    mask[3, 2] = False  # the original is missing: nothing to duplicate
    d = duplicate_views(x, mask)
    assert d.sum() == 4
    assert d[1].tolist() == [False, False, False, False, True, False]
    assert d[2].tolist() == [False, True, True, True, False, False]
    assert not d[3].any() and not d[4].any()


def _write(path: Path, s: Any, **changes: Any) -> str:
    meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
    arrays = {
        "scores": s.scores,
        "labels": s.labels,
        "video_ids": s.video_ids,
        "class_names": s.class_names,
        "segment_mask": s.segment_mask,
    }
    arrays.update(changes)
    save(path, kind=s.kind, stream=s.stream, **arrays, **meta)
    return str(path)


def _json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert cli.main(["evaluate", *argv, "--format", "json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, schema("evaluate"))
    return doc  # type: ignore[no-any-return]


def test_planted_duplicates_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rgb, flow = synth.make_scores(
        n_videos=40,
        n_classes=5,
        n_segments=6,
        views=(3, 2),
        streams={"rgb": synth.view_strengths([0.5, 1.5, 1.0], [1.0, 0.5]), "flow": 1.0},
        clip_noise={"rgb": 0.5},
        seed=2,
    )
    assert rgb.views == (3, 2) and flow.views == (3, 2)
    x = np.array(rgb.scores)
    order = np.argsort(rgb.video_ids)  # the evaluation's order: sorted ids
    x[order[3], 5] = x[order[3], 1]
    x[order[7], 2:5] = x[order[7], 0]
    files = [_write(tmp_path / "rgb.npz", rgb, scores=x), _write(tmp_path / "flow.npz", flow)]
    doc = _json([*files, "--tuned", "never", "--bootstrap", "0"], capsys)
    views = {v["stream"]: v for v in doc["views"]}
    assert (views["rgb"]["duplicate_videos"], views["rgb"]["duplicate_views"]) == (2, 4)
    assert views["rgb"]["duplicate_ids"] == [
        str(rgb.video_ids[order[3]]),
        str(rgb.video_ids[order[7]]),
    ]
    assert (views["flow"]["duplicate_videos"], views["flow"]["duplicate_views"]) == (0, 0)
    assert any("2 of 40 videos hold duplicate views (4 views" in n for n in doc["meta"]["notes"])
    assert {r["protocol"] for r in doc["accuracy"] if r["level"] == "views"} == {
        "one",
        "clips",
        "crops",
        "all",
    }
    res = evaluate_files(files, options=EvaluateOptions(bootstrap=0, tuned="never"), progress=False)
    for fmt in ("table", "markdown"):
        out = format_results(res, fmt)  # type: ignore[arg-type]
        assert (
            "note: rgb: 6 test-time views (3 clips x 2 crops; 1 clip = clip 2 of 3); 2 of 40" in out
        )
    model = build_model(res, explorer=False)
    sec = next(
        s for top in model.sections for s in top.walk() if s.title == "Test protocol (views)"
    )
    text = " ".join(getattr(b, "text", "") for b in sec.blocks)
    assert "2 of 40 videos hold duplicate views" in text


def test_coverage_against_split_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rgb, flow = synth.make_scores(n_videos=100, n_classes=4, n_segments=2, seed=5)
    ids = np.array([f"vid{i:03d}" for i in range(100)])
    f_rgb = _write(tmp_path / "rgb.npz", rgb, video_ids=ids)
    # flow: the first 90 videos, named as paths (normalised to the same ids)
    keep = np.arange(90)
    flow90 = flow.take(keep)
    f_flow = _write(
        tmp_path / "flow.npz",
        flow90,
        video_ids=np.array([f"frames/{v}.avi" for v in ids[keep]]),
        segment_mask=None,
    )
    lines = [f"class{int(rgb.labels[i])}/{ids[i]}.mp4 {int(rgb.labels[i])}" for i in range(5, 100)]
    lines += ["x/ghost1.avi 0", "x/ghost2.avi 1", "x/ghost3.avi 2"]
    listing = tmp_path / "testlist.txt"
    listing.write_text("\n".join(lines) + "\n")
    doc = _json(
        [f_rgb, f_flow, "--split-list", str(listing), "--tuned", "never", "--bootstrap", "0"],
        capsys,
    )
    (cov,) = doc["coverage"]
    assert (cov["n_listed"], cov["n_evaluated"]) == (98, 85)
    by = {c["stream"]: c for c in cov["streams"]}
    assert (by["rgb"]["n_present"], by["rgb"]["n_missing"], by["rgb"]["n_not_listed"]) == (95, 3, 5)
    assert by["rgb"]["missing"] == ["ghost1", "ghost2", "ghost3"]
    assert (by["flow"]["n_present"], by["flow"]["n_missing"], by["flow"]["n_not_listed"]) == (
        85,
        13,
        5,
    )
    assert by["flow"]["missing"][:2] == ["vid090", "vid091"] and len(by["flow"]["missing"]) == 13
    assert {r["n_videos"] for r in doc["accuracy"]} == {85}
    assert doc["meta"]["notes"][0].endswith(
        "evaluated on 85 of 98 listed videos (split list "
        f"{listing}: the listed videos scored by every file); rgb has 95 and lacks 3 (first: "
        "ghost1, ghost2, ghost3), 5 unlisted left out; flow has 85 and lacks 13 (first: vid090, "
        "vid091, vid092, vid093, vid094, ...), 5 unlisted left out"
    )
    assert (
        cli.main(
            [
                "evaluate",
                f_rgb,
                f_flow,
                "--split-list",
                str(listing),
                "-q",
                "--tuned",
                "never",
                "--bootstrap",
                "0",
            ]
        )
        == 0
    )
    assert "note: evaluated on 85 of 98 listed videos" in capsys.readouterr().out


def test_split_list_errors(tmp_path: Path) -> None:
    (rgb,) = synth.make_scores(n_videos=10, n_classes=3, n_segments=1, streams={"rgb": 1.0})
    f = _write(tmp_path / "rgb.npz", rgb)
    listing = tmp_path / "list.txt"
    listing.write_text("a/other1.avi 0\na/other2.avi 1\n")
    opts = EvaluateOptions(bootstrap=0, tuned="never", split_list=str(listing))
    with pytest.raises(
        ScoreFileError, match=r"rgb.npz: none of its 10 videos is in the split list"
    ):
        evaluate_files([f], options=opts, progress=False)
    with pytest.raises(UsageError, match="view-consensus rule 'weighted' needs weights"):
        EvaluateOptions(view_consensus=("weighted",))


def test_synth_views_validation() -> None:
    with pytest.raises(UsageError, match="multiply to n_segments"):
        synth.make_scores(n_videos=4, n_classes=2, n_segments=5, views=(2, 2))


def test_synth_float32_noise_keeps_the_layout() -> None:
    kw: dict[str, Any] = dict(n_videos=30, n_classes=3, n_segments=4, views=(2, 2), seed=1)
    (a,) = synth.make_scores(streams={"rgb": 1.0}, clip_noise={"rgb": 1.0}, **kw)
    (b,) = synth.make_scores(
        streams={"rgb": 1.0}, clip_noise={"rgb": 1.0}, noise_dtype="float32", **kw
    )
    assert a.scores.shape == b.scores.shape == (30, 4, 3) and b.views == (2, 2)
    assert not np.array_equal(a.scores, b.scores)
    with pytest.raises(UsageError, match="noise_dtype"):
        synth.make_scores(noise_dtype="float16", **kw)
