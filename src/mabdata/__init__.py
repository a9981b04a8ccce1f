"""mabdata: therapeutic monoclonal antibodies, every fact traced to its source sentence.

import mabdata
mabdata.tables()            # table names
mabdata.load("drugs")       # DataFrame with the declared dtypes
mabdata.load("indications", evidence=True)  # each claim with each of its quotes
mabdata.load_all()          # {name: DataFrame}
mabdata.schema("drugs")     # Pandera DataFrameSchema
mabdata.package()           # the Frictionless descriptor as a dict
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

try:
    __version__ = metadata.version("mabdata")
except metadata.PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0+unknown"

__all__ = ["__version__", "load", "load_all", "package", "schema", "tables"]


def _dir(path: str | Path | None) -> Path:
    from mabdata.paths import default_package_dir

    return Path(path) if path else default_package_dir()


def tables() -> list[str]:
    """Names of the published tables, in publication order."""
    from mabdata import schemas as _schema

    return _schema.table_names()


def load(
    name: str,
    format: Literal["parquet", "csv"] = "parquet",
    validate: bool = False,
    path: str | Path | None = None,
    evidence: bool = False,
) -> pd.DataFrame:
    """One table with its declared dtypes (identical whichever format is read).

    With evidence=True (claim tables and dosing_steps), one row per claim and supporting quote:
    the claim's columns, then evidence_id and the evidence columns prefixed `evidence_` (quote, source_id,
    section, offsets, support, inferred_fields, curation_note)."""
    if evidence:
        return _with_evidence(name, format, validate, path)
    import pandas as pd

    from mabdata import schemas as _schema

    if name not in _schema.table_names():
        raise KeyError(f"unknown table {name!r}; tables are {', '.join(_schema.table_names())}")
    base = _dir(path) / "data"
    if format == "parquet":
        df = pd.read_parquet(base / f"{name}.parquet")
    elif format == "csv":
        from mabdata.validate import _read_csv

        problems: list = []
        df = _read_csv(base.parent, name, problems)
        if df is None or problems:
            raise ValueError("; ".join(map(str, problems)) or f"cannot read {name}.csv")
    else:
        raise ValueError(f"format must be 'parquet' or 'csv', not {format!r}")
    df = _schema.cast(df, name)
    if validate:
        _schema.pandera_schema(name).validate(df, lazy=True)
    return df


def _with_evidence(name: str, format: Literal["parquet", "csv"], validate: bool, path: str | Path | None) -> pd.DataFrame:
    from mabdata import schemas as _schema

    kind = _schema.kind(name) if name in _schema.table_names() else None
    if kind not in ("claim", "child"):
        raise ValueError(f"evidence=True needs a claim table (or dosing_steps), not {name!r}")
    claims = load(name, format=format, validate=validate, path=path)
    owner = _schema.table(name)["mabdata:parent"] if kind == "child" else name
    key = _schema.primary_key(owner)[0]
    ev = load("evidence", format=format, validate=validate, path=path)
    ev = ev[ev["claim_table"] == owner].drop(columns=["claim_table"])
    ev = ev.rename(columns={c: f"evidence_{c}" for c in ev.columns if c not in ("claim_id", "evidence_id")})
    out = claims.merge(ev, left_on=key, right_on="claim_id", how="left", validate="many_to_many")
    return out.drop(columns=["claim_id"]).reset_index(drop=True)


def load_all(format: Literal["parquet", "csv"] = "parquet", path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    return {name: load(name, format=format, path=path) for name in tables()}


def schema(name: str) -> pa.DataFrameSchema:
    """The Pandera schema of a table (vocabulary columns as categoricals)."""
    from mabdata import schemas as _schema

    return _schema.pandera_schema(name)


def package(path: str | Path | None = None) -> dict:
    """The Frictionless descriptor (datapackage.json) as a dict."""
    return json.loads((_dir(path) / "datapackage.json").read_text(encoding="utf-8"))
