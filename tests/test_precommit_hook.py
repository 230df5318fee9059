"""The pre-commit hook in .pre-commit-hooks.yaml, run for real through `pre-commit try-repo`.

pre-commit clones this repository, builds its hook environment (`pip install .`) and runs the
hook on a staged forms file in a temporary repository. To keep the test to seconds and
independent of the network for formfit's heavy dependencies, the hook environment installs
formfit alone (PIP_NO_DEPS) and finds pandas, scipy, ... on PYTHONPATH from the environment
running the tests; formfit itself, its entry point and the hook's files/args/pass_filenames
are the hook's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "check"

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(not (ROOT / ".git").exists(),
                       reason="pre-commit try-repo needs this project as a git repository"),
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                   cwd=repo, check=True, capture_output=True)


def test_hook_runs_through_try_repo(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install "
                        "-e '.[test]' installs it)")
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(DATA / "base.yaml", site / "forms.yaml")
    shutil.copy(DATA / "evidence.json", site / "evidence.json")
    _git(site, "init", "-q")
    _git(site, "add", ".")
    _git(site, "commit", "-q", "-m", "forms")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_NO_DEPS": "1",
           "PYTHONPATH": sysconfig.get_paths()["purelib"], "NO_COLOR": "1",
           "GIT_CEILING_DIRECTORIES": str(tmp_path)}

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT),
                               "formfit-check", "--files", "forms.yaml", "--verbose"],
                              cwd=site, env=env, capture_output=True, text=True, check=False)

    forms = site / "forms.yaml"
    text = forms.read_text(encoding="utf-8")
    forms.write_text(text.replace("newsletter:\n    fields: [email, consent]",
                                  "newsletter:\n    fields: [consent]"), encoding="utf-8")
    _git(site, "add", "forms.yaml")
    res = hook()
    assert res.returncode == 1, res.stdout + res.stderr
    assert "email is removed from newsletter" in res.stdout
    assert "forms.yaml:34" in res.stdout  # the line of newsletter's fields in the staged file
    # a change the evidence supports passes (the environment is reused: fast)
    forms.write_text(text.replace("how_did_you_hear, consent]\n  demo-b", "consent]\n  demo-b"),
                     encoding="utf-8")
    _git(site, "add", "forms.yaml")
    res = hook()
    assert res.returncode == 0, res.stdout + res.stderr
    assert "how_did_you_hear is removed from demo-a, as the evidence supports" in res.stdout
