"""Validate a published package folder on its own: files, schemas, parity, keys, provenance.

Works on any copy of the folder (it carries its source texts). One table at a time, in
publication order (sources, entities, then claims and evidence): each file's bytes are read
once and hashed on a worker thread while they are parsed; the CSV is parsed straight into the
declared types (the per-cell parser runs only to name the bad cells of a column that fails);
the declared checks of the Pandera schema run as vectorised expressions; one table comparison
proves CSV/Parquet parity (rows are located only when it fails); the table's own rules run;
then only the columns the cross-table rules need are kept. The source texts are read on a
thread of their own while the tables after `sources` are checked. Last, foreign keys, claims
and evidence, natural keys, provenance, sections and derived tables (`mabdata.rules`).
Every problem names the table (or file), the 1-based data row and the field.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from mabdata import rules, tabular
from mabdata import schemas as schema
from mabdata.errors import Problem

_TRUE_FALSE = {"true": True, "false": False}
_PANDAS_OF_ARROW = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}


# ---- files: read once, hashed beside the parsing ----------------------------------------------


def _digest(data: bytes) -> tuple[str, int]:
    return hashlib.sha256(data).hexdigest(), len(data)  # hashlib releases the GIL on large buffers


def _digests(datas: list[bytes]) -> list[tuple[str, int]]:
    return [_digest(d) for d in datas]


def _digest_file(path: Path) -> tuple[str, int]:
    with open(path, "rb") as fh:
        h = hashlib.file_digest(fh, "sha256")
    return h.hexdigest(), path.stat().st_size


class _Files:
    """Each file's bytes, read once; sha256 computed on a worker thread while the caller parses.

    Small files (the source texts) are hashed in one job: a job per file would cost more in
    thread hand-offs than the hashing."""

    def __init__(self, pkg: Path, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        self.digests: dict[Path, tuple[Future[Any], int | None]] = {}
        self.root = pkg.resolve()
        # Per folder (as named, relative): its resolved path, whether that is inside the
        # package, and the names of its symlinks; one scandir per folder instead of a stat
        # and a resolve per file (the source texts are thousands of files in one folder).
        self.dirs: dict[str, tuple[Path, bool, frozenset[str]]] = {}
        self.named: dict[str, Path | None] = {}  # every path is named twice (resources, sources rows)

    def inside(self, rel: Any) -> Path | None:
        """The file `rel` names inside the package, or None when it points elsewhere (as
        `(pkg / rel).resolve()`)."""
        if not isinstance(rel, str):
            return None
        if rel not in self.named:
            self.named[rel] = self._inside(rel)
        return self.named[rel]

    def _inside(self, rel: str) -> Path | None:
        if not rel or rel.startswith(("/", "\\")) or "\\" in rel:
            return None
        parts = rel.split("/")
        if any(p in ("", ".", "..") for p in parts):
            path = (self.root / rel).resolve()
            return path if path.is_relative_to(self.root) else None
        folder = "/".join(parts[:-1])
        if folder not in self.dirs:
            real = Path(os.path.realpath(self.root.joinpath(*parts[:-1])))
            try:
                with os.scandir(real) as entries:
                    links = frozenset(e.name for e in entries if e.is_symlink())
            except OSError:  # no such folder: its files are missing, which the caller reports
                links = frozenset()
            self.dirs[folder] = (real, real.is_relative_to(self.root), links)
        real, within, links = self.dirs[folder]
        if parts[-1] in links:
            path = (real / parts[-1]).resolve()
            return path if path.is_relative_to(self.root) else None
        return real / parts[-1] if within else None

    def read(self, path: Path) -> bytes:
        data = path.read_bytes()
        self.digests[path] = (self.pool.submit(_digest, data), None)
        return data

    def read_many(self, paths: list[Path]) -> list[bytes]:
        datas = [p.read_bytes() for p in paths]
        job = self.pool.submit(_digests, datas)
        for i, p in enumerate(paths):
            self.digests[p] = (job, i)
        return datas

    def digest(self, path: Path) -> tuple[str, int]:
        if path not in self.digests:  # a file no check parses (hashed streaming, not kept)
            self.digests[path] = (self.pool.submit(_digest_file, path), None)
        job, i = self.digests[path]
        return job.result() if i is None else job.result()[i]


def _check_files(desc: dict[str, Any], files: _Files, out: list[Problem]) -> None:
    resources: dict[str, dict[str, Any]] = {}
    for res in desc.get("resources", []):
        name = res.get("name")
        resources[name] = res
        path = files.inside(res.get("path"))
        if path is None:
            out.append(
                Problem(
                    "path", f"resource path {res.get('path')!r} is not inside the package", file="datapackage.json", table=name
                )
            )
            continue
        if not path.is_file():
            out.append(Problem("missing-file", f"resource file {res['path']} is missing", file=res["path"], table=name))
            continue
        hexdigest, size = files.digest(path)
        digest = f"sha256:{hexdigest}"
        if res.get("hash") != digest:
            out.append(
                Problem(
                    "hash",
                    f"hash in datapackage.json is {res.get('hash')} but the file's is {digest}",
                    file=res["path"],
                    table=name,
                )
            )
        if res.get("bytes") != size:
            out.append(
                Problem(
                    "bytes",
                    f"bytes in datapackage.json is {res.get('bytes')} but the file has {size}",
                    file=res["path"],
                    table=name,
                )
            )
    for name in schema.table_names():
        for rname, fmt in ((name, "csv"), (f"{name}_parquet", "parquet")):
            if rname not in resources:
                out.append(
                    Problem(
                        "resource", f"datapackage.json lists no {fmt} resource {rname!r}", file="datapackage.json", table=name
                    )
                )
            elif fmt == "csv":
                if resources[rname].get("schema") != schema.frictionless_schema(name):
                    out.append(
                        Problem(
                            "descriptor",
                            "the table schema in datapackage.json differs from mabdata's schema",
                            file="datapackage.json",
                            table=rname,
                        )
                    )


# ---- CSV: encoding, header, typed body -------------------------------------------------------


def _utf8_error(data: bytes) -> UnicodeDecodeError | None:
    if data.isascii():
        return None
    try:  # Arrow validates UTF-8 without building a Python str of the whole file
        pa.Array.from_buffers(pa.binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int32)), pa.py_buffer(data)]).cast(
            pa.string()
        )
        return None
    except pa.ArrowInvalid:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc
        return None


def _csv_table(data: bytes, name: str, out: list[Problem]) -> pa.Table | None:
    """The CSV's rows in their declared types, or None (with the problems) when it cannot be read."""
    rel = f"data/{name}.csv"
    if data.startswith(b"\xef\xbb\xbf"):
        out.append(Problem("encoding", "CSV starts with a byte-order mark (BOM)", file=rel, table=name, row=0))
        return None
    if b"\r" in data and b"\r\n" in data:
        out.append(
            Problem(
                "encoding",
                "CSV has CRLF line endings (expected LF)",
                file=rel,
                table=name,
                row=data[: data.index(b"\r\n")].count(b"\n"),
            )
        )
        return None
    bad = _utf8_error(data)
    if bad is not None:
        out.append(
            Problem("encoding", f"CSV is not UTF-8 ({bad.reason})", file=rel, table=name, row=data[: bad.start].count(b"\n"))
        )
        return None
    end = data.find(b"\n")
    first = next(csv.reader(io.StringIO(data[: end + 1 if end >= 0 else None].decode("utf-8"), newline="")), None)
    if first is None:
        out.append(Problem("header", "CSV is empty (no header)", file=rel, table=name))
        return None
    expected = schema.field_names(name)
    if first != expected:
        missing = [c for c in expected if c not in first]
        extra = [c for c in first if c not in expected]
        detail = "; ".join(
            filter(
                None,
                [
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(extra)}" if extra else "",
                    "columns out of order" if not missing and not extra else "",
                ],
            )
        )
        out.append(
            Problem(
                "header",
                f"header differs from the schema ({detail})",
                file=rel,
                table=name,
                field=(missing or extra or [None])[0],
            )
        )
        return None
    fast = _fast_body(data, name, out)
    if fast is not None:
        return fast
    raw = _parse_body(data, expected)
    if isinstance(raw, list):  # rows with the wrong number of cells
        for i, n in raw:
            out.append(Problem("row-length", f"row has {n} cells, expected {len(expected)}", file=rel, table=name, row=i))
        return None
    return _typed(raw, name, out, rel)


