"""Engine URLs and input references: parsed first, passwords never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from formfit.cells.url import InputRef, mask_secrets, one_query, parse_engine, parse_input
from formfit.config import build_settings
from formfit.errors import UsageError


@pytest.mark.parametrize(("url", "kind", "masked"), [
    ("postgres://ann:hunter2@db:5432/crm", "postgres", "postgres://***@db:5432/crm"),
    ("postgresql://ann:p%40ss@db/crm?sslmode=require", "postgres",
     "postgresql://***@db/crm?sslmode=require"),
    ("snowflake://ann:pw@acct/DB/PUBLIC?warehouse=WH&password=x", "snowflake",
     "snowflake://***@acct/DB/PUBLIC?warehouse=WH&password=***"),
    ("bigquery://my-project/analytics", "bigquery", "bigquery://my-project/analytics"),
    ("duckdb:///tmp/marketing.db", "duckdb", "duckdb:///tmp/marketing.db"),
    ("duckdb", "duckdb", "duckdb://"),
    ("pyspark://", "pyspark", "pyspark://"),
    ("POSTGRES://u@h/d", "postgres", "postgres://***@h/d"),
    # a user name is often a person's, and Snowflake's are email addresses
    ("snowflake://jane.doe%40acme.com@acct/DB/PUBLIC", "snowflake",
     "snowflake://***@acct/DB/PUBLIC"),
    ("postgres://jane.doe@db:5432/crm", "postgres", "postgres://***@db:5432/crm"),
])
def test_engine_urls(url: str, kind: str, masked: str) -> None:
    parsed = parse_engine(url)
    assert parsed.kind == kind
    assert parsed.masked == masked
    assert "hunter2" not in repr(parsed) and "hunter2" not in str(parsed)


def test_unknown_scheme_is_a_usage_error_without_the_password() -> None:
    with pytest.raises(UsageError) as err:
        parse_engine("mysql://root:topsecret@h/db")
    assert "topsecret" not in err.value.message and "***" in err.value.message


def test_mask_secrets_in_free_text() -> None:
    text = 'connection to "postgres://a:b3@h/d" failed; token=abc&x=1'
    assert mask_secrets(text) == 'connection to "postgres://***@h/d" failed; token=abc&x=1'
    assert mask_secrets("https://h/?token=abc&x=1") == "https://h/?token=***&x=1"
    # no user-info: a later address in the same line is not taken for one
    assert (mask_secrets("see https://docs.example/x or write to a@b.com")
            == "see https://docs.example/x or write to a@b.com")


@pytest.mark.parametrize(("value", "ref"), [
    ("table:crm.deals", InputRef("table", "crm.deals")),
    ("TABLE: views ", InputRef("table", "views")),
    ("sql:SELECT * FROM a WHERE x = 'a/b'", InputRef("sql", "SELECT * FROM a WHERE x = 'a/b'")),
    ("data/subs.csv", InputRef("file", "data/subs.csv")),
    (Path("views.parquet"), InputRef("file", "views.parquet")),
])
def test_input_references(value: str | Path, ref: InputRef) -> None:
    assert parse_input(value, "views") == ref


def test_labels_never_show_local_paths() -> None:
    assert parse_input("/home/ann/exports/subs.csv", "submissions").label == "subs.csv"
    long_sql = "sql:SELECT " + ", ".join(f"c{i}" for i in range(60)) + " FROM t"
    label = parse_input(long_sql, "views").label
    assert label.startswith("sql:SELECT c0") and len(label) <= 84 and label.endswith("...")


@pytest.mark.parametrize("bad", ["table:", "sql:  "])
def test_empty_references_fail_before_reading(bad: str) -> None:
    with pytest.raises(UsageError):
        build_settings(submissions=bad)


def test_bad_engine_in_settings_fails_before_reading(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        build_settings(submissions=str(tmp_path / "missing.csv"), engine="oracle://x")


@pytest.mark.parametrize(("url", "masked"), [
    ("postgres://bob:p@ss@127.0.0.1:5999/db", "postgres://***@127.0.0.1:5999/db"),
    ("postgres://bob:TOP SECRET@127.0.0.1:5999/db", "postgres://***@127.0.0.1:5999/db"),
    ("postgres://bob:pa/ss@127.0.0.1:5999/db", "postgres://***@127.0.0.1:5999/db"),
    ("postgres://bob:pa#ss@127.0.0.1:5999/db", "postgres://***@127.0.0.1:5999/db"),
    ("postgres://bob:pa?ss@[::1]:5999/db", "postgres://***@[::1]:5999/db"),
    ("bigquery://proj/ds?credentials_base64=TOPSECRET", "bigquery://proj/ds?credentials_base64=***"),
    ("duckdb:///s.db?motherduck_token=SECRETTOK", "duckdb:///s.db?motherduck_token=***"),
    ("duckdb://bob:SECRETPW@/tmp/x.db", "duckdb://***@/tmp/x.db"),
    ("snowflake://u@acct/db?warehouse=W&Private_Key_File=k.p8&API_KEY=abc",
     "snowflake://***@acct/db?warehouse=W&Private_Key_File=***&API_KEY=***"),
])
def test_the_whole_password_and_secret_parameters_are_masked(url: str, masked: str) -> None:
    # a password may hold @ / ? # and spaces: the user-info runs to the last @ before the host
    assert parse_engine(url).masked == masked
    assert mask_secrets(f'could not connect to "{url}" (refused)') == \
        f'could not connect to "{masked}" (refused)'


def test_one_query_drops_its_end_and_knows_the_engines_quoting() -> None:
    assert one_query("SELECT 1 ;; -- done\n", "views") == "SELECT 1"
    assert one_query("SELECT ';' /* x */ ;", "views") == "SELECT ';'"
    dollar = "SELECT * FROM t WHERE a <> $$x;y$$"
    assert one_query(dollar + ";", "views") == dollar
    assert one_query(dollar, "views", "postgres") == dollar
    with pytest.raises(UsageError, match="more than one statement"):
        one_query(dollar, "views", "bigquery")  # no dollar quoting there: two statements
    with pytest.raises(UsageError, match="more than one statement"):
        one_query("SELECT $$a;b$$; DROP TABLE t", "views")
