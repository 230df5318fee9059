"""Read, map, validate and account for every input: files -> :class:`formfit.inputs.Inputs`.

``load_inputs(settings)`` is the one entry point. It reads each file (any supported format and
encoding), renames columns to contract names, decides the lead key, loads submissions, views
and outcomes in that order (views and outcomes need the analysed leads), and collects coded
warnings. Bad input raises :class:`formfit.errors.InputError`, whose message names the file,
the row or column, and the fix.

Exclusion reasons in ``Inputs.accounting`` (``rows_read == rows_used + sum(excluded)``):
    duplicate_row       an exact copy of an earlier row (export glitch; one copy is kept)
    missing_lead_key    blank lead_id / email
    missing_form_id     blank form_id
    unknown_form        a form id the forms file does not list (views: or, without a forms
                        file, a form with no submissions)
    repeat_submission   a lead's later submission (its first one is analysed)
    missing_date        a view row with a blank viewed_at / date
    repeat_view         a further row of the same (form_id, session_id): one session is one view
    no_matching_lead    a deal whose key (any of its keys, when a preset splits the key column)
                        matches no analysed lead
    not_a_form_fill     (a preset's row filter: Marketo) an activity other than a form fill

Notice codes: NO_SUBMISSION_DATES, MISSING_SUBMISSION_DATES, FORMS_INFERRED, EMPTY_COLUMNS,
UNKNOWN_FORM, FIELD_NOT_IN_DATA, COLUMN_NOT_A_FIELD, FORM_WITHOUT_DATA, MISSING_VIEW_DATES,
CONVERSION_FROM_SUBMISSIONS, NO_SESSION_MATCHES, UNMATCHED_OUTCOMES, SHARED_DEALS,
NO_FORM_FIELDS, SETTING_NOT_USED, SESSIONS_MAY_MERGE, SESSION_KEYS_DIFFER (a preset's
``session_key``: formfit.io.sessions).
Each carries its counts in ``details`` (``input``, ``rows``, ``columns``, ``form_ids`` ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formfit.cells.engine import Engine, ScanFailed
from formfit.cells.url import InputRef, parse_input
from formfit.config import Settings
from formfit.errors import UsageError
from formfit.inputs import FormsConfig, Inputs, Notice
from formfit.io.columns import fold, map_columns, not_form_like, require
from formfit.io.forms import read_forms_file
from formfit.io.outcomes import load_outcomes
from formfit.io.presets import (
    apply_preset,
    drop_footer_rows,
    load_preset,
    prepare_table,
    preset_column_map,
)
from formfit.io.readers import RawTable, read_table
from formfit.io.sessions import SessionKeys, apply_session_key
from formfit.io.submissions import LeadKey, apply_constants, load_submissions
from formfit.io.views import load_views
from formfit.limits import using
from formfit.progress import stage

if TYPE_CHECKING:
    from formfit.cells.files import EngineTable

__all__ = ["load_inputs"]


def _read(ref: Path | str | None, role: str, settings: Settings, engine: Engine) -> RawTable:
    """Submissions and deals: every row is needed (one per lead or deal), so a file is read by
    formfit's readers, an engine input is fetched, and a DataFrame is taken as it is."""
    from formfit.cells.files import engine_table

    obj = settings.frame(role)
    if obj is not None:  # a DataFrame or Arrow table from the library API
        from formfit.io.frames import frame_table

        return frame_table(obj, role)
    assert ref is not None
    source = parse_input(ref, role)
    with stage(f"Reading {role} ({source.label})"):
        if source.kind == "file":
            return read_table(source.path, role)
        return engine_table(engine, source, role).to_raw_table()


def _scan_views(ref: Path | str | None, settings: Settings, engine: Engine,
                read_whole: InputRef | None = None) -> EngineTable:
    """Views stay where they are: a file is scanned by the embedded DuckDB, an engine input is
    queried in its engine; only cells come back (formfit.cells.views)."""
    from formfit.cells.files import engine_table, from_raw_table, scan_file

    obj = settings.frame("views")
    if obj is not None:  # a DataFrame or Arrow table from the library API
        from formfit.io.frames import frame_table

        raw = frame_table(obj, "views")
        return from_raw_table(engine, raw, parse_input(str(raw.path), "views"))
    assert ref is not None
    source = parse_input(ref, "views")
    with stage(f"Scanning views ({source.label})"):
        if source.kind == "file":
            return scan_file(engine, source, "views", scan=source != read_whole)
        return engine_table(engine, source, "views")


