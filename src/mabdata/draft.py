"""Draft extractor: propose a curation file for a new monograph, for a human to review.

    mabdata draft FILE... [--out DIR] [--jobs N]

Recognition comes only from whole reference vocabularies (reference/lexicon: every
Thera-SAbDab / FDA UNII antibody name, every HGNC protein-coding symbol and alias, every
Disease Ontology name and synonym; schema/vocabularies: every CTCAE v5.0 term and FDA SPL
route) plus general patterns: sentence splitting, cue words for status, hedging and
negation, numbers with units and intervals. Nothing here names a seed's own terms.

Each statement carries `confidence` (0-1) and `curation_status: draft`; the build leaves
draft statements out of the published package until a curator reviews them and deletes
those two keys (see README). The output passes the curation-file schema as is, and every
quote is a verbatim span of the document (with `occurrence` when it repeats).
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mabdata import schemas as schema
from mabdata.paths import lexicon_dir

WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
}
NUM = r"(\d+(?:\.\d+)?|" + "|".join(WORD_NUMBERS) + r")"
# Lines of page furniture: advertising, disclaimers, link lists and captions.
FURNITURE = re.compile(r"disclaimer|click|subscribe|sign up|set alert|database|stay updated|免责|描述|图形", re.I)
ENDPOINTS = {
    "ORR": r"objective response rates?|overall response rates?|\bORR\b|response rates?",
    "OS": r"overall survival|\bOS\b",
    "PFS": r"progression-free survival|\bPFS\b",
    "DOR": r"duration of response|durable (?:treatment )?responses?|\bDOR\b",
}
MECHANISMS = {
    "ADCC": r"antibody-dependent cell-mediated cytotoxicity|\bADCC\b",
    "ADCP": r"antibody-dependent (?:cellular )?phagocytosis|\bADCP\b",
    "CDC": r"complement-dependent cyto(?:toxicity|lysis)|\bCDC\b",
    "apoptosis": r"apoptosis|apoptotic",
    "cell depletion": r"\bdepletion\b",
    "checkpoint blockade": r"\bblocks?\b|\bblocking\b",
}
STATUS_CUES = [
    ("guideline-listed", r"guideline"),
    ("not established", r"not (?:been )?established"),
    ("investigational", r"under investigation|clinical trials are exploring|studies are (?:also )?underway|being studied"),
    ("approved", r"\bapprov|indications? (?:was|were) (?:gradually )?expanded"),
    ("in use", r"\bused (?:primarily |mainly )?(?:in|for|to)\b|treatment of|\btreat(?:ing)?\b"),
]
REGULATORS = {
    "FDA": r"\bFDA\b|Food and Drug Administration",
    "EMA": r"\bEMA\b|European Medicines Agency",
    "NMPA": r"\bNMPA\b|National Medical Products Administration",
    "CSCO": r"\bCSCO\b",
}
AE_CUES = re.compile(r"adverse|side effects?|reactions? include|toxicit|irAEs?|can (?:induce|cause)|risk of infection", re.I)
# Disease Ontology names too broad to be an indication or an adverse event on their own.
BROAD = {
    "cancer",
    "tumor",
    "tumour",
    "neoplasm",
    "disease",
    "disorder",
    "carcinoma",
    "gastrointestinal",
    "syndrome",
    "organ",
    "lesion",
    "cell",
    "solid tumor",
    "malignancy",
    "inflammation",
}
# Body parts and procedures head many CTCAE terms but are not events on their own.
ANATOMY = {"skin", "blood", "infusion", "injection", "bone", "breast", "lung", "head", "muscle", "joint", "nail", "hair"}
# One pass per sentence decides which extractors can apply at all.
TARGET_CUES = re.compile(r"target|bind|block|recogni|against|induce|trigger|function|result", re.I)
STATUS_ANY = re.compile("|".join(f"(?:{rx})" for _, rx in STATUS_CUES), re.I)
REGIMEN_CUES = re.compile(r"\d|every|daily|weekly|administ|given|infus|inject|receiv|up to", re.I)
ENDPOINT_ANY = re.compile("|".join(f"(?:{rx})" for rx in ENDPOINTS.values()), re.I)
HEDGE = re.compile(r"\bmay\b|\bmight\b|is thought|potential", re.I)


# Clinical adjectives and the nouns Disease Ontology names use instead (cutaneous -> skin).
ORGAN_WORDS = {
    "cutaneous": "skin",
    "renal": "kidney",
    "hepatic": "liver",
    "pulmonary": "lung",
    "gastric": "stomach",
    "cardiac": "heart",
    "cerebral": "brain",
    "haematological": "hematologic",
}
# Modifiers that belong to an adverse-event name when they precede it.
AE_MODIFIERS = {"autoimmune", "immune", "immune-related", "acute", "chronic", "febrile", "interstitial"}


def _norm(name: str) -> str:
    return " ".join(name.casefold().replace("-", " ").split())


@dataclass
class Lexicon:
    antibodies: dict[str, tuple[str, str]]  # casefolded name -> (inn, kind)
    genes: dict[str, str]  # name as written -> HGNC symbol
    diseases: dict[str, str]  # casefolded name -> DOID
    ctcae: dict[str, str]  # casefolded term -> CTCAE term
    routes: dict[str, str]  # casefolded route word -> SPL term
    inns: list[str] = field(default_factory=list)
    ctcae_heads: set[str] = field(default_factory=set)  # first words of multi-word CTCAE terms (rash, ...)
    ae_terms: dict[str, str | None] = field(default_factory=dict)  # normalized event name -> CTCAE term or None
    ae_max_words: int = 1
    ae_first: set[str] = field(default_factory=set)
    disease_first: set[str] = field(default_factory=set)
    disease_max_words: int = 1


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@cache
def lexicon(root: Path | None = None) -> Lexicon:
    base = (root / "reference" / "lexicon") if root else lexicon_dir()
    antibodies = {}
    for r in _tsv(base / "antibodies.tsv"):
        antibodies.setdefault(r["name"].casefold(), (r["inn"], r["kind"]))
    genes = {}
    for r in _tsv(base / "genes.tsv"):
        name = r["name"]
        # Only identifier-like names (a digit or a hyphen, 3+ characters) are safe in running text.
        if len(name) >= 3 and re.search(r"\d|-", name) and not name.isdigit():
            genes.setdefault(name, r["symbol"])
    diseases: dict[str, str] = {}
    for r in _tsv(base / "diseases.tsv"):
        key = _norm(r["name"])
        if len(key) >= 4 and key not in BROAD and (r["kind"] != "related" or key not in diseases):
            diseases.setdefault(key, r["doid"])
    ctcae = {t.casefold(): t for t in schema.vocabulary("ctcae_term").terms if " - Other" not in t}
    routes = {}
    for term in schema.vocabulary("route").terms:
        word = term.split(" (")[0].casefold()
        routes[word] = term
        if word.endswith("ous"):
            routes[word + "ly"] = term
    # A head noun shared by several CTCAE terms ("rash" in "Rash acneiform", "Rash maculo-papular")
    # names the event when the source does not qualify it; adjectives and broad words do not.
    head_counts = Counter(t.split()[0] for t in ctcae if len(t.split()) > 1)
    heads = {
        h
        for h, n in head_counts.items()
        if n >= 2 and len(h) >= 4 and h not in BROAD | ANATOMY and not re.search(r"(al|ic|ous|ary|ive|ed|ing)$", h)
    }
    ae_terms: dict[str, str | None] = {**dict.fromkeys(heads), **dict.fromkeys(diseases)}
    ae_terms |= {_norm(t): t for t in ctcae.values()}
    return Lexicon(
        antibodies,
        genes,
        diseases,
        ctcae,
        routes,
        ctcae_heads=heads,
        ae_terms=ae_terms,
        ae_max_words=min(8, max(len(k.split()) for k in ae_terms)),
        ae_first={k.split()[0] for k in ae_terms},
        disease_first={k.split()[0] for k in diseases},
        inns=sorted({inn for inn, _ in antibodies.values()}),
        disease_max_words=min(8, max(len(k.split()) for k in diseases)),
    )


# ---- text ---------------------------------------------------------------------------------------

# A sentence ends at . ! or ? followed by white space and a capital, digit or quote, but not
# after an initialism such as "U.S."; line ends always end a sentence.
BOUNDARY = re.compile(r"(?<=[.!?])(?<!\.[A-Z]\.)\s+(?=[A-Z0-9(\u201c\"'])|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, white space trimmed."""
    out, start = [], 0
    for m in [*BOUNDARY.finditer(text), None]:
        end = m.start() if m else len(text)
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
        if m:
            start = m.end()
    return out


