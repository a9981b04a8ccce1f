"""Studies with their nested results: a label's section 14 (each named study; the response,
survival and duration results its sentences give, with CI, p-value, arm and comparator) or a
web page's result sentences (numbers, or a qualitative direction)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from mabdata.draft.claims import Collector, DraftClaim
from mabdata.draft.lexicon import Lexicon
from mabdata.draft.names import Drug
from mabdata.draft.patterns import data, first_label, ordered, rx
from mabdata.draft.text import Document, Sentence

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "i/ii": "1/2", "ii/iii": "2/3"}
_VALUE_HINT = re.compile(r"%|months?\b|\bHR\b|hazard ratio")
_STOP = re.compile(r"\s*(?:,|;|\.|\(|\bversus\b|\bvs\.?|\bcompared\b|\band\b|\bwith a\b|$)")


@cache
def _endpoints() -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<e{i}>{p})" for i, (_, p) in enumerate(data("studies")["endpoints"].items())), re.I)


def _endpoint_names() -> list[str]:
    return list(data("studies")["endpoints"])


def _phase(s: str) -> str | None:
    m = rx("studies", "phase").search(s)
    return f"phase {_ROMAN.get(m.group(1).lower(), m.group(1))}" if m else None


def _arm_after(text: str, pos: int, end: int) -> str | None:
    """The arm a value is stated for: "… months in the Isa-Pd group", "… for chemotherapy plus a placebo"."""
    m = re.match(r"\s*(?:\([^)]*\)\s*)?(?:in|for|with) (?:the )?", text[pos:end])
    if not m:
        return None
    start = pos + m.end()
    stop = _STOP.search(text, start, end)
    phrase = text[start : stop.start() if stop else end].strip()
    return phrase if 1 <= len(phrase.split()) <= 8 else None


def _ci(text: str, pos: int, end: int) -> dict[str, Any]:
    m = rx("studies", "ci_after").match(text, pos, min(end, pos + 60))
    if not m:
        m = re.compile(r"\s*" + data("studies")["ci_after"], re.I).match(text, pos, min(end, pos + 60))
    if not m:
        return {}
    upper = None if m.group(3) == "NR" else float(m.group(3))
    return {"ci_level": float(m.group(1)), "ci_lower": float(m.group(2)), "ci_upper": upper}


def results(text: str, a: int, b: int) -> list[dict[str, Any]]:
    """Numeric results of one sentence: for each endpoint, its value (and the comparator's after
    "versus"/"compared with", wherever the comparator arm's name stands), CIs, p-value, and a
    hazard ratio as its own result."""
    out: list[dict[str, Any]] = []
    if not _VALUE_HINT.search(text, a, b):  # no percentage, months or ratio: nothing to read
        return out
    names = _endpoint_names()
    found = list(_endpoints().finditer(text, a, b))
    if not found:
        return out
    values = list(rx("studies", "value").finditer(text, a, b))
    comp = rx("studies", "comparator").search(text, a, b)
    p = rx("studies", "p_value").search(text, a, b)
    for k, e in enumerate(found):
        endpoint = names[int(next(g for g, v in e.groupdict().items() if v)[1:])]
        nxt = found[k + 1].start() if k + 1 < len(found) else b
        mine = [v for v in values if e.end() <= v.start() < nxt]
        if not mine:
            continue
        v = mine[0]
        unit = "%" if v.group(2) == "%" else "mo"
        near = text[max(a, e.start() - 30) : v.end()].lower()
        statistic = "median" if unit == "mo" or "median" in near else "proportion"
        r: dict[str, Any] = {
            "endpoint": endpoint,
            "endpoint_term": e.group(0),
            "statistic": statistic,
            "value": float(v.group(1)),
            "unit": unit,
        }
        r.update(_ci(text, v.end(), b))
        r["arm"] = _arm_after(text, v.end(), b)
        # the comparator's value: the first value after "versus"/"compared with", or a second "… in the B group"
        later = [x for x in mine[1:] if x.group(2)[:1] == v.group(2)[:1]]
        cv = next((x for x in later if comp and x.start() > comp.start() > v.start()), None)
        if cv is None and later and r["arm"] and _arm_after(text, later[0].end(), b):
            cv = later[0]
        if cv is not None:
            r["comparator_value"] = float(cv.group(1))
            ci = _ci(text, cv.end(), b)
            if ci:
                r["comparator_ci_lower"], r["comparator_ci_upper"] = ci["ci_lower"], ci["ci_upper"]
            r["comparator"] = _arm_after(text, cv.end(), b)
        if p and p.start() > v.start():
            r["p_value"] = float(p.group(2))
            r["p_value_relation"] = {"=": "equal to", "<": "less than", "≤": "at most", "<=": "at most"}[p.group(1)]
        out.append({k2: x for k2, x in r.items() if x is not None})
        hr = rx("studies", "hazard_ratio").search(text, v.end(), nxt)
        if hr:
            h: dict[str, Any] = {
                "endpoint": endpoint,
                "endpoint_term": e.group(0),
                "statistic": "hazard ratio",
                "value": float(hr.group(1)),
            }
            m = rx("studies", "ci").search(text, hr.end(), min(nxt, hr.end() + 60))
            if m and m.group(3) != "NR":
                h.update(ci_level=float(m.group(1)), ci_lower=float(m.group(2)), ci_upper=float(m.group(3)))
            for key in ("arm", "comparator"):
                if r.get(key):
                    h[key] = r[key]
            out.append(h)
    return out


def _study_values(doc: Document, a: int, b: int, drug: Drug) -> dict[str, Any]:
    text = doc.text
    seg = text[a:b]
    v: dict[str, Any] = {"drug_id": drug.inn, "phase": _phase(seg)}
    m = rx("studies", "registry", 0).search(seg)
    if m:
        v["registry_id"] = m.group(0)
    m = rx("studies", "name", 0).search(seg)
    if m and m.group(0) != v.get("registry_id") and m.group(0).casefold() not in drug.surfaces:
        v["name"] = m.group(0)
    conds = doc.diseases(a, b)
    if conds:
        v["condition_id"], v["condition_term"] = conds[0][2], text[conds[0][0] : conds[0][1]]
    m = rx("studies", "design").search(seg)
    if m:
        v["design"] = m.group(1).strip().rstrip(",")
    m = rx("studies", "patients").search(seg)
    if m:
        v["patients"] = int(m.group(1) or m.group(2))
    return {k: x for k, x in v.items() if x is not None}


def label_studies(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    current: DraftClaim | None = None
    for s in sents:
        if s.section != "clinical_studies":
            continue
        st = text[s.start : s.end]
        if rx("studies", "registry", 0).search(st) or (
            re.search(r"\b(?:trial|study)\b", st) and rx("studies", "design").search(st) and rx("studies", "name", 0).search(st)
        ):
            values = _study_values(doc, s.start, s.end, drug)
            current = col.add("studies", (s.start, s.end), 0.6, values)
            continue
        if current is None or st.lstrip().startswith(("Table", "Figure")):
            continue
        for r in results(text, s.start, s.end):
            col.add_result(current, (s.start, s.end), 0.5, r)


def web_studies(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    current: DraftClaim | None = None
    current_block = -1
    for s in sents:
        st = text[s.start : s.end]
        if not _endpoints().search(st):
            continue
        found = results(text, s.start, s.end)
        direction = None if found else first_label(ordered("studies", "directions"), st)
        if not found and not direction:
            continue
        values = _study_values(doc, s.start, s.end, drug)
        if current is None or s.block != current_block or values.get("phase") or values.get("condition_id"):
            current = col.add("studies", (s.start, s.end), 0.5, values)
            current_block = s.block
        if found:
            for r in found:
                col.add_result(current, (s.start, s.end), 0.6, r)
            continue
        for e in _endpoints().finditer(st):
            name = _endpoint_names()[int(next(g for g, v in e.groupdict().items() if v)[1:])]
            col.add_result(
                current,
                (s.start, s.end),
                0.4,
                {"endpoint": name, "endpoint_term": e.group(0), "statistic": "qualitative", "direction": direction},
            )
