"""Cell formatting, Markdown escaping and heading anchors shared by the renderers.

Both the Markdown and the HTML report format every number through
:func:`format_cell`, so the two documents always show the same text; the
fusion explorer (:mod:`fusionlab.explorer`) formats its numbers with it too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Literal

__all__ = ["CellKind", "Slugger", "format_cell", "md_escape", "sort_key"]

#: How a table column is formatted.
#:
#: ``text`` as is; ``int`` integer; ``pct`` a fraction shown as a percentage
#: with two decimals; ``signed_pct`` the same with a sign (differences); ``ci``
#: a (low, high) pair of fractions as ``[a, b]`` percentages; ``pvalue`` a
#: p-value; ``float`` four significant digits; ``decimal`` three decimals.
CellKind = Literal["text", "int", "pct", "signed_pct", "ci", "pvalue", "float", "decimal"]


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def format_cell(value: Any, kind: CellKind) -> str:
    """The text of one table cell.

    Examples
    --------
    >>> format_cell(0.70523, "pct"), format_cell(-0.0131, "signed_pct")
    ('70.52', '-1.31')
    >>> format_cell((0.6817, 0.7281), "ci"), format_cell(3.2e-05, "pvalue")
    ('[68.17, 72.81]', '3.2e-05')
    >>> format_cell(float("nan"), "pct"), format_cell(0.04567, "pvalue")
    ('', '0.046')
    """
    if kind == "ci":
        if value is None or any(_missing(v) for v in value):
            return ""
        lo, hi = value
        return f"[{100 * lo:.2f}, {100 * hi:.2f}]"
    if _missing(value):
        return ""
    if kind == "pct":
        return f"{100 * float(value):.2f}"
    if kind == "signed_pct":
        v = 100 * float(value)
        return "0.00" if round(v, 2) == 0 else f"{v:+.2f}"
    if kind == "int":
        return str(int(value))
    if kind == "pvalue":
        p = float(value)
        if p >= 0.001:
            return f"{p:.2g}" if p < 0.01 else f"{p:.3f}".rstrip("0").rstrip(".")
        return f"{p:.1e}" if p > 0 else "0"
    if kind in ("float", "decimal"):
        v = float(value)
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.4g}" if kind == "float" else f"{v:.3f}"
    return str(value)


def sort_key(value: Any, kind: CellKind) -> str:
    """The ``data-sort`` value of an HTML cell: a plain number, or the text."""
    if kind == "ci":
        value = None if value is None else value[0]
    if kind == "text":
        return "" if value is None else str(value)
    if _missing(value):
        return ""
    v = float(value)
    if math.isinf(v):
        return "1e308" if v > 0 else "-1e308"
    return repr(v)


_MD_SPECIAL = re.compile(r"([\\`*|<>]|\](?=[(\[:]))")
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md_escape(text: str) -> str:
    """Escape text for a Markdown paragraph or table cell (GitHub Flavored Markdown).

    Underscores inside words (``brush_hair``) are left alone: GFM never
    treats them as emphasis.

    Examples
    --------
    >>> md_escape("a|b <c> brush_hair _x_")
    'a\\\\|b \\\\<c\\\\> brush_hair \\\\_x\\\\_'
    """
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    return " ".join(text.split())


class Slugger:
    """Heading anchors as GitHub computes them, unique within one document.

    Lower-case, punctuation other than ``-`` and ``_`` removed, spaces to
    ``-``; a repeated anchor gets ``-1``, ``-2``, ... in document order.

    Examples
    --------
    >>> s = Slugger()
    >>> s("Summary"), s("Summary"), s("hmdb51-sim/split1/test")
    ('summary', 'summary-1', 'hmdb51-simsplit1test')
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, text: str) -> str:
        base = "".join(
            ch for ch in text.lower() if ch in " -_" or unicodedata.category(ch)[0] in "LN"
        ).replace(" ", "-")
        base = base or "section"
        n = self._seen.get(base)
        if n is None:
            self._seen[base] = 0
            return base
        while True:
            n += 1
            cand = f"{base}-{n}"
            if cand not in self._seen:
                self._seen[base] = n
                self._seen[cand] = 0
                return cand