def choose_key(subs: RawTable, outcomes: RawTable | None,
               hints: Mapping[str, str] | None = None) -> LeadKey:
    """lead_id when both inputs have it; email when only email is shared; else a clear error
    (with ``hints``, a preset's advice per missing column).

    With lead_id, rows whose lead_id is blank fall back to their email where both inputs
    carry an email column (without outcomes: where the submissions do), so that the leads
    analysed do not depend on whether outcomes were given when the deals can follow them."""
    cols = set(subs.frame.columns)
    has_id, has_email = "lead_id" in cols, "email" in cols
    if outcomes is None:
        if has_id or not has_email:
            return LeadKey("lead_id", email_fallback=has_id and has_email)
        return LeadKey("email")
    out = set(outcomes.frame.columns)
    if has_id and "lead_id" in out:
        return LeadKey("lead_id", email_fallback=has_email and "email" in out)
    if has_email and "email" in out:
        return LeadKey("email")
    if has_id or has_email:
        # name the key the submissions can offer, so the error shows how to map it
        require(outcomes, [("lead_id", "email") if has_id and has_email
                           else ("lead_id" if has_id else "email")], extra_hint=hints)
    return LeadKey("lead_id")


VIEW_COLUMNS = frozenset({"form_id", "viewed_at", "date", "session_id", "submitted", "views",
                          "submissions", "view_id", "lead_id", "email"})


def _likely_segments(views: RawTable, fields: Iterable[str], settings: Settings) -> list[Notice]:
    """Columns that views and submissions both carry but that were not declared segments: a
    form does not show a field to people who only view it, so these are probably segments
    (device, channel) that are being analysed as form fields."""
    extra = set(views.frame.columns) - VIEW_COLUMNS - set(settings.segments)
    both = sorted(extra & set(fields))
    if not both:
        return []
    flags = " ".join(f"--segment {c}" for c in both)
    return [Notice("LIKELY_SEGMENT",
                   f"{', '.join(both)} appear in both views and submissions, so they describe "
                   f"the visit rather than answers on the form, yet they are analysed as form "
                   f"fields. If they are segments, pass {flags}.", {"columns": both})]


def load_inputs(settings: Settings, backend: object = None) -> Inputs:
    """Load every input named in ``settings`` into validated, accounted-for frames.

    ``backend`` is an ibis backend a library caller already holds (used instead of
    ``settings.engine``)."""
    if settings.submissions is None and settings.frame("submissions") is None:
        raise UsageError("no submissions file given.",
                         "Pass --submissions FILE; views, outcomes and forms are optional.")
    with using(settings.limits):
        forms_file = read_forms_file(settings.forms) if settings.forms is not None else None
    if backend is None and settings.engine is not None and not isinstance(settings.engine, str):
        backend = settings.engine  # an ibis backend handed to the library
    url = settings.engine if isinstance(settings.engine, str) else None
    engine = Engine(url, backend=backend)
    try:
        with using(settings.limits):
            try:
                return _load(settings, forms_file, engine)
            except ScanFailed as failed:
                # rare: DuckDB met a bad row far into a file it scanned; read everything
                # again, that file by formfit's reader (which names the row, or reads it)
                engine.close()
                engine = Engine(url, backend=backend)
                return _load(settings, forms_file, engine, read_whole=failed.ref)
    finally:
        engine.close()


def _given(settings: Settings, role: str) -> bool:
    return getattr(settings, role) is not None or settings.frame(role) is not None


