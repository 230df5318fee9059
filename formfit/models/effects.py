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
Daily conversion varies more than binomial noise, and a day's shock is shared by all its
segment cells. ``se_method="auto"`` (the default), per block with G days (clusters):

- G >= ``MIN_CLUSTERS`` (10), or G >= ``MIN_CLUSTERS_RANDOMIZED`` (5) in a randomized block:
  the cluster-robust sandwich with days as clusters (scores summed per day over all cells, no
  cell-counting correction, times G/(G-1)) and t(G-1) intervals;
- 5 <= G < 10 in an observational block: the larger of that and the quasi-binomial variance;
- G < 5, or no dates: the quasi-binomial variance, Pearson X2 on form-days (summed over their
  segment cells) / (form-days - k), floored at 1, t(df) intervals when above 1.

A variance is never reported below the binomial one; when that floor binds the interval is
normal. So a plain two-variant table gives exactly the textbook difference of proportions
(``se = sqrt(p0 (1-p0) / n0 + p1 (1-p1) / n1)``), and under-dispersed data never narrow it.

Simulation evidence (``tests/test_effects_coverage.py`` world: a 3-variant experiment and a
form edited half-way, segments device x channel, logit-scale day shocks of sd 0.15 per
form-day unless said; coverage of the 95% intervals of the two randomized effects, as
phone / company_size, over 300 worlds unless said; Monte Carlo SE about 0.013):

======================================  =========  ==========  =========  ===================
world                                   binomial   quasi       cluster    auto (the default)
======================================  =========  ==========  =========  ===================
60 days, 400 views per form-day         .83 / .84  .86 / .86*  .94 / .93  .955 / .950 (800)
14 days, 1,500 views per form-day       .63 / .66  .80 / .82*  .96 / .95  .96 / .95
5 days, 3,000 views, no trend           .49 / .54  .97 / .98   .97 / .95  (cluster, G >= 5)
5 days, 3,000 views, seasonal swing     --         1.0 / 1.0   .94 / .95  (cluster, G >= 5)
60 days, one shock per day, all forms   .95 / .97  .96 / .98*  .95 / .97  .96 / .98
60 days, no shocks                      .95 / .94  .96 / .95*  .96 / .94  .97 / .95
======================================  =========  ==========  =========  ===================

(* Pearson scale on cells; the others on form-days. Binomial errors ignore the day shocks;
quasi-binomial errors cannot tell a trend shared by all variants from noise, which the
contrast does not feel: at 5 days with a seasonal swing their standard error was 1.8x the real
spread.) The observational field of that world (a before/after change with two control
forms) covered 0.95 (0.93 at 14 days, 0.89 at 5 days with clusters alone, hence the larger of
clusters and quasi below 10 days). On worlds from ``formfit simulate``
(``scripts/coverage_friction.py --worlds 200``) the randomized coverage was 0.953 over 400
intervals and the observational and aliased fields covered 0.965.

The ``model`` dict (JSON-ready)
-------------------------------
``EffectsFit.model`` holds what a CI gate needs to judge a field-set change as one joint
contrast (use :func:`joint_contrast` for one form, :func:`joint_contrast_forms` for several
forms of one block at once)::

    {"successes": str, "trials": str, "scale": float, "se_method": str,
     "method": "binomial logit GLM on cells, average marginal effect, delta method",
     "blocks": [{
        "id": "randomized: experiment demo", "kind": "randomized" | "observational",
        "focal": group id, "controls": [group ids], "time_effects": bool,
        "status": "fitted" | a code such as "NO_SUCCESSES",
        "columns": [kept design column names], "coef": [...],
        "covariances": [{"method": "cluster" | "quasi" | "binomial", "df": t df | None,
                         "matrix": [[...]]}, ...],  # a variance is the largest of these
        "clusters": G (days), "dispersion": Pearson X2/df (form-days), "dispersion_df": int,
        "converged": bool,
        "field_columns": [fields with a column before rank reduction],
        "null_space": [[...]],    # rows = field_columns; columns = non-estimable combinations
        "aliased": [[fields]], "no_variation": [fields], "dropped_columns": [names],
        "profiles": [{"group", "form_id", "fields": [shown], "trials", "successes",
                      "x_mean": [trial-weighted mean design row],
                      "eta": [linear predictor at 20 trial-weighted quantiles]}],
     }, ...]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from formfit.inputs import FormsConfig, Notice
from formfit.models.contrast import block_model, joint_contrast, joint_contrast_forms
from formfit.models.design import BlockDesign, build_block, plan_blocks, prepare
from formfit.models.glm import CellFit, ame, fit_cells
from formfit.models.inference import (
    MIN_CLUSTERS,
    MIN_CLUSTERS_RANDOMIZED,
    SeMethod,
    covariance_rule,
    interval,
    rule_variance,
)
from formfit.results import Estimate, Evidence, null_estimate

__all__ = ["EffectsFit", "FieldEffect", "drop_effects", "joint_contrast", "joint_contrast_forms"]

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
    # the randomized experiments the estimate rests on (formfit.watch widens their intervals
    # when they are watched)
    experiments: tuple[str, ...] = ()
    # the kind of comparison the blocks behind it are ("randomized" or "observational"; None:
    # none was made). Aliasing is about which fields can be told apart, not about this.
    tier: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "evidence": self.evidence,
                "aliased_with": list(self.aliased_with), "group": list(self.group),
                "estimate": self.estimate.to_dict(), "basis": self.basis, "se": self.se,
                "baseline": self.baseline, "trials": self.trials,
                "experiments": list(self.experiments)}


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
    # per day (cluster code), the estimate's influence: how blocks fitted on the same days
    # covary (see _cross_variance)
    influence: tuple[np.ndarray, np.ndarray] | None = None


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
        return (txt + f", adjusted for the week-to-week movement of {len(spec.controls)} "
                f"unchanged form(s) used as controls; {CAVEAT_OBSERVATIONAL}")
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
        var, df = rule_variance(a.gradient, covariance_rule(fit, se_method, spec.kind))
        psi = fit.influence(a.gradient)
        out[f] = _Part(d, evidence, members, estimate=a.estimate, var=var, df=df,
                       baseline=a.baseline, trials=a.trials,
                       influence=None if psi is None or fit.cluster_codes is None
                       else (fit.cluster_codes, psi))
    return out


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
                      "(the field sets swap one for another), so no drop effect is estimated")
        elif null_code == "SEPARATION":
            basis += "; every trial on one side had the same outcome, so no interval exists"
        return FieldEffect(field=f, evidence=p0.evidence, aliased_with=partners,
                           group=p0.group if partners else (), estimate=null_estimate(null_code),
                           basis=basis, tier=p0.block.spec.kind)
    total = sum(p.trials for p in good)
    est = sum(p.trials * (p.estimate or 0.0) for p in good) / total
    var = sum((p.trials / total) ** 2 * (p.var or 0.0) for p in good)
    if good[0].block.spec.kind == "observational":
        joint = var + _cross_variance(good, total)
        # three or more parts' estimated correlations need not form a valid covariance
        var = joint if joint > 0 else var
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
    experiments = tuple(sorted({p.block.spec.focal.removeprefix("experiment ") for p in good
                                if p.block.spec.kind == "randomized"}))
    return FieldEffect(field=f, evidence=first.evidence, aliased_with=partners,
                       group=first.group if partners else (),
                       estimate=interval(est, se, df, scale, code), basis=basis,
                       se=se * scale, baseline=base * scale, trials=total,
                       experiments=experiments, tier=first.block.spec.kind)


