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
