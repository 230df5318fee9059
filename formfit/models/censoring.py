"""Open deals as censored data: the Aalen-Johansen cumulative incidence of winning.

Estimand: Q_h = P(the lead has a won deal within h days of its submission), for one group of
leads (a form, or one version of a form).

Each lead is one subject on the clock "days since submission", with two competing outcomes:

* status 1, **won**: its first won deal closed (time = that deal's close day);
* status 2, **lost**: every deal it has is closed and none was won (time = the last close day);
* status 0, **censored**: it still has an open deal, or no deal yet, at ``as_of``
  (time = ``as_of`` - submission day). A lead with no deal at all is censored, not lost: at
  ``as_of`` it could still open one. Once it is older than h this makes no difference to the
  estimate at h: it stays in the risk set past h, which is exactly "not won within h".

Won and lost compete (a lost lead can no longer win), so 1 - Kaplan-Meier with losses treated
as censored is wrong (it estimates a world where losing is impossible). The Aalen-Johansen
estimator ``CIF_won(h) = sum_{t <= h} S(t-) d_won(t) / n(t)`` (S the all-cause Kaplan-Meier)
is the right one; statsmodels' ``CumIncidenceRight`` computes it with an Aalen-type standard
error (it matched R's ``cmprsk::cuminc`` in /work/shared/statistics.md).

Assumptions: censoring is independent of the outcome given the group. Censoring here is
administrative (the export date), so this amounts to "leads submitted later in a group win on
the same schedule as earlier ones", which is why groups are form *versions*, not forms, when a
form changed. The estimate uses every lead (young ones contribute their first weeks), so it is
less noisy than the maturity cut-off (judge only leads older than h), which needs no model and
is the easiest to explain; the two should agree within their intervals, and the
qualification models use the cut-off.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from formfit.cells.groups import group_index
from formfit.inputs import FieldSpec, FormsConfig, FormSpec, FormVersion, Inputs
from formfit.models.stats import Z95
from formfit.parallel import in_threads

CENSORED, WON, LOST = 0, 1, 2


def cumulative_incidence(
    time_days: npt.ArrayLike, status: npt.ArrayLike, horizon: float
) -> tuple[float, float]:
    """Aalen-Johansen estimate of P(won within ``horizon`` days) and its standard error.

    ``status``: 0 censored (open deal or no deal yet at as_of), 1 won, 2 lost, per lead;
    ``time_days``: days from submission to that event (or to as_of when censored).
    Returns (nan, nan) for an empty group. Where the risk set empties at an event time at or
    before the horizon, statsmodels' variance formula divides by zero; the standard error then
    falls back to the binomial one, sqrt(c(1 - c)/n), which is exact when nobody is censored
    before the horizon.
    """
    from statsmodels.duration.survfunc import CumIncidenceRight

    t = np.asarray(time_days, dtype=float)
    s = np.asarray(status, dtype=np.int64)
    if t.shape != s.shape:
        raise ValueError("time_days and status must have the same length")
    if t.size == 0:
        return float("nan"), float("nan")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("time_days must be finite and non-negative")
    if not np.isin(s, (CENSORED, WON, LOST)).all():
        raise ValueError("status must be 0 (censored), 1 (won) or 2 (lost)")
    if not (s == WON).any():
        return 0.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = CumIncidenceRight(t, s)
    times = np.asarray(fit.times, dtype=float)
    k = int(np.searchsorted(times, horizon, side="right")) - 1
    if k < 0:
        return 0.0, 0.0
    cif = float(np.asarray(fit.cinc[0])[k])
    se = float(np.asarray(fit.cinc_se[0])[k])
    if not np.isfinite(se):
        se = float(np.sqrt(max(cif * (1.0 - cif), 0.0) / t.size))
    return cif, se


def cumulative_incidence_table(
    frame: pd.DataFrame, by: Sequence[str], horizon: float, *,
    time: str = "event_days", status: str = "event",
) -> pd.DataFrame:
    """One row per group of ``by``: the Aalen-Johansen P(won within horizon) with a 95% CI.

    Columns: the ``by`` columns, ``leads``, ``won``, ``lost``, ``censored`` (counts of the
    statuses), ``cif``, ``se``, ``ci_low``, ``ci_high`` (normal interval clipped to [0, 1]).
    Rows whose time or status is missing are left out.
    """
    cols = [*by, "leads", "won", "lost", "censored", "cif", "se", "ci_low", "ci_high"]
    ok = frame[time].notna() & frame[status].notna()
    data = frame.loc[ok, [*by, time, status]]
    if data.empty:
        return pd.DataFrame(columns=cols)
    # groups in groupby(by, sort=True, dropna=False) order, rows in file order within each
    gid, groups = group_index(data, list(by))
    order = np.argsort(gid, kind="stable")
    bounds = np.searchsorted(gid[order], np.arange(len(groups) + 1))
    times = data[time].to_numpy(dtype=float)
    codes = data[status].to_numpy(dtype=np.int64)

    def one(j: int) -> dict[str, object]:
        rows_j = order[bounds[j]:bounds[j + 1]]
        st = codes[rows_j]
        cif, se = cumulative_incidence(times[rows_j], st, horizon)
        return {
            **{b: groups[b].iloc[j] for b in by},
            "leads": int(st.size), "won": int((st == WON).sum()),
            "lost": int((st == LOST).sum()), "censored": int((st == CENSORED).sum()),
            "cif": cif, "se": se,
            "ci_low": max(0.0, cif - Z95 * se), "ci_high": min(1.0, cif + Z95 * se),
        }

    # groups are independent, their sorts and sums numpy's: two at a time
    rows = in_threads(one, range(len(groups)))
    return pd.DataFrame(rows, columns=cols)


# --- a small world with known truth, for the censoring demonstration and its test ----------

@dataclass(frozen=True)
class DemoTruth:
    """P(won within h) per (form, version) of :func:`demo_world`, by Monte Carlo."""

    horizon_days: int
    q_h: Mapping[tuple[str, int], float]


def demo_world(seed: int, *, leads_per_day: float = 12.0, horizon_days: int = 120,
               year: int = 2025) -> tuple[Inputs, DemoTruth]:
    """Leads and deals over one year, where won deals close slower than lost ones.

    Two forms: ``pricing`` changed on 1 July (v0 shows email, budget, how_did_you_hear; v1
    drops how_did_you_hear and wins more often), ``contact`` never changed. Each lead gets a
    deal with probability 0.7 after a few days; a deal is won with probability 0.30 (pricing
    v0), 0.36 (pricing v1) or 0.25 (contact); wins close after ~75 days on average, losses after
    ~25. ``as_of`` is 31 December, so many of the later version's deals are still open.
    """
    rng = np.random.default_rng(seed)
    start = date(year, 1, 1)
    change = date(year, 7, 1)
    as_of = date(year, 12, 31)
    n_days = (as_of - start).days + 1
    p_deal, p_win = _DEMO_P_DEAL, _DEMO_P_WIN

    subs_parts, deal_parts = [], []
    for form in ("pricing", "contact"):
        counts = rng.poisson(leads_per_day, n_days)
        day_idx = np.repeat(np.arange(n_days), counts)
        sub_day = pd.Timestamp(start) + pd.to_timedelta(day_idx, unit="D")
        version = ((sub_day >= pd.Timestamp(change)) & (form == "pricing")).astype(int)
        pw = np.array([p_win[(form, int(v))] for v in version])
        n = day_idx.size
        keys = np.array([f"{form}-{seed}-{i}" for i in range(n)])
        subs_parts.append(pd.DataFrame({"lead_key": keys, "form_id": form,
                                        "submitted_at": sub_day}))
        has = rng.random(n) < p_deal
        won = rng.random(n) < pw
        c_off, z_off = _demo_offsets(rng, won)
        deals = pd.DataFrame({
            "lead_key": keys, "outcome": np.where(won, "won", "lost"),
            "amount": np.where(won, rng.lognormal(9.0, 0.8, n), np.nan),
            "created_at": sub_day + pd.to_timedelta(c_off, unit="D"),
            "closed_at": sub_day + pd.to_timedelta(z_off, unit="D"),
        }).loc[has]
        deal_parts.append(deals)
    subs = pd.concat(subs_parts, ignore_index=True)
    deals = pd.concat(deal_parts, ignore_index=True)
    cut = pd.Timestamp(as_of)
    deals = deals.loc[deals["created_at"] <= cut].copy()
    still_open = deals["closed_at"] > cut
    deals.loc[still_open, "outcome"] = "open"
    deals.loc[still_open, "closed_at"] = pd.NaT
    deals.loc[still_open, "amount"] = np.nan
    subs["email"] = "x@example.com"
    subs["budget"] = "10k"
    hear = (subs["form_id"] == "pricing") & (subs["submitted_at"] < pd.Timestamp(change))
    subs["how_did_you_hear"] = pd.Series("search", index=subs.index, dtype="str").where(hear)
    forms = FormsConfig(
        forms={
            "pricing": FormSpec("pricing", (
                FormVersion(None, ("email", "budget", "how_did_you_hear")),
                FormVersion(change, ("email", "budget")))),
            "contact": FormSpec("contact", (FormVersion(None, ("email", "budget")),)),
        },
        fields={"email": FieldSpec("email", protected="needed to contact the lead")},
    )
    inputs = Inputs(submissions=subs, fields=("email", "budget", "how_did_you_hear"),
                    forms=forms, deals=deals, as_of=as_of)
    return inputs, DemoTruth(horizon_days=horizon_days, q_h=_demo_truth(horizon_days))


_DEMO_P_DEAL = 0.7
_DEMO_P_WIN: dict[tuple[str, int], float] = {
    ("pricing", 0): 0.30, ("pricing", 1): 0.36, ("contact", 0): 0.25}


def _demo_offsets(r: np.random.Generator, won: npt.NDArray[np.bool_],
                  ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Days from submission to deal creation and to close: wins ~75 days, losses ~25."""
    created = r.exponential(4.0, won.size)
    close = np.where(won, r.gamma(2.0, 37.5, won.size), r.gamma(1.5, 16.7, won.size))
    return np.floor(created).astype(np.int64), np.ceil(created + close).astype(np.int64)


@functools.lru_cache(maxsize=8)
def _demo_truth(horizon_days: int) -> dict[tuple[str, int], float]:
    """Q_h by Monte Carlo on the same integer-day clock as the data (fixed seed: repeatable)."""
    mc = np.random.default_rng(12345)
    m = 2_000_000
    q: dict[tuple[str, int], float] = {}
    for k, pw in _DEMO_P_WIN.items():
        won = mc.random(m) < pw
        _, z = _demo_offsets(mc, won)
        q[k] = _DEMO_P_DEAL * float(np.mean(won & (z <= horizon_days)))
    return q