def is_content(text: str, start: int, end: int) -> bool:
    """A real sentence: ends like one, has enough words, is not furniture."""
    s = text[start:end]
    return s.endswith((".", "!", "?")) and len(s.split()) >= 6 and not FURNITURE.search(s) and not re.search(r"https?://", s)


def _number(token: str) -> float:
    return float(WORD_NUMBERS.get(token.lower(), token))


# ---- extraction -----------------------------------------------------------------------------------


@dataclass
class Draft:
    text: str
    statements: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    abbreviations: dict[str, str] = field(default_factory=dict)
    seen: set[tuple] = field(default_factory=set)
    main_target: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, table: str, quote_span: tuple[int, int], confidence: float, **values: Any) -> None:
        a, b = quote_span
        quote = self.text[a:b]
        stmt = {k: v for k, v in values.items() if v is not None}
        stmt["quote"] = quote
        starts = [m.start() for m in re.finditer(re.escape(quote), self.text)]
        if len(starts) > 1:
            stmt["occurrence"] = starts.index(a) + 1
        stmt["confidence"] = round(confidence, 2)
        stmt["curation_status"] = "draft"
        key = (table, tuple(sorted((k, str(v)) for k, v in stmt.items() if k not in ("confidence", "occurrence"))))
        if key not in self.seen:  # the same statement proposed twice (e.g. from two cues) is kept once
            self.seen.add(key)
            self.statements[table].append(stmt)


