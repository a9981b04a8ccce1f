"""Generate a synthetic mabdata package of a given size, valid by construction.

    python scripts/make_synthetic.py --rows 100000 --out /tmp/syn

The package has the real schema (schema/): claims in every claim table, the dosing steps of
each regimen, studies with their results, evidence rows whose quotes sit at their recorded
code-point offsets in synthetic source texts (FDA-label-like texts with nested sections, and a
few web monographs), source_sections, and the corroborations that `corroborate()` derives.
Claim ids are `keys.claim_id` of each claim's natural key, evidence ids `keys.evidence_id`.

Size: --rows N is the number of evidence rows (one per quote). Every claim needs at least one
quote, so twelve claim tables of N claims each would need 12 N quotes; instead the claim and
child tables keep the real package's proportions to evidence (0.78 claims per quote, 1.6 dosing
steps per regimen, a third of the claims adverse events), and the entities scale with them (a
drug per 200 quotes, a source text per 175). Deterministic for a given --rows and --seed.
Used by scripts/benchmark.py and tests/test_benchmark_smoke.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from mabdata import keys, publish
from mabdata import schemas as schema
from mabdata.corroborate import corroborate, label_cross_checks

# Claims per 10,000 evidence rows in the real package (0.2.0): what each table is scaled by.
CLAIMS_PER_10K_QUOTES = {
    "drug_names": 117,
    "drug_properties": 282,
    "drug_organizations": 71,
    "drug_targets": 134,
    "indications": 289,
    "regimens": 327,
    "studies": 318,
    "trial_results": 1457,
    "adverse_events": 3459,
    "precautions": 1196,
    "contraindications": 87,
    "interactions": 61,
}
QUOTES_PER_DRUG = 200
QUOTES_PER_SOURCE = 175
SECTIONS_PER_LABEL = 20
WEB_DRUG_SHARE = 0.02  # web monographs are about a few drugs that also have labels
NON_ASCII = ("≥", "µg", "é", "–")


def table_sizes(rows: int) -> dict[str, int]:
    """Rows of each table for a package with `rows` evidence rows (before derived tables)."""
    sizes = {t: max(3, round(rows * n / 10_000)) for t, n in CLAIMS_PER_10K_QUOTES.items()}
    sizes["drug_names"] = max(sizes["drug_names"], max(6, rows // QUOTES_PER_DRUG))  # every drug has a name claim
    sizes["evidence"] = max(rows, sum(sizes[t] for t in CLAIMS_PER_10K_QUOTES))
    sizes["drugs"] = max(6, rows // QUOTES_PER_DRUG)
    sizes["targets"] = max(4, rows // 500)
    sizes["conditions"] = max(6, rows // 150)
    sizes["sources"] = max(4, rows // QUOTES_PER_SOURCE)
    return sizes


class _Gen:
    """Column values from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, values: Any, n: int) -> np.ndarray:
        values = np.asarray(list(values), dtype=object)
        return values[self.rng.integers(0, len(values), n)]

    def chance(self, p: float, n: int) -> np.ndarray:
        return self.rng.random(n) < p


def _terms(vocab: str, exclude: tuple[str, ...] = ()) -> list[str]:
    return [t for t in schema.vocabulary(vocab).terms if t not in exclude]


def _text(prefix: str, n: int, start: int = 0) -> np.ndarray:
    return np.array([f"{prefix} {i}" for i in range(start, start + n)], dtype=object)


