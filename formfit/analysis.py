"""The pipeline: inputs -> cells -> models -> verdicts -> one AnalysisResult (analyze),
or loaded inputs -> accounting only -> a ValidationResult (validate).

This module wires the stages together and owns nothing statistical itself: every number comes
from `formfit.models.*`, every verdict from `formfit.decide`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

import pandas as pd

from formfit.config import Settings
from formfit.inputs import Inputs, Notice
from formfit.progress import step
from formfit.results import (
    AnalysisResult,
    DropEffect,
    Estimate,
    FieldResult,
    FormSummary,
    Predictive,
    ValidationResult,
    null_estimate,
)


def shown_matrix(inputs: Inputs, versions: pd.Series) -> pd.DataFrame:
    """Boolean frame (leads x fields): was the field on the form version each lead submitted?"""
    subs = inputs.submissions
    out = pd.DataFrame(False, index=subs.index, columns=list(inputs.fields))
    keys = pd.DataFrame({"form_id": subs["form_id"].astype(str), "version": versions})
    groups = keys.groupby(["form_id", "version"], sort=True).groups
    for key, idx in groups.items():
        form_id, version = cast(tuple[Any, Any], key)
        shown = [f for f in inputs.forms.fields_at(form_id, version) if f in out.columns]
        if shown:
            out.loc[idx, shown] = True
    return out


def _forms_showing(inputs: Inputs, field: str) -> tuple[str, ...]:
    return tuple(fid for fid, spec in inputs.forms.forms.items() if field in spec.all_fields())


def _required_anywhere(inputs: Inputs, field: str) -> bool:
    return any(field in v.required() for spec in inputs.forms.forms.values()
               for v in spec.versions)


def _dedupe(notices: Sequence[Notice]) -> tuple[dict[str, Any], ...]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for n in notices:
        seen.setdefault((n.code, n.message), n.to_dict())
    return tuple(seen.values())


def run_analysis(inputs: Inputs, settings: Settings) -> AnalysisResult:
    """Fit every model on the loaded inputs and decide a verdict per field."""
    from formfit import __version__
    from formfit.decide import FieldContext, decide
    from formfit.leads import lead_outcomes
    from formfit.models.forms_summary import form_summaries
    from formfit.models.predictive import FieldAssessment, assess_fields

    notices: list[Notice] = list(inputs.notices)
    fields = list(inputs.fields)
    segments = list(inputs.segments)
    models: dict[str, Any] = {}

    # Friction: conversion per view, from the views' cells.
    conv: Mapping[str, Any] = {}
    cells = None
    if inputs.view_counts is not None and len(inputs.view_counts):
        from formfit.aggregate import view_cells
        from formfit.models.effects import drop_effects

        cells = view_cells(inputs)
        step("Fitting the conversion model")
        conv_fit = drop_effects(cells, successes="submissions", trials="views",
                                forms=inputs.forms, fields=fields, segments=segments, scale=100.0)
        conv = conv_fit.effects
        notices += conv_fit.notices
        models["conversion"] = conv_fit.model
        step("Checking sample ratios")
        srm, check_notices = view_checks(inputs, cells)
        models["srm"] = srm
        notices += check_notices
    else:
        what = ("No views file" if inputs.view_counts is None else
                "The views file has no usable rows (see its row accounting)")
        notices.append(Notice("NO_VIEWS", f"{what}: conversion effects and wins per "
                              "1,000 views cannot be estimated; win rates per submission can."))

    # Qualification: which leads are won within h, and the effects of presence on winning.
    step("Judging leads against their deals")
    outcomes = lead_outcomes(inputs, settings)
    notices += outcomes.notices
    wins_effects = None
    if inputs.deals is not None:
        from formfit.models.wins import win_effects

        step("Fitting the win models")
        wins_effects = win_effects(
            outcomes.cells, outcomes.timing, cells, forms=inputs.forms, fields=fields,
            horizon_days=outcomes.horizon_days,
            # one kind of evidence per field: its won deals from the comparison its
            # conversion effect rests on, or null until that comparison's deals are in
            tiers={f: e.tier for f, e in conv.items() if e.tier},
            info={"horizon_basis": outcomes.horizon_basis, "maturity_window": outcomes.window,
                  "held_out": dict(outcomes.held_out), "revenue_cap": outcomes.revenue_cap,
                  # Aalen-Johansen P(won within h) per form and version beside the maturity
                  # cut-off's rate: a check on the completion factors' shared timing
                  "cumulative_incidence": outcomes.cif_records()})
        notices += wins_effects.notices
        models["wins"] = wins_effects.model

    # the rest reads two of the per-lead columns: the others (0.2 GB at 2.3M leads) go now
    versions, won = outcomes.leads["version"], outcomes.leads["won"]
    outcomes = replace(outcomes, leads=pd.DataFrame({"version": versions, "won": won}))
    shown = shown_matrix(inputs, versions)
    step("Measuring what field values predict")
    assessed = assess_fields(inputs.submissions, fields, shown, won,
                             outcomes_given=inputs.deals is not None)
    for assessment in assessed.values():
        notices += assessment.notices

    results: list[FieldResult] = []
    contexts: dict[str, FieldContext] = {}
    experiments_of: dict[str, dict[str, tuple[str, ...]]] = {}
    for f in inputs.forms.shown_fields():
        c = conv.get(f)
        wr = wins_effects.win_rate.get(f) if wins_effects else None
        wv = wins_effects.wins_per_1k.get(f) if wins_effects else None
        rev = wins_effects.revenue_per_1k.get(f) if wins_effects else None
        # revenue per view is wins per view times deal size: it rests on the same experiments
        experiments_of[f] = {"conversion_pp": c.experiments if c else (),
                             "win_rate_pp": wr.experiments if wr else (),
                             "wins_per_1k_views": wv.experiments if wv else (),
                             "revenue_per_1k_views": wv.experiments if wv else ()}
        basis_fit = c or wr
        evidence = basis_fit.evidence if basis_fit else "none"
        drop = DropEffect(
            evidence=evidence,
            aliased_with=tuple(basis_fit.aliased_with) if basis_fit else (),
            group=tuple(basis_fit.group) if basis_fit else (),
            basis=basis_fit.basis if basis_fit else "",
            conversion_pp=c.estimate if c else null_estimate("NO_VIEWS"),
            win_rate_pp=wr.estimate if wr else null_estimate("NO_OUTCOMES"),
            wins_per_1k_views=(wv.estimate if wv else
                               null_estimate("NO_VIEWS" if cells is None else "NO_OUTCOMES",
                                             with_p=False)),
            revenue_per_1k_views=rev if isinstance(rev, Estimate) else
            null_estimate("NO_VIEWS" if cells is None else "NO_OUTCOMES"
                          if wins_effects is None else "NO_AMOUNTS", with_p=False),
        )
        a: FieldAssessment | None = assessed.get(f)
        results.append(FieldResult(
            field=f,
            forms=_forms_showing(inputs, f),
            protected=inputs.forms.is_protected(f),
            required=_required_anywhere(inputs, f),
            fill_rate=a.fill_rate if a else None,
            junk_rate=a.junk_rate if a else None,
            drop_effect=drop,
            predictive=a.predictive if a else Predictive(codes=("NOT_IN_DATA",)),
        ))
        baseline = wins_effects.baseline_wins_per_1k.get(f) if wins_effects else None
        if baseline is None and wins_effects is not None:
            baseline = _observed_wins_per_1k(wins_effects.mature_view_cells, inputs, f)
        contexts[f] = FieldContext(
            baseline_wins_per_1k=baseline,
            baseline_conversion_pct=_conversion_pct(c, cells, inputs, f),
            daily_views=_daily_views(cells, inputs, f),
            horizon_days=outcomes.horizon_days,
            protected_reason=(inputs.forms.fields[f].protected
                              if f in inputs.forms.fields else None),
        )
    # watched experiments: their effects get confidence sequences before anything is decided
    from formfit.watch import watch_experiments, widen_field

    watches, watch_notices = watch_experiments(
        inputs, sequential_flag=settings.sequential, as_of=outcomes.as_of, results=results,
        experiments_of=experiments_of, margin=settings.margin,
        baselines={f: ctx.baseline_wins_per_1k for f, ctx in contexts.items()})
    notices += watch_notices
    results = [widen_field(r, experiments_of.get(r.field, {}), watches) for r in results]
    step("Deciding verdicts")
    decided = decide(results, margin=settings.margin, context=contexts)

    protected_reasons = {n: s.protected for n, s in inputs.forms.fields.items() if s.protected}
    models["protected"] = protected_reasons
    models["horizon_days"] = outcomes.horizon_days
    models["horizon_basis"] = outcomes.horizon_basis
    subs_per_form = inputs.submissions.groupby("form_id", sort=True).size()
    forms: tuple[FormSummary, ...] = form_summaries(inputs.view_counts, subs_per_form, inputs.forms)
    accounting = {role: acc.to_dict() for role, acc in inputs.accounting.items()}
    if "submissions" in accounting:
        # young leads are in the win models (weighted by their completion); they are held
        # out only of the maturity cut-off check and the predictive measures
        accounting["submissions"]["held_out_from_win_analysis"] = dict(sorted(
            (k, v) for k, v in outcomes.held_out.items() if k != "too_young"))
        if outcomes.held_out.get("too_young"):
            models.setdefault("wins", {})["leads_younger_than_h"] = outcomes.held_out[
                "too_young"]
    settings_dict = settings.to_dict()
    settings_dict["maturity_days_used"] = outcomes.horizon_days
    settings_dict["forms_inferred"] = inputs.forms.inferred
    return AnalysisResult(
        formfit_version=__version__,
        as_of=outcomes.as_of.isoformat() if outcomes.as_of else None,
        settings=settings_dict,
        inputs=accounting,
        forms=forms,
        fields=tuple(decided),
        warnings=_dedupe(notices),
        models=models,
        experiments=tuple(w.to_dict() for w in watches.values()),
    )


def _showing(cells: pd.DataFrame, inputs: Inputs, field: str) -> pd.Series:
    """Which cells' form version shows the field."""
    mask = inputs.forms.shown_mask(cells["form_id"], cells["version"], field)
    return pd.Series(mask, index=cells.index, dtype=bool)


