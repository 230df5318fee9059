"""Parse text columns into dates, counts, amounts and booleans, with errors that name the row.

Each parser works on the distinct values of a column (exports repeat dates and small counts a
lot, so this keeps million-row files fast) and, on a bad value, raises an InputError naming the
file, the row as a spreadsheet user sees it, the column and the value.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from formfit.errors import InputError
from formfit.io.dates import (
    EXCEL_SERIAL,
    ISO,
    ISO_OR_SERIAL,
    SERIAL_HINT,
    SERIAL_NOTE,
    XLSX_SERIAL_HINT,
    AmbiguousDates,
    DateFormatError,
    MixedDates,
    date_part,
    detect_date_format,
    looks_like_serial,
)
from formfit.io.readers import RawTable
from formfit.personal import looks_phone, quoted, redacted, shown, value_kind

__all__ = ["redacted", "shown", "value_kind"]  # the one rule, re-exported for io's modules

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
DATE_HINT = ("formfit reads ISO 8601 (YYYY-MM-DD, optionally with HH:MM:SS and a time zone "
             "such as +02:00 or Z), US M/D/YYYY and European D/M/YYYY or D.M.YYYY, detected per "
             "column. For any other format give it with --date-format, e.g. "
             "--date-format '%d %b %Y' for 31 Jan 2025.")
MIXED_HINT = ("Write the whole column one way (in the spreadsheet: format the column as one "
              "date format). " + DATE_HINT)
#: no form is viewed a billion times in a day: a larger count is a pasted id or a phone number
#: (and past 2^63 it would not even fit a 64-bit integer)
MAX_COUNT = 1e9
#: dates formfit reads; placeholders such as 9999-12-31 fall outside (and outside pandas' range)
FIRST_DATE = pd.Timestamp("1900-01-01", tz="UTC")
END_DATE = pd.Timestamp("2200-01-01", tz="UTC")


def rows_text(n: int) -> str:
    """'1 row', '12,500 rows'."""
    return f"{n:,} row{'' if n == 1 else 's'}"


def _first_pos(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def parse_dates(table: RawTable, column: str) -> pd.Series:
    """The column as datetime64[ns], naive UTC (aware values converted); NaT where blank."""
    s = table.frame[column]
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        naive: pd.Series = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return naive.astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.astype("datetime64[ns]")
    fast = _arrow_dates(s)
    if fast is not None:
        return fast
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    fmt = _date_format(table, column, uniq, codes)
    parsed = parse_in_format(uniq, fmt)
    bad = parsed.isna().to_numpy() & uniq.notna().to_numpy()
    if bad.any():
        bad_codes = np.flatnonzero(bad)
        pos = _first_pos(np.isin(codes, bad_codes))
        n_bad = int(np.isin(codes, bad_codes).sum())
        more = f" ({n_bad:,} rows have values that are not dates)" if n_bad > 1 else ""
        read_as = ("" if fmt in (ISO, EXCEL_SERIAL, ISO_OR_SERIAL)
                   else f" in the format '{fmt}'")
        serial = looks_like_serial(s.iloc[pos])
        raise InputError(
            f"{table.where(pos)}: {column} {shown(s.iloc[pos], column)} is not a date"
            f"{read_as}{SERIAL_NOTE if serial else ''}{more}. ({table.convention}.)",
            (XLSX_SERIAL_HINT if is_workbook(table) else SERIAL_HINT) if serial
            else DATE_HINT)
    outside = (parsed.notna() & ((parsed < FIRST_DATE) | (parsed >= END_DATE))).to_numpy()
    if outside.any():
        hit = np.isin(codes, np.flatnonzero(outside))
        pos = _first_pos(hit)
        raise InputError(
            f"{table.where(pos)}: {column} {shown(s.iloc[pos], column)} is outside the years "
            f"formfit reads ({FIRST_DATE.year} to {END_DATE.year - 1}; "
            f"{rows_text(int(hit.sum()))}). ({table.convention}.)",
            "A placeholder date such as 9999-12-31 or 0001-01-01 means 'unknown': leave the "
            "cell blank instead.")
    values = parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    arr = values.to_numpy()
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = codes >= 0
    out[ok] = arr[codes[ok]]
    return pd.Series(out, index=s.index, name=column)


def parse_in_format(uniq: pd.Series, fmt: str) -> pd.Series:
    """Text dates in one format (ISO, Excel serials or a strptime format) as UTC timestamps;
    NaT where a value does not fit."""
    if fmt == ISO:
        return pd.to_datetime(uniq, format="ISO8601", utc=True, errors="coerce")
    if fmt == EXCEL_SERIAL:
        return pd.to_datetime(pd.to_numeric(uniq, errors="coerce"), unit="D",
                              origin="1899-12-30", utc=True)
    if fmt == ISO_OR_SERIAL:
        serial = np.fromiter((looks_like_serial(v) for v in uniq), dtype=bool, count=len(uniq))
        out = parse_in_format(uniq, ISO)
        if serial.any():
            out = out.copy()
            out[serial] = parse_in_format(uniq[serial], EXCEL_SERIAL)
        return out
    parsed = pd.to_datetime(uniq, format=fmt, errors="coerce", utc=True)
    head = date_part(fmt)  # '1/14/2025' beside '1/13/2025 14:30': midnight, as ISO reads it
    missed = parsed.isna().to_numpy() & uniq.notna().to_numpy()
    if head is not None and missed.any():
        parsed = parsed.copy()
        parsed[missed] = pd.to_datetime(uniq[missed], format=head, errors="coerce", utc=True)
    return parsed


def _date_format(table: RawTable, column: str, uniq: pd.Series, codes: np.ndarray) -> str:
    """The column's format: the preset's for this column, the user's, else detected from the
    distinct values. A column whose day and month cannot be told apart is an error that names
    an example row and the option that settles it."""
    given = table.date_formats.get(column) or table.date_format
    if given:
        return given
    try:
        return detect_date_format(uniq.dropna().tolist(), excel=is_workbook(table))
    except AmbiguousDates as exc:
        hit = np.flatnonzero(uniq.to_numpy(dtype=object) == exc.example)
        pos = _first_pos(np.isin(codes, hit)) if len(hit) else 0
        raise InputError(
            f"{table.where(pos)}: {column} {shown(exc.example, column)} could be day/month or "
            f"month/day, and no date in the column tells which (none has a number above 12 "
            f"in either place). ({table.convention}.)",
            "Say which with --date-format '%d/%m/%Y' (day first) or --date-format "
            "'%m/%d/%Y' (month first), or with `date_format:` in the config file.") from None
    except MixedDates as exc:  # dates all, but written two ways: say so, at the odd one
        hit = np.flatnonzero(uniq.to_numpy(dtype=object) == exc.example)
        pos = _first_pos(np.isin(codes, hit)) if len(hit) else 0
        raise InputError(
            f"{table.where(pos)}: {column} {shown(exc.example, column)} is not written as the "
            f"column's other dates: {exc}. ({table.convention}.)",
            MIXED_HINT) from None
    except DateFormatError:
        # the ISO reader finds the first bad value and names its row (in a workbook, past
        # the serial day numbers it reads)
        return ISO_OR_SERIAL if is_workbook(table) else ISO


def is_workbook(table: RawTable) -> bool:
    """An XLSX input (also gzip-compressed), whose date cells may hold serial day numbers."""
    return table.path.name.lower().removesuffix(".gz").endswith((".xlsx", ".xlsm"))


def _arrow_dates(s: pd.Series) -> pd.Series | None:
    """Naive ISO dates and date-times parsed by Arrow's strict C++ parser (10x pandas); None
    when any value needs more (time zones, odd forms, bad values): pandas then decides."""
    try:
        arr = pa.array(s.array)
        stamps = pc.cast(arr, pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        return None
    values = stamps.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    return pd.Series(values, index=s.index, name=s.name)


# In a semicolon file, what the values themselves say about the decimal mark: '1.234,5' and
# '12,5' can only be written with a decimal comma; '5583.65', '500000.0' (Salesforce Data
# Loader) and '1,234.50' only with a decimal point. '1.234' could be either.
_COMMA_DECIMAL = r"-?(\d{1,3}(\.\d{3})+|\d+),\d+"
_POINT_DECIMAL = r"-?(\d{1,3}(,\d{3})+\.\d*|\d*\.(\d{1,2}|\d{4,})|\d{4,}\.\d+)"


def decimal_mark(uniq: pd.Series, decimal_comma: bool) -> str | None:
    """The decimal mark of a column's distinct values (currency and spaces stripped): ','
    or '.'; None when the values use both (no reading is safe). A file's convention (decimal
    comma in semicolon files from European Excel) holds unless its values show the other
    mark and never the convention's own: a semicolon export of US amounts ('5583.65') must
    not read as 558,365."""
    if not decimal_comma:
        return "."
    comma = bool(uniq.str.fullmatch(_COMMA_DECIMAL, na=False).any())
    point = bool(uniq.str.fullmatch(_POINT_DECIMAL, na=False).any())
    if comma and point:
        return None
    return "." if point else ","


def _numeric_text(uniq: pd.Series, mark: str, currency: bool) -> pd.Series:
    t = _stripped(uniq, currency)
    if mark == ",":
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        thousands = t.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d*)?", na=False)
        t = t.where(~thousands, t.str.replace(",", "", regex=False))
    return t


def _stripped(uniq: pd.Series, currency: bool) -> pd.Series:
    """Values without spaces (thousands groups) and, for amounts, a leading or trailing
    currency sign."""
    t = uniq.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    if currency:
        t = t.str.replace(r"^[$€£¥]|[$€£¥]$", "", regex=True)
    return t


_GROUPED = re.compile(r"-?\d{1,3}(?:[ \u00a0.,]\d{3})+(?:[.,]\d+)?")
_PLAIN_NUMBER = re.compile(r"-?[1-9]\d*(?:\.\d+)?")  # 1234567.89 is an amount, not a phone


def _phone_not_number(text: str) -> bool:
    """A phone number typed into a number column ('+44 7700 900123', '020 7946 0958'); digits
    grouped in thousands ('250 000 000') are a number."""
    t = text.strip()
    if _PLAIN_NUMBER.fullmatch(t):
        return False  # a plain run of digits, with or without decimals, is a (large) number
    return looks_phone(t) and not _GROUPED.fullmatch(t)


def _phones(uniq: pd.Series) -> np.ndarray:
    """:func:`_phone_not_number` of each distinct value. Plain numbers (most amounts) are
    settled at once by Arrow's regex engine, whose ``\\d`` is ASCII only, so a value it
    calls plain is plain for Python's too; the rest go through the Python rule."""
    plain = uniq.str.fullmatch(_PLAIN_NUMBER.pattern, na=False).to_numpy(dtype=bool)
    phone = np.zeros(len(uniq), dtype=bool)
    rest = np.flatnonzero(~plain)
    if len(rest):
        values = uniq.iloc[rest]
        phone[rest] = np.fromiter((_phone_not_number(str(u)) for u in values), dtype=bool,
                                  count=len(values))
    return phone


