"""Dates in the formats exports really use, detected per column, and hints that work when pasted
(issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from formfit.cli import app
from formfit.io.dates import (
    EXCEL_SERIAL,
    ISO,
    AmbiguousDates,
    DateFormatError,
    detect_date_format,
)

runner = CliRunner()


@pytest.mark.parametrize(("values", "expected"), [
    (["2025-01-31", "2025-02-01T10:00:00Z", "2025-02-01 10:00:00+02:00"], ISO),
    (["2025-01-31T10:00:00.123-05:00"], ISO),
    (["1/31/2025", "12/1/2025"], "%m/%d/%Y"),
    (["31/1/2025", "1/12/2025"], "%d/%m/%Y"),
    (["31.01.2025", "01.02.2025"], "%d.%m.%Y"),
    (["1/31/2025 5:04 PM", "2/1/2025 11:30 AM"], "%m/%d/%Y %I:%M %p"),
    (["31/01/2025 17:04", "01/02/2025 09:30"], "%d/%m/%Y %H:%M"),
    (["2025. 01. 31", "2025. 02. 01"], "%Y. %m. %d"),
    (["20250131", "20250201"], "%Y%m%d"),
])
def test_detect_date_format(values: list[str], expected: str) -> None:
    assert detect_date_format(values) == expected


def test_excel_serials_only_in_workbooks() -> None:
    assert detect_date_format(["45658", "45659.5"], excel=True) == EXCEL_SERIAL
    with pytest.raises(DateFormatError):
        detect_date_format(["45658", "45659.5"])


def test_ambiguous_and_mixed_raise_with_an_example() -> None:
    with pytest.raises(AmbiguousDates) as err:
        detect_date_format(["3/4/2025", "5/6/2025"])
    assert err.value.example == "3/4/2025"
    with pytest.raises(DateFormatError) as err2:
        detect_date_format(["13/1/2025", "1/13/2025"])
    assert err2.value.example == "1/13/2025"


def _subs(tmp: Path, dates: list[str]) -> Path:
    lines = ["email,form_id,submitted_at,phone"]
    lines += [f"p{i}@example.com,demo,{d},{'555' if i % 2 else ''}" for i, d in enumerate(dates)]
    path = tmp / "subs.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_us_dates_are_read(tmp_path: Path) -> None:
    """A US-locale export used to be refused: "is not a date (N rows)"."""
    subs = _subs(tmp_path, [f"{1 + i % 12}/{1 + i % 28}/2025" for i in range(40)])
    res = runner.invoke(app, ["validate", "--submissions", str(subs), "--format", "json"])
    assert res.exit_code == 0, res.stderr


def test_ambiguous_dates_ask_for_date_format_and_the_hint_works(tmp_path: Path) -> None:
    subs = _subs(tmp_path, [f"{1 + i % 12}/{1 + i % 12}/2025" for i in range(30)])
    res = runner.invoke(app, ["validate", "--submissions", str(subs)])
    assert res.exit_code == 2
    assert "submissions file subs.csv row 2" in res.stderr
    assert "could be day/month or month/day" in res.stderr
    assert "p0@example.com" not in res.stderr  # names the row, never a personal value
    assert "--date-format '%d/%m/%Y'" in res.stderr
    res = runner.invoke(app, ["validate", "--submissions", str(subs),
                              "--date-format", "%d/%m/%Y", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    cfg = tmp_path / "formfit.yaml"
    cfg.write_text('date_format: "%m/%d/%Y"\n')
    res = runner.invoke(app, ["validate", "--submissions", str(subs), "--config", str(cfg)])
    assert res.exit_code == 0, res.stderr


def test_bad_date_format_option_fails_first(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", "--submissions", str(tmp_path / "none.csv"),
                              "--date-format", "dd/mm/yyyy"])
    assert res.exit_code == 2
    assert "--date-format 'dd/mm/yyyy' is not a date format" in res.stderr


def test_stage_map_hint_pasted_as_suggested_works(tmp_path: Path) -> None:
    """The hint used to suggest `nan: open` for blank stages; pasted, it failed again."""
    subs = _subs(tmp_path, [f"2025-01-{1 + i:02d}" for i in range(6)])
    deals = tmp_path / "deals.csv"
    deals.write_text("email,stage\np0@example.com,Closed Won\np1@example.com,\n"
                     "p2@example.com,Negotiation\np3@example.com,yes\np4@example.com,Lost: price\n")
    res = runner.invoke(app, ["validate", "--submissions", str(subs), "--outcomes", str(deals)])
    assert res.exit_code == 2
    hint = res.stderr.split("Hint:", 1)[1]
    assert "nan" not in hint
    block = hint[hint.index("stages:"):]
    cfg = tmp_path / "formfit.yaml"
    cfg.write_text(block)
    assert len(yaml.safe_load(cfg.read_text())["stages"]) == 5
    res = runner.invoke(app, ["validate", "--submissions", str(subs), "--outcomes", str(deals),
                              "--config", str(cfg), "--format", "json"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["inputs"]["outcomes"]["rows_used"] == 5
