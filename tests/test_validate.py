"""`mabdata validate` on any copy of the package, and frictionless as a second opinion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mabdata.validate import validate_package


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mabdata", "validate", *args], capture_output=True, text=True)


def test_published_package_is_valid():
    assert validate_package(Path(__file__).resolve().parents[1] / "datapackage") == []


def test_frictionless_validates_the_package():
    from frictionless import validate

    report = validate(str(Path(__file__).resolve().parents[1] / "datapackage" / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:10]


def test_validate_copy_anywhere_json_report(package_copy):
    result = cli(str(package_copy / "datapackage.json"), "--format", "json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout) == {"valid": True, "errors": []}


def replace_in(path: Path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert old.encode() in data
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))


def errors_of(pkg: Path) -> list[dict]:
    result = cli(str(pkg), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["valid"] is False
    return report["errors"]


def test_changed_quote_is_located(package_copy):
    replace_in(package_copy / "data" / "evidence.csv", "of 15.4%", "of 15.5%")
    errors = errors_of(package_copy)
    prov = [e for e in errors if e["check"] == "provenance"]
    assert prov and prov[0]["table"] == "evidence" and prov[0]["field"] == "quote" and prov[0]["row"] >= 1
    assert any(e["check"] == "hash" for e in errors)  # and the descriptor no longer matches the file
    assert any(e["check"] == "parity" for e in errors)  # nor does the Parquet copy


def test_changed_seed_byte_fails(package_copy):
    replace_in(package_copy / "sources" / "002_f633e4ad168ed7ca.txt", "15.4%", "15.5%")
    errors = errors_of(package_copy)
    row = 1 + sorted(p.stem for p in (package_copy / "sources").glob("*.txt")).index("002_f633e4ad168ed7ca")
    assert any(e["check"] == "source" and e["field"] == "sha256" and e["row"] == row for e in errors)
    assert any(e["check"] == "provenance" for e in errors)


@pytest.mark.parametrize("fmt", ["text"])
def test_text_report_is_one_line_per_error(package_copy, fmt):
    replace_in(package_copy / "data" / "indications.csv", ",second-line,", ",second-lin,")
    result = cli(str(package_copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "field line_of_therapy: 'second-lin' is not a term of line_of_therapy" in result.stderr
    assert "closest: second-line" in result.stderr


def test_missing_package_is_a_usage_error(tmp_path):
    assert cli(str(tmp_path / "nowhere")).returncode == 2


# ---- the vectorised pipeline agrees with the per-row definitions --------------------------------


def test_vectorised_ids_equal_the_per_row_definition():
    """keys.expected_claim_ids (whole table, polars-hash) == keys.claim_id (one row, xxhash),
    including rows the vectorised form hands back to Python (Unicode, spacing, quotes)."""
    import polars as pl

    from mabdata import keys
    from mabdata import schemas as schema

    terms = ["Rash", "  rash\tmaculo-papular ", 'the "term"', "back\\slash", "Straße", "ΟΔΥΣΣΕΥΣ", "a\u00a0b", "x\x1fy"]
    n = len(terms)
    cols = {f["name"]: [None] * n for f in schema.fields("adverse_events")}
    cols.update(
        drug_id=["synmab"] * n,
        term=terms,
        category=["most common"] * n,
        threshold=[20.0, None, 1e-05, 1e16, 0.1, 3.0, float("inf"), 100.0],
        serious=[True, False, None, True, False, None, True, False],
    )
    df = pl.DataFrame(
        cols,
        schema={
            c: pl.Float64 if c in ("threshold", "incidence", "incidence_max") else pl.Boolean if c == "serious" else pl.String
            for c in cols
        },
    )
    got = keys.expected_claim_ids("adverse_events", df).to_list()
    assert got == [keys.claim_id("adverse_events", keys.natural_key("adverse_events", r)) for r in df.to_dicts()]
    ev = pl.DataFrame(
        {
            "claim_table": ["indications", "indications"],
            "claim_id": ["ind-0", 'ind-"1"'],
            "source_id": ["s", "é"],
            "quote_start": [0, 5],
            "quote_end": [3, 9],
        }
    )
    assert keys.expected_evidence_ids(ev).to_list() == [
        keys.evidence_id(r["claim_table"], r["claim_id"], r["source_id"], r["quote_start"], r["quote_end"]) for r in ev.to_dicts()
    ]


def test_claim_id_is_xxh3_of_the_natural_key_json():
    import xxhash

    from mabdata import keys

    key = keys.natural_key("drug_names", {"drug_id": "cemiplimab", "name": "Libtayo", "name_type": "brand"})
    text = '["drug_names",["cemiplimab","libtayo","brand"]]'
    assert keys.claim_id("drug_names", key) == f"nam-{xxhash.xxh3_64_intdigest(text.encode()):016x}"[:14]


def test_provenance_counts_code_points_not_bytes():
    import polars as pl

    from mabdata import rules

    texts = {"a": "héllo wörld ≥ 5 µg", "b": "plain ascii text"}
    ev = pl.DataFrame(
        {
            "source_id": ["a", "a", "b", "a", "b", "zz"],
            "quote_start": [6, 14, 6, 0, 0, 0],
            "quote_end": [11, 18, 11, 5, 99, 1],
            "quote": ["wörld", "5 µg", "ascii", "hello", "plain", "x"],
        }
    )
    problems = list(rules.provenance_rules({"evidence": ev}, texts))
    assert [p.row for p in problems] == [4, 5, 6]  # wrong text, past the end, unknown source


def test_innermost_section_with_nesting_and_ties():
    import polars as pl

    from mabdata import rules

    sec = pl.DataFrame(
        {
            "source_id": ["L"] * 4,
            "section": ["clinical_pharmacology", "mechanism_of_action", "pharmacodynamics", "warnings_and_cautions"],
            "section_start": [0, 10, 10, 50],
            "section_end": [100, 30, 30, 80],
        }
    )
    ev = pl.DataFrame(
        {
            "source_id": ["L", "L", "L", "L", "W"],
            "section": [
                "mechanism_of_action",
                "clinical_pharmacology",
                "pharmacodynamics",
                "clinical_pharmacology",
                "boxed_warning",
            ],
            "quote_start": [12, 35, 12, 45, 0],
            "quote_end": [20, 40, 20, 60, 5],
        }
    )
    problems = list(rules.section_rules({"evidence": ev, "source_sections": sec}))
    # Row 3: two equal subsections hold it, the first in table order wins; row 4 crosses into
    # another section (only the parent holds it); row 5: a web page has no sections.
    assert [(p.row, p.message) for p in problems] == [
        (3, "the innermost section holding the quote is 'mechanism_of_action'"),
        (5, "the source has no sections"),
    ]


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [("in_reference", "True", "type"), ("in_reference", "TRUE", "type"), ("in_reference", '""', "required")],
)
def test_fast_csv_reader_typing_gaps_are_guarded(mini_package, column, value, check):
    """Arrow's reader would take "True" for a boolean if asked; a quoted "" is an empty cell."""
    path = mini_package / "data" / "drug_names.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[1].split(",")
    assert len(cells) == len(header)  # the first row has no quoted commas
    cells[header.index(column)] = value
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = validate_package(mini_package)
    assert any(p.check == check and p.table == "drug_names" and p.row == 1 and p.field == column for p in problems), problems


