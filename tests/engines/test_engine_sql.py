"""The cells queries compile to SQL that each warehouse's dialect parses.

BigQuery and Snowflake cannot be reached from the tests, so for them this is the whole check:
``formfit.cells.sql.compile_cells(dialect)`` builds every cells query over unbound tables of
the contract's schema and compiles it with ``ibis.to_sql``; sqlglot must parse each one in
that dialect. Postgres, DuckDB and Spark run the same queries for real elsewhere; compiling
them here too keeps the check symmetric and catches a query missing from one dialect.
"""

from __future__ import annotations

import pytest

# ibis's name for each dialect (what compile_cells takes) -> sqlglot's name for it
DIALECTS = {"bigquery": "bigquery", "snowflake": "snowflake", "postgres": "postgres",
            "duckdb": "duckdb", "pyspark": "spark"}


@pytest.fixture(scope="module")
def compiled() -> dict[str, dict[str, str]]:
    from formfit.cells.sql import compile_cells

    return {d: compile_cells(d) for d in DIALECTS}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_cells_query_parses_in_its_dialect(compiled: dict[str, dict[str, str]],
                                                 dialect: str) -> None:
    import sqlglot
    from sqlglot import exp

    queries = compiled[dialect]
    assert queries, f"compile_cells({dialect!r}) returned no query"
    for name, sql in queries.items():
        assert isinstance(sql, str) and sql.strip(), name
        tree = sqlglot.parse_one(sql, read=DIALECTS[dialect])  # raises ParseError on bad SQL
        assert isinstance(tree, exp.Query), (name, type(tree).__name__)
        assert list(tree.find_all(exp.Table)), f"{name} reads no table"
        # only cells leave the engine: every query aggregates, none ships rows out
        grouped = (tree.find(exp.AggFunc) is not None or tree.find(exp.Group) is not None
                   or tree.find(exp.Distinct) is not None)
        assert grouped, f"{name} in {dialect} returns rows, not cells:\n{sql[:500]}"


def test_every_dialect_gets_the_same_queries(compiled: dict[str, dict[str, str]]) -> None:
    names = {d: sorted(q) for d, q in compiled.items()}
    assert all(n == names["duckdb"] for n in names.values()), names


def test_dialects_really_differ(compiled: dict[str, dict[str, str]]) -> None:
    """A compiler that ignored ``dialect`` would pass the parse check with portable SQL; the
    quoting alone differs (BigQuery backticks, the others double quotes)."""
    name = sorted(compiled["bigquery"])[0]
    assert compiled["bigquery"][name] != compiled["postgres"][name]
    assert "`" in compiled["bigquery"][name]


def test_sqlglot_still_renders_the_statements_ibis_sends() -> None:
    """ibis 12's Postgres ``con.sql()`` creates a temp view and drops it with
    ``Drop(kind="VIEW", this=table)``; sqlglot 30.18+ renders that without the name and every
    ``sql:`` input on Postgres fails with "syntax error at end of input". This holds the pin
    in pyproject.toml (sqlglot<30.18) until ibis catches up."""
    import sqlglot
    from sqlglot import exp

    drop = exp.Drop(kind="VIEW", this=sqlglot.table("formfit_probe"), exists=True)
    assert drop.sql("postgres") == "DROP VIEW IF EXISTS formfit_probe"
