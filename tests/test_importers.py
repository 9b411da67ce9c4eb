"""Importers: each tool's exact layout, round trips, alignment, the restricted unpickler."""

from __future__ import annotations

import codecs
import collections
import io
import math
import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fusionlab import cli, scores
from fusionlab.errors import ScoreFileError, UsageError
from fusionlab.importers import (
    TSN_NAME_MEMBERS,
    PickleDataError,
    RefusedPickle,
    import_scores,
    infer_kind,
    normalize_video_id,
    read_class_index,
    read_csv,
    read_ctrgcn,
    read_mmaction2,
    read_pyskl,
    read_slowfast,
    read_split_list,
    read_tsn,
    read_twostream,
    read_videomae,
    restricted_load,
)

# --------------------------------------------------------------------------- fixture data
# 5 videos, 4 classes, UCF101 naming (including its HandStandPushups spelling quirk);
# the test list is deliberately not in sorted order.

CLASSES = ["ApplyEyeMakeup", "Archery", "BabyCrawling", "HandstandPushups"]
VIDEOS = [
    "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi",
    "Archery/v_Archery_g02_c03.avi",
    "BabyCrawling/v_BabyCrawling_g01_c02.avi",
    "HandstandPushups/v_HandStandPushups_g01_c01.avi",
    "Archery/v_Archery_g01_c01.avi",
]
IDS = [normalize_video_id(v) for v in VIDEOS]
LABELS = [0, 1, 2, 3, 1]
N, S, C = 5, 3, 4


def logits(seed: int = 0) -> np.ndarray:
    out: np.ndarray = np.random.default_rng(seed).normal(size=(N, S, C)).astype(np.float32)
    return out


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def by_id(s: scores.ScoreSet) -> list[int]:
    """Row of each of IDS in ``s``."""
    ids = list(s.video_ids)
    return [ids.index(v) for v in IDS]


def write_class_ind(tmp: Path) -> Path:
    p = tmp / "classInd.txt"
    p.write_text("".join(f"{i + 1} {c}\r\n" for i, c in enumerate(CLASSES)))
    return p


def write_testlist(tmp: Path) -> Path:
    """UCF101 testlist01.txt: one column, label from the class folder."""
    p = tmp / "testlist01.txt"
    p.write_text("".join(v + "\r\n" for v in VIDEOS))
    return p


def write_tsn_list(tmp: Path) -> Path:
    """tsn-pytorch / TSN list: 'frame_dir num_frames label' (0-based)."""
    p = tmp / "ucf101_rgb_val_split_1.txt"
    p.write_text(
        "".join(f"/data/ucf101/frames/{i} 150 {lab}\n" for i, lab in zip(IDS, LABELS, strict=True))
    )
    return p


def write_mm_list(tmp: Path) -> Path:
    """MMAction2 video annotation list: 'path label'."""
    p = tmp / "ucf101_val_split_1_videos.txt"
    p.write_text("".join(f"{v} {lab}\n" for v, lab in zip(VIDEOS, LABELS, strict=True)))
    return p


def tsn_pytorch_npz(tmp: Path, x: np.ndarray, name: str = "tsn_rgb.npz") -> Path:
    """Exactly what tsn-pytorch test_models.py writes: rows in sorted list order,
    each (rst of shape (test_segments, 1, classes), label), saved by np.savez."""
    name_list = [f"/data/ucf101/frames/{i}" for i in IDS]
    order = {e: i for i, e in enumerate(sorted(name_list))}
    rows = np.empty((N, 2), dtype=object)  # np.savez(scores=[(rst, label), ...])
    reorder_label: list[Any] = [None] * N
    for i in range(N):
        j = order[name_list[i]]
        rows[j, 0] = x[i][:, None, :]
        rows[j, 1] = LABELS[i]
        reorder_label[j] = LABELS[i]
    p = tmp / name
    np.savez(p, scores=rows, labels=np.asarray(reorder_label))
    return p


# ----------------------------------------------------------------- pickles that name globals
# A pure-Python pickler that can write GLOBAL opcodes for names that are not importable
# here (torch, numpy 1.x spellings), to build other tools' pickles without their code.


class Global:
    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # pickle wants reduce functions callable
        raise NotImplementedError


class Reduce:
    def __init__(self, func: Global, args: tuple[Any, ...]) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.func, self.args)


class _Persistent:
    def __init__(self, pid: tuple[Any, ...]) -> None:
        self.pid = pid


_PyPickler: Any = pickle._Pickler


class GlobalPickler(_PyPickler):  # type: ignore[misc]
    dispatch = _PyPickler.dispatch.copy()

    def save_global_marker(self, obj: Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

    dispatch[Global] = save_global_marker

    def persistent_id(self, obj: Any) -> Any:
        return obj.pid if isinstance(obj, _Persistent) else None


class Py2Pickler(GlobalPickler):
    """Python 2 style: bytes as STRING opcodes (py2 str), numpy 1.x module names."""

    dispatch = GlobalPickler.dispatch.copy()

    def save_py2_str(self, obj: bytes) -> None:
        self.write(pickle.STRING + b"'" + codecs.escape_encode(obj)[0] + b"'\n")
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def gdumps(obj: Any, protocol: int = 2, pickler: type = GlobalPickler) -> bytes:
    buf = io.BytesIO()
    pickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


def py2_dumps(obj: Any) -> bytes:
    data = gdumps(obj, protocol=0, pickler=Py2Pickler)
    return data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


_TORCH_DTYPES = {
    "<f4": "FloatStorage",
    "<f8": "DoubleStorage",
    "<f2": "HalfStorage",
    "<i8": "LongStorage",
}


def torch_like(
    arr: np.ndarray,
    *,
    offset: int = 0,
    size: tuple[int, ...] | None = None,
    stride: tuple[int, ...] | None = None,
    declared: int | None = None,
) -> Reduce:
    """A torch CPU tensor as torch's pickling writes it (protocol 2 via mmengine.dump):
    _rebuild_tensor_v2(_load_from_bytes(<legacy torch.save of the storage>), offset,
    size, stride, requires_grad, OrderedDict()). ``declared``: element count written in
    the storage record and header instead of the true one."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    numel = flat.size if declared is None else declared
    dt = flat.dtype.newbyteorder("<").str
    storage = Global("torch", _TORCH_DTYPES[dt])
    blob = b"".join(
        [
            pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
            pickle.dumps(1001, protocol=2),
            pickle.dumps(
                {
                    "protocol_version": 1001,
                    "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4},
                },
                protocol=2,
            ),
            gdumps(_Persistent(("storage", storage, "94001", "cpu", numel, None))),
            pickle.dumps(["94001"], protocol=2),
            numel.to_bytes(8, "little"),
            flat.astype(dt).tobytes(),
        ]
    )
    shape = tuple(arr.shape) if size is None else size
    if stride is None:
        stride = tuple(int(np.prod(shape[i + 1 :])) for i in range(len(shape)))
    return Reduce(
        Global("torch._utils", "_rebuild_tensor_v2"),
        (
            Reduce(Global("torch.storage", "_load_from_bytes"), (blob,)),
            offset,
            shape,
            stride,
            False,
            collections.OrderedDict(),
        ),
    )


def mm_samples(x: np.ndarray, *, rc: bool = False) -> list[dict[str, Any]]:
    """MMAction2 1.x DumpResults: ActionDataSample.to_dict() with tensors on the CPU."""
    out = []
    for i in range(N):
        score = torch_like(softmax(x[i].mean(axis=0)).astype(np.float32))
        label = torch_like(np.asarray([LABELS[i]], dtype=np.int64))
        d: dict[str, Any]
        if rc:  # 1.0.0rc: LabelData fields
            d = {"pred_scores": {"item": score}, "gt_labels": {"item": label}}
        else:
            d = {
                "pred_score": score,
                "gt_label": label,
                "pred_label": torch_like(np.asarray([0], dtype=np.int64)),
            }
        d.update({"num_classes": C, "img_shape": (224, 224)})
        out.append(d)
    return out


# --------------------------------------------------------------------------- helpers


def test_normalize_video_id() -> None:
    assert (
        normalize_video_id("ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi")
        == "v_ApplyEyeMakeup_g01_c01"
    )
    assert normalize_video_id("C:\\data\\v_X_g01_c01.MP4") == "v_X_g01_c01"
    assert normalize_video_id(" frames/v_X_g01_c01/ ") == "v_X_g01_c01"
    assert normalize_video_id("clip.v2") == "clip.v2"  # not a video extension
    assert normalize_video_id(".avi") == ".avi"


def test_class_index_formats(tmp_path: Path) -> None:
    assert read_class_index(write_class_ind(tmp_path)) == CLASSES
    p = tmp_path / "zero.txt"
    p.write_text("1 b\n0 a\n")
    assert read_class_index(p) == ["a", "b"]
    p.write_text("air drumming\nabseiling\n")
    assert read_class_index(p) == ["air drumming", "abseiling"]
    p.write_text("1 a\n3 b\n")
    with pytest.raises(ScoreFileError, match="without gaps"):
        read_class_index(p)


def test_split_list_formats(tmp_path: Path) -> None:
    names = read_class_index(write_class_ind(tmp_path))
    for path in (write_testlist(tmp_path), write_tsn_list(tmp_path), write_mm_list(tmp_path)):
        entries = read_split_list(path, class_names=names)
        assert [e.video_id for e in entries] == IDS
        assert [e.label for e in entries] == LABELS
    p = tmp_path / "trainlist01.txt"
    p.write_text("".join(f"{v} {lab + 1}\n" for v, lab in zip(VIDEOS, LABELS, strict=True)))
    assert [e.label for e in read_split_list(p, label_base=1)] == LABELS
    # without a class index a one-column list has unknown labels
    assert {e.label for e in read_split_list(write_testlist(tmp_path))} == {-1}


def test_infer_kind() -> None:
    x = logits()
    assert infer_kind(x) == "logit"
    assert infer_kind(softmax(x)) == "prob"
    assert infer_kind(np.log(softmax(x))) == "logprob"
    assert infer_kind(np.full((2, 1, 3), np.nan)) == "logit"
    assert infer_kind(np.asarray([[0.3345, 0.3345, 0.3345]], dtype=np.float16)) == "prob"
    assert infer_kind(np.asarray([[1e308, 1e308]])) == "logit"  # overflowing sums
    mask = np.ones((N, S), dtype=bool)
    p = softmax(x)
    p[0, 2] = 7.0
    mask[0, 2] = False
    assert infer_kind(p, mask) == "prob"


# --------------------------------------------------------------------------- TSN


def test_tsn_pytorch_round_trip(tmp_path: Path) -> None:
    x = logits()
    src = tsn_pytorch_npz(tmp_path, x)
    out = tmp_path / "out" / "rgb.npz"
    s = import_scores(
        src,
        source="tsn",
        out=out,
        stream="rgb",
        split_list=write_tsn_list(tmp_path),
        allow_pickle=True,
        dataset="ucf101",
        split="1",
        subset="test",
        epoch=80,
    )
    loaded = scores.load(out)
    for t in (s, loaded):
        rows = by_id(t)
        np.testing.assert_array_equal(t.scores[rows], x)
        assert t.labels[rows].tolist() == LABELS
        assert t.kind == "logit" and t.stream == "rgb" and t.epoch == 80
    assert list(loaded.video_ids) == sorted(IDS)  # tsn-pytorch rows: sorted list order
    assert loaded.meta["created_by"] == "fusionlab import --from tsn"
    assert loaded.meta["source_file"] == "tsn_rgb.npz"
    assert loaded.meta["crops"] == 1 and loaded.meta["row_order"] == "sorted"
    assert loaded.eval_key == ("ucf101", "1", "test")


def test_tsn_caffe_crops_averaged_list_order(tmp_path: Path) -> None:
    """Caffe TSN eval_net.py: rows in test-list order, (frames, crops, classes) each."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, S, 10, C)).astype(np.float32)
    rows = np.empty((N, 2), dtype=object)
    for i in range(N):
        rows[i, 0], rows[i, 1] = x[i], LABELS[i]
    src = tmp_path / "tsn_flow.npz"
    np.savez(src, scores=rows, labels=np.asarray(LABELS))
    raw = read_tsn(
        src,
        split_list=write_testlist(tmp_path),
        class_index=write_class_ind(tmp_path),
        allow_pickle=True,
        row_order="list",
    )
    assert list(raw.video_ids) == IDS
    np.testing.assert_allclose(raw.scores, x.mean(axis=2, dtype=np.float64), atol=1e-6)
    assert raw.meta == {"crops": 10, "row_order": "list", "row_match": "position"}
    assert list(raw.class_names) == CLASSES  # type: ignore[arg-type]


def test_tsn_wrong_row_order_is_caught(tmp_path: Path) -> None:
    src = tsn_pytorch_npz(tmp_path, logits())
    with pytest.raises(ScoreFileError, match=r"--row-order sorted"):
        import_scores(
            src,
            source="tsn",
            out=tmp_path / "o.npz",
            stream="rgb",
            split_list=write_tsn_list(tmp_path),
            allow_pickle=True,
            row_order="list",
        )
    assert not (tmp_path / "o.npz").exists()


def test_tsn_needs_allow_pickle_and_split_list(tmp_path: Path) -> None:
    src = tsn_pytorch_npz(tmp_path, logits())
    with pytest.raises(ScoreFileError, match=r"arbitrary code.*--allow-pickle"):
        import_scores(
            src,
            source="tsn",
            out=tmp_path / "o.npz",
            stream="rgb",
            split_list=write_tsn_list(tmp_path),
        )
    with pytest.raises(ScoreFileError, match=r"tsn_rgb\.npz: holds no video names.*--split-list"):
        import_scores(src, source="tsn", out=tmp_path / "o.npz", stream="rgb", allow_pickle=True)
    assert not (tmp_path / "o.npz").exists()


def test_tsn_plain_numeric_array_needs_no_pickle(tmp_path: Path) -> None:
    x = np.random.default_rng(2).normal(size=(N, S, 2, C))
    src = tmp_path / "plain.npz"
    np.savez(src, scores=x, labels=np.asarray(LABELS))
    raw = read_tsn(src, split_list=write_tsn_list(tmp_path), row_order="list")
    np.testing.assert_allclose(raw.scores, x.mean(axis=2))


def test_tsn_torch_labels_decoded(tmp_path: Path) -> None:
    """tsn-pytorch under torch >= 0.4 stores label[0] as a 0-d tensor in each row."""
    x = logits()
    rows = np.empty((N, 2), dtype=object)
    for i in range(N):
        rows[i, 0], rows[i, 1] = x[i][:, None, :], LABELS[i]
    src = tmp_path / "t.npz"
    np.savez(src, scores=rows, labels=np.asarray(LABELS))
    # Replace the pickled member by one whose labels are torch-like 0-d tensors.
    cells = [
        (x[i][:, None, :], torch_like(np.asarray(LABELS[i], dtype=np.int64))) for i in range(N)
    ]
    obj = Reduce(
        Global("numpy._core.multiarray", "_reconstruct"), (Global("numpy", "ndarray"), (0,), b"b")
    )
    payload = _object_array_pickle(obj, (N,), cells)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|O", "fortran_order": False, "shape": (N,)}
    )
    import zipfile

    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("scores.npy", header.getvalue() + payload)
        buf = io.BytesIO()
        np.save(buf, np.asarray(LABELS))
        zf.writestr("labels.npy", buf.getvalue())
    raw = read_tsn(src, split_list=write_tsn_list(tmp_path), allow_pickle=True, row_order="list")
    assert raw.labels.tolist() == LABELS
    np.testing.assert_array_equal(raw.scores, x)


