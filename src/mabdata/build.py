"""Curation files + source texts + reference subsets -> tables (pandas DataFrames, declared dtypes).

Sources are the web monographs in seeds/ (<stem>.txt kept byte for byte) and the FDA labels in
labels/ (raw/<stem>.json rendered by mabdata.labels; labels/<stem>.txt is that rendering,
committed for curators and checked here). Each is curated in <stem>.yaml beside it.

For every claim: each quote is resolved to code-point offsets (and, in a label, to the section
that contains it); surface terms are mapped to their closed vocabularies; claims with the same
natural key — in one file or across sources — are merged into one row whose evidence rows are
all their quotes; identifiers come from reference/. Problems are collected across all files and
raised together, each naming file, line, table, claim and field.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from mabdata import curation, keys, labels, reference, rules
from mabdata import schemas as schema
from mabdata.corroborate import corroborate
from mabdata.errors import MabdataError, Problem

SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
WEB_LICENSE = "LicenseRef-third-party"


@dataclass
class Document:
    """One source: the text quotes point into, its bytes as published, and its curation file."""

    source_id: str
    kind: str
    text: str
    data: bytes
    curation_path: Path
    sections: tuple[labels.Section, ...] = ()
    row: dict[str, Any] = field(default_factory=dict)


@dataclass
class Instance:
    """One claim as one curation file states it, with its quotes resolved."""

    table: str
    values: dict[str, Any]
    claim: curation.Claim
    path: Path
    evidence: list[dict[str, Any]]
    steps: list[dict[str, Any]] = field(default_factory=list)
    parent: Instance | None = None
    claim_id: str | None = None


@dataclass(frozen=True)
class Origin:
    """Where a published row was written: its curation file, claim, and the lines of its keys."""

    path: Path
    claim: curation.Claim
    table: str | None = None  # a child row's table (dosing_steps), else the claim's
    row: int | None = None  # a child row's position within its claim
    lines: dict[str, int] | None = None  # a child row's or evidence item's key lines ("" = its first line)

    def problem(self, p: Problem) -> Problem:
        lines = self.lines or {}
        line = lines.get(p.field or "", lines.get("")) if lines else None
        return Problem(
            p.check,
            p.message,
            file=str(self.path),
            table=self.table or self.claim.table,
            row=self.row or self.claim.index,
            field=p.field,
            line=line or self.claim.line_of(p.field),
        )


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def at(self, check: str, message: str, path: Path, claim: curation.Claim | None, fld: str | None = None, line=None):
        self.problems.append(
            Problem(
                check,
                message,
                file=str(path),
                table=claim.table if claim else None,
                row=claim.index if claim else None,
                field=fld,
                line=line or (claim.line_of(fld) if claim else None),
            )
        )

    def file(self, check: str, message: str, path: Path, fld: str | None = None, line: int | None = None) -> None:
        self.problems.append(Problem(check, message, file=str(path), field=fld, line=line))


# ---- sources ------------------------------------------------------------------------------


def _decode(path: Path, data: bytes, out: _Collector) -> str | None:
    if not data.strip():
        out.file("source", "source document is empty", path)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.file("source", f"source document is not UTF-8 ({exc.reason} at byte {exc.start})", path)
        return None


def _pair(folder: Path, text_glob: str, out: _Collector) -> list[tuple[str, Path, Path]]:
    """(stem, document, curation file) of a folder, reporting unpaired files."""
    docs = {p.stem: p for p in sorted(folder.glob(text_glob))}
    yml = {p.stem: p for p in sorted(folder.glob("*.yaml"))}
    for stem in sorted(set(yml) - set(docs)):
        out.file("source", f"curation file has no source document ({folder.name}/{text_glob.replace('*', stem)})", yml[stem])
    for stem in sorted(set(docs) - set(yml)):
        out.file("source", f"source document is not curated: add {folder.name}/{stem}.yaml", docs[stem])
    pairs = []
    for stem in sorted(set(docs) & set(yml)):
        if not SOURCE_ID.match(stem):
            out.file("source", f"source id {stem!r} is not a plain file stem", docs[stem])
            continue
        pairs.append((stem, docs[stem], yml[stem]))
    return pairs


def _web_documents(root: Path, out: _Collector) -> list[Document]:
    docs = []
    for stem, txt, yml in _pair(root / "seeds", "*.txt", out):
        data = txt.read_bytes()
        text = _decode(txt, data, out)
        if text is None:
            continue
        digest = hashlib.sha256(data).hexdigest()
        row = {
            "kind": "web monograph",
            "license": WEB_LICENSE,
            "origin_repository": "mabdata seed set (../shared/seeds)",
            "origin_file": f"seeds/{stem}.txt",
            "origin_sha256": digest,
        }
        docs.append(Document(stem, "web monograph", text, data, yml, row=row))
    return docs


def _label_origin(root: Path, out: _Collector) -> tuple[str | None, str | None]:
    note = root / "labels" / "raw" / "SOURCE.txt"
    if not note.is_file():
        out.file("source", "labels/raw/SOURCE.txt (origin and licence of the labels) is missing", note)
        return None, None
    m = re.search(r"Repository:\s*(\S+),\s*commit\s+([0-9a-f]{40})", note.read_text(encoding="utf-8"))
    if not m:
        out.file("source", "no 'Repository: <repo>, commit <sha>' line", note)
        return None, None
    return m.group(1), m.group(2)


def _label_documents(root: Path, out: _Collector) -> list[Document]:
    folder = root / "labels"
    if not folder.is_dir():
        return []
    raw = folder / "raw"
    repo, commit = _label_origin(root, out)
    docs = []
    for json_path in sorted(raw.glob("*.json")):
        stem = json_path.stem
        yml = folder / f"{stem}.yaml"
        if not yml.is_file():
            out.file("source", f"label is not curated: add labels/{stem}.yaml", json_path)
            continue
        data = json_path.read_bytes()
        try:
            label = labels.render(data, str(json_path))
        except MabdataError as exc:
            out.problems += exc.problems
            continue
        rendered = label.text.encode("utf-8")
        committed = folder / f"{stem}.txt"
        if not committed.is_file() or committed.read_bytes() != rendered:
            out.file(
                "source",
                f"labels/{stem}.txt differs from the rendering of raw/{stem}.json: run scripts/import_labels.py",
                committed,
            )
        meta = label.meta
        row = {
            "kind": "FDA label",
            "license": "CC0-1.0",
            "origin_repository": repo,
            "origin_commit": commit,
            "origin_file": f"labels/raw/{stem}.json",
            "origin_sha256": hashlib.sha256(data).hexdigest(),
            "spl_set_id": meta["set_id"],
            "spl_version": meta["version"],
            "effective_date": meta["effective_date"],
            "application_number": meta["application_number"],
            "manufacturer": meta["manufacturer"],
            "openfda_uniis": ";".join(meta["uniis"]) or None,
            "openfda_routes": ";".join(meta["routes"]) or None,
        }
        docs.append(Document(stem, "FDA label", label.text, rendered, yml, label.sections, row))
    for yml in sorted(folder.glob("*.yaml")):
        if not (raw / f"{yml.stem}.json").is_file():
            out.file("source", f"curation file has no label record labels/raw/{yml.stem}.json", yml)
    return docs


def _check_source_block(doc: Document, cur: curation.Curation, out: _Collector) -> None:
    """The `source:` block states only what the document's own text says."""
    src = cur.source
    first_line = doc.text.split("\n", 1)[0].rstrip("\r")
    if src.title != first_line:
        out.file(
            "source", f"title {src.title!r} is not the document's first line {first_line!r}", cur.path, "title", cur.source_line
        )
    for key in ("upstream_url", "published_quote"):
        value = getattr(src, key)
        if value and value not in doc.text:
            out.file("source", f"{value!r} does not occur in the document", cur.path, key, cur.source_line)
    if (src.published is None) != (src.published_quote is None):
        out.file("source", "published and published_quote go together", cur.path, "published", cur.source_line)


