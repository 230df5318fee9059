"""Drop effects: what removing a field would change in P(success per trial).

Estimand
--------
For a field ``f`` and the cells ``c`` of the forms whose within-group variation is the evidence
for it (an experiment's variants, or a form's versions), among those that show ``f``::

    AME_f = sum_c w_c [p_c(f removed) - p_c(as is)],   w_c = trials_c / sum trials

scaled by ``scale`` (100: percentage points; 1000: per 1,000 trials). Positive means more
successes without the field. One estimator, three uses: conversion (submissions per view),
win rate (wins per lead) and wins per view (wins per mature view). For fields that cannot be
separated (aliased), the estimand is the joint effect of removing the whole group.

Model and assumptions
---------------------
Cells are aggregated to (form, field set, day, declared segments); a binomial logit GLM per
evidence block (see :mod:`formfit.models.design`) has an intercept per group (experiment, or
form), one indicator per field, declared segment levels and, when asked (``time_control``),
week effects; observational blocks estimate week effects from the forms that never changed.
Field effects are assumed the same on the logit scale across the block's days and segments;
the AME averages the implied probability changes over the real cells (computed here, never
with ``get_margeff``), its standard error by the delta method.

- Randomized evidence assumes the experiment's variants were assigned at random (see the
  sample-ratio check in :mod:`formfit.models.srm`).
- Observational evidence compares a form with itself before and after a change, adjusted for
  week-to-week movement seen on unchanged forms. Campaigns and seasons that hit the changed form
  alone are not adjusted for: the basis text says so.
- Differences between forms are never used: group intercepts absorb them.

Uncertainty
-----------
Daily conversion varies more than binomial noise. ``se_method="auto"`` (the default) uses the
cluster-robust sandwich with days as clusters (scores summed per day over all cells, no
cell-counting correction, times G/(G-1)) and t(G-1) intervals when a block has at least
``MIN_CLUSTERS`` days, and never reports a standard error below the binomial one; with fewer
days (or no dates) it uses the quasi-binomial Pearson scale floored at 1 and normal intervals
(so a single two-variant table gives exactly the textbook difference of proportions).
Simulation evidence for this choice is in the README of this module's tests
(``tests/test_effects_coverage.py``) and in the project report: with day shocks of sd 0.15 on the
logit, naive binomial intervals covered well under 95% and these covered about 95%.

The ``model`` dict (JSON-ready)
-------------------------------
``EffectsFit.model`` holds what a CI gate needs to judge a field-set change as one joint
contrast (use :func:`joint_contrast`)::

    {"successes": str, "trials": str, "scale": float, "se_method": str,
     "method": "binomial logit GLM on cells, average marginal effect, delta method",
     "blocks": [{
        "id": "randomized: experiment demo", "kind": "randomized" | "observational",
        "focal": group id, "controls": [group ids], "time_effects": bool,
        "status": "fitted" | a code such as "NO_SUCCESSES",
        "columns": [kept design column names], "coef": [...],
        "cov": [[...]]            # the covariance the intervals use (cluster-robust or quasi)
        "cov_binomial": [[...]],  # model-based binomial covariance (the floor)
        "inference": {"method": "cluster" | "quasi", "clusters": G, "df": G-1 | None,
                      "dispersion": Pearson X2/df},
        "field_columns": [fields with a column before rank reduction],
        "null_space": [[...]],    # rows = field_columns; columns = non-estimable combinations
        "aliased": [[fields]], "no_variation": [fields], "dropped_columns": [names],
        "profiles": [{"group", "form_id", "fields": [shown], "trials", "successes",
                      "x_mean": [trial-weighted mean design row],
                      "eta": [linear predictor at 20 trial-weighted quantiles]}],
     }, ...]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from formfit.inputs import FormsConfig, Notice
from formfit.models.design import BlockDesign, build_block, plan_blocks, prepare
from formfit.models.glm import CellFit, FloatArray, ame, fit_cells, quad
from formfit.models.stats import Z95
from formfit.results import Estimate, Evidence, null_estimate

SeMethod = Literal["auto", "cluster", "quasi", "binomial"]
#: fewest days for cluster-robust errors (below: quasi-binomial scale)
MIN_CLUSTERS = 10
CAVEAT_OBSERVATIONAL = "a before/after comparison can be confounded by season and campaigns"


@dataclass(frozen=True)
class FieldEffect:
    """The drop effect of one field, in scaled units (see the module docstring)."""

    field: str
    evidence: Evidence
    aliased_with: tuple[str, ...]
    group: tuple[str, ...]  # the fields removed together for this estimate (aliased groups)
    estimate: Estimate
    basis: str
    se: float | None = None
    baseline: float | None = None  # scaled success rate with the field, over the same cells
    trials: float = 0.0  # trials in the cells the effect averages over

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "evidence": self.evidence,
                "aliased_with": list(self.aliased_with), "group": list(self.group),
                "estimate": self.estimate.to_dict(), "basis": self.basis, "se": self.se,
                "baseline": self.baseline, "trials": self.trials}


@dataclass(frozen=True)
class EffectsFit:
    effects: dict[str, FieldEffect]
    notices: list[Notice] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Part:
    """One block's answer for one field (probability scale, unscaled)."""

    block: BlockDesign
    evidence: Evidence
    group: tuple[str, ...]
    code: str | None = None
    estimate: float | None = None
    var: float | None = None
    df: float | None = None
    baseline: float | None = None
    trials: float = 0.0


