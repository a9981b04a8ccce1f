"""Render one openFDA drug-label record (labels/raw/<STEM>.json) into a deterministic text.

The rendered text is what quotes and offsets elsewhere refer to, so every rule below is fixed
and the section strings are copied verbatim: a quote must be a slice of the rendered text.

Rules
1. The input bytes are decoded as UTF-8 and parsed with json.loads. Section strings are kept
   exactly as given (no stripping, no whitespace changes).
2. First line (the title):
   ``{brand} ({generic}) prescribing information — openFDA {application_number}, SPL set
   {set_id} version {version}, effective {YYYY-MM-DD}`` from openfda.brand_name[0],
   openfda.generic_name[0] (case as given), openfda.application_number[0], and the record's
   set_id, version and effective_time (YYYYMMDD, written as an ISO date).
3. Then every rendered section, in label order (the order of KEPT_FIELDS, that of the
   prescribing information; not the record's key order, which four records scramble): an empty line, a heading line
   ``[<Title>]`` (Title = the description of the field in
   schema/vocabularies/label_section.csv), then the field's strings, one per line (several
   strings = several parts joined with "\\n"). The text ends with a single "\\n".
4. Kept fields are KEPT_FIELDS. Skipped are SKIPPED_FIELDS (ingredient list, carton panels,
   and the patient leaflets, which repeat the label in lay words: page furniture), every
   ``<field>_table`` field (HTML copies of tables already flattened into the text) and the
   metadata keys METADATA_FIELDS. Any other key, or a ``<field>_table`` whose field is in
   neither list, is an error: an unexpected openFDA field must not silently change the text.
5. Subsections. openFDA repeats subsections verbatim inside their parent (mechanism_of_action
   inside clinical_pharmacology, pregnancy inside use_in_specific_populations, ...), and the
   record's key order does not always put the parent first. Kept fields are therefore decided
   longest text first (ties: key order): a field all of whose strings occur inside the text
   of one field already decided to be rendered is not rendered again; it becomes a
   subsection whose offsets point at the first occurrence of each string inside that parent
   (the first such parent in key order). Every other kept field is rendered as its own
   section. A field only partly contained (some strings in one field, some elsewhere or
   nowhere) is rendered in full.
6. render() returns a RenderedLabel; its sections are Section(section, part, start, end,
   parent) with code-point offsets into text (end exclusive, heading line excluded), ordered
   by position (a parent part before the subsections inside it).
7. Bad input raises MabdataError with one Problem("label", ...) per fault (all faults of the
   file at once), located by file and JSON path (e.g. ``results[0].boxed_warning``).

Observed on the 44 labels of ../shared/corpus/fda_labels: four records (BLA103792,
BLA761038, BLA761040, BLA761060) store their keys in a non-label order (e.g. drug_interactions
first, boxed_warning in the middle); the text still follows label order (rule 3). In
BLA761044 storage_and_handling has two strings, one inside dosage_and_administration and
one inside how_supplied, so it is rendered as its own section (rule 5).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from mabdata import schemas
from mabdata.errors import MabdataError, Problem

# Kept fields in the order of the prescribing information (21 CFR 201.57(c)): the text follows
# this order whatever order the record stores its keys in.
KEPT_FIELDS: tuple[str, ...] = (
    "boxed_warning",
    "recent_major_changes",
    "indications_and_usage",
    "dosage_and_administration",
    "dosage_forms_and_strengths",
    "contraindications",
    "warnings_and_cautions",
    "adverse_reactions",
    "drug_interactions",
    "use_in_specific_populations",
    "pregnancy",
    "pediatric_use",
    "geriatric_use",
    "overdosage",
    "description",
    "clinical_pharmacology",
    "mechanism_of_action",
    "pharmacodynamics",
    "pharmacokinetics",
    "pharmacogenomics",
    "nonclinical_toxicology",
    "carcinogenesis_and_mutagenesis_and_impairment_of_fertility",
    "animal_pharmacology_and_or_toxicology",
    "clinical_studies",
    "references",
    "how_supplied",
    "storage_and_handling",
    "information_for_patients",
    "spl_unclassified_section",
)
SKIPPED_FIELDS: tuple[str, ...] = (
    "instructions_for_use",
    "package_label_principal_display_panel",
    "spl_medguide",
    "spl_patient_package_insert",
    "spl_product_data_elements",
)
METADATA_FIELDS: tuple[str, ...] = ("effective_time", "id", "openfda", "set_id", "version")
TABLE_SUFFIX = "_table"
VOCABULARY = "label_section"
CHECK = "label"

_KEPT = frozenset(KEPT_FIELDS)
_SKIPPED = frozenset(SKIPPED_FIELDS)
_RECORD = "results[0]"
_OPENFDA = f"{_RECORD}.openfda"


@dataclass(frozen=True)
class Section:
    """One string of a label field and where it sits in the rendered text."""

    section: str
    part: int
    start: int
    end: int
    parent: str | None


@dataclass(frozen=True)
class RenderedLabel:
    stem: str
    text: str
    title: str
    sections: tuple[Section, ...]
    meta: dict[str, Any]


class _Object(dict):
    """A JSON object that remembers keys json.loads would otherwise silently overwrite."""

    duplicates: tuple[str, ...] = ()


def _object_hook(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated: dict[str, None] = {}
        for key, _ in pairs:
            if key in seen:
                repeated[key] = None
            seen.add(key)
        obj.duplicates = tuple(repeated)
    return obj


class _Problems:
    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []

    def add(self, message: str, field: str | None = None, line: int | None = None) -> None:
        self.items.append(Problem(CHECK, message, file=self.file, field=field, line=line))

    def raise_if_any(self) -> None:
        if self.items:
            raise MabdataError(self.items)


def _type_name(value: Any) -> str:
    return {dict: "an object", _Object: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _check_duplicates(obj: Any, path: str, out: _Problems) -> None:
    for key in getattr(obj, "duplicates", ()):
        out.add(f"duplicate key {key!r} (JSON keeps only the last value)", f"{path}.{key}" if path else key)


def _check_strings(value: Any, path: str, out: _Problems) -> bool:
    """A label field must be a non-empty list of non-empty strings."""
    if not isinstance(value, list):
        out.add(f"expected a non-empty list of strings, got {_type_name(value)}", path)
        return False
    if not value:
        out.add("empty list (a section needs at least one string)", path)
        return False
    ok = True
    for i, item in enumerate(value):
        if not isinstance(item, str):
            out.add(f"expected a string, got {_type_name(item)}", f"{path}[{i}]")
            ok = False
        elif not item:
            out.add("empty string", f"{path}[{i}]")
            ok = False
    return ok


def _first_string(openfda: dict[str, Any], key: str, out: _Problems) -> str | None:
    path = f"{_OPENFDA}.{key}"
    if key not in openfda:
        out.add(f"missing openfda.{key}", path)
        return None
    if _check_strings(openfda[key], path, out):
        return openfda[key][0]
    return None


def _optional_strings(openfda: dict[str, Any], key: str, out: _Problems) -> tuple[str, ...]:
    if key not in openfda:
        return ()
    return tuple(openfda[key]) if _check_strings(openfda[key], f"{_OPENFDA}.{key}", out) else ()


def _metadata_string(record: dict[str, Any], key: str, out: _Problems) -> str | None:
    path = f"{_RECORD}.{key}"
    if key not in record:
        out.add(f"missing {key}", path)
        return None
    value = record[key]
    if isinstance(value, str) and value:
        return value
    out.add(f"expected a non-empty string, got {'an empty string' if value == '' else _type_name(value)}", path)
    return None


def _version(record: dict[str, Any], out: _Problems) -> int | None:
    path = f"{_RECORD}.version"
    if "version" not in record:
        out.add("missing version", path)
        return None
    value = record["version"]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    out.add(f"version {value!r} is not a non-negative integer", path)
    return None


def _effective_date(record: dict[str, Any], out: _Problems) -> dt.date | None:
    value = _metadata_string(record, "effective_time", out)
    if value is None:
        return None
    path = f"{_RECORD}.effective_time"
    if not re.fullmatch(r"[0-9]{8}", value):
        out.add(f"effective_time {value!r} is not YYYYMMDD", path)
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        out.add(f"effective_time {value!r} is not a calendar date", path)
        return None


def _titles() -> dict[str, str]:
    return {row["term"]: row["description"] for row in schemas.vocabulary(VOCABULARY).rows}


def _parse(data: bytes, out: _Problems) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add(f"not UTF-8: invalid byte at offset {exc.start}")
        raise MabdataError(out.items) from None
    try:
        return json.loads(text, object_pairs_hook=_object_hook)
    except json.JSONDecodeError as exc:
        out.add(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", line=exc.lineno)
    except RecursionError:
        out.add("not valid JSON: nesting too deep")
    raise MabdataError(out.items)


def _record(doc: Any, out: _Problems) -> dict[str, Any]:
    if not isinstance(doc, dict):
        out.add(f"top level is {_type_name(doc)}, expected an object with a 'results' list")
        out.raise_if_any()
    _check_duplicates(doc, "", out)
    if "results" not in doc:
        out.add("no 'results' key", "results")
    elif not isinstance(doc["results"], list):
        out.add(f"'results' is {_type_name(doc['results'])}, expected a list of one record", "results")
    elif len(doc["results"]) != 1:
        out.add(f"'results' holds {len(doc['results'])} records, expected exactly one", "results")
    elif not isinstance(doc["results"][0], dict):
        out.add(f"the record is {_type_name(doc['results'][0])}, expected an object", _RECORD)
    out.raise_if_any()
    return doc["results"][0]


def _check_fields(record: dict[str, Any], out: _Problems) -> list[str]:
    """Validate every key of the record; return the kept fields in label order."""
    kept = []
    for key, value in record.items():
        path = f"{_RECORD}.{key}"
        if key in METADATA_FIELDS:
            continue
        base = key[: -len(TABLE_SUFFIX)] if key.endswith(TABLE_SUFFIX) else key
        if base not in _KEPT and base not in _SKIPPED:
            out.add(
                f"unknown openFDA field {key!r}: decide whether it is rendered (KEPT_FIELDS or SKIPPED_FIELDS in"
                f" mabdata/labels.py, and schema/vocabularies/{VOCABULARY}.csv)",
                path,
            )
            continue
        if _check_strings(value, path, out) and key in _KEPT:
            kept.append(key)
    return sorted(kept, key=KEPT_FIELDS.index)


def _meta(record: dict[str, Any], out: _Problems) -> dict[str, Any]:
    _check_duplicates(record, _RECORD, out)
    meta: dict[str, Any] = {
        "set_id": _metadata_string(record, "set_id", out),
        "spl_id": _metadata_string(record, "id", out),
        "version": _version(record, out),
        "effective_date": _effective_date(record, out),
    }
    openfda = record.get("openfda")
    if openfda is None:
        out.add("missing openfda", _OPENFDA)
        return meta
    if not isinstance(openfda, dict):
        out.add(f"openfda is {_type_name(openfda)}, expected an object", _OPENFDA)
        return meta
    _check_duplicates(openfda, _OPENFDA, out)
    meta["application_number"] = _first_string(openfda, "application_number", out)
    meta["brand_name"] = _first_string(openfda, "brand_name", out)
    meta["generic_name"] = _first_string(openfda, "generic_name", out)
    manufacturers = _optional_strings(openfda, "manufacturer_name", out)
    meta["manufacturer"] = manufacturers[0] if manufacturers else None
    meta["routes"] = _optional_strings(openfda, "route", out)
    meta["uniis"] = _optional_strings(openfda, "unii", out)
    meta["pharm_class_epc"] = _optional_strings(openfda, "pharm_class_epc", out)
    for key in ("set_id", "application_number", "brand_name", "generic_name"):
        # The title is one line; a line break inside it would shift every later line.
        if isinstance(meta.get(key), str) and ("\n" in meta[key] or "\r" in meta[key]):
            out.add(f"{key} contains a line break", f"{_OPENFDA}.{key}" if key != "set_id" else f"{_RECORD}.set_id")
    return meta


def _parents(record: dict[str, Any], kept: list[str]) -> dict[str, str | None]:
    """Rule 5: field -> parent field (None = rendered as its own section)."""
    texts = {k: "\n".join(record[k]) for k in kept}
    parent: dict[str, str | None] = {}
    rendered: list[str] = []
    for key in sorted(kept, key=lambda k: (-len(texts[k]), kept.index(k))):  # a parent is longer than its parts
        containers = [p for p in kept if p in rendered and all(s in texts[p] for s in record[key])]
        parent[key] = containers[0] if containers else None
        if not containers:
            rendered.append(key)
    return parent


def render(data: bytes, file: str) -> RenderedLabel:
    """The rendered text and section offsets of one openFDA label record (see the module rules)."""
    out = _Problems(file)
    record = _record(_parse(data, out), out)
    kept = _check_fields(record, out)
    meta = _meta(record, out)
    titles = _titles()
    for key in kept:
        if not titles.get(key):
            out.add(f"no description for {key!r} in schema/vocabularies/{VOCABULARY}.csv", f"{_RECORD}.{key}")
    out.raise_if_any()

    title = (
        f"{meta['brand_name']} ({meta['generic_name']}) prescribing information — openFDA {meta['application_number']},"
        f" SPL set {meta['set_id']} version {meta['version']}, effective {meta['effective_date'].isoformat()}"
    )
    parent = _parents(record, kept)
    pieces = [title]
    pos = len(title)
    sections: list[Section] = []
    spans: dict[str, tuple[int, int]] = {}
    for key in kept:
        if parent[key] is not None:
            continue
        heading = f"\n\n[{titles[key]}]\n"
        pieces.append(heading)
        pos += len(heading)
        first = pos
        for i, string in enumerate(record[key], 1):
            if i > 1:
                pieces.append("\n")
                pos += 1
            pieces.append(string)
            sections.append(Section(key, i, pos, pos + len(string), None))
            pos += len(string)
        spans[key] = (first, pos)
    pieces.append("\n")
    text = "".join(pieces)

    for key in kept:
        owner = parent[key]
        if owner is None:
            continue
        lo, hi = spans[owner]
        for i, string in enumerate(record[key], 1):
            start = text.find(string, lo, hi)
            sections.append(Section(key, i, start, start + len(string), owner))

    rank = {k: i for i, k in enumerate(kept)}
    sections.sort(key=lambda s: (s.start, -s.end, s.parent is not None, rank[s.section], s.part))
    return RenderedLabel(PurePath(file).stem, text, title, tuple(sections), meta)
