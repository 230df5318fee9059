"""Rows to cells: the sufficient statistics every model works from.

A *cell* is one (form_id, version, date, segment values) combination with its counts. The
models never see raw rows: a binomial GLM on cells gives the same coefficients and standard
errors as a row-level logit, at a fraction of the cost, and row-level and pre-aggregated views
(which the io layer already brings to the same ``Inputs.view_counts`` shape) must give the same
estimates. Aggregation is a plain sum, so it is order-free and additive: splitting or merging
rows of ``view_counts`` changes no cell.

``version`` is the index into ``inputs.forms.forms[form_id].versions`` of the version in force
on the cell's date (:meth:`formfit.inputs.FormSpec.version_index`); ``-1`` marks a form the
forms configuration does not know (the estimators skip such cells and say so).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from formfit.inputs import FormsConfig, Inputs

#: count columns summed into cells when present
COUNT_COLUMNS: tuple[str, ...] = ("views", "submissions", "leads", "wins", "mature_views")


def version_column(form_ids: pd.Series, dates: pd.Series, forms: FormsConfig) -> np.ndarray:
    """The version index in force for each (form_id, date) pair; -1 for unknown forms."""
    out = np.full(len(form_ids), -1, dtype=np.int64)
    fid = form_ids.astype(str).to_numpy()
    days = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    for form_id in pd.unique(fid):
        spec = forms.forms.get(str(form_id))
        if spec is None:
            continue
        rows = np.flatnonzero(fid == form_id)
        d = days[rows]
        known = ~np.isnat(d)
        idx = np.full(len(rows), spec.version_index(None), dtype=np.int64)
        if known.any():
            uniq = np.unique(d[known])
            lookup = {
                u: spec.version_index(_to_date(u)) for u in uniq
            }
            idx[known] = [lookup[v] for v in d[known]]
        out[rows] = idx
    return out


def _to_date(value: np.datetime64) -> date:
    return pd.Timestamp(value).date()


def make_cells(frame: pd.DataFrame, forms: FormsConfig, segments: Sequence[str] = (),
               counts: Sequence[str] | None = None) -> pd.DataFrame:
    """Aggregate any frame with form_id, date, segment and count columns into cells.

    ``counts`` defaults to the columns of :data:`COUNT_COLUMNS` that the frame has. Missing
    dates stay NaT (one cell per form version and segment). Segment values that are missing
    form their own level. Rows are sorted by (form_id, version, date, segments).
    """
    df = frame.copy()
    if "date" not in df.columns:
        df["date"] = pd.NaT
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["form_id"] = df["form_id"].astype(str)
    segs = [s for s in segments if s in df.columns]
    for s in segs:
        df[s] = df[s].astype("string").fillna("(missing)").astype(str)
    cnt = list(counts) if counts is not None else [c for c in COUNT_COLUMNS if c in df.columns]
    df["version"] = version_column(df["form_id"], df["date"], forms)
    keys = ["form_id", "version", "date", *segs]
    if df.empty:
        return pd.DataFrame({k: df[k] for k in keys} | {c: df[c].astype("int64") for c in cnt})
    cells = (df.groupby(keys, dropna=False, sort=True, observed=True)[cnt]
               .sum().reset_index())
    for c in cnt:
        cells[c] = cells[c].astype("int64") if _is_integral(cells[c]) else cells[c]
    return cells.reset_index(drop=True)


def _is_integral(col: pd.Series) -> bool:
    values = col.to_numpy(dtype=float)
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def view_cells(inputs: Inputs) -> pd.DataFrame:
    """Views and submissions per (form_id, version, date, segments) cell.

    Columns: ``form_id``, ``version`` (int), ``date`` (datetime64[ns], NaT without dates),
    one column per declared segment present in the views, ``views``, ``submissions``.
    Each (form_id, version, date, segments) combination appears once. An empty frame with
    these columns when the inputs carry no views.
    """
    vc = inputs.view_counts
    segs = [s for s in inputs.segments if vc is not None and s in vc.columns]
    if vc is None:
        cols = ["form_id", "version", "date", *segs, "views", "submissions"]
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in cols}).astype(
            {"form_id": str, "date": "datetime64[ns]"})
    return make_cells(vc, inputs.forms, segs, counts=["views", "submissions"])
