"""The Python loading API."""

from __future__ import annotations

import pandas as pd
import pytest

import mabdata
from mabdata import schemas


@pytest.mark.parametrize("name", schemas.table_names())
def test_parquet_and_csv_load_identically_with_declared_dtypes(name):
    pq, csv = mabdata.load(name), mabdata.load(name, format="csv")
    pd.testing.assert_frame_equal(pq, csv)
    assert dict(pq.dtypes) == schemas.pandas_dtypes(name)


def test_vocabulary_columns_are_categoricals_with_the_full_list():
    df = mabdata.load("indications")
    assert list(df["status"].cat.categories) == list(schemas.vocabulary("indication_status").terms)


def test_claims_with_their_quotes_in_one_call():
    regimens = mabdata.load("regimens", evidence=True)
    claims = mabdata.load("regimens")
    ev = mabdata.load("evidence")
    assert len(regimens) == (ev["claim_table"] == "regimens").sum()
    assert set(regimens["regimen_id"]) == set(claims["regimen_id"])
    assert {"evidence_id", "evidence_quote", "evidence_source_id", "evidence_support"} <= set(regimens.columns)
    steps = mabdata.load("dosing_steps", evidence=True)  # a child table gets its parent's quotes
    assert steps["evidence_quote"].notna().all()
    with pytest.raises(ValueError, match="claim table"):
        mabdata.load("drugs", evidence=True)


def test_load_validate_and_api():
    assert mabdata.tables()[0] == "sources" and "trial_results" in mabdata.tables()
    df = mabdata.load("trial_results", validate=True)
    assert df["value"].dtype == "Float64"
    assert set(mabdata.load_all()) == set(mabdata.tables())
    assert mabdata.schema("drugs").name == "drugs"
    assert mabdata.package()["resources"][0]["name"] == "sources"
    with pytest.raises(KeyError):
        mabdata.load("nope")
