"""The `policy:` section: rules raised and lowered, the base's policy applied, bad policies
refused with exit 2; --strict raises the evidence rules; --max-age-days bounds the age."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from formfit.cli import app
from formfit.gate import EVIDENCE_RULES, RULES, policy_levels

DATA = Path(__file__).resolve().parent / "data" / "check"
BASE = (DATA / "base.yaml").read_text(encoding="utf-8")
DROP_HDYH = BASE.replace("how_did_you_hear, consent]\n  demo-b", "consent]\n  demo-b")


def _check(tmp_path: Path, base: str, head: str, *extra: str) -> tuple[int, str, str]:
    b, h = tmp_path / "base.yaml", tmp_path / "head.yaml"
    b.write_text(base, encoding="utf-8")
    h.write_text(head, encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--base", str(b), "--head", str(h), "--evidence",
                                   str(DATA / "evidence.json"), "--format", "json",
                                   "--as-of", "2025-09-15", *extra])
    return res.exit_code, res.stdout, res.stderr


def test_levels_from_policy_and_strict() -> None:
    levels = policy_levels({"added_field": "error", "removed_keep": "warning",
                            "evidence_stale": "off"}, "f.yaml", strict=True)
    assert levels["added_field"] == "error" and levels["removed_keep"] == "warning"
    assert levels["evidence_stale"] == "off"  # off stays off under --strict
    assert all(levels[r] == "error" for r in EVIDENCE_RULES if r != "evidence_stale")
    assert policy_levels(None, "f.yaml", strict=False) == RULES


def test_lowering_a_rule_lets_the_change_pass(tmp_path: Path) -> None:
    head = BASE.replace("last_name, phone, company_size, consent]",
                        "last_name, company_size, consent]")
    code, _, _ = _check(tmp_path, BASE, head)
    assert code == 1
    lowered = "policy:\n  removed_keep: warning\n"
    code, out, _ = _check(tmp_path, BASE + lowered, head + lowered)
    assert code == 0
    assert '"rule": "removed_keep"' in out and '"level": "warning"' in out


def test_a_change_cannot_loosen_its_own_gate(tmp_path: Path) -> None:
    """The head's policy is listed, not applied: a PR that removes a kept field and lowers
    the rule in the same change still fails."""
    head = BASE.replace("last_name, phone, company_size, consent]",
                        "last_name, company_size, consent]") + "policy:\n  removed_keep: off\n"
    code, out, _ = _check(tmp_path, BASE, head)
    assert code == 1
    assert '"rule": "policy_changed"' in out


@pytest.mark.parametrize(("policy", "words"), [
    ("policy:\n  added_fields: error\n", ["unknown rule 'added_fields'", "'added_field'"]),
    ("policy:\n  added_field: fatal\n", ["'fatal' is not a level", "error, warning"]),
    ("policy: [added_field]\n", ["`policy` must be a mapping"]),
])
def test_bad_policy_exits_2(tmp_path: Path, policy: str, words: list[str]) -> None:
    for base, head in ((BASE + policy, BASE), (BASE, BASE + policy)):
        code, _, err = _check(tmp_path, base, head)
        assert code == 2
        for w in words:
            assert w in err


def test_strict_and_max_age(tmp_path: Path) -> None:
    code, out, _ = _check(tmp_path, BASE, DROP_HDYH)
    assert code == 0 and "\"rule\": \"evidence_stale\"" not in out  # 17 days old
    code, out, _ = _check(tmp_path, BASE, DROP_HDYH, "--max-age-days", "10")
    assert code == 0 and '"rule": "evidence_stale"' in out
    code, _, _ = _check(tmp_path, BASE, DROP_HDYH, "--max-age-days", "10", "--strict")
    assert code == 1
    code, _, err = _check(tmp_path, BASE, DROP_HDYH, "--max-age-days", "-1")
    assert code == 2 and "negative" in err


def test_other_forms_warn_and_fail_when_strict(tmp_path: Path) -> None:
    """Evidence computed for a different set of forms than the base."""
    other = BASE.replace("  contact:\n", "  webinar:\n    fields: [email]\n  contact:\n")
    code, out, _ = _check(tmp_path, other, other)
    assert code == 0 and '"rule": "evidence_forms"' in out and '"webinar"' in out
    code, _, _ = _check(tmp_path, other, other, "--strict")
    assert code == 1


def test_schema_version_warns(tmp_path: Path) -> None:
    import json

    data = json.loads((DATA / "evidence.json").read_text(encoding="utf-8"))
    data["schema_version"] = 2
    ev = tmp_path / "ev2.json"
    ev.write_text(json.dumps(data), encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text(BASE, encoding="utf-8")
    args = ["check", "--base", str(b), "--head", str(b), "--evidence", str(ev), "--as-of",
            "2025-09-15"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0 and "schema_version 2" in res.stdout
    assert CliRunner().invoke(app, [*args, "--strict"]).exit_code == 1


def test_evidence_from_the_future_warns_and_fails_when_strict(tmp_path: Path) -> None:
    """Evidence dated 2025-08-29 judged on 2025-01-01: its age is unknown, not -240 days."""
    import json

    b, h = tmp_path / "base.yaml", tmp_path / "head.yaml"
    b.write_text(BASE, encoding="utf-8")
    h.write_text(DROP_HDYH, encoding="utf-8")

    def run(as_of: str, *extra: str) -> tuple[int, str]:
        res = CliRunner().invoke(app, ["check", "--base", str(b), "--head", str(h),
                                       "--evidence", str(DATA / "evidence.json"),
                                       "--as-of", as_of, *extra])
        return res.exit_code, res.stdout

    code, out = run("2025-01-01", "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "evidence_future"]
    assert code == 0 and len(found) == 1 and found[0]["level"] == "warning"
    assert found[0]["details"]["days_ahead"] == 240
    assert ("the evidence is dated 2025-08-29, 240 days after this check's date (2025-01-01), "
            "so its age is unknown") in found[0]["message"]
    code, out = run("2025-01-01", "--strict")
    assert code == 1 and "ERROR" in out and "240 days after" in out
    code, out = run("2025-01-01", "--format", "markdown")
    assert "(dated 240 days after this check)" in out and "-240" not in out
    code, out = run("2025-08-28", "--strict", "--format", "json")  # a day ahead: a time zone
    assert code == 0 and '"evidence_future"' not in out.split('"findings"')[1]


def test_removed_unknown_advice_can_be_followed(tmp_path: Path) -> None:
    """The advice for a field the evidence does not know must not be a command that fails:
    design refuses a field the evidence lacks, so the message says to re-run analyze first."""
    base = (DATA / "base_fax.yaml").read_text(encoding="utf-8")
    code, out, _ = _check(tmp_path, base, BASE)
    import json

    (msg,) = [f["message"] for f in json.loads(out)["findings"]
              if f["rule"] == "removed_unknown"]
    design = CliRunner().invoke(app, ["design", "--evidence", str(DATA / "evidence.json"),
                                      "--fields", "fax", "--out", str(tmp_path / "d")])
    assert design.exit_code == 2 and "not a field of evidence" in design.stderr
    assert "Re-run formfit analyze with the base's forms file, which shows fax" in msg
    assert msg.index("formfit analyze") < msg.index("formfit design --fields fax")
