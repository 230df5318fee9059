"""Views: row-level or daily counts, both aggregated to ``Inputs.view_counts``.

Row level (one row per view: form_id, viewed_at, optional session_id, submitted, segments) is
aggregated here to (form_id, day, segments) with views and submissions; an export that already
holds daily counts (detected by a ``views`` column) is validated and summed to the same cells.
A view converted when its ``submitted`` flag is set; else when a submission carries its
session_id; else submissions are counted per form and day from the submissions file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from formfit.config import Settings
from formfit.errors import InputError
from formfit.inputs import Accounting, FormsConfig, Notice
from formfit.io.columns import BLANK_SEGMENT, listing, require
from formfit.io.readers import RawTable
from formfit.io.submissions import SubmissionsLoad
from formfit.io.table import duplicated_rows
from formfit.io.values import blank_to_na, parse_dates, parse_numbers, redacted

if TYPE_CHECKING:
    from formfit.cells.files import EngineTable

MAX_NAMES = 20
MAX_CELLS_LISTED = 5


@dataclass
class ViewsLoad:
    counts: pd.DataFrame
    level: Literal["row", "aggregated"]
    accounting: Accounting
    notices: list[Notice] = field(default_factory=list)


def load_views(table: RawTable | EngineTable, settings: Settings, forms: FormsConfig,
               subs: SubmissionsLoad, *, join_sessions: bool = True) -> ViewsLoad:
    """Validate and account for a views export and return counts per (form, day, segments).

    ``join_sessions=False``: the submissions' session ids are not keyed as the views' are
    (formfit.io.sessions), so submissions are counted from their file instead.

    Row-level views are grouped where they are held (:mod:`formfit.cells.views`); daily counts
    are already cells, so they are fetched and checked here.
    """
    header = table if isinstance(table, RawTable) else table.raw
    aggregated = "views" in header.frame.columns
    segments = list(settings.segments)
    hints = {s: f"Segments ({', '.join(segments)}) are declared with --segment or `segments:` "
                "in the config, so the views must carry them." for s in segments}
    if aggregated:
        require(header, ["form_id", "date", "views", *segments], extra_hint=hints)
    else:
        hints["viewed_at"] = ("A views file holds one row per view (form_id, viewed_at) or "
                              "daily counts (form_id, date, views, submissions).")
        require(header, ["form_id", "viewed_at", *segments], extra_hint=hints)
    if not aggregated:
        return _row_level(None if isinstance(table, RawTable) else table, header, settings,
                          forms, subs, join_sessions)
    if not isinstance(table, RawTable):
        table = table.to_raw_table()
    df = table.frame
    acc = Accounting(rows_read=len(df))
    notices: list[Notice] = []
    when = parse_dates(table, "date")
    form_id = blank_to_na(df["form_id"])
    seg_values = {s: blank_to_na(df[s]).fillna(BLANK_SEGMENT) for s in segments}

    # an exact copy of another row (every column equal, undeclared ones too) is an export
    # glitch, as in every other input: counted once, not twice. Rows of one (form, day) that
    # differ anywhere (a column that splits them, other counts) are summed.
    dup = duplicated_rows(df)
    acc.exclude("duplicate_row", int(dup.sum()))
    keep = ~dup
    no_form = keep & form_id.isna().to_numpy()
    acc.exclude("missing_form_id", int(no_form.sum()))
    keep &= ~no_form
    no_date = keep & when.isna().to_numpy()
    acc.exclude("missing_date", int(no_date.sum()))
    keep &= ~no_date
    known = np.asarray(form_id.isin(list(forms.forms)).to_numpy(), dtype=bool)
    unknown = keep & ~known
    if unknown.any():
        ids = redacted(form_id[unknown].unique().tolist())
        acc.exclude("unknown_form", int(unknown.sum()))
        why = ("have no submissions, so their fields are unknown (pass --forms to state them)"
               if forms.inferred else "are not in the forms file")
        notices.append(Notice(
            "UNKNOWN_FORM",
            f"{int(unknown.sum()):,} view rows are from form id(s) that {why} "
            f"({listing(ids)}); they are left out.",
            {"input": "views", "rows": int(unknown.sum()), "form_ids": ids[:MAX_NAMES]}))
    keep &= known
    if no_date.any():
        notices.append(Notice(
            "MISSING_VIEW_DATES", f"{int(no_date.sum()):,} view rows have a blank date "
            "and are left out.", {"input": "views", "rows": int(no_date.sum())}))

    cells = pd.DataFrame({"form_id": form_id[keep].astype("str"),
                          "date": when[keep].dt.normalize()})
    for s in segments:
        cells[s] = seg_values[s][keep].astype("str")
    keys = ["form_id", "date", *segments]
    views = parse_numbers(table, "views", counts=True)
    cells["views"] = views[keep]
    if "submissions" in df.columns:
        subs_n = parse_numbers(table, "submissions", counts=True)
        over = (subs_n > views).to_numpy()
        if over.any():
            raise _over_rows_error(table, np.flatnonzero(over), views, subs_n)
        cells["submissions"] = subs_n[keep]
        counts = _sum_cells(cells, keys)
        notices.extend(_conversions_differ(counts, subs.all_submissions))
    else:
        counts = _sum_cells(cells, keys)
        counts = _from_submissions(counts, subs, keys, table, notices)
    return ViewsLoad(counts, "aggregated", acc, notices)


def _row_level(table: EngineTable | None, header: RawTable, settings: Settings,
               forms: FormsConfig, subs: SubmissionsLoad, join_sessions: bool = True
               ) -> ViewsLoad:
    """Row-level views, grouped into cells in the engine that holds them."""
    from formfit.cells.views import row_view_cells

    if table is None:  # a RawTable handed in directly (library callers, tests)
        from formfit.cells.engine import Engine
        from formfit.cells.files import from_raw_table
        from formfit.cells.url import InputRef

        table = from_raw_table(Engine(), header, InputRef("file", str(header.path)))
    all_subs = subs.all_submissions
    pairs = None
    if "session_id" in all_subs.columns and join_sessions:
        # repeated pairs stay: the engine takes the distinct ones (pandas' drop_duplicates held
        # 0.4 GB at 2.3M submissions, just before the engine's own peak)
        pairs = all_subs[["form_id", "session_id"]].dropna().astype("str").reset_index(
            drop=True)
    got = row_view_cells(table, segments=list(settings.segments), known_forms=list(forms.forms),
                         inferred=forms.inferred, session_pairs=pairs)
    counts = got.counts
    notices = list(got.notices)
    if not got.converted_known:
        keys = ["form_id", "date", *settings.segments]
        try:
            counts = _from_submissions(counts, subs, keys, header, notices)
        except InputError as err:
            if join_sessions or "session_id" not in all_subs.columns:
                raise
            # the submissions have session ids, keyed unlike the views' (SESSION_KEYS_DIFFER)
            raise InputError(err.message, f"{err.hint} Or export the views' other session "
                             "key columns (GA4: user_pseudo_id) with the submissions, so that "
                             "they are linked to views by session.") from None
    notices.extend(_fewer_views_than_submissions(counts, all_subs))
    return ViewsLoad(counts, "row", got.accounting, notices)


def _subs_in_views_span(counts: pd.DataFrame, all_subs: pd.DataFrame) -> pd.Series | None:
    """Per form, the submissions (of the submissions input, repeats included) dated within
    the days its views cover; None when the submissions carry no dates."""
    if counts.empty or "submitted_at" not in all_subs or all_subs["submitted_at"].isna().all():
        return None
    span = counts.groupby("form_id", observed=True)["date"].agg(["min", "max"])
    # each submission's form as a code into its few form ids (mapping 2.3M submissions' text
    # through the spans took a second at 10M views)
    codes, ids = pd.factorize(all_subs["form_id"])
    ids = pd.Index(ids)
    lo = span["min"].reindex(ids).to_numpy(dtype="datetime64[ns]")
    hi = span["max"].reindex(ids).to_numpy(dtype="datetime64[ns]")
    day = all_subs["submitted_at"].dt.normalize().to_numpy(dtype="datetime64[ns]")
    known = codes >= 0
    at = np.where(known, codes, 0)
    inside = known & (day >= lo[at]) & (day <= hi[at])  # NaT compares False
    return pd.Series(np.bincount(codes[inside], minlength=len(ids)), index=ids)


def _fewer_views_than_submissions(counts: pd.DataFrame, all_subs: pd.DataFrame
                                  ) -> list[Notice]:
    """A form with fewer row-level views than submissions over the days its views cover has
    lost views (a truncated or sampled export): its conversion rates would be inflated."""
    n_subs = _subs_in_views_span(counts, all_subs)
    if n_subs is None:
        return []
    n_subs = n_subs[n_subs > 0]
    n_views = counts.groupby("form_id", observed=True)["views"].sum()
    short = sorted(f for f in n_subs.index if n_subs[f] > n_views.get(f, 0))
    if not short:
        return []
    detail = {str(f): {"views": int(n_views.get(f, 0)), "submissions": int(n_subs[f])}
              for f in short}
    listed = ", ".join(f"{f} ({d['views']:,} views, {d['submissions']:,} submissions)"
                       for f, d in list(detail.items())[:5])
    return [Notice(
        "VIEWS_FEWER_THAN_SUBMISSIONS",
        f"{len(short)} form(s) have fewer views than submissions over the days their views "
        f"cover: {listed}. The views export is probably truncated or sampled; conversion "
        "rates from it would be too high.", {"input": "views", "forms": detail})]


#: a form's conversions in the views file and its submissions in the submissions file differ
#: by at least this many, and by more than this share of the larger (one submission either
#: way is a time-zone edge or a test entry)
DIFFER_MIN, DIFFER_SHARE = 2, 0.10


def _conversions_differ(counts: pd.DataFrame, all_subs: pd.DataFrame) -> list[Notice]:
    """Daily counts whose ``submissions`` disagree with the submissions file over the same
    days: the conversion model counts the views file's, the forms table lists the file's, and
    the two describe different events (another conversion, a filtered or partial export)."""
    in_file = _subs_in_views_span(counts, all_subs)
    if in_file is None:
        return []
    in_views = counts.groupby("form_id", observed=True)["submissions"].sum()
    detail: dict[str, dict[str, int]] = {}
    for form in sorted(set(in_views.index) | set(in_file.index)):
        a, b = int(in_views.get(form, 0)), int(in_file.get(form, 0))
        if abs(a - b) >= DIFFER_MIN and abs(a - b) > DIFFER_SHARE * max(a, b):
            detail[str(form)] = {"views_file": a, "submissions_file": b}
    if not detail:
        return []
    listed = ", ".join(f"{f} ({d['views_file']:,} in the views file, {d['submissions_file']:,} "
                       "in the submissions file)" for f, d in list(detail.items())[:5])
    return [Notice(
        "CONVERSIONS_DIFFER",
        f"{len(detail)} form(s) count different submissions in the views file than in the "
        f"submissions file over the same days: {listed}. Conversion effects use the views "
        "file's counts; check that both count the same event (a form submission, not another "
        "conversion) over the same period.", {"input": "views", "forms": detail})]


def _sum_cells(cells: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    value_cols = [c for c in ("views", "submissions") if c in cells.columns]
    if "submissions" not in cells.columns:
        cells = cells.assign(submissions=np.int64(0))
        value_cols.append("submissions")
    grouped = (cells.groupby(list(keys), sort=True, observed=True, dropna=False)[value_cols]
               .sum().reset_index())
    grouped["views"] = grouped["views"].astype("int64")
    grouped["submissions"] = grouped["submissions"].astype("int64")
    grouped["date"] = grouped["date"].astype("datetime64[ns]")
    for k in keys:
        if k != "date":
            grouped[k] = grouped[k].astype("str")
    return grouped[[*keys, "views", "submissions"]]


def _from_submissions(counts: pd.DataFrame, subs: SubmissionsLoad, keys: Sequence[str],
                      table: RawTable, notices: list[Notice]) -> pd.DataFrame:
    """Submissions per (form, day, segments) counted from the submissions file."""
    counts = counts.drop(columns="submissions")
    if counts.empty:
        return counts.assign(submissions=np.int64(0))
    all_subs = subs.all_submissions
    segs = [k for k in keys if k not in ("form_id", "date")]
    if all_subs["submitted_at"].isna().all():
        raise InputError(
            f"views file {table.name} says nothing about conversions (no submitted column, no "
            "session_id), and the submissions have no submitted_at to count them by day.",
            "Add a 0/1 `submitted` column or a `session_id` to the views (and session_id to the "
            "submissions), or a submitted_at column to the submissions.")
    lacking = [s for s in segs if s not in all_subs.columns]
    if lacking:
        raise InputError(
            f"views file {table.name} has no conversion column, so submissions are counted from "
            f"the submissions file, but that file lacks the segment column(s) {lacking}.",
            "Add the segment columns to the submissions export, or a 0/1 `submitted` column "
            "to the views.")
    s = all_subs.dropna(subset=["submitted_at"])
    s = pd.DataFrame({"form_id": s["form_id"].astype("str"),
                      "date": s["submitted_at"].dt.normalize().astype("datetime64[ns]"),
                      **{g: s[g].astype("str") for g in segs}})
    # submissions outside the days the views export covers say nothing about these views
    span = counts.groupby("form_id", observed=True)["date"].agg(["min", "max"])
    lo = s["form_id"].map(span["min"])
    hi = s["form_id"].map(span["max"])
    inside = (s["date"] >= lo) & (s["date"] <= hi)
    outside = int((~inside).sum())
    s = s[inside.fillna(False).to_numpy(dtype=bool)]
    per_cell = (s.groupby(list(keys), sort=True, observed=True, dropna=False).size()
                .rename("submissions").reset_index())
    merged = counts.merge(per_cell, on=list(keys), how="outer", sort=True)
    merged["views"] = merged["views"].fillna(0).astype("int64")
    merged["submissions"] = merged["submissions"].fillna(0).astype("int64")
    merged = merged[[*keys, "views", "submissions"]].reset_index(drop=True)
    over = merged[merged["submissions"] > merged["views"]]
    if len(over):
        raise InputError(
            f"views file {table.name} has fewer views than the submissions file has submissions "
            f"in {len(over):,} (form, day) cell(s), e.g. {_cells_text(over, keys)}.",
            "Check that the views export covers every form and day, and that form ids are "
            "spelled the same in both files; or add a 0/1 `submitted` column to the views.")
    notices.append(Notice(
        "CONVERSION_FROM_SUBMISSIONS",
        "The views cannot be linked to submissions (no `submitted` column, and no session_id "
        "in both files), so submissions per form and day were counted from the submissions "
        "file"
        + (f" ({outside:,} submissions fall outside the days the views cover and are not "
           "counted)." if outside else "."),
        {"input": "views", "outside_view_days": outside}))
    return merged


def _cells_text(rows: pd.DataFrame, keys: Sequence[str]) -> str:
    parts = []
    for _, r in rows.head(MAX_CELLS_LISTED).iterrows():
        where = ", ".join(f"{k}={r[k].date() if k == 'date' else r[k]}" for k in keys)
        parts.append(f"[{where}: {r['views']} views, {r['submissions']} submissions]")
    return "; ".join(parts)


def _over_rows_error(table: RawTable, positions: np.ndarray, views: pd.Series,
                     subs: pd.Series) -> InputError:
    shown = "; ".join(f"{table.unit} {table.number(int(p)):,}: {int(views.iloc[p])} views, "
                      f"{int(subs.iloc[p])} submissions" for p in positions[:MAX_CELLS_LISTED])
    more = f" and {len(positions) - MAX_CELLS_LISTED:,} more" if len(positions) > 5 else ""
    return InputError(
        f"views file {table.name} has more submissions than views in {len(positions):,} "
        f"row(s): {shown}{more}. ({table.convention}.)",
        "Each row counts the views of one form on one day and the submissions among them; "
        "check that the two columns are not swapped and cover the same traffic.")
