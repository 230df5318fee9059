"""Dates as locale exports write them: the Korean `2025. 01. 13.` with its trailing dot, date
and date-time values mixed in one D/M/Y or M/D/Y column; and a date that fails is shown as
itself, not as a phone number."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.config import Settings
from formfit.io import load_inputs
from formfit.io.dates import DateFormatError, detect_date_format
from formfit.personal import value_kind

runner = CliRunner()


def _subs(tmp: Path, dates: list[str], name: str = "subs.csv") -> Path:
    path = tmp / name
    path.write_text("email,form_id,submitted_at\n" + "".join(
        f"p{i}@example.com,f1,{d}\n" for i, d in enumerate(dates)))
    return path


def _dates(path: Path, **settings: object) -> list[str]:
    inputs = load_inputs(Settings(submissions=path, **settings))  # type: ignore[arg-type]
    got = inputs.submissions.sort_values("lead_key")["submitted_at"]
    return [str(pd.Timestamp(d)) for d in got]


@pytest.mark.parametrize(("values", "expected"), [
    (["2025. 01. 13.", "2025. 1. 14."], "%Y. %m. %d."),
    (["2025. 01. 13", "2025. 1. 14"], "%Y. %m. %d"),
    (["2025.01.13.", "2025.01.14."], "%Y.%m.%d."),
    (["2025.01.13", "2025.01.14"], "%Y.%m.%d"),
])
def test_year_first_dotted_dates_keep_their_trailing_dot(values: list[str],
                                                          expected: str) -> None:
    assert detect_date_format(values) == expected


def test_year_first_dotted_dates_written_two_ways_are_refused_with_the_odd_one() -> None:
    with pytest.raises(DateFormatError) as err:
        detect_date_format(["2025. 01. 13.", "2025. 01. 14"])
    assert err.value.example == "2025. 01. 14"


def test_korean_dates_with_a_trailing_dot_are_read(tmp_path: Path) -> None:
    """The bug: detected as '%Y. %m. %d', then every value failed to parse."""
    subs = _subs(tmp_path, ["2025. 01. 13.", "2025. 12. 31."])
    res = runner.invoke(app, ["validate", "-s", str(subs), "--format", "json"])
    assert res.exit_code == 0, res.stderr
    assert _dates(subs) == ["2025-01-13 00:00:00", "2025-12-31 00:00:00"]


def test_a_bad_korean_date_is_shown_as_a_date_not_a_phone_number(tmp_path: Path) -> None:
    subs = _subs(tmp_path, ["2025. 01. 13.", "2025. 02. 30."])
    res = runner.invoke(app, ["validate", "-s", str(subs)])
    assert res.exit_code == 2
    assert ("submissions file subs.csv row 3: submitted_at '2025. 02. 30.' is not a date in the "
            "format '%Y. %m. %d.'.") in res.stderr
    assert "phone" not in res.stderr


@pytest.mark.parametrize("value", ["2025. 01. 13.", "2025. 1. 3.", "2025. 01. 13",
                                   "2025. 01. 13. 14:30"])
def test_korean_dates_are_no_phone_numbers(value: str) -> None:
    assert value_kind(value) is None


@pytest.mark.parametrize("value", ["010. 1234. 5678", "+82 2. 123. 4567", "06.12.34.56.78"])
def test_phone_numbers_with_dots_still_are(value: str) -> None:
    assert value_kind(value) == "a phone number"


@pytest.mark.parametrize(("dates", "fmt"), [
    (["1/13/2025 14:30", "1/14/2025", "12/31/2025 9:05"], None),
    (["13/01/2025 14:30", "14/01/2025"], None),
    (["1/13/2025 2:30 PM", "1/14/2025"], None),
    (["01/02/2025 14:30", "03/04/2025"], "%d/%m/%Y %H:%M"),
])
def test_date_and_date_time_values_mix_in_day_month_columns(tmp_path: Path, dates: list[str],
                                                             fmt: str | None) -> None:
    """The bug: refused with "is not a date", though ISO columns read the same mix."""
    subs = _subs(tmp_path, dates)
    extra = ["--date-format", fmt] if fmt else []
    res = runner.invoke(app, ["validate", "-s", str(subs), *extra, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    got = _dates(subs, **({"date_format": fmt} if fmt else {}))
    assert got[1].endswith("00:00:00")  # a date alone is midnight, as in ISO columns
    assert got[0][11:16] == "14:30"


@pytest.mark.parametrize(("dates", "row", "why"), [
    (["13/01/2025", "1/14/2025"], 3,
     "some dates put the day first ('13/01/2025') and others the month first ('1/14/2025')"),
    (["2025-01-01", "1/14/2025"], 3,
     "some dates are written year first ('2025-01-01') and others not ('1/14/2025')"),
    (["13/01/2025 14:30:15", "14/01/2025 09:00"], 3,
     "times are written in different ways ('13/01/2025 14:30:15' and '14/01/2025 09:00')"),
    (["13/01/2025", "14.01.2025"], 3,
     "dates are written with different separators ('13/01/2025' and '14.01.2025')"),
])
def test_dates_written_two_ways_say_so_instead_of_not_a_date(tmp_path: Path, dates: list[str],
                                                             row: int, why: str) -> None:
    subs = _subs(tmp_path, dates)
    res = runner.invoke(app, ["validate", "-s", str(subs)])
    assert res.exit_code == 2
    assert (f"submissions file subs.csv row {row}: submitted_at {dates[1]!r} is not written as "
            f"the column's other dates: {why}.") in res.stderr
    assert "is not a date" not in res.stderr


def test_views_with_date_and_date_time_values_are_read(tmp_path: Path) -> None:
    subs = _subs(tmp_path, ["2025-01-13", "2025-01-14"])
    views = tmp_path / "views.csv"
    views.write_text("form_id,viewed_at\n" + "".join(
        f"f1,{d}\n" for d in ["1/13/2025 14:30", "1/13/2025", "1/14/2025 09:00", "1/14/2025"]))
    res = runner.invoke(app, ["validate", "-s", str(subs), "--views", str(views),
                              "--format", "json"])
    assert res.exit_code == 0, res.stderr


def _no_dates(tmp: Path, config: str) -> tuple[Path, Path]:
    subs = tmp / "nodate.csv"
    subs.write_text("email,form_id\np1@a.com,f1\np2@a.com,f1\n")
    cfg = tmp / "k3.yaml"
    cfg.write_text(config)
    return subs, cfg


def test_a_constant_date_that_is_no_date_is_blamed_on_the_config(tmp_path: Path) -> None:
    """The bug: blamed on "submissions file nodate.csv row 2"."""
    subs, cfg = _no_dates(tmp_path, "constants: {submitted_at: notadate}\n")
    res = runner.invoke(app, ["validate", "-s", str(subs), "-c", str(cfg)])
    assert res.exit_code == 2
    assert ("`constants:` in config file k3.yaml: submitted_at 'notadate' is not a date."
            in res.stderr)
    assert "nodate.csv" not in res.stderr and "row" not in res.stderr
    assert "Write it as YYYY-MM-DD, e.g. `constants: {submitted_at: 2025-01-31}`" in " ".join(
        res.stderr.split())


@pytest.mark.parametrize(("value", "extra", "why"), [
    ("9999-12-31", (), "is outside the years formfit reads (1900 to 2199)."),
    ("03/04/2025", (), "could be day/month or month/day."),
    ("2025-01-31", ("--date-format", "%d/%m/%Y"), "is not a date in the format '%d/%m/%Y'."),
])
def test_a_constant_date_is_read_as_the_column_would_be(tmp_path: Path, value: str,
                                                         extra: tuple[str, ...],
                                                         why: str) -> None:
    subs, cfg = _no_dates(tmp_path, f"constants: {{submitted_at: '{value}'}}\n")
    res = runner.invoke(app, ["validate", "-s", str(subs), "-c", str(cfg), *extra])
    assert res.exit_code == 2
    assert f"`constants:` in config file k3.yaml: submitted_at {value!r} {why}" in res.stderr


@pytest.mark.parametrize(("value", "extra"), [("2025-01-31", ()), ("31/01/2025", ()),
                                              ("03/04/2025", ("--date-format", "%d/%m/%Y"))])
def test_a_constant_date_that_reads_is_used(tmp_path: Path, value: str,
                                            extra: tuple[str, ...]) -> None:
    subs, cfg = _no_dates(tmp_path, f"constants: {{submitted_at: '{value}'}}\n")
    res = runner.invoke(app, ["validate", "-s", str(subs), "-c", str(cfg), *extra])
    assert res.exit_code == 0, res.stderr


def test_a_constant_filling_blank_dates_follows_the_column(tmp_path: Path) -> None:
    """1/2/2025 alone could be either order; beside 1/31/2025 it is month first."""
    subs = tmp_path / "subs.csv"
    subs.write_text("email,form_id,submitted_at\np1@a.com,f1,1/31/2025\np2@a.com,f1,\n")
    cfg = tmp_path / "k.yaml"
    cfg.write_text("constants: {submitted_at: 1/2/2025}\n")
    assert _dates(subs, config=cfg, constants=(("submitted_at", "1/2/2025"),)) == [
        "2025-01-31 00:00:00", "2025-01-02 00:00:00"]


def _workbook(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_a_serial_number_among_xlsx_date_cells_is_read(tmp_path: Path) -> None:
    """The bug: refused, with a hint to "give formfit the .xlsx workbook itself" though it was
    the workbook; the README says XLSX serials are read."""
    from datetime import datetime

    subs = _workbook(tmp_path / "subs.xlsx", ["email", "form_id", "submitted_at"], [
        ["p1@a.com", "f1", datetime(2025, 1, 1, 10, 0)], ["p2@a.com", "f1", datetime(2025, 1, 2)],
        ["p3@a.com", "f1", 45660]])
    res = runner.invoke(app, ["validate", "-s", str(subs), "--format", "json"])
    assert res.exit_code == 0, res.stderr
    assert _dates(subs) == ["2025-01-01 10:00:00", "2025-01-02 00:00:00",
                            "2025-01-03 00:00:00"]
    views = _workbook(tmp_path / "views.xlsx", ["form_id", "viewed_at"], [
        ["f1", datetime(2025, 1, 1, 10, 0)], ["f1", datetime(2025, 1, 2, 9, 0)], ["f1", 45660]])
    res = runner.invoke(app, ["validate", "-s", str(subs), "--views", str(views),
                              "--format", "json"])
    assert res.exit_code == 0, res.stderr


def test_xlsx_serial_hints_fit_a_workbook(tmp_path: Path) -> None:
    from datetime import datetime

    subs = _workbook(tmp_path / "subs.xlsx", ["email", "form_id", "submitted_at"], [
        ["p1@a.com", "f1", datetime(2025, 1, 1)], ["p2@a.com", "f1", 45660],
        ["p3@a.com", "f1", "soon"]])
    res = runner.invoke(app, ["validate", "-s", str(subs)])
    assert res.exit_code == 2  # the serial is read; the word is the bad value
    assert "subs.xlsx row 4: submitted_at 'soon' is not a date." in res.stderr
    subs = _workbook(tmp_path / "subs.xlsx", ["email", "form_id", "submitted_at"], [
        ["p1@a.com", "f1", "13/01/2025"], ["p2@a.com", "f1", 45660]])
    res = runner.invoke(app, ["validate", "-s", str(subs), "--date-format", "%d/%m/%Y"])
    assert res.exit_code == 2
    flat = " ".join(res.stderr.split())
    assert "looks like an Excel serial day number" in flat
    assert ("Hint: In the workbook, format the whole column as a date (Format Cells > Date, "
            "e.g. yyyy-mm-dd), so that every cell holds a date, and save it again.") in flat
    assert ".xlsx workbook itself" not in flat


@pytest.mark.parametrize("dates", [["2025-01-01", "31/02/2025"], ["13/01/2025", "1/14/2025",
                                                                  "31/02/2025"]])
def test_a_date_that_is_none_is_called_so_not_written_another_way(tmp_path: Path,
                                                                   dates: list[str]) -> None:
    subs = _subs(tmp_path, dates)
    res = runner.invoke(app, ["validate", "-s", str(subs)])
    assert res.exit_code == 2
    assert "is not a date" in res.stderr and "other dates" not in res.stderr
