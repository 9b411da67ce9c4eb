"""Tests of fusionlab.importance: subset values, Shapley values and the other measures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fusionlab import importance, metrics, search
from fusionlab.errors import UsageError


def _quantized(rng: np.random.Generator, n: int, k: int, c: int) -> np.ndarray:
    """Log-probabilities whose probabilities are multiples of 1/8 (exact sums)."""
    counts = rng.multinomial(8, np.full(c, 1 / c), size=(n, k)).astype(np.float64)
    return np.log(np.maximum(counts, 0.5) / 8.0)


@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_subset_values_match_reference(domain: str) -> None:
    rng = np.random.default_rng(0)
    x = np.log(rng.dirichlet(np.ones(5), size=(60, 3)))
    y = rng.integers(0, 5, 60)
    vals = importance.subset_accuracies(x, y, domain=domain)
    assert vals.shape == (8,) and vals[0] == pytest.approx(1 / 5)
    for s in range(1, 8):
        w = np.array([(s >> j) & 1 for j in range(3)], dtype=float)
        fused = search.fuse_weighted(x, w, domain=domain)
        assert vals[s] == metrics.top_k_accuracy(y, fused)


def test_shapley_efficiency_and_symmetry() -> None:
    rng = np.random.default_rng(1)
    x = np.log(rng.dirichlet(np.ones(6), size=(200, 3)))
    x = np.concatenate([x, x[:, 1:2]], axis=1)  # component 3 duplicates component 1
    y = rng.integers(0, 6, 200)
    imp = importance.component_importance(x, y, domain="prob", learned=False)
    assert imp.shapley.sum() == pytest.approx(imp.full - imp.empty)
    assert imp.shapley[1] == pytest.approx(imp.shapley[3])
    assert imp.alone[1] == imp.alone[3]
    assert imp.empty == pytest.approx(1 / 6)


def test_shapley_known_games() -> None:
    # v(S) = |S| (additive game): each player gets 1
    k = 4
    v = np.array([bin(s).count("1") for s in range(1 << k)], dtype=float)
    np.testing.assert_allclose(importance.shapley_values(v, k), np.ones(k))
    # unanimity game on players {0, 1}: they split 1, the others get 0
    u = np.array([1.0 if (s & 3) == 3 else 0.0 for s in range(1 << k)])
    np.testing.assert_allclose(importance.shapley_values(u, k), [0.5, 0.5, 0.0, 0.0])
    with pytest.raises(UsageError, match="shape"):
        importance.shapley_values(v[:-1], k)


def test_null_player() -> None:
    """A uniform component adds the same constant to every class: it never changes a decision."""
    rng = np.random.default_rng(2)
    x = _quantized(rng, 100, 2, 4)
    uniform = np.full((100, 1, 4), np.log(0.25))
    xu = np.concatenate([x, uniform], axis=1)
    y = rng.integers(0, 4, 100)
    imp = importance.component_importance(xu, y, domain="prob", learned=False)
    assert imp.alone[2] == np.mean(y == 0)  # all ties: the lowest class index
    vals = imp.subset_values
    for s in range(1, 4):  # adding the null player to a non-empty coalition changes nothing
        assert vals[s | 4] == vals[s]


def test_drop_alone_and_confidence() -> None:
    rng = np.random.default_rng(3)
    x = np.log(rng.dirichlet(np.ones(4), size=(80, 3)))
    y = rng.integers(0, 4, 80)
    imp = importance.component_importance(x, y, domain="logit", component_names=["a", "b", "c"])
    full = metrics.top_k_accuracy(y, search.fuse_weighted(x, [1, 1, 1], domain="logit"))
    assert imp.full == full
    for i in range(3):
        w = np.ones(3)
        w[i] = 0
        rest = metrics.top_k_accuracy(y, search.fuse_weighted(x, w, domain="logit"))
        assert imp.drop[i] == pytest.approx(full - rest)
        assert imp.alone[i] == metrics.top_k_accuracy(y, x[:, i])
    assert imp.learned is not None and imp.learned.sum() == pytest.approx(1.0)
    conf = importance.most_confident_rate(x)
    assert conf.sum() == pytest.approx(1.0)
    expected = np.bincount(x.max(axis=2).argmax(axis=1), minlength=3) / 80
    np.testing.assert_allclose(conf, expected)
    frame = imp.to_frame()
    assert list(frame["component"]) == ["a", "b", "c"]
    assert {"alone_top1", "drop_top1", "shapley", "learned_weight", "most_confident_rate"} <= set(
        frame.columns
    )


def test_mask_and_ties_in_confidence() -> None:
    x = np.log(np.array([[[0.5, 0.5], [0.5, 0.5]], [[0.9, 0.1], [0.6, 0.4]]]))
    mask = np.array([[True, True], [False, True]])
    # video 0: tie -> component 0; video 1: component 0 is missing -> component 1
    np.testing.assert_allclose(importance.most_confident_rate(x, mask), [0.5, 0.5])
    imp = importance.component_importance(x, [0, 0], mask, domain="prob", learned=False)
    assert imp.shapley.sum() == pytest.approx(imp.full - imp.empty)


def test_too_many_components() -> None:
    x = np.zeros((2, 13, 2))
    with pytest.raises(UsageError, match="at most 12"):
        importance.subset_accuracies(x, [0, 1], domain="prob")


def test_summary_for_an_evaluation(tmp_path: object) -> None:
    from fusionlab import scores, synth

    sets = synth.make_scores(
        n_videos=120,
        n_classes=6,
        n_segments=3,
        streams={"rgb": (1.0, 1.0, 0.3), "flow": 1.2},
        seed=1,
    )
    ev = scores.group(sets)[0]
    rows = importance.summary(ev, domain="prob")
    overs = {(r["over"], r["stream"]) for r in rows}
    assert overs == {("segments", "rgb"), ("segments", "flow"), ("streams", None)}
    assert len(rows) == 3 + 3 + 2
    seg3 = next(r for r in rows if r["component"] == "rgb/seg3")
    seg1 = next(r for r in rows if r["component"] == "rgb/seg1")
    assert seg3["alone_top1"] < seg1["alone_top1"]  # the weak segment is the weak one


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_subset_values_are_the_diversity_mean_accuracies(domain: Any, masked: bool) -> None:
    """One engine: importance's subset values are diversity's mean_acc, and rules.fuse's."""
    from fusionlab import diversity, rules

    rng = np.random.default_rng(3)
    n, k = 90, 4
    x = _quantized(rng, n, k, 4)  # exact ties between classes are common
    y = rng.integers(0, 4, n)
    mask = None
    if masked:
        mask = rng.random((n, k)) < 0.6
        mask[:, 2] |= ~mask.any(axis=1)
    vals = importance.subset_accuracies(x, y, mask, domain=domain)
    table = diversity.subset_accuracy(x, y, mask, domains=[domain], set_name="s")
    for sub, acc in zip(table["members"], table["mean_acc"], strict=True):
        idx = [int(m) - 1 for m in sub]
        assert vals[sum(1 << j for j in idx)] == acc
        ms = None if mask is None else mask[:, idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            fused = rules.fuse("mean", x[:, idx], ms, domain=domain)
        ok = np.argmax(fused, axis=1) == y
        if ms is not None:
            ok &= ms.any(axis=1)
        assert acc == ok.mean()
