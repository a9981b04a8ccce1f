"""Corroboration: what the FDA label says about each claim a web monograph makes.

For every claim with evidence from a web monograph, about a drug that also has claims read
from an FDA label, one row of `corroborations`:

- **supports**: the label states the same claim (the claims merged: same natural key), or a
  claim the web claim follows from (rules below);
- **contradicts**: the label states a different value where there is one (a single-valued
  property, the brand, the targets, an FDA status);
- **not stated**: the label says nothing that decides it (an approval it does not list, an
  authority other than the FDA, a mechanism it does not name).

Each row names the rule that decided and the label claim it rests on. The table is derived
from the published claim tables only, so `mabdata validate` recomputes it and fails on any edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from mabdata import schemas as schema
from mabdata import tabular

if TYPE_CHECKING:
    import pandas as pd

SINGLE_VALUED = ("molecule_type", "sequence_source", "isotype", "light_chain")
Row = dict[str, Any]


def _records(df: pl.DataFrame) -> list[Row]:
    return df.to_dicts()


def _fold(v: Any) -> str:
    return " ".join(str(v).split()).casefold() if v is not None else ""


# The columns each judge reads (besides the claim id): all the recomputation needs of a table.
COLUMNS = {
    "drug_names": ["drug_id", "name", "name_type"],
    "drug_properties": ["drug_id", "property", "value"],
    "drug_organizations": ["drug_id", "organization"],
    "drug_targets": ["drug_id", "target_id", "mechanism"],
    "indications": ["drug_id", "condition_id", "status", "regulator"],
    "regimens": ["drug_id", "route"],
    "dosing_steps": ["regimen_id", "dose_value", "dose_unit"],
    "studies": ["drug_id", "condition_id"],
    "trial_results": ["drug_id", "endpoint", "statistic", "value", "comparator_value", "direction"],
    "adverse_events": ["drug_id", "ctcae_term", "term"],
    "precautions": ["drug_id", "kind"],
    "contraindications": ["drug_id", "kind"],
    "interactions": ["drug_id", "term"],
    "sources": ["source_id", "kind"],
    "evidence": ["claim_id", "source_id"],
    "conditions": ["condition_id", "ancestor_ids"],
}


class _Context:
    """The label side, indexed per drug, and which claims each kind of source supports.

    Only the claims a judgement can look at become Python rows: the web claims about labelled
    drugs, and the label claims about those same drugs (a judge compares a claim with the label
    claims of its own drug and table only)."""

    def __init__(self, tables: dict[str, Any]) -> None:
        frames = {
            t: tabular.to_polars(tables[t]) for t in ("sources", "evidence", "conditions", "dosing_steps", *schema.claim_tables())
        }
        src = frames["sources"].select(pl.col("source_id").cast(pl.String), pl.col("kind").cast(pl.String))
        kinds = src.drop_nulls("source_id").unique("source_id", keep="last", maintain_order=True)  # as dict(zip(...))
        ev = frames["evidence"].select(pl.col("claim_id").cast(pl.String), pl.col("source_id").cast(pl.String))
        ev = ev.with_columns(kind=pl.col("source_id").replace_strict(kinds["source_id"], kinds["kind"], default=None))
        claims = pl.concat(
            [
                frames[t].select(
                    pl.lit(t).alias("_table"),
                    pl.col(schema.primary_key(t)[0]).cast(pl.String).alias("claim_id"),
                    pl.col("drug_id").cast(pl.String),
                    pl.int_range(pl.len()).alias("_row"),
                )
                for t in schema.claim_tables()
            ]
        )
        # Web claims are few: narrow everything to the claims of their drugs before grouping evidence.
        web_ids = ev.filter(pl.col("kind") == "web monograph")["claim_id"].drop_nulls().unique()
        drugs = claims.filter(pl.col("claim_id").is_in(web_ids.implode()))["drug_id"].drop_nulls().unique()
        claims = claims.filter(pl.col("drug_id").is_in(drugs.implode()))
        label = pl.col("kind") == "FDA label"
        per_claim = (
            ev.filter(pl.col("claim_id").is_in(claims["claim_id"].implode()))
            .group_by("claim_id")
            .agg(
                _label=label.any(),
                _web=(pl.col("kind") == "web monograph").any(),
                _label_source=pl.col("source_id").filter(label).min(),
            )
        )
        claims = claims.join(per_claim, on="claim_id", how="left", maintain_order="left")
        claims = claims.with_columns(pl.col("_label").fill_null(False), pl.col("_web").fill_null(False))
        labelled = claims.filter("_label")["drug_id"].unique()
        # Of the drugs with a web claim, those that also have label claims (any table): the rest are not judged.
        self.labelled_drugs = set(labelled.to_list())
        mine = claims.filter((pl.col("_label") | pl.col("_web")) & pl.col("drug_id").is_in(labelled.implode()))
        self.label_claims = set(mine.filter("_label")["claim_id"].to_list())
        self.web_claims = set(mine.filter("_web")["claim_id"].to_list())
        self.label_source = dict(mine.filter("_label").select("claim_id", "_label_source").iter_rows())
        self.rows: dict[str, list[Row]] = {}
        for t in schema.claim_tables():
            rows = mine.filter(pl.col("_table") == t)["_row"]
            self.rows[t] = _records(frames[t][rows.to_numpy()]) if len(rows) else []
        self.by_drug: dict[tuple[str, str], list[Row]] = {}
        for t, rows in self.rows.items():
            pk = schema.primary_key(t)[0]
            for r in rows:
                if r[pk] in self.label_claims:
                    self.by_drug.setdefault((t, r["drug_id"]), []).append(r)
        cond = frames["conditions"]
        self.ancestors = {
            c: set(filter(None, (a or "").split(";")))
            for c, a in zip(cond["condition_id"].to_list(), cond["ancestor_ids"].to_list(), strict=True)
        }
        regimens = [r["regimen_id"] for r in self.rows["regimens"]]
        steps = frames["dosing_steps"].filter(pl.col("regimen_id").is_in(pl.Series(regimens, dtype=pl.String).implode()))
        self.steps: dict[str, list[Row]] = {}
        self.events: dict[str, tuple[dict[Any, int], dict[str, int]]] = {}
        for s in _records(steps):
            self.steps.setdefault(s["regimen_id"], []).append(s)

    def label(self, table: str, drug: str) -> list[Row]:
        return self.by_drug.get((table, drug), [])

    def event_index(self, drug: str) -> tuple[dict[Any, int], dict[str, int]]:
        """The position of the first label adverse event of the drug with each ctcae_term, and with each folded term."""
        if drug not in self.events:
            by_ctcae: dict[Any, int] = {}
            by_term: dict[str, int] = {}
            for i, x in enumerate(self.label("adverse_events", drug)):
                by_ctcae.setdefault(x["ctcae_term"], i)
                by_term.setdefault(_fold(x["term"]), i)
            self.events[drug] = (by_ctcae, by_term)
        return self.events[drug]

    def covers(self, broad: str | None, narrow: str | None) -> bool:
        """The label's condition `narrow` is `broad` or a kind of it (Disease Ontology)."""
        return bool(broad and narrow and (broad == narrow or broad in self.ancestors.get(narrow, set())))


