"""Adverse-drug-reaction mentions in FDA label sections (TAC 2017 ADR conventions).

find_reactions(text, section, lexicon)  -> [Mention]
load_lexicon(extra_strings)             -> Lexicon (CTCAE + curated + shipped learned strings, priors, ranker + extra)
learn(sections).lexicon()               -> Lexicon learned from annotated sections only (for cross-validation)
learn(sections, ranker=True)            -> ... with the candidate ranker fitted on out-of-fold candidates (ranker.py)
"""

from mabdata.adr.engine import Mention, find_reactions
from mabdata.adr.learn import AnnotatedSection, Learned, learn, read_tac
from mabdata.adr.lexicon import Lexicon, Prior, load_lexicon

__all__ = [
    "AnnotatedSection",
    "Learned",
    "Lexicon",
    "Mention",
    "Prior",
    "find_reactions",
    "learn",
    "load_lexicon",
    "read_tac",
]
