"""The helpers the engine tests rest on: the comparison catches what it must (so they can
fail), and a missing engine skips only outside CI."""

from __future__ import annotations

import pytest
from engines_json import assert_same_result, json_diffs


def test_numbers_agree_within_the_tolerance_only() -> None:
    assert json_diffs({"x": 0.1 + 0.2}, {"x": 0.3}) == []
    assert json_diffs({"x": 1.0}, {"x": 1}) == []
    assert json_diffs({"x": 0.123456}, {"x": 0.123457}) == ["$.x: 0.123456 != 0.123457"]
    assert json_diffs({"n": 4552}, {"n": 4551}) == ["$.n: 4552 != 4551"]


def test_strings_nulls_booleans_keys_and_lengths_must_match_exactly() -> None:
    assert json_diffs({"v": "drop"}, {"v": "keep"}) == ["$.v: 'drop' != 'keep'"]
    assert json_diffs({"e": None}, {"e": 0.0}) == ["$.e: None != 0.0"]
    assert json_diffs({"p": True}, {"p": 1}) == ["$.p: True != 1"]
    assert json_diffs({"a": 1}, {"a": 1, "b": 2}) == ["$.b: only in second"]
    assert json_diffs({"l": [1, 2]}, {"l": [1]}) == ["$.l: 2 items != 1 items"]
    assert json_diffs({"f": [{"x": 1.0}]}, {"f": [{"x": 2.0}]}) == ["$.f[0].x: 1.0 != 2.0"]


def test_settings_are_skipped_only_at_the_top() -> None:
    a = {"settings": {"submissions": "s.csv"}, "models": {"settings": 1}}
    b = {"settings": {"submissions": "table:s"}, "models": {"settings": 2}}
    assert json_diffs(a, b, skip=frozenset({"settings"})) == ["$.models.settings: 1 != 2"]
    with pytest.raises(AssertionError, match="1 differences"):
        assert_same_result(a, b)
    with pytest.raises(AssertionError, match="maturity_days_used"):
        assert_same_result({"settings": {"maturity_days_used": 77}},
                           {"settings": {"maturity_days_used": 70}})


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                              ("", pytest.skip.Exception),
                                              ("false", pytest.skip.Exception)])
def test_a_missing_engine_skips_locally_and_fails_in_ci(
        monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]) -> None:
    from engines_env import unavailable

    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no PostgreSQL"):
        unavailable("no PostgreSQL server binaries")
