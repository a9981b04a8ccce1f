"""Validate a published package folder on its own: files, schemas, parity, keys, provenance.

Works on any copy of the folder (it carries its source texts). Checks, in order: the
descriptor and every file's bytes and hash; each CSV's encoding, line endings and header;
cell types; the Pandera schema of each table (vocabularies, patterns, ranges, keys);
CSV/Parquet parity; source-text hashes; cross-field, foreign-key and provenance rules.
Every problem names the table (or file), the 1-based data row and the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mabdata import rules
from mabdata import schemas as schema
from mabdata.errors import Problem
from mabdata.publish import canonical_strings

_TRUE_FALSE = {"true": True, "false": False}


def _inside(base: Path, rel: str) -> Path | None:
    """The file `rel` names inside `base`, or None when it points elsewhere."""
    if not isinstance(rel, str) or not rel or rel.startswith(("/", "\\")) or "\\" in rel:
        return None
    path = (base / rel).resolve()
    return path if path.is_relative_to(base.resolve()) else None


def _check_files(pkg: Path, desc: dict[str, Any], out: list[Problem]) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = {}
    for res in desc.get("resources", []):
        name = res.get("name")
        resources[name] = res
        path = _inside(pkg, res.get("path"))
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
        data = path.read_bytes()
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if res.get("hash") != digest:
            out.append(
                Problem(
                    "hash",
                    f"hash in datapackage.json is {res.get('hash')} but the file's is {digest}",
                    file=res["path"],
                    table=name,
                )
            )
        if res.get("bytes") != len(data):
            out.append(
                Problem(
                    "bytes",
                    f"bytes in datapackage.json is {res.get('bytes')} but the file has {len(data)}",
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
    return resources


def _read_csv(pkg: Path, name: str, out: list[Problem]) -> pd.DataFrame | None:
    rel = f"data/{name}.csv"
    path = pkg / rel
    if not path.is_file():
        return None
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        out.append(Problem("encoding", "CSV starts with a byte-order mark (BOM)", file=rel, table=name, row=0))
        return None
    if b"\r\n" in data:
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
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.append(
            Problem("encoding", f"CSV is not UTF-8 ({exc.reason})", file=rel, table=name, row=data[: exc.start].count(b"\n"))
        )
        return None
    first = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or None], newline="")), None)
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
    raw = _parse_body(data, text, expected)
    if isinstance(raw, list):  # rows with the wrong number of cells
        for i, n in raw:
            out.append(Problem("row-length", f"row has {n} cells, expected {len(expected)}", file=rel, table=name, row=i))
        return None
    return _typed(raw, name, out, rel)


def _parse_body(data: bytes, text: str, expected: list[str]) -> pa.Table | list[tuple[int, int]]:
    """All cells as Arrow strings ("" for empty), parsed by pyarrow's multithreaded CSV reader; on a
    malformed file, the (row, cell count) of each bad row found by the csv module instead."""
    import pyarrow.csv as pacsv

    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(expected, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        records = list(csv.reader(io.StringIO(text, newline="")))[1:]
        bad = [(i, len(r)) for i, r in enumerate(records, start=1) if len(r) != len(expected)]
        if bad:
            return bad
        return pa.table({c: pa.array([r[i] for r in records], pa.string()) for i, c in enumerate(expected)})


_ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64()}
_PANDAS_OF_ARROW = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _typed(raw: pa.Table, name: str, out: list[Problem], rel: str) -> pd.DataFrame:
    """Strings -> declared dtypes (vocabulary columns stay strings); unparsable cells reported.

    Each column is converted by Arrow in one pass; only a column that fails the fast cast is
    re-parsed cell by cell to name the offending rows."""
    cols = {}
    for f in schema.fields(name):
        col, kind = f["name"], f["type"]
        arr = raw.column(col)
        nulled = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        if kind == "string":
            cols[col] = pd.Series(pd.arrays.ArrowStringArray(nulled), name=col)
            continue
        fast = _fast_cast(nulled, kind)
        if fast is not None:
            cols[col] = fast.to_pandas(types_mapper=_PANDAS_OF_ARROW.get, date_as_object=True)
            if kind == "date":
                cols[col] = cols[col].astype(schema.pandas_dtypes(name)[col])
            continue
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
            out.append(Problem("type", f"{s[i]!r} is not a valid {kind}", file=rel, table=name, row=int(i) + 1, field=col))
        cols[col] = typed
    return pd.DataFrame(cols)


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


def _describe(name: str, column: str | None, check: str, value: Any) -> tuple[str, str]:
    """(check, message) for a Pandera failure, phrased as what is wrong and what was expected."""
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
            f"{value!r} is not a {vocab.name} term (expected one of schema/vocabularies/{vocab.name}.csv"
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


def _pandera(name: str, df: pd.DataFrame, out: list[Problem]) -> None:
    import pandera.errors as pe

    try:
        schema.pandera_schema(name, categorical=False).validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        for rec in exc.failure_cases.to_dict("records"):
            check = str(rec.get("check"))
            if check.startswith("dtype(") or check in ("dtype", "type"):
                continue  # reported by the type parser with the offending cell
            idx = rec.get("index")
            row = None if idx is None or pd.isna(idx) else int(idx) + 1
            kind, msg = _describe(name, rec.get("column"), check, rec.get("failure_case"))
            out.append(Problem(kind, msg, file=f"data/{name}.csv", table=name, row=row, field=rec.get("column")))


def _row_hashes(df: pd.DataFrame, name: str) -> np.ndarray:
    """A 64-bit hash of each row's published text, so CSV and Parquet compare without a row loop."""
    return pd.util.hash_pandas_object(canonical_strings(df, name), index=False).to_numpy()


