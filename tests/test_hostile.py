"""Hostile input: a corpus of malformed files through the command line, and byte mutations.

Every case runs ``fusionlab.cli.main`` in-process and checks: exit status 2, exactly one
printable line on stderr that names the file and the problem, no traceback, and no output
file written. Pickles that would run code are refused and not run (a sentinel file stays
absent). The property tests mutate bytes of valid files: loading either succeeds with valid
data or raises FusionlabError, never another exception.
"""

from __future__ import annotations

import collections
import functools
import io
import json
import os
import pickle
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusionlab import cli, importers, scores
from fusionlab.errors import FusionlabError

# --------------------------------------------------------------------------- building blocks

N, S, C = 5, 3, 4
CLASSES = ["ApplyEyeMakeup", "Archery", "BabyCrawling", "HandstandPushups"]
VIDEOS = [
    "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi",
    "Archery/v_Archery_g02_c03.avi",
    "BabyCrawling/v_BabyCrawling_g01_c02.avi",
    "HandstandPushups/v_HandStandPushups_g01_c01.avi",
    "Archery/v_Archery_g01_c01.avi",
]
IDS = [importers.normalize_video_id(v) for v in VIDEOS]
LABELS = [0, 1, 2, 3, 1]
RNG_LOGITS = np.random.default_rng(0).normal(size=(N, S, C)).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def _meta(**kw: Any) -> np.ndarray:
    m = {"format": "fusionlab.scores", "version": 1, "stream": "rgb", "kind": "prob"}
    m.update(kw)
    return np.array(json.dumps(m))


def _arrays(**replace: Any) -> dict[str, Any]:
    a: dict[str, Any] = {
        "scores": _softmax(RNG_LOGITS),
        "labels": np.asarray(LABELS, dtype=np.int64),
        "video_ids": np.asarray(IDS),
        "class_names": np.asarray(CLASSES),
        "meta": _meta(),
    }
    for k, v in replace.items():
        if v is None:
            a.pop(k)
        else:
            a[k] = v
    return a


def _npz(path: Path, arrays: dict[str, Any], *, compress: bool = False) -> Path:
    with open(path, "wb") as fh:
        (np.savez_compressed if compress else np.savez)(fh, **arrays)
    return path


def _patch_central(path: Path, offset: int, fmt: str, value: int) -> None:
    """Overwrite a field of every central-directory entry of a zip (``offset`` in the entry)."""
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        struct.pack_into(fmt, data, pos + offset, value)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


def _npy_with_header(header: bytes, payload: bytes = b"") -> bytes:
    header = header + b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _npy_bytes(a: Any) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


class _Global:
    """A GLOBAL opcode for ``module.name`` (written by hand: need not be importable)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:
        raise NotImplementedError


class _Reduce:
    def __init__(self, func: _Global, args: tuple[Any, ...]) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.func, self.args)


_PyPickler: Any = pickle._Pickler


class _GlobalPickler(_PyPickler):  # type: ignore[misc]
    dispatch = _PyPickler.dispatch.copy()

    def _save_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

    dispatch[_Global] = _save_global

    def persistent_id(self, obj: Any) -> Any:
        return obj.pid if isinstance(obj, _Pid) else None


class _Pid:
    def __init__(self, pid: tuple[Any, ...]) -> None:
        self.pid = pid


def _gdumps(obj: Any) -> bytes:
    buf = io.BytesIO()
    _GlobalPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def _torch_tensor(arr: np.ndarray, *, size: tuple[int, ...], stride: tuple[int, ...]) -> _Reduce:
    flat = np.ascontiguousarray(arr, dtype="<f4").reshape(-1)
    blob = b"".join(
        [
            pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
            pickle.dumps(1001, protocol=2),
            pickle.dumps({"little_endian": True}, protocol=2),
            _gdumps(
                _Pid(("storage", _Global("torch", "FloatStorage"), "0", "cpu", flat.size, None))
            ),
            pickle.dumps(["0"], protocol=2),
            flat.size.to_bytes(8, "little"),
            flat.tobytes(),
        ]
    )
    storage = _Reduce(_Global("torch.storage", "_load_from_bytes"), (blob,))
    return _Reduce(
        _Global("torch._utils", "_rebuild_tensor_v2"),
        (storage, 0, size, stride, False, collections.OrderedDict()),
    )


class _Runs:
    """``__reduce__`` to a shell command that would create the sentinel."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.sentinel}",))


def _twostream(scale: float = 1.0) -> dict[str, np.ndarray]:
    return {v.split("_", 1)[1]: RNG_LOGITS[i].sum(axis=0) * scale for i, v in enumerate(IDS)}


def _tsn_rows(n: int = N) -> np.ndarray:
    rows = np.empty((n, 2), dtype=object)
    for i in range(n):
        rows[i, 0], rows[i, 1] = RNG_LOGITS[i][:, None, :], LABELS[i]
    return rows


# --------------------------------------------------------------------------- the corpus


@dataclass
class Case:
    """argv for ``fusionlab`` (paths relative to tmp), the file the message must name,
    words the message must hold; ``files`` are written first."""

    argv: list[str]
    names: str
    problem: tuple[str, ...]
    sentinel: bool = False
    files: dict[str, Any] = field(default_factory=dict)


def _load_case(name: str, problem: tuple[str, ...], **replace: Any) -> Callable[[Path], Case]:
    def build(tmp: Path) -> Case:
        _npz(tmp / name, _arrays(**replace))
        return Case(["evaluate", name], name, problem)

    return build


def _custom(fn: Callable[[Path], tuple[str, tuple[str, ...]]]) -> Callable[[Path], Case]:
    def build(tmp: Path) -> Case:
        name, problem = fn(tmp)
        return Case(["evaluate", name], name, problem)

    return build


