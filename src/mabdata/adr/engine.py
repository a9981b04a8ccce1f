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


_FOOTNOTE_MARKS = frozenset("abcdefgh")


class Doc:
    """A text's word tokens (joiners dropped) with where phrases may start and must stop."""

    def __init__(self, text: str, heads: frozenset[str] = frozenset(), words: frozenset[str] = frozenset()) -> None:
        """heads/words: the lexicon's term-final words and all its words, to see table footnote marks
        ("Rasha", "Dizziness  c") for what they are: a letter after a known head, not part of the word."""
        self.text = text
        starts: list[int] = []
        ends: list[int] = []
        keys: list[str] = []
        joined: list[bool] = []  # token is glued to the previous one by a hyphen ("drug-induced")
        free_dash: set[int] = set()  # tokens after a dash with a space on either side ("Rare - torticollis")
        pending_join = pending_dash = False
        get = word_key_cache().get
        # bound methods and one span() per token: this loop runs once per word of every label
        add_start, add_end, add_key, add_joined = starts.append, ends.append, keys.append, joined.append
        for m in TOKEN.finditer(text):
            w = m.group()
            key = get(w)
            if key is None:
                key = norm_word(w)
            s0, e0 = m.span()
            if not key:  # a joiner: remember it glues the next word to the previous one
                pending_join = bool(ends) and ends[-1] == s0
                pending_dash = True
                continue
            if heads and w[-1] in _FOOTNOTE_MARKS:
                if len(w) == 1:
                    # a lone mark after a known head and a double space: "Stomatitis  a"
                    if keys and keys[-1] in heads and text[ends[-1] : s0].startswith("  ") and "\n" not in text[ends[-1] : s0]:
                        continue
                elif len(w) >= 5 and w[-2].islower() and not w.endswith(("ed", "ing")) and key not in words:
                    k2 = norm_word(w[:-1])
                    if k2 in heads:  # a mark glued to a known head: "Hypertensiond", "ALT increaseda"
                        key, e0 = k2, e0 - 1
            glued = pending_join and text[s0 - 1] in JOINERS
            if pending_dash and not glued:
                free_dash.add(len(keys))
            add_joined(glued)
            pending_join = pending_dash = False
            add_start(s0)
            add_end(e0)
            add_key(key)
        self.starts, self.ends, self.keys, self.joined = starts, ends, keys, joined
        self.free_dash = free_dash
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


def candidates(doc: Doc, lex: Lexicon) -> list[tuple[int, int, str, str]]:
    """(first token, end token, kind, source): greedy longest matches, left to right, never inside a hyphenated compound.

    Stop phrases (system organ classes, "adverse reactions") are matched too, so that their words
    cannot start a mention, and returned with kind "stop". source is the lexicon entry's source
    ("ctcae", "learned", "curated", "extra") or "lab" for the lab grammar.
    """
    keys, joined, n = doc.keys, doc.joined, len(doc.keys)
    first_words = lex.terms.root  # most words start no term: a lookup here spares a call per token
    out = []
    i = 0
    while i < n:
        if joined[i]:
            i += 1
            continue
        best, kind, source = i, "", ""
        for e, entry in lex.terms.ends(keys, i, doc.stop[i]) if keys[i] in first_words else ():
            if e > best and (e == n or not joined[e]):
                best, kind, source = e, "stop" if entry.kind == "stop" else "reaction", entry.source
        if keys[i] in lex.lab_starts:
            for e in _lab_ends(lex, doc, i):
                # a learned string that the lab grammar also covers ("alt increased") is a lab abnormality
                if e >= best and (e == n or not joined[e]) and kind != "stop":
                    best, kind, source = e, "lab_abnormality", "lab"
        if best == i:
            i += 1
            continue
        out.append((i, best, kind, source))
        i = best
    return out


