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
                ``p = P(Z > (est + m) / se)``, ``se`` = lower CI half-width / 1.959964,
                Holm-adjusted over every unprotected field (one per aliased group) with
                such evidence, known numbers and a known margin; drop when adjusted
                ``p < 0.025``. Protected fields are not in the family: they are never
                dropped, so they cannot make this error. With one field Holm changes
                nothing, and ``p < 0.025`` one-sided is exactly "the lower end of the 95%
                interval is above ``-m``". With k fields the family-wise chance of calling
                any at-the-margin field safe stays at or below 2.5%.
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
view, from baseline ``p`` (``NormalIndPower().solve_power`` on
``proportion_effectsize(p, p - m)``); with a true change of 0 this is also the size of a
non-inferiority test at one-sided 2.5%, the level of the drop rule. Duration:
``ceil(2 * views_per_arm / daily_views) + horizon_days`` (``None`` without daily views). No plan
without a baseline (no views or no outcomes); the reason then says what is missing.

Aliased fields (always shown together) get one verdict for the group, decided on the group's
joint estimate, which every member carries; each member's reason names its partners. A group
with a protected member cannot be dropped (that would remove the protected field): its other
members get the group's verdict among keep / make_optional / test.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from formfit.errors import UsageError
from formfit.models.power import views_per_arm
from formfit.results import Estimate, FieldResult, TestPlan, Verdict

Z975 = 1.959963984540054
ALPHA_DROP = 0.025  # one-sided, Holm-adjusted: one field <=> the 95% interval's lower end
Q_SIGNIFICANT = 0.05
EVALUATED = ("randomized", "observational", "aliased")


@dataclass(frozen=True)
class FieldContext:
    """Facts about the forms that show a field, needed to turn margins into tests."""

    baseline_wins_per_1k: float | None = None  # wins per 1,000 views today on those forms
    daily_views: float | None = None  # current daily views of those forms (test duration)
    horizon_days: int | None = None  # maturity window h: added to the test duration
    protected_reason: str | None = None  # why the forms config protects it, if it does


_MARGIN = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$")


def parse_margin(text: str) -> tuple[str, float]:
    """``"2%"`` -> ``("relative", 0.02)``; ``"0.5"`` -> ``("absolute", 0.5)`` wins per 1k views.

    Raises :class:`~formfit.errors.UsageError` with a hint for anything else.
    """
    match = _MARGIN.match(str(text))
    hint = ("Give --margin as a percentage of today's won deals per 1,000 views, e.g. '2%', or "
            "as an absolute number of won deals per 1,000 views, e.g. '0.5'.")
    if not match:
        raise UsageError(f"--margin {text!r} is not a margin.", hint)
    value = float(match.group(1))
    if match.group(2):
        if not 0 < value <= 100:
            raise UsageError(f"--margin {text!r} must be above 0% and at most 100%.", hint)
        return "relative", value / 100.0
    if value <= 0:
        raise UsageError(f"--margin {text!r} must be above 0.", hint)
    return "absolute", value


def margin_per_1k(kind: str, value: float, baseline_wins_per_1k: float | None) -> float | None:
    """The margin in wins per 1,000 views; None when relative and the baseline is unknown."""
    if kind == "absolute":
        return value
    if baseline_wins_per_1k is None or not baseline_wins_per_1k > 0:
        return None
    return value * baseline_wins_per_1k


def plan_test(ctx: FieldContext, margin_wins_per_1k: float | None) -> TestPlan | None:
    """The A/B test that would settle the field, or None when the baseline is unknown."""
    base = ctx.baseline_wins_per_1k
    if base is None or margin_wins_per_1k is None:
        return None
    n = views_per_arm(base, margin_wins_per_1k)
    if n is None:
        return None
    days: int | None = None
    if ctx.daily_views is not None and ctx.daily_views > 0:
        days = int(math.ceil(2 * n / ctx.daily_views)) + int(ctx.horizon_days or 0)
    return TestPlan(views_per_arm=n, days=days)