class _Build:
    """Pickles as obj, then BUILD with state (how numpy arrays are pickled)."""

    def __init__(self, obj: Any, state: Any) -> None:
        self.obj, self.state = obj, state

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.obj.func, self.obj.args, self.state)


def _object_array_pickle(obj: Reduce, shape: tuple[int, ...], cells: list[Any]) -> bytes:
    dtype_o = Reduce(Global("numpy", "dtype"), ("O8", False, True))
    dtype_state = (3, "|", None, None, None, -1, -1, 63)
    dt = _Build(dtype_o, dtype_state)
    return gdumps(_Build(obj, (1, shape, dt, False, cells)), protocol=2)


# --------------------------------------------------------------------------- mmaction2


@pytest.mark.parametrize("rc", [False, True])
def test_mmaction2_1x_round_trip(tmp_path: Path, rc: bool) -> None:
    x = logits()
    src = tmp_path / "results.pkl"
    src.write_bytes(gdumps(mm_samples(x, rc=rc), protocol=2))  # mmengine.dump: protocol 2
    s = import_scores(
        src,
        source="mmaction2",
        out=tmp_path / "mm.npz",
        stream="rgb",
        split_list=write_mm_list(tmp_path),
        allow_pickle=True,
    )
    assert list(s.video_ids) == IDS and s.labels.tolist() == LABELS
    assert s.kind == "prob" and s.n_segments == 1  # average_clips='prob' dump
    np.testing.assert_allclose(s.scores[:, 0], softmax(x.mean(axis=1)), rtol=1e-6)


def test_mmaction2_0x_list_with_annotation_labels(tmp_path: Path) -> None:
    x = logits()
    src = tmp_path / "results.pkl"
    src.write_bytes(pickle.dumps([x[i] for i in range(N)], protocol=2))  # (clips, C) each
    lst = tmp_path / "rawframes.txt"
    lst.write_text("".join(f"{i} 150 {lab}\n" for i, lab in zip(IDS, LABELS, strict=True)))
    raw = read_mmaction2(src, split_list=lst, allow_pickle=True)
    assert raw.labels.tolist() == LABELS and list(raw.video_ids) == IDS
    np.testing.assert_array_equal(raw.scores, x)  # clips kept as segments


def test_mmaction2_label_mismatch_and_missing_list(tmp_path: Path) -> None:
    src = tmp_path / "results.pkl"
    src.write_bytes(gdumps(mm_samples(logits()), protocol=2))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(
        "".join(f"{v} {(lab + 1) % C}\n" for v, lab in zip(VIDEOS, LABELS, strict=True))
    )
    with pytest.raises(ScoreFileError, match="gt_label 0 but video 'v_ApplyEyeMakeup_g01_c01'"):
        read_mmaction2(src, split_list=wrong, allow_pickle=True)
    with pytest.raises(ScoreFileError, match="--split-list"):
        read_mmaction2(src, allow_pickle=True)


