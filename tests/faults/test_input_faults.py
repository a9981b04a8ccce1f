"""Faults in the build inputs: `mabdata build` must fail with file, line, table, statement and
field, leave the previous datapackage/ byte for byte as it was, and leave no temporary folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import snapshot

from mabdata import publish
from mabdata.errors import MabdataError

SOCA = "seeds/002_f633e4ad168ed7ca.yaml"
SOCA_TXT = "seeds/002_f633e4ad168ed7ca.txt"
ALEM = "seeds/003_1bfec97f6d0247a0.yaml"
ISA = "labels/BLA761113.yaml"
ISA_JSON = "labels/raw/BLA761113.json"


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
        replace(SOCA, "        timing: once every two or three weeks\n", "        timing: [once\n"),
        [f"{SOCA}:152: YAML syntax error: the '[' opened at line 152 (column 17) is not closed before line 153"],
    ),
    "unknown-key": (
        replace(SOCA, "        dose_unit: mg/kg\n", "        dose_unit: mg/kg\n        dose_units: mg\n"),
        [f"{SOCA}:152 dosing_steps row 1 field dose_units: unknown key 'dose_units' (did you mean 'dose_unit'?"],
    ),
    "unknown-section": (
        replace(SOCA, "regimens:\n", "regimen:\n"),
        [SOCA, "unknown section 'regimen'", "did you mean 'regimens'"],
    ),
    "duplicate-key": (
        replace(SOCA, "        dose_unit: mg/kg\n", "        dose_unit: mg/kg\n        dose_unit: mg\n"),
        [f"{SOCA}:152", "duplicate key 'dose_unit' (first at line 151)"],
    ),
    "missing-quote": (
        replace(ALEM, "    quote: Alemtuzumab has shown promise in clinical trials\n", ""),
        [f"{ALEM}:", "studies row 1 field quote: a claim needs evidence"],
    ),
    "quote-and-evidence-list": (
        replace(SOCA, "    route: INTRAVENOUS\n", "    route: INTRAVENOUS\n    quote: Socazolimab\n"),
        [SOCA, "regimens row 1 field evidence: give either 'quote' or an 'evidence' list, not both"],
    ),
    "wrong-value-type": (
        replace(SOCA, "        value: 15.4\n", "        value: high\n"),
        [f"{SOCA}:196 trial_results row 1 field value:", "valid number"],
    ),
    "quote-absent": (
        replace(SOCA, "The recommended dose is 5 mg/kg", "The recommended dose is 6 mg/kg"),
        [f"{SOCA}:172 regimens row 1 field quote: quote not found in the source text"],
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
    "quote-across-label-sections": (
        replace(ISA, '    quote: "Manufactured by: sanofi-aventis U.S. LLC"\n', '    quote: "sanofi-aventis U.S. LLC\\n\\n["\n'),
        [ISA],
    ),
    "unknown-vocabulary-term": (
        replace(SOCA, "    route: INTRAVENOUS\n", "    route: intravenus\n"),
        [f"{SOCA}:147 regimens row 1 field route: unknown route term 'intravenus' (closest known terms: INTRAVENOUS"],
    ),
    "unknown-status-term": (
        replace(ALEM, "    status: in use\n", "    status: aproved\n"),
        [f"{ALEM}:88 indications row 1 field status: unknown indication_status term 'aproved' (closest known terms: approved"],
    ),
    "inferred-field-unknown": (
        replace(ALEM, "    inferred: [status]\n", "    inferred: [stattus]\n"),
        [ALEM, "field inferred: inferred field 'stattus' is not a field of indications"],
    ),
    "target-not-named-not-inferred": (
        replace(SOCA, "    inferred: [target_id]\n", ""),
        [SOCA, "no quote of the claim names its target_id (target_term is empty)"],
    ),
    "title-not-first-line": (
        replace(SOCA, 'title: "Socazolimab: Uses', 'title: "Socazolimab: Usage'),
        [f"{SOCA}:5 field title: title 'Socazolimab: Usage, Side Effects, and How It Works' is not the document's first line"],
    ),
    "drug-id-typo-is-one-error": (
        replace(ALEM, "  - drug_id: alemtuzumab\n    term: chills\n", "  - drug_id: alemtuzumabb\n    term: chills\n"),
        [
            f"{ALEM}:",
            "field drug_id: drug 'alemtuzumabb' is in no reference file and no drug_names claim names it "
            "(did you mean 'alemtuzumab'?)",
        ],
    ),
    "target-not-in-hgnc": (
        replace(ALEM, "    target_id: CD52\n", "    target_id: CD52X\n"),
        [f"{ALEM}:52", "field target_id: 'CD52X' is not an HGNC symbol in reference/hgnc"],
    ),
    "condition-not-in-doid": (
        replace(ALEM, "    condition_id: DOID:2377\n", "    condition_id: DOID:2378\n"),
        [f"{ALEM}:86", "field condition_id: 'DOID:2378' is not a Disease Ontology id"],
    ),
    "disagreement-without-flag": (
        replace("seeds/001_b735163c3ee337a8.yaml", "    flag: disagrees with reference\n", ""),
        ["seeds/001_b735163c3ee337a8.yaml", "drug_properties row 2 field value: the source's value differs from the reference"],
    ),
    "inverted-skos-relation": (
        replace(SOCA, "    ctcae_match: skos:narrowMatch\n", "    ctcae_match: skos:broadMatch\n"),
        [SOCA, "field ctcae_match: 'Rash maculo-papular' qualifies 'rash', so it is narrower: use skos:narrowMatch"],
    ),
    "conflicting-restatement": (
        lambda root: [
            replace(
                "seeds/001_b735163c3ee337a8.yaml",
                "    target_term: CD38 receptor\n    action_type: BINDING AGENT\n    mechanism: ADCC\n",
                "    target_term: CD38 receptor\n    action_type: BINDING AGENT\n    mechanism: ADCC\n    flag: dubious\n",
            )(root),
            replace(ISA, "    mechanism: ADCC\n", "    mechanism: ADCC\n    flag: ambiguous\n")(root),
        ],
        ["drug_targets", "the same claim is stated in", "with flag"],
    ),
    "document-empty": (write(SOCA_TXT, b""), [SOCA_TXT, "source document is empty"]),
    "document-not-utf8": (write(SOCA_TXT, "Socazolimab – caf\u00e9".encode("latin-1", "replace")), [SOCA_TXT, "not UTF-8"]),
    "curation-not-utf8": (write(SOCA, b"source:\n  title: caf\xe9\n"), [SOCA, "not UTF-8"]),
    "document-not-curated": (
        write("seeds/004_new.txt", b"A new monograph\n"),
        ["seeds/004_new.txt", "source document is not curated"],
    ),
    "curation-without-document": (lambda root: (root / SOCA_TXT).unlink(), [SOCA, "curation file has no source document"]),
    "label-record-not-json": (write(ISA_JSON, b"{not json"), [ISA_JSON, "[label]"]),
    "label-rendering-stale": (replace("labels/BLA761113.txt", "SARCLISA", "SARCLISO"), ["differs from the rendering"]),
    "python-tag-refused": (
        replace(SOCA, "source:\n", "source: !!python/object/apply:os.system ['touch pwned']\nsrc:\n"),
        [SOCA, "YAML tags (!!...) are not allowed"],
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
        [f"{SOCA}:32 drug_organizations row 2 field territory: text starts with a spreadsheet formula character"],
    )
    for name, prefix in {"equals": "=", "plus": "+", "at": "@", "tab": "\\t", "cr": "\\r"}.items()
}
ALL = {**FAULTS, **FORMULA}
ONE_ERROR = {"drug-id-typo-is-one-error", "unknown-vocabulary-term", "unknown-status-term", "yaml-syntax-error", "quote-absent"}


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
    if fault in ONE_ERROR:  # one root cause, one error: no cascade of follow-on complaints
        assert len(exc.value.problems) == 1, message
    assert snapshot(project / "datapackage") == before
    assert not list(project.glob(".datapackage-*"))
    assert not (project / "pwned").exists()
