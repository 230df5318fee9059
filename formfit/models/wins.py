"""Each field's effect on *eventual* wins: win rate per lead, won deals and revenue per 1,000 views.

Estimands (for removing field f from the forms that show it; h the win horizon of
:mod:`formfit.models.completion`, the time by which wins have stopped arriving):

* ``win_rate_pp`` = 100 * [Q(without f) - Q(with f)], Q = P(won within h | submission), which is
  P(ever won) up to the small share of wins that arrive after h (reported as
  ``models.wins.timing.share_of_wins_by_h``).
* ``wins_per_1k_views`` = 1000 * [W(without f) - W(with f)], W = P(submit and won within h |
  view) = CR * Q: the net effect of friction and selection, the number to decide on.
* ``revenue_per_1k_views`` = wins_per_1k_views * m, m the mean winsorised (P99.9) revenue of won
  leads on the forms showing f, from the lead cells' n, sum and sum of squares; delta-method
  interval Var = m^2 Var(dW) + dW^2 s^2/n. Assumes a drop changes how many deals are won, not
  their size (DEAL_SIZE_DIFFERS flags where that is in doubt, see :mod:`.wins_checks`).

Every lead counts, young ones included, with completion factors (chain-ladder, see
:mod:`formfit.models.completion`, which also says why this method was chosen): a cell of
leads (or views) submitted a days before as_of has shown the share F(a) of the wins it will
bring within h, whatever its field set. The per-field models are the one binomial logit GLM on
cells of :func:`formfit.models.effects.drop_effects` with *effective trials*
``trials x F(a)`` and successes the wins seen so far (within h): E[wins] = trials F(a) Q, so
the fitted probability is the eventual one, and a young cell weighs what it knows. Open deals
are never lost: a lead with an open deal is simply not won *yet*, which F accounts for.

* Wins per view are fitted on view cells per (form, version, day), clustered by day as
  conversion is; win rates on lead cells per (form, version, week) (lead cells per day are too
  small: a cell's wins would often exceed its effective trials). Declared segments are summed
  over in both, for the same reason; in randomized blocks that costs no bias. Cells whose
  completion is below ``MIN_COMPLETION`` are left out (they carry little information), and a
  cell's wins are capped at its effective trials (counted in ``models``; rare).
* The variance adds F's own uncertainty: the fit's effects scale as 1 / (mean F), so
  Var += estimate^2 * Var_boot(sum n F / sum n F*), F* from the cohort-day bootstrap.
* Sensitivity check: the maturity cut-off (only view days at least h old, wins within h, no
  model of timing) is fitted beside; where the two intervals do not overlap, the notice
  WINS_CUTOFF_DISAGREES names the fields (``models.wins.maturity_check``).
* Without submission dates there is no clock: a cell's completion is its share of leads whose
  outcome is known (no open deal), wins are wins at export, and forms whose field set changed
  are left out of wins per view (their leads cannot be matched to versions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from formfit.cells.leads import LeadCells
from formfit.inputs import FormsConfig, Notice
from formfit.models.completion import WinTiming
from formfit.models.stats import Z95
from formfit.models.wins_checks import deal_size_check, join_rate_checks
from formfit.results import Estimate, null_estimate

if TYPE_CHECKING:
    from formfit.models.effects import FieldEffect

MIN_COMPLETION = 0.2
KEYS = ["form_id", "version", "date"]
Completion = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class WinEffects:
    """Per-field win effects, the cells they rest on, and what was left out and why."""

    win_rate: Mapping[str, FieldEffect]  # .estimate: win_rate_pp (with p-value)
    wins_per_1k: Mapping[str, FieldEffect]  # .estimate: wins_per_1k_views
    revenue_per_1k: Mapping[str, Estimate]
    baseline_wins_per_1k: Mapping[str, float | None]  # W with the field, per 1,000 views
    notices: tuple[Notice, ...] = ()
    model: Mapping[str, Any] = field(default_factory=dict)
    lead_cells: pd.DataFrame = field(default_factory=pd.DataFrame)  # as fitted (win rate)
    view_cells: pd.DataFrame | None = None  # as fitted (wins per view)
    mature_view_cells: pd.DataFrame | None = None  # days at least h old: views, wins within h
    maturity_check: Mapping[str, Estimate] = field(default_factory=dict)

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
        return f"<WinEffects: {len(self.win_rate)} fields, {known} with wins per 1k views>"


def wins_within(lc: LeadCells, h: int | None) -> pd.DataFrame:
    """Lead cells (all keys) with ``wins``: first wins within h days (at export without dates)."""
    cells = lc.cells.copy()
    if h is None or not lc.dated:
        cells["wins"] = cells["won"].astype(float)
        return cells
    ev = lc.events.loc[(lc.events["won"] > 0) & (lc.events["t"] <= h)]
    w = ev.groupby(lc.keys, dropna=False, sort=True)["won"].sum().rename("wins").reset_index()
    cells = cells.merge(w, on=lc.keys, how="left")
    cells["wins"] = cells["wins"].fillna(0.0).astype(float)
    return cells


def _collapse(frame: pd.DataFrame, counts: Sequence[str], week: bool = False) -> pd.DataFrame:
    f = frame.copy()
    f["date"] = pd.to_datetime(f["date"]).astype("datetime64[ns]")
    if week:
        f["date"] = f["date"] - pd.to_timedelta(f["date"].dt.day_of_week, unit="D")
    return f.groupby(KEYS, dropna=False, sort=True)[list(counts)].sum().reset_index()


def _age(frame: pd.DataFrame, as_of: Any) -> np.ndarray:
    if as_of is None:
        return np.full(len(frame), np.nan)
    return ((pd.Timestamp(as_of) - pd.to_datetime(frame["date"])).dt.days).to_numpy(dtype=float)


def _completion_rule(timing: WinTiming | None, h: int | None) -> Completion:
    if timing is not None:
        return timing.completion
    cut = float(h or 0)
    # no timing estimate: the maturity cut-off (a cell counts fully once h days old)
    return lambda a: np.where(np.asarray(a) >= cut, 1.0, 0.0)


def effective(frame: pd.DataFrame, trials: str, comp: np.ndarray) -> tuple[pd.DataFrame, int]:
    """Cells with ``eff`` = trials x completion and ``wins`` capped at it; the count capped."""
    out = frame.copy()
    out["completion"] = comp
    out = out.loc[np.nan_to_num(comp) >= MIN_COMPLETION].copy()
    out["eff"] = out[trials].to_numpy(dtype=float) * out["completion"].to_numpy(dtype=float)
    over = out["wins"].to_numpy(dtype=float) > out["eff"].to_numpy(dtype=float)
    out["wins"] = np.minimum(out["wins"].to_numpy(dtype=float), out["eff"].to_numpy(float))
    return out.reset_index(drop=True), int(over.sum())


def _rel_var(frame: pd.DataFrame, trials: str, ages: np.ndarray,
             timing: WinTiming | None) -> float:
    """Var_boot(sum n F / sum n F*): the relative variance F's uncertainty adds."""
    if timing is None or not len(frame) or len(timing.boot) < 2:
        return 0.0
    n = frame[trials].to_numpy(dtype=float)
    fb = timing.completion_boot(ages)
    base = float(n @ frame["completion"].to_numpy(dtype=float))
    den = fb @ n
    ratio = base / den[den > 0]
    return float(np.var(ratio, ddof=1)) if ratio.size > 1 else 0.0


