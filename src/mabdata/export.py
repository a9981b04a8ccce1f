"""Other ways to publish the package: SQLite (+ Datasette metadata), Croissant, a dataset card.

All are generated from the built package folder and schema/, never described by hand.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from mabdata import docs
from mabdata import schemas as schema

SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT"}
CROISSANT_TYPES = {"string": "sc:Text", "integer": "sc:Integer", "number": "sc:Float", "boolean": "sc:Boolean", "date": "sc:Date"}
# The Croissant 1.1 JSON-LD context, as the spec and mlcroissant write it.
CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def _descriptor(pkg: Path) -> dict[str, Any]:
    return json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))


# ---- SQLite ----------------------------------------------------------------------------------


def sqlite_ddl(name: str) -> str:
    cols = []
    for f in schema.fields(name):
        null = " NOT NULL" if schema.required(f) else ""
        cols.append(f'  "{f["name"]}" {SQL_TYPES[f["type"]]}{null}')
    pk = ", ".join(f'"{c}"' for c in schema.primary_key(name))
    cols.append(f"  PRIMARY KEY ({pk})")
    for fk in schema.table(name).get("foreignKeys", []):
        ref = fk["reference"]
        cols.append(f'  FOREIGN KEY ("{fk["fields"][0]}") REFERENCES "{ref["resource"]}" ("{ref["fields"][0]}")')
    return f'CREATE TABLE "{name}" (\n' + ",\n".join(cols) + "\n) STRICT;"


def export_sqlite(pkg: Path, out_dir: Path) -> Path:
    """One SQLite file with every table (declared types, keys, enforced foreign keys)."""
    import mabdata

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "mabdata.sqlite"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        for name in schema.table_names():  # publication order: referenced tables first
            con.execute(sqlite_ddl(name))
            df = mabdata.load(name, path=pkg)
            types = [f["type"] for f in schema.fields(name)]
            rows = [
                tuple(_sql_value(v, t) for v, t in zip(r, types, strict=True))
                for r in df.astype(object).itertuples(index=False, name=None)
            ]
            marks = ", ".join("?" * len(types))
            con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)  # noqa: S608 - names come from schema/
        con.commit()
        bad = con.execute("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise ValueError(f"foreign_key_check failed: {bad[:5]}")
    finally:
        con.close()
    (out_dir / "metadata.json").write_text(json.dumps(datasette_metadata(pkg), indent=2) + "\n", encoding="utf-8")
    return path


def _sql_value(value: Any, ftype: str) -> Any:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if ftype == "boolean":
        return int(bool(value))
    if ftype == "date":
        return value.isoformat()
    if ftype == "integer":
        return int(value)
    if ftype == "number":
        return float(value)
    return str(value)


def datasette_metadata(pkg: Path) -> dict[str, Any]:
    desc = _descriptor(pkg)
    lic = desc["licenses"][0]
    return {
        "title": desc["title"],
        "description": desc["description"],
        "license": lic["name"],
        "license_url": lic["path"],
        "source": "; ".join(s["title"] for s in desc.get("sources", [])),
        "databases": {
            "mabdata": {
                "tables": {
                    name: {
                        "title": schema.table(name).get("title"),
                        "description": schema.table(name).get("description"),
                        "columns": {f["name"]: f.get("description", "") for f in schema.fields(name)},
                    }
                    for name in schema.table_names()
                }
            }
        },
    }


# ---- Croissant -------------------------------------------------------------------------------


def croissant(pkg: Path) -> dict[str, Any]:
    """Croissant 1.1 JSON-LD: one FileObject per CSV (sha256) and one RecordSet per table."""
    desc = _descriptor(pkg)
    meta = schema.package_meta()
    files = {r["name"]: r for r in desc["resources"]}
    distribution, record_sets = [], []
    for name in schema.table_names():
        res = files[name]
        file_id = f"{name}.csv"
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": file_id,
                "name": file_id,
                "description": res.get("description"),
                "contentUrl": res["path"],
                "contentSize": f"{res['bytes']} B",
                "encodingFormat": "text/csv",
                "sha256": res["hash"].split(":", 1)[1],
            }
        )
        fields = [
            {
                "@type": "cr:Field",
                "@id": f"{name}/{f['name']}",
                "name": f["name"],
                "description": f.get("description", ""),
                "dataType": CROISSANT_TYPES[f["type"]],
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": f["name"]}},
            }
            for f in schema.fields(name)
        ]
        for fk in schema.table(name).get("foreignKeys", []):
            ref = fk["reference"]
            field = next(x for x in fields if x["name"] == fk["fields"][0])
            field["references"] = {"field": {"@id": f"{ref['resource']}/{ref['fields'][0]}"}}
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": name,
                "name": name,
                "description": schema.table(name).get("description"),
                "key": [{"@id": f"{name}/{c}"} for c in schema.primary_key(name)],
                "field": fields,
            }
        )
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": desc["name"],
        "description": desc["description"],
        "conformsTo": "http://mlcommons.org/croissant/1.1",
        "citeAs": meta["cite_as"],
        "creator": [{"@type": "sc:Organization", "name": c["title"]} for c in desc["contributors"]],
        "datePublished": str(meta["released"]),
        "keywords": desc.get("keywords", []),
        "license": [lic["path"] for lic in desc["licenses"]],
        "url": desc["homepage"],
        "version": desc["version"],
        "distribution": distribution,
        "recordSet": record_sets,
    }


def export_croissant(pkg: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "croissant.json"
    doc = croissant(pkg)
    if out_dir.resolve() != pkg.resolve():  # keep contentUrl pointing at the package's files
        for fo in doc["distribution"]:
            fo["contentUrl"] = Path(os.path.relpath(pkg / fo["contentUrl"], out_dir)).as_posix()
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ---- Hugging Face dataset card ---------------------------------------------------------------


def bibtex(version: str) -> str:
    """The dataset's BibTeX entry (key mabdata<year>), from schema/package.yaml."""
    meta = schema.package_meta()
    year = str(meta["released"])[:4]
    return (
        f"@misc{{mabdata{year},\n"
        f"  title = {{{{{meta['title'].replace(' - ', ': ', 1)}}}}},\n"
        "  author = {{mabdata contributors}},\n"
        f"  year = {{{year}}},\n"
        f"  version = {{{version}}},\n"
        f"  url = {{{meta['homepage']}}},\n"
        f"  note = {{Data licensed {meta['licenses'][0]['name']}}}\n"
        "}"
    )