def _none(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _with_non_ascii(values: np.ndarray, g: _Gen, share: float) -> np.ndarray:
    """A few values with a non-ASCII character, as real statements have (≥, µg, é)."""
    out = values.copy()
    for i in np.flatnonzero(g.chance(share, len(values))):
        out[i] = f"{out[i]} {NON_ASCII[i % len(NON_ASCII)]}"
    return out


def _claims(sizes: dict[str, int], g: _Gen, drugs: np.ndarray, targets: np.ndarray, conditions: np.ndarray) -> dict[str, dict]:
    """Column arrays of every claim table (ids and support filled in later)."""
    t: dict[str, dict[str, np.ndarray]] = {}
    n = sizes["drug_names"]
    d = np.concatenate([drugs, g.pick(drugs, n - len(drugs))]) if n > len(drugs) else drugs[:n]
    t["drug_names"] = {"drug_id": d, "name": _text("synname", n), "name_type": g.pick(["brand", "inn", "code"], n)}
    t["drug_names"]["in_reference"] = np.ones(n, dtype=bool)

    n = sizes["drug_properties"]
    free = [p for p in schema.vocabulary("drug_property").terms if not schema.property_vocabulary(p)]
    prop = g.pick(free, n)
    value = _text("class", n)
    ref = _none(n)
    matches = _none(n)
    flag = _none(n)
    # A few properties normalized to their vocabulary, each drug once, one disagreeing with its reference.
    k = min(n // 4, len(drugs))
    prop[:k] = "sequence_source"
    value[:k] = g.pick(_terms("sequence_source"), k)
    ref[:k] = value[:k]
    matches[:k] = True
    if k:
        ref[0], matches[0], flag[0] = ("human" if value[0] != "human" else "humanized"), False, "disagrees with reference"
    t["drug_properties"] = {
        "drug_id": np.concatenate([drugs[:k], g.pick(drugs, n - k)]),
        "property": prop,
        "value": value,
        "term": _with_non_ascii(_text("a synthetic antibody of kind", n), g, 0.01),
        "reference_value": ref,
        "matches_reference": matches,
        "flag": flag,
    }

    n = sizes["drug_organizations"]
    t["drug_organizations"] = {
        "drug_id": g.pick(drugs, n),
        "organization": _text("Synthetic Pharma", n),
        "role": g.pick(_terms("organization_role"), n),
        "territory": np.where(g.chance(0.3, n), "Greater Synthetica", None).astype(object),
    }

    n = sizes["drug_targets"]
    idx = np.arange(n)
    named = g.chance(0.9, n)
    tid = targets[(idx // len(drugs)) % len(targets)]
    t["drug_targets"] = {
        "drug_id": drugs[idx % len(drugs)],
        "target_id": tid,
        "target_term": np.where(named, tid, None).astype(object),
        "action_type": g.pick(["BINDING AGENT", "INHIBITOR", "ANTAGONIST"], n),
        "mechanism": g.pick(["ADCC", "CDC", "receptor blockade", None], n),
    }

    n = sizes["indications"]
    status = g.pick(["approved"] * 8 + ["in use", "not established"], n)
    cond = g.pick(conditions, n)
    cond[status == "not established"] = None
    named = g.chance(0.95, n)
    t["indications"] = {
        "drug_id": g.pick(drugs, n),
        "condition_id": cond,
        "condition_term": np.where(named & (cond != None), _text("synthetic disease", n), None).astype(object),  # noqa: E711
        "status": status,
        "regulator": g.pick(["FDA"] * 6 + ["EMA", "unspecified"], n),
        "line_of_therapy": g.pick(["first-line", "second-line", None, None], n),
        "setting": np.where(g.chance(0.5, n), "metastatic", None).astype(object),
        "population": _with_non_ascii(_text("adult patients of cohort", n), g, 0.005),
        "age_group": g.pick(["adult", "pediatric", None], n),
        "combination": np.where(g.chance(0.3, n), "in combination with chemotherapy", None).astype(object),
        "accelerated_approval": g.pick([True, False, None], n),
    }

    n = sizes["regimens"]
    cond = g.pick(conditions, n)
    cond[g.chance(0.3, n)] = None
    t["regimens"] = {
        "drug_id": g.pick(drugs, n),
        "condition_id": cond,
        "condition_term": np.where(cond != None, _text("synthetic disease", n), None).astype(object),  # noqa: E711
        "population": _text("patients weighing at least", n),
        "route": g.pick(["INTRAVENOUS", "SUBCUTANEOUS"], n),
        "combination": np.where(g.chance(0.2, n), "with dexamethasone", None).astype(object),
        "premedication": np.where(g.chance(0.2, n), "an antihistamine", None).astype(object),
    }

    n = sizes["studies"]
    cond = g.pick(conditions, n)
    t["studies"] = {
        "drug_id": g.pick(drugs, n),
        "name": _text("SYN-TRIAL", n),
        "registry_id": np.array([f"NCT{i:08d}" for i in range(n)], dtype=object),
        "phase": g.pick(["phase 2", "phase 3"], n),
        "condition_id": cond,
        "condition_term": _text("synthetic disease", n),
        "design": np.where(g.chance(0.5, n), "randomized, open-label", None).astype(object),
        "arms": np.where(g.chance(0.5, n), "drug versus placebo", None).astype(object),
        "patients": g.rng.integers(20, 2000, n),
    }

    n = sizes["trial_results"]
    study = g.rng.integers(0, sizes["studies"], n)
    stat = g.pick(["proportion", "median", "hazard ratio", "qualitative"], n)
    value = np.round(g.rng.uniform(0.1, 99.0, n), 1).astype(object)
    lower = (value.astype(float) * 0.8).round(1).astype(object)
    upper = (value.astype(float) * 1.2).round(1).astype(object)
    ratio = stat == "hazard ratio"
    qual = stat == "qualitative"
    value[ratio] = np.round(g.rng.uniform(0.3, 1.5, ratio.sum()), 2)
    lower[ratio], upper[ratio] = (value[ratio].astype(float) * 0.8).round(2), (value[ratio].astype(float) * 1.2).round(2)
    value[qual] = lower[qual] = upper[qual] = None
    upper[stat == "proportion"] = np.minimum(upper[stat == "proportion"].astype(float), 100.0)
    has_ci = ~qual & g.chance(0.5, n)
    lower[~has_ci], upper[~has_ci] = None, None
    unit = np.where(stat == "proportion", "%", np.where(stat == "median", "mo", None)).astype(object)
    t["trial_results"] = {
        "_study": study,
        "endpoint": g.pick(["ORR", "OS", "PFS", "DOR"], n),
        "endpoint_term": _text("response measure", n),
        "statistic": stat,
        "arm": _text("arm", n),
        "comparator": np.where(ratio, "placebo", None).astype(object),
        "timepoint": np.where(g.chance(0.2, n), "at week 52", None).astype(object),
        "value": value,
        "ci_lower": lower,
        "ci_upper": upper,
        "ci_level": np.where(has_ci, 95.0, None).astype(object),
        "unit": unit,
        "direction": np.where(qual, "improved", None).astype(object),
    }

    n = sizes["adverse_events"]
    ctcae = [x for x in _terms("ctcae_term") if not x.endswith("Other, specify")]
    term = g.pick(ctcae, n)
    mapped = g.chance(0.8, n)
    broader = schema.vocabulary("ctcae_term").broader_of
    incidence = np.where(g.chance(0.6, n), np.round(g.rng.uniform(1, 60, n), 1), None).astype(object)
    t["adverse_events"] = {
        "drug_id": g.pick(drugs, n),
        "term": np.array([x.lower() for x in term], dtype=object),
        "ctcae_term": np.where(mapped, term, None).astype(object),
        "ctcae_match": np.where(mapped, "skos:exactMatch", None).astype(object),
        "soc": np.array([broader[x] if m else None for x, m in zip(term, mapped, strict=True)], dtype=object),
        "category": g.pick(_terms("ae_category"), n),
        "context": _text("in the synthetic cohort", n),
        "threshold": np.where(incidence == None, 20.0, None).astype(object),  # noqa: E711
        "threshold_relation": np.where(incidence == None, "at least", None).astype(object),  # noqa: E711
        "incidence": incidence,
        "serious": g.pick([True, False, None], n),
    }

    n = sizes["precautions"]
    t["precautions"] = {
        "drug_id": g.pick(drugs, n),
        "kind": g.pick(_terms("precaution_kind"), n),
        "action": _text("monitor synthetic marker", n),
        "timing": np.where(g.chance(0.3, n), "before each infusion", None).astype(object),
        "reason": np.where(g.chance(0.5, n), "infusion reactions", None).astype(object),
    }

    n = sizes["contraindications"]
    kind = g.pick(_terms("contraindication_kind", exclude=("none",)), n)
    t["contraindications"] = {
        "drug_id": g.pick(drugs, n),
        "term": _text("synthetic condition", n),
        "kind": kind,
        "strength": g.pick(_terms("advice_strength"), n),
        "reason": np.where(g.chance(0.5, n), "risk of harm", None).astype(object),
    }

    n = sizes["interactions"]
    t["interactions"] = {
        "drug_id": g.pick(drugs, n),
        "term": _text("synthetic drug class", n),
        "strength": g.pick([*_terms("advice_strength"), None], n),
        "consequence": np.where(g.chance(0.5, n), "increased exposure", None).astype(object),
    }
    return t


def _steps(regimens: int, g: _Gen) -> dict[str, np.ndarray]:
    """One or two dosing steps per regimen (1.6 on average, as in the real package)."""
    two = g.chance(0.6, regimens)
    reg = np.concatenate([np.arange(regimens), np.flatnonzero(two)])
    step = np.concatenate([np.ones(regimens, dtype=np.int64), np.full(two.sum(), 2)])
    order = np.lexsort((step, reg))
    reg, step = reg[order], step[order]
    n = len(reg)
    period = g.pick([1.0, 2.0, 3.0, 4.0], n)
    return {
        "_regimen": reg,
        "step": step,
        "label": np.where(step == 1, "first dose", "later doses").astype(object),
        "dose_value": np.round(g.rng.uniform(1, 20, n), 1).astype(object),
        "dose_unit": g.pick(["mg/kg", "mg"], n),
        "timing": np.array([f"every {int(p)} weeks" for p in period], dtype=object),
        "frequency": np.ones(n, dtype=np.int64),
        "period": period,
        "period_unit": np.full(n, "wk", dtype=object),
        "until": np.where(step == 2, "until disease progression", None).astype(object),
    }


def _filler(name: str, f: dict) -> Any:
    """A value for a column the generator does not know (added to the schema since): empty
    when optional, else the first vocabulary term or a plain value of its type."""
    if not schema.required(f):
        return None
    if schema.vocab_of(f):
        return schema.vocabulary(schema.vocab_of(f)).terms[0]
    if "pattern" in (f.get("constraints") or {}):
        raise ValueError(f"synthetic {name}.{f['name']} is required and has a pattern: teach make_synthetic.py a value")
    return {"string": "synthetic", "integer": 1, "number": 1.0, "boolean": False}.get(f["type"])


# The column of each claim table whose generated text makes its natural key distinct.
DISTINCT = {
    "drug_names": "name",
    "drug_properties": "value",
    "drug_organizations": "organization",
    "indications": "population",
    "regimens": "population",
    "studies": "name",
    "trial_results": "arm",
    "adverse_events": "context",
    "precautions": "action",
    "contraindications": "term",
    "interactions": "term",
}


def _claim_ids(table: str, frame: pl.DataFrame, steps: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.Series]:
    """The claims with their ids (keys.claim_id, vectorised). Distinct natural keys can share a
    10-hex-digit id (about once in 10^12 / n^2 pairs): such a claim gets " b" added to its
    distinguishing text until every id is unique."""
    pk = schema.primary_key(table)[0]
    while True:
        ids = keys.expected_claim_ids(table, frame, steps).alias(pk)
        twins = ids.is_duplicated() & ~ids.is_first_distinct()
        if not twins.any():
            return frame, ids
        col = DISTINCT.get(table)
        if col is None or frame.filter(twins)[col].null_count():
            raise ValueError(f"synthetic {table} ids collide and no text column can tell them apart")
        frame = frame.with_columns(pl.when(twins).then(pl.col(col) + " b").otherwise(pl.col(col)).alias(col))


def _frame(name: str, cols: dict[str, np.ndarray], n: int) -> pl.DataFrame:
    """A table with every schema column (unset optional columns empty)."""
    out = {}
    for f in schema.fields(name):
        values = cols.get(f["name"])
        if values is None:
            values = np.full(n, _filler(name, f), dtype=object)
        out[f["name"]] = list(values) if isinstance(values, np.ndarray) and values.dtype == object else values
    dtypes = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date}
    return pl.DataFrame(
        {
            c: pl.Series(c, v, dtype=dtypes[f["type"]], strict=False)
            for f in schema.fields(name)
            for c, v in [(f["name"], out[f["name"]])]
        }
    )


def make_tables(rows: int, seed: int = 0) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    """Every table (declared dtypes, sorted by primary key) and the source texts (bytes by id)."""
    g = _Gen(seed)
    sizes = table_sizes(rows)
    drugs = np.array([f"synmab{i}" for i in range(sizes["drugs"])], dtype=object)
    targets = np.array([f"SYN{i}" for i in range(sizes["targets"])], dtype=object)
    conditions = np.array([f"DOID:{100000 + i}" for i in range(sizes["conditions"])], dtype=object)
    claims = _claims(sizes, g, drugs, targets, conditions)
    steps = _steps(sizes["regimens"], g)

    # Ids: studies first (results name their study), regimens from their steps.
    frames: dict[str, pl.DataFrame] = {}
    steps_frame = None
    for t in ("studies", *[x for x in schema.claim_tables() if x != "studies"]):
        cols = claims[t]
        n = len(next(iter(cols.values())))
        if t == "trial_results":
            study = cols.pop("_study")
            cols["study_id"] = frames["studies"]["study_id"].to_numpy()[study]
            cols["drug_id"] = frames["studies"]["drug_id"].to_numpy()[study]
        cols.setdefault("support", np.full(n, "stated", dtype=object))
        frame = _frame(t, cols, n)
        if t == "regimens":  # a regimen's id hashes its steps: link them by row number first
            steps_frame = _frame("dosing_steps", {**steps, "regimen_id": steps["_regimen"].astype(str)}, len(steps["step"]))
            frame = frame.with_columns(regimen_id=pl.Series([str(i) for i in range(n)]))
            frame, ids = _claim_ids(t, frame, steps_frame)
            steps_frame = steps_frame.with_columns(regimen_id=ids.gather(steps["_regimen"]))
        else:
            frame, ids = _claim_ids(t, frame, None)
        frames[t] = frame.with_columns(ids)
    assert steps_frame is not None
    frames["dosing_steps"] = steps_frame

    # Evidence: one quote per claim, the rest second quotes; web monographs quote a few drugs' claims.
    n_sources = sizes["sources"]
    n_web = max(1, n_sources // 12)
    web_drugs = set(drugs[: max(1, int(len(drugs) * WEB_DRUG_SHARE))])
    claim_rows = []  # (claim table, row, claim id, drug)
    for t in schema.claim_tables():
        f = frames[t]
        pk = schema.primary_key(t)[0]
        claim_rows += [(t, i, cid, d) for i, (cid, d) in enumerate(zip(f[pk].to_list(), f["drug_id"].to_list(), strict=True))]
    order = g.rng.permutation(len(claim_rows))
    second = order[: max(0, sizes["evidence"] - len(claim_rows))]
    web = np.array([d in web_drugs for _, _, _, d in claim_rows]) & g.chance(0.5, len(claim_rows))
    ev_claims = np.concatenate([np.arange(len(claim_rows)), second])
    ev_web = np.concatenate([web, np.zeros(len(second), dtype=bool)])  # a web claim's second quote is a label's
    label_source = g.rng.integers(n_web, n_sources, len(ev_claims))
    web_source = g.rng.integers(0, n_web, len(ev_claims))
    source = np.where(ev_web, web_source, label_source)
    # A claim whose normalized value no quote names is inferred by every quote; a few more quotes infer a field.
    inferred = g.chance(0.08, len(ev_claims))
    quotes, inferred_fields = [], []
    by_table = {t: frames[t].to_dicts() for t in schema.claim_tables()}
    steps_by_regimen: dict[str, list[dict]] = {}
    for s in frames["dosing_steps"].to_dicts():
        steps_by_regimen.setdefault(s["regimen_id"], []).append(s)
    for k, c in enumerate(ev_claims):
        t, i, cid, _ = claim_rows[c]
        row = by_table[t][i]
        words = [str(row[col]) for col in schema.stated_fields(t) if row[col] is not None]
        words += [_number_text(row[col]) for col in schema.stated_numbers(t) if row[col] is not None]
        if t == "regimens":
            for s in steps_by_regimen.get(cid, []):
                words += [str(s[col]) for col in schema.stated_fields("dosing_steps") if s[col] is not None]
                words += [_number_text(s[col]) for col in schema.stated_numbers("dosing_steps") if s[col] is not None]
        fields = [
            f["name"]
            for f in schema.fields(t)
            if schema.surface_of(f) and row[f["name"]] is not None and row[schema.surface_of(f)] is None
        ]
        if inferred[k] and not fields:
            fields = [schema.natural_key(t)[0]] if schema.natural_key(t)[0] != "steps" else ["drug_id"]
        filler = f"as stated in quote {k}" + (f" {NON_ASCII[k % len(NON_ASCII)]}" if k % 20 == 0 else "")
        quotes.append(f"The label says {'; '.join(words)} ({filler}).")
        inferred_fields.append(";".join(fields) or None)

    # Two quotes whose evidence ids collide (10 hex digits): the later one moves by a space.
    pad = np.zeros(len(quotes), dtype=np.int64)
    while True:
        texts, starts, sections, section_of = _documents(n_sources, n_web, source, quotes, pad)
        ev = _frame(
            "evidence",
            {
                "claim_table": np.array([claim_rows[c][0] for c in ev_claims], dtype=object),
                "claim_id": np.array([claim_rows[c][2] for c in ev_claims], dtype=object),
                "source_id": np.array([f"syn_{s:06d}" for s in source], dtype=object),
                "section": np.array(section_of, dtype=object),
                "quote": np.array(quotes, dtype=object),
                "quote_start": starts,
                "quote_end": starts + np.array([len(q) for q in quotes]),
                "support": np.array(["inferred" if f else "stated" for f in inferred_fields], dtype=object),
                "inferred_fields": np.array(inferred_fields, dtype=object),
            },
            len(quotes),
        )
        ids = keys.expected_evidence_ids(ev)
        twins = (ids.is_duplicated() & ~ids.is_first_distinct()).to_numpy()
        if not twins.any():
            break
        pad[twins] += 1
    frames["evidence"] = ev.with_columns(ids)
    # A claim is stated when one of its quotes states every field.
    stated = set(ev.filter(pl.col("support") == "stated")["claim_id"].to_list())
    for t in schema.claim_tables():
        pk = schema.primary_key(t)[0]
        frames[t] = frames[t].with_columns(
            support=pl.when(pl.col(pk).is_in(pl.Series(sorted(stated), dtype=pl.String).implode()))
            .then(pl.lit("stated"))
            .otherwise(pl.lit("inferred"))
        )

    data = {f"syn_{i:06d}": text.encode("utf-8") for i, text in enumerate(texts)}
    sids = sorted(data)
    frames["sources"] = _frame(
        "sources",
        {
            "source_id": np.array(sids, dtype=object),
            "kind": np.array(["web monograph" if i < n_web else "FDA label" for i in range(n_sources)], dtype=object),
            "title": np.array([t.split("\n", 1)[0] for t in texts], dtype=object),
            "path": np.array([f"sources/{s}.txt" for s in sids], dtype=object),
            "sha256": np.array([hashlib.sha256(data[s]).hexdigest() for s in sids], dtype=object),
            "bytes": np.array([len(data[s]) for s in sids]),
            "characters": np.array([len(t) for t in texts]),
            "license": np.array(["LicenseRef-third-party" if i < n_web else "CC0-1.0" for i in range(n_sources)], dtype=object),
            "origin_repository": np.full(n_sources, "synthetic", dtype=object),
            "origin_file": np.array([f"synthetic/{s}.json" for s in sids], dtype=object),
            "origin_sha256": np.array([hashlib.sha256(data[s]).hexdigest() for s in sids], dtype=object),
            "upstream_url": np.array(
                [f"https://example.org/monograph/{i}" if i < n_web else None for i in range(n_sources)], dtype=object
            ),
            "published": np.array([dt.date(2024, 6, 14) if i < n_web else None for i in range(n_sources)], dtype=object),
            "spl_version": np.array([None if i < n_web else 1 + i % 9 for i in range(n_sources)], dtype=object),
            "effective_date": np.array(
                [None if i < n_web else dt.date(2023, 1, 1) + dt.timedelta(days=i % 700) for i in range(n_sources)], dtype=object
            ),
            "application_number": np.array(
                [None if i < n_web else f"BLA{700000 + i:06d}" for i in range(n_sources)], dtype=object
            ),
            "manufacturer": np.array([None if i < n_web else "Synthetic Biologics Inc." for i in range(n_sources)], dtype=object),
        },
        n_sources,
    )
    frames["source_sections"] = _frame("source_sections", sections, len(sections["source_id"]))
    frames["drugs"] = _frame(
        "drugs", {"drug_id": drugs, "inn": drugs, "reference_targets": g.pick(targets, len(drugs))}, len(drugs)
    )
    frames["targets"] = _frame(
        "targets",
        {
            "target_id": targets,
            "target_type": np.full(len(targets), "gene product", dtype=object),
            "hgnc_id": np.array([f"HGNC:{i + 1}" for i in range(len(targets))], dtype=object),
            "name": _text("synthetic receptor", len(targets)),
        },
        len(targets),
    )
    frames["conditions"] = _frame(
        "conditions",
        {
            "condition_id": conditions,
            "name": _text("synthetic disease", len(conditions)),
            "ancestor_ids": np.array([None if i < 5 else f"DOID:{100000 + i % 5}" for i in range(len(conditions))], dtype=object),
        },
        len(conditions),
    )
    # The labels' openFDA cross-checks, derived as the build derives them.
    src = frames["sources"]
    checks = label_cross_checks(frames).with_columns(pl.col(c).cast(src.schema[c]) for c in ("unii_check", "route_check"))
    frames["sources"] = src.drop("unii_check", "route_check").join(checks, on="source_id", how="left", maintain_order="left")
    frames["sources"] = frames["sources"].select(src.columns)
    tables: dict[str, pd.DataFrame] = {}
    for name in schema.table_names():
        if name == "corroborations":
            continue
        df = frames[name].to_pandas(use_pyarrow_extension_array=False)
        tables[name] = schema.cast(df, name).sort_values(schema.primary_key(name), kind="stable").reset_index(drop=True)
    tables["corroborations"] = corroborate(tables)
    return {name: tables[name] for name in schema.table_names()}, data


class _Text:
    """A source text written line by line, tracking the code-point offset of each line."""

    def __init__(self, title: str) -> None:
        self.parts = [title, "\n"]
        self.pos = len(title) + 1

    def put(self, line: str) -> int:
        at = self.pos
        self.parts.append(line + "\n")
        self.pos += len(line) + 1
        return at

    def text(self) -> str:
        return "".join(self.parts)


def _documents(n_sources: int, n_web: int, source: np.ndarray, quotes: list[str], pad: np.ndarray):
    """The source texts holding every quote at its offsets (after pad[k] spaces); a label's quotes
    sit in sections, the last two nested in their predecessor, as openFDA repeats subsections in
    their parent."""
    names = _terms("label_section")
    per_source: list[list[int]] = [[] for _ in range(n_sources)]
    for k, s in enumerate(source.tolist()):
        per_source[s].append(k)
    starts = np.zeros(len(quotes), dtype=np.int64)
    section_of: list[str | None] = [None] * len(quotes)
    sections: dict[str, list[Any]] = {
        c: [] for c in ("source_id", "section", "part", "parent_section", "section_start", "section_end")
    }
    texts = []
    for s in range(n_sources):
        doc = _Text(f"Synthetic {'monograph' if s < n_web else 'label'} {s}")
        ks = per_source[s]
        if s < n_web:
            for k in ks:
                starts[k] = doc.put(" " * pad[k] + quotes[k]) + pad[k]
        else:
            chosen = [names[(s + j) % len(names)] for j in range(min(SECTIONS_PER_LABEL, len(names)))]
            groups = [ks[j :: len(chosen)] for j in range(len(chosen))]
            for j, name in enumerate(chosen):
                nested = j >= len(chosen) - 2
                if not nested or j == len(chosen) - 2:
                    doc.put(f"[{name.replace('_', ' ').title()}]")
                begin = doc.pos
                for k in groups[j]:
                    starts[k] = doc.put(" " * pad[k] + quotes[k]) + pad[k]
                    section_of[k] = name
                if not groups[j]:
                    doc.put(f"No statements in {name}.")
                parent = chosen[len(chosen) - 3] if nested else None
                for c, v in zip(sections, (f"syn_{s:06d}", name, 1, parent, begin, doc.pos - 1), strict=True):
                    sections[c].append(v)
            if len(chosen) >= 3:  # the parent spans its two subsections
                sections["section_end"][-3] = sections["section_end"][-1]
        texts.append(doc.text())
    return texts, starts, {c: np.array(v, dtype=object) for c, v in sections.items()}, section_of


def make_package(rows: int, out: Path, seed: int = 0) -> Path:
    tables, texts = make_tables(rows, seed)
    if out.exists():
        shutil.rmtree(out)
    publish.write_package(tables, texts, out, version="0.0.0-synthetic")
    return out


def _number_text(value: float) -> str:
    """A number as a label writes it (what the stated-number rule looks for)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="evidence rows (the other tables in proportion)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    make_package(args.rows, args.out, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
