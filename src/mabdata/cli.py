"""The `mabdata` command. Heavy libraries are imported inside commands so --help stays fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_INVALID, EXIT_USAGE = 1, 2


def _report(problems: list, fmt: str, valid_word: str) -> int:
    if fmt == "json":
        print(json.dumps({"valid": not problems, "errors": [p.to_dict() for p in problems]}, indent=2, ensure_ascii=False))
    elif problems:
        for p in problems:
            print(str(p), file=sys.stderr)
        print(f"{len(problems)} error(s)", file=sys.stderr)
    else:
        print(valid_word)
    return EXIT_INVALID if problems else 0


def cmd_build(args: argparse.Namespace) -> int:
    from mabdata.errors import MabdataError
    from mabdata.paths import project_root
    from mabdata.publish import build

    root = Path(args.root) if args.root else project_root()
    if not (root / "seeds").is_dir():
        print(f"mabdata build: no seeds/ folder in {root} (run it in a checkout, or pass --root)", file=sys.stderr)
        return EXIT_USAGE
    try:
        stale = build(root, check=args.check)
    except MabdataError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        print(f"build failed: {len(exc.problems)} error(s); datapackage/ was left unchanged", file=sys.stderr)
        return EXIT_INVALID
    if args.check:
        if stale:
            print("datapackage/ is stale; these files differ from a fresh build (run `mabdata build`):", file=sys.stderr)
            for rel in stale:
                print(f"  {rel}", file=sys.stderr)
            return EXIT_INVALID
        print("datapackage/ is up to date")
        return 0
    print(f"built {root / 'datapackage'}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from mabdata.build import build_tables
    from mabdata.errors import MabdataError
    from mabdata.paths import project_root

    root = Path(args.root) if args.root else project_root()
    stems = {Path(f).stem for f in args.files}
    try:
        tables, _ = build_tables(root, only=stems)
    except MabdataError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        print(f"{len(exc.problems)} error(s) in {', '.join(sorted(stems))}", file=sys.stderr)
        return EXIT_INVALID
    found = set(tables["sources"]["source_id"])
    if stems - found:
        print(f"mabdata check: no curated source {', '.join(sorted(stems - found))} in seeds/ or labels/", file=sys.stderr)
        return EXIT_USAGE
    counts = ", ".join(f"{name} {len(df)}" for name, df in tables.items() if len(df) and name != "sources")
    print(f"ok: {', '.join(sorted(stems))}: {counts}")
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    from mabdata.lookup import format_results, search

    try:
        results = search(args.kind, " ".join(args.text), limit=args.limit)
    except KeyError as exc:
        print(f"mabdata lookup: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    print(format_results(results) if results else "no match")
    return 0 if results else EXIT_INVALID


def cmd_validate(args: argparse.Namespace) -> int:
    from mabdata.paths import default_package_dir
    from mabdata.validate import validate_package

    path = Path(args.path) if args.path else default_package_dir()
    if not path.exists():
        print(f"mabdata validate: {path} does not exist", file=sys.stderr)
        return EXIT_USAGE
    return _report(validate_package(path), args.format, f"valid: {path}")


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
        return 0
    if args.format == "sqlite":
        written = [export.export_sqlite(pkg, out), out / "metadata.json"]
    else:
        written = [export.export_croissant(pkg, out)]
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    import time

    from mabdata.draft import draft_many, lexicon

    paths = [Path(p) for p in args.files]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"mabdata draft: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return EXIT_USAGE
    t0 = time.perf_counter()
    lexicon()
    t1 = time.perf_counter()
    results = draft_many(paths, Path(args.out), jobs=args.jobs)
    t2 = time.perf_counter()
    for out, n in results[:20]:
        print(f"wrote {out} ({n} draft statements)")
    rate = len(paths) / (t2 - t1) if t2 > t1 else float("inf")
    print(
        f"{len(paths)} document(s): vocabulary load {t1 - t0:.2f} s, extraction {t2 - t1:.2f} s ({rate:.0f} docs/s)",
        file=sys.stderr,
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mabdata", description="Build and validate the mabdata dataset package.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build datapackage/ from seeds/ (atomic, deterministic)")
    b.add_argument("--check", action="store_true", help="exit 1 if the committed datapackage/ differs from a fresh build")
    b.add_argument("--root", help="project checkout (default: this package's checkout)")
    b.set_defaults(func=cmd_build)
    c = sub.add_parser(
        "check",
        help="check curation files (their sources only) with every build rule, without writing the package",
        description="Resolve the quotes, vocabularies, identifiers and rules of the given curation files' sources only "
        "(e.g. labels/BLA761113.yaml): what a curator runs while editing. Exit 0 when clean, 1 with one line per problem.",
    )
    c.add_argument("files", nargs="+", help="curation files or source ids (seeds/<id>.yaml, labels/<id>.yaml)")
    c.add_argument("--root", help="project checkout (default: this package's checkout)")
    c.set_defaults(func=cmd_check)
    lk = sub.add_parser(
        "lookup",
        help="find identifiers and vocabulary terms (disease, gene, antibody, or any vocabulary such as ctcae_term, route)",
    )
    lk.add_argument("kind", help="disease, gene, antibody, or a vocabulary name from schema/vocabularies (e.g. ctcae_term)")
    lk.add_argument("text", nargs="+", help="the words to look up")
    lk.add_argument("--limit", type=int, default=10, help="how many matches to show (default 10)")
    lk.set_defaults(func=cmd_lookup)
    v = sub.add_parser("validate", help="validate a package folder or its datapackage.json")
    v.add_argument("path", nargs="?", help="package folder or datapackage.json (default: datapackage/)")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.set_defaults(func=cmd_validate)
    d = sub.add_parser("draft", help="propose a curation file (seeds/*.yaml format) for each text document")
    d.add_argument("files", nargs="+")
    d.add_argument("--out", default="drafts", help="output folder (default: drafts/)")
    d.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    d.set_defaults(func=cmd_draft)
    e = sub.add_parser(
        "export", help="export the package as SQLite (+ Datasette metadata), Croissant JSON-LD or the evidence-browser site"
    )
    e.add_argument("format", choices=["sqlite", "croissant", "site"])
    e.add_argument("--out", default="exports", help="output folder (default: exports/)")
    e.add_argument("--package", help="package folder (default: datapackage/)")
    e.set_defaults(func=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # an unexpected failure is a bug: one line, traceback on request
        if os.environ.get("MABDATA_DEBUG"):
            raise
        print(
            f"mabdata {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(set MABDATA_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
