"""Decision rules as data: (evidence, effects, predictive value, protection, margin) -> verdict.

Also a simulation of the false "safe to drop" rate for fields whose true effect on won deals
sits exactly at the margin. Run ``python tests/test_decide.py`` for a larger loop with figures.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace

import numpy as np
import pytest

from formfit.config import Margin
from formfit.decide import (
    FieldContext,
    decide,
    margin_per_1k,
    noninferiority_p,
    parse_margin,
    views_per_arm,
)
from formfit.errors import UsageError
from formfit.results import DropEffect, Estimate, FieldResult, Predictive

Z = 1.959963984540054
CTX = FieldContext(baseline_wins_per_1k=10.0, daily_views=1000.0, horizon_days=60)
NONE3 = (None, None, None)


def make_field(name: str = "phone", evidence: str = "randomized",
               wins: tuple[float | None, float | None, float | None] = NONE3,
               conv: tuple[float | None, float | None, float | None] = NONE3,
               q: float | None = None, required: bool = True, protected: bool = False,
               aliased_with: tuple[str, ...] = ()) -> FieldResult:
    """A FieldResult with just the numbers the rules read."""
    return FieldResult(
        field=name, forms=("demo-a", "demo-b"), protected=protected, required=required,
        drop_effect=DropEffect(
            evidence=evidence,  # type: ignore[arg-type]
            aliased_with=aliased_with,
            conversion_pp=Estimate(*conv),
            wins_per_1k_views=Estimate(*wins, with_p=False)),
        predictive=Predictive(q_value=q))


@dataclass(frozen=True)
class Case:
    name: str
    evidence: str
    wins: tuple[float | None, float | None, float | None]
    conv: tuple[float | None, float | None, float | None]
    q: float | None
    required: bool
    protected: bool
    margin: str
    expected: str


SIG = (2.0, 0.5, 3.5)      # removing it raises conversion, significantly
NOSIG = (1.0, -0.5, 2.5)   # conversion change not significant
# baseline 10 wins per 1k views: margin "2%" is 0.2 wins per 1k; "0.5" is 0.5 wins per 1k
CASES = [
    Case("safe: lower end above -m", "randomized", (0.05, -0.1, 0.2), SIG, 0.5, True, False,
         "2%", "drop"),
    Case("lower end below -m: undecided", "randomized", (0.0, -0.25, 0.25), SIG, 0.5, True,
         False, "2%", "test"),
    Case("costs more than m", "randomized", (-2.0, -3.0, -1.0), SIG, 0.5, True, False, "2%",
         "keep"),
    Case("costs something, maybe less than m", "randomized", (-0.3, -0.5, -0.1), NOSIG, 0.5,
         True, False, "2%", "test"),
    Case("observational counts for drop", "observational", (0.0, -0.4, 0.4), NOSIG, 0.5, True,
         False, "0.5", "drop"),
    Case("same, tighter relative margin", "observational", (0.0, -0.4, 0.4), NOSIG, 0.5, True,
         False, "2%", "test"),
    Case("aliased group can be dropped", "aliased", (0.0, -0.1, 0.1), SIG, 0.5, True, False,
         "2%", "drop"),
    Case("never dropped on none evidence", "none", (0.0, -0.01, 0.01), NOSIG, 0.5, True, False,
         "2%", "test"),
    Case("none evidence, predictive: keep", "none", NONE3, NONE3, 0.01, True, False, "2%",
         "keep"),
    Case("none evidence, not predictive: test", "none", NONE3, NONE3, 0.3, True, False, "2%",
         "test"),
    Case("none evidence, no outcomes: test", "none", NONE3, NONE3, None, True, False, "2%",
         "test"),
    Case("protected beats drop", "randomized", (0.05, -0.1, 0.2), SIG, 0.5, True, True, "2%",
         "protected"),
    Case("protected beats keep", "randomized", (-2.0, -3.0, -1.0), SIG, 0.01, True, True, "2%",
         "protected"),
    Case("protected without evidence", "none", NONE3, NONE3, None, True, True, "2%",
         "protected"),
    Case("friction + predictive + required", "randomized", (-0.1, -0.5, 0.3), SIG, 0.01, True,
         False, "2%", "make_optional"),
    Case("already optional: test", "randomized", (-0.1, -0.5, 0.3), SIG, 0.01, False, False,
         "2%", "test"),
    Case("friction not significant: test", "randomized", (-0.1, -0.5, 0.3), NOSIG, 0.01, True,
         False, "2%", "test"),
    Case("values not predictive: test", "randomized", (-0.1, -0.5, 0.3), SIG, 0.2, True, False,
         "2%", "test"),
    Case("keep wins over make_optional", "randomized", (-2.0, -3.0, -1.0), SIG, 0.01, True,
         False, "2%", "keep"),
    Case("drop wins over make_optional", "randomized", (0.05, -0.1, 0.2), SIG, 0.01, True, False,
         "2%", "drop"),
    Case("wins unknown: test", "randomized", NONE3, SIG, 0.5, True, False, "2%", "test"),
    Case("upper end exactly at -m is not keep", "randomized", (-0.4, -0.6, -0.2 + 1e-12), NOSIG,
         0.5, True, False, "2%", "test"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict_table(case: Case) -> None:
    f = make_field(evidence=case.evidence, wins=case.wins, conv=case.conv, q=case.q,
                   required=case.required, protected=case.protected)
    (out,) = decide([f], margin=case.margin, context={"phone": CTX})
    assert out.verdict == case.expected, out.reason_text
    assert out.reason_text.endswith(".") and ". " not in out.reason_text  # one sentence
    assert "phone" in out.reason_text
    if out.verdict in ("test", "make_optional"):
        assert out.test_plan is not None and out.test_plan.views_per_arm > 0
    else:
        assert out.test_plan is None


def test_reason_cites_numbers_like_a_marketer_reads_them() -> None:
    f = make_field(wins=(-2.1, -3.3, -0.9), conv=(1.8, 0.6, 3.0), q=0.5)
    (out,) = decide([f], margin="2%", context={"phone": CTX})
    assert out.reason_text == ("Removing phone would cost 2.1 won deals per 1,000 views "
                          "(95% CI 0.9 to 3.3), more than the 0.2 margin, for 1.8 pp more "
                          "submissions: keep it.")


def test_protected_reason_cites_the_protection_and_the_numbers() -> None:
    f = make_field(name="email", wins=(-5.0, -7.0, -3.0), protected=True)
    ctx = FieldContext(10.0, 1000.0, 60, protected_reason="needed to contact the lead")
    (out,) = decide([f], context={"email": ctx})
    assert out.verdict == "protected"
    assert "needed to contact the lead" in out.reason_text and "5.0" in out.reason_text


def test_none_evidence_keep_reason_says_cost_unmeasured() -> None:
    (out,) = decide([make_field(evidence="none", q=0.004)], context={"phone": CTX})
    text = out.reason_text
    assert out.verdict == "keep" and "never removed" in text and "0.004" in text


def test_leaky_predictive_value_is_no_reason_to_keep() -> None:
    """A field whose values predict winning almost perfectly is probably filled in by sales
    after the fact: its q is not evidence that the form question helps, so no keep."""
    f = make_field(evidence="none", q=1e-50)
    f = replace(f, predictive=Predictive(q_value=1e-50, codes=("POSSIBLE_LEAKAGE",)))
    (out,) = decide([f], context={"phone": CTX})
    assert out.verdict == "test" and "leakage" in out.reason_text
    g = replace(make_field(evidence="none", q=1e-50, conv=SIG),
                predictive=Predictive(q_value=1e-50, codes=("POSSIBLE_LEAKAGE",)))
    assert decide([g], context={"phone": CTX})[0].verdict != "make_optional"


def test_aliased_group_gets_one_verdict_said_in_each_reason() -> None:
    joint = dict(evidence="aliased", wins=(-0.3, -0.6, 0.0), conv=(1.0, 0.2, 1.8))
    first = make_field("first_name", aliased_with=("last_name",), q=0.5, **joint)  # type: ignore[arg-type]
    last = make_field("last_name", aliased_with=("first_name",), q=0.01, **joint)  # type: ignore[arg-type]
    out = decide([first, last], margin="2%", context={"first_name": CTX, "last_name": CTX})
    assert {o.verdict for o in out} == {"make_optional"}  # group: required, friction, predictive
    assert "decided together with last_name: they always appear together" in out[0].reason_text
    assert "decided together with first_name" in out[1].reason_text
    assert out[0].test_plan == out[1].test_plan


def test_aliased_group_with_a_protected_member_is_never_dropped() -> None:
    joint = dict(evidence="aliased", wins=(0.0, -0.05, 0.05), conv=(1.0, 0.2, 1.8))
    email = make_field("email", aliased_with=("name",), protected=True, **joint)  # type: ignore[arg-type]
    name = make_field("name", aliased_with=("email",), q=0.5, **joint)  # type: ignore[arg-type]
    out = decide([email, name], context={"email": CTX, "name": CTX})
    assert [o.verdict for o in out] == ["protected", "test"]
    # the interval is well within the margin: the reason is the lock, not uncertainty
    assert out[1].reason_code == "TEST_LOCKED_BY_PROTECTED"
    assert "too uncertain" not in out[1].reason_text
    assert ("email is protected and no form shows name without it: test a variant without "
            "name that keeps email") in out[1].reason_text
    # wide enough to reach past the margin: uncertain, as before
    wide = dict(evidence="aliased", wins=(0.0, -5.0, 5.0), conv=(1.0, 0.2, 1.8))
    email = make_field("email", aliased_with=("name",), protected=True, **wide)  # type: ignore[arg-type]
    name = make_field("name", aliased_with=("email",), q=0.5, **wide)  # type: ignore[arg-type]
    out = decide([email, name], context={"email": CTX, "name": CTX})
    assert out[1].reason_code == "TEST_TOO_UNCERTAIN"
    assert "cannot be dropped without email, which is protected" in out[1].reason_text


def test_holm_holds_drops_together() -> None:
    """Each field alone would be dropped (lower end just above -m); together Holm holds both."""
    m = 0.2
    se = 0.1
    est = -m + 2.1 * se  # one-sided p = 0.018 each: below 0.025 alone, 0.036 after Holm
    wins = (est, est - Z * se, est + Z * se)
    a, b = make_field("a", wins=wins, q=0.5), make_field("b", wins=wins, q=0.5)
    ctx = {"a": CTX, "b": CTX}
    assert decide([a], context=ctx)[0].verdict == "drop"
    assert [o.verdict for o in decide([a, b], context=ctx)] == ["test", "test"]
    # a clearly safe field next to it is still dropped, and then Holm frees the second one
    safe = make_field("c", wins=(0.0, -0.01, 0.01), q=0.5)
    out = decide([a, safe], context={**ctx, "c": CTX})
    assert [o.verdict for o in out] == ["drop", "drop"]


def test_single_field_matches_the_interval_rule_exactly() -> None:
    for low in (-0.2001, -0.1999):
        f = make_field(wins=(0.0, low, -low), q=0.5)
        (out,) = decide([f], context={"phone": CTX})
        assert (out.verdict == "drop") == (low > -0.2)


def test_asymmetric_interval_uses_its_lower_half_width() -> None:
    p = noninferiority_p(Estimate(0.0, -0.2, 5.0), 0.2)
    assert p == pytest.approx(0.025, abs=1e-9)


@pytest.mark.parametrize("df", [3.0, 6.0, 29.0])
def test_t_interval_p_value_keeps_its_level_below_holm_thresholds(df: float) -> None:
    """An interval built from t(df) gets its one-sided p from t(df) too: at the margin, the
    chance of p < 0.025/k is 0.025/k (a normal tail made it 0.009 for k = 5, df = 6), and
    p < 0.025 is still exactly "the lower end is above -m"."""
    from scipy import stats

    q = float(stats.t.ppf(0.975, df))
    assert noninferiority_p(Estimate(0.0, -q, q, df=df), q) == pytest.approx(0.025)
    rng = np.random.default_rng(7)
    n, alpha, margin, se = 20_000, 0.025 / 5, 0.5, 1.0
    # true effect exactly at -margin; estimate and its standard error as a t(df) study gives
    est = -margin + se * rng.standard_normal(n)
    se_hat = se * np.sqrt(rng.chisquare(df, n) / df)
    p = np.array([noninferiority_p(Estimate(e, e - q * s, e + q * s, df=df), margin)
                  for e, s in zip(est, se_hat, strict=True)])
    rate = float(np.mean(p < alpha))
    assert rate == pytest.approx(alpha, abs=3 * np.sqrt(alpha / n) + 1e-4)


def test_parse_margin() -> None:
    assert parse_margin("2%") == ("relative", 0.02)
    assert parse_margin(" 10 % ") == ("relative", 0.1)
    assert parse_margin("0.5") == ("absolute", 0.5)
    assert parse_margin(".25") == ("absolute", 0.25)
    assert str(Margin.parse(" 10 % ")) == "10%" and str(Margin.parse(".25")) == "0.25"
    for bad in ("", "two", "-1", "0", "0%", "150%", "2%%", "1e-3"):
        with pytest.raises(UsageError) as err:
            Margin.parse(bad, "--margin")
        assert "--margin" in err.value.message and "--margin" in err.value.hint
        with pytest.raises(UsageError) as err:
            parse_margin(bad)  # the library's words: no command-line flag
        assert "--" not in err.value.message + err.value.hint


def test_decide_carries_the_margin_and_a_reason_code() -> None:
    f = make_field(wins=(-2.1, -3.3, -0.9), conv=(1.8, 0.6, 3.0), q=0.5)
    (out,) = decide([f], margin=Margin.parse("2%"), context={"phone": CTX})
    assert out.margin_wins_per_1k == pytest.approx(0.2)  # 2% of 10 wins per 1k views
    assert out.reason_code == "KEEP_COSTS_MORE_THAN_MARGIN"
    assert out.reason_data["wins_per_1k"] == [-2.1, -3.3, -0.9]
    assert out.reason == ""  # decide writes no English; the renderers do


def test_bad_margin_raises_usage_error_from_decide() -> None:
    with pytest.raises(UsageError):
        decide([make_field()], margin="lots", context={})


def test_margin_per_1k() -> None:
    assert margin_per_1k("relative", 0.02, 10.0) == pytest.approx(0.2)
    assert margin_per_1k("relative", 0.02, None) is None
    assert margin_per_1k("absolute", 0.5, None) == 0.5


def test_views_per_arm_matches_the_two_proportion_formula() -> None:
    """n = (z_.975 + z_.80)^2 2 p (1 - p) / m^2: the statistics.md non-inferiority size."""
    p, m = 0.01, 0.001  # 10 wins per 1k views, 10% relative margin
    expected = (1.959964 + 0.841621) ** 2 * 2 * p * (1 - p) / m ** 2
    n = views_per_arm(10.0, 1.0)
    assert n is not None and abs(n - expected) / expected < 1e-4
    assert 150_000 < n < 160_000  # 122,000 at one-sided 5%; ours is 5% two-sided


def test_test_plan_days_include_the_maturity_window() -> None:
    f = make_field(wins=(0.0, -1.5, 1.5), q=0.5)
    (out,) = decide([f], margin="10%", context={"phone": CTX})
    assert out.test_plan is not None
    n = out.test_plan.views_per_arm
    assert out.test_plan.days == math.ceil(2 * n / 1000.0) + 60
    # 155,408 views per arm of 1,000 views a day split in two: 44.4 weeks, said as 45 weeks
    assert out.test_plan.weeks_to_detect_margin == pytest.approx(2 * n / 7000.0, rel=1e-4)
    assert out.test_plan.feasible is True
    assert ("test removing it: an A/B test of 45 weeks of today's traffic (+ 60 days for deals "
            "to close) would settle it.") in out.reason_text


def test_no_plan_without_daily_views_or_baseline() -> None:
    f = make_field(wins=(0.0, -0.5, 0.5), q=0.5)
    (out,) = decide([f], margin="0.5", context={"phone": FieldContext(10.0, None, 60)})
    assert out.test_plan is not None and out.test_plan.days is None
    g = make_field(evidence="none", q=0.3)
    g = FieldResult(**{**g.__dict__, "drop_effect": DropEffect(
        wins_per_1k_views=Estimate(code="NO_OUTCOMES", with_p=False))})
    (out,) = decide([g], margin="2%", context={"phone": FieldContext(None, 500.0, None)})
    assert out.verdict == "test" and out.test_plan is None
    assert "needs outcomes" in out.reason_text


def test_reason_when_nothing_could_be_estimated() -> None:
    (out,) = decide([make_field(q=0.5)], context={"phone": CTX})
    assert out.verdict == "test"
    # the 2% margin (0.2 per 1k) would take 21 years of 1,000 views a day: not feasible
    assert out.reason_text.startswith("The effect of removing phone could not be estimated; a "
                                      "test could not settle it at today's traffic (it would "
                                      "take about 21 years); 12 weeks of traffic (+ 60 days for "
                                      "deals to close) could detect a change of 1.9 won deals")
    (out,) = decide([make_field(conv=(1.0, 0.2, 1.8), q=0.5)], context={"phone": CTX})
    assert out.reason_text.startswith("Removing phone would bring 1.0 pp more submissions, but its "
                                 "effect on won deals is unknown; a test could not settle it ")


def test_missing_context_is_not_an_error() -> None:
    (out,) = decide([make_field(wins=(0.0, -0.1, 0.1))], context={})
    assert out.verdict == "test" and out.test_plan is None


def test_order_kept_and_inputs_untouched() -> None:
    fields = [make_field(n, wins=(0.0, -0.1, 0.1), q=0.5) for n in ("b", "a", "c")]
    out = decide(fields, context={n: CTX for n in "abc"})
    assert [o.field for o in out] == ["b", "a", "c"]
    assert all(f.reason == "" for f in fields)
    assert decide(fields, context={n: CTX for n in "abc"}) == out


# --- false "drop" rate at the margin ------------------------------------------------------------

def false_drop_rates(k: int, runs: int, seed: int, margin: float = 0.2,
                     se: float = 0.15) -> tuple[float, float]:
    """Fields whose true change in wins per 1k sits exactly at -margin, k per run.

    Estimates are drawn from N(-margin, se^2) with 95% intervals est ± 1.96 se; every run decides
    its k fields together. Returns (share of fields dropped, share of runs with any drop).
    """
    rng = np.random.default_rng(seed)
    names = [f"f{i}" for i in range(k)]
    ctx = {n: FieldContext(baseline_wins_per_1k=margin / 0.02, daily_views=None,
                           horizon_days=None) for n in names}
    dropped = any_run = 0
    for _ in range(runs):
        est = rng.normal(-margin, se, size=k)
        fields = [make_field(n, wins=(float(e), float(e - Z * se), float(e + Z * se)), q=0.5)
                  for n, e in zip(names, est, strict=True)]
        verdicts = [f.verdict for f in decide(fields, margin="2%", context=ctx)]
        d = verdicts.count("drop")
        dropped += d
        any_run += d > 0
    return dropped / (k * runs), any_run / runs


def test_false_drop_rate_single_field_is_the_nominal_2_5_percent() -> None:
    per_field, _ = false_drop_rates(k=1, runs=4000, seed=1)
    # nominal 0.025; Monte Carlo SE 0.0025
    assert per_field <= 0.025 + 3 * 0.0025


def test_false_drop_rate_with_holm_over_ten_fields() -> None:
    per_field, family = false_drop_rates(k=10, runs=1000, seed=2)
    assert family <= 0.025 + 3 * 0.005  # Holm: family-wise at most 2.5%
    assert per_field <= 0.025


if __name__ == "__main__":  # larger loop: python tests/test_decide.py [runs]
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    for k in (1, 5, 10, 20):
        pf, fw = false_drop_rates(k=k, runs=runs, seed=k)
        mcse = math.sqrt(0.025 * 0.975 / runs)
        print(f"k={k:>2} fields at the margin per run, {runs} runs: false drops per field "
              f"{pf:.4f}; runs with any false drop {fw:.4f} (nominal <= 0.025, MC SE {mcse:.4f})")
