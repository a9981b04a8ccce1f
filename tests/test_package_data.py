"""The published tables, checked directly from the files (independently of `mabdata validate`)."""

from __future__ import annotations

import csv
import hashlib

import pandas as pd
import pytest
from conftest import PKG, ROOT, SHARED, read_raw

from mabdata import keys, labels, schemas

CLAIM_TABLES = schemas.claim_tables()


def vocab_terms(name: str) -> set[str]:
    with open(ROOT / "schema" / "vocabularies" / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return {r["term"] for r in csv.DictReader(fh)}


@pytest.mark.parametrize("name", schemas.table_names())
def test_every_table_has_rows(raw_tables, name):
    assert len(raw_tables[name]) > 0


def test_every_quote_is_the_slice_of_its_source(raw_tables, texts):
    ev = raw_tables["evidence"]
    assert len(ev) > 0
    for i, r in enumerate(ev.itertuples(index=False), start=1):
        assert texts[r.source_id][int(r.quote_start) : int(r.quote_end)] == r.quote, f"evidence row {i}"


@pytest.mark.parametrize("name", schemas.table_names())
def test_primary_keys_are_unique_and_present(raw_tables, name):
    key = schemas.primary_key(name)
    df = raw_tables[name]
    assert (df[key] != "").all().all()
    assert not df.duplicated(key).any()


def _typed(name: str) -> list[dict]:
    import mabdata

    df = mabdata.load(name)
    return df.astype(object).where(df.notna(), None).to_dict("records")


@pytest.mark.parametrize("name", CLAIM_TABLES)
def test_natural_keys_are_unique_and_give_the_ids(name):
    """One row per claim: no two rows share a natural key, and each id is the hash of its key."""
    steps: dict[str, list[dict]] = {}
    for s in sorted(_typed("dosing_steps"), key=lambda s: s["step"]):
        steps.setdefault(s["regimen_id"], []).append(s)
    pk = schemas.primary_key(name)[0]
    rows = _typed(name)
    natural = [repr(keys.natural_key(name, r, steps.get(r[pk], []))) for r in rows]
    assert len(set(natural)) == len(natural)
    for r, key in zip(rows, natural, strict=True):
        assert keys.claim_id(name, eval(key)) == r[pk]  # noqa: S307 - repr of our own lists of str/float/None


@pytest.mark.parametrize("name", CLAIM_TABLES)
def test_every_claim_has_evidence_and_its_support(raw_tables, name):
    ev = raw_tables["evidence"]
    ev = ev[ev.claim_table == name]
    df = raw_tables[name]
    pk = schemas.primary_key(name)[0]
    assert set(df[pk]) == set(ev.claim_id)
    stated = set(ev.loc[ev.support == "stated", "claim_id"])
    expected = df[pk].map(lambda c: "stated" if c in stated else "inferred")
    assert (df.support == expected).all()


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


def test_vocabulary_files_are_well_formed_and_used():
    used = {schemas.vocab_of(f) for t in schemas.table_names() for f in schemas.fields(t)} - {None}
    used |= {r["value_vocabulary"] for r in csv.DictReader(open(ROOT / "schema/vocabularies/drug_property.csv"))} - {""}
    for path in sorted((ROOT / "schema" / "vocabularies").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            assert header[:5] == ["term", "code", "system", "synonyms", "description"], path.name
            for row in reader:
                assert len(row) == len(header), f"{path.name}: {row}"
        assert path.stem in used, f"{path.name} is used by no column"
    assert vocab_terms("claim_table") == set(CLAIM_TABLES)


def test_source_texts_are_the_seeds_and_the_rendered_labels(raw_tables):
    for r in raw_tables["sources"].itertuples(index=False):
        data = (PKG / r.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r.sha256
        if r.kind == "web monograph":
            assert (ROOT / "seeds" / f"{r.source_id}.txt").read_bytes() == data
            if (SHARED / "seeds").is_dir():
                assert (SHARED / "seeds" / f"{r.source_id}.txt").read_bytes() == data
        else:
            raw = (ROOT / r.origin_file).read_bytes()
            assert hashlib.sha256(raw).hexdigest() == r.origin_sha256
            assert labels.render(raw, r.origin_file).text.encode("utf-8") == data
            assert (r.license, r.kind) == ("CC0-1.0", "FDA label")


def test_identifiers_come_from_reference_files(raw_tables):
    hgnc = pd.read_csv(ROOT / "reference/hgnc/hgnc_subset.tsv", sep="\t", dtype=str, keep_default_na=False)
    all_targets = raw_tables["targets"]
    # Non-protein targets (GD2) have no gene: their name is Thera-SAbDab's target text, no identifiers.
    other = all_targets[all_targets.target_type == "non-protein"]
    sabdab = pd.read_csv(ROOT / "reference/therasabdab/therasabdab_subset.csv", dtype=str, keep_default_na=False)
    assert set(other.target_id) <= set(sabdab["Target"]) and (other.hgnc_id == "").all() and (other.uniprot_id == "").all()
    targets = all_targets[all_targets.target_type != "non-protein"].merge(
        hgnc, left_on="target_id", right_on="symbol", how="left"
    )
    assert len(targets) and (targets.hgnc_id_x == targets.hgnc_id_y).all()
    assert (targets.uniprot_id == targets.uniprot_ids.str.replace("|", ";")).all()
    doid = pd.read_csv(ROOT / "reference/disease_ontology/doid_subset.tsv", sep="\t", dtype=str, keep_default_na=False)
    cond = raw_tables["conditions"].merge(doid, left_on="condition_id", right_on="doid", how="left")
    assert (cond.name_x == cond.name_y).all() and (cond.mesh_ids_x == cond.mesh_ids_y).all()
    bank = pd.read_csv(ROOT / "reference/drugbank_vocab/drugbank_subset.csv", dtype=str, keep_default_na=False)
    drugs = raw_tables["drugs"].merge(bank, left_on="inn", right_on=bank["Common name"].str.lower(), how="left")
    known = drugs["DrugBank ID"].notna()
    assert (drugs.drugbank_id[known] == drugs["DrugBank ID"][known]).all() and (drugs.unii[known] == drugs.UNII[known]).all()
    assert (drugs.drugbank_id[~known] == "").all()


@pytest.mark.skipif(not (SHARED / "vocab").is_dir(), reason="../shared/vocab is not beside the checkout")
def test_reference_subsets_regenerate_from_shared(tmp_path):
    import shutil
    import subprocess
    import sys

    project = tmp_path / "p"
    for item in ("seeds", "schema", "reference", "scripts"):
        shutil.copytree(ROOT / item, project / item)
    (project / "labels").mkdir()
    for path in (ROOT / "labels").glob("*.yaml"):
        shutil.copy2(path, project / "labels" / path.name)
    subprocess.run([sys.executable, "scripts/update_reference.py", "--vocab", str(SHARED / "vocab")], cwd=project, check=True)
    for path in sorted((ROOT / "reference").rglob("*")) + sorted((ROOT / "schema" / "vocabularies").glob("*.csv")):
        if path.is_file():
            rel = path.relative_to(ROOT)
            assert (project / rel).read_bytes() == path.read_bytes(), rel


def test_no_meddra_codes_are_published(raw_tables):
    ctcae = pd.read_csv(ROOT / "schema/vocabularies/ctcae_term.csv", dtype=str, keep_default_na=False)
    assert (ctcae.code == "").all()
    for name in ("adverse_events", "evidence"):
        assert not raw_tables[name].apply(lambda c: c.str.fullmatch(r"100\d{5}")).any().any()


def test_page_furniture_yields_no_claims(raw_tables, texts):
    ev = raw_tables["evidence"]
    markers = {
        "000_ce48de2c0629de8e": "Reference materials:",
        "001_b735163c3ee337a8": "Reference materials:",
        "002_f633e4ad168ed7ca": "COX Enzymes: Central to Inflammation",
        "003_1bfec97f6d0247a0": "How to obtain the latest development progress",
    }
    for sid, marker in markers.items():
        end = ev.loc[ev.source_id == sid, "quote_end"].astype(int)
        assert (end <= texts[sid].index(marker)).all(), sid
    labels_ev = ev[ev.section != ""]
    assert not labels_ev.quote.str.contains("To report SUSPECTED ADVERSE REACTIONS").any()
    # A table caption alone is furniture; a quote may start at the caption (it names the
    # population) only when it runs on into the table's figures.
    captioned = labels_ev.quote[labels_ev.quote.str.match(r"^Table \d+:")]
    assert (captioned.str.count(r"\d+(?:\.\d+)?%?") >= 4).all(), captioned[captioned.str.count(r"\d") < 4].tolist()
    assert not ev.quote.str.contains(r"\n\[[A-Z][a-z]").any()  # no rendered [Heading] line inside a quote


def one(df: pd.DataFrame, **where) -> pd.Series:
    hit = df
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, where
    return hit.iloc[0]


def test_spot_checks_of_curated_claims(raw_tables):
    t = raw_tables
    soca = one(t["regimens"], drug_id="socazolimab")
    assert soca.route == "INTRAVENOUS" and soca.support == "inferred"
    step = one(t["dosing_steps"], regimen_id=soca.regimen_id)
    assert (step.dose_value, step.dose_unit, step.frequency, step.period, step.period_max, step.period_unit) == (
        "5.0",
        "mg/kg",
        "1",
        "2.0",
        "3.0",
        "wk",
    )
    assert (step.infusion_duration, step.infusion_duration_max, step.max_duration, step.max_duration_unit) == (
        "30.0",
        "60.0",
        "2.0",
        "a",
    )
    ms = t["regimens"][(t["regimens"].drug_id == "alemtuzumab") & (t["regimens"].condition_id == "DOID:2377")]
    courses = t["dosing_steps"][t["dosing_steps"].regimen_id == ms.regimen_id.item()].sort_values("step")
    assert list(courses["count"]) == ["5", "3"] and list(courses.offset) == ["", "12.0"]
    cll = t["regimens"][(t["regimens"].drug_id == "alemtuzumab") & (t["regimens"].condition_id == "DOID:1040")]
    thrice = one(t["dosing_steps"], regimen_id=cll.regimen_id.item())
    assert (thrice.frequency, thrice.period, thrice.period_unit) == ("3", "1.0", "wk")
    nmpa = one(t["indications"], drug_id="socazolimab", regulator="NMPA")
    assert (nmpa.status, nmpa.line_of_therapy, nmpa.condition_id) == ("approved", "second-line", "DOID:4362")
    ema_cll = one(t["indications"], drug_id="alemtuzumab", regulator="EMA", condition_id="DOID:1040")
    assert ema_cll.support == "inferred"
    orr = one(t["trial_results"], drug_id="socazolimab", endpoint="ORR", subgroup="", comparator="")
    assert (orr.value, orr.unit, orr.flag) == ("15.4", "%", "internally inconsistent")
    names = t["drug_names"].set_index("name")
    assert names.loc["cimepilimab", "name_type"] == "spelling_variant"
    assert (names.loc["Xacoyi", "name_type"], names.loc["Xacoyi", "in_reference"], names.loc["Xacoyi", "flag"]) == (
        "brand",
        "false",
        "not in reference",
    )
    props = t["drug_properties"]
    web = one(props, drug_id="isatuximab", property="sequence_source", value="humanized")
    label = one(props, drug_id="isatuximab", property="sequence_source", value="chimeric")
    assert (web.matches_reference, web.flag, label.matches_reference) == ("false", "disagrees with reference", "true")
    pneumonia = one(t["adverse_events"], drug_id="cemiplimab", term="pneumonia", category="immune-related")
    assert (pneumonia.ctcae_term, pneumonia.flag) == ("", "ambiguous")
    assert set(t["drug_targets"].query("drug_id == 'isatuximab'").mechanism) >= {"ADCC", "ADCP", "CDC", "apoptosis"}


def test_read_parquet_with_plain_pandas():
    df = pd.read_parquet(PKG / "data" / "drug_names.parquet")
    assert list(df.columns) == schemas.field_names("drug_names")
    assert len(df) == len(read_raw(PKG, "drug_names"))
