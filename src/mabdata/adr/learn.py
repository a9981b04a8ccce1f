"""Learn reaction strings and their priors from annotated label sections (TAC 2017 ADR format).

    python -m mabdata.adr.learn TRAIN.json   # rewrites data/learned_strings.txt and data/learned_priors.tsv

Only the annotated mention strings (label text) are kept; MedDRA terms and codes in the
annotations are never read into anything that is written.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mabdata.adr.engine import find_reactions
from mabdata.adr.lexicon import DATA, LEARNED_FILE, PRIORS_FILE, Lexicon, Prior, load_lexicon


@dataclass(frozen=True)
class GoldMention:
    term: str  # lowercased mention string
    start: int | None  # first occurrence in the section text; None for discontinuous mentions
    length: int


@dataclass(frozen=True)
class AnnotatedSection:
    label: str
    section: str
    text: str
    gold: tuple[GoldMention, ...]  # adverse reactions in humans (animal and drug-class mentions left out)

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(g.term for g in self.gold)


def read_tac(path: Path) -> Iterator[AnnotatedSection]:
    """Sections of a TAC 2017 ADR JSON file as converted by OnSIDES; MedDRA columns are dropped here."""
    for s in json.loads(path.read_text(encoding="utf-8")):
        gold = tuple(
            GoldMention(e[0], None if e[5] is None else int(e[5]), int(e[6])) for e in s["adverse_events"] if e[7] == "human"
        )
        yield AnnotatedSection(s["label_id"], s["section_name"], s["section_text"], gold)


@dataclass
class Learned:
    strings: list[str]
    priors: dict[str, Prior]

    def lexicon(self) -> Lexicon:
        """CTCAE and curated terms plus these strings and priors (and nothing shipped)."""
        return load_lexicon(self.strings, learned=False, priors=self.priors)


def learn(sections: Iterable[AnnotatedSection]) -> Learned:
    """Strings = every annotated string; prior = in how many labels the engine finds it and how many annotate it."""
    by_label: dict[str, list[AnnotatedSection]] = defaultdict(list)
    for s in sections:
        by_label[s.label].append(s)
    strings = sorted({t for secs in by_label.values() for s in secs for t in s.terms})
    lex = load_lexicon(strings, learned=False, priors={})
    found: Counter[str] = Counter()
    annotated: Counter[str] = Counter()
    for secs in by_label.values():
        gold = frozenset().union(*(s.terms for s in secs))
        seen = {m.term for s in secs for m in find_reactions(s.text, s.section, lex)}
        found.update(seen)
        annotated.update(seen & gold)
    priors = {t: Prior(found[t], annotated[t]) for t in sorted(found)}
    return Learned(strings, priors)


def write(learned: Learned, folder: Path = DATA) -> None:
    head = "# Adverse-reaction mention strings learned from the TAC 2017 ADR training labels (label text only).\n"
    (folder / LEARNED_FILE).write_text(head + "".join(f"{s}\n" for s in learned.strings), encoding="utf-8")
    head = "# string<TAB>labels where the engine found it<TAB>labels that annotate it (TAC 2017 ADR training).\n"
    rows = "".join(f"{s}\t{p.found}\t{p.annotated}\n" for s, p in learned.priors.items())
    (folder / PRIORS_FILE).write_text(head + rows, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train", type=Path)
    args = ap.parse_args(argv)
    learned = learn(read_tac(args.train))
    write(learned)
    print(f"{len(learned.strings)} strings, {len(learned.priors)} priors -> {DATA}")


if __name__ == "__main__":
    main()
