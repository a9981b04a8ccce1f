"""Generate a synthetic mabdata package of a given size, valid by construction.

    python scripts/make_synthetic.py --rows 100000 --out /tmp/syn

The package has the real schema (schema/), and each table is scaled so that the largest
fact table holds about --rows rows, keeping the real package's ratios between tables.
Keys, foreign keys, vocabularies and cross-field rules hold by construction; each quote is
a line of a synthetic source document at exactly its recorded offsets, and every hash is
right. Deterministic for a given --rows and --seed. Used by scripts/benchmark.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from mabdata import publish
from mabdata import schemas as schema
from mabdata.paths import default_package_dir

ROWS_PER_DOCUMENT = 500
# Identifier patterns of the real schema, filled with synthetic numbers.
IDENTIFIERS = {
    ("drugs", "drug_id"): lambda i: f"synmab{i}",
    ("drugs", "drugbank_id"): lambda i: f"DB{i % 100000:05d}",
    ("drugs", "unii"): lambda i: f"S{i:09d}",
    ("targets", "target_id"): lambda i: f"SYN{i}",
    ("targets", "hgnc_id"): lambda i: f"HGNC:{i + 1}",
    ("targets", "uniprot_id"): lambda i: f"P{i:05d}",
    ("conditions", "condition_id"): lambda i: f"DOID:{i + 1}",
    ("conditions", "mesh_ids"): lambda i: f"MESH:D{i:06d}",
    ("conditions", "ncit_ids"): lambda i: f"NCI:C{i + 1}",
}
ENTITY_OF = {"drug_id": "drugs", "target_id": "targets", "condition_id": "conditions"}


def table_sizes(rows: int) -> dict[str, int]:
    real = {name: len(pd.read_csv(default_package_dir() / "data" / f"{name}.csv", dtype=str)) for name in schema.table_names()}
    largest = max(n for name, n in real.items() if schema.is_fact_table(name))
    sizes = {name: max(1, round(rows * n / largest)) for name, n in real.items()}
    sizes["sources"] = max(1, rows // ROWS_PER_DOCUMENT)
    return sizes


def _column(name: str, f: dict, n: int, rng: np.random.Generator, keys: dict[str, np.ndarray]) -> np.ndarray:
    col, kind = f["name"], f["type"]
    idx = np.arange(n)
    if (name, col) in IDENTIFIERS:
        return np.array([IDENTIFIERS[(name, col)](i) for i in idx], dtype=object)
    if col in ENTITY_OF and ENTITY_OF[col] != name:
        return rng.choice(keys[ENTITY_OF[col]], n)
    if schema.vocab_of(f):
        return rng.choice(np.array(schema.vocabulary(schema.vocab_of(f)).terms, dtype=object), n)
    if kind == "integer":
        return rng.integers(1, 6, n)
    if kind == "number":
        return np.round(rng.uniform(0, 100, n), 2)
    if kind == "boolean":
        return rng.random(n) < 0.5
    if kind == "date":
        return np.array([dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, n)], dtype=object)
    return np.array([f"{col.replace('_', ' ')} {i}" for i in idx], dtype=object)


def make_tables(rows: int, seed: int = 0) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    rng = np.random.default_rng(seed)
    sizes = table_sizes(rows)
    n_docs = sizes["sources"]
    source_ids = np.array([f"syn_{i:06d}" for i in range(n_docs)], dtype=object)
    keys: dict[str, np.ndarray] = {}
    frames: dict[str, dict[str, np.ndarray]] = {}
    for name in ("drugs", "targets", "conditions"):  # entities first: facts point at them
        cols = {f["name"]: _column(name, f, sizes[name], rng, keys) for f in schema.fields(name)}
        keys[name] = cols[schema.primary_key(name)[0]]
        frames[name] = cols
    for name in schema.table_names():
        if name in frames or name == "sources":
            continue
        n = sizes[name]
        frames[name] = {f["name"]: _column(name, f, n, rng, keys) for f in schema.fields(name)}
        frames[name][schema.primary_key(name)[0]] = np.array([f"{name}/{i:08d}" for i in range(n)], dtype=object)
    _apply_rules(frames)

    # Provenance: each fact row's quote (its stated words and its key) is one line of a document.
    pieces: list[tuple[int, str, np.ndarray]] = []
    for name, cols in frames.items():
        n = len(next(iter(cols.values())))
        doc = np.arange(n) % n_docs
        stated = [cols[c] for c in schema.stated_fields(name)]
        pk = cols[schema.primary_key(name)[0]]
        quotes = np.array(
            [" ".join([*(str(s[i]) for s in stated if s[i] is not None), f"states fact {pk[i]}."]) for i in range(n)],
            dtype=object,
        )
        cols["quote"], cols["source_id"], cols["curation_note"] = quotes, source_ids[doc], np.full(n, None, dtype=object)
        pieces.append((name, quotes, doc))
    titles = [f"Synthetic monograph {i}" for i in range(n_docs)]
    texts, starts = _documents(titles, pieces)
    for name, _, _ in pieces:
        frames[name]["quote_start"] = starts[name]
        frames[name]["quote_end"] = starts[name] + np.array([len(q) for q in frames[name]["quote"]])

    data = {sid: texts[i].encode("utf-8") for i, sid in enumerate(source_ids)}
    frames["sources"] = {
        "source_id": source_ids,
        "path": np.array([f"sources/{s}.txt" for s in source_ids], dtype=object),
        "sha256": np.array([hashlib.sha256(data[s]).hexdigest() for s in source_ids], dtype=object),
        "bytes": np.array([len(data[s]) for s in source_ids]),
        "characters": np.array([len(t) for t in texts]),
        "title": np.array(titles, dtype=object),
        "upstream_url": np.array([f"https://example.org/monograph/{i}" for i in range(n_docs)], dtype=object),
        "published": np.full(n_docs, dt.date(2024, 6, 14), dtype=object),
    }
    tables = {}
    for name in schema.table_names():
        df = pd.DataFrame(frames[name])[schema.field_names(name)]
        tables[name] = schema.cast(df, name).sort_values(schema.primary_key(name), kind="stable").reset_index(drop=True)
    return tables, data


def _apply_rules(frames: dict[str, dict[str, np.ndarray]]) -> None:
    """Make the cross-field rules hold (rules.py): ordered ranges, units, mappings."""
    for cols in frames.values():
        for lo, hi in (("interval_min_days", "interval_max_days"), ("infusion_min_minutes", "infusion_max_minutes")):
            if lo in cols:
                cols[hi] = cols[lo] + cols[hi]
    ae = frames["adverse_events"]
    ctcae = schema.vocabulary("ctcae_term")
    broader = {r["term"]: r.get("broader") for r in ctcae.rows}
    ae["soc"] = np.array([broader[t] for t in ae["ctcae_term"]], dtype=object)
    tr = frames["trial_results"]
    tr["unit"] = np.where(tr["statistic"] == "proportion", "%", "mo").astype(object)


def _documents(titles: list[str], pieces) -> tuple[list[str], dict[str, np.ndarray]]:
    lines: list[list[str]] = [[t] for t in titles]
    offsets: list[int] = [len(t) + 1 for t in titles]
    starts = {}
    for name, quotes, doc in pieces:
        st = np.empty(len(quotes), dtype=np.int64)
        for i, (q, d) in enumerate(zip(quotes, doc, strict=True)):
            st[i] = offsets[d]
            offsets[d] += len(q) + 1
            lines[d].append(q)
        starts[name] = st
    return ["\n".join(x) + "\n" for x in lines], starts


def make_package(rows: int, out: Path, seed: int = 0) -> Path:
    tables, texts = make_tables(rows, seed)
    if out.exists():
        shutil.rmtree(out)
    publish.write_package(tables, texts, out, version="0.0.0-synthetic")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="rows of the largest fact table")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    make_package(args.rows, args.out, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
