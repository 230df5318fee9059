"""Sample ratio mismatch: did each experiment's variants get the views they were planned to?

For each experiment (forms sharing ``experiment`` in the forms configuration) with at least two
variants and some views, a chi-square goodness-of-fit test of the observed views per variant
against the planned ``traffic`` shares (default: an equal split; variants without a share split
what the others leave; shares are normalised to sum to 1). A p-value below 0.001 (the usual
alarm threshold, as in GrowthBook and Statsig) means the randomization itself is in doubt: a
variant lost or gained views for a reason other than chance (a redirect, a bot filter, a
tracking bug), and the experiment's estimates should not be trusted until that is explained.

Two checks of the same kind look at submissions against views
(:func:`views_without_submissions`): days at the start or end of the views with views but no
submission at all (the exports cover different periods), and forms or form versions with views
but no submission (a submit event that stopped firing). Each is raised only where chance
could not plausibly give the zeros (below 1 in 1,000).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from formfit.inputs import FormsConfig, Notice

SRM_ALPHA = 0.001


def planned_shares(traffic: list[float | None]) -> list[float]:
    """Planned shares for variants, normalised to sum to 1 (None: an equal part of the rest)."""
    given = [t for t in traffic if t is not None and t > 0]
    missing = sum(1 for t in traffic if t is None)
    s = float(sum(given))
    if missing:
        fill = (1.0 - s) / missing if s < 1.0 and given else (
            1.0 / len(traffic) if not given else s / len(given))
        raw = [fill if t is None else max(0.0, float(t)) for t in traffic]
    else:
        raw = [max(0.0, float(t)) for t in traffic if t is not None]
    total = sum(raw)
    return [r / total for r in raw] if total > 0 else [1.0 / len(traffic)] * len(traffic)


def sample_ratio_checks(view_counts: pd.DataFrame | None,
                        forms: FormsConfig) -> tuple[list[dict[str, Any]], list[Notice]]:
    """One check per experiment with views; a SAMPLE_RATIO_MISMATCH notice when p < 0.001."""
    checks: list[dict[str, Any]] = []
    notices: list[Notice] = []
    if view_counts is None or view_counts.empty:
        return checks, notices
    views = view_counts.groupby(view_counts["form_id"].astype(str))["views"].sum()
    experiments: dict[str, list[str]] = {}
    for form_id, spec in forms.forms.items():
        if spec.experiment:
            experiments.setdefault(spec.experiment, []).append(form_id)
    for name in sorted(experiments):
        variants = experiments[name]
        if len(variants) < 2:
            continue
        observed = np.array([float(views.get(v, 0)) for v in variants])
        total = float(observed.sum())
        if total <= 0:
            continue
        shares = planned_shares([forms.forms[v].traffic for v in variants])
        expected = np.array(shares) * total
        ok = expected > 0
        chi2 = float(np.sum((observed[ok] - expected[ok]) ** 2 / expected[ok]))
        if np.any(~ok & (observed > 0)):
            chi2, p = float("inf"), 0.0
        else:
            p = float(stats.chi2.sf(chi2, df=int(ok.sum()) - 1)) if ok.sum() > 1 else 1.0
        status = "mismatch" if p < SRM_ALPHA else "ok"
        rows = [{"form_id": v, "views": int(o), "planned_share": s, "observed_share": o / total}
                for v, o, s in zip(variants, observed, shares, strict=True)]
        checks.append({"experiment": name, "variants": rows,
                       "chi2": chi2 if np.isfinite(chi2) else None, "p_value": p,
                       "status": status})
        if status == "mismatch":
            split = ", ".join(f"{r['form_id']} {r['observed_share']:.1%} (planned "
                              f"{r['planned_share']:.1%})" for r in rows)
            notices.append(Notice(
                "SAMPLE_RATIO_MISMATCH",
                f"Experiment {name}: the views per variant ({split}) are not the planned split "
                f"(chi-square p = {p:.2g}). The randomization is in doubt: do not trust this "
                "experiment's estimates until the split is explained (redirects, bot filters, "
                "tracking that fails on one variant).",
                {"experiment": name, "p_value": p, "chi2": chi2 if np.isfinite(chi2) else None}))
    return checks, notices


#: zero submissions rarer than this by chance is named (the same alarm level as the SRM check)
SILENT_ALPHA = SRM_ALPHA
#: views a form (or version) needs for its conversion rate to serve as a reference
MIN_REFERENCE_VIEWS = 100


def views_without_submissions(cells: pd.DataFrame, forms: FormsConfig) -> list[Notice]:
    """VIEWS_OUTSIDE_SUBMISSIONS for days at either end of the views with no submission on any
    form (:func:`_uncovered_days`); then, within the days the submissions cover,
    NO_SUBMISSIONS_TRACKED for a form, or a form version, with views but no submission.

    Zero submissions is taken as a tracking break (a submit event that stopped firing, a
    renamed form id) when it is this unlikely by chance: (1 - p)^views < 0.001, where p is
    the lowest conversion rate among the other forms (for a version: the form's other
    versions) with at least 100 views. The lowest, so that a form that merely converts less
    than the rest is not flagged. The conversion model would read those zeros as a field that
    stops every submission, so the notice says its estimates should not be trusted."""
    if cells.empty:
        return []
    notices: list[Notice] = []
    if "date" in cells.columns and cells["date"].notna().any():
        window, outside = _uncovered_days(cells)
        notices += outside
        cells = cells.loc[window]
    ids = cells["form_id"].astype(str)
    per_form = cells.groupby(ids)[["views", "submissions"]].sum()
    per_version = cells.groupby([ids, cells["version"]])[["views", "submissions"]].sum()
    flagged: set[str] = set()
    for form_id, row in per_form.iterrows():
        ref = _lowest_rate(per_form.drop(index=form_id))
        if row["submissions"] == 0 and _silent(int(row["views"]), ref):
            flagged.add(str(form_id))
            notices.append(_silent_notice(str(form_id), None, int(row["views"]), ref, forms))
    for form_id, versions in per_version.groupby(level=0):
        if str(form_id) in flagged:
            continue
        by_version = versions.droplevel(0)
        for version, row in by_version.iterrows():
            ref = _lowest_rate(by_version.drop(index=version))
            if row["submissions"] == 0 and _silent(int(row["views"]), ref):
                notices.append(_silent_notice(str(form_id), int(cast(int, version)),
                                              int(row["views"]), ref, forms))
    return notices


def _uncovered_days(cells: pd.DataFrame) -> tuple[pd.Series, list[Notice]]:
    """The cells within the days the submissions cover, and a notice per end of the views
    that runs past them.

    A run of days at the start or the end of the views with views on some form and not one
    submission on any is a sign that the two exports cover different periods (a views export
    taken months after the submissions one): every view in it dilutes the conversion rates.
    It is named when its views, at the conversion rate of the other days, would have brought
    so many submissions that none at all has chance below 1 in 1,000, and it spans at least
    two days (one day can be a time-zone edge). Cells without a date are kept."""
    day = cells["date"]
    per_day = cells.groupby(day)[["views", "submissions"]].sum().sort_index()
    keep = pd.Series(True, index=cells.index)
    converted = per_day.index[per_day["submissions"].to_numpy() > 0]
    if per_day.empty or not len(converted):
        return keep, []
    first, last = converted.min(), converted.max()
    inside = per_day.loc[first:last]
    rate = float(inside["submissions"].sum()) / max(float(inside["views"].sum()), 1.0)
    notices: list[Notice] = []
    for side, part in (("before", per_day.loc[:first].iloc[:-1]),
                       ("after", per_day.loc[last:].iloc[1:])):
        views = int(part["views"].sum())
        days = int(((part.index.max() - part.index.min()).days + 1) if len(part) else 0)
        expected = views * rate
        if days < 2 or not _silent(views, rate):
            continue
        keep &= ~(day.isin(part.index)).to_numpy()
        edge = (first if side == "before" else last).date()
        what = (f"start {days:,} days before the first submission ({edge})" if side == "before"
                else f"go on for {days:,} days after the last submission ({edge})")
        notices.append(Notice(
            "VIEWS_OUTSIDE_SUBMISSIONS",
            f"The views {what}: {views:,} views from {part.index.min().date()} to "
            f"{part.index.max().date()} brought not one submission, where about "
            f"{expected:,.0f} were expected at the conversion rate of the other days. The two "
            "exports probably cover different periods. Those views are still counted, so every "
            "conversion rate and every estimate per view is diluted: export views and "
            "submissions for the same period.",
            {"side": side, "first_day": str(part.index.min().date()),
             "last_day": str(part.index.max().date()), "days": days, "views": views,
             "expected_submissions": round(expected, 1)}))
    return keep, notices


def _lowest_rate(counts: pd.DataFrame) -> float | None:
    big = counts[counts["views"] >= MIN_REFERENCE_VIEWS]
    if big.empty:
        return None
    return float((big["submissions"] / big["views"]).min())


def _silent(views: int, rate: float | None) -> bool:
    """Whether no submission in ``views`` views, each converting at ``rate``, has chance
    (1 - rate)^views below SILENT_ALPHA: the one rule of both checks."""
    return rate is not None and rate > 0 and views > 0 and (
        views * float(np.log1p(-min(rate, 1 - 1e-12))) < float(np.log(SILENT_ALPHA)))


def _silent_notice(form_id: str, version: int | None, views: int, rate: float | None,
                   forms: FormsConfig) -> Notice:
    assert rate is not None
    spec = forms.forms.get(form_id)
    what = f"Form {form_id}"
    if version is not None and spec is not None and version < len(spec.versions):
        since = spec.versions[version].since
        what += f" (its version from {since})" if since else " (its first version)"
    expected = views * rate
    return Notice(
        "NO_SUBMISSIONS_TRACKED",
        f"{what} had {views:,} views but no submission, where even the lowest conversion "
        f"rate of the other {'versions' if version is not None else 'forms'} "
        f"({rate:.2%}) gives about {expected:,.0f}: its submissions are probably not tracked "
        "(a submit event that stopped firing, a renamed form id). The conversion model reads "
        "those zeros as a cost of the fields it shows: check the tracking, or leave those "
        "views out, before trusting those fields' estimates.",
        {"form_id": form_id, "version": version, "views": views,
         "reference_rate": rate})