def _pk(table: str, row: Row) -> str:
    return row[schema.primary_key(table)[0]]


Verdict = tuple[str, Row | None, str, str]  # judgement, label row, rule, explanation


def _names(ctx: _Context, r: Row) -> Verdict:
    labels = ctx.label("drug_names", r["drug_id"])
    same = [x for x in labels if _fold(x["name"]) == _fold(r["name"])]
    if same:
        return "supports", same[0], "same name", "the label uses the same name"
    if r["name_type"] == "inn":
        base = [x for x in labels if x["name_type"] == "proper name" and _fold(x["name"]).rsplit("-", 1)[0] == _fold(r["name"])]
        if base:
            return "supports", base[0], "proper name", "the label's proper name is this INN with the FDA suffix"
    if r["name_type"] == "brand":
        brands = [x for x in labels if x["name_type"] == "brand"]
        if brands:
            return "contradicts", brands[0], "other brand", f"the label's brand is {brands[0]['name']!r}"
    return "not stated", None, "name not used", "the label does not use this name"


def _properties(ctx: _Context, r: Row) -> Verdict:
    labels = [x for x in ctx.label("drug_properties", r["drug_id"]) if x["property"] == r["property"]]
    same = [x for x in labels if _fold(x["value"]) == _fold(r["value"])]
    if same:
        return "supports", same[0], "same value", "the label states the same value"
    if labels and r["property"] in SINGLE_VALUED:
        return "contradicts", labels[0], "other value", f"the label says {r['property']} is {labels[0]['value']!r}"
    return "not stated", None, "property not stated", "the label states no comparable value for this property"


def _targets(ctx: _Context, r: Row) -> Verdict:
    labels = ctx.label("drug_targets", r["drug_id"])
    same_target = [x for x in labels if x["target_id"] == r["target_id"]]
    if not labels:
        return "not stated", None, "no targets", "the label names no target"
    if not same_target:
        names = ", ".join(sorted({x["target_id"] for x in labels}))
        return "contradicts", labels[0], "other target", f"the label names {names} as the target"
    same = [x for x in same_target if x["mechanism"] == r["mechanism"]]
    if same:
        return "supports", same[0], "same target and mechanism", "the label names this target and mechanism"
    return "not stated", same_target[0], "mechanism not stated", "the label names the target but not this mechanism"