def _inflate(eff: FieldEffect, rel_var: float, with_p: bool) -> FieldEffect:
    """Widen an effect's interval for F's uncertainty (same t or normal quantile)."""
    e = eff.estimate
    if not e.known or eff.se is None or rel_var <= 0:
        return eff if with_p else replace(eff, estimate=replace(e, p_value=None, with_p=False))
    assert e.estimate is not None and e.ci_high is not None
    se = float(np.sqrt(eff.se ** 2 + e.estimate ** 2 * rel_var))
    df = e.df
    q = float(stats.t.ppf(0.975, df)) if df is not None else Z95
    p = None
    if with_p:
        z = abs(e.estimate) / se if se > 0 else np.inf
        p = float(2 * (stats.t.sf(z, df) if df is not None else stats.norm.sf(z)))
    est = Estimate(estimate=e.estimate, ci_low=e.estimate - q * se, ci_high=e.estimate + q * se,
                   p_value=p, code=e.code, with_p=with_p, df=df)
    return replace(eff, estimate=est, se=se)


def _revenue_effect(effect: FieldEffect, n: float, s: float, ss: float) -> Estimate:
    """dW * m with the delta-method interval for a product of independent estimates."""
    est, se_w = effect.estimate.estimate, effect.se
    if est is None or se_w is None or not np.isfinite(se_w):
        return null_estimate(effect.estimate.code or "NO_VARIATION", with_p=False)
    if n < 2:
        return null_estimate("NO_AMOUNTS", with_p=False)
    m = s / n
    se_m = float(np.sqrt(max(ss - n * m * m, 0.0) / (n - 1) / n))
    se = float(np.sqrt((m * se_w) ** 2 + (est * se_m) ** 2))
    # the wins interval's own quantile (t with few day clusters): revenue is wins times deal
    # size, and its interval cannot be narrower than the wins interval scaled by the mean deal
    df = effect.estimate.df
    q = float(stats.t.ppf(0.975, df)) if df is not None else Z95
    return Estimate(estimate=est * m, ci_low=est * m - q * se, ci_high=est * m + q * se,
                    code=effect.estimate.code, with_p=False, df=df)


