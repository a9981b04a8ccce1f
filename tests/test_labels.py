"""labels/: the openFDA label copies, their rendered texts, and mabdata.labels.render()."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from mabdata import labels
from mabdata.errors import MabdataError
from mabdata.labels import KEPT_FIELDS, METADATA_FIELDS, SKIPPED_FIELDS, RenderedLabel, render

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "labels"
RAW = LABELS / "raw"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "fda_labels"
VOCAB = ROOT / "schema" / "vocabularies" / "label_section.csv"
N_LABELS = 44


def load_script():
    spec = importlib.util.spec_from_file_location("import_labels", ROOT / "scripts" / "import_labels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def index_rows() -> dict[str, dict[str, str]]:
    with open(RAW / "INDEX.tsv", encoding="utf-8", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def raw() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(RAW.glob("BLA*.json"))}


@pytest.fixture(scope="module")
def rendered(raw) -> dict[str, RenderedLabel]:
    return {name: render(data, f"labels/raw/{name}") for name, data in raw.items()}


@pytest.fixture(scope="module")
def records(raw) -> dict[str, dict]:
    return {name: json.loads(data)["results"][0] for name, data in raw.items()}


# --- the committed copies and texts -------------------------------------------------------


def test_raw_files_match_index(raw):
    index = index_rows()
    assert len(raw) == N_LABELS
    assert set(raw) == set(index)
    for name, data in raw.items():
        assert hashlib.sha256(data).hexdigest() == index[name]["sha256"], name
    assert (RAW / "SOURCE.txt").is_file()


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared/corpus/fda_labels is not beside the checkout")
def test_raw_files_equal_the_shared_corpus():
    shared = sorted(p.name for p in SHARED_CORPUS.iterdir() if p.is_file())
    assert sorted(p.name for p in RAW.iterdir()) == shared
    for name in shared:
        assert (RAW / name).read_bytes() == (SHARED_CORPUS / name).read_bytes(), name


def test_rendered_texts_are_committed_byte_for_byte(rendered):
    assert sorted(p.name for p in LABELS.glob("*.txt")) == sorted(f"{Path(n).stem}.txt" for n in rendered)
    for name, label in rendered.items():
        data = (LABELS / f"{label.stem}.txt").read_bytes()
        assert data == label.text.encode("utf-8"), name
        assert b"\r" not in data and data.endswith(b"\n") and not data.endswith(b"\n\n")


def test_metadata_agrees_with_index(rendered):
    index = index_rows()
    for name, label in rendered.items():
        row, meta = index[name], label.meta
        assert (meta["set_id"], str(meta["version"]), meta["brand_name"]) == (row["set_id"], row["version"], row["brand_name"])
        assert meta["effective_date"] == dt.datetime.strptime(row["effective_time"], "%Y%m%d").date()
        assert meta["generic_name"].casefold() == row["generic_name"]
        assert meta["application_number"] == Path(name).stem
        assert isinstance(meta["version"], int) and isinstance(meta["routes"], tuple)
        assert label.text.split("\n", 1)[0] == label.title


# --- section offsets ----------------------------------------------------------------------


def test_every_section_slice_is_the_json_string(rendered, records):
    for name, label in rendered.items():
        record = records[name]
        for s in label.sections:
            assert label.text[s.start : s.end] == record[s.section][s.part - 1], (name, s)


def test_sections_cover_every_kept_field_and_nothing_else(rendered, records):
    for name, label in rendered.items():
        record = records[name]
        kept = [k for k in record if k in KEPT_FIELDS]
        parts = {(s.section, s.part) for s in label.sections}
        assert parts == {(k, i) for k in kept for i in range(1, len(record[k]) + 1)}, name
        assert not {k for k, _ in parts} & (set(SKIPPED_FIELDS) | set(METADATA_FIELDS)), name


def test_layout_is_title_then_headed_sections(rendered, records):
    """Rebuilding the text from title, headings and top-level parts gives it back exactly."""
    titles = labels._titles()
    for name, label in rendered.items():
        top = [s for s in label.sections if s.parent is None]
        pieces, previous = [label.title], None
        for s in top:
            pieces.append("\n" if s.section == previous else f"\n\n[{titles[s.section]}]\n")
            pieces.append(label.text[s.start : s.end])
            previous = s.section
        assert "".join(pieces) + "\n" == label.text, name
        order = list(dict.fromkeys(s.section for s in top))
        assert order == [k for k in labels.KEPT_FIELDS if k in order], name  # label order, not key order


def test_sections_do_not_overlap_and_headings_are_outside(rendered):
    titles = labels._titles()
    for name, label in rendered.items():
        top = [s for s in label.sections if s.parent is None]
        previous_end = len(label.title)
        for s in top:
            assert previous_end < s.start, (name, s)
            if s.part == 1:  # the heading line precedes the first string of a field
                heading = f"[{titles[s.section]}]"
                heading_start = s.start - 1 - len(heading)
                assert label.text[heading_start : s.start - 1] == heading, (name, s)
                assert previous_end < heading_start, (name, s)
            previous_end = s.end
        for s in label.sections:
            if s.parent is not None:
                inside = [t for t in top if t.section == s.parent and t.start <= s.start and s.end <= t.end]
                assert inside, (name, s)
        assert sorted(label.sections, key=lambda s: (s.start, -s.end, s.parent is not None)) == list(label.sections)


def test_subsections(rendered, records):
    """Rule 5 on the real labels: the subsections openFDA repeats inside their parent."""
    expected_parents = {
        "animal_pharmacology_and_or_toxicology": "nonclinical_toxicology",
        "carcinogenesis_and_mutagenesis_and_impairment_of_fertility": "nonclinical_toxicology",
        "geriatric_use": "use_in_specific_populations",
        "mechanism_of_action": "clinical_pharmacology",
        "pediatric_use": "use_in_specific_populations",
        "pharmacodynamics": "clinical_pharmacology",
        "pharmacogenomics": "clinical_pharmacology",
        "pharmacokinetics": "clinical_pharmacology",
        "pregnancy": "use_in_specific_populations",
        "storage_and_handling": "how_supplied",
    }
    fields = set()
    for name, label in rendered.items():
        subs = {(s.section, s.parent) for s in label.sections if s.parent is not None}
        for section, parent in subs:
            assert expected_parents[section] == parent, (name, section)
        fields |= {(name, section) for section, _ in subs}
        present = {k for k in expected_parents if k in records[name]}
        if name == "BLA761044.json":
            # Stelara's storage_and_handling: one string is inside dosage_and_administration, the other
            # inside how_supplied, so no single parent holds it all and it is rendered in full.
            assert {s.parent for s in label.sections if s.section == "storage_and_handling"} == {None}
            present.discard("storage_and_handling")
        assert {section for section, _ in subs} == present, name
    assert len(fields) == 344


def test_isatuximab_spot_check(rendered):
    label = rendered["BLA761113.json"]
    by_field = {s.section: s for s in label.sections}
    assert label.title.startswith("Sarclisa (ISATUXIMAB) prescribing information — openFDA BLA761113, SPL set ")
    assert label.title.endswith(" version 7, effective 2023-11-13")
    assert "[Indications and usage]\n1 INDICATIONS AND USAGE SARCLISA is indicated" in label.text
    assert by_field["indications_and_usage"].parent is None
    assert by_field["contraindications"].parent is None
    moa = by_field["mechanism_of_action"]
    assert moa.parent == "clinical_pharmacology"
    parent = by_field["clinical_pharmacology"]
    assert parent.start < moa.start < moa.end <= parent.end
    assert label.text[moa.start :].startswith("12.1 Mechanism of Action")
    assert "[Mechanism of action]" not in label.text
    assert label.meta["uniis"] and label.meta["manufacturer"] and label.meta["routes"] == ("INTRAVENOUS",)


def test_boxed_warnings_are_rendered(rendered, records):
    boxed = [n for n, r in records.items() if "boxed_warning" in r]
    assert len(boxed) == 21
    for name in boxed:
        label = rendered[name]
        (s,) = [s for s in label.sections if s.section == "boxed_warning"]
        assert s.parent is None
        assert label.text[: s.start].endswith("\n\n[Boxed warning]\n")
        assert label.text[s.start : s.end].upper().startswith("WARNING")
    assert all("[Boxed warning]" not in rendered[n].text for n in records if n not in boxed)


def test_patient_leaflets_and_carton_panels_are_not_rendered(rendered, records):
    for name, label in rendered.items():
        for field in (
            "spl_medguide",
            "spl_patient_package_insert",
            "instructions_for_use",
            "package_label_principal_display_panel",
        ):
            for string in records[name].get(field, ()):
                assert string not in label.text, (name, field)


def test_render_is_pure_and_deterministic(raw):
    data = raw["BLA761113.json"]
    copy = bytes(data)
    assert render(data, "x/BLA761113.json") == render(copy, "x/BLA761113.json")
    assert data == copy


# --- the vocabulary -----------------------------------------------------------------------


def test_vocabulary_lists_exactly_the_known_fields():
    with open(VOCAB, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["term", "code", "system", "synonyms", "description"]
        rows = list(reader)
    terms = [r["term"] for r in rows]
    assert terms == sorted(terms) and len(set(terms)) == len(terms)
    assert set(terms) == set(KEPT_FIELDS) | set(SKIPPED_FIELDS)
    assert not set(KEPT_FIELDS) & set(SKIPPED_FIELDS)
    for r in rows:
        assert (r["code"], r["system"], r["synonyms"]) == ("", "openFDA drug label field", ""), r
        assert r["description"] and r["description"][0].isupper(), r
    titles = {r["term"]: r["description"] for r in rows}
    assert titles["warnings_and_cautions"] == "Warnings and precautions"
    assert titles["boxed_warning"] == "Boxed warning"


def test_every_field_in_the_corpus_is_classified(records):
    for name, record in records.items():
        for key in record:
            base = key.removesuffix("_table")
            assert key in METADATA_FIELDS or base in KEPT_FIELDS or base in SKIPPED_FIELDS, (name, key)


# --- malformed input ----------------------------------------------------------------------

FILE = "labels/raw/BLA999999.json"


def minimal_record(**changes) -> dict:
    record = {
        "indications_and_usage": ["1 INDICATIONS AND USAGE X is indicated for Y."],
        "clinical_pharmacology": ["12 CLINICAL PHARMACOLOGY 12.1 Mechanism of Action X binds Z."],
        "mechanism_of_action": ["12.1 Mechanism of Action X binds Z."],
        "clinical_pharmacology_table": ["<table/>"],
        "set_id": "00000000-0000-0000-0000-000000000000",
        "id": "11111111-1111-1111-1111-111111111111",
        "effective_time": "20240131",
        "version": "3",
        "openfda": {"application_number": ["BLA999999"], "brand_name": ["Examplo"], "generic_name": ["EXAMPLUMAB"]},
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def doc_bytes(record: dict | None = None, **changes) -> bytes:
    return json.dumps({"meta": {}, "results": [record or minimal_record(**changes)]}).encode("utf-8")


def test_minimal_record_renders():
    label = render(doc_bytes(), FILE)
    assert label.stem == "BLA999999"
    assert label.text == (
        "Examplo (EXAMPLUMAB) prescribing information — openFDA BLA999999, SPL set 00000000-0000-0000-0000-000000000000"
        " version 3, effective 2024-01-31\n\n[Indications and usage]\n1 INDICATIONS AND USAGE X is indicated for Y.\n\n"
        "[Clinical pharmacology]\n12 CLINICAL PHARMACOLOGY 12.1 Mechanism of Action X binds Z.\n"
    )
    moa = label.sections[-1]
    assert (moa.section, moa.parent) == ("mechanism_of_action", "clinical_pharmacology")
    assert label.meta["manufacturer"] is None and label.meta["routes"] == () and label.meta["pharm_class_epc"] == ()


def test_subsection_stored_before_its_parent_is_not_rendered_twice():
    record = minimal_record()
    record = {"mechanism_of_action": record.pop("mechanism_of_action"), **record}
    label = render(doc_bytes(record), FILE)
    assert "[Mechanism of action]" not in label.text
    assert [s.section for s in label.sections] == ["indications_and_usage", "clinical_pharmacology", "mechanism_of_action"]


def test_partly_contained_field_is_rendered():
    record = minimal_record(storage_and_handling=["12.1 Mechanism of Action X binds Z.", "Store cold."])
    label = render(doc_bytes(record), FILE)
    assert "\n\n[Storage and handling]\n12.1 Mechanism of Action X binds Z.\nStore cold.\n" in label.text


BAD = [
    pytest.param(b'{"results": [\xff]}', None, "not UTF-8: invalid byte at offset 13", id="not-utf8"),
    pytest.param(b'{"results": [}', None, "not valid JSON", id="not-json"),
    pytest.param(b"[]", None, "top level is an array", id="top-level-array"),
    pytest.param(b'{"meta": {}}', "results", "no 'results' key", id="no-results"),
    pytest.param(b'{"results": []}', "results", "holds 0 records", id="no-record"),
    pytest.param(doc_bytes(indications_and_usage="text"), "results[0].indications_and_usage", "got a string", id="section-str"),
    pytest.param(doc_bytes(indications_and_usage=[]), "results[0].indications_and_usage", "empty list", id="section-empty"),
    pytest.param(doc_bytes(indications_and_usage=[""]), "results[0].indications_and_usage[0]", "empty string", id="empty-str"),
    pytest.param(doc_bytes(indications_and_usage=[1]), "results[0].indications_and_usage[0]", "got a number", id="section-int"),
    pytest.param(doc_bytes(set_id=None), "results[0].set_id", "missing set_id", id="no-set-id"),
    pytest.param(doc_bytes(version="v3"), "results[0].version", "not a non-negative integer", id="bad-version"),
    pytest.param(doc_bytes(effective_time="2024-01-31"), "results[0].effective_time", "is not YYYYMMDD", id="iso-date"),
    pytest.param(doc_bytes(effective_time="20241331"), "results[0].effective_time", "not a calendar date", id="no-such-day"),
    pytest.param(doc_bytes(openfda=None), "results[0].openfda", "missing openfda", id="no-openfda"),
    pytest.param(
        doc_bytes(openfda={"application_number": ["BLA1"], "generic_name": ["X"]}),
        "results[0].openfda.brand_name",
        "missing openfda.brand_name",
        id="no-brand",
    ),
    pytest.param(doc_bytes(new_section=["x"]), "results[0].new_section", "unknown openFDA field", id="unknown-field"),
    pytest.param(
        doc_bytes(new_section_table=["<t/>"]), "results[0].new_section_table", "unknown openFDA field", id="unknown-tbl"
    ),
    pytest.param(doc_bytes().replace(b'"id": ', b'"id": "x", "id": '), "results[0].id", "duplicate key", id="duplicate-key"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD)
def test_malformed_input_gives_one_clear_problem(data, field, message):
    with pytest.raises(MabdataError) as info:
        render(data, FILE)
    (problem,) = info.value.problems
    assert (problem.check, problem.file, problem.field) == ("label", FILE, field)
    assert message in problem.message
    assert FILE in str(info.value)


def test_invalid_json_names_line_and_column():
    with pytest.raises(MabdataError) as info:
        render(b'{\n  "results": [\n    oops\n  ]\n}', FILE)
    (problem,) = info.value.problems
    assert problem.line == 3 and "line 3 column 5" in problem.message


def test_all_problems_of_a_file_are_reported_at_once():
    data = doc_bytes(effective_time="2024", new_section=["x"], description=[], openfda={"brand_name": ["B"]})
    with pytest.raises(MabdataError) as info:
        render(data, FILE)
    fields = sorted(p.field for p in info.value.problems)
    assert fields == sorted(
        [
            "results[0].effective_time",
            "results[0].new_section",
            "results[0].description",
            "results[0].openfda.application_number",
            "results[0].openfda.generic_name",
        ]
    )


# --- the import script --------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("SOURCE.txt", "INDEX.tsv", "BLA761113.json", "BLA125514.json"):
        (folder / name).write_bytes((RAW / name).read_bytes())
    index = (folder / "INDEX.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    keep = ("file\t", "BLA761113.json\t", "BLA125514.json\t")
    (folder / "INDEX.tsv").write_text("".join(line for line in index if line.startswith(keep)), encoding="utf-8", newline="")
    return folder


def test_import_script_reproduces_labels_and_is_idempotent(corpus, tmp_path, capsys):
    script = load_script()
    out = tmp_path / "labels"
    assert script.main(["--corpus", str(corpus), "--labels", str(out)]) == 0
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert set(written) == {
        "raw/SOURCE.txt",
        "raw/INDEX.tsv",
        "raw/BLA761113.json",
        "raw/BLA125514.json",
        "BLA761113.txt",
        "BLA125514.txt",
    }
    for rel, data in written.items():
        reference = corpus / rel.removeprefix("raw/") if rel.startswith("raw/") else LABELS / rel
        assert data == reference.read_bytes(), rel
    assert script.main(["--corpus", str(corpus), "--labels", str(out)]) == 0
    assert "0 file(s) changed" in capsys.readouterr().out


def test_import_script_aborts_on_checksum_mismatch_without_writing(corpus, tmp_path, capsys):
    script = load_script()
    path = corpus / "BLA761113.json"
    path.write_bytes(path.read_bytes().replace(b"SARCLISA", b"SARCLIZA", 1))
    out = tmp_path / "labels"
    assert script.main(["--corpus", str(corpus), "--labels", str(out)]) == 1
    assert "BLA761113.json: sha256" in capsys.readouterr().err
    assert not out.exists()


def test_import_script_aborts_on_bad_label_without_writing(corpus, tmp_path, capsys):
    script = load_script()
    data = b'{"results": [{"set_id": 1}]}'
    (corpus / "BLA761113.json").write_bytes(data)
    index = corpus / "INDEX.tsv"
    old = index_rows()["BLA761113.json"]["sha256"]
    index.write_text(index.read_text(encoding="utf-8").replace(old, hashlib.sha256(data).hexdigest()), encoding="utf-8")
    out = tmp_path / "labels"
    assert script.main(["--corpus", str(corpus), "--labels", str(out)]) == 1
    err = capsys.readouterr().err
    assert "labels/raw/BLA761113.json" in err and "field results[0].set_id" in err
    assert not out.exists()
