"""The cells stage on a local Spark gives the file run's JSON, in-process and from the CLI.

A small world (seed 5, 5,000 views) as Parquet files of string columns. In-process, the
session-scoped SparkSession is handed to ``formfit.analyze`` as an ibis backend, the inputs
being its temp views (``table:NAME``). From the CLI, ``--engine pyspark://`` starts a local
session in the subprocess, which reads the files by path (``sql:SELECT * FROM parquet.`...```).
Starting Spark is slow, so there is one session per process and one CLI run.
"""

from __future__ import annotations

from typing import Any

import pytest
from engines_json import assert_same_result
from engines_worlds import SEGMENTS, SparkWorld, analyze_args, file_run, run_cli


@pytest.fixture(scope="module")
def spark_reference(spark_world: SparkWorld) -> dict[str, Any]:
    return file_run(spark_world.dir).json()


def test_spark_session_as_engine_gives_the_file_runs_result(
        spark_session: Any, spark_world: SparkWorld, spark_reference: dict[str, Any]) -> None:
    import ibis

    import formfit

    result = formfit.analyze("table:submissions", views="table:views",
                             outcomes="table:outcomes", forms=spark_world.dir / "forms.yaml",
                             segments=list(SEGMENTS), engine=ibis.pyspark.connect(spark_session))
    assert_same_result(spark_reference, result.to_dict())


def test_cli_with_a_pyspark_url_gives_the_file_runs_json(
        spark_world: SparkWorld, spark_reference: dict[str, Any]) -> None:
    def by_path(table: str) -> str:
        return f"sql:SELECT * FROM parquet.`{spark_world.parquet[table]}`"

    run = run_cli(*analyze_args(spark_world.dir, submissions=by_path("submissions"),
                                views=by_path("views"), outcomes=by_path("outcomes"),
                                engine="pyspark://"))
    assert_same_result(spark_reference, run.json())