def _load(settings: Settings, forms_file: FormsConfig | None, engine: Engine,
          read_whole: InputRef | None = None) -> Inputs:
    subs_raw = _read(settings.submissions, "submissions", settings, engine)
    views_tab = (_scan_views(settings.views, settings, engine, read_whole)
                 if _given(settings, "views") else None)
    views_raw = views_tab.raw if views_tab is not None else None
    out_raw = (_read(settings.outcomes, "outcomes", settings, engine)
               if _given(settings, "outcomes") else None)

    used_map: set[str] = set()
    notices: list[Notice] = []
    tables = [t for t in (subs_raw, views_raw, out_raw) if t is not None]
    for table in tables:
        drop_footer_rows(table)  # report footers ("Grand Totals (N records)") are not rows
        table.date_format = settings.date_format
        cmap = list(settings.column_map)
        if settings.preset is not None:
            preset = load_preset(settings.preset)
            if table is not views_raw:  # views are scanned where they are, never row by row
                notices.extend(prepare_table(preset, table))
            cmap = preset_column_map(preset, table.frame.columns, settings.column_map,
                                     table.role) + cmap
        used_map |= map_columns(table, cmap, settings.segments)
    settings = apply_preset(settings, tables)
    sessions = (apply_session_key(load_preset(settings.preset), subs_raw, views_tab)
                if settings.preset is not None else SessionKeys())
    notices.extend(sessions.notices)
    apply_constants(subs_raw, settings.constants, settings.segments,
                    f"`constants:` in config file {settings.config.name}"
                    if settings.config is not None else "constants")
    key = choose_key(subs_raw, out_raw, dict(load_preset(settings.preset).role("outcomes").hints)
                     if settings.preset is not None else None)

    with stage("Checking submissions"):
        subs = load_submissions(subs_raw, settings, forms_file, key)
    notices.extend(subs.notices)
    notices.extend(not_form_like(subs.frame, subs.fields, subs_raw.original))
    accounting = {"submissions": subs.accounting}

    # the outcomes are joined first, so that their raw rows are gone before the engine
    # counts the views (the peak memory); notices and accounting keep the inputs' order
    deals = None
    outcomes = None
    if out_raw is not None:
        with stage("Joining outcomes"):
            outcomes = load_outcomes(out_raw, settings, key, subs.frame["lead_key"],
                                     subs.frame["submitted_at"])
        out_raw.drop_rows()
        deals = outcomes.deals

    view_counts = None
    view_level = None
    if views_raw is not None:
        notices.extend(_likely_segments(views_raw, subs.fields, settings))
        assert views_tab is not None
        with stage("Counting views"):
            views = load_views(views_tab, settings, subs.forms, subs,
                               join_sessions=sessions.join)
            engine.close()  # every input is read: the engine's memory goes back now
        view_counts, view_level = views.counts, views.level
        accounting["views"] = views.accounting
        notices.extend(views.notices)

    if outcomes is not None:
        accounting["outcomes"] = outcomes.accounting
        notices.extend(outcomes.notices)

    notices.extend(_unused_settings(settings, used_map,
                                    [t for t in (subs_raw, views_raw, out_raw) if t is not None]))
    if forms_file is not None:
        notices.extend(_forms_without_data(subs.frame, view_counts, list(forms_file.forms)))
    segments = tuple(s for s in settings.segments
                     if s in subs.frame.columns or (view_counts is not None
                                                    and s in view_counts.columns))
    as_of = settings.as_of
    if as_of is None:
        as_of, late = latest_date(subs.frame, view_counts, deals)
        notices.extend(late)
    else:
        notices.extend(_after_as_of(as_of, subs.frame, view_counts, deals))
    return Inputs(
        submissions=subs.frame, fields=subs.fields, forms=subs.forms,
        view_counts=view_counts, view_level=view_level, deals=deals, segments=segments,
        accounting=accounting, notices=notices,
        as_of=as_of,
    )


