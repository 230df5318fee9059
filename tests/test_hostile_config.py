"""Hostile or broken forms and config files get exit 2 and a clear message, never a
traceback, a hang or a memory blow-up (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app

SUBS = "lead_id,form_id,phone\n1,a,555\n2,a,\n"

BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)])


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(tmp_path / "subs.csv"),
                                   *args])
    assert "Traceback" not in res.output
    return res.exit_code, res.stderr


def test_alias_bomb_in_a_forms_file_is_refused(tmp_path: Path) -> None:
    forms = tmp_path / "forms.yaml"
    forms.write_text(BOMB + "\nfields:\n  consent: {protected: *a9}\nforms:\n  a:\n"
                     "    fields: [phone]\n", encoding="utf-8")
    code, err = run(tmp_path, "--forms", str(forms))
    assert code == 2 and "alias" in err and "forms.yaml" in err


def test_alias_bomb_in_a_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(BOMB + "\nconstants: {form_id: *a9}\n", encoding="utf-8")
    code, err = run(tmp_path, "--config", str(config))
    assert code == 2 and "alias" in err and "config.yaml" in err


@pytest.mark.parametrize("name", ["forms.json", "forms.yaml"])
def test_deeply_nested_forms_file_is_refused(tmp_path: Path, name: str) -> None:
    forms = tmp_path / name
    forms.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    code, err = run(tmp_path, "--forms", str(forms))
    assert code == 2 and name in err


def test_cp1252_config_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes("columns:\n  T\xe9l\xe9phone: phone\n".encode("cp1252"))
    code, err = run(tmp_path, "--config", str(config))
    assert code == 0, err


@pytest.mark.parametrize(("line", "words"), [
    ("maturity_days: abc", "maturity_days"),
    ("segments: 5", "segments"),
    ("ignore: {a: b}", "ignore"),
])
def test_config_values_of_the_wrong_type_are_named(tmp_path: Path, line: str,
                                                   words: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(line + "\n", encoding="utf-8")
    code, err = run(tmp_path, "--config", str(config))
    assert code == 2 and words in err and "config.yaml" in err


EMAIL = "susan18922@acme.example"
PHONE = "(206) 555-0109"


def test_personal_values_in_bad_cells_are_named_by_kind(tmp_path: Path) -> None:
    """An email shifted into submitted_at, a phone into a CRM stage, an email into form_id:
    the messages name the row, the column and the kind of value, never the value."""
    subs = tmp_path / "subs.csv"
    subs.write_text(f"lead_id,form_id,submitted_at\n1,a,2025-01-01\n2,a,{EMAIL}\n",
                    encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs)])
    assert res.exit_code == 2 and "row 3" in res.stderr
    assert EMAIL not in res.output and "an email address" in res.stderr

    subs.write_text(f"lead_id,form_id\n1,a\n2,{EMAIL}\n", encoding="utf-8")
    forms = tmp_path / "forms.yaml"
    forms.write_text("forms:\n  a:\n    fields: [phone]\n", encoding="utf-8")
    deals = tmp_path / "deals.csv"
    deals.write_text(f"lead_id,stage\n1,Closed Won\n1,{PHONE}\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--forms",
                                   str(forms), "--outcomes", str(deals), "--format", "json"])
    assert res.exit_code == 2, res.output
    assert PHONE not in res.output and EMAIL not in res.output
    assert "a phone number" in res.stderr and "Closed Won" in res.stderr


def test_personal_values_shifted_into_form_id_are_not_listed(tmp_path: Path) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(f"lead_id,form_id\n1,a\n2,{EMAIL}\n", encoding="utf-8")
    forms = tmp_path / "forms.yaml"
    forms.write_text("forms:\n  a:\n    fields: [phone]\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--forms",
                                   str(forms), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert EMAIL not in res.output
    assert "<an email address>" in res.stdout and "UNKNOWN_FORM" in res.stdout


@pytest.mark.parametrize("role", ["submissions", "views"])
def test_placeholder_dates_outside_the_years_read_are_named(tmp_path: Path, role: str) -> None:
    """9999-12-31 and 0001-01-01 overflowed pandas' nanosecond range (a traceback)."""
    subs = tmp_path / "subs.csv"
    views = tmp_path / "views.csv"
    bad = "9999-12-31" if role == "submissions" else "2025-01-01"
    subs.write_text(f"lead_id,form_id,submitted_at\n1,a,2025-01-01\n2,a,{bad}\n",
                    encoding="utf-8")
    views.write_text("form_id,viewed_at,session_id\na,2025-01-01 10:00,x\n"
                     "a,0001-01-01 10:00,y\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--submissions", str(subs), "--views",
                                   str(views)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "outside the years" in res.stderr and "row 3" in res.stderr
    assert f"{role} file" in res.stderr


def test_out_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(SUBS, encoding="utf-8")
    (tmp_path / "dir.json").mkdir()
    for out in (tmp_path / "dir.json", subs / "under-a-file.json"):
        res = CliRunner().invoke(app, ["analyze", "--submissions", str(subs), "--out",
                                       str(out)])
        assert res.exit_code == 2 and "Traceback" not in res.output
        assert "cannot write --out" in res.stderr


def test_a_key_written_twice_in_the_forms_file_is_named(tmp_path: Path) -> None:
    forms = tmp_path / "forms.yaml"
    forms.write_text("forms:\n  a:\n    fields: [phone]\n  a:\n    fields: [email]\n",
                     encoding="utf-8")
    code, err = run(tmp_path, "--forms", str(forms))
    assert code == 2 and "'a' appears twice" in err and "lines 2 and 4" in err


def test_an_experiment_with_a_single_variant_is_named(tmp_path: Path) -> None:
    forms = tmp_path / "forms.yaml"
    forms.write_text("forms:\n  a:\n    experiment: demo\n    fields: [phone]\n",
                     encoding="utf-8")
    code, err = run(tmp_path, "--forms", str(forms))
    assert code == 2 and "experiment 'demo'" in err and "single variant (a)" in err


def test_input_paths_in_the_config_file_are_used(tmp_path: Path) -> None:
    """The hint for a missing --submissions recommends `submissions:` in the config; it was
    accepted and ignored. Paths are relative to the config file; flags win."""
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "subs.csv").write_text(SUBS, encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("submissions: exports/subs.csv\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "--config", str(config), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"rows_read": 2' in res.stdout


def test_one_far_future_row_does_not_move_as_of(tmp_path: Path) -> None:
    """One submission dated 2031 among 2025's moved as_of (and every lead's age) to 2031; an
    open deal's forecast close date (HubSpot fills one in) moved it too."""
    from formfit.config import Settings
    from formfit.io import load_inputs

    rows = [f"{i},a,2025-03-{1 + i % 28:02d}" for i in range(200)] + ["999,a,2031-01-01"]
    subs = tmp_path / "subs.csv"
    subs.write_text("lead_id,form_id,submitted_at\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    deals = tmp_path / "deals.csv"
    deals.write_text("lead_id,outcome,created_at,closed_at\n1,open,2025-03-02,2026-06-30\n"
                     "2,won,2025-03-03,2025-03-20\n", encoding="utf-8")
    inputs = load_inputs(Settings(submissions=subs, outcomes=deals))
    assert str(inputs.as_of) == "2025-03-28"
    (late,) = [n for n in inputs.notices if n.code == "LATE_DATE_OUTLIER"]
    assert late.details["rows"] == 1 and late.details["latest"] == "2031-01-01"