def _truncated(tmp: Path) -> tuple[str, tuple[str, ...]]:
    data = _npz(tmp / "t.npz", _arrays()).read_bytes()
    (tmp / "t.npz").write_bytes(data[: len(data) // 2])
    return "t.npz", ("truncated or corrupt",)


def _object_scores(tmp: Path) -> tuple[str, tuple[str, ...]]:
    obj = np.empty(N, dtype=object)
    obj[:] = [np.zeros(C)] * N
    _npz(tmp / "obj.npz", _arrays(scores=obj))
    return "obj.npz", ("pickled",)


def _pickled_member(tmp: Path) -> tuple[str, tuple[str, ...]]:
    _zip(tmp / "pk.npz", {f"{k}.npy": pickle.dumps({"x": 1}) for k in ("scores", "labels", "meta")})
    return "pk.npz", ("pk.npz",)


def _bad_compression(tmp: Path) -> tuple[str, tuple[str, ...]]:
    _npz(tmp / "method.npz", _arrays())
    _patch_central(tmp / "method.npz", 10, "<H", 99)  # compression method 99
    return "method.npz", ("corrupt",)


def _encrypted_flag(tmp: Path) -> tuple[str, tuple[str, ...]]:
    _npz(tmp / "enc.npz", _arrays())
    _patch_central(tmp / "enc.npz", 8, "<H", 1)  # general purpose flag: encrypted
    return "enc.npz", ("corrupt",)


def _zip_version(tmp: Path) -> tuple[str, tuple[str, ...]]:
    _npz(tmp / "ver.npz", _arrays())
    _patch_central(tmp / "ver.npz", 6, "<H", 250)  # version needed to extract: 25.0
    return "ver.npz", ("corrupt",)


def _bad_deflate(tmp: Path) -> tuple[str, tuple[str, ...]]:
    p = _npz(tmp / "defl.npz", _arrays(), compress=True)
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as zf:
        offset = zf.getinfo("scores.npy").header_offset
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)  # local header
    start = offset + 30 + name_len + extra_len
    data[start : start + 8] = b"\xff" * 8  # garbage at the start of the deflate stream
    p.write_bytes(bytes(data))
    return "defl.npz", ("corrupt",)


def _header_unbalanced(tmp: Path) -> tuple[str, tuple[str, ...]]:
    members = {f"{k}.npy": _npy_bytes(v) for k, v in _arrays().items()}
    members["labels.npy"] = _npy_with_header(
        b"{'descr': '<i8', 'fortran_order': False, 'shape': (5, }", b"\x00" * 40
    )
    _zip(tmp / "hdr.npz", members)
    return "hdr.npz", ("corrupt",)


def _header_bytes_key(tmp: Path) -> tuple[str, tuple[str, ...]]:
    members = {f"{k}.npy": _npy_bytes(v) for k, v in _arrays().items()}
    members["labels.npy"] = _npy_with_header(
        b"{b'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", b"\x00" * 40
    )
    _zip(tmp / "hdrb.npz", members)
    return "hdrb.npz", ("corrupt",)


def _missing(tmp: Path) -> tuple[str, tuple[str, ...]]:
    return "nope.npz", ("no such file",)


def _directory(tmp: Path) -> tuple[str, tuple[str, ...]]:
    (tmp / "dir.npz").mkdir()
    return "dir.npz", ("directory",)


def _not_zip(tmp: Path) -> tuple[str, tuple[str, ...]]:
    (tmp / "text.npz").write_text("hello, I am not a zip\n")
    return "text.npz", ("not an npz",)


def _empty(tmp: Path) -> tuple[str, tuple[str, ...]]:
    (tmp / "empty.npz").write_bytes(b"")
    return "empty.npz", ("npz",)


NAN = _softmax(RNG_LOGITS)
NAN[1, 2, 0] = np.nan
INF = RNG_LOGITS.copy()
INF[3, 0, 1] = np.inf
NEG = _softmax(RNG_LOGITS)
NEG[2, 1, :2] = [-0.5, 1.5]

LOAD_CASES: dict[str, Callable[[Path], Case]] = {
    "missing-file": _custom(_missing),
    "directory": _custom(_directory),
    "not-zip": _custom(_not_zip),
    "empty-file": _custom(_empty),
    "truncated": _custom(_truncated),
    "missing-scores": _load_case("a.npz", ("'scores'",), scores=None),
    "missing-labels": _load_case("a.npz", ("'labels'",), labels=None),
    "missing-video-ids": _load_case("a.npz", ("'video_ids'",), video_ids=None),
    "missing-meta": _load_case("a.npz", ("'meta'",), meta=None),
    "object-array": _custom(_object_scores),
    "pickled-member": _custom(_pickled_member),
    "scores-1d": _load_case("a.npz", ("'scores'", "(N, S, C)"), scores=np.ones(N) / C),
    "scores-4d": _load_case("a.npz", ("'scores'", "4 dimensions"), scores=np.ones((N, S, 1, C))),
    "scores-int": _load_case("a.npz", ("'scores'", "float"), scores=np.ones((N, S, C), int)),
    "one-class": _load_case("a.npz", ("C >= 2",), scores=np.ones((N, S, 1)), class_names=None),
    "nan": _load_case("a.npz", ("non-finite", "v_Archery_g02_c03"), scores=NAN),
    "inf": _load_case("a.npz", ("non-finite",), scores=INF, meta=_meta(kind="logit")),
    "negative-prob": _load_case("a.npz", ("negative probability",), scores=NEG + 0.0),
    "prob-sum": _load_case("a.npz", ("sum",), scores=_softmax(RNG_LOGITS) * 1.1),
    "logprob-sum": _load_case(
        "a.npz", ("log-sum-exp",), scores=RNG_LOGITS - 5.0, meta=_meta(kind="logprob")
    ),
    "float-labels": _load_case("a.npz", ("'labels'", "integers"), labels=np.ones(N)),
    "bool-labels": _load_case("a.npz", ("'labels'",), labels=np.ones(N, bool)),
    "label-range": _load_case("a.npz", ("out of range",), labels=np.array([0, 1, 2, 4, 1])),
    "label-below": _load_case("a.npz", ("out of range",), labels=np.array([0, 1, -2, 3, 1])),
    "labels-shape": _load_case("a.npz", ("'labels'", "shape"), labels=np.zeros(N + 1, int)),
    "duplicate-ids": _load_case(
        "a.npz", ("duplicate video id",), video_ids=np.asarray(IDS[:4] + IDS[:1])
    ),
    "empty-id": _load_case("a.npz", ("empty video id",), video_ids=np.asarray([*IDS[:4], " "])),
    "int-ids": _load_case("a.npz", ("'video_ids'",), video_ids=np.arange(N)),
    "meta-json": _load_case("a.npz", ("'meta'", "JSON"), meta=np.array("{not json")),
    "meta-list": _load_case("a.npz", ("'meta'", "object"), meta=np.array("[1, 2]")),
    "meta-format": _load_case("a.npz", ("format",), meta=_meta(format="other.tool")),
    "version-2": _load_case("a.npz", ("version 2",), meta=_meta(version=2)),
    "bad-kind": _load_case("a.npz", ("'kind'",), meta=_meta(kind="softmax")),
    "no-stream": _load_case("a.npz", ("'stream'",), meta=_meta(stream="")),
    "epoch-str": _load_case("a.npz", ("'epoch'",), meta=_meta(epoch="ten")),
    "mask-shape": _load_case(
        "a.npz", ("'segment_mask'", "shape"), segment_mask=np.ones((N, S + 1), bool)
    ),
    "mask-dtype": _load_case(
        "a.npz", ("'segment_mask'", "bool"), segment_mask=np.ones((N, S), np.int8)
    ),
    "mask-empty-row": _load_case(
        "a.npz", ("no valid segment",), segment_mask=np.array([[True] * S] * 4 + [[False] * S])
    ),
    "class-names-length": _load_case(
        "a.npz", ("'class_names'",), class_names=np.asarray(CLASSES[:3])
    ),
    # found by the byte-mutation property test: exceptions escaping fusionlab.scores.load
    "zip-compression-method": _custom(_bad_compression),
    "zip-encrypted-flag": _custom(_encrypted_flag),
    "zip-version-needed": _custom(_zip_version),
    "corrupt-deflate": _custom(_bad_deflate),
    "npy-header-unbalanced": _custom(_header_unbalanced),
    "npy-header-bytes-key": _custom(_header_bytes_key),
}


def _imp(src: str, source: str, *extra: str) -> list[str]:
    return ["import", "--from", source, src, "-o", "out.npz", "--stream", "rgb", *extra]


def _csv(header: str, rows: list[str]) -> str:
    return header + "\n" + "".join(r + "\n" for r in rows)


def _csv_rows(values: Callable[[int], str] | None = None) -> list[str]:
    out = []
    for i, v in enumerate(VIDEOS):
        vals = values(i) if values else ",".join(f"{x:.4f}" for x in RNG_LOGITS[i, 0])
        out.append(f"{v},{LABELS[i]},{vals}")
    return out


CSV_HEADER = "video_id,label," + ",".join(CLASSES)
TESTLIST = "".join(v + "\n" for v in VIDEOS)
CLASS_IND = "".join(f"{i + 1} {c}\n" for i, c in enumerate(CLASSES))
MM_LIST = "".join(f"{v} {lab}\n" for v, lab in zip(VIDEOS, LABELS, strict=True))
TSN_LIST = "".join(f"/frames/{i} 150 {lab}\n" for i, lab in zip(IDS, LABELS, strict=True))
NON_UTF8 = os.fsdecode(b"scores\xff\xfe.csv")
ESC_ID = "v_\x1b[31mred"
HUGE = "9" * 5000  # int() refuses more than 4300 digits
SEG_HEADER = "video_id,segment,a,b"
LABELS_ARR = np.asarray(LABELS)
IDS_ARR = np.asarray(IDS)
# rows in file order 0..4 named as the list's videos 0, 4, 2, 3, 1 (the two Archery swapped)
NAMES_PERMUTED = np.asarray([f"/frames/{IDS[i]}" for i in (0, 4, 2, 3, 1)])

IMPORT_CASES: dict[str, Case] = {
    "tsn-needs-allow-pickle": Case(
        _imp("tsn.npz", "tsn", "--split-list", "l.txt"),
        "tsn.npz",
        ("--allow-pickle", "code"),
        files={"tsn.npz": {"scores": _tsn_rows(), "labels": np.asarray(LABELS)}, "l.txt": TSN_LIST},
    ),
    "tsn-runs-code": Case(
        _imp("tsn.npz", "tsn", "--split-list", "l.txt", "--allow-pickle"),
        "tsn.npz",
        ("refused to unpickle", "posix.system"),
        sentinel=True,
        files={"tsn.npz": "RUNS_CODE_NPZ", "l.txt": TSN_LIST},
    ),
    "twostream-runs-code": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("refused to unpickle 'posix.system'",),
        sentinel=True,
        files={"p.pkl": "RUNS_CODE"},
    ),
    "mmaction2-eval": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("refused to unpickle 'builtins.eval'",),
        sentinel=True,
        files={"r.pkl": "EVAL_CODE", "l.txt": MM_LIST},
    ),
    "mmaction2-tensor-subclass": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("torch._tensor._rebuild_from_type_v2", "numpy"),
        files={
            "r.pkl": _gdumps(
                [{"pred_score": _Reduce(_Global("torch._tensor", "_rebuild_from_type_v2"), (1,))}]
            ),
            "l.txt": MM_LIST,
        },
    ),
    "pickle-object-pointers": Case(  # would crash numpy if the dtype state were trusted
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("inconsistent pickled state",),
        files={
            "p.pkl": b"(dVa_g01_c01\n" + b"cnumpy._core.multiarray\n_reconstruct\n(cnumpy\n"
            b"ndarray\n(I0\ntC\x01btR(I1\n(I1\ntcnumpy\ndtype\n(VO8\nI00\nI01\ntR(I3\nV|\n"
            b"NNNI-1\nI-1\nI0\ntbI00\nC\x08" + (12345678).to_bytes(8, "little") + b"tbs."
        },
    ),
    "pickle-build-on-function": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("unusable pickle payload",),
        files={"p.pkl": b"cnumpy\ndtype\n}(V__defaults__\n(I1\ntub."},
    ),
    "twostream-list-payload": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("expected a dict",),
        files={"p.pkl": pickle.dumps([np.zeros(C)] * N)},
    ),
    "twostream-str-values": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("array of class scores",),
        files={"p.pkl": pickle.dumps({"a_g01_c01": "0.1 0.9"})},
    ),
    "twostream-class-count": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("different numbers of classes",),
        files={"p.pkl": pickle.dumps({"a": np.zeros(4), "b": np.zeros(5)})},
    ),
    "twostream-unknown-video": Case(
        _imp("p.pkl", "twostream", "--allow-pickle", "--split-list", "l.txt"),
        "p.pkl",
        ("'Zumba_g01_c01'", "not in the split list"),
        files={
            "p.pkl": pickle.dumps({**_twostream(), "Zumba_g01_c01": np.zeros(C)}),
            "l.txt": TESTLIST,
        },
    ),
    "twostream-missing-video": Case(
        _imp("p.pkl", "twostream", "--allow-pickle", "--split-list", "l.txt"),
        "p.pkl",
        ("1 of the 5 videos", "missing"),
        files={"p.pkl": pickle.dumps(dict(list(_twostream().items())[:4])), "l.txt": TESTLIST},
    ),
    "twostream-unknown-class-name": Case(
        _imp("p.pkl", "twostream", "--allow-pickle", "--class-index", "c.txt"),
        "p.pkl",
        ("unknown class name 'Zumba'",),
        files={
            "p.pkl": pickle.dumps({**_twostream(), "Zumba_g01_c01": np.zeros(C)}),
            "c.txt": CLASS_IND,
        },
    ),
    "split-list-unknown-class": Case(
        _imp(
            "p.pkl",
            "twostream",
            "--allow-pickle",
            "--split-list",
            "l.txt",
            "--class-index",
            "c.txt",
        ),
        "l.txt",
        ("unknown class name 'Zumba'", "line 6"),
        files={
            "p.pkl": pickle.dumps(_twostream()),
            "c.txt": CLASS_IND,
            "l.txt": TESTLIST + "Zumba/v_Zumba_g01_c01.avi\n",
        },
    ),
    "split-list-multi-label": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "l.txt",
        ("multi-label",),
        files={"r.pkl": pickle.dumps([np.zeros(C)] * N), "l.txt": "a/b.avi 100 1 2 3\n"},
    ),
    "class-index-duplicate": Case(
        _imp("s.csv", "csv", "--class-index", "c.txt"),
        "c.txt",
        ("'Archery' appears twice",),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows()), "c.txt": CLASS_IND + "5 Archery\n"},
    ),
    "mmaction2-no-pred-score": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("no 'pred_score'",),
        files={"r.pkl": pickle.dumps([{"gt_label": np.array([1])}] * N), "l.txt": MM_LIST},
    ),
    "mmaction2-length-mismatch": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("holds 4 samples", "has 5"),
        files={"r.pkl": pickle.dumps([np.zeros(C)] * 4), "l.txt": MM_LIST},
    ),
    "mmaction2-gt-label-mismatch": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("gt_label 3", "label 0"),
        files={
            "r.pkl": pickle.dumps([{"pred_score": np.ones(C) / C, "gt_label": np.array([3])}] * N),
            "l.txt": MM_LIST,
        },
    ),
    "mmaction2-tensor-out-of-bounds": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("past the end of its storage",),
        files={
            "r.pkl": _gdumps(
                [{"pred_score": _torch_tensor(np.zeros(C), size=(C,), stride=(1 << 40,))}] * N
            ),
            "l.txt": MM_LIST,
        },
    ),
    "tsn-length-mismatch": Case(
        _imp("tsn.npz", "tsn", "--allow-pickle", "--split-list", "l.txt"),
        "tsn.npz",
        ("holds 4 videos", "has 5"),
        files={
            "tsn.npz": {"scores": _tsn_rows(4), "labels": np.asarray(LABELS[:4])},
            "l.txt": TSN_LIST,
        },
    ),
    "tsn-wrong-row-order": Case(
        _imp("tsn.npz", "tsn", "--allow-pickle", "--split-list", "l.txt"),
        "tsn.npz",
        ("--row-order list",),
        files={"tsn.npz": {"scores": _tsn_rows(), "labels": np.asarray(LABELS)}, "l.txt": TSN_LIST},
    ),
    # TSN files that name their rows: matched to the split list by name
    "tsn-names-label-mismatch": Case(
        _imp("tsn.npz", "tsn", "--split-list", "l.txt"),
        "tsn.npz",
        ("video 'v_BabyCrawling_g01_c02' has label 2 in this file but label 0", "(line 3)"),
        files={
            "tsn.npz": {"scores": RNG_LOGITS, "labels": LABELS_ARR, "names": NAMES_PERMUTED},
            "l.txt": TSN_LIST.replace("c02 150 2", "c02 150 0"),
        },
    ),
    "tsn-names-not-in-list": Case(
        _imp("tsn.npz", "tsn", "--split-list", "l.txt"),
        "tsn.npz",
        (
            "1 of its 5 videos is not in the split list (first: 'v_Zumba_g01_c01')",
            "1 of the 5 videos of the split list is missing from it (first: 'v_Archery_g01_c01'",
        ),
        files={
            "tsn.npz": {
                "scores": RNG_LOGITS,
                "labels": LABELS_ARR,
                "names": np.asarray([*IDS[:4], "v_Zumba_g01_c01"]),
            },
            "l.txt": TSN_LIST,
        },
    ),
    "tsn-names-one-id": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("'names'[1] 'v_Archery_g02_c03' and 'names'[4] 'v_Archery!g02_c03'", "video id"),
        files={
            "tsn.npz": {
                "scores": RNG_LOGITS,
                "labels": LABELS_ARR,
                "names": np.asarray([*IDS[:4], "v_Archery!g02_c03"]),
            },
        },
    ),
    "tsn-names-length": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("'video_ids' must hold 5 video names", "shape (4,)"),
        files={"tsn.npz": {"scores": RNG_LOGITS, "labels": LABELS_ARR, "video_ids": IDS_ARR[:4]}},
    ),
    "tsn-names-numbers": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("'ids' has dtype int64", "expected video names"),
        files={"tsn.npz": {"scores": RNG_LOGITS, "labels": LABELS_ARR, "ids": np.arange(N)}},
    ),
    "tsn-names-not-utf8": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("'names'[2] is not UTF-8",),
        files={
            "tsn.npz": {
                "scores": RNG_LOGITS,
                "labels": LABELS_ARR,
                "names": np.asarray([b"a", b"b", b"c\xff", b"d", b"e"]),
            }
        },
    ),
    "tsn-names-empty": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("'names'[3]: empty video name",),
        files={
            "tsn.npz": {
                "scores": RNG_LOGITS,
                "labels": LABELS_ARR,
                "names": np.asarray(["a", "b", "c", "./", "e"]),
            }
        },
    ),
    "tsn-two-name-members": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("several video-name members ('names', 'ids')",),
        files={"tsn.npz": {"scores": RNG_LOGITS, "names": IDS_ARR, "ids": IDS_ARR}},
    ),
    "tsn-no-names-no-list": Case(
        _imp("tsn.npz", "tsn"),
        "tsn.npz",
        ("holds no video names", "--split-list", "by position"),
        files={"tsn.npz": {"scores": RNG_LOGITS, "labels": LABELS_ARR}},
    ),
    "split-list-two-spellings": Case(
        _imp("tsn.npz", "tsn", "--split-list", "l.txt"),
        "l.txt",
        ("video id 'a_b' appears twice (lines 1 and 2)", "spelled 'x/a!b.avi' and 'a_b'"),
        files={"tsn.npz": {"scores": RNG_LOGITS}, "l.txt": "x/a!b.avi 0\na_b 1\n"},
    ),
    "tsn-not-zip": Case(
        _imp("tsn.npz", "tsn", "--allow-pickle", "--split-list", "l.txt"),
        "tsn.npz",
        ("not an npz",),
        files={"tsn.npz": b"\x80\x02}q\x00.", "l.txt": TSN_LIST},
    ),
    "tsn-no-scores-member": Case(
        _imp("tsn.npz", "tsn", "--allow-pickle", "--split-list", "l.txt"),
        "tsn.npz",
        ("missing member 'scores'",),
        files={"tsn.npz": {"labels": np.asarray(LABELS)}, "l.txt": TSN_LIST},
    ),
    "tsn-member-over-limit": Case(
        _imp("tsn.npz", "tsn", "--split-list", "l.txt", "--max-bytes", "200000"),
        "tsn.npz",
        ("expands to", "over the limit"),
        files={"tsn.npz": "ZIP_BOMB", "l.txt": TSN_LIST},
    ),
    "pickle-truncated": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("not a readable pickle",),
        files={"p.pkl": pickle.dumps(_twostream())[:-40]},
    ),
    "pickle-garbage": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("not a readable pickle",),
        files={"p.pkl": bytes(range(256)) * 3},
    ),
    "pickle-empty": Case(
        _imp("p.pkl", "mmaction2", "--allow-pickle"), "p.pkl", ("is empty",), files={"p.pkl": b""}
    ),
    "over-size-limit": Case(
        _imp("s.csv", "csv", "--max-bytes", "100"),
        "s.csv",
        ("over the limit of 100 bytes",),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows())},
    ),
    "csv-empty": Case(_imp("s.csv", "csv"), "s.csv", ("is empty",), files={"s.csv": ""}),
    "csv-header-only": Case(
        _imp("s.csv", "csv"), "s.csv", ("no rows",), files={"s.csv": CSV_HEADER + "\n"}
    ),
    "csv-no-id-column": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("no video id column", "video_id"),
        files={"s.csv": _csv("clip_name,label,a,b", ["x,0,0.5,0.5"])},
    ),
    "csv-non-numeric": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 3", "non-numeric score 'abc'", "'Archery'"),
        files={
            "s.csv": _csv(
                CSV_HEADER, _csv_rows(lambda i: "0.1,abc,0.3,0.4" if i == 1 else "0.1,0.2,0.3,0.4")
            )
        },
    ),
    "csv-short-row": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 2", "missing"),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows(lambda i: "0.1,0.2"))},
    ),
    "csv-inf": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 4", "infinite"),
        files={
            "s.csv": _csv(
                CSV_HEADER, _csv_rows(lambda i: "0.1,0.2,0.3," + ("1e999" if i == 2 else "0.4"))
            )
        },
    ),
    "csv-empty-cell": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("empty or missing score",),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows(lambda i: "0.1,,0.3,0.4"))},
    ),
    "csv-nan": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("non-numeric score 'nan'",),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows(lambda i: "0.1,nan,0.3,0.4"))},
    ),
    "csv-ragged-row": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("malformed CSV", "more fields"),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows(lambda i: "0.1,0.2,0.3,0.4,0.5,0.6"))},
    ),
    "csv-unknown-class": Case(
        _imp("s.csv", "csv", "--class-index", "c.txt"),
        "s.csv",
        ("'Zumba'", "unknown class"),
        files={
            "s.csv": _csv("video_id,label,ApplyEyeMakeup,Archery,BabyCrawling,Zumba", _csv_rows()),
            "c.txt": CLASS_IND,
        },
    ),
    "csv-duplicate-id": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("appears in rows 2 and 7", "segment column"),
        files={"s.csv": _csv(CSV_HEADER, [*_csv_rows(), _csv_rows()[0]])},
    ),
    "csv-label-range": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("label 9 is out of range",),
        files={"s.csv": _csv(CSV_HEADER, ["a,9,0.1,0.2,0.3,0.4"])},
    ),
    "csv-one-score-column": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("at least 2",),
        files={"s.csv": _csv("video_id,label,only", ["a,0,1.0"])},
    ),
    "csv-not-utf8": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("not UTF-8", "0xe9"),
        files={"s.csv": (CSV_HEADER + "\ncaf\xe9,0,0.1,0.2,0.3,0.4\n").encode("latin-1")},
    ),
    "csv-control-chars-in-id": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("\\x1b_31mred", "rows 2 and 3"),  # "[" is made "_" (normalize_video_id)
        files={"s.csv": _csv(CSV_HEADER, [f"{ESC_ID},0,0.1,0.2,0.3,0.4"] * 2)},
    ),
    "csv-wrong-kind": Case(
        _imp("s.csv", "csv", "--kind", "prob"),
        "s.csv",
        ("negative probability", "--kind"),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows())},
    ),
    "non-utf8-name": Case(
        _imp(NON_UTF8, "csv"),
        "scores\\xff\\xfe.csv",
        ("non-numeric",),
        files={NON_UTF8: _csv(CSV_HEADER, ["a,0,x,0.2,0.3,0.4"])},
    ),
    "non-utf8-name-missing": Case(
        _imp(NON_UTF8, "twostream", "--allow-pickle"), "scores\\xff\\xfe.csv", ("no such",)
    ),
    # numbers from untrusted input: Unicode digits, beyond int64 / float64 / int()'s 4300 digits
    "class-index-superscript-number": Case(  # "²".isdigit() is True, int("²") raises
        _imp("s.csv", "csv", "--class-index", "c.txt"),
        "c.txt",
        ("line 1", "class number '\u00b2'", "ASCII digits"),
        files={"s.csv": "video_id,cat,dog\na,0.5,0.5\n", "c.txt": "\u00b2 cat\n3 dog\n"},
    ),
    "class-index-huge-number": Case(
        _imp("s.csv", "csv", "--class-index", "c.txt"),
        "c.txt",
        ("class numbers must run from 0 or 1",),
        files={"s.csv": "video_id,a,b\nv,0.5,0.5\n", "c.txt": f"1 a\n{HUGE} b\n"},
    ),
    "twostream-int-beyond-float64": Case(
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("'a_g01_c01'", "integer too large for a float64"),
        files={"p.pkl": pickle.dumps({"a_g01_c01": [10**400, 1], "b_g01_c01": [0.5, 0.5]})},
    ),
    "twostream-huge-int-key": Case(  # repr() of the key would raise ValueError
        _imp("p.pkl", "twostream", "--allow-pickle"),
        "p.pkl",
        ("key <int> is not a video name",),
        files={"p.pkl": pickle.dumps({10**5000: [0.5, 0.5]}, protocol=2)},
    ),
    "mmaction2-uint64-gt-label": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("'gt_label' of sample 0", "out of range"),
        files={
            "r.pkl": pickle.dumps(
                [{"pred_score": np.ones(C) / C, "gt_label": np.array([2**64 - 1], np.uint64)}] * N
            ),
            "l.txt": MM_LIST,
        },
    ),
    "mmaction2-huge-int-key": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "r.pkl",
        ("no 'pred_score'", "<int>"),
        files={"r.pkl": pickle.dumps([{10**5000: 1}] * N, protocol=2), "l.txt": MM_LIST},
    ),
    "tsn-uint64-labels": Case(  # astype(int64) would turn 2**64-1 into -1 ("unknown")
        _imp("tsn.npz", "tsn", "--split-list", "l.txt"),
        "tsn.npz",
        ("'labels'[4]", "out of range"),
        files={
            "tsn.npz": {
                "scores": RNG_LOGITS,
                "labels": np.asarray([*LABELS[:4], 2**64 - 1], dtype=np.uint64),
            },
            "l.txt": TSN_LIST,
        },
    ),
    "split-list-huge-label": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt"),
        "l.txt",
        ("line 1", "out of range"),
        files={"r.pkl": pickle.dumps([np.zeros(C)]), "l.txt": "a/b.avi 99999999999999999999\n"},
    ),
    "csv-unicode-digit-label": Case(  # int("\u0663") == 3: must not be taken as a label
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 2", "neither an integer nor a known class name"),
        files={"s.csv": _csv(CSV_HEADER, ["a,\u0663,0.1,0.2,0.3,0.4"])},
    ),
    "csv-huge-label": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 2", "(5000 digits) is out of range"),
        files={"s.csv": _csv(CSV_HEADER, [f"a,{HUGE},0.1,0.2,0.3,0.4"])},
    ),
    "csv-huge-positional-header": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("score columns are numbered",),
        files={"s.csv": _csv(f"video_id,score_0,score_{HUGE}", ["a,0.5,0.5"])},
    ),
    # CSV segment numbers are slots
    "csv-duplicate-segment": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 4", "'a' segment 1 appears again", "first in row 3"),
        files={"s.csv": _csv(SEG_HEADER, ["a,0,0.5,0.5", "a,1,0.5,0.5", "a,1,0.4,0.6"])},
    ),
    "csv-duplicate-segment-same-id": Case(  # two spellings of one video id
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 3", "segment 0 appears again", "first in row 2"),
        files={"s.csv": _csv(SEG_HEADER, ["x/a.avi,0,0.5,0.5", "a,0,0.5,0.5"])},
    ),
    "csv-segment-base": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 3", "segment 2 is the smallest", "from 0 or 1"),
        files={"s.csv": _csv(SEG_HEADER, ["a,3,0.5,0.5", "a,2,0.5,0.5"])},
    ),
    "csv-negative-segment": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 3", "segment -1", "from 0 or 1"),
        files={"s.csv": _csv(SEG_HEADER, ["a,0,0.5,0.5", "a,-1,0.5,0.5"])},
    ),
    "csv-unicode-digit-segment": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 2", "segment '\u0661' is not an integer"),
        files={"s.csv": _csv(SEG_HEADER, ["a,\u0661,0.5,0.5"])},
    ),
    "csv-sparse-segment-over-limit": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 3", "segment 1000000000000 makes", "over the limit"),
        files={"s.csv": _csv(SEG_HEADER, ["a,0,0.5,0.5", "a,1000000000000,0.5,0.5"])},
    ),
    "csv-huge-segment": Case(
        _imp("s.csv", "csv"),
        "s.csv",
        ("row 3", "(5000 digits) makes", "over the limit"),
        files={"s.csv": _csv(SEG_HEADER, ["a,0,0.5,0.5", f"a,{HUGE},0.5,0.5"])},
    ),
    # per-view and skeleton importers
    "slowfast-runs-code": Case(
        _imp("p.pkl", "slowfast", "--allow-pickle", "--split-list", "l.txt"),
        "p.pkl",
        ("refused to unpickle 'posix.system'",),
        sentinel=True,
        files={"p.pkl": "RUNS_CODE", "l.txt": MM_LIST},
    ),
    "slowfast-rows-not-views": Case(
        _imp("p.pkl", "slowfast", "--allow-pickle", "--split-list", "l.txt", "--views", "2x3"),
        "p.pkl",
        ("holds 20 rows = 4 views", "--views 2x3 is 6 views"),
        files={
            "p.pkl": pickle.dumps([np.full((N * 4, C), 0.25), np.repeat(LABELS_ARR, 4)]),
            "l.txt": MM_LIST,
        },
    ),
    "mmaction2-views-mismatch": Case(
        _imp("r.pkl", "mmaction2", "--allow-pickle", "--split-list", "l.txt", "--views", "2x3"),
        "r.pkl",
        ("sample 0 has 4 views", "--views 2x3 is 6 views", "average_clips=None"),
        files={"r.pkl": pickle.dumps([np.zeros((4, C), np.float32)] * N), "l.txt": MM_LIST},
    ),
    "videomae-ragged-classes": Case(
        _imp("0.txt", "videomae"),
        "0.txt",
        ("line 3", "3 scores, but earlier lines have 4"),
        files={"0.txt": "acc\na [0.1, 0.2, 0.3, 0.4] 0 0 0\nb [0.1, 0.2, 0.3] 1 0 0\n"},
    ),
    "videomae-negative-split": Case(
        _imp("0.txt", "videomae"),
        "0.txt",
        ("line 2", "split_nb '-1' is not a count"),
        files={"0.txt": "acc\na [0.1, 0.2] 0 0 -1\n"},
    ),
    "pyskl-count-mismatch": Case(
        _imp("r.pkl", "pyskl", "--allow-pickle", "--split-list", "a.json"),
        "r.pkl",
        ("holds 3 samples", "has 5"),
        files={
            "r.pkl": pickle.dumps([np.full(C, 0.25)] * 3),
            "a.json": json.dumps([{"frame_dir": f"S001A00{i}", "label": 0} for i in range(N)]),
        },
    ),
    "pyskl-annotation-runs-code": Case(
        _imp("r.pkl", "pyskl", "--allow-pickle", "--split-list", "a.pkl"),
        "a.pkl",
        ("refused to unpickle 'posix.system'",),
        sentinel=True,
        files={"r.pkl": pickle.dumps([np.full(C, 0.25)] * 3), "a.pkl": "RUNS_CODE"},
    ),
    "ctrgcn-not-a-dict": Case(
        _imp("s.pkl", "ctrgcn", "--allow-pickle"),
        "s.pkl",
        ("holds a list", "dict from sample name"),
        files={"s.pkl": pickle.dumps([np.zeros(C)])},
    ),
    "ctrgcn-npz-not-one-hot": Case(
        _imp("s.pkl", "ctrgcn", "--allow-pickle", "--split-list", "NTU60_CS.npz"),
        "NTU60_CS.npz",
        ("'y_test' rows are not one-hot",),
        files={
            "s.pkl": pickle.dumps({"test_0": np.zeros(C), "test_1": np.zeros(C)}),
            "NTU60_CS.npz": {"y_test": np.ones((2, C))},
        },
    ),
    # the output path
    "output-stdout": Case(
        ["import", "--from", "csv", "s.csv", "-o", "-", "--stream", "rgb"],
        "-o -",
        ("cannot be written to standard output",),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows())},
    ),
    "output-below-a-file": Case(
        ["import", "--from", "csv", "s.csv", "-o", "s.csv/x.npz", "--stream", "rgb"],
        "s.csv/x.npz",
        ("s.csv is not a directory",),
        files={"s.csv": _csv(CSV_HEADER, _csv_rows())},
    ),
}


