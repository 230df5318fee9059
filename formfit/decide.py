"""Verdicts: from each field's drop effect, margin and protection to one recommendation.

The number decided on is ``wins_per_1k_views``: the change in won deals per 1,000 form views
that removing the field would cause (negative: sales lose). ``m`` is the non-inferiority margin
in wins per 1,000 views: an absolute ``--margin 0.5`` as given, a relative ``--margin 2%`` as
2% of the field's baseline (wins per 1,000 views today on the forms that show it).

Rules, first match wins (every field gets exactly one verdict):

==============  ============================================================================
verdict         when
==============  ============================================================================
protected       the forms config protects the field; always, whatever the data say (the
                numbers are still reported).
drop            evidence is randomized, observational or aliased (never ``none``) and removing
                it costs sales no more than ``m``, with 95% confidence, held jointly over the
                run with Holm: per field the one-sided non-inferiority p-value
                ``p = P(T > (est + m) / se)``, ``se`` = lower CI half-width over the
                interval's own 97.5% quantile (t with its degrees of freedom, or normal),
                Holm-adjusted over every unprotected field (one per aliased group) with
                such evidence, known numbers and a known margin; drop when adjusted
                ``p < 0.025``. Protected fields are not in the family: they are never
                dropped, so they cannot make this error. With one field Holm changes
                nothing, and ``p < 0.025`` one-sided is exactly "the lower end of the 95%
                interval is above ``-m``". With k fields the family-wise chance of calling
                any at-the-margin field safe stays at or below 2.5%.
                For an effect with ``interval: sequential`` (a watched experiment, see
                :mod:`formfit.watch`) ``p`` is the one-sided *always-valid* p-value of
                :func:`formfit.models.sequential.noninferiority_p`: below 0.025 exactly
                when the confidence sequence's lower end is above ``-m``, however often
                the report is re-run while the experiment runs.
keep            removing it costs more than ``m`` with 95% confidence (upper end of the
                interval below ``-m``); or the evidence is ``none`` (its cost was never
                measured) and its values predict winning (``q_value < 0.05``).
make_optional   required on a form, removing it raises conversion (``conversion_pp`` interval
                entirely above 0) and its values predict winning (``q_value < 0.05``): keep the
                information from those who give it without forcing everyone; to be tested,
                with a test plan.
test            anything else: the interval is too wide to call, or ``none`` evidence without
                predictive value. The test plan sizes an A/B test.
==============  ============================================================================

Test plan: views per arm for 80% power at 5% two-sided to detect a change of ``m`` in wins per
view, from baseline ``p``: ``n = (z_0.975 + z_0.80)² 2p(1-p) / m²`` (``NormalIndPower`` on the
shifted effect size, :mod:`formfit.models.power`), which with a true change of 0 is exactly the
size of the non-inferiority test at one-sided 2.5% that the drop rule runs. Duration:
``ceil(2 * views_per_arm / daily_views) + horizon_days`` (``None`` without daily views). No plan
without a baseline (no views or no outcomes); the reason then says what is missing. In weeks,
as teams plan (:func:`plan_from`): today's traffic split into two arms, the change detectable
after 2, 4, 8 and 12 weeks (each read out ``horizon_days`` later, when their deals have
closed), the weeks the margin needs, and "not feasible" beyond 52 weeks, with the change 12
weeks could detect instead.

Aliased fields (always shown together) get one verdict for the group, decided on the group's
joint estimate, which every member carries; each member's reason names its partners. A group
with a protected member cannot be dropped (that would remove the protected field): its other
members get the group's verdict among keep / make_optional / test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from formfit.config import DEFAULT_MARGIN, Margin
from formfit.models.power import (
    detectable_change_pct,
    detectable_change_per_1k,
    sequential_factor,
    sequential_views_per_arm,
    views_per_arm,
    views_per_arm_exact,
    views_per_arm_in_weeks,
    weeks_of_traffic,
)
from formfit.results import DetectableAt, DropEffect, Estimate, FieldResult, TestPlan, Verdict

Z975 = 1.959963984540054
ALPHA_DROP = 0.025  # one-sided, Holm-adjusted: one field <=> the 95% interval's lower end
Q_SIGNIFICANT = 0.05
EVALUATED = ("randomized", "observational", "aliased")
PLAN_WEEKS = (2, 4, 8, 12)  # runtimes a team plans with (GrowthBook/Eppo show MDE by week)
FEASIBLE_WEEKS = 52  # a test needing more than a year of traffic is not feasible
FALLBACK_WEEKS = 12  # the runtime whose detectable change is offered when it is not


@dataclass(frozen=True)
class FieldContext:
    """Facts about the forms that show a field, needed to turn margins into tests."""

    baseline_wins_per_1k: float | None = None  # wins per 1,000 views today on those forms
    daily_views: float | None = None  # current daily views of those forms (test duration)
    horizon_days: int | None = None  # maturity window h: added to the test duration
    protected_reason: str | None = None  # why the forms config protects it, if it does
    baseline_conversion_pct: float | None = None  # submissions per 100 views on those forms


def parse_margin(text: str) -> tuple[str, float]:
    """``"2%"`` -> ``("relative", 0.02)``; ``"0.5"`` -> ``("absolute", 0.5)`` wins per 1k views.

    Kept for callers of the old API; :meth:`formfit.config.Margin.parse` is the parser.
    """
    m = Margin.parse(text)
    return m.kind, m.value


def margin_per_1k(kind: str, value: float, baseline_wins_per_1k: float | None) -> float | None:
    """The margin in wins per 1,000 views; None when relative and the baseline is unknown."""
    return Margin("absolute" if kind == "absolute" else "relative", value).per_1k(
        baseline_wins_per_1k)


def plan_test(ctx: FieldContext, margin_wins_per_1k: float | None,
              n_star: float | None = None) -> TestPlan | None:
    """The A/B test that would settle the field, or None when the baseline is unknown;
    sized for a watched experiment when ``n_star`` (its confidence sequence's tuning) is given.
    """
    return plan_from(ctx.baseline_wins_per_1k, margin_wins_per_1k,
                     baseline_conversion_pct=ctx.baseline_conversion_pct,
                     daily_views=ctx.daily_views, horizon_days=ctx.horizon_days,
                     n_star=n_star)


def plan_from(baseline_wins_per_1k: float | None, margin_wins_per_1k: float | None, *,
              baseline_conversion_pct: float | None = None, daily_views: float | None = None,
              horizon_days: int | None = None, n_star: float | None = None
              ) -> TestPlan | None:
    """The two-arm A/B test that detects a change of ``margin`` (80% power, 5% two-sided).

    Pure (no data): ``views_per_arm`` and ``days`` as the module docstring says; with daily
    views, the smallest change in wins per 1,000 views (and in conversion, pp, given its
    baseline) that 2, 4, 8 and 12 weeks of today's traffic detect, each read out once the
    maturity window has passed; the weeks the margin itself needs; whether that is within a
    year; and, either way, the change 12 weeks would detect. None without a baseline in
    (0, 1000) or a positive margin.

    With ``n_star`` the test is watched with a confidence sequence tuned to it (a running
    experiment, or ``--sequential``): every size and detectable change is for that always-valid
    reading (:func:`formfit.models.power.sequential_factor`), and the plan says so.
    """
    if baseline_wins_per_1k is None or margin_wins_per_1k is None:
        return None
    exact = views_per_arm_exact(baseline_wins_per_1k, margin_wins_per_1k)
    if exact is None or not views_per_arm(baseline_wins_per_1k, margin_wins_per_1k):
        return None
    n = views_per_arm(baseline_wins_per_1k, margin_wins_per_1k) or 0
    if n_star is not None:
        exact = sequential_views_per_arm(exact, n_star)
        n = int(math.ceil(exact))
    watched: dict[str, Any] = ({"interval": "sequential", "n_star": int(n_star)}
                               if n_star is not None else {})
    h = int(horizon_days or 0)
    if daily_views is None or not daily_views > 0 or not math.isfinite(daily_views):
        return TestPlan(views_per_arm=n, days=None, horizon_days=horizon_days, **watched)

    def detectable(weeks: float, base: float | None, fn: Any) -> float | None:
        nw = views_per_arm_in_weeks(weeks, daily_views)
        d = None if base is None else fn(base, nw)
        return d if d is None or n_star is None else d * sequential_factor(nw, n_star)

    weeks = weeks_of_traffic(exact, daily_views)
    by_week = tuple(
        DetectableAt(
            weeks=w, days_until_readout=7 * w + h,
            wins_per_1k_views=detectable(w, baseline_wins_per_1k, detectable_change_per_1k),
            conversion_pp=detectable(w, baseline_conversion_pct, detectable_change_pct))
        for w in PLAN_WEEKS)
    return TestPlan(
        views_per_arm=n, days=int(math.ceil(2 * n / daily_views)) + h,
        weekly_views=7.0 * daily_views, horizon_days=horizon_days,
        weeks_to_detect_margin=weeks,
        feasible=None if weeks is None else weeks <= FEASIBLE_WEEKS,
        feasible_margin_12_weeks=detectable(FALLBACK_WEEKS, baseline_wins_per_1k,
                                            detectable_change_per_1k),
        detectable_by_week=by_week, **watched)


def noninferiority_p(est: Estimate, margin: float) -> float | None:
    """One-sided p of H0 "removing costs at least ``margin``": P(T > (est + m) / se), in the
    distribution the interval was built from (t with ``est.df`` degrees of freedom when it
    has them, else normal).

    ``se`` is the lower half-width of the 95% interval over that distribution's 97.5% quantile,
    so that p < 0.025 exactly when the interval's lower end is above ``-margin`` (asymmetric
    intervals included). Below 0.025 (Holm's thresholds) the tail is the same distribution's:
    a normal tail on a t interval of 6 degrees of freedom made Holm's 0.025/5 a 0.009 chance.
    """
    if not est.known:
        return None
    assert est.estimate is not None and est.ci_low is not None
    df = est.df
    if df is None:
        se = (est.estimate - est.ci_low) / Z975
        if not se > 0 or not math.isfinite(se):
            return None
        return 0.5 * math.erfc((est.estimate + margin) / se / math.sqrt(2.0))
    from scipy import stats

    se = (est.estimate - est.ci_low) / float(stats.t.ppf(0.975, df))
    if not se > 0 or not math.isfinite(se):
        return None
    return float(stats.t.sf((est.estimate + margin) / se, df))


def _drop_p(f: FieldResult, margin: float) -> float | None:
    """The non-inferiority p-value of the field's wins per 1,000 views: fixed-horizon, or
    always-valid when that interval is a watched experiment's confidence sequence."""
    de = f.drop_effect
    seq = de.sequential or {}
    if de.interval == "sequential" and "wins_per_1k_views" in seq.get("estimates", ()):
        from formfit.models.sequential import noninferiority_p as sequential_p

        try:
            return sequential_p(de.wins_per_1k_views, margin, float(seq["n"]),
                                float(seq["n_star"]))
        except (KeyError, TypeError, ValueError):  # hand-edited sequential info
            return None
    return noninferiority_p(de.wins_per_1k_views, margin)


def _watching(de: DropEffect, verdict: Verdict) -> dict[str, Any] | None:
    """For a watched experiment's effect: which one, how long, and whether it can stop."""
    if de.interval != "sequential" or not de.sequential:
        return None
    seq = de.sequential
    days, planned = seq.get("days_running"), seq.get("planned_days")
    stop: str | None = None
    if verdict in ("drop", "keep"):
        stop = "DECIDED"  # the sequence clears the margin on one side: valid to stop now
    elif isinstance(days, int) and isinstance(planned, int) and days >= planned:
        stop = "PLANNED_RUNTIME"
    return {"experiment": seq.get("experiment"), "days_running": days,
            "planned_days": planned, "can_stop": stop}


# --- reason codes ------------------------------------------------------------------------------
# decide() states why as a code with its numbers (FieldResult.reason_code / reason_data); the
# renderers write the sentence (formfit.renderers.reasons), with one number formatter.

def _missing(f: FieldResult, ctx: FieldContext, m: float | None) -> str:
    """What data would be needed to size a test or judge the margin, as a code."""
    de = f.drop_effect
    codes = {de.conversion_pp.code, de.wins_per_1k_views.code, de.win_rate_pp.code,
             *f.predictive.codes}
    if ctx.baseline_wins_per_1k is not None and ctx.baseline_wins_per_1k <= 0:
        return "NO_WON_DEALS"
    if "NO_VIEWS" in codes and "NO_OUTCOMES" in codes:
        return "NO_VIEWS_NO_OUTCOMES"
    if "NO_VIEWS" in codes:
        return "NO_VIEWS"
    if "NO_OUTCOMES" in codes:
        return "NO_OUTCOMES"
    if ctx.baseline_wins_per_1k is None or m is None:
        return "BASELINE_UNKNOWN"
    return "MARGIN_TOO_LARGE"


def _est(e: Estimate) -> list[float | None]:
    return [e.estimate, e.ci_low, e.ci_high]


# --- deciding ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Group:
    members: tuple[int, ...]  # indices into the fields
    names: tuple[str, ...]


def _group_key(f: FieldResult) -> tuple[str, ...]:
    de = f.drop_effect
    if de.evidence == "aliased" or de.aliased_with:
        return tuple(sorted({f.field, *de.aliased_with, *de.group}))
    return (f.field,)


def _groups(fields: Sequence[FieldResult]) -> list[_Group]:
    by_key: dict[tuple[str, ...], list[int]] = {}
    for i, f in enumerate(fields):
        by_key.setdefault(_group_key(f), []).append(i)
    return [_Group(tuple(ix), tuple(fields[i].field for i in ix)) for ix in by_key.values()]


def decide(fields: Sequence[FieldResult], *, margin: Margin | str = DEFAULT_MARGIN,
           context: Mapping[str, FieldContext]) -> tuple[FieldResult, ...]:
    """Return copies of ``fields`` (same order) with ``verdict``, ``reason_code`` and
    ``reason_data`` (the renderers write the sentence), ``margin_wins_per_1k`` and
    ``test_plan``.

    See the module docstring for the rules. ``context`` maps field names to facts about their
    forms; a missing entry means nothing is known (no margin for relative margins, no plan).
    """
    margin = Margin.parse(margin)
    fields = list(fields)
    groups = _groups(fields)
    empty = FieldContext()

    # Per group: the margin, the context and the non-inferiority p-value (if evaluable).
    ctxs: list[FieldContext] = []
    margins: list[float | None] = []
    p_raw: list[float | None] = []
    for g in groups:
        members = [fields[i] for i in g.members]
        cands = [context.get(f.field, empty) for f in members]
        ctx = next((c for c in cands if c.baseline_wins_per_1k is not None), cands[0])
        m = margin.per_1k(ctx.baseline_wins_per_1k)
        lead = members[0]
        p: float | None = None
        if (m is not None and lead.drop_effect.evidence in EVALUATED
                and not any(f.protected for f in members)):
            p = _drop_p(lead, m)
        ctxs.append(ctx)
        margins.append(m)
        p_raw.append(p)

    from formfit.models.stats import holm

    p_adj = holm(p_raw)

    out = list(fields)
    for g, ctx, m, p in zip(groups, ctxs, margins, p_adj, strict=True):
        members = [fields[i] for i in g.members]
        verdict, code, data, plan = _group_verdict(members, ctx, m, p)
        for i in g.members:
            out[i] = _finish(fields[i], g, ctx, members, verdict, code, data, plan, m)
    return tuple(out)


def _group_verdict(members: list[FieldResult], ctx: FieldContext, m: float | None,
                   p_adj: float | None
                   ) -> tuple[Verdict, str, dict[str, Any], TestPlan | None]:
    """The group's verdict, its reason code and numbers, and the test plan."""
    lead = members[0]
    de = lead.drop_effect
    w, c = de.wins_per_1k_views, de.conversion_pp
    qs = [f.predictive.q_value for f in members if f.predictive.q_value is not None]
    q = min(qs) if qs else None
    # Values that predict winning almost perfectly are probably written after the fact (by
    # sales): that is leakage, not evidence that the form question helps sales.
    leaky = any("POSSIBLE_LEAKAGE" in f.predictive.codes for f in members)
    predictive = q is not None and q < Q_SIGNIFICANT and not leaky
    required = any(f.required for f in members)
    evaluated = de.evidence in EVALUATED
    known = evaluated and w.known and m is not None
    data: dict[str, Any] = {"wins_per_1k": _est(w), "conversion_pp": _est(c), "margin": m,
                            "q": q, "wins_code": w.code}

    if known and p_adj is not None and p_adj < ALPHA_DROP:
        return "drop", "DROP_WITHIN_MARGIN", data, None
    if known and m is not None and w.ci_high is not None and w.ci_high < -m:
        return "keep", "KEEP_COSTS_MORE_THAN_MARGIN", data, None
    if de.evidence == "none" and predictive:
        return "keep", "KEEP_UNMEASURED_PREDICTIVE", data, None

    seq = (de.sequential or {}) if de.interval == "sequential" else {}
    plan = plan_test(ctx, m, seq.get("n_star"))
    data.update(missing=_missing(lead, ctx, m), horizon_days=ctx.horizon_days)
    if (required and predictive and c.ci_low is not None and c.estimate is not None
            and c.ci_low > 0):
        return "make_optional", "MAKE_OPTIONAL_COSTLY_BUT_PREDICTIVE", data, plan

    if not evaluated and leaky:
        code = "TEST_UNMEASURED_LEAKAGE"
    elif not evaluated:
        code = "TEST_UNMEASURED"
    elif not w.known and c.estimate is not None:
        code = "TEST_WINS_UNKNOWN"
    elif not w.known:
        code = "TEST_NOT_ESTIMABLE"
    elif m is None:
        code = "TEST_NO_MARGIN"
    elif any(f.protected for f in members) and w.ci_low is not None and w.ci_low > -m:
        # within the margin, but only together with a protected field: not uncertain, locked
        code = "TEST_LOCKED_BY_PROTECTED"
    else:
        code = "TEST_TOO_UNCERTAIN"
    return "test", code, data, plan


def _finish(f: FieldResult, g: _Group, ctx: FieldContext, members: list[FieldResult],
            verdict: Verdict, code: str, data: dict[str, Any], plan: TestPlan | None,
            m: float | None) -> FieldResult:
    """One member's copy: the group's verdict and reason code, naming its partners."""
    partners = [n for n in g.names if n != f.field]
    data = {**data, "group": list(g.names) if partners else [f.field], "partners": partners}
    watching = _watching(members[0].drop_effect, "protected" if f.protected else verdict)
    if watching is not None:
        data["sequential"] = watching
    if f.protected:
        data["protected_reason"] = ctx.protected_reason
        verdict, plan, code = "protected", None, "PROTECTED"
    else:
        data["locked"] = [x.field for x in members if x.protected]
    return replace(f, verdict=verdict, reason="", reason_code=code, reason_data=data,
                   test_plan=plan, margin_wins_per_1k=m)