def _observed_wins_per_1k(cells: pd.DataFrame | None, inputs: Inputs, field: str
                          ) -> float | None:
    """Observed won deals per 1,000 mature views on the form versions that show the field:
    the baseline a test of removing it would start from (description, not an effect)."""
    if cells is None or not len(cells) or "wins" not in cells:
        return None
    sub = cells[_showing(cells, inputs, field)]
    views = float(sub["views"].sum())
    return 1000.0 * float(sub["wins"].sum()) / views if views > 0 else None


def _conversion_pct(effect: Any, cells: pd.DataFrame | None, inputs: Inputs, field: str
                    ) -> float | None:
    """Submissions per 100 views with the field: the conversion model's baseline over the
    cells its effect averages (scale 100), else the observed rate on the form versions that
    show it (the baseline a test of removing it would start from)."""
    base = getattr(effect, "baseline", None)
    if base is not None and math.isfinite(base) and 0 < base < 100:
        return float(base)
    if cells is None or not len(cells) or "submissions" not in cells:
        return None
    sub = cells[_showing(cells, inputs, field)]
    views = float(sub["views"].sum())
    rate = 100.0 * float(sub["submissions"].sum()) / views if views > 0 else None
    return rate if rate is not None and 0 < rate < 100 else None


def _daily_views(cells: pd.DataFrame | None, inputs: Inputs, field: str) -> float | None:
    """Mean daily views, over the last 28 days of data, of the forms that show the field
    (in any version: a test would put it back where it was)."""
    if cells is None or not len(cells):
        return None
    forms = [fid for fid, spec in inputs.forms.forms.items() if field in spec.all_fields()]
    sub = cells[cells["form_id"].isin(forms)]
    if not len(sub) or sub["date"].isna().all():
        return None
    last = sub["date"].max()
    recent = sub[sub["date"] > last - pd.Timedelta(days=28)]
    days = recent["date"].nunique()
    return float(recent["views"].sum()) / days if days else None


