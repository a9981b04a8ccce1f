"""Curation files + seeds + reference subsets -> tables (pandas DataFrames, declared dtypes).

Each statement's quote is resolved to code-point offsets in its seed; every surface term is
mapped to its closed vocabulary; identifiers come from reference/. Problems are collected
across all files and raised together, each naming file, line, table, statement and field.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from mabdata import curation, reference, rules
from mabdata import schemas as schema
from mabdata.errors import MabdataError, Problem

SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        check: str,
        message: str,
        stmt: curation.Statement | None = None,
        path: Path | None = None,
        field: str | None = None,
        table: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                check,
                message,
                file=str(path) if path else None,
                table=stmt.table if stmt else table,
                row=stmt.index if stmt else None,
                field=field,
                line=stmt.line if stmt else None,
            )
        )


def _read_seed(path: Path, out: _Collector) -> tuple[bytes, str] | None:
    data = path.read_bytes()
    if not data.strip():
        out.add("seed", "source document is empty", path=path)
        return None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add("seed", f"source document is not UTF-8 ({exc.reason} at byte {exc.start})", path=path)
        return None


def _check_source_block(cur: curation.Curation, text: str, out: _Collector) -> None:
    """The `source:` block states only what the document's own text says."""
    src = cur.source

    def problem(message: str, field: str) -> None:
        out.problems.append(Problem("source", message, file=str(cur.path), table="source", field=field, line=cur.source_line))

    first_line = text.split("\n", 1)[0].rstrip("\r")
    if src.title != first_line:
        problem(f"title {src.title!r} is not the document's first line {first_line!r}", "title")
    for key in ("upstream_url", "published_quote"):
        value = getattr(src, key)
        if value and value not in text:
            problem(f"{value!r} does not occur in the document", key)
    if (src.published is None) != (src.published_quote is None):
        problem("published and published_quote go together", "published")


def locate(text: str, quote: str, occurrence: int | None) -> tuple[int, int] | str:
    """Offsets of the quote, or the reason it cannot be placed."""
    starts = [m.start() for m in re.finditer(re.escape(quote), text)]
    if not starts:
        return "quote not found in the source text (it must be copied verbatim)"
    if occurrence is None:
        if len(starts) > 1:
            return (
                f"quote occurs {len(starts)} times (at offsets {', '.join(map(str, starts))}); add 'occurrence: N' to say which"
            )
        occurrence = 1
    if occurrence > len(starts):
        return f"occurrence {occurrence} requested but the quote occurs {len(starts)} time(s)"
    start = starts[occurrence - 1]
    return start, start + len(quote)


def _normalise_vocab(table: str, values: dict[str, Any], stmt: curation.Statement, path: Path, out: _Collector) -> None:
    for f in schema.curated_fields(table):
        name, vocab = f["name"], schema.vocab_of(f)
        if not vocab or values.get(name) is None:
            continue
        v = schema.vocabulary(vocab)
        term = v.resolve(str(values[name]))
        if term is None:
            near = v.closest(str(values[name]))
            hint = f"closest known terms: {', '.join(near)}" if near else f"known terms: {', '.join(v.terms[:8])}"
            out.add(
                "vocabulary",
                f"unknown {vocab} term {values[name]!r} ({hint}; list in schema/vocabularies/{vocab}.csv)",
                stmt,
                path,
                name,
            )
        values[name] = term  # None when unknown: the build fails on the problem above


def _drug_row(root: Path, values: dict[str, Any], stmt: curation.Statement, path: Path, out: _Collector) -> dict[str, Any]:
    ref = reference.drugs(root).get(values["drug_id"])
    row = dict(values)
    row["inn"] = ref.inn if ref else values["drug_id"]
    for col in ("drugbank_id", "unii", "antibody_format", "isotype", "light_chain"):
        row[col] = getattr(ref, col) if ref else None
    row["reference_highest_phase"] = ref.highest_phase if ref else None
    row["reference_sequence_source"] = None
    if ref and ref.genetics:
        by_code = {r["code"]: r["term"] for r in schema.vocabulary("sequence_source").rows}
        row["reference_sequence_source"] = by_code.get(ref.genetics)
    if ref and ref.unii_conflict:
        out.add("reference", f"DrugBank UNII {ref.unii} differs from the FDA UNII file ({ref.unii_conflict})", stmt, path, "unii")
    stated, listed = row.get("sequence_source"), row["reference_sequence_source"]
    if stated and listed and stated != listed and not row.get("curation_note"):
        out.add(
            "disagreement",
            f"the source says {stated!r} but Thera-SAbDab says {listed!r}: keep the source's value and explain in curation_note",
            stmt,
            path,
            "sequence_source",
        )
    return row


