"""The grouped views queries (formfit.cells.views) against a plain pandas reading of the rules:
exact copies fall together, one (form, session) is one view dated by its first row by
(time, segments) in binary order, rows without a session are one view each, and a view
converted when its (form, session) submitted. Ties in time, segments that differ only in case
or accents, copies and rows without a session are all drawn. Both plans for the first row of a
session (rank every row; rank only the repeated sessions) are held to the same reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formfit.cells.views import (
    accounting,
    cells,
    first_pass,
    grouped,
    rank_only_repeats,
    repeated_sessions,
    weighted,
)

SEGS = ["device", "channel"]
KNOWN = ["a", "b"]
T0 = dt.datetime(2025, 3, 1, 23, 59, 58)
PAIRS = pd.DataFrame({"form_id": ["a", "b"], "session_id": ["s1", "s2"]})


@pytest.fixture(scope="module")
def con() -> Any:
    import ibis

    return ibis.duckdb.connect()


def _engine(con: Any, rows: pd.DataFrame, split: bool = False
            ) -> tuple[pd.DataFrame, dict[str, int]]:
    import ibis

    text = {c: "string" for c in rows.columns}
    v = con.create_table("views", ibis.memtable(rows, schema=text), overwrite=True)
    g = grouped(v, "duckdb", SEGS)
    head = first_pass(g).to_pandas().iloc[0]
    p = weighted(g, dedupe=True)
    acc = accounting(p, KNOWN).to_pandas().iloc[0]
    repeated = repeated_sessions(p, KNOWN) if split else None
    got = cells(p, KNOWN, SEGS, ibis.memtable(PAIRS), repeated).to_pandas()
    got["date"] = pd.to_datetime(got["date"]).astype("datetime64[ns]")
    figures = {"n": int(head["n"]), "rows": int(acc["rows"]), "valid": int(acc["valid"]),
               "no_date": int(acc["no_date"]), "unknown": int(acc["unknown"])}
    return got.astype({"views": "int64", "submissions": "int64"}), figures


def _reference(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    d = rows.drop_duplicates()
    d = d.assign(ts=pd.to_datetime(d["viewed_at"]),
                 **{s: d[s].fillna("(blank)") for s in SEGS})
    valid = d[d.form_id.notna() & d.ts.notna() & d.form_id.isin(KNOWN)]
    loose = valid[valid.session_id.isna()]
    firsts = (valid[valid.session_id.notna()].sort_values(["ts", *SEGS])
              .groupby(["form_id", "session_id"], sort=False).head(1))
    views = pd.concat([loose, firsts])
    hit = set(zip(PAIRS.form_id, PAIRS.session_id, strict=True))
    views = views.assign(date=views.ts.dt.normalize().astype("datetime64[ns]"),
                         converted=[int((f, s) in hit) for f, s in
                                    zip(views.form_id, views.session_id, strict=True)])
    keys = ["form_id", "date", *SEGS]
    want = (views.groupby(keys, sort=True).agg(views=("ts", "size"),
                                               submissions=("converted", "sum"))
            .reset_index().astype({"views": "int64", "submissions": "int64"}))
    figures = {"n": len(rows), "rows": len(d), "valid": len(valid),
               "no_date": int((d.form_id.notna() & d.ts.isna()).sum()),
               "unknown": int((d.form_id.notna() & d.ts.notna()
                               & ~d.form_id.isin(KNOWN)).sum())}
    return want, figures


@pytest.mark.parametrize("split", [False, True], ids=["rank-all", "rank-repeats"])
def test_ties_copies_and_loose_rows(con: Any, split: bool) -> None:
    rows = pd.DataFrame({
        "form_id": ["a", "a", "a", "a", "a", "b", "b", "a", "a", "x", None, "b"],
        "session_id": ["s1", "s1", "s1", "s1", "s2", "s2", "s2", None, None, "s9", "s1", "s3"],
        # s1 on form a: two rows tied at the earliest second (one copied), one a day later
        "viewed_at": ["2025-03-01T23:59:58", "2025-03-01T23:59:58", "2025-03-02T00:00:01",
                      "2025-03-01T23:59:58", "2025-03-02T10:00:00", "2025-03-03T00:00:00",
                      "2025-03-02T00:00:00", "2025-03-01T12:00:00", "2025-03-01T12:00:00",
                      "2025-03-01T12:00:00", "2025-03-01T12:00:00", None],
        "device": ["mobile", "Mobile", "desktop", "Mobile", None, "é", "e", "tablet", "tablet",
                   "x", "x", "desktop"],
        "channel": ["paid", "paid", "paid", "paid", "email", "z", "z", None, None, "x", "x", "seo"],
    })
    got, figures = _engine(con, rows, split)
    want, want_figures = _reference(rows)
    pd.testing.assert_frame_equal(got, want)
    assert figures == want_figures == {"n": 12, "rows": 10, "valid": 7, "no_date": 1,
                                       "unknown": 1}
    first = got[(got.form_id == "a") & (got.submissions == 1)]
    # "Mobile" sorts before "mobile" (binary order); the first second is on 1 March
    assert first[["device", "channel", "views"]].values.tolist() == [["Mobile", "paid", 1]]
    assert str(first["date"].iloc[0])[:10] == "2025-03-01"
    assert int(got["views"].sum()) == 4  # a/s1, a/s2, b/s2, the loose row (and its copy)


words = st.sampled_from(["m", "M", "d", "é", "e", ""])


@pytest.mark.parametrize("split", [False, True], ids=["rank-all", "rank-repeats"])
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", ""]), st.sampled_from(
    ["s1", "s2", "s3", ""]), st.integers(-1, 5), words, words), min_size=1, max_size=30))
def test_any_rows_match_the_reference(con: Any, split: bool,
                                      data: list[tuple[str, str, int, str, str]]) -> None:
    rows = pd.DataFrame({
        "form_id": [f or None for f, *_ in data],
        "session_id": [s or None for _, s, *_ in data],
        # steps of 12 hours: ties in time, first rows on either side of midnight; -1 is blank
        "viewed_at": [(T0 + dt.timedelta(hours=12 * k)).isoformat() if k >= 0 else None
                      for _, _, k, _, _ in data],
        "device": [d or None for *_, d, _ in data],
        "channel": [c or None for *_, c in data],
    })
    got, figures = _engine(con, rows, split)
    want, want_figures = _reference(rows)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert figures == want_figures


def _weighted(con: Any, rows: pd.DataFrame) -> Any:
    import ibis

    text = {c: "string" for c in rows.columns}
    v = con.create_table("views", ibis.memtable(rows, schema=text), overwrite=True)
    return weighted(grouped(v, "duckdb", SEGS), dedupe=True)


def _sessions(ids: list[str], forms: list[str | None]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({
        "form_id": forms, "session_id": ids,
        "viewed_at": [(T0 + dt.timedelta(minutes=i)).isoformat() for i in range(n)],
        "device": ["m"] * n, "channel": ["p"] * n})


def test_session_sample_counts_rows_and_sessions_exactly(con: Any, monkeypatch: Any) -> None:
    """accounting(sessions=True): valid rows with a session id, and their distinct ids, on
    the sessions the hash samples (all of them when the sample is one in one)."""
    import formfit.cells.views as views

    ids = [f"s{i}" for i in range(360)] + ["r"] * 40 + ["s1", "s2"]
    p = _weighted(con, _sessions(ids, ["a"] * 400 + ["x", None]))
    monkeypatch.setattr(views, "SESSION_SAMPLE", 1)
    acc = accounting(p, KNOWN, sessions=True).to_pandas().iloc[0]
    # the unknown form's row and the blank form's are not valid
    assert (int(acc["sampled"]), int(acc["sampled_sessions"])) == (400, 361)
    assert repeated_sessions(p, KNOWN).to_pandas().values.tolist() == [["a", "r"]]


def test_session_sample_keeps_whole_sessions(con: Any) -> None:
    """One id in 64 is sampled with all its rows: every session twice gives exactly half as
    many sampled sessions as sampled rows, and the plan ranks every row."""
    ids = [f"s{i}" for i in range(20_000)]
    alone = accounting(_weighted(con, _sessions(ids, ["a"] * len(ids))), KNOWN,
                       sessions=True).to_pandas().iloc[0]
    twice = accounting(_weighted(con, _sessions(ids + ids, ["b"] * len(ids) * 2)), KNOWN,
                       sessions=True).to_pandas().iloc[0]
    assert 200 < int(alone["sampled"]) < 450  # about 20,000 / 64
    assert int(alone["sampled_sessions"]) == int(alone["sampled"])
    assert int(twice["sampled_sessions"]) == int(alone["sampled"])
    assert int(twice["sampled"]) == 2 * int(alone["sampled"])


def test_only_repeats_are_ranked_when_nearly_every_row_is_its_own_session() -> None:
    assert rank_only_repeats(1000, 1000) and rank_only_repeats(1000, 930)
    assert not rank_only_repeats(1000, 920)
    assert not rank_only_repeats(999, 999)  # too few sampled rows to tell: rank every row
