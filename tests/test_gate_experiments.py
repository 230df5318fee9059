"""The gate on designed and running experiments, rule by rule (formfit.gate_experiments)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from formfit.gate_experiments import experiment_findings
from formfit.inputs import ExperimentSpec, FieldSpec, FormsConfig, FormSpec, FormVersion

PROTECTED = {"email": "needed to contact the lead"}


def _cfg(arms: dict[str, tuple[tuple[str, ...], float | None]],
         spec: ExperimentSpec | None = None) -> FormsConfig:
    forms = {fid: FormSpec(fid, (FormVersion(None, fields),), experiment="x", traffic=t)
             for fid, (fields, t) in arms.items()}
    forms["other"] = FormSpec("other", (FormVersion(None, ("email",)),))
    return FormsConfig(forms=forms, fields={"email": FieldSpec("email", protected="yes")},
                       experiments={"x": spec} if spec else {})


SPEC = ExperimentSpec("x", started=date(2026, 11, 2), fields=("phone",), planned_days=28)
BASE = _cfg({})


def _problems(head: FormsConfig, base: FormsConfig = BASE) -> list[tuple[Any, ...]]:
    return [(f.rule, f.arm, f.fields, f.details.get("problem"))
            for f in experiment_findings(base, head, PROTECTED)]


@pytest.mark.parametrize("traffic,ok", [
    ((0.5, 0.5), True), ((None, None), True), ((0.3, None), True),
    ((0.5, 0.4999995), True), ((0.5, 0.45), False), ((1.0, None), False)])
def test_traffic_must_sum_to_one(traffic: tuple[float | None, float | None], ok: bool) -> None:
    head = _cfg({"a": (("email", "phone"), traffic[0]), "b": (("email",), traffic[1])}, SPEC)
    found = [p for p in _problems(head) if p[3] == "traffic"]
    assert (found == []) == ok


def test_arms_may_differ_only_in_the_designed_fields() -> None:
    head = _cfg({"a": (("email", "phone", "fax"), None), "b": (("email",), None),
                 "c": (("email", "phone"), None)}, SPEC)
    assert ("experiment_invalid", "a", ("fax",), "undesigned_difference") in _problems(head)
    # without designed fields nothing says which differences are intended
    plain = ExperimentSpec("x", started=date(2026, 11, 2))
    head = _cfg({"a": (("email", "phone", "fax"), None), "b": (("email",), None)}, plain)
    assert [p[0] for p in _problems(head)] == ["experiment_planned"]


def test_protected_fields_on_every_arm_and_never_designed() -> None:
    head = _cfg({"a": (("email", "phone"), None), "b": (("phone",), None)},
                ExperimentSpec("x", fields=("phone",)))
    assert ("experiment_invalid", "b", ("email",), "protected_missing") in _problems(head)
    head = _cfg({"a": (("email", "phone"), None), "b": (("phone",), None)},
                ExperimentSpec("x", fields=("phone", "email")))
    probs = _problems(head)
    assert ("experiment_invalid", None, ("email",), "protected_designed") in probs
    assert not any(p[3] == "protected_missing" for p in probs)


def test_planned_runtime_and_sequential_are_reported() -> None:
    head = _cfg({"a": (("email", "phone"), 0.5), "b": (("email",), 0.5)}, SPEC)
    (f,) = experiment_findings(BASE, head, PROTECTED)
    assert f.rule == "experiment_planned"
    assert f.details["planned_days"] == 28 and f.details["sequential"] is True
    assert f.details["started"] == "2026-11-02" and f.details["designed_fields"] == ["phone"]
    not_started = _cfg({"a": (("email", "phone"), 0.5), "b": (("email",), 0.5)},
                       ExperimentSpec("x", fields=("phone",), planned_days=28))
    (f,) = experiment_findings(BASE, not_started, PROTECTED)
    assert f.details["sequential"] is False


def test_unchanged_or_plain_experiments_are_not_revalidated() -> None:
    head = _cfg({"a": (("email", "fax"), 0.3), "b": (("email",), 0.3)}, SPEC)
    assert experiment_findings(head, head, PROTECTED) == []
    plain = _cfg({"a": (("email", "fax"), 0.3), "b": (("email",), 0.3)})
    assert experiment_findings(BASE, plain, PROTECTED) == []
