from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mabdata import schemas

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "datapackage"
SHARED = ROOT.parent / "shared"
INPUTS = ("seeds", "schema", "reference", "pyproject.toml", "README.md")
# The small project that build tests edit and rebuild: the four web monographs and one FDA
# label (isatuximab), so each rebuild takes about a second whatever the size of the corpus.
MINI_LABELS = ("BLA761113",)


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


def copy_inputs(dest: Path, labels: tuple[str, ...] | None = MINI_LABELS) -> Path:
    """The build inputs in a scratch checkout: every input, with all labels or only `labels`."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in INPUTS:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item)
        else:
            shutil.copy2(src, dest / item)
    (dest / "labels" / "raw").mkdir(parents=True)
    for name in ("SOURCE.txt", "INDEX.tsv"):
        shutil.copy2(ROOT / "labels" / "raw" / name, dest / "labels" / "raw" / name)
    stems = labels if labels is not None else tuple(p.stem for p in sorted((ROOT / "labels" / "raw").glob("*.json")))
    for stem in stems:
        shutil.copy2(ROOT / "labels" / "raw" / f"{stem}.json", dest / "labels" / "raw" / f"{stem}.json")
        for ext in ("txt", "yaml"):
            shutil.copy2(ROOT / "labels" / f"{stem}.{ext}", dest / "labels" / f"{stem}.{ext}")
    return dest


@functools.cache
def built_mini_project() -> Path:
    """The small project, built once per test session (also usable outside fixtures, e.g. by
    hypothesis strategies that need the package's shape at import time)."""
    import atexit
    import tempfile

    from mabdata import publish

    tmp = Path(tempfile.mkdtemp(prefix="mabdata-mini-"))
    atexit.register(shutil.rmtree, tmp, True)
    root = copy_inputs(tmp / "project")
    publish.build(root)
    return root


@pytest.fixture(scope="session")
def mini_build() -> Path:
    return built_mini_project()


@pytest.fixture
def project(mini_build, tmp_path) -> Path:
    """A fresh copy of the built small project, for a test to edit and rebuild."""
    dest = tmp_path / "project"
    shutil.copytree(mini_build, dest)
    return dest


@pytest.fixture
def package_copy(tmp_path) -> Path:
    dest = tmp_path / "pkg"
    shutil.copytree(PKG, dest)
    return dest


@pytest.fixture
def mini_package(mini_build, tmp_path) -> Path:
    """A copy of the small project's package (fast to validate, for fault tests)."""
    dest = tmp_path / "pkg"
    shutil.copytree(mini_build / "datapackage", dest)
    return dest