def noninferiority_p(est: Estimate, margin: float) -> float | None:
    """One-sided p of H0 "removing costs at least ``margin``": P(Z > (est + m) / se).

    ``se`` is the lower half-width of the 95% interval / 1.959964, so that p < 0.025 exactly when
    the interval's lower end is above ``-margin`` (asymmetric intervals included).
    """
    if not est.known:
        return None
    assert est.estimate is not None and est.ci_low is not None
    se = (est.estimate - est.ci_low) / Z975
    if not se > 0 or not math.isfinite(se):
        return None
    return 0.5 * math.erfc((est.estimate + margin) / se / math.sqrt(2.0))


# --- words -------------------------------------------------------------------------------------

def num(x: float) -> str:
    """A number with as many decimals as its size needs: 1,234, 12.3, 2.1, 0.34, 0.034."""
    if x == 0 or not math.isfinite(x):
        return "0"
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 0.95:
        return f"{x:.1f}"
    text = f"{x:.{max(1, 1 - math.floor(math.log10(a)))}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def signed(x: float) -> str:
    s = num(x)
    return s if s.startswith("-") or s == "0" else "+" + s


def _q(q: float | None) -> str:
    if q is None:
        return "unknown"
    return "< 0.001" if q < 0.001 else f"{q:.3f}" if q < 0.1 else f"{q:.2f}"


def _names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _conversion_clause(c: Estimate) -> str:
    if c.estimate is None:
        return "an unknown effect on submissions"
    if c.estimate >= 0:
        return f"{num(c.estimate)} pp more submissions"
    return f"{num(-c.estimate)} pp fewer submissions"


def _wins_clause(subject: str, w: Estimate) -> str:
    """'Removing X would cost 2.1 won deals per 1,000 views (95% CI 0.9 to 3.3)' or a change."""
    assert w.estimate is not None and w.ci_low is not None and w.ci_high is not None
    if w.ci_high < 0:
        return (f"Removing {subject} would cost {num(-w.estimate)} won deals per 1,000 views "
                f"(95% CI {num(-w.ci_high)} to {num(-w.ci_low)})")
    return (f"Removing {subject} would change won deals by {signed(w.estimate)} per 1,000 views "
            f"(95% CI {signed(w.ci_low)} to {signed(w.ci_high)})")


def _plan_clause(plan: TestPlan | None, missing: str, horizon: int | None) -> str:
    if plan is None:
        return f", but no test can be sized yet ({missing})"
    text = f" with {plan.views_per_arm:,} views per arm"
    if plan.days is None:
        return text + " (duration unknown without daily views)"
    window = f", including the {horizon}-day maturity window" if horizon else ""
    slow = ": over a year at today's traffic, so consider a larger margin" \
        if plan.days > 365 else ""
    return text + f" (about {plan.days:,} days{window}{slow})"


def _missing(f: FieldResult, ctx: FieldContext, m: float | None) -> str:
    """What data would be needed to size a test or judge the margin, in words."""
    de = f.drop_effect
    codes = {de.conversion_pp.code, de.wins_per_1k_views.code, de.win_rate_pp.code,
             *f.predictive.codes}
    if ctx.baseline_wins_per_1k is not None and ctx.baseline_wins_per_1k <= 0:
        return "no won deals yet on the forms that show it"
    if "NO_VIEWS" in codes and "NO_OUTCOMES" in codes:
        return "needs views and outcomes"
    if "NO_VIEWS" in codes:
        return "needs a views file to know today's won deals per 1,000 views"
    if "NO_OUTCOMES" in codes:
        return "needs outcomes to know today's won deals per 1,000 views"
    if ctx.baseline_wins_per_1k is None or m is None:
        return "today's won deals per 1,000 views on its forms are unknown"
    return "the margin is too large for today's won deals"


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


def decide(fields: Sequence[FieldResult], *, margin: str = "2%",
           context: Mapping[str, FieldContext]) -> tuple[FieldResult, ...]:
    """Return copies of ``fields`` (same order) with ``verdict``, ``reason`` and ``test_plan``.

    See the module docstring for the rules. ``context`` maps field names to facts about their
    forms; a missing entry means nothing is known (no margin for relative margins, no plan).
    """
    kind, value = parse_margin(margin)
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
        m = margin_per_1k(kind, value, ctx.baseline_wins_per_1k)
        lead = members[0]
        p: float | None = None
        if (m is not None and lead.drop_effect.evidence in EVALUATED
                and not any(f.protected for f in members)):
            p = noninferiority_p(lead.drop_effect.wins_per_1k_views, m)
        ctxs.append(ctx)
        margins.append(m)
        p_raw.append(p)

    from formfit.models.stats import holm

    p_adj = holm(p_raw)

    out = list(fields)
    for g, ctx, m, p in zip(groups, ctxs, margins, p_adj, strict=True):
        members = [fields[i] for i in g.members]
        verdict, core, plan = _group_verdict(members, ctx, m, p)
        for i in g.members:
            out[i] = _finish(fields[i], g, ctx, members, verdict, core, plan)
    return tuple(out)


