"""The cells stage on a local Spark gives the file run's result.

A small world (seed 5, 5,000 views) as Parquet files of string columns (blanks kept as "").
The session-scoped SparkSession is handed to ``formfit.analyze`` as an ibis backend; the
submissions and outcomes are its temp views (``table:NAME``), the views are read by path
(``sql:SELECT * FROM parquet.`...```). Starting Spark takes 20-40 s on two cores, so the suite
starts one session for the library tests and one more, in a subprocess, for the one test of
``--engine pyspark://`` from the CLI: the session formfit starts itself, whose JVM must not
write its log lines on the user's terminal nor a spark-warehouse into the working directory.
"""

from __future__ import annotations

from pathlib import Path
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

    views = f"sql:SELECT * FROM parquet.`{spark_world.parquet['views']}`"
    result = formfit.analyze("table:submissions", views=views, outcomes="table:outcomes",
                             forms=spark_world.dir / "forms.yaml", segments=list(SEGMENTS),
                             engine=ibis.pyspark.connect(spark_session))
    assert_same_result(spark_reference, result.to_dict())


def test_cli_starts_its_own_spark_quietly_and_gives_the_file_runs_result(
        spark_world: SparkWorld, spark_reference: dict[str, Any], tmp_path: Path) -> None:
    views = f"sql:SELECT * FROM parquet.`{spark_world.parquet['views']}`"
    run = run_cli(*analyze_args(spark_world.dir, submissions=str(spark_world.parquet[
        "submissions"]), views=views, outcomes=str(spark_world.parquet["outcomes"]),
        engine="pyspark://"), cwd=tmp_path)
    assert_same_result(spark_reference, run.json())
    # the JVM's own lines went to its log file, not to formfit's stderr
    for chatter in ("log4j", "WARN", "NativeCodeLoader", "Setting default log level",
                    "incubator"):
        assert chatter not in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []  # no spark-warehouse in the working directory
