"""`formfit validate` through the real CLI: exit codes, messages that teach, accounting of the
real data sets, and the table and JSON renderings."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from formfit.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
REAL = Path("/work/shared/realdata")
MAVEN = REAL / "maven_crm_sales_opportunities"
LEADS = REAL / "x_education_leads" / "Leads.csv"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="real data sets not present")


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(app, ["validate", *map(str, args)])


def as_json(*args: str | Path) -> dict[str, Any]:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def fails(*args: str | Path) -> str:
    """Run, expect exit 2 with a one-paragraph Error/Hint on stderr and no traceback."""
    result = invoke(*args)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and "\nHint: " in result.stderr
    return " ".join(result.stderr.split())


SUBS = ("--submissions", DATA / "submissions.csv", "--map", "Form ID=form_id")


@pytest.mark.parametrize("args, words", [
    (("--submissions", DATA / "nope.csv"), ["does not exist"]),
    (("--submissions", DATA / "forms.yaml"), ["unknown file type", ".csv, .tsv, .parquet"]),
    (("--submissions", DATA / "empty.csv"), ["is empty"]),
    (("--submissions", DATA / "header_only.csv"), ["no data rows"]),
    (("--submissions", DATA / "no_header.csv"), ["no header row"]),
    (("--submissions", DATA / "missing_form_id.csv"),
     ["missing_form_id.csv", "form_id", "'Form' for form_id", '--map "Form=form_id"']),
    (("--submissions", DATA / "bad_date.csv"), ["row 4", "submitted_at", "'31/02/2025'",
                                                "header is row 1", "YYYY-MM-DD"]),
    ((*SUBS, "--views", DATA / "negative_views.csv"), ["row 3", "negative"]),
    ((*SUBS, "--views", DATA / "non_numeric_views.csv"), ["row 3", "'lots'", "not a number"]),
    ((*SUBS, "--views", DATA / "more_submissions_than_views.csv"),
     ["more submissions than views", "row 3", "4 views, 9 submissions"]),
    ((*SUBS, "--views", DATA / "views_without_segments.csv", "--segment", "device"),
     ["device", "--segment"]),
    ((*SUBS, "--outcomes", DATA / "unknown_outcomes.csv"),
     ["'Closed Won' (2 rows)", "'Pending' (1 row)", "row 3", "stages:"]),
    ((*SUBS, "--outcomes", DATA / "is_won_without_is_closed.csv"),
     ["no is_closed", "all_closed: true"]),
    ((*SUBS, "--outcomes", DATA / "stage_without_map.csv"), ["no stage map", "stages:"]),
    ((*SUBS, "--outcomes", DATA / "bad_amount.csv"), ["row 2", "amount", "not a number"]),
    ((*SUBS, "--forms", DATA / "malformed_forms.yaml"), ["line 5", "not valid YAML"]),
    ((*SUBS, "--forms", DATA / "forms_optional_not_shown.yaml"), ["'demo-a'", "optional"]),
    ((*SUBS, "--forms", DATA / "forms_traffic_over_one.yaml"), ["'demo'", "more than 1"]),
    ((*SUBS, "--forms", DATA / "forms_versions_without_since.yaml"), ["'pricing'", "since"]),
    (("--submissions", DATA / "submissions.csv"), ["form_id", "'Form ID' for form_id"]),
])
def test_bad_input_exits_2_with_a_teaching_message(args: tuple[Any, ...],
                                                   words: list[str]) -> None:
    text = fails(*args)
    for w in words:
        assert w in text, (w, text)


def test_no_personal_data_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text("email,form_id,submitted_at\nann@example.com,a,2025-01-01\n"
                    "bob@example.com,a,yesterday\n", encoding="utf-8")
    text = fails("--submissions", path)
    assert "row 3" in text and "@" not in text


def test_missing_submissions_flag_is_usage_error() -> None:
    result = invoke()
    assert result.exit_code == 2 and "--submissions" in result.stderr


def test_json_is_pure_and_complete() -> None:
    data = as_json(*SUBS, "--views", DATA / "views_rows.csv", "--outcomes",
                   DATA / "outcomes.csv", "--forms", DATA / "forms.yaml")
    assert data["schema_version"] == 1 and data["forms_inferred"] is False
    assert data["inputs"]["submissions"] == {
        "rows_read": 9, "rows_used": 5, "excluded": {
            "duplicate_row": 1, "missing_lead_key": 1, "repeat_submission": 1,
            "unknown_form": 1}}
    assert data["inputs"]["views"]["rows_used"] == 11
    assert data["inputs"]["outcomes"]["rows_used"] == 4
    pricing = next(f for f in data["forms"] if f["form_id"] == "pricing")
    assert [v["since"] for v in pricing["versions"]] == ["2025-01-01", "2025-03-01"]
    demo = next(f for f in data["forms"] if f["form_id"] == "demo-a")
    assert demo["experiment"] == "demo" and demo["traffic"] == 0.5
    assert demo["versions"][0]["optional"] == ["phone"]
    assert "email" in data["fields"]
    assert {w["code"] for w in data["warnings"]} >= {"UNKNOWN_FORM", "COLUMN_NOT_A_FIELD",
                                                      "UNMATCHED_OUTCOMES"}
    assert "@" not in json.dumps(data["warnings"])


def test_table_output_is_plain_and_fits_width() -> None:
    result = invoke(*SUBS, "--views", DATA / "views_daily.csv", "--forms", DATA / "forms.yaml",
                    env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Where every input row went" in out and "repeat_submission" in out
    assert "demo-a" in out and "phone?" in out and "UNKNOWN_FORM" in out
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_render_validation_width_and_json() -> None:
    from formfit.api import validate
    from formfit.renderers.validation import render_validation

    result = validate(str(DATA / "submissions.csv"), column_map={"Form ID": "form_id"})
    narrow = render_validation(result, "table", width=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert json.loads(render_validation(result, "json"))["forms_inferred"] is True


@needs_real
def test_maven_crm_example() -> None:
    data = as_json("--config", ROOT / "examples/maven_crm/config.yaml",
                   "--submissions", MAVEN / "accounts.csv",
                   "--outcomes", MAVEN / "sales_pipeline.csv")
    assert data["inputs"]["submissions"] == {"rows_read": 85, "rows_used": 85, "excluded": {}}
    assert data["inputs"]["outcomes"] == {"rows_read": 8800, "rows_used": 7375,
                                          "excluded": {"missing_lead_key": 1425}}
    assert data["fields"] == ["sector", "year_established", "revenue", "employees",
                              "office_location", "subsidiary_of"]
    assert [f["form_id"] for f in data["forms"]] == ["crm"]
    assert "UNMATCHED_OUTCOMES" not in {w["code"] for w in data["warnings"]}


@needs_real
def test_maven_crm_frames() -> None:
    from formfit.api import load_inputs

    inputs = load_inputs(MAVEN / "accounts.csv", outcomes=MAVEN / "sales_pipeline.csv",
                         config=ROOT / "examples/maven_crm/config.yaml")
    deals = inputs.deals
    assert deals is not None
    assert deals["outcome"].value_counts().to_dict() == {"won": 4238, "lost": 2473, "open": 664}
    assert str(inputs.as_of) == "2017-12-31"
    assert deals["amount"].notna().sum() == 4238 + 2473


@needs_real
def test_x_education_example() -> None:
    data = as_json("--config", ROOT / "examples/x_education/config.yaml",
                   "--submissions", LEADS, "--outcomes", LEADS)
    assert data["inputs"]["submissions"] == {"rows_read": 9240, "rows_used": 9240,
                                             "excluded": {}}
    assert data["inputs"]["outcomes"] == {"rows_read": 9240, "rows_used": 9240, "excluded": {}}
    fields = set(data["fields"])
    assert "is_won" not in fields and "Converted" not in fields
    assert {"Tags", "Lead Quality", "Specialization", "City"} <= fields
    assert not fields & {"Lead Number", "TotalVisits", "Lead Source",
                         "Asymmetrique Activity Score"}
    codes = {w["code"] for w in data["warnings"]}
    assert {"FORMS_INFERRED", "NO_SUBMISSION_DATES"} <= codes
    assert "SETTING_NOT_USED" not in codes
    assert len(data["forms"]) == 5


@needs_real
def test_x_education_wins() -> None:
    from formfit.api import load_inputs

    inputs = load_inputs(LEADS, outcomes=LEADS, config=ROOT / "examples/x_education/config.yaml")
    assert inputs.deals is not None
    assert int((inputs.deals["outcome"] == "won").sum()) == 3561


@needs_real
@pytest.mark.parametrize("readme", ["examples/maven_crm/README.md",
                                    "examples/x_education/README.md"])
def test_readme_commands_run(readme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = (ROOT / readme).read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        argv = shlex.split(block.replace("\\\n", " "))
        assert argv[:2] == ["formfit", "validate"]
        result = CliRunner().invoke(app, argv[1:])
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("views, segment", [
    ("form_id,viewed_at\nf1,2025-01-01\nf1,2025-01-02\n", "form_id"),
    ("form_id,date,views,submissions\nf1,2025-01-01,3,1\n", "date"),
    ("form_id,date,views,submissions\nf1,2025-01-01,3,1\n", "Views"),
    ("form_id,date,views,submissions\nf1,2025-01-01,3,1\n", "submissions"),
])
def test_a_contract_column_is_no_segment(tmp_path: Path, views: str, segment: str) -> None:
    """--segment form_id (or date, views, ...) crashed deep in the view cells (exit 1)."""
    (tmp_path / "subs.csv").write_text("email,form_id,submitted_at\na@x.com,f1,2025-01-01\n")
    (tmp_path / "views.csv").write_text(views)
    err = fails("-s", tmp_path / "subs.csv", "--views", tmp_path / "views.csv",
                "--segment", segment)
    assert f"--segment {segment}" in err and "not a segment" in err


def test_simulate_refuses_a_negative_seed_with_a_usage_error(tmp_path: Path) -> None:
    """numpy's ValueError escaped as a traceback (exit 1)."""
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "w"), "--seed", "-1"])
    assert result.exit_code == 2, result.output
    assert "--seed" in result.output and "Traceback" not in result.output


