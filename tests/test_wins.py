"""Win effects on eventual wins: lead cells, completion factors, the day-level difference of
proportions, revenue interval, join-rate and deal-size checks, and a seeded coverage loop on
simulated worlds with slow wins (``scripts/coverage_eventual.py`` runs the big one)."""

from __future__ import annotations

from datetime import date
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from script_loader import load_script

from formfit.config import Settings
from formfit.inputs import FieldSpec, FormsConfig, FormSpec, FormVersion, Inputs
from formfit.leads import LeadOutcomes, lead_outcomes
from formfit.models.wins import WinEffects, win_effects
from formfit.models.wins_checks import deal_size_check, join_rate_checks
from formfit.results import Estimate

START = date(2025, 1, 1)
AS_OF = date(2025, 6, 30)
FORMS = FormsConfig(
    forms={"a": FormSpec("a", (FormVersion(None, ("email", "phone")),), experiment="exp"),
           "b": FormSpec("b", (FormVersion(None, ("email",)),), experiment="exp")},
    fields={"email": FieldSpec("email", protected="contact")},
)


def _world(seed: int = 0, *, days: int = 180, views_per_day: int = 400,
           lose_join_b: float = 0.0, dates: bool = True) -> Inputs:
    """Two randomized variants; a shows phone (fewer submissions, more wins per lead)."""
    rng = np.random.default_rng(seed)
    conv = {"a": 0.20, "b": 0.26}
    win = {"a": 0.30, "b": 0.20}
    views, subs, deals = [], [], []
    k = 0
    for d in range(days):
        day = pd.Timestamp(START) + pd.Timedelta(days=d)
        for form in ("a", "b"):
            for device in ("desktop", "mobile"):
                v = int(rng.poisson(views_per_day / 4))
                s = int(rng.binomial(v, conv[form]))
                views.append({"form_id": form, "date": day, "device": device, "views": v,
                              "submissions": s})
                for _ in range(s):
                    key = f"L{k}"
                    k += 1
                    subs.append({"lead_key": key, "form_id": form, "device": device,
                                 "submitted_at": day + pd.Timedelta(hours=10),
                                 "email": "x@y.z"})
                    won = rng.random() < win[form]
                    if form == "b" and rng.random() < lose_join_b:
                        continue  # the lead never reaches the CRM
                    if not won and rng.random() < 0.4:
                        continue  # a loser without a deal
                    close = day + pd.Timedelta(days=int(rng.integers(20, 60) if won
                                                        else rng.integers(3, 20)))
                    deals.append({"lead_key": key, "outcome": "won" if won else "lost",
                                  "amount": float(rng.lognormal(8, 1)) if won else np.nan,
                                  "created_at": day, "closed_at": close})
    deals_df = pd.DataFrame(deals)
    cut = pd.Timestamp(AS_OF)
    open_ = deals_df["closed_at"] > cut
    deals_df.loc[open_, "outcome"] = "open"
    deals_df.loc[open_, "closed_at"] = pd.NaT
    subs_df = pd.DataFrame(subs)
    if not dates:
        subs_df["submitted_at"] = pd.NaT
    return Inputs(submissions=subs_df, fields=("email", "phone"), forms=FORMS,
                  view_counts=pd.DataFrame(views), view_level="aggregated", deals=deals_df,
                  segments=("device",), as_of=AS_OF)


def _view_cells(inputs: Inputs) -> pd.DataFrame:
    from formfit.aggregate import view_cells

    return view_cells(inputs)


def _effects(inp: Inputs, settings: Settings, vc: pd.DataFrame | None = None,
             ) -> tuple[LeadOutcomes, WinEffects]:
    out = lead_outcomes(inp, settings)
    we = win_effects(out.cells, out.timing, _view_cells(inp) if vc is None else vc,
                     forms=inp.forms, fields=list(inp.fields), horizon_days=out.horizon_days)
    return out, we


def test_lead_cells_count_every_lead_and_never_call_an_open_deal_lost() -> None:
    inp = _world()
    out = lead_outcomes(inp, Settings())
    assert out.cells is not None
    c, ev = out.cells.cells, out.cells.events
    n = len(out.leads)
    assert list(c.columns[:4]) == ["form_id", "version", "date", "device"]
    assert int(c["leads"].sum()) == n
    assert int((c["won"] + c["open"] + c["lost"] + c["no_deal"]).sum()) == n
    assert int((ev["won"] + ev["lost"] + ev["censored"]).sum()) == n
    # open deals are censored: as many censored leads as open or deal-less ones
    assert int(ev["censored"].sum()) == int((c["open"] + c["no_deal"]).sum())
    assert int(ev["lost"].sum()) == int(c["lost"].sum())
    assert not c.duplicated(["form_id", "version", "date", "device"]).any()
    assert (c["age_days"] == (pd.Timestamp(AS_OF) - c["date"]).dt.days).all()


