"""Cross-field and cross-table rules, vectorised over whole tables (polars expressions).

Used twice from one place: by the build (each failure is traced back to its curation file
and line) and by `mabdata validate` on a published package, which runs `row_rules` on each
table as it is read and `cross_table_rules` once every table is in. Every rule yields
Problem(table, row, field): `row` is the 1-based data row of the table as published.

Null semantics follow the rules as first written over object columns: an empty cell never
equals a value (`eq_missing`) and always differs from one (`ne_missing`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl

from mabdata import keys, tabular
from mabdata import schemas as schema
from mabdata.errors import Problem

# Spreadsheet formula triggers (OWASP CSV injection): no text cell may start with one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = r"^[=+\-@\t\r]"  # FORMULA_START as one anchored character class: a single pass per column
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

Tables = dict[str, pl.DataFrame]


def _rows(mask: Any) -> list[int]:
    if isinstance(mask, pl.Series):
        mask = mask.fill_null(False).to_numpy()
    return (np.flatnonzero(np.asarray(mask, dtype=bool)) + 1).tolist()


def _problems(table: str, field: str | None, check: str, mask: Any, message: str) -> Iterator[Problem]:
    if isinstance(mask, pl.Series) and not mask.any():  # the usual case, without converting the mask
        return
    for row in _rows(mask):
        yield Problem(check, message, table=table, row=row, field=field)


def _present(df: pl.DataFrame, col: str) -> pl.Series:
    return df[col].is_not_null()


def _text(df: pl.DataFrame, col: str) -> pl.Series:
    """The column as text with "" for empty."""
    return df[col].cast(pl.String).fill_null("")


def _is_in(s: pl.Series, values: Iterable[Any] | pl.Series) -> pl.Series:
    """Membership, false for empty cells."""
    values = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=s.dtype)
    return s.is_in(values.drop_nulls().implode()).fill_null(False)


def _eq(s: pl.Series, value: Any) -> pl.Series:
    return s.eq_missing(value)


# ---- one table ----------------------------------------------------------------------------


# A rule inside one table: (field, check, message, mask expression), or a function of the
# table yielding its problems (rules decided once per distinct value, in Python).
RowRule = tuple[str, str, str, pl.Expr] | Callable[[pl.DataFrame], Iterator[Problem]]


def row_rules(name: str, df: Any, formula_free: Iterable[str] = ()) -> Iterator[Problem]:
    """Rules inside one table: every mask in one pass over the table, rows located only where one fails.

    `formula_free`: text columns the caller has already proven to hold no cell starting with a
    spreadsheet formula character (validation does so on the Arrow buffers of the CSV)."""
    df = tabular.to_polars(df)
    items = _row_items(name, set(df.columns), frozenset(formula_free))
    exprs = [item[3].fill_null(False).alias(f"_{i}") for i, item in enumerate(items) if isinstance(item, tuple)]
    masks = df.select(exprs) if exprs else pl.DataFrame()
    failing = {c for c, v in masks.select(pl.all().any()).row(0, named=True).items() if v} if exprs else set()
    for i, item in enumerate(items):
        if not isinstance(item, tuple):
            yield from item(df)
        elif f"_{i}" in failing:
            field, check, message, _ = item
            yield from _problems(name, field, check, masks[f"_{i}"], message)


def _row_items(name: str, cols: set[str], formula_free: frozenset[str] = frozenset()) -> list[RowRule]:
    c = pl.col
    items: list[RowRule] = []
    for f in schema.fields(name):
        if f["name"] in cols and f["type"] == "string" and f["name"] not in formula_free:
            message = "text starts with a spreadsheet formula character (= + - @ tab CR)"
            items.append((f["name"], "formula-injection", message, c(f["name"]).str.contains(_FORMULA)))
    for lo, hi in ORDERED_PAIRS.get(name, []):
        if {lo, hi} <= cols:
            items.append(
                (lo, "range", f"{lo} is greater than {hi}", (c(lo) >= c(hi)) if lo.endswith("start") else (c(lo) > c(hi)))
            )
    for col, needed in NEEDS.get(name, []):
        if {col, needed} <= cols:
            items.append((col, "required", f"{col} needs {needed}", c(col).is_not_null() & c(needed).is_null()))
    for col in TIME_COLUMNS:
        if col in cols:
            mask = c(col).is_not_null() & ~c(col).is_in(TIME_UNITS).fill_null(False)
            items.append((col, "unit", f"{col} must be a unit of time ({', '.join(TIME_UNITS)})", mask))
    return items + _table_items(name)


def _by_distinct(df: pl.DataFrame, cols: list[str], fn: Any) -> list[tuple[int, Any]]:
    """(1-based row, fn(*values)) for each row where fn returns something, calling fn once per
    distinct combination of the columns' text (empty = "")."""
    text = df.select([_text(df, c).alias(c) for c in cols]).with_row_index("_row")
    distinct = text.select(cols).unique(maintain_order=True)
    results = [fn(*values) for values in distinct.iter_rows()]
    hit = [i for i, r in enumerate(results) if r is not None]
    if not hit:
        return []
    found = distinct[hit].with_columns(_hit=pl.Series(hit, dtype=pl.Int64))
    rows = text.join(found, on=cols, how="inner").sort("_row")
    return [(int(i) + 1, results[k]) for i, k in zip(rows["_row"], rows["_hit"], strict=True)]


def _mapping(term: str, ctcae: str, match: str) -> str | None:
    return mapping_problem(term, ctcae, match) if ctcae and match else None


def _skos_relations(df: pl.DataFrame) -> Iterator[Problem]:
    for row, msg in _by_distinct(df, ["term", "ctcae_term", "ctcae_match"], _mapping):
        yield Problem("mapping", msg, table="adverse_events", row=row, field="ctcae_match")


def _property_values(df: pl.DataFrame) -> Iterator[Problem]:
    for row, msg in _by_distinct(df, ["property", "value"], _property_value):
        yield Problem("vocabulary", msg, table="drug_properties", row=row, field="value")


