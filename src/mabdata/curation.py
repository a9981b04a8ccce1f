"""Reading curation files (seeds/<source_id>.yaml, labels/<source_id>.yaml) strictly.

A curation file has a `source:` block and one list per claim table. Each item is a claim:
the table's curated columns (schema/tables), an optional `flag`, and its evidence — either
inline (`quote`, with optional `occurrence`, `inferred` and `note`) or as a list under
`evidence:` when several quotes support it. A regimen carries its `steps:` (rows of
dosing_steps); a study carries its `results:` (claims of trial_results, each with its own
evidence). The pydantic models are generated from the table schemas and forbid unknown keys,
so a typo in a key is an error rather than a silently dropped fact. YAML is read with the
safe loader (tags such as !!python/object are refused, never executed), and every error
names the line of the offending key.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from mabdata import schemas as schema
from mabdata.errors import MabdataError, Problem

_PY_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "date": dt.date}
# Set by `mabdata draft`; a curator deletes both after review. Drafts are not published.
DRAFT_KEYS = ("confidence", "curation_status")


class _LineDict(dict):
    """A mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


# libyaml's parser (C) when present: curation files of whole labels are thousands of claims.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc, valid-type]
    """Safe loader that keeps line numbers and refuses duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # `<<: *anchor` pairs come first; the mapping's own keys override them
    merged = len(node.value) - own
    out = _LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    own_lines: dict[Any, int] = {}
    for i, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if i >= merged:
            if key in own_lines:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {own_lines[key]})", key_node.start_mark
                )
            own_lines[key] = line
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class SourceBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str
    upstream_url: str | None = None
    published: dt.date | None = None
    published_quote: str | None = None


class EvidenceItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    quote: str = Field(min_length=1)
    occurrence: int | None = Field(default=None, ge=1)
    inferred: list[str] | None = None
    note: str | None = None


def curation_key(table: str) -> str:
    """The key a nested table is written under inside its parent item (steps, results)."""
    return schema.table(table).get("mabdata:curationKey", table)


def nested_claim_tables(parent: str) -> list[str]:
    return [t for t in schema.claim_tables() if schema.table(t).get("mabdata:nestedIn") == parent]


def top_level_tables() -> list[str]:
    """Claim tables written as top-level lists of a curation file."""
    return [t for t in schema.claim_tables() if not schema.table(t).get("mabdata:nestedIn")]


def _field_defs(table: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for f in schema.curated_fields(table):
        py = _PY_TYPES[f["type"]]
        defs[f["name"]] = (py, ...) if schema.required(f) else (py | None, None)
    return defs


@cache
def child_model(table: str) -> type[BaseModel]:
    """A row of a child table (a dosing step): its columns only; evidence is the parent's."""
    return create_model(f"{table}_row", __config__=ConfigDict(extra="forbid", strict=True), **_field_defs(table))


@cache
def claim_model(table: str) -> type[BaseModel]:
    """Pydantic model of one claim of `table` as written in a curation file."""
    defs = _field_defs(table)
    defs["flag"] = (str | None, None)
    defs["quote"] = (str | None, Field(default=None, min_length=1))
    defs["occurrence"] = (int | None, Field(default=None, ge=1))
    defs["inferred"] = (list[str] | None, None)
    defs["note"] = (str | None, None)
    defs["evidence"] = (list[dict] | None, None)
    defs["confidence"] = (float | None, Field(default=None, ge=0, le=1))
    defs["curation_status"] = (Literal["draft"] | None, None)
    for child in schema.child_tables(table):
        defs[curation_key(child)] = (list[dict] | None, None)
    for nested in nested_claim_tables(table):
        defs[curation_key(nested)] = (list[dict] | None, None)
    return create_model(f"{table}_claim", __config__=ConfigDict(extra="forbid", strict=True), **defs)


@dataclass
class Evidence:
    quote: str
    occurrence: int | None
    inferred: list[str]
    note: str | None
    line: int


@dataclass
class Claim:
    table: str
    index: int  # 1-based position in its list (within its parent for nested claims)
    line: int
    values: dict[str, Any]
    evidence: list[Evidence]
    key_lines: dict[str, int] = field(default_factory=dict)
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    child_lines: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    nested: list[Claim] = field(default_factory=list)
    draft: bool = False

    def line_of(self, key: str | None) -> int:
        """The line of `key` in this claim (the claim's first line when it is not written)."""
        return self.key_lines.get(key or "", self.line)


