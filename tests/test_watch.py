"""Watched experiments through the real CLI: `analyze --sequential`, and `started:` in the
forms file. The intervals of effects that rest on a watched experiment must be the confidence
sequence of :mod:`formfit.models.sequential` (same centre, half-widths times its widening at
the experiment's size and N*), the drop rule must use them, and the result must record the
experiment's size and N* so they can be pinned.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from formfit.cli import app
from formfit.decide import FieldContext, decide
from formfit.models import sequential
from formfit.results import AnalysisResult, DropEffect, Estimate, FieldResult

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
runner = CliRunner()
KEYS = ("conversion_pp", "win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views")


def _analyze(forms: Path, *extra: str) -> dict:
    args = ["analyze", "--submissions", str(SAMPLE / "submissions.csv"),
            "--views", str(SAMPLE / "views.csv"), "--outcomes", str(SAMPLE / "outcomes.csv"),
            "--forms", str(forms), "--format", "json", "-q", *extra]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def fixed() -> dict:
    return _analyze(SAMPLE / "forms.yaml")


@pytest.fixture(scope="module")
def watched() -> dict:
    return _analyze(SAMPLE / "forms.yaml", "--sequential")


def _fields(result: dict) -> dict[str, dict]:
    return {f["field"]: f for f in result["fields"]}


def test_sequential_widens_randomized_effects_by_the_recorded_factor(fixed: dict,
                                                                     watched: dict) -> None:
    assert watched["settings"]["sequential"] is True and fixed["settings"]["sequential"] is False
    assert fixed["experiments"] == []
    (exp,) = watched["experiments"]
    assert exp["name"] == "demo" and exp["interval"] == "sequential"
    assert exp["watched_because"] == "--sequential" and exp["n_star_source"] != "config"
    k = sequential.widening(exp["size_so_far"], exp["n_star"])
    assert exp["widening"] == pytest.approx(k, rel=1e-5) and k > 1.5
    before, after = _fields(fixed), _fields(watched)
    randomized = [n for n, f in before.items() if f["drop_effect"]["evidence"] == "randomized"]
    assert randomized
    for name in randomized:
        de0, de1 = before[name]["drop_effect"], after[name]["drop_effect"]
        assert de0["interval"] == "fixed" and de1["interval"] == "sequential"
        assert de1["sequential"]["experiment"] == "demo"
        for key in KEYS:
            e0, e1 = de0[key], de1[key]
            if e0["estimate"] is None:
                continue
            assert e1["estimate"] == e0["estimate"]
            assert e0["estimate"] - e1["ci_low"] == pytest.approx(
                k * (e0["estimate"] - e0["ci_low"]), rel=1e-4)
            assert e1["ci_high"] - e0["estimate"] == pytest.approx(
                k * (e0["ci_high"] - e0["estimate"]), rel=1e-4)
            if "p_value" in e1 and e1["p_value"] is not None:
                # always-valid p-values agree with the sequence about 0
                assert (e1["p_value"] < 0.05) == (e1["ci_low"] > 0 or e1["ci_high"] < 0)
                # (far in the tail the mixture's p can dip below a t-based one; at the levels
                # anyone decides on it is larger)
                if e0["p_value"] > 1e-4:
                    assert e1["p_value"] >= e0["p_value"]
    for name, f in before.items():
        if f["drop_effect"]["evidence"] in ("observational", "none"):
            assert after[name]["drop_effect"] == f["drop_effect"]
    codes = {w["code"] for w in watched["warnings"]}
    assert "SEQUENTIAL_N_STAR_DERIVED" in codes


def test_reason_says_the_interval_is_always_valid(watched: dict) -> None:
    for f in watched["fields"]:
        if f["drop_effect"]["interval"] == "sequential" and not f["protected"]:
            assert "always-valid" in f["reason"] and "experiment demo is watched" in f["reason"]


def test_started_in_the_forms_file_watches_it_with_the_pinned_n_star(tmp_path: Path,
                                                                     watched: dict) -> None:
    doc = yaml.safe_load((SAMPLE / "forms.yaml").read_text())
    doc["experiments"] = {"demo": {"started": "2025-01-01", "n_star": 40000,
                                   "planned_days": 400}}
    forms = tmp_path / "forms.yaml"
    forms.write_text(yaml.safe_dump(doc))
    result = _analyze(forms)
    (exp,) = result["experiments"]
    assert exp["watched_because"] == "started" and exp["n_star"] == 40000
    assert exp["n_star_source"] == "config" and exp["started"] == "2025-01-01"
    assert exp["planned_days"] == 400
    assert exp["days_running"] == (pd_date(result["as_of"]) - pd_date("2025-01-01")).days + 1
    assert exp["size_so_far"] == watched["experiments"][0]["size_so_far"]
    assert "SEQUENTIAL_N_STAR_DERIVED" not in {w["code"] for w in result["warnings"]}
    for f in result["fields"]:
        if f["drop_effect"]["interval"] == "sequential" and not f["protected"]:
            assert "of 400 planned" in f["reason"]
    # read back as evidence: the interval kind and the experiments survive
    back = AnalysisResult.from_dict(result).to_dict()
    assert back["experiments"] == result["experiments"]
    assert [f["drop_effect"] for f in back["fields"]] == [
        f["drop_effect"] for f in result["fields"]]


def pd_date(text: str):  # noqa: ANN201 - a date
    from datetime import date

    return date.fromisoformat(text[:10])


def _field(w: Estimate, days: int, planned: int | None) -> FieldResult:
    seq = {"experiment": "t", "n": 40_000, "unit": "views", "n_star": 40_000,
           "days_running": days, "planned_days": planned, "estimates": ["wins_per_1k_views"]}
    return FieldResult(field="phone", forms=("a", "b"), required=False,
                       drop_effect=DropEffect(evidence="randomized", wins_per_1k_views=w,
                                              interval="sequential", sequential=seq))


CTX = {"phone": FieldContext(baseline_wins_per_1k=10.0, daily_views=1000.0, horizon_days=30)}


def test_drop_rule_uses_the_sequence_and_says_it_can_stop() -> None:
    k = sequential.widening(40_000, 40_000)
    # fixed interval -0.1 +- 0.35 clears a -0.5 margin; the sequence (x1.55) does not
    fixed = Estimate(estimate=-0.1, ci_low=-0.45, ci_high=0.25, with_p=False)
    widened = sequential.widen(fixed, 40_000, 40_000)
    assert widened.ci_low == pytest.approx(-0.1 - 0.35 * k)
    (f,) = decide([FieldResult(field="phone", forms=("a", "b"), required=False,
                               drop_effect=DropEffect(evidence="randomized",
                                                      wins_per_1k_views=fixed))],
                  margin="0.5", context=CTX)
    assert f.verdict == "drop" and "sequential" not in f.reason_data
    (f,) = decide([_field(widened, 10, 28)], margin="0.5", context=CTX)
    assert f.verdict == "test"
    assert f.reason_data["sequential"]["can_stop"] is None
    assert "keep it running until its interval clears the margin or at day 28" in f.reason_text
    (f,) = decide([_field(widened, 28, 28)], margin="0.5", context=CTX)
    assert f.reason_data["sequential"]["can_stop"] == "PLANNED_RUNTIME"
    # narrower data: the sequence clears the margin, so the watched test can stop
    tight = sequential.widen(Estimate(estimate=0.1, ci_low=-0.1, ci_high=0.3, with_p=False),
                             40_000, 40_000)
    (f,) = decide([_field(tight, 12, 28)], margin="0.5", context=CTX)
    assert f.verdict == "drop" and f.reason_data["sequential"]["can_stop"] == "DECIDED"
    assert "always-valid CI" in f.reason_text and "it can stop now" in f.reason_text


def test_reports_say_which_intervals_are_always_valid(watched: dict, fixed: dict) -> None:
    from formfit.renderers import render

    md = render(AnalysisResult.from_dict(watched), "markdown")
    assert "**Watched experiments.** The randomized effects of experiment demo (day" in md
    assert "always-valid intervals" in md
    html = render(AnalysisResult.from_dict(watched), "html")
    assert "always-valid intervals (confidence sequences" in html
    plain = render(AnalysisResult.from_dict(fixed), "markdown")
    assert "Watched experiments" not in plain and "fixed-horizon" in plain


def test_protected_field_reason_names_the_interval_but_never_says_stop() -> None:
    tight = sequential.widen(Estimate(estimate=0.1, ci_low=-0.1, ci_high=0.3, with_p=False),
                             40_000, 40_000)
    f = replace(_field(tight, 12, 28), protected=True)
    (out,) = decide([f], margin="0.5", context=CTX)
    assert out.verdict == "protected"
    assert "always-valid CI" in out.reason_text and "stop" not in out.reason_text


def test_check_says_when_the_evidence_interval_is_always_valid(tmp_path: Path) -> None:
    data = ROOT / "tests" / "data" / "check"
    ev = json.loads((data / "evidence.json").read_text(encoding="utf-8"))
    for f in ev["fields"]:
        if f["field"] == "how_did_you_hear":
            f["drop_effect"]["interval"] = "sequential"
            f["drop_effect"]["sequential"] = {"experiment": "demo", "n": 30000,
                                              "n_star": 60000}
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(ev), encoding="utf-8")
    res = runner.invoke(app, ["check", "--base", str(data / "base.yaml"), "--head",
                              str(data / "remove_droppable.yaml"), "--evidence", str(path),
                              "--as-of", "2025-09-15", "--format", "text"])
    assert res.exit_code == 0, res.output
    assert "95% always-valid CI" in res.stdout
    res = runner.invoke(app, ["check", "--base", str(data / "base.yaml"), "--head",
                              str(data / "remove_droppable.yaml"), "--evidence",
                              str(data / "evidence.json"), "--as-of", "2025-09-15"])
    assert "always-valid" not in res.stdout and "95% CI" in res.stdout


def test_library_option_reaches_the_settings() -> None:
    from formfit.api import make_settings

    s = make_settings(SAMPLE / "submissions.csv", sequential=True)
    assert s.sequential is True and s.to_dict()["sequential"] is True
    assert make_settings(SAMPLE / "submissions.csv").sequential is False


def test_a_watched_field_still_to_test_gets_a_plan_sized_for_watching(fixed: dict,
                                                                     watched: dict) -> None:
    from formfit.evidence import result_from_dict

    seen = 0
    for name, f in _fields(watched).items():
        plan, before = f["test_plan"], _fields(fixed)[name]["test_plan"]
        if plan is None:
            continue
        if f["drop_effect"]["interval"] == "sequential":
            seen += 1
            assert plan["interval"] == "sequential"
            assert plan["n_star"] == f["drop_effect"]["sequential"]["n_star"]
            assert "always-valid" in f["reason"]
            if before is not None:
                assert plan["views_per_arm"] > before["views_per_arm"]
        else:
            assert "interval" not in plan and plan == before
    assert seen, "the sample's demo experiment leaves at least one randomized field to test"
    back = result_from_dict(watched).to_dict()
    assert [f["test_plan"] for f in back["fields"]] == [f["test_plan"] for f in
                                                       watched["fields"]]
