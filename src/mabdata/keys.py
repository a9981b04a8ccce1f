"""Natural keys and the identifiers derived from them, shared by the build and by validation.

A claim's identifier is a short hash of its table and normalized natural key (schema
`mabdata:naturalKey`), so the same claim gets the same id whatever file or order states it,
restating it adds evidence instead of rows, and `mabdata validate` can recompute every id
from the published columns: editing a key column without its id is caught.

The hash: the first 10 hex digits of XXH3-64 (seed 0) of the UTF-8 JSON of [table, key]
(compact separators, non-ASCII as is). XXH3's output is fixed by its specification, whatever
the platform or library; the build hashes one claim at a time with `xxhash`, validation a whole
table at once with `polars_hash`, and tests/test_validate.py checks that the two agree. (Up to
0.2.0 the hash was SHA-256, which validation could only compute row by row in Python.)
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xxhash

from mabdata import schemas as schema

if TYPE_CHECKING:
    import polars as pl

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
    return f"{xxhash.xxh3_64_intdigest(data.encode('utf-8')):016x}"[:_HASH_CHARS]


def claim_id(table: str, key: list[Any]) -> str:
    return f"{schema.id_prefix(table)}-{_digest(table, key)}"


def evidence_id(claim_table: str, claim_id_: str, source_id: str, start: int, end: int) -> str:
    return f"ev-{_digest(claim_table, claim_id_, source_id, int(start), int(end))}"


# ---- vectorised: every id of a table at once (what `mabdata validate` recomputes) ------------
#
# The same JSON text as `claim_id(table, natural_key(...))` is assembled with polars string
# expressions and hashed with the same XXH3, so the build and validation derive each id
# identically. A row whose text is not plain (Unicode, doubled or outer spaces, control
# characters, quotes or backslashes; rare) goes through the per-row functions above instead of
# re-implementing `str.casefold`, `str.split` and JSON escapes here.

# Printable ASCII words separated by single spaces, without `"` or `\`: already folded but for
# case, so its normal form is its lower case and its JSON is that in quotes.
_PLAIN_WORDS = r"^[!#-\[\]-~]+( [!#-\[\]-~]+)*$"
# The JSON of an evidence id whose three strings are printable ASCII without `"` or `\` (JSON
# writes them as they are, in quotes) and whose offsets are integers.
_PLAIN_EVIDENCE = r'^\["[ !#-\[\]-~]*","[ !#-\[\]-~]*","[ !#-\[\]-~]*",-?[0-9]+,-?[0-9]+\]$'


def _number_texts(df: pl.DataFrame, columns: list[str]) -> dict[str, tuple[pl.Series, pl.Series]]:
    """JSON of float(value) for each distinct value of each number column (json.dumps: the
    shortest round-trip form, "Infinity" for inf), computed once per distinct value."""
    import polars as pl

    if not columns:
        return {}
    out = {}
    # The distinct values of every column in one polars call.
    distinct = df.select([pl.col(c).cast(pl.Float64).drop_nulls().unique().implode() for c in columns]).row(0)
    for col, values in zip(columns, distinct, strict=True):
        texts = [None if math.isnan(v) else json.dumps(v) for v in values]
        out[col] = (pl.Series(values, dtype=pl.Float64), pl.Series(texts, dtype=pl.String))
    return out


# An empty text cell in the assembled JSON, in quotes: `"` + two NUL bytes + `"`, as long as
# `null`, which `_finish_json` writes in its place (a plain row holds no NUL of its own).
_EMPTY_TEXT = "\x00\x00"
Piece = Any  # a literal text (str) or a polars expression of one


def _key_exprs(df: pl.DataFrame, columns: list[str]) -> tuple[list[list[Piece]], pl.Expr]:
    """For each column the pieces of the JSON of normal(value), and whether the row is plain.

    The pieces are concatenated once for the whole key (`_concat`), not per column (polars
    pays per piece and row); text is neither case-folded nor its empty cells spelled `null`
    here: `_finish_json` does both on the bytes of the whole JSON, which is plain ASCII in a
    plain row. A number written as `Infinity` would not survive the case-folding, so a row
    with an infinite number is not plain (it takes the per-row path)."""
    import polars as pl

    numbers = _number_texts(df, [c for c in columns if df.schema[c].is_numeric()])
    parts: list[list[Piece]] = []
    plain = []
    for col in columns:
        c, dtype = pl.col(col), df.schema[col]
        if dtype == pl.String:
            plain.append(c.is_null() | c.str.contains(_PLAIN_WORDS))
            parts.append(['"', c.fill_null(_EMPTY_TEXT), '"'])
        elif dtype == pl.Boolean:
            parts.append(
                [pl.when(c.is_null()).then(None).when(c).then(pl.lit("true")).otherwise(pl.lit("false")).fill_null("null")]
            )
        elif dtype.is_numeric():
            old, new = numbers[col]
            plain.append(~c.cast(pl.Float64).is_infinite().fill_null(False))
            parts.append([c.cast(pl.Float64).replace_strict(old, new, default=None, return_dtype=pl.String).fill_null("null")])
        elif dtype == pl.Null:
            parts.append(["null"])
        else:
            raise TypeError(f"no natural-key form for column {col} of type {dtype}")
    return parts, pl.all_horizontal(plain) if plain else pl.lit(True)


def _concat(pieces: list[Piece]) -> pl.Expr:
    """One concatenation of literal texts and expressions, adjacent literals merged."""
    import polars as pl

    merged: list[Piece] = []
    for p in pieces:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif not (isinstance(p, str) and not p):
            merged.append(p)
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in merged])


def _joined(items: list[list[Piece]], separator: str = ",") -> list[Piece]:
    out: list[Piece] = []
    for i, item in enumerate(items):
        out += [separator, *item] if i else item
    return out


def _finish_json(texts: pl.Series) -> pl.Series:
    """The assembled JSON texts as `_digest` writes them, for plain rows: ASCII letters in
    lower case and each empty text cell (`"` NUL NUL `"`) as `null`, in place on the bytes
    (both keep every length, so the offsets stay). Other rows are garbled, and recomputed."""
    import polars as pl
    import pyarrow as pa

    arr = texts.to_arrow()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    validity, offsets, data = arr.buffers()
    if data is None:
        return texts
    buf = np.frombuffer(data, dtype=np.uint8).copy()
    np.add(buf, 32, out=buf, where=(buf >= ord("A")) & (buf <= ord("Z")))
    nul = np.flatnonzero(buf == 0)
    nul = nul[(nul >= 1) & (nul + 2 < len(buf))]
    at = nul[(buf[nul + 1] == 0) & (buf[nul - 1] == ord('"')) & (buf[nul + 2] == ord('"'))]
    for k, byte in enumerate(b"null"):
        buf[at - 1 + k] = byte
    out = pa.Array.from_buffers(arr.type, len(arr), [validity, offsets, pa.py_buffer(buf)], arr.null_count, arr.offset)
    return pl.Series(texts.name, out, dtype=pl.String)


def _hashes(prefix: str, texts: pl.Series) -> pl.Series:
    """prefix + the first 10 hex digits of XXH3-64 of each text's UTF-8 bytes (as `_digest`),
    hashed and formatted without a Python object per row."""
    import polars as pl
    import polars_hash  # noqa: F401  (registers the .nchash namespace)
    import pyarrow as pa

    hashes = texts.to_frame("t").select(pl.col("t").nchash.xxh3_64()).to_series().to_numpy().astype(">u8")
    n, width = len(hashes), len(prefix) + _HASH_CHARS
    # The first 5 bytes (10 hex digits) of each big-endian hash, two digits per byte from a table.
    pairs = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)
    digits = pairs[hashes.view(np.uint8).reshape(n, 8)[:, : _HASH_CHARS // 2]].view(np.uint8).reshape(n, _HASH_CHARS)
    chars = np.empty((n, width), dtype=np.uint8)
    chars[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars[:, len(prefix) :] = digits
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    arr = pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])
    return pl.Series(texts.name, arr, dtype=pl.String)


def _steps_json(steps: pl.DataFrame) -> pl.DataFrame:
    """regimen_id -> JSON of steps_key(its steps in step order), and whether all its steps are
    plain (the JSON as `_key_exprs` leaves it, finished with the claim's)."""
    import polars as pl

    cols = [f["name"] for f in schema.curated_fields("dosing_steps") if f["name"] != "step"]
    parts, plain = _key_exprs(steps, cols)
    one = steps.select("regimen_id", "step", _json=_concat(["[", *_joined(parts), "]"]), _plain=plain)
    return (
        one.sort(["regimen_id", "step"], nulls_last=True, maintain_order=True)
        .group_by("regimen_id", maintain_order=True)
        .agg(pl.col("_json").str.join(","), pl.col("_plain").all())
        .select("regimen_id", pl.concat_str([pl.lit("["), pl.col("_json"), pl.lit("]")]).alias("_steps"), "_plain")
    )


def expected_claim_ids(table: str, df: pl.DataFrame, steps: pl.DataFrame | None = None) -> pl.Series:
    """claim_id(table, natural_key(table, row, its steps)) of every row (regimens: steps from `steps`)."""
    import polars as pl

    pk = schema.primary_key(table)[0]
    natural = schema.natural_key(table)
    parts, plain = _key_exprs(df, [c for c in natural if c != "steps"])
    frame = df
    if "steps" in natural:
        steps_json = _steps_json(steps) if steps is not None and steps.height else None
        if steps_json is None:
            frame = df.with_columns(_steps=pl.lit("[]"), _steps_plain=pl.lit(True))
        else:
            frame = df.join(
                steps_json.rename({"_plain": "_steps_plain"}),
                left_on=pk,
                right_on="regimen_id",
                how="left",
                maintain_order="left",
            )
            frame = frame.with_columns(pl.col("_steps").fill_null("[]"), pl.col("_steps_plain").fill_null(True))
        by_name = dict(zip([c for c in natural if c != "steps"], parts, strict=True))
        items = [[pl.col("_steps")] if c == "steps" else by_name[c] for c in natural]
        plain = plain & pl.col("_steps_plain")
    else:
        items = parts
    text = _concat([f'["{table}",[', *_joined(items), "]]"])
    out = frame.select(_text=text, _plain=plain)
    ids = _hashes(f"{schema.id_prefix(table)}-", _finish_json(out["_text"])).alias(pk)
    slow = np.flatnonzero(~out["_plain"].to_numpy())  # not plain text: the per-row definition
    if not len(slow):
        return ids
    by_regimen: dict[Any, list[dict[str, Any]]] = {}
    if steps is not None and "steps" in natural:
        wanted = df[pk].gather(slow).drop_nulls()
        for s in (
            steps.filter(pl.col("regimen_id").is_in(wanted.implode())).sort(["regimen_id", "step"], nulls_last=True).to_dicts()
        ):
            by_regimen.setdefault(s["regimen_id"], []).append(s)
    values = []
    for i in slow.tolist():
        row = df.row(i, named=True)
        values.append(claim_id(table, natural_key(table, row, by_regimen.get(row[pk], []))))
    return ids.scatter(slow, pl.Series(values, dtype=pl.String))


def expected_evidence_ids(ev: pl.DataFrame) -> pl.Series:
    """evidence_id(...) of every evidence row; null where one of its parts is empty."""
    import polars as pl

    strings = ["claim_table", "claim_id", "source_id"]
    complete = pl.all_horizontal([pl.col(c).is_not_null() for c in [*strings, "quote_start", "quote_end"]])
    text = pl.concat_str(
        [
            pl.lit('["'),
            pl.col("claim_table"),
            pl.lit('","'),
            pl.col("claim_id"),
            pl.lit('","'),
            pl.col("source_id"),
            pl.lit('",'),
            pl.col("quote_start").cast(pl.String),
            pl.lit(","),
            pl.col("quote_end").cast(pl.String),
            pl.lit("]"),
        ]
    )
    frame = ev.select(_text=text, _complete=complete.fill_null(False))
    # Plain (each string printable ASCII without `"` or `\`) checked on the whole text in one
    # regex pass instead of one per column: no part can hold a `"`, so the text matches only
    # with exactly the template's six quotes, each string between its own pair.
    frame = frame.with_columns(_plain=pl.col("_text").str.contains(_PLAIN_EVIDENCE).fill_null(False))
    complete_np, plain_np = frame["_complete"].to_numpy(), frame["_plain"].to_numpy()
    ids = _hashes("ev-", frame["_text"].fill_null(""))
    ids = pl.select(pl.when(pl.Series(complete_np & plain_np)).then(pl.lit(ids))).to_series().alias("evidence_id")
    slow = np.flatnonzero(complete_np & ~plain_np)
    if not len(slow):
        return ids
    values = []
    for i in slow.tolist():
        r = ev.row(i, named=True)
        values.append(evidence_id(r["claim_table"], r["claim_id"], r["source_id"], r["quote_start"], r["quote_end"]))
    return ids.scatter(slow, pl.Series(values, dtype=pl.String))
