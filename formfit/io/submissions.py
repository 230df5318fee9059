"""Submissions: one row per analysed lead, with every input row accounted for.

Rows leave in this order, each counted under its reason: rows a preset's row filter took out
before loading (``not_a_form_fill``: Marketo activities of another type), exact duplicate rows
(``duplicate_row``, export glitches: one copy is kept), rows without a lead key
(``missing_lead_key``), rows without a form id (``missing_form_id``), rows of forms the forms
file does not know (``unknown_form``), and a lead's later submissions (``repeat_submission``:
the first by submitted_at is the one analysed; ties go to the row's content, so the file's row
order never matters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formfit.cells.keys import text_codes
from formfit.config import Settings
from formfit.errors import InputError
from formfit.inputs import Accounting, FormsConfig, Notice
from formfit.io.columns import (
    BLANK_SEGMENT,
    CONTRACT_NAMES,
    KEY_LIKE,
    OUTCOME_LIKE,
    fold,
    listing,
    require,
)
from formfit.io.dates import ISO, AmbiguousDates, DateFormatError, detect_date_format
from formfit.io.forms import infer_forms
from formfit.io.readers import REPEAT_MARK, RawTable
from formfit.io.table import duplicated_rows
from formfit.io.values import (
    END_DATE,
    FIRST_DATE,
    blank_to_na,
    parse_dates,
    parse_in_format,
    redacted,
    value_kind,
)
from formfit.limits import current, how_to_raise
from formfit.memory import release_memory
from formfit.personal import NAME, census_backed, quoted

MAX_NAMES = 20


@dataclass
class SubmissionsLoad:
    """What the other loaders need from the submissions file."""

    frame: pd.DataFrame  # Inputs.submissions
    fields: tuple[str, ...]
    forms: FormsConfig
    accounting: Accounting
    notices: list[Notice] = field(default_factory=list)
    # every submission of a known form (duplicates removed, repeats kept): for counting
    # conversions in views; columns form_id, submitted_at, session_id?, segments
    all_submissions: pd.DataFrame = field(default_factory=pd.DataFrame)


def normalise_key(values: pd.Series, key: str) -> pd.Series:
    """lead_id trimmed; email trimmed and lower-cased. Blank -> missing."""
    s = values.astype("str").str.strip()
    if key == "email":
        s = s.str.lower()
    return s.where(s.str.len() > 0)


@dataclass(frozen=True)
class LeadKey:
    """The column that keys a lead, ``lead_id`` or ``email``. With ``email_fallback`` (a
    lead_id column beside an email column), a row whose lead_id is blank is keyed by its
    normalised email: the contract's "lead_id, or the normalised email where there is no
    lead_id", row by row. Numeric CRM ids and e-mail addresses never collide; a lead_id that
    is itself an e-mail address meets the same address in the email column."""

    column: str
    email_fallback: bool = False

    def values(self, frame: pd.DataFrame) -> pd.Series:
        """The normalised key of every row of ``frame`` (missing where there is none)."""
        key = normalise_key(frame[self.column], self.column)
        if self.email_fallback:
            key = key.fillna(normalise_key(frame["email"], "email"))
        return key

    def __str__(self) -> str:
        return f"{self.column} (or email where it is blank)" if self.email_fallback \
            else self.column


def apply_constants(table: RawTable, constants: Sequence[tuple[str, str]],
                    segments: Sequence[str] = (), where: str = "constants") -> None:
    """Add ``constants`` as columns (or fill the blanks of an existing column with them).

    ``where`` names where the constants were given (```constants:` in config file k.yaml``): a
    constant ``submitted_at`` that is no date is blamed there, not on a row of the file."""
    canonical = {fold(n): n for n in (*CONTRACT_NAMES, *segments)}
    existing = {fold(c): str(c) for c in table.frame.columns}
    for name, value in constants:
        col = existing.get(fold(name)) or canonical.get(fold(name), name.strip())
        if col == "submitted_at":
            _check_date_constant(table, col, value, where)
        if col in table.frame.columns:
            table.frame[col] = table.frame[col].fillna(value)
        else:
            table.frame[col] = pd.Series(value, index=table.frame.index, dtype="str")
            table.original[col] = f"{col} (constant)"


def _check_date_constant(table: RawTable, column: str, value: str, where: str) -> None:
    """A constant date is read as the column would read it (the user's or the preset's
    format, else detected from the value itself); one that is no date is an error naming the
    constant."""
    hint = (f"Write it as YYYY-MM-DD, e.g. `constants: {{{column}: 2025-01-31}}`, or leave it "
            f"out: without {column} no maturity window is applied, and the report says so.")
    fmt = table.date_formats.get(column) or table.date_format
    if not fmt:
        # filling the blanks of a date column: its values tell the format too
        seen = (table.frame[column].dropna().astype("str").unique().tolist()
                if column in table.frame.columns else [])
        try:
            fmt = detect_date_format([value, *seen])
        except AmbiguousDates:
            if seen:
                return  # the column's own check asks for --date-format, naming a row
            raise InputError(
                f"{where}: {column} {quoted(value)} could be day/month or month/day.",
                hint + " Or say which with --date-format '%d/%m/%Y' or '%m/%d/%Y'.") from None
        except DateFormatError:
            fmt = ISO
    parsed = parse_in_format(pd.Series([value], dtype="str"), fmt).iloc[0]
    if pd.isna(parsed):
        read_as = "" if fmt == ISO else f" in the format '{fmt}'"
        raise InputError(f"{where}: {column} {quoted(value)} is not a date{read_as}.", hint)
    if not FIRST_DATE <= parsed < END_DATE:
        raise InputError(f"{where}: {column} {quoted(value)} is outside the years formfit "
                         f"reads ({FIRST_DATE.year} to {END_DATE.year - 1}).", hint)


def _segment_text(s: pd.Series) -> pd.Series:
    return blank_to_na(s).fillna(BLANK_SEGMENT)


def load_submissions(table: RawTable, settings: Settings, forms_file: FormsConfig | None,
                     key: LeadKey) -> SubmissionsLoad:
    """Validate, de-duplicate and account for submissions; decide the field columns.

    The raw rows are consumed: afterwards ``table.frame`` keeps only the column names."""
    require(table, [("lead_id", "email"), "form_id"], extra_hint={
        "form_id": "If every row comes from one form, add `constants: {form_id: my-form}` "
                   "to the config file instead."})
    df = table.frame
    # rows a preset took out before (Marketo activities that are not form fills) were read too
    acc = Accounting(rows_read=len(df) + sum(table.excluded.values()))
    for reason, n in table.excluded.items():
        acc.exclude(reason, n)
    notices: list[Notice] = []

    lead_key = key.values(df)
    form_id = blank_to_na(df["form_id"])
    has_dates = "submitted_at" in df.columns
    if has_dates:
        submitted_at = parse_dates(table, "submitted_at")
    else:
        submitted_at = pd.Series(np.full(len(df), np.datetime64("NaT"), "datetime64[ns]"),
                                 index=df.index)
        notices.append(Notice("NO_SUBMISSION_DATES",
                              f"{table.name} has no submitted_at column, so no maturity window "
                              "can be applied: every lead is judged on all its deals so far.",
                              {"input": "submissions"}))
    # (key, time) as one integer per row: equal exactly when both are. It finds the exact
    # copies (only rows sharing it can be) and orders a lead's submissions below, so the
    # text of the keys is hashed once (on every core: formfit.cells.keys).
    key_codes = text_codes(lead_key)[0]
    key_time = _key_time(key_codes, submitted_at.to_numpy().view(np.int64))
    dup = duplicated_rows(df, seed=key_time)
    acc.exclude("duplicate_row", int(dup.sum()))

    no_key = ~dup & lead_key.isna().to_numpy()
    acc.exclude("missing_lead_key", int(no_key.sum()))
    no_form = ~dup & ~no_key & form_id.isna().to_numpy()
    acc.exclude("missing_form_id", int(no_form.sum()))
    valid = ~dup & ~no_key & ~no_form

    # --- which columns are fields ---------------------------------------------------------
    reserved = {fold(n) for n in (*KEY_LIKE, *OUTCOME_LIKE, *settings.segments)}
    ignore = {fold(n) for n in settings.ignore_columns}
    ignored = [c for c in df.columns
               if fold(c) in ignore or fold(table.original.get(c, c)) in ignore]
    candidates = [c for c in df.columns if fold(c) not in reserved and c not in ignored]
    fold_clash(table, candidates)
    if forms_file is None:
        check_form_count(table, form_id[valid])

    if forms_file is not None:
        forms = forms_file
        known = np.asarray(form_id.isin(list(forms.forms)).to_numpy(), dtype=bool)
        _unknown_forms(form_id, valid & ~known, acc, notices,
                       "are from form id(s) the forms file does not list ({ids})")
        valid = valid & known
        fields, field_columns, more = _fields_from_forms(df, forms, candidates)
        notices.extend(more)
    else:
        # without a forms file every form id becomes a form: one that is an email, a phone or
        # a name (a shifted column) is no form, and would be printed as one
        personal_ids = _personal_ids(form_id.dropna().unique())
        personal = np.asarray(form_id.isin(personal_ids).to_numpy(), dtype=bool) & valid
        _unknown_forms(form_id, personal, acc, notices, "have a form id that is personal data "
                       "({ids}), probably a shifted column")
        valid = valid & ~personal
        infer_cols = [c for c in df.columns if c == "email" or c in candidates]
        rows = pd.DataFrame({c: blank_to_na(df[c])[valid] for c in infer_cols})
        rows["form_id"] = form_id[valid]
        forms = infer_forms(rows, infer_cols)
        shown = set(forms.shown_fields())
        fields = tuple(c for c in infer_cols if c in shown)
        field_columns = {f: f for f in fields}
        empty = [c for c in candidates if c not in shown]
        notices.append(Notice(
            "FORMS_INFERRED",
            f"No forms file: which fields each form shows ({len(forms.forms)} forms) was "
            "inferred from the submissions (a field is on a form if any of its submissions has "
            "a value). Pass --forms to state it, with experiments and versions.",
            {"forms": len(forms.forms), "fields": len(fields)}))
        if empty:
            notices.append(Notice(
                "EMPTY_COLUMNS",
                f"{len(empty)} column(s) of {table.name} are blank in every submission, so no "
                f"form shows them; they are not analysed: {listing(empty)}.",
                {"input": "submissions", "columns": empty[:MAX_NAMES], "count": len(empty)}))

    # --- a lead's first submission is the one analysed -----------------------------------
    pos = np.arange(len(df))
    # ties in time (two submissions in one second, or no dates) go to the row's content, not
    # its place in the file: any row order gives the same first submission
    p = pos[valid]
    kt = key_time[valid]
    tied = np.bincount(kt)[kt] > 1
    h = np.zeros(len(p), dtype=np.uint64)
    if tied.any():  # hashing every row would cost seconds per million; ties are rare
        h[tied] = pd.util.hash_pandas_object(df.iloc[p[tied]], index=False).to_numpy()
    t = submitted_at.to_numpy()[valid]
    nat = np.isnat(t)
    # by time (blank last), then the row's content, then its place: np.lexsort's last key
    # is the first compared
    ranked = np.lexsort((p, h, t.view(np.int64), nat))
    first = ~pd.Series(key_codes[p[ranked]]).duplicated(keep="first").to_numpy()
    repeat_pos = p[ranked][~first]
    acc.exclude("repeat_submission", len(repeat_pos))
    keep = valid.copy()
    keep[repeat_pos] = False

    # every submission of a known form counts as a conversion, keyed or not, repeat or not
    counted = ~dup & ~form_id.isna().to_numpy()
    if forms_file is not None:
        counted &= np.asarray(form_id.isin(list(forms.forms)).to_numpy(), dtype=bool)
    all_subs = pd.DataFrame({"form_id": form_id[counted], "submitted_at": submitted_at[counted]})
    if "session_id" in df.columns:
        all_subs["session_id"] = blank_to_na(df["session_id"])[counted]
    for seg in settings.segments:
        if seg in df.columns:
            all_subs[seg] = _segment_text(df[seg])[counted]

    # the raw text is released column by column as it is copied, so that the raw rows and
    # their checked copy are never held whole at once (the benchmark's peak memory)
    names = list(df.columns)
    out = pd.DataFrame({
        "lead_key": lead_key[keep].astype("str"),
        "form_id": form_id[keep].astype("str"),
        "submitted_at": submitted_at[keep],
    })
    if "session_id" in df.columns:
        out["session_id"] = blank_to_na(df["session_id"])[keep]
    for seg in settings.segments:
        if seg in df.columns:
            out[seg] = _segment_text(df[seg])[keep]
    for f in fields:
        if f in out.columns:  # a segment the form also asks for: one column serves both
            continue
        col = field_columns.get(f)
        out[f] = (blank_to_na(df[col])[keep] if col is not None
                  else pd.Series(pd.NA, index=out.index, dtype="str"))
        if col is not None and col not in (key.column, "form_id", "submitted_at"):
            del df[col]
            # the freed raw column lies in pieces the next copy cannot reuse: hand it back
            # now (Parquet submissions at 10M views peaked 0.3 GB higher without this)
            release_memory()
    del df  # the last reference to the raw rows besides the table's own
    table.drop_rows(names)
    out = out.reset_index(drop=True)
    if out.empty:
        raise _nothing_left(table, acc, form_id[~dup & ~no_key & ~no_form], forms_file)

    if has_dates:
        undated = int(out["submitted_at"].isna().sum())
        if undated:
            notices.append(Notice(
                "MISSING_SUBMISSION_DATES",
                f"{undated:,} analysed leads have a blank submitted_at; no maturity window can "
                "be applied to them.", {"input": "submissions", "rows": undated}))

    return SubmissionsLoad(frame=out, fields=fields, forms=forms, accounting=acc,
                           notices=notices, all_submissions=all_subs)


def _key_time(key_codes: np.ndarray, times: np.ndarray) -> np.ndarray:
    """One code per row (0..k-1), equal exactly when both the key code (-1: no key) and the
    time are. Only rows whose key another row shares need their time looked at: most leads
    submit once, so the times of millions of rows are never factorized."""
    kc = np.asarray(key_codes, dtype=np.int64) + 1  # 0: no key
    shared = np.bincount(kc)[kc] > 1 if len(kc) else np.zeros(0, dtype=bool)
    out = np.empty(len(kc), dtype=np.int64)
    alone = int((~shared).sum())
    out[~shared] = np.arange(alone)
    if shared.any():
        t = pd.factorize(times[shared])[0].astype(np.int64)
        pair = kc[shared] * (int(t.max(initial=0)) + 1) + t
        out[shared] = alone + pd.factorize(pair)[0].astype(np.int64)
    return out


def _unknown_forms(form_id: pd.Series, rows: np.ndarray, acc: Accounting,
                   notices: list[Notice], why: str) -> None:
    """Exclude ``rows`` as ``unknown_form`` and say so once: '{n} submission rows {why}; they
    are left out.', ``why`` holding ``{ids}`` for the (redacted) form ids."""
    if not rows.any():
        return
    n = int(rows.sum())
    ids = redacted(form_id[rows].unique().tolist())
    acc.exclude("unknown_form", n)
    notices.append(Notice(
        "UNKNOWN_FORM", f"{n:,} submission rows {why.format(ids=listing(ids))}; they are left "
        "out.", {"input": "submissions", "rows": n, "form_ids": ids[:MAX_NAMES]}))


