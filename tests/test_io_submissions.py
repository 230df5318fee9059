"""Submissions: keys, duplicates, repeats, unknown forms, dates, and which columns are fields."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from formfit.config import Settings
from formfit.errors import InputError
from formfit.inputs import Inputs
from formfit.io import load_inputs

DATA = Path(__file__).parent / "data"


def load(tmp_path: Path, subs: str, *, views: str | None = None, outcomes: str | None = None,
         forms: str | None = None, **settings: Any) -> Inputs:
    """Write the given texts to files and load them."""
    paths: dict[str, Path] = {}
    for role, text, name in (("submissions", subs, "subs.csv"), ("views", views, "views.csv"),
                             ("outcomes", outcomes, "deals.csv"),
                             ("forms", forms, "forms.yaml")):
        if text is not None:
            paths[role] = tmp_path / name
            paths[role].write_text(text, encoding="utf-8")
    return load_inputs(Settings(**paths, **settings))


def codes(inputs: Inputs) -> list[str]:
    return [n.code for n in inputs.notices]


def notice(inputs: Inputs, code: str) -> dict[str, Any]:
    return next(n.to_dict() for n in inputs.notices if n.code == code)


def test_fixture_accounting_and_frame() -> None:
    inputs = load_inputs(Settings(submissions=DATA / "submissions.csv", forms=DATA / "forms.yaml",
                                  column_map=(("Form ID", "form_id"),)))
    acc = inputs.accounting["submissions"].to_dict()
    assert acc == {"rows_read": 9, "rows_used": 5, "excluded": {
        "duplicate_row": 1, "missing_lead_key": 1, "repeat_submission": 1, "unknown_form": 1}}
    subs = inputs.submissions
    assert subs["lead_key"].tolist() == ["ann@example.com", "bob@example.com",
                                         "cat@example.com", "dan@example.com",
                                         "fay@example.com"]
    # Ann's later demo-b submission (key ' Ann@Example.com ') is the repeat, not a new lead
    assert subs.loc[0, "form_id"] == "demo-a"
    # +02:00 converted to UTC, then naive
    assert subs.loc[4, "submitted_at"] == pd.Timestamp("2025-03-03 07:00")
    assert str(subs["submitted_at"].dtype) == "datetime64[ns]"
    assert inputs.fields == ("email", "company_size", "phone", "consent", "budget",
                             "how_did_you_hear")
    assert subs["email"].tolist()[0] == "ann@example.com"  # email is a field the forms show
    assert "utm_campaign" not in subs.columns
    assert notice(inputs, "COLUMN_NOT_A_FIELD")["columns"] == ["utm_campaign"]
    assert notice(inputs, "UNKNOWN_FORM")["form_ids"] == ["webinar"]
    assert inputs.as_of == date(2025, 3, 5)


def test_first_submission_by_date_not_file_order(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,form_id,submitted_at,x\n"
                            "L1,b,2025-02-01,late\nL1,a,2025-01-01,early\nL2,a,,1\nL2,b,,2\n")
    subs = inputs.submissions.set_index("lead_key")
    assert subs.loc["L1", "x"] == "early"
    assert subs.loc["L2", "x"] == "1"  # no dates: file order decides
    assert inputs.accounting["submissions"].excluded == {"repeat_submission": 2}
    assert "MISSING_SUBMISSION_DATES" in codes(inputs)


def test_no_submitted_at_column_is_allowed_with_a_notice(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,form_id,x\nL1,a,1\n")
    assert inputs.submissions["submitted_at"].isna().all()
    assert "NO_SUBMISSION_DATES" in codes(inputs)
    assert inputs.as_of is None


def test_blank_form_id_is_counted(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,form_id,x\nL1,a,1\nL2,,1\n")
    assert inputs.accounting["submissions"].excluded == {"missing_form_id": 1}


def test_inferred_fields_per_form_with_email(tmp_path: Path) -> None:
    inputs = load(tmp_path,
                  "email,form_id,submitted_at,phone,size,is_won,amount,Lead Number,blank_col\n"
                  "a@x.com,f1,2025-01-01,1,,1,5,10,\n"
                  "b@x.com,f1,2025-01-02,,S,0,,11,\n"
                  "c@x.com,f2,2025-01-03,,M,1,,12,\n",
                  ignore_columns=("lead number",))
    forms = inputs.forms
    assert forms.inferred
    assert forms.forms["f1"].versions[0].fields == ("email", "phone", "size")
    assert forms.forms["f2"].versions[0].fields == ("email", "size")
    assert inputs.fields == ("email", "phone", "size")
    assert "FORMS_INFERRED" in codes(inputs)
    assert notice(inputs, "EMPTY_COLUMNS")["columns"] == ["blank_col"]
    for col in ("is_won", "amount", "Lead Number"):
        assert col not in inputs.submissions.columns


def test_forms_file_fields_match_case_insensitively(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,form_id,Company Size,PHONE\nL1,a,10,555\n",
                  forms="forms:\n  a: {fields: [company size, phone, fax]}\n")
    assert inputs.fields == ("company size", "phone", "fax")
    subs = inputs.submissions
    assert subs.loc[0, "company size"] == "10" and subs.loc[0, "phone"] == "555"
    assert subs["fax"].isna().all()
    assert notice(inputs, "FIELD_NOT_IN_DATA")["fields"] == ["fax"]


def test_constants_add_or_fill_columns(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,x,channel\nL1,1,web\nL2,2,\n",
                  constants=(("FORM_ID", "crm"), ("submitted_at", "2016-10-01"),
                             ("channel", "unknown")),
                  ignore_columns=("channel",))
    subs = inputs.submissions
    assert subs["form_id"].tolist() == ["crm", "crm"]
    assert (subs["submitted_at"] == pd.Timestamp("2016-10-01")).all()
    assert inputs.fields == ("x",)


def test_segments_are_not_fields(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,form_id,Device,x\nL1,a,mobile,1\nL2,a,,2\n",
                  segments=("device",))
    assert inputs.fields == ("x",)
    assert inputs.submissions["device"].tolist() == ["mobile", "(blank)"]
    assert inputs.segments == ("device",)


def test_key_falls_back_to_email_when_outcomes_only_have_email(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,email,form_id\nL1, A@X.com ,a\n",
                  outcomes="EMAIL,outcome\na@x.com,won\n")
    assert inputs.submissions["lead_key"].tolist() == ["a@x.com"]
    assert inputs.deals is not None and inputs.deals["lead_key"].tolist() == ["a@x.com"]


def test_key_mismatch_between_inputs_is_explained(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(tmp_path, "lead_id,form_id\nL1,a\n", outcomes="email,outcome\na@x.com,won\n")
    assert "outcomes" in err.value.message and "lead_id" in err.value.message


def test_bad_date_names_row_column_and_value(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_inputs(Settings(submissions=DATA / "bad_date.csv"))
    msg = err.value.message
    assert "bad_date.csv row 4" in msg and "submitted_at" in msg and "31/02/2025" in msg
    assert "header is row 1" in msg
    assert "YYYY-MM-DD" in err.value.hint


@pytest.mark.parametrize("text", ["2025-01-02", "2025-01-02T03:04:05", "2025-01-02 03:04:05",
                                  "2025-01-02T03:04:05Z", "2025-01-02T05:04:05+02:00",
                                  "2025-01-02T03:04:05.123"])
def test_iso_dates_accepted(tmp_path: Path, text: str) -> None:
    inputs = load(tmp_path, f"lead_id,form_id,submitted_at\nL1,a,{text}\n")
    got = inputs.submissions.loc[0, "submitted_at"]
    assert got.date() == date(2025, 1, 2)
    if len(text) > 10:
        assert (got.hour, got.minute) == (3, 4)


def test_unused_map_entries_and_ignores_are_reported(tmp_path: Path) -> None:
    inputs = load(tmp_path, "lead_id,form_id,x\nL1,a,1\n",
                  column_map=(("Lead Orign", "form_id"),), ignore_columns=("TotalVisits",))
    n = notice(inputs, "SETTING_NOT_USED")
    assert n["map"] == ["Lead Orign"] and n["ignore"] == ["TotalVisits"]


def test_nothing_left_is_an_error_that_says_why(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(tmp_path, "lead_id,form_id\nL1,zz\nL2,zz\n", forms="forms:\n  a: {fields: [x]}\n")
    assert "none of its 2 rows" in err.value.message and "'zz'" in err.value.message
    assert "2 unknown_form" in err.value.message


def test_progress_status_does_not_change_the_result(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    inputs = load(tmp_path, "lead_id,form_id,x\nL1,a,1\n", progress=True)
    assert len(inputs.submissions) == 1
    assert capsys.readouterr().out == ""  # any spinner goes to stderr, never stdout


def test_first_submission_ties_do_not_depend_on_row_order(tmp_path: Path) -> None:
    """Two submissions by one lead in the same second with different answers: the analysed
    one is chosen by content, so reversing the file gives the same lead (issue 12)."""
    rows = ["lead_id,form_id,submitted_at,budget",
            "7,demo,2025-03-01 10:00:00,under 10k",
            "7,demo,2025-03-01 10:00:00,over 100k",
            "8,demo,2025-03-01 11:00:00,10k-50k"]
    picked = []
    for name, body in (("a.csv", rows[1:]), ("b.csv", rows[1:][::-1])):
        path = tmp_path / name
        path.write_text("\n".join([rows[0], *body]) + "\n", encoding="utf-8")
        subs = load_inputs(Settings(submissions=path)).submissions.set_index("lead_key")
        picked.append(subs.loc["7", "budget"])
    assert picked[0] == picked[1]


def test_checking_consumes_the_raw_rows_but_keeps_the_column_names(tmp_path: Path) -> None:
    """The raw text is released as it is copied (the raw rows and their checked copy are never
    held whole at once): afterwards the raw table keeps its column names, which later checks
    ask for, and no rows; the checked leads are complete."""
    from formfit.io.readers import read_table
    from formfit.io.submissions import LeadKey, load_submissions

    path = tmp_path / "subs.csv"
    path.write_text("email,form_id,submitted_at,company_size,budget\n"
                    "a@x.com,f1,2025-01-01,11-50,100\n"
                    "b@x.com,f1,2025-01-02,,200\n"
                    "b@x.com,f1,2025-01-03,1-10,300\n")
    table = read_table(path, "submissions")
    got = load_submissions(table, Settings(submissions=path), None, LeadKey("email"))
    assert list(table.frame.columns) == ["email", "form_id", "submitted_at", "company_size",
                                         "budget"]
    assert len(table.frame) == 0
    assert got.frame["company_size"].iloc[0] == "11-50"
    assert got.frame["company_size"].isna().tolist() == [False, True]
    assert got.frame["budget"].tolist() == ["100", "200"]
    assert got.accounting.excluded == {"repeat_submission": 1}


@pytest.mark.parametrize("seed", range(6))
def test_key_time_codes_equal_exactly_when_key_and_time_are(seed: int) -> None:
    from formfit.io.submissions import _key_time

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    keys = rng.integers(-1, 60, n)  # -1: no key
    times = rng.choice(np.array([0, 5, 7, np.iinfo(np.int64).min]), n)  # the last is NaT
    got = _key_time(keys, times)
    assert sorted(set(got.tolist())) == list(range(len(set(got.tolist()))))  # dense 0..k-1
    pairs = list(zip(keys.tolist(), times.tolist(), strict=True))
    for i in range(0, n, 7):
        same = np.array([p == pairs[i] for p in pairs], dtype=bool)
        np.testing.assert_array_equal(got == got[i], same)


# lead_id blank on some rows, an email on every row: "lead_id, or the normalised email where
# there is no lead_id" holds row by row
MIXED_KEYS = ("lead_id,email,form_id,submitted_at\n"
              "101,ann@example.com,a,2025-01-01\n"
              ",Bob@Example.com ,a,2025-01-02\n"
              ",bob@example.com,a,2025-01-05\n"   # Bob again: a repeat submission
              ",,a,2025-01-03\n")                 # no key at all


def test_blank_lead_id_falls_back_to_the_email(tmp_path: Path) -> None:
    inputs = load(tmp_path, MIXED_KEYS)
    assert inputs.submissions["lead_key"].tolist() == ["101", "bob@example.com"]
    assert inputs.accounting["submissions"].to_dict() == {
        "rows_read": 4, "rows_used": 2,
        "excluded": {"missing_lead_key": 1, "repeat_submission": 1}}


def test_outcomes_with_both_keys_follow_the_same_fallback(tmp_path: Path) -> None:
    """The same leads are analysed with outcomes as without; a deal with a blank lead_id
    joins its lead by email."""
    inputs = load(tmp_path, MIXED_KEYS, outcomes="lead_id,email,outcome\n"
                                                  "101,,won\n"
                                                  ",BOB@example.com,won\n"
                                                  ",,lost\n")
    assert inputs.submissions["lead_key"].tolist() == ["101", "bob@example.com"]
    assert inputs.deals is not None
    assert sorted(inputs.deals["lead_key"]) == ["101", "bob@example.com"]
    assert inputs.accounting["outcomes"].to_dict()["excluded"] == {"missing_lead_key": 1}


def test_outcomes_keyed_by_lead_id_only_leave_email_only_leads_out(tmp_path: Path) -> None:
    """Deals that carry only lead_id cannot reach a lead known only by its email: such a
    lead stays out (missing_lead_key) rather than being counted as never won."""
    inputs = load(tmp_path, MIXED_KEYS, outcomes="lead_id,outcome\n101,won\n")
    assert inputs.submissions["lead_key"].tolist() == ["101"]
    assert inputs.accounting["submissions"].to_dict()["excluded"] == {"missing_lead_key": 3}


def test_form_ids_that_only_look_like_names_stay_forms(tmp_path: Path) -> None:
    """Without a forms file, German form names (two capitalised words no English list holds,
    the shape of "Priya Raghunathan") are forms; beside a form id that is surely personal (an
    e-mail, a census name: a shifted column) such ids are left out with it."""
    german = "email,form_id,phone\na@x.com,Kontakt Formular,1\nb@x.com,Angebot Anfordern,2\n"
    inputs = load(tmp_path, german)
    assert sorted(inputs.forms.forms) == ["Angebot Anfordern", "Kontakt Formular"]
    shifted = german + "c@x.com,Jane Smith,3\nd@x.com,e@y.com,4\ne@x.com,web,5\n"
    inputs = load(tmp_path, shifted)
    assert sorted(inputs.forms.forms) == ["web"]
    assert inputs.accounting["submissions"].to_dict()["excluded"] == {"unknown_form": 4}


def test_an_as_of_before_the_data_says_how_much_lies_after_it(tmp_path: Path) -> None:
    """--as-of before the data held every lead out of the win measures while the views after
    it still counted, with no word about it."""
    subs = ("email,form_id,submitted_at\nann@example.com,a,2025-01-01\n"
            "bob@example.com,a,2025-03-02\n")
    views = "form_id,date,views,submissions\na,2025-01-01,10,1\na,2025-03-02,12,1\n"
    deals = "email,outcome,created_at,closed_at\nann@example.com,won,2025-01-05,2025-02-01\n"
    inputs = load(tmp_path, subs, views=views, outcomes=deals, as_of=date(2025, 1, 31))
    got = notice(inputs, "DATA_AFTER_AS_OF")
    assert {k: got[k] for k in ("as_of", "submissions", "views", "deals")} == {
        "as_of": "2025-01-31", "submissions": 1, "views": 12, "deals": 1}
    assert "1 submissions, 12 views, 1 deals dated after it" in got["message"]
    later = load(tmp_path, subs, views=views, outcomes=deals, as_of=date(2025, 6, 30))
    assert all(n.code != "DATA_AFTER_AS_OF" for n in later.notices)