def _overlap(a: Estimate, b: Estimate) -> bool:
    assert a.ci_low is not None and a.ci_high is not None
    assert b.ci_low is not None and b.ci_high is not None
    return a.ci_low <= b.ci_high and b.ci_low <= a.ci_high


def win_effects(lc: LeadCells | None, timing: WinTiming | None,
                view_cells: pd.DataFrame | None, *, forms: FormsConfig, fields: Sequence[str],
                horizon_days: int | None, info: Mapping[str, Any] | None = None,
                tiers: Mapping[str, str] | None = None) -> WinEffects:
    """Win rate, wins per 1,000 views and revenue per 1,000 views of removing each field.

    ``lc``: lead cells (None without outcomes); ``timing``: completion factors (None without
    dated wins); ``view_cells``: views per (form_id, version, date, segments); ``info``:
    JSON-ready facts to carry in the model dict (held-out counts and the like); ``tiers``: the
    kind of comparison each field's conversion effect rests on, which its win effects must
    rest on too (:func:`formfit.models.effects.drop_effects`).
    """
    from formfit.models.effects import drop_effects

    fields = list(fields)
    notices: list[Notice] = []
    model: dict[str, Any] = {"horizon_days": horizon_days, **(info or {})}
    if timing is not None:
        model["timing"] = timing.to_dict()
        model["horizon_basis"] = timing.basis
    if lc is None or not len(lc.cells):
        return WinEffects({}, {}, {}, {}, model=model | {"code": "NO_OUTCOMES"})
    dated = lc.dated and lc.as_of is not None
    rule = _completion_rule(timing, horizon_days)
    cells = wins_within(lc, horizon_days if dated else None)
    model["estimand"] = ("eventual wins: P(won within h) from every lead with completion "
                         "factors" if timing is not None else
                         "wins within h, judged on leads at least h days old (maturity cut-off:"
                         " too few dated wins for completion factors)" if dated else
                         "won at export, among leads whose deals are closed (no dates)")
    lw = _collapse(cells, ["leads", "open", "wins"], week=dated)
    if dated:
        per_day = cells.assign(completion=rule(cells["age_days"].to_numpy(dtype=float)))
        per_day = per_day.loc[per_day["completion"] >= MIN_COMPLETION]
        per_day = per_day.assign(eff=per_day["leads"] * per_day["completion"])
        lw = _collapse(per_day, ["leads", "wins", "eff"], week=True)
        lw["completion"] = lw["eff"] / lw["leads"]
        capped_l = int((lw["wins"] > lw["eff"]).sum())
        lw["wins"] = np.minimum(lw["wins"], lw["eff"])
        lw_rel = _rel_var(per_day, "leads", per_day["age_days"].to_numpy(dtype=float), timing)
    else:
        lw, capped_l = effective(lw, "leads", ((lw["leads"] - lw["open"]) / lw["leads"]
                                               ).to_numpy(dtype=float))
        lw_rel = 0.0
    wr_fit = drop_effects(lw, successes="wins", trials="eff", forms=forms, fields=fields,
                          scale=100.0, tiers=tiers, noun="leads")
    notices += wr_fit.notices
    win_rate = {f: _inflate(e, lw_rel, True) for f, e in wr_fit.effects.items()}
    model["win_rate"] = wr_fit.model | {"completion_rel_var": lw_rel,
                                        "wins_capped_cells": capped_l,
                                        "cells": "lead cells per (form, version, week)"}
    wins_per_1k: dict[str, FieldEffect] = {}
    revenue: dict[str, Estimate] = {}
    baseline: dict[str, float | None] = {}
    used: pd.DataFrame | None = None
    mature: pd.DataFrame | None = None
    check: dict[str, Estimate] = {}
    if view_cells is not None and len(view_cells):
        vc = _collapse(view_cells, ["views"])
        lk = _collapse(cells, ["leads", "open", "wins"])
        if not dated:
            vc["date"] = pd.Series(pd.NaT, index=vc.index, dtype="datetime64[ns]")
            vc = _collapse(vc, ["views"])
            multi = {f for f, s in forms.forms.items() if len(s.versions) > 1}
            dropped = sorted(set(vc["form_id"]) & multi)
            if dropped:
                vc = vc.loc[~vc["form_id"].isin(dropped)].reset_index(drop=True)
                notices.append(Notice("WINS_PER_VIEW_UNDATED", (
                    "Without submission dates, leads of forms whose field set changed cannot "
                    f"be matched to the version they saw ({', '.join(dropped)}); these forms "
                    "are left out of wins per 1,000 views."), {"forms": dropped}))
        v = vc.merge(lk, on=KEYS, how="left")
        for c in ("leads", "open", "wins"):
            v[c] = v[c].fillna(0.0)
        ages = _age(v, lc.as_of)
        if dated:
            comp = rule(ages)
        else:
            known = (v["leads"] - v["open"]).to_numpy(dtype=float)
            comp = np.where(v["leads"] > 0, known / np.maximum(v["leads"], 1.0), 1.0)
        used, capped_v = effective(v, "views", comp)
        wv_rel = _rel_var(used, "views", _age(used, lc.as_of), timing) if dated else 0.0
        wv_fit = drop_effects(used, successes="wins", trials="eff", forms=forms,
                              fields=fields, scale=1000.0, tiers=tiers, noun="views")
        notices += wv_fit.notices
        wv_model = wv_fit.model | {"completion_rel_var": wv_rel, "wins_capped_cells": capped_v,
                                   "cells": "view cells per (form, version, day)",
                                   "trials_note": "views x completion F(age)"}
        for b in wv_model["blocks"]:
            b["completion_rel_var"] = wv_rel
        model["wins_per_1k_views"] = wv_model
        model["views_used"] = int(used["views"].sum())
        model["views_left_out_young"] = int(v["views"].sum() - used["views"].sum())
        wins_per_1k = {f: _inflate(e, wv_rel, False) for f, e in wv_fit.effects.items()}
        rev = lc.cells.loc[lc.cells["rev_n"] > 0]
        for f, eff in wins_per_1k.items():
            showing = [fid for fid, spec in forms.forms.items() if f in spec.all_fields()]
            r = rev.loc[rev["form_id"].isin(showing)]
            revenue[f] = _revenue_effect(eff, float(r["rev_n"].sum()), float(r["rev_sum"].sum()),
                                         float(r["rev_sumsq"].sum()))
            baseline[f] = (float(eff.baseline) if eff.baseline is not None
                           and np.isfinite(eff.baseline) else None)
        size_notices = deal_size_check(lc.cells, forms, list(wins_per_1k))
        notices += size_notices
        for n in size_notices:  # the caveat travels with each estimate it concerns
            for f in n.details.get("fields", {}):
                if revenue[f].known and not revenue[f].code:
                    revenue[f] = replace(revenue[f], code="DEAL_SIZE_DIFFERS")
        if dated and horizon_days is not None:
            mature = v.loc[ages >= horizon_days].reset_index(drop=True)
            check, n_check = _maturity_check(mature, forms, fields, wins_per_1k)
            model["maturity_check"] = n_check
            bad = sorted(f for f, d in n_check["fields"].items() if d.get("disagrees"))
            if bad:
                notices.append(Notice("WINS_CUTOFF_DISAGREES", (
                    f"For {', '.join(bad)}, wins per 1,000 views from every lead (completion "
                    "factors) and from the maturity cut-off (only leads older than "
                    f"{horizon_days} days) disagree beyond their intervals: the timing of wins "
                    "may differ between field sets or over time; read these with care."),
                    {"fields": bad}))
    notices += join_rate_checks(lc.cells, forms)
    return WinEffects(win_rate=win_rate, wins_per_1k=wins_per_1k, revenue_per_1k=revenue,
                      baseline_wins_per_1k=baseline, notices=tuple(notices), model=model,
                      lead_cells=lw, view_cells=used, mature_view_cells=mature,
                      maturity_check=check)


def _maturity_check(mature: pd.DataFrame, forms: FormsConfig, fields: Sequence[str],
                    main: Mapping[str, FieldEffect]) -> tuple[dict[str, Estimate],
                                                              dict[str, Any]]:
    """Wins per 1,000 views on view days at least h old (wins within h), beside the main."""
    from formfit.models.effects import drop_effects

    out: dict[str, Estimate] = {}
    rows: dict[str, Any] = {}
    if len(mature) and float(mature["wins"].sum()) > 0:
        fit = drop_effects(mature, successes="wins", trials="views", forms=forms,
                           fields=list(fields), scale=1000.0,
                           tiers={f: m.tier for f, m in main.items() if m.tier})
        for f, e in fit.effects.items():
            est = replace(e.estimate, p_value=None, with_p=False)
            out[f] = est
            m = main.get(f)
            agree = None
            if est.known and m is not None and m.estimate.known:
                agree = _overlap(est, m.estimate)
            rows[f] = est.to_dict() | {"disagrees": agree is False}
    return out, {"method": "maturity cut-off: view days at least h old, wins within h, "
                           "trials = views", "views": int(mature["views"].sum()) if len(mature)
                 else 0, "fields": rows}