def _drug_mentions(text: str, lex: Lexicon) -> list[tuple[int, int, str, str, str]]:
    """(start, end, surface, inn, kind) for each antibody name, exact or a close misspelling of an
    INN (preferring an INN the document itself names exactly)."""
    exact, unknown = [], []
    for m in re.finditer(r"[A-Za-z][A-Za-z0-9-]{2,}", text):
        word = m.group(0)
        hit = lex.antibodies.get(word.casefold())
        if hit:
            kind = "inn" if word.casefold() == hit[0] else hit[1]
            exact.append((m.start(), m.end(), word, hit[0], kind))
        elif word.casefold().endswith("mab"):
            unknown.append(m)
    named = sorted({e[3] for e in exact})
    out = list(exact)
    for m in unknown:
        word = m.group(0).casefold()
        close = difflib.get_close_matches(word, named, n=1, cutoff=0.7) or difflib.get_close_matches(
            word, lex.inns, n=1, cutoff=0.8
        )
        if close:
            out.append((m.start(), m.end(), m.group(0), close[0], "spelling_variant"))
    return sorted(out)


def _longest_matches(
    sentence: str, table: dict[str, Any], first_words: set[str], max_words: int, plural: bool = False
) -> list[tuple[int, int, str]]:
    """Longest non-overlapping word n-grams of `sentence` whose normalized form is a key of
    `table`: (start, end, key). Hyphens count as spaces; n-grams not starting with a known first
    word are skipped at once, which keeps this linear in practice."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z0-9']+", sentence)]
    toks = [sentence[a:b].casefold() for a, b in spans]
    out, i = [], 0
    while i < len(toks):
        hit = None
        if toks[i] in first_words or ORGAN_WORDS.get(toks[i]) in first_words:
            for n in range(min(max_words, len(toks) - i), 0, -1):
                key = " ".join(toks[i : i + n])
                keys = [key, " ".join(ORGAN_WORDS.get(w, w) for w in toks[i : i + n])] if n > 1 else [key]
                if plural and key.endswith("s"):
                    keys.append(key[:-1])
                found = next((k for k in keys if k in table), None)
                if found:
                    hit = (spans[i][0], spans[i + n - 1][1], found, n)
                    break
        if hit:
            out.append(hit[:3])
            i += hit[3]
        else:
            i += 1
    return out


def _find_diseases(sentence: str, lex: Lexicon, abbreviations: dict[str, str] | None = None) -> list[tuple[int, int, str]]:
    """Disease names in a sentence: (start, end, DOID); an organ adjective may stand for its noun
    and the document's own abbreviations count."""
    out = [
        (a, b, lex.diseases[k]) for a, b, k in _longest_matches(sentence, lex.diseases, lex.disease_first, lex.disease_max_words)
    ]
    for m in re.finditer(r"\b[A-Z][A-Za-z-]{1,9}\b", sentence):
        if abbreviations and m.group(0) in abbreviations and not any(a <= m.start() < b for a, b, _ in out):
            out.append((m.start(), m.end(), abbreviations[m.group(0)]))
    return sorted(out)