def _source_row(doc: Document, cur: curation.Curation) -> dict[str, Any]:
    return {
        **doc.row,
        "source_id": doc.source_id,
        "title": cur.source.title,
        "path": f"sources/{doc.source_id}.txt",
        "sha256": hashlib.sha256(doc.data).hexdigest(),
        "bytes": len(doc.data),
        "characters": len(doc.text),
        "upstream_url": cur.source.upstream_url,
        "published": cur.source.published,
    }


# ---- quotes --------------------------------------------------------------------------------


def locate(text: str, quote: str, occurrence: int | None) -> tuple[int, int] | str:
    """Offsets of the quote, or the reason it cannot be placed."""
    starts, at = [], text.find(quote)
    while at >= 0:  # every (possibly overlapping) occurrence, as str.find reports them
        starts.append(at)
        at = text.find(quote, at + 1)
    if not starts:
        return "quote not found in the source text (it must be copied verbatim)"
    if occurrence is None:
        if len(starts) > 1:
            shown = ", ".join(map(str, starts[:8])) + (", ..." if len(starts) > 8 else "")
            return f"quote occurs {len(starts)} times (at offsets {shown}); add 'occurrence: N' to say which"
        occurrence = 1
    if occurrence > len(starts):
        return f"occurrence {occurrence} requested but the quote occurs {len(starts)} time(s)"
    start = starts[occurrence - 1]
    return start, start + len(quote)


