"""Score files: round trip, validation details, alignment by id, grouping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import raw_arrays, write_raw

import fusionlab as fl
from fusionlab.errors import AlignmentError, ScoreFileError


def test_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 2, 3)).astype(np.float16)
    mask = np.array([[True, True], [True, False], [True, True], [True, True], [False, True]])
    s = fl.save(
        tmp_path / "sub" / "a.npz",
        scores,
        [0, 1, 2, -1, 0],
        ["a", "b", "c", "d", "e"],
        kind="logit",
        stream="flow",
        class_names=["x", "y", "z"],
        segment_mask=mask,
        dataset="ucf101",
        split="2",
        subset="val",
        epoch=7,
        model="bn-inception",
    )
    t = fl.load(tmp_path / "sub" / "a.npz")
    for u in (s, t):
        assert u.scores.dtype == np.float16
        np.testing.assert_array_equal(u.scores, scores)
        np.testing.assert_array_equal(u.labels, [0, 1, 2, -1, 0])
        np.testing.assert_array_equal(u.segment_mask, mask)
        assert u.stream == "flow" and u.kind == "logit" and u.epoch == 7
        assert u.eval_key == ("ucf101", "2", "val")
        assert u.meta["model"] == "bn-inception" and u.meta["version"] == 1
    with np.load(tmp_path / "sub" / "a.npz", allow_pickle=False) as z:
        assert json.loads(str(z["meta"]))["format"] == "fusionlab.scores"
    assert list(tmp_path.joinpath("sub").iterdir()) == [tmp_path / "sub" / "a.npz"]  # no temp left


def test_two_dimensional_scores_read_as_one_segment(tmp_path: Path) -> None:
    a = raw_arrays()
    a["scores"] = a["scores"][:, 0, :]
    s = fl.load(write_raw(tmp_path / "a.npz", a))
    assert s.scores.shape == (12, 1, 4)


def test_save_refuses_invalid_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ScoreFileError, match="duplicate video id"):
        fl.save(
            tmp_path / "a.npz",
            np.full((2, 3), 1 / 3),
            [0, 1],
            ["a", "a"],
            kind="prob",
            stream="rgb",
        )
    assert not any(tmp_path.iterdir())


def test_log_probs_per_kind() -> None:
    logits = np.array([[[1.0, 2.0, 3.0]]])
    lp = logits - np.log(np.exp(logits).sum())
    for kind, scores in (("logit", logits), ("prob", np.exp(lp)), ("logprob", lp)):
        s = fl.scores.build(scores, [0], ["v"], kind=kind, stream="rgb")  # type: ignore[arg-type]
        np.testing.assert_allclose(s.log_probs(), lp, atol=1e-12)


def test_float16_probabilities_use_wider_tolerance() -> None:
    p = np.full((1, 7), 1 / 7, dtype=np.float16)
    fl.scores.build(p, [0], ["v"], kind="prob", stream="rgb")  # sums to 1.0005 in float16


def test_masked_segments_are_not_validated() -> None:
    p = np.full((2, 2, 3), 1 / 3)
    p[1, 1] = np.nan
    s = fl.scores.build(
        p, [0, 1], ["a", "b"], kind="prob", stream="rgb", segment_mask=[[True, True], [True, False]]
    )
    assert np.isfinite(s.log_probs()).all()


def _set(ids: list[str], labels: list[int], stream: str, c: int = 3) -> fl.ScoreSet:
    scores = np.eye(c)[np.array(labels) % c] * 0.5 + 0.5 / c
    return fl.scores.build(scores, labels, ids, kind="prob", stream=stream, path=f"{stream}.npz")


def test_align_by_id_never_by_position() -> None:
    a = _set(["a", "b", "c"], [0, 1, 2], "rgb")
    b = _set(["c", "a", "b"], [2, 0, 1], "flow")
    (x, y), rep = fl.align([a, b])
    np.testing.assert_array_equal(y.video_ids, ["a", "b", "c"])
    np.testing.assert_array_equal(y.labels, x.labels)
    np.testing.assert_array_equal(y.scores, a.scores)  # same scores as a, row for row
    assert rep.n_dropped == 0


def test_align_unknown_labels_merge() -> None:
    a = _set(["a", "b"], [0, -1], "rgb")
    b = _set(["a", "b"], [-1, 2], "flow")
    ev = fl.group([a, b])[0]
    np.testing.assert_array_equal(ev.labels, [0, 2])


def test_align_class_names_disagree() -> None:
    a = fl.scores.build(
        np.full((1, 2), 0.5),
        [0],
        ["v"],
        kind="prob",
        stream="rgb",
        class_names=["run", "walk"],
        path="a.npz",
    )
    b = fl.scores.build(
        np.full((1, 2), 0.5),
        [0],
        ["v"],
        kind="prob",
        stream="flow",
        class_names=["run", "jump"],
        path="b.npz",
    )
    with pytest.raises(AlignmentError, match="class 1 is named 'jump'"):
        fl.align([a, b])


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"v{i:03d}" for i in range(start, start + n)]


def _align_error(*sets: fl.ScoreSet) -> str:
    with pytest.raises(AlignmentError) as exc:
        fl.align(list(sets))
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_align_error_names_the_odd_file_not_a_majority_file() -> None:
    """Two of three files agree; the third lacks 5 videos and has 2 of its own."""
    ids = _ids(20)
    rgb = _set(ids, [0] * 20, "rgb")
    audio = _set([*ids[5:], "x1", "x2"], [0] * 17, "audio")
    flow = _set(ids, [0] * 20, "flow")
    msg = _align_error(rgb, audio, flow)
    assert msg.startswith("audio.npz: video ids differ from those of the other 2 files ")
    assert "(rgb.npz, flow.npz; the same 20 videos in each)" in msg
    assert "audio.npz has 17 videos, 5 missing (e.g. 'v000', 'v001', 'v002'), " in msg
    assert "2 extra ('x1', 'x2'); 15 common; pass --allow-partial" in msg


def test_align_error_names_every_odd_file_against_the_majority() -> None:
    ids = _ids(10)
    sets = [_set(ids, [0] * 10, s) for s in ("a", "b", "c")]
    short = _set(ids[2:], [0] * 8, "d")
    longer = _set([*ids, "z"], [0] * 11, "e")
    msg = _align_error(sets[0], short, sets[1], longer, sets[2])
    assert msg.startswith("d.npz, e.npz: video ids differ from those of the other 3 files")
    assert "d.npz has 8 videos, 2 missing ('v000', 'v001'), 0 extra" in msg
    assert "e.npz has 11 videos, 0 missing, 1 extra ('z')" in msg


@pytest.mark.parametrize("smaller_first", [True, False])
def test_align_error_two_files_names_the_one_with_fewer_videos(smaller_first: bool) -> None:
    big = _set(_ids(12), [0] * 12, "rgb")
    small = _set(_ids(9, start=2), [0] * 9, "flow")  # lacks v000, v001; has nothing else
    msg = _align_error(*((small, big) if smaller_first else (big, small)))
    assert msg.startswith(
        "flow.npz: video ids differ from those of rgb.npz (12 videos): flow.npz has 9 "
        "videos, 3 missing ('v000', 'v001', 'v011'), 0 extra; 9 common"
    )


def test_align_error_two_files_both_sides_have_their_own_videos() -> None:
    a = _set(_ids(10), [0] * 10, "rgb")  # v000..v009
    b = _set(_ids(8, start=4), [0] * 8, "flow")  # v004..v011
    msg = _align_error(a, b)
    assert msg.startswith("flow.npz: video ids differ from those of rgb.npz (10 videos)")
    assert "flow.npz has 8 videos, 4 missing (e.g. 'v000', 'v001', 'v002'), " in msg
    assert "2 extra ('v010', 'v011'); 6 common" in msg
    same_size = _set(_ids(10, start=3), [0] * 10, "flow")
    msg = _align_error(a, same_size)
    assert msg.startswith("rgb.npz, flow.npz: video ids differ: 10 videos in each, ")
    assert "3 only in rgb.npz ('v000', 'v001', 'v002')" in msg
    assert "3 only in flow.npz ('v010', 'v011', 'v012'); 7 common" in msg


def test_align_error_without_majority_lists_every_file() -> None:
    a = _set(_ids(9), [0] * 9, "a")  # v000..v008
    b = _set(_ids(10, start=1), [0] * 10, "b")  # v001..v010
    c = _set(_ids(10, start=2), [0] * 10, "c")  # v002..v011
    msg = _align_error(c, b, a)
    assert msg.startswith("c.npz, b.npz, a.npz: video ids differ, and no more than half")
    assert (
        "a.npz has 9 videos, 3 missing that other files have ('v009', 'v010', 'v011'), "
        "1 only in a.npz ('v000'); c.npz has 10" in msg
    )
    assert "c.npz has 10 videos, 2 missing that other files have ('v000', 'v001')" in msg
    assert "b.npz has 10 videos, 2 missing that other files have ('v000', 'v011'), 0 only" in msg
    # fewest videos first, then in the order given
    assert msg.index("a.npz has") < msg.index("c.npz has") < msg.index("b.npz has")


def test_align_error_no_common_video_gives_counts_and_ids() -> None:
    a = _set(_ids(5), [0] * 5, "rgb")
    b = _set(["w1", "w2"], [0, 0], "flow")
    msg = _align_error(a, b)
    assert msg == (
        "no video id is common to all of: rgb.npz (5 videos, e.g. 'v000', 'v001', 'v002'); "
        "flow.npz (2 videos, 'w1', 'w2')"
    )
    msg = _align_error(a, b, _set(_ids(5), [0] * 5, "audio"))
    assert msg == (
        "no video id is common to all of: flow.npz (2 videos, 'w1', 'w2'); "
        "rgb.npz, audio.npz (the same 5 videos in each, e.g. 'v000', 'v001', 'v002')"
    )


def test_group_by_dataset_split_subset_and_epochs(tmp_path: Path) -> None:
    files = []
    for split in ("1", "2"):
        for stream in ("flow", "rgb"):
            for epoch in (3, 9):
                files.append(
                    write_raw(
                        tmp_path / f"{split}{stream}{epoch}.npz",
                        raw_arrays(stream=stream, split=split, epoch=epoch),
                    )
                )
    evs = fl.group([fl.load(f) for f in files])
    assert [e.name for e in evs] == ["toy/split1/test", "toy/split2/test"]
    assert evs[0].streams == ["rgb", "flow"]  # well-known streams first
    assert evs[0].epochs("rgb") == [3, 9]
    assert evs[0].latest("flow").epoch == 9


def test_group_duplicate_stream_epoch(tmp_path: Path) -> None:
    f1 = write_raw(tmp_path / "a.npz", raw_arrays())
    f2 = write_raw(tmp_path / "b.npz", raw_arrays())
    with pytest.raises(AlignmentError, match="also given by"):
        fl.group([fl.load(f1), fl.load(f2)])


def test_results_do_not_depend_on_row_or_file_order(tmp_path: Path) -> None:
    """Found in review: bootstrap resamples and folds followed the first file's row order."""
    from fusionlab.evaluate import EvaluateOptions, evaluate
    from fusionlab.render import format_results

    rgb = raw_arrays(n=30, seed=1)
    flow = raw_arrays(n=30, seed=2, stream="flow")
    perm = np.random.default_rng(0).permutation(30)
    flow_perm = {
        k: (v[perm] if k in ("scores", "labels", "video_ids") else v) for k, v in flow.items()
    }
    a = [fl.load(write_raw(tmp_path / n, arr)) for n, arr in (("r.npz", rgb), ("f.npz", flow))]
    b = [
        fl.load(write_raw(tmp_path / n, arr)) for n, arr in (("fp.npz", flow_perm), ("r2.npz", rgb))
    ]
    opts = EvaluateOptions(bootstrap=200, repeats=2)
    out = [
        json.loads(format_results(evaluate(fl.group(s), options=opts, progress=False), "json"))
        for s in (a, b)
    ]
    for doc in out:  # the inputs' paths and checksums differ; everything computed may not
        doc["meta"].pop("files")
        for ev in doc["meta"]["evaluations"]:
            assert sorted(ev.pop("dropped").values()) == [0, 0]
    assert out[0] == out[1]


def test_class_names_checked_even_when_first_file_has_none() -> None:
    plain = fl.scores.build(
        np.full((1, 2), 0.5), [0], ["v"], kind="prob", stream="audio", path="x.npz"
    )
    a = fl.scores.build(
        np.full((1, 2), 0.5),
        [0],
        ["v"],
        kind="prob",
        stream="rgb",
        class_names=["run", "walk"],
        path="a.npz",
    )
    b = fl.scores.build(
        np.full((1, 2), 0.5),
        [0],
        ["v"],
        kind="prob",
        stream="flow",
        class_names=["walk", "run"],
        path="b.npz",
    )
    with pytest.raises(AlignmentError, match=r"b\.npz: class 0 is named 'walk'"):
        fl.align([plain, a, b])


def test_colliding_evaluation_names_are_disambiguated(tmp_path: Path) -> None:
    a = fl.load(write_raw(tmp_path / "a.npz", raw_arrays(split="1")))
    b = fl.load(write_raw(tmp_path / "b.npz", raw_arrays(split="split1")))
    names = [e.name for e in fl.group([a, b])]
    assert names == ["dataset=toy/split=1/subset=test", "dataset=toy/split=split1/subset=test"]
    assert fl.group([a])[0].name == "toy/split1/test"
