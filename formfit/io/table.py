"""One input file as read: :class:`RawTable`, and the helpers that turn cells into text.

Values are ``str`` with <NA> for blank cells (whitespace-only counts as blank, other values are
trimmed); typed date-time columns from Parquet or XLSX stay date-times so that no precision or
time zone is lost in a round trip through text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from formfit.errors import InputError
from formfit.memory import release_memory
from formfit.parallel import in_threads
from formfit.personal import EMAIL, PHONE, value_kind


@dataclass
class RawTable:
    """One input file as read: columns by header name, values as text (or typed date-times)."""

    frame: pd.DataFrame
    path: Path
    role: str  # "submissions", "views" or "outcomes": used in messages
    decimal_comma: bool = False  # semicolon CSV from European Excel: "1.234,5"
    unit: str = "row"  # how a user finds a record: spreadsheet "row" or JSON "line"
    first_number: int = 2  # the number of the first data record (header is row 1)
    numbers: np.ndarray[Any, np.dtype[np.int64]] | None = None  # explicit numbers (JSON Lines)
    header_looks_like_data: bool = False
    original: dict[str, str] = field(default_factory=dict)  # mapped name -> name in the file
    # strptime formats for date columns: per column (a preset's), else one for all (the user's)
    date_formats: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    # columns holding several values per cell, by separator (a preset's: HubSpot's
    # ';'-separated Associated Contact IDs)
    separators: dict[str, str] = field(default_factory=dict)
    # rows taken out before loading (a preset's row filter), by accounting reason: still rows
    # read, so the loader counts them
    excluded: dict[str, int] = field(default_factory=dict)

    engine_label: str | None = None  # "table:NAME" / "sql:..." for rows read from an engine
    # a workbook's sheets after the first, which formfit does not read (for the messages)
    other_sheets: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.engine_label or self.path.name

    def drop_rows(self, columns: Sequence[str] | None = None) -> None:
        """Keep the column names (``columns``, else the frame's own) without the rows, nor,
        unlike ``iloc[:0]``, their buffers, and hand the freed memory back to the OS: once
        the rows live on in checked frames, later checks only ask which columns a file had."""
        names = list(self.frame.columns) if columns is None else list(columns)
        self.frame = pd.DataFrame(columns=names)
        release_memory()

    def number(self, pos: int) -> int:
        """The user-visible record number of the frame's positional row ``pos``."""
        if self.numbers is not None:
            return int(self.numbers[pos])
        return pos + self.first_number

    def where(self, pos: int) -> str:
        """``'submissions file subs.csv row 1,204'``: how to find a record. A table in an engine
        has no row numbers: the message names the table and the column instead."""
        if self.engine_label is not None:
            return f"{self.role} {self.engine_label}"
        return f"{self.role} file {self.name} {self.unit} {self.number(pos):,}"

    @property
    def convention(self) -> str:
        if self.engine_label is not None:
            return "rows of an engine table have no numbers: filter it on the column named"
        if self.unit != "row":
            return f"{self.unit}s counted from 1"
        return "rows counted as in a spreadsheet: the header is row 1"


def other_sheets_note(others: Sequence[str]) -> str:
    """' (formfit reads only the first sheet of a workbook; it also has 'Data', ...)', or ''."""
    if not others:
        return ""
    names = ", ".join(repr(n) for n in others[:5]) + (", ..." if len(others) > 5 else "")
    return (f" (formfit reads only the first sheet of a workbook; this one also has {names}: "
            "if the export is there, move it to the first place or save it as CSV)")


REPEAT_MARK = "\u2009#"  # suffix of a repeated header name: "phone #2" (thin space)


def unique_names(header: Sequence[Any]) -> list[str]:
    """Trimmed header names; blanks become unnamed_N and exact repeats get a " #2" suffix.

    Names that differ only in case stay as they are, so that column mapping can report them
    as a clash when they matter.
    """
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, raw in enumerate(header):
        name = "" if raw is None else str(raw).strip().lstrip("\ufeff").strip()
        if not name:
            name = f"unnamed_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}{REPEAT_MARK}{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def arrow_to_frame(tbl: pa.Table, names: Sequence[str]) -> pd.DataFrame:
    """Strings trimmed and blank -> null in Arrow (fast), typed date-times kept. Columns are
    converted two at a time: Arrow's kernels run outside the interpreter's lock (2.3M
    submissions of 17 columns: 1.6 s one by one)."""
    frame = pd.DataFrame(dict(enumerate(in_threads(_column_to_pandas, tbl.columns))))
    frame.columns = pd.Index(list(names))
    return frame


def _column_to_pandas(col: Any) -> pd.Series:
    """One column of :func:`arrow_to_frame`."""
    typ = col.type
    if pa.types.is_date(typ):
        col = col.cast(pa.timestamp("ms"))  # else pandas gets datetime.date objects
        typ = col.type
    if pa.types.is_timestamp(typ) and _in_pandas_range(col):
        out: pd.Series = col.to_pandas()
        return out
    if pa.types.is_timestamp(typ):  # 9999-12-31 as a typed date: as text, whose parser
        col = pc.cast(col, pa.string())  # names the row and the years formfit reads
        typ = col.type
    if pa.types.is_dictionary(typ):
        col = col.cast(pa.string())
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        try:
            col = pc.cast(col, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            col = pa.chunked_array([pa.array([cell_text(v) for v in col.to_pylist()],
                                             pa.string())])
    trimmed = pc.utf8_trim_whitespace(col)
    if pc.all(pc.equal(pc.binary_length(trimmed), pc.binary_length(col))).as_py() \
            is not False:
        trimmed = col  # nothing to trim: keep the parsed buffers, not a copy of them
    blank = pc.equal(trimmed, "")
    if pc.any(blank).as_py():  # whitespace-only cells (empty ones are null already)
        trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
    out = trimmed.to_pandas()
    return out


def drop_blank_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with no header name and no values (a trailing delimiter) are not data."""
    drop = [c for c in frame.columns if str(c).startswith("unnamed_") and frame[c].isna().all()]
    return frame.drop(columns=drop) if drop else frame


def looks_like_data(header: Sequence[Any]) -> bool:
    """True when most header cells look like values (numbers, dates, emails), not names."""
    cells = [str(h).strip() for h in header if h is not None and str(h).strip()]
    if not cells:
        return False
    if len(cells) > 1 and any(value_kind(c) in (EMAIL, PHONE) for c in cells):
        return True  # no export names a column after someone's email or phone

    def value_like(s: str) -> bool:
        if "@" in s:
            return True
        try:
            float(s.replace(",", "."))
            return True
        except ValueError:
            pass
        try:
            datetime.fromisoformat(s)
            return True
        except ValueError:
            return False

    return sum(value_like(c) for c in cells) * 2 >= len(cells) and len(cells) > 1


def cell_text(v: Any) -> str | None:
    """A cell as text: integral floats without '.0', booleans as true/false, blanks as None."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    s = str(v).strip()
    return s or None


# what pandas' datetime64[ns] holds; a typed date outside (9999-12-31, 0001-01-01) stays text,
# so that the date parser names its row instead of pandas raising OutOfBoundsDatetime
_MIN_STAMP, _MAX_STAMP = datetime(1678, 1, 1), datetime(2261, 12, 31)


def _in_pandas_range(col: pa.ChunkedArray) -> bool:
    """Whether every value of a timestamp column fits pandas' nanosecond range."""
    bounds = pc.min_max(col.cast(pa.timestamp("us", tz=getattr(col.type, "tz", None))))
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    if lo is None:
        return True
    return bool(lo.replace(tzinfo=None) >= _MIN_STAMP and hi.replace(tzinfo=None) <= _MAX_STAMP)


def column_from_objects(values: Iterable[Any]) -> pd.Series:
    """A column from Python objects: all date-times -> datetime64, anything else -> str."""
    vals = list(values)
    present = [v for v in vals if not is_blank(v)]
    if present and all(isinstance(v, datetime) and _MIN_STAMP <= v <= _MAX_STAMP
                       for v in present):
        stamps = [pd.NaT if is_blank(v) else pd.Timestamp(v) for v in vals]
        return pd.Series(stamps, dtype="datetime64[ns]")
    return pd.Series([cell_text(v) for v in vals], dtype="str")


def is_blank(v: Any) -> bool:
    """None or whitespace-only text."""
    return v is None or (isinstance(v, str) and not v.strip())


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when text without a byte-order mark has a zero byte beside
    most characters (ASCII saved as UTF-16), else None."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode(data: bytes, source: str = "input") -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), UTF-16 (with BOM, or recognised
    by its zero bytes without one), else cp1252. ``source`` names the file in the error a
    broken UTF-16 file gets."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{source} starts with a UTF-16 byte-order mark but byte "
                             f"{exc.start:,} is not UTF-16 (the file is cut short or is not "
                             "text).", "Export it again as UTF-8 CSV.") from None
    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read as the other encodings
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte, so nothing is lost
        return data.decode("latin-1"), "latin-1"


