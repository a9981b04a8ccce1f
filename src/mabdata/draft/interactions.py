"""Interactions: drugs, classes and laboratory tests a source says interact, with the advice."""

from __future__ import annotations

import re

from mabdata.draft.claims import Collector
from mabdata.draft.names import Drug
from mabdata.draft.patterns import first_label, ordered, rx
from mabdata.draft.text import Document, Sentence, strip_refs


def _items(phrase: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", phrase)
    return [p.strip() for p in parts if p.strip() and len(p.split()) <= 8]


def interactions(col: Collector, doc: Document, sents: list[Sentence], drug: Drug) -> None:
    text = doc.text
    strengths = ordered("other", "interaction_strength")
    for s in sents:
        if doc.is_label and s.section != "drug_interactions":
            continue
        a, b = strip_refs(text, s.start, s.end)
        st = text[a:b]
        lab = rx("other", "lab_interference").search(st)
        if doc.is_label and lab and drug.named_in(st):
            col.add(
                "interactions",
                (a, b),
                0.5,
                {"drug_id": drug.inn, "term": lab.group(1).strip(), "strength": first_label(strengths[:-1], st)},
            )
            continue
        if not rx("other", "interaction_cue").search(st) or re.search(r"contraindications? for", st, re.I):
            continue
        strength = first_label(strengths, st)
        if strength is None:
            continue
        items: list[str] = []
        such = rx("other", "such_as", 0).search(st)
        if such:
            items += _items(such.group(1))
        subject = rx("other", "subject", 0).search(st)
        if subject and len(subject.group(1).split()) <= 10:
            head = re.split(r",\s*such as", subject.group(1))[0]
            items += [i for i in _items(head) if rx("other", "class_word").search(i)]
        for item in dict.fromkeys(items):
            if item.casefold() in drug.surfaces:
                continue
            col.add("interactions", (a, b), 0.5, {"drug_id": drug.inn, "term": item, "strength": strength})
