"""Tests of fusionlab.diversity: hand-computed statistics, brute-force references, the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusionlab import cli, diversity, rules, synth
from fusionlab.diversity import grid, subset_search
from fusionlab.errors import UsageError
from fusionlab.evaluate import EvaluateOptions, FusionSpec, evaluate, load_evaluations
from fusionlab.evaluate.diversity import diversity_for
from fusionlab.scores import Evaluation, ScoreSet, build, group

_X: Any = "x"  # an invalid domain


def _b(s: str) -> np.ndarray:
    """'1101' -> bool vector."""
    return np.array([ch == "1" for ch in s])


# --------------------------------------------------------------------------- pair statistics


def test_pair_stats_hand_computed() -> None:
    # a: 1 1 1 0 0 1 0 1 ; b: 1 0 1 1 0 1 0 0
    a, b = _b("11100101"), _b("10110100")
    s = diversity.pair_stats(a, b)
    assert (s.n11, s.n10, s.n01, s.n00) == (3, 2, 1, 2)
    assert s.n == 8
    assert s.acc_a == 5 / 8 and s.acc_b == 4 / 8
    assert s.disagreement == 3 / 8
    assert s.double_fault == 2 / 8
    assert s.oracle == 6 / 8
    assert s.q == pytest.approx((3 * 2 - 1 * 2) / (3 * 2 + 1 * 2))  # 0.5
    phi = (3 * 2 - 2 * 1) / math.sqrt(5 * 3 * 4 * 4)
    assert s.correlation == pytest.approx(phi)
    assert s.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize(
    ("a", "b", "cells", "q", "corr"),
    [
        # identical, not constant: Q = 1 and correlation 1
        ("1100", "1100", (2, 0, 0, 2), 1.0, 1.0),
        # identical and always right: Q = 1 by definition; correlation undefined
        ("1111", "1111", (4, 0, 0, 0), 1.0, math.nan),
        # identical and never right: Q = 1 by definition; correlation undefined
        ("0000", "0000", (0, 0, 0, 4), 1.0, math.nan),
        # a always right, b not: Q is 0/0 -> NaN; correlation NaN (a constant)
        ("1111", "1010", (2, 2, 0, 0), math.nan, math.nan),
        # a never right, b sometimes: Q NaN; correlation NaN
        ("0000", "0110", (0, 0, 2, 2), math.nan, math.nan),
        # a always right, b never right: disagree everywhere, Q NaN
        ("111", "000", (0, 3, 0, 0), math.nan, math.nan),
        # complementary errors: Q = -1, correlation -1
        ("1100", "0011", (0, 2, 2, 0), -1.0, -1.0),
        # one empty off-diagonal cell: Q = 1 by the formula, correlation below 1
        ("11100", "11000", (2, 1, 0, 2), 1.0, (2 * 2) / math.sqrt(3 * 2 * 2 * 3)),
        # no double fault and no both-right: Q = -1
        ("1010", "0101", (0, 2, 2, 0), -1.0, -1.0),
    ],
)
def test_pair_stats_degenerate(
    a: str, b: str, cells: tuple[int, int, int, int], q: float, corr: float
) -> None:
    s = diversity.pair_stats(_b(a), _b(b))
    assert (s.n11, s.n10, s.n01, s.n00) == cells
    for got, want in ((s.q, q), (s.correlation, corr)):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want)
    assert s.oracle == (cells[0] + cells[1] + cells[2]) / sum(cells)


def test_always_right_and_never_right_components() -> None:
    right, wrong, mixed = _b("1111"), _b("0000"), _b("0110")
    s = diversity.pair_stats(right, mixed)
    assert s.oracle == 1.0 and s.double_fault == 0.0 and s.disagreement == 0.5
    s = diversity.pair_stats(wrong, mixed)
    assert s.oracle == 0.5 and s.double_fault == 0.5 and s.disagreement == 0.5
    assert diversity.oracle_accuracy(np.stack([wrong, mixed])) == 0.5
    assert diversity.oracle_accuracy(np.stack([right, wrong])) == 1.0


def test_pairwise_table_matches_pair_stats_and_corrcoef() -> None:
    rng = np.random.default_rng(3)
    corr = rng.random((5, 40)) < np.array([0.9, 0.5, 0.3, 0.5, 1.01])[:, None]  # last: constant
    labels = list("abcde")
    df = diversity.pairwise_table(corr, labels)
    assert len(df) == 10
    for row in df.itertuples():
        i, j = labels.index(str(row.a)), labels.index(str(row.b))
        s = diversity.pair_stats(corr[i], corr[j])
        assert (row.n11, row.n10, row.n01, row.n00) == (s.n11, s.n10, s.n01, s.n00)
        for col in ("disagreement", "double_fault", "oracle", "acc_a", "acc_b"):
            assert getattr(row, col) == pytest.approx(getattr(s, col))
        assert row.q == pytest.approx(s.q, nan_ok=True)
        ref = np.corrcoef(corr[i], corr[j])[0, 1] if corr[i].std() and corr[j].std() else np.nan
        assert row.correlation == pytest.approx(ref, nan_ok=True)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: diversity.pair_stats([1, 0], [True, False]), "correct_a must be a bool array"),
        (lambda: diversity.pair_stats([True], [True, False]), "correct_a has 1 videos"),
        (lambda: diversity.pair_stats(np.zeros(0, bool), np.zeros(0, bool)), "is empty"),
        (lambda: diversity.oracle_accuracy([True, False]), "shape (n_components, n_videos)"),
        (lambda: diversity.pairwise_table([[True], [False]], ["a"]), "expected 2 component"),
        (lambda: diversity.weight_compositions(2, step=0.3), "must divide 1 exactly"),
        (lambda: diversity.weight_compositions(0), "need m >= 1"),
        (
            lambda: diversity.subset_accuracy(np.zeros((2, 11, 3)), [0, 1]),
            "11 components give 2047 subsets",
        ),
        (lambda: diversity.subset_accuracy(np.zeros((2, 2, 3)), [0, -1]), "filter out -1"),
        (lambda: diversity.subset_accuracy(np.zeros((2, 2, 3)), [0, 1], domains=[_X]), "'x'"),
    ],
)
def test_input_errors(call: Any, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        call()
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


# --------------------------------------------------------------------------- oracle property


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    out: np.ndarray = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return out


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    k=st.integers(1, 4),
    c=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
    tied=st.booleans(),
)
def test_oracle_bounds_rules_that_pick_a_component_decision(
    n: int, k: int, c: int, seed: int, tied: bool
) -> None:
    """Max, vote and single-component weights decide like one component: never above the oracle.

    Checked per video (stronger than for the accuracy), in both domains, with
    ties (integer scores) and without.
    """
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 3, (n, k, c)).astype(float) if tied else rng.normal(size=(n, k, c))
    x = _log_softmax(z)
    y = rng.integers(0, c, n)
    comp = np.stack([np.argmax(np.exp(x[:, j]), axis=1) == y for j in range(k)])
    oracle = comp.any(axis=0)
    for d in rules.DOMAINS:
        fused = [rules.fuse(name, x, domain=d) for name in sorted(BOUNDED_BY_ORACLE)]
        for j in range(k):
            w = np.zeros(k)
            w[j] = 1.0
            fused.append(rules.fuse("weighted", x, domain=d, weights=w))
        for f in fused:
            right = np.argmax(f, axis=1) == y
            assert not (right & ~oracle).any()
            assert right.mean() <= diversity.oracle_accuracy(comp)


def test_oracle_accuracy_never_below_fused_accuracy_seeded() -> None:
    """On random data of realistic size, the oracle is above mean, max and weighted fusion.

    (For averaging rules this is an empirical fact, not a theorem: see the
    counterexample below.)
    """
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n, k, c = 200, int(rng.integers(2, 5)), int(rng.integers(2, 10))
        x = _log_softmax(rng.normal(scale=rng.uniform(0.5, 3), size=(n, k, c)))
        y = rng.integers(0, c, n)
        comp = np.stack([np.argmax(x[:, j], axis=1) == y for j in range(k)])
        bound = diversity.oracle_accuracy(comp)
        w = rng.random(k) + 0.01
        for d in rules.DOMAINS:
            cases: list[tuple[str, dict[str, Any]]] = [
                ("mean", {}),
                ("max", {}),
                ("weighted", {"weights": w}),
            ]
            for name, params in cases:
                acc = float(np.mean(np.argmax(rules.fuse(name, x, domain=d, **params), 1) == y))
                assert acc <= bound, (seed, name, d)


#: Rules whose decision is always some component's top-1 class: bounded by the oracle.
BOUNDED_BY_ORACLE = {"max", "vote"}
#: Rules that can be right where every component is wrong.
NOT_BOUNDED = {
    "mean",
    "min",
    "median",
    "topk_mean",
    "variance_weighted",
    "entropy_weighted",
    "confidence_weighted",
    "weighted",
    "borda",
}
#: Rank rules that can be right where every component is wrong (shown with three components).
NOT_BOUNDED_RANK = {"reciprocal_rank"}


def test_every_rule_is_classified_for_the_oracle_bound() -> None:
    assert set(rules.RULES) == BOUNDED_BY_ORACLE | NOT_BOUNDED | NOT_BOUNDED_RANK
    assert not BOUNDED_BY_ORACLE & (NOT_BOUNDED | NOT_BOUNDED_RANK)


@pytest.mark.parametrize("name", sorted(NOT_BOUNDED_RANK))
def test_rank_rules_can_beat_the_oracle(name: str) -> None:
    """Three components all rank the true class (1) second and disagree on the first."""
    p = np.array([[[0.4, 0.3, 0.2, 0.1], [0.1, 0.3, 0.4, 0.2], [0.2, 0.3, 0.1, 0.4]]])
    x = np.log(p)
    assert not (np.argmax(x[0], axis=1) == 1).any()  # every component is wrong
    assert np.argmax(rules.fuse(name, x, domain="prob"), axis=1)[0] == 1


@pytest.mark.parametrize("name", sorted(NOT_BOUNDED))
def test_averaging_rules_can_beat_the_oracle(name: str) -> None:
    """Both components put the true class (1) second; fusing them puts it first (documented)."""
    x = np.log(np.array([[[0.5, 0.4, 0.1], [0.1, 0.4, 0.5]]]))
    y = np.array([1])
    comp = np.stack([np.argmax(x[:, j], axis=1) == y for j in range(2)])
    assert diversity.oracle_accuracy(comp) == 0.0
    params: dict[str, Any] = {"weights": [1, 1]} if name == "weighted" else {}
    for d in rules.DOMAINS:
        assert np.argmax(rules.fuse(name, x, domain=d, **params), axis=1)[0] == 1


# --------------------------------------------------------------------------- subsets


def test_weight_compositions() -> None:
    for m in range(1, 5):
        pos = diversity.weight_compositions(m)
        closed = diversity.weight_compositions(m, positive=False)
        assert len(pos) == math.comb(9, m - 1)
        assert len(closed) == math.comb(10 + m - 1, m - 1)
        assert (pos.sum(axis=1) == 10).all() and (closed.sum(axis=1) == 10).all()
        assert (pos >= 1).all() and (closed >= 0).all()
        assert [tuple(r) for r in closed] == sorted(tuple(r) for r in closed)
    assert diversity.weight_compositions(3, step=0.5).shape == (0, 3)


def _brute_force(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray | None, domain: Any, step: float
) -> list[tuple[int, int, tuple[float, ...]]]:
    """(mean right, best right, best weights) per subset, in table order.

    The best is over the closed grid (``rules.fuse("weighted")``) plus the
    equal-weight point of every non-empty subset of the members (``rules.fuse
    ("mean")``). Ties: closest to uniform (smallest sum of squared weights), then
    lexicographically smallest weights, the equal-weight point before a grid point of
    the same weights.
    """
    k = x.shape[1]
    total = round(1 / step)

    def right(members: list[int], fused: np.ndarray) -> int:
        ok = np.argmax(fused, axis=1) == y
        if mask is not None:
            ok &= mask[:, members].any(axis=1)
        return int(ok.sum())

    def fuse(rule: str, members: list[int], w: Any = None) -> int:
        ms = None if mask is None else mask[:, members]
        kw = {} if w is None else {"weights": w}
        with np.errstate(invalid="ignore", divide="ignore"):
            return right(members, rules.fuse(rule, x[:, members], ms, domain=domain, **kw))

    out = []
    for m in range(1, k + 1):
        for sub in itertools.combinations(range(k), m):
            idx = list(sub)
            cands = []  # (key, weights over sub)
            for size in range(1, m + 1):
                for face in itertools.combinations(range(m), size):
                    w = [Fraction(1, size) if i in face else Fraction(0) for i in range(m)]
                    cnt = fuse("mean", [idx[i] for i in face])
                    cands.append(((-cnt, sum(v * v for v in w), tuple(w), False), w))
            for wi in diversity.weight_compositions(m, step=step, positive=False):
                supp = [idx[i] for i in np.flatnonzero(wi)]
                cnt = fuse("weighted", supp, wi[wi > 0])
                w = [Fraction(int(v), total) for v in wi]
                cands.append(((-cnt, sum(v * v for v in w), tuple(w), True), w))
            key, w = min(cands, key=lambda c: c[0])
            out.append((fuse("mean", idx), -key[0], tuple(round(float(v), 10) for v in w)))
    return out


@pytest.mark.parametrize("implied", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_subset_accuracy_equals_brute_force(
    seed: int, masked: bool, implied: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if implied:  # force the dominance pruning on these small grids, and tiny blocks
        monkeypatch.setattr(subset_search, "_IMPLIED_MIN_POINTS", 0)
        monkeypatch.setattr(grid, "_BLOCK_ELEMENTS", 7)
    rng = np.random.default_rng(seed)
    n, k, c = 80, 4, 5
    y = rng.integers(0, c, n)
    x = _log_softmax(rng.normal(scale=1.5, size=(n, k, c)) + 1.2 * np.eye(c)[y][:, None, :])
    mask = None
    if masked:
        mask = rng.random((n, k)) < 0.7
        mask[:3] = False  # videos with no component at all: wrong in every subset
        mask[3:6, 0] = True
    step = 0.25
    df: Any = diversity.subset_accuracy(x, y, mask, step=step, set_name="s")
    for d in rules.DOMAINS:
        part = df.loc[("s", d)]
        ref = _brute_force(x, y, mask, d, step)
        got = [
            (round(a * n), round(b * n), w)
            for a, b, w in zip(
                part["mean_acc"], part["best_acc"], part["best_weights"], strict=True
            )
        ]
        assert got == ref
        # the reported weights reproduce the reported best accuracy with rules.fuse
        # (equal weights: with the mean rule, the equal-weight point of the search)
        for row in part.itertuples():
            idx = [int(mm) - 1 for mm in row.members]
            w = np.array(row.best_weights)
            supp = [i for i, wi in zip(idx, w, strict=True) if wi > 0]
            sm = None if mask is None else mask[:, supp]
            equal = len(set(w[w > 0].tolist())) == 1
            with np.errstate(invalid="ignore", divide="ignore"):
                if equal:
                    f = rules.fuse("mean", x[:, supp], sm, domain=d)
                else:
                    f = rules.fuse("weighted", x[:, supp], sm, domain=d, weights=w[w > 0])
            ok = np.argmax(f, axis=1) == y
            if sm is not None:
                ok &= sm.any(axis=1)
            assert ok.mean() == row.best_acc
            assert sum(row.best_weights) == pytest.approx(1.0)
            assert row.best_grid == "step 0.25 + equal weights"


@pytest.mark.parametrize("seed", [24, 26, 28, 5])
def test_subset_accuracy_on_quantised_scores(seed: int) -> None:
    """Probabilities in multiples of 1/k tie often; near-ties are settled with rules.fuse."""
    rng = np.random.default_rng(seed)
    n, k, c = 60, 3, 4
    q = rng.integers(0, 5, (n, k, c)).astype(float)
    q[q.sum(axis=-1) == 0] = 1.0
    x = np.log(np.maximum(q / q.sum(axis=-1, keepdims=True), np.finfo(float).tiny))
    y = rng.integers(0, c, n)
    df: Any = diversity.subset_accuracy(x, y, set_name="q")
    for d in rules.DOMAINS:
        part = df.loc[("q", d)]
        got = [
            (round(a * n), round(b * n), w)
            for a, b, w in zip(part.mean_acc, part.best_acc, part.best_weights, strict=True)
        ]
        assert got == _brute_force(x, y, None, d, 0.1)


def test_composition_margins_order() -> None:
    rng = np.random.default_rng(0)
    for m in range(1, 6):
        for total, rows in ((10, 1000), (4, 2)):
            d = rng.normal(size=(m, 7))
            w = diversity.weight_compositions(m, step=1 / total).astype(float)
            gen = grid.composition_margins(d, total, max_rows=rows)
            blocks = [b.copy() for b in gen]  # the block buffer is reused
            got = np.concatenate(blocks) if blocks else np.zeros((0, 7))
            np.testing.assert_allclose(got, w @ d, rtol=1e-12, atol=1e-12)


def test_subset_ties_and_singletons() -> None:
    # two identical components: every grid point gives the same decisions
    x = np.log(np.array([[[0.6, 0.4], [0.6, 0.4]], [[0.3, 0.7], [0.3, 0.7]]]))
    df: Any = diversity.subset_accuracy(
        x, [0, 0], domains=["prob"], labels=["a", "b"], set_name="t"
    )
    assert list(df.index.get_level_values("subset")) == ["a", "b", "a+b"]
    assert df.loc[("t", "prob", "a"), "best_weights"] == (1.0,)
    # ties go to the weights closest to uniform: the equal-weight point
    assert df.loc[("t", "prob", "a+b"), "best_weights"] == (0.5, 0.5)
    assert df.loc[("t", "prob", "a+b"), "best_acc"] == 0.5


def _equal_weights_only(domain: str, s: float = 0.5, delta: float = 0.02) -> np.ndarray:
    """Log-probabilities (6 videos, 3 components, 2 classes, true class 0) right for all
    six videos only where the three weights are (nearly) equal.

    For each pair (i, j) one video has margins ``s + delta`` on i and ``-s`` on j
    (right iff ``w_i (s + delta) > w_j s``) and one the reverse, so a point with
    ``|w_i - w_j| >= 0.1`` gets one of the two wrong: at step 0.1, where 1/3 is no
    grid point, at most 4 of 6 are right, while equal weights get all 6.
    The margin of component k is ``v_k[0] - v_k[1]``: ``2 p - 1`` (prob) or the
    logit (logit), so p is chosen per domain.
    """
    d = np.zeros((6, 3))
    for row, (i, j) in enumerate(itertools.permutations(range(3), 2)):
        d[row, i], d[row, j] = s + delta, -s
    p = (1 + d) / 2 if domain == "prob" else 1 / (1 + np.exp(-d))
    return np.log(np.stack([p, 1 - p], axis=-1))


@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_best_fixed_weights_include_equal_weights_at_step_01(domain: str) -> None:
    """A 3-member subset whose mean beats every step-0.1 grid point (4/6 at best)."""
    x = _equal_weights_only(domain)
    y = np.zeros(6, dtype=np.int64)
    grid = diversity.weight_compositions(3, step=0.1, positive=False)
    grid_best = max(
        int((np.argmax(rules.fuse("weighted", x, domain=domain, weights=w), axis=1) == y).sum())
        for w in grid.astype(float)
    )
    assert grid_best == 4  # the old search space
    df: Any = diversity.subset_accuracy(x, y, domains=[domain], set_name="s", step=0.1)
    row = df.loc[("s", domain, "1+2+3")]
    assert row.mean_acc == 1.0
    assert row.best_acc == 1.0
    assert row.best_weights == (round(1 / 3, 10),) * 3
    assert row.best_grid == "step 0.1 + equal weights"
    assert (df["best_acc"] >= df["mean_acc"]).all()


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 25),
    k=st.integers(1, 4),
    c=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
    step=st.sampled_from([0.1, 0.05, 0.25, 0.5, 1.0]),
    quantised=st.booleans(),
    masked=st.booleans(),
)
def test_best_fixed_weights_never_below_mean(
    n: int, k: int, c: int, seed: int, step: float, quantised: bool, masked: bool
) -> None:
    """For every subset and domain: best fixed weights >= mean, and >= every sub-subset's."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    if quantised:  # scores that tie often
        z = rng.integers(0, 3, (n, k, c)).astype(float)
    else:  # scores that favour near-equal weights, as in _equal_weights_only
        z = rng.normal(scale=0.3, size=(n, k, c)) + 0.2 * np.eye(c)[y][:, None, :]
    x = _log_softmax(z)
    mask = None
    if masked:
        mask = rng.random((n, k)) < 0.8
    df: Any = diversity.subset_accuracy(x, y, mask, step=step, set_name="p")
    assert (df["best_acc"] >= df["mean_acc"]).all()
    for d in rules.DOMAINS:
        part = df.loc[("p", d)]
        best = dict(zip(part.index, part["best_acc"], strict=True))
        for label, acc in best.items():
            members = label.split("+")
            for drop in members if len(members) > 1 else ():
                assert acc >= best["+".join(mm for mm in members if mm != drop)]