def view_checks(inputs: Inputs, cells: pd.DataFrame | None = None
                ) -> tuple[list[dict[str, Any]], list[Notice]]:
    """The checks of the views against the plan and the submissions, for analyze and validate
    alike: sample ratios per experiment, then views without submissions
    (:mod:`formfit.models.srm`). ``cells``: the view cells when already made."""
    if inputs.view_counts is None or not len(inputs.view_counts):
        return [], []
    from formfit.aggregate import view_cells
    from formfit.models.srm import sample_ratio_checks, views_without_submissions

    srm, notices = sample_ratio_checks(inputs.view_counts, inputs.forms)
    cells = view_cells(inputs) if cells is None else cells
    return srm, notices + views_without_submissions(cells, inputs.forms)


def validation_result(inputs: Inputs, settings: Settings) -> ValidationResult:
    """What `formfit validate` reports: row accounting, forms and fields seen, warnings."""
    from formfit import __version__

    forms: list[dict[str, Any]] = []
    for form_id in sorted(inputs.forms.forms):
        spec = inputs.forms.forms[form_id]
        forms.append({
            "form_id": form_id,
            "experiment": spec.experiment,
            "traffic": spec.traffic,
            "versions": [{"since": v.since.isoformat() if v.since else None,
                          "fields": list(v.fields), "optional": list(v.optional)}
                         for v in spec.versions],
        })
    return ValidationResult(
        formfit_version=__version__,
        settings=settings.to_dict(),
        inputs={role: acc.to_dict() for role, acc in inputs.accounting.items()},
        forms=tuple(forms),
        fields=tuple(inputs.fields),
        forms_inferred=inputs.forms.inferred,
        warnings=tuple(n.to_dict() for n in [*inputs.notices, *view_checks(inputs)[1]]),
    )
