"""Helpers to corrupt a copy of the published package one fault at a time."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pyarrow.parquet as pq


def read_rows(pkg: Path, table: str) -> list[list[str]]:
    text = (pkg / "data" / f"{table}.csv").read_bytes().decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def write_rows(pkg: Path, table: str, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (pkg / "data" / f"{table}.csv").write_bytes(out.getvalue().encode("utf-8"))


def set_cell(pkg: Path, table: str, row: int, column: str, value: str, resync: bool = True) -> str:
    """Set a CSV cell (row is 1-based); returns the old value. Re-hashes the descriptor unless told not to,
    so that the check under test is the semantic one, not the hash."""
    rows = read_rows(pkg, table)
    col = rows[0].index(column)
    old, rows[row][col] = rows[row][col], value
    write_rows(pkg, table, rows)
    if resync:
        resync_descriptor(pkg)
    return old


def resync_descriptor(pkg: Path) -> None:
    """Make datapackage.json's hash and bytes match the files again (a careless editor's fix)."""
    path = pkg / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    for res in desc["resources"]:
        f = pkg / res["path"]
        if f.is_file():
            data = f.read_bytes()
            res["hash"], res["bytes"] = f"sha256:{hashlib.sha256(data).hexdigest()}", len(data)
    path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def edit_descriptor(pkg: Path, fn) -> None:
    path = pkg / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    fn(desc)
    path.write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")


def drop_parquet_row(pkg: Path, table: str, row: int) -> None:
    path = pkg / "data" / f"{table}.parquet"
    t = pq.read_table(path)
    keep = [i for i in range(t.num_rows) if i != row - 1]
    pq.write_table(t.take(keep), path, compression="zstd")
    resync_descriptor(pkg)


def has(problems, **expected) -> bool:
    return any(all(getattr(p, k) == v for k, v in expected.items()) for p in problems)
