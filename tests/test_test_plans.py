"""Test plans in weeks: numbers against closed forms, the 52-week boundary, the statsmodels
non-inferiority trap, power by simulation, and the plan through the real CLI on the sample."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from script_loader import load_script
from typer.testing import CliRunner

from formfit.cli import app
from formfit.decide import FEASIBLE_WEEKS, PLAN_WEEKS, plan_from
from formfit.evidence import EvidenceError
from formfit.models.power import (
    detectable_change_pct,
    detectable_change_per_1k,
    noninferiority_views_per_arm,
    views_per_arm,
    views_per_arm_exact,
)
from formfit.results import AnalysisResult

Z = 1.959963984540054 + 0.8416212335729143  # z_0.975 + z_0.80


def closed_form_mde(p: float, n: float) -> float:
    """Two-proportion MDE (statistics.md): (z_{1-α/2} + z_{1-β}) sqrt(p(1-p)(1/n + 1/n))."""
    return Z * math.sqrt(p * (1 - p) * 2 / n)


@pytest.mark.parametrize(("base", "n"), [(10.0, 50_000), (2.0, 1_000_000), (150.0, 3_000)])
def test_detectable_change_is_the_closed_form_two_proportion_mde(base: float, n: float) -> None:
    assert detectable_change_per_1k(base, n) == pytest.approx(
        1000 * closed_form_mde(base / 1000, n), rel=1e-6)
    # conversion in percent: the same formula on the percentage scale
    assert detectable_change_pct(base / 10, n) == pytest.approx(
        100 * closed_form_mde(base / 1000, n), rel=1e-6)


def test_plan_numbers_by_week() -> None:
    base, conv, daily, h, margin = 12.0, 20.0, 400.0, 84, 0.24
    plan = plan_from(base, margin, baseline_conversion_pct=conv, daily_views=daily,
                     horizon_days=h)
    assert plan is not None
    n = views_per_arm(base, margin)
    assert n is not None and plan.views_per_arm == n
    assert plan.days == math.ceil(2 * n / daily) + h  # the contract's days, unchanged
    assert plan.weekly_views == pytest.approx(2800.0)
    assert [d.weeks for d in plan.detectable_by_week] == list(PLAN_WEEKS)
    for d in plan.detectable_by_week:
        per_arm = 7 * d.weeks * daily / 2
        assert d.days_until_readout == 7 * d.weeks + h
        assert d.wins_per_1k_views == pytest.approx(
            1000 * closed_form_mde(base / 1000, per_arm), rel=1e-6)
        assert d.conversion_pp == pytest.approx(
            100 * closed_form_mde(conv / 100, per_arm), rel=1e-6)
    # four times the runtime halves the detectable change (1 / sqrt(weeks))
    w = {d.weeks: d.wins_per_1k_views for d in plan.detectable_by_week}
    assert w[8] / w[2] == pytest.approx(0.5, rel=1e-9)  # type: ignore[operator]
    assert w[12] / w[4] == pytest.approx(1 / math.sqrt(3), rel=1e-9)  # type: ignore[operator]
    # the margin needs n per arm of 400 a day split in two
    assert plan.weeks_to_detect_margin == pytest.approx(2 * n / (7 * daily), rel=1e-4)


def test_inverse_relation_and_the_12_week_margin_takes_12_weeks() -> None:
    base, daily = 8.0, 900.0
    for margin in (0.1, 0.5, 2.0):
        n = views_per_arm_exact(base, margin)
        assert n is not None
        assert detectable_change_per_1k(base, n) == pytest.approx(margin, rel=1e-9)
    plan = plan_from(base, 0.16, daily_views=daily, horizon_days=60)
    assert plan is not None and plan.feasible is False
    m12 = plan.feasible_margin_12_weeks
    assert m12 is not None and m12 == plan.detectable_by_week[-1].wins_per_1k_views
    again = plan_from(base, m12, daily_views=daily, horizon_days=60)
    assert again is not None and again.feasible is True
    assert again.weeks_to_detect_margin == pytest.approx(12.0, rel=1e-9)


def test_feasibility_boundary_is_52_weeks() -> None:
    base, margin = 10.0, 0.5
    n = views_per_arm_exact(base, margin)
    assert n is not None
    at_52 = 2 * n / (7 * FEASIBLE_WEEKS)  # daily views that need exactly 52 weeks
    on = plan_from(base, margin, daily_views=at_52 * (1 + 1e-9), horizon_days=0)
    off = plan_from(base, margin, daily_views=at_52 * (1 - 1e-6), horizon_days=0)
    assert on is not None and on.feasible is True
    assert on.weeks_to_detect_margin == pytest.approx(52.0)
    assert off is not None and off.feasible is False


def test_unknowns_stay_null() -> None:
    plan = plan_from(10.0, 0.5, daily_views=None, horizon_days=84)
    assert plan is not None and plan.days is None and plan.weekly_views is None
    assert plan.feasible is None and plan.weeks_to_detect_margin is None
    assert plan.feasible_margin_12_weeks is None and plan.detectable_by_week == ()
    no_conv = plan_from(10.0, 0.5, daily_views=100.0)
    assert no_conv is not None
    assert all(d.conversion_pp is None for d in no_conv.detectable_by_week)
    assert plan_from(None, 0.5, daily_views=100.0) is None
    assert plan_from(10.0, None, daily_views=100.0) is None
    assert plan_from(0.0, 0.5, daily_views=100.0) is None


# --- the statsmodels non-inferiority trap -------------------------------------------------------

@pytest.mark.parametrize(("p", "m"), [(0.01, 0.001), (0.01, 0.0002), (0.2, 0.01)])
def test_noninferiority_size_is_the_shifted_effect_formula(p: float, m: float) -> None:
    from statsmodels.stats.proportion import (
        power_proportions_2indep,
        samplesize_proportions_2indep_onetail,
    )

    # statsmodels' own non-inferiority helpers refuse a non-zero margin (statistics.md trap 6)
    with pytest.raises(NotImplementedError):
        samplesize_proportions_2indep_onetail(diff=0.0, prop2=p, power=0.8, alpha=0.025,
                                              value=-m, alternative="larger")
    with pytest.raises(NotImplementedError):
        power_proportions_2indep(diff=0.0, prop2=p, nobs1=10_000, alpha=0.025, value=-m,
                                 alternative="larger")
    # ... and given the margin as the difference instead, they size a test against p - m with
    # that arm's variance: not the non-inferiority size
    wrong = samplesize_proportions_2indep_onetail(diff=-m, prop2=p, power=0.8, alpha=0.05)
    truth = (1.959964 + 0.841621) ** 2 * 2 * p * (1 - p) / m ** 2  # one-sided alpha 0.025
    assert abs(wrong - truth) / truth > 0.004
    # formfit's: true change 0, one-sided 2.5%, NormalIndPower on the shifted effect
    assert noninferiority_views_per_arm(p, m) == pytest.approx(truth, rel=1e-4)
    assert views_per_arm(1000 * p, 1000 * m) == pytest.approx(truth, rel=1e-4)
    # a true change shifts the effect: a true gain of m/2 needs (1/1.5)^2 of the views
    q = p + m / 2
    shifted = (1.959964 + 0.841621) ** 2 * (p * (1 - p) + q * (1 - q)) / (1.5 * m) ** 2
    assert noninferiority_views_per_arm(p, m, m / 2) == pytest.approx(shifted, rel=1e-4)


# --- power by simulation ------------------------------------------------------------------------

def test_simulated_power_at_the_planned_size_is_80_percent() -> None:
    from scipy.stats import norm

    validate = load_script("validate_test_plans")
    rng = np.random.default_rng(20261130)
    base, margin = 50.0, 5.0
    # 20,000 two-arm tests (a second): Monte Carlo standard error 0.003 on 0.80
    out = validate.simulate(baseline_per_1k=base, margin_per_1k=margin, reps=20_000, rng=rng)
    # calling it droppable when it costs nothing: the non-inferiority power is the plan's 0.80
    assert out["power_noninferiority"] == pytest.approx(0.80, abs=0.015)
    # detecting a cost of the margin: a little above 0.80, since the arm that lost wins has
    # less variance than the baseline's 2p(1-p) the plan assumes
    p, q, n = base / 1000, (base - margin) / 1000, out["views_per_arm"]
    expected = norm.cdf(margin / 1000 / math.sqrt((p * (1 - p) + q * (1 - q)) / n) - 1.959964)
    assert 0.80 <= expected < 0.83
    assert out["power_detect"] == pytest.approx(expected, abs=0.015)


# --- through the real CLI -----------------------------------------------------------------------

def test_demo_json_plans_in_weeks() -> None:
    res = CliRunner().invoke(app, ["demo", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{"):res.stdout.rindex("}") + 1])
    plans = {f["field"]: f["test_plan"] for f in data["fields"] if f["verdict"] == "test"}
    assert plans and all(p is not None for p in plans.values())
    h = data["settings"]["maturity_days_used"]
    for p in plans.values():
        assert isinstance(p["views_per_arm"], int) and isinstance(p["days"], int)
        assert p["days"] == math.ceil(2 * p["views_per_arm"] * 7 / p["weekly_views"]) + h
        assert [d["weeks"] for d in p["detectable_by_week"]] == [2, 4, 8, 12]
        assert [d["days_until_readout"] for d in p["detectable_by_week"]] == [
            14 + h, 28 + h, 56 + h, 84 + h]
        assert all(d["conversion_pp"] is not None for d in p["detectable_by_week"])
        assert p["feasible"] is (p["weeks_to_detect_margin"] <= 52)
        assert p["feasible_margin_12_weeks"] == p["detectable_by_week"][-1]["wins_per_1k_views"]
    # the sample's traffic cannot settle its 2% margins: the reason says so in years
    reasons = {f["field"]: f["reason"] for f in data["fields"]}
    assert all(not p["feasible"] for p in plans.values())
    assert "a test could not settle it at today's traffic (it would take about" in reasons[
        "timeline"]
    assert "views per arm" not in reasons["timeline"]


def test_sample_with_a_feasible_margin_says_weeks() -> None:
    sample = Path(__file__).resolve().parents[1] / "sample_data"
    res = CliRunner().invoke(app, [
        "analyze", "--submissions", str(sample / "submissions.csv"),
        "--views", str(sample / "views.csv"), "--outcomes", str(sample / "outcomes.csv"),
        "--forms", str(sample / "forms.yaml"), "--segment", "device", "--segment", "channel",
        "--margin", "25", "--format", "json", "--quiet"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{"):res.stdout.rindex("}") + 1])
    feasible = [f for f in data["fields"] if f["test_plan"] and f["test_plan"]["feasible"]]
    assert feasible
    f = feasible[0]
    weeks = math.ceil(round(f["test_plan"]["weeks_to_detect_margin"], 6))
    assert (f"an A/B test of {weeks} weeks of today's traffic (+ 84 days for deals to close) "
            "would settle it") in f["reason"]


# --- evidence files: new keys round-trip, old files still read ----------------------------------

DATA = Path(__file__).resolve().parent / "data" / "check"
PLAN_KEYS = ("weekly_views", "horizon_days", "weeks_to_detect_margin", "feasible",
             "feasible_margin_12_weeks", "detectable_by_week")


def _evidence() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "evidence.json").read_text(encoding="utf-8"))
    return data


def test_evidence_round_trips_the_plan_in_weeks() -> None:
    data = _evidence()
    result = AnalysisResult.from_dict(copy.deepcopy(data))
    plans = [f.test_plan for f in result.fields if f.test_plan is not None]
    assert plans and all(len(p.detectable_by_week) == 4 and p.feasible is False for p in plans)
    assert result.to_dict()["fields"] == data["fields"]


def test_evidence_written_before_plans_in_weeks_still_reads(tmp_path: Path) -> None:
    data = _evidence()
    for f in data["fields"]:
        for k in PLAN_KEYS:
            (f["test_plan"] or {}).pop(k, None)
    result = AnalysisResult.from_dict(copy.deepcopy(data))
    message = next(f for f in result.fields if f.field == "message").test_plan
    raw = next(f for f in data["fields"] if f["field"] == "message")["test_plan"]
    assert message is not None and message.views_per_arm == raw["views_per_arm"]
    assert message.feasible is None and message.detectable_by_week == ()
    # check's plan sentence falls back to views per arm and days
    ev = tmp_path / "evidence.json"
    ev.write_text(json.dumps(data), encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--base", str(DATA / "base.yaml"), "--head",
                                   str(DATA / "remove_test.yaml"), "--evidence", str(ev),
                                   "--as-of", "2025-09-01"])
    assert res.exit_code == 0, res.output
    assert (f"An A/B test of {raw['views_per_arm']:,} views per arm (about "
            f"{raw['days']:,} days") in res.stdout


@pytest.mark.parametrize(("key", "value", "words"), [
    ("feasible", "yes", ["fields[1] (first_name).test_plan.feasible", "true or false"]),
    ("detectable_by_week", [{"weeks": "two"}],
     ["fields[1] (first_name).test_plan.detectable_by_week[0].weeks", "a whole number"]),
    ("weeks_to_detect_margin", "12", ["test_plan.weeks_to_detect_margin", "a number or null"]),
])
def test_hand_edited_plan_keys_are_named(key: str, value: Any, words: list[str]) -> None:
    data = _evidence()
    assert data["fields"][1]["field"] == "first_name"
    data["fields"][1]["test_plan"][key] = value
    with pytest.raises(EvidenceError) as err:
        AnalysisResult.from_dict(data)
    for w in words:
        assert w in str(err.value)


# --- every format shows the plan in weeks -------------------------------------------------------

def test_every_format_shows_the_plan_by_week() -> None:
    from dataclasses import replace

    from render_fixtures import build_result

    from formfit.renderers import render

    result = build_result()
    plan = plan_from(12.0, 3.0, baseline_conversion_pct=20.0, daily_views=400.0,
                     horizon_days=90)
    assert plan is not None and plan.feasible
    weeks = math.ceil(plan.weeks_to_detect_margin or 0)
    fields = tuple(replace(f, test_plan=plan) if f.test_plan is not None else f
                   for f in result.fields)
    result = replace(result, fields=fields)
    w2 = plan.detectable_by_week[0]
    md = render(result, "markdown")
    assert f"test plan: {weeks} weeks of today's traffic (+ 90 days for deals to close)" in md
    assert (f"| 2 weeks + 90 days | day 104 | {w2.wins_per_1k_views:.1f} | "
            f"{w2.conversion_pp:.1f} pp |") in md
    html = render(result, "html")
    assert "<td>12 weeks + 90 days</td><td>day 174</td>" in html
    table = render(result, "table", width=200)
    assert f"test detects Δ won deals/1k: 2 wk {w2.wins_per_1k_views:.1f} · 4 wk" in table
    out = json.loads(render(result, "json"))
    by_week = [f["test_plan"]["detectable_by_week"] for f in out["fields"] if f["test_plan"]]
    assert by_week and all([d["weeks"] for d in b] == [2, 4, 8, 12] for b in by_week)
    frame = result.to_frame()
    planned = frame["test_weeks_to_detect_margin"].dropna()
    assert len(planned) and (planned == plan.weeks_to_detect_margin).all()
    assert (frame.loc[planned.index, "test_feasible_margin_12_weeks"]
            == plan.feasible_margin_12_weeks).all()
