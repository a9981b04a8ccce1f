"""The reaction lexicon: CTCAE terms, strings learned from annotated labels, and lab grammar pieces.

Everything here is read from plain data files (data/ and the project's CTCAE vocabulary) so a
curator can see and extend what is recognized without touching the engine.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mabdata import paths
from mabdata.adr.context import Context, compile_rules
from mabdata.adr.ranker import Ranker
from mabdata.adr.text import key_of
from mabdata.adr.trie import Trie

DATA = Path(str(resources.files("mabdata.adr") / "data"))
LEARNED_FILE = "learned_strings.txt"
PRIORS_FILE = "learned_priors.tsv"
RANKER_FILE = "ranker.json"
DISEASE_FILE = "disease_terms.txt"  # Disease Ontology names (ontology.py)


@dataclass(frozen=True)
class Entry:
    kind: str  # "reaction" or "lab_abnormality"
    source: str  # "ctcae", "learned", "extra", "curated"


@dataclass
class Prior:
    """How often a string, when the engine found it in a training label, was annotated there."""

    found: int
    annotated: int

    @property
    def rate(self) -> float:
        return self.annotated / self.found if self.found else 1.0


@dataclass
class Lexicon:
    terms: Trie = field(default_factory=Trie)
    priors: dict[str, Prior] = field(default_factory=dict)  # pooled over surface forms (pool_priors)
    form_priors: dict[str, Prior] = field(default_factory=dict)  # each surface form's own, for the ranker
    rules: dict[str, Any] = field(default_factory=dict)
    analytes: Trie = field(default_factory=Trie)
    lab_pre: Trie = field(default_factory=Trie)
    lab_post: Trie = field(default_factory=Trie)

    modifiers: frozenset[str] = frozenset()
    context: Context | None = None
    item_stop: frozenset[str] = frozenset()
    lab_qualifiers: frozenset[str] = frozenset()
    lab_starts: frozenset[str] = frozenset()  # first words of any lab phrase: the lab grammar is tried only there
    words: frozenset[str] = frozenset()  # every word of a term, analyte or lab direction
    heads: frozenset[str] = frozenset()  # words that end a reaction term or a lab phrase
    negations: frozenset[str] = frozenset()  # ContextFilter reasons that the ranker may not overrule ("before:no")
    np_heads: frozenset[str] = frozenset()  # words that end several multi-word reaction terms ("impairment", "lesions")
    np_words: frozenset[str] = frozenset()  # words that never stand in such a noun phrase (function, severity, item stop words)
    ranker: Ranker | None = None  # chooses among candidates; None: context rules and the fixed prior threshold
    # Disease names: extra candidates beside the terms, never in their place (a longer disease name
    # must not hide the CTCAE term inside it), and never in the modifier, head and word sets above.
    diseases: Trie = field(default_factory=Trie)
    category_heads: frozenset[str] = frozenset()  # "adverse <head>" names a category of reactions ("events", "effects")

    def add(self, phrase: str, entry: Entry) -> None:
        """Add a phrase; the first entry for a key wins, so stop phrases added first cannot be overridden."""
        key = key_of(phrase)
        if key and self.terms.get(key) is None:
            self.terms.add(key, entry)


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@cache
def rules() -> dict[str, Any]:
    return yaml.safe_load((DATA / "rules.yaml").read_text(encoding="utf-8"))


@cache
def ctcae_terms() -> tuple[str, ...]:
    """CTCAE v5.0 terms, without the "<SOC> - Other, specify" catch-alls (a category, not a reaction)."""
    with (paths.schema_dir() / "vocabularies" / "ctcae_term.csv").open(encoding="utf-8") as fh:
        terms = [row["term"] for row in csv.DictReader(fh)]
    out = []
    for t in terms:
        if "- Other, specify" in t:
            continue
        out.append(re.sub(r"\s+NOS$", "", t))
    return tuple(out)


@cache
def soc_names() -> tuple[str, ...]:
    """System organ class names: table row headers in labels, never reactions themselves."""
    with (paths.schema_dir() / "vocabularies" / "ctcae_soc.csv").open(encoding="utf-8") as fh:
        return tuple(row["term"] for row in csv.DictReader(fh))


def learned_strings() -> list[str]:
    return _lines(LEARNED_FILE)


def learned_priors() -> dict[str, Prior]:
    out = {}
    for ln in _lines(PRIORS_FILE):
        s, found, ann = ln.rsplit("\t", 2)
        out[s] = Prior(int(found), int(ann))
    return out


def pool_priors(priors: Mapping[str, Prior]) -> dict[str, Prior]:
    """Priors pooled over the surface forms the engine matches alike (singular/plural, spelling):
    a prior learned for one form ("upper respiratory tract infections": found twice, never
    annotated) must not veto the form the annotators happened to write more often."""
    pooled: dict[tuple[str, ...], list[int]] = {}
    for term, p in priors.items():
        acc = pooled.setdefault(key_of(term), [0, 0])
        acc[0] += p.found
        acc[1] += p.annotated
    return {t: Prior(*pooled[key_of(t)]) for t in priors}


def load_lexicon(
    extra_strings: Iterable[str] = (),
    *,
    learned: bool = True,
    priors: Mapping[str, Prior] | None = None,
) -> Lexicon:
    """CTCAE + curated terms + (unless learned=False) the shipped learned strings, priors and ranker + extra_strings.

    Cross-validation passes learned=False with the strings and priors of the training folds only
    (and sets the ranker fitted on them, see learn.Learned.lexicon).
    """
    r = rules()
    lex = Lexicon(rules=r, context=compile_rules(r))
    # Stop phrases are matched like terms (so "Infections and infestations" is consumed whole) but never reported.
    for phrase in [*soc_names(), *r["stop_terms"]]:
        lex.add(phrase, Entry("stop", "rules"))
        # labels write SOC names with an Oxford comma or none: "Respiratory, thoracic, and mediastinal disorders"
        lex.add(phrase.replace(" and ", ", and "), Entry("stop", "rules"))
        lex.add(phrase.replace(",", ""), Entry("stop", "rules"))
    for phrase in _lines("curated_terms.txt"):
        lex.add(phrase, Entry("reaction", "curated"))
    for phrase in ctcae_terms():
        lex.add(phrase, Entry("reaction", "ctcae"))
    if learned:
        for phrase in learned_strings():
            lex.add(phrase, Entry("reaction", "learned"))
        lex.form_priors = learned_priors()
        lex.priors = pool_priors(lex.form_priors)
        if (DATA / RANKER_FILE).is_file():
            lex.ranker = Ranker.load(DATA / RANKER_FILE)
    for phrase in extra_strings:
        lex.add(phrase, Entry("reaction", "extra"))
    if priors is not None:
        lex.form_priors = dict(priors)
        lex.priors = pool_priors(priors)
    lex.modifiers = _modifiers(lex, r)
    for a in _lines("lab_analytes.txt"):
        lex.analytes.add(key_of(a), a)
        for unit in r["lab_units"]:
            lex.analytes.add(key_of(f"{a} {unit}"), a)
    for d in r["lab_directions"]["before"]:
        lex.lab_pre.add(key_of(d), d)
    for d in r["lab_directions"]["after"]:
        lex.lab_post.add(key_of(d), d)
    lex.item_stop = frozenset(key_of(" ".join(r["item_stop_words"])))
    lex.lab_qualifiers = frozenset(key_of(" ".join(r["lab_qualifiers"])))
    lex.lab_starts = frozenset(lex.lab_pre.root) | frozenset(lex.analytes.root) | lex.lab_qualifiers
    lex.words, heads = _words(lex.terms, lex.analytes, lex.lab_pre, lex.lab_post)
    lex.heads = heads | frozenset(k for d in r["lab_directions"]["after"] for k in key_of(d)[-1:])
    lex.np_heads = _np_heads(lex.terms, r["noun_phrases"]["min_terms"])
    lex.negations = frozenset("before:" + " ".join(cue.split()) for cue in r["context"]["negations"])
    lex.np_words = lex.item_stop | frozenset(key_of(" ".join(r["function_words"] + r["severity_words"])))
    lex.diseases = disease_trie()
    lex.category_heads = frozenset(key_of(" ".join(r["categories"]["heads"])))
    return lex


@cache
def disease_trie() -> Trie:
    """Disease Ontology names (data/disease_terms.txt), matched in a pass of their own (engine.analyze)."""
    trie = Trie()
    if (DATA / DISEASE_FILE).is_file():
        for phrase in _lines(DISEASE_FILE):
            trie.add(key_of(phrase), phrase)
    return trie


def _np_heads(terms: Trie, min_terms: int) -> frozenset[str]:
    """Words that end at least min_terms reaction terms of two words or more."""
    count: dict[str, int] = {}
    stack: list[tuple[dict, str, int]] = [(terms.root, "", 0)]
    while stack:
        node, last, depth = stack.pop()
        for k, child in node.items():
            if k == "":
                if depth >= 2 and getattr(child, "kind", "") != "stop":
                    count[last] = count.get(last, 0) + 1
                continue
            stack.append((child, k, depth + 1))
    return frozenset(w for w, c in count.items() if c >= min_terms and w.isalpha())


def _words(*tries: Trie) -> tuple[frozenset[str], frozenset[str]]:
    """All words of the tries' phrases, and the words that end a (non-stop) phrase."""
    words: set[str] = set()
    heads: set[str] = set()
    for trie in tries:
        stack: list[tuple[dict, str]] = [(trie.root, "")]
        while stack:
            node, last = stack.pop()
            for k, child in node.items():
                if k == "":
                    if last and getattr(child, "kind", "") != "stop":
                        heads.add(last)
                    continue
                words.add(k)
                stack.append((child, k))
    return frozenset(words), frozenset(heads)


def _modifiers(lex: Lexicon, r: dict[str, Any]) -> frozenset[str]:
    """Words that reaction terms put before their head ("peripheral", "injection"), minus function words."""
    out: set[str] = set()
    stack = [(lex.terms.root, 0)]
    while stack:
        node, depth = stack.pop()
        for k, child in node.items():
            if k == "" or not isinstance(child, dict):
                continue
            if any(kk != "" for kk in child):  # k is followed by more words in some term
                out.add(k)
            stack.append((child, depth + 1))
    never = set(r["function_words"]) | set(r["severity_words"])
    return frozenset(w for w in out if w.isalpha() and len(w) > 2 and w not in never)
