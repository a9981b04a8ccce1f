"""Benchmark validation against the Parquet floor and frictionless, on synthetic packages.

    python scripts/benchmark.py [--rows 1000 10000 100000 1000000] [--json FILE]

For each size, in one process: load_s (bare pyarrow read of every table to pandas, the
floor), validate_s (mabdata's validate_package, the same work as `mabdata validate`),
frictionless_s (`frictionless.validate` of the same package; skipped, recorded as null,
above --frictionless-max rows), each the median of --repeats runs after one warm-up; and
the peak resident memory of a validate run in a fresh process. Also build_s (the real
seeds, in-process, median) and the `mabdata --help` start-up time. Prints a table and
writes JSON. Ratios, not absolute seconds, are what compare across machines.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def load_all(pkg: Path) -> None:
    import pyarrow.parquet as pq

    for path in sorted((pkg / "data").glob("*.parquet")):
        pq.read_table(path).to_pandas()


def peak_mb(pkg: Path) -> float:
    code = (
        "import resource, sys\n"
        "from mabdata.validate import validate_package\n"
        "assert validate_package(sys.argv[1]) == []\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(pkg)], check=True, capture_output=True, text=True)
    return round(float(out.stdout.strip()), 1)


def frictionless_validate(pkg: Path) -> None:
    from frictionless import validate

    report = validate(str(pkg / "datapackage.json"))
    if not report.valid:
        raise SystemExit(f"frictionless found errors in the synthetic package {pkg}")


def build_seconds(repeats: int) -> float:
    from mabdata import publish

    return timed(lambda: publish.build(ROOT, check=True), repeats)


def help_seconds(repeats: int) -> float:
    def run() -> None:
        subprocess.run([sys.executable, "-m", "mabdata", "--help"], check=True, capture_output=True)

    base = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeats)
    return timed(run, repeats), base


def run(rows_list: list[int], repeats: int, frictionless_max: int, workdir: Path) -> dict:
    import frictionless
    import pandas
    import pandera
    import pyarrow
    from make_synthetic import make_package

    from mabdata.validate import validate_package

    runs = []
    for rows in rows_list:
        pkg = make_package(rows, workdir / f"syn_{rows}")
        problems = validate_package(pkg)
        if problems:
            raise SystemExit(f"synthetic package of {rows} rows is invalid: {problems[:3]}")
        entry = {
            "rows": rows,
            "total_rows": sum(len(pyarrow.parquet.read_table(p)) for p in (pkg / "data").glob("*.parquet")),
            "load_s": timed(lambda pkg=pkg: load_all(pkg), repeats),
            "validate_s": timed(lambda pkg=pkg: validate_package(pkg), repeats),
            "frictionless_s": None,
            "peak_mb": peak_mb(pkg),
        }
        if rows <= frictionless_max:
            entry["frictionless_s"] = timed(lambda pkg=pkg: frictionless_validate(pkg), repeats)
        runs.append(entry)
        print(f"  {rows:>9} rows done", file=sys.stderr)
    help_s, python_s = help_seconds(repeats)
    return {
        "runs": runs,
        "build_s": build_seconds(repeats),
        "help_s": help_s,
        "python_startup_s": python_s,
        "repeats": repeats,
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "pandera": pandera.__version__,
        "frictionless": frictionless.__version__ if hasattr(frictionless, "__version__") else _dist("frictionless"),
    }


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def table(result: dict) -> str:
    lines = [
        f"{'rows':>9} {'all rows':>9} {'load_s':>8} {'validate_s':>10} {'frictionless_s':>14} {'peak_mb':>8} "
        f"{'val/load':>8} {'fric/val':>8}",
    ]
    for r in result["runs"]:
        fr = "skipped" if r["frictionless_s"] is None else f"{r['frictionless_s']:.3f}"
        ratio = "" if r["frictionless_s"] is None else f"{r['frictionless_s'] / r['validate_s']:.1f}"
        lines.append(
            f"{r['rows']:>9} {r['total_rows']:>9} {r['load_s']:>8.3f} {r['validate_s']:>10.3f} {fr:>14} {r['peak_mb']:>8.1f} "
            f"{r['validate_s'] / r['load_s']:>8.1f} {ratio:>8}"
        )
    runs = {r["rows"]: r for r in result["runs"]}
    if 10**5 in runs and 10**6 in runs:
        lines.append(f"validate growth 10^5 -> 10^6: {runs[10**6]['validate_s'] / runs[10**5]['validate_s']:.1f}x")
    lines.append(
        f"build of the real seeds: {result['build_s']:.3f} s (median); `mabdata --help`: {result['help_s']:.3f} s "
        f"(bare interpreter start-up {result['python_startup_s']:.3f} s)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10**3, 10**4, 10**5, 10**6])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frictionless-max", type=int, default=10**5, help="largest size frictionless is run on")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--workdir", type=Path, help="where to write the synthetic packages (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.rows, args.repeats, args.frictionless_max, args.workdir or Path(tmp))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