def extend_left(doc: Doc, lex: Lexicon, i: int, floor: int) -> int:
    """Take in modifiers that lexicon terms use before their head ("thigh" + "pain"), at most two words."""
    k = i
    while k > floor and i - k < 2 and not doc.joined[k] and doc.stop[k - 1] > i and k not in doc.free_dash:
        if doc.keys[k - 1] not in lex.modifiers:
            break
        k -= 1
    if doc.joined[k]:
        # never stop inside a hyphenated compound: NLM keeps it whole ("immune-mediated neuropathies")
        j = k
        while j > floor and doc.joined[j] and doc.keys[j - 1].isalpha():
            j -= 1
        if not doc.joined[j]:
            return j
        while k < i and doc.joined[k]:
            k += 1
    return k


def _prior_ok(lex: Lexicon, term: str) -> bool:
    p = lex.priors.get(term)
    cfg = lex.rules["prior"]
    return p is None or p.found < cfg["min_found"] or p.rate >= cfg["min_rate"]


# Candidates that only a ranker can weigh: whole items that compete with the known term inside,
# items of lists and tables with too few known reactions to vouch for them, acronyms, noun
# phrases around a head word, and coordinations joined into strings that no lexicon knows.
_RANKER_ONLY = frozenset({"item", "list_weak", "table_weak", "abbrev", "coord_weak", "np", "disease", "category"})

# Spans found only by standing in a list or table with known reactions.
_LISTED = frozenset({"list", "list_weak", "table", "table_weak"})

_DEFAULT: Lexicon | None = None


def default_lexicon() -> Lexicon:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_lexicon()
    return _DEFAULT


@dataclass(frozen=True)
class Candidate:
    """A possible mention before the final choice: where it is, how it was found, and whether a context rule excluded it."""

    i: int  # first token
    e: int  # end token
    mention: Mention
    # "ctcae", "learned", "curated", "extra", "lab", "list", "list_weak", "table", "table_weak", "item", "xref", "coord",
    # "coord_weak", "np" or "abbrev"
    origin: str
    excluded: str = ""  # ContextFilter.reason ("before:history of", "advice", ...), "" when no rule applies


def analyze(text: str, section: str | None, lex: Lexicon) -> tuple[Doc, list[Candidate]]:
    """Every candidate mention of a text, with the context rule that excluded it, if any (a ranker may weigh it).

    Candidates on furniture lines (reporting contact, table captions) are left out altogether.
    """
    assert lex.context is not None
    doc = Doc(text, lex.heads, lex.words)
    ctx = ContextFilter(text, lex.context, section)
    spans: list[tuple[int, int, str]] = []
    origins: list[str] = []
    out: list[Candidate] = []
    blocked: list[tuple[int, int]] = []  # stop phrases and excluded mentions: list members, but not reactions
    prev_end = 0
    for i, e, kind, source in candidates(doc, lex):
        floor, prev_end = prev_end, e
        if kind == "stop":
            blocked.append((i, e))
            continue
        if kind == "reaction":
            i = extend_left(doc, lex, i, floor)
        s, t = doc.span(i, e)
        if why := ctx.reason(s, t):
            blocked.append((i, e))
            # furniture (reporting contact, table captions) is never a mention: no candidate for the ranker
            if why != "furniture":
                out.append(Candidate(i, e, Mention(s, t, text[s:t], kind), source, why))
            continue
        spans.append((i, e, kind))
        origins.append(source)
    known = [(i, e) for i, e, _ in spans]
    items: list[Candidate] = []  # whole list items around a known term: alternatives to it, kept out of coordination
    for i, e, how in propagate(doc, lex, known, blocked):
        s, t = doc.span(i, e)
        if why := ctx.reason(s, t):
            if why != "furniture":
                out.append(Candidate(i, e, Mention(s, t, text[s:t]), how, why))
        elif how == "item":
            items.append(Candidate(i, e, Mention(s, t, text[s:t]), how))
        else:
            spans.append((i, e, "reaction"))
            origins.append(how)
    weak = frozenset(i for (i, _, _), o in zip(spans, origins, strict=True) if o in _LISTED)
    expansions, consumed = expand(doc, lex, spans, weak)
    for (i, e, kind), origin in zip(spans, origins, strict=True):
        if i not in consumed:
            s, t = doc.span(i, e)
            out.append(Candidate(i, e, Mention(s, t, text[s:t], kind), origin))
    for i, e, term, kind, how in expansions:
        s, t = doc.span(i, e)
        out.append(Candidate(i, e, Mention(s, t, text[s:t], kind, term), how))
    out.extend(items)
    # candidates beside the lexicon's: only a ranker weighs them (a context rule's verdict goes with them)
    held = _held(len(doc.keys), blocked)
    diseases = _disease_names(doc, lex, held)
    extra = [
        *((i, e, "disease") for i, e in diseases),
        *((i, e, "np") for i, e in _noun_phrases(doc, lex, spans, held)),
        *((i, e, "category") for i, e in _categories(doc, lex, held)),
        *((i, e, "abbrev") for i, e in _acronyms(doc, [*spans, *((i, e, "reaction") for i, e in diseases)])),
    ]
    for i, e, origin in extra:
        s, t = doc.span(i, e)
        why = ctx.reason(s, t)
        if why != "furniture":
            out.append(Candidate(i, e, Mention(s, t, text[s:t]), origin, why))
    return doc, out


