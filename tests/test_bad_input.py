"""Bad inputs of the foundation issue: one line on stderr naming the file, exit 2, no output."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import raw_arrays, write_raw

from fusionlab import cli


def _meta(**kw: Any) -> np.ndarray:
    m = {
        "format": "fusionlab.scores",
        "version": 1,
        "stream": "rgb",
        "kind": "prob",
        "dataset": "toy",
        "split": "1",
        "subset": "test",
    }
    m.update(kw)
    return np.array(json.dumps(m))


def _case_missing(tmp: Path) -> tuple[list[str], str]:
    return [str(tmp / "nope.npz")], "no such file"


def _case_not_zip(tmp: Path) -> tuple[list[str], str]:
    p = tmp / "text.npz"
    p.write_text("hello, I am not a zip\n")
    return [str(p)], "not an npz file"


def _case_truncated(tmp: Path) -> tuple[list[str], str]:
    p = write_raw(tmp / "t.npz", raw_arrays())
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return [str(p)], "truncated or corrupt npz"


def _one(tmp: Path, name: str = "bad.npz", drop: tuple[str, ...] = (), **replace: Any) -> list[str]:
    a = raw_arrays()
    for k in drop:
        a.pop(k)
    a.update(replace)
    return [str(write_raw(tmp / name, a))]


def _pickled(tmp: Path) -> tuple[list[str], str]:
    p = tmp / "pickled.npz"
    a = raw_arrays()
    obj = np.empty(a["scores"].shape[0], dtype=object)
    obj[:] = [np.zeros(3)] * len(obj)
    a["scores"] = obj
    with open(p, "wb") as fh:
        np.savez(fh, allow_pickle=True, **a)
    return [str(p)], "pickled data"


def _pickle_member(tmp: Path) -> tuple[list[str], str]:
    # a zip whose member is a raw pickle (what a malicious file could contain)
    import zipfile

    p = tmp / "evil.npz"
    with zipfile.ZipFile(p, "w") as z:
        for key in ("scores", "labels", "video_ids", "meta"):
            z.writestr(f"{key}.npy", pickle.dumps({"x": 1}))
    return [str(p)], "is not a .npy array"


def _prob_rows(tmp: Path) -> tuple[list[str], str]:
    a = raw_arrays()
    a["scores"] = a["scores"] * 1.5
    return [str(write_raw(tmp / "sum.npz", a))], "probabilities sum"


def _neg(tmp: Path) -> tuple[list[str], str]:
    a = raw_arrays()
    a["scores"][0, 0, 0] = -0.2
    a["scores"][0, 0, 1] += 0.2
    return [str(write_raw(tmp / "neg.npz", a))], "negative probability"


def _nan(tmp: Path) -> tuple[list[str], str]:
    a = raw_arrays()
    a["scores"][3, 1, 2] = np.nan
    return [str(write_raw(tmp / "nan.npz", a))], "non-finite"


def _inf(tmp: Path) -> tuple[list[str], str]:
    a = raw_arrays(kind="logit")
    a["scores"][3, 1, 2] = np.inf
    return [str(write_raw(tmp / "inf.npz", a))], "non-finite"


def _two_streams(tmp: Path, rgb: dict[str, Any], flow: dict[str, Any]) -> list[str]:
    return [str(write_raw(tmp / "rgb.npz", rgb)), str(write_raw(tmp / "flow.npz", flow))]


def _class_mismatch(tmp: Path) -> tuple[list[str], str]:
    return _two_streams(tmp, raw_arrays(), raw_arrays(c=5, stream="flow")), "classes"


def _label_disagree(tmp: Path) -> tuple[list[str], str]:
    f = raw_arrays(stream="flow")
    f["labels"] = f["labels"].copy()
    f["labels"][5] = (f["labels"][5] + 1) % 4
    return _two_streams(tmp, raw_arrays(), f), "label of video 'vid005'"


def _no_common(tmp: Path) -> tuple[list[str], str]:
    f = raw_arrays(stream="flow")
    f["video_ids"] = np.array([f"other{i}" for i in range(12)])
    files = _two_streams(tmp, raw_arrays(), f)
    return files, (
        f"no video id is common to all of: {files[0]} (12 videos, e.g. 'vid000', 'vid001', "
        f"'vid002'); {files[1]} (12 videos, e.g. 'other0', 'other1', 'other10')"
    )


def _partial(tmp: Path) -> tuple[list[str], str]:
    f = raw_arrays(stream="flow")
    f = {k: (v[:10] if k in ("scores", "labels", "video_ids") else v) for k, v in f.items()}
    files = _two_streams(tmp, raw_arrays(), f)
    return files, (
        f"{files[1]}: video ids differ from those of {files[0]} (12 videos): {files[1]} has 10 "
        "videos, 2 missing ('vid010', 'vid011'), 0 extra; 10 common; pass --allow-partial"
    )


def _odd_of_three(tmp: Path) -> tuple[list[str], str]:
    """rgb and flow agree; the middle file (audio) lacks three and has one of its own."""
    a = raw_arrays(stream="audio")
    keep = np.r_[0:5, 8:12]
    a = {k: (v[keep] if k in ("scores", "labels", "video_ids") else v) for k, v in a.items()}
    a["video_ids"] = a["video_ids"].copy()
    a["video_ids"][0] = "extra0"
    rgb = write_raw(tmp / "rgb.npz", raw_arrays())
    odd = write_raw(tmp / "audio.npz", a)
    flow = write_raw(tmp / "flow.npz", raw_arrays(stream="flow"))
    return [str(rgb), str(odd), str(flow)], (
        f"{odd}: video ids differ from those of the other 2 files ({rgb}, {flow}; the same 12 "
        f"videos in each): {odd} has 9 videos, 4 missing (e.g. 'vid000', 'vid005', 'vid006'), "
        "1 extra ('extra0'); 8 common"
    )


def _glob(tmp: Path) -> tuple[list[str], str]:
    return [str(tmp / "nothing-*.npz")], "matched no file"


CASES = {
    "missing file": _case_missing,
    "not a zip": _case_not_zip,
    "truncated npz": _case_truncated,
    "missing key": lambda t: (_one(t, drop=("labels",)), "missing required key 'labels'"),
    "object array": _pickled,
    "pickle member": _pickle_member,
    "1-d scores": lambda t: (_one(t, scores=np.zeros(12, np.float32)), "1 dimensions"),
    "4-d scores": lambda t: (_one(t, scores=np.zeros((12, 3, 4, 1), np.float32)), "4 dimensions"),
    "int scores": lambda t: (_one(t, scores=np.zeros((12, 3, 4), np.int32)), "must be float"),
    "nan score": _nan,
    "inf score": _inf,
    "negative prob": _neg,
    "rows not summing to 1": _prob_rows,
    "label out of range": lambda t: (_one(t, labels=np.arange(12) % 4 + 1), "out of range"),
    "label below -1": lambda t: (_one(t, labels=np.full(12, -3)), "out of range"),
    "float labels": lambda t: (_one(t, labels=np.zeros(12)), "must be integers"),
    "labels wrong length": lambda t: (_one(t, labels=np.zeros(11, np.int64)), "shape"),
    "duplicate id": lambda t: (
        _one(t, video_ids=np.array(["a"] * 2 + [f"v{i}" for i in range(10)])),
        "duplicate video id 'a'",
    ),
    "empty id": lambda t: (
        _one(t, video_ids=np.array([""] + [f"v{i}" for i in range(11)])),
        "empty video id",
    ),
    "bytes ids": lambda t: (
        _one(t, video_ids=np.array([b"v%d" % i for i in range(12)])),
        "str array",
    ),
    "bad meta json": lambda t: (_one(t, meta=np.array("{not json")), "not valid JSON"),
    "meta not object": lambda t: (_one(t, meta=np.array("[1, 2]")), "JSON object"),
    "unknown format": lambda t: (_one(t, meta=_meta(format="other.scores")), "unknown meta format"),
    "unknown version": lambda t: (_one(t, meta=_meta(version=2)), "unsupported format version 2"),
    "unknown kind": lambda t: (_one(t, meta=_meta(kind="softmax")), "meta 'kind'"),
    "no stream": lambda t: (_one(t, meta=_meta(stream="")), "meta 'stream'"),
    "mask shape": lambda t: (_one(t, segment_mask=np.ones((12, 2), bool)), "segment_mask"),
    "mask empty row": lambda t: (
        _one(t, segment_mask=np.vstack([np.zeros((1, 3), bool), np.ones((11, 3), bool)])),
        "no valid segment",
    ),
    "class count mismatch": _class_mismatch,
    "label disagreement": _label_disagree,
    "no common video": _no_common,
    "partial overlap": _partial,
    "odd file of three": _odd_of_three,
    "glob matched nothing": _glob,
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_one_line_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, expected = CASES[case](tmp_path)
    out = tmp_path / "out" / "table.json"
    rc = cli.main(["evaluate", *files, "--format", "json", "--output", str(out), "-q"])
    captured = capsys.readouterr()
    assert rc == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert expected in lines[0]
    # the message names a file involved (or the pattern)
    assert any(Path(f).name in lines[0] for f in files)
    assert not out.exists()
    assert captured.out == ""


def test_partial_overlap_allowed_reports_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, _ = _partial(tmp_path)
    rc = cli.main(["evaluate", *files, "--allow-partial", "--format", "json", "--bootstrap", "0"])
    captured = capsys.readouterr()
    assert rc == 0
    doc = json.loads(captured.out)
    assert {r["n_videos"] for r in doc["accuracy"] + doc["tuned"]} == {10}
    assert sorted(doc["meta"]["evaluations"][0]["dropped"].values()) == [0, 2]
    assert "dropped 2 from" in captured.err


def test_real_process_exit_status(tmp_path: Path) -> None:
    """Through the real interpreter: status 2, one line, no traceback."""
    p = tmp_path / "bad.npz"
    p.write_bytes(b"PK\x03\x04 truncated")
    proc = subprocess.run(
        [sys.executable, "-m", "fusionlab.evaluate", str(p)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "bad.npz" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["evaluate", "x.npz", "--domain", "sideways"])
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_output_is_directory(
    make_file: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = make_file()
    rc = cli.main(["evaluate", str(f), "--output", str(tmp_path), "-q"])
    assert rc == 2
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"meta": "stream_newline"}, "printable"),
        ({"meta": "version_true"}, "unsupported format version True"),
        ({"labels": "uint64_huge"}, "out of range"),
    ],
)
def test_more_bad_meta_and_labels(
    replace: dict[str, str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found in review: these once passed validation or wrapped around."""
    a = raw_arrays()
    kind = next(iter(replace.values()))
    if kind == "stream_newline":
        a["meta"] = _meta(stream="rgb\nflow")
    elif kind == "version_true":
        a["meta"] = _meta(version=True)
    else:
        a["labels"] = np.full(12, 2**64 - 1, dtype=np.uint64)
    f = write_raw(tmp_path / "odd.npz", a)
    assert cli.main(["evaluate", str(f), "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err and "odd.npz" in err and len(err.strip().splitlines()) == 1


def test_output_to_a_device_is_written_not_replaced(make_file: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    import os
    import threading

    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert cli.main(["evaluate", str(make_file()), "--format", "csv", "-o", str(fifo), "-q"]) == 0
    reader.join(timeout=30)
    assert got and got[0].startswith("evaluation,")
    assert fifo.is_fifo()
