"""Outcomes: outcome words, Salesforce booleans, stage maps; unmatched deals are accounted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_io_submissions import load, notice

from formfit.config import Settings
from formfit.errors import InputError
from formfit.io import load_inputs

DATA = Path(__file__).parent / "data"
SUBS = "email,form_id,submitted_at\nann@example.com,a,2025-01-01\nbob@example.com,a,2025-01-02\n" \
       "cat@example.com,a,2025-01-03\n"


def _deals(tmp_path: Path, text: str, **settings: object) -> list[list[object]]:
    inputs = load(tmp_path, SUBS, outcomes=text, **settings)  # type: ignore[arg-type]
    assert inputs.deals is not None
    return inputs.deals[["lead_key", "outcome"]].to_numpy().tolist()  # type: ignore[no-any-return]


def test_fixture_outcomes_accounting() -> None:
    inputs = load_inputs(Settings(submissions=DATA / "submissions.csv",
                                  outcomes=DATA / "outcomes.csv", forms=DATA / "forms.yaml",
                                  column_map=(("Form ID", "form_id"),)))
    assert inputs.accounting["outcomes"].to_dict() == {
        "rows_read": 7, "rows_used": 4,
        "excluded": {"duplicate_row": 1, "missing_lead_key": 1, "no_matching_lead": 1}}
    deals = inputs.deals
    assert deals is not None
    assert deals["outcome"].tolist() == ["won", "lost", "open", "lost"]
    assert deals["amount"].iloc[0] == 1200.5 and np.isnan(deals["amount"].iloc[2])
    assert deals["closed_at"].isna().tolist() == [False, False, True, False]
    n = notice(inputs, "UNMATCHED_OUTCOMES")
    assert n["rows"] == 1 and n["share"] == pytest.approx(0.2)


def test_salesforce_booleans(tmp_path: Path) -> None:
    got = _deals(tmp_path, (DATA / "salesforce_booleans.csv").read_text(),
                 column_map=(("IsWon", "is_won"), ("IsClosed", "is_closed")))
    assert got == [["ann@example.com", "won"], ["bob@example.com", "lost"],
                   ["cat@example.com", "open"]]


def test_is_won_alone_needs_all_closed(tmp_path: Path) -> None:
    text = (DATA / "is_won_without_is_closed.csv").read_text()
    with pytest.raises(InputError) as err:
        _deals(tmp_path, text)
    assert "open deals cannot be told from lost" in err.value.message
    assert "all_closed" in err.value.hint
    assert _deals(tmp_path, text, all_closed=True) == [["ann@example.com", "won"],
                                                       ["bob@example.com", "lost"]]


def test_stage_map(tmp_path: Path) -> None:
    text = "email,Deal Stage\nann@example.com,Closed Won\nbob@example.com, negotiation \n"
    got = _deals(tmp_path, text, column_map=(("deal stage", "stage"),),
                 stage_map=(("closed won", "won"), ("negotiation", "open")))
    assert got == [["ann@example.com", "won"], ["bob@example.com", "open"]]


def test_stage_without_map_lists_stages(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _deals(tmp_path, (DATA / "stage_without_map.csv").read_text())
    assert "'Closed Won' (1 row)" in err.value.message
    assert "stages:" in err.value.hint and "Closed Won: won" in err.value.hint


def test_outcome_words_any_case_and_stage_map_extends_them(tmp_path: Path) -> None:
    text = (DATA / "unknown_outcomes.csv").read_text()
    with pytest.raises(InputError) as err:
        _deals(tmp_path, text)
    msg = err.value.message
    assert "'Closed Won' (2 rows)" in msg and "'Pending' (1 row)" in msg and "row 3" in msg
    assert "stages:" in err.value.hint
    got = _deals(tmp_path, text, stage_map=(("closed won", "won"), ("pending", "open")))
    assert [o for _, o in got] == ["won", "won", "open"]


def test_bad_amount_and_dates(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"row 2: amount 'lots' is not a number"):
        _deals(tmp_path, (DATA / "bad_amount.csv").read_text())
    with pytest.raises(InputError, match=r"row 3: closed_at '31/02/2025' is not a date"):
        _deals(tmp_path, "email,outcome,closed_at\nann@example.com,won,2025-01-01\n"
                         "bob@example.com,lost,31/02/2025\n")


def test_the_first_column_in_error_is_named_though_columns_are_checked_together(
        tmp_path: Path) -> None:
    """Amount, the two dates and duplicate rows are checked side by side: with a bad amount
    and a bad date, the amount is named (its check comes first), every time; without it, the
    date."""
    bad_both = "email,outcome,amount,created_at,closed_at\n" + (
        "ann@example.com,won,100,2025-01-01,2025-01-02\n"
        "bob@example.com,lost,lots,2025-01-01,31/02/2025\n") * 50
    for _ in range(5):
        with pytest.raises(InputError, match=r"amount 'lots' is not a number"):
            _deals(tmp_path, bad_both)
    with pytest.raises(InputError, match=r"closed_at '31/02/2025' is not a date"):
        _deals(tmp_path, bad_both.replace("lots", "7"))


def test_semicolon_excel_amounts(tmp_path: Path) -> None:
    (tmp_path / "subs.csv").write_text("email,form_id\nanna@example.de,k\nbert@example.de,k\n",
                                       encoding="utf-8")
    inputs = load_inputs(Settings(submissions=tmp_path / "subs.csv",
                                  outcomes=DATA / "semicolon_excel_outcomes.csv"))
    assert inputs.deals is not None
    assert inputs.deals["amount"].tolist() == [1234.5, 0.0]


@pytest.mark.parametrize("amounts, expected", [
    # a semicolon export of US-style amounts (Salesforce Data Loader writes 500000.0): the
    # values show a decimal point and never a decimal comma, so '.' is the decimal mark
    (["5583.65", "500000.0", ""], [5583.65, 500000.0, np.nan]),
    (['"1,234.50"', "$99.5", "7"], [1234.5, 99.5, 7.0]),
    # European Excel: '.' groups thousands, ',' is the decimal mark; '1.234' alone is read
    # the file's way
    (["1.234,50", "12,5", "1.234"], [1234.5, 12.5, 1234.0]),
])
def test_semicolon_file_amounts_follow_their_decimal_mark(tmp_path: Path, amounts: list[str],
                                                          expected: list[float]) -> None:
    rows = "".join(f"{who}@example.com;won;{a}\n" for who, a in zip(("ann", "bob", "cy"),
                                                                    amounts, strict=True))
    (tmp_path / "subs.csv").write_text(
        "email,form_id\nann@example.com,a\nbob@example.com,a\ncy@example.com,a\n")
    (tmp_path / "deals.csv").write_text("email;outcome;amount\n" + rows)
    inputs = load_inputs(Settings(submissions=tmp_path / "subs.csv",
                                  outcomes=tmp_path / "deals.csv"))
    assert inputs.deals is not None
    np.testing.assert_array_equal(inputs.deals["amount"].to_numpy(), np.array(expected))


def test_semicolon_file_with_both_decimal_marks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "subs.csv").write_text("email,form_id\nann@example.com,a\nbob@example.com,a\n")
    (tmp_path / "deals.csv").write_text(
        "email;outcome;amount\nann@example.com;won;1.234,50\nbob@example.com;won;5583.65\n")
    with pytest.raises(InputError) as err:
        load_inputs(Settings(submissions=tmp_path / "subs.csv", outcomes=tmp_path / "deals.csv"))
    msg = str(err.value)
    assert "deals.csv" in msg and "amount mixes decimal marks" in msg
    assert "row 2" in msg and "row 3" in msg, msg


def test_thousands_and_currency_in_amounts(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, outcomes='email,outcome,amount\nann@example.com,won,"$1,234.50"\n'
                                           "bob@example.com,won,€99\n")
    assert inputs.deals is not None
    assert inputs.deals["amount"].tolist() == [1234.5, 99.0]


def test_none_matched_says_so(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, outcomes="email,outcome\nzz@example.com,won\n")
    assert "None matched" in notice(inputs, "UNMATCHED_OUTCOMES")["message"]


def test_outcome_column_required(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(tmp_path, SUBS, outcomes="email,result\nann@example.com,won\n")
    assert "outcome or is_won or stage" in err.value.message
    assert "stages:" in err.value.hint