def _abbreviations(text: str, lex: Lexicon) -> dict[str, str]:
    """Abbreviations the document defines for diseases: "multiple sclerosis (MS)" -> MS."""
    out = {}
    for m in re.finditer(r"\(([A-Z][A-Za-z-]{1,9})\)", text):
        before = text[max(0, m.start() - 80) : m.start()]
        hits = _find_diseases(before, lex)
        if hits and hits[-1][1] >= len(before.rstrip()) - 1:
            out[m.group(1)] = hits[-1][2]
    return out


def extract(text: str, root: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Draft statements for one document, by table."""
    lex = lexicon(root)
    draft = Draft(text)
    draft.abbreviations = _abbreviations(text, lex)
    spans = [s for s in sentences(text) if is_content(text, *s)]
    mentions = [m for m in _drug_mentions(text, lex) if any(a <= m[0] and m[1] <= b for a, b in spans) or m[0] < text.find("\n")]
    if not mentions:
        return {}
    counts = Counter(m[3] for m in mentions)
    main_drug = counts.most_common(1)[0][0]
    for inn in sorted(counts):
        first = next(m for m in mentions if m[3] == inn)
        sent = next(((a, b) for a, b in spans if a <= first[0] < b), (first[0], first[1]))
        typ = re.search(r"\b(humanized|humanised|chimeric|fully human|human|murine)\b", text[sent[0] : sent[1]], re.I)
        draft.add(
            "drugs",
            sent,
            0.9 if inn == main_drug else 0.5,
            drug_id=inn,
            molecule_type="monoclonal antibody" if re.search(r"monoclonal antibod", text[sent[0] : sent[1]], re.I) else None,
            sequence_source=typ.group(1).lower().replace("humanised", "humanized").replace("fully human", "human")
            if typ
            else None,
        )
    seen_names = set()
    for a, b, surface, inn, kind in mentions:
        if surface in seen_names:
            continue
        seen_names.add(surface)
        draft.add(
            "drug_names",
            (a, b),
            0.9 if kind == "inn" else 0.6,
            drug_id=inn,
            name=surface,
            name_type=kind if kind in ("inn", "brand", "code", "spelling_variant") else "code",
        )
    # A capitalised word in parentheses after the drug's name, unknown to the references: a brand.
    for m in re.finditer(r"\b([A-Za-z][a-z]+mab)\s+\(([A-Z][a-z]{3,})\)", text):
        hit = lex.antibodies.get(m.group(1).casefold())
        if hit and m.group(2).casefold() not in lex.antibodies and m.group(2).casefold() != m.group(1).casefold():
            draft.add(
                "drug_names",
                (m.start(), m.end()),
                0.5,
                drug_id=hit[0],
                name=m.group(2),
                name_type="brand",
                curation_note="not among the reference files' names for this drug; check",
            )

    previous, previous_end = "", 0
    for a, b in spans:
        s = text[a:b]
        # The sentence before, when in the same paragraph, gives context (e.g. "side effects ... These can involve").
        context = previous if "\n" not in text[previous_end:a] else ""
        previous, previous_end = s, b
        drugs_here = {m[3] for m in mentions if a <= m[0] < b}
        drug = sorted(drugs_here)[0] if len(drugs_here) == 1 else main_drug
        if TARGET_CUES.search(s):
            _targets(draft, lex, s, a, drug, bool(drugs_here))
        if STATUS_ANY.search(s):
            _indications(draft, lex, s, a, b, drug)
        if REGIMEN_CUES.search(s):
            _regimens(draft, lex, s, a, b, drug)
        _adverse_events(draft, lex, s, a, b, drug, context)
        if ENDPOINT_ANY.search(s):
            _trial_results(draft, lex, s, a, b, drug)
        _contraindications(draft, s, a, b, drug)
        _organizations(draft, s, a, b, drug)
        _interactions(draft, s, a, b, drug)
    return {k: v for k, v in draft.statements.items() if v}


def _targets(draft: Draft, lex: Lexicon, s: str, a: int, drug: str, names_drug: bool) -> None:
    # The drug must be the subject: named in the sentence, or the pronoun that opens it.
    genes = [
        (m.start(), m.end(), lex.genes[m.group(0)])
        for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]", s)
        if m.group(0) in lex.genes
    ]
    mechs = [m for m, rx in MECHANISMS.items() if re.search(rx, s, re.I)]
    subject = names_drug or re.search(r"\b(?:it|this (?:medication|drug|antibody))\b", s, re.I)
    if genes and not subject:
        return
    if not re.search(r"target|bind|block|recogni|against|induce|trigger|function|result", s, re.I):
        return
    if not genes:
        if mechs and drug in draft.main_target and not re.search(r"checkpoint", s, re.I):
            for mech in mechs:
                if mech != "checkpoint blockade":
                    draft.add(
                        "drug_targets",
                        (a, a + len(s)),
                        0.5,
                        drug_id=drug,
                        target_id=draft.main_target[drug][0],
                        action_type="BINDING AGENT",
                        mechanism=mech,
                    )
        return
    # The first gene named after a targeting verb is the target; ligands named later are not.
    verb = re.search(r"target|bind|recogni", s, re.I)
    chosen = next((g for g in genes if verb and g[0] > verb.start()), genes[0])
    draft.main_target.setdefault(drug, (chosen[2], s[chosen[0] : chosen[1]]))
    action = "INHIBITOR" if re.search(r"block|inhibit|checkpoint", s, re.I) else "BINDING AGENT"
    for mech in mechs or [None]:
        act = "BINDING AGENT" if mech in ("ADCC", "ADCP", "CDC", "apoptosis", "cell depletion") else action
        draft.add(
            "drug_targets",
            (a, a + len(s)),
            0.7 if mech else 0.6,
            drug_id=drug,
            target_id=chosen[2],
            target_term=s[chosen[0] : chosen[1]],
            action_type=act,
            mechanism=mech,
        )


def _indications(draft: Draft, lex: Lexicon, s: str, a: int, b: int, drug: str) -> None:
    if re.search(r"\d+(?:\.\d+)?\s*%|months", s) or AE_CUES.search(s):
        return  # results and side effects are not indications
    status = next((st for st, rx in STATUS_CUES if re.search(rx, s, re.I)), None)
    if status is None:
        return
    regulators = [r for r, rx in REGULATORS.items() if re.search(rx, s)] or ["unspecified"]
    if status == "not established":
        for reg in regulators:
            draft.add("indications", (a, b), 0.6, drug_id=drug, status=status, regulator=reg)
        return
    if status == "guideline-listed":
        regulators = [r for r in regulators if r == "CSCO"] or ["unspecified"]
    line = re.search(r"\b(first|second|third)-line\b", s, re.I)
    lot = {"first": "first-line", "second": "second-line", "third": "later-line"}[line.group(1).lower()] if line else None
    for start, end, doid in _find_diseases(s, lex, draft.abbreviations):
        if re.search(r"(?:beyond|other than|except|unlike)\s+$", s[:start], re.I):
            continue  # "Beyond cervical cancer, ... is under investigation for ..."
        for reg in regulators:
            draft.add(
                "indications",
                (a, b),
                0.5 if HEDGE.search(s) else 0.7,
                drug_id=drug,
                condition_id=doid,
                condition_term=s[start:end],
                status=status,
                regulator=reg,
                line_of_therapy=lot,
            )


def _regimens(draft: Draft, lex: Lexicon, s: str, a: int, b: int, drug: str) -> None:
    values: dict[str, Any] = {}
    dose = re.search(r"(\d+(?:\.\d+)?)\s*(mg/kg|mg)\b", s)
    if dose:
        values.update(dose_value=float(dose.group(1)), dose_unit=dose.group(2))
    every = re.search(rf"every {NUM}(?: or {NUM})? (weeks?|days?)", s, re.I)
    if every:
        unit = 7 if every.group(3).lower().startswith("week") else 1
        lo = _number(every.group(1)) * unit
        values.update(
            frequency=every.group(0),
            interval_min_days=lo,
            interval_max_days=_number(every.group(2)) * unit if every.group(2) else lo,
        )
    over = re.search(rf"over {NUM}(?: to {NUM})? minutes", s, re.I)
    if over:
        values.update(infusion_min_minutes=_number(over.group(1)), infusion_max_minutes=_number(over.group(2) or over.group(1)))
    upto = re.search(rf"up to {NUM} (years?|months?)", s, re.I)
    if upto:
        values["max_duration_months"] = _number(upto.group(1)) * (12 if upto.group(2).lower().startswith("year") else 1)
    courses = list(re.finditer(rf"daily (?:infusions? )?for {NUM} consecutive days", s, re.I))
    for k, days in enumerate(courses, start=1):
        draft.add(
            "regimens",
            (a, b),
            0.6,
            drug_id=drug,
            course=k if len(courses) > 1 else None,
            course_days=int(_number(days.group(1))),
            frequency="daily",
            interval_min_days=1.0,
            interval_max_days=1.0,
        )
    words = re.findall(r"[A-Za-z]+", s)
    route = next(
        (
            lex.routes[w.casefold()]
            for w in words
            if w.casefold() in lex.routes
            and w.casefold() not in ("oral", "topical")
            and re.search(r"administ|given|infusion|inject", s, re.I)
        ),
        None,
    )
    if route:
        values["route"] = route
    if values:
        draft.add("regimens", (a, b), 0.7, drug_id=drug, **values)


def _adverse_events(draft: Draft, lex: Lexicon, s: str, a: int, b: int, drug: str, context_before: str = "") -> None:
    if not (AE_CUES.search(s) or AE_CUES.search(context_before)) or re.search(r"contraindicat", s, re.I):
        return
    cues = s if AE_CUES.search(s) else context_before + " " + s  # a continuation takes its lead sentence's cues
    freq = (
        "common" if re.search(r"\bcommon", cues, re.I) else "less frequent" if re.search(r"less frequent", cues, re.I) else None
    )
    serious = True if re.search(r"serious|severe", cues, re.I) else (False if re.search(r"\bmild\b", cues, re.I) else None)
    context = "with chemotherapy" if re.search(r"with chemotherapy", s, re.I) else None
    indicated = {st.get("condition_id") for st in draft.statements["indications"]}
    for start, end, key in _longest_matches(s, lex.ae_terms, lex.ae_first, lex.ae_max_words, plural=True):
        ctcae = lex.ae_terms[key]
        if ctcae is None and lex.diseases.get(key) in indicated:
            continue  # the drug's own indication is not its adverse event
        before = re.search(r"([A-Za-z-]+)\s+$", s[:start])
        if before and before.group(1).casefold() in AE_MODIFIERS:
            start = before.start(1)
        stated = s[start:end]
        rare = bool(re.search(r"in rare cases,?\s*$", s[:start], re.I))
        exact = ctcae is not None and _norm(stated).rstrip("s") == _norm(ctcae).rstrip("s")
        draft.add(
            "adverse_events",
            (a, b),
            0.6,
            drug_id=drug,
            term=stated,
            ctcae_term=ctcae,
            ctcae_match=("skos:exactMatch" if exact else "skos:closeMatch") if ctcae else None,
            frequency="rare" if rare else freq,
            serious=serious,
            context=context,
        )


def _trial_results(draft: Draft, lex: Lexicon, s: str, a: int, b: int, drug: str) -> None:
    found = [(e, m) for e, rx in ENDPOINTS.items() for m in re.finditer(rx, s, re.I)]
    if not found:
        return
    phase = re.search(r"phase (1|2|3|4|I{1,3}|IV)\b", s, re.I)
    phase_term = None
    if phase:
        roman = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
        phase_term = f"phase {roman.get(phase.group(1).lower(), phase.group(1))}"
    numbers = list(re.finditer(r"(\d+(?:\.\d+)?)\s*(%|months)", s))
    if numbers:
        endpoint = min(found, key=lambda f: f[1].start())[0]
        unit = "%" if numbers[0].group(2) == "%" else "mo"
        comp = re.search(r"(?:versus|compared to|compared with|vs\.?)\s+(\d+(?:\.\d+)?)\s*(%|months)", s)
        subgroups = list(re.finditer(r"(\d+(?:\.\d+)?)%\s+in\s+([A-Za-z0-9-]+)", s))
        if len(subgroups) > 1:
            for m in subgroups:
                draft.add(
                    "trial_results",
                    (a, b),
                    0.6,
                    drug_id=drug,
                    phase=phase_term,
                    subgroup=m.group(2),
                    endpoint=endpoint,
                    statistic="proportion",
                    value=float(m.group(1)),
                    unit="%",
                )
            return
        draft.add(
            "trial_results",
            (a, b),
            0.7,
            drug_id=drug,
            phase=phase_term,
            endpoint=endpoint,
            statistic="median" if "median" in s.lower() or unit == "mo" else "proportion",
            value=float(numbers[0].group(1)),
            unit=unit,
            comparator_value=float(comp.group(1)) if comp and comp.start() > numbers[0].start() else None,
        )
        return
    direction = (
        "improved"
        if re.search(r"prolong|improv|extend", s, re.I)
        else "favourable"
        if re.search(r"encouraging|durable|good|efficacy", s, re.I)
        else None
    )
    if direction:
        for endpoint in sorted({e for e, _ in found}):
            draft.add("trial_results", (a, b), 0.5, drug_id=drug, endpoint=endpoint, statistic="qualitative", direction=direction)


ORG = r"((?:the )?[A-Z][\w’'&.-]*(?: [A-Z][\w’'&.-]*)*)"


def _org(name: str) -> str:
    """A sentence's full stop is not part of the name (an abbreviation's is)."""
    return name[:-1] if name.endswith(".") and not re.search(r"\b(?:Inc|Ltd|Co|Corp|S\.A|N\.V)\.$", name) else name


def _organizations(draft: Draft, s: str, a: int, b: int, drug: str) -> None:
    for m in re.finditer(rf"[Dd]eveloped by {ORG}", s):
        draft.add("drug_organizations", (a, b), 0.6, drug_id=drug, organization=_org(m.group(1)), role="developer")
    for m in re.finditer(rf"licensed to {ORG}(?: for {ORG})?", s):
        draft.add(
            "drug_organizations",
            (a, b),
            0.6,
            drug_id=drug,
            organization=_org(m.group(1)),
            role="licensee",
            territory=_org(m.group(2)) if m.group(2) else None,
        )
    research = re.search(rf"research (?:conducted |carried out )?by (?:scientists|researchers) at {ORG}(?: and {ORG})?", s)
    if research:
        for org in filter(None, research.groups()):
            draft.add(
                "drug_organizations", (a, b), 0.5, drug_id=drug, organization=_org(re.sub(r"^the ", "", org)), role="research"
            )


def _list_items(phrase: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", phrase)
    return [p.strip() for p in parts if p.strip() and len(p.split()) <= 8]


def _contraindications(draft: Draft, s: str, a: int, b: int, drug: str) -> None:
    m = re.search(r"contraindications? (?:for [\w ]+ )?(?:use )?include (.+?)(?: that |\.|$)", s, re.I)
    if m:
        for item in _list_items(m.group(1)):
            kind = (
                "infection"
                if re.search(r"infect|HIV|tubercul", item, re.I)
                else ("medical history" if "history" in item else "condition")
            )
            draft.add("contraindications", (a, b), 0.6, drug_id=drug, term=item, kind=kind, strength="contraindicated")
    caution = re.search(
        r"patients with (.+?) (?:may need to|should) (?:adjust|be monitored|use caution|increase monitoring)", s, re.I
    )
    if caution:
        for item in _list_items(caution.group(1)):
            kind = "infection" if re.search(r"infect", item, re.I) else "condition"
            draft.add("contraindications", (a, b), 0.5, drug_id=drug, term=item, kind=kind, strength="caution")
    women = re.search(r"women of childbearing potential", s, re.I)
    if women:
        draft.add("contraindications", (a, b), 0.5, drug_id=drug, term=women.group(0), kind="pregnancy", strength="caution")
    preg = re.search(r"not recommended for use during pregnancy", s, re.I)
    if preg:
        draft.add("contraindications", (a, b), 0.7, drug_id=drug, term="pregnancy", kind="pregnancy", strength="not recommended")


def _interactions(draft: Draft, s: str, a: int, b: int, drug: str) -> None:
    if not re.search(r"drugs|medications|agents|vaccines|anticoagulants", s, re.I) or re.search(
        r"contraindications? for", s, re.I
    ):
        return
    strength = (
        "contraindicated"
        if re.search(r"contraindicated", s, re.I)
        else "monitor"
        if re.search(r"monitor", s, re.I)
        else "caution"
        if re.search(r"caution|increase the risk|risk", s, re.I)
        else None
    )
    if strength is None:
        return
    items = []
    such = re.search(r"such as (.+?),? (?:can|may|should|are|is)\b", s)
    if such:
        items += _list_items(such.group(1))
    subject = re.search(r"^(?:Patients taking )?(.+?) (?:can|may|should|are|is)\b", s)
    if subject and len(subject.group(1).split()) <= 10:
        head = re.split(r",\s*such as", subject.group(1))[0]
        items += [
            i for i in _list_items(head) if re.search(r"drug|medication|agent|vaccine|anticoagulant|steroid|antibod", i, re.I)
        ]
    for item in dict.fromkeys(items):
        draft.add("interactions", (a, b), 0.5, drug_id=drug, term=item, strength=strength)


# ---- writing and running --------------------------------------------------------------------------


def to_yaml(text: str, statements: dict[str, list[dict[str, Any]]]) -> str:
    import yaml

    doc: dict[str, Any] = {"source": {"title": text.split("\n", 1)[0].rstrip("\r")}}
    for table in schema.curated_tables():
        if statements.get(table):
            doc[table] = statements[table]
    head = (
        "# Draft made by `mabdata draft`: review every statement, then delete its confidence and\n"
        "# curation_status keys. Draft statements are left out of the published package.\n"
    )
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 5x faster
    return head + yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


def draft_file(path: Path, out_dir: Path, root: Path | None = None) -> tuple[Path, int]:
    text = path.read_bytes().decode("utf-8")
    statements = extract(text, root)
    out = out_dir / f"{path.stem}.yaml"
    out.write_text(to_yaml(text, statements), encoding="utf-8")
    return out, sum(len(v) for v in statements.values())


def _worker(args: tuple[str, str]) -> tuple[str, int]:
    out, n = draft_file(Path(args[0]), Path(args[1]))
    return str(out), n


def draft_many(paths: list[Path], out_dir: Path, jobs: int = 1, progress: bool = True) -> list[tuple[str, int]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    lexicon()  # load once before forking, so workers share it
    work = [(str(p), str(out_dir)) for p in paths]
    bar = None
    if progress and len(paths) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), unit="doc", file=__import__("sys").stderr)
    results = []
    if jobs > 1 and len(paths) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            for r in pool.imap(_worker, work, chunksize=16):
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