def _parquet_parity(pkg: Path, name: str, csv_df: pd.DataFrame, out: list[Problem]) -> None:
    import pyarrow.parquet as pq

    rel = f"data/{name}.parquet"
    if not (pkg / rel).is_file():
        return
    try:
        table = pq.read_table(pkg / rel)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        out.append(Problem("parquet", f"unreadable Parquet file ({type(exc).__name__}: {exc})", file=rel, table=name))
        return
    expected = schema.arrow_schema(name)
    if table.schema.names != expected.names:
        out.append(Problem("parquet", f"Parquet columns {table.schema.names} differ from the schema", file=rel, table=name))
        return
    for fld in expected:
        got = table.schema.field(fld.name).type
        if got != fld.type:
            out.append(
                Problem(
                    "parquet", f"Parquet type {got} differs from the declared {fld.type}", file=rel, table=name, field=fld.name
                )
            )
    # Fast path: the two files as Arrow tables with plain string columns, compared in C++.
    plain = pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in expected])
    try:
        if pa.Table.from_pandas(csv_df, schema=plain, preserve_index=False).equals(table.cast(plain)):
            return
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass  # located below, row by row
    pq_hash, csv_hash = _row_hashes(table.to_pandas(), name), _row_hashes(csv_df, name)
    if len(pq_hash) == len(csv_hash) and (pq_hash == csv_hash).all():
        return
    for label, mine, other, path in (("CSV", csv_hash, pq_hash, f"data/{name}.csv"), ("Parquet", pq_hash, csv_hash, rel)):
        for i in np.flatnonzero(~np.isin(mine, other)):
            out.append(
                Problem("parity", f"{label} row has no identical row in the other file", file=path, table=name, row=int(i) + 1)
            )
    if not any(p.check == "parity" and p.table == name for p in out):
        out.append(Problem("parity", "CSV and Parquet rows differ in order or multiplicity", file=rel, table=name))


def _source_texts(pkg: Path, sources: pd.DataFrame, out: list[Problem]) -> dict[str, str]:
    texts = {}
    plain = sources.astype(object).where(sources.notna(), None)  # pd.NA has no truth value
    for i, r in enumerate(plain.itertuples(index=False), start=1):
        path = _inside(pkg, r.path) if isinstance(r.path, str) else None
        if path is None or not path.is_file():
            out.append(
                Problem(
                    "source", f"source text {r.path!r} is missing", file="data/sources.csv", table="sources", row=i, field="path"
                )
            )
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != r.sha256:
            out.append(
                Problem(
                    "source",
                    f"sha256 of {r.path} does not match (the source text was changed)",
                    file="data/sources.csv",
                    table="sources",
                    row=i,
                    field="sha256",
                )
            )
        if len(data) != r.bytes:
            out.append(
                Problem(
                    "source",
                    f"{r.path} has {len(data)} bytes, the table says {r.bytes}",
                    file="data/sources.csv",
                    table="sources",
                    row=i,
                    field="bytes",
                )
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            out.append(Problem("source", f"{r.path} is not UTF-8", file="data/sources.csv", table="sources", row=i, field="path"))
            continue
        if len(text) != r.characters:
            out.append(
                Problem(
                    "source",
                    f"{r.path} has {len(text)} characters, the table says {r.characters}",
                    file="data/sources.csv",
                    table="sources",
                    row=i,
                    field="characters",
                )
            )
        texts[r.source_id] = text
    return texts


def package_dir(path: Path | str) -> Path:
    path = Path(path)
    return path.parent if path.name == "datapackage.json" or path.is_file() else path


def validate_package(path: Path | str) -> list[Problem]:
    """Every problem found in the package at `path` (folder or its datapackage.json)."""
    pkg = package_dir(path)
    out: list[Problem] = []
    try:
        desc = json.loads((pkg / "datapackage.json").read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return [Problem("descriptor", f"no datapackage.json in {pkg}", file="datapackage.json")]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Problem("descriptor", f"datapackage.json is not valid JSON ({exc})", file="datapackage.json")]
    if not isinstance(desc, dict):
        return [Problem("descriptor", "datapackage.json is not a JSON object", file="datapackage.json")]
    _check_files(pkg, desc, out)

    tables: dict[str, pd.DataFrame] = {}
    for name in schema.table_names():
        df = _read_csv(pkg, name, out)
        if df is None:
            continue
        tables[name] = df
        _pandera(name, df, out)
        _parquet_parity(pkg, name, df, out)
    texts = _source_texts(pkg, tables["sources"], out) if "sources" in tables else {}
    out += rules.all_rules(tables, texts)
    return out
