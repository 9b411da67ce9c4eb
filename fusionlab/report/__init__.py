"""Markdown and self-contained HTML reports of an evaluation.

``fusionlab report FILES... --report DIR`` (or ``python -m fusionlab.evaluate
FILES... --report DIR``) evaluates score files and writes::

    DIR/report.md        GitHub Flavored Markdown, images linked from figures/
    DIR/report.html      one self-contained page: figures and the fusion explorer
                         embedded, no network
    DIR/explorer.html    the interactive fusion explorer on its own page
                         (fusionlab.explorer), self-contained
    DIR/fixed_broken_videos.csv
                         the videos the best fusion fixes and breaks (fusionlab.diversity)
    DIR/figures/*.png    figures at 130 dpi, and the same as *.svg

From Python, :func:`write_report` does the same for a
:class:`~fusionlab.evaluate.Results` object, and :func:`build_model` returns
the computed content (tables as DataFrames, figure data) without writing
anything.

The folder is written atomically: everything is built in a temporary folder
beside ``DIR`` and renamed into place at the end. An earlier report in ``DIR``
(a folder holding ``report.md``) is replaced in one step; a failure half-way
leaves ``DIR`` as it was. ``DIR`` must not be an existing file or a non-empty
folder that holds no report. The same inputs give byte-identical files (no
dates; paths only as the score files were given, in the explorer's command
lines).

Temporary folders are named ``.DIR.tmp-PID-HOST-RANDOM`` (PID: the writing
process, HOST: 8 hex digits of a hash of the host name; an earlier report
being replaced is moved to ``.DIR.old-PID-HOST-RANDOM`` for an instant). A run
that is killed (SIGKILL, power loss) cannot remove its own, so every run first
removes the stale ones of the same ``DIR``: those whose process is no longer
running on this host, and any of them (also from other hosts, or of the older
``.DIR.tmp-RANDOM`` form) in which nothing changed for :data:`STALE_AFTER_S`
(one hour). A ``.old-`` folder is removed only while ``DIR`` exists (otherwise
it is the previous report, left by a run killed between its two renames).
Nothing else is touched. Such folders can always be deleted by hand when no
report is being written to ``DIR``.

Importing this package is light: the model, matplotlib and jinja2 are
imported by the functions that use them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..evaluate import Results
    from .model import ReportModel

__all__ = [
    "add_arguments",
    "build_model",
    "check_out_dir",
    "remove_stale_temporaries",
    "run",
    "write_report",
]

#: The file whose presence marks a folder as a report that may be replaced.
MARKER = "report.md"


def build_model(results: Results, **kwargs: Any) -> ReportModel:
    """Compute the report's content; see :func:`fusionlab.report.model.build_model`."""
    from .model import build_model as _build

    return _build(results, **kwargs)


# --------------------------------------------------------------------------- output folder


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Check that ``out_dir`` can receive a report, before any work is done.

    Parameters
    ----------
    out_dir : str or path-like
        The report folder. It may be missing (it and its parents are created),
        an empty folder, or a folder holding an earlier report (``report.md``).

    Returns
    -------
    Path
        ``out_dir`` as a path.

    Raises
    ------
    UsageError
        ``out_dir`` is an existing file, a non-empty folder without
        ``report.md``, below a file, or in a folder that cannot be written.
    """
    text = os.fspath(out_dir)
    if text in ("", "-"):
        raise UsageError(f"--report needs a folder name, got {text!r}")
    p = Path(text)
    if p.exists() or p.is_symlink():
        if not p.is_dir():
            raise UsageError(
                f"{p}: exists and is not a folder; --report DIR needs a folder "
                "(it will hold report.md, report.html and figures/)"
            )
        if not (p / MARKER).is_file() and any(p.iterdir()):
            raise UsageError(
                f"{p}: folder is not empty and holds no earlier report ({MARKER}); "
                "refusing to replace it, choose a new or empty folder"
            )
    anc = p.absolute().parent
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise UsageError(f"{p}: cannot create the folder, {anc} is a file")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise UsageError(f"{p}: cannot write into {anc} (permission denied)")
    return p


#: A temporary folder of a report in which nothing changed for this many seconds is stale.
STALE_AFTER_S = 3600.0


def _host_tag() -> str:
    """8 hex digits identifying this host in temporary folder names."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _unique_sibling(target: Path, tag: str) -> Path:
    unique = f"{os.getpid()}-{_host_tag()}-{secrets.token_hex(6)}"
    return target.parent / f".{target.name}.{tag}-{unique}"