def _held(n: int, blocked: list[tuple[int, int]]) -> bytearray:
    """A flag per token: inside a stop phrase or an excluded mention, where no phrase may start or reach."""
    held = bytearray(n)
    for i, e in blocked:
        held[i:e] = b"\x01" * (e - i)
    return held


def _disease_names(doc: Doc, lex: Lexicon, held: bytearray) -> list[tuple[int, int]]:
    """Disease names that no term of the lexicon spells: greedy longest matches, left to right, never
    inside a hyphenated compound or a stop phrase ("Infections and infestations")."""
    keys, joined, n = doc.keys, doc.joined, len(doc.keys)
    trie, terms = lex.diseases, lex.terms
    first = trie.root
    if not first:
        return []
    out = []
    after = 0  # where the last name ended: names do not overlap
    # a comprehension finds the few tokens that start some name faster than a loop over every token
    for i in [i for i, k in enumerate(keys) if k in first]:
        node = first[keys[i]]
        # most first words go no further: a name needs to be one word, or go on with the next one
        if i < after or joined[i] or held[i] or ("" not in node and (i + 1 >= n or keys[i + 1] not in node)):
            continue
        best = i
        for e, _ in trie.ends(keys, i, doc.stop[i]):
            if e > best and (e == n or not joined[e]) and not any(held[i:e]):
                best = e
        if best > i and terms.get(keys[i:best]) is None:
            out.append((i, best))
            after = best
    return out


def _categories(doc: Doc, lex: Lexicon, held: bytearray) -> list[tuple[int, int]]:
    """Named categories of reactions: "renal-related adverse reactions", "infectious adverse events",
    "cerebrovascular adverse events" (NLM annotates them like reactions). The words before
    "adverse <head>" are up to max_words content words (as for noun phrases), at least one."""
    keys, joined, n = doc.keys, doc.joined, len(doc.keys)
    heads, never = lex.category_heads, lex.np_words
    reach = lex.rules["noun_phrases"]["max_words"]
    out: list[tuple[int, int]] = []
    for k in range(1, n - 1):
        if keys[k] != "adverse" or keys[k + 1] not in heads or doc.stop[k] < k + 2:
            continue
        j = k
        while j > 0 and k - j < reach and doc.stop[j - 1] > k and not held[j - 1] and j not in doc.free_dash:
            w = keys[j - 1]
            if not w.isalpha() or (w in never and not joined[j - 1]) or (len(w) < 3 and not joined[j]):
                break
            j -= 1
        while j < k and joined[j]:  # never start inside "immune-mediated"
            j += 1
        if j < k:
            out.append((j, k + 2))
    return out


