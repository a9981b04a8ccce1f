"""find_reactions: lexicon and lab-grammar matching over label text, context filters, list propagation.

The engine holds no vocabulary of its own: terms, cues and thresholds come from the Lexicon
(lexicon.py), which reads them from data files.
"""

from __future__ import annotations

from dataclasses import dataclass

from mabdata.adr.context import ContextFilter
from mabdata.adr.coord import expand
from mabdata.adr.lexicon import Lexicon, load_lexicon
from mabdata.adr.lists import propagate
from mabdata.adr.text import JOINERS, TOKEN, norm_word, word_key_cache


@dataclass(frozen=True, order=True)
class Mention:
    start: int
    end: int
    text: str  # == the input text[start:end], verbatim
    kind: str = "reaction"  # "reaction" or "lab_abnormality"
    term: str = ""  # the reaction string as NLM writes it: text lowercased, or the joined pieces of a coordination

    def __post_init__(self) -> None:
        if not self.term:
            object.__setattr__(self, "term", self.text.lower())


class Doc:
    """A text's word tokens (joiners dropped) with where phrases may start and must stop."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts: list[int] = []
        ends: list[int] = []
        keys: list[str] = []
        joined: list[bool] = []  # token is glued to the previous one by a hyphen ("drug-induced")
        pending_join = False
        get = word_key_cache().get
        for m in TOKEN.finditer(text):
            w = m.group()
            key = get(w)
            if key is None:
                key = norm_word(w)
            s0 = m.start()
            if not key:  # a joiner: remember it glues the next word to the previous one
                pending_join = bool(ends) and ends[-1] == s0
                continue
            joined.append(pending_join and text[s0 - 1] in JOINERS)
            pending_join = False
            starts.append(s0)
            ends.append(m.end())
            keys.append(key)
        self.starts, self.ends, self.keys, self.joined = starts, ends, keys, joined
        n = len(keys)
        # A phrase never spans a table-cell gap (3+ spaces, a tab) or a blank line.
        stop = [n] * n
        blank_after = [False] * n
        line_start = [True] * n
        for k in range(n - 2, -1, -1):
            a, b = ends[k], starts[k + 1]
            if b - a <= 1:  # the usual single space or nothing: no break, same line
                line_start[k + 1] = b > a and text[a] == "\n"
                stop[k] = stop[k + 1]
                continue
            gap = text[a:b]
            newlines = gap.count("\n")
            blank_after[k] = newlines >= 2
            line_start[k + 1] = newlines >= 1
            broken = newlines >= 2 or "   " in gap or "\t" in gap
            stop[k] = k + 1 if broken else stop[k + 1]
        if n:
            blank_after[-1] = True
        self.stop = stop
        self.blank_after = blank_after
        self.line_start = line_start

    def word(self, k: int) -> str:
        return self.text[self.starts[k] : self.ends[k]]

    def span(self, i: int, e: int) -> tuple[int, int]:
        return self.starts[i], self.ends[e - 1]


def _lab_ends(lex: Lexicon, doc: Doc, i: int) -> list[int]:
    """Ends of lab-abnormality phrases starting at token i: "<direction> <analyte>" or "<analyte> <direction>"."""
    keys, stop = doc.keys, doc.stop[i]
    quals = lex.lab_qualifiers
    out = []
    for e1, _ in lex.lab_pre.ends(keys, i, stop):
        j = e1 + 1 if e1 < stop and keys[e1] in quals else e1
        out.extend(e for e, _ in lex.analytes.ends(keys, j, stop))
    j = i + 1 if keys[i] in quals else i
    for e1, _ in lex.analytes.ends(keys, j, stop):
        out.extend(e for e, _ in lex.lab_post.ends(keys, e1, stop))
    return out


def candidates(doc: Doc, lex: Lexicon) -> list[tuple[int, int, str]]:
    """(first token, end token, kind): greedy longest matches, left to right, never inside a hyphenated compound.

    Stop phrases (system organ classes, "adverse reactions") are matched too, so that their words
    cannot start a mention, and returned with kind "stop".
    """
    keys, joined, n = doc.keys, doc.joined, len(doc.keys)
    out = []
    i = 0
    while i < n:
        if joined[i]:
            i += 1
            continue
        best, kind = i, ""
        for e, entry in lex.terms.ends(keys, i, doc.stop[i]):
            if e > best and (e == n or not joined[e]):
                best, kind = e, "stop" if entry.kind == "stop" else "reaction"
        if keys[i] in lex.lab_starts:
            for e in _lab_ends(lex, doc, i):
                # a learned string that the lab grammar also covers ("alt increased") is a lab abnormality
                if e >= best and (e == n or not joined[e]) and kind != "stop":
                    best, kind = e, "lab_abnormality"
        if best == i:
            i += 1
            continue
        out.append((i, best, kind))
        i = best
    return out


def extend_left(doc: Doc, lex: Lexicon, i: int, floor: int) -> int:
    """Take in modifiers that lexicon terms use before their head ("thigh" + "pain"), at most two words."""
    k = i
    while k > floor and i - k < 2 and not doc.joined[k] and doc.stop[k - 1] > i:
        if doc.keys[k - 1] not in lex.modifiers:
            break
        k -= 1
    return k


def _prior_ok(lex: Lexicon, term: str) -> bool:
    p = lex.priors.get(term)
    cfg = lex.rules["prior"]
    return p is None or p.found < cfg["min_found"] or p.rate >= cfg["min_rate"]


_DEFAULT: Lexicon | None = None


def default_lexicon() -> Lexicon:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_lexicon()
    return _DEFAULT


def find_reactions(text: str, section: str | None = None, lexicon: Lexicon | None = None) -> list[Mention]:
    """Adverse-reaction mentions in one label section, in text order."""
    lex = lexicon or default_lexicon()
    assert lex.context is not None
    doc = Doc(text)
    ctx = ContextFilter(text, lex.context, section)
    spans: list[tuple[int, int, str]] = []
    blocked: list[tuple[int, int]] = []  # stop phrases and excluded mentions: list members, but not reactions
    prev_end = 0
    for i, e, kind in candidates(doc, lex):
        floor, prev_end = prev_end, e
        if kind == "stop":
            blocked.append((i, e))
            continue
        if kind == "reaction":
            i = extend_left(doc, lex, i, floor)
        s, t = doc.span(i, e)
        if ctx.excluded(s, t):
            blocked.append((i, e))
            continue
        spans.append((i, e, kind))
    known = [(i, e) for i, e, _ in spans]
    for i, e in propagate(doc, lex, known, blocked):
        s, t = doc.span(i, e)
        if not ctx.excluded(s, t):
            spans.append((i, e, "reaction"))
    expansions, consumed = expand(doc, lex, spans)
    found = []
    for i, e, kind in spans:
        if i in consumed:
            continue
        s, t = doc.span(i, e)
        m = Mention(s, t, text[s:t], kind)
        if _prior_ok(lex, m.term):
            found.append(m)
    for i, e, term, kind in expansions:
        s, t = doc.span(i, e)
        found.append(Mention(s, t, text[s:t], kind, term))
    return sorted(set(found))
