"""Each field's effect on winning: win rate per lead, and won deals and revenue per 1,000 views.

Estimands (for removing field f from the forms that show it; h the maturity window):

* ``win_rate_pp`` = 100 * [Q_h(without f) - Q_h(with f)], Q_h = P(won within h | submission).
  Fitted by the one generic estimator, :func:`formfit.models.effects.drop_effects`, on *lead
  cells*: judged leads (older than h, see :mod:`formfit.leads`) per (form, version, day,
  segments) with ``wins`` out of ``leads``.
* ``wins_per_1k_views`` = 1000 * [W_h(without f) - W_h(with f)], W_h = P(submit and won within
  h | view) = CR * Q_h. Fitted by the same estimator on *mature view cells*: view cells of days
  at least h before ``as_of`` (every lead of those days has had its full h days), with
  ``wins`` (judged leads of that cell won within h) out of ``views``. Views of younger days are
  left out and counted, never treated as views without wins (that would count open deals as
  lost). Per arm wins/views = (leads/views)(wins/leads) exactly, so this is the net effect of
  friction and selection in one binomial model.
* ``revenue_per_1k_views`` = wins_per_1k_views * m, with m the mean winsorised (P99.9) revenue
  of judged won leads on the forms that show f. Assumption, stated in ``model["revenue"]``:
  removing a field changes how many deals are won, not their size. The interval is the delta
  method for a product of independent estimates: Var = m^2 Var(dW) + dW^2 Var(m), with
  Var(m) = s^2 / n_won.
  Where won leads' revenue differs by the field's presence within a form or experiment (Welch
  p < 0.001), the notice DEAL_SIZE_DIFFERS (also set as the code of the estimate) says the
  assumption is in doubt.

Data health: within an experiment, leads must join to CRM deals at the same rate in every
variant (a variant without the email field can lose its leads at the join). A chi-square test of
(leads with a deal, leads without) across variants, among leads with no won or open deal (see
:func:`join_rate_checks` for why), with p < 0.001 raises JOIN_RATE_MISMATCH, naming the fields
whose win estimates are in doubt.

Without submission dates there is no maturity window: leads with open deals are held out, and
the view cells are collapsed over days, with the judged wins of a cell scaled by leads / judged
leads (the held-out leads counted at the judged rate, never as lost). Forms whose field set
changed cannot be matched to versions without dates and are left out of wins per view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from formfit.inputs import FormsConfig, Inputs, Notice
from formfit.leads import AFTER_AS_OF, LeadOutcomes
from formfit.models.stats import Z95
from formfit.results import Estimate, null_estimate

if TYPE_CHECKING:
    from formfit.models.effects import FieldEffect

JOIN_ALPHA = 0.001
DEAL_SIZE_ALPHA = 0.001  # as the SRM and join-rate alarms: several fields are tested at once
MIN_LEADS_PER_VARIANT = 20
KEYS = ("form_id", "version", "date")


@dataclass(frozen=True, eq=False)
class WinEffects:
    """Per-field win effects, the cells they rest on, and what was left out and why."""

    win_rate: Mapping[str, FieldEffect]  # .estimate: win_rate_pp (with p-value)
    wins_per_1k: Mapping[str, FieldEffect]  # .estimate: wins_per_1k_views
    revenue_per_1k: Mapping[str, Estimate]
    baseline_wins_per_1k: Mapping[str, float | None]  # W_h with the field, per 1,000 views
    notices: tuple[Notice, ...] = ()
    model: Mapping[str, Any] = field(default_factory=dict)
    lead_cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    mature_view_cells: pd.DataFrame | None = None
    immature_views: int = 0

    @property
    def win_rate_pp(self) -> dict[str, Estimate]:
        return {f: e.estimate for f, e in self.win_rate.items()}

    @property
    def wins_per_1k_views(self) -> dict[str, Estimate]:
        return {f: e.estimate for f, e in self.wins_per_1k.items()}

    @property
    def revenue_per_1k_views(self) -> dict[str, Estimate]:
        return dict(self.revenue_per_1k)

    def __repr__(self) -> str:
        known = sum(e.estimate.known for e in self.wins_per_1k.values())
        return (f"<WinEffects: {len(self.win_rate)} fields, {known} with wins per 1k views, "
                f"{self.immature_views:,} immature views left out>")


def _norm_segments(frame: pd.DataFrame, segs: Sequence[str]) -> pd.DataFrame:
    """Segment values as formfit.aggregate writes them: str, missing -> "(missing)"."""
    out = frame.copy()
    for s in segs:
        out[s] = out[s].astype("string").fillna("(missing)").astype("str")
    return out


def lead_cells(outcomes: LeadOutcomes, segments: Sequence[str]) -> pd.DataFrame:
    """Judged leads per (form_id, version, date, segments) cell: ``leads``, ``wins``, ``revenue``.

    ``revenue`` sums the winsorised revenue of the cell's won leads. Segments the submissions do
    not carry are left out. Dates are NaT without submission dates.
    """
    j = outcomes.judged()
    segs = [s for s in segments if s in j.columns]
    frame = _norm_segments(j[[*KEYS, *segs]], segs)
    frame["leads"] = 1
    frame["wins"] = j["won"].astype(float).round().astype("int64")
    frame["revenue"] = j["revenue_capped"].astype(float)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    keys = [*KEYS, *segs]
    if frame.empty:
        return frame.reset_index(drop=True)
    cells = frame.groupby(keys, dropna=False, sort=True, observed=True)[
        ["leads", "wins", "revenue"]].sum().reset_index()
    cells["version"] = cells["version"].astype("int64")
    return cells


def _all_lead_cells(outcomes: LeadOutcomes, segs: Sequence[str]) -> pd.DataFrame:
    """Every lead submitted by as_of per cell (for the no-dates scale-up)."""
    lv = outcomes.leads
    lv = lv.loc[lv["held_out_reason"].ne(AFTER_AS_OF).fillna(True)]
    frame = _norm_segments(lv[[*KEYS, *segs]], segs)
    frame["all_leads"] = 1
    return frame.groupby([*KEYS, *segs], dropna=False, sort=True, observed=True)[
        ["all_leads"]].sum().reset_index()


def split_view_cells(view_cells: pd.DataFrame, outcomes: LeadOutcomes,
                     ) -> tuple[pd.DataFrame, int]:
    """View cells of days at least h before as_of, and the number of views left out."""
    cut = outcomes.cutoff_date
    if cut is None:
        return view_cells, 0
    dates = pd.to_datetime(view_cells["date"])
    keep = (dates <= cut).to_numpy(dtype=bool, na_value=False)
    return view_cells.loc[keep], int(view_cells.loc[~keep, "views"].sum())


def mature_view_cells(view_cells: pd.DataFrame, outcomes: LeadOutcomes,
                      segments: Sequence[str]) -> pd.DataFrame:
    """Mature view cells with ``wins`` (judged leads won within h) joined from the leads.

    Joined on (form_id, version, date) and the segments both sides carry; view cells are
    collapsed over segments the submissions lack, leads over segments the views lack. Days
    younger than h are left out (see :func:`split_view_cells` for their count). Without
    submission dates, see the module docstring. ``wins`` never exceeds ``views``.
    """
    vc, _ = split_view_cells(view_cells, outcomes)
    segs = [s for s in segments if s in vc.columns and s in outcomes.leads.columns]
    vc = _norm_segments(vc, segs)
    vc["date"] = pd.to_datetime(vc["date"]).astype("datetime64[ns]")
    counts = [c for c in ("views", "submissions") if c in vc.columns]
    lc = lead_cells(outcomes, segs)
    keys = [*KEYS, *segs]
    if not outcomes.window:
        vc["date"] = pd.Series(pd.NaT, index=vc.index, dtype="datetime64[ns]")
        alll = _all_lead_cells(outcomes, segs)
        lc = lc.merge(alll, on=keys, how="left")
        scale = lc["all_leads"] / lc["leads"]
        lc["wins"] = lc["wins"] * scale
        lc["revenue"] = lc["revenue"] * scale
    vc = vc.groupby(keys, dropna=False, sort=True, observed=True)[counts].sum().reset_index()
    out = vc.merge(lc[[*keys, "leads", "wins", "revenue"]], on=keys, how="left")
    for c in ("leads", "wins", "revenue"):
        out[c] = out[c].fillna(0.0)
    out["wins"] = np.minimum(out["wins"].to_numpy(dtype=float), out["views"].to_numpy(float))
    if outcomes.window:
        out["wins"] = out["wins"].round().astype("int64")
        out["leads"] = out["leads"].astype("int64")
    out["version"] = out["version"].astype("int64")
    return out.reset_index(drop=True)


def _cif_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The cumulative-incidence table as JSON-ready records (NA -> None)."""
    ints = ("version", "leads", "won", "lost", "censored", "cutoff_leads")
    floats = ("cif", "se", "ci_low", "ci_high", "cutoff_rate")
    out: list[dict[str, Any]] = []
    for _, row in table.iterrows():
        rec: dict[str, Any] = {"form_id": str(row["form_id"])}
        for k in (*ints, *floats):
            v = row[k]
            rec[k] = None if pd.isna(v) else (int(v) if k in ints else float(v))
        out.append(rec)
    return out


