"""Text keys hashed in DuckDB give exactly pandas' and Arrow's answers, also when hashes collide."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import formfit.cells.keys as keys
from formfit.cells.keys import factorize_text, is_in_text, positions_in

WORDS = ["a", "A", "", " a", "a ", "ab", "b", "\u00e9", "e\u0301", "x" * 40, "0", "00", "na",
         "Ab", "ba", "\u00df", "ss"]


def _texts(rng: np.random.Generator, n: int, nulls: float = 0.15) -> pd.Series:
    s = pd.Series(rng.choice(WORDS, n), dtype="str")
    s[rng.random(n) < nulls] = pd.NA
    return s


@pytest.fixture(params=["duckdb", "colliding"])
def hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """DuckDB's hash, or one where most strings collide (their length): the checks on the
    text must then find every collision and fall back to the exact path."""
    if request.param == "colliding":
        def by_length(values: pa.ChunkedArray) -> np.ndarray:
            lengths = pc.binary_length(values).fill_null(0)
            return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype=np.uint64)
        monkeypatch.setattr(keys, "text_hashes", by_length)
    return str(request.param)


@pytest.mark.parametrize("seed", range(8))
def test_factorize_text_is_pandas_factorize(seed: int, hashing: str) -> None:
    rng = np.random.default_rng(seed)
    s = _texts(rng, int(rng.integers(0, 300)))
    codes, uniques = factorize_text(s)
    want_codes, want_uniques = pd.factorize(s, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, np.asarray(want_codes, dtype=np.int64))
    assert uniques.to_pylist() == list(want_uniques)


@pytest.mark.parametrize("seed", range(8))
def test_positions_and_membership_are_arrows(seed: int, hashing: str) -> None:
    rng = np.random.default_rng(seed)
    among = pd.Series(pd.unique(_texts(rng, 40, nulls=0).to_numpy()), dtype="str")
    values = _texts(rng, int(rng.integers(0, 200)))
    got = positions_in(values, among)
    want = pc.index_in(pa.array(values, type=pa.large_string()),
                       value_set=pa.array(among, type=pa.large_string()), skip_nulls=True)
    np.testing.assert_array_equal(got, np.asarray(want.fill_null(-1).to_numpy(
        zero_copy_only=False), dtype=np.int64))
    repeated = pd.concat([among, among.iloc[::2], pd.Series([pd.NA], dtype="str")])
    np.testing.assert_array_equal(is_in_text(values, repeated),
                                  values.isin(among.tolist()).to_numpy(dtype=bool))


def test_positions_need_distinct_keys(hashing: str) -> None:
    with pytest.raises(ValueError, match="distinct"):
        positions_in(pd.Series(["a"], dtype="str"), pd.Series(["a", "b", "a"], dtype="str"))
    with pytest.raises(ValueError, match="not null"):
        positions_in(pd.Series(["a"], dtype="str"), pd.Series(["a", None], dtype="str"))


def test_empty_inputs() -> None:
    empty = pd.Series([], dtype="str")
    codes, uniques = factorize_text(empty)
    assert len(codes) == 0 and len(uniques) == 0
    assert len(positions_in(empty, pd.Series(["a"], dtype="str"))) == 0
    np.testing.assert_array_equal(positions_in(pd.Series(["a"], dtype="str"), empty), [-1])
    np.testing.assert_array_equal(is_in_text(pd.Series(["a", None], dtype="str"), empty),
                                  [False, False])
