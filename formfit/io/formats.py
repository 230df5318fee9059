"""Readers for Parquet, XLSX (first sheet) and JSON Lines (or a JSON array of records)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from formfit.errors import InputError
from formfit.io.table import (
    RawTable,
    arrow_to_frame,
    column_from_objects,
    decode,
    is_blank,
    looks_like_data,
    unique_names,
)

# --- Parquet ----------------------------------------------------------------------------------

def read_parquet(data: bytes, path: Path, role: str) -> RawTable:
    """A Parquet file: text columns as text, typed date-times kept, other types as text."""
    import pyarrow.parquet as pq

    try:
        tbl = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{role} file {path.name} is not a readable Parquet file "
                         f"({exc.__class__.__name__}).",
                         "Export it again, or use CSV.") from None
    names = unique_names(tbl.column_names)
    return RawTable(arrow_to_frame(tbl, names), path, role)


# --- XLSX -------------------------------------------------------------------------------------

def read_xlsx(data: bytes, path: Path, role: str) -> RawTable:
    """The first sheet of a workbook; its first row is the header."""
    import openpyxl

    _check_xlsx_size(data, path, role)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, xml, key errors)
        raise InputError(f"{role} file {path.name} is not a readable XLSX workbook "
                         f"({exc.__class__.__name__}).",
                         "Open it in Excel and save it again as .xlsx, or export CSV.") from None
    try:
        ws = wb.worksheets[0]
        _check_xlsx_dimension(ws, path, role)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    while rows and all(is_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{role} file {path.name}: the first sheet is empty.",
                         "Put the export on the first sheet, with a header row.")
    header = rows[0]
    width = max(len(r) for r in rows)
    while width > 0 and is_blank(header[width - 1] if width - 1 < len(header) else None) and all(
            is_blank(r[width - 1] if width - 1 < len(r) else None) for r in rows):
        width -= 1
    header = list(header) + [None] * (width - len(header))
    names = unique_names(header[:width])
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    cols = {n: column_from_objects([r[i] for r in body]) for i, n in enumerate(names)}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(len(body)))
    frame.columns = pd.Index(names)
    return RawTable(frame, path, role, header_looks_like_data=looks_like_data(header[:width]))


MAX_XLSX_COLUMNS = 1000  # exports have tens; a value in XFD1048576 pads every row to 16,384
MAX_XLSX_ROWS = 2_000_000
MAX_XLSX_XML_MB = 2048  # uncompressed sheet XML: a zip bomb expands before a row is read


def _check_xlsx_size(data: bytes, path: Path, role: str) -> None:
    """Refuse a workbook whose parts expand beyond MAX_XLSX_XML_MB before parsing any XML."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expanded = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl says what is wrong with it
    if expanded > MAX_XLSX_XML_MB * 1024 * 1024:
        raise InputError(
            f"{role} file {path.name} expands to {expanded / 2**20:,.0f} MB of XML, more than "
            f"the {MAX_XLSX_XML_MB:,} MB formfit reads from a workbook.",
            "Export the sheet as CSV (read without that limit), or check that it holds only "
            "the export.")


def _check_xlsx_dimension(ws: Any, path: Path, role: str) -> None:
    """A sheet's declared size (its dimension tag) must be a table, not 16,384 columns."""
    try:
        rows, cols = int(ws.max_row or 0), int(ws.max_column or 0)
    except (TypeError, ValueError):
        return
    if cols > MAX_XLSX_COLUMNS or rows > MAX_XLSX_ROWS:
        raise InputError(
            f"{role} file {path.name}: the first sheet spans {rows:,} rows and {cols:,} "
            f"columns (limits: {MAX_XLSX_ROWS:,} rows, {MAX_XLSX_COLUMNS:,} columns); a stray "
            "value far from the table usually causes this.",
            "Delete the cells outside the table (or copy the table to a new sheet), or export "
            "CSV.")


# --- JSON Lines -------------------------------------------------------------------------------

def read_jsonl(data: bytes, path: Path, role: str) -> RawTable:
    """One JSON object per line (blank lines skipped), or a JSON array of objects."""
    text, _ = decode(data, f"{role} file {path.name}")
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
    clean = unique_names(raw_names)
    cols = {c: column_from_objects([rec.get(r) for rec in records])
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