def test_subset_lookup_by_label() -> None:
    ev = _evaluation()
    table: Any
    table, notes = diversity.subsets(ev, domains=("prob",))
    assert notes == []
    row = table.loc[("rgb", "prob", "1+2")]
    assert row["members"] == ("1", "2") and row["n_members"] == 2
    assert ("flat", "prob", "rgb/seg1+flow/seg2") in table.index


def test_subsets_skip_large_sets() -> None:
    ev = _evaluation(n_segments=6)
    table, notes = diversity.subsets(ev, domains=("logit",), max_components=6)
    assert set(table.index.get_level_values("set")) == {"rgb", "flow"}
    assert len(notes) == 1 and "flat skipped: 12 components" in notes[0]


# --------------------------------------------------------------------------- evaluations


def _evaluation(
    *, n_segments: int = 3, kind: Any = "prob", seed: int = 0, mask: bool = False
) -> Evaluation:
    sets = synth.make_scores(
        n_videos=150,
        n_classes=7,
        n_segments=n_segments,
        streams={"rgb": 1.2, "flow": 1.5},
        video_noise={"rgb": 0.5, "flow": 0.5},
        common_noise=0.3,
        class_spread=0.3,
        kind=kind,
        seed=seed,
    )
    if mask:
        rng = np.random.default_rng(seed)
        out = []
        for s in sets:
            m = rng.random((s.n_videos, s.n_segments)) < 0.75
            m[:, 0] |= ~m.any(axis=1)
            out.append(_with_mask(s, m))
        sets = out
    return group(sets)[0]