def build_tables(root: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """All tables as DataFrames with declared dtypes, and the seed texts by source_id.

    Raises MabdataError listing every problem, each traced to its curation statement."""
    import pandas as pd

    out = _Collector()
    seeds_dir = root / "seeds"
    texts: dict[str, str] = {}
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    txt = {p.stem: p for p in sorted(seeds_dir.glob("*.txt"))}
    yml = {p.stem: p for p in sorted(seeds_dir.glob("*.yaml"))}
    for stem in sorted(set(yml) - set(txt)):
        out.add("seed", f"curation file has no source document seeds/{stem}.txt", path=yml[stem])
    for stem in sorted(set(txt) - set(yml)):
        out.add("seed", f"source document is not curated: add seeds/{stem}.yaml", path=txt[stem])
    if not txt:
        out.add("seed", "no source documents in seeds/", path=seeds_dir)

    curations: dict[str, curation.Curation] = {}
    for stem in sorted(set(txt) & set(yml)):
        if not SOURCE_ID.match(stem):
            out.add("seed", f"source id {stem!r} is not a plain file stem", path=txt[stem])
            continue
        seed = _read_seed(txt[stem], out)
        try:
            cur = curation.read(yml[stem])
        except MabdataError as exc:
            out.problems += exc.problems
            continue
        if seed is None:
            continue
        data, text = seed
        texts[stem] = text
        curations[stem] = cur
        src = cur.source
        _check_source_block(cur, text, out)
        rows["sources"].append(
            {
                "source_id": stem,
                "path": f"sources/{stem}.txt",
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "characters": len(text),
                "title": src.title,
                "upstream_url": src.upstream_url,
                "published": src.published,
            }
        )

        counters: dict[str, int] = defaultdict(int)
        for stmt in cur.statements:
            values = dict(stmt.values)
            occurrence = values.pop("occurrence")
            values.pop("confidence")
            if values.pop("curation_status") == "draft":
                continue  # unreviewed drafts from `mabdata draft` are not published
            placed = locate(text, values["quote"], occurrence)
            if isinstance(placed, str):
                out.add("quote", placed, stmt, cur.path, "quote")
                continue
            _normalise_vocab(stmt.table, values, stmt, cur.path, out)
            values["source_id"], (values["quote_start"], values["quote_end"]) = stem, placed
            counters[stmt.table] += 1
            pk = schema.primary_key(stmt.table)[0]
            if stmt.table == "drugs":
                values = _drug_row(root, values, stmt, cur.path, out)
            else:
                values[pk] = f"{stem}/{counters[stmt.table]:03d}"
            values["_stmt"], values["_path"] = stmt, cur.path
            rows[stmt.table].append(values)

    _derive(root, rows, out)

    tables = {}
    origin: dict[tuple[str, str], tuple[curation.Statement, Path]] = {}
    for name in schema.table_names():
        cols = schema.field_names(name)
        pk = schema.primary_key(name)[0]
        df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows[name]], columns=cols)
        tables[name] = schema.cast(df, name).sort_values(pk, kind="stable").reset_index(drop=True)
        origin.update({(name, r[pk]): (r["_stmt"], r["_path"]) for r in rows[name] if "_stmt" in r})
    for p in rules.all_rules(tables, texts):
        pk = schema.primary_key(p.table)[0] if p.table else None
        key = (p.table, tables[p.table][pk].iloc[p.row - 1]) if p.row else None
        if key in origin:
            stmt, path = origin[key]
            out.add(p.check, p.message, stmt, path, p.field)
        else:
            out.problems.append(p)
    if out.problems:
        raise MabdataError(_relative(out.problems, root))
    return tables, texts


