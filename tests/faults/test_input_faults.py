"""Faults in the build inputs: `mabdata build` must fail with file, line, table, statement and
field, leave the previous datapackage/ byte for byte as it was, and leave no temporary folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import copy_project, snapshot

from mabdata import publish
from mabdata.errors import MabdataError

SOCA = "seeds/002_f633e4ad168ed7ca.yaml"
SOCA_TXT = "seeds/002_f633e4ad168ed7ca.txt"
ALEM = "seeds/003_1bfec97f6d0247a0.yaml"


def replace(rel: str, old: str, new: str):
    def apply(root: Path) -> None:
        path = root / rel
        data = path.read_bytes()
        assert old.encode() in data, old
        path.write_bytes(data.replace(old.encode(), new.encode(), 1))

    return apply


def write(rel: str, data: bytes):
    return lambda root: (root / rel).write_bytes(data)


FAULTS = {
    "yaml-syntax-error": (
        replace(SOCA, "    frequency: once every two or three weeks\n", "    frequency: [once\n"),
        [SOCA, "[yaml]", "(line ", "column "],
    ),
    "unknown-key": (
        replace(SOCA, "    dose_unit: mg/kg\n", "    dose_unit: mg/kg\n    dose_units: mg\n"),
        [SOCA, "regimens row 3 field dose_units: unknown key 'dose_units' (expected one of:"],
    ),
    "unknown-section": (replace(SOCA, "regimens:\n", "regimen:\n"), [SOCA, "unknown section 'regimen'"]),
    "duplicate-key": (
        replace(SOCA, "    dose_unit: mg/kg\n", "    dose_unit: mg/kg\n    dose_unit: mg\n"),
        [SOCA, "duplicate key 'dose_unit'"],
    ),
    "missing-quote": (
        replace(ALEM, "    quote: Alemtuzumab can induce autoimmune thyroid disease\n", ""),
        [ALEM, "adverse_events row 7 field quote: missing required key 'quote'"],
    ),
    "wrong-value-type": (replace(SOCA, "    value: 15.4\n", "    value: high\n"), [SOCA, "trial_results row 1 field value:"]),
    "quote-absent": (
        replace(SOCA, "The recommended dose is 5 mg/kg", "The recommended dose is 6 mg/kg"),
        [SOCA, "regimens row 3 field quote: quote not found in the source text"],
    ),
    "quote-twice-without-occurrence": (
        replace(SOCA, '    quote: "Socazolimab: Uses, Side Effects, and How It Works"\n', "    quote: Socazolimab\n"),
        [SOCA, "drug_names row 1 field quote: quote occurs", "add 'occurrence: N'"],
    ),
    "occurrence-out-of-range": (
        replace(
            SOCA,
            "    quote: Developed by Sorrento Therapeutics\n",
            "    quote: Developed by Sorrento Therapeutics\n    occurrence: 2\n",
        ),
        [SOCA, "occurrence 2 requested but the quote occurs 1 time(s)"],
    ),
    "unknown-vocabulary-term": (
        replace(SOCA, "    route: INTRAVENOUS\n", "    route: intravenus\n"),
        [SOCA, "unknown route term 'intravenus' (closest known terms: INTRAVENOUS"],
    ),
    "unknown-status-term": (
        replace(ALEM, "    status: in use\n", "    status: aproved\n"),
        [ALEM, "indications row 1 field status: unknown indication_status term 'aproved' (closest known terms: approved"],
    ),
    "title-not-first-line": (
        replace(SOCA, 'title: "Socazolimab: Uses', 'title: "Socazolimab: Usage'),
        [SOCA, "source field title:"],
    ),
    "drug-not-declared": (
        replace(ALEM, "  - drug_id: alemtuzumab\n    term: chills\n", "  - drug_id: alemtuzumabb\n    term: chills\n"),
        [ALEM, "field drug_id: drug 'alemtuzumabb' is not described"],
    ),
    "target-not-in-hgnc": (
        replace(ALEM, "    target_id: CD52\n", "    target_id: CD52X\n"),
        [ALEM, "field target_id: 'CD52X' is not an HGNC symbol in reference/hgnc"],
    ),
    "condition-not-in-doid": (
        replace(ALEM, "    condition_id: DOID:2377\n", "    condition_id: DOID:2378\n"),
        [ALEM, "field condition_id: 'DOID:2378' is not a Disease Ontology id"],
    ),
    "disagreement-without-note": (
        replace(
            "seeds/001_b735163c3ee337a8.yaml",
            "    curation_note: The source calls isatuximab humanized; Thera-SAbDab classifies it as chimeric.\n",
            "",
        ),
        [
            "seeds/001_b735163c3ee337a8.yaml",
            "drugs row 1 field sequence_source: the source says 'humanized' but Thera-SAbDab says 'chimeric'",
        ],
    ),
    "document-empty": (write(SOCA_TXT, b""), [SOCA_TXT, "source document is empty"]),
    "document-not-utf8": (write(SOCA_TXT, "Socazolimab – caf\u00e9".encode("latin-1", "replace")), [SOCA_TXT, "not UTF-8"]),
    "curation-not-utf8": (write(SOCA, b"source:\n  title: caf\xe9\n"), [SOCA, "not UTF-8"]),
    "document-not-curated": (
        write("seeds/004_new.txt", b"A new monograph\n"),
        ["seeds/004_new.txt", "source document is not curated"],
    ),
    "curation-without-document": (lambda root: (root / SOCA_TXT).unlink(), [SOCA, "curation file has no source document"]),
    "python-tag-refused": (
        replace(SOCA, "source:\n", "source: !!python/object/apply:os.system ['touch pwned']\nsrc:\n"),
        [SOCA, "could not determine a constructor for the tag"],
    ),
    "source-id-with-dotdot": (
        lambda root: [
            (root / f"seeds/..evil{ext}").write_bytes((root / f"{SOCA[:-5]}{ext}").read_bytes()) for ext in (".txt", ".yaml")
        ],
        ["seeds/..evil.txt", "is not a plain file stem"],
    ),
}
# Each spreadsheet formula trigger (OWASP CSV injection), written as a double-quoted YAML scalar.
FORMULA = {
    f"formula-{name}": (
        replace(SOCA, "    territory: Greater China\n", f'    territory: "{prefix}Greater China"\n'),
        [SOCA, "drug_organizations row 2 field territory: text starts with a spreadsheet formula character"],
    )
    for name, prefix in {"equals": "=", "plus": "+", "at": "@", "tab": "\\t", "cr": "\\r"}.items()
}
ALL = {**FAULTS, **FORMULA}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("pristine") / "project")


@pytest.fixture
def project(pristine, tmp_path) -> Path:
    import shutil

    dest = tmp_path / "project"
    shutil.copytree(pristine, dest)
    return dest


@pytest.mark.parametrize("fault", sorted(ALL))
def test_input_fault_fails_clearly_and_loses_nothing(project, fault):
    apply, expected = ALL[fault]
    apply(project)
    before = snapshot(project / "datapackage")
    with pytest.raises(MabdataError) as exc:
        publish.build(project)
    message = str(exc.value)
    for part in expected:
        assert part in message, message
    assert snapshot(project / "datapackage") == before
    assert not list(project.glob(".datapackage-*"))
    assert not (project / "pwned").exists()
