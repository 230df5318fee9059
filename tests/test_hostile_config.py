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
