"""Context filters: negated, non-drug (history, indication, population), advice and furniture contexts.

The cue phrases are data (rules.yaml: context); this module only compiles them and decides
how much text around a mention they look at. Cues and clause ends are found once per text
and looked up by position, so the cost does not grow with the number of mentions.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

# How far back a "before" cue may stand (within its clause), and how far a sentence reaches.
_WINDOW = 90
_SENTENCE_REACH = 300
_CLAUSE_END = re.compile(r"[.;:!?\n]\s|\n\s*\n|\*|•")
_SENTENCE_END = re.compile(r"\.\s|\n\s*\n|\*|•")
_META = re.compile(r"[.^$*+?{}\[\]\\|()]")


@dataclass(frozen=True)
class Context:
    before: re.Pattern[str]  # a cue ending the clause before a mention ("history of", "no")
    tail: re.Pattern[str]  # what may stand between that cue and the mention: a few listed words
    after: re.Pattern[str]  # a word right after a mention ("patients", "trials")
    furniture: re.Pattern[str]  # whole lines that hold no mentions
    sentence: re.Pattern[str]  # anywhere in the sentence: advice and symptom-watch sentences


def _alternation(phrases: list[str]) -> str:
    """The phrases as one regular expression that prefers the longest match at any position.

    Plain phrases are compiled as a prefix trie ("patients (?:with(?: a history of)?|who ...)"):
    Python's re tries alternatives one by one at every position, so a flat list of fifty phrases
    made these scans a third of the engine's time; the trie tries one branch per first letter.
    Longer continuations come first and optional tails are greedy, so the match chosen at a
    position is the same as with the longest-first flat alternation. Phrases that are regular
    expressions themselves ("trials?") keep the flat form.
    """
    if any(_META.search(p) for p in phrases):
        return "|".join(sorted(phrases, key=len, reverse=True))
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase.lower():
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: dict) -> str:
    ends = "" in node
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:  # the phrase may stop here: the longer ones are tried first (greedy "?")
        return body + "?" if len(branches) == 1 and len(body) == 1 else "(?:" + body + ")?"
    return body


def compile_rules(rules: dict[str, Any]) -> Context:
    c = rules["context"]
    # A cue may govern a short run of listed items: "history of asthma, COPD, or [X]".
    n = int(c["list_words"])
    tail = rf"\s+(?:[\w'/-]+,?\s+(?:(?:and|or|and/or)\s+)?){{0,{n}}}"
    return Context(
        before=re.compile(rf"(?<!\w)(?:{_alternation(c['before'])})(?=\s)", re.I),
        tail=re.compile(tail, re.I),
        after=re.compile(rf"\s*(?:{_alternation(c['after'])})(?:\W|$)", re.I),
        furniture=re.compile("|".join(f"(?:{p})" for p in c["furniture_lines"]), re.I | re.M),
        sentence=re.compile(rf"\b(?:{_alternation(c['sentence'])})\b", re.I),
    )


class ContextFilter:
    """The context cues of one text, by position."""

    def __init__(self, text: str, ctx: Context, section: str | None) -> None:
        self.text = text
        self.ctx = ctx
        cues = [(m.end(), m.start()) for m in ctx.before.finditer(text)]
        self.cue_ends = [e for e, _ in cues]
        self.cue_starts = [s for _, s in cues]
        self.clause_ends = [m.end() for m in _CLAUSE_END.finditer(text)]
        # Outside the adverse-reactions section, sentences that advise or list warning signs
        # ("advise patients to report dark urine, ...") name symptoms to watch, not reactions.
        self.advice = [] if section == "adverse reactions" else [m.start() for m in ctx.sentence.finditer(text)]
        if self.advice:
            ends = list(_SENTENCE_END.finditer(text))
            self.sent_starts = [m.start() for m in ends]
            self.sent_ends = [m.end() for m in ends]
        self.furniture = [(m.start(), m.end()) for m in ctx.furniture.finditer(text)]

    def _clause_start(self, start: int) -> int:
        k = bisect_right(self.clause_ends, start) - 1
        lo = start - _WINDOW
        return max(lo, self.clause_ends[k]) if k >= 0 else max(lo, 0)

    def _negated_or_non_drug(self, start: int) -> str:
        """The cue ("history of", "no") that governs a mention starting at start, or ""."""
        lo = self._clause_start(start)
        k = bisect_right(self.cue_ends, start) - 1
        while k >= 0 and self.cue_starts[k] >= lo:
            if self.ctx.tail.fullmatch(self.text, self.cue_ends[k], start):
                return self.text[self.cue_starts[k] : self.cue_ends[k]].lower()
            k -= 1
        return ""

    def _in_advice(self, start: int, end: int) -> bool:
        k = bisect_left(self.advice, start - _SENTENCE_REACH)
        if k == len(self.advice) or self.advice[k] > end + _SENTENCE_REACH:
            return False
        j = bisect_right(self.sent_ends, start) - 1
        lo = max(start - _SENTENCE_REACH, self.sent_ends[j] if j >= 0 else 0)
        j = bisect_left(self.sent_starts, end)
        hi = min(end + _SENTENCE_REACH, self.sent_starts[j] if j < len(self.sent_starts) else len(self.text))
        k = bisect_left(self.advice, lo)
        return k < len(self.advice) and self.advice[k] < hi

    def furniture_at(self, pos: int) -> bool:
        """Inside a furniture line (reporting contact, table caption)."""
        return any(a <= pos < b for a, b in self.furniture)

    def excluded(self, start: int, end: int) -> bool:
        """True when the words around a mention make it no reaction to the drug (or label furniture)."""
        return bool(self.reason(start, end))

    def reason(self, start: int, end: int) -> str:
        """Why a mention is excluded ("furniture", "before:<cue>", "after", "advice"), or "" when it is not."""
        if self.furniture_at(start):
            return "furniture"
        if cue := self._negated_or_non_drug(start):
            return "before:" + " ".join(cue.split())
        if self.ctx.after.match(self.text, end, end + 40):
            return "after"
        if self.advice and self._in_advice(start, end):
            return "advice"
        return ""
