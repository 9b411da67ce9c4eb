"""Trainers: synthetic data, data layouts, TSN sampling, training, resume, OOM fallback.

Skipped as a whole when torch or OpenCV is missing (CI installs both). Everything
runs on the CPU on the ``tiny`` preset: the whole module takes seconds.
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("cv2")

import cv2
import torch

from fusionlab import scores as fscores
from fusionlab.errors import FusionlabError, ScoreFileError, UsageError
from trainers import data as tdata
from trainers import synthetic
from trainers.engine import is_oom_error, topk_correct
from trainers.errors import CheckpointError, DataError
from trainers.models import (
    SmallCNN,
    build_model,
    cross_modality_weight,
    load_pretrained,
)
from trainers.opticalflow import compute_flow, dequantize_flow, quantize_flow
from trainers.quickcheck import check
from trainers.train import TrainConfig, _Failure, lr_schedule, main, run

pytestmark = pytest.mark.torch

TINY = synthetic.PRESETS["tiny"]


def quiet(msg: str) -> None:
    """Swallow progress messages."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny synthetic data set (HMDB51 layout), generated once for the module."""
    out = tmp_path_factory.mktemp("data") / "tiny"
    synthetic.generate(out, preset="tiny", seed=0, flow_method="farneback")
    return out