def _size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return label
    return "1M<n<10M"


def _features(name: str) -> list[dict[str, Any]]:
    """Hugging Face `datasets` features: vocabulary columns as ClassLabel with the closed list."""
    hf_types = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool", "date": "date32"}
    out = []
    for f in schema.fields(name):
        vocab = schema.vocab_of(f)
        if vocab:
            names = {str(i): t for i, t in enumerate(schema.vocabulary(vocab).terms)}
            out.append({"name": f["name"], "dtype": {"class_label": {"names": names}}})
        else:
            out.append({"name": f["name"], "dtype": hf_types[f["type"]]})
    return out


def dataset_card(desc: dict[str, Any], rows: dict[str, int] | None = None) -> str:
    """datapackage/README.md: YAML front matter (license, size and task categories, configs and
    ClassLabel features per table), the counts, a BibTeX block and the data dictionary."""
    import yaml

    meta = schema.package_meta()
    rows = rows or {}
    front = {
        "license": meta["hf_license"],
        "pretty_name": desc["title"],
        "tags": list(desc.get("keywords", [])),
        "language": ["en"],
        "size_categories": [_size_category(sum(rows.values()))],
        "task_categories": list(meta.get("hf_task_categories", [])),
        "configs": [
            {"config_name": name, "data_files": [{"split": "train", "path": f"data/{name}.parquet"}]}
            for name in schema.table_names()
        ],
        "dataset_info": [{"config_name": name, "features": _features(name)} for name in schema.table_names()],
    }
    counts = ["| table | rows |", "|---|---|", *(f"| `{t}` | {rows.get(t, 0)} |" for t in schema.table_names())]
    body = [
        f"# {desc['title']}",
        "",
        desc["description"],
        "",
        f"Version {desc['version']}. Cite as: {meta['cite_as']}",
        "",
        "```bibtex",
        bibtex(desc["version"]),
        "```",
        "",
        "Each table is `data/<table>.csv` and `data/<table>.parquet`; `datapackage.json` is the",
        "Frictionless descriptor and `croissant.json` the Croissant description. One row of a claim",
        "table is one claim; each sentence that supports it is a row of `evidence`, whose `quote` is",
        "`sources/<source_id>.txt[quote_start:quote_end]` (the source texts ship in `sources/`).",
        "",
        *counts,
        "",
        "## Data dictionary",
        "",
        docs.data_dictionary(vocab_link=None),
        "## Licenses",
        "",
        meta["license_text"].strip(),
        "",
    ]
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n\n" + "\n".join(body)
