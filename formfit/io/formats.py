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
    other_sheets_note,
    unique_names,
)
from formfit.limits import current, how_to_raise
from formfit.safe_yaml import load_json

# --- Parquet ----------------------------------------------------------------------------------

def read_parquet(data: bytes, path: Path, role: str) -> RawTable:
    """A Parquet file: text columns as text, typed date-times kept, other types as text."""
    import pyarrow.parquet as pq

    from formfit.io.readers import check_columns

    try:
        check_columns(len(pq.read_schema(pa.BufferReader(data)).names), path, role)
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
        others = tuple(str(w.title) for w in wb.worksheets[1:])
        _check_xlsx_dimension(ws, path, role)
        rows = _sheet_rows(ws, path, role)
    finally:
        wb.close()
    while rows and all(is_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{role} file {path.name}: the first sheet is empty"
                         f"{other_sheets_note(others)}.",
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
    table = RawTable(frame, path, role, header_looks_like_data=looks_like_data(header[:width]),
                     other_sheets=others)
    _check_frame_cells(table)
    return table


def _sheet_rows(ws: Any, path: Path, role: str) -> list[list[Any]]:
    """The sheet's rows, each checked against the caps as it is read: a sheet without a
    dimension tag is not padded by openpyxl, so its rows are the only measure."""
    limits = current()
    rows: list[list[Any]] = []
    for r in ws.iter_rows(values_only=True):
        if len(r) > limits.max_columns or len(rows) >= limits.max_xlsx_rows:
            key, cap, need = (("max_columns", limits.max_columns, len(r))
                              if len(r) > limits.max_columns
                              else ("max_xlsx_rows", limits.max_xlsx_rows, len(rows) + 1))
            what = (f"row {len(rows) + 1:,} reaches column {len(r):,}" if key == "max_columns"
                    else f"the sheet has more than {cap:,} rows")
            raise InputError(
                f"{role} file {path.name}: {what}, past the cap ({key}: {cap:,}); a stray value "
                "far from the table usually causes this.",
                "Delete the cells outside the table (or copy the table to a new sheet), or "
                "export CSV. " + how_to_raise(key, cap, need))
        rows.append(list(r))
    return rows


def _check_xlsx_size(data: bytes, path: Path, role: str) -> None:
    """Refuse a workbook whose parts expand beyond the XML cap (max_xlsx_xml_mb) before any
    XML is parsed: a zip bomb expands before a row is read."""
    import zipfile

    cap = current().max_xlsx_xml_mb

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expanded = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl says what is wrong with it
    if expanded > cap * 1024 * 1024:
        raise InputError(
            f"{role} file {path.name} expands to {expanded / 2**20:,.0f} MB of XML, more than "
            f"the workbook cap (max_xlsx_xml_mb: {cap:,}).",
            "Export the sheet as CSV, or check that the workbook holds only the export. "
            + how_to_raise("max_xlsx_xml_mb", cap, expanded >> 20))


def _check_xlsx_dimension(ws: Any, path: Path, role: str) -> None:
    """A sheet's declared size (its dimension tag) must be a table, not 16,384 columns."""
    try:
        rows, cols = int(ws.max_row or 0), int(ws.max_column or 0)
    except (TypeError, ValueError):
        return
    limits = current()
    if cols > limits.max_columns or rows > limits.max_xlsx_rows:
        key, cap, need = (("max_columns", limits.max_columns, cols) if cols > limits.max_columns
                          else ("max_xlsx_rows", limits.max_xlsx_rows, rows))
        raise InputError(
            f"{role} file {path.name}: the first sheet spans {rows:,} rows and {cols:,} "
            f"columns (caps: max_xlsx_rows {limits.max_xlsx_rows:,}, max_columns "
            f"{limits.max_columns:,}); a stray value far from the table usually causes this.",
            "Delete the cells outside the table (or copy the table to a new sheet), or export "
            "CSV. " + how_to_raise(key, cap, need))


# --- JSON Lines -------------------------------------------------------------------------------

def read_jsonl(data: bytes, path: Path, role: str) -> RawTable:
    """One JSON object per line (blank lines skipped), or a JSON array of objects."""
    from formfit.io.readers import check_one_encoding

    text, encoding = decode(data, f"{role} file {path.name}")
    if encoding in ("cp1252", "latin-1"):
        check_one_encoding(data, path, role)
    stripped = text.lstrip()
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    if stripped.startswith("["):  # a JSON array of records is accepted too
        try:
            arr = load_json(text)
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
                rec = load_json(line)
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
    from formfit.io.readers import check_columns

    check_columns(len(raw_names), path, role)
    clean = unique_names(raw_names)
    cols = {c: column_from_objects([rec.get(r) for rec in records])
            for r, c in zip(raw_names, clean, strict=True)}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(len(records)))
    frame.columns = pd.Index(clean)
    table = RawTable(frame, path, role, unit=unit, first_number=1,
                     numbers=np.asarray(numbers, dtype=np.int64))
    _check_frame_cells(table)
    return table


def _check_frame_cells(table: RawTable) -> None:
    """No text cell past the cell-size cap (see readers.check_cells), by record number."""
    from formfit.io.readers import cell_too_big

    cap = current().max_cell_mb << 20
    for pos_col, name in enumerate(table.frame.columns):
        col = table.frame.iloc[:, pos_col]
        if col.dtype.kind in "Mm":
            continue
        lengths = col.str.len()
        longest = lengths.max()
        if pd.notna(longest) and int(longest) > cap:
            pos = int(np.flatnonzero(lengths.to_numpy() == longest)[0])
            raise cell_too_big(table.path, table.role,
                               f"{table.unit} {table.number(pos):,} column {str(name)!r}",
                               int(longest))


def _record(rec: Any, path: Path, role: str, number: int, unit: str) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise InputError(f"{role} file {path.name} {unit} {number:,} is not a JSON object.",
                         'Each record must be an object such as {"form_id": "demo", ...}.')
    return {str(k): v for k, v in rec.items()}