def _covariance(fit: CellFit, se_method: SeMethod) -> tuple[FloatArray, str, float | None]:
    """The covariance intervals use, its name and the t degrees of freedom (None: normal)."""
    if se_method == "binomial":
        return fit.cov_binomial, "binomial", None
    quasi_df = float(fit.dispersion_df) if fit.dispersion > 1.0 else None
    if se_method == "quasi" or fit.cov_cluster is None:
        return fit.cov_quasi, "quasi", quasi_df
    if se_method == "cluster" or fit.clusters >= MIN_CLUSTERS:
        return fit.cov_cluster, "cluster", float(fit.clusters - 1)
    return fit.cov_quasi, "quasi", quasi_df


def _word(trials: str) -> str:
    return trials.replace("_", " ")


def _block_basis(d: BlockDesign, trials: str) -> str:
    spec = d.spec
    focal = d.rows[d.rows["group"] == spec.focal]
    n = float(focal["n"].sum())
    if spec.kind == "randomized":
        k = focal["form_id"].nunique()
        return f"randomized: {spec.focal} ({k} variants, {n:,.0f} {_word(trials)})"
    k = focal["pattern"].nunique()
    txt = (f"observational: {spec.focal} before/after its field change ({k} field sets, "
           f"{n:,.0f} {_word(trials)})")
    if spec.time_effects:
        return (txt + f", adjusted for week effects estimated with {len(spec.controls)} "
                f"unchanged form(s) as controls; {CAVEAT_OBSERVATIONAL}")
    return (txt + ", not adjusted for time (no unchanged form to act as a control); "
            f"{CAVEAT_OBSERVATIONAL}")


def _separated(d: BlockDesign, fit: CellFit, members: Sequence[str]) -> bool:
    idx = [d.spec.columns.index(f) for f in members]
    shows = d.presence[:, idx].any(axis=1)
    y, n = d.y, d.n
    for side in (shows & d.focal, ~shows & d.focal):
        ys, ns = float(y[side].sum()), float(n[side].sum())
        if ns > 0 and (ys == 0 or ys == ns):
            return True
    cols = [d.field_index[f] for f in members if f in d.field_index]
    return bool(fit.suspect_separation()[cols].any()) if cols else False