def test_horizon_from_completion_factors_does_not_lean_short() -> None:
    """Wins close 20-59 days after submission (uniform): h must reach the end of that, where
    the old 90th percentile of observed win times was pulled short by young leads."""
    out = lead_outcomes(_world(), Settings())
    assert out.timing is not None and out.timing.plateau
    assert 56 <= out.horizon_days <= 63
    assert out.timing.share_by_h >= 0.98
    f = out.timing.completion(np.array([0.0, 20.0, 40.0, 63.0, 400.0]))
    assert f[0] == 0.0 and f[-1] == 1.0 and f[-2] == 1.0
    assert 0.4 < f[2] < 0.6  # about half the wins have arrived by day 40
    assert np.all(np.diff(f) >= 0)


def test_win_effects_recover_planted_effects() -> None:
    inp = _world(1, views_per_day=800)
    out, we = _effects(inp, Settings())
    # truth of dropping phone: win rate 0.20 - 0.30; wins per 1k views 1000(.26*.20 - .20*.30)
    wr, wv = we.win_rate_pp["phone"], we.wins_per_1k_views["phone"]
    assert wr.ci_low is not None and wr.ci_high is not None
    assert wr.ci_low < -10.0 < wr.ci_high
    assert wv.ci_low is not None and wv.ci_high is not None
    assert wv.ci_low < -8.0 < wv.ci_high
    assert wr.p_value is not None and wr.p_value < 1e-6
    rev = we.revenue_per_1k_views["phone"]
    assert rev.known and rev.estimate is not None and wv.estimate is not None
    assert rev.estimate / wv.estimate > 0
    assert we.baseline_wins_per_1k["phone"] == pytest.approx(60.0, rel=0.2)
    assert "JOIN_RATE_MISMATCH" not in {n.code for n in we.notices}
    assert we.model["horizon_days"] == out.horizon_days
    # young days are in, with their completion as weight
    assert we.view_cells is not None
    assert we.view_cells["date"].max() > pd.Timestamp(AS_OF) - pd.Timedelta(days=30)
    chk = we.maturity_check["phone"]
    assert chk.known and chk.ci_low is not None and chk.ci_low < -8.0 < (chk.ci_high or 0)
    # every lead counts: narrower than the maturity cut-off
    assert (wv.ci_high - wv.ci_low) < (chk.ci_high - chk.ci_low)  # type: ignore[operator]


def test_randomized_wins_per_1k_is_the_difference_of_proportions() -> None:
    """Two variants, one old day, no segments: the AME is (wins/views)_b - (wins/views)_a,
    and the interval the textbook one (completion 1, so no timing variance)."""
    inp = _world(days=120)
    vc = _view_cells(inp)
    one_day = vc.loc[vc["date"] == pd.Timestamp("2025-02-01")].drop(columns=["device"])
    _, we = _effects(inp, Settings(maturity_days=70), one_day)
    used = we.view_cells
    assert used is not None and (used["completion"] == 1.0).all()
    per = used.groupby("form_id")[["wins", "views"]].sum()
    wa, va = per.loc["a"]
    wb, vb = per.loc["b"]
    ref = 1000 * (wb / vb - wa / va)
    e = we.wins_per_1k_views["phone"]
    assert e.estimate == pytest.approx(ref, abs=1e-6)
    se = 1000 * np.sqrt((wa / va) * (1 - wa / va) / va + (wb / vb) * (1 - wb / vb) / vb)
    assert e.ci_high is not None and e.ci_low is not None
    assert (e.ci_high - e.ci_low) / (2 * 1.959964) == pytest.approx(se, rel=0.02)
    assert "p_value" not in e.to_dict()


def test_revenue_interval_is_the_delta_method() -> None:
    from formfit.models.effects import FieldEffect
    from formfit.models.wins import _revenue_effect

    eff = FieldEffect("phone", "randomized", (), (), Estimate(-4.0, -6.0, -2.0, with_p=False),
                      "basis", se=1.0, baseline=50.0, trials=1000.0)
    x = np.array([100.0, 200.0, 300.0, 400.0])
    rev = _revenue_effect(eff, 4, float(x.sum()), float((x * x).sum()))
    m, se_m = 250.0, float(np.std(x, ddof=1) / 2)
    se = np.sqrt((m * 1.0) ** 2 + (4.0 * se_m) ** 2)
    assert rev.estimate == pytest.approx(-1000.0)
    assert rev.ci_low == pytest.approx(-1000.0 - 1.959964 * se, rel=1e-5)
    assert rev.ci_high == pytest.approx(-1000.0 + 1.959964 * se, rel=1e-5)
    assert _revenue_effect(eff, 1, 5.0, 25.0).code == "NO_AMOUNTS"
    # a wins interval on t(5) (six day clusters): revenue takes the same quantile
    from scipy import stats

    q = float(stats.t.ppf(0.975, 5))
    eff5 = FieldEffect("phone", "randomized", (), (),
                       Estimate(-4.0, -4.0 - q, -4.0 + q, with_p=False, df=5.0),
                       "basis", se=1.0, baseline=50.0, trials=1000.0)
    rev = _revenue_effect(eff5, 4, float(x.sum()), float((x * x).sum()))
    assert rev.ci_low == pytest.approx(-1000.0 - q * se, rel=1e-5)
    assert rev.ci_high == pytest.approx(-1000.0 + q * se, rel=1e-5)