def _with_mask(s: ScoreSet, m: np.ndarray) -> ScoreSet:
    meta = {k: v for k, v in s.meta.items() if k not in ("format", "version", "stream", "kind")}
    return build(
        s.scores,
        s.labels,
        s.video_ids,
        kind=s.kind,
        stream=s.stream,
        class_names=s.class_names,
        segment_mask=m,
        **meta,
    )


@pytest.mark.parametrize("mask", [False, True])
@pytest.mark.parametrize("kind", ["prob", "logit"])
def test_full_subset_equals_main_table(kind: str, mask: bool) -> None:
    ev = _evaluation(kind=kind, mask=mask, seed=4)
    res = evaluate([ev], options=EvaluateOptions(bootstrap=0), progress=False)
    table: Any = diversity.subsets(ev)[0]
    for r in res.rows(ev.name):
        spec: FusionSpec | None = r["spec"]
        if spec is None:  # tuned rows
            continue
        if spec.level == "single" and spec.consensus == "mean":
            assert table.loc[(spec.streams[0][0], spec.domain, "1+2+3"), "mean_acc"] == r["top1"]
        elif spec.level == "flat" and spec.fusion == "mean":
            full = "+".join(f"{s}/seg{j}" for s in ("rgb", "flow") for j in (1, 2, 3))
            assert table.loc[("flat", spec.domain, full), "mean_acc"] == r["top1"]
        elif spec.level == "segment" and not mask:
            seg = str((spec.segment or 0) + 1)
            for d in rules.DOMAINS:
                assert table.loc[(spec.streams[0][0], d, seg), "mean_acc"] == r["top1"]


