"""Cells: the one place rows are grouped into typed sufficient statistics.

Rows stay in the engine that holds them (an embedded DuckDB for files; the user's warehouse or
Spark through ibis with ``--engine``); only cells come back:

* view cells: (form, version, day, declared segments) -> views, submissions
* lead cells: (form, version, segments, follow-up) -> leads, won, lost, open, with times
* revenue per lead cell as n, sum and sum of squares
* value cells per field, for the predictive measures

``formfit.cells`` imports ibis and duckdb lazily, so that ``formfit --help`` stays instant.
"""
