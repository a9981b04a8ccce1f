"""Context filters: negated, non-drug (history, indication, population) and furniture contexts.

The cue phrases are data (rules.yaml: context); this module only compiles them and decides
how much text around a mention they look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A cue may govern a short run of listed items: "history of asthma, COPD, or [X]".
_LIST_TAIL = r"(?:[\w'/-]+[,]?\s+(?:(?:and|or|and/or)\s+)?){0,%d}$"
# How far back a cue may stand: the current clause, at most this many characters.
_WINDOW = 90
_CLAUSE_END = re.compile(r"[.;:!?\n]\s|\n\s*\n|\*|•|\?\s")


@dataclass(frozen=True)
class Context:
    before: re.Pattern[str]
    after: re.Pattern[str]
    furniture: re.Pattern[str]
    sentence: re.Pattern[str]  # anywhere in the sentence: advice and symptom-watch sentences


def _alternation(phrases: list[str]) -> str:
    return "|".join(sorted(phrases, key=len, reverse=True))


def compile_rules(rules: dict[str, Any]) -> Context:
    c = rules["context"]
    before = rf"(?:^|\W)(?:{_alternation(c['before'])})\s+" + _LIST_TAIL % c["list_words"]
    after = rf"^\s*(?:{_alternation(c['after'])})(?:\W|$)"
    furniture = "|".join(f"(?:{p})" for p in c["furniture_lines"])
    sentence = rf"\b(?:{_alternation(c['sentence'])})\b"
    return Context(
        re.compile(before, re.I), re.compile(after, re.I), re.compile(furniture, re.I | re.M), re.compile(sentence, re.I)
    )


def clause_before(text: str, start: int) -> str:
    left = text[max(0, start - _WINDOW) : start]
    cut = 0
    for m in _CLAUSE_END.finditer(left):
        cut = m.end()
    return left[cut:]


_SENTENCE_END = re.compile(r"\.\s|\n\s*\n|\*|•")


def sentence_of(text: str, start: int, end: int) -> str:
    """The sentence (or bullet) around a mention, at most 300 characters either side."""
    left = text[max(0, start - 300) : start]
    cut = 0
    for m in _SENTENCE_END.finditer(left):
        cut = m.end()
    right = text[end : end + 300]
    m = _SENTENCE_END.search(right)
    return left[cut:] + text[start:end] + (right[: m.start()] if m else right)


def excluded(text: str, start: int, end: int, ctx: Context, section: str | None = None) -> bool:
    """True when the words just before or after a mention make it no reaction to the drug.

    Outside the adverse-reactions section, sentences that advise or list warning signs
    ("advise patients to report dark urine, ...") name symptoms to watch, not reactions.
    """
    if ctx.before.search(clause_before(text, start)):
        return True
    if ctx.after.search(text[end : end + 40]):
        return True
    return section != "adverse reactions" and bool(ctx.sentence.search(sentence_of(text, start, end)))


def furniture_spans(text: str, ctx: Context) -> list[tuple[int, int]]:
    """Whole lines that are label furniture (reporting contacts, table captions): nothing in them is a mention."""
    return [(m.start(), m.end()) for m in ctx.furniture.finditer(text)]
