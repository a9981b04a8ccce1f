"""Regenerate the reference subsets in reference/ and the reference-derived vocabularies.

Identifiers in mabdata come only from the openly licensed files in ../shared/vocab (each
with a SOURCE.txt giving origin and license). This script copies the rows the curation
files need, unchanged, into reference/<name>/ together with that SOURCE.txt, and writes the
closed vocabularies that are whole reference lists (CTCAE v5.0 terms and SOCs, FDA SPL
routes) into schema/vocabularies/. Run it after adding a drug, target or condition:

    python scripts/update_reference.py [--vocab ../shared/vocab]

Subset rules (so the subset can be re-derived from the full file):
- HGNC: rows whose symbol is a `target_id` in any curation file (seeds/*.yaml, labels/*.yaml).
- Disease Ontology: non-obsolete terms whose id is a `condition_id` in any curation file.
- DrugBank, FDA UNII names, Thera-SAbDab: rows of the drugs the curation files name
  (matched on the INN; UNII rows by the UNII that DrugBank gives; for a conjugate such as
  brentuximab vedotin also Thera-SAbDab's row of its antibody, which is how it lists them).
- CTCAE v5.0 (the NCI workbook, unmodified since 2017) terms with their SOC and
  definition, without the MedDRA codes (MedDRA is licensed; CTCAE names are NCI's).
  v6.0 exists in ../shared but its workbook was re-saved by a third party, so it is not used.
- FDA SPL routes: all 123 terms with their NCIt codes.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import gzip
import io
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _claims(doc: dict) -> list[dict]:
    """Every claim mapping of a curation file, nested ones (study results) included."""
    out = []
    for key, items in doc.items():
        if key == "source" or not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict):
                out.append(item)
                out += [r for r in item.get("results") or [] if isinstance(r, dict)]
    return out


def curated_ids() -> tuple[set[str], set[str], set[str]]:
    """Drug INNs, target symbols and DOIDs named in the curation files."""
    drugs: set[str] = set()
    targets: set[str] = set()
    conditions: set[str] = set()
    paths = sorted((ROOT / "seeds").glob("*.yaml")) + sorted((ROOT / "labels").glob("*.yaml"))
    for path in paths:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:  # a file mid-edit must not stop the others' identifiers
            print(f"warning: skipped {path.relative_to(ROOT)} (not valid YAML: {exc.__class__.__name__})")
            continue
        for row in _claims(doc):
            if row.get("drug_id"):
                drugs.add(str(row["drug_id"]).lower())
            if row.get("target_id"):
                targets.add(str(row["target_id"]))
            if row.get("condition_id"):
                conditions.add(str(row["condition_id"]))
    return drugs, targets, conditions


WRITTEN: set[Path] = set()


def write_text(path: Path, text: str) -> None:
    """Write atomically (temporary file, then rename): a build reading reference/ meanwhile sees
    either the old or the new file, never a missing or half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)
    WRITTEN.add(path)


def copy_source_note(vocab: Path, folder: str, rule: str) -> None:
    note = (vocab / folder / "SOURCE.txt").read_text(encoding="utf-8")
    head = f"SUBSET made by scripts/update_reference.py from ../shared/vocab/{folder}/.\nRule: {rule}\n\n"
    write_text(ROOT / "reference" / folder / "SOURCE.txt", head + note)