def test_each_file_is_read_once(mini_package, monkeypatch):
    reads: dict[str, int] = {}
    original = Path.read_bytes

    def counted(self):
        reads[self.name] = reads.get(self.name, 0) + 1
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", counted)
    assert validate_package(mini_package) == []
    assert reads and max(reads.values()) == 1, {k: v for k, v in reads.items() if v > 1}


def test_files_inside_resolves_like_the_path(tmp_path):
    """`_Files.inside` resolves folders once and files lexically, but agrees with
    `(pkg / rel).resolve()`: a symlink (of a file or a folder) out of the package is outside."""
    from concurrent.futures import ThreadPoolExecutor

    from mabdata.validate import _Files

    pkg, elsewhere = tmp_path / "pkg", tmp_path / "elsewhere"
    (pkg / "sources" / "deep").mkdir(parents=True)
    elsewhere.mkdir()
    (pkg / "sources" / "a.txt").write_text("a")
    (elsewhere / "secret.txt").write_text("s")
    (pkg / "sources" / "out.txt").symlink_to(elsewhere / "secret.txt")
    (pkg / "sources" / "in.txt").symlink_to(pkg / "sources" / "a.txt")
    (pkg / "linked").symlink_to(elsewhere, target_is_directory=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        files = _Files(pkg, pool)
        root = pkg.resolve()
        for _ in range(2):  # the second answer comes from the cache
            assert files.inside("sources/a.txt") == root / "sources" / "a.txt"
            assert files.inside("sources/missing.txt") == root / "sources" / "missing.txt"
            assert files.inside("sources/deep/x.txt") == root / "sources" / "deep" / "x.txt"
            assert files.inside("sources/in.txt") == root / "sources" / "a.txt"
            assert files.inside("sources/out.txt") is None
            assert files.inside("linked/secret.txt") is None
            assert files.inside("nofolder/x.txt") == root / "nofolder" / "x.txt"
            assert files.inside("sources/../sources/a.txt") == root / "sources" / "a.txt"
            for bad in ("../elsewhere/secret.txt", "/etc/passwd", "a\\b", "", None, 3):
                assert files.inside(bad) is None


def test_stated_numbers_match_digits_separators_and_number_words():
    from mabdata.rules import _spelled

    assert _spelled(38.0, ["Thirty-eight percent of patients in the GAZYVA treated arm"])
    assert _spelled(22.0, ["Twenty-two patients (81%) enrolled"])
    assert _spelled(7.0, ["seven of them"]) and _spelled(60.0, ["sixty patients"])
    assert _spelled(1000.0, ["the first 1,000 mg of GAZYVA"])
    assert _spelled(0.00001, ["p = 0.00001"])
    assert not _spelled(37.0, ["Thirty-eight percent"]) and not _spelled(20.0, ["the most common reactions were rash"])
