"""`formfit check` where CI runs it: in a git repository, reading the base from a revision.

A temporary repository gets a forms file committed, then changed; `formfit check --base
HEAD:forms.yaml --head forms.yaml` must exit with the policy's code and point each annotation
at the file and line of the change. Also: the errors for a directory outside git, an unknown
revision and a path the revision lacks; stdin; running from a subdirectory; the pre-commit
form (files as arguments)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app

DATA = Path(__file__).resolve().parent / "data" / "check"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with forms.yaml (the sample's) and evidence.json committed."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(DATA / "base.yaml", root / "forms.yaml")
    shutil.copy(DATA / "evidence.json", root / "evidence.json")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "forms")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["check", *args, "--as-of", "2025-09-15"], input=stdin)
    return res.exit_code, res.stdout, res.stderr


ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]*),line=(\d+),title=")


def test_end_to_end_annotations_point_at_the_change(repo: Path) -> None:
    """Remove phone (keep) from demo-b, add fax to newsletter, make message required on
    contact: an error on demo-b's fields line, a warning on fax's line, a notice on
    message's line."""
    forms = repo / "forms.yaml"
    lines = forms.read_text(encoding="utf-8").splitlines()
    _edit(forms, "fields: [email, first_name, last_name, phone, company_size, consent]",
          "fields: [email, first_name, last_name, company_size, consent]")
    _edit(forms, "newsletter:\n    fields: [email, consent]",
          "newsletter:\n    fields:\n      - email\n      - fax\n      - consent")
    _edit(forms, "    optional: [message]\n", "")
    code, out, err = _run("--base", "HEAD:forms.yaml", "--head", "forms.yaml", "--evidence",
                          "evidence.json", "--format", "github")
    assert code == 1, err
    found = [ANNOTATION.match(line) for line in out.splitlines() if line.startswith("::")]
    assert all(found), out
    got = {(m.group(1), m.group(2), int(m.group(3))) for m in found if m}
    new_lines = forms.read_text(encoding="utf-8").splitlines()
    demo_b = lines.index("  demo-b:") + 1 + 3  # its fields: line, 1-based
    fax = new_lines.index("      - fax") + 1
    message = new_lines.index("    fields: [email, first_name, last_name, message, consent]") + 1
    assert got == {("error", "forms.yaml", demo_b), ("warning", "forms.yaml", fax),
                   ("notice", "forms.yaml", message)}
    assert new_lines[demo_b - 1].strip().startswith("fields:")
    # a change that breaks nothing exits 0
    _git(repo, "checkout", "--", "forms.yaml")
    _edit(forms, "how_did_you_hear, consent]\n  demo-b", "consent]\n  demo-b")
    code, out, _ = _run("--base", "HEAD:forms.yaml", "--head", "forms.yaml", "--evidence",
                        "evidence.json", "--format", "github")
    assert code == 0
    assert out.startswith("::notice file=forms.yaml,line=11,")


def test_from_a_subdirectory_paths_are_repository_relative(repo: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    sub = repo / "marketing"
    sub.mkdir()
    shutil.copy(repo / "forms.yaml", sub / "forms.yaml")
    _edit(sub / "forms.yaml", "newsletter:\n    fields: [email, consent]",
          "newsletter:\n    fields: [consent]")
    monkeypatch.chdir(sub)
    code, out, err = _run("--base", "HEAD:forms.yaml", "--head", "forms.yaml", "--evidence",
                          "../evidence.json", "--format", "github")
    assert code == 1, err
    assert out.startswith("::error file=marketing/forms.yaml,line=34,")
    # ./PATH in a revision is relative to this directory, as in git
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "sub")
    code, out, err = _run("--base", "HEAD~1:forms.yaml", "--head", "HEAD:./forms.yaml",
                          "--evidence", "../evidence.json", "--format", "github")
    assert code == 1, err
    assert out.startswith("::error file=marketing/forms.yaml,line=34,")


def test_stdin_base(repo: Path) -> None:
    head = repo / "forms.yaml"
    base = head.read_text(encoding="utf-8")
    _edit(head, "fields: [email, first_name, last_name, phone, company_size, consent]",
          "fields: [email, first_name, last_name, company_size, consent]")
    code, out, _ = _run("--base", "-", "--head", "forms.yaml", "--evidence", "evidence.json",
                        stdin=base)
    assert code == 1 and "phone is removed from demo-b" in out
    code, _, err = _run("--base", "-", "--head", "-", "--evidence", "evidence.json", stdin="")
    assert code == 2 and "cannot both be `-`" in err


