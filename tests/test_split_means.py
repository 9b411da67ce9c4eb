"""Means over splits: per dataset and subset, rows matched by rule and weights, not position."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from fusionlab import cli, synth
from fusionlab.jsonio import schema
from fusionlab.scores import group, load, save


def _write(tmp_path: Path, dataset: str, split: str, seed: int, n: int = 60) -> list[str]:
    sets = synth.make_scores(
        n_videos=n,
        n_classes=5,
        n_segments=2,
        seed=seed,
        kind="logit",
        streams={"rgb": (1.0, 0.8), "flow": (1.2, 0.9)},
    )
    out = []
    for s in sets:
        p = tmp_path / f"{dataset}_{split}_{s.stream}.npz"
        save(
            p,
            s.scores,
            s.labels,
            s.video_ids,
            kind="logit",
            stream=s.stream,
            dataset=dataset,
            split=split,
            subset="test",
        )
        out.append(str(p))
    return out


@pytest.fixture
def files(tmp_path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for j, split in enumerate(("1", "2", "3")):
        out[f"hmdb51/{split}"] = _write(tmp_path, "hmdb51", split, seed=10 + j)
    for j, split in enumerate(("1", "2")):
        out[f"ucf101/{split}"] = _write(tmp_path, "ucf101", split, seed=20 + j, n=50)
    return out


def _by_hand_top1(paths: list[str], weights: tuple[float, float] | None = None) -> float:
    """Two-level mean consensus then (weighted) mean fusion in the logit domain, by numpy."""
    ev = group([load(p) for p in paths])[0]
    z = []
    for s in ("rgb", "flow"):
        lp = ev.sets[(s, None)].log_probs()  # (N, S, C) log-softmax
        m = lp.mean(axis=1)
        z.append(m - np.logaddexp.reduce(m, axis=1, keepdims=True))
    w = (1.0, 1.0) if weights is None else weights
    fused = (w[0] * z[0] + w[1] * z[1]) / sum(w)
    return float((fused.argmax(1) == ev.labels).mean())


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    rc = cli.main(["evaluate", *argv, "-q", "--bootstrap", "0", "--repeats", "1"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def test_split_means_by_hand_and_never_across_datasets(
    files: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    # files in a scrambled order: matching must not depend on it
    every = [
        p for k in ("ucf101/2", "hmdb51/3", "hmdb51/1", "ucf101/1", "hmdb51/2") for p in files[k]
    ]
    doc = json.loads(_run([*every, "--format", "json"], capsys))
    jsonschema.validate(doc, schema("evaluate"))
    means = doc["split_means"]
    groups = {(m["dataset"], tuple(m["splits"])) for m in means}
    assert groups == {("hmdb51", ("1", "2", "3")), ("ucf101", ("1", "2"))}
    for dataset, splits in (("hmdb51", ("1", "2", "3")), ("ucf101", ("1", "2"))):
        for weights in (None, (1.0, 1.5)):
            row = next(
                m
                for m in means
                if m["dataset"] == dataset
                and m["level"] == "two-level"
                and m["fusion"] == ("mean" if weights is None else "weighted")
                and m["domain"] == "logit"
                and (weights is None or m["weights"] == {"rgb": 1.0, "flow": 1.5})
            )
            per = [_by_hand_top1(files[f"{dataset}/{s}"], weights) for s in splits]
            assert row["top1_per_split"] == pytest.approx(per)
            assert row["top1_mean"] == pytest.approx(np.mean(per))
            assert row["top1_std"] == pytest.approx(np.std(per, ddof=1))
            assert row["n_splits"] == len(splits)
    # tuned rows: the means of each split's own oracle and honest values
    acc = {
        (r["evaluation"], r["over"], r["domain"]): r for r in doc["tuned"] if r["level"] == "grid"
    }
    g = next(
        m
        for m in means
        if m["dataset"] == "hmdb51"
        and m["level"] == "grid"
        and m["over"] == "streams"
        and m["domain"] == "prob"
    )
    names = [f"hmdb51/split{s}/test" for s in ("1", "2", "3")]
    honest = [acc[(n, "streams", "prob")]["honest_top1"] for n in names]
    oracle = [acc[(n, "streams", "prob")]["oracle_top1"] for n in names]
    assert g["honest_top1_mean"] == pytest.approx(np.mean(honest))
    assert g["oracle_top1_mean"] == pytest.approx(np.mean(oracle))
    assert g["honest_top1_std"] == pytest.approx(np.std(honest, ddof=1))
    assert g["weights"] is None  # tuned on each split separately


def test_split_means_in_every_format(
    files: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    hm = [p for k in ("hmdb51/1", "hmdb51/2", "hmdb51/3") for p in files[k]]
    want = np.mean([_by_hand_top1(files[f"hmdb51/{s}"]) for s in "123"])
    text = _run([*hm, "--tuned", "never"], capsys)
    assert "hmdb51/test: mean over splits 1, 2, 3" in text
    md = _run([*hm, "--tuned", "never", "--format", "markdown"], capsys)
    assert "### hmdb51/test: mean over splits 1, 2, 3" in md
    assert f"{100 * want:.2f}±" in md
    rows = list(
        csv.DictReader(io.StringIO(_run([*hm, "--tuned", "never", "--format", "csv"], capsys)))
    )
    mean_rows = [r for r in rows if r["n_splits"]]
    assert mean_rows and all(r["n_splits"] == "3" for r in mean_rows)
    hit = next(
        r
        for r in mean_rows
        if r["level"] == "two-level" and r["fusion"] == "mean" and r["domain"] == "logit"
    )
    assert float(hit["top1"]) == pytest.approx(want, abs=1e-6)
    assert hit["streams"] == "rgb;flow"
    # one split alone: no means
    one = json.loads(_run([*files["hmdb51/1"], "--format", "json", "--tuned", "never"], capsys))
    assert one["split_means"] == []


def test_split_of_val_and_test_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths: list[str] = []
    for subset in ("val", "test"):
        for split in ("1", "2"):
            sets = synth.make_scores(n_videos=40, n_classes=4, n_segments=1, seed=int(split))
            for s in sets:
                p = tmp_path / f"{subset}{split}{s.stream}.npz"
                save(
                    p,
                    s.scores,
                    s.labels,
                    s.video_ids,
                    kind=s.kind,
                    stream=s.stream,
                    dataset="d",
                    split=split,
                    subset=subset,
                )
                paths.append(str(p))
    doc: dict[str, Any] = json.loads(_run([*paths, "--format", "json", "--tuned", "never"], capsys))
    assert {(m["subset"], tuple(m["evaluations"])) for m in doc["split_means"]} == {
        ("val", ("d/split1/val", "d/split2/val")),
        ("test", ("d/split1/test", "d/split2/test")),
    }


def test_report_overview_means_per_dataset(
    files: dict[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    every = [p for k in sorted(files) for p in files[k]]
    out = tmp_path / "rep"
    rc = cli.main(
        ["evaluate", *every, "-q", "--bootstrap", "0", "--tuned", "never", "--report", str(out)]
    )
    capsys.readouterr()
    assert rc == 0
    md = (out / "report.md").read_text()
    assert "hmdb51/test: mean over splits 1, 2, 3" in md
    assert "ucf101/test: mean over splits 1, 2" in md
    assert "evaluations of the rows present in all of them" not in md
