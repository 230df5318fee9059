"""Regenerate the golden report files of the bundled sample data.

    python scripts/regenerate_golden.py

Run it after an intended change to the estimators or renderers, read the diff
(`git diff tests/golden`), and commit it with a message that says why the numbers moved.
"""

from __future__ import annotations

from pathlib import Path

from formfit.analysis import run_analysis
from formfit.io import load_inputs
from formfit.renderers import render
from formfit.sample import sample_settings

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden"
HEADER = "regenerate with: python scripts/regenerate_golden.py (then review git diff)"
FORMATS = {"json": "sample_result.json.golden", "markdown": "sample_report.md.golden"}


def golden_texts() -> dict[str, str]:
    """Format -> rendered text of the sample data, exactly as `formfit demo --format F`."""
    settings = sample_settings()
    result = run_analysis(load_inputs(settings), settings)
    return {fmt: render(result, fmt, width=100) for fmt in FORMATS}


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for fmt, text in golden_texts().items():
        (GOLDEN / FORMATS[fmt]).write_text(f"{HEADER}\n{text}", encoding="utf-8")
        print(f"wrote {GOLDEN / FORMATS[fmt]}")


if __name__ == "__main__":
    main()