@pytest.mark.torch
def test_mmaction2_real_torch_dump(tmp_path: Path) -> None:
    """A dump pickled by torch itself decodes like the hand-built one (torch not imported
    by fusionlab)."""
    torch = pytest.importorskip("torch")
    x = logits()
    samples = []
    for i in range(N):
        t = torch.from_numpy(np.ascontiguousarray(np.repeat(x[i], 2, axis=0)))[::2]  # a view
        samples.append({"pred_score": t.half(), "gt_label": torch.LongTensor([LABELS[i]])})
    src = tmp_path / "results.pkl"
    src.write_bytes(pickle.dumps(samples, protocol=2))
    code = (
        "import sys, fusionlab.importers as m; m.read_mmaction2(sys.argv[1], "
        "split_list=sys.argv[2], allow_pickle=True); print('torch' in sys.modules)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(src), str(write_mm_list(tmp_path))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert res.stdout.strip() == "False"
    raw = read_mmaction2(src, split_list=write_mm_list(tmp_path), allow_pickle=True)
    np.testing.assert_array_equal(raw.scores, x.astype(np.float16))
    assert raw.labels.tolist() == LABELS


# --------------------------------------------------------------------------- two-stream


def twostream_dict(x: np.ndarray) -> dict[str, np.ndarray]:
    """jeffreyyihuang/two-stream-action-recognition keys: 'ApplyEyeMakeup_g01_c01',
    HandStandPushups renamed HandstandPushups; values are summed frame logits."""
    out = {}
    for i, v in enumerate(IDS):
        key = v.split("_", 1)[1]
        if key.startswith("HandStandPushups"):
            key = "HandstandPushups_" + key.split("_", 1)[1]
        out[key] = x[i].sum(axis=0)
    return out


def test_twostream_round_trip(tmp_path: Path) -> None:
    x = logits()
    src = tmp_path / "motion_video_preds.pickle"
    src.write_bytes(pickle.dumps(twostream_dict(x)))
    s = import_scores(
        src,
        source="twostream",
        out=tmp_path / "flow.npz",
        stream="flow",
        split_list=write_testlist(tmp_path),
        class_index=write_class_ind(tmp_path),
        allow_pickle=True,
    )
    assert list(s.video_ids) == IDS and s.labels.tolist() == LABELS
    assert list(s.class_names) == CLASSES  # type: ignore[arg-type]
    np.testing.assert_allclose(s.scores[:, 0], x.sum(axis=1), rtol=1e-6)


def test_twostream_python2_pickle(tmp_path: Path) -> None:
    """Python 2 pickle.dump default (protocol 0, str data, numpy.core names)."""
    x = logits()
    src = tmp_path / "spatial_video_preds.pickle"
    src.write_bytes(py2_dumps(twostream_dict(x)))
    assert b"cnumpy.core.multiarray\n_reconstruct" in src.read_bytes()
    raw = read_twostream(src, class_index=write_class_ind(tmp_path), allow_pickle=True)
    assert raw.labels.tolist() == [0, 1, 1, 2, 3]  # sorted ids, labels from the names
    assert raw.video_ids[0] == "ApplyEyeMakeup_g01_c01"
    np.testing.assert_allclose(raw.scores[0, 0], x[0].sum(axis=0), rtol=1e-6)


# --------------------------------------------------------------------------- CSV


def write_csv(
    tmp: Path,
    x: np.ndarray,
    *,
    header: list[str] | None = None,
    per_segment: bool = True,
    drop: tuple[int, int] | None = None,
) -> Path:
    cols = header or CLASSES
    lines = [
        "video_id,label,segment," + ",".join(cols)
        if per_segment
        else "Video,Label," + ",".join(cols)
    ]
    for i, v in enumerate(VIDEOS):
        for s in range(S if per_segment else 1):
            if drop == (i, s):
                continue
            vals = x[i, s] if per_segment else x[i].mean(axis=0)
            seg = f"{s}," if per_segment else ""
            lines.append(f"{v},{CLASSES[LABELS[i]]},{seg}" + ",".join(repr(float(t)) for t in vals))
    p = tmp / "scores.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_csv_per_segment_with_missing_segment(tmp_path: Path) -> None:
    x = logits().astype(np.float64)
    src = write_csv(tmp_path, x, drop=(2, 1))
    s = import_scores(src, source="csv", out=tmp_path / "c.npz", stream="rgb")
    assert list(s.video_ids) == IDS and s.labels.tolist() == LABELS
    assert list(s.class_names) == CLASSES  # type: ignore[arg-type]
    assert s.segment_mask is not None and s.segment_mask.sum() == N * S - 1
    assert s.segment_mask[2].tolist() == [True, False, True]  # segment 2 stays in slot 2
    np.testing.assert_array_equal(s.scores[2, [0, 2]], x[2, [0, 2]])
    assert (s.scores[2, 1] == 0).all()
    np.testing.assert_array_equal(s.scores[0], x[0])
    assert s.meta["segment_base"] == 0


def _segment_csv(tmp: Path, rows: list[tuple[str, int]], x: np.ndarray) -> Path:
    """One row per (video, segment number), scores x[video index, segment number]."""
    p = tmp / "seg.csv"
    lines = ["video_id,segment," + ",".join(CLASSES)]
    for vid, seg in rows:
        vals = x[IDS.index(vid), seg % S]
        lines.append(f"{vid},{seg}," + ",".join(repr(float(t)) for t in vals))
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize("base", [0, 1])
def test_csv_segment_number_is_the_slot(tmp_path: Path, base: int) -> None:
    """A video with only segments 1 and 2 (of 0, 1, 2) fills slots 1 and 2, not 0 and 1,
    so it lines up with the other videos' segments 1 and 2; 1-based numbers likewise."""
    x = logits().astype(np.float64)
    rows = [(IDS[0], 2 + base), (IDS[1], 0 + base), (IDS[0], 1 + base)]
    rows += [(IDS[1], s + base) for s in (2, 1)]
    raw = read_csv(_segment_csv(tmp_path, rows, x))
    assert list(raw.video_ids) == IDS[:2] and raw.scores.shape == (2, S, C)
    assert raw.segment_mask is not None
    assert raw.segment_mask.tolist() == [[False, True, True], [True, True, True]]
    np.testing.assert_array_equal(raw.scores[0, 1:], x[0, [(1 + base) % S, (2 + base) % S]])
    np.testing.assert_array_equal(raw.scores[0, 0], np.zeros(C))
    np.testing.assert_array_equal(raw.scores[1], x[1, [(s + base) % S for s in range(S)]])
    assert raw.meta == {"segment_base": base}


def test_csv_segment_count_is_the_largest_number_over_the_file(tmp_path: Path) -> None:
    x = logits().astype(np.float64)
    rows = [(IDS[0], 0), (IDS[0], 4), (IDS[1], 0)]  # no video has segments 1, 2 or 3
    raw = read_csv(_segment_csv(tmp_path, rows, x))
    assert raw.scores.shape == (2, 5, C) and raw.segment_mask is not None
    assert raw.segment_mask.tolist() == [[True, False, False, False, True], [True] + [False] * 4]
    s = import_scores(
        _segment_csv(tmp_path, rows, x), source="csv", out=tmp_path / "o.npz", stream="rgb"
    )
    assert s.n_segments == 5 and s.segment_mask is not None


def test_csv_segment_slots_follow_the_split_list_order(tmp_path: Path) -> None:
    x = logits().astype(np.float64)
    rows = [(IDS[i], s) for i in reversed(range(N)) for s in range(S) if (i, s) != (3, 0)]
    raw = read_csv(_segment_csv(tmp_path, rows, x), split_list=write_mm_list(tmp_path))
    assert list(raw.video_ids) == IDS and raw.labels.tolist() == LABELS
    assert raw.segment_mask is not None
    assert np.flatnonzero(~raw.segment_mask.reshape(-1)).tolist() == [3 * S]
    np.testing.assert_array_equal(raw.scores[3, 1:], x[3, 1:])
    np.testing.assert_array_equal(raw.scores[0], x[0])


def test_csv_sparse_segments_are_bounded_by_max_bytes(tmp_path: Path) -> None:
    x = logits().astype(np.float64)
    src = _segment_csv(tmp_path, [(IDS[0], 0), (IDS[0], 100)], x)
    assert read_csv(src).scores.shape == (1, 101, C)
    with pytest.raises(ScoreFileError, match=r"row 3: segment 100 makes 101 segments.*--max-bytes"):
        read_csv(src, max_bytes=101 * C * 8 - 1)


def test_csv_columns_reordered_by_class_index(tmp_path: Path) -> None:
    x = logits().astype(np.float64)
    perm = [2, 0, 3, 1]
    src = write_csv(tmp_path, x[..., perm], header=[CLASSES[j] for j in perm], per_segment=False)
    raw = read_csv(src, class_index=write_class_ind(tmp_path))
    np.testing.assert_allclose(raw.scores[:, 0], x.mean(axis=1))
    assert list(raw.class_names) == CLASSES  # type: ignore[arg-type]


def test_csv_positional_headers_and_split_list(tmp_path: Path) -> None:
    x = logits().astype(np.float64)
    src = tmp_path / "s.csv"
    rows = ["name,score_0,score_1,score_2,score_3"]
    for i in reversed(range(N)):
        rows.append(f"{IDS[i]}," + ",".join(repr(float(t)) for t in x[i, 0]))
    src.write_text("\n".join(rows) + "\n")
    raw = read_csv(src, split_list=write_mm_list(tmp_path))
    assert list(raw.video_ids) == IDS and raw.labels.tolist() == LABELS  # list order, labels
    assert raw.class_names is None
    np.testing.assert_array_equal(raw.scores[:, 0], x[:, 0])


# --------------------------------------------------------------------------- alignment


def test_same_videos_from_three_tools_align(tmp_path: Path) -> None:
    x = logits()
    rgb = import_scores(
        tsn_pytorch_npz(tmp_path, x),
        source="tsn",
        out=tmp_path / "rgb.npz",
        stream="rgb",
        split_list=write_tsn_list(tmp_path),
        allow_pickle=True,
        dataset="ucf101",
        split="1",
        subset="test",
    )
    src = tmp_path / "motion.pickle"
    src.write_bytes(pickle.dumps(twostream_dict(logits(3))))
    flow = import_scores(
        src,
        source="twostream",
        out=tmp_path / "flow.npz",
        stream="flow",
        split_list=write_testlist(tmp_path),
        class_index=write_class_ind(tmp_path),
        allow_pickle=True,
        dataset="ucf101",
        split="1",
        subset="test",
    )
    import_scores(
        write_csv(tmp_path, logits(4)),
        source="csv",
        out=tmp_path / "audio.npz",
        stream="audio",
        dataset="ucf101",
        split="1",
        subset="test",
    )
    assert list(rgb.video_ids) != list(flow.video_ids)  # different row orders...
    (ev,) = scores.group([scores.load(tmp_path / f) for f in ("rgb.npz", "flow.npz", "audio.npz")])
    assert ev.report.n_dropped == 0 and ev.n_videos == N  # ...same videos
    assert ev.streams == ["rgb", "flow", "audio"]
    rows = [list(ev.video_ids).index(v) for v in IDS]
    assert ev.labels[rows].tolist() == LABELS
    np.testing.assert_array_equal(ev.sets[("rgb", None)].scores[rows], x)


# --------------------------------------------------------------------------- names and ids
# A TSN-style test set of 18 videos, 6 per class, some of them HMDB51-style names with "!",
# which some extraction tools spell "_". The split list is in list order ("frames label").

NC = 3
NAMED_CLASSES = ["clap", "brush_hair", "cartwheel"]
NAMED = [
    f"{cls}_{k:02d}_Boom_Snap_Clap!_u_nm_np1_fr_goo_{k}" if k % 2 else f"v_{cls}_g{k:02d}_c01"
    for cls in NAMED_CLASSES
    for k in range(6)
]
NAMED_LABELS = [c for c in range(NC) for _ in range(6)]
NAMED_IDS = [normalize_video_id(v) for v in NAMED]


def named_logits(seed: int = 5) -> np.ndarray:
    out: np.ndarray = (
        np.random.default_rng(seed).normal(size=(len(NAMED), S, NC)).astype(np.float32)
    )
    return out


def within_class_permutation() -> list[int]:
    """Row i of the permuted file holds video perm[i]: 5 of each class's 6 rotated (15 move)."""
    perm = list(range(len(NAMED)))
    for c in range(NC):
        block = perm[6 * c : 6 * c + 5]
        perm[6 * c : 6 * c + 5] = block[1:] + block[:1]
    return perm


def write_named_list(tmp: Path, *, spell: Any = None, name: str = "named_list.txt") -> Path:
    spell = spell or (lambda v: v)
    p = tmp / name
    p.write_text(
        "".join(
            f"/data/frames/{spell(v)} 150 {lab}\n"
            for v, lab in zip(NAMED, NAMED_LABELS, strict=True)
        )
    )
    return p


def named_tsn_npz(
    tmp: Path,
    x: np.ndarray,
    perm: list[int],
    *,
    member: str | None = "names",
    names: Any = None,
    name: str = "named.npz",
) -> Path:
    """Caffe TSN rows (frames, crops, classes) with labels, rows in the order ``perm``; with
    ``member``, the row's video path as well (``names`` overrides the written names)."""
    rows = np.empty((len(perm), 2), dtype=object)
    for r, i in enumerate(perm):
        rows[r, 0], rows[r, 1] = x[i][:, None, :], NAMED_LABELS[i]
    arrays: dict[str, Any] = {
        "scores": rows,
        "labels": np.asarray([NAMED_LABELS[i] for i in perm]),
    }
    if member is not None:
        arrays[member] = (
            np.asarray([f"/data/frames/{NAMED[i]}" for i in perm]) if names is None else names
        )
    p = tmp / name
    np.savez(p, **arrays)
    return p


def scores_by_id(s: scores.ScoreSet | Any) -> dict[str, np.ndarray]:
    return {str(v): s.scores[k] for k, v in enumerate(s.video_ids)}


def test_normalize_video_id_class_folder_and_punctuation_rules() -> None:
    # class folder rule: a last component without letters keeps its folder
    assert normalize_video_id("brush_hair/100") == "brush_hair/100"
    assert normalize_video_id("/data/hmdb51/videos/brush_hair/100.avi") == "brush_hair/100"
    assert normalize_video_id("D:\\hmdb\\cartwheel\\00042.MP4") == "cartwheel/00042"
    assert normalize_video_id("./frames/3-1/") == "frames/3-1"
    assert normalize_video_id("100") == "100" and normalize_video_id("/100.avi") == "100"
    assert normalize_video_id("brush_hair/v100") == "v100"  # a letter: a video name
    # punctuation rule: whitespace and ASCII punctuation but _ - . become "_", one for one
    assert normalize_video_id("clap/Boom!_Clap (1).avi") == "Boom__Clap__1_"
    for ch in "!\"#$%&'()*+,:;<=>?@[]^`{|}~ \t":
        assert normalize_video_id(f"a{ch}b") == "a_b", ch
    assert normalize_video_id("0wR5jVB-WPk_000417.mp4") == "0wR5jVB-WPk_000417"  # - kept
    assert normalize_video_id("brush_hair (2)/7") == "brush_hair__2_/7"
    assert normalize_video_id("Café!") == "Café_"  # non-ASCII letters are kept


@pytest.mark.parametrize("member", ["names", "video_names", "video_ids", "ids"])
@pytest.mark.parametrize("storage", ["str", "bytes", "object"])
def test_tsn_names_member_matches_permuted_rows_by_name(
    tmp_path: Path, member: str, storage: str
) -> None:
    """15 rows permuted within their classes pass a by-position label check; the names fix
    them. Each named video must get the scores the unpermuted file gives it."""
    assert TSN_NAME_MEMBERS == ("names", "video_names", "video_ids", "ids")  # as documented
    x = named_logits()
    lst = write_named_list(tmp_path)
    perm = within_class_permutation()
    assert sum(p != i for i, p in enumerate(perm)) == 15
    kw: dict[str, Any] = {"stream": "rgb", "allow_pickle": True}
    ref = import_scores(
        named_tsn_npz(tmp_path, x, list(range(len(NAMED))), member=None, name="ref.npz"),
        source="tsn",
        out=tmp_path / "ref_out.npz",
        split_list=lst,
        row_order="list",
        **kw,
    )
    paths = [f"/data/frames/{NAMED[i]}" for i in perm]
    written: Any = {
        "str": np.asarray(paths),
        "bytes": np.asarray([p.encode() for p in paths]),
        "object": np.asarray(paths, dtype=object),
    }[storage]
    src = named_tsn_npz(tmp_path, x, perm, member=member, names=written)
    got = import_scores(src, source="tsn", out=tmp_path / "o.npz", split_list=lst, **kw)
    assert list(got.video_ids) == NAMED_IDS  # split-list order
    assert got.labels.tolist() == NAMED_LABELS
    want = scores_by_id(ref)
    for vid, sc in scores_by_id(got).items():
        np.testing.assert_array_equal(sc, want[vid], err_msg=vid)
    assert got.meta["row_match"] == "name" and got.meta["names_member"] == member
    assert "row_order" not in got.meta
    # without a split list the names alone give the same ids, scores and labels
    alone = read_tsn(src, allow_pickle=True)
    assert sorted(alone.video_ids) == sorted(NAMED_IDS)
    for k, vid in enumerate(alone.video_ids):
        np.testing.assert_array_equal(alone.scores[k], want[str(vid)])
    assert alone.labels.tolist() == [NAMED_LABELS[i] for i in perm]


def test_tsn_permuted_rows_without_names_go_wrong_by_position(tmp_path: Path) -> None:
    """What the names prevent: the same permuted rows without names pass the label check
    and 15 videos get another video's scores (position is all there is)."""
    x = named_logits()
    lst = write_named_list(tmp_path)
    src = named_tsn_npz(tmp_path, x, within_class_permutation(), member=None)
    raw = read_tsn(src, split_list=lst, allow_pickle=True, row_order="list")
    wrong = [k for k in range(len(NAMED)) if not np.array_equal(raw.scores[k], x[k])]
    assert len(wrong) == 15
    assert raw.meta is not None and raw.meta["row_match"] == "position"


def test_tsn_names_spelled_with_bang_align_with_underscore_spelling(tmp_path: Path) -> None:
    """The TSN file spells 9 names with "!", the split list and a CSV of the same videos
    with "_": one id each, so they match by name and the two streams align."""
    x = named_logits()
    underscore = write_named_list(tmp_path, spell=lambda v: v.replace("!", "_"))
    assert "!" not in underscore.read_text() and sum("!" in v for v in NAMED) == 9
    perm = within_class_permutation()
    rgb = import_scores(
        named_tsn_npz(tmp_path, x, perm),
        source="tsn",
        out=tmp_path / "rgb.npz",
        stream="rgb",
        split_list=underscore,
        allow_pickle=True,
        dataset="hmdb51",
    )
    assert list(rgb.video_ids) == [v.replace("!", "_") for v in NAMED]
    csv_path = tmp_path / "flow.csv"
    flow_x = named_logits(6)[:, 0]
    csv_path.write_text(
        "video,label,"
        + ",".join(NAMED_CLASSES)
        + "\n"
        + "".join(
            f"{NAMED_CLASSES[lab]}/{v.replace('!', '_')}.avi,{lab},"
            + ",".join(repr(float(t)) for t in flow_x[i])
            + "\n"
            for i, (v, lab) in enumerate(zip(NAMED, NAMED_LABELS, strict=True))
        )
    )
    import_scores(
        csv_path, source="csv", out=tmp_path / "flow.npz", stream="flow", dataset="hmdb51"
    )
    (ev,) = scores.group([scores.load(tmp_path / f) for f in ("rgb.npz", "flow.npz")])
    assert ev.report.n_dropped == 0 and ev.n_videos == len(NAMED)
    rows = [list(ev.video_ids).index(v) for v in NAMED_IDS]
    np.testing.assert_array_equal(ev.sets[("rgb", None)].scores[rows], x)
    np.testing.assert_array_equal(ev.sets[("flow", None)].scores[rows, 0], flow_x)
    assert ev.labels[rows].tolist() == NAMED_LABELS


def _run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m fusionlab ARGS`` with this checkout's package first on the path."""
    import fusionlab

    env = dict(os.environ)
    root = str(Path(fusionlab.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "fusionlab", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def _tsn_cli(src: Path, out: Path, *extra: str | Path) -> list[str | Path]:
    return ["import", "--from", "tsn", src, "-o", out, "--stream", "rgb", "--allow-pickle", *extra]


def _one_error_line(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fusionlab: error: "), res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    return lines[0]


@pytest.mark.parametrize(
    ("case", "words"),
    [
        (
            "label",  # one video of the list has another label than the file gives it
            (
                "video 'v_brush_hair_g02_c01' has label 1 in this file but label 2 in the "
                "split list",
                "(line 9)",
            ),
        ),
        (
            "extra",  # the file has a video the list lacks, and lacks one of the list's
            (
                "matched by name",
                "1 of its 18 videos is not in the split list (first: "
                "'/data/frames/v_clap_g09_c01')",
                "1 of the 18 videos of the split list is missing from it (first: "
                "'v_clap_g02_c01' (line 3))",
            ),
        ),
        (
            "missing",  # the list has two videos more than the file
            (
                "0 of its 18 videos are not in the split list",
                "2 of the 20 videos of the split list are missing from it (first: "
                "'v_more_g01_c01' (line 19), 'more_g02' (line 20))",
            ),
        ),
    ],
)
def test_cli_tsn_names_disagreeing_with_the_split_list(
    tmp_path: Path, case: str, words: tuple[str, ...]
) -> None:
    x = named_logits()
    perm = within_class_permutation()
    names = [f"/data/frames/{NAMED[i]}" for i in perm]
    lines = [f"/data/frames/{v} 150 {lab}" for v, lab in zip(NAMED, NAMED_LABELS, strict=True)]
    if case == "label":
        lines[8] = lines[8].rsplit(" ", 1)[0] + " 2"  # v_brush_hair_g02_c01 is class 1
    elif case == "extra":
        names[names.index("/data/frames/v_clap_g02_c01")] = "/data/frames/v_clap_g09_c01"
    else:
        lines += ["/data/frames/v_more_g01_c01 150 0", "more_g02 150 1"]
    lst = tmp_path / "list.txt"
    lst.write_text("\n".join(lines) + "\n")
    src = named_tsn_npz(tmp_path, x, perm, names=np.asarray(names))
    before = sorted(os.listdir(tmp_path))
    res = _run_cli(*_tsn_cli(src, tmp_path / "out.npz", "--split-list", lst), cwd=tmp_path)
    line = _one_error_line(res)
    assert f"fusionlab: error: {src}: " in line
    for w in words:
        assert w in line, line
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_cli_tsn_without_names_says_position_on_its_summary_line(tmp_path: Path) -> None:
    x = named_logits()
    lst = write_named_list(tmp_path)
    in_order = list(range(len(NAMED)))
    plain = named_tsn_npz(tmp_path, x, in_order, member=None, name="plain.npz")
    res = _run_cli(
        *_tsn_cli(plain, tmp_path / "a.npz", "--split-list", lst, "--row-order", "list"),
        cwd=tmp_path,
    )
    assert res.returncode == 0 and res.stderr == "", res.stderr
    (line,) = res.stdout.splitlines()
    assert line.startswith(f"wrote {tmp_path / 'a.npz'}: 18 videos, 3 segments, 3 classes")
    assert line.endswith(
        "; rows matched to the split list by position (list order): the file holds no video names"
    )
    named = named_tsn_npz(tmp_path, x, within_class_permutation(), name="named.npz")
    res = _run_cli(*_tsn_cli(named, tmp_path / "b.npz", "--split-list", lst), cwd=tmp_path)
    assert res.returncode == 0 and "position" not in res.stdout, res.stdout
    a, b = scores.load(tmp_path / "a.npz"), scores.load(tmp_path / "b.npz")
    assert a.meta["row_match"] == "position" and b.meta["row_match"] == "name"
    np.testing.assert_array_equal(a.scores, b.scores)  # both in list order, same videos


def test_cli_tsn_two_names_of_one_id(tmp_path: Path) -> None:
    x = named_logits()
    perm = list(range(len(NAMED)))
    names = [f"/data/frames/{v}" for v in NAMED]
    names[7] = names[1].replace("!", "_")  # "...Clap!_u..." and "...Clap__u...": one id
    src = named_tsn_npz(tmp_path, x, perm, names=np.asarray(names))
    before = sorted(os.listdir(tmp_path))
    res = _run_cli(*_tsn_cli(src, tmp_path / "out.npz"), cwd=tmp_path)
    line = _one_error_line(res)
    assert (
        f"{src}: 'names'[1] '/data/frames/clap_01_Boom_Snap_Clap!_u_nm_np1_fr_goo_1' and " in line
    )
    assert "'names'[7] '/data/frames/clap_01_Boom_Snap_Clap__u_nm_np1_fr_goo_1'" in line
    assert "are both video id 'clap_01_Boom_Snap_Clap__u_nm_np1_fr_goo_1'" in line
    assert sorted(os.listdir(tmp_path)) == before


def test_hmdb_numbered_videos_keep_their_class_folder_and_align(tmp_path: Path) -> None:
    """HMDB-style 'class/100.avi' videos: ids 'class/100' (not '100', which three classes
    share); a TSN file matched through the split list, a CSV of paths and a two-stream
    pickle of 'class/100' keys all give the same ids."""
    classes = ["brush_hair", "cartwheel", "clap"]
    videos = [f"{c}/{n}.avi" for c in classes for n in (100, 101)]
    labels = [k // 2 for k in range(6)]
    ids = [f"{c}/{n}" for c in classes for n in (100, 101)]
    lst = tmp_path / "hmdb_test.txt"
    lst.write_text("".join(f"{v} {lab}\n" for v, lab in zip(videos, labels, strict=True)))
    assert [e.video_id for e in read_split_list(lst)] == ids
    x = np.random.default_rng(9).normal(size=(6, S, 3)).astype(np.float32)
    tsn = tmp_path / "tsn.npz"
    np.savez(tsn, scores=x, labels=np.asarray(labels))
    common: dict[str, Any] = {"dataset": "hmdb51", "split": "1", "subset": "test"}
    rgb = import_scores(
        tsn,
        source="tsn",
        out=tmp_path / "rgb.npz",
        stream="rgb",
        split_list=lst,
        row_order="list",
        **common,
    )
    assert list(rgb.video_ids) == ids
    csv_path = tmp_path / "flow.csv"
    csv_path.write_text(
        "path,label,a,b,c\n"
        + "".join(
            f"/data/hmdb51/videos/{v},{labels[k]},"
            + ",".join(repr(float(t)) for t in x[k, 0])
            + "\n"
            for k, v in reversed(list(enumerate(videos)))
        )
    )
    import_scores(csv_path, source="csv", out=tmp_path / "flow.npz", stream="flow", **common)
    pkl = tmp_path / "audio.pickle"
    pkl.write_bytes(pickle.dumps({ids[k]: x[k, 1] for k in range(6)}))
    import_scores(
        pkl,
        source="twostream",
        out=tmp_path / "audio.npz",
        stream="audio",
        allow_pickle=True,
        **common,
    )
    sets = [scores.load(tmp_path / f) for f in ("rgb.npz", "flow.npz", "audio.npz")]
    assert all(sorted(s.video_ids) == sorted(ids) for s in sets)
    (ev,) = scores.group(sets)
    assert ev.report.n_dropped == 0 and ev.n_videos == 6
    rows = [list(ev.video_ids).index(v) for v in ids]
    np.testing.assert_array_equal(ev.sets[("rgb", None)].scores[rows], x)
    np.testing.assert_array_equal(ev.sets[("flow", None)].scores[rows, 0], x[:, 0])
    np.testing.assert_array_equal(ev.sets[("audio", None)].scores[rows, 0], x[:, 1])
    assert ev.labels[rows].tolist() == labels


def test_split_list_folder_matching_is_one_sided(tmp_path: Path) -> None:
    """'frames/12345' finds the list's '12345' (and the reverse), but 'a/100' never finds
    'b/100': two folders are two videos."""
    lst = tmp_path / "sth.txt"
    lst.write_text("12345 40 0\n12346 40 1\n")
    src = tmp_path / "s.csv"
    src.write_text("video_id,a,b\n/data/sth/frames/12346,0.2,0.8\n/data/sth/frames/12345,0.9,0.1\n")
    raw = read_csv(src, split_list=lst)
    assert list(raw.video_ids) == ["12345", "12346"] and raw.labels.tolist() == [0, 1]
    np.testing.assert_array_equal(raw.scores[:, 0, 0], [0.9, 0.2])
    lst.write_text("frames/12345 40 0\nframes/12346 40 1\n")
    src.write_text("video_id,a,b\n12346,0.2,0.8\n12345,0.9,0.1\n")
    assert list(read_csv(src, split_list=lst).video_ids) == ["frames/12345", "frames/12346"]
    lst.write_text("b/100 40 0\na/101 40 1\n")
    src.write_text("video_id,a,b\na/100,0.2,0.8\na/101,0.9,0.1\n")
    with pytest.raises(
        ScoreFileError, match=r"1 of its 2 videos is not in the split list \(first: 'a/100'\)"
    ):
        read_csv(src, split_list=lst)


def test_split_list_two_spellings_of_one_video(tmp_path: Path) -> None:
    lst = tmp_path / "l.txt"
    lst.write_text("clap/Boom!Clap.avi 0\nclap/Boom_Clap.avi 0\n")
    with pytest.raises(
        ScoreFileError,
        match=r"video id 'Boom_Clap' appears twice \(lines 1 and 2\) \(spelled "
        r"'clap/Boom!Clap\.avi' and 'clap/Boom_Clap\.avi'",
    ):
        read_split_list(lst)


def test_mmaction2_dump_names_are_matched_by_name(tmp_path: Path) -> None:
    """A dump whose samples name their videos is matched to the annotation file by name:
    rows permuted within a class (same gt_label) still get their own scores."""
    x = logits()
    samples = mm_samples(x)
    for i, d in enumerate(samples):
        d["filename"] = f"/data/ucf101/videos/{VIDEOS[i]}"
    order = [0, 4, 2, 3, 1]  # the two Archery videos swapped
    src = tmp_path / "results.pkl"
    src.write_bytes(gdumps([samples[i] for i in order], protocol=2))
    raw = read_mmaction2(src, split_list=write_mm_list(tmp_path), allow_pickle=True)
    assert list(raw.video_ids) == IDS and raw.labels.tolist() == LABELS
    np.testing.assert_allclose(raw.scores[:, 0], softmax(x.mean(axis=1)), rtol=1e-6)
    assert raw.meta == {"row_match": "name"}
    unnamed = [{k: v for k, v in samples[i].items() if k != "filename"} for i in order]
    src.write_bytes(gdumps(unnamed, protocol=2))
    by_pos = read_mmaction2(src, split_list=write_mm_list(tmp_path), allow_pickle=True)
    assert by_pos.meta == {"row_match": "position", "row_order": "list"}
    assert not np.allclose(by_pos.scores[1, 0], softmax(x[1].mean(axis=0)))  # swapped
    samples[2].pop("filename")
    src.write_bytes(gdumps(samples, protocol=2))
    with pytest.raises(ScoreFileError, match="only 4 of 5 samples name their video"):
        read_mmaction2(src, split_list=write_mm_list(tmp_path), allow_pickle=True)


# --------------------------------------------------------------------------- numbers


def test_only_ascii_digits_are_numbers(tmp_path: Path) -> None:
    ci = tmp_path / "c.txt"
    ci.write_text("\u00b2 cat\n3 dog\n")
    with pytest.raises(ScoreFileError, match=r"line 1: class number '\u00b2' is not a plain"):
        read_class_index(ci)
    ci.write_text("\u0661 cat\n\u0662 dog\n")  # Arabic-Indic digits: int() would take them
    with pytest.raises(ScoreFileError, match="ASCII digits"):
        read_class_index(ci)
    ci.write_text("2 Cats\n3 Dogs\nbirds\n")  # not all numbered: a label map, names kept
    assert read_class_index(ci) == ["2 Cats", "3 Dogs", "birds"]
    src = tmp_path / "s.csv"
    src.write_text("video_id,label,a,b\nv1,\u0661,0.5,0.5\n")
    with pytest.raises(ScoreFileError, match="neither an integer nor a known class name"):
        read_csv(src)
    src.write_text("video_id,score_\u0660,score_\u0661\nv1,0.5,0.5\n")  # names, not numbers
    assert list(read_csv(src).class_names) == ["score_\u0660", "score_\u0661"]  # type: ignore[arg-type]


def test_huge_numbers_are_clean_errors(tmp_path: Path) -> None:
    big = "9" * 5000  # int() refuses more than 4300 digits with a ValueError
    ci = tmp_path / "c.txt"
    ci.write_text(f"1 a\n{big} b\n")
    with pytest.raises(ScoreFileError, match="class numbers must run from 0 or 1"):
        read_class_index(ci)
    src = tmp_path / "s.csv"
    src.write_text(f"video_id,label,a,b\nv1,{big},0.5,0.5\n")
    with pytest.raises(ScoreFileError, match=r"row 2: label 9{20}\.\.\.\(5000 digits\) is out"):
        read_csv(src)
    src.write_text(f"video_id,segment,a,b\nv1,0,0.5,0.5\nv1,{big},0.5,0.5\n")
    with pytest.raises(ScoreFileError, match=r"row 3: segment 9+\.\.\..*over the limit"):
        read_csv(src)
    src.write_text(f"video_id,score_0,score_{big}\nv1,0.5,0.5\n")
    with pytest.raises(ScoreFileError, match="score columns are numbered"):
        read_csv(src)
    lst = tmp_path / "l.txt"
    lst.write_text("a.avi 99999999999999999999\n")  # beyond int64, no class index to bound it
    with pytest.raises(ScoreFileError, match=r"line 1: label 9+ is out of range"):
        read_split_list(lst)


def test_pickled_numbers_beyond_int64_and_float64(tmp_path: Path) -> None:
    src = tmp_path / "p.pkl"
    src.write_bytes(pickle.dumps({"a_g01_c01": [10**400, 1], "b_g01_c01": [0.5, 0.5]}))
    with pytest.raises(ScoreFileError, match="'a_g01_c01' holds an integer too large"):
        read_twostream(src, allow_pickle=True)
    src.write_bytes(pickle.dumps({10**5000: [0.5, 0.5]}, protocol=2))
    with pytest.raises(ScoreFileError, match="key <int> is not a video name"):
        read_twostream(src, allow_pickle=True)
    f128 = np.full(2, np.finfo(np.longdouble).max, dtype=np.longdouble)
    src.write_bytes(pickle.dumps({"a_g01_c01": f128, "b_g01_c01": np.ones(2) / 2}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning (a second line on stderr)
        raw = read_twostream(src, allow_pickle=True)
    assert raw.scores.dtype == np.float64
    for label in (np.array([2**64 - 1], np.uint64), 2**63, 10**5000, 1e300):
        src.write_bytes(pickle.dumps([{"pred_score": np.ones(C) / C, "gt_label": label}]))
        with pytest.raises(ScoreFileError, match="'gt_label' of sample 0 is an integer out of"):
            read_mmaction2(src, allow_pickle=True, split_list=write_mm_list(tmp_path))
    src.write_bytes(pickle.dumps([{10**5000: 1, "x": 2}], protocol=2))
    with pytest.raises(ScoreFileError, match=r"no 'pred_score' \(keys: <int>, x\)"):
        read_mmaction2(src, allow_pickle=True)


def test_tsn_uint64_labels_do_not_wrap_to_unknown(tmp_path: Path) -> None:
    src = tmp_path / "tsn.npz"
    labels = np.asarray(LABELS, dtype=np.uint64)
    labels[4] = 2**64 - 1  # astype(int64) would make this -1, i.e. "unknown"
    np.savez(src, scores=logits(), labels=labels)
    with pytest.raises(ScoreFileError, match=r"'labels'\[4\] is 18446744073709551615, out"):
        read_tsn(src, split_list=write_tsn_list(tmp_path))


def test_unpickler_torch_storage_over_limit() -> None:
    arr = np.arange(4, dtype=np.float32)
    with pytest.raises(PickleDataError, match="of 4611686018427387904 elements is over the size"):
        _load(gdumps(torch_like(arr, declared=1 << 62)))


# --------------------------------------------------------------------------- paths


def test_output_path_checks(tmp_path: Path) -> None:
    src = write_csv(tmp_path, logits())
    kw: dict[str, Any] = {"source": "csv", "stream": "rgb"}
    with pytest.raises(UsageError, match="standard output"):
        import_scores(src, out="-", **kw)
    with pytest.raises(UsageError, match=r"x\.npz: cannot write, .*scores\.csv is not a directory"):
        import_scores(src, out=src / "x.npz", **kw)
    with pytest.raises(UsageError, match=r"scores\.csv is not a directory"):
        import_scores(src, out=src / "a" / "b" / "x.npz", **kw)
    with pytest.raises(UsageError, match="NUL byte"):
        import_scores(src, out=str(tmp_path / "a\0b.npz"), **kw)
    with pytest.raises(ScoreFileError, match="NUL byte"):
        import_scores(str(src) + "\0", out=tmp_path / "o.npz", **kw)
    if hasattr(os, "mkfifo"):  # the atomic rename would replace it (as it would /dev/null)
        os.mkfifo(tmp_path / "fifo")
        with pytest.raises(UsageError, match="fifo: exists and is not a regular file"):
            import_scores(src, out=tmp_path / "fifo", **kw)
        assert not (tmp_path / "fifo").is_file()
    assert not (tmp_path / "-").exists() and sorted(os.listdir(tmp_path)) == sorted(
        ["scores.csv"] + (["fifo"] if hasattr(os, "mkfifo") else [])
    )
    s = import_scores(src, out=tmp_path / "new" / "dir" / "o.npz", **kw)  # parents made
    assert s.n_videos == N


def test_huge_max_bytes_reads_normally(tmp_path: Path) -> None:
    src = write_csv(tmp_path, logits())
    raw = read_csv(src, max_bytes=10**30)  # read(max_bytes + 1) would raise OverflowError
    assert raw.scores.shape == (N, S, C)


# --------------------------------------------------------------------------- command line


def test_cli_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path, logits())
    out = tmp_path / "o.npz"
    rc = cli.main(
        [
            "import",
            "--from",
            "csv",
            str(src),
            "-o",
            str(out),
            "--stream",
            "rgb",
            "--dataset",
            "ucf101",
            "--split",
            "1",
            "--subset",
            "test",
            "--kind",
            "logit",
        ]
    )
    assert rc == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}: 5 videos, 3 segments, 4 classes")
    assert scores.load(out).meta["created_by"] == "fusionlab import --from csv"


def test_python_m_importers_help() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "fusionlab.importers", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0 and "--allow-pickle" in res.stdout and "--from" in res.stdout


def test_cli_explicit_wrong_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path, logits())
    rc = cli.main(
        [
            "import",
            "--from",
            "csv",
            str(src),
            "-o",
            str(tmp_path / "o.npz"),
            "--stream",
            "rgb",
            "--kind",
            "prob",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and str(src) in err and "--kind" in err
    assert not (tmp_path / "o.npz").exists()


# --------------------------------------------------------------------------- restricted unpickler


def _load(data: bytes) -> Any:
    return restricted_load(io.BytesIO(data), max_bytes=1 << 20)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_unpickler_admits_numpy_and_containers(protocol: int) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    obj_arr = np.empty(2, dtype=object)
    obj_arr[0], obj_arr[1] = a, (1, "x")
    obj = {
        "a": a,
        "s": {1, 2},
        "f": frozenset("ab"),
        "b": b"\x00\xff",
        "ba": bytearray(b"q"),
        "c": 1 + 2j,
        "n": [np.float32(1.5), np.int64(3)],
        "o": obj_arr,
        "od": collections.OrderedDict(k=1),
        "t": a.T,
    }
    got = _load(pickle.dumps(obj, protocol=protocol))
    np.testing.assert_array_equal(got["a"], a)
    np.testing.assert_array_equal(got["t"], a.T)
    assert got["s"] == {1, 2} and got["b"] == b"\x00\xff" and got["c"] == 1 + 2j
    assert got["o"][1] == (1, "x") and got["od"] == {"k": 1}


class _System:
    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.sentinel}",))


def test_unpickler_refuses_code(tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    with pytest.raises(RefusedPickle, match=r"refused to unpickle 'posix\.system'"):
        _load(pickle.dumps({"v": _System(sentinel)}))
    for module, name in [
        ("os", "system"),
        ("builtins", "eval"),
        ("subprocess", "Popen"),
        ("numpy", "load"),
        ("torch", "load"),
        ("copyreg", "_reconstructor"),
        ("builtins", "getattr"),
        ("numpy.testing", "assert_"),
    ]:
        with pytest.raises(RefusedPickle, match=re.escape(f"'{module}.{name}'")):
            _load(gdumps(Reduce(Global(module, name), (f"touch {sentinel}",))))
    assert not sentinel.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b"cnumpy\ndtype\n}(Vx\nI1\nub.",  # BUILD on an admitted function (would persist)
        b"cnumpy\ndtype\n(N}(V_fn\nI1\nutb.",  # slot-state BUILD
        b"cbuiltins\nbytearray\n(L1000000000000\ntR.",  # a huge allocation
        b"cnumpy._core.multiarray\n_reconstruct\n(cbuiltins\ndict\n(I0\ntVb\ntR.",
        b"cnumpy\nndarray\n(I10\ntR.",  # ndarray is not callable: no uninitialised arrays
        b"c_codecs\nencode\n(Vx\nVrot13\ntR.",
    ],
)
def test_unpickler_rejects_misuse_of_admitted_globals(payload: bytes) -> None:
    with pytest.raises((PickleDataError, TypeError, pickle.UnpicklingError)):
        _load(payload)


# An object array whose dtype state says "holds no references" gets raw bytes as its
# elements: numpy then reads 12345678 as a PyObject pointer and the process crashes.
_ARR = b"cnumpy._core.multiarray\n_reconstruct\n(cnumpy\nndarray\n(I0\ntC\x01btR"
_DTYPE_O = b"cnumpy\ndtype\n(VO8\nI00\nI01\ntR"
_STATE_OK = b"(I3\nV|\nNNNI-1\nI-1\nI63\nt"
_STATE_NOREFS = b"(I3\nV|\nNNNI-1\nI-1\nI0\nt"
POINTER_PAYLOAD = (
    _ARR
    + b"(I1\n(I1\nt"
    + _DTYPE_O
    + _STATE_NOREFS
    + b"bI00\nC\x08"
    + (12345678).to_bytes(8, "little")
    + b"tb."
)


def test_unpickler_distrusts_dtype_state() -> None:
    """Run in a child: if the guard failed, the child (not pytest) would crash."""
    code = (
        "import io, sys\n"
        "from fusionlab.importers import restricted_load, PickleDataError\n"
        "try:\n"
        "    a = restricted_load(io.BytesIO(sys.stdin.buffer.read()), max_bytes=1 << 20)\n"
        "    print(repr(a[0]))\n"
        "except PickleDataError as e:\n"
        "    print('refused:', e)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], input=POINTER_PAYLOAD, capture_output=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert b"refused: dtype '|O' with an inconsistent pickled state" in res.stdout


def test_unpickler_arrays_do_not_share_dtype_or_rebuild() -> None:
    # The dtype object is BUILT with a bad state after the array was made from it:
    # the array holds its own canonical dtype, so it is unaffected.
    payload = (
        _DTYPE_O
        + b"p0\n"
        + _STATE_OK
        + b"b"
        + _ARR
        + b"p1\n(I1\n(I1\ntg0\nI00\n(lp2\nI7\natb"
        + b"g0\n"
        + _STATE_NOREFS
        + b"b0g1\n."
    )
    arr = _load(payload)
    assert arr.tolist() == [7] and arr.dtype.hasobject and arr.dtype.flags == 63
    again = (
        _ARR
        + b"p1\n(I1\n(I1\ntVf8\nI00\nC\x08"
        + bytes(8)
        + b"tbg1\n(I1\n(I1\ntVf8\nI00\nC\x08"
        + bytes(8)
        + b"tb."
    )
    with pytest.raises(PickleDataError, match="BUILD of an array twice"):
        _load(again)
    structured = _ARR + b"(I1\n(I1\ntV<f4,<i4\nI00\nC\x08" + bytes(8) + b"tb."
    with pytest.raises(PickleDataError, match="structured"):
        _load(structured)


def test_unpickler_checks_declared_lengths_first() -> None:
    # A BYTEARRAY8 claiming 8 EiB after a GLOBAL: refused before anything is allocated.
    payload = b"\x80\x02cnumpy\ndtype\n\x96" + (1 << 62).to_bytes(8, "little") + b"xx."
    with pytest.raises(PickleDataError, match="BYTEARRAY8 at byte 15 declares"):
        _load(payload)


def test_importing_importers_is_light() -> None:
    code = "import sys, fusionlab.importers; print(sorted({'pandas', 'torch'} & set(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "[]", res.stderr


def test_unpickler_torch_bounds_checked() -> None:
    arr = np.arange(4, dtype=np.float32)
    assert _load(gdumps(torch_like(arr, size=(2, 2), stride=(1, 2)))).tolist() == [[0, 2], [1, 3]]
    with pytest.raises(PickleDataError, match="past the end"):
        _load(gdumps(torch_like(arr, offset=1, size=(4,), stride=(1,))))
    with pytest.raises(PickleDataError, match="past the end"):
        _load(gdumps(torch_like(arr, size=(2,), stride=(10**12,))))


# --------------------------------------------------------------------------- test-time views
# T clips x K crops per video; the tools' crop order is left/top, centre, right/bottom.

T, K = 2, 3
CENTRE_FIRST = [1, 0, 2]


def view_logits(seed: int = 11) -> np.ndarray:
    """(N, T, K, C) logits indexed by the tool's clip and crop numbers."""
    out: np.ndarray = np.random.default_rng(seed).normal(size=(N, T, K, C)).astype(np.float32)
    return out


def in_file_order(x: np.ndarray) -> np.ndarray:
    """(N, T, K, C) in the tool's crop order -> (N, T*K, C) clip-major, centre first."""
    return x[:, :, CENTRE_FIRST].reshape(len(x), T * K, x.shape[-1])


def hand_top1(p: np.ndarray, labels: list[int]) -> float:
    """Top-1 of the video-level mean of (N, V, C) probabilities, counted by hand."""
    hits = 0
    for i, lab in enumerate(labels):
        mean = [sum(float(p[i, v, c]) for v in range(p.shape[1])) / p.shape[1] for c in range(C)]
        hits += int(max(range(C), key=lambda c: mean[c]) == lab)
    return hits / len(labels)


def evaluate_top1(tmp: Path, files: list[Path], *extra: str) -> list[dict[str, Any]]:
    out = tmp / "eval.json"
    rc = cli.main(["evaluate", *map(str, files), *extra, "--format", "json", "-o", str(out)])
    assert rc == 0
    doc = __import__("json").loads(out.read_text())
    rows: list[dict[str, Any]] = doc["accuracy"]
    return rows


def test_slowfast_video_level_dump(tmp_path: Path) -> None:
    p = softmax(view_logits())  # per-clip softmax of PySlowFast's head
    video_preds = p.reshape(N, T * K, C).sum(axis=1)  # TestMeter, ENSEMBLE_METHOD sum
    src = tmp_path / "preds.pkl"
    src.write_bytes(
        gdumps([torch_like(video_preds), torch_like(np.asarray(LABELS, dtype=np.int64))])
    )
    s = import_scores(
        src,
        source="slowfast",
        out=tmp_path / "sf.npz",
        stream="rgb",
        split_list=write_mm_list(tmp_path),  # test.csv: 'path label'
        allow_pickle=True,
    )
    assert list(s.video_ids) == IDS and s.labels.tolist() == LABELS
    assert s.kind == "prob" and s.n_segments == 1 and s.meta["views_averaged"] == T * K
    np.testing.assert_allclose(s.scores[:, 0], p.reshape(N, T * K, C).mean(axis=1), rtol=1e-5)
    top1 = float(np.mean(s.scores[:, 0].argmax(axis=1) == s.labels))
    assert top1 == hand_top1(p.reshape(N, T * K, C), LABELS)


def test_slowfast_per_view_dump_is_clip_major_centre_first(tmp_path: Path) -> None:
    p = softmax(view_logits())
    # the test loader's clip i: video i // (T*K), clip (i % (T*K)) // K, crop i % K
    rows = np.stack([p[i // (T * K), (i % (T * K)) // K, i % K] for i in range(N * T * K)])
    clip_labels = np.repeat(LABELS, T * K)
    src = tmp_path / "preds.pkl"
    src.write_bytes(pickle.dumps([rows, clip_labels]))
    listing = write_mm_list(tmp_path)
    s = import_scores(
        src,
        source="slowfast",
        out=tmp_path / "sf.npz",
        stream="rgb",
        split_list=listing,
        allow_pickle=True,
        views=f"{T}x{K}",
    )
    assert s.views == (T, K) and s.n_segments == T * K and s.labels.tolist() == LABELS
    np.testing.assert_array_equal(s.scores, in_file_order(p))
    np.testing.assert_array_equal(s.scores[:, 0], p[:, 0, 1])  # clip 0, centre crop
    rgb = evaluate_top1(tmp_path, [tmp_path / "sf.npz"], "--consensus", "mean")
    (row,) = [r for r in rgb if r["domain"] == "prob" and r["consensus"] == "mean"]
    assert row["top1"] == hand_top1(p.reshape(N, T * K, C), LABELS)
    with pytest.raises(ScoreFileError, match=r"30 rows for the 5 videos.*--views"):
        read_slowfast(src, split_list=listing, allow_pickle=True)
    with pytest.raises(ScoreFileError, match=r"--views 3x3 is 9 views"):
        read_slowfast(src, split_list=listing, allow_pickle=True, views="3x3")


def test_slowfast_label_checked_against_test_csv(tmp_path: Path) -> None:
    src = tmp_path / "preds.pkl"
    wrong = [LABELS[1], LABELS[0], *LABELS[2:]]
    src.write_bytes(pickle.dumps([softmax(logits()[:, 0]), np.asarray(wrong)]))
    with pytest.raises(ScoreFileError, match=r"video 0 has label 1 but .* has label 0"):
        read_slowfast(src, split_list=write_mm_list(tmp_path), allow_pickle=True)


@pytest.mark.parametrize("flattened", [False, True])
def test_mmaction2_average_clips_none_keeps_views(tmp_path: Path, flattened: bool) -> None:
    x = view_logits()
    crop_major = x.transpose(0, 2, 1, 3).reshape(N, K * T, C)  # FormatShape: crops x clips
    samples = []
    for i in range(N):
        score = crop_major[i].reshape(-1) if flattened else crop_major[i]
        samples.append(
            {
                "pred_score": torch_like(np.ascontiguousarray(score)),
                "gt_label": torch_like(np.asarray([LABELS[i]], dtype=np.int64)),
            }
        )
    src = tmp_path / "result.pkl"
    src.write_bytes(gdumps(samples))
    s = import_scores(
        src,
        source="mmaction2",
        out=tmp_path / "mm.npz",
        stream="rgb",
        split_list=write_mm_list(tmp_path),
        allow_pickle=True,
        views=(T, K),
    )
    assert s.views == (T, K) and s.kind == "logit"
    np.testing.assert_array_equal(s.scores, in_file_order(x))
    np.testing.assert_array_equal(s.scores[:, T * 0 + 0 + 3], x[:, 1, 1])  # clip 1, centre
    rows = evaluate_top1(tmp_path, [tmp_path / "mm.npz"])
    (row,) = [r for r in rows if r["domain"] == "prob" and r["consensus"] == "mean"]
    assert row["top1"] == hand_top1(softmax(x).reshape(N, T * K, C), LABELS)


def test_mmaction2_views_must_match_the_dump(tmp_path: Path) -> None:
    src = tmp_path / "result.pkl"
    src.write_bytes(pickle.dumps([np.zeros((4, C), np.float32)] * N))
    with pytest.raises(ScoreFileError, match=r"sample 0 has 4 views .* --views 2x3 is 6"):
        read_mmaction2(src, split_list=write_mm_list(tmp_path), allow_pickle=True, views="2x3")
    with pytest.raises(UsageError, match="CLIPSxCROPS"):
        read_mmaction2(src, split_list=write_mm_list(tmp_path), allow_pickle=True, views="2by3")
    with pytest.raises(UsageError, match="views apply to"):
        import_scores(src, source="tsn", out=tmp_path / "o.npz", stream="rgb", views="2x3")


def videomae_lines(x: np.ndarray, ids: list[str]) -> list[str]:
    """final_test lines in the test loader's order: for chunk, for split, for video."""
    return [
        f"{ids[i]} {x[i, ck, cp].tolist()!s} {LABELS[i]} {ck} {cp}\n"
        for ck in range(T)
        for cp in range(K)
        for i in range(N)
    ]


def write_videomae(tmp: Path, x: np.ndarray, *, ranks: int = 2) -> Path:
    """OUT/{rank}.txt: the DistributedSampler deals the lines round robin, and pads rank 1
    with a repeat of the first view (other scores here: merge keeps the first)."""
    out = tmp / "videomae_out"
    out.mkdir()
    lines = videomae_lines(x, IDS)
    repeat = f"{IDS[0]} {[7.0] * C!s} {LABELS[0]} 0 0\n"
    header = "tensor(60., device='cuda:0'), tensor(100., device='cuda:0')\n"
    for r in range(ranks):
        mine = lines[r::ranks] + ([repeat] if r == 1 else [])
        (out / f"{r}.txt").write_text(header + "".join(mine))
    return out


def test_videomae_rank_files_merged_clip_major_centre_first(tmp_path: Path) -> None:
    x = view_logits()
    out = write_videomae(tmp_path, x)
    s = import_scores(out, source="videomae", out=tmp_path / "vm.npz", stream="rgb")
    # rows in the order videos first appear: rank 0 holds videos 0, 2, 4 first
    assert list(s.video_ids) == [IDS[i] for i in (0, 2, 4, 1, 3)]
    rows = by_id(s)
    assert s.labels[rows].tolist() == LABELS
    assert s.views == (T, K) and s.kind == "logit" and s.segment_mask is None
    assert s.meta["duplicate_views_dropped"] == 1
    np.testing.assert_allclose(s.scores[rows], in_file_order(x), rtol=1e-6)
    # merge: softmax of every view, mean, argmax
    ev = evaluate_top1(tmp_path, [tmp_path / "vm.npz"])
    (row,) = [r for r in ev if r["domain"] == "prob" and r["consensus"] == "mean"]
    assert row["top1"] == hand_top1(softmax(x).reshape(N, T * K, C), LABELS)
    # with the test list: rows in its order, matched by name
    listing = tmp_path / "val.csv"
    order = [4, 2, 0, 3, 1]
    listing.write_text("".join(f"{VIDEOS[i]} {LABELS[i]}\n" for i in order))
    s2 = read_videomae(out, split_list=listing)
    assert list(s2.video_ids) == [IDS[i] for i in order]
    np.testing.assert_allclose(s2.scores, in_file_order(x)[order], rtol=1e-6)


def test_videomae_missing_view_is_masked_and_errors(tmp_path: Path) -> None:
    x = view_logits()
    f = tmp_path / "0.txt"
    lines = videomae_lines(x, IDS)
    f.write_text("acc\n" + "".join(lines[:-1]))  # video 4 lacks chunk 1 split 2
    s = read_videomae(f)
    assert s.segment_mask is not None and s.segment_mask.sum() == N * T * K - 1
    assert not s.segment_mask[4, T * K - 1]  # chunk 1, split 2 -> the last view
    f.write_text("acc\n" + lines[0].replace(f" {LABELS[0]} 0 0", " 3 0 1") + lines[0])
    with pytest.raises(ScoreFileError, match=r"0.txt: line 3: video .* has label 0, but 3"):
        read_videomae(f)
    (tmp_path / "d").mkdir()
    for r in (0, 2):
        (tmp_path / "d" / f"{r}.txt").write_text("acc\n" + lines[0])
    with pytest.raises(ScoreFileError, match=r"no 1.txt"):
        read_videomae(tmp_path / "d")


# --------------------------------------------------------------------------- skeletons
# NTU RGB+D samples; 2s-AGCN names them with '.skeleton', pyskl without.

NS = 8
NTU = [f"S00{1 + i % 2}C001P00{i}R001A0{10 + i:02d}" for i in range(NS)]
NTU_LABELS = [i % C for i in range(NS)]
STREAMS = ["joint", "bone", "joint_motion", "bone_motion"]


def ntu_logits(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out: np.ndarray = (rng.normal(size=(NS, C)) + 1.2 * np.eye(C)[NTU_LABELS]).astype(np.float32)
    return out


def write_val_label(tmp: Path) -> Path:
    p = tmp / "val_label.pkl"  # 2s-AGCN: pickle.dump((sample_name, list(sample_label)), f)
    p.write_bytes(pickle.dumps(([f"{n}.skeleton" for n in NTU], NTU_LABELS)))
    return p


def write_ctrgcn_scores(tmp: Path, x: np.ndarray, stream: str) -> Path:
    p = tmp / stream / "epoch1_test_score.pkl"
    p.parent.mkdir()
    order = list(range(NS))[::-1] if stream.startswith("bone") else list(range(NS))
    p.write_bytes(pickle.dumps({f"{NTU[i]}.skeleton": x[i] for i in order}))
    return p


def test_ctrgcn_score_dict_with_val_label_and_npz(tmp_path: Path) -> None:
    x = ntu_logits(1)
    src = write_ctrgcn_scores(tmp_path, x, "bone")
    s = import_scores(
        src,
        source="ctrgcn",
        out=tmp_path / "b.npz",
        stream="bone",
        split_list=write_val_label(tmp_path),
        allow_pickle=True,
    )
    assert list(s.video_ids) == NTU and s.labels.tolist() == NTU_LABELS and s.kind == "logit"
    np.testing.assert_array_equal(s.scores[:, 0], x)
    # CTR-GCN: keys test_i, labels one-hot in y_test of the NTU npz
    ctr = tmp_path / "ctr.pkl"
    ctr.write_bytes(pickle.dumps({f"test_{i}": x[i] for i in range(NS)}))
    npz = tmp_path / "NTU60_CS.npz"
    np.savez(npz, x_test=np.zeros((NS, 3)), y_test=np.eye(C)[NTU_LABELS])
    s2 = read_ctrgcn(ctr, split_list=npz, allow_pickle=True)
    assert s2.labels.tolist() == NTU_LABELS and s2.video_ids.tolist()[:2] == ["test_0", "test_1"]
    with pytest.raises(ScoreFileError, match="--allow-pickle"):
        read_ctrgcn(src, split_list=write_val_label(tmp_path))


def write_pyskl_ann(tmp: Path, *, json_form: bool = False) -> Path:
    """pyskl annotation file: {'split': {...}, 'annotations': [...]}, the test split not in
    annotation order; keypoints included as in ntu60_hrnet.pkl."""
    train = [f"S003C002P00{i}R002A001" for i in range(3)]
    anns = [
        {"frame_dir": n, "label": lab, "total_frames": 50, "img_shape": (1080, 1920)}
        for n, lab in [(train[0], 0), *zip(NTU, NTU_LABELS, strict=True), (train[1], 1)]
    ]
    split = {"xsub_train": train, "xsub_val": NTU[::-1]}
    if json_form:
        p = tmp / "ntu60_hrnet.json"
        p.write_text(__import__("json").dumps({"split": split, "annotations": anns}))
        return p
    for a in anns:
        a["keypoint"] = np.zeros((1, 2, 17, 2), np.float16)
    p = tmp / "ntu60_hrnet.pkl"
    p.write_bytes(pickle.dumps({"split": split, "annotations": anns}))
    return p


@pytest.mark.parametrize("json_form", [False, True])
def test_pyskl_result_in_annotation_order(tmp_path: Path, json_form: bool) -> None:
    x = ntu_logits(2)
    src = tmp_path / "result.pkl"
    src.write_bytes(pickle.dumps([softmax(x[i]) for i in range(NS)]))  # average_clips='prob'
    s = import_scores(
        src,
        source="pyskl",
        out=tmp_path / "j.npz",
        stream="joint",
        split_list=write_pyskl_ann(tmp_path, json_form=json_form),
        ann_split="xsub_val",
        allow_pickle=True,
    )
    assert list(s.video_ids) == NTU and s.labels.tolist() == NTU_LABELS and s.kind == "prob"
    with pytest.raises(ScoreFileError, match=r"has no split 'xsub_test' \(has xsub_train"):
        read_pyskl(
            src,
            split_list=write_pyskl_ann(tmp_path, json_form=True),
            ann_split="xsub_test",
            allow_pickle=True,
        )


def test_four_skeleton_streams_fused_as_by_hand(tmp_path: Path) -> None:
    """CTR-GCN's ensemble: joint and bone from its score pickles, the motion streams from
    pyskl; evaluate with weights 2:2:1:1 must give the accuracy of a hand-weighted sum."""
    xs = {st: ntu_logits(10 + j) for j, st in enumerate(STREAMS)}
    labels_file = write_val_label(tmp_path)
    ann = write_pyskl_ann(tmp_path)
    files = []
    for st in STREAMS:
        out = tmp_path / f"{st}.npz"
        common: dict[str, Any] = {
            "out": out,
            "stream": st,
            "allow_pickle": True,
            "dataset": "ntu60",
            "split": "xsub",
            "subset": "val",
        }
        if "motion" in st:
            src = tmp_path / f"{st}_result.pkl"
            src.write_bytes(pickle.dumps([xs[st][i] for i in range(NS)]))
            import_scores(src, source="pyskl", split_list=ann, ann_split="xsub_val", **common)
        else:
            src = write_ctrgcn_scores(tmp_path, xs[st], st)
            import_scores(src, source="ctrgcn", split_list=labels_file, **common)
        files.append(out)
    weights = {"joint": 2, "bone": 2, "joint_motion": 1, "bone_motion": 1}
    rows = evaluate_top1(
        tmp_path, files, "--weights", ",".join(f"{k}={v}" for k, v in weights.items())
    )

    def by_hand(domain: str) -> float:
        hits = 0
        for i in range(NS):
            fused = [0.0] * C
            for st, w in weights.items():
                z = [float(v) for v in xs[st][i]]
                top = max(z)
                total = sum(math.exp(v - top) for v in z)
                for c in range(C):
                    logp = z[c] - top - math.log(total)
                    fused[c] += w * (logp if domain == "logit" else math.exp(logp))
            hits += int(max(range(C), key=lambda c: fused[c]) == NTU_LABELS[i])
        return hits / NS

    got = {
        r["domain"]: r["top1"]
        for r in rows
        if r["fusion"] == "weighted" and r["weights"] == {k: float(v) for k, v in weights.items()}
    }
    assert set(got) == {"prob", "logit"}
    assert got == {"prob": by_hand("prob"), "logit": by_hand("logit")}
    assert 0 < got["logit"] < 1  # the case distinguishes right from wrong