def test_pairwise_and_oracle_of_an_evaluation() -> None:
    ev = _evaluation()
    df = diversity.pairwise(ev)
    assert set(df["group"]) == {"streams", "segments"}
    assert len(df[df.group == "streams"]) == 2  # one pair per domain
    assert len(df[df.group == "segments"]) == 15  # 6 components, domain "any"
    orc = diversity.oracle(ev)
    flat = orc[(orc.group == "segments") & (orc.set == "flat")].iloc[0]
    assert flat["n_components"] == 6
    seg_pairs = df[df.group == "segments"]
    assert flat["oracle"] >= seg_pairs["oracle"].max()
    assert flat["best_single"] == max(seg_pairs["acc_a"].max(), seg_pairs["acc_b"].max())


def test_pairwise_epochs() -> None:
    ev = _evaluation()
    extra = []
    for s in ev.sets.values():
        meta = {k: v for k, v in s.meta.items() if k not in ("format", "version", "stream", "kind")}
        for epoch in (1, 2):
            noisy = s.scores.copy()
            if epoch == 1:
                noisy = noisy[::-1].copy()  # a poor early checkpoint
                noisy /= noisy.sum(axis=-1, keepdims=True)
            extra.append(
                build(
                    noisy,
                    s.labels,
                    s.video_ids,
                    kind=s.kind,
                    stream=s.stream,
                    epoch=epoch,
                    class_names=s.class_names,
                    **meta,
                )
            )
    ev2 = group(extra)[0]
    df = diversity.pairwise(ev2, domains=("logit",))
    ep = df[df.group == "epochs"]
    assert sorted(zip(ep["a"], ep["b"], strict=True)) == [("flow@1", "flow@2"), ("rgb@1", "rgb@2")]


