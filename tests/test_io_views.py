"""Views: row-level and daily-count exports give the same cells; bad counts are errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_io_submissions import codes, load, notice

from formfit.config import Settings
from formfit.errors import InputError
from formfit.io import load_inputs

DATA = Path(__file__).parent / "data"
SUBS = "lead_id,form_id,submitted_at,session_id,device\n" \
       "L1,a,2025-01-01 10:00,s1,mobile\nL2,a,2025-01-02 09:00,s2,desktop\n" \
       "L3,b,2025-01-02 12:00,s3,mobile\n"


def _fixture(views: str) -> pd.DataFrame:
    inputs = load_inputs(Settings(submissions=DATA / "submissions.csv", views=DATA / views,
                                  forms=DATA / "forms.yaml",
                                  column_map=(("Form ID", "form_id"),)))
    assert inputs.view_counts is not None
    return inputs.view_counts


def test_row_level_and_aggregated_give_identical_counts() -> None:
    rows, daily = _fixture("views_rows.csv"), _fixture("views_daily.csv")
    pd.testing.assert_frame_equal(rows, daily)
    assert list(rows.columns) == ["form_id", "date", "views", "submissions"]
    assert str(rows["date"].dtype) == "datetime64[ns]"
    assert rows["views"].dtype == np.int64 and rows["submissions"].dtype == np.int64
    assert int(rows["views"].sum()) == 11 and int(rows["submissions"].sum()) == 7


def test_identical_with_segments(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 400
    rows = pd.DataFrame({
        "form_id": rng.choice(["a", "b"], n),
        "viewed_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 5 * 86400, n),
                                                                  unit="s"),
        "device": rng.choice(["mobile", "desktop", ""], n),
        "submitted": rng.integers(0, 2, n),
    })
    rows.to_csv(tmp_path / "rows.csv", index=False)
    daily = (rows.assign(date=rows["viewed_at"].dt.date, views=1)
             .groupby(["form_id", "date", "device"], observed=True, dropna=False)
             .agg(views=("views", "sum"), submissions=("submitted", "sum")).reset_index())
    daily.to_csv(tmp_path / "daily.csv", index=False)
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    got = []
    for name in ("rows.csv", "daily.csv"):
        inputs = load_inputs(Settings(submissions=tmp_path / "subs.csv", views=tmp_path / name,
                                      segments=("device",)))
        assert inputs.view_counts is not None
        got.append(inputs.view_counts)
    pd.testing.assert_frame_equal(got[0], got[1])
    assert "(blank)" in set(got[0]["device"])
    assert int(got[0]["views"].sum()) == n


def test_session_join_and_repeat_views(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, views="form_id,viewed_at,session_id\n"
                                        "a,2025-01-01 09:58,s1\na,2025-01-01 09:59,s1\n"
                                        "a,2025-01-01 11:00,x9\nb,2025-01-02 11:00,s3\n"
                                        "b,2025-01-02 11:00,s3\n")
    vc = inputs.view_counts
    assert vc is not None and inputs.view_level == "row"
    assert vc[["views", "submissions"]].to_numpy().tolist() == [[2, 1], [1, 1]]
    assert inputs.accounting["views"].excluded == {"duplicate_row": 1, "repeat_view": 1}


def test_no_session_matches_is_flagged(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, views="form_id,viewed_at,session_id\na,2025-01-01,zz\n")
    assert "NO_SESSION_MATCHES" in codes(inputs)


def test_conversions_counted_from_submissions(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, views="form_id,viewed_at\na,2025-01-01\na,2025-01-01\n"
                                        "a,2025-01-02\nb,2025-01-02\nb,2025-01-02\n")
    vc = inputs.view_counts
    assert vc is not None
    assert vc[["form_id", "views", "submissions"]].to_numpy().tolist() == [
        ["a", 2, 1], ["a", 1, 1], ["b", 2, 1]]
    # date-only views without sessions: identical rows are different people, all kept
    assert inputs.accounting["views"].excluded == {}
    assert "CONVERSION_FROM_SUBMISSIONS" in codes(inputs)


def test_counting_from_submissions_needs_enough_views(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(tmp_path, SUBS, views="form_id,viewed_at\na,2025-01-01\na,2025-01-02\n"
                                   "b,2025-01-01\nb,2025-01-03\n"
                                   "b,2025-01-03\nb,2025-01-03\n")
    assert "fewer views" in err.value.message and "form_id=b" in err.value.message


def test_counting_from_submissions_needs_dates(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="submitted_at"):
        load(tmp_path, "lead_id,form_id\nL1,a\n", views="form_id,viewed_at\na,2025-01-01\n")


def test_aggregated_without_submissions_column_counts_them(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, views="form_id,date,views\na,2025-01-01,5\na,2025-01-02,5\n"
                                        "b,2025-01-02,3\n")
    vc = inputs.view_counts
    assert vc is not None and inputs.view_level == "aggregated"
    assert vc["submissions"].tolist() == [1, 1, 1]


def test_semicolon_excel_counts_use_decimal_comma(tmp_path: Path) -> None:
    (tmp_path / "subs.csv").write_text("email,form_id\nanna@example.de,kontakt\n",
                                       encoding="utf-8")
    inputs = load_inputs(Settings(submissions=tmp_path / "subs.csv",
                                  views=DATA / "semicolon_excel_views.csv"))
    vc = inputs.view_counts
    assert vc is not None and vc["views"].tolist() == [1204, 17]


@pytest.mark.parametrize("name, words", [
    ("negative_views.csv", ["row 3", "views", "'-3'", "negative"]),
    ("non_numeric_views.csv", ["row 3", "views", "'lots'", "not a number"]),
    ("more_submissions_than_views.csv", ["row 3", "4 views", "9 submissions"]),
])
def test_bad_counts(name: str, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        load_inputs(Settings(submissions=DATA / "submissions.csv", views=DATA / name,
                             column_map=(("Form ID", "form_id"),)))
    for w in words:
        assert w in err.value.message, (w, err.value.message)


def test_fractional_and_blank_counts(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="whole number"):
        load(tmp_path, SUBS, views="form_id,date,views,submissions\na,2025-01-01,2.5,1\n")
    with pytest.raises(InputError, match="blank"):
        load(tmp_path, SUBS, views="form_id,date,views,submissions\na,2025-01-01,,1\n")


def test_declared_segments_missing_from_views(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_inputs(Settings(submissions=DATA / "submissions.csv",
                             views=DATA / "views_without_segments.csv",
                             column_map=(("Form ID", "form_id"),),
                             segments=("device", "channel")))
    assert "device" in err.value.message and "channel" in err.value.message
    assert "--segment" in err.value.hint


def test_unknown_and_blank_views_are_accounted(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, views="form_id,viewed_at,submitted\na,2025-01-01,1\n"
                                        "zz,2025-01-01,0\n,2025-01-01,0\na,,0\n")
    assert inputs.accounting["views"].to_dict() == {
        "rows_read": 4, "rows_used": 1,
        "excluded": {"missing_date": 1, "missing_form_id": 1, "unknown_form": 1}}
    assert notice(inputs, "UNKNOWN_FORM")["input"] == "views"


def test_bad_submitted_flag(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="true/false"):
        load(tmp_path, SUBS, views="form_id,viewed_at,submitted\na,2025-01-01,maybe\n")


def test_session_join_matches_the_form_too(tmp_path: Path) -> None:
    """A session that saw forms a and b and submitted a converts only its view of a."""
    inputs = load(tmp_path, SUBS, views="form_id,viewed_at,session_id\n"
                                        "a,2025-01-01 09:00,s1\nb,2025-01-01 09:05,s1\n")
    vc = inputs.view_counts
    assert vc is not None
    assert vc[["form_id", "submissions"]].to_numpy().tolist() == [["a", 1], ["b", 0]]


def test_session_matches_on_other_forms_are_diagnosed(tmp_path: Path) -> None:
    inputs = load(tmp_path, SUBS, views="form_id,viewed_at,session_id\nb,2025-01-01,s1\n")
    n = notice(inputs, "NO_SESSION_MATCHES")
    assert n["session_matches"] == 1 and "form ids" in n["message"]


def test_row_level_views_in_us_dates_give_the_iso_cells(tmp_path: Path) -> None:
    """Row-level views are grouped in DuckDB; dates that are not ISO 8601 go through the one
    format detector (formfit.io.dates) and give the same cells as the ISO file."""
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    iso = ("form_id,viewed_at,session_id\na,2025-01-01 10:00,s1\na,2025-01-13 09:00,s2\n"
           "b,2025-01-02 12:00,s3\nb,2025-02-02 08:00,s9\n")
    us = ("form_id,viewed_at,session_id\na,1/1/2025 10:00,s1\na,1/13/2025 09:00,s2\n"
          "b,1/2/2025 12:00,s3\nb,2/2/2025 08:00,s9\n")
    got = []
    for name, body in (("iso.csv", iso), ("us.csv", us)):
        (tmp_path / name).write_text(body, encoding="utf-8")
        vc = load_inputs(Settings(submissions=tmp_path / "subs.csv",
                                  views=tmp_path / name)).view_counts
        assert vc is not None
        got.append(vc)
    pd.testing.assert_frame_equal(got[0], got[1])


def test_row_level_views_with_ambiguous_dates_ask_for_a_format(tmp_path: Path) -> None:
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    (tmp_path / "v.csv").write_text("form_id,viewed_at,session_id\na,1/2/2025,s1\n"
                                    "a,3/4/2025,s2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_inputs(Settings(submissions=tmp_path / "subs.csv", views=tmp_path / "v.csv"))
    assert "row 2" in err.value.message and "--date-format" in err.value.hint
    vc = load_inputs(Settings(submissions=tmp_path / "subs.csv", views=tmp_path / "v.csv",
                              date_format="%d/%m/%Y")).view_counts
    assert vc is not None and vc["date"].dt.month.tolist() == [2, 4]  # day first


def test_fewer_row_level_views_than_submissions_is_flagged(tmp_path: Path) -> None:
    """A truncated views export (fewer views than submissions on the days it covers) would
    inflate conversion; it is named, per form (issue 12)."""
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    (tmp_path / "v.csv").write_text("form_id,viewed_at,session_id\na,2025-01-01 09:00,s1\n"
                                    "a,2025-01-02 08:00,s2\nb,2025-01-02 10:00,s3\n"
                                    "b,2025-01-02 11:00,s7\n", encoding="utf-8")
    ok = load_inputs(Settings(submissions=tmp_path / "subs.csv", views=tmp_path / "v.csv"))
    assert "VIEWS_FEWER_THAN_SUBMISSIONS" not in codes(ok)
    (tmp_path / "v.csv").write_text("form_id,viewed_at,session_id\na,2025-01-01 09:00,s1\n"
                                    "a,2025-01-02 08:00,s2\nb,2025-01-02 10:00,s3\n"
                                    "a,2025-01-02 08:30,s2\n", encoding="utf-8")
    subs = SUBS + "L4,a,2025-01-02 10:00,s4,mobile\n"
    (tmp_path / "subs.csv").write_text(subs, encoding="utf-8")
    short = load_inputs(Settings(submissions=tmp_path / "subs.csv", views=tmp_path / "v.csv"))
    n = notice(short, "VIEWS_FEWER_THAN_SUBMISSIONS")
    assert n["forms"] == {"a": {"views": 2, "submissions": 3}}


def test_daily_counts_count_an_exact_copy_once(tmp_path: Path) -> None:
    """An exported row repeated (every column equal) was summed twice; rows of one day that
    differ in an undeclared column (page) are two parts of the day and are summed."""
    (tmp_path / "subs.csv").write_text("email,form_id\na@x.com,f1\n", encoding="utf-8")
    (tmp_path / "views.csv").write_text("form_id,date,page,views,submissions\n"
                                        "f1,2025-01-01,/a,10,1\n"
                                        "f1,2025-01-01,/a,10,1\n"
                                        "f1,2025-01-01,/b,10,1\n"
                                        "f1,2025-01-02,/a,7,0\n", encoding="utf-8")
    inputs = load_inputs(Settings(submissions=tmp_path / "subs.csv",
                                  views=tmp_path / "views.csv"))
    vc = inputs.view_counts
    assert vc is not None and vc["views"].tolist() == [20, 7]
    assert vc["submissions"].tolist() == [2, 0]
    assert inputs.accounting["views"].to_dict() == {
        "rows_read": 4, "rows_used": 3, "excluded": {"duplicate_row": 1}}


def test_daily_submissions_that_disagree_with_the_submissions_file_are_named(
        tmp_path: Path) -> None:
    """The views file counts conversions, the forms table lists the submissions file: when
    they disagree (another conversion event, a filtered export), the report says so, naming
    each form with both counts; one submission either way is tolerated."""
    from typer.testing import CliRunner

    from formfit.cli import app

    subs = ["email,form_id,submitted_at,company_size"]
    n = 0
    for form, k in (("f1", 2), ("f2", 2), ("f3", 4), ("f4", 3)):
        for _ in range(k):
            n += 1
            subs.append(f"p{n}@acme.example,{form},2025-01-01 10:00,10")
    (tmp_path / "subs.csv").write_text("\n".join(subs) + "\n", encoding="utf-8")
    (tmp_path / "views.csv").write_text(
        "form_id,date,views,submissions\nf1,2025-01-01,10,5\nf2,2025-01-01,10,0\n"
        "f3,2025-01-01,10,4\nf4,2025-01-01,10,4\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["analyze", "-s", str(tmp_path / "subs.csv"), "--views",
                                   str(tmp_path / "views.csv"), "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    warnings = {w["code"]: w for w in json.loads(res.stdout)["warnings"]}
    differ = warnings["CONVERSIONS_DIFFER"]
    assert differ["forms"] == {"f1": {"views_file": 5, "submissions_file": 2},
                               "f2": {"views_file": 0, "submissions_file": 2}}
    assert "f1 (5 in the views file, 2 in the submissions file)" in differ["message"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_views_path_with_pattern_characters_reads_that_file(tmp_path: Path, fmt: str) -> None:
    """DuckDB reads "v[1].csv" as a pattern and matched v1.csv instead, silently: the file
    named is read, whatever characters its name holds."""
    from typer.testing import CliRunner

    from formfit.cli import app

    sample = Path(__file__).resolve().parents[1] / "formfit" / "sample_data"
    views = pd.read_csv(sample / "views.csv", dtype=str)
    for name, frame in ((f"v[1].{fmt}", views), (f"v1.{fmt}", views.head(99))):
        if fmt == "csv":
            frame.to_csv(tmp_path / name, index=False)
        else:
            frame.to_parquet(tmp_path / name, index=False)
    res = CliRunner().invoke(app, ["validate", "-s", str(sample / "submissions.csv"),
                                   "--views", str(tmp_path / f"v[1].{fmt}"),
                                   "--forms", str(sample / "forms.yaml"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["inputs"]["views"]["rows_read"] == len(views)
