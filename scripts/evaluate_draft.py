"""Score `mabdata draft` against the reviewed curation files, beside the old drafter and a dictionary baseline.

    python scripts/evaluate_draft.py [--json docs/draft-evaluation.json] [--check-labels N] [--no-old]

Gold: the four seeds and every curated label in labels/*.yaml that passes `mabdata check`
(curators add them over time; whatever is there when this runs is scored). The drafter learns
nothing from any curation file (its rules and vocabularies are fixed), so leave-one-out holds
trivially.

STRICT scoring, per table, micro-averaged:
- claims: a drafted claim matches a reviewed claim when their natural keys (schema
  `mabdata:naturalKey`, vocabulary values resolved to their terms, text case- and space-folded,
  numbers as floats; a regimen's key holds all its steps) are equal. A trial result's key is its
  natural key with the study identified by drug, name and registry id. A quote that merely
  contains a value earns nothing.
- fields: the sets of (drug, column, value) triples over every curated column (a dosing step's
  columns as step.<column>): a number counts only in its own numeric column, an event only in
  the event column. Partial credit for claims that are right in some columns.

Systems: the new drafter; the old 0.1.0 drafter (src/mabdata/draft.py at OLD_COMMIT, read from
git and its rows mapped onto the new tables as generously as they allow, so both are scored by the
same strict measure); the dictionary baseline (every vocabulary match anywhere, no sentence, cue
or furniture logic).

--check-labels N drafts N labels, removes the two draft keys and counts the drafted claims that
pass `mabdata check` (claims that fail are removed until the file passes).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mabdata import curation, keys, schemas  # noqa: E402
from mabdata.draft import extract_document  # noqa: E402
from mabdata.draft import lexicon as load_lexicon  # noqa: E402
from mabdata.draft.lexicon import find_diseases, find_genes  # noqa: E402
from mabdata.draft.names import _mentions  # noqa: E402
from mabdata.draft.text import load  # noqa: E402
from mabdata.errors import MabdataError  # noqa: E402

OLD_COMMIT = "c882e52ab08ccfb70cfbadba080bb194f0c805ff"  # the last commit with the 0.1.0 drafter (src/mabdata/draft.py)
TABLES = (
    "drug_names",
    "drug_properties",
    "drug_organizations",
    "drug_targets",
    "indications",
    "regimens",
    "adverse_events",
    "contraindications",
    "precautions",
    "interactions",
    "studies",
    "trial_results",
)
Claims = dict[str, list[dict[str, Any]]]
STEP_COLUMNS = [f["name"] for f in schemas.curated_fields("dosing_steps")]
RESULT_COLUMNS = [f["name"] for f in schemas.curated_fields("trial_results")]


# ---- claims as dictionaries ---------------------------------------------------------------------


def reviewed(path: Path) -> Claims:
    """A curation file's claims (drafts left out) as curation-file items: values, steps, results."""
    out: Claims = defaultdict(list)
    for c in curation.read(path).claims:
        if c.draft:
            continue
        item = {k: v for k, v in c.values.items() if v is not None}
        if c.children.get("dosing_steps"):
            item["steps"] = [{k: v for k, v in s.items() if v is not None} for s in c.children["dosing_steps"]]
        if c.nested:
            item["results"] = [{k: v for k, v in n.values.items() if v is not None} for n in c.nested if not n.draft]
        out[c.table].append(item)
    return out


def _resolved(table: str, item: dict[str, Any]) -> dict[str, Any]:
    """Vocabulary values as their terms ("≥" -> "at least"), the way the build keys them."""
    out = dict(item)
    for f in schemas.curated_fields(table):
        vocab = schemas.vocab_of(f)
        if vocab and isinstance(out.get(f["name"]), str):
            out[f["name"]] = schemas.vocabulary(vocab).resolve(out[f["name"]]) or out[f["name"]]
    return out


def claim_keys(claims: Claims) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for table in TABLES:
        if table == "trial_results":
            continue
        for item in claims.get(table, []):
            v = _resolved(table, item)
            steps = [_resolved("dosing_steps", s) for s in item.get("steps", [])]
            out[table].add(json.dumps(keys.natural_key(table, v, steps), ensure_ascii=False))
            if table == "studies":
                study = [keys.normal(v.get(k)) for k in ("drug_id", "name", "registry_id")]
                for r in item.get("results", []):
                    rv = _resolved("trial_results", r)
                    key = [k for k in keys.natural_key("trial_results", rv) if True][1:]  # study_id replaced below
                    out["trial_results"].add(json.dumps([study, key], ensure_ascii=False))
    return out


