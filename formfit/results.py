"""Result objects: frozen dataclasses whose ``to_dict()`` is the contract's JSON result.

Every renderer takes an :class:`AnalysisResult` (or its dict) and nothing else. Numbers are
rounded to 6 significant digits on serialisation so that the JSON is byte-identical across runs
and platforms; NaN and infinities never reach JSON (they become ``null``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as _field  # FieldResult has an attribute named `field`
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

Evidence = Literal["randomized", "observational", "aliased", "none"]
Verdict = Literal["drop", "keep", "make_optional", "test", "protected"]
IntervalKind = Literal["fixed", "sequential"]
VERDICT_ORDER: tuple[str, ...] = ("keep", "make_optional", "test", "drop", "protected")


def clean_number(x: Any) -> Any:
    """Round floats to 6 significant digits; NaN/inf -> None; numpy scalars -> Python."""
    if x is None or isinstance(x, bool):
        return x
    if hasattr(x, "item") and not isinstance(x, (list, tuple, dict)):
        x = x.item()
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        return float(f"{x:.6g}") if x != 0 else 0.0
    return x


def clean(obj: Any) -> Any:
    """Recursively make an object JSON-ready and deterministic."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        return clean(obj.to_dict())
    return clean_number(obj)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% interval; all None when it cannot be estimated."""

    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    code: str | None = None  # why it is null, or a caveat: NO_VARIATION, NO_VIEWS, ...
    with_p: bool = True  # conversion_pp / win_rate_pp carry a p-value key; the others do not
    # degrees of freedom of the t quantile behind the interval (None: normal). Not in the JSON:
    # the drop rule's one-sided p-value needs it to stay exact under Holm (formfit.decide)
    df: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"estimate": self.estimate, "ci_low": self.ci_low,
                             "ci_high": self.ci_high}
        if self.with_p:
            d["p_value"] = self.p_value
        if self.code:
            d["code"] = self.code
        return d

    @property
    def known(self) -> bool:
        return self.estimate is not None and self.ci_low is not None and self.ci_high is not None


def null_estimate(code: str, with_p: bool = True) -> Estimate:
    return Estimate(code=code, with_p=with_p)


@dataclass(frozen=True)
class DropEffect:
    evidence: Evidence = "none"
    aliased_with: tuple[str, ...] = ()
    conversion_pp: Estimate = field(default_factory=lambda: null_estimate("NO_VARIATION"))
    win_rate_pp: Estimate = field(default_factory=lambda: null_estimate("NO_VARIATION"))
    wins_per_1k_views: Estimate = field(
        default_factory=lambda: null_estimate("NO_VARIATION", with_p=False))
    revenue_per_1k_views: Estimate = field(
        default_factory=lambda: null_estimate("NO_VARIATION", with_p=False))
    # what the numbers rest on, in words (e.g. "randomized: experiment demo, 2 variants")
    basis: str = ""
    # for aliased fields: the joint effect of removing the whole group
    group: tuple[str, ...] = ()
    # "sequential": the intervals are confidence sequences of a watched experiment (valid at
    # every look); "fixed": fixed-horizon 95% intervals (valid for one look)
    interval: IntervalKind = "fixed"
    # for sequential intervals: the experiment, its size n, N*, rho, days running, planned days
    sequential: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "evidence": self.evidence,
            "aliased_with": list(self.aliased_with),
            "basis": self.basis,
            "interval": self.interval,
            "conversion_pp": self.conversion_pp.to_dict(),
            "win_rate_pp": self.win_rate_pp.to_dict(),
            "wins_per_1k_views": self.wins_per_1k_views.to_dict(),
            "revenue_per_1k_views": self.revenue_per_1k_views.to_dict(),
        }
        if self.sequential is not None:
            out["sequential"] = dict(self.sequential)
        return out


@dataclass(frozen=True)
class ValueRate:
    value: str
    leads: int
    wins: int
    win_rate: float | None
    ci_low: float | None
    ci_high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "leads": self.leads, "wins": self.wins,
                "win_rate": self.win_rate, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True)
class Predictive:
    information_value: float | None = None
    lr_p_value: float | None = None
    q_value: float | None = None
    win_rate_by_value: tuple[ValueRate, ...] = ()
    kind: str = "unknown"  # categorical | numeric | text | personal | constant
    leads: int = 0  # mature leads this rests on
    codes: tuple[str, ...] = ()  # SMALL_SAMPLE, SEPARATION, POSSIBLE_LEAKAGE, NO_OUTCOMES, ...

    def to_dict(self) -> dict[str, Any]:
        return {
            "information_value": self.information_value,
            "lr_p_value": self.lr_p_value,
            "q_value": self.q_value,
            "kind": self.kind,
            "leads": self.leads,
            "codes": list(self.codes),
            "win_rate_by_value": [v.to_dict() for v in self.win_rate_by_value],
        }


@dataclass(frozen=True)
class DetectableAt:
    """What a test of ``weeks`` of today's traffic (two equal arms) can detect, 80% power."""

    weeks: int
    days_until_readout: int  # weeks of traffic + the maturity window for deals to close
    wins_per_1k_views: float | None  # smallest detectable change in won deals per 1,000 views
    conversion_pp: float | None  # smallest detectable change in conversion, pp

    def to_dict(self) -> dict[str, Any]:
        return {"weeks": self.weeks, "days_until_readout": self.days_until_readout,
                "wins_per_1k_views": self.wins_per_1k_views, "conversion_pp": self.conversion_pp}


