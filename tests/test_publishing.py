"""Publishing paths: README examples, exports, citation metadata, and the wheel."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mabdata import export, schemas

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "datapackage"


def readme_blocks(lang: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("code", readme_blocks("python"), ids=lambda c: c.strip().splitlines()[0][:40])
def test_readme_python_examples_run(code):
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_readme_shell_examples_run(tmp_path):
    commands = [
        ln for block in readme_blocks("bash") for ln in block.splitlines() if ln.startswith(("frictionless ", "mabdata "))
    ]
    assert any(c.startswith("frictionless validate") for c in commands)
    for command in commands:
        argv = command.split("#")[0].split()
        argv = [str(tmp_path / "exports") if a == "exports" else a for a in argv]
        if argv[0] == "mabdata":
            argv = [sys.executable, "-m", "mabdata", *argv[1:]]
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])


def test_sqlite_export_keys_and_counts(tmp_path):
    path = export.export_sqlite(PKG, tmp_path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    for name in schemas.table_names():
        n_csv = len(pd.read_csv(PKG / "data" / f"{name}.csv", dtype=str))
        assert con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == n_csv  # noqa: S608
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("PRAGMA foreign_keys = ON")
        con.execute(
            "INSERT INTO drug_names (name_id, drug_id, name, name_type, in_reference, support) "
            "VALUES ('x', 'nodrug', 'n', 'inn', 1, 'stated')"
        )
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert set(meta["databases"]["mabdata"]["tables"]) == set(schemas.table_names())


def test_croissant_validates_with_mlcroissant(tmp_path):
    mlc = pytest.importorskip("mlcroissant")
    path = export.export_croissant(PKG, tmp_path)
    dataset = mlc.Dataset(jsonld=str(path))
    assert [r.name for r in dataset.metadata.record_sets] == schemas.table_names()
    records = list(dataset.records("drugs"))
    assert len(records) == len(pd.read_csv(PKG / "data" / "drugs.csv"))
    result = subprocess.run(
        [sys.executable, "-m", "mlcroissant", "validate", "--jsonld", str(PKG / "croissant.json")], capture_output=True, text=True
    )
    if result.returncode != 0 and "No module named mlcroissant.__main__" in result.stderr:
        result = subprocess.run(
            ["mlcroissant", "validate", "--jsonld", str(PKG / "croissant.json")], capture_output=True, text=True
        )
    assert result.returncode == 0, result.stderr[-2000:]


def test_dataset_card_front_matter():
    text = (PKG / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["license"] == "cc-by-4.0" and front["pretty_name"]
    assert [c["config_name"] for c in front["configs"]] == schemas.table_names()
    for c in front["configs"]:
        assert (PKG / c["data_files"][0]["path"]).is_file()
    rows = sum(len(pd.read_csv(PKG / "data" / f"{t}.csv", dtype=str)) for t in schemas.table_names())
    assert front["size_categories"] == [export._size_category(rows)]
    assert front["task_categories"]
    info = {c["config_name"]: c["features"] for c in front["dataset_info"]}
    status = next(f for f in info["indications"] if f["name"] == "status")
    assert list(status["dtype"]["class_label"]["names"].values()) == list(schemas.vocabulary("indication_status").terms)
    assert next(f for f in info["indications"] if f["name"] == "drug_id")["dtype"] == "string"
    assert "```bibtex\n@misc{mabdata2026," in text


def test_classlabel_features_load_with_hf_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    front = yaml.safe_load((PKG / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    info = {c["config_name"]: c["features"] for c in front["dataset_info"]}
    features = datasets.Features.from_dict({f["name"]: _hf_feature(f["dtype"]) for f in info["indications"]})
    ds = datasets.Dataset.from_parquet(str(PKG / "data" / "indications.parquet"), features=features)
    assert ds.features["status"].names == list(schemas.vocabulary("indication_status").terms)
    assert ds.features["status"].int2str(ds[0]["status"]) == pd.read_parquet(PKG / "data" / "indications.parquet")["status"][0]


def _hf_feature(dtype):
    if isinstance(dtype, dict):
        return {"_type": "ClassLabel", "names": list(dtype["class_label"]["names"].values())}
    return {"_type": "Value", "dtype": dtype}


def test_citation_metadata():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["repository-code"].startswith("https://") and cff["url"].startswith("https://")
    bib = (ROOT / "CITATION.bib").read_text()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert bib.startswith("@misc{mabdata2026,") and f"version = {{{version}}}" in bib and cff["url"] in bib
    assert bib.strip() == export.bibtex(version)


def test_version_is_the_same_everywhere():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    zenodo = json.loads((ROOT / ".zenodo.json").read_text())
    package = json.loads((PKG / "datapackage.json").read_text())
    croissant = json.loads((PKG / "croissant.json").read_text())
    assert {version, str(cff["version"]), zenodo["version"], package["version"], croissant["version"]} == {version}
    released = str(schemas.package_meta()["released"])
    assert str(cff["date-released"]) == zenodo["publication_date"] == released == croissant["datePublished"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_license_states_the_terms():
    text = (ROOT / "LICENSE").read_text()
    for must in ("CC BY 4.0", "MIT", "third-party", "Thera-SAbDab", "CC0", "MedDRA"):
        assert must in text


def _venv_with_this_environments_packages(venv: Path) -> Path:
    """A fresh venv that sees the running environment's installed packages (pandas, pyarrow, ...)
    through a .pth file, whether the tests run in a virtualenv or system-wide: `--system-site-packages`
    would give it the base interpreter's packages, which inside a virtualenv are not these. The
    .pth adds plain directories (their own .pth files, such as this checkout's editable install,
    are not processed), so `mabdata` itself comes only from the wheel installed next."""
    import site
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    dirs = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(purelib) / "_parent_environment.pth").write_text("\n".join(d for d in dirs if Path(d).is_dir()) + "\n")
    return py


def test_wheel_installs_and_works_outside_the_repo(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheel_dir)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheel_dir.glob("mabdata-*.whl"))
    py = _venv_with_this_environments_packages(tmp_path / "venv")
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "monograph.txt").write_bytes((ROOT / "seeds" / "001_b735163c3ee337a8.txt").read_bytes())

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([py, "-m", "mabdata", *args], cwd=work, capture_output=True, text=True)

    probe = (
        "import json, mabdata\n"
        "from mabdata import schemas\n"
        "assert 'site-packages' in mabdata.__file__ and '/venv/' in mabdata.__file__, mabdata.__file__\n"
        "out = {}\n"
        "for name in mabdata.tables():\n"
        "    df = mabdata.load(name)\n"
        "    assert dict(df.dtypes) == schemas.pandas_dtypes(name), name\n"
        "    assert mabdata.load(name, format='csv').equals(df), name\n"
        "    out[name] = len(df)\n"
        "assert len(mabdata.load('indications', evidence=True)) >= out['indications']\n"
        "print(json.dumps(out))\n"
    )
    loaded = subprocess.run([py, "-c", probe], cwd=work, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    counts = json.loads(loaded.stdout)
    assert counts["sources"] == 48 and all(n > 0 for n in counts.values())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cli("--version").stdout.strip() == f"mabdata {version}"
    valid = cli("validate")
    assert valid.returncode == 0 and valid.stdout.startswith("valid: "), valid.stderr[-2000:]
    exported = cli("export", "sqlite", "--out", "exports")
    assert exported.returncode == 0 and (work / "exports" / "mabdata.sqlite").is_file(), exported.stderr[-2000:]
    drafted = cli("draft", "monograph.txt", "--out", "drafts")
    assert drafted.returncode == 0, drafted.stderr[-2000:]
    assert "internal error" not in drafted.stderr and (work / "drafts" / "monograph.yaml").is_file()
    found = cli("lookup", "disease", "multiple", "myeloma")
    assert found.returncode == 0 and "DOID:9538" in found.stdout
    built = cli("build")
    assert built.returncode == 2 and f"no seeds/ or labels/ in {work}" in built.stderr
