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


# --- HubSpot deals: Record ID is the deal, the lead key is Associated Contact IDs -------------

HS_SUBS = ("Record ID,Email,Company size,Conversion Date,Conversion Page\n"
           "101,a@x.com,1-10,2025-01-01 10:00,https://x.example/demo\n"
           "102,b@x.com,11-50,2025-01-02 10:00,https://x.example/demo\n"
           "103,c@x.com,11-50,2025-01-03 10:00,https://x.example/demo\n")


def _files(tmp: Path, **texts: str) -> dict[str, Path]:
    out = {}
    for name, text in texts.items():
        out[name] = tmp / f"{name}.csv"
        out[name].write_text(text)
    cfg = tmp / "hs.yaml"
    cfg.write_text("constants: {form_id: demo-request}\n")
    out["config"] = cfg
    return out


#: a HubSpot deals export's header (Record ID is the deal's own id)
HS_DEALS = ("Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,"
            "Associated Contact IDs\n")


def _hs_args(f: dict[str, Path]) -> tuple[str, ...]:
    """The hubspot preset on the files :func:`_files` wrote."""
    return ("--preset", "hubspot", "-s", str(f["subs"]), "--outcomes", str(f["deals"]),
            "-c", str(f["config"]))


def _analyze(*args: str) -> tuple[int, dict, str]:
    res = runner.invoke(app, ["analyze", *args, "--as-of", "2025-06-01", "--maturity-days",
                              "30", "--format", "json"])
    return res.exit_code, (json.loads(res.stdout) if res.exit_code == 0 else {}), res.stderr


def _won_lost(data: dict) -> tuple[int, int]:
    """Leads won and lost on the form, as the analysis counted them (all versions)."""
    rows = [r for r in data["models"]["wins"]["cumulative_incidence"] if r["version"] is None]
    return sum(r["won"] for r in rows), sum(r["lost"] for r in rows)


def test_hubspot_deals_join_on_associated_contact_ids(tmp_path: Path) -> None:
    """The bug: Record ID (the deal's id) was taken as the lead key, every deal was
    no_matching_lead and every lead not won."""
    f = _files(tmp_path, subs=HS_SUBS, deals=(
        HS_DEALS +
        "9001,Deal A,Closed Won,1000,2025-01-05,2025-01-20,101\n"
        "9002,Deal B,Closed Lost,,2025-01-06,2025-01-21,102\n"))
    args = _hs_args(f)
    code, data, err = _validate(*args)
    assert code == 0, err
    assert data["inputs"]["outcomes"] == {"rows_read": 2, "rows_used": 2, "excluded": {}}
    assert "UNMATCHED_OUTCOMES" not in {w["code"] for w in data["warnings"]}
    code, data, err = _analyze(*args)
    assert code == 0, err
    assert _won_lost(data) == (1, 1)  # lead 101 won, 102 lost


def test_hubspot_deal_with_several_contacts_wins_each_lead_revenue_once(tmp_path: Path) -> None:
    """`101;102`: both leads count the won deal; its amount is counted once (for 101, who
    submitted first). Every deal row is accounted for: a deal naming no analysed lead is
    no_matching_lead, one naming none at all missing_lead_key."""
    from datetime import date

    from formfit.config import Settings
    from formfit.io import load_inputs
    from formfit.leads import lead_outcomes

    f = _files(tmp_path, subs=HS_SUBS, deals=(
        HS_DEALS +
        "9001,Deal A,Closed Won,1000,2025-01-05,2025-01-20,102; 101\n"
        "9002,Deal B,Closed Lost,,2025-01-06,2025-01-21,103;999\n"
        "9003,Deal C,Closed Won,500,2025-01-06,2025-01-21,998\n"
        "9004,Deal D,Closed Won,700,2025-01-06,2025-01-21,\n"))
    args = _hs_args(f)
    code, data, err = _validate(*args)
    assert code == 0, err
    assert data["inputs"]["outcomes"] == {
        "rows_read": 4, "rows_used": 2,
        "excluded": {"missing_lead_key": 1, "no_matching_lead": 1}}
    shared = {w["code"]: w for w in data["warnings"]}["SHARED_DEALS"]
    assert (shared["rows"], shared["leads"]) == (1, 2)
    code, data, err = _analyze(*args)
    assert code == 0, err
    assert _won_lost(data) == (2, 1)  # 101 and 102 won, 103 lost

    settings = Settings(submissions=f["subs"], outcomes=f["deals"], preset="hubspot",
                        constants=(("form_id", "demo-request"),), maturity_days=30,
                        as_of=date(2025, 6, 1))
    inputs = load_inputs(settings)
    outcomes = lead_outcomes(inputs, settings)
    leads = outcomes.leads.set_index("lead_key")
    assert leads.loc[["101", "102"], "won"].tolist() == [1.0, 1.0]
    assert leads.loc["103", "won"] == 0.0
    assert leads["revenue"].sum() == 1000.0  # not 2,000
    assert leads.loc["101", "revenue"] == 1000.0


def test_hubspot_older_exports_contact_id_and_deal_id(tmp_path: Path) -> None:
    f = _files(tmp_path, subs=HS_SUBS.replace("Record ID", "Contact ID"), deals=(
        "Deal ID,Deal Stage,Amount,Create Date,Close Date,Associated Contact IDs\n"
        "9001,closedwon,1000,2025-01-05,2025-01-20,101\n"
        "9002,closedlost,,2025-01-06,2025-01-21,102\n"))
    args = _hs_args(f)
    code, data, err = _analyze(*args)
    assert code == 0, err
    assert data["inputs"]["outcomes"]["rows_used"] == 2
    assert _won_lost(data) == (1, 1)


