"""Which leads are won: deals joined to leads, with open deals and young leads handled honestly.

Estimand: Q_h(x) = P(the lead has a won deal within h days of its submission | field set x).

* **Horizon.** h is ``settings.maturity_days`` or, when not set, derived from every lead by
  :func:`formfit.models.completion.win_timing`: the first week by which the cumulative share
  of wins has stopped growing, estimated with chain-ladder completion factors, so young leads'
  slow wins that are not in yet do not pull h short (the old 90th percentile of *observed*
  win times did). The lead cells (:mod:`formfit.cells.leads`) built here feed that estimate and
  the win models.
* **Judged leads.** A lead submitted at least h days before ``as_of`` is *mature*: whether it
  was won within h is fully observed. It is won if a won deal closed within h days of the
  submission; a deal still open at ``as_of``, a deal won later than h, or no deal at all means
  "not won within h". That is the estimand, not an open deal counted as lost: every judged lead
  had its full h days. Younger leads are held out (``too_young``); they still enter the
  Aalen-Johansen cumulative incidence (:mod:`formfit.models.censoring`), censored at ``as_of``.
* **State at as_of.** When ``as_of`` is earlier than the export, deals are read as they stood
  on ``as_of``: created later -> ignored; closed later -> still open.
* **Without submission dates** no window exists: a lead whose deals are all closed (or that has
  no deal) is judged, won if any deal is won; a lead with an open deal and no won deal is held
  out (``open_deal_no_dates``), never counted as lost. The estimand becomes "won, among leads
  whose outcome is known" and the notice NO_MATURITY_WINDOW says so.
* **Without outcomes** nothing is judged (``won`` is NaN) and the notice NO_OUTCOMES says so.
* **Revenue** of a lead is the sum of the amounts of its won deals (within h when there is a
  window); the table keeps the raw sum, ``revenue_capped`` winsorises it at the P99.9 of won
  leads' revenue for the effect models (amounts are heavy-tailed).
* A won deal without a close date cannot be placed in time: it counts as won within h (it was
  won by ``as_of``), and the notice WON_WITHOUT_CLOSE_DATE counts such leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from formfit.cells.keys import positions_in
from formfit.cells.leads import LeadCells, lead_cells
from formfit.config import Settings
from formfit.inputs import Inputs, Notice
from formfit.memory import release_memory
from formfit.models.censoring import CENSORED, LOST, WON, cumulative_incidence_table
from formfit.models.completion import WinTiming, win_timing

DEFAULT_HORIZON_DAYS = 90
REVENUE_CAP_QUANTILE = 0.999

TOO_YOUNG = "too_young"
AFTER_AS_OF = "submitted_after_as_of"
NO_SUBMISSION_DATE = "no_submission_date"
OPEN_NO_DATES = "open_deal_no_dates"
NO_OUTCOMES = "no_outcomes"


@dataclass(frozen=True, eq=False)
class LeadOutcomes:
    """Per-lead outcomes and how they were decided.

    ``leads`` has the index of ``inputs.submissions`` and the columns ``lead_key``, ``form_id``,
    ``version``, ``date`` (submission day), the segment columns, ``judged``, ``won`` (1.0/0.0,
    NaN when not judged), ``revenue`` (raw), ``revenue_capped`` (winsorised), ``has_deal``,
    ``amount_missing`` (a won lead with a won deal of unknown amount), ``deal_state`` (its deals
    at as_of: "won" any won, else "open" any open, else "lost", or "none" without a deal),
    ``held_out_reason`` (NA when judged), and for the cumulative incidence ``event`` (0
    censored, 1 won, 2 lost; NA without dates) and ``event_days``.
    """

    leads: pd.DataFrame
    held_out: Mapping[str, int]
    horizon_days: int | None
    horizon_basis: str
    as_of: date | None
    notices: tuple[Notice, ...] = ()
    # per form (version NA) and per form version: Aalen-Johansen P(won within h), with the
    # maturity cut-off estimate beside it (columns cutoff_leads, cutoff_rate)
    cumulative_incidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    has_outcomes: bool = True
    window: bool = True  # a maturity window was applied (submission dates exist)
    segments: tuple[str, ...] = ()
    revenue_cap: float | None = None
    cells: LeadCells | None = None  # every lead submitted by as_of, grouped (the win models)
    timing: WinTiming | None = None  # completion factors and how h was chosen

    @property
    def cutoff_date(self) -> pd.Timestamp | None:
        """The last submission day of a mature lead (as_of - h), None without a window."""
        if not self.window or self.as_of is None or self.horizon_days is None:
            return None
        return pd.Timestamp(self.as_of) - pd.Timedelta(days=self.horizon_days)

    def cif_records(self) -> list[dict[str, Any]]:
        """The cumulative-incidence table as JSON-ready records (NA -> None)."""
        ints = ("version", "leads", "won", "lost", "censored", "cutoff_leads")
        floats = ("cif", "se", "ci_low", "ci_high", "cutoff_rate")
        out: list[dict[str, Any]] = []
        for _, row in self.cumulative_incidence.iterrows():
            rec: dict[str, Any] = {"form_id": str(row["form_id"])}
            for k in (*ints, *floats):
                v = row[k]
                rec[k] = None if pd.isna(v) else (int(v) if k in ints else float(v))
            out.append(rec)
        return out

    def judged(self) -> pd.DataFrame:
        return self.leads.loc[self.leads["judged"]]

    def __repr__(self) -> str:
        n = len(self.leads)
        j = int(self.leads["judged"].sum()) if n else 0
        return (f"<LeadOutcomes: {n} leads, {j} judged, h={self.horizon_days} days, "
                f"held out {dict(self.held_out)}>")


def _versions(leads: pd.DataFrame, inputs: Inputs) -> pd.Series:
    """FormSpec.version_index of each lead's submission day, vectorised per form.

    -1 for a form the forms configuration does not know (as in :mod:`formfit.aggregate`).
    """
    # each form id compared once, as an integer code (not the text of every lead per form)
    codes, form_ids = pd.factorize(leads["form_id"])
    where = {str(f): i for i, f in enumerate(form_ids)}
    known_ids = np.asarray(pd.Index(form_ids).isin(list(inputs.forms.forms)), dtype=bool)
    known = np.where(codes >= 0, known_ids[np.maximum(codes, 0)] if len(known_ids) else False,
                     False)
    version = pd.Series(np.where(known, 0, -1), index=leads.index, dtype="int64")
    day = leads["date"]
    for form_id, spec in inputs.forms.forms.items():
        mask = codes == where.get(str(form_id), -2)
        if not mask.any() or len(spec.versions) < 2:
            continue
        v = np.zeros(int(mask.sum()), dtype=np.int64)
        d = day[mask]
        for i, ver in enumerate(spec.versions):
            cond = np.ones(len(d), dtype=bool) if ver.since is None else (
                (d >= pd.Timestamp(ver.since)).to_numpy(dtype=bool, na_value=False))
            v[cond] = i
        v[d.isna().to_numpy()] = spec.version_index(None)
        version[mask] = v
    return version


def _deals_at(deals: pd.DataFrame, as_of: date | None, dated: bool) -> pd.DataFrame:
    """Deals as they stood on as_of: later-created ones dropped, later-closed ones open."""
    d = deals.copy()
    d["outcome"] = d["outcome"].astype("str").str.strip().str.lower()
    for col in ("created_at", "closed_at"):
        if col not in d.columns:
            d[col] = pd.NaT
        d[col] = pd.to_datetime(d[col]).dt.normalize()
    if "amount" not in d.columns:
        d["amount"] = np.nan
    d["amount"] = pd.to_numeric(d["amount"], errors="coerce").astype(float)
    if as_of is not None and dated:
        cut = pd.Timestamp(as_of)
        d = d.loc[~(d["created_at"] > cut)].copy()
        later = (d["closed_at"] > cut) & d["outcome"].isin(["won", "lost"])
        d.loc[later, "outcome"] = "open"
    d.loc[d["outcome"] == "open", "closed_at"] = pd.NaT
    return d


def lead_outcomes(inputs: Inputs, settings: Settings) -> LeadOutcomes:
    """Decide, for every analysed lead, whether it is judged and whether it was won within h."""
    subs = inputs.submissions
    segments = tuple(s for s in inputs.segments if s in subs.columns)
    leads = pd.DataFrame(index=subs.index)
    leads["lead_key"] = subs["lead_key"].astype("str")
    leads["form_id"] = subs["form_id"].astype("str")
    if "submitted_at" in subs.columns:
        leads["date"] = pd.to_datetime(subs["submitted_at"]).dt.normalize().astype(
            "datetime64[ns]")
    else:
        leads["date"] = pd.Series(pd.NaT, index=subs.index, dtype="datetime64[ns]")
    leads["version"] = _versions(leads, inputs)
    for s in segments:
        leads[s] = subs[s]
    leads = leads[["lead_key", "form_id", "version", "date", *segments]].copy()

    dated = bool(leads["date"].notna().any())
    as_of = settings.as_of or inputs.as_of
    if as_of is None and dated:
        as_of = pd.Timestamp(leads["date"].max()).date()
    notices: list[Notice] = []
    n = len(leads)
    reason = pd.Series(pd.NA, index=leads.index, dtype="str")
    won = pd.Series(np.nan, index=leads.index, dtype=float)
    revenue = pd.Series(0.0, index=leads.index, dtype=float)
    has_deal = pd.Series(False, index=leads.index, dtype=bool)
    event = pd.Series(pd.NA, index=leads.index, dtype="Int64")
    event_days = pd.Series(np.nan, index=leads.index, dtype=float)
    amount_missing = pd.Series(False, index=leads.index, dtype=bool)
    deal_state = pd.Series(pd.NA, index=leads.index, dtype="str")

    def finish(h: int | None, basis: str, window: bool, cif: pd.DataFrame | None = None,
               cap: float | None = None, cells: LeadCells | None = None,
               timing: WinTiming | None = None) -> LeadOutcomes:
        leads["judged"] = reason.isna().to_numpy()
        leads["won"] = won.where(leads["judged"])
        leads["revenue"] = revenue.where(leads["judged"], 0.0)
        leads["revenue_capped"] = (leads["revenue"].clip(upper=cap) if cap is not None
                                   else leads["revenue"])
        leads["has_deal"] = has_deal
        leads["deal_state"] = deal_state
        leads["amount_missing"] = amount_missing & (won == 1.0)
        leads["held_out_reason"] = reason
        leads["event"] = event
        leads["event_days"] = event_days
        held = {str(k): int(v) for k, v in reason.value_counts(sort=False).sort_index().items()}
        return LeadOutcomes(
            leads=leads, held_out=held, horizon_days=h, horizon_basis=basis, as_of=as_of,
            notices=tuple(notices),
            cumulative_incidence=cif if cif is not None else pd.DataFrame(),
            has_outcomes=inputs.deals is not None, window=window, segments=segments,
            revenue_cap=cap, cells=cells, timing=timing)

    if inputs.deals is None:
        reason[:] = NO_OUTCOMES
        notices.append(Notice("NO_OUTCOMES", (
            "No outcomes file: no lead can be judged won or lost, so win effects are not "
            "estimated. Give --outcomes with one row per deal."), {"leads": n}))
        h = settings.maturity_days
        return finish(h, "set by maturity_days" if h else "no outcomes", dated and h is not None)

    deals = _deals_at(inputs.deals, as_of, dated)
    # Per-lead aggregates by integer position (str-keyed map/groupby is slow on pandas 3):
    # each deal's lead found by hashing the keys on every core (formfit.cells.keys), which
    # also proves that each key is one lead's
    try:
        pos_all = positions_in(deals["lead_key"], leads["lead_key"])
    except ValueError:
        raise ValueError("inputs.submissions must hold one row per lead_key") from None
    release_memory()  # the look-up's hash tables
    deals = deals.loc[pos_all >= 0].copy()
    pos = pos_all[pos_all >= 0]
    sub_days = leads["date"].to_numpy(dtype="datetime64[ns]")[pos]
    deals["days"] = ((deals["closed_at"].to_numpy(dtype="datetime64[ns]") - sub_days)
                     / np.timedelta64(1, "D"))
    is_won = (deals["outcome"] == "won").to_numpy(dtype=bool)
    is_open = (deals["outcome"] == "open").to_numpy(dtype=bool)
    undated = deals["closed_at"].isna().to_numpy(dtype=bool)
    days = deals["days"].to_numpy(dtype=float)
    amount = deals["amount"].to_numpy(dtype=float)

    def per_lead(values: np.ndarray, how: str = "sum") -> pd.Series:
        if how == "sum":
            out = np.bincount(pos, weights=values.astype(float), minlength=n)
        else:
            out = np.full(n, np.nan)
            (np.fmin if how == "min" else np.fmax).at(out, pos, values)
        return pd.Series(out, index=leads.index)

    n_deals = per_lead(np.ones(len(pos)))
    has_deal[:] = (n_deals > 0).to_numpy()
    n_open = per_lead(is_open)
    won_any = per_lead(is_won) > 0
    won_undated = per_lead(is_won & undated) > 0
    state_code = np.select([won_any.to_numpy(), (n_open > 0).to_numpy(),
                            (n_deals > 0).to_numpy()], [0, 1, 2], 3).astype(np.int8)
    deal_state = pd.Series(pd.array(pa.array(["won", "open", "lost", "none"]).take(state_code),
                                    dtype="str"), index=leads.index)
    first_win = per_lead(np.where(is_won, days, np.nan), "min")

    # revenue of every lead won by as_of (any time), for deal sizes in the lead cells
    win_amount = per_lead(np.where(is_won, np.nan_to_num(amount), 0.0))
    win_amount_missing = per_lead(is_won & np.isnan(amount)) > 0
    sized = won_any & ~win_amount_missing & (win_amount > 0)
    cap = (float(np.quantile(win_amount[sized].to_numpy(dtype=float), REVENUE_CAP_QUANTILE))
           if bool(sized.any()) else None)
    leads["win_revenue"] = (win_amount.clip(upper=cap) if cap is not None else win_amount
                            ).where(sized)

    def cells_of(keep: pd.Series) -> LeadCells:
        # only the columns lead_cells reads (the lead keys' text need not be copied)
        frame = leads.loc[keep, ["form_id", "version", "date", *segments, "win_revenue"]
                          ].assign(deal_state=deal_state[keep], event=event[keep],
                                   event_days=event_days[keep])
        return lead_cells(frame, segments, as_of)

    if not dated:
        h = DEFAULT_HORIZON_DAYS
        if int(won_undated.sum()):
            notices.append(_won_undated_notice(int(won_undated.sum()), None))
        open_unwon = (n_open > 0) & ~won_any
        reason[open_unwon] = OPEN_NO_DATES
        won[:] = won_any.astype(float).to_numpy()
        revenue[:] = per_lead(np.where(is_won, np.nan_to_num(amount), 0.0)).to_numpy()
        amount_missing[:] = (per_lead(is_won & np.isnan(amount)) > 0).to_numpy()
        notices.append(Notice("NO_MATURITY_WINDOW", (
            "The submissions have no submitted_at dates, so no maturity window can be applied: "
            f"won means won at export time, among leads whose deals are closed. "
            f"{int(open_unwon.sum()):,} leads with open deals are held out, not counted as lost; "
            "if they win more often than the rest, win rates are understated."),
            {"held_out": int(open_unwon.sum())}))
        return finish(None, "no submission dates: no maturity window", False, cap=cap,
                      cells=cells_of(pd.Series(True, index=leads.index)))

    assert as_of is not None
    age = (pd.Timestamp(as_of) - leads["date"]).dt.days
    in_clock = (age >= 0).fillna(False)
    # Competing risks per lead (see formfit.models.censoring): won at its first win, lost at
    # its last close when every deal is closed lost, otherwise censored at as_of.
    last_close = per_lead(days, "max")
    closed_undated = per_lead(~is_open & undated) > 0
    agef = age.astype(float)
    st = pd.Series(CENSORED, index=leads.index, dtype="int64")
    t = agef.copy()
    lost = (n_deals > 0) & (n_open == 0) & ~won_any
    st[lost] = LOST
    # a lost lead's time is its last close, or its age when a deal has no close date (numpy:
    # pandas' masked where and aligned setitem took 0.4 s at 2.3M leads)
    lost_np = lost.to_numpy(dtype=bool)
    vals = t.to_numpy(dtype=float, copy=True)
    vals[lost_np] = np.where(closed_undated.to_numpy(dtype=bool), vals,
                             last_close.to_numpy(dtype=float))[lost_np]
    t = pd.Series(vals, index=t.index, name=t.name)
    st[won_any] = WON
    t[won_any] = first_win[won_any]
    undated_win = won_any & first_win.isna()
    early = int((won_any & (first_win < 0)).sum())
    if early:
        notices.append(Notice("WON_BEFORE_SUBMISSION", (
            f"{early:,} won leads' first won deal closed before their first submission "
            "(existing customers filling in the form, or dates in different time zones); "
            "they count as won on the day they submitted. Check the deals' close dates if "
            "that is more than a few."), {"leads": early}))
    t = t.clip(lower=0.0)
    timed = in_clock & ~undated_win  # a win without a close date cannot inform the timing
    event[timed] = st[timed].to_numpy()
    event_days[timed] = t[timed].to_numpy()
    clock_cells = cells_of(in_clock)
    timing = win_timing(clock_cells, horizon_days=settings.maturity_days)
    if timing is not None:
        h, basis = timing.horizon_days, timing.basis
        notices.extend(timing.notices)
    elif settings.maturity_days is not None:
        h, basis = int(settings.maturity_days), "set by maturity_days"
    else:
        h, basis = DEFAULT_HORIZON_DAYS, (
            f"default of {DEFAULT_HORIZON_DAYS} days: too few dated wins to estimate when wins "
            "stop arriving; set --maturity-days")
        notices.append(Notice("WIN_HORIZON_DEFAULT", (
            f"Too few won deals with close dates to estimate when wins stop arriving; a "
            f"{DEFAULT_HORIZON_DAYS}-day horizon is assumed. Set --maturity-days to your sales "
            "cycle."), {"horizon_days": DEFAULT_HORIZON_DAYS}))
    if int(won_undated.sum()):
        notices.append(_won_undated_notice(int(won_undated.sum()), h))
    # placed as the cut-off counts them: won by h
    late = in_clock & undated_win
    if bool(late.any()):
        event[late] = WON
        event_days[late] = np.minimum(agef[late], h)
        clock_cells = cells_of(in_clock)  # those events are new; nothing else changed

    reason[leads["date"].isna()] = NO_SUBMISSION_DATE
    reason[(age < 0).fillna(False)] = AFTER_AS_OF
    reason[((age >= 0) & (age < h)).fillna(False)] = TOO_YOUNG
    in_h = is_won & ((days <= h) | undated)
    won[:] = (per_lead(in_h) > 0).astype(float).to_numpy()
    revenue[:] = per_lead(np.where(in_h, np.nan_to_num(amount), 0.0)).to_numpy()
    amount_missing[:] = (per_lead(in_h & np.isnan(amount)) > 0).to_numpy()
    if int((leads["date"].isna()).sum()):
        notices.append(Notice("NO_SUBMISSION_DATE", (
            f"{int(leads['date'].isna().sum()):,} leads have no submission date and are held "
            "out of the win models: their maturity cannot be judged."),
            {"leads": int(leads["date"].isna().sum())}))
    cif = _cif_table(leads[["form_id", "version"]].assign(
        event=event, event_days=event_days, won=won, reason=reason), h)
    return finish(h, basis, True, cif=cif, cap=cap, cells=clock_cells, timing=timing)


def _won_undated_notice(count: int, h: int | None) -> Notice:
    where = f"within the {h}-day horizon" if h is not None else "by the export"
    return Notice("WON_WITHOUT_CLOSE_DATE", (
        f"{count:,} won leads have a won deal without a close date; they count as won {where}, "
        "which cannot be checked for them."), {"leads": count})


def _cif_table(frame: pd.DataFrame, h: int) -> pd.DataFrame:
    """AJ estimate per form and per form version, with the maturity cut-off estimate beside."""
    # form ids as sorted integer codes (same groups, same order), named again at the end:
    # grouping a million leads' text four times was most of this table's cost
    codes, names = pd.factorize(frame["form_id"], sort=True)
    coded = codes.min(initial=0) >= 0
    if coded:
        frame = frame.assign(form_id=codes)
    f = frame.loc[frame["event"].notna()]
    by_form = cumulative_incidence_table(f, ["form_id"], h)
    by_form.insert(1, "version", pd.Series(pd.NA, index=by_form.index, dtype="Int64"))
    by_version = cumulative_incidence_table(f, ["form_id", "version"], h)
    by_version["version"] = by_version["version"].astype("Int64")
    table = pd.concat([by_form, by_version], ignore_index=True)
    mature = frame.loc[frame["reason"].isna()]
    cut_form = mature.groupby("form_id", observed=True)["won"].agg(["size", "mean"])
    cut_ver = mature.groupby(["form_id", "version"], observed=True)["won"].agg(["size", "mean"])
    sizes: list[int] = []
    rates: list[float] = []
    for fid, ver in zip(table["form_id"], table["version"], strict=True):
        k: object = fid if pd.isna(ver) else (fid, int(ver))
        src = cut_form if pd.isna(ver) else cut_ver
        if k in src.index:
            row = src.loc[[k]]
            sizes.append(int(row["size"].iloc[0]))
            rates.append(float(row["mean"].iloc[0]))
        else:
            sizes.append(0)
            rates.append(float("nan"))
    table["cutoff_leads"] = sizes
    table["cutoff_rate"] = rates
    if coded and len(table):
        table["form_id"] = pd.Series(pd.Index(names).take(
            table["form_id"].to_numpy(dtype=np.int64)), index=table.index)
    return table.sort_values(["form_id", "version"], na_position="first", kind="mergesort",
                             ignore_index=True)