def section_of(sections: tuple[labels.Section, ...], start: int, end: int) -> str | None:
    """The innermost section holding [start, end); raises ValueError when the span leaves it."""
    holding = [s for s in sections if s.start <= start < s.end]
    if not holding:
        raise ValueError("the quote is not inside a label section (the title and the [headings] are not label text)")
    inner = min(holding, key=lambda s: s.end - s.start)
    if end > inner.end:
        outer = [s for s in holding if end <= s.end]
        if not outer:
            raise ValueError(f"the quote runs past the end of section {inner.section!r}: quote one section at a time")
        inner = min(outer, key=lambda s: s.end - s.start)
    return inner.section


def _resolve_evidence(doc: Document, claim: curation.Claim, path: Path, out: _Collector) -> list[dict[str, Any]]:
    rows = []
    for ev in claim.evidence:
        placed = locate(doc.text, ev.quote, ev.occurrence)
        if isinstance(placed, str):
            out.at("quote", placed, path, claim, "quote", ev.line)
            continue
        section = None
        if doc.sections:
            try:
                section = section_of(doc.sections, *placed)
            except ValueError as exc:
                out.at("quote", str(exc), path, claim, "quote", ev.line)
                continue
        rows.append(
            {
                "source_id": doc.source_id,
                "quote": ev.quote,
                "quote_start": placed[0],
                "quote_end": placed[1],
                "section": section,
                "inferred": ev.inferred,
                "note": ev.note,
                "line": ev.line,
            }
        )
    return rows


# ---- vocabularies --------------------------------------------------------------------------


def _resolve_term(vocab: str, value: Any, path: Path, claim: curation.Claim, fld: str, out: _Collector, line=None):
    v = schema.vocabulary(vocab)
    term = v.resolve(str(value))
    if term is None:
        near = v.closest(str(value))
        hint = f"closest known terms: {', '.join(near)}" if near else f"known terms: {', '.join(v.terms[:8])}"
        out.at(
            "vocabulary",
            f"unknown {vocab} term {value!r} ({hint}; list in schema/vocabularies/{vocab}.csv)",
            path,
            claim,
            fld,
            line,
        )
    return term


def _normalise(table: str, values: dict[str, Any], path: Path, claim: curation.Claim, out: _Collector, lines=None) -> None:
    for f in schema.curated_fields(table):
        name, vocab = f["name"], schema.vocab_of(f)
        if vocab and values.get(name) is not None:
            line = lines.get(name, lines.get("")) if lines else None
            values[name] = _resolve_term(vocab, values[name], path, claim, name, out, line)
    if table == "drug_properties" and values.get("property") and values.get("value") is not None:
        vocab = schema.property_vocabulary(values["property"])
        if vocab:
            values["value"] = _resolve_term(vocab, values["value"], path, claim, "value", out)


