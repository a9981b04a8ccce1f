"""Learn reaction strings, their priors and the candidate ranker from annotated label sections (TAC 2017 ADR format).

    python -m mabdata.adr.learn TRAIN.json   # rewrites data/learned_strings.txt, learned_priors.tsv and ranker.json

Only the annotated mention strings (label text) are kept; MedDRA terms and codes in the
annotations are never read into anything that is written. The ranker's features are label
text and engine facts (origins, cue words, priors); its weights are plain numbers.

The ranker is trained on out-of-fold candidates: each training label's candidates are found
with strings and priors learned from the other folds only, so that its features (a string's
prior, whether it is known at all) look as they will on a label the lexicon has never seen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mabdata.adr.engine import analyze, unranked
from mabdata.adr.lexicon import DATA, LEARNED_FILE, PRIORS_FILE, RANKER_FILE, Lexicon, Prior, load_lexicon
from mabdata.adr.ranker import Features, Ranker, features

FOLDS = 5
# Logistic regression's inverse L2 strength (0.1 to 1 score alike; a grid would only multiply the fits),
# and how many training rows a feature needs to get a weight (rarer ones would only memorize labels).
RANKER_C = 0.3
RANKER_MIN_COUNT = 3
# The precision that the ranker's second, precise threshold is chosen to reach (issue 13's target).
PRECISE_TARGET = 0.90
# Ranker-only origins whose strings still get priors.
_WITH_PRIORS = frozenset({"disease"})


@dataclass(frozen=True)
class GoldMention:
    term: str  # lowercased mention string
    start: int | None  # first occurrence in the section text; None for discontinuous mentions
    length: int


@dataclass(frozen=True)
class AnnotatedSection:
    label: str
    section: str
    text: str
    gold: tuple[GoldMention, ...]  # adverse reactions in humans (animal and drug-class mentions left out)

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(g.term for g in self.gold)


def read_tac(path: Path) -> Iterator[AnnotatedSection]:
    """Sections of a TAC 2017 ADR JSON file as converted by OnSIDES; MedDRA columns are dropped here."""
    for s in json.loads(path.read_text(encoding="utf-8")):
        gold = tuple(
            GoldMention(e[0], None if e[5] is None else int(e[5]), int(e[6])) for e in s["adverse_events"] if e[7] == "human"
        )
        yield AnnotatedSection(s["label_id"], s["section_name"], s["section_text"], gold)


@dataclass
class Learned:
    strings: list[str]
    priors: dict[str, Prior]
    ranker: Ranker | None = None

    def lexicon(self) -> Lexicon:
        """CTCAE and curated terms plus these strings, priors and ranker (and nothing shipped)."""
        lex = load_lexicon(self.strings, learned=False, priors=self.priors)
        lex.ranker = self.ranker
        return lex


def fold_of(labels: Iterable[str], k: int = FOLDS) -> dict[str, int]:
    """Deterministic, balanced folds: labels ranked by sha256 of their id, dealt round-robin."""
    ranked = sorted(set(labels), key=lambda x: hashlib.sha256(x.encode()).hexdigest())
    return {lab: i % k for i, lab in enumerate(ranked)}


def _by_label(sections: Iterable[AnnotatedSection]) -> dict[str, list[AnnotatedSection]]:
    by_label: dict[str, list[AnnotatedSection]] = defaultdict(list)
    for s in sections:
        by_label[s.label].append(s)
    return dict(by_label)


def learn(
    sections: Iterable[AnnotatedSection],
    *,
    ranker: bool = False,
    folds: Mapping[str, int] | None = None,
    cache: MutableMapping[frozenset[str], Lexicon] | None = None,
) -> Learned:
    """Strings = every annotated string; prior = in how many labels the engine finds it and how many annotate it.

    ranker=True also fits the candidate ranker on out-of-fold candidates (folds: label -> fold,
    default fold_of). cache keeps the lexicons learned for each set of labels, so that nested
    cross-validation learns each of them once.
    """
    by_label = _by_label(sections)
    strings = sorted({t for secs in by_label.values() for s in secs for t in s.terms})
    lex = load_lexicon(strings, learned=False, priors={})
    found: Counter[str] = Counter()
    annotated: Counter[str] = Counter()
    for secs in by_label.values():
        gold = frozenset().union(*(s.terms for s in secs))
        # disease names are ranker-only, but their priors are what the ranker needs to weigh them
        seen = {m.term for s in secs for m in unranked(analyze(s.text, s.section, lex)[1], lex, _WITH_PRIORS)}
        found.update(seen)
        annotated.update(seen & gold)
    priors = {t: Prior(found[t], annotated[t]) for t in sorted(found)}
    fitted = learn_ranker(by_label, folds or fold_of(by_label), cache) if ranker else None
    return Learned(strings, priors, fitted)


@dataclass(frozen=True)
class Row:
    """One unique candidate string of one section, as the ranker sees it, and whether it is annotated.

    The ranker learns whether the section annotates the string (find_reactions answers per section:
    "no cases of pancreatitis" is no mention even if the label annotates pancreatitis elsewhere);
    its threshold is chosen on the TAC measure, which asks whether the label annotates it.
    """

    label: str
    group: int  # the fold it was held out in
    term: str
    features: Features = field(repr=False)
    gold: bool  # the section annotates the string
    in_label: bool  # some section of the label does


def ranker_rows(by_label: Mapping[str, Sequence[AnnotatedSection]], lex: Lexicon, group: int = 0) -> list[Row]:
    """Candidates of these labels found with lex (which must not have been learned from them)."""
    rows = []
    for label, secs in sorted(by_label.items()):
        gold = frozenset().union(*(s.terms for s in secs))
        for s in secs:
            doc, cands = analyze(s.text, s.section, lex)
            for term, f in features(doc, cands, s.section, lex).items():
                rows.append(Row(label, group, term, f, term in s.terms, term in gold))
    return rows


def learn_ranker(
    by_label: Mapping[str, Sequence[AnnotatedSection]],
    folds: Mapping[str, int],
    cache: MutableMapping[frozenset[str], Lexicon] | None = None,
) -> Ranker:
    """Fit the ranker on out-of-fold candidates: fold j's labels are read with a lexicon learned from the other folds."""
    rows: list[Row] = []
    for j in sorted({folds[lab] for lab in by_label}):
        rest = frozenset(lab for lab in by_label if folds[lab] != j)
        lex = cache.get(rest) if cache is not None else None
        if lex is None:
            lex = learn([s for lab in sorted(rest) for s in by_label[lab]]).lexicon()
            if cache is not None:
                cache[rest] = lex
        rows.extend(ranker_rows({lab: by_label[lab] for lab in by_label if folds[lab] == j}, lex, j))
    n_gold = {lab: len(frozenset().union(*(s.terms for s in secs))) for lab, secs in by_label.items()}
    return fit_ranker(rows, n_gold)


