"""Adverse-drug-reaction mentions in FDA label sections (TAC 2017 ADR conventions)."""

from mabdata.adr.engine import Mention, find_reactions
from mabdata.adr.lexicon import Lexicon, Prior, load_lexicon

__all__ = ["Lexicon", "Mention", "Prior", "find_reactions", "load_lexicon"]