# ---- claims --------------------------------------------------------------------------------


def _instances(doc: Document, cur: curation.Curation, out: _Collector) -> list[Instance]:
    found = []
    for claim in cur.claims:
        if claim.draft:
            continue  # unreviewed drafts from `mabdata draft` are not published
        inst = _instance(doc, claim, cur.path, out)
        found.append(inst)
        for sub in claim.nested:
            if not sub.draft:
                found.append(replace(_instance(doc, sub, cur.path, out), parent=inst))
    return found


def _instance(doc: Document, claim: curation.Claim, path: Path, out: _Collector) -> Instance:
    values = dict(claim.values)
    _normalise(claim.table, values, path, claim, out)
    steps = []
    for child in schema.child_tables(claim.table):
        for k, (row, lines) in enumerate(zip(claim.children[child], claim.child_lines[child], strict=True), start=1):
            row = {**row, "step": k, "_lines": lines}
            _normalise(child, row, path, claim, out, lines)
            steps.append(row)
    allowed = (
        {f["name"] for f in schema.curated_fields(claim.table)}
        | {f["name"] for child in schema.child_tables(claim.table) for f in schema.curated_fields(child)}
        | {f["name"] for f in schema.fields(claim.table) if f["name"] in ("study_id", "target_id", "condition_id")}
    )
    for ev in claim.evidence:
        for name in ev.inferred:
            if name not in allowed:
                out.at(
                    "curation-schema",
                    f"inferred field {name!r} is not a field of {claim.table} (expected some of: {', '.join(sorted(allowed))})",
                    path,
                    claim,
                    "inferred",
                    ev.line,
                )
    return Instance(claim.table, values, claim, path, _resolve_evidence(doc, claim, path, out), steps)


def _merge(instances: list[Instance], out: _Collector) -> dict[str, list[Instance]]:
    """Instances grouped by claim id (same table and natural key = same claim), in table order."""
    groups: dict[str, dict[str, list[Instance]]] = {t: {} for t in schema.claim_tables()}
    # Parents first: a nested claim's key holds its parent's id.
    for inst in sorted(instances, key=lambda i: i.parent is not None):
        if inst.parent is not None:
            inst.values["study_id"] = inst.parent.claim_id
        inst.claim_id = keys.claim_id(inst.table, keys.natural_key(inst.table, inst.values, inst.steps))
        groups[inst.table].setdefault(inst.claim_id, []).append(inst)
    for table, by_id in groups.items():
        key_cols = set(schema.natural_key(table))
        stated = set(schema.stated_fields(table))
        for same in by_id.values():
            first = same[0]
            for other in same[1:]:
                for col, value in other.values.items():
                    mine = first.values.get(col)
                    if col in key_cols or value is None:
                        continue
                    if mine is None:
                        first.values[col] = value
                    elif keys.normal(mine) != keys.normal(value) and col not in stated:
                        out.at(
                            "merge",
                            f"the same claim is stated in {first.path}:{first.claim.line} with {col} {mine!r}; "
                            f"make the two agree (or let them differ in a natural-key column: "
                            f"{', '.join(schema.natural_key(table))})",
                            other.path,
                            other.claim,
                            col,
                        )
    return {t: by_id for t, by_id in groups.items()}


