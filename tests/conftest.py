from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from mabdata import schemas

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "datapackage"
SHARED = ROOT.parent / "shared"
INPUTS = ("seeds", "schema", "reference", "pyproject.toml", "README.md")


def read_raw(pkg: Path, name: str) -> pd.DataFrame:
    """A published CSV as plain strings (empty cell = "")."""
    return pd.read_csv(pkg / "data" / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="session")
def raw_tables() -> dict[str, pd.DataFrame]:
    return {name: read_raw(PKG, name) for name in schemas.table_names()}


@pytest.fixture(scope="session")
def texts(raw_tables) -> dict[str, str]:
    src = raw_tables["sources"]
    return {sid: (PKG / path).read_bytes().decode("utf-8") for sid, path in zip(src.source_id, src.path, strict=True)}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_project(dest: Path, with_package: bool = True) -> Path:
    """The build inputs (and optionally the built package) in a scratch checkout."""
    for item in INPUTS + (("datapackage",) if with_package else ()):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item)
        else:
            shutil.copy2(src, dest / item)
    return dest


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def package_copy(tmp_path) -> Path:
    dest = tmp_path / "pkg"
    shutil.copytree(PKG, dest)
    return dest
