"""Always-valid intervals for experiments that are watched while they run.

Estimand and method
-------------------
A team that opens the report every day and drops a field the first day its interval clears
the margin runs many tests, not one: with fixed-horizon 95% intervals the chance of ever
calling a harmless-looking but costly field safe grows with every look. A *confidence
sequence* holds its level over every look at once. This module implements the asymptotic
confidence sequence of Waudby-Smith et al. (2023, arXiv 2103.06476, eq. 9 and 161) in the form
GrowthBook's gbstats uses (``SequentialTwoSidedTTest``), for an estimate with standard error
``SE`` after ``n`` units in total (both arms)::

    rho       = sqrt((-2 ln a + ln(-2 ln a + 1)) / N*)
    halfwidth = sqrt(s2) * sqrt(2 (n rho^2 + 1) ln(sqrt(n rho^2 + 1) / a) / (n rho)^2),
    s2        = SE^2 n            (so halfwidth = SE * multiplier(n))

``N*`` is the tuning size: the total sample at which the sequence is tightest (about 1.55x the
fixed-horizon interval there, wider before and after). It must be fixed before the data are
seen and kept for the experiment's life; :mod:`formfit.watch` chooses and records it.

Assumptions: the estimate is asymptotically normal and its SE shrinks like 1/sqrt(n) as the
experiment grows (true for differences of proportions at a steady traffic mix). ``n`` is the
experiment's size in views (submissions when there is no views file), the "time" of the
sequence; the multiplier depends on ``n`` only through ``n / N*``, so both must count the same
unit.

Applying it to formfit's intervals
----------------------------------
formfit's fixed intervals come from GLMs with clustered or quasi-binomial errors and sometimes
t quantiles. :func:`widen` keeps each interval's centre and multiplies both half-widths by
``multiplier(n) / 1.959964``: the sequence's half-width for the standard error the fixed
interval implies (``SE_eff`` = half-width / 1.959964; with t quantiles that ``SE_eff`` is a
little larger than the model's SE, so the widening errs wide).

p-values of sequential estimates are *always-valid* p-values, consistent with the sequence:
``p = min(1, 1 / E)``, ``E = exp(rho^2 n z^2 / (2 (n rho^2 + 1))) / sqrt(n rho^2 + 1)``,
``z = estimate / SE_eff`` (gbstats' eq. 155 form). ``p < a`` exactly when the level ``1 - a``
sequence (same rho) excludes 0, so a p-value below 0.05 and a 95% interval away from 0 always
agree, at every look. :func:`noninferiority_p` is the one-sided version the drop rule uses:
``p < 0.025`` exactly when the sequence's lower end is above ``-margin``; since a mixture
sequence is valid at any level with any rho, Holm over these p-values keeps its guarantee.

Checked against gbstats 0.8.0 (``tests/test_sequential.py`` freezes its numbers) and by
simulation of daily looks (``scripts/validate_sequential.py``).
"""

from __future__ import annotations

import math

from formfit.results import Estimate

ALPHA = 0.05  # two-sided level of every interval formfit reports
Z975 = 1.959963984540054
DEFAULT_N_STAR = 5000  # gbstats' default tuning size, used only when nothing better is known


def rho(n_star: float, alpha: float = ALPHA) -> float:
    """The mixing parameter that makes the sequence tightest at ``n_star`` units (eq. 161)."""
    if not n_star > 0:
        raise ValueError(f"n_star must be positive, got {n_star!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    la = -2.0 * math.log(alpha)
    return math.sqrt((la + math.log(la + 1.0)) / n_star)


def multiplier(n: float, n_star: float, alpha: float = ALPHA) -> float:
    """Half-width of the confidence sequence in units of the estimate's SE at size ``n``."""
    if not n > 0:
        raise ValueError(f"n must be positive, got {n!r}")
    r2 = rho(n_star, alpha) ** 2
    t = n * r2
    return math.sqrt(2.0 * (t + 1.0) * math.log(math.sqrt(t + 1.0) / alpha) / t)


def half_width(se: float, n: float, n_star: float, alpha: float = ALPHA) -> float:
    """The sequence's two-sided half-width for an estimate with standard error ``se``."""
    return se * multiplier(n, n_star, alpha)


def widening(n: float, n_star: float, alpha: float = ALPHA) -> float:
    """Sequence half-width / fixed-horizon (normal) half-width at size ``n``; always > 1."""
    return multiplier(n, n_star, alpha) / Z975


def always_valid_p(z: float, n: float, n_star: float, alpha: float = ALPHA) -> float:
    """Two-sided always-valid p-value of a z statistic at size ``n`` (gbstats' eq. 155)."""
    t = n * rho(n_star, alpha) ** 2
    log_e = t * z * z / (2.0 * (t + 1.0)) - 0.5 * math.log(t + 1.0)
    return 1.0 if log_e <= 0 else min(1.0, math.exp(-log_e))


def _se_toward(est: Estimate, target: float) -> float | None:
    """The fixed interval's implied SE on the side of the estimate that faces ``target``."""
    assert est.estimate is not None and est.ci_low is not None and est.ci_high is not None
    hw = est.estimate - est.ci_low if est.estimate >= target else est.ci_high - est.estimate
    se = hw / Z975
    return se if se > 0 and math.isfinite(se) else None


def widen(est: Estimate, n: float, n_star: float, alpha: float = ALPHA) -> Estimate:
    """A fixed-horizon 95% estimate turned into the confidence sequence's, at size ``n``.

    Centre kept, both half-widths times :func:`widening`; a p-value (when the estimate has
    one) replaced by the always-valid p-value. Unknown estimates are returned as they are.
    """
    if not est.known:
        return est
    assert est.estimate is not None and est.ci_low is not None and est.ci_high is not None
    k = widening(n, n_star, alpha)
    e = est.estimate
    p = est.p_value
    if est.with_p:
        se = _se_toward(est, 0.0)
        p = (always_valid_p(e / se, n, n_star, alpha) if se is not None
             else est.p_value)
    return Estimate(estimate=e, ci_low=e - k * (e - est.ci_low), ci_high=e + k * (est.ci_high - e),
                    p_value=p, code=est.code, with_p=est.with_p)


def noninferiority_p(est: Estimate, margin: float, n: float, n_star: float,
                     alpha: float = ALPHA) -> float | None:
    """One-sided always-valid p of H0 "removing costs at least ``margin``" for a *widened*
    estimate (the output of :func:`widen`): below 0.025 exactly when its lower end is above
    ``-margin``."""
    if not est.known:
        return None
    assert est.estimate is not None and est.ci_low is not None
    # the widened lower half-width is multiplier * SE_eff
    se = (est.estimate - est.ci_low) / multiplier(n, n_star, alpha)
    if not se > 0 or not math.isfinite(se):
        return None
    d = est.estimate + margin
    p2 = always_valid_p(d / se, n, n_star, alpha)
    return p2 / 2.0 if d > 0 else 1.0 - p2 / 2.0
