"""Whole reference vocabularies for recognition, and what the build knows already.

Names come from reference/lexicon (every Thera-SAbDab / FDA UNII antibody name, every HGNC
protein-coding symbol and alias, every Disease Ontology name and synonym), found through
mabdata.paths.lexicon_dir() so an installed wheel works; CTCAE terms and routes come from the
schema vocabularies. The build only accepts identifiers in the reference/ subsets, so the
lexicon also says which proposed ids those subsets hold (`known_conditions`, `known_targets`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from mabdata import schemas
from mabdata.draft.patterns import data


def norm(name: str) -> str:
    """Case-, hyphen- and space-folded form used to match names."""
    return " ".join(name.casefold().replace("-", " ").replace("–", " ").split())


@dataclass
class Lexicon:
    antibodies: dict[str, tuple[str, str]]  # casefolded name -> (inn, kind)
    inns: list[str]
    genes: dict[str, str]  # name as written -> HGNC symbol
    diseases: dict[str, str]  # normalized name -> DOID
    disease_first: set[str]
    disease_max_words: int
    disease_prefixes: frozenset[str]
    ctcae: dict[str, str]  # casefolded term -> CTCAE term
    routes: dict[str, str]  # route word -> SPL term
    known_conditions: frozenset[str] = frozenset()
    known_targets: frozenset[str] = frozenset()
    reference_names: dict[str, frozenset[str]] = field(default_factory=dict)  # inn -> casefolded names (build's view)
    broad_named: frozenset[str] = frozenset()


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _reference_state(root: Path | None) -> tuple[frozenset[str], frozenset[str], dict[str, frozenset[str]]]:
    """Ids and names the reference/ subsets hold (what `mabdata check` accepts); empty from a wheel without them."""
    from mabdata import reference

    try:
        return (
            frozenset(reference.diseases(root)),
            frozenset(reference.genes(root)),
            {inn: ref.names for inn, ref in reference.drugs(root).items()},
        )
    except FileNotFoundError:
        return frozenset(), frozenset(), {}


@cache
def load(root: Path | None = None) -> Lexicon:
    """The lexicon of a checkout (`root`) or of the installed package."""
    from mabdata.paths import lexicon_dir

    cfg = data("lexicon")
    base = (root / "reference" / "lexicon") if root else lexicon_dir()
    antibodies: dict[str, tuple[str, str]] = {}
    for r in _tsv(base / "antibodies.tsv"):
        antibodies.setdefault(r["name"].casefold(), (r["inn"], r["kind"]))
    stop = set(cfg["gene_stopwords"])
    shape = re.compile(cfg["gene_shape"])
    genes: dict[str, str] = {}
    for r in _tsv(base / "genes.tsv"):
        name = r["name"]
        # Only identifier-like names are safe in running text ("CD38", "PD-L1", "EGFR"; not "MAY").
        if len(name) >= 3 and name not in stop and shape.match(name) and (re.search(r"\d|-", name) or name.isupper()):
            genes.setdefault(name, r["symbol"])
    broad = {norm(w) for w in cfg["broad_diseases"]}
    named = {norm(w) for w in cfg["broad_but_named"]}
    diseases: dict[str, str] = {}
    for r in _tsv(base / "diseases.tsv"):
        key = norm(r["name"])
        if len(key) >= 4 and (key not in broad or key in named) and (r["kind"] != "related" or key not in diseases):
            diseases.setdefault(key, r["doid"])
    for key, doid in list(diseases.items()):
        for variant in _variants(key, cfg["variants"]):
            if variant not in broad:
                diseases.setdefault(variant, doid)
    ctcae = {t.casefold(): t for t in schemas.vocabulary("ctcae_term").terms}
    routes = {}
    for term in schemas.vocabulary("route").terms:
        routes[term.split(" (")[0].casefold()] = term
    conditions, targets, names = _reference_state(root)
    for table in schemas.claim_tables():  # read the table schemas now, not inside the first document
        schemas.natural_key(table)
    lex = Lexicon(
        antibodies=antibodies,
        inns=sorted({inn for inn, _ in antibodies.values()}),
        genes=genes,
        diseases=diseases,
        disease_first={k.split()[0] for k in diseases},
        disease_max_words=min(10, max(len(k.split()) for k in diseases)),
        disease_prefixes=frozenset(" ".join(k.split()[:n]) for k in diseases for n in range(1, len(k.split()))),
        ctcae=ctcae,
        routes=routes,
        known_conditions=conditions,
        known_targets=targets,
        reference_names=names,
        broad_named=frozenset(named),
    )
    import mabdata.build  # noqa: F401 - its reference_values decides property disagreements; import it once, up front

    return lex


def _variants(name: str, cfg: dict) -> list[str]:
    """Clinical wordings of a Disease Ontology name (see data/lexicon.yaml: variants)."""
    words = name.split()
    if len(words) < 2 or words[-1] not in cfg["heads"]:
        return []
    out = []
    organs = sorted((o.split() for o in cfg["organ_first"]), key=len, reverse=True)
    for organ in organs:  # "lung small cell carcinoma" -> "small cell lung carcinoma"
        n = len(organ)
        if words[:n] == organ and len(words) > n + 1:
            out.append(" ".join([*words[n:-1], *organ, words[-1]]))
            break
    for base in [words, *(o.split() for o in out)]:
        if len(base) > 2 and base[-2] in cfg["drop_before_head"]:
            out.append(" ".join([*base[:-2], base[-1]]))
    for v in [name, *out]:
        head = v.split()[-1]
        if head in cfg["head_synonyms"]:
            out.append(" ".join([*v.split()[:-1], cfg["head_synonyms"][head]]))
    return [v for v in out if v != name]


_WORD = re.compile(r"[A-Za-z0-9']+")


def find_diseases(lex: Lexicon, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """Longest non-overlapping disease names in text[start:end]: (start, end, DOID), offsets into text.

    Hyphens count as spaces, an organ adjective may stand for its noun ("cutaneous" -> "skin"),
    a trailing plural "s" may be dropped. Names are walked forward word by word through the set
    of name prefixes, so a position costs one or two lookups, not one per possible length."""
    organ = data("lexicon")["organ_words"]
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text, start, len(text) if end is None else end)]
    toks = [text[a:b].casefold() for a, b in spans]
    n_tok = len(toks)
    prefixes, diseases = lex.disease_prefixes, lex.diseases
    out, i = [], 0
    while i < n_tok:
        best = None
        for words in (toks, None):  # as written, then with organ adjectives as nouns
            key = ""
            k = i
            while k < n_tok and k - i < lex.disease_max_words:
                w = toks[k] if words is not None else organ.get(toks[k], toks[k])
                if k > i and text[spans[k - 1][1] : spans[k][0]] not in (" ", "-", "–"):
                    break  # never across a comma or a bracket
                key = f"{key} {w}" if key else w
                hit = diseases.get(key) or (diseases.get(key[:-1]) if key.endswith("s") else None)
                if hit and (best is None or k + 1 > best[0]):
                    best = (k + 1, hit)
                if key not in prefixes:
                    break
                k += 1
        if best:
            out.append((spans[i][0], spans[best[0] - 1][1], best[1]))
            i = best[0]
        else:
            i += 1
    return out


class DiseaseIndex:
    """Disease names of one text, found once per block (a label section, a web paragraph) and
    then looked up by range: recognizers ask about overlapping spans many times."""

    def __init__(self, lex: Lexicon, text: str, blocks: list[tuple[int, int]]) -> None:
        self.lex, self.text = lex, text
        self.blocks = sorted(blocks)
        self.found: dict[tuple[int, int], list[tuple[int, int, str]]] = {}

    def __call__(self, start: int, end: int) -> list[tuple[int, int, str]]:
        block = next(((a, b) for a, b in self.blocks if a <= start and end <= b), None)
        if block is None:
            return find_diseases(self.lex, self.text, start, end)
        if block not in self.found:
            self.found[block] = find_diseases(self.lex, self.text, *block)
        return [d for d in self.found[block] if start <= d[0] and d[1] <= end]


_GENE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]")


def find_genes(lex: Lexicon, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """Gene symbols and aliases as written (case-sensitive): (start, end, HGNC symbol)."""
    out = []
    for m in _GENE_TOKEN.finditer(text, start, len(text) if end is None else end):
        word = m.group(0)
        symbol = lex.genes.get(word)
        if symbol is None and "-" in word:  # "CD38-directed", "PD-1–blocking": the name before a hyphenated suffix
            head = word.rsplit("-", 1)[0]
            symbol = lex.genes.get(head)
            if symbol:
                out.append((m.start(), m.start() + len(head), symbol))
            continue
        if symbol:
            out.append((m.start(), m.end(), symbol))
    return out
