"""Greedy ensemble selection (Caruana et al. 2004): against a naive reference, known answers,
bagging for every K, determinism, honest <= oracle, the grid command and the evaluate row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from fusionlab import cli, metrics, rules, synth
from fusionlab.errors import UsageError
from fusionlab.evaluate import EvaluateOptions, evaluate_files
from fusionlab.jsonio import schema
from fusionlab.render.document import to_document
from fusionlab.rules import to_log_probs
from fusionlab.search import fuse_weighted, greedy_selection
from fusionlab.search.greedy import bag_members


def _random(n: int = 150, k: int = 5, c: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Components of different strength: log-probabilities (n, k, c) and labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    z = rng.normal(size=(n, k, c))
    z[np.arange(n), :, y] += np.linspace(0.3, 1.5, k)[None, :]
    return z - np.log(np.exp(z).sum(axis=2, keepdims=True)), y


def _naive_greedy(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray | None, domain: str, n_iter: int, metric: str
) -> list[int]:
    """The plain algorithm: every candidate through the reference fusion, every step."""
    k = x.shape[1]
    counts = np.zeros(k)
    picks = []
    for _ in range(n_iter):
        keys = []
        for j in range(k):
            w = counts.copy()
            w[j] += 1
            # the weighted mean (the rule normalises the weights: logit NLL depends on it)
            fused = rules.fuse("weighted", x, mask, domain=domain, weights=w)
            correct = int((np.argmax(fused, axis=1) == y).sum())
            nll = metrics.nll(y, to_log_probs(fused, domain))
            keys.append((nll, j) if metric == "nll" else (-correct, nll, j))
        best = min(keys)[-1]
        counts[best] += 1
        picks.append(int(best))
    return picks


@pytest.mark.parametrize("domain", ["prob", "logit"])
@pytest.mark.parametrize("metric", ["accuracy", "nll"])
@pytest.mark.parametrize("masked", [False, True])
def test_matches_naive_reference(domain: str, metric: str, masked: bool) -> None:
    x, y = _random(seed=1)
    mask = None
    if masked:
        mask = np.random.default_rng(2).random(x.shape[:2]) < 0.7
        mask[~mask.any(axis=1), 0] = True
    res = greedy_selection(
        x,
        y,
        mask,
        domain=domain,
        n_iter=15,
        metric=metric,
        folds=None,
    )
    assert [s.index for s in res.trace] == _naive_greedy(x, y, mask, domain, 15, metric)
    # the trace's last score is the reported oracle (the reference fusion of the weights)
    assert res.trace[-1].top1 == pytest.approx(res.oracle_top1)
    assert res.trace[-1].nll == pytest.approx(res.oracle_nll)
    fused = fuse_weighted(x, res.weights, mask, domain=domain)
    assert res.oracle_top1 == float((np.argmax(fused, axis=1) == y).mean())


def _complementary(n: int = 200, c: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """C random (index 0); A (1) right on the first half, B (2) on the second half.

    Where A is wrong, its second choice is the true class and B is right, and the other
    way round: A + B in any ratio within (2/7, 7/2) is right on every video.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    other = (y + 1) % c
    other2 = (y + 2) % c
    eps = 1e-3
    a = np.full((n, c), eps)
    b = np.full((n, c), eps)
    first = np.arange(n) < n // 2
    rows = np.arange(n)
    a[rows, y] = np.where(first, 0.7, 0.4)
    a[rows, other] = np.where(first, 0.3, 0.6)
    b[rows, y] = np.where(first, 0.4, 0.7)
    b[rows, other2] = np.where(first, 0.6, 0.3)
    rand = rng.dirichlet(np.ones(c), size=n)
    p = np.stack([rand, a, b], axis=1)
    p /= p.sum(axis=2, keepdims=True)
    return np.log(p), y


@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_picks_the_two_complementary_components(domain: str) -> None:
    x, y = _complementary()
    res = greedy_selection(x, y, domain=domain, n_iter=10, folds=None)
    assert res.weights[0] == 0.0  # the random component is never picked
    assert res.counts[1] >= 2 and res.counts[2] >= 2  # with replacement: picked again
    assert res.counts.sum() == 10 and res.weights.sum() == pytest.approx(1.0)
    assert res.trace[0].top1 == pytest.approx(0.5) and res.trace[1].top1 == 1.0
    assert res.oracle_top1 == 1.0
    # bags of all components are the plain selection, repeated
    full = greedy_selection(
        x,
        y,
        domain=domain,
        n_iter=10,
        bagging=5,
        bag_fraction=1.0,
        folds=None,
    )
    assert np.array_equal(full.weights, res.weights)


