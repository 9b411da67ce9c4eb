"""One module per ``fusionlab`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

Each parses its arguments into one API call and hands the result to a
renderer; :mod:`fusionlab.cli` only dispatches.
"""
