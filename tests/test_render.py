"""Renderers on a hand-built result: every format is a pure function of one AnalysisResult.

Checks: JSON is the contract's bytes and parses without NaN; Markdown and HTML keep hostile
strings inert; the HTML is balanced and self-contained; the table fits 100 columns without
terminal codes; warnings show in every format.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from render_fixtures import HOSTILE, build_minimal, build_result

from formfit.errors import UsageError
from formfit.renderers import FORMATS, render
from formfit.renderers.html import marker, nice_ticks
from formfit.renderers.table import render_table
from formfit.renderers.text import md_escape, num, pct, sort_fields
from formfit.results import AnalysisResult, DropEffect, Estimate

RESULT = build_result()
CODES = ("SAMPLE_RATIO_MISMATCH", "SEPARATION", "FEW_WINS")


# --- json -----------------------------------------------------------------------------------------

def test_json_is_the_contract_bytes_and_parses_without_nan() -> None:
    text = render(RESULT, "json")
    assert text == RESULT.to_json() == render(build_result(), "json")
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["schema_version"] == 1
    assert [f["verdict"] for f in data["fields"]].count("drop") == 3
    assert {w["code"] for w in data["warnings"]} == set(CODES)


def test_json_turns_nan_into_null() -> None:
    f = RESULT.fields[0]
    bad = replace(f, drop_effect=replace(f.drop_effect,
                                         conversion_pp=Estimate(float("nan"), float("-inf"),
                                                                float("inf"), float("nan"))))
    text = render(replace(RESULT, fields=(bad,)), "json")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["fields"][0]["drop_effect"]["conversion_pp"]["estimate"] is None


# --- every format -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_warnings_and_fields_appear_in_every_format(fmt: str) -> None:
    text = render(RESULT, fmt)
    for code in CODES:
        assert code in text
    for name in ("phone", "company", "how", "fax", "first", "last", "email"):
        assert name in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_minimal_result_renders(fmt: str) -> None:
    text = render(build_minimal(), fmt)
    assert "email" in text and text.endswith("\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt: str) -> None:
    assert render(RESULT, fmt) == render(build_result(), fmt)


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        render(RESULT, "pdf")
    assert "table" in err.value.hint


def test_sort_order_is_verdict_then_net_effect() -> None:
    order = [f.field for f in sort_fields(RESULT.fields)]
    assert order == ["phone", "company_size", HOSTILE, "how_did_you_hear", "fax", "first_name",
                     "last_name", "email"]


# --- table ------------------------------------------------------------------------------------

def test_table_fits_100_columns_without_terminal_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    text = render(RESULT, "table")
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "SAMPLE_RATIO_MISMATCH" in text and "3 warnings" in text
    assert "inputs: submissions subs.csv" in text and "as of 2025-12-31" in text
    assert "win horizon 90 days" in text


@pytest.mark.parametrize("width", [40, 50, 60, 80, 100, 140])
def test_table_respects_width_and_keeps_the_verdict(width: int) -> None:
    """Below 60 columns rich squeezed the field column to nothing: rows showed a verdict and
    numbers but not which field they were about."""
    text = render_table(RESULT, width=width, no_color=False)
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("field"))
    assert "verdict" in lines[at]
    rows = lines[at + 2:]
    for f in RESULT.fields:
        assert any(line.split()[:1] == [f.field] for line in rows), (f.field, text)


def test_table_shows_intervals_and_reasons() -> None:
    text = render(RESULT, "table")
    assert "[-3.3, -0.9]" in text  # wins per 1k interval of phone
    assert "keep it." in text.replace("\n", " ")
    assert "Inputs: where every row went" in text
    assert "mismatch" in text


def test_table_does_not_read_user_strings_as_markup() -> None:
    f = replace(RESULT.fields[0], field="[bold red]x[/]", reason="[link=http://e.x]y[/link]")
    text = render(replace(RESULT, fields=(f,)), "table")
    assert "[bold red]x[/]" in text and "[link=http://e.x]y[/link]" in text


# --- markdown ---------------------------------------------------------------------------------

def test_markdown_escapes_hostile_strings() -> None:
    text = render(RESULT, "markdown")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\\| pipe" in text
    assert "| pipe" not in text.replace("\\| pipe", "")


def _cells(row: str) -> int:
    """Number of cells in a Markdown table row, not counting escaped pipes."""
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def test_markdown_tables_keep_their_shape() -> None:
    text = render(RESULT, "markdown")
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    tables = [b for b in blocks if b]
    assert len(tables) >= 4
    for table in tables:
        widths = {_cells(row) for row in table}
        assert len(widths) == 1, table


def test_markdown_has_summary_line_details_and_warnings() -> None:
    text = render(RESULT, "markdown")
    assert "**8 fields: 1 keep, 1 make optional, 2 test, 3 drop, 1 protected** · 3 warnings" in text
    assert text.count("<details>") == text.count("</details>") >= 3
    assert "- `SAMPLE_RATIO_MISMATCH`: experiment demo" in text


@pytest.mark.parametrize("raw, escaped", [
    ("a|b", "a\\|b"), ("<b>", "&lt;b&gt;"), ("a & b", "a &amp; b"), ("`x`", "&#96;x&#96;"),
    ("*x*", "\\*x\\*"), ("_x_", "\\_x\\_"), ("[x](y)", "\\[x\\](y)"), ("a\nb", "a b"),
    ("a\\|b", "a\\\\\\|b"), ("&lt;", "&amp;lt;"),
])
def test_md_escape(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


# --- html -------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}


class _Balance(HTMLParser):
    """Fails on any end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def _parse(text: str) -> _Balance:
    p = _Balance()
    p.feed(text)
    p.close()
    return p


