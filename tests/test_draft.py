"""`mabdata draft`: valid curation files with verbatim quotes, nothing from page furniture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import copy_project

from mabdata import curation, publish
from mabdata.build import locate
from mabdata.draft import extract

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "002_f633e4ad168ed7ca.txt"


def test_draft_of_a_seed_is_a_valid_curation_file_with_verbatim_quotes(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mabdata", "draft", str(SEED), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / f"{SEED.stem}.yaml"
    parsed = curation.read(out)  # the curation-file schema accepts it as is
    text = SEED.read_text(encoding="utf-8")
    assert parsed.source.title == text.split("\n", 1)[0]
    assert len(parsed.statements) >= 20
    for st in parsed.statements:
        assert st.values["curation_status"] == "draft" and 0 <= st.values["confidence"] <= 1
        assert isinstance(locate(text, st.values["quote"], st.values["occurrence"]), tuple), st.values["quote"]
    tables = {st.table for st in parsed.statements}
    assert {"drugs", "drug_targets", "indications", "regimens", "adverse_events", "trial_results"} <= tables


def test_drafts_are_not_published_until_reviewed(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "seeds" / "004_new.txt").write_bytes(SEED.read_bytes())
    subprocess.run(
        [sys.executable, "-m", "mabdata", "draft", str(project / "seeds" / "004_new.txt"), "--out", str(project / "seeds")],
        check=True,
        capture_output=True,
    )
    publish.build(project)
    sources = (project / "datapackage" / "data" / "sources.csv").read_text()
    facts = (project / "datapackage" / "data" / "indications.csv").read_text()
    assert "004_new" in sources and "004_new" not in facts


def test_page_furniture_yields_no_statements():
    furniture = (
        "Related articles\n\n"
        "COX Enzymes: Central to Inflammation, Pain, and Cardiovascular Health\n\n"
        "Is There a Vaccine for Rheumatic Fever?\n\n"
        "Ceftazidime in Pseudomonas Infection Treatment: A Comprehensive Guide\n\n"
        "Click on the image below to read about pembrolizumab and nivolumab in melanoma!\n\n"
        "[ Disclaimer ] This page is for reference only and is not medical advice about rituximab.\n"
        "图形用户界面, 文本, 应用程序\n"
    )
    assert extract(furniture) == {}


def test_misspelled_inn_is_a_spelling_variant_of_the_named_drug():
    text = "Cemiplimab overview\nCemiplimab is an antibody. Doctors say cimepilimab blocks PD-1 and treats skin cancer.\n"
    names = {s["name"]: s for s in extract(text).get("drug_names", [])}
    assert names["cimepilimab"]["drug_id"] == "cemiplimab" and names["cimepilimab"]["name_type"] == "spelling_variant"


def test_evaluation_script_reports_per_table_scores(tmp_path):
    out = tmp_path / "eval.json"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "evaluate_draft.py"), "--json", str(out)], check=True, capture_output=True
    )
    import json

    result = json.loads(out.read_text())
    assert result["extractor"]["overall"]["f1"] > result["baseline"]["overall"]["f1"]
    assert set(result["extractor"]) >= {"drugs", "indications", "adverse_events", "trial_results", "overall"}
