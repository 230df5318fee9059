"""Row-level views to view cells, in the engine that holds the rows.

One view is one row of the views input (a session on the page that holds the form). Rows leave
in this order, each counted under its reason, the same whichever engine runs the query:
``duplicate_row`` (an exact copy of another row: export glitches; only where rows can tell
views apart, i.e. with session ids or with times of day), ``missing_form_id``, ``missing_date``,
``unknown_form``, and ``repeat_view`` (further rows of one (form, session): one session is one
view, dated by its first row; ties in time are broken by the segment values, so any row order
gives the same cells). A view converted when its ``submitted`` flag is set, else when a
submission of the same form carries its session id; without either, the caller counts
submissions per form and day from the submissions file.

Only the cells leave the engine: (form_id, date, segments) -> views, submissions, plus the
accounting counts and a few example values for messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from formfit.cells.engine import duckdb_function
from formfit.cells.files import EngineTable
from formfit.errors import InputError
from formfit.inputs import Accounting, Notice
from formfit.io.columns import BLANK_SEGMENT, listing
from formfit.io.values import (
    DATE_HINT,
    END_DATE,
    FALSE_WORDS,
    FIRST_DATE,
    MIXED_HINT,
    TRUE_WORDS,
    redacted,
    rows_text,
    shown,
)
from formfit.personal import quoted

if TYPE_CHECKING:
    import ibis.expr.types as ir

MAX_NAMES = 20
# ISO 8601 dates and date-times, the forms a cast to timestamp reads in every engine
ISO_RE = (r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
          r"( ?(Z|[+-]\d{2}(:?\d{2})?))?$")
# ISO 8601 without an offset or a zone: the same instant whether read as local or UTC
PLAIN_ISO_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_NO_TRY_CAST = {"postgres"}  # engines whose try_cast compiles to a plain, failing CAST


@dataclass
class RowViewCells:
    """View cells of a row-level views input, with where every row went."""

    counts: pd.DataFrame  # form_id, date, segments..., views, submissions (int64)
    accounting: Accounting
    notices: list[Notice] = field(default_factory=list)
    converted_known: bool = True  # False: submissions must be counted from the submissions


def parse_timestamp(col: ir.Column, engine_kind: str) -> ir.TimestampValue:
    """A date or date-time column as a naive UTC timestamp (values with an offset converted,
    values without one taken as UTC, as the readers do); null where blank or not ISO 8601."""
    import ibis
    import ibis.expr.datatypes as dt

    typ = col.type()
    utc, naive = dt.Timestamp(timezone="UTC"), dt.Timestamp()
    if typ.is_timestamp():
        if typ.timezone is None:
            return col
        return col.cast(naive)  # engines run in UTC (set on connecting)
    if typ.is_date():
        return col.cast(naive)
    text = col.cast("string")
    if engine_kind in _NO_TRY_CAST:
        parsed = ibis.ifelse(text.re_search(ISO_RE), text.cast(utc), ibis.null(utc))
    else:
        parsed = text.try_cast(utc)
    if engine_kind == "duckdb":
        # without an offset, a date-time reads the same as a plain TIMESTAMP (the session is
        # UTC), and DuckDB's time-zone-aware cast goes through ICU: 5x slower, 2 s of CPU in
        # grouping 10M views. The usual shapes are told by LIKE, 0.7 s less than the pattern
        # at 10M views: no offset fits them (tests/test_views_dates.py)
        plain = _shaped(text) | text.re_search(PLAIN_ISO_RE)
        return ibis.ifelse(plain, text.try_cast(naive), parsed.cast(naive))
    return parsed.cast(naive)


#: LIKE shapes of ISO 8601 without an offset: a date, a date and time to the second
PLAIN_SHAPES = ("____-__-__", "____-__-__T__:__:__", "____-__-__ __:__:__")


def _shaped(text: ir.StringValue) -> ir.BooleanValue:
    """Whether ``text`` has one of :data:`PLAIN_SHAPES`. Any character fills a ``_``, but no
    string of these lengths with the dashes and colons in place holds an offset or a zone
    name that DuckDB reads differently as TIMESTAMP and as TIMESTAMPTZ: whatever fills the
    slots, both casts agree (or both fail)."""
    out: ir.BooleanValue = text.like(PLAIN_SHAPES[1]) | text.like(PLAIN_SHAPES[2]) | \
        text.like(PLAIN_SHAPES[0])
    return out


def _first_bad(table: EngineTable, expr: ir.Table, bad: Any, column: str) -> tuple[str, Any]:
    """Where the first offending row is (a file's row number), and its value."""
    import ibis

    numbered = expr.mutate(_rn=ibis.row_number())
    hit = numbered.filter(bad(numbered)).order_by("_rn").limit(1)
    row = table.engine.to_pandas(hit[["_rn", column]], table.raw.role, table.ref)
    value = row[column].iloc[0] if len(row) else None
    if table.numbered and len(row):
        return table.raw.where(int(row["_rn"].iloc[0])), value
    return f"{table.raw.role} {table.ref.label}", value


# --- the queries, as ibis expressions (also compiled to each dialect by formfit.cells.sql) ----

def grouped(v: ir.Table, kind: str, segments: Sequence[str]) -> ir.Table:
    """Every distinct row of ``v`` once, with ``_n``, how often it occurs, reduced to what the
    later queries need (see :func:`projected`). One scan and one grouping: the file is parsed
    once, and exact copies (equal in every column, as DISTINCT decides) fall together."""
    g = v.group_by(list(v.columns)).aggregate(_n=v.count())
    return projected(g, kind, segments, carry=("_n",))


def projected(t: ir.Table, kind: str, segments: Sequence[str], carry: Sequence[str] = ()
              ) -> ir.Table:
    """Rows reduced to what the cells need: form_id, ts (naive UTC), segments (blank ->
    "(blank)"), session_id, converted (1 for a true word, 0 for a false word, else null),
    ``_dated`` (viewed_at not blank), and the columns ``carry`` as they are."""
    ts = parse_timestamp(t["viewed_at"], kind)
    if "_ts" in t.columns:  # dates in another format, parsed once per distinct value
        ts = ts.coalesce(t["_ts"])
    proj: dict[str, Any] = {
        "form_id": t["form_id"].cast("string"),
        "ts": ts,
        **{s: t[s].cast("string").fill_null(BLANK_SEGMENT) for s in segments},
    }
    if "session_id" in t.columns:
        proj["session_id"] = t["session_id"].cast("string")
    if "submitted" in t.columns:
        import ibis

        word = _flag_word(t)
        proj["converted"] = ibis.cases((word.isin(sorted(TRUE_WORDS)), 1),
                                       (word.isin(sorted(FALSE_WORDS)), 0),
                                       else_=ibis.null("int64")).cast("int64")
    proj["_dated"] = t["viewed_at"].notnull()
    return t.select(**proj, **{c: t[c] for c in carry})


def first_pass(g: ir.Table) -> ir.Table:
    """One row, from the grouped rows: rows read, values of viewed_at that are not dates,
    dates outside the years formfit reads, and whether any has a time of day (only then can
    exact copies be told from two views on one day)."""
    ts = g.ts
    return g.aggregate(
        n=_total(g._n),
        bad=_total(g._n, g._dated & ts.isnull()),
        outside=_total(g._n, _outside(ts)),
        timed=((ts.hour() != 0) | (ts.minute() != 0) | (ts.second() != 0)).any()
        .fill_null(False),
    )


def _total(w: ir.IntegerColumn, where: ir.BooleanValue | None = None) -> ir.IntegerScalar:
    """The sum of the weights ``w`` (of the rows where ``where`` holds): 0, never null, when no
    row counts (engines return null for an empty sum, and pandas turns it into NaN)."""
    return w.sum(where=where).fill_null(0)


def _outside(ts: ir.TimestampValue) -> ir.BooleanValue:
    """Timestamps outside the years formfit reads (placeholders such as 9999-12-31)."""
    return ts.notnull() & ((ts.year() < FIRST_DATE.year) | (ts.year() >= END_DATE.year))


def bad_flags(g: ir.Table) -> ir.Table:
    """One row: how many ``submitted`` values are not true/false words (blank included)."""
    return g.aggregate(n=_total(g._n, g.converted.isnull()))


def _flag_word(v: ir.Table) -> ir.StringValue:
    # values arrive trimmed (formfit.cells.files); no strip() here: see files.trimmed
    return v["submitted"].cast("string").lower()


def weighted(g: ir.Table, *, dedupe: bool) -> ir.Table:
    """The grouped rows with ``_w``, the rows each stands for: 1 when copies are dropped (they
    can be told apart), else every copy (two views on one day look alike)."""
    import ibis

    return g.mutate(_w=ibis.literal(1, "int64") if dedupe else g._n)


def _key_hash(t: ir.Table) -> ir.IntegerValue:
    """DuckDB's own ``hash(form_id, session_id)`` (UBIGINT, one value for each pair, null
    included): ibis's ``hash()`` casts through BIT to BIGINT, 0.3 s more at 13M rows. Only for
    plans run on DuckDB."""
    duckdb_hash = duckdb_function("hash", ["string", "string"], "uint64")
    out: ir.IntegerValue = duckdb_hash(t["form_id"].cast("string"),
                                       t["session_id"].cast("string"))
    return out


def _known(p: ir.Table, known_forms: Sequence[str]) -> ir.BooleanValue:
    import ibis

    return p.form_id.isin(list(known_forms)) if known_forms else ibis.literal(False)


def accounting(p: ir.Table, known_forms: Sequence[str]) -> ir.Table:
    """One row, from the weighted rows: rows kept after copies, and how many lack a form id,
    lack a date, or name an unknown form; ``valid`` rows go on to the cells."""
    known, placed = _known(p, known_forms), _placed(p)
    return p.aggregate(
        rows=_total(p._w),
        no_form=_total(p._w, p.form_id.isnull()),
        no_date=_total(p._w, p.form_id.notnull() & p.ts.isnull()),
        unknown=_total(p._w, placed & ~known),
        valid=_total(p._w, placed & known),
    )


def _placed(p: ir.Table) -> ir.BooleanValue:
    """A row with a form id and a date: valid if its form is known, else an unknown form's."""
    return p.form_id.notnull() & p.ts.notnull()


def _valid(p: ir.Table, known_forms: Sequence[str]) -> ir.Table:
    """The rows that go on to the cells."""
    return p.filter(_placed(p) & _known(p, known_forms))


def keyed(v: ir.Table) -> ir.Table:
    """``v`` with ``_h``, the :func:`_key_hash` of its (form_id, session_id)."""
    return v if "_h" in v.columns else v.mutate(_h=_key_hash(v))


def repeated_keys(v: ir.Table) -> ir.Table:
    """``_h``, the :func:`_key_hash` of each (form_id, session_id) held by more than one row
    of ``v`` (blank ids included). Only those rows can be copies or further views of a
    session; two pairs whose hashes collide just send their rows down the longer way."""
    import ibis

    h = keyed(v).select("_h")
    return h.group_by("_h").aggregate(_c=h.count()).filter(ibis._._c > 1).select("_h")


def keyed_part(v: ir.Table, repeated: ir.Table | None, *, shared: bool) -> ir.Table:
    """The rows of ``v`` whose (form_id, session_id) hash is in ``repeated`` (``shared``), or
    the other rows: every one of those is a distinct row, and a view of its own. No
    ``repeated`` (none is): no rows, or all of them."""
    if repeated is None:
        return v.limit(0) if shared else v
    k = keyed(v)
    on = k._h == repeated._h
    part = k.semi_join(repeated, on) if shared else k.anti_join(repeated, on)
    return part.drop("_h")


def single_cells(v: ir.Table, repeated: ir.Table | None, kind: str, segments: Sequence[str],
                 pairs: ir.Table | None) -> ir.Table:
    """The rows of ``v`` that are no session's second row nor a copy (see :func:`keyed_part`),
    grouped without a sort: (form_id, date, segments) -> ``n`` rows, of which ``bad`` have a
    viewed_at that is not ISO 8601, ``outside`` a date outside the years formfit reads, and
    ``submissions`` a (form, session) that submitted. Groups without a form id, a date or a
    known form are there too: the caller counts them out. Outside dates are left blank, so
    that no out-of-range date leaves the engine."""
    import ibis

    rows = projected(keyed_part(v, repeated, shared=False), kind, segments)
    rows = _converted(rows, pairs)
    out = _outside(rows.ts)
    keys = ["form_id", "date", *segments]
    dated = rows.mutate(date=ibis.ifelse(out, ibis.null("date"), rows.ts.date()),
                        _bad=(rows._dated & rows.ts.isnull()).cast("int64"),
                        _out=out.cast("int64"))
    return dated.group_by(keys).aggregate(n=dated.count(), bad=dated._bad.sum(),
                                          outside=dated._out.sum(),
                                          submissions=dated.converted.sum())


def _converted(rows: ir.Table, pairs: ir.Table | None) -> ir.Table:
    """``rows`` with ``converted``: 1 when ``pairs`` (submissions' (form_id, session_id),
    repeats allowed) holds the row's pair, else 0 (always 0 without pairs)."""
    import ibis

    if pairs is None:
        return rows.mutate(converted=ibis.literal(0, "int64"))
    hits = pairs.select("form_id", "session_id").distinct().mutate(
        _hit=ibis.literal(1, "int64"))
    joined = rows.left_join(hits, [rows.form_id == hits.form_id,
                                   rows.session_id == hits.session_id])
    return joined.select(*[joined[c] for c in rows.columns],
                         converted=joined._hit.fill_null(0))


def cells(p: ir.Table, known_forms: Sequence[str], segments: Sequence[str],
          pairs: ir.Table | None) -> ir.Table:
    """(form_id, date, segments) -> views, submissions from the valid rows of ``p``.

    With session ids and no flag, one (form, session) is one view, dated by its first row
    (by time, then segment values: any row order gives the same cells); it converted when
    ``pairs`` (the distinct (form_id, session_id) of submissions) holds it.
    """
    import ibis

    rows = _valid(p, known_forms)
    if "session_id" in rows.columns and "converted" not in rows.columns:
        rows = _converted(_first_rows(
            rows.select("form_id", "session_id", "ts", *segments, "_w"), segments), pairs)
    elif "converted" not in rows.columns:
        rows = rows.mutate(converted=ibis.literal(0, "int64"))
    keys = ["form_id", "date", *segments]
    return rows.mutate(date=rows.ts.date()).group_by(keys).aggregate(
        views=ibis._._w.sum(), submissions=(ibis._.converted * ibis._._w).sum()).order_by(keys)


def _first_rows(rows: ir.Table, segments: Sequence[str]) -> ir.Table:
    """Rows without a session id, and the first row of each (form, session), ranked by a
    window (so that the sort behind it carries no more columns than it must)."""
    import ibis

    w = ibis.window(group_by=[rows.form_id, rows.session_id],
                    order_by=[rows.ts, *[rows[s] for s in segments]])
    ranked = rows.mutate(_k=ibis.row_number().over(w))
    return ranked.filter(ranked.session_id.isnull() | (ranked._k == 0)).drop("_k")


# --- running them ------------------------------------------------------------------------------

def row_view_cells(table: EngineTable, *, segments: Sequence[str], known_forms: Sequence[str],
                   inferred: bool, session_pairs: pd.DataFrame | None) -> RowViewCells:
    """Group row-level views into cells (see the module docstring).

    ``session_pairs`` holds the (form_id, session_id) of every counted submission, repeats
    allowed: the engine takes the distinct pairs (None when the submissions carry no session
    ids).
    """
    try:
        return _row_view_cells(table, segments=segments, known_forms=known_forms,
                               inferred=inferred, session_pairs=session_pairs)
    finally:
        table.engine.drop_temporary()


@dataclass
class _Tally:
    """What a plan found: ``n`` rows read, ``rows`` left after copies, of which ``no_form``,
    ``no_date`` and ``unknown`` are left out and ``valid`` go on to the cells ``counts``."""

    n: int
    rows: int
    no_form: int
    no_date: int
    unknown: int
    valid: int
    counts: pd.DataFrame  # form_id, date, segments..., views, submissions (see _typed)
    unknown_ids: list[str]  # the first few unknown form ids, in order
    distinct: list[ir.Table]  # the rows after copies, in parts (for _no_matches)


def _row_view_cells(table: EngineTable, *, segments: Sequence[str],
                    known_forms: Sequence[str], inferred: bool,
                    session_pairs: pd.DataFrame | None) -> RowViewCells:
    import ibis
    import pyarrow as pa

    kind = table.engine.kind if table.ref.kind != "file" else "duckdb"
    v = table.mapped()
    has_session = "session_id" in v.columns
    has_flag = "submitted" in v.columns
    segs = list(segments)
    # handed over as Arrow: DuckDB reads the strings where they lie (from pandas it copied
    # them first, 0.4 s of the distinct pairs at 10M views)
    pairs = (ibis.memtable(pa.Table.from_pandas(session_pairs, preserve_index=False))
             if session_pairs is not None and has_session else None)
    tally = None
    if has_session and not has_flag and kind == "duckdb":  # measured on DuckDB alone
        tally = _by_key(table, v, kind, segs, known_forms, pairs)
    if tally is None:
        tally = _whole(table, v, kind, segs, known_forms, pairs)

    acc = Accounting(rows_read=tally.n)
    notices: list[Notice] = []
    acc.exclude("duplicate_row", tally.n - tally.rows)
    acc.exclude("missing_form_id", tally.no_form)
    acc.exclude("missing_date", tally.no_date)
    if tally.unknown:
        acc.exclude("unknown_form", tally.unknown)
        ids = redacted(tally.unknown_ids)
        why = ("have no submissions, so their fields are unknown (pass --forms to state them)"
               if inferred else "are not in the forms file")
        notices.append(Notice(
            "UNKNOWN_FORM",
            f"{tally.unknown:,} view rows are from form id(s) that {why} ({listing(ids)}); "
            "they are left out.",
            {"input": "views", "rows": tally.unknown, "form_ids": ids[:MAX_NAMES]}))
    if tally.no_date:
        notices.append(Notice(
            "MISSING_VIEW_DATES", f"{tally.no_date:,} view rows have a blank viewed_at "
            "and are left out.", {"input": "views", "rows": tally.no_date}))
    counts = tally.counts
    acc.exclude("repeat_view", tally.valid - int(counts["views"].sum()))
    converted_known = has_flag or pairs is not None
    if pairs is not None and not has_flag and not int(counts["submissions"].sum()) and \
            session_pairs is not None and len(session_pairs):
        notices.append(_no_matches(tally.distinct, session_pairs, table))
    return RowViewCells(counts, acc, notices, converted_known)


def _whole(table: EngineTable, v: ir.Table, kind: str, segs: list[str],
           known_forms: Sequence[str], pairs: ir.Table | None) -> _Tally:
    """Every row grouped (copies fall together), then counted and, with session ids, each
    session's first row found by a window over all of them: the plan for every engine."""
    engine, role, ref = table.engine, table.raw.role, table.ref
    g = engine.materialize(grouped(v, kind, segs), role, ref)
    head = engine.to_pandas(first_pass(g), role, ref).iloc[0]
    _refuse_outside(table, v, kind, int(head["outside"] or 0))
    dates = _other_date_format(table, v, kind) if int(head["bad"] or 0) else None
    timed = bool(head["timed"]) or (dates is not None and bool(
        (dates["_ts"].dt.normalize() != dates["_ts"]).any()))
    if dates is not None:  # rare: group again, with the dates read in their format
        v = _with_dates(v, dates, kind)
        g = engine.materialize(grouped(v, kind, segs), role, ref)
    if "submitted" in v.columns:
        n_badflag = int(engine.to_pandas(bad_flags(g), role, ref)["n"].iloc[0] or 0)
        if n_badflag:
            _bad_flag(table, v, n_badflag)
    p = weighted(g, dedupe="session_id" in v.columns or timed)
    return _tally(table, p, int(head["n"] or 0), known_forms, segs, pairs)


def _tally(table: EngineTable, p: ir.Table, n: int, known_forms: Sequence[str],
           segs: list[str], pairs: ir.Table | None) -> _Tally:
    """The accounting and the cells of the weighted rows ``p`` (``n`` rows read)."""
    engine, role, ref = table.engine, table.raw.role, table.ref
    st = engine.to_pandas(accounting(p, known_forms), role, ref).iloc[0]
    unknown = int(st["unknown"] or 0)
    ids: list[str] = []
    if unknown:
        ids_q = p.filter(_placed(p) & ~_known(p, known_forms)).form_id.name(
            "form_id").as_table().distinct().order_by("form_id").limit(MAX_NAMES * 5)
        ids = engine.to_pandas(ids_q, role, ref)["form_id"].astype(str).tolist()
    counts = _typed(engine.to_pandas(cells(p, known_forms, segs, pairs), role, ref),
                    ["form_id", "date", *segs])
    return _Tally(n, int(st["rows"]), int(st["no_form"] or 0), int(st["no_date"] or 0),
                  unknown, int(st["valid"] or 0), counts, ids, [p])


def _by_key(table: EngineTable, v: ir.Table, kind: str, segs: list[str],
            known_forms: Sequence[str], pairs: ir.Table | None) -> _Tally | None:
    """The same tally as :func:`_whole`, with session ids and no flag, without grouping every
    row. Rows whose (form_id, session_id) no other row holds (:func:`repeated_keys`) are
    distinct and each its session's only row: they are counted into cells straight from the
    scan (:func:`single_cells`). Only the other rows, usually few, are grouped and ranked as
    :func:`_whole` does. None when some viewed_at is not ISO 8601: :func:`_whole` reads those.

    Counting the 10M views of the benchmark's world, each its own session: 4.7 s against
    8.6 s (grouping every row into a temporary table was 4.8 s of them); with 5% of the
    sessions viewed twice, 9.0 s against 10.9 s; with 30%, 15.3 s against 15.4 s."""
    engine, role, ref = table.engine, table.raw.role, table.ref
    keys = ["form_id", "date", *segs]
    found = engine.materialize(repeated_keys(v), role, ref)
    repeated: ir.Table | None = None
    rows = v
    if engine.run(lambda: int(found.count().execute()), role, ref):
        # rows split in two: the file is scanned and parsed once for both parts, not twice
        # (at 10M views with 5% of sessions repeated: 6.1 s against 8.4 s)
        repeated, rows = found, engine.materialize(keyed(v), role, ref)
    singles = engine.to_pandas(single_cells(rows, repeated, kind, segs, pairs), role, ref)
    rest: _Tally | None = None
    g, head = None, pd.Series({"n": 0, "bad": 0, "outside": 0})
    if repeated is not None:
        g = engine.materialize(grouped(keyed_part(rows, repeated, shared=True), kind, segs),
                               role, ref)
        head = engine.to_pandas(first_pass(g), role, ref).iloc[0].fillna(0)
    _refuse_outside(table, v, kind, int(singles["outside"].sum()) + int(head["outside"]))
    if int(singles["bad"].sum()) + int(head["bad"]):
        return None
    if g is not None:
        rest = _tally(table, weighted(g, dedupe=True), int(head["n"]), known_forms, segs,
                      pairs)

    form, n = singles["form_id"], singles["n"].astype("int64")
    placed = form.notna() & singles["date"].notna()
    known = form.isin(list(known_forms))
    valid = singles[placed & known].rename(columns={"n": "views"})
    counts = _typed(valid[[*keys, "views", "submissions"]], keys)
    ids = sorted(set(form[placed & ~known].astype(str)))
    single_rows = projected(keyed_part(rows, repeated, shared=False), kind, segs)
    mine = _Tally(int(n.sum()), int(n.sum()), int(n[form.isna()].sum()),
                  int(n[form.notna() & ~placed].sum()), int(n[placed & ~known].sum()),
                  int(n[placed & known].sum()), counts, ids, [single_rows])
    return mine if rest is None else _plus(mine, rest, keys)


def _plus(a: _Tally, b: _Tally, keys: list[str]) -> _Tally:
    """Two tallies of disjoint rows as one."""
    both = pd.concat([a.counts, b.counts], ignore_index=True)
    counts = both.groupby(keys, sort=True, dropna=False).agg(
        views=("views", "sum"), submissions=("submissions", "sum")).reset_index()
    return _Tally(a.n + b.n, a.rows + b.rows, a.no_form + b.no_form, a.no_date + b.no_date,
                  a.unknown + b.unknown, a.valid + b.valid, _typed(counts, keys),
                  sorted(set(a.unknown_ids) | set(b.unknown_ids))[:MAX_NAMES * 5],
                  a.distinct + b.distinct)


def _refuse_outside(table: EngineTable, v: ir.Table, kind: str, n_outside: int) -> None:
    """An error naming the first row whose viewed_at is outside the years formfit reads."""
    if not n_outside:
        return
    where, value = _first_bad(table, v, lambda t: _outside(parse_timestamp(
        t["viewed_at"], kind)), "viewed_at")
    raise InputError(
        f"{where}: viewed_at {shown(value, 'viewed_at')} is outside the years formfit "
        f"reads ({FIRST_DATE.year} to {END_DATE.year - 1}; {rows_text(n_outside)}). "
        f"({table.raw.convention}.)",
        "A placeholder date such as 9999-12-31 means 'unknown': leave the cell blank "
        "instead.")


MAX_DISTINCT_DATES = 500_000


def _other_date_format(table: EngineTable, v: ir.Table, kind: str) -> pd.DataFrame:
    """viewed_at values that are not ISO 8601, read in the one format the column is written in
    (the user's --date-format, the preset's, else detected by formfit.io.dates from the distinct
    values): a (viewed_at, _ts) table, or a clear error naming a row."""
    from formfit.io.dates import (
        SERIAL_HINT,
        SERIAL_NOTE,
        XLSX_SERIAL_HINT,
        AmbiguousDates,
        DateFormatError,
        MixedDates,
        detect_date_format,
        looks_like_serial,
    )
    from formfit.io.values import is_workbook, parse_in_format

    engine, role, ref = table.engine, table.raw.role, table.ref
    failed = v.filter(v["viewed_at"].notnull() & parse_timestamp(v["viewed_at"], kind).isnull())
    # ordered, so that the example a message names does not depend on the engine's whims
    q = failed.select(viewed_at=failed["viewed_at"].cast("string")).distinct().order_by(
        "viewed_at").limit(MAX_DISTINCT_DATES + 1)
    uniq = engine.to_pandas(q, role, ref)["viewed_at"].astype("str").reset_index(drop=True)

    def fail(value: str, why: str, hint: str = DATE_HINT) -> InputError:
        where, _ = _first_bad(table, v, lambda t: t["viewed_at"].cast("string") == value,
                              "viewed_at")
        return InputError(f"{where}: viewed_at {shown(value, 'viewed_at')} {why}. "
                          f"({table.raw.convention}.)", hint)

    if len(uniq) > MAX_DISTINCT_DATES:
        raise fail(uniq.iloc[0], f"is not an ISO 8601 date, and the column holds more than "
                   f"{MAX_DISTINCT_DATES:,} such values")
    fmt = table.raw.date_formats.get("viewed_at") or table.raw.date_format
    if not fmt:
        try:
            fmt = detect_date_format(uniq.tolist(), excel=is_workbook(table.raw))
        except AmbiguousDates as exc:
            raise fail(exc.example, "could be day/month or month/day, and no date in the "
                       "column tells which", "Say which with --date-format '%d/%m/%Y' (day "
                       "first) or --date-format '%m/%d/%Y' (month first), or with "
                       "`date_format:` in the config file.") from None
        except MixedDates as exc:
            raise fail(exc.example, f"is not written as the column's other dates: {exc}",
                       MIXED_HINT) from None
        except DateFormatError as exc:
            if looks_like_serial(exc.example):
                raise fail(exc.example, "is not a date" + SERIAL_NOTE,
                           XLSX_SERIAL_HINT if is_workbook(table.raw) else SERIAL_HINT) from None
            raise fail(exc.example, "is not a date") from None
    parsed = parse_in_format(uniq, fmt)
    bad = parsed.isna().to_numpy()
    if bad.any():
        n_bad = int(bad.sum())
        more = f" ({n_bad:,} distinct values are not dates)" if n_bad > 1 else ""
        raise fail(uniq[bad].iloc[0], f"is not a date in the format '{fmt}'{more}")
    ts = parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return pd.DataFrame({"viewed_at": uniq, "_ts": ts})


def _with_dates(v: ir.Table, dates: pd.DataFrame, kind: str) -> ir.Table:
    """``v`` with the column ``_ts``: viewed_at read through the mapping of distinct values."""
    import ibis

    mapping = ibis.memtable(dates.rename(columns={"viewed_at": "_raw"}))
    joined = v.left_join(mapping, v["viewed_at"].cast("string") == mapping["_raw"])
    return joined.select(*[joined[c] for c in v.columns], _ts=joined["_ts"])


def _typed(counts: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame({
        k: (pd.to_datetime(counts[k]).astype("datetime64[ns]") if k == "date"
            else counts[k].astype("str")) for k in keys})
    out["views"] = counts["views"].astype("int64")
    out["submissions"] = counts["submissions"].fillna(0).astype("int64")
    return out.sort_values(list(keys), kind="mergesort").reset_index(drop=True)


def _no_matches(parts: list[ir.Table], pairs: pd.DataFrame, table: EngineTable) -> Notice:
    """Why no view converted: sessions that match on another form, or none at all. ``parts``:
    the view rows after copies, in disjoint tables."""
    import ibis

    sessions = ibis.memtable(pd.DataFrame({"session_id": pd.unique(pairs["session_id"])}))

    def matches(part: ir.Table) -> int:
        hit = part.filter(part.session_id.isin(sessions.session_id))
        return table.engine.run(lambda: int(hit.count().execute()), table.raw.role,
                                table.ref)

    by_session = sum(matches(part) for part in parts)
    why = ("session ids match but on other form ids: check that both files spell the form ids "
           "alike" if by_session else
           "no view's session_id appears in the submissions: check that both exports hold the "
           "same session ids")
    return Notice("NO_SESSION_MATCHES", f"Every view counts as not converted: {why}.",
                  {"input": "views", "session_matches": by_session})


def _bad_flag(table: EngineTable, v: ir.Table, n_bad: int) -> None:
    words = sorted(TRUE_WORDS | FALSE_WORDS)

    def bad(t: ir.Table) -> Any:
        return ~_flag_word(t).isin(words).fill_null(False)

    where, _ = _first_bad(table, v, bad, "submitted")
    distinct_q = _flag_word(v.filter(bad(v))).name(
        "value").as_table().distinct().order_by("value").limit(10)
    found = table.engine.to_pandas(distinct_q, table.raw.role, table.ref)["value"]
    values = ", ".join(dict.fromkeys(quoted(x) for x in found.dropna().tolist())) or "blank cells"
    raise InputError(
        f"{where}: submitted must be true/false (also 1/0, yes/no); found {values} in "
        f"{n_bad:,} rows. ({table.raw.convention}.)",
        "Fix those cells, or map a different column to submitted.")
