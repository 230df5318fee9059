"""The cells queries as SQL text, for engines that cannot be reached from here.

:func:`compile_cells` builds every query :mod:`formfit.cells.views` runs over unbound tables
of the contract's shape and compiles it with ibis for one dialect. The tests parse the result
with sqlglot in that dialect (BigQuery and Snowflake cannot be run here); users can read what
formfit would send to their warehouse before they point it there.
"""

from __future__ import annotations

from formfit.cells.views import accounting, bad_flags, cells, first_pass, grouped, weighted

#: engine kinds whose cast to timestamp fails on bad text, so it is guarded by a pattern
_KIND = {"postgres": "postgres"}

VIEW_SCHEMA = {"form_id": "string", "session_id": "string", "viewed_at": "string",
               "device": "string", "channel": "string"}
FLAG_SCHEMA = {"form_id": "string", "viewed_at": "string", "submitted": "string",
               "device": "string"}


def compile_cells(dialect: str, known_forms: tuple[str, ...] = ("demo-a", "demo-b")
                  ) -> dict[str, str]:
    """SQL of each cells query, compiled for ``dialect`` (bigquery, snowflake, postgres,
    duckdb, spark, ...), keyed by the query's name."""
    import ibis

    dialect = {"spark": "pyspark"}.get(dialect, dialect)  # ibis' name for Spark SQL
    kind = _KIND.get(dialect, dialect)
    views = ibis.table(VIEW_SCHEMA, name="views")
    flagged = ibis.table(FLAG_SCHEMA, name="views_flagged")
    pairs = ibis.table({"form_id": "string", "session_id": "string"}, name="submissions")
    segs = ["device", "channel"]
    g = grouped(views, kind, segs)
    gf = grouped(flagged, kind, ["device"])
    p = weighted(g, dedupe=True)
    pf = weighted(gf, dedupe=False)
    exprs = {
        "views_grouped": g,
        "views_first_pass": first_pass(g),
        "views_accounting": accounting(p, known_forms),
        "view_cells_by_session": cells(p, known_forms, segs, pairs),
        "view_cells_by_flag": cells(pf, known_forms, ["device"], None),
        "views_bad_flags": bad_flags(gf),
    }
    return {name: str(ibis.to_sql(expr, dialect=dialect)) for name, expr in exprs.items()}
