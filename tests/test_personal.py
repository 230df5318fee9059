"""The one rule for personal data in messages and lists (formfit.personal): what it hides and,
as much, what it must keep showing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
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
    assert shown("Priya Patel", "submitted_at") == "<a person's name>"
    assert shown("Annual Report", "submitted_at") == "<words that may be a name>"
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


# --- values that *contain* personal data (the audit of win_rate_by_value and messages) -------

CONTAINS_NAME = ["Referred by Susan Harris", "referred by: Susan Harris.",
                 "Ask for Dr. Wei Zhang", "Priya Raghunathan", "Dr. Priya Raghunathan",
                 "Mateo Tanaka", "Priya Smith", "Mark Raghunathan", "Al Okafor", "Hong Nguyen",
                 "Talked to Priya Harris at the booth", "REFERRED BY SUSAN HARRIS",
                 "Susan J. Harris", "Priya Young",
                 # a title before one capitalised word, and first.last user names
                 "Mr Wang", "Dr. Okafor", "Mrs O'Brien", "Mx Lee", "Prof. Xu",
                 "Mr. Smith referred me", "jane.doe", "john_smith", "Jane.Doe"]
CONTAINS_EMAIL = ["SUSAN.HARRIS at acme dot com", "priya.r at gmail dot com",
                  "susan [at] acme", "susan (at) acme (dot) com", "mail me: susan@acme.example",
                  "susan @ acme.example", "priya.r at gmail.com", "susan at gmail.com"]
CONTAINS_PHONE = ["Call me: +1 (415) 555-0199 x12", "call 415.555.0199 after 5",
                  "mobile 07700 900123", "+44 7700 900123", "06.12.34.56.78", "612 345 678",
                  "555-0199 ext. 4", "+1 415 5550199", "(415) 555-0199"]
# dropdown answers, ranges, amounts, dates, places: all of them stay labels
DROPDOWN = ["Google Search", "Trade Show", "Word Of Mouth", "United States", "New York",
            "Vice President", "Chief Executive Officer", "Small Business", "Los Angeles",
            "San Francisco", "Hong Kong", "Sri Lanka", "Costa Rica", "Saudi Arabia",
            "Puerto Rico", "El Salvador", "Buenos Aires", "Kuala Lumpur", "Tel Aviv",
            "Uttar Pradesh", "Carson City", "Sierra Leone", "Sint Maarten", "Hong Kong SAR",
            "LinkedIn Ads", "YouTube", "Olark Chat", "Welingak Website", "Demand Gen Lead",
            "RevOps Analyst", "Customer Success Manager", "Head of Growth", "G2 review",
            "Friend or colleague", "Product Hunt", "Closed Won", "Mark Twain",
            "1-10", "11-50", "51-200", "201-1000", "1000+", "1,000-5,000", "$10k-$50k",
            "1000-4999", "10000-49999", "2025", "2020-2025", "2025-01-31",
            "2025-01-31 10:30:00", "31/01/2025", "1 000 000", "1 000 000 - 5 000 000",
            "1234567.89", "$1,250,000", "2500000", "Q1 2025", "9:00-17:00",
            "Saw your ad at forbes.com", "Met you at the Expo", "Please call me back.",
            "sales.team", "trade.show", "google.com", "www.google", "not.sure", "e.g", "Dr",
            "Mr clean"]


@pytest.mark.parametrize("value", CONTAINS_NAME)
def test_values_holding_a_name(value: str) -> None:
    assert value_kind(value) == "a person's name"
    assert quoted(value) == "<a person's name>"


@pytest.mark.parametrize("value", CONTAINS_EMAIL)
def test_values_holding_an_email(value: str) -> None:
    assert value_kind(value) == "an email address"


@pytest.mark.parametrize("value", CONTAINS_PHONE)
def test_values_holding_a_phone(value: str) -> None:
    assert value_kind(value) == "a phone number"


@pytest.mark.parametrize("value", DROPDOWN)
def test_dropdown_answers_stay_visible(value: str) -> None:
    assert value_kind(value) is None
    assert quoted(value) == repr(value)


def test_placeholders_are_quoted_as_they_are() -> None:
    """A list already redacted prints its kinds bare, never as a quoted string."""
    assert quoted("<a person's name>") == "<a person's name>"
    assert redacted(["Priya Raghunathan", "demo-a"]) == ["<a person's name>", "demo-a"]


def test_labels_pool_values_holding_personal_data() -> None:
    """The levels of a categorical field ask the same rule, in every spelling of a value."""
    from formfit.models.value_levels import encode_field
    from formfit.models.values import classify_series

    answers = ["Google Search", "Referred by Susan Harris", "priya raghunathan",
               "Priya Raghunathan", "Call me: +1 (415) 555-0199 x12",
               "SUSAN.HARRIS at acme dot com", "Trade Show", "Vice President"]
    values = pd.Series([answers[i % len(answers)] for i in range(800)], dtype="str")
    everyone = np.ones(len(values), dtype=bool)
    enc = encode_field(values, classify_series(values), everyone, everyone, "categorical")
    assert set(enc.display) == {"Google Search", "Trade Show", "Vice President", "other"}
    shown_other = np.array([d == "other" for d in enc.display])
    assert int(shown_other[enc.codes].sum()) == 500
    # the model keeps each withheld answer as a level (both spellings of Priya's name are
    # one), named after none of them
    withheld = [lab for lab in enc.levels if lab.startswith("<withheld")]
    assert len(withheld) == 4
    assert not any(w in lab.casefold() for lab in enc.levels for w in ("priya", "susan", "415"))


@pytest.mark.parametrize("value", ["Priya Raghunathan", "priya.r at gmail dot com"])
def test_unknown_outcome_values_are_withheld(tmp_path: Path, value: str) -> None:
    """An outcome or stage value that is personal data is named by its kind in the error and
    gets no line in the suggested stage map; CRM stages stay."""
    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id\nL1,web\nL2,web\nL3,web\n", encoding="utf-8")
    for column in ("outcome", "stage"):
        deals = tmp_path / f"deals_{column}.csv"
        deals.write_text(f"lead_id,{column}\nL1,{value}\nL2,Closed Won\nL3,won\n",
                         encoding="utf-8")
        res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--outcomes",
                                       str(deals)])
        assert res.exit_code == 2, res.output
        assert "Closed Won" in res.stderr and "stages:" in res.stderr
        assert "priya" not in res.stderr.casefold() and "gmail" not in res.stderr
        kind = "<a person's name>" if "Priya" in value else "<an email address>"
        assert f"{kind} (1 row)" in res.stderr


def test_unknown_form_ids_are_withheld(tmp_path: Path) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id\nL1,web\nL2,Priya Raghunathan\nL3,susan [at] acme\n"
                    "L4,web\n", encoding="utf-8")
    forms = tmp_path / "forms.yaml"
    forms.write_text("forms:\n  web:\n    fields: []\n", encoding="utf-8")
    for args in (["--forms", str(forms)], []):
        res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), *args,
                                       "--format", "json"])
        assert res.exit_code == 0, res.output
        assert "Priya" not in res.output and "acme" not in res.output
        assert "<a person's name>" in res.output and "<an email address>" in res.output
