"""Sample size for the A/B test that would settle a field (the `test` verdict's plan).

Views per arm for 80% power at 5% two-sided to detect a change of the margin in wins per view,
from baseline p: Cohen's arcsine effect size ``h = 2 asin(sqrt(p)) - 2 asin(sqrt(p - m))``
(``proportion_effectsize``) and ``NormalIndPower().solve_power``. With a true change of 0 this
is also the size of a non-inferiority test at one-sided 2.5%. statsmodels' own
non-inferiority helpers raise NotImplementedError for a non-zero margin (statistics.md trap 6),
hence the shifted effect size.
"""

from __future__ import annotations

import functools
import math

POWER = 0.80
ALPHA_TEST = 0.05  # two-sided


@functools.lru_cache(maxsize=1024)
def views_per_arm(baseline_wins_per_1k: float, margin_wins_per_1k: float) -> int | None:
    """Views per arm for 80% power at 5% two-sided to detect a change of ``margin`` (per 1k).

    None when the baseline is not a proportion strictly between 0 and 1 or the margin is not
    positive. Cached: a run asks the same question for many fields.
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    p = baseline_wins_per_1k / 1000.0
    m = margin_wins_per_1k / 1000.0
    if not (0 < p < 1) or not m > 0:
        return None
    es = float(proportion_effectsize(p, max(p - m, 0.0)))
    if not es > 0:
        return None
    n = NormalIndPower().solve_power(effect_size=es, nobs1=None, alpha=ALPHA_TEST, power=POWER,
                                     ratio=1.0, alternative="two-sided")
    n = float(n)
    return int(math.ceil(n)) if math.isfinite(n) else None


def detectable_change_per_1k(baseline_wins_per_1k: float, views_per_arm_: float) -> float | None:
    """The smallest drop in wins per 1,000 views that ``views_per_arm_`` views per arm detect.

    The inverse of :func:`views_per_arm` (same arcsine effect size, 80% power, 5% two-sided):
    Cohen's h detectable with n per arm is ``(z_0.975 + z_0.80) * sqrt(2 / n)``, and the lower
    proportion with that distance from p is ``sin(asin(sqrt(p)) - h / 2) ** 2``. None when the
    baseline is not strictly between 0 and 1000 or n is not positive; the full baseline when no
    drop short of zero is detectable (n too small).
    """
    from scipy.stats import norm

    p = baseline_wins_per_1k / 1000.0
    if not (0 < p < 1) or not views_per_arm_ > 0:
        return None
    h = float(norm.ppf(1 - ALPHA_TEST / 2) + norm.ppf(POWER)) * math.sqrt(2.0 / views_per_arm_)
    angle = math.asin(math.sqrt(p)) - h / 2
    if angle <= 0:
        return baseline_wins_per_1k
    return 1000.0 * (p - math.sin(angle) ** 2)


def detectable_change_pct(baseline_pct: float, views_per_arm_: float) -> float | None:
    """:func:`detectable_change_per_1k` for a rate in percent (conversion): the drop in pp."""
    d = detectable_change_per_1k(baseline_pct * 10.0, views_per_arm_)
    return None if d is None else d / 10.0


def views_per_arm_exact(baseline_wins_per_1k: float, margin_wins_per_1k: float) -> float | None:
    """:func:`views_per_arm` before rounding up (for weeks of traffic; None as there).

    Closed form of the same arcsine calculation: ``n = ((z_0.975 + z_0.80) / h) ** 2 * 2``
    with Cohen's ``h``, so it is exactly the inverse of :func:`detectable_change_per_1k`.
    """
    from scipy.stats import norm

    p = baseline_wins_per_1k / 1000.0
    m = margin_wins_per_1k / 1000.0
    if not (0 < p < 1) or not m > 0:
        return None
    h = 2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(max(p - m, 0.0)))
    if not h > 0:
        return None
    z = float(norm.ppf(1 - ALPHA_TEST / 2) + norm.ppf(POWER))
    return 2.0 * (z / h) ** 2


def weeks_of_traffic(views_per_arm_: float, daily_views: float) -> float | None:
    """Weeks of today's traffic, split evenly into two arms, that give ``views_per_arm_`` each."""
    if not daily_views > 0 or not math.isfinite(daily_views):
        return None
    return 2.0 * views_per_arm_ / (7.0 * daily_views)


def views_per_arm_in_weeks(weeks: float, daily_views: float) -> float:
    """Views per arm that ``weeks`` of ``daily_views`` give when split evenly into two arms."""
    return 7.0 * weeks * daily_views / 2.0
