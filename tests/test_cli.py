"""The command line a newcomer and a fork's CI meet: help, version, formats, exit codes, messages."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT
from faults.faultlib import set_cell

from mabdata.cli import parser


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mabdata", *args], capture_output=True, text=True, cwd=cwd or ROOT)


def test_version_is_the_project_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"mabdata {version}"


def test_every_command_and_option_has_help():
    top = parser()
    commands = next(a for a in top._actions if a.dest == "command").choices
    assert set(commands) >= {"build", "check", "validate", "diff", "lookup", "draft", "export"}
    for name, sub in commands.items():
        assert sub.description, f"{name} has no description"
        for action in sub._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.dest} has no help text"
    assert "exit codes" in run("--help").stdout and "exit codes" in run("validate", "--help").stdout


def test_json_output_is_always_json(tmp_path):
    missing = run("validate", str(tmp_path / "nowhere"), "--format", "json")
    assert missing.returncode == 2
    report = json.loads(missing.stdout)
    assert (
        report["valid"] is False
        and report["errors"][0]["check"] == "usage"
        and "does not exist" in report["errors"][0]["message"]
    )
    nothing = run("build", "--format", "json", cwd=tmp_path)
    assert nothing.returncode == 2 and json.loads(nothing.stdout)["errors"][0]["check"] == "usage"


def test_build_outside_a_checkout_names_the_working_directory(tmp_path):
    result = run("build", cwd=tmp_path)
    assert result.returncode == 2
    assert f"no seeds/ or labels/ in {tmp_path}" in result.stderr and "site-packages" not in result.stderr


def test_build_reports_json_and_github_annotations(project):
    path = project / "seeds" / "002_f633e4ad168ed7ca.yaml"
    path.write_text(path.read_text().replace("    route: INTRAVENOUS\n", "    route: INTRAVENUS\n", 1))
    as_json = run("build", "--root", str(project), "--format", "json")
    assert as_json.returncode == 1
    errors = json.loads(as_json.stdout)["errors"]
    assert {"file": "seeds/002_f633e4ad168ed7ca.yaml", "line": 147, "field": "route", "check": "vocabulary"}.items() <= errors[
        0
    ].items()
    github = run("build", "--root", str(project), "--format", "github")
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=seeds/002_f633e4ad168ed7ca.yaml,line=147,title=mabdata vocabulary::")


def test_validate_github_annotations_point_at_the_csv_line(mini_package):
    set_cell(mini_package, "drug_names", 2, "in_reference", "yes")
    result = run("validate", str(mini_package), "--format", "github", cwd=mini_package.parent)
    assert result.returncode == 1
    assert "::error file=pkg/data/drug_names.csv,line=3,title=mabdata type::" in result.stdout


def test_check_reports_json(project):
    result = run("check", "labels/BLA761113.yaml", "--root", str(project), "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["rows"]["indications"] >= 2


def test_draft_refuses_binary_and_non_utf8_files(tmp_path):
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.4\x00\x01\x02")
    latin = tmp_path / "page.txt"
    latin.write_bytes("caf\u00e9".encode("latin-1"))
    for path, why in ((binary, "is a binary file"), (latin, "is not UTF-8 text")):
        result = run("draft", str(path), "--out", str(tmp_path / "out"))
        assert result.returncode == 2 and why in result.stderr and "internal error" not in result.stderr


def test_diff_of_two_folders(mini_package, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(mini_package, old)
    set_cell(mini_package, "drug_names", 2, "flag", "dubious")
    result = run("diff", str(old), str(mini_package))
    assert result.returncode == 0
    assert "drug_names: " in result.stdout and "~1 changed" in result.stdout and "in flag" in result.stdout
    md = run("diff", str(old), str(mini_package), "--format", "markdown")
    assert "| `drug_names` |" in md.stdout and "| table | rows before |" in md.stdout


OLD_RELEASE = "5bac951"  # the last commit of 0.1.0


def test_diff_against_the_0_1_0_release():
    has_history = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{OLD_RELEASE}^{{commit}}"], capture_output=True)
    if has_history.returncode != 0:
        pytest.skip("this clone has no history back to 0.1.0 (shallow clone)")
    result = run("diff", OLD_RELEASE, "datapackage")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"mabdata diff {OLD_RELEASE} (0.1.0) -> datapackage (0.2.0)")
    assert "evidence: — -> " in out and "(new table)" in out
    assert "sources: 4 -> 48 rows" in out
    assert "columns removed: molecule_type, sequence_source, drug_class" in out  # now claims in drug_properties
    assert "-9 removed (000_ce48de2c0629de8e/001" in out  # 0.1.0 row ids are gone: ids are claim hashes now


def test_fork_ci_recipes_run_real_commands():
    """The pre-commit hooks and the GitHub workflow call commands and options that exist."""
    import shlex

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    steps = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]["data"]["steps"]
    commands = [h["entry"] for h in hooks] + [
        line.strip() for s in steps for line in s.get("run", "").splitlines() if line.strip().startswith("mabdata ")
    ]
    assert any("build --check" in c for c in commands) and any("validate" in c for c in commands)
    top = parser()
    for command in commands:
        argv = shlex.split(command.split(">>")[0])[1:]
        argv = [a if "${{" not in a else "HEAD" for a in argv]
        top.parse_args(argv)  # exits (fails the test) on an unknown command or option
