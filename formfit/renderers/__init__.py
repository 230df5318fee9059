"""Renderers: each output format is a function of one :class:`~formfit.results.AnalysisResult`.

``render(result, fmt)`` dispatches to ``table`` (rich, for terminals; the default), ``json``
(the contract's JSON, byte-identical across runs), ``markdown`` (PRs and
``$GITHUB_STEP_SUMMARY``) and ``html`` (one self-contained report file);
``render_check(report, fmt)`` writes a `formfit check` report as ``text``, ``json``,
``markdown``, ``github`` (workflow commands) or ``sarif``. Every format of every command is a
member of :class:`Format`; ``COMMAND_FORMATS`` says which command takes which. Renderers import
only ``formfit.results`` / ``formfit.results_check`` (plus jinja2, rich and the standard
library): no statistics happen here.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from formfit.errors import UsageError
from formfit.results import AnalysisResult

if TYPE_CHECKING:
    from formfit.results_check import CheckReport


class Format(enum.StrEnum):
    """Every output format of every command; each command takes the subset in COMMAND_FORMATS."""

    table = "table"
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    github = "github"
    sarif = "sarif"


COMMAND_FORMATS: dict[str, tuple[Format, ...]] = {
    "analyze": (Format.table, Format.json, Format.markdown, Format.html),
    "validate": (Format.table, Format.json),
    "check": (Format.text, Format.json, Format.markdown, Format.github, Format.sarif),
}
FORMATS = tuple(str(f) for f in COMMAND_FORMATS["analyze"])


def render(result: AnalysisResult, fmt: str, width: int | None = None,
           color: bool = False) -> str:
    """Render ``result`` as ``fmt`` text. ``width`` and ``color`` (ANSI verdict colours, for a
    terminal) apply to the table (default 100 columns, no colour)."""
    if fmt == "json":
        from formfit.renderers.json import render_json

        return render_json(result)
    if fmt == "table":
        from formfit.renderers.table import render_table

        return render_table(result, width=width, color=color)
    if fmt == "markdown":
        from formfit.renderers.markdown import render_markdown

        return render_markdown(result)
    if fmt == "html":
        from formfit.renderers.html import render_html

        return render_html(result)
    raise UsageError(f"unknown report format {fmt!r}.",
                     f"Use one of: {', '.join(FORMATS)}.")


def render_check(report: CheckReport, fmt: Format | str) -> str:
    """Render a `formfit check` report as text, json, markdown, github or sarif."""
    from formfit.renderers.check import RENDERERS

    fn = RENDERERS.get(str(fmt))
    if fn is None:
        raise UsageError(f"check has no {fmt!r} format.",
                         f"Use one of: {', '.join(COMMAND_FORMATS['check'])}.")
    return fn(report)


__all__ = ["COMMAND_FORMATS", "FORMATS", "Format", "render", "render_check"]
