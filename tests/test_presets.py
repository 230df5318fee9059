"""Vendor exports read as they come (issue 11): HubSpot and Salesforce presets through the real
CLI, report footers that are not rows, metadata columns that are not form fields, US dates, and
a stage-map hint that works when pasted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from typer.testing import CliRunner

from formfit.cli import app
from formfit.io.presets import PRESETS, load_preset

runner = CliRunner()


def _hubspot(tmp: Path, n: int = 60) -> tuple[Path, Path]:
    """A HubSpot form-submissions export (one form, so no form column) and a deals export."""
    rng = np.random.default_rng(11)
    subs = ["Conversion Date,Conversion Page,Email,First Name,Company size,Phone number"]
    deals = ["Email,Deal Stage,Amount,Create Date,Close Date"]
    for i in range(n):
        day = f"2025-{1 + i % 9:02d}-{1 + i % 27:02d} {i % 24:02d}:{i % 60:02d}"
        phone = f"555-{i:04d}" if rng.random() < 0.6 else ""
        size = ["1-10", "11-50", "51-200"][i % 3]
        subs.append(f"{day},https://example.com/demo?utm={i},lead{i}@example.com,Ann{i},"
                    f"{size},{phone}")
        if i % 2 == 0:
            stage = ["closedwon", "closedlost", "Appointment Scheduled"][i % 3]
            deals.append(f"lead{i}@example.com,{stage},{100 * i},{day[:10]},"
                         f"2025-12-0{1 + i % 9}")
    (tmp / "hubspot_subs.csv").write_text("\n".join(subs) + "\n")
    (tmp / "hubspot_deals.csv").write_text("\n".join(deals) + "\n")
    return tmp / "hubspot_subs.csv", tmp / "hubspot_deals.csv"


def _salesforce_report(tmp: Path, n: int = 40) -> Path:
    """An opportunities report CSV: every value quoted, US dates, Won/Closed checkboxes, and
    the footer rows Salesforce appends."""
    rows = ['"Email","Stage","Amount","Created Date","Close Date","Won","Closed"']
    for i in range(n):
        won, closed = ("1", "1") if i % 3 == 0 else (("0", "1") if i % 3 == 1 else ("0", "0"))
        stage = {("1", "1"): "Closed Won", ("0", "1"): "Closed Lost"}.get((won, closed),
                                                                           "Negotiation/Review")
        rows.append(f'"lead{i}@example.com","{stage}","{i * 10}.0","{1 + i % 12}/{1 + i % 28}'
                    f'/2025","12/{1 + i % 28}/2025","{won}","{closed}"')
    rows += ['""', '"Grand Totals (40 records)"', '""',
             '"Confidential Information - Do Not Distribute"',
             '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."']
    path = tmp / "salesforce_opps.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _config(tmp: Path, **data: object) -> Path:
    path = tmp / "formfit.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _validate(*args: str) -> tuple[int, dict, str]:
    res = runner.invoke(app, ["validate", *args, "--format", "json"])
    return res.exit_code, (json.loads(res.stdout) if res.exit_code == 0 else {}), res.stderr


def test_every_preset_loads_and_cites_a_source_for_every_entry() -> None:
    for name in PRESETS:
        preset = load_preset(name)
        assert preset.name == name
        assert preset.columns or preset.ignore
    text = (Path(__file__).resolve().parents[1] / "formfit" / "io" / "presets" /
            "salesforce.yaml").read_text()
    assert text.count("source:") == sum(1 for line in text.splitlines()
                                        if line.strip().startswith("- {"))


def test_hubspot_conversion_date_is_the_submission_date_not_a_field(tmp_path: Path) -> None:
    subs, deals = _hubspot(tmp_path)
    cfg = _config(tmp_path, preset="hubspot", constants={"form_id": "demo"})
    code, data, err = _validate("--submissions", str(subs), "--outcomes", str(deals),
                                "--config", str(cfg))
    assert code == 0, err
    assert "Conversion Date" not in data["fields"] and "Conversion Page" not in data["fields"]
    assert set(data["fields"]) >= {"First Name", "Company size", "Phone number"}
    assert data["inputs"]["outcomes"]["rows_used"] == 30  # closedwon / closedlost / open mapped


def test_hubspot_without_preset_warns_about_date_and_url_columns(tmp_path: Path) -> None:
    subs, _ = _hubspot(tmp_path)
    cfg = _config(tmp_path, constants={"form_id": "demo"})
    res = runner.invoke(app, ["analyze", "--submissions", str(subs), "--config", str(cfg),
                              "--map", "Email=email", "--format", "json"])
    assert res.exit_code == 0, res.stderr
    warnings = {w["code"]: w for w in json.loads(res.stdout)["warnings"]}
    notice = warnings["NOT_A_FORM_FIELD"]
    assert notice["columns"] == ["Conversion Date", "Conversion Page"]
    line = notice["ignore_line"]
    assert line in notice["message"]
    # the line, pasted into the config, takes them out
    cfg.write_text(cfg.read_text() + line + "\n")
    res = runner.invoke(app, ["analyze", "--submissions", str(subs), "--config", str(cfg),
                              "--format", "json"])
    out = json.loads(res.stdout)
    assert "NOT_A_FORM_FIELD" not in {w["code"] for w in out["warnings"]}
    assert "Conversion Date" not in {f["field"] for f in out["fields"]}


def test_salesforce_report_won_closed_us_dates_and_footer(tmp_path: Path) -> None:
    subs, _ = _hubspot(tmp_path, n=40)
    opps = _salesforce_report(tmp_path)
    cfg = _config(tmp_path, constants={"form_id": "demo"},
                  columns={"Conversion Date": "submitted_at"})
    code, data, err = _validate("--submissions", str(subs), "--outcomes", str(opps),
                                "--config", str(cfg), "--preset", "salesforce")
    assert code == 0, err
    acc = data["inputs"]["outcomes"]
    assert acc["rows_read"] == 40  # the 5 footer and blank rows are not rows
    assert acc["rows_used"] == 40


def test_salesforce_without_preset_names_the_missing_outcome(tmp_path: Path) -> None:
    """Before presets, Won/Closed were not recognised; the stage column then needs a map."""
    subs, _ = _hubspot(tmp_path, n=40)
    opps = _salesforce_report(tmp_path)
    cfg = _config(tmp_path, constants={"form_id": "demo"},
                  columns={"Conversion Date": "submitted_at"})
    code, _, err = _validate("--submissions", str(subs), "--outcomes", str(opps),
                             "--config", str(cfg))
    assert code == 2
    assert "stage map" in err


def test_unknown_preset_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", "--submissions", str(tmp_path / "x.csv"),
                              "--preset", "pipedrive"])
    assert res.exit_code == 2
    assert "--preset 'pipedrive' is not a known preset" in res.stderr


def test_marketo_activity_extract(tmp_path: Path) -> None:
    """Fill Out Form activities: leadId, activityDate, the form id; `null` means blank; the
    activity's own columns are not fields."""
    rows = ["marketoGUID,leadId,activityDate,activityTypeId,primaryAttributeValueId,"
            "primaryAttributeValue,campaignId,company_size"]
    for i in range(30):
        size = "null" if i % 3 == 0 else ["1-10", "11-50"][i % 2]
        rows.append(f"g{i},{1000 + i},2025-02-13T14:06:{i:02d}Z,2,{700 + i % 2},Demo form,"
                    f"55,{size}")
    path = tmp_path / "activities.csv"
    path.write_text("\n".join(rows) + "\n")
    code, data, err = _validate("--submissions", str(path), "--preset", "marketo")
    assert code == 0, err
    assert data["fields"] == ["company_size"]
    assert data["inputs"]["submissions"]["rows_used"] == 30


def test_ga4_daily_views_read_event_date(tmp_path: Path) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text("email,form_id,submitted_at,phone\n" + "".join(
        f"p{i}@example.com,contact,2025-01-0{1 + i % 5},{'555' if i % 2 else ''}\n"
        for i in range(20)))
    views = tmp_path / "ga4.csv"
    views.write_text("event_date,form_id,views,submissions,form_name\n" + "".join(
        f"2025010{d},contact,100,4,Contact us\n" for d in range(1, 6)))
    code, data, err = _validate("--submissions", str(subs), "--views", str(views),
                                "--preset", "ga4")
    assert code == 0, err
    assert data["inputs"]["views"]["rows_used"] == 5
