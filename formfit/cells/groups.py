"""Group numbers for pandas rows, as ``groupby(keys, sort=True, dropna=False)`` orders them.

pandas' multi-key groupby on Arrow-backed text re-hashes every key column on every call; here
each key column is factorized once (sorted, blanks last) and the codes are combined into one
integer per row, so a count is a ``bincount`` of group numbers and a sum a groupby on one
int64 column (the same sums, in the same order, as pandas' own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

_LIMIT = 1 << 62


def sorted_groups(key: np.ndarray) -> tuple[np.ndarray[Any, np.dtype[np.int64]],
                                             np.ndarray[Any, np.dtype[np.int64]]]:
    """Per row the number of its key among the distinct keys in sorted order, and per group
    the position of its first row: what ``np.unique(key, return_index=True,
    return_inverse=True)`` gives, by hashing the rows and sorting only the distinct keys."""
    codes, distinct = pd.factorize(key, sort=True)
    gid = np.asarray(codes, dtype=np.int64)
    first = np.full(len(distinct), len(key), dtype=np.int64)
    np.minimum.at(first, gid, np.arange(len(key), dtype=np.int64))
    return gid, first


def group_index(frame: pd.DataFrame, keys: Sequence[str]
                ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], pd.DataFrame]:
    """Per row its group number (0..g-1 in sorted key order, missing keys last, as
    ``frame.groupby(keys, sort=True, dropna=False)``), and the groups' keys as a frame with
    one row per group and the key columns' dtypes."""
    n = len(frame)
    codes: list[np.ndarray[Any, np.dtype[np.int64]]] = []
    uniques: list[pd.Index] = []
    flat = np.zeros(n, dtype=np.int64)
    for key in keys:
        c, u = pd.factorize(frame[key], sort=True, use_na_sentinel=True)
        c = np.where(c < 0, len(u), c).astype(np.int64)  # missing sorts last
        codes.append(c)
        uniques.append(pd.Index(u))
        size = len(u) + 1
        if int(flat.max(initial=0)) + 1 > _LIMIT // size:
            flat = pd.factorize(flat, sort=True)[0].astype(np.int64)  # same order
        flat = flat * size + c
    gid, first = sorted_groups(flat)
    columns: dict[str, Any] = {}
    for key, c, u in zip(keys, codes, uniques, strict=True):
        at = c[first]
        missing = at == len(u)
        taken = (u.take(np.where(missing, -1, at), allow_fill=True) if missing.any()
                 else u.take(at))
        columns[key] = pd.Series(taken)
    return np.asarray(gid, dtype=np.int64).reshape(-1), pd.DataFrame(columns, index=range(
        len(first)))