# Read as text by the fast reader and typed cell for cell as the per-cell parser does: Arrow's
# CSV reader trims " 1" and "2024-01-05 " where the declared types do not (an integer column
# with a trimmed cell falls back to the per-cell parser, which rejects "0x10"), and the cast of
# a text column costs little beside the parse.
_TYPED_AS_TEXT = ("integer", "date")


def _fast_body(data: bytes, name: str, out: list[Problem]) -> pa.Table | None:
    """The body parsed straight into the declared types, or None when the per-cell parser must decide.

    Arrow's reader agrees with the declared types except where it is laxer: non-finite numbers
    ("nan", "inf") go to the per-cell parser, integers and dates are typed from their text
    (see _TYPED_AS_TEXT). Booleans are exactly true/false, so "True" and "TRUE" fail here; a
    quoted "" and an empty cell are both empty."""
    try:
        table = tabular.read_csv_typed(data, name, as_text=_TYPED_AS_TEXT)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    for f in schema.fields(name):
        col = table.column(f["name"])
        if f["type"] == "number" and col.null_count < len(col) and not pc.all(pc.is_finite(col)).as_py():
            return None
    for f in schema.fields(name):
        if f["type"] in _TYPED_AS_TEXT:
            text = pc.fill_null(table.column(f["name"]), "")
            typed = _typed_column(text, f["type"], name, f["name"], out)
            table = table.set_column(table.schema.get_field_index(f["name"]), f["name"], typed)
    return table


