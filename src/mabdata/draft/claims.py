"""Draft claims: collected by natural key, written as a curation file.

Recognizers add claims with the spans of the sentences that state them. Claims with the same
natural key (the build's rule: restating a claim adds evidence) are merged here, so a draft
never holds two rows the build would merge with conflicting columns. On output every quote is
the verbatim text of its span (with `occurrence` when it repeats); a stated column no quote
contains, or an identifier no quote names, is listed under `inferred` with a note, and an
identifier the reference/ subsets do not hold yet is said so in the claim's note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mabdata import schemas
from mabdata.draft.lexicon import Lexicon

DRAFT_HEADER = (
    "# Draft made by `mabdata draft`: check every claim against its quote, fix or delete it, then\n"
    "# delete its confidence and curation_status keys. Draft claims are left out of the package.\n"
)
_SURFACE = {"condition_id": "condition_term", "target_id": "target_term"}


@dataclass
class Quote:
    start: int
    end: int
    inferred: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class DraftClaim:
    table: str
    values: dict[str, Any]
    quotes: list[Quote]
    confidence: float
    steps: list[dict[str, Any]] = field(default_factory=list)
    results: list[DraftClaim] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flag: str | None = None
    key: tuple = ()


@cache
def _key_columns(table: str) -> tuple[str, ...]:
    return tuple(schemas.natural_key(table))


@cache
def _step_columns() -> tuple[str, ...]:
    return tuple(f["name"] for f in schemas.curated_fields("dosing_steps") if f["name"] != "step")


def _normal(value: Any) -> Any:
    """keys.normal for the values a drafter writes (text, numbers, booleans)."""
    if isinstance(value, str):
        return " ".join(value.split()).casefold() or None
    if isinstance(value, bool) or value is None:
        return value
    return float(value)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != ""}


class Collector:
    """The claims of one document, by table, merged by natural key."""

    def __init__(self, text: str, lex: Lexicon) -> None:
        self.text = text
        self.lex = lex
        self.claims: dict[str, dict[str, DraftClaim]] = {}
        self._occurrences: dict[tuple[int, int], int | None] = {}

    def _key(self, table: str, values: dict[str, Any], steps: list[dict[str, Any]]) -> tuple:
        """The build's natural key (keys.natural_key), computed without pandas: this runs per claim."""
        cols = _key_columns(table)
        return tuple(
            tuple(tuple(_normal(s.get(c)) for c in _step_columns()) for s in steps) if c == "steps" else _normal(values.get(c))
            for c in cols
        )

    def add(
        self,
        table: str,
        span: tuple[int, int],
        confidence: float,
        values: dict[str, Any],
        *,
        steps: list[dict[str, Any]] | None = None,
        note: str | None = None,
        inferred: list[str] | None = None,
        flag: str | None = None,
    ) -> DraftClaim:
        """Add a claim stated by text[span], or add the span as evidence of the same claim."""
        values = _clean(values)
        steps = [_clean(s) for s in steps or []]
        key = self._key(table, values, steps)
        by_key = self.claims.setdefault(table, {})
        quote = Quote(span[0], span[1], list(inferred or []))
        claim = by_key.get(key)
        if claim is None:
            claim = by_key[key] = DraftClaim(table, values, [quote], confidence, steps, flag=flag)
        else:
            if all((q.start, q.end) != span for q in claim.quotes):
                claim.quotes.append(quote)
            claim.confidence = max(claim.confidence, confidence)
            for k, v in values.items():  # a restatement may add a column the first left empty
                claim.values.setdefault(k, v)
            claim.flag = claim.flag or flag
        if note and note not in claim.notes:
            claim.notes.append(note)
        return claim

    def add_result(self, study: DraftClaim, span: tuple[int, int], confidence: float, values: dict[str, Any]) -> None:
        """A trial result nested in its study (merged with an equal result of the same study)."""
        values = _clean(values)
        key = self._key("trial_results", values, [])
        for r in study.results:
            if r.key == key:
                if all((q.start, q.end) != span for q in r.quotes):
                    r.quotes.append(Quote(*span))
                return
        study.results.append(DraftClaim("trial_results", values, [Quote(*span)], confidence, key=key))

    def count(self) -> int:
        return sum(len(v) for v in self.claims.values()) + sum(len(c.results) for c in self.claims.get("studies", {}).values())

    # ---- output ---------------------------------------------------------------------------

    def occurrence(self, start: int, end: int) -> int | None:
        """Which occurrence of its text the span is (None when the text occurs once), the way the
        build counts them (non-overlapping, left to right); -1 when overlapping repeats make the
        span unplaceable."""
        if (start, end) in self._occurrences:
            return self._occurrences[(start, end)]
        q = self.text[start:end]
        k, pos = 1, self.text.find(q)
        while pos != -1 and pos < start:
            pos = self.text.find(q, pos + len(q))
            k += 1
        occ: int | None
        if pos != start:
            occ = -1
        elif k > 1 or self.text.find(q, start + len(q)) != -1:
            occ = k
        else:
            occ = None
        self._occurrences[(start, end)] = occ
        return occ

    def _finish(self, claim: DraftClaim) -> dict[str, Any] | None:
        table = claim.table
        quotes = [q for q in claim.quotes if self.occurrence(q.start, q.end) != -1]
        if not quotes:
            return None
        texts = [self.text[q.start : q.end] for q in quotes]
        notes = list(claim.notes)
        # Stated columns must occur in a quote; those that do not were taken from context.
        missing = [k for k in schemas.stated_fields(table) if isinstance(claim.values.get(k), str)]
        missing = [k for k in missing if not any(claim.values[k] in t for t in texts)]
        for step in claim.steps:
            missing += [
                k
                for k in schemas.stated_fields("dosing_steps")
                if isinstance(step.get(k), str) and not any(step[k] in t for t in texts) and k not in missing
            ]
        for ident, surface in _SURFACE.items():
            if claim.values.get(ident) and not claim.values.get(surface) and ident not in missing:
                missing.append(ident)
        if missing:
            notes.append(f"Taken from the context, not from the quoted words: {', '.join(missing)}.")
            for q in quotes:
                q.inferred = list(dict.fromkeys([*q.inferred, *missing]))
        cid = claim.values.get("condition_id")
        if cid and self.lex.known_conditions is not None and cid not in self.lex.known_conditions:
            notes.append(f"{cid} is not in reference/ yet: run scripts/update_reference.py after review.")
        tid = claim.values.get("target_id")
        if tid and tid not in self.lex.known_targets:
            notes.append(f"{tid} is not in reference/ yet: run scripts/update_reference.py after review.")
        order = [f["name"] for f in schemas.curated_fields(table)]
        out: dict[str, Any] = {k: claim.values[k] for k in order if k in claim.values}
        if claim.flag:
            out["flag"] = claim.flag
        if claim.steps:
            step_order = [f["name"] for f in schemas.curated_fields("dosing_steps")]
            out["steps"] = [{k: s[k] for k in step_order if k in s} for s in claim.steps]
        note = " ".join(notes) or None
        evidence = []
        for i, (q, t) in enumerate(zip(quotes, texts, strict=True)):
            ev: dict[str, Any] = {"quote": t}
            occ = self.occurrence(q.start, q.end)
            if occ is not None:
                ev["occurrence"] = occ
            inferred = [k for k in q.inferred if k in claim.values or k in _step_keys(claim)]
            if inferred:
                ev["inferred"] = inferred
            if i == 0 and note:
                ev["note"] = note
            evidence.append(ev)
        if len(evidence) == 1:
            out.update(evidence[0])
        else:
            out["evidence"] = evidence
        if claim.results:
            results = [r for r in (self._finish(r) for r in claim.results) if r is not None]
            if results:
                out["results"] = results
        out["confidence"] = round(min(max(claim.confidence, 0.0), 1.0), 2)
        out["curation_status"] = "draft"
        return out

    def finish(self) -> dict[str, list[dict[str, Any]]]:
        """The claims as curation-file items, by table in schema order, each table in text order."""
        from mabdata.curation import top_level_tables

        out: dict[str, list[dict[str, Any]]] = {}
        for table in top_level_tables():
            claims = sorted(self.claims.get(table, {}).values(), key=lambda c: (c.quotes[0].start, c.quotes[0].end))
            items = [x for x in (self._finish(c) for c in claims) if x is not None]
            if items:
                out[table] = items
        return out


def _step_keys(claim: DraftClaim) -> set[str]:
    return {k for s in claim.steps for k in s}


def to_yaml(title: str, claims: dict[str, list[dict[str, Any]]]) -> str:
    """The curation file text: the source block (title = the text's first line) and the claims."""
    import yaml

    doc: dict[str, Any] = {"source": {"title": title}, **claims}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: several times faster
    return DRAFT_HEADER + yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