def _personal_ids(form_ids: Iterable[object]) -> list[object]:
    """The form ids that are personal data: a shifted column. An e-mail, a phone or a census
    name is evidence of one; a name by its shape alone (two capitalised words no English
    list holds, as "Priya Raghunathan") counts only beside such evidence, for on its own it
    is as likely a form named in another language ("Kontakt Formular")."""
    kinds = {u: value_kind(str(u)) for u in form_ids}
    sure = [u for u, k in kinds.items() if k is not None and (k != NAME or census_backed(str(u)))]
    if not sure:
        return []
    return [u for u, k in kinds.items() if k is not None]


def _nothing_left(table: RawTable, acc: Accounting, form_ids: pd.Series,
                  forms_file: FormsConfig | None) -> InputError:
    """No submission survives: say where the rows went and the likeliest fix."""
    where = ", ".join(f"{n:,} {reason}" for reason, n in sorted(acc.excluded.items()))
    msg = (f"submissions file {table.name}: none of its {acc.rows_read:,} rows can be analysed "
           f"({where}).")
    if "unknown_form" in acc.excluded and forms_file is not None:
        seen = redacted(form_ids.dropna().unique().tolist())
        msg += (f" Its form ids ({listing(seen)}) are not in the forms file, which lists "
                f"{listing(sorted(forms_file.forms))}.")
        return InputError(msg, "Make the forms file use the form ids the export uses (or map "
                               "the right column to form_id with --map).")
    if table.excluded and sum(table.excluded.values()) == acc.rows_read:
        return InputError(msg, "The preset left out every row: check that the file is the "
                               "export the preset reads (--preset).")
    return InputError(msg, "Map the columns that hold the lead key (lead_id or email) and the "
                           "form id with --map, and check that they are filled.")


