"""mabdata.adr: adverse-reaction recognition in label sections (TAC 2017 ADR conventions)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mabdata.adr import Mention, find_reactions, load_lexicon
from mabdata.adr.engine import analyze
from mabdata.adr.learn import Row, fit_ranker
from mabdata.adr.lexicon import DATA, LEARNED_FILE, PRIORS_FILE, RANKER_FILE
from mabdata.adr.ranker import Ranker

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
    # the coordination machinery, before the ranker chooses among candidates
    text = "Elevations in ALT or AST greater than 5 times ULN have occurred."
    _, cands = analyze(text, "warnings and precautions", lex)
    ms = sorted(c.mention for c in cands if not c.excluded)
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
    for name in (LEARNED_FILE, PRIORS_FILE, RANKER_FILE):
        body = (DATA / name).read_text(encoding="utf-8")
        assert body.strip(), name
        assert not re.search(r"(?<!\d)10\d{6}(?!\d)", body), f"MedDRA-like code in {name}"


def test_table_footnote_marks_are_not_part_of_words(lex):
    text = "   Rasha        12     3\n   Hypertensiond   8     1\n   Stomatitis  b   5     2\n   Relapsed        4     1\n"
    ms = find_reactions(text, "adverse reactions", lex)
    # "Relapsed" is a word of its own (a table row among reactions), not "relapse" with a mark
    assert [m.term for m in ms] == ["rash", "hypertension", "stomatitis", "relapsed"]
    assert [m.text for m in ms][:3] == ["Rash", "Hypertension", "Stomatitis"]  # the span stops before the mark


def test_spaced_dash_separates_a_list_label(lex):
    text = "Nervous system disorders: Frequent - headache, dizziness; Rare - torticollis, dystonia, tremor"
    assert terms(text, lex) == ["headache", "dizziness", "torticollis", "dystonia", "tremor"]


def test_left_modifiers_keep_compounds_whole_and_leave_counts_out(lex):
    assert "immune-mediated neuropathies" in terms("Grade 3 immune-mediated neuropathies and rash occurred.", lex)
    assert terms("Two suicides were reported.", lex) == ["suicides"]


def test_excluded_candidates_reach_the_ranker_with_their_rule(lex):
    _, cands = analyze("There were no cases of pancreatitis.", "adverse reactions", lex)
    assert [(c.mention.term, c.excluded) for c in cands] == [("pancreatitis", "before:no cases of")]
    # caption and reporting-contact lines are furniture: no candidates at all
    _, cands = analyze("Table 4: Hypersensitivity Reactions and Rash in Study 1\n", "adverse reactions", lex)
    assert cands == []


def test_prior_threshold_without_a_ranker(lex):
    rules_only = load_lexicon()
    rules_only.ranker = None
    text = "The most common adverse reactions were nausea and Infections. There were no cases of pancreatitis."
    assert [m.term for m in find_reactions(text, "adverse reactions", rules_only)] == ["nausea", "infections"]


def test_shipped_ranker_is_small_plain_json(lex):
    path = DATA / RANKER_FILE
    assert path.stat().st_size < 150_000
    body = json.loads(path.read_text(encoding="utf-8"))
    assert 0.0 < body["threshold"] <= body["precise_threshold"] < 1.0
    assert body["meta"]["trained_on"]["labels"] == 101 and body["meta"]["precise_target"] == 0.9
    assert all(isinstance(v, float) and abs(v) < 50 for v in body["weights"].values())
    assert lex.ranker is not None and lex.ranker.weights == Ranker.from_json(path.read_text(encoding="utf-8")).weights


def test_ranker_loads_and_runs_without_scikit_learn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "from mabdata.adr import find_reactions, load_lexicon\n"
        "lex = load_lexicon(); assert lex.ranker is not None\n"
        "print([m.term for m in find_reactions('Adverse reactions were nausea and rash.', 'adverse reactions', lex)])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "['nausea', 'rash']"


def test_fit_ranker_is_deterministic_and_learns_the_signal():
    rows = []
    for i in range(120):
        label, group = f"L{i % 12}", i % 4
        good = i % 3 != 0
        f = {"bias": 1.0, "prior_logit": 2.0 if good else -1.5, "x=none": 1.0 if good else 0.0, "x=before": 0.0 if good else 1.0}
        rows.append(Row(label, group, f"t{i}", f, good, good))
    n_gold = {f"L{k}": 8 for k in range(12)}
    first, second = fit_ranker(rows, n_gold), fit_ranker(rows, n_gold)
    assert first.to_json() == second.to_json()
    assert first.weights["prior_logit"] > 0 > first.weights["x=before"]
    assert first.score(rows[1].features) > first.threshold > first.score(rows[0].features)
    assert first.threshold <= first.precise_threshold
    assert Ranker.from_json(first.to_json()).precise_threshold == first.precise_threshold


def test_precise_operating_point_keeps_a_subset(lex):
    texts = [
        "The most common adverse reactions (>=20%) were nausea, fatigue, injection site reactions and decreased appetite.",
        "Monitor for fever and other signs of infection. Hepatotoxicity, including fatal cases, occurred in 2% of patients.",
    ]
    for text in texts:
        balanced = set(find_reactions(text, "warnings and precautions", lex))
        precise = set(find_reactions(text, "warnings and precautions", lex, precise=True))
        assert precise <= balanced


def test_context_cue_trie_matches_like_the_flat_alternation():
    from mabdata.adr.context import _alternation

    phrases = ["no", "not", "no evidence of", "no cases of", "history of", "a history of", "patients with"]
    flat = re.compile(r"(?<!\w)(?:" + "|".join(sorted(phrases, key=len, reverse=True)) + r")(?=\s)", re.I)
    trie = re.compile(r"(?<!\w)(?:" + _alternation(phrases) + r")(?=\s)", re.I)
    text = "No  no evidence of rash; not noted. Patients with a history of x, NO CASES OF y; nothing, notably no\ncases"
    assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_extra_strings_extend_the_lexicon():
    text = "Patients reported zorblax syndrome."
    assert terms(text, load_lexicon()) == []
    assert terms(text, load_lexicon(["zorblax syndrome"])) == ["zorblax syndrome"]


@pytest.mark.skipif(not TRAIN.is_file(), reason="TAC 2017 training file not present")
def test_evaluate_end_to_end_on_a_few_labels(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import evaluate_tac

    # a smaller training set keeps this fast: the three scored labels and 17 others to learn from
    sections = json.loads(TRAIN.read_text(encoding="utf-8"))
    keep = {"ADCETRIS", "SIMPONI", "BOSULIF", *sorted({s["label_id"] for s in sections})[:17]}
    train = tmp_path / "train.json"
    train.write_text(json.dumps([s for s in sections if s["label_id"] in keep]), encoding="utf-8")
    out = tmp_path / "tac.json"
    argv = ["--train", str(train), "--labels", "ADCETRIS,SIMPONI,BOSULIF", "--no-speed", "--json", str(out)]
    report = evaluate_tac.main(argv)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["cv_learned"] == report["cv_learned"]
    assert saved["cv_prior_threshold"]["all"]["labels"] == 3
    assert saved["cv_learned"]["all"]["labels"] == 3
    assert saved["cv_learned"]["antibodies"]["labels"] == 2
    assert {r["label"] for r in saved["per_label"]} == {"ADCETRIS", "SIMPONI", "BOSULIF"}
    assert saved["cv_learned"]["all"]["f1"] > 0.6
    assert saved["ctcae_rules_only"]["all"]["recall"] < saved["cv_learned"]["all"]["recall"]


def test_plural_keys_meet_their_singulars():
    from mabdata.adr.text import key_of

    # "-as", "-ys" and "-aches" plurals are the reaction nouns labels use most ("arrhythmias", "headaches")
    assert key_of("arrhythmias") == key_of("arrhythmia")
    assert key_of("lymphomas") == key_of("lymphoma")
    assert key_of("headaches") == key_of("headache")
    assert key_of("rashes") == key_of("rash")
    assert key_of("psoriasis") == ("psoriasis",)


def test_candidates_beyond_the_lexicon_reach_the_ranker():
    rules_only = load_lexicon(learned=False)
    text = (
        "Adverse reactions were nausea, vomiting, zorblax gastritis, and rash. Dizziness (e.g., vertigo, lightheadedness) "
        "occurred. Cases of congestive heart failure (CHF) occurred; CHF resolved. Atrial fibrillation/flutter was seen."
    )
    _, cands = analyze(text, "adverse reactions", rules_only)
    by_origin = {(c.mention.term, c.origin) for c in cands}
    assert ("zorblax gastritis", "item") in by_origin  # the whole list item around a known term
    assert ("gastritis", "ctcae") in by_origin  # ... which stays a candidate too
    assert ("lightheadedness", "list") in by_origin  # "e.g." opens the list instead of ending a clause
    assert ("chf", "abbrev") in by_origin  # an acronym defined for a candidate, wherever it stands
    assert ("atrial flutter", "coord") in by_origin
    # without a ranker, only candidates that the rules vouch for are reported
    rules_only.ranker = None
    found = {m.term for m in find_reactions(text, "adverse reactions", rules_only)}
    assert "zorblax gastritis" not in found and "chf" not in found
    assert {"nausea", "vomiting", "gastritis", "rash"} <= found


def test_noun_phrases_around_a_head_word():
    rules_only = load_lexicon(learned=False)
    _, cands = analyze("Cases of tuberculosis infections occurred. POTIGA caused drug-induced liver injury.", None, rules_only)
    nps = {c.mention.term for c in cands if c.origin == "np"}
    # function and list-stop words ("drug") bound the phrase, which never starts inside a compound
    assert nps == {"tuberculosis infections", "liver injury"}


def test_reporting_contact_is_furniture_only_from_its_cue(lex):
    text = "Most common adverse reactions are nausea and rash (6.1)  To report SUSPECTED ADVERSE REACTIONS, contact X."
    assert terms(text, lex) == ["nausea", "rash"]


def _candidates(text: str, lex) -> set[tuple[str, str]]:
    _, cands = analyze(text, "adverse reactions", lex)
    return {(c.mention.term, c.origin) for c in cands if not c.excluded}


def test_site_reactions_and_the_list_that_names_them():
    rules_only = load_lexicon(["infusion site reactions"], learned=False)
    text = "Anaphylaxis; and injection or infusion site reactions including phlebitis, pruritus (1.2 %), and local pain; fever."
    found = _candidates(text, rules_only)
    for site in ("injection site", "infusion site"):
        assert {(f"{site} {w}", "coord") for w in ("phlebitis", "pruritus", "pain")} <= found
    # the items stand for site reactions, not for reactions of their own; the list ends at the clause
    assert not {t for t, _ in found} & {"phlebitis", "pruritus", "pain", "injection", "injection site fever"}
    # a word before "or" is another site only if "<word> site reaction(s)" is a known term
    text = "Creatinine increased or injection site reactions, including site warmth and extravasation, occurred."
    terms_found = {t for t, _ in _candidates(text, rules_only)}
    assert {"injection site warmth", "injection site extravasation"} <= terms_found
    assert not any(t.startswith("increased site") for t in terms_found)
    # "e.g." with its points, and an item longer than a reaction ends the list
    text = "Injection site reactions (e.g. bruising, haematoma, and then a long explanation of events) occurred."
    terms_found = {t for t, _ in _candidates(text, rules_only)}
    assert {"injection site bruising", "injection site haematoma"} <= terms_found
    assert not any("explanation" in t for t in terms_found)


def test_a_shared_prefix_reaches_conjuncts_found_only_as_list_items():
    rules_only = load_lexicon(["swelling of lips"], learned=False)
    found = _candidates("Reactions include itching and swelling of lips, tongue and/or throat.", rules_only)
    assert {("swelling of tongue", "coord_weak"), ("swelling of throat", "coord_weak")} <= found
    assert not {t for t, _ in found} & {"tongue", "throat"}  # consumed by the expansion


def test_disease_names_are_candidates_for_the_ranker_only():
    rules_only = load_lexicon(learned=False)
    text = "Adverse reactions: phimosis occurred in 0.3% of uncircumcised males."
    assert ("phimosis", "disease") in _candidates(text, rules_only)
    rules_only.ranker = None
    assert "phimosis" not in {m.term for m in find_reactions(text, "adverse reactions", rules_only)}
    # they never displace a term of another source: "hypertension" stays a CTCAE term
    assert ("hypertension", "ctcae") in _candidates("Hypertension occurred.", rules_only)


@pytest.mark.skipif(not (ROOT.parent / "shared" / "vocab" / "disease_ontology").is_dir(), reason="needs ../shared/vocab")
def test_shipped_disease_names_regenerate_from_the_ontology():
    from mabdata.adr.lexicon import DISEASE_FILE
    from mabdata.adr.ontology import disease_names, render

    names = disease_names(ROOT.parent / "shared" / "vocab" / "disease_ontology" / "doid.obo.gz")
    assert render(names) == (DATA / DISEASE_FILE).read_text(encoding="utf-8")
    assert "phimosis" in names and "disease" not in names and "ms" not in names
    assert not any(re.search(r"\d|DOID", n) for n in names)  # names only, never an identifier
