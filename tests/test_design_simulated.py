"""Design -> simulate --design -> analyze through the real CLI: analyze recovers every designed
field's main effect (randomized evidence, its 95% interval holding the planted truth)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from formfit.cli import app

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "sample_result.json.golden"


def test_analyze_recovers_each_main_effect_of_a_simulated_design(tmp_path: Path) -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    evidence = tmp_path / "r.json"
    evidence.write_text(text[text.index("{"):], encoding="utf-8")
    run = CliRunner()
    res = run.invoke(app, ["design", "--evidence", str(evidence), "--fields",
                           "first_name,timeline,message", "--weeks", "4",
                           "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    design = json.loads((tmp_path / "d" / "design.json").read_text(encoding="utf-8"))
    assert design["design"]["resolution"] == "III" and design["design"]["runs"] == 4
    sim = tmp_path / "sim"
    res = run.invoke(app, ["simulate", "--out", str(sim), "--design",
                           str(tmp_path / "d" / "forms.yaml"), "--seed", "3",
                           "--views", "120000"])
    assert res.exit_code == 0, res.output
    res = run.invoke(app, ["analyze", "-s", str(sim / "submissions.csv"), "--views",
                           str(sim / "views_daily.csv"), "--outcomes",
                           str(sim / "outcomes.csv"), "-f", str(sim / "forms.yaml"),
                           "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    truth = {f["field"]: f for f in json.loads((sim / "truth.json").read_text())["fields"]}
    assert set(truth) == {"first_name", "timeline", "message"}
    for f in result["fields"]:
        if f["field"] not in truth:
            continue
        de = f["drop_effect"]
        assert de["evidence"] == "randomized", f["field"]
        for key in ("wins_per_1k_views", "conversion_pp"):
            est, true = de[key], truth[f["field"]][key]
            assert est["ci_low"] <= true <= est["ci_high"], (f["field"], key, est, true)


def test_wins_outside_the_window_are_named_in_reasons_and_design(tmp_path: Path) -> None:
    """A 1-day maturity window counts no win of this world (its deals close after weeks):
    the reasons must not say there are no won deals at all, and design must not blame the
    traffic for a runtime it could not size."""
    run = CliRunner()
    sim = tmp_path / "sim"
    res = run.invoke(app, ["simulate", "--out", str(sim), "--seed", "3", "--views", "30000"])
    assert res.exit_code == 0, res.output
    evidence = tmp_path / "r.json"
    res = run.invoke(app, ["analyze", "-s", str(sim / "submissions.csv"), "--views",
                           str(sim / "views.csv"), "--outcomes", str(sim / "outcomes.csv"),
                           "-f", str(sim / "forms.yaml"), "--maturity-days", "1", "-q",
                           "-o", str(evidence)])
    assert res.exit_code == 0, res.output
    result = json.loads(evidence.read_text(encoding="utf-8"))
    outcomes = (sim / "outcomes.csv").read_text(encoding="utf-8")
    assert ",won," in outcomes  # the export holds wins: they closed after the window
    unsized = [f["reason"] for f in result["fields"] if "no test can be sized" in f["reason"]]
    assert unsized
    for reason in unsized:
        assert "no won deals yet" not in reason
        assert "no deals won within 1 day of submission" in reason
    res = run.invoke(app, ["design", "--evidence", str(evidence), "--fields",
                           "phone,budget,timeline"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())  # the text wraps at the terminal's width
    assert "no margin-sized test fits in a year" not in text
    assert "no won deals to size a test with, so set --weeks" in text
    assert "the evidence has no won deals within the maturity window" in text
    assert "then the 1-day maturity window" in text