def check_form_count(table: RawTable, form_ids: pd.Series) -> None:
    """Without a forms file every distinct form id is a form; thousands of them mean the
    column mapped to form_id holds something else (a lead or page id), and the per-form work
    would run for minutes before saying anything useful."""
    cap = current().max_forms
    n = int(form_ids.nunique())
    if n > cap:
        raise InputError(
            f"{table.role} file {table.name}: form_id has {n:,} different values in "
            f"{len(form_ids):,} rows, more than the cap on forms (max_forms: {cap:,}); a "
            "form id names a form or an A/B variant, of which there are usually a handful.",
            "Check that the column mapped to form_id is the form (not a lead, page or "
            "campaign id), or pass --forms to list the forms to analyse. "
            + how_to_raise("max_forms", cap, n))


def fold_clash(table: RawTable, columns: Sequence[str]) -> None:
    """Columns whose names differ only in case or surrounding spaces (`phone`, `Phone`,
    `phone `) would be one field, and one of them silently lost: an error naming them."""
    groups: dict[str, list[int]] = {}
    names = [str(c) for c in table.frame.columns]
    wanted = {str(c) for c in columns}
    for pos, col in enumerate(names):  # by position: two columns may carry one name
        if col in wanted:
            groups.setdefault(fold(table.original.get(col, col).split(REPEAT_MARK)[0]),
                              []).append(pos)
    clashes = [g for g in groups.values() if len(g) > 1]
    if not clashes:
        return
    def shown(pos: int) -> str:
        return repr(table.original.get(names[pos], names[pos]).split(REPEAT_MARK)[0])

    parts = [" and ".join(f"column {p + 1} ({shown(p)})" for p in g) for g in clashes]
    raise InputError(
        f"{table.role} file {table.name}: {'; '.join(parts)} have the same name once case and "
        "surrounding spaces are ignored, as formfit matches column names.",
        "Rename all but one of them in the export, or merge them into one column.")


