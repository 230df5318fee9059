"""Every output channel escapes the user strings it carries, by its own one rule.

Field names, form ids, values and file names come from users' files. A string holding a newline
and a GitHub workflow command, a Markdown heading, a script tag or a javascript: link goes
through analyze (table, markdown, html), validate (table) and an error message on stderr:

* terminal text: no control character passes, and no line starts with ``::``;
* Markdown: no user string starts a heading, opens a tag or makes a link;
* HTML: autoescaped, no script and no javascript: link.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.renderers.escape import no_commands, terminal, terminal_block

FIELD_CMD = "plan\n::error::pwned"
FIELD_HEAD = "# heading"
FIELD_LINK = "[x](javascript:alert(1))"
FIELD_ESC = "tier\x1b[2J\x07"
FORM_CMD = "web\r\n::add-mask::secret"
SCRIPT = "<script>alert(1)</script>"


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _export(tmp_path: Path) -> list[str]:
    header = ["lead_id", "form_id", "submitted_at", FIELD_CMD, FIELD_HEAD, FIELD_LINK, FIELD_ESC]
    rows = [",".join(_q(h) for h in header)]
    deals = ["lead_id,outcome"]
    values = [SCRIPT, "::stop-commands::x", "# h1", "[y](javascript:z)", "a\nb"]
    for i in range(400):
        form = FORM_CMD if i % 2 else "contact"
        cells = [f"L{i}", form, f"2025-01-{1 + i % 28:02d}", ["x", "y"][i % 2],
                 values[i % 5], values[(i + 1) % 5], ["s", "m", "l"][i % 3]]
        rows.append(",".join(_q(c) for c in cells))
        deals.append(f"L{i},{'won' if i % 5 == 0 else 'lost'}")
    subs, outs = tmp_path / "subs.csv", tmp_path / "deals.csv"
    subs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outs.write_text("\n".join(deals) + "\n", encoding="utf-8")
    return ["--submissions", str(subs), "--outcomes", str(outs), "--maturity-days", "14"]


def _terminal_safe(text: str) -> None:
    assert not [line for line in text.splitlines() if line.lstrip().startswith("::")]
    bad = [ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) < 0xA0]
    assert not bad, bad[:5]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _export(tmp_path_factory.mktemp("esc"))


@pytest.mark.parametrize("cmd", ["analyze", "validate"])
def test_terminal_tables(export: list[str], cmd: str) -> None:
    res = CliRunner().invoke(app, [cmd, *export, "--format", "table"])
    assert res.exit_code == 0, res.output
    _terminal_safe(res.stdout)
    _terminal_safe(res.stderr)
    assert "pwned" in res.stdout and "add-mask" in res.stdout  # shown, inert


def test_markdown(export: list[str]) -> None:
    res = CliRunner().invoke(app, ["analyze", *export, "--format", "markdown"])
    assert res.exit_code == 0, res.output
    md = res.stdout
    assert not [line for line in md.splitlines() if line.startswith("# heading")]
    assert not re.search(r"(?<!\\)\](\(|\[)", md.replace("\\\\", ""))  # no link syntax left
    assert "<script" not in md
    assert not [line for line in md.splitlines() if line.lstrip().startswith("::")]
    assert "heading" in md and "javascript" in md  # reported, only escaped


def test_html(export: list[str]) -> None:
    res = CliRunner().invoke(app, ["analyze", *export, "--format", "html"])
    assert res.exit_code == 0, res.output
    html = res.stdout
    assert "<script>alert(1)" not in html
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert "&lt;script&gt;" in html or "alert(1)" in html


def test_error_messages_on_stderr(tmp_path: Path) -> None:
    """A missing-column error lists the file's column names: a header that injects a command
    is shown inert. (A header with an escape sequence is refused earlier, as binary bytes.)"""
    subs = tmp_path / "subs.csv"
    header = ",".join(_q(h) for h in ("id\n::error::x", "<b>x</b>", "when"))
    subs.write_text(header + "\n1,2,3\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs)])
    assert res.exit_code == 2
    _terminal_safe(res.stderr)
    assert "::error::x" in res.stderr  # named, on an escaped line


def test_file_names_in_wrote_lines(export: list[str], tmp_path: Path) -> None:
    out = tmp_path / "r\n::error::f.json"
    res = CliRunner().invoke(app, ["analyze", *export, "--out", str(out)])
    assert res.exit_code == 0, res.output
    _terminal_safe(res.stderr)


def test_terminal_rule_any_string() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(st.text())
    def check(s: str) -> None:
        one = terminal(s)
        assert "\n" not in one and "\r" not in one and "\x1b" not in one
        _terminal_safe(terminal_block(s))
        _terminal_safe(terminal_block(f"x\n  ::{s}"))
        assert no_commands(f"a\n ::{s}").split("\n")[1].startswith(" \\::")

    check()
