"""The views queries (formfit.cells.views) against a plain pandas reading of the rules: exact
copies fall together, one (form, session) is one view dated by its first row by (time,
segments) in binary order, rows without a session are one view each, and a view converted when
its (form, session) submitted. Ties in time, segments that differ only in case or accents,
copies and rows without a session are all drawn. Both plans (group every row; count the rows
whose (form, session) no other row holds straight from the scan, and group only the others)
are held to the same reference, the second also with a hash that collides on purpose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formfit.cells.views as views

SEGS = ["device", "channel"]
KNOWN = ["a", "b"]
T0 = dt.datetime(2025, 3, 1, 23, 59, 58)
PAIRS = pd.DataFrame({"form_id": ["a", "b"], "session_id": ["s1", "s2"]})
PLANS = ["whole", "by-key", "by-key-colliding"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import duckdb

    from formfit.cells.engine import Engine

    # a user's database file (formfit opens it read-only: the tables below are temporary)
    db = tmp_path_factory.mktemp("plans") / "views.db"
    duckdb.connect(str(db)).close()
    eng = Engine(f"duckdb:///{db}")
    yield eng
    eng.close()


def _run(engine: Any, rows: pd.DataFrame, plan: str, monkeypatch: pytest.MonkeyPatch,
         pairs: pd.DataFrame | None = PAIRS) -> tuple[pd.DataFrame, dict[str, int]]:
    """row_view_cells on ``rows`` as a table of the engine, by ``plan``."""
    import ibis

    from formfit.cells.files import engine_table
    from formfit.cells.url import parse_input

    with monkeypatch.context() as m:
        if plan == "whole":
            m.setattr(views, "_by_key", lambda *a, **k: None)
        elif plan == "by-key-colliding":  # pairs hashed by the length of their session id
            m.setattr(views, "_key_hash", lambda t: t["session_id"].cast("string").length()
                      .fill_null(0).cast("uint64"))
        text = {c: "string" for c in rows.columns}
        engine.remote().create_table("views", ibis.memtable(rows, schema=text),
                                     temp=True, overwrite=True)
        table = engine_table(engine, parse_input("table:views", "views"), "views")
        got = views.row_view_cells(table, segments=SEGS, known_forms=KNOWN, inferred=False,
                                   session_pairs=pairs)
    acc = got.accounting
    ex = acc.excluded
    figures = {"n": acc.rows_read, "rows": acc.rows_read - ex.get("duplicate_row", 0),
               "no_date": ex.get("missing_date", 0), "unknown": ex.get("unknown_form", 0),
               "valid": acc.rows_used + ex.get("repeat_view", 0)}
    return got.counts, figures


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


@pytest.mark.parametrize("plan", PLANS)
def test_ties_copies_and_loose_rows(engine: Any, plan: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rows = pd.DataFrame({
        "form_id": ["a", "a", "a", "a", "a", "b", "b", "a", "a", "x", None, "b", "a"],
        "session_id": ["s1", "s1", "s1", "s1", "s2", "s2", "s2", None, None, "s9", "s1", "s3",
                       "s4"],
        # s1 on form a: two rows tied at the earliest second (one copied), one a day later
        "viewed_at": ["2025-03-01T23:59:58", "2025-03-01T23:59:58", "2025-03-02T00:00:01",
                      "2025-03-01T23:59:58", "2025-03-02T10:00:00", "2025-03-03T00:00:00",
                      "2025-03-02T00:00:00", "2025-03-01T12:00:00", "2025-03-01T12:00:00",
                      "2025-03-01T12:00:00", "2025-03-01T12:00:00", None,
                      "2025-03-01T12:00:00"],
        "device": ["mobile", "Mobile", "desktop", "Mobile", None, "é", "e", "tablet", "tablet",
                   "x", "x", "desktop", "tablet"],
        "channel": ["paid", "paid", "paid", "paid", "email", "z", "z", None, None, "x", "x", "seo",
                    None],
    })
    got, figures = _run(engine, rows, plan, monkeypatch)
    want, want_figures = _reference(rows)
    pd.testing.assert_frame_equal(got, want)
    assert figures == want_figures == {"n": 13, "rows": 11, "valid": 8, "no_date": 1,
                                       "unknown": 1}
    first = got[(got.form_id == "a") & (got.submissions == 1)]
    # "Mobile" sorts before "mobile" (binary order); the first second is on 1 March
    assert first[["device", "channel", "views"]].values.tolist() == [["Mobile", "paid", 1]]
    assert str(first["date"].iloc[0])[:10] == "2025-03-01"
    # a/s1, a/s2, a/s4, b/s2, the loose row (and its copy); the loose row and a/s4 share a cell
    assert int(got["views"].sum()) == 5
    assert got[got.device == "tablet"]["views"].tolist() == [2]


words = st.sampled_from(["m", "M", "d", "é", "e", ""])


@pytest.mark.parametrize("plan", PLANS)
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", ""]), st.sampled_from(
    ["s1", "s2", "s3", "s10", ""]), st.integers(-1, 5), words, words), min_size=1,
    max_size=30))
def test_any_rows_match_the_reference(engine: Any, plan: str,
                                      monkeypatch: pytest.MonkeyPatch,
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
    got, figures = _run(engine, rows, plan, monkeypatch)
    want, want_figures = _reference(rows)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert figures == want_figures


def _sessions(ids: list[str], forms: list[str | None], at: list[str] | None = None
              ) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({
        "form_id": forms, "session_id": ids,
        "viewed_at": at or [(T0 + dt.timedelta(minutes=i)).isoformat() for i in range(n)],
        "device": ["m"] * n, "channel": ["p"] * n})


def test_repeated_keys_are_the_pairs_held_twice(engine: Any) -> None:
    """Only a (form_id, session_id) held by more than one row is repeated: blank ids are a
    pair like any other, and a session on two forms is two pairs."""
    import ibis

    rows = _sessions(["s1", "s1", "s2", "s2", None, None, "s3", None],
                     ["a", "a", "a", "b", "a", "a", None, None])
    con = engine.remote()
    v = con.create_table("views", ibis.memtable(rows), temp=True, overwrite=True)
    rep = views.repeated_keys(v)
    shared = views.keyed_part(v, rep, shared=True).to_pandas()
    alone = views.keyed_part(v, rep, shared=False).to_pandas()
    assert sorted(shared["session_id"].fillna("-")) == ["-", "-", "s1", "s1"]
    assert sorted(alone["session_id"].fillna("-")) == ["-", "s2", "s2", "s3"]


@pytest.mark.parametrize("plan", ["whole", "by-key"])
def test_dates_in_another_format_are_read_by_either_plan(engine: Any, plan: str,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Day-first dates send the keyed plan back to the whole one, which reads them: both give
    the views on their days, the exact copy counted once."""
    rows = _sessions(["s1", "s2", "s2", "s3"], ["a", "b", "b", "a"],
                     ["13/03/2025", "14/03/2025", "14/03/2025", "14/03/2025"])
    got, figures = _run(engine, rows, plan, monkeypatch)
    assert got["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-13", "2025-03-14",
                                                            "2025-03-14"]
    assert got["views"].tolist() == [1, 1, 1] and figures["rows"] == 3


def test_no_matching_session_names_the_rows_on_other_forms(
        engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import ibis

    from formfit.cells.files import engine_table
    from formfit.cells.url import parse_input

    rows = _sessions(["s1", "s2", "s2", "s3", "s3"], ["a", "b", "b", "a", "a"])
    engine.remote().create_table("views", ibis.memtable(rows), temp=True, overwrite=True)
    found = []
    for plan in ["whole", "by-key"]:
        with monkeypatch.context() as m:
            if plan == "whole":
                m.setattr(views, "_by_key", lambda *a, **k: None)
            table = engine_table(engine, parse_input("table:views", "views"), "views")
            got = views.row_view_cells(
                table, segments=SEGS, known_forms=KNOWN, inferred=False,
                session_pairs=pd.DataFrame({"form_id": ["b", "b"], "session_id": ["s1", "s3"]}))
        (notice,) = [n for n in got.notices if n.code == "NO_SESSION_MATCHES"]
        found.append(notice.details["session_matches"])
    assert found == [3, 3]  # s1 once, s3 twice: distinct rows
