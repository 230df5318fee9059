"""Column maps that would make two columns one, or one column two things: refused with the
columns' own names and positions, never a silent choice (through the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from formfit import api
from formfit.cli import app
from formfit.errors import UsageError

runner = CliRunner()

#: the tester's file: company_size is column 5, E-mail column 2
M2 = ("Prospect ID,E-mail,Lead Origin,Date,company_size\n"
      "P1,p1@acme.com,web,2025-01-01,10\nP2,p2@acme.com,web,2025-01-02,20\n")
KEYS = ("--map", "Prospect ID=lead_id", "--map", "Lead Origin=form_id")


def _validate(tmp: Path, *args: str, config: str | None = None) -> tuple[int, str, str]:
    subs = tmp / "m2.csv"
    subs.write_text(M2)
    extra: list[str] = []
    if config is not None:
        (tmp / "cfg.yaml").write_text(config)
        extra = ["-c", str(tmp / "cfg.yaml")]
    res = runner.invoke(app, ["validate", "-s", str(subs), *args, *extra, "--format", "json"])
    return res.exit_code, res.stdout, res.stderr


def test_map_onto_a_name_differing_only_in_case_is_refused(tmp_path: Path) -> None:
    """The bug: two fields, Company_Size and company_size, differing only in case."""
    code, _, err = _validate(tmp_path, "--map", "E-mail=Company_Size", *KEYS)
    assert code == 2
    assert ("submissions file m2.csv: several columns end up with one name: 'E-mail' (column 2) "
            "and 'company_size' (column 5) all become 'Company_Size' / 'company_size' (names "
            "are matched ignoring case).") in err
    assert "Map only one of them to that name" in err


def test_map_onto_an_existing_field_names_both_columns(tmp_path: Path) -> None:
    """The bug: "column 2 ('company_size') and column 2 ('company_size')"."""
    code, _, err = _validate(tmp_path, "--map", "E-mail=company_size", *KEYS)
    assert code == 2
    assert ("submissions file m2.csv: several columns end up with one name: 'E-mail' (column 2) "
            "and 'company_size' (column 5) all become 'company_size'.") in err


def test_one_column_mapped_twice_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    """The bug: the last --map silently won."""
    code, _, err = _validate(tmp_path, "--map", "Prospect ID=lead_id", "--map",
                             "prospect id =email", "--map", "Lead Origin=form_id")
    assert code == 2
    assert ('--map "Prospect ID=lead_id" and --map "prospect id=email" map one column twice '
            "(names are matched ignoring case and surrounding spaces), so formfit cannot tell "
            "which name is meant.") in err


def test_one_column_mapped_twice_in_the_config_is_refused(tmp_path: Path) -> None:
    code, _, err = _validate(tmp_path, config="columns:\n  Prospect ID: lead_id\n"
                                              "  prospect id: email\n  Lead Origin: form_id\n")
    assert code == 2
    assert ("config file cfg.yaml: `columns:` maps one column twice, 'Prospect ID': lead_id "
            "and 'prospect id': email;") in err


def test_the_same_rename_twice_and_a_flag_over_the_config_are_accepted(tmp_path: Path) -> None:
    """--map after `columns:` wins (documented); one rename said twice is harmless."""
    code, out, err = _validate(tmp_path, "--map", "Prospect ID=lead_id", "--map",
                               "PROSPECT ID=lead_id", "--map", "Lead Origin=form_id",
                               config="columns:\n  Prospect ID: email\n")
    assert code == 0, err
    assert json.loads(out)["inputs"]["submissions"]["rows_used"] == 2


def test_library_columns_mapping_one_column_twice(tmp_path: Path) -> None:
    (tmp_path / "m2.csv").write_text(M2)
    try:
        api.validate(tmp_path / "m2.csv", columns={"Prospect ID": "lead_id",
                                                   "prospect id": "email"})
    except UsageError as err:
        assert "map one column twice" in str(err)
    else:
        raise AssertionError("a column mapped twice was accepted")
