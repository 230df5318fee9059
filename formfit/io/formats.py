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


# --- JSON Lines -------------------------------------------------------------------------------

def read_jsonl(data: bytes, path: Path, role: str) -> RawTable:
    """One JSON object per line (blank lines skipped), or a JSON array of objects."""
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