def _fields_from_forms(df: pd.DataFrame, forms: FormsConfig, candidates: Sequence[str]
                       ) -> tuple[tuple[str, ...], dict[str, str | None], list[Notice]]:
    """Match the forms file's fields to data columns (case-insensitive, trimmed)."""
    by_fold = {fold(c): str(c) for c in df.columns}
    fields = forms.shown_fields()
    forbidden = {"form_id", "submitted_at", "session_id", "lead_key"}
    bad = [f for f in fields if fold(f) in forbidden]
    if bad:
        raise InputError(f"forms file {forms.source} lists {bad} as form fields, but "
                         f"{'it is' if len(bad) == 1 else 'they are'} bookkeeping columns.",
                         "Remove them from the forms' `fields` lists.")
    columns: dict[str, str | None] = {f: by_fold.get(fold(f)) for f in fields}
    notices: list[Notice] = []
    absent = [f for f, c in columns.items() if c is None]
    if absent:
        notices.append(Notice(
            "FIELD_NOT_IN_DATA",
            f"{len(absent)} field(s) that the forms file shows have no column in the "
            f"submissions ({listing(absent)}), so their fill and value statistics cannot be "
            "computed (their columns are left blank).",
            {"input": "submissions", "fields": absent[:MAX_NAMES], "count": len(absent)}))
    used = {c for c in columns.values() if c is not None}
    extra = [c for c in candidates if c not in used]
    if extra:
        notices.append(Notice(
            "COLUMN_NOT_A_FIELD",
            f"{len(extra)} submission column(s) are not shown on any form in the forms file, "
            f"so they are not analysed as fields: {listing(extra)}. Add them to a form's "
            "fields, or list them under `ignore:` in the config to silence this.",
            {"input": "submissions", "columns": extra[:MAX_NAMES], "count": len(extra)}))
    return fields, columns, notices
