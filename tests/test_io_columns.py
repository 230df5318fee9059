"""Column names: case-insensitive matching, the column map, missing columns reported at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from formfit.errors import InputError
from formfit.io.columns import map_columns, require
from formfit.io.readers import RawTable


def _table(columns: list[str]) -> RawTable:
    frame = pd.DataFrame({c: ["x"] for c in columns})
    return RawTable(frame, Path("subs.csv"), "submissions")


def test_contract_names_match_case_insensitively_after_trimming() -> None:
    t = _table([" Form_ID ", "EMAIL", "Submitted_At", "Company Size"])
    map_columns(t, ())
    assert list(t.frame.columns) == ["form_id", "email", "submitted_at", "Company Size"]


def test_column_map_is_case_insensitive_and_reports_use() -> None:
    t = _table(["Prospect ID", "Lead Origin", "City"])
    used = map_columns(t, (("prospect id", "lead_id"), ("LEAD ORIGIN", "form_id"),
                           ("Not There", "x")))
    assert list(t.frame.columns) == ["lead_id", "form_id", "City"]
    assert used == {"prospect id", "lead origin"}
    assert t.original["lead_id"] == "Prospect ID"


def test_map_target_spelling_is_canonical_and_segments_match() -> None:
    t = _table(["Form", "DEVICE"])
    map_columns(t, (("Form", "Form_Id"),), segments=("device",))
    assert list(t.frame.columns) == ["form_id", "device"]


def test_two_columns_on_one_name_is_an_error() -> None:
    t = _table(["Email", "E-mail"])
    with pytest.raises(InputError) as err:
        map_columns(t, (("E-mail", "email"),))
    assert ("'Email' (column 1) and 'E-mail' (column 2) all become 'email'"
            in err.value.message)


def test_missing_columns_reported_together_with_closest_match() -> None:
    t = _table(["Form ID", "Lead Email", "phone"])
    with pytest.raises(InputError) as err:
        require(t, [("lead_id", "email"), "form_id", "submitted_at"])
    msg, hint = err.value.message, err.value.hint
    assert "3 required columns" in msg
    assert "lead_id or email" in msg and "form_id" in msg and "submitted_at" in msg
    assert "'Form ID' for form_id" in msg
    assert "'phone'" in msg  # lists what exists
    assert '--map "Form ID=form_id"' in hint


def test_repeated_key_column_is_a_clash(tmp_path: Path) -> None:
    from formfit.io.readers import read_table

    path = tmp_path / "subs.csv"
    path.write_text("lead_id,form_id,LEAD_ID,notes,notes\nL1,a,L2,x,y\n", encoding="utf-8")
    t = read_table(path, "submissions")
    with pytest.raises(InputError, match=r"'lead_id' \(column 1\) and 'LEAD_ID' \(column 3\) "
                                         "all become 'lead_id'"):
        map_columns(t, ())


def test_header_that_looks_like_data_is_not_echoed() -> None:
    t = _table(["ann@example.com", "demo", "2025-01-01", "12"])
    t.header_looks_like_data = True
    with pytest.raises(InputError) as err:
        require(t, ["form_id"])
    assert "no header row" in err.value.message
    assert "ann@" not in str(err.value)
