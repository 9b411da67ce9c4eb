"""Tests of fusionlab.search: grids, the exact fast evaluator, the exact curve, honest selection."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from fusionlab import cli, rules, search
from fusionlab.errors import UsageError
from fusionlab.jsonio import schema

# --------------------------------------------------------------------------- helpers


def _log_normalize(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _data(kind: str, rng: np.random.Generator, n: int, k: int, c: int) -> np.ndarray:
    """Component log-probabilities of several kinds, from generic to heavily tied."""
    if kind == "dirichlet":
        return np.log(rng.dirichlet(np.full(c, 0.5), size=(n, k)))
    if kind == "integer":  # integer-valued "log-probabilities": exact ties everywhere
        return rng.integers(-3, 1, size=(n, k, c)).astype(np.float64)
    if kind == "quantized":  # probabilities on a coarse grid: ties in both domains
        return np.log(rng.integers(1, 5, size=(n, k, c)) / 4.0)
    if kind == "duplicates":  # bit-identical classes and components
        x = rng.normal(size=(n, k, c))
        x[:, :, 1] = x[:, :, 0]
        x[:, -1] = x[:, 0]
        return x
    if kind == "tiny":  # values so small that the evaluator takes its exact path
        x = np.log(rng.dirichlet(np.ones(c), size=(n, k)))
        x[: n // 2] -= 700.0
        return x
    if kind == "close":  # near ties at the scale of float rounding
        base = rng.normal(size=(n, 1, c))
        return base + rng.integers(-2, 3, size=(n, k, c)) * 1e-15
    raise AssertionError(kind)


KINDS = ["dirichlet", "integer", "quantized", "duplicates", "tiny", "close"]


def _independent_streams(
    n: int, c: int, strengths: tuple[float, ...], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Logits z_s = a_s onehot(y) + N(0, 1), as log-probabilities (N, S, C)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    z = rng.standard_normal((n, len(strengths), c))
    z[np.arange(n), :, y] += np.asarray(strengths)[None, :]
    return _log_normalize(z), y


# --------------------------------------------------------------------------- grids


def test_grid_sizes_and_order() -> None:
    assert search.simplex_grid(6, step=0.05).shape == (53130, 6)
    counts, m = search.grid_counts(3, step=0.25)
    assert m == 4
    assert counts.shape == (15, 3)
    assert (counts.sum(axis=1) == 4).all()
    # lexicographic ascending order, every composition exactly once
    as_tuples = [tuple(r) for r in counts.tolist()]
    assert as_tuples == sorted(as_tuples)
    assert len(set(as_tuples)) == len(as_tuples)
    assert as_tuples[0] == (0, 0, 4) and as_tuples[-1] == (4, 0, 0)
    w = search.simplex_grid(2, step=0.1)
    assert w.shape == (11, 2)
    assert w[3].tolist() == [3 / 10, 7 / 10]  # counts / m, correctly rounded


def test_grid_fixed_and_bounds() -> None:
    counts, _ = search.grid_counts(3, step=0.1, fixed={0: 0.3})
    assert (counts[:, 0] == 3).all() and len(counts) == 8
    counts, _ = search.grid_counts(3, step=0.1, bounds={1: (0.2, 0.4)})
    assert set(counts[:, 1].tolist()) == {2, 3, 4}
    assert len(counts) == 9 + 8 + 7
    counts, _ = search.grid_counts(2, step=0.1, bounds=[(0.0, 0.3), (0.0, 1.0)])
    assert counts[:, 0].tolist() == [0, 1, 2, 3]
    # bounds at exact multiples are inclusive despite float representation
    counts, _ = search.grid_counts(2, step=0.1, bounds={0: (0.3, 0.3)})
    assert counts.tolist() == [[3, 7]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step": 0.3}, "1/step must be an integer"),
        ({"step": 0.0}, "step must be a number in"),
        ({"fixed": {0: 0.33}}, "not a multiple of step"),
        ({"fixed": {5: 0.5}}, "component index"),
        ({"bounds": {0: (0.5, 0.2)}}, "0 <= lo <= hi <= 1"),
        ({"fixed": {0: 0.6, 1: 0.6}}, "the grid is empty"),
        ({"bounds": [(0, 1)]}, "one (lo, hi) pair per component"),
    ],
)
def test_grid_errors(kwargs: dict, message: str) -> None:
    args = {"step": 0.1, **kwargs}
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        search.grid_counts(3, **args)


def test_grid_too_large() -> None:
    with pytest.raises(UsageError, match="more than"):
        search.grid_counts(12, step=0.01)


# --------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_fast_equals_naive(kind: str, domain: str) -> None:
    rng = np.random.default_rng(abs(hash((kind, domain))) % 2**32)
    for trial in range(6):
        n = int(rng.integers(1, 50))
        k = int(rng.integers(1, 5))
        c = int(rng.integers(2, 8))
        x = _data(kind, rng, n, k, c)
        y = rng.integers(0, c, n)
        mask = None
        if trial % 2 and k > 1:
            mask = rng.random((n, k)) > 0.4
            mask[np.arange(n), rng.integers(0, k, n)] = True
        w = search.simplex_grid(k, step=[0.5, 0.25, 0.2, 0.1][trial % 4])
        if trial % 3 == 0:
            w = w * 3.0  # unnormalised rows: scaling never changes a decision
        ks = (1, 2, 5)
        fast = search.grid_accuracy(x, y, w, mask, domain=domain, k=ks)
        naive = search.naive_grid_accuracy(x, y, w, mask, domain=domain, k=ks)
        np.testing.assert_array_equal(fast.correct, naive)


def test_fast_equals_naive_many_blocks_and_tiers() -> None:
    """Enough points for several blocks and both workers, enough videos to split tiers."""
    rng = np.random.default_rng(1)
    x = np.log(rng.dirichlet(np.full(4, 0.7), size=(900, 4)))
    y = rng.integers(0, 4, 900)
    w = search.simplex_grid(4, step=0.1)  # 286 points
    w = np.concatenate([w, search.simplex_grid(4, step=1 / 14)])  # 680 more
    for domain in ("prob", "logit"):
        fast = search.grid_accuracy(x, y, w, domain=domain, k=(1, 3))
        naive = search.naive_grid_accuracy(x, y, w, domain=domain, k=(1, 3))
        np.testing.assert_array_equal(fast.correct, naive)


def test_group_counts() -> None:
    rng = np.random.default_rng(2)
    x = _data("quantized", rng, 60, 3, 5)
    y = rng.integers(0, 5, 60)
    w = search.simplex_grid(3, step=0.1)
    groups = rng.integers(0, 3, size=(2, 60))
    fast = search.grid_accuracy(x, y, w, domain="prob", k=(1, 2), groups=groups)
    assert fast.group_correct is not None and fast.group_correct.shape == (2, len(w), 2, 3)
    for r in range(2):
        for g in range(3):
            sel = groups[r] == g
            ref = search.naive_grid_accuracy(x[sel], y[sel], w, domain="prob", k=(1, 2))
            np.testing.assert_array_equal(fast.group_correct[:, :, r, g], ref)
    one = search.grid_accuracy(x, y, w, domain="prob", k=1, groups=groups[0])
    assert one.group_correct is not None and one.group_correct.shape == (1, len(w), 3)


@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_reference_matches_weighted_rule(domain: str) -> None:
    """With integer compositions, rules.fuse('weighted') gives bit-identical scores."""
    rng = np.random.default_rng(3)
    x = np.log(rng.dirichlet(np.ones(6), size=(40, 3)))
    mask = rng.random((40, 3)) > 0.3
    mask[:, 0] = True
    counts, m = search.grid_counts(3, step=0.1)
    for row in counts[::7]:
        for mk in (None, mask):
            ours = search.fuse_weighted(x, row / m, mk, domain=domain)
            theirs = rules.fuse("weighted", x, mk, domain=domain, weights=row.tolist())
            np.testing.assert_array_equal(ours, theirs)


def test_scaling_and_class_permutation_invariance() -> None:
    rng = np.random.default_rng(4)
    x = np.log(rng.dirichlet(np.ones(5), size=(50, 3)))
    y = rng.integers(0, 5, 50)
    w = search.simplex_grid(3, step=0.1)
    base = search.grid_accuracy(x, y, w, domain="prob").correct
    np.testing.assert_array_equal(search.grid_accuracy(x, y, 4.0 * w, domain="prob").correct, base)
    perm = rng.permutation(50)
    np.testing.assert_array_equal(
        search.grid_accuracy(x[perm], y[perm], w, domain="prob").correct, base
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"weights": -np.ones((1, 2))}, "non-negative"),
        ({"weights": np.zeros((1, 2))}, "all zero"),
        ({"weights": np.ones((1, 3))}, r"shape \(n_points, 2\)"),
        ({"y": np.array([0, 7])}, "outside"),
        ({"x": np.full((2, 2, 3), np.nan)}, "finite"),
        ({"mask": np.zeros((2, 2), dtype=bool)}, "no valid component"),
        ({"domain": "log"}, "domain must be"),
        ({"k": (1, 1)}, "must not repeat"),
    ],
)
def test_grid_accuracy_errors(args: dict, message: str) -> None:
    kw = {
        "x": np.log(np.full((2, 2, 3), 1 / 3)),
        "y": np.array([0, 1]),
        "weights": np.ones((1, 2)),
        "mask": None,
        "domain": "prob",
        "k": 1,
    }
    kw.update(args)
    with pytest.raises(UsageError, match=message):
        search.grid_accuracy(
            kw["x"], kw["y"], kw["weights"], kw["mask"], domain=kw["domain"], k=kw["k"]
        )


# --------------------------------------------------------------------------- exact curve


def test_curve_hand_made_ties() -> None:
    # video 0: class 0 wins for alpha < 0.5, tie at 0.5 goes to class 0 (y = 0)
    # video 1: label 1, same lines: wins for alpha > 0.5, loses the tie at 0.5
    p0 = np.array([0.75, 0.25])
    p1 = np.array([0.25, 0.75])
    x0 = np.log(np.stack([p0, p0]))
    x1 = np.log(np.stack([p1, p1]))
    crv = search.two_component_curve(x0, x1, [0, 1], domain="prob")
    assert crv.exact == (Fraction(0), Fraction(1, 2), Fraction(1))
    assert crv.correct_at.tolist() == [1, 1, 1]
    assert crv.correct_between.tolist() == [1, 1]
    # equal scores everywhere: the lower class index wins at every alpha
    flat = np.log(np.full((2, 2), 0.5))
    crv = search.two_component_curve(flat, flat, [0, 1], domain="logit")
    assert crv.correct_at.tolist() == [1, 1] and crv.correct_between.tolist() == [1]
    assert crv.optimum == [(0.0, 1.0, True, True)]


@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_curve_matches_fine_grid(domain: str) -> None:
    rng = np.random.default_rng(5)
    n, c = 300, 6
    x = np.log(rng.dirichlet(np.ones(c), size=(n, 2)))
    y = rng.integers(0, c, n)
    crv = search.two_component_curve(x[:, 0], x[:, 1], y, domain=domain)
    alphas = np.linspace(0.0, 1.0, 2001)
    w = np.stack([1.0 - alphas, alphas], axis=1)
    sampled = search.grid_accuracy(x, y, w, domain=domain, k=1).correct[0]
    # away from breakpoints (float rounding), the sampled grid agrees exactly
    far = np.min(np.abs(alphas[:, None] - crv.breakpoints[None, :]), axis=1) > 1e-9
    assert far.sum() > 1900
    expected = np.array([crv.correct_count_at(float(a)) for a in alphas])
    np.testing.assert_array_equal(sampled[far], expected[far])
    assert crv.best_correct >= sampled.max()
    assert crv.correct_at[0] == sampled[0] and crv.correct_at[-1] == sampled[-1]


def test_curve_exact_at_points() -> None:
    """Rational evaluation of the fused scores agrees with the curve at and between breakpoints."""
    rng = np.random.default_rng(6)
    n, c = 25, 4
    x = np.log(rng.integers(1, 6, size=(n, 2, c)) / 5.0)  # many coincident crossings
    y = rng.integers(0, c, n)
    crv = search.two_component_curve(x[:, 0], x[:, 1], y, domain="prob")
    v = [
        [[Fraction(float(t)) for t in row] for row in comp] for comp in np.exp(x).transpose(1, 0, 2)
    ]

    def exact_correct(a: Fraction) -> int:
        hits = 0
        for i in range(n):
            f = [(1 - a) * v[0][i][j] + a * v[1][i][j] for j in range(c)]
            best = max(range(c), key=lambda j: (f[j], -j))
            hits += best == y[i]
        return hits

    probes = list(crv.exact) + [(a + b) / 2 for a, b in zip(crv.exact, crv.exact[1:], strict=False)]
    for a in probes:
        assert crv.correct_count_at(a) == exact_correct(a)


# --------------------------------------------------------------------------- honest selection


def test_select_best_tie_break() -> None:
    counts, m = search.grid_counts(2, step=0.25)  # (0,4) (1,3) (2,2) (3,1) (4,0)
    tie = search.uniform_distance(counts, m)
    assert tie.tolist() == [32, 8, 0, 8, 32]
    assert search.select_best([5, 7, 6, 7, 7], tie) == 1  # closest to uniform, then first
    assert search.select_best([5, 7, 7, 7, 1], tie) == 2
    assert search.select_best([1, 2, 3], None) == 2


def test_folds_stratified_and_fallback() -> None:
    y = np.repeat(np.arange(4), 10)
    f = search.stratified_folds(y, folds=5, repeats=3, seed=1)
    assert f.stratified and f.ids.shape == (3, 40)
    for r in range(3):
        for fold in range(5):
            assert np.bincount(y[f.ids[r] == fold], minlength=4).tolist() == [2, 2, 2, 2]
    again = search.stratified_folds(y, folds=5, repeats=3, seed=1)
    np.testing.assert_array_equal(f.ids, again.ids)
    assert not np.array_equal(f.ids[0], f.ids[1])
    rare = np.array([0] * 10 + [1] * 2)
    fb = search.stratified_folds(rare, folds=3, repeats=1, seed=0)
    assert not fb.stratified and "unstratified" in fb.note
    with pytest.raises(UsageError, match="folds must be an integer >= 2"):
        search.stratified_folds(y, folds=1)


def test_cross_fit_generic() -> None:
    y = np.arange(30) % 3
    res = search.cross_fit(
        lambda tr, te: np.stack([y[te] == 0, np.ones(te.size, bool)]), y, folds=3, repeats=2
    )
    np.testing.assert_allclose(res.mean, [1 / 3, 1.0])
    assert res.per_repeat.shape == (2, 2) and res.held_out.shape == (2, 30)
    with pytest.raises(UsageError, match="bool array"):
        search.cross_fit(lambda tr, te: np.zeros(te.size), y, folds=3, repeats=1)


def test_known_answer_grid() -> None:
    """Bayes-optimal logit weights are proportional to the signal strengths (1 : 2)."""
    x, y = _independent_streams(3000, 10, (1.0, 2.0), seed=0)
    res = search.grid_search(x, y, domain="logit", step=0.02, folds=5, repeats=3, seed=0)
    alpha = res.weights[res.best_index, 1]
    assert abs(alpha - 2 / 3) < 0.08
    assert res.curve is not None and abs(res.curve.best_alpha - 2 / 3) < 0.08
    assert res.curve.best_accuracy >= res.oracle_top1
    assert res.honest_top1 is not None and res.honest_top1_std is not None
    assert res.honest_top1 <= res.oracle_top1 + 1e-12
    assert res.oracle_top1 - res.honest_top1 < 0.02
    assert res.held_out_correct is not None and res.held_out_correct.shape == (3000,)
    assert set(res.best_weights) == {"c0", "c1"}


def test_grid_search_val_mode_and_names() -> None:
    x, y = _independent_streams(400, 5, (1.0, 1.5, 0.5), seed=1)
    xv, yv = _independent_streams(400, 5, (1.0, 1.5, 0.5), seed=2)
    res = search.grid_search(
        x,
        y,
        domain="prob",
        step=0.1,
        component_names=["a", "b", "c"],
        val=(xv, yv),
        fixed={"c": 0.1},
    )
    assert res.selection == "val" and res.honest_top1_std == 0.0
    assert res.best_weights["c"] == pytest.approx(0.1)
    assert res.n_points == 10 and res.curve is None
    d = res.to_dict()
    json.dumps(d)
    assert d["n_points"] == 10 and d["selection"] == "val"
    with pytest.raises(UsageError, match="unknown component 'z'"):
        search.grid_search(x, y, domain="prob", component_names=["a", "b", "c"], fixed={"z": 0.5})


# --------------------------------------------------------------------------- command line, rows


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from fusionlab import synth

    cfg = synth.SynthConfig(
        n_videos=240,
        n_classes=8,
        n_segments=2,
        streams={"rgb": (1.2, 1.0), "flow": (1.5, 1.1)},
        kind="prob",
        seed=3,
    )
    return synth.write_scores(tmp_path_factory.mktemp("scores"), cfg)


def _only_result(path: Path) -> dict[str, Any]:
    """The one result of ``grid --format json`` with one evaluation."""
    whole = json.loads(path.read_text())
    jsonschema.validate(whole, schema("grid"))
    assert whole["schema"] == 1 and whole["command"] == "grid"
    assert len(whole["results"]) == 1
    doc: dict[str, Any] = whole["results"][0]
    return doc


def test_cli_json(synth_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "grid.json"
    rc = cli.main(
        ["grid", *map(str, synth_files), "--format", "json", "--repeats", "2", "--output", str(out)]
    )
    assert rc == 0
    doc = _only_result(out)
    for key in ("n_points", "best_weights", "oracle_top1", "honest_top1", "honest_top1_std"):
        assert key in doc
    assert doc["n_points"] == 21 and set(doc["best_weights"]) == {"rgb", "flow"}
    assert 0.0 <= doc["honest_top1"] <= 1.0 and doc["curve"] is not None
    rc = cli.main(
        [
            "grid",
            *map(str, synth_files),
            "--over",
            "components",
            "--step",
            "0.25",
            "--format",
            "json",
            "--repeats",
            "1",
            "--output",
            str(out),
        ]
    )
    assert rc == 0
    doc = _only_result(out)
    assert doc["n_points"] == 35 and "flow/seg2" in doc["best_weights"]


def test_cli_table_and_errors(synth_files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(
        [
            "grid",
            *map(str, synth_files),
            "--over",
            "segments",
            "--stream",
            "flow",
            "--domain",
            "logit",
            "--folds",
            "0",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "flow/seg1" in out and "oracle" in out and "honest" not in out
    assert cli.main(["grid", *map(str, synth_files), "--over", "epochs"]) == 2
    err = capsys.readouterr().err
    assert "at least two checkpoints" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["grid", *map(str, synth_files), "--step", "0.3"]) == 2


def test_summary_rows(synth_files: list[Path]) -> None:
    from fusionlab import scores

    ev = scores.group([scores.load(p) for p in synth_files])[0]
    rows = search.summary_rows(ev, domain="prob", folds=3, repeats=1, step=0.1, bootstrap=50)
    kinds = [(r["level"], r["fusion"], r["over"]) for r in rows]
    assert ("grid", "grid-weighted", "streams") in kinds
    assert ("grid", "grid-weighted", "components") in kinds
    assert ("learned", "learned-linear", "streams") in kinds
    assert ("learned", "temperature-mean", "streams") in kinds
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
        "honest_top1",
        "honest_top1_std",
        "mcnemar_p",
        "diff_vs_best_single",
    }
    for r in rows:
        assert required <= set(r)
        assert r["n_videos"] == 240
        tuned = "oracle_top1" if r["level"] == "grid" else "in_sample_top1"
        assert r["top1"] == pytest.approx(r[tuned])


def test_cli_json_several_evaluations(tmp_path: Path) -> None:
    from fusionlab import synth

    files: list[Path] = []
    for split in ("1", "2"):
        cfg = synth.SynthConfig(
            n_videos=60, n_classes=4, n_segments=1, split=split, seed=int(split)
        )
        files += synth.write_scores(tmp_path, cfg)
    out = tmp_path / "grid.json"
    rc = cli.main(
        [
            "grid",
            *map(str, files),
            "--format",
            "json",
            "--folds",
            "3",
            "--repeats",
            "1",
            "--step",
            "0.25",
            "--output",
            str(out),
        ]
    )
    assert rc == 0
    whole = json.loads(out.read_text())
    jsonschema.validate(whole, schema("grid"))
    assert whole["schema"] == 1 and whole["command"] == "grid"
    docs = whole["results"]
    assert isinstance(docs, list) and len(docs) == 2
    assert [d["evaluation"] for d in docs] == ["synthetic/split1/test", "synthetic/split2/test"]
    assert all(d["n_points"] == 5 for d in docs)


def test_fine_two_component_grid_is_complete() -> None:
    """Found in review: enumeration was quadratic in 1/step (10,001 points took minutes)."""
    from fusionlab.search import simplex_grid

    w = simplex_grid(2, step=0.0001)
    assert w.shape == (10001, 2)
    assert np.all(np.diff(w[:, 0]) > 0) and np.allclose(w.sum(axis=1), 1.0)