def _indications(ctx: _Context, r: Row) -> Verdict:
    labels = [x for x in ctx.label("indications", r["drug_id"]) if x["status"] == "approved"]
    if r["status"] == "not established" and r["regulator"] == "FDA":
        if labels:
            return "contradicts", labels[0], "FDA approved", "the drug has FDA-approved indications"
        return "not stated", None, "no FDA approval listed", "the label lists no approved indication"
    if r["regulator"] not in ("FDA", "unspecified"):
        return "not stated", None, "other authority", f"an FDA label says nothing about {r['regulator']}"
    matching = [x for x in labels if ctx.covers(r["condition_id"], x["condition_id"])]
    if matching and r["status"] in ("approved", "in use"):
        rule = "same condition" if any(x["condition_id"] == r["condition_id"] for x in matching) else "narrower condition"
        return "supports", matching[0], rule, "the label lists an approved indication for this condition (or a kind of it)"
    if r["status"] == "approved":
        return "not stated", None, "approval not listed", "the label does not list an approval for this condition"
    return "not stated", None, "status not comparable", f"the label states approvals, not {r['status']!r} uses"


def _regimens(ctx: _Context, r: Row, steps: dict[str, list[Row]]) -> Verdict:
    labels = ctx.label("regimens", r["drug_id"])
    mine = {(s["dose_value"], s["dose_unit"]) for s in steps.get(r["regimen_id"], []) if s["dose_value"] is not None}
    for x in labels:
        theirs = {(s["dose_value"], s["dose_unit"]) for s in steps.get(x["regimen_id"], [])}
        if (r["route"] is None or r["route"] == x["route"]) and mine and mine <= theirs:
            return "supports", x, "same dose", "a label regimen gives the same route and dose"
    if labels and r["route"] and all(x["route"] and x["route"] != r["route"] for x in labels):
        return "contradicts", labels[0], "other route", f"the label's regimens are {labels[0]['route']}"
    return "not stated", None, "dose not stated", "no label regimen gives this dose"


def _adverse_events(ctx: _Context, r: Row) -> Verdict:
    labels = ctx.label("adverse_events", r["drug_id"])
    # The first label event matching either way, found in two lookups: a drug's label names
    # hundreds of events, which the web claims about it would otherwise scan one by one.
    by_ctcae, by_term = ctx.event_index(r["drug_id"])
    none = len(labels)
    first = min(by_ctcae.get(r["ctcae_term"], none) if r["ctcae_term"] else none, by_term.get(_fold(r["term"]), none))
    if first < len(labels):
        return "supports", labels[first], "same event", "the label names this adverse event"
    return "not stated", None, "event not named", "the label's curated adverse events do not include it"


def _studies(ctx: _Context, r: Row) -> Verdict:
    for x in ctx.label("studies", r["drug_id"]):
        if r["condition_id"] and ctx.covers(r["condition_id"], x["condition_id"]):
            return "supports", x, "study in condition", "the label reports a study in this condition"
    return "not stated", None, "no such study", "the label reports no study in this condition"


def _improves(x: Row) -> bool | None:
    if x["statistic"] in ("hazard ratio", "rate ratio", "odds ratio") and x["value"] is not None:
        return x["value"] < 1 if x["endpoint"] in ("OS", "PFS", "EFS", "DFS", "RFS", "TTP", "relapse") else x["value"] > 1
    if x["value"] is not None and x["comparator_value"] is not None:
        return x["value"] > x["comparator_value"]
    return None


def _results(ctx: _Context, r: Row) -> Verdict:
    if r["endpoint"] in ("efficacy", "other") or r["direction"] is None:
        return "not stated", None, "endpoint not comparable", "the claim names no endpoint the label reports"
    found = [x for x in ctx.label("trial_results", r["drug_id"]) if x["endpoint"] == r["endpoint"] and _improves(x) is not None]
    if not found:
        return "not stated", None, "endpoint not reported", f"the label reports no comparative {r['endpoint']} result"
    better = [x for x in found if _improves(x)]
    if r["direction"] in ("improved", "favourable"):
        if better:
            return "supports", better[0], "label result favours the drug", f"a label {r['endpoint']} result favours the drug"
        return "contradicts", found[0], "no label result favours", f"no label {r['endpoint']} result favours the drug"
    return "not stated", None, "direction not comparable", f"the claim's direction is {r['direction']!r}"


def _same_kind(table: str, col: str) -> Callable[[_Context, Row], Verdict]:
    def judge(ctx: _Context, r: Row) -> Verdict:
        for x in ctx.label(table, r["drug_id"]):
            if x[col] == r[col]:
                return "supports", x, f"same {col}", f"the label states a {table[:-1]} of the same {col} ({r[col]})"
        return "not stated", None, f"no such {col}", f"the label states no {table[:-1]} of {col} {r[col]!r}"

    return judge


