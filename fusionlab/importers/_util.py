"""Small helpers shared by the importers (private): messages, reading files, integers.

Every error an importer raises goes through :func:`fail`, which makes it a
:class:`~fusionlab.errors.ScoreFileError` naming the file, with values from the
input quoted printably (:func:`quoted`, :func:`printable`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt

from ..errors import ScoreFileError, UsageError

#: Largest input file accepted by default (2 GiB); see ``max_bytes``.
DEFAULT_MAX_BYTES = 2 * 1024**3

RowOrder = Literal["sorted", "list"]
PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]
FloatArray = npt.NDArray[np.floating[Any]]

#: What decoding untrusted bytes through numpy, zipfile, zlib, pickle and pandas can raise
#: is wide and version-dependent (zlib.error, tokenize.TokenError from .npy headers,
#: NotImplementedError and RuntimeError from zip flags, struct.error, MemoryError, ...); all
#: of it is caused by the input. Only calls into those libraries are wrapped with it, and
#: FusionlabError is always re-raised first.
DECODE_ERRORS: tuple[type[Exception], ...] = (Exception,)

INT_TOKEN = re.compile(r"[+-]?[0-9]+")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def printable(text: str) -> str:
    """``text`` with undecodable bytes and control characters escaped (one printable line)."""
    out: list[str] = []
    for ch in text:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{o - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif o < 0x100:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def fspath(path: PathArg) -> str:
    return os.fsdecode(path)


def shown_path(path: PathArg) -> str:
    return printable(fspath(path))


def fail(path: PathArg, problem: str) -> NoReturn:
    raise ScoreFileError(shown_path(path), problem)


def quoted(value: object, *, limit: int = 300) -> str:
    """A quoted, printable rendering of a value from the input (at most ``limit`` characters).

    Never raises: ``repr`` of a huge int (over Python's 4300-digit limit) does, and a
    pickle can hold one.
    """
    try:
        text = repr(value)
    except Exception:  # ValueError for huge ints; any repr failure alike
        return f"<{printable(type(value).__name__)}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return printable(text)


def safe_str(value: object) -> str:
    """``str(value)``, or its type name where that raises (a huge int)."""
    try:
        return str(value)
    except Exception:  # see quoted
        return f"<{type(value).__name__}>"


def numtext(token: str) -> str:
    """An integer token as written, shortened when long (for messages)."""
    return token if len(token) <= 40 else f"{token[:20]}...({len(token)} digits)"


def parse_int(token: str) -> int | None:
    """The integer an ASCII ``[+-]digits`` token spells, else None.

    Other Unicode digits (``"²"``, ``"٣"``) are not accepted. A value outside int64 is
    clamped to ``-2**63`` or ``2**63``, which every caller's range check refuses, so
    no huge int is built (``int()`` itself refuses over 4300 digits).
    """
    if INT_TOKEN.fullmatch(token) is None:
        return None
    sign = -1 if token[0] == "-" else 1
    digits = token.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        return sign * 2**63
    return sign * min(int(digits), 2**63)


def read_bytes(path: PathArg, *, max_bytes: int, what: str = "file") -> bytes:
    p = fspath(path)
    if "\0" in p:
        fail(p, f"the {what} name holds a NUL byte")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        fail(p, f"no such {what}")
    except OSError as exc:
        fail(p, f"cannot read the {what} ({exc.strerror or exc})")
    if os.path.isdir(p):
        fail(p, f"is a directory, expected a {what}")
    if st.st_size > max_bytes:
        fail(
            p,
            f"is {st.st_size} bytes, over the limit of {max_bytes} bytes (max_bytes, --max-bytes)",
        )
    try:
        with open(p, "rb") as fh:
            # read(n) allocates n bytes first: size it from the file, not from max_bytes
            # (which may be huge), and read on in chunks only for a file that is longer
            # than stat said (it grew, or it is a pipe or /proc file).
            data = fh.read(min(max_bytes, st.st_size) + 1)
            if len(data) > st.st_size:
                parts, total = [data], len(data)
                while total <= max_bytes:
                    chunk = fh.read(min(1 << 24, max_bytes + 1 - total))
                    if not chunk:
                        break
                    parts.append(chunk)
                    total += len(chunk)
                data = b"".join(parts)
    except OSError as exc:
        fail(p, f"cannot read the {what} ({exc.strerror or exc})")
    if len(data) > max_bytes:
        fail(p, f"is over the limit of {max_bytes} bytes (max_bytes, --max-bytes)")
    if not data:
        fail(p, f"is empty, expected a {what}")
    return data


def read_text(path: PathArg, *, max_bytes: int, what: str) -> str:
    data = read_bytes(path, max_bytes=max_bytes, what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})")


def check_max_bytes(max_bytes: int) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise UsageError(f"max_bytes must be a positive integer, got {max_bytes!r}")


def is_int(token: str) -> bool:
    return parse_int(token) is not None


def are(n: int) -> str:
    return "is" if n == 1 else "are"


def first_few(shown: Iterable[str], *, at_most: int = 3) -> str:
    """`` (first: a, b, c)`` for the first ``at_most`` items of ``shown``, else ``""``."""
    items: list[str] = []
    for item in shown:
        if len(items) == at_most:
            items.append("...")
            break
        items.append(item)
    return f" (first: {', '.join(items)})" if items else ""


def spelled(a: str, b: str) -> str:
    """`` (spelled 'a' and 'b')`` when two names of one id differ, else ``""``."""
    if a == b:
        return ""
    return f" (spelled {quoted(a, limit=80)} and {quoted(b, limit=80)}; see normalize_video_id)"
