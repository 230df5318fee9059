"""Simulated worlds for the engine tests, loaded into real engines, and the CLI runs on them.

Postgres gets two copies of one world: schema ``public`` holds every column as TEXT (as a
raw CSV sync would), schema ``typed`` holds timestamps, dates, numerics and integers with some
column names in mixed case (as a modelled warehouse table would). Spark reads Parquet files
whose columns are all strings, empty cells kept as "" (Postgres' COPY makes them NULL: both
kinds of blank are covered).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engines_pg import PostgresServer

TABLES = ("submissions", "views", "outcomes", "views_daily")
SEGMENTS = ("device", "channel")

# typed.<table>: column -> (SQL type, column name in the typed table)
TYPED: dict[str, dict[str, tuple[str, str]]] = {
    "submissions": {"form_id": ("TEXT", "Form_Id"),
                    "submitted_at": ("TIMESTAMP", "Submitted_At")},
    "views": {"viewed_at": ("TIMESTAMP", "viewed_at")},
    "outcomes": {"created_at": ("DATE", "created_at"), "closed_at": ("DATE", "closed_at"),
                 "amount": ("NUMERIC(14,2)", "amount")},
    "views_daily": {"date": ("DATE", "date"), "views": ("INTEGER", "views"),
                    "submissions": ("INTEGER", "submissions")},
}


def make_world(out: Path, *, seed: int, views: int) -> Path:
    """Write a simulated world (the contract's CSVs and forms.yaml) to ``out``."""
    import formfit

    formfit.simulate(out, seed=seed, views=views)
    return out


def csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_postgres(conn: Any, world: Path) -> None:
    """COPY the world's CSVs into TEXT tables in ``public``, then typed copies in ``typed``."""
    for table in TABLES:
        path = world / f"{table}.csv"
        cols = csv_header(path)
        conn.execute(f"CREATE TABLE public.{table} ("
                     + ", ".join(f"{_ident(c)} TEXT" for c in cols) + ")")
        with conn.cursor() as cur, cur.copy(
                f"COPY public.{table} FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as f:
            while chunk := f.read(1 << 16):
                copy.write(chunk)
    conn.execute("CREATE SCHEMA typed")
    for table in TABLES:
        cols = csv_header(world / f"{table}.csv")
        types = TYPED[table]
        select = ", ".join(
            f"NULLIF({_ident(c)}, '')::{types[c][0]} AS {_ident(types[c][1])}" if c in types
            else _ident(c) for c in cols)
        conn.execute(f"CREATE TABLE typed.{table} AS SELECT {select} FROM public.{table}")
    # For the missing-column error: a submissions table without form_id.
    keep = [c for c in csv_header(world / "submissions.csv") if c != "form_id"]
    conn.execute("CREATE TABLE public.submissions_without_form_id AS SELECT "
                 + ", ".join(_ident(c) for c in keep) + " FROM public.submissions")
    conn.commit()


def write_parquet(world: Path, out: Path) -> dict[str, Path]:
    """The world's CSVs as Parquet files of string columns ("" stays ""), for Spark."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table in TABLES:
        src = world / f"{table}.csv"
        types = {c: pa.string() for c in csv_header(src)}
        data = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(column_types=types))
        paths[table] = out / f"{table}.parquet"
        pq.write_table(data, paths[table])
    return paths


@dataclass(frozen=True)
class PgWorld:
    """A simulated world, as files in ``dir`` and as tables in the server."""

    server: PostgresServer
    dir: Path


@dataclass(frozen=True)
class SparkWorld:
    """A small simulated world: CSV files in ``dir``, Parquet copies, and Spark temp views."""

    dir: Path
    parquet: dict[str, Path]


@dataclass(frozen=True)
class Run:
    """One finished ``formfit`` subprocess."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        assert self.returncode == 0, f"exit {self.returncode}\nstderr:\n{self.stderr[-3000:]}"
        out: dict[str, Any] = json.loads(self.stdout)
        return out


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> Run:
    """``python -m formfit ARGS`` as a user would run it, with stdout and stderr apart."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120", SPARK_LOCAL_IP="127.0.0.1")
    proc = subprocess.run([sys.executable, "-m", "formfit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def analyze_args(world: Path, *, submissions: str, views: str, outcomes: str,
                 engine: str | None = None) -> list[str]:
    """``analyze`` arguments with the world's forms and segments, JSON out."""
    args = ["analyze", "--submissions", submissions, "--views", views, "--outcomes", outcomes,
            "--forms", str(world / "forms.yaml"), "--format", "json"]
    for s in SEGMENTS:
        args += ["--segment", s]
    if engine is not None:
        args += ["--engine", engine]
    return args


def file_run(world: Path, views_file: str = "views.csv") -> Run:
    """The reference: the same world read from its files by the embedded engine."""
    return run_cli(*analyze_args(world, submissions=str(world / "submissions.csv"),
                                 views=str(world / views_file),
                                 outcomes=str(world / "outcomes.csv")))
