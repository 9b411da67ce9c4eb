"""Fitted combiners: learned-linear weights, stacking, temperature scaling.

All combiners take components as LOG-probabilities ``x`` of shape
(n_videos, n_components, n_classes) with known labels ``y``, and every result is
reported twice (see ``DESIGN.md``, honest evaluation): the in-sample accuracy of
the combiner fitted on all videos (called "in-sample", not "oracle": a fitted
combiner maximises a likelihood, not the accuracy, so it is no upper bound and
the honest value can exceed it), and the honest accuracy of combiners fitted
on k-1 folds and scored on the held-out fold (:func:`fusionlab.search.cross_fit`).

Learned-linear weights
    Fused logits ``z = sum_k w_k x_k`` (logit-domain fusion), fitted by minimising
    the mean cross-entropy ``-log softmax(z)[y]`` (plus ``l2/2 ||w||^2``) with
    scipy's L-BFGS-B and an analytic gradient. Weights are non-negative (bounds)
    or free. With ``temperature=True`` their scale is free too: the scale
    ``sum_k w_k`` is an inverse temperature and is reported as
    ``temperature = 1 / sum_k w_k``; with ``temperature=False`` the weights sum
    to 1 (non-negative: ``w = theta / sum(theta)``; free: the last weight is
    ``1 - sum`` of the others). Reported weights are normalised to sum to 1
    (by the sum of absolute values when the sum is not positive). Missing
    components (mask False) contribute nothing. Since ``x_k`` are
    log-probabilities of the same classifier family, the Bayes-optimal
    combination of independent Gaussian logit observations is of this form,
    with weights proportional to the signal strengths.
Stacking
    A multinomial logistic regression (scikit-learn ``LogisticRegression``, lbfgs,
    seeded) on the concatenated per-component log-probabilities, clipped below at
    ``-clip`` (default 30: probabilities under 1e-13 carry no information but
    huge leverage) and standardised. ``C`` (inverse L2 strength) defaults to
    ``STACKING_C = 0.01``: there are ``K * n_classes`` features per class and, on
    HMDB51-sized splits, about 24 training videos per class, so the model must be
    strongly regularised. Of C in {1e-4, 1e-3, 3e-3, 1e-2, 5e-2, 0.2}, 0.01 gave
    the best cross-fitted top-1 on HMDB51-shaped synthetic scores (two streams:
    57 %, against 69 % for the best grid weights: stacking over-fits at this size,
    which is itself a result worth reporting). It is slow (seconds per fit), so
    cross-fitting it with many repeats takes a while.
    scores. The decision uses the predicted log-probabilities.
Temperature scaling
    One temperature per component, fitted by minimising the NLL of
    ``softmax(x_k / T_k)`` (bounded scalar search over ``log T`` in
    ``[log 0.05, log 20]``), then probability-domain mean fusion of the rescaled
    components (the sum rule of :mod:`fusionlab.rules`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import metrics, rules
from .errors import UsageError
from .kernels import log_softmax
from .search.crossfit import Folds, cross_fit
from .validation import check_mask, check_x, check_y

__all__ = [
    "STACKING_C",
    "LearnedResult",
    "LinearFit",
    "StackingFit",
    "TemperatureFit",
    "fit_linear",
    "fit_stacking",
    "fit_temperatures",
    "learned_fusion",
    "linear_objective",
]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Method = Literal["linear", "stacking", "temperature"]

#: Default inverse regularisation strength of stacking (see the module docstring).
STACKING_C = 0.01
#: Log-probabilities are clipped below at -STACKING_CLIP before stacking.
STACKING_CLIP = 30.0
_LOG_T_BOUNDS = (math.log(0.05), math.log(20.0))


def _check(
    x: npt.ArrayLike, y: npt.ArrayLike, mask: npt.ArrayLike | None
) -> tuple[Array, IntArray, npt.NDArray[np.bool_] | None]:
    xa = check_x(x)
    n, k, c = xa.shape
    return xa, check_y(y, n, c), check_mask(mask, n, k)


def _masked(x: Array, mask: npt.NDArray[np.bool_] | None) -> Array:
    if mask is None:
        return x
    out: Array = np.where(mask[:, :, None], x, 0.0)
    return out


# --------------------------------------------------------------------------- linear


Parametrization = Literal["scale", "simplex", "affine"]


def _weights_from(params: Array, kind: Parametrization) -> tuple[Array, Array]:
    """Weights (K,) and the Jacobian dw/dparams (K, P)."""
    if kind == "scale":
        return params.copy(), np.eye(params.size)
    if kind == "simplex":
        total = params.sum()
        w = params / total
        jac = (np.eye(params.size) - w[:, None]) / total
        return w, jac
    w = np.append(params, 1.0 - params.sum())
    jac = np.vstack([np.eye(params.size), -np.ones((1, params.size))])
    return w, jac


def linear_objective(
    params: npt.ArrayLike,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    parametrization: Parametrization = "scale",
    l2: float = 0.0,
) -> tuple[float, Array]:
    """Mean cross-entropy of ``softmax(sum_k w_k x_k)`` and its gradient in ``params``.

    Parameters
    ----------
    params : array-like
        ``"scale"``: the K weights; ``"simplex"``: K non-negative values, ``w =
        params / sum(params)``; ``"affine"``: K-1 values, the last weight is
        ``1 - sum(params)``.
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities (masked components already zeroed).
    y : array-like of shape (n_videos,)
    parametrization : {"scale", "simplex", "affine"}
    l2 : float
        Penalty ``l2 / 2 * ||w||^2`` on the weights.

    Returns
    -------
    loss : float
    grad : ndarray of the shape of ``params``
    """
    p = np.asarray(params, dtype=np.float64)
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y)
    n = xa.shape[0]
    w, jac = _weights_from(p, parametrization)
    z = np.einsum("nkc,k->nc", xa, w)
    logp = log_softmax(z)
    rows = np.arange(n)
    loss = -float(logp[rows, ya].mean()) + 0.5 * l2 * float(w @ w)
    g = np.exp(logp)
    g[rows, ya] -= 1.0
    grad_w = np.einsum("nkc,nc->k", xa, g) / n + l2 * w
    return loss, jac.T @ grad_w


@dataclass(frozen=True, eq=False)
class LinearFit:
    """Learned per-component weights of logit-domain fusion.

    Attributes
    ----------
    raw_weights : ndarray of shape (K,)
        The fitted weights, scale included.
    nonneg, temperature : bool
        The options of :func:`fit_linear`.
    loss : float
        Final mean cross-entropy (with the penalty).
    n_iter : int
    converged : bool
    """

    raw_weights: Array
    nonneg: bool
    temperature: bool
    loss: float
    n_iter: int
    converged: bool

    @property
    def weights(self) -> Array:
        """Weights normalised to sum to 1 (by the sum of |w| when the sum is not positive)."""
        s = self.raw_weights.sum()
        if s <= 0:
            s = np.abs(self.raw_weights).sum()
        out: Array = self.raw_weights / s if s > 0 else self.raw_weights.copy()
        return out

    @property
    def fitted_temperature(self) -> float | None:
        """``1 / sum_k w_k`` when the scale was fitted (and positive), else None."""
        s = float(self.raw_weights.sum())
        return 1.0 / s if self.temperature and s > 0 else None

    def scores(self, x: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> Array:
        """Fused logits ``sum_k w_k x_k`` of shape (n_videos, n_classes)."""
        xa = check_x(x)
        if xa.shape[1] != self.raw_weights.size:
            raise UsageError(f"x has {xa.shape[1]} components, the fit has {self.raw_weights.size}")
        m = check_mask(mask, xa.shape[0], xa.shape[1])
        out: Array = np.einsum("nkc,k->nc", _masked(xa, m), self.raw_weights)
        return out


def fit_linear(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    nonneg: bool = True,
    temperature: bool = True,
    l2: float = 0.0,
    max_iter: int = 500,
    init: npt.ArrayLike | None = None,
) -> LinearFit:
    """Fit one weight per component by minimising the cross-entropy of logit fusion.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities.
    y : array-like of shape (n_videos,)
        Known labels.
    mask : array-like of shape (n_videos, K), bool, optional
    nonneg : bool, default True
        Constrain the weights to be >= 0.
    temperature : bool, default True
        Fit the scale of the weights (an inverse temperature) as well.
    l2 : float, default 0
    max_iter : int, default 500
    init : array-like of shape (K,), optional
        Starting weights; default equal weights 1/K. Never start a
        cross-fitting fold from weights fitted on its held-out videos.

    Returns
    -------
    LinearFit

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 5, 2000)
    >>> z = rng.standard_normal((2000, 2, 5))
    >>> z[np.arange(2000), 0, y] += 1.0
    >>> z[np.arange(2000), 1, y] += 2.0
    >>> x = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    >>> fit = fit_linear(x, y)
    >>> bool(abs(fit.weights[1] / fit.weights[0] - 2.0) < 0.4)
    True
    """
    from scipy.optimize import minimize

    xa, ya, m = _check(x, y, mask)
    if not math.isfinite(l2) or l2 < 0:
        raise UsageError(f"l2 must be a finite number >= 0, got {l2!r}")
    xm = _masked(xa, m)
    k = xa.shape[1]
    kind: Parametrization
    if temperature:
        kind = "scale"
        x0 = np.full(k, 1.0 / k)
        bounds: list[tuple[float | None, float | None]] | None = (
            [(0.0, None)] * k if nonneg else None
        )
    elif nonneg:
        kind = "simplex"
        x0 = np.full(k, 1.0 / k)
        bounds = [(1e-12, None)] * k
    else:
        kind = "affine"
        x0 = np.full(k - 1, 1.0 / k)
        bounds = None
    if init is not None and x0.size:
        w0 = np.asarray(init, dtype=np.float64).ravel()
        if w0.shape != (k,) or not np.isfinite(w0).all():
            raise UsageError(f"init must hold {k} finite weights, got {w0.tolist()}")
        if kind == "simplex":
            w0 = np.maximum(w0, 1e-6)
        elif kind == "scale" and nonneg:
            w0 = np.maximum(w0, 0.0)
        x0 = w0[: x0.size].copy()
    if x0.size == 0:  # one component with a fixed weight of 1: nothing to fit
        loss0, _ = linear_objective(x0, xm, ya, parametrization=kind, l2=l2)
        return LinearFit(np.ones(1), nonneg, temperature, loss0, 0, True)
    res = minimize(
        partial(linear_objective, x=xm, y=ya, parametrization=kind, l2=l2),
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": int(max_iter), "gtol": 1e-9, "ftol": 1e-12},
    )
    w, _ = _weights_from(np.asarray(res.x, dtype=np.float64), kind)
    return LinearFit(
        raw_weights=w,
        nonneg=nonneg,
        temperature=temperature,
        loss=float(res.fun),
        n_iter=int(res.nit),
        converged=bool(res.success),
    )


# --------------------------------------------------------------------------- temperature


@dataclass(frozen=True, eq=False)
class TemperatureFit:
    """Per-component temperatures for probability-domain fusion.

    Attributes
    ----------
    temperatures : ndarray of shape (K,)
    """

    temperatures: Array

    def rescaled(self, x: npt.ArrayLike) -> Array:
        """``log_softmax(x_k / T_k)`` of shape (n_videos, K, n_classes)."""
        xa = check_x(x)
        if xa.shape[1] != self.temperatures.size:
            raise UsageError(
                f"x has {xa.shape[1]} components, the fit has {self.temperatures.size}"
            )
        return log_softmax(xa / self.temperatures[None, :, None], axis=2)

    def scores(self, x: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> Array:
        """Mean of the rescaled probabilities (the sum rule), shape (n_videos, n_classes)."""
        xr = self.rescaled(x)
        m = check_mask(mask, xr.shape[0], xr.shape[1])
        out: Array = rules.fuse("mean", xr, m, domain="prob")
        return out


def fit_temperatures(
    x: npt.ArrayLike, y: npt.ArrayLike, mask: npt.ArrayLike | None = None
) -> TemperatureFit:
    """Fit one temperature per component by minimising the NLL of ``softmax(x_k / T_k)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 4, 500)
    >>> z = rng.standard_normal((500, 1, 4)); z[np.arange(500), 0, y] += 1.0
    >>> x = 3.0 * z - np.log(np.exp(3.0 * z).sum(axis=2, keepdims=True))  # over-confident
    >>> bool(2.0 < fit_temperatures(x, y).temperatures[0] < 4.5)
    True
    """
    from scipy.optimize import minimize_scalar

    xa, ya, m = _check(x, y, mask)
    n, k, _ = xa.shape
    temps = np.ones(k)
    for j in range(k):
        rows = np.arange(n) if m is None else np.flatnonzero(m[:, j])
        xj = xa[rows, j]
        yj = ya[rows]

        def nll(log_t: float, xj: Array = xj, yj: IntArray = yj) -> float:
            lp = log_softmax(xj / math.exp(log_t))
            return -float(lp[np.arange(yj.size), yj].mean())

        res = minimize_scalar(nll, bounds=_LOG_T_BOUNDS, method="bounded", options={"xatol": 1e-6})
        temps[j] = math.exp(float(res.x))
    return TemperatureFit(temperatures=temps)


# --------------------------------------------------------------------------- stacking


@dataclass(frozen=True, eq=False)
class StackingFit:
    """A multinomial logistic regression on concatenated component log-probabilities.

    Attributes
    ----------
    model : sklearn Pipeline
        StandardScaler then LogisticRegression.
    n_classes, n_components : int
    C, clip : float
    """

    model: Any
    n_classes: int
    n_components: int
    C: float
    clip: float

    def scores(self, x: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> Array:
        """Predicted log-probabilities of shape (n_videos, n_classes).

        Classes absent from the training videos get log-probability -1e300.
        """
        xa = check_x(x)
        if xa.shape[1:] != (self.n_components, self.n_classes):
            raise UsageError(
                f"x must have shape (n, {self.n_components}, {self.n_classes}), got {xa.shape}"
            )
        m = check_mask(mask, xa.shape[0], xa.shape[1])
        feats = _stack_features(xa, m, self.clip)
        lp = self.model.predict_log_proba(feats)
        out = np.full((xa.shape[0], self.n_classes), -1e300)
        out[:, np.asarray(self.model.classes_, dtype=np.int64)] = lp
        return out


def _stack_features(x: Array, mask: npt.NDArray[np.bool_] | None, clip: float) -> Array:
    f = np.maximum(x, -clip)
    if mask is not None:  # a missing component reads as uniform
        f = np.where(mask[:, :, None], f, -math.log(x.shape[2]))
    out: Array = f.reshape(x.shape[0], -1)
    return out


def fit_stacking(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    C: float = STACKING_C,
    clip: float = STACKING_CLIP,
    seed: int = 0,
    max_iter: int = 300,
) -> StackingFit:
    """Fit a multinomial logistic regression on the concatenated log-probabilities.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
    y : array-like of shape (n_videos,)
    mask : array-like of shape (n_videos, K), bool, optional
        Missing components read as uniform distributions.
    C : float, default STACKING_C
        Inverse L2 strength of ``LogisticRegression``.
    clip : float, default 30
    seed : int
        ``random_state`` of the estimator.
    max_iter : int, default 300

    Returns
    -------
    StackingFit
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xa, ya, m = _check(x, y, mask)
    if not (math.isfinite(C) and C > 0):
        raise UsageError(f"C must be a positive number, got {C!r}")
    if np.unique(ya).size < 2:
        raise UsageError(
            f"stacking needs videos of at least 2 classes to fit on, got only class {int(ya[0])} "
            "(too few videos per class for the folds?)"
        )
    model = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=float(C), max_iter=int(max_iter), random_state=int(seed)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(_stack_features(xa, m, clip), ya)
    return StackingFit(
        model=model, n_classes=xa.shape[2], n_components=xa.shape[1], C=float(C), clip=float(clip)
    )


