"""The `mabdata` command. Heavy libraries are imported inside commands so --help stays fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_CODES = """exit codes:
  0  success (valid, built, up to date, no difference found is still 0)
  1  invalid input or package: one line per problem (or a JSON report with --format json)
  2  usage error: a missing file or folder, an unknown option; an unexpected internal error is also 1
     with a one-line message (set MABDATA_DEBUG=1 for the traceback)"""
FORMATS = ["text", "json", "github"]
FORMAT_HELP = (
    "report format: text (one line per problem on stderr), json ({valid, errors: [...]} on stdout, always JSON, "
    "also for usage errors), github (GitHub Actions workflow annotations ::error file=...,line=...::...)"
)


def _github(p: Any, base: str = "") -> str:
    """One workflow annotation; a package problem without a line points at the CSV line of its row."""
    file = p.file or ""
    line = p.line or (p.row + 1 if p.row is not None and file.endswith(".csv") else None)
    where = f"file={base}{file}" if file else ""
    if line:
        where += f",line={line}"
    title = f"mabdata {p.check}"
    text = str(p).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error {where + ',' if where else ''}title={title}::{text}"


def _report(problems: list, fmt: str, ok_message: str, failed_message: str, base: str = "", extra: dict | None = None) -> int:
    if fmt == "json":
        report = {"valid": not problems, "errors": [p.to_dict() for p in problems], **(extra or {})}
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif problems:
        for p in problems:
            print(_github(p, base) if fmt == "github" else str(p), file=sys.stdout if fmt == "github" else sys.stderr)
        print(failed_message.format(n=len(problems)), file=sys.stderr)
    else:
        print(ok_message)
    return EXIT_INVALID if problems else EXIT_OK


def _usage_error(fmt: str, command: str, message: str) -> int:
    if fmt == "json":
        error = {"check": "usage", "message": message, "file": None, "table": None, "row": None, "field": None, "line": None}
        print(json.dumps({"valid": False, "errors": [error]}, indent=2))
    elif fmt == "github":
        print(f"::error title=mabdata {command}::{message}")
    else:
        print(f"mabdata {command}: {message}", file=sys.stderr)
    return EXIT_USAGE


def _root(args: argparse.Namespace) -> Path | None:
    """The project to build: --root, else the working directory (like git, never a guess)."""
    root = Path(args.root) if args.root else Path.cwd()
    return root if (root / "seeds").is_dir() or (root / "labels").is_dir() else None


def cmd_build(args: argparse.Namespace) -> int:
    from mabdata.errors import MabdataError
    from mabdata.publish import build

    root = _root(args)
    if root is None or not ((root / "seeds").is_dir() or (root / "labels").is_dir()):
        where = root or Path.cwd()
        return _usage_error(
            args.format, "build", f"no seeds/ or labels/ in {where} (run it in a mabdata checkout, or pass --root)"
        )
    try:
        stale = build(root, check=args.check)
    except MabdataError as exc:
        return _report(exc.problems, args.format, "", "build failed: {n} error(s); datapackage/ was left unchanged")
    if args.check and stale:
        if args.format == "json":
            print(json.dumps({"valid": False, "stale": stale, "errors": []}, indent=2))
        else:
            for rel in stale:
                msg = f"{rel} differs from a fresh build (run `mabdata build` and commit datapackage/)"
                print(
                    f"::error file=datapackage/{rel},title=mabdata build --check::{msg}"
                    if args.format == "github"
                    else f"  {rel}",
                    file=sys.stdout if args.format == "github" else sys.stderr,
                )
            if args.format == "text":
                print("datapackage/ is stale: the files above differ from a fresh build (run `mabdata build`)", file=sys.stderr)
        return EXIT_INVALID
    message = "datapackage/ is up to date" if args.check else f"built {root / 'datapackage'}"
    extra = {"stale": []} if args.check else {"package": str(root / "datapackage")}
    return _report([], args.format, message, "", extra=extra)


def cmd_check(args: argparse.Namespace) -> int:
    from mabdata.build import build_tables
    from mabdata.errors import MabdataError

    root = _root(args)
    if root is None:
        where = Path(args.root) if args.root else Path.cwd()
        return _usage_error(
            args.format, "check", f"no seeds/ or labels/ in {where} (run it in a mabdata checkout, or pass --root)"
        )
    stems = {Path(f).stem for f in args.files}
    try:
        tables, _ = build_tables(root, only=stems)
    except MabdataError as exc:
        return _report(exc.problems, args.format, "", f"{{n}} error(s) in {', '.join(sorted(stems))}")
    found = set(tables["sources"]["source_id"])
    if stems - found:
        return _usage_error(args.format, "check", f"no curated source {', '.join(sorted(stems - found))} in seeds/ or labels/")
    counts = {name: len(df) for name, df in tables.items() if len(df) and name != "sources"}
    text = f"ok: {', '.join(sorted(stems))}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    return _report([], args.format, text, "", extra={"rows": counts})


def cmd_lookup(args: argparse.Namespace) -> int:
    from mabdata.lookup import format_results, search

    try:
        results = search(args.kind, " ".join(args.text), limit=args.limit)
    except KeyError as exc:
        print(f"mabdata lookup: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    print(format_results(results) if results else "no match")
    return EXIT_OK if results else EXIT_INVALID


def cmd_validate(args: argparse.Namespace) -> int:
    from mabdata.paths import default_package_dir
    from mabdata.validate import package_dir, validate_package

    path = Path(args.path) if args.path else default_package_dir()
    if not path.exists():
        return _usage_error(args.format, "validate", f"{path} does not exist")
    base = ""
    if args.format == "github":  # annotations point at files relative to the repository root
        pkg = package_dir(path).resolve()
        base = f"{pkg.relative_to(Path.cwd().resolve()).as_posix()}/" if pkg.is_relative_to(Path.cwd().resolve()) else ""
    return _report(validate_package(path), args.format, f"valid: {path}", "{n} error(s)", base=base)


def cmd_export(args: argparse.Namespace) -> int:
    from mabdata import export
    from mabdata.paths import default_package_dir

    pkg = Path(args.package) if args.package else default_package_dir()
    if not (pkg / "datapackage.json").is_file():
        print(f"mabdata export: no datapackage.json in {pkg}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    if args.format == "site":
        from mabdata.site import export_site

        counts = export_site(pkg, out)
        print(
            f"wrote {out / 'index.html'}: {counts['claims']} claims, {counts['quotes']} quotes "
            f"({counts['distinct_spans']} distinct spans) on {counts['pages']} source pages"
        )
        return EXIT_OK
    if args.format == "sqlite":
        written = [export.export_sqlite(pkg, out), out / "metadata.json"]
    else:
        written = [export.export_croissant(pkg, out)]
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from mabdata import diff
    from mabdata.errors import MabdataError
    from mabdata.paths import project_root

    root = Path(args.root) if args.root else (Path.cwd() if (Path.cwd() / ".git").exists() else project_root())
    try:
        result = diff.diff(args.old, args.new, root)
    except MabdataError as exc:
        for p in exc.problems:
            print(f"mabdata diff: {p.message}", file=sys.stderr)
        return EXIT_USAGE
    print(diff.render_markdown(result) if args.format == "markdown" else diff.render_text(result), end="")
    return EXIT_OK


def _not_text(path: Path) -> str | None:
    """Why `mabdata draft` cannot read a file, or None."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return "is a binary file (expected a text document, an openFDA label .json or a rendered label .txt)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text ({exc.reason} at byte {exc.start})"
    return None


