"""The shipped integrations say what the CLI does: `check --help` has worked examples, and
every `formfit check` command in the GitHub Actions example and in the README's "Use it in CI"
runs as written (in a temporary repository, with the base branch as HEAD)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from formfit.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "check"
WORKFLOW = ROOT / "examples" / "github-actions" / "formfit.yml"


def test_check_help_has_worked_examples() -> None:
    res = CliRunner().invoke(app, ["check", "--help"], env={"COLUMNS": "120"})
    assert res.exit_code == 0
    for text in ("--base main:forms.yaml --head forms.yaml", "--format github",
                 "--format sarif", "--strict", "git show", "Exit status: 0", "REV:PATH"):
        assert text in res.stdout, text


def _check_commands(text: str) -> list[list[str]]:
    """Every `formfit check ...` command in a shell text, continuation lines joined, without
    redirections and `|| true`."""
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = re.sub(r"^(?:-\s*)?(?:run:\s*)?", "", line.strip().lstrip("#").strip())
        if not line.startswith("formfit check") or "..." in line:
            continue
        line = re.split(r"\s(?:>>?|\|\|)\s", line)[0]
        out.append(shlex.split(line)[2:])
    return out


def test_workflow_is_the_documented_shape() -> None:
    wf = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = wf[True]  # YAML 1.1 reads the key `on` as true
    assert "schedule" in on and "pull_request" in on
    steps = wf["jobs"]["evidence"]["steps"]
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps)
    check = wf["jobs"]["check"]
    assert check["steps"][0]["with"]["fetch-depth"] == 0
    assert "GITHUB_STEP_SUMMARY" in yaml.safe_dump(check)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_documented_check_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it in CI", 1)[1].split("\n## ", 1)[0]
    commands = _check_commands(WORKFLOW.read_text(encoding="utf-8")) + _check_commands(section)
    assert len(commands) >= 4
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(DATA / "base.yaml", repo / "forms.yaml")
    shutil.copy(DATA / "evidence.json", repo / "evidence.json")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for args in commands:
        args = [a.replace("origin/$BASE", "main") for a in args]
        res = CliRunner().invoke(app, ["check", *args])
        assert res.exit_code == 0, (args, res.output)


def test_cli_formats_are_the_format_enum() -> None:
    """One Format enum: each command's --format choices are its share of it."""
    from formfit.cli import CheckFmt, Fmt, ValidateFmt
    from formfit.renderers import COMMAND_FORMATS, Format

    for cmd, enum_cls in (("analyze", Fmt), ("validate", ValidateFmt), ("check", CheckFmt)):
        assert [str(f) for f in enum_cls] == [str(f) for f in COMMAND_FORMATS[cmd]], cmd
        assert all(Format(str(f)) for f in enum_cls)
