"""Lead cells: per-lead outcomes grouped into the sufficient statistics the win models need.

Input: the per-lead frame of :func:`formfit.leads.lead_outcomes` (the row-level join of deals to
leads). Output, two tables keyed by ``(form_id, version, date, *segments)`` (``date`` the
submission day, NaT without submission dates):

* ``cells``: one row per key with ``leads``; the lead's deal state at ``as_of`` counted as
  ``won`` (any won deal), ``open`` (an open deal, none won), ``lost`` (only closed lost
  deals), ``no_deal``; ``age_days`` (as_of - submission day); revenue of won leads with a known
  amount as ``rev_n``, ``rev_sum``, ``rev_sumsq`` (winsorised, so that a mean, a Welch test and
  the delta method need no per-lead rows).
* ``events``: one row per key and follow-up day ``t`` (days since submission) with the number
  of leads whose first win (``won``), final loss (``lost``) or censoring at ``as_of``
  (``censored``: open deal or no deal yet) falls on that day. Only dated leads. This is what the
  censoring estimators (Aalen-Johansen, completion factors) read; a lead is never both.

An open deal is censored here, never lost. Pure pandas for now (the engine-side version of the
grouping belongs to the cells stage of issue 8); the output is all that leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from formfit.cells.groups import group_index, sorted_groups

KEYS = ("form_id", "version", "date")
STATES = ("won", "open", "lost", "no_deal")


@dataclass(frozen=True, eq=False)
class LeadCells:
    """Lead cells and their follow-up events (see the module docstring)."""

    cells: pd.DataFrame
    events: pd.DataFrame
    segments: tuple[str, ...]
    as_of: date | None

    @property
    def keys(self) -> list[str]:
        return [*KEYS, *self.segments]

    @property
    def dated(self) -> bool:
        return bool(len(self.cells)) and bool(self.cells["date"].notna().any())

    def __repr__(self) -> str:
        n = int(self.cells["leads"].sum()) if len(self.cells) else 0
        return f"<LeadCells: {len(self.cells)} cells, {n} leads, {len(self.events)} event rows>"


def _norm(frame: pd.DataFrame, segs: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for s in segs:
        out[s] = out[s].astype("string").fillna("(missing)").astype("str")
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["version"] = out["version"].astype("int64")
    return out


def lead_cells(leads: pd.DataFrame, segments: Sequence[str], as_of: date | None) -> LeadCells:
    """Group per-lead outcomes into lead cells and follow-up events.

    ``leads`` columns: ``form_id``, ``version``, ``date``, the segments, ``deal_state``
    ("won", "open", "lost", "none"), ``win_revenue`` (winsorised revenue of a won lead, NaN when
    not won or of unknown amount), and for dated leads ``event`` (0 censored, 1 won, 2 lost)
    and ``event_days``. Leads submitted after ``as_of`` must already be left out.

    The keys are grouped once; every count is a ``bincount`` of the group numbers, and the
    events are grouped on (cell, day) as one integer: no per-lead column is built per count
    (at 2.3M leads those columns were 0.4 GB of the peak memory).
    """
    segs = tuple(s for s in segments if s in leads.columns)
    keys = [*KEYS, *segs]
    counts = ["leads", *STATES, "rev_n", "rev_sum", "rev_sumsq"]
    if leads.empty:
        cells = pd.DataFrame({c: pd.Series(dtype="float64") for c in [*keys, *counts,
                                                                       "age_days"]})
        events = pd.DataFrame({c: pd.Series(dtype="float64")
                               for c in [*keys, "t", "won", "lost", "censored"]})
        return LeadCells(cells=cells, events=events, segments=segs, as_of=as_of)
    gid, cells = group_index(_norm(leads[keys], segs), keys)
    g = len(cells)

    def count(mask: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(gid if mask is None else gid[mask], minlength=g).astype(np.int64)

    # integer codes: comparing a million Python strings four times took a quarter second
    state_codes, state_names = pd.factorize(leads["deal_state"].astype("str"))
    where = {str(v): i for i, v in enumerate(state_names)}

    def is_state(name: str) -> np.ndarray:
        return np.asarray(state_codes == where.get(name, -2), dtype=bool)

    cells["leads"] = count()
    for s in STATES:
        cells[s] = count(is_state("none" if s == "no_deal" else s))
    rev = pd.to_numeric(leads["win_revenue"], errors="coerce").to_numpy(dtype=float)
    has = np.isfinite(rev) & is_state("won")
    cells["rev_n"] = count(has)
    rev = np.where(has, rev, 0.0)
    # pandas' grouped sum (compensated): the same totals, to the last bit, as before
    sums = pd.DataFrame({"rev_sum": rev, "rev_sumsq": rev * rev}).groupby(gid, sort=True).sum()
    del rev
    cells["rev_sum"] = sums["rev_sum"].to_numpy()
    cells["rev_sumsq"] = sums["rev_sumsq"].to_numpy()
    cells["age_days"] = ((pd.Timestamp(as_of) - cells["date"]).dt.days.astype(float)
                         if as_of is not None else np.nan)
    return LeadCells(cells=cells, events=_events(leads, gid, cells[keys]), segments=segs,
                     as_of=as_of)


def _events(leads: pd.DataFrame, gid: np.ndarray, cell_keys: pd.DataFrame) -> pd.DataFrame:
    """Per (cell, follow-up day t): leads whose first win, final loss or censoring falls on
    t. Cells come numbered in key order, so numbering (cell, t) in order sorts the events by
    (keys..., t), as a grouping on the key columns and t would."""
    keys = list(cell_keys.columns)
    ev = leads["event"] if "event" in leads.columns else pd.Series(pd.NA, index=leads.index)
    ok = ev.notna().to_numpy(dtype=bool) & leads["date"].notna().to_numpy(dtype=bool)
    if not ok.any():
        return pd.DataFrame({c: pd.Series(dtype="float64")
                             for c in [*keys, "t", "won", "lost", "censored"]})
    t = np.floor(leads["event_days"].to_numpy(dtype=float)[ok]).astype(np.int64)
    code = ev.to_numpy(dtype="float64", na_value=np.nan)[ok]
    t0 = int(t.min())
    span = int(t.max()) - t0 + 1
    pair_codes, first = sorted_groups(gid[ok] * span + (t - t0))
    n = len(first)
    out: pd.DataFrame = cell_keys.iloc[gid[ok][first]].reset_index(drop=True)
    out["t"] = t[first]
    for name, value in (("won", 1), ("lost", 2), ("censored", 0)):
        out[name] = np.bincount(pair_codes[code == value], minlength=n).astype(np.int64)
    return out


def cohort_wins(lc: LeadCells, grid: Sequence[int]) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray, np.ndarray]:
    """Per submission day (cohort): leads, age at as_of, and wins by each grid day.

    Returns (days as int64 day numbers, leads, age_days, cum_wins[cohort, grid point]); the
    cumulative wins count first wins with follow-up day <= the grid point (only meaningful where
    the cohort's age reaches that point).
    """
    c = lc.cells.loc[lc.cells["date"].notna()]
    per_day = c.groupby("date", sort=True)[["leads"]].sum()
    age = c.groupby("date", sort=True)["age_days"].first()
    days = per_day.index.to_numpy(dtype="datetime64[D]").astype(np.int64)
    ev = lc.events.loc[lc.events["won"] > 0]
    pos = np.searchsorted(days, ev["date"].to_numpy(dtype="datetime64[D]").astype(np.int64))
    g = np.asarray(grid, dtype=np.int64)
    cum = np.zeros((days.size, g.size))
    if len(ev):
        col = np.searchsorted(g, ev["t"].to_numpy(dtype=np.int64), side="left")
        inc = np.zeros((days.size, g.size + 1))
        np.add.at(inc, (pos, col), ev["won"].to_numpy(dtype=float))
        cum = np.cumsum(inc, axis=1)[:, :g.size]
    return days, per_day["leads"].to_numpy(dtype=float), age.to_numpy(dtype=float), cum