def test_git_errors(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _run("--base", "nope:forms.yaml", "--head", "forms.yaml", "--evidence",
                        "evidence.json")
    assert code == 2 and "revision 'nope' does not exist" in err and "fetch-depth: 0" in err
    code, _, err = _run("--base", "HEAD:form.yaml", "--head", "forms.yaml", "--evidence",
                        "evidence.json")
    assert code == 2 and "has no file 'form.yaml'" in err and "git ls-tree" in err
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(repo / "forms.yaml", outside / "forms.yaml")
    monkeypatch.chdir(outside)
    code, _, err = _run("--base", "main:forms.yaml", "--head", "forms.yaml", "--evidence",
                        str(repo / "evidence.json"))
    assert code == 2 and "is not inside a git work tree" in err
    assert "Traceback" not in err


def test_pre_commit_form_checks_each_file_against_head(repo: Path) -> None:
    """`formfit check --evidence E FILE...` is what the pre-commit hook runs."""
    _edit(repo / "forms.yaml", "newsletter:\n    fields: [email, consent]",
          "newsletter:\n    fields: [consent]")
    (repo / "new_forms.yaml").write_text((DATA / "base.yaml").read_text(encoding="utf-8"))
    code, out, err = _run("--evidence", "evidence.json", "forms.yaml", "new_forms.yaml")
    assert code == 1
    assert "email is removed from newsletter" in out
    assert "new_forms.yaml: not committed yet" in err
    code, _, err = _run("--evidence", "evidence.json", "--base", "x.yaml", "forms.yaml")
    assert code == 2 and "not both" in err


def test_library_call(repo: Path) -> None:
    from formfit.gate import run_check

    report = run_check("HEAD:forms.yaml", "-", repo / "evidence.json",
                       stdin=io.StringIO((repo / "forms.yaml").read_text(encoding="utf-8")))
    assert report.exit_code == 0
    assert {f.rule for f in report.findings} == {"evidence_stale"}  # today, not 2025
    assert os.fspath(report.evidence.source).endswith("evidence.json")


def test_bad_input_is_an_annotation_and_never_starts_a_command(repo: Path) -> None:
    code, out, err = _run("--base", "nope:forms.yaml", "--head", "forms.yaml", "--evidence",
                          "evidence.json", "--format", "github")
    assert code == 2
    assert out.startswith("::error title=formfit check%3A bad input::--base nope:forms.yaml: "
                          "revision 'nope' does not exist")
    assert len(out.splitlines()) == 1
    code, out, err = _run("--base", "forms.yaml", "--head", "x\n::error::pwned.yaml",
                          "--evidence", "evidence.json")
    assert code == 2 and "x\\n::error::pwned.yaml" in err
    assert not [line for line in (out + err).splitlines() if line.startswith("::")]


def test_pre_commit_form_from_a_subdirectory_and_by_absolute_path(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`formfit check FILE` compares FILE with its own committed version, whatever directory
    it runs from: git reads HEAD:forms.yaml from the top level, so from sub/ the file must be
    named HEAD:sub/forms.yaml (the top level's forms.yaml differs here)."""
    sub = repo / "sub"
    sub.mkdir()
    shutil.copy(repo / "forms.yaml", sub / "forms.yaml")
    _edit(repo / "forms.yaml", "fields: [email, first_name, last_name, phone, company_size, "
          "consent]", "fields: [email, first_name, last_name, company_size, consent]")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "sub")
    # the working copy of sub/forms.yaml now equals the top level's committed file
    shutil.copy(repo / "forms.yaml", sub / "forms.yaml")
    monkeypatch.chdir(sub)
    for name in ("forms.yaml", str(sub / "forms.yaml"), "./forms.yaml"):
        code, out, err = _run("--evidence", "../evidence.json", name, "--format", "github")
        assert code == 1, (name, out, err)
        assert out.startswith("::error file=sub/forms.yaml,line="), (name, out)
        assert "phone is removed from demo-b" in out
        assert "not committed yet" not in err
    monkeypatch.chdir(repo)
    code, out, _ = _run("--evidence", "evidence.json", "sub/forms.yaml")
    assert code == 1 and "HEAD:sub/forms.yaml" in out