def field_keys(claims: Claims) -> dict[str, set[tuple]]:
    out: dict[str, set[tuple]] = defaultdict(set)
    for table in TABLES:
        if table == "trial_results":
            continue
        cols = [f["name"] for f in schemas.curated_fields(table) if f["name"] != "drug_id"]
        for item in claims.get(table, []):
            v = _resolved(table, item)
            d = v.get("drug_id")
            out[table] |= {(d, c, keys.normal(v[c])) for c in cols if v.get(c) is not None}
            for s in item.get("steps", []):
                sv = _resolved("dosing_steps", s)
                out[table] |= {(d, f"step.{c}", keys.normal(sv[c])) for c in STEP_COLUMNS if sv.get(c) is not None}
            for r in item.get("results", []):
                rv = _resolved("trial_results", r)
                out["trial_results"] |= {(d, c, keys.normal(rv[c])) for c in RESULT_COLUMNS if rv.get(c) is not None}
    return out


# ---- the old drafter and the baseline -----------------------------------------------------------------


def old_drafter() -> Any:
    """The 0.1.0 drafter module, read from git (None when git or the commit is not available)."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:src/mabdata/draft.py"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader("mabdata_old_draft", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules["mabdata_old_draft"] = module  # dataclasses look their module up by name
    exec(compile(source, "mabdata_old_draft.py", "exec"), module.__dict__)  # noqa: S102 - our own past source
    return module


def _days(n: float | None) -> tuple[Any, str | None]:
    if n is None:
        return None, None
    return (int(n // 7), "wk") if n % 7 == 0 else (n, "d")


def from_old(statements: dict[str, list[dict[str, Any]]]) -> Claims:
    """The old drafter's 0.1.0 rows mapped onto the new tables, keeping every value it proposed."""
    out: Claims = defaultdict(list)

    def strip(s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k not in ("quote", "occurrence", "confidence", "curation_status", "curation_note")}

    for s in statements.get("drugs", []):
        for prop in ("molecule_type", "sequence_source"):
            if s.get(prop):
                out["drug_properties"].append({"drug_id": s["drug_id"], "property": prop, "value": s[prop], "term": s[prop]})
    for s in statements.get("regimens", []):
        step: dict[str, Any] = {"dose_value": s.get("dose_value"), "dose_unit": s.get("dose_unit"), "timing": s.get("frequency")}
        if s.get("interval_min_days"):
            lo, lo_unit = _days(s["interval_min_days"])
            hi, _ = _days(s.get("interval_max_days"))
            step.update(frequency=1, period=lo, period_unit=lo_unit, period_max=hi if hi != lo else None)
        if s.get("infusion_min_minutes"):
            step.update(infusion_duration=s["infusion_min_minutes"], infusion_duration_unit="min")
            if s.get("infusion_max_minutes") != s["infusion_min_minutes"]:
                step["infusion_duration_max"] = s.get("infusion_max_minutes")
        if s.get("max_duration_months"):
            m = s["max_duration_months"]
            step.update(max_duration=m / 12 if m % 12 == 0 else m, max_duration_unit="a" if m % 12 == 0 else "mo")
        if s.get("course_days"):
            step.update(count=s["course_days"], frequency=1, period=1, period_unit="d")
        out["regimens"].append(
            {"drug_id": s["drug_id"], "route": s.get("route"), "steps": [{k: v for k, v in step.items() if v is not None}]}
        )
    studies: dict[tuple, dict[str, Any]] = {}
    for s in statements.get("trial_results", []):
        key = (s["drug_id"], s.get("phase"))
        study = studies.setdefault(key, {"drug_id": s["drug_id"], "phase": s.get("phase"), "results": []})
        r = strip(s)
        r.pop("drug_id")
        r.pop("phase", None)
        study["results"].append(r)
    out["studies"] = [{k: v for k, v in s.items() if v is not None} for s in studies.values()]
    for table in ("drug_names", "drug_targets", "indications", "contraindications", "interactions", "drug_organizations"):
        out[table] = [strip(s) for s in statements.get(table, [])]
    for s in statements.get("adverse_events", []):
        out["adverse_events"].append({**strip(s), "category": "general"})
    return out


