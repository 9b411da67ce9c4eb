"""The report's figures: matplotlib (and seaborn's colour-blind palette), no pyplot.

Every plot function takes the ``data`` of a :class:`~fusionlab.report.model.FigureBlock`
and an optional ``ax``, draws, and returns the :class:`matplotlib.figure.Figure`;
nothing calls ``plt.show()`` or touches pyplot's global state. Figures are built
on :class:`matplotlib.figure.Figure` directly and saved with the Agg canvas, so
no backend is selected. Call them inside :func:`style` so that fonts, colours
and sizes are the report's; :func:`render` saves a figure as PNG and SVG bytes
that are the same for the same input (no dates, no software version, fixed
SVG id salt).

Colours: seaborn's ``colorblind`` palette. Streams take its colours in stream
order (skipping green), fused scores are always green, single streams grey in
rule comparisons.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PLOTS",
    "confusion",
    "importance",
    "learning_curve",
    "per_class",
    "q_heatmap",
    "reliability",
    "render",
    "rule_comparison",
    "segments",
    "stream_colors",
    "style",
    "subset_accuracy",
    "weight_curve",
    "weight_heatmap",
]

#: Resolution of the PNG files (pixels per inch).
DPI = 130
#: Salt of the ids in SVG files, fixed so that SVG output is reproducible.
SVG_SALT = "fusionlab-report"
_FALLBACK_PALETTE = (
    "#0173b2",
    "#de8f05",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#fbafe4",
    "#949494",
    "#ece133",
    "#56b4e9",
)
_palette_cache: list[str] = []


def palette() -> list[str]:
    """seaborn's ``colorblind`` palette as hex strings (10 colours)."""
    if not _palette_cache:
        try:
            import seaborn as sns

            _palette_cache.extend(sns.color_palette("colorblind").as_hex())
        except ImportError:  # pragma: no cover - seaborn is a dependency
            _palette_cache.extend(_FALLBACK_PALETTE)
    return list(_palette_cache)


def fused_color() -> str:
    return palette()[2]


def stream_colors(streams: Sequence[str]) -> dict[str, str]:
    """Colour of each stream (in order), never the fused green."""
    pal = palette()
    order = [0, 1, 3, 4, 5, 6, 8, 9]
    return {s: pal[order[i % len(order)]] for i, s in enumerate(streams)}


def group_colors() -> dict[str, str]:
    pal = palette()
    return {
        "single stream": pal[7],
        "two-level": pal[2],
        "flat": pal[4],
        "fixed weights": pal[5],
    }


def _rc() -> dict[str, Any]:
    from cycler import cycler

    return {
        "svg.hashsalt": SVG_SALT,
        "svg.fonttype": "path",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 10.5,
        "axes.titleweight": "bold",
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.6,
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=palette()),
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "image.cmap": "viridis",
        "path.simplify": True,
    }


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The report's matplotlib settings, restored on exit (``matplotlib.rc_context``)."""
    import matplotlib

    rc: Any = _rc()
    with matplotlib.rc_context(rc):
        yield