def test_simulate_names_the_design_flag_when_its_file_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "w"),
                                      "--design", str(tmp_path / "nosuch.yaml")])
    assert result.exit_code == 2, result.output
    assert "--design" in result.stderr and "--forms" not in result.stderr


def test_views_with_no_usable_rows_are_not_called_missing(tmp_path: Path) -> None:
    """Every view of an unknown form: the warning said "No views file"."""
    (tmp_path / "subs.csv").write_text("email,form_id,submitted_at,phone\n"
                                       "a@x.com,f1,2025-01-01,555 0101\n"
                                       "b@x.com,f1,2025-01-02,\n")
    (tmp_path / "views.csv").write_text("form_id,viewed_at\nzz,2025-01-01\nzz,2025-01-02\n")
    (tmp_path / "forms.yaml").write_text("version: 1\nforms:\n  f1: {fields: [email, phone]}\n")
    result = CliRunner().invoke(app, ["analyze", "-s", str(tmp_path / "subs.csv"), "--views",
                                      str(tmp_path / "views.csv"), "-f",
                                      str(tmp_path / "forms.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    warning = next(w for w in json.loads(result.stdout)["warnings"] if w["code"] == "NO_VIEWS")
    assert warning["message"].startswith("The views file has no usable rows")


def test_workbook_with_the_export_on_another_sheet_says_so(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Summary"
    ws.append(["Report", "Q1"])
    ws.append(["total", 5])
    data = wb.create_sheet("Data")
    data.append(["email", "form_id"])
    data.append(["a@x.com", "f1"])
    wb.save(tmp_path / "two_sheets.xlsx")
    err = fails("-s", tmp_path / "two_sheets.xlsx")
    assert "lacks 2 required columns" in err
    assert "reads only the first sheet" in err and "'Data'" in err


def test_simulate_into_a_place_it_cannot_write_is_a_usage_error(tmp_path: Path) -> None:
    """mkdir's FileNotFoundError escaped as a traceback (exit 1)."""
    (tmp_path / "a_file").write_text("x")
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "a_file" / "world")])
    assert result.exit_code == 2, result.output
    assert "cannot write there" in result.stderr and "Traceback" not in result.output


def test_validate_names_views_outside_the_submissions_period(tmp_path: Path) -> None:
    """validate runs the same checks of views against submissions as analyze (no models):
    the sample's submissions cut at 1 May against views to August are named there too."""
    import pandas as pd

    sample = ROOT / "sample_data"
    subs = pd.read_csv(sample / "submissions.csv", dtype=str, keep_default_na=False)
    subs[subs["submitted_at"] < "2025-05-01"].to_csv(tmp_path / "s.csv", index=False)
    args = ["--views", sample / "views.csv", "--outcomes", sample / "outcomes.csv",
            "--forms", sample / "forms.yaml"]
    codes = [w["code"] for w in as_json("--submissions", tmp_path / "s.csv", *args)["warnings"]]
    assert codes.count("VIEWS_OUTSIDE_SUBMISSIONS") == 1
    intact = as_json("--submissions", sample / "submissions.csv", *args)["warnings"]
    assert "VIEWS_OUTSIDE_SUBMISSIONS" not in [w["code"] for w in intact]


def test_validate_counts_read_in_the_singular_for_one(tmp_path: Path) -> None:
    """'1 forms; 1 leads' read as a machine's; one is singular."""
    (tmp_path / "one.csv").write_text("email,form_id,company_size\na@acme.example,f1,10\n",
                                      encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "-s", str(tmp_path / "one.csv")])
    assert res.exit_code == 0, res.output
    assert "2 fields on 1 form; 1 lead will be analysed." in res.stdout
