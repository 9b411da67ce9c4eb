"""The ``fusionlab`` console command: arguments in, one API call, exit status out.

Every subcommand lives in the module that owns its computation and provides
two functions, ``add_arguments(parser)`` and ``run(args) -> int``; this file
only dispatches. A :class:`~fusionlab.errors.FusionlabError` (bad input) is
printed as one line on stderr with exit status 2; any other exception is a
bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import FusionlabError

__all__ = ["EXIT_OK", "EXIT_USAGE", "main", "run_subcommand"]

EXIT_OK = 0
EXIT_USAGE = 2

#: subcommand -> (module, one-line help). Modules are imported only when used.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "evaluate": ("fusionlab.commands.evaluate", "accuracy table of every stream and fusion rule"),
    "report": ("fusionlab.commands.report", "write the Markdown and HTML report"),
    "grid": ("fusionlab.commands.grid", "grid search over fusion weights, oracle and honest"),
    "import": (
        "fusionlab.commands.import_",
        "convert other tools' score files to format version 1",
    ),
    "diversity": ("fusionlab.commands.diversity", "complementarity, subsets and error analysis"),
    "explorer": (
        "fusionlab.commands.explorer",
        "the fusion explorer's numbers for given weights; --html writes the page",
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and a one-line message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _guarded(fn_args: argparse.Namespace, module: str) -> int:
    mod = importlib.import_module(module)
    try:
        return int(mod.run(fn_args))
    except FusionlabError as exc:
        msg = " ".join(str(exc).split())  # exactly one line
        print(f"fusionlab: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("fusionlab: interrupted", file=sys.stderr)
        return 130


def run_subcommand(name: str, argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Parse ``argv`` for subcommand ``name`` and run it (used by ``python -m``)."""
    module, help_ = SUBCOMMANDS[name]
    mod = importlib.import_module(module)
    parser = _Parser(prog=prog or f"fusionlab {name}", description=help_)
    mod.add_arguments(parser)
    args = parser.parse_args(argv)
    return _guarded(args, module)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fusionlab`` command."""
    parser = _Parser(prog="fusionlab", description="Offline score fusion for video recognition.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (_, help_) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_, add_help=False)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return EXIT_OK if argv else EXIT_USAGE
    if argv[0] == "--version":
        from . import __version__

        print(f"fusionlab {__version__}")
        return EXIT_OK
    name = argv[0]
    if name not in SUBCOMMANDS:
        parser.error(f"unknown command {name!r} (choose from {', '.join(SUBCOMMANDS)})")
    return run_subcommand(name, argv[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