def _new(figsize: tuple[float, float], ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is not None:
        fig = ax.get_figure()
        if fig is None:  # pragma: no cover - an Axes always has a figure here
            raise ValueError("ax must belong to a figure")
        return fig, ax  # type: ignore[return-value]
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def render(fig: Figure, *, dpi: int = DPI) -> tuple[bytes, bytes]:
    """PNG and SVG bytes of ``fig``, reproducible for the same figure.

    The PNG carries no ``Software`` text chunk, the SVG no date, and SVG ids
    are salted with :data:`SVG_SALT`. The layout computed for the PNG is
    reused for the SVG (the layout engine is paused for the second save).
    """
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
        engine = fig.get_layout_engine()
        fig.set_layout_engine("none")
        try:
            fig.savefig(svg, format="svg", metadata={"Date": None})
        finally:
            fig.set_layout_engine(engine)
    return png.getvalue(), svg.getvalue()


def _pct(a: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    return 100.0 * np.asarray(a, dtype=np.float64)


# --------------------------------------------------------------------------- plots


def rule_comparison(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Top-1 accuracy of fusion rows with interval whiskers, best at the top.

    ``data``: ``rows`` (dicts with ``label``, ``group``, ``top1``, ``low``,
    ``high`` as fractions), ``reference`` (best single stream), ``title``.
    """
    rows = list(data["rows"])
    n = len(rows)
    own = ax is None
    fig, ax = _new((7.6, max(3.0, 0.21 * n + 1.5)), ax)
    colors = group_colors()
    y = np.arange(n)[::-1]
    seen: set[str] = set()
    for group in colors:
        idx = [i for i, r in enumerate(rows) if r["group"] == group]
        if not idx:
            continue
        top = _pct([rows[i]["top1"] for i in idx])
        lo = _pct([rows[i]["low"] for i in idx])
        hi = _pct([rows[i]["high"] for i in idx])
        err = np.vstack([top - lo, hi - top])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(
            top,
            y[idx],
            xerr=err,
            fmt="o",
            color=colors[group],
            ecolor=colors[group],
            elinewidth=1.2,
            capsize=2.5,
            markersize=4.5,
            label=group if group not in seen else None,
        )
        seen.add(group)
    ref = data.get("reference")
    if ref is not None and np.isfinite(ref):
        ax.axvline(
            100 * ref, color="#555555", linestyle="--", linewidth=1.0, label="best single stream"
        )
    ax.set_yticks(y, [r["label"] for r in rows], fontsize=7.5 if n > 20 else 8)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("top-1 accuracy (%)")
    ax.grid(axis="y", visible=False)
    ax.set_title(data.get("title", "Fusion rules"))
    if own:
        fig.legend(loc="outside lower center", ncols=5)
    else:
        ax.legend(loc="lower left", ncols=2)
    return fig


def segments(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Top-1 accuracy of each segment alone, per stream, with interval whiskers.

    ``data``: ``frame`` (columns ``stream, segment, top1, low, high``),
    ``reference`` (stream -> mean-consensus accuracy), ``streams``, ``title``.
    """
    df = data["frame"]
    streams = list(data["streams"])
    fig, ax = _new((6.4, 3.9), ax)
    colors = stream_colors(streams)
    n_seg = int(df["segment"].max())
    k = len(streams)
    for i, s in enumerate(streams):
        sub = df[df["stream"] == s]
        if sub.empty:
            continue
        off = (i - (k - 1) / 2) * 0.08
        top = _pct(sub["top1"])
        err = np.vstack([top - _pct(sub["low"]), _pct(sub["high"]) - top])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(
            sub["segment"].to_numpy(dtype=float) + off,
            top,
            yerr=err,
            fmt="-o",
            color=colors[s],
            capsize=3,
            markersize=5,
            linewidth=1.4,
            label=f"{s}, one segment",
        )
        ref = data.get("reference", {}).get(s)
        if ref is not None and np.isfinite(ref):
            ax.axhline(
                100 * ref,
                color=colors[s],
                linestyle="--",
                linewidth=1.0,
                label=f"{s}, mean of all segments",
            )
    ax.set_xticks(np.arange(1, n_seg + 1))
    ax.set_xlim(0.5, n_seg + 0.5)
    ax.set_xlabel("segment")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(data.get("title", "Per-segment accuracy"))
    ax.legend(loc="best", ncols=2 if k > 1 else 1)
    return fig


def per_class(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Per-class accuracy of the best fusion (y) against the best single stream (x).

    ``data``: ``frame`` (columns ``class, videos, single, fusion, gain``),
    ``single`` and ``fusion`` labels, ``n_label`` classes to name at each end,
    ``title``.
    """
    df = data["frame"]
    df = df[df["videos"] > 0]
    fig, ax = _new((6.2, 6.0), ax)
    x, y = _pct(df["single"]), _pct(df["fusion"])
    gain = y - x
    pal = palette()
    col = np.where(gain > 0, pal[2], np.where(gain < 0, pal[3], pal[7]))
    ax.plot([0, 100], [0, 100], color="#888888", linestyle="--", linewidth=1.0, zorder=1)
    ax.scatter(x, y, c=list(col), s=22, alpha=0.75, edgecolors="white", linewidths=0.4, zorder=2)
    n_label = int(data.get("n_label", 3))
    order = np.lexsort((np.arange(len(gain)), -gain))
    names = list(df["class"])
    picks = [i for i in order[:n_label] if gain[i] > 0]
    picks += [i for i in order[::-1][:n_label] if gain[i] < 0]
    n_up = 0
    n_down = 0
    for i in picks:
        right = x[i] < 50.0  # label towards the middle of the plot
        dx, ha = (10.0, "left") if right else (-10.0, "right")
        if gain[i] > 0:
            offset = (dx, 10.0 + 12.0 * n_up)
            n_up += 1
        else:
            offset = (dx, -14.0 - 12.0 * n_down)
            n_down += 1
        ax.annotate(
            names[i],
            (x[i], y[i]),
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            fontsize=7.5,
            arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.6},
        )
    lo = max(0.0, math.floor(min(x.min(initial=100), y.min(initial=100)) / 10) * 10 - 2)
    ax.set_xlim(lo, 102)
    ax.set_ylim(lo, 102)
    ax.set_aspect("equal")
    ax.set_xlabel(f"best single stream, {data.get('single', '')} (%)")
    ax.set_ylabel(f"best fusion, {data.get('fusion', '')} (%)")
    ax.set_title(data.get("title", "Per-class accuracy"))
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", color=pal[2], label="gains"),
        Line2D([], [], marker="o", linestyle="", color=pal[3], label="loses"),
        Line2D([], [], marker="o", linestyle="", color=pal[7], label="unchanged"),
    ]
    ax.legend(handles=handles, loc="lower right")
    return fig


#: Class names longer than this are shortened (with "…") in the confusion matrix.
MAX_LABEL_CHARS = 40


def _text_width_in(texts: Sequence[str], *, size: float, weight: str = "normal") -> float:
    """Width in inches of the widest of ``texts`` in the report's font at ``size`` points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    prop = FontProperties(family="DejaVu Sans", weight=weight)
    widest = 0.0
    for t in texts:
        if t:
            widest = max(
                widest, float(TextPath((0, 0), t, size=size, prop=prop).get_extents().width)
            )
    return widest / 72.0


def _shorten(text: str, n: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrap_title(title: str, *, width_in: float, size: float) -> str:
    """``title`` broken into lines (at " — " first, then at spaces) that fit ``width_in``."""
    import textwrap

    if _text_width_in([title], size=size, weight="bold") <= width_in:
        return title
    lines: list[str] = []
    for part in title.split(" — "):
        if _text_width_in([part], size=size, weight="bold") <= width_in:
            lines.append(part)
            continue
        chars = max(8, int(len(part) * width_in / _text_width_in([part], size=size, weight="bold")))
        lines.extend(textwrap.wrap(part, chars, break_on_hyphens=False) or [part])
    return "\n".join(lines)


def _write_counts(ax: Axes, cm: np.ndarray[Any, Any], frac: np.ndarray[Any, Any]) -> None:
    """The count of each non-empty cell of a confusion matrix, written in the cell."""
    c = cm.shape[0]
    for i in range(c):
        for j in range(c):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    str(int(cm[i, j])),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if frac[i, j] > 0.55 else "#222222",
                )


def confusion(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Row-normalised confusion matrix with class names on both axes.

    ``data``: ``matrix`` (n_classes, n_classes) counts, rows true classes;
    ``class_names``; ``title``. The figure is sized from the matrix and the
    class names: the matrix takes 0.42 in per class up to 15 classes (counts
    written in the cells) and 0.125 in per class above (6.3 to 15 in; 51 and
    101 classes: every class labelled at 7 pt), the margins take the widest
    name as measured in the report's font (names are shortened to
    :data:`MAX_LABEL_CHARS` characters), and a long title is wrapped to the
    figure's width, so nothing is clipped. Above 150 classes only every k-th
    class is labelled.
    """
    cm = np.asarray(data["matrix"], dtype=np.float64)
    names = [_shorten(str(n)) for n in data["class_names"]]
    c = cm.shape[0]
    title = str(data.get("title", "Confusion matrix"))
    step = 1 if c <= 150 else math.ceil(c / 150)
    ticks = np.arange(0, c, step)
    shown = [names[i] for i in ticks]
    side = float(np.clip(0.42 * c, 2.6, 6.3)) if c <= 15 else float(np.clip(0.125 * c, 6.3, 15.0))
    fs = float(np.clip(0.78 * side / max(c, 1) * 72 * step, 4.5, 9.0))
    cax = None
    if ax is None:
        # Explicit geometry (inches), from the measured names: the matrix keeps its size
        # and nothing is clipped, whatever the names.
        label_in = _text_width_in(shown, size=fs) + 0.06  # + tick length and pad
        axis_label_in = 0.1 + 9 * 1.25 / 72 + 0.06  # margin, "true class" text, its pad
        left = axis_label_in + label_in
        bottom = axis_label_in + label_in
        cb_gap, cb_width = 0.15, 0.16
        right = cb_gap + cb_width + 0.05 + 8 * 2.2 / 72 + 0.07 + 2 * 9 * 1.25 / 72 + 0.12
        title_size = 10.5
        # the title is centred on the matrix: it may use the matrix width plus twice the
        # narrower margin
        title = _wrap_title(title, width_in=side + 2 * min(left, right) - 0.2, size=title_size)
        top = 0.12 + 6 / 72 + (title.count("\n") + 1) * title_size * 1.25 / 72
        width, height = left + side + right, bottom + side + top
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width, height))
        ax = fig.add_axes((left / width, bottom / height, side / width, side / height))
        shrink = 0.8 if c <= 15 else 0.6
        cax = fig.add_axes(
            (
                (left + side + cb_gap) / width,
                (bottom + side * (1 - shrink) / 2) / height,
                cb_width / width,
                side * shrink / height,
            )
        )
    else:
        fig, ax = _new((6.4, 6.4), ax)
    totals = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    from matplotlib.colors import PowerNorm

    im = ax.imshow(
        frac,
        cmap="Blues",
        norm=PowerNorm(0.5, vmin=0.0, vmax=1.0),
        interpolation="nearest",
        aspect="equal",
    )
    ax.set_xticks(ticks, shown, rotation=90, fontsize=fs)
    ax.set_yticks(ticks, shown, fontsize=fs)
    ax.tick_params(length=2, pad=1.5)
    ax.grid(False)
    for sp in ax.spines.values():
        sp.set_visible(True)
        sp.set_color("#999999")
    if c <= 15:
        _write_counts(ax, cm, frac)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    if cax is not None:
        cb = fig.colorbar(im, cax=cax)
    else:
        cb = fig.colorbar(im, ax=ax, shrink=0.6, pad=0.02)
    cb.set_label("fraction of the true class\n(square-root scale)")
    return fig


def reliability(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Reliability diagram: accuracy against confidence per bin, with counts below.

    ``data``: ``series`` (dicts with ``label``, ``key`` (stream name or
    ``"fused"``), ``bins`` (:class:`~fusionlab.metrics.ReliabilityBins`),
    ``ece``); ``title``. With ``ax`` given only the upper panel is drawn.
    """
    series = list(data["series"])
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.2, 5.6), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    else:
        fig, top = _new((6.2, 5.6), ax)
        bottom = None
    streams = [s["key"] for s in series if s["key"] != "fused"]
    colors = stream_colors(streams)
    colors["fused"] = fused_color()
    top.plot(
        [0, 1], [0, 1], color="#888888", linestyle="--", linewidth=1.0, label="perfect calibration"
    )
    for s in series:
        b = s["bins"]
        ok = b.count > 0
        ece = s.get("ece")
        lab = s["label"] + (f" (ECE {100 * ece:.1f} %)" if ece is not None else "")
        top.plot(
            b.confidence[ok],
            b.accuracy[ok],
            "-o",
            color=colors[s["key"]],
            markersize=4,
            linewidth=1.5,
            label=lab,
        )
        if bottom is not None:
            centers = (b.edges[:-1] + b.edges[1:]) / 2
            bottom.plot(
                centers, b.count, "-", drawstyle="steps-mid", color=colors[s["key"]], linewidth=1.3
            )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1.02)
    top.set_ylabel("accuracy")
    top.set_title(data.get("title", "Reliability diagram"))
    top.legend(loc="upper left")
    if bottom is not None:
        bottom.set_ylabel("videos")
        bottom.set_xlabel("confidence (top-label probability)")
    else:
        top.set_xlabel("confidence (top-label probability)")
    return fig


def _chosen(sub: Any) -> int:
    """Position of the chosen grid point in ``sub``: its ``best`` column, else the first max."""
    if "best" in sub and sub["best"].to_numpy(dtype=bool).any():
        return int(np.flatnonzero(sub["best"].to_numpy(dtype=bool))[0])
    return int(np.argmax(sub["top1"].to_numpy()))


def weight_curve(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Top-1 accuracy against the weight of the second of two streams.

    ``data``: ``frame`` (columns ``domain, w_<s0>, w_<s1>, top1``, optional
    ``best``: True at the chosen point of each domain), ``streams`` (two
    names), ``title``. One line per domain, x = the weight ``α`` of the second
    stream; the chosen point of each domain is starred (without ``best``: the
    first highest point).
    """
    df = data["frame"]
    s0, s1 = data["streams"]
    fig, ax = _new((6.4, 3.9), ax)
    pal = palette()
    styles = {"prob": (pal[2], "-"), "logit": (pal[4], "--")}
    for d in sorted(
        df["domain"].unique(),
        key=lambda v: ("prob", "logit").index(v) if v in ("prob", "logit") else 9,
    ):
        sub = df[df["domain"] == d]
        color, ls = styles.get(d, (pal[7], ":"))
        x = sub[f"w_{s1}"].to_numpy(dtype=float)
        yv = _pct(sub["top1"])
        i = _chosen(sub)
        ax.plot(
            x,
            yv,
            ls,
            marker="o",
            markersize=3,
            color=color,
            linewidth=1.5,
            label=f"{d} domain (best {yv[i]:.2f} % at α = {x[i]:g})",
        )
        ax.plot(
            [x[i]],
            [yv[i]],
            marker="*",
            markersize=13,
            color=color,
            linestyle="",
            markeredgecolor="black",
            markeredgewidth=0.5,
        )
    ax.axvline(0.5, color="#999999", linestyle=":", linewidth=1.0, label="equal weights")
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(f"weight of {s1} α (weight of {s0} = 1 − α)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(data.get("title", "Stream weights"))
    ax.legend(loc="lower center")
    return fig


def weight_heatmap(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Top-1 accuracy over the weights of three streams (a triangle of the simplex).

    ``data``: ``frame`` (columns ``domain, w_<s0>, w_<s1>, w_<s2>, top1``),
    ``streams`` (three names), ``domain`` (the one shown), ``title``. The x
    axis is the weight of the second stream, the y axis of the third; the
    first gets the rest.
    """
    df = data["frame"]
    s0, s1, s2 = data["streams"]
    dom = data.get("domain") or str(df["domain"].iloc[0])
    sub = df[df["domain"] == dom]
    xs = np.unique(np.round(sub[f"w_{s1}"].to_numpy(dtype=float), 9))
    n = len(xs)
    grid = np.full((n, n), np.nan)
    xi = np.searchsorted(xs, np.round(sub[f"w_{s1}"].to_numpy(dtype=float), 9))
    yi = np.searchsorted(xs, np.round(sub[f"w_{s2}"].to_numpy(dtype=float), 9))
    grid[yi, xi] = _pct(sub["top1"])
    fig, ax = _new((6.0, 5.2), ax)
    step = xs[1] - xs[0] if n > 1 else 1.0
    ext = (xs[0] - step / 2, xs[-1] + step / 2, xs[0] - step / 2, xs[-1] + step / 2)
    im = ax.imshow(
        np.ma.masked_invalid(grid),
        origin="lower",
        extent=ext,
        cmap="viridis",
        interpolation="nearest",
        aspect="equal",
    )
    best = _chosen(sub)
    ax.plot(
        sub[f"w_{s1}"].iloc[best],
        sub[f"w_{s2}"].iloc[best],
        marker="*",
        markersize=14,
        color="white",
        markeredgecolor="black",
        linestyle="",
    )
    ax.grid(False)
    ax.set_xlabel(f"weight of {s1}")
    ax.set_ylabel(f"weight of {s2}  (weight of {s0} = 1 − both)")
    ax.set_title(data.get("title", "Stream weights") + f" ({dom})")
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.set_label("top-1 accuracy (%)")
    return fig


def importance(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Shapley value and accuracy alone of each component, one panel per group.

    ``data``: ``groups`` (dicts with ``title``, ``stream`` (the stream whose
    segments the group holds, or None for the streams), ``components``
    (labels), ``alone`` and ``shapley`` (fractions, one per component),
    ``full`` (mean fusion of the group), ``chance`` (the empty coalition's
    value)); ``streams`` (colours); ``title``. Per component a light bar
    (accuracy alone) and a solid bar (Shapley value, labelled); a dashed line
    at ``full`` and a dotted one at ``chance``. With ``ax`` only the first
    group is drawn, into ``ax``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    groups = list(data["groups"])
    colors = stream_colors(list(data.get("streams", [])))
    own = ax is None
    if ax is None:
        from matplotlib.figure import Figure

        widths = [max(2, len(g["components"])) for g in groups]
        fig = Figure(figsize=(max(6.4, 1.3 + 0.95 * sum(widths)), 4.2), layout="constrained")
        axes = list(
            fig.subplots(1, len(groups), sharey=True, squeeze=False, width_ratios=widths)[0]
        )
    else:
        fig, ax = _new((6.4, 4.2), ax)
        groups, axes = groups[:1], [ax]
    lows = [0.0]
    highs = [100.0]
    for a, g in zip(axes, groups, strict=True):
        n = len(g["components"])
        x = np.arange(n, dtype=float)
        alone, shap = _pct(g["alone"]), _pct(g["shapley"])
        if g.get("stream") is not None:
            cols = [colors.get(g["stream"], palette()[0])] * n
        else:
            cols = [colors.get(c, palette()[7]) for c in g["components"]]
        a.bar(x - 0.2, alone, width=0.38, color=cols, alpha=0.35, edgecolor=cols, linewidth=0.8)
        bars = a.bar(x + 0.2, shap, width=0.38, color=cols)
        a.bar_label(bars, labels=[f"{v:+.1f}" for v in shap], fontsize=7, padding=1.5)
        a.axhline(100 * g["full"], color="#444444", linestyle="--", linewidth=1.0)
        a.axhline(100 * g["chance"], color="#888888", linestyle=":", linewidth=1.0)
        a.axhline(0.0, color="#222222", linewidth=0.6)
        a.set_xticks(x, list(g["components"]))
        a.set_xlim(-0.6, n - 0.4)
        a.grid(axis="x", visible=False)
        if own:
            a.set_title(g["title"], fontsize=9.5)
        else:
            a.set_title(f"{data.get('title', 'Importance')}: {g['title']}")
        a.set_xlabel("segment" if g.get("stream") is not None else "stream")
        lows.append(float(min(shap.min(initial=0.0), alone.min(initial=0.0))))
        highs.append(float(max(shap.max(initial=0.0), 100 * g["full"])))
    axes[0].set_ylim(min(lows) - 5.0, max(highs) + 6.0)
    axes[0].set_ylabel("top-1 accuracy, Shapley value (%)")
    if own:
        fig.suptitle(data.get("title", "Importance"), fontweight="bold", fontsize=10.5)
        handles = [
            Patch(facecolor="#777777", alpha=0.35, edgecolor="#777777", label="accuracy alone"),
            Patch(facecolor="#777777", label="Shapley value (points)"),
            Line2D([], [], color="#444444", linestyle="--", label="mean fusion of the group"),
            Line2D([], [], color="#888888", linestyle=":", label="chance (empty subset)"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=4)
    return fig


def learning_curve(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Top-1 accuracy per epoch for each stream and for the fused scores.

    ``data``: ``frame`` (column ``epoch``, one column per stream, optional
    ``fused``), ``streams``, ``title``.
    """
    from matplotlib.ticker import MaxNLocator

    df = data["frame"]
    streams = list(data["streams"])
    fig, ax = _new((6.4, 3.9), ax)
    colors = stream_colors(streams)
    ep = df["epoch"].to_numpy(dtype=float)
    for s in streams:
        yv = _pct(df[s])
        ok = np.isfinite(yv)
        ax.plot(ep[ok], yv[ok], "-o", color=colors[s], markersize=4, linewidth=1.5, label=s)
    if "fused" in df:
        yv = _pct(df["fused"])
        ok = np.isfinite(yv)
        ax.plot(
            ep[ok], yv[ok], "-s", color=fused_color(), markersize=4.5, linewidth=2.2, label="fused"
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(data.get("title", "Learning curve"))
    ax.legend(loc="lower right")
    return fig


def q_heatmap(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Yule's Q between every pair of components (:func:`fusionlab.diversity.plot_q_heatmap`).

    ``data``: ``frame`` (a :func:`fusionlab.diversity.pairwise` table), ``group``
    (the component set drawn), optional ``domain``, ``title``.
    """
    from .. import diversity

    fig = diversity.plot_q_heatmap(
        data["frame"], ax=ax, group=data.get("group"), domain=data.get("domain")
    )
    axes = ax if ax is not None else fig.axes[0]
    axes.grid(False)
    axes.set_xlabel("component")
    axes.set_ylabel("component")
    axes.set_title(data.get("title", "Pairwise Yule's Q"))
    return fig


def subset_accuracy(data: Mapping[str, Any], *, ax: Axes | None = None) -> Figure:
    """Mean-fusion accuracy of every subset of each stream's segments, with the oracle weights.

    :func:`fusionlab.diversity.plot_subset_accuracy`, one panel per set; ``data``:
    ``frame`` (a :func:`fusionlab.diversity.subsets` table), ``sets`` (the sets
    drawn, e.g. the streams), ``domain``, ``title``. With ``ax``, only the first
    set is drawn, into ``ax``.
    """
    from matplotlib.figure import Figure

    from .. import diversity

    sets = list(data["sets"])
    if ax is not None:
        sets = sets[:1]
        axes = [ax]
        fig = ax.get_figure()
    else:
        df = data["frame"]
        flat = df.reset_index() if df.index.nlevels > 1 else df
        n_rows = max([3, *(int((flat["set"] == s).sum()) for s in sets)]) // 2
        fig = Figure(figsize=(6.4, 0.6 + len(sets) * (0.9 + 0.26 * n_rows)), layout="constrained")
        axes = list(fig.subplots(len(sets), 1, squeeze=False)[:, 0])
    for a, name in zip(axes, sets, strict=True):
        diversity.plot_subset_accuracy(data["frame"], ax=a, which=name, domain=data.get("domain"))
        a.set_ylabel(f"segments of {name}")
        a.set_title(f"{data.get('title', 'Subset accuracy')}: {name}", fontsize=10)
    return fig  # type: ignore[return-value]


PlotFn = Callable[..., "Figure"]

#: Plot functions by the name a :class:`~fusionlab.report.model.FigureBlock` gives.
PLOTS: dict[str, PlotFn] = {
    "rule_comparison": rule_comparison,
    "segments": segments,
    "per_class": per_class,
    "confusion": confusion,
    "reliability": reliability,
    "weight_curve": weight_curve,
    "weight_heatmap": weight_heatmap,
    "importance": importance,
    "learning_curve": learning_curve,
    "q_heatmap": q_heatmap,
    "subset_accuracy": subset_accuracy,
}
