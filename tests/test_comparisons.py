"""Fusion rows against the best single stream, adjusted p-values, Wilson intervals and the
cross-fitted best of many rules: against statsmodels, scipy and hand computations."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from scipy import integrate, stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests

from fusionlab import metrics, synth
from fusionlab.errors import UsageError
from fusionlab.evaluate import EvaluateOptions, Results, evaluate
from fusionlab.evaluate.selection import best_of_many, choose_row
from fusionlab.fused import LogProbCache, known_labels, row_label
from fusionlab.jsonio import schema
from fusionlab.render import format_results
from fusionlab.scores import group

B = 300


def _small(
    adjust: str = "holm", tuned: str = "never", bootstrap: int = B, seed: int = 5
) -> Results:
    sets = synth.make_scores(
        n_videos=80,
        n_classes=5,
        n_segments=2,
        streams={"rgb": (0.9, 0.7), "flow": (1.0, 0.8)},
        kind="prob",
        seed=seed,
    )
    opts = EvaluateOptions(
        bootstrap=bootstrap,
        adjust=adjust,
        tuned=tuned,
        repeats=2,
        seed=3,  # type: ignore[arg-type]
    )
    return evaluate(group(sets), options=opts, progress=False)


def _correct(res: Results, row: dict[str, Any]) -> np.ndarray:
    ev = res.evaluations[0]
    known, y = known_labels(ev)
    fused = row["spec"].fused(ev, LogProbCache(ev))[known]
    return np.asarray(fused.argmax(axis=1) == y)


# --------------------------------------------------------------------------- metrics


def test_paired_bootstrap_test_matches_the_diff_and_a_hand_p_value() -> None:
    rng = np.random.default_rng(0)
    ref = rng.uniform(size=150) < 0.6
    rows = np.stack([rng.uniform(size=150) < p for p in (0.6, 0.7, 0.75)] + [ref])
    test = metrics.paired_bootstrap_test(rows, ref, n_resamples=400, seed=9)
    counts = metrics.bootstrap_counts(150, n_resamples=400, seed=9)
    for i, row in enumerate(rows):
        one = metrics.paired_bootstrap_diff(row, ref, n_resamples=400, seed=9)
        assert (test.diff[i], test.low[i], test.high[i]) == pytest.approx(
            (one.diff, one.low, one.high), abs=1e-12
        )
        d = counts @ (row.astype(float) - ref) / 150
        le, ge = (1 + (d <= 0).sum()) / 401, (1 + (d >= 0).sum()) / 401
        assert test.pvalue[i] == pytest.approx(min(1.0, 2 * min(le, ge)), abs=1e-12)
    assert test.pvalue[3] == 1.0  # the reference itself: every resampled gain is 0
    assert test.pvalue.min() >= 2 / 401  # the +1 correction: never 0
    with pytest.raises(UsageError, match="'counts' must have shape"):
        metrics.paired_bootstrap_test(rows, ref, counts=counts[:, :10])


# --------------------------------------------------------------------------- the pipeline


@pytest.mark.parametrize(("adjust", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_fusion_rows_against_the_best_single_end_to_end(adjust: str, theirs: str) -> None:
    res = _small(adjust)
    rows = res.rows()
    singles = [r for r in rows if r["level"] == "single"]
    best = singles[0]  # rows are best first; one epoch, so every single is of the latest
    ref = _correct(res, best)
    fusion = [r for r in rows if r["level"] in ("two-level", "flat")]
    assert fusion and all(r["best_single"] == row_label(best) for r in fusion)
    counts = metrics.bootstrap_counts(ref.size, n_resamples=B, seed=3)
    for r in fusion:
        c = _correct(res, r)
        assert r["diff_vs_best_single"] == pytest.approx(c.mean() - ref.mean())
        b, d = int((c & ~ref).sum()), int((~c & ref).sum())
        want = sm_mcnemar([[0, b], [d, 0]], exact=b + d < 25, correction=True).pvalue
        assert r["mcnemar_p"] == pytest.approx(min(1.0, want), rel=1e-9)
        delta = counts @ (c.astype(float) - ref) / ref.size
        lo, hi = np.quantile(delta, [0.025, 0.975])
        assert (r["diff_ci_low"], r["diff_ci_high"]) == pytest.approx((lo, hi))
        le, ge = (1 + (delta <= 0).sum()) / (B + 1), (1 + (delta >= 0).sum()) / (B + 1)
        assert r["gain_p"] == pytest.approx(min(1.0, 2 * min(le, ge)))
    for r in rows:
        if r["level"] not in ("two-level", "flat"):
            assert r["mcnemar_p"] is None and r["gain_p"] is None
    for key in ("mcnemar_p", "gain_p"):
        want = multipletests([r[key] for r in fusion], method=theirs)[1]
        got = [r[f"{key}_adjusted"] for r in fusion]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    comp = res.extra["comparisons"][res.evaluations[0].name]
    assert comp == {
        "best_single": row_label(best),
        "adjust": adjust,
        "n_mcnemar": len(fusion),
        "n_gain": len(fusion),
    }


def test_no_adjustment_and_no_bootstrap() -> None:
    res = _small("none", bootstrap=0)
    fusion = [r for r in res.rows() if r["level"] in ("two-level", "flat")]
    assert all(r["mcnemar_p_adjusted"] == r["mcnemar_p"] is not None for r in fusion)
    assert all(r["gain_p"] is None and r["diff_ci_low"] is None for r in fusion)
    with pytest.raises(UsageError, match="adjust must be one of"):
        EvaluateOptions(adjust="bonferroni")  # type: ignore[arg-type]


def test_tuned_rows_join_the_mcnemar_family() -> None:
    res = _small(tuned="always")
    rows = res.rows()
    tuned = [r for r in rows if r["level"] in ("grid", "learned")]
    family = [r for r in rows if r["mcnemar_p"] is not None]
    assert tuned and all(r in family for r in tuned)
    # held-out predictions against the same best single stream: a bootstrap p too
    assert all(r["gain_p"] is not None for r in tuned)
    want = multipletests([r["mcnemar_p"] for r in family], method="holm")[1]
    np.testing.assert_allclose([r["mcnemar_p_adjusted"] for r in family], want, atol=1e-12)
    gains = [r for r in rows if r["gain_p"] is not None]
    assert all(r in gains for r in tuned)
    want = multipletests([r["gain_p"] for r in gains], method="holm")[1]
    np.testing.assert_allclose([r["gain_p_adjusted"] for r in gains], want, atol=1e-12)
    comp = res.extra["comparisons"][res.evaluations[0].name]
    assert comp["n_mcnemar"] == len(family) and comp["n_gain"] == len(gains)


def test_wilson_interval_of_every_row_matches_scipy() -> None:
    res = _small(tuned="always")
    for r in res.rows():
        k = round(r["top1"] * r["n_videos"])
        ci = stats.binomtest(k, r["n_videos"]).proportion_ci(method="wilson")
        assert r["top1_wilson_low"] == pytest.approx(ci.low, abs=1e-12)
        assert r["top1_wilson_high"] == pytest.approx(ci.high, abs=1e-12)


def test_every_output_names_the_adjustment() -> None:
    res = _small("bh")
    doc = json.loads(format_results(res, "json"))
    jsonschema.validate(doc, schema("evaluate"))
    assert doc["meta"]["adjust"] == "bh"
    ev = doc["meta"]["evaluations"][0]
    fusion = [r for r in doc["accuracy"] if r["level"] in ("two-level", "flat")]
    assert ev["n_mcnemar_tests"] == ev["n_gain_tests"] == len(fusion)
    assert all(len(r["top1_wilson"]) == 2 for r in doc["accuracy"])
    (bom,) = doc["best_of_many"]
    assert bom["n_rules"] == len(doc["accuracy"])
    rows = list(csv.DictReader(io.StringIO(format_results(res, "csv"))))
    assert {r["adjust"] for r in rows if r["mcnemar_p"]} == {"bh"}
    assert all(r["top1_wilson_low"] for r in rows if r["level"] != "best-of-many")
    (b_row,) = [r for r in rows if r["level"] == "best-of-many"]
    assert b_row["rule"] == bom["naive_label"] and int(b_row["n_rules"]) == bom["n_rules"]
    for fmt in ("table", "markdown"):
        text = format_results(res, fmt)  # type: ignore[arg-type]
        assert f"Benjamini-Hochberg-adjusted over {len(fusion)} comparisons" in text
        assert "McNemar p adj." in text and "Wilson 95% CI" in text
        assert f"best of {bom['n_rules']} untuned rules" in text.lower()


# --------------------------------------------------------------------------- best of many


def test_naive_best_is_the_table_top_untuned_row() -> None:
    res = _small()
    name = res.evaluations[0].name
    bom = res.extra["best_of_many"][name]
    top = res.rows(name)[0]
    assert (bom["naive_label"], bom["naive_top1"]) == (row_label(top), top["top1"])
    assert bom["n_choices"] == bom["folds"] * bom["repeats"] == 5 * 2
    assert sum(c["count"] for c in bom["chosen"]) == bom["n_choices"]
    assert len(bom["honest_per_repeat"]) == 2
    assert bom["honest_top1"] == pytest.approx(np.mean(bom["honest_per_repeat"]))


def test_choose_row_breaks_ties_like_the_table() -> None:
    """Top-1, then top-5, then mean class accuracy, then the first row."""
    y = np.array([0, 0, 1, 1])
    c1 = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]], dtype=bool)
    c5 = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=bool)
    # rows 0 and 2 tie on top-1 (2), top-5 (4) and mean-class (0.5): the first wins
    assert choose_row(c1, c5, y, n_classes=2) == 0
    c1b = c1.copy()
    c1b[0] = [1, 0, 0, 0]  # row 0 loses on top-1; row 2 beats row 1 on top-5
    assert choose_row(c1b, c5, y, n_classes=2) == 2
    c5b = c5.copy()
    c5b[2, 3] = False  # rows 1 and 2 now tie everywhere: the first wins
    assert choose_row(c1b, c5b, y, n_classes=2) == 1
    # equal top-1 and top-5, mean-class decides: (2/3 + 0) / 2 < (1/3 + 1) / 2
    y2 = np.array([0, 0, 0, 1])
    c = np.array([[1, 1, 0, 0], [1, 0, 0, 1]], dtype=bool)
    assert choose_row(c, c, y2, n_classes=2) == 1
    assert choose_row(c, c, y2, n_classes=2, index=np.arange(3)) == 0  # on the first three


def _expected_accuracy(strength: float, n_classes: int) -> float:
    """P(signal + e_true > every other e), e standard normal: the accuracy of each rule."""

    def f(z: float) -> float:
        return float(stats.norm.pdf(z) * stats.norm.cdf(z + strength) ** (n_classes - 1))

    return float(integrate.quad(f, -np.inf, np.inf)[0])


#: Seeds of the simulation; the honest estimate must lie within HONEST_TOL of the
#: expected accuracy on average (about 4 standard errors of the mean over seeds:
#: each seed's estimate has a standard deviation of about 0.035 at 200 videos), and
#: the naive one must overstate it by at least NAIVE_MARGIN (the expected maximum of
#: 10 such estimates lies about 1.5 standard deviations, 0.05, above the mean).
SEEDS = range(30)
HONEST_TOL = 0.025
NAIVE_MARGIN = 0.03


def test_best_of_many_is_honest_where_every_rule_is_equally_good() -> None:
    n_rules, n_classes, strength = 10, 5, 1.0
    expected = _expected_accuracy(strength, n_classes)
    naive, honest = [], []
    for seed in SEEDS:
        sets = synth.make_scores(
            n_videos=200,
            n_classes=n_classes,
            n_segments=1,
            streams={f"s{j}": strength for j in range(n_rules)},  # independent noise each
            kind="logit",
            seed=seed,
        )
        opts = EvaluateOptions(
            domains=("logit",), consensus=("mean",), fusion=(), tuned="never", bootstrap=0
        )
        res = evaluate(group(sets), options=opts, progress=False)
        (bom,) = res.extra["best_of_many"].values()
        assert bom["n_rules"] == n_rules
        naive.append(bom["naive_top1"])
        honest.append(bom["honest_top1"])
    assert np.mean(naive) > expected + NAIVE_MARGIN
    assert abs(np.mean(honest) - expected) < HONEST_TOL


def test_best_of_many_on_arrays() -> None:
    rng = np.random.default_rng(1)
    y = np.arange(60) % 3
    correct = rng.uniform(size=(4, 60)) < np.array([[0.5], [0.9], [0.6], [0.55]])
    out = best_of_many(
        ["a", "b", "c", "d"], correct, correct, y, n_classes=3, folds=3, repeats=2, seed=0
    )
    assert out["naive_label"] == "b" and out["chosen"][0]["label"] == "b"
    assert out["n_choices"] == 6 and out["stratified"] is True
    assert 0 <= out["honest_top1"] <= 1 and not math.isnan(out["honest_top1_std"])


def test_adjust_on_the_command_line(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from fusionlab import cli

    paths = synth.write_scores(
        tmp_path, synth.SynthConfig(n_videos=40, n_classes=4, n_segments=2, seed=1)
    )
    argv = ["evaluate", *map(str, paths), "--tuned", "never", "--bootstrap", "50", "-q"]
    assert cli.main([*argv, "--adjust", "none", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["meta"]["adjust"] == "none" and doc["meta"]["options"]["adjust"] == "none"
    fusion = [r for r in doc["accuracy"] if r["mcnemar_p"] is not None]
    assert fusion and all(r["mcnemar_p_adjusted"] == r["mcnemar_p"] for r in fusion)
    with pytest.raises(SystemExit) as exc:  # argparse refuses an unknown method
        cli.main([*argv, "--adjust", "bonferroni"])
    assert exc.value.code == 2


def test_tuned_rows_are_compared_with_the_tables_best_single_stream(tmp_path: Path) -> None:
    """Tuned rows: the gain of their held-out predictions over the table's best single row."""
    from fusionlab.scores import load

    files = synth.write_scores(tmp_path, synth.SynthConfig(n_videos=120, n_segments=2, seed=4))
    res = evaluate(
        group([load(p) for p in files]),
        options=EvaluateOptions(bootstrap=300, repeats=1),
        progress=False,
    )
    rows = res.records
    untuned = [r for r in rows if r["level"] in ("two-level", "flat")]
    tuned = [r for r in rows if r["level"] in ("grid", "learned")]
    assert tuned and untuned
    label = untuned[0]["best_single"]
    best = next(r for r in rows if r["level"] == "single" and r["spec"] is not None)
    for r in tuned:
        assert "held_out_correct" not in r
        assert r["best_single"] == label
        assert r["gain_p"] is not None and 0 < r["gain_p"] <= 1
        assert r["diff_ci_low"] <= r["diff_vs_best_single"] <= r["diff_ci_high"]
        # one repeat: the held-out predictions' accuracy is the honest top-1
        assert r["diff_vs_best_single"] + best["top1"] == pytest.approx(r["honest_top1"])
