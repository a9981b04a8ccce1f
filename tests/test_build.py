"""The build: deterministic, atomic, and clear about bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import snapshot

from mabdata import publish
from mabdata.errors import MabdataError


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mabdata", *args], capture_output=True, text=True, cwd=cwd)


def test_committed_package_is_current():
    result = run_cli("build", "--check")
    assert result.returncode == 0, result.stderr


def test_rebuild_is_byte_identical(project):
    before = snapshot(project / "datapackage")
    publish.build(project)
    after = snapshot(project / "datapackage")
    assert before.keys() == after.keys()
    for rel in before:
        if rel.endswith(".parquet"):
            assert pq.read_table(project / "datapackage" / rel).equals(pq.read_table(PKG_ROOT / rel)), rel
        else:
            assert before[rel] == after[rel], rel


PKG_ROOT = Path(__file__).resolve().parents[1] / "datapackage"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


SOCA = "seeds/002_f633e4ad168ed7ca.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    dose_unit: mg/kg\n",
            "    dose_unit: mg/kg\n    dose_untis: mg\n",
            "regimens row 3 field dose_untis: unknown key 'dose_untis' (expected one of:",
        ),
        (
            "The recommended dose is 5 mg/kg",
            "The recommended dose is 6 mg/kg",
            "regimens row 3 field quote: quote not found in the source text",
        ),
        (
            "    route: INTRAVENOUS\n",
            "    route: INTRAVENUS\n",
            "regimens row 1 field route: unknown route term 'INTRAVENUS' (closest known terms: INTRAVENOUS",
        ),
        ("    value: 15.4\n", "    value: 154\n", "trial_results row 1 field value: a percentage above 100"),
        (
            "    interval_min_days: 14\n",
            "    interval_min_days: 28\n",
            "regimens row 2 field interval_min_days: interval_min_days is greater than interval_max_days",
        ),
        ("    name: Socazolimab\n", "    name: Socazolimabb\n", "drug_names row 1 field name: the stated text does not occur"),
        (
            "    organization: Sorrento Therapeutics\n",
            "    organization: =Sorrento Therapeutics\n",
            "drug_organizations row 1 field organization:",
        ),
        (
            "    quote: The ORR for the socazolimab group was 75.5%, versus 68.1% for the placebo group\n",
            "    quote: socazolimab\n",
            "quote occurs 8 times (at offsets 1336,",
        ),
        (
            "source:\n",
            "source: !!python/object/apply:os.system ['touch /tmp/mabdata-pwned']\nsrc:\n",
            "could not determine a constructor for the tag",
        ),
        ("    frequency: once every two or three weeks\n", "    frequency: [once\n", "but got ':' (line "),
    ],
)
def test_bad_input_fails_with_location_and_leaves_package_untouched(project, old, new, expected):
    edit(project / SOCA, old, new.replace("{project}", str(project)))
    before = snapshot(project / "datapackage")
    with pytest.raises(MabdataError) as exc:
        publish.build(project)
    assert expected in str(exc.value)
    assert SOCA in str(exc.value)
    assert snapshot(project / "datapackage") == before
    assert not list(project.glob(".datapackage-*"))
    assert not (project / "pwned").exists()


def test_cli_reports_errors_without_traceback(project):
    edit(project / SOCA, "    route: INTRAVENOUS\n", "    route: INTRAVENUS\n")
    result = run_cli("build", "--root", str(project))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(f"{SOCA}:")
    assert "datapackage/ was left unchanged" in result.stderr


def test_interrupted_write_keeps_previous_package(project):
    before = snapshot(project / "datapackage")

    def crash(_out_dir: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        publish.build(project, _after_write=crash)
    assert snapshot(project / "datapackage") == before
    assert not list(project.glob(".datapackage-*"))


def test_seed_without_curation_and_curation_without_seed(project):
    (project / "seeds" / "004_new.txt").write_text("A new monograph\n", encoding="utf-8")
    (project / "seeds" / "005_orphan.yaml").write_text("source:\n  title: x\n", encoding="utf-8")
    with pytest.raises(MabdataError) as exc:
        publish.build(project)
    msg = str(exc.value)
    assert "seeds/004_new.txt: source document is not curated" in msg
    assert "seeds/005_orphan.yaml: curation file has no source document" in msg


def test_check_reports_stale_files(project):
    (project / "datapackage" / "data" / "drugs.csv").write_bytes(b"stale\n")
    assert publish.build(project, check=True) == ["data/drugs.csv"]
    result = run_cli("build", "--check", "--root", str(project))
    assert result.returncode == 1 and "data/drugs.csv" in result.stderr
