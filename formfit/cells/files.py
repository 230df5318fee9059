"""Files into the embedded DuckDB: scanned in place where DuckDB can, converted first where not.

UTF-8 CSV/TSV (gzip too) and Parquet are scanned by DuckDB directly: in parallel, out of core,
nothing copied into Python. Everything else (XLSX, JSON Lines, cp1252 or UTF-16 text) and any
file DuckDB refuses (a ragged row, a byte that is not UTF-8) goes through formfit's own readers,
which know those formats and give the row-level messages, and is handed to DuckDB as Arrow.

Either way the result is an :class:`EngineTable`: the header (as a column-only
:class:`~formfit.io.table.RawTable`, so column mapping and its messages are the ones every input
gets) and an ibis table whose columns are the file's columns in order. Text values are trimmed
and blank cells are null, as the readers make them.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from formfit.cells.engine import Engine, duckdb_exec, duckdb_function
from formfit.cells.url import InputRef
from formfit.errors import InputError
from formfit.io.readers import check_regular_file, format_of, read_table, sniff_delimiter
from formfit.io.table import RawTable, looks_like_data, unique_names
from formfit.limits import current

if TYPE_CHECKING:
    import ibis.expr.types as ir

HEAD_BYTES = 1 << 20
GLOB_CHARS = "*?[]{}"  # what DuckDB's file readers would expand as a pattern


@dataclass
class EngineTable:
    """An input held by an engine: its header for mapping and messages, and its rows."""

    raw: RawTable  # frame has the columns only (no rows); map_columns renames them
    expr: ir.Table  # the rows, columns in the order of raw.frame's columns
    engine: Engine
    ref: InputRef

    @property
    def numbered(self) -> bool:
        """Rows have spreadsheet numbers (files), unlike a table in a warehouse."""
        return self.raw.engine_label is None

    def mapped(self, names: list[str] | None = None) -> ir.Table:
        """The rows with the (mapped) column names of ``raw.frame``; only ``names`` if given."""
        want = list(self.raw.frame.columns)
        cols = [self.expr[i].name(str(n)) for i, n in enumerate(want)
                if names is None or n in names]
        return self.expr.select(cols)

    def join_columns(self, target: str, parts: list[str], sep: str) -> None:
        """Column ``target`` (a mapped name) becomes the values of the columns ``parts`` as
        text joined by ``sep``, null where any part is blank: computed in the engine's own
        expression, so that a scanned file and a warehouse table get the same key."""
        import ibis

        names = [str(c) for c in self.raw.frame.columns]
        cols = list(self.expr.columns)
        pieces = [self.expr[cols[names.index(p)]].cast("string") for p in parts]
        joined: ir.StringValue = pieces[0]
        for piece in pieces[1:]:
            joined = joined.concat(sep, piece)
        blank = ibis.or_(*[p.isnull() for p in pieces])
        # mutate replaces the column where it stands: positions still match raw.frame's names
        self.expr = self.expr.mutate(
            **{cols[names.index(target)]: ibis.ifelse(blank, ibis.null("string"), joined)})

    def to_raw_table(self) -> RawTable:
        """Every row fetched into a RawTable (for inputs whose rows formfit needs: small
        aggregated views, or submissions and deals read from an engine)."""
        frame = _text_frame(self.engine.to_pandas(self.mapped(), self.raw.role, self.ref))
        frame.columns = pd.Index(list(self.raw.frame.columns))
        return replace(self.raw, frame=frame, original=dict(self.raw.original))


def _header_frame(names: list[str]) -> pd.DataFrame:
    """A frame of no rows with these column names (repeated names kept, in order)."""
    frame = pd.DataFrame({i: pd.Series(dtype="str") for i in range(len(names))})
    frame.columns = pd.Index(names)
    return frame


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Engine values as the readers give them: text trimmed, blanks missing; date-times kept."""
    import pyarrow as pa

    from formfit.io.table import arrow_to_frame

    names = [str(c) for c in frame.columns]
    return arrow_to_frame(pa.Table.from_pandas(frame, preserve_index=False), names)


