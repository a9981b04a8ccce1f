"""Writing the package folder: CSV + Parquet per table, source texts, datapackage.json.

Deterministic: rows sorted by primary key, columns in schema order, UTF-8 CSV without BOM
and with LF endings, floats in Python's shortest round-trip form, no timestamps anywhere,
Parquet via the pinned pyarrow with zstd and no pandas metadata. Atomic: the package is
written to a temporary sibling folder, validated, and only then swapped in.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from mabdata import docs, export, reference
from mabdata import schemas as schema
from mabdata.errors import MabdataError
from mabdata.tabular import csv_bytes

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"


def project_version(root: Path) -> str:
    with open(root / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def write_parquet(df: Any, name: str, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, schema=schema.arrow_schema(name), preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path, compression="zstd")


def _file_meta(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "bytes": len(data)}


def descriptor(out_dir: Path, tables: dict[str, Any], version: str) -> dict[str, Any]:
    meta = schema.package_meta()
    resources = []
    for name in schema.table_names():
        spec = schema.table(name)
        common = {"title": spec.get("title"), "description": spec.get("description")}
        table_schema = schema.frictionless_schema(name)
        resources.append(
            {
                "name": name,
                "type": "table",
                "path": f"data/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                **common,
                **_file_meta(out_dir / "data" / f"{name}.csv"),
                "schema": table_schema,
            }
        )
        # A "file" resource, so frictionless checks its hash and bytes but does not parse it:
        # frictionless-py 5.21 reads Parquet nulls as NaN and then rejects nullable integers.
        # `mabdata validate` proves it holds exactly the CSV's rows with the declared types.
        resources.append(
            {
                "name": f"{name}_parquet",
                "type": "file",
                "path": f"data/{name}.parquet",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "title": spec.get("title"),
                "description": f"The rows of resource {name!r} as typed Parquet (same schema).",
                **_file_meta(out_dir / "data" / f"{name}.parquet"),
            }
        )
    for source_id, rel in zip(tables["sources"]["source_id"], tables["sources"]["path"], strict=True):
        resources.append(
            {
                "name": f"source_{source_id}".lower(),
                "path": rel,
                "format": "txt",
                "mediatype": "text/plain",
                "encoding": "utf-8",
                "title": f"Source text {source_id} (the text evidence quotes point into)",
                **_file_meta(out_dir / rel),
            }
        )
    return {
        "$schema": DATAPACKAGE_PROFILE,
        "name": meta["name"],
        "title": meta["title"],
        "description": meta["description"],
        "version": version,
        # The release date, not the build time: rebuilding must give identical bytes.
        "created": f"{meta['released']}T00:00:00Z",
        "homepage": meta.get("homepage"),
        "keywords": meta.get("keywords", []),
        "licenses": meta["licenses"],
        "contributors": meta["contributors"],
        "sources": [
            *meta["sources"],
            *(
                {"title": title, "description": f"License: {lic}. Origin and checksums: reference/{folder}/SOURCE.txt"}
                for folder, (title, lic) in reference.REFERENCE_SOURCES.items()
            ),
        ],
        "resources": resources,
    }


def write_package(tables: dict[str, Any], texts: dict[str, bytes], out_dir: Path, version: str) -> None:
    """Write a package folder: tables (declared dtypes), source documents (bytes by source_id)."""
    (out_dir / "data").mkdir(parents=True)
    (out_dir / "sources").mkdir()
    for name, df in tables.items():
        (out_dir / "data" / f"{name}.csv").write_bytes(csv_bytes(df, name))
        write_parquet(df, name, out_dir / "data" / f"{name}.parquet")
    for source_id, rel in zip(tables["sources"]["source_id"], tables["sources"]["path"], strict=True):
        (out_dir / rel).write_bytes(texts[source_id])
    desc = descriptor(out_dir, tables, version)
    (out_dir / "datapackage.json").write_bytes((json.dumps(desc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    rows = {name: len(df) for name, df in tables.items()}
    (out_dir / "README.md").write_bytes(export.dataset_card(desc, rows).encode("utf-8"))
    croissant = json.dumps(export.croissant(out_dir), indent=2, ensure_ascii=False) + "\n"
    (out_dir / "croissant.json").write_bytes(croissant.encode("utf-8"))


def _same_package(new: Path, old: Path) -> list[str]:
    """Files that differ: bytes for CSV/JSON/text, content for Parquet."""
    import pyarrow.parquet as pq

    new_files = {p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file()}
    old_files = {p.relative_to(old).as_posix() for p in old.rglob("*") if p.is_file()} if old.is_dir() else set()
    diffs = sorted(new_files ^ old_files)
    for rel in sorted(new_files & old_files):
        if rel.endswith(".parquet"):
            try:
                same = pq.read_table(new / rel).equals(pq.read_table(old / rel))
            except Exception:  # an unreadable committed file is simply stale
                same = False
        else:
            same = filecmp.cmp(new / rel, old / rel, shallow=False)
        if not same:
            diffs.append(rel)
    return diffs


def build(root: Path, check: bool = False, _after_write: Any = None) -> list[str]:
    """Build datapackage/ from seeds/; with check=True only report which files are stale.

    Returns the stale files (check) or an empty list. Raises MabdataError on bad input or an
    invalid result; the previous datapackage/ is then left exactly as it was.
    """
    from mabdata import build as build_mod
    from mabdata import validate

    tables, texts = build_mod.build_tables(root)
    target = root / "datapackage"
    tmp = Path(tempfile.mkdtemp(prefix=".datapackage-", dir=root))
    try:
        out_dir = tmp / "datapackage"
        write_package(tables, texts, out_dir, project_version(root))
        if _after_write:
            _after_write(out_dir)
        problems = validate.validate_package(out_dir)
        if problems:
            raise MabdataError(problems)
        readme = docs.update_readme(root, tables)
        if check:
            stale = _same_package(out_dir, target)
            return stale + (["README.md (data dictionary)"] if readme != (root / "README.md").read_bytes() else [])
        (root / "README.md").write_bytes(readme)
        old = tmp / "previous"
        if target.exists():
            os.replace(target, old)
        os.replace(out_dir, target)
        return []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