def _claim_rows(groups: dict[str, dict[str, list[Instance]]], origin: dict, out: _Collector) -> dict[str, list[dict]]:
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen_evidence: dict[str, dict[str, Any]] = {}
    for table, by_id in groups.items():
        pk = schema.primary_key(table)[0]
        for cid, same in by_id.items():
            first = same[0]
            row = {**first.values, pk: cid}
            rows[table].append(row)
            origin[(table, cid)] = Origin(first.path, first.claim)
            for child in schema.child_tables(table):
                for step in first.steps:
                    rows[child].append({**step, schema.primary_key(child)[0]: cid})
                    origin[(child, (cid, step["step"]))] = Origin(first.path, first.claim, child, step["step"], step["_lines"])
            for inst in same:
                for ev in inst.evidence:
                    eid = keys.evidence_id(table, cid, ev["source_id"], ev["quote_start"], ev["quote_end"])
                    if eid in seen_evidence:  # the same quote given twice for one claim: one row
                        prev = seen_evidence[eid]
                        prev["inferred"] = sorted(set(prev["inferred"]) | set(ev["inferred"]))
                        prev["note"] = "; ".join(filter(None, dict.fromkeys([prev["note"], ev["note"]])))
                        continue
                    erow = {**ev, "evidence_id": eid, "claim_table": table, "claim_id": cid}
                    seen_evidence[eid] = erow
                    rows["evidence"].append(erow)
                    origin[("evidence", eid)] = Origin(inst.path, inst.claim, lines={"": ev["line"]})
    for erow in rows["evidence"]:
        # Schema order: the claim's own fields, then its child tables' (dosing steps), then any other.
        tables = [erow["claim_table"], *schema.child_tables(erow["claim_table"])]
        order = list(dict.fromkeys(f["name"] for t in tables for f in schema.fields(t)))
        inferred = sorted(set(erow.pop("inferred")), key=lambda n: (order.index(n) if n in order else len(order), n))
        erow["inferred_fields"] = ";".join(inferred) or None
        erow["support"] = "inferred" if inferred else "stated"
        erow["curation_note"] = erow.pop("note") or None
    return rows


# ---- derived columns and entities -------------------------------------------------------------


def _derive(root: Path, rows: dict[str, list[dict[str, Any]]], origin: dict, out: _Collector) -> None:
    support: dict[str, str] = {}
    for e in rows["evidence"]:
        if support.get(e["claim_id"]) != "stated":
            support[e["claim_id"]] = e["support"]
    for table in schema.claim_tables():
        pk = schema.primary_key(table)[0]
        for r in rows[table]:
            r["support"] = support.get(r[pk], "inferred")

    refs = reference.drugs(root)
    used = sorted({r["drug_id"] for t in schema.claim_tables() for r in rows[t] if r.get("drug_id")})
    studies = {r["study_id"]: r for r in rows["studies"]}
    for r in rows["trial_results"]:
        r["drug_id"] = studies[r["study_id"]]["drug_id"]
    named = {r["drug_id"] for r in rows["drug_names"]}
    for drug_id in used:
        ref = refs.get(drug_id)
        if ref is None and drug_id not in named:  # a typo would otherwise become a new drug
            near = difflib.get_close_matches(drug_id, sorted(set(refs) | named), n=1)
            msg = f"drug {drug_id!r} is in no reference file and no drug_names claim names it" + (
                f" (did you mean {near[0]!r}?)" if near else ""
            )
            out.problems.append(_first_origin(origin, rows, drug_id).problem(Problem("reference", msg, field="drug_id")))
            continue
        rows["drugs"].append(
            {
                "drug_id": drug_id,
                "inn": ref.inn if ref else drug_id,
                "drugbank_id": ref.drugbank_id if ref else None,
                "unii": ref.unii if ref else None,
                "antibody_format": ref.antibody_format if ref else None,
                "isotype": ref.isotype if ref else None,
                "light_chain": ref.light_chain if ref else None,
                "reference_sequence_source": _single(reference_values(ref, "sequence_source")) if ref else None,
                "reference_highest_phase": ref.highest_phase if ref else None,
                "reference_targets": ref.targets if ref else None,
            }
        )
        if ref and ref.unii_conflict:
            msg = f"DrugBank UNII {ref.unii} of {drug_id} differs from the FDA UNII file ({ref.unii_conflict})"
            out.problems.append(_first_origin(origin, rows, drug_id).problem(Problem("reference", msg, field="drug_id")))

    for r in rows["drug_names"]:
        ref = refs.get(r["drug_id"])
        r["in_reference"] = bool(ref and r["name"].casefold() in ref.names)
    for r in rows["drug_properties"]:
        allowed = reference_values(refs.get(r["drug_id"]), r["property"])
        r["reference_value"] = ";".join(allowed) if allowed else None
        r["matches_reference"] = (r["value"] in allowed) if allowed else None
    _cross_check_labels(rows)
    ctcae = schema.vocabulary("ctcae_term")
    for r in rows["adverse_events"]:
        r["soc"] = ctcae.broader(r["ctcae_term"]) if r.get("ctcae_term") else None

    genes = reference.genes(root)
    others = reference.nonprotein_targets(root)
    for target_id in sorted({r["target_id"] for r in rows["drug_targets"]}):
        gene = genes.get(target_id)
        if gene is None and others.get(target_id.casefold()) == target_id:
            rows["targets"].append({"target_id": target_id, "target_type": "non-protein", "name": target_id})
            continue
        if gene is None:
            first = next(r for r in rows["drug_targets"] if r["target_id"] == target_id)
            msg = (
                f"{target_id!r} is not an HGNC symbol in reference/hgnc, nor a non-protein target Thera-SAbDab names "
                "(run scripts/update_reference.py)"
            )
            out.problems.append(
                origin[("drug_targets", first["drug_target_id"])].problem(Problem("reference", msg, field="target_id"))
            )
            continue
        rows["targets"].append(
            {
                "target_id": gene.symbol,
                "target_type": "gene product",
                "hgnc_id": gene.hgnc_id,
                "uniprot_id": gene.uniprot_id,
                "name": gene.name,
            }
        )

    diseases = reference.diseases(root)
    mentions: dict[str, tuple[str, str]] = {}
    for table in ("indications", "regimens", "studies"):
        pk = schema.primary_key(table)[0]
        for r in rows[table]:
            if r.get("condition_id"):
                mentions.setdefault(r["condition_id"], (table, r[pk]))
    for condition_id, where in sorted(mentions.items()):
        disease = diseases.get(condition_id)
        if disease is None:
            msg = f"{condition_id!r} is not a Disease Ontology id in reference/disease_ontology (run scripts/update_reference.py)"
            out.problems.append(origin[where].problem(Problem("reference", msg, field="condition_id")))
            continue
        rows["conditions"].append(
            {
                "condition_id": disease.doid,
                "name": disease.name,
                "mesh_ids": disease.mesh_ids,
                "ncit_ids": disease.ncit_ids,
                "ancestor_ids": ";".join(sorted(disease.ancestors, key=lambda d: int(d.split(":")[1]))) or None,
            }
        )


