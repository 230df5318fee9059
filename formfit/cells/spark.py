"""A Spark session that formfit starts itself (``--engine pyspark://``), without the JVM's
chatter on the user's terminal.

The JVM that pyspark launches inherits the process's standard error and writes to it before any
setting can reach it ("Using Spark's default log4j profile", "WARN NativeCodeLoader", "Setting
default log level", Java's "Using incubator modules"). formfit's stderr carries its progress and
its messages, and CI logs read it, so the JVM is launched with its standard error sent to a log
file instead (``jvm.log`` in a ``formfit-spark-*`` temp directory, which also holds Spark's
warehouse directory, so nothing is written to the user's working directory). Engine errors still
reach the user: Spark raises them in Python, and formfit's messages name this log for the JVM's
full story; the directory is removed when the run ends without an engine error.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

JVM_LOG = "jvm.log"

@contextmanager
def stderr_of_children_to(path: str) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` while child processes are started, so they inherit
    the file; this process's own stderr is restored on leaving."""
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def session(master: str) -> tuple[Any, Path]:
    """A Spark session on ``master`` (``local[2]`` or ``spark://host:port``), UTC, with no
    console progress and errors-only logging, and the temp directory that holds its JVM's
    log (``jvm.log``) and its warehouse."""
    from pyspark.sql import SparkSession

    work = Path(tempfile.mkdtemp(prefix="formfit-spark-"))
    log = work / JVM_LOG
    try:
        with stderr_of_children_to(str(log)):
            built = (SparkSession.builder.master(master).appName("formfit")
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.sql.warehouse.dir", str(work / "warehouse"))
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")  # stderr is formfit's
                     .config("spark.log.level", "ERROR").getOrCreate())
    except Exception as exc:  # no Java, a bad master: the JVM's log tells why
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"{first[:200]} (the JVM's log: {log})") from None
    return built, work
