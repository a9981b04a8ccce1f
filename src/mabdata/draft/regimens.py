"""Regimens with their dosing steps: every dose of a sentence, its schedule as FHIR Timing
(frequency per period in a unit), week or cycle range, count, infusion time, maximum duration
and stopping rule. A label's section 2 gives one regimen per sentence (restatements merge by
natural key); a web page's section gives one regimen assembled from its sentences when they
state a single dose."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mabdata.draft.claims import Collector
from mabdata.draft.lexicon import Lexicon
from mabdata.draft.names import Drug
from mabdata.draft.patterns import data, integral, number, rx
from mabdata.draft.text import Document, Sentence, headings, strip_refs

_DOSE_HINT = re.compile(r"\d\s*(?:mg|mcg|µg|g)\b")


@dataclass
class Dose:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: str


@dataclass
class Step:
    start: int
    end: int
    dose: Dose | None = None
    values: dict[str, Any] = field(default_factory=dict)
    alternative: bool = False  # begins a new regimen ("... or 400 mg every 6 weeks")


@cache
def _schedules() -> list[tuple[re.Pattern[str], Any, Any, Any, Any]]:
    return [(re.compile(p, re.I), f, per, pmax, unit) for p, f, per, pmax, unit in data("regimens")["schedules"]]


@cache
def _route_patterns() -> list[tuple[re.Pattern[str], str]]:
    cfg = data("regimens")
    out = []
    for word, term in cfg["route_words"].items():
        out.append((re.compile(r"\b" + cfg["route_context"].format(route=re.escape(word)), re.I), term))
    for abbr, term in cfg["route_abbreviations"].items():
        out.append((re.compile(rf"\b{re.escape(abbr)}\b(?=\s*(?:infusion|\)|injection))"), term))
    return out


def route(s: str) -> str | None:
    """The route a sentence states with an administration word (never from "respiratory tract")."""
    return next((term for p, term in _route_patterns() if p.search(s)), None)


def _unit(word: str | None) -> str | None:
    return data("regimens")["time_units"].get((word or "").lower())


def doses(text: str, a: int, b: int, drug: Drug) -> list[Dose]:
    """The drug's doses in text[a:b]: not a premedication's, a vial's or a threshold's."""
    cfg = data("regimens")
    lead = set(cfg["dose_lead_words"])
    out = []
    for m in rx("regimens", "dose").finditer(text, a, b):
        before = text[max(a, m.start() - 60) : m.start()]
        clause = re.split(r"[.;]\s", before)[-1]
        if rx("regimens", "not_dose_context").search(clause[-45:]) or rx("regimens", "not_dose_context").match(
            text, m.end(), min(b, m.end() + 12)
        ):
            continue
        prev = re.search(r"([A-Za-z][\w-]*)([^\w]*)$", before)
        if prev and not re.search(r"[:(,]", prev.group(2)):
            word = prev.group(1)
            if word.lower() not in lead and word.casefold() not in drug.surfaces:
                continue
        value, value_max = number(m.group(1)), number(m.group(2))
        unit = cfg["dose_units"].get(m.group(3).replace("µ", "µ"))
        if value is None or unit is None or (value_max is not None and value_max <= value):
            continue
        out.append(Dose(m.start(), m.end(), value, value_max, unit))
    return out


# The rest of a schedule phrase: "every 3 weeks for 6 doses", "daily infusions for five consecutive days".
_SCHEDULE_TAIL = re.compile(
    r"\s*(?:infusions?|injections?|doses?)?\s*(?:for (?:\d+|[a-z]+) (?:consecutive )?(?:doses|days|weeks|infusions)"
    r"|over several weeks)"
)


def _group_value(x: Any, groups: tuple[str | None, ...]) -> Any:
    """A schedule's constant, or the number its "$N" names among the match's groups."""
    return number(groups[int(x[1:]) - 1]) if isinstance(x, str) and x.startswith("$") else x


def _schedule(text: str, a: int, b: int) -> dict[str, Any]:
    for p, freq, per, pmax, unit in _schedules():
        m = p.search(text, a, b)
        if not m:
            continue
        groups = m.groups()
        period, period_max = _group_value(per, groups), _group_value(pmax, groups)
        unit_word = groups[int(unit[1:]) - 1] if isinstance(unit, str) and unit.startswith("$") else unit
        u = _unit(unit_word) or unit_word
        if period is None:
            continue
        end = m.end()
        tail = _SCHEDULE_TAIL.match(text, end, b)
        if tail:
            end = tail.end()
        return {
            "timing": text[m.start() : end].strip(),
            "frequency": int(_group_value(freq, groups)),
            "period": integral(period),
            "period_max": integral(period_max),
            "period_unit": u,
            "_start": m.start(),
        }
    return {}


def _step_values(text: str, a: int, b: int) -> dict[str, Any]:
    v = _schedule(text, a, b)
    seg = text[a:b]
    m = rx("regimens", "consecutive_days").search(seg)
    if m:
        v["count"] = int(number(m.group(1)) or 0) or None
    else:
        m = rx("regimens", "count").search(seg)
        if m and v.get("period") is not None:
            v["count"] = int(number(m.group(1)) or 0) or None
    m = rx("regimens", "infusion").search(seg)
    if m:
        v["infusion_duration"] = integral(number(m.group(1)))
        v["infusion_duration_max"] = integral(number(m.group(2)))
        v["infusion_duration_unit"] = _unit(m.group(3))
    m = rx("regimens", "max_duration").search(seg)
    if m and _unit(m.group(2)) and number(m.group(1)):
        v["max_duration"] = integral(number(m.group(1)))
        v["max_duration_unit"] = _unit(m.group(2))
    m = rx("regimens", "until", 0).search(seg)
    if m:
        v["until"] = m.group(0).rstrip(" ,")
    m = rx("regimens", "cycles", 0).search(seg)
    if m:
        v["from_cycle"] = int(m.group(1))
        v["to_cycle"] = (
            int(m.group(2))
            if m.group(2)
            else (None if re.search(r"beyond|after|onward|thereafter|subsequent", m.group(0)) else int(m.group(1)))
        )
    m = rx("regimens", "weeks", 0).search(seg)
    if m:
        v["from_week"] = int(m.group(1))
        v["to_week"] = int(m.group(2)) if m.group(2) else int(m.group(1))
    m = rx("regimens", "offset").search(seg)
    if m and _unit(m.group(2)):
        v["offset"] = integral(number(m.group(1)))
        v["offset_unit"] = _unit(m.group(2))
    m = rx("regimens", "step_label").search(seg)
    if m:
        v["label"] = m.group(0)
    return {k: x for k, x in v.items() if x is not None}


def steps(text: str, a: int, b: int, drug: Drug) -> list[list[dict[str, Any]]]:
    """The regimens of one sentence, each a list of steps."""
    found = doses(text, a, b, drug)
    cuts = [(d.start, d) for d in found]
    for m in rx("regimens", "step_break").finditer(text, a, b):
        if not any(0 <= d.start - m.end() < 12 for d in found):
            cuts.append((m.end(), None))
    for m in rx("regimens", "step_label").finditer(text, a, b):
        if not any(d.start <= m.start() < d.start + 40 for d in found):
            cuts.append((m.start(), None))
    cuts.sort(key=lambda c: c[0])
    if not found and not any(c for c in cuts):
        return []
    # Pieces between cuts; the text before the first cut belongs to the first step.
    pieces: list[Step] = []
    bounds = [c[0] for c in cuts] + [b]
    for i, (pos, dose) in enumerate(cuts):
        start = a if i == 0 else pos
        pieces.append(Step(start, bounds[i + 1], dose))
    out: list[list[dict[str, Any]]] = [[]]
    current: dict[str, Any] | None = None
    last_dose: Dose | None = None
    for piece in pieces:
        v = _step_values(text, piece.start, piece.end)
        if piece.dose is None and not any(x in v for x in ("period", "count", "label")):
            if current is not None:  # a modifier of the step before ("over 30 minutes", "until ...")
                for key, x in v.items():
                    current.setdefault(key, x)
            continue
        dose = piece.dose or last_dose
        if dose is None:
            continue
        if (
            piece.dose
            and last_dose
            and rx("regimens", "alternative").search(text[max(a, piece.start - 12) : piece.start].split(",")[-1])
        ):
            out.append([])  # "200 mg every 3 weeks or 400 mg every 6 weeks": two regimens
        last_dose = dose
        current = {"dose_value": integral(dose.value), "dose_value_max": integral(dose.value_max), "dose_unit": dose.unit, **v}
        current.pop("_start", None)
        out[-1].append(current)
    regimens = [r for r in out if r]
    for r in regimens:
        _weeks(text, a, b, r)
        for step in r:
            step.pop("_start", None)
    return regimens


def _weeks(text: str, a: int, b: int, steps_: list[dict[str, Any]]) -> None:
    """ "weekly for 4 weeks followed by every 2 weeks": weeks 1-4, then from week 5."""
    m = rx("regimens", "for_weeks").search(text, a, b)
    if not m or len(steps_) < 2 or "from_week" in steps_[0]:
        return
    n = int(number(m.group(1)) or 0)
    if n and steps_[0].get("period_unit") == "wk" and steps_[0].get("period") == 1:
        steps_[0].update(from_week=1, to_week=n)
        steps_[0]["timing"] = (
            text[text.find(steps_[0]["timing"], a, b) : m.end()]
            if steps_[0].get("timing")
            and text.find(steps_[0]["timing"], a, b) != -1
            and text.find(steps_[0]["timing"], a, b) < m.start()
            else steps_[0].get("timing")
        )
        steps_[1].setdefault("from_week", n + 1)


def _context(doc: Document, a: int, b: int) -> dict[str, Any]:
    text = doc.text
    v: dict[str, Any] = {"route": route(text[a:b])}
    conds = doc.diseases(a, b)
    if conds:
        v["condition_id"] = conds[0][2]
        v["condition_term"] = text[conds[0][0] : conds[0][1]]
    m = rx("indications", "combination").search(text, a, b)
    if m:
        v["combination"] = m.group(0).strip().rstrip(",")
    m = rx("regimens", "care_setting").search(text, a, b)
    if m:
        v["care_setting"] = re.sub(r"^in ", "", m.group(0))
    return {k: x for k, x in v.items() if x is not None}


def label_regimens(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    for s in sents:
        if s.section != "dosage_and_administration" or not _DOSE_HINT.search(text, s.start, s.end):
            continue
        a, b = strip_refs(text, s.start, s.end)
        for regimen in steps(text, a, b, drug):
            if not any("period" in st or "count" in st or "infusion_duration" in st for st in regimen):
                continue
            ctx = _context(doc, a, b)
            conf = 0.7 if ctx.get("route") else 0.6
            col.add("regimens", (s.start, s.end), conf, {"drug_id": drug.inn, **ctx}, steps=regimen)


def web_regimens(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    """One regimen per heading section when its sentences state at most one dose: each sentence
    gives part of it (route, setting, dose, schedule, infusion time, duration)."""
    text = doc.text
    heads = [h[0] for h in headings(doc)]
    groups: dict[int, list[Sentence]] = {}
    for s in sents:
        if not rx("regimens", "cue").search(text, s.start, s.end):
            continue
        section = max([h for h in heads if h <= s.start], default=0)
        groups.setdefault(section, []).append(s)
    for group in groups.values():
        parts = []
        for s in group:
            regs = steps(text, s.start, s.end, drug)
            ctx = _context(doc, s.start, s.end)
            single = _step_values(text, s.start, s.end) if not regs else {}
            single.pop("_start", None)
            parts.append((s, regs, ctx, single))
        with_steps = [p for p in parts if p[1]]
        dose_values = {st.get("dose_value") for p in with_steps for r in p[1] for st in r}
        if (with_steps and len(dose_values) > 1) or sum(len(p[1]) for p in with_steps) > 1:
            for s, regs, ctx, _ in with_steps:
                for r in regs:
                    col.add("regimens", (s.start, s.end), 0.6, {"drug_id": drug.inn, **ctx}, steps=r)
            continue
        merged_steps: list[dict[str, Any]] = [dict(st) for st in with_steps[0][1][0]] if with_steps else []
        extra = {k: v for p in parts if not p[1] for k, v in p[3].items()}
        schedule_only = [p for p in parts if not p[1] and "period" in p[3]]
        if not merged_steps and not schedule_only:
            continue
        if not merged_steps:
            merged_steps = [{}]
        for st in merged_steps:
            for k, v in extra.items():
                st.setdefault(k, v)
        context: dict[str, Any] = {}
        for p in parts:
            for k, v in p[2].items():
                context.setdefault(k, v)
        useful = [p for p in parts if p[1] or p[3] or p[2]]
        if len(useful) < 2 and not with_steps:
            continue
        claim_values = {"drug_id": drug.inn, **context}
        step_keys = [k for st in merged_steps for k in st]
        for s, regs, ctx, single in useful:
            # A field this sentence does not give was taken from another sentence of the section.
            gave = set(ctx) | set(single) | {k for r in regs for st in r for k in st}
            inferred = [k for k in dict.fromkeys([*context, *step_keys]) if k not in gave and not k.endswith(("_unit", "_max"))]
            col.add("regimens", (s.start, s.end), 0.6, claim_values, steps=merged_steps, inferred=inferred)