def _after_as_of(as_of: date, submissions: pd.DataFrame, view_counts: pd.DataFrame | None,
                 deals: pd.DataFrame | None) -> list[Notice]:
    """A notice when a given as-of date lies before data in the inputs: the exports were
    taken later than it says. Leads after it are held out of the win measures, but views
    and conversions after it still count, and deals closed after it read as open."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    parts: list[str] = []
    counts: dict[str, int] = {}
    n_subs = int((pd.to_datetime(submissions["submitted_at"]) >= end).sum())
    if n_subs:
        parts.append(f"{n_subs:,} submissions")
        counts["submissions"] = n_subs
    if view_counts is not None and len(view_counts):
        late = pd.to_datetime(view_counts["date"]) >= end
        n_views = int(view_counts["views"][late].sum())
        if n_views:
            parts.append(f"{n_views:,} views")
            counts["views"] = n_views
    if deals is not None and len(deals):
        dated = pd.DataFrame({c: pd.to_datetime(deals[c]) for c in ("created_at", "closed_at")})
        n_deals = int((dated >= end).any(axis=1).sum())
        if n_deals:
            parts.append(f"{n_deals:,} deals")
            counts["deals"] = n_deals
    if not parts:
        return []
    return [Notice(
        "DATA_AFTER_AS_OF",
        f"The as-of date {as_of} lies before {', '.join(parts)} dated after it: the exports "
        "were taken later. Leads submitted after it are held out of the win measures and deals "
        "closed after it count as open, but views and conversions after it are still counted. "
        "Give the date the exports were taken as --as-of (or leave it out: the latest date in "
        "the data is used).",
        {"as_of": str(as_of), **counts})]


#: a date this far past the 99th percentile of its column is a typo or a placeholder, not
#: the export date (one row dated 2031 moved as_of, and with it every lead's age, to 2031)
OUTLIER_DAYS = 60


def latest_date(submissions: pd.DataFrame, view_counts: pd.DataFrame | None,
                deals: pd.DataFrame | None) -> tuple[date | None, list[Notice]]:
    """The latest date in any input (submitted_at, view dates, created_at, closed_at of closed
    deals), leaving out dates far beyond the rest of their column, with a notice naming them.

    An open deal's close date is a forecast (HubSpot fills one in automatically), not a date
    the data have reached, so it does not count."""
    columns: list[tuple[str, pd.Series]] = [("submissions submitted_at",
                                             submissions["submitted_at"])]
    if view_counts is not None and len(view_counts):
        columns.append(("views dates", view_counts["date"]))
    if deals is not None and len(deals):
        closed = deals["outcome"].astype("str").isin(["won", "lost"])
        columns += [("outcomes created_at", deals["created_at"]),
                    ("outcomes closed_at", deals["closed_at"].where(closed))]
    latest: list[pd.Timestamp] = []
    notices: list[Notice] = []
    for label, col in columns:
        values = pd.to_datetime(col).dropna()
        if values.empty:
            continue
        p99 = np.quantile(values.to_numpy(dtype="datetime64[ns]").astype("int64"), 0.99)
        cutoff = pd.Timestamp(int(p99)) + pd.Timedelta(days=OUTLIER_DAYS)
        late = values[values > cutoff]
        if len(values) >= 100 and len(late):
            latest.append(pd.Timestamp(values[values <= cutoff].max()))
            notices.append(Notice(
                "LATE_DATE_OUTLIER",
                f"{len(late):,} {label} value(s) lie more than {OUTLIER_DAYS} days after almost "
                f"all others (latest {pd.Timestamp(late.max()).date()}); they do not set the "
                "as-of date. Check them, or give --as-of.",
                {"input": label.split()[0], "rows": int(len(late)),
                 "latest": str(pd.Timestamp(late.max()).date())}))
        else:
            latest.append(pd.Timestamp(values.max()))
    return (max(latest).date() if latest else None), notices


def _unused_settings(settings: Settings, used_map: set[str],
                     tables: list[RawTable]) -> list[Notice]:
    """Map entries and ignore names that match no column are probably typos: say so."""
    all_cols = {fold(c) for t in tables for c in (*t.frame.columns, *t.original.values())}
    stale_map = [old for old, new in settings.column_map
                 if fold(old) not in used_map and fold(old) != fold(new)]
    stale_ignore = [c for c in settings.ignore_columns if fold(c) not in all_cols]
    if not stale_map and not stale_ignore:
        return []
    parts = []
    if stale_map:
        parts.append(f"column map entries {stale_map}")
    if stale_ignore:
        parts.append(f"ignored columns {stale_ignore}")
    return [Notice("SETTING_NOT_USED",
                   f"{' and '.join(parts)} match no column in any input (check the spelling).",
                   {"map": stale_map, "ignore": stale_ignore})]


def _forms_without_data(subs: pd.DataFrame, view_counts: pd.DataFrame | None,
                        form_ids: Iterable[str]) -> list[Notice]:
    seen = set(subs["form_id"].unique().tolist())
    if view_counts is not None:
        seen |= set(view_counts["form_id"].unique().tolist())
    missing = sorted(f for f in form_ids if f not in seen)
    if not missing:
        return []
    return [Notice("FORM_WITHOUT_DATA",
                   f"{len(missing)} form(s) in the forms file have no submissions and no views "
                   "in the inputs.", {"form_ids": missing[:20], "count": len(missing)})]
