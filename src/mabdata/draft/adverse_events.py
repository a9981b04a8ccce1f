"""Adverse events: Warnings and Precautions hazards (their "5.N" headings and Highlights items,
serious when the boxed warning or the heading sentence says so) with stated incidences, the
"most common adverse reactions (≥N%)" statements (one claim per reaction, found by
mabdata.adr), and on web pages the side effects a sentence lists. Terms are always the
verbatim words; CTCAE mappings come from the vocabulary and data/ctcae_map.tsv and are kept
only when the build's mapping rule accepts their SKOS relation."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from mabdata.adr import find_reactions, load_lexicon
from mabdata.adr.lexicon import Lexicon as AdrLexicon
from mabdata.draft.claims import Collector
from mabdata.draft.lexicon import Lexicon, load, norm
from mabdata.draft.names import Drug
from mabdata.draft.patterns import data, first_label, ordered, rx, tsv
from mabdata.draft.text import Document, Sentence, strip_refs


@cache
def adr_lexicon() -> AdrLexicon:
    """mabdata.adr's lexicon (its learned priors pooled over surface forms, see adr.lexicon)."""
    return load_lexicon()


@cache
def _ctcae_map() -> dict[str, tuple[str, str]]:
    return {norm(r["term"]): (r["ctcae_term"], r["relation"]) for r in tsv("ctcae_map")}


@cache
def _ctcae_norm() -> dict[str, str]:
    """CTCAE terms by folded form ("infusion related reaction"), plural-free too."""
    out: dict[str, str] = {}
    for t in load().ctcae.values():
        out.setdefault(norm(t), t)
        out.setdefault(norm(t).rstrip("s"), t)
    return out


def ctcae(term: str, lex: Lexicon) -> tuple[str | None, str | None]:
    """(CTCAE term, SKOS relation) for a stated event, or (None, None) when none fits without over-claiming."""
    return _ctcae(term)


@cache
def _ctcae(term: str) -> tuple[str | None, str | None]:
    from mabdata.rules import mapping_problem

    lex = load()
    key = norm(term)
    hit = _ctcae_map().get(key) or _ctcae_map().get(key.rstrip("s"))
    if hit and hit[0].casefold() in lex.ctcae:
        found, rel = lex.ctcae[hit[0].casefold()], f"skos:{hit[1]}"
    else:
        # "Infusion-Related Reactions" -> "Infusion related reaction": case, hyphens and plurals fold
        exact = _ctcae_norm().get(key) or _ctcae_norm().get(key.rstrip("s"))
        if exact is None:
            return None, None
        found, rel = exact, "skos:exactMatch"
    if mapping_problem(term, found, rel):
        return None, None
    return found, rel


def _event_ok(text: str, start: int, end: int, a: int) -> bool:
    """Not a word that is never an event ("until disease progression", "history of ...")."""
    cfg = data("adverse_events")
    if norm(text[start:end]) in {norm(w) for w in cfg["not_events"]}:
        return False
    return not rx("adverse_events", "not_event_before").search(text[max(a, start - 40) : start])


def _extend(text: str, start: int, floor: int) -> int:
    """Take in the words that name a longer event with the mention as its head ("respiratory
    syncytial virus infections", not "virus infections"), up to the start of its list item."""
    from mabdata.adr.lexicon import rules

    stop = set(rules()["item_stop_words"]) | set(rules()["severity_words"]) | set(data("adverse_events")["extend_stop"])
    k = start
    for _ in range(3):
        m = re.search(r"([a-z][a-z-]+) $", text[max(floor, k - 30) : k])
        if not m or m.group(1) in stop:
            break
        k = k - len(m.group(0))
    return k


def _event(lex: Lexicon, term: str, **values: Any) -> dict[str, Any]:
    ct, rel = ctcae(term, lex)
    return {"term": term, "ctcae_term": ct, "ctcae_match": rel, **values}


# ---- labels ---------------------------------------------------------------------------------------


