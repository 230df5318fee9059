"""User strings in `formfit check` output cannot start workflow commands or break lines.

Form ids, field names and file names come from users' files. GitHub runs any log line that
starts with `::` as a workflow command, so in the github format every value is escaped as
GitHub documents (%25, %0D, %0A; and ':' ',' in properties) and in the text format no line may
start with `::` and no user string may carry a raw newline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app

DATA = Path(__file__).resolve().parent / "data" / "check"
EVIL_FORM = "web\n::error title=pwned::gotcha\r%0A"
EVIL_FIELD = "ph%one,: x\n::warning::boo"
BASE = f"""
version: 1
forms:
  {json.dumps(EVIL_FORM)}:
    fields: [email, {json.dumps(EVIL_FIELD)}, budget]
  contact:
    fields: [email, message]
"""
HEAD = f"""
version: 1
forms:
  {json.dumps(EVIL_FORM)}:
    fields: [email]
  contact:
    fields: [email, message, {json.dumps(EVIL_FIELD)}]
"""


def _run(tmp_path: Path, fmt: str) -> tuple[int, str, int]:
    base = tmp_path / "base.yaml"
    head = tmp_path / "head\n::error::named,file:.yaml"
    base.write_text(BASE, encoding="utf-8")
    head.write_text(HEAD, encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--base", str(base), "--head", str(head),
                                   "--evidence", str(DATA / "evidence.json"), "--format", fmt,
                                   "--as-of", "2025-09-15"])
    js = CliRunner().invoke(app, ["check", "--base", str(base), "--head", str(head),
                                  "--evidence", str(DATA / "evidence.json"), "--format",
                                  "json", "--as-of", "2025-09-15"])
    return res.exit_code, res.stdout, len(json.loads(js.stdout)["findings"])


def test_github_commands_are_escaped(tmp_path: Path) -> None:
    code, out, n = _run(tmp_path, "github")
    assert code == 1  # budget (keep) is removed
    lines = out.splitlines()
    assert n >= 5  # removals (unknown, keep), an addition, a joint contrast, evidence facts
    assert len(lines) == n + 1  # one line per finding and the summary: nothing split
    for line in lines[:-1]:
        command, _, message = line.partition("::")[2].partition("::")
        level, _, props = command.partition(" ")
        assert level in ("error", "warning", "notice")
        for prop in props.split(","):
            key, _, value = prop.partition("=")
            assert key in ("file", "line", "title")
            assert not set(value) & set(":,\r\n"), value
        assert "\n" not in message and "\r" not in message
    assert "%0A%3A%3Aerror title=pwned%3A%3Agotcha%0D%250A" in out  # in a title property
    assert "web%0A::error title=pwned::gotcha%0D%250A" in out  # in a message
    assert "ph%25one%2C%3A x%0A%3A%3Awarning%3A%3Aboo" in out
    assert "/head%0A%3A%3Aerror%3A%3Anamed%2Cfile%3A.yaml,line=" in out
    assert not lines[-1].startswith("::")  # the summary is data, escaped too
    assert "head%0A::error::named,file:.yaml" in lines[-1]


def test_text_lines_never_start_a_command(tmp_path: Path) -> None:
    code, out, n = _run(tmp_path, "text")
    assert code == 1  # budget (keep) is removed
    lines = out.splitlines()
    assert len(lines) == n + 1
    assert not [line for line in lines if line.lstrip().startswith("::")]
    assert "web\\n::error title=pwned::gotcha\\r%0A" in out  # shown, as an escape


def test_markdown_table_holds(tmp_path: Path) -> None:
    code, out, n = _run(tmp_path, "markdown")
    assert code == 1  # budget (keep) is removed
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == n + 1  # header and one row per finding
    assert all(line.count(" | ") == 3 for line in rows)


def test_sarif_and_json_keep_the_strings(tmp_path: Path) -> None:
    """Machine formats carry the user's strings exactly (JSON escapes them)."""
    _, out, _ = _run(tmp_path, "sarif")
    doc = json.loads(out)
    forms = {r["properties"]["form_id"] for r in doc["runs"][0]["results"]}
    assert EVIL_FORM in forms


def _unescape(text: str) -> str:
    out = text
    for code, ch in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        out = out.replace(code, ch)
    return out


def test_escapes_hold_for_any_string() -> None:
    """GitHub's toolkit decodes %0D %0A %3A %2C and then %25: escaping must be that map's
    exact inverse, and leave no character that ends a line or a property. Other control and
    bidi characters are shown as escapes first, by the rule every channel shares."""
    from hypothesis import given
    from hypothesis import strategies as st

    from formfit.renderers.check import gh_data, gh_property, plain
    from formfit.renderers.escape import invisible, visible

    @given(st.text())
    def check(s: str) -> None:
        data, prop, line = gh_data(s), gh_property(s), plain(s)
        assert not set(data) & {"\r", "\n"}
        assert not set(prop) & {"\r", "\n", ":", ","}
        shown = visible(s, keep="\r\n")
        assert _unescape(prop) == shown
        assert _unescape(data.replace(":", "%3A").replace(",", "%2C")) == shown
        assert not [ch for ch in data + prop + line if invisible(ch)]
        assert "\n" not in line and "\r" not in line and "\u2028" not in line

    check()


def test_sarif_uris_are_valid_uri_references(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A forms file named 'my forms #1%.yaml' must not end up raw in artifactLocation.uri
    (a '#' starts a fragment, '%' an escape, ' ' is not allowed): relative paths are
    percent-encoded, absolute ones are file:// URIs."""
    from urllib.parse import unquote, urlsplit

    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    name = "my forms #1%.yaml"
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / name).write_text(HEAD, encoding="utf-8")
    for head, want in ((name, "my%20forms%20%231%25.yaml"),
                       (str(tmp_path / name), (tmp_path / name).as_uri())):
        res = CliRunner().invoke(app, ["check", "--base", "base.yaml", "--head", head,
                                       "--evidence", str(DATA / "evidence.json"), "--format",
                                       "sarif", "--as-of", "2025-09-15"])
        assert res.exit_code == 1, res.stderr
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(res.stdout)["runs"][0]["results"] if "locations" in r}
        assert uris == {want}
        parts = urlsplit(want)
        assert not parts.fragment and not parts.query
        assert unquote(parts.path).endswith(name)
