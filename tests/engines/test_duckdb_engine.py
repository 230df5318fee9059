"""``--engine duckdb://...``: a DuckDB database file, and in-memory DuckDB reading Parquet.

No server is needed, so these always run. The world's CSVs are loaded into a database file as
VARCHAR tables (blanks become NULL) and written as Parquet of strings (blanks stay ""); both
must give the file run's JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engines_json import assert_same_result
from engines_worlds import TABLES, analyze_args, run_cli, write_parquet


@pytest.fixture(scope="module")
def duckdb_file(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import duckdb

    path = tmp_path_factory.mktemp("duckdb") / "marketing.db"
    with duckdb.connect(str(path)) as con:
        for table in TABLES:
            src = str(world / f"{table}.csv").replace("'", "''")
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM "
                        f"read_csv('{src}', header=true, all_varchar=true)")
            [(n,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()
            assert n > 0
    return path


def test_database_file_tables_give_the_file_runs_json(world: Path, duckdb_file: Path,
                                                      reference: dict[str, Any]) -> None:
    run = run_cli(*analyze_args(world, submissions="table:submissions", views="table:views",
                                outcomes="table:outcomes", engine=f"duckdb://{duckdb_file}"))
    assert_same_result(reference, run.json())
    settings = json.dumps(run.json()["settings"])
    assert "table:views" in settings and str(duckdb_file) in settings


def test_in_memory_duckdb_reading_parquet_by_sql_gives_the_file_runs_json(
        world: Path, tmp_path: Path, reference: dict[str, Any]) -> None:
    parquet = write_parquet(world, tmp_path / "parquet")

    def by_sql(table: str) -> str:
        return f"sql:SELECT * FROM read_parquet('{parquet[table]}')"

    run = run_cli(*analyze_args(world, submissions=by_sql("submissions"),
                                views=by_sql("views"), outcomes=by_sql("outcomes"),
                                engine="duckdb://"))
    assert_same_result(reference, run.json())


def test_ibis_duckdb_backend_runs_sql_and_lists_tables(duckdb_file: Path) -> None:
    """ibis 12 with duckdb 2.0 fails exactly here (fetch_arrow_table is gone from duckdb's
    connection): this holds the pin in pyproject.toml (duckdb<2) until ibis catches up."""
    import ibis

    con = ibis.duckdb.connect(str(duckdb_file), read_only=True)
    try:
        assert set(TABLES) <= set(con.list_tables())
        n = con.sql("SELECT count(*) AS n FROM views").to_pyarrow()["n"][0].as_py()
        batches = con.table("views").to_pyarrow_batches(chunk_size=4096).read_all()
        assert n == batches.num_rows > 0
    finally:
        con.disconnect()
