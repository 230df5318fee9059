"""`formfit design` on the command line: its text fits the terminal, and --out names a
directory.

The evidence is the bundled sample's golden result (tests/golden/sample_result.json.golden).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "sample_result.json.golden"


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    text = GOLDEN.read_text(encoding="utf-8")
    path = tmp_path / "r.json"
    path.write_text(text[text.index("{"):], encoding="utf-8")
    return path


@pytest.mark.parametrize("cmd", ["design", "simulate"])
def test_out_that_is_a_file_says_out_names_a_directory(evidence: Path, tmp_path: Path,
                                                       cmd: str) -> None:
    """design said "cannot write --out forms.yaml/forms.yaml: File exists." and asked for a
    file path; --out names the directory the files go into."""
    existing = tmp_path / "forms.yaml"
    existing.write_text("version: 1\n", encoding="utf-8")
    args = (["design", "--evidence", str(evidence)] if cmd == "design" else ["simulate"])
    res = CliRunner().invoke(app, [*args, "--out", str(existing)])
    assert res.exit_code == 2, res.output
    err = " ".join(res.stderr.split())
    assert "--out names a directory" in err and f"{existing} is a file" in err
    assert "File exists" not in err and "path of a file" not in err
    assert "Traceback" not in res.output
    assert existing.read_text(encoding="utf-8") == "version: 1\n"  # left as it was
    if cmd == "design":
        assert "design.json" in err  # the hint says what goes into the directory


def test_out_directory_still_written(evidence: Path, tmp_path: Path) -> None:
    out = tmp_path / "new" / "design"
    res = CliRunner().invoke(app, ["design", "--evidence", str(evidence), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["design.json", "design.md", "forms.yaml"]
    assert json.loads((out / "design.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("width", [40, 60, 100])
def test_text_fits_the_terminal(evidence: Path, width: int) -> None:
    """design's text ignored COLUMNS (lines of 364 characters at 60): prose now wraps and
    tables leave out columns, saying which, so that no line is wider than the terminal."""
    from rich.cells import cell_len

    res = CliRunner().invoke(app, ["design", "--evidence", str(evidence)],
                             env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert sum(cell_len(line) > width - 10 for line in lines) > 3  # it uses the width
    out = evidence.parent / "d"
    assert CliRunner().invoke(app, ["design", "--evidence", str(evidence), "--out",
                                    str(out)]).exit_code == 0
    design = json.loads((out / "design.json").read_text(encoding="utf-8"))
    for f in design["fields"]:  # every field keeps its row, name whole
        assert any(line.startswith(f["field"] + " ") for line in lines), f["field"]
    if width < 100:
        assert "Left out at" in res.stdout


def test_text_tables_align_wide_characters(evidence: Path, tmp_path: Path) -> None:
    """Padding counted characters, so CJK and emoji names pushed their rows' numbers right;
    cells are padded by terminal cell width now."""
    from rich.cells import cell_len

    text = evidence.read_text(encoding="utf-8")
    cjk = tmp_path / "cjk.json"
    cjk.write_text(text.replace('"message"', '"メッセージ😀"').replace('"timeline"', '"導入時期"'),
                   encoding="utf-8")
    res = CliRunner().invoke(app, ["design", "--evidence", str(cjk), "--fields",
                                   "メッセージ😀,導入時期,budget"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    rows = [line for line in lines if line.split(" ")[0] in ("メッセージ😀", "導入時期", "budget")]
    assert len(rows) == 3
    # the margin column (third) ends at the same terminal cell on every row
    ends = set()
    for line in rows:
        margin = line.split()[2]
        ends.add(cell_len(line[:line.index(" " + margin + " ") + 1 + len(margin)]))
    assert len(ends) == 1, rows
    assert max(cell_len(line) for line in lines) <= 100