def fit_ranker(rows: Sequence[Row], n_gold: Mapping[str, int]) -> Ranker:
    """Logistic regression on the rows, with the threshold chosen by cross-validation over the rows' groups
    (whole labels) to maximize the TAC measure: per label, a string is predicted when its best section
    scores at or above the threshold, and F1 counts every gold string of the label."""
    probs = [0.0] * len(rows)
    for g in sorted({r.group for r in rows}):
        model = Ranker(_fit([r for r in rows if r.group != g], RANKER_C))
        for i, r in enumerate(rows):
            if r.group == g:
                probs[i] = model.score(r.features)
    f1, threshold = _best_threshold(rows, probs, n_gold)
    precise = _precise_threshold(rows, probs, PRECISE_TARGET)
    meta = {
        "trained_on": {"labels": len({r.label for r in rows}), "rows": len(rows), "annotated": sum(r.gold for r in rows)},
        "target": "the section annotates the string; threshold: best TAC F1 (per label) in inner cross-validation",
        "l2_c": RANKER_C,
        "min_count": RANKER_MIN_COUNT,
        "inner_cv_f1": round(f1, 4),
        "precise_target": PRECISE_TARGET,
    }
    return Ranker(_fit(rows, RANKER_C), threshold, meta, precise)


def _fit(rows: Sequence[Row], c: float) -> dict[str, float]:
    """L2-regularized logistic regression (lbfgs, deterministic) over features seen in RANKER_MIN_COUNT rows or more."""
    try:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise SystemExit("refitting the ADR ranker needs scikit-learn: pip install 'mabdata[train]'") from None

    counts = Counter(k for r in rows for k in r.features)
    keep = {k for k, n in counts.items() if n >= RANKER_MIN_COUNT and k != "bias"}
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform([{k: v for k, v in r.features.items() if k in keep} for r in rows])
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, [r.gold for r in rows])
    weights = {name: round(float(w), 4) for name, w in zip(vec.feature_names_, model.coef_[0], strict=True)}
    weights["bias"] = round(float(model.intercept_[0]), 4)
    return {k: w for k, w in weights.items() if w != 0.0}