def baseline(text: str) -> Claims:
    """Dictionary lookup only: every name, gene, disease and CTCAE term found anywhere."""
    lex = load_lexicon()
    mentions = [m for m in _mentions(text, lex) if m[4] != "spelling_variant"]
    if not mentions:
        return {}
    drug = Counter(m[3] for m in mentions).most_common(1)[0][0]
    out: Claims = defaultdict(list)
    for m in mentions:
        out["drug_names"].append({"drug_id": m[3], "name": m[2], "name_type": "inn" if m[2].casefold() == m[3] else m[4]})
    for _, _, symbol in find_genes(lex, text):
        out["drug_targets"].append({"drug_id": drug, "target_id": symbol, "action_type": "BINDING AGENT"})
    for a, b, doid in find_diseases(lex, text):
        out["indications"].append({"drug_id": drug, "condition_id": doid, "status": "approved", "regulator": "unspecified"})
        out["adverse_events"].append({"drug_id": drug, "term": text[a:b], "category": "general"})
    low = text.casefold()
    for term in lex.ctcae:
        for m in re.finditer(rf"\b{re.escape(term)}\b", low):
            out["adverse_events"].append({"drug_id": drug, "term": text[m.start() : m.end()], "category": "general"})
    return out


# ---- scoring -----------------------------------------------------------------------------------------


def prf(c: Counter) -> dict[str, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), **{k: c[k] for k in ("tp", "fp", "fn")}}


def score(pred: Claims, gold: Claims, counts: dict[str, dict[str, Counter]]) -> None:
    for measure, fn in (("claims", claim_keys), ("fields", field_keys)):
        p, g = fn(pred), fn(gold)
        for table in TABLES:
            a, b = p.get(table, set()), g.get(table, set())
            counts[measure][table].update(tp=len(a & b), fp=len(a - b), fn=len(b - a))