def _heading(text: str, pos: int, end: int, drug: Drug) -> tuple[int, int] | None:
    """The title after a "5.N" number: capitalized words and joiners, up to the sentence that follows."""
    joiners = set(data("adverse_events")["heading_joiners"])
    toks = list(re.finditer(r"\(?[A-Za-z0-9][\w'’/-]*\)?,?|[:—–]", text[pos:end]))
    taken: list[re.Match[str]] = []
    for i, t in enumerate(toks):
        w = t.group(0).strip("(),")
        if not w or w in ":—–" or w.casefold() in drug.surfaces:
            break
        nxt = toks[i + 1].group(0).strip("(),") if i + 1 < len(toks) else ""
        if w[0].isupper() or w[0].isdigit():
            # the first word of the sentence after the title: a capital followed by lower-case prose
            if taken and nxt and nxt[0].islower() and nxt.lower() not in joiners and not w.isupper():
                break
            if taken and w.isupper() and len(w) > 3 and not taken[-1].group(0).isupper():
                break  # "Neutropenia SARCLISA may ..."
            taken.append(t)
        elif w.lower() in joiners and taken:
            taken.append(t)
        else:
            break
    while taken and taken[-1].group(0).strip("(),").lower() in joiners:
        taken.pop()
    if not taken:
        return None
    return pos + taken[0].start(), pos + taken[-1].end() - (1 if taken[-1].group(0).endswith(",") else 0)