# --------------------------------------------------------------------------- wins and losses


def _tiny_evaluation() -> Evaluation:
    """3 classes, 6 videos, 2 streams of 1 segment with hand-chosen decisions."""
    labels = np.array([0, 0, 1, 1, 2, 2])
    ids = [f"v{i}" for i in range(6)]
    names = ["run", "jump", "sit"]
    rgb = np.array(
        [
            [0.6, 0.3, 0.1],  # v0 right
            [0.3, 0.6, 0.1],  # v1 wrong (1)
            [0.1, 0.45, 0.45],  # v2 right (tie 1/2 -> 1)
            [0.5, 0.4, 0.1],  # v3 wrong (0)
            [0.1, 0.2, 0.7],  # v4 right
            [0.5, 0.1, 0.4],  # v5 wrong (0)
        ]
    )
    flow = np.array(
        [
            [0.2, 0.7, 0.1],  # v0 wrong
            [0.9, 0.05, 0.05],  # v1 right
            [0.1, 0.3, 0.6],  # v2 wrong (2)
            [0.45, 0.35, 0.2],  # v3 wrong (0) -- both wrong; mean: 0.475, 0.375 -> still wrong
            [0.1, 0.3, 0.6],  # v4 right
            [0.1, 0.5, 0.4],  # v5 wrong (1); mean: 0.3, 0.3, 0.4 -> 2: fixed with all wrong
        ]
    )
    sets = [
        build(s[:, None, :], labels, ids, kind="prob", stream=n, class_names=names)
        for n, s in (("rgb", rgb), ("flow", flow))
    ]
    return group(sets)[0]