def summary(counts: dict[str, dict[str, Counter]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for measure, by_table in counts.items():
        out[measure] = {t: prf(by_table[t]) for t in TABLES}
        out[measure]["overall"] = prf(sum(by_table.values(), Counter()))
    return out


def passing(stems: set[str]) -> set[str]:
    """The curation files among stems that pass `mabdata check` (checked together; files with
    problems are set aside and the rest checked again until they pass)."""
    from mabdata.build import build_tables

    while stems:
        try:
            build_tables(ROOT, only=stems)
            return stems
        except MabdataError as exc:
            bad = {Path(p.file).stem for p in exc.problems if p.file} & stems
            if not bad:
                return set()
            stems = stems - bad
    return stems


def documents() -> list[tuple[str, str, Path, Path]]:
    """(kind, stem, input, reviewed curation file): the seeds, then the curated labels that pass check."""
    out = [("seed", p.stem, p, p.with_suffix(".yaml")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    curated = {y.stem for y in (ROOT / "labels").glob("*.yaml") if (ROOT / "labels" / "raw" / f"{y.stem}.json").is_file()}
    for stem in sorted(passing(curated)):
        out.append(("label", stem, ROOT / "labels" / "raw" / f"{stem}.json", ROOT / "labels" / f"{stem}.yaml"))
    return out


def evaluate(with_old: bool = True) -> dict[str, Any]:
    old = old_drafter() if with_old else None
    systems = ["drafter", "baseline"] + (["old_drafter"] if old else [])
    counts: dict[str, dict[str, dict[str, dict[str, Counter]]]] = {
        kind: {s: defaultdict(lambda: defaultdict(Counter)) for s in systems} for kind in ("seeds", "labels")
    }
    per_doc: dict[str, Any] = {}
    for kind, stem, src, yml in documents():
        group = "seeds" if kind == "seed" else "labels"
        gold = reviewed(yml)
        doc = load(src)
        col = extract_document(doc)
        pred = col.finish() if col else {}
        score(pred, gold, counts[group]["drafter"])
        score(baseline(doc.text), gold, counts[group]["baseline"])
        mine: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        score(pred, gold, mine)
        per_doc[stem] = {m: prf(sum(t.values(), Counter())) for m, t in mine.items()}
        if old:
            score(from_old(old.extract(doc.text)), gold, counts[group]["old_drafter"])
    result: dict[str, Any] = {
        "measure": "strict natural-key claim matching and (drug, column, value) field matching; see scripts/evaluate_draft.py",
        "documents": {
            g: sorted(s for s, v in per_doc.items() if (g == "seeds") == (not s.startswith(("BLA", "NDA"))))
            for g in ("seeds", "labels")
        },
        "per_document_drafter": per_doc,
    }
    for group, by_system in counts.items():
        result[group] = {s: summary(c) for s, c in by_system.items()}
    return result


# ---- check pass rate ---------------------------------------------------------------------------------


def _scratch(dest: Path, stem: str) -> Path:
    for item in ("schema", "reference", "seeds"):
        shutil.copytree(ROOT / item, dest / item)
    (dest / "labels" / "raw").mkdir(parents=True)
    for name in ("SOURCE.txt", "INDEX.tsv", f"{stem}.json"):
        shutil.copy2(ROOT / "labels" / "raw" / name, dest / "labels" / "raw" / name)
    shutil.copy2(ROOT / "labels" / f"{stem}.txt", dest / "labels" / f"{stem}.txt")
    return dest


def _strip_draft_keys(text: str) -> str:
    return "".join(ln for ln in text.splitlines(keepends=True) if not re.match(r"\s*(?:- )?(?:confidence|curation_status):", ln))


def check_pass_rate(stems: list[str]) -> dict[str, Any]:
    """Draft each label, delete the draft keys, and drop the claims `mabdata check` rejects until it
    passes: the share left is the share of drafted claims that pass as they are."""
    import yaml

    from mabdata.build import build_tables
    from mabdata.draft.claims import to_yaml

    out: dict[str, Any] = {}
    total = passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for stem in stems:
            root = _scratch(Path(tmp) / stem, stem)
            doc = load(ROOT / "labels" / "raw" / f"{stem}.json")
            col = extract_document(doc)
            claims = col.finish() if col else {}
            n = sum(len(v) + sum(len(c.get("results", [])) for c in v) for v in claims.values())
            checks: Counter = Counter()
            for _ in range(30):
                path = root / "labels" / f"{stem}.yaml"
                path.write_text(_strip_draft_keys(to_yaml(doc.title, claims)), encoding="utf-8")
                try:
                    build_tables(root, only={stem})
                    break
                except MabdataError as exc:
                    bad = _failing(path, exc.problems, checks)
                    if not bad:
                        break
                    claims = _without(yaml.safe_load(path.read_text(encoding="utf-8")), bad)
            left = sum(len(v) + sum(len(c.get("results", [])) for c in v) for v in claims.values())
            out[stem] = {"drafted": n, "pass": left, "failing_checks": dict(checks.most_common())}
            total, passed = total + n, passed + left
    out["overall"] = {"drafted": total, "pass": passed, "share": round(passed / total, 3) if total else 0.0}
    return out


def _failing(path: Path, problems: list, checks: Counter) -> set[tuple]:
    """(table, index[, result index]) of the claims the problems point at, by YAML line."""
    cur = curation.read(path)
    spans = []
    for c in cur.claims:
        spans.append((c.line, (c.table, c.index)))
        for n in c.nested:
            spans.append((n.line, (c.table, c.index, n.index)))
    spans.sort()
    bad = set()
    for p in problems:
        if p.line is None:
            continue
        owner = None
        for line, who in spans:
            if line <= p.line:
                owner = who
        if owner:
            bad.add(owner)
            checks[p.check] += 1
    return bad


def _without(doc: dict[str, Any], bad: set[tuple]) -> Claims:
    out: Claims = {}
    for table, items in doc.items():
        if table == "source":
            continue
        kept = []
        for i, item in enumerate(items, start=1):
            if (table, i) in bad:
                continue
            if "results" in item:
                item["results"] = [r for k, r in enumerate(item["results"], start=1) if (table, i, k) not in bad]
                if not item["results"]:
                    item.pop("results")
            kept.append(item)
        if kept:
            out[table] = kept
    return out


# ---- report ------------------------------------------------------------------------------------------


def table(result: dict[str, Any], group: str, measure: str) -> str:
    systems = list(result[group])
    head = f"{group} / {measure}".ljust(20) + "".join(f"{s:>24}" for s in systems)
    lines = [head, " " * 20 + "".join(f"{'P':>8}{'R':>8}{'F1':>8}" for _ in systems)]
    for t in (*TABLES, "overall"):
        row = f"{t:<20}"
        for s in systems:
            x = result[group][s][measure][t]
            row += f"{x['precision']:>8.3f}{x['recall']:>8.3f}{x['f1']:>8.3f}"
        lines.append(row)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-old", action="store_true", help="skip the old drafter (needs git)")
    parser.add_argument("--check-labels", type=int, default=0, help="measure the check pass rate on this many labels")
    args = parser.parse_args()
    result = evaluate(with_old=not args.no_old)
    for group in ("seeds", "labels"):
        for measure in ("claims", "fields"):
            print(table(result, group, measure), end="\n\n")
    if args.check_labels:
        stems = [p.stem for p in sorted((ROOT / "labels" / "raw").glob("*.json"))][: args.check_labels]
        result["check_pass_rate"] = check_pass_rate(stems)
        print(json.dumps(result["check_pass_rate"]["overall"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