def _block_parts(d: BlockDesign, fit: CellFit | None, status: str | None,
                 se_method: SeMethod) -> dict[str, _Part]:
    spec = d.spec
    out: dict[str, _Part] = {}
    in_group = {f: g for g in d.aliased for f in g}
    for f in spec.reportable:
        members = in_group.get(f, (f,))
        evidence: Evidence = "aliased" if len(members) > 1 else spec.kind
        if status is not None or fit is None:
            out[f] = _Part(d, evidence, members, code=status or "NOT_FITTED")
            continue
        if f in d.no_variation:
            out[f] = _Part(d, "none", (f,), code="NO_VARIATION")
            continue
        if f in in_group and not d.estimable(members):
            out[f] = _Part(d, "aliased", members, code="NOT_IDENTIFIED")
            continue
        if _separated(d, fit, members):
            out[f] = _Part(d, evidence, members, code="SEPARATION")
            continue
        idx = [d.spec.columns.index(g) for g in members]
        rows = d.focal & d.presence[:, idx].any(axis=1)
        X = d.X[rows]
        X_cf = X.copy()
        for g in members:
            if g in d.field_index:
                X_cf[:, d.field_index[g]] = 0.0
        a = ame(X, X_cf, d.n[rows], fit.coef)
        cov, _, df = _covariance(fit, se_method)
        var = quad(a.gradient, cov)
        if se_method == "auto":
            var = max(var, quad(a.gradient, fit.cov_binomial))  # never below binomial noise
        out[f] = _Part(d, evidence, members, estimate=a.estimate, var=var, df=df,
                       baseline=a.baseline, trials=a.trials)
    return out


def _estimate(est: float, se: float, df: float | None, scale: float,
              code: str | None) -> Estimate:
    q = float(stats.t.ppf(0.975, df)) if df is not None else Z95
    e, s = est * scale, se * scale
    if s > 0:
        z = abs(e) / s
        p = float(2 * (stats.t.sf(z, df) if df is not None else stats.norm.sf(z)))
    else:
        p = 1.0 if e == 0 else 0.0
    return Estimate(estimate=e, ci_low=e - q * s, ci_high=e + q * s, p_value=p, code=code)


def _combine(f: str, parts: list[_Part], trials: str, scale: float) -> FieldEffect:
    """One field's effect from the blocks of its evidence tier."""
    good = [p for p in parts if p.estimate is not None and p.evidence != "aliased"]
    if not good:
        good = [p for p in parts if p.estimate is not None]
        good = sorted(good, key=lambda p: -p.trials)[:1]
    bases = "; ".join(dict.fromkeys(_block_basis(p.block, trials) for p in (good or parts)))
    if not good:
        p0 = sorted(parts, key=lambda p: -float(p.block.rows["n"].sum()))[0]
        null_code = p0.code or "NOT_IDENTIFIED"
        partners = tuple(g for g in p0.group if g != f)
        basis = bases
        if null_code == "NOT_IDENTIFIED":
            basis += (f"; only differences between {', '.join(p0.group)} are identified "
                      "(the variants swap one for another), so no drop effect is estimated")
        elif null_code == "SEPARATION":
            basis += "; every trial on one side had the same outcome, so no interval exists"
        return FieldEffect(field=f, evidence=p0.evidence, aliased_with=partners,
                           group=p0.group if partners else (), estimate=null_estimate(null_code),
                           basis=basis)
    total = sum(p.trials for p in good)
    est = sum(p.trials * (p.estimate or 0.0) for p in good) / total
    var = sum((p.trials / total) ** 2 * (p.var or 0.0) for p in good)
    base = sum(p.trials * (p.baseline or 0.0) for p in good) / total
    dfs = [p.df for p in good]
    df = None if any(d is None for d in dfs) else min(d for d in dfs if d is not None)
    first = good[0]
    partners = tuple(g for g in first.group if g != f)
    code: str | None = None
    if first.block.spec.kind == "observational" and not first.block.spec.time_effects:
        code = "NO_TIME_CONTROL"
    basis = bases
    if partners:
        basis += (f"; {f} always changes together with {', '.join(partners)}, so this is the "
                  "effect of removing them together")
    se = float(np.sqrt(var))
    return FieldEffect(field=f, evidence=first.evidence, aliased_with=partners,
                       group=first.group if partners else (),
                       estimate=_estimate(est, se, df, scale, code), basis=basis,
                       se=se * scale, baseline=base * scale, trials=total)