def _parse_body(data: bytes, expected: list[str]) -> pa.Table | list[tuple[int, int]]:
    """All cells as Arrow strings ("" for empty); on a malformed file, the (row, cell count) of
    each bad row found by the csv module instead."""
    try:
        return tabular.read_csv_text(data, expected)
    except pa.ArrowInvalid:
        records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
        bad = [(i, len(r)) for i, r in enumerate(records, start=1) if len(r) != len(expected)]
        if bad:
            return bad
        return pa.table({c: pa.array([r[i] for r in records], pa.string()) for i, c in enumerate(expected)})


_ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64()}


def _typed(raw: pa.Table, name: str, out: list[Problem], rel: str) -> pa.Table:
    """Strings -> declared types (vocabulary columns stay strings); unparsable cells reported."""
    arrays = [_typed_column(raw.column(f["name"]), f["type"], name, f["name"], out) for f in schema.fields(name)]
    return pa.table(
        arrays, schema=pa.schema([pa.field(c, a.type) for c, a in zip(schema.field_names(name), arrays, strict=True)])
    )


def _typed_column(arr: pa.ChunkedArray, kind: str, name: str, col: str, out: list[Problem]) -> pa.ChunkedArray:
    """One column of text in its declared type: Arrow's cast in one pass when every cell parses,
    else each cell parsed on its own to name the offending rows."""
    nulled = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    if kind == "string":
        return nulled
    fast = _fast_cast(nulled, kind)
    if fast is not None:
        return fast
    s = pd.Series(arr.to_pylist(), dtype=object)
    present = s != ""
    if kind in ("integer", "number"):
        num = pd.to_numeric(s.where(present, None), errors="coerce")
        bad = present & num.isna()
        if kind == "integer":
            bad |= present & num.notna() & (num % 1 != 0)
            typed = num.where(~bad).astype("Float64").astype("Int64")
        else:
            typed = num.where(~bad).astype("Float64")
    elif kind == "boolean":
        typed = s.map(_TRUE_FALSE).astype("boolean")
        bad = present & typed.isna()
    else:  # date
        parsed = pd.to_datetime(s.where(present, None), format="%Y-%m-%d", errors="coerce")
        bad = present & parsed.isna()
        typed = parsed.dt.date.astype(schema.pandas_dtypes(name)[col])
    for i in bad[bad].index:
        out.append(
            Problem("type", f"{s[i]!r} is not a valid {kind}", file=f"data/{name}.csv", table=name, row=int(i) + 1, field=col)
        )
    declared = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}[kind]
    return pa.chunked_array([pa.array(typed, type=declared, from_pandas=True)])


