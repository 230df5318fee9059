"""What YAML 1.1 does to a hand-written forms or config file is refused with exit 2, the file,
the line and the fix: a date that is none (``since: 2025-02-30`` crashed with a ValueError and
exit 1, which `formfit check` reads as "breaks the policy"), and a form id or field name YAML
reads as something else (``012`` is 10, ``12:30`` is 750, ``on`` is true, ``null`` is none).
Numbers and yes/no values where the schema wants them, and names YAML keeps as written (form
id ``1234``), are read as before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.errors import InputError
from formfit.io.forms import load_forms_data, read_forms_file
from formfit.safe_yaml import ANY, KEYS, YAMLValueError, date_problem, load_yaml

SUBS = ("email,form_id,submitted_at,phone\na@x.com,f1,2025-01-01,555 0101\n"
        "b@x.com,f1,2025-01-02,\n")
CHECK = Path(__file__).resolve().parent / "data" / "check"


def _validate(tmp_path: Path, option: str, name: str, text: str) -> tuple[int, str]:
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "-s", str(tmp_path / "subs.csv"), option,
                                   str(tmp_path / name)])
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stderr


# --- dates YAML cannot build (bug: ValueError, exit 1) --------------------------------------

@pytest.mark.parametrize(("option", "text", "words"), [
    ("-f", "version: 1\nforms:\n  f1:\n    versions:\n      - since: 2025-02-30\n"
     "        fields: [email, phone]\n",
     ["forms.yaml line 5", "since '2025-02-30' is not a date", "February 2025 has 28 days",
      "YYYY-MM-DD"]),
    ("-f", "forms:\n  f1: {fields: [email], experiment: e, started: 2025-13-01}\n"
     "  f2: {fields: [phone], experiment: e}\n",
     ["forms.yaml line 2", "started '2025-13-01' is not a date", "no month 13", "2025-01-13"]),
    ("-f", "forms:\n  f1: {fields: [email], experiment: e}\n  f2: {fields: [phone], "
     "experiment: e}\nexperiments:\n  e:\n    started: 2024-04-31\n",
     ["forms.yaml line 6", "started '2024-04-31'", "April 2024 has 30 days"]),
    ("-c", "maturity_days: 30\nas_of: 2025-02-30\n",
     ["config.yaml line 2", "as_of '2025-02-30' is not a date", "February 2025 has 28 days",
      "YYYY-MM-DD"]),
    ("-c", "as_of: 2025-13-01\n", ["config.yaml line 1", "as_of '2025-13-01'", "no month 13"]),
    ("-c", "as_of: 2025-01-01 25:00:00\n", ["config.yaml line 1", "hour must be in 0..23"]),
    ("-c", "constants: {form_id: 0000-01-01}\n", ["config.yaml line 1", "no year 0"]),
])
def test_an_impossible_date_is_exit_2_with_the_file_line_key_and_fix(
        tmp_path: Path, option: str, text: str, words: list[str]) -> None:
    name = "forms.yaml" if option == "-f" else "config.yaml"
    code, err = _validate(tmp_path, option, name, text)
    assert code == 2, err
    for w in words:
        assert w in err, (w, err)


@pytest.mark.parametrize("side", ["--base", "--head"])
def test_check_reads_an_impossible_date_as_bad_input_not_as_a_policy_failure(
        tmp_path: Path, side: str) -> None:
    base = (CHECK / "base.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(base.replace("since: 2025-03-14", "since: 2025-02-30"), encoding="utf-8")
    other = "--head" if side == "--base" else "--base"
    res = CliRunner().invoke(app, ["check", side, str(bad), other, str(CHECK / "base.yaml"),
                                   "--evidence", str(CHECK / "evidence.json"),
                                   "--as-of", "2025-09-15"])
    assert res.exit_code == 2, res.output
    assert "bad.yaml line 29: since '2025-02-30' is not a date" in res.stderr


def test_the_same_reason_on_the_command_line_and_for_a_quoted_date(tmp_path: Path) -> None:
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", "-s", str(tmp_path / "subs.csv"), "--as-of",
                                   "2025-02-30"])
    assert res.exit_code == 2
    assert "--as-of '2025-02-30' is not a date: February 2025 has 28 days." in res.stderr
    code, err = _validate(tmp_path, "-f", "forms.yaml", "forms:\n  f1:\n    versions:\n"
                          "      - since: '2025-02-29'\n        fields: [email]\n")
    assert code == 2 and "since '2025-02-29' is not a date: February 2025 has 28 days" in err


def test_date_problem() -> None:
    assert date_problem("2025-02-29") == "February 2025 has 28 days"
    assert date_problem("2024-02-30") == "February 2024 has 29 days"
    assert date_problem("2024-02-29") is None and date_problem("soon") is None
    assert date_problem("2025-06-00") == "June 2025 has 30 days"
    assert "no month 13" in str(date_problem("2025-13-20"))


@pytest.mark.parametrize(("text", "words"), [
    ("x: !!int abc", ["x 'abc' cannot be read as int"]),
    ("x: 0x_", ["x '0x_' cannot be read as int"]),
    ("x: !!bool maybe", ["not one of true, false"]),
    ("x: !!timestamp soon", ["x 'soon' is not a date"]),
    ("- [1, 2025-02-30]", ["'2025-02-30' is not a date"]),
])
def test_any_value_the_constructor_cannot_build_is_a_yaml_error(text: str,
                                                                 words: list[str]) -> None:
    with pytest.raises(YAMLValueError) as exc:
        load_yaml(text)
    assert exc.value.line == 1 and exc.value.hint
    for w in words:
        assert w in exc.value.problem, exc.value.problem


# --- names YAML reads as something else (bug: rows dropped as unknown_form) ------------------

@pytest.mark.parametrize(("forms", "line", "words"), [
    ("forms:\n  012: {fields: [email]}\n", 2, ["form id 012", "number 10", "'012'"]),
    ("forms:\n  1_000: {fields: [email]}\n", 2, ["form id 1_000", "number 1000"]),
    ("forms:\n  12:30: {fields: [email]}\n", 2, ["form id 12:30", "number 750"]),
    ("forms:\n  yes: {fields: [email]}\n", 2, ["form id yes", "yes/no value true"]),
    ("forms:\n  NO: {fields: [email]}\n", 2, ["form id NO", "yes/no value false"]),
    ("forms:\n  null: {fields: [email]}\n", 2, ["form id null", "null, no value"]),
    ("forms:\n  f1: {fields: [email, on]}\n", 2, ["field name on", "true"]),
    ("forms:\n  f1:\n    fields:\n      - email\n      - no\n", 5, ["field name no"]),
    ("forms:\n  f1:\n    fields: [email, phone]\n    optional: [Off]\n", 4, ["field name Off"]),
    ("forms:\n  f1:\n    versions:\n      - since: 2025-01-01\n        fields: [email, Yes]\n",
     5, ["field name Yes"]),
    ("forms:\n  f1:\n    versions:\n      - since: 2025-01-01\n        fields: [a, b]\n"
     "        optional: [+1]\n", 6, ["field name +1", "number 1"]),
    ("fields:\n  on: {owner: sales}\nforms:\n  f1: {fields: [email]}\n", 2,
     ["field name on"]),
    ("forms:\n  f1: {fields: [email], experiment: off}\n  f2: {fields: [email], "
     "experiment: off}\n", 2, ["experiment name off"]),
    ("forms:\n  f1: {fields: [email], experiment: e}\n  f2: {fields: [email], "
     "experiment: e}\nexperiments:\n  e: {fields: [~]}\n", 5, ["field name ~"]),
    ("forms:\n  f1: {fields: [email], experiment: e}\n  f2: {fields: [email], "
     "experiment: e}\nexperiments:\n  TRUE: {}\n", 5, ["experiment name TRUE"]),
    ("forms:\n  2025-01-01T10:00:00Z: {fields: [email]}\n", 2, ["form id", "the date"]),
    ("forms:\n  f1:\n    fields:\n      - email\n      -\n", 5, ["a field name is empty"]),
])
def test_a_name_yaml_changed_is_refused_with_its_line_and_quoted_form(
        tmp_path: Path, forms: str, line: int, words: list[str]) -> None:
    code, err = _validate(tmp_path, "-f", "forms.yaml", forms)
    assert code == 2, err
    assert f"forms file forms.yaml line {line}:" in err, err
    for w in words:
        assert w in err, (w, err)
    if "empty" not in err:
        assert "Quote it" in err or "quote it" in err


@pytest.mark.parametrize(("config", "words"), [
    ("columns:\n  on: phone\n", ["line 2", "column name on", "Quote it: 'on'"]),
    ("columns:\n  Phone Number: no\n", ["line 2", "column name no"]),
    ("columns:\n  Phone Number:\n", ["line 2", "a column name is empty"]),
    ("segments: [device, on]\n", ["line 1", "column name on"]),
    ("segments: no\n", ["line 1", "column name no"]),
    ("ignore:\n  - yes\n", ["line 2", "column name yes"]),
    ("constants: {form_id: 012}\n", ["line 1", "constant value 012", "number 10",
                                     "Quote it: '012'"]),
    ("constants: {off: x}\n", ["line 1", "column name off"]),
    ("stages:\n  Closed Won: won\n  No: lost\n", ["line 3", "CRM stage No"]),
])
def test_a_config_name_yaml_changed_is_refused(tmp_path: Path, config: str,
                                               words: list[str]) -> None:
    code, err = _validate(tmp_path, "-c", "config.yaml", config)
    assert code == 2, err
    assert "config file config.yaml line" in err
    for w in words:
        assert w in err, (w, err)


def test_values_and_names_yaml_keeps_are_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "forms.yaml"
    path.write_text(
        "version: 1\nfields:\n  email: {protected: true}\n  phone: {protected: false}\n"
        "forms:\n  1234: {fields: [email, phone, 7], experiment: demo, traffic: 0.5,"
        " started: 2025-01-02}\n"
        "  '012': {fields: [email, 'on'], experiment: demo, traffic: 0.5}\n"
        "  2025-03-01:\n    experiment: null\n    versions:\n"
        "      - {since: 2025-01-01, fields: [email, phone], optional: [phone]}\n"
        "experiments:\n  demo: {n_star: 1000, planned_days: 28}\n", encoding="utf-8")
    cfg = read_forms_file(path)
    assert sorted(cfg.forms) == ["012", "1234", "2025-03-01"]
    assert cfg.forms["1234"].versions[0].fields == ("email", "phone", "7")
    assert cfg.forms["1234"].traffic == 0.5 and cfg.forms["1234"].started == date(2025, 1, 2)
    assert cfg.forms["012"].versions[0].fields == ("email", "on")
    assert cfg.forms["2025-03-01"].experiment is None
    assert cfg.is_protected("email") and not cfg.is_protected("phone")
    assert cfg.experiments["demo"].n_star == 1000
    code, err = _validate(tmp_path, "-c", "config.yaml",
                          "segments:\nconstants: {form_id: 5}\nas_of: 2025-02-28\n"
                          "maturity_days: 30\noutcomes: {all_closed: true}\n"
                          "columns:\n  '012': form_id\n")
    assert code == 0, err


def test_load_yaml_names_only_where_the_caller_says() -> None:
    names = {("a", KEYS): "form id", ("a", ANY, "f", ANY): "field name", ("b",): "name"}
    assert load_yaml("a: {x: {f: [p, 2]}}\nb: null\nc: [on, 012]\n", names,
                     nullable=[("b",)]) == {"a": {"x": {"f": ["p", 2]}}, "b": None,
                                            "c": [True, 10]}
    with pytest.raises(YAMLValueError, match="form id on"):
        load_yaml("a: {on: {f: [p]}}\n", names)
    with pytest.raises(YAMLValueError, match="name null"):
        load_yaml("b: null\n", names)


def test_an_alias_bomb_is_still_refused_before_any_name_is_checked() -> None:
    bomb = "\n".join(["a0: &a0 [on, on, on, on, on, on, on, on, on]"]
                     + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)])
    with pytest.raises(Exception, match="alias"):
        load_yaml(bomb + "\nforms: {f: {fields: *a9}}\n",
                  {("forms", ANY, "fields", ANY): "field name"})


def test_the_library_gets_an_input_error() -> None:
    with pytest.raises(InputError, match="line 3: since '2025-02-30' is not a date"):
        load_forms_data("forms:\n  a:\n    versions: [{since: 2025-02-30, fields: [x]}]\n",
                        "f.yaml", False)
