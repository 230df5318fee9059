"""Control and bidi characters in user strings never reach any output raw.

Form ids, field names and values come from users' files. An escape sequence (ESC [2J clears a
terminal, ESC ]0; retitles it, BEL rings), a C1 control, or a bidi override (U+202E turns
"b\u202egnp.exe" into what reads as "bexe.png") is shown as its escape, ``\\x1b`` or
``\\u202e``, by one rule (:func:`formfit.renderers.escape.visible`) in every channel: terminal
text, Markdown, HTML (SVG ``<title>``/``<text>`` included) and GitHub workflow commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.renderers.escape import invisible, visible

DATA = Path(__file__).resolve().parent / "data" / "check"
FORM = "f\x1b[2Jx"
FIELD = "n\x1b]0;pwn\x07new"
BIDI_FORM = "b\u202egnp.exe"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")


def _raw(text: str) -> list[str]:
    """Characters that must never be written as they are (newlines between lines aside)."""
    return [hex(ord(ch)) for ch in text if ch != "\n" and invisible(ch)]


def test_the_rule_covers_controls_and_bidi() -> None:
    for ch in (*RAW, "\x00", "\x7f", "\u0085", "\u2028", "\u200e", "\u200f", "\u061c",
               "\u202a", "\u2069"):
        assert invisible(ch), hex(ord(ch))
    # characters that take no room: "email\u200b" would read as "email"
    for ch in ("\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\u2064"):
        assert invisible(ch), hex(ord(ch))
    for ch in ("a", "é", "漢", "😀", "\u200d", "\u200c", " ", "-", "\u00a0", "\u3000"):
        assert not invisible(ch)
    assert visible("email\u200b") == "email\\u200b"
    assert visible("👩\u200d💻") == "👩\u200d💻"  # an emoji sequence stays one emoji
    assert visible("f\x1b[2Jx") == "f\\x1b[2Jx"
    assert visible("b\u202egnp.exe") == "b\\u202egnp.exe"
    assert visible("a\nb", keep="\n") == "a\nb"


@pytest.fixture()
def forms(tmp_path: Path) -> tuple[Path, Path]:
    base, head = tmp_path / "b.yaml", tmp_path / "h.yaml"
    base.write_text(f"version: 1\nforms:\n  {json.dumps(FORM)}:\n    fields: [email]\n"
                    f"  {json.dumps(BIDI_FORM)}:\n    fields: [email]\n", encoding="utf-8")
    head.write_text(f"version: 1\nforms:\n  {json.dumps(FORM)}:\n"
                    f"    fields: [email, {json.dumps(FIELD)}]\n"
                    f"  {json.dumps(BIDI_FORM)}:\n    fields: [email, {json.dumps(FIELD)}]\n",
                    encoding="utf-8")
    return base, head


@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_check_shows_controls_as_escapes(forms: tuple[Path, Path], fmt: str) -> None:
    base, head = forms
    res = CliRunner().invoke(app, ["check", "--base", str(base), "--head", str(head),
                                   "--evidence", str(DATA / "evidence.json"), "--format", fmt,
                                   "--as-of", "2025-09-15"])
    assert res.exit_code in (0, 1), res.output
    assert not _raw(res.stdout), _raw(res.stdout)[:5]
    assert "x1b" in res.stdout and "u202e" in res.stdout  # named, shown inert


def test_check_json_keeps_the_strings(forms: tuple[Path, Path]) -> None:
    """JSON is data: the strings stay exactly as they are (json escapes them itself)."""
    base, head = forms
    res = CliRunner().invoke(app, ["check", "--base", str(base), "--head", str(head),
                                   "--evidence", str(DATA / "evidence.json"), "--format",
                                   "json", "--as-of", "2025-09-15"])
    data = json.loads(res.stdout)
    assert any(FIELD in f["fields"] for f in data["findings"])


@pytest.fixture(scope="module")
def hostile_export(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Inferred forms (no forms file): the form ids, a field's name and its values carry
    escape sequences and bidi controls. JSON Lines: a CSV with ESC is refused as binary."""
    d = tmp_path_factory.mktemp("ctl")
    subs, deals = d / "subs.jsonl", d / "deals.csv"
    rows = []
    for i in range(400):
        rows.append(json.dumps({
            "lead_id": f"L{i}", "form_id": [FORM, BIDI_FORM][i % 2],
            "submitted_at": f"2025-01-{1 + i % 28:02d}",
            "pl\x1b[31man": ["x", "y"][i % 2],
            "tier\u2066": ["s\x1b]0;t\x07", "m\x9b", "l\u202e"][i % 3]}))
    subs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    deals.write_text("lead_id,outcome\n" + "".join(
        f"L{i},{'won' if i % 5 == 0 else 'lost'}\n" for i in range(400)), encoding="utf-8")
    return ["--submissions", str(subs), "--outcomes", str(deals), "--maturity-days", "14"]


@pytest.mark.parametrize("name", ["r.md", "r.html", "r.txt"])
def test_analyze_reports_show_controls_as_escapes(hostile_export: list[str], tmp_path: Path,
                                                  name: str) -> None:
    out = tmp_path / name
    res = CliRunner().invoke(app, ["analyze", *hostile_export, "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert not _raw(text), _raw(text)[:5]
    assert "x1b" in text and "u202e" in text and "u2066" in text


def test_analyze_table_on_the_terminal(hostile_export: list[str]) -> None:
    res = CliRunner().invoke(app, ["analyze", *hostile_export, "--format", "table"],
                             env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    assert not _raw(res.stdout), _raw(res.stdout)[:5]
    assert "b\\u202egnp.exe" in res.stdout


def test_html_svg_titles_and_labels(hostile_export: list[str]) -> None:
    res = CliRunner().invoke(app, ["analyze", *hostile_export, "--format", "html"])
    assert res.exit_code == 0, res.output
    html = res.stdout
    assert "<title>s\\x1b]0;t\\x07" in html  # a value's bar title in the SVG
    assert not _raw(html)
