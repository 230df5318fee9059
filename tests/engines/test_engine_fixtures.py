"""The engine fixtures themselves work: the Postgres server holds the world, asks for the
password over TCP, answers on its own socket; the Spark session reads the Parquet files."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from engines_pg import PASSWORD
from engines_worlds import TABLES, TYPED, PgWorld, SparkWorld, csv_header, csv_rows


def _rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    return list(conn.execute(sql).fetchall())


def test_postgres_holds_every_row_of_the_world_in_both_schemas(pg_world: PgWorld) -> None:
    import psycopg

    with contextlib.closing(psycopg.connect(**pg_world.server.conninfo())) as conn:  # type: ignore[arg-type]
        for table in TABLES:
            expected = csv_rows(pg_world.dir / f"{table}.csv")
            assert expected > 0
            for schema in ("public", "typed"):
                [(n,)] = _rows(conn, f"SELECT count(*) FROM {schema}.{table}")
                assert n == expected, (schema, table)
        [(n,)] = _rows(conn, "SELECT count(*) FROM public.submissions_without_form_id")
        assert n == csv_rows(pg_world.dir / "submissions.csv")
        columns = {(s, t, c): d for s, t, c, d in _rows(
            conn, "SELECT table_schema, table_name, column_name, data_type "
                  "FROM information_schema.columns WHERE table_schema IN ('public', 'typed')")}
    for table in TABLES:
        for col in csv_header(pg_world.dir / f"{table}.csv"):
            assert columns[("public", table, col)] == "text"
        for sql_type, name in TYPED[table].values():
            got = columns[("typed", table, name)]
            assert got.split()[0].upper() == sql_type.split("(")[0], (table, name, got)
    assert ("public", "submissions_without_form_id", "form_id") not in columns
    assert ("public", "submissions_without_form_id", "email") in columns


def test_postgres_text_tables_give_back_the_exact_csv_bytes(pg_world: PgWorld) -> None:
    """What the engine reads in ``public`` is exactly what the file run reads."""
    import psycopg

    with contextlib.closing(psycopg.connect(**pg_world.server.conninfo())) as conn:  # type: ignore[arg-type]
        for table in TABLES:
            out = bytearray()
            with conn.cursor() as cur, cur.copy(
                    f"COPY public.{table} TO STDOUT (FORMAT csv, HEADER true)") as copy:
                for chunk in copy:
                    out += chunk
            assert bytes(out) == (pg_world.dir / f"{table}.csv").read_bytes(), table


def test_postgres_keeps_blank_cells_null_and_timestamps_whole(pg_world: PgWorld) -> None:
    import psycopg

    with contextlib.closing(psycopg.connect(**pg_world.server.conninfo())) as conn:  # type: ignore[arg-type]
        [(blank_text, blank_typed)] = _rows(
            conn, "SELECT (SELECT count(*) FROM public.outcomes WHERE amount IS NULL), "
                  "(SELECT count(*) FROM typed.outcomes WHERE amount IS NULL)")
        [(first,)] = _rows(conn, 'SELECT min("Submitted_At") FROM typed.submissions')
    assert blank_text == blank_typed > 0  # lost and open deals carry no amount
    assert first.hour or first.minute or first.second  # date-times, not truncated to dates


def test_postgres_wants_the_password_over_tcp(pg_world: PgWorld) -> None:
    import psycopg

    bad = dict(pg_world.server.conninfo(), password="not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**bad, connect_timeout=10)  # type: ignore[arg-type]


def test_postgres_socket_url_is_one_libpq_understands(pg_world: PgWorld) -> None:
    import psycopg

    server = pg_world.server
    assert server.port != 5432 and str(server.socket_dir).startswith(str(server.root))
    url = server.socket_url()
    assert PASSWORD not in url
    with contextlib.closing(psycopg.connect(url)) as conn:
        [(n,)] = _rows(conn, "SELECT count(*) FROM public.views")
        [(path,)] = _rows(conn, "SELECT current_setting('unix_socket_directories')")
    assert n == csv_rows(pg_world.dir / "views.csv")
    assert path == str(server.socket_dir)


def test_spark_session_reads_the_parquet_world(spark_session: Any,
                                               spark_world: SparkWorld) -> None:
    import ibis

    for table, path in spark_world.parquet.items():
        expected = csv_rows(spark_world.dir / f"{table}.csv")
        [row] = spark_session.sql(f"SELECT count(*) AS n FROM parquet.`{path}`").collect()
        assert row["n"] == expected, table
    con = ibis.pyspark.connect(spark_session)
    views = con.table("views")
    counts = views.group_by("device").agg(n=views.count()).to_pandas()
    assert int(counts["n"].sum()) == csv_rows(spark_world.dir / "views.csv")
    # blanks stay empty strings in these Parquet files (Postgres' COPY makes them NULL)
    outcomes = con.table("outcomes")
    assert outcomes.filter(outcomes.amount == "").count().to_pyarrow().as_py() > 0
    assert outcomes.amount.isnull().sum().to_pyarrow().as_py() == 0
