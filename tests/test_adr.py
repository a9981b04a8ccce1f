"""mabdata.adr: adverse-reaction recognition in label sections (TAC 2017 ADR conventions)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from mabdata.adr import Mention, find_reactions, load_lexicon
from mabdata.adr.lexicon import DATA, LEARNED_FILE, PRIORS_FILE

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT.parent / "shared" / "benchmarks" / "tac2017_adr" / "train.json"


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


def terms(text: str, lex) -> list[str]:
    return [m.term for m in find_reactions(text, "adverse reactions", lex)]


def test_listed_reactions_each_found(lex):
    text = "The most common adverse reactions (>=20%) were nausea, vomiting, and diarrhea."
    assert terms(text, lex) == ["nausea", "vomiting", "diarrhea"]


def test_list_propagation_reaches_unlisted_terms(lex):
    # an invented term is in no vocabulary; listed among known reactions it is taken as one
    text = "Adverse reactions included rash, pruritus, zorblax dermatosis, and alopecia."
    assert terms(text, lex) == ["rash", "pruritus", "zorblax dermatosis", "alopecia"]
    # ... but not in a list of mostly non-reactions
    assert "zorblax dermatosis" not in terms("Patients received aspirin, heparin, zorblax dermatosis, and warfarin.", lex)


def test_coordinated_lab_abnormalities_are_distributed(lex):
    text = "Elevations in ALT or AST greater than 5 times ULN have occurred."
    ms = find_reactions(text, "warnings and precautions", lex)
    assert [m.term for m in ms] == ["elevations in alt", "elevations in ast"]
    assert all(m.kind == "lab_abnormality" for m in ms)


def test_head_with_parenthesized_modifiers(lex):
    text = "Rash (includes generalized, macular, papular) was reported in 5%."
    assert {"rash generalized", "rash macular", "rash papular"} <= set(terms(text, lex))


def test_shared_head_noun(lex):
    text = "Patients are at increased risk of bacterial, viral, and fungal infections."
    assert terms(text, lex) == ["bacterial infections", "viral infections", "fungal infections"]


def test_injection_site_list(lex):
    text = "Injection site reactions (pain, burning, coldness) occurred in 0.4%."
    found = terms(text, lex)
    assert {"injection site pain", "injection site burning", "injection site coldness"} <= set(found)
    assert "pain" not in found


def test_negated_and_history_contexts_are_not_reactions(lex):
    assert terms("There were no cases of pancreatitis.", lex) == []
    assert terms("Use caution in patients with a history of seizures.", lex) == []
    assert terms("CIMZIA was studied in patients with rheumatoid arthritis.", lex) == []


def test_lab_abnormalities_both_word_orders(lex):
    ms = find_reactions("Abnormalities included increased ALT, AST increased and decreased neutrophil count.", None, lex)
    assert [(m.term, m.kind) for m in ms] == [
        ("increased alt", "lab_abnormality"),
        ("ast increased", "lab_abnormality"),
        ("decreased neutrophil count", "lab_abnormality"),
    ]


def test_flattened_table_rows(lex):
    text = (
        "Table 2: Most Commonly Reported Adverse Reactions\n"
        "                          Drug   Placebo\n"
        "   Infections and infestations\n"
        "     Upper respiratory tract infection      47     -\n"
        "     Neutropenia                             54    15\n"
        "     Onychoclasis                            12     1\n"
        "     Rash                                    27     3\n"
    )
    found = terms(text, lex)
    # the SOC header is no reaction (nor is "Infections" in it); an unknown row among known rows is one
    assert found == ["upper respiratory tract infection", "neutropenia", "onychoclasis", "rash"]


def test_no_reactions_from_furniture(lex):
    text = (
        "      To report SUSPECTED ADVERSE REACTIONS, contact Seattle Genetics, Inc. at 1-855-473-2436 or FDA at "
        "1-800-FDA-1088 or www.fda.gov/medwatch.\n"
        "Table 4: Hypersensitivity Reactions, Rash and Neutropenia in Study 1\n"
    )
    assert terms(text, lex) == []


def test_offsets_are_verbatim_python_code_points(lex):
    text = "Naïve patients – see § 5 – reported naüsea?? then héadache, rash (2%), dizziness and\u00a0anemia.\n  Fatigue  4  1\n"
    ms = find_reactions(text, None, lex)
    assert ms, "expected mentions"
    for m in ms:
        assert isinstance(m, Mention)
        assert m.text == text[m.start : m.end]


@pytest.mark.skipif(not TRAIN.is_file(), reason="TAC 2017 training file not present")
def test_offsets_verbatim_and_deterministic_on_real_sections(lex):
    sections = json.loads(TRAIN.read_text(encoding="utf-8"))[:12]
    for s in sections:
        text = s["section_text"]
        first = find_reactions(text, s["section_name"], lex)
        assert first == find_reactions(text, s["section_name"], lex)
        assert first == find_reactions(text, s["section_name"], load_lexicon())
        for m in first:
            assert m.text == text[m.start : m.end]
            assert m.kind in ("reaction", "lab_abnormality")


def test_shipped_learned_files_hold_no_meddra_codes():
    for name in (LEARNED_FILE, PRIORS_FILE):
        body = (DATA / name).read_text(encoding="utf-8")
        assert body.strip(), name
        assert not re.search(r"(?<!\d)10\d{6}(?!\d)", body), f"MedDRA-like code in {name}"


def test_extra_strings_extend_the_lexicon():
    text = "Patients reported zorblax syndrome."
    assert terms(text, load_lexicon()) == []
    assert terms(text, load_lexicon(["zorblax syndrome"])) == ["zorblax syndrome"]


@pytest.mark.skipif(not TRAIN.is_file(), reason="TAC 2017 training file not present")
def test_evaluate_end_to_end_on_a_few_labels(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import evaluate_tac

    out = tmp_path / "tac.json"
    report = evaluate_tac.main(["--labels", "ADCETRIS,SIMPONI,BOSULIF", "--no-speed", "--json", str(out)])
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["cv_learned"] == report["cv_learned"]
    assert saved["cv_learned"]["all"]["labels"] == 3
    assert saved["cv_learned"]["antibodies"]["labels"] == 2
    assert {r["label"] for r in saved["per_label"]} == {"ADCETRIS", "SIMPONI", "BOSULIF"}
    assert saved["cv_learned"]["all"]["f1"] > 0.6
    assert saved["ctcae_rules_only"]["all"]["recall"] < saved["cv_learned"]["all"]["recall"]
