"""The table schemas, read once from schema/, and every view derived from them.

schema/tables/<table>.yaml holds Frictionless Table Schema terms plus `mabdata:` keys
(`mabdata:kind` entity / claim / child / evidence, `mabdata:naturalKey`, and per field
`mabdata:vocabulary`, `mabdata:stated`, `mabdata:statedNumber`, `mabdata:derived`,
`mabdata:surface`);
schema/claim.yaml the columns every claim table ends with; schema/vocabularies/*.csv the
closed term lists. From these come the Frictionless descriptor, the pandas dtypes,
the pyarrow schema and the Pandera schema. Nothing else describes a column.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import yaml

from mabdata.paths import schema_dir

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa_schema
    import pyarrow as pa

# Keys of a curation-file claim that describe its evidence, not the claim's own columns.
EVIDENCE_KEYS = ("quote", "occurrence", "inferred", "note")


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of terms; synonyms resolve to their term."""

    name: str
    terms: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lookup: dict[str, str] = field(repr=False)

    def resolve(self, value: str) -> str | None:
        """The canonical term for a term or synonym (case-insensitive), else None."""
        return self.lookup.get(value.strip().casefold())

    def closest(self, value: str, n: int = 3) -> list[str]:
        keys = {k: v for k, v in self.lookup.items()}
        hits = difflib.get_close_matches(value.casefold(), list(keys), n=n * 2, cutoff=0.5)
        out: list[str] = []
        for hit in hits:
            if keys[hit] not in out:
                out.append(keys[hit])
        return out[:n]

    def broader(self, term: str) -> str | None:
        return self.broader_of.get(term)

    @cached_property
    def broader_of(self) -> dict[str, str | None]:
        """term -> broader term (e.g. CTCAE term -> its system organ class)."""
        return {r["term"]: r.get("broader") or None for r in self.rows}


@cache
def vocabulary(name: str) -> Vocabulary:
    path = schema_dir() / "vocabularies" / f"{name}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = tuple(csv.DictReader(fh))
    lookup: dict[str, str] = {}
    for row in rows:
        for syn in filter(None, (s.strip() for s in (row.get("synonyms") or "").split(";"))):
            lookup.setdefault(syn.casefold(), row["term"])
    for row in rows:  # terms win over synonyms
        lookup[row["term"].casefold()] = row["term"]
    return Vocabulary(name, tuple(r["term"] for r in rows), rows, lookup)


@cache
def property_vocabulary(prop: str) -> str | None:
    """The vocabulary a drug_properties value of this property is normalized to (None: the source's words)."""
    rows = {r["term"]: r for r in vocabulary("drug_property").rows}
    return (rows.get(prop) or {}).get("value_vocabulary") or None


def vocabulary_names() -> list[str]:
    return sorted(p.stem for p in (schema_dir() / "vocabularies").glob("*.csv"))


