"""The benchmark and synthetic-package scripts run (a 10^3-row smoke run; shapes, not times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mabdata.validate import validate_package

ROOT = Path(__file__).resolve().parents[1]


def test_synthetic_package_is_valid_and_deterministic(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_synthetic import make_package

    a, b = make_package(1000, tmp_path / "a"), make_package(1000, tmp_path / "b")
    assert validate_package(a) == []
    assert (a / "datapackage.json").read_bytes() == (b / "datapackage.json").read_bytes()
    assert (a / "data" / "adverse_events.csv").read_bytes() == (b / "data" / "adverse_events.csv").read_bytes()


def test_benchmark_smoke_run_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--rows", "1000", "--repeats", "1", "--json", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.read_text())
    assert set(result) >= {"runs", "build_s", "python", "pandas", "pyarrow", "pandera", "frictionless"}
    (run,) = result["runs"]
    assert run["rows"] == 1000
    for key in ("load_s", "validate_s", "frictionless_s", "peak_mb"):
        assert isinstance(run[key], float) and run[key] > 0
