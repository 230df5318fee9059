"""User-supplied strings (field names, form ids, values) are escaped in HTML and Markdown,
end to end through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app

SCRIPT = "<script>alert(1)</script>"


def _export(tmp_path: Path) -> tuple[Path, Path]:
    rows = ["lead_id,form_id,submitted_at," + f'"{SCRIPT}",plan']
    deals = ["lead_id,outcome"]
    for i in range(400):
        value = ["<b>bold</b>", "a | pipe", "plain"][i % 3]
        form = "web" if i % 2 else f"{SCRIPT}form"
        rows.append(f'L{i},"{form}",2025-01-{1 + i % 28:02d},"{value}",{["x", "y"][i % 2]}')
        deals.append(f"L{i},{'won' if i % 5 == 0 else 'lost'}")
    subs, outs = tmp_path / "subs.csv", tmp_path / "deals.csv"
    subs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outs.write_text("\n".join(deals) + "\n", encoding="utf-8")
    return subs, outs


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_hostile_names_and_values_are_escaped(tmp_path: Path, fmt: str) -> None:
    subs, outs = _export(tmp_path)
    res = CliRunner().invoke(app, ["analyze", "--submissions", str(subs), "--outcomes",
                                   str(outs), "--format", fmt, "--maturity-days", "14"])
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert SCRIPT not in text
    assert "<b>bold</b>" not in text
    assert "alert(1)" in text  # the field is reported, only escaped
    if fmt == "markdown":
        assert "a | pipe" not in text  # a raw pipe would break the table
        for line in text.splitlines():
            if line.startswith("| ") and "alert" in line:
                assert line.count(" | ") >= 3