def scan_file(engine: Engine, ref: InputRef, role: str, *, scan: bool = True) -> EngineTable:
    """A file as an engine table in the embedded DuckDB (see the module docstring); with
    ``scan=False`` (a scan that failed), read by formfit's reader first."""
    path = ref.path
    check_regular_file(path, role)
    kind, gz = format_of(path)
    con = engine.local()
    scanned: EngineTable | None = None
    # DuckDB expands *, ? and [...] in a path it reads: "v[1].csv" read v1.csv instead,
    # silently. Such a name goes to formfit's reader, which opens exactly the file named.
    scan = scan and not any(c in str(path) for c in GLOB_CHARS)
    if scan and kind in ("csv", "tsv"):
        scanned = _scan_csv(engine, con, ref, role, tab=kind == "tsv", gz=gz)
    elif scan and kind == "parquet" and not gz:
        scanned = _scan_parquet(engine, con, ref, role)
    if scanned is not None:
        return scanned
    return from_raw_table(engine, read_table(path, role), ref)


def from_raw_table(engine: Engine, raw: RawTable, ref: InputRef) -> EngineTable:
    """A table formfit's readers already hold (or a DataFrame) handed to DuckDB as Arrow."""
    import pyarrow as pa

    con = engine.local()
    internal = [f"c{i}" for i in range(len(raw.frame.columns))]
    frame = raw.frame.copy()
    frame.columns = pd.Index(internal)
    name = engine.unique_name(raw.role)
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    expr = engine.run(lambda: _register(con, name, arrow), raw.role, ref)
    header = replace(raw, frame=raw.frame.iloc[0:0].copy(), original=dict(raw.original))
    return EngineTable(header, expr, engine, ref)


def _register(con: Any, name: str, arrow: Any) -> ir.Table:
    con.con.register(name, arrow)
    return con.table(name)


def engine_table(engine: Engine, ref: InputRef, role: str) -> EngineTable:
    """A ``table:`` or ``sql:`` input of the user's engine, by its column names. One that
    holds no rows is refused, as an empty file is: deals or views with none would count every
    lead as never won or never viewed, without a word."""
    expr = engine.table(ref, role)
    # the first row only: one cheap query in any engine, not a count of the whole table
    first = engine.run(lambda: expr.limit(1).count().to_pyarrow().as_py(), role, ref)
    if not first:
        raise InputError(f"{role} {ref.label} in {engine.label} has columns but no data rows.",
                         "Check the table, or the query's filters (run it in the engine "
                         "itself): formfit needs its rows.")
    return _typed_table(expr, engine, ref, role)


# --- CSV / TSV ------------------------------------------------------------------------------

def _head(path: Any, gz: bool) -> bytes:
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            return bytes(fh.read(HEAD_BYTES))
    except (OSError, EOFError):
        return b""