def duplicated_rows(frame: pd.DataFrame, seed: np.ndarray[Any, Any] | None = None
                    ) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``frame.duplicated(keep="first")`` as a bool array, without factorizing every column
    of every row: a row can only repeat an earlier one if it shares its value in the most
    varied column, so after that column only the few rows that do are compared further
    (pandas' own version held one int64 code per cell: seconds and hundreds of MB per
    million rows). Blanks equal blanks, as in pandas.

    ``seed``, when given, is one code per row (0..k-1) computed from the row's own cells (a
    parsed key and date): rows that differ in it differ, so only rows sharing a seed are
    compared."""
    n = len(frame)
    out = np.zeros(n, dtype=bool)
    if n < 2 or frame.shape[1] == 0:
        return np.asarray(frame.duplicated(keep="first").to_numpy(), dtype=bool)
    rows = np.arange(n)
    code = np.zeros(n, dtype=np.int64)
    if seed is not None:
        code = np.asarray(seed, dtype=np.int64)
        shared = np.bincount(code)[code] > 1
        if not shared.any():
            return out
        rows, code = rows[shared], code[shared]
    head = frame.iloc[rows[:1000]]
    # the most varied columns first (the order changes only the speed, not the answer)
    order = sorted(range(frame.shape[1]), key=lambda i: -int(head.iloc[:, i].nunique()))
    for i in order:
        col = frame.iloc[:, i]
        if len(rows) < n:
            col = col.iloc[rows]
        values, uniques = pd.factorize(col, use_na_sentinel=False)
        code = code * max(len(uniques), 1) + values.astype(np.int64)
        code = pd.factorize(code)[0].astype(np.int64)  # dense again: no overflow
        shared = np.bincount(code)[code] > 1
        if not shared.any():
            return out
        rows, code = rows[shared], code[shared]
    out[rows] = pd.Series(code).duplicated(keep="first").to_numpy()
    return out