def _cross_check_labels(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Set each FDA label's unii_check and route_check (`corroborate.label_cross_checks`, which
    `mabdata validate` recomputes); the result is data, not an error."""
    import polars as pl

    from mabdata.corroborate import label_cross_checks

    def frame(name: str, cols: list[str]) -> pl.DataFrame:
        return pl.DataFrame([{c: r.get(c) for c in cols} for r in rows[name]], schema=dict.fromkeys(cols, pl.String))

    checks = label_cross_checks(
        {
            "evidence": frame("evidence", ["claim_table", "claim_id", "source_id"]),
            "drug_names": frame("drug_names", ["name_id", "drug_id"]),
            "drugs": frame("drugs", ["drug_id", "unii"]),
            "regimens": frame("regimens", ["regimen_id", "route"]),
            "sources": frame("sources", ["source_id", "kind", "openfda_uniis", "openfda_routes"]),
        }
    )
    found = {sid: (u, r) for sid, u, r in checks.iter_rows()}
    for s in rows["sources"]:
        if s["source_id"] in found:
            s["unii_check"], s["route_check"] = found[s["source_id"]]


def _first_origin(origin: dict, rows: dict, drug_id: str) -> Origin:
    for table in schema.claim_tables():
        pk = schema.primary_key(table)[0]
        for r in rows[table]:
            if r.get("drug_id") == drug_id:
                return origin[(table, r[pk])]
    raise KeyError(drug_id)


def _single(values: list[str]) -> str | None:
    return values[0] if len(values) == 1 else None


_GENETICS = {"Chimeric and/or humanised": ["chimeric", "humanized"], "Chimeric and humanised": ["chimeric", "humanized"]}


def reference_values(ref: reference.DrugReference | None, prop: str) -> list[str]:
    """The values a reference file gives for a stated property, normalized to its vocabulary
    (several for a bispecific's two arms or Thera-SAbDab's "Chimeric and/or humanised")."""
    if ref is None:
        return []
    raw = {
        "sequence_source": ref.genetics,
        "isotype": ref.isotype,
        "light_chain": ref.light_chain,
        "molecule_type": ref.antibody_format,
    }.get(prop)
    vocab = schema.property_vocabulary(prop)
    if not raw or not vocab:
        return []
    by_code = {r["code"].casefold(): r["term"] for r in schema.vocabulary(vocab).rows if r["code"]}
    found: list[str] = []
    for part in raw.split(";"):
        part = part.strip()
        for term in _GENETICS.get(part, [by_code.get(part.casefold()) or schema.vocabulary(vocab).resolve(part)]):
            if term and term not in found:
                found.append(term)
    return found


# ---- assembly --------------------------------------------------------------------------------


def build_tables(root: Path, only: set[str] | None = None) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    """All tables as DataFrames with declared dtypes, and the source texts (bytes) by source_id.

    With `only` (source ids), just those sources are built and checked (`mabdata check`): a
    curator's file is checked by every rule without waiting for the others.
    Raises MabdataError listing every problem, each traced to its curation file and line."""
    out = _Collector()
    documents = _web_documents(root, out) + _label_documents(root, out)
    if only is not None:
        out.problems = [p for p in out.problems if Path(p.file or "").stem in only]
        documents = [d for d in documents if d.source_id in only]
    if not documents:
        out.file("source", "no source documents (seeds/*.txt or labels/raw/*.json)", root / "seeds")
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    instances: list[Instance] = []
    for doc in sorted(documents, key=lambda d: d.source_id):
        try:
            cur = curation.read(doc.curation_path)
        except MabdataError as exc:
            out.problems += exc.problems
            continue
        _check_source_block(doc, cur, out)
        rows["sources"].append(_source_row(doc, cur))
        for s in doc.sections:
            rows["source_sections"].append(
                {
                    "source_id": doc.source_id,
                    "section": s.section,
                    "part": s.part,
                    "parent_section": s.parent,
                    "section_start": s.start,
                    "section_end": s.end,
                }
            )
        instances += _instances(doc, cur, out)

    origin: dict[tuple[str, Any], tuple] = {}
    groups = _merge(instances, out)
    rows.update(_claim_rows(groups, origin, out))
    _derive(root, rows, origin, out)
    if out.problems:  # later rules would only repeat these causes
        raise MabdataError(_relative(out.problems, root))

    tables = {}
    for name in schema.table_names():
        if schema.kind(name) == "derived":
            continue
        cols = schema.field_names(name)
        df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows[name]], columns=cols)
        tables[name] = schema.cast(df, name).sort_values(schema.primary_key(name), kind="stable").reset_index(drop=True)
    tables["corroborations"] = corroborate(tables)
    tables = {name: tables[name] for name in schema.table_names()}
    texts = {d.source_id: d.text for d in documents}
    for p in rules.all_rules(tables, texts):
        if only is None or p.check != "non-empty":
            out.problems.append(_locate(p, tables, origin))
    if out.problems:
        raise MabdataError(_relative(out.problems, root))
    return tables, {d.source_id: d.data for d in documents}


def _locate(p: Problem, tables: dict[str, pd.DataFrame], origin: dict) -> Problem:
    """A rule's problem (table, row, field) moved to the curation file and line it came from."""
    if not p.table or not p.row:
        return p
    df = tables[p.table]
    pk = schema.primary_key(p.table)
    key = df[pk[0]].iloc[p.row - 1] if len(pk) == 1 else tuple(df[c].iloc[p.row - 1] for c in pk)
    if p.table == "dosing_steps":
        key = (key[0], int(key[1]))
    found = origin.get((p.table, key))
    return p if found is None else found.problem(p)


def _relative(problems: list[Problem], root: Path) -> list[Problem]:
    out = []
    for p in problems:
        if p.file and Path(p.file).is_absolute() and Path(p.file).is_relative_to(root):
            p = replace(p, file=Path(p.file).relative_to(root).as_posix())
        out.append(p)
    return out
