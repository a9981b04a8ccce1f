"""Claims per source and table, as a Markdown table (the per-label coverage of the package).

    python scripts/coverage_report.py [--package datapackage] [--out docs/coverage.md]

A claim counts for a source when at least one of its evidence rows quotes that source; a claim
stated by two sources counts for both. Study results are counted under trial_results.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mabdata
from mabdata import schemas

SHORT = {
    "drug_names": "names",
    "drug_properties": "props",
    "drug_organizations": "orgs",
    "drug_targets": "targets",
    "indications": "ind",
    "regimens": "reg",
    "studies": "studies",
    "trial_results": "results",
    "adverse_events": "AEs",
    "precautions": "prec",
    "contraindications": "contra",
    "interactions": "inter",
}


def report(package: Path | None = None) -> str:
    ev = mabdata.load("evidence", path=package)
    sources = mabdata.load("sources", path=package).set_index("source_id")
    drugs = {}
    for table in schemas.claim_tables():
        df = mabdata.load(table, path=package)
        pk = schemas.primary_key(table)[0]
        owner = dict(zip(df[pk], df["drug_id"], strict=True))
        for sid, cid in zip(
            ev.loc[ev.claim_table == table, "source_id"], ev.loc[ev.claim_table == table, "claim_id"], strict=True
        ):
            drugs.setdefault(sid, set()).add(owner[cid])
    counts = ev.drop_duplicates(["source_id", "claim_table", "claim_id"]).groupby(["source_id", "claim_table"]).size()
    quotes = ev.groupby("source_id").size()
    head = ["source", "kind", "drug", *(SHORT[t] for t in schemas.claim_tables()), "quotes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    totals = dict.fromkeys(schemas.claim_tables(), 0)
    for sid in sources.index:
        row = [counts.get((sid, t), 0) for t in schemas.claim_tables()]
        for t, n in zip(schemas.claim_tables(), row, strict=True):
            totals[t] += n
        kind = "label" if sources.at[sid, "kind"] == "FDA label" else "web"
        lines.append(
            f"| {sid} | {kind} | {', '.join(sorted(drugs.get(sid, [])))} | "
            + " | ".join(map(str, row))
            + f" | {quotes.get(sid, 0)} |"
        )
    lines.append("| **all** | | | " + " | ".join(str(totals[t]) for t in schemas.claim_tables()) + f" | {len(ev)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=None, help="package folder (default: datapackage/)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this file")
    args = parser.parse_args()
    text = report(args.package)
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