def _noun_phrases(doc: Doc, lex: Lexicon, spans: list[tuple[int, int, str]], held: bytearray) -> list[tuple[int, int]]:
    """Noun phrases ending in a reaction head word, with more modifiers than any candidate there:
    "renal function impairment", "tuberculosis infections", "necrotizing skin lesions".

    The phrase takes up to max_words content words before the head (no function, severity or list
    stop words, no brand names in capitals) within one table cell and never inside a hyphenated compound.
    """
    keys, joined, n = doc.keys, doc.joined, len(doc.keys)
    heads, never = lex.np_heads, lex.np_words
    reach = lex.rules["noun_phrases"]["max_words"]
    start_at = {e: i for i, e, _ in spans}  # a candidate ending at a head: the phrase must reach further left
    out: list[tuple[int, int]] = []
    for k in range(n):
        if keys[k] not in heads or held[k] or (k + 1 < n and joined[k + 1]):
            continue
        j = k
        while j > 0 and k - j < reach and doc.stop[j - 1] > k and not held[j - 1] and j not in doc.free_dash:
            w = keys[j - 1]
            if not w.isalpha() or len(w) < 3 or w in never or (doc.word(j - 1).isupper() and len(w) >= 4 and not joined[j]):
                break
            j -= 1
        while j < k and joined[j]:  # never start inside "drug-induced"
            j += 1
        if j < k and j < start_at.get(k + 1, k + 1):
            out.append((j, k + 1))
    return out


def _abbreviates(short: str, long: str) -> bool:
    """Schwartz and Hearst's test: the short form's letters appear in order in the long form, the first at a word start."""
    s, lf = short.lower(), long.lower()
    li = len(lf) - 1
    for si in range(len(s) - 1, -1, -1):
        c = s[si]
        if not c.isalnum():
            continue
        while li >= 0 and (lf[li] != c or (si == 0 and li > 0 and lf[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return False
        li -= 1
    return True


def _acronyms(doc: Doc, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Every occurrence of an acronym that the text defines for a candidate: "neuroleptic malignant syndrome (NMS)".

    NLM annotates the acronym as a reaction of its own wherever it stands; occurrences already
    inside a candidate are left to it.
    """
    keys, n = doc.keys, len(doc.keys)
    defined: set[str] = set()
    for i, e, _ in spans:
        if e + 2 < n and keys[e] == "(" and keys[e + 2] == ")":
            raw = doc.word(e + 1)
            if 2 <= len(raw) <= 7 and raw[0].isupper() and sum(ch.isupper() for ch in raw) >= 2:
                # the long form may begin a few words before the candidate ("worsening congestive heart failure (CHF)")
                if _abbreviates(raw, doc.text[doc.starts[max(0, i - 3)] : doc.ends[e - 1]]):
                    defined.add(raw)
    if not defined:
        return []
    covered = {k for i, e, _ in spans for k in range(i, e)}
    low = {norm_word(w) for w in defined}  # the engine's keys: "CRPS" is keyed "crp" like any plural
    return [(k, k + 1) for k in range(n) if keys[k] in low and k not in covered and doc.word(k) in defined]


def find_reactions(
    text: str, section: str | None = None, lexicon: Lexicon | None = None, *, precise: bool = False
) -> list[Mention]:
    """Adverse-reaction mentions in one label section, in text order.

    With a ranker in the lexicon, each unique candidate string is scored from its features and
    kept above the ranker's threshold (best F1), or with precise=True above its precise threshold
    (cross-validated precision ≥ 0.90, lower recall); without a ranker, candidates excluded by a
    context rule are dropped and the rest pass the fixed prior threshold (coordination expansions
    always pass).
    """
    lex = lexicon or default_lexicon()
    doc, cands = analyze(text, section, lex)
    if lex.ranker is not None:
        return sorted(set(lex.ranker.select(doc, cands, section, lex, precise=precise)))
    return sorted(set(unranked(cands, lex)))


def unranked(cands: list[Candidate], lex: Lexicon, also: frozenset[str] = frozenset()) -> list[Mention]:
    """The mentions kept without a ranker: not excluded by a context rule, not of a ranker-only
    origin (unless in also), and passing the fixed prior threshold (coordination expansions always pass)."""
    return [
        c.mention
        for c in cands
        if not c.excluded
        and (c.origin not in _RANKER_ONLY or c.origin in also)
        and (c.origin == "coord" or _prior_ok(lex, c.mention.term))
    ]
