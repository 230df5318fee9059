"""Outcomes with is_won but no is_closed: the stage tells open deals from closed ones (a
Salesforce report's Won checkbox beside its Stage, HubSpot's Is Closed Won beside its Deal
Stage), so open deals are never counted as lost; and a stage map that says two things about
one stage is refused."""

from __future__ import annotations

import json
from pathlib import Path

from test_presets import _won_lost
from typer.testing import CliRunner

from formfit.cli import app

runner = CliRunner()

LEADS = ('"Lead ID","Email","Lead Source","Company Size","Created Date"\n'
         '"00Q1","anna@acme.com","Web","1-10","1/15/2025"\n'
         '"00Q2","zoe@beta.com","Web","11-50","1/16/2025"\n'
         '"00Q3","bob@gamma.com","Partner","51-200","1/17/2025"\n'
         '"00Q4","carl@delta.com","Partner","1-10","1/18/2025"\n')
#: a Salesforce opportunities report with the Won checkbox but no Closed one
OPPS = ('"Opportunity ID","Lead ID","Stage","Amount","Created Date","Close Date","Won"\n'
        '"0061","00Q1","Closed Won","$500,000.00","1/20/2025","3/1/2025","TRUE"\n'
        '"0062","00Q2","Prospecting","","1/21/2025","12/1/2025","FALSE"\n'
        '"0063","00Q3","Closed Lost","$1,000.00","1/22/2025","2/1/2025","FALSE"\n')
SF_ARGS = ("--preset", "salesforce", "--map", "Lead Source=form_id",
           "--map", "Created Date=submitted_at", "--date-format", "%m/%d/%Y")


def _write(tmp: Path, **texts: str) -> dict[str, Path]:
    out = {}
    for name, text in texts.items():
        out[name] = tmp / name
        out[name].write_text(text)
    return out


def _run(command: str, *args: str) -> tuple[int, dict, str]:
    extra = ["--as-of", "2025-06-01", "--maturity-days", "30"] if command == "analyze" else []
    res = runner.invoke(app, [command, *args, *extra, "--format", "json"])
    return res.exit_code, (json.loads(res.stdout) if res.exit_code == 0 else {}), res.stderr


def test_salesforce_won_checkbox_with_stage_keeps_open_deals_open(tmp_path: Path) -> None:
    """The bug: refused with a hint (`all_closed: true`) that would count the open
    Prospecting deal as lost."""
    f = _write(tmp_path, **{"leads.csv": LEADS, "opps.csv": OPPS})
    args = ("-s", str(f["leads.csv"]), "--outcomes", str(f["opps.csv"]), *SF_ARGS)
    code, data, err = _run("validate", *args)
    assert code == 0, err
    assert data["inputs"]["outcomes"] == {"rows_read": 3, "rows_used": 3, "excluded": {}}
    code, data, err = _run("analyze", *args)
    assert code == 0, err
    assert _won_lost(data) == (1, 1)  # 00Q1 won, 00Q3 lost; 00Q2's deal is open, not lost


def test_hubspot_is_closed_won_with_deal_stage(tmp_path: Path) -> None:
    f = _write(tmp_path, **{
        "subs.csv": "Record ID,Email,Company size,Conversion Date\n"
                    "101,a@x.com,1-10,2025-01-02 10:15\n102,b@x.com,11-50,2025-01-03 11:00\n"
                    "103,c@x.com,1-10,2025-01-04 12:00\n",
        "deals.csv": "Record ID,Deal Name,Deal Stage,Is Closed Won,Amount,Create Date,"
                     "Close Date,Associated Contact IDs\n"
                     "9001,A,Closed Won,true,1200.5,2025-01-10 10:00,2025-02-01 10:00,101\n"
                     "9002,B,Appointment Scheduled,false,,2025-01-11 10:00,2026-12-31 10:00,102\n"
                     "9003,C,Closed Lost,false,300,2025-01-12 10:00,2025-02-10 10:00,103\n",
        "hs.yaml": "constants: {form_id: demo-request}\n"})
    args = ("--preset", "hubspot", "-s", str(f["subs.csv"]), "--outcomes", str(f["deals.csv"]),
            "-c", str(f["hs.yaml"]))
    code, data, err = _run("analyze", *args)
    assert code == 0, err
    assert _won_lost(data) == (1, 1)