def _organizations(ctx: _Context, r: Row) -> Verdict:
    for x in ctx.label("drug_organizations", r["drug_id"]):
        a, b = _fold(x["organization"]), _fold(r["organization"])
        if a.startswith(b) or b.startswith(a):
            return "supports", x, "same organization", "the label names this organization"
    return "not stated", None, "organization not named", "the label does not name this organization"


def corroboration_rows(tables: dict[str, Any]) -> list[Row]:
    """The corroborations rows (plain values), in claim-table and table-row order."""
    ctx = _Context(tables)
    judges: dict[str, Callable[[_Context, Row], Verdict]] = {
        "drug_names": _names,
        "drug_properties": _properties,
        "drug_organizations": _organizations,
        "drug_targets": _targets,
        "indications": _indications,
        "regimens": lambda c, r: _regimens(c, r, ctx.steps),
        "studies": _studies,
        "trial_results": _results,
        "adverse_events": _adverse_events,
        "precautions": _same_kind("precautions", "kind"),
        "contraindications": _same_kind("contraindications", "kind"),
        "interactions": _same_kind("interactions", "term"),
    }
    out = []
    for table in schema.claim_tables():
        for r in ctx.rows[table]:
            cid = _pk(table, r)
            if cid not in ctx.web_claims or r["drug_id"] not in ctx.labelled_drugs:
                continue
            if cid in ctx.label_claims:
                verdict: Verdict = ("supports", r, "same claim", "the label states the same claim (one row, evidence from both)")
            else:
                verdict = judges[table](ctx, r)
            judgement, x, rule, why = verdict
            label_id = _pk(table, x) if x is not None else None
            out.append(
                {
                    "claim_table": table,
                    "claim_id": cid,
                    "drug_id": r["drug_id"],
                    "judgement": judgement,
                    "label_claim_id": label_id,
                    "label_source_id": ctx.label_source.get(label_id) if label_id else None,
                    "rule": rule,
                    "explanation": why,
                }
            )
    return out


def corroborate(tables: dict[str, Any]) -> pd.DataFrame:
    """The corroborations table (declared dtypes, sorted by its primary key)."""
    import pandas as pd

    cols = schema.field_names("corroborations")
    df = pd.DataFrame(corroboration_rows(tables), columns=cols)
    return schema.cast(df, "corroborations").sort_values(schema.primary_key("corroborations")).reset_index(drop=True)


def label_cross_checks(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """`unii_check` and `route_check` of every FDA-label source (source_id, unii_check,
    route_check): whether the UNIIs openFDA lists for the label include those of the drugs its
    drug_names claims name (the `drugs` table's UNII, from the reference files), and whether the
    routes it lists include those of the label's curated regimens; "not comparable" when either
    side is empty. The build writes it; `mabdata validate` recomputes it from the same tables."""
    ev = tables["evidence"].select("claim_table", "claim_id", "source_id")

    def cited(table: str, pk: str, value: pl.DataFrame) -> pl.DataFrame:
        claims = ev.filter(pl.col("claim_table") == table).join(value.rename({pk: "claim_id"}), on="claim_id")
        return claims.drop_nulls("mine").group_by("source_id").agg(pl.col("mine").unique())

    drugs = tables["drug_names"].select("name_id", "drug_id").join(tables["drugs"].select("drug_id", "unii"), on="drug_id")
    uniis = cited("drug_names", "name_id", drugs.select("name_id", mine="unii"))
    routes = cited("regimens", "regimen_id", tables["regimens"].select("regimen_id", mine="route"))

    def listed(col: str) -> pl.Expr:
        return pl.col(col).fill_null("").str.split(";").list.eval(pl.element().filter(pl.element() != ""))

    def verdict(mine: str, theirs: str) -> pl.Expr:
        empty = pl.col(mine).list.len().fill_null(0).eq(0) | pl.col(theirs).list.len().eq(0)
        within = pl.col(mine).list.set_difference(pl.col(theirs)).list.len().eq(0)
        return pl.when(empty).then(pl.lit("not comparable")).when(within).then(pl.lit("agrees")).otherwise(pl.lit("disagrees"))

    labels = (
        tables["sources"]
        .filter(pl.col("kind") == "FDA label")
        .select("source_id", listed("openfda_uniis").alias("u"), listed("openfda_routes").alias("r"))
    )
    both = labels.join(uniis.rename({"mine": "mu"}), on="source_id", how="left", maintain_order="left").join(
        routes.rename({"mine": "mr"}), on="source_id", how="left", maintain_order="left"
    )
    return both.select("source_id", unii_check=verdict("mu", "u"), route_check=verdict("mr", "r"))
