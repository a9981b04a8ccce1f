"""Copy the 44 openFDA antibody labels into labels/raw/ and render each into labels/<STEM>.txt.

    python scripts/import_labels.py [--corpus ../shared/corpus/fda_labels]

How the copy was made: the origin is ../shared/corpus/fda_labels/SOURCE.txt (openFDA drug-label
API records, CC0, as snapshotted in github.com/PharmGKB/fda-labels-monitored at commit
0eb56364e48a4846c2455635fc919bcbd01a6746; every record whose openfda.generic_name contains
"mab"). This script copies every BLA*.json, SOURCE.txt and INDEX.tsv byte for byte into
labels/raw/, after checking each JSON's sha256 and its set_id, version, effective_time,
brand and generic name against INDEX.tsv, and writes the text mabdata.labels.render() gives
for it to labels/<STEM>.txt (UTF-8, LF). Every file is read, checked and rendered before
anything is written, so a bad input leaves labels/ untouched. Re-running on the same corpus
rewrites nothing (files are only written when their bytes change); files of labels that
left the corpus are removed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from pathlib import Path

from mabdata.errors import MabdataError
from mabdata.labels import RenderedLabel, render

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "fda_labels"
DEFAULT_LABELS = ROOT / "labels"
EXTRA_FILES = ("SOURCE.txt", "INDEX.tsv")


class CorpusMismatch(Exception):
    """The corpus does not match its INDEX.tsv (or is incomplete): nothing is written."""


def read_index(data: bytes) -> dict[str, dict[str, str]]:
    """INDEX.tsv rows by file name."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="\t"))
    return {row["file"]: row for row in rows}


def check_against_index(name: str, data: bytes, label: RenderedLabel, row: dict[str, str]) -> list[str]:
    """Mismatches between one JSON file (and what it renders to) and its INDEX.tsv row."""
    errors = []
    digest = hashlib.sha256(data).hexdigest()
    if digest != row["sha256"]:
        errors.append(f"{name}: sha256 {digest} does not match INDEX.tsv ({row['sha256']})")
    meta = label.meta
    expected = {
        "set_id": meta["set_id"],
        "version": str(meta["version"]),
        "effective_time": meta["effective_date"].strftime("%Y%m%d"),
        "brand_name": meta["brand_name"],
        "generic_name": meta["generic_name"],
    }
    for column, value in expected.items():
        # INDEX.tsv lower-cases generic names; the record keeps openFDA's upper case.
        same = row[column].casefold() == value.casefold() if column == "generic_name" else row[column] == value
        if not same:
            errors.append(f"{name}: {column} is {value!r} in the record but {row[column]!r} in INDEX.tsv")
    return errors


def plan(corpus: Path) -> dict[str, bytes]:
    """Every output file (path relative to labels/) with its bytes; raises before any write."""
    missing = [n for n in EXTRA_FILES if not (corpus / n).is_file()]
    if missing:
        raise CorpusMismatch(f"{corpus}: missing {', '.join(missing)}")
    index_bytes = (corpus / "INDEX.tsv").read_bytes()
    index = read_index(index_bytes)
    files = sorted(p.name for p in corpus.glob("BLA*.json"))
    errors = [f"{n}: listed in INDEX.tsv but not in {corpus}" for n in sorted(set(index) - set(files))]
    errors += [f"{n}: in {corpus} but not listed in INDEX.tsv" for n in sorted(set(files) - set(index))]
    outputs: dict[str, bytes] = {f"raw/{n}": (corpus / n).read_bytes() for n in EXTRA_FILES}
    problems = []
    for name in files:
        data = (corpus / name).read_bytes()
        try:
            label = render(data, f"labels/raw/{name}")
        except MabdataError as exc:
            problems += exc.problems
            continue
        if name in index:
            errors += check_against_index(name, data, label, index[name])
        outputs[f"raw/{name}"] = data
        outputs[f"{label.stem}.txt"] = label.text.encode("utf-8")
    if problems:
        raise MabdataError(problems)
    if errors:
        raise CorpusMismatch("\n".join(errors))
    return outputs


def write(outputs: dict[str, bytes], labels: Path) -> list[str]:
    """Write the planned files (only those whose bytes change) and drop stale ones; return what changed."""
    changed = []
    for rel, data in sorted(outputs.items()):
        path = labels / rel
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(rel)
    stale = [p for p in (*labels.glob("*.txt"), *(labels / "raw").glob("*")) if p.is_file()]
    for path in sorted(stale):
        rel = path.relative_to(labels).as_posix()
        if rel not in outputs:
            path.unlink()
            changed.append(f"{rel} (removed)")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with BLA*.json, SOURCE.txt, INDEX.tsv")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="output folder (default: labels/ of the checkout)")
    args = parser.parse_args(argv)
    try:
        outputs = plan(args.corpus)
    except (MabdataError, CorpusMismatch) as exc:
        print(f"import_labels: aborted, nothing written:\n{exc}", file=sys.stderr)
        return 1
    changed = write(outputs, args.labels)
    n = sum(1 for rel in outputs if not rel.startswith("raw/"))
    print(f"import_labels: {n} labels in {args.labels}; {len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
