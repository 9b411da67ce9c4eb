"""Renderers: text, Markdown, CSV and JSON of the pipeline's results (no computation).

:mod:`fusionlab.render.table` formats the accuracy tables; :mod:`fusionlab.render.document`
builds the versioned JSON document (schema ``fusionlab/schemas/evaluate.schema.json``).
"""

from __future__ import annotations

from .document import TUNED_LEVELS, to_document
from .table import Format, describe, format_results

__all__ = ["TUNED_LEVELS", "Format", "describe", "format_results", "to_document"]
