"""Line marks of a forms file: where each form, its latest `fields:` list and each field is,
so that `check` can annotate the line a change is on (YAML and JSON alike)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from formfit.io.forms_marks import forms_marks, read_forms_text

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "forms.yaml"


def _line_of(text: str, needle: str, after: int = 0) -> int:
    lines = text.splitlines()
    return next(i + 1 for i in range(after, len(lines)) if needle in lines[i])


def test_sample_marks() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    doc = read_forms_text(text, "forms.yaml")
    m = doc.marks
    assert m.forms == _line_of(text, "forms:")
    assert m.form["demo-b"] == _line_of(text, "  demo-b:")
    assert m.fields_list["demo-b"] == _line_of(text, "fields:", m.form["demo-b"])
    # a form with versions: the latest version's list (since 2025-05-01), not the first
    assert m.fields_list["pricing"] == _line_of(text, "fields:", _line_of(text, "2025-05-01"))
    assert m.of_field("pricing", "budget") == m.fields_list["pricing"]  # flow list: same line
    assert m.optional_list["contact"] == _line_of(text, "optional: [message]")
    assert m.catalogue["consent"] == _line_of(text, "  consent:")
    assert doc.policy is None and set(doc.config.forms) == set(m.form)


def test_block_lists_mark_each_item_and_fall_back() -> None:
    text = ("forms:\n  web:\n    fields:\n      - email\n      - Phone\n"
            "    optional:\n      - Phone\n")
    m = forms_marks(text)
    assert m.of_field("web", "email") == 4
    assert m.of_field("web", "phone") == 5  # names match case-insensitively
    assert m.optional_item[("web", "phone")] == 7
    assert m.of_field("web", "fax") == 3  # not there: the fields: line
    assert m.of_field("nope", "fax") is None and m.of_form("nope") == 1


def test_json_forms_file_has_marks() -> None:
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for form in data["forms"].values():
        for v in form.get("versions", []):
            v["since"] = str(v["since"])
    text = json.dumps(data, indent=2)
    doc = read_forms_text(text, "forms.json", is_json=True)
    assert doc.marks.form["contact"] == _line_of(text, '"contact": {')
    assert doc.marks.of_field("contact", "message") == _line_of(text, '"message"',
                                                                doc.marks.form["contact"])


def test_unparseable_text_gives_empty_marks() -> None:
    assert forms_marks("forms: [unclosed").form == {}
    assert forms_marks("").forms is None
