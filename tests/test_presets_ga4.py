"""GA4 sessions: a session is user_pseudo_id + ga_session_id (exports.md, GA4). ga_session_id is
the session's start time in seconds, unique only per user: keyed on it alone, the views of users
who started a session in the same second merged into one and one submission converted them all.
Through the real CLI, on files scanned by DuckDB and on tables of a DuckDB database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.io.presets import load_preset

runner = CliRunner()

#: four users' views of one form; three started their session in the same second
VIEWS = ("event_date,form_id,user_pseudo_id,ga_session_id,viewed_at\n"
         "20250101,f1,111.2,1735700000,2025-01-01T10:00:00\n"
         "20250101,f1,333.4,1735700000,2025-01-01T10:00:00\n"
         "20250101,f1,555.6,1735700000,2025-01-01T10:05:00\n"
         "20250101,f1,777.8,1735700999,2025-01-01T11:00:00\n")


def _analyze(tmp: Path, views: str, subs: str, *extra: str) -> dict[str, Any]:
    (tmp / "views.csv").write_text(views)
    (tmp / "subs.csv").write_text(subs)
    res = runner.invoke(app, ["analyze", "--preset", "ga4", "-s", str(tmp / "subs.csv"),
                              "--views", str(tmp / "views.csv"), *extra, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def _codes(data: dict[str, Any]) -> list[str]:
    return [w["code"] for w in data["warnings"]]


def _form(data: dict[str, Any]) -> tuple[int, int]:
    (form,) = data["forms"]
    return form["views"], form["submissions"]


def test_users_sharing_a_ga_session_id_are_separate_views(tmp_path: Path) -> None:
    """The reported case: the submissions carry ga_session_id alone (as session_id). Each
    user's session is a view of its own; the submission cannot be tied to one of the three
    users who share its id, so submissions are counted from the submissions file, saying so."""
    data = _analyze(tmp_path, VIEWS, "email,form_id,submitted_at,session_id,company_size\n"
                    "p1@acme.com,f1,2025-01-01 10:01,1735700000,10\n")
    assert data["inputs"]["views"] == {"rows_read": 4, "rows_used": 4, "excluded": {}}
    assert _form(data) == (4, 1)
    assert data["forms"][0]["conversion_rate"] == 0.25
    codes = _codes(data)
    assert "SESSION_KEYS_DIFFER" in codes and "CONVERSION_FROM_SUBMISSIONS" in codes
    (notice,) = [w for w in data["warnings"] if w["code"] == "SESSION_KEYS_DIFFER"]
    assert "user_pseudo_id" in notice["message"]
    # user_pseudo_id and ga_session_id describe the visit: never form fields
    assert [f["field"] for f in data["fields"]] == ["email", "company_size"]


def test_submissions_with_both_ids_join_the_users_own_session(tmp_path: Path) -> None:
    subs = ("email,form_id,submitted_at,user_pseudo_id,ga_session_id,company_size\n"
            "p1@acme.com,f1,2025-01-01 10:01,333.4,1735700000,10\n"
            "p2@acme.com,f1,2025-01-01 11:02,777.8,1735700999,50\n")
    data = _analyze(tmp_path, VIEWS, subs)
    assert data["inputs"]["views"]["rows_used"] == 4
    assert _form(data) == (4, 2)
    assert data["forms"][0]["conversion_rate"] == 0.5
    assert not {"SESSION_KEYS_DIFFER", "CONVERSION_FROM_SUBMISSIONS", "SESSIONS_MAY_MERGE",
                "NO_SESSION_MATCHES"} & set(_codes(data))
    assert [f["field"] for f in data["fields"]] == ["email", "company_size"]


def test_another_users_submission_does_not_convert_the_view(tmp_path: Path) -> None:
    """A submission whose ga_session_id matches a view but whose user does not is not that
    view's conversion (keyed on ga_session_id alone, it converted three users' views)."""
    subs = ("email,form_id,submitted_at,user_pseudo_id,ga_session_id,company_size\n"
            "p1@acme.com,f1,2025-01-01 10:01,999.9,1735700000,10\n")
    data = _analyze(tmp_path, VIEWS, subs)
    assert data["forms"][0]["conversion_rate"] == 0.0
    assert "NO_SESSION_MATCHES" in _codes(data)


def test_a_view_without_user_pseudo_id_is_a_view_of_its_own(tmp_path: Path) -> None:
    views = VIEWS + ("20250101,f1,,1735700000,2025-01-01T10:07:00\n"
                     "20250101,f1,,1735700000,2025-01-01T10:08:00\n"
                     "20250101,f1,111.2,1735700000,2025-01-01T10:09:00\n")
    data = _analyze(tmp_path, views, "email,form_id,submitted_at,company_size\n"
                    "p1@acme.com,f1,2025-01-01 10:01,10\n")
    # 111.2's second row is a further view of its session; the blank users' rows each count
    assert data["inputs"]["views"] == {"rows_read": 7, "rows_used": 6,
                                       "excluded": {"repeat_view": 1}}


def test_ga_session_id_alone_still_works_and_warns(tmp_path: Path) -> None:
    views = "".join(line.split(",", 3)[0] + "," + line.split(",")[1] + "," +
                    ",".join(line.split(",")[3:]) + "\n" for line in VIEWS.splitlines())
    assert views.startswith("event_date,form_id,ga_session_id,viewed_at\n")
    data = _analyze(tmp_path, views, "email,form_id,submitted_at,session_id,company_size\n"
                    "p1@acme.com,f1,2025-01-01 10:01,1735700000,10\n")
    assert _form(data) == (2, 1)
    assert data["forms"][0]["conversion_rate"] == 0.5
    assert data["inputs"]["views"]["excluded"] == {"duplicate_row": 1, "repeat_view": 1}
    assert "SESSIONS_MAY_MERGE" in _codes(data)


def test_duckdb_tables_and_parquet_key_sessions_alike(tmp_path: Path) -> None:
    """The key is computed inside the engine's expression: table: and sql: inputs of a DuckDB
    database (ga_session_id a BIGINT, as in BigQuery) and a Parquet file scanned by DuckDB
    give the CSV run's cells."""
    subs = ("email,form_id,submitted_at,user_pseudo_id,ga_session_id,company_size\n"
            "p1@acme.com,f1,2025-01-01 10:01,333.4,1735700000,10\n"
            "p2@acme.com,f1,2025-01-01 11:02,777.8,1735700999,50\n")
    csv_run = _analyze(tmp_path, VIEWS, subs)
    assert _form(csv_run) == (4, 2)
    frame = pd.read_csv(tmp_path / "views.csv", dtype={"event_date": str,
                                                       "user_pseudo_id": str})
    frame["ga_session_id"] = frame["ga_session_id"].astype("int64")
    frame.to_parquet(tmp_path / "views.parquet")
    db = tmp_path / "ga4.db"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE views AS SELECT * FROM read_parquet('{tmp_path}/views.parquet')")
        con.execute(f"CREATE TABLE subs AS SELECT * FROM read_csv('{tmp_path}/subs.csv', "
                    "all_varchar = true)")
        assert con.execute("SELECT typeof(ga_session_id) FROM views LIMIT 1").fetchone() == (
            "BIGINT",)
    runs = {
        "parquet": ["-s", str(tmp_path / "subs.csv"), "--views", str(tmp_path / "views.parquet")],
        "tables": ["--engine", f"duckdb:///{db}", "-s", "table:subs", "--views", "table:views"],
        "sql": ["--engine", f"duckdb:///{db}", "-s", "table:subs", "--views",
                "sql:SELECT * FROM views"],
    }
    for name, args in runs.items():
        res = runner.invoke(app, ["analyze", "--preset", "ga4", *args, "--format", "json"])
        assert res.exit_code == 0, (name, res.stderr)
        data = json.loads(res.stdout)
        assert data["inputs"]["views"] == csv_run["inputs"]["views"], name
        assert data["forms"] == csv_run["forms"], name
        assert _codes(data) == _codes(csv_run), name


