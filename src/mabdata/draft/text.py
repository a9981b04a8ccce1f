"""Documents, their sections and sentences.

A document is an openFDA label (rendered with mabdata.labels, so quotes point into the same
text the build checks them against, with its section offsets) or a plain text (a web
monograph, or a label text without its JSON record). Sentences never cross a section
boundary, so every quote the drafter takes stays inside one label section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mabdata import labels
from mabdata.draft.patterns import data, rx


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    section: str | None  # innermost label section; None for plain text
    block: int  # paragraph (web) or section part (label) the sentence belongs to


@dataclass
class Document:
    text: str
    sections: tuple[labels.Section, ...] = ()
    meta: dict = field(default_factory=dict)
    diseases: Any = None  # a lexicon.DiseaseIndex, set by the engine

    def blocks(self) -> list[tuple[int, int]]:
        """Top-level label sections, or the lines of a plain text: the units names are found in."""
        if self.sections:
            return [(s.start, s.end) for s in self.sections if s.parent is None]
        return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", self.text)]

    @property
    def title(self) -> str:
        return self.text.split("\n", 1)[0].rstrip("\r")

    @property
    def is_label(self) -> bool:
        return bool(self.sections)


def load(path: Path) -> Document:
    """An openFDA JSON record, a rendered label .txt (re-rendered from labels/raw when its record
    is there and renders to the same text), or any other text as plain text."""
    if path.suffix.lower() == ".json":
        label = labels.render(path.read_bytes(), str(path))
        return Document(label.text, label.sections, dict(label.meta))
    text = path.read_bytes().decode("utf-8")
    for raw in (path.parent / "raw" / f"{path.stem}.json", path.with_suffix(".json")):
        if raw.is_file():
            label = labels.render(raw.read_bytes(), str(raw))
            if label.text == text:  # offsets are only valid for the same text
                return Document(label.text, label.sections, dict(label.meta))
    return Document(text)


# ---- sentences ------------------------------------------------------------------------------


# Where a sentence may end: a full stop before a capital (checked against abbreviations in
# Python, which is much faster than a lookbehind per abbreviation at every position), a line
# end, a bullet.
_CANDIDATE = re.compile(r"[.!?]\s+(?=[A-Z0-9(•\[\u201c\"'])|\n+|•")
_REF_SPLIT = re.compile(r"\(\s*\d+(?:\.\d+)*(?:\s*,\s*\d+(?:\.\d+)*)*\s*\)\s+(?=[A-Z•])")
_LEAD = re.compile(r"(?:\s|•|\(\s*\d+(?:\.\d+)*(?:\s*,\s*\d+(?:\.\d+)*)*\s*\))+")
_INITIAL = re.compile(r"(?:^|\W)(?:[A-Z]\.)+[A-Z]$")


@cache
def _abbreviations() -> frozenset[str]:
    return frozenset(a.casefold() for a in data("text")["abbreviations"])


def _ends_sentence(text: str, pos: int) -> bool:
    """The full stop at pos ends a sentence (not "e.g.", "vs.", "U.S.")."""
    if text[pos] != ".":
        return True
    k = pos
    while k > 0 and not text[k - 1].isspace() and pos - k < 12:
        k -= 1
    word = text[k:pos]
    return word.casefold().rstrip(".") not in _abbreviations() and not _INITIAL.search(word)


def split(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end], trimmed of white space, bullets and
    leading cross-references."""
    marks: list[tuple[int, int]] = []
    for m in _CANDIDATE.finditer(text, start, end):
        c = text[m.start()]
        if c in ".!?":
            if _ends_sentence(text, m.start()):
                marks.append((m.start() + 1, m.end()))
        else:
            marks.append((m.start(), m.end()))
    marks += [(m.end(), m.end()) for m in _REF_SPLIT.finditer(text, start, end)]
    marks.sort()
    pos = start
    for cut, nxt in [*marks, (end, end)]:
        if cut < pos:
            continue
        a, b = pos, cut
        lead = _LEAD.match(text, a, b)
        if lead:
            a = lead.end()
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            yield a, b
        pos = nxt


def strip_refs(text: str, a: int, b: int) -> tuple[int, int]:
    """The span without trailing cross-references and the full stop after them."""
    while True:
        seg = text[a:b]
        m = re.search(r"(?:\s*(?:\(\s*\d+(?:\.\d+)*(?:\s*,\s*\d+(?:\.\d+)*)*\s*\)|\[\s*see [^\]]*\]))\s*[.]?\s*$", seg)
        if not m or m.start() == 0:
            return a, b
        b = a + m.start()


