"""Per-form totals: views, submissions and the conversion rate with its Wilson 95% interval.

``conversion_rate`` is submissions per view from the views input (the same counts the friction
model uses); ``submissions`` is the number of analysed submissions of the form in the
submissions input. Without views, ``views`` and ``conversion_rate`` are None: never invented.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from formfit.inputs import FormsConfig
from formfit.models.stats import wilson
from formfit.results import FormSummary


def form_summaries(view_counts: pd.DataFrame | None,
                   submissions_per_form: Mapping[str, int] | pd.Series,
                   forms: FormsConfig) -> tuple[FormSummary, ...]:
    """One summary per form: forms-config order, then forms seen only in the data (sorted)."""
    subs = {str(k): int(v) for k, v in dict(submissions_per_form).items()}
    views: dict[str, int] = {}
    converted: dict[str, int] = {}
    if view_counts is not None and not view_counts.empty:
        g = view_counts.groupby(view_counts["form_id"].astype(str))
        views = {str(k): int(v) for k, v in g["views"].sum().items()}
        if "submissions" in view_counts.columns:
            converted = {str(k): int(v) for k, v in g["submissions"].sum().items()}
        per_day = _recent_daily(view_counts)
    else:
        per_day = {}
    order = list(forms.forms) + sorted((set(subs) | set(views)) - set(forms.forms))
    out = []
    for form_id in order:
        spec = forms.forms.get(form_id)
        n = views.get(form_id)
        rate = lo = hi = None
        if view_counts is not None and n:
            k = converted.get(form_id, 0)
            rate = k / n
            lo, hi = wilson(k, n)
        out.append(FormSummary(
            form_id=form_id, views=n if view_counts is not None and n is not None else None,
            submissions=subs.get(form_id, 0), conversion_rate=rate, ci_low=lo, ci_high=hi,
            experiment=spec.experiment if spec else None,
            fields=spec.versions[-1].fields if spec and spec.versions else (),
            views_per_day=per_day.get(form_id)))
    return tuple(out)


def _recent_daily(view_counts: pd.DataFrame) -> dict[str, float]:
    """Per form, mean daily views over the last 28 days of the form's data (the rule test
    plans use): today's traffic, which `formfit design` sizes experiments with. Forms without
    dates get none."""
    if "date" not in view_counts.columns:
        return {}
    dated = view_counts[view_counts["date"].notna()]
    out: dict[str, float] = {}
    for form_id, sub in dated.groupby(dated["form_id"].astype(str)):
        last = sub["date"].max()
        recent = sub[sub["date"] > last - pd.Timedelta(days=28)]
        days = recent["date"].nunique()
        if days:
            out[str(form_id)] = float(recent["views"].sum()) / days
    return out