def _multi_version_forms(forms: FormsConfig) -> set[str]:
    return {fid for fid, spec in forms.forms.items() if len(spec.versions) > 1}


def join_rate_checks(outcomes: LeadOutcomes, forms: FormsConfig) -> list[Notice]:
    """Per experiment: do leads join to a CRM deal at the same rate in every variant?

    Tested among leads with no won and no open deal at as_of (the share with a lost deal vs
    none), across the experiment's variants: chi-square, p < 0.001. A lead lost at the join has
    no deal at all, so it shows up here; a field that only changes how often leads *win* (say,
    a phone number for sales to call) does not. Tested over all leads instead, the check fired
    on 11 of 12 simulated worlds without any join problem (the phone variants simply win more),
    and still caught a 15% join loss in one variant at p < 1e-13 when restricted.
    """
    leads = outcomes.leads
    if "deal_state" not in leads.columns:
        return []
    ok = leads["held_out_reason"].ne(AFTER_AS_OF).fillna(True) & leads["deal_state"].isin(
        ["lost", "none"]).fillna(False)
    leads = leads.loc[ok]
    experiments: dict[str, list[str]] = {}
    for fid, spec in forms.forms.items():
        if spec.experiment:
            experiments.setdefault(spec.experiment, []).append(fid)
    notices: list[Notice] = []
    for exp, variants in sorted(experiments.items()):
        sub = leads.loc[leads["form_id"].isin(variants)]
        table = (sub["deal_state"] == "lost").groupby(sub["form_id"], observed=True,
                                                      sort=True).agg(["sum", "size"])
        table = table.loc[table["size"] >= MIN_LEADS_PER_VARIANT]
        if len(table) < 2:
            continue
        obs = np.column_stack([table["sum"], table["size"] - table["sum"]]).astype(float)
        if (obs.sum(axis=0) == 0).any():
            continue
        p = float(stats.chi2_contingency(obs, correction=False).pvalue)
        if p >= JOIN_ALPHA:
            continue
        sets = [set(forms.forms[v].all_fields()) for v in table.index]
        differ = sorted(set().union(*sets) - sets[0].intersection(*sets[1:]))
        rates = {str(v): round(float(r["sum"] / r["size"]), 4) for v, r in table.iterrows()}
        notices.append(Notice("JOIN_RATE_MISMATCH", (
            f"In experiment {exp}, leads that have not won found a CRM deal at different rates "
            f"per variant ({', '.join(f'{k}: {v:.1%}' for k, v in rates.items())}; chi-square "
            f"p = {p:.2g}). Leads may be lost at the join (a variant without the email field?); "
            f"the win estimates of {', '.join(differ) if differ else 'this experiment'} are in "
            "doubt until the join is checked."),
            {"experiment": exp, "p_value": p, "deal_rate_not_won": rates, "fields": differ}))
    return notices


