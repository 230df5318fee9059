"""The whole job through the real CLI on the bundled sample data and on real exports.

The sample world was made by `formfit simulate --seed 20251 --views 50000`; its truth.json holds
the planted effects, so the verdicts here are checked against known answers, not against
whatever formfit said last time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from formfit.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
REAL = ROOT.parent / "shared" / "realdata"
runner = CliRunner()


def _analyze(*extra: str) -> dict:
    args = ["analyze", "--submissions", str(SAMPLE / "submissions.csv"),
            "--views", str(SAMPLE / "views.csv"), "--outcomes", str(SAMPLE / "outcomes.csv"),
            "--forms", str(SAMPLE / "forms.yaml"), "--segment", "device", "--segment",
            "channel", "--format", "json", *extra]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def sample_result() -> dict:
    return _analyze()


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text())


def _by_field(result: dict) -> dict[str, dict]:
    return {f["field"]: f for f in result["fields"]}


def test_verdicts_match_planted_truth(sample_result: dict, truth: dict) -> None:
    """phone has routing value (removing it costs deals): keep. how_did_you_hear is noise that
    only costs submissions: drop. email and consent are protected. company_size and budget were
    never removed but their values predict winning: keep."""
    f = _by_field(sample_result)
    assert f["phone"]["verdict"] == "keep"
    assert f["how_did_you_hear"]["verdict"] == "drop"
    assert f["email"]["verdict"] == "protected"
    assert f["consent"]["verdict"] == "protected"
    assert f["company_size"]["verdict"] == "keep"
    assert f["budget"]["verdict"] == "keep"
    # the aliased pair gets one verdict
    assert f["job_title"]["verdict"] == f["seniority"]["verdict"]
    # never drop on 'none' evidence
    assert all(x["verdict"] != "drop" for x in f.values()
               if x["drop_effect"]["evidence"] == "none")


def test_evidence_labels_match_truth(sample_result: dict, truth: dict) -> None:
    f = _by_field(sample_result)
    planted = {t["field"]: t for t in truth["fields"]}
    for name, t in planted.items():
        assert f[name]["drop_effect"]["evidence"] == t["evidence"], name
        if t["evidence"] == "aliased":
            assert set(f[name]["drop_effect"]["aliased_with"]) == set(t["aliased_with"])


def test_randomized_intervals_cover_planted_effects_on_sample(sample_result: dict,
                                                              truth: dict) -> None:
    """Wins per 1,000 views (the number to decide on) against the *eventual* truth.

    One world, so an occasional miss is expected (5%). In this draw phone's wins land low: the
    simple difference of the mature demo arms is -24.6 (95% CI -32.8 to -16.3, sample_data
    README) against a true -15.28, so no honest interval centred on these data holds it by
    much; phone is held to 2.5 standard errors, how_did_you_hear to its interval."""
    f = _by_field(sample_result)
    planted = {t["field"]: t for t in truth["fields"]}
    wins = sample_result["models"]["wins"]
    assert wins["horizon_days"] == truth["win_timing"]["within_h_days"] == 84
    assert wins["timing"]["share_of_wins_by_h"] == pytest.approx(
        truth["win_timing"]["within_h_share"], abs=0.01)
    est = f["how_did_you_hear"]["drop_effect"]["wins_per_1k_views"]
    true = planted["how_did_you_hear"]["wins_per_1k_views"]
    assert est["ci_low"] <= true <= est["ci_high"], (est, true)
    est = f["phone"]["drop_effect"]["wins_per_1k_views"]
    se = (est["ci_high"] - est["ci_low"]) / (2 * 1.959964)
    assert abs(est["estimate"] - planted["phone"]["wins_per_1k_views"]) < 2.5 * se
    assert -32.8 < est["estimate"] < -16.3


def test_none_evidence_has_null_numbers(sample_result: dict) -> None:
    for f in sample_result["fields"]:
        de = f["drop_effect"]
        if de["evidence"] == "none":
            assert de["conversion_pp"]["estimate"] is None
            assert de["wins_per_1k_views"]["estimate"] is None


def test_json_is_byte_identical_across_runs() -> None:
    args = ["demo", "--format", "json"]
    a, b = runner.invoke(app, args), runner.invoke(app, args)
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout
    assert "NaN" not in a.stdout and "Infinity" not in a.stdout


def test_accounting_identity_in_result(sample_result: dict) -> None:
    for role, acc in sample_result["inputs"].items():
        assert acc["rows_read"] == acc["rows_used"] + sum(acc["excluded"].values()), role


def _personal_strings() -> list[str]:
    subs = pd.read_csv(SAMPLE / "submissions.csv", dtype=str)
    out: set[str] = set()
    for col in ("email",):
        out |= {v.strip() for v in subs[col].dropna()} | {v.strip().lower()
                                                          for v in subs[col].dropna()}
    out |= {v.strip() for v in subs["phone"].dropna() if sum(c.isdigit() for c in v) >= 7}
    names = subs[["first_name", "last_name"]].dropna()
    out |= {f"{a.strip()} {b.strip()}" for a, b in names.itertuples(index=False)}
    return sorted(out)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html"])
def test_no_personal_data_in_any_format(fmt: str) -> None:
    res = runner.invoke(app, ["demo", "--format", fmt])
    assert res.exit_code == 0
    text = res.stdout
    leaks = [s for s in _personal_strings() if s in text]
    assert leaks == []
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "an e-mail address leaked"


def test_demo_ends_with_a_hint() -> None:
    res = runner.invoke(app, ["demo"])
    assert res.exit_code == 0
    assert "formfit demo --out report.html" in res.stderr


def test_check_gate_on_sample(tmp_path: Path) -> None:
    """Removing phone (keep) fails the build; removing how_did_you_hear (drop) passes;
    removing email (protected) fails."""
    ev = tmp_path / "result.json"
    ev.write_text(json.dumps(_analyze()))
    base = SAMPLE / "forms.yaml"
    text = base.read_text()

    def head(edit: str, name: str) -> Path:
        p = tmp_path / name
        p.write_text(edit)
        return p

    no_phone = head(text.replace("last_name, phone, company_size, how_did_you_hear",
                                 "last_name, company_size, how_did_you_hear"), "a.yaml")
    no_hdyh = head(text.replace("phone, company_size, how_did_you_hear, consent",
                                "phone, company_size, consent"), "b.yaml")
    no_email = head(text.replace("newsletter:\n    fields: [email, consent]",
                                 "newsletter:\n    fields: [consent]"), "c.yaml")
    for path, code in ((no_phone, 1), (no_hdyh, 0), (no_email, 1)):
        res = runner.invoke(app, ["check", "--base", str(base), "--head", str(path),
                                  "--evidence", str(ev)])
        assert res.exit_code == code, (path.name, res.output)
    res = runner.invoke(app, ["check", "--base", str(base), "--head", str(no_phone),
                              "--evidence", str(ev), "--format", "github"])
    assert res.stdout.startswith("::error")


@pytest.mark.skipif(not (REAL / "x_education_leads").exists(), reason="real data not present")
def test_x_education_analyze() -> None:
    """No views and no dates: conversion effects are none; dropdowns carry predictive value;
    'Select' is junk; post-submission columns are flagged as likely leakage."""
    leads = str(REAL / "x_education_leads" / "Leads.csv")
    res = runner.invoke(app, ["analyze", "--config", str(ROOT / "examples/x_education/config.yaml"),
                              "--submissions", leads, "--outcomes", leads, "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    f = _by_field(out)
    assert all(x["drop_effect"]["conversion_pp"]["estimate"] is None for x in f.values())
    assert f["Specialization"]["junk_rate"] > 0.15  # 'Select' left on the dropdown
    assert f["What is your current occupation"]["predictive"]["q_value"] < 0.01
    for leaky in ("Tags", "Lead Quality"):
        assert "POSSIBLE_LEAKAGE" in f[leaky]["predictive"]["codes"], leaky
        # leakage is not a reason to keep a form question
        assert f[leaky]["verdict"] == "test", leaky
        assert "leakage" in f[leaky]["reason"]
    codes = {w["code"] for w in out["warnings"]}
    assert "POSSIBLE_LEAKAGE" in codes


def test_segment_columns_analysed_as_fields_get_a_hint() -> None:
    """Without --segment, device and channel (in views and submissions alike) would be read as
    form fields; the result says so and how to fix it."""
    res = runner.invoke(app, ["validate", "--submissions", str(SAMPLE / "submissions.csv"),
                              "--views", str(SAMPLE / "views.csv"), "--format", "json"])
    assert res.exit_code == 0
    warn = [w for w in json.loads(res.stdout)["warnings"] if w["code"] == "LIKELY_SEGMENT"]
    assert warn and warn[0]["columns"] == ["channel", "device"]
    assert "--segment channel --segment device" in warn[0]["message"]
    res = runner.invoke(app, ["validate", "--submissions", str(SAMPLE / "submissions.csv"),
                              "--views", str(SAMPLE / "views.csv"), "--segment", "device",
                              "--segment", "channel", "--format", "json"])
    assert not [w for w in json.loads(res.stdout)["warnings"] if w["code"] == "LIKELY_SEGMENT"]


def test_blank_stage_can_be_mapped_as_the_hint_says(tmp_path: Path) -> None:
    """A blank CRM stage is refused with a hint to map '(blank)'; following the hint works."""
    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id,size\nA,web,1-10\nB,web,11-50\nC,web,1-10\n")
    deals = tmp_path / "deals.csv"
    deals.write_text("lead_id,stage\nA,Closed Won\nB,\nC,Closed Lost\n")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("stages:\n  Closed Won: won\n  Closed Lost: lost\n")
    args = ["validate", "--submissions", str(subs), "--outcomes", str(deals), "--config",
            str(cfg)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "(blank): open" in res.stderr and "row 3" in res.stderr
    cfg.write_text("stages:\n  Closed Won: won\n  Closed Lost: lost\n  (blank): open\n")
    res = runner.invoke(app, args + ["--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["inputs"]["outcomes"]["rows_used"] == 3


def test_a_form_whose_submissions_went_missing_is_named(sample_result: dict,
                                                        tmp_path: Path) -> None:
    """The sample's views with one experiment variant's submissions gone (a submit event that
    stopped firing): the views still count, so the conversion model would read the zeros as
    a cost of that variant's fields. The run says so; the intact sample raises nothing."""
    assert not [w for w in sample_result["warnings"]
                if w["code"] in ("NO_SUBMISSIONS_TRACKED", "VIEWS_OUTSIDE_SUBMISSIONS")]
    subs = pd.read_csv(SAMPLE / "submissions.csv", dtype=str, keep_default_na=False)
    gone = "demo-b"
    assert (subs["form_id"] == gone).sum() > 100
    subs[subs["form_id"] != gone].to_csv(tmp_path / "s.csv", index=False)
    res = runner.invoke(app, [
        "analyze", "--submissions", str(tmp_path / "s.csv"), "--views", str(SAMPLE / "views.csv"),
        "--outcomes", str(SAMPLE / "outcomes.csv"), "--forms", str(SAMPLE / "forms.yaml"),
        "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    (w,) = [w for w in json.loads(res.stdout)["warnings"] if w["code"] == "NO_SUBMISSIONS_TRACKED"]
    assert w["form_id"] == gone and w["version"] is None and w["views"] > 1000
    assert w["message"].startswith(f"Form {gone} had {w['views']:,} views but no submission")


def test_views_exported_past_the_submissions_are_named(tmp_path: Path) -> None:
    """Submissions exported up to April, views up to August: the four months of views without
    a submission are named once, as an export window, not as a form that stopped tracking
    (pricing's version from 1 May has views only in those months)."""
    subs = pd.read_csv(SAMPLE / "submissions.csv", dtype=str, keep_default_na=False)
    subs[subs["submitted_at"] < "2025-05-01"].to_csv(tmp_path / "s.csv", index=False)
    res = runner.invoke(app, [
        "analyze", "--submissions", str(tmp_path / "s.csv"), "--views", str(SAMPLE / "views.csv"),
        "--outcomes", str(SAMPLE / "outcomes.csv"), "--forms", str(SAMPLE / "forms.yaml"),
        "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.stdout)["warnings"]
    (w,) = [w for w in warnings if w["code"] == "VIEWS_OUTSIDE_SUBMISSIONS"]
    assert w["side"] == "after" and w["first_day"] == "2025-05-01" and w["views"] > 20_000
    assert "after the last submission (2025-04-30)" in w["message"]
    assert not [w for w in warnings if w["code"] == "NO_SUBMISSIONS_TRACKED"]


def test_null_codes_name_what_is_missing() -> None:
    """Without views, revenue per 1,000 views is null for want of views, not of amounts (the
    deals carry amounts); with deals but every lead younger than their maturity, the predictive
    measures say no lead could be judged yet, not that outcomes are missing."""
    res = runner.invoke(app, ["analyze", "--submissions", str(SAMPLE / "submissions.csv"),
                              "--outcomes", str(SAMPLE / "outcomes.csv"), "--forms",
                              str(SAMPLE / "forms.yaml"), "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    fields = {f["field"]: f for f in json.loads(res.stdout)["fields"]}
    assert fields["phone"]["drop_effect"]["revenue_per_1k_views"]["code"] == "NO_VIEWS"
    res = runner.invoke(app, ["analyze", "--submissions", str(SAMPLE / "submissions.csv"),
                              "--outcomes", str(SAMPLE / "outcomes.csv"), "--forms",
                              str(SAMPLE / "forms.yaml"), "--format", "json", "-q",
                              "--as-of", "2024-06-01"])
    assert res.exit_code == 0, res.output
    fields = {f["field"]: f for f in json.loads(res.stdout)["fields"]}
    assert "NO_JUDGED_LEADS" in fields["company_size"]["predictive"]["codes"]
