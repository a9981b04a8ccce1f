"""Which drug a document is about, its names (drug_names), stated properties (drug_properties)
and the organizations it names (drug_organizations)."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from mabdata import schemas
from mabdata.draft.claims import Collector
from mabdata.draft.lexicon import Lexicon
from mabdata.draft.patterns import data, ordered, rx
from mabdata.draft.text import Document, Sentence


@dataclass
class Drug:
    """The drug of a document and the words that name it there."""

    inn: str
    surfaces: set[str] = field(default_factory=set)  # casefolded names the text uses for it
    mentions: list[tuple[int, int, str, str, str]] = field(default_factory=list)  # start, end, surface, inn, kind
    brand: str | None = None

    def named_in(self, s: str) -> bool:
        low = s.casefold()
        return any(n in low for n in self.surfaces)


def resolve(name: str, lex: Lexicon) -> str:
    """The drug_id of a name: its INN when the lexicon knows it, else the name without the FDA
    prefix and four-letter suffix ("ado-trastuzumab emtansine" -> "trastuzumab emtansine")."""
    cfg = data("properties")
    words = [re.sub(cfg["fda_suffix"], "", re.sub(cfg["fda_prefix"], "", w)) for w in name.casefold().split()]
    plain = " ".join(words)
    hit = lex.antibodies.get(plain) or lex.antibodies.get(name.casefold())
    return hit[0] if hit else plain


def _mentions(text: str, lex: Lexicon) -> list[tuple[int, int, str, str, str]]:
    """Antibody names in a text, exact or a close misspelling of an INN (preferring an INN the
    document itself names exactly): (start, end, surface, inn, kind)."""
    exact, unknown = [], []
    for m in re.finditer(r"[A-Za-z][A-Za-z0-9-]{2,}", text):
        word = m.group(0)
        hit = lex.antibodies.get(word.casefold())
        if hit:
            kind = "inn" if word.casefold() == hit[0] else hit[1]
            exact.append((m.start(), m.end(), word, hit[0], kind))
        elif word.casefold().endswith("mab"):
            unknown.append(m)
    named = sorted({e[3] for e in exact})
    out = list(exact)
    for m in unknown:
        word = m.group(0).casefold()
        close = difflib.get_close_matches(word, named, n=1, cutoff=0.7) or difflib.get_close_matches(
            word, lex.inns, n=1, cutoff=0.8
        )
        if close:
            out.append((m.start(), m.end(), m.group(0), close[0], "spelling_variant"))
    return sorted(out)


def identify(doc: Document, sents: list[Sentence], lex: Lexicon) -> Drug | None:
    """The document's drug: a label's openFDA generic name; else the antibody a web page names most."""
    if doc.is_label and doc.meta.get("generic_name"):
        inn = resolve(doc.meta["generic_name"], lex)
        drug = Drug(inn, {inn.casefold(), doc.meta["generic_name"].casefold()}, brand=doc.meta.get("brand_name"))
        if drug.brand:
            drug.surfaces.add(drug.brand.casefold())
        for m in re.finditer(rf"\b{re.escape(inn.split()[0])}(?:-[a-z]{{4}})?\b", doc.text, re.I):
            drug.surfaces.add(m.group(0).casefold())
        return drug
    spans = [(s.start, s.end) for s in sents]
    first_line_end = doc.text.find("\n")
    mentions = [m for m in _mentions(doc.text, lex) if m[0] < first_line_end or any(a <= m[0] and m[1] <= b for a, b in spans)]
    if not mentions:
        return None
    inn = Counter(m[3] for m in mentions).most_common(1)[0][0]
    drug = Drug(inn, {m[2].casefold() for m in mentions if m[3] == inn} | {inn}, mentions)
    return drug


def _reference_flag(lex: Lexicon, inn: str, name: str, name_type: str) -> tuple[str | None, str | None]:
    """The build flags a name no reference file gives for the drug (proper names and spelling
    variants are exempt); the draft says so up front."""
    if name_type in ("proper name", "spelling_variant") or name.casefold() in lex.reference_names.get(inn, frozenset()):
        return None, None
    return "not in reference", f"{name!r} is not among the reference files' names for {inn}; check it."


def drug_names(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    if doc.is_label:
        pat = rx("properties", "brand_and_name", 0)
        order = sorted(sents, key=lambda s: s.section != "description")  # the Description states them first
        for s in order:
            for m in pat.finditer(text, s.start, s.end):
                if resolve(m.group(2), lex) != drug.inn:
                    continue
                for name, kind in ((m.group(2), "proper name"), (m.group(1), "brand")):
                    flag, note = _reference_flag(lex, drug.inn, name, kind)
                    col.add(
                        "drug_names",
                        (s.start, s.end),
                        0.8,
                        {"drug_id": drug.inn, "name": name, "name_type": kind},
                        flag=flag,
                        note=note,
                    )
                return
        return
    types = data("lexicon")["name_types"]
    seen: set[str] = set()
    spans = [(s.start, s.end) for s in sents]
    title_end = text.find("\n")
    for a, _, surface, inn, kind in drug.mentions:
        name_type = "spelling_variant" if kind == "spelling_variant" else types.get(kind)
        if surface in seen or name_type is None:
            continue
        seen.add(surface)
        span = next(((x, y) for x, y in spans if x <= a < y), (0, title_end) if a < title_end else None)
        if span is None:
            continue
        flag, note = _reference_flag(lex, inn, surface, name_type)
        conf = 0.9 if name_type == "inn" else 0.6
        col.add("drug_names", span, conf, {"drug_id": inn, "name": surface, "name_type": name_type}, flag=flag, note=note)
    title = Sentence(0, title_end, None, -1)  # a web page's title line is quotable text too
    for s in [title, *sents]:
        for pat_key in ("brand_after_inn", "trade_names"):
            for m in rx("properties", pat_key, 0).finditer(text, s.start, s.end):
                if pat_key == "brand_after_inn":
                    hit = lex.antibodies.get(m.group(1).casefold())
                    found = [(m.start(2), m.end(2))] if hit and hit[0] == drug.inn else []
                else:
                    found = [(x.start() + m.start(1), x.end() + m.start(1)) for x in re.finditer(r"[A-Z][\w-]+", m.group(1))]
                for a, b in found:
                    name = text[a:b]
                    if name.casefold() in lex.antibodies and lex.antibodies[name.casefold()][0] != drug.inn:
                        continue
                    if name.casefold() == drug.inn:
                        continue
                    flag, note = _reference_flag(lex, drug.inn, name, "brand")
                    col.add(
                        "drug_names",
                        (s.start, s.end),
                        0.5,
                        {"drug_id": drug.inn, "name": name, "name_type": "brand"},
                        flag=flag,
                        note=note,
                    )


def _property_claim(col: Collector, s: Sentence, drug: Drug, prop: str, value: str, term: str, conf: float) -> None:
    from mabdata.build import reference_values
    from mabdata.reference import drugs

    try:
        allowed = reference_values(drugs().get(drug.inn), prop)
    except FileNotFoundError:
        allowed = []
    flag = note = None
    if allowed and value not in allowed:
        flag = "disagrees with reference"
        note = f"The reference files give {', '.join(allowed)} for {prop}; the source says {value}."
    col.add(
        "drug_properties",
        (s.start, s.end),
        conf,
        {"drug_id": drug.inn, "property": prop, "value": value, "term": term},
        flag=flag,
        note=note,
    )


def drug_properties(col: Collector, doc: Document, sents: list[Sentence], drug: Drug) -> None:
    text = doc.text
    where = {"description", "indications_and_usage", "mechanism_of_action"} if doc.is_label else None
    seq_vocab = schemas.vocabulary("sequence_source")
    for s in sents:
        if where is not None and s.section not in where:
            continue
        st = text[s.start : s.end]
        if not drug.named_in(st) and not re.match(r"(?:It|This (?:drug|medication|antibody))\b", st):
            continue
        about_antibody = re.search(r"antibod|\bmAb\b|IgG|immunoglobulin", st, re.I)
        if about_antibody:
            for value, pat in ordered("properties", "molecule_type"):
                m = pat.search(st)
                if m:
                    _property_claim(col, s, drug, "molecule_type", value, m.group(0), 0.8)
                    break
            m = rx("properties", "sequence_source").search(st)
            if m:
                value = seq_vocab.resolve(m.group(1).replace("humanised", "humanized"))
                if value:
                    _property_claim(col, s, drug, "sequence_source", value, m.group(1), 0.8)
            m = rx("properties", "isotype", 0).search(st)
            if m:
                _property_claim(col, s, drug, "isotype", f"IgG{m.group(1) or m.group(2)}", m.group(0), 0.8)
            if re.search(r"light chain|IgG|immunoglobulin", st):
                m = rx("properties", "light_chain").search(st)
                if m:
                    _property_claim(col, s, drug, "light_chain", m.group(1).lower(), m.group(1), 0.7)
        m = rx("properties", "drug_class", 0).search(st)
        if m and not re.match(r"(?:sterile|clear|single-dose)", m.group(1)):
            _property_claim(col, s, drug, "drug_class", m.group(1), m.group(1), 0.6)


def _org(name: str) -> str:
    """A sentence's full stop is not part of the name (an abbreviation's is)."""
    name = name.strip().rstrip(",")
    return name[:-1] if name.endswith(".") and not rx("other", "abbreviated_org_end", 0).search(name) else name


def organizations(col: Collector, doc: Document, sents: list[Sentence], drug: Drug) -> None:
    cfg = data("other")
    org = cfg["organization"]
    text = doc.text
    if doc.is_label:
        # The manufacturer line sits in sections the drafter otherwise skips (unclassified, patient counselling).
        for sec in doc.sections:
            for role, key in (("manufacturer", "manufacturer"), ("marketer", "marketer")):
                for m in re.finditer(cfg[key], text[sec.start : sec.end]):
                    a = sec.start + m.start()
                    b = sec.start + m.end(1)
                    name = text[sec.start + m.start(1) : b].strip()
                    col.add("drug_organizations", (a, b), 0.7, {"drug_id": drug.inn, "organization": name, "role": role})
        return
    for s in sents:
        st = text[s.start : s.end]
        span = (s.start, s.end)
        for m in re.finditer(cfg["developer"].format(org=org), st):
            col.add("drug_organizations", span, 0.6, {"drug_id": drug.inn, "organization": _org(m.group(1)), "role": "developer"})
        for m in re.finditer(cfg["licensee"].format(org=org), st):
            col.add(
                "drug_organizations",
                span,
                0.6,
                {
                    "drug_id": drug.inn,
                    "organization": _org(m.group(1)),
                    "role": "licensee",
                    "territory": _org(m.group(2)) if m.group(2) else None,
                },
            )
        m = re.search(cfg["research"].format(org=org), st)
        if m:
            for name in filter(None, m.groups()):
                col.add(
                    "drug_organizations",
                    span,
                    0.5,
                    {"drug_id": drug.inn, "organization": _org(re.sub(r"^the ", "", name)), "role": "research"},
                )
