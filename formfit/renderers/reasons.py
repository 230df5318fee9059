"""Reason codes in words: the one sentence a marketer reads for each field's verdict.

:func:`formfit.decide.decide` states why as ``FieldResult.reason_code`` with its numbers in
``reason_data``; this module writes the sentence, with the same number formatter
(:func:`formfit.renderers.text.num`) every format uses. Codes:

======================================  ==========================================================
DROP_WITHIN_MARGIN                      removing it costs no more than the margin (95%, Holm)
KEEP_COSTS_MORE_THAN_MARGIN             removing it costs more than the margin (95%)
KEEP_UNMEASURED_PREDICTIVE              never removed, but its values predict winning
MAKE_OPTIONAL_COSTLY_BUT_PREDICTIVE     required, costs submissions, values predict winning
TEST_TOO_UNCERTAIN                      interval too wide to call against the margin
TEST_NO_MARGIN                          a relative margin without a baseline
TEST_LOCKED_BY_PROTECTED                within the margin, but only with a protected partner
TEST_WINS_UNKNOWN                       conversion effect known, wins effect not
TEST_NOT_ESTIMABLE                      no effect could be estimated
TEST_UNMEASURED                         never removed, values not clearly predictive
TEST_UNMEASURED_LEAKAGE                 never removed, values predict too well (leakage)
PROTECTED                               protected in the forms config
======================================  ==========================================================

A field whose interval is a watched experiment's confidence sequence (``reason_data``
``sequential``) says so, and whether the experiment can stop (:func:`watching`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from formfit.renderers.plans import closing_text, weeks_text, years_text
from formfit.renderers.text import days_text, num, pval
from formfit.results import FieldResult, TestPlan

MISSING_TEXT: dict[str, str] = {
    "NO_WON_DEALS": "no won deals yet on the forms that show it",
    "NO_VIEWS_NO_OUTCOMES": "needs views and outcomes",
    "NO_VIEWS": "needs a views file to know today's won deals per 1,000 views",
    "NO_OUTCOMES": "needs outcomes to know today's won deals per 1,000 views",
    "BASELINE_UNKNOWN": "today's won deals per 1,000 views on its forms are unknown",
    "MARGIN_TOO_LARGE": "the margin is too large for today's won deals",
}


def missing_text(data: Mapping[str, Any]) -> str:
    """Why no test can be sized, in words. Wins are those closed within the horizon h, so with
    a horizon known "no won deals" says so: the export may hold wins that closed later."""
    code = str(data.get("missing"))
    h = data.get("horizon_days")
    if code == "NO_WON_DEALS" and isinstance(h, int) and not isinstance(h, bool) and h > 0:
        return f"no deals won within {days_text(h)} of submission on the forms that show it"
    return MISSING_TEXT.get(code, "the data needed are missing")


def names(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _triple(data: Mapping[str, Any], key: str) -> tuple[float | None, float | None, float | None]:
    value = data.get(key) or [None, None, None]
    est, lo, hi = (list(value) + [None, None, None])[:3]
    return est, lo, hi


def _q(q: float | None) -> str:
    return "unknown" if q is None else pval(q)


def _conversion(data: Mapping[str, Any]) -> str:
    est, _, _ = _triple(data, "conversion_pp")
    if est is None:
        return "an unknown effect on submissions"
    if est >= 0:
        return f"{num(est)} pp more submissions"
    return f"{num(-est)} pp fewer submissions"


def _wins(subject: str, data: Mapping[str, Any]) -> str:
    """'Removing X would cost 2.1 won deals per 1,000 views (95% CI 0.9 to 3.3)' or a change."""
    est, lo, hi = _triple(data, "wins_per_1k")
    if est is None or lo is None or hi is None:
        return f"Removing {subject} has an unknown effect on won deals"
    ci = "95% always-valid CI" if data.get("sequential") else "95% CI"
    if hi < 0:
        return (f"Removing {subject} would cost {num(-est)} won deals per 1,000 views "
                f"({ci} {num(-hi)} to {num(-lo)})")
    return (f"Removing {subject} would change won deals by {num(est, sign=True)} per 1,000 "
            f"views ({ci} {num(lo, sign=True)} to {num(hi, sign=True)})")


def watching(data: Mapping[str, Any]) -> str:
    """' (experiment demo is watched: day 12 of 28; it can stop now)' for a sequential
    interval, else ''."""
    seq = data.get("sequential")
    if not isinstance(seq, Mapping):
        return ""
    days, planned = seq.get("days_running"), seq.get("planned_days")
    when = ""
    if days is not None:
        when = f": day {days}" + (f" of {planned} planned" if planned is not None else "")
    stop = seq.get("can_stop")
    if stop == "DECIDED":
        nxt = "its interval clears the margin, so it can stop now"
    elif stop == "PLANNED_RUNTIME":
        nxt = ("it has run its planned days without clearing the margin: stop it and size "
               "a longer test or accept a larger margin")
    else:
        until = f" or at day {planned}" if planned is not None else ""
        nxt = f"keep it running until its interval clears the margin{until}"
    return (f" (experiment {seq.get('experiment')} is watched with always-valid intervals"
            f"{when}; {nxt})")


def _plan(plan: TestPlan | None, data: Mapping[str, Any]) -> str:
    if plan is None:
        return f", but no test can be sized yet ({missing_text(data)})"
    horizon = data.get("horizon_days") if plan.horizon_days is None else plan.horizon_days
    closing = closing_text(horizon)
    if plan.weeks_to_detect_margin is not None and plan.feasible is not None:
        if plan.feasible:
            return (f": an A/B test of {weeks_text(plan.weeks_to_detect_margin)} of today's "
                    f"traffic{closing} would settle it")
        fallback = ""
        if plan.feasible_margin_12_weeks is not None:
            fallback = (f"; 12 weeks of traffic{closing} could detect a change of "
                        f"{num(plan.feasible_margin_12_weeks)} won deals per 1,000 views")
        return (f", but a test could not settle it at today's traffic (it would take about "
                f"{years_text(plan.weeks_to_detect_margin)}){fallback}")
    text = f" with {plan.views_per_arm:,} views per arm"
    if plan.days is None:
        return text + " (duration unknown without daily views)"
    window = f", including the {days_text(horizon)} its wins need to arrive" if horizon else ""
    slow = (": over a year at today's traffic, so consider a larger margin"
            if plan.days > 365 else "")
    return text + f" (about {plan.days:,} days{window}{slow})"


def _core(code: str, subject: str, it: str, data: Mapping[str, Any],
          plan: TestPlan | None) -> str:
    m = data.get("margin")
    mtxt = f"the {num(m)} margin" if m is not None else "the margin"
    q = _q(data.get("q"))
    unmeasured = f"{subject} was never removed from any form, so its cost is unmeasured"
    if code == "DROP_WITHIN_MARGIN":
        return f"{_wins(subject, data)}, within {mtxt}, for {_conversion(data)}: drop {it}"
    if code == "KEEP_COSTS_MORE_THAN_MARGIN":
        return f"{_wins(subject, data)}, more than {mtxt}, for {_conversion(data)}: keep {it}"
    if code == "KEEP_UNMEASURED_PREDICTIVE":
        return f"{unmeasured}, but its values predict winning (q {q}): keep {it}"
    if code == "MAKE_OPTIONAL_COSTLY_BUT_PREDICTIVE":
        est, lo, hi = _triple(data, "conversion_pp")
        return (f"Requiring {subject} costs {num(est)} pp of submissions (95% CI {num(lo)} to "
                f"{num(hi if hi is not None else est)}) but its values predict winning "
                f"(q {q}): make {it} optional and test that{_plan(plan, data)}")
    if code == "TEST_UNMEASURED_LEAKAGE":
        why = (f"{unmeasured}, and its values predict winning so well that they are probably "
               "filled in after the lead is worked (possible leakage), which says nothing about "
               "the form question")
    elif code == "TEST_UNMEASURED":
        why = unmeasured + ", and " + (
            f"its values do not clearly predict winning (q {q})" if data.get("q") is not None
            else "whether its values predict winning is unknown")
    elif code == "TEST_WINS_UNKNOWN" and data.get("wins_code") == "NOT_MATURE":
        why = (f"Removing {subject} would bring {_conversion(data)}, but its effect on won "
               "deals is not known yet: the leads of the comparison that measured it are too "
               "young for their deals to be judged")
    elif code == "TEST_WINS_UNKNOWN":
        why = (f"Removing {subject} would bring {_conversion(data)}, but its effect on won "
               "deals is unknown")
    elif code == "TEST_NOT_ESTIMABLE":
        why = f"The effect of removing {subject} could not be estimated"
    elif code == "TEST_NO_MARGIN":
        why = _wins(subject, data) + ", and the relative margin cannot be applied"
    elif code == "TEST_LOCKED_BY_PROTECTED":
        locked = list(data.get("locked") or [])
        own = [g for g in data.get("group") or [] if g not in locked]
        are, them = ("is", "it") if len(locked) == 1 else ("are", "them")
        return (f"{_wins(subject, data)}, within {mtxt}, but {names(locked)} {are} protected "
                f"and no form shows {names(own)} without {them}: test a variant without "
                f"{names(own)} that keeps {names(locked)}{_plan(plan, data)}")
    else:  # TEST_TOO_UNCERTAIN and any code this version does not know
        why = _wins(subject, data) + f": too uncertain to call against {mtxt}"
    if plan is not None and plan.feasible is False:
        return why + ";" + _plan(plan, data)[len(", but"):]
    return why + f"; test removing {it}" + _plan(plan, data)


def reason_sentence(f: FieldResult) -> str:
    """The sentence for ``f``'s reason code and numbers (empty when it has no code)."""
    code = f.reason_code
    if code is None:
        return f.reason
    data = f.reason_data
    partners = list(data.get("partners") or [])
    group = list(data.get("group") or [f.field])
    subject = names(group) if partners else f.field
    if code == "PROTECTED":
        why = data.get("protected_reason")
        text = (f"{f.field} is protected in the forms config{f' ({why})' if why else ''}: "
                "never recommended for removal")
        if _triple(data, "wins_per_1k")[2] is not None:
            text += "; r" + _wins(subject, data)[1:]
    else:
        text = _core(code, subject, "them" if partners else "it", data, f.test_plan)
        locked = list(data.get("locked") or [])
        if locked and code != "TEST_LOCKED_BY_PROTECTED":  # that sentence says it already
            text += (f" (it cannot be dropped without {names(locked)}, which "
                     f"{'is' if len(locked) == 1 else 'are'} protected)")
    if partners:
        text += f" (decided together with {names(partners)}: they always appear together)"
    return text + (watching(data) if code != "PROTECTED" else "") + "."
