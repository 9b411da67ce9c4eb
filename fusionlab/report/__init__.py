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
dates, no absolute paths).

Importing this package is light: the model, matplotlib and jinja2 are
imported by the functions that use them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..evaluate import Results
    from .model import ReportModel

__all__ = [
    "add_arguments",
    "add_report_argument",
    "build_model",
    "check_out_dir",
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


def _unique_sibling(target: Path, tag: str) -> Path:
    return target.parent / f".{target.name}.{tag}-{secrets.token_hex(6)}"


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
    from .._io import atomic_write_text
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


def add_report_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """Add ``--report DIR`` to a command's options (``fusionlab evaluate`` uses it)."""
    parser.add_argument(
        "--report",
        metavar="DIR",
        default=None,
        required=required,
        help="write report.md, report.html and figures/ into DIR (replacing an earlier report "
        "there)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``fusionlab report``: those of ``fusionlab evaluate`` and ``--report DIR``.

    The accuracy table is printed only when ``--output`` is given.
    """
    from ..evaluate import add_arguments as add_evaluate_arguments

    add_evaluate_arguments(parser)
    try:
        add_report_argument(parser, required=True)
    except argparse.ArgumentError:  # evaluate's options already include --report
        pass
    parser.add_argument("--title", default="fusionlab report", help="title of the report")
    parser.set_defaults(output=None)


def run(args: argparse.Namespace) -> int:
    """Run ``fusionlab report``; returns the exit status."""
    from .._io import write_output
    from ..evaluate import evaluate_files, format_results, options_from_args

    if getattr(args, "report", None) is None:
        raise UsageError("the report command needs --report DIR")
    target = check_out_dir(args.report)
    opts = options_from_args(args)
    results = evaluate_files(args.files, options=opts, progress=not args.quiet)
    if args.output is not None:
        write_output(args.output, format_results(results, args.fmt))
    path = write_report(results, target, title=args.title, progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {path / 'report.md'} and {path / 'report.html'}", file=sys.stderr)
    return 0


def _main(argv: Sequence[str] | None = None) -> int:
    from ..cli import run_subcommand

    return run_subcommand("report", argv, prog="python -m fusionlab.report")