def _table_items(name: str) -> list[RowRule]:
    c = pl.col
    if name == "adverse_events":
        broader_of = schema.vocabulary("ctcae_term").broader_of
        broader = c("ctcae_term").replace_strict(
            list(broader_of), [v or "" for v in broader_of.values()], default="", return_dtype=pl.String
        )
        return [
            (
                "ctcae_match",
                "mapping",
                "ctcae_term and ctcae_match go together (both or neither)",
                c("ctcae_term").is_not_null() != c("ctcae_match").is_not_null(),
            ),
            (
                "soc",
                "mapping",
                "soc is not the CTCAE system organ class of ctcae_term",
                broader.fill_null("") != c("soc").fill_null(""),
            ),
            _skos_relations,
        ]
    if name == "indications":
        mask = c("condition_id").is_null() & c("status").ne_missing("not established")
        return [("condition_id", "required", "condition_id is required unless status is 'not established'", mask)]
    if name == "trial_results":
        ratio = c("statistic").is_in(RATIO_STATISTICS).fill_null(False)
        proportion, qualitative = _eq(c("statistic"), "proportion"), _eq(c("statistic"), "qualitative")
        return [
            (
                "unit",
                "required",
                "a value needs a unit (only ratios have none)",
                c("value").is_not_null() & c("unit").is_null() & ~ratio,
            ),
            ("unit", "unit", "a ratio has no unit", c("unit").is_not_null() & ratio),
            *[
                (col, "range", "a proportion above 100 %", proportion & (c(col) > 100).fill_null(False))
                for col in ("value", "comparator_value", "ci_lower", "ci_upper", "comparator_ci_lower", "comparator_ci_upper")
            ],
            ("direction", "required", "a qualitative result needs a direction", qualitative & c("direction").is_null()),
            ("value", "required", "a qualitative result has no value", qualitative & c("value").is_not_null()),
            (
                "endpoint_term",
                "required",
                "endpoint 'other' needs endpoint_term (as stated)",
                _eq(c("endpoint"), "other") & c("endpoint_term").is_null(),
            ),
        ]
    if name == "contraindications":
        none = _eq(c("kind"), "none")
        return [
            (
                "strength",
                "required",
                "a contraindication needs a strength (empty only for kind 'none')",
                ~none & c("strength").is_null(),
            ),
            ("strength", "required", "kind 'none' has no strength", none & c("strength").is_not_null()),
        ]
    if name == "drug_properties":
        message = (
            "the source's value differs from the reference file's (reference_value): keep the source's "
            "value, set flag 'disagrees with reference' and say why in the evidence note"
        )
        return [_property_values, ("value", "disagreement", message, _eq(c("matches_reference"), False) & c("flag").is_null())]
    if name == "drug_names":
        exempt = c("name_type").is_in(["proper name", "spelling_variant"]).fill_null(False)
        message = (
            "the name is in no reference file's names for this drug: set flag 'not in reference' and "
            "say what the references give in the evidence note"
        )
        return [("name", "disagreement", message, _eq(c("in_reference"), False) & c("flag").is_null() & ~exempt)]
    return []


def _property_value(prop: str, value: str) -> str | None:
    vocab = schema.property_vocabulary(prop)
    if vocab and value and schema.vocabulary(vocab).resolve(value) != value:
        near = schema.vocabulary(vocab).closest(value)
        return f"{value!r} is not a term of {vocab} (property {prop}; closest: {', '.join(near)})"
    return None


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


def cross_columns(name: str) -> list[str]:
    """The columns of a table the cross-table rules read: all a validator keeps once the table's
    own checks are done."""
    from mabdata.corroborate import COLUMNS as JUDGED

    spec = schema.table(name)
    keep = set(schema.primary_key(name))
    keep |= {fk["fields"][0] for fk in spec.get("foreignKeys", [])}
    for other in schema.table_names():
        keep |= {
            fk["reference"]["fields"][0]
            for fk in schema.table(other).get("foreignKeys", [])
            if fk["reference"]["resource"] == name
        }
    kind = schema.kind(name)
    if kind in ("claim", "child"):
        keep |= set(schema.stated_fields(name)) | set(schema.stated_numbers(name))
        keep |= {c for c in schema.natural_key(name) if c != "steps"}
        keep |= {f["name"] for f in schema.fields(name) if schema.surface_of(f)} | {"drug_id", "support"}
        if kind == "child":
            keep |= {f["name"] for f in schema.curated_fields(name)} | set(schema.primary_key(name))
    extra = {
        "sources": ["kind"],
        "source_sections": ["section", "section_start", "section_end"],
        "conditions": ["ancestor_ids"],
        "evidence": [
            "claim_table",
            "claim_id",
            "source_id",
            "section",
            "quote",
            "quote_start",
            "quote_end",
            "support",
            "inferred_fields",
        ],
        "corroborations": schema.field_names("corroborations"),
    }
    keep |= set(extra.get(name, [])) | set(JUDGED.get(name, [])) | set(_LABEL_CHECK_COLUMNS.get(name, []))
    return [c for c in schema.field_names(name) if c in keep]


def foreign_key_rules(tables: Tables) -> Iterator[Problem]:
    for name in tables:
        yield from _foreign_keys_of(name, tables)


def _foreign_keys_of(name: str, tables: Tables) -> Iterator[Problem]:
    df = tables[name]
    for fk in schema.table(name).get("foreignKeys", []):
        (col,), ref = fk["fields"], fk["reference"]
        target = tables.get(ref["resource"])
        if target is None or col not in df.columns or ref["fields"][0] not in target.columns:
            continue
        # A hash-set membership per column: linear in both tables, in one polars call.
        values = target[ref["fields"][0]].implode()
        mask = df.select(pl.col(col).is_not_null() & ~pl.col(col).is_in(values).fill_null(False)).to_series()
        yield from _problems(name, col, "foreign-key", mask, f"value not found in {ref['resource']}.{ref['fields'][0]}")


def _claim_ids(tables: Tables) -> dict[str, pl.Series]:
    return {t: tables[t][schema.primary_key(t)[0]] for t in schema.claim_tables() if t in tables}


class _Links:
    """Which claim each evidence row's claim_id names, found with one join for all rules.

    Claims are numbered across the claim tables in order (`offset` of each table); `claim[e]`
    is the number of the claim whose id is evidence row e's claim_id, or -1. Ids are unique
    across tables when each table's are unique and carry its own prefix (the published form);
    otherwise `unique` is False and the rules fall back to joining on the ids themselves."""

    def __init__(self, tables: Tables) -> None:
        self.ids = _claim_ids(tables)
        self.tables = list(self.ids)
        sizes = [len(s) for s in self.ids.values()]
        self.offset = dict(zip(self.tables, np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist(), strict=True))
        self.total = int(sum(sizes))
        self.unique = all(_unique_prefixed(t, s) for t, s in self.ids.items())
        ev = tables.get("evidence")
        self.claim = np.full(0 if ev is None else ev.height, -1, dtype=np.int64)
        # Computed once for the evidence, stated-text and stated-number rules (see their properties).
        self._named: np.ndarray | None = None
        self._by_table: dict[str, pl.DataFrame] | None = None
        self._claim_of: dict[str, pl.Series] = {}
        self._quote_index: dict[str, _QuoteIndex] = {}
        if ev is None or not self.unique or not self.tables:
            return
        claims = pl.concat([s.cast(pl.String).alias("claim_id").to_frame() for s in self.ids.values()]).with_row_index("_g")
        found = ev.select(pl.col("claim_id").cast(pl.String)).join(claims, on="claim_id", how="left", maintain_order="left")
        self.claim = found["_g"].cast(pl.Int64).fill_null(-1).to_numpy()

    def table_of(self, claim: np.ndarray) -> np.ndarray:
        """The index (in `tables`) of the table each claim number is in (-1 for none)."""
        starts = np.array([self.offset[t] for t in self.tables], dtype=np.int64)
        return np.where(claim >= 0, np.searchsorted(starts, claim, side="right") - 1, -1)

    def named(self, ev: pl.DataFrame) -> np.ndarray:
        """The index (in `tables`) of the claim table each evidence row names (-1 for another)."""
        if self._named is None:
            self._named = (
                ev["claim_table"]
                .cast(pl.String)
                .replace_strict(self.tables, list(range(len(self.tables))), default=-1, return_dtype=pl.Int64)
                .to_numpy()
            )
        return self._named