def _scan_csv(engine: Engine, con: Any, ref: InputRef, role: str, *, tab: bool, gz: bool
              ) -> EngineTable | None:
    """DuckDB's parallel CSV scan, for UTF-8 text; None sends the file to formfit's reader."""
    path = ref.path
    head = _head(path, gz)
    if not head.strip() or head.startswith((b"\xff\xfe", b"\xfe\xff")) \
            or b"\x00" in head[:4096]:  # UTF-16 (maybe without its mark): the reader decodes
        return None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a real non-UTF-8 byte, not a cut character
            return None
        text = head[:exc.start].decode("utf-8-sig")
    stripped = text.lstrip("\r\n")
    blank_lines = text[:len(text) - len(stripped)].count("\n")
    first_line = stripped.split("\n", 1)[0].rstrip("\r")
    if "\r" in first_line:  # old Mac line ends: formfit's reader explains
        return None
    delimiter = "\t" if tab else sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(stripped), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return None
    names = unique_names(header)
    if len(names) > current().max_columns:
        return None  # the reader refuses it, naming the cap
    internal = [f"c{i}" for i in range(len(names))]
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in internal)
    sql_delim = "\\t" if delimiter == "\t" else delimiter
    name = engine.unique_name(role)
    source = str(path).replace("'", "''")
    query = (
        f"SELECT * FROM read_csv('{source}', header = false, "
        f"skip = {blank_lines + reader.line_num}, delim = E'{sql_delim}', quote = '\"', "
        f"escape = '\"', columns = {{{columns}}}, auto_detect = false, strict_mode = true, "
        f"null_padding = false, compression = '{'gzip' if gz else 'none'}')")
    try:
        duckdb_exec(con, f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")
        # the first rows only: the queries that follow read the whole file anyway, and one of
        # them failing sends it to formfit's reader then (ScanFailed); a full count here
        # cost a whole extra pass (2-3 s at 10M views)
        first = duckdb_exec(con, f"SELECT 1 FROM {name} LIMIT 1")
    except Exception:  # a ragged row or a non-UTF-8 byte: the reader says which, exactly
        return None
    if not first:
        return None  # the reader gives the "no data rows" message
    engine.unchecked.add(ref)
    raw = RawTable(_header_frame(names), path, role,
                   decimal_comma=delimiter == ";",
                   header_looks_like_data=looks_like_data(header))
    expr = engine.run(lambda: _cleaned(con.table(name), "duckdb"), role, ref)
    return _drop_blank_unnamed(EngineTable(raw, expr, engine, ref))


def _drop_blank_unnamed(table: EngineTable) -> EngineTable:
    """Trailing delimiters make nameless, empty columns: not data (as the readers decide)."""
    names = [str(c) for c in table.raw.frame.columns]
    unnamed = [i for i, n in enumerate(names) if n.startswith("unnamed_")]
    if not unnamed:
        return table
    expr = table.expr
    counts = table.engine.run(
        lambda: expr.aggregate([expr[i].count().name(f"n{i}") for i in unnamed]).to_pandas(),
        table.raw.role, table.ref)
    empty = {i for i in unnamed if int(counts[f"n{i}"].iloc[0]) == 0}
    if not empty:
        return table
    keep = [i for i in range(len(names)) if i not in empty]
    table.expr = expr.select([expr[i] for i in keep])
    table.raw.frame = _header_frame([names[i] for i in keep])
    return table


def _scan_parquet(engine: Engine, con: Any, ref: InputRef, role: str) -> EngineTable | None:
    name = engine.unique_name(role)
    source = str(ref.path).replace("'", "''")
    try:
        duckdb_exec(con, f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "
                    f"read_parquet('{source}')")
        expr = engine.run(lambda: con.table(name), role, ref)
    except Exception:
        return None  # formfit's reader explains what is wrong with the file
    if len(expr.columns) > current().max_columns:
        return None  # the reader refuses it, naming the cap
    return _typed_table(expr, engine, ref, role)


#: what the readers strip from either end of a value (pyarrow's utf8_trim_whitespace): the
#: characters Python's str.isspace() accepts, tab, no-break space and ideographic space included
WHITESPACE = "".join(chr(i) for i in range(0x110000) if chr(i).isspace())


def trimmed(col: ir.StringValue, kind: str) -> ir.StringValue:
    """Leading and trailing white space removed, in any engine. ibis writes TRIM with a list
    of white-space characters whose escapes Spark SQL reads as letters ('asdf' lost its 'f'),
    so Spark gets a regular expression instead. DuckDB strips what the readers strip
    (:data:`WHITESPACE`), and only from values that start or end with one of those: trimming
    every value cost 2.4 s of 10M views' three text columns, the check 0.6 s."""
    if kind == "pyspark":
        return col.re_replace(r"^\s+|\s+$", "")
    if kind == "duckdb":
        import ibis

        # a value can need trimming only if it holds a character that is not ASCII, or its
        # first or last character is ASCII white space (all sort before "!"): byte lengths
        # and string comparisons, cheap next to trimming every value
        nbytes = duckdb_function("strlen", ["string"], "int64")(col)
        last = duckdb_function("substr", ["string", "int64", "int64"], "string")(col, nbytes, 1)
        edge = (nbytes != col.length()) | (col < "!") | (last < "!")
        trim = duckdb_function("trim", ["string", "string"], "string")
        out: ir.StringValue = ibis.ifelse(edge, trim(col, WHITESPACE), col)
        return out
    return col.strip()


def _cleaned(expr: ir.Table, kind: str) -> ir.Table:
    """Text trimmed (blank -> null) and other types kept, columns renamed c0..cN."""
    cleaned = []
    for i, col in enumerate(expr.columns):
        c = expr[col]
        if c.type().is_string():
            c = trimmed(c, kind).nullif("")
        cleaned.append(c.name(f"c{i}"))
    return expr.select(cleaned)


def _typed_table(expr: ir.Table, engine: Engine, ref: InputRef, role: str) -> EngineTable:
    """A table with typed columns: text trimmed (blank -> null), columns renamed c0..cN."""
    from pathlib import Path

    names = unique_names(list(expr.columns))
    cleaned = _cleaned(expr, engine.kind if ref.kind != "file" else "duckdb")
    label = ref.path if ref.kind == "file" else Path(role)
    raw = RawTable(_header_frame(names), label, role,
                   engine_label=None if ref.kind == "file" else f"{ref.label} in {engine.label}")
    return EngineTable(raw, cleaned, engine, ref)