@pytest.mark.parametrize("domain", ["prob", "logit"])
def test_bagged_selection_keeps_useless_components_small(domain: str) -> None:
    """A, B complementary, four random components; 30 bags of 3 of the 6.

    A bag without A or B can only pick random components, so with bagging their
    weight is not 0. A fifth of the bags hold neither A nor B (all their weight goes to
    random ones) and three fifths hold one of them (about half): the random ones should
    get about half the weight. The stated threshold: every random component weighs less
    than each of A and B, and together less than 0.6 (their uniform share is 2/3).
    """
    x, y = _complementary()
    rand = np.log(np.random.default_rng(0).dirichlet(np.ones(5), size=(200, 3)))
    x6 = np.concatenate([x, rand], axis=1)  # random: 0, 3, 4, 5; A: 1; B: 2
    res = greedy_selection(
        x6,
        y,
        domain=domain,
        n_iter=10,
        bagging=30,
        bag_fraction=0.5,
        seed=1,
        folds=None,
    )
    w = res.weights
    assert w.sum() == pytest.approx(1.0) and all(len(b) == 3 for b in res.bags)
    useless = w[[0, 3, 4, 5]]
    assert useless.max() < min(w[1], w[2]) and useless.sum() < 0.6


def test_deterministic_and_seeded() -> None:
    x, y = _random(k=8, seed=3)
    kw: dict[str, Any] = {"domain": "logit", "n_iter": 12, "bagging": 5, "folds": 3, "repeats": 2}
    one = greedy_selection(x, y, seed=4, **kw)
    two = greedy_selection(x, y, seed=4, **kw)
    assert np.array_equal(one.weights, two.weights) and one.bags == two.bags
    assert one.traces == two.traces and one.honest_top1 == two.honest_top1
    other = greedy_selection(x, y, seed=5, **kw)
    assert other.bags != one.bags


@pytest.mark.parametrize("k", [2, 3, 20])
@pytest.mark.parametrize("fraction", [0.05, 0.5, 1.0])
def test_bagging_works_for_every_k(k: int, fraction: float) -> None:
    x, y = _random(n=60, k=k, c=4, seed=k)
    res = greedy_selection(
        x, y, domain="prob", n_iter=6, bagging=4, bag_fraction=fraction, folds=3, repeats=1
    )
    assert res.weights.shape == (k,) and res.weights.sum() == pytest.approx(1.0)
    assert (res.weights >= 0).all() and res.counts.sum() == 6 * 4
    size = min(k, max(2, round(fraction * k)))
    assert len(res.bags) == 4 and all(len(b) == size for b in res.bags)
    # each bag's picks come from its own components
    for bag, trace in zip(res.bags, res.traces, strict=True):
        assert {s.index for s in trace} <= set(bag)
    assert res.honest_top1 is not None


def test_bag_members() -> None:
    assert [b.tolist() for b in bag_members(5, bagging=0, bag_fraction=0.5, seed=0)] == [
        [0, 1, 2, 3, 4]
    ]
    bags = bag_members(20, bagging=50, bag_fraction=0.25, seed=0)
    assert all(b.size == 5 and np.unique(b).size == 5 for b in bags)
    assert len({tuple(b) for b in bags}) > 40  # drawn afresh for each bag


def test_sorted_initialisation() -> None:
    x, y = _random(k=6, seed=5)
    res = greedy_selection(x, y, domain="prob", n_iter=8, init="sorted", folds=None)
    alone = [greedy_selection(x[:, [j]], y, domain="prob", n_iter=1, folds=None) for j in range(6)]
    best = max(range(6), key=lambda j: (alone[j].oracle_top1, -alone[j].oracle_nll, -j))
    assert res.trace[0].index == best
    # the sorted prefix adds distinct components, strongest first
    first = [s.index for s in res.trace]
    n_prefix = next((i for i in range(1, 8) if first[i] in first[:i]), 8)
    accs = [alone[j].oracle_top1 for j in first[:n_prefix]]
    assert accs == sorted(accs, reverse=True)
    assert res.weights.sum() == pytest.approx(1.0)


def test_honest_below_oracle_on_average() -> None:
    oracle, honest = [], []
    for seed in range(5):
        x, y = _random(n=120, k=6, c=5, seed=10 + seed)
        res = greedy_selection(x, y, domain="logit", n_iter=10, folds=5, repeats=2, seed=seed)
        assert res.selection == "cross-fit" and res.honest_per_repeat is not None
        assert res.honest_per_repeat.shape == (2,) and res.held_out_correct is not None
        oracle.append(res.oracle_top1)
        honest.append(res.honest_top1)
    assert np.mean(honest) <= np.mean(oracle)


