"""List and table propagation: unknown items listed among known reactions are reactions too.

Labels state most reactions in enumerations ("... were neutropenia, onychoclasis, and rash")
and in table rows. When most items of such a list are already recognized, the remaining
short noun phrases in it are taken as reactions as well; this reaches terms that no
vocabulary holds. Which words may not form such an item is data (rules.yaml: item_stop_words).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mabdata.adr.engine import Doc
    from mabdata.adr.lexicon import Lexicon

Span = tuple[int, int]  # token indices [i, e)

_CLAUSE_END = frozenset({".", ";", ":", "*", "•", "?", "!"})
_ITEM_SEP = frozenset({",", "and", "or", "/"})
_OPEN = {"(": ")", "[": "]"}


def _clauses(doc: Doc) -> Iterator[Span]:
    """Token ranges between sentence-level punctuation, blank lines and bullets."""
    lo = 0
    keys, stop, blank = doc.keys, doc.stop, doc.blank_after
    n = len(keys)
    for k in range(n):
        # the membership test first: a call per token would cost more than the rest of the loop
        if (keys[k] in _CLAUSE_END and _ends_clause(doc, k)) or (blank[k] and stop[k] == k + 1):
            end = k if keys[k] in _CLAUSE_END else k + 1
            if end > lo:
                yield lo, end
            lo = k + 1
    if lo < n:
        yield lo, n


def _ends_clause(doc: Doc, k: int) -> bool:
    """Sentence punctuation, but not the point of "5.1" or "e.g."."""
    if doc.keys[k] not in _CLAUSE_END:
        return False
    if doc.keys[k] == "." and k and len(doc.keys[k - 1]) == 1 and doc.keys[k - 1].isalpha():
        return False  # "e.g.," and "i.e.," open a list rather than end a clause
    end = doc.ends[k]
    return end >= len(doc.text) or not doc.text[end].isalnum()


def _close(doc: Doc, k: int, hi: int) -> int:
    """Index of the bracket closing keys[k] within hi, or -1."""
    want, depth = _OPEN[doc.keys[k]], 0
    for j in range(k, hi):
        if doc.keys[j] == doc.keys[k]:
            depth += 1
        elif doc.keys[j] == want:
            depth -= 1
            if depth == 0:
                return j
    return -1


def _items(doc: Doc, lo: int, hi: int) -> list[Span]:
    """Runs of words between list separators; bracketed numbers and cross-references are skipped."""
    out: list[Span] = []
    cur = lo
    k = lo
    while k < hi:
        key = doc.keys[k]
        if key in _OPEN:
            j = _close(doc, k, hi)
            inner = doc.keys[k + 1 : j] if j > 0 else []
            # numbers, counts and cross-references in brackets ("(4%)", "(N=564)", "[see ...]") are no list items
            if j > 0 and (any(w[:1].isdigit() for w in inner) or (inner and inner[0] == "see")):
                if k > cur:
                    out.append((cur, k))
                cur = k = j + 1
                continue
            if k > cur:
                out.append((cur, k))
            cur = k + 1
        elif k in doc.free_dash and k > cur:  # "Rare - torticollis", "Respiratory - cough": a label, then the item
            out.append((cur, k))
            cur = k
        elif key in _ITEM_SEP or key in _OPEN.values() or (doc.stop[k] == k + 1 and k + 1 < hi):
            end = k if (key in _ITEM_SEP or key in _OPEN.values()) else k + 1
            if end > cur:
                out.append((cur, end))
            cur = k + 1
        k += 1
    if hi > cur:
        out.append((cur, hi))
    return out


def _shape_ok(doc: Doc, lex: Lexicon, i: int, e: int) -> Span | None:
    """The item as a reaction phrase (leading severity words dropped), or None if it cannot be one."""
    r = lex.rules
    lead = set(r["severity_words"])
    while i < e and doc.keys[i] in lead:
        i += 1
    n = e - i
    if n < 1 or n > r["list_items"]["max_words"]:
        return None
    if n == 1 and doc.keys[i].endswith(tuple(r["coordination"]["adjective_suffixes"])):
        return None  # a lone adjective is a modifier of a neighbouring item ("bacterial, viral ... infections")
    stop = lex.item_stop
    inner_ok = {"of", "in", "the", "to", "with"}
    for k in range(i, e):
        w = doc.keys[k]
        if not w.isalpha() or (len(w) < 2 and n == 1):
            return None
        if w in stop and not (i < k < e - 1 and w in inner_ok):
            return None
        raw = doc.word(k)
        if len(raw) >= 4 and raw.isupper():
            return None  # a brand name, or a heading in capitals
    return i, e


def propagate(doc: Doc, lex: Lexicon, known: list[Span], blocked: list[Span]) -> list[tuple[int, int, str]]:
    """New reaction spans (i, e, how found: "list", "table", "item" or "xref"): items of enumerations and table
    columns whose other items are mostly known reactions, and bulleted cross-reference headings.
    "item" spans overlap a known term (the whole item around it); the ranker chooses between the two.
    Lists and tables with fewer known items give "list_weak" and "table_weak" spans, for the ranker only.

    blocked spans (stop phrases, excluded mentions) are neither known nor candidates.
    """
    known_end = {e: i for i, e in known}
    taken = _coverage(len(doc.keys), known + blocked)
    held = _coverage(len(doc.keys), blocked)
    cfg = lex.rules["list_items"]
    found: list[tuple[int, int, str]] = []
    weak = lex.rules["weak_lists"]
    for lo, hi in _clauses(doc):
        items = _items(doc, lo, hi)
        if len(items) < weak["min_items"]:
            continue
        n_known = 0
        unknown: list[Span] = []
        longer: list[Span] = []  # whole items around a known term: "erosive gastritis", "hemorrhage intracranial"
        for i, e in items:
            known_item = e in known_end and known_end[e] >= i
            if any(held[i:e]):
                n_known += known_item
                continue
            if known_item:
                n_known += 1
                # only an item with words before its known term can be a longer one (no shape test otherwise)
                if known_end[e] > i and (span := _shape_ok(doc, lex, i, e)) is not None and span[0] < known_end[e]:
                    longer.append(span)
            elif (span := _shape_ok(doc, lex, i, e)) is not None:
                if any(taken[i:e]):  # a known term inside ("hemorrhage intracranial") vouches for the list too
                    n_known += 1
                    longer.append(span)
                else:
                    unknown.append(span)
        if len(items) >= 3 and n_known >= cfg["min_known"] and n_known >= cfg["known_ratio"] * len(unknown):
            found.extend((i, e, "list") for i, e in unknown)
            found.extend((i, e, "item") for i, e in longer)
        elif n_known >= weak["min_known"] and n_known >= weak["known_ratio"] * len(unknown):
            # short lists and lists with few known items ("dizziness, lightheadedness, fainting"):
            # candidates of their own origin, which the ranker weighs apart
            found.extend((i, e, "list_weak") for i, e in unknown)
            found.extend((i, e, "item") for i, e in longer)
    found.extend(_table_rows(doc, lex, known_end, taken, held))
    found.extend((i, e, "xref") for i, e in _cross_references(doc, lex, taken))
    return found


def _coverage(n: int, spans: list[Span]) -> bytearray:
    """1 for every token inside one of the spans."""
    cov = bytearray(n)
    for i, e in spans:
        cov[i:e] = b"\x01" * (e - i)
    return cov


_BULLETS = frozenset({"*", "?", "•"})


def _cross_references(doc: Doc, lex: Lexicon, taken: bytearray) -> list[Span]:
    """Bulleted headings that point to a section: "* Hepatotoxicity [see Warnings and Precautions (5.8)]".

    Labels open the adverse-reactions section with such a list of the serious reactions; each
    heading, split at "and", is a reaction.
    """
    out: list[Span] = []
    keys = doc.keys
    for k in range(1, len(keys) - 1):
        if keys[k] != "[" or keys[k + 1] != "see":
            continue
        j = k - 1
        while j >= 0 and keys[j] not in _BULLETS and not doc.line_start[j] and k - j <= 12:
            j -= 1
        if j < 0 or not (keys[j] in _BULLETS or doc.line_start[j]):
            continue
        lo = j + 1 if keys[j] in _BULLETS else j
        cur = lo
        for m in range(lo, k + 1):
            if m == k or keys[m] in ("and", "/"):
                span = _shape_ok(doc, lex, cur, m) if m > cur else None
                if span and not any(taken[span[0] : span[1]]):
                    out.append(span)
                cur = m + 1
    return out


def _table_rows(
    doc: Doc, lex: Lexicon, known_end: dict[int, int], taken: bytearray, held: bytearray
) -> list[tuple[int, int, str]]:
    """Row heads (first cell of a line followed by numbers) in blocks where most row heads are known reactions:
    unknown ones ("table") and whole ones around a known term ("item": "Axillary pain", "Plasmodium falciparum infection")."""
    cfg = lex.rules["table_rows"]
    rows: list[tuple[Span, bool]] = []
    blocks: list[list[tuple[Span, bool]]] = [rows]
    n = len(doc.keys)
    k = 0
    while k < n:
        if not doc.line_start[k]:
            k += 1
            continue
        e = doc.stop[k]
        # the rest of the line must hold numbers (the table's values)
        j = e
        has_num = False
        while j < n and not doc.line_start[j]:
            if doc.keys[j][:1].isdigit():
                has_num = True
                break
            j += 1
        if has_num:
            rows.append(((k, e), e in known_end and known_end[e] == k))
        elif e - k > cfg["max_gap_words"]:
            rows = []
            blocks.append(rows)
        k = e
    out: list[tuple[int, int, str]] = []
    weak = lex.rules["weak_lists"]
    for block in blocks:
        n_known = sum(1 for _, kn in block if kn)
        strong = n_known >= cfg["min_known"] and n_known >= cfg["known_ratio"] * len(block)
        if not strong and (n_known < weak["min_known"] or n_known < weak["table_ratio"] * len(block)):
            continue
        unknown_how = "table" if strong else "table_weak"
        for (i, e), kn in block:
            if kn or (span := _shape_ok(doc, lex, i, e)) is None or any(held[span[0] : span[1]]):
                continue
            if known_end.get(span[1], -1) == span[0]:  # "Severe rash": the known term itself
                continue
            out.append((*span, "item" if any(taken[span[0] : span[1]]) else unknown_how))
    return out