def _write(tmp: Path, name: str, content: Any, sentinel: Path) -> None:
    p = tmp / name
    if isinstance(content, dict):
        with open(p, "wb") as fh:
            np.savez(fh, **content)
    elif content == "RUNS_CODE":
        p.write_bytes(pickle.dumps({"v_a_g01_c01": _Runs(sentinel)}))
    elif content == "RUNS_CODE_NPZ":
        rows = _tsn_rows()
        rows[2, 0] = _Runs(sentinel)
        with open(p, "wb") as fh:
            np.savez(fh, scores=rows, labels=np.asarray(LABELS))
    elif content == "EVAL_CODE":
        code = f"__import__('os').system('touch {sentinel}')"
        p.write_bytes(_gdumps([_Reduce(_Global("builtins", "eval"), (code,))]))
    elif content == "ZIP_BOMB":
        with open(p, "wb") as fh:
            np.savez_compressed(fh, scores=np.zeros((N, S, 10_000, C)), labels=np.asarray(LABELS))
    elif isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)


ALL_CASES: dict[str, Callable[[Path], Case] | Case] = {
    **{f"load/{k}": v for k, v in LOAD_CASES.items()},
    **{f"import/{k}": v for k, v in IMPORT_CASES.items()},
}


def test_corpus_is_large_enough() -> None:
    assert len(LOAD_CASES) >= 30 and len(IMPORT_CASES) >= 30