def _unique_prefixed(table: str, ids: pl.Series) -> bool:
    """Ids sorted strictly increasing (so unique) and all with the table's prefix."""
    if ids.null_count():
        return False
    prefix = f"{schema.id_prefix(table)}-"
    if len(ids) > 1 and not (ids.slice(1) > ids.slice(0, len(ids) - 1)).all():
        return False
    return bool(ids.str.starts_with(prefix).all()) if len(ids) else True


def evidence_rules(tables: Tables, links: _Links | None = None) -> Iterator[Problem]:
    """Evidence points at existing claims, every claim has evidence, and a claim's support is
    what its evidence says (stated when some quote states every field)."""
    ev = tables.get("evidence")
    if ev is None:
        return
    links = links or _Links(tables)
    present = _present(ev, "claim_id").to_numpy()
    stated_ev = _eq(ev["support"], "stated").to_numpy()
    if links.unique:
        # One join done (links): the claim's table must be the claim_table the evidence names.
        mask = present & ((links.claim < 0) | (links.table_of(links.claim) != links.named(ev)))
        has = np.zeros(links.total, dtype=bool)
        has[links.claim[links.claim >= 0]] = True
        stated = np.zeros(links.total, dtype=bool)
        stated[links.claim[(links.claim >= 0) & stated_ev]] = True
        per_table = {t: (has[o : o + len(links.ids[t])], stated[o : o + len(links.ids[t])]) for t, o in links.offset.items()}
    else:
        claims = pl.concat(
            [s.cast(pl.String).alias("claim_id").to_frame().with_columns(claim_table=pl.lit(t)) for t, s in links.ids.items()]
            or [pl.DataFrame(schema={"claim_id": pl.String, "claim_table": pl.String})]
        )
        pairs = ev.select(pl.col("claim_table").cast(pl.String), pl.col("claim_id").cast(pl.String)).with_row_index("_row")
        linked = pairs.join(claims.unique(), on=["claim_table", "claim_id"], how="semi")["_row"].to_numpy()
        mask = present.copy()
        mask[linked] = False
        # Per claim id (whatever claim_table the evidence names): has evidence, has a stated quote.
        per_claim = ev.group_by("claim_id").agg(_stated=_eq(pl.col("support"), "stated").any()).drop_nulls("claim_id")
        per_table = {}
        for t, s in links.ids.items():
            found = s.to_frame("claim_id").join(per_claim, on="claim_id", how="left", maintain_order="left")["_stated"]
            per_table[t] = (found.is_not_null().to_numpy(), found.fill_null(False).to_numpy())
    yield from _problems("evidence", "claim_id", "foreign-key", mask, "no claim with this id in claim_table")
    for t in links.ids:
        has_t, stated_t = per_table[t]
        yield from _problems(t, schema.primary_key(t)[0], "evidence", ~has_t, "claim has no evidence row")
        # support.ne_missing("stated" where a quote states it, else "inferred"), without a column of strings.
        support = tables[t]["support"]
        agrees = np.where(stated_t, support.eq_missing("stated").to_numpy(), support.eq_missing("inferred").to_numpy())
        mask = has_t & ~agrees
        yield from _problems(t, "support", "support", mask, "support differs from the claim's evidence rows")
    inferred = _text(ev, "inferred_fields") != ""
    mask = inferred != _eq(ev["support"], "inferred")
    yield from _problems("evidence", "support", "support", mask, "support is 'inferred' exactly when inferred_fields is set")


def _evidence_by_table(tables: Tables, links: _Links) -> dict[str, pl.DataFrame]:
    """The evidence rows of each claim table (one pass, once per `links`): published row number,
    the claim they name (its row in the table when ids are unique, else its id), quote, and
    ";inferred;fields;"."""
    if links._by_table is None:
        links._by_table = _split_evidence(tables, links)
    return links._by_table


def _split_evidence(tables: Tables, links: _Links) -> dict[str, pl.DataFrame]:
    ev = tables["evidence"]
    if links.unique:  # the claim's row in the table the evidence names; empty when the id is another table's
        where = links.table_of(links.claim)
        starts = np.array([links.offset[t] for t in links.tables] + [0], dtype=np.int64)
        own = (where == links.named(ev)) & (where >= 0)
        claim = pl.Series(np.where(own, links.claim - starts[where], -1), dtype=pl.Int64)
        claim = pl.select(pl.when(claim >= 0).then(claim)).to_series()
    else:
        claim = ev["claim_id"].cast(pl.String)
    frame = ev.select(
        pl.int_range(1, pl.len() + 1).alias("_ev_row"),
        pl.col("claim_table").cast(pl.String),
        claim.alias("_claim"),
        pl.col("quote").fill_null(""),
        pl.concat_str([pl.lit(";"), pl.col("inferred_fields").fill_null(""), pl.lit(";")]).alias("_inferred"),
    )
    parts = frame.partition_by("claim_table", as_dict=True, include_key=False)
    return {t: parts.get((t,), frame.clear().drop("claim_table")) for t in schema.claim_tables()}


def _listed(col: str | pl.Expr) -> pl.Expr:
    """The quote's inferred fields list the column (an element of the ';'-joined list)."""
    col = pl.lit(col) if isinstance(col, str) else col
    return pl.col("_inferred").str.contains(pl.concat_str([pl.lit(";"), col, pl.lit(";")]), literal=True)


def _claim_of(frame: pl.DataFrame, part: str, table: str, tables: Tables, links: _Links) -> pl.Series:
    """For each row of a claim table or its child, the claim it belongs to (as `_evidence_by_table` names it)."""
    link = schema.primary_key(part)[0]
    if not links.unique:
        return frame[link].cast(pl.String)
    if part == table:
        return pl.Series(np.arange(frame.height, dtype=np.int64))
    if part not in links._claim_of:  # a join, shared by the stated-text and stated-number rules
        parents = links.ids[table].cast(pl.String).to_frame("_id").with_row_index("_claim")
        found = frame.select(pl.col(link).cast(pl.String).alias("_id")).join(parents, on="_id", how="left", maintain_order="left")
        links._claim_of[part] = found["_claim"].cast(pl.Int64)
    return links._claim_of[part]


def _claims_with_quotes(
    tables: Tables, links: _Links
) -> Iterator[tuple[str, pl.DataFrame, pl.DataFrame, list[tuple[str, pl.DataFrame]]]]:
    """Each non-empty claim table, its quotes, and its parts (the table and its child tables)."""
    by_table = _evidence_by_table(tables, links)
    for table in schema.claim_tables():
        df = tables.get(table)
        if df is None or df.is_empty():
            continue
        parts = [(table, df)] + [(child, tables[child]) for child in schema.child_tables(table) if child in tables]
        yield table, df, by_table[table], parts


