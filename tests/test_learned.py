"""Tests of fusionlab.learned: learned-linear weights, stacking, temperature scaling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from fusionlab import learned
from fusionlab.errors import UsageError


def _log_normalize(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _streams(
    n: int, c: int, strengths: tuple[float, ...], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Independent Gaussian logits z_s = a_s onehot(y) + N(0, 1) as log-probabilities."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    z = rng.standard_normal((n, len(strengths), c))
    z[np.arange(n), :, y] += np.asarray(strengths)[None, :]
    return _log_normalize(z), y


@pytest.mark.parametrize(("parametrization", "size"), [("scale", 3), ("simplex", 3), ("affine", 2)])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(parametrization: str, size: int, l2: float) -> None:
    x, y = _streams(80, 5, (1.0, 0.5, 1.5), seed=0)
    rng = np.random.default_rng(1)
    params = rng.uniform(0.2, 1.2, size)

    def f(p: np.ndarray) -> float:
        return learned.linear_objective(p, x, y, parametrization=parametrization, l2=l2)[0]

    _, grad = learned.linear_objective(params, x, y, parametrization=parametrization, l2=l2)
    numeric = approx_fprime(params, f, 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_known_answer_linear() -> None:
    """The MLE weights of independent Gaussian logit streams equal the strengths (1, 2)."""
    x, y = _streams(3000, 10, (1.0, 2.0), seed=0)
    fit = learned.fit_linear(x, y)
    assert fit.converged
    # within 15 % of the true ratio, and of the true scale (temperature fitted)
    assert fit.weights[1] / fit.weights[0] == pytest.approx(2.0, rel=0.15)
    np.testing.assert_allclose(fit.raw_weights, [1.0, 2.0], rtol=0.15)
    assert fit.fitted_temperature == pytest.approx(1 / 3, rel=0.15)
    assert fit.weights.sum() == pytest.approx(1.0)


def test_sum_to_one_and_sign_constraints() -> None:
    x, y = _streams(1500, 6, (1.5, -1.0), seed=2)  # the second stream is anti-informative
    nonneg = learned.fit_linear(x, y, nonneg=True)
    assert (nonneg.raw_weights >= 0).all() and nonneg.raw_weights[1] < 1e-6
    free = learned.fit_linear(x, y, nonneg=False)
    assert free.raw_weights[1] < -0.5
    fixed = learned.fit_linear(x, y, temperature=False)
    assert fixed.raw_weights.sum() == pytest.approx(1.0) and fixed.fitted_temperature is None
    free_fixed = learned.fit_linear(x, y, nonneg=False, temperature=False)
    assert free_fixed.raw_weights.sum() == pytest.approx(1.0)
    assert free_fixed.raw_weights[1] < 0


def test_mask_ignores_missing_components() -> None:
    x, y = _streams(400, 5, (1.0, 1.0), seed=3)
    mask = np.ones((400, 2), dtype=bool)
    mask[::3, 1] = False
    fit = learned.fit_linear(x, y, mask)
    garbage = x.copy()
    garbage[~mask] = 123.0
    np.testing.assert_allclose(fit.scores(garbage, mask), fit.scores(x, mask))
    refit = learned.fit_linear(garbage, y, mask)
    np.testing.assert_allclose(refit.raw_weights, fit.raw_weights, rtol=1e-6)


def test_temperature_scaling() -> None:
    rng = np.random.default_rng(4)
    y = np.arange(2000) % 5
    z = rng.standard_normal((2000, 2, 5))
    z[np.arange(2000), :, y] += 1.5
    x = _log_normalize(z * np.array([3.0, 0.5])[None, :, None])  # over- and under-confident
    fit = learned.fit_temperatures(x, y)
    # calibrated logits are 1.5 z (the Bayes posterior), so T = 3 / 1.5 and 0.5 / 1.5
    np.testing.assert_allclose(fit.temperatures, [2.0, 1 / 3], rtol=0.1)
    s = fit.scores(x)
    assert s.shape == (2000, 5)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)


def test_stacking() -> None:
    x, y = _streams(300, 4, (1.0, 1.5), seed=5)
    fit = learned.fit_stacking(x, y, seed=0)
    lp = fit.scores(x)
    assert lp.shape == (300, 4)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)
    # a class missing from the training videos is never predicted
    keep = y != 3
    part = learned.fit_stacking(x[keep], y[keep], seed=0)
    lp2 = part.scores(x)
    assert (lp2[:, 3] == -1e300).all() and (lp2.argmax(axis=1) != 3).all()
    with pytest.raises(UsageError, match="C must be a positive number"):
        learned.fit_stacking(x, y, C=0.0)


@pytest.mark.parametrize("method", ["linear", "temperature", "stacking"])
def test_learned_fusion_honest_and_oracle(method: str) -> None:
    x, y = _streams(400, 5, (1.0, 2.0), seed=6)
    res = learned.learned_fusion(
        x, y, method=method, component_names=["rgb", "flow"], folds=4, repeats=2, seed=0
    )
    assert 0.0 < res.honest_top1 <= 1.0 and 0.0 < res.in_sample_top1 <= 1.0
    assert res.honest_top1 <= res.in_sample_top1 + 0.02  # honest not above in-sample (noise aside)
    assert res.honest_per_repeat.shape == (2,) and res.held_out_correct.shape == (400,)
    assert res.in_sample_scores.shape == (400, 5)
    d = res.to_dict()
    assert d["method"] == method and d["repeats"] == 2
    if method == "linear":
        assert res.weights is not None and set(res.weights) == {"rgb", "flow"}
        assert sum(res.weights.values()) == pytest.approx(1.0)
        assert res.weights["flow"] > res.weights["rgb"]
    if method == "temperature":
        assert res.temperatures is not None and set(res.temperatures) == {"rgb", "flow"}
    again = learned.learned_fusion(x, y, method=method, folds=4, repeats=2, seed=0)
    assert again.honest_top1 == res.honest_top1


def test_stacking_overfits_more_than_linear() -> None:
    """With many classes and few videos, stacking's in-sample-honest gap is the larger one."""
    x, y = _streams(300, 10, (1.0, 1.5), seed=7)
    lin = learned.learned_fusion(x, y, method="linear", folds=3, repeats=1)
    stk = learned.learned_fusion(x, y, method="stacking", folds=3, repeats=1)
    assert stk.in_sample_top1 - stk.honest_top1 > lin.in_sample_top1 - lin.honest_top1