def _label_best(rows: Sequence[Row], probs: Sequence[float]) -> list[tuple[float, bool]]:
    """Per (label, string): the best section's score, and whether the label annotates the string."""
    best: dict[tuple[str, str], tuple[float, bool]] = {}
    for r, p in zip(rows, probs, strict=True):
        key = (r.label, r.term)
        if key not in best or p > best[key][0]:
            best[key] = (p, r.in_label)
    return list(best.values())


def _precise_threshold(rows: Sequence[Row], probs: Sequence[float], target: float) -> float:
    """The lowest threshold on a 0.01 grid at which the TAC-measure precision reaches target (0.99 if none does)."""
    best = _label_best(rows, probs)
    for step in range(20, 100):
        t = step / 100
        pred = [g for p, g in best if p >= t]
        if pred and sum(pred) / len(pred) >= target:
            return t
    return 0.99


def _best_threshold(rows: Sequence[Row], probs: Sequence[float], n_gold: Mapping[str, int]) -> tuple[float, float]:
    """(F1, threshold) at the best threshold on a 0.01 grid, scoring strings per label as the TAC measure does."""
    best = _label_best(rows, probs)
    total_gold = sum(n_gold[lab] for lab in {r.label for r in rows})
    out = (-1.0, 0.5)
    for step in range(20, 81):
        t = step / 100
        pred = [g for p, g in best if p >= t]
        f1 = 2 * sum(pred) / (len(pred) + total_gold) if pred or total_gold else 0.0
        if f1 > out[0] + 1e-9:
            out = (f1, t)
    return out


def write(learned: Learned, folder: Path = DATA) -> None:
    if learned.ranker is not None:
        (folder / RANKER_FILE).write_text(learned.ranker.to_json(), encoding="utf-8")
    head = "# Adverse-reaction mention strings learned from the TAC 2017 ADR training labels (label text only).\n"
    (folder / LEARNED_FILE).write_text(head + "".join(f"{s}\n" for s in learned.strings), encoding="utf-8")
    head = "# string<TAB>labels where the engine found it<TAB>labels that annotate it (TAC 2017 ADR training).\n"
    rows = "".join(f"{s}\t{p.found}\t{p.annotated}\n" for s, p in learned.priors.items())
    (folder / PRIORS_FILE).write_text(head + rows, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train", type=Path)
    args = ap.parse_args(argv)
    learned = learn(read_tac(args.train), ranker=True)
    write(learned)
    assert learned.ranker is not None
    print(f"{len(learned.strings)} strings, {len(learned.priors)} priors, {len(learned.ranker.weights)} ranker weights -> {DATA}")


if __name__ == "__main__":
    main()
