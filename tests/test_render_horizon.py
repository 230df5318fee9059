"""The report header gives the real reason a result has no win horizon.

Without an outcomes file there is nothing to count wins in, whatever the dates; without
submission dates no maturity window can be applied. The header said "no submission dates" in
both cases; it now says what the analysis recorded (``models.horizon_basis``), in the table,
Markdown and HTML alike.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app


def _export(d: Path, *, dated: bool, outcomes: bool) -> list[str]:
    head = "lead_id,form_id," + ("submitted_at," if dated else "") + "plan,tier"
    rows = [head]
    for i in range(300):
        date = f"2025-01-{1 + i % 28:02d}," if dated else ""
        rows.append(f"L{i},{['a', 'b'][i % 2]},{date}{['x', 'y'][i % 2]},{['s', 'm', 'l'][i % 3]}")
    subs = d / "subs.csv"
    subs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["--submissions", str(subs)]
    if outcomes:
        deals = d / "deals.csv"
        deals.write_text("lead_id,outcome\n" + "".join(
            f"L{i},{'won' if i % 5 == 0 else 'lost'}\n" for i in range(300)), encoding="utf-8")
        args += ["--outcomes", str(deals)]
    return args


@pytest.mark.parametrize("dated, outcomes, reason, basis", [
    (True, False, "no outcomes file", "no outcomes"),
    (False, False, "no outcomes file", "no outcomes"),
    (False, True, "no submission dates", "no submission dates: no maturity window"),
], ids=["dated-no-outcomes", "undated-no-outcomes", "undated-with-outcomes"])
def test_header_says_why_there_is_no_horizon(tmp_path: Path, dated: bool, outcomes: bool,
                                             reason: str, basis: str) -> None:
    args = _export(tmp_path, dated=dated, outcomes=outcomes)
    js = CliRunner().invoke(app, ["analyze", *args, "--format", "json", "-q"])
    assert js.exit_code == 0, js.output
    models = json.loads(js.stdout)["models"]
    assert models["horizon_basis"] == basis and models.get("horizon_days") is None
    for fmt in ("table", "markdown", "html"):
        res = CliRunner().invoke(app, ["analyze", *args, "--format", fmt, "-q"],
                                 env={"COLUMNS": "200"})
        assert res.exit_code == 0, res.output
        assert f"win horizon: none ({reason})" in res.stdout, fmt
        wrong = "no outcomes file" if reason == "no submission dates" else "no submission dates"
        assert f"win horizon: none ({wrong})" not in res.stdout, fmt
