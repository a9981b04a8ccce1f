"""The published tables, checked directly from the files (independently of `mabdata validate`)."""

from __future__ import annotations

import csv
import hashlib

import pandas as pd
import pytest
from conftest import PKG, ROOT, SHARED, read_raw

from mabdata import schemas

FACT_TABLES = [t for t in schemas.table_names() if schemas.is_fact_table(t)]


def vocab_terms(name: str) -> set[str]:
    with open(ROOT / "schema" / "vocabularies" / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return {r["term"] for r in csv.DictReader(fh)}


@pytest.mark.parametrize("name", schemas.table_names())
def test_every_table_has_rows(raw_tables, name):
    assert len(raw_tables[name]) > 0


@pytest.mark.parametrize("name", FACT_TABLES)
def test_every_quote_is_the_slice_of_its_source(raw_tables, texts, name):
    df = raw_tables[name]
    for i, r in enumerate(df.itertuples(index=False), start=1):
        text = texts[r.source_id]
        assert text[int(r.quote_start) : int(r.quote_end)] == r.quote, f"{name} row {i}"


@pytest.mark.parametrize("name", schemas.table_names())
def test_primary_keys_are_unique_and_present(raw_tables, name):
    key = schemas.primary_key(name)
    df = raw_tables[name]
    assert (df[key] != "").all().all()
    assert not df.duplicated(key).any()


@pytest.mark.parametrize("name", schemas.table_names())
def test_foreign_keys_resolve(raw_tables, name):
    for fk in schemas.table(name).get("foreignKeys", []):
        col, ref = fk["fields"][0], fk["reference"]
        values = set(raw_tables[name][col]) - {""}
        known = set(raw_tables[ref["resource"]][ref["fields"][0]])
        assert values <= known, f"{name}.{col}: {sorted(values - known)}"


@pytest.mark.parametrize("name", schemas.table_names())
def test_vocabulary_columns_are_closed(raw_tables, name):
    for f in schemas.fields(name):
        if schemas.vocab_of(f):
            values = set(raw_tables[name][f["name"]]) - {""}
            assert values <= vocab_terms(schemas.vocab_of(f)), f"{name}.{f['name']}"


def test_seed_copies_are_verbatim(raw_tables):
    for r in raw_tables["sources"].itertuples(index=False):
        data = (ROOT / "seeds" / f"{r.source_id}.txt").read_bytes()
        assert (PKG / r.path).read_bytes() == data
        assert hashlib.sha256(data).hexdigest() == r.sha256
        if (SHARED / "seeds").is_dir():
            assert (SHARED / "seeds" / f"{r.source_id}.txt").read_bytes() == data


def test_identifiers_come_from_reference_files(raw_tables):
    hgnc = pd.read_csv(ROOT / "reference/hgnc/hgnc_subset.tsv", sep="\t", dtype=str, keep_default_na=False)
    targets = raw_tables["targets"].merge(hgnc, left_on="target_id", right_on="symbol", how="left")
    assert (targets.hgnc_id_x == targets.hgnc_id_y).all()
    assert (targets.uniprot_id == targets.uniprot_ids).all()
    doid = pd.read_csv(ROOT / "reference/disease_ontology/doid_subset.tsv", sep="\t", dtype=str, keep_default_na=False)
    cond = raw_tables["conditions"].merge(doid, left_on="condition_id", right_on="doid", how="left")
    assert (cond.name_x == cond.name_y).all() and (cond.mesh_ids_x == cond.mesh_ids_y).all()
    bank = pd.read_csv(ROOT / "reference/drugbank_vocab/drugbank_subset.csv", dtype=str, keep_default_na=False)
    drugs = raw_tables["drugs"].merge(bank, left_on="inn", right_on=bank["Common name"].str.lower(), how="left")
    assert (drugs.drugbank_id == drugs["DrugBank ID"]).all() and (drugs.unii == drugs.UNII).all()


@pytest.mark.skipif(not (SHARED / "vocab").is_dir(), reason="../shared/vocab is not beside the checkout")
def test_reference_subsets_regenerate_from_shared(tmp_path):
    import subprocess
    import sys

    from conftest import copy_project

    project = copy_project(tmp_path / "p", with_package=False)
    (project / "scripts").mkdir()
    (project / "scripts" / "update_reference.py").write_bytes((ROOT / "scripts" / "update_reference.py").read_bytes())
    subprocess.run([sys.executable, "scripts/update_reference.py", "--vocab", str(SHARED / "vocab")], cwd=project, check=True)
    for path in sorted((ROOT / "reference").rglob("*")) + sorted((ROOT / "schema" / "vocabularies").glob("*.csv")):
        if path.is_file():
            rel = path.relative_to(ROOT)
            assert (project / rel).read_bytes() == path.read_bytes(), rel


def test_no_meddra_codes_are_published(raw_tables):
    ctcae = pd.read_csv(ROOT / "schema/vocabularies/ctcae_term.csv", dtype=str, keep_default_na=False)
    assert (ctcae.code == "").all()
    assert not raw_tables["adverse_events"].apply(lambda c: c.str.fullmatch(r"100\d{5}")).any().any()


def test_page_furniture_yields_no_facts(raw_tables, texts):
    markers = {
        "000_ce48de2c0629de8e": "Reference materials:",
        "001_b735163c3ee337a8": "Reference materials:",
        "002_f633e4ad168ed7ca": "COX Enzymes: Central to Inflammation",
        "003_1bfec97f6d0247a0": "How to obtain the latest development progress",
    }
    for name in FACT_TABLES:
        df = raw_tables[name]
        for sid, marker in markers.items():
            end = df.loc[df.source_id == sid, "quote_end"].astype(int)
            assert (end <= texts[sid].index(marker)).all(), (name, sid)


def row(df: pd.DataFrame, **where) -> pd.Series:
    hit = df
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, where
    return hit.iloc[0]


def test_spot_checks_of_curated_facts(raw_tables):
    t = raw_tables
    orr = row(t["trial_results"], drug_id="socazolimab", endpoint="ORR", subgroup="", phase="")
    assert (orr.value, orr.unit, orr.condition_id) == ("15.4", "%", "DOID:4362")
    os_ = row(t["trial_results"], drug_id="socazolimab", endpoint="OS", phase="phase 3")
    assert (os_.value, os_.comparator_value, os_.unit) == ("13.9", "11.58", "mo")
    course2 = row(t["regimens"], drug_id="alemtuzumab", course="2")
    assert (course2.course_days, course2.course_offset_months, course2.condition_id) == ("3", "12.0", "DOID:2377")
    dose = row(t["regimens"], drug_id="socazolimab", dose_unit="mg/kg")
    assert (dose.dose_value, dose.infusion_min_minutes, dose.infusion_max_minutes) == ("5.0", "30.0", "60.0")
    names = t["drug_names"].set_index("name")
    assert names.loc["cimepilimab", "name_type"] == "spelling_variant"
    assert names.loc["cimipilimab", "name_type"] == "spelling_variant"
    xacoyi = names.loc["Xacoyi"]
    assert (xacoyi.name_type, xacoyi.in_reference) == ("brand", "false") and "Sarclisa" in xacoyi.curation_note
    isa = row(t["drugs"], drug_id="isatuximab")
    assert (isa.sequence_source, isa.reference_sequence_source) == ("humanized", "chimeric") and isa.curation_note
    assert set(t["drug_targets"].query("drug_id == 'isatuximab'").mechanism) >= {"ADCC", "ADCP", "CDC", "apoptosis"}


def test_read_parquet_with_plain_pandas():
    df = pd.read_parquet(PKG / "data" / "drugs.parquet")
    assert list(df.columns) == schemas.field_names("drugs")
    assert len(df) == len(read_raw(PKG, "drugs"))
