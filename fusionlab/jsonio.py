"""JSON output: plain values, input checksums, and the shipped JSON Schemas.

Every command's ``--format json`` prints one top-level object with a
``"schema"`` version; the schema files are shipped in ``fusionlab/schemas/``
(:func:`schema`) and checked against real output by the tests.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from importlib import resources
from typing import Any

import numpy as np

__all__ = ["SCHEMA_VERSION", "dumps", "file_sha256", "json_value", "schema"]

#: Version of the JSON documents the commands print (``"schema"`` key).
SCHEMA_VERSION = 1


def json_value(v: Any) -> Any:
    """Plain JSON values: lists for arrays and tuples, None for NaN and infinities.

    >>> json_value({"a": (1, float("nan")), "b": np.float32(0.5)})
    {'a': [1, None], 'b': 0.5}
    """
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, tuple | list | np.ndarray):
        return [json_value(x) for x in v]
    return v


def dumps(doc: Any) -> str:
    """Strict JSON (no NaN), indented, with a final newline."""
    return json.dumps(json_value(doc), indent=2, allow_nan=False) + "\n"


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file's bytes (read in 4 MiB chunks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def schema(name: str) -> dict[str, Any]:
    """The shipped JSON Schema of a command's JSON output, e.g. ``schema("evaluate")``."""
    text = resources.files("fusionlab").joinpath("schemas", f"{name}.schema.json").read_text()
    out: dict[str, Any] = json.loads(text)
    return out
