"""Score `mabdata draft` against the reviewed curation of each seed, beside a dictionary baseline.

    python scripts/evaluate_draft.py [--json FILE]

Leave-one-out holds trivially: the extractor learns nothing from any curation file (its rules
and vocabularies are fixed), so scoring seed k uses nothing from seed k's curation. Statements
are compared as sets of normalized keys per table (drug, target + mechanism, condition id +
status, stated term, endpoint + value or direction, each regimen number); precision, recall
and F1 per table and micro-averaged overall. The baseline is a plain dictionary lookup: every
vocabulary match anywhere in the text, with no sentence, cue or furniture logic.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mabdata import curation  # noqa: E402
from mabdata.draft import _drug_mentions, _find_diseases, extract, lexicon  # noqa: E402

REGIMEN_FIELDS = (
    "route",
    "dose_value",
    "dose_unit",
    "interval_min_days",
    "interval_max_days",
    "infusion_min_minutes",
    "infusion_max_minutes",
    "max_duration_months",
    "course_days",
)
TABLES = (
    "drugs",
    "drug_names",
    "drug_targets",
    "indications",
    "regimens",
    "adverse_events",
    "trial_results",
    "contraindications",
    "interactions",
    "drug_organizations",
)


def keys(table: str, s: dict[str, Any]) -> set[tuple]:
    d = s.get("drug_id")
    low = lambda k: str(s.get(k) or "").casefold()  # noqa: E731
    if table == "drugs":
        return {(d,)}
    if table == "drug_names":
        return {(d, low("name"))}
    if table == "drug_targets":
        return {(d, s.get("target_id"), s.get("mechanism") or "-")}
    if table == "indications":
        return {(d, s.get("condition_id") or "-", s.get("status"), s.get("regulator"))}
    if table == "regimens":
        return {(d, f, s[f]) for f in REGIMEN_FIELDS if s.get(f) is not None}
    if table == "adverse_events":
        return {(d, low("term"))}
    if table == "trial_results":
        return {(d, s.get("endpoint"), s.get("value") if s.get("value") is not None else s.get("direction"))}
    if table in ("contraindications", "interactions"):
        return {(d, low("term"))}
    if table == "drug_organizations":
        return {(d, low("organization"))}
    return set()


def key_sets(statements: dict[str, list[dict[str, Any]]]) -> dict[str, set[tuple]]:
    out: dict[str, set[tuple]] = defaultdict(set)
    for table in TABLES:
        for s in statements.get(table, []):
            out[table] |= keys(table, s)
    return out


def reviewed(path: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for st in curation.read(path).statements:
        out[st.table].append(st.values)
    return out


def baseline(text: str) -> dict[str, list[dict[str, Any]]]:
    """Dictionary lookup only: every name, gene, disease and CTCAE term found anywhere."""
    lex = lexicon()
    mentions = [m for m in _drug_mentions(text, lex) if m[4] != "spelling_variant"]
    if not mentions:
        return {}
    drug = Counter(m[3] for m in mentions).most_common(1)[0][0]
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for inn in {m[3] for m in mentions}:
        out["drugs"].append({"drug_id": inn})
    for m in mentions:
        out["drug_names"].append({"drug_id": m[3], "name": m[2]})
    for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]", text):
        if m.group(0) in lex.genes:
            out["drug_targets"].append({"drug_id": drug, "target_id": lex.genes[m.group(0)]})
    for a, b, doid in _find_diseases(text, lex):
        out["indications"].append({"drug_id": drug, "condition_id": doid, "status": "approved", "regulator": "unspecified"})
        out["adverse_events"].append({"drug_id": drug, "term": text[a:b]})
    low = text.casefold()
    for term in lex.ctcae:
        for _ in re.finditer(rf"\b{re.escape(term)}\b", low):
            out["adverse_events"].append({"drug_id": drug, "term": term})
    return out


def score(pred: dict[str, set], gold: dict[str, set], counts: dict[str, Counter]) -> None:
    for table in TABLES:
        p, g = pred.get(table, set()), gold.get(table, set())
        counts[table].update(tp=len(p & g), fp=len(p - g), fn=len(g - p))


def prf(c: Counter) -> dict[str, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), **{k: c[k] for k in ("tp", "fp", "fn")}}


def evaluate() -> dict[str, Any]:
    systems: dict[str, dict[str, Counter]] = {"extractor": defaultdict(Counter), "baseline": defaultdict(Counter)}
    per_seed = {}
    for txt in sorted((ROOT / "seeds").glob("*.txt")):
        text = txt.read_bytes().decode("utf-8")
        gold = key_sets(reviewed(txt.with_suffix(".yaml")))
        ext = key_sets(extract(text))
        score(ext, gold, systems["extractor"])
        score(key_sets(baseline(text)), gold, systems["baseline"])
        seed_counts: dict[str, Counter] = defaultdict(Counter)
        score(ext, gold, seed_counts)
        per_seed[txt.stem] = prf(sum(seed_counts.values(), Counter()))
    result: dict[str, Any] = {"per_seed_extractor": per_seed}
    for name, counts in systems.items():
        result[name] = {t: prf(counts[t]) for t in TABLES}
        result[name]["overall"] = prf(sum(counts.values(), Counter()))
    return result


def table(result: dict[str, Any]) -> str:
    lines = [f"{'table':<20} {'extractor P':>11} {'R':>6} {'F1':>6}   {'baseline P':>10} {'R':>6} {'F1':>6}"]
    for t in (*TABLES, "overall"):
        e, b = result["extractor"][t], result["baseline"][t]
        lines.append(
            f"{t:<20} {e['precision']:>11.3f} {e['recall']:>6.3f} {e['f1']:>6.3f}   "
            f"{b['precision']:>10.3f} {b['recall']:>6.3f} {b['f1']:>6.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = evaluate()
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