def _fast_cast(nulled: pa.ChunkedArray, kind: str) -> pa.ChunkedArray | None:
    """The column in its Arrow type, or None when some cell does not parse (or is NaN/inf)."""
    try:
        if kind in _ARROW_TYPES:
            typed = pc.cast(nulled, _ARROW_TYPES[kind])
            if kind == "number" and pc.any(pc.invert(pc.is_finite(typed))).as_py():
                return None
            return typed
        if kind == "boolean":
            if pc.all(pc.is_in(pc.drop_null(nulled), pa.array(["true", "false"]))).as_py() not in (True, None):
                return None
            return pc.equal(nulled, "true")
        return pc.cast(pc.strptime(nulled, format="%Y-%m-%d", unit="s"), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _to_pandas(table: pa.Table, name: str) -> pd.DataFrame:
    """A typed table as pandas: strings as Arrow-backed strings, nullable numbers and booleans."""
    cols = {}
    for f in schema.fields(name):
        arr = table.column(f["name"])
        if f["type"] == "string":
            cols[f["name"]] = pd.Series(pd.arrays.ArrowStringArray(arr.cast(pa.large_string()).cast(pa.string())), name=f["name"])
        else:
            s = arr.to_pandas(types_mapper=_PANDAS_OF_ARROW.get, date_as_object=True)
            cols[f["name"]] = s.astype(schema.pandas_dtypes(name)[f["name"]]) if f["type"] == "date" else s
    return pd.DataFrame(cols)


def _read_csv(pkg: Path, name: str, out: list[Problem]) -> pd.DataFrame | None:
    """One published CSV in its declared dtypes (vocabulary columns as strings), or None."""
    path = pkg / f"data/{name}.csv"
    if not path.is_file():
        return None
    table = _csv_table(path.read_bytes(), name, out)
    return None if table is None else _to_pandas(table, name)


# ---- the declared checks of the Pandera schema, vectorised --------------------------------------


def _describe(name: str, column: str | None, check: str, value: Any) -> tuple[str, str]:
    """(check, message) for a failed declared check, phrased as what is wrong and what was expected."""
    f = {x["name"]: x for x in schema.fields(name)}.get(column or "", {})
    c = f.get("constraints") or {}
    if check.startswith(("field_uniqueness", "multiple_fields_uniqueness")):
        return "unique", f"duplicate value {value!r} (expected each value once)"
    if check == "not_nullable":
        return "required", "required value is empty"
    if check.startswith("isin") and schema.vocab_of(f):
        vocab = schema.vocabulary(schema.vocab_of(f))
        near = vocab.closest(str(value))
        return "vocabulary", (
            f"{value!r} is not a term of {vocab.name} (expected one of schema/vocabularies/{vocab.name}.csv"
            + (f"; closest: {', '.join(near)})" if near else ")")
        )
    if check.startswith("str_matches"):
        return "pattern", f"{value!r} does not match {c.get('pattern')}"
    if check.startswith("greater_than_or_equal_to"):
        return "minimum", f"{value!r} is below the minimum {c.get('minimum')}"
    if check.startswith("less_than_or_equal_to"):
        return "maximum", f"{value!r} is above the maximum {c.get('maximum')}"
    if check.startswith("str_length"):
        return "length", f"{value!r} is too short"
    return check, f"{value!r} fails {check}"


class _Missing:
    """An empty cell in a message, spelled as pandas spells it."""

    def __repr__(self) -> str:
        return "<NA>"


def _values(s: pl.Series, mask: np.ndarray) -> list[tuple[int, Any]]:
    idx = np.flatnonzero(mask)
    return [(int(i), _Missing() if v is None else v) for i, v in zip(idx, s.gather(idx).to_list(), strict=True)]


def _duplicated(df: pl.DataFrame, cols: list[str]) -> np.ndarray:
    """Rows whose value (or values) of `cols` occur more than once (empty cells are equal).

    A published table is sorted by its primary key, so strictly increasing keys prove
    uniqueness in one pass; only an unsorted (or empty-celled) key needs hashing."""
    n = df.height
    if n < 2:
        return np.zeros(n, dtype=bool)
    increasing, tie = pl.lit(False), pl.lit(True)
    for c in cols:  # row i + 1 > row i, column by column (lexicographic), as one expression
        a, b = pl.col(c).slice(1), pl.col(c).slice(0, n - 1)
        increasing = increasing | (tie & (a > b))
        tie = tie & (a == b)
    nulls, ordered = df.select(pl.sum_horizontal([pl.col(c).null_count() for c in cols]), increasing.all()).row(0)
    if nulls == 0 and ordered:
        return np.zeros(n, dtype=bool)
    return df.select(cols).is_duplicated().to_numpy()


def _pattern_failures(uniques: pl.Series, pattern: str) -> list[Any]:
    """The distinct values failing Python's re.match(pattern), as Pandera checks them: Python's
    re on a few values, Rust's regex on many where the two agree (printable ASCII)."""
    regex = re.compile(pattern)
    if len(uniques) <= 1_000:
        return [v for v in uniques.to_list() if regex.match(v) is None]
    printable = uniques.str.contains(r"^[\x20-\x7e]*$")
    bad = uniques.filter(printable & ~uniques.str.contains(pattern)).to_list()
    return bad + [v for v in uniques.filter(~printable).to_list() if regex.match(v) is None]


def _declared_checks(name: str, df: pl.DataFrame, out: list[Problem]) -> None:
    """The Pandera schema's checks, in Pandera's order: the composite key, then per column
    required, unique, vocabulary, pattern, minLength, minimum, maximum.

    One pass over the table finds the distinct values of the vocabulary and pattern columns and
    whether any bound is crossed; rows are located only for a check that fails."""
    found: list[tuple[str | None, str, int, Any]] = []
    pk = schema.primary_key(name)
    if len(pk) > 1:
        dup = _duplicated(df, pk)
        if dup.any():
            for col in pk:
                found += [(col, "multiple_fields_uniqueness", i, v) for i, v in _values(df[col], dup)]
    checks = schema.column_checks(name)
    summary = (
        df.select(
            [
                pl.col(col).drop_nulls().unique().implode().alias(f"{k}")
                if check in ("vocabulary", "pattern")
                else (
                    pl.col(col).str.len_chars() < arg
                    if check == "minLength"
                    else pl.col(col) < arg
                    if check == "minimum"
                    else pl.col(col) > arg
                )
                .any()
                .alias(f"{k}")
                for k, (col, check, arg) in enumerate(checks)
            ]
        ).row(0)
        if checks
        else ()
    )
    by_column: dict[str, list[tuple[str, Any, Any]]] = {}
    for (col, check, arg), result in zip(checks, summary, strict=True):
        by_column.setdefault(col, []).append((check, arg, result))
    for f in schema.fields(name):
        col, s = f["name"], df[f["name"]]
        c = f.get("constraints") or {}
        if schema.required(f) and s.null_count():
            found += [(col, "not_nullable", i, None) for i in np.flatnonzero(s.is_null().to_numpy()).tolist()]
        if c.get("unique"):
            dup = _duplicated(df, [col])
            if dup.any():
                found += [(col, "field_uniqueness", i, v) for i, v in _values(s, dup)]
        for check, arg, result in by_column.get(col, []):
            if check == "vocabulary":  # checked on the distinct values
                terms = set(arg)
                bad, label = [v for v in result if v not in terms], "isin"
            elif check == "pattern":
                bad, label = _pattern_failures(pl.Series(result, dtype=pl.String), arg), "str_matches"
            elif not result:  # no value crosses the bound
                continue
            else:
                label = {"minLength": "str_length", "minimum": "greater_than_or_equal_to", "maximum": "less_than_or_equal_to"}[
                    check
                ]
                crossed = s.str.len_chars() < arg if check == "minLength" else s < arg if check == "minimum" else s > arg
                found += [(col, label, i, v) for i, v in _values(s, crossed.fill_null(False).to_numpy())]
                continue
            if bad:  # rows located only now
                mask = s.is_in(pl.Series(bad, dtype=s.dtype).implode()).fill_null(False).to_numpy()
                found += [(col, label, i, v) for i, v in _values(s, mask)]
    for col, check, i, value in found:
        kind, msg = _describe(name, col, check, value)
        out.append(Problem(kind, msg, file=f"data/{name}.csv", table=name, row=i + 1, field=col))


# ---- text cells: spreadsheet formulas ------------------------------------------------------------

_FORMULA_BYTES = np.zeros(256, dtype=bool)
_FORMULA_BYTES[np.frombuffer("".join(rules.FORMULA_START).encode("ascii"), dtype=np.uint8)] = True


def _formula_free(table: pa.Table, name: str) -> set[str]:
    """The text columns no cell of which starts with a spreadsheet formula character, read off
    the first byte of each value in the Arrow buffers (a formula character is one ASCII byte;
    a multi-byte character never starts with one) instead of a regex pass per column. Columns
    left out are checked (and their rows located) by `rules.row_rules`."""
    free = set()
    for f in schema.fields(name):
        col = table.column(f["name"])
        if f["type"] != "string" or not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        offset_type = np.int32 if pa.types.is_string(col.type) else np.int64
        clean = True
        for chunk in col.chunks:
            _, offsets, data = chunk.buffers()
            if not len(chunk) or data is None:
                continue
            ends = np.frombuffer(offsets, dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]
            starts = ends[:-1][ends[1:] > ends[:-1]]  # non-empty values (an empty or null one starts nothing)
            if _FORMULA_BYTES[np.frombuffer(data, dtype=np.uint8)[starts]].any():
                clean = False
                break
        if clean:
            free.add(f["name"])
    return free


# ---- Parquet: one comparison ------------------------------------------------------------------


def _row_hashes(df: pd.DataFrame, name: str) -> np.ndarray:
    """A 64-bit hash of each row's published text, to locate the rows of a failed comparison."""
    return pd.util.hash_pandas_object(tabular.canonical_strings(df, name), index=False).to_numpy()


def _unreadable(path: Path, rel: str, name: str) -> Problem | None:
    """The problem of a Parquet file that cannot be read (read again from its path, so that
    the error names the file), or None when it can."""
    import pyarrow.parquet as pq

    try:
        pq.read_table(path)
        return None
    except Exception as exc:  # pyarrow raises several types for corrupt files
        return Problem("parquet", f"unreadable Parquet file ({type(exc).__name__}: {exc})", file=rel, table=name)


_COLUMNWISE_ROWS = 200_000


def _parquet_parity(pkg: Path, name: str, csv_table: pa.Table, files: _Files, out: list[Problem]) -> None:
    """The Parquet file holds the CSV's rows: its schema from the footer, then one column at a
    time compared with the CSV's (so only one column is decoded at once); rows are located
    only when some column differs."""
    import pyarrow.parquet as pq

    rel = f"data/{name}.parquet"
    path = files.inside(rel) or pkg / rel
    if not path.is_file():
        return
    try:
        parquet = pq.ParquetFile(pa.BufferReader(files.read(path)))
        got = parquet.schema_arrow
    except Exception:  # pyarrow raises several types for corrupt files
        problem = _unreadable(path, rel, name)
        if problem is not None:
            out.append(problem)
            return
        parquet = pq.ParquetFile(path)
        got = parquet.schema_arrow
    expected = schema.arrow_schema(name)
    if got.names != expected.names:
        out.append(Problem("parquet", f"Parquet columns {got.names} differ from the schema", file=rel, table=name))
        return
    for fld in expected:
        if got.field(fld.name).type != fld.type:
            out.append(
                Problem(
                    "parquet",
                    f"Parquet type {got.field(fld.name).type} differs from the declared {fld.type}",
                    file=rel,
                    table=name,
                    field=fld.name,
                )
            )
    same = True
    try:
        # A large file one column at a time (memory), a small one at once (a read has a cost of its own).
        whole = parquet.read() if parquet.metadata.num_rows < _COLUMNWISE_ROWS else None
        for f in expected:
            column = whole.column(f.name) if whole is not None else parquet.read(columns=[f.name]).column(0)
            if not csv_table.column(f.name).cast(f.type).equals(column.cast(f.type)):
                same = False
                break
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        same = False
    except Exception:  # a column that cannot be decoded: the file is unreadable
        problem = _unreadable(path, rel, name)
        if problem is not None:
            out.append(problem)
            return
        same = False
    if same:
        return
    table = parquet.read()
    pq_hash, csv_hash = _row_hashes(table.to_pandas(), name), _row_hashes(_to_pandas(csv_table, name), name)
    if len(pq_hash) == len(csv_hash) and (pq_hash == csv_hash).all():
        return
    for label, mine, other, where in (("CSV", csv_hash, pq_hash, f"data/{name}.csv"), ("Parquet", pq_hash, csv_hash, rel)):
        for i in np.flatnonzero(~np.isin(mine, other)):
            out.append(
                Problem("parity", f"{label} row has no identical row in the other file", file=where, table=name, row=int(i) + 1)
            )
    if not any(p.check == "parity" and p.table == name for p in out):
        out.append(Problem("parity", "CSV and Parquet rows differ in order or multiplicity", file=rel, table=name))


# ---- source texts -----------------------------------------------------------------------------


def _source_texts(
    sources: pl.DataFrame, files: _Files, out: list[Problem], hashed: list[tuple[int, int, str, Path, str]]
) -> rules.SourceTexts:
    """Each source text's bytes (read and hashed once), checked against its sources row; the
    sha256 comparisons are left in `hashed` (see `_source_hashes`), so that no table waits for
    the hashing of the texts."""
    rows = list(sources.select("source_id", "path", "sha256", "bytes", "characters").iter_rows())
    paths = [files.inside(rel) if isinstance(rel, str) else None for _, rel, *_ in rows]
    found = [p is not None and p.is_file() for p in paths]
    datas = files.read_many([p for p, ok in zip(paths, found, strict=True) if ok and p is not None])
    valid, lengths = _utf8_lengths(datas)
    texts: dict[str, bytes] = {}
    where = {"file": "data/sources.csv", "table": "sources"}
    k = 0
    for i, ((source_id, rel, sha256, size, characters), path, ok) in enumerate(zip(rows, paths, found, strict=True), start=1):
        if not ok or path is None:
            out.append(Problem("source", f"source text {rel!r} is missing", **where, row=i, field="path"))
            continue
        data, good, length = datas[k], valid[k], lengths[k]
        k += 1
        hashed.append((len(out), i, rel, path, sha256))
        if len(data) != size:
            out.append(Problem("source", f"{rel} has {len(data)} bytes, the table says {size}", **where, row=i, field="bytes"))
        if not good:
            out.append(Problem("source", f"{rel} is not UTF-8", **where, row=i, field="path"))
            continue
        if length != characters:
            msg = f"{rel} has {length} characters, the table says {characters}"
            out.append(Problem("source", msg, **where, row=i, field="characters"))
        texts[source_id] = data
    return rules.SourceTexts(texts)


def _source_hashes(hashed: list[tuple[int, int, str, Path, str]], files: _Files, out: list[Problem]) -> None:
    """The sha256 problems of the source texts, each in its place among the others of `_source_texts`."""
    for at, i, rel, path, sha256 in reversed(hashed):  # from the end, so that earlier places stay put
        if files.digest(path)[0] != sha256:
            msg = f"sha256 of {rel} does not match (the source text was changed)"
            out.insert(at, Problem("source", msg, file="data/sources.csv", table="sources", row=i, field="sha256"))


def _utf8_lengths(datas: list[bytes]) -> tuple[list[bool], list[int]]:
    """Whether each text is UTF-8, and its length in code points (every byte that does not
    continue a UTF-8 sequence starts one), for all texts in one pass."""
    if not datas:
        return [], []
    joined = b"".join(datas)
    sizes = np.array([len(d) for d in datas], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])[:-1]
    data = np.frombuffer(joined, dtype=np.uint8)
    nonempty = np.flatnonzero(sizes > 0)
    # The whole is UTF-8 and no text starts inside a character: then each text is UTF-8 on its own.
    whole = _utf8_error(joined) is None and bool(((data[offsets[nonempty]] & 0xC0) != 0x80).all())
    valid = [True] * len(datas) if whole else [_utf8_error(d) is None for d in datas]
    # Continuation bytes are few (only multi-byte characters have them): count them per text.
    continuation = np.flatnonzero((data & 0xC0) == 0x80)
    counts = sizes - np.bincount(np.searchsorted(offsets, continuation, side="right") - 1, minlength=len(datas))
    return valid, [int(c) for c in counts]


