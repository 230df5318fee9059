"""Renderers: each output format is a function of one :class:`~formfit.results.AnalysisResult`.

``render(result, fmt)`` dispatches to ``table`` (rich, for terminals; the default), ``json``
(the contract's JSON, byte-identical across runs), ``markdown`` (PRs and
``$GITHUB_STEP_SUMMARY``) and ``html`` (one self-contained report file). Renderers import only
``formfit.results`` (plus jinja2, rich and the standard library): no statistics happen here.
"""

from __future__ import annotations

from formfit.errors import UsageError
from formfit.results import AnalysisResult

FORMATS = ("table", "json", "markdown", "html")


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


__all__ = ["FORMATS", "render"]