class _QuoteIndex:
    """The quotes of one claim table grouped by claim, to pair each cell with its claim's quotes
    by array arithmetic instead of a join that copies every quote beside every cell.

    Claims are integer codes: the claim's row in its table when ids are unique (`_claim` is
    that row), else a dense number of each distinct claim id. `order[first[k] : first[k] +
    count[k]]` are the quotes of claim k; `inferred[q]` numbers the distinct ";inferred;"
    text of quote q (`fields` those texts)."""

    def __init__(self, quotes: pl.DataFrame) -> None:
        self.quotes = quotes
        claim = quotes["_claim"]
        if claim.dtype.is_integer():
            self.keys = None
            codes = claim.cast(pl.Int64).fill_null(-1).to_numpy()
        else:
            self.keys = claim.drop_nulls().unique().to_frame("_claim").with_row_index("_code")
            codes = self._codes(claim)
        valid = np.flatnonzero(codes >= 0)
        self.size = int(codes.max(initial=-1)) + 1
        self.order = valid[np.argsort(codes[valid], kind="stable")]
        self.count = np.bincount(codes[valid], minlength=self.size)
        self.first = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)
        texts = quotes["_inferred"]
        self.fields = texts.unique(maintain_order=True)
        found = texts.to_frame().join(
            self.fields.to_frame().with_row_index("_k"), on="_inferred", how="left", maintain_order="left"
        )
        self.inferred = found["_k"].cast(pl.Int64).to_numpy()

    def _codes(self, claims: pl.Series) -> np.ndarray:
        """The code of each claim (-1 for one without quotes or empty)."""
        if self.keys is None:
            codes = claims.cast(pl.Int64).fill_null(-1).to_numpy()
            return np.where(codes < self.size, codes, -1)
        found = claims.cast(pl.String).to_frame("_claim").join(self.keys, on="_claim", how="left", maintain_order="left")
        return found["_code"].cast(pl.Int64).fill_null(-1).to_numpy()

    def stated(self, cells: pl.DataFrame, columns: list[str]) -> np.ndarray:
        """For each cell (`_claim`, `_col` among `columns`, text `_value`): whether some quote of
        its claim holds the text verbatim or lists the column as inferred."""
        n = cells.height
        ok = np.zeros(n, dtype=bool)
        if not n or not self.size:
            return ok
        code = self._codes(cells["_claim"])
        count = np.where(code >= 0, self.count[np.maximum(code, 0)], 0)
        cell = np.repeat(np.arange(n, dtype=np.int64), count)
        ends = np.cumsum(count)
        quote = self.order[np.repeat(self.first[np.maximum(code, 0)] - (ends - count), count) + np.arange(len(cell))]
        col = cells["_col"].replace_strict(columns, list(range(len(columns))), return_dtype=pl.Int64).to_numpy()
        listed = np.array([[f";{c};" in text for c in columns] for text in self.fields.to_list()], dtype=bool)
        ok[cell[listed[self.inferred[quote], col[cell]]]] = True
        left = np.flatnonzero(~ok[cell])  # only pairs of cells not yet settled need their text looked for
        if len(left):
            cell, quote = cell[left], quote[left]
            pairs = pl.DataFrame({"q": self.quotes["quote"].gather(quote), "v": cells["_value"].gather(cell)})
            holds = pairs.select(pl.col("q").str.contains(pl.col("v"), literal=True).fill_null(False)).to_series().to_numpy()
            ok[cell[holds]] = True
        return ok


def _quote_index(links: _Links, table: str, quotes: pl.DataFrame) -> _QuoteIndex:
    """The `_QuoteIndex` of a claim table's quotes, built once for the stated-text and stated-number rules."""
    if table not in links._quote_index:
        links._quote_index[table] = _QuoteIndex(quotes)
    return links._quote_index[table]


def _cell_problems(part: str, height: int, bad: pl.DataFrame, columns: list[str], message: str) -> Iterator[Problem]:
    """A stated-text problem for each bad (_row, _col) cell, column by column in row order."""
    if bad.is_empty():
        return
    for col in columns:
        mask = np.zeros(height, dtype=bool)
        mask[bad.filter(pl.col("_col") == col)["_row"].to_numpy()] = True
        yield from _problems(part, col, "stated-text", mask, message)


def stated_text_rules(tables: Tables, links: _Links | None = None) -> Iterator[Problem]:
    """A column holding the source's words (`mabdata:stated`) occurs verbatim in at least one
    quote of its claim, or some quote lists it as inferred (restatements may word it
    differently, so not every quote must hold it). A normalized value that no quote names (its
    surface column, e.g. condition_term for condition_id, is empty) is listed as inferred by
    every quote of the claim."""
    if "evidence" not in tables:
        return
    links = links or _Links(tables)
    for table, df, quotes, parts in _claims_with_quotes(tables, links):
        for part, frame in parts:
            stated = schema.stated_fields(part)
            if not stated:
                continue
            # Every stated cell of the table against every quote of its claim (see _QuoteIndex).
            cells = (
                frame.select(*[pl.col(c).cast(pl.String) for c in stated])
                .with_columns(_claim=_claim_of(frame, part, table, tables, links))
                .with_row_index("_row")
                .unpivot(index=["_row", "_claim"], on=stated, variable_name="_col", value_name="_value")
                .filter(pl.col("_value").is_not_null())
            )
            ok = _quote_index(links, table, quotes).stated(cells, stated)
            yield from _cell_problems(
                part,
                frame.height,
                cells.filter(pl.Series(~ok)),
                stated,
                "the stated text occurs in none of the claim's quotes (copy it verbatim, or list "
                "the field under a quote's 'inferred')",
            )
        for f in schema.fields(table):
            surface = schema.surface_of(f)
            if not surface:
                continue
            col = f["name"]
            claims = df.with_columns(_claim=_claim_of(df, table, table, tables, links)).filter(
                pl.col(col).is_not_null() & pl.col(surface).is_null()
            )["_claim"]
            if claims.is_empty():
                continue
            need = quotes.filter(_is_in(quotes["_claim"], claims) & ~_listed(col))
            for ev_row in need["_ev_row"].to_list():
                yield Problem(
                    "inferred",
                    f"no quote of the claim names its {col} ({surface} is empty): list {col} under this quote's 'inferred'",
                    table="evidence",
                    row=int(ev_row),
                    field="quote",
                )


# Number words as labels write them ("Thirty-eight percent", "Twenty-two patients").
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen"
    " nineteen"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORD = re.compile(rf"\b(?:({'|'.join(_TENS)})(?:[- ]({'|'.join(_UNITS[1:10])}))?|({'|'.join(_UNITS)}))\b", re.IGNORECASE)


def _spelled(number: float, quotes: list[str]) -> bool:
    """Whether a quote states the number in a form the vectorised pass does not try: with
    thousands separators, in plain decimal notation, or as an English number word."""
    forms = {format(number, "f").rstrip("0").rstrip(".")}
    if number.is_integer():
        forms.add(f"{int(number):,}")
    if any(f in q for f in forms for q in quotes):
        return True
    for q in quotes:
        for tens, unit, small in _NUMBER_WORD.findall(q):
            value = _TENS[tens.lower()] + (_UNITS.index(unit.lower()) if unit else 0) if tens else _UNITS.index(small.lower())
            if value == number:
                return True
    return False


