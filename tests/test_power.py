"""Test sizing: views per arm and the change those views can detect are each other's inverse."""

from __future__ import annotations

import pytest

from formfit.models.power import detectable_change_per_1k, views_per_arm


@pytest.mark.parametrize(("base", "margin"), [(10.0, 1.0), (2.0, 0.1), (150.0, 12.0)])
def test_the_detectable_change_at_the_planned_size_is_the_margin(base: float, margin: float
                                                                 ) -> None:
    n = views_per_arm(base, margin)
    assert n is not None
    assert detectable_change_per_1k(base, n) == pytest.approx(margin, rel=1e-4)
    # one view fewer per arm detects only a (slightly) larger change
    assert detectable_change_per_1k(base, n - 1000) > margin  # type: ignore[operator]


def test_a_tiny_test_detects_only_changes_larger_than_the_baseline() -> None:
    # 10 views per arm at 1%: (z.975 + z.8) sqrt(2 * 0.01 * 0.99 / 10) = 0.1247 per view
    assert detectable_change_per_1k(10.0, 10) == pytest.approx(124.66, rel=1e-3)
    assert detectable_change_per_1k(0.0, 1e6) is None
    assert detectable_change_per_1k(10.0, 0) is None


def test_the_classic_two_proportion_size() -> None:
    # 1% baseline, 10% relative change, 80% power, 5% two-sided: the textbook
    # (z.975 + z.8)^2 * 2 p (1 - p) / d^2 = 155,408
    assert views_per_arm(10.0, 1.0) == 155_408


def test_a_watched_test_is_sized_so_its_confidence_sequence_has_80pct_power_at_the_end() -> None:
    from scipy.stats import norm

    from formfit.models.power import sequential_views_per_arm, views_per_arm_exact
    from formfit.models.sequential import multiplier

    base, margin = 10.0, 1.0
    fixed = views_per_arm_exact(base, margin)
    assert fixed is not None
    for n_star in (5_000, 100_000, 2 * fixed, 10_000_000):
        n = sequential_views_per_arm(fixed, n_star)
        p = base / 1000
        se = (2 * p * (1 - p) / n) ** 0.5
        # the margin sits the sequence's half-width plus z_0.80 standard errors from zero
        assert (margin / 1000) / se - multiplier(2 * n, n_star) == pytest.approx(
            norm.ppf(0.80), abs=1e-6)
        assert n > fixed  # watching always costs views
    # tuned to the planned size it costs least: ~1.5-1.9x the views (1.2-1.4x the change)
    tuned = sequential_views_per_arm(fixed, 2 * fixed) / fixed
    assert 1.4 < tuned < 2.0
    assert sequential_views_per_arm(fixed, 5_000) / fixed > tuned


def test_the_plan_of_a_watched_experiment_says_so_and_detects_less_by_week() -> None:
    from formfit.decide import plan_from

    fixed = plan_from(10.0, 1.0, baseline_conversion_pct=5.0, daily_views=20_000,
                      horizon_days=30)
    watched = plan_from(10.0, 1.0, baseline_conversion_pct=5.0, daily_views=20_000,
                        horizon_days=30, n_star=300_000)
    assert fixed is not None and watched is not None
    assert fixed.interval == "fixed" and "interval" not in fixed.to_dict()
    assert watched.to_dict()["interval"] == "sequential" and watched.n_star == 300_000
    assert watched.views_per_arm > fixed.views_per_arm
    assert watched.weeks_to_detect_margin > fixed.weeks_to_detect_margin  # type: ignore[operator]
    for a, b in zip(fixed.detectable_by_week, watched.detectable_by_week, strict=True):
        assert b.wins_per_1k_views > a.wins_per_1k_views  # type: ignore[operator]
        assert b.conversion_pp > a.conversion_pp  # type: ignore[operator]