def _revenue_effect(effect: FieldEffect, revenue: pd.Series) -> Estimate:
    """dW * m with the delta-method interval for a product of independent estimates."""
    est, se_w = effect.estimate.estimate, effect.se
    if est is None or se_w is None or not np.isfinite(se_w):
        return null_estimate(effect.estimate.code or "NO_VARIATION", with_p=False)
    r = revenue.to_numpy(dtype=float)
    if r.size < 2:
        return null_estimate("NO_AMOUNTS", with_p=False)
    m = float(r.mean())
    se_m = float(r.std(ddof=1) / np.sqrt(r.size))
    se = float(np.sqrt((m * se_w) ** 2 + (est * se_m) ** 2))
    return Estimate(estimate=est * m, ci_low=est * m - Z95 * se, ci_high=est * m + Z95 * se,
                    code=effect.estimate.code, with_p=False)


def _deal_size_check(won: pd.DataFrame, forms: FormsConfig, fields: Sequence[str],
                     ) -> list[Notice]:
    """Welch test of won leads' revenue with vs without each field, within groups that vary."""
    flagged: dict[str, float] = {}
    for f in fields:
        shown = np.array(forms.shown_mask(won["form_id"], won["version"], f), dtype=bool)
        group = [forms.forms[fid].experiment or fid if fid in forms.forms else fid
                 for fid in won["form_id"]]
        g = pd.Series(group, index=won.index)
        varying = pd.Series(shown, index=won.index).groupby(g, observed=True).agg(
            lambda s: 0 < s.sum() < len(s))
        sel = g.map(varying).fillna(False).to_numpy(dtype=bool)
        a = won.loc[sel & shown, "revenue_capped"].to_numpy(dtype=float)
        b = won.loc[sel & ~shown, "revenue_capped"].to_numpy(dtype=float)
        if a.size < 10 or b.size < 10:
            continue
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
        if p < DEAL_SIZE_ALPHA:
            flagged[f] = p
    if not flagged:
        return []
    return [Notice("DEAL_SIZE_DIFFERS", (
        "Won deals are larger or smaller where these fields are shown: "
        f"{', '.join(sorted(flagged))}. revenue_per_1k_views assumes a drop changes how many "
        "deals are won, not their size; read it with care for these fields."),
        {"fields": {k: flagged[k] for k in sorted(flagged)}})]