def _none_effect(f: str, prep_frame: pd.DataFrame, presence: np.ndarray, fields: Sequence[str],
                 trials: str) -> FieldEffect:
    w = _word(trials)
    if f not in fields:
        return FieldEffect(f, "none", (), (), null_estimate(f"NO_{trials.upper()}"),
                           f"no form with {w} shows {f}")
    shows = presence[:, list(fields).index(f)]
    if not shows.any():
        return FieldEffect(f, "none", (), (), null_estimate(f"NO_{trials.upper()}"),
                           f"no form that shows {f} has {w}")
    with_f = sorted(set(prep_frame.loc[shows, "form_id"]))
    without = sorted(set(prep_frame.loc[~shows, "form_id"]))
    if without:
        basis = (f"no variation within any form or experiment: {f} is on {', '.join(with_f[:4])}"
                 f"{' ...' if len(with_f) > 4 else ''} and not on {', '.join(without[:4])}"
                 f"{' ...' if len(without) > 4 else ''}; those are different forms with "
                 "different audiences, which is no evidence of its effect")
    else:
        basis = f"no variation: every form with {w} shows {f}"
    return FieldEffect(f, "none", (), (), null_estimate("NO_VARIATION"), basis)


def drop_effects(cells: pd.DataFrame, *, successes: str, trials: str, forms: FormsConfig,
                 fields: Sequence[str], segments: Sequence[str] = (), scale: float = 100.0,
                 time_control: bool = True, se_method: SeMethod = "auto") -> EffectsFit:
    """Per-field drop effects on P(successes / trials), scaled; see the module docstring."""
    prep = prepare(cells, successes=successes, trials=trials, forms=forms, segments=segments)
    notices = list(prep.notices)
    specs, plan_notices = plan_blocks(prep, time_control=time_control)
    notices += plan_notices
    parts: dict[str, dict[str, list[_Part]]] = {}
    model_blocks: list[dict[str, Any]] = []
    for spec in specs:
        d = build_block(prep, spec)
        fit, status = _fit_block(d)
        for f, part in _block_parts(d, fit, status, se_method).items():
            parts.setdefault(f, {}).setdefault(spec.kind, []).append(part)
            if part.code == "SEPARATION":
                notices.append(Notice("SEPARATION", (
                    f"{f}: in {spec.focal} every trial on one side of the comparison had the "
                    f"same outcome ({successes} per {_word(trials)}), so its drop effect has no "
                    "finite interval; gather more data or run a test."),
                    {"field": f, "block": spec.id}))
        model_blocks.append(_block_model(d, fit, status, se_method, prep.patterns))
    effects: dict[str, FieldEffect] = {}
    for f in fields:
        tiers = parts.get(f, {})
        chosen = tiers.get("randomized") or tiers.get("observational")
        if chosen:
            effects[f] = _combine(f, chosen, trials, scale)
        else:
            effects[f] = _none_effect(f, prep.frame, prep.presence, prep.fields, trials)
    model = {"successes": successes, "trials": trials, "scale": scale, "se_method": se_method,
             "min_clusters": MIN_CLUSTERS,
             "method": "binomial logit GLM on cells, average marginal effect, delta method",
             "blocks": model_blocks}
    return EffectsFit(effects=effects, notices=notices, model=model)