def stated_number_rules(tables: Tables, links: _Links | None = None) -> Iterator[Problem]:
    """A number the source states (`mabdata:statedNumber`: incidences, thresholds, results,
    doses, patients) occurs in at least one quote of its claim — as digits (the sign may be any
    dash, so the magnitude is looked for) or as a number word — or some quote lists the field as
    inferred: a number the curator computed or read from a heading elsewhere is the curator's."""
    if "evidence" not in tables:
        return
    links = links or _Links(tables)
    for table, _, quotes, parts in _claims_with_quotes(tables, links):
        for part, frame in parts:
            numbers = [c for c in schema.stated_numbers(part) if c in frame.columns]
            if not numbers or frame.is_empty():
                continue
            cells = (
                frame.select(*[pl.col(c).cast(pl.Float64).abs() for c in numbers])
                .with_columns(_claim=_claim_of(frame, part, table, tables, links))
                .with_row_index("_row")
                .unpivot(index=["_row", "_claim"], on=numbers, variable_name="_col", value_name="_number")
                .filter(pl.col("_number").is_not_null() & pl.col("_number").is_finite())
                .with_columns(
                    _value=pl.when(pl.col("_number") == pl.col("_number").floor())
                    .then(pl.col("_number").cast(pl.Int64).cast(pl.String))
                    .otherwise(pl.col("_number").cast(pl.String))
                )
                .with_row_index("_cell")
            )
            ok = _quote_index(links, table, quotes).stated(cells, numbers)
            rest = cells.filter(pl.Series(~ok))
            if not rest.is_empty():  # rare: separators and number words, one cell at a time
                texts = rest.join(quotes, on="_claim", how="left").group_by("_cell").agg(pl.col("quote").drop_nulls())
                for cell, quotes_of in texts.iter_rows():
                    if _spelled(float(cells["_number"][cell]), quotes_of):
                        ok[cell] = True
            yield from _cell_problems(
                part,
                frame.height,
                cells.filter(pl.Series(~ok)),
                numbers,
                "the stated number occurs in none of the claim's quotes (as digits or a number word); "
                "list the field under a quote's 'inferred' if it was computed or read elsewhere",
            )


def key_rules(tables: Tables) -> Iterator[Problem]:
    """Claim ids are the hash of their natural key (so a key column edited without its id is
    caught), natural keys are unique, and evidence ids match their claim and offsets."""
    for t in schema.claim_tables():
        yield from _claim_key_rule(t, tables.get(t), tables.get("dosing_steps"))
    yield from _evidence_key_rule(tables.get("evidence"))


def _claim_key_rule(table: str, df: pl.DataFrame | None, steps: pl.DataFrame | None) -> Iterator[Problem]:
    if df is None or df.is_empty():
        return
    pk = schema.primary_key(table)[0]
    mask = df[pk].ne_missing(keys.expected_claim_ids(table, df, steps))
    yield from _problems(
        table,
        pk,
        "natural-key",
        mask,
        "the id is not the hash of the claim's natural key (a key column changed without its id, "
        "or two rows state the same claim)",
    )


def _evidence_key_rule(ev: pl.DataFrame | None) -> Iterator[Problem]:
    if ev is not None and not ev.is_empty():
        mask = ev["evidence_id"].ne_missing(keys.expected_evidence_ids(ev))
        yield from _problems(
            "evidence", "evidence_id", "natural-key", mask, "the id does not match claim_table, claim_id, source_id and offsets"
        )


class SourceTexts:
    """Every source text in one UTF-8 buffer, to find each quote's bytes without a Python str.

    Offsets are code points: only multi-byte characters shift a byte offset from them, so the
    buffer keeps just those (each one's global code-point position and the extra bytes up to
    and including it) besides each text's start and length."""

    def __init__(self, texts: dict[str, str] | dict[str, bytes]) -> None:
        self.ids = sorted(i for i in texts if i is not None)  # a text without an id can back no quote
        chunks = [t.encode("utf-8") if isinstance(t, str) else t for t in (texts[i] for i in self.ids)]
        self.buffer = b"".join(chunks)
        sizes = np.array([len(c) for c in chunks], dtype=np.int64)
        base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if len(chunks) else np.zeros(0, np.int64)
        data = np.frombuffer(self.buffer, dtype=np.uint8)
        leads = np.flatnonzero(data >= 0xC0)  # first byte of each multi-byte character
        extra = 1 + (data[leads] >= 0xE0).astype(np.int64) + (data[leads] >= 0xF0)
        self.extra_through = np.cumsum(extra)
        self.lead_chars = leads - (self.extra_through - extra)
        extra_before = np.concatenate([[0], self.extra_through])[np.searchsorted(leads, base)]
        text_extra = (
            np.concatenate([extra_before[1:], self.extra_through[-1:] if len(extra) else [0]])[: len(base)] - extra_before
        )
        self.char_base = base - extra_before  # code points before each text
        self.chars = sizes - text_extra  # each text's length in code points

    def byte_offsets(self, code: np.ndarray, chars: np.ndarray) -> np.ndarray:
        """Byte offsets in the buffer of code-point offsets `chars` into texts `code`."""
        g = self.char_base[code] + chars
        return g + np.concatenate([[0], self.extra_through])[np.searchsorted(self.lead_chars, g)]


def provenance_rules(tables: Tables, texts: SourceTexts | dict[str, str] | dict[str, bytes]) -> Iterator[Problem]:
    """Each evidence quote equals the slice of its source text at [quote_start, quote_end).

    Proven on bytes, with no slicing per row in Python: code-point offsets become byte offsets
    into one buffer holding every text, each row's slice becomes an Arrow view into that
    buffer, and the views are compared with the quotes in one pass."""
    df = tables.get("evidence")
    if df is None or df.is_empty():
        return
    texts = texts if isinstance(texts, SourceTexts) else SourceTexts(texts)
    ids = texts.ids
    code = (
        df["source_id"].cast(pl.String).replace_strict(ids, list(range(len(ids))), default=-1, return_dtype=pl.Int64).to_numpy()
    )
    start = df["quote_start"].cast(pl.Int64).fill_null(-1).to_numpy()
    end = df["quote_end"].cast(pl.Int64).fill_null(-1).to_numpy()
    known = code >= 0
    length = np.where(known, texts.chars[np.maximum(code, 0)] if len(ids) else 0, -1)
    rows = np.flatnonzero(known & (start >= 0) & (start < end) & (end <= length))
    ok = np.zeros(df.height, dtype=bool)
    if len(rows):
        b_start = texts.byte_offsets(code[rows], start[rows])
        b_end = texts.byte_offsets(code[rows], end[rows])
        sliced = pl.Series(_views(texts.buffer, b_start, b_end - b_start))
        quotes = df["quote"] if len(rows) == df.height else df["quote"].gather(rows)  # no copy when every row is checked
        ok[rows] = (sliced == quotes.cast(pl.Binary)).fill_null(False).to_numpy()
    yield from _problems("evidence", "quote", "provenance", ~ok, "quote differs from the source text at [quote_start, quote_end)")


