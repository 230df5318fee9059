"""Read one input file into a table of strings: CSV, TSV, Parquet, XLSX or JSON Lines, gzip ok.

Every reader returns a :class:`RawTable` whose frame holds the file's columns under their
(trimmed) header names. Values are ``str`` with <NA> for blank cells (whitespace-only counts as
blank, other values are trimmed); typed date-time columns from Parquet or XLSX stay date-times so
that no precision or time zone is lost in a round trip through text. The callers parse the
columns they need and report bad values by the row number a spreadsheet user sees.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from formfit.errors import InputError

# extension (after removing .gz) -> reader kind
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
SUPPORTED_TEXT = ".csv, .tsv, .parquet, .xlsx, .jsonl (each also as .gz, e.g. .csv.gz)"
_DELIMITERS = (",", ";", "\t", "|")


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

    @property
    def name(self) -> str:
        return self.path.name

    def number(self, pos: int) -> int:
        """The user-visible record number of the frame's positional row ``pos``."""
        if self.numbers is not None:
            return int(self.numbers[pos])
        return pos + self.first_number

    def where(self, pos: int) -> str:
        """``'submissions file subs.csv row 1,204'``: how to find a record."""
        return f"{self.role} file {self.name} {self.unit} {self.number(pos):,}"

    @property
    def convention(self) -> str:
        if self.unit != "row":
            return f"{self.unit}s counted from 1"
        return "rows counted as in a spreadsheet: the header is row 1"


def format_of(path: Path) -> tuple[str, bool]:
    """The reader kind for ``path`` and whether it is gzip-compressed, from its extension."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if gz:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    kind = FORMATS.get(ext)
    if kind is None:
        shown = "".join(path.suffixes[-2:]) if path.suffixes else "(none)"
        hint = f"Supported: {SUPPORTED_TEXT}."
        if ext == ".xls":
            hint += " Save the old .xls workbook as .xlsx or CSV first."
        raise InputError(f"{path.name}: unknown file type {shown}.", hint)
    return kind, gz


def read_table(path: Path, role: str) -> RawTable:
    """Read ``path`` (chosen by extension) into a :class:`RawTable`. Raises InputError."""
    if not path.exists():
        raise InputError(f"{role} file {path} does not exist.",
                         f"Check the path given to --{role}.")
    if path.is_dir():
        raise InputError(f"{role} file {path} is a directory, not a file.",
                         f"Give --{role} the path of one export file.")
    kind, gz = format_of(path)
    data = _read_bytes(path, gz)
    if not data.strip():
        raise InputError(f"{role} file {path.name} is empty.",
                         "Export it again: it needs a header row and at least one data row.")
    if kind in ("csv", "tsv"):
        table = _read_delimited(data, path, role, tab=kind == "tsv")
    elif kind == "parquet":
        table = _read_parquet(data, path, role)
    elif kind == "xlsx":
        table = _read_xlsx(data, path, role)
    else:
        table = _read_jsonl(data, path, role)
    table.frame = _drop_blank_unnamed(table.frame)
    if len(table.frame.columns) == 0:
        raise InputError(f"{role} file {path.name} has no columns.",
                         "Export it again with a header row of column names.")
    if len(table.frame) == 0:
        raise InputError(f"{role} file {path.name} has a header but no data rows.",
                         "Export it again with the rows included (check any filters).")
    return table


def _read_bytes(path: Path, gz: bool) -> bytes:
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        what = "a valid gzip file" if gz else "readable"
        raise InputError(f"{path.name} is not {what}: {exc.__class__.__name__}.",
                         "Check that the file is complete (not still downloading) and not "
                         "renamed from another format.") from None


# --- CSV / TSV --------------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte, so nothing is lost
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line most often (outside quotes); ',' on a tie."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_delimited(data: bytes, path: Path, role: str, *, tab: bool) -> RawTable:
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = "\t" if tab else sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise InputError(f"{role} file {path.name} has no header row.",
                         "The first line must hold the column names.") from None
    header_lines = reader.line_num
    names = _unique_names(header)
    # pyarrow parses UTF-8 only; re-encode other code pages once (cheap next to parsing)
    utf8 = data if encoding == "utf-8" else text.encode("utf-8")
    if utf8.startswith(b"\xef\xbb\xbf"):
        utf8 = utf8[3:]
    internal = [f"c{i}" for i in range(len(names))]
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(utf8),
            read_options=pacsv.ReadOptions(column_names=internal, skip_rows=header_lines,
                                           block_size=1 << 24,
                                           # threads only pay off on big files
                                           use_threads=len(utf8) > 1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(internal, pa.string()),
                strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        # pyarrow's message quotes the offending row (personal data): locate it ourselves
        raise _csv_shape_error(text, path, role, delimiter, len(names)) from exc
    frame = _arrow_to_frame(tbl, names)
    decimal_comma = delimiter == ";"
    return RawTable(frame, path, role, decimal_comma=decimal_comma,
                    header_looks_like_data=looks_like_data(header))


def _csv_shape_error(text: str, path: Path, role: str, delimiter: str, width: int) -> InputError:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            if number > 1 and row and len(row) != width:
                return InputError(
                    f"{role} file {path.name} row {number:,} (the header is row 1) has "
                    f"{len(row)} values but the header names {width} columns.",
                    "Quote values that contain the delimiter "
                    f"({_delimiter_name(delimiter)}), or export the file again.")
    except csv.Error:
        pass
    return InputError(f"{role} file {path.name} cannot be parsed as "
                      f"{_delimiter_name(delimiter)}-separated text.",
                      "Check for an unclosed quote, or export the file again as UTF-8 CSV.")


def _delimiter_name(d: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(d, repr(d))


REPEAT_MARK = "\u2009#"  # suffix of a repeated header name: "phone #2" (thin space)


def _unique_names(header: Sequence[Any]) -> list[str]:
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


def _arrow_to_frame(tbl: pa.Table, names: Sequence[str]) -> pd.DataFrame:
    """Strings trimmed and blank -> null in Arrow (fast), typed date-times kept."""
    cols: dict[str, Any] = {}
    for name, col in zip(names, tbl.columns, strict=True):
        typ = col.type
        if pa.types.is_date(typ):
            col = col.cast(pa.timestamp("ms"))  # else pandas gets datetime.date objects
            typ = col.type
        if pa.types.is_timestamp(typ):
            cols[name] = col.to_pandas()
            continue
        if pa.types.is_dictionary(typ):
            col = col.cast(pa.string())
        if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
            try:
                col = pc.cast(col, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                col = pa.chunked_array([pa.array([_text(v) for v in col.to_pylist()],
                                                 pa.string())])
        trimmed = pc.utf8_trim_whitespace(col)
        blank = pc.equal(trimmed, "")
        cols[name] = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed).to_pandas()
    frame = pd.DataFrame(cols)
    frame.columns = pd.Index(list(names))
    return frame


def _drop_blank_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with no header name and no values (a trailing delimiter) are not data."""
    drop = [c for c in frame.columns if str(c).startswith("unnamed_") and frame[c].isna().all()]
    return frame.drop(columns=drop) if drop else frame