@pytest.mark.parametrize("key", list(ALL_CASES))
def test_hostile_file(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    sentinel = tmp_path / "SENTINEL_created"
    spec = ALL_CASES[key]
    case = spec(tmp_path) if callable(spec) else spec
    for name, content in case.files.items():
        _write(tmp_path, name, content, sentinel)
    argv = list(case.argv)
    if argv[0] == "evaluate":
        argv += ["-o", "out.txt"]
    before = set(os.listdir(tmp_path))

    rc = cli.main(argv)

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert rc == 2, captured.err
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.isprintable() and line.startswith("fusionlab: error: ")
    assert "Traceback" not in captured.err and captured.out == ""
    assert case.names in line, line
    for word in case.problem:
        assert word in line, line
    assert set(os.listdir(tmp_path)) == before  # nothing written, no temporary left
    assert not sentinel.exists()


# --------------------------------------------------------------------------- property tests

_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples in every run (CI)
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@functools.cache
def _valid_files() -> dict[str, bytes]:
    """Bytes of two valid score files (uncompressed, compressed), made once."""
    mask = np.ones((N, S), bool)
    mask[1, 2] = False
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for compress in (False, True):
            p = Path(tmp) / f"v{int(compress)}.npz"
            scores.save(
                p,
                _softmax(RNG_LOGITS),
                [*LABELS[:4], -1],
                IDS,
                kind="prob",
                stream="rgb",
                class_names=CLASSES,
                segment_mask=mask,
                compress=compress,
                epoch=3,
                dataset="ucf101",
            )
            out[p.name] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutated")


def _assert_valid(s: scores.ScoreSet) -> None:
    n, segs, c = s.scores.shape
    assert n >= 1 and segs >= 1 and c >= 2
    assert s.labels.shape == (n,) and ((s.labels >= -1) & (s.labels < c)).all()
    assert len(set(s.video_ids.tolist())) == n
    valid = np.ones((n, segs), bool) if s.segment_mask is None else s.segment_mask
    assert np.isfinite(np.asarray(s.scores, dtype=np.float64)[valid]).all()


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    b = bytearray(data)
    for pos, value in edits:
        b[pos % len(b)] = value
    return bytes(b)


_EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=4)


