"""`formfit demo` works from an installed wheel, run from another directory (issue 11): the
sample data ship as package data. Builds the wheel from a copy of the source tree (so no build/
directory appears in the checkout), installs it without dependencies into a fresh venv that
borrows this environment's third-party packages, and runs the console script."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _copy_source(dst: Path) -> Path:
    src = dst / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "formfit", src / "formfit", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "sample_data", src / "sample_data", ignore=ignore)
    return src


def test_demo_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    src = _copy_source(tmp_path)
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            str(dist), str(src)], capture_output=True, text=True)
    if build.returncode != 0 and "setuptools" in build.stderr and "find" in build.stderr:
        pytest.skip(f"cannot fetch the build backend: {build.stderr[-300:]}")
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("formfit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("submissions.csv", "views.csv", "outcomes.csv", "forms.yaml"):
        assert f"formfit/sample_data/{f}" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True)
    target = Path(purelib.stdout.strip())
    # third-party dependencies from this environment; the .pth adds the directory only, so
    # the editable formfit installed there is not seen (its finder hook is not run)
    deps = [p for p in site.getsitepackages() if Path(p).exists()]
    (target / "deps.pth").write_text("\n".join(deps) + "\n")
    # this environment's pip, installing into the fresh venv (--python: pip >= 22.3)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(py), "-c", "import formfit; print(formfit.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, env=env, check=True)
    assert str(target) in where.stdout  # the wheel's formfit, not the checkout's
    script = [str(env_dir / "bin" / "formfit"), "demo", "--format", "json", "-q"]
    res = subprocess.run(script, cwd=elsewhere, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert {f["field"] for f in result["fields"]} >= {"phone", "email", "how_did_you_hear"}
    assert result["settings"]["submissions"] == "submissions.csv"
