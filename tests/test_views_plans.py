"""The first view of a session has one definition and two plans (formfit.cells.views): the
minimum of a struct per (form, session) on DuckDB, row_number() over a window elsewhere. Both
plans run here on DuckDB over the same rows and must give the same cells, including rows tied
on time, segments that differ only in case or accents, exact copies and rows without a session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formfit.cells.views import cells, grouped, weighted

SEGS = ["device", "channel"]
KNOWN = ["a", "b"]
T0 = dt.datetime(2025, 3, 1, 23, 59, 58)


@pytest.fixture(scope="module")
def con() -> Any:
    import ibis

    return ibis.duckdb.connect()


def _both(con: Any, rows: pd.DataFrame, pairs: pd.DataFrame | None) -> tuple[pd.DataFrame, ...]:
    import ibis

    text = {c: "string" for c in rows.columns}
    v = con.create_table("views", ibis.memtable(rows, schema=text), overwrite=True)
    p = weighted(grouped(v, "duckdb", SEGS), dedupe=True)
    hits = ibis.memtable(pairs) if pairs is not None else None
    by_min = cells(p, KNOWN, SEGS, hits, "duckdb").to_pandas()
    by_window = cells(p, KNOWN, SEGS, hits, "postgres").to_pandas()
    return by_min, by_window


def test_ties_copies_and_loose_rows_give_the_same_cells(con: Any) -> None:
    rows = pd.DataFrame({
        "form_id": ["a", "a", "a", "a", "a", "b", "b", "a", "a", "x", None, "b"],
        "session_id": ["s1", "s1", "s1", "s1", "s2", "s1", "s1", None, None, "s9", "s1", "s3"],
        # s1 on form a: two rows tied at the earliest second, another a day later
        "viewed_at": ["2025-03-01T23:59:58", "2025-03-01T23:59:58", "2025-03-02T00:00:01",
                      "2025-03-01T23:59:58", "2025-03-02T10:00:00", "2025-03-03T00:00:00",
                      "2025-03-02T00:00:00", "2025-03-01T12:00:00", "2025-03-01T12:00:00",
                      "2025-03-01T12:00:00", "2025-03-01T12:00:00", "2025-03-04T00:00:00+02:00"],
        "device": ["mobile", "Mobile", "desktop", "Mobile", None, "é", "e", "tablet", "tablet",
                   "x", "x", "desktop"],
        "channel": ["paid", "paid", "paid", "paid", "email", "z", "z", None, None, "x", "x", "seo"],
    })
    pairs = pd.DataFrame({"form_id": ["a", "b"], "session_id": ["s1", "s3"]})
    by_min, by_window = _both(con, rows, pairs)
    pd.testing.assert_frame_equal(by_min, by_window)
    first = by_min[(by_min.form_id == "a") & (by_min.submissions == 1)]
    # "Mobile" sorts before "mobile" (binary order), and the first second is on 1 March
    assert first[["device", "channel", "views"]].values.tolist() == [["Mobile", "paid", 1]]
    assert str(first["date"].iloc[0])[:10] == "2025-03-01"
    # two loose rows (no session) are two views; form b's s1 is dated by 2 March
    assert int(by_min["views"].sum()) == 5
    b = by_min[by_min.form_id == "b"].sort_values("date")
    assert b["device"].tolist() == ["e", "desktop"]


words = st.sampled_from(["m", "M", "d", "é", "e", ""])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", ""]), st.sampled_from(
    ["s1", "s2", "s3", ""]), st.integers(0, 5), words, words), min_size=1, max_size=30))
def test_any_rows_give_the_same_cells_with_both_plans(
        con: Any, data: list[tuple[str, str, int, str, str]]) -> None:
    rows = pd.DataFrame({
        "form_id": [f or None for f, *_ in data],
        "session_id": [s or None for _, s, *_ in data],
        # steps of 12 hours: ties in time, and first rows on either side of midnight
        "viewed_at": [(T0 + dt.timedelta(hours=12 * k)).isoformat() for _, _, k, _, _ in data],
        "device": [d or None for *_, d, _ in data],
        "channel": [c or None for *_, c in data],
    })
    pairs = pd.DataFrame({"form_id": ["a", "b"], "session_id": ["s1", "s2"]})
    by_min, by_window = _both(con, rows, pairs)
    pd.testing.assert_frame_equal(by_min, by_window)