def _views(buffer: bytes, start: np.ndarray, length: np.ndarray) -> Any:
    """An Arrow binary-view array whose row i is buffer[start[i] : start[i] + length[i]], built
    without copying the slices (Arrow's view layout: length, then up to 12 inline bytes, or a
    4-byte prefix, buffer index 0 and offset)."""
    import pyarrow as pa

    if len(buffer) >= 2**31:
        raise ValueError("source texts over 2 GiB")
    data = np.frombuffer(buffer, dtype=np.uint8)
    n = len(start)
    views = np.zeros((n, 16), dtype=np.uint8)
    views[:, 0:4] = length.astype("<i4").view(np.uint8).reshape(n, 4)
    inline = np.flatnonzero(length <= 12)
    for k in range(12):  # short values are stored in the view itself
        take = inline[length[inline] > k]
        views[take, 4 + k] = data[start[take] + k]
    out = np.flatnonzero(length > 12)
    for k in range(4):  # the prefix of a long value
        views[out, 4 + k] = data[start[out] + k]
    views[out, 12:16] = start[out].astype("<i4").view(np.uint8).reshape(-1, 4)
    return pa.Array.from_buffers(pa.binary_view(), n, [None, pa.py_buffer(views), pa.py_buffer(buffer)])


def section_rules(tables: Tables) -> Iterator[Problem]:
    """An evidence row's section is the innermost section of its source holding the quote."""
    ev, sec = tables.get("evidence"), tables.get("source_sections")
    if ev is None or sec is None:
        return
    sources = sec["source_id"].cast(pl.String).drop_nulls().unique(maintain_order=True)
    codes = list(range(len(sources)))
    # Section names as numbers: 0 for none, then each name a section row has; any other name is -1.
    names = ["", *sec["section"].cast(pl.String).drop_nulls().unique(maintain_order=True).to_list()]
    number = {n: i for i, n in enumerate(dict.fromkeys(names))}
    spans = _Spans(
        code=sec["source_id"].cast(pl.String).replace_strict(sources, codes, default=-1, return_dtype=pl.Int64).to_numpy(),
        start=sec["section_start"].cast(pl.Int64).fill_null(0).to_numpy(),
        end=sec["section_end"].cast(pl.Int64).fill_null(-1).to_numpy(),
        present=(sec["section_start"].is_not_null() & sec["section_end"].is_not_null()).to_numpy(),
        name=sec["section"].cast(pl.String).fill_null("").replace_strict(number, default=0, return_dtype=pl.Int64).to_numpy(),
    )
    ev_code = ev["source_id"].cast(pl.String).replace_strict(sources, codes, default=-1, return_dtype=pl.Int64).to_numpy()
    name = ev["section"].cast(pl.String).fill_null("").replace_strict(number, default=-1, return_dtype=pl.Int64).to_numpy()
    has_offsets = (ev["quote_start"].is_not_null() & ev["quote_end"].is_not_null()).to_numpy()
    no_sections = (ev_code < 0) & (name != 0)
    checked = np.flatnonzero((ev_code >= 0) & has_offsets)
    qs = ev["quote_start"].cast(pl.Int64).fill_null(0).to_numpy()[checked]
    qe = ev["quote_end"].cast(pl.Int64).fill_null(0).to_numpy()[checked]
    expected = np.zeros(ev.height, dtype=np.int64)
    expected[checked] = spans.innermost(ev_code[checked], qs, qe)
    wrong = np.zeros(ev.height, dtype=bool)
    wrong[checked] = name[checked] != expected[checked]
    label = list(number)
    for i in np.flatnonzero(no_sections | wrong).tolist():
        if no_sections[i]:
            yield Problem("section", "the source has no sections", table="evidence", row=i + 1, field="section")
        else:
            yield Problem(
                "section",
                f"the innermost section holding the quote is {label[expected[i]] or 'none'!r}",
                table="evidence",
                row=i + 1,
                field="section",
            )


