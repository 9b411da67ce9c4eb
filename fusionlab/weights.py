"""Fusion weights by name: parsing, resolving against an evaluation's streams, display.

A weight vector is always tied to names. Two spellings are accepted, on the
command line (``--weights``) and from Python:

* **by name** — ``rgb=1,flow=1.5`` or ``{"rgb": 1, "flow": 1.5}``: every
  stream (or component) of the evaluation must be named once; ``0`` leaves
  one out. The order of the names does not matter.
* **positional** — ``1:1.5`` or ``(1, 1.5)``: the values follow the
  evaluation's *stream order* (:data:`WELL_KNOWN_STREAMS` first — ``rgb``, then
  ``flow`` — then every other stream in alphabetical order; never the order of
  the files). Because that order is easy to misread, a positional list is
  accepted only where it cannot be misread: the streams are exactly ``rgb``
  and ``flow`` (the field's "RGB:flow 1:1.5" convention), or all the values
  are equal. Anything else is refused with the named form to use instead.

Every weighted row prints its weights with their names (``rgb 1 : flow 1.5``),
and the JSON holds them as an object ``{"rgb": 1.0, "flow": 1.5}``.

Examples
--------
>>> w = parse_weights("flow=1.5,rgb=1")
>>> resolve_weights(w, ["rgb", "flow"])
(1.0, 1.5)
>>> resolve_weights(parse_weights("1:1.5"), ["rgb", "flow"])
(1.0, 1.5)
>>> format_weights(["rgb", "flow"], (1.0, 1.5))
'rgb 1 : flow 1.5'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import UsageError

__all__ = [
    "WELL_KNOWN_STREAMS",
    "WeightSpec",
    "component_name",
    "format_weights",
    "named_weights",
    "parse_weights",
    "resolve_weights",
    "stream_order",
    "weights_arg",
]

#: Streams placed first, in this order, wherever streams are listed; every
#: other stream follows in alphabetical order.
WELL_KNOWN_STREAMS: tuple[str, ...] = ("rgb", "flow")


def stream_order(streams: Iterable[str]) -> list[str]:
    """The documented stream order: ``rgb``, ``flow``, then the rest alphabetically.

    Independent of the order of the files, so positional weights and table
    rows never depend on it.

    >>> stream_order(["residual", "flow", "iframe", "mv"])
    ['flow', 'iframe', 'mv', 'residual']
    """
    uniq = list(dict.fromkeys(streams))
    known = [s for s in WELL_KNOWN_STREAMS if s in uniq]
    return known + sorted(s for s in uniq if s not in WELL_KNOWN_STREAMS)


def component_name(stream: str, segment: int) -> str:
    """The one spelling of a stream x segment component: ``rgb/seg1`` (``segment`` 0-based).

    >>> component_name("flow", 2)
    'flow/seg3'
    """
    return f"{stream}/seg{segment + 1}"


@dataclass(frozen=True)
class WeightSpec:
    """Weights as the user gave them: by name (``names`` set) or positional.

    Attributes
    ----------
    values : tuple of float
        Non-negative, finite, not all zero.
    names : tuple of str or None
        The name of each value, or None for a positional list.
    text : str
        How the user wrote it (for error messages).
    """

    values: tuple[float, ...]
    names: tuple[str, ...] | None = None
    text: str = ""

    @property
    def positional(self) -> bool:
        return self.names is None

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.names is None:
            return ":".join(f"{v:g}" for v in self.values)
        return ",".join(f"{n}={v:g}" for n, v in zip(self.names, self.values, strict=True))


def _number(text: str, whole: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise UsageError(
            f"weights {whole!r}: {text.strip()!r} is not a number (write rgb=1,flow=1.5 or 1:1.5)"
        ) from None
    if not math.isfinite(v) or v < 0:
        raise UsageError(f"weights {whole!r}: every weight must be finite and >= 0")
    return v


def parse_weights(text: str) -> WeightSpec:
    """Parse ``rgb=1,flow=1.5`` (by name) or ``1:1.5`` (positional).

    Raises
    ------
    UsageError
        Not a number, negative, all zero, a name given twice, or the two
        forms mixed.
    """
    t = text.strip()
    if "=" in t:
        names: list[str] = []
        vals: list[float] = []
        for part in t.split(","):
            if not part.strip():
                continue
            name, sep, val = part.partition("=")
            name = name.strip()
            if not sep or not name:
                raise UsageError(
                    f"weights {text!r}: {part.strip()!r} is not NAME=W "
                    "(write rgb=1,flow=1.5, or 1:1.5 for positional weights)"
                )
            if name in names:
                raise UsageError(f"weights {text!r}: {name!r} is given twice")
            names.append(name)
            vals.append(_number(val, text))
        spec = WeightSpec(tuple(vals), tuple(names), t)
    else:
        parts = [p for p in t.split(":")]
        if len(parts) < 2 and "," in t:
            raise UsageError(
                f"weights {text!r}: name the streams (rgb=1,flow=1.5) or separate positional "
                "weights with ':' (1:1.5)"
            )
        spec = WeightSpec(tuple(_number(p, text) for p in parts), None, t)
    if not any(spec.values):
        raise UsageError(f"weights {text!r}: at least one weight must be > 0")
    return spec


def weights_arg(value: str | Mapping[str, float] | Sequence[float] | WeightSpec) -> WeightSpec:
    """A :class:`WeightSpec` from text, a mapping (by name) or a sequence (positional)."""
    if isinstance(value, WeightSpec):
        return value
    if isinstance(value, str):
        return parse_weights(value)
    if isinstance(value, Mapping):
        names = tuple(str(k) for k in value)
        vals = tuple(_number(str(v), str(dict(value))) for v in value.values())
        spec = WeightSpec(vals, names)
    else:
        vals = tuple(_number(str(v), str(list(value))) for v in value)
        spec = WeightSpec(vals, None)
    if not any(spec.values):
        raise UsageError(f"weights {spec}: at least one weight must be > 0")
    return spec


def resolve_weights(
    spec: WeightSpec | str | Mapping[str, float] | Sequence[float],
    names: Sequence[str],
    *,
    where: str = "",
    what: str = "stream",
    conventional: bool | None = None,
) -> tuple[float, ...]:
    """The weights of ``spec`` in the order of ``names``.

    Parameters
    ----------
    spec : WeightSpec, str, mapping or sequence
        See the module docstring.
    names : sequence of str
        The streams (or components) in their documented order
        (:func:`stream_order` for streams).
    where : str
        Prefix of error messages (e.g. the evaluation's name).
    what : str
        What the names are, for messages ("stream", "component").
    conventional : bool, optional
        Whether the order of ``names`` is the field's convention, so that
        positional weights cannot be misread; default: ``names`` are exactly
        ``rgb``, ``flow``. Callers naming components pass whether their
        streams are.

    Raises
    ------
    UsageError
        A name that is not among ``names``, one of ``names`` left out, the
        wrong number of positional weights, or a positional list that could be
        misread (see the module docstring).
    """
    s = weights_arg(spec)
    pre = f"{where}: " if where else ""
    listed = ", ".join(names)
    if s.names is not None:
        unknown = [n for n in s.names if n not in names]
        if unknown:
            raise UsageError(
                f"{pre}weights {s}: no {what} named {unknown[0]!r} (the {what}s are {listed})"
            )
        missing = [n for n in names if n not in s.names]
        if missing:
            raise UsageError(
                f"{pre}weights {s}: {what} {missing[0]!r} has no weight "
                f"(name every {what}: {listed}; 0 leaves one out)"
            )
        by = dict(zip(s.names, s.values, strict=True))
        return tuple(by[n] for n in names)
    if len(s.values) != len(names):
        raise UsageError(
            f"{pre}weights {s} give {len(s.values)} weights for {len(names)} {what}s ({listed})"
        )
    if conventional is None:
        conventional = tuple(names) == WELL_KNOWN_STREAMS
    unambiguous = len(set(s.values)) == 1 or len(names) == 1 or conventional
    if not unambiguous:
        example = ",".join(f"{n}={v:g}" for n, v in zip(names, s.values, strict=True))
        raise UsageError(
            f"{pre}positional weights {s} are ambiguous for the {what}s {listed}: "
            f"give them by name, e.g. --weights {example}"
        )
    return tuple(s.values)


def named_weights(names: Sequence[str], values: Sequence[float]) -> dict[str, float]:
    """``{name: weight}`` in the given order (the JSON form of a weight vector)."""
    return {str(n): float(v) for n, v in zip(names, values, strict=True)}


def format_weights(names: Sequence[str], values: Sequence[float], *, digits: int = 3) -> str:
    """``rgb 1 : flow 1.5``: each weight after its name, in the given order."""
    return " : ".join(f"{n} {v:.{digits}g}" for n, v in zip(names, values, strict=True))
