"""Win effects: cells from judged leads, mature view cells, revenue interval, join-rate check,
and a seeded coverage loop on simulated worlds (``scripts/coverage_wins.py`` runs the big one)."""

from __future__ import annotations

from datetime import date
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from script_loader import load_script

from formfit.config import Settings
from formfit.inputs import FieldSpec, FormsConfig, FormSpec, FormVersion, Inputs
from formfit.leads import lead_outcomes
from formfit.models.wins import (
    join_rate_checks,
    lead_cells,
    mature_view_cells,
    split_view_cells,
    win_effects,
)
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


def test_lead_cells_sum_the_judged_leads() -> None:
    inp = _world()
    out = lead_outcomes(inp, Settings(maturity_days=60))
    lc = lead_cells(out, ["device"])
    judged = out.judged()
    assert list(lc.columns[:4]) == ["form_id", "version", "date", "device"]
    assert lc["leads"].sum() == len(judged)
    assert lc["wins"].sum() == judged["won"].sum()
    assert lc["revenue"].sum() == pytest.approx(judged["revenue_capped"].sum())
    assert lc["date"].max() <= pd.Timestamp(AS_OF) - pd.Timedelta(days=60)
    assert not lc.duplicated(["form_id", "version", "date", "device"]).any()
    # a segment the submissions do not carry is ignored
    assert "channel" not in lead_cells(out, ["device", "channel"]).columns


def test_mature_view_cells_leave_out_young_days_and_join_wins() -> None:
    inp = _world()
    out = lead_outcomes(inp, Settings(maturity_days=60))
    vc = _view_cells(inp)
    mv = mature_view_cells(vc, out, ["device"])
    cut = pd.Timestamp(AS_OF) - pd.Timedelta(days=60)
    assert mv["date"].max() <= cut
    _, immature = split_view_cells(vc, out)
    assert immature == int(vc.loc[vc["date"] > cut, "views"].sum()) > 0
    assert mv["views"].sum() + immature == vc["views"].sum()
    assert mv["wins"].sum() == out.judged()["won"].sum()
    assert (mv["wins"] <= mv["views"]).all()
    # submissions without the device column: view cells collapse over device
    collapsed = mature_view_cells(vc, out, [])
    assert "device" not in collapsed.columns
    assert collapsed["wins"].sum() == mv["wins"].sum()
    assert collapsed["views"].sum() == mv["views"].sum()


def test_without_dates_held_out_leads_are_scaled_in_not_counted_lost() -> None:
    inp = _world(days=40, dates=False)
    out = lead_outcomes(inp, Settings())
    assert not out.window
    mv = mature_view_cells(_view_cells(inp), out, ["device"])
    assert mv["date"].isna().all()
    judged = out.judged()
    all_leads = (out.leads["held_out_reason"].isna()
                 | (out.leads["held_out_reason"] == "open_deal_no_dates"))
    # per (form, device): wins = judged wins * all leads / judged leads
    for (form, device), g in judged.groupby(["form_id", "device"]):
        n_all = int((all_leads & (out.leads["form_id"] == form)
                     & (out.leads["device"] == device)).sum())
        expect = g["won"].sum() * n_all / len(g)
        got = mv.loc[(mv["form_id"] == form) & (mv["device"] == device), "wins"].sum()
        assert got == pytest.approx(expect)


def test_randomized_wins_per_1k_is_the_difference_of_proportions() -> None:
    """Two variants, one day, no segments: the AME is (wins/views)_b - (wins/views)_a."""
    inp = _world(days=120)
    out = lead_outcomes(inp, Settings(maturity_days=60))
    vc = _view_cells(inp)
    one_day = vc.loc[vc["date"] == pd.Timestamp("2025-02-01")]
    inputs_no_seg = Inputs(submissions=inp.submissions, fields=inp.fields, forms=inp.forms,
                           view_counts=inp.view_counts, deals=inp.deals, segments=(),
                           as_of=AS_OF)
    out = lead_outcomes(inputs_no_seg, Settings(maturity_days=60))
    we = win_effects(inputs_no_seg, out, one_day.drop(columns=["device"]))
    mv = we.mature_view_cells
    assert mv is not None
    per = mv.groupby("form_id")[["wins", "views"]].sum()
    wa, va = per.loc["a"]
    wb, vb = per.loc["b"]
    ref = 1000 * (wb / vb - wa / va)
    e = we.wins_per_1k_views["phone"]
    assert e.estimate == pytest.approx(ref, abs=1e-6)
    se = 1000 * np.sqrt((wa / va) * (1 - wa / va) / va + (wb / vb) * (1 - wb / vb) / vb)
    assert e.ci_high is not None and e.ci_low is not None
    assert (e.ci_high - e.ci_low) / (2 * 1.959964) == pytest.approx(se, rel=0.02)
    assert "p_value" not in e.to_dict()


