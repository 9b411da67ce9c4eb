"""Grouped videos (``--groups``): presets, regex, CSV, cluster bootstrap and group folds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from fusionlab import cli, groups, learned, search
from fusionlab.errors import UsageError
from fusionlab.evaluate import EvaluateOptions, evaluate_files
from fusionlab.jsonio import schema
from fusionlab.render import format_results
from fusionlab.scores import save

N_GROUPS, PER_GROUP, N_CLASSES = 48, 5, 6


def _grouped_scores(tmp_path: Path, *, seed: int = 0) -> list[str]:
    """Two streams on UCF101-like ids with a strong group effect.

    Each group (source clip) belongs to one class and is, for each stream,
    either easy (the stream favours the true class) or hard (it does not), so
    correctness is strongly correlated within a group.
    """
    rng = np.random.default_rng(seed)
    ids, labels = [], []
    for g in range(N_GROUPS):
        for c in range(PER_GROUP):
            ids.append(f"v_Class{g % N_CLASSES}_g{g:02d}_c{c + 1:02d}")
            labels.append(g % N_CLASSES)
    y = np.array(labels)
    n = y.size
    out = []
    for stream in ("rgb", "flow"):
        easy = rng.random(N_GROUPS) < 0.6  # each stream finds its own groups easy
        boost = np.repeat(np.where(easy, 3.0, -3.0), PER_GROUP)
        z = rng.normal(0, 1.0, size=(n, 2, N_CLASSES))
        z[np.arange(n), :, y] += boost[:, None] + 1.0
        p = tmp_path / f"{stream}.npz"
        save(p, z, y, ids, kind="logit", stream=stream, dataset="ucf-like", split="1")
        out.append(str(p))
    return out


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    return _grouped_scores(tmp_path)


def _mean_width(rows: list[dict[str, Any]]) -> float:
    return float(np.mean([r["top1_ci_high"] - r["top1_ci_low"] for r in rows]))


# ----------------------------------------------------------------- ids -> groups


UCF = [
    "v_ApplyEyeMakeup_g08_c01",
    "v_ApplyEyeMakeup_g08_c02",
    "v_ApplyEyeMakeup_g09_c01",
    "v_HandStandPushups_g01_c03",
    "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c05",
    "v_YoYo_g25_c05",
    "Drumming_g02_c01",  # a v_ prefix stripped by another tool
]
HMDB = [
    "April_09_brush_hair_u_nm_np1_ba_goo_0",
    "April_09_brush_hair_u_nm_np1_ba_goo_1",
    "brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_2",
    "Aussie_Brunette_Brushing_Long_Hair_brush_hair_u_nm_np1_ba_med_3",
    "_20_Rhythm_clap_u_nm_np1_fr_goo_0",
    "brush_hair/100",  # numbered: nothing but the counter would be left
]


def test_ucf101_preset_on_real_names() -> None:
    assert groups.group_names(UCF, "ucf101") == [
        "ApplyEyeMakeup_g08",
        "ApplyEyeMakeup_g08",
        "ApplyEyeMakeup_g09",
        "HandStandPushups_g01",
        "ApplyEyeMakeup_g08",
        "YoYo_g25",
        "Drumming_g02",
    ]
    codes = groups.group_codes(UCF, "ucf101")
    assert codes.dtype == np.int64 and codes.shape == (len(UCF),)
    assert codes[0] == codes[1] == codes[4] != codes[2]
    assert len(set(codes.tolist())) == 5


def test_hmdb51_preset_on_real_names() -> None:
    assert groups.group_names(HMDB, "hmdb51") == [
        "April_09_brush_hair_u_nm_np1_ba_goo",
        "April_09_brush_hair_u_nm_np1_ba_goo",
        "April_09_brush_hair_u_nm_np1_ba_goo",
        "Aussie_Brunette_Brushing_Long_Hair_brush_hair_u_nm_np1_ba_med",
        "_20_Rhythm_clap_u_nm_np1_fr_goo",
        "brush_hair/100",
    ]


def test_auto_preset_mixes_and_ucf101_refuses_other_names() -> None:
    names = groups.group_names([UCF[0], HMDB[0]], "auto")
    assert names == ["ApplyEyeMakeup_g08", "April_09_brush_hair_u_nm_np1_ba_goo"]
    with pytest.raises(UsageError, match="April_09_brush_hair_u_nm_np1_ba_goo_0"):
        groups.group_names(HMDB, "ucf101")


def test_regex_named_first_and_whole_match() -> None:
    ids = ["P01_101_a", "P01_102_b", "P02_001_c"]
    assert groups.group_names(ids, r"_(?P<group>\d)\d\d_") == ["1", "1", "0"]
    assert groups.group_names(ids, r"^(P\d+)_") == ["P01", "P01", "P02"]
    assert groups.group_names(ids, r"^P\d+") == ["P01", "P01", "P02"]
    assert groups.group_codes(ids, ".+").tolist() == [0, 1, 2]
    with pytest.raises(UsageError, match="'P02_001_c'"):
        groups.group_names(ids, r"^P01")
    with pytest.raises(UsageError, match="not a valid regular expression"):
        EvaluateOptions(groups="(unclosed")


def test_codes_do_not_depend_on_video_order() -> None:
    a = groups.video_groups(UCF, "ucf101")
    b = groups.video_groups(UCF[::-1], "ucf101")
    assert a.names == b.names
    assert a.codes.tolist() == b.codes[::-1].tolist()


def test_csv_groups_header_optional(tmp_path: Path) -> None:
    ids = ["v_A_g01_c01", "v_A_g01_c02", "v_B_g03_c01"]
    with_header = tmp_path / "g.csv"
    with_header.write_text("video_id,group\nv_A_g01_c01,x\nA/v_A_g01_c02.avi,x\nv_B_g03_c01,y\n")
    bare = tmp_path / "bare.csv"
    bare.write_text("v_A_g01_c01,x\nv_A_g01_c02,x\nv_B_g03_c01,y\nv_extra_g09_c09,z\n")
    assert groups.group_names(ids, str(with_header)) == ["x", "x", "y"]
    assert groups.group_codes(ids, str(bare)).tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("video_id,group\nv_A_g01_c01,x\nv_A_g01_c02,x\n", "no group for video 'v_B_g03_c01'"),
        ("v_A_g01_c01,x,extra\n", "line 1: expected video_id,group"),
        ("v_A_g01_c01,\n", "line 1: expected video_id,group"),
        ("v_A_g01_c01,x\nv_A_g01_c01,y\n", "given two groups"),
        ("video_id,group\n", "no video_id,group rows"),
    ],
)
def test_csv_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "groups.csv"
    p.write_text(text)
    with pytest.raises(UsageError, match=message) as e:
        groups.group_names(["v_A_g01_c01", "v_A_g01_c02", "v_B_g03_c01"], str(p))
    assert str(p) in str(e.value) and "\n" not in str(e.value)


# ----------------------------------------------------------------- folds


def test_group_folds_never_split_a_group_and_are_seeded() -> None:
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(40), rng.integers(1, 9, 40))
    y = (g * 7) % 4
    fo = search.stratified_folds(y, folds=5, repeats=3, seed=4, groups=g)
    for r in range(3):
        for k in np.unique(g):
            assert np.unique(fo.ids[r, g == k]).size == 1
        assert np.unique(fo.ids[r]).size == 5  # no fold is empty
        per_class = [np.bincount(y[fo.ids[r] == f], minlength=4) for f in range(5)]
        # stratified as far as groups allow: every fold holds every class
        assert all((c > 0).all() for c in per_class)
    again = search.stratified_folds(y, folds=5, repeats=3, seed=4, groups=g)
    assert np.array_equal(fo.ids, again.ids)
    assert not np.array_equal(fo.ids[0], fo.ids[1])  # repeats differ (seed + r)
    assert "group" in fo.note
    with pytest.raises(UsageError, match="at least folds=5 groups, got 3"):
        search.group_folds(y[:6], np.array([0, 0, 1, 1, 2, 2]), folds=5)


def test_group_folds_with_singleton_groups_stratify_like_kfold() -> None:
    y = np.repeat(np.arange(3), 10)
    f = search.group_folds(y, np.arange(30), folds=5, seed=0)
    assert all(np.bincount(y[f == k]).tolist() == [2, 2, 2] for k in range(5))


def test_grid_and_learned_cross_fit_by_group(files: list[str]) -> None:
    from fusionlab.scores import group as group_sets
    from fusionlab.scores import load

    (ev,) = group_sets([load(p) for p in files])
    comp = search.components(ev, over="streams", domain="logit")
    codes = groups.group_codes(ev.video_ids, "ucf101")
    g = search.grid_search(
        comp.x, comp.y, domain="logit", step=0.1, folds=5, repeats=2, groups=codes, curve=False
    )
    lf = learned.learned_fusion(comp.x, comp.y, folds=5, repeats=2, groups=codes)
    for fo in (g.folds, lf.folds):
        assert fo is not None
        for r in range(2):
            for k in np.unique(codes):
                assert np.unique(fo.ids[r, codes == k]).size == 1
    assert any("never split a group" in n for n in g.notes)


def test_pipeline_threads_groups_into_the_folds(
    files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fusionlab.search import crossfit

    seen: list[tuple[np.ndarray, np.ndarray]] = []
    real = crossfit.group_folds

    def spy(y: Any, g: Any, **kw: Any) -> np.ndarray:
        out = real(y, g, **kw)
        seen.append((np.asarray(g), out))
        return out

    monkeypatch.setattr(crossfit, "group_folds", spy)
    opts = EvaluateOptions(groups="ucf101", bootstrap=50, repeats=1, domains=("logit",))
    evaluate_files(files, options=opts, progress=False)
    assert seen  # grid and learned rows cross-fitted by group
    for g, f in seen:
        assert g.size == N_GROUPS * PER_GROUP
        assert all(np.unique(f[g == k]).size == 1 for k in np.unique(g))


# ----------------------------------------------------------------- cluster bootstrap


def test_grouped_intervals_are_wider_with_a_group_effect(files: list[str]) -> None:
    base = {"bootstrap": 400, "seed": 1, "domains": ("logit",)}
    plain = evaluate_files(files, options=EvaluateOptions(**base), progress=False)
    grouped = evaluate_files(
        files, options=EvaluateOptions(**base, groups="ucf101"), progress=False
    )
    rule_rows = [r for r in plain.records if r["spec"] is not None]
    rule_rows_g = [r for r in grouped.records if r["spec"] is not None]
    assert [r["top1"] for r in rule_rows] == [r["top1"] for r in rule_rows_g]  # same point values
    assert _mean_width(rule_rows_g) > 1.5 * _mean_width(rule_rows)
    tuned = [r for r in plain.records if r["spec"] is None]
    tuned_g = [r for r in grouped.records if r["spec"] is None]
    assert tuned and _mean_width(tuned_g) > 1.5 * _mean_width(tuned)
    diffs = [r["diff_ci_high"] - r["diff_ci_low"] for r in tuned]
    diffs_g = [r["diff_ci_high"] - r["diff_ci_low"] for r in tuned_g]
    assert np.mean(diffs_g) > np.mean(diffs)
    info = grouped.extra["groups"]["ucf-like/split1"]
    assert info["n_groups"] == N_GROUPS and info["n_videos"] == N_GROUPS * PER_GROUP
    assert info["mean_ci_width_grouped"] == pytest.approx(_mean_width(rule_rows_g))
    assert info["mean_ci_width_plain"] == pytest.approx(_mean_width(rule_rows), rel=0.1)
    assert info["widening"] > 1.5
    assert "groups" not in plain.extra


def test_singleton_groups_give_the_plain_width(files: list[str]) -> None:
    opts = EvaluateOptions(bootstrap=2000, seed=2, domains=("logit",), tuned="never")
    plain = evaluate_files(files, options=opts, progress=False)
    single = evaluate_files(
        files,
        options=EvaluateOptions(
            bootstrap=2000, seed=2, domains=("logit",), tuned="never", groups=".+"
        ),
        progress=False,
    )
    info = single.extra["groups"]["ucf-like/split1"]
    assert info["n_groups"] == N_GROUPS * PER_GROUP
    assert info["widening"] == pytest.approx(1.0, abs=0.06)
    assert _mean_width(single.records) == pytest.approx(_mean_width(plain.records), rel=0.06)


def test_rows_stay_paired_under_groups(files: list[str]) -> None:
    """One set of group resamples per evaluation: equal rows get equal intervals."""
    res = evaluate_files(
        files, options=EvaluateOptions(groups="ucf101", bootstrap=300), progress=False
    )

    def row(fusion: str) -> dict[str, Any]:
        (r,) = [
            r
            for r in res.records
            if r["level"] == "two-level"
            and r["fusion"] == fusion
            and r["domain"] == "logit"
            and r["weights"] in (None, [1.0, 1.0])
        ]
        return r

    mean, w11 = row("mean"), row("weighted")  # the same fusion, two rows
    assert (mean["top1_ci_low"], mean["top1_ci_high"]) == (w11["top1_ci_low"], w11["top1_ci_high"])


# ----------------------------------------------------------------- outputs and CLI


def test_outputs_state_the_groups(files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", *files, "--groups", "ucf101", "--bootstrap", "200", "--tuned", "never"]
    assert cli.main([*argv, "--format", "json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, schema("evaluate"))
    assert doc["schema"] == 1
    meta = doc["meta"]["groups"]["ucf-like/split1"]
    assert meta["spec"] == "ucf101" and meta["kind"] == "preset"
    assert meta["n_groups"] == N_GROUPS and meta["widening"] > 1
    assert doc["meta"]["options"]["groups"] == "ucf101"
    for fmt in ("table", "markdown"):
        assert cli.main([*argv, "--format", fmt, "-q"]) == 0
        out = capsys.readouterr().out
        assert f"intervals resample {N_GROUPS} groups of {N_GROUPS * PER_GROUP} videos" in out
        assert "(cluster bootstrap, preset ucf101)" in out and "as wide as the plain" in out
    res = evaluate_files(files, options=EvaluateOptions(bootstrap=0, tuned="never"), progress=False)
    assert "groups" not in json.loads(format_results(res, "json"))["meta"]


def test_report_notes_state_the_groups(files: list[str], tmp_path: Path) -> None:
    out = tmp_path / "rep"
    argv = ["report", *files, "--groups", "ucf101", "--bootstrap", "100", "--tuned", "never"]
    assert cli.main([*argv, "--report", str(out), "-q"]) == 0
    md = (out / "report.md").read_text()
    assert md.count(f"intervals resample {N_GROUPS} groups") == 2  # summary and notes
    assert "as wide as the plain bootstrap's" in md


def test_grid_command_takes_groups(files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["grid", *files, "--groups", "ucf101", "--repeats", "2", "--step", "0.1"]) == 0
    out = capsys.readouterr().out
    assert f"stratified group cross-fitting ({N_GROUPS} groups)" in out


@pytest.mark.parametrize("command", ["evaluate", "report", "grid"])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such file"),
        ("video_id,group\nv_Class0_g00_c01,a\n", "no group for video 'v_Class0_g00_c02'"),
        ("v_Class0_g00_c01;a\n", "line 1: expected video_id,group"),
    ],
)
def test_csv_errors_through_the_cli(
    files: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    text: str | None,
    message: str,
) -> None:
    spec = tmp_path / "groups.csv"
    if text is not None:
        spec.write_text(text)
    out = tmp_path / "out.txt"
    argv = [command, *files, "--groups", str(spec), "-o", str(out)]
    if command != "grid":
        argv += ["--report", str(tmp_path / "rep"), "-q"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(spec) in err and message in err
    assert not out.exists() and not (tmp_path / "rep").exists()


def test_bad_regex_and_unmatched_ids_through_the_cli(
    files: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for spec, message in (
        ("(oops", "not a valid regular expression"),
        ("hmdb_only", "names no group"),
    ):
        assert cli.main(["evaluate", *files, "--groups", spec, "-o", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "o").exists()
