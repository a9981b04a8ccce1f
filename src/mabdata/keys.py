"""Natural keys and the identifiers derived from them, shared by the build and by validation.

A claim's identifier is a short hash of its table and normalized natural key (schema
`mabdata:naturalKey`), so the same claim gets the same id whatever file or order states it,
restating it adds evidence instead of rows, and `mabdata validate` can recompute every id
from the published columns: editing a key column without its id is caught.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mabdata import schemas as schema

_HASH_CHARS = 10


def normal(value: Any) -> Any:
    """The comparable form of one cell: text case- and space-folded, numbers as floats, empty as None."""
    if value is None:
        return None
    if isinstance(value, str):
        folded = " ".join(value.split()).casefold()
        return folded or None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return None if math.isnan(f) else f
    if pd.isna(value):
        return None
    raise TypeError(f"no natural-key form for {type(value).__name__} {value!r}")


def steps_key(steps: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """The dosing steps of a regimen as part of its natural key (every curated column, in order)."""
    cols = [f["name"] for f in schema.curated_fields("dosing_steps") if f["name"] != "step"]
    return [[normal(s.get(c)) for c in cols] for s in steps]


def natural_key(table: str, row: Mapping[str, Any], steps: Iterable[Mapping[str, Any]] = ()) -> list[Any]:
    return [steps_key(steps) if col == "steps" else normal(row.get(col)) for col in schema.natural_key(table)]


def _digest(*parts: Any) -> str:
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:_HASH_CHARS]


def claim_id(table: str, key: list[Any]) -> str:
    return f"{schema.id_prefix(table)}-{_digest(table, key)}"


def evidence_id(claim_table: str, claim_id_: str, source_id: str, start: int, end: int) -> str:
    return f"ev-{_digest(claim_table, claim_id_, source_id, int(start), int(end))}"