@dataclass(frozen=True)
class TestPlan:
    """The A/B test that would settle a field (80% power, 5% two-sided, at the margin).

    ``views_per_arm`` and ``days`` are the contract's; the rest (None / empty when the traffic
    or a baseline is unknown, and in evidence files written before they existed) put it in
    weeks: what each runtime detects, how long the margin takes, and whether that is feasible.
    """

    views_per_arm: int
    days: int | None  # None when the forms' traffic is unknown
    weekly_views: float | None = None  # today's views per week of the forms (both arms)
    horizon_days: int | None = None  # maturity window added to the calendar time
    weeks_to_detect_margin: float | None = None  # weeks of traffic for views_per_arm per arm
    feasible: bool | None = None  # weeks_to_detect_margin <= FEASIBLE_WEEKS
    feasible_margin_12_weeks: float | None = None  # wins per 1k that 12 weeks would detect
    detectable_by_week: tuple[DetectableAt, ...] = ()
    # "sequential": sized to be read with the confidence sequence of a watched experiment
    interval: Literal["fixed", "sequential"] = "fixed"
    n_star: int | None = None  # that sequence's tuning size (total views), when sequential

    def to_dict(self) -> dict[str, Any]:
        watched = ({"interval": self.interval, "n_star": self.n_star}
                   if self.interval == "sequential" else {})
        return {"views_per_arm": self.views_per_arm, "days": self.days,
                "weekly_views": self.weekly_views, "horizon_days": self.horizon_days,
                "weeks_to_detect_margin": self.weeks_to_detect_margin,
                "feasible": self.feasible,
                "feasible_margin_12_weeks": self.feasible_margin_12_weeks,
                "detectable_by_week": [d.to_dict() for d in self.detectable_by_week],
                **watched}


@dataclass(frozen=True)
class FieldResult:
    field: str
    forms: tuple[str, ...]
    protected: bool = False
    required: bool = True  # required on at least one form that shows it
    fill_rate: float | None = None
    junk_rate: float | None = None
    drop_effect: DropEffect = _field(default_factory=DropEffect)
    predictive: Predictive = _field(default_factory=Predictive)
    verdict: Verdict = "test"
    reason: str = ""  # a sentence given as such (e.g. read back from JSON); else from the code
    test_plan: TestPlan | None = None
    # the non-inferiority margin in won deals per 1,000 views that decided this field
    margin_wins_per_1k: float | None = None
    # why, as a stable code with its numbers (decide); renderers write the sentence
    reason_code: str | None = None
    reason_data: Mapping[str, Any] = _field(default_factory=dict)

    @property
    def reason_text(self) -> str:
        """The reason as one sentence a marketer can read."""
        if self.reason or self.reason_code is None:
            return self.reason
        # The sentence is written where every format's words are (renderers), with one number
        # formatter; imported here lazily so that to_dict() still carries the contract's
        # sentence.
        from formfit.renderers.reasons import reason_sentence

        return reason_sentence(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "forms": list(self.forms),
            "protected": self.protected,
            "required": self.required,
            "fill_rate": self.fill_rate,
            "junk_rate": self.junk_rate,
            "drop_effect": self.drop_effect.to_dict(),
            "predictive": self.predictive.to_dict(),
            "verdict": self.verdict,
            "reason": self.reason_text,
            "reason_code": self.reason_code,
            "margin_wins_per_1k_views": self.margin_wins_per_1k,
            "test_plan": self.test_plan.to_dict() if self.test_plan else None,
        }


