"""Where `formfit check` reads a forms file from: a path, `-` (stdin), or `REV:PATH` from git.

`REV:PATH` means what it means to `git show`: PATH as committed in revision REV (a branch, a
tag, a commit, `HEAD~1`, `origin/main`). PATH is relative to the repository's top level, or to
the current directory when it starts with `./`, exactly as git reads it. A spec that names an
existing file is always that file, so a file called `a:b.yaml` still works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from formfit.errors import InputError, UsageError
from formfit.io.forms import decode_text
from formfit.limits import refuse_special


@dataclass(frozen=True)
class SourceText:
    """A forms file's text and how to name it: ``label`` in messages, ``path`` in annotations
    (repository-relative where it can be, None for stdin)."""

    text: str
    label: str
    path: str | None
    is_json: bool


def split_revision(spec: str) -> tuple[str, str] | None:
    """``(rev, path)`` when ``spec`` is ``REV:PATH`` and not an existing file, else None."""
    if spec == "-" or Path(spec).exists() or ":" not in spec:
        return None
    rev, path = spec.split(":", 1)
    if len(rev) == 1 and rev.isalpha() and path[:1] in ("\\", "/"):
        return None  # a Windows drive letter, C:\forms.yaml
    if not rev:
        return None
    return rev, path


def read_source(spec: str, option: str, stdin: IO[str] | None = None) -> SourceText:
    """The text behind ``spec`` (see the module docstring); InputError names ``option``."""
    is_json = spec.lower().endswith(".json")
    if spec == "-":
        stream = stdin if stdin is not None else sys.stdin
        return SourceText(stream.read(), "<stdin>", None, is_json=False)
    pair = split_revision(spec)
    if pair is not None:
        rev, path = pair
        text = _git_show(rev, path, option)
        return SourceText(text, spec, _repo_path(path, from_git=True), is_json)
    p = Path(spec)
    if not p.exists():
        raise InputError(f"{option} {spec}: no such file.",
                         f"Give {option} a forms file path, `-` for stdin, or REV:PATH to read "
                         "it from git (e.g. main:forms.yaml).")
    if p.is_dir():
        raise InputError(f"{option} {spec} is a directory.",
                         f"Give {option} the forms YAML or JSON file.")
    refuse_special(p, "forms", InputError)
    return SourceText(decode_text(p.read_bytes()), spec, _repo_path(spec), is_json)


def committed(rev: str, path: str) -> bool:
    """Whether revision ``rev`` of the current repository holds file ``path``."""
    return shutil.which("git") is not None and _git(["cat-file", "-e",
                                                      f"{rev}:{path}"]).returncode == 0


def _git(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("git")
    if exe is None:
        raise UsageError("git is not installed, so REV:PATH cannot be read.",
                         "Install git, or pass plain file paths to --base and --head.")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    return subprocess.run([exe, *args], capture_output=True, env=env, check=False)


def _git_show(rev: str, path: str, option: str) -> str:
    spec = f"{rev}:{path}"
    inside = _git(["rev-parse", "--is-inside-work-tree"])
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise InputError(f"{option} {spec}: {Path.cwd()} is not inside a git work tree, so "
                         f"revision {rev!r} cannot be read.",
                         "Run formfit check from the repository's checkout, or pass a plain "
                         "file path (e.g. export it with `git show REV:PATH > old.yaml`).")
    if rev.startswith("-") or _git(["rev-parse", "--verify", "--quiet",
                                    f"{rev}^{{commit}}"]).returncode != 0:
        raise InputError(f"{option} {spec}: revision {rev!r} does not exist in this "
                         "repository.",
                         "Check the branch or commit name (`git branch -a`). In GitHub Actions "
                         "actions/checkout fetches one commit: set `fetch-depth: 0`, or run "
                         f"`git fetch origin {rev.removeprefix('origin/')}` first.")
    if not path or _git(["cat-file", "-e", spec]).returncode != 0:
        raise InputError(f"{option} {spec}: revision {rev!r} has no file {path!r}.",
                         "PATH is relative to the repository's top level (or to this "
                         f"directory when written ./PATH). List the files: "
                         f"`git ls-tree -r --name-only {rev}`.")
    shown = _git(["show", spec])
    if shown.returncode != 0:
        message = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{option} {spec}: git show failed ({message[-1] if message else ''}).",
                         "Check that the path names a file, not a directory.")
    return decode_text(shown.stdout)


def repository_path(path: str) -> str | None:
    """A working-tree file's path relative to the repository's top level, as ``REV:PATH``
    needs it; None outside a repository (or for a file outside this one)."""
    if shutil.which("git") is None:
        return None
    top = _git(["rev-parse", "--show-toplevel"])
    if top.returncode != 0:
        return None
    root = Path(top.stdout.decode("utf-8", "replace").strip()).resolve()
    try:
        return (Path.cwd() / path).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _repo_path(path: str, from_git: bool = False) -> str:
    """A path as GitHub annotations want it: relative to the repository's top level, with
    forward slashes; the path as given when there is no repository."""
    if from_git and not path.startswith(("./", "../")):
        return path  # git reads REV:PATH from the top level already
    top = _git(["rev-parse", "--show-toplevel"]) if shutil.which("git") else None
    if top is None or top.returncode != 0:
        return path.replace("\\", "/")
    root = Path(top.stdout.decode("utf-8", "replace").strip())
    p = Path(path)
    try:
        return (Path.cwd() / p).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.replace("\\", "/")