def parse_numbers(table: RawTable, column: str, *, counts: bool) -> pd.Series:
    """Counts (int64, blank and negative and fractional are errors) or amounts (float, NaN blank).

    Semicolon CSVs from European Excel write ``1.234,5``: in those, '.' groups thousands and ','
    is the decimal mark.
    """
    s = table.frame[column]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    mark = decimal_mark(_stripped(uniq, currency=not counts), table.decimal_comma)
    if mark is None:
        comma = _stripped(uniq, not counts).str.fullmatch(_COMMA_DECIMAL, na=False)
        point = _stripped(uniq, not counts).str.fullmatch(_POINT_DECIMAL, na=False)
        pos_c = _first_pos(np.isin(codes, np.flatnonzero(comma.to_numpy(dtype=bool))))
        pos_p = _first_pos(np.isin(codes, np.flatnonzero(point.to_numpy(dtype=bool))))
        raise InputError(
            f"{table.name}: {column} mixes decimal marks: {table.where(pos_c)} has "
            f"{shown(s.iloc[pos_c], column)} (decimal comma) and {table.where(pos_p)} has "
            f"{shown(s.iloc[pos_p], column)} (decimal point), so neither reading is safe. "
            f"({table.convention}.)",
            "Export the column with one decimal mark (in Excel: File > Options > Advanced > "
            "Use system separators), or save the file comma-separated with decimal points.")
    text = _numeric_text(uniq, mark, currency=not counts)
    nums = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    # '+44 7700 900123' loses its spaces above and would be 447,700,900,123 views
    phone = _phones(uniq)
    bad = np.isnan(nums) | np.isinf(nums) | phone
    what = "is not a number"
    if counts:
        finite = ~bad
        with np.errstate(invalid="ignore"):
            neg = finite & (nums < 0)
            frac = finite & ~neg & (np.mod(nums, 1) != 0)
            huge = finite & (np.abs(nums) >= MAX_COUNT)
        if not bad.any() and huge.any():
            bad, what = huge, "is too large to be one form's count for one day (a billion or more)"
        elif not bad.any() and neg.any():
            bad, what = neg, "is negative"
        elif not bad.any() and frac.any():
            bad, what = frac, "is not a whole number"
    if bad.any():
        hit = np.isin(codes, np.flatnonzero(bad))
        pos = _first_pos(hit)
        n_bad = int(hit.sum())
        more = f" ({n_bad:,} rows have such values)" if n_bad > 1 else ""
        hint = ("Counts must be whole numbers from 0 to 999,999,999; check that the column holds "
                "counts and not ids or phone numbers." if counts
                else "Amounts must be numbers; leave the cell blank when unknown.")
        if mark == ",":
            hint += " This file is semicolon-separated, so ',' is read as the decimal mark."
        raise InputError(f"{table.where(pos)}: {column} {shown(s.iloc[pos], column)} {what}"
                         f"{more}. ({table.convention}.)", hint)
    if counts and (codes < 0).any():
        pos = _first_pos(codes < 0)
        raise InputError(f"{table.where(pos)}: {column} is blank. ({table.convention}.)",
                         f"Every row needs a count in {column}; write 0 for none.")
    full = np.where(codes >= 0, nums[np.maximum(codes, 0)] if len(nums) else np.nan, np.nan)
    if counts:
        return pd.Series(full.astype("int64"), index=s.index, name=column)
    return pd.Series(full, index=s.index, name=column, dtype="float64")


