"""Readers: every format and encoding the contract names loads to the same text table."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from formfit.errors import InputError
from formfit.io.readers import decode, format_of, read_table, sniff_delimiter

DATA = Path(__file__).parent / "data"

ROWS = [
    {"lead_id": "L1", "form_id": "demo", "submitted_at": "2025-01-02", "city": "München",
     "employees": "12"},
    {"lead_id": "L2", "form_id": "demo", "submitted_at": "2025-01-03", "city": None,
     "employees": "7"},
]
EXPECTED = pd.DataFrame(ROWS).astype("str")


def _frame(path: Path) -> pd.DataFrame:
    return read_table(path, "submissions").frame


def _csv_text(sep: str = ",") -> str:
    lines = [sep.join(ROWS[0])]
    for r in ROWS:
        lines.append(sep.join("" if v is None else v for v in r.values()))
    return "\n".join(lines) + "\n"


def _assert_same(df: pd.DataFrame) -> None:
    got = df.astype("str")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), EXPECTED, check_dtype=False)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_load_the_same(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "subs.csv"
    path.write_bytes(_csv_text().encode(encoding))
    _assert_same(_frame(path))


def test_utf16_with_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_bytes(_csv_text().encode("utf-16"))
    _assert_same(_frame(path))


@pytest.mark.parametrize("name, sep", [("subs.tsv", "\t"), ("subs.csv", ";"),
                                       ("subs.csv", "\t"), ("subs.txt", "|")])
def test_delimiters(tmp_path: Path, name: str, sep: str) -> None:
    path = tmp_path / name
    path.write_text(_csv_text(sep), encoding="utf-8")
    _assert_same(_frame(path))


@pytest.mark.parametrize("name", ["subs.csv.gz", "subs.tsv.gz", "subs.jsonl.gz",
                                  "subs.parquet.gz"])
def test_gzip_variants(tmp_path: Path, name: str) -> None:
    plain = tmp_path / name[:-3]
    _write(plain)
    path = tmp_path / name
    path.write_bytes(gzip.compress(plain.read_bytes()))
    _assert_same(_frame(path))


def _write(path: Path) -> None:
    if path.suffix == ".csv":
        path.write_text(_csv_text(), encoding="utf-8")
    elif path.suffix == ".tsv":
        path.write_text(_csv_text("\t"), encoding="utf-8")
    elif path.suffix == ".jsonl":
        path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if v is not None})
                                  for r in ROWS) + "\n", encoding="utf-8")
    elif path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(ROWS), path)
    else:
        raise AssertionError(path)


def test_parquet_typed_columns_become_text(tmp_path: Path) -> None:
    path = tmp_path / "subs.parquet"
    tbl = pa.table({"lead_id": pa.array([101, 102]), "form_id": ["demo", "demo"],
                    "employees": pa.array([12.0, None]), "opt_in": [True, False],
                    "submitted_at": pa.array([pd.Timestamp("2025-01-02 10:00"),
                                              pd.Timestamp("2025-01-03")],
                                             pa.timestamp("us", tz="Europe/Paris"))})
    pq.write_table(tbl, path)
    df = _frame(path)
    assert df["lead_id"].tolist() == ["101", "102"]
    assert df["employees"].iloc[0] == "12" and pd.isna(df["employees"].iloc[1])
    assert df["opt_in"].tolist() == ["true", "false"]
    assert isinstance(df["submitted_at"].dtype, pd.DatetimeTZDtype)


def test_xlsx_first_sheet(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(ROWS[0]))
    for r in ROWS:
        ws.append([int(v) if k == "employees" and v else v for k, v in r.items()])
    path = tmp_path / "subs.xlsx"
    wb.save(path)
    _assert_same(_frame(path))


def test_xlsx_dates_stay_dates(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["lead_id", "form_id", "submitted_at"])
    ws.append(["L1", "demo", dt.datetime(2025, 1, 2, 10, 30)])
    ws.append(["L2", "demo", None])
    path = tmp_path / "subs.xlsx"
    wb.save(path)
    df = _frame(path)
    assert pd.api.types.is_datetime64_any_dtype(df["submitted_at"])
    assert df["submitted_at"].iloc[0] == pd.Timestamp("2025-01-02 10:30")


def test_jsonl_and_json_array(tmp_path: Path) -> None:
    path = tmp_path / "subs.jsonl"
    _write(path)
    _assert_same(_frame(path))
    arr = tmp_path / "subs.json"
    arr.write_text(json.dumps(ROWS), encoding="utf-8")
    _assert_same(_frame(arr))


def test_jsonl_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "subs.jsonl"
    path.write_text('{"lead_id": "L1", "form_id": "a"}\n\n{"lead_id": oops}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 3 is not valid JSON"):
        read_table(path, "submissions")


def test_jsonl_row_numbers_are_lines(tmp_path: Path) -> None:
    path = tmp_path / "subs.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    table = read_table(path, "submissions")
    assert table.where(1) == "submissions file subs.jsonl line 3"


def test_committed_encoding_fixtures() -> None:
    latin = _frame(DATA / "latin1_export.csv")
    assert latin["Stadt"].tolist() == ["München", "Köln"]
    assert latin["Unternehmensgröße"].iloc[1].endswith("€")
    bom = _frame(DATA / "utf8_bom_export.csv")
    assert list(bom.columns)[0] == "Lead ID"
    assert bom["Ville"].tolist() == ["Montréal", "Québec"]
    semi = read_table(DATA / "semicolon_excel.csv", "submissions")
    assert semi.decimal_comma
    assert semi.frame["Größe"].tolist() == ["11–50", "1–10; klein"]


def test_blank_and_whitespace_cells_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text('lead_id,form_id,note\nL1,demo,"  "\nL2, demo ,""\nL3,demo, hi \n',
                    encoding="utf-8")
    df = _frame(path)
    assert df["note"].isna().tolist() == [True, True, False]
    assert df["note"].iloc[2] == "hi"
    assert df["form_id"].tolist() == ["demo"] * 3


def test_quoted_newlines_and_trailing_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text('lead_id,form_id,comment,\nL1,demo,"two\nlines",\nL2,demo,x,\n',
                    encoding="utf-8")
    df = _frame(path)
    assert list(df.columns) == ["lead_id", "form_id", "comment"]
    assert df["comment"].iloc[0] == "two\nlines"


def test_ragged_row_names_row_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text("email,form_id\nann@example.com,demo\nbob@example.com,demo,extra\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(path, "submissions")
    assert "row 3" in str(err.value)
    assert "bob@" not in str(err.value)


def test_sniff_delimiter() -> None:
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter('"a;x",b,c') == ","
    assert sniff_delimiter("single") == ","
    assert sniff_delimiter("a\tb") == "\t"


def test_decode_falls_back() -> None:
    assert decode("é".encode())[1] == "utf-8"
    assert decode("é".encode("cp1252"))[1] == "cp1252"
    assert decode(b"\x81")[1] == "latin-1"


@pytest.mark.parametrize("name, kind, gz", [("a.CSV", "csv", False), ("a.csv.gz", "csv", True),
                                            ("x.y.parquet", "parquet", False),
                                            ("a.ndjson", "jsonl", False)])
def test_format_of(name: str, kind: str, gz: bool) -> None:
    assert format_of(Path(name)) == (kind, gz)


def test_unknown_extension_lists_supported() -> None:
    with pytest.raises(InputError) as err:
        format_of(Path("leads.numbers"))
    assert ".parquet" in err.value.hint and ".xlsx" in err.value.hint


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="gzip"):
        read_table(path, "submissions")


def test_corrupt_parquet_and_xlsx(tmp_path: Path) -> None:
    for name in ("subs.parquet", "subs.xlsx"):
        path = tmp_path / name
        path.write_bytes(b"garbage bytes")
        with pytest.raises(InputError, match="not a readable"):
            read_table(path, "submissions")


def test_repeated_header_names_are_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text("lead_id,form_id,Phone,phone,Phone\nL1,a,1,2,3\n", encoding="utf-8")
    assert list(_frame(path).columns) == ["lead_id", "form_id", "Phone", "phone",
                                          "Phone\u2009#2"]


def test_typed_files_load_end_to_end(tmp_path: Path) -> None:
    """Parquet and XLSX keep native types; JSONL numbers; all join on the same text keys."""
    import datetime as dt

    import openpyxl

    from formfit.config import Settings
    from formfit.io import load_inputs

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["LEAD_ID", "form_id", "submitted_at", "employees"])
    ws.append([101, "demo", dt.datetime(2025, 1, 2, 9, 30), 12])
    ws.append([102, "demo", dt.datetime(2025, 1, 3), None])
    wb.save(tmp_path / "subs.xlsx")
    pq.write_table(pa.table({
        "form_id": ["demo", "demo"],
        "date": pa.array([dt.date(2025, 1, 2), dt.date(2025, 1, 3)], pa.date32()),
        "views": pa.array([10, 4], pa.int64()),
        "submissions": pa.array([1.0, 1.0]),
    }), tmp_path / "views.parquet")
    (tmp_path / "deals.jsonl").write_text(
        '{"lead_id": 101, "is_won": true, "is_closed": true, "amount": 1200.5}\n'
        '{"lead_id": 102, "is_won": false, "is_closed": false, "amount": null}\n',
        encoding="utf-8")
    inputs = load_inputs(Settings(submissions=tmp_path / "subs.xlsx",
                                  views=tmp_path / "views.parquet",
                                  outcomes=tmp_path / "deals.jsonl"))
    assert inputs.submissions["lead_key"].tolist() == ["101", "102"]
    assert inputs.submissions["employees"].tolist()[0] == "12"
    assert inputs.submissions["submitted_at"].iloc[0] == pd.Timestamp("2025-01-02 09:30")
    vc = inputs.view_counts
    assert vc is not None and vc["views"].tolist() == [10, 4]
    assert str(vc["date"].dtype) == "datetime64[ns]"
    deals = inputs.deals
    assert deals is not None and deals["outcome"].tolist() == ["won", "open"]
    assert inputs.accounting["outcomes"].rows_used == 2


def test_blank_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_bytes(b"\r\n\r\n" + _csv_text().encode("utf-8"))
    _assert_same(_frame(path))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(("\n" + _csv_text()).encode("utf-8-sig"))
    _assert_same(_frame(bom))


@pytest.mark.parametrize("role", ["submissions", "views"])
def test_devices_and_pipes_are_refused_by_name(tmp_path: Path, role: str) -> None:
    """A link to /dev/zero would be read forever and a FIFO blocks: refused before reading."""
    import os

    from formfit.config import Settings
    from formfit.io import load_inputs

    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id\n1,a\n", encoding="utf-8")
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for bad, word in ((zero, "a device"), (fifo, "a pipe")):
        paths = {"submissions": subs, role: bad}
        with pytest.raises(InputError) as err:
            load_inputs(Settings(**paths))
        assert word in err.value.message and bad.name in err.value.message


def test_a_gzip_that_expands_past_the_limit_is_refused(tmp_path: Path) -> None:
    """A small .jsonl.gz that inflates beyond the memory limit stops at the limit (issue 12)."""
    import gzip

    from formfit.limits import Limits, using

    path = tmp_path / "subs.jsonl.gz"
    line = b'{"lead_id": "1", "form_id": "a", "pad": "' + b"x" * 1000 + b'"}\n'
    with gzip.open(path, "wb") as fh:
        fh.write(line * 3000)  # ~3 MB inflated, a few KB on disk
    assert path.stat().st_size < 100_000
    with using(Limits(max_input_mb=1)), pytest.raises(InputError) as err:
        read_table(path, "submissions")
    assert "once decompressed" in err.value.message and "--max-input-mb 2" in err.value.hint
    assert "FORMFIT_MAX_INPUT_MB" in err.value.hint


def test_an_xlsx_with_a_stray_far_cell_is_refused(tmp_path: Path) -> None:
    """One value in column 5,000 would pad every row to 5,000 cells: refused by the sheet's
    declared dimension, before the rows are read."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["lead_id", "form_id"])
    ws.append(["1", "a"])
    ws.cell(row=1, column=5000, value="stray")
    path = tmp_path / "subs.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_table(path, "submissions")
    assert "5,000 columns" in err.value.message and "CSV" in err.value.hint