def _pid_running(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (POSIX; elsewhere always True)."""
    if os.name != "posix" or pid <= 0:
        return True  # cannot tell: treat as running, so only the age rule applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def _last_change(folder: Path) -> float:
    """Newest modification time of ``folder`` and everything in it (symlinks not followed)."""
    newest = folder.lstat().st_mtime
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            with contextlib.suppress(OSError):
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def remove_stale_temporaries(
    target: str | os.PathLike[str], *, max_age_s: float = STALE_AFTER_S
) -> list[Path]:
    """Remove temporary folders that killed report runs left beside ``target``.

    Only hidden folders named after ``target`` by this module are considered:
    ``.NAME.tmp-PID-HOST-RANDOM`` and ``.NAME.old-PID-HOST-RANDOM`` (and the
    older ``.NAME.tmp-RANDOM``). One is removed when its process (PID) is no
    longer running on this host (HOST matches), or when nothing in it changed
    for ``max_age_s`` seconds. A ``.old-`` folder (an earlier report being
    replaced) is removed only while ``target`` itself exists. Folders of this
    process, symlinks and anything else are left alone; errors are ignored.

    Parameters
    ----------
    target : str or path-like
        The report folder (``DIR`` of ``--report DIR``).
    max_age_s : float, default STALE_AFTER_S (one hour)

    Returns
    -------
    list of Path
        The folders removed.
    """
    target = Path(os.path.abspath(target))
    pattern = re.compile(
        rf"\.{re.escape(target.name)}\.(?P<tag>tmp|old)-"
        r"(?:(?P<pid>[0-9]+)-(?P<host>[0-9a-f]{8})-)?[0-9a-f]{12}"
    )
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    host, me, now = _host_tag(), os.getpid(), time.time()
    removed: list[Path] = []
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or (m["tag"] == "old" and m["pid"] is None):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if m["tag"] == "old" and not target.is_dir():
                continue  # the previous report, left by a run killed mid-swap: keep it
            pid = int(m["pid"]) if m["pid"] is not None else None
            if pid == me and m["host"] == host:
                continue  # this process is writing it (another thread)
            dead = pid is not None and m["host"] == host and not _pid_running(pid)
            if not dead and now - _last_change(Path(entry.path)) < max_age_s:
                continue
            shutil.rmtree(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def _staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary folder (and any parent folder this call
    created) is removed and ``target`` is left as it was.
    """
    target = Path(os.path.abspath(target))
    created: list[Path] = []
    anc = target.parent
    while not anc.exists():
        created.append(anc)
        anc = anc.parent
    if not created:
        remove_stale_temporaries(target)
    try:
        for d in reversed(created):
            d.mkdir()
        while True:
            tmp = _unique_sibling(target, "tmp")
            try:
                tmp.mkdir()
                break
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
    except OSError as exc:
        _remove_created(created)
        raise UsageError(f"{target}: cannot write ({exc.strerror or exc})") from None
    try:
        yield tmp
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created)
        raise


def _remove_created(created: list[Path]) -> None:
    for d in created:  # deepest first
        with contextlib.suppress(OSError):
            d.rmdir()


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` onto ``target``, replacing an earlier report folder there."""
    try:
        if not (target.exists() or target.is_symlink()):
            os.rename(tmp, target)
            return
        if not target.is_dir() or target.is_symlink():
            raise UsageError(f"{target}: exists and is not a folder")
        old = _unique_sibling(target, "old")
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(old, target)
            raise
    except OSError as exc:
        raise UsageError(f"{target}: cannot replace the folder ({exc.strerror or exc})") from None
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- write


def write_report(
    results: Results,
    out_dir: str | os.PathLike[str],
    *,
    title: str = "fusionlab report",
    dpi: int = 130,
    n_top_classes: int = 5,
    weight_step: float = 0.05,
    progress: bool = False,
) -> Path:
    """Write ``report.md``, ``report.html`` and ``figures/`` into ``out_dir``, atomically.

    Parameters
    ----------
    results : Results
        From :func:`fusionlab.evaluate.evaluate` or
        :func:`~fusionlab.evaluate.evaluate_files`. Entries of
        ``results.extra`` (grid search, learned fusion, importance, ...) are
        rendered when present.
    out_dir : str or path-like
        Report folder; see :func:`check_out_dir` for what it may be.
    title : str, default "fusionlab report"
    dpi : int, default 130
        Resolution of the PNG figures.
    n_top_classes : int, default 5
        Classes listed among those that gain and those that lose most.
    weight_step : float, default 0.05
        Step of the weight curve the report computes itself when
        ``results.extra`` holds no grid search.
    progress : bool, default False
        Show a progress bar on stderr (after two seconds).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    UsageError
        ``out_dir`` cannot receive a report (nothing is written), or an
        option is out of range.

    Examples
    --------
    >>> from fusionlab.evaluate import evaluate_files
    >>> res = evaluate_files(["scores/*.npz"], progress=False)  # doctest: +SKIP
    >>> write_report(res, "reports/example")  # doctest: +SKIP
    PosixPath('reports/example')
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 20 <= dpi <= 600:
        raise UsageError(f"dpi must be an integer in [20, 600], got {dpi!r}")
    target = check_out_dir(out_dir)
    return _write_report(
        results,
        target,
        title=title,
        dpi=dpi,
        n_top_classes=n_top_classes,
        weight_step=weight_step,
        progress=progress,
    )


def _write_report(
    results: Results,
    target: Path,
    *,
    title: str,
    dpi: int,
    n_top_classes: int,
    weight_step: float,
    progress: bool,
) -> Path:
    from ..output import atomic_write_text
    from .model import build_model as _build
    from .render import render_html, render_markdown, write_figures

    model = _build(results, title=title, n_top_classes=n_top_classes, weight_step=weight_step)
    n_fig = len(model.figures())
    from tqdm.auto import tqdm

    with (
        tqdm(
            total=n_fig + 1,
            delay=2.0,
            disable=not progress,
            file=sys.stderr,
            unit="figure",
            leave=False,
            desc="report",
        ) as bar,
        _staged_dir(target) as tmp,
    ):
        figs = write_figures(model, tmp / "figures", dpi=dpi, progress=lambda _: bar.update(1))
        atomic_write_text(tmp / "report.md", render_markdown(model))
        atomic_write_text(tmp / "report.html", render_html(model, figs))
        for name, text in model.files.items():
            atomic_write_text(tmp / name, text)
        if model.explorer is not None:
            from ..explorer import EXPLORER_FILE, write_page

            write_page(
                model.explorer,
                tmp / EXPLORER_FILE,
                names=[ev.name for ev in results.evaluations],
                title=f"{title}: fusion explorer",
            )
        bar.update(1)
    return target


# --------------------------------------------------------------------------- command line