def _relative(problems: list[Problem], root: Path) -> list[Problem]:
    out = []
    for p in problems:
        if p.file and Path(p.file).is_absolute() and Path(p.file).is_relative_to(root):
            p = replace(p, file=Path(p.file).relative_to(root).as_posix())
        out.append(p)
    return out


def _first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["source_id"], r["quote_start"], r["quote_end"]))


def _derive(root: Path, rows: dict[str, list[dict[str, Any]]], out: _Collector) -> None:
    """Entity tables (targets, conditions) and reference-derived columns; foreign-key checks."""
    drugs = {r["drug_id"]: r for r in rows["drugs"]}
    seen: dict[str, dict[str, Any]] = {}
    for r in rows["drugs"]:
        if r["drug_id"] in seen:
            out.add(
                "duplicate",
                f"drug {r['drug_id']!r} is already described in {seen[r['drug_id']]['source_id']}",
                r["_stmt"],
                r["_path"],
                "drug_id",
            )
        seen[r["drug_id"]] = r
    for table in schema.curated_tables():
        for r in rows[table]:
            if table != "drugs" and r.get("drug_id") not in drugs:
                out.add(
                    "foreign-key",
                    f"drug {r.get('drug_id')!r} is not described in any curation file's 'drugs'",
                    r["_stmt"],
                    r["_path"],
                    "drug_id",
                )

    for r in rows["drug_names"]:
        ref = reference.drugs(root).get(r["drug_id"])
        r["in_reference"] = bool(ref and r["name"].casefold() in ref.names)
        if not r["in_reference"] and not r.get("curation_note"):
            out.add(
                "disagreement",
                f"name {r['name']!r} is not among the drug's names in the reference files: explain in curation_note",
                r["_stmt"],
                r["_path"],
                "name",
            )

    for r in rows["adverse_events"]:
        r["soc"] = schema.vocabulary("ctcae_term").broader(r["ctcae_term"]) if r.get("ctcae_term") else None

    genes = reference.genes(root)
    for target_id, mentions in _group(rows["drug_targets"], "target_id").items():
        gene = genes.get(target_id)
        if gene is None:
            r = mentions[0]
            out.add(
                "reference",
                f"{target_id!r} is not an HGNC symbol in reference/hgnc (run scripts/update_reference.py)",
                r["_stmt"],
                r["_path"],
                "target_id",
            )
            continue
        named = [m for m in mentions if m.get("target_term")]
        first = _first(named or mentions)[0]
        rows["targets"].append(
            {
                **{k: first[k] for k in schema.PROVENANCE},
                "target_id": gene.symbol,
                "hgnc_id": gene.hgnc_id,
                "uniprot_id": gene.uniprot_id,
                "name": gene.name,
                "stated_name": first["target_term"],
            }
        )

    diseases = reference.diseases(root)
    mentions_by_condition: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table in ("indications", "regimens", "trial_results"):
        for r in rows[table]:
            if r.get("condition_id"):
                mentions_by_condition[r["condition_id"]].append(r)
    for condition_id, mentions in sorted(mentions_by_condition.items()):
        disease = diseases.get(condition_id)
        if disease is None:
            r = mentions[0]
            out.add(
                "reference",
                f"{condition_id!r} is not a Disease Ontology id in reference/disease_ontology (run scripts/update_reference.py)",
                r["_stmt"],
                r["_path"],
                "condition_id",
            )
            continue
        named = [m for m in mentions if m.get("condition_term")]
        first = _first(named or mentions)[0]
        rows["conditions"].append(
            {
                **{k: first[k] for k in schema.PROVENANCE},
                "condition_id": disease.doid,
                "name": disease.name,
                "stated_name": first.get("condition_term"),
                "mesh_ids": disease.mesh_ids,
                "ncit_ids": disease.ncit_ids,
            }
        )


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return dict(sorted(out.items()))
