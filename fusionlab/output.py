"""Atomic file output: the one place that writes files.

A file is written to a temporary file in the destination folder and renamed
over the destination only when it is complete, so a failure never leaves a
half-written file behind. ``"-"`` means standard output.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import UsageError

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "write_output"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The parent folder is created if needed. On any exception the temporary
    file is removed and ``path`` is left untouched.
    """
    dest = Path(path)
    if "\0" in os.fspath(path):
        raise UsageError(f"{os.fspath(path)!r}: a file name cannot contain a NUL byte")
    if dest.exists() and not dest.is_file() and not dest.is_dir():
        # os.replace would replace a device (/dev/null) or a named pipe with a file
        raise UsageError(f"{dest}: exists and is not a regular file; give a file path")
    for parent in dest.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{dest}: cannot write, {parent} is not a directory")
            break
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix + ".tmp", dir=dest.parent)
    except OSError as exc:
        raise UsageError(f"{dest}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; give the result the usual umask-based mode.
        if tmp_path.exists():
            os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def _umask() -> int:
    """The process umask, read without changing it (Linux); 0o022 where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_output(
    path: str | os.PathLike[str] | None, text: str, *, stream: IO[str] | None = None
) -> None:
    """Write ``text`` to ``path``, or to standard output when ``path`` is ``"-"`` or None."""
    if path is None or os.fspath(path) == "-":
        out = stream if stream is not None else sys.stdout
        out.write(text)
        out.flush()
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{os.fspath(path)}: is a directory, expected a file path")
    if p.exists() and not p.is_file():
        # A device, a named pipe or a link to one (/dev/stdout): write into it, never
        # replace it with a regular file.
        try:
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{os.fspath(path)}: cannot write ({exc.strerror or exc})") from None
        return
    atomic_write_text(path, text)