@pytest.mark.parametrize("result", [RESULT, build_minimal()], ids=["full", "minimal"])
def test_html_is_balanced(result: AnalysisResult) -> None:
    p = _parse(render(result, "html"))
    assert p.errors == [] and p.stack == []


def test_html_keeps_hostile_strings_inert() -> None:
    text = render(RESULT, "html")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    p = _parse(text)
    assert "script" not in p.tags
    assert not any(name.startswith("on") for name, _ in p.attrs)  # no event handlers


def test_html_is_self_contained() -> None:
    text = render(RESULT, "html")
    p = _parse(text)
    assert {"link", "img", "iframe", "script", "object"}.isdisjoint(p.tags)
    urls = [v for k, v in p.attrs if k in ("src", "href") and v and not v.startswith("#")]
    assert urls == []
    assert "<style>" in text and "<svg" in text


def test_html_has_chart_table_details_srm_accounting_warnings_method() -> None:
    text = render(RESULT, "html")
    for needle in ("Free to drop", "Costs sales", "Change in conversion if removed",
                   "Change in won deals per 1,000 views", "Not on the chart",
                   "Win rate by value", "Experiments: sample ratio checks", "mismatch",
                   "Inputs: where every row went", "Warnings (3)", "Evidence: randomized",
                   "fixed-horizon", "Maturity window", "2% of today"):
        assert needle in text, needle
    # aliased pair share one point, labelled with both names
    assert "first_name + last_name" in text


def test_html_without_srm_has_no_experiments_section() -> None:
    text = render(replace(RESULT, models={}), "html")
    assert "Experiments: sample ratio checks" not in text


def test_html_draws_the_margin_decide_used() -> None:
    """The line sits at the per-field margin (won deals per 1,000 views) carried in each
    FieldResult, for relative margins too: no renderer parses the margin text again."""
    fields = tuple(replace(f, margin_wins_per_1k=0.5) for f in RESULT.fields)
    assert "-0.5 margin" in render(replace(RESULT, fields=fields), "html")


def test_html_lists_fields_without_numbers_beside_the_chart() -> None:
    f = replace(RESULT.fields[0], drop_effect=DropEffect(evidence="randomized"))
    text = render(replace(RESULT, fields=(f,)), "html")
    assert ("no estimate of conversion (never removed, so no effect can be estimated) or won "
            "deals (never removed, so no effect can be estimated)") in text
    assert "NO_VARIATION" not in text  # plain words, never internal keys


# --- helpers ----------------------------------------------------------------------------------

def test_number_formats() -> None:
    assert [num(x) for x in (None, 0.0, 2.14, -0.034, 0.5, 1234.5, 12.34)] == [
        "—", "0", "2.1", "-0.034", "0.5", "1,234", "12.3"]
    assert num(0.5, sign=True) == "+0.5" and num(-0.0001, sign=True) == "-0.0001"
    assert [pct(x) for x in (None, 0.0, 0.004, 0.044, 0.93)] == ["—", "0%", "0.4%", "4.4%", "93%"]


def test_nice_ticks_and_markers() -> None:
    assert nice_ticks(-0.7, 4.1) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert nice_ticks(-3.6, 1.5)[0] == -3.0
    for shape in ("circle", "diamond", "square", "triangle", "ring"):
        assert re.fullmatch(r"[MLHVZaz0-9., -]+", marker(shape, 10, 20))


def test_html_without_placeable_fields_says_why_instead_of_an_empty_chart() -> None:
    text = render(build_minimal(), "html")
    assert "No field has both a conversion and a won-deals estimate yet" in text
    assert "Change in conversion if removed" not in text


def test_markdown_line_starts_cannot_become_headings_or_lists() -> None:
    """A field named '# heading' became a heading in the Markdown report (issue 12)."""
    from formfit.renderers.text import md_escape

    assert md_escape("# heading") == "\\# heading"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. one") == "1\\. one"
    assert md_escape("=====") == "\\====="
    assert md_escape("phone") == "phone"
    assert md_escape("a # b") == "a # b"