def test_win_effects_recover_planted_effects() -> None:
    inp = _world(views_per_day=800)
    out = lead_outcomes(inp, Settings(maturity_days=60))
    we = win_effects(inp, out, _view_cells(inp))
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
    assert we.immature_views > 0
    assert "IMMATURE_VIEWS_LEFT_OUT" in {n.code for n in we.notices}
    assert "JOIN_RATE_MISMATCH" not in {n.code for n in we.notices}
    assert we.model["horizon_days"] == 60


def test_revenue_interval_is_the_delta_method() -> None:
    from formfit.models.effects import FieldEffect
    from formfit.models.wins import _revenue_effect

    eff = FieldEffect("phone", "randomized", (), (), Estimate(-4.0, -6.0, -2.0, with_p=False),
                      "basis", se=1.0, baseline=50.0, trials=1000.0)
    amounts = pd.Series([100.0, 200.0, 300.0, 400.0])
    rev = _revenue_effect(eff, amounts)
    m, se_m = 250.0, float(np.std([100, 200, 300, 400], ddof=1) / 2)
    se = np.sqrt((m * 1.0) ** 2 + (4.0 * se_m) ** 2)
    assert rev.estimate == pytest.approx(-1000.0)
    assert rev.ci_low == pytest.approx(-1000.0 - 1.959964 * se, rel=1e-5)
    assert rev.ci_high == pytest.approx(-1000.0 + 1.959964 * se, rel=1e-5)
    assert _revenue_effect(eff, pd.Series([5.0])).code == "NO_AMOUNTS"


def test_join_rate_mismatch_names_the_experiment_and_fields() -> None:
    healthy = _world(days=60)
    assert join_rate_checks(lead_outcomes(healthy, Settings(maturity_days=30)), FORMS) == []
    broken = _world(days=60, lose_join_b=0.2)
    notes = join_rate_checks(lead_outcomes(broken, Settings(maturity_days=30)), FORMS)
    assert [n.code for n in notes] == ["JOIN_RATE_MISMATCH"]
    assert notes[0].details["experiment"] == "exp"
    assert notes[0].details["fields"] == ["phone"]
    assert notes[0].details["p_value"] < 0.001


def test_no_outcomes_gives_no_effects() -> None:
    inp = _world(days=20)
    inp.deals = None
    out = lead_outcomes(inp, Settings())
    we = win_effects(inp, out, _view_cells(inp))
    assert we.win_rate == {} and we.wins_per_1k == {}
    assert we.model["code"] == "NO_OUTCOMES"


def _coverage_module() -> ModuleType:
    return load_script("coverage_wins")


@pytest.mark.slow
def test_coverage_on_simulated_worlds() -> None:
    """20 worlds (segments off to keep it fast): randomized intervals cover the truth."""
    mod = _coverage_module()
    rows = pd.DataFrame([r for seed in range(20) for r in mod.one_world(seed, False)])
    rnd = rows.loc[rows["evidence"] == "randomized"]
    for metric in ("win_rate_pp", "wins_per_1k_views"):
        cov = rnd.loc[rnd["metric"] == metric, "covered"]
        assert len(cov) == 40
        assert cov.mean() >= 0.85, (metric, cov.mean())


def test_without_dates_a_changed_form_is_left_out_of_wins_per_view() -> None:
    from formfit.models.censoring import demo_world

    inp, _ = demo_world(2, leads_per_day=4.0)
    day = inp.submissions["submitted_at"].dt.normalize()
    views = (inp.submissions.assign(date=day).groupby(["form_id", "date"], observed=True)
             .size().rename("submissions").reset_index())
    views["views"] = views["submissions"] * 5
    inp.view_counts = views
    inp.submissions = inp.submissions.assign(submitted_at=pd.NaT)
    out = lead_outcomes(inp, Settings())
    we = win_effects(inp, out, _view_cells(inp))
    assert "WINS_PER_VIEW_UNDATED" in {n.code for n in we.notices}
    assert we.mature_view_cells is not None
    assert set(we.mature_view_cells["form_id"]) == {"contact"}
    assert "NO_MATURITY_WINDOW" in {n.code for n in out.notices}


def test_deal_size_check_flags_a_field_that_changes_deal_size() -> None:
    from formfit.models.wins import _deal_size_check

    rng = np.random.default_rng(1)
    n = 200
    form = np.where(rng.random(n) < 0.5, "a", "b")
    won = pd.DataFrame({"form_id": form, "version": 0,
                        "revenue_capped": np.where(form == "a", 2000.0, 1000.0)
                        * rng.lognormal(0, 0.3, n)})
    notes = _deal_size_check(won, FORMS, ["phone", "email"])
    assert [n.code for n in notes] == ["DEAL_SIZE_DIFFERS"]
    assert list(notes[0].details["fields"]) == ["phone"]
    same = won.assign(revenue_capped=rng.lognormal(7, 0.3, n))
    assert _deal_size_check(same, FORMS, ["phone"]) == []
