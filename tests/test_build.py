"""The build: deterministic, atomic, clear about bad input, and one row per claim."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import snapshot

from mabdata import publish
from mabdata.build import build_tables
from mabdata.errors import MabdataError


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mabdata", *args], capture_output=True, text=True, cwd=cwd)


def test_committed_package_is_current():
    result = run_cli("build", "--check")
    assert result.returncode == 0, result.stderr


def test_rebuild_is_byte_identical(project):
    before = snapshot(project / "datapackage")
    old = {rel: pq.read_table(project / "datapackage" / rel) for rel in before if rel.endswith(".parquet")}
    # Another interpreter with another string-hash seed: set iteration order must not leak out.
    seed = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-m", "mabdata", "build", "--root", str(project)], capture_output=True, text=True, env=seed
    )
    assert result.returncode == 0, result.stderr
    after = snapshot(project / "datapackage")
    assert before.keys() == after.keys()
    for rel in before:
        if rel.endswith(".parquet"):
            assert pq.read_table(project / "datapackage" / rel).equals(old[rel]), rel
        else:
            assert before[rel] == after[rel], rel


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


SOCA = "seeds/002_f633e4ad168ed7ca.yaml"
ISA = "labels/BLA761113.yaml"


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"),
    [
        (
            SOCA,
            "        dose_unit: mg/kg\n",
            "        dose_unit: mg/kg\n        dose_untis: mg\n",
            f"{SOCA}:152 dosing_steps row 1 field dose_untis: unknown key 'dose_untis' (did you mean 'dose_unit'?",
        ),
        (
            SOCA,
            "The recommended dose is 5 mg/kg",
            "The recommended dose is 6 mg/kg",
            f"{SOCA}:172 regimens row 1 field quote: quote not found in the source text",
        ),
        (
            SOCA,
            "    route: INTRAVENOUS\n",
            "    route: INTRAVENUS\n",
            f"{SOCA}:147 regimens row 1 field route: unknown route term 'INTRAVENUS' (closest known terms: INTRAVENOUS",
        ),
        (
            SOCA,
            "        value: 15.4\n",
            "        value: 154\n",
            f"{SOCA}:196 trial_results row 1 field value: a proportion above 100",
        ),
        (
            SOCA,
            "        value: 15.4\n",
            "        value: 15.3\n",
            f"{SOCA}:196 trial_results row 1 field value: the stated number occurs in none of the claim's quotes",
        ),
        (
            SOCA,
            "        period_max: 3\n",
            "        period_max: 1\n",
            f"{SOCA}:154 dosing_steps row 1 field period: period is greater than period_max",
        ),
        (
            SOCA,
            "    name: Socazolimab\n",
            "    name: Socazolimabb\n",
            f"{SOCA}:9 drug_names row 1 field name: the stated text occurs",
        ),
        (
            SOCA,
            "    organization: Sorrento Therapeutics\n",
            "    organization: =Sorrento Therapeutics\n",
            f"{SOCA}:26 drug_organizations row 1 field organization:",
        ),
        (
            SOCA,
            "        quote: The ORR for the socazolimab group was 75.5%, versus 68.1% for the placebo group\n",
            "        quote: socazolimab\n",
            f"{SOCA}:257 trial_results row 2 field quote: quote occurs 8 times (at offsets 1336,",
        ),
        (
            SOCA,
            "source:\n",
            "source: !!python/object/apply:os.system ['touch mabdata-pwned']\nsrc:\n",
            "YAML tags (!!...) are not allowed",
        ),
        (
            SOCA,
            "        timing: once every two or three weeks\n",
            "        timing: [once\n",
            f"{SOCA}:152: YAML syntax error: the",
        ),
        (
            ISA,
            "    term: Second Primary Malignancies\n",
            "    term: Second Primary Malignancy\n",
            f"{ISA}:353 adverse_events row 14 field term: the stated text occurs in none of the claim's quotes",
        ),
        (
            ISA,
            "        quote: &icaria_pfs >-\n"
            "          Endpoint SARCLISA + Pomalidomide + Dexamethasone Pomalidomide + Dexamethasone N=154 N=153\n",
            "        quote: &icaria_pfs >-\n",
            "trial_results row 1 field arm: the stated text occurs in none of the claim's quotes",
        ),
    ],
)
def test_bad_input_fails_with_location_and_leaves_package_untouched(project, rel, old, new, expected):
    edit(project / rel, old, new)
    before = snapshot(project / "datapackage")
    with pytest.raises(MabdataError) as exc:
        publish.build(project)
    assert expected in str(exc.value)
    assert rel in str(exc.value)
    assert snapshot(project / "datapackage") == before
    assert not list(project.glob(".datapackage-*"))
    assert not (project / "mabdata-pwned").exists() and not Path("mabdata-pwned").exists()


def test_cli_reports_errors_without_traceback(project):
    edit(project / SOCA, "    route: INTRAVENOUS\n", "    route: INTRAVENUS\n")
    result = run_cli("build", "--root", str(project))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(f"{SOCA}:147 ")
    assert "datapackage/ was left unchanged" in result.stderr


def test_interrupted_write_keeps_previous_package(project):
    before = snapshot(project / "datapackage")

    def crash(_out_dir: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        publish.build(project, _after_write=crash)
    assert snapshot(project / "datapackage") == before
    assert not list(project.glob(".datapackage-*"))


def test_unpaired_documents_and_curation_files(project):
    (project / "seeds" / "004_new.txt").write_text("A new monograph\n", encoding="utf-8")
    (project / "seeds" / "005_orphan.yaml").write_text("source:\n  title: x\n", encoding="utf-8")
    (project / "labels" / "BLA000000.yaml").write_text("source:\n  title: x\n", encoding="utf-8")
    (project / "labels" / "BLA761113.yaml").rename(project / "labels" / "BLA761113.yaml.bak")
    with pytest.raises(MabdataError) as exc:
        publish.build(project)
    msg = str(exc.value)
    assert "seeds/004_new.txt: source document is not curated" in msg
    assert "seeds/005_orphan.yaml: curation file has no source document" in msg
    assert "labels/BLA000000.yaml: curation file has no label record labels/raw/BLA000000.json" in msg
    assert "labels/raw/BLA761113.json: label is not curated: add labels/BLA761113.yaml" in msg


def test_stale_rendered_label_is_an_error(project):
    path = project / "labels" / "BLA761113.txt"
    path.write_bytes(path.read_bytes().replace(b"SARCLISA", b"SARCLISO", 1))
    with pytest.raises(MabdataError, match=r"differs from the rendering of raw/BLA761113\.json"):
        publish.build(project)


def test_check_reports_stale_files(project):
    (project / "datapackage" / "data" / "drug_names.csv").write_bytes(b"stale\n")
    assert publish.build(project, check=True) == ["data/drug_names.csv"]
    result = run_cli("build", "--check", "--root", str(project))
    assert result.returncode == 1 and "data/drug_names.csv" in result.stderr


def test_check_command_checks_one_file_without_writing(project):
    before = snapshot(project / "datapackage")
    ok = run_cli("check", ISA, "--root", str(project))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: BLA761113: ") and "indications 2" in ok.stdout
    edit(project / ISA, "    route: INTRAVENOUS\n", "    route: IV drip\n")
    bad = run_cli("check", ISA, "--root", str(project))
    assert bad.returncode == 1 and f"{ISA}:" in bad.stderr and "unknown route term 'IV drip'" in bad.stderr
    assert snapshot(project / "datapackage") == before


def test_restated_claim_is_one_row_with_evidence_from_each_quote(project):
    """Stating a claim again (here in another file) adds an evidence row, not a claim row."""
    tables, _ = build_tables(project)
    before = len(tables["indications"]), len(tables["evidence"])
    restated = (
        "indications:\n  - drug_id: alemtuzumab\n    condition_id: DOID:2377\n    condition_term: multiple sclerosis (MS)\n"
        "    status: in use\n    regulator: unspecified\n"
        "    quote: In multiple sclerosis, Alemtuzumab's depletion of T and B cells\n"
    )
    edit(project / "seeds" / "003_1bfec97f6d0247a0.yaml", "indications:\n", restated)
    tables, _ = build_tables(project)
    assert (len(tables["indications"]), len(tables["evidence"])) == (before[0], before[1] + 1)


def test_conflicting_restatement_is_an_error(project):
    edit(
        project / ISA,
        "    term: pregnant women\n    kind: pregnancy\n    strength: contraindicated\n",
        "    term: pregnant women\n    kind: pregnancy\n    strength: contraindicated\n    flag: dubious\n",
    )
    text = (project / ISA).read_text(encoding="utf-8")
    block = text[text.index("  - drug_id: isatuximab\n    term: pregnant women") : text.index("\nadverse_events:")]
    (project / ISA).write_text(text.replace(block, block + "\n" + block.replace("    flag: dubious\n", "    flag: ambiguous\n")))
    with pytest.raises(MabdataError, match=r"the same claim is stated in .* with flag 'dubious'"):
        build_tables(project)