@dataclass(frozen=True)
class FormSummary:
    form_id: str
    views: int | None
    submissions: int
    conversion_rate: float | None
    ci_low: float | None = None  # Wilson 95%
    ci_high: float | None = None
    experiment: str | None = None
    fields: tuple[str, ...] = ()  # fields shown (latest version)
    # mean daily views over the last 28 days of data: today's traffic, to size experiments
    views_per_day: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"form_id": self.form_id, "views": self.views, "submissions": self.submissions,
               "conversion_rate": self.conversion_rate, "ci_low": self.ci_low,
               "ci_high": self.ci_high, "experiment": self.experiment,
               "fields": list(self.fields)}
        if self.views_per_day is not None:  # absent without dated views (and in old evidence)
            out["views_per_day"] = self.views_per_day
        return out


@dataclass(frozen=True)
class AnalysisResult:
    formfit_version: str
    as_of: str | None
    settings: Mapping[str, Any]
    inputs: Mapping[str, Any]  # role -> accounting dict
    forms: tuple[FormSummary, ...]
    fields: tuple[FieldResult, ...]
    warnings: tuple[Mapping[str, Any], ...] = ()
    models: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    # experiments watched with confidence sequences (formfit.watch.Watch.to_dict()): name,
    # started, days running, size so far, n_star and where it came from, planned days
    experiments: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = clean({
            "schema_version": self.schema_version,
            "formfit_version": self.formfit_version,
            "as_of": self.as_of,
            "settings": self.settings,
            "inputs": self.inputs,
            "forms": [f.to_dict() for f in self.forms],
            "fields": [f.to_dict() for f in self.fields],
            "experiments": list(self.experiments),
            "warnings": list(self.warnings),
            "models": self.models,
        })
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    # -- read back (issue 10): typed views of the parts the JSON keeps as mappings ----------
    @classmethod
    def from_dict(cls, data: Any, source: str = "evidence") -> AnalysisResult:
        """The inverse of :meth:`to_dict`: a result from its JSON, every key type-checked
        (:class:`formfit.evidence.EvidenceError` names the key and the type expected)."""
        from formfit.evidence import result_from_dict

        return result_from_dict(data, source)

    @property
    def notices(self) -> tuple[Notice, ...]:
        """The coded warnings, typed."""
        return tuple(Notice.from_dict(w) for w in self.warnings)

    @property
    def accounting(self) -> dict[str, InputAccounting]:
        """Input role -> where its rows went, typed."""
        return {role: InputAccounting.from_dict(role, acc) for role, acc in self.inputs.items()}

    @property
    def srm_checks(self) -> tuple[SrmCheck, ...]:
        """The sample-ratio checks, one per experiment, typed."""
        return tuple(SrmCheck.from_dict(c) for c in self.models.get("srm") or ())

    @property
    def horizon(self) -> Horizon:
        """The win horizon h the result rests on (read from ``models``, one place)."""
        return Horizon.from_models(self.models, self.settings)

    def to_frame(self) -> pd.DataFrame:
        """One row per field, indexed by field: estimates, 95% intervals, p-values, margin,
        verdict and evidence (ordered categoricals), ``forms`` as a list."""
        from formfit.result_frame import to_frame

        return to_frame(self)

    def __getitem__(self, name: str) -> FieldResult:
        """``result["phone"]``: the field's result; raises UnknownField (a KeyError)."""
        for f in self.fields:
            if f.field == name:
                return f
        from formfit.errors import UnknownField, closest

        near = closest(str(name), [f.field for f in self.fields])
        raise UnknownField(f"no field named {name!r} in this result.",
                           f"Did you mean {near[0]!r}?" if near else
                           "See result.to_frame().index for the fields.")

    def __contains__(self, name: object) -> bool:
        return any(f.field == name for f in self.fields)

    def summary(self) -> None:
        """Print a lifelines-style summary: settings, then each field's effects and verdict."""
        from formfit.result_frame import summary_text

        print(summary_text(self), end="")

    def _repr_html_(self) -> str:
        from formfit.result_frame import repr_html

        return repr_html(self)

    def verdict_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.fields:
            counts[f.verdict] = counts.get(f.verdict, 0) + 1
        return counts

    def __repr__(self) -> str:
        c = self.verdict_counts()
        parts = ", ".join(f"{c[v]} {v}" for v in VERDICT_ORDER if c.get(v))
        return f"<AnalysisResult: {len(self.fields)} fields{', ' + parts if parts else ''}>"


