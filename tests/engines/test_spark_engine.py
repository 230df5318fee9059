"""The cells stage on a local Spark gives the file run's result.

A small world (seed 5, 5,000 views) as Parquet files of string columns (blanks kept as "").
The session-scoped SparkSession is handed to ``formfit.analyze`` as an ibis backend; the
submissions and outcomes are its temp views (``table:NAME``), the views are read by path
(``sql:SELECT * FROM parquet.`...```). Starting Spark takes 20-40 s on two cores, so the suite
starts exactly one session: ``--engine pyspark://`` from the CLI would start a second one in
the subprocess, and its URL handling is unit-tested without Spark.
"""

from __future__ import annotations

from typing import Any

import pytest
from engines_json import assert_same_result
from engines_worlds import SEGMENTS, SparkWorld, file_run


@pytest.fixture(scope="module")
def spark_reference(spark_world: SparkWorld) -> dict[str, Any]:
    return file_run(spark_world.dir).json()


def test_spark_session_as_engine_gives_the_file_runs_result(
        spark_session: Any, spark_world: SparkWorld, spark_reference: dict[str, Any]) -> None:
    import ibis

    import formfit

    views = f"sql:SELECT * FROM parquet.`{spark_world.parquet['views']}`"
    result = formfit.analyze("table:submissions", views=views, outcomes="table:outcomes",
                             forms=spark_world.dir / "forms.yaml", segments=list(SEGMENTS),
                             engine=ibis.pyspark.connect(spark_session))
    assert_same_result(spark_reference, result.to_dict())