def test_wins_losses_hand_computed() -> None:
    ev = _tiny_evaluation()
    keys = (("rgb", None), ("flow", None))
    fusion = FusionSpec("two-level", keys, "mean", "mean", "prob")
    single = FusionSpec("single", (("rgb", None),), "mean", None, "prob")
    wl = diversity.wins_losses(ev, fusion=fusion, single=single)
    # mean fusion decisions: v0 (0.4,0.5,0.1)->1 wrong; v1 (0.6,.325,.075)->0 right;
    # v2 (.1,.375,.525)->2 wrong; v3 -> 0 wrong; v4 right; v5 (.3,.3,.4)->2 right
    v: Any = wl.videos.set_index("video_id")
    assert sorted(v.index) == ["v0", "v1", "v2", "v5"]
    assert v.loc["v1", "fixed"] and not v.loc["v1", "fixed_all_wrong"]
    assert v.loc["v5", "fixed"] and v.loc["v5", "fixed_all_wrong"]
    assert v.loc["v0", "broken"] and v.loc["v2", "broken"]
    assert v.loc["v5", "true_class"] == "sit" and v.loc["v5", "single_pred"] == "run"
    assert v.loc["v5", "fused_pred"] == "sit"
    per: Any = wl.per_class.set_index("class_name")
    assert per.loc["run", ["fixed", "broken", "net"]].tolist() == [1, 1, 0]
    assert per.loc["jump", ["fixed", "broken", "net"]].tolist() == [0, 1, -1]
    assert per.loc["sit", ["fixed", "fixed_all_wrong", "broken"]].tolist() == [1, 1, 0]
    s = wl.summary
    assert (s["fixed"], s["fixed_all_wrong"], s["broken"], s["net"]) == (2, 1, 2, 0)
    assert s["fusion_top1"] - s["single_top1"] == pytest.approx(s["net"] / s["n_videos"])


