"""CLI conventions a user expects (issue 11): -h, -q, -o is --out, the format follows --out's
extension, the table follows the terminal width and colours verdicts on a terminal only, and
hints never break a command in two."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app

DATA = Path(__file__).resolve().parent / "data"
runner = CliRunner()
SMALL = ["--submissions", str(DATA / "submissions.csv"), "--map", "Form ID=form_id",
         "--views", str(DATA / "views_rows.csv"), "--outcomes", str(DATA / "outcomes.csv"),
         "--forms", str(DATA / "forms.yaml")]


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args), env=env)
    return res.exit_code, res.stdout, res.stderr


@pytest.mark.parametrize("cmd", [[], ["analyze"], ["validate"], ["demo"], ["check"]])
def test_dash_h_is_help(cmd: list[str]) -> None:
    code, out, _ = _run(*cmd, "-h")
    assert code == 0
    assert "Usage:" in out and "--help" in out


def test_dash_o_is_out_and_picks_json_from_extension(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, out, err = _run("analyze", *SMALL, "-o", str(target))
    assert code == 0, err
    assert out == ""
    assert json.loads(target.read_text())["schema_version"] == 1
    assert f"wrote {target}" in err


@pytest.mark.parametrize(("name", "start"), [("r.html", "<!DOCTYPE html>"), ("r.md", "#"),
                                              ("r.txt", "formfit ")])
def test_out_extension_picks_format(tmp_path: Path, name: str, start: str) -> None:
    code, _, err = _run("analyze", *SMALL, "--out", str(tmp_path / name))
    assert code == 0, err
    assert (tmp_path / name).read_text().lstrip().startswith(start)


def test_format_contradicting_out_is_an_error(tmp_path: Path) -> None:
    code, out, err = _run("analyze", *SMALL, "--format", "table", "--out",
                          str(tmp_path / "report.html"))
    assert code == 2
    assert "--format table does not match --out report.html" in err
    assert not (tmp_path / "report.html").exists()


def test_unknown_out_extension_without_format_is_an_error(tmp_path: Path) -> None:
    code, _, err = _run("analyze", *SMALL, "--out", str(tmp_path / "report.pdf"))
    assert code == 2
    assert "cannot tell the report format" in err


def test_explicit_format_with_unknown_extension_is_fine(tmp_path: Path) -> None:
    code, _, err = _run("analyze", *SMALL, "--format", "json", "--out", str(tmp_path / "r.out"))
    assert code == 0, err
    assert json.loads((tmp_path / "r.out").read_text())["schema_version"] == 1


def test_outcomes_and_views_have_no_short_names() -> None:
    """-o used to mean --outcomes: `-o out.html` read out.html as deals. -v was --views."""
    code, _, err = _run("analyze", *SMALL, "-v", "x.csv")
    assert code == 2
    assert "No such option" in err


def test_quiet_silences_notes(tmp_path: Path) -> None:
    code, out, err = _run("analyze", *SMALL, "-q", "-o", str(tmp_path / "r.json"))
    assert code == 0
    assert err == "" and out == ""


@pytest.mark.parametrize("columns", [80, 60])
def test_table_follows_columns(columns: int) -> None:
    code, out, err = _run("analyze", *SMALL, env={"COLUMNS": str(columns)})
    assert code == 0, err
    widest = max(len(line) for line in out.splitlines())
    assert widest <= columns
    assert "junk" not in out.split("\n\n")[1]  # narrow layout: no fill/junk columns


def test_wide_terminal_gets_wide_layout() -> None:
    code, out, _ = _run("analyze", *SMALL, env={"COLUMNS": "120"})
    assert code == 0
    assert "junk" in out


def _tty_run(args: list[str], env: dict[str, str]) -> str:
    """Run the real CLI with stdout on a pseudo-terminal; return what the terminal got."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "formfit", *args], stdout=follower,
                            stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_verdicts_coloured_on_a_terminal_not_under_no_color() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["COLUMNS"] = "100"
    coloured = _tty_run(["analyze", *SMALL], env)
    assert "\x1b[" in coloured and "protected" in coloured
    plain = _tty_run(["analyze", *SMALL], {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "protected" in plain


def test_piped_table_has_no_colour() -> None:
    code, out, _ = _run("analyze", *SMALL)
    assert code == 0 and "\x1b[" not in out


def test_demo_at_80_columns_and_its_hint_never_wraps_inside_a_command() -> None:
    """The demo's table was 100 columns wide whatever the terminal (68 lines over 80), and its
    "Next:" hint broke a command in two."""
    code, out, err = _run("demo", env={"COLUMNS": "80"})
    assert code == 0
    assert [line for line in out.splitlines() if len(line) > 80] == []
    assert "  formfit demo --out report.html\n" in err
    assert any(line.startswith("  formfit analyze --submissions YOUR_EXPORT.csv")
               and line.rstrip().endswith("--forms forms.yaml") for line in err.splitlines())
