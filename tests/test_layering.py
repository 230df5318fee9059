"""The one-way data flow holds: renderers see only results, only models import statsmodels,
nothing imports the CLI (design.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "formfit"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules() -> list[tuple[str, set[str]]]:
    return [(str(p.relative_to(PKG)), _imports(p)) for p in sorted(PKG.rglob("*.py"))]


def test_only_models_import_statsmodels() -> None:
    offenders = [m for m, imps in _modules()
                 if any(i.startswith("statsmodels") for i in imps)
                 and not m.startswith("models/")]
    assert offenders == []


def test_renderers_import_only_results() -> None:
    bad = []
    for m, imps in _modules():
        if not m.startswith("renderers/") or m == "renderers/validation.py":
            continue
        for i in imps:
            if i.startswith("formfit") and not (i in ("formfit.results", "formfit.results_check",
                                                      "formfit.results_design") or
                                                 i.startswith("formfit.renderers")
                                                 or i == "formfit.errors"):
                bad.append((m, i))
            if i.split(".")[0] in {"pandas", "statsmodels", "numpy", "scipy"}:
                bad.append((m, i))
    assert bad == []


def test_nothing_imports_cli() -> None:
    offenders = [m for m, imps in _modules() if "formfit.cli" in imps and m != "__main__.py"]
    assert offenders == []


def test_only_cells_import_the_engines() -> None:
    """ibis and duckdb stay inside formfit.cells (design.md): the one place rows are grouped."""
    offenders = [m for m, imps in _modules()
                 if any(i.split(".")[0] in {"ibis", "duckdb", "pyspark"} for i in imps)
                 and not m.startswith("cells/")]
    assert offenders == []


def test_import_formfit_pulls_in_no_engine_and_no_scipy() -> None:
    import subprocess
    import sys

    code = ("import sys, formfit\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'duckdb', 'ibis', 'scipy', 'statsmodels', 'pandas', 'pyspark'})\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
