"""Fast text columns for large worlds: pandas ``str`` Series built through pyarrow.

Building a million-row ``str`` column from a numpy object array costs seconds; decoding a
dictionary (codes into a short list of categories) or casting arrow arrays costs milliseconds.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _series(arr: pa.Array) -> pd.Series:
    out = arr.to_pandas()
    assert isinstance(out, pd.Series)
    return out.astype("str")


def from_codes(codes: np.ndarray, categories: Sequence[str]) -> pd.Series:
    """``categories[codes]`` as a ``str`` Series."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)),
                                                pa.array(list(categories), type=pa.string()))
    return _series(dictionary.cast(pa.string()))


def from_fixed_bytes(values: np.ndarray) -> pd.Series:
    """A numpy ``S<k>`` (ASCII bytes) array as a ``str`` Series."""
    width = values.dtype.itemsize
    arr = pa.array(values, type=pa.binary(width)).cast(pa.binary()).cast(pa.string())
    return _series(arr)


@functools.lru_cache(maxsize=1)
def _times_of_day() -> pa.Array:
    """"00:00:00" .. "23:59:59"."""
    return pa.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)])


def timestamps(start: date, seconds: np.ndarray, sep: str = "T") -> pd.Series:
    """ISO date-times ``YYYY-MM-DD<sep>HH:MM:SS`` for seconds since ``start`` (midnight)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    day, tod = np.divmod(seconds, 86400)
    n_days = int(day.max()) + 1 if day.size else 1
    days = [(start + timedelta(days=i)).isoformat() for i in range(n_days)]
    d = pa.DictionaryArray.from_arrays(pa.array(day.astype(np.int32)),
                                       pa.array(days)).cast(pa.string())
    t = pa.DictionaryArray.from_arrays(pa.array(tod.astype(np.int32)),
                                       _times_of_day()).cast(pa.string())
    return _series(pc.binary_join_element_wise(d, t, sep))


def dates(start: date, days: np.ndarray) -> pd.Series:
    """ISO dates for day offsets from ``start``."""
    days = np.asarray(days, dtype=np.int64)
    n_days = int(days.max()) + 1 if days.size else 1
    return from_codes(days, [(start + timedelta(days=i)).isoformat() for i in range(n_days)])
