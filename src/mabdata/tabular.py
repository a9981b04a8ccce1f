"""The published form of a table: its canonical CSV text, and its typed Arrow and polars forms.

Below both `publish` (which writes tables) and `validate` (which reads them back), so neither
imports the other for it. The CSV has one text per cell: "" for empty, floats in shortest
round-trip form, booleans as true/false, dates as ISO 8601. Reading parses that text straight
into the declared types with Arrow's CSV reader; `validate` guards the few cells where that
reader is laxer than the declared types (see `validate._csv_table`).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from mabdata import schemas as schema

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa


def canonical_strings(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Each cell as its one published text: "" for empty, floats in shortest round-trip form,
    booleans as true/false, dates as ISO 8601. Column-wise, so it scales to millions of rows."""
    import pandas as pd

    out = {}
    for f in schema.fields(name):
        s = df[f["name"]]
        missing = s.isna().to_numpy()
        kind = f["type"]
        if kind == "number":
            text = s.astype("float64").map(repr)
        elif kind == "integer":
            text = s.astype("Float64").astype("Int64").astype(object).map(str)
        elif kind == "boolean":
            text = s.astype(object).map({True: "true", False: "false"})
        elif kind == "date":
            text = s.astype(object).map(lambda d: d.isoformat() if d is not None and d is not pd.NA else "")
        else:
            text = s.astype(object)
        out[f["name"]] = text.astype(object).where(~missing, "")
    return pd.DataFrame(out, index=df.index)


def csv_bytes(df: pd.DataFrame, name: str) -> bytes:
    buf = io.StringIO()
    canonical_strings(df, name).to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


# ---- typed Arrow ------------------------------------------------------------------------------


def arrow_types(name: str, as_text: tuple[str, ...] = ()) -> dict[str, pa.DataType]:
    """Declared Arrow type of each column as read from CSV (vocabulary columns as plain strings;
    columns of the kinds in `as_text` as text, to be typed by the caller)."""
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}
    return {f["name"]: types["string" if f["type"] in as_text else f["type"]] for f in schema.fields(name)}


def read_csv_typed(data: bytes, name: str, as_text: tuple[str, ...] = ()) -> pa.Table:
    """The CSV body parsed straight into the declared types (empty cell = null; columns of the
    kinds in `as_text` left as text); raises pyarrow.ArrowInvalid on any cell that does not
    parse. Booleans are exactly true/false."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        pa.BufferReader(data),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=arrow_types(name, as_text),
            null_values=[""],
            true_values=["true"],
            false_values=["false"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def read_csv_text(data: bytes, columns: list[str]) -> pa.Table:
    """Every cell as text ("" for empty): the slow path that names bad cells."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        pa.BufferReader(data),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )


# ---- conversions ------------------------------------------------------------------------------


def to_polars(df: Any) -> pl.DataFrame:
    """A table (pandas with declared dtypes, Arrow, or polars) as polars with plain types:
    vocabulary columns as strings, nullable numbers, dates as dates."""
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    if isinstance(df, pl.DataFrame):
        frame = df
    elif isinstance(df, pa.Table):
        frame = pl.from_arrow(df, rechunk=False)
    elif isinstance(df, pd.DataFrame):
        cols = {}
        for c in df.columns:
            s = df[c]
            if isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(object).where(s.notna(), None).astype(pd.StringDtype())
            cols[c] = s
        frame = pl.from_pandas(pd.DataFrame(cols, index=df.index).reset_index(drop=True))
    else:
        raise TypeError(f"not a table: {type(df).__name__}")
    assert isinstance(frame, pl.DataFrame)
    casts = {c: pl.String for c, t in frame.schema.items() if t in (pl.Categorical, pl.Enum) or isinstance(t, pl.Categorical)}
    return frame.with_columns(pl.col(c).cast(t) for c, t in casts.items()) if casts else frame
