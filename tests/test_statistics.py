"""Adjusted p-values, Wilson intervals and the cluster bootstrap, against references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from fusionlab import metrics
from fusionlab.errors import UsageError

FIXED_P = [0.001, 0.2, 0.04, 0.04, 0.5, 0.011, 0.9, 0.03, 0.0004, 1.0]


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_pvalues_match_statsmodels(ours: str, theirs: str) -> None:
    rng = np.random.default_rng(0)
    for p in [FIXED_P, rng.uniform(size=37).tolist(), (rng.uniform(size=12) ** 4).tolist()]:
        want = multipletests(p, method=theirs)[1]
        got = metrics.adjust_pvalues(p, method=ours)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_adjusted_pvalues_keep_nan_out_of_the_family() -> None:
    p = [0.01, float("nan"), 0.02]
    got = metrics.adjust_pvalues(p, method="holm")
    assert np.isnan(got[1])
    np.testing.assert_allclose(got[[0, 2]], multipletests([0.01, 0.02], method="holm")[1])
    assert metrics.adjust_pvalues(p, method="none")[2] == 0.02
    with pytest.raises(UsageError, match="method must be one of"):
        metrics.adjust_pvalues(p, method="bonferroni")
    with pytest.raises(UsageError, match=r"\[0, 1\]"):
        metrics.adjust_pvalues([1.5])


def test_wilson_interval_matches_scipy() -> None:
    for n in (1, 5, 20, 58, 1530):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            if k < 0 or k > n:
                continue
            for conf in (0.9, 0.95, 0.99):
                ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
                low, high = metrics.wilson_interval(k, n, confidence=conf)
                assert float(low) == pytest.approx(ci.low, abs=1e-12)
                assert float(high) == pytest.approx(ci.high, abs=1e-12)
    low, high = metrics.wilson_interval(np.array([0, 3]), np.array([4, 4]))
    assert low.shape == (2,) and low[0] == 0.0 and high[1] < 1.0


def _grouped(n_groups: int, size: int, effect: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Correctness with a per-group random effect: videos of a group succeed or fail together."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), size)
    p_group = np.clip(0.7 + effect * rng.normal(size=n_groups), 0.02, 0.98)
    correct = rng.uniform(size=groups.size) < p_group[groups]
    return correct, groups


def test_cluster_bootstrap_is_wider_with_a_group_effect() -> None:
    correct, groups = _grouped(40, 8, effect=0.35, seed=1)
    plain = metrics.bootstrap_ci(correct, n_resamples=2000, seed=0)
    cluster = metrics.bootstrap_ci(correct, n_resamples=2000, seed=0, groups=groups)
    assert (cluster[1] - cluster[0]) > 1.5 * (plain[1] - plain[0])
    assert cluster[0] < correct.mean() < cluster[1]


def test_cluster_bootstrap_with_singletons_is_the_plain_one() -> None:
    rng = np.random.default_rng(2)
    correct = rng.uniform(size=300) < 0.6
    widths = []
    for seed in range(20):
        plain = metrics.bootstrap_ci(correct, n_resamples=1000, seed=seed)
        single = metrics.bootstrap_ci(
            correct, n_resamples=1000, seed=seed + 100, groups=np.arange(300)
        )
        widths.append(((plain[1] - plain[0]), (single[1] - single[0])))
    w = np.array(widths)
    # same distribution: mean widths within 5 % of each other
    assert abs(w[:, 0].mean() / w[:, 1].mean() - 1) < 0.05


def test_cluster_counts_move_groups_together() -> None:
    groups = np.array([3, 3, 7, 7, 7, 9])
    counts = metrics.bootstrap_counts(6, n_resamples=50, seed=0, groups=groups)
    assert (counts[:, 0] == counts[:, 1]).all() and (counts[:, 2] == counts[:, 4]).all()
    # every resample draws 3 groups
    per_group = counts[:, [0, 2, 5]]
    assert (per_group.sum(axis=1) == 3).all()
    with pytest.raises(UsageError, match="'groups' must be an integer array"):
        metrics.bootstrap_counts(6, groups=np.zeros(5, dtype=int))


def test_paired_diff_takes_groups() -> None:
    correct, groups = _grouped(30, 6, effect=0.3, seed=4)
    other = correct.copy()
    other[::7] = ~other[::7]
    plain = metrics.paired_bootstrap_diff(correct, other, seed=0)
    cluster = metrics.paired_bootstrap_diff(correct, other, seed=0, groups=groups)
    assert cluster.diff == plain.diff
    assert cluster.low <= cluster.diff <= cluster.high
