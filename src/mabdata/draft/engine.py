"""Run the recognizers over a document, section by section, and write its draft curation file."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from mabdata import labels
from mabdata.draft import (
    adverse_events,
    contraindications,
    indications,
    interactions,
    names,
    precautions,
    regimens,
    studies,
    targets,
)
from mabdata.draft.claims import Collector, to_yaml
from mabdata.draft.lexicon import DiseaseIndex, Lexicon, load
from mabdata.draft.text import Document, sentences

_TITLE = re.compile(r"^(?P<brand>.+?) \((?P<generic>.+?)\) prescribing information\b")


def extract_document(doc: Document, lex: Lexicon | None = None) -> Collector | None:
    """The draft claims of one document (None when it names no antibody)."""
    lex = lex or load()
    sents = sentences(doc)
    drug = names.identify(doc, sents, lex)
    if drug is None:
        return None
    doc.diseases = DiseaseIndex(lex, doc.text, doc.blocks())
    col = Collector(doc.text, lex)
    names.drug_names(col, doc, sents, drug, lex)
    names.drug_properties(col, doc, sents, drug)
    names.organizations(col, doc, sents, drug)
    targets.drug_targets(col, doc, sents, drug, lex)
    if doc.is_label:
        indications.label_indications(col, doc, sents, drug, lex)
        regimens.label_regimens(col, doc, sents, drug, lex)
        contraindications.label_contraindications(col, doc, sents, drug)
        adverse_events.label_warnings(col, doc, sents, drug, lex)
        adverse_events.most_common(col, doc, sents, drug, lex)
        studies.label_studies(col, doc, sents, drug, lex)
    else:
        indications.web_indications(col, doc, sents, drug, lex)
        regimens.web_regimens(col, doc, sents, drug, lex)
        contraindications.web_contraindications(col, doc, sents, drug)
        indicated = {c.values.get("condition_id") for c in col.claims.get("indications", {}).values()} - {None}
        adverse_events.web_events(col, doc, sents, drug, lex, indicated)
        adverse_events.most_common(col, doc, sents, drug, lex)
        studies.web_studies(col, doc, sents, drug, lex)
    precautions.precautions(col, doc, sents, drug)
    interactions.interactions(col, doc, sents, drug)
    return col


def extract(text: str, sections: tuple[labels.Section, ...] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Draft claims of one text by table, as curation-file items. With `sections` (a rendered
    label's), the text is a label: brand and generic name come from its title line."""
    meta: dict[str, Any] = {}
    if sections:
        m = _TITLE.match(text)
        if m:
            meta = {"brand_name": m.group("brand"), "generic_name": m.group("generic")}
    col = extract_document(Document(text, tuple(sections or ()), meta))
    return col.finish() if col else {}


def draft_file(path: Path, out_dir: Path) -> tuple[Path, int]:
    """Write out_dir/<stem>.yaml for one input (openFDA JSON, rendered label text, or web text)."""
    from mabdata.draft.text import load as load_document

    doc = load_document(path)
    col = extract_document(doc)
    claims = col.finish() if col else {}
    out = out_dir / f"{path.stem}.yaml"
    out.write_text(to_yaml(doc.title, claims), encoding="utf-8")
    return out, col.count() if col else 0


def _worker(args: tuple[str, str]) -> tuple[str, int]:
    out, n = draft_file(Path(args[0]), Path(args[1]))
    return str(out), n


def draft_many(paths: list[Path], out_dir: Path, jobs: int = 1, progress: bool = True) -> list[tuple[str, int]]:
    """Draft every input into out_dir, streaming (one document in memory per worker), with a
    progress bar for many files. Returns (output path, number of claims) per input, in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    load()  # load the vocabularies once before forking, so workers share them
    adverse_events.adr_lexicon()
    work = [(str(p), str(out_dir)) for p in paths]
    bar = None
    if progress and len(paths) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="doc", file=sys.stderr)
    results: list[tuple[str, int]] = []
    if jobs > 1 and len(paths) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            for r in pool.imap(_worker, work, chunksize=4):
                results.append(r)
                if bar:
                    bar.update()
    else:
        for w in work:
            results.append(_worker(w))
            if bar:
                bar.update()
    if bar:
        bar.close()
    return results
