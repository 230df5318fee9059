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


def test_a_tiny_test_detects_nothing_short_of_losing_every_win() -> None:
    assert detectable_change_per_1k(10.0, 10) == 10.0
    assert detectable_change_per_1k(0.0, 1e6) is None
    assert detectable_change_per_1k(10.0, 0) is None


def test_the_classic_two_proportion_size() -> None:
    # 1% baseline, 10% relative change, 80% power, 5% two-sided: the textbook
    # (z.975 + z.8)^2 * 2 p (1 - p) / d^2 = 155,000 with p = 0.0095 gives ~147,600 arcsine
    assert views_per_arm(10.0, 1.0) == pytest.approx(147_610, abs=50)
