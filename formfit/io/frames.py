"""In-memory inputs for the library: a pandas DataFrame or an Arrow table as a :class:`RawTable`.

The cells arrive exactly as a Parquet file's would (text trimmed, blanks null, typed date-times
kept), so every later check and message is the same as for a file. Records are numbered by
position from 1 (``submissions DataFrame position 3`` is ``df.iloc[2]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from formfit.errors import InputError
from formfit.io.table import RawTable, arrow_to_frame, cell_text, unique_names

__all__ = ["frame_kind", "frame_table"]


def frame_kind(obj: Any) -> str | None:
    """'DataFrame' or 'Arrow table' for in-memory inputs, None for anything else."""
    if isinstance(obj, pd.DataFrame):
        return "DataFrame"
    if isinstance(obj, (pa.Table, pa.RecordBatch)):
        return "Arrow table"
    return None


def _arrow(df: pd.DataFrame) -> pa.Table:
    if df.index.name is not None or any(n is not None for n in df.index.names):
        df = df.reset_index()  # a named index (df.set_index("lead_id")) is a column
    names = [str(c) for c in df.columns]
    # by position: pandas refuses repeated names ("Duplicate column names found"), which an
    # Arrow table may hold; they get their names back below, so a repeat is reported as it is
    # for an Arrow table or a file (several columns end up with one name)
    df = df.set_axis([f"c{i}" for i in range(len(names))], axis=1)
    try:
        tbl = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # mixed Python objects in a column: their text, as a CSV export would hold
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = pd.Series([None if _blank(v) else cell_text(v) for v in df[c].tolist()],
                                  index=df.index, dtype=object)
        tbl = pa.Table.from_pandas(df, preserve_index=False)
    return tbl.rename_columns(names)


def _blank(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def frame_table(obj: Any, role: str) -> RawTable:
    """Wrap a DataFrame or Arrow table given for ``role``; raises InputError when empty."""
    kind = frame_kind(obj)
    if kind is None:
        raise InputError(f"{role} is a {type(obj).__name__}, not a file path, a pandas DataFrame "
                         "or an Arrow table.", f"Pass {role} as one of those.")
    tbl = _arrow(obj) if isinstance(obj, pd.DataFrame) else pa.table(obj)
    names = unique_names([str(c) for c in tbl.column_names])
    if not names:
        raise InputError(f"the {role} {kind} has no columns.", "Pass a table with columns.")
    if tbl.num_rows == 0:
        raise InputError(f"the {role} {kind} has no rows.", "Pass a table with data rows.")
    return RawTable(arrow_to_frame(tbl, names), Path(kind), role, unit="position",
                    first_number=1)