@cache
def _furniture_parts() -> tuple[re.Pattern[str], ...]:
    """The furniture patterns one by one, case-sensitive, for lower-cased text: scanning a whole
    section with each is several times faster than one case-insensitive alternation."""
    return tuple(re.compile(p, re.M) for p in data("text")["furniture"])


@cache
def _furniture() -> re.Pattern[str]:
    return rx("text", "furniture", re.I | re.M)


def is_furniture(s: str) -> bool:
    return any(_counts(m, 0) for m in _furniture().finditer(s))


def _counts(m: re.Match[str], sentence_start: int) -> bool:
    """A caption pattern counts only where it opens the sentence ("see Table 1" is prose)."""
    return m.group(0).lstrip()[:5].lower() not in ("table", "figur") or m.start() <= sentence_start + 1


def _furniture_sentences(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Indexes of the spans that hold page furniture, found in one pass over their text (per
    sentence the patterns would cost as much again as everything else)."""
    if not spans:
        return set()
    from bisect import bisect_right

    lo, hi = spans[0][0], spans[-1][1]
    low = text[lo:hi].lower()
    if len(low) != hi - lo:  # a character whose lower case is longer: offsets would shift
        return {k for k, (a, b) in enumerate(spans) if is_furniture(text[a:b])}
    starts = [a - lo for a, _ in spans]
    out = set()
    matches = [m for p in _furniture_parts() for m in p.finditer(low)]
    for m in matches:
        k = bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < spans[k][1] - lo:
            if _counts(m, starts[k]):
                out.add(k)
    return out


def _web_blocks(text: str) -> Iterator[tuple[int, int]]:
    """Paragraphs of a web page up to the furniture tail ("Related articles": links follow)."""
    tail = rx("text", "furniture_tail", re.I | re.M).search(text)
    limit = tail.start() if tail else len(text)
    for m in re.finditer(r"[^\n]+", text[:limit]):
        yield m.start(), m.end()


def sentences(doc: Document) -> list[Sentence]:
    """Every content sentence, in text order: inside one label section (the innermost), never
    page furniture, never from a skipped section (the patient counselling repeats)."""
    cfg = data("text")
    out: list[Sentence] = []
    if doc.is_label:
        skipped = set(cfg["skipped_sections"])
        wanted = set(cfg["drafted_sections"])
        top = [s for s in doc.sections if s.parent is None]
        subs = [s for s in doc.sections if s.parent is not None]
        for block, sec in enumerate(top):
            if sec.section in skipped:
                continue
            inner = [s for s in subs if sec.start <= s.start and s.end <= sec.end]
            if sec.section in wanted:
                ranges = [(sec.start, sec.end)]
            else:  # only the wanted subsections of an unwanted parent (12.1 inside 12)
                ranges = [(x.start, x.end) for x in inner if x.section in wanted]
            spans = [sp for a0, b0 in ranges for sp in split(doc.text, a0, b0)]
            furniture = _furniture_sentences(doc.text, spans)
            for k, (a, b) in enumerate(spans):
                s = doc.text[a:b]
                if k in furniture or len(s.split()) < cfg["min_words_label"]:
                    continue
                # a sentence inside a subsection (12.1 inside 12) belongs to it only if it stays inside
                holder = next((x.section for x in inner if x.start <= a and b <= x.end), sec.section)
                out.append(Sentence(a, b, holder, block))
        return out
    for block, (pa, pb) in enumerate(_web_blocks(doc.text)):
        if _headline(doc.text[pa:pb]):
            continue
        for a, b in split(doc.text, pa, pb):
            s = doc.text[a:b]
            if is_furniture(s):
                continue
            if s.endswith((".", "!", "?")) and len(s.split()) >= cfg["min_words_web"]:
                out.append(Sentence(a, b, None, block))
    return out


def _headline(line: str) -> bool:
    """A line in title case ("Is There a Vaccine for Rheumatic Fever?"): a heading or a link, not prose."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", line) if len(w) >= 4]
    return len(line) < 120 and len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def headings(doc: Document) -> list[tuple[int, int]]:
    """Heading lines of a web page (short lines without a final stop): they group its paragraphs."""
    out = []
    for m in re.finditer(r"[^\n]+", doc.text):
        line = m.group(0).strip()
        if line and len(line.split()) <= 12 and not line.endswith((".", "!", "?", ":")):
            out.append((m.start(), m.end()))
    return out