def label_warnings(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    boxed = " ".join(text[s.start : s.end] for s in doc.sections if s.section == "boxed_warning").casefold()
    serious_rx = rx("adverse_events", "serious")
    by_term: dict[str, dict[str, Any]] = {}
    for s in sents:
        if s.section != "warnings_and_cautions":
            continue
        for m in rx("adverse_events", "heading_number", 0).finditer(text, s.start, s.end):
            span = _heading(text, m.end(), s.end, drug)
            if span is None:
                continue
            term = text[span[0] : span[1]]
            if len(term) < 4:
                continue
            serious = True if norm(term) in norm(boxed) or serious_rx.search(text, span[1], s.end) else None
            values = _event(lex, term, drug_id=drug.inn, category="warning", serious=serious)
            by_term[norm(term)] = values
            col.add("adverse_events", (s.start, s.end), 0.7, values)
    # Highlights items restate the hazards: "Infusion-Related Reactions: In case of grade ≥2, ..."
    for s in sents:
        if s.section != "warnings_and_cautions":
            continue
        m = re.match(r"([A-Z][\w'’-]*(?:[ ,/]+(?:[A-Za-z][\w'’-]*|\([A-Za-z-]+\))){0,9}):\s+\S", text[s.start : s.end])
        if not m:
            continue
        values = by_term.get(norm(m.group(1)))
        if values is not None:
            col.add("adverse_events", (s.start, s.end), 0.7, values)
    # Stated incidences of a hazard: "infusion-related reactions occurred in 38% of patients treated with ..."
    lexicon = adr_lexicon()
    for s in sents:
        if s.section not in ("warnings_and_cautions", "boxed_warning"):
            continue
        inc = rx("adverse_events", "incidence").search(text, s.start, s.end)
        if not inc:
            continue
        seg = text[s.start : inc.start()]
        found = [r for r in find_reactions(seg, "warnings and precautions", lexicon) if _event_ok(seg, r.start, r.end, 0)]
        if not found:
            continue
        r = found[-1]
        ctx = rx("adverse_events", "incidence_context").search(text, inc.start(1), s.end)
        values = _event(
            lex,
            r.text,
            drug_id=drug.inn,
            category="warning",
            incidence=float(inc.group(1)),
            context=ctx.group(1).strip() if ctx else None,
        )
        a, b = strip_refs(text, s.start, s.end)
        col.add("adverse_events", (a, b), 0.6, values)


def _lead(before: str) -> str | None:
    """The clause a statement is headed by: "In combination with X: The most common ..."."""
    before = re.sub(r"(?i)\bthe\s*$", "", before).rstrip()
    if not before.endswith(":"):
        return None
    clause = re.split(r"[.\]•:]\s+|\)\s+(?=[A-Z])", before.rstrip()[:-1])[-1].strip()
    return clause if rx("adverse_events", "context_lead").match(clause) and len(clause.split()) <= 20 else None


def _threshold(seg: str) -> tuple[float | None, str | None]:
    m = rx("adverse_events", "threshold").search(seg)
    if not m:
        return None, None
    rel = data("adverse_events")["relations"].get(m.group(1).lower())
    return float(m.group(2)), rel


def most_common(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    """ "The most common adverse reactions (≥20%) are A, B and C.": one claim per reaction."""
    text = doc.text
    lexicon = adr_lexicon()
    for s in sents:
        if doc.is_label and s.section != "adverse_reactions":
            continue
        st = text[s.start : s.end]
        m = rx("adverse_events", "most_common").search(st)
        if not m:
            continue
        threshold, relation = _threshold(st[m.start() : m.end()])
        lab = bool(rx("adverse_events", "laboratory").search(m.group(0)))
        inside = rx("adverse_events", "context_inside").search(st[: m.end()])
        context = _lead(st[: m.start()]) or (inside.group(0) if inside else None)
        a = s.start + m.end()
        b = strip_refs(text, a, s.end)[1]
        for r in find_reactions(text[a:b], "adverse reactions", lexicon):
            start = _extend(text, a + r.start, a)
            if not _event_ok(text, start, a + r.end, a):
                continue
            category = "laboratory abnormality" if lab or r.kind == "lab_abnormality" else "most common"
            values = _event(
                lex,
                text[start : a + r.end],
                drug_id=drug.inn,
                category=category,
                context=context,
                threshold=threshold,
                threshold_relation=relation,
            )
            col.add("adverse_events", (s.start, b), 0.7 if threshold is not None else 0.5, values)


# ---- web pages --------------------------------------------------------------------------------------


def web_events(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon, indicated: set[str]) -> None:
    """Side effects a sentence lists (or a sentence continuing one that introduced them)."""
    text = doc.text
    lexicon = adr_lexicon()
    cue = rx("adverse_events", "cue")
    previous: Sentence | None = None
    for s in sents:
        st = text[s.start : s.end]
        lead = text[previous.start : previous.end] if previous and previous.block == s.block else ""
        previous = s
        cues = st if cue.search(st) else (lead + " " + st if cue.search(lead) else "")
        if (
            not cues
            or re.search(r"contraindicat", st, re.I)
            or not re.search(r"adverse|side effect|irAE|reaction|toxicit", cues, re.I)
        ):
            continue
        freq = first_label(ordered("adverse_events", "frequency"), cues)
        category = first_label(ordered("adverse_events", "categories"), cues) or "general"
        serious = (
            True if re.search(r"\bserious|\bsevere", cues, re.I) else (False if re.search(r"\bmild\b", cues, re.I) else None)
        )
        sev = rx("adverse_events", "severity").search(st)
        comb = re.search(r"(?:combined|in combination) with [a-z -]+?(?=,|\.|$| a )", st)
        for r in find_reactions(st, None, lexicon):
            start, end = _extend(text, s.start + r.start, s.start), s.start + r.end
            if not _event_ok(text, start, end, s.start):
                continue
            if any(doid == lex.diseases.get(norm(r.text)) for doid in indicated):
                continue  # the drug's own indication is not its adverse event
            rare = bool(re.search(r"in rare cases,?\s*$", st[: r.start], re.I))
            values = _event(
                lex,
                text[start:end],
                drug_id=drug.inn,
                category=category,
                frequency="rare" if rare else freq,
                severity=sev.group(0) if sev else None,
                serious=serious,
                context=comb.group(0) if comb else None,
            )
            col.add("adverse_events", (s.start, s.end), 0.6, values)
