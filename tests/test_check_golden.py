"""`formfit check` against golden files: every output format over a set of forms-file diffs.

The cases are tests/data/check/cases.json (removal of a kept, a droppable, a protected and an
unsettled field, a joint removal, additions, requirement changes, forms and experiments
changing, a policy, stale evidence, malformed YAML, an unknown revision, a path not in the
revision), judged against the fixture evidence.json. Regenerate the golden files with
`python scripts/regenerate_check_golden.py` only when a change of output is intended.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from script_loader import load_script

regen = load_script("regenerate_check_golden")
CASES = regen.cases()
PARAMS = [(c, f) for c in CASES for f in regen.case_formats(c)]


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("check")
    return {c["name"]: regen.sandbox(c, root / c["name"]) for c in CASES}


@pytest.mark.parametrize(("case", "fmt"), PARAMS,
                         ids=[f"{c['name']}-{f}" for c, f in PARAMS])
def test_matches_golden(case: dict[str, Any], fmt: str, sandboxes: dict[str, Path]) -> None:
    code, text = regen.run_case(case, fmt, sandboxes[case["name"]])
    assert code == case["exit"], text
    header, expected = (regen.GOLDEN / regen.golden_name(case, fmt)).read_text(
        encoding="utf-8").split("\n", 1)
    assert header.startswith("regenerate with:")
    assert text == expected


def test_every_case_has_its_golden_files() -> None:
    names = {regen.golden_name(c, f) for c, f in PARAMS}
    assert names == {p.name for p in regen.GOLDEN.iterdir()}


def _findings(name: str) -> list[dict[str, Any]]:
    text = (regen.GOLDEN / f"{name}.json").read_text(encoding="utf-8").split("\n", 1)[1]
    found: list[dict[str, Any]] = json.loads(text)["findings"]
    return found


NEW_ARMS = {("form_added", "notice", f"contact-t{i}", ()) for i in range(1, 5)}


def test_policy_table_as_data() -> None:
    """Each kind of change lands on its rule and level (the README's policy, as data)."""
    expect = {
        "remove_kept": {("removed_keep", "error", "demo-b", ("phone",))},
        "remove_droppable": {("removed_drop", "notice", "demo-a", ("how_did_you_hear",))},
        "remove_protected": {("removed_protected", "error", "newsletter", ("email",))},
        "remove_test": {("removed_test", "warning", "contact", ("message",))},
        "remove_unknown": {("removed_unknown", "warning", "contact", ("fax",)),
                           ("evidence_forms", "warning", None, ())},
        "remove_joint": {("removed_keep", "error", "demo-a", ("phone",)),
                         ("removed_drop", "notice", "demo-a", ("how_did_you_hear",)),
                         # eventual wins: the joint removal's interval (-22.0 to -1.7 per
                         # 1,000 views) lies below zero
                         ("joint_harm", "error", "demo-a", ("phone", "how_did_you_hear"))},
        "requirement": {("made_required", "notice", "contact", ("message",)),
                        ("made_optional", "notice", "demo-a", ("phone",))},
        "forms_changed": {("form_removed", "notice", "newsletter", ()),
                          ("form_added", "notice", "webinar", ()),
                          ("form_added", "notice", "events", ()),
                          ("experiment_changed", "notice", "demo-d", ()),
                          ("policy_changed", "notice", None, ())},
        "policy": {("added_field", "error", "newsletter", ("fax",))},
        "form_renamed": {("form_renamed", "notice", "demo-a2", ()),
                         ("removed_keep", "error", "demo-a2", ("phone",))},
        "experiment_designed": {*NEW_ARMS,
                                ("experiment_planned", "notice", "contact-t1", ())},
        "experiment_invalid": {*NEW_ARMS,
                               ("experiment_planned", "notice", "contact-t1", ()),
                               ("experiment_invalid", "error", "contact-t1", ()),
                               ("experiment_invalid", "error", "contact-t2", ("message",)),
                               ("experiment_invalid", "error", "contact-t4", ("consent",))},
        "stale_evidence_strict": {("evidence_stale", "error", None, ()),
                                  ("removed_drop", "notice", "demo-a", ("how_did_you_hear",))},
    }
    for name, want in expect.items():
        got = {(f["rule"], f["level"], f["form_id"], tuple(f["fields"]))
               for f in _findings(name)}
        assert got == want, name


def test_added_field_costs() -> None:
    """Measured on this form's experiment, measured elsewhere, or unmeasured: each says so."""
    by_field = {f["fields"][0]: f["details"] for f in _findings("addition")}
    hdyh = by_field["how_did_you_hear"]
    assert hdyh["measured"] == "this_form"
    assert hdyh["ci_low"] < hdyh["estimate"] < hdyh["ci_high"] < 0  # it costs submissions
    assert by_field["timeline"]["measured"] == "other_forms"
    assert by_field["timeline"]["forms"] == ["pricing"]
    assert by_field["fax"]["measured"] is None
    assert "cost unmeasured" in (regen.GOLDEN / "addition.text").read_text(encoding="utf-8")


def test_sarif_is_sarif_2_1_0() -> None:
    """The parts of SARIF 2.1.0 that code scanning requires: version, a driver with rules,
    results whose ruleId/ruleIndex agree, levels from the SARIF set, a file and a line."""
    for case in CASES:
        if case["exit"] == 2:
            continue
        text = (regen.GOLDEN / f"{case['name']}.sarif").read_text(encoding="utf-8")
        doc = json.loads(text.split("\n", 1)[1])
        assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
        (run,) = doc["runs"]
        rules = run["tool"]["driver"]["rules"]
        assert run["tool"]["driver"]["name"] == "formfit"
        for res in run["results"]:
            assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
            assert res["level"] in ("error", "warning", "note")
            assert res["message"]["text"]
            loc = res["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"].endswith(".yaml")
            assert loc["region"]["startLine"] >= 1
