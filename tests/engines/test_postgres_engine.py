"""``formfit analyze --engine postgres://...`` on a real server gives the file run's JSON.

The world (seed 11, 20,000 views) is read once from its CSV files by the embedded engine and
once from Postgres tables through the CLI, as a user runs it: every number must agree to 1e-9,
every string exactly; only ``settings`` differs (it names the inputs and the masked URL).
Errors exit 2 with a message naming the engine, table and column, and no password anywhere.
"""

from __future__ import annotations

import json

import pytest
from engines_json import assert_same_result
from engines_pg import PASSWORD
from engines_worlds import PgWorld, Run, analyze_args, file_run, run_cli


@pytest.fixture(scope="module")
def reference_daily(pg_world: PgWorld) -> dict[str, object]:
    return file_run(pg_world.dir, views_file="views_daily.csv").json()


@pytest.fixture(scope="module")
def tcp_run(pg_world: PgWorld) -> Run:
    """TEXT tables named with ``table:``, over TCP with a password."""
    return run_cli(*analyze_args(pg_world.dir, submissions="table:submissions",
                                 views="table:views", outcomes="table:outcomes",
                                 engine=pg_world.server.url()))


def _no_secret(run: Run) -> None:
    assert PASSWORD not in run.stdout
    assert PASSWORD not in run.stderr


def test_text_tables_give_the_file_runs_json(reference: dict[str, object], tcp_run: Run) -> None:
    assert_same_result(reference, tcp_run.json())


def test_settings_name_the_tables_and_mask_the_password(tcp_run: Run) -> None:
    _no_secret(tcp_run)
    settings = json.dumps(tcp_run.json()["settings"])
    assert "table:submissions" in settings and "table:outcomes" in settings
    assert "***" in settings
    assert "127.0.0.1" in settings  # the URL is recorded, only its password is hidden


def test_typed_columns_over_the_unix_socket_give_the_file_runs_json(
        pg_world: PgWorld, reference: dict[str, object]) -> None:
    """Timestamps, dates, NUMERIC amounts and mixed-case column names ("Form_Id"), read with
    ``sql:`` from a second schema, through a ``postgresql://user@:port/db?host=/dir`` URL."""
    run = run_cli(*analyze_args(pg_world.dir, submissions="sql:SELECT * FROM typed.submissions",
                                views="sql:SELECT * FROM typed.views",
                                outcomes="sql:SELECT * FROM typed.outcomes",
                                engine=pg_world.server.socket_url()))
    assert_same_result(reference, run.json())


def test_daily_view_counts_in_integer_columns_give_the_file_runs_json(
        pg_world: PgWorld, reference_daily: dict[str, object]) -> None:
    run = run_cli(*analyze_args(pg_world.dir, submissions="table:submissions",
                                views="sql:SELECT * FROM typed.views_daily",
                                outcomes="table:outcomes", engine=pg_world.server.url()))
    assert_same_result(reference_daily, run.json())


def _assert_clean_error(run: Run, *needles: str) -> None:
    assert run.returncode == 2, f"exit {run.returncode}\n{run.stderr[-2000:]}"
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    _no_secret(run)
    message = run.stderr.lower()
    assert "postgres" in message, run.stderr  # names the engine
    for needle in needles:
        assert needle.lower() in message, f"{needle!r} not in:\n{run.stderr}"


def test_a_missing_table_is_named_with_the_engine(pg_world: PgWorld) -> None:
    run = run_cli(*analyze_args(pg_world.dir, submissions="table:no_such_submissions",
                                views="table:views", outcomes="table:outcomes",
                                engine=pg_world.server.url()))
    _assert_clean_error(run, "no_such_submissions")


def test_a_missing_column_is_named_with_its_table(pg_world: PgWorld) -> None:
    run = run_cli(*analyze_args(pg_world.dir, submissions="table:submissions_without_form_id",
                                views="table:views", outcomes="table:outcomes",
                                engine=pg_world.server.url()))
    _assert_clean_error(run, "submissions_without_form_id", "form_id")


def test_a_wrong_password_is_an_error_that_prints_no_password(pg_world: PgWorld) -> None:
    wrong = "wrong-Pw-4uJ8sLq"
    run = run_cli(*analyze_args(pg_world.dir, submissions="table:submissions",
                                views="table:views", outcomes="table:outcomes",
                                engine=pg_world.server.url(password=wrong)))
    _assert_clean_error(run)
    assert wrong not in run.stderr and wrong not in run.stdout