# ---- the pipeline -----------------------------------------------------------------------------


def package_dir(path: Path | str) -> Path:
    path = Path(path)
    return path.parent if path.name == "datapackage.json" or path.is_file() else path


def validate_package(path: Path | str) -> list[Problem]:
    """Every problem found in the package at `path` (folder or its datapackage.json)."""
    pkg = package_dir(path)
    try:
        desc = json.loads((pkg / "datapackage.json").read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return [Problem("descriptor", f"no datapackage.json in {pkg}", file="datapackage.json")]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Problem("descriptor", f"datapackage.json is not valid JSON ({exc})", file="datapackage.json")]
    if not isinstance(desc, dict):
        return [Problem("descriptor", "datapackage.json is not a JSON object", file="datapackage.json")]
    # Arrow's default allocator (mimalloc) keeps the pages of the freed CSV tables mapped, even
    # after release_unused, and the evidence rules then run on top of them (at 10^6 evidence
    # rows the peak was ~220 MB higher than with the system allocator, at no gain in time).
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="texts") as reader,
        ):
            return _validate(pkg, desc, _Files(pkg, pool), reader)
    finally:
        pa.set_memory_pool(previous)


def _validate(pkg: Path, desc: dict[str, Any], files: _Files, reader: ThreadPoolExecutor) -> list[Problem]:
    # Problems are reported by stage, as a reader expects them: files, tables, source texts, rules.
    table_problems: list[Problem] = []
    text_problems: list[Problem] = []
    hashed: list[tuple[int, int, str, Path, str]] = []
    row_problems: list[Problem] = []
    cross = rules.CrossChecks({})
    texts: Future[rules.SourceTexts] | None = None
    for name in schema.table_names():
        if name == "evidence" and texts is not None:  # the texts are read beside the tables before evidence
            cross.texts, texts = texts.result(), None
        rel = f"data/{name}.csv"
        path = files.inside(rel) or pkg / rel
        table = _csv_table(files.read(path), name, table_problems) if path.is_file() else None
        if table is None:
            cross.add(name, None)
            continue
        parity: list[Problem] = []  # compared while the CSV is still Arrow, reported after the schema checks
        _parquet_parity(pkg, name, table, files, parity)
        formula_free = _formula_free(table, name)
        df = tabular.to_polars(table)
        del table
        # Arrow's allocator keeps freed pages for reuse; polars holds the table now, and the
        # cross-table rules run at the largest table's high-water mark, so give them back.
        pa.default_memory_pool().release_unused()
        _declared_checks(name, df, table_problems)
        table_problems += parity
        row_problems += rules.row_rules(name, df, formula_free)
        if name == "sources":
            texts = reader.submit(_source_texts, df, files, text_problems, hashed)
        kept = df.select(rules.cross_columns(name))  # only what the cross-table rules read
        del df
        cross.add(name, kept)  # runs the cross-table rules whose tables are all in; keeps what later ones read
        del kept
    if texts is not None:
        cross.texts = texts.result()
    crossed = cross.problems()
    _source_hashes(hashed, files, text_problems)
    file_problems: list[Problem] = []
    _check_files(desc, files, file_problems)
    found = file_problems + table_problems + text_problems + row_problems + crossed
    # A rule locates a row of a table; the row is a line of that table's CSV (line = row + 1).
    return [
        dataclasses.replace(p, file=f"data/{p.table}.csv") if p.file is None and p.table and p.row is not None else p
        for p in found
    ]
