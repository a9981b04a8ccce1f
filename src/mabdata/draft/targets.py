"""Drug targets and mechanisms (drug_targets): label section 12.1, or a web page's mechanism sentences."""

from __future__ import annotations

import re

from mabdata.draft.claims import Collector
from mabdata.draft.lexicon import Lexicon, find_genes
from mabdata.draft.names import Drug
from mabdata.draft.patterns import data, first_label, ordered, rx
from mabdata.draft.text import Document, Sentence


def drug_targets(col: Collector, doc: Document, sents: list[Sentence], drug: Drug, lex: Lexicon) -> None:
    text = doc.text
    cfg = data("targets")
    verb = rx("targets", "verb")
    mechanisms = ordered("targets", "mechanisms")
    main: tuple[str, str] | None = None  # the first target found: later mechanism sentences act on it
    for s in sents:
        if doc.is_label and s.section not in ("mechanism_of_action", "clinical_pharmacology", "description"):
            continue
        st = text[s.start : s.end]
        v = verb.search(st)
        mechs = [name for name, p in mechanisms if p.search(st)]
        if not v and not mechs:
            continue
        subject = drug.named_in(st) or rx("targets", "pronoun_subject").search(st)
        genes = [g for g in find_genes(lex, text, s.start, s.end)]
        if not subject:
            continue
        if doc.is_label and s.section == "description" and not v:
            continue
        # The first gene after the verb is the target; ligands named later ("blocks its interaction with PD-L1") are not.
        after = [g for g in genes if v and g[0] >= s.start + v.start()] or ([] if v else genes)
        if not after and genes and v and re.search(r"-(?:directed|blocking|binding|targeting)", st):
            after = genes  # "a CD38-directed cytolytic antibody": the gene precedes its verb
        targets = after[:1]
        # A bispecific binds two: "binds to CD3 ... and BCMA".
        if after and len({g[2] for g in after}) > 1 and re.search(r"bispecific|both", st, re.I):
            targets = list({g[2]: g for g in after}.values())[:2]
        if not targets:
            if main is None or not mechs:
                continue
            for mech in mechs:
                if mech in cfg["effector"]:
                    col.add(
                        "drug_targets",
                        (s.start, s.end),
                        0.5,
                        {"drug_id": drug.inn, "target_id": main[0], "action_type": "BINDING AGENT", "mechanism": mech},
                    )
            continue
        action = first_label(ordered("targets", "actions"), st)
        for a, b, symbol in targets:
            if main is None:
                main = (symbol, text[a:b])
            blocking = action in ("INHIBITOR", "ANTAGONIST")
            found = list(mechs)
            if blocking and not any(m in ("checkpoint blockade", "receptor blockade", "neutralization") for m in found):
                if symbol in cfg["checkpoints"]:
                    found.append("checkpoint blockade")
                elif re.search(r"\bneutraliz", st, re.I):
                    found.append("neutralization")
                elif rx("targets", "receptor_cue").search(st):
                    found.append("receptor blockade")
            base = {"drug_id": drug.inn, "target_id": symbol, "target_term": text[a:b]}
            if not found:
                col.add("drug_targets", (s.start, s.end), 0.6, {**base, "action_type": action})
            for mech in found:
                act = "BINDING AGENT" if mech in cfg["effector"] else action
                col.add("drug_targets", (s.start, s.end), 0.7, {**base, "action_type": act, "mechanism": mech})
