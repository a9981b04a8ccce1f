"""`mabdata diff OLD NEW`: what changed between two versions of the package, for a reviewer.

OLD and NEW are package folders (or their datapackage.json) or git revisions of this checkout
(`v0.1.0`, `HEAD~1`, `origin/main`), whose datapackage/ is read with `git archive`. Each package
is read through its own datapackage.json (so versions with different schemas compare): tables
and columns added or removed, and per table the rows added, removed and changed, keyed by the
table's primary key — for claim tables a hash of the claim's natural key, so a changed row is a
claim whose non-key columns changed (its flag, support, wording) and an added or removed row a
claim that is new or gone. Text for a terminal, Markdown for a pull-request comment.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mabdata.errors import MabdataError, Problem

EXAMPLES = 3  # ids shown per kind of change


@dataclass
class TableDiff:
    name: str
    old_rows: int | None
    new_rows: int | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # row id -> changed columns
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed or self.columns_added or self.columns_removed) and (
            self.old_rows == self.new_rows
        )


@dataclass
class PackageDiff:
    old: str
    new: str
    old_version: str | None
    new_version: str | None
    tables: list[TableDiff]


def _package_from_git(rev: str, root: Path, tmp: Path) -> Path:
    try:
        data = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", rev, "datapackage"], check=True, capture_output=True
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        detail = exc.stderr.decode(errors="replace").strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        raise MabdataError(
            [Problem("diff", f"{rev!r} is neither a package folder nor a git revision with datapackage/ ({detail})")]
        ) from None
    dest = tmp / rev.replace("/", "_")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "datapackage"


def resolve(spec: str, root: Path, tmp: Path) -> Path:
    path = Path(spec)
    if path.name == "datapackage.json":
        path = path.parent
    if (path / "datapackage.json").is_file():
        return path
    return _package_from_git(spec, root, tmp)


def _tables(pkg: Path) -> tuple[dict, dict[str, tuple[list[str], list[str]]]]:
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    out = {}
    for res in desc.get("resources", []):
        schema = res.get("schema")
        if res.get("type") == "table" or (schema and res.get("format") == "csv"):
            fields = [f["name"] for f in schema["fields"]]
            out[res["name"]] = (fields, list(schema.get("primaryKey") or fields[:1]), res["path"])
    return desc, out


def _read(pkg: Path, rel: str, key: list[str]) -> pd.DataFrame:
    df = pd.read_csv(pkg / rel, dtype=str, keep_default_na=False, encoding="utf-8")
    return df.set_index(df[key].agg("/".join, axis=1) if len(key) > 1 else df[key[0]])


def compare(old: Path, new: Path, old_label: str, new_label: str) -> PackageDiff:
    old_desc, old_tables = _tables(old)
    new_desc, new_tables = _tables(new)
    diffs = []
    for name in [*new_tables, *(t for t in old_tables if t not in new_tables)]:
        if name not in old_tables:
            _, key, rel = new_tables[name]
            diffs.append(TableDiff(name, None, len(_read(new, rel, key)), added=list(_read(new, rel, key).index)))
            continue
        if name not in new_tables:
            _, key, rel = old_tables[name]
            diffs.append(TableDiff(name, len(_read(old, rel, key)), None, removed=list(_read(old, rel, key).index)))
            continue
        (ofields, okey, orel), (nfields, nkey, nrel) = old_tables[name], new_tables[name]
        a, b = _read(old, orel, okey), _read(new, nrel, nkey)
        d = TableDiff(name, len(a), len(b))
        d.columns_added = [c for c in nfields if c not in ofields]
        d.columns_removed = [c for c in ofields if c not in nfields]
        d.added = sorted(set(b.index) - set(a.index))
        d.removed = sorted(set(a.index) - set(b.index))
        common = sorted(set(a.index) & set(b.index))
        shared = [c for c in nfields if c in ofields]
        if common and shared:
            left, right = a.loc[common, shared], b.loc[common, shared]
            differs = left.ne(right)
            for rid in differs.index[differs.any(axis=1)]:
                d.changed[rid] = [c for c in shared if differs.at[rid, c]]
        diffs.append(d)
    return PackageDiff(old_label, new_label, old_desc.get("version"), new_desc.get("version"), diffs)


def diff(old: str, new: str, root: Path) -> PackageDiff:
    with tempfile.TemporaryDirectory() as tmp:
        return compare(resolve(old, root, Path(tmp)), resolve(new, root, Path(tmp)), old, new)


def _examples(ids: list[str]) -> str:
    shown = ", ".join(ids[:EXAMPLES])
    return f" ({shown}{', ...' if len(ids) > EXAMPLES else ''})" if ids else ""


def _count(n: int | None) -> str:
    return "—" if n is None else str(n)


def render_text(d: PackageDiff) -> str:
    lines = [f"mabdata diff {d.old} ({d.old_version or '?'}) -> {d.new} ({d.new_version or '?'})"]
    for t in d.tables:
        if t.unchanged:
            continue
        state = "new table" if t.old_rows is None else "table removed" if t.new_rows is None else ""
        lines.append(f"{t.name}: {_count(t.old_rows)} -> {_count(t.new_rows)} rows{' (' + state + ')' if state else ''}")
        if t.columns_added:
            lines.append(f"  columns added: {', '.join(t.columns_added)}")
        if t.columns_removed:
            lines.append(f"  columns removed: {', '.join(t.columns_removed)}")
        if t.old_rows is not None and t.new_rows is not None:
            lines.append(f"  +{len(t.added)} added{_examples(t.added)}")
            lines.append(f"  -{len(t.removed)} removed{_examples(t.removed)}")
            cols = sorted({c for cs in t.changed.values() for c in cs})
            lines.append(f"  ~{len(t.changed)} changed{_examples(list(t.changed))}" + (f" in {', '.join(cols)}" if cols else ""))
    unchanged = [t.name for t in d.tables if t.unchanged]
    if unchanged:
        lines.append(f"unchanged: {', '.join(unchanged)}")
    return "\n".join(lines) + "\n"


def render_markdown(d: PackageDiff) -> str:
    lines = [
        f"### mabdata diff: `{d.old}` ({d.old_version or '?'}) → `{d.new}` ({d.new_version or '?'})",
        "",
        "| table | rows before | rows after | added | removed | changed | columns |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in d.tables:
        if t.unchanged:
            continue
        cols = "; ".join(
            filter(
                None,
                [
                    f"+{', '.join(t.columns_added)}" if t.columns_added else "",
                    f"−{', '.join(t.columns_removed)}" if t.columns_removed else "",
                ],
            )
        )
        both = t.old_rows is not None and t.new_rows is not None
        lines.append(
            f"| `{t.name}` | {_count(t.old_rows)} | {_count(t.new_rows)} | {len(t.added) if both else '—'} | "
            f"{len(t.removed) if both else '—'} | {len(t.changed) if both else '—'} | {cols} |"
        )
    unchanged = [t.name for t in d.tables if t.unchanged]
    if unchanged:
        lines += ["", f"Unchanged: {', '.join(f'`{n}`' for n in unchanged)}."]
    return "\n".join(lines) + "\n"
