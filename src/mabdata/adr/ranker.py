"""A learned ranker that keeps or drops each unique candidate string of a section.

The engine proposes candidates (lexicon matches, lab grammar, list/table propagation,
coordination expansions, and the ones a context rule excluded); the ranker scores each unique
string of a section from cheap features of its occurrences and keeps those above a threshold.
It replaces the fixed prior threshold and makes the context rules soft: a string that a rule
excludes can still be kept when its other evidence is strong, and vice versa.

The model is logistic regression over sparse named features, stored as JSON weights
(data/ranker.json) and applied in pure Python, so loading needs no download and no
numerical library. It is fitted by learn.py (scikit-learn, at training time only).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mabdata.adr.engine import Candidate, Doc, Mention
    from mabdata.adr.lexicon import Lexicon, Prior

Features = dict[str, float]

_SECTIONS = {"adverse reactions": "ar", "warnings and precautions": "wp", "boxed warnings": "bw"}
_SEP = frozenset({",", "and", "or", "/", ";"})
# Words in the clause before a mention that may govern it or the list it stands in ("presenting with
# seizures, headache, ...", "risk factors (e.g., obesity, ...)", "if X occurs, discontinue"), by group.
# Each group is a feature whose weight the model learns; unlike the context rules in rules.yaml they
# decide nothing by themselves. Keys are the engine's normalized words (lowercased, singular).
_CUE_GROUPS = {
    "signs": "sign symptom manifestation presenting characterized defined suggestive",
    "eg": "e example such",
    "incl": "including include included",
    "risk": "risk factor history",
    "population": "patient subject women men children infant neonate pediatric elderly",
    "advice": "advise monitor consider evaluate discontinue instruct should must",
    "cond": "if when unless",
    "report": "reported occurred observed experienced developed report case episode incidence",
    "death": "death died fatal fatality",
    "common": "common commonly frequent",
    "treat": "treatment indicated treat therapy",
    "neg": "not no without",
    "cause": "cause caused due associated result lead induced",
}
_CUE = {w: "cc=" + g for g, ws in _CUE_GROUPS.items() for w in ws.split()}
_CLAUSE_STOPS = frozenset({".", ";", ":", "*", "•", "?", "!", "[", "]"})
_CUE_REACH, _BAG_LEFT, _BAG_RIGHT = 8, 4, 2  # tokens scanned left for cues, left and right for the bag of words
_MAX_OCCURRENCES = 4  # occurrences of a string whose features are averaged


def _occurrence(doc: Doc, c: Candidate, sec: str, names: list[str], items: dict[int, list[tuple[int, int, str]]]) -> None:
    """Append the names of one occurrence's features (features() averages them over the string's occurrences).

    Everything here reads the engine's tokens and a few characters; no regular expression runs
    per occurrence, so the ranker costs little beside matching (the speed target is per core).
    """
    i, e = c.i, c.e
    keys = doc.keys
    n = len(keys)
    prev = keys[i - 1] if i else "<>"
    prev2 = keys[i - 2] if i > 1 else "<>"
    nxt = keys[e] if e < n else "<>"
    nxt2 = keys[e + 1] if e + 1 < n else "<>"
    if prev[0].isdigit():
        prev = "#"
    if nxt[0].isdigit():
        nxt = "#"
    if nxt2[0].isdigit():
        nxt2 = "#"
    origin = "o=learned" if c.origin == "extra" else "o=" + c.origin
    why = c.excluded
    excluded = "x=" + why.split(":", 1)[0] if why else "x=none"
    # origins and context rules weigh differently by section (advice sentences are W&P furniture)
    names += (origin, origin + sec, excluded, excluded + sec, "p1=" + prev, "p2=" + prev2 + " " + prev, "n1=" + nxt)
    if why.startswith("before:"):
        names.append("xc=" + why[7:])
    for a, b, how in items.get(i, ()):
        if e <= b and (a, b) != (i, e):
            # a known term inside a longer list item or noun phrase: NLM annotates one of the two
            names.append("nested_" + how)
            break
    if prev in _SEP or nxt in _SEP:
        names.append("list")
    if prev == "(" and nxt == ")":
        names.append("in_parens")
    if nxt == "(" and nxt2 in ("#", "n", "see"):
        names.append("then_paren_" + nxt2)
    elif nxt == "[" and nxt2 == "see":
        names.append("then_xref")
    line_start = doc.line_start[i]
    cell_end = doc.stop[i] == e  # a table-cell gap (3+ spaces, tab) or blank line right after
    if line_start:
        names.append("whole_line" if e >= n or doc.line_start[e] else "line_start")
    if cell_end and nxt == "#":
        names.append("table_row")
    elif line_start and cell_end:
        names.append("cell")
    elif prev == "#" and not line_start and doc.line_start[i - 1]:
        names.append("numbered_heading")  # "5.3 Hemorrhage"
    raw = c.mention.text
    if raw[0].isupper():
        names.append("all_caps" if len(raw) >= 3 and raw.isupper() else "cap_first")
    # the clause before: cue groups (up to _CUE_REACH words back) and the nearest words themselves
    for k in range(i - 1, max(-1, i - 1 - _CUE_REACH), -1):
        w = keys[k]
        if w in _CLAUSE_STOPS:
            break
        if w in _CUE:
            names.append(_CUE[w])
        if i - k <= _BAG_LEFT and len(w) > 2 and w.isalpha():
            names.append("lw=" + w)
    for k in range(e, min(n, e + _BAG_RIGHT)):
        w = keys[k]
        if w in _CLAUSE_STOPS:
            break
        if len(w) > 2 and w.isalpha():
            names.append("rw=" + w)


def _shape_features(doc: Doc, c: Candidate, f: Features) -> None:
    """What the string itself looks like: its head and first words and the head's ending.

    A string no lexicon knows (a list item, a table row) is judged by these: "-itis", "-uria" and
    "pain" heads are reactions, "-ine" and "therapy" heads are not, and "events"/"disorders" heads
    are categories NLM annotates only sometimes.
    """
    keys = doc.keys
    head, first = keys[c.e - 1], keys[c.i]
    f["hw=" + head] = 1.0
    f["fw=" + first] = 1.0
    if len(head) > 5 and head.isalpha():
        f["suf=" + head[-4:]] = 1.0


_LONGER = frozenset({"item", "np", "disease"})  # candidates that compete with the shorter ones inside them


def _inner_features(c: Candidate, inner: dict[int, list[tuple[int, str]]], priors: dict[str, Prior], f: Features) -> None:
    """A longer candidate is judged by the known terms inside it: is its head one ("erosive gastritis"),
    and how often are they annotated (a well-known term inside speaks for taking it alone)."""
    best = None
    for a in range(c.i, c.e):
        for b, term in inner.get(a, ()):
            if b > c.e or (a, b) == (c.i, c.e):
                continue
            f["inner_head" if b == c.e else "inner_other"] = 1.0
            p = priors.get(term)
            if p is not None:
                logit = math.log((p.annotated + 0.5) / (p.found - p.annotated + 0.5))
                best = logit if best is None else max(best, logit)
    if best is not None:
        f["inner_logit"] = best


def _prior_features(p: Prior | None, f: Features, prefix: str) -> None:
    if p is None:
        f[prefix + "prior_none"] = 1.0
        return
    # the smoothed rate's log-odds: a string annotated in 9 of 10 labels is +2.2, in 0 of 1 -0.7
    f[prefix + "prior_logit"] = math.log((p.annotated + 0.5) / (p.found - p.annotated + 0.5))
    f[prefix + "prior_found"] = math.log1p(p.found)
    f[prefix + "prior_ann"] = math.log1p(p.annotated)
    if p.annotated == 0:
        f[prefix + "prior_never"] = 1.0


def features(doc: Doc, cands: Sequence[Candidate], section: str | None, lex: Lexicon) -> dict[str, Features]:
    """Features of each unique candidate string (its term) of one section."""
    by_term: dict[str, list[Candidate]] = {}
    for c in cands:
        by_term.setdefault(c.mention.term, []).append(c)
    # Text of no known section (a drug summary, a draft's free text) is read as an adverse-reactions
    # section: the model is fitted on the three label sections only and knows no weights for another.
    sec = _SECTIONS.get(section or "", "ar")
    bar_sec, sec_name = "|" + sec, "sec=" + sec
    out: dict[str, Features] = {}
    priors, forms = lex.priors, lex.form_priors
    # longer candidates by every token they cover, shorter ones by their first token: lookups, not scans
    items: dict[int, list[tuple[int, int, str]]] = {}
    inner: dict[int, list[tuple[int, str]]] = {}
    for c in cands:
        if c.origin in _LONGER:
            for k in range(c.i, c.e):
                items.setdefault(k, []).append((c.i, c.e, c.origin))
    if items:
        for c in cands:
            if c.origin not in _LONGER:
                inner.setdefault(c.i, []).append((c.e, c.mention.term))
    for term, cs in by_term.items():
        names: list[str] = []
        # the first few occurrences say enough about how a string is used (and a long table's
        # "rash" would otherwise cost as much as the rest of the section)
        seen = cs[:_MAX_OCCURRENCES]
        for c in seen:
            _occurrence(doc, c, bar_sec, names, items)
        k = len(seen)
        f: Features = {name: v / k for name, v in Counter(names).items()} if k > 1 else dict(Counter(names))
        f["bias"] = 1.0
        f[sec_name] = 1.0
        f["n_occ"] = math.log(len(cs))
        free = any(not c.excluded for c in cs)
        f["any_free"] = float(free)
        f["n_words"] = float(min(term.count(" ") + 1, 6))
        f["kind=" + cs[0].mention.kind] = 1.0
        _shape_features(doc, cs[0], f)
        if cs[0].origin in _LONGER:
            _inner_features(cs[0], inner, priors, f)
        # how often NLM annotates a string says little where every occurrence is negated or
        # advice ("no cases of pancreatitis"): such strings get priors of their own weight
        prefix = "" if free else "excluded_"
        _prior_features(priors.get(term), f, prefix)
        # NLM writes one surface form more than another ("deaths"/"death"): this form's own record
        form = forms.get(term)
        if form is None:
            f[prefix + "form_none"] = 1.0
        else:
            f[prefix + "form_logit"] = math.log((form.annotated + 0.5) / (form.found - form.annotated + 0.5))
        out[term] = f
    return out


@dataclass
class Ranker:
    """Logistic regression over named features: P(string is annotated) = sigmoid(sum of weights)."""

    weights: dict[str, float]
    threshold: float = 0.5  # best F1 (the TAC measure) in inner cross-validation
    meta: dict = field(default_factory=dict)
    # the lowest threshold whose inner cross-validated precision reaches meta["precise_target"]:
    # fewer proposals for a curator to delete, at a cost in recall
    precise_threshold: float | None = None

    def score(self, f: Features) -> float:
        z = sum(map(mul, map(self.weights.get, f, repeat(0.0)), f.values()))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def select(
        self, doc: Doc, cands: Sequence[Candidate], section: str | None, lex: Lexicon, *, precise: bool = False
    ) -> list[Mention]:
        """Mentions of the strings scored at or above the threshold (their non-excluded occurrences, if any);
        precise: the precise threshold instead (the F1 one if the ranker has none)."""
        cut = self.precise_threshold if precise and self.precise_threshold is not None else self.threshold
        keep = {t for t, f in features(doc, cands, section, lex).items() if self.score(f) >= cut}
        negations = lex.negations
        chosen = [c for c in cands if c.mention.term in keep and c.excluded not in negations]
        free = {c.mention.term for c in chosen if not c.excluded}
        return [c.mention for c in chosen if not c.excluded or c.mention.term not in free]

    def to_json(self) -> str:
        body = {
            "threshold": self.threshold,
            "precise_threshold": self.precise_threshold,
            "meta": self.meta,
            "weights": dict(sorted(self.weights.items())),
        }
        return json.dumps(body, indent=0, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Ranker:
        body = json.loads(text)
        precise = body.get("precise_threshold")
        return cls(
            {k: float(v) for k, v in body["weights"].items()},
            float(body["threshold"]),
            body.get("meta", {}),
            None if precise is None else float(precise),
        )

    @classmethod
    def load(cls, path: Path) -> Ranker:
        return cls.from_json(path.read_text(encoding="utf-8"))
