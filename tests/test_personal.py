"""The one rule for personal data in messages and lists (formfit.personal): what it hides and,
as much, what it must keep showing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.personal import looks_like_name, quoted, redacted, shown, value_kind

PEOPLE = ["Susan Harris", "susan harris", "SUSAN HARRIS", "Dr. Susan Harris", "José García",
          "Ana María López", "Mary O'Neil", "Wei Zhang", "Ms. Linda Thompson"]
EMAILS = ["susan18922@acme.example", " Donna_Lopez@Acme.Example", "x.y+tag@mail.example.com"]
PHONES = ["+1 (415) 555-0142", "020 7946 0958", "07700 900123", "415.555.0199"]
# what CRMs, forms and analytics put in categorical columns: all of it must stay visible
KEPT = ["Closed Won", "Closed Lost", "Negotiation/Review", "Id. Decision Makers",
        "Needs Analysis", "appointmentscheduled", "Art Director", "Sales Director",
        "Customer Success Manager", "Head of Growth", "Friend or colleague", "Word of mouth",
        "Google Ads", "United States", "New Zealand", "India", "France", "Virginia", "June",
        "Austin", "Will call", "Bill me", "11-50", "1000+", "demo-a", "2025-01-31",
        "31/01/2025", "1234", "$10,000", "won", "N/A", "Mark Twain", "Los Angeles"]


@pytest.mark.parametrize("value", PEOPLE)
def test_full_names_are_recognised(value: str) -> None:
    assert looks_like_name(value)
    assert value_kind(value) == "a person's name"
    assert shown(value, "stage") == "<a person's name>"


@pytest.mark.parametrize("value", EMAILS)
def test_emails(value: str) -> None:
    assert value_kind(value) == "an email address"


@pytest.mark.parametrize("value", PHONES)
def test_phones(value: str) -> None:
    assert value_kind(value) == "a phone number"


@pytest.mark.parametrize("value", KEPT)
def test_categorical_values_stay_visible(value: str) -> None:
    assert value_kind(value) is None
    assert quoted(value) == repr(value)


def test_single_bad_value_is_stricter() -> None:
    """In an error about one cell the row and column already point at it: capitalised words
    that could be a name from anywhere, and any value of a personal column, are withheld."""
    assert shown("Priya Patel", "submitted_at") == "<words that may be a name>"
    assert shown("Closed Won", "amount") == "<words that may be a name>"
    assert shown("N/A", "submitted_at") == "'N/A'"
    assert shown("31/02/2025", "submitted_at") == "'31/02/2025'"
    for column in ("email", "lead_id", "session_id", "phone", "First Name", "contact_name"):
        assert "withheld" in shown("anything", column)


def test_lists_replace_each_personal_value_by_its_kind() -> None:
    assert redacted(["demo-a", "susan@acme.example", "Susan Harris", "+1 415 555 0142",
                     "x@y.example"]) == ["<a person's name>", "<a phone number>",
                                         "<an email address>", "demo-a"]


def test_a_phone_in_a_count_column_is_an_error_not_views(tmp_path: Path) -> None:
    """'+44 7700 900123' used to lose its spaces and count as 447,700,900,123 views."""
    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id\nL1,web\nL2,web\n", encoding="utf-8")
    daily = tmp_path / "daily.csv"
    daily.write_text("form_id,date,views,submissions\nweb,2025-01-01,40,1\n"
                     'web,2025-01-02,"+44 7700 900123",1\nweb,2025-01-03,"250 000",0\n',
                     encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--views", str(daily)])
    assert res.exit_code == 2
    assert "row 3: views <a phone number> is not a number" in res.stderr
    assert "7700" not in res.stderr
    daily.write_text("form_id,date,views,submissions\nweb,2025-01-01,40,1\n"
                     'web,2025-01-03,"250 000",0\nweb,2025-01-04,415555014,0\n',
                     encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--views", str(daily),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output  # grouped thousands and plain digits are numbers


def test_large_amounts_with_cents_are_numbers_not_phones(tmp_path: Path) -> None:
    """A 10M-view simulated world has deals of 1,234,567.89: nine digits and a dot are an
    amount (the benchmark stopped on it), while dotted or spaced phone numbers stay phones."""
    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id\nL1,web\nL2,web\nL3,web\n", encoding="utf-8")
    deals = tmp_path / "deals.csv"
    deals.write_text("lead_id,outcome,amount\nL1,won,1234567.89\nL2,won,-12345678.5\n"
                     "L3,lost,250000000\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--outcomes",
                                   str(deals), "--format", "json"])
    assert res.exit_code == 0, res.output
    deals.write_text("lead_id,outcome,amount\nL1,won,415.555.0199\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--outcomes",
                                   str(deals)])
    assert res.exit_code == 2 and "<a phone number>" in res.stderr and "0199" not in res.stderr
