"""Cross-field and cross-table rules, vectorised over whole tables.

Used twice from one place: by the build (each failure is traced back to its curation
statement) and by `mabdata validate` on a published package. Every rule yields
Problem(table, row, field): `row` is the 1-based data row of the table as published.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from mabdata import schemas as schema
from mabdata.errors import Problem

# Spreadsheet formula triggers (OWASP CSV injection): no text cell may start with one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ORDERED_PAIRS = [("interval_min_days", "interval_max_days"), ("infusion_min_minutes", "infusion_max_minutes")]


def _rows(mask: Any) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _problems(table: str, field: str, check: str, mask: Any, message: str) -> Iterator[Problem]:
    for row in _rows(mask):
        yield Problem(check, message, table=table, row=row, field=field)


def _present(s: pd.Series) -> np.ndarray:
    return s.notna().to_numpy()


def row_rules(name: str, df: pd.DataFrame) -> Iterator[Problem]:
    """Rules inside one table."""
    cols = set(df.columns)
    for col in schema.stated_fields(name):
        if col in cols and "quote" in cols:
            values = df[col].astype(object).where(df[col].notna(), "").tolist()
            quotes = df["quote"].astype(object).where(df["quote"].notna(), "").tolist()
            inside = np.fromiter(map(operator.contains, quotes, values), dtype=bool, count=len(df))
            yield from _problems(
                name,
                col,
                "stated-text",
                ~inside,
                "the stated text does not occur in the row's quote (columns holding the source's words must be verbatim)",
            )
    for f in schema.fields(name):
        col = f["name"]
        if col in cols and f["type"] == "string":
            s = df[col].astype("string")
            mask = s.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            yield from _problems(
                name, col, "formula-injection", mask, "text starts with a spreadsheet formula character (= + - @ tab CR)"
            )
    for lo, hi in ORDERED_PAIRS:
        if {lo, hi} <= cols:
            mask = (df[lo] > df[hi]).fillna(False).to_numpy(dtype=bool)
            yield from _problems(name, lo, "range", mask, f"{lo} is greater than {hi}")
    if {"quote_start", "quote_end"} <= cols:
        mask = (df["quote_start"] >= df["quote_end"]).fillna(False).to_numpy(dtype=bool)
        yield from _problems(name, "quote_end", "range", mask, "quote_end must be greater than quote_start")
    if name == "adverse_events":
        term, match = _present(df["ctcae_term"]), _present(df["ctcae_match"])
        yield from _problems(
            name, "ctcae_match", "mapping", term != match, "ctcae_term and ctcae_match go together (both or neither)"
        )
        broader = df["ctcae_term"].astype(object).map(schema.vocabulary("ctcae_term").broader_of)
        same = (broader.fillna("") == df["soc"].astype(object).fillna("")).to_numpy(dtype=bool)
        yield from _problems(name, "soc", "mapping", ~same, "soc is not the CTCAE system organ class of ctcae_term")
    if name == "indications":
        mask = ~_present(df["condition_id"]) & (df["status"].astype(object) != "not established").to_numpy(dtype=bool)
        yield from _problems(
            name, "condition_id", "required", mask, "condition_id is required unless status is 'not established'"
        )
    if name == "trial_results":
        unit = df["unit"].astype(object)
        yield from _problems(name, "unit", "required", _present(df["value"]) & ~_present(df["unit"]), "a value needs a unit")
        for col in ("value", "comparator_value"):
            mask = ((unit == "%") & (df[col] > 100)).fillna(False).to_numpy(dtype=bool)
            yield from _problems(name, col, "range", mask, "a percentage above 100")
        mask = (df["statistic"].astype(object) == "qualitative").to_numpy(dtype=bool) & ~_present(df["direction"])
        yield from _problems(name, "direction", "required", mask, "a qualitative result needs a direction")
    if name == "regimens":
        yield from _problems(
            name, "dose_unit", "required", _present(df["dose_value"]) & ~_present(df["dose_unit"]), "a dose needs a unit"
        )


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


def provenance_rules(tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> Iterator[Problem]:
    """Each quote equals the slice of its source text at [quote_start, quote_end)."""
    for name, df in tables.items():
        if not schema.is_fact_table(name) or df.empty:
            continue
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
        yield from _problems(name, "quote", "provenance", ~ok, "quote differs from the source text at [quote_start, quote_end)")


def non_empty_rules(tables: dict[str, pd.DataFrame]) -> Iterator[Problem]:
    for name, df in tables.items():
        if df.empty:
            yield Problem("non-empty", "table has no rows", table=name)


def all_rules(tables: dict[str, pd.DataFrame], texts: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    for name, df in tables.items():
        out += row_rules(name, df)
    out += foreign_key_rules(tables)
    out += provenance_rules(tables, texts)
    out += non_empty_rules(tables)
    return out
