"""Disease names from the Human Disease Ontology, as a reaction lexicon that no annotation taught.

    python -m mabdata.adr.ontology ../shared/vocab/disease_ontology/doid.obo.gz   # rewrites data/disease_terms.txt

Labels name many reactions that CTCAE lacks and that no training label happened to annotate
("phimosis", "thrombotic microangiopathy", "focal nodular hyperplasia"). Disease Ontology (CC0)
names most of them. Only the names are kept (no identifiers): they are candidate strings, which
the ranker weighs like any other (origin "disease"); a disease named in an indication or in
"patients with ..." is no reaction, and the context rules and the ranker see to that.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from mabdata.adr.lexicon import DATA, DISEASE_FILE

# Upper classes of the ontology and names too general to be a reaction on their own.
_TOO_GENERAL = frozenset({"disease", "syndrome", "disorder", "cancer", "carcinoma", "infection", "infectious disease"})
_BAD_CHARS = re.compile(r"[,;:()\[\]/\"]")
MAX_WORDS = 6


def _stanzas(lines: Iterable[str]) -> Iterator[dict[str, list[str]]]:
    term: dict[str, list[str]] | None = None
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith("["):
            if term is not None:
                yield term
            term = {} if line == "[Term]" else None
        elif term is not None and ": " in line:
            tag, value = line.split(": ", 1)
            term.setdefault(tag, []).append(value)
    if term is not None:
        yield term


def disease_names(obo: Path) -> list[str]:
    """Names and exact synonyms of the non-obsolete terms, lowercased, deduplicated, sorted.

    Left out: upper classes ("disease of anatomical entity"), names with punctuation, digits or
    more than MAX_WORDS words, and all-capital synonyms (acronyms such as "MS" stand for too many things).
    """
    opener = gzip.open if obo.suffix == ".gz" else open
    out: set[str] = set()
    with opener(obo, "rt", encoding="utf-8") as fh:
        for term in _stanzas(fh):
            if term.get("is_obsolete") == ["true"]:
                continue
            names = list(term.get("name", []))
            for syn in term.get("synonym", []):
                m = re.match(r'"(.*)" EXACT', syn)
                if m:
                    names.append(m.group(1))
            for name in names:
                if name.isupper() or _BAD_CHARS.search(name) or any(ch.isdigit() for ch in name):
                    continue
                low = " ".join(name.lower().split())
                general = low in _TOO_GENERAL or " of anatomical entity" in low or low.startswith("disease of ")
                if general or len(low.split()) > MAX_WORDS:
                    continue
                out.add(low)
    return sorted(out)


HEADER = """# Disease names (Human Disease Ontology, release 2024-01-31, CC0 1.0; Schriml et al. 2022, NAR 50:D1255):
# non-obsolete term names and exact synonyms, filtered by mabdata.adr.ontology. Names only, no identifiers.
# Regenerate: python -m mabdata.adr.ontology ../shared/vocab/disease_ontology/doid.obo.gz
"""


def render(names: list[str]) -> str:
    return HEADER + "".join(n + "\n" for n in names)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("obo", type=Path, help="doid.obo or doid.obo.gz")
    args = ap.parse_args(argv)
    names = disease_names(args.obo)
    (DATA / DISEASE_FILE).write_text(render(names), encoding="utf-8")
    print(f"{len(names)} disease names -> {DATA / DISEASE_FILE}")


if __name__ == "__main__":
    main()
