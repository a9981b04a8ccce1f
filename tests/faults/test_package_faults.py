"""Faults in a published package: `mabdata validate PATH` must catch each, naming where it is.

Each case corrupts a fresh copy of datapackage/ in one way and asserts a problem with the
expected check, table, 1-based data row and field. Unless the fault is the descriptor itself,
datapackage.json is re-hashed after the edit, so the semantic check is what is tested.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from faultlib import drop_parquet_row, edit_descriptor, has, read_rows, resync_descriptor, set_cell, write_rows

from mabdata import schemas
from mabdata.validate import validate_package

PKG = Path(__file__).resolve().parents[2] / "datapackage"


def row_of(table: str, column: str, value: str) -> int:
    rows = read_rows(PKG, table)
    col = rows[0].index(column)
    return next(i for i, r in enumerate(rows) if i and r[col] == value)


def corrupt_file(rel: str, fn) -> callable:
    def apply(pkg: Path) -> None:
        path = pkg / rel
        path.write_bytes(fn(path.read_bytes()))

    return apply


def cell(table, row, column, value, resync=True):
    return lambda pkg: set_cell(pkg, table, row, column, value, resync)


def _drop_csv_row(pkg: Path) -> None:
    rows = read_rows(pkg, "indications")
    write_rows(pkg, "indications", rows[:3] + rows[4:])
    resync_descriptor(pkg)


def _empty_table(pkg: Path) -> None:
    write_rows(pkg, "interactions", read_rows(pkg, "interactions")[:1])
    t = __import__("pyarrow.parquet", fromlist=["x"]).read_table(pkg / "data" / "interactions.parquet")
    __import__("pyarrow.parquet", fromlist=["x"]).write_table(t.slice(0, 0), pkg / "data" / "interactions.parquet")
    resync_descriptor(pkg)


def _rename_column(pkg: Path) -> None:
    rows = read_rows(pkg, "regimens")
    rows[0][rows[0].index("dose_unit")] = "unit_of_dose"
    write_rows(pkg, "regimens", rows)
    resync_descriptor(pkg)


def _extra_column(pkg: Path) -> None:
    rows = read_rows(pkg, "drugs")
    write_rows(pkg, "drugs", [r + (["atc_code"] if i == 0 else ["L01"]) for i, r in enumerate(rows)])
    resync_descriptor(pkg)


def _short_row(pkg: Path) -> None:
    rows = read_rows(pkg, "targets")
    rows[2] = rows[2][:-1]
    write_rows(pkg, "targets", rows)
    resync_descriptor(pkg)


def _remove_enum_from_descriptor(pkg: Path) -> None:
    def fn(desc):
        res = next(r for r in desc["resources"] if r["name"] == "indications")
        field = next(f for f in res["schema"]["fields"] if f["name"] == "status")
        field["constraints"]["enum"].append("withdrawn")

    edit_descriptor(pkg, fn)


def _drop_resource(pkg: Path) -> None:
    edit_descriptor(pkg, lambda d: d.update(resources=[r for r in d["resources"] if r["name"] != "regimens_parquet"]))


def _escape_path(pkg: Path) -> None:
    def fn(desc):
        next(r for r in desc["resources"] if r["name"] == "drugs")["path"] = "../../etc/passwd"

    edit_descriptor(pkg, fn)


SOCA_ORR = row_of(
    "trial_results",
    "quote",
    "For its approved indication in recurrent or metastatic cervical cancer, one study "
    "showed an objective response rate (ORR) of 15.4%",
)
SOCA_DOSE = row_of("regimens", "dose_unit", "mg/kg")
SOCA_INTERVAL = row_of("regimens", "frequency", "once every two or three weeks")
RASH = row_of("adverse_events", "quote", "immune-related adverse events (irAEs), such as rash")

FAULTS = {
    # provenance and sources
    "quote-differs-from-seed": (
        cell("trial_results", SOCA_ORR, "quote", "one study showed an ORR of 15.4%"),
        dict(check="provenance", table="trial_results", row=SOCA_ORR, field="quote"),
    ),
    "offset-past-end": (
        cell("trial_results", SOCA_ORR, "quote_end", "999999"),
        dict(check="provenance", table="trial_results", row=SOCA_ORR, field="quote"),
    ),
    "offset-negative": (cell("drugs", 1, "quote_start", "-1"), dict(check="minimum", table="drugs", row=1, field="quote_start")),
    "offsets-reversed": (cell("drugs", 1, "quote_start", "900"), dict(check="range", table="drugs", row=1, field="quote_end")),
    "seed-byte-changed": (
        corrupt_file("sources/002_f633e4ad168ed7ca.txt", lambda b: b.replace(b"15.4%", b"15.5%")),
        dict(check="source", table="sources", row=3, field="sha256"),
    ),
    "seed-missing": (
        lambda pkg: (pkg / "sources" / "001_b735163c3ee337a8.txt").unlink(),
        dict(check="source", table="sources", row=2, field="path"),
    ),
    "seed-characters-wrong": (
        cell("sources", 1, "characters", "2304"),
        dict(check="source", table="sources", row=1, field="characters"),
    ),
    "source-id-without-source": (
        cell("drugs", 2, "source_id", "999_nowhere"),
        dict(check="foreign-key", table="drugs", row=2, field="source_id"),
    ),
    "source-path-escapes": (
        cell("sources", 1, "path", "../../etc/passwd"),
        dict(check="pattern", table="sources", row=1, field="path"),
    ),
    # keys
    "drug-missing-from-drugs": (
        cell("indications", 1, "drug_id", "nivolumab"),
        dict(check="foreign-key", table="indications", row=1, field="drug_id"),
    ),
    "condition-missing": (
        cell("indications", 1, "condition_id", "DOID:1"),
        dict(check="foreign-key", table="indications", row=1, field="condition_id"),
    ),
    "duplicate-primary-key": (
        cell("drugs", 2, "drug_id", "alemtuzumab"),
        dict(check="unique", table="drugs", row=2, field="drug_id"),
    ),
    "malformed-hgnc-curie": (
        cell("targets", 1, "hgnc_id", "HGNC17635"),
        dict(check="pattern", table="targets", row=1, field="hgnc_id"),
    ),
    "malformed-doid-curie": (
        cell("indications", 1, "condition_id", "DOID:abc"),
        dict(check="pattern", table="indications", row=1, field="condition_id"),
    ),
    "malformed-unii": (cell("drugs", 1, "unii", "3a189dh42v"), dict(check="pattern", table="drugs", row=1, field="unii")),
    # values
    "negative-dose": (
        cell("regimens", SOCA_DOSE, "dose_value", "-5.0"),
        dict(check="minimum", table="regimens", row=SOCA_DOSE, field="dose_value"),
    ),
    "percentage-over-100": (
        cell("trial_results", SOCA_ORR, "value", "154.0"),
        dict(check="range", table="trial_results", row=SOCA_ORR, field="value"),
    ),
    "interval-min-above-max": (
        cell("regimens", SOCA_INTERVAL, "interval_min_days", "28.0"),
        dict(check="range", table="regimens", row=SOCA_INTERVAL, field="interval_min_days"),
    ),
    "required-cell-empty": (
        cell("indications", 2, "status", ""),
        dict(check="required", table="indications", row=2, field="status"),
    ),
    "text-in-number-column": (
        cell("regimens", SOCA_DOSE, "dose_value", "five"),
        dict(check="type", table="regimens", row=SOCA_DOSE, field="dose_value"),
    ),
    "fraction-in-integer-column": (
        cell("drugs", 1, "quote_end", "133.5"),
        dict(check="type", table="drugs", row=1, field="quote_end"),
    ),
    "bad-boolean": (
        cell("drug_names", 1, "in_reference", "yes"),
        dict(check="type", table="drug_names", row=1, field="in_reference"),
    ),
    "bad-date": (cell("sources", 4, "published", "14 June 2024"), dict(check="type", table="sources", row=4, field="published")),
    "stated-text-not-in-quote": (
        cell("adverse_events", RASH, "term", "rashes"),
        dict(check="stated-text", table="adverse_events", row=RASH, field="term"),
    ),
    "formula-injection": (
        cell("interactions", 1, "consequence", '=HYPERLINK("http://x")'),
        dict(check="formula-injection", table="interactions", row=1, field="consequence"),
    ),
    "soc-not-of-ctcae-term": (
        cell("adverse_events", RASH, "soc", "Cardiac disorders"),
        dict(check="mapping", table="adverse_events", row=RASH, field="soc"),
    ),
    "ctcae-term-without-match": (
        cell("adverse_events", RASH, "ctcae_match", ""),
        dict(check="mapping", table="adverse_events", row=RASH, field="ctcae_match"),
    ),
    # files and format
    "csv-row-dropped-parquet-keeps": (_drop_csv_row, dict(check="parity", table="indications", row=3)),
    "parquet-row-dropped-csv-keeps": (
        lambda pkg: drop_parquet_row(pkg, "drug_names", 2),
        dict(check="parity", table="drug_names", row=2),
    ),
    "csv-changed-hash-not-updated": (cell("drugs", 1, "drug_class", "x", resync=False), dict(check="hash", table="drugs")),
    "resource-file-missing": (
        lambda pkg: (pkg / "data" / "targets.parquet").unlink(),
        dict(check="missing-file", table="targets_parquet"),
    ),
    "resource-not-listed": (_drop_resource, dict(check="resource", table="regimens")),
    "resource-path-escapes": (_escape_path, dict(check="path", table="drugs")),
    "extra-unknown-column": (_extra_column, dict(check="header", table="drugs", field="atc_code")),
    "column-renamed": (_rename_column, dict(check="header", table="regimens", field="dose_unit")),
    "row-with-missing-cell": (_short_row, dict(check="row-length", table="targets", row=2)),
    "csv-with-bom": (corrupt_file("data/drugs.csv", lambda b: b"\xef\xbb\xbf" + b), dict(check="encoding", table="drugs")),
    "csv-with-crlf": (
        corrupt_file("data/targets.csv", lambda b: b.replace(b"\n", b"\r\n")),
        dict(check="encoding", table="targets"),
    ),
    "csv-not-utf8": (
        corrupt_file("data/drug_organizations.csv", lambda b: b.replace("’".encode(), b"\x92")),
        dict(check="encoding", table="drug_organizations"),
    ),
    "truncated-parquet": (
        corrupt_file("data/conditions.parquet", lambda b: b[: len(b) // 2]),
        dict(check="parquet", table="conditions"),
    ),
    "empty-table": (_empty_table, dict(check="non-empty", table="interactions")),
    "descriptor-schema-tampered": (_remove_enum_from_descriptor, dict(check="descriptor", table="indications")),
    "descriptor-not-json": (corrupt_file("datapackage.json", lambda b: b[:-20]), dict(check="descriptor")),
}

VOCAB_COLUMNS = [(t, f["name"]) for t in schemas.table_names() for f in schemas.fields(t) if schemas.vocab_of(f)]


def first_filled_row(table: str, column: str) -> int:
    rows = read_rows(PKG, table)
    col = rows[0].index(column)
    return next(i for i, r in enumerate(rows) if i and r[col])


@pytest.fixture
def pkg(tmp_path) -> Path:
    dest = tmp_path / "pkg"
    shutil.copytree(PKG, dest)
    return dest


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_and_located(pkg, fault):
    apply, expected = FAULTS[fault]
    apply(pkg)
    problems = validate_package(pkg)
    assert has(problems, **expected), "\n".join(map(str, problems)) or "no problem reported"


@pytest.mark.parametrize(("table", "column"), VOCAB_COLUMNS, ids=[f"{t}.{c}" for t, c in VOCAB_COLUMNS])
def test_out_of_vocabulary_term_in_every_vocabulary_column(pkg, table, column):
    row = first_filled_row(table, column)
    set_cell(pkg, table, row, column, "not-a-term")
    problems = validate_package(pkg)
    assert has(problems, check="vocabulary", table=table, row=row, field=column), "\n".join(map(str, problems))


def test_cli_on_a_copy_reports_json_and_exit_code(pkg):
    set_cell(pkg, "regimens", SOCA_DOSE, "dose_value", "-5.0")
    result = subprocess.run(
        [sys.executable, "-m", "mabdata", "validate", str(pkg), "--format", "json"], capture_output=True, text=True
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert {"table": "regimens", "row": SOCA_DOSE, "field": "dose_value", "check": "minimum"}.items() <= report["errors"][
        0
    ].items()
    text = subprocess.run([sys.executable, "-m", "mabdata", "validate", str(pkg)], capture_output=True, text=True)
    assert f"regimens row {SOCA_DOSE} field dose_value: -5.0 is below the minimum 0" in text.stderr
    assert "Traceback" not in text.stderr