def test_per_class_hand_computed() -> None:
    ev = _tiny_evaluation()
    keys = (("rgb", None), ("flow", None))
    fusion = FusionSpec("two-level", keys, "mean", "mean", "prob")
    streams = {k[0]: FusionSpec("single", (k,), "mean", None, "prob") for k in keys}
    df: Any = diversity.per_class(ev, streams=streams, fusion=fusion).set_index("class_name")
    assert df.loc["run", ["acc_rgb", "acc_flow"]].tolist() == [0.5, 0.5]
    assert df.loc["run", "better"] == "rgb" and df.loc["run", "margin"] == 0.0  # tie: first
    assert df.loc["jump", ["acc_rgb", "acc_flow", "fused_acc"]].tolist() == [0.5, 0.0, 0.0]
    assert df.loc["jump", "gain"] == -0.5
    assert df.loc["sit", ["better", "margin", "fused_acc", "gain"]].tolist() == [
        "rgb",
        0.0,
        1.0,
        0.5,
    ]


def test_diversity_for_results() -> None:
    ev = _evaluation(seed=2)
    res = evaluate([ev], options=EvaluateOptions(bootstrap=0), progress=False)
    out = diversity_for(res)
    t = out[ev.name]
    assert set(diversity.TABLES) <= set(t)
    top = next(r for r in res.rows(ev.name) if r["level"] in ("two-level", "flat"))
    s = t["summary"]
    assert s["fusion_top1"] == top["top1"]
    best_single = next(r for r in res.rows(ev.name) if r["level"] == "single")
    assert s["single_top1"] == best_single["top1"]
    assert s["fusion_top1"] - s["single_top1"] == pytest.approx(s["net"] / s["n_videos"])
    assert t["wins"]["fixed"].sum() == s["fixed"] and len(t["videos"]) >= s["fixed"]
    assert list(t["per_class"].columns[4:6]) == ["acc_rgb", "acc_flow"]
    # an explicit spec replaces the top row
    spec = FusionSpec(
        "two-level", tuple((st_, None) for st_ in ("rgb", "flow")), "mean", "max", "any"
    )
    out2 = diversity_for(res, fusion=spec)
    assert out2[ev.name]["fusion"].startswith("rgb+flow mean max")


