"""Generic tests over the whole rule registry, plus exact identities (STYLE: test_common)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fusionlab import rules
from fusionlab.errors import UsageError
from fusionlab.metrics import predict

# Property sets: a rule missing from every set is a test failure (see test_registry_complete).
DOMAIN_INVARIANT = {"max", "min", "vote", "borda", "reciprocal_rank"}
ASYMMETRIC = {"weighted"}
NEEDS_PARAMS = {"weighted": {"weights": [1.0, 2.0, 0.5]}}
ORDINARY = {
    "mean",
    "median",
    "topk_mean",
    "variance_weighted",
    "entropy_weighted",
    "confidence_weighted",
}
ALL = sorted(rules.RULES)


def _x(n: int = 40, k: int = 3, c: int = 6, seed: int = 0, tied: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 3, size=(n, k, c)).astype(float) if tied else rng.normal(size=(n, k, c)) * 2
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _params(name: str) -> dict[str, object]:
    return dict(NEEDS_PARAMS.get(name, {}))


def test_registry_complete() -> None:
    known = DOMAIN_INVARIANT | ASYMMETRIC | ORDINARY
    assert set(rules.RULES) == known, set(rules.RULES) ^ known
    assert {n for n, r in rules.RULES.items() if r.domain_invariant} == DOMAIN_INVARIANT
    assert {n for n, r in rules.RULES.items() if not r.symmetric} == ASYMMETRIC


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("domain", rules.DOMAINS)
@pytest.mark.parametrize("tied", [False, True])
def test_permuting_videos(name: str, domain: rules.Domain, tied: bool) -> None:
    x = _x(tied=tied)
    perm = np.random.default_rng(1).permutation(x.shape[0])
    a = rules.fuse(name, x, domain=domain, **_params(name))
    b = rules.fuse(name, x[perm], domain=domain, **_params(name))
    np.testing.assert_array_equal(a[perm], b)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_permuting_classes_consistently(name: str, domain: rules.Domain) -> None:
    x = _x()
    perm = np.random.default_rng(2).permutation(x.shape[2])
    a = rules.fuse(name, x, domain=domain, **_params(name))
    b = rules.fuse(name, x[:, :, perm], domain=domain, **_params(name))
    np.testing.assert_allclose(a[:, perm], b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(set(ALL) - ASYMMETRIC))
@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_symmetric_rules_ignore_component_order(name: str, domain: rules.Domain) -> None:
    x = _x()
    a = rules.fuse(name, x, domain=domain)
    b = rules.fuse(name, x[:, ::-1], domain=domain)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(DOMAIN_INVARIANT))
def test_domain_invariant_rules_decide_alike(name: str) -> None:
    for tied in (False, True):
        x = _x(tied=tied)
        np.testing.assert_array_equal(
            predict(rules.fuse(name, x, domain="prob")),
            predict(rules.fuse(name, x, domain="logit")),
        )


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_single_component_keeps_its_decision(name: str, domain: rules.Domain) -> None:
    x = _x(k=1)
    params = {"weights": [3.0]} if name == "weighted" else {}
    np.testing.assert_array_equal(
        predict(rules.fuse(name, x, domain=domain, **params)), predict(x[:, 0])
    )


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_inputs_not_modified_and_output_shape(name: str, domain: rules.Domain) -> None:
    x = _x()
    mask = np.ones(x.shape[:2], bool)
    mask[::3, 1] = False
    x0, m0 = x.copy(), mask.copy()
    out = rules.fuse(name, x, mask, domain=domain, **_params(name))
    assert out.shape == (x.shape[0], x.shape[2])
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(mask, m0)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_masked_component_is_ignored(name: str, domain: rules.Domain) -> None:
    """A masked component gives the same result as removing it."""
    x = _x()
    mask = np.ones(x.shape[:2], bool)
    mask[:, 2] = False
    garbage = x.copy()
    garbage[:, 2] = np.log(np.eye(x.shape[2])[0] * 0.999 + 0.001 / x.shape[2])
    p = _params(name)
    p_drop = {"weights": [1.0, 2.0]} if name == "weighted" else p
    a = rules.fuse(name, garbage, mask, domain=domain, **p)
    b = rules.fuse(name, x[:, :2], domain=domain, **p_drop)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_logit_mean_is_geometric_mean_of_softmaxes() -> None:
    for tied in (False, True):
        x = _x(tied=tied)
        geo = np.prod(np.exp(x), axis=1) ** (1 / x.shape[1])
        geo = geo / geo.sum(axis=1, keepdims=True)
        fused = rules.fuse("mean", x, domain="logit")
        np.testing.assert_allclose(np.exp(rules.to_log_probs(fused, "logit")), geo, rtol=1e-10)
        if not tied:
            np.testing.assert_array_equal(predict(fused), predict(geo))


def test_weighted_logit_sum_is_weighted_product_rule() -> None:
    x = _x(seed=5)
    w = np.array([1.0, 1.5, 0.25])
    prod = np.prod(np.exp(x) ** w[None, :, None], axis=1)
    fused = rules.fuse("weighted", x, domain="logit", weights=w)
    np.testing.assert_array_equal(predict(fused), predict(prod))


def test_logit_mean_equals_mean_of_raw_logits_decisions() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(50, 3, 7)) * 3 + 5  # arbitrary offsets per component
    x = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_array_equal(
        predict(rules.fuse("mean", x, domain="logit")), predict(logits.mean(axis=1))
    )


@pytest.mark.parametrize("scale", [2.0, 3.0, 0.1, 7.0])
@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_scaling_weights_changes_no_decision(scale: float, domain: rules.Domain) -> None:
    x = _x(tied=True, seed=4)
    w = np.array([1.0, 3.0, 2.0])
    a = rules.fuse("weighted", x, domain=domain, weights=w)
    b = rules.fuse("weighted", x, domain=domain, weights=w * scale)
    np.testing.assert_array_equal(predict(a), predict(b))


def test_equal_fixed_weights_match_ratios_exactly() -> None:
    x = _x()
    a = rules.fuse("weighted", x[:, :2], domain="prob", weights=[1, 1.5])
    b = rules.fuse("weighted", x[:, :2], domain="prob", weights=[2, 3])
    np.testing.assert_array_equal(a, b)


def test_mean_prob_is_sum_rule_by_hand() -> None:
    p = np.array([[[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]]])
    fused = rules.fuse("mean", np.log(p), domain="prob")
    np.testing.assert_allclose(fused, [[0.4, 0.35, 0.25]])
    np.testing.assert_allclose(rules.fuse("max", np.log(p), domain="prob"), [[0.7, 0.5, 0.4]])
    np.testing.assert_allclose(rules.fuse("min", np.log(p), domain="prob"), [[0.1, 0.2, 0.1]])


def test_vote_ties_broken_by_mean_probability_then_lowest_index() -> None:
    p = np.array([[[0.6, 0.4, 0.0], [0.1, 0.9, 0.0]]]) + 1e-12
    x = np.log(p / p.sum(-1, keepdims=True))
    assert predict(rules.fuse("vote", x, domain="prob"))[0] == 1  # 1 vote each; class 1 mean 0.65
    q = np.array([[[0.5, 0.5], [0.5, 0.5]]])
    assert predict(rules.fuse("vote", np.log(q), domain="logit"))[0] == 0


def test_variance_weighting_prefers_confident_component() -> None:
    p = np.array([[[0.34, 0.33, 0.33], [0.05, 0.9, 0.05]]])
    fused = rules.fuse("variance_weighted", np.log(p), domain="prob")
    var = p.var(axis=2)[0]
    w = var / var.sum()
    np.testing.assert_allclose(fused[0], w[0] * p[0, 0] + w[1] * p[0, 1])


def test_topk_mean_by_hand() -> None:
    p = np.array([[[0.6, 0.4], [0.2, 0.8], [0.5, 0.5]]])
    fused = rules.fuse("topk_mean", np.log(p), domain="prob", k=2)
    np.testing.assert_allclose(fused, [[0.55, 0.65]])


def test_two_level_and_flat() -> None:
    a, b = _x(seed=7), _x(seed=8)
    two = rules.two_level([a, b], domain="logit")
    flat, mask = rules.flat_components([a, b])
    assert mask is None
    np.testing.assert_array_equal(predict(two), predict(rules.fuse("mean", flat, domain="logit")))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": [1.0, -1.0, 1.0]}, "non-negative"),
        ({"weights": [0.0, 0.0, 0.0]}, "must not all be zero"),
        ({"weights": [1.0, 2.0]}, "expected 3 weights"),
        ({"weights": [1.0, np.nan, 2.0]}, "finite"),
    ],
)
def test_weight_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        rules.fuse("weighted", _x(), domain="prob", **kwargs)


def test_other_errors() -> None:
    with pytest.raises(UsageError, match="unknown fusion rule 'avg'"):
        rules.fuse("avg", _x(), domain="prob")
    with pytest.raises(UsageError, match="domain must be"):
        rules.fuse("mean", _x(), domain="softmax")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="integer k >= 1"):
        rules.fuse("topk_mean", _x(), domain="prob", k=0)
    with pytest.raises(UsageError, match="shape"):
        rules.fuse("mean", _x()[0], domain="prob")


@pytest.mark.parametrize("domain", rules.DOMAINS)
def test_weighted_rule_equals_search_reference_bit_for_bit(domain: rules.Domain) -> None:
    """Found in review: with 20 masked components the two differed in the last bit."""
    from fusionlab.search import fuse_weighted

    x = _x(n=60, k=20, c=7, seed=9)
    mask = np.random.default_rng(1).random((60, 20)) < 0.7
    mask[:, 0] = True
    w = np.random.default_rng(2).integers(1, 9, 20).astype(float)
    a = rules.fuse("weighted", x, mask, domain=domain, weights=w)
    b = fuse_weighted(x, rules.normalize_weights(w, 20), mask, domain=domain)
    np.testing.assert_array_equal(a, b)


def test_output_domain_property() -> None:
    for name, rule in rules.RULES.items():
        for d in rules.DOMAINS:
            expected = "prob" if name in ("vote", "borda", "reciprocal_rank") else d
            assert rule.output_domain(d) == expected


def test_borda_by_hand() -> None:
    # 1 video, 3 components, 3 classes; ranks per component (best first):
    # c0: 2 > 0 > 1   c1: 0 > 2 > 1   c2: 1 > 0 > 2
    p = np.array([[[0.3, 0.1, 0.6], [0.5, 0.2, 0.3], [0.35, 0.45, 0.2]]])
    x = np.log(p)
    points = np.array([[1 + 2 + 1, 0 + 0 + 2, 2 + 1 + 0]], dtype=float)  # class 0: 4, 1: 2, 2: 3
    got = rules.fuse("borda", x, domain="logit")
    np.testing.assert_allclose(got, points + 0.5 * p.mean(axis=1))
    assert predict(got)[0] == 0
    # a masked component gives no points
    mask = np.array([[True, True, False]])
    got = rules.fuse("borda", x, mask, domain="prob")
    np.testing.assert_allclose(got[0, :], [1 + 2, 0 + 0, 2 + 1] + 0.5 * p[0, :2].mean(axis=0))


def test_borda_ties_by_mean_probability() -> None:
    # two components with opposite orders: equal points, the higher mean probability wins
    p = np.array([[[0.7, 0.3], [0.4, 0.6]]])
    assert predict(rules.fuse("borda", np.log(p), domain="prob"))[0] == 0  # mean 0.55 vs 0.45


def test_reciprocal_rank_by_hand() -> None:
    p = np.array([[[0.3, 0.1, 0.6], [0.5, 0.2, 0.3], [0.35, 0.45, 0.2]]])
    x = np.log(p)
    r = np.array([[2, 3, 1], [1, 3, 2], [2, 1, 3]])  # 1-based ranks per component
    want = (1.0 / (60 + r)).sum(axis=0)
    np.testing.assert_allclose(rules.fuse("reciprocal_rank", x, domain="prob")[0], want)
    want1 = (1.0 / (1 + r)).sum(axis=0)
    np.testing.assert_allclose(rules.fuse("reciprocal_rank", x, domain="logit", k=1)[0], want1)
    with pytest.raises(UsageError, match="k must be a finite number"):
        rules.fuse("reciprocal_rank", x, domain="prob", k=-1)


def test_rank_rules_are_in_the_registry_but_not_the_default_table() -> None:
    from fusionlab.evaluate import DEFAULT_RULES, SYMMETRIC_RULES

    assert {n for n, r in rules.RULES.items() if not r.in_default_table} == {
        "borda",
        "reciprocal_rank",
    }
    assert "borda" in SYMMETRIC_RULES and "borda" not in DEFAULT_RULES
    assert set(DEFAULT_RULES) < set(SYMMETRIC_RULES)


def test_rank_rules_on_request_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from fusionlab import cli, synth

    files = [str(p) for p in synth.write_scores(tmp_path, synth.SynthConfig(n_videos=40, seed=1))]
    argv = ["evaluate", *files, "--format", "json", "-q", "--tuned", "never", "--bootstrap", "0"]
    assert cli.main(argv) == 0
    plain = json.loads(capsys.readouterr().out)["accuracy"]
    ranked = {"borda", "reciprocal_rank"}
    assert not any({r["consensus"], r["fusion"]} & ranked for r in plain)
    assert cli.main([*argv, "--consensus", "mean,borda", "--fusion", "reciprocal_rank"]) == 0
    rows = json.loads(capsys.readouterr().out)["accuracy"]
    assert any(r["consensus"] == "borda" and r["level"] == "single" for r in rows)
    assert any(r["fusion"] == "reciprocal_rank" for r in rows)
