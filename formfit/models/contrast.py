"""The JSON-ready block models behind drop effects, and joint contrasts computed from them.

``block_model`` writes what a CI gate needs to judge a change of a form's whole field set as
ONE contrast (layout in :mod:`formfit.models.effects`); ``joint_contrast`` reads it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import expit

from formfit.models.design import BlockDesign
from formfit.models.glm import CellFit
from formfit.models.inference import SeMethod, covariance_rule, interval, rule_variance
from formfit.results import Estimate, null_estimate


def block_model(d: BlockDesign, fit: CellFit | None, status: str | None,
                se_method: SeMethod, patterns: Sequence[frozenset[str]]) -> dict[str, Any]:
    """One block's JSON-ready model: design columns, coefficients, covariances, and per
    (group, form, field set) profile its trials, mean design row and linear-predictor
    quantiles."""
    spec = d.spec
    out: dict[str, Any] = {
        "id": spec.id, "kind": spec.kind, "focal": spec.focal, "controls": list(spec.controls),
        "time_effects": spec.time_effects, "status": status or "fitted",
        "columns": list(d.names), "field_columns": list(spec.columns),
        "null_space": d.null_basis.tolist(), "aliased": [list(g) for g in d.aliased],
        "no_variation": list(d.no_variation), "dropped_columns": list(d.dropped),
    }
    if fit is None:
        return out
    rule = covariance_rule(fit, se_method, spec.kind)
    out.update(coef=fit.coef.tolist(),
               covariances=[{"method": m, "df": df, "matrix": cov.tolist()}
                            for cov, m, df in rule],
               clusters=fit.clusters, dispersion=fit.dispersion,
               dispersion_df=fit.dispersion_df, converged=fit.converged)
    u = d.rows["u"].to_numpy()
    eta = (d.X @ fit.coef)[u]
    n = d.rows["n"].to_numpy()
    profiles = []
    for key, idx in d.rows.groupby(["group", "form_id", "pattern"], sort=True).indices.items():
        g, form_id, pat = (str(k) for k in key)  # type: ignore[attr-defined]
        w = n[idx]
        order = np.argsort(eta[idx], kind="mergesort")
        cum = (np.cumsum(w[order]) - w[order] / 2) / w.sum()
        qs = (np.arange(20) + 0.5) / 20
        points = np.interp(qs, cum, eta[idx][order])
        fields_shown = sorted(patterns[int(pat)])
        profiles.append({"group": g, "form_id": form_id, "pattern": int(pat),
                         "fields": fields_shown, "trials": float(w.sum()),
                         "successes": float(d.rows["y"].to_numpy()[idx].sum()),
                         "x_mean": (w @ d.X[u[idx]] / w.sum()).tolist(),
                         "eta": points.tolist()})
    out["profiles"] = profiles
    return out


def joint_contrast(block: Mapping[str, Any], form_id: str, new_fields: Iterable[str],
                   scale: float = 1.0) -> Estimate:
    """The change in P(success) on ``form_id`` if its field set became ``new_fields``: one
    estimate, one interval, from one block of ``EffectsFit.model["blocks"]``."""
    return joint_contrast_forms(block, {form_id: new_fields}, scale)


def joint_contrast_forms(block: Mapping[str, Any], changes: Mapping[str, Iterable[str]],
                         scale: float = 1.0) -> Estimate:
    """The change in P(success), averaged over the trials of the forms in ``changes``, if
    each of them showed its new field set: one joint contrast, one interval.

    Only fields in the block's ``field_columns`` can change (the others do not vary within
    the block, so nothing there tells what removing or adding them does): a change outside
    them, or one that is not estimable (see ``null_space``), gives code NOT_IDENTIFIED. The
    average over each form's cells uses the stored linear-predictor quantiles and the
    gradient the mean design row (first-order accurate; exact for one cell per form).
    A block carrying ``completion_rel_var`` (the eventual-wins model) adds est^2 times it to
    the variance.
    """
    if block.get("status") != "fitted":
        return null_estimate(str(block.get("status", "NOT_FITTED")))
    cols: list[str] = list(block["field_columns"])
    names: list[str] = list(block["columns"])
    coef = np.asarray(block["coef"], dtype=float)
    rule = [(np.asarray(c["matrix"], dtype=float), str(c["method"]), c["df"])
            for c in block["covariances"]]
    null = np.asarray(block["null_space"], dtype=float).reshape(len(cols), -1)
    new_sets = {f: set(v) for f, v in changes.items()}
    profiles = [p for p in block["profiles"] if p["form_id"] in new_sets]
    if not profiles:
        return null_estimate("NO_DATA")
    total = sum(p["trials"] for p in profiles)
    est, grad = 0.0, np.zeros(len(coef))
    for p in profiles:
        old, new = set(p["fields"]), new_sets[p["form_id"]]
        if (old ^ new) - set(cols):
            return null_estimate("NOT_IDENTIFIED")
        delta = np.array([(f in new) - (f in old) for f in cols], dtype=float)
        if null.shape[1] and np.max(np.abs(delta @ null)) > 1e-6:
            return null_estimate("NOT_IDENTIFIED")
        dx = np.zeros(len(coef))
        for f, v in zip(cols, delta, strict=True):
            if v and f"field:{f}" in names:
                dx[names.index(f"field:{f}")] = v
        eta = np.asarray(p["eta"], dtype=float)
        p0, p1 = expit(eta), expit(eta + float(dx @ coef))
        w = p["trials"] / total
        est += w * float(np.mean(p1 - p0))
        xm = np.asarray(p["x_mean"], dtype=float)
        d1, d0 = np.mean(p1 * (1 - p1)), np.mean(p0 * (1 - p0))
        grad += w * ((d1 - d0) * xm + d1 * dx)
    var, df = rule_variance(grad, rule)
    # wins per view on effective trials (views x completion F): F's own uncertainty scales
    # the whole contrast (see formfit.models.wins); 0 for conversion blocks
    var += est * est * float(block.get("completion_rel_var", 0.0) or 0.0)
    return interval(est, float(np.sqrt(var)), df, scale, None)
