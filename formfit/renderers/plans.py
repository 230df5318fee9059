"""Test plans in the units teams plan with: weeks of traffic and what each runtime detects.

Shared by every format (the reason sentence says whether the margin is within reach; these
give the by-week table and its one-line terminal form). Pure functions of
:class:`formfit.results.TestPlan`; numbers through :func:`formfit.renderers.text.num`.
"""

from __future__ import annotations

import math

from formfit.renderers.text import count, days_text, num
from formfit.results import TestPlan


def weeks_text(weeks: float) -> str:
    """Whole weeks, rounded up (a test cannot stop short of its size): '1 week', '9 weeks'."""
    w = max(1, math.ceil(round(weeks, 6)))
    return "1 week" if w == 1 else f"{w:,} weeks"


def years_text(weeks: float) -> str:
    """'76 years', '1.4 years'."""
    years = weeks / (365.25 / 7)
    return f"{years:,.0f} years" if years >= 2 else f"{years:.1f} years"


def closing_text(horizon_days: int | None) -> str:
    """' (+ 84 days for deals to close)', or '' without a maturity window."""
    return f" (+ {days_text(horizon_days)} for deals to close)" if horizon_days else ""


def watched_text(plan: TestPlan) -> str:
    """' read daily with always-valid intervals (N* 120,000)' for a watched test, else ''."""
    if plan.interval != "sequential":
        return ""
    tuned = f", N* {count(plan.n_star)}" if plan.n_star is not None else ""
    return f" (sized to be watched daily with always-valid intervals{tuned})"


def plan_summary(plan: TestPlan) -> str:
    """One phrase: how long the margin takes, or that it is out of reach and what 12 weeks buy."""
    return _plan_summary(plan) + watched_text(plan)


def _plan_summary(plan: TestPlan) -> str:
    weeks = plan.weeks_to_detect_margin
    if weeks is not None and plan.feasible:
        closing = closing_text(plan.horizon_days)
        return (f"{weeks_text(weeks)} of today's traffic{closing} detect the margin "
                f"({count(plan.views_per_arm)} views per arm)")
    if weeks is not None:
        text = (f"not feasible at today's traffic: the margin would take about "
                f"{years_text(weeks)}")
        if plan.feasible_margin_12_weeks is not None:
            text += (f"; 12 weeks{closing_text(plan.horizon_days)} detect a change of "
                     f"{num(plan.feasible_margin_12_weeks)} won deals per 1,000 views")
        return text
    if plan.days is None:
        return f"{count(plan.views_per_arm)} views per arm, duration unknown (no daily views)"
    return f"{count(plan.views_per_arm)} views per arm, about {count(plan.days)} days"


def plan_rows(plan: TestPlan) -> list[dict[str, str]]:
    """The by-week table: runtime, readout day, smallest detectable change (wins/1k, pp)."""
    h = plan.horizon_days
    return [{"runtime": f"{d.weeks} weeks" + (f" + {days_text(h)}" if h else ""),
             "readout": f"day {d.days_until_readout}",
             "wins": num(d.wins_per_1k_views),
             "conversion": num(d.conversion_pp) + (" pp" if d.conversion_pp is not None else "")}
            for d in plan.detectable_by_week]


def plan_compact(plan: TestPlan) -> str:
    """One terminal line: 'test detects Δ won deals/1k: 2 wk 38.9 · ... (+ 84 days to close)'."""
    if not plan.detectable_by_week:
        return ""
    parts = " · ".join(f"{d.weeks} wk {num(d.wins_per_1k_views)}"
                       for d in plan.detectable_by_week)
    h = plan.horizon_days
    return (f"test detects Δ won deals/1k: {parts}"
            + (f" (+ {days_text(h)} to close)" if h else "") + watched_text(plan))
