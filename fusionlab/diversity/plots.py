"""Figures of the diversity tables: a heatmap of Yule's Q and the accuracy of every subset.

Pure functions of the tables of :func:`fusionlab.diversity.pairwise` and
:func:`fusionlab.diversity.subsets`, each returning a matplotlib Figure (drawn
into given axes or a new figure; nothing is written). The report's figures
(:mod:`fusionlab.report.figures`) build on them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UsageError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_q_heatmap", "plot_subset_accuracy"]


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    if ax is not None:
        fig = ax.get_figure()
        if fig is None:  # pragma: no cover - axes always belong to a figure
            raise UsageError("ax does not belong to a figure")
        return fig, ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _first(df: pd.DataFrame, col: str, value: str | None) -> pd.DataFrame:
    if col not in df.columns or df.empty:
        return df
    pick = value if value is not None else df[col].iloc[0]
    return df[df[col] == pick]


def plot_q_heatmap(
    df: pd.DataFrame,
    *,
    ax: Axes | None = None,
    group: str | None = None,
    domain: str | None = None,
    evaluation: str | None = None,
) -> Figure:
    """Heatmap of Yule's Q between every pair of components.

    Parameters
    ----------
    df : DataFrame
        A :func:`pairwise` table. One component set is drawn: ``evaluation``,
        ``group`` and ``domain`` select it (default: the first evaluation; the
        ``segments`` group if present, else the first; the first domain).
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        The diagonal is 1 (a component with itself); NaN cells are blank.
    """
    sel = _first(df, "evaluation", evaluation)
    if group is None and "group" in sel.columns and (sel["group"] == "segments").any():
        group = "segments"
    sel = _first(_first(sel, "group", group), "domain", domain)
    labels: list[str] = []
    for a, b in zip(sel["a"], sel["b"], strict=True):
        for s in (a, b):
            if s not in labels:
                labels.append(s)
    k = len(labels)
    mat = np.eye(k)
    pos = {s: i for i, s in enumerate(labels)}
    for a, b, q in zip(sel["a"], sel["b"], sel["q"], strict=True):
        mat[pos[a], pos[b]] = mat[pos[b], pos[a]] = q
    fig, axes = _new_axes(ax, (1.2 + 0.6 * max(k, 2), 1.0 + 0.5 * max(k, 2)))
    im = axes.imshow(np.ma.masked_invalid(mat), cmap="RdBu_r", vmin=-1, vmax=1)
    axes.set_xticks(range(k), labels, rotation=45, ha="right")
    axes.set_yticks(range(k), labels)
    for i in range(k):
        for j in range(k):
            if math.isfinite(mat[i, j]):
                color = "white" if abs(mat[i, j]) > 0.6 else "black"
                axes.text(
                    j, i, f"{mat[i, j]:.2f}", ha="center", va="center", fontsize=8, color=color
                )
    fig.colorbar(im, ax=axes, label="Yule's Q")
    axes.set_title("Pairwise Yule's Q (low = complementary errors)")
    return fig


def plot_subset_accuracy(
    df: pd.DataFrame,
    *,
    ax: Axes | None = None,
    which: str | None = None,
    domain: str | None = None,
    evaluation: str | None = None,
) -> Figure:
    """Bar plot of the accuracy of mean fusion on every subset, with the best-weight oracle.

    Parameters
    ----------
    df : DataFrame
        A :func:`subsets` (or :func:`subset_accuracy`) table. One set is drawn:
        ``evaluation``, ``which`` (the set: a stream or ``"flat"``) and
        ``domain`` select it (default: the first of each).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    flat = df.reset_index() if df.index.nlevels > 1 else df
    sel = _first(_first(_first(flat, "evaluation", evaluation), "set", which), "domain", domain)
    n = len(sel)
    fig, axes = _new_axes(ax, (6.0, 1.0 + 0.28 * max(n, 3)))
    ypos = np.arange(n)[::-1]
    axes.barh(ypos, 100 * sel["mean_acc"].to_numpy(), color="#4c72b0", label="mean fusion")
    axes.scatter(
        100 * sel["best_acc"].to_numpy(),
        ypos,
        marker="|",
        s=120,
        color="#dd8452",
        zorder=3,
        label="best fixed weights (grid + equal weights, oracle)",
    )
    axes.set_yticks(ypos, [str(s) for s in sel["subset"]])
    lo = 100 * float(np.nanmin(sel[["mean_acc", "best_acc"]].to_numpy())) if n else 0.0
    axes.set_xlim(max(0.0, lo - 5), 100)
    axes.set_xlabel("top-1 accuracy (%)")
    title = "Accuracy of each subset"
    if n:
        title += f" ({sel['set'].iloc[0]}, {sel['domain'].iloc[0]})"
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)
    return fig
