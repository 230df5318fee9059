"""Confidence sequences (formfit.models.sequential) against GrowthBook's gbstats 0.8.0.

The numbers below were computed with gbstats 0.8.0 (``SequentialTwoSidedTTest`` and
``TwoSidedTTest`` on two ``ProportionStatistic(n, sum)``, ``difference_type="absolute"``,
``alpha=0.05``) in a separate environment: gbstats pins pandas < 2, so it cannot be a test
dependency of formfit (pandas 3). Columns: n_a, wins_a, n_b, wins_b, N*, estimate,
sequence low, sequence high, always-valid p-value.
"""

from __future__ import annotations

import math

import pytest

from formfit.models import sequential as seq
from formfit.results import Estimate

GBSTATS_0_8_0 = [
    (20000, 2000, 20000, 1700, 20000, -0.015, -0.023867060221220024, -0.006132939778779973,
     1.3631336113035743e-05),
    (8000, 800, 8000, 700, 5000, -0.012500000000000011, -0.02679819323685949,
     0.0017981932368594643, 0.14899519111900342),
    (10000, 1000, 10000, 950, 5000, -0.0050000000000000044, -0.01811804815372821,
     0.008118048153728201, 1.0),
    (50000, 600, 50000, 570, 200000, -0.0005999999999999998, -0.0026971006013408383,
     0.0014971006013408386, 1.0),
    (3000, 300, 2800, 310, 5000, 0.010714285714285704, -0.013793812054020478,
     0.035222383482591886, 1.0),
    (120000, 1200, 118000, 1100, 50000, -0.000677966101694915, -0.0019398369028833296,
     0.0005839046994934997, 1.0),
]


def _diff(na: int, sa: int, nb: int, sb: int) -> tuple[float, float]:
    pa, pb = sa / na, sb / nb
    return pb - pa, math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)


@pytest.mark.parametrize("row", GBSTATS_0_8_0)
def test_sequence_and_p_value_match_gbstats(row: tuple[float, ...]) -> None:
    na, sa, nb, sb, n_star, est, lo, hi, p = row
    e, se = _diff(int(na), int(sa), int(nb), int(sb))
    n = na + nb
    assert e == pytest.approx(est, abs=1e-15)
    hw = seq.half_width(se, n, n_star)
    assert e - hw == pytest.approx(lo, rel=1e-9)
    assert e + hw == pytest.approx(hi, rel=1e-9)
    assert seq.always_valid_p(e / se, n, n_star) == pytest.approx(p, rel=1e-9, abs=1e-15)


def test_rho_formula_by_hand() -> None:
    # alpha 0.05: -2 ln a = 5.991465; ln(6.991465) = 1.944694; (7.936159 / 5000) ** 0.5
    assert seq.rho(5000) == pytest.approx(0.0398402, rel=1e-5)
    with pytest.raises(ValueError):
        seq.rho(0)


def test_widening_is_tightest_near_n_star_and_never_below_fixed() -> None:
    ks = {f: seq.widening(f * 10_000, 10_000) for f in (0.05, 0.3, 1.0, 3.0, 30.0)}
    assert min(ks, key=lambda f: ks[f]) == 1.0
    assert 1.54 < ks[1.0] < 1.56  # "about 1.55x at best" (statistics.md)
    assert all(k > 1.5 for k in ks.values())
    assert ks[0.05] > ks[0.3] > ks[1.0] and ks[30.0] > ks[3.0] > ks[1.0]


def test_widen_keeps_centre_and_agrees_with_its_p_value() -> None:
    fixed = Estimate(estimate=-1.5, ci_low=-2.5, ci_high=-0.5, p_value=0.0032)
    for n in (2_000, 20_000, 200_000):
        w = seq.widen(fixed, n, 20_000)
        k = seq.widening(n, 20_000)
        assert w.estimate == -1.5
        assert w.ci_low == pytest.approx(-1.5 - k)
        assert w.ci_high == pytest.approx(-1.5 + k)
        assert w.p_value is not None
        # the always-valid p-value is below 0.05 exactly when the sequence excludes 0
        assert (w.p_value < 0.05) == (w.ci_high is not None and w.ci_high < 0)
    unknown = Estimate(code="NO_VIEWS")
    assert seq.widen(unknown, 1000, 5000) is unknown


def test_widen_without_p_value_key_stays_without() -> None:
    w = seq.widen(Estimate(estimate=0.2, ci_low=0.1, ci_high=0.3, with_p=False), 5000, 5000)
    assert w.p_value is None and "p_value" not in w.to_dict()


@pytest.mark.parametrize("est,margin", [(0.0, 1.0), (-0.2, 0.5), (-0.9, 0.5)])
def test_noninferiority_p_agrees_with_the_widened_lower_end(est: float, margin: float) -> None:
    seen = set()
    for se in (0.05, 0.2, 0.4, 0.8):
        fixed = Estimate(estimate=est, ci_low=est - Z * se, ci_high=est + Z * se, p_value=None)
        w = seq.widen(fixed, 30_000, 10_000)
        p = seq.noninferiority_p(w, margin, 30_000, 10_000)
        assert p is not None and w.ci_low is not None
        assert (p < 0.025) == (w.ci_low > -margin)
        seen.add(p < 0.025)
    assert seen == ({True, False} if est > -margin else {False})


Z = seq.Z975