def test_join_rate_mismatch_names_the_experiment_and_fields() -> None:
    def cells(inp: Inputs) -> pd.DataFrame:
        out = lead_outcomes(inp, Settings(maturity_days=30))
        assert out.cells is not None
        return out.cells.cells

    assert join_rate_checks(cells(_world(days=60)), FORMS) == []
    notes = join_rate_checks(cells(_world(days=60, lose_join_b=0.2)), FORMS)
    assert [n.code for n in notes] == ["JOIN_RATE_MISMATCH"]
    assert notes[0].details["experiment"] == "exp"
    assert notes[0].details["fields"] == ["phone"]
    assert notes[0].details["p_value"] < 0.001


def test_no_outcomes_gives_no_effects() -> None:
    inp = _world(days=20)
    inp.deals = None
    _, we = _effects(inp, Settings())
    assert we.win_rate == {} and we.wins_per_1k == {}
    assert we.model["code"] == "NO_OUTCOMES"


def test_without_dates_open_deals_are_held_out_not_counted_lost() -> None:
    inp = _world(days=40, dates=False)
    out, we = _effects(inp, Settings())
    assert not out.window and out.timing is None
    used = we.view_cells
    assert used is not None and used["date"].isna().all()
    assert out.cells is not None
    c = out.cells.cells.groupby("form_id")[["leads", "open", "won"]].sum()
    for form, g in used.groupby("form_id"):
        known = c.loc[form, "leads"] - c.loc[form, "open"]
        # effective views: views x (leads whose outcome is known / leads)
        assert g["eff"].sum() == pytest.approx(g["views"].sum() * known / c.loc[form, "leads"])
        assert g["wins"].sum() == c.loc[form, "won"]


def test_without_dates_a_changed_form_is_left_out_of_wins_per_view() -> None:
    from formfit.models.censoring import demo_world

    inp, _ = demo_world(2, leads_per_day=4.0)
    day = inp.submissions["submitted_at"].dt.normalize()
    views = (inp.submissions.assign(date=day).groupby(["form_id", "date"], observed=True)
             .size().rename("submissions").reset_index())
    views["views"] = views["submissions"] * 5
    inp.view_counts = views
    inp.submissions = inp.submissions.assign(submitted_at=pd.NaT)
    out, we = _effects(inp, Settings())
    assert "WINS_PER_VIEW_UNDATED" in {n.code for n in we.notices}
    assert we.view_cells is not None
    assert set(we.view_cells["form_id"]) == {"contact"}
    assert "NO_MATURITY_WINDOW" in {n.code for n in out.notices}


def test_deal_size_check_flags_a_field_that_changes_deal_size() -> None:
    rng = np.random.default_rng(1)
    n = 200
    form = np.where(rng.random(n) < 0.5, "a", "b")

    def cells(rev: np.ndarray) -> pd.DataFrame:
        f = pd.DataFrame({"form_id": form, "version": 0, "rev_n": 1, "rev_sum": rev,
                          "rev_sumsq": rev * rev})
        return f.groupby(["form_id", "version"], as_index=False).sum()

    big = np.where(form == "a", 2000.0, 1000.0) * rng.lognormal(0, 0.3, n)
    notes = deal_size_check(cells(big), FORMS, ["phone", "email"])
    assert [n.code for n in notes] == ["DEAL_SIZE_DIFFERS"]
    assert list(notes[0].details["fields"]) == ["phone"]
    assert deal_size_check(cells(rng.lognormal(7, 0.3, n)), FORMS, ["phone"]) == []


def _coverage_module() -> ModuleType:
    return load_script("coverage_eventual")


@pytest.mark.slow
def test_coverage_on_simulated_worlds() -> None:
    """6 small slow-win worlds (wins up to 300 days, ~18% of deals open, a form edited
    mid-year): randomized intervals cover the eventual truth."""
    mod = _coverage_module()
    rows = pd.DataFrame([r for seed in range(6) for r in mod.one_world(seed)])
    rnd = rows.loc[(rows["evidence"] == "randomized") & (rows["method"] == "eventual")]
    for metric in ("win_rate_pp", "wins_per_1k_views"):
        cov = rnd.loc[rnd["metric"] == metric, "covered"]
        assert len(cov) == 12
        assert cov.mean() >= 0.8, (metric, cov.mean())
    assert rows["open_share"].between(0.15, 0.25).all()