def test_hubspot_deals_without_contacts_say_record_id_is_the_deal(tmp_path: Path) -> None:
    """A deals export without its contact associations cannot be joined by Record ID: a
    clear error, never a join of deal ids to contact ids, nor advice to map the deal id."""
    f = _files(tmp_path, subs=HS_SUBS, deals=(
        "Record ID,Deal Name,Deal Stage,Amount\n9001,Deal A,Closed Won,1000\n"
        "102,Deal B,Closed Lost,\n"))
    code, _, err = _validate(*_hs_args(f))
    assert code == 2
    assert "Associated Contact IDs" in err and "deal's own id" in err
    assert "deal_id=lead_id" not in err


# --- Marketo: only Fill Out Form activities, and their Form Fields expanded ------------------

MK_HEADER = ("marketoGUID,leadId,activityDate,activityTypeId,primaryAttributeValueId,"
             "primaryAttributeValue,attributes\n")


def _attributes(data: object) -> str:
    """A CSV cell holding ``data`` as JSON (quotes doubled, as the extract writes them)."""
    return '"' + json.dumps(data).replace('"', '""') + '"'


def test_marketo_keeps_form_fills_and_expands_form_fields(tmp_path: Path) -> None:
    """The bug: a visit (activity type 1) was a submission of 'form' 77, and Company_Size,
    inside attributes, was never analysed."""
    path = tmp_path / "mk.csv"
    path.write_text(MK_HEADER + (
        '1,501,2025-02-13T14:06:20Z,2,1234,Demo Form,"{""Form Fields"":""{\\""Company_Size\\"":'
        '\\""11-50\\""}""}"\n'
        "2,502,2025-02-13T15:06:20Z,1,77,https://x.example/pricing,null\n"))
    code, data, err = _validate("--preset", "marketo", "-s", str(path))
    assert code == 0, err
    assert data["inputs"]["submissions"] == {"rows_read": 2, "rows_used": 1,
                                             "excluded": {"not_a_form_fill": 1}}
    assert [f["form_id"] for f in data["forms"]] == ["1234"]
    assert data["fields"] == ["Company_Size"]


def test_marketo_form_fields_in_every_documented_shape(tmp_path: Path) -> None:
    """The bulk extract's JSON object (Form Fields an object, a JSON string or a PHP-serialised
    array), the REST API's list of {name, value} pairs; the IP address and user agent are never
    fields, nor are hidden form inputs; activity types 1 and 13 are counted, not analysed."""
    ip = {"Client IP Address": "203.0.113.9", "User Agent": "Mozilla/5.0"}
    rows = [
        "1,501,2025-02-13T14:06:20Z,2,1234,Demo,"
        + _attributes({"Form Fields": json.dumps({"Company_Size": "11-50", "Email": "A@x.com",
                                                  "formid": "1234", "Interests": ["a", "b"]}),
                       **ip}),
        "2,502,2025-02-13T15:06:20Z,2,1234,Demo,"
        + _attributes([{"name": "Form Fields", "value": {"company_size": "1-10"}},
                       {"name": "Client IP Address", "value": "198.51.100.7"}]),
        "3,503,2025-02-13T16:06:20Z,2,1234,Demo,"
        + _attributes({"Form Fields": {"Company_Size": "51-200", "Interests": "c"}}),
        # Form Fields as a PHP-serialised array (I): string lengths in UTF-8 bytes
        "6,506,2025-02-13T16:08:20Z,2,1234,Demo,"
        + _attributes({"Form Fields": 'a:2:{s:12:"Company_Size";s:4:"1-10";'
                                      's:9:"Interests";s:5:"caf\u00e9";}'}),
        "4,504,2025-02-13T16:06:20Z,1,77,https://x.example/pricing,null",
        "5,505,2025-02-13T16:07:20Z,13,88,Changed,null",
    ]
    path = tmp_path / "mk.csv"
    path.write_text(MK_HEADER + "\n".join(rows) + "\n")
    code, data, err = _validate("--preset", "marketo", "-s", str(path))
    assert code == 0, err
    assert data["inputs"]["submissions"]["excluded"] == {"not_a_form_fill": 2}
    assert data["inputs"]["submissions"]["rows_used"] == 4
    assert set(data["fields"]) == {"Company_Size", "email", "Interests"}
    assert "203.0.113.9" not in json.dumps(data)


def test_marketo_malformed_attributes_is_an_error_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "mk.csv"
    path.write_text(MK_HEADER
                    + "1,501,2025-02-13T14:06:20Z,2,1234,Demo,"
                    + _attributes({"Form Fields": {"Company_Size": "11-50"}}) + "\n"
                    + '2,502,2025-02-13T15:06:20Z,2,1234,Demo,"{""Form Fields"": {""Company'
                      '_Size"": ""1-10"", ""Client IP Address"": ""203.0.113.9""}"\n')
    code, _, err = _validate("--preset", "marketo", "-s", str(path))
    assert code == 2
    assert "row 3" in err and "attributes is not valid JSON" in err
    assert "203.0.113.9" not in err  # the cell's content is never echoed


def test_marketo_extract_without_form_fills_says_the_preset_left_every_row(
        tmp_path: Path) -> None:
    path = tmp_path / "mk.csv"
    path.write_text(MK_HEADER + "1,501,2025-02-13T14:06:20Z,1,77,https://x.example/,null\n")
    code, _, err = _validate("--preset", "marketo", "-s", str(path))
    assert code == 2
    assert "1 not_a_form_fill" in err and "preset left out every row" in err