def _located_rules(tables: Tables, texts: SourceTexts | dict[str, str] | dict[str, bytes]) -> tuple[list[Problem], list[Problem]]:
    return list(provenance_rules(tables, texts)), list(section_rules(tables))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique of integers by sorting (numpy's np.unique hashes first, many times slower here)."""
    out = np.sort(values)
    return out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out


class _Spans:
    """The sections of each source, to find the innermost one holding a span: the shortest,
    the first in table order among equals (sections nest: a subsection lies in its parent).

    The section boundaries of a source cut its text into pieces; each piece has one innermost
    section covering it, found once. A quote inside one piece gets that piece's section; the
    rare quote across a boundary is compared with every section of its source."""

    _SCALE = 1 << 40  # source code * _SCALE + offset: one sorted key for every source

    def __init__(self, code: np.ndarray, start: np.ndarray, end: np.ndarray, present: np.ndarray, name: np.ndarray) -> None:
        keep = np.flatnonzero((code >= 0) & present)
        self.code, self.start, self.end, self.name = code, start, end, name
        self.rows = keep[np.argsort(code[keep], kind="stable")]  # by source, table order within each
        count = np.bincount(code[keep], minlength=int(code.max(initial=-1)) + 1)
        self.count, self.first = count, np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        k = self.rows
        self.bounds = _sorted_unique(np.concatenate([code[k] * self._SCALE + start[k], code[k] * self._SCALE + end[k]]))
        # Each section covers the pieces between its start and end boundary.
        a = np.searchsorted(self.bounds, code[k] * self._SCALE + start[k])
        b = np.searchsorted(self.bounds, code[k] * self._SCALE + end[k])
        n = np.maximum(b - a, 0)
        section = np.repeat(k, n)
        piece = np.repeat(a, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        order = np.lexsort((section, end[section] - start[section], piece))
        piece, section = piece[order], section[order]
        head = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]]) if len(piece) else piece
        self.piece_name = np.zeros(len(self.bounds), dtype=np.int64)
        self.piece_name[piece[head]] = name[section[head]]

    def innermost(self, code: np.ndarray, qs: np.ndarray, qe: np.ndarray) -> np.ndarray:
        """The name number of the innermost section holding each [qs, qe) of a source (0: none)."""
        out = np.zeros(len(code), dtype=np.int64)
        lo = code * self._SCALE + qs
        hi = code * self._SCALE + qe
        i = np.searchsorted(self.bounds, lo, side="right") - 1
        inside = i >= 0
        same = inside & (self.bounds[np.maximum(i, 0)] // self._SCALE == code)
        nxt = np.minimum(i + 1, len(self.bounds) - 1)
        one_piece = (
            same & (i + 1 < len(self.bounds)) & (self.bounds[nxt] // self._SCALE == code) & (hi <= self.bounds[nxt]) & (qs < qe)
        )
        out[one_piece] = self.piece_name[i[one_piece]]
        # Before the first boundary of its source: no section can hold it. Anything else: compare with all.
        before = ~same & (qs < qe)
        slow = np.flatnonzero(~one_piece & ~before)
        if len(slow):
            out[slow] = self._scan(code[slow], qs[slow], qe[slow])
        return out

    def _scan(self, code: np.ndarray, qs: np.ndarray, qe: np.ndarray) -> np.ndarray:
        out = np.zeros(len(code), dtype=np.int64)
        best = np.full(len(code), np.iinfo(np.int64).max, dtype=np.int64)
        count = np.where(code < len(self.count), self.count[np.minimum(code, len(self.count) - 1)], 0)
        active, rank = np.flatnonzero(count > 0), 0
        while len(active):  # one pass per rank within a source, in table order
            j = self.rows[self.first[code[active]] + rank]
            holds = (self.start[j] <= qs[active]) & (qe[active] <= self.end[j])
            span = self.end[j] - self.start[j]
            better = holds & (span < best[active])
            best[active[better]] = span[better]
            out[active[better]] = self.name[j[better]]
            rank += 1
            active = active[count[active] > rank]
        return out


def drug_rules(tables: Tables) -> Iterator[Problem]:
    """Every drug is the subject of some claim and has a name claim; a result's drug is its study's."""
    drugs = tables.get("drugs")
    if drugs is None:
        return
    named = tables["drug_names"]["drug_id"] if "drug_names" in tables else pl.Series([], dtype=pl.String)
    yield from _problems(
        "drugs",
        "drug_id",
        "name",
        ~_is_in(drugs["drug_id"], named),
        "no drug_names claim for this drug (record the name the source uses)",
    )
    if {"trial_results", "studies"} <= set(tables):
        tr, st = tables["trial_results"], tables["studies"]
        study_drug = tr.select("study_id").join(
            st.select("study_id", pl.col("drug_id").alias("_d")).unique("study_id", keep="last"),
            on="study_id",
            how="left",
            maintain_order="left",
        )["_d"]
        mask = study_drug.is_not_null() & study_drug.ne_missing(tr["drug_id"])
        yield from _problems("trial_results", "drug_id", "foreign-key", mask, "drug_id differs from the study's drug_id")


_DERIVED_INPUTS = ("sources", "evidence", "conditions", "dosing_steps", *schema.claim_tables())


# What `label_check_rules` reads of each table.
_LABEL_CHECK_COLUMNS = {
    "sources": ["source_id", "kind", "openfda_uniis", "openfda_routes", "unii_check", "route_check"],
    "evidence": ["claim_table", "claim_id", "source_id"],
    "drug_names": ["name_id", "drug_id"],
    "drugs": ["drug_id", "unii"],
    "regimens": ["regimen_id", "route"],
}
_LABEL_CHECK_INPUTS = tuple(_LABEL_CHECK_COLUMNS)


def label_check_rules(tables: Tables) -> Iterator[Problem]:
    """The sources' derived unii_check and route_check equal their recomputation
    (`corroborate.label_cross_checks`, as the build computed them)."""
    from mabdata.corroborate import label_cross_checks

    if any(tables.get(t) is None for t in _LABEL_CHECK_INPUTS):
        return
    try:
        fresh = label_cross_checks(tables)
    except (KeyError, pl.exceptions.PolarsError):  # broken inputs are reported by the other rules
        return
    cols = ["unii_check", "route_check"]
    published = tables["sources"].select("source_id", *cols).with_row_index("_row", offset=1)
    both = published.join(fresh, on="source_id", how="left", suffix="_fresh", maintain_order="left")
    for col in cols:
        bad = both.filter(pl.col(col).cast(pl.String).ne_missing(pl.col(f"{col}_fresh")))
        for row, value in bad.select("_row", f"{col}_fresh").iter_rows():
            yield Problem("derived", f"recomputed value is {value!r}", table="sources", row=int(row), field=col)


def derived_rules(tables: Tables) -> Iterator[Problem]:
    """Derived tables equal their recomputation from the claim tables."""
    pub = tables.get("corroborations")
    if pub is None or not set(_DERIVED_INPUTS) <= set(tables):
        return
    yield from _compare_derived(pub, _recompute_derived(tables))


def _recompute_derived(tables: Tables) -> list[dict[str, Any]] | Problem:
    """The corroborations recomputed from the claim tables (sorted as published), or the problem
    that prevents it."""
    from mabdata.corroborate import corroboration_rows

    try:
        fresh = corroboration_rows(tables)
    except (KeyError, TypeError, ValueError, pl.exceptions.PolarsError) as exc:  # broken inputs are reported by the other rules
        return Problem("derived", f"cannot recompute ({type(exc).__name__}: {exc})", table="corroborations")
    order = {t: i for i, t in enumerate(schema.vocabulary("claim_table").terms)}
    fresh.sort(key=lambda r: (order.get(r["claim_table"], len(order)), r["claim_id"] is None, r["claim_id"] or ""))
    return fresh


def _compare_derived(pub: pl.DataFrame, fresh: list[dict[str, Any]] | Problem) -> Iterator[Problem]:
    if isinstance(fresh, Problem):
        yield fresh
        return
    want = {(r["claim_table"], r["claim_id"]): r for r in fresh}
    cols = schema.field_names("corroborations")
    mine = pub.select(cols)
    # Most published rows equal their recomputation: find those in one join, compare the rest.
    fresh_df = pl.DataFrame(fresh, schema=dict.fromkeys(cols, pl.String)) if fresh else None
    same = np.zeros(mine.height, dtype=bool)
    if fresh_df is not None:
        keyed = mine.cast(dict.fromkeys(cols, pl.String)).with_row_index("_row")
        first = keyed.unique(["claim_table", "claim_id"], keep="first", maintain_order=True)
        equal = first.join(fresh_df, on=cols, how="semi", nulls_equal=True)["_row"].to_numpy()
        same[equal] = True
    for i, r in enumerate(mine.iter_rows(named=True), start=1):
        if same[i - 1]:
            del want[(r["claim_table"], r["claim_id"])]
            continue
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


def non_empty_rules(tables: Tables) -> Iterator[Problem]:
    for name, df in tables.items():
        if df.is_empty() and name not in ("source_sections", "corroborations"):  # only labels give these rows
            yield Problem("non-empty", "table has no rows", table=name)


def cross_table_rules(tables: Tables, texts: dict[str, str] | dict[str, bytes]) -> list[Problem]:
    """The rules that join tables, over every table at once (see `CrossChecks`)."""
    checks = CrossChecks(texts)
    for name in schema.table_names():
        checks.add(name, tables.get(name))
    return checks.problems()


class CrossChecks:
    """The cross-table rules, each run as soon as every table it reads has been seen.

    Feed the tables in publication order (`add`, with None for a table that could not be
    read); each rule runs once its tables are in, and each table is then cut down to the
    columns later rules read, so a validator holds little more than the table in hand.
    `problems()` reports in the order of the rules: foreign keys, evidence, stated text,
    natural keys, provenance, sections, drugs, derived tables, empty tables."""

    ORDER = ("foreign-key", "evidence", "stated-text", "natural-key", "provenance", "section", "drug", "derived", "non-empty")

    def __init__(self, texts: SourceTexts | dict[str, str] | dict[str, bytes]) -> None:
        self.texts: SourceTexts | dict[str, str] | dict[str, bytes] | None = texts
        self.frames: Tables = {}
        self.seen: list[str] = []
        self.heights: dict[str, int] = {}
        self.found: dict[str, list[Problem]] = {k: [] for k in self.ORDER}
        self.keys: dict[str, list[Problem] | Future[list[Problem]]] = {}
        # Claim ids are recomputed on a thread of their own (mostly polars, which lets go of the
        # GIL) while the caller reads and checks the next tables; `problems()` collects them.
        self._hasher: ThreadPoolExecutor | None = None
        self.fresh: list[dict[str, Any]] | Problem | None = None
        self.done: set[str] = set()

    def add(self, name: str, df: pl.DataFrame | None) -> None:
        self.seen.append(name)
        if df is not None:
            self.frames[name] = df
            self.heights[name] = df.height
            self.found["foreign-key"] += _foreign_keys_of(name, self.frames)
        self._run()
        self._prune()

    def _ready(self, rule: str, needs: Iterable[str]) -> bool:
        return rule not in self.done and all(n in self.seen for n in needs)

    def _run(self) -> None:
        f = self.frames
        for t in schema.claim_tables():
            needs = [t, "dosing_steps"] if "steps" in schema.natural_key(t) else [t]
            if self._ready(f"key:{t}", needs):
                self.done.add(f"key:{t}")
                if self._hasher is None:
                    self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claim-ids")
                self.keys[t] = self._hasher.submit(lambda *a: list(_claim_key_rule(*a)), t, f.get(t), f.get("dosing_steps"))
        claims = [*schema.claim_tables(), *(c for t in schema.claim_tables() for c in schema.child_tables(t))]
        # The recomputation of the derived tables (mostly Python), provenance and sections (numpy
        # and Arrow, which release the GIL) run on threads of their own beside the joins of the
        # other evidence rules (polars), which let go of each evidence column once no rule still
        # to run reads it. The threads read the tables as they were when they started.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rules") as pool:
            fresh = None
            if self._ready("fresh", _DERIVED_INPUTS):
                self.done.add("fresh")
                if set(_DERIVED_INPUTS) <= set(f):
                    fresh = pool.submit(_recompute_derived, dict(f))
            if self._ready("evidence", ["evidence", "source_sections", *claims]):
                self.done.add("evidence")
                if "evidence" in f:
                    located = {"evidence": f["evidence"], "source_sections": f["source_sections"]}
                    beside = pool.submit(_located_rules, located, self.texts or {})
                    ids = pool.submit(lambda ev: list(_evidence_key_rule(ev)), f["evidence"])  # after the recomputation
                    del located
                    self.texts = None  # only provenance reads the source texts
                    f["evidence"] = f["evidence"].drop("evidence_id", "section", "quote_start", "quote_end", strict=False)
                    links = _Links(f)
                    self.found["evidence"] += evidence_rules(f, links)
                    self.found["stated-text"] += stated_text_rules(f, links)
                    self.found["stated-text"] += stated_number_rules(f, links)
                    del links
                    self.keys["evidence"] = ids.result()
                    provenance, sections = beside.result()
                    self.found["provenance"] += provenance
                    self.found["section"] += sections
                self.texts = None
            if self._ready("drug", ["drugs", "drug_names", "studies", "trial_results"]):
                self.done.add("drug")
                self.found["drug"] += drug_rules(f)
            if self._ready("labels", _LABEL_CHECK_INPUTS):
                self.done.add("labels")
                self.found["derived"] += label_check_rules(f)
            if fresh is not None:
                self.fresh = fresh.result()
        if self._ready("derived", ["corroborations", *_DERIVED_INPUTS]):
            self.done.add("derived")
            if "corroborations" in f and self.fresh is not None:
                self.found["derived"] += _compare_derived(f["corroborations"], self.fresh)

    def _prune(self) -> None:
        """Keep of each table only the columns a rule still to run reads."""
        for name in list(self.frames):
            later = self._later_columns(name)
            keep = [c for c in self.frames[name].columns if c in later]
            if keep != self.frames[name].columns:
                self.frames[name] = self.frames[name].select(keep)

    def _later_columns(self, name: str) -> set[str]:
        """The columns of a table that rules still to run read."""
        from mabdata.corroborate import COLUMNS as JUDGED

        cols = {
            fk["reference"]["fields"][0]
            for t in schema.table_names()
            if t not in self.seen
            for fk in schema.table(t).get("foreignKeys", [])
            if fk["reference"]["resource"] == name
        }
        kind, pk = schema.kind(name), schema.primary_key(name)
        if "evidence" not in self.done:
            if kind in ("claim", "child"):
                cols |= {
                    *pk,
                    "support",
                    *schema.stated_fields(name),
                    *schema.stated_numbers(name),
                    *(f["name"] for f in schema.fields(name) if schema.surface_of(f)),
                }
            cols |= set(cross_columns(name)) if name in ("evidence", "source_sections") else set()
        if "fresh" not in self.done and (name in JUDGED or name in schema.claim_tables()):
            cols |= {*pk, *JUDGED.get(name, []), *(cross_columns(name) if name == "evidence" else [])}
        if kind == "claim" and f"key:{name}" not in self.done:
            cols |= {*pk, *(c for c in schema.natural_key(name) if c != "steps")}
        if name == "dosing_steps" and "key:regimens" not in self.done:
            cols |= {*pk, *(f["name"] for f in schema.curated_fields(name))}
        if "drug" not in self.done and name in ("drugs", "drug_names", "studies", "trial_results"):
            cols |= {"drug_id", "study_id"}
        if "labels" not in self.done:
            cols |= set(_LABEL_CHECK_COLUMNS.get(name, []))
        if name == "corroborations" and "derived" not in self.done:
            cols |= set(schema.field_names(name))
        return cols

    def problems(self) -> list[Problem]:
        for name in schema.table_names():  # rules whose tables never came
            if name not in self.seen:
                self.seen.append(name)
        self._run()
        if self._hasher is not None:
            self._hasher.shutdown(wait=True)
            self._hasher = None
        found = {t: k.result() if isinstance(k, Future) else k for t, k in self.keys.items()}
        self.found["natural-key"] = [p for t in [*schema.claim_tables(), "evidence"] for p in found.get(t, [])]
        self.found["non-empty"] = [
            Problem("non-empty", "table has no rows", table=name)
            for name in self.seen
            if self.heights.get(name) == 0 and name not in ("source_sections", "corroborations")  # only labels give these rows
        ]
        return [p for rule in self.ORDER for p in self.found[rule]]


def all_rules(tables: dict[str, Any], texts: dict[str, str] | dict[str, bytes]) -> list[Problem]:
    """Every rule over whole tables (pandas with declared dtypes, Arrow or polars)."""
    frames = {name: tabular.to_polars(df) for name, df in tables.items()}
    out: list[Problem] = []
    for name, df in frames.items():
        out += row_rules(name, df)
    return out + cross_table_rules(frames, texts)