@dataclass
class Curation:
    path: Path
    source: SourceBlock
    source_line: int
    claims: list[Claim]

    def all_claims(self) -> list[Claim]:
        """Every claim, nested ones (study results) after their parent."""
        out = []
        for c in self.claims:
            out.append(c)
            out.extend(c.nested)
        return out


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error in our words, at the line a curator should look at."""
    mark = getattr(exc, "problem_mark", None)
    start = getattr(exc, "context_mark", None)
    problem = (getattr(exc, "problem", None) or str(exc)).strip()
    context = (getattr(exc, "context", None) or "").strip()
    if mark is None and start is None:
        return Problem("yaml", f"YAML syntax error: {problem}", file=str(path))
    mark = mark or start
    at = f"line {mark.line + 1}, column {mark.column + 1}"
    if "constructor for the tag" in problem:
        return Problem("yaml", "YAML tags (!!...) are not allowed in curation files", file=str(path), line=mark.line + 1)
    if start is not None and "flow" in context:  # an unclosed [ or {: the opening line is where to look
        return Problem(
            "yaml",
            f"YAML syntax error: the '{'[' if 'sequence' in context else '{'}' opened at line {start.line + 1} "
            f"(column {start.column + 1}) is not closed before {at}",
            file=str(path),
            line=start.line + 1,
        )
    if "mapping values are not allowed" in problem:
        msg = f"a plain value contains ': ' ({at}): put the value in quotes, or write it as a '>-' block"
    elif "tab" in problem:
        msg = f"a tab is used for indentation ({at}): indent with spaces"
    elif "quoted scalar" in context or "found unexpected end of stream" in problem:
        msg = f"a quoted value is not closed ({problem}, {at})"
    else:
        where = (
            f"; in the {context.removeprefix('while parsing ').removeprefix('a ')} that starts at line {start.line + 1}"
            if start
            else ""
        )
        msg = f"{problem} ({at}){where}. Look for an unclosed quote or bracket, or a wrong indentation, above this line"
    return Problem("yaml", f"YAML syntax error: {msg}", file=str(path), line=mark.line + 1)


def _did_you_mean(word: str, known: list[str]) -> str:
    near = difflib.get_close_matches(word, known, n=1)
    return f"did you mean {near[0]!r}? " if near else ""


def _pydantic_problems(
    path: Path, exc: ValidationError, table: str | None, row: int | None, item: Any, model: type[BaseModel]
) -> list[Problem]:
    out = []
    lines = getattr(item, "key_lines", {})
    base = getattr(item, "line", None)
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        fld = loc[0] if loc else None
        if err["type"] == "extra_forbidden":
            hint = _did_you_mean(fld or "", list(model.model_fields))
            msg = f"unknown key {fld!r} ({hint}expected one of: {', '.join(model.model_fields)})"
        elif err["type"] == "missing":
            msg = f"missing required key {fld!r}"
        else:
            msg = f"{err['msg']} (got {err.get('input')!r})"
        out.append(
            Problem(
                "curation-schema", msg, file=str(path), table=table or "source", row=row, field=fld, line=lines.get(fld, base)
            )
        )
    return out


def _evidence(path: Path, table: str, row: int, item: _LineDict, values: dict[str, Any], out: list[Problem]) -> list[Evidence]:
    inline = values.pop("quote") is not None
    listed = values.pop("evidence")
    occurrence, inferred, note = values.pop("occurrence"), values.pop("inferred"), values.pop("note")
    line = item.key_lines.get("quote", item.line)
    if inline and listed is not None:
        out.append(
            Problem(
                "curation-schema",
                "give either 'quote' or an 'evidence' list, not both",
                file=str(path),
                table=table,
                row=row,
                field="evidence",
                line=item.key_lines.get("evidence", item.line),
            )
        )
        return []
    if inline:
        return [Evidence(item["quote"], occurrence, list(inferred or []), note, line)]
    if occurrence is not None or inferred is not None or note is not None:
        key = next(k for k in ("occurrence", "inferred", "note") if k in item)
        out.append(
            Problem(
                "curation-schema",
                f"{key!r} belongs to a quote: put it in the 'evidence' item it applies to",
                file=str(path),
                table=table,
                row=row,
                field=key,
                line=item.key_lines.get(key, item.line),
            )
        )
    if not listed:
        out.append(
            Problem(
                "curation-schema",
                "a claim needs evidence: add 'quote' (or an 'evidence' list of quotes)",
                file=str(path),
                table=table,
                row=row,
                field="quote",
                line=item.line,
            )
        )
        return []
    items = []
    for ev in item["evidence"]:
        ev_line = getattr(ev, "line", line)
        if not isinstance(ev, dict):
            out.append(
                Problem(
                    "curation-schema",
                    "an evidence item is a mapping with 'quote'",
                    file=str(path),
                    table=table,
                    row=row,
                    field="evidence",
                    line=ev_line,
                )
            )
            continue
        try:
            e = EvidenceItem.model_validate(dict(ev))
        except ValidationError as exc:
            out.extend(_pydantic_problems(path, exc, table, row, ev, EvidenceItem))
            continue
        items.append(Evidence(e.quote, e.occurrence, list(e.inferred or []), e.note, ev.key_lines.get("quote", ev_line)))
    return items


def _claim(path: Path, table: str, index: int, item: Any, out: list[Problem]) -> Claim | None:
    item_line = getattr(item, "line", 0)
    if not isinstance(item, dict):
        out.append(
            Problem("curation-schema", "expected a mapping (one claim)", file=str(path), table=table, row=index, line=item_line)
        )
        return None
    try:
        values = claim_model(table).model_validate(dict(item)).model_dump()
    except ValidationError as exc:
        out.extend(_pydantic_problems(path, exc, table, index, item, claim_model(table)))
        return None
    claim = Claim(table, index, item_line, values, [], dict(item.key_lines))
    claim.draft = values.pop("curation_status") == "draft"
    values.pop("confidence")
    claim.evidence = _evidence(path, table, index, item, values, out)
    for child in schema.child_tables(table):
        values.pop(curation_key(child))
        rows = item.get(curation_key(child)) or []  # the raw mappings keep their line numbers
        claim.children[child], claim.child_lines[child] = [], []
        for k, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                out.append(
                    Problem(
                        "curation-schema",
                        "expected a mapping (one step)",
                        file=str(path),
                        table=child,
                        row=k,
                        line=getattr(row, "line", item_line),
                    )
                )
                continue
            try:
                claim.children[child].append(child_model(child).model_validate(dict(row)).model_dump())
                claim.child_lines[child].append({**row.key_lines, "": row.line})
            except ValidationError as exc:
                out.extend(_pydantic_problems(path, exc, child, k, row, child_model(child)))
    for nested in nested_claim_tables(table):
        values.pop(curation_key(nested))
        for k, sub in enumerate(item.get(curation_key(nested)) or [], start=1):
            c = _claim(path, nested, k, sub, out)
            if c is not None:
                c.draft = c.draft or claim.draft
                claim.nested.append(c)
    return claim


def read(path: Path) -> Curation:
    """Parse and schema-check one curation file; raise MabdataError listing every problem."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MabdataError([Problem("encoding", f"not UTF-8 ({exc.reason} at byte {exc.start})", file=str(path))]) from None
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise MabdataError([_yaml_problem(path, exc)]) from None
    if not isinstance(doc, dict):
        raise MabdataError([Problem("curation-schema", "expected a mapping with a 'source' key", file=str(path), line=1)])

    problems: list[Problem] = []
    allowed = ["source", *top_level_tables()]
    for key in doc:
        if key not in allowed:
            problems.append(
                Problem(
                    "curation-schema",
                    f"unknown section {key!r} ({_did_you_mean(str(key), allowed)}expected one of: {', '.join(allowed)})",
                    file=str(path),
                    line=doc.key_lines.get(key, doc.line),
                )
            )
    source = None
    block = doc.get("source")
    try:
        source = SourceBlock.model_validate(dict(block) if isinstance(block, dict) else (block or {}))
    except ValidationError as exc:
        problems += _pydantic_problems(path, exc, None, None, block if isinstance(block, dict) else doc, SourceBlock)

    claims: list[Claim] = []
    for tbl in top_level_tables():
        items = doc.get(tbl) or []
        if not isinstance(items, list):
            problems.append(
                Problem(
                    "curation-schema",
                    "expected a list of claims",
                    file=str(path),
                    table=tbl,
                    line=doc.key_lines.get(tbl, doc.line),
                )
            )
            continue
        for i, item in enumerate(items, start=1):
            claim = _claim(path, tbl, i, item, problems)
            if claim is not None:
                claims.append(claim)
    if problems:
        raise MabdataError(problems)
    return Curation(path, source, getattr(block, "line", 1), claims)
