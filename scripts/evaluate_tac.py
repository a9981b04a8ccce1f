"""Score mabdata.adr against the TAC 2017 ADR training labels with the task-3-style measure.

    python scripts/evaluate_tac.py [--train FILE] [--json docs/tac-evaluation.json] [--labels A,B,...] [--no-speed]

Measure: per label, the set of unique adverse-reaction strings (lowercased, exact) predicted
vs annotated (human reactions; animal and drug-class mentions are not gold); micro precision,
recall and F1 over labels. Lenient: a predicted string also counts if one of its mentions
overlaps an occurrence of a gold string in the same section, and a gold string counts as
found if one of its occurrences is overlapped by a prediction.

Anything learned from annotations is scored by 5-fold cross-validation over labels: fold =
rank of sha256(label id) modulo 5, and a label's strings and priors come only from the other
four folds. "ctcae_rules" learns nothing (CTCAE + curated terms + rules).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mabdata.adr import Lexicon, find_reactions, load_lexicon  # noqa: E402
from mabdata.adr.learn import AnnotatedSection, learn, read_tac  # noqa: E402

SHARED = ROOT.parent / "shared"
TRAIN = SHARED / "benchmarks" / "tac2017_adr" / "train.json"
FDA_LABELS = SHARED / "corpus" / "fda_labels"
ANTIBODIES = ("ADCETRIS", "BENLYSTA", "BLINCYTO", "Cimzia", "Ilaris", "Prolia", "SIMPONI", "YERVOY")
FOLDS = 5
FDA_FIELDS = {
    "adverse_reactions": "adverse reactions",
    "warnings_and_cautions": "warnings and precautions",
    "boxed_warning": "boxed warnings",
}


def fold_of(labels: Iterable[str]) -> dict[str, int]:
    """Deterministic, balanced folds: labels ranked by sha256 of their id, dealt round-robin."""
    ranked = sorted(set(labels), key=lambda x: hashlib.sha256(x.encode()).hexdigest())
    return {lab: i % FOLDS for i, lab in enumerate(ranked)}


@dataclass
class LabelResult:
    label: str
    gold: set[str]
    pred: set[str]
    lenient_pred: set[str] = field(default_factory=set)  # predicted strings overlapping some gold occurrence
    lenient_gold: set[str] = field(default_factory=set)  # gold strings overlapped by some prediction

    def counts(self) -> dict[str, int]:
        tp = len(self.gold & self.pred)
        lp = len(self.pred & (self.gold | self.lenient_pred))
        lg = len(self.gold & (self.pred | self.lenient_gold))
        return {
            "tp": tp,
            "fp": len(self.pred) - tp,
            "fn": len(self.gold) - tp,
            "n_pred": len(self.pred),
            "n_gold": len(self.gold),
            "lenient_pred_ok": lp,
            "lenient_gold_found": lg,
        }


def gold_spans(sec: AnnotatedSection) -> list[tuple[int, int, str]]:
    """Every word-bounded occurrence of each gold string in the section (the file gives only the first)."""
    low = sec.text.lower()
    spans = []
    for g in sec.gold:
        for m in re.finditer(r"(?<!\w)" + re.escape(g.term) + r"(?!\w)", low):
            spans.append((m.start(), m.end(), g.term))
    return spans


def score_label(label: str, sections: list[AnnotatedSection], lex: Lexicon) -> LabelResult:
    res = LabelResult(label, set(), set())
    for sec in sections:
        res.gold |= sec.terms
        spans = gold_spans(sec)
        for m in find_reactions(sec.text, sec.section, lex):
            res.pred.add(m.term)
            for a, b, g in spans:
                if a < m.end and m.start < b:
                    res.lenient_pred.add(m.term)
                    res.lenient_gold.add(g)
    return res


def prf(results: list[LabelResult]) -> dict[str, float | int]:
    """Micro precision, recall and F1 over labels, exact and lenient."""
    c: dict[str, int] = defaultdict(int)
    for r in results:
        for k, v in r.counts().items():
            c[k] += v
    p = c["tp"] / c["n_pred"] if c["n_pred"] else 0.0
    rc = c["tp"] / c["n_gold"] if c["n_gold"] else 0.0
    lp = c["lenient_pred_ok"] / c["n_pred"] if c["n_pred"] else 0.0
    lr = c["lenient_gold_found"] / c["n_gold"] if c["n_gold"] else 0.0
    return {
        "labels": len(results),
        "tp": c["tp"],
        "fp": c["fp"],
        "fn": c["fn"],
        "precision": round(p, 4),
        "recall": round(rc, 4),
        "f1": round(_f1(p, rc), 4),
        "lenient_precision": round(lp, 4),
        "lenient_recall": round(lr, 4),
        "lenient_f1": round(_f1(lp, lr), 4),
    }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def cross_validate(by_label: dict[str, list[AnnotatedSection]], learned: bool) -> list[LabelResult]:
    folds = fold_of(by_label)
    out = []
    for k in range(FOLDS):
        if learned:
            train = [s for lab, secs in by_label.items() if folds[lab] != k for s in secs]
            lex = learn(train).lexicon()
        else:
            lex = load_lexicon(learned=False)
        out.extend(score_label(lab, secs, lex) for lab, secs in sorted(by_label.items()) if folds[lab] == k)
    return sorted(out, key=lambda r: r.label.lower())


def summary(results: list[LabelResult]) -> dict[str, dict]:
    anti = [r for r in results if r.label in ANTIBODIES]
    return {"all": prf(results), "antibodies": prf(anti)}


# --- speed and memory ---------------------------------------------------------------------


def vm(field_name: str) -> int:
    """A /proc/self/status figure in kB (VmHWM = peak resident memory)."""
    for ln in Path("/proc/self/status").read_text().splitlines():
        if ln.startswith(field_name + ":"):
            return int(ln.split()[1])
    return 0


def fda_texts() -> Iterator[tuple[str, str]]:
    """(section text, section name) of the FDA label corpus, one file read at a time."""
    for path in sorted(glob.glob(str(FDA_LABELS / "*.json"))):
        rec = json.loads(Path(path).read_text(encoding="utf-8"))["results"][0]
        for field_name, section in FDA_FIELDS.items():
            for text in rec.get(field_name) or []:
                yield text, section


def train_texts(path: Path) -> Iterator[tuple[str, str]]:
    for sec in read_tac(path):
        yield sec.text, sec.section


def speed(texts: Iterator[tuple[str, str]], lex: Lexicon) -> dict[str, float]:
    """Single-process throughput (CPU time, so per core) and peak memory, sampled along the stream.

    Documents are read and processed one at a time and nothing is kept, so VmHWM stays flat.
    """
    total = n = mentions = 0
    elapsed = wall = 0.0
    hwm_trace = []
    for text, section in texts:
        # CPU time of this process is the per-core figure, whatever else the machine is running
        c0, t0 = time.process_time(), time.perf_counter()
        mentions += len(find_reactions(text, section, lex))
        elapsed += time.process_time() - c0
        wall += time.perf_counter() - t0
        total += len(text.encode("utf-8"))
        n += 1
        if n % 25 == 0:
            hwm_trace.append(vm("VmHWM"))
    return {
        "documents": n,
        "mb": round(total / 1e6, 3),
        "cpu_seconds": round(elapsed, 3),
        "wall_seconds": round(wall, 3),
        "mb_per_s_per_core": round(total / 1e6 / elapsed, 3) if elapsed else 0.0,
        "mentions": mentions,
        "vm_hwm_kb": vm("VmHWM"),
        "vm_hwm_kb_every_25_docs": hwm_trace,
    }


# --- report --------------------------------------------------------------------------------


def table(rows: list[tuple], head: tuple) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*r) for r in [head, *rows])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, default=TRAIN)
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "tac-evaluation.json")
    ap.add_argument("--labels", help="comma-separated label ids to keep (a quick run; folds stay those of the full set)")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args(argv)

    by_label: dict[str, list[AnnotatedSection]] = defaultdict(list)
    for sec in read_tac(args.train):
        by_label[sec.label].append(sec)
    folds = fold_of(by_label)
    if args.labels:
        keep = set(args.labels.split(","))
        by_label = {k: v for k, v in by_label.items() if k in keep}

    cv = cross_validate(by_label, learned=True) if not args.labels else _cv_subset(by_label, args.train, folds)
    base = cross_validate(by_label, learned=False)
    report: dict = {
        "measure": "TAC 2017 ADR, unique lowercased reaction strings per label, micro over labels (human reactions)",
        "folds": {"k": FOLDS, "assignment": "rank of sha256(label_id) mod 5", "by_label": folds if not args.labels else None},
        "cv_learned": summary(cv),
        "ctcae_rules_only": summary(base),
        "per_label": [
            {
                "label": r.label,
                "fold": folds[r.label],
                "antibody": r.label in ANTIBODIES,
                **r.counts(),
                "ctcae_rules_tp": b.counts()["tp"],
                "ctcae_rules_fp": b.counts()["fp"],
            }
            for r, b in zip(cv, base, strict=True)
        ],
    }
    if not args.no_speed:
        lex = load_lexicon()
        report["speed"] = {"tac_train_sections": speed(train_texts(args.train), lex), "fda_labels": speed(fda_texts(), lex)}
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def _cv_subset(by_label: dict[str, list[AnnotatedSection]], train: Path, folds: dict[str, int]) -> list[LabelResult]:
    """CV for a few labels: each is scored with strings learned from the full training set minus its own fold."""
    everything: dict[str, list[AnnotatedSection]] = defaultdict(list)
    for sec in read_tac(train):
        everything[sec.label].append(sec)
    out = []
    for k in sorted({folds[lab] for lab in by_label}):
        lex = learn([s for lab, secs in everything.items() if folds[lab] != k for s in secs]).lexicon()
        out.extend(score_label(lab, secs, lex) for lab, secs in sorted(by_label.items()) if folds[lab] == k)
    return sorted(out, key=lambda r: r.label.lower())


def print_report(report: dict) -> None:
    rows = [
        (r["label"], r["fold"], "*" if r["antibody"] else "", r["n_gold"], r["n_pred"], r["tp"], r["fp"], r["fn"])
        for r in report["per_label"]
    ]
    print(table(rows, ("label", "fold", "mAb", "gold", "pred", "tp", "fp", "fn")))
    print()
    head = ("configuration", "subset", "labels", "P", "R", "F1", "lenient P", "lenient R", "lenient F1")
    rows = []
    for conf in ("cv_learned", "ctcae_rules_only"):
        for sub, s in report[conf].items():
            keys = ("labels", "precision", "recall", "f1", "lenient_precision", "lenient_recall", "lenient_f1")
            rows.append((conf, sub, *(s[k] for k in keys)))
    print(table(rows, head))
    for name, s in report.get("speed", {}).items():
        print(
            f"\nspeed {name}: {s['documents']} documents, {s['mb']} MB in {s['cpu_seconds']} CPU s = "
            f"{s['mb_per_s_per_core']} MB/s/core; peak memory VmHWM {s['vm_hwm_kb'] / 1024:.1f} MB"
        )


if __name__ == "__main__":
    main()