def parse_bools(table: RawTable, column: str, *, allowed_blank: bool = False) -> pd.Series:
    """true/false, 1/0, yes/no (any case) as a bool Series; unknown words are an error."""
    s = table.frame[column]
    low = s.str.casefold()
    is_true = low.isin(TRUE_WORDS).to_numpy()
    is_false = low.isin(FALSE_WORDS).to_numpy()
    blank = s.isna().to_numpy()
    bad = ~(is_true | is_false) & (~blank if allowed_blank else np.ones(len(s), dtype=bool))
    if bad.any():
        pos = _first_pos(bad)
        distinct = sorted(low[bad].dropna().unique().tolist())
        values = ", ".join(dict.fromkeys(quoted(v) for v in distinct[:10])) or "blank cells"
        raise InputError(
            f"{table.where(pos)}: {column} must be true/false (also 1/0, yes/no); found "
            f"{values} in {int(bad.sum()):,} rows. ({table.convention}.)",
            f"Fix those cells, or map a different column to {column}.")
    return pd.Series(is_true, index=s.index, name=column)


def blank_to_na(s: pd.Series) -> pd.Series:
    """Text column as ``str`` dtype with blanks as missing (date-times become ISO text)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.astype("str")
        return out.where(s.notna())
    return s.astype("str")


def distinct_counts(s: pd.Series, exclude: Collection[str] = ()) -> dict[str, int]:
    """Distinct non-blank values with counts, most common first (for error messages)."""
    counts = s.dropna().value_counts()
    return {str(k): int(v) for k, v in counts.items() if str(k) not in exclude}