# --------------------------------------------------------------------------- cross-fitted results


@dataclass(frozen=True, eq=False)
class LearnedResult:
    """A learned combiner, fitted on all videos (in-sample) and cross-fitted (honest).

    Accuracies are fractions; ``top5`` is top-``min(5, n_classes)``.

    Attributes
    ----------
    method : {"linear", "stacking", "temperature"}
    fusion : str
        Row label: ``learned-linear``, ``stacking`` or ``temperature-mean``.
    domain : {"logit", "prob"}
        Domain of ``in_sample_scores`` (for ``rules.to_log_probs``).
    component_names : tuple of str
    weights : dict or None
        Component -> weight (normalised to sum 1) of the fit on all videos.
    temperatures : dict or None
        Component -> temperature (temperature scaling), or the overall
        temperature ``1 / sum(w)`` under the key ``"*"`` (learned-linear).
    in_sample_top1, in_sample_top5 : float
    honest_top1, honest_top1_std, honest_top5 : float
    honest_per_repeat : ndarray of shape (n_repeats,)
    held_out_correct : ndarray of shape (n_videos,), bool
        Held-out top-1 correctness in the first repeat.
    in_sample_scores : ndarray of shape (n_videos, n_classes)
        Raw fused scores of the fit on all videos.
    folds : fusionlab.search.Folds or None
        None when fitted on a val subset.
    notes : tuple of str
    """

    method: Method
    fusion: str
    domain: Literal["prob", "logit"]
    component_names: tuple[str, ...]
    weights: dict[str, float] | None
    temperatures: dict[str, float] | None
    in_sample_top1: float
    in_sample_top5: float
    honest_top1: float
    honest_top1_std: float
    honest_top5: float
    honest_per_repeat: Array
    held_out_correct: BoolArray
    in_sample_scores: Array
    folds: Folds | None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "fusion": self.fusion,
            "domain": self.domain,
            "components": list(self.component_names),
            "weights": self.weights,
            "temperatures": self.temperatures,
            "in_sample_top1": self.in_sample_top1,
            "in_sample_top5": self.in_sample_top5,
            "honest_top1": self.honest_top1,
            "honest_top1_std": self.honest_top1_std,
            "honest_top5": self.honest_top5,
            "honest_per_repeat": self.honest_per_repeat.tolist(),
            "selection": "cross-fit" if self.folds is not None else "val",
            "folds": None if self.folds is None else self.folds.folds,
            "repeats": None if self.folds is None else self.folds.repeats,
            "seed": None if self.folds is None else self.folds.seed,
            "stratified": None if self.folds is None else self.folds.stratified,
            "notes": list(self.notes),
        }


