"""Golden files: the markdown and JSON reports of the bundled sample data, byte for byte.

Each golden file's first line says how to regenerate it (scripts/regenerate_golden.py); the
rest must equal what `formfit demo --format json|markdown` prints today. A diff here means the
numbers or the layout moved: regenerate only when that is intended, and say why in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import load_script
from typer.testing import CliRunner

from formfit.cli import app

ROOT = Path(__file__).resolve().parents[1]
regen = load_script("regenerate_golden")


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_demo_matches_golden(fmt: str) -> None:
    path = ROOT / "tests" / "golden" / regen.FORMATS[fmt]
    header, expected = path.read_text(encoding="utf-8").split("\n", 1)
    assert header.startswith("regenerate with:")
    res = CliRunner().invoke(app, ["demo", "--format", fmt])
    assert res.exit_code == 0
    assert res.stdout == expected
