"""Eventual wins: completion factors against hand computations, the no-plateau warning, the
joint contrast carrying F's uncertainty, and the eventual / within-h truth of simulations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from formfit.cells.leads import LeadCells, cohort_wins, lead_cells
from formfit.models.completion import win_timing

AS_OF = date(2025, 12, 31)


def _cells(rows: list[tuple[int, int, int, int]]) -> LeadCells:
    """rows: (days before as_of submitted, event 0/1/2, event day, count)."""
    recs = []
    for age, ev, t, k in rows:
        for _ in range(k):
            recs.append({"form_id": "f", "version": 0,
                         "date": pd.Timestamp(AS_OF) - pd.Timedelta(days=age),
                         "deal_state": {0: "open", 1: "won", 2: "lost"}[ev],
                         "win_revenue": 100.0 if ev == 1 else np.nan,
                         "event": ev, "event_days": float(t)})
    return lead_cells(pd.DataFrame(recs), [], AS_OF)


def test_cohort_wins_count_first_wins_by_each_grid_day() -> None:
    lc = _cells([(100, 1, 10, 2), (100, 1, 30, 1), (100, 2, 5, 4), (20, 1, 3, 1),
                 (20, 0, 20, 5)])
    days, leads, age, cum = cohort_wins(lc, [0, 7, 14, 28, 35])
    assert leads.tolist() == [7.0, 6.0] and age.tolist() == [100.0, 20.0]
    assert cum.tolist() == [[0, 0, 2, 2, 3], [0, 1, 1, 1, 1]]
    assert int(lc.cells["open"].sum()) == 5 and int(lc.cells["lost"].sum()) == 4
    assert int(lc.cells["rev_n"].sum()) == 4


def test_chain_ladder_ratios_ignore_a_change_in_win_probability() -> None:
    """Old cohorts win half as often as young ones, with the same timing: a win at day 10 or
    day 40, half each. G(14) must be 0.5 whatever the mix (a pooled rate would not care either
    here, but the factor is a within-cohort ratio by construction)."""
    rows = []
    for age in range(60, 400):
        k = 1 if age > 200 else 2
        rows += [(age, 1, 10, k), (age, 1, 40, k), (age, 0, age, 4)]
    t = win_timing(_cells(rows))
    assert t is not None
    assert float(np.interp(14, t.grid, t.share)) == pytest.approx(0.5)
    assert t.horizon_days == 42 and t.plateau
    assert t.completion(np.array([14.0]))[0] == pytest.approx(0.5)


def test_no_plateau_is_said_and_the_horizon_falls_back_to_the_follow_up() -> None:
    # wins keep arriving steadily through the whole follow-up
    rows = [(age, 1, t, 1) for age in range(0, 200) for t in range(5, age + 1, 15)]
    rows += [(age, 0, age, 3) for age in range(200)]
    t = win_timing(_cells(rows))
    assert t is not None and not t.plateau
    assert t.horizon_days == t.followup_days
    assert [n.code for n in t.notices] == ["WIN_HORIZON_NO_PLATEAU"]
    assert "still arriving" in t.notices[0].message


def test_joint_contrast_adds_the_completion_variance() -> None:
    from formfit.models.contrast import joint_contrast

    block = {"status": "fitted", "field_columns": ["phone"], "columns": ["form:a",
                                                                          "field:phone"],
             "coef": [-3.0, 0.5], "null_space": [],
             "covariances": [{"method": "binomial", "df": None,
                              "matrix": [[0.01, 0.0], [0.0, 0.01]]}],
             "profiles": [{"form_id": "a", "fields": ["phone"], "trials": 1000.0,
                           "x_mean": [1.0, 1.0], "eta": [-2.5] * 20}]}
    plain = joint_contrast(block, "a", [], 1000.0)
    wide = joint_contrast(block | {"completion_rel_var": 0.04}, "a", [], 1000.0)
    assert plain.estimate == wide.estimate
    assert plain.ci_low is not None and wide.ci_low is not None and plain.estimate is not None
    se0 = (plain.estimate - plain.ci_low) / 1.959964
    se1 = (wide.estimate - wide.ci_low) / 1.959964
    assert se1 ** 2 == pytest.approx(se0 ** 2 + plain.estimate ** 2 * 0.04)


def test_truth_is_eventual_and_within_h_is_named_as_such() -> None:
    from formfit.simulation.crm import win_share_by
    from formfit.simulation.design import WorldParams
    from formfit.simulation.world import simulate_world

    w = simulate_world(WorldParams(seed=3, n_views=4000, n_days=120, horizon_days=200))
    timing = w.truth["win_timing"]
    h = timing["within_h_days"]
    assert timing["within_h_share"] == pytest.approx(0.98, abs=0.005)
    assert win_share_by(200, 200) == 1.0 and win_share_by(200, 19) == 0.0
    for f in w.truth["fields"]:
        wh = f["within_h"]
        assert wh["horizon_days"] == h
        for m in ("win_rate_pp", "wins_per_1k_views"):
            assert wh[m] == pytest.approx(f[m] * timing["within_h_share"], abs=1e-5)


def test_fast_wins_give_young_cohorts_their_exact_completion(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An A/B test of 30 days whose deals all close 5 days after submission: with phone 30%
    of leads win, without it 20%, exactly, every day. F is read daily over the first weeks,
    so the cohorts aged 5 and 6 days count as complete (they are), and the estimates are the
    truth: -10 pp, and 30 - 24 = -6 won deals per 1,000 views. On a weekly grid F was
    interpolated to 5/7 and 6/7 there, and both came out 1.5% too large."""
    import datetime as dt
    import json

    from daily_world import write_daily_world
    from typer.testing import CliRunner

    from formfit.cli import app

    start = dt.date(2025, 1, 1)
    write_daily_world(tmp_path, [
        (form, start + dt.timedelta(days=d), 1000, subs, q, phone)
        for d in range(30) for form, subs, q, phone in (("ab-a", 100, 0.3, True),
                                                        ("ab-b", 120, 0.2, False))],
        close_after=lambda won: 5)
    (tmp_path / "forms.yaml").write_text(
        "version: 1\nforms:\n  ab-a:\n    experiment: ab\n    fields: [phone, email]\n"
        "  ab-b:\n    experiment: ab\n    fields: [email]\n")
    r = CliRunner().invoke(app, [
        "analyze", "--submissions", str(tmp_path / "submissions.csv"),
        "--views", str(tmp_path / "views.csv"), "--outcomes", str(tmp_path / "outcomes.csv"),
        "--forms", str(tmp_path / "forms.yaml"), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    phone = next(f for f in json.loads(r.stdout)["fields"] if f["field"] == "phone")
    de = phone["drop_effect"]
    assert de["win_rate_pp"]["estimate"] == pytest.approx(-10.0, abs=0.01)
    assert de["wins_per_1k_views"]["estimate"] == pytest.approx(-6.0, abs=0.01)
