"""Per-segment and per-stream importance.

For K components (the segments of one stream, or the streams of an evaluation),
given as LOG-probabilities ``x`` of shape (n_videos, K, n_classes):

``alone``
    Top-1 accuracy of each component on its own.
``drop``
    ``v(all) - v(all but k)``: how much the mean fusion of all components loses
    when component ``k`` is left out.
``shapley``
    Exact Shapley value of each component in the cooperative game whose value
    ``v(S)`` is the top-1 accuracy of mean fusion over the subset ``S``; every
    one of the ``2**K`` subsets is evaluated once (K <= 12). The empty
    coalition is worth chance, ``v({}) = 1 / n_classes`` (the accuracy of a
    uniform guess), so the values sum to ``v(all) - 1 / n_classes``
    (efficiency) and measure what each component adds over guessing.
``learned``
    The weights of :func:`fusionlab.learned.fit_linear` on all videos
    (normalised to sum to 1; an oracle fit, descriptive only).
``most_confident``
    The fraction of videos on which a component is the most confident one
    (highest maximum class probability; ties to the lowest component index).

Mean fusion over a subset is the sum rule (``domain="prob"``) or product rule
(``"logit"``) of its members, ``rules.fuse("mean")`` bit for bit, as in the
evaluate table's mean rows and the subset tables of :mod:`fusionlab.diversity`:
both use the one engine :func:`fusionlab.diversity.mean_subset_right`. With a
mask, missing components are left out per video, and a video none of whose
valid components is in ``S`` counts as wrong for ``S``, as in the evaluate
table's segment rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import factorial
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from .scores import Evaluation

__all__ = [
    "MAX_SHAPLEY_COMPONENTS",
    "Importance",
    "component_importance",
    "evaluation_importance",
    "most_confident_rate",
    "shapley_values",
    "subset_accuracies",
    "summary",
]

Array = npt.NDArray[np.float64]
Domain = Literal["prob", "logit"]

#: Exact Shapley values enumerate 2**K subsets; larger K is refused.
MAX_SHAPLEY_COMPONENTS = 12


def subset_accuracies(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
) -> Array:
    """Top-1 accuracy of mean fusion over every subset of components.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities.
    y : array-like of shape (n_videos,)
        Known labels.
    mask : array-like of shape (n_videos, K), bool, optional
    domain : {"prob", "logit"}

    Returns
    -------
    values : ndarray of shape (2**K,)
        ``values[s]`` for the subset with bitmask ``s`` (bit j = component j);
        ``values[0] = 1 / n_classes`` (chance).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.log(np.array([[[0.6, 0.4], [0.3, 0.7]], [[0.2, 0.8], [0.45, 0.55]]]))
    >>> subset_accuracies(x, [0, 1], domain="prob").tolist()
    [0.5, 1.0, 0.5, 0.5]
    """
    from .diversity import mean_subset_right
    from .validation import check_domain, check_mask, check_x, check_y

    xa = check_x(x)
    n, k, c = xa.shape
    if k > MAX_SHAPLEY_COMPONENTS:
        raise UsageError(f"exact subsets need at most {MAX_SHAPLEY_COMPONENTS} components, got {k}")
    dom = check_domain(domain)
    right = mean_subset_right(xa, check_y(y, n, c), check_mask(mask, n, k), domain=dom)
    out: Array = right / n
    out[0] = 1.0 / c
    return out


def shapley_values(values: npt.ArrayLike, k: int) -> Array:
    """Exact Shapley values from the value of every subset.

    Parameters
    ----------
    values : array-like of shape (2**k,)
        ``values[s]`` = value of the subset with bitmask ``s``.
    k : int

    Returns
    -------
    ndarray of shape (k,)
        ``phi_i = sum_{S not containing i} |S|! (k-|S|-1)! / k! (v(S + i) - v(S))``.

    Examples
    --------
    >>> shapley_values([0.0, 1.0, 1.0, 3.0], 2).tolist()
    [1.5, 1.5]
    """
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (1 << k,):
        raise UsageError(f"values must have shape ({1 << k},) for k={k}, got {v.shape}")
    masks = np.arange(1 << k)
    size = np.array([bin(int(s)).count("1") for s in masks])
    coef = np.array(
        [factorial(int(s)) * factorial(k - int(s) - 1) for s in range(k)], dtype=np.float64
    )
    coef /= factorial(k)
    out = np.zeros(k)
    for i in range(k):
        without = masks[(masks >> i) & 1 == 0]
        out[i] = float((coef[size[without]] * (v[without | (1 << i)] - v[without])).sum())
    return out


def most_confident_rate(x: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> Array:
    """Fraction of videos on which each component has the highest maximum probability.

    Returns an array of shape (K,) summing to 1; ties go to the lowest component index.
    """
    from .validation import check_mask, check_x

    xa = check_x(x)
    n, k, _ = xa.shape
    m = check_mask(mask, n, k)
    conf = xa.max(axis=2)  # log of the maximum probability
    if m is not None:
        conf = np.where(m, conf, -np.inf)
    out: Array = np.bincount(conf.argmax(axis=1), minlength=k) / n
    return out


@dataclass(frozen=True, eq=False)
class Importance:
    """Importance of each component (see the module docstring).

    Attributes
    ----------
    names : tuple of str
    domain : {"prob", "logit"}
    alone, drop, shapley, most_confident : ndarray of shape (K,)
        Accuracies and accuracy differences as fractions.
    learned : ndarray of shape (K,) or None
    full : float
        ``v(all)``: top-1 of mean fusion of all components.
    empty : float
        ``v({}) = 1 / n_classes``.
    subset_values : ndarray of shape (2**K,)
    n_videos, n_classes : int
    """

    names: tuple[str, ...]
    domain: Domain
    alone: Array
    drop: Array
    shapley: Array
    learned: Array | None
    most_confident: Array
    full: float
    empty: float
    subset_values: Array
    n_videos: int
    n_classes: int

    def records(self) -> list[dict[str, Any]]:
        """One dict per component."""
        return [
            {
                "component": name,
                "alone_top1": float(self.alone[i]),
                "drop_top1": float(self.drop[i]),
                "shapley": float(self.shapley[i]),
                "learned_weight": None if self.learned is None else float(self.learned[i]),
                "most_confident_rate": float(self.most_confident[i]),
            }
            for i, name in enumerate(self.names)
        ]

    def to_frame(self) -> pd.DataFrame:
        """The records as a DataFrame, one row per component."""
        import pandas as pd

        return pd.DataFrame(self.records())


def component_importance(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    *,
    domain: Domain,
    component_names: Sequence[str] | None = None,
    learned: bool = True,
) -> Importance:
    """Alone, leave-one-out, Shapley, learned and most-confident importance of each component.

    Parameters
    ----------
    x : array-like of shape (n_videos, K, n_classes)
        Log-probabilities, K <= 12.
    y : array-like of shape (n_videos,)
        Known labels.
    mask : array-like of shape (n_videos, K), bool, optional
    domain : {"prob", "logit"}
        Domain of the mean fusion.
    component_names : sequence of str, optional
    learned : bool, default True
        Fit learned-linear weights (logit domain) on all videos.

    Returns
    -------
    Importance

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 4, 200)
    >>> x = np.log(rng.dirichlet(np.ones(4), size=(200, 3)))
    >>> imp = component_importance(x, y, domain="prob", learned=False)
    >>> bool(np.isclose(imp.shapley.sum(), imp.full - imp.empty))
    True
    """
    from .validation import check_mask, check_x, check_y

    dom: Domain = "prob" if domain == "prob" else "logit"
    if domain not in ("prob", "logit"):
        raise UsageError(f"domain must be 'prob' or 'logit', got {domain!r}")
    xa = check_x(x)
    n, k, c = xa.shape
    ya = check_y(y, n, c)
    m = check_mask(mask, n, k)
    names = (
        tuple(component_names) if component_names is not None else tuple(f"c{i}" for i in range(k))
    )
    if len(names) != k:
        raise UsageError(f"component_names must have {k} names, got {len(names)}")
    values = subset_accuracies(xa, ya, m, domain=dom)
    full_mask = (1 << k) - 1
    alone = np.array([values[1 << i] for i in range(k)])
    drop = np.array([values[full_mask] - values[full_mask & ~(1 << i)] for i in range(k)])
    lw: Array | None = None
    if learned:
        from .learned import fit_linear

        lw = fit_linear(xa, ya, m).weights
    return Importance(
        names=names,
        domain=dom,
        alone=alone,
        drop=drop,
        shapley=shapley_values(values, k),
        learned=lw,
        most_confident=most_confident_rate(xa, m),
        full=float(values[full_mask]),
        empty=float(values[0]),
        subset_values=values,
        n_videos=n,
        n_classes=c,
    )


def evaluation_importance(
    evaluation: Evaluation,
    *,
    domain: Domain,
    max_components: int = MAX_SHAPLEY_COMPONENTS,
    learned: bool = True,
) -> list[tuple[str, str | None, Importance]]:
    """Importance of the segments of every stream, and of the streams.

    Returns
    -------
    list of (over, stream, Importance)
        ``("segments", stream, ...)`` for every stream with 2 .. ``max_components``
        segments (latest epoch), then ``("streams", None, ...)`` when there are
        2 .. ``max_components`` streams (each stream fused by mean consensus).
    """
    from .search import Components, components

    limit = min(max_components, MAX_SHAPLEY_COMPONENTS)
    if not (evaluation.labels >= 0).any():
        return []
    jobs: list[tuple[str, str | None, Components]] = [
        ("segments", s, components(evaluation, over="segments", domain=domain, stream=s))
        for s in evaluation.streams
        if 2 <= evaluation.latest(s).n_segments <= limit
    ]
    if 2 <= len(evaluation.streams) <= limit:
        jobs.append(("streams", None, components(evaluation, over="streams", domain=domain)))
    return [
        (
            over,
            stream,
            component_importance(
                comp.x,
                comp.y,
                comp.mask,
                domain=domain,
                component_names=comp.names,
                learned=learned,
            ),
        )
        for over, stream, comp in jobs
    ]


def summary(
    evaluation: Evaluation,
    *,
    domain: Domain,
    max_components: int = 6,
    learned: bool = True,
) -> list[dict[str, Any]]:
    """Importance rows for reports and JSON: one dict per component and analysis.

    Keys: ``evaluation, over, stream, domain, component, alone_top1, drop_top1,
    shapley, learned_weight, most_confident_rate, full_top1, empty_value,
    n_videos`` (accuracies as fractions).
    """
    rows: list[dict[str, Any]] = []
    for over, stream, imp in evaluation_importance(
        evaluation, domain=domain, max_components=max_components, learned=learned
    ):
        for rec in imp.records():
            rows.append(
                {
                    "evaluation": evaluation.name,
                    "over": over,
                    "stream": stream,
                    "domain": imp.domain,
                    **rec,
                    "full_top1": imp.full,
                    "empty_value": imp.empty,
                    "n_videos": imp.n_videos,
                }
            )
    return rows
