"""Weights by name, the documented stream order, and refusals of misreadable positional lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fusionlab import cli, rules, synth
from fusionlab.errors import UsageError
from fusionlab.evaluate import EvaluateOptions, evaluate
from fusionlab.scores import group, load, save
from fusionlab.weights import (
    format_weights,
    parse_weights,
    resolve_weights,
    stream_order,
)

FOUR = {"iframe": 1.2, "mv": 0.6, "residual": 0.8, "flow": 1.0}


def _write(tmp_path: Path, streams: dict[str, float], seed: int = 5) -> list[str]:
    sets = synth.make_scores(
        n_videos=80, n_classes=5, n_segments=1, seed=seed, kind="logit", streams=streams
    )
    out = []
    for s in sets:
        p = tmp_path / f"{s.stream}.npz"
        meta = {k: v for k, v in s.meta.items() if k not in ("stream", "kind")}
        save(p, s.scores, s.labels, s.video_ids, kind=s.kind, stream=s.stream, **meta)
        out.append(str(p))
    return out


def _weighted(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    rc = cli.main(
        ["evaluate", *argv, "--format", "json", "-q", "--bootstrap", "0", "--tuned", "never"]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    return [r for r in json.loads(out.out)["accuracy"] if r["fusion"] == "weighted"]


def test_parse_forms() -> None:
    assert parse_weights("rgb=1,flow=1.5").names == ("rgb", "flow")
    assert parse_weights(" flow = 2 , rgb=1 ").values == (2.0, 1.0)
    assert parse_weights("1:1.5").positional
    for bad, msg in (
        ("rgb=1,rgb=2", "given twice"),
        ("rgb=x", "not a number"),
        ("rgb=-1,flow=1", ">= 0"),
        ("0:0", "at least one weight must be > 0"),
        ("rgb=1,flow", "not NAME=W"),
        ("1,2", "separate positional"),
        ("1:nan", ">= 0"),
    ):
        with pytest.raises(UsageError, match=msg):
            parse_weights(bad)


def test_stream_order_is_documented_and_file_order_free() -> None:
    assert stream_order(["residual", "flow", "iframe", "mv"]) == [
        "flow",
        "iframe",
        "mv",
        "residual",
    ]
    assert stream_order(["flow", "rgb"]) == ["rgb", "flow"]
    assert stream_order(["b", "a", "rgb"]) == ["rgb", "a", "b"]


def test_resolve_by_name_and_refusals() -> None:
    names = stream_order(FOUR)
    w = resolve_weights("iframe=2,mv=1,residual=1,flow=1", names)
    assert dict(zip(names, w, strict=True)) == {"iframe": 2, "mv": 1, "residual": 1, "flow": 1}
    with pytest.raises(UsageError, match="positional weights 2:1:1:1 are ambiguous") as e:
        resolve_weights("2:1:1:1", names)
    assert "--weights flow=2,iframe=1,mv=1,residual=1" in str(e.value)  # the printed order
    assert resolve_weights("1:1:1:1", names) == (1, 1, 1, 1)  # equal weights cannot be misread
    with pytest.raises(UsageError, match="no stream named 'audio'"):
        resolve_weights("iframe=2,mv=1,residual=1,flow=1,audio=1", names)
    with pytest.raises(UsageError, match="stream 'residual' has no weight"):
        resolve_weights("iframe=2,mv=1,flow=1", names)
    with pytest.raises(UsageError, match="give 2 weights for 4 streams"):
        resolve_weights("1:1", names)
    assert resolve_weights("1:1.5", ["rgb", "flow"]) == (1, 1.5)
    with pytest.raises(UsageError, match="ambiguous"):
        resolve_weights("1:1.5", ["bone", "joint"])
    assert format_weights(["rgb", "flow"], (1, 1.5)) == "rgb 1 : flow 1.5"


def test_named_weights_do_not_depend_on_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _write(tmp_path, FOUR)
    spec = "iframe=2,mv=1,residual=1,flow=1"
    rows = [
        _weighted([*order, "--weights", spec], capsys)
        for order in (files, files[::-1], files[1:] + files[:1])
    ]
    assert rows[0] == rows[1] == rows[2]
    # the numbers are those of 2*iframe + mv + residual + flow (prob: sum of probabilities)
    ev = group([load(f) for f in files])[0]
    lp = {s: ev.sets[(s, None)].log_probs()[:, 0] for s in FOUR}
    fused = sum((2 if s == "iframe" else 1) * np.exp(lp[s]) for s in FOUR)
    prob = next(r for r in rows[0] if r["domain"] == "prob")
    assert prob["top1"] == pytest.approx((fused.argmax(1) == ev.labels).mean())
    assert prob["weights"] == {"flow": 1, "iframe": 2, "mv": 1, "residual": 1}
    # and a weighting of iframe is not the same as one of flow
    other = _weighted([*files, "--weights", "flow=2,iframe=1,mv=1,residual=1"], capsys)
    flow2 = sum((2 if s == "flow" else 1) * np.exp(lp[s]) for s in FOUR)
    got = next(r for r in other if r["domain"] == "prob")["top1"]
    assert got == pytest.approx((flow2.argmax(1) == ev.labels).mean())


def test_positional_weights_match_the_printed_order_or_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    four = _write(tmp_path / "four", FOUR)
    rc = cli.main(["evaluate", *four, "--weights", "2:1:1:1", "-q", "--tuned", "never"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "ambiguous" in err and "--weights flow=2,iframe=1,mv=1,residual=1" in err
    # RGB:flow is the field's convention: positional follows rgb, flow whatever the file order
    two = _write(tmp_path / "two", {"rgb": 1.0, "flow": 1.2})
    for order in (two, two[::-1]):
        rows = _weighted([*order, "--weights", "1:3"], capsys)
        assert {tuple(r["weights"].items()) for r in rows} == {(("rgb", 1), ("flow", 3))}
        named = _weighted([*order, "--weights", "flow=3,rgb=1"], capsys)
        assert [r["top1"] for r in rows] == [r["top1"] for r in named]
    # the table prints the names next to the values
    assert cli.main(["evaluate", *two, "--weights", "1:3", "-q", "--tuned", "never"]) == 0
    assert "rgb 1 : flow 3" in capsys.readouterr().out
    # weights that name a stream an evaluation lacks
    rc = cli.main(["evaluate", *two, "--weights", "rgb=1,audio=2", "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "no stream named 'audio'" in err and "rgb, flow" in err


def test_python_api_takes_names_and_mappings(tmp_path: Path) -> None:
    files = _write(tmp_path, {"rgb": 1.0, "flow": 1.2})
    evs = group([load(f) for f in files])
    ev = evs[0]
    x = [ev.sets[(s, None)].log_probs() for s in ("rgb", "flow")]
    want = rules.two_level(
        x,
        [None, None],
        consensus="mean",
        fusion="weighted",
        domain="prob",
        fusion_params={"weights": (1, 1.5)},
    )
    for w in ({"flow": 1.5, "rgb": 1}, "rgb=1,flow=1.5", (1, 1.5)):
        res = evaluate(
            evs,
            options=EvaluateOptions(stream_weights=(w,), bootstrap=0, tuned="never"),
            progress=False,
        )
        row = next(r for r in res.records if r["fusion"] == "weighted" and r["domain"] == "prob")
        assert row["spec"].weights == (1, 1.5)
        assert row["spec"].weights_label == "rgb 1 : flow 1.5"
        assert row["top1"] == pytest.approx((want.argmax(1) == ev.labels).mean())


def test_stream_names_may_not_hold_separators(tmp_path: Path) -> None:
    from fusionlab.errors import ScoreFileError

    for bad in ("rgb,flow", "a=b", "rgb/seg1", "rgb flow", "x;y"):
        with pytest.raises(ScoreFileError, match="stream names may not hold"):
            save(
                tmp_path / "x.npz",
                np.full((2, 2), 0.5),
                [0, 1],
                ["a", "b"],
                kind="prob",
                stream=bad,
            )


def test_explorer_takes_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _write(tmp_path, {"rgb": 1.0, "flow": 1.2})
    outs = []
    for w in ("rgb=1,flow=3", "flow=3,rgb=1", "1:3"):
        assert cli.main(["explorer", *files, "--weights", w, "--format", "json"]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1] == outs[2]
    four = _write(tmp_path / "four", FOUR)
    assert cli.main(["explorer", *four, "--weights", "2:1:1:1"]) == 2
    assert "ambiguous" in capsys.readouterr().err
