"""The README's commands and library example run as written."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    assert "pip install -e ." in blocks[0] and "formfit demo" in blocks[0]
    assert 'pip install -e ".[test]"' in blocks[1] and "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]" && python -m pytest' in ci


def test_library_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = re.search(r"```python\n(.*?)```", README, flags=re.S)
    assert code is not None
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102
    result = namespace["result"]
    assert repr(result).startswith("<AnalysisResult: 12 fields")
    assert (tmp_path / "world" / "truth.json").exists()
    assert os.path.getsize(tmp_path / "world" / "submissions.csv") > 0


def test_public_functions_stay_callable_after_every_submodule_is_imported() -> None:
    """A subpackage named like an API function (formfit.render, formfit.simulate) would
    replace the function on first import; the API names must never be shadowed."""
    import importlib
    import pkgutil

    import formfit

    for mod in pkgutil.walk_packages(formfit.__path__, "formfit."):
        if mod.name != "formfit.__main__":
            importlib.import_module(mod.name)
    for name in formfit.__all__:
        if name not in ("__version__", "FormfitError"):
            assert callable(getattr(formfit, name)), name
            assert not hasattr(getattr(formfit, name), "__path__"), name