def _fit_block(d: BlockDesign) -> tuple[CellFit | None, str | None]:
    if float(d.y.sum()) == 0:
        return None, "NO_SUCCESSES"
    if float(d.y.sum()) == float(d.n.sum()):
        return None, "NO_FAILURES"
    cells = (d.rows["u"].to_numpy(dtype=np.int64), d.rows["y"].to_numpy(dtype=float),
             d.rows["n"].to_numpy(dtype=float))
    # Pearson units: form-days (segment cells of one day share its shock); segment columns
    # are not counted against their degrees of freedom
    units = pd.factorize(pd.MultiIndex.from_frame(d.rows[["form_id", "pattern", "datekey"]]))[0]
    seg_cols = sum(1 for nm in d.names[:d.n_nuisance] if "=" in nm)
    fit = fit_cells(d.X, d.y, d.n, d.rows["datekey"].to_numpy(dtype=np.int64), cells=cells,
                    pearson_units=units.astype(np.int64), pearson_k=d.X.shape[1] - seg_cols)
    return fit, None


def _block_model(d: BlockDesign, fit: CellFit | None, status: str | None,
                 se_method: SeMethod, patterns: Sequence[frozenset[str]]) -> dict[str, Any]:
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
    cov, method, df = _covariance(fit, se_method)
    out.update(coef=fit.coef.tolist(), cov=cov.tolist(), cov_binomial=fit.cov_binomial.tolist(),
               inference={"method": method, "clusters": fit.clusters, "df": df,
                          "dispersion": fit.dispersion, "floor": "binomial"
                          if se_method == "auto" else None})
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
    estimate, one interval, from one block of ``EffectsFit.model["blocks"]``.

    Only the fields in the block's ``field_columns`` can change (others are absorbed by the
    form's intercept); a change outside them, or a non-estimable one, gives code
    NOT_IDENTIFIED. The average over the form's cells uses the stored linear-predictor
    quantiles; the gradient uses the mean design row (first-order accurate).
    """
    if block.get("status") != "fitted":
        return null_estimate(str(block.get("status", "NOT_FITTED")))
    cols: list[str] = list(block["field_columns"])
    names: list[str] = list(block["columns"])
    coef = np.asarray(block["coef"], dtype=float)
    cov = np.asarray(block["cov"], dtype=float)
    cov_b = np.asarray(block["cov_binomial"], dtype=float)
    null = np.asarray(block["null_space"], dtype=float).reshape(len(cols), -1)
    new = set(new_fields)
    profiles = [p for p in block["profiles"] if p["form_id"] == form_id]
    if not profiles:
        return null_estimate("NO_DATA")
    total = sum(p["trials"] for p in profiles)
    est, grad = 0.0, np.zeros(len(coef))
    for p in profiles:
        old = set(p["fields"])
        outside = (old ^ new) - set(cols)
        if any(f in new for f in outside):
            return null_estimate("NOT_IDENTIFIED")
        delta = np.array([(f in new) - (f in old) for f in cols], dtype=float)
        if null.shape[1] and np.max(np.abs(delta @ null)) > 1e-7:
            return null_estimate("NOT_IDENTIFIED")
        dx = np.zeros(len(coef))
        for f, v in zip(cols, delta, strict=True):
            if v and f"field:{f}" in names:
                dx[names.index(f"field:{f}")] = v
        eta = np.asarray(p["eta"], dtype=float)
        shift = float(dx @ coef)
        p0, p1 = expit(eta), expit(eta + shift)
        w = p["trials"] / total
        est += w * float(np.mean(p1 - p0))
        xm = np.asarray(p["x_mean"], dtype=float)
        d1, d0 = np.mean(p1 * (1 - p1)), np.mean(p0 * (1 - p0))
        grad += w * ((d1 - d0) * xm + d1 * dx)
    var = max(quad(grad, cov), quad(grad, cov_b))
    df = block.get("inference", {}).get("df")
    return _estimate(est, float(np.sqrt(var)), df, scale, None)
