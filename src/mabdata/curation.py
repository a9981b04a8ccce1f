"""Reading curation files (seeds/<source_id>.yaml) strictly, with line numbers for every error.

A curation file has a `source:` block and one list per curated table, each item a
statement: the table's curated columns (schema/tables) plus `quote`, an optional
`occurrence` (which occurrence of a repeated quote, 1-based) and `curation_note`.
The pydantic models are generated from the table schemas and forbid unknown keys, so a
typo in a key is an error rather than a silently dropped fact. YAML is read with the safe
loader: tags such as !!python/object are refused, never executed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from mabdata import schemas as schema
from mabdata.errors import MabdataError, Problem

_PY_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "date": dt.date}


class _LineDict(dict):
    line: int = 0


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps each mapping's line and refuses duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class SourceBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str
    upstream_url: str | None = None
    published: dt.date | None = None
    published_quote: str | None = None


@cache
def statement_model(table: str) -> type[BaseModel]:
    """Pydantic model of one statement of `table`, generated from its schema."""
    defs: dict[str, Any] = {}
    for f in schema.curated_fields(table):
        py = _PY_TYPES[f["type"]]
        if f["name"] == "quote" or (schema.required(f) and f["name"] != "curation_note"):
            defs[f["name"]] = (py, ...)
        else:
            defs[f["name"]] = (py | None, None)
    defs["occurrence"] = (int | None, Field(default=None, ge=1))
    # Set by `mabdata draft`; a curator deletes both after review. Drafts are not published.
    defs["confidence"] = (float | None, Field(default=None, ge=0, le=1))
    defs["curation_status"] = (Literal["draft"] | None, None)
    return create_model(
        f"{table}_statement",
        __config__=ConfigDict(extra="forbid", strict=True, str_strip_whitespace=False),
        **defs,
    )


@dataclass
class Statement:
    table: str
    index: int  # 1-based position in its list
    line: int
    values: dict[str, Any]


@dataclass
class Curation:
    path: Path
    source: SourceBlock
    source_line: int
    statements: list[Statement]


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return Problem("yaml", f"{problem} (line {mark.line + 1}, column {mark.column + 1})", file=str(path), line=mark.line + 1)
    return Problem("yaml", problem, file=str(path))


def _pydantic_problems(path: Path, exc: ValidationError, table: str | None, row: int | None, line: int) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        fld = loc[0] if loc else None
        if err["type"] == "extra_forbidden":
            allowed = (
                [f["name"] for f in schema.curated_fields(table)] + ["occurrence", "confidence", "curation_status"]
                if table
                else list(SourceBlock.model_fields)
            )
            msg = f"unknown key {fld!r} (expected one of: {', '.join(allowed)})"
        elif err["type"] == "missing":
            msg = f"missing required key {fld!r}"
        else:
            msg = f"{err['msg']} (got {err.get('input')!r})"
        out.append(Problem("curation-schema", msg, file=str(path), table=table or "source", row=row, field=fld, line=line))
    return out


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
    allowed = ["source", *schema.curated_tables()]
    for key in doc:
        if key not in allowed:
            problems.append(
                Problem(
                    "curation-schema",
                    f"unknown section {key!r} (expected one of: {', '.join(allowed)})",
                    file=str(path),
                    line=doc.line,
                )
            )
    source = None
    block = doc.get("source")
    line = getattr(block, "line", doc.line)
    try:
        source = SourceBlock.model_validate(block if block is not None else {})
    except ValidationError as exc:
        problems += _pydantic_problems(path, exc, None, None, line)

    statements: list[Statement] = []
    for tbl in schema.curated_tables():
        items = doc.get(tbl) or []
        if not isinstance(items, list):
            problems.append(Problem("curation-schema", "expected a list of statements", file=str(path), table=tbl, line=doc.line))
            continue
        model = statement_model(tbl)
        for i, item in enumerate(items, start=1):
            item_line = getattr(item, "line", doc.line)
            if not isinstance(item, dict):
                problems.append(
                    Problem("curation-schema", "expected a mapping", file=str(path), table=tbl, row=i, line=item_line)
                )
                continue
            try:
                values = model.model_validate(dict(item)).model_dump()
            except ValidationError as exc:
                problems += _pydantic_problems(path, exc, tbl, i, item_line)
                continue
            statements.append(Statement(tbl, i, item_line, values))
    if problems:
        raise MabdataError(problems)
    return Curation(path, source, getattr(block, "line", 1), statements)
