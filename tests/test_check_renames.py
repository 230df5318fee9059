"""A form renamed in the head is judged as a change of the form it replaces, and every new
form must show the protected fields: a rename cannot drop a kept or protected field unseen.

The pairing (formfit.gate.renames): the only form removed with the only form added; else the
only removed and the only added arm of one experiment; else the new form sharing the most
non-protected fields with a removed one (at least half of them). A form that is genuinely
removed is still a notice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_check_policy import _check as check_run
from typer.testing import CliRunner

from formfit.cli import app
from formfit.gate import renames
from formfit.io.forms_marks import read_forms_text

DATA = Path(__file__).resolve().parent / "data" / "check"
BASE = (DATA / "base.yaml").read_text(encoding="utf-8")
DEMO_A = "fields: [email, first_name, last_name, phone, company_size, how_did_you_hear, consent]"


def _check(tmp_path: Path, head: str, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    """check of BASE against ``head`` (the policy tests' runner): exit code, findings, output."""
    code, out, err = check_run(tmp_path, BASE, head, *extra)
    if code == 2:
        return 2, [], err
    return code, json.loads(out)["findings"], out


def _rules(found: list[dict[str, Any]]) -> set[tuple[str, str | None, tuple[str, ...]]]:
    return {(f["rule"], f["form_id"], tuple(f["fields"])) for f in found}


def test_a_rename_that_drops_kept_and_protected_fields_fails(tmp_path: Path) -> None:
    """The tester's report: demo-a renamed demo-a2 without phone (keep) and consent
    (protected) passed with two notices."""
    head = BASE.replace("  demo-a:\n", "  demo-a2:\n").replace(
        DEMO_A, "fields: [email, first_name, last_name, company_size, how_did_you_hear]")
    code, found, _ = _check(tmp_path, head)
    assert code == 1
    got = _rules(found)
    assert {("removed_keep", "demo-a2", ("phone",)),
            ("removed_protected", "demo-a2", ("consent",)),
            ("form_renamed", "demo-a2", ())} <= got
    assert not {r for r in got if r[0] in ("form_added", "form_removed")}
    keep = next(f for f in found if f["rule"] == "removed_keep")
    assert keep["details"]["renamed_from"] == "demo-a"
    assert keep["line"] == 11  # demo-a2's fields line
    res = CliRunner().invoke(app, ["check", "--base", str(tmp_path / "base.yaml"), "--head",
                                   str(tmp_path / "head.yaml"), "--evidence",
                                   str(DATA / "evidence.json"), "--as-of", "2025-09-15"])
    assert "phone is removed from demo-a2 (formerly demo-a), but the evidence says keep it" \
        in res.stdout
    assert "form demo-a2 is taken as demo-a renamed (it is the only form added" in res.stdout


def test_a_plain_rename_passes(tmp_path: Path) -> None:
    code, found, _ = _check(tmp_path, BASE.replace("  demo-a:\n", "  demo-a2:\n"))
    assert code == 0
    assert _rules(found) == {("form_renamed", "demo-a2", ())}


def test_renamed_arm_of_an_experiment_among_other_new_forms(tmp_path: Path) -> None:
    """Two forms leave and three arrive: demo-b's replacement is found by its experiment."""
    head = BASE.replace("  demo-b:\n", "  demo-b2:\n").replace(
        "fields: [email, first_name, last_name, phone, company_size, consent]",
        "fields: [email, first_name, last_name, company_size, consent]").replace(
        "  newsletter:\n    fields: [email, consent]\n",
        "  news2:\n    fields: [email, consent]\n  news3:\n    fields: [email, consent]\n")
    code, found, _ = _check(tmp_path, head)
    assert code == 1
    got = _rules(found)
    assert ("removed_keep", "demo-b2", ("phone",)) in got
    renamed = next(f for f in found if f["rule"] == "form_renamed")
    assert renamed["details"]["paired_by"] == "experiment"
    # newsletter shares only protected fields with the new forms: removed, not renamed
    assert {("form_removed", "newsletter", ()), ("form_added", "news2", ()),
            ("form_added", "news3", ())} <= got


def test_pairing_by_shared_fields() -> None:
    base = read_forms_text(BASE, "base.yaml", False).config
    head_text = BASE.replace("  pricing:\n", "  pricing-2025:\n").replace(
        "  contact:\n", "  contact-us:\n").replace("  newsletter:\n", "  signup:\n")
    head = read_forms_text(head_text, "head.yaml", False).config
    protected = {"email": "x", "consent": "y"}
    assert renames(base, head, protected) == {"pricing-2025": ("pricing", "fields"),
                                              "contact-us": ("contact", "fields")}


def test_a_new_form_must_show_protected_fields(tmp_path: Path) -> None:
    head = BASE + "  quick:\n    fields: [email, phone]\n"
    code, found, _ = _check(tmp_path, head)
    assert code == 1
    assert _rules(found) == {("form_added", "quick", ()),
                             ("form_added_protected", "quick", ("consent",))}
    res = CliRunner().invoke(app, ["check", "--base", str(tmp_path / "base.yaml"), "--head",
                                   str(tmp_path / "head.yaml"), "--evidence",
                                   str(DATA / "evidence.json"), "--as-of", "2025-09-15"])
    assert ("form quick is new and does not show consent, which the forms file protects "
            "(legal: marketing consent) and every other form shows. Show consent on quick.") \
        in res.stdout
    lowered = "policy:\n  form_added_protected: warning\n"
    (tmp_path / "base.yaml").write_text(BASE + lowered, encoding="utf-8")
    (tmp_path / "head.yaml").write_text(head + lowered, encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--base", str(tmp_path / "base.yaml"), "--head",
                                   str(tmp_path / "head.yaml"), "--evidence",
                                   str(DATA / "evidence.json"), "--as-of", "2025-09-15"])
    assert res.exit_code == 0


def test_a_protected_field_some_base_form_lacks_binds_no_new_form(tmp_path: Path) -> None:
    # the newsletter form already goes without consent: no rule to hold a new form to
    base = BASE.replace("  newsletter:\n    fields: [email, consent]\n",
                        "  newsletter:\n    fields: [email]\n")
    assert base != BASE
    head = base + "  quick:\n    fields: [email, phone]\n"
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "head.yaml").write_text(head, encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--base", str(tmp_path / "base.yaml"), "--head",
                                   str(tmp_path / "head.yaml"), "--evidence",
                                   str(DATA / "evidence.json"), "--as-of", "2025-09-15",
                                   "--format", "json"])
    rules = {f["rule"] for f in json.loads(res.stdout)["findings"]}
    assert "form_added_protected" not in rules and "form_added" in rules


def test_a_form_genuinely_removed_is_still_a_notice(tmp_path: Path) -> None:
    head = BASE.replace("  newsletter:\n    fields: [email, consent]\n", "")
    code, found, _ = _check(tmp_path, head)
    assert code == 0
    assert _rules(found) == {("form_removed", "newsletter", ())}
