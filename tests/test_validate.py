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
    assert "field line_of_therapy: 'second-lin' is not a line_of_therapy term" in result.stderr
    assert "closest: second-line" in result.stderr


def test_missing_package_is_a_usage_error(tmp_path):
    assert cli(str(tmp_path / "nowhere")).returncode == 2