@dataclass(frozen=True)
class ValidationResult:
    """What `formfit validate` reports: accounting, forms and fields seen, and warnings."""

    formfit_version: str
    settings: Mapping[str, Any]
    inputs: Mapping[str, Any]
    forms: tuple[Mapping[str, Any], ...]  # form_id, experiment, versions, fields
    fields: tuple[str, ...]
    forms_inferred: bool
    warnings: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = clean({
            "schema_version": SCHEMA_VERSION,
            "formfit_version": self.formfit_version,
            "settings": self.settings,
            "inputs": self.inputs,
            "forms": list(self.forms),
            "forms_inferred": self.forms_inferred,
            "fields": list(self.fields),
            "warnings": list(self.warnings),
        })
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Typed parts of a result (issue 10). The JSON keeps these as plain objects; these classes are
# how code reads them. Construct them from already validated dicts (formfit.evidence does the
# validating); each to_dict() gives back the JSON it came from.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A coded warning of a result: ``code``, a sentence, and JSON-ready details."""

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Notice:
        return cls(code=str(d.get("code", "")), message=str(d.get("message", "")),
                   details={k: v for k, v in d.items() if k not in ("code", "message")})

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **dict(self.details)}


@dataclass(frozen=True)
class InputAccounting:
    """Where the rows of one input went: ``rows_read == rows_used + sum(excluded)``."""

    role: str
    rows_read: int
    rows_used: int
    excluded: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. held_out_from_win_analysis

    @classmethod
    def from_dict(cls, role: str, d: Mapping[str, Any]) -> InputAccounting:
        known = ("rows_read", "rows_used", "excluded")
        return cls(role=role, rows_read=int(d.get("rows_read", 0)),
                   rows_used=int(d.get("rows_used", 0)),
                   excluded={str(k): int(v) for k, v in (d.get("excluded") or {}).items()},
                   extra={k: v for k, v in d.items() if k not in known})

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + sum(self.excluded.values())

    def to_dict(self) -> dict[str, Any]:
        return {"rows_read": self.rows_read, "rows_used": self.rows_used,
                "excluded": dict(self.excluded), **dict(self.extra)}


@dataclass(frozen=True)
class SrmVariant:
    form_id: str
    views: int | None
    planned_share: float | None
    observed_share: float | None


@dataclass(frozen=True)
class SrmCheck:
    """Views per variant of one experiment against its planned shares (chi-square)."""

    experiment: str
    variants: tuple[SrmVariant, ...]
    chi2: float | None
    p_value: float | None
    status: str  # ok | mismatch | ...

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SrmCheck:
        variants = tuple(SrmVariant(form_id=str(v.get("form_id", "")), views=v.get("views"),
                                    planned_share=v.get("planned_share"),
                                    observed_share=v.get("observed_share"))
                         for v in d.get("variants") or ())
        return cls(experiment=str(d.get("experiment", "")), variants=variants,
                   chi2=d.get("chi2"), p_value=d.get("p_value"),
                   status=str(d.get("status", "")))

    @property
    def mismatch(self) -> bool:
        return self.status == "mismatch"


@dataclass(frozen=True)
class Horizon:
    """h: wins are counted within ``days`` of submission; ``basis`` says where h came from."""

    days: int | None
    basis: str | None

    @classmethod
    def from_models(cls, models: Mapping[str, Any], settings: Mapping[str, Any]) -> Horizon:
        raw = models.get("wins")
        wins: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        days = models.get("horizon_days")
        if days is None:
            days = wins.get("horizon_days", settings.get("maturity_days_used"))
        basis = models.get("horizon_basis", wins.get("horizon_basis"))
        return cls(days=None if days is None else int(days),
                   basis=None if basis is None else str(basis))