def _load_yaml(path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def package_meta() -> dict[str, Any]:
    return _load_yaml(schema_dir() / "package.yaml")


def table_names() -> list[str]:
    return list(package_meta()["tables"])


@cache
def table(name: str) -> dict[str, Any]:
    """The table's schema, with the common claim columns appended to claim tables."""
    if name not in table_names():
        raise KeyError(f"unknown table {name!r}; tables are {', '.join(table_names())}")
    spec = _load_yaml(schema_dir() / "tables" / f"{name}.yaml")
    if spec.get("mabdata:kind") == "claim":
        spec["fields"] = spec["fields"] + _load_yaml(schema_dir() / "claim.yaml")
    # A foreign-key column takes the identifier pattern of the column it references, so a
    # malformed CURIE is reported as such, not only as a dangling reference.
    by_name = {f["name"]: f for f in spec["fields"]}
    for fk in spec.get("foreignKeys", []):
        ref = fk["reference"]
        if ref["resource"] == name:
            continue
        target = {f["name"]: f for f in table(ref["resource"])["fields"]}[ref["fields"][0]]
        pattern = (target.get("constraints") or {}).get("pattern")
        own = by_name[fk["fields"][0]].setdefault("constraints", {})
        if pattern and "pattern" not in own:
            own["pattern"] = pattern
    return spec


def fields(name: str) -> list[dict[str, Any]]:
    return table(name)["fields"]


def field_names(name: str) -> list[str]:
    return [f["name"] for f in fields(name)]


def primary_key(name: str) -> list[str]:
    return list(table(name)["primaryKey"])


def kind(name: str) -> str:
    """entity, claim, child (part of its parent claim, e.g. dosing_steps) or evidence."""
    return table(name)["mabdata:kind"]


def claim_tables() -> list[str]:
    return [t for t in table_names() if kind(t) == "claim"]


def child_tables(parent: str) -> list[str]:
    return [t for t in table_names() if kind(t) == "child" and table(t)["mabdata:parent"] == parent]


def natural_key(name: str) -> list[str]:
    """The columns that make a claim distinct (restating it adds evidence, not a row)."""
    return list(table(name).get("mabdata:naturalKey") or primary_key(name))


def id_prefix(name: str) -> str:
    return table(name)["mabdata:idPrefix"]


def required(f: dict[str, Any]) -> bool:
    return bool((f.get("constraints") or {}).get("required"))


def vocab_of(f: dict[str, Any]) -> str | None:
    return f.get("mabdata:vocabulary")


def stated_fields(name: str) -> list[str]:
    """Columns holding the source's own words: each value must occur verbatim in the row's quote."""
    return [f["name"] for f in fields(name) if f.get("mabdata:stated")]


def stated_numbers(name: str) -> list[str]:
    """Numeric columns the source states (incidences, results, doses): each value must occur in
    a quote of the claim, as digits or a number word, unless a quote lists it as inferred."""
    return [f["name"] for f in fields(name) if f.get("mabdata:statedNumber")]


def surface_of(f: dict[str, Any]) -> str | None:
    """The stated column that names this normalized value (condition_id -> condition_term)."""
    return f.get("mabdata:surface")


def curated_fields(name: str) -> list[dict[str, Any]]:
    """Fields a curator writes in a curation file (not derived; a child's parent key is implied)."""
    parent_key = primary_key(table(name)["mabdata:parent"])[0] if kind(name) == "child" else None
    return [f for f in fields(name) if not f.get("mabdata:derived") and f["name"] != parent_key]


# ---- Frictionless ---------------------------------------------------------------------------


def frictionless_schema(name: str) -> dict[str, Any]:
    """Frictionless Table Schema v2 descriptor; vocabulary fields get their terms as enum."""
    out_fields = []
    for f in fields(name):
        g = {k: v for k, v in f.items() if not k.startswith("mabdata:")}
        constraints = dict(g.get("constraints") or {})
        if vocab_of(f):
            constraints["enum"] = list(vocabulary(vocab_of(f)).terms)
        if constraints:
            g["constraints"] = constraints
        if f["type"] == "boolean":
            g["trueValues"], g["falseValues"] = ["true"], ["false"]
        out_fields.append(g)
    spec = table(name)
    out: dict[str, Any] = {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "fields": out_fields,
        "missingValues": [""],
        "primaryKey": spec["primaryKey"],
    }
    if spec.get("foreignKeys"):
        out["foreignKeys"] = spec["foreignKeys"]
    return out


# ---- pandas / pyarrow -----------------------------------------------------------------------


@cache
def _pandas_dtypes(name: str) -> tuple[tuple[str, Any], ...]:
    return tuple(_build_dtypes(name).items())


def pandas_dtypes(name: str) -> dict[str, Any]:
    """Declared pandas dtypes: categoricals with the full closed list, nullable numerics."""
    return dict(_pandas_dtypes(name))


def _build_dtypes(name: str) -> dict[str, Any]:
    """Declared pandas dtypes: categoricals with the full closed list, nullable numerics."""
    import pandas as pd
    import pyarrow as pa

    out: dict[str, Any] = {}
    for f in fields(name):
        if vocab_of(f):
            out[f["name"]] = pd.CategoricalDtype(list(vocabulary(vocab_of(f)).terms))
        else:
            out[f["name"]] = {
                "string": pd.StringDtype(),
                "integer": pd.Int64Dtype(),
                "number": pd.Float64Dtype(),
                "boolean": pd.BooleanDtype(),
                "date": pd.ArrowDtype(pa.date32()),
            }[f["type"]]
    return out


def arrow_schema(name: str) -> pa.Schema:
    """The Parquet schema. Vocabulary columns are plain strings, not an Arrow dictionary type:
    Parquet dictionary-encodes them on disk either way, `mabdata.load` makes them categoricals
    with the full closed list, and Hugging Face `datasets` can cast plain strings to the
    dataset card's ClassLabel features but not dictionary-typed columns."""
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    return pa.schema(
        [
            pa.field(
                f["name"],
                types[f["type"]],
                nullable=not required(f),
            )
            for f in fields(name)
        ]
    )


# ---- Pandera ---------------------------------------------------------------------------------


@cache
def pandera_schema(name: str, categorical: bool = True) -> pa_schema.DataFrameSchema:
    """Pandera schema: dtype, nullability, uniqueness, vocabulary, pattern and range per column.

    With categorical=False vocabulary columns are plain strings checked with `isin`, so a
    validator sees an out-of-vocabulary value instead of the NA a categorical cast makes of it.
    """
    import pandas as pd
    import pandera.pandas as pa_schema

    dtypes = pandas_dtypes(name)
    if not categorical:
        dtypes = {k: pd.StringDtype() if isinstance(v, pd.CategoricalDtype) else v for k, v in dtypes.items()}
    columns = {}
    for f in fields(name):
        c = f.get("constraints") or {}
        checks = []
        if vocab_of(f):
            checks.append(pa_schema.Check.isin(list(vocabulary(vocab_of(f)).terms), name="vocabulary"))
        if "pattern" in c:
            checks.append(pa_schema.Check.str_matches(c["pattern"], name="pattern"))
        if "minLength" in c:
            checks.append(pa_schema.Check.str_length(min_value=c["minLength"], name="minLength"))
        if "minimum" in c:
            checks.append(pa_schema.Check.ge(c["minimum"], name="minimum"))
        if "maximum" in c:
            checks.append(pa_schema.Check.le(c["maximum"], name="maximum"))
        columns[f["name"]] = pa_schema.Column(
            dtypes[f["name"]],
            checks=checks,
            nullable=not required(f),
            unique=bool(c.get("unique")),
            description=f.get("description"),
            title=f["name"],
        )
    return pa_schema.DataFrameSchema(
        columns,
        name=name,
        strict=True,
        ordered=True,
        unique=primary_key(name) if len(primary_key(name)) > 1 else None,
        description=table(name).get("description"),
    )


def cast(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Columns in schema order with the declared dtypes (values outside a vocabulary become NA)."""
    dtypes = pandas_dtypes(name)
    return df[list(dtypes)].astype(dtypes)


def column_checks(name: str) -> list[tuple[str, str, Any]]:
    """(column, check, argument) for each declared value check, in Pandera's order per column:
    vocabulary, pattern, minLength, minimum, maximum. Read from the same constraints as
    `pandera_schema`, so `mabdata validate` (which runs them vectorised) and the Pandera schema
    users get check one declaration."""
    out: list[tuple[str, str, Any]] = []
    for f in fields(name):
        c = f.get("constraints") or {}
        if vocab_of(f):
            out.append((f["name"], "vocabulary", vocabulary(vocab_of(f)).terms))
        out += [(f["name"], key, c[key]) for key in ("pattern", "minLength", "minimum", "maximum") if key in c]
    return out
