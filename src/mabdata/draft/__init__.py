"""Draft extractor: propose a curation file for a document, for a human to review.

    mabdata draft FILE... [--out DIR] [--jobs N]

In the manner of spaCy's EntityRuler and medspaCy's ConText: the words (cue phrases, units,
section names, furniture, CTCAE synonyms) are data files in data/, the code a small engine --
a lexicon of whole reference vocabularies (lexicon.py), a sentence and section splitter
(text.py), one recognizer per claim type (names, targets, indications, regimens,
contraindications, adverse_events, precautions, studies, interactions) and a collector that
merges claims by natural key and writes the curation format (claims.py). Adverse reactions are
found by mabdata.adr. Nothing here names a document's own terms.

Every claim carries `confidence` (0-1) and `curation_status: draft`; the build leaves drafts
out of the package until a curator reviews them and deletes those two keys. The output passes
mabdata.curation.read as is, and every quote is a verbatim span inside one label section
(with `occurrence` when it repeats).
"""

from mabdata.draft.engine import draft_file, draft_many, extract, extract_document
from mabdata.draft.lexicon import Lexicon
from mabdata.draft.lexicon import load as lexicon

__all__ = ["Lexicon", "draft_file", "draft_many", "extract", "extract_document", "lexicon"]