def test_session_key_is_declared_with_its_source() -> None:
    from formfit.io.presets import _session_key

    assert load_preset("ga4").session_key == ("user_pseudo_id", "ga_session_id")
    text = (Path(__file__).resolve().parents[1] / "formfit" / "io" / "presets" /
            "ga4.yaml").read_text()
    assert "exports.md" in text
    cols = [{"from": "sid", "to": "session_id", "source": "x"}]
    with pytest.raises(ValueError, match="session_key"):
        _session_key({"columns": cols, "session_key": [{"column": "sid", "source": "x"}]})
    with pytest.raises(ValueError, match="session_key"):
        _session_key({"columns": cols, "session_key": [{"column": "a", "source": "x"},
                                                       {"column": "b", "source": "x"}]})
    with pytest.raises(ValueError, match="cites no source"):
        _session_key({"columns": cols, "session_key": [{"column": "a"}]})


def test_unlinkable_submissions_that_outnumber_views_say_what_to_export(tmp_path: Path) -> None:
    """Counted from their file, the submissions can outnumber GA4's views (consent, blockers):
    the error then also says how to link them by session instead."""
    (tmp_path / "views.csv").write_text(VIEWS)
    (tmp_path / "subs.csv").write_text("email,form_id,submitted_at,session_id,company_size\n"
                                       + "".join(f"p{i}@acme.com,f1,2025-01-01 10:01,"
                                                 "1735700000,10\n" for i in range(5)))
    res = runner.invoke(app, ["analyze", "--preset", "ga4", "-s", str(tmp_path / "subs.csv"),
                              "--views", str(tmp_path / "views.csv"), "--format", "json"])
    assert res.exit_code == 2
    assert "fewer views than" in res.stderr and "user_pseudo_id" in res.stderr
    assert "Traceback" not in res.stderr
