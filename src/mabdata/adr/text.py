"""Tokens with offsets and the normalized keys that the lexicon is matched on.

Matching is done on keys, output is always the verbatim text span, because the TAC measure
compares the lowercased label text, not a normalized form.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Words (letters/digits, with an inner apostrophe as in "Hodgkin's") or single punctuation marks.
TOKEN = re.compile(r"[^\W_]+|[^\w\s]|_")
# British spellings that labels and CTCAE mix freely: haemorrhage/hemorrhage, oedema/edema.
_BRITISH = (("aemia", "emia"), ("haem", "hem"), ("oedema", "edema"), ("aesthe", "esthe"), ("oea", "ea"), ("paed", "ped"))
# Hyphens and slashes join words the same way a space does ("infusion-related" == "infusion related").
JOINERS = frozenset({"-", "–", "‐"})


class Token(NamedTuple):
    start: int
    end: int
    key: str  # normalized form ("" for a joiner, which matching skips)


def singular(word: str) -> str:
    """A crude singular, good enough to make "infections" meet "infection" on both sides of a match."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("aches"):  # "headaches", "backaches": an "ache" noun, not "-ch" + "es"
        return word[:-1]
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    # "-as" and "-ys" are plurals of reaction nouns ("arrhythmias", "lymphomas", "kidneys"); a singular
    # such as "pancreas" loses its "s" on both sides of a match alike, so nothing is confused
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_CACHE: dict[str, str] = {}


def norm_word(word: str) -> str:
    key = _CACHE.get(word)
    if key is None:
        w = word.lower()
        if "ae" in w or "oe" in w:
            for a, b in _BRITISH:
                w = w.replace(a, b)
        key = "" if word in JOINERS else singular(w)
        if len(_CACHE) < 200_000:  # label vocabulary is small; the bound keeps memory flat on any input
            _CACHE[word] = key
    return key


def word_key_cache() -> dict[str, str]:
    """The word -> key cache, for callers that tokenize in bulk (engine.Doc)."""
    return _CACHE


def tokenize(text: str) -> list[Token]:
    get = _CACHE.get
    out = []
    for m in TOKEN.finditer(text):
        w = m.group()
        key = get(w)
        out.append(Token(m.start(), m.end(), key if key is not None else norm_word(w)))
    return out


def key_of(phrase: str) -> tuple[str, ...]:
    """The match key of a lexicon phrase: its normalized tokens, joiners dropped."""
    return tuple(t.key for t in tokenize(phrase) if t.key)
