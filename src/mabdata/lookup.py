"""`mabdata lookup`: find the identifier or vocabulary term for words a curator reads.

Searches the whole reference vocabularies the project ships (reference/lexicon: every Disease
Ontology name and synonym, HGNC protein-coding symbol and alias, Thera-SAbDab / FDA UNII
antibody name) and any closed vocabulary in schema/vocabularies (e.g. ctcae_term, route,
unit). Exact (case-insensitive) matches first, then names containing the words, then close
spellings. It only proposes: the curator picks, and `mabdata build` accepts an identifier only
once scripts/update_reference.py has copied it into reference/.
"""

from __future__ import annotations

import csv
import difflib
from functools import cache

from mabdata import schemas as schema
from mabdata.paths import lexicon_dir

LEXICONS = {
    "disease": ("diseases.tsv", "doid"),
    "gene": ("genes.tsv", "symbol"),
    "antibody": ("antibodies.tsv", "inn"),
}


@cache
def _lexicon(kind: str) -> tuple[tuple[str, str], ...]:
    name, id_col = LEXICONS[kind]
    with open(lexicon_dir() / name, encoding="utf-8", newline="") as fh:
        return tuple((r["name"], r[id_col]) for r in csv.DictReader(fh, delimiter="\t"))


@cache
def _preferred(kind: str) -> dict[str, str]:
    """The preferred name of each identifier (a disease's DO name, a gene's symbol)."""
    if kind != "disease":
        return {}
    with open(lexicon_dir() / "diseases.tsv", encoding="utf-8", newline="") as fh:
        return {r["doid"]: r["name"] for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "name"}


def _entries(kind: str) -> tuple[tuple[str, str], ...]:
    if kind in LEXICONS:
        return _lexicon(kind)
    return tuple((t, t) for t in schema.vocabulary(kind).lookup) if kind in schema.vocabulary_names() else ()


def search(kind: str, text: str, limit: int = 10) -> list[tuple[str, str, str]]:
    """(matched name, identifier or term, preferred name) for the best matches of `text`."""
    if kind not in LEXICONS and kind not in schema.vocabulary_names():
        raise KeyError(f"unknown kind {kind!r}; use one of {', '.join([*LEXICONS, *schema.vocabulary_names()])}")
    entries = _entries(kind)
    resolve = (lambda k: schema.vocabulary(kind).lookup[k]) if kind not in LEXICONS else (lambda k: k)
    q = " ".join(text.split()).casefold()
    words = q.split()
    exact = [(n, i) for n, i in entries if n.casefold() == q]
    contains = sorted(
        ((n, i) for n, i in entries if all(w in n.casefold() for w in words) and n.casefold() != q),
        key=lambda e: (len(e[0]), e[0]),
    )
    by_name = {n.casefold(): (n, i) for n, i in entries}
    close = [by_name[m] for m in difflib.get_close_matches(q, list(by_name), n=limit, cutoff=0.75)]
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for name, ident in exact + contains + close:
        ident = resolve(ident) if kind not in LEXICONS else ident
        if (name.casefold(), ident) in seen:
            continue
        seen.add((name.casefold(), ident))
        out.append((name, ident, _preferred(kind).get(ident, ident)))
        if len(out) >= limit:
            break
    return out


def format_results(results: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"{ident}\t{preferred}\t(matched: {name})" for name, ident, preferred in results)
