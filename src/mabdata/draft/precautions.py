"""Precautions: advice sentences (monitor, premedicate, withhold, use contraception, ...) with
what to do, when it applies and why, as stated."""

from __future__ import annotations

import re

from mabdata.draft.claims import Collector
from mabdata.draft.names import Drug
from mabdata.draft.patterns import first_label, ordered, rx
from mabdata.draft.text import Document, Sentence, strip_refs

LABEL_SECTIONS = {
    "boxed_warning",
    "dosage_and_administration",
    "warnings_and_cautions",
    "use_in_specific_populations",
    "pregnancy",
    "lactation",
    "females_and_males_of_reproductive_potential",
}


def precautions(col: Collector, doc: Document, sents: list[Sentence], drug: Drug) -> None:
    text = doc.text
    kinds = ordered("precautions", "kinds")
    advice = rx("precautions", "advice", 0)
    for s in sents:
        if doc.is_label and s.section not in LABEL_SECTIONS:
            continue
        a, b = strip_refs(text, s.start, s.end)
        st = text[a:b]
        m = advice.search(st)
        if not m:
            continue
        kind = first_label(kinds, st)
        if kind is None:
            continue
        # The advice itself: from its verb (after a heading or "In case of ..." lead) to the end.
        verb = re.search(
            r"\b(?:Advise|Administer|Premedicate|Monitor|Withhold|Permanently discontinue|Discontinue|Interrupt|"
            r"Consider|Initiate|Conduct|Verify|Evaluate|Assess|Screen|Test|Avoid|Do not|Reduce|Slow|Resume|Use|"
            r"Obtain|Perform|Instruct|Counsel|Treat|Manage)\b.*",
            st,
        )
        action = (verb.group(0) if verb else st).rstrip(" .")
        if len(action.split()) < 2:
            continue
        values = {"drug_id": drug.inn, "kind": kind, "action": action}
        lead = re.match(r"In case of ([^,]+),", st)
        trig = lead or rx("precautions", "trigger").search(st)
        if trig and trig.group(1) not in action:
            values["trigger"] = trig.group(1).strip()
        elif trig and not lead and kind in ("dose modification", "contraception"):
            values["trigger"] = trig.group(1).strip()
        tim = rx("precautions", "timing").search(st)
        if tim and kind not in ("dose modification",):
            values["timing"] = tim.group(0).strip()
        reason = rx("precautions", "reason").search(st)
        if reason:
            values["reason"] = (reason.group(1) or reason.group(2)).strip()
        col.add("precautions", (a, b), 0.5, values)
