"""Contraindications: a label's section 4 ("None" as one claim of kind none; "contraindicated
in patients with ..."; the Highlights' "Patients with ..." restatements) or a web page's
"contraindications include ..." lists."""

from __future__ import annotations

import re

from mabdata.draft.claims import Collector
from mabdata.draft.names import Drug
from mabdata.draft.patterns import first_label, ordered, rx
from mabdata.draft.text import Document, Sentence, strip_refs


def _kind(term: str) -> str:
    return first_label(ordered("contraindications", "kinds"), term) or "condition"


def _term(phrase: str) -> str:
    phrase = re.sub(r"^(?:a|an|the)\s+", "", phrase.strip().rstrip(".,;"))
    return phrase


def _list_items(phrase: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+(?=[a-z])", phrase)
    return [p.strip() for p in parts if p.strip() and len(p.split()) <= 8]


def label_contraindications(col: Collector, doc: Document, sents: list[Sentence], drug: Drug) -> None:
    text = doc.text
    for s in sents:
        if s.section != "contraindications":
            continue
        st = text[s.start : s.end]
        none = rx("contraindications", "none", 0).search(st)
        if none:
            a = s.start + none.start(1)
            b = a + 4 + (1 if text[a + 4 : a + 5] == "." else 0)
            col.add("contraindications", (a, b), 0.9, {"drug_id": drug.inn, "term": "None", "kind": "none"})
            for m in re.finditer(r"(?<=\s)None\b\.?", st[none.end() :]):
                a2 = s.start + none.end() + m.start()
                col.add(
                    "contraindications", (a2, a2 + len(m.group(0))), 0.9, {"drug_id": drug.inn, "term": "None", "kind": "none"}
                )
            continue
        m = rx("contraindications", "contraindicated_in").search(st)
        a, b = strip_refs(text, s.start, s.end)
        if m:
            term = _term(m.group(1))
            reason = rx("contraindications", "reason").search(st, m.end(1))
            values = {
                "drug_id": drug.inn,
                "term": term,
                "kind": _kind(term),
                "strength": "contraindicated",
                "reason": (reason.group(1) or reason.group(2)).strip() if reason else None,
            }
            col.add("contraindications", (a, b), 0.8, values)
            continue
        m = re.match(r"(?:patients (?:with|who have) )?(.+?)\.?$", text[a:b], re.I)
        if m and len(re.findall(r"[A-Za-z]{2,}", m.group(1))) >= 2 and m.group(1)[:1].isalpha():
            term = _term(m.group(1))
            col.add(
                "contraindications",
                (a, b),
                0.5,
                {"drug_id": drug.inn, "term": term, "kind": _kind(term), "strength": "contraindicated"},
            )


def web_contraindications(col: Collector, doc: Document, sents: list[Sentence], drug: Drug) -> None:
    text = doc.text
    for s in sents:
        st = text[s.start : s.end]
        span = (s.start, s.end)
        m = rx("contraindications", "list_intro").search(st)
        if m:
            reason = rx("contraindications", "reason").search(st, m.end(1))
            items = _list_items(m.group(1))
            for k, item in enumerate(items):
                values = {"drug_id": drug.inn, "term": item, "kind": _kind(item), "strength": "contraindicated"}
                if reason and k == len(items) - 1:
                    values["reason"] = (reason.group(1) or reason.group(2)).strip()
                col.add("contraindications", span, 0.6, values)
        m = rx("contraindications", "not_recommended_pregnancy").search(st)
        if m:
            reason = rx("contraindications", "reason").search(st, m.end())
            col.add(
                "contraindications",
                span,
                0.7,
                {
                    "drug_id": drug.inn,
                    "term": m.group(1),
                    "kind": "pregnancy",
                    "strength": "not recommended",
                    "reason": (reason.group(1) or reason.group(2)).strip() if reason else None,
                },
            )
