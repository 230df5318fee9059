"""Sample size for the A/B test that would settle a field (the `test` verdict's plan).

One formula throughout (statistics.md, "Deciding" and "Sizing tests"): with baseline rate ``p``
in both arms, a change of ``d`` is detected with power 1-β at level α by

    n per arm = (z_{1-α} + z_{1-β})² · 2p(1-p) / d²
    MDE(n)    = (z_{1-α} + z_{1-β}) · sqrt(2p(1-p) / n)

with ``z_{1-α} = z_0.975`` (5% two-sided, which is also the drop rule's one-sided 2.5%) and
80% power. With a true change of 0, this is exactly the size of the non-inferiority test the
drop rule runs ("removing costs less than m"), so one plan serves both outcomes: calling the
field droppable when it costs nothing, and detecting a cost of m when it has one.

statsmodels trap (statistics.md, trap 6): ``power_proportions_2indep`` and
``samplesize_proportions_2indep_onetail`` raise NotImplementedError for a non-zero margin
(``value``), and with ``diff=margin, value=0`` they size a superiority test with the variance
of the shifted arm, not the non-inferiority test. The safe way, used here, is
``NormalIndPower().solve_power`` with the shifted standardized effect ``(Δ + m) / sd``.
"""

from __future__ import annotations

import functools
import math

POWER = 0.80
ALPHA_TEST = 0.05  # two-sided; the same critical value as the drop rule's one-sided 2.5%
ALPHA_NONINFERIORITY = 0.025  # one-sided, the drop rule's level


def _z() -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - ALPHA_TEST / 2) + norm.ppf(POWER))


@functools.lru_cache(maxsize=1024)
def noninferiority_views_per_arm(baseline: float, margin: float,
                                 true_change: float = 0.0) -> float | None:
    """Views per arm (unrounded) for 80% power to show "the change is above -margin" at one-sided
    2.5%, when the true change is ``true_change`` (all as proportions, e.g. 0.01 for 1%).

    ``NormalIndPower`` on the shifted effect size ``(Δ + m) / sd``, ``sd`` the root mean
    variance of the two arms: ``n = (z_0.975 + z_0.80)² (p(1-p) + q(1-q)) / (Δ + m)²`` with
    ``q = p + Δ``. None unless ``0 < p < 1``, ``0 <= q <= 1`` and ``Δ + m > 0``.
    """
    from statsmodels.stats.power import NormalIndPower

    p, q, shift = baseline, baseline + true_change, true_change + margin
    if not (0 < p < 1) or not (0 <= q <= 1) or not shift > 0:
        return None
    sd = math.sqrt((p * (1 - p) + q * (1 - q)) / 2)
    n = NormalIndPower().solve_power(effect_size=shift / sd, nobs1=None,
                                     alpha=ALPHA_NONINFERIORITY, power=POWER, ratio=1.0,
                                     alternative="larger")
    n = float(n)
    return n if math.isfinite(n) and n > 0 else None


def views_per_arm_exact(baseline_wins_per_1k: float, margin_wins_per_1k: float) -> float | None:
    """Views per arm before rounding up: the non-inferiority size at a true change of 0.

    None when the baseline is not a proportion strictly between 0 and 1 or the margin is not
    positive.
    """
    if not margin_wins_per_1k > 0:
        return None
    return noninferiority_views_per_arm(baseline_wins_per_1k / 1000.0,
                                        margin_wins_per_1k / 1000.0)


def views_per_arm(baseline_wins_per_1k: float, margin_wins_per_1k: float) -> int | None:
    """Views per arm for 80% power at 5% two-sided to detect a change of ``margin`` (per 1k).

    Rounded up; None as :func:`views_per_arm_exact`.
    """
    n = views_per_arm_exact(baseline_wins_per_1k, margin_wins_per_1k)
    return None if n is None else int(math.ceil(n - 1e-9))


def detectable_change_per_1k(baseline_wins_per_1k: float, views_per_arm_: float) -> float | None:
    """The smallest change in wins per 1,000 views that ``views_per_arm_`` views per arm detect.

    The inverse of :func:`views_per_arm`: ``(z_0.975 + z_0.80) * sqrt(2 p (1 - p) / n)``, the
    closed-form two-proportion MDE (either direction: above the baseline a small test can still
    detect a gain). None when the baseline is not strictly between 0 and 1000 or n is not
    positive.
    """
    p = baseline_wins_per_1k / 1000.0
    if not (0 < p < 1) or not views_per_arm_ > 0:
        return None
    return 1000.0 * _z() * math.sqrt(2 * p * (1 - p) / views_per_arm_)


def detectable_change_pct(baseline_pct: float, views_per_arm_: float) -> float | None:
    """:func:`detectable_change_per_1k` for a rate in percent (conversion): the change in pp."""
    d = detectable_change_per_1k(baseline_pct * 10.0, views_per_arm_)
    return None if d is None else d / 10.0


def weeks_of_traffic(views_per_arm_: float, daily_views: float) -> float | None:
    """Weeks of today's traffic, split evenly into two arms, that give ``views_per_arm_`` each."""
    if not daily_views > 0 or not math.isfinite(daily_views):
        return None
    return 2.0 * views_per_arm_ / (7.0 * daily_views)


def views_per_arm_in_weeks(weeks: float, daily_views: float) -> float:
    """Views per arm that ``weeks`` of ``daily_views`` give when split evenly into two arms."""
    return 7.0 * weeks * daily_views / 2.0


def sequential_factor(views_per_arm_: float, n_star: float) -> float:
    """How much wider a detectable change is when the test is watched with a confidence
    sequence tuned to ``n_star`` (total views) instead of read once at the end.

    Under the normal approximation a fixed-horizon test detects ``(z_0.975 + z_0.80) * se``;
    watched, the 0.975 quantile is replaced by the sequence's half-width in SEs at the test's
    total size ``2 n`` (:func:`formfit.models.sequential.multiplier`), so the detectable change
    grows by ``(multiplier + z_0.80) / (z_0.975 + z_0.80)``: about 1.3-1.6x at usual sizes.
    """
    from scipy.stats import norm

    from formfit.models.sequential import multiplier

    z975, z80 = float(norm.ppf(1 - ALPHA_TEST / 2)), float(norm.ppf(POWER))
    return (multiplier(2.0 * views_per_arm_, n_star) + z80) / (z975 + z80)


def sequential_views_per_arm(fixed_views_per_arm: float, n_star: float) -> float:
    """Views per arm for the same power when the test is watched (see sequential_factor):
    the fixed size times the factor squared at the answer, found by fixed-point iteration
    (the factor moves only with the logarithm of the size, so it converges in a few steps)."""
    n = fixed_views_per_arm
    for _ in range(100):
        nxt = fixed_views_per_arm * sequential_factor(n, n_star) ** 2
        if abs(nxt - n) <= 1e-9 * n:
            return nxt
        n = nxt
    return n