_FUSION = {"linear": "learned-linear", "stacking": "stacking", "temperature": "temperature-mean"}


def learned_fusion(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    method: Method = "linear",
    component_names: Sequence[str] | None = None,
    folds: int = 5,
    repeats: int = 10,
    seed: int = 0,
    nonneg: bool = True,
    temperature: bool = True,
    l2: float = 0.0,
    C: float = STACKING_C,
    val: tuple[Any, ...] | None = None,
    groups: npt.ArrayLike | None = None,
) -> LearnedResult:
    """Fit a combiner on all videos (in-sample) and cross-fit it (honest).

    With ``val`` = ``(x_val, y_val)`` or ``(x_val, y_val, mask_val)`` (a separate
    validation subset with the same components), the honest estimate is the
    accuracy on ``x`` of the combiner fitted on ``val`` instead (std 0).

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities.
    y : array-like of shape (n_videos,)
    mask : array-like of shape (n_videos, K), bool, optional
    method : {"linear", "stacking", "temperature"}
    component_names : sequence of str, optional
    folds, repeats, seed : int
        Cross-fitting, as :func:`fusionlab.search.stratified_folds`.
    nonneg, temperature, l2
        Options of :func:`fit_linear`.
    C : float
        Option of :func:`fit_stacking`.
    groups : array-like of shape (n_videos,), int, optional
        Group of each video (:mod:`fusionlab.groups`): the cross-fitting folds
        never split a group (:func:`fusionlab.search.group_folds`).

    Returns
    -------
    LearnedResult
    """
    xa, ya, m = _check(x, y, mask)
    n, k, c = xa.shape
    names = (
        tuple(component_names) if component_names is not None else tuple(f"c{i}" for i in range(k))
    )
    if len(names) != k:
        raise UsageError(f"component_names must have {k} names, got {len(names)}")
    if method not in _FUSION:
        raise UsageError(f"method must be linear, stacking or temperature, got {method!r}")
    k5 = min(5, c)
    domain: Literal["prob", "logit"] = "prob" if method == "temperature" else "logit"
    comb = _Combiner(method, nonneg=nonneg, temperature=temperature, l2=l2, C=C, seed=seed)

    def fit(idx: IntArray) -> Any:
        return comb.fit(xa[idx], ya[idx], None if m is None else m[idx])

    def judge(model: Any, idx: IntArray) -> BoolArray:
        return _correct(model, xa[idx], ya[idx], None if m is None else m[idx], k5)

    full = fit(np.arange(n))
    in_sample_scores = full.scores(xa, m)
    oc = judge(full, np.arange(n))
    if val is not None:
        c1, n_val = _val_correct(comb, val, xa, ya, m, k5)
        weights, temps, notes = _described(full, names)
        notes.append(f"fitted on a separate val subset ({n_val} videos), scored here")
        honest = (float(c1[0].mean()), 0.0, float(c1[1].mean()))
        per_repeat, held, fo = np.array([honest[0]]), c1[0], None
    else:
        # Fold fits start afresh: starting them from the all-video fit would let the
        # held-out labels steer the fold's weights (when a fold is separable, L-BFGS
        # stops at once) and inflate the honest estimate.
        cf = cross_fit(
            lambda tr, te: judge(fit(tr), te),
            ya,
            folds=folds,
            repeats=repeats,
            seed=seed,
            groups=groups,
        )
        weights, temps, notes = _described(full, names, " on all videos")
        if not cf.folds.stratified:
            notes.append("a class has fewer videos than folds: folds are not stratified")
        honest = (float(cf.mean[0]), float(cf.std[0]), float(cf.mean[1]))
        per_repeat, held, fo = cf.per_repeat[:, 0].copy(), cf.held_out[0].copy(), cf.folds
    return LearnedResult(
        method=method,
        fusion=_FUSION[method],
        domain=domain,
        component_names=names,
        weights=weights,
        temperatures=temps,
        in_sample_top1=float(oc[0].mean()),
        in_sample_top5=float(oc[1].mean()),
        honest_top1=honest[0],
        honest_top1_std=honest[1],
        honest_top5=honest[2],
        honest_per_repeat=per_repeat,
        held_out_correct=held,
        in_sample_scores=in_sample_scores,
        folds=fo,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class _Combiner:
    """One method with its options: fits a model on some videos."""

    method: Method
    nonneg: bool
    temperature: bool
    l2: float
    C: float
    seed: int

    def fit(self, x: Array, y: IntArray, mask: npt.NDArray[np.bool_] | None) -> Any:
        if self.method == "linear":
            return fit_linear(
                x, y, mask, nonneg=self.nonneg, temperature=self.temperature, l2=self.l2
            )
        if self.method == "temperature":
            return fit_temperatures(x, y, mask)
        return fit_stacking(x, y, mask, C=self.C, seed=self.seed)


def _correct(
    model: Any, x: Array, y: IntArray, mask: npt.NDArray[np.bool_] | None, k5: int
) -> BoolArray:
    """Top-1 and top-``k5`` correctness of ``model`` on the videos, shape (2, n)."""
    s = model.scores(x, mask)
    return np.stack(
        [
            metrics.correct_top_k(y, s, k=1, validate_args=False),
            metrics.correct_top_k(y, s, k=k5, validate_args=False),
        ]
    )


def _described(
    full: Any, names: tuple[str, ...], where: str = ""
) -> tuple[dict[str, float] | None, dict[str, float] | None, list[str]]:
    """Weights, temperatures and notes of the model fitted on all videos."""
    weights: dict[str, float] | None = None
    temps: dict[str, float] | None = None
    notes: list[str] = []
    if isinstance(full, LinearFit):
        weights = {nm: float(w) for nm, w in zip(names, full.weights, strict=True)}
        t = full.fitted_temperature
        temps = None if t is None else {"*": t}
        if not full.converged:
            notes.append(f"L-BFGS-B did not report convergence{where}")
    elif isinstance(full, TemperatureFit):
        temps = {nm: float(t) for nm, t in zip(names, full.temperatures, strict=True)}
    return weights, temps, notes


def _val_correct(
    comb: _Combiner,
    val: tuple[Any, ...],
    xa: Array,
    ya: IntArray,
    m: npt.NDArray[np.bool_] | None,
    k5: int,
) -> tuple[BoolArray, int]:
    """Fit on the validation subset, score on ``xa``: correctness (2, n) and val videos."""
    if len(val) not in (2, 3):
        raise UsageError("val must be (x_val, y_val) or (x_val, y_val, mask_val)")
    xv, yv, mv = _check(val[0], val[1], val[2] if len(val) == 3 else None)
    if xv.shape[1:] != xa.shape[1:]:
        raise UsageError(
            f"x_val must have shape (n, {xa.shape[1]}, {xa.shape[2]}) like x, got {xv.shape}"
        )
    return _correct(comb.fit(xv, yv, mv), xa, ya, m, k5), int(xv.shape[0])
