"""The benchmark and synthetic-package scripts run (a 10^3-row smoke run; shapes, not times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from mabdata import keys, tabular
from mabdata import schemas as schema
from mabdata.validate import validate_package

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    from make_synthetic import make_package

    return make_package(1000, tmp_path_factory.mktemp("syn") / "a")


def test_synthetic_package_is_valid_and_deterministic(synthetic, tmp_path):
    from make_synthetic import make_package

    assert validate_package(synthetic) == []
    again = make_package(1000, tmp_path / "b")
    for rel in ("datapackage.json", "data/evidence.csv", "data/regimens.csv", "data/corroborations.csv"):
        assert (synthetic / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_synthetic_package_has_every_kind_of_row(synthetic):
    rows = {name: pl.read_parquet(synthetic / "data" / f"{name}.parquet").height for name in schema.table_names()}
    assert rows["evidence"] == 1000
    assert all(n > 0 for n in rows.values()), rows
    sources = pl.read_parquet(synthetic / "data" / "sources.parquet")
    assert set(sources["kind"].cast(pl.String)) == {"web monograph", "FDA label"}
    texts = [p.read_bytes() for p in (synthetic / "sources").glob("*.txt")]
    assert any(not t.isascii() for t in texts)  # offsets are code points, not bytes


def test_synthetic_ids_are_the_per_row_definition(synthetic):
    """The generator derives ids vectorised, as validate does: the per-row definition agrees."""
    steps = tabular.to_polars(pl.read_parquet(synthetic / "data" / "dosing_steps.parquet"))
    for table in schema.claim_tables():
        df = tabular.to_polars(pl.read_parquet(synthetic / "data" / f"{table}.parquet"))
        pk = schema.primary_key(table)[0]
        for row in df.head(5).to_dicts():
            mine = steps.filter(pl.col("regimen_id") == row[pk]).sort("step").to_dicts() if table == "regimens" else ()
            assert keys.claim_id(table, keys.natural_key(table, row, mine)) == row[pk]
    ev = pl.read_parquet(synthetic / "data" / "evidence.parquet").head(5).to_dicts()
    for r in ev:
        parts = (r["claim_table"], r["claim_id"], r["source_id"], r["quote_start"], r["quote_end"])
        assert keys.evidence_id(*parts) == r["evidence_id"]


def test_benchmark_smoke_run_writes_json_and_readme_table(tmp_path):
    out, readme = tmp_path / "bench.json", tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- benchmark:start -->\nold\n<!-- benchmark:end -->\n", encoding="utf-8")
    done = subprocess.run(
        [
            *(sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--rows", "1000", "--repeats", "1"),
            *("--json", str(out), "--readme", str(readme), "--workdir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-4000:]  # the failing child's traceback, not just its exit status
    result = json.loads(out.read_text())
    assert set(result) >= {"runs", "python", "pandas", "pyarrow", "polars", "pandera", "frictionless", "machine"}
    (run,) = result["runs"]
    assert run["rows"] == 1000 and run["tables"]["evidence"] == 1000
    for kind in ("load", "floor", "validate", "frictionless"):
        assert run[kind]["seconds"] > 0 and run[kind]["peak_mb"] > 0, kind
    text = readme.read_text(encoding="utf-8")
    assert "| 1,000 |" in text and "old" not in text