def _cross_variance(parts: list[_Part], total: float) -> float:
    """The covariance terms of a trial-weighted mean of observational estimates.

    Each changed form is its own block, but the blocks share the unchanged control forms and
    the week effects they estimate, so their errors move together: two forms that dropped a
    field months apart had estimates correlated 0.17, and treating them as independent gave
    intervals that covered 0.92 instead of 0.95. The correlation of two parts is estimated
    from their per-day influences (the cluster-robust cross-covariance over the days both
    were fitted on) and applied to each part's own variance, so each part keeps the variance
    its rule chose: ``2 w_a w_b rho_ab sqrt(v_a v_b)`` per pair."""
    out = 0.0
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            if a.influence is None or b.influence is None or not a.var or not b.var:
                continue
            (ca, pa), (cb, pb) = a.influence, b.influence
            _, ia, ib = np.intersect1d(ca, cb, assume_unique=True, return_indices=True)
            den = float(np.sqrt(np.sum(pa * pa) * np.sum(pb * pb)))
            if not den > 0:
                continue
            rho = float(np.clip(np.sum(pa[ia] * pb[ib]) / den, -1.0, 1.0))
            out += (2.0 * (a.trials / total) * (b.trials / total) * rho
                    * float(np.sqrt(a.var * b.var)))
    return out


def _not_mature(f: str, kind: str, trials: str) -> FieldEffect:
    """A field whose other measures rest on a ``kind`` of comparison these cells do not hold:
    the win models' cells leave out days too young to judge (and a block needs enough days),
    so a young experiment has conversion but not yet won deals."""
    what = ("randomized experiment" if kind == "randomized" else "before/after comparison")
    basis = (f"{kind}: the {what} its conversion effect rests on has too few {_word(trials)} "
             "old enough for their deals to be judged yet; no other comparison stands in for it")
    return FieldEffect(f, kind, (), (), null_estimate("NOT_MATURE"), basis,  # type: ignore[arg-type]
                       tier=kind)


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
                 time_control: bool = True, se_method: SeMethod = "auto",
                 tiers: Mapping[str, str] | None = None, noun: str | None = None
                 ) -> EffectsFit:
    """Per-field drop effects on P(successes / trials), scaled; see the module docstring.

    ``tiers`` pins a field to the kind of comparison another measure of it rests on (the win
    models take conversion's): where these cells hold no such comparison, the effect is null
    (``NOT_MATURE``), never taken from a weaker kind. A field's measures then rest on one
    kind of evidence, the one its label names. ``noun``: what the trials are, in the texts
    and null codes (the win models' trials are a column ``eff``: leads or views weighted by
    their completion)."""
    word = noun or trials
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
                    f"same outcome ({successes} per {_word(word)}), so its drop effect has no "
                    "finite interval; gather more data or run a test."),
                    {"field": f, "block": spec.id}))
        model_blocks.append(block_model(d, fit, status, se_method, prep.patterns))
    effects: dict[str, FieldEffect] = {}
    for f in fields:
        by_kind = parts.get(f, {})
        want = (tiers or {}).get(f)
        chosen = (by_kind.get(want) if want is not None else
                  by_kind.get("randomized") or by_kind.get("observational"))
        if chosen:
            effects[f] = _combine(f, chosen, word, scale)
        elif want is not None:
            effects[f] = _not_mature(f, want, word)
        else:
            effects[f] = _none_effect(f, prep.frame, prep.presence, prep.fields, word)
    model = {"successes": successes, "trials": trials, "scale": scale, "se_method": se_method,
             "min_clusters": MIN_CLUSTERS, "min_clusters_randomized": MIN_CLUSTERS_RANDOMIZED,
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