def test_val_selection() -> None:
    x, y = _random(n=100, k=4, seed=7)
    xv, yv = _random(n=80, k=4, seed=8)
    res = greedy_selection(x, y, domain="prob", n_iter=5, val=(xv, yv))
    sel = greedy_selection(xv, yv, domain="prob", n_iter=5, folds=None)
    fused = fuse_weighted(x, sel.weights, domain="prob")
    assert res.selection == "val" and res.honest_top1_std == 0.0
    assert res.honest_top1 == float((np.argmax(fused, axis=1) == y).mean())
    assert any("val subset" in n for n in res.notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_iter": 0}, "n_iter"),
        ({"n_iter": 2.5}, "n_iter"),
        ({"bagging": -1}, "bagging"),
        ({"bag_fraction": 0.0}, "bag_fraction"),
        ({"bag_fraction": 1.5}, "bag_fraction"),
        ({"metric": "auc"}, "metric"),
        ({"init": "random"}, "init"),
        ({"domain": "log"}, "domain"),
        ({"component_names": ["a", "a", "b"]}, "component_names"),
        ({"val": (np.zeros((3, 2, 4)), [0, 1, 2])}, "x_val"),
    ],
)
def test_errors(kwargs: dict[str, Any], message: str) -> None:
    x, y = _random(n=30, k=3, c=4)
    args: dict[str, Any] = {"domain": "prob", "folds": None, **kwargs}
    with pytest.raises(UsageError, match=message):
        greedy_selection(x, y, **args)


# --------------------------------------------------------------------------- command, table


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    cfg = synth.SynthConfig(
        n_videos=240,
        n_classes=8,
        n_segments=3,
        streams={"rgb": (1.2, 1.0, 0.4), "flow": (1.5, 1.1, 0.3)},
        kind="prob",
        seed=3,
    )
    return synth.write_scores(tmp_path_factory.mktemp("scores"), cfg)


def test_cli_greedy_json_and_table(
    synth_files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "g.json"
    files = [str(p) for p in synth_files]
    argv = ["grid", *files, "--method", "greedy", "--over", "components", "--iterations", "8"]
    assert (
        cli.main([*argv, "--bags", "3", "--repeats", "2", "--format", "json", "-o", str(out)]) == 0
    )
    whole = json.loads(out.read_text())
    jsonschema.validate(whole, schema("grid"))
    (doc,) = whole["results"]
    assert doc["method"] == "greedy" and doc["bagging"] == 3 and len(doc["bags"]) == 3
    assert len(doc["components"]) == 6 and len(doc["traces"]) == 3
    assert sum(doc["best_weights"].values()) == pytest.approx(1.0)
    assert sum(doc["counts"].values()) == 8 * 3
    assert doc["honest_top1"] <= 1 and doc["selection"] == "cross-fit"
    assert cli.main([*argv, "--repeats", "1"]) == 0
    text = capsys.readouterr().out
    assert "greedy ensemble selection over components (6 components)" in text
    assert "oracle" in text and "honest" in text
    assert cli.main([*argv, "--fixed", "rgb/seg1=0.5"]) == 2
    assert "--method greedy" in capsys.readouterr().err
    assert cli.main([*argv, "--iterations", "0"]) == 2
    assert "--iterations" in capsys.readouterr().err


def test_evaluate_greedy_row(synth_files: list[Path]) -> None:
    files = [str(p) for p in synth_files]
    opts = EvaluateOptions(bootstrap=50, repeats=2, greedy=10, learned=False)
    res = evaluate_files(files, options=opts, progress=False)
    doc = to_document(res)
    jsonschema.validate(doc, schema("evaluate"))
    rows = [r for r in doc["tuned"] if r["fusion"] == "greedy-selection"]
    assert {r["domain"] for r in rows} == {"prob", "logit"}
    for r in rows:
        assert r["level"] == "grid" and r["n_points"] is None and r["over"] == "components"
        assert sum(r["weights"].values()) == pytest.approx(1.0) and len(r["weights"]) == 6
        assert r["top1"] == r["oracle_top1"] and r["honest_top1"] is not None
    plain = evaluate_files(files, options=EvaluateOptions(bootstrap=50, repeats=2), progress=False)
    assert not any(r.get("fusion") == "greedy-selection" for r in plain.records)
    with pytest.raises(UsageError, match="greedy"):
        EvaluateOptions(greedy=-1)
