"""What every FDA label must give the dataset, checked on the published tables (issues 11 and 12):
targets, indications, a regimen with dose and route, contraindications (or the stated "None"),
boxed-warning hazards, Warnings-and-Precautions hazards, most-common reactions with thresholds,
and a study with numeric results. And every web-monograph claim about a drug with a label is
corroborated."""

from __future__ import annotations

import pandas as pd
import pytest

import mabdata
from mabdata import schemas


@pytest.fixture(scope="module")
def t() -> dict[str, pd.DataFrame]:
    return {name: mabdata.load(name) for name in mabdata.tables()}


def claims_from(t: dict[str, pd.DataFrame], source: str, table: str, section: str | None = None) -> pd.DataFrame:
    ev = t["evidence"]
    ev = ev[(ev.source_id == source) & (ev.claim_table == table)]
    if section:
        ev = ev[ev.section == section]
    pk = schemas.primary_key(table)[0]
    return t[table][t[table][pk].isin(set(ev.claim_id))]


LABELS = [s for s in mabdata.load("sources").query("kind == 'FDA label'").source_id]


@pytest.mark.parametrize("source", LABELS)
def test_every_label_gives_its_required_claims(t, source):
    sections = set(t["source_sections"].loc[t["source_sections"].source_id == source, "section"])
    assert len(claims_from(t, source, "drug_targets")) >= 1
    indications = claims_from(t, source, "indications", "indications_and_usage")
    assert (indications.status == "approved").any() and (indications.regulator == "FDA").all()
    regimens = claims_from(t, source, "regimens")
    steps = t["dosing_steps"][t["dosing_steps"].regimen_id.isin(regimens.regimen_id)]
    with_route = set(regimens.loc[regimens.route.notna(), "regimen_id"])
    assert (steps.dose_value.notna() & steps.regimen_id.isin(with_route)).any(), "a regimen with dose and route"
    assert len(claims_from(t, source, "contraindications", "contraindications")) >= 1, "contraindications or 'None'"
    if "boxed_warning" in sections:
        boxed = claims_from(t, source, "adverse_events", "boxed_warning")
        assert len(boxed) >= 1 and boxed.serious.fillna(False).all(), "boxed-warning hazards, serious"
    assert len(claims_from(t, source, "adverse_events", "warnings_and_cautions")) >= 1, "W&P hazards"
    common = claims_from(t, source, "adverse_events")
    common = common[common.category == "most common"]
    assert common.threshold.notna().any() and (common.threshold.notna() == common.threshold_relation.notna()).all()
    unthresholded = set(common.loc[common.threshold.isna(), "adverse_event_id"])
    quotes = t["evidence"].loc[t["evidence"].claim_id.isin(unthresholded), "quote"]
    # A "most common" statement without a threshold is one whose sentence states none.
    assert not quotes.str.contains(r"most common[^.]{0,40}\((?:≥|>|greater)", regex=True).any()
    studies = claims_from(t, source, "studies")
    results = t["trial_results"][t["trial_results"].study_id.isin(studies.study_id)]
    assert results.value.notna().any(), "a study with numeric results"


def test_every_web_claim_about_a_labelled_drug_is_corroborated(t):
    kinds = t["sources"].set_index("source_id")["kind"]
    ev = t["evidence"].assign(kind=lambda e: e.source_id.map(kinds))
    labelled = set(ev.loc[ev.kind == "FDA label", "claim_id"])
    drugs_with_labels = set()
    for table in schemas.claim_tables():
        df = t[table]
        drugs_with_labels |= set(df.loc[df[schemas.primary_key(table)[0]].isin(labelled), "drug_id"])
    assert {"cemiplimab", "isatuximab"} <= drugs_with_labels
    web = ev[ev.kind == "web monograph"]
    expected = set()
    for table in schemas.claim_tables():
        df = t[table]
        pk = schemas.primary_key(table)[0]
        mine = df[df[pk].isin(set(web.claim_id)) & df.drug_id.isin(drugs_with_labels)]
        expected |= {(table, c) for c in mine[pk]}
    corr = t["corroborations"]
    assert set(zip(corr.claim_table.astype(str), corr.claim_id, strict=True)) == expected
    assert set(corr.drug_id) == {"cemiplimab", "isatuximab"}
    judged = corr.set_index("claim_id")
    xacoyi = t["drug_names"].query("name == 'Xacoyi'").name_id.item()
    assert judged.at[xacoyi, "judgement"] == "contradicts"  # the label's brand is SARCLISA
    humanized = t["drug_properties"].query("drug_id == 'cemiplimab' and value == 'humanized'").property_id.item()
    assert judged.at[humanized, "judgement"] == "contradicts"  # the label: human
    mcrc = t["indications"].query("drug_id == 'cemiplimab' and condition_id == 'DOID:9256'").indication_id.item()
    assert judged.at[mcrc, "judgement"] == "not stated"  # no colorectal indication in the label
