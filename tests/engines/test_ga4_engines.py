"""GA4's session key (user_pseudo_id + ga_session_id) built inside PostgreSQL and Spark.

The ``ga4`` preset keys a session by both columns (tests/test_presets_ga4.py checks it on
files and on DuckDB). The key is part of the engine expression, so each engine computes it
with its own casts and string functions: here a real PostgreSQL server and a local Spark
session, with ``ga_session_id`` a BIGINT as in GA4's BigQuery export, must give the CSV run's
views, conversions and warnings. Three users started a session in the same second: keyed on
``ga_session_id`` alone they would merge into one view.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from engines_pg import PostgresServer
from engines_worlds import run_cli

#: four users' views of one form; three started their session in the same second
VIEWS = pd.DataFrame({
    "event_date": ["20250101"] * 4,
    "form_id": ["f1"] * 4,
    "user_pseudo_id": ["111.2", "333.4", "555.6", "777.8"],
    "ga_session_id": [1735700000, 1735700000, 1735700000, 1735700999],
    "viewed_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 10:00", "2025-01-01 10:05",
                                 "2025-01-01 11:00"]),
})
#: two submissions tied to their users' own sessions, one by a user with no view
SUBS = pd.DataFrame({
    "email": ["p1@acme.com", "p2@acme.com", "p3@acme.com"],
    "form_id": ["f1"] * 3,
    "submitted_at": pd.to_datetime(["2025-01-01 10:01", "2025-01-01 11:02",
                                    "2025-01-01 10:03"]),
    "user_pseudo_id": ["333.4", "777.8", "999.9"],
    "ga_session_id": [1735700000, 1735700999, 1735700000],
    "company_size": ["10", "50", "10"],
})


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("ga4-files")
    VIEWS.to_csv(tmp / "views.csv", index=False)
    SUBS.to_csv(tmp / "subs.csv", index=False)
    run = run_cli("analyze", "--preset", "ga4", "-s", str(tmp / "subs.csv"), "--views",
                  str(tmp / "views.csv"), "--format", "json")
    assert run.returncode == 0, run.stderr
    data: dict[str, Any] = json.loads(run.stdout)
    # the users' own sessions: 4 views (not 2), 2 of them converted; the third submission
    # matches a session id but not its user, so it converts no view
    assert data["inputs"]["views"]["rows_used"] == 4
    assert [(f["views"], f["submissions"]) for f in data["forms"]] == [(4, 3)]
    return data


def _same(engine_run: dict[str, Any], csv_run: dict[str, Any]) -> None:
    assert engine_run["inputs"]["views"] == csv_run["inputs"]["views"]
    assert engine_run["forms"] == csv_run["forms"]
    assert [w["code"] for w in engine_run["warnings"]] == [w["code"] for w in
                                                          csv_run["warnings"]]


def test_postgres_builds_the_ga4_session_key(pg_server: PostgresServer,
                                             csv_run: dict[str, Any]) -> None:
    import psycopg

    with contextlib.closing(psycopg.connect(**pg_server.conninfo())) as conn:  # type: ignore[arg-type]
        conn.execute("CREATE SCHEMA IF NOT EXISTS ga4")
        conn.execute("DROP TABLE IF EXISTS ga4.views, ga4.subs")
        conn.execute("CREATE TABLE ga4.views (event_date TEXT, form_id TEXT, "
                     "user_pseudo_id TEXT, ga_session_id BIGINT, viewed_at TIMESTAMP)")
        conn.execute("CREATE TABLE ga4.subs (email TEXT, form_id TEXT, submitted_at TIMESTAMP, "
                     "user_pseudo_id TEXT, ga_session_id BIGINT, company_size TEXT)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO ga4.views VALUES (%s, %s, %s, %s, %s)",
                            [tuple(r) for r in VIEWS.astype(object).itertuples(index=False)])
            cur.executemany("INSERT INTO ga4.subs VALUES (%s, %s, %s, %s, %s, %s)",
                            [tuple(r) for r in SUBS.astype(object).itertuples(index=False)])
        conn.commit()
    run = run_cli("analyze", "--preset", "ga4", "--engine", pg_server.url(),
                  "-s", "table:ga4.subs", "--views", "table:ga4.views", "--format", "json")
    assert run.returncode == 0, run.stderr
    _same(json.loads(run.stdout), csv_run)


def test_spark_builds_the_ga4_session_key(spark_session: Any, csv_run: dict[str, Any],
                                          tmp_path: Path) -> None:
    import ibis

    import formfit

    VIEWS.to_parquet(tmp_path / "views.parquet")
    SUBS.to_parquet(tmp_path / "subs.parquet")
    for name in ("views", "subs"):
        spark_session.read.parquet(str(tmp_path / f"{name}.parquet")).createOrReplaceTempView(
            f"ga4_{name}")
    assert dict(spark_session.table("ga4_views").dtypes)["ga_session_id"] == "bigint"
    result = formfit.analyze("table:ga4_subs", views="table:ga4_views", preset="ga4",
                             engine=ibis.pyspark.connect(spark_session))
    _same(result.to_dict(), csv_run)