def test_stage_and_is_won_that_disagree_are_refused_with_the_row(tmp_path: Path) -> None:
    opps = OPPS.replace('"Prospecting","","1/21/2025","12/1/2025","FALSE"',
                        '"Prospecting","","1/21/2025","12/1/2025","TRUE"')
    f = _write(tmp_path, **{"leads.csv": LEADS, "opps.csv": opps})
    code, _, err = _run("validate", "-s", str(f["leads.csv"]), "--outcomes",
                        str(f["opps.csv"]), *SF_ARGS)
    assert code == 2
    assert ("outcomes file opps.csv: stage and is_won disagree in 1 row; the first is row 3 "
            "(rows counted as in a spreadsheet: the header is row 1), whose stage "
            "'Prospecting' the stage map reads as open while its is_won is true.") in err
    assert "Correct that stage's line under `stages:`" in err
    assert "Traceback" not in err


def test_is_won_without_is_closed_or_stage_map_warns_that_all_closed_counts_open_as_lost(
        tmp_path: Path) -> None:
    f = _write(tmp_path, **{
        "subs.csv": "email,form_id,submitted_at\na@x.com,web,2025-01-02\n",
        "deals.csv": "email,stage,is_won\na@x.com,Pending,false\n"})
    code, _, err = _run("validate", "-s", str(f["subs.csv"]), "--outcomes", str(f["deals.csv"]))
    assert code == 2
    assert ("outcomes file deals.csv has is_won but no is_closed column and no stage map, so "
            "open deals cannot be told from lost ones.") in err
    flat = " ".join(err.split())
    assert "under `stages:` in the config file (then the stage tells open deals" in flat
    assert ("only if no deal in the export is open (every one won or lost) say so with "
            "`outcomes: {all_closed: true}`") in flat
    assert "all_closed would count them as lost" in flat


def _stage_files(tmp: Path, stages: str) -> tuple[str, ...]:
    f = _write(tmp, **{"subs.csv": "email,form_id,submitted_at\na@x.com,web,2025-01-02\n"
                                   "b@x.com,web,2025-01-03\n",
                       "deals.csv": "email,stage\na@x.com,Closed Won\nb@x.com,Negotiation\n",
                       "cfg.yaml": "stages:\n" + stages})
    return ("-s", str(f["subs.csv"]), "--outcomes", str(f["deals.csv"]), "-c", str(f["cfg.yaml"]))


def test_stage_map_lines_differing_only_in_case_with_different_outcomes_are_refused(
        tmp_path: Path) -> None:
    """The bug: the last line silently won, so the won deal was counted lost."""
    args = _stage_files(tmp_path, "  Closed Won: won\n  closed won: lost\n  Negotiation: open\n")
    code, _, err = _run("validate", *args)
    assert code == 2
    assert ("config file cfg.yaml: `stages:` names one stage twice with different outcomes, "
            "'Closed Won': won and 'closed won': lost; stages are matched ignoring case and "
            "surrounding spaces, so formfit cannot tell which is meant.") in err
    assert "Keep one line for that stage under `stages:` in cfg.yaml" in " ".join(err.split())


def test_stage_map_lines_differing_only_in_case_with_one_outcome_are_accepted(
        tmp_path: Path) -> None:
    args = _stage_files(tmp_path, "  Closed Won: won\n  ' closed won': WON\n"
                                  "  Negotiation: open\n")
    code, data, err = _run("validate", *args)
    assert code == 0, err
    assert data["settings"]["stage_map"] == [["closed won", "won"], ["negotiation", "open"]]