def _group_verdict(members: list[FieldResult], ctx: FieldContext, m: float | None,
                   p_adj: float | None) -> tuple[Verdict, str, TestPlan | None]:
    """The group's verdict, the reason's core (with ``{subject}`` to fill) and the plan."""
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
    mtxt = f"the {num(m)} margin" if m is not None else "the margin"

    if known and p_adj is not None and p_adj < ALPHA_DROP:
        core = (_wins_clause("{subject}", w) + f", within {mtxt}, for "
                f"{_conversion_clause(c)}: drop {{it}}")
        return "drop", core, None
    if known and m is not None and w.ci_high is not None and w.ci_high < -m:
        core = (_wins_clause("{subject}", w) + f", more than {mtxt}, for "
                f"{_conversion_clause(c)}: keep {{it}}")
        return "keep", core, None
    if de.evidence == "none" and predictive:
        core = ("{subject} was never removed from any form, so its cost is unmeasured, but its "
                f"values predict winning (q {_q(q)}): keep {{it}}")
        return "keep", core, None

    plan = plan_test(ctx, m)
    missing = _missing(lead, ctx, m)
    if (required and predictive and c.ci_low is not None and c.estimate is not None
            and c.ci_low > 0):
        core = (f"Requiring {{subject}} costs {num(c.estimate)} pp of submissions "
                f"(95% CI {num(c.ci_low)} to {num(c.ci_high or c.estimate)}) but its values "
                f"predict winning (q {_q(q)}): make {{it}} optional and test that"
                f"{_plan_clause(plan, missing, ctx.horizon_days)}")
        return "make_optional", core, plan

    if not evaluated and leaky:
        why = ("{subject} was never removed from any form, so its cost is unmeasured, and its "
               "values predict winning so well that they are probably filled in after the lead "
               "is worked (possible leakage), which says nothing about the form question")
    elif not evaluated:
        why = ("{subject} was never removed from any form, so its cost is unmeasured, and "
               + (f"its values do not clearly predict winning (q {_q(q)})" if q is not None
                  else "whether its values predict winning is unknown"))
    elif not w.known and c.estimate is not None:
        why = (f"Removing {{subject}} would bring {_conversion_clause(c)}, but its effect on won "
               "deals is unknown")
    elif not w.known:
        why = "The effect of removing {subject} could not be estimated"
    elif m is None:
        why = _wins_clause("{subject}", w) + ", and the relative margin cannot be applied"
    else:
        why = _wins_clause("{subject}", w) + f": too uncertain to call against {mtxt}"
    why += "; test removing {it}" + _plan_clause(plan, missing, ctx.horizon_days)
    return "test", why, plan


def _finish(f: FieldResult, g: _Group, ctx: FieldContext, members: list[FieldResult],
            verdict: Verdict, core: str, plan: TestPlan | None) -> FieldResult:
    """One member's copy: the group's verdict in a sentence naming this field and its partners."""
    partners = [n for n in g.names if n != f.field]
    subject = _names(g.names) if partners else f.field
    if f.protected:
        why = f" ({ctx.protected_reason})" if ctx.protected_reason else ""
        reason = f"{f.field} is protected in the forms config{why}: never recommended for removal"
        w = f.drop_effect.wins_per_1k_views
        if w.known:
            reason += "; r" + _wins_clause(subject, w)[1:]
        verdict, plan = "protected", None
    else:
        reason = core.replace("{it}", "them" if partners else "it").replace("{subject}", subject)
        locked = [x.field for x in members if x.protected]
        if locked:
            reason += (f" (it cannot be dropped without {_names(locked)}, which "
                       f"{'is' if len(locked) == 1 else 'are'} protected)")
    if partners:
        reason += f" (decided together with {_names(partners)}: they always appear together)"
    return replace(f, verdict=verdict, reason=reason + ".", test_plan=plan)