def test_errors() -> None:
    x, y = _streams(20, 3, (1.0,), seed=8)
    with pytest.raises(UsageError, match="method must be"):
        learned.learned_fusion(x, y, method="magic")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="l2 must be"):
        learned.fit_linear(x, y, l2=-1.0)
    with pytest.raises(UsageError, match="components"):
        learned.fit_linear(x, y).scores(np.concatenate([x, x], axis=1))


def test_separable_folds_do_not_inherit_the_oracle() -> None:
    """Regression test (found in review): fold fits once started from the all-video
    fit, and where a training fold is separable L-BFGS stopped there at once, so the
    held-out labels steered the fold's weights and the honest estimate equalled the
    oracle (1.0 on these data; 0.955 with fold fits that start afresh)."""
    rng = np.random.default_rng(0)
    n, k, c = 40, 3, 10
    y = np.arange(n) % c
    z = rng.standard_normal((n, k, c)) * rng.choice([0.3, 1, 3])
    for j, strength in enumerate(rng.uniform(0, 4, k)):
        z[np.arange(n), j, y] += strength
    x = z - np.log(np.exp(z).sum(2, keepdims=True))
    res = learned.learned_fusion(x, y, folds=4, repeats=10)
    assert res.in_sample_top1 == 1.0
    assert res.honest_top1 is not None and res.honest_top1 < 0.99


def test_val_fit_scores_on_the_other_subset() -> None:
    rng = np.random.default_rng(1)

    def data(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n) % 4
        z = rng.standard_normal((n, 2, 4))
        z[np.arange(n), 0, y] += 1.0
        z[np.arange(n), 1, y] += 2.0
        return z - np.log(np.exp(z).sum(2, keepdims=True)), y

    x, y = data(200)
    xv, yv = data(150)
    res = learned.learned_fusion(x, y, val=(xv, yv))
    fit = learned.fit_linear(xv, yv)
    expected = (np.argmax(fit.scores(x), axis=1) == y).mean()
    assert res.honest_top1 == expected and res.honest_top1_std == 0.0
    d = res.to_dict()
    assert d["selection"] == "val" and d["folds"] is None