def subset_hgnc(vocab: Path, symbols: set[str]) -> None:
    with gzip.open(vocab / "hgnc" / "hgnc_complete_set.txt.gz", "rt", encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    header, rows = lines[0], [ln for ln in lines[1:] if ln]
    kept = [ln for ln in rows if ln.split("\t")[1] in symbols]
    missing = symbols - {ln.split("\t")[1] for ln in kept}
    missing -= nonprotein_targets(vocab)  # named by Thera-SAbDab, not HGNC (e.g. Ganglioside GD2)
    if missing:  # the build names the claim that uses it
        print(f"warning: HGNC has no approved symbol {sorted(missing)}")
    write_text(ROOT / "reference/hgnc/hgnc_subset.tsv", "\n".join([header, *sorted(kept)]) + "\n")
    copy_source_note(vocab, "hgnc", "rows of hgnc_complete_set.txt.gz whose symbol is a curated target; rows unchanged.")


def nonprotein_targets(vocab: Path) -> set[str]:
    """Thera-SAbDab target names that are no gene symbol list (e.g. "Ganglioside GD2")."""
    with open(vocab / "therasabdab" / "TheraSAbDab_SeqStruc_OnlineDownload.csv", encoding="utf-8", newline="") as fh:
        targets = {p.strip() for r in csv.DictReader(fh) for p in r["Target"].split(";")}
    return {t for t in targets if t and "/" not in t and not t.isupper()}


def parse_obo(text: str) -> list[dict[str, list[str]]]:
    terms = []
    for stanza in text.split("\n\n"):
        if not stanza.startswith("[Term]"):
            continue
        term: dict[str, list[str]] = {}
        for line in stanza.splitlines()[1:]:
            key, _, value = line.partition(": ")
            term.setdefault(key, []).append(value)
        terms.append(term)
    return terms


def subset_doid(vocab: Path, ids: set[str]) -> None:
    with gzip.open(vocab / "disease_ontology" / "doid.obo.gz", "rt", encoding="utf-8") as fh:
        terms = parse_obo(fh.read())
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(["doid", "name", "synonyms", "mesh_ids", "ncit_ids", "is_a", "ancestors"])
    parents = {t["id"][0]: [v.split(" ! ")[0] for v in t.get("is_a", [])] for t in terms}

    def ancestors(doid: str) -> list[str]:
        seen: set[str] = set()
        todo = list(parents.get(doid, []))
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo += parents.get(p, [])
        return sorted(seen, key=lambda d: int(d.split(":")[1]))

    found = set()
    for term in sorted(terms, key=lambda t: int(t["id"][0].split(":")[1])):
        doid = term["id"][0]
        if doid not in ids or term.get("is_obsolete") == ["true"]:
            continue
        found.add(doid)
        synonyms = [s.split('"')[1] for s in term.get("synonym", [])]
        xrefs = term.get("xref", [])
        writer.writerow(
            [
                doid,
                term["name"][0],
                "|".join(synonyms),
                ";".join(x for x in xrefs if x.startswith("MESH:")),
                ";".join(x for x in xrefs if x.startswith("NCI:")),
                ";".join(v.split(" ! ")[0] for v in term.get("is_a", [])),
                ";".join(ancestors(doid)),
            ]
        )
    if ids - found:  # the build names the claim that uses it
        print(f"warning: Disease Ontology has no live term {sorted(ids - found)}")
    write_text(ROOT / "reference/disease_ontology/doid_subset.tsv", out.getvalue())
    copy_source_note(
        vocab,
        "disease_ontology",
        "non-obsolete [Term] stanzas of doid.obo.gz whose id is a curated condition; "
        "columns id, name, synonym texts, MESH/NCI xrefs, is_a, and all ancestors (transitive is_a).",
    )


def raw_csv_records(text: str) -> list[tuple[list[str], str]]:
    """Each CSV record with its exact source text (some quoted fields span several lines)."""
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    out, start = [], 0
    for row in reader:
        out.append((row, "".join(lines[start : reader.line_num])))
        start = reader.line_num
    return out


def subset_drugs(vocab: Path, inns: set[str]) -> None:
    db_path = vocab / "drugbank_vocab" / "drugbank_vocabulary.csv"
    records = raw_csv_records(db_path.read_text(encoding="utf-8"))
    kept = [(row, raw) for row, raw in records[1:] if row[2].lower() in inns]
    uniis = {row[4] for row, _ in kept if row[4]}
    write_text(ROOT / "reference/drugbank_vocab/drugbank_subset.csv", records[0][1] + "".join(raw for _, raw in kept))
    copy_source_note(
        vocab, "drugbank_vocab", "rows of drugbank_vocabulary.csv whose Common name is a curated INN; rows unchanged."
    )

    unii_path = vocab / "fda_unii_mab_subset" / "UNII_Names_mab_subset.txt"
    unii_lines = unii_path.read_bytes().decode("utf-8").split("\r\n")
    kept = [ln for ln in unii_lines[1:] if ln and ln.split("\t")[2] in uniis]
    write_text(ROOT / "reference/fda_unii_mab_subset/unii_names_subset.tsv", "\n".join([unii_lines[0], *kept]) + "\n")
    copy_source_note(
        vocab,
        "fda_unii_mab_subset",
        "rows of UNII_Names_mab_subset.txt whose UNII is the DrugBank UNII of a curated drug; "
        "rows unchanged, CRLF written as LF.",
    )

    tsd_path = vocab / "therasabdab" / "TheraSAbDab_SeqStruc_OnlineDownload.csv"
    tsd_lines = tsd_path.read_text(encoding="utf-8").splitlines()
    antibodies = inns | {i.split()[0] for i in inns if len(i.split()) == 2 and i.split()[0].endswith("mab")}
    kept = [ln for ln in tsd_lines[1:] if ln.split(",", 1)[0].lower() in antibodies]
    write_text(ROOT / "reference/therasabdab/therasabdab_subset.csv", "\n".join([tsd_lines[0], *kept]) + "\n")
    copy_source_note(
        vocab,
        "therasabdab",
        "rows of the Thera-SAbDab export whose Therapeutic is a curated INN, or the antibody (first word) of a curated "
        "two-word conjugate INN; rows unchanged.",
    )


def write_vocab(name: str, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(ROOT / "schema/vocabularies" / f"{name}.csv", out.getvalue())


def ctcae_and_routes(vocab: Path) -> None:
    with open(vocab / "ctcae" / "CTCAE_v5.0_clean_copy.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    terms = sorted({(r["CTCAE Term"], r["MedDRA SOC"], r["Definition"]) for r in rows})
    write_vocab(
        "ctcae_term",
        ["term", "code", "system", "synonyms", "description", "broader"],
        [[t, "", "CTCAE v5.0", "", d, soc] for t, soc, d in terms],
    )
    socs = sorted({soc for _, soc, _ in terms})
    write_vocab(
        "ctcae_soc", ["term", "code", "system", "synonyms", "description"], [[s, "", "CTCAE v5.0 SOC", "", ""] for s in socs]
    )
    copy_source_note(
        vocab,
        "ctcae",
        "CTCAE_v5.0_clean_copy.tsv -> schema/vocabularies/ctcae_term.csv (term, SOC, definition; MedDRA codes dropped).",
    )

    with open(vocab / "route_fda_spl" / "fda_spl_route_of_administration.tsv", encoding="utf-8", newline="") as fh:
        routes = list(csv.DictReader(fh, delimiter="\t"))
    write_vocab(
        "route",
        ["term", "code", "system", "synonyms", "description"],
        [
            [r["spl_route_name"], r["nci_code"], "FDA SPL route (NCIt)", "", ""]
            for r in sorted(routes, key=lambda r: r["spl_route_name"])
        ],
    )
    copy_source_note(vocab, "route_fda_spl", "all rows of fda_spl_route_of_administration.tsv -> schema/vocabularies/route.csv.")


def write_tsv(rel: str, header: list[str], rows: list[tuple[str, ...]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(sorted(set(rows)))
    write_text(ROOT / rel, out.getvalue())


def lexicons(vocab: Path) -> None:
    """Whole-vocabulary name lists for the draft extractor (mabdata draft): every therapeutic
    antibody name, protein-coding gene symbol and alias, and disease name and synonym."""
    with open(vocab / "therasabdab" / "TheraSAbDab_SeqStruc_OnlineDownload.csv", encoding="utf-8", newline="") as fh:
        tsd = list(csv.DictReader(fh))
    rows = []
    for r in tsd:
        inn = r["Therapeutic"].strip().lower()
        rows.append((r["Therapeutic"].strip(), inn, "inn", "Thera-SAbDab"))
        for alt in filter(None, (a.strip() for a in r["Alternative Therapeutic Names"].split(";"))):
            rows.append((alt, inn, "alias", "Thera-SAbDab"))
    unii_lines = (vocab / "fda_unii_mab_subset" / "UNII_Names_mab_subset.txt").read_bytes().decode("utf-8").split("\r\n")
    kinds = {"bn": "brand", "cd": "code"}
    for line in unii_lines[1:]:
        parts = line.split("\t")
        if len(parts) == 4 and parts[1] in kinds and len(parts[0]) <= 40:
            rows.append((parts[0], parts[3].lower(), kinds[parts[1]], "FDA UNII"))
    write_tsv("reference/lexicon/antibodies.tsv", ["name", "inn", "kind", "origin"], rows)

    with gzip.open(vocab / "hgnc" / "hgnc_complete_set.txt.gz", "rt", encoding="utf-8", newline="") as fh:
        genes = list(csv.DictReader(fh, delimiter="\t"))
    rows = []
    for g in genes:
        if g["locus_group"] != "protein-coding gene":
            continue
        names = [g["symbol"], *g["alias_symbol"].strip('"').split("|"), *g["prev_symbol"].strip('"').split("|")]
        for n in filter(None, names):
            rows.append((n, g["symbol"], g["hgnc_id"]))
    write_tsv("reference/lexicon/genes.tsv", ["name", "symbol", "hgnc_id"], rows)

    with gzip.open(vocab / "disease_ontology" / "doid.obo.gz", "rt", encoding="utf-8") as fh:
        terms = parse_obo(fh.read())
    rows = []
    for t in terms:
        if t.get("is_obsolete") == ["true"] or not t["id"][0].startswith("DOID:"):
            continue
        rows.append((t["name"][0], t["id"][0], "name"))
        for syn in t.get("synonym", []):
            text, scope = syn.split('"')[1], syn.split('"')[2].split()[0]
            if scope in ("EXACT", "RELATED"):
                rows.append((text, t["id"][0], scope.lower()))
    write_tsv("reference/lexicon/diseases.tsv", ["name", "doid", "kind"], rows)
    write_text(
        ROOT / "reference/lexicon/SOURCE.txt",
        "Made by scripts/update_reference.py from ../shared/vocab: antibodies.tsv from Thera-SAbDab\n"
        "(CC BY 4.0, OPIG) and FDA UNII names (public domain); genes.tsv from the HGNC complete set\n"
        "(CC0; protein-coding genes: symbol, alias and previous symbols); diseases.tsv from doid.obo\n"
        "(CC0; names, EXACT and RELATED synonyms). Used only by `mabdata draft` to recognise terms;\n"
        "see the SOURCE.txt of each reference folder for origin and checksums.\n",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=Path, default=ROOT.parent / "shared" / "vocab")
    args = parser.parse_args()
    if not args.vocab.is_dir():
        raise SystemExit(f"reference folder not found: {args.vocab}")
    # Several curators may run this at once: one at a time, or one would delete what another writes.
    with open(ROOT / ".update_reference.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        drugs, targets, conditions = curated_ids()
        subset_hgnc(args.vocab, targets)
        subset_doid(args.vocab, conditions)
        subset_drugs(args.vocab, drugs)
        ctcae_and_routes(args.vocab)
        lexicons(args.vocab)
        for path in sorted((ROOT / "reference").rglob("*")):  # files no rule writes any more
            if path.is_file() and path not in WRITTEN:
                path.unlink()
    print(f"reference subsets: {len(drugs)} drugs, {len(targets)} targets, {len(conditions)} conditions")


if __name__ == "__main__":
    main()