def win_effects(inputs: Inputs, outcomes: LeadOutcomes,
                view_cells: pd.DataFrame | None) -> WinEffects:
    """Win rate, wins per 1,000 views and revenue per 1,000 views of removing each field."""
    from formfit.models.effects import drop_effects

    forms = inputs.forms
    fields = list(inputs.fields)
    segs = [s for s in inputs.segments if s in outcomes.leads.columns]
    notices: list[Notice] = []
    lc = lead_cells(outcomes, segs)
    model: dict[str, Any] = {
        "horizon_days": outcomes.horizon_days, "horizon_basis": outcomes.horizon_basis,
        "maturity_window": outcomes.window, "held_out": dict(outcomes.held_out),
        "judged_leads": int(lc["leads"].sum()) if len(lc) else 0,
        "revenue": ("wins_per_1k_views x mean winsorised (P99.9) revenue of judged won leads "
                    "on the forms showing the field; delta-method interval; assumes deal size "
                    "does not change"),
        "revenue_cap": outcomes.revenue_cap,
        # sensitivity check: Aalen-Johansen P(won within h) from every lead (open deals
        # censored) beside the maturity cut-off's rate, per form and form version
        "cumulative_incidence": _cif_records(outcomes.cumulative_incidence),
    }
    if not outcomes.has_outcomes or lc.empty:
        code = "NO_OUTCOMES" if not outcomes.has_outcomes else "NO_JUDGED_LEADS"
        return WinEffects(win_rate={}, wins_per_1k={}, revenue_per_1k={},
                          baseline_wins_per_1k={}, notices=tuple(notices),
                          model=model | {"code": code}, lead_cells=lc)
    wr_fit = drop_effects(lc, successes="wins", trials="leads", forms=forms, fields=fields,
                          segments=segs, scale=100.0)
    notices += wr_fit.notices
    model["win_rate"] = wr_fit.model
    wins_per_1k: dict[str, FieldEffect] = {}
    revenue: dict[str, Estimate] = {}
    baseline: dict[str, float | None] = {}
    mv: pd.DataFrame | None = None
    immature = 0
    if view_cells is not None and len(view_cells):
        _, immature = split_view_cells(view_cells, outcomes)
        mv = mature_view_cells(view_cells, outcomes, segs)
        if not outcomes.window:
            multi = _multi_version_forms(forms)
            dropped = sorted(set(mv["form_id"]) & multi)
            if dropped:
                mv = mv.loc[~mv["form_id"].isin(dropped)].reset_index(drop=True)
                notices.append(Notice("WINS_PER_VIEW_UNDATED", (
                    "Without submission dates, leads of forms whose field set changed cannot "
                    f"be matched to the version they saw ({', '.join(dropped)}); these forms "
                    "are left out of wins per 1,000 views."), {"forms": dropped}))
        model["immature_views"] = immature
        model["mature_views"] = int(mv["views"].sum())
        vsegs = [s for s in segs if s in mv.columns]
        wv_fit = drop_effects(mv, successes="wins", trials="views", forms=forms, fields=fields,
                              segments=vsegs, scale=1000.0)
        notices += wv_fit.notices
        model["wins_per_1k_views"] = wv_fit.model
        wins_per_1k = {f: replace(e, estimate=replace(e.estimate, p_value=None, with_p=False))
                       for f, e in wv_fit.effects.items()}
        judged = outcomes.judged()
        won = judged.loc[(judged["won"] == 1.0) & ~judged["amount_missing"]
                         & (judged["revenue"] > 0)]
        for f, eff in wins_per_1k.items():
            showing = [fid for fid, spec in forms.forms.items() if f in spec.all_fields()]
            amounts = won.loc[won["form_id"].isin(showing), "revenue_capped"]
            revenue[f] = _revenue_effect(eff, amounts)
            baseline[f] = (float(eff.baseline) if eff.baseline is not None
                           and np.isfinite(eff.baseline) else None)
        if len(won):
            size_notices = _deal_size_check(won, forms, list(wins_per_1k))
            notices += size_notices
            for n in size_notices:  # the caveat travels with each estimate it concerns
                for f in n.details.get("fields", {}):
                    if revenue[f].known and not revenue[f].code:
                        revenue[f] = replace(revenue[f], code="DEAL_SIZE_DIFFERS")
        if immature:
            notices.append(Notice("IMMATURE_VIEWS_LEFT_OUT", (
                f"{immature:,} views from the last {outcomes.horizon_days} days are left out "
                "of wins per 1,000 views: their leads have not had the full window to win."),
                {"views": immature, "horizon_days": outcomes.horizon_days}))
    notices += join_rate_checks(outcomes, forms)
    return WinEffects(win_rate=dict(wr_fit.effects), wins_per_1k=wins_per_1k,
                      revenue_per_1k=revenue, baseline_wins_per_1k=baseline,
                      notices=tuple(notices), model=model, lead_cells=lc,
                      mature_view_cells=mv, immature_views=immature)
