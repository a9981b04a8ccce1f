"""Cross-field and cross-table rules, vectorised over whole tables.

Used twice from one place: by the build (each failure is traced back to its curation file
and line) and by `mabdata validate` on a published package. Every rule yields
Problem(table, row, field): `row` is the 1-based data row of the table as published.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from mabdata import keys
from mabdata import schemas as schema
from mabdata.errors import Problem

# Spreadsheet formula triggers (OWASP CSV injection): no text cell may start with one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ORDERED_PAIRS = {
    "dosing_steps": [
        ("dose_value", "dose_value_max"),
        ("period", "period_max"),
        ("infusion_duration", "infusion_duration_max"),
        ("from_week", "to_week"),
        ("from_cycle", "to_cycle"),
    ],
    "trial_results": [("ci_lower", "ci_upper"), ("comparator_ci_lower", "comparator_ci_upper")],
    "adverse_events": [("incidence", "incidence_max")],
    "evidence": [("quote_start", "quote_end")],
    "source_sections": [("section_start", "section_end")],
}
# (column, the column it needs): a number needs its unit, a bound needs its value.
NEEDS = {
    "dosing_steps": [
        ("dose_value", "dose_unit"),
        ("dose_unit", "dose_value"),
        ("dose_value_max", "dose_value"),
        ("dose_cap", "dose_cap_unit"),
        ("dose_cap_unit", "dose_cap"),
        ("period", "period_unit"),
        ("period_unit", "period"),
        ("period_max", "period"),
        ("frequency", "period"),
        ("infusion_duration", "infusion_duration_unit"),
        ("infusion_duration_unit", "infusion_duration"),
        ("infusion_duration_max", "infusion_duration"),
        ("cycle_length", "cycle_length_unit"),
        ("offset", "offset_unit"),
        ("max_duration", "max_duration_unit"),
        ("to_week", "from_week"),
        ("to_cycle", "from_cycle"),
    ],
    "trial_results": [
        ("ci_level", "ci_lower"),
        ("p_value_relation", "p_value"),
        ("p_value", "p_value_relation"),
        ("comparator_value", "value"),
        ("comparator_ci_lower", "comparator_value"),
        ("comparator_ci_upper", "comparator_value"),
    ],
    "adverse_events": [
        ("threshold", "threshold_relation"),
        ("threshold_relation", "threshold"),
        ("incidence_max", "incidence"),
        ("incidence_relation", "incidence"),
    ],
}
TIME_UNITS = ("min", "h", "d", "wk", "mo", "a")
TIME_COLUMNS = ("period_unit", "infusion_duration_unit", "cycle_length_unit", "offset_unit", "max_duration_unit")
RATIO_STATISTICS = ("hazard ratio", "odds ratio", "rate ratio")


def _rows(mask: Any) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _problems(table: str, field: str | None, check: str, mask: Any, message: str) -> Iterator[Problem]:
    for row in _rows(mask):
        yield Problem(check, message, table=table, row=row, field=field)


def _present(s: pd.Series) -> np.ndarray:
    return s.notna().to_numpy()


def _text(s: pd.Series) -> pd.Series:
    """Object strings with "" for empty (pd.NA has no truth value)."""
    return s.astype(object).where(s.notna(), "")


# ---- one table ----------------------------------------------------------------------------


def row_rules(name: str, df: pd.DataFrame) -> Iterator[Problem]:
    """Rules inside one table."""
    cols = set(df.columns)
    for f in schema.fields(name):
        col = f["name"]
        if col in cols and f["type"] == "string":
            mask = df[col].astype("string").str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            yield from _problems(
                name, col, "formula-injection", mask, "text starts with a spreadsheet formula character (= + - @ tab CR)"
            )
    for lo, hi in ORDERED_PAIRS.get(name, []):
        if {lo, hi} <= cols:
            mask = (df[lo] >= df[hi]) if lo.endswith("start") else (df[lo] > df[hi])
            yield from _problems(name, lo, "range", mask.fillna(False).to_numpy(dtype=bool), f"{lo} is greater than {hi}")
    for col, needed in NEEDS.get(name, []):
        if {col, needed} <= cols:
            yield from _problems(name, col, "required", _present(df[col]) & ~_present(df[needed]), f"{col} needs {needed}")
    for col in TIME_COLUMNS:
        if col in cols:
            mask = _present(df[col]) & ~df[col].astype(object).isin(TIME_UNITS).to_numpy()
            yield from _problems(name, col, "unit", mask, f"{col} must be a unit of time ({', '.join(TIME_UNITS)})")
    yield from _table_specific(name, df)


def _table_specific(name: str, df: pd.DataFrame) -> Iterator[Problem]:
    if name == "adverse_events":
        term, match = _present(df["ctcae_term"]), _present(df["ctcae_match"])
        yield from _problems(
            name, "ctcae_match", "mapping", term != match, "ctcae_term and ctcae_match go together (both or neither)"
        )
        broader = df["ctcae_term"].astype(object).map(schema.vocabulary("ctcae_term").broader_of)
        same = (broader.fillna("") == df["soc"].astype(object).fillna("")).to_numpy(dtype=bool)
        yield from _problems(name, "soc", "mapping", ~same, "soc is not the CTCAE system organ class of ctcae_term")
        rel = [
            mapping_problem(t, c, m) if c and m else None
            for t, c, m in zip(_text(df["term"]), _text(df["ctcae_term"]), _text(df["ctcae_match"]), strict=True)
        ]
        for i, msg in enumerate(rel, start=1):
            if msg:
                yield Problem("mapping", msg, table=name, row=i, field="ctcae_match")
    if name == "indications":
        mask = ~_present(df["condition_id"]) & (df["status"].astype(object) != "not established").to_numpy(dtype=bool)
        yield from _problems(
            name, "condition_id", "required", mask, "condition_id is required unless status is 'not established'"
        )
    if name == "trial_results":
        stat = df["statistic"].astype(object)
        ratio = stat.isin(RATIO_STATISTICS).to_numpy()
        yield from _problems(
            name,
            "unit",
            "required",
            _present(df["value"]) & ~_present(df["unit"]) & ~ratio,
            "a value needs a unit (only ratios have none)",
        )
        yield from _problems(name, "unit", "unit", _present(df["unit"]) & ratio, "a ratio has no unit")
        for col in ("value", "comparator_value", "ci_lower", "ci_upper", "comparator_ci_lower", "comparator_ci_upper"):
            mask = ((stat == "proportion") & (df[col] > 100)).fillna(False).to_numpy(dtype=bool)
            yield from _problems(name, col, "range", mask, "a proportion above 100 %")
        mask = (stat == "qualitative").to_numpy(dtype=bool) & ~_present(df["direction"])
        yield from _problems(name, "direction", "required", mask, "a qualitative result needs a direction")
        mask = (stat == "qualitative").to_numpy(dtype=bool) & _present(df["value"])
        yield from _problems(name, "value", "required", mask, "a qualitative result has no value")
        mask = (df["endpoint"].astype(object) == "other").to_numpy(dtype=bool) & ~_present(df["endpoint_term"])
        yield from _problems(name, "endpoint_term", "required", mask, "endpoint 'other' needs endpoint_term (as stated)")
    if name == "contraindications":
        none = (df["kind"].astype(object) == "none").to_numpy(dtype=bool)
        yield from _problems(
            name,
            "strength",
            "required",
            ~none & ~_present(df["strength"]),
            "a contraindication needs a strength (empty only for kind 'none')",
        )
        yield from _problems(name, "strength", "required", none & _present(df["strength"]), "kind 'none' has no strength")
    if name == "drug_properties":
        for i, (prop, value) in enumerate(zip(_text(df["property"]), _text(df["value"]), strict=True), start=1):
            vocab = schema.property_vocabulary(prop)
            if vocab and value and schema.vocabulary(vocab).resolve(value) != value:
                near = schema.vocabulary(vocab).closest(value)
                yield Problem(
                    "vocabulary",
                    f"{value!r} is not a {vocab} term (property {prop}; closest: {', '.join(near)})",
                    table=name,
                    row=i,
                    field="value",
                )
        mask = (df["matches_reference"] == False).fillna(False).to_numpy(dtype=bool) & ~_present(df["flag"])  # noqa: E712
        yield from _problems(
            name,
            "value",
            "disagreement",
            mask,
            "the source's value differs from the reference file's (reference_value): keep the source's "
            "value, set flag 'disagrees with reference' and say why in the evidence note",
        )
    if name == "drug_names":
        exempt = df["name_type"].astype(object).isin(["proper name", "spelling_variant"]).to_numpy()
        mask = (df["in_reference"] == False).fillna(False).to_numpy(dtype=bool) & ~_present(df["flag"]) & ~exempt  # noqa: E712
        yield from _problems(
            name,
            "name",
            "disagreement",
            mask,
            "the name is in no reference file's names for this drug: set flag 'not in reference' and "
            "say what the references give in the evidence note",
        )


_WORD = re.compile(r"[a-z0-9]+")
# Words that do not qualify an event ("Platelet count decreased" = "decreased platelets").
_STOP = {"and", "or", "of", "the", "a", "an", "in", "with", "to", "other", "specify", "disorders", "disorder"}
_STOP |= {"dysfunction", "count", "tract", "related", "virus", "nos", "serum", "blood", "level", "s"}
_PARENTHESES = re.compile(r"\([^)]*\)")


def _tokens(text: str) -> frozenset[str]:
    words = _WORD.findall(_PARENTHESES.sub(" ", text.lower()))  # "(HBV)", "(TLS)": abbreviations add no meaning
    stems = (w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in _STOP)
    return frozenset(w for w in stems if w not in _STOP)


def mapping_problem(term: str, ctcae_term: str, relation: str) -> str | None:
    """Why a SKOS relation from a stated term to a CTCAE term is inverted, or None.

    `A skos:broadMatch B` says B is broader than A. CTCAE's own wording decides: a CTCAE term that
    adds qualifiers to the stated words ("rash" -> "Rash maculo-papular") is narrower; one whose
    words the stated term qualifies ("immune-mediated colitis" -> "Colitis") is broader; an
    "- Other, specify" catch-all holds the specific events of its category not listed elsewhere,
    so it is broader than such an event and narrower than the category's generic name
    ("infections" -> "Infections and infestations - Other, specify")."""
    rel = relation.removeprefix("skos:")
    if ctcae_term.endswith("- Other, specify"):
        category = _tokens(ctcae_term.split(" - ")[0])
        generic = _tokens(term) <= category
        if rel in ("exactMatch", "closeMatch"):
            return f"an '- Other, specify' catch-all is never an {rel} (use broadMatch or narrowMatch)"
        if generic and rel == "broadMatch":
            return f"{term!r} names the whole category, which is broader than the catch-all {ctcae_term!r}: use skos:narrowMatch"
        if not generic and rel == "narrowMatch":
            return f"the catch-all {ctcae_term!r} is broader than the specific event {term!r}: use skos:broadMatch"
        return None
    stated, ctcae = _tokens(term), _tokens(ctcae_term)
    if stated < ctcae and rel in ("broadMatch", "exactMatch"):
        return f"{ctcae_term!r} qualifies {term!r}, so it is narrower: use skos:narrowMatch (or leave it unmapped)"
    if ctcae < stated and rel in ("narrowMatch", "exactMatch"):
        return f"{term!r} qualifies {ctcae_term!r}, so the CTCAE term is broader: use skos:broadMatch"
    return None


# ---- across tables ------------------------------------------------------------------------


def foreign_key_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, df in tables.items():
        for fk in schema.table(name).get("foreignKeys", []):
            (col,), ref = fk["fields"], fk["reference"]
            target = tables.get(ref["resource"])
            if target is None or col not in df.columns or ref["fields"][0] not in target.columns:
                continue
            # Arrow's hash-set membership: linear in both tables, no Python per row.
            values = pa.array(df[col].astype(object).where(df[col].notna(), None), pa.string())
            known = pa.array(target[ref["fields"][0]].astype(object).where(target[ref["fields"][0]].notna(), None), pa.string())
            found = pc.is_in(values, value_set=pc.drop_null(known)).to_numpy(zero_copy_only=False)
            mask = values.is_valid().to_numpy(zero_copy_only=False) & ~found
            yield from _problems(name, col, "foreign-key", mask, f"value not found in {ref['resource']}.{ref['fields'][0]}")


def _claim_ids(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    return {t: tables[t][schema.primary_key(t)[0]] for t in schema.claim_tables() if t in tables}


def evidence_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    """Evidence points at existing claims, every claim has evidence, and a claim's support is
    what its evidence says (stated when some quote states every field)."""
    ev = tables.get("evidence")
    if ev is None:
        return
    ids = _claim_ids(tables)
    table_of = pd.Series(
        np.concatenate([np.full(len(s), t, dtype=object) for t, s in ids.items()]) if ids else np.array([], dtype=object),
        index=pd.Index(np.concatenate([s.astype(object).to_numpy() for s in ids.values()]) if ids else []),
    )
    claim_table = ev["claim_table"].astype(object)
    found = ev["claim_id"].astype(object).map(table_of)
    mask = (found.isna() | (found != claim_table)).to_numpy(dtype=bool) & _present(ev["claim_id"])
    yield from _problems("evidence", "claim_id", "foreign-key", mask, "no claim with this id in claim_table")
    stated = ev.loc[ev["support"].astype(object) == "stated", "claim_id"].astype(object)
    with_ev = set(ev["claim_id"].astype(object))
    for t, s in ids.items():
        s = s.astype(object)
        yield from _problems(t, schema.primary_key(t)[0], "evidence", ~s.isin(with_ev).to_numpy(), "claim has no evidence row")
        support = tables[t]["support"].astype(object)
        expected = np.where(s.isin(set(stated)), "stated", "inferred")
        mask = s.isin(with_ev).to_numpy() & (support.to_numpy() != expected)
        yield from _problems(t, "support", "support", mask, "support differs from the claim's evidence rows")
    inferred = _text(ev["inferred_fields"]) != ""
    mask = (inferred != (ev["support"].astype(object) == "inferred")).to_numpy(dtype=bool)
    yield from _problems("evidence", "support", "support", mask, "support is 'inferred' exactly when inferred_fields is set")


def _evidence_of(tables: dict[str, pd.DataFrame], table: str) -> pd.DataFrame:
    """The evidence rows of one claim table: published row number, claim id, quote, inferred fields."""
    ev = tables["evidence"]
    mask = (ev["claim_table"].astype(object) == table).to_numpy()
    return pd.DataFrame(
        {
            "_ev_row": np.flatnonzero(mask) + 1,
            "claim_id": ev.loc[mask, "claim_id"].astype(object).to_numpy(),
            "quote": _text(ev.loc[mask, "quote"]).to_numpy(),
            "inferred": _text(ev.loc[mask, "inferred_fields"]).str.split(";").to_numpy(),
        }
    )


def stated_text_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    """A column holding the source's words (`mabdata:stated`) occurs verbatim in at least one
    quote of its claim, or some quote lists it as inferred (restatements may word it
    differently, so not every quote must hold it). A normalized value that no quote names (its
    surface column, e.g. condition_term for condition_id, is empty) is listed as inferred by
    every quote of the claim."""
    if "evidence" not in tables:
        return
    for table in schema.claim_tables():
        df = tables.get(table)
        if df is None or df.empty:
            continue
        key = schema.primary_key(table)[0]
        quotes = _evidence_of(tables, table)
        parts = [(table, df)] + [(child, tables[child]) for child in schema.child_tables(table) if child in tables]
        for part, frame in parts:
            link = schema.primary_key(part)[0]
            for col in schema.stated_fields(part):
                values = frame.loc[frame[col].notna(), [link, col]].astype(object)
                if values.empty:
                    continue
                joined = values.reset_index(names="_row").merge(quotes, left_on=link, right_on="claim_id")
                inside = np.fromiter((v in q for v, q in zip(joined[col], joined["quote"], strict=True)), bool, len(joined))
                listed = np.fromiter((col in xs for xs in joined["inferred"]), bool, len(joined))
                ok = pd.Series(inside | listed).groupby(joined["_row"].to_numpy()).any()
                mask = np.ones(len(frame), dtype=bool)
                mask[frame.index.get_indexer(ok.index[ok.to_numpy()])] = False
                mask &= frame[col].notna().to_numpy()
                yield from _problems(
                    part,
                    col,
                    "stated-text",
                    mask,
                    "the stated text occurs in none of the claim's quotes (copy it verbatim, or list "
                    "the field under a quote's 'inferred')",
                )
        for f in schema.fields(table):
            surface = schema.surface_of(f)
            if not surface:
                continue
            col = f["name"]
            ids = set(df.loc[(df[col].notna() & df[surface].isna()).to_numpy(), key].astype(object))
            need = quotes[quotes["claim_id"].isin(ids)]
            for ev_row in need.loc[[col not in xs for xs in need["inferred"]], "_ev_row"]:
                yield Problem(
                    "inferred",
                    f"no quote of the claim names its {col} ({surface} is empty): list {col} under this quote's 'inferred'",
                    table="evidence",
                    row=int(ev_row),
                    field="quote",
                )


def key_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    """Claim ids are the hash of their natural key (so a key column edited without its id is
    caught), natural keys are unique, and evidence ids match their claim and offsets."""
    steps: dict[str, list[dict[str, Any]]] = {}
    if "dosing_steps" in tables:
        ds = tables["dosing_steps"].sort_values(["regimen_id", "step"])
        for rid, group in ds.astype(object).where(ds.notna(), None).groupby("regimen_id", sort=False):
            steps[rid] = group.to_dict("records")
    for t in schema.claim_tables():
        df = tables.get(t)
        if df is None or df.empty:
            continue
        pk = schema.primary_key(t)[0]
        plain = df.astype(object).where(df.notna(), None)
        expected = [
            keys.claim_id(t, keys.natural_key(t, r, steps.get(r[pk], []) if t == "regimens" else ()))
            for r in plain.to_dict("records")
        ]
        mask = plain[pk].to_numpy() != np.array(expected, dtype=object)
        yield from _problems(
            t,
            pk,
            "natural-key",
            mask,
            "the id is not the hash of the claim's natural key (a key column changed without its id, "
            "or two rows state the same claim)",
        )
    ev = tables.get("evidence")
    if ev is not None and not ev.empty:
        plain = ev.astype(object).where(ev.notna(), None)
        expected = [
            keys.evidence_id(r["claim_table"], r["claim_id"], r["source_id"], r["quote_start"], r["quote_end"])
            if None not in (r["claim_table"], r["claim_id"], r["source_id"], r["quote_start"], r["quote_end"])
            else None
            for r in plain.to_dict("records")
        ]
        mask = plain["evidence_id"].to_numpy() != np.array(expected, dtype=object)
        yield from _problems(
            "evidence", "evidence_id", "natural-key", mask, "the id does not match claim_table, claim_id, source_id and offsets"
        )


def provenance_rules(tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> Iterator[Problem]:
    """Each evidence quote equals the slice of its source text at [quote_start, quote_end)."""
    df = tables.get("evidence")
    if df is None or df.empty:
        return
    codes, sources = pd.factorize(df["source_id"].astype(object), use_na_sentinel=True)
    start = df["quote_start"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    end = df["quote_end"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    quote = df["quote"].astype(object).where(df["quote"].notna(), None).to_numpy()
    ok = np.zeros(len(df), dtype=bool)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(sources) + 1))
    for k, sid in enumerate(sources):
        text = texts.get(sid)
        if text is None:
            continue
        idx = order[bounds[k] : bounds[k + 1]]
        idx = idx[(start[idx] >= 0) & (start[idx] < end[idx]) & (end[idx] <= len(text))]
        # One slice per row is the irreducible work; map() keeps it out of the interpreter loop.
        slices = list(map(text.__getitem__, map(slice, start[idx].tolist(), end[idx].tolist())))
        ok[idx] = np.array(slices, dtype=object) == quote[idx]
    yield from _problems("evidence", "quote", "provenance", ~ok, "quote differs from the source text at [quote_start, quote_end)")


def section_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    """An evidence row's section is the innermost section of its source holding the quote."""
    ev, sec = tables.get("evidence"), tables.get("source_sections")
    if ev is None or sec is None:
        return
    by_source: dict[str, list[tuple[int, int, str]]] = {}
    for sid, s, e, name in zip(
        sec["source_id"].astype(object), sec["section_start"], sec["section_end"], sec["section"].astype(object), strict=True
    ):
        by_source.setdefault(sid, []).append((int(s), int(e), name))
    for i, (sid, s, e, name) in enumerate(
        zip(ev["source_id"].astype(object), ev["quote_start"], ev["quote_end"], _text(ev["section"]), strict=True), start=1
    ):
        spans = by_source.get(sid)
        if not spans:
            if name:
                yield Problem("section", "the source has no sections", table="evidence", row=i, field="section")
            continue
        if pd.isna(s) or pd.isna(e):
            continue
        holding = [x for x in spans if x[0] <= s and e <= x[1]]
        expected = min(holding, key=lambda x: x[1] - x[0])[2] if holding else ""
        if name != expected:
            yield Problem(
                "section",
                f"the innermost section holding the quote is {expected or 'none'!r}",
                table="evidence",
                row=i,
                field="section",
            )


