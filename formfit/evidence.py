"""An analyze result read back from its JSON, every key checked: ``AnalysisResult.from_dict``.

Evidence files live in CI artifacts and repositories, and people edit them by hand. A key of
the wrong type must stop `formfit check` with a message naming the key, what it holds and what
was expected (exit 2), never with a traceback from deep inside the gate. Keys this version
does not know are kept (``models`` grows with new model layouts), keys it reads are checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from formfit.errors import InputError
from formfit.limits import refuse_special
from formfit.results import (
    AnalysisResult,
    DetectableAt,
    DropEffect,
    Estimate,
    FieldResult,
    FormSummary,
    Predictive,
    TestPlan,
    ValueRate,
)
from formfit.safe_yaml import load_json

EVIDENCE_KINDS = ("randomized", "observational", "aliased", "none")
VERDICTS = ("drop", "keep", "make_optional", "test", "protected")
INTERVAL_KINDS = ("fixed", "sequential")
_HINT = ("Pass the JSON written by `formfit analyze ... --format json --out RESULT.json`, "
         "unedited; re-run analyze to regenerate it.")


class EvidenceError(InputError):
    """The evidence JSON is not a formfit result this version can read (exit 2)."""


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    if isinstance(v, str):
        shown = v if len(v) <= 40 else v[:37] + "..."
        return f"{shown!r} (a string)"
    if isinstance(v, (int, float)):
        return f"{v!r} (a number)"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


class _Reader:
    """Typed getters that raise EvidenceError naming the JSON path of a bad value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, value: Any, expected: str) -> EvidenceError:
        return EvidenceError(f"evidence {self.source}: `{where}` is {_kind(value)}; expected "
                             f"{expected}.", _HINT)

    def need(self, d: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in d:
            raise EvidenceError(f"evidence {self.source}: `{where}` has no `{key}` key.", _HINT)
        return d[key]

    def obj(self, v: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(v, dict):
            raise self.fail(where, v, "an object ({...})")
        return v

    def lst(self, v: Any, where: str) -> list[Any]:
        if not isinstance(v, list):
            raise self.fail(where, v, "a list ([...])")
        return v

    def text(self, v: Any, where: str) -> str:
        if not isinstance(v, str):
            raise self.fail(where, v, "a string")
        return v

    def opt_text(self, v: Any, where: str) -> str | None:
        return None if v is None else self.text(v, where)

    def texts(self, v: Any, where: str) -> tuple[str, ...]:
        return tuple(self.text(x, f"{where}[{i}]") for i, x in enumerate(self.lst(v, where)))

    def flag(self, v: Any, where: str) -> bool:
        if not isinstance(v, bool):
            raise self.fail(where, v, "true or false")
        return v

    def integer(self, v: Any, where: str) -> int:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (
                isinstance(v, float) and not v.is_integer()):
            raise self.fail(where, v, "a whole number")
        return int(v)

    def opt_integer(self, v: Any, where: str) -> int | None:
        return None if v is None else self.integer(v, where)

    def number(self, v: Any, where: str) -> float | None:
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(where, v, "a number or null")
        return v  # kept as read: ints stay ints

    def choice(self, v: Any, where: str, allowed: tuple[str, ...]) -> str:
        if v not in allowed:
            raise self.fail(where, v, "one of " + ", ".join(allowed))
        return str(v)


def read_evidence(path: Path) -> AnalysisResult:
    """Load and validate an evidence file (the JSON of `formfit analyze`)."""
    if not path.exists():
        raise EvidenceError(f"evidence file {path} does not exist.",
                            "Make it with `formfit analyze ... --format json --out RESULT.json`.")
    if path.is_dir():
        raise EvidenceError(f"evidence file {path} is a directory.",
                            "Give --evidence the RESULT.json file written by `formfit analyze "
                            "--format json`, not its folder.")
    refuse_special(path, "evidence", EvidenceError)
    try:
        data = load_json(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"evidence file {path.name} is not JSON ({exc}).", _HINT) from None
    return result_from_dict(data, path.name)


def result_from_dict(data: Any, source: str = "evidence") -> AnalysisResult:
    """Build an AnalysisResult from its ``to_dict()`` form, checking every key it reads."""
    r = _Reader(source)
    top = r.obj(data, "(top level)")
    if "fields" not in top or "schema_version" not in top:
        raise EvidenceError(f"evidence {source} is not a formfit result (it has no "
                            "`fields` or no `schema_version`).", _HINT)
    schema = r.integer(top["schema_version"], "schema_version")
    fields = tuple(_field(r, f, i) for i, f in enumerate(r.lst(top["fields"], "fields")))
    forms = tuple(_form(r, f, i) for i, f in enumerate(r.lst(top.get("forms", []), "forms")))
    inputs = r.obj(top.get("inputs", {}), "inputs")
    for role, acc in inputs.items():
        _accounting(r, acc, f"inputs.{role}")
    warnings = r.lst(top.get("warnings", []), "warnings")
    for i, w in enumerate(warnings):
        w = r.obj(w, f"warnings[{i}]")
        r.text(r.need(w, "code", f"warnings[{i}]"), f"warnings[{i}].code")
        r.text(w.get("message", ""), f"warnings[{i}].message")
    models = r.obj(top.get("models", {}), "models")
    _models(r, models)
    as_of = r.opt_text(top.get("as_of"), "as_of")
    experiments = tuple(r.obj(e, f"experiments[{i}]") for i, e in
                        enumerate(r.lst(top.get("experiments", []), "experiments")))
    return AnalysisResult(
        formfit_version=r.text(top.get("formfit_version", ""), "formfit_version"),
        as_of=as_of, settings=r.obj(top.get("settings", {}), "settings"), inputs=inputs,
        forms=forms, fields=fields, warnings=tuple(warnings), models=models,
        schema_version=schema, experiments=experiments)


def _estimate(r: _Reader, v: Any, where: str) -> Estimate:
    d = r.obj(v, where)
    return Estimate(estimate=r.number(d.get("estimate"), f"{where}.estimate"),
                    ci_low=r.number(d.get("ci_low"), f"{where}.ci_low"),
                    ci_high=r.number(d.get("ci_high"), f"{where}.ci_high"),
                    p_value=r.number(d.get("p_value"), f"{where}.p_value"),
                    code=r.opt_text(d.get("code"), f"{where}.code"), with_p="p_value" in d)


def _drop_effect(r: _Reader, v: Any, where: str) -> DropEffect:
    d = r.obj(v, where)
    est: dict[str, Any] = {k: _estimate(r, r.need(d, k, where), f"{where}.{k}")
                           for k in ("conversion_pp", "win_rate_pp", "wins_per_1k_views",
                                     "revenue_per_1k_views")}
    return DropEffect(
        evidence=r.choice(d.get("evidence", "none"), f"{where}.evidence",
                          EVIDENCE_KINDS),  # type: ignore[arg-type]
        aliased_with=r.texts(d.get("aliased_with", []), f"{where}.aliased_with"),
        basis=r.text(d.get("basis", ""), f"{where}.basis"),
        interval=r.choice(d.get("interval", "fixed"), f"{where}.interval",
                          INTERVAL_KINDS),  # type: ignore[arg-type]
        sequential=(r.obj(d["sequential"], f"{where}.sequential")
                    if d.get("sequential") is not None else None), **est)


def _predictive(r: _Reader, v: Any, where: str) -> Predictive:
    d = r.obj(v, where)
    rates = []
    for i, x in enumerate(r.lst(d.get("win_rate_by_value", []), f"{where}.win_rate_by_value")):
        w = f"{where}.win_rate_by_value[{i}]"
        x = r.obj(x, w)
        rates.append(ValueRate(value=r.text(r.need(x, "value", w), f"{w}.value"),
                               leads=r.integer(x.get("leads", 0), f"{w}.leads"),
                               wins=r.integer(x.get("wins", 0), f"{w}.wins"),
                               win_rate=r.number(x.get("win_rate"), f"{w}.win_rate"),
                               ci_low=r.number(x.get("ci_low"), f"{w}.ci_low"),
                               ci_high=r.number(x.get("ci_high"), f"{w}.ci_high")))
    return Predictive(
        information_value=r.number(d.get("information_value"), f"{where}.information_value"),
        lr_p_value=r.number(d.get("lr_p_value"), f"{where}.lr_p_value"),
        q_value=r.number(d.get("q_value"), f"{where}.q_value"),
        win_rate_by_value=tuple(rates), kind=r.text(d.get("kind", "unknown"), f"{where}.kind"),
        leads=r.integer(d.get("leads", 0), f"{where}.leads"),
        codes=r.texts(d.get("codes", []), f"{where}.codes"))


def _test_plan(r: _Reader, v: Any, where: str) -> TestPlan:
    """A test plan; the by-week keys are optional (evidence written before they existed)."""
    p = r.obj(v, where)
    feasible = p.get("feasible")
    by_week = []
    for j, x in enumerate(r.lst(p.get("detectable_by_week", []), f"{where}.detectable_by_week")):
        w = f"{where}.detectable_by_week[{j}]"
        x = r.obj(x, w)
        by_week.append(DetectableAt(
            weeks=r.integer(r.need(x, "weeks", w), f"{w}.weeks"),
            days_until_readout=r.integer(r.need(x, "days_until_readout", w),
                                         f"{w}.days_until_readout"),
            wins_per_1k_views=r.number(x.get("wins_per_1k_views"), f"{w}.wins_per_1k_views"),
            conversion_pp=r.number(x.get("conversion_pp"), f"{w}.conversion_pp")))
    return TestPlan(
        views_per_arm=r.integer(r.need(p, "views_per_arm", where), f"{where}.views_per_arm"),
        days=r.opt_integer(p.get("days"), f"{where}.days"),
        weekly_views=r.number(p.get("weekly_views"), f"{where}.weekly_views"),
        horizon_days=r.opt_integer(p.get("horizon_days"), f"{where}.horizon_days"),
        weeks_to_detect_margin=r.number(p.get("weeks_to_detect_margin"),
                                        f"{where}.weeks_to_detect_margin"),
        feasible=None if feasible is None else r.flag(feasible, f"{where}.feasible"),
        feasible_margin_12_weeks=r.number(p.get("feasible_margin_12_weeks"),
                                          f"{where}.feasible_margin_12_weeks"),
        detectable_by_week=tuple(by_week),
        interval="sequential" if r.text(p.get("interval", "fixed"), f"{where}.interval")
        == "sequential" else "fixed",
        n_star=r.opt_integer(p.get("n_star"), f"{where}.n_star"))


_FIELD_KEYS = {"field", "forms", "protected", "required", "fill_rate", "junk_rate",
               "drop_effect", "predictive", "verdict", "reason", "test_plan", "reason_code",
               "margin_wins_per_1k", "reason_data"}


def _field(r: _Reader, v: Any, i: int) -> FieldResult:
    where = f"fields[{i}]"
    d = r.obj(v, where)
    name = r.text(r.need(d, "field", where), f"{where}.field")
    where = f"fields[{i}] ({name})"
    plan_raw = d.get("test_plan")
    plan = None if plan_raw is None else _test_plan(r, plan_raw, f"{where}.test_plan")
    # keys added to FieldResult later (plain JSON values) pass through unchanged
    extra: dict[str, Any] = {
        f.name: (tuple(d[f.name]) if isinstance(d[f.name], list) else d[f.name])
        for f in dc_fields(FieldResult) if f.name in d and f.name not in _FIELD_KEYS}
    code = d.get("reason_code")
    return FieldResult(
        reason_code=None if code is None else r.text(code, f"{where}.reason_code"),
        margin_wins_per_1k=r.number(d.get("margin_wins_per_1k_views"),
                                    f"{where}.margin_wins_per_1k_views"),
        field=name, forms=r.texts(r.need(d, "forms", where), f"{where}.forms"),
        protected=r.flag(d.get("protected", False), f"{where}.protected"),
        required=r.flag(d.get("required", True), f"{where}.required"),
        fill_rate=r.number(d.get("fill_rate"), f"{where}.fill_rate"),
        junk_rate=r.number(d.get("junk_rate"), f"{where}.junk_rate"),
        drop_effect=_drop_effect(r, r.need(d, "drop_effect", where), f"{where}.drop_effect"),
        predictive=_predictive(r, d.get("predictive", {}), f"{where}.predictive"),
        verdict=r.choice(r.need(d, "verdict", where), f"{where}.verdict",
                         VERDICTS),  # type: ignore[arg-type]
        reason=r.text(d.get("reason", ""), f"{where}.reason"), test_plan=plan, **extra)


def _form(r: _Reader, v: Any, i: int) -> FormSummary:
    where = f"forms[{i}]"
    d = r.obj(v, where)
    return FormSummary(
        form_id=r.text(r.need(d, "form_id", where), f"{where}.form_id"),
        views=r.opt_integer(d.get("views"), f"{where}.views"),
        submissions=r.integer(d.get("submissions", 0), f"{where}.submissions"),
        conversion_rate=r.number(d.get("conversion_rate"), f"{where}.conversion_rate"),
        ci_low=r.number(d.get("ci_low"), f"{where}.ci_low"),
        ci_high=r.number(d.get("ci_high"), f"{where}.ci_high"),
        experiment=r.opt_text(d.get("experiment"), f"{where}.experiment"),
        fields=r.texts(d.get("fields", []), f"{where}.fields"),
        views_per_day=r.number(d.get("views_per_day"), f"{where}.views_per_day"))


def _accounting(r: _Reader, v: Any, where: str) -> None:
    d = r.obj(v, where)
    r.integer(d.get("rows_read", 0), f"{where}.rows_read")
    r.integer(d.get("rows_used", 0), f"{where}.rows_used")
    for k, n in r.obj(d.get("excluded", {}), f"{where}.excluded").items():
        r.integer(n, f"{where}.excluded.{k}")


def _models(r: _Reader, models: Mapping[str, Any]) -> None:
    """Check the parts of ``models`` that `check` reads; other keys pass through."""
    for i, c in enumerate(r.lst(models.get("srm", []), "models.srm")):
        w = f"models.srm[{i}]"
        c = r.obj(c, w)
        r.text(c.get("experiment", ""), f"{w}.experiment")
        r.text(c.get("status", ""), f"{w}.status")
        r.number(c.get("p_value"), f"{w}.p_value")
        r.number(c.get("chi2"), f"{w}.chi2")
        for j, x in enumerate(r.lst(c.get("variants", []), f"{w}.variants")):
            x = r.obj(x, f"{w}.variants[{j}]")
            r.text(x.get("form_id", ""), f"{w}.variants[{j}].form_id")
            r.opt_integer(x.get("views"), f"{w}.variants[{j}].views")
            for k in ("planned_share", "observed_share"):
                r.number(x.get(k), f"{w}.variants[{j}].{k}")
    for k, reason in r.obj(models.get("protected", {}), "models.protected").items():
        r.text(reason, f"models.protected.{k}")
    r.opt_integer(models.get("horizon_days"), "models.horizon_days")
    r.opt_text(models.get("horizon_basis"), "models.horizon_basis")
    fits = {"models.conversion": models.get("conversion")}
    if "wins" in models:
        wins = r.obj(models["wins"], "models.wins")
        fits["models.wins.wins_per_1k_views"] = wins.get("wins_per_1k_views")
        r.opt_integer(wins.get("horizon_days"), "models.wins.horizon_days")
    for where, fit in fits.items():
        if fit is not None:
            _fit(r, fit, where)


def _fit(r: _Reader, v: Any, where: str) -> None:
    d = r.obj(v, where)
    r.number(d.get("scale"), f"{where}.scale")
    for i, b in enumerate(r.lst(d.get("blocks", []), f"{where}.blocks")):
        w = f"{where}.blocks[{i}]"
        b = r.obj(b, w)
        if b.get("status") != "fitted":
            continue
        r.texts(r.need(b, "field_columns", w), f"{w}.field_columns")
        r.texts(r.need(b, "columns", w), f"{w}.columns")
        for j, x in enumerate(r.lst(r.need(b, "coef", w), f"{w}.coef")):
            r.number(x, f"{w}.coef[{j}]")
        r.lst(r.need(b, "covariances", w), f"{w}.covariances")
        r.lst(b.get("null_space", []), f"{w}.null_space")
        for j, p in enumerate(r.lst(b.get("profiles", []), f"{w}.profiles")):
            p = r.obj(p, f"{w}.profiles[{j}]")
            r.text(r.need(p, "form_id", f"{w}.profiles[{j}]"), f"{w}.profiles[{j}].form_id")
            r.texts(r.need(p, "fields", f"{w}.profiles[{j}]"), f"{w}.profiles[{j}].fields")
            r.number(r.need(p, "trials", f"{w}.profiles[{j}]"), f"{w}.profiles[{j}].trials")
