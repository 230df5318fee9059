"""Fixtures that start real engines for the tests: a PostgreSQL server and a local Spark.

Both are session-scoped (one server, one Spark session for the whole run) and always stopped
at teardown. When an engine is not installed here, its tests are skipped with the reason;
in CI (env CI=true) they fail instead, so that a missing install step cannot pass silently.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engines_env import unavailable
from engines_pg import PostgresServer, find_bin_dir, start_server
from engines_worlds import (
    PgWorld,
    SparkWorld,
    file_run,
    load_postgres,
    make_world,
    write_parquet,
)

PG_SEED, PG_VIEWS = 11, 20_000
SPARK_SEED, SPARK_VIEWS = 5, 5_000


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL server in a temp directory, for the whole test session."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        unavailable("no PostgreSQL server binaries (initdb, pg_ctl) under "
                    "/usr/lib/postgresql/*/bin or on PATH: apt-get install postgresql")
    if importlib.util.find_spec("psycopg") is None:
        unavailable('psycopg is not installed: pip install -e ".[test]"')
    assert bin_dir is not None
    server = start_server(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world the Postgres and DuckDB engine tests load (files, forms.yaml, truth.json)."""
    return make_world(tmp_path_factory.mktemp("world"), seed=PG_SEED, views=PG_VIEWS)


@pytest.fixture(scope="session")
def reference(world: Path) -> dict[str, Any]:
    """``analyze`` on ``world``'s files by the embedded engine: what every engine must give."""
    return file_run(world).json()


@pytest.fixture(scope="session")
def pg_world(pg_server: PostgresServer, world: Path) -> PgWorld:
    import psycopg

    with contextlib.closing(psycopg.connect(**pg_server.conninfo())) as conn:  # type: ignore[arg-type]
        load_postgres(conn, world)
    return PgWorld(pg_server, world)


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark session (master local[2]) for the whole run: starting one is slow."""
    if importlib.util.find_spec("pyspark") is None:
        unavailable('pyspark is not installed: pip install -e ".[test]"')
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        unavailable("no Java runtime for Spark: apt-get install default-jre-headless")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("formfit-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.session.timeZone", "UTC")
               # not ./spark-warehouse in the work tree
               .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-wh")))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def spark_world(spark_session: Any, tmp_path_factory: pytest.TempPathFactory) -> SparkWorld:
    world = make_world(tmp_path_factory.mktemp("spark-world"), seed=SPARK_SEED,
                       views=SPARK_VIEWS)
    parquet = write_parquet(world, world / "parquet")
    for table, path in parquet.items():
        spark_session.read.parquet(str(path)).createOrReplaceTempView(table)
    return SparkWorld(world, parquet)
