"""Forms files: the contract's schema parsed exactly; schema errors name the form and key."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from formfit.errors import InputError
from formfit.io.forms import infer_forms, parse_forms, read_forms_file

DATA = Path(__file__).parent / "data"


def test_contract_example_parses() -> None:
    cfg = read_forms_file(DATA / "forms.yaml")
    assert not cfg.inferred and cfg.source == "forms.yaml"
    a = cfg.forms["demo-a"]
    assert a.experiment == "demo" and a.traffic == 0.5
    assert a.versions[0].fields == ("email", "company_size", "phone", "consent")
    assert a.versions[0].optional == ("phone",)
    assert a.versions[0].required() == ("email", "company_size", "consent")
    pricing = cfg.forms["pricing"]
    # versions are sorted by since, whatever the file's order
    assert [v.since for v in pricing.versions] == [date(2025, 1, 1), date(2025, 3, 1)]
    assert pricing.versions[0].fields == ("email", "budget", "how_did_you_hear")
    assert cfg.is_protected("email") and cfg.is_protected("consent")
    assert cfg.fields["consent"].protected == "protected"
    assert cfg.fields["phone"].owner == "sales" and not cfg.is_protected("phone")
    assert cfg.shown_fields() == ("email", "company_size", "phone", "consent", "budget",
                                  "how_did_you_hear")


def test_json_forms_file(tmp_path: Path) -> None:
    path = tmp_path / "forms.json"
    path.write_text(json.dumps({"forms": {"a": {"fields": ["email", "Phone"]},
                                          "b": {"fields": ["phone"]}}}), encoding="utf-8")
    cfg = read_forms_file(path)
    # one spelling per field across forms (the first seen)
    assert cfg.forms["b"].versions[0].fields == ("Phone",)
    assert cfg.forms["a"].experiment is None and cfg.forms["a"].traffic is None


@pytest.mark.parametrize("name, words", [
    ("malformed_forms.yaml", ["line 5", "not valid YAML", "line 4"]),
    ("forms_optional_not_shown.yaml", ["'demo-a'", "optional", "fax"]),
    ("forms_traffic_over_one.yaml", ["'demo'", "traffic", "1.3"]),
    ("forms_versions_without_since.yaml", ["'pricing'", "versions[0]", "since"]),
    ("forms_fields_not_list.yaml", ["'demo-a'", "fields", "list"]),
    ("forms_traffic_out_of_range.yaml", ["'demo-a'", "traffic", "(0, 1]"]),
])
def test_schema_errors_name_form_and_key(name: str, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        read_forms_file(DATA / name)
    for w in words:
        assert w in err.value.message, (w, err.value.message)
    assert err.value.hint


@pytest.mark.parametrize("data, words", [
    ({"forms": {"a": {"fields": ["x"], "colour": "red"}}}, ["'a'", "colour"]),
    ({"forms": {"a": {"fields": ["x", "X"]}}}, ["'a'", "twice"]),
    ({"forms": {"a": {"versions": [{"since": "2025-01-01", "fields": ["x"]},
                                   {"since": "2025-01-01", "fields": ["y"]}]}}},
     ["two versions"]),
    ({"forms": {"a": {"versions": [{"since": "soon", "fields": ["x"]}]}}}, ["not a date"]),
    ({"forms": {"a": {"fields": ["x"], "versions": []}}}, ["both"]),
    ({"forms": {"a": {}}}, ["neither"]),
    ({"forms": {"a": {"fields": ["x"], "traffic": 0.5}}}, ["no experiment"]),
    ({"forms": {"a": {"fields": ["x"], "experiment": "e", "traffic": "half"}}},
     ["not a number"]),
    ({"forms": []}, ["`forms`"]),
    ({"forms": {"a": {"fields": ["x"]}}, "version": 2}, ["version"]),
    ({"forms": {"a": {"fields": ["x"]}}, "fields": {"x": {"protected": 3}}}, ["protected"]),
    ({"forms": {"a": {"fields": ["x"]}}, "extra": 1}, ["extra"]),
])
def test_more_schema_errors(data: object, words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        parse_forms(data, "forms.yaml")
    for w in words:
        assert w in err.value.message, (w, err.value.message)


def test_missing_and_empty_forms_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_forms_file(tmp_path / "nope.yaml")
    empty = tmp_path / "forms.yaml"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_forms_file(empty)


def test_inference_a_field_is_on_a_form_if_any_submission_has_a_value() -> None:
    rows = pd.DataFrame({
        "form_id": ["a", "a", "b", "b"],
        "phone": ["1", None, None, None],
        "size": [None, "10", "5", None],
        "never": [None, None, None, None],
    }, dtype="str")
    cfg = infer_forms(rows, ["phone", "size", "never"])
    assert cfg.inferred
    assert cfg.forms["a"].versions[0].fields == ("phone", "size")
    assert cfg.forms["b"].versions[0].fields == ("size",)
    assert len(cfg.forms["a"].versions) == 1 and cfg.forms["a"].experiment is None


def _exp_forms(a: dict[str, object], b: dict[str, object], top: object = None) -> object:
    data: dict[str, object] = {"forms": {
        "a": {"experiment": "t", "fields": ["email", "phone"], **a},
        "b": {"experiment": "t", "fields": ["email"], **b}}}
    if top is not None:
        data["experiments"] = top
    return data


def test_a_running_experiment_is_marked_by_started_on_its_variants_or_its_entry() -> None:
    cfg = parse_forms(_exp_forms({"started": "2026-11-02"}, {"started": date(2026, 11, 2)}),
                      "f.yaml")
    assert cfg.running("t") is not None and cfg.running("t").started == date(2026, 11, 2)
    cfg = parse_forms(_exp_forms({}, {}, {"t": {"started": "2026-11-02", "n_star": 50000,
                                                "fields": ["Phone"], "planned_days": 56}}),
                      "f.yaml")
    spec = cfg.running("t")
    assert spec is not None and spec.n_star == 50000 and spec.fields == ("phone",)
    assert parse_forms(_exp_forms({}, {}, {"t": {"n_star": 5000}}), "f.yaml").running("t") is None


@pytest.mark.parametrize(("data", "words"), [
    (_exp_forms({"started": "2026-11-02"}, {"started": "2026-11-03"}), ["different started"]),
    (_exp_forms({"started": "YYYY-MM-DD"}, {}), ["placeholder", "went live"]),
    (_exp_forms({}, {}, {"u": {"started": "2026-11-02"}}), ["experiment 'u'", "no form"]),
    (_exp_forms({}, {}, {"t": {"n_star": -3}}), ["n_star", "positive whole number"]),
    (_exp_forms({}, {}, {"t": {"stop": 1}}), ["unknown keys", "n_star"]),
    ({"forms": {"a": {"fields": ["email"], "started": "2026-11-02"}}}, ["no experiment"]),
])
def test_experiment_schema_errors(data: object, words: list[str]) -> None:
    with pytest.raises(InputError) as exc:
        parse_forms(data, "f.yaml")
    for w in words:
        assert w in str(exc.value)