# --------------------------------------------------------------------------- command line and plots


@pytest.fixture(scope="module")
def score_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("scores")
    cfg = synth.SynthConfig(
        n_videos=120,
        n_classes=6,
        n_segments=3,
        streams={"rgb": 1.2, "flow": 1.4},
        video_noise={"rgb": 0.5, "flow": 0.5},
        common_noise=0.3,
        class_spread=0.3,
        kind="prob",
        dataset="tiny",
        seed=1,
    )
    return [str(p) for p in synth.write_scores(out, cfg)]


def test_cli_json(score_files: list[str], tmp_path: Path) -> None:
    out, vids = tmp_path / "d.json", tmp_path / "sub" / "videos.csv"
    rc = cli.main(
        [
            "diversity",
            *score_files,
            "--format",
            "json",
            "--domain",
            "logit",
            "-q",
            "--output",
            str(out),
            "--videos-csv",
            str(vids),
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    assert [d["evaluation"] for d in doc] == ["tiny/split1/test"]
    d = doc[0]
    assert {"pairwise", "oracle", "subsets", "wins", "videos", "per_class", "summary"} <= set(d)
    assert {r["domain"] for r in d["pairwise"]} == {"logit", "any"}
    sub = {(r["set"], r["subset"]): r for r in d["subsets"]}
    assert sub[("rgb", "1+2")]["members"] == ["1", "2"]
    assert 0 <= sub[("flat", "rgb/seg1+flow/seg1")]["best_acc"] <= 1
    # the same numbers as the Python API
    _, evs = load_evaluations(score_files)
    res = evaluate(evs, options=EvaluateOptions(domains=("logit",), bootstrap=0), progress=False)
    api = diversity_for(res)["tiny/split1/test"]
    assert d["summary"] == api["summary"]
    assert (
        sub[("rgb", "1+2")]["mean_acc"] == api["subsets"].loc[("rgb", "logit", "1+2"), "mean_acc"]
    )
    # videos CSV: one row per fixed / broken video, names and flags as in the API
    rows = list(csv.DictReader(io.StringIO(vids.read_text())))
    assert list(rows[0]) == [
        "evaluation",
        "video_id",
        "label",
        "true_class",
        "single_pred",
        "fused_pred",
        "fixed",
        "fixed_all_wrong",
        "broken",
    ]
    assert len(rows) == len(api["videos"])
    by_id = {r["video_id"]: r for r in rows}
    for rec in api["videos"].itertuples():
        r = by_id[rec.video_id]
        assert r["true_class"] == rec.true_class == f"class_{rec.label:03d}"
        assert (r["single_pred"], r["fused_pred"]) == (rec.single_pred, rec.fused_pred)
        assert r["fixed"] == str(rec.fixed) and r["broken"] == str(rec.broken)
        assert (r["fixed"] == "True") != (r["broken"] == "True") or r["fixed_all_wrong"] == "True"
    assert sum(r["fixed"] == "True" for r in rows) == api["summary"]["fixed"]
    assert sum(r["broken"] == "True" for r in rows) == api["summary"]["broken"]


def test_cli_table_and_csv(score_files: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diversity", *score_files, "-q"]) == 0
    text = capsys.readouterr().out
    assert "Pairwise complementarity" in text and "Where fusion wins and loses" in text
    assert cli.main(["diversity", *score_files, "-q", "--format", "csv", "--table", "oracle"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["table"] for r in rows} == {"oracle"}
    assert {r["set"] for r in rows} >= {"streams", "rgb", "flow", "flat"}


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["diversity", str(tmp_path / "missing.npz")]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("fusionlab: error:") and "missing.npz" in err and "\n" not in err


def test_plots() -> None:
    from matplotlib.figure import Figure

    ev = _evaluation()
    fig = diversity.plot_q_heatmap(diversity.pairwise(ev))
    assert isinstance(fig, Figure)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:2] == ["rgb/seg1", "rgb/seg2"]
    table, _ = diversity.subsets(ev, domains=("prob",))
    fig2 = diversity.plot_subset_accuracy(table, which="flat")
    assert len(fig2.axes[0].patches) == 63
    other = Figure()
    ax = other.add_subplot()
    assert diversity.plot_q_heatmap(diversity.pairwise(ev), ax=ax, group="streams") is other
