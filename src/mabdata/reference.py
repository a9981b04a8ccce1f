"""Identifiers and reference facts, read only from the subsets in reference/.

The subsets are copied unchanged from ../shared/vocab by scripts/update_reference.py, each
folder with the SOURCE.txt that gives its origin and license. Nothing here is typed in
by hand: an entity missing from these files gets empty identifier columns.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mabdata.paths import project_root

# Folder under reference/ -> (title, license, path of the note) for the package's `sources`.
REFERENCE_SOURCES = {
    "hgnc": ("HGNC complete set (genenames.org), about 2024-10", "CC0-1.0"),
    "disease_ontology": ("Human Disease Ontology release 2024-01-31", "CC0-1.0"),
    "drugbank_vocab": ("DrugBank open vocabulary", "CC0-1.0"),
    "fda_unii_mab_subset": ("FDA GSRS UNII names", "US public domain"),
    "therasabdab": ("Thera-SAbDab (Oxford Protein Informatics Group), Feb 2025", "CC-BY-4.0"),
    "ctcae": ("NCI CTCAE v5.0 terms and SOCs (without MedDRA codes)", "US public domain"),
    "route_fda_spl": ("FDA SPL route of administration terms with NCIt codes", "US public domain; NCIt CC-BY-4.0"),
}


def reference_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "reference"


def _rows(path: Path, delimiter: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@dataclass(frozen=True)
class Gene:
    symbol: str
    hgnc_id: str
    name: str
    uniprot_id: str | None


@dataclass(frozen=True)
class Disease:
    doid: str
    name: str
    mesh_ids: str | None
    ncit_ids: str | None
    ancestors: frozenset[str]  # every broader Disease Ontology term (transitive is_a)


@dataclass(frozen=True)
class DrugReference:
    inn: str
    drugbank_id: str | None
    unii: str | None
    antibody_format: str | None
    isotype: str | None
    light_chain: str | None
    genetics: str | None
    highest_phase: str | None
    targets: str | None
    companies: tuple[str, ...]
    names: frozenset[str]  # casefolded names from all three files
    unii_conflict: str | None  # UNII in the FDA file when it differs from DrugBank's


@cache
def genes(root: Path | None = None) -> dict[str, Gene]:
    out = {}
    for r in _rows(reference_dir(root) / "hgnc" / "hgnc_subset.tsv", "\t"):
        out[r["symbol"]] = Gene(r["symbol"], r["hgnc_id"], r["name"], r["uniprot_ids"].replace("|", ";") or None)
    return out


@cache
def diseases(root: Path | None = None) -> dict[str, Disease]:
    return {
        r["doid"]: Disease(
            r["doid"], r["name"], r["mesh_ids"] or None, r["ncit_ids"] or None, frozenset(filter(None, r["ancestors"].split(";")))
        )
        for r in _rows(reference_dir(root) / "disease_ontology" / "doid_subset.tsv", "\t")
    }


@cache
def nonprotein_targets(root: Path | None = None) -> dict[str, str]:
    """Thera-SAbDab targets that are no HGNC gene (e.g. "Ganglioside GD2"), by casefolded name."""
    out = {}
    for r in _rows(reference_dir(root) / "therasabdab" / "therasabdab_subset.csv", ","):
        for part in filter(None, (p.strip() for p in r["Target"].split(";"))):
            if "/" not in part and not part.isupper():  # HGNC-style entries are SYMBOL/ALIAS lists in capitals
                out[part.casefold()] = part
    return out


def _na(value: str) -> str | None:
    value = (value or "").strip()
    return None if value in ("", "na", "None") else value


def conjugate_antibody(inn: str) -> str | None:
    """The antibody of a two-word conjugate INN (brentuximab vedotin -> brentuximab), else None."""
    words = inn.split()
    return words[0] if len(words) == 2 and words[0].endswith("mab") else None


@cache
def drugs(root: Path | None = None) -> dict[str, DrugReference]:
    """Reference facts by casefolded INN. Thera-SAbDab lists a conjugate under its antibody
    (Brentuximab, format "Whole mAb ADC") or lists only the naked antibody (Trastuzumab): a
    conjugate takes that row's antibody facts (genetics, isotype, light chain, targets), and its
    format and highest phase only when the row is the conjugate itself (an ADC or radiolabelled
    format), since the naked antibody's are not the conjugate's."""
    ref = reference_dir(root)
    bank = {r["Common name"].casefold(): r for r in _rows(ref / "drugbank_vocab" / "drugbank_subset.csv", ",")}
    tsd = {r["Therapeutic"].casefold(): r for r in _rows(ref / "therasabdab" / "therasabdab_subset.csv", ",")}
    unii_rows = _rows(ref / "fda_unii_mab_subset" / "unii_names_subset.tsv", "\t")
    out = {}
    for inn in sorted(set(bank) | set(tsd)):
        b, t = bank.get(inn, {}), tsd.get(inn, {})
        same_molecule = bool(t)
        if not t and conjugate_antibody(inn) in tsd:
            t = tsd[conjugate_antibody(inn)]
            same_molecule = any(k in t["Format"] for k in ("ADC", "Radiolabelled"))
        names = {inn}
        if b:
            names |= {s.strip().casefold() for s in b["Synonyms"].split("|") if s.strip()}
        if t and same_molecule:
            names |= {s.strip().casefold() for s in t["Alternative Therapeutic Names"].split(";") if s.strip()}
        unii = _na(b.get("UNII", ""))
        fda = [r for r in unii_rows if r["Display Name"].casefold() == inn]
        # "NAME [INN]" and similar: the bracket names the list the name comes from.
        names |= {re.sub(r"\s*\[[^\]]*\]$", "", r["Name"]).casefold() for r in fda}
        fda_uniis = {r["UNII"] for r in fda}
        conflict = None
        if unii and fda_uniis and unii not in fda_uniis:
            conflict = ";".join(sorted(fda_uniis))
        out[inn] = DrugReference(
            inn=(b.get("Common name") or t.get("Therapeutic")).lower(),
            drugbank_id=_na(b.get("DrugBank ID", "")),
            unii=unii,
            antibody_format=_na(t.get("Format", "")) if same_molecule else None,
            isotype=_na(t.get("CH1 Isotype", "")),
            light_chain=_na(t.get("VD LC", "")),
            genetics=_na(t.get("Genetics (Bispecifics delimited with semicolon)", "")),
            highest_phase=_na(t.get("Highest_Clin_Trial (Feb '25)", "")) if same_molecule else None,
            targets=_na(t.get("Target", "")),
            companies=tuple(c.strip() for c in t.get("Companies", "").split(";") if c.strip()) if same_molecule else (),
            names=frozenset(names),
            unii_conflict=conflict,
        )
    return out