def looks_like_data(header: Sequence[Any]) -> bool:
    """True when most header cells look like values (numbers, dates, emails), not names."""
    cells = [str(h).strip() for h in header if h is not None and str(h).strip()]
    if not cells:
        return False

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


# --- Parquet ----------------------------------------------------------------------------------

def _read_parquet(data: bytes, path: Path, role: str) -> RawTable:
    import pyarrow.parquet as pq

    try:
        tbl = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{role} file {path.name} is not a readable Parquet file "
                         f"({exc.__class__.__name__}).",
                         "Export it again, or use CSV.") from None
    names = _unique_names(tbl.column_names)
    return RawTable(_arrow_to_frame(tbl, names), path, role)


# --- XLSX -------------------------------------------------------------------------------------

def _read_xlsx(data: bytes, path: Path, role: str) -> RawTable:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors)
        raise InputError(f"{role} file {path.name} is not a readable XLSX workbook "
                         f"({exc.__class__.__name__}).",
                         "Open it in Excel and save it again as .xlsx, or export CSV.") from None
    try:
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{role} file {path.name}: the first sheet is empty.",
                         "Put the export on the first sheet, with a header row.")
    header = rows[0]
    width = max(len(r) for r in rows)
    while width > 0 and _blank(header[width - 1] if width - 1 < len(header) else None) and all(
            _blank(r[width - 1] if width - 1 < len(r) else None) for r in rows):
        width -= 1
    header = list(header) + [None] * (width - len(header))
    names = _unique_names(header[:width])
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    cols = {n: _column_from_objects([r[i] for r in body]) for i, n in enumerate(names)}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(len(body)))
    frame.columns = pd.Index(names)
    return RawTable(frame, path, role, header_looks_like_data=looks_like_data(header[:width]))


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# --- JSON Lines -------------------------------------------------------------------------------

def _read_jsonl(data: bytes, path: Path, role: str) -> RawTable:
    text, _ = decode(data)
    stripped = text.lstrip()
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    if stripped.startswith("["):  # a JSON array of records is accepted too
        try:
            arr = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{role} file {path.name} line {exc.lineno:,} is not valid JSON "
                             f"({exc.msg}).", "Fix the JSON, or export JSON Lines.") from None
        for i, rec in enumerate(arr, start=1):
            records.append(_record(rec, path, role, i, "record"))
            numbers.append(i)
        unit = "record"
    else:
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{role} file {path.name} line {i:,} is not valid JSON "
                                 f"({exc.msg}).",
                                 "JSON Lines holds one JSON object per line.") from None
            records.append(_record(rec, path, role, i, "line"))
            numbers.append(i)
        unit = "line"
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    raw_names = list(names)
    clean = _unique_names(raw_names)
    cols = {c: _column_from_objects([rec.get(r) for rec in records])
            for r, c in zip(raw_names, clean, strict=True)}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(len(records)))
    frame.columns = pd.Index(clean)
    return RawTable(frame, path, role, unit=unit, first_number=1,
                    numbers=np.asarray(numbers, dtype=np.int64))


def _record(rec: Any, path: Path, role: str, number: int, unit: str) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise InputError(f"{role} file {path.name} {unit} {number:,} is not a JSON object.",
                         'Each record must be an object such as {"form_id": "demo", ...}.')
    return {str(k): v for k, v in rec.items()}


# --- shared -----------------------------------------------------------------------------------

def _text(v: Any) -> str | None:
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


def _column_from_objects(values: Iterable[Any]) -> pd.Series:
    """A column from Python objects: all date-times -> datetime64, anything else -> str."""
    vals = list(values)
    present = [v for v in vals if not _blank(v)]
    if present and all(isinstance(v, datetime) for v in present):
        stamps = [pd.NaT if _blank(v) else pd.Timestamp(v) for v in vals]
        return pd.Series(stamps, dtype="datetime64[ns]")
    return pd.Series([_text(v) for v in vals], dtype="str")