@settings(_SETTINGS, max_examples=200)
@given(name=st.sampled_from(["v0.npz", "v1.npz"]), edits=_EDITS, rezip=st.booleans())
def test_mutated_npz_loads_or_raises_own_error(
    work: Path, name: str, edits: list[tuple[int, int]], rezip: bool
) -> None:
    p = work / "mutated.npz"
    data = _valid_files()[name]
    if rezip:  # mutate one member's .npy bytes and re-zip (valid CRCs): reaches the validator
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        key = sorted(members)[edits[0][0] % len(members)]
        members[key] = _mutate(members[key], [(pos % 160, v) for pos, v in edits])
        _zip(p, members)
    else:
        p.write_bytes(_mutate(data, edits))
    for kwargs in ({}, {"mmap": True}):
        try:
            s = scores.load(p, **kwargs)
        except FusionlabError:
            continue
        _assert_valid(s)


@functools.cache
def _valid_csv() -> bytes:
    rows = []
    for i, v in enumerate(VIDEOS):
        for seg in range(S):
            rows.append(
                f"{v},{LABELS[i]},{seg}," + ",".join(f"{x:.5f}" for x in RNG_LOGITS[i, seg])
            )
    return _csv("video_id,label,segment," + ",".join(CLASSES), rows).encode()


@_SETTINGS
@given(edits=_EDITS)
def test_mutated_csv_imports_or_raises_own_error(work: Path, edits: list[tuple[int, int]]) -> None:
    base = work
    src = base / "mutated.csv"
    src.write_bytes(_mutate(_valid_csv(), edits))
    try:
        s = importers.import_scores(src, source="csv", out=base / "mutated_csv.npz", stream="x")
    except FusionlabError:
        return
    _assert_valid(s)


@_SETTINGS
@given(edits=_EDITS, protocol=st.sampled_from([0, 2, 4]))
def test_mutated_pickle_imports_or_raises_own_error(
    work: Path, edits: list[tuple[int, int]], protocol: int
) -> None:
    base = work
    src = base / "mutated.pkl"
    src.write_bytes(_mutate(pickle.dumps(_twostream(), protocol=protocol), edits))
    try:
        s = importers.import_scores(
            src, source="twostream", out=base / "mutated_pkl.npz", stream="x", allow_pickle=True
        )
    except FusionlabError:
        return
    _assert_valid(s)
