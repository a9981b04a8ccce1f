"""Faults in a published package: `mabdata validate PATH` must catch each, naming where it is.

Each case corrupts a fresh copy of the small test project's package (the four web monographs and
one FDA label) in one way and asserts a problem with the expected check, table, 1-based data row
and field. Unless the fault is the descriptor itself, datapackage.json is re-hashed after the
edit, so the semantic check is what is tested.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from faultlib import drop_parquet_row, edit_descriptor, has, read_rows, resync_descriptor, set_cell, write_rows

from mabdata import schemas
from mabdata.validate import validate_package

Expected = dict
Fault = Callable[[Path], Expected]

ORR = (
    "For its approved indication in recurrent or metastatic cervical cancer, one study showed an objective response "
    "rate (ORR) of 15.4%"
)


def find(pkg: Path, table: str, **where: str) -> int:
    """The 1-based data row of `table` whose columns have these values."""
    rows = read_rows(pkg, table)
    cols = {c: rows[0].index(c) for c in where}
    return next(i for i, r in enumerate(rows) if i and all(r[cols[c]] == v for c, v in where.items()))


def cell(table: str, where: dict, column: str, value: str, check: str, field: str | None = None, resync: bool = True) -> Fault:
    def apply(pkg: Path) -> Expected:
        row = find(pkg, table, **where) if where else 1
        set_cell(pkg, table, row, column, value, resync)
        if not resync:  # the file no longer has its recorded hash: located by file, not row
            return dict(check=check, table=table)
        # Every problem located at a row names the CSV file it is a line of (provenance included).
        return dict(check=check, table=table, row=row, field=field or column, file=f"data/{table}.csv")

    return apply


def file_fault(rel: str, fn: Callable[[bytes], bytes], **expected) -> Fault:
    def apply(pkg: Path) -> Expected:
        (pkg / rel).write_bytes(fn((pkg / rel).read_bytes()))
        return expected

    return apply


def source_row(pkg: Path, source_id: str) -> int:
    return find(pkg, "sources", source_id=source_id)


def _seed_byte_changed(pkg: Path) -> Expected:
    path = pkg / "sources" / "002_f633e4ad168ed7ca.txt"
    path.write_bytes(path.read_bytes().replace(b"15.4%", b"15.5%"))
    return dict(check="source", table="sources", row=source_row(pkg, "002_f633e4ad168ed7ca"), field="sha256")


def _label_missing(pkg: Path) -> Expected:
    (pkg / "sources" / "BLA761113.txt").unlink()
    return dict(check="source", table="sources", row=source_row(pkg, "BLA761113"), field="path")


def _claim_without_evidence(pkg: Path) -> Expected:
    rows = read_rows(pkg, "evidence")
    col, tcol = rows[0].index("claim_id"), rows[0].index("claim_table")
    claim = find(pkg, "contraindications", term="pregnancy")
    cid = read_rows(pkg, "contraindications")[claim][0]
    write_rows(pkg, "evidence", [r for r in rows if not (r[tcol] == "contraindications" and r[col] == cid)])
    t = pq.read_table(pkg / "data" / "evidence.parquet")
    keep = [i for i, c in enumerate(t.column("claim_id").to_pylist()) if c != cid]
    pq.write_table(t.take(keep), pkg / "data" / "evidence.parquet", compression="zstd")
    resync_descriptor(pkg)
    return dict(check="evidence", table="contraindications", row=claim, field="contraindication_id")


def _drop_csv_row(pkg: Path) -> Expected:
    rows = read_rows(pkg, "indications")
    write_rows(pkg, "indications", rows[:3] + rows[4:])
    resync_descriptor(pkg)
    return dict(check="parity", table="indications", row=3)


def _empty_table(pkg: Path) -> Expected:
    write_rows(pkg, "interactions", read_rows(pkg, "interactions")[:1])
    t = pq.read_table(pkg / "data" / "interactions.parquet")
    pq.write_table(t.slice(0, 0), pkg / "data" / "interactions.parquet")
    resync_descriptor(pkg)
    return dict(check="non-empty", table="interactions")


def _rename_column(pkg: Path) -> Expected:
    rows = read_rows(pkg, "dosing_steps")
    rows[0][rows[0].index("dose_unit")] = "unit_of_dose"
    write_rows(pkg, "dosing_steps", rows)
    resync_descriptor(pkg)
    return dict(check="header", table="dosing_steps", field="dose_unit")


def _extra_column(pkg: Path) -> Expected:
    rows = read_rows(pkg, "drugs")
    write_rows(pkg, "drugs", [r + (["atc_code"] if i == 0 else ["L01"]) for i, r in enumerate(rows)])
    resync_descriptor(pkg)
    return dict(check="header", table="drugs", field="atc_code")


def _short_row(pkg: Path) -> Expected:
    rows = read_rows(pkg, "targets")
    rows[2] = rows[2][:-1]
    write_rows(pkg, "targets", rows)
    resync_descriptor(pkg)
    return dict(check="row-length", table="targets", row=2)


def _descriptor_tampered(pkg: Path) -> Expected:
    def fn(desc):
        res = next(r for r in desc["resources"] if r["name"] == "indications")
        next(f for f in res["schema"]["fields"] if f["name"] == "status")["constraints"]["enum"].append("withdrawn")

    edit_descriptor(pkg, fn)
    return dict(check="descriptor", table="indications")


def _drop_resource(pkg: Path) -> Expected:
    edit_descriptor(pkg, lambda d: d.update(resources=[r for r in d["resources"] if r["name"] != "regimens_parquet"]))
    return dict(check="resource", table="regimens")


def _escape_path(pkg: Path) -> Expected:
    edit_descriptor(pkg, lambda d: next(r for r in d["resources"] if r["name"] == "drugs").update(path="../../etc/passwd"))
    return dict(check="path", table="drugs")


def _parquet_row_dropped(pkg: Path) -> Expected:
    drop_parquet_row(pkg, "drug_names", 2)
    return dict(check="parity", table="drug_names", row=2)


def _resource_file_missing(pkg: Path) -> Expected:
    (pkg / "data" / "targets.parquet").unlink()
    return dict(check="missing-file", table="targets_parquet")


RASH = {"drug_id": "cemiplimab", "term": "rash"}
SOCA_STEP = {"dose_unit": "mg/kg", "period_unit": "wk", "dose_value": "5.0"}
ISA_CLASS = {"drug_id": "isatuximab", "property": "sequence_source", "value": "humanized"}

FAULTS: dict[str, Fault] = {
    # provenance and sources
    "unii-check-tampered": cell("sources", {"source_id": "BLA761113"}, "unii_check", "disagrees", "derived"),
    "route-check-tampered": cell("sources", {"source_id": "BLA761113"}, "route_check", "not comparable", "derived"),
    "quote-differs-from-source": cell("evidence", {"quote": ORR}, "quote", "one study showed an ORR of 15.4%", "provenance"),
    "offset-past-end": cell("evidence", {"quote": ORR}, "quote_end", "999999", "provenance", field="quote"),
    "offset-negative": cell("evidence", {"quote": ORR}, "quote_start", "-1", "minimum"),
    "offsets-reversed": cell("evidence", {"quote": ORR}, "quote_start", "99999", "range"),
    "wrong-section": cell("evidence", {"section": "contraindications"}, "section", "boxed_warning", "section"),
    "section-on-a-web-page": cell("evidence", {"quote": ORR}, "section", "clinical_studies", "section"),
    "source-byte-changed": _seed_byte_changed,
    "label-text-missing": _label_missing,
    "source-characters-wrong": cell("sources", {}, "characters", "2304", "source"),
    "evidence-source-unknown": cell("evidence", {"quote": ORR}, "source_id", "999_nowhere", "foreign-key", field="source_id"),
    "source-path-escapes": cell("sources", {}, "path", "../../etc/passwd", "pattern"),
    "section-offsets-reversed": cell("source_sections", {}, "section_start", "999999", "range"),
    # claims, evidence and keys
    "drug-missing-from-drugs": cell("indications", {"drug_id": "cemiplimab"}, "drug_id", "nivolumab", "foreign-key"),
    "condition-missing": cell("indications", {"condition_id": "DOID:9256"}, "condition_id", "DOID:1", "foreign-key"),
    "key-changed-without-id": cell(
        "indications", {"condition_id": "DOID:9256"}, "status", "in use", "natural-key", field="indication_id"
    ),
    "duplicate-primary-key": cell("drugs", {"drug_id": "cemiplimab"}, "drug_id", "alemtuzumab", "unique"),
    "evidence-for-missing-claim": cell("evidence", {"quote": ORR}, "claim_id", "res-0000000000", "foreign-key"),
    "evidence-id-tampered": cell("evidence", {"quote": ORR}, "evidence_id", "ev-0000000000", "natural-key"),
    "claim-without-evidence": _claim_without_evidence,
    "support-not-from-evidence": cell("drug_names", {"name": "Xacoyi"}, "support", "inferred", "support"),
    "inferred-fields-but-stated": cell("evidence", {"quote": ORR}, "inferred_fields", "arm", "support", field="support"),
    "corroboration-tampered": cell("corroborations", {"judgement": "contradicts"}, "judgement", "supports", "derived"),
    "malformed-hgnc-curie": cell("targets", {}, "hgnc_id", "HGNC17635", "pattern"),
    "malformed-doid-curie": cell("indications", {"condition_id": "DOID:9256"}, "condition_id", "DOID:abc", "pattern"),
    "malformed-unii": cell("drugs", {"drug_id": "alemtuzumab"}, "unii", "3a189dh42v", "pattern"),
    "disagreement-without-flag": cell("drug_properties", ISA_CLASS, "flag", "", "disagreement", field="value"),
    # values
    "negative-dose": cell("dosing_steps", SOCA_STEP, "dose_value", "-5.0", "minimum"),
    "dose-without-unit": cell("dosing_steps", SOCA_STEP, "dose_unit", "", "required", field="dose_value"),
    "period-above-max": cell("dosing_steps", SOCA_STEP, "period", "4.0", "range"),
    "time-unit-for-a-period": cell("dosing_steps", SOCA_STEP, "period_unit", "mg", "unit"),
    "percentage-over-100": cell("trial_results", {"value": "15.4"}, "value", "154.0", "range"),
    "required-cell-empty": cell("indications", {"condition_id": "DOID:9256"}, "status", "", "required"),
    "text-in-number-column": cell("dosing_steps", SOCA_STEP, "dose_value", "five", "type"),
    "fraction-in-integer-column": cell("evidence", {"quote": ORR}, "quote_end", "133.5", "type"),
    "bad-boolean": cell("drug_names", {"name": "Xacoyi"}, "in_reference", "yes", "type"),
    "bad-date": cell("sources", {"source_id": "003_1bfec97f6d0247a0"}, "published", "14 June 2024", "type"),
    "stated-text-not-in-quote": cell("adverse_events", RASH, "term", "rashes", "stated-text"),
    "formula-injection": cell("interactions", {}, "consequence", '=HYPERLINK("http://x")', "formula-injection"),
    "soc-not-of-ctcae-term": cell("adverse_events", RASH, "soc", "Cardiac disorders", "mapping"),
    "ctcae-term-without-match": cell("adverse_events", RASH, "ctcae_match", "", "mapping"),
    "skos-relation-inverted": cell("adverse_events", RASH, "ctcae_match", "skos:broadMatch", "mapping"),
    # files and format
    "csv-row-dropped-parquet-keeps": _drop_csv_row,
    "parquet-row-dropped-csv-keeps": _parquet_row_dropped,
    "csv-changed-hash-not-updated": cell("drugs", {"drug_id": "cemiplimab"}, "inn", "x", "hash", resync=False),
    "resource-file-missing": _resource_file_missing,
    "resource-not-listed": _drop_resource,
    "resource-path-escapes": _escape_path,
    "extra-unknown-column": _extra_column,
    "column-renamed": _rename_column,
    "row-with-missing-cell": _short_row,
    "csv-with-bom": file_fault("data/drugs.csv", lambda b: b"\xef\xbb\xbf" + b, check="encoding", table="drugs"),
    "csv-with-crlf": file_fault("data/targets.csv", lambda b: b.replace(b"\n", b"\r\n"), check="encoding", table="targets"),
    "csv-not-utf8": file_fault(
        "data/drug_organizations.csv", lambda b: b.replace("’".encode(), b"\x92"), check="encoding", table="drug_organizations"
    ),
    "truncated-parquet": file_fault("data/conditions.parquet", lambda b: b[: len(b) // 2], check="parquet", table="conditions"),
    "empty-table": _empty_table,
    "descriptor-schema-tampered": _descriptor_tampered,
    "descriptor-not-json": file_fault("datapackage.json", lambda b: b[:-20], check="descriptor"),
}

VOCAB_COLUMNS = [(t, f["name"]) for t in schemas.table_names() for f in schemas.fields(t) if schemas.vocab_of(f)]


def first_filled_row(pkg: Path, table: str, column: str) -> int:
    """The first row with a term in the column, else the first row (an unknown term written into
    an empty optional cell must be caught just the same)."""
    rows = read_rows(pkg, table)
    assert len(rows) > 1, f"the small project has no {table} rows"
    col = rows[0].index(column)
    return next((i for i, r in enumerate(rows) if i and r[col]), 1)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_and_located(mini_package, fault):
    expected = FAULTS[fault](mini_package)
    problems = validate_package(mini_package)
    assert has(problems, **expected), "\n".join(map(str, problems)) or "no problem reported"


@pytest.mark.parametrize(("table", "column"), VOCAB_COLUMNS, ids=[f"{t}.{c}" for t, c in VOCAB_COLUMNS])
def test_out_of_vocabulary_term_in_every_vocabulary_column(mini_package, table, column):
    row = first_filled_row(mini_package, table, column)
    set_cell(mini_package, table, row, column, "not-a-term")
    problems = validate_package(mini_package)
    assert has(problems, check="vocabulary", table=table, row=row, field=column), "\n".join(map(str, problems))


def test_cli_on_a_copy_reports_json_and_exit_code(mini_package):
    row = find(mini_package, "dosing_steps", **SOCA_STEP)
    set_cell(mini_package, "dosing_steps", row, "dose_value", "-5.0")
    result = subprocess.run(
        [sys.executable, "-m", "mabdata", "validate", str(mini_package), "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    first = report["errors"][0]
    assert {"table": "dosing_steps", "row": row, "field": "dose_value", "check": "minimum"}.items() <= first.items()
    text = subprocess.run([sys.executable, "-m", "mabdata", "validate", str(mini_package)], capture_output=True, text=True)
    assert f"dosing_steps row {row} field dose_value: -5.0 is below the minimum 0" in text.stderr
    assert "Traceback" not in text.stderr
