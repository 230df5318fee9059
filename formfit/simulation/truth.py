"""The answers: the estimands formfit targets, computed from the generating probabilities.

For a field f (or an aliased group G), V_f is the set of simulated views whose form version
shows f. For each such view v (its own intent, segment and day shock):
p1 = P(submit | v, S), p0 = P(submit | v, S minus G), q1 / q0 = P(win within the horizon |
submitted, v, S / S minus G). Then

    conversion_pp        = 100 * mean_v(p0 - p1)
    win_rate_pp          = 100 * (sum p0 q0 / sum p0  -  sum p1 q1 / sum p1)
    wins_per_1k_views    = 1000 * mean_v(p0 q0 - p1 q1)
    revenue_per_1k_views = wins_per_1k_views * E[amount | won]

Positive conversion_pp: removing the field brings more submissions; negative wins_per_1k_views:
removing it costs sales. These are finite-population averages over the simulated views, not
over realised outcomes, so they carry no outcome noise. q is the *eventual* win probability:
every won deal closes within ``horizon_days``.

The truth within a shorter horizon h (``within_h``, named as such) multiplies every win
quantity by the share of eventual wins that close within h days (:func:`win_timing`): the
timing of wins is the same for every lead. It is given at the horizon by which 98% of eventual
wins have closed, the plateau formfit's horizon aims at; other h: ``win_share_by``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from formfit.simulation.behaviour import (
    FIELD_INDEX,
    FloatArray,
    IntArray,
    Views,
    p_submit,
    q_win,
)
from formfit.simulation.crm import days_to_share, win_share_by
from formfit.simulation.design import FIELDS, FormDesign, WorldParams

WITHIN_H_SHARE = 0.98
WIN_METRICS = ("win_rate_pp", "wins_per_1k_views", "revenue_per_1k_views")

Evidence = tuple[str, tuple[str, ...]]


def within_h_days(params: WorldParams) -> int:
    """The horizon of the ``within_h`` truth: 98% of eventual wins have closed by then."""
    return days_to_share(params.horizon_days, WITHIN_H_SHARE)


def win_timing(params: WorldParams) -> dict[str, Any]:
    """When eventual wins close, for truth.json: the share by each week since submission."""
    h = within_h_days(params)
    weeks = range(0, params.horizon_days + 7, 7)
    return {
        "eventual": "every win quantity in `fields` is eventual (all wins close within "
                    "horizon_days); `within_h` multiplies by the share closed within h",
        "share_by_day": [{"days": d, "share": _r(win_share_by(params.horizon_days, d))}
                         for d in weeks],
        "days_to_90pct": days_to_share(params.horizon_days, 0.9),
        "within_h_days": h,
        "within_h_share": _r(win_share_by(params.horizon_days, h)),
    }


def within_h(nums: dict[str, Any], params: WorldParams, h: int) -> dict[str, Any]:
    """The win estimands within h days of submission (conversion does not change)."""
    share = win_share_by(params.horizon_days, h)
    out: dict[str, Any] = {"horizon_days": h, "share_of_eventual_wins": _r(share)}
    for k in WIN_METRICS:
        v = nums.get(k)
        out[k] = None if v is None else _r(float(v) * share)
    return out


def _rank(x: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(x)) if x.size else 0


def evidence_labels(forms: tuple[FormDesign, ...]) -> dict[str, Evidence]:
    """Each shown field's evidence label and aliased partners, from the design alone.

    Rows of a group are the field sets of an experiment's variants (randomized) or of one form's
    versions (observational). A field is separable in a group when its centred presence column
    is not in the span of the other varying columns; otherwise its partners are the fields
    whose removal from the design makes it separable.
    """
    groups: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for f in forms:
        key = ("randomized", f.experiment) if f.experiment else ("observational", f.form_id)
        groups.setdefault(key, []).extend(fields for _, fields, _ in f.versions)
    separable: dict[str, set[str]] = {}
    partners: dict[str, set[str]] = {}
    for (kind, _), rows in groups.items():
        names = list(dict.fromkeys(x for r in rows for x in r))
        x = np.asarray([[name in r for name in names] for r in rows], dtype=float)
        x = x - x.mean(axis=0)
        varying = [i for i in range(len(names)) if np.any(x[:, i] != 0)]
        full = _rank(x[:, varying])
        for i in varying:
            rest = [j for j in varying if j != i]
            if full - _rank(x[:, rest]) == 1:
                separable.setdefault(names[i], set()).add(kind)
                continue
            for j in rest:
                without_j = [k for k in rest if k != j]
                if _rank(x[:, [*without_j, i]]) - _rank(x[:, without_j]) == 1:
                    partners.setdefault(names[i], set()).add(names[j])
            partners.setdefault(names[i], set())
    out: dict[str, Evidence] = {}
    for name in dict.fromkeys(x for f in forms for x in f.all_fields()):
        kinds = separable.get(name, set())
        if "randomized" in kinds:
            out[name] = ("randomized", ())
        elif "observational" in kinds:
            out[name] = ("observational", ())
        elif name in partners:
            out[name] = ("aliased", tuple(sorted(partners[name])))
        else:
            out[name] = ("none", ())
    return out


def amount_mean(params: WorldParams) -> float:
    """E[amount | won] of the lognormal deal amounts."""
    return math.exp(params.amount_mu + params.amount_sigma ** 2 / 2)


def mature_last_day(params: WorldParams) -> int:
    """Last view day (since start) whose wins have all closed by ``as_of``.

    A view on that day submits by the next day at the latest and every win closes within
    ``horizon_days`` of its submission.
    """
    return (params.export_date - params.start).days - params.horizon_days - 1


def _r(x: Any) -> float:
    return round(float(x), 6)


Contrib = tuple[FloatArray, FloatArray, FloatArray, FloatArray]


def contributions(v: Views, params: WorldParams, rows: IntArray,
                  removed: tuple[str, ...]) -> Contrib:
    """Per view in ``rows``: p1, p0, p1*q1, p0*q0 (with and without ``removed``)."""
    a1, a0 = p_submit(v, rows), p_submit(v, rows, removed)
    b1, b0 = q_win(v, params, rows), q_win(v, params, rows, removed)
    return a1, a0, a1 * b1, a0 * b0


def drop_numbers(v: Views, params: WorldParams, rows: IntArray,
                 removed: tuple[str, ...]) -> dict[str, Any]:
    """The four drop-effect estimands over views ``rows`` for removing ``removed``."""
    return summarise(contributions(v, params, rows, removed), params)


def summarise(c: Contrib, params: WorldParams,
              mask: NDArray[np.bool_] | None = None) -> dict[str, Any]:
    """The estimands from per-view contributions (optionally only where ``mask``)."""
    a1, a0, w1, w0 = c if mask is None else tuple(x[mask] for x in c)
    if a1.shape[0] == 0:
        return {"views": 0, "conversion_pp": None, "win_rate_pp": None,
                "wins_per_1k_views": None, "revenue_per_1k_views": None, "baseline": None}
    wins = 1000.0 * float(np.mean(w0 - w1))
    return {
        "views": int(a1.shape[0]),
        "conversion_pp": _r(100.0 * np.mean(a0 - a1)),
        "win_rate_pp": _r(100.0 * (w0.sum() / a0.sum() - w1.sum() / a1.sum())),
        "wins_per_1k_views": _r(wins),
        "revenue_per_1k_views": _r(wins * amount_mean(params)),
        "baseline": {
            "conversion_rate": _r(np.mean(a1)),
            "win_rate": _r(w1.sum() / a1.sum()),
            "wins_per_1k_views": _r(1000.0 * np.mean(w1)),
        },
    }


def _rows_showing(v: Views, fields: tuple[str, ...]) -> IntArray:
    cols = [FIELD_INDEX[f] for f in fields]
    rows: IntArray = np.nonzero(v.shown[:, cols].any(axis=1))[0].astype(np.int64)
    return rows


def field_truth(v: Views, params: WorldParams,
                forms: tuple[FormDesign, ...]) -> list[dict[str, Any]]:
    """One entry per field any form shows, in catalogue order."""
    labels = evidence_labels(forms)
    out = []
    for name, model in FIELDS.items():
        if name not in labels:
            continue
        evidence, aliased = labels[name]
        removed = (name, *aliased) if evidence == "aliased" else (name,)
        rows = _rows_showing(v, removed)
        contrib = contributions(v, params, rows, removed)
        nums = summarise(contrib, params)
        always_with = [g for g in FIELDS if g != name and g in labels and all(
            (name in fs) == (g in fs) for f in forms for _, fs, _ in f.versions)]
        entry: dict[str, Any] = {
            "field": name,
            "forms": [f.form_id for f in forms if name in f.all_fields()],
            "optional_on": [f.form_id for f in forms
                            if any(name in opt for _, _, opt in f.versions)],
            "evidence": evidence,
            "aliased_with": list(aliased),
            "always_with": always_with,
            "estimable": evidence != "none",
            "removed": list(removed),
            "protected": model.protected,
            "predictive": model.predictive,
            "role": model.role,
            **{k: nums[k] for k in ("views", "conversion_pp", "win_rate_pp",
                                    "wins_per_1k_views", "revenue_per_1k_views", "baseline")},
        }
        mature = summarise(contrib, params, v.day[rows] <= mature_last_day(params))
        entry["within_h"] = within_h(nums, params, within_h_days(params))
        entry["mature"] = {k: mature.get(k) for k in ("views", "conversion_pp", "win_rate_pp",
                                                      "wins_per_1k_views",
                                                      "revenue_per_1k_views")}
        if evidence == "aliased":
            alone = drop_numbers(v, params, _rows_showing(v, (name,)), (name,))
            entry["alone"] = {k: alone[k] for k in ("conversion_pp", "win_rate_pp",
                                                    "wins_per_1k_views", "revenue_per_1k_views")}
        by_form = {}
        row_form = v.form[rows]
        for i, f in enumerate(forms):
            in_form = row_form == i
            if in_form.any():
                n = summarise(contrib, params, in_form)
                by_form[f.form_id] = {k: n[k] for k in ("views", "conversion_pp", "win_rate_pp",
                                                        "wins_per_1k_views")}
        entry["by_form"] = by_form
        out.append(entry)
    return out


def form_truth(v: Views, params: WorldParams, forms: tuple[FormDesign, ...],
               traffic: dict[str, float]) -> list[dict[str, Any]]:
    """Per form: views, planned and generating traffic share, and generating rates."""
    p, q = p_submit(v), q_win(v, params)
    out = []
    for i, f in enumerate(forms):
        m = v.form == i
        pm, qm = p[m], q[m]
        out.append({
            "form_id": f.form_id,
            "experiment": f.experiment,
            "planned_traffic": f.traffic,
            "generating_traffic": _r(traffic[f.form_id]) if f.form_id in traffic else None,
            "versions": [{"since": (params.start + timedelta(days=s)).isoformat(),
                          "since_day": s, "fields": list(fs), "optional": list(o)}
                         for s, fs, o in f.versions],
            "views": int(m.sum()),
            "conversion_rate": _r(pm.mean()) if pm.size else None,
            "win_rate": _r((pm * qm).sum() / pm.sum()) if pm.size else None,
            "wins_per_1k_views": _r(1000.0 * (pm * qm).mean()) if pm.size else None,
        })
    return out


def joint_truth(v: Views, params: WorldParams, forms: tuple[FormDesign, ...],
                fields: tuple[str, ...]) -> dict[str, Any]:
    """The effect of removing several fields at once (one joint contrast, not a sum)."""
    rows = _rows_showing(v, fields)
    nums = drop_numbers(v, params, rows, fields)
    shown_on = [f.form_id for f in forms if set(fields) & set(f.all_fields())]
    return {"fields": list(fields), "forms": shown_on, **nums}