def cmd_draft(args: argparse.Namespace) -> int:
    import time

    from mabdata.draft import draft_many, lexicon

    paths = [Path(p) for p in args.files]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"mabdata draft: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return EXIT_USAGE
    unreadable = [(p, why) for p in paths if (why := _not_text(p))]
    if unreadable:
        for p, why in unreadable:
            print(f"mabdata draft: {p} {why}", file=sys.stderr)
        return EXIT_USAGE
    t0 = time.perf_counter()
    lexicon()
    t1 = time.perf_counter()
    results = draft_many(paths, Path(args.out), jobs=args.jobs)
    t2 = time.perf_counter()
    for out, n in results[:20]:
        print(f"wrote {out} ({n} draft claims)")
    rate = len(paths) / (t2 - t1) if t2 > t1 else float("inf")
    print(
        f"{len(paths)} document(s): vocabulary load {t1 - t0:.2f} s, extraction {t2 - t1:.2f} s ({rate:.0f} docs/s)",
        file=sys.stderr,
    )
    return EXIT_OK


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("mabdata")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mabdata",
        description="Build, check, validate, diff and export the mabdata dataset of therapeutic monoclonal antibodies.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"mabdata {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "build",
        help="build datapackage/ from seeds/ and labels/ (atomic, deterministic)",
        description="Read every source and curation file, resolve quotes, merge claims, map vocabularies, write "
        "datapackage/ (CSV, Parquet, datapackage.json, source texts) into a temporary folder, validate it, and only "
        "then replace datapackage/. A failed build leaves the previous package untouched.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the committed datapackage/ differs from a fresh build"
    )
    b.add_argument("--root", help="project checkout holding seeds/ and labels/ (default: the working directory)")
    b.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    b.set_defaults(func=cmd_build)

    c = sub.add_parser(
        "check",
        help="check curation files with every build rule, without writing the package",
        description="Resolve the quotes, vocabularies, identifiers and rules of the given curation files' sources only "
        "(e.g. labels/BLA761113.yaml): what a curator runs while editing.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("files", nargs="+", metavar="FILE", help="curation files or source ids (seeds/<id>.yaml, labels/<id>.yaml)")
    c.add_argument("--root", help="project checkout (default: the working directory)")
    c.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    c.set_defaults(func=cmd_check)

    v = sub.add_parser(
        "validate",
        help="validate a package folder or its datapackage.json",
        description="Check a published package on its own: files and hashes, CSV form, types, schemas, CSV/Parquet "
        "parity, keys, provenance of every evidence row and every cross-table rule.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("path", nargs="?", metavar="PATH", help="package folder or its datapackage.json (default: datapackage/)")
    v.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    v.set_defaults(func=cmd_validate)

    d = sub.add_parser(
        "diff",
        help="what changed between two package versions (folders or git revisions)",
        description="Compare two packages table by table: tables and columns added or removed, and claims added, removed "
        "and changed. OLD and NEW are package folders or git revisions of this checkout (e.g. v0.1.0, HEAD~1).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("old", metavar="OLD", help="the earlier package: a folder, its datapackage.json, or a git revision")
    d.add_argument("new", metavar="NEW", nargs="?", default="datapackage", help="the later package (default: datapackage/)")
    d.add_argument("--format", choices=["text", "markdown"], default="text", help="text, or Markdown for a pull-request comment")
    d.add_argument("--root", help="git checkout to read revisions from (default: the working directory)")
    d.set_defaults(func=cmd_diff)

    lk = sub.add_parser(
        "lookup",
        help="find identifiers and vocabulary terms (disease, gene, antibody, or a vocabulary such as ctcae_term)",
        description="Search the whole reference vocabularies (Disease Ontology, HGNC, Thera-SAbDab/FDA UNII names) or a closed "
        "vocabulary of schema/vocabularies for the words a curator reads.",
    )
    lk.add_argument("kind", help="disease, gene, antibody, or a vocabulary name from schema/vocabularies (e.g. ctcae_term)")
    lk.add_argument("text", nargs="+", help="the words to look up")
    lk.add_argument("--limit", type=int, default=10, help="how many matches to show (default 10)")
    lk.set_defaults(func=cmd_lookup)

    dr = sub.add_parser(
        "draft",
        help="propose a curation file for each document (claims marked draft, for review)",
        description="Propose claims for a web monograph (.txt), an openFDA label record (.json) or a rendered label (.txt). "
        "Every claim carries confidence and curation_status: draft; the build leaves drafts out until a curator "
        "has checked each against its sentence.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dr.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="documents to draft: .txt (web monograph or rendered label) or .json (openFDA label)",
    )
    dr.add_argument("--out", default="drafts", help="output folder for the proposed <stem>.yaml files (default: drafts/)")
    dr.add_argument("--jobs", type=int, default=1, help="parallel worker processes (default 1)")
    dr.set_defaults(func=cmd_draft)

    e = sub.add_parser(
        "export",
        help="export the package as SQLite (+ Datasette metadata), Croissant JSON-LD or the evidence-browser site",
        description="Write the package in another form: sqlite (mabdata.sqlite with keys, and Datasette metadata.json), "
        "croissant (Croissant 1.1 JSON-LD) or site (the static evidence browser).",
    )
    e.add_argument("format", choices=["sqlite", "croissant", "site"], help="what to write")
    e.add_argument("--out", default="exports", help="output folder (default: exports/)")
    e.add_argument("--package", help="package folder (default: datapackage/)")
    e.set_defaults(func=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `mabdata lookup ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # an unexpected failure is a bug: one line, traceback on request
        if os.environ.get("MABDATA_DEBUG"):
            raise
        message = f"internal error: {type(exc).__name__}: {exc} (set MABDATA_DEBUG=1 for the traceback, and please report it)"
        if getattr(args, "format", None) == "json":
            print(json.dumps({"valid": False, "errors": [{"check": "internal", "message": message}]}, indent=2))
        else:
            print(f"mabdata {args.command}: {message}", file=sys.stderr)
        return EXIT_INVALID


def run() -> NoReturn:
    """The console entry point: `main`, then leave without the interpreter's teardown. At exit,
    Arrow's native thread pools can abort a process whose work is done and reported
    ("terminate called without an active exception", exit -6; apache/arrow#34314), which would
    turn a valid result into a failed command in CI."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left, or the stream is closed: nothing to keep
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