def drug_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    """Every drug is the subject of some claim and has a name claim; a result's drug is its study's."""
    drugs = tables.get("drugs")
    if drugs is None:
        return
    ids = drugs["drug_id"].astype(object)
    named = set(tables["drug_names"]["drug_id"].astype(object)) if "drug_names" in tables else set()
    yield from _problems(
        "drugs",
        "drug_id",
        "name",
        ~ids.isin(named).to_numpy(),
        "no drug_names claim for this drug (record the name the source uses)",
    )
    if {"trial_results", "studies"} <= set(tables):
        tr, st = tables["trial_results"], tables["studies"]
        study_drug = (
            tr["study_id"].astype(object).map(dict(zip(st["study_id"].astype(object), st["drug_id"].astype(object), strict=True)))
        )
        mask = (study_drug.notna() & (study_drug != tr["drug_id"].astype(object))).to_numpy(dtype=bool)
        yield from _problems("trial_results", "drug_id", "foreign-key", mask, "drug_id differs from the study's drug_id")


def derived_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    """Derived tables equal their recomputation from the claim tables."""
    from mabdata.corroborate import corroborate

    pub = tables.get("corroborations")
    needed = {"sources", "evidence", "conditions", "dosing_steps", *schema.claim_tables()}
    if pub is None or not needed <= set(tables):
        return
    try:
        fresh = corroborate(tables)
    except (KeyError, TypeError, ValueError) as exc:  # broken inputs are reported by the other rules
        yield Problem("derived", f"cannot recompute ({type(exc).__name__}: {exc})", table="corroborations")
        return
    mine = pub.astype(object).where(pub.notna(), None).to_dict("records")
    want = {(r["claim_table"], r["claim_id"]): r for r in fresh.astype(object).where(fresh.notna(), None).to_dict("records")}
    for i, r in enumerate(mine, start=1):
        exp = want.pop((r["claim_table"], r["claim_id"]), None)
        if exp is None:
            yield Problem(
                "derived", "no web-monograph claim to corroborate here", table="corroborations", row=i, field="claim_id"
            )
            continue
        for col, v in exp.items():
            if r[col] != v:
                yield Problem("derived", f"recomputed value is {v!r}", table="corroborations", row=i, field=col)
                break
    for t, cid in want:
        yield Problem("derived", f"missing corroboration of {t} claim {cid}", table="corroborations")


def non_empty_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    for name, df in tables.items():
        if df.empty and name not in ("source_sections", "corroborations"):  # only labels give these rows
            yield Problem("non-empty", "table has no rows", table=name)


def all_rules(tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    for name, df in tables.items():
        out += row_rules(name, df)
    out += foreign_key_rules(tables)
    out += evidence_rules(tables)
    out += stated_text_rules(tables)
    out += key_rules(tables)
    out += provenance_rules(tables, texts)
    out += section_rules(tables)
    out += drug_rules(tables)
    out += derived_rules(tables)
    out += non_empty_rules(tables)
    return out