@pytest.fixture
def tiny_copy(tiny: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny data set that a test may break."""
    dst = tmp_path / "tiny"
    shutil.copytree(tiny, dst)
    return dst


@pytest.fixture
def cli_globals(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Undo the process-wide settings that the command line's main() makes."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # main() sets it otherwise
    saved = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    cv2_threads = cv2.getNumThreads()
    yield
    torch.set_num_threads(saved[0])
    torch.use_deterministic_algorithms(saved[1])
    cv2.setNumThreads(cv2_threads)


def cfg(data: Path, out: Path, **kw: Any) -> TrainConfig:
    base: dict[str, Any] = dict(
        data=str(data), out=str(out), epochs=1, batch_size=4, width=8, segments=3,
        flow_length=4, progress=False, device="cpu",
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


# --------------------------------------------------------------------------- generator


def test_generate_layout_and_split_lists(tiny: Path) -> None:
    info = json.loads((tiny / "dataset.json").read_text())
    assert info["name"] == "synthetic-tiny"
    assert info["flow_method"] == "farneback"
    names = [c["name"] for c in info["classes"]]
    assert len(names) == TINY.n_classes == len(set(names))
    vid = f"{names[0]}_v000"
    rgb = sorted((tiny / "rgb" / vid).iterdir())
    u = sorted((tiny / "flow" / "u" / vid).iterdir())
    v = sorted((tiny / "flow" / "v" / vid).iterdir())
    assert [p.name for p in rgb[:2]] == ["img_00001.jpg", "img_00002.jpg"]
    assert len(rgb) == TINY.n_frames and len(u) == len(v) == TINY.n_frames - 1
    img = cv2.imread(str(rgb[0]))
    grey = cv2.imread(str(u[0]), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.shape == (TINY.size, TINY.size, 3)
    assert grey is not None and grey.shape == (TINY.size, TINY.size)
    for k in range(1, TINY.n_splits + 1):
        lines = (tiny / "splits" / f"{names[0]}_test_split{k}.txt").read_text().splitlines()
        tags = [ln.split()[1] for ln in lines]
        assert len(lines) == TINY.videos_per_class
        assert all(ln.split()[0].endswith(".avi") for ln in lines)
        assert (tags.count("1"), tags.count("2"), tags.count("0")) == (
            TINY.n_train, TINY.n_test, TINY.n_unused,
        )  # fmt: skip


def test_generate_is_deterministic(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    synthetic.generate(again, preset="tiny", seed=0, flow_method="farneback")
    synthetic.generate(other, preset="tiny", seed=1, flow_method="farneback")
    rel = sorted(p.relative_to(tiny) for p in tiny.rglob("*.jpg"))
    assert rel == sorted(p.relative_to(again) for p in again.rglob("*.jpg"))
    for r in rel[::7]:
        assert (tiny / r).read_bytes() == (again / r).read_bytes()
    for name in ("splits", "rgb"):
        a = sorted((tiny / name).rglob("*"))[-1]
        b = other / a.relative_to(tiny)
        assert a.read_bytes() != b.read_bytes()


def test_generate_ucf101_layout_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "ucf"
    synthetic.generate(out, preset="tiny", seed=0, layout="ucf101", flow_method="farneback")
    sd = out / "splits"
    ind = (sd / "classInd.txt").read_text().splitlines()
    assert ind[0].startswith("1 C00") and len(ind) == TINY.n_classes
    train = (sd / "trainlist01.txt").read_text().splitlines()
    test = (sd / "testlist01.txt").read_text().splitlines()
    assert len(train) == TINY.n_classes * TINY.n_train
    assert len(test) == TINY.n_classes * TINY.n_test
    cls, rest = train[0].split("/")
    assert rest.startswith(f"v_{cls}_g") and rest.split()[1] == "1"
    assert len(test[0].split()) == 1
    layout = tdata.find_layout(out)
    assert layout.split_format == "ucf101"
    split = tdata.read_split(layout, 1)
    assert len(split.train) == len(train) and len(split.test) == len(test)
    videos = tdata.load_videos(layout, split.test, stream="flow")
    assert all(v.n_frames("flow") == TINY.n_frames - 1 for v in videos)


def test_generate_refuses_non_empty_folder(tiny: Path) -> None:
    with pytest.raises(UsageError, match="not empty"):
        synthetic.generate(tiny, preset="tiny")
    assert synthetic.main(["--out", str(tiny), "--preset", "tiny", "--no-progress"]) == 2


def test_class_codes_pairs_and_cycle() -> None:
    app, mot = synthetic.class_codes(10, design="pairs")
    pairs = {(int(a), int(m)) for a, m in zip(app, mot, strict=True)}
    assert len(pairs) == 10  # every class is unique
    for c in range(0, 10, 2):  # each pair shares exactly one of appearance, motion
        assert (app[c] == app[c + 1]) != (mot[c] == mot[c + 1])
    app, mot = synthetic.class_codes(10, design="cycle")
    assert len({(int(a), int(m)) for a, m in zip(app, mot, strict=True)}) == 10
    assert np.bincount(app).max() == 2 and np.bincount(mot).max() == 2


def test_flow_quantisation_and_direction() -> None:
    g = quantize_flow(np.array([-25.0, -20.0, 0.0, 5.0, 20.0]), bound=20.0)
    assert g.tolist() == [0, 0, 128, 159, 255]
    assert np.allclose(dequantize_flow(g, bound=20.0), [-20, -20, 0.078, 4.94, 20], atol=0.1)
    rng = np.random.default_rng(0)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (40, 40)).astype(np.float32), (0, 0), 1.5)
    frames = np.stack([np.roll(tex, 2 * t, axis=1) for t in range(3)]).astype(np.uint8)
    flow = compute_flow(frames, method="farneback")
    assert flow.shape == (2, 40, 40, 2)
    centre = flow[:, 10:30, 10:30]
    assert abs(float(np.median(centre[..., 0])) - 2.0) < 0.5
    assert abs(float(np.median(centre[..., 1]))) < 0.5


# --------------------------------------------------------------------------- data layout


def test_layout_errors_name_what_is_missing(tiny_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such data folder"):
        tdata.find_layout(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="empty data folder"):
        tdata.find_layout(empty)
    split1 = sorted((tiny_copy / "splits").glob("*_test_split1.txt"))
    layout = tdata.find_layout(tiny_copy)
    with pytest.raises(DataError, match=r"no HMDB51 split lists.*split 9"):
        tdata.read_split(layout, 9)
    split1[0].write_text("video_without_tag.avi\n")
    with pytest.raises(DataError, match=r"_test_split1.txt:1: expected 'VIDEO.avi TAG'"):
        tdata.read_split(layout, 1)
    shutil.rmtree(tiny_copy / "splits")
    with pytest.raises(DataError, match="no split lists found"):
        tdata.find_layout(tiny_copy)


def test_missing_flow_folder_and_video(tiny_copy: Path, tmp_path: Path) -> None:
    layout = tdata.find_layout(tiny_copy)
    split = tdata.read_split(layout, 1)
    vid = split.test[0][0]
    shutil.rmtree(tiny_copy / "rgb" / vid)
    with pytest.raises(DataError, match=rf"no rgb frame folder for 1 of .*{vid}"):
        tdata.load_videos(layout, split.test, stream="rgb")
    shutil.rmtree(tiny_copy / "flow" / "v")
    with pytest.raises(DataError, match=r"flow[/\\]v: y flow folder not found"):
        tdata.load_videos(layout, split.train, stream="flow")
    # The same error reaches the command line as one line and exit status 2.
    with pytest.raises(DataError, match="y flow folder not found"):
        run(cfg(tiny_copy, tmp_path / "run", stream="flow"), log=quiet)
    for name in list((tiny_copy / "rgb" / split.train[0][0]).iterdir()):
        name.unlink()
    with pytest.raises(DataError, match="fewer than 1 rgb frames"):
        tdata.load_videos(layout, split.train, stream="rgb")


def test_unreadable_frame_is_a_data_error(tiny_copy: Path) -> None:
    layout = tdata.find_layout(tiny_copy)
    split = tdata.read_split(layout, 1)
    videos = tdata.load_videos(layout, split.test[:1], stream="rgb")
    Path(videos[0].rgb[0]).write_bytes(b"not a jpeg")
    ds = tdata.SnippetDataset(videos, stream="rgb")
    with pytest.raises(DataError, match="unreadable image"):
        ds[(0, (0,), (0.5, 0.5), False)]


def test_cli_reports_bad_data_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_globals: None
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    status = main(["--stream", "rgb", "--data", str(empty), "--out", str(tmp_path / "r"),
                   "--no-progress", "--threads", "1"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1].startswith("trainers.train: error:") and "empty data folder" in err[-1]


def test_rawframes_layout_is_detected(tiny: Path, tmp_path: Path) -> None:
    root = tmp_path / "raw"
    shutil.copytree(tiny / "splits", root / "splits")
    for vdir in (tiny / "rgb").iterdir():
        dst = root / "rawframes" / vdir.name
        shutil.copytree(vdir, dst)
        for p in (tiny / "flow" / "u" / vdir.name).iterdir():
            shutil.copy(p, dst / p.name)
        for p in (tiny / "flow" / "v" / vdir.name).iterdir():
            shutil.copy(p, dst / p.name)
    layout = tdata.find_layout(root)
    assert layout.rgb_dir == layout.flow_x_dir == root / "rawframes"
    assert (layout.rgb_glob, layout.flow_x_glob) == ("img_*.jpg", "flow_x_*.jpg")
    split = tdata.read_split(layout, 2)
    v = tdata.load_videos(layout, split.train, stream="flow")[0]
    assert len(v.flow_x) == TINY.n_frames - 1 and all("flow_x_" in p for p in v.flow_x)


def _shrink_frames(folder: Path, *, colour: bool) -> None:
    """Rewrite every frame of a video folder at 30 x 20 pixels (width x height)."""
    flag = cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE
    for f in folder.iterdir():
        img = cv2.imread(str(f), flag)
        assert img is not None
        cv2.imwrite(str(f), cv2.resize(img, (30, 20)))


@pytest.mark.parametrize("stream", ["rgb", "flow"])
def test_mixed_frame_sizes_are_resized_by_default(
    tiny_copy: Path, tmp_path: Path, stream: str
) -> None:
    layout = tdata.find_layout(tiny_copy)
    split = tdata.read_split(layout, 1)
    for vid in (split.train[1][0], split.test[0][0]):  # not the first training video
        if stream == "rgb":
            _shrink_frames(tiny_copy / "rgb" / vid, colour=True)
        else:
            _shrink_frames(tiny_copy / "flow" / "u" / vid, colour=False)
            _shrink_frames(tiny_copy / "flow" / "v" / vid, colour=False)
    out = tmp_path / "mixed"
    res = run(cfg(tiny_copy, out, stream=stream, batch_size=TINY.n_classes * TINY.n_train),
              log=quiet)  # fmt: skip
    test = fscores.load(res.score_files[0])
    assert test.scores.shape == (len(split.test), 3, TINY.n_classes)
    assert np.isfinite(test.scores).all()
    conf = json.loads((out / "config.json").read_text())
    assert conf["frame_size"] == [TINY.size, TINY.size]  # the first training video's size
    # An explicit --resize wins, and the crop is checked against it before any reading.
    res = run(cfg(tiny_copy, tmp_path / "r16", stream=stream, resize=16, crop=12), log=quiet)
    assert json.loads((tmp_path / "r16" / "config.json").read_text())["frame_size"] == [16, 16]
    assert fscores.load(res.score_files[0]).scores.shape == test.scores.shape
    with pytest.raises(UsageError, match=r"--crop 30 is larger than the frames \(24x24, from"):
        run(cfg(tiny_copy, tmp_path / "c", stream=stream, crop=30), log=quiet)


def test_snippet_dataset_resizes_to_height_and_width(tiny: Path) -> None:
    layout = tdata.find_layout(tiny)
    split = tdata.read_split(layout, 1)
    videos = tdata.load_videos(layout, split.test[:1], stream="flow")
    assert tdata.frame_size(videos[0], stream="flow") == (TINY.size, TINY.size)
    ds = tdata.SnippetDataset(videos, stream="flow", length=2, resize=(10, 14))
    x, _ = ds[(0, (0, 3), (0.5, 0.5), False)]
    assert x.shape == (2, 4, 10, 14)


def test_worker_errors_come_out_as_one_line(
    tiny_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_globals: None
) -> None:
    layout = tdata.find_layout(tiny_copy)
    split = tdata.read_split(layout, 1)
    broken = tiny_copy / "rgb" / split.train[1][0]
    for f in broken.iterdir():
        f.write_bytes(b"not a jpeg")
    with pytest.raises(DataError) as info:
        run(cfg(tiny_copy, tmp_path / "api", num_workers=1), log=quiet)
    msg = str(info.value)
    assert "\n" not in msg and "Traceback" not in msg and "DataLoader" not in msg
    assert msg.startswith(str(broken)) and msg.endswith(": missing or unreadable image")
    status = main(["--stream", "rgb", "--data", str(tiny_copy), "--out", str(tmp_path / "cli"),
                   "--num-workers", "1", "--width", "8", "--epochs", "1", "--no-progress",
                   "--threads", "1", "--device", "cpu"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1] == f"trainers.train: error: {msg}"
    assert not any("Traceback" in line for line in err)


def test_failure_keeps_the_error_type() -> None:
    assert type(_Failure(UsageError, "bad").error()) is UsageError
    err = _Failure(ScoreFileError, "x.npz: bad").error()  # needs (path, problem)
    assert isinstance(err, DataError) and str(err) == "x.npz: bad"


# --------------------------------------------------------------------------- sampling


def test_tsn_offsets() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        off = tdata.random_offsets(24, n_segments=3, length=1, rng=rng)
        assert 0 <= off[0] < 8 <= off[1] < 16 <= off[2] < 24
    assert tdata.centre_offsets(24, n_segments=3, length=1).tolist() == [4, 12, 20]
    assert tdata.centre_offsets(5, n_segments=3, length=10).tolist() == [0, 0, 0]
    assert tdata.random_offsets(2, n_segments=3, length=1, rng=rng).tolist() == [0, 0, 0]
    assert tdata.snippet_indices(1, length=4, n_frames=3).tolist() == [1, 2, 2, 2]


def test_sampler_is_a_function_of_seed_and_epoch() -> None:
    def keys(epoch: int, seed: int = 0) -> list[tdata.SampleKey]:
        s = tdata.TSNBatchSampler([24] * 10, n_segments=3, length=5, batch_size=4, train=True,
                                  seed=seed)  # fmt: skip
        s.set_epoch(epoch)
        return [k for batch in s for k in batch]

    assert keys(1) == keys(1)
    assert keys(1) != keys(2) and keys(1) != keys(1, seed=1)
    assert sorted(k[0] for k in keys(3)) == list(range(10))
    test = tdata.TSNBatchSampler([24] * 5, n_segments=3, length=1, batch_size=2, train=False)
    assert len(test) == 3 and [k[0] for b in test for k in b] == [0, 1, 2, 3, 4]


def test_snippet_shapes_and_flip(tiny: Path) -> None:
    layout = tdata.find_layout(tiny)
    split = tdata.read_split(layout, 1)
    flow = tdata.load_videos(layout, split.test, stream="flow")
    ds = tdata.SnippetDataset(flow, stream="flow", length=3, crop=20)
    x, y = ds[(0, (0, 2, 5), (0.0, 1.0), False)]
    assert x.shape == (3, 6, 20, 20) and x.dtype == np.float32 and y == split.test[0][2]
    xf, _ = ds[(0, (0, 2, 5), (0.0, 1.0), True)]
    np.testing.assert_allclose(xf[:, 0::2], -x[:, 0::2, :, ::-1])  # x flow changes sign
    np.testing.assert_allclose(xf[:, 1::2], x[:, 1::2, :, ::-1])
    rgb = tdata.load_videos(layout, split.test, stream="rgb")
    xr, _ = tdata.SnippetDataset(rgb, stream="rgb", resize=16)[(1, (0, 4), (0.5, 0.5), False)]
    assert xr.shape == (2, 3, 16, 16)


def test_validation_split_is_stratified_and_seeded() -> None:
    labels = np.repeat(np.arange(4), 10)
    tr, va = tdata.validation_split(labels, fraction=0.2, seed=3)
    assert np.bincount(labels[va]).tolist() == [2, 2, 2, 2]
    assert np.intersect1d(tr, va).size == 0 and tr.size + va.size == 40
    assert np.array_equal(va, tdata.validation_split(labels, fraction=0.2, seed=3)[1])
    assert not np.array_equal(va, tdata.validation_split(labels, fraction=0.2, seed=4)[1])


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda sd: sd, id="plain"),
        pytest.param(lambda sd: {"model": {f"net.{k}": v for k, v in sd.items()}}, id="model-net"),
        pytest.param(
            lambda sd: {"state_dict": {f"module.{k}": v for k, v in sd.items()}, "epoch": 3},
            id="state_dict-module",
        ),
        pytest.param(
            lambda sd: {
                "format": "trainers.checkpoint",
                "version": 1,
                "config": {},
                "trainer": {
                    "model": {f"net.{k}": v for k, v in sd.items()},
                    "optimizer": {"state": {}},
                    "epoch": 1,
                },
            },
            id="trainers-checkpoint",
        ),
        pytest.param(lambda sd: {f"model.{k}": v for k, v in sd.items()}, id="lightning"),
    ],
)
def test_cross_modality_init_from_rgb_checkpoint(tmp_path: Path, wrap: Any) -> None:
    rgb = SmallCNN(3, 5, width=8)
    torch.save(wrap(rgb.state_dict()), tmp_path / "rgb.pt")
    flow = build_model("smallcnn", in_channels=8, n_classes=7, width=8)
    info = load_pretrained(flow, tmp_path / "rgb.pt")
    assert info["cross_modality"] == "features.0.weight"
    assert "fc.weight" in info["skipped"]  # 5 classes -> 7 classes
    w = flow.state_dict()["features.0.weight"]
    expect = rgb.state_dict()["features.0.weight"].mean(dim=1, keepdim=True).repeat(1, 8, 1, 1)
    assert torch.equal(w, expect)
    assert torch.equal(
        flow.state_dict()["features.3.weight"], rgb.state_dict()["features.3.weight"]
    )
    assert info["loaded"] == len(rgb.state_dict()) - 2  # all but fc.weight and fc.bias


def test_load_pretrained_errors(tmp_path: Path) -> None:
    flow = build_model("smallcnn", in_channels=8, n_classes=7, width=8)
    assert cross_modality_weight(torch.ones(2, 3, 3, 3), 20).shape == (2, 20, 3, 3)
    torch.save({"other.weight": torch.ones(3, 3)}, tmp_path / "x.pt")
    with pytest.raises(CheckpointError, match="no tensor matches"):
        load_pretrained(flow, tmp_path / "x.pt")
    torch.save({"epochs": 3}, tmp_path / "y.pt")
    with pytest.raises(CheckpointError, match="expected a state dict"):
        load_pretrained(flow, tmp_path / "y.pt")
    with pytest.raises(CheckpointError, match="not found"):
        load_pretrained(flow, tmp_path / "missing.pt")


def test_resnet_needs_torchvision_or_builds() -> None:
    try:
        net = build_model("resnet18", in_channels=6, n_classes=3)
    except UsageError as exc:
        assert "torchvision" in str(exc)
    else:
        assert net(torch.zeros(2, 6, 64, 64)).shape == (2, 3)


def test_topk_ties_go_to_lowest_index() -> None:
    logits = torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0]])
    assert topk_correct(logits, torch.tensor([0, 2]), [1, 2]) == {1: 1, 2: 2}


def test_lr_schedules() -> None:
    c = TrainConfig(data="d", lr=1.0, min_lr=0.1, epochs=4, warmup_epochs=1)
    f = lr_schedule(c, 10)
    assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0)
    assert f(10) == pytest.approx(1.0) and f(39) > 0.1 and f(39) < 0.11
    assert all(f(s) >= f(s + 1) for s in range(10, 39))
    s = lr_schedule(TrainConfig(data="d", lr=1.0, schedule="step", milestones=[2, 3],
                                warmup_epochs=0, epochs=4), 10)  # fmt: skip
    assert [s(0), s(19), s(20), s(30)] == pytest.approx([1.0, 1.0, 0.1, 0.01])


def test_config_validation() -> None:
    with pytest.raises(UsageError, match="--segments must be >= 1"):
        TrainConfig(data="d", segments=0).validate()
    with pytest.raises(UsageError, match="--stream: expected one of rgb, flow"):
        TrainConfig(data="d", stream="depth").validate()  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--data is required"):
        TrainConfig().validate()


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("stream", ["rgb", "flow"])
def test_end_to_end_one_epoch(tiny: Path, tmp_path: Path, stream: str) -> None:
    out = tmp_path / stream
    res = run(cfg(tiny, out, stream=stream, val_fraction=0.25, save_train_scores=True),
              argv=["python", "-m", "trainers.train", "--stream", stream], log=quiet)  # fmt: skip
    layout = tdata.find_layout(tiny)
    split = tdata.read_split(layout, 1)
    names = sorted(p.name for p in res.score_files)
    assert names == sorted(
        f"synthetic-tiny_split1_{stream}{sub}_e001.npz" for sub in ("", "_val", "_train")
    )
    test = fscores.load(out / "scores" / f"synthetic-tiny_split1_{stream}_e001.npz")
    assert test.scores.shape == (len(split.test), 3, TINY.n_classes)
    assert test.kind == "logit" and test.stream == stream and test.epoch == 1
    assert test.video_ids.tolist() == [r[0] for r in split.test]
    assert test.labels.tolist() == [r[2] for r in split.test]
    assert test.class_names is not None and test.class_names.tolist() == split.class_names
    m = test.meta
    assert (m["model"], m["dataset"], m["split"], m["subset"]) == (
        "smallcnn", "synthetic-tiny", "1", "test",
    )  # fmt: skip
    assert "centre snippet" in m["sampling"] and m["created_by"].startswith("trainers.train")
    val = fscores.load(out / "scores" / f"synthetic-tiny_split1_{stream}_val_e001.npz")
    train = fscores.load(out / "scores" / f"synthetic-tiny_split1_{stream}_train_e001.npz")
    assert val.meta["subset"] == "val" and train.meta["subset"] == "train"
    assert np.bincount(val.labels).tolist() == [1] * TINY.n_classes
    assert val.n_videos + train.n_videos == len(split.train)
    assert not set(val.video_ids) & set(train.video_ids)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [r["phase"] for r in rows] == ["train", "test", "val", "train"]
    assert set(rows[0]) >= {"batch_time", "data_time", "loss", "prec1", "prec5", "lr"}
    conf = json.loads((out / "config.json").read_text())
    assert conf["config"]["stream"] == stream and conf["argv"][-1] == stream
    assert (out / "checkpoint.pt").is_file()
    assert (out / "log.jsonl").read_text().count("\n") == 4


def test_two_streams_fuse_in_quickcheck(tiny: Path, tmp_path: Path) -> None:
    files = []
    for stream in ("rgb", "flow"):
        files += run(cfg(tiny, tmp_path / stream, stream=stream), log=quiet).score_files
    (result,) = check([str(f) for f in files])
    assert set(result.streams) == {"rgb", "flow"} and 0.0 <= result.fused <= 1.0
    assert result.n_videos == TINY.n_classes * TINY.n_test
    assert len(result.segments["flow"]) == 3


def test_flow_stream_starts_from_an_rgb_run(tiny: Path, tmp_path: Path) -> None:
    """The TSN cross-modality workflow: train RGB, then ``--stream flow --pretrained``."""
    run(cfg(tiny, tmp_path / "rgb"), log=quiet)
    ckpt = tmp_path / "rgb" / "checkpoint.pt"
    rgb_w = torch.load(ckpt, weights_only=True)["trainer"]["model"]["net.features.0.weight"]
    channels = 2 * 4  # flow_length 4 in cfg()
    expect = rgb_w.mean(dim=1, keepdim=True).repeat(1, channels, 1, 1)
    net = SmallCNN(channels, TINY.n_classes, width=8)
    first: list[torch.Tensor] = []
    net.register_forward_pre_hook(
        lambda m, args: first.append(m.features[0].weight.detach().clone()) if not first else None
    )
    messages: list[str] = []
    run(cfg(tiny, tmp_path / "flow", stream="flow", pretrained=str(ckpt)), model=net,
        log=messages.append)  # fmt: skip
    assert torch.equal(first[0], expect)  # the weights of the first forward pass
    assert any(m.startswith("cross-modality initialisation of features.0.weight") for m in messages)
    # The same through the built-in network.
    messages.clear()
    run(cfg(tiny, tmp_path / "flow2", stream="flow", pretrained=str(ckpt)), log=messages.append)
    assert "cross-modality initialisation of features.0.weight for 8 channels" in messages


def test_existing_run_needs_resume(tiny: Path, tmp_path: Path) -> None:
    c = cfg(tiny, tmp_path / "r")
    run(c, log=quiet)
    with pytest.raises(UsageError, match="pass --resume"):
        run(c, log=quiet)
    c2 = cfg(tiny, tmp_path / "r", resume=True, seed=5)
    with pytest.raises(CheckpointError, match="seed=0"):
        run(c2, log=quiet)


class Killed(Exception):
    """Stands for the process being killed after a checkpoint."""


def test_resume_gives_identical_scores(tiny: Path, tmp_path: Path) -> None:
    kw: dict[str, Any] = dict(stream="flow", epochs=3, dropout=0.3)
    full = run(cfg(tiny, tmp_path / "full", **kw), log=quiet)

    def kill_after_first(tr: Any) -> None:
        if tr.epoch == 1:
            raise Killed

    with pytest.raises(Killed):
        run(cfg(tiny, tmp_path / "part", **kw), callbacks={"on_epoch_end": [kill_after_first]},
            log=quiet)  # fmt: skip
    before = pickle.dumps(np.random.get_state())  # noqa: NPY002
    resumed = run(cfg(tiny, tmp_path / "part", resume=True, **kw), log=quiet)
    assert pickle.dumps(np.random.get_state()) == before  # noqa: NPY002 (global state restored)
    assert [p.name for p in resumed.score_files] == [p.name for p in full.score_files[1:]]
    for a, b in zip(
        full.score_files, sorted((tmp_path / "part" / "scores").iterdir()), strict=True
    ):
        assert np.array_equal(fscores.load(a).scores, fscores.load(b).scores), b.name
    assert [r["epoch"] for r in resumed.log] == [r["epoch"] for r in full.log]


def test_resume_removes_stale_temporaries(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    run(cfg(tiny, out), log=quiet)

    def temporary(dest: Path, suffix: str) -> Path:
        """A temporary file named as fusionlab.output.atomic_path names them."""
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix + ".tmp",
                                    dir=dest.parent)  # fmt: skip
        os.close(fd)
        return Path(name)

    scores = out / "scores"
    stale = [
        temporary(scores / "synthetic-tiny_split1_rgb_e002.npz", ".npz"),  # killed in save()
        temporary(out / "checkpoint.pt", ".pt"),
        temporary(out / "checkpoint_e002.pt", ".pt"),
        temporary(out / "log.csv", ""),
        temporary(out / "config.json", ""),
    ]
    kept = [
        temporary(scores / "notes.txt", ""),  # not a score file
        temporary(out / "data.npz", ".npz"),  # not a file of the run
        scores / "keep.tmp",
        scores / ".x.tmp",
    ]
    for p in kept[2:]:
        p.write_text("mine")
    messages: list[str] = []
    run(cfg(tiny, out, epochs=2, resume=True), log=messages.append)
    assert [p.name for p in stale if p.exists()] == []
    assert [p.name for p in kept if not p.exists()] == []
    assert "removed 5 temporary files left by the interrupted run" in messages
    assert (scores / "synthetic-tiny_split1_rgb_e002.npz").is_file()


class OOMInjector(torch.nn.Module):
    """Raises a CUDA out-of-memory error on any forward pass of more than ``limit`` snippets."""

    def __init__(self, net: torch.nn.Module, limit: int, exc: BaseException) -> None:
        super().__init__()
        self.net = net
        self.limit = limit
        self.exc = exc
        self.raised = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > self.limit:
            self.raised += 1
            raise self.exc
        out: torch.Tensor = self.net(x)
        return out


@pytest.mark.parametrize(
    "exc",
    [
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("cuda runtime error (2) : out of memory at THCStorage.cu:66"),
    ],
)
def test_oom_halves_micro_batch_keeping_effective_batch(
    tiny: Path, tmp_path: Path, exc: BaseException
) -> None:
    assert is_oom_error(exc)
    seg = 3
    c = cfg(tiny, tmp_path / "oom", epochs=2, batch_size=4)
    torch.manual_seed(0)
    inj = OOMInjector(SmallCNN(3, TINY.n_classes, width=8), limit=1 * seg, exc=exc)
    messages: list[str] = []
    res = run(c, model=inj, log=messages.append)
    assert inj.raised == 2  # 4 -> 2 -> 1 video per forward pass, then never again
    assert sum("out of memory" in m for m in messages) == 2
    events = [r for r in res.log if r.get("event") == "oom"]
    assert [(e["from"], e["to"]) for e in events] == [(4, 2), (2, 1)]
    assert {r["micro_batch"] for r in res.log if "phase" in r} == {1}
    # Same result as asking for micro-batches of one video from the start.
    torch.manual_seed(0)
    ref_net = OOMInjector(SmallCNN(3, TINY.n_classes, width=8), limit=10**6, exc=exc)
    ref = run(cfg(tiny, tmp_path / "ref", epochs=2, batch_size=4, micro_batch=1), model=ref_net,
              log=quiet)  # fmt: skip
    for a, b in zip(res.score_files, ref.score_files, strict=True):
        np.testing.assert_allclose(fscores.load(a).scores, fscores.load(b).scores, atol=1e-5)


class LateOOM(torch.nn.Module):
    """Runs the network, then raises out-of-memory on forward call ``at`` (1-based).

    Stands for an out-of-memory error part-way through a step: batch-norm
    running statistics and the dropout generator have moved on when it comes.
    """

    def __init__(self, net: torch.nn.Module, at: int | None) -> None:
        super().__init__()
        self.net = net
        self.at = at
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        out: torch.Tensor = self.net(x)
        if self.calls == self.at:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return out


def test_oom_in_the_middle_of_a_step_is_rolled_back(tiny: Path, tmp_path: Path) -> None:
    def train(name: str, micro_batch: int, at: int | None) -> Any:
        torch.manual_seed(0)
        net = LateOOM(SmallCNN(3, TINY.n_classes, width=8, dropout=0.5), at)
        return run(cfg(tiny, tmp_path / name, epochs=2, batch_size=4, micro_batch=micro_batch),
                   model=net, log=quiet)  # fmt: skip

    # Micro-batch 2: the second forward pass of the first step (after one backward) fails.
    res = train("oom", 2, at=2)
    events = [r for r in res.log if r.get("event") == "oom"]
    assert [(e["epoch"], e["step"], e["from"], e["to"]) for e in events] == [(1, 0, 2, 1)]
    ref = train("ref", 1, at=None)  # micro-batches of one video from the start
    assert [r["loss"] for r in res.log if "phase" in r] == [r["loss"] for r in ref.log]
    for a, b in zip(res.score_files, ref.score_files, strict=True):
        np.testing.assert_array_equal(fscores.load(a).scores, fscores.load(b).scores)


def test_other_errors_are_not_swallowed(tiny: Path, tmp_path: Path) -> None:
    inj = OOMInjector(SmallCNN(3, TINY.n_classes, width=8), limit=0, exc=RuntimeError("boom"))
    with pytest.raises(RuntimeError, match="boom"):
        run(cfg(tiny, tmp_path / "x"), model=inj, log=quiet)
    assert not is_oom_error(ValueError("out of memory"))


def test_cli_trains_and_writes_scores(tiny: Path, tmp_path: Path, cli_globals: None) -> None:
    out = tmp_path / "cli"
    argv = ["--stream", "rgb", "--data", str(tiny), "--out", str(out), "--epochs", "2",
            "--batch-size", "8", "--width", "8", "--eval-every", "2", "--no-progress",
            "--threads", "1", "--device", "cpu", "--schedule", "step", "--milestones", "1",
            "--optimizer", "sgd", "--lr", "0.01"]  # fmt: skip
    assert main(argv) == 0
    assert [p.name for p in (out / "scores").iterdir()] == ["synthetic-tiny_split1_rgb_e002.npz"]
    conf = json.loads((out / "config.json").read_text())
    assert conf["config"]["optimizer"] == "sgd" and "--milestones" in conf["command"]


def test_errors_are_fusionlab_errors() -> None:
    assert issubclass(DataError, FusionlabError) and issubclass(CheckpointError, FusionlabError)


def test_every_config_field_has_a_command_line_option() -> None:
    import argparse
    from dataclasses import fields

    from trainers.train import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    dests = {a.dest for a in parser._actions}
    assert [f.name for f in fields(TrainConfig) if f.name not in dests] == []
