"""Indications: a label's section 1 (every statement: condition, approved by the FDA, line,
setting, population, age group, biomarker, combination, accelerated approval; Limitations of
Use), or a web page's statements of use with their status and authority."""

from __future__ import annotations

import re

from mabdata.draft.claims import Collector
from mabdata.draft.lexicon import Lexicon
from mabdata.draft.names import Drug
from mabdata.draft.patterns import data, first_label, ordered, rx
from mabdata.draft.text import Document, Sentence, strip_refs

# A full stop followed by a lower-case word starts the next item of an "is indicated:" list.
_ITEM = re.compile(r"(?<=\.)\s+(?=[a-z])")
_LEAD = re.compile(r"[^:]{0,160}?\bindicated\b(?:\s+for)?\s*:\s*")


def statements(text: str, s: Sentence) -> list[tuple[int, int]]:
    """The statements of a sentence: list items split, a lead "X is indicated:" and trailing
    cross-references and full stop left out."""
    out = []
    pos = s.start
    for m in [*_ITEM.finditer(text, s.start, s.end), None]:
        a, b = pos, (m.start() if m else s.end)
        lead = _LEAD.match(text, a, b)
        if lead and lead.end() < b:
            a = lead.end()
        a, b = strip_refs(text, a, b)
        while b > a and text[b - 1] in ".:; ":
            b -= 1
        if b - a > 10:
            out.append((a, b))
        if m:
            pos = m.end()
    return out


def _setting(text: str, a: int, cond_start: int) -> str | None:
    """Setting words right before the condition ("recurrent or metastatic cervical cancer")."""
    word = data("indications")["setting_word"]
    run = rf"(?:{word})(?:(?:,|,? or|,? and|/)\s*(?:{word}))*"
    found = list(re.finditer(run, text[a:cond_start], re.I))
    m = found[-1] if found else None  # the run nearest the condition
    if m is None or len(text[a + m.end() : cond_start].split()) > 2:
        return None
    return m.group(0)


def _population(text: str, a: int, b: int, cond_end: int) -> str | None:
    seg = text[a:b]
    m = rx("indications", "population").search(seg)
    if not m or a + m.start() >= cond_end:
        return None
    end = cond_end
    who = re.match(r"\s*,?\s*(?:who|whose)\b[^.;]*", text[cond_end:b])
    if who:
        end = cond_end + who.end()
    pop = text[a + m.start() : end].strip().rstrip(",")
    return pop if len(pop.split()) >= 2 else None


def _values(text: str, a: int, b: int, cond: tuple[int, int, str] | None) -> dict:
    seg = text[a:b]
    v: dict = {"line_of_therapy": first_label(ordered("indications", "line_of_therapy"), seg)}
    if cond:
        v["condition_id"] = cond[2]
        v["condition_term"] = text[cond[0] : cond[1]]
        v["setting"] = _setting(text, a, cond[0])
        v["population"] = _population(text, a, b, cond[1])
    age = first_label(ordered("indications", "age_group"), v.get("population") or seg)
    v["age_group"] = age
    m = rx("indications", "biomarker", 0).search(seg)
    v["biomarker"] = m.group(0).strip() if m else None
    m = rx("indications", "combination").search(seg)
    v["combination"] = m.group(0).strip().rstrip(",") if m else None
    return v


def _conditions(doc: Document, lex: Lexicon, a: int, b: int) -> list[tuple[int, int, str]]:
    text = doc.text
    out = []
    found = doc.diseases(a, b)
    for start, end, doid in found:
        if rx("indications", "not_indication_before").search(text[max(a, start - 40) : start]):
            continue
        # a broad name ("solid tumors") only when nothing more specific is named
        if " ".join(text[start:end].casefold().split()) in lex.broad_named and len(found) > 1:
            continue
        out.append((start, end, doid))
    return out


def _accelerated(text: str, sents: list[Sentence], i: int) -> bool:
    """The statement's sentence, or one of the next two in its section, says accelerated approval."""
    pat = rx("indications", "accelerated_approval")
    for s in sents[i : i + 3]:
        if s.section == sents[i].section and pat.search(text, s.start, s.end):
            return True
    return False


def label_indications(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    mine = [s for s in sents if s.section == "indications_and_usage"]
    for i, s in enumerate(mine):
        for a, b in statements(text, s):
            seg = text[a:b]
            if not rx("indications", "statement_cue").search(seg):
                continue
            limitation = bool(re.search(r"\bnot (?:indicated|recommended)\b|limitations? of use", seg, re.I))
            conds = _conditions(doc, lex, a, b)
            if not conds:
                continue
            accelerated = _accelerated(text, mine, i) and not limitation
            for cond in conds[:1] if limitation else conds:
                v = _values(text, a, b, cond)
                v.update(drug_id=drug.inn, status="limitation of use" if limitation else "approved", regulator="FDA")
                note = None
                if accelerated:
                    v["accelerated_approval"] = True
                    note = "Accelerated approval is stated in this or a following sentence; check it applies to this use."
                col.add("indications", (a, b), 0.7, v, note=note)


def web_indications(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    statuses = ordered("indications", "status")
    regulators = ordered("indications", "regulators", 0)
    for s in sents:
        st = text[s.start : s.end]
        if rx("indications", "not_indication_sentence").search(st):
            continue
        status = first_label(statuses, st)
        if status is None:
            continue
        regs = [r for r, p in regulators if p.search(st)] or ["unspecified"]
        conf = 0.5 if rx("indications", "hedge").search(st) else 0.7
        span = strip_refs(text, s.start, s.end)
        span = (span[0], span[1] - 1) if text[span[1] - 1] in ".!?" else span
        if status == "not established":
            for reg in regs:
                col.add("indications", span, 0.6, {"drug_id": drug.inn, "status": status, "regulator": reg})
            continue
        if status == "guideline-listed":
            regs = [r for r in regs if r == "CSCO"] or ["unspecified"]
        for cond in _conditions(doc, lex, s.start, s.end):
            v = _values(text, s.start, s.end, cond)
            v.pop("population")  # a web page's "patients" clause is rarely the indication's population
            v.update(drug_id=drug.inn, status=status, regulator=None)
            for reg in regs:
                col.add("indications", span, conf, {**v, "regulator": reg})
