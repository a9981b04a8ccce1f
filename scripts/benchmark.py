"""Benchmark `mabdata validate` against the Parquet load, the floor and frictionless.

    python scripts/benchmark.py [--rows 100000 1000000] [--repeats 3] [--json docs/benchmark.json] [--readme]

For each size a synthetic package is made (scripts/make_synthetic.py, --rows evidence rows) and
each measurement runs in a child process of its own, which reports the seconds of its work
(after its imports) and its own peak resident memory (VmHWM from /proc/self/status; a child's
ru_maxrss would include the high-water mark of the parent it was forked from):

- load: the bare Parquet load, every table read into pandas;
- floor: what any validator must do: hash every file of the package, parse each CSV into its
  declared types, decode each Parquet file (hashing on a worker thread, as validate does);
- validate: `mabdata.validate.validate_package`, the work of `mabdata validate`;
- frictionless: `frictionless.validate` of datapackage.json (once above --frictionless-repeat-max).

Times are the median of --repeats children (memory: the largest peak). Ratios, not seconds,
compare across machines; the machine is shared, so run it when it is otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("load", "floor", "validate", "frictionless")
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


# ---- children --------------------------------------------------------------------------------


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


def load(pkg: Path) -> None:
    import pyarrow.parquet as pq

    for path in sorted((pkg / "data").glob("*.parquet")):
        pq.read_table(path).to_pandas()


def floor(pkg: Path) -> None:
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mabdata import tabular

    def sha(datas: list[bytes]) -> list[str]:
        return [hashlib.sha256(d).hexdigest() for d in datas]

    files = sorted(p for p in pkg.rglob("*") if p.is_file())
    with ThreadPoolExecutor(max_workers=1) as pool:
        small = [p for p in files if p.suffix not in (".csv", ".parquet")]
        jobs = [pool.submit(sha, [p.read_bytes() for p in small])]
        for path in files:
            if path.suffix in (".csv", ".parquet"):
                data = path.read_bytes()
                jobs.append(pool.submit(sha, [data]))
                if path.suffix == ".csv":
                    tabular.read_csv_typed(data, path.stem)
                else:
                    pq.read_table(pa.BufferReader(data))
        for job in jobs:
            job.result()


def validate(pkg: Path) -> None:
    from mabdata.validate import validate_package

    problems = validate_package(pkg)
    if problems:
        raise SystemExit(f"validate found {len(problems)} problems in {pkg}: {problems[:3]}")


def frictionless(pkg: Path) -> None:
    from frictionless import validate as fl_validate

    report = fl_validate(str(pkg / "datapackage.json"))
    if not report.valid:
        raise SystemExit(f"frictionless found errors in {pkg}")


def child(kind: str, pkg: Path) -> None:
    fn = {"load": load, "floor": floor, "validate": validate, "frictionless": frictionless}[kind]
    # Import what the work needs before the clock starts: start-up is the same at every size.
    if kind in ("floor", "validate"):
        import mabdata.validate  # noqa: F401
    if kind == "frictionless":
        import frictionless as _  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    t = time.perf_counter()
    fn(pkg)
    print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": peak_mb()}))


def measure(kind: str, pkg: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(pkg)], capture_output=True, text=True, env=os.environ
        )
        if out.returncode != 0:  # the child's own message (its traceback, or what validate found), not just its status
            raise SystemExit(f"the {kind} child failed on {pkg} (exit {out.returncode}):\n{out.stderr[-4000:]}")
        run = json.loads(out.stdout.strip().splitlines()[-1])
        run["process_s"] = time.perf_counter() - t
        runs.append(run)
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "process_s": statistics.median(r["process_s"] for r in runs),
        "runs": len(runs),
    }


# ---- the run ----------------------------------------------------------------------------------


def make(rows: int, workdir: Path) -> tuple[Path, dict[str, int]]:
    """The synthetic package (made in a child, so this process stays small) and its row counts."""
    pkg = workdir / f"syn_{rows}"
    script = ROOT / "scripts" / "make_synthetic.py"
    subprocess.run([sys.executable, str(script), "--rows", str(rows), "--out", str(pkg)], check=True)
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    counts = {}
    for res in desc["resources"]:
        if res.get("format") == "csv":
            with open(pkg / res["path"], "rb") as fh:
                counts[res["name"]] = sum(1 for _ in fh) - 1  # synthetic cells hold no newlines
    return pkg, counts


def run(rows_list: list[int], repeats: int, frictionless_repeat_max: int, workdir: Path) -> dict:
    import frictionless as fl
    import pandas
    import pandera
    import polars
    import pyarrow

    results = []
    for rows in rows_list:
        pkg, counts = make(rows, workdir)
        entry: dict = {
            "rows": rows,
            "tables": counts,
            "total_rows": sum(counts.values()),
            "megabytes": round(sum(p.stat().st_size for p in pkg.rglob("*") if p.is_file()) / 1e6, 1),
        }
        for kind in KINDS:
            n = repeats if kind != "frictionless" or rows <= frictionless_repeat_max else 1
            entry[kind] = measure(kind, pkg, n)
            print(f"  {rows:>9} {kind:<12} {entry[kind]['seconds']:9.2f} s {entry[kind]['peak_mb']:8.0f} MB", file=sys.stderr)
        results.append(entry)
    return {
        "runs": results,
        "repeats": repeats,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": os.getloadavg()},
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "polars": polars.__version__,
        "pandera": pandera.__version__,
        "frictionless": getattr(fl, "__version__", None) or _dist("frictionless"),
    }


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def table(result: dict) -> str:
    """The results as a Markdown table: seconds (peak MB), and the ratios the targets are about."""
    lines = [
        "| evidence rows | all rows | files | Parquet load | floor | `mabdata validate` | frictionless "
        "| validate / load | validate / floor | frictionless / validate |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:

        def cell(kind: str, r: dict = r) -> str:
            return f"{r[kind]['seconds']:.2f} s ({r[kind]['peak_mb']:,.0f} MB)"

        v = r["validate"]["seconds"]
        cells = [f"{r['rows']:,}", f"{r['total_rows']:,}", f"{r['megabytes']:,.0f} MB", *map(cell, ("load", "floor", "validate"))]
        cells += [cell("frictionless"), f"{v / r['load']['seconds']:.1f}×", f"{v / r['floor']['seconds']:.2f}×"]
        cells.append(f"{r['frictionless']['seconds'] / v:.0f}×")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update_readme(result: dict, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"no {START} ... {END} block in {readme}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table(result)}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        # Measured and reported: leave without the teardown, where Arrow's thread pools can abort
        # a finished process (apache/arrow#34314; see mabdata.cli.run).
        sys.stdout.flush()
        os._exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10**5, 10**6], help="evidence rows of each package")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frictionless-repeat-max", type=int, default=10**5, help="above this size frictionless runs once")
    parser.add_argument("--json", type=Path, help="write the results here (e.g. docs/benchmark.json)")
    parser.add_argument("--readme", type=Path, nargs="?", const=ROOT / "README.md", help="update the table in README.md")
    parser.add_argument("--workdir", type=Path, help="where to write the synthetic packages (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.rows, args.repeats, args.frictionless_repeat_max, args.workdir or Path(tmp))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.readme:
        update_readme(result, args.readme)


if __name__ == "__main__":
    main()
