"""formfit.parallel.in_threads: the list a loop would give, whatever order the work
finishes in, and the loop's error."""

from __future__ import annotations

import time

import pytest

from formfit.parallel import in_threads


def test_results_keep_the_order_of_the_items_not_of_finishing() -> None:
    def slow_first(x: int) -> int:
        time.sleep(0.05 if x == 0 else 0.0)
        return x * x

    assert in_threads(slow_first, [0, 1, 2, 3]) == [0, 1, 4, 9]
    assert in_threads(slow_first, [5]) == [25]
    assert in_threads(slow_first, []) == []


def test_an_error_in_any_item_is_raised() -> None:
    def fails_on_two(x: int) -> int:
        if x == 2:
            raise ValueError("kind of field 'x' must be one of ...")
        return x

    with pytest.raises(ValueError, match="kind of field"):
        in_threads(fails_on_two, [1, 2, 3])
