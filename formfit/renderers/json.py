"""The JSON report: exactly the contract's result, ``AnalysisResult.to_json()``.

Numbers are rounded to 6 significant digits and NaN/inf become ``null`` in ``results``, so the
same result gives the same bytes on every run and platform.
"""

from __future__ import annotations

from formfit.results import AnalysisResult


def render_json(result: AnalysisResult) -> str:
    """The contract's JSON text (UTF-8, two-space indent, trailing newline)."""
    return result.to_json()
